"""The web UI in a real browser (Debian's Chromium) over the real server on sample_dags' catalog."""

from __future__ import annotations

import pytest

ROUTES = ["#/", "#/search?q=orders", "#/asset/warehouse%3Atempo.finance.okr_dashboard", "#/dag/finance_revenue",
          "#/task/finance_revenue/build_okr_dashboard", "#/lineage", "#/owners", "#/stale", "#/cost", "#/coverage", "#/sources"]


@pytest.mark.parametrize("route", ROUTES)
def test_each_page_loads_without_errors(browser_page, ui_server: str, shoot, route: str) -> None:  # noqa: ANN001
    page = browser_page
    page.goto(f"{ui_server}/{route}")
    page.wait_for_selector("main .page")
    page.wait_for_load_state("networkidle")
    assert page.locator("main .error").count() == 0, page.locator("main .error").all_inner_texts()
    name = route.strip("#/").split("?")[0].split("/")[0] or "home"
    shoot(page, f"page-{name}")
