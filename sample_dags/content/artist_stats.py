"""Content: artist and chart statistics in BigQuery (the google provider is not installed here)."""

from __future__ import annotations

import pendulum
from airflow.providers.google.cloud.operators.bigquery import BigQueryExecuteQueryOperator, BigQueryInsertJobOperator
from airflow.providers.google.cloud.transfers.bigquery_to_gcs import BigQueryToGCSOperator
from airflow.providers.google.cloud.transfers.gcs_to_bigquery import GCSToBigQueryOperator
from airflow.providers.standard.operators.bash import BashOperator
from airflow.sdk import DAG

PROJECT = "tempo-analytics"

with DAG(
    dag_id="content_artist_stats",
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    schedule="@daily",
    catchup=False,
    default_args={"owner": "content-data", "gcp_conn_id": "bigquery_default"},
    tags=["team:content"],
):
    load_plays = GCSToBigQueryOperator(
        task_id="load_plays_to_bq",
        bucket="tempo-plays-export",
        source_objects=["plays/{{ ds }}/*.parquet"],
        destination_project_dataset_table=f"{PROJECT}.raw.plays",
        source_format="PARQUET",
        write_disposition="WRITE_APPEND",
    )
    artist_daily = BigQueryInsertJobOperator(
        task_id="build_artist_daily_stats",
        configuration={
            "query": {
                "query": f"""
                    SELECT artist_id, DATE(played_at) AS day, COUNT(*) AS plays, COUNT(DISTINCT user_id) AS listeners
                    FROM `{PROJECT}.raw.plays`
                    WHERE DATE(played_at) = '{{{{ ds }}}}'
                    GROUP BY artist_id, day
                """,
                "useLegacySql": False,
                "destinationTable": {"projectId": PROJECT, "datasetId": "content", "tableId": "artist_daily_stats"},
                "writeDisposition": "WRITE_APPEND",
            }
        },
    )
    top_tracks = BashOperator(
        task_id="bq_top_tracks",
        bash_command=(
            "bq query --use_legacy_sql=false "
            "'INSERT INTO content.top_tracks (artist_id, day, plays) "
            "SELECT artist_id, day, plays FROM content.artist_daily_stats WHERE day = \"{{ ds }}\" ORDER BY plays DESC LIMIT 100'"
        ),
    )
    weekly_charts = BigQueryExecuteQueryOperator(
        task_id="build_weekly_charts",
        sql="SELECT artist_id, SUM(plays) AS plays FROM content.top_tracks GROUP BY artist_id",
        destination_dataset_table=f"{PROJECT}.content.weekly_charts",
        use_legacy_sql=False,
    )
    export_charts = BigQueryToGCSOperator(
        task_id="export_weekly_charts",
        source_project_dataset_table=f"{PROJECT}.content.weekly_charts",
        destination_cloud_storage_uris=["gs://tempo-charts/weekly/{{ ds }}/*.csv"],
    )
    load_plays >> artist_daily >> top_tracks >> weekly_charts >> export_charts
