"""A DAG file with a syntax error: the scan reports it with its line and carries on."""

from airflow.sdk import DAG
from airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator

with DAG(dag_id="broken_syntax", schedule="@daily"):
    SQLExecuteQueryOperator(
        task_id="never_parsed",
        conn_id="warehouse",
        sql="SELECT 1"
    # the closing parenthesis is missing
