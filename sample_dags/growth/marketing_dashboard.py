"""Growth: tables behind the marketing dashboard (legacy Airflow 2 code: no longer imports on Airflow 3)."""

from datetime import datetime, timedelta

from airflow import DAG
from airflow.operators.dummy import DummyOperator
from airflow.providers.postgres.operators.postgres import PostgresOperator

default_args = {
    "owner": "growth-data",
    "retries": 1,
    "retry_delay": timedelta(minutes=5),
}

dag = DAG(
    "growth_marketing_dashboard",
    default_args=default_args,
    start_date=datetime(2022, 3, 1),
    schedule_interval="0 6 * * *",
    catchup=False,
    tags=["team:growth", "dashboard:marketing"],
)

start = DummyOperator(task_id="start", dag=dag)

build_campaign_performance = PostgresOperator(
    task_id="build_campaign_performance",
    postgres_conn_id="warehouse",
    sql="""
        INSERT INTO growth.campaign_performance (campaign, day, leads, revenue)
        SELECT u.utm_campaign, o.order_date, COUNT(DISTINCT l.user_id), SUM(o.amount)
        FROM growth.lead_scores l
        JOIN legacy.orders o ON o.user_id = l.user_id
        JOIN raw.users u ON u.id = l.user_id
        WHERE o.order_date = '{{ ds }}'
        GROUP BY 1, 2
    """,
    dag=dag,
)

refresh_funnel = PostgresOperator(
    task_id="refresh_marketing_funnel",
    postgres_conn_id="warehouse",
    sql="REFRESH MATERIALIZED VIEW growth.marketing_funnel",
    dag=dag,
)

end = DummyOperator(task_id="end", dag=dag)

start >> build_campaign_performance >> refresh_funnel
end.set_upstream(refresh_funnel)
