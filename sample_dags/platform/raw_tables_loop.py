"""Platform: copy the commerce imports into raw, one task per table (a loop over a literal list)."""

from __future__ import annotations

import pendulum
from airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator
from airflow.sdk import DAG

COMMERCE_TABLES = ["orders", "payments", "refunds"]

with DAG(
    dag_id="platform_raw_commerce",
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    schedule="0 2 * * *",
    catchup=False,
    default_args={"owner": "platform-data"},
    tags=["team:platform"],
):
    for table in COMMERCE_TABLES:
        SQLExecuteQueryOperator(
            task_id=f"copy_{table}",
            conn_id="warehouse_etl",
            sql=f"INSERT INTO raw.{table} SELECT * FROM staging.{table}_import WHERE loaded_on = '{{{{ ds }}}}'",
        )
