"""dbt commands (``dbt run|build|seed|snapshot --select ...``) resolved through ``target/manifest.json``.

Each selected model, seed or snapshot writes its relation and reads its parents' relations
(looking through ephemeral models, which are CTEs); sources are read. The manifest's
``metadata.adapter_type`` gives the dialect. Selection itself is in ``dbt_select.py``.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from collections.abc import Callable
from typing import Any

from overlay.extract.dbt.select import Graph, SelectionError, select
from overlay.extract.dbt.files import file_selectable

RUNNABLE = {"run": {"model"}, "build": {"model", "seed", "snapshot"}, "seed": {"seed"}, "snapshot": {"snapshot"}}
NOT_KNOWN = {"run-operation": "runs a macro; the tables it touches are not known",
             "retry": "re-runs the nodes that failed in the previous invocation, which overlay cannot know",
             "clone": "clones nodes selected by state, which overlay cannot know"}
NO_TABLES = frozenset({"test", "compile", "docs", "deps", "debug", "parse", "clean", "ls", "list", "source", "init", "show"})
COMMANDS = frozenset(RUNNABLE) | frozenset(NOT_KNOWN) | NO_TABLES
ADAPTER_DIALECTS = {"postgres": "postgres", "snowflake": "snowflake", "bigquery": "bigquery", "redshift": "redshift",
                    "databricks": "databricks", "spark": "spark", "duckdb": "duckdb", "trino": "trino", "sqlserver": "tsql",
                    "fabric": "tsql", "synapse": "tsql", "mysql": "mysql", "clickhouse": "clickhouse", "athena": "athena",
                    "oracle": "oracle", "teradata": "teradata", "exasol": "exasol", "materialize": "materialize",
                    "glue": "spark", "starrocks": "starrocks", "doris": "doris", "sqlite": "sqlite"}
_SELECT = {"s": "select", "select": "select", "m": "select", "models": "select", "model": "select", "exclude": "exclude"}
_VALUED = frozenset({"project-dir", "profiles-dir", "target", "t", "vars", "threads", "target-path", "log-path", "state",
                     "defer-state", "selector", "profile", "log-level", "log-format", "resource-type", "resource-types",
                     "exclude-resource-type", "exclude-resource-types", "output", "o", "output-keys", "packages-install-path"})


class DbtError(ValueError):
    pass


@dataclass
class Manifest:
    path: str
    graph: Graph
    adapter: str | None
    from_files: bool = False  # read from the project's files and the dbt target (dbt_naming), not a manifest.json
    files: list[str] = field(default_factory=list)  # what such names were read from (profiles.yml, macros, dbt_project.yml)


class ManifestCache:
    """Parsed manifests by path, reloaded when the file changes."""

    def __init__(self) -> None:
        self._items: dict[str, tuple[float, Manifest]] = {}
        self.named: dict[str, Manifest | DbtError] = {}  # projects read from their files, by project and target (one scan)

    def load(self, path: str, read: Callable[[str], str] | None = None) -> Manifest:
        """``read``: how to read the file's text (extraction's read policy); a plain read when not given."""
        mtime = os.path.getmtime(path)
        cached = self._items.get(path)
        if cached is None or cached[0] != mtime:
            cached = (mtime, _parse_manifest(path, read))
            self._items[path] = cached
        return cached[1]


def _parse_manifest(path: str, read: Callable[[str], str] | None = None) -> Manifest:
    if read is not None:
        data = json.loads(read(path))
    else:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    nodes = {**(data.get("nodes") or {}), **(data.get("sources") or {})}
    metadata = data.get("metadata") or {}
    return Manifest(path, Graph.build(nodes, data.get("selectors") or {}), metadata.get("adapter_type"))


@dataclass
class DbtModelIO:
    unique_id: str
    writes: str | None  # relation name as dbt renders it, e.g. "analytics"."marts"."revenue"; None: not known (problems)
    reads: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # what of this model is not known (a name, a package's ref)
    files: list[str] = field(default_factory=list)  # the project files it was read from (a graph read from files)


@dataclass
class DbtInvocation:
    manifest_path: str
    dialect: str | None
    models: list[DbtModelIO]
    ephemeral: list[str] = field(default_factory=list)  # selected ephemeral models: CTEs of others, no relation built
    files: list[str] = field(default_factory=list)  # a graph read from files: the project files its names come from


@dataclass
class DbtArgs:
    verb: str | None
    options: dict[str, list[str]]

    def first(self, name: str) -> str | None:
        values = self.options.get(name)
        return values[-1] if values else None


def parse_args(argv: list[str]) -> DbtArgs:
    """dbt's command line: the subcommand and every option's values (``--select a b``, ``-s=a``, repeated)."""
    verb: str | None = None
    options: dict[str, list[str]] = {}
    current: str | None = None
    multi = False
    for arg in argv[1:]:
        if arg.startswith("-") and len(arg) > 1:
            name, has_value, value = arg.lstrip("-").partition("=")
            name = _SELECT.get(name, name)
            multi = name in ("select", "exclude")
            current = name if (multi or name in _VALUED) and not has_value else None
            options.setdefault(name, [])
            if has_value:
                options[name].append(value)
        elif current is not None:
            options[current].append(arg)
            current = current if multi else None
        elif verb is None and arg in COMMANDS:
            verb = arg
    return DbtArgs(verb, options)


def resolve_dbt(argv: list[str], cwd: str | None, default_project: str | None = None,
                cache: ManifestCache | None = None, env: dict[str, str] | None = None,
                read: Callable[[str], str] | None = None, manifest_file: str | None = None,
                environment: dict[str, str] | None = None, inside: Callable[[str], bool] | None = None,
                mapping: dict[str, Any] | None = None, target_unknown: str | None = None) -> DbtInvocation | None:
    """The models a dbt command builds; None for commands that build nothing (test, docs, deps...).
    ``manifest_file``: the manifest to read instead of the project's ``target/manifest.json`` (Cosmos's ``manifest_path``).
    Without a manifest the project's files are read and named for the command's target (``dbt_naming``):
    ``environment`` is overlay.yaml's ``environment:`` (None: not given), ``inside`` whether a path may be read,
    ``mapping`` a Cosmos profile mapping (the target built from an Airflow connection, ``dbt_naming.mapping_target``),
    ``target_unknown`` why the caller cannot know the target (``ProfileConfig(target_name=)`` not known statically)."""
    args = parse_args(argv)
    if args.verb in NOT_KNOWN:
        raise DbtError(f"dbt {args.verb} {NOT_KNOWN[args.verb]}")
    if args.verb not in RUNNABLE:
        return None
    env = env or {}
    project = args.first("project-dir") or env.get("DBT_PROJECT_DIR") or cwd or default_project \
        or (os.path.dirname(os.path.dirname(manifest_file)) if manifest_file else None)
    if not project:
        raise DbtError(f"dbt {args.verb} without --project-dir and no known working folder: its project is not known")
    if cwd and not os.path.isabs(project):
        project = os.path.join(cwd, project)
    project = os.path.normpath(project)
    target = args.first("target-path") or env.get("DBT_TARGET_PATH") or "target"
    try:
        manifest = load_manifest(os.path.normpath(os.path.join(project, target)), cache or ManifestCache(), read, manifest_file, project)
    except DbtError as missing:
        if "manifest not found" not in str(missing) or not os.path.isfile(os.path.join(project, "dbt_project.yml")):
            raise
        manifest = _from_files(project, args, env, environment, inside, missing, cache, mapping, target_unknown)
    selection = (args.options.get("select", []), args.options.get("exclude", []), args.first("selector"))
    if manifest.from_files:
        blocked = file_selectable(*selection)
        if blocked:
            raise DbtError(f"{blocked} needs the dbt manifest, which {project} does not hold (run `dbt parse` there)")
    try:
        chosen = select(manifest.graph, *selection)
    except SelectionError as e:
        raise DbtError(f"{e} (in {manifest.path})") from e
    kinds = RUNNABLE[args.verb]
    wanted = {t for v in args.options.get("resource-type", []) + args.options.get("resource-types", []) for t in v.split()}
    kinds = kinds & wanted if wanted else kinds
    built = [uid for uid in sorted(chosen) if manifest.graph.nodes[uid].get("resource_type") in kinds]
    models = [_model_io(manifest.graph, uid, project if manifest.from_files else None) for uid in built]
    ephemeral = [uid for uid in built if _is_ephemeral(manifest.graph.nodes[uid])]
    return DbtInvocation(manifest.path, dialect_of(manifest.adapter), [m for m in models if m], ephemeral, manifest.files)


def _from_files(project: str, args: DbtArgs, env: dict[str, str], environment: dict[str, str] | None,
                inside: Callable[[str], bool] | None, missing: DbtError, cache: ManifestCache | None,
                mapping: dict[str, Any] | None = None, target_unknown: str | None = None) -> Manifest:
    """The project's graph read from its files and named for the command's target, when that target is known."""
    from overlay.extract.dbt.files import ProjectError
    from overlay.extract.dbt.naming import NameUnknown, TargetSpec, find_profiles, named_project

    deployment = environment or {}
    target = args.first("target") or env.get("DBT_TARGET") or deployment.get("DBT_TARGET")
    profiles, unknown = find_profiles(project, args.first("profiles-dir"), {**deployment, **env}) if mapping is None else (None, None)
    if target is None and not environment and mapping is None:  # dbt reads DBT_TARGET on the worker: unknown, not the default
        unknown = ("the dbt target is the profile's default unless DBT_TARGET is set where the task runs: give `environment:` "
                   "in overlay.yaml (with DBT_TARGET if the deployment sets it), or --target")
    spec = TargetSpec(profile=args.first("profile") or env.get("DBT_PROFILE") or deployment.get("DBT_PROFILE"), target=target,
                      profiles_file=profiles, vars=_vars(args.first("vars")), environment=environment, mapping=mapping,
                      unknown=target_unknown or unknown)
    key = json.dumps([project, spec.profile, spec.target, spec.profiles_file, spec.vars, spec.environment, spec.mapping, spec.unknown],
                     sort_keys=True, default=str)
    found = cache.named.get(key) if cache is not None else None
    if found is None:  # a project read once per scan and process, whatever number of tasks run it
        try:
            named = named_project(project, spec, inside or (lambda p: True))
            found = Manifest(project, named.graph, named.adapter, from_files=True, files=named.files)
        except (NameUnknown, ProjectError) as e:
            found = DbtError(f"{missing}; reading the project's files instead: {e}")
        if cache is not None:
            cache.named[key] = found
    if isinstance(found, DbtError):
        raise found
    return found


def _vars(text: str | None) -> dict[str, Any]:
    """``--vars '{key: value}'`` (YAML); anything else gives no variables."""
    if not text:
        return {}
    import yaml

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        return {}
    return data if isinstance(data, dict) else {}


def dialect_of(adapter: str | None) -> str | None:
    """The SQL dialect of a manifest's ``metadata.adapter_type``."""
    return ADAPTER_DIALECTS.get((adapter or "").lower())


def load_manifest(target_dir: str, cache: ManifestCache, read: Callable[[str], str] | None = None,
                  manifest_file: str | None = None, project: str | None = None) -> Manifest:
    path = manifest_file or os.path.join(target_dir, "manifest.json")
    if not os.path.isfile(path):
        where = f" in {project}" if project else ""
        raise DbtError(f"dbt manifest not found at {path} (run `dbt parse` or `dbt compile`{where} to create it)")
    try:
        return cache.load(path, read)
    except PermissionError as e:
        raise DbtError(f"dbt manifest: {e.strerror}") from e
    except (OSError, ValueError) as e:
        raise DbtError(f"dbt manifest at {path} cannot be read: {e}") from e


def _model_io(graph: Graph, uid: str, project: str | None = None) -> DbtModelIO | None:
    """What a built node writes and reads; ``project``: the graph was read from that project's files, whose
    unknowns (a name, a package's or a dynamic ref) are the model's problems."""
    node = graph.nodes[uid]
    if _is_ephemeral(node):
        return None
    relation = relation_of(node)
    if project is None:
        return DbtModelIO(uid, relation, _parent_relations(graph, uid, set())) if relation else None
    parents_problems: list[str] = []
    parents_files: list[str] = []
    reads = _parent_relations(graph, uid, set(), parents_problems, parents_files)
    own = [node["relation_problem"]] if node.get("relation_problem") else []
    problems = [*own, *(f"{node.get('name')}: {u}" for u in node.get("unresolved") or []), *parents_problems]
    files = [node.get("original_file_path") or "", *node.get("property_files", []), *parents_files]
    paths = [os.path.join(project, f) for f in files if f] + list(node.get("macro_files") or [])
    return DbtModelIO(uid, relation, reads, list(dict.fromkeys(problems)), list(dict.fromkeys(paths)))


def relation_of(node: dict[str, Any]) -> str | None:
    """``relation_name`` as dbt rendered it, else database.schema.alias."""
    if node.get("relation_problem"):
        return None
    if node.get("relation_name"):
        return str(node["relation_name"])
    parts = [node.get("database"), node.get("schema"), node.get("alias") or node.get("identifier") or node.get("name")]
    return ".".join(str(p) for p in parts if p) if parts[-1] else None


def _is_ephemeral(node: dict[str, Any]) -> bool:
    return (node.get("config") or {}).get("materialized") == "ephemeral"


def _parent_relations(graph: Graph, uid: str, seen: set[str], problems: list[str] | None = None,
                      files: list[str] | None = None) -> list[str]:
    """The relations a node reads (through ephemeral models); ``problems`` hears of parents whose names are not known."""
    relations: list[str] = []
    for parent in graph.parents.get(uid, []):
        if parent in seen:
            continue
        seen.add(parent)
        node = graph.nodes[parent]
        if node.get("resource_type") in ("test", "operation", "analysis", "unit_test"):
            continue
        if problems is not None:
            if node.get("relation_problem") and not _is_ephemeral(node):
                problems.append(f"reads {node['relation_problem']}")
            if _is_ephemeral(node):
                problems.extend(f"{node.get('name')}: {u}" for u in node.get("unresolved") or [])
        if files is not None and node.get("original_file_path"):
            files.append(str(node["original_file_path"]))
        found = _parent_relations(graph, parent, seen, problems, files) if _is_ephemeral(node) else [relation_of(node)]
        relations.extend(r for r in found if r and r not in relations)
    return relations
