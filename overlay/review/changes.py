"""What changed between two scans of the same repository: tasks, DAGs, assets, cross-DAG links, coverage.

Pure functions over two ``ScanResult`` values (BASE and HEAD). The blast radius downstream of these
changes is worked out in ``overlay.review.impact``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import networkx as nx

from overlay.graph import graph_from_scan
from overlay.model import DagSpec, ResolvedTask, ScanResult
from overlay.review.sqltext import sql_diff

Kind = Literal["added", "removed", "changed"]
RESOLVED = "resolved"
NOT_RESOLVED = ("partial", "unresolved")


@dataclass
class TaskChange:
    dag_id: str
    task_id: str
    kind: Kind
    file: str
    line: int | None
    reads_added: list[str] = field(default_factory=list)
    reads_removed: list[str] = field(default_factory=list)
    writes_added: list[str] = field(default_factory=list)
    writes_removed: list[str] = field(default_factory=list)
    sql_changed: bool = False
    sql_diff: list[str] = field(default_factory=list)
    status_before: str | None = None
    status_after: str | None = None
    touched: list[str] = field(default_factory=list)  # assets whose data this change alters (its writes, both sides)

    @property
    def ref(self) -> str:
        return f"{self.dag_id}.{self.task_id}"


@dataclass
class DagChange:
    dag_id: str
    kind: Kind
    file: str
    schedule_before: str | None = None
    schedule_after: str | None = None


@dataclass
class LinkChange:
    asset: str
    from_dag: str
    to_dag: str
    kind: Literal["added", "removed"]


@dataclass
class CoverageChange:
    task: str
    before: str | None  # None: a new task
    after: str | None  # None: a removed task
    reasons: list[str] = field(default_factory=list)
    file: str | None = None
    line: int | None = None

    @property
    def lost(self) -> bool:
        return self.after in NOT_RESOLVED and self.before not in NOT_RESOLVED


@dataclass
class ChangeSet:
    tasks: list[TaskChange] = field(default_factory=list)
    dags: list[DagChange] = field(default_factory=list)
    assets_added: list[str] = field(default_factory=list)
    assets_removed: list[str] = field(default_factory=list)
    links: list[LinkChange] = field(default_factory=list)
    coverage: list[CoverageChange] = field(default_factory=list)

    @property
    def touched(self) -> list[str]:
        """Every asset the change alters: written by an added, removed or changed task, or gone."""
        return sorted({k for t in self.tasks for k in t.touched} | set(self.assets_removed))

    @property
    def schedule_changes(self) -> list[DagChange]:
        return [d for d in self.dags if d.kind == "changed" and d.schedule_before != d.schedule_after]


def compare(base: ScanResult, head: ScanResult, base_graph: nx.MultiDiGraph | None = None,
            head_graph: nx.MultiDiGraph | None = None) -> ChangeSet:
    changes = ChangeSet()
    before, after = _tasks(base), _tasks(head)
    for ref in sorted(before.keys() | after.keys()):
        change = _task_change(before.get(ref), after.get(ref))
        if change is not None:
            changes.tasks.append(change)
        coverage = _coverage_change(before.get(ref), after.get(ref))
        if coverage is not None:
            changes.coverage.append(coverage)
    changes.dags = _dag_changes({d.dag_id: d for d in base.dags}, {d.dag_id: d for d in head.dags}, changes.tasks)
    base_assets, head_assets = {a.key for a in base.assets}, {a.key for a in head.assets}
    changes.assets_added = sorted(head_assets - base_assets)
    changes.assets_removed = sorted(base_assets - head_assets)
    changes.links = _link_changes(base_graph if base_graph is not None else graph_from_scan(base),
                                  head_graph if head_graph is not None else graph_from_scan(head))
    return changes


def _tasks(result: ScanResult) -> dict[str, ResolvedTask]:
    return {f"{t.dag_id}.{t.task_id}": t for t in result.tasks}


def _task_change(old: ResolvedTask | None, new: ResolvedTask | None) -> TaskChange | None:
    if old is None and new is None:
        return None
    if old is not None and new is not None and old.reads == new.reads and old.writes == new.writes and old.sql == new.sql:
        return None  # the same reads, writes and SQL text: nothing to compare (most tasks of a change)
    some = new or old
    assert some is not None
    change = TaskChange(some.dag_id, some.task_id, "changed", some.file, some.line,
                        status_before=old.status if old else None, status_after=new.status if new else None)
    reads_old, reads_new = set(old.reads) if old else set(), set(new.reads) if new else set()
    writes_old, writes_new = set(old.writes) if old else set(), set(new.writes) if new else set()
    change.reads_added, change.reads_removed = sorted(reads_new - reads_old), sorted(reads_old - reads_new)
    change.writes_added, change.writes_removed = sorted(writes_new - writes_old), sorted(writes_old - writes_new)
    change.sql_diff = sql_diff(old.sql if old else [], new.sql if new else [], some.task_id)
    change.sql_changed = bool(change.sql_diff)
    if old is None or new is None:
        change.kind = "added" if old is None else "removed"
    elif not (change.sql_changed or change.reads_added or change.reads_removed or change.writes_added or change.writes_removed):
        return None
    change.touched = sorted(writes_old | writes_new)
    return change


def _coverage_change(old: ResolvedTask | None, new: ResolvedTask | None) -> CoverageChange | None:
    """A task whose reads and writes became unknown (or a new task overlay cannot resolve), or the reverse."""
    if new is None:  # a removed task takes its gap with it: not a coverage change
        return None
    was, now = (old.status if old else None), new.status
    lost = now in NOT_RESOLVED and was not in NOT_RESOLVED
    gained = was in NOT_RESOLVED and now not in NOT_RESOLVED
    if not (lost or gained):
        return None
    return CoverageChange(f"{new.dag_id}.{new.task_id}", was, now, list(new.errors), new.file, new.line)


def _dag_changes(before: dict[str, DagSpec], after: dict[str, DagSpec], tasks: list[TaskChange]) -> list[DagChange]:
    touched_dags = {t.dag_id for t in tasks}
    out = []
    for dag_id in sorted(before.keys() | after.keys()):
        old, new = before.get(dag_id), after.get(dag_id)
        some = new or old
        assert some is not None
        if old is None or new is None:
            out.append(DagChange(dag_id, "added" if old is None else "removed", some.file,
                                 old.schedule if old else None, new.schedule if new else None))
        elif old.schedule != new.schedule or dag_id in touched_dags:
            out.append(DagChange(dag_id, "changed", new.file, old.schedule, new.schedule))
    return out


def _link_changes(base: nx.MultiDiGraph, head: nx.MultiDiGraph) -> list[LinkChange]:
    def links(graph: nx.MultiDiGraph, other: nx.MultiDiGraph) -> set[tuple[str, str, str]]:
        """(asset, writing DAG, reading DAG) as ``cross_dag_links`` lists them, without their task lists; an asset
        with the same writers and readers in ``other`` is left out (its links are on both sides: no change)."""
        out = set()
        for key, data in graph.nodes(data=True):
            same = other.nodes.get(key)
            if same is not None and same["writers"] == data["writers"] and same["readers"] == data["readers"]:
                continue
            readers = {d for d, _ in data["readers"]}
            out.update((key, w, r) for w in {d for d, _ in data["writers"]} for r in readers - {w})
        return out

    old, new = links(base, head), links(head, base)
    return ([LinkChange(*l, kind="added") for l in sorted(new - old)]
            + [LinkChange(*l, kind="removed") for l in sorted(old - new)])


def as_dict(obj: Any) -> Any:
    """Dataclasses of this module as JSON data."""
    from dataclasses import asdict, is_dataclass

    if is_dataclass(obj):
        data = asdict(obj)
        if isinstance(obj, TaskChange):
            data["ref"] = obj.ref
        if isinstance(obj, CoverageChange):
            data["lost"] = obj.lost
        return data
    if isinstance(obj, list):
        return [as_dict(o) for o in obj]
    return obj
