"""The first hour with the `overlay` command: errors, exit codes and hints a new user relies on (real processes)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

OVERLAY = [sys.executable, "-m", "overlay.cli.main"]


def run(*args: str, cwd: Path, env: dict | None = None, drop: tuple[str, ...] = ()) -> subprocess.CompletedProcess:
    """Like a user in a pipe: no terminal, no COLUMNS."""
    base = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", *drop)}
    return subprocess.run([*OVERLAY, *args], cwd=cwd, capture_output=True, text=True, timeout=300, env={**base, **(env or {})})


@pytest.fixture(scope="module")
def scanned(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """sample_dags scanned once (static mode: fast) into a catalog in a temporary folder."""
    import shutil

    from conftest import SAMPLE_DAGS

    work = tmp_path_factory.mktemp("ux")
    shutil.copytree(SAMPLE_DAGS, work / "sample_dags")
    db = f"sqlite:///{work / 'catalog.db'}"
    result = run("scan", "sample_dags", "--mode", "static", "--db", db, cwd=work)
    assert result.returncode == 0, result.stderr
    return work, db


def test_output_outside_a_terminal_does_not_wrap_file_line(scanned: tuple[Path, str]) -> None:
    work, db = scanned
    result = run("scan", "sample_dags", "--mode", "static", "--db", db, cwd=work)
    lines = (result.stdout + result.stderr).splitlines()
    assert any("sample_dags/broken/broken_syntax.py:7" in line for line in lines), result.stderr
    assert any("sample_dags/growth/lead_scoring.py:40" in line and "crm_segment_table" in line for line in lines)
    assert max(len(line) for line in lines) > 80


def test_json_errors_go_to_stdout_with_candidates_and_the_same_exit_code(scanned: tuple[Path, str]) -> None:
    work, db = scanned
    human = run("asset", "orders", "--db", db, cwd=work)
    as_json = run("asset", "orders", "--db", db, "--json", cwd=work)
    assert human.returncode == as_json.returncode == 1
    assert "warehouse:tempo.raw.orders" in human.stderr and human.stdout == ""
    error = json.loads(as_json.stdout)
    assert "matches 2 assets" in error["error"]
    assert error["candidates"] == ["warehouse:tempo.legacy.orders", "warehouse:tempo.raw.orders"]
    unknown = run("lineage", "no_such_table", "--db", db, "--json", cwd=work)
    assert unknown.returncode == 1 and json.loads(unknown.stdout)["candidates"] == []


def test_json_usage_errors_are_json_on_stdout_with_exit_code_2(scanned: tuple[Path, str]) -> None:
    """A value click refuses before the command runs (not a number, a missing argument) is an error like any other."""
    work, db = scanned
    human = run("lineage", "raw.orders", "--depth", "abc", "--db", db, cwd=work)
    as_json = run("lineage", "raw.orders", "--depth", "abc", "--db", db, "--json", cwd=work)
    assert human.returncode == as_json.returncode == 2
    assert "Invalid value for '--depth'" in human.stderr and human.stdout == ""
    error = json.loads(as_json.stdout)
    assert error["error"].startswith("Invalid value for '--depth'") and error["candidates"] == [] and "lineage --help" in error["hint"]
    missing = run("asset", "--db", db, "--json", cwd=work)
    assert missing.returncode == 2 and json.loads(missing.stdout)["error"] == "Missing argument 'key'."


def test_stale_exits_1_when_late_and_says_how_to_get_run_history(scanned: tuple[Path, str]) -> None:
    work, db = scanned
    late = run("stale", "--db", db, cwd=work)
    assert late.returncode == 1 and "late" in late.stdout
    assert "no run history" in late.stdout and "overlay runs sync" in late.stdout and "plugin" in late.stdout
    report = run("stale", "--db", db, "--exit-zero", "--json", cwd=work)
    assert report.returncode == 0
    data = json.loads(report.stdout)
    assert data["stale"] and data["run_history"] is False and "runs sync" in data["hint"]


def test_cost_on_empty_history_says_how_to_ingest_and_shows_prices(scanned: tuple[Path, str]) -> None:
    work, db = scanned
    (work / "prices.yaml").write_text("cost: {snowflake_credit: 2.5}\n")
    result = run("cost", "--db", db, "--config", "prices.yaml", cwd=work)
    assert result.returncode == 0, result.stderr
    assert "no query history" in result.stdout and "overlay attribute" in result.stdout
    assert "snowflake_credit 2.5 USD from prices.yaml#cost" in result.stdout
    assert "bigquery_tib 6.25 USD from default" in result.stdout
    data = json.loads(run("cost", "--db", db, "--json", "--config", "prices.yaml", cwd=work).stdout)
    assert {"price": "snowflake_credit", "usd": 2.5, "source": "prices.yaml#cost"} in data["prices"]


def test_scan_without_folder_or_airflow_home_says_what_it_looked_for(tmp_path: Path) -> None:
    result = run("scan", "--db", f"sqlite:///{tmp_path / 'c.db'}", cwd=tmp_path, env={"HOME": str(tmp_path)},
                 drop=("AIRFLOW_HOME", "AIRFLOW__CORE__DAGS_FOLDER"))
    assert result.returncode == 2
    message = " ".join(result.stderr.split())
    assert "overlay scan DAG_FOLDER" in message and "AIRFLOW_HOME" in message and "AIRFLOW__CORE__DAGS_FOLDER" in message
    assert str(tmp_path / "airflow" / "airflow.cfg") in message
    assert "Airflow is installed" in message


def test_serve_on_a_port_in_use_prints_the_error_and_no_banner(scanned: tuple[Path, str]) -> None:
    work, db = scanned
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        result = run("serve", "--port", str(port), "--db", db, cwd=work)
    assert result.returncode == 1
    assert "API on" not in result.stdout and f"cannot serve on 127.0.0.1:{port}" in result.stderr
    assert "Traceback" not in result.stderr


def test_owners_and_assets_agree_and_a_dags_named_owner_is_findable(scanned: tuple[Path, str]) -> None:
    work, db = scanned
    maria = json.loads(run("assets", "--owner", "maria", "--json", "--db", db, cwd=work).stdout)
    assert [a["key"] for a in maria["items"]] == ["warehouse:tempo.growth.trial_metrics_weekly", "warehouse:tempo.growth.trial_starts"]
    assert maria["items"][0]["owners"] == ["@tempo/growth-data"] and maria["items"][0]["contacts"] == ["maria"]
    report = json.loads(run("owners", "--json", "--db", db, cwd=work).stdout)
    listing = json.loads(run("assets", "--json", "--limit", "1000", "--db", db, cwd=work).stdout)["items"]
    no_owner = {a["key"] for a in listing if not a["owners"]}
    assert no_owner == set(report["unowned"]) | set(report["sources"])
    assert "warehouse:tempo.legacy.orders" in report["sources"]
    human = run("owners", "--db", db, cwd=work).stdout
    assert f"sources (read, written by no scanned task, so no owner to infer): {len(report['sources'])}" in human


def test_who_dag_and_task_commands(scanned: tuple[Path, str]) -> None:
    work, db = scanned
    who = run("who", "trial_metrics_weekly", "--db", db, cwd=work)
    assert who.returncode == 0, who.stderr
    assert "team: @tempo/growth-data" in who.stdout and "contact: maria <mailto:maria@tempo.fm>" in who.stdout
    dag = run("dag", "growth_trial_metrics", "--db", db, cwd=work)
    assert dag.returncode == 0, dag.stderr
    assert "sample_dags/growth/trial_metrics.py" in dag.stdout and "contact: maria" in dag.stdout
    data = json.loads(run("dag", "finance_revenue", "--json", "--db", db, cwd=work).stdout)
    order = [t["task_id"] for t in data["tasks"]]
    assert order.index("build_daily_revenue") < order.index("build_okr_dashboard")
    assert {"dag_id": "growth_trial_metrics", "assets": ["warehouse:tempo.growth.trial_metrics_weekly"]} in data["upstream_dags"]
    task = run("task", "finance_revenue.build_okr_dashboard", "--db", db, cwd=work)
    assert task.returncode == 0, task.stderr
    assert "writes: warehouse:tempo.finance.okr_dashboard" in task.stdout and "SQL 1:" in task.stdout
    assert "runs: 0 recorded" in task.stdout and "team: @tempo/data-platform" in task.stdout and "contact: finance-data" in task.stdout
    missing = run("dag", "no_such_dag", "--json", "--db", db, cwd=work)
    assert missing.returncode == 1 and "growth_trial_metrics" in json.loads(missing.stdout)["hint"]
    assert run("task", "finance_revenue.nope", "--db", db, cwd=work).returncode == 1


def test_a_static_scan_after_an_auto_scan_does_not_reuse_import_results(sample_dags: Path, tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'modes.db'}"
    assert run("scan", str(sample_dags), "--db", db, cwd=tmp_path).returncode == 0
    static = json.loads(run("scan", str(sample_dags), "--mode", "static", "--db", db, "--json", cwd=tmp_path).stdout)
    assert static["reused_files"] == 0
    dags = json.loads(run("export", "--format", "json", "--db", db, cwd=tmp_path).stdout)["dags"]
    assert {d["mode"] for d in dags} == {"static"}
    again = json.loads(run("scan", str(sample_dags), "--mode", "static", "--db", db, "--json", cwd=tmp_path).stdout)
    assert again["reused_files"] == again["files"]


def test_progress_in_a_terminal_quiet_in_a_pipe_and_verbose_says_what_each_stage_does(sample_dags: Path, tmp_path: Path) -> None:
    import pty

    db = f"sqlite:///{tmp_path / 'p.db'}"
    master, slave = pty.openpty()
    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
    proc = subprocess.Popen([*OVERLAY, "scan", str(sample_dags), "--mode", "static", "--db", db], cwd=tmp_path, env=env,
                            stdout=subprocess.PIPE, stderr=slave)
    os.close(slave)
    chunks = []
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    proc.wait(timeout=300)
    os.close(master)
    terminal = b"".join(chunks).decode(errors="replace")
    assert proc.returncode == 0
    assert "finding SQL and tables" in terminal and "files/s" in terminal
    piped = run("scan", str(sample_dags), "--mode", "static", "--db", db, cwd=tmp_path)
    assert "files/s" not in piped.stderr and "finding SQL" not in piped.stderr
    verbose = run("-v", "scan", str(sample_dags), "--mode", "static", "--db", f"sqlite:///{tmp_path / 'v.db'}", cwd=tmp_path)
    assert "static mode (read each file's code without running it)" in verbose.stderr
    assert "growth/trial_metrics.py: read by static; 1 DAGs, 4 tasks" in verbose.stderr
    assert "ownership: overlay.yaml rules, then CODEOWNERS, then DAG metadata" in verbose.stderr
    assert "alembic" not in verbose.stderr


def test_a_file_read_statically_after_its_import_failed_is_one_error_with_a_note(sample_dags: Path, tmp_path: Path) -> None:
    result = run("scan", str(sample_dags), "--db", f"sqlite:///{tmp_path / 'e.db'}", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "errors 7 (6 of them files whose import failed and were read statically instead)" in result.stdout
    rows = [line for line in result.stderr.splitlines() if "partner_feed.py" in line]
    assert len(rows) == 1 and "KeyError: 'TEMPO_PARTNER_CONFIG'" in rows[0] and "read statically instead" in rows[0]
    broken = [line for line in result.stderr.splitlines() if "broken_syntax.py" in line]
    assert len(broken) == 1 and "static reading failed the same way" in broken[0]


def test_lineage_prints_a_tree_and_says_when_depth_cut_it(scanned: tuple[Path, str]) -> None:
    work, db = scanned
    cut = run("lineage", "warehouse:tempo.raw.plays", "--downstream", "--depth", "1", "--db", db, cwd=work)
    assert cut.returncode == 0, cut.stderr
    lines = cut.stdout.splitlines()
    assert any("warehouse:tempo.growth.lead_features" in line and "via growth_lead_scoring.extract_features" in line for line in lines)
    assert not any("lead_scores" in line for line in lines)
    assert "cut at --depth 1" in cut.stdout
    # lead_scores and okr_dashboard are 2 hops away; campaign_performance (3 hops) is not counted as if it were the next step
    assert "2 more asset(s) one step further downstream (at depth 2, perhaps more past it)" in cut.stdout
    full = run("lineage", "warehouse:tempo.raw.plays", "--downstream", "--depth", "5", "--db", db, cwd=work)
    lines = full.stdout.splitlines()
    features = next(line for line in lines if "lead_features" in line)
    scores = next(line for line in lines if "lead_scores" in line)
    assert lines.index(scores) == lines.index(features) + 1
    assert scores.index("warehouse:") > features.index("warehouse:")  # a child, indented under its parent
    assert "cut at" not in full.stdout
    data = json.loads(run("lineage", "warehouse:tempo.raw.plays", "--downstream", "--depth", "1", "--json", "--db", db, cwd=work).stdout)
    assert data["truncated"] is True


def test_verbose_says_what_each_file_held_in_the_default_auto_mode_too(sample_dags: Path, tmp_path: Path) -> None:
    """Airflow's import replaces the root logger's handlers (bound to a captured stdout), which silenced every `-v`
    line after the first in auto mode, the default."""
    verbose = run("-v", "scan", str(sample_dags), "--db", f"sqlite:///{tmp_path / 'v.db'}", cwd=tmp_path)
    assert verbose.returncode == 0, verbose.stderr
    assert "in auto mode (import each file with Airflow" in verbose.stderr
    assert "growth/trial_metrics.py: read by import; 1 DAGs, 4 tasks" in verbose.stderr
    assert "finance/revenue.py: read by static" in verbose.stderr  # its import fails; read statically instead
    assert "ownership: overlay.yaml rules, then CODEOWNERS, then DAG metadata" in verbose.stderr
    assert "Falling back to parsing as a 'Command'" not in verbose.stderr  # sqlglot's own warnings are not overlay's stages
    assert "[info" not in verbose.stdout and "overlay:" not in verbose.stdout  # nothing of it leaks into the result


def test_the_stored_error_count_is_the_one_the_scan_summary_prints(sample_dags: Path, tmp_path: Path) -> None:
    """`overlay sources` (and the API and web UI reading it) count a file read statically after its import failed once,
    as the scan's own summary does, not once per error row."""
    db = f"sqlite:///{tmp_path / 'c.db'}"
    scan = run("scan", str(sample_dags), "--db", db, cwd=tmp_path)
    assert "errors 7 (6 of them files whose import failed" in scan.stdout
    sources = json.loads(run("sources", "--db", db, "--json", cwd=tmp_path).stdout)
    assert [s["last_scan"]["errors"] for s in sources["items"]] == [7]
