"""Finance: daily revenue and the company OKR dashboard (legacy Airflow 2 style, `dag=` arguments)."""

import os
from datetime import datetime

from airflow import DAG
from airflow.providers.postgres.operators.postgres import PostgresOperator

SQL_ROOT = os.path.join(os.path.dirname(__file__), "..", "sql")

dag = DAG(
    dag_id="finance_revenue",
    start_date=datetime(2021, 1, 1),
    schedule_interval="0 4 * * *",
    catchup=False,
    default_args={"owner": "finance-data"},
    template_searchpath=[SQL_ROOT],
    tags=["team:finance", "okr"],
)

build_daily_revenue = PostgresOperator(
    task_id="build_daily_revenue",
    postgres_conn_id="warehouse",
    sql="finance/daily_revenue.sql",
    dag=dag,
)

reconcile_refunds = PostgresOperator(
    task_id="reconcile_refunds",
    postgres_conn_id="warehouse",
    sql="""
        UPDATE finance.daily_revenue d
        SET refunded = r.amount
        FROM (SELECT refund_date, SUM(amount) AS amount FROM raw.refunds GROUP BY refund_date) r
        WHERE d.day = r.refund_date AND d.day = '{{ ds }}'
    """,
    dag=dag,
)

build_okr_dashboard = PostgresOperator(
    task_id="build_okr_dashboard",
    postgres_conn_id="warehouse",
    sql="""
        INSERT INTO finance.okr_dashboard (day, revenue, paying_users, trial_conversion)
        SELECT r.day, r.revenue, r.paying_users, w.conversion
        FROM finance.daily_revenue r
        LEFT JOIN (
            SELECT week_start, SUM(conversions)::numeric / NULLIF(SUM(trials), 0) AS conversion
            FROM growth.trial_metrics_weekly GROUP BY week_start
        ) w ON w.week_start = date_trunc('week', r.day)::date
        WHERE r.day = '{{ ds }}'
    """,
    dag=dag,
)

reconcile_refunds.set_upstream(build_daily_revenue)
build_okr_dashboard.set_upstream(reconcile_refunds)
