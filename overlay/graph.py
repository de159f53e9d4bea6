"""The asset graph: tables as nodes, tasks as the edges' code (networkx).

Pure functions over a ``MultiDiGraph`` built from (key, namespace, name) nodes and
(from, to, via) edges. Walks around one asset run in SQL (``Catalog.lineage``); whole-graph
questions live here.
"""

from __future__ import annotations

from collections.abc import Iterable

import networkx as nx


def build_graph(assets: Iterable[tuple[str, str, str]], edges: Iterable[tuple[str, str, str]]) -> nx.MultiDiGraph:
    graph = nx.MultiDiGraph()
    for key, namespace, name in assets:
        graph.add_node(key, namespace=namespace, name=name)
    for source, target, via in edges:
        if not graph.has_edge(source, target, key=via):
            graph.add_edge(source, target, key=via, via=via)
    return graph


def cross_dag_edges(graph: nx.MultiDiGraph) -> list[dict[str, str]]:
    """Assets written by one DAG and read by another: where one team's pipeline feeds another's."""
    result = []
    for node in graph.nodes:
        writers = {data["via"].split(".", 1)[0] for _, _, data in graph.in_edges(node, data=True)}
        for _, target, data in graph.out_edges(node, data=True):
            reader = data["via"].split(".", 1)[0]
            for writer in sorted(writers - {reader}):
                result.append({"asset": node, "from_dag": writer, "to_dag": reader, "via": data["via"], "feeds": target})
    return sorted(result, key=lambda e: (e["asset"], e["from_dag"], e["via"], e["feeds"]))
