"""Runtime query tags: statements sent through Airflow's DbApiHook carry the running task's sqlcommenter comment."""

from __future__ import annotations

import sqlite3
from types import SimpleNamespace

import pytest

pytest.importorskip("airflow.providers.common.sql")

from airflow.providers.common.sql.hooks.sql import DbApiHook  # noqa: E402

from airflow_plugin import tagging  # noqa: E402
from overlay.attribution.tags import parse_sqlcommenter  # noqa: E402


class TracedSqliteHook(DbApiHook):
    """A DbApiHook over a real SQLite connection that records what reaches the database."""

    conn_name_attr = "sqlite_conn_id"

    def __init__(self, path: str) -> None:
        super().__init__()
        self.seen: list[str] = []
        self.path = path

    def get_conn(self) -> sqlite3.Connection:  # DbApiHook.run closes each connection it gets
        connection = sqlite3.connect(self.path)
        connection.set_trace_callback(self.seen.append)
        return connection


def _task_instance(task: object = None) -> SimpleNamespace:
    return SimpleNamespace(dag_id="finance_revenue", task_id="build_okr_dashboard", run_id="scheduled__2026-11-24T00:00:00+00:00",
                           try_number=2, task=task)


def test_statements_carry_the_running_tasks_tags(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:  # noqa: ANN001
    monkeypatch.delenv("OVERLAY_QUERY_TAGS", raising=False)
    tagging.enabled.cache_clear()
    hook = TracedSqliteHook(str(tmp_path / "db.sqlite"))
    tagging.start(_task_instance())
    try:
        hook.run(["CREATE TABLE t (x int)", "INSERT INTO t VALUES (1)"])
        assert hook.get_first("SELECT count(*) FROM t") == (1,)
    finally:
        tagging.stop()
    tagged = [s for s in hook.seen if "/*" in s]
    assert len(tagged) == 3
    assert parse_sqlcommenter(tagged[1]) == {"dag_id": "finance_revenue", "run_id": "scheduled__2026-11-24T00:00:00+00:00",
                                             "task_id": "build_okr_dashboard", "try_number": "2"}
    hook.run("SELECT 1")  # outside a task: untouched
    assert hook.seen[-1] == "SELECT 1"


def test_bigquery_jobs_get_labels_and_the_switch_turns_tagging_off(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:  # noqa: ANN001
    monkeypatch.delenv("OVERLAY_QUERY_TAGS", raising=False)
    tagging.enabled.cache_clear()
    job = SimpleNamespace(configuration={"query": {"query": "SELECT 1"}})
    tagging.start(_task_instance(job))
    tagging.stop()
    assert job.configuration["labels"] == {"dag_id": "finance_revenue", "task_id": "build_okr_dashboard",
                                           "run_id": "scheduled__2026-11-24t00_00_00_00_00", "try_number": "2"}
    monkeypatch.setenv("OVERLAY_QUERY_TAGS", "off")
    tagging.enabled.cache_clear()
    hook = TracedSqliteHook(str(tmp_path / "db.sqlite"))
    tagging.start(_task_instance())
    try:
        hook.run("SELECT 2")
    finally:
        tagging.stop()
        tagging.enabled.cache_clear()
    assert hook.seen[-1] == "SELECT 2"
