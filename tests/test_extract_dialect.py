"""Dialect when the connection does not say (issue 9 §8): the operator, the conn_id, the connection's type, a fallback chain."""

from __future__ import annotations

import pytest

from overlay.config import Settings
from overlay.connections import ConnectionResolver, dialect_hint
from overlay.extract import ExtractContext, extract_task
from overlay.model import DagSpec, TaskSpec
from overlay.resolve import resolve_task

DAG = DagSpec("mv", "/repo/dags/mv.py")
REFRESH = "REFRESH MATERIALIZED VIEW CONCURRENTLY mid.author_counts_mv;\nVACUUM ANALYZE mid.author_counts_mv;"


def _resolve(operator: str, sql: str, conn: str | None = "OPENALEX_DB", environ: dict[str, str] | None = None):  # noqa: ANN202
    args = {"sql": sql, **({"conn_id": conn} if conn else {})}
    task = TaskSpec("mv", "refresh", operator, DAG.file, 10, args=args)
    resolver = ConnectionResolver(Settings(), environ=environ or {}, airflow_db_url="sqlite:////nonexistent/airflow.db")
    resolved, _ = resolve_task(task, extract_task(task, DAG, ExtractContext()), resolver)
    return resolved


@pytest.mark.parametrize(("name", "dialect"), [
    ("PostgresOperator", "postgres"), ("MyPostgresRefreshOperator", "postgres"), ("GCSToBigQueryOperator", "bigquery"),
    ("BigQueryInsertJobOperator", "bigquery"), ("SnowflakeSqlApiOperator", "snowflake"), ("snowflake_default", "snowflake"),
    ("redshift_conn", "redshift"), ("archive_db", None), ("ARCHIVE_DB", None), ("OPENALEX_DB", None), ("SQLExecuteQueryOperator", None),
])
def test_dialect_hint_from_a_name(name: str, dialect: str | None) -> None:
    assert dialect_hint(name) == dialect


def test_unknown_connection_falls_back_to_the_dialect_that_parses() -> None:
    task = _resolve("SQLExecuteQueryOperator", REFRESH)
    assert task.status == "resolved" and task.writes == ["OPENALEX_DB:mid.author_counts_mv"], task.errors
    assert any(n.startswith("SQL parsed as postgres (the generic parser failed; tried generic, postgres)") and "OPENALEX_DB" in n
               and "`connections:`" in n for n in task.notes), task.notes


def test_operator_class_name_gives_the_dialect() -> None:
    task = _resolve("RefreshPostgresViewsOperator", REFRESH)  # not in the registry: read by its `sql`
    assert task.status == "resolved" and task.writes == ["OPENALEX_DB:mid.author_counts_mv"], task.errors


def test_connection_type_wins_over_the_chain() -> None:
    task = _resolve("SQLExecuteQueryOperator", REFRESH, environ={"AIRFLOW_CONN_OPENALEX_DB": "postgres://u:p@db.example:5432/openalex"})
    assert task.status == "resolved" and task.notes == []  # the connection's type says postgres: nothing inferred
    assert task.writes == ["postgres://db.example:5432/openalex:openalex.mid.author_counts_mv"]


def test_sql_no_dialect_parses_stays_an_error() -> None:
    task = _resolve("SQLExecuteQueryOperator", "SELEC broken FROM")
    assert task.status == "unresolved" and "does not parse" in task.errors[0]
