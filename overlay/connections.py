"""conn_id -> dialect, default database/schema and namespace.

Looked up in order: ``overlay.yaml``; Airflow's connections (``AIRFLOW_CONN_*`` environment
variables as URI or JSON, then Airflow's metadata database when one is configured and
reachable); else the operator's own database kind. Two conn_ids that point at the same
warehouse (same scheme, host, port and database) share a namespace, so their tables are one asset.
"""

from __future__ import annotations

import json
import logging
import os
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from overlay.config import ConnectionSpec, Settings

log = logging.getLogger(__name__)

# Airflow conn_type -> sqlglot dialect
CONN_TYPE_DIALECTS: dict[str, str] = {
    "postgres": "postgres", "postgresql": "postgres", "redshift": "redshift", "snowflake": "snowflake",
    "google_cloud_platform": "bigquery", "gcpbigquery": "bigquery", "bigquery": "bigquery", "mysql": "mysql",
    "mssql": "tsql", "odbc": "tsql", "trino": "trino", "presto": "presto", "databricks": "databricks",
    "oracle": "oracle", "sqlite": "sqlite", "hive_cli": "hive", "hiveserver2": "hive", "spark_sql": "spark",
    "athena": "athena", "duckdb": "duckdb", "clickhouse": "clickhouse", "teradata": "teradata",
    "exasol": "exasol", "vertica": "vertica", "impala": "hive",
}
# words in an operator's class name or a conn_id that name a dialect, most specific first
NAME_HINTS: tuple[tuple[str, str], ...] = (
    ("redshift", "redshift"), ("postgres", "postgres"), ("pgvector", "postgres"), ("snowflake", "snowflake"),
    ("bigquery", "bigquery"), ("mysql", "mysql"), ("mariadb", "mysql"), ("mssql", "tsql"), ("sqlserver", "tsql"),
    ("trino", "trino"), ("presto", "presto"), ("databricks", "databricks"), ("oracle", "oracle"), ("sqlite", "sqlite"),
    ("athena", "athena"), ("duckdb", "duckdb"), ("clickhouse", "clickhouse"), ("vertica", "postgres"),
    ("teradata", "teradata"), ("exasol", "exasol"), ("hive", "hive"), ("sparksql", "spark"), ("spark_sql", "spark"),
)
# dialects tried, in order, when nothing says which one a text is written in and the generic parser fails
FALLBACK_DIALECTS: tuple[str, ...] = ("postgres", "snowflake", "bigquery", "mysql", "tsql")


def dialect_hint(name: str | None) -> str | None:
    """The dialect an operator class name or a conn_id names (``PostgresOperator``, ``snowflake_default``), if any."""
    name = name or ""
    text, camel = name.lower(), not name.isupper()
    for word, dialect in NAME_HINTS:
        for match in re.finditer(word, text):
            i = match.start()  # at a word start: `archive_db` does not name hive, `GCSToBigQuery` names bigquery
            if i == 0 or not text[i - 1].isalpha() or (camel and name[i].isupper()):
                return dialect
    return None


# dialects whose Airflow Connection keeps the database in its `schema` field (Postgres-like hooks) or the schema
_SCHEMA_FIELD_IS_DATABASE = frozenset({"postgres", "redshift", "mysql", "tsql"})
_SCHEMA_FIELD_IS_SCHEMA = frozenset({"snowflake"})


def template_fields(connections: dict[str, ConnectionSpec]) -> dict[str, dict[str, Any]]:
    """What ``{{ conn.<id>.<field> }}`` renders to in a template, for connections overlay.yaml describes: ``conn_id``
    and, where the user gave it, Airflow's ``schema`` field (the database for Postgres-like connections, the schema
    for Snowflake). Anything else stays a stand-in: a host or login is never guessed."""
    fields: dict[str, dict[str, Any]] = {}
    for conn_id, spec in connections.items():
        known: dict[str, Any] = {"conn_id": conn_id}
        if spec.dialect in _SCHEMA_FIELD_IS_DATABASE and spec.database:
            known["schema"] = spec.database
        elif spec.dialect in _SCHEMA_FIELD_IS_SCHEMA and spec.schema:
            known["schema"] = spec.schema
        fields[conn_id] = known
    return fields


# the schema a dialect uses when a connection names none
DEFAULT_SCHEMAS: dict[str, str] = {"postgres": "public", "redshift": "public", "snowflake": "public", "tsql": "dbo"}


@dataclass
class ConnectionResolver:
    settings: Settings = field(default_factory=Settings)
    environ: dict[str, str] | None = None
    airflow_db_url: str | None = None
    _cache: dict[str, ConnectionSpec | None] = field(default_factory=dict)
    _airflow_rows: dict[str, ConnectionSpec] | None = None

    def resolve(self, conn_id: str | None, implied_dialect: str | None = None, database: str | None = None) -> ConnectionSpec:
        known = self.lookup(conn_id) if conn_id else None
        if known is not None:
            dialect = known.dialect or implied_dialect
            schema = known.schema or (DEFAULT_SCHEMAS.get(dialect or "") if known.database else None)
            return ConnectionSpec(known.conn_id, dialect, known.database, schema, known.namespace, known.source)
        if conn_id is None and implied_dialect:
            shared = self._only_warehouse_of(implied_dialect, database)
            if shared is not None:
                return self.resolve(shared.conn_id, implied_dialect)
        namespace = None if implied_dialect == "bigquery" else conn_id or implied_dialect or "default"
        return ConnectionSpec(conn_id or "", implied_dialect, None, None, namespace, "operator")

    def _only_warehouse_of(self, dialect: str, database: str | None) -> ConnectionSpec | None:
        """SQL run without a conn_id (psql, dbt) on the one configured warehouse of its kind."""
        matches = [c for c in self.settings.connections.values() if c.dialect == dialect
                   and (database is None or (c.database or "").lower() == database.lower())]
        namespaces = {c.namespace or c.conn_id for c in matches}
        return matches[0] if len(namespaces) == 1 else None

    def lookup(self, conn_id: str) -> ConnectionSpec | None:
        if conn_id in self._cache:
            return self._cache[conn_id]
        spec = self.settings.connections.get(conn_id) or self._from_env(conn_id) or self._from_airflow_db(conn_id)
        if spec is not None and not spec.namespace and spec.dialect != "bigquery":
            spec = ConnectionSpec(spec.conn_id, spec.dialect, spec.database, spec.schema, conn_id, spec.source)
        self._cache[conn_id] = spec
        return spec

    def _from_env(self, conn_id: str) -> ConnectionSpec | None:
        env = os.environ if self.environ is None else self.environ
        value = env.get(f"AIRFLOW_CONN_{conn_id.upper()}")
        if not value:
            return None
        try:
            return parse_airflow_connection(conn_id, value, source="env")
        except ValueError as e:
            log.warning("AIRFLOW_CONN_%s is not a valid connection: %s", conn_id.upper(), e)
            return None

    def _from_airflow_db(self, conn_id: str) -> ConnectionSpec | None:
        if self._airflow_rows is None:
            self._airflow_rows = load_airflow_db_connections(self.airflow_db_url)
        return self._airflow_rows.get(conn_id)


def parse_airflow_connection(conn_id: str, value: str, source: str = "env") -> ConnectionSpec:
    """An Airflow connection given as a URI (``postgres://u:p@host:5432/db``) or as JSON."""
    value = value.strip()
    if value.startswith("{"):
        data = json.loads(value)
        return connection_from_fields(conn_id, data.get("conn_type"), data.get("host"), data.get("port"),
                                      data.get("schema"), data.get("extra"), source)
    parts = urlsplit(value)
    if not parts.scheme:
        raise ValueError("expected a URI like postgres://user:password@host:5432/database or a JSON object")
    extra = dict(parse_qsl(parts.query))
    extra_json = extra.pop("__extra__", None)
    if extra_json:
        extra.update(json.loads(extra_json))
    path = unquote(parts.path.lstrip("/"))
    return connection_from_fields(conn_id, parts.scheme.replace("-", "_"), parts.hostname, parts.port, path or None, extra, source)


def connection_from_fields(
    conn_id: str, conn_type: str | None, host: str | None, port: Any, schema: str | None, extra: Any, source: str
) -> ConnectionSpec:
    extras = _extras(extra)
    dialect = CONN_TYPE_DIALECTS.get((conn_type or "").lower())
    database, default_schema = _defaults(dialect, schema, extras)
    account = extras.get("account")
    where = account or host or extras.get("project") or extras.get("project_id") or ""
    if dialect == "bigquery":  # one namespace for all of BigQuery: see asset_namespace
        return ConnectionSpec(conn_id, dialect, database, default_schema, None, source)
    namespace = f"{conn_type or 'db'}://{where}{':' + str(port) if port and not account else ''}"
    namespace = namespace.lower()
    if database:
        namespace += f"/{database.lower()}"
    return ConnectionSpec(conn_id, dialect, database, default_schema, namespace, source)


BIGQUERY_NAMESPACE = "bigquery"


def asset_namespace(spec: ConnectionSpec, name: str) -> str:
    """The namespace of table ``name`` read or written through ``spec``: the one the connection declares; for
    BigQuery, whose ``project.dataset.table`` names are the same through every connection, ``bigquery`` for a
    fully qualified name (OpenLineage's convention: one table, one asset, whichever operator or ``bq`` pod ran it);
    else the conn_id (a name only that connection's defaults complete)."""
    if spec.namespace:
        return spec.namespace
    if spec.dialect == "bigquery" and name.count(".") >= 2:
        return BIGQUERY_NAMESPACE
    return spec.conn_id or spec.dialect or "default"


def _defaults(dialect: str | None, schema: str | None, extras: dict[str, Any]) -> tuple[str | None, str | None]:
    """(default database, default schema) in the terms of the lineage engine's name qualification."""
    if dialect == "bigquery":
        project = extras.get("project") or extras.get("project_id") or extras.get("extra__google_cloud_platform__project")
        return project, extras.get("dataset")
    if dialect == "snowflake":
        return (extras.get("database") or extras.get("extra__snowflake__database") or schema,
                extras.get("schema") or extras.get("extra__snowflake__schema") or "public")
    if dialect in ("mysql", "hive", "spark", "databricks"):
        return None, schema or extras.get("schema")  # two-level names: the "database" is the schema
    if dialect == "trino":
        return extras.get("catalog"), schema
    return schema, DEFAULT_SCHEMAS.get(dialect or "")


def _extras(extra: Any) -> dict[str, Any]:
    if isinstance(extra, dict):
        return extra
    if isinstance(extra, str) and extra.strip():
        try:
            data = json.loads(extra)
            return data if isinstance(data, dict) else {}
        except ValueError:
            return {}
    return {}


def _airflow_configured_db() -> str | None:
    """Airflow's metadata DB from its own configuration, when overlay runs inside an Airflow installation."""
    from overlay.airflow_config import airflow_setting

    return airflow_setting("database", "sql_alchemy_conn")


def load_airflow_db_connections(url: str | None = None) -> dict[str, ConnectionSpec]:
    """Connections from Airflow's metadata database, when one is configured and reachable.

    Only non-secret columns are read; an unreachable database yields no connections.
    """
    url = url or _airflow_configured_db()
    if not url or (url.startswith("sqlite:///") and not os.path.isfile(url[len("sqlite:///"):])):
        return {}  # no Airflow database here (and never create an empty one by connecting)
    try:
        from sqlalchemy import create_engine, text

        engine = create_engine(url, connect_args={"connect_timeout": 3} if url.startswith("postgres") else {})
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT conn_id, conn_type, host, port, schema, extra FROM connection")).fetchall()
        engine.dispose()
    except Exception as e:  # Airflow's DB is optional: no DB, no connections from it
        log.info("Airflow metadata database not readable (%s): connections come from overlay.yaml and env only", e)
        return {}
    return {
        row.conn_id: connection_from_fields(row.conn_id, row.conn_type, row.host, row.port, row.schema, row.extra, "airflow-db")
        for row in rows
    }
