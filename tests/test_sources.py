"""Sources: several deployments or repositories scanned into one catalog, on real SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import text

from overlay.catalog import Catalog
from overlay.catalog.errors import EmptyScanRefused
from overlay.config import load_settings
from overlay.model import TaskRun
from overlay.pipeline import build_catalog

SAMPLE = Path(__file__).resolve().parent.parent / "sample_dags"
OKR = "warehouse:tempo.finance.okr_dashboard"
TRIALS = "warehouse:tempo.growth.trial_metrics_weekly"



def scan(catalog: Catalog, folder: Path, source: str, allow_empty: bool = False):  # noqa: ANN201 - ScanOutcome
    return build_catalog(catalog, [str(folder)], "static", load_settings(None, [str(folder)]), datetime.now(timezone.utc),
                         source=source, allow_empty=allow_empty)


def _edges(catalog: Catalog) -> set[tuple[str, str, str]]:
    graph = catalog.load_graph()
    return {(a, b, data["via"]) for a, b, data in graph.edges(data=True)}


def test_two_sources_keep_each_others_tasks_and_share_lineage(db_url: str, split: dict[str, Path], tmp_path: Path) -> None:
    catalog = Catalog.open(db_url)
    scan(catalog, split["finance"], "finance")
    scan(catalog, split["growth"], "growth")
    by_source = {s["name"]: s for s in catalog.sources()}
    assert set(by_source) == {"finance", "growth"}
    assert by_source["finance"]["counts"]["dags"] == 3 and by_source["growth"]["counts"]["dags"] == 10
    assert by_source["finance"]["counts"]["tasks"] + by_source["growth"]["counts"]["tasks"] == 39
    assert {d["dag_id"] for d in catalog.dags(source="finance")} == {"finance_revenue", "finance_dbt_marts", "finance_snowflake_reporting"}

    whole = Catalog.open(f"sqlite:///{tmp_path / 'whole.db'}")
    scan(whole, split["full"], "all")
    assert _edges(catalog) == _edges(whole)  # the two sources together make the graph one scan of everything makes
    assert {a["key"] for a in catalog.assets(limit=1000)["items"]} == {a["key"] for a in whole.assets(limit=1000)["items"]}
    whole.close()

    # lineage crosses sources: the finance dashboard comes from a table a growth task writes, one node
    up = catalog.lineage(OKR, "upstream", 2)
    assert {"from": TRIALS, "to": OKR, "via": "finance_revenue.build_okr_dashboard"} in up["edges"]
    assert any(e["to"] == TRIALS and e["via"].startswith("growth_trial_metrics.") for e in up["edges"])
    detail = catalog.asset(TRIALS)
    assert [p["task"] for p in detail["producers"]] == ["growth_trial_metrics.build_trial_metrics_weekly"]
    assert "finance_revenue.build_okr_dashboard" in [c["task"] for c in detail["consumers"]]

    # a rescan of one source leaves the other's rows as they are (same ids)
    with catalog.engine.connect() as conn:
        growth_before = conn.execute(text("SELECT id, dag_id, task_id FROM tasks WHERE source = 'growth' ORDER BY id")).all()
    revenue = split["finance"] / "finance" / "revenue.py"
    revenue.write_text(revenue.read_text().replace('task_id="build_okr_dashboard"', 'task_id="build_okr_board"'))
    scan(catalog, split["finance"], "finance")
    with catalog.engine.connect() as conn:
        assert conn.execute(text("SELECT id, dag_id, task_id FROM tasks WHERE source = 'growth' ORDER BY id")).all() == growth_before
    assert [c["task"] for c in catalog.asset(OKR)["producers"]] == ["finance_revenue.build_okr_board"]
    assert catalog.dags(source="growth") and len(catalog.dags()) == 13
    catalog.close()


def test_runs_match_the_tasks_of_their_own_source(db_url: str, split: dict[str, Path]) -> None:
    catalog = Catalog.open(db_url)
    scan(catalog, split["finance"], "finance")
    scan(catalog, split["finance"], "finance-eu")  # a second deployment of the same code: same dag and task ids
    run = dict(dag_id="finance_revenue", task_id="build_okr_dashboard", run_id="scheduled__1", try_number=1, state="success",
               start_date="2026-11-30T00:00:00+00:00", end_date="2026-11-30T00:10:00+00:00", source="airflow-listener")
    assert catalog.record_runs([TaskRun(**run, source_name="finance-eu")])["materializations"] == 1
    assert catalog.record_runs([TaskRun(**run, source_name="finance-eu")])["materializations"] == 0  # idempotent
    assert catalog.record_runs([TaskRun(**run, source_name="finance")])["materializations"] == 1  # its own try, not a duplicate
    assert catalog.record_runs([TaskRun(**run, source_name="growth")]) == {"runs": 1, "materializations": 0, "unknown_tasks": 1, "no_writes": 0}
    history = catalog.materializations(OKR)
    assert sorted(m["source_name"] for m in history) == ["finance", "finance-eu"]
    assert {s["name"]: s["last_run"] is not None for s in catalog.sources()} == {"finance": True, "finance-eu": True}
    catalog.close()


def test_an_empty_scan_is_refused_unless_allowed(db_url: str, split: dict[str, Path], tmp_path: Path) -> None:
    catalog = Catalog.open(db_url)
    scan(catalog, split["finance"], "finance")
    scan(catalog, split["growth"], "growth")
    (tmp_path / "empty").mkdir()
    with pytest.raises(EmptyScanRefused) as refused:
        scan(catalog, tmp_path / "empty", "finance")
    message = str(refused.value)
    assert str(tmp_path / "empty") in message and "3 DAGs and" in message and "--allow-empty" in message
    assert len(catalog.dags(source="finance")) == 3  # unchanged
    scan(catalog, tmp_path / "empty", "finance", allow_empty=True)
    assert catalog.dags(source="finance") == [] and len(catalog.dags(source="growth")) == 10
    keys = {a["key"] for a in catalog.assets(limit=1000)["items"]}
    assert TRIALS in keys and OKR not in keys  # growth's tables stay; the finance-only dashboard went with its writer
    catalog.close()


def test_remove_a_source_and_its_orphan_assets(db_url: str, split: dict[str, Path]) -> None:
    catalog = Catalog.open(db_url)
    scan(catalog, split["finance"], "finance")
    scan(catalog, split["growth"], "growth")
    owners = catalog.asset(OKR)["ownership"]
    assert owners and all(c["source_name"] == "finance" for c in owners)
    counts = catalog.remove_source("finance")
    assert counts["dags"] == 3 and counts["assets"] > 0
    assert [s["name"] for s in catalog.sources()] == ["growth"]
    keys = {a["key"] for a in catalog.assets(limit=1000)["items"]}
    assert OKR not in keys and TRIALS in keys
    assert catalog.asset(TRIALS)["consumers"] == [] or all(c["dag_id"] != "finance_revenue" for c in catalog.asset(TRIALS)["consumers"])
    from overlay.catalog.queries import NotFound

    with pytest.raises(NotFound):
        catalog.remove_source("finance")
    catalog.close()


def test_a_catalog_from_before_sources_is_carried_forward(tmp_path: Path) -> None:
    from alembic import command
    from sqlalchemy import create_engine

    from overlay.catalog.engine import alembic_config

    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = create_engine(url)
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0004")
    engine.dispose()
    old = Catalog(create_engine(url), url)  # the 0004 schema, written as the code of that revision did
    with old.engine.begin() as conn:
        conn.execute(text("INSERT INTO scans (started_at, finished_at, folders, mode, status, counts, overlay_version) VALUES "
                          "('2026-11-01', '2026-11-01', :folders, 'static', 'ok', '{}', '0.1')"), {"folders": f'["{SAMPLE}"]'})
        conn.execute(text("INSERT INTO dags (dag_id, file, mode, owners, owner_links, tags) VALUES ('old_dag', 'x.py', 'static', '[]', '{}', '[]')"))
        conn.execute(text("INSERT INTO assets (key, namespace, name, short_name, owners, owner_conflict, columns) VALUES "
                          "('wh:a.b', 'wh', 'a.b', 'b', '[{\"owner\": \"ana\", \"rule\": \"r\", \"source\": \"s\", \"team\": null}]', 0, '[]')"))
    old.engine.dispose()
    catalog = Catalog.open(url)  # migrates 0004 -> head
    assert [s["name"] for s in catalog.sources()] == ["default"]
    assert [d["dag_id"] for d in catalog.dags(source="default")] == ["old_dag"]
    assert catalog.asset("wh:a.b")["ownership"][0]["source_name"] == "default"
    scan(catalog, SAMPLE, "tempo")  # the first named scan of the same folders adopts the old rows
    assert [s["name"] for s in catalog.sources()] == ["tempo"]
    assert "old_dag" not in {d["dag_id"] for d in catalog.dags()}
    catalog.close()


def test_sources_route_and_source_filters_over_http(split: dict[str, Path], tmp_path: Path) -> None:
    import requests

    from api_server import running
    from overlay.api import create_app

    catalog = Catalog.open(f"sqlite:///{tmp_path / 'api.db'}")
    scan(catalog, split["finance"], "finance")
    scan(catalog, split["growth"], "growth")
    with running(create_app(catalog, token="")) as url:
        sources = requests.get(f"{url}/api/v1/sources", timeout=10).json()
        assert [s["name"] for s in sources["items"]] == ["finance", "growth"]
        finance = sources["items"][0]
        assert finance["counts"]["dags"] == 3 and finance["last_scan"]["folders"] == [str(split["finance"])]
        assert finance["coverage"]["tasks"] == finance["counts"]["tasks"] and finance["last_run_sync"] is None
        dags = requests.get(f"{url}/api/v1/dags", params={"source": "finance"}, timeout=10).json()
        assert dags["total"] == 3 and {d["source"] for d in dags["items"]} == {"finance"}
        graph = requests.get(f"{url}/api/v1/graph", params={"source": "growth"}, timeout=10).json()
        assert graph["tasks"] and all(t["source"] == "growth" for t in graph["tasks"])
        assert OKR not in {a["key"] for a in graph["assets"]}
        assets = requests.get(f"{url}/api/v1/assets", params={"source": "finance", "limit": 1000}, timeout=10).json()
        assert TRIALS in {a["key"] for a in assets["items"]} and OKR in {a["key"] for a in assets["items"]}
        assert requests.get(f"{url}/api/v1/sources/nope", timeout=10).status_code == 404
    catalog.close()


def test_cli_sources_empty_folders_files_and_catalog_location(split: dict[str, Path], tmp_path: Path) -> None:
    import json
    import os
    import subprocess
    import sys

    def overlay(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "overlay.cli.main", *args], cwd=tmp_path, capture_output=True, text=True,
                              timeout=300, env={**os.environ, "COLUMNS": "200", **(env or {})})

    db = str(tmp_path / "plain-path.db")  # a file path is a SQLite catalog
    first = overlay("scan", str(split["finance"]), "--mode", "static", "--db", db)
    assert first.returncode == 0, first.stderr
    assert "as source finance" in first.stdout and f"catalog: sqlite:///{db}" in first.stdout  # default: the folder's name
    assert overlay("scan", str(split["growth"]), "--mode", "static", "--db", db, "--source", "growth-eu").returncode == 0
    listed = json.loads(overlay("sources", "--json", "--db", db).stdout)
    assert [s["name"] for s in listed["items"]] == ["finance", "growth-eu"]
    assert "growth-eu" in overlay("sources", "list", "--db", db).stdout

    (tmp_path / "typo").mkdir()
    refused = overlay("scan", str(tmp_path / "typo"), "--db", db, "--source", "finance")
    assert refused.returncode == 1 and "refusing to empty source 'finance'" in refused.stderr and "3 DAGs" in refused.stderr
    not_a_folder = overlay("scan", str(split["finance"] / "finance" / "revenue.py"), "--db", db)
    assert not_a_folder.returncode == 2 and "is a file, not a folder" in not_a_folder.stderr

    removed = overlay("sources", "remove", "growth-eu", "--db", db)
    assert removed.returncode == 0 and "removed source" in removed.stdout
    assert overlay("sources", "remove", "growth-eu", "--db", db).returncode == 1

    missing = tmp_path / "never-scanned.db"
    for command in (["assets"], ["sources"], ["lineage", "x"], ["export"]):
        result = overlay(*command, "--db", str(missing))
        assert result.returncode == 2 and f"no catalog at sqlite:///{missing}: run `overlay scan` first" in result.stderr, command
    assert not missing.exists()  # and nothing was created

    home = tmp_path / "airflow_home"
    home.mkdir()
    env = {"AIRFLOW_HOME": str(home), "OVERLAY_DB": ""}
    assert overlay("scan", str(split["finance"]), "--mode", "static", env=env).returncode == 0
    assert (home / "overlay.db").exists() and not (tmp_path / "overlay.db").exists()  # $AIRFLOW_HOME/overlay.db
    (home / "airflow.cfg").write_text(f"[overlay]\ndb = {tmp_path / 'from-cfg.db'}\nsource = tempo-prod\n")
    scanned = overlay("scan", str(split["finance"]), "--mode", "static", env=env)
    assert "as source tempo-prod" in scanned.stdout and (tmp_path / "from-cfg.db").exists()
