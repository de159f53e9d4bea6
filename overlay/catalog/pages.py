"""Paged reads of the catalog for the API: DAGs, and the graph one page of assets at a time.

A page of the graph holds ``limit`` assets (ordered by key) and everything that touches them: the
edges leaving them (so every edge is on exactly one page), the tasks that read or write them with
those tasks' DAGs, and the cross-DAG links through them. Scan errors come with the first page.
Each page costs a few indexed queries, whatever the size of the catalog.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from overlay.catalog.schema import Asset, AssetEdge, Dag, Scan, ScanError, Task, TaskIO


def dags_page(conn: Any, limit: int, offset: int, source: str | None = None) -> dict[str, Any]:
    from overlay.catalog.queries import _dag_dict, _of_source

    total = conn.execute(_of_source(select(func.count()).select_from(Dag), Dag, source)).scalar_one()
    rows = conn.execute(_of_source(select(Dag), Dag, source).order_by(Dag.dag_id, Dag.source).limit(limit).offset(offset)).mappings().all()
    ids = sorted({r["dag_id"] for r in rows})
    counts = {(s, d): n for s, d, n in conn.execute(select(Task.source, Task.dag_id, func.count()).where(Task.dag_id.in_(ids))
                                                     .group_by(Task.source, Task.dag_id)).all()} if ids else {}
    items = [_dag_dict(r) | {"tasks": counts.get((r["source"], r["dag_id"]), 0)} for r in rows]
    return {"total": total, "limit": limit, "offset": offset, "items": items}


def graph_page(conn: Any, limit: int, offset: int, source: str | None = None) -> dict[str, Any]:
    """With ``source``: the assets that source's tasks read or write, and only its tasks, edges and DAGs."""
    from overlay.catalog.queries import _assets_of_source, _of_source, _owner_names, _task_dict, _task_io

    assets_query = select(Asset.id, Asset.key, Asset.namespace, Asset.name, Asset.owners, Asset.owner_conflict)
    count_query = select(func.count()).select_from(Asset)
    if source:
        assets_query, count_query = (q.where(Asset.id.in_(_assets_of_source(source))) for q in (assets_query, count_query))
    total = conn.execute(count_query).scalar_one()
    rows = conn.execute(assets_query.order_by(Asset.key).limit(limit).offset(offset)).all()
    ids = [r.id for r in rows]
    io = conn.execute(_of_source(select(TaskIO.asset_id, TaskIO.mode, Task.id, Task.dag_id, Task.task_id).select_from(TaskIO)
                                 .join(Task, Task.id == TaskIO.task_pk).where(TaskIO.asset_id.in_(ids)), Task, source)).all() if ids else []
    out_edges = conn.execute(_of_source(select(AssetEdge.from_asset, AssetEdge.to_asset, Task.id, Task.dag_id, Task.task_id)
                                        .select_from(AssetEdge).join(Task, Task.id == AssetEdge.task_pk)
                                        .where(AssetEdge.from_asset.in_(ids)), Task, source)).all() if ids else []
    in_edges = conn.execute(_of_source(select(AssetEdge.to_asset, Task.id, Task.dag_id, Task.task_id).select_from(AssetEdge)
                                       .join(Task, Task.id == AssetEdge.task_pk).where(AssetEdge.to_asset.in_(ids)), Task, source)
                            ).all() if ids else []
    sides = _sides(ids, io, out_edges, in_edges)
    other = {e.to_asset for e in out_edges} - set(ids)
    keys = {r.id: r.key for r in rows} | (dict(conn.execute(select(Asset.id, Asset.key).where(Asset.id.in_(list(other)))).all())
                                          if other else {})
    task_pks = sorted({pk for side in sides.values() for pk, _, _ in side["writers"] | side["readers"]})
    task_columns = [Task.id, Task.dag_id, Task.task_id, Task.source, Task.operator, Task.file, Task.line, Task.owner, Task.status,
                    Task.errors, Task.upstream, Task.ownership]
    task_rows = conn.execute(select(*task_columns).where(Task.id.in_(task_pks)).order_by(Task.dag_id, Task.task_id, Task.source)).mappings().all() if task_pks else []
    task_io = _task_io(conn, task_pks) if task_pks else {}
    dag_keys = {(t["source"], t["dag_id"]) for t in task_rows}
    dag_rows = [d for d in conn.execute(select(Dag).where(Dag.dag_id.in_(sorted({d for _, d in dag_keys})))
                                        .order_by(Dag.dag_id, Dag.source)).mappings().all()
                if (d["source"], d["dag_id"]) in dag_keys] if dag_keys else []
    assets, cross_dag = [], []
    for r in rows:
        writers, readers = sorted((d, t) for _, d, t in sides[r.id]["writers"]), sorted((d, t) for _, d, t in sides[r.id]["readers"])
        assets.append({"key": r.key, "namespace": r.namespace, "name": r.name, "owners": _owner_names(r.owners),
                       "owner_conflict": r.owner_conflict, "producers": [f"{d}.{t}" for d, t in writers],
                       "consumers": [f"{d}.{t}" for d, t in readers]})
        cross_dag += _cross_dag(r.key, writers, readers)
    return {
        "total": total, "limit": limit, "offset": offset,
        "assets": assets,
        "tasks": [_task_dict(t, task_io) for t in task_rows],
        "edges": sorted(({"from": keys[e.from_asset], "to": keys[e.to_asset], "via": f"{e.dag_id}.{e.task_id}"} for e in out_edges),
                        key=lambda e: (e["from"], e["to"], e["via"])),
        "dags": [{k: d[k] for k in ("dag_id", "file", "owners", "tags", "schedule", "mode")} for d in dag_rows],
        "cross_dag": cross_dag,
        "errors": _last_scan_errors(conn, source) if offset == 0 else [],
    }


def _sides(ids: list[int], io: list[Any], out_edges: list[Any], in_edges: list[Any]) -> dict[int, dict[str, set]]:
    """Writers and readers of each asset, as (task pk, dag id, task id); from the edges when a scan stored no io."""
    sides: dict[int, dict[str, set]] = {i: {"writers": set(), "readers": set()} for i in ids}
    for row in io:
        sides[row.asset_id]["writers" if row.mode == "write" else "readers"].add((row.id, row.dag_id, row.task_id))
    by_target: dict[int, set] = {}
    by_origin: dict[int, set] = {}
    for e in in_edges:
        by_target.setdefault(e.to_asset, set()).add((e.id, e.dag_id, e.task_id))
    for e in out_edges:
        by_origin.setdefault(e.from_asset, set()).add((e.id, e.dag_id, e.task_id))
    for asset_id, side in sides.items():
        if not side["writers"]:
            side["writers"] = by_target.get(asset_id, set())
        if not side["readers"]:
            side["readers"] = by_origin.get(asset_id, set())
    return sides


def _cross_dag(key: str, writers: list[tuple[str, str]], readers: list[tuple[str, str]]) -> list[dict[str, Any]]:
    """As ``overlay.graph.cross_dag_links`` for one asset: one link per (writing DAG, reading DAG)."""
    if not writers or not readers:
        return []
    producers: dict[str, list[str]] = {}
    consumers: dict[str, list[str]] = {}
    for d, t in writers:  # in order: each DAG's tasks as sorted as the pairs
        producers.setdefault(d, []).append(f"{d}.{t}")
    for d, t in readers:
        consumers.setdefault(d, []).append(f"{d}.{t}")
    reading = sorted(consumers)
    return [{"asset": key, "from_dag": writer, "to_dag": reader, "producers": producers[writer], "consumers": consumers[reader]}
            for writer in sorted(producers) for reader in reading if reader != writer]


def _last_scan_errors(conn: Any, source: str | None) -> list[dict[str, Any]]:
    from overlay.catalog.queries import _of_source

    scan_id = conn.execute(_of_source(select(Scan.id), Scan, source).order_by(Scan.id.desc()).limit(1)).scalar()
    if scan_id is None:
        return []
    rows = conn.execute(select(ScanError).where(ScanError.scan_id == scan_id).order_by(ScanError.file)).mappings().all()
    return [{"file": r["file"], "error": r["error"], "line": r["line"], "stage": r["stage"]} for r in rows]
