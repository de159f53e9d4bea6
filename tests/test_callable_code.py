"""Python a callable runs, read as Python runs it (issue 9): a repository class's static methods and class-level
SQL constants (the `SqlQueries` class teams keep beside their operators), and `match` on a known value."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from overlay.scan import scan_folders


def test_static_methods_class_constants_and_match_cases(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "dags" / "helpers").mkdir(parents=True)
    (tmp_path / "dags" / "helpers" / "__init__.py").write_text("from helpers.sql_queries import SqlQueries\n")
    (tmp_path / "dags" / "helpers" / "sql_queries.py").write_text(textwrap.dedent('''
        class SqlQueries:
            insert_songs = "INSERT INTO mart.songs SELECT * FROM staging.songs"

            @staticmethod
            def count(table, cond=""):
                sql = f"SELECT COUNT(*) FROM {table}"
                if cond:
                    sql = sql + " WHERE " + cond
                return sql

            def not_static(self, table):
                return f"DELETE FROM {table}"
    '''))
    (tmp_path / "dags" / "checks.py").write_text(textwrap.dedent('''
        from datetime import datetime
        from airflow import DAG
        from airflow.operators.python import PythonOperator
        from airflow.providers.postgres.hooks.postgres import PostgresHook
        from helpers import SqlQueries

        def load():
            PostgresHook(postgres_conn_id="wh").run(SqlQueries.insert_songs)

        def check(kinds=("rows", "nulls")):
            hook = PostgresHook(postgres_conn_id="wh")
            for kind in kinds:
                match kind:
                    case "rows":
                        sql = SqlQueries.count("mart.songs")
                        hook.get_first(sql)
                    case "nulls":
                        hook.get_first(SqlQueries.count("mart.artists", "id IS NULL"))
                    case _:
                        hook.get_first("SELECT 1 FROM mart.never")

        def either(kind):
            hook = PostgresHook(postgres_conn_id="wh")
            match kind:
                case "a":
                    hook.get_first("SELECT 1 FROM mart.a")
                case _:
                    hook.get_first("SELECT 1 FROM mart.b")

        with DAG("checks", start_date=datetime(2024, 1, 1), schedule=None):
            PythonOperator(task_id="load", python_callable=load)
            PythonOperator(task_id="check", python_callable=check)
            PythonOperator(task_id="either", python_callable=either)
    '''))
    tasks = {t.task_id: t for t in scan_folders([str(tmp_path / "dags")], mode="static", workers=1).tasks}
    assert (tasks["load"].status, tasks["load"].reads, tasks["load"].writes) == (
        "resolved", ["wh:staging.songs"], ["wh:mart.songs"]), tasks["load"].errors
    assert (tasks["check"].status, tasks["check"].reads) == ("resolved", ["wh:mart.songs", "wh:mart.artists"]), tasks["check"].errors
    assert sorted(tasks["either"].reads) == ["wh:mart.a", "wh:mart.b"]  # which case runs is not known: both may


def test_airflow_1_plugin_imports_bind_the_repositorys_plugin_classes(tmp_path: Path) -> None:
    """`from airflow.operators import LoadFactOperator` (Airflow 1: what an AirflowPlugin in plugins/ registers) is the
    class plugins/operators/load_fact.py defines, read by its own execute; a name no plugin defines stays Airflow's
    (BashOperator), and a SubDagOperator touches no data itself (its sub-DAG's tasks are read as that DAG's)."""
    (tmp_path / ".git").mkdir()
    (tmp_path / "plugins" / "operators").mkdir(parents=True)
    (tmp_path / "plugins" / "__init__.py").write_text(textwrap.dedent('''
        from airflow.plugins_manager import AirflowPlugin
        import operators

        class SparkifyPlugin(AirflowPlugin):
            name = "sparkify"
            operators = [operators.LoadFactOperator]
    '''))
    (tmp_path / "plugins" / "operators" / "__init__.py").write_text("from operators.load_fact import LoadFactOperator\n")
    (tmp_path / "plugins" / "operators" / "load_fact.py").write_text(textwrap.dedent('''
        from airflow.hooks.postgres_hook import PostgresHook
        from airflow.models import BaseOperator

        class LoadFactOperator(BaseOperator):
            def __init__(self, redshift_conn_id="", table="", sql="", *args, **kwargs):
                super().__init__(*args, **kwargs)
                self.redshift_conn_id, self.table, self.sql = redshift_conn_id, table, sql

            def execute(self, context):
                PostgresHook(postgres_conn_id=self.redshift_conn_id).run(f"INSERT INTO {self.table} {self.sql}")
    '''))
    (tmp_path / "dags").mkdir()
    (tmp_path / "dags" / "sparkify.py").write_text(textwrap.dedent('''
        from datetime import datetime
        from airflow import DAG
        from airflow.operators import BashOperator, LoadFactOperator
        from airflow.operators.subdag_operator import SubDagOperator

        def dimensions(parent, child):
            sub = DAG(f"{parent}.{child}", start_date=datetime(2019, 1, 1))
            LoadFactOperator(task_id="load_users", dag=sub, redshift_conn_id="redshift", table="users",
                             sql="SELECT DISTINCT userid FROM staging_events")
            return sub

        dag = DAG("sparkify", start_date=datetime(2019, 1, 1), schedule_interval="@hourly")
        LoadFactOperator(task_id="load_songplays", dag=dag, redshift_conn_id="redshift", table="songplays",
                         sql="SELECT * FROM staging_events JOIN staging_songs USING (song_id)")
        SubDagOperator(task_id="dims", subdag=dimensions("sparkify", "dims"), dag=dag)
        BashOperator(task_id="echo", bash_command="echo done", dag=dag)
    '''))
    result = scan_folders([str(tmp_path / "dags")], mode="static", workers=1)
    tasks = {f"{t.dag_id}.{t.task_id}": t for t in result.tasks}
    fact = tasks["sparkify.load_songplays"]
    assert (fact.status, fact.reads, fact.writes) == (
        "resolved", ["redshift:staging_events", "redshift:staging_songs"], ["redshift:songplays"]), fact.errors
    assert tasks["sparkify.dims"].status == "no_data" and tasks["sparkify.echo"].status == "no_data"
    assert tasks["sparkify.dims.load_users"].writes == ["redshift:users"]


def test_a_plugin_operators_template_file_is_loaded_before_its_execute_is_read(tmp_path: Path) -> None:
    """`template_fields = ("sql",)`, `template_ext = (".sql",)`: Airflow loads `sql="copy.sql"` from the
    searchpath and renders it before `execute` runs, so the code reading sees the file's SQL, not its name."""
    (tmp_path / ".git").mkdir()
    (tmp_path / "plugins").mkdir()
    (tmp_path / "plugins" / "azure_op.py").write_text(textwrap.dedent('''
        from airflow.models import BaseOperator
        from airflow.providers.postgres.hooks.postgres import PostgresHook

        class AzureSqlOperator(BaseOperator):
            template_fields = ("sql",)
            template_ext = (".sql",)

            def __init__(self, sql, postgres_conn_id="postgres_default", **kwargs):
                super().__init__(**kwargs)
                self.sql, self.postgres_conn_id = sql, postgres_conn_id

            def execute(self, context):
                PostgresHook(postgres_conn_id=self.postgres_conn_id).run(self.sql)
    '''))
    (tmp_path / "dags" / "sql").mkdir(parents=True)
    (tmp_path / "dags" / "sql" / "copy.sql").write_text("INSERT INTO public.chargers SELECT * FROM public.chargers_new;\n")
    (tmp_path / "dags" / "chargers.py").write_text(textwrap.dedent('''
        from datetime import datetime
        from airflow import DAG
        from azure_op import AzureSqlOperator

        with DAG("chargers", start_date=datetime(2024, 1, 1), schedule=None, template_searchpath=["sql"],
                 default_args={"postgres_conn_id": "geo"}):
            AzureSqlOperator(task_id="copy", sql="copy.sql")
    '''))
    task = scan_folders([str(tmp_path / "dags")], mode="static", workers=1).tasks[0]
    assert (task.status, task.reads, task.writes) == ("resolved", ["geo:public.chargers_new"], ["geo:public.chargers"]), task.errors


@pytest.mark.parametrize("mode", ["static", "import"])
def test_mapped_tasks_read_what_each_instance_is_given(tmp_path: Path, mode: str) -> None:
    """`Op.partial(...).expand(...)`: import mode read the MappedOperator object as an unknown operator; each mapped
    instance's SQL, command or op_kwargs is read now, in both modes; an expansion over an XCom stays not known."""
    (tmp_path / "dags").mkdir()
    (tmp_path / "dags" / "mapped.py").write_text(textwrap.dedent('''
        from datetime import datetime
        from airflow.sdk import DAG, task
        from airflow.providers.standard.operators.bash import BashOperator
        from airflow.providers.standard.operators.python import PythonOperator
        from airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator
        from airflow.providers.postgres.hooks.postgres import PostgresHook

        def load(table):
            PostgresHook(postgres_conn_id="wh").run(f"INSERT INTO mart.{table} SELECT * FROM raw.{table}")

        with DAG("mapped", start_date=datetime(2024, 1, 1), schedule=None):
            @task
            def commands():
                return ["echo 1"]

            SQLExecuteQueryOperator.partial(task_id="sql", conn_id="wh").expand(
                sql=["INSERT INTO mart.a SELECT 1", "INSERT INTO mart.b SELECT 2"])
            PythonOperator.partial(task_id="py", python_callable=load).expand(op_kwargs=[{"table": "x"}, {"table": "y"}])
            BashOperator.partial(task_id="echo").expand(bash_command=["echo 1", "echo 2"])
            BashOperator.partial(task_id="from_xcom").expand(bash_command=commands())
    '''))
    tasks = {t.task_id: t for t in scan_folders([str(tmp_path / "dags")], mode=mode, workers=1).tasks}
    assert (tasks["sql"].operator, tasks["sql"].writes) == ("SQLExecuteQueryOperator", ["wh:mart.a", "wh:mart.b"])
    assert (tasks["py"].status, tasks["py"].writes) == ("resolved", ["wh:mart.x", "wh:mart.y"]), tasks["py"].errors
    assert tasks["echo"].status == "no_data"
    assert tasks["from_xcom"].status == "unresolved" and tasks["from_xcom"].operator == "BashOperator"


EXECUTOR_DAG = '''
    from concurrent.futures import ThreadPoolExecutor
    from datetime import datetime
    from multiprocessing import Pool
    from threading import Thread

    from airflow import DAG
    from airflow.operators.python import PythonOperator
    from airflow.providers.postgres.hooks.postgres import PostgresHook


    def copy_table(table):
        PostgresHook(postgres_conn_id="pg").run(f"INSERT INTO mart.{table} SELECT * FROM raw.{table}")


    def refresh():
        PostgresHook(postgres_conn_id="pg").run("INSERT INTO mart.summary SELECT count(*) FROM mart.orders")


    def parallel():
        with ThreadPoolExecutor(max_workers=4) as pool:
            for table in ["orders", "items"]:
                pool.submit(copy_table, table)
        Thread(target=refresh).start()


    def mapped():
        with Pool(4) as pool:
            pool.map(copy_table, ["a", "b"])


    with DAG("ex", start_date=datetime(2024, 1, 1), schedule=None):
        PythonOperator(task_id="parallel", python_callable=parallel)
        PythonOperator(task_id="mapped", python_callable=mapped)
'''


def test_functions_handed_to_an_executor_or_a_thread_are_read_where_they_run(tmp_path: Path) -> None:
    """`pool.submit(copy_table, table)` runs `copy_table(table)`, `Thread(target=refresh)` runs `refresh()`: their
    hooks' SQL is the callable's. `pool.map(fn, items)` runs `fn` on items one at a time, a value not known: the names
    it builds from it are refused, with the reason."""
    (tmp_path / "dags").mkdir()
    (tmp_path / "dags" / "ex.py").write_text(textwrap.dedent(EXECUTOR_DAG))
    tasks = {t.task_id: t for t in scan_folders([str(tmp_path / "dags")], mode="static", workers=1).tasks}
    parallel = tasks["parallel"]
    assert (parallel.status, sorted(parallel.reads), sorted(parallel.writes)) == (
        "resolved", ["pg:mart.orders", "pg:raw.items", "pg:raw.orders"],
        ["pg:mart.items", "pg:mart.orders", "pg:mart.summary"]), parallel.errors
    mapped = tasks["mapped"]
    assert (mapped.status, mapped.reads, mapped.writes) == ("unresolved", [], [])
    assert any("runtime_table" in e for e in mapped.errors)
