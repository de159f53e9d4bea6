"""Response models of the overview routes (``overlay.api.overview``): the UI's home, coverage, path and cost pages."""

from __future__ import annotations

from pydantic import Field

from overlay.api.models import Model, Timestamp


class Counts(Model):
    assets: int
    dags: int
    tasks: int
    owners: int = Field(description="Distinct owners named by the assets' ownership claims.")
    sources: int = Field(description="Sources (deployments or repositories) with DAGs.")


class SourceCount(Model):
    name: str
    assets: int = Field(description="Assets its tasks read or write.")
    dags: int


class DagCount(Model):
    dag_id: str
    assets: int = Field(description="Assets its tasks read or write.")


class TeamCount(Model):
    owner: str = Field(description="The claim's team, else its owner.")
    assets: int


class RecentFailure(Model):
    key: str
    dag_id: str
    task_id: str
    state: str = Field(examples=["failed"])
    at: Timestamp | None = Field(description="When the failed try ended.")


class StaleItem(Model):
    key: str
    late_by_seconds: int | None = Field(description="How long past its allowed lag; null when it never succeeded.")
    reason: str = Field(description="The most direct cause (the whole chain is in `reasons`).")
    reasons: list[str] = Field(default_factory=list)


class RecentChange(Model):
    key: str
    change: str = Field(description="What changed it.", examples=["materialized by finance_revenue.build_daily_revenue (run manual__1)"])
    at: Timestamp | None
    source: str = Field(description="The catalog source the run belongs to.")


class Summary(Model):
    """The catalog home: counts, the biggest sources, DAGs and teams, and what failed, is late or changed lately."""

    counts: Counts
    by_source: list[SourceCount]
    by_dag: list[DagCount] = Field(description="The 20 DAGs touching most assets.")
    by_team: list[TeamCount] = Field(description="The 20 teams owning most assets.")
    recent_failures: list[RecentFailure] = Field(description="Assets whose latest recorded run failed, newest first (20).")
    stale: list[StaleItem] = Field(description="Assets later than their freshness rule, the latest first.")
    recently_changed: list[RecentChange] = Field(description="Assets whose latest run succeeded, newest first (20).")


class CoverageTotals(Model):
    resolved: int
    partial: int
    unresolved: int
    no_data: int


class CoverageTask(Model):
    dag_id: str
    task_id: str
    file: str
    line: int | None


class CoverageReason(Model):
    reason: str = Field(description="The reason, with what is particular to one task (lines, quoted names) taken out.")
    setting: str | None = Field(description="The overlay.yaml setting that would resolve it, where there is one.")
    count: int = Field(description="Tasks with this reason.")
    tasks: list[CoverageTask] = Field(description="Those tasks (the first 200).")


class Coverage(Model):
    """Tasks by resolution status, and the partial and unresolved ones by reason."""

    totals: CoverageTotals
    reasons: list[CoverageReason]


class PathEdge(Model):
    from_: str = Field(alias="from")
    to: str
    via: str = Field(description="The task (`dag_id.task_id`) moving the data; the first by name when several do.")
    tasks: list[str] = Field(description="Every task moving data between the two.")


class GraphPath(Model):
    """The shortest path between two assets, following the edges from -> to (else to -> from)."""

    nodes: list[str]
    edges: list[PathEdge]


class CostPoint(Model):
    period: str = Field(description="The day, or the Monday of the week (YYYY-MM-DD).", examples=["2026-11-30"])
    cost: float
    queries: int


class AssetCost(Model):
    """Warehouse cost of the queries attributed to one asset, per day or week."""

    key: str
    bucket: str
    series: list[CostPoint]
    total: float
