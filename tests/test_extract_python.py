"""Python callables: database handles, the calls made on them, values Airflow passes in, and what stays unknown."""

from __future__ import annotations

from pathlib import Path

import pytest

from overlay.extract import ExtractContext, extract_task
from overlay.model import DagSpec, TaskAccess, TaskSpec

DAGS = Path(__file__).parent / "fixtures" / "extract" / "dags"
DAG = DagSpec("d", str(DAGS / "etl.py"), template_searchpath=[str(DAGS / "sql")], params={"schema": "mart", "days": 1})


def _run(source: str, args: dict | None = None, operator: str = "PythonOperator", variables: dict | None = None,
         name: str | None = None, scope: dict | None = None) -> TaskAccess:
    task = TaskSpec("d", "t", operator, DAG.file, 100, args=args or {}, callable_source=source, callable_name=name,
                    callable_scope=scope or {})
    return extract_task(task, DAG, ExtractContext(variables=variables or {}))


def _sql(access: TaskAccess) -> list[tuple]:
    return [(s.sql, s.origin, s.conn_id, s.dialect, s.database, s.schema) for s in access.sql]


def _direct(access: TaskAccess) -> list[tuple]:
    return [(d.table, d.mode, d.origin, d.conn_id, d.dialect) for d in access.direct]


def test_hook_methods_and_handles_derived_from_hooks() -> None:
    source = '''
def load(ds):
    hook = PostgresHook(postgres_conn_id="warehouse")
    hook.run("TRUNCATE mart.a")
    rows = hook.get_records(sql="SELECT * FROM raw.a WHERE d = %(d)s", parameters={"d": ds})
    first = hook.get_first("SELECT max(d) FROM raw.b")
    df = hook.get_pandas_df("SELECT * FROM raw.c")
    hook.copy_expert("COPY mart.d FROM STDIN WITH CSV", "/tmp/d.csv")
    hook.insert_rows(table="mart.e", rows=rows)
    hook.bulk_load("mart.f", "/tmp/f.tsv")
    hook.bulk_dump("raw.g", "/tmp/g.tsv")
    with hook.get_conn() as conn:
        with conn.cursor() as cur:
            cur.execute("DELETE FROM mart.h")
            cur.copy_from(open("/tmp/i"), "mart.i")
    engine = hook.get_sqlalchemy_engine()
    pd.read_sql("SELECT * FROM raw.j", engine)
    pandas.read_sql_query(sql="SELECT * FROM raw.k", con=engine)
    pd.read_sql_table("l", con=engine, schema="raw")
    df.to_sql("m", engine, schema="mart", if_exists="replace")
'''
    access = _run(source)
    assert [(s.sql, s.origin, s.conn_id, s.dialect) for s in access.sql] == [
        ("TRUNCATE mart.a", "hook:run", "warehouse", "postgres"),
        ("SELECT * FROM raw.a WHERE d = :d", "hook:get_records", "warehouse", "postgres"),
        ("SELECT max(d) FROM raw.b", "hook:get_first", "warehouse", "postgres"),
        ("SELECT * FROM raw.c", "hook:get_pandas_df", "warehouse", "postgres"),
        ("COPY mart.d FROM STDIN WITH CSV", "hook:copy_expert", "warehouse", "postgres"),
        ("DELETE FROM mart.h", "hook:execute", "warehouse", "postgres"),
        ("SELECT * FROM raw.j", "hook:read_sql", "warehouse", "postgres"),
        ("SELECT * FROM raw.k", "hook:read_sql_query", "warehouse", "postgres"),
    ]
    assert [(d.table, d.mode, d.origin) for d in access.direct] == [
        ("mart.e", "write", "hook:insert_rows"), ("mart.f", "write", "hook:bulk_load"), ("raw.g", "read", "hook:bulk_dump"),
        ("mart.i", "write", "hook:copy_from"), ("raw.l", "read", "hook:read_sql_table"), ("mart.m", "write", "hook:to_sql")]
    assert {d.conn_id for d in access.direct} == {"warehouse"} and not access.unresolved


@pytest.mark.parametrize(("opening", "expected"), [
    ('SnowflakeHook(snowflake_conn_id="sf", database="ANALYTICS", schema="RAW")', ("sf", "snowflake", "ANALYTICS", "RAW")),
    ('PostgresHook("warehouse", schema="tempo")', ("warehouse", "postgres", "tempo", None)),  # a Postgres hook's schema is the database
    ('MySqlHook(mysql_conn_id="shop", schema="sales")', ("shop", "mysql", None, "sales")),
    ('BaseHook.get_hook(conn_id="wh")', ("wh", None, None, None)),
    ('BaseHook.get_connection("wh").get_hook()', ("wh", None, None, None)),
    ('DbApiHook.get_hook("wh")', ("wh", None, None, None)),
    ('create_engine(BaseHook.get_connection("wh").get_uri())', ("wh", None, None, None)),
    ('create_engine(PostgresHook(postgres_conn_id="wh").get_uri())', ("wh", "postgres", None, None)),
    ('create_engine("postgresql+psycopg2://u@h/tempo")', (None, "postgres", "tempo", None)),
    ('psycopg2.connect(host="h", dbname="tempo").cursor()', (None, "postgres", "tempo", None)),
    ('snowflake.connector.connect(account="a", database="DB", schema="S")', (None, "snowflake", "DB", "S")),
    ('WarehouseSQLHook(conn_id="custom")', ("custom", None, None, None)),
])
def test_ways_of_opening_a_database(opening: str, expected: tuple) -> None:
    access = _run(f"def f():\n    db = {opening}\n    db.execute('INSERT INTO t SELECT 1')\n")
    assert [(s.conn_id, s.dialect, s.database, s.schema) for s in access.sql] == [expected]


def test_bigquery_hook_and_client() -> None:
    source = '''
def f():
    hook = BigQueryHook(gcp_conn_id="bq", project_id="proj")
    hook.insert_job(configuration={"query": {"query": "SELECT * FROM ds.src", "useLegacySql": False,
                                             "destinationTable": {"datasetId": "ds", "tableId": "dst"}}})
    client = hook.get_client()
    client.query("DELETE FROM `proj.ds.old` WHERE TRUE")
    client.load_table_from_uri("gs://b/*.csv", "proj.ds.loaded")
    client.extract_table("proj.ds.out", "gs://b/out.csv")
'''
    access = _run(source)
    assert _sql(access) == [("SELECT * FROM ds.src", "bigquery:query", "bq", "bigquery", "proj", None),
                            ("DELETE FROM `proj.ds.old` WHERE TRUE", "hook:query", "bq", "bigquery", "proj", None)]
    assert _direct(access) == [("proj.ds.dst", "write", "bigquery:query", "bq", "bigquery"),
                               ("proj.ds.loaded", "write", "hook:load_table_from_uri", "bq", "bigquery"),
                               ("proj.ds.out", "read", "hook:extract_table", "bq", "bigquery")]


def test_values_airflow_passes_in() -> None:
    source = '''
def f(table, *args, ds=None, params=None, templates_dict=None, **context):
    hook = PostgresHook(postgres_conn_id=context["conn"])
    hook.run(f"INSERT INTO {params['schema']}.{table} SELECT * FROM raw.{table} WHERE d = '{ds}'")
    hook.run(templates_dict["query"])
    hook.run("DELETE FROM {schema}.{t} WHERE d < '{ts_nodash}'".format(**context, schema=params["schema"], t=args[0]))
    hook.run(get_current_context()["templates_dict"]["file_query"])
'''
    args = {"op_args": ["orders", "archive"], "op_kwargs": {"conn": "{{ params.conn }}"},
            "params": {"conn": "wh"}, "templates_dict": {"query": "SELECT '{{ ds }}' FROM raw.t", "file_query": "daily.sql"},
            "templates_exts": [".sql"]}
    access = _run(source, args)
    assert [(s.sql.splitlines()[0], s.conn_id) for s in access.sql] == [
        ("INSERT INTO mart.orders SELECT * FROM raw.orders WHERE d = '2024-01-15'", "wh"),
        ("SELECT '2024-01-15' FROM raw.t", "wh"),
        ("DELETE FROM mart.archive WHERE d < '20240115T000000'", "wh"),
        ("-- daily revenue for 2024-01-15", "wh")]
    assert not access.unresolved


def test_loops_over_known_lists_and_branches_on_known_values() -> None:
    source = '''
TABLES = ["orders", "payments"]

def f(full_refresh=False):
    hook = PostgresHook(postgres_conn_id="wh")
    for table in TABLES:
        hook.run(f"INSERT INTO raw.{table} SELECT * FROM staging.{table}")
    for name, target in {"a": "x"}.items():
        hook.run(f"INSERT INTO mart.{target} SELECT 1")
    if full_refresh:
        hook.run("TRUNCATE mart.everything")
    else:
        hook.run("DELETE FROM mart.recent")
'''
    access = _run(source, scope={"TABLES": ["orders", "payments"]})
    assert [s.sql for s in access.sql] == ["INSERT INTO raw.orders SELECT * FROM staging.orders",
                                           "INSERT INTO raw.payments SELECT * FROM staging.payments",
                                           "INSERT INTO mart.x SELECT 1", "DELETE FROM mart.recent"]
    unknown = _run(source.replace("for table in TABLES", "for table in fetch_tables()"))
    assert unknown.unresolved == []  # the value names tables only: resolution refuses them and says why
    assert unknown.sql[0].sql == "INSERT INTO raw.runtime_table SELECT * FROM staging.runtime_table"  # never an asset
    assert "runtime_table" in unknown.standins


def test_variables_from_the_context_else_unresolved() -> None:
    source = 'def f():\n    t = Variable.get("target")\n    PostgresHook(postgres_conn_id="wh").run(f"INSERT INTO {t} SELECT 1")\n'
    assert [s.sql for s in _run(source, variables={"target": "mart.t"}).sql] == ["INSERT INTO mart.t SELECT 1"]
    access = _run(source)  # the text with a stand-in for the Variable: resolution names no table from it
    assert [s.sql for s in access.sql] == ["INSERT INTO runtime_t SELECT 1"] and access.unresolved == []
    assert "Airflow Variable 'target'" in access.standins["runtime_t"]


def test_lines_are_lines_of_the_dag_file_when_the_callable_is_there() -> None:
    source = (DAGS / "etl.py").read_text().split("\n\n\n")[1]
    access = _run(source, {"op_kwargs": {"table": "orders"}}, name="load_orders")
    assert [(s.sql, s.line) for s in access.sql] == [("INSERT INTO mart.orders SELECT * FROM raw.orders WHERE day = '2024-01-15'", 8)]
    assert access.unresolved == ["SQL passed to run at line 9 is built at run time"]


def test_sql_on_a_connection_overlay_cannot_identify() -> None:
    access = _run("def f(conn):\n    cur = conn.cursor()\n    cur.execute('UPDATE mart.a SET x = 1')\n    cur.execute(some_sql)\n")
    assert [(s.sql, s.conn_id) for s in access.sql] == [("UPDATE mart.a SET x = 1", None)]
    assert access.unresolved == ["the connection execute at line 102 runs SQL on is not known"]


@pytest.mark.parametrize("source", [
    "def f():\n    return 1\n",
    'def f():\n    HttpHook(http_conn_id="api").run("v1/items")\n    S3Hook(aws_conn_id="aws").load_file("/tmp/x", "k")\n',
    'def f():\n    session.query(User).all()\n    logging.info("SELECT statements are counted")\n',
    'def f():\n    token = BaseHook.get_connection("api").password\n',
])
def test_callables_without_database_calls_touch_no_table(source: str) -> None:
    access = _run(source)
    assert access.no_data and not access.sql and not access.unresolved


def test_a_connection_with_no_sql_found_is_not_no_data() -> None:
    access = _run('def f():\n    hook = PostgresHook(postgres_conn_id="wh")\n    helper(hook.get_conn())\n')
    assert not access.no_data
    assert access.unresolved == ["the callable opens a database connection (PostgresHook at line 101) but overlay found no SQL it runs"]


@pytest.mark.parametrize("operator", ["@task", "@task.virtualenv", "@task.branch", "@task.short_circuit", "BranchPythonOperator",
                                      "ShortCircuitOperator", "PythonVirtualenvOperator", "ExternalPythonOperator", "PythonSensor",
                                      "_PythonDecoratedOperator", "@task.docker", "@task.kubernetes"])
def test_every_python_flavour_is_analysed(operator: str) -> None:
    access = _run('def f():\n    PostgresHook(postgres_conn_id="wh").run("TRUNCATE mart.a")\n', operator=operator)
    assert [s.sql for s in access.sql] == ["TRUNCATE mart.a"]


def test_missing_or_broken_callable_source() -> None:
    assert _run(None).unresolved == ["source of the python callable of t is not available"]  # type: ignore[arg-type]
    assert _run("def f(:\n").unresolved[0].startswith("callable source does not parse")


def test_reasons_say_which_value_is_unknown() -> None:
    access = _run('def f(table, ti=None):\n    h = PostgresHook("wh")\n    h.run(f"DELETE FROM {table}")\n'
                  '    q = ti.xcom_pull("build")\n    h.run(q)\n')
    assert access.unresolved == ["SQL passed to run at line 104 is built at run time (q: the result of ti.xcom_pull())"]
    assert access.standins == {"runtime_table": "`table` in the code at line 102 (a parameter with no value before run time)"}


def test_a_table_named_after_the_runs_date_is_never_recorded() -> None:
    """``ds`` in a callable is the stand-in date: a table the callable names after it (``x_2024_01_15``) is not an
    asset; the task is partial and says why (what it reads from fixed names still counts)."""
    from overlay.connections import ConnectionResolver
    from overlay.resolve import resolve_task

    source = '''
def f(ds, **kwargs):
    client = bigquery.Client(project="proj")
    suffix = ds.replace("-", "_")
    client.query(f"CREATE OR REPLACE TABLE `proj.daily.balances_{suffix}` AS SELECT * FROM `proj.raw.balances`")
    client.load_table_from_uri("gs://b/x.csv", "proj.daily.loads_" + kwargs["ds_nodash"])
'''
    access = _run(source)
    assert {"2024_01_15", "20240115"} <= set(access.standins)
    task = TaskSpec("d", "t", "PythonOperator", DAG.file, 100)
    resolved, assets = resolve_task(task, access, ConnectionResolver())
    assert resolved.writes == [] and resolved.reads == ["bigquery:proj.raw.balances"], resolved
    assert resolved.status == "partial" and any("the run's date" in e for e in resolved.errors), resolved.errors
    assert not any("2024" in a.key for a in assets)


def test_pyformat_markers_cast_the_postgres_way_still_parse() -> None:
    """``%s::varchar[]`` is a parameter cast; ``?::`` would read as PostgreSQL's JSON operator and not parse."""
    from overlay.extract.templates.sources import normalize_markers
    from overlay.lineage import analyze_sql

    sql = normalize_markers("SELECT id FROM core.tree WHERE NOT (id = ANY(%s::varchar[])) AND size < %s AND '%s' <> %(x)s::int")
    assert sql == "SELECT id FROM core.tree WHERE NOT (id = ANY(:param::varchar[])) AND size < ? AND '%s' <> :x::int"
    assert analyze_sql(sql, dialect="postgres").reads == ["core.tree"]


def test_an_engine_on_a_url_built_at_run_time_names_no_database() -> None:
    """``create_engine(f"postgresql://{user}:{password}@{host}/{db}")`` of values known only at run time: the SQL is
    still read, but which database it reaches is a reason (the table is not resolved under a guessed connection)."""
    source = '''
def load(**context):
    from sqlalchemy import create_engine
    secret = Variable.get("warehouse_secret")
    engine = create_engine(f"postgresql://{secret['login']}@{secret['host']}/{secret['db']}")
    with engine.connect() as c:
        c.execute("INSERT INTO mart.daily SELECT * FROM raw.events")
'''
    access = _run(source)
    assert any("runs on is not known" in r and "create_engine" in r for r in access.unresolved), access.unresolved


def test_a_driver_given_a_dsn_built_at_run_time_names_no_database() -> None:
    """``psycopg2.connect("host=... dbname=...".format(<the environment>))``: the dialect is known, the database is not;
    a DSN written out names its database."""
    unknown = _run('''
def load():
    with psycopg2.connect("host='{}' dbname='{}'".format(os.environ["DB_HOST"], os.environ["DB_NAME"])) as conn:
        pd.read_sql_query("SELECT * FROM mart.daily", conn)
''')
    assert any("runs on is not known" in r and "psycopg2.connect" in r for r in unknown.unresolved), unknown.unresolved
    known = _run('''
def load():
    with psycopg2.connect("host=db dbname=shop user=etl") as conn:
        pd.read_sql_query("SELECT * FROM mart.daily", conn)
''')
    assert known.unresolved == [] and [s.database for s in known.sql] == ["shop"]


def test_a_driver_built_from_an_airflow_connection_reaches_that_connection() -> None:
    """``c = BaseHook.get_connection("scoring")`` then ``psycopg2.connect(...format(c.host, c.schema))`` or
    ``create_engine(f"postgresql://{c.login}@{c.host}/{c.schema}")``: the SQL runs on connection ``scoring``."""
    for opened in ('psycopg2.connect("host={} dbname={}".format(c.host, c.schema))',
                   'create_engine(f"postgresql://{c.login}:{c.password}@{c.host}/{c.schema}")'):
        access = _run(f'''
def load():
    c = BaseHook.get_connection("scoring")
    with {opened} as conn:
        pd.read_sql_query("SELECT * FROM mart.daily", conn)
''')
        assert access.unresolved == [] and [s.conn_id for s in access.sql] == ["scoring"], (opened, access.unresolved)


def test_a_hook_given_no_connection_opens_its_default_and_an_unknown_one_is_a_reason() -> None:
    """``PostgresHook()`` opens ``postgres_default`` as Airflow does, not the task's other connection argument
    (``gcp_conn_id``); ``ClickHouseHook(clickhouse_conn_id=...)`` names its connection by any ``*_conn_id``."""
    access = _run('''
def load():
    PostgresHook().run("INSERT INTO mart.a SELECT 1")
    ClickHouseHook(clickhouse_conn_id="ch").get_conn().execute("INSERT INTO events.b SELECT 1")
    PostgresHook(postgres_conn_id=Variable.get("which")).run("INSERT INTO mart.c SELECT 1")
''', args={"gcp_conn_id": "google-cloud"})
    assert [s.conn_id for s in access.sql] == ["postgres_default", "ch", None]
    assert any("runs on is not known" in r for r in access.unresolved)


def test_sql_through_a_connection_nobody_can_name_makes_no_asset() -> None:
    """The SQL text is kept (``--explain``, cost fingerprints), its tables are not made assets under a guessed
    database: the task is unresolved, saying which connection is not known."""
    from overlay.connections import ConnectionResolver
    from overlay.resolve import resolve_task

    source = 'def f(conn):\n    cur = conn.cursor()\n    cur.execute("UPDATE mart.a SET x = 1")\n'
    task = TaskSpec("d", "t", "PythonOperator", DAG.file, 100, callable_source=source)
    access = extract_task(task, DAG, ExtractContext())
    resolved, assets = resolve_task(task, access, ConnectionResolver())
    assert resolved.sql == ["UPDATE mart.a SET x = 1"] and resolved.status == "unresolved"
    assert (resolved.reads, resolved.writes, assets) == ([], [], [])


def test_a_callable_changing_a_module_list_in_place_leaves_the_task_record_as_it_was(tmp_path: Path) -> None:
    """``pending.append(x)`` in a callable over a module-level list: the reader applies it to its own copy; the task's
    recorded constants (stored with the scan as JSON) keep the value the module gave (an unknown element in them
    stopped the whole scan from being stored)."""
    import json

    from overlay.scan import scan_folders

    (tmp_path / ".git").mkdir()
    (tmp_path / "d.py").write_text(
        "from airflow import DAG\nfrom airflow.operators.python import PythonOperator\n"
        "PENDING = ['a']\n\n"
        "def work(**context):\n    PENDING.append(context['ti'].xcom_pull())\n    PENDING.clear()\n\n"
        "with DAG('d'):\n    PythonOperator(task_id='t', python_callable=work)\n")
    result = scan_folders([str(tmp_path)], mode="static", workers=1)
    json.dumps(result.to_dict())  # plain data all through
    record = next(f for f in result.files if f.path.endswith("d.py"))
    assert record.payload["dags"][0]["tasks"][0]["callable_scope"] == {"PENDING": ["a"]}


def test_a_long_method_chain_in_a_callable_is_read_once_per_link() -> None:
    chain = "".join(f".field('f{i}', row['k{i}'])" for i in range(40))
    access = _run(f"""
from influxdb_client import Point
def f(rows):
    for row in rows:
        point = Point.measurement('m'){chain}
    PostgresHook('pg').run(' select * FROM  staging.orders '.strip().lower().replace('*', 'id').strip())
""")
    assert not any("BudgetExhausted" in e for e in access.unresolved), access.unresolved
    assert [(s[0], s[2]) for s in _sql(access)] == [("select id from  staging.orders", "pg")]


@pytest.mark.parametrize("opening", ["OracleSqlAlchemyHook()", "PostgresHook(CONN_FROM_RUN_TIME)"])
def test_a_hook_whose_connection_is_not_known_names_no_table(opening: str) -> None:
    """A team's own hook class given no connection opens its class's default, which overlay does not know; a hook
    given a connection it cannot evaluate reaches an unknown one: the SQL is kept, no table is made under 'default'."""
    access = _run(f"""
def f(**kwargs):
    hook = {opening}
    hook.get_pandas_df("SELECT id FROM licences.export")
""")
    assert [(s.sql, s.unknown_database) for s in access.sql] == [("SELECT id FROM licences.export", True)]
    assert any("is not known" in e for e in access.unresolved), access.unresolved
