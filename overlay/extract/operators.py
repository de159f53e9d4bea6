"""What each operator class does with data, as data (like sqlglot's dialects).

Keyed by operator class name, so it works the same for tasks found by import or by static
analysis. Each rule says which arguments hold SQL, which hold the connection, the dialect the
operator implies, and for transfer operators which tables it loads or unloads.
"""

from __future__ import annotations

from dataclasses import dataclass, field

CONN_ARGS = (
    "conn_id", "postgres_conn_id", "snowflake_conn_id", "gcp_conn_id", "bigquery_conn_id", "redshift_conn_id",
    "mysql_conn_id", "mssql_conn_id", "trino_conn_id", "databricks_conn_id", "oracle_conn_id", "sqlite_conn_id",
    "vertica_conn_id", "jdbc_conn_id", "exasol_conn_id", "presto_conn_id", "hive_cli_conn_id", "odbc_conn_id",
)


@dataclass(frozen=True)
class TableArg:
    """A table named by operator arguments: ``parts`` are joined with dots, skipping missing ones."""

    parts: tuple[str, ...]
    mode: str  # read | write
    conn_arg: str | None = None


@dataclass(frozen=True)
class OperatorRule:
    sql_args: tuple[str, ...] = ()
    dialect: str | None = None
    conn_args: tuple[str, ...] = CONN_ARGS
    reads_only: bool = False  # check operators and sensors: SQL that only reads
    tables: tuple[TableArg, ...] = ()
    no_data: bool = False
    sql_conn_arg: str | None = None  # the connection the SQL runs on, when not the first conn arg


def _sql(dialect: str | None = None, *args: str) -> OperatorRule:
    return OperatorRule(sql_args=args or ("sql",), dialect=dialect)


def _check(dialect: str | None = None, table: bool = False) -> OperatorRule:
    tables = (TableArg(("table",), "read"),) if table else ()
    return OperatorRule(sql_args=("sql",) if not table else ("sql",), dialect=dialect, reads_only=True, tables=tables)


SQL_OPERATORS: dict[str, OperatorRule] = {
    "SQLExecuteQueryOperator": _sql(),
    "PostgresOperator": _sql("postgres"),
    "SnowflakeOperator": _sql("snowflake"),
    "SnowflakeSqlApiOperator": _sql("snowflake"),
    "MySqlOperator": _sql("mysql"),
    "MsSqlOperator": _sql("tsql"),
    "RedshiftSQLOperator": _sql("redshift"),
    "RedshiftDataOperator": _sql("redshift"),
    "TrinoOperator": _sql("trino"),
    "PrestoOperator": _sql("presto"),
    "DatabricksSqlOperator": _sql("databricks"),
    "OracleOperator": _sql("oracle"),
    "SqliteOperator": _sql("sqlite"),
    "VerticaOperator": _sql("vertica"),
    "JdbcOperator": _sql(),
    "ExasolOperator": _sql("exasol"),
    "TeradataOperator": _sql("teradata"),
    "AthenaOperator": _sql("athena", "query"),
    "DruidSqlOperator": _sql(),
    "HiveOperator": _sql("hive", "hql"),
    "SparkSqlOperator": _sql("spark", "sql"),
    "BigQueryExecuteQueryOperator": _sql("bigquery"),
    "BigQueryInsertJobOperator": OperatorRule(dialect="bigquery"),  # handled from `configuration`
    "@task.sql": _sql(),
    "_SQLDecoratedOperator": _sql(),
    # check operators only read
    "SQLCheckOperator": _check(), "CheckOperator": _check(),
    "SQLValueCheckOperator": _check(), "ValueCheckOperator": _check(),
    "SQLThresholdCheckOperator": _check(),
    "SQLIntervalCheckOperator": _check(table=True), "IntervalCheckOperator": _check(table=True),
    "SQLColumnCheckOperator": _check(table=True), "SQLTableCheckOperator": _check(table=True),
    "BigQueryCheckOperator": _check("bigquery"), "BigQueryValueCheckOperator": _check("bigquery"),
    "BigQueryIntervalCheckOperator": _check("bigquery", table=True),
    "BigQueryColumnCheckOperator": _check("bigquery", table=True), "BigQueryTableCheckOperator": _check("bigquery", table=True),
    "SnowflakeCheckOperator": _check("snowflake"), "SnowflakeValueCheckOperator": _check("snowflake"),
    "SqlSensor": OperatorRule(sql_args=("sql",), reads_only=True),
    "SQLSensor": OperatorRule(sql_args=("sql",), reads_only=True),
    "BranchSQLOperator": OperatorRule(sql_args=("sql",), reads_only=True),
    "SQLInsertRowsOperator": OperatorRule(tables=(TableArg(("table_name",), "write"),)),
}

TRANSFER_OPERATORS: dict[str, OperatorRule] = {
    "S3ToRedshiftOperator": OperatorRule(dialect="redshift", tables=(TableArg(("schema", "table"), "write", "redshift_conn_id"),)),
    "RedshiftToS3Operator": OperatorRule(sql_args=("select_query",), dialect="redshift", reads_only=True,
                                         tables=(TableArg(("schema", "table"), "read", "redshift_conn_id"),)),
    "S3ToSnowflakeOperator": OperatorRule(dialect="snowflake", tables=(TableArg(("database", "schema", "table"), "write", "snowflake_conn_id"),)),
    "CopyFromExternalStageToSnowflakeOperator": OperatorRule(dialect="snowflake", tables=(TableArg(("database", "schema", "table"), "write", "snowflake_conn_id"),)),
    "SnowflakeToSlackOperator": OperatorRule(sql_args=("sql",), dialect="snowflake", reads_only=True),
    "SqlToSlackOperator": OperatorRule(sql_args=("sql",), reads_only=True, conn_args=("sql_conn_id",)),
    "GCSToBigQueryOperator": OperatorRule(dialect="bigquery", tables=(TableArg(("destination_project_dataset_table",), "write", "gcp_conn_id"),)),
    "BigQueryToGCSOperator": OperatorRule(dialect="bigquery", tables=(TableArg(("source_project_dataset_table",), "read", "gcp_conn_id"),)),
    "BigQueryToBigQueryOperator": OperatorRule(dialect="bigquery", tables=(
        TableArg(("source_project_dataset_tables",), "read", "gcp_conn_id"),
        TableArg(("destination_project_dataset_table",), "write", "gcp_conn_id"))),
    "PostgresToGCSOperator": OperatorRule(sql_args=("sql",), dialect="postgres", reads_only=True),
    "MySQLToGCSOperator": OperatorRule(sql_args=("sql",), dialect="mysql", reads_only=True),
    "MSSQLToGCSOperator": OperatorRule(sql_args=("sql",), dialect="tsql", reads_only=True),
    "SnowflakeToGCSOperator": OperatorRule(sql_args=("sql",), dialect="snowflake", reads_only=True),
    "BigQueryToPostgresOperator": OperatorRule(dialect="postgres", tables=(
        TableArg(("dataset_table",), "read", "gcp_conn_id"), TableArg(("target_table_name",), "write", "postgres_conn_id"))),
    "SqlToS3Operator": OperatorRule(sql_args=("query",), reads_only=True, conn_args=("sql_conn_id",)),
    "S3ToSqlOperator": OperatorRule(tables=(TableArg(("table",), "write", "sql_conn_id"),)),
    "GenericTransfer": OperatorRule(sql_args=("sql",), reads_only=True, conn_args=("source_conn_id",),
                                    tables=(TableArg(("destination_table",), "write", "destination_conn_id"),)),
    "MySqlToHiveOperator": OperatorRule(sql_args=("sql",), dialect="mysql", reads_only=True,
                                        tables=(TableArg(("hive_table",), "write", "hive_cli_conn_id"),)),
    "HiveToMySqlOperator": OperatorRule(sql_args=("sql",), dialect="hive", reads_only=True,
                                        tables=(TableArg(("mysql_table",), "write", "mysql_conn_id"),)),
    "PrestoToMySqlOperator": OperatorRule(sql_args=("sql",), dialect="presto", reads_only=True,
                                          tables=(TableArg(("mysql_table",), "write", "mysql_conn_id"),)),
    "TrinoToMySqlOperator": OperatorRule(sql_args=("sql",), dialect="trino", reads_only=True,
                                         tables=(TableArg(("mysql_table",), "write", "mysql_conn_id"),)),
}

NO_DATA_OPERATORS = frozenset({
    "EmptyOperator", "DummyOperator", "ExternalTaskSensor", "ExternalTaskMarker", "S3KeySensor", "FileSensor",
    "TimeDeltaSensor", "TimeDeltaSensorAsync", "DateTimeSensor", "DateTimeSensorAsync", "TimeSensor", "DayOfWeekSensor",
    "TriggerDagRunOperator", "EmailOperator", "SlackWebhookOperator", "SlackAPIPostOperator", "HttpSensor",
    "LatestOnlyOperator", "GCSObjectExistenceSensor", "BranchDayOfWeekOperator", "BranchDateTimeOperator",
    "WaitSensor", "PythonSensor", "SimpleHttpOperator", "HttpOperator", "LocalFilesystemToS3Operator",
})
PYTHON_OPERATORS = frozenset({
    "PythonOperator", "@task", "_PythonDecoratedOperator", "BranchPythonOperator", "ShortCircuitOperator",
    "PythonVirtualenvOperator", "ExternalPythonOperator", "@task.virtualenv", "@task.branch", "@task.short_circuit",
    "@task.external_python", "_PythonVirtualenvDecoratedOperator", "_BranchPythonDecoratedOperator",
})
BASH_OPERATORS = frozenset({"BashOperator", "@task.bash", "_BashDecoratedOperator", "SSHOperator"})


def rule_for(operator: str) -> OperatorRule | None:
    return SQL_OPERATORS.get(operator) or TRANSFER_OPERATORS.get(operator)


@dataclass
class OperatorFacts:
    """Argument values of one task that the extractors share."""

    conn_id: str | None
    dialect: str | None
    database: str | None = None
    schema: str | None = None
    extra: dict[str, str] = field(default_factory=dict)
