"""Cosmos calls met by the static interpreter: ``DbtDag(...)``, ``DbtTaskGroup(...)`` and their config objects.

``ProjectConfig``/``RenderConfig``/``ExecutionConfig``/``ProfileConfig`` evaluate to a ``CosmosConfig`` (their
keyword arguments; Cosmos enums such as ``TestBehavior.AFTER_ALL`` as their values, ``"after_all"``).
``DbtDag`` is a DAG and ``DbtTaskGroup`` a task group (``group_id`` defaults to ``dbt_task_group``) that
hold the tasks Cosmos renders (``render``) from the project's graph (``project``). The project folder is
found in the repository like any deployment path (``ReadPolicy.locate``: ``paths:`` remaps, else the
longest end of the path the repository holds). Each task is a Cosmos operator with the arguments Cosmos
gives it (``select``, ``exclude``, ``project_dir``, ``manifest_filepath``, ``operator_args``), so
extraction reads it with its dbt rule: a run reads its parents' relations and writes its own, a test
touches no table, and without a manifest it is unresolved, saying which project and how to fix it.
"""

from __future__ import annotations

import ast
import os
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any

from overlay.discover.cosmos.project import FileGraph, ProjectError, from_files, from_manifest
from overlay.discover.cosmos.render import EXECUTION_MODES, TEST_BEHAVIOURS, RenderOptions, render
from overlay.discover.evaluate import NOT_HANDLED, is_data, is_known, plain
from overlay.discover.static.refs import DagRef, TaskGroupRef
from overlay.discover.static.specs import merged_defaults
from overlay.extract.dbt.files import file_selectable
from overlay.extract.files import ReadPolicy
from overlay.model import TaskSpec

if TYPE_CHECKING:
    from overlay.discover.static.scanner import StaticScanner

CONFIGS = {"ProjectConfig": ("dbt_project_path",), "RenderConfig": (), "ExecutionConfig": ("execution_mode",),
           "ProfileConfig": ()}
ENUMS = frozenset({"TestBehavior", "LoadMode", "ExecutionMode", "SourceRenderingBehavior", "SeedRenderingBehavior",
                   "TestIndirectSelection", "InvocationMode"})
MAX_TASKS = 10_000  # tasks one DbtDag / DbtTaskGroup lists


@dataclass(frozen=True)
class CosmosConfig:
    kind: str
    values: dict[str, Any] = field(default_factory=dict)
    unknown: tuple[str, ...] = ()

    def get(self, name: str, default: Any = None) -> Any:
        return self.values.get(name, default)


def is_cosmos(name: str) -> bool:
    short = name.rsplit(".", 1)[-1]
    return name.startswith("cosmos.") and (short in (*CONFIGS, "DbtDag", "DbtTaskGroup") or short.endswith("ProfileMapping"))


def cosmos_call(scanner: StaticScanner, name: str, node: ast.Call, scope: dict[str, Any]) -> Any:
    short = name.rsplit(".", 1)[-1]
    if short in CONFIGS:
        values, unknown = _arguments(scanner, node, scope, CONFIGS[short])
        return CosmosConfig(short, values, tuple(unknown))
    if short.endswith("ProfileMapping"):  # a target built from an Airflow connection: which class, conn_id, profile_args
        values, unknown = _arguments(scanner, node, scope, ("conn_id", "profile_args"))
        return CosmosConfig(short, values, tuple(unknown))
    if short == "DbtDag":
        spec = scanner.make_dag(node, scanner.evaluator(scope), scope)
        _build(scanner, node, scope, spec, None)
        return DagRef(spec)
    if short == "DbtTaskGroup":
        ev = scanner.evaluator(scope)
        given = node.args or any(k.arg == "group_id" for k in node.keywords)
        group = scanner.make_group(node, ev, scope) if given else \
            scanner.new_group("dbt_task_group", {k.arg: ev.eval(k.value) for k in node.keywords if k.arg}, node.lineno)
        _build(scanner, node, scope, scanner.current_dag(node, scope), group)
        return group
    return NOT_HANDLED


def _arguments(scanner: StaticScanner, node: ast.Call, scope: dict[str, Any], positional: tuple[str, ...]) -> tuple[dict[str, Any], list[str]]:
    values: dict[str, Any] = {}
    unknown: list[str] = []
    for name, arg in zip(positional, node.args):
        values[name] = _value(scanner, arg, scope)
    for kw in node.keywords:
        if kw.arg is None:
            spread = scanner.value(kw.value, scope)
            if isinstance(spread, dict):
                values.update({k: v for k, v in spread.items() if isinstance(k, str)})
            continue
        values[kw.arg] = _value(scanner, kw.value, scope)
    for name, value in values.items():
        if not isinstance(value, CosmosConfig) and not is_known(value):
            unknown.append(name)
    return values, unknown


def enum_member(qualified: str) -> str | None:
    """``cosmos.constants.TestBehavior.AFTER_ALL`` -> ``after_all`` (each Cosmos enum's values are its members' names,
    lowercased); None for anything else."""
    parts = qualified.split(".")
    if len(parts) >= 3 and parts[0] == "cosmos" and parts[-2] in ENUMS:
        return parts[-1].lower()
    return None


def _value(scanner: StaticScanner, node: ast.expr, scope: dict[str, Any]) -> Any:
    """A Cosmos enum member (``TestBehavior.AFTER_ALL``) as its value; anything else as the interpreter has it."""
    if isinstance(node, ast.Attribute):
        member = enum_member(scanner.evaluator(scope).qualified(node))
        if member is not None:
            return member
    return scanner.value(node, scope)


def _build(scanner: StaticScanner, node: ast.Call, scope: dict[str, Any], dag: Any, group: TaskGroupRef | None) -> None:
    what = "DbtTaskGroup" if group is not None else "DbtDag"
    where = f"{what} ({scanner.where(node.lineno)})"
    values, unknown = _arguments(scanner, node, scope, ())
    project, render_config, execution = (_config(values.get(k), kind) for k, kind in (
        ("project_config", "ProjectConfig"), ("render_config", "RenderConfig"), ("execution_config", "ExecutionConfig")))

    def problem(text: str) -> None:
        scanner.report(f"{where}: {text}: its dbt tasks are not listed", scanner.at(node.lineno))

    if project is None:
        return problem("project_config is not a ProjectConfig(...) known statically")
    if render_config.get("normalize_task_id") is not None:
        return problem("RenderConfig(normalize_task_id=...) names the tasks at parse time")
    options, why = _options(project, render_config, execution)
    if options is None:
        return problem(why)
    folder, manifest, why = _locate(scanner, project, render_config)
    if why:
        return problem(why)
    try:
        graph = from_manifest(manifest) if manifest else from_files(folder, scanner.repo.inside if scanner.repo else lambda p: True)
    except ProjectError as e:
        return problem(str(e))
    if graph.from_files:
        blocked = _needs_manifest(options)
        if blocked:
            return problem(f"{blocked} needs the dbt manifest, which {folder} does not hold (run `dbt parse` there to "
                           "write target/manifest.json, or give ProjectConfig(manifest_path=...))")
    _depends(scanner, graph, folder)
    rendered = render(graph.graph, options, MAX_TASKS, test_names_known=not graph.from_files)
    for text in rendered.problems:
        scanner.report(f"{where}: {text}", scanner.at(node.lineno))
    if isinstance(render_config.get("node_converters"), dict) or "node_converters" in render_config.unknown:
        scanner.report(f"{where}: RenderConfig(node_converters=...) is not applied: converted nodes are read as Cosmos "
                       "renders them by default", scanner.at(node.lineno))
    common = _common_args(project, values, unknown)
    line = node.lineno if scanner.ctx is scanner.main else scanner.site_line
    full = (lambda rel: group.child_id(rel)) if group is not None else (lambda rel: rel)
    for item in rendered.tasks:
        task = TaskSpec(dag_id=dag.dag_id if dag else "", task_id=full(item.task_id), operator=item.operator,
                        file=scanner.path, line=line)
        empty = item.operator == "EmptyOperator"  # Cosmos gives its placeholders none of the dbt arguments
        task.args = {**merged_defaults(dag, group), **({} if empty else common["args"]), **item.args}
        task.unknown_args = [] if empty else list(common["unknown"])
        task.upstream = [full(u) for u in item.upstream]
        owner = task.args.get("owner")
        task.owner = str(owner) if isinstance(owner, str) and owner else None
        scanner.register(task, dag, group, node)


def _config(value: Any, kind: str) -> Any:
    if isinstance(value, CosmosConfig) and value.kind == kind:
        return value
    return None if kind == "ProjectConfig" else CosmosConfig(kind)


def _options(project: CosmosConfig, render_config: CosmosConfig, execution: CosmosConfig) -> tuple[RenderOptions | None, str]:
    for config in (project, render_config, execution):
        blocking = [n for n in config.unknown if n in _SHAPING]
        if blocking:
            return None, f"{config.kind}({', '.join(f'{n}=' for n in blocking)}...) is not known statically"
    behaviour = render_config.get("test_behavior", "after_each")
    mode = execution.get("execution_mode", "local")
    if behaviour not in TEST_BEHAVIOURS:
        return None, f"test_behavior {behaviour!r} is not one overlay reads"
    if mode not in EXECUTION_MODES:
        return None, f"ExecutionMode.{str(mode).upper()} builds tasks of its own (a producer and watchers): not read"
    path = render_config.get("dbt_project_path") or project.get("dbt_project_path")
    name = PurePosixPath(str(path)).stem if path else project.get("project_name")
    if not isinstance(name, str) or not name:
        return None, "the dbt project's name is not known (ProjectConfig(project_name=...) or dbt_project_path=)"
    return RenderOptions(
        project_name=name, test_behavior=behaviour, select=_words(render_config.get("select")),
        exclude=_words(render_config.get("exclude")), selector=render_config.get("selector"), execution_mode=mode,
        group_nodes_by_folder=render_config.get("group_nodes_by_folder") is True,
        detach_multiple_parents_tests=render_config.get("should_detach_multiple_parents_tests") is True,
        ephemeral_as_empty=render_config.get("ephemeral_models_as_empty_operator", True) is not False,
        seed_rendering=render_config.get("seed_rendering_behavior", "always"),
        source_rendering=render_config.get("source_rendering_behavior", "none"),
        source_pruning=render_config.get("source_pruning") is True), ""


# arguments that decide which tasks there are and how they are named: not knowing one lists nothing
_SHAPING = frozenset({"dbt_project_path", "manifest_path", "project_name", "test_behavior", "select", "exclude", "selector",
                      "execution_mode", "group_nodes_by_folder", "should_detach_multiple_parents_tests", "load_method",
                      "ephemeral_models_as_empty_operator", "seed_rendering_behavior", "source_rendering_behavior",
                      "source_pruning"})


def _words(value: Any) -> tuple[str, ...]:
    items = [value] if isinstance(value, str) else value if isinstance(value, (list, tuple)) else []
    return tuple(str(i) for i in items if isinstance(i, str) and i.strip())


def _locate(scanner: StaticScanner, project: CosmosConfig, render_config: CosmosConfig) -> tuple[str, str | None, str]:
    """(the project folder in the repository, the manifest to read or None, why not when neither is found)."""
    repo = scanner.repo
    if repo is None:
        return "", None, "no repository to read the dbt project from"
    policy = ReadPolicy.for_folders([str(repo.dag_folder)], remaps=getattr(repo, "path_remaps", None) or {})
    written = render_config.get("dbt_project_path") or project.get("dbt_project_path")
    folder = _find(policy, repo, scanner.path, written, True) if written else None
    manifest_written = project.get("manifest_path")
    manifest = _find(policy, repo, scanner.path, manifest_written, False) if manifest_written else None
    if manifest is None and folder and os.path.isfile(os.path.join(folder, "target", "manifest.json")):
        manifest = os.path.join(folder, "target", "manifest.json")
    if manifest is None and folder is None:
        named = written or manifest_written
        return "", None, (f"dbt project {named} is not in the repository (set `paths:` in overlay.yaml to map it)"
                          if named else "ProjectConfig names no dbt_project_path or manifest_path")
    return folder or "", manifest, ""


def _find(policy: ReadPolicy, repo: Any, dag_file: str, written: Any, folder: bool) -> str | None:
    text = str(written)
    if not os.path.isabs(text):
        bases = [os.path.dirname(dag_file), str(repo.root), str(repo.dag_folder)]
        text = next((os.path.join(b, text) for b in bases if os.path.exists(os.path.join(b, text))), os.path.join(bases[0], text))
    found = policy.locate(text, want_dir=folder)
    return found.path if found is not None and repo.inside(found.path) else None


def _needs_manifest(options: RenderOptions) -> str | None:
    blocked = file_selectable(options.select, options.exclude, options.selector)
    if blocked:
        return blocked
    if options.source_rendering != "none":
        return "source_rendering_behavior"
    return None


def _depends(scanner: StaticScanner, graph: FileGraph, folder: str) -> None:
    """What the listing was read from, so a changed manifest or dbt_project.yml re-reads the DAG file."""
    for path in (graph.source if not graph.from_files else None, os.path.join(folder, "dbt_project.yml") if folder else None):
        if path and os.path.isfile(path) and path not in scanner.inputs:
            scanner.inputs.append(path)
    expected = os.path.join(folder, "target", "manifest.json") if folder and graph.from_files else None
    if expected and expected not in scanner.inputs:  # not there yet: once `dbt parse` writes it, the file is read again
        scanner.inputs.append(expected)


def _common_args(project: CosmosConfig, values: dict[str, Any], unknown: list[str]) -> dict[str, Any]:
    """What every task of the call is given: operator_args, the project folder and the manifest as written."""
    args: dict[str, Any] = {}
    missing: list[str] = []
    operator_args = values.get("operator_args")
    if isinstance(operator_args, dict):
        for key, value in operator_args.items():
            if isinstance(key, str) and is_known(value) and is_data(value):
                args[key] = plain(value)
            elif isinstance(key, str):
                missing.append(key)
    elif "operator_args" in unknown:
        missing.append("operator_args")
    for name, arg in (("dbt_project_path", "project_dir"), ("manifest_path", "manifest_filepath")):
        value = project.get(name)
        if isinstance(value, (str, PurePosixPath)):
            args[arg] = str(value)
    profile = values.get("profile_config")
    if isinstance(profile, CosmosConfig) and profile.kind == "ProfileConfig":  # the target names the relations without a manifest
        known: dict[str, Any] = {k: str(v) for k, v in profile.values.items() if k in _PROFILE_FIELDS and isinstance(v, (str, PurePosixPath))}
        mapping = profile.values.get("profile_mapping")
        if isinstance(mapping, CosmosConfig) and isinstance(mapping.get("conn_id"), str) and "profile_args" not in mapping.unknown:
            profile_args = mapping.get("profile_args")
            known["profile_mapping"] = {"class": mapping.kind, "conn_id": mapping.get("conn_id"),
                                        "profile_args": {k: plain(v) for k, v in profile_args.items() if isinstance(k, str) and is_known(v)
                                                         and is_data(v)} if isinstance(profile_args, dict) else {}}
        elif mapping is not None or "profile_mapping" in profile.unknown:
            known["profile_mapping"] = {}  # built from an Airflow connection not known statically
        args["profile_config"] = known
        missing.extend(f"profile_config.{k}" for k in profile.unknown if k in _PROFILE_FIELDS)
    return {"args": args, "unknown": missing}


_PROFILE_FIELDS = ("profile_name", "target_name", "profiles_yml_filepath")
