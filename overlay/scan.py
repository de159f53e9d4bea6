"""``overlay scan``: DAG folders -> ScanResult, reusing cached results of unchanged files.

discover (files, DAGs, tasks) -> extract (each task's SQL) -> resolve (assets) -> ScanResult.
A file is reused from the previous scan when its content, the settings, every ``.sql`` file
its tasks read and every repository module its DAG code imports are unchanged. Nothing here writes to the catalog: the caller stores the result
in one transaction.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import subprocess
from dataclasses import dataclass, field, replace
from pathlib import Path
from collections.abc import Callable
from typing import Any, Protocol

import pathspec

from overlay.config import Settings
from overlay.connections import ConnectionResolver
from overlay.discover import FileDiscovery, discover_file, discover_yaml_sources, import_loader
from overlay.discover.files import DagFile, list_dag_files
from overlay.discover.static import RepoView
from overlay.scan_pool import map_files, worker_count
from overlay.model import AssetRef, DagSpec, FileError, FileRecord, ResolvedTask, ScanResult

log = logging.getLogger(__name__)


class ScanProgress(Protocol):
    def discovered(self, done: int, total: int) -> None: ...

    def extracted(self, found: FileDiscovery, outcome: FileOutcome) -> None: ...


@dataclass
class FileOutcome:
    dags: list[DagSpec] = field(default_factory=list)
    tasks: list[ResolvedTask] = field(default_factory=list)
    assets: list[AssetRef] = field(default_factory=list)
    errors: list[FileError] = field(default_factory=list)
    deps: dict[str, str] = field(default_factory=dict)
    cached: dict[str, Any] | None = None  # the previous scan's payload, reused as it is
    # (payload, digest) of this outcome as read, made where it was read (a scan worker); dropped when deduplication changes it
    record: tuple[dict[str, Any], str] | None = None


def scan_folders(
    folders: list[str],
    mode: str = "auto",
    settings: Settings | None = None,
    cache: dict[str, dict[str, Any]] | None = None,
    resolver: ConnectionResolver | None = None,
    progress: ScanProgress | None = None,
    workers: int | None = None,
    given: dict[str, FileOutcome] | None = None,
    outcomes: dict[str, FileOutcome] | None = None,
) -> ScanResult:
    """``progress`` hears of each file read and each file extracted (the CLI's progress bar and ``-v`` lines);
    ``workers``: processes reading files (default ``$OVERLAY_SCAN_WORKERS``, else the machine's cores).

    ``given``: outcomes already known of cached files (by path), each equal to what its payload in ``cache``
    gives; such a file, when unchanged, is taken from there and its payload needs only ``content_hash``,
    ``settings``, ``digest`` and ``deps`` (the file's record carries that payload). ``outcomes`` receives each
    file's outcome (by path) as read, before DAG ids are deduplicated across files."""
    settings = settings or Settings()
    workers = worker_count(workers)
    resolver = resolver or ConnectionResolver(settings)
    cache = cache or {}
    # a file's cached result holds for the settings, the mode and the overlay code that made it
    fingerprint = f"{settings.fingerprint()}:{mode}:{code_fingerprint()}"
    result = ScanResult(folders=[str(Path(f).resolve()) for f in folders])
    assets: dict[str, AssetRef] = {}
    seen_dags: dict[str, str] = {}
    seen_tasks: set[tuple[str, str]] = set()  # one task per (dag_id, task_id) across files, as the catalog keys them
    refs: dict[tuple[Any, Any], AssetRef] = {}  # asset references of cached files, one object per asset
    for folder in folders:
        root = Path(folder).resolve()
        if not root.is_dir():
            result.errors.append(FileError(str(folder), "DAG folder not found", stage="discover"))
            continue
        ctx = _ExtractState(str(root), dict(settings.variables), settings)
        ignored = _ignore_spec(settings.ignore)
        reusable = _reusable(cache, fingerprint)
        worker = _FileWorker(str(root), mode, ctx, resolver, fingerprint)
        for found, done in _read_folder(root, mode, reusable, ignored, worker, workers, progress.discovered if progress else None):
            if found.skipped:
                known = given.get(found.path) if given else None
                outcome = replace(known) if known is not None else _reuse(cache[found.path], refs)
            else:
                outcome = done or _process(found, ctx, resolver)
            if outcomes is not None:
                outcomes[found.path] = replace(outcome)  # a copy: deduplication below reassigns its lists
            _dedupe_dags(outcome, seen_dags, result.errors, seen_tasks)
            result.dags.extend(outcome.dags)
            result.tasks.extend(outcome.tasks)
            result.errors.extend(outcome.errors)
            for ref in outcome.assets:
                assets.setdefault(ref.key, ref)
            result.files.append(_file_record(found, outcome, fingerprint))
            if progress is not None:
                progress.extracted(found, outcome)
    result.assets = sorted(assets.values(), key=lambda a: a.key)
    result.git_commit = git_commit(folders[0]) if folders else None
    return result


def _read_folder(root: Path, mode: str, reusable: dict[str, str], ignored: pathspec.PathSpec | None, worker: _FileWorker,
                 workers: int, on_file: Callable[[int, int], None] | None = None) -> list[tuple[FileDiscovery, FileOutcome | None]]:
    """Each file of the folder, in order: unchanged ones marked skipped, the others read (in parallel);
    ``on_file(done, total)`` after each Python file."""
    if mode not in ("auto", "import", "static"):
        raise ValueError(f"unknown mode {mode!r}: use auto, import or static")
    files = [f for f in list_dag_files(root) if not (ignored and ignored.match_file(os.path.relpath(f.path, root)))]
    pending = [f for f in files if reusable.get(f.path) != f.content_hash]
    skipped = len(files) - len(pending)
    if on_file is not None and skipped:
        on_file(skipped, len(files))
    step = (lambda done: on_file(skipped + done, len(files))) if on_file is not None else None
    read = dict(zip([f.path for f in pending], map_files(worker, pending, workers, step)))
    out: list[tuple[FileDiscovery, FileOutcome | None]] = []
    for f in files:
        out.append(read[f.path] if f.path in read else (FileDiscovery(f.path, f.content_hash, mode, skipped=True), None))
    python_ids = {d.dag_id for _, done in out if done is not None for d in done.dags}
    for found in discover_yaml_sources(root, reusable, python_ids):
        if not (ignored and ignored.match_file(os.path.relpath(found.path, root))):
            out.append((found, None))
    return out


@dataclass
class _FileWorker:
    """Reads one DAG file to its outcome (discover, extract, resolve); one per folder, copied into each worker process."""

    root: str
    mode: str
    state: _ExtractState
    resolver: ConnectionResolver
    fingerprint: str = ""  # of the settings and the mode, for the file's cache payload
    _repo: Any = None
    _loader: Any = None
    _loader_tried: bool = False

    def __call__(self, dag_file: DagFile) -> tuple[FileDiscovery, FileOutcome]:
        if self._repo is None:
            environment = self.state.settings.environment if self.state.settings is not None else {}
            remaps = self.state.settings.path_remaps if self.state.settings is not None else {}
            self._repo = RepoView(self.root, variables=self.state.variables, environment=environment, path_remaps=remaps)
        if self.mode != "static" and not self._loader_tried:
            self._loader_tried = True
            self._loader = import_loader(self.root, self.mode)  # type: ignore[arg-type]
        mode = self.mode if self._loader is not None else "static"
        found = discover_file(dag_file, mode, self._loader, self._repo)  # type: ignore[arg-type]
        try:
            outcome = _process(found, self.state, self.resolver)
        except Exception as e:  # a bug in a later stage costs this file only
            log.debug("reading %s failed", dag_file.path, exc_info=True)
            outcome = FileOutcome(errors=[FileError(display_path(dag_file.path), f"scan failed: {type(e).__name__}: {e}", stage="extract")])
        found.dags = []  # the outcome holds them: not sent back twice
        outcome.record = _payload(found, outcome, self.fingerprint)  # here, in parallel, not in the parent after the pool
        return found, outcome


@dataclass
class _ExtractState:
    """Extraction context, built on first use: an unchanged rescan never loads the extract and lineage stages."""

    dag_folder: str
    variables: dict[str, Any]
    settings: Settings | None = None
    _context: Any = None
    _memo: Any = None  # the lineage of SQL texts already analysed in this scan (by this process)

    def get(self) -> Any:
        if self._context is None:
            self._context = extract_context(self.settings or Settings(), self.dag_folder, self.variables)
        return self._context

    def memo(self) -> Any:
        if self._memo is None:
            from overlay.lineage.memo import LineageMemo

            self._memo = LineageMemo()
        return self._memo


def extract_context(settings: Settings, dag_folder: str | None, variables: dict[str, Any]) -> Any:
    """What extraction knows from overlay.yaml, for a scan and for ``--explain`` alike."""
    from overlay.connections import template_fields
    from overlay.extract import ExtractContext

    return ExtractContext(dag_folder=dag_folder, variables=variables, allow_paths=settings.allow_paths,
                          path_remaps=settings.path_remaps, operators=settings.operators,
                          connections=template_fields(settings.connections), environment=dict(settings.environment or {}),
                          connection_specs={k: {"dialect": c.dialect, "database": c.database, "schema": c.schema}
                                            for k, c in settings.connections.items()})


def _process(found: FileDiscovery, state: _ExtractState, resolver: ConnectionResolver) -> FileOutcome:
    from overlay.extract import extract_task
    from overlay.lineage import budget
    from overlay.resolve import resolve_task

    ctx = state.get()
    outcome = FileOutcome(dags=[_display(d) for d in found.dags], errors=[_display_error(e) for e in found.errors])
    for module in found.inputs:  # repository modules the DAG code imports: a change there re-reads this file
        # a file looked for and not there (a dbt project's manifest) is an input too: once it exists, read again
        outcome.deps[module] = file_hash(module) if os.path.isfile(module) else ABSENT
    with budget.timer():  # the SQL parser's time budget set up once for the file, not once for each SQL text
        for dag in found.dags:
            for task in dag.tasks:
                access = extract_task(task, dag, ctx)
                resolved, refs = resolve_task(task, access, resolver, state.memo())
                resolved.file = display_path(resolved.file)
                outcome.tasks.append(resolved)
                outcome.assets.extend(refs)
                for sql_file in access_files(access):
                    if sql_file not in outcome.deps:  # a manifest every dbt task reads is hashed once, not per task
                        outcome.deps[sql_file] = file_hash(sql_file)
    return outcome


def access_files(access: Any) -> set[str]:
    files = {s.file for s in access.sql if s.file}
    files.update(getattr(access, "files", None) or [])
    return {f for f in files if f and os.path.isfile(f)}


def _reuse(payload: dict[str, Any], refs: dict[tuple[Any, Any], AssetRef] | None = None) -> FileOutcome:
    """The outcome of a cached file; ``refs`` holds the asset references made so far (immutable: shared)."""
    refs = {} if refs is None else refs
    return FileOutcome(
        dags=[DagSpec.from_dict(d) for d in payload.get("dags", [])],
        tasks=[ResolvedTask.from_dict(t) for t in payload.get("tasks", [])],
        assets=[_asset_ref(a, refs) for a in payload.get("assets", [])],
        errors=[FileError.from_dict(e) for e in payload.get("errors", [])],
        deps=dict(payload.get("deps", {})),
        cached=payload,
    )


def _asset_ref(data: dict[str, Any], refs: dict[tuple[Any, Any], AssetRef]) -> AssetRef:
    if len(data) != 2:
        return AssetRef.from_dict(data)
    pair = (data.get("namespace"), data.get("name"))
    ref = refs.get(pair)
    if ref is None:
        ref = refs[pair] = AssetRef.from_dict(data)
    return ref


_CODE_FINGERPRINT: list[str] = []


def code_fingerprint() -> str:
    """overlay's version and its modules' sizes and modification times: a cached file result made by other code
    (an upgrade, an edited checkout installed in place) is read again. Computed once per process (~150 stats)."""
    if not _CODE_FINGERPRINT:
        from overlay import __version__

        package = Path(__file__).resolve().parent
        digest = hashlib.sha1(__version__.encode())
        for path in sorted(package.rglob("*.py")):
            stat = path.stat()
            digest.update(f"{path.relative_to(package)}:{stat.st_size}:{stat.st_mtime_ns}".encode())
        _CODE_FINGERPRINT.append(digest.hexdigest()[:16])
    return _CODE_FINGERPRINT[0]


def _reusable(cache: dict[str, dict[str, Any]], settings_fingerprint: str) -> dict[str, str]:
    """path -> content hash for cached files whose settings and .sql dependencies are unchanged."""
    reusable = {}
    for path, payload in cache.items():
        if payload.get("settings") != settings_fingerprint or "content_hash" not in payload or not payload.get("digest"):
            continue
        if all(dep_unchanged(dep, digest) for dep, digest in payload.get("deps", {}).items()):
            reusable[path] = payload["content_hash"]
    return reusable


def _file_record(found: FileDiscovery, outcome: FileOutcome, settings_fingerprint: str) -> FileRecord:
    if outcome.cached is not None:
        payload = {k: v for k, v in outcome.cached.items() if k != "digest"}
        digest = outcome.cached["digest"]
    elif outcome.record is not None:
        payload, digest = outcome.record
    else:
        payload, digest = _payload(found, outcome, settings_fingerprint)
    error = "; ".join(e.error for e in outcome.errors) or None
    return FileRecord(
        path=found.path,
        content_hash=found.content_hash,
        mode="cached" if found.skipped else found.mode_used,
        dag_ids=[d.dag_id for d in outcome.dags],
        error=error,
        payload=payload,
        payload_digest=digest,
    )


def _payload(found: FileDiscovery, outcome: FileOutcome, settings_fingerprint: str) -> tuple[dict[str, Any], str]:
    payload = {
        "content_hash": found.content_hash,
        "settings": settings_fingerprint,
        "dags": [d.to_dict() for d in outcome.dags],
        "tasks": [t.to_dict() for t in outcome.tasks],
        "assets": [a.to_dict() for a in outcome.assets],
        "errors": [e.to_dict() for e in outcome.errors],
        "deps": outcome.deps,
    }
    return payload, hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def _dedupe_dags(outcome: FileOutcome, seen: dict[str, str], errors: list[FileError], seen_tasks: set[tuple[str, str]]) -> None:
    """One DAG per dag_id, as Airflow keeps it: the first definition wins, later ones are reported."""
    kept, dropped, elsewhere = [], set(), set()
    for dag in outcome.dags:
        if dag.dag_id in seen:
            where = "earlier in this file" if seen[dag.dag_id] == dag.file else seen[dag.dag_id]
            errors.append(FileError(dag.file, f"DAG id {dag.dag_id!r} is already defined {('in ' + where) if where != 'earlier in this file' else where}",
                                    dag.line))
            dropped.add(id(dag))
            if where != "earlier in this file" and not any(k.dag_id == dag.dag_id for k in kept):
                elsewhere.add(dag.dag_id)  # kept from another file: none of this file's tasks of that id remain
            continue
        seen[dag.dag_id] = dag.file
        kept.append(dag)
    if dropped or any((t.dag_id, t.task_id) in seen_tasks for t in outcome.tasks):
        outcome.record = None  # the payload is of what this file keeps
        tasks, unique = [], set(seen_tasks)
        for task in outcome.tasks:  # tasks of a dropped duplicate share (dag_id, task_id) with the kept DAG's
            if task.dag_id not in elsewhere and (task.dag_id, task.task_id) not in unique:
                unique.add((task.dag_id, task.task_id))
                tasks.append(task)
        outcome.tasks = tasks
    outcome.dags = kept
    seen_tasks.update((t.dag_id, t.task_id) for t in outcome.tasks)


def _display(dag: DagSpec) -> DagSpec:
    dag.file = display_path(dag.file)
    for task in dag.tasks:
        task.file = display_path(task.file)
    return dag


def _display_error(error: FileError) -> FileError:
    error.file = display_path(error.file)
    return error


def display_path(path: str) -> str:
    """Paths under the working folder are shown relative to it, others absolute."""
    prefix = os.getcwd() + os.sep
    return path[len(prefix):] if path.startswith(prefix) else path


def _ignore_spec(patterns: list[str]) -> pathspec.PathSpec | None:
    return pathspec.PathSpec.from_lines("gitignore", patterns) if patterns else None


ABSENT = "absent"  # the digest of an input file that did not exist when the result was made


def dep_unchanged(dep: str, digest: str) -> bool:
    """An input of a cached result is as it was: the same content, or still missing."""
    if digest == ABSENT:
        return not os.path.exists(dep)
    return os.path.isfile(dep) and file_hash(dep) == digest


def file_hash(path: str) -> str:
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def git_commit(folder: str) -> str | None:
    try:
        out = subprocess.run(["git", "-C", str(folder), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None
