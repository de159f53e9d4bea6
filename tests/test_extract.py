"""Extraction: each operator family, Jinja, bash clients, dbt selection, hook calls, unresolved reasons."""

from __future__ import annotations

from pathlib import Path

import pytest

from overlay.extract import ExtractContext, extract_task
from overlay.extract.shell.clients import parse_commands
from overlay.extract.dbt.manifest import resolve_dbt
from overlay.model import DagSpec, TaskSpec

FIXTURES = Path(__file__).parent / "fixtures"
DBT_PROJECT = Path(__file__).parent.parent / "sample_dags" / "dbt" / "tempo"


def _extract(operator: str, args: dict, source: str | None = None, params: dict | None = None, unknown: list[str] | None = None):
    dag = DagSpec("d", str(FIXTURES / "dag.py"), params=params or {}, template_searchpath=[str(FIXTURES / "sql")])
    task = TaskSpec("d", "t", operator, dag.file, 7, args=args, callable_source=source, unknown_args=unknown or [])
    return extract_task(task, dag, ExtractContext(dag_folder=str(FIXTURES), variables={"target_schema": "mart"}))


def test_sql_file_through_template_searchpath_with_jinja() -> None:
    access = _extract("SQLExecuteQueryOperator", {"conn_id": "wh", "sql": "weekly.sql", "params": {"kind": "play", "with_users": True}})
    (source,) = access.sql
    assert source.file == str(FIXTURES / "sql" / "weekly.sql") and source.conn_id == "wh"
    assert "'2024-01-08'" in source.sql and "kind = 'play'" in source.sql and "raw.users" in source.sql


def test_missing_sql_file_is_unresolved_with_searchpath() -> None:
    access = _extract("PostgresOperator", {"sql": "nope.sql"})
    assert access.sql == [] and "not found in template_searchpath" in access.unresolved[0]


def test_jinja_stand_ins_never_fail() -> None:
    access = _extract("SnowflakeOperator", {"sql": "INSERT INTO {{ var.value.target_schema }}.t SELECT * FROM {{ params.src }} WHERE d = '{{ ti.xcom_pull(task_ids='x') }}' {{ unknown_macro(1) }}"},
                      params={"src": {"value": "raw.s", "description": "source"}})
    (source,) = access.sql
    assert source.sql.startswith("INSERT INTO mart.t SELECT * FROM raw.s") and source.dialect == "snowflake"


def test_jinja_syntax_error_is_unresolved_with_line() -> None:
    access = _extract("SQLExecuteQueryOperator", {"sql": "SELECT {{ broken"})
    assert access.sql == [] and "Jinja syntax error" in access.unresolved[0]


def test_list_of_sql_and_database_overrides() -> None:
    access = _extract("SQLExecuteQueryOperator", {"sql": ["TRUNCATE a", "INSERT INTO a SELECT 1"], "hook_params": {"schema": "s", "database": "db"}})
    assert [s.sql for s in access.sql] == ["TRUNCATE a", "INSERT INTO a SELECT 1"]
    assert {(s.database, s.schema) for s in access.sql} == {("db", "s")}


def test_bigquery_insert_job_configuration() -> None:
    access = _extract("BigQueryInsertJobOperator", {"gcp_conn_id": "bq", "project_id": "p", "configuration": {
        "query": {"query": "SELECT * FROM ds.src", "destinationTable": {"datasetId": "ds", "tableId": "dst"}}}})
    assert access.sql[0].sql == "SELECT * FROM ds.src" and access.sql[0].database == "p"
    assert [(d.table, d.mode) for d in access.direct] == [("p.ds.dst", "write")]


@pytest.mark.parametrize(("operator", "args", "expected"), [
    ("S3ToRedshiftOperator", {"schema": "events", "table": "app", "redshift_conn_id": "rs"}, [("events.app", "write", "rs")]),
    ("GCSToBigQueryOperator", {"destination_project_dataset_table": "p:ds.t"}, [("p.ds.t", "write", None)]),
    ("BigQueryToGCSOperator", {"source_project_dataset_table": "p.ds.t", "gcp_conn_id": "bq"}, [("p.ds.t", "read", "bq")]),
    ("BigQueryToBigQueryOperator", {"source_project_dataset_tables": ["p.a.x", "p.a.y"], "destination_project_dataset_table": "p.b.z"},
     [("p.a.x", "read", None), ("p.a.y", "read", None), ("p.b.z", "write", None)]),
    ("SQLColumnCheckOperator", {"table": "mart.orders", "conn_id": "wh"}, [("mart.orders", "read", "wh")]),
])
def test_transfer_and_check_operators(operator: str, args: dict, expected: list) -> None:
    access = _extract(operator, args)
    assert [(d.table, d.mode, d.conn_id) for d in access.direct] == expected


def test_bash_database_clients() -> None:
    parsed = parse_commands(
        "set -e && psql -h db -U etl -d tempo -c \"DELETE FROM t\" | tee log; "
        "bq query --use_legacy_sql=false --destination_table=p:ds.out 'SELECT 1'\n"
        "snowsql -d ANALYTICS -s RAW -q 'TRUNCATE x' && mysql -D shop -e 'SELECT 1' && sqlcmd -d dw -Q \"SELECT 2\""
    )
    assert [(s.client, s.sql, s.database) for s in parsed.sql] == [
        ("psql", "DELETE FROM t", "tempo"), ("bq", "SELECT 1", None), ("snowsql", "TRUNCATE x", "ANALYTICS"),
        ("mysql", "SELECT 1", "shop"), ("sqlcmd", "SELECT 2", "dw")]
    assert parsed.sql[1].destination == "p:ds.out" and parsed.sql[2].schema == "RAW"


def test_bash_psql_file_and_heredoc() -> None:
    access = _extract("BashOperator", {"bash_command": "psql -d tempo -f weekly.sql"}, params={"kind": "x"})
    assert access.sql[0].file.endswith("weekly.sql") and access.sql[0].database == "tempo"
    access = _extract("BashOperator", {"bash_command": "psql <<SQL\nINSERT INTO a SELECT * FROM b;\nSQL\n"})
    assert access.sql[0].sql.strip() == "INSERT INTO a SELECT * FROM b;"


def test_bash_without_database_is_no_data() -> None:
    access = _extract("BashOperator", {"bash_command": "echo {{ ds }} && curl -X POST http://hook"})
    assert access.no_data and not access.unresolved
    job = _extract("BashOperator", {"bash_command": "python etl.py --day {{ ds }}"})  # its own code: not known
    assert not job.no_data and job.unresolved and "python etl.py" in job.unresolved[0]


@pytest.mark.parametrize(("selector", "models"), [
    ("--select staging", ["stg_orders", "stg_payments"]),
    ("--select marts.finance", ["dim_customers", "fct_revenue"]),
    ("-s tag:finance", ["dim_customers", "fct_revenue"]),
    ("--select +fct_revenue", ["fct_revenue", "stg_orders", "stg_payments"]),
    ("--select dim_customers+", ["dim_customers", "growth_summary"]),
    ("--select marts --exclude growth_summary", ["dim_customers", "fct_revenue"]),
    ("--select marts,tag:finance", ["dim_customers", "fct_revenue"]),
    ("--select path:models/staging", ["stg_orders", "stg_payments"]),
])
def test_dbt_selection(selector: str, models: list[str]) -> None:
    invocation = resolve_dbt(["dbt", "run", *selector.split(), "--project-dir", str(DBT_PROJECT)], None)
    assert sorted(m.unique_id.rsplit(".", 1)[1] for m in invocation.models) == models
    assert invocation.dialect == "postgres"


def test_dbt_ephemeral_parents_are_seen_through() -> None:
    invocation = resolve_dbt(["dbt", "build", "-s", "fct_revenue", "--project-dir", str(DBT_PROJECT)], None)
    (model,) = invocation.models
    assert sorted(model.reads) == ['"tempo"."dbt_staging"."stg_orders"', '"tempo"."dbt_staging"."stg_payments"']


def test_dbt_missing_manifest_is_unresolved(tmp_path: Path) -> None:
    access = _extract("BashOperator", {"bash_command": f"dbt run --project-dir {tmp_path}"})
    assert "dbt manifest not found" in access.unresolved[0]


def test_python_callable_hook_calls() -> None:
    source = '''
def load(ds, table="plays"):
    hook = PostgresHook(postgres_conn_id="warehouse")
    rows = hook.get_records(f"SELECT user_id FROM raw.{table} WHERE day = '{ds}'")
    with hook.get_conn() as conn:
        cur = conn.cursor()
    df = pd.read_sql("SELECT * FROM raw.users", hook.get_sqlalchemy_engine())
    df.to_sql("snapshot", hook.get_sqlalchemy_engine(), schema="growth")
    hook.insert_rows(table="growth.events", rows=rows)
    hook.run(build_query(ds))
'''
    access = _extract("PythonOperator", {"op_kwargs": {"table": "plays"}}, source=source)
    assert [s.sql for s in access.sql] == ["SELECT user_id FROM raw.plays WHERE day = '2024-01-15'", "SELECT * FROM raw.users"]
    assert {s.conn_id for s in access.sql} == {"warehouse"}
    assert [(d.table, d.mode) for d in access.direct] == [("growth.snapshot", "write"), ("growth.events", "write")]
    assert access.unresolved == ["SQL passed to run at line 16 is built at run time"]


def test_python_without_database_is_no_data_and_unknown_operator_is_unresolved() -> None:
    assert _extract("PythonOperator", {}, source="def f():\n    return 1\n").no_data
    access = _extract("KubernetesPodOperator", {"image": "x"})
    assert "KubernetesPodOperator runs the entrypoint of its image x: data access not known" in access.unresolved[0]


def test_sql_computed_at_run_time_is_unresolved_with_line() -> None:
    access = _extract("SQLExecuteQueryOperator", {}, unknown=["sql"])
    assert access.unresolved == ["`sql` of SQLExecuteQueryOperator is computed at run time (line 7)"]


@pytest.mark.parametrize("operator, no_data", [("DataprocCreateClusterOperator", True), ("SnsPublishOperator", True),
                                               ("AirbyteJobSensor", True), ("AirbyteTriggerSyncOperator", False),
                                               ("S3ToSFTPOperator", True), ("SFTPToS3Operator", True),
                                               ("DatabricksRunNowOperator", False), ("SparkSubmitOperator", False)])
def test_provider_operators_say_whether_they_touch_tables(operator: str, no_data: bool) -> None:
    """Compute made and removed, messages, sensors on another service's job touch no table; a job started on another
    service (a sync, a notebook, a Spark application) touches tables defined there: unresolved, saying where."""
    from overlay.extract import ExtractContext, extract_task
    from overlay.model import DagSpec, TaskSpec

    access = extract_task(TaskSpec("d", "t", operator, "/dags/d.py", 1), DagSpec("d", "/dags/d.py"), ExtractContext())
    assert access.no_data is no_data
    if not no_data:
        assert len(access.unresolved) == 1 and access.unresolved[0].startswith(f"{operator} runs a job on ")
        assert "`operators:`" in access.unresolved[0]
