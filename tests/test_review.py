"""overlay diff and overlay lint on sample_dags in a real git repository, with realistic changes."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import SAMPLE_DAGS

OVERLAY = [sys.executable, "-m", "overlay.cli.main"]


def git(repo: Path, *args: str) -> str:
    out = subprocess.run(["git", "-C", str(repo), "-c", "user.email=ci@example.com", "-c", "user.name=ci", *args],
                         capture_output=True, text=True, check=True, timeout=60)
    return out.stdout.strip()


def overlay(repo: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*OVERLAY, *args], cwd=repo, capture_output=True, text=True, timeout=300)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """sample_dags committed on main, then a branch that renames a column in a .sql template and moves a table."""
    root = tmp_path / "dags-repo"
    root.mkdir()
    shutil.copytree(SAMPLE_DAGS, root / "sample_dags")
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "base")
    git(root, "checkout", "-qb", "change")
    sql = root / "sample_dags/sql/growth/trial_metrics_weekly.sql"  # a column rename in a .sql template
    sql.write_text(sql.read_text().replace("COUNT(t.converted_at)", "COUNT(t.converted_at) AS conversions_total"))
    dashboard = root / "sample_dags/growth/marketing_dashboard.py"  # a moved table
    dashboard.write_text(dashboard.read_text().replace("growth.campaign_performance", "marketing.campaign_performance"))
    return root


def test_diff_reports_blast_radius_owners_and_broken_consumers(repo: Path, tmp_path: Path) -> None:
    lead = repo / "sample_dags/growth/lead_scoring.py"  # the task that wrote lead_scores now writes another table
    source = lead.read_text()
    lead.write_text(source.replace("score_leads", "score_leads_v2").replace("growth.lead_scores", "growth.lead_scores_v2"))
    result = overlay(repo, "diff", "main", "--dags", "sample_dags", "--format", "json", "--cache-dir", str(tmp_path / "cache"))
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    tasks = {t["ref"]: t for t in report["tasks"]}
    weekly = tasks["growth_trial_metrics.build_trial_metrics_weekly"]
    assert weekly["kind"] == "changed" and weekly["sql_changed"]
    assert any("conversions_total" in line for line in weekly["sql_diff"])
    moved = tasks["growth_marketing_dashboard.build_campaign_performance"]
    assert moved["writes_added"] == ["warehouse:tempo.marketing.campaign_performance"]
    assert moved["writes_removed"] == ["warehouse:tempo.growth.campaign_performance"]
    assert "warehouse:tempo.growth.campaign_performance" in report["assets"]["removed"]
    radius = {i["asset"]: i for i in report["blast_radius"]}
    okr = radius["warehouse:tempo.finance.okr_dashboard"]  # trial_metrics_weekly -> finance_revenue.build_okr_dashboard
    assert okr["hops"] == 1 and okr["producers"] == ["finance_revenue.build_okr_dashboard"]
    assert radius["warehouse:tempo.growth.trial_metrics_weekly"]["consumers"] == ["finance_revenue.build_okr_dashboard"]
    assert "finance_revenue" in report["affected_dags"]
    assert okr["owners"] and set(okr["owners"]) <= set(report["owners_to_notify"])
    broken = {b["asset"]: b for b in report["broken"]}
    lost = broken["warehouse:tempo.growth.lead_scores"]  # its producer now writes lead_scores_v2
    assert "growth_marketing_dashboard.build_campaign_performance" in lost["consumers"]
    assert report["findings"]["broken-consumer"] >= 1
    assert report["base"]["tasks"] == report["head"]["tasks"]

    failing = overlay(repo, "diff", "main", "--dags", "sample_dags", "--fail-on", "broken-consumer,removed-asset",
                      "--cache-dir", str(tmp_path / "cache"))
    assert failing.returncode == 1 and "failing on broken-consumer" in failing.stderr

    markdown = overlay(repo, "diff", "main", "--dags", "sample_dags", "--format", "markdown", "--cache-dir", str(tmp_path / "cache"))
    assert markdown.returncode == 0
    assert markdown.stdout.startswith("### overlay") and "<details open><summary>Blast radius</summary>" in markdown.stdout
    assert "```diff" in markdown.stdout and "`warehouse:tempo.finance.okr_dashboard`" in markdown.stdout


def test_whitespace_and_comments_are_no_change_and_the_cache_skips_unchanged_files(repo: Path, tmp_path: Path) -> None:
    git(repo, "checkout", "-q", "--", ".")  # back to main's files on the branch
    sql = repo / "sample_dags/sql/growth/trial_metrics_weekly.sql"
    sql.write_text("-- reformatted\n" + sql.read_text().replace("GROUP BY t.country;", "GROUP   BY\n    t.country;  -- by country"))
    cache = tmp_path / "cache"
    first = json.loads(overlay(repo, "diff", "main", "--dags", "sample_dags", "--format", "json", "--cache-dir", str(cache)).stdout)
    assert first["tasks"] == [] and first["blast_radius"] == []
    assert first["files_changed"] == ["sample_dags/sql/growth/trial_metrics_weekly.sql"]
    # HEAD reads again only the DAG file whose .sql input changed; BASE's results serve the rest
    assert first["head"]["reused"] == first["head"]["files"] - 1
    second = json.loads(overlay(repo, "diff", "main", "--dags", "sample_dags", "--format", "json", "--cache-dir", str(cache)).stdout)
    assert second["base"]["reused"] == second["base"]["files"]  # both versions of that file are cached now
    assert second["head"]["reused"] == second["head"]["files"]


def test_diff_between_two_commits_and_two_exports(repo: Path, tmp_path: Path) -> None:
    git(repo, "commit", "-qam", "change")
    report = json.loads(overlay(repo, "diff", "main", "change", "--dags", "sample_dags", "--format", "json", "--no-cache").stdout)
    assert {t["ref"] for t in report["tasks"]} == {"growth_trial_metrics.build_trial_metrics_weekly",
                                                   "growth_marketing_dashboard.build_campaign_performance"}
    exports = []
    for rev in ("main", "change"):
        git(repo, "checkout", "-q", rev)
        db = f"sqlite:///{tmp_path / (rev + '.db')}"
        assert overlay(repo, "scan", "sample_dags", "--mode", "static", "--db", db).returncode in (0, 1)
        path = tmp_path / f"{rev}.json"
        path.write_text(overlay(repo, "export", "--format", "json", "--db", db).stdout)
        exports.append(str(path))
    from_exports = json.loads(overlay(repo, "diff", *exports, "--format", "json").stdout)
    assert {t["ref"] for t in from_exports["tasks"]} == {"growth_marketing_dashboard.build_campaign_performance"}  # no SQL in exports
    assert "warehouse:tempo.growth.campaign_performance" in from_exports["assets"]["removed"]


def test_diff_outside_a_git_repository_and_with_an_unknown_revision(tmp_path: Path) -> None:
    shutil.copytree(SAMPLE_DAGS, tmp_path / "dags")
    outside = overlay(tmp_path, "diff", "main", "--dags", "dags")
    assert outside.returncode == 2 and "not inside a git repository" in outside.stderr
    git(tmp_path, "init", "-q", "-b", "main")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-qm", "x")
    unknown = overlay(tmp_path, "diff", "nope", "--dags", "dags")
    assert unknown.returncode == 2 and "unknown revision 'nope'" in unknown.stderr


def test_schedule_change_puts_readers_freshness_at_risk(repo: Path, tmp_path: Path) -> None:
    git(repo, "checkout", "-q", "--", ".")
    trial = repo / "sample_dags/growth/trial_metrics.py"
    trial.write_text(trial.read_text().replace('schedule="30 3 * * *"', 'schedule="30 9 * * *"'))
    report = json.loads(overlay(repo, "diff", "main", "--dags", "sample_dags", "--format", "json", "--no-cache").stdout)
    risks = {r["dag_id"]: r for r in report["schedule_risks"]}
    risk = risks["growth_trial_metrics"]
    assert risk["schedule_before"] == "30 3 * * *" and risk["schedule_after"] == "30 9 * * *"
    assert risk["consumer_dags"] == {"finance_revenue": "0 4 * * *", "growth_lead_scoring": "0 5 * * *"}


# --- lint ------------------------------------------------------------------------------------


def lint(folder: Path, *args: str) -> subprocess.CompletedProcess:
    return overlay(folder.parent, "lint", str(folder), *args)


def test_lint_finds_implicit_dependencies_races_writers_dangling_and_dead(sample_dags: Path) -> None:
    trial = sample_dags / "growth/trial_metrics.py"  # the producer of trial_metrics_weekly now starts after its reader
    trial.write_text(trial.read_text().replace('schedule="30 3 * * *"', 'schedule="30 4 * * *"'))
    revenue = sample_dags / "finance/revenue.py"  # a typo: raw.order instead of raw.orders
    revenue.write_text(revenue.read_text().replace("FROM raw.refunds", "FROM raw.refund", 1))
    result = lint(sample_dags, "--format", "json")
    assert result.returncode == 0, result.stderr  # warnings only: the default --fail-level is error
    findings = json.loads(result.stdout)["findings"]
    by_rule: dict[str, list[dict]] = {}
    for f in findings:
        by_rule.setdefault(f["rule"], []).append(f)
    implicit = {f["subject"] for f in by_rule["implicit-dependency"]}
    assert "growth_trial_metrics->finance_revenue" in implicit
    race = [f for f in by_rule["schedule-race"] if "finance_revenue" in f["message"]]
    assert race and "starts 30 min before growth_trial_metrics" in race[0]["message"]
    assert race[0]["file"].endswith("finance/revenue.py") and race[0]["line"]
    typo = [f for f in by_rule["dangling-read"] if f["subject"] == "warehouse:tempo.raw.refund"]
    assert typo and typo[0]["severity"] == "warning" and "did you mean warehouse:tempo.raw.refunds?" in typo[0]["fix"]
    dead = {f["subject"] for f in by_rule["dead-asset"]}
    assert "warehouse:tempo.finance.okr_dashboard" in dead
    assert "warehouse:tempo.growth.trial_metrics_weekly" not in dead


def test_lint_respects_ordering_severity_and_ignores(sample_dags: Path) -> None:
    revenue = sample_dags / "finance/revenue.py"
    text = revenue.read_text()
    sensor = ("\nfrom airflow.sensors.external_task import ExternalTaskSensor\n"
              "wait_trials = ExternalTaskSensor(task_id='wait_trials', external_dag_id='growth_trial_metrics', dag=dag)\n")
    revenue.write_text(text + sensor)
    (sample_dags / "overlay.yaml").write_text((sample_dags / "overlay.yaml").read_text()
                                              + "\nlint:\n  severity: {dead-asset: off, implicit-dependency: error}\n"
                                                "  ignore: [{rule: dangling-read, match: '*staging.*'}]\n")
    result = lint(sample_dags, "--format", "json")
    findings = json.loads(result.stdout)["findings"]
    assert result.returncode == 1  # implicit-dependency raised to error
    assert not [f for f in findings if f["rule"] == "dead-asset"]
    assert not [f for f in findings if f["rule"] == "dangling-read" and "staging." in f["subject"]]
    implicit = {f["subject"] for f in findings if f["rule"] == "implicit-dependency"}
    assert "growth_trial_metrics->finance_revenue" not in implicit  # the sensor orders them
    assert all(f["severity"] == "error" for f in findings if f["rule"] == "implicit-dependency")
    assert lint(sample_dags, "--fail-level", "never").returncode == 0


def test_lint_sarif_and_markdown(sample_dags: Path) -> None:
    sarif = json.loads(lint(sample_dags, "--format", "sarif").stdout)
    assert sarif["version"] == "2.1.0"
    run = sarif["runs"][0]
    assert {r["id"] for r in run["tool"]["driver"]["rules"]} >= {"implicit-dependency", "schedule-race", "two-writers",
                                                                 "dangling-read", "dead-asset"}
    result = run["results"][0]
    assert result["level"] in ("error", "warning", "note")
    assert result["locations"][0]["physicalLocation"]["region"]["startLine"] >= 1
    markdown = lint(sample_dags, "--format", "markdown").stdout
    assert markdown.startswith("### overlay lint") and "<summary>Implicit cross-DAG dependency" in markdown


def test_lint_two_writers_across_dags(sample_dags: Path) -> None:
    extra = sample_dags / "finance/second_writer.py"
    extra.write_text(
        "from airflow.sdk import DAG\n"
        "from airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator\n"
        "with DAG(dag_id='finance_backfill', schedule=None, default_args={'owner': 'someone-else'}):\n"
        "    SQLExecuteQueryOperator(task_id='rebuild', conn_id='warehouse',\n"
        "        sql='INSERT INTO finance.okr_dashboard SELECT * FROM finance.daily_revenue')\n")
    findings = json.loads(lint(sample_dags, "--format", "json").stdout)["findings"]
    writers = [f for f in findings if f["rule"] == "two-writers" and f["subject"] == "warehouse:tempo.finance.okr_dashboard"]
    assert writers and "finance_backfill.rebuild" in writers[0]["message"] and "in 2 DAGs" in writers[0]["message"]
