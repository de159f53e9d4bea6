"""Finance: revenue reporting in Snowflake (legacy SnowflakeOperator; the provider is not installed here)."""

from datetime import datetime

from airflow import DAG
from airflow.operators.bash import BashOperator
from airflow.providers.snowflake.operators.snowflake import SnowflakeOperator

with DAG(
    "finance_snowflake_reporting",
    start_date=datetime(2023, 1, 1),
    schedule_interval="@daily",
    catchup=False,
    default_args={"owner": "finance-data", "snowflake_conn_id": "snowflake_default"},
) as dag:
    stage_revenue = SnowflakeOperator(
        task_id="stage_revenue",
        sql="COPY INTO finance.revenue_raw FROM @finance_stage/revenue/{{ ds }}/ FILE_FORMAT = (TYPE = PARQUET)",
    )
    build_report = SnowflakeOperator(
        task_id="build_revenue_report",
        sql="""
            CREATE OR REPLACE TABLE finance.revenue_report_staging AS
            SELECT region, DATE_TRUNC('month', booked_at) AS month, SUM(amount_usd) AS revenue
            FROM finance.revenue_raw
            GROUP BY 1, 2;
            ALTER TABLE finance.revenue_report_staging SWAP WITH finance.revenue_report;
            DROP TABLE finance.revenue_report_staging;
        """,
    )
    export_report = BashOperator(
        task_id="export_report",
        bash_command='snowsql -q "COPY INTO @export_stage/report/ FROM finance.revenue_report"',
    )
    stage_revenue >> build_report >> export_report
