"""Settings, connection lookup and task resolution to asset keys."""

from __future__ import annotations

import pytest

from overlay.config import ConfigError, parse_settings
from overlay.connections import ConnectionResolver, parse_airflow_connection
from overlay.model import DirectAccess, SqlSource, TaskAccess, TaskSpec
from overlay.resolve import resolve_task

SETTINGS = parse_settings(
    {
        "connections": {
            "warehouse": {"dialect": "postgres", "database": "tempo", "schema": "public", "namespace": "warehouse"},
            "warehouse_etl": {"dialect": "postgres", "database": "tempo", "schema": "public", "namespace": "warehouse"},
            "bigquery_default": {"dialect": "bigquery", "database": "tempo-analytics", "namespace": "bigquery"},
        }
    }
)


def _task(**args: object) -> TaskSpec:
    return TaskSpec("dag", "task", "SQLExecuteQueryOperator", "dags/x.py", 10, args=dict(args))


def test_two_conn_ids_on_one_warehouse_share_assets() -> None:
    resolver = ConnectionResolver(SETTINGS, environ={})
    a, _ = resolve_task(_task(conn_id="warehouse"), TaskAccess(sql=[SqlSource("INSERT INTO mart.t SELECT * FROM users", "sql")]), resolver)
    b, _ = resolve_task(_task(conn_id="warehouse_etl"), TaskAccess(sql=[SqlSource("SELECT * FROM mart.t", "sql")]), resolver)
    assert a.writes == ["warehouse:tempo.mart.t"] and a.reads == ["warehouse:tempo.public.users"]
    assert b.reads == a.writes
    assert a.status == "resolved"


def test_airflow_env_connections_uri_and_json() -> None:
    pg = parse_airflow_connection("pg", "postgresql://user:secret@db.internal:5432/Tempo")
    assert (pg.dialect, pg.database, pg.schema, pg.namespace) == ("postgres", "Tempo", "public", "postgresql://db.internal:5432/tempo")
    sf = parse_airflow_connection("sf", '{"conn_type": "snowflake", "extra": {"account": "acme", "database": "ANALYTICS", "schema": "RAW"}}')
    assert (sf.dialect, sf.database, sf.schema, sf.namespace) == ("snowflake", "ANALYTICS", "RAW", "snowflake://acme/analytics")
    with pytest.raises(ValueError):
        parse_airflow_connection("bad", "not a uri")


def test_env_connection_is_used_when_settings_do_not_know_the_conn_id() -> None:
    resolver = ConnectionResolver(SETTINGS, environ={"AIRFLOW_CONN_MYSQL_SHOP": "mysql://u:p@shop-db:3306/shop"})
    task = TaskSpec("dag", "t", "MySqlOperator", "x.py", 1, args={"mysql_conn_id": "mysql_shop"})
    resolved, assets = resolve_task(task, TaskAccess(sql=[SqlSource("INSERT INTO orders SELECT * FROM carts", "sql")]), resolver)
    assert resolved.writes == ["mysql://shop-db:3306:shop.orders"]
    assert {a.name for a in assets} == {"shop.orders", "shop.carts"}


def test_unknown_conn_falls_back_to_the_operator_dialect_and_conn_id_namespace() -> None:
    resolver = ConnectionResolver(SETTINGS, environ={})
    task = TaskSpec("dag", "t", "SnowflakeOperator", "x.py", 1, args={"snowflake_conn_id": "sf_prod"})
    access = TaskAccess(sql=[SqlSource('INSERT INTO "Mart".x SELECT * FROM y', "sql", dialect="snowflake")])
    resolved, _ = resolve_task(task, access, resolver)
    assert resolved.writes == ["sf_prod:Mart.x"] and resolved.reads == ["sf_prod:y"]


def test_parse_errors_make_a_task_partial_with_file_and_line() -> None:
    resolver = ConnectionResolver(SETTINGS, environ={})
    access = TaskAccess(sql=[SqlSource("INSERT INTO a SELECT * FROM b;\nSELECT FROM WHERE", "sql_file:q.sql", file="sql/q.sql", line=1)])
    resolved, _ = resolve_task(_task(conn_id="warehouse"), access, resolver)
    assert resolved.status == "partial"
    assert resolved.errors[0].startswith("sql/q.sql:2: SQL statement 2 does not parse")


def test_direct_access_groups_connect_only_their_own_inputs() -> None:
    resolver = ConnectionResolver(SETTINGS, environ={})
    direct = [
        DirectAccess("marts.a", "write", "dbt", "bigquery_default", group="model.a"),
        DirectAccess("raw.x", "read", "dbt", "bigquery_default", group="model.a"),
        DirectAccess("marts.b", "write", "dbt", "bigquery_default", group="model.b"),
        DirectAccess("raw.y", "read", "dbt", "bigquery_default", group="model.b"),
    ]
    resolved, _ = resolve_task(_task(), TaskAccess(direct=direct), resolver)
    assert sorted(map(tuple, resolved.edges)) == [
        ("bigquery:tempo-analytics.raw.x", "bigquery:tempo-analytics.marts.a"),
        ("bigquery:tempo-analytics.raw.y", "bigquery:tempo-analytics.marts.b"),
    ]


@pytest.mark.parametrize(
    ("access", "status"),
    [
        (TaskAccess(no_data=True), "no_data"),
        (TaskAccess(unresolved=["SQL built at runtime"]), "unresolved"),
        (TaskAccess(sql=[SqlSource("SELECT 1", "sql")]), "no_data"),
        (TaskAccess(sql=[SqlSource("SELECT FROM WHERE", "sql")]), "unresolved"),
    ],
)
def test_status(access: TaskAccess, status: str) -> None:
    resolved, _ = resolve_task(_task(conn_id="warehouse"), access, ConnectionResolver(SETTINGS, environ={}))
    assert resolved.status == status


def test_malformed_settings_are_reported_with_where() -> None:
    with pytest.raises(ConfigError, match="connection 'x': unknown keys"):
        parse_settings({"connections": {"x": {"dialect": "postgres", "hostname": "h"}}}, "overlay.yaml")
    with pytest.raises(ConfigError, match=r"freshness\[0\]"):
        parse_settings({"freshness": [{"match": "*"}]})


def test_connections_from_airflows_metadata_database(tmp_path) -> None:  # noqa: ANN001
    """Airflow's own Connection model writes the table; overlay reads its non-secret columns."""
    pytest.importorskip("airflow")
    from airflow.models.connection import Connection
    from sqlalchemy import create_engine
    from sqlalchemy.orm import Session

    from overlay.connections import load_airflow_db_connections

    url = f"sqlite:///{tmp_path / 'airflow.db'}"
    engine = create_engine(url)
    Connection.__table__.create(engine)
    with Session(engine) as session:
        session.add(Connection(conn_id="dwh", conn_type="postgres", host="dwh.internal", port=5432, schema="tempo", login="etl", password="secret"))
        session.add(Connection(conn_id="sf", conn_type="snowflake", extra='{"account": "acme", "database": "ANALYTICS", "schema": "RAW"}'))
        session.commit()
    found = load_airflow_db_connections(url)
    assert (found["dwh"].dialect, found["dwh"].database, found["dwh"].schema, found["dwh"].namespace) == (
        "postgres", "tempo", "public", "postgres://dwh.internal:5432/tempo")
    assert (found["sf"].database, found["sf"].schema, found["sf"].source) == ("ANALYTICS", "RAW", "airflow-db")
    resolver = ConnectionResolver(parse_settings({}), environ={}, airflow_db_url=url)
    resolved, _ = resolve_task(TaskSpec("d", "t", "SQLExecuteQueryOperator", "x.py", 1, args={"conn_id": "dwh"}),
                               TaskAccess(sql=[SqlSource("INSERT INTO mart.a SELECT * FROM b", "sql")]), resolver)
    assert resolved.writes == ["postgres://dwh.internal:5432/tempo:tempo.mart.a"]
    assert load_airflow_db_connections("postgresql+psycopg://nobody@127.0.0.1:1/none") == {}  # unreachable: none, no crash
