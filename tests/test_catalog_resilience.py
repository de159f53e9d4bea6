"""The catalog under a dropped database connection and concurrent first scans, with real processes and servers."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import event, text

from overlay.catalog import Catalog, CatalogError
from overlay.catalog.engine import current_revision, head_revision, make_engine

ROOT = Path(__file__).resolve().parent.parent
OPENER = """
import sys, time
from pathlib import Path
from overlay.catalog import Catalog
import alembic.command, alembic.runtime.migration, alembic.script, sqlalchemy.dialects.postgresql  # loaded: all start at once
print("ready", flush=True)
go = Path(sys.argv[2])
while not go.exists():
    time.sleep(0.005)
Catalog.open(sys.argv[1]).close()
print("opened", flush=True)
"""


def open_concurrently(url: str, go: Path, processes: int = 4) -> list[subprocess.CompletedProcess]:
    """Start the processes, let each import overlay, then release them at once on a new catalog."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [subprocess.Popen([sys.executable, "-c", OPENER, url, str(go)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, env=env) for _ in range(processes)]
    for proc in procs:
        assert proc.stdout.readline().strip() == "ready"
    go.touch()
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        results.append(subprocess.CompletedProcess(proc.args, proc.returncode, out, err))
    return results


def test_concurrent_first_opens_serialize_the_migration(db_url: str, tmp_path: Path) -> None:
    results = open_concurrently(db_url, tmp_path / "go")
    assert all(r.returncode == 0 for r in results), [r.stderr[-2000:] for r in results if r.returncode]
    engine = make_engine(db_url)
    assert current_revision(engine) == head_revision()
    engine.dispose()


def _scan(tmp_path: Path, *tables: str):  # noqa: ANN202 - a ScanResult
    from test_catalog import _result, _task

    return _result(*[_task(f"dag_{t}", "build", [f"wh:raw.{t}_src"], [f"wh:mart.{t}"]) for t in tables])


def _terminate_mid_store(catalog: Catalog, admin_url: str, times: int) -> list[int]:
    """Terminate the catalog's own backend when the store reaches the assets, ``times`` times."""
    import psycopg

    terminated: list[int] = []

    @event.listens_for(catalog.engine, "before_cursor_execute")
    def kill(conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001
        if len(terminated) < times and statement.lstrip().upper().startswith("INSERT INTO ASSETS"):
            pid = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar()
            with psycopg.connect(admin_url, autocommit=True) as admin:
                admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
            terminated.append(pid)

    return terminated


def _keys(catalog: Catalog) -> list[str]:
    return [a["key"] for a in catalog.assets(limit=1000)["items"]]


def _admin(pg_url: str) -> str:
    return pg_url.replace("postgresql+psycopg://", "postgresql://")


def test_connection_terminated_mid_store_is_retried(pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("overlay.catalog.store.RETRY_DELAYS", (0.0, 0.0))
    catalog = Catalog.open(pg_url)
    catalog.store_scan(_scan(tmp_path, "a"))
    terminated = _terminate_mid_store(catalog, _admin(pg_url), times=1)
    summary = catalog.store_scan(_scan(tmp_path, "b"))
    assert len(terminated) == 1 and summary.assets == 2
    assert _keys(catalog) == ["wh:mart.b", "wh:raw.b_src"]
    catalog.close()


def test_connection_lost_for_good_names_the_stage_and_keeps_the_previous_scan(pg_url: str, tmp_path: Path,
                                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("overlay.catalog.store.RETRY_DELAYS", (0.0, 0.0))
    catalog = Catalog.open(pg_url)
    catalog.store_scan(_scan(tmp_path, "a"))
    terminated = _terminate_mid_store(catalog, _admin(pg_url), times=99)
    with pytest.raises(CatalogError) as raised:
        catalog.store_scan(_scan(tmp_path, "b"))
    message = str(raised.value)
    assert len(terminated) == 3  # the first try and two retries
    assert "storing the scan" in message and "connection" in message and "previous scan is intact" in message
    assert "\n" not in message and "Traceback" not in message
    assert _keys(catalog) == ["wh:mart.a", "wh:raw.a_src"]
    with catalog.engine.connect() as conn:
        assert conn.execute(text("SELECT status FROM scans ORDER BY id DESC LIMIT 1")).scalar() == "failed"
    catalog.close()


def test_a_pooled_connection_the_server_dropped_is_replaced(pg_url: str) -> None:
    """Pre-ping: after every backend of the catalog was terminated, the next read gets a new connection."""
    import psycopg

    catalog = Catalog.open(pg_url)
    assert catalog.assets()["total"] == 0  # a pooled connection now exists
    name = pg_url.rsplit("/", 1)[1]
    with psycopg.connect(_admin(pg_url).rsplit("/", 1)[0] + "/postgres", autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()", (name,))
    assert catalog.assets()["total"] == 0  # not "server closed the connection unexpectedly"
    catalog.close()
