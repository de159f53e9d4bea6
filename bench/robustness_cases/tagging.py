"""Hostile inputs for run-time query tagging: tag values and statements that could turn the sqlcommenter comment
into placeholders, close a comment or move a terminator. Each case runs real parameterized statements through
``airflow_plugin.tagging.tagged_statement`` (what the DbApiHook wrapper sends) on a real driver and database and
checks the result is the one the untagged statement gives and, where the server shows the text it received,
that the tag arrived intact."""

from __future__ import annotations

import importlib.util
import os
import sqlite3
import tempfile
from collections.abc import Callable, Iterator

PG = os.environ.get("OVERLAY_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
MYSQL = {"host": "127.0.0.1", "port": 3306, "user": "root", "password": "", "database": "test"}

HOSTILE_VALUES = {
    "run id with : and +": "manual__2026-11-21T00:00:00+00:00",
    "percent placeholders": "%s %(x)s %d %% %3A %",
    "qmark, named, numeric": "? :name :1 $1 ?? ::int",
    "comment closer and quote": "*/ DROP TABLE t; /* ' \\' --",
    "unicode and newline": "réunion\n\u2028\x00日本",
    "long": "x" * 10_000,
}

# (name, {paramstyle: (statement, parameters)}): the same question asked in each driver's own placeholders
STATEMENTS = [
    ("one positional", {"pyformat": ("SELECT %s", (41,)), "format": ("SELECT %s", (41,)), "qmark": ("SELECT ?", (41,))}),
    ("named", {"pyformat": ("SELECT %(n)s", {"n": 41}), "qmark": ("SELECT :n", {"n": 41})}),
    ("trailing semicolon and spaces", {"pyformat": ("SELECT %s ;  \n", (1,)), "format": ("SELECT %s ;  \n", (1,)),
                                       "qmark": ("SELECT ? ;  \n", (1,))}),
    ("trailing line comment", {"pyformat": ("SELECT %s -- note", (1,)), "format": ("SELECT %s -- note", (1,)),
                               "qmark": ("SELECT ? -- note", (1,))}),
    ("unclosed block comment", {"pyformat": ("SELECT %s /* open", (1,)), "format": ("SELECT %s /* open", (1,)),
                                "qmark": ("SELECT ? /* open", (1,))}),
    ("literal percent", {"pyformat": ("SELECT 'a%%b', %s", (1,)), "format": ("SELECT 'a%%b', %s", (1,)),
                         "qmark": ("SELECT 'a%b', ?", (1,))}),
]


def _psycopg():  # noqa: ANN202
    import psycopg

    return psycopg.connect(PG, autocommit=True, connect_timeout=3), "SELECT current_query()"


def _psycopg2():  # noqa: ANN202
    import psycopg2

    conn = psycopg2.connect(PG, connect_timeout=3)
    conn.autocommit = True
    return conn, "SELECT current_query()"


def _sqlite():  # noqa: ANN202
    return sqlite3.connect(os.path.join(tempfile.mkdtemp(), "t.db")), None


def _mysqlclient():  # noqa: ANN202
    import MySQLdb

    return MySQLdb.connect(**{k: v for k, v in MYSQL.items() if k != "password"}, connect_timeout=3), None


def _mysql_connector():  # noqa: ANN202
    import mysql.connector

    return mysql.connector.connect(**MYSQL, connection_timeout=3), None


def _pymysql():  # noqa: ANN202
    import pymysql

    return pymysql.connect(**MYSQL, connect_timeout=3), None


DRIVERS: dict[str, tuple[str, str, Callable]] = {  # name: (module, paramstyle used, connect)
    "psycopg": ("psycopg", "pyformat", _psycopg),
    "psycopg2": ("psycopg2", "pyformat", _psycopg2),
    "sqlite3": ("sqlite3", "qmark", _sqlite),
    "mysqlclient": ("MySQLdb", "format", _mysqlclient),
    "mysql-connector-python": ("mysql.connector", "pyformat", _mysql_connector),
    "pymysql": ("pymysql", "pyformat", _pymysql),
}


def _rows(cur, sql: str, parameters) -> tuple | str:  # noqa: ANN001
    try:
        cur.execute(sql, parameters)
        return tuple(tuple(r) for r in cur.fetchall())
    except Exception as e:  # noqa: BLE001
        return f"{type(e).__name__}: {str(e)[:120]}"


def check_driver(driver: str, value: str) -> str | None:
    from airflow_plugin.tagging import tagged_statement
    from overlay.attribution.tags import parse_sqlcommenter

    _, style, connect = DRIVERS[driver]
    tags = {"dag_id": "robust", "task_id": "t", "run_id": value, "try_number": "1"}
    try:
        conn, _ = connect()
    except Exception as e:  # noqa: BLE001
        return f"{driver}: database not reachable: {e}"
    problems = []
    try:
        cur = conn.cursor()
        for name, forms in STATEMENTS:
            form = forms.get(style)
            if form is None:
                continue
            sql, parameters = form
            expected = _rows(cur, sql, parameters)
            sent = tagged_statement(cur, sql, tags, parameters)
            got = _rows(cur, sent, parameters)
            if got != expected:
                problems.append(f"{name}: untagged gave {expected!r}, tagged gave {got!r}")
        if driver in ("psycopg", "psycopg2"):  # the server shows the text it received: the tag arrived intact
            sent = tagged_statement(cur, "SELECT %s::int, current_query()", tags, (1,))
            received = _rows(cur, sent, (1,))
            if isinstance(received, str) or parse_sqlcommenter(received[0][1]) != tags:
                problems.append(f"tag not intact on the server: {str(received)[:200]}")
    finally:
        conn.close()
    return "; ".join(problems) or None


def cases() -> Iterator[tuple[str, str, Callable[[], str | None]]]:
    for driver, (module, _, _) in DRIVERS.items():
        if importlib.util.find_spec(module.split(".")[0]) is None:
            continue
        for label, value in HOSTILE_VALUES.items():
            yield ("tagging", f"{driver}: {label}", lambda d=driver, v=value: check_driver(d, v))
