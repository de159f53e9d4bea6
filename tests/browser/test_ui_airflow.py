"""overlay's UI inside a real ``airflow api-server`` with the plugin, in a real browser: log in through Airflow's own
login page, open the overlay entry of Airflow's navigation, a DAG's overlay tab and a task's (and from it an asset's
page); a user Airflow limits to one DAG sees nothing of the others. Only errors of overlay's own frames fail a test:
Airflow's UI logs its own (its config request before the login answers 401)."""

from __future__ import annotations

import re

TIMEOUT = 60_000  # Airflow's UI, then overlay's frame inside it, each load their scripts


def _login(page, url: str, user: str, password: str) -> None:  # noqa: ANN001
    page.goto(f"{url}/")
    page.wait_for_selector("input[name=username]", timeout=TIMEOUT)
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(lambda u: "/auth/" not in u, timeout=TIMEOUT)
    assert any(c["name"] == "_token" for c in page.context.cookies()), "Airflow's login set no _token cookie"


def _frame(page, title: str, shows: str):  # noqa: ANN001, ANN202
    """overlay's frame in Airflow's page (the iframe Airflow titles with the view's name), once it shows ``shows``."""
    frame = page.frame_locator(f'iframe[title="{title}"]')
    frame.locator("main .page").first.wait_for(timeout=TIMEOUT)
    frame.locator("main").get_by_text(shows).first.wait_for(timeout=TIMEOUT)
    assert frame.locator("main .error").count() == 0, frame.locator("main .error").all_inner_texts()
    return frame


def _only_overlays_errors(page) -> None:  # noqa: ANN001
    page.overlay_errors[:] = [e for e in page.overlay_errors if "/overlay/" in e]


def test_overlay_in_airflows_navigation_and_on_its_dag_and_task_pages(browser_page, live_airflow: dict, shoot) -> None:  # noqa: ANN001
    page, url, warehouse = browser_page, live_airflow["url"], live_airflow["warehouse"]
    _login(page, url, "admin", live_airflow["users"]["admin"])
    page.locator('a[href="/plugin/overlay"]').first.click(timeout=TIMEOUT)  # the entry of Airflow's navigation
    page.wait_for_url(re.compile(r"/plugin/overlay"))
    home = _frame(page, "Catalog", "platform_raw_commerce")  # the catalog home; the admin reads every DAG
    assert "demo_mart" in home.locator("main").inner_text()
    shoot(page, "airflow-nav-overlay")

    page.goto(f"{url}/dags/demo_mart")
    page.locator('a[href="/dags/demo_mart/plugin/overlay-dag"]').first.click(timeout=TIMEOUT)  # the DAG page's tab
    page.wait_for_url(re.compile(r"/dags/demo_mart/plugin/overlay-dag"))
    dag = _frame(page, "Assets (overlay)", "Tasks in run order")
    text = dag.locator("main").inner_text()
    assert "demo_mart" in text and f"{warehouse}.mart.daily" in text and "finance_report" in text  # its downstream DAG
    shoot(page, "airflow-dag-tab")

    page.goto(f"{url}/dags/demo_mart/tasks/build")
    page.locator('a[href="/dags/demo_mart/tasks/build/plugin/overlay-task"]').first.click(timeout=TIMEOUT)  # the task page's tab
    page.wait_for_url(re.compile(r"/dags/demo_mart/tasks/build/plugin/overlay-task"))
    task = _frame(page, "Reads & writes (overlay)", "CREATE TABLE")
    assert "raw.events" in task.locator("main").inner_text()
    shoot(page, "airflow-task-tab")
    task.locator(f'main a[href="#/asset/warehouse%3A{warehouse}.mart.daily"]').first.click()  # on to the asset's page
    task.locator("main .page h1", has_text="daily").wait_for(timeout=TIMEOUT)
    task.locator("main").get_by_text("finance_report.report").first.wait_for(timeout=TIMEOUT)  # the admin sees its reader
    assert f"warehouse:{warehouse}.mart.daily" in task.locator("main").inner_text()
    shoot(page, "airflow-task-tab-asset")
    _only_overlays_errors(page)


def test_a_user_limited_to_one_dag_sees_nothing_of_the_others(browser_page, live_airflow: dict, shoot) -> None:  # noqa: ANN001
    page, url, warehouse = browser_page, live_airflow["url"], live_airflow["warehouse"]
    _login(page, url, "analyst", live_airflow["users"]["analyst"])  # tests/dag_grants_auth.py: demo_mart only
    page.locator('a[href="/plugin/overlay"]').first.click(timeout=TIMEOUT)
    home = _frame(page, "Catalog", "demo_mart")
    home.locator("main").get_by_text("Recently changed").first.wait_for(timeout=TIMEOUT)
    text = home.locator("main").inner_text()
    for other in ("platform_raw_commerce", "content_sync_artists", "finance_report", "raw.orders", "mart.report"):
        assert other not in text, other
    shoot(page, "airflow-limited-home")

    page.goto(f"{url}/plugin/overlay/overlay/#/asset/warehouse%3A{warehouse}.mart.daily")  # a deep link into the view
    asset = _frame(page, "Catalog", "Read by")
    asset.locator("main").get_by_text("demo_mart.audit").first.wait_for(timeout=TIMEOUT)
    assert "finance_report" not in asset.locator("main").inner_text()  # its reader in another DAG stays unseen
    shoot(page, "airflow-limited-asset")

    page.goto(f"{url}/plugin/overlay/overlay/#/dag/platform_raw_commerce")
    frame = page.frame_locator('iframe[title="Catalog"]')
    frame.locator("main .error").first.wait_for(timeout=TIMEOUT)  # not found, as if it did not exist
    assert "Not found" in frame.locator("main .error").first.inner_text()
    assert "copy_orders" not in frame.locator("main").inner_text()
    shoot(page, "airflow-limited-other-dag")
    # the 404 above is the answer wanted; the browser logs it as a failed load
    page.overlay_errors[:] = [e for e in page.overlay_errors if "/overlay/" in e and "404" not in e]
