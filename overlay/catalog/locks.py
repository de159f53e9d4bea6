"""Advisory locks that let many writers share one PostgreSQL catalog.

A scan holds its source's lock for its whole transaction (two scans of one source are serialized:
the later one waits, then stores over the earlier one), and the catalog-wide asset lock only for
the short step that merges the shared asset rows. SQLite allows one writer at a time anyway, so
the locks are no-ops there.
"""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy import text

ASSETS = "overlay:assets"


def lock_key(name: str) -> int:
    """A stable signed 64-bit key for ``pg_advisory_xact_lock``."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


def source_lock(source: str) -> str:
    return f"overlay:source:{source}"


def xact_lock(conn: Any, name: str) -> None:
    """Wait for and hold ``name`` until the transaction ends (PostgreSQL only)."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": lock_key(name)})


def try_session_lock(conn: Any, name: str) -> bool:
    """Take ``name`` for this connection's session if nobody holds it (PostgreSQL; True elsewhere)."""
    if conn.dialect.name != "postgresql":
        return True
    return bool(conn.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": lock_key(name)}).scalar())


def release_session_lock(conn: Any, name: str) -> None:
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": lock_key(name)})
