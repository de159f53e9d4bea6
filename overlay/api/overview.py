"""The UI's overview routes: the catalog home (summary), coverage by reason, the path between two assets, one asset's
cost over time. Each is one or two catalog calls (``overlay.catalog.overview``) and a pure step (``overlay.overview``);
a user who may read only some DAGs gets the scoped catalog's answers (``airflow_plugin.scope``)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, Request

from overlay.api import overview_models as models
from overlay.api.routes import Key, _catalog, errors

router = APIRouter()


def stale_assets_of(catalog: Any) -> list[Any]:
    """The catalog's late assets under the freshness rules of the overlay.yaml it was scanned with."""
    from overlay.config import load_settings
    from overlay.freshness import stale_assets

    settings = load_settings(None, catalog.scanned_folders())
    return stale_assets(catalog.freshness_states(), settings.freshness) if settings.freshness else []


@router.get("/api/v1/summary", tags=["overview"], response_model=models.Summary)
def summary(request: Request) -> dict[str, Any]:
    """The catalog home: counts of assets, DAGs, tasks, owners and sources; assets per source, DAG and team; the assets
    whose latest run failed, those later than their freshness rule, and those that changed (materialized) lately."""
    from overlay.overview import stale_items

    catalog = _catalog(request)
    return catalog.summary() | {"stale": stale_items(stale_assets_of(catalog))[:50]}


@router.get("/api/v1/coverage", tags=["overview"], response_model=models.Coverage)
def coverage(request: Request) -> dict[str, Any]:
    """Tasks by status (resolved, partial, unresolved, no data), and the partial and unresolved ones by reason, each reason
    with the overlay.yaml setting that would resolve it and the tasks (DAG, task, file, line) that have it."""
    from overlay.coverage import reasons_by_task

    return reasons_by_task(_catalog(request).coverage_rows())


@router.get("/api/v1/graph/path", tags=["graph"], response_model=models.GraphPath, responses=errors(400, 404, 409))
def graph_path(
    request: Request,
    from_: Annotated[str, Query(alias="from", min_length=1, max_length=1000, description="Asset key or unambiguous suffix.",
                                examples=["raw.subscriptions"])],
    to: Annotated[str, Query(min_length=1, max_length=1000, description="Asset key or unambiguous suffix.",
                             examples=["okr_dashboard"])],
) -> dict[str, Any]:
    """The shortest path from one asset to another following the edges (from -> to, else to -> from), with the task
    behind each step; 404 when the two are not connected either way."""
    from overlay.overview import path_between

    catalog = _catalog(request)
    start, end = catalog.resolve_key(from_), catalog.resolve_key(to)
    found = path_between(catalog.load_graph(), start, end)
    if found is None:
        raise HTTPException(status_code=404, detail=f"no path between {start} and {end} in either direction")
    return found


@router.get("/api/v1/assets/{key:path}/cost", tags=["cost"], response_model=models.AssetCost, responses=errors(400, 404, 409))
def asset_cost(
    request: Request,
    key: Key,
    since: Annotated[str | None, Query(max_length=40, description="Start day (or ISO timestamp), included.",
                                       examples=["2026-11-01"])] = None,
    until: Annotated[str | None, Query(max_length=40, description="End day (or ISO timestamp), excluded.",
                                       examples=["2026-12-01"])] = None,
    bucket: Annotated[Literal["day", "week"], Query(description="One point per day or per week (weeks start on Monday).")] = "day",
) -> dict[str, Any]:
    """Warehouse cost of the queries attributed to the asset, one point per day or week (periods without queries at 0)."""
    from overlay.catalog.costs import parse_day
    from overlay.overview import cost_series

    catalog = _catalog(request)
    resolved = catalog.resolve_key(key)
    try:
        start, end = parse_day(since, "since"), parse_day(until, "until")
    except ValueError as e:
        raise HTTPException(status_code=400, detail=str(e)) from e
    if start is not None and end is not None and end <= start:
        raise HTTPException(status_code=400, detail=f"until {until!r} is not after since {since!r}")
    return {"key": resolved, "bucket": bucket, **cost_series(catalog.asset_cost_rows(resolved, start, end), bucket, start, end)}
