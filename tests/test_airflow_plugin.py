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
    assert [d["dag_id"] for d in dags.json()["items"]] == ["content_sync_artists", "content_sync_tracks", "demo_mart", "platform_raw_commerce"]
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
    assert plugin.external_views[0]["href"] == "/overlay/docs"


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
