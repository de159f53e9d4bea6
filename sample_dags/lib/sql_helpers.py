"""Helpers shared by Tempo's DAGs (airflow utilities; not a DAG file, excluded by .airflowignore)."""


def partition_filter(column: str, ds: str) -> str:
    return f"{column} = DATE '{ds}'"
