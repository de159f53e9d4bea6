"""Discovery: static AST reading of each construct, DagBag import, auto fallback, ignore files."""

from __future__ import annotations

import textwrap
from pathlib import Path

from overlay.discover import discover_folder
from overlay.discover.files import list_dag_files
from overlay.discover.static import scan_source


def _static(source: str, path: str = "/dags/x.py") -> dict:
    dags, errors = scan_source(path, textwrap.dedent(source))
    return {"dags": {d.dag_id: d for d in dags}, "errors": errors}


def test_with_dag_default_args_merge_and_dependencies() -> None:
    found = _static('''
        from airflow import DAG
        from airflow.providers.postgres.operators.postgres import PostgresOperator as PG
        ARGS = {"owner": "ana", "postgres_conn_id": "wh"}
        with DAG("d1", default_args=ARGS, schedule_interval="@daily", tags=["team:x"]) as dag:
            a = PG(task_id="a", sql="select 1")
            b = PG(task_id="b", sql="select 2", owner="bo")
            c = PG(task_id="c", sql="select 3")
            a >> [b, c]
            c << b
    ''')
    dag = found["dags"]["d1"]
    tasks = {t.task_id: t for t in dag.tasks}
    assert dag.owners == ["ana"] and dag.schedule == "@daily" and dag.tags == ["team:x"]
    assert tasks["a"].operator == "PostgresOperator" and tasks["a"].args["postgres_conn_id"] == "wh"
    assert tasks["b"].owner == "bo" and tasks["a"].owner == "ana"
    assert tasks["b"].upstream == ["a"] and sorted(tasks["c"].upstream) == ["a", "b"]


def test_fstrings_format_percent_and_loops() -> None:
    found = _static('''
        from airflow.sdk import DAG
        from airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator
        SCHEMA = "mart"
        TABLES = {"orders": "o", "users": "u"}
        with DAG(dag_id="loop"):
            for name, alias in TABLES.items():
                SQLExecuteQueryOperator(task_id=f"load_{name}", sql=f"INSERT INTO {SCHEMA}.{name} SELECT * FROM raw.%s {alias}" % name)
            SQLExecuteQueryOperator(task_id="fmt", sql="DELETE FROM {}.{}".format(SCHEMA, "x"))
            SQLExecuteQueryOperator(task_id="cat", sql="SELECT * FROM " + SCHEMA + ".y")
    ''')
    tasks = {t.task_id: t.args["sql"] for t in found["dags"]["loop"].tasks}
    assert tasks == {
        "load_orders": "INSERT INTO mart.orders SELECT * FROM raw.orders o",
        "load_users": "INSERT INTO mart.users SELECT * FROM raw.users u",
        "fmt": "DELETE FROM mart.x",
        "cat": "SELECT * FROM mart.y",
    }


def test_factory_functions_and_dag_argument_style() -> None:
    found = _static('''
        from airflow.models import DAG
        from airflow.operators.bash import BashOperator
        def build(name, hour=3):
            dag = DAG(dag_id=f"sync_{name}", schedule=f"0 {hour} * * *")
            BashOperator(task_id="run", bash_command=f"psql -c 'select * from {name}'", dag=dag)
            return dag
        first = build("artists")
        second = build("tracks", hour=4)
    ''')
    assert set(found["dags"]) == {"sync_artists", "sync_tracks"}
    assert found["dags"]["sync_tracks"].schedule == "0 4 * * *"
    assert found["dags"]["sync_artists"].tasks[0].args["bash_command"] == "psql -c 'select * from artists'"


def test_taskflow_decorators() -> None:
    found = _static('''
        from airflow.sdk import dag, task
        @dag(schedule=None, default_args={"owner": "lee"})
        def flow():
            @task
            def extract():
                return 1
            @task.sql(conn_id="wh")
            def count():
                return "SELECT count(*) FROM t"
            @task.bash
            def shell():
                return "psql -c 'select 1'"
            extract() >> count() >> shell()
            extract()
        flow()
    ''')
    tasks = {t.task_id: t for t in found["dags"]["flow"].tasks}
    assert set(tasks) == {"extract", "count", "shell", "extract__1"}
    assert tasks["count"].operator == "@task.sql" and tasks["count"].args["sql"] == "SELECT count(*) FROM t"
    assert tasks["count"].args["conn_id"] == "wh" and tasks["count"].owner == "lee"
    assert tasks["shell"].args["bash_command"] == "psql -c 'select 1'"
    assert tasks["count"].upstream == ["extract"] and "def extract" in tasks["extract"].callable_source


def test_unknown_values_are_named_not_guessed() -> None:
    found = _static('''
        import os
        from airflow.sdk import DAG
        from airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator
        with DAG(dag_id="d"):
            SQLExecuteQueryOperator(task_id="t", conn_id="wh", sql=os.environ["QUERY"])
    ''')
    task = found["dags"]["d"].tasks[0]
    assert "sql" not in task.args and task.unknown_args == ["sql"]


def test_syntax_error_is_reported_with_line() -> None:
    found = _static("from airflow import DAG\nwith DAG('x') as d:\n    BashOperator(task_id='a'\n")
    assert found["dags"] == {} and found["errors"][0].line == 3 and "SyntaxError" in found["errors"][0].error


def test_airflowignore_glob_and_safe_mode(tmp_path: Path) -> None:
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "helper.py").write_text("# airflow dag helper\n")
    (tmp_path / "notes.py").write_text("print('no dags here')\n")
    (tmp_path / "real.py").write_text("from airflow import DAG\n")
    (tmp_path / "skip_me.py").write_text("from airflow import DAG\n")
    (tmp_path / ".airflowignore").write_text("lib/\nskip_*.py\n")
    assert [Path(f.path).name for f in list_dag_files(tmp_path)] == ["real.py"]


def test_import_mode_uses_dagbag_and_auto_falls_back(tmp_path: Path) -> None:
    (tmp_path / "modern.py").write_text(textwrap.dedent('''
        from airflow.sdk import DAG
        from airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator
        TABLES = [n for n in map(str.lower, ("A", "B"))]  # map() over a method: only import mode knows the values
        with DAG(dag_id="modern", schedule=None, default_args={"owner": "ana"}):
            for t in TABLES:
                SQLExecuteQueryOperator(task_id=f"load_{t}", conn_id="wh", sql=f"INSERT INTO {t} SELECT 1")
    '''))
    (tmp_path / "legacy.py").write_text(textwrap.dedent('''
        from airflow.operators.dummy import DummyOperator
        from airflow import DAG
        with DAG("legacy", schedule_interval="@daily") as dag:
            DummyOperator(task_id="noop")
    '''))
    by_file = {Path(f.path).name: f for f in discover_folder(tmp_path, mode="auto")}
    modern = by_file["modern.py"]
    assert modern.mode_used == "import" and modern.errors == []
    tasks = {t.task_id: t for t in modern.dags[0].tasks}
    assert set(tasks) == {"load_a", "load_b"} and tasks["load_a"].args["sql"] == "INSERT INTO a SELECT 1"
    assert tasks["load_a"].operator == "SQLExecuteQueryOperator" and modern.dags[0].owners == ["ana"]
    legacy = by_file["legacy.py"]
    assert legacy.mode_used == "static" and legacy.dags[0].dag_id == "legacy"
    assert any("No module named 'airflow.operators.dummy'" in e.error for e in legacy.errors)
    static_modern = {Path(f.path).name: f for f in discover_folder(tmp_path, mode="static")}["modern.py"]
    assert static_modern.dags[0].tasks == []  # map() is not evaluated statically
    assert any("loop over values not known statically" in e.error for e in static_modern.errors)


def test_cached_files_are_skipped(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("from airflow import DAG\nwith DAG('a') as d:\n    pass\n")
    first = discover_folder(tmp_path, mode="static")
    second = discover_folder(tmp_path, mode="static", cached={first[0].path: first[0].content_hash})
    assert second[0].skipped and second[0].dags == []


def test_references_to_functions_and_tasks_never_become_argument_values() -> None:
    found = _static('''
        from airflow.sdk import DAG, task
        from airflow.providers.standard.operators.python import PythonOperator
        def notify(context):
            pass
        @task
        def produce():
            return 1
        with DAG(dag_id="refs", default_args={"on_failure_callback": notify, "owner": "ana"}):
            value = produce()
            PythonOperator(task_id="use", python_callable=notify, op_args=[value], on_success_callback=notify, weight=notify)
    ''')
    import json

    task = {t.task_id: t for t in found["dags"]["refs"].tasks}["use"]
    json.dumps(task.to_dict())  # everything kept is plain data
    assert {"op_args", "weight"} <= set(task.unknown_args) and task.owner == "ana"


def test_import_mode_records_the_schedule_as_static_mode_does(tmp_path: Path) -> None:
    (tmp_path / "scheduled.py").write_text(textwrap.dedent('''
        from datetime import timedelta
        from airflow.sdk import DAG
        for dag_id, schedule in [("daily", "@daily"), ("cron", "0 3 * * *"), ("every_6h", timedelta(hours=6)), ("manual", None)]:
            with DAG(dag_id=dag_id, schedule=schedule):
                pass
    '''))
    (tmp_path / "one.py").write_text("from airflow.sdk import DAG\nwith DAG(dag_id='weekly', schedule='@weekly'):\n    pass\n")
    imported = {d.dag_id: d.schedule for f in discover_folder(tmp_path, mode="import") for d in f.dags}
    assert imported == {"daily": "@daily", "cron": "0 3 * * *", "every_6h": "6:00:00", "manual": None, "weekly": "@weekly"}
    static = {d.dag_id: d.schedule for f in discover_folder(tmp_path, mode="static") for d in f.dags}
    assert static["weekly"] == imported["weekly"]
