"""Growth: trial starts and the weekly trial metrics behind the growth dashboard (@dag + @task, Airflow 3)."""

from __future__ import annotations

import os

import pendulum
from airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator
from airflow.sdk import dag, task

SCHEMA = "growth"
SQL_DIR = os.path.join(os.path.dirname(os.path.dirname(__file__)), "sql")


@dag(
    dag_id="growth_trial_metrics",
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    schedule="30 3 * * *",
    catchup=False,
    default_args={"owner": "maria"},
    owner_links={"maria": "mailto:maria@tempo.fm"},
    tags=["team:growth", "dashboard:trials"],
    template_searchpath=SQL_DIR,
    params={"trial_days": 14},
)
def growth_trial_metrics():
    build_trial_starts = SQLExecuteQueryOperator(
        task_id="build_trial_starts",
        conn_id="warehouse",
        sql=f"""
            INSERT INTO {SCHEMA}.trial_starts (user_id, country, trial_started_at, converted_at)
            SELECT s.user_id, u.country, s.started_at, s.converted_at
            FROM raw.subscriptions s
            JOIN raw.users u ON u.id = s.user_id
            WHERE s.plan = 'trial' AND s.started_at >= '{{{{ macros.ds_add(ds, -params.trial_days) }}}}'
        """,
    )

    build_weekly = SQLExecuteQueryOperator(
        task_id="build_trial_metrics_weekly",
        conn_id="warehouse",
        sql="growth/trial_metrics_weekly.sql",
    )

    @task.sql(conn_id="warehouse")
    def count_open_trials():
        return "SELECT COUNT(*) FROM growth.trial_starts WHERE converted_at IS NULL"

    @task
    def announce(metrics_ready: bool = True):
        print("trial metrics are ready", metrics_ready)

    build_trial_starts >> build_weekly >> count_open_trials() >> announce()


growth_trial_metrics()
