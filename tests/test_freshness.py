"""Run history and freshness: "Why hasn't the OKR dashboard been updated today?" in one call."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from overlay.catalog import Catalog
from overlay.config import FreshnessRule, load_settings
from overlay.freshness import parse_lag, stale_assets
from overlay.model import TaskRun
from overlay.pipeline import build_catalog

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=timezone.utc)
YESTERDAY = (NOW - timedelta(days=1)).isoformat()
TWO_DAYS_AGO = (NOW - timedelta(days=2)).isoformat()


def run(task: str, state: str, end: str, try_number: int = 1, run_id: str = "scheduled__1") -> TaskRun:
    dag_id, task_id = task.split(".")
    return TaskRun(dag_id, task_id, run_id, try_number, state, end, end, source="test")


@pytest.fixture
def catalog(db_url: str, sample_dags: Path) -> Catalog:
    catalog = Catalog.open(db_url)
    build_catalog(catalog, [str(sample_dags)], "static", load_settings(None, [str(sample_dags)]), NOW)
    return catalog


def test_parse_lag() -> None:
    assert parse_lag("26h") == timedelta(hours=26)
    assert parse_lag("1h30m") == timedelta(minutes=90)
    assert parse_lag("2d") == timedelta(days=2)
    with pytest.raises(ValueError, match="not a duration"):
        parse_lag("soon")


def test_recording_runs_is_idempotent_and_reports_unknown_tasks(catalog: Catalog) -> None:
    runs = [run("finance_revenue.build_daily_revenue", "success", YESTERDAY), run("no_such.task", "success", YESTERDAY),
            run("growth_trial_metrics.announce", "success", YESTERDAY)]  # in the catalog, writes no table: not "unknown"
    assert catalog.record_runs(runs) == {"runs": 3, "materializations": 1, "unknown_tasks": 1, "no_writes": 1}
    assert catalog.record_runs(runs)["materializations"] == 0
    history = catalog.materializations("warehouse:tempo.finance.daily_revenue")
    assert [(m["dag_id"], m["task_id"], m["state"]) for m in history] == [("finance_revenue", "build_daily_revenue", "success")]
    assert catalog.asset("warehouse:tempo.finance.daily_revenue")["last_materialization"]["run_id"] == "scheduled__1"


def test_why_the_okr_dashboard_is_late(catalog: Catalog) -> None:
    catalog.record_runs([
        run("finance_revenue.build_okr_dashboard", "success", TWO_DAYS_AGO, run_id="scheduled__0"),
        run("finance_revenue.build_daily_revenue", "success", TWO_DAYS_AGO, run_id="scheduled__0"),
        run("finance_revenue.build_daily_revenue", "failed", YESTERDAY, try_number=3),
        run("growth_trial_metrics.build_trial_metrics_weekly", "success", YESTERDAY),
    ])
    rules = [FreshnessRule("*okr*", "26h"), FreshnessRule("warehouse:tempo.finance.*", "26h")]
    late = {s.key: s for s in stale_assets(catalog.freshness_states(), rules, now=NOW)}
    assert set(late) == {"warehouse:tempo.finance.okr_dashboard", "warehouse:tempo.finance.daily_revenue"}
    okr = late["warehouse:tempo.finance.okr_dashboard"]
    assert okr.lag == timedelta(days=2)
    assert any(r.startswith("upstream warehouse:tempo.finance.daily_revenue is late: producer finance_revenue.build_daily_revenue failed")
               for r in okr.reasons), okr.reasons
    assert "try 3" in late["warehouse:tempo.finance.daily_revenue"].reasons[0]


def test_never_materialized_and_unproduced_assets(catalog: Catalog) -> None:
    late = {s.key: s for s in stale_assets(catalog.freshness_states(), [FreshnessRule("*legacy.orders", "1d"),
                                                                         FreshnessRule("*lead_scores", "1d")], now=NOW)}
    assert late["warehouse:tempo.legacy.orders"].reasons == ["no task in the scanned DAGs writes warehouse:tempo.legacy.orders"]
    assert late["warehouse:tempo.growth.lead_scores"].last_success is None
    assert "producer growth_lead_scoring.score_leads has no recorded run" in late["warehouse:tempo.growth.lead_scores"].reasons
