"""The blast radius of a change: what lies downstream of the assets it touches, who runs it, who to tell.

Walked over one graph that unites BASE, HEAD and (when given) the catalog's other DAGs and sources,
so a change in one repository reaches the consumers another repository or Airflow deployment runs.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import networkx as nx

from overlay.graph import build_graph, downstream
from overlay.model import ScanResult
from overlay.review.changes import ChangeSet


@dataclass
class Impacted:
    asset: str
    hops: int  # 0: the change writes it; n: n tasks further downstream
    producers: list[str] = field(default_factory=list)  # tasks that rebuild it from affected input (dag_id.task_id)
    consumers: list[str] = field(default_factory=list)  # tasks that read it
    dags: list[str] = field(default_factory=list)  # DAGs of those consumers
    owners: list[str] = field(default_factory=list)


@dataclass
class Broken:
    asset: str
    producers_before: list[str]
    consumers: list[str]  # tasks left reading a table nothing writes any more
    owners: list[str] = field(default_factory=list)


@dataclass
class ScheduleRisk:
    dag_id: str
    schedule_before: str | None
    schedule_after: str | None
    assets: list[str]  # what the DAG writes that others read
    consumer_dags: dict[str, str | None]  # reading DAG -> its schedule


@dataclass
class Impact:
    blast_radius: list[Impacted] = field(default_factory=list)
    broken: list[Broken] = field(default_factory=list)
    schedule_risks: list[ScheduleRisk] = field(default_factory=list)
    owners_to_notify: list[str] = field(default_factory=list)
    affected_dags: list[str] = field(default_factory=list)


Rows = tuple[list[tuple[str, str, str]], list[tuple[str, str, str, str]], list[tuple[str, str, str, str]]]


def scan_rows(result: ScanResult) -> Rows:
    assets = [(a.key, a.namespace, a.name) for a in result.assets]
    edges = [(a, b, t.dag_id, t.task_id) for t in result.tasks for a, b in t.edges]
    io = [(k, t.dag_id, t.task_id, "read") for t in result.tasks for k in t.reads]
    io += [(k, t.dag_id, t.task_id, "write") for t in result.tasks for k in t.writes]
    return assets, edges, io


def graph_rows(graph: nx.MultiDiGraph, skip_dags: set[str]) -> Rows:
    """Rows of a catalog graph, leaving out the DAGs this change re-defines."""
    assets = [(k, d["namespace"], d["name"]) for k, d in graph.nodes(data=True)]
    edges = [(a, b, e["dag_id"], e["task_id"]) for a, b, e in graph.edges(data=True) if e["dag_id"] not in skip_dags]
    io = [(k, dag, task, mode) for k, d in graph.nodes(data=True)
          for mode, pairs in (("write", d["writers"]), ("read", d["readers"])) for dag, task in pairs if dag not in skip_dags]
    return assets, edges, io


def united(parts: Iterable[Rows]) -> nx.MultiDiGraph:
    assets, edges, io = [], [], []
    for a, e, i in parts:
        assets += a
        edges += e
        io += i
    return build_graph(dict.fromkeys(assets), dict.fromkeys(edges), list(dict.fromkeys(io)))


def assess(changes: ChangeSet, base: ScanResult, head: ScanResult, others: nx.MultiDiGraph | None,
           base_graph: nx.MultiDiGraph | None = None, head_graph: nx.MultiDiGraph | None = None) -> Impact:
    """Blast radius, broken consumers and schedule risks of ``changes`` (owners are attached afterwards)."""
    if others is None and base_graph is not None and head_graph is not None:
        graphs, after = [base_graph, head_graph], head_graph
    else:
        repo_dags = {d.dag_id for d in base.dags} | {d.dag_id for d in head.dags}
        catalog_rows = graph_rows(others, repo_dags) if others is not None else ([], [], [])
        after = united([scan_rows(head), catalog_rows])
        graphs = [united([scan_rows(base), catalog_rows]), after]
    impact = Impact()
    impact.blast_radius = _blast_radius(graphs, after, changes.touched)
    impact.broken = _broken(base, after)
    impact.schedule_risks = _schedule_risks(changes, head, after)
    impact.affected_dags = sorted({d for i in impact.blast_radius for d in i.dags})
    return impact


def involved(impact: Impact) -> set[str]:
    return {i.asset for i in impact.blast_radius} | {b.asset for b in impact.broken}


def attach_owners(impact: Impact, owners: dict[str, list[str]]) -> None:
    for row in impact.blast_radius:
        row.owners = owners.get(row.asset, [])
    for row in impact.broken:
        row.owners = owners.get(row.asset, [])
    impact.owners_to_notify = sorted({o for i in impact.blast_radius if i.hops > 0 or i.consumers for o in i.owners}
                                     | {o for b in impact.broken for o in b.owners})


def _blast_radius(graphs: list[nx.MultiDiGraph], after: nx.MultiDiGraph, seeds: list[str]) -> list[Impacted]:
    """Downstream of the seeds in BASE or in HEAD, each asset at its shorter distance."""
    hops: dict[str, int] = {}
    for graph in graphs:
        for seed in seeds:
            if seed in graph:
                for key, distance in downstream(graph, seed).items():
                    hops[key] = min(distance, hops.get(key, distance))
    rows = []
    for key, distance in sorted(hops.items(), key=lambda item: (item[1], item[0])):
        feeding = {via for graph in graphs if key in graph for source, _, via in graph.in_edges(key, keys=True) if source in hops}
        data = next(g.nodes[key] for g in [after, *graphs] if key in g)
        rows.append(Impacted(key, distance, sorted(feeding), list(data["consumers"]), sorted({d for d, _ in data["readers"]})))
    return rows


def _broken(base: ScanResult, after: nx.MultiDiGraph) -> list[Broken]:
    """Assets written before the change, written by nothing after it, and still read."""
    written_before: dict[str, set[str]] = {}
    for task in base.tasks:
        for key in task.writes:
            written_before.setdefault(key, set()).add(f"{task.dag_id}.{task.task_id}")
    out = []
    for key, producers in sorted(written_before.items()):
        data = after.nodes[key] if key in after else None
        if data is None or data["producers"] or not data["consumers"]:
            continue
        out.append(Broken(key, sorted(producers), list(data["consumers"])))
    return out


def _schedule_risks(changes: ChangeSet, head: ScanResult, after: nx.MultiDiGraph) -> list[ScheduleRisk]:
    schedules = {d.dag_id: d.schedule for d in head.dags}
    risks = []
    for dag in changes.schedule_changes:
        assets, readers = [], {}
        for key, data in after.nodes(data=True):
            if any(d == dag.dag_id for d, _ in data["writers"]):
                others = {d for d, _ in data["readers"] if d != dag.dag_id}
                if others:
                    assets.append(key)
                    readers.update({d: schedules.get(d) for d in others})
        risks.append(ScheduleRisk(dag.dag_id, dag.schedule_before, dag.schedule_after, sorted(assets), dict(sorted(readers.items()))))
    return risks


def as_dict(obj: Any) -> Any:
    from dataclasses import asdict, is_dataclass

    return asdict(obj) if is_dataclass(obj) else [as_dict(o) for o in obj] if isinstance(obj, list) else obj
