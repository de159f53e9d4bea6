"""Transfer operators: the tables they load and unload, composed from arguments as the operators do."""

from __future__ import annotations

from pathlib import Path

import pytest

from overlay.extract import ExtractContext, extract_task
from overlay.model import DagSpec, TaskAccess, TaskSpec

DAG = DagSpec("d", str(Path(__file__).parent / "fixtures" / "extract" / "dags" / "etl.py"))


def _extract(operator: str, args: dict, unknown: list[str] | None = None) -> TaskAccess:
    task = TaskSpec("d", "t", operator, DAG.file, 30, args=args, unknown_args=unknown or [])
    return extract_task(task, DAG, ExtractContext())


def _direct(access: TaskAccess) -> list[tuple]:
    return [(d.table, d.mode, d.conn_id, d.dialect) for d in access.direct]


@pytest.mark.parametrize(("operator", "args", "expected"), [
    ("S3ToRedshiftOperator", {"schema": "events", "table": "app", "redshift_conn_id": "rs", "s3_bucket": "b", "s3_key": "k"},
     [("events.app", "write", "rs", "redshift")]),
    ("S3ToRedshiftOperator", {"table": "app_{{ ds_nodash }}", "redshift_conn_id": "rs"}, [("app_20240115", "write", "rs", "redshift")]),
    ("RedshiftToS3Operator", {"schema": "events", "table": "app", "redshift_conn_id": "rs"}, [("events.app", "read", "rs", "redshift")]),
    ("S3ToSnowflakeOperator", {"table": "orders", "schema": "raw", "database": "analytics", "snowflake_conn_id": "sf"},
     [("analytics.raw.orders", "write", "sf", "snowflake")]),
    ("CopyFromExternalStageToSnowflakeOperator", {"table": "orders", "stage": "s", "file_format": "(type=csv)", "snowflake_conn_id": "sf"},
     [("orders", "write", "sf", "snowflake")]),
    ("CopyFromExternalStageToSnowflakeOperator", {"table": "orders", "database": "analytics"},  # no schema: the database is only a default
     [("orders", "write", None, "snowflake")]),
    ("GCSToBigQueryOperator", {"destination_project_dataset_table": "p:ds.t", "gcp_conn_id": "bq"}, [("p.ds.t", "write", "bq", "bigquery")]),
    ("GCSToBigQueryOperator", {"destination_project_dataset_table": "ds.t", "project_id": "proj"}, [("proj.ds.t", "write", None, "bigquery")]),
    ("BigQueryToGCSOperator", {"source_project_dataset_table": "p.ds.t", "gcp_conn_id": "bq"}, [("p.ds.t", "read", "bq", "bigquery")]),
    ("BigQueryToBigQueryOperator", {"source_project_dataset_tables": ["p.a.x", "p:a.y"], "destination_project_dataset_table": "p.b.z"},
     [("p.a.x", "read", None, "bigquery"), ("p.a.y", "read", None, "bigquery"), ("p.b.z", "write", None, "bigquery")]),
    ("BigQueryToBigQueryOperator", {"source_project_dataset_tables": "p.a.x", "destination_project_dataset_table": "p.b.z"},
     [("p.a.x", "read", None, "bigquery"), ("p.b.z", "write", None, "bigquery")]),
    ("BigQueryGetDataOperator", {"dataset_id": "ds", "table_id": "t", "project_id": "p"}, [("p.ds.t", "read", None, "bigquery")]),
    ("BigQueryToPostgresOperator", {"dataset_table": "ds.src", "target_table_name": "public.dst", "postgres_conn_id": "pg",
                                    "gcp_conn_id": "bq", "project_id": "p"},
     [("p.ds.src", "read", "bq", "bigquery"), ("public.dst", "write", "pg", "postgres")]),
    ("BigQueryToMySqlOperator", {"dataset_id": "ds", "table_id": "src", "target_table_name": "dst", "mysql_conn_id": "my"},
     [("ds.src", "read", None, "bigquery"), ("dst", "write", "my", "mysql")]),
    ("S3ToSqlOperator", {"table": "events", "schema": "raw", "sql_conn_id": "wh", "s3_key": "k", "s3_bucket": "b"},
     [("raw.events", "write", "wh", None)]),
    ("S3ToMySqlOperator", {"mysql_table": "shop.orders", "mysql_conn_id": "my", "s3_source_key": "s3://b/k"},
     [("shop.orders", "write", "my", "mysql")]),
    ("S3ToHiveOperator", {"hive_table": "logs.raw", "hive_cli_conn_id": "hive"}, [("logs.raw", "write", "hive", "hive")]),
    ("DatabricksCopyIntoOperator", {"table_name": "main.raw.events", "databricks_conn_id": "dbx"},
     [("main.raw.events", "write", "dbx", "databricks")]),
])
def test_transfer_tables(operator: str, args: dict, expected: list) -> None:
    access = _extract(operator, args)
    assert _direct(access) == expected and access.sql == [] and not access.unresolved


def test_redshift_unload_with_select_query_reads_through_sql() -> None:
    access = _extract("RedshiftToS3Operator", {"select_query": "SELECT * FROM events.app WHERE d = '{{ ds }}'", "schema": "events",
                                               "table": "app", "redshift_conn_id": "rs"})
    assert [(s.sql, s.conn_id, s.dialect, s.origin) for s in access.sql] == [
        ("SELECT * FROM events.app WHERE d = '2024-01-15'", "rs", "redshift", "select_query")]
    assert access.direct == []


@pytest.mark.parametrize(("operator", "conn_arg", "dialect"), [
    ("PostgresToGCSOperator", "postgres_conn_id", "postgres"), ("MySQLToGCSOperator", "mysql_conn_id", "mysql"),
    ("MSSQLToGCSOperator", "mssql_conn_id", "tsql"), ("OracleToGCSOperator", "oracle_conn_id", "oracle"),
    ("TrinoToGCSOperator", "trino_conn_id", "trino"), ("SqlToSlackOperator", "sql_conn_id", None),
    ("SqlToSlackApiFileOperator", "sql_conn_id", None),
])
def test_sql_to_files_read_through_their_sql(operator: str, conn_arg: str, dialect: str | None) -> None:
    # `schema` of the *ToGCS operators is the BigQuery schema of the export, not a database schema
    access = _extract(operator, {"sql": "SELECT * FROM raw.orders", conn_arg: "src", "gcp_conn_id": "gcs", "schema": "bq_schema.json"})
    assert [(s.sql, s.conn_id, s.dialect, s.schema) for s in access.sql] == [("SELECT * FROM raw.orders", "src", dialect, None)]


def test_snowflake_to_slack_reads_in_its_database_and_schema() -> None:
    access = _extract("SnowflakeToSlackOperator", {"sql": "SELECT * FROM orders", "snowflake_conn_id": "sf", "database": "ANALYTICS",
                                                   "schema": "RAW", "slack_conn_id": "slack"})
    assert [(s.conn_id, s.dialect, s.database, s.schema) for s in access.sql] == [("sf", "snowflake", "ANALYTICS", "RAW")]


def test_sql_to_s3_query_and_hook_params() -> None:
    access = _extract("SqlToS3Operator", {"query": "SELECT * FROM orders", "sql_conn_id": "wh", "sql_hook_params": {"schema": "tempo"},
                                          "aws_conn_id": "aws"})
    assert [(s.sql, s.conn_id, s.database) for s in access.sql] == [("SELECT * FROM orders", "wh", "tempo")]


def test_generic_transfer_reads_on_source_and_writes_on_destination() -> None:
    access = _extract("GenericTransfer", {"sql": "SELECT * FROM raw.orders", "source_conn_id": "oltp", "destination_conn_id": "dw",
                                          "destination_table": "staging.orders", "preoperator": ["TRUNCATE staging.orders"]})
    assert [(s.sql, s.conn_id, s.origin) for s in access.sql] == [
        ("SELECT * FROM raw.orders", "oltp", "sql"), ("TRUNCATE staging.orders", "dw", "preoperator")]
    assert _direct(access) == [("staging.orders", "write", "dw", None)]


@pytest.mark.parametrize(("operator", "source_conn", "source_dialect"), [
    ("HiveToMySqlOperator", "hiveserver2_conn_id", "hive"), ("PrestoToMySqlOperator", "presto_conn_id", "presto"),
    ("TrinoToMySqlOperator", "trino_conn_id", "trino"), ("VerticaToMySqlOperator", "vertica_conn_id", "vertica"),
])
def test_to_mysql_transfers(operator: str, source_conn: str, source_dialect: str) -> None:
    access = _extract(operator, {"sql": "SELECT * FROM logs.visits", source_conn: "src", "mysql_table": "reports.visits",
                                 "mysql_conn_id": "my", "mysql_preoperator": "DELETE FROM reports.visits"})
    assert [(s.sql, s.conn_id, s.dialect) for s in access.sql] == [
        ("SELECT * FROM logs.visits", "src", source_dialect), ("DELETE FROM reports.visits", "my", "mysql")]
    assert _direct(access) == [("reports.visits", "write", "my", "mysql")]


@pytest.mark.parametrize(("operator", "conn_arg", "dialect"), [
    ("MySqlToHiveOperator", "mysql_conn_id", "mysql"), ("MsSqlToHiveOperator", "mssql_conn_id", "tsql"),
    ("VerticaToHiveOperator", "vertica_conn_id", "vertica"),
])
def test_to_hive_transfers(operator: str, conn_arg: str, dialect: str) -> None:
    access = _extract(operator, {"sql": "SELECT * FROM shop.orders", conn_arg: "src", "hive_table": "staging.orders",
                                 "hive_cli_conn_id": "hive"})
    assert [(s.conn_id, s.dialect) for s in access.sql] == [("src", dialect)]
    assert _direct(access) == [("staging.orders", "write", "hive", "hive")]


def test_table_argument_not_known_statically_is_unresolved() -> None:
    access = _extract("S3ToRedshiftOperator", {"schema": "events", "redshift_conn_id": "rs"}, unknown=["table"])
    assert access.direct == []
    assert access.unresolved[0] == "S3ToRedshiftOperator: table argument table is not known statically (line 30)"


def test_transfer_without_table_is_unresolved() -> None:
    access = _extract("GCSToBigQueryOperator", {"bucket": "b"})
    assert access.unresolved == ["GCSToBigQueryOperator: no SQL or table found in its arguments (line 30)"]


def test_bigquery_table_operators_and_great_expectations() -> None:
    from overlay.extract import ExtractContext, extract_task
    from overlay.model import DagSpec, TaskSpec

    dag = DagSpec("d", "/repo/dags/d.py")

    def run(operator: str, **args):  # noqa: ANN003, ANN202
        return extract_task(TaskSpec("d", "t", operator, dag.file, 1, args=args), dag, ExtractContext())

    created = run("BigQueryCreateEmptyTableOperator", project_id="p", dataset_id="d", table_id="t")
    assert [(d.table, d.mode) for d in created.direct] == [("p.d.t", "write")]
    sensed = run("BigQueryTableExistenceSensor", dataset_id="d", table_id="t")
    assert [(d.table, d.mode) for d in sensed.direct] == [("d.t", "read")]
    validated = run("GreatExpectationsOperator", conn_id="wh", schema="mart", data_asset_name="orders", expectation_suite_name="s")
    assert [(d.table, d.mode, d.conn_id) for d in validated.direct] == [("mart.orders", "read", "wh")]
    assert run("GreatExpectationsOperator", data_asset_name="sample-2019-01", dataframe_to_validate=None).no_data
    assert run("BigQueryCreateEmptyDatasetOperator", dataset_id="d").no_data
