"""Assets are shared by every source: the same table (namespace + name) is one row, whoever scans it.

A scan merges its assets into the shared rows: it adds the missing ones, keeps one ownership entry per
source (``owners_by_source``) and derives ``owners`` and ``owner_conflict`` from all of them, and
removes only assets that nothing references any more (no task of any source, no run history).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import bindparam, delete, exists, select, update

from overlay.catalog.engine import owner_names_text
from overlay.catalog.schema import Asset, Materialization, TaskIO
from overlay.catalog.sync import insert_returning_ids
from overlay.model import ScanResult

CHUNK = 500


def merge_assets(conn: Any, source: str, result: ScanResult, ownership: dict[str, dict[str, Any]],
                 previous_ids: set[int], docs: Callable[[list[dict[str, Any]]], None] | None = None,
                 ) -> tuple[dict[str, int], set[int]]:
    """Insert or update this scan's assets and drop this source's claims on the ones it no longer uses.

    ``docs`` fills in the search columns of the rows about to be inserted (``search_docs.new_asset_docs``), so that
    a new asset is written, and indexed for search, once. Returns key -> id, and the ids of the inserted assets.
    """
    wanted = {a.key: a for a in result.assets}
    columns = _asset_columns(result)
    existing = {row.key: row for row in _rows(conn, Asset.key, sorted(wanted))}
    inserts, updates = [], []
    for key in sorted(wanted):
        asset, old = wanted[key], existing.get(key)
        by_source = _with_claim(old.owners_by_source if old else {}, source, ownership.get(key))
        values = {"owners_by_source": by_source, **merged_ownership(by_source),
                  "columns": columns.get(key) or (old.columns if old else [])}
        if old is None:
            inserts.append({"key": key, "namespace": asset.namespace, "name": asset.name,
                            "short_name": asset.name.rsplit(".", 1)[-1], **values})
        elif any(getattr(old, c) != v for c, v in values.items()):
            updates.append({"b_id": old.id, **{f"b_{c}": v for c, v in values.items()}})
    known = {row.id for row in existing.values()}
    for old in _rows(conn, Asset.id, sorted(previous_ids - known)):  # assets this source no longer references
        by_source = _with_claim(old.owners_by_source, source, None)
        if by_source != (old.owners_by_source or {}):
            updates.append({"b_id": old.id, "b_owners_by_source": by_source, **{f"b_{c}": v for c, v in merged_ownership(by_source).items()},
                            "b_columns": old.columns})
    inserted: dict[str, int] = {}
    if inserts:
        if docs is not None:
            docs(inserts)
        inserted = insert_returning_ids(conn, Asset.__table__, inserts)
    if updates:
        names = ("owners_by_source", "owners", "owner_conflict", "owner_names", "columns")
        conn.execute(update(Asset.__table__).where(Asset.__table__.c.id == bindparam("b_id"))
                     .values({c: bindparam(f"b_{c}") for c in names}), updates)
    return {**{k: r.id for k, r in existing.items()}, **inserted}, set(inserted.values())


def delete_orphans(conn: Any, candidates: set[int]) -> int:
    """Delete the candidates no task of any source reads or writes and no run materialized."""
    ids = sorted(candidates)
    deleted = 0
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start:start + CHUNK]
        deleted += conn.execute(delete(Asset.__table__).where(
            Asset.__table__.c.id.in_(chunk),
            ~exists(select(1).where(TaskIO.asset_id == Asset.__table__.c.id)),
            ~exists(select(1).where(Materialization.asset_id == Asset.__table__.c.id)))).rowcount or 0
    return deleted


def merged_ownership(by_source: dict[str, Any]) -> dict[str, Any]:
    """Every source's claims, and a conflict when one source has one or two sources name different owners."""
    claims, owner_sets = [], set()
    for name in sorted(by_source):
        entry = by_source[name]
        claims.extend(entry.get("owners", []))
        names = frozenset(c["owner"] for c in entry.get("owners", []))
        if names:
            owner_sets.add(names)
    conflict = any(e.get("conflict") for e in by_source.values()) or len(owner_sets) > 1
    return {"owners": claims, "owner_conflict": conflict, "owner_names": owner_names_text(claims)}


def _with_claim(by_source: dict[str, Any] | None, source: str, claim: dict[str, Any] | None) -> dict[str, Any]:
    merged = dict(by_source or {})
    if claim and (claim.get("owners") or claim.get("conflict")):
        merged[source] = {"owners": [{**c, "source_name": source} for c in claim.get("owners", [])],
                          "conflict": bool(claim.get("conflict"))}
    else:
        merged.pop(source, None)
    return merged


def _rows(conn: Any, column: Any, values: list[Any]) -> list[Any]:
    rows = []
    fields = (Asset.id, Asset.key, Asset.owners_by_source, Asset.owners, Asset.owner_conflict, Asset.owner_names, Asset.columns)
    for start in range(0, len(values), CHUNK):
        rows.extend(conn.execute(select(*fields).where(column.in_(values[start:start + CHUNK]))).all())
    return rows


def _asset_columns(result: ScanResult) -> dict[str, list[str]]:
    columns: dict[str, list[str]] = {}
    for task in result.tasks:
        for key, cols in task.columns.items():
            if cols:
                columns[key] = list(cols)
    return columns
