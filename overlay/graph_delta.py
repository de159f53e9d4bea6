"""One scan's asset graph worked out from another's: only what the tasks that differ touch is redone.

``overlay diff`` needs the graphs of BASE and of HEAD, which share all but a few tasks. Building the
second from scratch costs as much as the first; ``graph_after`` copies the first and redoes only the
assets and edges of the tasks that differ (and of assets declared differently), with the rules of
``overlay.graph.build_graph``. The answer equals ``graph_from_scan(after)`` (node and edge data; the
order networkx iterates them in may differ). Pure: the graph passed in is not changed.
"""

from __future__ import annotations

from typing import Any

import networkx as nx

from overlay.graph import _node, _split_key, copy_graph, graph_from_scan, task_ref
from overlay.model import ResolvedTask, ScanResult

MAX_CHANGED_SHARE = 0.25  # more tasks differ than this: a fresh build is cheaper than patching


def graph_after(graph: nx.MultiDiGraph, before: ScanResult, after: ScanResult) -> nx.MultiDiGraph:
    """``graph_from_scan(after)``, given ``graph == graph_from_scan(before)``."""
    old, new = _by_task(before.tasks), _by_task(after.tasks)
    if old is None or new is None:
        return graph_from_scan(after)  # a (dag_id, task_id) twice, or two tasks with one ref: first-row rules apply
    changed = {t for t, task in old.items() if _differs(task, new.get(t))} | (new.keys() - old.keys())
    if len(changed) > MAX_CHANGED_SHARE * max(len(after.tasks), 1):
        return graph_from_scan(after)
    old_assets, new_assets = _asset_rows(before), _asset_rows(after)
    keys = {k for k in old_assets.keys() | new_assets.keys() if old_assets.get(k) != new_assets.get(k)}
    moves: set[tuple[str, str, str]] = set()  # (source, target, via) of the changed tasks, either side
    for task in [*(old[t] for t in changed if t in old), *(new[t] for t in changed if t in new)]:
        keys.update(task.reads, task.writes)
        for source, target in task.edges:
            keys.update((source, target))
            moves.add((source, target, task_ref(task.dag_id, task.task_id)))
    patched = copy_graph(graph)
    patched.remove_edges_from([m for m in moves if patched.has_edge(*m)])
    for key, data in _nodes(after, new_assets, keys).items():
        if data is None:
            if key in patched:
                patched.remove_node(key)  # its edges were the changed tasks' own
        elif key in patched:
            node = patched.nodes[key]
            node.clear()
            node.update(data)
        else:
            patched.add_node(key, **data)
    for t in changed:
        task = new.get(t)
        for source, target in task.edges if task is not None else []:
            via = task_ref(task.dag_id, task.task_id)
            if not patched.has_edge(source, target, key=via):
                patched.add_edge(source, target, key=via, via=via, dag_id=task.dag_id, task_id=task.task_id)
    for source in keys:
        if source in patched:  # cross_dag follows the writers of an edge's source
            writers = patched.nodes[source]["writers"]
            for _, _, edge in patched.out_edges(source, data=True):
                edge["cross_dag"] = any(dag != edge["dag_id"] for dag, _ in writers)
    return patched


def _by_task(tasks: list[ResolvedTask]) -> dict[tuple[str, str], ResolvedTask] | None:
    out = {(t.dag_id, t.task_id): t for t in tasks}
    refs = {task_ref(*t) for t in out}
    return out if len(out) == len(tasks) == len(refs) else None


def _differs(old: ResolvedTask, new: ResolvedTask | None) -> bool:
    """The task adds other nodes or edges to the graph (or is gone)."""
    return new is None or old.reads != new.reads or old.writes != new.writes or old.edges != new.edges


def _asset_rows(result: ScanResult) -> dict[str, tuple[str, str]]:
    return {a.key: (a.namespace, a.name) for a in result.assets}  # the last row of a key wins, as in build_graph


def _nodes(result: ScanResult, assets: dict[str, tuple[str, str]], keys: set[str]) -> dict[str, dict[str, Any] | None]:
    """Node data of ``keys`` in the graph of ``result`` (None: not a node there), from one pass over its tasks."""
    writers: dict[str, set[tuple[str, str]]] = {k: set() for k in keys}
    readers: dict[str, set[tuple[str, str]]] = {k: set() for k in keys}
    into: dict[str, set[tuple[str, str]]] = {k: set() for k in keys}
    out_of: dict[str, set[tuple[str, str]]] = {k: set() for k in keys}
    for task in result.tasks:
        pair = (task.dag_id, task.task_id)
        for key in task.reads:
            if key in keys:
                readers[key].add(pair)
        for key in task.writes:
            if key in keys:
                writers[key].add(pair)
        for source, target in task.edges:
            if target in keys:
                into[target].add(pair)
            if source in keys:
                out_of[source].add(pair)
    nodes: dict[str, dict[str, Any] | None] = {}
    for key in keys:
        if not (key in assets or writers[key] or readers[key] or into[key] or out_of[key]):
            nodes[key] = None
            continue
        data = _node(key, *(assets[key] if key in assets else _split_key(key)))
        data["writers"] = sorted(writers[key] or into[key])
        data["readers"] = sorted(readers[key] or out_of[key])
        data["producers"] = sorted(task_ref(*t) for t in data["writers"])
        data["consumers"] = sorted(task_ref(*t) for t in data["readers"])
        nodes[key] = data
    return nodes
