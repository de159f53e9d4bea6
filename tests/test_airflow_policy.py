"""The opt-in cluster policy: inferred tables become Airflow Assets on real DAG objects; errors never break parsing."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

pytest.importorskip("airflow")

from overlay.catalog import Catalog  # noqa: E402
from overlay.config import load_settings  # noqa: E402
from overlay.pipeline import build_catalog  # noqa: E402

SAMPLE = Path(__file__).resolve().parent.parent / "sample_dags"


def test_policy_attaches_inferred_assets_to_a_real_dag(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'c.db'}"
    build_catalog(Catalog.open(url), [str(SAMPLE)], "static", load_settings(None, [str(SAMPLE)]), datetime.now(timezone.utc))
    monkeypatch.setenv("OVERLAY_DB", url)
    from airflow.dag_processing.dagbag import DagBag
    from airflow.sdk import Asset

    from airflow_plugin import policy

    bag = DagBag(dag_folder=str(SAMPLE / "platform" / "raw_tables_loop.py"))
    task = bag.dags["platform_raw_commerce"].get_task("copy_orders")
    task.outlets.append(Asset(name="declared-by-hand", uri="s3://bucket/x"))
    policy.task_policy(task)
    assert [a.name for a in task.inlets] == ["warehouse:tempo.staging.orders_import"]
    assert [a.name for a in task.outlets] == ["declared-by-hand", "warehouse:tempo.raw.orders"]
    assert task.outlets[1].uri == "overlay://warehouse/tempo.raw.orders"
    policy.task_policy(task)  # idempotent
    assert len(task.outlets) == 2


def test_policy_never_raises_when_the_catalog_is_unusable(monkeypatch: pytest.MonkeyPatch) -> None:
    from airflow.providers.standard.operators.empty import EmptyOperator
    from airflow.sdk import DAG

    from airflow_plugin import policy

    monkeypatch.setenv("OVERLAY_DB", "postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=1")
    monkeypatch.setattr(policy, "_cache", {"scan_id": None, "io": {}})
    with DAG(dag_id="d"):
        task = EmptyOperator(task_id="t")
    policy.task_policy(task)
    assert task.inlets == [] and task.outlets == []
