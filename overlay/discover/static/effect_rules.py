"""What the code a repository operator class runs reaches, as data: external names -> touches tables or not.

The effect analysis (``effects``) follows a class's methods into the repository's own functions, classes and
hooks, and classifies every name it reaches from outside the repository by these rules: the longest dotted
prefix of the name that has a rule wins (``os`` is harmless, ``os.system`` runs a command). A name no rule
covers is not known, and neither is the class: precision first, a class is read as touching no table only
when every name it reaches has the ``NONE`` rule.

* ``NONE``: object storage, HTTP, messaging, e-mail, chat, file formats, dates, validation, logging, Airflow
  core (models, hooks.base, XCom, Variables, exceptions), the standard library but for what runs commands or code.
* ``TABLE``: database hooks and clients, warehouse SDKs, SQLAlchemy, DB-API drivers, pandas' SQL functions.
* ``COMMAND``: subprocesses, shells, SSH, code built at run time: what they touch is not in the code.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Literal

Kind = Literal["none", "table", "command", "unknown"]


@dataclass(frozen=True)
class Rule:
    kind: Kind
    what: str = ""  # how a reason says it: "runs SQL through", "runs a command through"


NONE = Rule("none")
TABLE = Rule("table", "runs SQL through")
COMMAND = Rule("command", "runs a command through")
CODE = Rule("command", "runs code it builds at run time with")
UNKNOWN_RULE = Rule("unknown")

_NONE_PREFIXES = (
    # Airflow core: task metadata, connections' fields, Variables, XCom, logging, exceptions, timetables
    "airflow.models", "airflow.hooks.base", "airflow.hooks.base_hook", "airflow.utils", "airflow.exceptions",
    "airflow.configuration", "airflow.settings", "airflow.sensors.base", "airflow.sensors.base_sensor_operator",
    "airflow.triggers", "airflow.operators.empty", "airflow.operators.dummy", "airflow.providers.standard.operators.empty",
    "airflow.sdk", "airflow.typing_compat", "airflow.decorators", "airflow.providers.standard.decorators",
    "airflow.timetables", "airflow.secrets", "airflow.version", "airflow.macros", "airflow.stats", "airflow.XComArg",
    "airflow.DAG", "airflow.Dataset", "airflow.Asset", "airflow.AirflowException", "airflow.datasets", "airflow.assets",
    "airflow.hooks.http_hook", "airflow.hooks.S3_hook", "airflow.hooks.filesystem",
    # object storage, HTTP, messaging, chat, e-mail, secrets (providers' hooks for them)
    "airflow.providers.google.cloud.hooks.gcs", "airflow.providers.google.common.hooks.base_google",
    "airflow.providers.google.cloud.hooks.secret_manager", "airflow.providers.google.cloud.hooks.pubsub",
    "airflow.providers.google.cloud.hooks.compute", "airflow.providers.google.cloud.triggers.compute",
    "airflow.providers.google.suite.hooks.drive", "airflow.providers.google.suite.hooks.sheets",
    "airflow.providers.amazon.aws.hooks.s3", "airflow.providers.amazon.aws.hooks.sns", "airflow.providers.amazon.aws.hooks.sqs",
    "airflow.providers.amazon.aws.hooks.secrets_manager", "airflow.providers.http", "airflow.providers.slack",
    "airflow.providers.smtp", "airflow.providers.sftp", "airflow.providers.ftp", "airflow.providers.microsoft.azure.hooks.wasb",
    "airflow.providers.microsoft.azure.hooks.data_lake", "airflow.providers.discord", "airflow.providers.opsgenie",
    "airflow.providers.pagerduty", "airflow.providers.telegram", "airflow.providers.microsoft.azure.hooks.msgraph",
    "airflow.operators.email", "airflow.operators.email_operator", "airflow.utils.email", "smtplib", "email",
    # SDKs and libraries for the same, file formats, dates, validation, retries, CLIs, logging
    "requests", "urllib3", "httpx", "aiohttp", "http", "google.cloud.storage", "google.cloud.secretmanager",
    "google.cloud.pubsub", "google.cloud.pubsub_v1", "google.auth", "google.oauth2", "google.api_core",
    "google.protobuf", "googleapiclient.errors", "googleapiclient.http", "gcsfs", "s3fs", "fsspec", "smart_open",
    "azure.storage.blob", "azure.identity", "swiftclient", "slack_sdk", "slack", "pyairtable", "ckanapi",
    "pendulum", "dateutil", "pytz", "tzlocal", "pydantic", "attr", "attrs", "marshmallow", "jsonschema", "yaml",
    "ruamel", "jinja2", "markupsafe", "openpyxl", "xlrd", "xlsxwriter", "pyarrow.parquet", "pyarrow.csv", "fastavro",
    "orjson", "ujson", "simplejson", "lxml", "bs4", "xmltodict", "backoff", "tenacity", "humanize", "tqdm",
    "typing_extensions", "typer", "click", "environs", "dotenv", "cachetools", "more_itertools", "toolz",
    "tabulate", "chardet", "charset_normalizer", "certifi", "jwt", "cryptography", "structlog", "sentry_sdk",
    "numpy", "pandas", "shapely", "geojson", "markdown", "dataclasses_json", "deprecated", "packaging", "semver",
    "unidecode", "faker", "weasyprint", "pdfkit", "reportlab", "fpdf", "PIL", "loguru", "holidays", "exchange_calendars",
    "pyproj",
    # a warehouse SDK's configuration and value classes: building one touches no table (its client does)
    "google.cloud.bigquery.SourceFormat", "google.cloud.bigquery.WriteDisposition", "google.cloud.bigquery.CreateDisposition",
    "google.cloud.bigquery.SchemaField", "google.cloud.bigquery.LoadJobConfig", "google.cloud.bigquery.QueryJobConfig",
    "google.cloud.bigquery.ExtractJobConfig", "google.cloud.bigquery.CopyJobConfig", "google.cloud.bigquery.TimePartitioning",
    "google.cloud.bigquery.TimePartitioningType", "google.cloud.bigquery.ScalarQueryParameter",
    "google.cloud.bigquery.ArrayQueryParameter", "google.cloud.bigquery.StructQueryParameter",
    "google.cloud.bigquery.enums", "google.cloud.bigquery.SqlTypeNames", "google.cloud.bigquery.job.QueryJobConfig",
    "google.cloud.bigquery.job.LoadJobConfig", "google.cloud.bigquery.job.SourceFormat", "google.cloud.bigquery.job.WriteDisposition",
    # computation and plotting on data a task already holds
    "scipy", "sklearn", "statsmodels", "lightgbm", "xgboost", "catboost", "matplotlib", "seaborn", "plotly", "mlflow",
)
_TABLE_PREFIXES = (
    "sqlite3", "airflow.hooks.dbapi", "airflow.hooks.dbapi_hook", "airflow.hooks.postgres_hook", "airflow.hooks.mysql_hook",
    "airflow.hooks.mssql_hook", "airflow.hooks.oracle_hook", "airflow.hooks.sqlite_hook", "airflow.hooks.presto_hook",
    "airflow.hooks.hive_hooks", "airflow.hooks.jdbc_hook", "airflow.contrib.hooks.bigquery_hook",
    "airflow.contrib.hooks.snowflake_hook", "airflow.contrib.hooks.redshift_hook", "airflow.operators.sql",
    "airflow.providers.common.sql", "airflow.providers.postgres", "airflow.providers.mysql", "airflow.providers.snowflake",
    "airflow.providers.google.cloud.hooks.bigquery", "airflow.providers.google.cloud.operators.bigquery",
    "airflow.providers.google.cloud.hooks.bigquery_dts", "airflow.providers.google.cloud.hooks.cloud_sql",
    "airflow.providers.google.cloud.hooks.spanner", "airflow.providers.google.cloud.hooks.bigtable",
    "airflow.providers.amazon.aws.hooks.redshift_sql", "airflow.providers.amazon.aws.hooks.redshift_data",
    "airflow.providers.amazon.aws.hooks.athena", "airflow.providers.amazon.aws.hooks.glue",
    "airflow.providers.amazon.aws.hooks.dynamodb", "airflow.providers.microsoft.mssql", "airflow.providers.oracle",
    "airflow.providers.sqlite", "airflow.providers.trino", "airflow.providers.presto", "airflow.providers.databricks",
    "airflow.providers.exasol", "airflow.providers.vertica", "airflow.providers.jdbc", "airflow.providers.odbc",
    "airflow.providers.teradata", "airflow.providers.apache.hive", "airflow.providers.apache.druid",
    "airflow.providers.apache.pinot", "airflow.providers.microsoft.azure.hooks.synapse", "airflow.providers.clickhouse",
    "google.cloud.bigquery", "google.cloud.bigquery_storage", "google.cloud.spanner", "google.cloud.bigtable",
    "pandas_gbq", "pandas.read_sql", "pandas.read_sql_query", "pandas.read_sql_table", "pandas.read_gbq", "pandas.io.sql",
    "pandas.io.gbq", "sqlalchemy", "psycopg2", "psycopg", "pg8000", "asyncpg", "pymysql", "MySQLdb", "mysql.connector",
    "snowflake", "pyodbc", "cx_Oracle", "oracledb", "pymssql", "redshift_connector", "trino", "prestodb", "pyhive",
    "databricks.sql", "clickhouse_driver", "clickhouse_connect", "duckdb", "teradatasql", "vertica_python", "ibis",
    "polars.read_database", "geopandas.read_postgis", "dataset", "records", "peewee", "pony", "sqlmodel",
)
_COMMAND_PREFIXES = (
    "subprocess", "os.system", "os.popen", "os.execv", "os.execve", "os.execl", "os.execle", "os.execlp", "os.execvp",
    "os.execvpe", "os.spawnl", "os.spawnv", "os.spawnve", "os.spawnlp", "os.posix_spawn", "os.posix_spawnp", "os.fork",
    "pty", "asyncio.create_subprocess_exec", "asyncio.create_subprocess_shell", "multiprocessing", "sh", "plumbum",
    "paramiko", "fabric", "invoke", "pexpect", "airflow.operators.bash", "airflow.providers.ssh",
    "airflow.providers.google.cloud.hooks.compute_ssh", "airflow.providers.cncf", "airflow.providers.docker",
    "airflow.providers.standard.operators.bash", "airflow.providers.standard.hooks.subprocess",
)
_CODE_PREFIXES = ("builtins.eval", "builtins.exec", "builtins.compile", "builtins.__import__", "builtins.globals",
                  "builtins.breakpoint", "importlib", "runpy", "code", "ctypes", "pickle", "dill", "cloudpickle", "marshal")

RULES: dict[str, Rule] = {
    **{p: NONE for p in _NONE_PREFIXES},
    **{p: TABLE for p in _TABLE_PREFIXES},
    **{p: COMMAND for p in _COMMAND_PREFIXES},
    **{p: CODE for p in _CODE_PREFIXES},
}

# a method of any object by its name alone (the receiver's class is not known): pandas' DataFrame.to_sql, a SQL
# operator's own hook, a connection's hook of whatever kind it is
METHOD_RULES: dict[str, Rule] = {
    **{m: TABLE for m in ("to_sql", "to_gbq", "read_sql", "read_sql_query", "read_sql_table", "read_gbq", "get_db_hook",
                          "get_sqlalchemy_engine", "get_pandas_df", "get_records", "get_first", "insert_rows", "bulk_load",
                          "bulk_dump", "copy_expert", "write_pandas", "get_uri_engine")},
    "get_hook": UNKNOWN_RULE,
}

# clients made from a service's name (boto3.client("s3"), googleapiclient.discovery.build("compute", "v1")): the
# first argument, a string literal, says which; any other service, or a name not known statically, is not known
SERVICE_FACTORIES = ("boto3.client", "boto3.resource", "boto3.session.Session.client", "googleapiclient.discovery.build")
SERVICE_METHODS = ("client", "resource", "get_client_type", "get_resource_type")
SERVICES: dict[str, Rule] = {
    **{s: NONE for s in ("s3", "sqs", "sns", "ses", "sesv2", "secretsmanager", "ssm", "sts", "kms", "cloudwatch", "logs",
                         "events", "iam", "compute", "storage", "drive", "gmail", "sheets", "secretmanager", "pubsub",
                         "cloudresourcemanager")},
    **{s: TABLE for s in ("redshift-data", "redshift", "athena", "glue", "rds-data", "dynamodb", "timestream-query",
                          "timestream-write", "lakeformation", "bigquery", "sqladmin", "bigquerydatatransfer")},
}

_STDLIB = frozenset(sys.stdlib_module_names) | {"builtins"}


def rule_for(qualified: str) -> Rule | None:
    """The rule of the longest dotted prefix of ``qualified`` that has one; the standard library's other names
    touch no table; ``None``: not known."""
    name = qualified
    while True:
        rule = RULES.get(name)
        if rule is not None:
            return rule
        if "." not in name:
            break
        name = name.rsplit(".", 1)[0]
    return NONE if name in _STDLIB else None


def service_rule(service: object) -> Rule:
    return SERVICES.get(service, UNKNOWN_RULE) if isinstance(service, str) else UNKNOWN_RULE
