"""gusty: one folder per DAG, one file per task, subfolders as task groups.

A DAG folder holds ``METADATA.yml`` (the DAG's arguments: ``default_args``, ``schedule_interval``, ``tags``,
``external_dependencies``, ``root_tasks``, ``leaf_tasks``, ``latest_only``...) and task files: ``.yml``/``.yaml`` (the task spec is the
file), ``.sql`` (YAML front matter between ``---`` lines, the body is the task's ``sql``), ``.py`` (front
matter in a ``# ---`` comment block; without one the file runs as a PythonOperator), ``.ipynb`` and ``.Rmd``
(front matter, no SQL). The task id is the file name without its suffix; ``operator`` is a dotted path
(``local.X`` for the repository's own operators); ``dependencies`` name tasks or groups of the same DAG;
``external_dependencies`` (``- other_dag: task`` or ``- other_dag: all``) become sensor tasks
``wait_for_<task>`` / ``wait_for_DAG_<dag>`` upstream of the task. A subfolder is a task group; its own
``METADATA.yml`` may set ``prefix_group_id: True`` (task ids become ``group.task``).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from overlay.discover.yaml_dags.common import (
    Classes, DagSource, Lister, front_matter, load_yaml, operator_name, owners_of, plain, read_text, schedule_of, tags_of, yaml_problem,
)
from overlay.model import DagSpec, FileError, TaskSpec

METADATA = ("METADATA.yml", "METADATA.yaml")
TASK_SUFFIXES = (".yml", ".yaml", ".sql", ".py", ".ipynb", ".Rmd")
SUFFIXES = TASK_SUFFIXES
PYTHON_OPERATOR = "airflow.operators.python.PythonOperator"  # what a .py task file runs unless its front matter says
GUSTY_KEYS = {"operator", "dependencies", "external_dependencies", "description", "fields", "python_callable"}


def find(folder: Path, files: list[Path], lister: Lister) -> list[DagSource]:
    """Folders with a METADATA.yml (the topmost one on each path); also direct subfolders whose own task
    files declare an ``operator``. Only those folders' task files are listed (a folder of 2,000 ``.sql``
    files that is no gusty DAG costs nothing)."""
    with_metadata = {p.parent for p in files if p.name in METADATA}
    roots = sorted(d for d in with_metadata if not any(a in with_metadata for a in d.parents if a == folder or folder in a.parents))
    for child in _direct_children(folder):
        if child in with_metadata or any(r == child or r in child.parents for r in roots):
            continue
        if any(_declares_operator(p) for p in _own_files(child)):
            roots.append(child)
    sources = []
    for root in sorted(roots):
        members = tuple(sorted(lister(root, TASK_SUFFIXES)))
        metadata = next((root / m for m in METADATA if (root / m) in members), None)
        sources.append(DagSource(metadata or root, members))
    return sources


def _own_files(folder: Path) -> list[Path]:
    """A folder's own spec files (no subfolders, no links): enough to tell a gusty DAG folder without METADATA."""
    try:
        return sorted(Path(e.path) for e in os.scandir(folder)
                      if e.name.endswith((".yml", ".yaml", ".sql")) and e.is_file(follow_symlinks=False))
    except OSError:
        return []


def _direct_children(folder: Path) -> list[Path]:
    try:
        return sorted(Path(e.path) for e in os.scandir(folder) if e.is_dir(follow_symlinks=False) and not e.name.startswith((".", "__")))
    except OSError:
        return []


def _declares_operator(path: Path) -> bool:
    if path.suffix not in (".yml", ".yaml", ".sql"):
        return False
    text = read_text(path) or ""
    try:
        spec = load_yaml(text) if path.suffix != ".sql" else front_matter(text)[0]
    except (yaml.YAMLError, RecursionError, ValueError):
        return False
    return isinstance(spec, dict) and "operator" in spec


@dataclass
class _Group:
    name: str | None  # None for the DAG itself
    prefix: str  # prefix every task id of this group gets ("" or "a.b.")
    task_ids: list[str] = field(default_factory=list)


def read(source: DagSource, classes: Classes | None = None) -> tuple[list[DagSpec], list[FileError]]:
    root = source.path if source.path.is_dir() else source.path.parent
    errors: list[FileError] = []
    allowed = set(source.files)  # what discovery listed (inside the repository): nothing else is opened
    metadata = _metadata(root, errors, allowed)
    dag_id = str(metadata.get("dag_id") or root.name)
    default_args = plain(metadata.get("default_args")) if isinstance(metadata.get("default_args"), dict) else {}
    dag = DagSpec(dag_id=dag_id, file=str(source.path), line=1, mode="static", owners=owners_of(default_args),
                  tags=tags_of(metadata), schedule=schedule_of(metadata), default_args=default_args,
                  params=plain(metadata.get("params")) if isinstance(metadata.get("params"), dict) else {},
                  user_defined_macros=plain(metadata.get("user_defined_macros")) if isinstance(metadata.get("user_defined_macros"), dict) else {})
    groups: dict[Path, _Group] = {root: _Group(None, "")}
    pending: list[tuple[TaskSpec, _Group, list[str], Any]] = []
    for path in source.files:
        if path.name in METADATA:
            continue
        group = _group_of(path.parent, root, groups, errors, allowed)
        task, deps, external = _task(path, dag, group, default_args, errors, classes)
        if task is not None:
            group.task_ids.append(task.task_id)
            for ancestor in _ancestors(path.parent, root, groups):
                if ancestor is not group:
                    ancestor.task_ids.append(task.task_id)
            pending.append((task, group, deps, external))
    by_name = _names(pending, groups)
    sensors: dict[str, TaskSpec] = {}
    for task, group, deps, external in pending:
        upstream = [tid for name in deps for tid in by_name.get(str(name), []) if tid != task.task_id]
        for name in deps:
            if str(name) not in by_name:
                errors.append(FileError(task.file, f"gusty: task {task.task_id!r} depends on {name!r}, which is not a task or group of DAG {dag_id!r}", 1))
        upstream += [_sensor(dep, dag, sensors, task.file) for dep in _external(external, task.file, errors)]
        task.upstream = sorted(set(upstream))
        dag.tasks.append(task)
    roots = [t for t in dag.tasks if not t.upstream]
    for dep in _external(metadata.get("external_dependencies"), str(source.path), errors):
        sensor = _sensor(dep, dag, sensors, str(source.path))
        for task in roots:
            task.upstream = sorted({*task.upstream, sensor})
    _edges_to_all(dag.tasks, metadata.get("root_tasks"), upstream_of_others=True)
    _edges_to_all(dag.tasks, metadata.get("leaf_tasks"), upstream_of_others=False)
    if metadata.get("latest_only") is True:
        latest = TaskSpec(dag_id=dag_id, task_id="latest_only", operator="LatestOnlyOperator", file=str(source.path), line=1)
        for task in roots:
            task.upstream = sorted({*task.upstream, "latest_only"})
        dag.tasks.insert(0, latest)
    dag.tasks[:0] = list(sensors.values())
    return [dag], errors


def _edges_to_all(tasks: list[TaskSpec], names: Any, upstream_of_others: bool) -> None:
    """``root_tasks`` run before every other task of the DAG, ``leaf_tasks`` after every other one."""
    chosen = {str(n) for n in names} if isinstance(names, list) else set()
    if not chosen:
        return
    for task in tasks:
        if task.task_id in chosen:
            continue
        if upstream_of_others:
            task.upstream = sorted({*task.upstream, *(t.task_id for t in tasks if t.task_id in chosen)})
    if not upstream_of_others:
        others = [t.task_id for t in tasks if t.task_id not in chosen]
        for task in tasks:
            if task.task_id in chosen:
                task.upstream = sorted({*task.upstream, *others})


def _metadata(folder: Path, errors: list[FileError], allowed: set[Path]) -> dict[str, Any]:
    for name in METADATA:
        path = folder / name
        if path in allowed:
            try:
                data = load_yaml(read_text(path) or "")
            except yaml.YAMLError as e:
                problem, line = yaml_problem(e)
                errors.append(FileError(str(path), f"gusty: METADATA is not valid YAML: {problem}", line))
                return {}
            return data if isinstance(data, dict) else {}
    return {}


def _group_of(folder: Path, root: Path, groups: dict[Path, _Group], errors: list[FileError], allowed: set[Path]) -> _Group:
    if folder in groups:
        return groups[folder]
    parent = _group_of(folder.parent, root, groups, errors, allowed)
    metadata = _metadata(folder, errors, allowed)
    name = str(metadata.get("group_id") or folder.name)
    prefix = parent.prefix + (f"{name}." if metadata.get("prefix_group_id") is True else "")
    groups[folder] = _Group(name, prefix)
    return groups[folder]


def _ancestors(folder: Path, root: Path, groups: dict[Path, _Group]) -> list[_Group]:
    chain = []
    while folder != root and folder in groups:
        chain.append(groups[folder])
        folder = folder.parent
    return chain


def _task(path: Path, dag: DagSpec, group: _Group, default_args: dict[str, Any],
          errors: list[FileError], classes: Classes | None = None) -> tuple[TaskSpec | None, list[Any], Any]:
    text = read_text(path)
    if text is None:
        errors.append(FileError(str(path), "gusty: task file cannot be read (missing or too large)"))
        return None, [], None
    try:
        spec, body, line = _spec(path, text)
    except yaml.YAMLError as e:
        problem, line = yaml_problem(e)
        errors.append(FileError(str(path), f"gusty: task spec is not valid YAML: {problem}", line))
        return None, [], None
    if spec is None:
        if path.suffix in (".yml", ".yaml", ".sql"):
            errors.append(FileError(str(path), "gusty: task file has no spec (YAML front matter with `operator`)", 1))
            return None, [], None
        spec = {"operator": PYTHON_OPERATOR} if path.suffix == ".py" else {}
    elif path.suffix == ".py" and not spec.get("operator"):
        spec = {**spec, "operator": PYTHON_OPERATOR}  # front matter with only `python_callable:`: gusty's default
    operator = operator_name(spec.get("operator"))
    if operator is None:
        errors.append(FileError(str(path), "gusty: task spec names no `operator`", 1))
        return None, [], None
    task_id = group.prefix + str(spec.get("task_id") or path.stem)
    args = {**default_args, **{k: plain(v) for k, v in spec.items() if k not in GUSTY_KEYS and k != "task_id"}}
    if path.suffix == ".sql":
        args["sql"] = body
    task = TaskSpec(dag_id=dag.dag_id, task_id=task_id, operator=operator, file=str(path), line=line if path.suffix == ".sql" else 1,
                    owner=str(args["owner"]) if args.get("owner") else None, args=args)
    if classes is not None:
        classes.apply(task, spec.get("operator"))  # `operator: operators.MyOperator` from the repository's plugins/
    if path.suffix == ".py":
        task.callable_source = body
        task.callable_name = str(spec["python_callable"]) if spec.get("python_callable") else None
    deps = spec.get("dependencies") or []
    return task, deps if isinstance(deps, list) else [deps], spec.get("external_dependencies")


def _spec(path: Path, text: str) -> tuple[dict[str, Any] | None, str, int]:
    if path.suffix in (".yml", ".yaml"):
        data = load_yaml(text)
        return (data if isinstance(data, dict) else None), "", 1
    if path.suffix == ".ipynb":
        return _notebook_spec(text), "", 1
    return front_matter(text, python=path.suffix == ".py")


def _notebook_spec(text: str) -> dict[str, Any] | None:
    try:
        cells = json.loads(text).get("cells") or []
    except (ValueError, AttributeError):
        return None
    if not cells:
        return None
    source = "".join(cells[0].get("source") or [])
    source = source.strip().removeprefix("```yaml").removeprefix("```").removesuffix("```")
    data = load_yaml(source)
    return data if isinstance(data, dict) else None


def _names(pending: list[tuple[TaskSpec, _Group, list[str], Any]], groups: dict[Path, _Group]) -> dict[str, list[str]]:
    names: dict[str, list[str]] = {}
    for task, group, _, _ in pending:
        bare = task.task_id[len(group.prefix):]
        names.setdefault(bare, []).append(task.task_id)
        if bare != task.task_id:
            names.setdefault(task.task_id, []).append(task.task_id)
    for group in groups.values():
        if group.name is not None:
            names.setdefault(group.name, list(group.task_ids))
    return names


def _external(raw: Any, file: str, errors: list[FileError]) -> list[tuple[str, str]]:
    if not raw:
        return []
    items = raw if isinstance(raw, list) else [raw]
    found = []
    for item in items:
        if isinstance(item, dict):
            found.extend((str(d), str(t)) for d, t in item.items())
        else:
            errors.append(FileError(file, f"gusty: external dependency {item!r} is not `dag_id: task_id` or `dag_id: all`"))
    return found


def _sensor(dep: tuple[str, str], dag: DagSpec, sensors: dict[str, TaskSpec], file: str) -> str:
    other_dag, other_task = dep
    task_id = f"wait_for_DAG_{other_dag}" if other_task == "all" else f"wait_for_{other_task}"
    if task_id not in sensors:
        args = {"external_dag_id": other_dag} | ({} if other_task == "all" else {"external_task_id": other_task})
        sensors[task_id] = TaskSpec(dag_id=dag.dag_id, task_id=task_id, operator="ExternalTaskSensor", file=file, line=1, args=args)
    return task_id

