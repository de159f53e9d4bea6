"""Diff-and-apply writes: rows keyed by a natural key keep their ids across rescans.

``scope`` restricts a sync to one slice of a table (one source's DAGs): rows outside it are never read,
changed or deleted, and the scope's values are written into every row of it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Connection, Table, and_, bindparam, delete, insert, select, text, tuple_, update

CHUNK = 500
UNNEST_CHUNK = 10_000


def sync_rows(
    conn: Connection,
    table: Table,
    key_columns: Sequence[str],
    rows: list[dict[str, Any]],
    keep: set[tuple[Any, ...]] | None = None,
    compare: Sequence[str] | None = None,
    scope: dict[str, Any] | None = None,
) -> dict[tuple[Any, ...], int]:
    """Make ``table`` (or its ``scope``) hold exactly ``rows`` (plus rows whose key is in ``keep``); return key -> id.

    ``compare`` names the columns that decide whether a row changed (default: all it sets); only
    those are read back, so large payload columns need not be loaded to find that nothing changed.
    """
    scope = scope or {}
    where = and_(*(table.c[c] == v for c, v in scope.items())) if scope else None
    rows = [{**row, **scope} for row in rows] if scope else rows
    compared = list(compare) if compare is not None else ([c for c in rows[0] if c not in scope] if rows else [])
    columns = dict.fromkeys(["id", *key_columns, *compared])
    existing = {tuple(r[c] for c in key_columns): dict(r)
                for r in conn.execute(_where(select(*[table.c[c] for c in columns]), where)).mappings()}
    inserts, updates = [], []
    for row in rows:
        key = tuple(row[c] for c in key_columns)
        old = existing.pop(key, None)
        if old is None:
            inserts.append(row)
        elif any(old.get(c) != row.get(c) for c in compared):
            updates.append({"b_id": old["id"], **{f"b_{c}": v for c, v in row.items()}})
    if inserts:
        conn.execute(insert(table), inserts)
    if updates:
        columns = [c for c in rows[0] if c != "id"]
        statement = update(table).where(table.c.id == bindparam("b_id")).values({c: bindparam(f"b_{c}") for c in columns})
        conn.execute(statement, updates)
    stale = [old["id"] for key, old in existing.items() if not keep or key not in keep]
    delete_ids(conn, table, stale)
    return {tuple(r[c] for c in key_columns): r["id"]
            for r in conn.execute(_where(select(table.c.id, *[table.c[c] for c in key_columns]), where)).mappings()}


def sync_links(conn: Connection, table: Table, columns: Sequence[str], wanted: Iterable[tuple[Any, ...]],
               scope: ColumnElement[bool] | None = None) -> None:
    """Make a link table (no payload beyond its key columns), or the part of it ``scope`` selects, hold exactly ``wanted``."""
    wanted_set = set(wanted)
    rows = conn.execute(_where(select(table.c.id, *[table.c[c] for c in columns]), scope)).all()
    existing = {tuple(r[1:]): r[0] for r in rows}
    missing = list(wanted_set - existing.keys())
    if missing and conn.dialect.name == "postgresql":
        insert_unnest(conn, table, columns, missing)
    elif missing:
        conn.execute(insert(table), [dict(zip(columns, key)) for key in missing])
    delete_ids(conn, table, [i for key, i in existing.items() if key not in wanted_set])


def insert_unnest(conn: Connection, table: Table, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
    """PostgreSQL: insert many short rows as one statement per 10,000, the columns passed as arrays and unnested.
    A scan's 44,000 task_io and asset_edges rows: 0.4-0.7 s less CPU than executemany, a little less wall time."""
    types = [table.c[c].type.compile(dialect=conn.dialect) for c in columns]
    statement = text(f"INSERT INTO {table.name} ({', '.join(columns)}) SELECT * FROM unnest("
                     + ", ".join(f"CAST(:c{i} AS {t}[])" for i, t in enumerate(types)) + ")")
    for start in range(0, len(rows), UNNEST_CHUNK):
        chunk = rows[start:start + UNNEST_CHUNK]
        conn.execute(statement, {f"c{i}": list(values) for i, values in enumerate(zip(*chunk))})


def insert_returning_ids(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> dict[str, int]:
    """Insert ``rows`` (each with a unique ``key``); key -> new id, without reading back the rows' other columns.

    SQLite: INSERT ... RETURNING, which SQLAlchemy sends as one multi-row statement per batch (measured 0.6 s less
    CPU than executemany for 10,000 assets). PostgreSQL: executemany, then the ids: psycopg parses each multi-row
    statement anew (not cached over 4,096 characters), which costs more than the second query.
    """
    if not rows:
        return {}
    if conn.dialect.name == "sqlite":
        return dict(conn.execute(insert(table).returning(table.c.key, table.c.id), rows).all())
    conn.execute(insert(table), rows)
    keys = [row["key"] for row in rows]
    ids: dict[str, int] = {}
    for start in range(0, len(keys), CHUNK):
        ids.update(conn.execute(select(table.c.key, table.c.id).where(table.c.key.in_(keys[start:start + CHUNK]))).all())
    return ids


def delete_ids(conn: Connection, table: Table, ids: list[int]) -> None:
    for start in range(0, len(ids), CHUNK):
        conn.execute(delete(table).where(table.c.id.in_(ids[start : start + CHUNK])))


def keys_present(conn: Connection, table: Table, columns: Sequence[str]) -> set[tuple[Any, ...]]:
    return {tuple(r) for r in conn.execute(select(*[table.c[c] for c in columns]).distinct()).all()}


def _where(query: Any, condition: ColumnElement[bool] | None) -> Any:
    return query if condition is None else query.where(condition)


__all__ = ["sync_rows", "sync_links", "insert_returning_ids", "delete_ids", "keys_present", "tuple_"]
