"""`overlay scan` ends with coverage, and `--explain DAG.TASK` shows how one task was read (real processes)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_dags"


def scan(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "overlay.cli.main", "scan", str(SAMPLE), "--mode", "static",
                           "--db", f"sqlite:///{tmp_path}/c.db", *args], capture_output=True, text=True, timeout=300, cwd=ROOT,
                          env={**os.environ, "COLUMNS": "250"})


def test_json_coverage_and_explain(tmp_path: Path) -> None:
    run = scan(tmp_path, "--json", "--explain", "finance_revenue.build_daily_revenue")
    assert run.returncode == 0, run.stderr
    data = json.loads(run.stdout)
    cov = data["coverage"]
    assert (cov["tasks"], cov["touching_data"], cov["resolved"], cov["partial"], cov["unresolved"], cov["no_data"]) == (39, 34, 33, 1, 0, 5)
    [reason] = cov["reasons"]  # the table name built from the Variable, refused
    assert reason["count"] == 1 and reason["example"] == "sample_dags/growth/lead_scoring.py:40"
    assert reason["task"] == "growth_lead_scoring.export_segment" and "crm_segment_table" in reason["hint"] and "variables:" in reason["hint"]
    e = data["explain"]
    assert e["task"] == "finance_revenue.build_daily_revenue" and e["operator"] == "PostgresOperator"
    assert e["rule"].startswith("registry rule for PostgresOperator") and e["rule_detail"]["dialect"] == "postgres"
    assert e["known"]["postgres_conn_id"] == "warehouse" and e["unknown"] == []
    [sql] = e["sql"]
    assert sql["file"].endswith("sql/finance/daily_revenue.sql") and sql["dialect"] == "postgres" and sql["connection_source"] == "overlay.yaml"
    assert (sql["namespace"], sql["default_database"], sql["default_schema"]) == ("warehouse", "tempo", "public")
    assert "CREATE TABLE finance.daily_revenue_new" in sql["text"]
    assert e["status"] == "resolved" and e["writes"] == ["warehouse:tempo.finance.daily_revenue"]
    assert sorted(e["reads"]) == ["warehouse:tempo.raw.orders", "warehouse:tempo.raw.payments"]


def test_text_coverage_and_explain_of_an_unresolved_task(tmp_path: Path) -> None:
    run = scan(tmp_path, "--explain", "growth_lead_scoring.export_segment")
    assert run.returncode == 0, run.stderr
    out = run.stdout
    assert "Coverage: 33 of 34 tasks that touch data resolved (97.1%) · partial 1 · unresolved 0 · 5 tasks touch no data" in out
    assert "sample_dags/growth/lead_scoring.py:40 (growth_lead_scoring.export_segment)" in out
    assert "fix: give the Variable's value under `variables:` in overlay.yaml (crm_segment_table: ...)" in out
    explained = out[out.index("How growth_lead_scoring.export_segment was read"):]
    assert "status     partial" in explained and "Airflow Variable 'crm_segment_table'" in explained
    assert "reads      warehouse:tempo.growth.lead_scores" in explained  # the read it names in full is kept
    assert "rule       registry rule for" in explained


def test_explain_of_an_unknown_task_names_candidates_and_fails(tmp_path: Path) -> None:
    run = scan(tmp_path, "--explain", "build_daily_revenue")
    assert run.returncode == 1
    assert "no task 'build_daily_revenue' in this scan" in run.stderr and "finance_revenue.build_daily_revenue" in run.stderr
