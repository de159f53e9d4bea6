"""Ranked search, evidence and the verdict among same-named tables, on sample_dags' catalog (SQLite and PostgreSQL),
through the catalog, the HTTP API, the Airflow scope and the CLI; and `overlay serve --workers`."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import requests
from sqlalchemy import text

from api_server import running
from overlay.api import create_app
from overlay.catalog import Catalog
from overlay.catalog import search as ranked
from overlay.catalog import search_pages
from overlay.catalog.evidence import LIKELY_LEGACY, PREFERRED, Evidence, verdicts
from overlay.config import load_settings
from overlay.model import TaskRun
from overlay.pipeline import build_catalog

SAMPLE = Path(__file__).resolve().parent.parent / "sample_dags"
OVERLAY = [sys.executable, "-m", "overlay.cli.main"]
RAW_ORDERS, LEGACY_ORDERS = "warehouse:tempo.raw.orders", "warehouse:tempo.legacy.orders"


@pytest.fixture
def catalog(db_url: str):  # noqa: ANN201
    catalog = Catalog.open(db_url)
    build_catalog(catalog, [str(SAMPLE)], "static", load_settings(None, [str(SAMPLE)]), datetime.now(timezone.utc))
    yield catalog
    catalog.close()


def keys(catalog: Catalog, search: str, **kwargs: object) -> list[str]:
    return [a["key"] for a in catalog.assets(search=search, limit=1000, **kwargs)["items"]]


def test_the_talks_searches_find_their_assets_first(catalog: Catalog) -> None:
    assert keys(catalog, "okr dashboard")[0] == "warehouse:tempo.finance.okr_dashboard"
    assert keys(catalog, "Trial Metrics")[0] == "warehouse:tempo.growth.trial_metrics_weekly"
    marketing = keys(catalog, "marketing")
    # the table named so, then the one its DAG (growth_marketing_dashboard) writes, then what that DAG reads
    assert marketing[:2] == ["warehouse:tempo.growth.marketing_funnel", "warehouse:tempo.growth.campaign_performance"]
    assert "warehouse:tempo.raw.users" in marketing[2:]
    assert set(keys(catalog, "maria")) == {"warehouse:tempo.growth.trial_starts", "warehouse:tempo.growth.trial_metrics_weekly"}
    assert keys(catalog, "finance-data@tempo.fm")[:2] == ["warehouse:tempo.finance.daily_revenue", "warehouse:tempo.finance.okr_dashboard"]
    assert keys(catalog, "okr dashboard nowhere") == [] and catalog.assets(search="okr dashboard nowhere")["total"] == 0
    with pytest.raises(ranked.SearchError, match="at most 16"):
        catalog.assets(search=" ".join(f"w{i}" for i in range(17)))


def test_every_page_follows_the_ranking_rule(catalog: Catalog, monkeypatch: pytest.MonkeyPatch) -> None:
    """The order is the documented one (tier, evidence rank, consumers, key), computed here from the stored columns;
    on SQLite both ways of paging (all matches ranked at once, or tier by tier through the index) give it."""
    with catalog.engine.connect() as conn:
        rows = conn.execute(text("SELECT key, short_name, search_text, search_related, search_rank, consumer_count FROM assets")).all()

    def expected(query: str) -> list[str]:
        found = query.lower().split()
        joined = "_".join(found)

        def tier(r) -> int | None:  # noqa: ANN001
            key, primary, related = r.key.lower(), r.search_text or "", r.search_related or ""
            if not all(w in key or w in primary or w in related for w in found):
                return None
            return next(i for i, test in enumerate((
                r.short_name.lower() == joined, joined in key, all(w in key for w in found),
                all(w in key or w in primary for w in found), True)) if test)

        matched = [(tier(r), -r.search_rank, -r.consumer_count, r.key) for r in rows if tier(r) is not None]
        return [m[-1] for m in sorted(matched)]

    # read whole at once; ranked then read; tier by tier (in the window of the first assets by evidence, or past it);
    # the minimum sample over the catalog's size, so that broad short words get an estimated total
    for narrow, small, window, min_sample in ((1000, 100, 500, 4000), (1000, 0, 500, 4000), (0, 0, 500, 4000), (0, 0, 1, 4000),
                                              (2, 0, 3, 1)):
        monkeypatch.setattr(ranked, "NARROW", narrow)
        monkeypatch.setattr(ranked, "SMALL", small)
        monkeypatch.setattr(search_pages, "WINDOW", window)
        monkeypatch.setattr(search_pages, "MIN_SAMPLE", min_sample)
        for query in ("orders", "raw", "tempo", "growth data", "okr dashboard", "finance_revenue", "rev", "ra", "o", "fi re", "a raw"):
            want = expected(query)
            assert keys(catalog, query) == want, (narrow, small, window, query)
            pages = [catalog.assets(search=query, limit=3, offset=o) for o in range(0, len(want) + 3, 3)]
            assert [a["key"] for p in pages for a in p["items"]] == want, (narrow, window, query)
            estimated = {p["total_is_estimate"] for p in pages}
            counted_by_index = catalog.engine.dialect.name == "sqlite" and all(len(w) >= 3 for w in query.split())  # FTS5 counts
            assert estimated == {len(want) > narrow and min_sample == 1 and not counted_by_index}, (query, narrow)
            if estimated == {False}:
                assert {p["total"] for p in pages} == {len(want)}, (narrow, query)
            else:  # an estimate from a sample: more than the matches seen, about as many as there are
                assert all(narrow < p["total"] <= 3 * len(want) for p in pages), (query, [p["total"] for p in pages])


def test_recent_runs_and_query_traffic_rank_ties(catalog: Catalog) -> None:
    before = keys(catalog, "tempo.raw")
    assert before.index("warehouse:tempo.raw.sessions") > before.index("warehouse:tempo.raw.refunds")  # no consumers
    now = datetime.now(timezone.utc)
    catalog.record_runs([TaskRun("platform_ingest_core", "rollup_sessions", "r1", 1, "success",
                                 (now - timedelta(hours=1)).isoformat(), now.isoformat())])
    after = catalog.assets(search="tempo.raw", limit=1000)["items"]
    sessions = next(a for a in after if a["key"] == "warehouse:tempo.raw.sessions")
    assert sessions["evidence"]["last_materialized"] is not None
    order = [a["key"] for a in after]
    assert order.index("warehouse:tempo.raw.sessions") < order.index("warehouse:tempo.raw.refunds")


def test_which_orders_table_to_use(catalog: Catalog) -> None:
    items = {a["key"]: a for a in catalog.assets(search="orders")["items"]}
    assert items[RAW_ORDERS]["verdict"] == PREFERRED and items[LEGACY_ORDERS]["verdict"] == LIKELY_LEGACY
    assert items["warehouse:tempo.dbt_staging.stg_orders"]["verdict"] is None  # no other table of its name
    assert items[LEGACY_ORDERS]["evidence"] == {"producers": 0, "consumers": 1, "owners": 0, "last_materialized": None, "queries": 0}
    assert items[RAW_ORDERS]["evidence"]["producers"] == 1 and items[RAW_ORDERS]["evidence"]["owners"] == 1
    detail = catalog.asset(LEGACY_ORDERS)
    assert detail["verdict"] == LIKELY_LEGACY
    assert [(s["key"], s["verdict"]) for s in detail["same_name"]] == [(RAW_ORDERS, PREFERRED)]
    plays = catalog.asset("warehouse:tempo.raw.plays")  # bigquery's raw.plays has a producer, an owner and consumers too: a tie
    assert plays["verdict"] is None and [s["verdict"] for s in plays["same_name"]] == [None]


def test_verdict_rules() -> None:
    now = datetime.now(timezone.utc)
    used = Evidence(producers=1, consumers=2, owners=1, last_materialized=now, queries=3)
    bare = Evidence(0, 1, 0, None, 0)
    assert verdicts({"a": used, "b": bare}, now) == {"a": PREFERRED, "b": LIKELY_LEGACY}
    assert verdicts({"a": used}, now) == {"a": None}  # alone: nothing to choose between
    assert verdicts({"a": used, "b": used}, now) == {"a": None, "b": None}  # a tie is not a choice
    fed = Evidence(0, 0, 0, now - timedelta(hours=2), 0)  # something still writes it (a fresh run): not legacy
    assert verdicts({"a": used, "b": fed}, now) == {"a": PREFERRED, "b": None}
    stale = Evidence(0, 0, 0, now - timedelta(days=30), 0)
    assert verdicts({"a": used, "b": stale}, now)["b"] == LIKELY_LEGACY
    ownerless = Evidence(1, 5, 0, now, 9)  # the most evidence but no owner: not preferred, and not legacy either
    assert verdicts({"a": ownerless, "b": bare}, now) == {"a": None, "b": LIKELY_LEGACY}
    assert verdicts({"a": bare, "b": bare}, now) == {"a": None, "b": None}  # none used: no verdict


def test_search_and_verdicts_over_http(catalog: Catalog) -> None:
    with running(create_app(catalog, token="")) as url:
        page = requests.get(f"{url}/api/v1/assets", params={"search": "orders", "limit": 2}, timeout=10).json()
        assert [(a["key"], a["verdict"]) for a in page["items"]] == [(RAW_ORDERS, PREFERRED), (LEGACY_ORDERS, LIKELY_LEGACY)]
        assert page["items"][0]["evidence"]["consumers"] == 2 and page["items"][0]["match"] == 0
        detail = requests.get(f"{url}/api/v1/assets/{LEGACY_ORDERS}", timeout=10).json()
        assert detail["same_name"] == [{"key": RAW_ORDERS, "verdict": PREFERRED, "evidence": page["items"][0]["evidence"]}]
        too_many = requests.get(f"{url}/api/v1/assets", params={"search": " ".join("abcdefghijklmnopq")}, timeout=10)
        assert too_many.status_code == 400 and "at most 16" in too_many.json()["error"]
        schema = requests.get(f"{url}/openapi.json", timeout=10).json()["components"]["schemas"]
        assert {"evidence", "verdict"} <= set(schema["AssetSummary"]["properties"]) and "same_name" in schema["AssetDetail"]["properties"]


def test_a_user_limited_to_some_dags_searches_only_what_they_see(catalog: Catalog) -> None:
    from airflow_plugin.scope import ScopedCatalog

    scoped = ScopedCatalog(catalog, {"finance_revenue"})
    assert keys(catalog, "platform_raw_commerce")  # the DAG that writes raw.orders, found through its id...
    assert scoped.assets(search="platform_raw_commerce")["items"] == []  # ...never by someone who may not read it
    found = {a["key"]: a for a in scoped.assets(search="orders")["items"]}
    assert set(found) == {RAW_ORDERS}  # read by finance_revenue; legacy.orders is read by a DAG this user cannot see
    assert found[RAW_ORDERS]["evidence"]["producers"] == 0 and found[RAW_ORDERS]["evidence"]["consumers"] == 1
    assert found[RAW_ORDERS]["verdict"] is None  # no same-named table visible to compare with
    detail = scoped.asset(RAW_ORDERS)
    assert detail["same_name"] == [] and detail["evidence"]["producers"] == 0
    unique = scoped.asset("warehouse:tempo.finance.okr_dashboard")  # a table name no other asset has
    assert unique["verdict"] is None and unique["same_name"] == [] and unique["evidence"]["producers"] == 1


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([*OVERLAY, *args], cwd=cwd, capture_output=True, text=True, timeout=300, env={**os.environ, "COLUMNS": "200"})


def test_the_cli_says_which_orders_table_to_use(catalog: Catalog, tmp_path: Path) -> None:
    if not catalog.url.startswith("sqlite"):
        pytest.skip("the CLI reads the same catalog code; once on SQLite is enough")
    db = catalog.url
    ambiguous = run("asset", "orders", "--db", db, cwd=tmp_path)
    assert ambiguous.returncode == 1
    lines = ambiguous.stderr.splitlines()
    assert "'orders' matches 2 assets" in lines[0]
    assert RAW_ORDERS in lines[1] and "preferred" in lines[1]
    assert LEGACY_ORDERS in lines[2] and "no producer, no owner: likely legacy" in lines[2]
    listed = run("assets", "--search", "orders", "--db", db, cwd=tmp_path).stdout
    assert "best first" in listed and listed.index(RAW_ORDERS) < listed.index(LEGACY_ORDERS)
    assert "preferred" in listed.split(RAW_ORDERS)[1].splitlines()[0] and "likely legacy" in listed.split(LEGACY_ORDERS)[1].splitlines()[0]
    one = run("asset", "legacy.orders", "--db", db, cwd=tmp_path).stdout
    assert "no producer, no owner: likely legacy among 2 assets named orders" in one and RAW_ORDERS in one


def test_serve_with_workers_keeps_the_guards(catalog: Catalog, tmp_path: Path) -> None:
    if not catalog.url.startswith("sqlite"):
        pytest.skip("workers serve any catalog alike; once on SQLite is enough")
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
    from api_bench import free_port, process_tree  # the benchmark's helpers

    for token in (None, "s3cret"):
        port = free_port()
        env = {k: v for k, v in os.environ.items() if k != "OVERLAY_API_TOKEN"} | ({"OVERLAY_API_TOKEN": token} if token else {})
        server = subprocess.Popen([*OVERLAY, "serve", "--port", str(port), "--workers", "2", "--db", catalog.url], cwd=tmp_path,
                                  env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            base, headers = f"http://127.0.0.1:{port}", ({"Authorization": f"Bearer {token}"} if token else {})
            deadline = time.monotonic() + 120
            while True:
                try:
                    if requests.get(f"{base}/health", timeout=5).status_code == 200:
                        break
                except requests.RequestException:
                    pass
                assert time.monotonic() < deadline and server.poll() is None, server.stderr.read() if server.poll() is not None else "slow"
                time.sleep(0.2)
            assert len([p for p in process_tree(server.pid) if p != server.pid]) >= 2  # the workers
            answers = [requests.get(f"{base}/api/v1/assets", params={"search": "orders"}, headers=headers, timeout=10) for _ in range(6)]
            assert all(a.status_code == 200 and a.json()["items"][0]["key"] == RAW_ORDERS for a in answers)
            if token:
                assert requests.get(f"{base}/api/v1/assets", timeout=10).status_code == 401
            else:
                assert requests.get(f"{base}/api/v1/assets", headers={"Host": "attacker.example"}, timeout=10).status_code == 403
        finally:
            server.terminate()
            server.wait(timeout=30)
