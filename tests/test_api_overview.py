"""The UI's overview routes over real HTTP on sample_dags' catalog: summary, coverage, path, one asset's cost,
the node limit of the graph, bad input, and what a user limited to some DAGs sees of them (airflow_plugin.scope)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import requests

from api_server import running
from overlay.api import create_app
from overlay.catalog import Catalog
from overlay.config import load_settings
from overlay.model import TaskRun
from overlay.pipeline import build_catalog

SAMPLE = Path(__file__).resolve().parent.parent / "sample_dags"
HISTORY = Path(__file__).resolve().parent / "fixtures" / "history"
NOW = datetime.now(timezone.utc)


def _iso(delta: timedelta) -> str:
    return (NOW - delta).isoformat()


@pytest.fixture(scope="module")
def catalog(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Catalog]:
    from overlay.attribution.attribute import CostModel
    from overlay.attribution.history import read_history

    catalog = Catalog.open(f"sqlite:///{tmp_path_factory.mktemp('overview') / 'catalog.db'}")
    build_catalog(catalog, [str(SAMPLE)], "static", load_settings(None, [str(SAMPLE)]), NOW)
    catalog.ingest_queries(read_history(HISTORY / "bigquery_jobs.jsonl", "bigquery"), CostModel())
    catalog.record_runs([
        TaskRun("finance_revenue", "build_daily_revenue", "r1", 1, "success", _iso(timedelta(hours=2)), _iso(timedelta(hours=1))),
        TaskRun("finance_revenue", "build_okr_dashboard", "r1", 1, "success", _iso(timedelta(hours=40)), _iso(timedelta(hours=39))),
        TaskRun("finance_revenue", "build_okr_dashboard", "r2", 3, "failed", _iso(timedelta(minutes=50)), _iso(timedelta(minutes=40))),
        TaskRun("platform_raw_commerce", "copy_orders", "r1", 1, "failed", _iso(timedelta(minutes=30)), _iso(timedelta(minutes=20))),
    ])
    yield catalog
    catalog.close()


@pytest.fixture(scope="module")
def base_url(catalog: Catalog) -> Iterator[str]:
    with running(create_app(catalog, token="")) as url:
        yield url


@pytest.fixture(scope="module")
def finance_only(catalog: Catalog) -> Iterator[str]:
    """The API as a user who may read finance_revenue only, as the Airflow plugin's authenticator scopes it."""
    from airflow_plugin.scope import ScopedCatalog

    async def finance_reader(request):  # noqa: ANN001, ANN202
        request.state.catalog_scope = lambda whole: ScopedCatalog(whole, {"finance_revenue"})
        return None

    with running(create_app(catalog, authenticate=finance_reader)) as url:
        yield url


def get(base_url: str, path: str, **params: object) -> requests.Response:
    return requests.get(base_url + path, params=params, timeout=30)


def test_summary_counts_and_recent_runs(base_url: str) -> None:
    body = get(base_url, "/api/v1/summary").json()
    assert body["counts"] == {"assets": 39, "dags": 13, "tasks": 39, "owners": 5, "sources": 1}
    assert body["by_source"] == [{"name": "default", "assets": 39, "dags": 13}]
    assert body["by_dag"][0]["assets"] >= body["by_dag"][-1]["assets"]
    assert {"dag_id": "finance_revenue", "assets": 6} in body["by_dag"]
    assert {"owner": "finance", "assets": 2} in body["by_team"]  # the overlay.yaml rule's team, for both finance tables
    # newest first; okr_dashboard's latest try failed, so it is a failure and not a change
    assert [(f["key"], f["state"]) for f in body["recent_failures"]] == [
        ("warehouse:tempo.raw.orders", "failed"), ("warehouse:tempo.finance.okr_dashboard", "failed")]
    assert [c["key"] for c in body["recently_changed"]] == ["warehouse:tempo.finance.daily_revenue"]
    assert body["recently_changed"][0]["change"] == "materialized by finance_revenue.build_daily_revenue (run r1)"
    okr = next(s for s in body["stale"] if s["key"] == "warehouse:tempo.finance.okr_dashboard")
    assert 12 * 3600 < okr["late_by_seconds"] < 14 * 3600  # last success 39 h ago, allowed 26 h
    assert "producer finance_revenue.build_okr_dashboard failed" in okr["reason"] and "try 3" in okr["reason"]
    never = next(s for s in body["stale"] if s["key"] == "warehouse:tempo.raw.users")
    assert never["late_by_seconds"] is None and "no recorded run" in never["reason"]


def test_coverage_by_reason_with_the_setting_and_the_tasks(base_url: str) -> None:
    body = get(base_url, "/api/v1/coverage").json()
    assert body["totals"] == {"resolved": 33, "partial": 1, "unresolved": 0, "no_data": 5}
    (reason,) = body["reasons"]
    assert "Airflow Variable" in reason["reason"] and reason["count"] == 1
    assert reason["setting"].startswith("give the Variable's value under `variables:`")
    assert reason["tasks"] == [{"dag_id": "growth_lead_scoring", "task_id": "export_segment",
                                "file": "sample_dags/growth/lead_scoring.py", "line": 40}]


def test_path_between_two_assets_either_way(base_url: str) -> None:
    chain = ["warehouse:tempo.raw.subscriptions", "warehouse:tempo.growth.trial_starts",
             "warehouse:tempo.growth.trial_metrics_weekly", "warehouse:tempo.finance.okr_dashboard"]
    forward = get(base_url, "/api/v1/graph/path", **{"from": "raw.subscriptions", "to": "okr_dashboard"}).json()
    assert forward["nodes"] == chain
    assert [(e["from"], e["to"]) for e in forward["edges"]] == list(zip(chain, chain[1:]))
    assert forward["edges"][0]["via"] == "growth_trial_metrics.build_trial_starts"
    backward = get(base_url, "/api/v1/graph/path", **{"from": "okr_dashboard", "to": "raw.subscriptions"}).json()
    assert backward["nodes"] == chain  # only the other way exists: that one
    same = get(base_url, "/api/v1/graph/path", **{"from": "okr_dashboard", "to": "okr_dashboard"}).json()
    assert same == {"nodes": ["warehouse:tempo.finance.okr_dashboard"], "edges": []}
    apart = get(base_url, "/api/v1/graph/path", **{"from": "okr_dashboard", "to": "artist_daily_stats"})
    assert apart.status_code == 404 and "no path between" in apart.json()["error"]
    assert get(base_url, "/api/v1/graph/path", **{"from": "no_such_table", "to": "okr_dashboard"}).status_code == 404
    assert get(base_url, "/api/v1/graph/path", **{"from": "orders", "to": "okr_dashboard"}).status_code == 409
    missing = get(base_url, "/api/v1/graph/path", **{"from": "okr_dashboard"})
    assert missing.status_code == 400 and "to" in missing.json()["error"]


def test_asset_cost_per_day_and_week(base_url: str) -> None:
    day = get(base_url, "/api/v1/assets/artist_daily_stats/cost").json()
    assert day["key"] == "bigquery:tempo-analytics.content.artist_daily_stats" and day["bucket"] == "day"
    assert day["total"] == 31.25 and sum(p["cost"] for p in day["series"]) == 31.25
    assert [p["queries"] for p in day["series"]] == [1]
    ranged = get(base_url, "/api/v1/assets/artist_daily_stats/cost", since="2026-11-19", until="2026-11-23").json()
    assert [p["period"] for p in ranged["series"]] == ["2026-11-19", "2026-11-20", "2026-11-21", "2026-11-22"]  # no gaps
    assert [p["cost"] for p in ranged["series"]] == [0, 0, 31.25, 0]
    week = get(base_url, "/api/v1/assets/artist_daily_stats/cost", bucket="week").json()
    assert week["series"] == [{"period": "2026-11-16", "cost": 31.25, "queries": 1}]
    outside = get(base_url, "/api/v1/assets/artist_daily_stats/cost", since="2026-12-01").json()
    assert outside["total"] == 0
    assert get(base_url, "/api/v1/assets/okr_dashboard/cost").json() == {
        "key": "warehouse:tempo.finance.okr_dashboard", "bucket": "day", "series": [], "total": 0.0}
    for params in ({"bucket": "month"}, {"since": "last tuesday"}, {"since": "2026-11-23", "until": "2026-11-19"}):
        bad = get(base_url, "/api/v1/assets/artist_daily_stats/cost", **params)
        assert bad.status_code == 400 and bad.json()["status"] == 400, params
    assert get(base_url, "/api/v1/assets/no_such_table/cost").status_code == 404


def test_graph_groups_by_schema_above_max_nodes(base_url: str) -> None:
    grouped = get(base_url, "/api/v1/graph", select="+okr_dashboard", max_nodes=3).json()
    assert grouped["group_by"] == "schema" and grouped["grouped_because"] == f"{grouped['selected']} nodes > 3"
    assert {"warehouse:tempo.raw", "warehouse:tempo.finance"} <= {n["id"] for n in grouped["nodes"] if n["group"]}
    flat = get(base_url, "/api/v1/graph", select="+okr_dashboard").json()
    assert flat["group_by"] is None and flat.get("grouped_because") is None and flat["selected"] == grouped["selected"]
    asked = get(base_url, "/api/v1/graph", select="+okr_dashboard", group_by="dag", max_nodes=3).json()
    assert asked["group_by"] == "dag" and asked.get("grouped_because") is None  # a grouping asked for is kept
    assert get(base_url, "/api/v1/graph", select="+okr_dashboard", max_nodes=0).status_code == 400


def test_a_user_limited_to_one_dag_sees_only_its_part(finance_only: str, base_url: str) -> None:
    body = get(finance_only, "/api/v1/summary").json()
    assert body["counts"]["dags"] == 1 and body["counts"]["tasks"] == 3 and body["counts"]["assets"] == 6
    assert [d["dag_id"] for d in body["by_dag"]] == ["finance_revenue"]
    assert [f["key"] for f in body["recent_failures"]] == ["warehouse:tempo.finance.okr_dashboard"]  # raw.orders' DAG unseen
    assert all(s["key"] in {a["key"] for a in get(finance_only, "/api/v1/assets").json()["items"]} for s in body["stale"])
    coverage = get(finance_only, "/api/v1/coverage").json()
    assert coverage["reasons"] == [] and sum(coverage["totals"].values()) == 3
    # the path through growth's tasks is not the user's to see
    assert get(finance_only, "/api/v1/graph/path", **{"from": "raw.subscriptions", "to": "okr_dashboard"}).status_code == 404
    assert get(finance_only, "/api/v1/graph/path", **{"from": "daily_revenue", "to": "okr_dashboard"}).json()["edges"][0]["via"] == \
        "finance_revenue.build_okr_dashboard"
    assert get(finance_only, "/api/v1/assets/artist_daily_stats/cost").status_code == 404  # content's asset
    selection = get(finance_only, "/api/v1/graph", select="+okr_dashboard").json()
    assert {n["id"] for n in selection["nodes"]} < {n["id"] for n in get(base_url, "/api/v1/graph", select="+okr_dashboard").json()["nodes"]}
    assert all(via.startswith("finance_revenue.") for e in selection["edges"] for via in e["via"])
