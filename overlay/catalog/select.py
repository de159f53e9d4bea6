"""The selection grammar over the catalog: the graph with owners, DAG tags and sources from the stored scan.

Loading that context reads the whole catalog (seconds on 50,000 assets), so ``cached_selection_context``
keeps one per catalog and reloads it only when ``version`` changes: one query over the tables the context
is built from (a scan, a removed or renamed source, new assets or edges all change it). A scoped catalog (a
user who may read only some DAGs) is never cached: it is built from its own scoped calls each time.
"""

from __future__ import annotations

import threading
import weakref
from typing import Any

from sqlalchemy import func, select

from overlay.catalog.queries import _owner_names
from overlay.catalog.schema import Asset, AssetEdge, Dag, Scan, Source
from overlay.catalog.store import Catalog
from overlay.selection import SelectionContext

_cache: weakref.WeakKeyDictionary[Catalog, tuple[tuple[Any, ...], SelectionContext]] = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def selection_context(catalog: Any) -> SelectionContext:
    graph = catalog.load_graph()
    owners = _owner_names_by_key(catalog) if type(catalog) is Catalog else \
        {a["key"]: a["owners"] for a in catalog.owners()["assets"] if a["owners"]}
    dags = catalog.dags()
    if isinstance(dags, dict):  # a paged answer
        dags = dags.get("items", [])
    return SelectionContext(graph, owners, {d["dag_id"]: list(d.get("tags") or []) for d in dags},
                            {d["dag_id"]: d["source"] for d in dags if d.get("source")})


def _owner_names_by_key(catalog: Catalog) -> dict[str, list[str]]:
    """What ``catalog.owners()`` names per asset, without its contacts, producers and conflicts (half its time at 50k assets)."""
    with catalog.engine.connect() as conn:
        rows = conn.execute(select(Asset.key, Asset.owners)).all()
    return {key: names for key, claims in rows if (names := _owner_names(claims))}


def version(catalog: Catalog) -> tuple[Any, ...]:
    """Counts and highest ids of scans, sources, DAGs, assets and edges, and the last scan's end: changes whenever they do."""
    parts = [sub for table in (Scan, Source, Dag, Asset, AssetEdge)
             for sub in (select(func.count()).select_from(table).scalar_subquery(), select(func.max(table.id)).scalar_subquery())]
    parts.append(select(func.max(Scan.finished_at)).scalar_subquery())
    with catalog.engine.connect() as conn:
        return tuple(conn.execute(select(*parts)).one())


def cached_selection_context(catalog: Any) -> SelectionContext:
    """``selection_context(catalog)``, loaded once per catalog version (a scoped or other non-Catalog is never cached).

    The context is shared between requests: selection and ``view`` only read it (its indexes are built once)."""
    if type(catalog) is not Catalog:
        return selection_context(catalog)
    with _lock:  # one load at a time: concurrent first requests wait for it instead of each loading
        token = version(catalog)
        cached = _cache.get(catalog)
        if cached is not None and cached[0] == token:
            return cached[1]
        ctx = selection_context(catalog)
        _cache[catalog] = (token, ctx)
        return ctx
