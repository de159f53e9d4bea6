"""The listener when the catalog hangs: a real PostgreSQL catalog whose tables the test holds an exclusive lock on.
One writer thread at most, no task waits longer than OVERLAY_LISTENER_TIMEOUT, what does not fit is dropped and
counted, and what was queued is written once the catalog answers again."""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

pytest.importorskip("airflow.listeners")

from airflow_plugin import listener  # noqa: E402
from airflow_plugin.settings import catalog_url  # noqa: E402
from airflow_plugin.writer import BoundedWriter  # noqa: E402
from overlay.catalog import Catalog  # noqa: E402

TIMEOUT = 0.3
TASKS = 21
CAPACITY = 5
DAG = """
from airflow.sdk import DAG
from airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator

with DAG(dag_id="wide", schedule=None):
    for i in range(21):
        SQLExecuteQueryOperator(task_id=f"load_{i}", conn_id="wh", sql=f"INSERT INTO mart.t{i} SELECT 1")
"""


def _task_instance(i: int) -> SimpleNamespace:
    return SimpleNamespace(dag_id="wide", task_id=f"load_{i}", run_id="manual__2026-12-01T00:00:00+00:00", try_number=1,
                           start_date=None, end_date=None, task=None)


@pytest.fixture
def hung_catalog(pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # noqa: ANN201
    """A scanned catalog, then an ACCESS EXCLUSIVE lock on its tables held by the test: every catalog read waits."""
    import psycopg

    from overlay.scan import scan_folders

    (tmp_path / "dags").mkdir()
    (tmp_path / "dags" / "wide.py").write_text(DAG)
    catalog = Catalog.open(pg_url)
    from airflow_plugin.settings import airflow_source

    catalog.store_scan(scan_folders([str(tmp_path / "dags")], mode="static"), source=airflow_source())  # as this Airflow names itself
    catalog.close()
    monkeypatch.setenv("OVERLAY_DB", pg_url)
    monkeypatch.setenv("OVERLAY_LISTENER_TIMEOUT", str(TIMEOUT))
    monkeypatch.setattr(listener, "writer", BoundedWriter(listener._record, CAPACITY, name="overlay-listener"))
    lock = psycopg.connect(pg_url.replace("postgresql+psycopg://", "postgresql://"))
    lock.execute("LOCK TABLE tasks, materializations IN ACCESS EXCLUSIVE MODE")  # held until rollback
    try:
        yield lock
    finally:
        lock.rollback()
        lock.close()
        listener.writer.drain(30)


def test_a_hung_catalog_costs_one_thread_and_at_most_the_timeout_per_task(hung_catalog, caplog) -> None:  # noqa: ANN001
    before = threading.active_count()
    waits = []
    with caplog.at_level(logging.WARNING, logger="airflow_plugin"):
        for i in range(TASKS):
            started = time.monotonic()
            listener.on_task_instance_success(None, _task_instance(i))
            waits.append(time.monotonic() - started)
            assert threading.active_count() <= before + 1
    assert max(waits) < TIMEOUT + 1.0  # never slowed beyond the timeout (with room for a loaded machine)
    counts = listener.writer.counts
    assert counts.written == 0 and counts.dropped == TASKS - CAPACITY - 1  # one being written, CAPACITY queued
    drops = [r.getMessage() for r in caplog.records if "dropped a record" in r.getMessage()]
    assert len(drops) == counts.dropped and drops[-1].endswith(f"({counts.dropped} dropped in this process)")
    assert any("gave up waiting for the catalog" in r.getMessage() for r in caplog.records)

    hung_catalog.rollback()  # the catalog answers again: what was queued gets written
    assert listener.writer.drain(30)
    assert (listener.writer.counts.written, listener.writer.counts.failed) == (CAPACITY + 1, 0)
    catalog = Catalog.open(catalog_url())
    recorded = {m["task_id"] for i in range(TASKS) for m in catalog.materializations(catalog.resolve_key(f"mart.t{i}"))}
    catalog.close()
    assert recorded == {f"load_{i}" for i in range(CAPACITY + 1)}  # the first ones, in order; the rest were dropped


def test_the_writer_counts_failures_and_keeps_going() -> None:
    seen = []

    def write(n: int) -> None:
        if n == 2:
            raise RuntimeError("catalog down")
        seen.append(n)

    writer = BoundedWriter(write, 10)
    assert [writer.submit(n, 5) for n in (1, 2, 3)] == ["done", "done", "done"]
    assert seen == [1, 3] and (writer.counts.written, writer.counts.failed, writer.counts.dropped) == (2, 1, 0)
