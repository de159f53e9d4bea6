"""dag-factory: YAML files whose top-level keys are DAG ids, each with its ``tasks``.

``tasks`` is a list (each item has ``task_id``) or a mapping ``task_id -> spec``; a spec has ``operator`` (a
dotted path) or ``decorator`` (TaskFlow), ``dependencies`` (task ids or task group names) and the operator's
arguments. ``task_groups`` (list with ``group_name`` or mapping) nest through ``parent_group_name``; a task
joins one with ``task_group_name`` and its id becomes ``group.task`` as Airflow's TaskGroup names it
(unless the group sets ``prefix_group_id: false``). The file's ``default`` block, and ``defaults.yml`` files
in its folder and the folders above it (up to the scanned folder), are merged under each DAG, the nearest
winning, with ``default_args`` merged key by key. ``partial`` arguments are the task's; ``expand`` ones are
known only at run time.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from overlay.discover.yaml_dags.common import (
    Classes, DagSource, Lister, load_yaml, operator_name, owners_of, plain, read_text, schedule_of, tags_of, yaml_problem,
)
from overlay.model import DagSpec, FileError, TaskSpec

SUFFIXES = (".yml", ".yaml")
DEFAULTS = ("defaults.yml", "defaults.yaml")
FACTORY_KEYS = {"operator", "decorator", "dependencies", "task_group_name", "task_id", "python_callable_name",
                "python_callable_file", "partial", "expand"}


def find(folder: Path, files: list[Path], lister: Lister) -> list[DagSource]:
    sources = []
    names = set(files)
    for path in files:
        if path.suffix not in SUFFIXES or path.name in DEFAULTS:
            continue
        data = _load(path)
        if (isinstance(data, dict) and any(_is_dag(k, v) for k, v in data.items())) or data is _BROKEN:
            defaults = tuple(d for d in _defaults_files(path, folder) if d in names)
            sources.append(DagSource(path, (path, *defaults)))
    return sources


_BROKEN = object()  # not valid YAML, but shaped like a DAG spec: read() reports where it breaks
_TASKS_LINE = re.compile(r"^[ \t]+tasks[ \t]*:", re.M)


def _load(path: Path) -> Any:
    text = read_text(path)
    if text is None or "tasks" not in text:
        return None
    try:
        return load_yaml(text)
    except (yaml.YAMLError, RecursionError, ValueError):  # RecursionError: nesting deeper than the parser goes
        return _BROKEN if _TASKS_LINE.search(text) else None


def _is_dag(key: Any, value: Any) -> bool:
    if key == "default" or not isinstance(value, dict):
        return False
    tasks = value.get("tasks")
    specs = tasks.values() if isinstance(tasks, dict) else tasks if isinstance(tasks, list) else []
    return any(isinstance(s, dict) and ("operator" in s or "decorator" in s) for s in specs)


def _defaults_files(path: Path, folder: Path) -> list[Path]:
    """defaults.yml beside the file and in every folder above it, up to the scanned folder; nearest first."""
    found, here = [], path.parent
    while True:
        found.extend(here / name for name in DEFAULTS if (here / name).is_file())
        if here == folder or folder not in here.parents:
            return found
        here = here.parent


def read(source: DagSource, classes: Classes | None = None) -> tuple[list[DagSpec], list[FileError]]:
    path = source.path
    text = read_text(path) or ""
    errors: list[FileError] = []
    try:
        data = load_yaml(text)
    except yaml.YAMLError as e:
        problem, line = yaml_problem(e)
        return [], [FileError(str(path), f"dag-factory: not valid YAML: {problem}", line)]
    except RecursionError:
        return [], [FileError(str(path), "dag-factory: YAML nested too deeply to read")]
    if not isinstance(data, dict):
        return [], [FileError(str(path), "dag-factory: expected a mapping of DAG ids at the top level")]
    base: dict[str, Any] = {}
    for defaults in reversed(source.files[1:]):  # farthest first, nearest last
        loaded = _load_defaults(defaults, errors)
        base = _merge(base, loaded.get("default", loaded) if isinstance(loaded.get("default"), dict) else loaded)
    if isinstance(data.get("default"), dict):
        base = _merge(base, data["default"])
    dags = []
    for dag_id, conf in data.items():
        if not _is_dag(dag_id, conf):
            continue
        dags.append(_dag(str(dag_id), _merge(base, conf), path, text, errors, classes))
    return dags, errors


def _load_defaults(path: Path, errors: list[FileError]) -> dict[str, Any]:
    try:
        data = load_yaml(read_text(path) or "")
    except yaml.YAMLError as e:
        problem, line = yaml_problem(e)
        errors.append(FileError(str(path), f"dag-factory: defaults file is not valid YAML: {problem}", line))
        return {}
    return data if isinstance(data, dict) else {}


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in over.items():
        if key == "default_args" and isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = {**merged[key], **value}
        else:
            merged[key] = value
    return merged


def _dag(dag_id: str, conf: dict[str, Any], path: Path, text: str, errors: list[FileError],
         classes: Classes | None = None) -> DagSpec:
    default_args = plain(conf.get("default_args")) if isinstance(conf.get("default_args"), dict) else {}
    searchpath = conf.get("template_searchpath") or []
    searchpath = [searchpath] if isinstance(searchpath, str) else [str(p) for p in searchpath if isinstance(p, str)]
    dag = DagSpec(dag_id=dag_id, file=str(path), line=_line(text, rf"^{re.escape(dag_id)}\s*:"), mode="static",
                  owners=owners_of(default_args), tags=tags_of(conf), schedule=schedule_of(conf), default_args=default_args,
                  params=plain(conf.get("params")) if isinstance(conf.get("params"), dict) else {},
                  template_searchpath=[str((path.parent / p).resolve()) for p in searchpath],
                  user_defined_macros=plain(conf.get("user_defined_macros")) if isinstance(conf.get("user_defined_macros"), dict) else {})
    prefixes = _group_prefixes(conf.get("task_groups"), path, errors)
    specs = _task_specs(conf.get("tasks"))
    ids: dict[str, str] = {}
    members: dict[str, list[str]] = {}
    for task_id, spec in specs:
        group = spec.get("task_group_name")
        full = prefixes.get(str(group), "") + task_id if group else task_id
        if group and str(group) not in prefixes:
            errors.append(FileError(str(path), f"dag-factory: task {task_id!r} names task group {group!r}, which DAG {dag_id!r} does not define"))
        ids[task_id] = full
        for name in _group_chain(str(group), conf.get("task_groups")) if group else []:
            members.setdefault(name, []).append(full)
    for task_id, spec in specs:
        task = _task(dag, ids[task_id], spec, default_args, path, text, errors)
        if task is None:
            continue
        if classes is not None and "decorator" not in spec:
            classes.apply(task, spec.get("operator"))
        deps = spec.get("dependencies") or []
        for dep in deps if isinstance(deps, list) else [deps]:
            if str(dep) in ids:
                task.upstream.append(ids[str(dep)])
            elif str(dep) in members:
                task.upstream.extend(members[str(dep)])
            else:
                errors.append(FileError(str(path), f"dag-factory: task {task_id!r} depends on {dep!r}, which is not a task or group of DAG {dag_id!r}",
                                        task.line))
        task.upstream = sorted(set(task.upstream))
        dag.tasks.append(task)
    return dag


def _task_specs(tasks: Any) -> list[tuple[str, dict[str, Any]]]:
    if isinstance(tasks, dict):
        return [(str(k), v) for k, v in tasks.items() if isinstance(v, dict)]
    if isinstance(tasks, list):
        return [(str(t["task_id"]), t) for t in tasks if isinstance(t, dict) and t.get("task_id")]
    return []


def _groups(raw: Any) -> dict[str, dict[str, Any]]:
    if isinstance(raw, dict):
        return {str(k): v for k, v in raw.items() if isinstance(v, dict)}
    if isinstance(raw, list):
        return {str(g["group_name"]): g for g in raw if isinstance(g, dict) and g.get("group_name")}
    return {}


def _group_prefixes(raw: Any, path: Path, errors: list[FileError]) -> dict[str, str]:
    groups = _groups(raw)
    prefixes: dict[str, str] = {}

    def prefix(name: str, seen: tuple[str, ...] = ()) -> str:
        if name in prefixes:
            return prefixes[name]
        conf = groups.get(name, {})
        parent = conf.get("parent_group_name")
        if parent is not None and (str(parent) in seen or str(parent) not in groups):
            errors.append(FileError(str(path), f"dag-factory: task group {name!r} has parent {parent!r}, which is unknown or a cycle"))
            parent = None
        own = f"{name}." if conf.get("prefix_group_id", True) is not False else ""
        prefixes[name] = (prefix(str(parent), (*seen, name)) if parent is not None else "") + own
        return prefixes[name]

    for name in groups:
        prefix(name)
    return prefixes


def _group_chain(name: str, raw: Any) -> list[str]:
    groups, chain = _groups(raw), []
    while name in groups and name not in chain:
        chain.append(name)
        parent = groups[name].get("parent_group_name")
        if parent is None:
            break
        name = str(parent)
    return chain


def _task(dag: DagSpec, task_id: str, spec: dict[str, Any], default_args: dict[str, Any], path: Path, text: str,
          errors: list[FileError]) -> TaskSpec | None:
    bare = task_id.rsplit(".", 1)[-1]
    line = _line(text, rf"^\s*(?:-\s*)?task_id\s*:\s*['\"]?{re.escape(bare)}['\"]?\s*$") or _line(text, rf"^\s+{re.escape(bare)}\s*:\s*$")
    if "decorator" in spec:
        operator = "@task"
    else:
        operator = operator_name(spec.get("operator"))
    if operator is None:
        errors.append(FileError(str(path), f"dag-factory: task {task_id!r} names no `operator` or `decorator`", line))
        return None
    own = {k: plain(v) for k, v in spec.items() if k not in FACTORY_KEYS}
    partial = spec.get("partial") if isinstance(spec.get("partial"), dict) else {}
    args = {**default_args, **{k: plain(v) for k, v in partial.items()}, **own}
    expand = spec.get("expand") if isinstance(spec.get("expand"), dict) else {}
    for key in expand:
        args.pop(str(key), None)
    task = TaskSpec(dag_id=dag.dag_id, task_id=task_id, operator=operator, file=str(path), line=line,
                    owner=str(args["owner"]) if args.get("owner") else None, args=args, unknown_args=sorted(str(k) for k in expand))
    name = spec.get("python_callable_name")
    if name:
        task.callable_name = str(name)
    return task


def _line(text: str, pattern: str) -> int | None:
    match = re.search(pattern, text, re.M)
    return text[: match.start()].count("\n") + 1 if match else None
