"""Containers running SQL clients (issue 9 §3): pods, Docker and ECS tasks read like bash commands."""

from __future__ import annotations

from pathlib import Path

import pytest

from overlay.config import Settings
from overlay.scan import scan_folders

FOLDER = Path(__file__).parent / "fixtures" / "extract" / "containers"


@pytest.fixture(scope="module")
def tasks() -> dict:
    result = scan_folders([str(FOLDER)], mode="static", settings=Settings())
    return {t.task_id: t for t in result.tasks}


def test_bq_like_image_with_a_query_file(tasks: dict) -> None:
    task = tasks["clients_daily"]
    assert task.status == "resolved", task.errors
    # the partition decorator ($20240115, from the stand-in date) is no part of the table's name
    assert task.writes == ["bigquery:shared-prod.telemetry_derived.clients_daily_v1"]
    assert task.reads == ["bigquery:shared-prod.telemetry_stable.main_v5"]


def test_bash_in_a_pod_docker_and_ecs(tasks: dict) -> None:
    assert tasks["psql_in_pod"].writes == ["postgres:shop.mart.orders"] and tasks["psql_in_pod"].reads == ["postgres:shop.staging.orders"]
    assert tasks["snowsql"].writes == ["snowflake:analytics.mart.daily"]
    assert tasks["spark"].writes == ["spark:lake.events"] and tasks["spark"].reads == ["spark:raw.events"]
    assert tasks["ecs_bq"].writes == ["bigquery:proj.mart.summary"] and tasks["ecs_bq"].reads == ["bigquery:proj.raw.events"]


def test_containers_without_a_client(tasks: dict) -> None:
    assert tasks["python_job"].status == "unresolved"  # `python main.py`: its own code, reads and writes not known
    assert "runs 'python main.py'" in tasks["python_job"].errors[0]
    assert tasks["entrypoint"].status == "unresolved"
    assert "runs the entrypoint of its image etl:1" in tasks["entrypoint"].errors[0]
