"""Inside a real `airflow api-server`: a DAG file added or changed shows up in /overlay/api/v1 with no command run."""

from __future__ import annotations

import time

import requests

FRESH = """
import pendulum
from airflow.sdk import DAG
from airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator

with DAG(dag_id="fresh_mart", start_date=pendulum.datetime(2026, 1, 1, tz="UTC"), schedule=None, catchup=False):
    SQLExecuteQueryOperator(task_id="build", conn_id="warehouse", sql="INSERT INTO mart.{table} SELECT * FROM raw.events")
"""

LEGACY = """
from datetime import datetime
from airflow import DAG
from airflow.operators.postgres_operator import PostgresOperator  # Airflow 2 only: does not import under Airflow 3

with DAG("legacy_report", start_date=datetime(2021, 1, 1), schedule_interval="@daily") as dag:
    PostgresOperator(task_id="report", postgres_conn_id="warehouse", sql="INSERT INTO mart.legacy_report SELECT * FROM mart.daily")
"""


def _wait(url: str, headers: dict, path: str, ready, timeout: float = 150):  # noqa: ANN001, ANN202
    deadline = time.monotonic() + timeout
    body = None
    while time.monotonic() < deadline:
        response = requests.get(f"{url}/overlay/api/v1{path}", headers=headers, timeout=10)
        body = response.json() if response.status_code == 200 else None
        if body is not None and ready(body):
            return body
        time.sleep(1)
    raise AssertionError(f"{path} not updated within {timeout}s: {body}")


def test_the_api_server_rescans_changed_dag_files_by_itself(live_airflow: dict) -> None:
    url, dags = live_airflow["url"], live_airflow["home"] / "dags"
    token = requests.post(f"{url}/auth/token", json={"username": "admin", "password": "s3cret"}, timeout=10).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    try:
        (dags / "fresh_mart.py").write_text(FRESH.format(table="fresh"))
        (dags / "legacy_report.py").write_text(LEGACY)
        listed = _wait(url, headers, "/dags", lambda b: {"fresh_mart", "legacy_report"} <= {d["dag_id"] for d in b["items"]})
        by_id = {d["dag_id"]: d for d in listed["items"]}
        assert by_id["fresh_mart"]["mode"] == "import" and by_id["legacy_report"]["mode"] == "static"  # legacy: read statically
        warehouse = live_airflow["warehouse"]
        legacy = requests.get(f"{url}/overlay/api/v1/tasks/legacy_report/report", headers=headers, timeout=10).json()
        assert legacy["writes"] == [f"warehouse:{warehouse}.mart.legacy_report"]

        (dags / "fresh_mart.py").write_text(FRESH.format(table="fresher"))  # a change to an existing file
        task = _wait(url, headers, "/tasks/fresh_mart/build", lambda b: b.get("writes") == [f"warehouse:{warehouse}.mart.fresher"])
        assert task["reads"] == [f"warehouse:{warehouse}.raw.events"]
        (source,) = requests.get(f"{url}/overlay/api/v1/sources", headers=headers, timeout=10).json()["items"]
        assert source["name"] == "dags" and source["counts"]["dags"] >= 6
        assert source["last_scan"]["folders"] == [str(dags)]
    finally:
        (dags / "fresh_mart.py").unlink(missing_ok=True)
        (dags / "legacy_report.py").unlink(missing_ok=True)
    # and a removed file goes too, leaving the catalog as the other live tests expect it
    _wait(url, headers, "/dags", lambda b: not {"fresh_mart", "legacy_report"} & {d["dag_id"] for d in b["items"]})
