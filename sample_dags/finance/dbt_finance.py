"""Finance: the dbt models of the finance marts, run from Airflow (one task, many assets)."""

from __future__ import annotations

import os

import pendulum
from airflow.providers.standard.operators.bash import BashOperator
from airflow.sdk import DAG

DBT_DIR = os.path.join(os.path.dirname(os.path.dirname(__file__)), "dbt", "tempo")

with DAG(
    dag_id="finance_dbt_marts",
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    schedule="0 7 * * *",
    catchup=False,
    default_args={"owner": "analytics-engineering"},
    tags=["team:finance", "dbt"],
):
    dbt_staging = BashOperator(
        task_id="dbt_staging",
        bash_command=f"dbt run --select staging --project-dir {DBT_DIR} --target prod",
    )
    dbt_finance = BashOperator(
        task_id="dbt_finance_marts",
        bash_command=f"cd {DBT_DIR} && dbt run --select marts.finance --target prod",
    )
    dbt_test = BashOperator(
        task_id="dbt_test",
        bash_command=f"dbt test --project-dir {DBT_DIR}",
    )
    dbt_staging >> dbt_finance >> dbt_test
