"""Static mode reads nothing outside the repository (issue 10 §3), and deployment paths are remapped into it (issue 9 §4)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from overlay.config import parse_settings
from overlay.extract.files import ReadPolicy, ReadRefused
from overlay.repository import repository_root
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


REMAP_DAG = '''
from airflow import DAG
from airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator

with DAG("deployed", template_searchpath="/usr/local/airflow/include/sql/reports/") as dag:
    SQLExecuteQueryOperator(task_id="searchpath", conn_id="wh", sql="daily.sql")
    SQLExecuteQueryOperator(task_id="absolute", conn_id="wh", sql="/opt/airflow/dags/sql/load.sql")
    SQLExecuteQueryOperator(task_id="shadowed", conn_id="wh", sql="{outside}/include/q.sql")
    SQLExecuteQueryOperator(task_id="explicit", conn_id="wh", sql="/srv/deploy/queries/custom.sql")
    SQLExecuteQueryOperator(task_id="missing", conn_id="wh", sql="/opt/airflow/dags/sql/none.sql")
'''


@pytest.fixture
def deployed(tmp_path: Path) -> Path:
    """A repository whose DAGs name the deployment's folders (/usr/local/airflow, /opt/airflow)."""
    root = tmp_path / "repo"
    for folder in ("dags/sql", "include/sql/reports", "include", "etl/queries"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    (root / ".git").mkdir()
    (root / "include" / "sql" / "reports" / "daily.sql").write_text("INSERT INTO rpt.daily SELECT * FROM raw.events")
    (root / "dags" / "sql" / "load.sql").write_text("INSERT INTO stg.load SELECT * FROM raw.load")
    (root / "include" / "q.sql").write_text("INSERT INTO mart.q SELECT * FROM raw.q")
    (root / "etl" / "queries" / "custom.sql").write_text("INSERT INTO mart.custom SELECT * FROM raw.custom")
    outside = tmp_path / "outside"
    (outside / "include").mkdir(parents=True)
    (outside / "include" / "q.sql").write_text(SECRET)  # exists on this machine, outside: never read
    (root / "dags" / "deployed.py").write_text(REMAP_DAG.format(outside=outside))
    return root


def test_deployment_paths_are_remapped_into_the_repository(deployed: Path) -> None:
    tasks, _ = _tasks(deployed / "dags", {"paths": {"/srv/deploy/queries/": "../etl/queries"}})
    assert tasks["searchpath"].writes == ["wh:rpt.daily"] and tasks["searchpath"].status == "resolved"
    assert tasks["absolute"].writes == ["wh:stg.load"] and tasks["absolute"].status == "resolved"
    assert tasks["shadowed"].writes == ["wh:mart.q"]  # the repository's copy, not the outside file
    assert tasks["explicit"].writes == ["wh:mart.custom"]
    assert any("/usr/local/airflow/include/sql/reports" in n and str(deployed / "include/sql/reports") in n
               for n in tasks["searchpath"].notes), tasks["searchpath"].notes
    assert any("/opt/airflow/dags/sql/load.sql" in n and "longest part" in n for n in tasks["absolute"].notes)
    assert any("`paths:` /srv/deploy/queries/" in n for n in tasks["explicit"].notes), tasks["explicit"].notes
    assert tasks["missing"].status == "unresolved" and "none.sql" in tasks["missing"].errors[0]


def test_remap_settings_are_validated() -> None:
    from overlay.config import ConfigError

    with pytest.raises(ConfigError, match="paths"):
        parse_settings({"paths": {"relative/": "./"}})
    settings = parse_settings({"paths": {"/usr/local/airflow/": "./"}, "allow_paths": ["../shared"]}, "/r/overlay.yaml")
    assert settings.path_remaps == {"/usr/local/airflow/": "/r"} and settings.allow_paths == ["/shared"]


def test_a_template_name_with_a_leading_slash_is_read_under_the_searchpath_as_jinja_does(tmp_path: Path) -> None:
    """Airflow hands ``sql="/load/after.sql"`` to Jinja's loader, which reads it as ``load/after.sql`` under each
    searchpath folder; ``os.path.isfile`` of the deployment's path to the same file answers from the repository, so
    a task made only when the file exists is made only then (no task for a dataset without the file)."""
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    for name in ("orders", "items"):
        (repo / "load" / "datasets" / name).mkdir(parents=True)
    (repo / "load" / "datasets" / "orders" / "after.sql").write_text("INSERT INTO mart.orders SELECT * FROM raw.orders")
    (repo / "load.py").write_text(
        "import os\n"
        "from airflow import DAG\n"
        "from airflow.providers.postgres.operators.postgres import PostgresOperator\n"
        "dag = DAG('load')\n"
        "for source in ['orders', 'items']:\n"
        "    if os.path.isfile(f'/home/airflow/airflow/dags/load/datasets/{source}/after.sql'):\n"
        "        PostgresOperator(task_id=f'after_{source}', postgres_conn_id='wh',\n"
        "                         sql=f'/load/datasets/{source}/after.sql', dag=dag)\n")
    tasks = {t.task_id: t for t in scan_folders([str(repo)], mode="static", workers=1).tasks}
    assert sorted(tasks) == ["after_orders"]
    assert tasks["after_orders"].writes == ["wh:mart.orders"] and tasks["after_orders"].reads == ["wh:raw.orders"]
