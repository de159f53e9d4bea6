"""Writing the catalog: one scan stored in one transaction, in place, with stable ids."""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, TypeVar

from sqlalchemy import Engine, insert, select
from sqlalchemy.exc import DBAPIError, OperationalError

from overlay import __version__
from overlay.catalog.engine import make_engine, migrate, owner_names_text, resolve_db_url
from overlay.catalog.queries import CatalogQueries
from overlay.catalog.contacts import ContactQueries
from overlay.catalog.costs import CostQueries
from overlay.catalog.runs import RunQueries
from overlay.catalog.schema import Asset, AssetEdge, Dag, Materialization, Scan, ScanError, SourceFile, Task, TaskIO
from overlay.catalog.sync import sync_links, sync_rows
from overlay.model import ScanResult

log = logging.getLogger(__name__)
RETRY_DELAYS = (1.0, 3.0)  # seconds before each new attempt when the database connection drops (a server restart)
T = TypeVar("T")

__all__ = ["Catalog", "CatalogError", "ScanSummary", "resolve_db_url"]


class CatalogError(RuntimeError):
    """The catalog database cannot be opened or written."""


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


class Catalog(CatalogQueries, RunQueries, CostQueries, ContactQueries):
    def __init__(self, engine: Engine, url: str) -> None:
        self.engine = engine
        self.url = url

    @classmethod
    def open(cls, url: str | None = None) -> Catalog:
        url = resolve_db_url(url)
        try:
            engine = make_engine(url)
            migrate(engine)
        except Exception as e:
            raise CatalogError(f"cannot open catalog {url}: {type(e).__name__}: {e}") from e
        return cls(engine, url)

    def close(self) -> None:
        self.engine.dispose()

    def cached_files(self) -> dict[str, str]:
        """path -> content hash of every file the catalog holds results for."""
        with self.engine.connect() as conn:
            return dict(conn.execute(select(SourceFile.path, SourceFile.content_hash)).all())

    def cached_payload(self, path: str) -> dict[str, Any] | None:
        """What the last scan found in one file (its DagSpecs, ResolvedTasks and errors), or None."""
        with self.engine.connect() as conn:
            return conn.execute(select(SourceFile.payload).where(SourceFile.path == path)).scalar()

    def cached_payloads(self) -> dict[str, dict[str, Any]]:
        """path -> what the last scan found in that file (with its ``digest``), to skip unchanged files."""
        def read() -> dict[str, dict[str, Any]]:
            with self.engine.connect() as conn:
                rows = conn.execute(select(SourceFile.path, SourceFile.payload, SourceFile.payload_digest)).all()
            return {path: {**payload, "digest": digest} for path, payload, digest in rows if payload and digest}

        return self._retrying("reading the results of earlier scans", read)

    def last_fingerprint(self) -> str | None:
        """Fingerprint of the inputs of the last successful scan (see ``scan_fingerprint``)."""
        def read() -> str | None:
            with self.engine.connect() as conn:
                counts = conn.execute(select(Scan.counts).where(Scan.status == "ok").order_by(Scan.id.desc()).limit(1)).scalar()
            return (counts or {}).get("fingerprint")

        return self._retrying("comparing with the last scan", read)

    def record_unchanged_scan(self, result: ScanResult, mode: str, started_at: datetime, fingerprint: str) -> ScanSummary | None:
        """Record a scan whose inputs equal the last one's, leaving the catalog as it is (None if they differ)."""
        def record() -> ScanSummary | None:
            with self.engine.begin() as conn:
                return _unchanged_since_last_scan(conn, result, mode, started_at, fingerprint)

        return self._retrying("recording an unchanged scan", record)

    def _retrying(self, stage: str, work: Callable[[], T]) -> T:
        """``work`` (one transaction), again after a pause when the connection dropped; else a one-line CatalogError."""
        for attempt, delay in enumerate((*RETRY_DELAYS, None), start=1):
            try:
                return work()
            except Exception as e:
                if delay is not None and connection_lost(e, self.engine):
                    log.warning("catalog connection lost while %s (%s); trying again in %.0fs", stage, _first_line(e), delay)
                    time.sleep(delay)
                    continue
                raise CatalogError(failure_message(stage, e, attempt)) from e
        raise AssertionError("unreachable")

    def store_scan(self, result: ScanResult, mode: str = "auto", started_at: datetime | None = None,
                   ownership: dict[str, dict[str, Any]] | None = None, fingerprint: str | None = None,
                   holders: dict[str, list[dict[str, Any]]] | None = None) -> ScanSummary:
        """``ownership``: asset key -> {"owners", "conflict"}; ``holders``: "dag_id" and "dag_id.task_id" -> claims."""
        """Replace the catalog's content with ``result`` in one transaction; a failure changes nothing."""
        started_at = started_at or datetime.now(timezone.utc)
        fingerprint = fingerprint or scan_fingerprint(result, json.dumps(ownership or {}, sort_keys=True, default=str))

        def store() -> ScanSummary:
            with self.engine.begin() as conn:
                unchanged = _unchanged_since_last_scan(conn, result, mode, started_at, fingerprint)
                if unchanged is not None:
                    return unchanged
                return _store(conn, result, mode, started_at, ownership or {}, fingerprint, holders or {})

        try:
            return self._retrying("storing the scan", store)
        except CatalogError as e:
            self._record_failed_scan(result, mode, started_at, e.__cause__ or e)
            raise

    def _record_failed_scan(self, result: ScanResult, mode: str, started_at: datetime, error: Exception) -> None:
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(Scan.__table__).values(
                    started_at=started_at, finished_at=datetime.now(timezone.utc), folders=result.folders, mode=mode,
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


def _unchanged_since_last_scan(conn: Any, result: ScanResult, mode: str, started_at: datetime, fingerprint: str) -> ScanSummary | None:
    """When nothing a scan would store has changed, record the scan and leave the catalog as it is."""
    last = conn.execute(select(Scan.counts).where(Scan.status == "ok").order_by(Scan.id.desc()).limit(1)).scalar()
    if not last or last.get("fingerprint") != fingerprint:
        return None
    counts = {k: v for k, v in last.items() if k in ScanSummary.__dataclass_fields__}
    counts["reused_files"] = sum(1 for f in result.files if f.mode == "cached")
    scan_id = conn.execute(insert(Scan.__table__).values(
        started_at=started_at, finished_at=datetime.now(timezone.utc), folders=result.folders, mode=mode, git_commit=result.git_commit,
        status="ok", counts={**counts, "fingerprint": fingerprint, "unchanged": True}, overlay_version=__version__)).inserted_primary_key[0]
    _record_errors(conn, scan_id, result)
    return ScanSummary(**{**counts, "scan_id": scan_id})


def _store(conn: Any, result: ScanResult, mode: str, started_at: datetime, ownership: dict[str, dict[str, Any]],
           fingerprint: str, holders: dict[str, list[dict[str, Any]]]) -> ScanSummary:
    scan_id = conn.execute(insert(Scan.__table__).values(
        started_at=started_at, finished_at=None, folders=result.folders, mode=mode, git_commit=result.git_commit,
        status="running", counts={}, overlay_version=__version__)).inserted_primary_key[0]

    sync_rows(conn, SourceFile.__table__, ["path"], [
        {"path": f.path, "content_hash": f.content_hash, "mode": f.mode, "error": f.error, "payload": f.payload,
         "payload_digest": f.payload_digest, "scan_id": scan_id}
        for f in result.files], compare=["content_hash", "error", "payload_digest"])
    sync_rows(conn, Dag.__table__, ["dag_id"], [
        {"dag_id": d.dag_id, "file": d.file, "line": d.line, "mode": d.mode, "owners": list(d.owners),
         "owner_links": dict(d.owner_links), "tags": list(d.tags), "schedule": d.schedule, "ownership": holders.get(d.dag_id)}
        for d in result.dags])
    task_ids = sync_rows(conn, Task.__table__, ["dag_id", "task_id"], [
        {"dag_id": t.dag_id, "task_id": t.task_id, "operator": t.operator, "file": t.file, "line": t.line, "owner": t.owner,
         "status": t.status, "errors": list(t.errors), "sql": list(t.sql), "sql_files": list(t.sql_files),
         "columns": dict(t.columns), "upstream": list(t.upstream), "ownership": holders.get(f"{t.dag_id}.{t.task_id}")}
        for t in result.tasks])

    columns = _asset_columns(result)
    materialized = {(k,) for (k,) in conn.execute(
        select(Asset.key).join(Materialization, Materialization.asset_id == Asset.id).distinct()).all()}
    asset_ids = sync_rows(conn, Asset.__table__, ["key"], [
        {"key": a.key, "namespace": a.namespace, "name": a.name, "short_name": a.name.rsplit(".", 1)[-1],
         "owners": ownership.get(a.key, {}).get("owners", []),
         "owner_names": owner_names_text(ownership.get(a.key, {}).get("owners", [])),
         "owner_conflict": bool(ownership.get(a.key, {}).get("conflict")),
         "columns": columns.get(a.key, [])}
        for a in result.assets], keep=materialized)

    io, edges = set(), set()
    for task in result.tasks:
        pk = task_ids[(task.dag_id, task.task_id)]
        io.update((pk, asset_ids[(key,)], "read") for key in task.reads)
        io.update((pk, asset_ids[(key,)], "write") for key in task.writes)
        edges.update((asset_ids[(a,)], asset_ids[(b,)], pk) for a, b in task.edges)
    sync_links(conn, TaskIO.__table__, ["task_pk", "asset_id", "mode"], io)
    sync_links(conn, AssetEdge.__table__, ["from_asset", "to_asset", "task_pk"], edges)

    _record_errors(conn, scan_id, result)
    summary = ScanSummary(
        scan_id=scan_id, dags=len(result.dags), tasks=len(result.tasks), assets=len(result.assets), edges=len(edges),
        unresolved=sum(1 for t in result.tasks if t.status == "unresolved"), errors=len(result.errors),
        files=len(result.files), reused_files=sum(1 for f in result.files if f.mode == "cached"))
    conn.execute(Scan.__table__.update().where(Scan.__table__.c.id == scan_id).values(
        status="ok", finished_at=datetime.now(timezone.utc), counts={**summary.to_dict(), "fingerprint": fingerprint}))
    return summary


def _record_errors(conn: Any, scan_id: int, result: ScanResult) -> None:
    if result.errors:
        conn.execute(insert(ScanError.__table__), [
            {"scan_id": scan_id, "file": e.file, "line": e.line, "stage": e.stage, "error": e.error} for e in result.errors])


def _asset_columns(result: ScanResult) -> dict[str, list[str]]:
    columns: dict[str, list[str]] = {}
    for task in result.tasks:
        for key, cols in task.columns.items():
            if cols:
                columns[key] = list(cols)
    return columns
