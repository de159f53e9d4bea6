"""Response models of the API: what each route returns, typed for the OpenAPI schema.

Models allow extra fields, so a field a route adds shows in responses before its model names it.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, with_config
from typing_extensions import NotRequired, TypedDict

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
    queries: int = Field(description="Warehouse queries attributed to it (`overlay attribute`).")


def contacts_field() -> Any:
    return Field([], description="People or groups to talk to besides the owners (the DAG's `owner`, `owner_links`, a CODEOWNERS "
                                 "entry that is not the owner).", examples=[["maria"]])


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
    contacts: list[str] = contacts_field()
    owner_conflict: bool = Field(description="Tasks of different owners write it.")
    producers: int = Field(description="Tasks that write it.")
    consumers: int = Field(description="Tasks that read it.")
    evidence: Evidence
    verdict: Verdict = Field(description=VERDICT_TEXT)
    match: int | None = Field(None, description="With `search`: how the asset matches, an index into the search's tiers (0 best: "
                                                "its table name is the text; then its key contains the text, every word, ...).")


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
    source: str | None = Field(None, description="The catalog source (deployment or repository) of the task's DAG.")


class Neighbour(Model):
    key: str
    via: str = Field(description="The task (`dag_id.task_id`) that links the two assets.")


@with_config(ConfigDict(extra="allow"))
class OwnershipClaim(TypedDict):
    """One claim on who owns or is a contact for an asset, a DAG or a task, with where it comes from. A claim is
    answered as the catalog holds it: a field it does not carry is left out (so a page of `/graph` is what
    `overlay export` says)."""

    owner: Annotated[str, Field(description="The owner or contact named.", examples=["@tempo/growth-data"])]
    team: NotRequired[Annotated[str | None, Field(description="Its team, where the rule or a `team:` tag names one.")]]
    rule: NotRequired[Annotated[str | None, Field(description="What the claim comes from: overlay.yaml | CODEOWNERS | dag owner | "
                                                              "owner_links | tag ...", examples=["CODEOWNERS"])]]
    source: NotRequired[Annotated[str | None, Field(description="Where that is written: a file:line, a rule's place in overlay.yaml, "
                                                                "a DAG and its file.")]]
    role: NotRequired[Annotated[str | None, Field(description="owner (who owns it) | contact (a person to talk to, not the owner).",
                                                  examples=["owner"])]]
    link: NotRequired[Annotated[str | None, Field(description="The DAG's `owner_links` entry for this name (a mailto: or a URL).")]]
    source_name: NotRequired[Annotated[str | None, Field(description="The catalog source whose scan made the claim.")]]


class Materialization(Model):
    dag_id: str
    task_id: str
    run_id: str
    try_number: int
    start_date: Timestamp | None
    end_date: Timestamp | None
    state: str
    source: str = Field(description="listener | runs sync")
    source_name: str | None = Field(None, description="The catalog source (Airflow deployment) the run belongs to.")


class AssetDetail(Model):
    key: str
    namespace: str
    name: str
    owners: list[str]
    ownership: list[OwnershipClaim] = Field(description="Every claim, with where it comes from.")
    contacts: list[str] = contacts_field()
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
    source: str | None = Field(None, description="The catalog source (deployment or repository) the DAG belongs to.")
    ownership: list[OwnershipClaim] = Field([], description="Who owns the DAG and whom to talk to, each claim with its rule and source.")


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
    source: str | None = Field(None, description="The catalog source (deployment or repository) of the task's DAG.")
    ownership: list[OwnershipClaim] = Field([], description="Who owns the task and whom to talk to, each claim with its rule and source.")


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
    source: str | None = Field(None, description="The catalog source (deployment or repository) the DAG belongs to.")
    ownership: list[OwnershipClaim] = Field([], description="Who owns the DAG and whom to talk to, each claim with its rule and source.")


class AssetOwners(Model):
    key: str
    owners: list[str]
    contacts: list[str] = contacts_field()
    ownership: list[OwnershipClaim]
    conflict: bool
    producers: list[str]


class Owners(Model):
    assets: list[AssetOwners]
    conflicts: list[str] = Field(description="Assets written by tasks of different owners.")
    unowned: list[str] = Field(description="Assets written by tasks that name no owner.")
    sources: list[str] = Field([], description="Assets read but written by no scanned task: no owner to infer (an overlay.yaml "
                                               "`ownership:` rule records one).")


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


class Team(Model):
    name: str = Field(examples=["@tempo/growth-data"])
    rule: str = Field(description="overlay.yaml | CODEOWNERS | team tag")
    source: str = Field(description="Where it is written.")


class Contact(Model):
    name: str = Field(examples=["maria"])
    role: str = Field(description="owner | contact")
    rule: str | None = Field(None, description="What names them: overlay.yaml | CODEOWNERS | dag owner | ...")
    source: str | None = Field(None, description="Where it is written.")
    link: str | None = Field(None, description="The DAG's `owner_links` entry (mailto: or URL), if any.")


class Who(Model):
    """The contact card of ``overlay who``: the owning team and the people to talk to, each with its source."""

    kind: str = Field(description="asset | dag | task", examples=["asset"])
    id: str = Field(description="The asset key, DAG id or `dag_id.task_id` the subject resolved to.")
    team: Team | None = Field(description="The owning team: an overlay.yaml rule's team, else a CODEOWNERS team, else a `team:` tag.")
    contacts: list[Contact] = Field(description="Everyone named, owners first, then contacts.")
    note: str | None = Field(None, description="When nobody is named: why, and which setting would name someone.")


class LastScan(Model):
    id: int
    started_at: Timestamp | None
    finished_at: Timestamp | None
    folders: list[str] = Field(description="The folders scanned.")
    mode: str = Field(description="auto | import | static")
    git_commit: str | None
    bundle_version: str | None
    unchanged: bool = Field(description="Nothing had changed since the scan before: the catalog was left as it was.")
    errors: int = Field(description="Problems, one per file (a file read statically after its import failed is one).")
    files: int = Field(description="DAG files read.")


class SourceCounts(Model):
    dags: int
    tasks: int
    assets: int = Field(description="Assets its tasks read or write.")


class SourceCoverage(Model):
    tasks: int
    resolved: int
    partial: int
    unresolved: int
    no_data: int = Field(description="Tasks that touch no data.")
    resolved_share: float | None = Field(description="resolved / tasks (null with no task).")


class RunSync(Model):
    at: Timestamp
    from_: str | None = Field(None, alias="from", description="The Airflow URL synced from.")


class Source(Model):
    """A source (deployment or repository) of the catalog: its last scan, counts, coverage and last run sync."""

    name: str | None = Field(None, examples=["default"])
    created_at: Timestamp | None = Field(None, description="When the catalog first saw the source.")
    last_scan: LastScan | None = Field(None, description="Its last successful scan; null before the first.")
    commit: str | None = Field(None, description="The git commit of the scanned folder at the last scan.")
    bundle_version: str | None = Field(None, description="The DAG bundle version Airflow knew at the last scan (git bundles).")
    counts: SourceCounts | None = None
    coverage: SourceCoverage | None = None
    last_run_sync: RunSync | None = Field(None, description="The last `overlay runs sync` into this source; null if none.")
    last_run: Timestamp | None = Field(None, description="End of the newest recorded task run of the source.")


class SourceList(Model):
    total: int
    items: list[Source]
