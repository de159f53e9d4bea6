"""openlineage-sql (Rust, sqlparser-rs) as a benchmark anchor."""

import openlineage_sql
from common import run

DIALECTS = {"postgres": "postgres", "snowflake": "snowflake", "bigquery": "bigquery", "hive": "hive", "spark": "hive",
            "databricks": "databricks", "mysql": "mysql", "tsql": "mssql", "redshift": "redshift", "athena": "hive",
            "duckdb": "duckdb", "sqlite": "sqlite", "trino": "trino"}


def _name(table) -> str:
    return ".".join(p for p in (table.database, table.schema, table.name) if p).lower()


def analyze(sql: str, dialect: str):
    meta = openlineage_sql.parse([sql], dialect=DIALECTS.get(dialect, "generic"))
    if meta is None:
        return [], []
    return [_name(t) for t in meta.in_tables], [_name(t) for t in meta.out_tables]


if __name__ == "__main__":
    run(analyze)
