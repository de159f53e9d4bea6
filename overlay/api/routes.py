"""Routes of INTERFACE.md under /api/v1. Read-only; each route is one catalog query, typed by ``overlay.api.models``."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Path, Query, Request

from overlay.api import models
from overlay.catalog import Catalog

router = APIRouter()
Key = Annotated[str, Path(description="Asset key (`namespace:name`) or an unambiguous suffix of its name.", min_length=1,
                          examples=["warehouse:tempo.finance.daily_revenue", "daily_revenue"])]
Limit = Annotated[int, Query(ge=1, le=1000, description="Items per page (1-1000).")]
Offset = Annotated[int, Query(ge=0, le=10_000_000, description="Items to skip.")]
SourceFilter = Annotated[str | None, Query(max_length=250, description="Only this source (deployment or repository); see /api/v1/sources.")]


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The error responses a route documents: the ones it returns, all shaped ``{"error", "status"}``."""
    text = {
        400: "A bad parameter (out of range, not one of the allowed values, not a date, a NUL byte).",
        404: "No such asset, DAG or task.",
        409: "The key matches more than one asset: `candidates` lists them.",
    }
    return {status: {"model": models.Error, "description": text[status]} for status in statuses}


def _catalog(request: Request) -> Catalog:
    catalog = request.app.state.get_catalog()
    scope = getattr(request.state, "catalog_scope", None)  # set by an authenticator when a user may read only some DAGs
    return scope(catalog) if scope is not None else catalog


@router.get("/health", tags=["meta"], response_model=models.Health)
def health(request: Request) -> dict[str, Any]:
    """Whether the API is up, and when the catalog was last scanned. Needs no token."""
    scans = _catalog(request).scans(limit=1)
    return {"status": "ok", "last_scan": scans[0]["finished_at"] if scans else None}


@router.get("/api/v1/assets", tags=["assets"], response_model=models.AssetPage, responses=errors(400))
def list_assets(
    request: Request,
    search: Annotated[str | None, Query(max_length=500, description="Words (at most 16), each found in the key, the owners, or the "
                                        "DAG ids, task ids and tags of the tasks writing or reading the asset (any case); ranked: "
                                        "table name first, then key, then the rest, ties by evidence.",
                                        examples=["okr dashboard"])] = None,
    owner: Annotated[str | None, Query(max_length=500, description="Only assets whose owner or team contains this (any case).",
                                       examples=["finance-data@tempo.fm"])] = None,
    limit: Limit = 100,
    offset: Offset = 0,
    source: SourceFilter = None,
) -> dict[str, Any]:
    """Assets (tables and files tasks read or write), by key (ranked with `search`), one page at a time, with the total;
    each with its evidence and its verdict among assets of the same table name."""
    from overlay.catalog.search import SearchError

    try:
        return _catalog(request).assets(search=search, owner=owner, limit=limit, offset=offset, source=source)
    except SearchError as e:
        raise HTTPException(status_code=400, detail=str(e)) from e


@router.get("/api/v1/assets/{key:path}/lineage", tags=["assets"], response_model=models.Lineage, responses=errors(400, 404, 409))
def asset_lineage(
    request: Request,
    key: Key,
    direction: Annotated[Literal["upstream", "downstream", "both"], Query(description="Which way to walk.")] = "both",
    depth: Annotated[int, Query(ge=1, le=20, description="How many steps to walk (1-20).")] = 3,
) -> dict[str, Any]:
    """The assets upstream and/or downstream of one asset, each at its distance, with the edges and the tasks behind them."""
    catalog = _catalog(request)
    return catalog.lineage(catalog.resolve_key(key), direction, depth)


@router.get("/api/v1/assets/{key:path}/materializations", tags=["assets"], response_model=models.MaterializationList,
            responses=errors(400, 404, 409))
def asset_materializations(request: Request, key: Key, limit: Limit = 100) -> dict[str, Any]:
    """Task runs that wrote the asset, latest first (from the Airflow listener or `overlay runs sync`)."""
    catalog = _catalog(request)
    resolved = catalog.resolve_key(key)
    return {"key": resolved, "materializations": catalog.materializations(resolved, limit)}


@router.get("/api/v1/assets/{key:path}", tags=["assets"], response_model=models.AssetDetail, responses=errors(400, 404, 409))
def get_asset(request: Request, key: Key) -> dict[str, Any]:
    """One asset: owners with their sources, the tasks that write and read it, its neighbours, its last run, its evidence
    and verdict, and the other assets with its table name (`same_name`)."""
    catalog = _catalog(request)
    return catalog.asset(catalog.resolve_key(key))


@router.get("/api/v1/dags", tags=["dags"], response_model=models.DagPage, responses=errors(400))
def list_dags(request: Request, limit: Limit = 100, offset: Offset = 0, source: SourceFilter = None) -> dict[str, Any]:
    """DAGs by id, one page at a time, with the total and each DAG's number of tasks."""
    return _catalog(request).dags_page(limit=limit, offset=offset, source=source)


@router.get("/api/v1/dags/{dag_id}", tags=["dags"], response_model=models.DagDetail, responses=errors(400, 404, 409))
def get_dag(request: Request, dag_id: Annotated[str, Path(description="The DAG id.", examples=["finance_revenue"])],
            source: SourceFilter = None) -> dict[str, Any]:
    """One DAG with its tasks and what each reads and writes (409 when several sources define it: pass `source`)."""
    return _catalog(request).dag(dag_id, source=source)


@router.get("/api/v1/tasks/{dag_id}/{task_id}", tags=["dags"], response_model=models.TaskDetail, responses=errors(400, 404, 409))
def get_task(request: Request, dag_id: Annotated[str, Path(description="The DAG id.")],
             task_id: Annotated[str, Path(description="The task id.")], source: SourceFilter = None) -> dict[str, Any]:
    """One task: the SQL overlay found, the tables it reads and writes, and why it is partial or unresolved."""
    return _catalog(request).task(dag_id, task_id, source=source)


@router.get("/api/v1/sources", tags=["sources"], response_model=models.SourceList)
def list_sources(request: Request) -> dict[str, Any]:
    """Each source: last scan (commit, DAG bundle version), counts, coverage, last run sync."""
    items = _catalog(request).sources()
    return {"total": len(items), "items": items}


@router.get("/api/v1/sources/{name}", tags=["sources"], response_model=models.Source, responses=errors(400, 404))
def get_source(request: Request, name: Annotated[str, Path(description="The source name.")]) -> dict[str, Any]:
    """One source: its last scan, counts, coverage and last run sync."""
    return _catalog(request).source(name)


@router.get("/api/v1/owners", tags=["owners"], response_model=models.Owners, responses=errors(400, 404, 409))
def owners(request: Request, key: Annotated[str | None, Query(max_length=1000, description="Only this asset (key or suffix).")] = None,
           ) -> dict[str, Any]:
    """Owners of every asset (or one), with each claim's source, the conflicts and the unowned assets."""
    catalog = _catalog(request)
    return catalog.owners(catalog.resolve_key(key) if key else None)


@router.get("/api/v1/stale", tags=["freshness"], response_model=models.Stale)
def stale(request: Request) -> dict[str, Any]:
    """Assets later than their freshness rule (overlay.yaml `freshness:`), with the reason walked up the graph."""
    from overlay.config import load_settings
    from overlay.freshness import stale_assets

    catalog = _catalog(request)
    settings = load_settings(None, catalog.scanned_folders())
    return {"stale": [s.to_dict() for s in stale_assets(catalog.freshness_states(), settings.freshness)],
            "rules": len(settings.freshness)}


@router.get("/api/v1/cost", tags=["cost"], response_model=models.CostReport, responses=errors(400))
def cost(
    request: Request,
    by: Annotated[Literal["asset", "owner", "dag", "task"], Query(description="What to total the cost by.")] = "asset",
    since: Annotated[str | None, Query(max_length=40, description="Start day (or ISO timestamp), included.",
                                       examples=["2026-11-01"])] = None,
    until: Annotated[str | None, Query(max_length=40, description="End day (or ISO timestamp), excluded.",
                                       examples=["2026-12-01"])] = None,
    compare: Annotated[Literal["previous"] | None, Query(description="`previous`: compare with the period of the same length "
                                                                      "before `since` (needs since and until).")] = None,
) -> dict[str, Any]:
    """Warehouse query cost totals and shares by asset, owner, DAG or task, and the top movers."""
    from overlay.catalog.costs import parse_day

    try:
        start, end = parse_day(since, "since"), parse_day(until, "until")
        return _catalog(request).cost_report(by, start, end, compare == "previous")
    except ValueError as e:
        raise HTTPException(status_code=400, detail=str(e)) from e


@router.get("/api/v1/graph", tags=["graph"], response_model=models.GraphAnswer, responses=errors(400))
def graph(
    request: Request,
    limit: Annotated[int, Query(ge=1, le=5000, description="Assets per page (1-5000); with `select`, the most nodes answered.")] = 1000,
    offset: Offset = 0,
    source: SourceFilter = None,
    select: Annotated[str | None, Query(max_length=2000, description="A selection: `+key`, `key+`, `N+key+M`, `owner:`, `dag:`, "
                                        "`tag:`, `source:`, `schema:`, `and`/`or`/`not`.", examples=["+okr_dashboard and not schema:raw"])] = None,
    group_by: Annotated[Literal["dag", "schema", "owner", "source"] | None, Query(description="With `select`: collapse into groups.")] = None,
    max_nodes: Annotated[int, Query(ge=1, le=100_000, description="With `select` and no `group_by`: above this many assets the "
                                    "answer is grouped by schema, and `grouped_because` says so.")] = 2000,
) -> dict[str, Any]:
    """The asset graph one page of assets at a time: the assets, the edges leaving them, the tasks and DAGs that touch
    them, and cross-DAG links. Pages follow each other by `offset` until `total`; `overlay export` gives it whole.
    With `select`, the part of the graph the expression names (grouped by `group_by`), as `overlay lineage --select`."""
    if select is None:
        if group_by is not None:
            raise HTTPException(status_code=400, detail="group_by needs a select expression")
        return _catalog(request).graph_page(limit=limit, offset=offset, source=source)
    from overlay.catalog.select import cached_selection_context
    from overlay.selection import SelectionError, select as run_selection, view

    ctx = cached_selection_context(_catalog(request))  # loaded once per catalog version; a user's scoped view never cached
    try:
        keys = run_selection(select, ctx)
        if group_by is None and len(keys) > max_nodes:  # too many to draw: the browser shows schemas to open one by one
            return view(ctx, keys, "schema", limit=limit) | {"grouped_because": f"{len(keys)} nodes > {max_nodes}"}
        return view(ctx, keys, group_by, limit=limit)
    except SelectionError as e:
        raise HTTPException(status_code=400, detail=f"select {select!r}: {e}") from e