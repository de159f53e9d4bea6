"""Platform: app events land in Redshift from S3, and a daily extract goes back out (legacy Airflow 2)."""

from datetime import datetime

from airflow import DAG
from airflow.providers.amazon.aws.transfers.redshift_to_s3 import RedshiftToS3Operator
from airflow.providers.amazon.aws.transfers.s3_to_redshift import S3ToRedshiftOperator

with DAG(
    "platform_redshift_events",
    start_date=datetime(2023, 6, 1),
    schedule_interval="@hourly",
    catchup=False,
    default_args={"owner": "platform-data"},
) as dag:
    load_app_events = S3ToRedshiftOperator(
        task_id="load_app_events",
        redshift_conn_id="redshift_default",
        s3_bucket="tempo-events",
        s3_key="app/{{ ds }}/",
        schema="events",
        table="app_events",
        copy_options=["FORMAT AS JSON 'auto'"],
    )
    export_daily_events = RedshiftToS3Operator(
        task_id="export_daily_events",
        redshift_conn_id="redshift_default",
        s3_bucket="tempo-exports",
        s3_key="events/{{ ds }}/",
        select_query="SELECT event_id, user_id, event_type FROM events.app_events WHERE event_date = '{{ ds }}'",
    )
    load_app_events >> export_daily_events
