"""``/api/v1/graph?select=`` keeps its selection context between requests, over real HTTP on a real SQLite catalog:
a new scan or a removed source is seen by the next request, and a user limited to some DAGs is never answered
from the whole catalog's context (nor the other way round)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from api_server import running
from overlay.api import create_app
from overlay.catalog import Catalog
from overlay.catalog.select import cached_selection_context
from overlay.model import AssetRef, DagSpec, FileRecord, ResolvedTask, ScanResult


def _result(*tasks: tuple[str, str, list[str], list[str]]) -> ScanResult:
    resolved = [ResolvedTask(d, t, "SQLExecuteQueryOperator", f"dags/{d}.py", line, "ana", "resolved", reads=r, writes=w,
                             edges=[[a, b] for a in r for b in w]) for line, (d, t, r, w) in enumerate(tasks, 1)]
    keys = sorted({k for t in resolved for k in t.reads + t.writes})
    dags = sorted({t.dag_id for t in resolved})
    return ScanResult(folders=["dags"], dags=[DagSpec(d, f"dags/{d}.py", owners=["ana"]) for d in dags], tasks=resolved,
                      assets=[AssetRef(*k.split(":", 1)) for k in keys],
                      files=[FileRecord(f"/abs/dags/{d}.py", h, "static", [d], payload={"content_hash": h}, payload_digest=h)
                             for d in dags for h in ["-".join(t.task_id for t in resolved if t.dag_id == d)]])


INGEST = ("ingest", "load", ["wh:raw.src"], ["wh:raw.orders"])
MART = ("mart", "build", ["wh:raw.orders", "wh:raw.users"], ["wh:mart.daily_revenue"])


@pytest.fixture()
def catalog(tmp_path: Path) -> Iterator[Catalog]:
    catalog = Catalog.open(f"sqlite:///{tmp_path / 'catalog.db'}")
    catalog.store_scan(_result(INGEST, MART), source="prod")
    yield catalog
    catalog.close()


def selected(base_url: str, expression: str) -> set[str]:
    response = requests.get(base_url + "/api/v1/graph", params={"select": expression}, timeout=30)
    assert response.status_code == 200, response.text
    return {n["id"] for n in response.json()["nodes"]}


def test_a_new_scan_is_seen_by_the_next_request(catalog: Catalog) -> None:
    with running(create_app(catalog, token="")) as url:
        assert selected(url, "dag:mart") == {"wh:raw.orders", "wh:raw.users", "wh:mart.daily_revenue"}
        assert cached_selection_context(catalog) is cached_selection_context(catalog)  # kept while nothing changes
        catalog.store_scan(_result(INGEST, MART, ("mart", "weekly", ["wh:mart.daily_revenue"], ["wh:mart.weekly_revenue"])),
                           source="prod")
        assert selected(url, "dag:mart") == {"wh:raw.orders", "wh:raw.users", "wh:mart.daily_revenue", "wh:mart.weekly_revenue"}
        assert selected(url, "daily_revenue+") == {"wh:mart.daily_revenue", "wh:mart.weekly_revenue"}
        catalog.store_scan(_result(("side", "copy", ["wh:raw.orders"], ["wh:side.copy"])), source="other")
        assert selected(url, "source:other") == {"wh:raw.orders", "wh:side.copy"}
        catalog.remove_source("other")
        assert selected(url, "source:other") == set()
        assert selected(url, "raw.orders+1") == {"wh:raw.orders", "wh:mart.daily_revenue"}


def test_a_limited_user_is_never_answered_from_the_whole_catalogs_context(catalog: Catalog) -> None:
    from airflow_plugin.scope import ScopedCatalog

    async def ingest_reader(request):  # noqa: ANN001, ANN202
        request.state.catalog_scope = lambda whole: ScopedCatalog(whole, {"ingest"})
        return None

    whole = cached_selection_context(catalog)  # the whole catalog's context, cached first
    with running(create_app(catalog, authenticate=ingest_reader)) as limited, running(create_app(catalog, token="")) as full:
        assert selected(limited, "*") == {"wh:raw.src", "wh:raw.orders"}
        assert selected(full, "*") == set(whole.graph.nodes) == {"wh:raw.src", "wh:raw.orders", "wh:raw.users", "wh:mart.daily_revenue"}
        assert selected(limited, "*") == {"wh:raw.src", "wh:raw.orders"}
    assert cached_selection_context(ScopedCatalog(catalog, {"ingest"})) is not whole


def test_the_home_summary_follows_a_new_scan(catalog: Catalog) -> None:
    """The summary keeps its scan-derived part (counts, teams, biggest DAGs) between requests, until the catalog changes."""
    with running(create_app(catalog, token="")) as url:
        def summary() -> dict:
            response = requests.get(url + "/api/v1/summary", timeout=30)
            assert response.status_code == 200, response.text
            return response.json()

        first = summary()
        assert first["counts"]["dags"] == 2 and first["counts"]["assets"] == 4
        assert summary() == first
        catalog.store_scan(_result(INGEST, MART, ("mart", "weekly", ["wh:mart.daily_revenue"], ["wh:mart.weekly_revenue"])),
                           source="prod")
        assert summary()["counts"]["assets"] == 5
        catalog.store_scan(_result(("side", "copy", ["wh:raw.orders"], ["wh:side.copy"])), source="other")
        after = summary()
        assert after["counts"]["sources"] == 2 and {s["name"] for s in after["by_source"]} == {"prod", "other"}
        catalog.remove_source("other")
        assert summary()["counts"]["sources"] == 1
