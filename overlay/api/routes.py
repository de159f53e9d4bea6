"""Routes of INTERFACE.md under /api/v1. Read-only; each route is one catalog query."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request
from fastapi.concurrency import run_in_threadpool

from overlay.catalog import Catalog

router = APIRouter()
Key = Annotated[str, Path(description="Asset key (`namespace:name`) or an unambiguous suffix of its name.", min_length=1)]
SourceFilter = Annotated[str | None, Query(max_length=250, description="Only this source (deployment or repository); see /api/v1/sources.")]


def _catalog(request: Request) -> Catalog:
    catalog = request.app.state.get_catalog()
    scope = getattr(request.state, "catalog_scope", None)  # set by an authenticator when a user may read only some DAGs
    return scope(catalog) if scope is not None else catalog


@router.get("/health", tags=["meta"])
def health(request: Request) -> dict[str, Any]:
    scans = _catalog(request).scans(limit=1)
    return {"status": "ok", "last_scan": scans[0]["finished_at"] if scans else None}


@router.get("/api/v1/assets", tags=["assets"])
def list_assets(
    request: Request,
    search: Annotated[str | None, Query(max_length=500, description="Substring of the asset key.")] = None,
    owner: Annotated[str | None, Query(max_length=500, description="Only assets this owner or team owns.")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    source: SourceFilter = None,
) -> dict[str, Any]:
    return _catalog(request).assets(search=search, owner=owner, limit=limit, offset=offset, source=source)


@router.get("/api/v1/assets/{key:path}/lineage", tags=["assets"])
def asset_lineage(
    request: Request,
    key: Key,
    direction: Literal["upstream", "downstream", "both"] = "both",
    depth: Annotated[int, Query(ge=1, le=20)] = 3,
) -> dict[str, Any]:
    catalog = _catalog(request)
    return catalog.lineage(catalog.resolve_key(key), direction, depth)


@router.get("/api/v1/assets/{key:path}/materializations", tags=["assets"])
def asset_materializations(request: Request, key: Key, limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> dict[str, Any]:
    catalog = _catalog(request)
    resolved = catalog.resolve_key(key)
    return {"key": resolved, "materializations": catalog.materializations(resolved, limit)}


@router.get("/api/v1/assets/{key:path}", tags=["assets"])
def get_asset(request: Request, key: Key) -> dict[str, Any]:
    catalog = _catalog(request)
    return catalog.asset(catalog.resolve_key(key))


@router.get("/api/v1/dags", tags=["dags"])
def list_dags(request: Request, source: SourceFilter = None) -> dict[str, Any]:
    dags = _catalog(request).dags(source=source)
    return {"total": len(dags), "items": dags}


@router.get("/api/v1/dags/{dag_id}", tags=["dags"])
def get_dag(request: Request, dag_id: str, source: SourceFilter = None) -> dict[str, Any]:
    return _catalog(request).dag(dag_id, source=source)


@router.get("/api/v1/tasks/{dag_id}/{task_id}", tags=["dags"])
def get_task(request: Request, dag_id: str, task_id: str, source: SourceFilter = None) -> dict[str, Any]:
    return _catalog(request).task(dag_id, task_id, source=source)


@router.get("/api/v1/sources", tags=["sources"])
def list_sources(request: Request) -> dict[str, Any]:
    """Each source: last scan (commit, DAG bundle version), counts, coverage, last run sync."""
    items = _catalog(request).sources()
    return {"total": len(items), "items": items}


@router.get("/api/v1/sources/{name}", tags=["sources"])
def get_source(request: Request, name: str) -> dict[str, Any]:
    return _catalog(request).source(name)


@router.get("/api/v1/owners", tags=["owners"])
def owners(request: Request, key: Annotated[str | None, Query(max_length=1000)] = None) -> dict[str, Any]:
    catalog = _catalog(request)
    return catalog.owners(catalog.resolve_key(key) if key else None)


@router.get("/api/v1/stale", tags=["freshness"])
def stale(request: Request) -> dict[str, Any]:
    from overlay.config import load_settings
    from overlay.freshness import stale_assets

    catalog = _catalog(request)
    settings = load_settings(None, catalog.scanned_folders())
    return {"stale": [s.to_dict() for s in stale_assets(catalog.freshness_states(), settings.freshness)],
            "rules": len(settings.freshness)}


@router.get("/api/v1/cost", tags=["cost"])
def cost(
    request: Request,
    by: Literal["asset", "owner", "dag", "task"] = "asset",
    since: Annotated[str | None, Query(max_length=40, description="Start day, e.g. 2026-11-01")] = None,
    until: Annotated[str | None, Query(max_length=40, description="End day (exclusive)")] = None,
    compare: Literal["previous"] | None = None,
) -> dict[str, Any]:
    from fastapi import HTTPException

    from overlay.catalog.costs import parse_day

    try:
        return _catalog(request).cost_report(by, parse_day(since), parse_day(until), compare == "previous")
    except ValueError as e:
        raise HTTPException(status_code=400, detail=str(e)) from e


@router.get("/api/v1/graph", tags=["graph"])
async def graph(request: Request, source: SourceFilter = None) -> dict[str, Any]:
    from overlay.export import export_document

    return await run_in_threadpool(export_document, _catalog(request), source)
