"""Extraction of SQL operators (new and legacy names), check operators, SQL sensors and @task.sql."""

from __future__ import annotations

from pathlib import Path

import pytest

from overlay.extract import ExtractContext, extract_task
from overlay.extract.operators.registry import OPERATORS
from overlay.model import DagSpec, TaskAccess, TaskSpec

FIXTURES = Path(__file__).parent / "fixtures" / "extract"
DAGS = FIXTURES / "dags"


def _dag(**kwargs) -> DagSpec:  # noqa: ANN003
    return DagSpec("d", str(DAGS / "etl.py"), template_searchpath=[str(DAGS / "sql"), str(FIXTURES / "searchpath")], **kwargs)


def _extract(operator: str, args: dict, dag: DagSpec | None = None, **spec) -> TaskAccess:  # noqa: ANN003
    dag = dag or _dag()
    task = TaskSpec("d", "t", operator, dag.file, 12, args=args, **spec)
    return extract_task(task, dag, ExtractContext(dag_folders=[str(DAGS)]))


@pytest.mark.parametrize(("operator", "conn_arg", "dialect"), [
    ("SQLExecuteQueryOperator", "conn_id", None),
    ("PostgresOperator", "postgres_conn_id", "postgres"),
    ("SnowflakeOperator", "snowflake_conn_id", "snowflake"),
    ("SnowflakeSqlApiOperator", "snowflake_conn_id", "snowflake"),
    ("MySqlOperator", "mysql_conn_id", "mysql"),
    ("MsSqlOperator", "mssql_conn_id", "tsql"),
    ("RedshiftSQLOperator", "redshift_conn_id", "redshift"),
    ("TrinoOperator", "trino_conn_id", "trino"),
    ("DatabricksSqlOperator", "databricks_conn_id", "databricks"),
    ("OracleOperator", "oracle_conn_id", "oracle"),
    ("SqliteOperator", "sqlite_conn_id", "sqlite"),
    ("VerticaOperator", "vertica_conn_id", "vertica"),
    ("JdbcOperator", "jdbc_conn_id", None),
    ("ExasolOperator", "exasol_conn_id", "exasol"),
    ("BigQueryExecuteQueryOperator", "gcp_conn_id", "bigquery"),
    ("SQLCheckOperator", "conn_id", None),
    ("SQLValueCheckOperator", "conn_id", None),
    ("SqlSensor", "conn_id", None),
    ("BranchSQLOperator", "conn_id", None),
    ("SnowflakeCheckOperator", "snowflake_conn_id", "snowflake"),
])
def test_sql_operator_connection_and_implied_dialect(operator: str, conn_arg: str, dialect: str | None) -> None:
    access = _extract(operator, {conn_arg: "the_conn", "sql": "INSERT INTO mart.a SELECT * FROM raw.b", "use_legacy_sql": False})
    (source,) = access.sql
    assert (source.sql, source.conn_id, source.dialect) == ("INSERT INTO mart.a SELECT * FROM raw.b", "the_conn", dialect)
    assert source.origin == "sql" and source.line == 12 and not access.unresolved


def test_legacy_operator_accepts_the_generic_conn_id_too() -> None:
    (source,) = _extract("PostgresOperator", {"conn_id": "wh", "sql": "SELECT 1"}).sql
    assert source.conn_id == "wh"


def test_a_connection_argument_of_another_kind_is_not_the_sql_connection() -> None:
    (source,) = _extract("MySQLToGCSOperator", {"gcp_conn_id": "gcs", "mysql_conn_id": "shop", "sql": "SELECT * FROM orders"}).sql
    assert (source.conn_id, source.dialect) == ("shop", "mysql")


def test_athena_query_argument_catalog_and_database() -> None:
    (source,) = _extract("AthenaOperator", {"query": "SELECT * FROM events", "database": "logs", "catalog": "AwsDataCatalog",
                                            "aws_conn_id": "aws"}).sql
    assert (source.sql, source.dialect, source.database, source.schema, source.conn_id) == (
        "SELECT * FROM events", "athena", "AwsDataCatalog", "logs", "aws")


def test_list_of_statements_keeps_order() -> None:
    access = _extract("SQLExecuteQueryOperator", {"conn_id": "wh", "sql": ["TRUNCATE mart.a", "INSERT INTO mart.a SELECT 1"]})
    assert [s.sql for s in access.sql] == ["TRUNCATE mart.a", "INSERT INTO mart.a SELECT 1"]


@pytest.mark.parametrize(("operator", "args", "expected"), [
    ("SQLExecuteQueryOperator", {"database": "tempo"}, ("tempo", None)),
    ("SQLExecuteQueryOperator", {"hook_params": {"schema": "tempo"}}, ("tempo", None)),  # the connection's schema field: the database
    ("SQLExecuteQueryOperator", {"hook_params": {"database": "db", "schema": "s"}}, ("db", "s")),
    ("PostgresOperator", {"database": "tempo"}, ("tempo", None)),
    ("MySqlOperator", {"database": "shop"}, (None, "shop")),  # two-level names: a MySQL database is a schema
    ("SnowflakeOperator", {"database": "ANALYTICS", "schema": "RAW"}, ("ANALYTICS", "RAW")),
    ("SnowflakeOperator", {"hook_params": {"schema": "RAW"}}, (None, "RAW")),
    ("DatabricksSqlOperator", {"catalog": "main", "schema": "sales"}, ("main", "sales")),
    ("HiveOperator", {"schema": "logs"}, (None, "logs")),
    ("BigQueryCheckOperator", {"project_id": "proj"}, ("proj", None)),
])
def test_database_and_schema_overrides(operator: str, args: dict, expected: tuple) -> None:
    sql_arg = "hql" if operator == "HiveOperator" else "sql"
    (source,) = _extract(operator, {sql_arg: "SELECT * FROM t", **args}).sql
    assert (source.database, source.schema) == expected


def test_templated_connection_and_database_are_rendered() -> None:
    (source,) = _extract("SQLExecuteQueryOperator", {"conn_id": "{{ params.conn }}", "database": "{{ params.db }}", "sql": "SELECT 1",
                                                     "params": {"conn": "wh", "db": "tempo"}}).sql
    assert (source.conn_id, source.database) == ("wh", "tempo")


def test_sql_file_through_searchpath_with_include_params_and_macros() -> None:
    dag = _dag(params={"schema": "mart", "days": {"value": 7, "description": "window"}})
    (source,) = _extract("SQLExecuteQueryOperator", {"conn_id": "wh", "sql": "daily.sql", "params": {"status": "refunded"}}, dag).sql
    assert source.file == str(DAGS / "sql" / "daily.sql") and source.origin == "sql_file:daily.sql" and source.line == 1
    assert "INSERT INTO mart.daily_revenue" in source.sql
    assert "BETWEEN '2024-01-08' AND '2024-01-15'" in source.sql
    assert "AND status = 'refunded'" in source.sql  # from the included partial, task params over DAG params


def test_sql_file_found_in_dag_folder_before_searchpath_like_airflow() -> None:
    access = _extract("SQLExecuteQueryOperator", {"sql": ["shadowed.sql", "only_here.sql"]})
    assert [s.file for s in access.sql] == [str(DAGS / "shadowed.sql"), str(FIXTURES / "searchpath" / "only_here.sql")]
    assert "dag_folder.shadowed" in access.sql[0].sql


def test_missing_sql_file_is_unresolved_and_sql_ending_in_sql_is_still_sql() -> None:
    access = _extract("PostgresOperator", {"sql": "reports/missing.sql"})
    assert access.sql == [] and access.unresolved[0].startswith("SQL file 'reports/missing.sql' not found in template_searchpath")
    (source,) = _extract("PostgresOperator", {"sql": "DROP TABLE backup.sql"}).sql
    assert source.sql == "DROP TABLE backup.sql"


def test_template_errors_name_the_file_and_line() -> None:
    access = _extract("SQLExecuteQueryOperator", {"sql": ["broken.sql", "fails.sql", "SELECT 1"]})
    assert [s.sql for s in access.sql] == ["SELECT 1"]
    assert access.unresolved[0].startswith(f"{DAGS / 'sql' / 'broken.sql'}:3: Jinja syntax error")
    assert access.unresolved[1].startswith(f"{DAGS / 'sql' / 'fails.sql'}:3: template does not render: ZeroDivisionError")


def test_dbapi_parameter_markers_become_parseable_outside_strings() -> None:
    (source,) = _extract("MySqlOperator", {"sql": "SELECT * FROM t WHERE a = %s AND b = %(day)s AND c LIKE 'x%s' AND d = 100 %% 7"}).sql
    assert source.sql == "SELECT * FROM t WHERE a = ? AND b = :day AND c LIKE 'x%s' AND d = 100 % 7"


def test_bigquery_legacy_sql_names_become_standard() -> None:
    (legacy,) = _extract("BigQueryCheckOperator", {"sql": "SELECT COUNT(*) FROM [proj:ds.events] JOIN [ds.users] USING (id)"}).sql
    assert legacy.sql == "SELECT COUNT(*) FROM `proj.ds.events` JOIN `ds.users` USING (id)"
    (standard,) = _extract("BigQueryCheckOperator", {"sql": "SELECT [1, 2] AS x FROM `p.d.t`", "use_legacy_sql": False}).sql
    assert standard.sql == "SELECT [1, 2] AS x FROM `p.d.t`"


def test_bigquery_execute_query_destination_is_written() -> None:
    access = _extract("BigQueryExecuteQueryOperator", {"sql": "SELECT * FROM ds.src", "destination_dataset_table": "proj:ds.dst",
                                                       "gcp_conn_id": "bq", "use_legacy_sql": False})
    assert [(d.table, d.mode, d.conn_id, d.dialect) for d in access.direct] == [("proj.ds.dst", "write", "bq", "bigquery")]


@pytest.mark.parametrize(("operator", "args", "expected"), [
    ("SQLColumnCheckOperator", {"table": "mart.orders", "conn_id": "wh", "column_mapping": {}}, [("mart.orders", "read", "wh")]),
    ("SQLTableCheckOperator", {"table": "mart.orders", "conn_id": "wh", "checks": {}}, [("mart.orders", "read", "wh")]),
    ("SQLIntervalCheckOperator", {"table": "mart.{{ params.t }}", "params": {"t": "orders"}}, [("mart.orders", "read", None)]),
    ("BigQueryTableCheckOperator", {"table": "ds.orders", "project_id": "proj", "gcp_conn_id": "bq"}, [("proj.ds.orders", "read", "bq")]),
    ("BigQueryColumnCheckOperator", {"table": "p2.ds.orders"}, [("p2.ds.orders", "read", None)]),
    ("SnowflakeIntervalCheckOperator", {"table": "RAW.EVENTS", "snowflake_conn_id": "sf"}, [("RAW.EVENTS", "read", "sf")]),
])
def test_table_check_operators_read_their_table(operator: str, args: dict, expected: list) -> None:
    access = _extract(operator, args)
    assert [(d.table, d.mode, d.conn_id) for d in access.direct] == expected and access.sql == []


def test_threshold_check_thresholds_may_be_sql() -> None:
    access = _extract("SQLThresholdCheckOperator", {"sql": "SELECT COUNT(*) FROM raw.a", "min_threshold": "SELECT MIN(n) FROM ref.limits",
                                                    "max_threshold": 100})
    assert [s.origin for s in access.sql] == ["sql", "min_threshold"]


def test_insert_rows_operator_writes_its_table_and_runs_pre_and_post_sql() -> None:
    access = _extract("SQLInsertRowsOperator", {"conn_id": "wh", "table_name": "events", "schema": "raw",
                                                "preoperator": "DELETE FROM raw.events WHERE day = '{{ ds }}'"})
    assert [(d.table, d.mode, d.conn_id) for d in access.direct] == [("raw.events", "write", "wh")]
    assert [s.sql for s in access.sql] == ["DELETE FROM raw.events WHERE day = '2024-01-15'"]


def test_task_sql_body_is_the_sql_when_discovery_did_not_compute_it() -> None:
    source = 'def count_rows(table="orders"):\n    return f"SELECT COUNT(*) FROM raw.{table}"\n'
    for operator in ("@task.sql", "_SQLDecoratedOperator"):
        access = _extract(operator, {"conn_id": "wh", "op_kwargs": {"table": "users"}}, callable_source=source)
        assert [(s.sql, s.conn_id) for s in access.sql] == [("SELECT COUNT(*) FROM raw.users", "wh")]


def test_task_sql_with_sql_computed_by_discovery_and_one_returning_runtime_sql() -> None:
    assert _extract("@task.sql", {"sql": "SELECT 1 FROM a"}).sql[0].sql == "SELECT 1 FROM a"
    access = _extract("@task.sql", {}, callable_source="def f(ti):\n    return ti.xcom_pull('q')\n")
    assert access.sql == [] and access.unresolved == ["`sql` of @task.sql is computed at run time (line 12)"]


def test_sql_computed_at_run_time_is_unresolved_with_line() -> None:
    access = _extract("SnowflakeOperator", {"snowflake_conn_id": "sf"}, unknown_args=["sql"])
    assert access.unresolved == ["`sql` of SnowflakeOperator is computed at run time (line 12)"]


def test_operator_without_any_sql_is_unresolved() -> None:
    access = _extract("PostgresOperator", {"postgres_conn_id": "wh"})
    assert access.unresolved == ["PostgresOperator: no SQL or table found in its arguments (line 12)"]


def test_registry_rows_name_only_extractors_and_known_dialects() -> None:
    from overlay.lineage.names import known_dialects

    dialects = {rule.dialect for rule in OPERATORS.values()} - {None}
    assert dialects - known_dialects() <= {"vertica"}  # names sqlglot lacks are parsed with its generic dialect
    assert all(callable(rule.extractor) for rule in OPERATORS.values())
