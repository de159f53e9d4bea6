"""Database drivers as teams import them (issue 9): under another name (`import psycopg2 as pg`), inside the
callable, opened on an Airflow connection's fields with a database of their own; and a repository class named
like a library operator, whose own code says which connection it opens."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from overlay.scan import scan_folders

DAG_FILE = '''
    from datetime import datetime

    import psycopg2 as pg
    from airflow import DAG
    from airflow.hooks.base import BaseHook
    from airflow.operators.python import PythonOperator

    RAW = "events_raw"

    def load():
        c = BaseHook.get_connection("conn_pg")
        with pg.connect(dbname="etl", host=c.host, port=c.port, user=c.login, password=c.password) as conn:
            cursor = conn.cursor()
            cursor.execute(f"INSERT INTO {RAW} VALUES (%s, %s)", (1, 2))

    def aggregate():
        import psycopg2 as driver
        from psycopg2 import connect as open_db
        c = BaseHook.get_connection("conn_pg")
        with driver.connect(host=c.host, user=c.login) as conn:
            conn.cursor().execute("INSERT INTO events_daily SELECT day, count(*) FROM events_raw GROUP BY day")
        with open_db(host=c.host, dbname="archive") as conn:
            conn.cursor().execute("INSERT INTO events_old SELECT * FROM events_raw")

    def elsewhere():
        with pg.connect(dsn=HOST) as conn:
            conn.cursor().execute("INSERT INTO somewhere VALUES (1)")

    with DAG("events", start_date=datetime(2024, 1, 1), schedule=None):
        PythonOperator(task_id="load", python_callable=load)
        PythonOperator(task_id="aggregate", python_callable=aggregate)
        PythonOperator(task_id="elsewhere", python_callable=elsewhere)
'''


@pytest.mark.parametrize("mode", ["static", "import"])
def test_a_driver_imported_under_another_name_opens_the_connection_its_fields_come_from(tmp_path: Path, mode: str) -> None:
    """`pg.connect(dbname="etl", host=c.host, ...)` of `c = BaseHook.get_connection("conn_pg")` runs on conn_pg's
    server, in database etl: its SQL is named there. Imports inside the callable count the same way. A driver opened
    on a DSN nobody knows (`HOST` is not defined) names nothing."""
    (tmp_path / "dags").mkdir()
    (tmp_path / "dags" / "events.py").write_text(textwrap.dedent(DAG_FILE))
    result = scan_folders([str(tmp_path / "dags")], mode=mode, workers=1)
    tasks = {t.task_id: t for t in result.tasks}
    assert (tasks["load"].status, tasks["load"].writes) == ("resolved", ["conn_pg:events_raw"]), tasks["load"].errors
    assert tasks["aggregate"].status == "resolved", tasks["aggregate"].errors
    assert tasks["aggregate"].reads == ["conn_pg:events_raw"]
    assert sorted(tasks["aggregate"].writes) == ["conn_pg:events_daily", "conn_pg:events_old"]
    assert (tasks["elsewhere"].status, tasks["elsewhere"].writes) == ("unresolved", []), tasks["elsewhere"].writes


def test_the_database_a_driver_names_is_the_default_for_unqualified_names(tmp_path: Path) -> None:
    """With the connection described (`postgres`, default schema public), `dbname="archive"` is where the
    unqualified table lives, not the connection's own database."""
    (tmp_path / "dags").mkdir()
    (tmp_path / "dags" / "events.py").write_text(textwrap.dedent(DAG_FILE))
    from overlay.config import parse_settings

    settings = parse_settings({"connections": {"conn_pg": {"dialect": "postgres", "database": "etl", "schema": "public"}}})
    tasks = {t.task_id: t for t in scan_folders([str(tmp_path / "dags")], mode="static", settings=settings, workers=1).tasks}
    assert sorted(tasks["aggregate"].writes) == ["conn_pg:archive.public.events_old", "conn_pg:etl.public.events_daily"]


@pytest.mark.parametrize("mode", ["static", "import"])
def test_a_repository_class_named_like_a_library_operator_is_read_by_its_own_code(tmp_path: Path, mode: str) -> None:
    """`class SqlSensor(BaseSensorOperator)` in the repository shares a name with Airflow's SqlSensor but not its
    rule: given no connection argument, it runs its `sql` on the connection its `poke` opens (conn_pg), never on a
    guessed 'default'. The library's SqlSensor, given `conn_id`, keeps the registry's rule."""
    (tmp_path / ".git").mkdir()
    (tmp_path / "dags" / "sensors").mkdir(parents=True)
    (tmp_path / "dags" / "sensors" / "__init__.py").write_text("")
    (tmp_path / "dags" / "sensors" / "rows.py").write_text(textwrap.dedent('''
        import psycopg2 as pg
        from airflow.hooks.base import BaseHook
        from airflow.sensors.base import BaseSensorOperator

        class SqlSensor(BaseSensorOperator):
            template_fields = ("sql",)

            def __init__(self, sql, **kwargs):
                super().__init__(**kwargs)
                self.sql = sql

            def poke(self, context):
                c = BaseHook.get_connection("conn_pg")
                with pg.connect(dbname="etl", host=c.host, user=c.login) as conn:
                    cursor = conn.cursor()
                    cursor.execute(self.sql)
                    return cursor.fetchone()[0] > 0
    '''))
    (tmp_path / "dags" / "wait.py").write_text(textwrap.dedent('''
        from datetime import datetime
        from airflow import DAG
        from airflow.providers.common.sql.sensors.sql import SqlSensor as LibrarySensor
        from sensors.rows import SqlSensor

        with DAG("wait", start_date=datetime(2024, 1, 1), schedule=None):
            SqlSensor(task_id="own", sql="SELECT COUNT(1) FROM events_raw WHERE day = '{{ ds }}'")
            LibrarySensor(task_id="library", conn_id="warehouse", sql="SELECT COUNT(1) FROM events_daily")
    '''))
    tasks = {t.task_id: t for t in scan_folders([str(tmp_path / "dags")], mode=mode, workers=1).tasks}
    assert (tasks["own"].status, tasks["own"].reads) == ("resolved", ["conn_pg:events_raw"]), tasks["own"].errors
    assert (tasks["library"].status, tasks["library"].reads) == ("resolved", ["warehouse:events_daily"])


def test_psycopg2_execute_values_runs_its_sql_on_the_cursor_it_is_given(tmp_path: Path) -> None:
    """`execute_values(cur=cur, sql="INSERT INTO t (...) VALUES %s", argslist=rows)` (psycopg2.extras): the SQL runs
    on the cursor's connection, here conn_pg's server in database etl."""
    (tmp_path / "dags").mkdir()
    (tmp_path / "dags" / "rows.py").write_text(textwrap.dedent('''
        from datetime import datetime
        import psycopg2
        from psycopg2.extras import execute_values
        from airflow import DAG
        from airflow.hooks.base import BaseHook
        from airflow.operators.python import PythonOperator

        def load(rows=()):
            c = BaseHook.get_connection("conn_pg")
            with psycopg2.connect(host=c.host, dbname=c.schema, user=c.login) as conn:
                with conn.cursor() as cur:
                    execute_values(cur=cur, sql="INSERT INTO raw_events (id, body) VALUES %s ON CONFLICT DO NOTHING",
                                   argslist=rows)

        with DAG("rows", start_date=datetime(2024, 1, 1), schedule=None):
            PythonOperator(task_id="load", python_callable=load)
    '''))
    task = scan_folders([str(tmp_path / "dags")], mode="static", workers=1).tasks[0]
    assert (task.status, task.writes) == ("resolved", ["conn_pg:raw_events"]), task.errors


def test_psycopg_sql_composition_is_the_text_it_builds(tmp_path: Path) -> None:
    """`sql.SQL(q).format(sql.Identifier(t)).as_string(cur)` over known names is the SQL it builds (identifiers quoted
    as PostgreSQL quotes them, so `"Users"` keeps its case); the template may be a constant of a repository module
    (`sqls.check_table`). A name only known at run time names nothing."""
    (tmp_path / ".git").mkdir()
    (tmp_path / "dags" / "lib").mkdir(parents=True)
    (tmp_path / "dags" / "lib" / "__init__.py").write_text("")
    (tmp_path / "dags" / "lib" / "sqls.py").write_text('check_table = """\n    SELECT 1\n    FROM {}\n    LIMIT 1\n"""\n')
    (tmp_path / "dags" / "comp.py").write_text(textwrap.dedent('''
        from datetime import datetime
        from airflow import DAG
        from airflow.operators.python import PythonOperator
        from airflow.providers.postgres.hooks.postgres import PostgresHook
        from psycopg2 import sql
        from lib import sqls

        TABLES = ("raw_events", "Users")

        def check():
            cur = PostgresHook(postgres_conn_id="wh").get_conn().cursor()
            for table in TABLES:
                cur.execute(sql.SQL(sqls.check_table).format(sql.Identifier(table)).as_string(cur))

        def copy(schema="mart"):
            with PostgresHook(postgres_conn_id="wh").get_conn() as conn, conn.cursor() as cur:
                cur.execute(sql.SQL("INSERT INTO {target} ({cols}) SELECT {cols} FROM {source} WHERE day = {day}").format(
                    target=sql.Identifier(schema, "daily"), source=sql.Identifier("staging", "daily"),
                    cols=sql.SQL(", ").join([sql.Identifier(c) for c in ("id", "v")]), day=sql.Literal("2024-01-01")))

        def unknown(table):
            PostgresHook(postgres_conn_id="wh").get_conn().cursor().execute(
                sql.SQL("DELETE FROM {}").format(sql.Identifier(table)))

        with DAG("comp", start_date=datetime(2024, 1, 1), schedule=None):
            PythonOperator(task_id="check", python_callable=check)
            PythonOperator(task_id="copy", python_callable=copy)
            PythonOperator(task_id="unknown", python_callable=unknown)
    '''))
    tasks = {t.task_id: t for t in scan_folders([str(tmp_path / "dags")], mode="static", workers=1).tasks}
    assert (tasks["check"].status, tasks["check"].reads) == ("resolved", ["wh:raw_events", "wh:Users"]), tasks["check"].errors
    assert (tasks["copy"].reads, tasks["copy"].writes) == (["wh:staging.daily"], ["wh:mart.daily"])
    assert (tasks["unknown"].status, tasks["unknown"].writes) == ("unresolved", [])


URL_DAG = '''
    from datetime import datetime

    import pandas as pd
    from airflow import DAG
    from airflow.hooks.base import BaseHook
    from airflow.operators.python import PythonOperator
    from sqlalchemy import create_engine, text


    def inline():
        conn = BaseHook.get_connection("pg")
        engine = create_engine(f"postgresql://{conn.login}:{conn.password}@{conn.host}:{conn.port}/{conn.schema}")
        pd.DataFrame({"a": [1]}).to_sql("directions", engine, schema="raw", if_exists="append", index=False)


    def via_variable():
        conn = BaseHook.get_connection("pg")
        uri = f"postgresql+psycopg2://{conn.login}:{conn.password}@{conn.host}:{conn.port}/{conn.schema or 'postgres'}"
        with create_engine(uri).begin() as c:
            c.execute(text("INSERT INTO mart.trips SELECT * FROM raw.directions"))


    def literal_database():
        conn = BaseHook.get_connection("pg")
        engine = create_engine("postgresql://" + conn.login + ":" + conn.password + "@" + conn.host + "/archive")
        pd.read_sql("SELECT * FROM public.events", engine)


    def get_engine():
        conn = BaseHook.get_connection("pg")
        db_url = (
            f"postgresql://{conn.login}:{conn.password}"
            f"@{conn.host}:{conn.port}/{conn.schema}"
        )
        return create_engine(db_url)


    def through_helper():
        pd.read_sql("SELECT * FROM mart.trips", get_engine())


    def database_at_run_time(**context):
        conn = BaseHook.get_connection("pg")
        name = context["params"]["db"]
        engine = create_engine(f"postgresql://{conn.login}:{conn.password}@{conn.host}/{name}")
        pd.read_sql("SELECT * FROM public.events", engine)


    def fields_kept():
        conn = BaseHook.get_connection("pg")
        host, db = conn.host, conn.schema
        other = conn.extra_dejson.get("database", "postgres")
        pd.read_sql("SELECT * FROM mart.trips", create_engine(f"postgresql://{conn.login}@{host}/{db}"))
        pd.read_sql("SELECT * FROM public.events", create_engine(f"postgresql://{conn.login}@{host}/{other}"))


    def its_uri():
        from sqlalchemy.engine import create_engine as make_engine
        make_engine(BaseHook.get_connection("pg").get_uri()).execute("TRUNCATE TABLE stg.units")


    with DAG("urls", start_date=datetime(2024, 1, 1), schedule=None):
        for fn in (inline, via_variable, literal_database, through_helper, database_at_run_time, fields_kept, its_uri):
            PythonOperator(task_id=fn.__name__, python_callable=fn)
'''


def test_an_engine_url_built_from_a_connection_s_fields_opens_that_connection_and_its_path_names_the_database(tmp_path: Path) -> None:
    """`create_engine(f"postgresql://{c.login}:{c.password}@{c.host}:{c.port}/{c.schema}")` of
    `c = BaseHook.get_connection("pg")` (inline, through a variable, `+`, a helper returning the engine) runs on pg, in
    its own database (Airflow's `schema` field); a literal path is that database on pg's server; a path known only at
    run time names no table (it was pg's own database before: a wrong answer)."""
    (tmp_path / "dags").mkdir()
    (tmp_path / "dags" / "urls.py").write_text(textwrap.dedent(URL_DAG))
    from overlay.config import parse_settings

    settings = parse_settings({"connections": {"pg": {"dialect": "postgres", "database": "shop"}}})
    tasks = {t.task_id: t for t in scan_folders([str(tmp_path / "dags")], mode="static", settings=settings, workers=1).tasks}
    found = {tid: (t.status, t.reads, t.writes) for tid, t in tasks.items()}
    assert found == {
        "inline": ("resolved", [], ["pg:shop.raw.directions"]),
        "via_variable": ("resolved", ["pg:shop.raw.directions"], ["pg:shop.mart.trips"]),
        "literal_database": ("resolved", ["pg:archive.public.events"], []),
        "through_helper": ("resolved", ["pg:shop.mart.trips"], []),
        "database_at_run_time": ("unresolved", [], []),
        # fields kept in names first: `db = conn.schema` is the connection's own database, an extra is not known
        "fields_kept": ("partial", ["pg:shop.mart.trips"], []),
        "its_uri": ("resolved", [], ["pg:shop.stg.units"]),  # the record's own URI; sqlalchemy.engine's create_engine
    }
    assert "not known" in tasks["database_at_run_time"].errors[0]


def test_an_odbc_connection_string_names_its_database_and_its_driver_s_dialect() -> None:
    import ast

    from overlay.extract.python import hooks
    from overlay.extract.python.values import CallableEvaluator

    call = ast.parse("pyodbc.connect('DRIVER={ODBC Driver 17 for SQL Server};SERVER=db,1433;DATABASE=assets;UID=u')").body[0].value
    handle = hooks.handle_of(call, CallableEvaluator({}, {}, {}), {})
    assert (handle.dialect, handle.database, handle.unnamed) == ("tsql", "assets", False)
