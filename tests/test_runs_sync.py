"""`overlay runs sync` against a real Airflow 3: metadata DB, a DAG run by `airflow dags test` on a real
PostgreSQL warehouse, and `airflow api-server` on a loopback port."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

def overlay(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "overlay.cli.main", *args], cwd=cwd, capture_output=True, text=True, timeout=300)


def test_runs_sync_records_materializations_incrementally(live_airflow: dict, tmp_path: Path) -> None:
    (tmp_path / "overlay.yaml").write_text((live_airflow["home"] / "overlay.yaml").read_text())
    db = f"sqlite:///{tmp_path / 'catalog.db'}"
    assert overlay("scan", str(live_airflow["home"] / "dags"), "--db", db, cwd=tmp_path).returncode == 0
    first = overlay("runs", "sync", "--airflow-url", live_airflow["url"], "--user", "admin", "--password", "s3cret", "--db", db, "--json", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    counts = json.loads(first.stdout)
    assert counts["runs"] >= 6  # demo_mart (2 tasks), platform_raw_commerce (3), content_sync_artists (1), and later runs
    assert (counts["materializations"], counts["unknown_tasks"], counts["since"]) == (counts["runs"], 0, None)
    again = json.loads(overlay("runs", "sync", "--airflow-url", live_airflow["url"], "--user", "admin", "--password", "s3cret",
                               "--db", db, "--json", cwd=tmp_path).stdout)
    assert again["materializations"] == 0 and again["since"] is not None  # incremental and idempotent
    asset = json.loads(overlay("asset", "mart.daily", "--db", db, "--json", cwd=tmp_path).stdout)
    assert asset["key"] == f"warehouse:{live_airflow['warehouse']}.mart.daily"
    assert asset["last_materialization"]["task_id"] == "build" and asset["last_materialization"]["state"] == "success"
    assert asset["columns"] == ["kind", "n"]


def test_runs_sync_reports_bad_credentials(live_airflow: dict, tmp_path: Path) -> None:
    result = overlay("runs", "sync", "--airflow-url", live_airflow["url"], "--user", "admin", "--password", "wrong",
                     "--db", live_airflow["catalog"], cwd=tmp_path)
    assert result.returncode == 1 and "rejected the credentials of user 'admin'" in result.stderr
