"""Growth: score trial users for the sales team (TaskFlow with hooks inside the callables)."""

from __future__ import annotations

import pendulum
from airflow.providers.postgres.hooks.postgres import PostgresHook
from airflow.sdk import DAG, Variable, task

FEATURES_SQL = """
    SELECT t.user_id, t.country, COUNT(p.play_id) AS plays, SUM(p.ms_played) AS ms_played
    FROM growth.trial_starts t
    LEFT JOIN raw.plays p ON p.user_id = t.user_id
    GROUP BY t.user_id, t.country
"""

with DAG(
    dag_id="growth_lead_scoring",
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    schedule="0 5 * * *",
    catchup=False,
    default_args={"owner": "growth-data"},
    tags=["team:growth", "sales"],
):

    @task
    def extract_features(sql: str = FEATURES_SQL):
        hook = PostgresHook(postgres_conn_id="warehouse")
        features = hook.get_pandas_df(sql)
        features.to_sql("lead_features", hook.get_sqlalchemy_engine(), schema="growth", if_exists="replace", index=False)

    @task
    def score_leads():
        hook = PostgresHook(postgres_conn_id="warehouse")
        hook.run(
            "INSERT INTO growth.lead_scores (user_id, score, scored_at) "
            "SELECT user_id, LEAST(1.0, plays / 100.0), now() FROM growth.lead_features"
        )

    @task
    def export_segment():
        table = Variable.get("crm_segment_table")
        hook = PostgresHook(postgres_conn_id="warehouse")
        hook.run(f"INSERT INTO {table} SELECT user_id FROM growth.lead_scores WHERE score > 0.8")

    extract_features() >> score_leads() >> export_segment()
