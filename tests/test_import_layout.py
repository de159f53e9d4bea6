"""Import mode on a repository's own layout: plugins/ and the project root on sys.path as Airflow has them,
on Airflow 3 (the shared environment) and on Airflow 2.10 (a second virtualenv, opt-in)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from overlay.config import load_settings
from overlay.discover.syspath import import_paths, project_root
from overlay.scan import scan_folders

ROOT = Path(__file__).resolve().parent.parent
LAYOUT = Path(__file__).parent / "fixtures" / "repo_layout"
EXPECTED = {
    "orders_daily.build": ["WarehouseQueryOperator", ["warehouse:analytics.raw.orders"], ["warehouse:analytics.mart.daily_orders"]],
    "orders_report.report": ["SQLExecuteQueryOperator", ["warehouse:analytics.mart.daily_orders"], []],
}
SCAN = """
import json, sys
import airflow
from overlay.config import load_settings
from overlay.scan import scan_folders
root = sys.argv[1]
result = scan_folders([root + "/dags"], mode="import", settings=load_settings(root + "/overlay.yaml"))
print(json.dumps({"airflow": airflow.__version__, "modes": sorted({f.mode for f in result.files}),
                  "tasks": {f"{t.dag_id}.{t.task_id}": [t.operator, t.reads, t.writes] for t in result.tasks},
                  "errors": [e.error for e in result.errors]}))
"""


def test_import_paths_follow_airflow_layout(tmp_path: Path) -> None:
    dags = str(LAYOUT / "dags")
    assert import_paths(dags) == [dags, str(LAYOUT / "plugins"), str(LAYOUT)]
    assert import_paths(str(LAYOUT / "dags" / "reports"))[1:] == [str(LAYOUT / "plugins"), str(LAYOUT)]
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "src" / "dags").mkdir(parents=True)
    assert project_root(str(repo / "src" / "dags")) == str(repo)  # no plugins/ or include/: the repository root
    alone = tmp_path / "alone"
    alone.mkdir()
    assert import_paths(str(alone)) == [str(alone)] and project_root(str(alone)) is None


def test_import_mode_imports_from_plugins_and_the_project_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "path", list(sys.path))
    result = scan_folders([str(LAYOUT / "dags")], mode="import", settings=load_settings(str(LAYOUT / "overlay.yaml")))
    assert not result.errors, result.errors
    assert {f.mode for f in result.files} == {"import"}
    assert {f"{t.dag_id}.{t.task_id}": [t.operator, t.reads, t.writes] for t in result.tasks} == EXPECTED


@pytest.mark.skipif(not os.environ.get("OVERLAY_TEST_AIRFLOW2_VENV"),
                    reason="Airflow 2 test is opt-in: set OVERLAY_TEST_AIRFLOW2_VENV=FOLDER (.ci/run sets it; "
                           "the virtualenv is built there by tests/airflow2_venv.py on first use, a few minutes)")
def test_import_mode_under_airflow_2(tmp_path: Path) -> None:
    sys.path.insert(0, str(Path(__file__).parent))
    from airflow2_venv import ensure

    python, _ = ensure(Path(os.environ["OVERLAY_TEST_AIRFLOW2_VENV"]).resolve())
    env = {**os.environ, "PYTHONPATH": str(ROOT), "AIRFLOW_HOME": str(tmp_path), "AIRFLOW__CORE__LOAD_EXAMPLES": "False"}
    run = subprocess.run([str(python), "-c", SCAN, str(LAYOUT)], capture_output=True, text=True, env=env, timeout=300, cwd=tmp_path)
    assert run.returncode == 0, run.stderr[-2000:]
    out = json.loads(run.stdout.strip().splitlines()[-1])
    assert out["airflow"].startswith("2.10.") and out["modes"] == ["import"] and out["errors"] == []
    assert out["tasks"] == EXPECTED
