"""Hostile conditions for the catalog: concurrent first scans racing on the migration (SQLite and PostgreSQL, real
processes), and a PostgreSQL backend terminated in the middle of storing a scan (retried, or a one-line error
naming the stage, with the previous scan intact)."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

from robustness_cases.api import _catalog_url  # a throwaway SQLite file or PostgreSQL database

ROOT = Path(__file__).resolve().parent.parent.parent
OPENER = """
import sys, time
from pathlib import Path
from overlay.catalog import Catalog
import alembic.command, alembic.runtime.migration, alembic.script
print("ready", flush=True)
while not Path(sys.argv[2]).exists():
    time.sleep(0.005)
Catalog.open(sys.argv[1]).close()
"""


def _race(backend: str, processes: int = 4) -> Callable[[], str | None]:
    def run() -> str | None:
        from overlay.catalog.engine import current_revision, head_revision, make_engine

        with _catalog_url(backend) as url, tempfile.TemporaryDirectory() as tmp:
            go = Path(tmp) / "go"
            env = {**os.environ, "PYTHONPATH": str(ROOT)}
            procs = [subprocess.Popen([sys.executable, "-c", OPENER, url, str(go)], stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE, text=True, env=env) for _ in range(processes)]
            for proc in procs:
                proc.stdout.readline()
            go.touch()
            failed = [err.strip().splitlines()[-1] for out, err in (p.communicate(timeout=120) for p in procs) if err.strip()
                      and "Error" in err]
            engine = make_engine(url)
            revision = current_revision(engine)
            engine.dispose()
        if failed:
            return f"{len(failed)} of {processes} concurrent first opens failed: {failed[0][:200]}"
        return None if revision == head_revision() else f"catalog at revision {revision}, not {head_revision()}"

    return run


def _terminated_mid_store(times: int) -> Callable[[], str | None]:
    def run() -> str | None:
        import psycopg
        from sqlalchemy import event

        import overlay.catalog.store as store
        from overlay.catalog import Catalog, CatalogError
        from overlay.model import AssetRef, DagSpec, FileRecord, ResolvedTask, ScanResult

        store.RETRY_DELAYS = (0.0, 0.0)

        def scan(table: str) -> ScanResult:
            dag = f"build_{table}"
            task = ResolvedTask(dag, "t", "SQLExecuteQueryOperator", f"dags/{dag}.py", 3, "ana", "resolved",
                                reads=["wh:raw.src"], writes=[f"wh:mart.{table}"], edges=[["wh:raw.src", f"wh:mart.{table}"]])
            return ScanResult(folders=["dags"], dags=[DagSpec(dag, f"dags/{dag}.py")], tasks=[task],
                              assets=[AssetRef("wh", "raw.src"), AssetRef("wh", f"mart.{table}")],
                              files=[FileRecord(f"/abs/dags/{dag}.py", f"hash-{dag}", "static", [dag], payload={"content_hash": dag})])

        with _catalog_url("postgresql") as url:
            catalog = Catalog.open(url)
            catalog.store_scan(scan("first"))
            killed: list[int] = []

            @event.listens_for(catalog.engine, "before_cursor_execute")
            def kill(conn, cursor, statement, *args) -> None:  # noqa: ANN001
                if len(killed) < times and statement.lstrip().upper().startswith("INSERT INTO ASSETS"):
                    pid = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar()
                    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as admin:
                        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
                    killed.append(pid)

            try:
                catalog.store_scan(scan("second"))
                outcome = None
            except CatalogError as e:
                outcome = str(e)
            keys = [a["key"] for a in catalog.assets()["items"]]
            catalog.close()
        if times == 1:
            return None if outcome is None and "wh:mart.second" in keys else f"not retried: {outcome}, catalog {keys}"
        if outcome is None or "storing the scan" not in outcome or "\n" in outcome:
            return f"expected a one-line error naming the stage, got {outcome!r}"
        return None if "wh:mart.first" in keys and "wh:mart.second" not in keys else f"previous scan lost: {keys}"

    return run


def cases() -> Iterator[tuple[str, str, Callable[[], str | None]]]:
    yield ("catalog", "sqlite: 4 concurrent first opens of a new catalog", _race("sqlite"))
    yield ("catalog", "postgresql: 4 concurrent first opens of a new catalog", _race("postgresql"))
    yield ("catalog", "postgresql: backend terminated once mid-store (retried)", _terminated_mid_store(1))
    yield ("catalog", "postgresql: backend terminated on every attempt (clear error, previous scan intact)", _terminated_mid_store(99))
