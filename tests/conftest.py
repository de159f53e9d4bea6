"""Shared fixtures: an isolated Airflow home, a throwaway PostgreSQL database, the sample DAG folder."""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_DAGS = ROOT / "sample_dags"
PG_ADMIN_URL = os.environ.get("OVERLAY_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


@pytest.fixture(scope="session", autouse=True)
def airflow_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Airflow reads its home at import: point it at a temporary folder before any test imports it."""
    home = tmp_path_factory.mktemp("airflow_home")
    previous = {k: os.environ.get(k) for k in ("AIRFLOW_HOME", "AIRFLOW__CORE__LOAD_EXAMPLES", "AIRFLOW__CORE__UNIT_TEST_MODE")}
    os.environ["AIRFLOW_HOME"] = str(home)
    os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
    yield home
    for key, value in previous.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


def _pg_connect(url: str):  # noqa: ANN202
    import psycopg

    return psycopg.connect(url, autocommit=True, connect_timeout=3)


def _ensure_pg_running() -> str | None:
    """Why the PostgreSQL tests cannot run, or None. The suite never starts a server itself: `.ci/run` does in CI,
    and `OVERLAY_TEST_PG` points the tests at any other server (an admin URL that may create databases)."""
    try:
        _pg_connect(PG_ADMIN_URL).close()
        return None
    except Exception as e:
        return (f"PostgreSQL not reachable at {PG_ADMIN_URL} ({type(e).__name__}: {str(e).strip()[:200]}); "
                "start a server or set OVERLAY_TEST_PG=postgresql://USER@HOST:PORT/postgres")


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database on the local server, dropped afterwards."""
    problem = _ensure_pg_running()
    if problem:
        pytest.skip(problem)
    name = f"overlay_test_{uuid.uuid4().hex[:10]}"
    with _pg_connect(PG_ADMIN_URL) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    try:
        yield f"postgresql+psycopg://{base.split('://', 1)[1]}/{name}"
    finally:
        with _pg_connect(PG_ADMIN_URL) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'catalog.db'}"
    return request.getfixturevalue("pg_url")


@pytest.fixture
def sample_dags(tmp_path: Path) -> Path:
    """A private copy of sample_dags, so tests may edit files."""
    target = tmp_path / "sample_dags"
    shutil.copytree(SAMPLE_DAGS, target)
    return target


LIVE_DAG = """
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
    audit = SQLExecuteQueryOperator(task_id="audit", conn_id="warehouse", split_statements=True,  # parameterized, tagged
        sql="CREATE TABLE IF NOT EXISTS mart.audit (n int, query text); "
            "INSERT INTO mart.audit SELECT n, current_query() FROM mart.daily WHERE kind = %(kind)s",
        parameters={"kind": "a"})
    stage >> build >> audit
"""


LIVE_REPORT_DAG = """
import pendulum
from airflow.sdk import DAG
from airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator

with DAG(dag_id="finance_report", start_date=pendulum.datetime(2026, 1, 1, tz="UTC"), schedule=None, catchup=False):
    SQLExecuteQueryOperator(task_id="report", conn_id="warehouse", sql="CREATE TABLE mart.report AS SELECT kind, n FROM mart.daily")
"""
# users of the live API server: passwords, and the DAGs a user is limited to (tests/dag_grants_auth.py)
LIVE_USERS = {"admin": "s3cret", "analyst": "an4lyst", "intern": "1ntern"}
LIVE_GRANTS = "analyst=demo_mart;intern="


@pytest.fixture(scope="session")
def live_airflow(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """A real Airflow 3 with overlay's plugin: migrated metadata DB, a catalog scanned from its DAG folder,
    one DAG run (`airflow dags test`) whose SQL runs on a real PostgreSQL warehouse, and `airflow api-server`."""
    import json
    import sys
    import time

    import requests

    pytest.importorskip("airflow")
    problem = _ensure_pg_running()
    if problem:
        pytest.skip(problem)
    from api_server import free_port

    airflow = str(Path(sys.executable).parent / "airflow")
    home = tmp_path_factory.mktemp("airflow_live")
    (home / "dags").mkdir()
    (home / "dags" / "demo.py").write_text(LIVE_DAG)
    for sample in ("platform/raw_tables_loop.py", "content/catalog_sync.py"):  # sample DAGs whose SQL really runs
        shutil.copy(SAMPLE_DAGS / sample, home / "dags" / Path(sample).name)
    (home / "dags" / "finance_report.py").write_text(LIVE_REPORT_DAG)  # scanned, never run: reads demo_mart's table
    (home / "config").mkdir()  # on Airflow's sys.path: the auth manager that limits users to some DAGs
    shutil.copy(ROOT / "tests" / "dag_grants_auth.py", home / "config" / "dag_grants_auth.py")
    (home / "passwords.json").write_text(json.dumps(LIVE_USERS))
    warehouse = f"overlay_wh_{uuid.uuid4().hex[:8]}"
    (home / "overlay.yaml").write_text(
        f"connections:\n  warehouse: {{dialect: postgres, database: {warehouse}, schema: public, namespace: warehouse}}\n"
        f"  warehouse_etl: {{dialect: postgres, database: {warehouse}, schema: public, namespace: warehouse}}\n")
    shutil.copy(home / "overlay.yaml", home / "dags" / "overlay.yaml")  # where the API server's background scans find it
    with _pg_connect(PG_ADMIN_URL) as conn:
        conn.execute(f'CREATE DATABASE "{warehouse}"')
        conn.execute(f'ALTER DATABASE "{warehouse}" SET log_statement = \'all\'')  # this database's statements reach the server log
    warehouse_url = f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{warehouse}"
    with _pg_connect(warehouse_url) as conn:
        conn.execute((SAMPLE_DAGS / "sql" / "setup" / "warehouse_schema.sql").read_text())
    catalog = f"sqlite:///{home / 'overlay.db'}"
    env = {**os.environ, "AIRFLOW_HOME": str(home), "AIRFLOW__CORE__DAGS_FOLDER": str(home / "dags"),
           "AIRFLOW__CORE__LOAD_EXAMPLES": "False", "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
           "AIRFLOW__CORE__AUTH_MANAGER": "dag_grants_auth.DagGrantsAuthManager", "OVERLAY_TEST_DAG_GRANTS": LIVE_GRANTS,
           "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "admin:admin,analyst:viewer,intern:viewer",
           "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(home / "passwords.json"),
           "AIRFLOW_CONN_WAREHOUSE": warehouse_url, "AIRFLOW_CONN_WAREHOUSE_ETL": warehouse_url, "OVERLAY_DB": catalog}
    env.pop("OVERLAY_API_TOKEN", None)
    subprocess.run([airflow, "db", "migrate"], env=env, check=True, capture_output=True, timeout=300)
    subprocess.run([sys.executable, "-m", "overlay.cli.main", "scan", str(home / "dags"), "--config", str(home / "overlay.yaml")],
                   env=env, check=True, capture_output=True, timeout=300)
    logs = []
    for dag_id, day in (("demo_mart", "2026-11-20"), ("platform_raw_commerce", "2024-01-15"), ("content_sync_artists", "2024-01-15")):
        test_run = subprocess.run([airflow, "dags", "test", dag_id, day], env=env, capture_output=True, text=True, timeout=300)
        assert test_run.returncode == 0, test_run.stdout[-3000:] + test_run.stderr[-3000:]
        logs.append(test_run.stdout + test_run.stderr)
    port = free_port()
    api_token = uuid.uuid4().hex  # the operator's overlay token: reads every DAG
    server = subprocess.Popen([airflow, "api-server", "--port", str(port)], env={**env, "OVERLAY_API_TOKEN": api_token},
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
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
        yield {"url": url, "home": home, "warehouse": warehouse, "warehouse_url": warehouse_url, "catalog": catalog, "env": env,
               "airflow": airflow, "dags_test_log": "\n".join(logs),
               "users": LIVE_USERS, "api_token": api_token}
    finally:
        server.terminate()
        server.wait(timeout=30)
        with _pg_connect(PG_ADMIN_URL) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{warehouse}" WITH (FORCE)')
        shutil.rmtree(home, ignore_errors=True)


@pytest.fixture
def split(tmp_path: Path) -> dict[str, Path]:
    """sample_dags as two repositories sharing tables: finance/ holds the finance DAGs, growth/ everything else (same
    SQL and settings); ``full`` is sample_dags itself."""
    finance, growth = tmp_path / "finance", tmp_path / "growth"
    shutil.copytree(SAMPLE_DAGS, finance)
    shutil.copytree(SAMPLE_DAGS, growth)
    for folder in ("growth", "platform", "content", "broken"):
        shutil.rmtree(finance / folder)
    shutil.rmtree(growth / "finance")
    return {"finance": finance, "growth": growth, "full": SAMPLE_DAGS}
