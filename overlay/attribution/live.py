"""Live query history: PostgreSQL's pg_stat_statements, read through an Airflow connection's URI."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import datetime, timezone

from overlay.attribution.history import COLUMNS, Malformed, QueryRecord, record_from_row

COLUMNS_READ = ("queryid", "dbid", "userid", "query", "calls", "total_exec_time")
STATEMENTS_SQL = "SELECT {columns} FROM pg_stat_statements WHERE queryid IS NOT NULL"


def read_pg_stat_statements(conn_id: str) -> Iterator[QueryRecord | Malformed]:
    """Rows of pg_stat_statements (cumulative per statement) from ``AIRFLOW_CONN_<CONN_ID>``."""
    import psycopg

    uri = os.environ.get(f"AIRFLOW_CONN_{conn_id.upper()}")
    if not uri:
        raise ValueError(f"connection {conn_id!r} not found: set AIRFLOW_CONN_{conn_id.upper()} to its URI")
    uri = uri.replace("postgresql+psycopg://", "postgresql://").replace("postgres://", "postgresql://", 1)
    captured = datetime.now(timezone.utc).isoformat()
    try:
        with psycopg.connect(uri, connect_timeout=10) as conn:
            # PostgreSQL 17 says since when each statement's totals run: a reset is then seen even if counts grew back
            columns = (*COLUMNS_READ, "stats_since") if conn.info.server_version >= 170000 else COLUMNS_READ
            with conn.cursor(name="overlay_statements") as cursor:
                cursor.execute(STATEMENTS_SQL.format(columns=", ".join(columns)))
                for number, values in enumerate(cursor, start=1):
                    row = {**dict(zip(columns, values)), "captured_at": captured}
                    try:
                        yield record_from_row(row, "postgres", COLUMNS["postgres"])
                    except Exception as e:  # noqa: BLE001 - one row never stops the rest
                        yield Malformed(number, f"{type(e).__name__}: {str(e)[:200]}")
    except psycopg.errors.UndefinedTable as e:
        raise ValueError("pg_stat_statements is not installed in that database (CREATE EXTENSION pg_stat_statements; "
                         "it also needs shared_preload_libraries)") from e
