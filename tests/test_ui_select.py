"""The static export's selection (ui/src/graph/select.ts) gives the answers overlay/selection.py gives, on sample_dags.

Python evaluates each expression over a freshly scanned catalog (keys, and the flat or grouped view); the JS test
(ui/src/graph/select.test.ts, run by vitest through node) evaluates the same expressions over that catalog's
GET /api/v1/graph body and must agree on every one. Needs node and ui/node_modules (`cd ui && npm ci`).
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from overlay.catalog import Catalog
from overlay.catalog.select import selection_context
from overlay.config import load_settings
from overlay.pipeline import build_catalog
from overlay.selection import SelectionError, select, view

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_DAGS = ROOT / "sample_dags"
UI = ROOT / "ui"
VITEST = UI / "node_modules" / ".bin" / "vitest"
EXPRESSIONS = [
    "okr_dashboard", "+okr_dashboard", "1+okr_dashboard", "raw.plays+", "raw.plays+1", "2+trial_metrics_weekly+1",
    "dag:growth_*", "tag:dashboard:marketing", "schema:raw and dag:growth_trial_metrics", "dag:growth_* and not schema:raw",
    "okr_dashboard lead_scores", "(dag:finance_* or dag:growth_*) and schema:finance", "owner:finance-data", "owner:*growth*",
    "source:tempo-prod", "+dag:finance_revenue", "raw.pl*", "not schema:raw", "*", "+okr_dashboard and not schema:staging",
    "tag:team:*", "schema:tempo.finance", "0+okr_dashboard+0",
]
BAD = ["", "(okr_dashboard", "okr_dashboard and", "nothing_like_this", "okr_dashboard )", "dag:", "a+b+c"]


@pytest.fixture(scope="module")
def catalog(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    catalog = Catalog.open(f"sqlite:///{tmp_path_factory.mktemp('select') / 'catalog.db'}")
    build_catalog(catalog, [str(SAMPLE_DAGS)], "static", load_settings(None, [str(SAMPLE_DAGS)]),
                  datetime.now(timezone.utc), source="tempo-prod")
    yield catalog
    catalog.close()


def test_select_ts_agrees_with_selection_py(catalog: Catalog, tmp_path: Path) -> None:
    if not shutil.which("node") or not VITEST.exists():
        pytest.skip("node or ui/node_modules is absent: `cd ui && npm ci` to run the UI's selection against Python's")
    ctx = selection_context(catalog)
    cases = []
    for expression in EXPRESSIONS:
        keys = select(expression, ctx)
        assert keys, expression  # a case that selects nothing proves little
        for group_by in (None, "dag", "schema", "owner", "source"):
            cases.append({"expression": expression, "group_by": group_by, "keys": sorted(keys),
                          "view": view(ctx, keys, group_by)})
    for expression in BAD:
        with pytest.raises(SelectionError) as caught:
            select(expression, ctx)
        cases.append({"expression": expression, "group_by": None, "error": str(caught.value)})
    graph = catalog.graph_page(limit=1_000_000)
    (tmp_path / "graph.json").write_text(json.dumps(graph, default=str))
    (tmp_path / "cases.json").write_text(json.dumps(cases, default=str))
    env = {**os.environ, "OVERLAY_GRAPH_FIXTURE": str(tmp_path / "graph.json"), "OVERLAY_SELECT_CASES": str(tmp_path / "cases.json"),
           "NO_COLOR": "1", "CI": "1"}
    run = subprocess.run([str(VITEST), "run", "src/graph/select.test.ts", "--reporter=dot"], cwd=UI, env=env,
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    counted = re.search(r"Tests\s+(\d+) passed", re.sub(r"\x1b\[[0-9;]*m", "", run.stdout))
    assert counted and int(counted.group(1)) >= len(cases), run.stdout[-2000:]  # every Python case ran in node
