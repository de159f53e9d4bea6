"""Platform: load the core raw tables from the staging imports every day (Airflow 3)."""

from __future__ import annotations

import os

import pendulum
from airflow.providers.common.sql.operators.sql import SQLCheckOperator, SQLExecuteQueryOperator
from airflow.providers.standard.operators.bash import BashOperator
from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import DAG

SQL_DIR = os.path.join(os.path.dirname(os.path.dirname(__file__)), "sql")

with DAG(
    dag_id="platform_ingest_core",
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    schedule="@daily",
    catchup=False,
    default_args={"owner": "platform-data", "retries": 2},
    tags=["team:platform", "ingest"],
    template_searchpath=[SQL_DIR],
) as dag:
    load_users = SQLExecuteQueryOperator(
        task_id="load_users",
        conn_id="warehouse_etl",
        sql="""
            INSERT INTO raw.users (id, email, country, signed_up_at)
            SELECT id, lower(email), country, signed_up_at
            FROM staging.users_import
            ON CONFLICT (id) DO UPDATE SET email = EXCLUDED.email, country = EXCLUDED.country
        """,
    )
    load_plays = SQLExecuteQueryOperator(
        task_id="load_plays",
        conn_id="warehouse_etl",
        sql="platform/load_plays.sql",
    )
    load_subscriptions = SQLExecuteQueryOperator(
        task_id="load_subscriptions",
        conn_id="warehouse_etl",
        sql=[
            "TRUNCATE TABLE raw.subscriptions",
            "INSERT INTO raw.subscriptions SELECT * FROM staging.subscriptions_import",
        ],
    )
    check_plays = SQLCheckOperator(
        task_id="check_plays",
        conn_id="warehouse",
        sql="SELECT COUNT(*) > 0 FROM raw.plays WHERE play_date = '{{ ds }}'",
    )
    rollup_sessions = BashOperator(
        task_id="rollup_sessions",
        bash_command=f"psql -h warehouse.tempo.internal -d tempo -f {SQL_DIR}/platform/rollup_sessions.sql",
    )
    done = EmptyOperator(task_id="done")

    [load_users, load_plays, load_subscriptions] >> check_plays >> rollup_sessions >> done
