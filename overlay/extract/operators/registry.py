"""The operator registry, as data (like sqlglot's dialects): operator class name -> ``OperatorRule``.

Keyed by class name only, so tasks found by import and by static analysis are treated alike and
no provider is ever imported. Argument names follow the providers' signatures (legacy names too).
"""

from __future__ import annotations

from dataclasses import replace

from overlay.config import UserRule
from overlay.connections import dialect_hint
from overlay.extract.shell.bash_task import bash_operator
from overlay.discover.astro.calls import FUNCTIONS as ASTRO_FUNCTIONS
from overlay.extract.operators.astro import astro_task
from overlay.extract.operators.bigquery import insert_job
from overlay.extract.shell.container_task import container_operator
from overlay.extract.context import TaskState
from overlay.extract.dbt.task import dbt_operator
from overlay.extract.python.task import python_operator
from overlay.extract.operators.rules import OperatorRule, SqlArg, TableArg
from overlay.extract.operators.sql import decorated_sql, sql_and_tables

SQL_EXT = (".sql", ".hql")
_GCP = ("gcp_conn_id", "bigquery_conn_id")
# connection arguments of unknown operators, most specific first
CONN_ARGS = ("conn_id", "postgres_conn_id", "snowflake_conn_id", "gcp_conn_id", "bigquery_conn_id", "redshift_conn_id",
             "mysql_conn_id", "mssql_conn_id", "trino_conn_id", "databricks_conn_id", "oracle_conn_id", "sqlite_conn_id",
             "vertica_conn_id", "jdbc_conn_id", "exasol_conn_id", "teradata_conn_id", "presto_conn_id", "sql_conn_id",
             "odbc_conn_id", "aws_conn_id")


def _no_data(t: TaskState, rule: OperatorRule) -> None:
    t.access.no_data = True


def _great_expectations(t: TaskState, rule: OperatorRule) -> None:
    """A validation on a connection reads its table (or query); one on a DataFrame touches no table."""
    if "conn_id" in t.args or t.is_unknown("conn_id"):
        sql_and_tables(t, rule)
    else:
        t.access.no_data = True


def sql(dialect: str | None, conn: tuple[str, ...], *, args: tuple[str, ...] = ("sql",), database: tuple[str, ...] = ("database",),
        schema: tuple[str, ...] = (), hook: str | None = "hook_params", ext: tuple[str, ...] = SQL_EXT,
        tables: tuple[TableArg, ...] = (), extra: tuple[SqlArg, ...] = (), project: str | None = None,
        legacy: str | None = None) -> OperatorRule:
    return OperatorRule(sql_and_tables, sql_args=args, conn_args=conn, dialect=dialect, template_ext=ext, database_args=database,
                        schema_args=schema, hook_params_arg=hook, tables=tables, extra_sql=extra, project_arg=project,
                        legacy_sql_arg=legacy, legacy_sql_default=legacy is not None)


def table_check(dialect: str | None, conn: tuple[str, ...], project: str | None = None,
                parts: tuple[str, ...] = ("table",)) -> OperatorRule:
    """Check operators given a ``table=``: they read it (the SQL they generate only selects from it)."""
    return sql(dialect, conn, args=(), tables=(TableArg(parts, "read"),), project=project)


def transfer(dialect: str | None, conn: tuple[str, ...], *tables: TableArg, args: tuple[str, ...] = ("sql",),
             extra: tuple[SqlArg, ...] = (), hook: str | None = None, project: str | None = None,
             database: tuple[str, ...] = (), schema: tuple[str, ...] = ()) -> OperatorRule:
    return sql(dialect, conn, args=args, database=database, schema=schema, hook=hook, tables=tables, extra=extra, project=project)


def _mysql_target(source_dialect: str, source_conn: str, pre: tuple[str, ...] = ("mysql_preoperator",)) -> OperatorRule:
    """X-to-MySQL transfers: SQL read on the source, ``mysql_table`` written, pre/post SQL on MySQL."""
    return transfer(source_dialect, (source_conn,), TableArg(("mysql_table",), "write", ("mysql_conn_id",), "mysql"),
                    extra=tuple(SqlArg(p, ("mysql_conn_id",), "mysql") for p in pre))


def _to_hive(source_dialect: str | None, source_conn: str) -> OperatorRule:
    return transfer(source_dialect, (source_conn,), TableArg(("hive_table",), "write", ("hive_cli_conn_id",), "hive"))


def _bigquery_to_sql(dialect: str, conn: str) -> OperatorRule:
    return transfer(None, (conn,), TableArg(("dataset_table",), "read", _GCP, "bigquery"),
                    TableArg(("dataset_id", "table_id"), "read", _GCP, "bigquery"),
                    TableArg(("target_table_name",), "write", (conn,), dialect), args=(), project="project_id")


_PYTHON = OperatorRule(python_operator)
_BASH = OperatorRule(bash_operator, sql_args=("bash_command",), template_ext=(".sh", ".bash"))
_NO_DATA = OperatorRule(_no_data)

SQL_OPERATORS: dict[str, OperatorRule] = {
    "SQLExecuteQueryOperator": sql(None, ("conn_id",), ext=(".sql", ".json")),
    "PostgresOperator": sql("postgres", ("postgres_conn_id", "conn_id"), ext=(".sql", ".json")),
    "SnowflakeOperator": sql("snowflake", ("snowflake_conn_id", "conn_id"), schema=("schema",)),
    "SnowflakeSqlApiOperator": sql("snowflake", ("snowflake_conn_id",), schema=("schema",)),
    "MySqlOperator": sql("mysql", ("mysql_conn_id", "conn_id")),
    "MsSqlOperator": sql("tsql", ("mssql_conn_id", "conn_id")),
    "RedshiftSQLOperator": sql("redshift", ("redshift_conn_id", "conn_id")),
    "RedshiftDataOperator": sql("redshift", (), hook=None),
    "TrinoOperator": sql("trino", ("trino_conn_id", "conn_id")),
    "DatabricksSqlOperator": sql("databricks", ("databricks_conn_id",), database=("catalog",), schema=("schema",)),
    "OracleOperator": sql("oracle", ("oracle_conn_id", "conn_id")),
    "SqliteOperator": sql("sqlite", ("sqlite_conn_id", "conn_id")),
    "VerticaOperator": sql("vertica", ("vertica_conn_id", "conn_id")),
    "JdbcOperator": sql(None, ("jdbc_conn_id", "conn_id")),
    "ExasolOperator": sql("exasol", ("exasol_conn_id", "conn_id"), schema=("schema",)),
    "TeradataOperator": sql("teradata", ("teradata_conn_id", "conn_id"), schema=("schema",)),
    "AthenaOperator": sql("athena", ("aws_conn_id",), args=("query",), database=("catalog",), schema=("database",), hook=None),
    "HiveOperator": sql("hive", ("hive_cli_conn_id",), args=("hql",), database=(), schema=("schema",), hook=None),
    "SparkSqlOperator": sql("spark", ("conn_id",), database=(), hook=None),
    "BigQueryExecuteQueryOperator": sql("bigquery", _GCP, database=(), hook=None, legacy="use_legacy_sql",
                                        tables=(TableArg(("destination_dataset_table",), "write"),)),
    "BigQueryInsertJobOperator": OperatorRule(insert_job, conn_args=_GCP, dialect="bigquery", template_ext=(".json", ".sql"),
                                              project_arg="project_id"),
    "@task.sql": OperatorRule(decorated_sql, sql_args=("sql",), conn_args=("conn_id",), template_ext=(".sql", ".json"),
                              database_args=("database",), hook_params_arg="hook_params", body_arg="sql"),
}
SQL_OPERATORS["_SQLDecoratedOperator"] = SQL_OPERATORS["@task.sql"]

CHECK_OPERATORS: dict[str, OperatorRule] = {
    "SQLCheckOperator": sql(None, ("conn_id",)), "CheckOperator": sql(None, ("conn_id",)),
    "SQLValueCheckOperator": sql(None, ("conn_id",)), "ValueCheckOperator": sql(None, ("conn_id",)),
    "SQLThresholdCheckOperator": sql(None, ("conn_id",), args=("sql", "min_threshold", "max_threshold")),
    "SQLIntervalCheckOperator": table_check(None, ("conn_id",)), "IntervalCheckOperator": table_check(None, ("conn_id",)),
    "SQLColumnCheckOperator": table_check(None, ("conn_id",)), "SQLTableCheckOperator": table_check(None, ("conn_id",)),
    "BigQueryCheckOperator": sql("bigquery", _GCP, database=("project_id",), hook=None, legacy="use_legacy_sql"),
    "BigQueryValueCheckOperator": sql("bigquery", _GCP, database=("project_id",), hook=None, legacy="use_legacy_sql"),
    "BigQueryIntervalCheckOperator": table_check("bigquery", _GCP, "project_id"),
    "BigQueryColumnCheckOperator": table_check("bigquery", _GCP, "project_id"),
    "BigQueryTableCheckOperator": table_check("bigquery", _GCP, "project_id"),
    "SnowflakeCheckOperator": sql("snowflake", ("snowflake_conn_id",), schema=("schema",)),
    "SnowflakeValueCheckOperator": sql("snowflake", ("snowflake_conn_id",), schema=("schema",)),
    "SnowflakeIntervalCheckOperator": table_check("snowflake", ("snowflake_conn_id",)),
    "SqlSensor": sql(None, ("conn_id",), database=()),
    "BranchSQLOperator": sql(None, ("conn_id",)),
    "SQLInsertRowsOperator": sql(None, ("conn_id",), args=("preoperator", "postoperator"),
                                 tables=(TableArg(("schema", "table_name"), "write"),)),
    "SQLBulkLoadOperator": sql(None, ("conn_id",), args=("preoperator", "postoperator"), tables=(TableArg(("table",), "write"),)),
    "BigQueryTableExistenceSensor": table_check("bigquery", _GCP, None, ("project_id", "dataset_id", "table_id")),
    "BigQueryTablePartitionExistenceSensor": table_check("bigquery", _GCP, None, ("project_id", "dataset_id", "table_id")),
    # Great Expectations validates a table of its connection (or a DataFrame: no table)
    "GreatExpectationsOperator": OperatorRule(_great_expectations, sql_args=("query_to_validate",),
                                              conn_args=("conn_id",), tables=(TableArg(("schema", "data_asset_name"), "read",
                                                                                       unless_sql=True),)),
}

TRANSFER_OPERATORS: dict[str, OperatorRule] = {
    "S3ToRedshiftOperator": transfer("redshift", ("redshift_conn_id",), TableArg(("schema", "table"), "write"), args=()),
    "RedshiftToS3Operator": transfer("redshift", ("redshift_conn_id",), TableArg(("schema", "table"), "read", unless_sql=True),
                                     args=("select_query",)),
    "S3ToSnowflakeOperator": transfer("snowflake", ("snowflake_conn_id",), TableArg(("database", "schema", "table"), "write"), args=()),
    "CopyFromExternalStageToSnowflakeOperator": transfer("snowflake", ("snowflake_conn_id",),
                                                         TableArg(("database", "schema", "table"), "write"), args=()),
    "SnowflakeToSlackOperator": transfer("snowflake", ("snowflake_conn_id",), database=("database",), schema=("schema",)),
    "SqlToSlackOperator": transfer(None, ("sql_conn_id",), hook="sql_hook_params"),
    "SqlToSlackWebhookOperator": transfer(None, ("sql_conn_id",), hook="sql_hook_params"),
    "SqlToSlackApiFileOperator": transfer(None, ("sql_conn_id",), hook="sql_hook_params"),
    "GCSToBigQueryOperator": transfer("bigquery", _GCP, TableArg(("destination_project_dataset_table",), "write"), args=(),
                                      project="project_id"),
    "BigQueryToGCSOperator": transfer("bigquery", _GCP, TableArg(("source_project_dataset_table",), "read"), args=(),
                                      project="project_id"),
    "BigQueryToBigQueryOperator": transfer("bigquery", _GCP, TableArg(("source_project_dataset_tables",), "read"),
                                           TableArg(("destination_project_dataset_table",), "write"), args=(), project="project_id"),
    "BigQueryGetDataOperator": transfer("bigquery", _GCP, TableArg(("project_id", "dataset_id", "table_id"), "read"), args=()),
    "BigQueryToPostgresOperator": _bigquery_to_sql("postgres", "postgres_conn_id"),
    "BigQueryToMySqlOperator": _bigquery_to_sql("mysql", "mysql_conn_id"),
    "BigQueryToMsSqlOperator": _bigquery_to_sql("tsql", "mssql_conn_id"),
    "PostgresToGCSOperator": transfer("postgres", ("postgres_conn_id",)),
    "MySQLToGCSOperator": transfer("mysql", ("mysql_conn_id",)),
    "MSSQLToGCSOperator": transfer("tsql", ("mssql_conn_id",)),
    "OracleToGCSOperator": transfer("oracle", ("oracle_conn_id",)),
    "TrinoToGCSOperator": transfer("trino", ("trino_conn_id",)),
    "PrestoToGCSOperator": transfer("presto", ("presto_conn_id",)),
    "SqlToS3Operator": transfer(None, ("sql_conn_id",), args=("query",), hook="sql_hook_params"),
    "S3ToSqlOperator": transfer(None, ("sql_conn_id",), TableArg(("schema", "table"), "write"), args=(), hook="sql_hook_params"),
    "S3ToMySqlOperator": transfer("mysql", ("mysql_conn_id",), TableArg(("mysql_table",), "write"), args=()),
    "GenericTransfer": transfer(None, ("source_conn_id",), TableArg(("destination_table",), "write", ("destination_conn_id",)),
                                extra=(SqlArg("preoperator", ("destination_conn_id",)),), hook="source_hook_params"),
    "HiveToMySqlOperator": _mysql_target("hive", "hiveserver2_conn_id", ("mysql_preoperator", "mysql_postoperator")),
    "PrestoToMySqlOperator": _mysql_target("presto", "presto_conn_id"),
    "TrinoToMySqlOperator": _mysql_target("trino", "trino_conn_id"),
    "VerticaToMySqlOperator": _mysql_target("vertica", "vertica_conn_id", ("mysql_preoperator", "mysql_postoperator")),
    "MySqlToHiveOperator": _to_hive("mysql", "mysql_conn_id"),
    "MsSqlToHiveOperator": _to_hive("tsql", "mssql_conn_id"),
    "VerticaToHiveOperator": _to_hive("vertica", "vertica_conn_id"),
    "S3ToHiveOperator": transfer("hive", ("hive_cli_conn_id",), TableArg(("hive_table",), "write"), args=()),
    "DatabricksCopyIntoOperator": transfer("databricks", ("databricks_conn_id",), TableArg(("table_name",), "write"), args=()),
    "BigQueryCreateEmptyTableOperator": transfer("bigquery", _GCP, TableArg(("project_id", "dataset_id", "table_id"), "write"), args=()),
}

SHELL_OPERATORS: dict[str, OperatorRule] = {
    "BashOperator": _BASH, "BashSensor": _BASH,
    "@task.bash": OperatorRule(bash_operator, sql_args=("bash_command",), template_ext=(".sh", ".bash"), body_arg="bash_command"),
    "SSHOperator": OperatorRule(bash_operator, sql_args=("command",), template_ext=(".sh", ".bash")),
}
SHELL_OPERATORS["_BashDecoratedOperator"] = SHELL_OPERATORS["@task.bash"]
_POD = OperatorRule(container_operator, sql_args=("cmds", "arguments"))
_DOCKER = OperatorRule(container_operator, sql_args=("command",))
CONTAINER_OPERATORS: dict[str, OperatorRule] = {
    "KubernetesPodOperator": _POD, "GKEPodOperator": _POD, "GKEStartPodOperator": _POD, "EksPodOperator": _POD,
    "DockerOperator": _DOCKER, "DockerSwarmOperator": _DOCKER,
    "EcsRunTaskOperator": OperatorRule(container_operator, sql_args=("overrides",)),
}

# dbt operators: Cosmos names them Dbt<Command><ExecutionMode>Operator, airflow-dbt Dbt<Command>Operator
_DBT_COMMANDS = {"Run": "run", "Build": "build", "Seed": "seed", "Snapshot": "snapshot", "Test": "test", "RunOperation": "run-operation",
                 "Ls": "ls", "Compile": "compile", "Deps": "deps", "Source": "source", "Clone": "clone", "Docs": "docs"}
_DBT_MODES = ("", "Local", "Virtualenv", "Docker", "Kubernetes", "AwsEks", "AzureContainerInstance", "GcpCloudRunJob", "AwsEcs", "GcpGke")
DBT_OPERATORS: dict[str, OperatorRule] = {f"Dbt{name}{mode}Operator": OperatorRule(dbt_operator, command=command)
                                          for name, command in _DBT_COMMANDS.items() for mode in _DBT_MODES}

PYTHON_OPERATORS: dict[str, OperatorRule] = {name: _PYTHON for name in (
    "PythonOperator", "BranchPythonOperator", "ShortCircuitOperator", "PythonVirtualenvOperator", "BranchPythonVirtualenvOperator",
    "ExternalPythonOperator", "BranchExternalPythonOperator", "PythonSensor", "@task", "_PythonDecoratedOperator",
    "_PythonVirtualenvDecoratedOperator", "_BranchPythonDecoratedOperator", "_ShortCircuitDecoratedOperator",
    "_PythonExternalDecoratedOperator", "_BranchExternalPythonDecoratedOperator", "_BranchPythonVirtualenvDecoratedOperator",
    "DecoratedSensorOperator", "_DockerDecoratedOperator", "_KubernetesDecoratedOperator")}

NO_DATA_OPERATORS: dict[str, OperatorRule] = {name: _NO_DATA for name in (
    "EmptyOperator", "DummyOperator", "ExternalTaskSensor", "ExternalTaskMarker", "S3KeySensor", "S3KeysUnchangedSensor",
    "S3PrefixSensor", "FileSensor", "TimeDeltaSensor", "TimeDeltaSensorAsync", "DateTimeSensor", "DateTimeSensorAsync",
    "TimeSensor", "TimeSensorAsync", "DayOfWeekSensor", "WaitSensor", "TriggerDagRunOperator", "EmailOperator",
    "SubDagOperator",  # runs a sub-DAG, whose tasks are the DAG `parent.child`'s and are read there
    "LatestOnlyOperator", "BranchDayOfWeekOperator", "BranchDateTimeOperator", "SlackWebhookOperator", "SlackAPIPostOperator",
    "SlackAPIFileOperator", "HttpOperator", "SimpleHttpOperator", "HttpSensor", "GCSObjectExistenceSensor",
    "GCSObjectsWithPrefixExistenceSensor", "SmoothOperator", "HITLOperator", "ApprovalOperator", "HITLBranchOperator",
    "HITLEntryOperator", "LocalFilesystemToS3Operator", "LocalFilesystemToGCSOperator", "BigQueryCreateEmptyDatasetOperator",
    "BigQueryDeleteDatasetOperator", "BigQueryDeleteTableOperator",  # a drop: no rows brought anywhere, as DROP TABLE
    "FireboltStartEngineOperator", "FireboltStopEngineOperator",
    # object storage only (files, not tables: GCSToBigQueryOperator's source objects are no asset either)
    "GCSToGCSOperator", "GCSListObjectsOperator", "GCSDeleteObjectsOperator", "GCSCreateBucketOperator",
    "GCSDeleteBucketOperator", "GCSToLocalFilesystemOperator", "GCSToS3Operator", "S3ToGCSOperator", "S3ListOperator",
    "S3ToSFTPOperator", "SFTPToS3Operator", "SFTPToGCSOperator", "GCSToSFTPOperator", "SFTPOperator", "SFTPSensor",
    "S3ListPrefixesOperator", "S3CopyObjectOperator", "S3DeleteObjectsOperator", "S3CreateObjectOperator",
    "S3CreateBucketOperator", "S3DeleteBucketOperator",
    # compute a job runs on, made and removed; messages and alerts; sensors waiting on another service's job
    "DataprocCreateClusterOperator", "DataprocDeleteClusterOperator", "DataprocUpdateClusterOperator",
    "DataprocStartClusterOperator", "DataprocStopClusterOperator", "EmrCreateJobFlowOperator", "EmrTerminateJobFlowOperator",
    "EmrModifyClusterOperator", "EmrServerlessCreateApplicationOperator", "EmrServerlessStopApplicationOperator",
    "EmrServerlessDeleteApplicationOperator", "GKECreateClusterOperator", "GKEDeleteClusterOperator",
    "EksCreateClusterOperator", "EksDeleteClusterOperator", "EksCreateNodegroupOperator", "EksDeleteNodegroupOperator",
    "SqsPublishOperator", "SnsPublishOperator", "PubSubPublishMessageOperator", "PubSubCreateTopicOperator",
    "PubSubCreateSubscriptionOperator", "MsTeamsWebhookOperator", "DiscordWebhookOperator", "PagerdutyEventsOperator",
    "OpsgenieCreateAlertOperator", "EmrJobFlowSensor", "EmrStepSensor", "EmrServerlessJobSensor",
    "EmrServerlessApplicationSensor", "DataprocJobSensor", "GlueJobSensor", "GlueCrawlerSensor", "BatchSensor",
    "StepFunctionExecutionSensor", "AirbyteJobSensor", "FivetranSensor", "DbtCloudJobRunSensor",
    "BaseOperator")}  # BaseOperator: also what static discovery names a repository class whose code touches no table


def _external_job(service: str) -> OperatorRule:
    def extract(t: TaskState, rule: OperatorRule) -> None:
        t.unresolved(f"{t.spec.operator_class or t.operator} runs a job on {service}: the tables it reads and writes are in "
                     "the job's own code or configuration there (declare them under `operators:` in overlay.yaml)")
    return OperatorRule(extract)


# operators starting work on another service: what it touches is defined there, not in the DAG (never "no data")
EXTERNAL_JOBS = {
    "Dataproc": ("DataprocSubmitJobOperator", "DataprocCreateBatchOperator", "DataprocSubmitPySparkJobOperator",
                 "DataprocSubmitSparkJobOperator", "DataprocInstantiateWorkflowTemplateOperator"),
    "EMR": ("EmrAddStepsOperator", "EmrServerlessStartJobOperator", "EmrContainerOperator"),
    "Databricks": ("DatabricksRunNowOperator", "DatabricksSubmitRunOperator", "DatabricksNotebookOperator",
                   "DatabricksTaskOperator", "DatabricksWorkflowTaskGroup"),
    "AWS Glue": ("GlueJobOperator", "GlueCrawlerOperator"), "AWS Lambda": ("LambdaInvokeFunctionOperator",),
    "AWS Step Functions": ("StepFunctionStartExecutionOperator",), "AWS Batch": ("BatchOperator",),
    "Cloud Run": ("CloudRunExecuteJobOperator",),
    "Dataflow": ("DataflowTemplatedJobStartOperator", "DataflowStartFlexTemplateOperator", "DataflowCreatePythonJobOperator",
                 "DataflowCreateJavaJobOperator", "BeamRunPythonPipelineOperator", "BeamRunJavaPipelineOperator"),
    "dbt Cloud": ("DbtCloudRunJobOperator",), "Airbyte": ("AirbyteTriggerSyncOperator",), "Fivetran": ("FivetranOperator",),
    "Azure Data Factory": ("AzureDataFactoryRunPipelineOperator",), "Spark": ("SparkSubmitOperator",),
    "SageMaker": ("SageMakerProcessingOperator", "SageMakerTrainingOperator", "SageMakerTransformOperator"),
}
EXTERNAL_JOB_OPERATORS: dict[str, OperatorRule] = {name: _external_job(service) for service, names in EXTERNAL_JOBS.items()
                                                   for name in names}

# the Astro SDK (static mode names its tasks as they are written: `@aql.transform`, `aql.load_file`)
_ASTRO = OperatorRule(astro_task, conn_args=("conn_id",), template_ext=(".sql",))
ASTRO_OPERATORS: dict[str, OperatorRule] = {
    name: _ASTRO for name in ("@aql.transform", "@aql.run_raw_sql", "@aql.dataframe", *(f"aql.{f}" for f in ASTRO_FUNCTIONS))}

OPERATORS: dict[str, OperatorRule] = {**SQL_OPERATORS, **CHECK_OPERATORS, **TRANSFER_OPERATORS, **SHELL_OPERATORS, **CONTAINER_OPERATORS,
                                      **DBT_OPERATORS, **PYTHON_OPERATORS, **NO_DATA_OPERATORS, **EXTERNAL_JOB_OPERATORS,
                                      **ASTRO_OPERATORS}


def user_rule(spec: UserRule) -> OperatorRule:
    """An ``operators:`` rule of overlay.yaml as a registry row: from a built-in (``like:``) or a SQL operator rule."""
    base = rule_for(spec.like) if spec.like else None
    tables = tuple(TableArg(parts, "write") for parts in spec.writes) + tuple(TableArg(parts, "read") for parts in spec.reads)
    if base is None:
        return sql(spec.dialect, spec.conn or CONN_ARGS, args=spec.sql, ext=spec.ext, database=spec.database,
                   schema=spec.schema, tables=tables)
    return replace(base, sql_args=spec.sql or base.sql_args, conn_args=spec.conn or base.conn_args,
                   dialect=spec.dialect or base.dialect, template_ext=spec.ext if spec.sql else base.template_ext,
                   database_args=spec.database or base.database_args, schema_args=spec.schema or base.schema_args,
                   tables=tables + base.tables)


def rule_for(operator: str) -> OperatorRule | None:
    """The rule of an operator class name (a dotted path works too; other ``@task.x`` flavours run Python)."""
    if "|" in operator:  # `A if <not known> else B`: a rule only when every choice has the same one
        rules = {id(r): r for r in (rule_for(o) for o in operator.split("|"))}
        return next(iter(rules.values())) if len(rules) == 1 else None
    if operator in OPERATORS:  # as written first (`aql.load_file`), then by the class name of a dotted path
        return OPERATORS[operator]
    name = operator.rsplit(".", 1)[-1] if "." in operator and not operator.startswith("@") else operator
    if name in OPERATORS:
        return OPERATORS[name]
    return _PYTHON if name.startswith("@task") else None


# Airflow's names for a BigQuery table an operator writes or reads (GCSToBigQueryOperator, BigQueryToGCSOperator,
# BigQueryCreateExternalTableOperator...): a repository operator given one is read by that name
BIGQUERY_TABLE_ARGS = (TableArg(("destination_project_dataset_table",), "write"),
                       TableArg(("source_project_dataset_table",), "read"))


def bigquery_table_args(t: TaskState) -> tuple[TableArg, ...]:
    return tuple(a for a in BIGQUERY_TABLE_ARGS if a.parts[0] in t.args or t.is_unknown(a.parts[0]))


def fallback_rule(t: TaskState) -> OperatorRule | None:
    """An operator the registry does not know, read by what it was given: SQL, a bash command, a callable."""
    if "sql" in t.args or t.is_unknown("sql"):
        conns = tuple(dict.fromkeys([*CONN_ARGS, *sorted(a for a in t.args if a.endswith("conn_id"))]))
        return sql(dialect_hint(t.operator), conns)  # `MyPostgresRefreshOperator` runs PostgreSQL
    if "bash_command" in t.args or t.is_unknown("bash_command"):
        return _BASH
    bigquery_tables = bigquery_table_args(t)
    if bigquery_tables:
        return transfer("bigquery", _GCP, *bigquery_tables, args=(), project="project_id")
    if t.spec.callable_source:
        return _PYTHON
    return None
