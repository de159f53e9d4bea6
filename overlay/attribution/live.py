"""Live query history: PostgreSQL's pg_stat_statements, read through an Airflow connection's URI."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import datetime, timezone

from overlay.attribution.history import COLUMNS, Malformed, QueryRecord, record_from_row

STATEMENTS_SQL = "SELECT queryid, query, calls, total_exec_time FROM pg_stat_statements WHERE queryid IS NOT NULL"


def read_pg_stat_statements(conn_id: str) -> Iterator[QueryRecord | Malformed]:
    """Rows of pg_stat_statements (cumulative per statement) from ``AIRFLOW_CONN_<CONN_ID>``."""
    import psycopg

    uri = os.environ.get(f"AIRFLOW_CONN_{conn_id.upper()}")
    if not uri:
        raise ValueError(f"connection {conn_id!r} not found: set AIRFLOW_CONN_{conn_id.upper()} to its URI")
    uri = uri.replace("postgresql+psycopg://", "postgresql://").replace("postgres://", "postgresql://", 1)
    captured = datetime.now(timezone.utc).isoformat()
    try:
        with psycopg.connect(uri, connect_timeout=10) as conn, conn.cursor(name="overlay_statements") as cursor:
            cursor.execute(STATEMENTS_SQL)
            for number, (queryid, query, calls, total) in enumerate(cursor, start=1):
                row = {"queryid": queryid, "query": query, "calls": calls, "total_exec_time": total, "captured_at": captured}
                try:
                    yield record_from_row(row, "postgres", COLUMNS["postgres"])
                except (KeyError, ValueError, TypeError) as e:
                    yield Malformed(number, f"{type(e).__name__}: {e}")
    except psycopg.errors.UndefinedTable as e:
        raise ValueError("pg_stat_statements is not installed in that database (CREATE EXTENSION pg_stat_statements; "
                         "it also needs shared_preload_libraries)") from e
