"""An unknown value never becomes part of a table name (issue 9 §5): stand-ins are tracked and refused."""

from __future__ import annotations

import pytest

from overlay.config import Settings
from overlay.connections import ConnectionResolver
from overlay.extract import ExtractContext, extract_task
from overlay.model import DagSpec, TaskSpec
from overlay.resolve import resolve_task

DAG = DagSpec("leaks", "/repo/dags/leaks.py", params={"region": "eu"})


def _resolve(sql: str, variables: dict | None = None, params: dict | None = None, operator: str = "PostgresOperator"):  # noqa: ANN202
    task = TaskSpec("leaks", "t", operator, DAG.file, 10, args={"sql": sql, "postgres_conn_id": "wh", **({"params": params} if params else {})})
    resolver = ConnectionResolver(Settings(), environ={}, airflow_db_url="sqlite:////nonexistent/airflow.db")
    return resolve_task(task, extract_task(task, DAG, ExtractContext(variables=variables or {})), resolver)


@pytest.mark.parametrize(("sql", "reason"), [
    ("INSERT INTO {{ var.json.aws_configs.redshift_table }} SELECT * FROM raw.a", "Airflow Variable `aws_configs` (key redshift_table; give it under `variables:`"),
    ("INSERT INTO {{ params.output_dataset_name }}.{{ params.output_table_name }} SELECT * FROM raw.a", "param `output_"),
    ("INSERT INTO mart.events_{{ ds_nodash }} SELECT * FROM raw.a", "the run's date"),
    ("INSERT INTO {{ ti.xcom_pull(task_ids='pick') }} SELECT * FROM raw.a", "XCom"),
    ("INSERT INTO mart.{{ dag_run.conf['table'] }} SELECT * FROM raw.a", "`dag_run.conf.table` (known only at run time)"),
    ("INSERT INTO mart.{{ target_table }} SELECT * FROM raw.a", "`target_table` (not defined statically"),
])
def test_a_stand_in_never_names_a_table(sql: str, reason: str) -> None:
    resolved, assets = _resolve(sql)
    assert resolved.status == "partial", resolved.errors
    assert resolved.reads == ["wh:raw.a"] and resolved.writes == [] and resolved.edges == []
    assert [a.key for a in assets] == ["wh:raw.a"]
    assert any(reason in e and "not known statically" in e for e in resolved.errors), resolved.errors


def test_known_values_still_name_tables() -> None:
    resolved, _ = _resolve("INSERT INTO {{ var.value.schema }}.t_{{ params.region }} SELECT * FROM raw.a "
                           "WHERE d = '{{ ds }}' AND c = '{{ dag_run.conf.get(\"x\") }}'", variables={"schema": "mart"})
    assert resolved.status == "resolved" and resolved.writes == ["wh:mart.t_eu"], resolved.errors


def test_a_literal_date_in_sql_is_not_a_stand_in() -> None:
    resolved, _ = _resolve("INSERT INTO mart.events_20240115 SELECT * FROM raw.a")
    assert resolved.status == "resolved" and resolved.writes == ["wh:mart.events_20240115"]


def test_standin_in_finds_the_first_standin_the_name_is_built_from() -> None:
    from overlay.resolve import standin_in

    standins = ["var_x", "params_env", "20240115t000000"]
    assert standin_in("mart.orders_params_env", standins) == "params_env"
    assert standin_in('"Raw".var_x_events', standins) == "var_x"
    assert standin_in("mart.20240115t000000_scores", standins) == "20240115t000000"
    assert standin_in("mart.avar_xs", standins) is None  # inside a word: not a whole run
    assert standin_in("mart.orders", standins) is None and standin_in("mart.orders", []) is None
    assert standin_in("VAR_X.t", {"var_x": "Variable x", "params_env": "param"}) == "var_x"
