"""Writing the catalog: one scan of one source stored in one transaction, in place, with stable ids.

A scan replaces only its own source's files, DAGs and tasks; the assets are shared by all sources
(``shared_assets``). On PostgreSQL, scans of one source are serialized by an advisory lock and the
shared asset rows are merged under a short catalog-wide one (``locks``).
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, TypeVar

from sqlalchemy import Engine, func, insert, select
from sqlalchemy.exc import DBAPIError, OperationalError

from overlay import __version__
from overlay.catalog import locks
from overlay.catalog.contacts import ContactQueries
from overlay.catalog.costs import CostQueries
from overlay.catalog.engine import make_engine, migrate, resolve_db_url
from overlay.catalog.errors import CatalogError, EmptyScanRefused, MissingCatalog
from overlay.catalog.location import catalog_exists
from overlay.catalog.overview import OverviewQueries
from overlay.catalog.queries import CatalogQueries
from overlay.catalog.runs import RunQueries
from overlay.catalog.search_docs import new_asset_docs, refresh_assets, scan_terms
from overlay.catalog.schema import DEFAULT_SOURCE, AssetEdge, Dag, Scan, ScanError, Source, SourceFile, Task, TaskIO
from overlay.catalog.shared_assets import delete_orphans, merge_assets
from overlay.catalog.sources import SourceQueries, ensure_source
from overlay.catalog.sync import sync_links, sync_rows
from overlay.model import ScanResult
from overlay.scan_problems import file_problems

log = logging.getLogger(__name__)
RETRY_DELAYS = (1.0, 3.0)  # seconds before each new attempt when the database connection drops (a server restart)
T = TypeVar("T")

__all__ = ["Catalog", "CatalogError", "EmptyScanRefused", "MissingCatalog", "ScanSummary", "resolve_db_url"]


@dataclass
class ScanSummary:
    scan_id: int
    dags: int
    tasks: int
    assets: int
    edges: int
    unresolved: int
    errors: int
    files: int
    reused_files: int

    def to_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


class Catalog(CatalogQueries, RunQueries, CostQueries, ContactQueries, SourceQueries, OverviewQueries):
    def __init__(self, engine: Engine, url: str) -> None:
        self.engine = engine
        self.url = url

    @classmethod
    def open(cls, url: str | None = None, create: bool = True, page_cache_mib: int | None = None) -> Catalog:
        """Open (and migrate) the catalog; with ``create=False`` a catalog that does not exist raises ``MissingCatalog``.
        ``page_cache_mib``: SQLite's page cache per pooled connection (``overlay.catalog.engine.make_engine``)."""
        url = resolve_db_url(url)
        try:
            engine = make_engine(url, page_cache_mib)
            if not create and not catalog_exists(engine):
                engine.dispose()
                raise MissingCatalog(url)
            migrate(engine)
        except MissingCatalog:
            raise
        except Exception as e:
            raise CatalogError(f"cannot open catalog {url}: {type(e).__name__}: {e}") from e
        return cls(engine, url)

    def close(self) -> None:
        self.engine.dispose()

    def cached_files(self, source: str = DEFAULT_SOURCE) -> dict[str, str]:
        """path -> content hash of every file the catalog holds results for in ``source``."""
        with self.engine.connect() as conn:
            return dict(conn.execute(select(SourceFile.path, SourceFile.content_hash).where(SourceFile.source == source)).all())

    def cached_payload(self, path: str, source: str = DEFAULT_SOURCE) -> dict[str, Any] | None:
        """What the last scan of ``source`` found in one file (its DagSpecs, ResolvedTasks and errors), or None."""
        with self.engine.connect() as conn:
            return conn.execute(select(SourceFile.payload).where(SourceFile.path == path, SourceFile.source == source)).scalar()

    def cached_payloads(self, source: str | None = None) -> dict[str, dict[str, Any]]:
        """path -> what the last scan of ``source`` (of any source when None) found in that file (with its ``digest``),
        to skip unchanged files."""
        query = select(SourceFile.path, SourceFile.payload, SourceFile.payload_digest)

        def read() -> dict[str, dict[str, Any]]:
            with self.engine.connect() as conn:
                rows = conn.execute(query if source is None else query.where(SourceFile.source == source)).all()
            return {path: {**payload, "digest": digest} for path, payload, digest in rows if payload and digest}

        return self._retrying("reading the results of earlier scans", read)

    def last_fingerprint(self, source: str = DEFAULT_SOURCE) -> str | None:
        """Fingerprint of the inputs of the source's last successful scan (see ``scan_fingerprint``)."""
        def read() -> str | None:
            with self.engine.connect() as conn:
                counts = conn.execute(select(Scan.counts).where(Scan.status == "ok", Scan.source == source)
                                      .order_by(Scan.id.desc()).limit(1)).scalar()
            return (counts or {}).get("fingerprint")

        return self._retrying("comparing with the last scan", read)

    def record_unchanged_scan(self, result: ScanResult, mode: str, started_at: datetime, fingerprint: str,
                              source: str = DEFAULT_SOURCE, bundle_version: str | None = None) -> ScanSummary | None:
        """Record a scan whose inputs equal the source's last one's, leaving the catalog as it is (None if they differ)."""
        def record() -> ScanSummary | None:
            with self.engine.begin() as conn:
                return _unchanged_since_last_scan(conn, result, mode, started_at, fingerprint, source, bundle_version)

        return self._retrying("recording an unchanged scan", record)

    def _retrying(self, stage: str, work: Callable[[], T]) -> T:
        """``work`` (one transaction), again after a pause when the connection dropped; else a one-line CatalogError."""
        for attempt, delay in enumerate((*RETRY_DELAYS, None), start=1):
            try:
                return work()
            except CatalogError:  # already says what is wrong (an empty scan refused...)
                raise
            except Exception as e:
                if delay is not None and connection_lost(e, self.engine):
                    log.warning("catalog connection lost while %s (%s); trying again in %.0fs", stage, _first_line(e), delay)
                    time.sleep(delay)
                    continue
                raise CatalogError(failure_message(stage, e, attempt)) from e
        raise AssertionError("unreachable")

    def store_scan(self, result: ScanResult, mode: str = "auto", started_at: datetime | None = None,
                   ownership: dict[str, dict[str, Any]] | None = None, fingerprint: str | None = None,
                   source: str = DEFAULT_SOURCE, allow_empty: bool = False, bundle_version: str | None = None,
                   holders: dict[str, list[dict[str, Any]]] | None = None) -> ScanSummary:
        """Replace ``source``'s part of the catalog with ``result`` in one transaction; a failure changes nothing.

        ``ownership``: asset key -> {"owners", "conflict"}; ``holders``: "dag_id" and "dag_id.task_id" -> claims.
        A result without DAGs for a source that has some raises ``EmptyScanRefused`` unless ``allow_empty``.
        """
        started_at = started_at or datetime.now(timezone.utc)
        fingerprint = fingerprint or scan_fingerprint(result, json.dumps(ownership or {}, sort_keys=True, default=str))

        def store() -> ScanSummary:
            with self.engine.begin() as conn:
                locks.xact_lock(conn, locks.source_lock(source))
                _adopt_default(conn, source, result)
                if not result.dags and not allow_empty:
                    _refuse_empty(conn, source, result)
                unchanged = _unchanged_since_last_scan(conn, result, mode, started_at, fingerprint, source, bundle_version)
                if unchanged is not None:
                    return unchanged
                return _store(conn, result, mode, started_at, ownership or {}, fingerprint, source, bundle_version, holders or {})

        try:
            return self._retrying("storing the scan", store)
        except EmptyScanRefused:
            raise
        except CatalogError as e:
            self._record_failed_scan(result, mode, started_at, e.__cause__ or e, source)
            raise

    def _record_failed_scan(self, result: ScanResult, mode: str, started_at: datetime, error: Exception, source: str) -> None:
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(Scan.__table__).values(
                    source=source, started_at=started_at, finished_at=datetime.now(timezone.utc), folders=result.folders, mode=mode,
                    git_commit=result.git_commit, status="failed", counts={"error": f"{type(error).__name__}: {error}"},
                    overlay_version=__version__))
        except Exception as e:  # the database itself is gone: nothing more to record
            log.warning("could not record the failed scan: %s", _first_line(e))


def connection_lost(error: BaseException, engine: Engine) -> bool:
    """A dropped or refused connection (server restart, terminated backend), worth a new attempt; never SQLite's own errors."""
    if not isinstance(error, DBAPIError):
        return False
    return error.connection_invalidated or (isinstance(error, OperationalError) and engine.dialect.name != "sqlite")


def failure_message(stage: str, error: BaseException, attempts: int) -> str:
    if attempts > 1:
        return (f"the connection to the catalog database was lost while {stage} ({attempts} attempts; last: {_first_line(error)}); "
                "the catalog is unchanged, the previous scan is intact")
    return f"scan not stored ({stage} failed), the catalog is unchanged, the previous scan is intact: {_first_line(error)}"


def _first_line(error: BaseException) -> str:
    return f"{type(error).__name__}: {(str(error).strip().splitlines() or [''])[0][:500]}"


def scan_fingerprint(result: ScanResult, ownership_inputs: str) -> str:
    """Changes whenever what a scan would store may change: file payloads, folders, errors, ownership inputs."""
    digest = hashlib.sha256()
    for record in sorted(result.files, key=lambda f: f.path):
        digest.update(f"{record.path}\0{record.payload_digest}\0".encode())
    digest.update(json.dumps([result.folders, [e.to_dict() for e in result.errors]], sort_keys=True, default=str).encode())
    digest.update(ownership_inputs.encode())
    return digest.hexdigest()


def _adopt_default(conn: Any, source: str, result: ScanResult) -> None:
    """The first named scan of the folders a pre-sources catalog was built from takes over its rows (migration 0005)."""
    if source == DEFAULT_SOURCE or conn.execute(select(Source.id).where(Source.name == source)).first():
        return
    folders = conn.execute(select(Scan.folders).where(Scan.source == DEFAULT_SOURCE, Scan.status == "ok")
                           .order_by(Scan.id.desc()).limit(1)).scalar()
    if folders is None or sorted(folders) != sorted(result.folders):
        return
    from overlay.catalog.sources import rename_source

    rename_source(conn, DEFAULT_SOURCE, source)


def _refuse_empty(conn: Any, source: str, result: ScanResult) -> None:
    dags = conn.execute(select(func.count()).select_from(Dag).where(Dag.source == source)).scalar_one()
    if not dags:
        return
    tasks = conn.execute(select(func.count()).select_from(Task).where(Task.source == source)).scalar_one()
    last = conn.execute(select(Scan.finished_at, Scan.folders).where(Scan.source == source, Scan.status == "ok")
                        .order_by(Scan.id.desc()).limit(1)).first()
    when = f", last scanned {last.finished_at:%Y-%m-%d %H:%M} from {', '.join(last.folders)}" if last and last.finished_at else ""
    raise EmptyScanRefused(
        f"refusing to empty source {source!r}: no DAG found in {', '.join(result.folders) or 'the given folders'} "
        f"({len(result.files)} files, {len(result.errors)} errors), where the catalog holds {dags} DAGs and {tasks} tasks "
        f"of this source{when}. Check the folder, or pass --allow-empty to store the empty scan")


def _unchanged_since_last_scan(conn: Any, result: ScanResult, mode: str, started_at: datetime, fingerprint: str,
                               source: str, bundle_version: str | None) -> ScanSummary | None:
    """When nothing a scan would store has changed, record the scan and leave the catalog as it is."""
    last = conn.execute(select(Scan.counts).where(Scan.status == "ok", Scan.source == source).order_by(Scan.id.desc()).limit(1)).scalar()
    if not last or last.get("fingerprint") != fingerprint:
        return None
    counts = {k: v for k, v in last.items() if k in ScanSummary.__dataclass_fields__}
    counts["reused_files"] = sum(1 for f in result.files if f.mode == "cached")
    scan_id = conn.execute(insert(Scan.__table__).values(
        source=source, bundle_version=bundle_version, started_at=started_at, finished_at=datetime.now(timezone.utc),
        folders=result.folders, mode=mode, git_commit=result.git_commit, status="ok",
        counts={**counts, "fingerprint": fingerprint, "unchanged": True}, overlay_version=__version__)).inserted_primary_key[0]
    _record_errors(conn, scan_id, result)
    return ScanSummary(**{**counts, "scan_id": scan_id})


def _store(conn: Any, result: ScanResult, mode: str, started_at: datetime, ownership: dict[str, dict[str, Any]],
           fingerprint: str, source: str, bundle_version: str | None, holders: dict[str, list[dict[str, Any]]]) -> ScanSummary:
    ensure_source(conn, source)
    scan_id = conn.execute(insert(Scan.__table__).values(
        source=source, bundle_version=bundle_version, started_at=started_at, finished_at=None, folders=result.folders, mode=mode,
        git_commit=result.git_commit, status="running", counts={}, overlay_version=__version__)).inserted_primary_key[0]
    scope = {"source": source}
    previous_assets = {a for (a,) in conn.execute(select(TaskIO.asset_id).join(Task, Task.id == TaskIO.task_pk)
                                                  .where(Task.source == source).distinct())}

    sync_rows(conn, SourceFile.__table__, ["path"], [
        {"path": f.path, "content_hash": f.content_hash, "mode": f.mode, "error": f.error, "payload": f.payload,
         "payload_digest": f.payload_digest, "scan_id": scan_id}
        for f in result.files], compare=["content_hash", "error", "payload_digest"], scope=scope)
    sync_rows(conn, Dag.__table__, ["dag_id"], [
        {"dag_id": d.dag_id, "file": d.file, "line": d.line, "mode": d.mode, "owners": list(d.owners),
         "owner_links": dict(d.owner_links), "tags": list(d.tags), "schedule": d.schedule, "ownership": holders.get(d.dag_id)}
        for d in result.dags], scope=scope)
    task_ids = sync_rows(conn, Task.__table__, ["dag_id", "task_id"], [
        {"dag_id": t.dag_id, "task_id": t.task_id, "operator": t.operator, "file": t.file, "line": t.line, "owner": t.owner,
         "status": t.status, "errors": list(t.errors), "sql": list(t.sql), "sql_files": list(t.sql_files),
         "columns": dict(t.columns), "upstream": list(t.upstream), "ownership": holders.get(f"{t.dag_id}.{t.task_id}")}
        for t in result.tasks], scope=scope)

    locks.xact_lock(conn, locks.ASSETS)  # the shared rows: one scan at a time merges them, until commit
    terms = scan_terms(result, task_ids)
    asset_ids, created = merge_assets(conn, source, result, ownership, previous_assets,
                                      docs=lambda rows: new_asset_docs(conn, rows, terms))
    io, edges = set(), set()
    for task in result.tasks:
        pk = task_ids[(task.dag_id, task.task_id)]
        io.update((pk, asset_ids[key], "read") for key in task.reads)
        io.update((pk, asset_ids[key], "write") for key in task.writes)
        edges.update((asset_ids[a], asset_ids[b], pk) for a, b in task.edges)
    own_tasks = select(Task.id).where(Task.source == source)
    sync_links(conn, TaskIO.__table__, ["task_pk", "asset_id", "mode"], io, scope=TaskIO.task_pk.in_(own_tasks))
    sync_links(conn, AssetEdge.__table__, ["from_asset", "to_asset", "task_pk"], edges, scope=AssetEdge.task_pk.in_(own_tasks))
    delete_orphans(conn, previous_assets - set(asset_ids.values()))
    # search terms and evidence of the assets that existed before (created ones got theirs; deleted ids are skipped)
    refresh_assets(conn, (previous_assets | set(asset_ids.values())) - created)

    _record_errors(conn, scan_id, result)
    summary = ScanSummary(
        scan_id=scan_id, dags=len(result.dags), tasks=len(result.tasks), assets=len(result.assets), edges=len(edges),
        unresolved=sum(1 for t in result.tasks if t.status == "unresolved"), errors=len(file_problems(result.errors)),
        files=len(result.files), reused_files=sum(1 for f in result.files if f.mode == "cached"))
    conn.execute(Scan.__table__.update().where(Scan.__table__.c.id == scan_id).values(
        status="ok", finished_at=datetime.now(timezone.utc), counts={**summary.to_dict(), "fingerprint": fingerprint}))
    return summary


def _record_errors(conn: Any, scan_id: int, result: ScanResult) -> None:
    if result.errors:
        conn.execute(insert(ScanError.__table__), [
            {"scan_id": scan_id, "file": e.file, "line": e.line, "stage": e.stage, "error": e.error} for e in result.errors])
