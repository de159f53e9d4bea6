"""``overlay lint``: findings only a static view of all DAGs can give, each with file:line, severity and a fix.

Rules are data (``RULES``): an id, a default severity and a check over one ``LintContext``. Severities
and ignores come from the ``lint:`` section of overlay.yaml::

    lint:
      severity: {dead-asset: off, two-writers: error}
      ignore: [{rule: dangling-read, match: "*raw.*"}]
"""

from __future__ import annotations

import difflib
import fnmatch
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import networkx as nx

from airflow_plugin.policy import asset_uri
from overlay.graph import cross_dag_links, owner_conflicts
from overlay.model import DagSpec, ScanResult, TaskSpec
from overlay.review.schedules import race

SEVERITIES = ("error", "warning", "info")
SENSOR_OPERATORS = {"ExternalTaskSensor": "external_dag_id"}
TRIGGER_OPERATORS = {"TriggerDagRunOperator": "trigger_dag_id"}


@dataclass
class Finding:
    rule: str
    severity: str
    message: str
    fix: str
    file: str | None = None
    line: int | None = None
    subject: str = ""  # the asset or DAG the finding is about (what `ignore` matches)


@dataclass
class LintContext:
    result: ScanResult
    graph: nx.MultiDiGraph  # the repository's tasks, and the catalog's other DAGs where given
    owners: dict[str, list[str]] = field(default_factory=dict)  # asset key -> owners
    durations: dict[str, timedelta] = field(default_factory=dict)  # dag_id -> typical run time (run history)
    costs: dict[str, float] = field(default_factory=dict)  # asset key -> attributed cost
    queried: set[str] = field(default_factory=set)  # assets query history shows being used
    task_owners: dict[str, list[str]] = field(default_factory=dict)  # dag_id.task_id -> owners from DAG metadata

    def __post_init__(self) -> None:
        self.dags: dict[str, DagSpec] = {d.dag_id: d for d in self.result.dags}
        self.tasks = {(t.dag_id, t.task_id): t for t in self.result.tasks}

    def where(self, dag_id: str, task_id: str | None = None) -> tuple[str | None, int | None]:
        task = self.tasks.get((dag_id, task_id)) if task_id else None
        if task is not None:
            return task.file, task.line
        dag = self.dags.get(dag_id)
        return (dag.file, dag.line) if dag else (None, None)


@dataclass(frozen=True)
class Rule:
    id: str
    severity: str
    title: str
    check: Callable[[LintContext], Iterable[Finding]]


def _dag_tasks(ctx: LintContext, dag_id: str) -> list[TaskSpec]:
    dag = ctx.dags.get(dag_id)
    return list(dag.tasks) if dag else []


def _ordered(ctx: LintContext, producer: str, consumer: str, asset: str) -> str | None:
    """What orders ``consumer`` after ``producer`` (None: nothing does)."""
    schedule = (ctx.dags[consumer].schedule or "") if consumer in ctx.dags else ""
    if "Asset" in schedule or "Dataset" in schedule:
        return "asset schedule"
    for task in _dag_tasks(ctx, consumer):
        if task.operator in SENSOR_OPERATORS and task.args.get(SENSOR_OPERATORS[task.operator]) in (producer, None):
            return f"{task.operator} {task.task_id}"
        if task.operator.endswith("Sensor"):
            resolved = ctx.tasks.get((consumer, task.task_id))
            if resolved is not None and asset in resolved.reads:
                return f"sensor {task.task_id} on the table"
    for task in _dag_tasks(ctx, producer):
        if task.operator in TRIGGER_OPERATORS and task.args.get(TRIGGER_OPERATORS[task.operator]) == consumer:
            return f"{task.operator} {task.task_id}"
    return None


def implicit_dependencies(ctx: LintContext) -> Iterator[Finding]:
    """One finding per (producer DAG, consumer DAG) pair that shares tables with nothing ordering them."""
    pairs: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for link in cross_dag_links(ctx.graph):
        producer, consumer = link["from_dag"], link["to_dag"]
        if (producer in ctx.dags or consumer in ctx.dags) and not _ordered(ctx, producer, consumer, link["asset"]):
            pairs.setdefault((producer, consumer), []).append(link)
    for (producer, consumer), links in sorted(pairs.items()):
        assets = [link["asset"] for link in links]
        writers = sorted({p for link in links for p in link["producers"]})
        reader = links[0]["consumers"][0][len(consumer) + 1:]
        file, line = ctx.where(consumer, reader)
        assets_py = ", ".join(f'Asset("{asset_uri(a)}")' for a in assets)
        yield Finding("implicit-dependency", "warning",
                      f"DAG {consumer} reads {', '.join(assets)}, written by DAG {producer} ({', '.join(writers)}), "
                      f"and nothing orders the two",
                      f"schedule {consumer} on the asset(s) (`schedule=[{assets_py}]`) and add them as `outlets` of "
                      f"{', '.join(writers)}, or opt in to overlay's cluster policy (airflow_plugin.policy), "
                      f"or wait with an ExternalTaskSensor on {producer}",
                      file, line, f"{producer}->{consumer}")


def schedule_races(ctx: LintContext) -> Iterator[Finding]:
    for link in cross_dag_links(ctx.graph):
        producer, consumer = link["from_dag"], link["to_dag"]
        if producer not in ctx.dags or consumer not in ctx.dags:
            continue
        before = race(ctx.dags[producer].schedule, ctx.dags[consumer].schedule, ctx.durations.get(producer, timedelta(0)))
        if before is None:
            continue
        took = ctx.durations.get(producer)
        file, line = ctx.where(consumer)
        yield Finding("schedule-race", "warning",
                      f"DAG {consumer} ({ctx.dags[consumer].schedule}) starts {_span(before)} before {producer} "
                      f"({ctx.dags[producer].schedule}) is expected to finish writing {link['asset']}"
                      + (f" (its runs take {_span(took)})" if took else ""),
                      f"start {consumer} after {producer}: schedule it on the asset, or later than "
                      f"{producer} plus its run time", file, line, link["asset"])


def two_writers(ctx: LintContext) -> Iterator[Finding]:
    conflicts = owner_conflicts(ctx.graph, ctx.task_owners)
    for key, data in ctx.graph.nodes(data=True):
        dags = sorted({d for d, _ in data["writers"]})
        if len(dags) < 2 and key not in conflicts:
            continue
        dag, task = data["writers"][0]
        file, line = ctx.where(dag, task)
        owners = sorted({o for claim in conflicts.get(key, {}).values() for o in claim})
        yield Finding("two-writers", "warning",
                      f"{key} is written by {', '.join(data['producers'])}"
                      + (f" in {len(dags)} DAGs" if len(dags) > 1 else "") + (f", owned by {', '.join(owners)}" if owners else ""),
                      "keep one producer per table (split the table, or move the writes into one DAG with one owner)",
                      file, line, key)


def dangling_reads(ctx: LintContext) -> Iterator[Finding]:
    names = {data["name"]: key for key, data in ctx.graph.nodes(data=True) if data["writers"]}
    for key, data in sorted(ctx.graph.nodes(data=True)):
        if data["writers"] or not data["readers"]:
            continue
        near = difflib.get_close_matches(data["name"], list(names), n=1, cutoff=0.85)
        dag, task = data["readers"][0]
        if dag not in ctx.dags:
            continue
        file, line = ctx.where(dag, task)
        yield Finding("dangling-read", "warning" if near else "info",
                      f"{key} is read by {', '.join(data['consumers'])} and written by no task of any source",
                      f"did you mean {names[near[0]]}?" if near else
                      "if the table is loaded outside Airflow, declare it (an ownership rule in overlay.yaml) or ignore it under `lint.ignore`",
                      file, line, key)


def dead_assets(ctx: LintContext) -> Iterator[Finding]:
    for key, data in sorted(ctx.graph.nodes(data=True)):
        if not data["writers"] or data["readers"] or key in ctx.queried:
            continue
        dag, task = data["writers"][0]
        if dag not in ctx.dags:
            continue
        file, line = ctx.where(dag, task)
        cost = ctx.costs.get(key)
        yield Finding("dead-asset", "info",
                      f"{key} is written by {', '.join(data['producers'])} and read by no task"
                      + (f"; building it cost {cost:,.2f} USD" if cost else ""),
                      "if a dashboard or a person reads it, say so (ignore it under `lint.ignore`); otherwise stop building it",
                      file, line, key)


RULES: tuple[Rule, ...] = (
    Rule("implicit-dependency", "warning", "Implicit cross-DAG dependency", implicit_dependencies),
    Rule("schedule-race", "warning", "Consumer scheduled before its producer finishes", schedule_races),
    Rule("two-writers", "warning", "Table written by two DAGs or two owners", two_writers),
    Rule("dangling-read", "warning", "Table read but written by nothing", dangling_reads),
    Rule("dead-asset", "info", "Table written but never read", dead_assets),
)


def lint(ctx: LintContext, settings: dict[str, Any] | None = None) -> list[Finding]:
    """Every rule's findings, with overlay.yaml's severities (``off`` drops a rule) and ignores applied."""
    settings = settings or {}
    overrides = settings.get("severity") or {}
    ignores = settings.get("ignore") or []
    findings = []
    for rule in RULES:
        level = overrides.get(rule.id)
        if level == "off":
            continue
        for finding in rule.check(ctx):
            if level in SEVERITIES:
                finding.severity = level
            if not any(i.get("rule") in (None, rule.id) and fnmatch.fnmatch(finding.subject, str(i.get("match", "*"))) for i in ignores):
                findings.append(finding)
    return sorted(findings, key=lambda f: (SEVERITIES.index(f.severity), f.rule, f.file or "", f.line or 0, f.subject))


def _span(delta: timedelta | None) -> str:
    minutes = int((delta or timedelta(0)).total_seconds() // 60)
    return f"{minutes // 60} h {minutes % 60:02d} min" if minutes >= 60 else f"{minutes} min"
