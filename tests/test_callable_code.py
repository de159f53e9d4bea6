"""Python a callable runs, read as Python runs it (issue 9): a repository class's static methods and class-level
SQL constants (the `SqlQueries` class teams keep beside their operators), and `match` on a known value."""

from __future__ import annotations

import textwrap
from pathlib import Path

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
