"""Static discovery of generated tasks (issue 9 §2, §7): task groups, mapped tasks, any call given task_id=,
loops over the repository's folders and config files (confined to the repository)."""

from __future__ import annotations

import textwrap
from pathlib import Path

from overlay.discover import discover_folder
from overlay.discover.static import scan_source

FIXTURE = Path(__file__).parent / "fixtures" / "discover" / "dynamic_repo" / "dags"


def _found():
    found = discover_folder(FIXTURE, mode="static")[0]
    return {t.task_id: t for t in found.dags[0].tasks}, found.errors


def test_loops_over_repository_folders_and_config_files() -> None:
    tasks, _ = _found()
    assert tasks["mart_a"].args["sql"] == "sql/marts/a.sql" and "mart_b" in tasks
    assert {"doc_readme", "check_a", "check_b"} <= set(tasks)
    assert tasks["load.load_customers"].args["sql"] == "INSERT INTO crm.customers SELECT * FROM raw.customers"
    assert "load.load_invoices" in tasks and {"export_orders", "export_refunds"} <= set(tasks)


def test_task_groups_prefix_ids_as_airflow_does() -> None:
    tasks, _ = _found()
    assert {"load.inner.deep", "flat_task", "checks.rows", "checks.nulls", "checks__1.rows", "checks__1.nulls"} <= set(tasks)
    assert sorted(tasks["mapped_sql"].upstream) == ["flat_task", "load.inner.deep", "load.load_customers", "load.load_invoices"]


def test_mapped_tasks_and_wrappers_given_task_id() -> None:
    tasks, _ = _found()
    assert tasks["mapped_sql"].args["sql"] == ["SELECT 1", "SELECT 2"] and tasks["mapped_sql"].args["conn_id"] == "wh"
    assert tasks["extract"].operator == "@task" and tasks["extract"].args["op_kwargs"] == {"name": "x"}
    assert tasks["export_orders"].operator == "make_export" and tasks["export_orders"].args["table"] == "orders"


def test_listing_outside_the_repository_is_refused_and_reported() -> None:
    tasks, errors = _found()
    assert not any(t.startswith("etc_") for t in tasks)
    assert any("outside the repository" in e.error and e.line == 56 for e in errors)


def test_markers_and_calls_not_named_operator_are_tasks() -> None:
    dags, _ = scan_source("/dags/m.py", textwrap.dedent('''
        from airflow import DAG
        from airflow.sensors.external_task import ExternalTaskMarker
        from vendor import build_step
        with DAG("m") as dag:
            ExternalTaskMarker(task_id="mark", external_dag_id="other", external_task_id="t")
            build_step(task_id="step", sql="SELECT 1")
    '''))
    tasks = {t.task_id: t for t in dags[0].tasks}
    assert tasks["mark"].operator == "ExternalTaskMarker" and tasks["step"].operator == "build_step"
    assert tasks["step"].args["sql"] == "SELECT 1"


def test_task_group_decorator_with_prefix_off_and_nested_calls() -> None:
    dags, _ = scan_source("/dags/g.py", textwrap.dedent('''
        from airflow.sdk import dag, task, task_group
        @dag(schedule=None)
        def grouped():
            @task
            def a():
                return 1
            @task_group(prefix_group_id=False)
            def plain():
                a()
            @task_group
            def outer():
                @task_group(group_id="in")
                def inner():
                    a()
                inner()
                a()
            plain()
            outer()
        grouped()
    '''))
    assert [t.task_id for t in dags[0].tasks] == ["a", "outer.in.a", "outer.a"]


def test_variables_from_overlay_yaml_drive_generated_tasks(tmp_path: Path) -> None:
    from overlay.config import Settings
    from overlay.scan import scan_folders

    (tmp_path / "v.py").write_text(textwrap.dedent('''
        from airflow import DAG
        from airflow.models import Variable
        from airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator
        CFG = Variable.get("exports", deserialize_json=True)
        OTHER = Variable.get("not_set", default_var=["guess"])
        with DAG("v") as dag:
            loads = [SQLExecuteQueryOperator(task_id=f"load_{t}", conn_id="wh", sql=f"INSERT INTO {CFG['schema']}.{t} SELECT 1")
                     for t in CFG["tables"]]
            for name in OTHER:
                SQLExecuteQueryOperator(task_id=f"other_{name}", conn_id="wh", sql="SELECT 1")
    '''))
    known = scan_folders([str(tmp_path)], mode="static",
                         settings=Settings(variables={"exports": '{"schema": "mart", "tables": ["a", "b"]}'}))
    assert {t.task_id: t.writes for t in known.tasks}.keys() == {"load_a", "load_b"}
    assert any("loop over values not known statically" in e.error for e in known.errors)  # a default is not the value
    unknown = scan_folders([str(tmp_path)], mode="static")
    assert unknown.tasks == [] and any("comprehension over values not known" in e.error and e.line == 8 for e in unknown.errors)


def test_task_ids_taken_from_the_functions_and_classes_a_loop_goes_over() -> None:
    """`task_id=fn.__name__` over a tuple of functions: each task is named as Airflow names it (the loop made no
    task at all before: the id was not known)."""
    dags, _ = scan_source("/dags/n.py", textwrap.dedent('''
        from datetime import datetime
        from airflow import DAG
        from airflow.operators.python import PythonOperator

        def load_orders():
            pass

        def load_refunds():
            pass

        class Export:
            pass

        with DAG("names", start_date=datetime(2024, 1, 1), schedule=None):
            for fn in (load_orders, load_refunds):
                PythonOperator(task_id=fn.__name__, python_callable=fn)
            PythonOperator(task_id=f"{Export.__name__.lower()}_all", python_callable=load_orders)
    '''))
    tasks = {t.task_id: t for t in dags[0].tasks}
    assert list(tasks) == ["load_orders", "load_refunds", "export_all"]
    assert tasks["load_refunds"].callable_name == "load_refunds"
