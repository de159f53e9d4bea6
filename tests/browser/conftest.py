"""Shared fixtures of the browser tests: Debian's Chromium driven by Playwright, over the real server and catalog.

- ``sample_catalog``: sample_dags scanned into a temporary SQLite catalog, with task runs (a failed try 3, so the
  OKR dashboard is late for a reason) and warehouse query history (cost) from tests/fixtures/history.
- ``ui_server``: uvicorn (tests/api_server.py) serving ``create_app`` with ``mount_ui`` over that catalog; its base
  URL. The Airflow link base is ``AIRFLOW_URL``.
- ``browser_page``: a fresh page in headless /usr/bin/chromium (skips, saying why, when it is absent). Console errors
  and uncaught page errors are collected in ``page.overlay_errors``; a test that leaves any fails at teardown.
- ``shoot(page, name)``: a full-page screenshot to ``artifacts/screenshots/<name>.png`` (gitignored).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))  # api_server

CHROMIUM = os.environ.get("OVERLAY_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
AIRFLOW_URL = "http://airflow.test:8080"
NOW = datetime.now(timezone.utc).replace(microsecond=0)


def _runs() -> list:
    from overlay.model import TaskRun

    def run(task: str, state: str, ago: timedelta, try_number: int = 1, run_id: str = "scheduled__1") -> TaskRun:
        dag_id, task_id = task.split(".")
        end = (NOW - ago).isoformat()
        return TaskRun(dag_id, task_id, run_id, try_number, state, end, end, source="test")

    day = timedelta(days=1)
    return [
        run("finance_revenue.build_okr_dashboard", "success", 2 * day, run_id="scheduled__0"),
        run("finance_revenue.build_daily_revenue", "success", 2 * day, run_id="scheduled__0"),
        run("finance_revenue.build_daily_revenue", "failed", day, try_number=3),
        run("growth_trial_metrics.build_trial_metrics_weekly", "success", day),
        run("platform_ingest_core.rollup_sessions", "success", timedelta(hours=3)),
    ]


@pytest.fixture(scope="session")
def sample_catalog(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201 - a Catalog
    from overlay.attribution.attribute import CostModel
    from overlay.attribution.history import read_history
    from overlay.catalog import Catalog
    from overlay.config import load_settings
    from overlay.pipeline import build_catalog

    sample = ROOT / "sample_dags"
    catalog = Catalog.open(f"sqlite:///{tmp_path_factory.mktemp('ui') / 'catalog.db'}")
    build_catalog(catalog, [str(sample)], "static", load_settings(None, [str(sample)]), NOW)
    catalog.record_runs(_runs())
    history = ROOT / "tests" / "fixtures" / "history"
    catalog.ingest_queries(read_history(history / "snowflake_query_history.csv", "snowflake"), CostModel())
    catalog.ingest_queries(read_history(history / "bigquery_jobs.jsonl", "bigquery"), CostModel())
    yield catalog
    catalog.close()


@pytest.fixture(scope="session")
def ui_server(sample_catalog) -> Iterator[str]:  # noqa: ANN001
    from api_server import running

    from overlay.api import create_app
    from overlay.ui import mount_ui

    app = create_app(sample_catalog, token="")
    mount_ui(app, airflow=AIRFLOW_URL)
    with running(app) as url:
        yield url


@pytest.fixture(scope="session")
def _browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is absent: `apt-get install -y chromium` (.ci/run does) to run the browser tests")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("playwright is not installed: pip install -e '.[test]'")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def browser_page(_browser) -> Iterator[object]:  # noqa: ANN001
    context = _browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(f"console.{msg.type}: {msg.text} ({msg.location.get('url', '')})") if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(f"page error: {exc}"))
    page.overlay_errors = errors
    yield page
    context.close()
    assert not errors, f"the browser reported errors: {errors}"


@pytest.fixture
def shoot() -> Callable[[object, str], Path]:
    def take(page, name: str) -> Path:  # noqa: ANN001
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
