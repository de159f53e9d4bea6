"""DataHub's sqlglot-based parser (acryl-datahub) as a benchmark anchor."""

import logging
import re

from common import run
from datahub.sql_parsing.sqlglot_lineage import create_lineage_sql_parsed_result

logging.disable(logging.CRITICAL)
PLATFORMS = {"postgres": "postgres", "snowflake": "snowflake", "bigquery": "bigquery", "hive": "hive", "spark": "databricks",
             "databricks": "databricks", "mysql": "mysql", "tsql": "mssql", "redshift": "redshift", "athena": "athena",
             "duckdb": "duckdb", "oracle": "oracle", "teradata": "teradata", "trino": "trino", "vertica": "vertica"}
_URN = re.compile(r"urn:li:dataset:\(urn:li:dataPlatform:[^,]+,(.+),[A-Z]+\)")


def _name(urn: str) -> str:
    match = _URN.match(urn)
    return (match.group(1) if match else urn).lower()


def analyze(sql: str, dialect: str):
    result = create_lineage_sql_parsed_result(sql, default_db=None, platform=PLATFORMS.get(dialect, "postgres"),
                                              platform_instance=None, env="PROD", generate_column_lineage=False)
    return [_name(u) for u in result.in_tables], [_name(u) for u in result.out_tables]


if __name__ == "__main__":
    run(analyze)
