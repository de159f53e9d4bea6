"""The `overlay` command as a user runs it: real processes, real files, real catalogs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

OVERLAY = [sys.executable, "-m", "overlay.cli.main"]


def run(*args: str, cwd: Path, stdin: str | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([*OVERLAY, *args], cwd=cwd, input=stdin, capture_output=True, text=True, timeout=300,
                          env={**os.environ, **(env or {}), "COLUMNS": "200"})


def test_sql_json_text_file_and_stdin(tmp_path: Path) -> None:
    result = run("sql", "INSERT INTO mart.x SELECT * FROM y", "--dialect", "snowflake", "--default-db", "ANALYTICS",
                 "--default-schema", "RAW", "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["reads"] == ["analytics.raw.y"] and data["writes"] == ["analytics.mart.x"]
    assert data["statements"][0]["kind"] == "insert" and data["errors"] == []
    (tmp_path / "q.sql").write_text("CREATE TABLE a AS SELECT * FROM b;")
    assert json.loads(run("sql", "q.sql", "--json", cwd=tmp_path).stdout)["writes"] == ["a"]
    piped = run("sql", "-", "--dialect", "postgres", "--json", cwd=tmp_path, stdin="DELETE FROM t USING s WHERE t.id = s.id")
    assert json.loads(piped.stdout)["reads"] == ["s"]


def test_sql_bad_input_reports_and_exits_nonzero(tmp_path: Path) -> None:
    result = run("sql", "INSERT INTO a SELECT 1;\nSELECT FROM WHERE;", "--dialect", "postgres", cwd=tmp_path)
    assert result.returncode == 1
    assert "statement 2 (line 2)" in result.stderr and "a" in result.stdout
    missing = run("sql", "missing.sql", cwd=tmp_path)
    assert missing.returncode == 2 and "no such SQL file" in missing.stderr


def test_scan_sample_dags_then_export_every_format(sample_dags: Path, tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'catalog.db'}"
    result = run("scan", str(sample_dags), "--db", db, "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["dags"] == 13 and summary["tasks"] == 39 and summary["status"]["partial"] == 1
    assert any(e["file"].endswith("broken_syntax.py") and e["line"] == 7 for e in summary["errors"])
    human = run("scan", str(sample_dags), "--db", db, cwd=tmp_path)
    assert human.returncode == 0 and "13 unchanged" in human.stdout and "export_segment" in human.stdout

    doc = json.loads(run("export", "--format", "json", "--db", db, cwd=tmp_path).stdout)
    assert set(doc) >= {"assets", "tasks", "edges", "dags", "errors"}
    asset = next(a for a in doc["assets"] if a["key"] == "warehouse:tempo.finance.okr_dashboard")
    assert asset["namespace"] == "warehouse" and asset["name"] == "tempo.finance.okr_dashboard"
    assert asset["producers"] == ["finance_revenue.build_okr_dashboard"] and asset["owners"] == ["finance-data@tempo.fm"]
    task = next(t for t in doc["tasks"] if t["task_id"] == "build_okr_dashboard")
    assert set(task) >= {"dag_id", "task_id", "operator", "file", "line", "reads", "writes", "status", "errors"}
    assert {"from": "warehouse:tempo.growth.trial_metrics_weekly", "to": "warehouse:tempo.finance.okr_dashboard",
            "via": "finance_revenue.build_okr_dashboard"} in doc["edges"]

    mermaid = run("export", "--format", "mermaid", "--db", db, cwd=tmp_path).stdout
    assert mermaid.startswith("flowchart LR") and '-->|"finance_revenue.build_okr_dashboard"|' in mermaid
    dot = run("export", "--format", "dot", "--db", db, cwd=tmp_path).stdout
    assert dot.startswith("digraph overlay {") and dot.rstrip().endswith("}")
    events = [json.loads(line) for line in run("export", "--format", "openlineage", "--db", db, cwd=tmp_path).stdout.splitlines()]
    okr = next(e for e in events if e["job"]["name"] == "finance_revenue.build_okr_dashboard")
    assert okr["eventType"] == "COMPLETE" and okr["outputs"] == [{"namespace": "warehouse", "name": "tempo.finance.okr_dashboard"}]


def test_scan_uses_overlay_db_env_and_reports_bad_arguments(sample_dags: Path, tmp_path: Path) -> None:
    env_db = tmp_path / "env.db"
    result = run("scan", str(sample_dags), "--mode", "static", cwd=tmp_path, env={"OVERLAY_DB": f"sqlite:///{env_db}"})
    assert result.returncode == 0 and env_db.exists()
    assert run("scan", str(tmp_path / "nope"), cwd=tmp_path).returncode == 2
    assert run("scan", str(sample_dags), "--mode", "sideways", cwd=tmp_path).returncode == 2
    bad = tmp_path / "bad.yaml"
    bad.write_text("connections: [1, 2]\n")
    result = run("scan", str(sample_dags), "--config", str(bad), cwd=tmp_path)
    assert result.returncode == 2 and "connections" in result.stderr


@pytest.mark.parametrize("fmt", ["yaml"])
def test_export_rejects_unknown_format(tmp_path: Path, fmt: str) -> None:
    result = run("export", "--format", fmt, "--db", f"sqlite:///{tmp_path / 'x.db'}", cwd=tmp_path)
    assert result.returncode == 2 and "unknown --format" in result.stderr


def test_query_commands_answer_the_catalog_questions(sample_dags: Path, tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'catalog.db'}"
    assert run("scan", str(sample_dags), "--mode", "static", "--db", db, cwd=tmp_path).returncode == 0

    which = run("asset", "orders", "--db", db, cwd=tmp_path)  # "Which orders table should I be using?"
    assert which.returncode == 1 and "warehouse:tempo.raw.orders" in which.stderr and "warehouse:tempo.legacy.orders" in which.stderr
    raw = json.loads(run("asset", "raw.orders", "--db", db, "--json", cwd=tmp_path).stdout)
    legacy = json.loads(run("asset", "legacy.orders", "--db", db, "--json", cwd=tmp_path).stdout)
    assert raw["producers"] and raw["consumer_dags"] == 2 and raw["owners"] and not legacy["producers"] and not legacy["owners"]
    assert run("asset", "no_such_table", "--db", db, cwd=tmp_path).returncode == 1

    who = json.loads(run("asset", "lead_scores", "--db", db, "--json", cwd=tmp_path).stdout)  # lead scoring pipeline
    assert who["owners"] == ["@tempo/growth-data"] and who["ownership"][0]["rule"] == "CODEOWNERS"
    assert who["producers"][0]["file"].endswith("growth/lead_scoring.py")

    up = json.loads(run("lineage", "trial_metrics_weekly", "--upstream", "--depth", "1", "--db", db, "--json", cwd=tmp_path).stdout)
    assert {n["key"] for n in up["nodes"][1:]} == {"warehouse:tempo.growth.trial_starts", "warehouse:tempo.raw.plays"}
    down = json.loads(run("lineage", "warehouse:tempo.growth.lead_scores", "--downstream", "--db", db, "--json", cwd=tmp_path).stdout)
    assert "warehouse:tempo.growth.campaign_performance" in {n["key"] for n in down["nodes"]}  # the marketing dashboard
    assert run("lineage", "lead_scores", "--upstream", "--downstream", "--db", db, cwd=tmp_path).returncode == 2

    owners = json.loads(run("owners", "--db", db, "--json", cwd=tmp_path).stdout)
    assert owners["conflicts"] == [] and "warehouse:tempo.finance.okr_dashboard" in {a["key"] for a in owners["assets"]}
    listed = json.loads(run("assets", "--search", "finance", "--owner", "finance-data", "--db", db, "--json", cwd=tmp_path).stdout)
    assert [a["key"] for a in listed["items"]] == [  # the overlay.yaml rule, and CODEOWNERS' @tempo/finance-data for Snowflake
        "snowflake:analytics.finance.revenue_raw", "snowflake:analytics.finance.revenue_report",
        "warehouse:tempo.finance.daily_revenue", "warehouse:tempo.finance.okr_dashboard"]
    human = run("owners", "--db", db, cwd=tmp_path)
    assert human.returncode == 0 and "finance-data@tempo.fm" in human.stdout


def test_serve_refuses_to_expose_without_a_token(tmp_path: Path) -> None:
    result = run("serve", "--host", "0.0.0.0", "--db", f"sqlite:///{tmp_path / 'x.db'}", cwd=tmp_path, env={"OVERLAY_API_TOKEN": ""})
    assert result.returncode == 2 and "OVERLAY_API_TOKEN" in result.stderr


def test_attribute_and_cost_commands(sample_dags: Path, tmp_path: Path) -> None:
    """"The warehouse bill is 2x last month: what happened?" from a recorded Snowflake history."""
    db = f"sqlite:///{tmp_path / 'catalog.db'}"
    assert run("scan", str(sample_dags), "--mode", "static", "--db", db, cwd=tmp_path).returncode == 0
    history = Path(__file__).parent / "fixtures" / "history" / "snowflake_query_history.csv"
    ingested = json.loads(run("attribute", str(history), "--source", "snowflake", "--db", db, "--json", cwd=tmp_path).stdout)
    assert ingested["inserted"] == 6 and ingested["malformed"] == 1
    report = json.loads(run("cost", "--by", "dag", "--since", "2026-11-01", "--until", "2026-12-01", "--compare", "previous",
                            "--db", db, "--json", cwd=tmp_path).stdout)
    assert report["previous"]["since"].startswith("2026-10-02") and report["movers"][0]["group"] == "finance_snowflake_reporting"
    human = run("cost", "--by", "owner", "--db", db, cwd=tmp_path)
    assert human.returncode == 0 and "@tempo/finance-data" in human.stdout
    assert run("cost", "--by", "planet", "--db", db, cwd=tmp_path).returncode == 2
    assert run("attribute", str(history), "--source", "oracle", "--db", db, cwd=tmp_path).returncode == 2
    assert run("attribute", "--source", "snowflake", "--conn", "sf", "--db", db, cwd=tmp_path).returncode == 2
