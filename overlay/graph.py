"""The asset graph: tables as nodes, tasks as the edges' code (networkx).

Pure functions over a ``MultiDiGraph``. Nodes are asset keys with ``namespace``, ``name``,
``producers`` and ``consumers`` (task refs ``dag_id.task_id``, sorted) and ``writers`` /
``readers`` (the same tasks as ``(dag_id, task_id)`` pairs). Edges go asset -> asset, keyed and labelled by the task that moves the data
(``via``), with its ``dag_id`` and ``task_id`` (dag and task ids may both contain dots, so the
ref is never split) and ``cross_dag``: True when the source asset is written by another DAG.

Built from a ``ScanResult`` (``graph_from_scan``) or from the catalog's rows
(``Catalog.load_graph``). Walks are breadth-first and safe on cycles.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from typing import Any, Literal

import networkx as nx

from overlay.model import ScanResult
from overlay.ownership import metadata_claims

Direction = Literal["upstream", "downstream", "both"]
AssetRow = tuple[str, str, str]  # key, namespace, name
EdgeRow = tuple[str, str, str, str]  # from key, to key, dag_id, task_id
IORow = tuple[str, str, str, str]  # asset key, dag_id, task_id, mode ("read" | "write")


def task_ref(dag_id: str, task_id: str) -> str:
    return f"{dag_id}.{task_id}"


def build_graph(assets: Iterable[AssetRow], edges: Iterable[EdgeRow], io: Iterable[IORow] = ()) -> nx.MultiDiGraph:
    """The graph from plain rows; ``io`` (which task reads or writes which asset) fills producers and consumers.

    Nodes and edges are worked out in plain dicts and handed to networkx in one go each (in the order
    the rows give them: nodes as first named, an edge once per (source, target, task), its first row winning).
    """
    nodes: dict[str, dict[str, Any]] = {}
    for key, namespace, name in assets:
        nodes[key] = _node(key, namespace, name)
    for key, dag_id, task_id, mode in io:
        data = nodes.get(key)
        if data is None:
            data = nodes[key] = _node(key, *_split_key(key))
        data["writers" if mode == "write" else "readers"].add((dag_id, task_id))
    moves: dict[tuple[str, str, str], tuple[str, str]] = {}  # (source, target, via) -> (dag_id, task_id)
    for source, target, dag_id, task_id in edges:
        for key in (source, target):
            if key not in nodes:
                nodes[key] = _node(key, *_split_key(key))
        moves.setdefault((source, target, task_ref(dag_id, task_id)), (dag_id, task_id))
    into: dict[str, set[tuple[str, str]]] = {}
    out_of: dict[str, set[tuple[str, str]]] = {}
    for (source, target, _), task in moves.items():
        into.setdefault(target, set()).add(task)
        out_of.setdefault(source, set()).add(task)
    for key, data in nodes.items():
        if not data["writers"]:  # rows without io: writers and readers are known from the edges
            data["writers"] = into.get(key, set())
        if not data["readers"]:
            data["readers"] = out_of.get(key, set())
        data["writers"], data["readers"] = sorted(data["writers"]), sorted(data["readers"])
        data["producers"] = sorted(task_ref(*t) for t in data["writers"])
        data["consumers"] = sorted(task_ref(*t) for t in data["readers"])
    return assemble(nodes, (
        (source, target, via, {"via": via, "dag_id": dag_id, "task_id": task_id,
                               "cross_dag": any(dag != dag_id for dag, _ in nodes[source]["writers"])})
        for (source, target, via), (dag_id, task_id) in moves.items()))


def assemble(nodes: dict[str, dict[str, Any]], edges: Iterable[tuple[str, str, str, dict[str, Any]]]) -> nx.MultiDiGraph:
    """A new graph holding ``nodes`` (key -> its data, taken as they are) and ``edges`` (source, target, key, data).

    What ``add_nodes_from`` and ``add_edges_from`` would make, written into networkx's documented
    adjacency dicts of a fresh graph directly: those calls cost more than working out the graph
    (tens of thousands of edges for a diff). Each edge's endpoints must be in ``nodes``, each key once.
    """
    graph = nx.MultiDiGraph()
    graph._node.update(nodes)
    succ, pred = graph._succ, graph._pred  # _adj is _succ; a keydict is shared by succ[u][v] and pred[v][u]
    for key in nodes:
        succ[key] = {}
        pred[key] = {}
    for source, target, key, data in edges:
        keydict = succ[source].get(target)
        if keydict is None:
            keydict = succ[source][target] = pred[target][source] = {}
        keydict[key] = data
    return graph


def copy_graph(graph: nx.MultiDiGraph) -> nx.MultiDiGraph:
    """``graph.copy()`` (new node and edge data dicts, values shared), through ``assemble``."""
    return assemble({n: dict(d) for n, d in graph._node.items()},
                    ((u, v, k, dict(d)) for u, nbrs in graph._succ.items() for v, keydict in nbrs.items() for k, d in keydict.items()))


def _node(key: str, namespace: str, name: str) -> dict[str, Any]:
    return {"key": key, "namespace": namespace, "name": name, "writers": set(), "readers": set()}


def _split_key(key: str) -> tuple[str, str]:
    namespace, _, name = key.partition(":")
    return (namespace, name) if name else ("", key)


def graph_from_scan(result: ScanResult) -> nx.MultiDiGraph:
    return build_graph(
        ((a.key, a.namespace, a.name) for a in result.assets),
        ((a, b, t.dag_id, t.task_id) for t in result.tasks for a, b in t.edges),
        [(k, t.dag_id, t.task_id, "read") for t in result.tasks for k in t.reads]
        + [(k, t.dag_id, t.task_id, "write") for t in result.tasks for k in t.writes],
    )


def producers(graph: nx.MultiDiGraph, key: str) -> list[str]:
    """Tasks (``dag_id.task_id``) that write the asset."""
    return list(graph.nodes[key]["producers"])


def consumers(graph: nx.MultiDiGraph, key: str) -> list[str]:
    """Tasks (``dag_id.task_id``) that read the asset."""
    return list(graph.nodes[key]["consumers"])


def walk(graph: nx.MultiDiGraph, key: str, direction: Direction = "both", depth: int | None = None) -> dict[str, int]:
    """Assets reachable from ``key`` within ``depth`` hops -> their distance (the root is 0).

    ``both`` is the union of the upstream and the downstream walk (never sideways to siblings),
    each asset at its shorter distance.
    """
    if key not in graph:
        raise KeyError(key)
    if direction == "both":
        up, down = _bfs(graph.predecessors, key, depth), _bfs(graph.successors, key, depth)
        return {k: min(up.get(k, d), d) for k, d in down.items()} | {k: d for k, d in up.items() if k not in down}
    if direction not in ("upstream", "downstream"):
        raise ValueError(f"direction must be upstream, downstream or both, not {direction!r}")
    return _bfs(graph.predecessors if direction == "upstream" else graph.successors, key, depth)


def _bfs(neighbours: Any, key: str, depth: int | None) -> dict[str, int]:
    return hops(neighbours, [key], depth)


def hops(neighbours: Any, seeds: Iterable[str], depth: int | None) -> dict[str, int]:
    """Each asset within ``depth`` hops of a seed (None: no limit), with its distance from the nearest seed."""
    seeds = list(seeds)
    distances = dict.fromkeys(seeds, 0)
    queue: deque[str] = deque(seeds)
    while queue:
        node = queue.popleft()
        if depth is not None and distances[node] >= depth:
            continue
        for other in neighbours(node):
            if other not in distances:
                distances[other] = distances[node] + 1
                queue.append(other)
    return distances


def upstream(graph: nx.MultiDiGraph, key: str, depth: int | None = None) -> dict[str, int]:
    return walk(graph, key, "upstream", depth)


def downstream(graph: nx.MultiDiGraph, key: str, depth: int | None = None) -> dict[str, int]:
    return walk(graph, key, "downstream", depth)


def subgraph(graph: nx.MultiDiGraph, key: str, direction: Direction = "both", depth: int | None = None) -> dict[str, Any]:
    """The lineage around one asset: nodes with their distance, and the edges the walk followed.

    Same answer as ``Catalog.lineage``: an edge counts when the walk stood on its near end
    (closer than ``depth``) and reached its far end.
    """
    nodes = walk(graph, key, direction, depth)
    edges: set[tuple[str, str, str]] = set()
    for walk_up in ([True] if direction == "upstream" else [False] if direction == "downstream" else [True, False]):
        reached = walk(graph, key, "upstream" if walk_up else "downstream", depth)
        for near, distance in reached.items():
            if depth is not None and distance >= depth:
                continue
            around = graph.in_edges(near, data="via") if walk_up else graph.out_edges(near, data="via")
            edges.update((a, b, via) for a, b, via in around if (a if walk_up else b) in reached)
    return {
        "root": key, "direction": direction, "depth": depth,
        "nodes": [{"key": k, "distance": d, "namespace": graph.nodes[k]["namespace"], "name": graph.nodes[k]["name"]}
                  for k, d in sorted(nodes.items(), key=lambda item: (item[1], item[0]))],
        "edges": [{"from": a, "to": b, "via": via} for a, b, via in sorted(edges)],
    }


def impact(graph: nx.MultiDiGraph, key: str, depth: int | None = None) -> dict[str, Any]:
    """What a change to ``key`` reaches: downstream assets (with distance), the tasks reading changed input, their DAGs.

    With a depth, tasks count when they read the root or an asset closer than ``depth``: the
    tasks whose outputs are the assets listed.
    """
    reached = downstream(graph, key, depth)
    changed = [k for k, d in reached.items() if depth is None or d < depth]
    tasks = sorted({t for k in changed for t in graph.nodes[k]["consumers"]})
    dags = sorted({dag for k in changed for dag, _ in graph.nodes[k]["readers"]})
    assets = [{"key": k, "distance": d} for k, d in sorted(reached.items(), key=lambda item: (item[1], item[0])) if k != key]
    return {"root": key, "assets": assets, "tasks": tasks, "dags": dags}


def cross_dag_links(graph: nx.MultiDiGraph) -> list[dict[str, Any]]:
    """Assets written by one DAG and read by another: where one team's pipeline feeds another's.

    One entry per (asset, writing DAG, reading DAG), with the tasks on each side; readers count
    whether or not they write anything themselves.
    """
    links = []
    for key, data in graph.nodes(data=True):
        for writer in sorted({dag for dag, _ in data["writers"]}):
            for reader in sorted({dag for dag, _ in data["readers"]} - {writer}):
                links.append({
                    "asset": key, "from_dag": writer, "to_dag": reader,
                    "producers": [task_ref(d, t) for d, t in data["writers"] if d == writer],
                    "consumers": [task_ref(d, t) for d, t in data["readers"] if d == reader],
                })
    return sorted(links, key=lambda link: (link["asset"], link["from_dag"], link["to_dag"]))


def task_owners(result: ScanResult) -> dict[str, list[str]]:
    """``dag_id.task_id`` -> owners: the task's owner, else its DAG's owners (Airflow's default ``airflow`` means nobody)."""
    dags = {d.dag_id: d for d in result.dags}
    return {task_ref(t.dag_id, t.task_id): sorted({c.owner for c in metadata_claims(t, dags.get(t.dag_id))})
            for t in result.tasks}


def asset_owners(graph: nx.MultiDiGraph, owners_by_task: dict[str, list[str]]) -> dict[str, list[str]]:
    """Asset key -> the owners of the tasks that write it (empty: unowned)."""
    return {key: sorted({o for t in data["producers"] for o in owners_by_task.get(t, [])})
            for key, data in graph.nodes(data=True)}


def owner_conflicts(graph: nx.MultiDiGraph, owners_by_task: dict[str, list[str]]) -> dict[str, dict[str, list[str]]]:
    """Assets written by tasks with different owners -> {task: its owners}; tasks without an owner do not conflict."""
    conflicts = {}
    for key, data in graph.nodes(data=True):
        claims = {t: owners_by_task[t] for t in data["producers"] if owners_by_task.get(t)}
        if len({frozenset(o) for o in claims.values()}) > 1:
            conflicts[key] = claims
    return conflicts
