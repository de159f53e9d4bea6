"""Query tags never change what a parameterized statement does, through real Airflow hooks on real databases:
PostgresHook (psycopg, pyformat) on PostgreSQL, SqliteHook (qmark and named) on SQLite, MySqlHook on MariaDB
with mysqlclient (format) and mysql-connector-python (pyformat). Each test reads back, from the server, the
statement text it received and checks the tag arrived intact."""

from __future__ import annotations

import logging
import sqlite3
import uuid
from collections.abc import Iterator
from types import SimpleNamespace
from urllib.parse import quote

import pytest

pytest.importorskip("airflow.providers.common.sql")

from airflow.providers.common.sql.hooks.sql import DbApiHook  # noqa: E402

from airflow_plugin import tagging  # noqa: E402
from airflow_plugin.safe_tags import PARAMSTYLE_RULES, tag_statement  # noqa: E402
from overlay.attribution.tags import parse_sqlcommenter  # noqa: E402

RUN_ID = "manual__2026-11-21T00:00:00+00:00"  # URL-encodes to %3A and %2B: the placeholder hazard
TAGS = {"dag_id": "finance_revenue", "task_id": "load", "run_id": RUN_ID, "try_number": "1"}
MYSQL = "mysql://root@127.0.0.1:3306/test"
MYSQL_STATEMENT = "INFO FROM information_schema.PROCESSLIST WHERE ID = CONNECTION_ID()"  # the text the server received


@pytest.fixture
def tagged(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Tagging on, inside a task (as the listener starts it)."""
    monkeypatch.delenv("OVERLAY_QUERY_TAGS", raising=False)
    tagging.enabled.cache_clear()
    tagging._logged.clear()
    tagging.start(SimpleNamespace(dag_id=TAGS["dag_id"], task_id=TAGS["task_id"], run_id=RUN_ID, try_number=1, task=None))
    try:
        yield
    finally:
        tagging.stop()


def _untagged(call, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
    """What the call returns with tagging off: the tag must not change it."""
    token = tagging.current_tags.set(None)
    try:
        return call(*args, **kwargs)
    finally:
        tagging.current_tags.reset(token)


def _airflow_url(sqlalchemy_url: str) -> str:
    return sqlalchemy_url.replace("postgresql+psycopg://", "postgresql://")


# --- PostgreSQL through PostgresHook (psycopg 3, pyformat) -------------------------------------------------------

@pytest.fixture
def pg_hook(pg_url: str, monkeypatch: pytest.MonkeyPatch):  # noqa: ANN201
    from airflow.providers.postgres.hooks.postgres import PostgresHook

    monkeypatch.setenv("AIRFLOW_CONN_TAGGING_PG", _airflow_url(pg_url))
    return PostgresHook(postgres_conn_id="tagging_pg")


def test_postgres_tuple_and_dict_parameters_run_and_carry_the_tag(tagged: None, pg_hook) -> None:  # noqa: ANN001
    value, received = pg_hook.get_first("SELECT %s::int + 1, current_query()", parameters=(41,))
    assert value == 42 and parse_sqlcommenter(received) == TAGS
    value, received = pg_hook.get_first("SELECT %(n)s::text || '%%', current_query()", parameters={"n": "7"})
    assert value == "7%" and parse_sqlcommenter(received) == TAGS  # the statement's own %% still means one %
    assert pg_hook.get_first("SELECT 'a%%b' LIKE %s", parameters=("a%",)) == (True,)


def test_postgres_split_statements_return_last_and_executemany(tagged: None, pg_hook) -> None:  # noqa: ANN001
    from airflow.providers.common.sql.hooks.handlers import fetch_all_handler

    pg_hook.run("CREATE TABLE t (n int, q text)")
    script = "INSERT INTO t SELECT %(n)s, current_query(); SELECT n, q FROM t WHERE n = %(n)s"
    last = pg_hook.run(script, parameters={"n": 3}, split_statements=True, return_last=True, handler=fetch_all_handler)
    assert [n for n, _ in last] == [3] and parse_sqlcommenter(last[0][1]) == TAGS
    every = pg_hook.run(["SELECT %s::int", "SELECT %s::int * 2"], parameters=(5,), handler=fetch_all_handler)
    assert every == [[(5,)], [(10,)]]
    both = pg_hook.run(script, parameters={"n": 4}, split_statements=True, return_last=False, handler=fetch_all_handler)
    assert both[1][0][0] == 4
    pg_hook.insert_rows("t", [(10, "x%s"), (11, "y%%")], target_fields=["n", "q"], executemany=True)
    assert pg_hook.get_records("SELECT n, q FROM t WHERE n >= %s ORDER BY n", parameters=(10,)) == [(10, "x%s"), (11, "y%%")]


# --- SQLite through SqliteHook (qmark and named) ----------------------------------------------------------------

def test_sqlite_qmark_and_named_parameters_run_and_carry_the_tag(tagged: None, tmp_path, monkeypatch) -> None:  # noqa: ANN001
    from airflow.providers.sqlite.hooks.sqlite import SqliteHook

    class TracedSqliteHook(SqliteHook):
        """The real SqliteHook; the trace callback shows the text SQLite compiled."""

        seen: list[str] = []

        def get_conn(self) -> sqlite3.Connection:
            conn = super().get_conn()
            conn.set_trace_callback(self.seen.append)
            return conn

    monkeypatch.setenv("AIRFLOW_CONN_TAGGING_SQLITE", "sqlite://" + quote(str(tmp_path / "w.db"), safe=""))
    hook = TracedSqliteHook(sqlite_conn_id="tagging_sqlite")
    hook.run("CREATE TABLE t (n int, s text)")
    hook.run("INSERT INTO t VALUES (?, ?)", parameters=(1, "a?b:c"))
    hook.run("INSERT INTO t VALUES (:n, :s)", parameters={"n": 2, "s": "%3A"})
    hook.insert_rows("t", [(3, "?"), (4, ":x")], executemany=True)
    assert hook.get_records("SELECT n, s FROM t WHERE n > ? ORDER BY n", parameters=(0,)) == [
        (1, "a?b:c"), (2, "%3A"), (3, "?"), (4, ":x")]
    received = [s for s in TracedSqliteHook.seen if s.startswith("INSERT INTO t VALUES")]
    assert [parse_sqlcommenter(s) for s in received[:2]] == [TAGS, TAGS]


# --- MariaDB through MySqlHook: mysqlclient (format) and mysql-connector-python (pyformat) -----------------------

@pytest.fixture(params=["mysqlclient", "mysql-connector-python"])
def mysql_hook(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator:
    pytest.importorskip("airflow.providers.mysql")
    pytest.importorskip("MySQLdb" if request.param == "mysqlclient" else "mysql.connector")
    from airflow.providers.mysql.hooks.mysql import MySqlHook

    monkeypatch.setenv("AIRFLOW_CONN_TAGGING_MYSQL", f"{MYSQL}?client={request.param}")
    hook = MySqlHook(mysql_conn_id="tagging_mysql")
    try:
        hook.get_conn().close()
    except Exception as e:  # noqa: BLE001
        pytest.skip(f"MariaDB not reachable at {MYSQL}: {e}")
    table = f"tagging_{uuid.uuid4().hex[:8]}"
    hook.run(f"CREATE TABLE {table} (n int, s varchar(20))")
    hook.table = table
    try:
        yield hook
    finally:
        hook.run(f"DROP TABLE IF EXISTS {table}")


def test_mysql_tuple_and_dict_parameters_run_and_carry_the_tag(tagged: None, mysql_hook) -> None:  # noqa: ANN001
    value, received = mysql_hook.get_first(f"SELECT %s + 1, {MYSQL_STATEMENT}", parameters=(41,))
    assert value == 42 and parse_sqlcommenter(received) == TAGS
    statement = f"SELECT CONCAT(%(n)s, '%%'), {MYSQL_STATEMENT}"  # what '%%' means is the driver's business, not the tag's
    value, received = mysql_hook.get_first(statement, parameters={"n": "7"})
    assert value == _untagged(mysql_hook.get_first, statement, parameters={"n": "7"})[0] and parse_sqlcommenter(received) == TAGS
    table = mysql_hook.table
    mysql_hook.insert_rows(table, [(1, "x%s"), (2, "%3A")], target_fields=["n", "s"], executemany=True)
    mysql_hook.run([f"INSERT INTO {table} VALUES (%s, %s)"], parameters=(3, "y"))
    rows = mysql_hook.get_records(f"SELECT n, s FROM {table} WHERE n > %s ORDER BY n", parameters=(0,))
    assert [tuple(r) for r in rows] == [(1, "x%s"), (2, "%3A"), (3, "y")]


# --- the rules, and statements left untagged --------------------------------------------------------------------

class _WrappedCursor:
    """A cursor proxy from a module that declares no paramstyle: overlay cannot know how the driver reads text."""

    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self._cursor = cursor

    def __getattr__(self, name: str):  # noqa: ANN204
        return getattr(self._cursor, name)


class _WrappingConnection:
    def __init__(self, path: str, seen: list[str]) -> None:
        self._conn = sqlite3.connect(path)
        self._conn.set_trace_callback(seen.append)

    def cursor(self) -> _WrappedCursor:
        return _WrappedCursor(self._conn.cursor())

    def __getattr__(self, name: str):  # noqa: ANN204
        return getattr(self._conn, name)


class WrappedSqliteHook(DbApiHook):
    conn_name_attr = "sqlite_conn_id"

    def __init__(self, path: str) -> None:
        super().__init__()
        self.path, self.seen = path, []

    def get_conn(self) -> _WrappingConnection:
        return _WrappingConnection(self.path, self.seen)


def test_unknown_paramstyle_with_parameters_runs_untagged_and_logs_once(tagged: None, tmp_path, caplog) -> None:  # noqa: ANN001
    hook = WrappedSqliteHook(str(tmp_path / "w.db"))
    with caplog.at_level(logging.WARNING, logger="airflow_plugin.tagging"):
        assert hook.get_first("SELECT ? + 1", parameters=(1,)) == (2,)
        assert hook.get_first("SELECT ? + 2", parameters=(1,)) == (3,)
        assert hook.get_first("SELECT 4") == (4,)  # without parameters the text is sent as is: tagged
    assert hook.seen[:2] == ["SELECT 1 + 1", "SELECT 1 + 2"]  # SQLite's trace shows bound values: no comment
    assert parse_sqlcommenter(hook.seen[2]) == TAGS
    warnings = [r.getMessage() for r in caplog.records if "untagged" in r.getMessage()]
    assert len(warnings) == 1 and "paramstyle is unknown" in warnings[0]


@pytest.mark.parametrize("style", sorted(PARAMSTYLE_RULES))
def test_each_paramstyle_leaves_the_statement_as_written(style: str) -> None:
    hostile = {**TAGS, "task_id": "a?b :name :1 %s %(x)s */ '"}
    statement = "SELECT %s, ?, :name, :1 FROM t;"
    result = tag_statement(statement, hostile, style, True)
    assert result.reason is None and result.sql.startswith("SELECT %s, ?, :name, :1 FROM t /*") and result.sql.endswith("*/;")
    comment = result.sql[len("SELECT %s, ?, :name, :1 FROM t "):-1]
    rule = PARAMSTYLE_RULES[style]
    assert not any(c in comment for c in rule.forbidden) and comment.count("*/") == 1
    if style in ("format", "pyformat"):
        assert parse_sqlcommenter(comment % ()) == hostile  # what the driver makes of it: the tag, intact


def test_statements_that_cannot_be_made_safe_stay_untagged() -> None:
    assert tag_statement("SELECT %s /* open", TAGS, "pyformat", True).sql == "SELECT %s /* open"
    assert tag_statement("SELECT %s", TAGS, None, True).sql == "SELECT %s"
    assert tag_statement("SELECT 1", TAGS, None, False).sql.startswith("SELECT 1 /*dag_id=")
