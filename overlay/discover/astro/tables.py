"""Astro SDK tables as plain records, and the name each one has in its database, as the SDK gives it.

``Table(name=, conn_id=, metadata=Metadata(schema=, database=), temp=)`` is a record (``table``) the interpreter
carries like any dict. A table without a name is temporary: Astro names it ``_tmp_<random>`` at run time, so no
catalog can name it (``temp``). Before a task runs, Astro fills in a table's empty metadata from the database
(``populate_table_metadata``): PostgreSQL, Redshift, SQL Server and BigQuery put it in Astro's own schema
(``[astro_sdk] sql_schema``, ``tmp_astro`` unless the deployment sets it, per database too); Snowflake and MySQL in
the connection's schema (Astro's when the connection names none); SQLite and DuckDB have no schema. ``qualified``
gives that name, or why it cannot be known (the connection's database kind is not known).
"""

from __future__ import annotations

from typing import Any

from overlay.discover.evaluate import is_known

KIND = "astro"
DEFAULT_SCHEMA = "tmp_astro"  # astro.constants.DEFAULT_SCHEMA
# Airflow settings ([astro_sdk] section) naming Astro's schema, as environment variables; per database kind
_SCHEMA_SETTINGS = {"": "SQL_SCHEMA", "postgres": "POSTGRES_DEFAULT_SCHEMA", "bigquery": "BIGQUERY_DEFAULT_SCHEMA",
                    "snowflake": "SNOWFLAKE_DEFAULT_SCHEMA", "redshift": "REDSHIFT_DEFAULT_SCHEMA",
                    "tsql": "MSSQL_DEFAULT_SCHEMA", "mysql": "MYSQL_DEFAULT_SCHEMA"}
ASTRO_SCHEMA = frozenset({"postgres", "redshift", "tsql", "bigquery"})  # empty metadata -> Astro's schema
CONNECTION_SCHEMA = {"snowflake": "schema", "mysql": "database"}  # -> the connection's, else Astro's
NO_SCHEMA = frozenset({"sqlite", "duckdb"})


def record(kind: str, **values: Any) -> dict[str, Any]:
    return {KIND: kind, **values}


def is_record(value: Any, kind: str) -> bool:
    return isinstance(value, dict) and value.get(KIND) == kind


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def metadata(values: dict[str, Any]) -> dict[str, Any]:
    """``Metadata(schema=, database=)``; a part not known statically is listed under ``unknown``."""
    unknown = [k for k in ("schema", "database") if k in values and not is_known(values[k])]
    return record("metadata", schema=_text(values.get("schema")), database=_text(values.get("database")), unknown=unknown)


def table(values: dict[str, Any]) -> dict[str, Any]:
    """``Table(...)`` (or ``TempTable``): its name, connection and metadata; ``unknown`` lists what static mode cannot
    know (a name built from a Variable), so no table is named from it."""
    meta = values.get("metadata")
    unknown = [k for k in ("name", "conn_id") if k in values and not is_known(values[k])]
    if "metadata" in values and not is_record(meta, "metadata"):
        unknown.append("metadata")
    meta = meta if is_record(meta, "metadata") else {}
    unknown += [f"metadata.{k}" for k in meta.get("unknown", [])]
    name = _text(values.get("name"))
    temp = values.get("temp") is True or (not name and "name" not in unknown) or bool(name and name.startswith("_tmp"))
    return record("table", name=None if temp else name, conn_id=_text(values.get("conn_id")),
                  schema=meta.get("schema"), database=meta.get("database"), temp=temp, from_task=None, unknown=unknown)


def file(values: dict[str, Any]) -> dict[str, Any]:
    return record("file", path=_text(values.get("path")), conn_id=_text(values.get("conn_id")))


def default_schemas(environment: dict[str, str]) -> dict[str, str]:
    """Astro's schema by database kind ("" for all), from the deployment's ``AIRFLOW__ASTRO_SDK__*`` settings."""
    base = environment.get("AIRFLOW__ASTRO_SDK__SQL_SCHEMA") or DEFAULT_SCHEMA
    found = {"": base}
    for dialect, key in _SCHEMA_SETTINGS.items():
        if dialect:
            found[dialect] = environment.get(f"AIRFLOW__ASTRO_SDK__{key}") or base
    return found


def qualified(tbl: dict[str, Any], dialect: str | None, connection: dict[str, Any] | None,
              schemas: dict[str, str]) -> tuple[str | None, str | None]:
    """The table's name as the task uses it (``schema.name``, ``database.schema.name`` where the metadata names a
    database), or ``(None, why)``."""
    if tbl.get("unknown"):
        return None, f"its {', '.join(tbl['unknown'])} is not known statically"
    if tbl.get("temp") or not tbl.get("name"):
        return None, "it is a temporary table Astro names at run time"
    name, schema, database = tbl["name"], tbl.get("schema"), tbl.get("database")
    if not schema and dialect not in NO_SCHEMA:
        if dialect in ASTRO_SCHEMA or (database and dialect is not None):
            schema = schemas.get(dialect or "", schemas.get("", DEFAULT_SCHEMA))
        elif dialect in CONNECTION_SCHEMA and not database:
            if not (connection or {}).get(CONNECTION_SCHEMA[dialect]):
                schema = schemas.get(dialect, schemas.get("", DEFAULT_SCHEMA))
        else:
            return None, "its schema is the one Astro gives tables of this database kind, which is not known"
    parts = [p for p in (database if schema else None, schema, name) if p]
    return ".".join(parts), None
