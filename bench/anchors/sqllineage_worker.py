"""sqllineage (sqlfluff-based) as a benchmark anchor."""

import logging
import warnings

from common import run
from sqllineage.runner import LineageRunner

warnings.filterwarnings("ignore")
logging.disable(logging.CRITICAL)
DIALECTS = {"postgres": "postgres", "snowflake": "snowflake", "bigquery": "bigquery", "hive": "hive", "spark": "sparksql",
            "databricks": "databricks", "mysql": "mysql", "tsql": "tsql", "redshift": "redshift", "athena": "athena",
            "duckdb": "duckdb", "oracle": "oracle", "teradata": "teradata", "exasol": "exasol", "db2": "db2",
            "materialize": "materialize", "vertica": "vertica", "trino": "trino"}


def _name(table) -> str:
    return str(table).replace("<default>.", "").lower()


def analyze(sql: str, dialect: str):
    runner = LineageRunner(sql, dialect=DIALECTS.get(dialect, "ansi"), silent_mode=True)
    return [_name(t) for t in runner.source_tables], [_name(t) for t in runner.target_tables]


if __name__ == "__main__":
    run(analyze)
