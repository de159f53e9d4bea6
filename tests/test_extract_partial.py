"""Values known in part (issue 9 §5): one runtime value keeps the known keys of a dict usable."""

from __future__ import annotations

from pathlib import Path

from overlay.config import Settings
from overlay.scan import scan_folders

FOLDER = Path(__file__).parent / "fixtures" / "extract" / "partial"


def test_known_keys_of_params_and_configuration_are_kept() -> None:
    result = scan_folders([str(FOLDER)], mode="static", settings=Settings())
    tasks = {t.task_id: t for t in result.tasks}
    assert tasks["load"].status == "resolved" and tasks["load"].writes == ["wh:mart.orders"], tasks["load"].errors
    assert tasks["load"].reads == ["wh:raw.orders"]
    leak = tasks["leak"]
    assert leak.writes == [] and any("param `bucket`" in e for e in leak.errors), leak.errors
    assert tasks["job"].status == "resolved" and tasks["job"].writes == ["bigquery:p.d.t"]
    unknown = tasks["job_unknown_query"]
    assert unknown.status == "unresolved" and any("`configuration.query.query` is not known statically" in e for e in unknown.errors)


def test_task_params_merge_over_default_args_and_dag_params() -> None:
    from overlay.extract import ExtractContext, extract_task
    from overlay.model import DagSpec, TaskSpec

    dag = DagSpec("p", str(FOLDER / "partial.py"), params={"schema": "dag_schema", "table": "dag_table"},
                  default_args={"params": {"schema": "default_schema", "table": "default_table"}})
    task = TaskSpec("p", "t", "PostgresOperator", dag.file, 1, args={"sql": "sql/load.sql", "params": {"table": "orders"}})
    access = extract_task(task, dag, ExtractContext())
    assert access.sql[0].sql.strip() == "INSERT INTO default_schema.orders SELECT * FROM raw.orders"


def test_sql_built_in_python_with_runtime_values_keeps_the_tables_it_names(tmp_path: Path) -> None:
    """A callable's SQL built from text and values known only at run time (f-strings, `+`, `.format`, `%`): a value
    inside a string literal leaves the statement known (resolved); a value in a table name never names a table (the
    reason says which value); a value anywhere else (a clause, a column) keeps the named tables but the task stays
    partial, since the clause may read tables nobody can see."""
    import textwrap

    (tmp_path / "dags").mkdir()
    (tmp_path / "dags" / "built.py").write_text(textwrap.dedent('''
        from datetime import datetime
        from airflow import DAG
        from airflow.operators.python import PythonOperator
        from airflow.providers.postgres.hooks.postgres import PostgresHook

        def hook():
            return PostgresHook(postgres_conn_id="wh")

        def by_value(**context):
            day = context["dag_run"].conf.get("day")
            PostgresHook(postgres_conn_id="wh").run(f"DELETE FROM logs.runs WHERE day = '{day}'")
            query = "INSERT INTO logs.audit (day, note) VALUES ('%s', '%s')" % (day, "manual")
            PostgresHook(postgres_conn_id="wh").run(query)

        def by_table(rows):
            for schema, table in rows:
                sq = f"""with c as (select count(*) as n from {schema}.{table})
                insert into logs.dbcount (n, tablename) select n, '{table}' from c"""
                PostgresHook(postgres_conn_id="wh").run(sq)

        def by_columns(df):
            from psycopg2.extras import execute_values
            cur = PostgresHook(postgres_conn_id="wh").get_conn().cursor()
            execute_values(cur, f"INSERT INTO raw.listings ({', '.join(df.columns)}) VALUES %s", df.values.tolist())

        def copy_query(table, credentials):
            return f"COPY {table} FROM 's3://bucket/events' CREDENTIALS '{credentials}' JSON 'auto'"

        def by_helper(**context):
            credentials = context["ti"].xcom_pull("credentials")
            PostgresHook(postgres_conn_id="wh").run(copy_query("staging.events", credentials))

        def by_clause(cond, flag):
            PostgresHook(postgres_conn_id="wh").run("INSERT INTO mart.x SELECT * FROM staging.x WHERE " + cond)
            PostgresHook(postgres_conn_id="wh").run("UPDATE mart.control SET done = {f}".format(f=flag))

        with DAG("built", start_date=datetime(2024, 1, 1), schedule=None):
            PythonOperator(task_id="by_value", python_callable=by_value)
            PythonOperator(task_id="by_table", python_callable=by_table)
            PythonOperator(task_id="by_clause", python_callable=by_clause)
            PythonOperator(task_id="by_columns", python_callable=by_columns)
            PythonOperator(task_id="by_helper", python_callable=by_helper)
    '''))
    tasks = {t.task_id: t for t in scan_folders([str(tmp_path / "dags")], mode="static", workers=1).tasks}
    by_value = tasks["by_value"]
    assert (by_value.status, sorted(by_value.writes)) == ("resolved", ["wh:logs.audit", "wh:logs.runs"]), by_value.errors
    by_table = tasks["by_table"]
    assert (by_table.status, by_table.reads, by_table.writes) == ("partial", [], ["wh:logs.dbcount"])
    assert any("not recorded" in e and "`schema` in the code" in e for e in by_table.errors), by_table.errors
    by_columns = tasks["by_columns"]  # a column list known only at run time names no table
    assert (by_columns.status, by_columns.writes) == ("resolved", ["wh:raw.listings"]), by_columns.errors
    by_helper = tasks["by_helper"]  # the text a helper returns, the XCom inside a literal
    assert (by_helper.status, by_helper.writes) == ("resolved", ["wh:staging.events"]), by_helper.errors
    by_clause = tasks["by_clause"]
    assert by_clause.status == "partial" and by_clause.reads == ["wh:staging.x"], by_clause.errors
    assert sorted(by_clause.writes) == ["wh:mart.control", "wh:mart.x"]
    assert any(e.startswith("part of the SQL passed to run") and "cond" in e and "names in full are kept" in e for e in by_clause.errors), by_clause.errors


def test_a_template_the_code_renders_itself_takes_run_time_values_as_stand_ins(tmp_path: Path) -> None:
    """`Environment().from_string(t).render(**ctx)` where `ctx` holds the column list the database gave: used as
    `{{ cols }}` in the INSERT's column list and its SELECT, it is column names, so the statement is known; a value a
    template loops over, or one in a clause, is not."""
    import textwrap

    (tmp_path / "dags").mkdir()
    (tmp_path / "dags" / "append.py").write_text(textwrap.dedent('''
        from datetime import datetime
        from jinja2 import Environment, BaseLoader
        from airflow import DAG
        from airflow.operators.python import PythonOperator
        from airflow.providers.postgres.hooks.postgres import PostgresHook

        INSERT = "INSERT INTO {{ dst }}.{{ table }} ({{ cols }}) SELECT {{ cols }} FROM {{ src }}.{{ table }}"
        LOOP = "INSERT INTO mart.t SELECT {% for c in cols %}{{ c }}, {% endfor %}1 FROM {{ src }}.t"
        WHERE = "DELETE FROM {{ dst }}.{{ table }} WHERE {{ cond }}"

        def render(template, extra):
            return Environment(loader=BaseLoader()).from_string(template).render(**extra)

        def append(table="orders"):
            hook = PostgresHook(postgres_conn_id="wh")
            cols = ", ".join(r[0] for r in hook.get_records("SELECT column_name FROM information_schema.columns"))
            hook.run(render(INSERT, {"dst": "public", "src": "transient", "table": table, "cols": cols}))

        def looped():
            hook = PostgresHook(postgres_conn_id="wh")
            cols = [r[0] for r in hook.get_records("SELECT 1")]
            hook.run(render(LOOP, {"src": "transient", "cols": cols}))

        def clause(cond):
            PostgresHook(postgres_conn_id="wh").run(render(WHERE, {"dst": "public", "table": "orders", "cond": cond}))

        with DAG("append", start_date=datetime(2024, 1, 1), schedule=None):
            PythonOperator(task_id="append", python_callable=append)
            PythonOperator(task_id="looped", python_callable=looped)
            PythonOperator(task_id="clause", python_callable=clause)
    '''))
    tasks = {t.task_id: t for t in scan_folders([str(tmp_path / "dags")], mode="static", workers=1).tasks}
    append = tasks["append"]
    assert (append.status, append.writes) == ("resolved", ["wh:public.orders"]), append.errors
    assert "wh:transient.orders" in append.reads
    looped = tasks["looped"]
    assert looped.writes == [] and looped.status != "resolved", (looped.status, looped.writes)
    clause = tasks["clause"]
    assert (clause.status, clause.writes) == ("partial", ["wh:public.orders"]), clause.errors
