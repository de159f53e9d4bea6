"""overlay's UI inside a real ``airflow api-server`` with the plugin, in a real browser: log in through Airflow's own
login page, open the overlay entry of Airflow's navigation, a DAG's overlay tab and a task's (and from it an asset's
page); a user Airflow limits to one DAG sees nothing of the others. Only errors of overlay's own frames fail a test:
Airflow's UI logs its own (a viewer's 403s on admin-only endpoints)."""

from __future__ import annotations

import re

import pytest


def _login(page, url: str, user: str, password: str) -> None:  # noqa: ANN001
    page.goto(f"{url}/")
    page.wait_for_selector("input[name=username]")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(lambda u: "/auth/" not in u, timeout=30_000)
    assert any(c["name"] == "_token" for c in page.context.cookies()), "Airflow's login set no _token cookie"


def _overlay_errors_only(page) -> None:  # noqa: ANN001
    page.overlay_errors[:] = [e for e in page.overlay_errors if "/overlay/" in e]


def _frame(page, title: str):  # noqa: ANN001, ANN202
    frame = page.frame_locator(f'iframe[title="{title}"]')
    frame.locator("main .page").first.wait_for(timeout=30_000)
    page.wait_for_load_state("networkidle")
    assert frame.locator("main .error").count() == 0, frame.locator("main .error").all_inner_texts()
    return frame


@pytest.fixture
def airflow(live_airflow: dict) -> dict:
    return live_airflow


def test_overlay_in_airflows_navigation_and_on_its_dag_and_task_pages(browser_page, airflow: dict, shoot) -> None:  # noqa: ANN001
    page, url, warehouse = browser_page, airflow["url"], airflow["warehouse"]
    _login(page, url, "admin", airflow["users"]["admin"])
    page.get_by_role("link", name="Asset catalog").first.click()  # the entry of Airflow's navigation
    page.wait_for_url(re.compile(r"/plugin/overlay"))
    home = _frame(page, "Asset catalog")
    home.get_by_text("demo_mart").first.wait_for()
    assert "platform_raw_commerce" in home.locator("main").inner_text()  # the admin reads every DAG
    shoot(page, "airflow-nav-overlay")

    page.goto(f"{url}/dags/demo_mart")
    page.get_by_role("tab", name="Assets (overlay)").or_(page.get_by_role("link", name="Assets (overlay)")).first.click()
    page.wait_for_url(re.compile(r"/dags/demo_mart/plugin/overlay-dag"))
    dag = _frame(page, "Assets (overlay)")
    dag.get_by_text("mart.daily").first.wait_for()
    assert "demo_mart" in dag.locator("main").inner_text()
    shoot(page, "airflow-dag-tab")

    page.goto(f"{url}/dags/demo_mart/tasks/build")
    page.get_by_role("tab", name="Reads & writes (overlay)").or_(page.get_by_role("link", name="Reads & writes (overlay)")).first.click()
    page.wait_for_url(re.compile(r"/dags/demo_mart/tasks/build/plugin/overlay-task"))
    task = _frame(page, "Reads & writes (overlay)")
    text = task.locator("main").inner_text()
    assert "CREATE TABLE mart.daily" in text and "raw.events" in text
    shoot(page, "airflow-task-tab")
    task.locator(f'a[href="#/asset/{"warehouse%3A" + warehouse}.mart.daily"]').first.click()  # on to the asset's page
    task.locator("main .page h1", has_text="daily").wait_for()
    asset_text = task.locator("main").inner_text()
    assert f"warehouse:{warehouse}.mart.daily" in asset_text and "finance_report.report" in asset_text  # admin sees its reader
    shoot(page, "airflow-task-tab-asset")
    _overlay_errors_only(page)


def test_a_user_limited_to_one_dag_sees_nothing_of_the_others(browser_page, airflow: dict, shoot) -> None:  # noqa: ANN001
    page, url, warehouse = browser_page, airflow["url"], airflow["warehouse"]
    _login(page, url, "analyst", airflow["users"]["analyst"])  # tests/dag_grants_auth.py: demo_mart only
    page.goto(f"{url}/plugin/overlay")
    home = _frame(page, "Asset catalog")
    home.get_by_text("demo_mart").first.wait_for()
    text = home.locator("main").inner_text()
    for other in ("platform_raw_commerce", "content_sync_artists", "finance_report", "raw.orders", "mart.report"):
        assert other not in text, other
    shoot(page, "airflow-limited-home")

    page.goto(f"{url}/plugin/overlay/overlay/#/asset/{'warehouse%3A' + warehouse}.mart.daily")
    asset = _frame(page, "Asset catalog")
    asset.locator("main .page h1", has_text="daily").wait_for()
    asset_text = asset.locator("main").inner_text()
    assert "demo_mart.audit" in asset_text and "finance_report" not in asset_text  # its reader in another DAG stays unseen
    shoot(page, "airflow-limited-asset")

    page.goto(f"{url}/plugin/overlay/overlay/#/dag/platform_raw_commerce")
    frame = page.frame_locator('iframe[title="Asset catalog"]')
    frame.locator("main .error").first.wait_for(timeout=30_000)  # not found, as if it did not exist
    assert "Not found" in frame.locator("main .error").first.inner_text()
    assert "copy_orders" not in frame.locator("main").inner_text()
    shoot(page, "airflow-limited-other-dag")
    page.overlay_errors.clear()  # the 404 above is the answer this test wants: the browser logs it as a failed load
