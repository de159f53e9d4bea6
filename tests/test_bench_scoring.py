"""The benchmark's scoring rules: suffix matching, locations ignored, exact match, F1."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

from scoring import Counts, names_match, score, sets_equal, tables  # noqa: E402


def test_dotted_suffix_matches_but_partial_words_do_not() -> None:
    assert names_match("mart.orders", "db.mart.orders")
    assert names_match("DB.Mart.Orders", "orders")
    assert not names_match("orders", "preorders")
    assert not names_match("a.orders", "b.orders")


def test_locations_are_not_scored() -> None:
    assert tables(["s3://bucket/x", "@stage/y", "/tmp/z", "tab"]) == ["tab"]
    assert sets_equal(["tab1", "hdfs://x"], ["tab1"])


def test_exact_and_counts() -> None:
    cases = [
        {"id": "a", "reads": ["x", "y"], "writes": ["t"]},
        {"id": "b", "reads": ["x"], "writes": []},
    ]
    predictions = {"a": {"reads": ["db.x", "y"], "writes": ["t"]}, "b": {"reads": ["x", "extra"], "writes": []}}
    result, failing = score(cases, predictions)
    assert (result.exact, failing) == (1, ["b"])
    assert (result.reads.tp, result.reads.fp, result.reads.fn) == (3, 1, 0)
    assert round(result.overall.f1, 3) == round(2 * (4 / 5) * 1 / (4 / 5 + 1), 3)


def test_one_prediction_cannot_match_two_expected_names() -> None:
    counts = Counts()
    counts.add(["a.t", "b.t"], ["t"])
    assert (counts.tp, counts.fn, counts.fp) == (1, 1, 0)


def test_real_repos_flags_asset_names_built_from_stand_ins() -> None:
    import re
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
    from real_repos import STANDIN

    flagged = ["public.var_aws_configs_redshift_table", "demo.conn_snowflake_default_schema.params_audit_table_name",
               "params_output_dataset_name.params_output_table_name", "raw.events_20240115", "stage.orders_2024_01_14",
               "x.ti_xcom_pull", "undefined", "stage.dag_run_conf_day"]
    clean = ["raw.orders", "mart.variance_report", "finance.daily_revenue", "analytics.params", "raw.events_20231115",
             "monitoring_derived.airflow_dag_run_v1", "ops.ti_summary"]
    assert [n for n in flagged if not STANDIN.search(n)] == []
    assert [n for n in clean if STANDIN.search(n)] == []
    assert isinstance(STANDIN, re.Pattern)
