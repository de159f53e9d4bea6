"""Reading the catalog: assets, DAGs, tasks, owners and the graph, as plain dicts."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, Engine, String, and_, cast, exists, false, func, or_, select

from overlay.catalog.pages import dags_page, graph_page
from overlay.catalog.schema import Asset, AssetEdge, Dag, Materialization, Scan, ScanError, Task, TaskIO

if TYPE_CHECKING:
    import networkx as nx


class UnknownKey(LookupError):
    def __init__(self, key: str) -> None:
        super().__init__(f"no asset matches {key!r}")
        self.key = key


class AmbiguousKey(LookupError):
    def __init__(self, key: str, candidates: list[str]) -> None:
        super().__init__(f"{key!r} matches {len(candidates)} assets: {', '.join(candidates)}")
        self.key = key
        self.candidates = candidates


class NotFound(LookupError):
    """An unknown DAG or task."""


class CatalogQueries:
    engine: Engine

    # --- assets -------------------------------------------------------------------------
    def resolve_key(self, text: str) -> str:
        """A full key, or any unambiguous dotted suffix of an asset's name (`daily_revenue`, `mart.daily_revenue`)."""
        text = text.strip()
        last = text.rsplit(":", 1)[-1].rsplit(".", 1)[-1]
        with self.engine.connect() as conn:
            if conn.execute(select(Asset.key).where(Asset.key == text)).first():
                return text
            rows = conn.execute(select(Asset.key, Asset.name).where(
                or_(Asset.short_name == last, Asset.short_name == last.lower()))).all()
        lowered = text.lower()
        candidates = sorted({key for key, name in rows if _suffix_match(key, name, text) or _suffix_match(key, name.lower(), lowered)})
        if not candidates:
            raise UnknownKey(text)
        if len(candidates) > 1:
            raise AmbiguousKey(text, candidates)
        return candidates[0]

    def assets(self, search: str | None = None, owner: str | None = None, limit: int = 100, offset: int = 0,
               source: str | None = None, terms: bool = True) -> dict[str, Any]:
        """A page of assets with the total: by key, or with ``search`` ranked (``overlay.catalog.search``; each item then
        says how it ``match``ed, an index in ``TIERS``); each item with its ``evidence`` and its ``verdict`` among
        same-named assets (``overlay.catalog.evidence``). ``terms=False``: search keys and owners only."""
        from overlay.catalog import search as ranked
        from overlay.catalog.owner_filter import PAGE_BY_VALUES
        from overlay.catalog.search_pages import ranked_page

        dialect = self.engine.dialect.name
        now = datetime.now(timezone.utc)
        searching = bool(search and search.strip())
        conditions = []
        if source:
            conditions.append(Asset.id.in_(_assets_of_source(source)))
        estimated = False
        with self.engine.connect() as conn:
            listed = _owner_values(conn, dialect, owner) if owner else None  # the owner filter from its index, if it can
            if owner:
                conditions.append(listed if listed is not None else _owned_by(dialect, owner))
            if searching:
                fast = ranked.fts_page(conn, search, _LIST_COLUMNS, limit, offset) if terms and dialect == "sqlite" and not conditions else None
                if fast is not None:
                    total, rows = fast
                else:
                    where = and_(*conditions, ranked.matches(dialect, search, terms))
                    exact = and_(*conditions, ranked.matches(dialect, search, terms, prefilter=False))
                    total, estimated, rows = ranked_page(conn, search, where, exact, _LIST_COLUMNS, limit, offset)
            else:
                count_query = select(func.count()).select_from(Asset)
                if conditions:
                    count_query = count_query.where(*conditions)
                total = conn.execute(count_query).scalar_one()
                if listed is not None and total > PAGE_BY_VALUES:  # many: walk the key index, testing each row's names
                    conditions[-1] = _owned_by(dialect, owner)
                page_query = select(*_LIST_COLUMNS).order_by(Asset.key).limit(limit).offset(offset)
                rows = conn.execute(page_query.where(*conditions) if conditions else page_query).all()
            judged = _judged(conn, rows, now)
        items = [_summary(r) | _verdict_fields(judged, r) | ({"match": r.match} if searching else {}) for r in rows]
        return {"total": total, "total_is_estimate": estimated, "limit": limit, "offset": offset, "items": items}

    def asset(self, key: str) -> dict[str, Any]:
        with self.engine.connect() as conn:
            row = conn.execute(select(Asset).where(Asset.key == key)).mappings().first()
            if row is None:
                raise UnknownKey(key)
            tasks = conn.execute(
                select(TaskIO.mode, Task.dag_id, Task.task_id, Task.source, Task.operator, Task.file, Task.line, Task.status, Task.owner)
                .select_from(TaskIO).join(Task, Task.id == TaskIO.task_pk).where(TaskIO.asset_id == row["id"]).order_by(Task.dag_id, Task.task_id)
            ).mappings().all()
            upstream = _neighbours(conn, row["id"], upstream=True)
            downstream = _neighbours(conn, row["id"], upstream=False)
            last = conn.execute(select(Materialization).where(Materialization.asset_id == row["id"])
                                .order_by(Materialization.end_date.desc()).limit(1)).mappings().first()
            listed = conn.execute(select(*_LIST_COLUMNS).where(Asset.id == row["id"])).one()
            judged = _judged(conn, [listed], datetime.now(timezone.utc))

        def task_ref(t: Any) -> dict[str, Any]:
            return {"task": f"{t['dag_id']}.{t['task_id']}", "dag_id": t["dag_id"], "task_id": t["task_id"], "source": t["source"],
                    "operator": t["operator"],
                    "file": t["file"], "line": t["line"], "status": t["status"], "owner": t["owner"]}

        producers = [task_ref(t) for t in tasks if t["mode"] == "write"]
        consumers = [task_ref(t) for t in tasks if t["mode"] == "read"]
        same = sorted(((k, e, v) for k, (e, v) in judged.items() if k != key), key=lambda item: item[0])
        return _verdict_fields(judged, listed) | {
            "key": row["key"], "namespace": row["namespace"], "name": row["name"],
            "owners": _owner_names(row["owners"]), "contacts": _contact_names(row["owners"]), "ownership": row["owners"],
            "owner_conflict": row["owner_conflict"],
            "columns": row["columns"], "producers": producers, "consumers": consumers,
            "consumer_tasks": len(consumers), "consumer_dags": len({c["dag_id"] for c in consumers}),
            "upstream": upstream, "downstream": downstream,
            "last_materialization": _materialization(last), "freshness": None, "cost": None,
            "same_name": [{"key": k, "verdict": v, "evidence": e.to_dict()} for k, e, v in same],
        }

    def owners(self, key: str | None = None) -> dict[str, Any]:
        with self.engine.connect() as conn:
            query = select(Asset.key, Asset.owners, Asset.owner_conflict).order_by(Asset.key)
            if key:
                query = query.where(Asset.key == key)
            rows = conn.execute(query).all()
            producers = _producers_by_asset(conn)
        items = [{"key": k, "owners": _owner_names(o), "contacts": _contact_names(o), "ownership": o, "conflict": c,
                  "producers": producers.get(k, [])} for k, o, c in rows]
        return {
            "assets": items,
            "conflicts": [i["key"] for i in items if i["conflict"]],
            "unowned": [i["key"] for i in items if not i["owners"] and i["producers"]],
            # read but written by no scanned task: the owner is whoever loads them, outside these DAGs
            "sources": [i["key"] for i in items if not i["owners"] and not i["producers"]],
        }

    def conflicts(self) -> list[str]:
        with self.engine.connect() as conn:
            return list(conn.execute(select(Asset.key).where(Asset.owner_conflict.is_(True)).order_by(Asset.key)).scalars())

    # --- DAGs and tasks -------------------------------------------------------------------
    def dags_page(self, limit: int = 100, offset: int = 0, source: str | None = None) -> dict[str, Any]:
        """One page of DAGs by id, with the total: ``{"total", "limit", "offset", "items"}``."""
        with self.engine.connect() as conn:
            return dags_page(conn, limit, offset, source)

    def graph_page(self, limit: int = 1000, offset: int = 0, source: str | None = None) -> dict[str, Any]:
        """One page of the graph: ``limit`` assets by key and what touches them (see ``overlay.catalog.pages``)."""
        with self.engine.connect() as conn:
            return graph_page(conn, limit, offset, source)

    def dags(self, source: str | None = None) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            counts = dict(((s, d), n) for s, d, n in conn.execute(
                _of_source(select(Task.source, Task.dag_id, func.count()).group_by(Task.source, Task.dag_id), Task, source)).all())
            rows = conn.execute(_of_source(select(Dag).order_by(Dag.dag_id, Dag.source), Dag, source)).mappings().all()
        return [_dag_dict(r) | {"tasks": counts.get((r["source"], r["dag_id"]), 0)} for r in rows]

    def dag(self, dag_id: str, source: str | None = None) -> dict[str, Any]:
        with self.engine.connect() as conn:
            row = _one_of_sources(conn.execute(_of_source(select(Dag).where(Dag.dag_id == dag_id), Dag, source)).mappings().all(),
                                  f"no DAG {dag_id!r} in the catalog", dag_id)
            task_rows = conn.execute(select(Task).where(Task.dag_id == dag_id, Task.source == row["source"])
                                     .order_by(Task.task_id)).mappings().all()
            io = _task_io(conn, [t["id"] for t in task_rows])
        return _dag_dict(row) | {"tasks": [_task_dict(t, io) for t in task_rows]}

    def task(self, dag_id: str, task_id: str, source: str | None = None) -> dict[str, Any]:
        with self.engine.connect() as conn:
            row = _one_of_sources(conn.execute(_of_source(select(Task).where(Task.dag_id == dag_id, Task.task_id == task_id), Task,
                                                          source)).mappings().all(),
                                  f"no task {dag_id}.{task_id} in the catalog", f"{dag_id}.{task_id}")
            io = _task_io(conn, [row["id"]])
        return _task_dict(row, io) | {"sql": row["sql"], "sql_files": row["sql_files"], "columns": row["columns"]}

    def tasks(self, source: str | None = None) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            rows = conn.execute(_of_source(select(Task).order_by(Task.dag_id, Task.task_id, Task.source), Task, source)).mappings().all()
            io = _task_io(conn, None)
        return [_task_dict(t, io) for t in rows]

    # --- graph and history ----------------------------------------------------------------
    def load_graph(self, source: str | None = None) -> nx.MultiDiGraph:
        """The whole asset graph (see ``overlay.graph``), with each asset's producing and consuming tasks;
        with ``source``, the part that source's tasks read, write and connect."""
        from overlay.graph import build_graph  # networkx only where the graph is walked

        with self.engine.connect() as conn:
            asset_query = select(Asset.id, Asset.key, Asset.namespace, Asset.name)
            if source:
                asset_query = asset_query.where(Asset.id.in_(_assets_of_source(source)))
            assets = conn.execute(asset_query).all()
            edges = conn.execute(_of_source(select(AssetEdge.from_asset, AssetEdge.to_asset, Task.dag_id, Task.task_id)
                                            .select_from(AssetEdge).join(Task, Task.id == AssetEdge.task_pk), Task, source)).all()
            io = conn.execute(_of_source(select(TaskIO.asset_id, Task.dag_id, Task.task_id, TaskIO.mode)
                                         .select_from(TaskIO).join(Task, Task.id == TaskIO.task_pk), Task, source)).all()
        keys = {a.id: a.key for a in assets}
        return build_graph(
            [(a.key, a.namespace, a.name) for a in assets],
            [(keys[e.from_asset], keys[e.to_asset], e.dag_id, e.task_id) for e in edges],
            [(keys[r.asset_id], r.dag_id, r.task_id, r.mode) for r in io],
        )

    def lineage(self, key: str, direction: str = "both", depth: int = 3) -> dict[str, Any]:
        """The subgraph around one asset, walked breadth-first in SQL (one query per level and direction).

        ``both`` is the union of the upstream and the downstream walk, each node at its shorter distance.
        """
        with self.engine.connect() as conn:
            root = conn.execute(select(Asset.id, Asset.key, Asset.namespace, Asset.name).where(Asset.key == key)).first()
            if root is None:
                raise UnknownKey(key)
            distances = {root.id: 0}
            edges: set[tuple[int, int, str]] = set()
            for walk_up in ([True] if direction == "upstream" else [False] if direction == "downstream" else [True, False]):
                near, far = (AssetEdge.to_asset, AssetEdge.from_asset) if walk_up else (AssetEdge.from_asset, AssetEdge.to_asset)
                seen, frontier, level = {root.id}, {root.id}, 0
                while frontier and level < depth:
                    level += 1
                    rows = conn.execute(select(near, far, Task.dag_id, Task.task_id).select_from(AssetEdge)
                                        .join(Task, Task.id == AssetEdge.task_pk).where(near.in_(list(frontier)))).all()
                    frontier = {other for _, other, _, _ in rows} - seen
                    seen |= frontier
                    for this, other, dag_id, task_id in rows:
                        edges.add((other, this, f"{dag_id}.{task_id}") if walk_up else (this, other, f"{dag_id}.{task_id}"))
                    for asset_id in frontier:
                        distances[asset_id] = min(distances.get(asset_id, level), level)
            assets = {row.id: row for row in conn.execute(
                select(Asset.id, Asset.key, Asset.namespace, Asset.name).where(Asset.id.in_(list(distances))))}
        keys = {i: row.key for i, row in assets.items()}
        return {
            "root": key, "direction": direction, "depth": depth,
            "nodes": [{"key": assets[i].key, "distance": d, "namespace": assets[i].namespace, "name": assets[i].name}
                      for i, d in sorted(distances.items(), key=lambda item: (item[1], keys[item[0]]))],
            "edges": sorted(({"from": keys[a], "to": keys[b], "via": via} for a, b, via in edges),
                            key=lambda e: (e["from"], e["to"], e["via"])),
        }

    def materializations(self, key: str, limit: int = 100) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            asset_id = conn.execute(select(Asset.id).where(Asset.key == key)).scalar()
            if asset_id is None:
                raise UnknownKey(key)
            rows = conn.execute(select(Materialization).where(Materialization.asset_id == asset_id)
                                .order_by(Materialization.end_date.desc()).limit(limit)).mappings().all()
        return [_materialization(r) for r in rows]

    def scanned_folders(self) -> list[str]:
        """Folders of the last successful scan (their overlay.yaml holds the settings the catalog was built with)."""
        with self.engine.connect() as conn:
            folders = conn.execute(select(Scan.folders).where(Scan.status == "ok").order_by(Scan.id.desc()).limit(1)).scalar()
        return list(folders or [])

    def scans(self, limit: int = 20) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(Scan).order_by(Scan.id.desc()).limit(limit)).mappings().all()
        return [dict(r) for r in rows]

    def scan_errors(self, scan_id: int) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(ScanError).where(ScanError.scan_id == scan_id).order_by(ScanError.file)).mappings().all()
        return [{"file": r["file"], "line": r["line"], "stage": r["stage"], "error": r["error"]} for r in rows]


def _of_source(query: Any, model: Any, source: str | None) -> Any:
    return query.where(model.source == source) if source else query


def _assets_of_source(source: str) -> Any:
    """Ids of the assets a source's tasks read or write."""
    return select(TaskIO.asset_id).join(Task, Task.id == TaskIO.task_pk).where(Task.source == source)


def _one_of_sources(rows: list[Any], missing: str, name: str) -> Any:
    """The one row; a name that several sources define is ambiguous (pass ``source``)."""
    if not rows:
        raise NotFound(missing)
    if len(rows) > 1:
        raise AmbiguousKey(name, sorted(f"{r['source']}:{name}" for r in rows))
    return rows[0]


def _suffix_match(key: str, name: str, text: str) -> bool:
    return name == text or name.endswith("." + text) or key.endswith(":" + text)


def _owned_by(dialect: str, owner: str) -> ColumnElement[bool]:
    """Assets with an ownership claim whose owner or team contains ``owner`` (any case); provenance fields never match.

    ``owner_names`` holds exactly those names, one a line, so a LIKE on it is the same test as one per claim
    (for text without a line break), without reading the claims' JSON.
    """
    if "\n" in owner or dialect not in ("sqlite", "postgresql"):
        return _owner_claim_matches(dialect, owner)
    pattern = f"%{_escape_like(owner.lower())}%"
    if dialect == "sqlite":  # LIKE ignores ASCII case as lower() does; a scan of the covering index ix_assets_owner_names
        return Asset.owner_names.like(pattern, escape="\\")
    return func.lower(Asset.owner_names).like(pattern, escape="\\")  # served by the pg_trgm index


def _owner_values(conn: Any, dialect: str, owner: str) -> ColumnElement[bool] | None:
    """``_owned_by`` as ``owner_names IN (the distinct values it holds for)`` on SQLite (``overlay.catalog.owner_filter``),
    or None when that does not apply (another database, a line break in ``owner``, too many distinct values)."""
    from overlay.catalog.owner_filter import matching_values

    if dialect != "sqlite" or "\n" in owner:
        return None
    values = matching_values(conn, f"%{_escape_like(owner.lower())}%")
    if values is None:
        return None
    return Asset.owner_names.in_(values) if values else false()


def _owner_claim_matches(dialect: str, owner: str) -> ColumnElement[bool]:
    pattern = f"%{_escape_like(owner.lower())}%"
    if dialect == "postgresql":
        claim = func.json_array_elements(Asset.owners).table_valued("value").alias("claim")
        fields = [claim.c.value.op("->>")(name) for name in ("owner", "team")]
    elif dialect == "sqlite":
        claim = func.json_each(Asset.owners).table_valued("value").alias("claim")
        fields = [func.json_extract(claim.c.value, f"$.{name}") for name in ("owner", "team")]
    else:  # other databases: a text match over the claims
        return cast(Asset.owners, String).ilike(pattern, escape="\\")
    return exists(select(1).select_from(claim).where(or_(*(func.lower(f).like(pattern, escape="\\") for f in fields))))


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _owner_names(claims: list[dict[str, Any]] | None) -> list[str]:
    return sorted({c["owner"] for c in claims or [] if c.get("role", "owner") == "owner"})


def _contact_names(claims: list[dict[str, Any]] | None) -> list[str]:
    """People named beside the owners (a DAG's owner and owner_links when CODEOWNERS or overlay.yaml decided)."""
    return sorted({c["owner"] for c in claims or [] if c.get("role") == "contact"} - set(_owner_names(claims)))


# what a list item is made of: the asset's own columns and its stored evidence (overlay.catalog.search_docs)
_LIST_COLUMNS = (Asset.id, Asset.key, Asset.namespace, Asset.name, Asset.short_name, Asset.owners, Asset.owner_conflict,
                 Asset.producer_count, Asset.consumer_count, Asset.last_materialized, Asset.query_count)


def _summary(r: Any) -> dict[str, Any]:
    return {"key": r.key, "namespace": r.namespace, "name": r.name, "owners": _owner_names(r.owners), "contacts": _contact_names(r.owners),
            "owner_conflict": r.owner_conflict, "producers": r.producer_count or 0, "consumers": r.consumer_count or 0}


def _judged(conn: Any, rows: list[Any], now: datetime) -> dict[str, tuple[Any, str | None]]:
    """key -> (evidence, verdict) for these rows and every asset sharing a table name with one of them."""
    from overlay.catalog.evidence import judged, same_name_rows, stored

    return judged(same_name_rows(conn, {r.short_name for r in rows}), stored, now)


def _verdict_fields(judged: dict[str, tuple[Any, str | None]], row: Any) -> dict[str, Any]:
    from overlay.catalog.evidence import stored

    evidence, verdict = judged.get(row.key) or (stored(row), None)
    return {"evidence": evidence.to_dict(), "verdict": verdict}


def _neighbours(conn: Any, asset_id: int, upstream: bool) -> list[dict[str, str]]:
    this, other = (AssetEdge.to_asset, AssetEdge.from_asset) if upstream else (AssetEdge.from_asset, AssetEdge.to_asset)
    rows = conn.execute(select(Asset.key, Task.dag_id, Task.task_id).select_from(AssetEdge).join(Asset, Asset.id == other)
                        .join(Task, Task.id == AssetEdge.task_pk).where(this == asset_id).order_by(Asset.key)).all()
    return [{"key": k, "via": f"{d}.{t}"} for k, d, t in rows]


def _producers_by_asset(conn: Any) -> dict[str, list[str]]:
    rows = conn.execute(select(Asset.key, Task.dag_id, Task.task_id).select_from(Asset).join(TaskIO, TaskIO.asset_id == Asset.id)
                        .join(Task, Task.id == TaskIO.task_pk).where(TaskIO.mode == "write")).all()
    result: dict[str, list[str]] = {}
    for key, dag_id, task_id in rows:
        result.setdefault(key, []).append(f"{dag_id}.{task_id}")
    return result


def _task_io(conn: Any, task_pks: list[int] | None) -> dict[int, dict[str, list[str]]]:
    query = select(TaskIO.task_pk, TaskIO.mode, Asset.key).select_from(TaskIO).join(Asset, Asset.id == TaskIO.asset_id).order_by(Asset.key)
    if task_pks is not None:
        query = query.where(TaskIO.task_pk.in_(task_pks))
    io: dict[int, dict[str, list[str]]] = {}
    for pk, mode, key in conn.execute(query).all():
        io.setdefault(pk, {"read": [], "write": []})[mode].append(key)
    return io


def _dag_dict(row: Any) -> dict[str, Any]:
    return {"dag_id": row["dag_id"], "source": row["source"], "file": row["file"], "line": row["line"], "mode": row["mode"],
            "owners": row["owners"], "owner_links": row["owner_links"], "tags": row["tags"], "schedule": row["schedule"],
            "ownership": row["ownership"] or []}


def _task_dict(row: Any, io: dict[int, dict[str, list[str]]]) -> dict[str, Any]:
    rw = io.get(row["id"], {"read": [], "write": []})
    return {"dag_id": row["dag_id"], "task_id": row["task_id"], "source": row["source"], "operator": row["operator"], "file": row["file"], "line": row["line"],
            "owner": row["owner"], "reads": rw["read"], "writes": rw["write"], "status": row["status"], "errors": row["errors"],
            "upstream": row["upstream"], "ownership": row["ownership"] or []}


def _materialization(row: Any) -> dict[str, Any] | None:
    if row is None:
        return None
    return {"dag_id": row["dag_id"], "task_id": row["task_id"], "run_id": row["run_id"], "try_number": row["try_number"],
            "start_date": row["start_date"], "end_date": row["end_date"], "state": row["state"], "source": row["source"],
            "source_name": row["source_name"]}
