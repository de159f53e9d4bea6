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
    try:
        _pg_connect(PG_ADMIN_URL).close()
        return None
    except Exception as first:
        if shutil.which("pg_ctlcluster") and Path("/etc/postgresql").is_dir():
            version = sorted(os.listdir("/etc/postgresql"))[-1]
            subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "start"], capture_output=True, timeout=60)
            try:
                _pg_connect(PG_ADMIN_URL).close()
                return None
            except Exception as second:
                return f"PostgreSQL not reachable at {PG_ADMIN_URL}: {second}"
        return f"PostgreSQL not reachable at {PG_ADMIN_URL}: {first}"


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
