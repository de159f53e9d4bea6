"""Keeping what search matches and ranks by in step with the catalog: one row's terms and evidence per asset.

Search (``overlay.catalog.search``) matches the asset key and two lower-case texts, and ranks ties by
the evidence, all stored on ``assets`` so that a search is one indexed query whatever the catalog's size:

- ``search_text``: the owner and team names, and the DAG ids, ``dag.task`` ids and DAG tags of the tasks
  that write the asset, one a line;
- ``search_related``: the same of the tasks that read it (a weaker match);
- ``producer_count``, ``consumer_count``: tasks that write / read it (every source's);
- ``last_materialized``: the end of its last successful run; ``query_count``: warehouse queries attributed to it.

A scan computes the columns of the assets it creates from what it stores (``scan_terms``, ``new_asset_docs``), so
they are written, and indexed for search, once; it refreshes the other assets it touched from the database
(``refresh_assets``: other sources' tasks and runs count too); recording runs and ingesting queries refresh
their own column (``refresh_materialized``, ``refresh_query_counts``). What an API answer shows as
evidence is read live (``overlay.catalog.evidence``); these columns only order the matches.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import and_, bindparam, func, select, update

from overlay.catalog.schema import Asset, Dag, Materialization, Query, Task, TaskIO
from overlay.model import ScanResult

CHUNK = 500
DOC_COLUMNS = ("search_text", "search_related", "producer_count", "consumer_count", "last_materialized", "query_count", "search_rank")
# search_rank: the evidence in the order the ties are ranked by, one bit each (a producer outweighs all the rest)
RANK_BITS = (("producer_count", 16), ("owner", 8), ("last_materialized", 4), ("consumer_count", 2), ("query_count", 1))


@dataclass(frozen=True)
class TaskTerms:
    """One task touching an asset, as search sees it."""

    mode: str  # read | write
    task_pk: int
    dag_id: str
    task_id: str
    tags: tuple[str, ...]


def doc_values(owner_names: str | None, tasks: Iterable[TaskTerms], last_materialized: datetime | None,
               queries: int) -> dict[str, Any]:
    """The stored search columns of one asset, from its owner names, the tasks touching it and its history."""
    writers = [t for t in tasks if t.mode == "write"]
    readers = [t for t in tasks if t.mode == "read"]
    owners = [line for line in (owner_names or "").split("\n") if line]
    values = {
        "search_text": _lines(owners + _task_terms(writers)),
        "search_related": _lines(_task_terms(readers)),
        "producer_count": len({t.task_pk for t in writers}),
        "consumer_count": len({t.task_pk for t in readers}),
        "last_materialized": last_materialized,
        "query_count": queries,
    }
    return values | {"search_rank": search_rank(values, bool(owners))}


def search_rank(values: dict[str, Any], owned: bool) -> int:
    """The ``RANK_BITS`` of an asset's evidence: has a producer, an owner, a successful run, consumers, queries."""
    present = {**{k: bool(v) for k, v in values.items()}, "owner": owned}
    return sum(bit for name, bit in RANK_BITS if present.get(name))


def _task_terms(tasks: list[TaskTerms]) -> list[str]:
    return [term for t in tasks for term in (t.dag_id, f"{t.dag_id}.{t.task_id}", *t.tags)]


def _lines(terms: list[str]) -> str:
    """Distinct lower-case terms, one a line, with a line break before the first (so ``\\nterm\\n`` is a whole term)."""
    return "\n" + "".join(f"{term}\n" for term in sorted({str(t).lower() for t in terms if t}))


def scan_terms(result: ScanResult, task_pks: Mapping[tuple[str, str], int]) -> dict[str, list[TaskTerms]]:
    """Asset key -> this scan's tasks that read or write it, as ``refresh_assets`` reads them back once stored
    (``task_pks``: (dag_id, task_id) -> the stored task's id; tags as the JSON column gives them back)."""
    tags = {d.dag_id: tuple(str(t) for t in json.loads(json.dumps(list(d.tags or [])))) for d in result.dags}
    terms: dict[str, list[TaskTerms]] = {}
    for task in result.tasks:
        pk, dag_tags = task_pks[(task.dag_id, task.task_id)], tags.get(task.dag_id, ())
        for mode, keys in (("read", task.reads), ("write", task.writes)):
            for key in dict.fromkeys(keys):
                terms.setdefault(key, []).append(TaskTerms(mode, pk, task.dag_id, task.task_id, dag_tags))
    return terms


def new_asset_docs(conn: Any, rows: list[dict[str, Any]], terms: Mapping[str, list[TaskTerms]]) -> None:
    """Add the search columns to asset rows about to be inserted (each with its ``key`` and ``owner_names``).

    Only this scan's tasks can touch an asset that does not exist yet, and no run can name its new id (runs
    reference an existing asset and go with it: ON DELETE CASCADE); warehouse queries name keys, so they are counted.
    """
    keys = [row["key"] for row in rows]
    queries: dict[str, int] = {}
    for start in range(0, len(keys), CHUNK):
        queries.update(_query_counts(conn, keys[start:start + CHUNK]))
    for row in rows:
        row.update(doc_values(row["owner_names"], terms.get(row["key"], ()), None, queries.get(row["key"], 0)))


def refresh_assets(conn: Any, asset_ids: Iterable[int] | None = None) -> int:
    """Recompute the search columns of these assets (every asset when None); returns how many rows changed."""
    ids = sorted(asset_ids) if asset_ids is not None else list(conn.execute(select(Asset.id).order_by(Asset.id)).scalars())
    changed = 0
    for start in range(0, len(ids), CHUNK):
        changed += _refresh_chunk(conn, ids[start:start + CHUNK])
    return changed


def _refresh_chunk(conn: Any, ids: list[int]) -> int:
    assets = conn.execute(select(Asset.id, Asset.key, Asset.owner_names, *(getattr(Asset, c) for c in DOC_COLUMNS))
                          .where(Asset.id.in_(ids))).all()
    if not assets:
        return 0
    tasks: dict[int, list[TaskTerms]] = {}
    for asset_id, mode, pk, dag_id, task_id, tags in conn.execute(
            select(TaskIO.asset_id, TaskIO.mode, Task.id, Task.dag_id, Task.task_id, Dag.tags).select_from(TaskIO)
            .join(Task, Task.id == TaskIO.task_pk)
            .outerjoin(Dag, and_(Dag.source == Task.source, Dag.dag_id == Task.dag_id))
            .where(TaskIO.asset_id.in_(ids))):
        tasks.setdefault(asset_id, []).append(TaskTerms(mode, pk, dag_id, task_id, tuple(str(t) for t in tags or [])))
    runs = _last_success(conn, ids)
    queries = _query_counts(conn, [a.key for a in assets])
    updates = []
    for a in assets:
        values = doc_values(a.owner_names, tasks.get(a.id, []), runs.get(a.id), queries.get(a.key, 0))
        if any(_differs(getattr(a, c), v) for c, v in values.items()):
            updates.append({"b_id": a.id, **{f"b_{c}": v for c, v in values.items()}})
    _write(conn, updates, DOC_COLUMNS)
    return len(updates)


def refresh_materialized(conn: Any, asset_ids: Iterable[int]) -> None:
    """``last_materialized`` (and the rank) of these assets, after runs were recorded."""
    ids = sorted(set(asset_ids))
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start:start + CHUNK]
        runs = _last_success(conn, chunk)
        _update_some(conn, select(*_RANKED).where(Asset.id.in_(chunk)), "last_materialized", lambda row: runs.get(row.id))


def refresh_query_counts(conn: Any, keys: Iterable[str]) -> None:
    """``query_count`` (and the rank) of the assets with these keys, after queries were ingested."""
    wanted = sorted({k for k in keys if k})
    for start in range(0, len(wanted), CHUNK):
        chunk = wanted[start:start + CHUNK]
        counts = _query_counts(conn, chunk)
        _update_some(conn, select(*_RANKED).where(Asset.key.in_(chunk)), "query_count", lambda row: counts.get(row.key, 0))


_RANKED = (Asset.id, Asset.key, Asset.owner_names, Asset.producer_count, Asset.consumer_count, Asset.last_materialized,
           Asset.query_count, Asset.search_rank)


def _update_some(conn: Any, query: Any, column: str, new: Any) -> None:
    """Rows of ``query`` whose ``column`` differs from ``new(row)`` get it, with their rank."""
    updates = []
    for row in conn.execute(query).all():
        value = new(row)
        if _differs(getattr(row, column), value):
            values = {c: getattr(row, c) for c in ("producer_count", "consumer_count", "last_materialized", "query_count")} | {column: value}
            updates.append({"b_id": row.id, f"b_{column}": value, "b_search_rank": search_rank(values, len(row.owner_names or "") > 1)})
    _write(conn, updates, (column, "search_rank"))


def _last_success(conn: Any, ids: list[int]) -> dict[int, datetime]:
    return dict(conn.execute(select(Materialization.asset_id, func.max(Materialization.end_date))
                             .where(Materialization.asset_id.in_(ids), Materialization.state == "success")
                             .group_by(Materialization.asset_id)).all())


def _query_counts(conn: Any, keys: list[str]) -> dict[str, int]:
    if not keys:
        return {}
    return dict(conn.execute(select(Query.asset_key, func.count()).where(Query.asset_key.in_(keys)).group_by(Query.asset_key)).all())


def _differs(old: Any, new: Any) -> bool:
    if isinstance(old, datetime) and isinstance(new, datetime):  # SQLite gives timestamps back without their offset (UTC)
        return _naive_utc(old) != _naive_utc(new)
    return old != new


def _naive_utc(value: datetime) -> datetime:
    return value.astimezone(timezone.utc).replace(tzinfo=None) if value.tzinfo else value


def _write(conn: Any, rows: list[dict[str, Any]], columns: tuple[str, ...]) -> None:
    if rows:
        conn.execute(update(Asset.__table__).where(Asset.__table__.c.id == bindparam("b_id"))
                     .values({c: bindparam(f"b_{c}") for c in columns}), rows)
