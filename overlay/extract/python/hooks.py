"""Database handles in Python code, as data: hook classes, drivers, and the methods that run SQL or touch tables.

A ``Handle`` is what a name in a callable stands for (a hook, its connection, cursor, engine or
client): the Airflow connection, the dialect and the database/schema it was opened with.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from typing import Any

from overlay.discover.evaluate import Evaluator, is_known, written_name
from overlay.extract.templates.sources import hook_scope

HOOK_CLASSES: dict[str, str | None] = {
    "PostgresHook": "postgres", "PgVectorHook": "postgres", "SnowflakeHook": "snowflake", "SnowflakeSqlApiHook": "snowflake",
    "BigQueryHook": "bigquery", "MySqlHook": "mysql", "MsSqlHook": "tsql", "RedshiftSQLHook": "redshift",
    "RedshiftDataHook": "redshift", "TrinoHook": "trino", "PrestoHook": "presto", "DatabricksSqlHook": "databricks",
    "OracleHook": "oracle", "SqliteHook": "sqlite", "VerticaHook": None, "JdbcHook": None, "OdbcHook": None, "DbApiHook": None,
    "HiveServer2Hook": "hive", "ImpalaHook": "hive", "ExasolHook": "exasol", "TeradataHook": "teradata",
    "DruidDbApiHook": "druid", "AthenaSQLHook": "athena", "ClickHouseHook": "clickhouse", "DuckDBHook": "duckdb",
}
# the connection each hook opens when it is given none (its `default_conn_name` in Airflow and the providers)
HOOK_DEFAULT_CONNECTIONS: dict[str, str] = {
    "PostgresHook": "postgres_default", "PgVectorHook": "postgres_default", "SnowflakeHook": "snowflake_default",
    "SnowflakeSqlApiHook": "snowflake_default", "BigQueryHook": "google_cloud_default", "MySqlHook": "mysql_default",
    "MsSqlHook": "mssql_default", "RedshiftSQLHook": "redshift_default", "RedshiftDataHook": "aws_default",
    "TrinoHook": "trino_default", "PrestoHook": "presto_default", "DatabricksSqlHook": "databricks_default",
    "OracleHook": "oracle_default", "SqliteHook": "sqlite_default", "VerticaHook": "vertica_default",
    "JdbcHook": "jdbc_default", "OdbcHook": "odbc_default", "HiveServer2Hook": "hiveserver2_default",
    "ImpalaHook": "impala_default", "ExasolHook": "exasol_default", "TeradataHook": "teradata_default",
    "DruidDbApiHook": "druid_broker_default", "AthenaSQLHook": "aws_default", "ClickHouseHook": "clickhouse_default",
    "DuckDBHook": "duckdb_default",
}
# hooks whose `run`/`execute` are not SQL (HTTP calls, jobs, shells)
NOT_SQL_HOOKS = frozenset({"HttpHook", "DatabricksHook", "SSHHook", "DockerHook", "KubernetesHook", "HiveCliHook",
                           "HiveMetastoreHook", "DbtCloudHook", "GlueJobHook", "GlueCatalogHook", "S3Hook", "GCSHook"})
_SQLISH = re.compile(r"(?i)sql|db|warehouse|postgres|snowflake|redshift|bigquery|trino|presto|oracle|vertica|teradata|jdbc|odbc|exasol|clickhouse|duckdb")
HOOK_CONN_ARGS = ("postgres_conn_id", "snowflake_conn_id", "gcp_conn_id", "bigquery_conn_id", "mysql_conn_id", "mssql_conn_id",
                  "redshift_conn_id", "trino_conn_id", "presto_conn_id", "databricks_conn_id", "oracle_conn_id", "sqlite_conn_id",
                  "vertica_conn_id", "jdbc_conn_id", "odbc_conn_id", "hiveserver2_conn_id", "exasol_conn_id", "teradata_conn_id",
                  "conn_id")
DRIVERS: dict[str, str | None] = {
    "psycopg2.connect": "postgres", "psycopg.connect": "postgres", "pg8000.connect": "postgres", "pymysql.connect": "mysql",
    "MySQLdb.connect": "mysql", "mysql.connector.connect": "mysql", "snowflake.connector.connect": "snowflake",
    "sqlite3.connect": "sqlite", "duckdb.connect": "duckdb", "pyodbc.connect": None, "oracledb.connect": "oracle",
    "cx_Oracle.connect": "oracle", "redshift_connector.connect": "redshift", "trino.dbapi.connect": "trino",
    "create_engine": None, "sqlalchemy.create_engine": None, "sa.create_engine": None, "sqlalchemy.engine.create_engine": None,
    "bigquery.Client": "bigquery", "google.cloud.bigquery.Client": "bigquery",
}
URL_DIALECTS = {"postgresql": "postgres", "postgres": "postgres", "mysql": "mysql", "mariadb": "mysql", "snowflake": "snowflake",
                "bigquery": "bigquery", "mssql": "tsql", "sqlite": "sqlite", "redshift": "redshift", "trino": "trino",
                "oracle": "oracle", "duckdb": "duckdb", "databricks": "databricks", "clickhouse": "clickhouse", "hive": "hive"}
# methods returning another handle on the same database (connection, cursor, engine, client)
HANDLE_METHODS = frozenset({"get_conn", "get_sqlalchemy_engine", "cursor", "connect", "get_cursor", "begin", "raw_connection",
                            "get_client", "get_uri", "get_sqlalchemy_connection", "engine"})
# methods that look like SQL on any object: recorded when their argument is SQL text
STRONG_SQL = frozenset({"execute", "executemany", "get_records", "get_first", "get_pandas_df", "get_df", "copy_expert",
                        "exec_driver_sql", "execute_string"})
_LOOKS_LIKE_SQL = re.compile(r"^\s*\(?\s*(with|select|insert|update|delete|merge|create|drop|alter|truncate|copy|unload|call|"
                             r"refresh|grant|vacuum|analyze|replace|upsert)\b", re.I)


UNKNOWN_CONNECTION = "unknown connection"  # the kind of a handle standing for one the code got from elsewhere


@dataclass
class Handle:
    kind: str  # what opened it, for messages: "PostgresHook", "psycopg2.connect"
    conn_id: str | None = None
    dialect: str | None = None
    database: str | None = None
    schema: str | None = None
    record: bool = False  # an Airflow Connection record (get_connection): a handle once `.get_hook()` is called
    unnamed: bool = False  # opened from a URL built at run time: which database it reaches is not known
    field: str | None = None  # a name holding one field of a connection record (`db = c.schema`): which

    @property
    def nameless(self) -> bool:
        """Which database it reaches is not known (a URL built at run time, or no handle seen at all): its tables are
        not made assets."""
        return self.unnamed or self.kind == UNKNOWN_CONNECTION


@dataclass(frozen=True)
class CallSpec:
    kind: str  # sql | read | write | job
    position: int | None
    keywords: tuple[str, ...]
    con: tuple[int, str] | None = None  # the handle is an argument (pd.read_sql(sql, con)), not the receiver
    many: bool = False  # the argument may be a list of tables


_SQL = CallSpec("sql", 0, ("sql", "operation", "query", "statement", "sql_statement"))
CALL_SPECS: dict[str, CallSpec] = {
    **{m: _SQL for m in ("run", "get_records", "get_first", "get_pandas_df", "get_df", "get_pandas_df_by_chunks",
                         "get_df_by_chunks", "execute", "executemany", "copy_expert", "query", "run_query", "execute_query",
                         "execute_string", "exec_driver_sql")},
    "insert_rows": CallSpec("write", 0, ("table",)), "bulk_load": CallSpec("write", 0, ("table",)),
    "insert_rows_json": CallSpec("write", 0, ("table",)), "copy_from": CallSpec("write", 1, ("table",)),
    "load_table_from_dataframe": CallSpec("write", 1, ("destination",)), "load_table_from_uri": CallSpec("write", 1, ("destination",)),
    "load_table_from_file": CallSpec("write", 1, ("destination",)), "load_table_from_json": CallSpec("write", 1, ("destination",)),
    "bulk_dump": CallSpec("read", 0, ("table",)), "copy_to": CallSpec("read", 1, ("table",)),
    "extract_table": CallSpec("read", 0, ("source",), many=True), "list_rows": CallSpec("read", 0, ("table",)),
    "insert_job": CallSpec("job", 0, ("configuration",)),
    "read_sql": CallSpec("sql", 0, ("sql",), con=(1, "con")), "read_sql_query": CallSpec("sql", 0, ("sql",), con=(1, "con")),
    "read_sql_table": CallSpec("read", 0, ("table_name",), con=(1, "con")),
    "read_database": CallSpec("sql", 0, ("query",), con=(1, "connection")),
    "to_sql": CallSpec("write", 0, ("name",), con=(1, "con")), "write_database": CallSpec("write", 0, ("table_name",), con=(1, "connection")),
    "write_pandas": CallSpec("write", 2, ("table_name",), con=(0, "conn")),
    # psycopg2.extras: `execute_values(cur, "INSERT INTO t VALUES %s", rows)`, the cursor given first
    "execute_values": CallSpec("sql", 1, ("sql",), con=(0, "cur")), "execute_batch": CallSpec("sql", 1, ("sql",), con=(0, "cur")),
}


def callee(func: ast.AST) -> str:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        base = callee(func.value)
        return f"{base}.{func.attr}" if base else func.attr
    if isinstance(func, ast.Call):
        return callee(func.func)
    return ""


def qualified(name: str, ev: Any) -> str:
    """``name`` with its first part as the module imports it (``pg.connect`` of ``import psycopg2 as pg`` is
    ``psycopg2.connect``); unchanged when the code names the library by its own name."""
    first, dot, rest = name.partition(".")
    library = getattr(ev, "aliases", {}).get(first)
    return f"{library}{dot}{rest}" if library else name


def is_hook_name(name: str) -> bool:
    last = name.rsplit(".", 1)[-1]
    if last in HOOK_CLASSES:
        return True
    return last.endswith("Hook") and last not in NOT_SQL_HOOKS and last != "BaseHook" and bool(_SQLISH.search(last))


def looks_like_sql(value: Any) -> bool:
    return isinstance(value, str) and bool(_LOOKS_LIKE_SQL.match(value))


def argument(call: ast.Call, position: int | None, keywords: tuple[str, ...]) -> ast.expr | None:
    for keyword in call.keywords:
        if keyword.arg in keywords:
            return keyword.value
    if position is not None and position < len(call.args) and not isinstance(call.args[position], ast.Starred):
        return call.args[position]
    return None


def opens(call: ast.Call, ev: Evaluator, handles: dict[str, Handle]) -> Handle | None:
    """The handle a call creates (a hook, a driver connection, ``get_hook()``), not one it passes along."""
    name = qualified(callee(call.func), ev)
    last = name.rsplit(".", 1)[-1]
    if is_hook_name(name) or name in DRIVERS or last == "get_hook":
        handle = handle_of(call, ev, handles)
        return handle if handle is not None and not handle.record else None
    return None


def handle_of(node: ast.AST | None, ev: Evaluator, handles: dict[str, Handle]) -> Handle | None:
    if isinstance(node, ast.Name):
        return handles.get(node.id)
    if isinstance(node, ast.Attribute) and written_name(node) in handles:  # `self.hook = PostgresHook(...)`
        return handles[written_name(node)]
    if not isinstance(node, ast.Call):
        return None
    if returned_key(node) in handles:  # a repository helper's call that returned a handle
        return handles[returned_key(node)]
    name = qualified(callee(node.func), ev)
    last = name.rsplit(".", 1)[-1]
    base = getattr(ev, "hook_bases", {}).get(last)  # a team's own hook class: judged by the library hook it derives from
    if (is_hook_name(name) or (base is not None and is_hook_name(base))) and not isinstance(node.func, ast.Call):
        return _hook(node, last, ev)
    if name in DRIVERS:
        return _driver(node, name, ev, handles)
    if last in ("get_connection", "get_connection_from_secrets"):
        conn = _text(ev, argument(node, 0, ("conn_id",)))
        return Handle(name, conn, record=True)
    if last == "get_hook":
        base = handle_of(node.func.value, ev, handles) if isinstance(node.func, ast.Attribute) else None
        if base is not None:
            return Handle(f"{base.conn_id} hook", base.conn_id, base.dialect, base.database, base.schema)
        return Handle(name, _text(ev, argument(node, 0, ("conn_id",))))
    if isinstance(node.func, ast.Attribute) and last in HANDLE_METHODS:
        return handle_of(node.func.value, ev, handles)
    return None


def returned_key(call: ast.Call) -> str:
    """Where the handle a helper call returned is kept among a body's handles (never a name in code)."""
    return f"@returned:{id(call)}"


def _hook(call: ast.Call, name: str, ev: Evaluator) -> Handle:
    kind = name
    name = getattr(ev, "hook_bases", {}).get(name, name)  # a team's own subclass opens as the library hook it derives from
    kwargs = {k.arg: ev.eval(k.value) for k in call.keywords if k.arg}
    named = [a for a in HOOK_CONN_ARGS if a in kwargs] + sorted(a for a in kwargs if a.endswith("conn_id") and a not in HOOK_CONN_ARGS)
    unnamed = False
    if named:  # `ClickHouseHook(clickhouse_conn_id=...)`: the connection given, or not known
        conn = kwargs[named[0]] if isinstance(kwargs[named[0]], str) else None
        unnamed = conn is None
    elif call.args:
        first = ev.eval(call.args[0])
        conn = first if isinstance(first, str) else None
        unnamed = conn is None
    else:  # none given: the hook's own default, as Airflow opens it (a class of the team's own: not known)
        conn = HOOK_DEFAULT_CONNECTIONS.get(name)
        unnamed = conn is None
    dialect = HOOK_CLASSES.get(name)
    database = kwargs.get("database") if isinstance(kwargs.get("database"), str) else None
    schema = kwargs.get("schema") if isinstance(kwargs.get("schema"), str) else None
    database, schema = hook_scope(dialect, database, schema)
    if dialect == "bigquery" and isinstance(kwargs.get("project_id"), str):
        database = kwargs["project_id"]
    return Handle(kind, conn, dialect, database, schema, unnamed=unnamed)


def _driver(call: ast.Call, name: str, ev: Evaluator, handles: dict[str, Handle]) -> Handle:
    dialect = DRIVERS[name]
    record = _connection_record(call, handles)
    url_node = argument(call, 0, ("url",)) if name.endswith("create_engine") else None
    if record is not None and isinstance(url_node, (ast.JoinedStr, ast.BinOp)):
        # `create_engine(f"postgresql://{c.login}:{c.password}@{c.host}:{c.port}/{c.schema}")`
        return record_url(url_node, ev, handles) or Handle(name, record.conn_id, dialect, unnamed=True)
    if record is not None:  # `psycopg2.connect(host=c.host, dbname=c.schema)` of `c = BaseHook.get_connection("pg")`
        named = {k.arg: ev.eval(k.value) for k in call.keywords if k.arg in ("dbname", "database", "db")}
        database = next((v for v in named.values() if isinstance(v, str)), None)  # `dbname="etl"`: that one, on its server
        return Handle(name, record.conn_id, dialect, database)
    if name.endswith("create_engine"):
        inner = handle_of(argument(call, 0, ("url",)), ev, handles)
        if inner is not None:
            return Handle(inner.kind, inner.conn_id, inner.dialect, inner.database, inner.schema, unnamed=inner.unnamed)
        url = _text(ev, argument(call, 0, ("url",))) or ""
        scheme = url.split("://", 1)[0].split("+", 1)[0] if "://" in url else ""
        path = url.split("://", 1)[1].split("?", 1)[0] if "://" in url else ""
        database = path.split("/", 1)[1] if "/" in path and path.split("/", 1)[1] else None
        return Handle(name, None, URL_DIALECTS.get(scheme), database, unnamed=not url)
    kwargs = {k.arg: ev.eval(k.value) for k in call.keywords if k.arg}
    database = next((kwargs[k] for k in ("dbname", "database", "db", "project") if isinstance(kwargs.get(k), str)), None)
    schema = kwargs.get("schema") if isinstance(kwargs.get("schema"), str) else None
    dsn = _text(ev, call.args[0]) if call.args else None
    if database is None and dsn:  # psycopg2.connect("host=h dbname=shop user=u"), pyodbc's "...;DATABASE=shop;..."
        found = re.search(r"(?:^|\s)dbname\s*=\s*'?([\w-]+)", dsn) or re.search(r"(?:^|;)\s*database\s*=\s*\{?([\w-]+)", dsn, re.I)
        database = found.group(1) if found else None
    if dialect is None and dsn:  # an ODBC string names its driver: "DRIVER={ODBC Driver 17 for SQL Server};..."
        driver = re.search(r"(?:^|;)\s*driver\s*=\s*\{?([^;}]*)", dsn, re.I)
        dialect = next((d for word, d in _ODBC_DRIVERS if driver and word in driver.group(1).lower()), None)
    # a DSN or keywords built at run time: which database is not known (not the dialect's one warehouse, a guess)
    unnamed = database is None and not dsn and (bool(call.args) or any(k.arg in ("dsn", "host", "account", "server") or k.arg is None for k in call.keywords))
    return Handle(name, None, dialect, database, schema, unnamed=unnamed)


_SCHEMA_FIELD, _OTHER_FIELD, _UNKNOWN = "\x00schema\x00", "\x00field\x00", "\x00unknown\x00"


def record_url(node: ast.expr, ev: Evaluator, handles: dict[str, Handle]) -> Handle | None:
    """A database URL built as text from one Airflow Connection record's fields (``f"postgresql://{c.login}:
    {c.password}@{c.host}:{c.port}/{c.schema}"``, ``+`` or implicit concatenation): that connection. Its database is the
    URL's path: the record's ``schema`` field (Airflow's database field: the connection's own), a literal (that database
    on the connection's server), anything else not known (``unnamed``). None when the text is not built from exactly one
    record, or is no URL."""
    record = _connection_record(ast.Call(func=ast.Name(id="_", ctx=ast.Load()), args=[node], keywords=[]), handles)
    parts = _url_parts(node, ev, handles, record.conn_id if record else None, 0)
    if record is None or parts is None or "://" not in parts:
        return None
    scheme, rest = parts.split("://", 1)
    path = rest.split("?", 1)[0]
    database = path.split("/", 1)[1] if "/" in path else ""
    dialect = URL_DIALECTS.get(scheme.split("+", 1)[0]) if _UNKNOWN not in scheme else None
    if database in ("", _SCHEMA_FIELD):
        return Handle("create_engine", record.conn_id, dialect)
    if any(marker in database for marker in (_SCHEMA_FIELD, _OTHER_FIELD, _UNKNOWN)):
        return Handle("create_engine", record.conn_id, dialect, unnamed=True)
    return Handle("create_engine", record.conn_id, dialect, database)


def _url_parts(node: ast.expr, ev: Evaluator, handles: dict[str, Handle], conn_id: str | None, depth: int) -> str | None:
    """The text ``node`` builds, a record's ``schema`` field and its other fields as markers, values not known as
    another; None for an expression that builds no text this way."""
    if depth > 20:
        return None
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        out = []
        for value in node.values:
            piece = _url_parts(value, ev, handles, conn_id, depth + 1)
            if piece is None:
                return None
            out.append(piece)
        return "".join(out)
    if isinstance(node, ast.FormattedValue):
        return _url_parts(node.value, ev, handles, conn_id, depth + 1) if isinstance(node.value, (ast.JoinedStr, ast.Constant)) \
            else _url_field(node.value, ev, handles, conn_id)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left = _url_parts(node.left, ev, handles, conn_id, depth + 1)
        right = _url_parts(node.right, ev, handles, conn_id, depth + 1)
        return left + right if left is not None and right is not None else None
    return _url_field(node, ev, handles, conn_id)


def _url_field(node: ast.expr, ev: Evaluator, handles: dict[str, Handle], conn_id: str | None) -> str:
    if isinstance(node, ast.BoolOp) and isinstance(node.op, ast.Or) and node.values:  # `{c.schema or 'postgres'}`
        node = node.values[0]
    held = handles.get(written_name(node)) if isinstance(node, (ast.Name, ast.Attribute)) else None
    if held is not None and held.record and held.field and held.conn_id == conn_id:  # `self.db = conn.schema`
        return _SCHEMA_FIELD if held.field == "schema" else _OTHER_FIELD
    if isinstance(node, ast.Attribute):
        handle = handles.get(written_name(node.value)) if isinstance(node.value, (ast.Name, ast.Attribute)) else None
        if handle is not None and handle.record and not handle.field and handle.conn_id == conn_id:
            return _SCHEMA_FIELD if node.attr == "schema" else _OTHER_FIELD
    value = ev.eval(node)
    return value if isinstance(value, str) and is_known(value) else _UNKNOWN


_ODBC_DRIVERS = (("sql server", "tsql"), ("postgres", "postgres"), ("mysql", "mysql"), ("mariadb", "mysql"),
                 ("snowflake", "snowflake"), ("oracle", "oracle"), ("redshift", "redshift"), ("databricks", "databricks"))


def _connection_record(call: ast.Call, handles: dict[str, Handle]) -> Handle | None:
    """The one Airflow Connection record (``BaseHook.get_connection(id)``) whose fields a driver's arguments are
    built from: the driver reaches that connection's database. None when none is, or more than one."""
    found: dict[str | None, Handle] = {}
    for node in [*call.args, *(k.value for k in call.keywords)]:
        for sub in ast.walk(node):
            name = sub.id if isinstance(sub, ast.Name) else written_name(sub) if isinstance(sub, ast.Attribute) else ""
            handle = handles.get(name) if name else None
            if handle is not None and handle.record and handle.conn_id:
                found[handle.conn_id] = handle
    return next(iter(found.values())) if len(found) == 1 else None


def _text(ev: Evaluator, node: ast.expr | None) -> str | None:
    value = ev.eval(node) if node is not None else None
    return value if isinstance(value, str) else None
