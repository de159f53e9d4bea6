"""``overlay export --format html OUT/``: sample_dags' catalog as a static site whose answers are the live API's,
the refusals (a folder that is not an export), re-exporting over an export, and an empty catalog."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import requests

from api_server import running
from overlay.api import create_app
from overlay.catalog import Catalog
from overlay.config import load_settings
from overlay.model import TaskRun
from overlay.pipeline import build_catalog

OVERLAY = [sys.executable, "-m", "overlay.cli.main"]
SAMPLE = Path(__file__).resolve().parent.parent / "sample_dags"
HISTORY = Path(__file__).resolve().parent / "fixtures" / "history"
PREFIX = "window.OVERLAY_STATIC = "


def export(out: Path, db: str) -> subprocess.CompletedProcess:
    return subprocess.run([*OVERLAY, "export", "--format", "html", str(out), "--db", db], capture_output=True, text=True,
                          timeout=300, env={**os.environ, "COLUMNS": "200"})


def read_data(out: Path) -> dict:
    text = (out / "data" / "catalog.js").read_text(encoding="utf-8")
    assert text.startswith(PREFIX) and text.endswith(";\n")
    return json.loads(text[len(PREFIX):-2])


@pytest.fixture(scope="module")
def sample_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    from overlay.attribution.attribute import CostModel
    from overlay.attribution.history import read_history

    url = f"sqlite:///{tmp_path_factory.mktemp('site') / 'catalog.db'}"
    catalog = Catalog.open(url)
    now = datetime.now(timezone.utc)
    build_catalog(catalog, [str(SAMPLE)], "static", load_settings(None, [str(SAMPLE)]), now)
    catalog.ingest_queries(read_history(HISTORY / "bigquery_jobs.jsonl", "bigquery"), CostModel())
    catalog.record_runs([TaskRun("finance_revenue", "build_daily_revenue", "r1", 1, "success", (now - timedelta(hours=2)).isoformat(),
                                 (now - timedelta(hours=1)).isoformat())])
    catalog.close()
    return url


@pytest.fixture(scope="module")
def site(sample_db: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("out") / "site"
    result = export(out, sample_db)
    assert result.returncode == 0, result.stderr
    assert "39 assets, 13 DAGs, 39 tasks" in result.stdout
    return out


def test_the_site_is_the_bundle_in_static_mode_with_its_data(site: Path) -> None:
    from overlay.ui import dist_dir

    html = (site / "index.html").read_text()
    assert '<script id="overlay-config" type="application/json">{"mode": "static"}</script>' in html
    assert '<script src="./data/catalog.js"></script>' in html  # a classic script: read under file:// too
    bundle = {p.relative_to(dist_dir()).as_posix() for p in dist_dir().rglob("*") if p.is_file()} - {"index.html"}
    assert bundle and all((site / name).read_bytes() == (dist_dir() / name).read_bytes() for name in bundle)
    marker = json.loads((site / "overlay-export.json").read_text())
    assert set(marker["files"]) == bundle | {"index.html", "data/catalog.js"}
    assert "http://" not in html and "https://" not in html  # nothing from outside


def test_every_page_answer_is_the_live_apis(site: Path, sample_db: str) -> None:
    data = read_data(site)
    responses = data["responses"]
    assert len(data["assets"]) == 39 and data["graph"]["total"] == 39 and len(data["graph"]["assets"]) == 39
    assert datetime.fromisoformat(data["generated_at"]).tzinfo is not None
    okr = "warehouse%3Atempo.finance.okr_dashboard"  # ids as the UI writes them in paths (encodeURIComponent)
    for path in (f"/api/v1/assets/{okr}", f"/api/v1/assets/{okr}/materializations", f"/api/v1/assets/{okr}/cost",
                 f"/api/v1/who/{okr}", "/api/v1/dags/finance_revenue", "/api/v1/tasks/finance_revenue/build_okr_dashboard",
                 "/api/v1/summary", "/api/v1/owners", "/api/v1/stale", "/api/v1/cost", "/api/v1/cost?by=dag", "/api/v1/coverage",
                 "/api/v1/sources", "/api/v1/dags"):
        assert path in responses, path
    tasks = [k for k in responses if k.startswith("/api/v1/tasks/")]
    assert len(tasks) == 39  # those touching no table too
    assert len([k for k in responses if k.startswith("/api/v1/dags/")]) == 13
    catalog = Catalog.open(sample_db)
    try:
        with running(create_app(catalog, token="")) as url:
            for path in (f"/api/v1/assets/{okr}", "/api/v1/dags/finance_revenue", "/api/v1/coverage", "/api/v1/cost?by=dag",
                         "/api/v1/tasks/growth_lead_scoring/export_segment", "/api/v1/assets/bigquery%3Atempo-analytics.content.artist_daily_stats/cost"):
                assert responses[path] == requests.get(url + path, timeout=30).json(), path
            live_summary = requests.get(url + "/api/v1/summary", timeout=30).json()
            live_graph = requests.get(url + "/api/v1/graph", params={"limit": 5000}, timeout=30).json()
            live_assets = requests.get(url + "/api/v1/assets", params={"limit": 1000}, timeout=30).json()["items"]
    finally:
        catalog.close()
    assert responses["/api/v1/summary"]["counts"] == live_summary["counts"]
    assert responses["/api/v1/summary"]["recently_changed"][0]["key"] == "warehouse:tempo.finance.daily_revenue"
    assert data["assets"] == live_assets
    assert {k: v for k, v in data["graph"].items() if k != "limit"} == {k: v for k, v in live_graph.items() if k != "limit"}
    assert responses["/api/v1/dags"]["total"] == 13 and len(responses["/api/v1/dags"]["items"]) == 13


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed: the data script is checked as JSON only")
def test_the_data_script_runs_as_javascript(site: Path) -> None:
    script = ("global.window = {}; require(process.argv[1]); const d = window.OVERLAY_STATIC;"
              "console.log(JSON.stringify([d.assets.length, Object.keys(d.responses).length, d.graph.edges.length]))")
    result = subprocess.run(["node", "-e", script, str(site / "data" / "catalog.js")], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    data = read_data(site)
    assert json.loads(result.stdout) == [39, len(data["responses"]), len(data["graph"]["edges"])]


def test_a_folder_that_is_not_an_export_is_refused_and_an_export_is_replaced(sample_db: str, tmp_path: Path) -> None:
    other = tmp_path / "notes"
    other.mkdir()
    (other / "todo.txt").write_text("keep me")
    refused = export(other, sample_db)
    assert refused.returncode == 2 and "is not empty and is not an earlier `overlay export --format html`" in refused.stderr
    assert sorted(p.name for p in other.iterdir()) == ["todo.txt"]
    file = tmp_path / "site.html"
    file.write_text("x")
    assert "is not a folder" in export(file, sample_db).stderr
    assert "writes a site into a folder" in subprocess.run([*OVERLAY, "export", "--format", "html", "--db", sample_db],
                                                           capture_output=True, text=True, timeout=60).stderr
    out = tmp_path / "site"
    out.mkdir()  # empty: fine
    assert export(out, sample_db).returncode == 0
    stale = out / "assets" / "index-old.js"
    stale.write_text("an older bundle's file this export did not write")
    marker = json.loads((out / "overlay-export.json").read_text())
    marker["files"].append("assets/index-old.js")
    (out / "overlay-export.json").write_text(json.dumps(marker))
    again = export(out, sample_db)
    assert again.returncode == 0, again.stderr
    assert not stale.exists() and read_data(out)["graph"]["total"] == 39  # what the earlier export wrote is replaced
    missing = export(tmp_path / "x", f"sqlite:///{tmp_path / 'none.db'}")
    assert missing.returncode == 2 and "no catalog" in missing.stderr


def test_an_empty_catalog_gives_a_site_that_says_so(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    Catalog.open(url).close()
    result = export(tmp_path / "site", url)
    assert result.returncode == 0, result.stderr
    assert "the catalog has no assets" in result.stderr
    data = read_data(tmp_path / "site")
    assert data["assets"] == [] and data["graph"]["assets"] == []
    assert data["responses"]["/api/v1/summary"]["counts"] == {"assets": 0, "dags": 0, "tasks": 0, "owners": 0, "sources": 0}
