"""Static mode reads nothing outside the repository (issue 10 §3), and deployment paths are remapped into it (issue 9 §4)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from overlay.config import parse_settings
from overlay.extract.files import ReadPolicy, ReadRefused, repository_root
from overlay.scan import scan_folders

SECRET = "SELECT * FROM secret_schema.secret_table"

DAG_FILE = '''
from airflow import DAG
from airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator
from airflow.providers.standard.operators.bash import BashOperator
from airflow.providers.standard.operators.python import PythonOperator
from airflow.providers.google.cloud.operators.bigquery import BigQueryInsertJobOperator

def job(templates_dict, **context):
    pass

with DAG("leaky", template_searchpath={searchpath!r}) as dag:
    SQLExecuteQueryOperator(task_id="absolute", conn_id="wh", sql="{outside}/secret.sql")
    SQLExecuteQueryOperator(task_id="dotdot", conn_id="wh", sql="../../outside/secret.sql")
    SQLExecuteQueryOperator(task_id="symlink", conn_id="wh", sql="link.sql")
    SQLExecuteQueryOperator(task_id="include", conn_id="wh", sql="{{% include 'outside/secret.sql' %}}")
    SQLExecuteQueryOperator(task_id="passwd", conn_id="wh", sql="SELECT 1 {{% include 'etc/passwd' %}}")
    BashOperator(task_id="script", bash_command="bash {outside}/run.sh ")
    BigQueryInsertJobOperator(task_id="job", configuration="{outside}/job.json")
    BashOperator(task_id="dbt", bash_command="dbt run --project-dir {outside}/dbt")
    PythonOperator(task_id="tdict", python_callable=job, templates_dict={{"q": "{outside}/secret.sql"}},
                   templates_exts=[".sql"])
    SQLExecuteQueryOperator(task_id="inside", conn_id="wh", sql="sql/ok.sql")
'''


def _manifest() -> dict:
    node = {"resource_type": "model", "unique_id": "model.p.secret_model", "name": "secret_model", "database": "db",
            "schema": "secret_schema", "alias": "secret_model", "config": {"materialized": "table"}, "depends_on": {"nodes": []}}
    return {"metadata": {"adapter_type": "postgres"}, "nodes": {node["unique_id"]: node}, "sources": {}}


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repository (``.git``) with a DAG folder, next to an ``outside`` folder holding what must never be read."""
    outside = tmp_path / "outside"
    (outside / "dbt" / "target").mkdir(parents=True)
    (outside / "secret.sql").write_text(SECRET)
    (outside / "run.sh").write_text(f'psql -c "{SECRET}"\n')
    (outside / "job.json").write_text(json.dumps({"query": {"query": SECRET, "useLegacySql": False}}))
    (outside / "dbt" / "target" / "manifest.json").write_text(json.dumps(_manifest()))
    root = tmp_path / "repo"
    dags = root / "dags"
    (dags / "sql").mkdir(parents=True)
    (root / ".git").mkdir()
    (dags / "sql" / "ok.sql").write_text("INSERT INTO mart.ok SELECT * FROM raw.ok")
    (dags / "link.sql").symlink_to(outside / "secret.sql")
    searchpath = ["/", str(tmp_path)]
    (dags / "leaky.py").write_text(DAG_FILE.format(outside=outside, searchpath=searchpath))
    return root


def _tasks(folder: Path, settings: dict | None = None) -> dict:
    result = scan_folders([str(folder)], mode="static", settings=parse_settings(settings or {}, str(folder / "overlay.yaml")))
    return {t.task_id: t for t in result.tasks}, result


def test_no_read_outside_the_repository(repo: Path) -> None:
    tasks, result = _tasks(repo / "dags")
    leaked = [t.task_id for t in tasks.values() if any("secret" in s for s in t.sql) or any("secret" in k for k in t.reads + t.writes)]
    assert leaked == []
    assert not any("secret" in a.key or "root:" in a.key for a in result.assets)
    assert not any("root:x:0:0" in s for t in tasks.values() for s in t.sql)
    for task_id in ("absolute", "dotdot", "symlink", "include", "passwd", "script", "job", "dbt", "tdict"):
        task = tasks[task_id]
        assert task.status in ("unresolved", "partial"), task_id
        assert any("allow_paths" in e and "not read" in e for e in task.errors), (task_id, task.errors)
    assert any(str(repo.parent / "outside") in e for e in tasks["absolute"].errors)
    assert any("->" in e and "secret.sql" in e for e in tasks["symlink"].errors)  # the resolved target is named
    assert tasks["inside"].status == "resolved" and tasks["inside"].writes == ["wh:mart.ok"]
    # no dependency recorded for an outside file either (recording one hashes, that is reads, the file)
    outside = str(repo.parent / "outside")
    assert not any(dep.startswith(outside) for f in result.files for dep in (f.payload or {}).get("deps", {}))


def test_allow_paths_lets_a_folder_be_read(repo: Path) -> None:
    (repo / "dags" / "overlay.yaml").write_text("")
    tasks, _ = _tasks(repo / "dags", {"allow_paths": ["../../outside"]})
    assert tasks["absolute"].status == "resolved" and tasks["absolute"].reads == ["wh:secret_schema.secret_table"]
    assert tasks["symlink"].status == "resolved"
    assert tasks["passwd"].status != "resolved"  # /etc is still not allowed


def test_policy_resolves_symlinks_and_dotdot(tmp_path: Path) -> None:
    (tmp_path / "repo" / ".git").mkdir(parents=True)
    (tmp_path / "repo" / "a.sql").write_text("x")
    (tmp_path / "repo" / "out.sql").symlink_to("/etc/hostname")
    policy = ReadPolicy.for_folders([str(tmp_path / "repo")])
    assert repository_root(str(tmp_path / "repo")) == str((tmp_path / "repo").resolve())
    assert policy.read_text(str(tmp_path / "repo" / "a.sql")) == "x"
    for path in (tmp_path / "repo" / "out.sql", tmp_path / "repo" / ".." / "x.sql", Path("/etc/passwd")):
        with pytest.raises(ReadRefused, match="allow_paths"):
            policy.read_text(str(path))
