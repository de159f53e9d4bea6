"""Content: sync catalog tables from the partner imports; one DAG per table, built by a factory."""

from __future__ import annotations

import pendulum
from airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator
from airflow.sdk import DAG


def make_sync_dag(source: str, target: str, hour: int) -> DAG:
    with DAG(
        dag_id=f"content_sync_{target}",
        start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
        schedule=f"0 {hour} * * *",
        catchup=False,
        default_args={"owner": "content-data"},
        tags=["team:content", "catalog"],
    ) as sync_dag:
        SQLExecuteQueryOperator(
            task_id=f"merge_{target}",
            conn_id="warehouse",
            sql=f"""
                MERGE INTO content.{target} t
                USING staging.{source} s ON t.id = s.id
                WHEN MATCHED THEN UPDATE SET name = s.name, updated_at = s.updated_at
                WHEN NOT MATCHED THEN INSERT (id, name, updated_at) VALUES (s.id, s.name, s.updated_at)
            """,
        )
    return sync_dag


artists_dag = make_sync_dag("artists_import", "artists", 1)
tracks_dag = make_sync_dag("tracks_import", "tracks", 2)
