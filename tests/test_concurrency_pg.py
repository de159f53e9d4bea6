"""Many writers on one PostgreSQL catalog, as real processes: scans of different sources, of the same source,
and run recording while a scan is in the middle of its transaction."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from overlay.catalog import Catalog
from overlay.catalog.locks import ASSETS, lock_key, source_lock

WRITER = str(Path(__file__).resolve().parent / "catalog_writer.py")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

from synthetic import source_name, synthetic_result  # noqa: E402


def start(*args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, WRITER, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(process: subprocess.Popen, timeout: float = 120) -> dict:
    out, err = process.communicate(timeout=timeout)
    assert process.returncode == 0, err[-3000:]
    return json.loads(out.strip().splitlines()[-1])


def wait_for_waiter(url: str, key: int, timeout: float = 60) -> None:
    """Until some session waits for the advisory lock ``key`` (bounded)."""
    engine = create_engine(url)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            with engine.connect() as conn:
                waiting = conn.execute(text(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
                    "AND ((classid::bigint << 32) | objid::bigint) = (:key & x'FFFFFFFFFFFFFFFF'::bigint)"), {"key": key}).scalar()
            if waiting:
                return
            time.sleep(0.1)
    finally:
        engine.dispose()
    pytest.fail(f"nobody waited for advisory lock {key} within {timeout}s")


def holding(url: str, name: str):  # noqa: ANN201 - a connection holding the advisory lock ``name``
    engine = create_engine(url)
    conn = engine.connect()
    conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": lock_key(name)})
    return engine, conn


def release(engine, conn, name: str) -> None:  # noqa: ANN001
    conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": lock_key(name)})
    conn.close()
    engine.dispose()


def counts(url: str) -> dict[str, int]:
    catalog = Catalog.open(url)
    try:
        return {s["name"]: s["counts"]["tasks"] for s in catalog.sources()}
    finally:
        catalog.close()


def test_four_sources_store_concurrently_and_share_assets(pg_url: str) -> None:
    Catalog.open(pg_url).close()  # migrated once, before the writers race
    writers = [start("store", pg_url, str(i), "0") for i in range(4)]
    results = [finish(w) for w in writers]
    assert sorted(r["source"] for r in results) == [source_name(i) for i in range(4)]
    assert counts(pg_url) == {source_name(i): 100 for i in range(4)}
    catalog = Catalog.open(pg_url)
    expected_assets = {a.key for i in range(4) for a in synthetic_result(i, dags=20, tasks_per_dag=5, shared=50, sources=4).assets}
    assert {a["key"] for a in catalog.assets(limit=1000)["items"]} == expected_assets  # one row per table, whoever wrote it
    with catalog.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM task_io")).scalar() == sum(
            len(t.reads) + len(t.writes) for i in range(4) for t in synthetic_result(i, dags=20, sources=4, shared=50).tasks)
    up = catalog.lineage("wh:deploy_01.d0_t4", "downstream", 1)  # deploy-00's first task reads deploy-01's output
    assert any(e["via"] == "dag_0.t0" and e["to"] == "wh:deploy_00.d0_t0" for e in up["edges"])
    catalog.close()


def test_a_source_being_stored_does_not_hold_up_another_source(pg_url: str) -> None:
    Catalog.open(pg_url).close()
    engine, conn = holding(pg_url, source_lock(source_name(0)))  # as if a long scan of deploy-00 were under way
    try:
        blocked = start("store", pg_url, "0", "0")
        wait_for_waiter(pg_url, lock_key(source_lock(source_name(0))))
        other = finish(start("store", pg_url, "1", "0"))  # lands while deploy-00 waits
        assert other["tasks"] == 100 and blocked.poll() is None
    finally:
        release(engine, conn, source_lock(source_name(0)))
    assert finish(blocked)["tasks"] == 100
    assert counts(pg_url) == {source_name(0): 100, source_name(1): 100}


def test_scans_of_one_source_are_serialized_and_the_last_one_wins_whole(pg_url: str) -> None:
    Catalog.open(pg_url).close()
    engine, conn = holding(pg_url, source_lock(source_name(2)))
    try:
        first = start("store", pg_url, "2", "1", "20")
        wait_for_waiter(pg_url, lock_key(source_lock(source_name(2))))
        second = start("store", pg_url, "2", "2", "12")  # a newer scan of the same source, fewer DAGs
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # both queued on the source's lock
            check = create_engine(pg_url)
            with check.connect() as c:
                waiting = c.execute(text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")).scalar()
            check.dispose()
            if waiting >= 2:
                break
            time.sleep(0.1)
    finally:
        release(engine, conn, source_lock(source_name(2)))
    results = sorted([finish(first), finish(second)], key=lambda r: r["ended"])
    assert results[0]["ended"] <= results[1]["started"] + (results[1]["ended"] - results[1]["started"])
    last = results[-1]
    catalog = Catalog.open(pg_url)
    dags = catalog.dags(source=source_name(2))
    assert len(dags) == (20 if last["variant"] == 1 else 12)  # exactly the later scan, nothing of the earlier left
    assert {t for d in dags for t in d["tags"]} == {f"v{last['variant']}"}
    with catalog.engine.connect() as c:
        assert c.execute(text("SELECT count(*) FROM tasks")).scalar() == len(dags) * 5
    catalog.close()


def test_runs_are_recorded_while_a_scan_is_mid_transaction(pg_url: str) -> None:
    Catalog.open(pg_url).close()
    finish(start("store", pg_url, "0", "0"))
    finish(start("store", pg_url, "1", "0"))
    engine, conn = holding(pg_url, ASSETS)  # a rescan of deploy-00 will stop, mid-transaction, before the shared assets
    try:
        rescan = start("store", pg_url, "0", "5")
        wait_for_waiter(pg_url, lock_key(ASSETS))
        mine = finish(start("runs", pg_url, source_name(0), "dag_3", "t1", "20"), timeout=30)  # the listener, same source
        other = finish(start("runs", pg_url, source_name(1), "dag_3", "t1", "20"), timeout=30)  # runs sync, another source
        assert mine["materializations"] == 20 and other["materializations"] == 20 and rescan.poll() is None
    finally:
        release(engine, conn, ASSETS)
    assert finish(rescan)["tasks"] == 100
    catalog = Catalog.open(pg_url)
    history = catalog.materializations("wh:deploy_00.d3_t1")
    assert len(history) == 20 and {m["source_name"] for m in history} == {source_name(0)}  # kept across the rescan
    catalog.close()
