"""The plugin inside a real Airflow 3: the listener during a real DAG run, and the API mounted in the API server."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
import requests

from overlay.catalog import Catalog


def test_listener_recorded_each_task_of_the_dag_run(live_airflow: dict) -> None:
    catalog = Catalog.open(live_airflow["catalog"])
    for key, task in ((f"warehouse:{live_airflow['warehouse']}.raw.events", "stage"), (f"warehouse:{live_airflow['warehouse']}.mart.daily", "build")):
        (run,) = catalog.materializations(key)
        assert (run["dag_id"], run["task_id"], run["state"], run["source"]) == ("demo_mart", task, "success", "airflow-listener")
    catalog.close()
    assert "overlay recorded 1 materializations for demo_mart.build" in live_airflow["dags_test_log"]


def test_a_parameterized_task_succeeds_with_tagging_on_and_its_statement_is_tagged(live_airflow: dict) -> None:
    """psycopg reads placeholders in the whole text: the tag's URL-encoded ``%3A`` must reach the server escaped."""
    import psycopg

    from overlay.attribution.tags import parse_sqlcommenter

    with psycopg.connect(live_airflow["warehouse_url"]) as conn:
        rows = conn.execute("SELECT n, query FROM mart.audit").fetchall()
    assert rows and {n for n, _ in rows} == {1}
    tags = parse_sqlcommenter(rows[0][1])
    assert (tags["dag_id"], tags["task_id"]) == ("demo_mart", "audit") and ":" in tags["run_id"]
    assert "%(kind)s" not in rows[0][1]  # the driver bound the parameter: the statement ran as written


def test_sample_dags_ran_their_sql_on_postgres_and_materialized_their_assets(live_airflow: dict) -> None:
    import psycopg

    with psycopg.connect(live_airflow["warehouse_url"]) as conn:
        orders = conn.execute("SELECT order_id FROM raw.orders ORDER BY order_id").fetchall()
        artists = conn.execute("SELECT id, name FROM content.artists ORDER BY id").fetchall()
    assert orders == [(1,), (2,)]  # only the rows loaded on the run's day
    assert artists == [(1, "Nova Lines"), (2, "The Quiet Tapes")]  # MERGE updated one, inserted one
    catalog = Catalog.open(live_airflow["catalog"])
    warehouse = live_airflow["warehouse"]
    for table, task in (("raw.orders", "copy_orders"), ("raw.payments", "copy_payments"), ("raw.refunds", "copy_refunds"),
                        ("content.artists", "merge_artists")):
        (run,) = catalog.materializations(f"warehouse:{warehouse}.{table}")
        assert (run["task_id"], run["state"]) == (task, "success")
    assert catalog.materializations(f"warehouse:{warehouse}.staging.orders_import") == []  # read, not written
    catalog.close()


def test_a_catalog_that_is_down_never_fails_the_task(live_airflow: dict) -> None:
    env = {**live_airflow["env"], "OVERLAY_DB": "postgresql+psycopg://nobody@127.0.0.1:1/overlay?connect_timeout=1"}
    result = subprocess.run([live_airflow["airflow"], "dags", "test", "demo_mart", "2026-11-21"], env=env, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0
    log = result.stdout + result.stderr
    assert "overlay could not record the run of demo_mart.build; the task is not affected" in log
    assert "DagRun Finished: dag_id=demo_mart" in log and "state=success" in log


def test_api_is_mounted_under_overlay_and_checks_airflows_jwt(live_airflow: dict) -> None:
    url = live_airflow["url"]
    assert requests.get(f"{url}/overlay/api/v1/dags", timeout=10).status_code == 401
    assert requests.get(f"{url}/overlay/api/v1/dags", headers={"Authorization": "Bearer forged.jwt.token"}, timeout=10).status_code == 401
    token = requests.post(f"{url}/auth/token", json={"username": "admin", "password": "s3cret"}, timeout=10).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    dags = requests.get(f"{url}/overlay/api/v1/dags", headers=headers, timeout=10)
    assert dags.status_code == 200
    assert [d["dag_id"] for d in dags.json()["items"]] == ["content_sync_artists", "content_sync_tracks", "demo_mart", "finance_report",
                                                      "platform_raw_commerce"]
    asset = requests.get(f"{url}/overlay/api/v1/assets/mart.daily", headers=headers, timeout=10).json()
    assert asset["last_materialization"]["source"] == "airflow-listener"
    history = requests.get(f"{url}/overlay/api/v1/assets/mart.daily/materializations", headers=headers, timeout=10).json()
    assert history["materializations"][0]["task_id"] == "build"
    cookie = requests.get(f"{url}/overlay/api/v1/dags", cookies={"_token": token}, timeout=10)
    assert cookie.status_code == 200  # the Airflow UI's session cookie works too


def test_plugin_is_registered_through_the_entry_point() -> None:
    from importlib.metadata import entry_points

    (entry,) = [e for e in entry_points(group="airflow.plugins") if e.name == "overlay"]
    plugin = entry.load()
    assert plugin.name == "overlay" and plugin.fastapi_apps[0]["url_prefix"] == "/overlay"
    assert plugin.external_views[0]["href"] == "/overlay/"


# the placeholders Airflow 3.3's UI fills in an external view's href on each page (none in the navigation)
FILLED = {"nav": set(), "dag": {"DAG_ID"}, "dag_run": {"DAG_ID", "RUN_ID"}, "task": {"DAG_ID", "TASK_ID"},
          "task_instance": {"DAG_ID", "RUN_ID", "TASK_ID", "MAP_INDEX"}}


def test_the_ui_is_in_airflows_navigation_and_on_its_dag_and_task_pages() -> None:
    import re

    from airflow.api_fastapi.core_api.datamodels.plugins import ExternalViewResponse

    from airflow_plugin.plugin import OverlayPlugin

    views = {v["destination"]: ExternalViewResponse.model_validate(v) for v in OverlayPlugin.external_views}  # as Airflow serves them
    assert set(views) == {"nav", "dag", "task"}
    assert all(v.url_route for v in views.values())  # rendered inside Airflow's page, not a link out of it
    assert len({v.url_route for v in views.values()}) == 3  # Airflow drops a view whose route another one took
    assert views["nav"].href == "/overlay/" and views["nav"].nav_top_level
    assert views["dag"].href == "/overlay/#/dag/{DAG_ID}" and views["task"].href == "/overlay/#/task/{DAG_ID}/{TASK_ID}"
    for destination, view in views.items():
        assert set(re.findall(r"\{([A-Z_]+)\}", view.href)) <= FILLED[destination], view.href
    assert not any("docs" in v.href for v in views.values())  # the old Swagger link is gone


def test_the_mounted_app_serves_the_ui_page_under_overlay_with_its_api_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """Mounted at /overlay as Airflow's API server mounts plugin apps: the page (no token needed: it holds no data) names
    the API under /overlay/api/v1 and Airflow's origin; its scripts come from the package; the API still needs a token."""
    import json
    import re

    from fastapi import FastAPI

    from api_server import running
    from airflow_plugin.plugin import OverlayPlugin
    from overlay.ui import dist_dir

    monkeypatch.delenv("OVERLAY_API_TOKEN", raising=False)
    (entry,) = OverlayPlugin.fastapi_apps
    airflow = FastAPI()
    airflow.mount(entry["url_prefix"], entry["app"])
    with running(airflow) as url:
        page = requests.get(f"{url}/overlay/", timeout=10)
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        config = json.loads(re.search(r'<script id="overlay-config" type="application/json">(.*?)</script>', page.text).group(1))
        assert config == {"mode": "api", "api": "/overlay/api/v1", "airflow": url}
        script = re.search(r'src="\./(assets/[^"]+\.js)"', page.text).group(1)
        served = requests.get(f"{url}/overlay/{script}", timeout=10)
        assert served.status_code == 200 and served.content == (dist_dir() / script).read_bytes()
        assert requests.get(f"{url}/overlay/api/v1/dags", timeout=10).status_code == 401


def test_queries_carry_sqlcommenter_tags_read_back_from_the_server_log(live_airflow: dict) -> None:
    """Every statement the sample DAG sent to PostgreSQL names its task, with no change to the DAG."""
    import glob

    from overlay.attribution.tags import parse_sqlcommenter

    logs = [p for p in glob.glob("/var/log/postgresql/postgresql-*-main.log") if os.access(p, os.R_OK)]
    if not logs:
        pytest.skip("the PostgreSQL server log is not readable here")
    text = "".join(Path(p).read_text(errors="replace") for p in logs)
    statement = next(line for line in text.splitlines() if "INSERT INTO raw.orders SELECT * FROM staging.orders_import" in line
                     and "/*dag_id=" in line)
    tags = parse_sqlcommenter(statement)
    assert (tags["dag_id"], tags["task_id"], tags["try_number"]) == ("platform_raw_commerce", "copy_orders", "1")
    assert tags["run_id"].startswith("manual__")


def _session(live_airflow: dict, user: str) -> requests.Session:
    """Requests as one Airflow user, with the JWT Airflow's auth manager issues for them."""
    url = live_airflow["url"]
    token = requests.post(f"{url}/auth/token", json={"username": user, "password": live_airflow["users"][user]}, timeout=10).json()
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token['access_token']}"
    return session


def test_each_user_reads_only_the_dags_airflow_lets_them_read(live_airflow: dict) -> None:
    """analyst may read demo_mart only (tests/dag_grants_auth.py); admin and the overlay token read everything."""
    api = f"{live_airflow['url']}/overlay/api/v1"
    warehouse = live_airflow["warehouse"]
    admin, analyst, intern = (_session(live_airflow, u) for u in ("admin", "analyst", "intern"))
    everything = ["content_sync_artists", "content_sync_tracks", "demo_mart", "finance_report", "platform_raw_commerce"]
    assert [d["dag_id"] for d in admin.get(f"{api}/dags", timeout=10).json()["items"]] == everything
    token = requests.get(f"{api}/dags", headers={"Authorization": f"Bearer {live_airflow['api_token']}"}, timeout=10)
    assert [d["dag_id"] for d in token.json()["items"]] == everything

    assert [d["dag_id"] for d in analyst.get(f"{api}/dags", timeout=10).json()["items"]] == ["demo_mart"]
    assert analyst.get(f"{api}/dags/demo_mart", timeout=10).status_code == 200
    assert "CREATE TABLE mart.daily" in " ".join(analyst.get(f"{api}/tasks/demo_mart/build", timeout=10).json()["sql"])
    for path in ("/dags/platform_raw_commerce", "/tasks/platform_raw_commerce/copy_orders", "/tasks/finance_report/report"):
        assert analyst.get(f"{api}{path}", timeout=10).status_code == 404, path  # another DAG's SQL stays unseen
    assert admin.get(f"{api}/tasks/platform_raw_commerce/copy_orders", timeout=10).json()["sql"]

    # assets: those demo_mart produces or consumes; mart.daily is also read by finance_report, which analyst may not see
    keys = [a["key"] for a in analyst.get(f"{api}/assets", timeout=10).json()["items"]]
    assert keys == [f"warehouse:{warehouse}.{t}" for t in ("mart.audit", "mart.daily", "raw.events")]
    daily = analyst.get(f"{api}/assets/mart.daily", timeout=10).json()
    assert [c["task"] for c in daily["consumers"]] == ["demo_mart.audit"] and daily["consumer_dags"] == 1
    assert [n["via"] for n in daily["downstream"]] == ["demo_mart.audit"]
    assert {c["task"] for c in admin.get(f"{api}/assets/mart.daily", timeout=10).json()["consumers"]} == {
        "demo_mart.audit", "finance_report.report"}
    lineage = analyst.get(f"{api}/assets/mart.daily/lineage", params={"direction": "downstream"}, timeout=10).json()
    assert {e["via"] for e in lineage["edges"]} == {"demo_mart.audit"}
    assert f"warehouse:{warehouse}.mart.report" not in {n["key"] for n in lineage["nodes"]}
    for path in ("/assets/mart.report", "/assets/raw.orders", "/assets/raw.orders/lineage", "/assets/raw.orders/materializations"):
        assert analyst.get(f"{api}{path}", timeout=10).status_code == 404, path  # touched only by unreadable DAGs
    assert analyst.get(f"{api}/assets/mart.daily/materializations", timeout=10).json()["materializations"][0]["task_id"] == "build"
    owners = analyst.get(f"{api}/owners", timeout=10).json()
    assert {a["key"] for a in owners["assets"]} == set(keys)
    assert analyst.get(f"{api}/who/demo_mart", timeout=10).status_code == 200
    for subject in ("platform_raw_commerce", "platform_raw_commerce.copy_orders", "raw.orders"):
        assert analyst.get(f"{api}/who/{subject}", timeout=10).status_code == 404, subject
    assert analyst.get(f"{api}/graph", timeout=10).status_code == 403  # whole-catalog views: not for a limited user
    summary = analyst.get(f"{api}/summary", timeout=10).json()  # the UI's home counts demo_mart alone
    assert summary["counts"]["dags"] == 1 and summary["counts"]["assets"] == len(keys)
    assert [d["dag_id"] for d in summary["by_dag"]] == ["demo_mart"]
    assert {c["key"] for c in summary["recently_changed"]} <= set(keys)
    assert sum(analyst.get(f"{api}/coverage", timeout=10).json()["totals"].values()) == len(
        analyst.get(f"{api}/dags/demo_mart", timeout=10).json()["tasks"])
    assert analyst.get(f"{api}/graph/path", params={"from": "raw.events", "to": "mart.audit"}, timeout=10).status_code == 200
    assert analyst.get(f"{api}/graph/path", params={"from": "mart.daily", "to": "mart.report"}, timeout=10).status_code == 404
    assert {n["id"] for n in analyst.get(f"{api}/graph", params={"select": "mart.daily+"}, timeout=10).json()["nodes"]} == {
        f"warehouse:{warehouse}.mart.daily", f"warehouse:{warehouse}.mart.audit"}
    assert admin.get(f"{api}/graph", timeout=10).status_code == 200

    assert intern.get(f"{api}/dags", timeout=10).json()["items"] == []  # a viewer granted no DAG reads none
    assert intern.get(f"{api}/assets", timeout=10).json()["total"] == 0
    assert intern.get(f"{api}/assets/mart.daily", timeout=10).status_code == 404
