"""`overlay runs sync` against a real Airflow 3: metadata DB, a DAG run by `airflow dags test` on a real
PostgreSQL warehouse, and `airflow api-server` on a loopback port."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from api_server import free_port

pytest.importorskip("airflow")
AIRFLOW = str(Path(sys.executable).parent / "airflow")
DEMO_DAG = '''
import pendulum
from airflow.sdk import DAG
from airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator

with DAG(dag_id="demo_mart", start_date=pendulum.datetime(2026, 1, 1, tz="UTC"), schedule="@daily", catchup=False,
         default_args={"owner": "demo"}):
    stage = SQLExecuteQueryOperator(task_id="stage", conn_id="warehouse",
        sql="CREATE SCHEMA IF NOT EXISTS raw; CREATE TABLE IF NOT EXISTS raw.events AS SELECT 1 AS id, 'a' AS kind")
    build = SQLExecuteQueryOperator(task_id="build", conn_id="warehouse",
        sql="CREATE SCHEMA IF NOT EXISTS mart; DROP TABLE IF EXISTS mart.daily; "
            "CREATE TABLE mart.daily AS SELECT kind, count(*) AS n FROM raw.events GROUP BY kind")
    stage >> build
'''


@pytest.fixture(scope="module")
def airflow(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """A real Airflow: migrated metadata DB, one DAG run against PostgreSQL, and the API server."""
    import psycopg

    from conftest import PG_ADMIN_URL, _ensure_pg_running

    problem = _ensure_pg_running()
    if problem:
        pytest.skip(problem)
    home = tmp_path_factory.mktemp("airflow_live")
    (home / "dags").mkdir()
    (home / "dags" / "demo.py").write_text(DEMO_DAG)
    (home / "passwords.json").write_text(json.dumps({"admin": "s3cret"}))
    warehouse = f"overlay_wh_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{warehouse}"')
    env = {**os.environ, "AIRFLOW_HOME": str(home), "AIRFLOW__CORE__DAGS_FOLDER": str(home / "dags"),
           "AIRFLOW__CORE__LOAD_EXAMPLES": "False", "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
           "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "admin:admin",
           "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(home / "passwords.json"),
           "AIRFLOW_CONN_WAREHOUSE": f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{warehouse}"}
    subprocess.run([AIRFLOW, "db", "migrate"], env=env, check=True, capture_output=True, timeout=300)
    subprocess.run([AIRFLOW, "dags", "test", "demo_mart", "2026-11-20"], env=env, check=True, capture_output=True, timeout=300)
    port = free_port()
    server = subprocess.Popen([AIRFLOW, "api-server", "--port", str(port)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if requests.get(f"{url}/api/v2/monitor/health", timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                pytest.fail("airflow api-server did not start")
            time.sleep(0.5)
        yield {"url": url, "home": home, "warehouse": warehouse}
    finally:
        server.terminate()
        server.wait(timeout=30)
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{warehouse}" WITH (FORCE)')
        shutil.rmtree(home, ignore_errors=True)


def overlay(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "overlay.cli.main", *args], cwd=cwd, capture_output=True, text=True, timeout=300)


def test_runs_sync_records_materializations_incrementally(airflow: dict, tmp_path: Path) -> None:
    (tmp_path / "overlay.yaml").write_text(
        "connections:\n  warehouse: {dialect: postgres, database: %s, schema: public, namespace: warehouse}\n" % airflow["warehouse"])
    db = f"sqlite:///{tmp_path / 'catalog.db'}"
    assert overlay("scan", str(airflow["home"] / "dags"), "--db", db, cwd=tmp_path).returncode == 0
    first = overlay("runs", "sync", "--airflow-url", airflow["url"], "--user", "admin", "--password", "s3cret", "--db", db, "--json", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    counts = json.loads(first.stdout)
    assert (counts["runs"], counts["materializations"], counts["unknown_tasks"], counts["since"]) == (2, 2, 0, None)
    again = json.loads(overlay("runs", "sync", "--airflow-url", airflow["url"], "--user", "admin", "--password", "s3cret",
                               "--db", db, "--json", cwd=tmp_path).stdout)
    assert again["materializations"] == 0 and again["since"] is not None  # incremental and idempotent
    asset = json.loads(overlay("asset", "mart.daily", "--db", db, "--json", cwd=tmp_path).stdout)
    assert asset["key"] == f"warehouse:{airflow['warehouse']}.mart.daily"
    assert asset["last_materialization"]["task_id"] == "build" and asset["last_materialization"]["state"] == "success"
    assert asset["columns"] == ["kind", "n"]


def test_runs_sync_reports_bad_credentials(airflow: dict, tmp_path: Path) -> None:
    result = overlay("runs", "sync", "--airflow-url", airflow["url"], "--user", "admin", "--password", "wrong",
                     "--db", f"sqlite:///{tmp_path / 'c.db'}", cwd=tmp_path)
    assert result.returncode == 1 and "rejected the credentials of user 'admin'" in result.stderr
