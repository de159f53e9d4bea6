"""The web UI in a real browser (Debian's Chromium) over the real server on sample_dags' catalog.

Each test fails when the page shows an error (``.error``) or the browser logs one (the ``browser_page`` fixture)."""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest
import requests

from .conftest import AIRFLOW_URL

OKR = "warehouse:tempo.finance.okr_dashboard"
ROUTES = {
    "home": "#/",
    "search": "#/search?q=orders",
    "asset": f"#/asset/{quote(OKR, safe='')}",
    "dag": "#/dag/finance_revenue",
    "task": "#/task/finance_revenue/build_okr_dashboard",
    "lineage": "#/lineage",
    "owners": "#/owners",
    "stale": "#/stale",
    "cost": "#/cost",
    "coverage": "#/coverage",
    "sources": "#/sources",
}


def settle(page) -> None:  # noqa: ANN001
    """Wait until the page has rendered and nothing on it is still loading, then check it shows no error."""
    page.wait_for_selector("main .page")
    page.wait_for_function("() => !document.querySelector('main .loading')", timeout=15000)
    errors = page.locator("main .error")
    assert errors.count() == 0, errors.all_inner_texts()


@pytest.mark.parametrize("name", list(ROUTES))
def test_each_page_loads_without_errors(browser_page, ui_server: str, shoot, name: str) -> None:  # noqa: ANN001
    page = browser_page
    page.goto(f"{ui_server}/{ROUTES[name]}")
    settle(page)
    assert page.locator("main h1").first.inner_text().strip()
    shoot(page, f"page-{name}")


def test_search_as_you_type_opens_the_asset(browser_page, ui_server: str, shoot) -> None:  # noqa: ANN001
    page = browser_page
    page.goto(f"{ui_server}/#/")
    settle(page)
    searched: list[str] = []
    page.on("request", lambda r: searched.append(r.url) if "/api/v1/assets?" in r.url else None)
    box = page.get_by_role("searchbox", name="Search assets")
    # keystrokes back to back: a prefix's request may start, and the next keystroke cancels it; the answer to "ok" holds
    # okr_dashboard too, so the row is looked for once the whole word's answer is in (a loaded machine showed "ok"'s)
    with page.expect_response(lambda r: "/api/v1/assets?" in r.url and "search=okr" in r.url):
        box.press_sequentially("okr")
    hit = page.locator(".results .asset-row", has_text="okr_dashboard").first
    hit.wait_for()
    assert searched and "search=okr&" in searched[-1] + "&", searched  # what is shown answers the whole word
    assert len(searched) <= 3, searched  # at most one request per keystroke
    shoot(page, "search-as-you-type")
    assert page.locator(".results .asset-row").first.inner_text().startswith("okr_dashboard")
    box.press("ArrowDown")  # the keyboard picks the first result
    box.press("Enter")
    page.wait_for_url(re.compile(r"#/asset/warehouse%3Atempo.finance.okr_dashboard$"))
    settle(page)
    assert page.locator("main h1").first.inner_text().startswith("okr_dashboard")


def test_asset_answers_who_where_from_and_why_late(browser_page, ui_server: str, shoot) -> None:  # noqa: ANN001
    page = browser_page
    page.goto(f"{ui_server}/{ROUTES['asset']}")
    settle(page)
    freshness = page.locator(".freshness").inner_text()
    assert "Late by" in freshness and "try 3" in freshness, freshness  # finance_revenue.build_daily_revenue failed, try 3
    owners = page.locator(".owners").inner_text()
    assert "finance-data@tempo.fm" in owners and "overlay.yaml" in owners and "CODEOWNERS" in owners
    sql = page.locator("pre.sql").first
    sql.wait_for()
    assert sql.locator(".sql-table.write", has_text="finance.okr_dashboard").count() == 1
    assert sql.locator(".sql-table.read", has_text="finance.daily_revenue").count() == 1
    assert "sample_dags/finance/revenue.py:40" in page.locator(".task-row").first.inner_text()
    neighbourhood = page.locator(".card", has_text="Upstream and downstream")
    neighbourhood.get_by_text("trial_metrics_weekly").first.wait_for()  # the graph of its neighbourhood, drawn
    assert neighbourhood.get_by_text("daily_revenue").count() >= 1
    shoot(page, "asset-okr-dashboard")


def test_follow_producer_to_dag_to_task(browser_page, ui_server: str, shoot) -> None:  # noqa: ANN001
    page = browser_page
    page.goto(f"{ui_server}/{ROUTES['asset']}")
    settle(page)
    page.locator(".task-row summary a.dag-link", has_text="finance_revenue").first.click()
    page.wait_for_url(re.compile(r"#/dag/finance_revenue$"))
    settle(page)
    assert page.locator("main h1").inner_text() == "finance_revenue"
    order = page.locator("table.tasks tbody tr td:nth-child(2) a.task-link").all_inner_texts()
    assert order == ["finance_revenue.build_daily_revenue", "finance_revenue.reconcile_refunds", "finance_revenue.build_okr_dashboard"]
    upstream = page.locator(".card", has_text="Upstream DAGs").inner_text()
    assert "growth_trial_metrics" in upstream and "platform_raw_commerce" in upstream, upstream
    page.wait_for_function("() => document.querySelector('table.tasks')?.innerText.includes('try 3')")
    daily = page.locator("table.tasks tbody tr").first.inner_text()  # build_daily_revenue runs first
    assert "failed" in daily and "try 3" in daily, daily  # the last recorded run of each task
    shoot(page, "dag-finance-revenue")
    page.locator("table.tasks a.task-link", has_text="build_okr_dashboard").click()
    page.wait_for_url(re.compile(r"#/task/finance_revenue/build_okr_dashboard$"))
    settle(page)
    assert page.locator("main h1").inner_text() == "build_okr_dashboard"
    assert page.locator("pre.sql .sql-table.read", has_text="growth.trial_metrics_weekly").count() == 1
    runs = page.locator(".card", has_text="Recorded runs").inner_text()
    assert "success" in runs and "scheduled__0" in runs, runs
    shoot(page, "task-build-okr-dashboard")


def test_airflow_link_opens_the_task_in_airflow(browser_page, ui_server: str) -> None:  # noqa: ANN001
    page = browser_page
    page.goto(f"{ui_server}/{ROUTES['task']}")
    settle(page)
    link = page.locator("a.airflow-link")
    expected = f"{AIRFLOW_URL}/dags/finance_revenue/tasks/build_okr_dashboard"
    assert link.get_attribute("href") == expected
    opened: list[str] = []
    page.context.route(f"{AIRFLOW_URL}/**", lambda route: (opened.append(route.request.url), route.abort()))
    with page.context.expect_page() as popup:
        link.click()
    popup.value.wait_for_load_state()
    assert opened == [expected]


def test_which_orders_table_to_use(browser_page, ui_server: str, shoot) -> None:  # noqa: ANN001
    legacy = "warehouse:tempo.legacy.orders"
    if "same_name" not in requests.get(f"{ui_server}/api/v1/assets/{legacy}", timeout=10).json():
        pytest.skip("this API has no same-name verdicts yet (ranked search with evidence)")
    page = browser_page
    page.goto(f"{ui_server}/#/asset/{quote(legacy, safe='')}")
    settle(page)
    which = page.locator(".which")
    assert "Which “orders” table should I use?" in which.inner_text()
    assert "no producer, no owner: likely legacy" in which.locator("tr.self").inner_text()
    assert which.locator(".verdict.preferred").count() >= 1
    advice = which.locator("p").first.inner_text()
    assert advice.startswith("Use warehouse:tempo.raw.orders: it has a producer, an owner") and "still reads this one" in advice, advice
    shoot(page, "which-orders")
    page.goto(f"{ui_server}/#/search?q=orders")
    settle(page)
    row = page.locator("tr.result-row", has_text="tempo.legacy.orders")
    assert "likely legacy" in row.inner_text()


def test_cost_compares_periods_and_shows_the_queries(browser_page, ui_server: str, shoot) -> None:  # noqa: ANN001
    page = browser_page
    page.goto(f"{ui_server}/#/cost")
    settle(page)
    page.get_by_role("tab", name="by Asset").click()
    settle(page)
    movers = page.locator(".card", has_text="Movers")
    from playwright.sync_api import expect  # the tab asks for its own rows: the previous tab's may still be shown
    expect(movers).to_contain_text("artist_daily_stats")
    movers.locator("tr", has_text="artist_daily_stats").get_by_role("button", name="queries").click()
    chart = page.locator(".asset-queries svg.chart").first
    chart.wait_for()
    assert chart.locator("rect.bar").count() >= 1
    settle(page)
    shoot(page, "cost-by-asset")


def test_coverage_links_to_the_partial_task(browser_page, ui_server: str) -> None:  # noqa: ANN001
    page = browser_page
    page.goto(f"{ui_server}/#/coverage")
    settle(page)
    card = page.locator(".card", has_text="not known statically")  # its table name comes from a Variable
    assert "variables:" in card.locator(".fix").inner_text()
    card.locator("a.task-link", has_text="export_segment").click()
    page.wait_for_url(re.compile(r"#/task/growth_lead_scoring/export_segment$"))
    settle(page)
    from playwright.sync_api import expect  # the setting comes from /api/v1/coverage, asked once the task has loaded

    expect(page.locator(".problems")).to_contain_text("variables:")


def test_stale_page_walks_the_reason_chain(browser_page, ui_server: str) -> None:  # noqa: ANN001
    page = browser_page
    page.goto(f"{ui_server}/#/stale")
    settle(page)
    okr = page.locator(".stale-item", has_text="okr_dashboard")
    assert "Late by" in okr.inner_text()
    okr.locator("ol.reasons a.asset-link", has_text="daily_revenue").first.click()
    page.wait_for_url(re.compile(r"#/asset/warehouse%3Atempo.finance.daily_revenue$"))
    settle(page)
    freshness = page.locator(".freshness").inner_text()  # no rule covers it: its last run, in words
    assert "Last run failed" in freshness and "try 3" in freshness, freshness


def test_a_token_protected_api_asks_for_the_token_once(browser_page, sample_catalog) -> None:  # noqa: ANN001
    from api_server import running

    from overlay.api import create_app
    from overlay.ui import mount_ui

    app = create_app(sample_catalog, token="s3cret")
    mount_ui(app)
    page = browser_page
    asked: list[str] = []

    def answer(dialog) -> None:  # noqa: ANN001
        asked.append(dialog.message)
        dialog.accept("s3cret")

    page.on("dialog", answer)
    with running(app) as url:
        page.goto(f"{url}/#/")
        settle(page)
        assert page.locator(".counts").inner_text().startswith("39")  # the summary, fetched with the token
        page.goto(f"{url}/#/owners")
        settle(page)
    assert len(asked) == 1 and "token" in asked[0]
    refused = [e for e in page.overlay_errors if "status of 401" in e]
    assert len(refused) == 1 and "/api/v1/summary" in refused[0], page.overlay_errors  # the first call, before the token
    page.overlay_errors.remove(refused[0])


def test_sources_page_says_when_runs_were_synced_but_none_recorded(browser_page, tmp_path) -> None:  # noqa: ANN001
    """A source whose runs were synced from Airflow but which has no run yet: the page says so, with the sync's time,
    instead of 'never' (which reads as if nothing had ever been synced)."""
    from api_server import running

    from overlay.api import create_app
    from overlay.catalog import Catalog
    from overlay.config import load_settings
    from overlay.pipeline import build_catalog
    from overlay.ui import mount_ui

    from .conftest import NOW, ROOT

    sample = str(ROOT / "sample_dags")
    catalog = Catalog.open(f"sqlite:///{tmp_path / 'catalog.db'}")
    try:
        build_catalog(catalog, [sample], "static", load_settings(None, [sample]), NOW)
        catalog.record_run_sync("default", "http://airflow.example:8080")
        app = create_app(catalog, token="")
        mount_ui(app)
        with running(app) as url:
            browser_page.goto(f"{url}/#/sources")
            settle(browser_page)
            cell = browser_page.locator("table tbody tr").first.locator("td").last
            assert cell.inner_text().startswith("none yet (runs synced "), cell.inner_text()
            assert "from http://airflow.example:8080" in (cell.get_attribute("title") or "")
    finally:
        catalog.close()
