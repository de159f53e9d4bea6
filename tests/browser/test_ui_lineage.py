"""The lineage explorer in a real browser (Debian's Chromium) over the real server: sample_dags' catalog, and a
generated catalog bigger than the explorer's node limit."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest

ROOT = Path(__file__).resolve().parents[2]
DRAWN = ".og-graph[data-graph-state=drawn]"
OKR = "warehouse:tempo.finance.okr_dashboard"


def lineage(base: str, **query: str) -> str:
    return f"{base}/#/lineage?" + "&".join(f"{k}={quote(v, safe='')}" for k, v in query.items())


def drawn_ids(page) -> set[str]:  # noqa: ANN001
    page.wait_for_selector(DRAWN, timeout=30_000)
    return set(page.locator(f"{DRAWN} .og-node[data-node-id]").evaluate_all("els => els.map(e => e.dataset.nodeId)"))


def no_error(page) -> None:  # noqa: ANN001
    assert page.locator("main .error").count() == 0, page.locator("main .error").all_inner_texts()


def test_selection_draws_the_right_nodes(browser_page, ui_server: str, sample_catalog, shoot) -> None:  # noqa: ANN001
    from overlay.catalog.select import selection_context
    from overlay.selection import select

    page = browser_page
    page.goto(lineage(ui_server, select="+okr_dashboard"))
    ids = drawn_ids(page)
    assert ids == select("+okr_dashboard", selection_context(sample_catalog))  # exactly the server's selection
    assert OKR in ids and "warehouse:tempo.raw.orders" in ids
    assert page.locator(f"{DRAWN} .og-edge").count() > 0
    assert page.locator(DRAWN).get_attribute("data-layout-where") == "worker"  # laid out off the main thread
    no_error(page)
    shoot(page, "lineage-selection")

    # typing a new selection keeps it in the hash route and redraws
    page.fill("input[name=select]", "okr_dashboard or lead_scores")
    page.click("button[type=submit]:has-text('Show')")
    page.wait_for_function("() => new URLSearchParams(location.hash.split('?')[1]).get('select') === 'okr_dashboard or lead_scores'")
    page.wait_for_function("() => document.querySelectorAll('.og-graph[data-graph-state=drawn] .og-node').length === 2")
    assert drawn_ids(page) == {OKR, "warehouse:tempo.growth.lead_scores"}


def test_same_selection_same_layout(browser_page, ui_server: str) -> None:  # noqa: ANN001
    page = browser_page
    positions = []
    for _ in range(2):
        page.goto(lineage(ui_server, select="+okr_dashboard"))
        page.wait_for_selector(DRAWN)
        positions.append(page.locator(f"{DRAWN} .og-node").evaluate_all(
            "els => els.map(e => [e.dataset.nodeId, e.style.transform]).sort()"))
        page.goto("about:blank")
    assert positions[0] == positions[1] and len(positions[0]) > 3


def test_group_by_dag_and_expand_a_group(browser_page, ui_server: str, shoot) -> None:  # noqa: ANN001
    page = browser_page
    page.goto(lineage(ui_server, select="+okr_dashboard", group_by="dag"))
    ids = drawn_ids(page)
    assert {"finance_revenue", "growth_trial_metrics"} <= ids
    assert page.locator(f"{DRAWN} [data-kind=group]").count() == len(ids)
    shoot(page, "lineage-grouped")
    page.locator(f"{DRAWN} [data-node-id=finance_revenue]").click()
    panel = page.locator("aside.og-panel[data-panel-for=finance_revenue]")
    # the members' links (the flat selection) come late, as from a busy server: the real answer, held back a moment
    page.route("**/api/v1/graph?*", lambda route: (time.sleep(0.5) if "max_nodes=5000" in route.request.url else None,
                                                   route.continue_()))
    layouts = "() => performance.getEntriesByName('overlay:graph-laid-out').length"
    before = page.evaluate(layouts)
    panel.get_by_role("button", name="Expand").click()
    # the expanded drawing, read in one snapshot: the member drawn with its links (to the member or group it feeds),
    # the group it replaces gone; and laid out once, not first without the links and again when they are loaded
    snapshot = page.wait_for_function(
        f"""() => {{
          const g = document.querySelector('{DRAWN}');
          if (!g) return false;
          const ids = [...g.querySelectorAll('.og-node[data-node-id]')].map((e) => e.dataset.nodeId);
          const edges = [...g.querySelectorAll('.og-edge')].map((e) => e.dataset.edgeId);
          const linked = edges.some((e) => e.startsWith('{OKR}\u2192') || e.endsWith('\u2192{OKR}'));
          return ids.includes('{OKR}') && linked && {{ids, edges, members: g.querySelectorAll('[data-kind=member]').length,
                                                        layouts: ({layouts})()}};
        }}""").json_value()
    expanded = set(snapshot["ids"])
    assert OKR in expanded and "finance_revenue" not in expanded and "growth_trial_metrics" in expanded
    assert snapshot["members"] >= 2
    assert snapshot["layouts"] == before + 1, snapshot
    no_error(page)
    shoot(page, "lineage-grouped-expanded")


def test_click_a_node_then_its_asset_page(browser_page, ui_server: str, shoot) -> None:  # noqa: ANN001
    page = browser_page
    page.goto(lineage(ui_server, select="+okr_dashboard"))
    page.wait_for_selector(DRAWN)
    page.locator(f"{DRAWN} [data-node-id='{OKR}']").click()
    panel = page.locator(f"aside.og-panel[data-panel-for='{OKR}']")
    panel.wait_for()
    assert "finance_revenue.build_okr_dashboard" in panel.inner_text()  # its producer
    page.wait_for_function("() => !document.querySelector('aside.og-panel .loading')")
    assert "finance" in panel.inner_text().lower().split("owners", 1)[1]  # owners from the asset's page
    shoot(page, "lineage-panel")
    panel.get_by_role("link", name="Open asset page").click()
    page.wait_for_function(f"() => location.hash === '#/asset/{quote(OKR, safe='')}'")
    page.wait_for_selector("main .page")
    no_error(page)


def test_keyboard_selects_and_opens_a_node(browser_page, ui_server: str) -> None:  # noqa: ANN001
    page = browser_page
    page.goto(lineage(ui_server, select="+okr_dashboard"))
    page.wait_for_selector(DRAWN)
    box = page.locator(f"{DRAWN} [data-node-id='{OKR}']")
    box.focus()
    page.keyboard.press("Space")  # selects it: its panel, and the box marked selected
    page.locator(f"aside.og-panel[data-panel-for='{OKR}']").wait_for()
    assert box.get_attribute("aria-pressed") == "true"
    page.keyboard.press("Enter")  # opens its asset page
    page.wait_for_function(f"() => location.hash === '#/asset/{quote(OKR, safe='')}'")
    no_error(page)


def test_highlight_a_path(browser_page, ui_server: str, shoot) -> None:  # noqa: ANN001
    page = browser_page
    page.goto(lineage(ui_server, select="+okr_dashboard"))
    page.wait_for_selector(DRAWN)
    page.fill("input[name=path_from]", "raw.orders")
    page.fill("input[name=path_to]", "okr_dashboard")
    page.click("button:has-text('Highlight path')")
    page.wait_for_selector(".og-path-line")
    from playwright.sync_api import expect  # the path's nodes and edges are restyled a render after its line appears

    length = int(page.locator(".og-path-line").get_attribute("data-path-length"))
    assert length >= 3
    expect(page.locator(f"{DRAWN} .og-path")).to_have_count(length)
    lit = page.locator(f"{DRAWN} .og-path").evaluate_all("els => els.map(e => e.dataset.nodeId)")
    assert "warehouse:tempo.raw.orders" in lit and OKR in lit
    expect(page.locator(f"{DRAWN} .og-edge.og-edge-path")).to_have_count(length - 1)
    assert "path_from=raw.orders" in page.evaluate("location.hash")
    no_error(page)
    shoot(page, "lineage-path")


def test_bad_selection_says_why(browser_page, ui_server: str) -> None:  # noqa: ANN001
    page = browser_page
    page.goto(lineage(ui_server, select="okr_dashboard and"))
    page.wait_for_selector("main .error")
    assert "selection ends where" in page.locator("main .error").inner_text()
    page.overlay_errors.clear()  # the 400 the browser logs for the failed request is the point of this test


@pytest.fixture(scope="module")
def big_server(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201 - the base URL
    """A generated catalog of 2,000 assets (100 DAG files of 20 tasks, bench/gen_dags.py), served like sample_dags'."""
    sys.path.insert(0, str(ROOT / "bench"))
    from api_server import running
    from gen_dags import generate

    from overlay.api import create_app
    from overlay.catalog import Catalog
    from overlay.config import load_settings
    from overlay.pipeline import build_catalog
    from overlay.ui import mount_ui

    from datetime import datetime, timezone

    folder = tmp_path_factory.mktemp("big") / "dags"
    generate(folder, 100, 20)
    catalog = Catalog.open(f"sqlite:///{folder.parent / 'catalog.db'}")
    build_catalog(catalog, [str(folder)], "static", load_settings(None, [str(folder)]), datetime.now(timezone.utc))
    app = create_app(catalog, token="")
    mount_ui(app)
    with running(app) as url:
        yield url
    catalog.close()


def test_above_the_node_limit_it_groups_or_lists_and_says_so(browser_page, big_server: str, shoot) -> None:  # noqa: ANN001
    page = browser_page
    page.goto(lineage(big_server, select="dag:synthetic_*"))
    notice = page.locator(".og-notice[role=status]").first
    notice.wait_for(timeout=60_000)
    text = notice.inner_text()
    assert "1,500" in text or "> 1500" in text, text
    selected = int(page.locator(".og-summary").get_attribute("data-selected"))
    assert selected > 1500
    # either the server grouped it (max_nodes) and the groups are drawn, or the nodes are listed: never 1,500+ drawn
    page.wait_for_selector(f"{DRAWN}, table.og-list tbody tr", timeout=60_000)
    shoot(page, "lineage-node-limit")
    assert page.locator(".og-node").count() <= 1500
    no_error(page)


def test_static_export_from_disk_lays_out_in_the_page(browser_page, sample_catalog, tmp_path: Path, shoot) -> None:  # noqa: ANN001
    """file:// starts no Worker: the layout script runs in the page, and select.ts answers the selection and the path."""
    import subprocess

    site = tmp_path / "site"
    run = subprocess.run([sys.executable, "-m", "overlay.cli.main", "export", "--format", "html", str(site), "--db", sample_catalog.url],
                         capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert run.returncode == 0, run.stderr
    page = browser_page
    page.goto(f"{(site / 'index.html').as_uri()}#/lineage?select=%2Bokr_dashboard&path_from=raw.orders&path_to=okr_dashboard")
    ids = drawn_ids(page)
    assert OKR in ids and "warehouse:tempo.raw.orders" in ids and len(ids) == 16
    assert page.locator(DRAWN).get_attribute("data-layout-where") == "page"
    assert page.locator(".og-path-line").get_attribute("data-path-length") == "3"
    assert page.locator(f"{DRAWN} .og-path").count() == 3
    no_error(page)
    shoot(page, "lineage-static-file")
