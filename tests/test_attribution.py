"""Query attribution: recorded Snowflake and BigQuery histories for sample_dags, tags, fingerprints, tables, cost."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from overlay.attribution.attribute import CostModel
from overlay.attribution.history import read_history
from overlay.attribution.tags import bigquery_labels, parse_sqlcommenter, sqlcommenter
from overlay.catalog import Catalog
from overlay.catalog.costs import parse_day
from overlay.config import load_settings
from overlay.pipeline import build_catalog

HISTORY = Path(__file__).parent / "fixtures" / "history"


@pytest.fixture
def catalog(db_url: str, sample_dags: Path) -> Catalog:
    catalog = Catalog.open(db_url)
    build_catalog(catalog, [str(sample_dags)], "static", load_settings(None, [str(sample_dags)]), datetime.now(timezone.utc))
    return catalog


def test_sqlcommenter_round_trip_keeps_existing_comments() -> None:
    sql = sqlcommenter("/* daily */ SELECT * FROM t;", {"task_id": "load's", "dag_id": "d 1", "run_id": "manual__x+y"})
    assert sql == "/* daily */ SELECT * FROM t /*dag_id='d%201',run_id='manual__x%2By',task_id='load%27s'*/;"
    assert parse_sqlcommenter(sql) == {"dag_id": "d 1", "run_id": "manual__x+y", "task_id": "load's"}
    assert bigquery_labels({"dag_id": "Finance.Revenue", "try_number": 2}) == {"dag_id": "finance_revenue", "try_number": "2"}


def test_snowflake_history_attributed_by_tag_fingerprint_and_tables(catalog: Catalog) -> None:
    result = catalog.ingest_queries(read_history(HISTORY / "snowflake_query_history.csv", "snowflake"), CostModel())
    assert (result["rows"], result["inserted"], result["duplicates"], result["malformed"]) == (7, 6, 1, 1)
    assert result["malformed_examples"][0]["line"] == 7 and "not a time" in result["malformed_examples"][0]["reason"]
    assert result["by_method"] == {"tag": 3, "fingerprint": 1, "tables": 1, "unattributed": 2}
    assert result["top_unattributed"][0]["queries"] == 1
    again = catalog.ingest_queries(read_history(HISTORY / "snowflake_query_history.csv", "snowflake"), CostModel())
    assert again["inserted"] == 0 and again["duplicates"] == 7  # idempotent


def test_cost_by_dag_and_the_top_movers(catalog: Catalog) -> None:
    catalog.ingest_queries(read_history(HISTORY / "snowflake_query_history.csv", "snowflake"), CostModel.from_settings({"snowflake_credit": 2.0}))
    report = catalog.cost_report("dag", parse_day("2026-11-01"), parse_day("2026-12-01"), compare=True)
    groups = {g["group"]: g for g in report["groups"]}
    # 2,400 s on MEDIUM (4 credits/h) + 301 s on LARGE (8/h) + 1,200 s on XLARGE (16/h), at 2 USD a credit
    expected = (2400 * 4 + 301 * 8 + 1200 * 16) / 3600 * 2.0
    assert groups["finance_snowflake_reporting"]["cost"] == pytest.approx(expected, rel=1e-6)
    top = report["movers"][0]
    assert top["group"] == "finance_snowflake_reporting" and top["previous"] == pytest.approx((0.41 + 95 * 4 / 3600) * 2.0)
    assert "snowflake:analytics.finance.revenue_report" in top["assets"] and top["owners"] == ["@tempo/finance-data"]
    by_owner = catalog.cost_report("owner", parse_day("2026-11-01"), parse_day("2026-12-01"))
    assert by_owner["groups"][0]["group"] == "@tempo/finance-data" and sum(g["share"] for g in by_owner["groups"]) == pytest.approx(1, abs=1e-3)


def test_bigquery_jobs_bytes_billed_and_labels(catalog: Catalog) -> None:
    result = catalog.ingest_queries(read_history(HISTORY / "bigquery_jobs.jsonl", "bigquery"), CostModel())
    assert (result["rows"], result["malformed"]) == (3, 1)
    assert result["by_method"] == {"tag": 1, "fingerprint": 1, "tables": 0, "unattributed": 1}
    report = catalog.cost_report("task")
    costs = {g["group"]: g["cost"] for g in report["groups"]}
    assert costs["content_artist_stats.build_artist_daily_stats"] == pytest.approx(5 * 6.25)  # 5 TiB at 6.25 USD/TiB
    assert costs["content_artist_stats.build_weekly_charts"] == pytest.approx(6.25)


def test_csv_with_a_column_mapping_and_bad_arguments(catalog: Catalog, tmp_path: Path) -> None:
    history = tmp_path / "export.csv"
    history.write_text("id,sql,at,ms\nq1,INSERT INTO raw.orders SELECT * FROM staging.orders_import WHERE loaded_on = '2026-11-20',2026-11-20T02:00:00Z,1800000\n")
    rows = read_history(history, "csv", {"query_id": "id", "text": "sql", "started_at": "at", "duration_ms": "ms"})
    result = catalog.ingest_queries(rows, CostModel())
    assert result["by_method"]["fingerprint"] == 1
    assert catalog.cost_report("task")["groups"][0] == {"group": "platform_raw_commerce.copy_orders", "cost": 0.5, "share": 1.0}
    with pytest.raises(ValueError, match="column mapping"):
        list(read_history(history, "csv"))
    with pytest.raises(ValueError, match="needs --since and --until"):
        catalog.cost_report("dag", compare=True)
