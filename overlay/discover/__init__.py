"""Discovery: which DAGs and tasks a DAG folder declares.

``--mode import`` uses Airflow's DagBag (exact, runs DAG code); ``--mode static`` reads the AST
and never executes anything; ``--mode auto`` imports and falls back to static for files that
fail to import, reporting both.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from overlay.discover.files import DagFile, list_dag_files, walk_files
from overlay.discover.static import RepoView, scan_file
from overlay.discover.static.specs import code_used
from overlay.model import DagSpec, FileError
from overlay.scan_problems import FALLBACK_NOTE

log = logging.getLogger(__name__)
Mode = Literal["auto", "import", "static"]


@dataclass
class FileDiscovery:
    path: str
    content_hash: str
    mode_used: str  # import | static
    dags: list[DagSpec] = field(default_factory=list)
    errors: list[FileError] = field(default_factory=list)
    skipped: bool = False  # unchanged since the cached scan: not parsed again
    inputs: list[str] = field(default_factory=list)  # repository modules static discovery read for this file


def discover_folder(folder: str | Path, mode: Mode = "auto", cached: dict[str, str] | None = None,
                    on_file: Callable[[int, int], None] | None = None) -> list[FileDiscovery]:
    """Every DAG file of ``folder``; ``on_file(done, total)`` after each Python file (progress display)."""
    if mode not in ("auto", "import", "static"):
        raise ValueError(f"unknown mode {mode!r}: use auto, import or static")
    cached = cached or {}
    files = list_dag_files(folder)
    loader = None
    repo = RepoView(folder)
    results = []
    for dag_file in files:
        if cached.get(dag_file.path) == dag_file.content_hash:
            results.append(FileDiscovery(dag_file.path, dag_file.content_hash, mode, skipped=True))
            if on_file is not None:
                on_file(len(results), len(files))
            continue
        if mode != "static" and loader is None:
            loader = import_loader(folder, mode)
        results.append(discover_file(dag_file, mode if loader is not None else "static", loader, repo))
        if on_file is not None:
            on_file(len(results), len(files))
    return results + discover_yaml_sources(folder, cached, {d.dag_id for r in results for d in r.dags})


def discover_yaml_sources(folder: str | Path, cached: dict[str, str], python_dag_ids: set[str]) -> list[FileDiscovery]:
    """DAGs declared in YAML (gusty folders, dag-factory specs), read statically whatever the mode.

    A DAG the Python files already defined (a loader like gusty's ``create_dag`` imported in import
    mode) is kept from there, not read twice.
    """
    from overlay.discover.yaml_dags import SUFFIXES, find_sources, read_source

    from overlay.discover.static.classes import RepositoryClasses

    root = Path(folder).resolve()
    repo = RepoView(root)
    results = []
    def lister(sub: Path, suffixes: tuple[str, ...]) -> list[Path]:
        return walk_files(sub, suffixes)  # .airflowignore files above ``sub`` are not applied; ``sub`` is a gusty DAG folder

    for found in find_sources(root, walk_files(root, SUFFIXES), lister):
        path = str(found.source.path)
        if cached.get(path) == found.content_hash:
            results.append(FileDiscovery(path, found.content_hash, "static", skipped=True))
            continue
        classes = RepositoryClasses(repo, path)  # its `operator: pkg.MyOperator` classes, read from the repository
        dags, errors = read_source(found, classes)
        results.append(FileDiscovery(path, found.content_hash, "static", [d for d in dags if d.dag_id not in python_dag_ids], errors,
                                     inputs=classes.inputs))
    return results


def discover_file(dag_file: DagFile, mode: Mode, loader: object | None, repo: RepoView | None = None) -> FileDiscovery:
    """One file's DAGs; never raises (every failure is a FileError of that file)."""
    try:
        return _discover_file(dag_file, mode, loader, repo)
    except Exception as e:  # RecursionError, MemoryError from an import, a bug: this file only
        log.debug("discovery of %s failed", dag_file.path, exc_info=True)
        return FileDiscovery(dag_file.path, dag_file.content_hash, "static", [],
                             [FileError(dag_file.path, f"discovery failed: {type(e).__name__}: {e}", stage="discover")])


def _discover_file(dag_file: DagFile, mode: Mode, loader: object | None, repo: RepoView | None) -> FileDiscovery:
    if mode == "static" or loader is None:
        found = scan_file(dag_file.path, dag_file.source, repo)
        return FileDiscovery(dag_file.path, dag_file.content_hash, "static", found.dags, found.errors, inputs=found.inputs)
    dags, errors = loader.load(dag_file.path, dag_file.source)  # type: ignore[attr-defined]
    if not errors or mode == "import":
        inputs = with_code_reading(dags, dag_file, repo)
        return FileDiscovery(dag_file.path, dag_file.content_hash, "import", dags, errors, inputs=inputs)
    static = scan_file(dag_file.path, dag_file.source, repo)
    imported = {d.dag_id for d in dags}
    merged = dags + [d for d in static.dags if d.dag_id not in imported]
    note = [FileError(dag_file.path, FALLBACK_NOTE, None, stage="import")] if static.dags else []
    return FileDiscovery(dag_file.path, dag_file.content_hash, "static" if static.dags else "import", merged,
                         errors + note + static.errors, inputs=static.inputs)


def with_code_reading(dags: list[DagSpec], dag_file: DagFile, repo: RepoView | None) -> list[str]:
    """Imported tasks get what static mode reads of the repository code they run (never running it): what a python
    callable's code reaches and the helpers it calls, a plugin operator's ``execute`` (``DagSpec.code``), matched by
    DAG and task id. Without it an imported callable whose SQL is in a repository helper would touch no data.
    Returns the repository modules read, as the file's inputs for rescans."""
    from overlay.extract.operators.registry import rule_for  # the registry's names, as extraction will look them up

    if repo is None or not any(t.callable_source or t.repository_class or rule_for(t.operator) is None
                               for d in dags for t in d.tasks):
        return []  # every task has a rule and no callable: nothing static mode would add (the file is not read twice)
    try:
        found = scan_file(dag_file.path, dag_file.source, repo)
    except Exception:  # the imported result stands as it is
        log.debug("static reading of %s for its imported tasks failed", dag_file.path, exc_info=True)
        return []
    static = {(d.dag_id, t.task_id): (d, t) for d in found.dags for t in d.tasks}
    for dag in dags:
        for task in dag.tasks:
            match = static.get((dag.dag_id, task.task_id))
            if match is None:
                continue
            static_dag, twin = match
            if task.callable_source and twin.callable_name == task.callable_name and task.callable_effect is None:
                task.callable_effect, task.callable_effect_ref = twin.callable_effect, twin.callable_effect_ref
                task.callable_helpers = twin.callable_helpers
            no_rule = twin.operator in ("BaseOperator", twin.operator_class)  # touches no table, or read by its code
            if twin.operator_class == task.operator and task.operator_class is None and no_rule \
                    and (task.repository_class or rule_for(task.operator) is None):
                # a repository class that import mode knows only by its name (one named like a library operator,
                # `class SqlSensor(BaseSensorOperator)`, included: the library's rule is not its rule): static mode's
                # reading of its code ("touches no table" when its code says so, else its execute and what that reaches)
                task.operator, task.operator_class = twin.operator, twin.operator_class
                task.operator_effect, task.operator_code = twin.operator_effect, twin.operator_code
                task.template_fields = task.template_fields or twin.template_fields
            for entry in (task.callable_helpers, task.operator_code):
                if entry.get("ref"):
                    dag.code.update(code_used(static_dag.code, {entry["ref"]}))
    return list(found.inputs)


def import_loader(folder: str | Path, mode: Mode) -> object | None:
    try:
        from overlay.discover.imported import DagBagLoader

        return DagBagLoader(folder)
    except ImportError as e:
        if mode == "import":
            raise RuntimeError(f"--mode import needs Apache Airflow installed (pip install 'overlay[airflow]'): {e}") from e
        log.warning("Airflow is not importable (%s): scanning statically", e)
        return None


__all__ = ["FileDiscovery", "Mode", "discover_folder", "discover_file", "discover_yaml_sources", "import_loader", "list_dag_files"]
