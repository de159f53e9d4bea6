"""Response models of the API: what each route returns, typed for the OpenAPI schema.

Models allow extra fields, so a field a route adds shows in responses before its model names it.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

# the catalog stores UTC; SQLite gives it back without an offset, which is not an RFC 3339 date-time
Timestamp = Annotated[datetime, AfterValidator(lambda d: d if d.tzinfo else d.replace(tzinfo=timezone.utc))]


class Model(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)


class Error(Model):
    """Every error: a message for a person and the HTTP status."""

    error: str = Field(description="What went wrong, and what to do about it.", examples=["no asset matches 'daily_revenu'"])
    status: int = Field(examples=[404])
    candidates: list[str] | None = Field(None, description="409 only: the asset keys an ambiguous key matches.")
    details: list[dict[str, Any]] | None = Field(None, description="400 on a bad parameter: `{parameter, problem}` each.")


class Health(Model):
    status: str = Field(examples=["ok"])
    last_scan: Timestamp | None = Field(description="When the last scan finished; null before the first scan.")


class Page(Model):
    total: int = Field(description="Items matching, over all pages.")
    limit: int
    offset: int


class Evidence(Model):
    """What shows an asset is in use (search ranks ties by it; the verdict among same-named assets rests on it)."""

    producers: int = Field(description="Tasks that write it.")
    consumers: int = Field(description="Tasks that read it.")
    owners: int = Field(description="Owners named for it.")
    last_materialized: Timestamp | None = Field(description="End of its last successful run (listener or `runs sync`); null if none.")
    queries: int = Field(description="Warehouse queries attributed to it (`overlay cost ingest`).")


Verdict = Literal["preferred", "likely_legacy"] | None
VERDICT_TEXT = ("Among assets with the same table name (last part of the name): `preferred` has strictly the most evidence, "
                "a producer and an owner among it; `likely_legacy` has no producer, no owner and no recent run while a "
                "same-named one has a producer or an owner; null otherwise (or when no other asset has its table name).")


class SameName(Model):
    key: str
    verdict: Verdict = Field(description=VERDICT_TEXT)
    evidence: Evidence


class AssetSummary(Model):
    key: str = Field(description="`namespace:name`", examples=["warehouse:tempo.finance.daily_revenue"])
    namespace: str = Field(examples=["warehouse"])
    name: str = Field(examples=["tempo.finance.daily_revenue"])
    owners: list[str] = Field(description="Owners of the asset (from its ownership claims).", examples=[["finance-data@tempo.fm"]])
    owner_conflict: bool = Field(description="Tasks of different owners write it.")
    producers: int = Field(description="Tasks that write it.")
    consumers: int = Field(description="Tasks that read it.")
    evidence: Evidence
    verdict: Verdict = Field(description=VERDICT_TEXT)


class AssetPage(Page):
    total_is_estimate: bool = Field(False, description="`total` is estimated from a sample: a `search` matching more than "
                                    "1,000 assets that the database cannot count from an index (a word under three characters, "
                                    "or combined with `owner` or `source`). The page itself is exact.")
    items: list[AssetSummary]


class TaskRef(Model):
    task: str = Field(description="`dag_id.task_id`", examples=["finance_revenue.build_daily_revenue"])
    dag_id: str
    task_id: str
    operator: str
    file: str
    line: int | None
    status: str = Field(description="resolved | partial | unresolved | no_sql ...")
    owner: str | None


class Neighbour(Model):
    key: str
    via: str = Field(description="The task (`dag_id.task_id`) that links the two assets.")


class OwnershipClaim(Model):
    owner: str
    team: str | None = None
    rule: str | None = Field(None, description="The rule or metadata the claim comes from.")
    source: str | None = None


class Materialization(Model):
    dag_id: str
    task_id: str
    run_id: str
    try_number: int
    start_date: Timestamp | None
    end_date: Timestamp | None
    state: str
    source: str = Field(description="listener | runs sync")


class AssetDetail(Model):
    key: str
    namespace: str
    name: str
    owners: list[str]
    ownership: list[OwnershipClaim] = Field(description="Every claim, with where it comes from.")
    owner_conflict: bool
    columns: list[Any]
    producers: list[TaskRef]
    consumers: list[TaskRef]
    consumer_tasks: int
    consumer_dags: int
    upstream: list[Neighbour]
    downstream: list[Neighbour]
    last_materialization: Materialization | None
    freshness: Any | None = None
    cost: Any | None = None
    evidence: Evidence
    verdict: Verdict = Field(description=VERDICT_TEXT)
    same_name: list[SameName] = Field(description="The other assets with the same table name, with their verdict and evidence.")


class LineageNode(Model):
    key: str
    distance: int = Field(description="Steps from the root (0 for the root).")
    namespace: str
    name: str


class Edge(Model):
    from_: str = Field(alias="from", description="Asset key read.")
    to: str = Field(description="Asset key written.")
    via: str = Field(description="The task (`dag_id.task_id`).")


class Lineage(Model):
    root: str
    direction: str
    depth: int
    nodes: list[LineageNode]
    edges: list[Edge]


class MaterializationList(Model):
    key: str
    materializations: list[Materialization]


class DagSummary(Model):
    dag_id: str
    file: str
    line: int | None
    mode: str = Field(description="How the DAG was read: import | static")
    owners: list[str]
    owner_links: dict[str, Any]
    tags: list[str]
    schedule: str | None = Field(description="The schedule as written (cron, preset, timedelta, asset-triggered...).",
                                 examples=["@daily"])
    tasks: int = Field(description="Number of tasks.")


class DagPage(Page):
    items: list[DagSummary]


class Task(Model):
    dag_id: str
    task_id: str
    operator: str
    file: str
    line: int | None
    owner: str | None
    reads: list[str]
    writes: list[str]
    status: str
    errors: list[str] = Field(description="Why a task is partial or unresolved, and what setting would resolve it.")
    upstream: list[str] = Field(description="Upstream task ids in the DAG.")


class TaskDetail(Task):
    sql: list[Any] = Field(description="The statements the task runs, as overlay rendered them.")
    sql_files: list[Any]
    columns: dict[str, Any]


class DagDetail(Model):
    dag_id: str
    file: str
    line: int | None
    mode: str
    owners: list[str]
    owner_links: dict[str, Any]
    tags: list[str]
    schedule: str | None
    tasks: list[Task]


class AssetOwners(Model):
    key: str
    owners: list[str]
    ownership: list[OwnershipClaim]
    conflict: bool
    producers: list[str]


class Owners(Model):
    assets: list[AssetOwners]
    conflicts: list[str] = Field(description="Assets written by tasks of different owners.")
    unowned: list[str] = Field(description="Written assets without an owner.")


class Stale(Model):
    stale: list[dict[str, Any]] = Field(description="`{key, rule, max_lag, last_success, lag_seconds, reasons}` per late asset.")
    rules: int = Field(description="Freshness rules in the settings.")


class CostReport(Model):
    by: str
    since: str | None
    until: str | None
    total: float
    groups: list[dict[str, Any]] = Field(description="`{group, cost, share}` per group, most expensive first.")
    previous: dict[str, Any] | None = Field(None, description="With compare=previous: the period before.")
    movers: list[dict[str, Any]] | None = Field(None, description="With compare=previous: the groups that changed most.")


class GraphAsset(Model):
    key: str
    namespace: str
    name: str
    owners: list[str]
    owner_conflict: bool
    producers: list[str]
    consumers: list[str]


class GraphDag(Model):
    dag_id: str
    file: str
    owners: list[str]
    tags: list[str]
    schedule: str | None
    mode: str


class CrossDagLink(Model):
    asset: str
    from_dag: str
    to_dag: str
    producers: list[str]
    consumers: list[str]


class ScanErrorItem(Model):
    file: str
    error: str
    line: int | None
    stage: str


class GraphPage(Page):
    assets: list[GraphAsset] = Field(description="This page of assets, by key.")
    tasks: list[Task] = Field(description="Tasks that read or write an asset of the page.")
    edges: list[Edge] = Field(description="Edges leaving an asset of the page (each edge is on one page).")
    dags: list[GraphDag] = Field(description="DAGs of those tasks.")
    cross_dag: list[CrossDagLink] = Field(description="Assets of the page written by one DAG and read by another.")
    errors: list[ScanErrorItem] = Field(description="Files the last scan could not read (first page only).")


class SelectionNode(Model):
    """An asset of the selection, or with ``group_by`` a collapsed group of them."""

    id: str = Field(description="The asset key, or the group's name.")
    group: bool = Field(False, description="True for a collapsed group.")
    count: int | None = Field(None, description="Assets in the group.")
    members: list[str] | None = Field(None, description="The group's first 50 assets.")


class SelectionEdge(Model):
    from_: str = Field(alias="from", description="Asset key or group.")
    to: str
    via: list[str] = Field(description="Tasks moving the data (first 20).")
    count: int = Field(description="How many tasks move data between the two.")


class GraphSelection(Model):
    """The part of the graph a `select` expression names, flat or grouped (`group_by`)."""

    selected: int = Field(description="Assets selected.")
    group_by: str | None = None
    truncated: bool = Field(description="More nodes than `limit`: nodes cut, no edges; group or narrow the selection.")
    grouped_because: str | None = Field(None, description="Set when the selection had more than `max_nodes` assets and no "
                                        "`group_by`: grouped by schema instead (`\"<n> nodes > <max_nodes>\"`).")
    nodes: list[SelectionNode]
    edges: list[SelectionEdge]


class Who(Model):
    """The contact card of ``overlay who``: the owning team and the people to talk to, each with its source."""

    kind: str = Field(description="asset | dag | task", examples=["asset"])
    id: str = Field(description="The asset key, DAG id or `dag_id.task_id` the subject resolved to.")
    note: str | None = Field(None, description="When nobody is named: why, and which setting would name someone.")


class Source(Model):
    """A source (deployment or repository) of the catalog: its last scan, counts, coverage and last run sync."""

    name: str | None = Field(None, examples=["default"])


class SourceList(Model):
    total: int
    items: list[Source]
