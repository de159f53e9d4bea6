"""The asset graph: tables as nodes, tasks as the edges' code (networkx).

Pure functions: build it from (key, namespace, name) nodes and (from, to, via) edges, walk it
upstream or downstream to a depth, and find what an asset's change would impact.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from typing import Any, Literal

import networkx as nx

from overlay.model import ScanResult

Direction = Literal["upstream", "downstream", "both"]


def build_graph(assets: Iterable[tuple[str, str, str]], edges: Iterable[tuple[str, str, str]]) -> nx.MultiDiGraph:
    graph = nx.MultiDiGraph()
    for key, namespace, name in assets:
        graph.add_node(key, namespace=namespace, name=name)
    for source, target, via in edges:
        if not graph.has_edge(source, target, key=via):
            graph.add_edge(source, target, key=via, via=via)
    return graph


def graph_from_scan(result: ScanResult) -> nx.MultiDiGraph:
    return build_graph(
        ((a.key, a.namespace, a.name) for a in result.assets),
        ((a, b, f"{t.dag_id}.{t.task_id}") for t in result.tasks for a, b in t.edges),
    )


def walk(graph: nx.MultiDiGraph, key: str, direction: Direction = "both", depth: int | None = None) -> dict[str, int]:
    """Assets reachable from ``key`` -> their distance (breadth-first, cycle safe)."""
    distances: dict[str, int] = {key: 0}
    queue: deque[str] = deque([key])
    while queue:
        node = queue.popleft()
        if depth is not None and distances[node] >= depth:
            continue
        neighbours: list[str] = []
        if direction in ("upstream", "both"):
            neighbours.extend(graph.predecessors(node))
        if direction in ("downstream", "both"):
            neighbours.extend(graph.successors(node))
        for other in neighbours:
            if other not in distances:
                distances[other] = distances[node] + 1
                queue.append(other)
    return distances


def impact(graph: nx.MultiDiGraph, key: str) -> dict[str, Any]:
    """Everything downstream of an asset, and the tasks that would run on changed input."""
    downstream = walk(graph, key, "downstream")
    downstream.pop(key, None)
    tasks = sorted({data["via"] for a, b, data in graph.edges(data=True) if a == key or a in downstream})
    return {"root": key, "assets": sorted(downstream), "tasks": tasks}


def cross_dag_edges(graph: nx.MultiDiGraph) -> list[dict[str, str]]:
    """Assets written by one DAG and read by another: the links between teams' pipelines."""
    result = []
    for node in graph.nodes:
        writers = {data["via"].split(".", 1)[0] for _, _, data in graph.in_edges(node, data=True)}
        for _, target, data in graph.out_edges(node, data=True):
            reader = data["via"].split(".", 1)[0]
            for writer in sorted(writers - {reader}):
                result.append({"asset": node, "from_dag": writer, "to_dag": reader, "via": data["via"]})
    return result
