"""The selection grammar of `overlay lineage --select` and `/api/v1/graph?select=`, on sample_dags' graph."""

from __future__ import annotations

import pytest

from conftest import SAMPLE_DAGS
from overlay.config import load_settings
from overlay.graph import graph_from_scan
from overlay.pipeline import compute_ownership
from overlay.scan import scan_folders
from overlay.selection import SelectionContext, SelectionError, select, view


@pytest.fixture(scope="module")
def ctx() -> SelectionContext:
    settings = load_settings(None, [str(SAMPLE_DAGS)])
    result = scan_folders([str(SAMPLE_DAGS)], mode="static", settings=settings)
    owners = {k: sorted({c["owner"] for c in v["owners"]} | {c["team"] for c in v["owners"] if c.get("team")})
              for k, v in compute_ownership(result, settings).items()}
    return SelectionContext(graph_from_scan(result), owners, {d.dag_id: d.tags for d in result.dags},
                            {d.dag_id: "tempo-prod" for d in result.dags})


def names(keys: set[str]) -> set[str]:
    return {k.split(":", 1)[1] for k in keys}


def test_graph_operators(ctx: SelectionContext) -> None:
    assert names(select("okr_dashboard", ctx)) == {"tempo.finance.okr_dashboard"}
    up = names(select("+okr_dashboard", ctx))
    assert {"tempo.finance.okr_dashboard", "tempo.finance.daily_revenue", "tempo.growth.trial_metrics_weekly", "tempo.raw.orders"} <= up
    one = names(select("1+okr_dashboard", ctx))
    assert "tempo.finance.daily_revenue" in one and "tempo.raw.orders" not in one and one < up
    down = names(select("raw.plays+", ctx))
    assert "tempo.growth.trial_metrics_weekly" in down and "tempo.finance.okr_dashboard" in down
    assert "tempo.finance.okr_dashboard" not in names(select("raw.plays+1", ctx))
    assert names(select("2+trial_metrics_weekly+1", ctx)) >= {"tempo.finance.okr_dashboard", "tempo.raw.plays"}


def test_methods_and_boolean_logic(ctx: SelectionContext) -> None:
    growth = select("dag:growth_*", ctx)
    assert "warehouse:tempo.growth.lead_scores" in growth and "warehouse:tempo.finance.okr_dashboard" not in growth
    assert select("tag:dashboard:marketing", ctx) <= growth
    assert names(select("schema:raw and dag:growth_trial_metrics", ctx)) == {"tempo.raw.subscriptions", "tempo.raw.users", "tempo.raw.plays"}
    assert select("dag:growth_* and not schema:raw", ctx) == growth - select("schema:raw", ctx)
    assert select("okr_dashboard lead_scores", ctx) == select("okr_dashboard or lead_scores", ctx)
    assert select("(dag:finance_* or dag:growth_*) and schema:finance", ctx) == select("schema:finance", ctx)
    assert select("owner:finance-data", ctx)
    assert select("source:tempo-prod", ctx) == set(k for k, d in ctx.graph.nodes(data=True) if d["writers"] or d["readers"])
    assert select("+dag:finance_revenue", ctx) >= select("+okr_dashboard", ctx)  # operators apply to methods
    assert names(select("raw.pl*", ctx)) == {"tempo.raw.plays", "tempo-analytics.raw.plays"}  # warehouse and BigQuery


@pytest.mark.parametrize("bad, message", [
    ("", "empty selection"), ("(okr_dashboard", "missing ')'"), ("okr_dashboard and", "ends where"),
    ("nothing_like_this", "no asset matches"), ("okr_dashboard )", "unexpected ')'"), ("x" * 3000, "at most"),
])
def test_bad_selections_say_why(ctx: SelectionContext, bad: str, message: str) -> None:
    with pytest.raises(SelectionError, match=message.replace("(", r"\(").replace(")", r"\)")):
        select(bad, ctx)


def test_view_groups_and_limits(ctx: SelectionContext) -> None:
    keys = select("+okr_dashboard", ctx)
    flat = view(ctx, keys)
    assert flat["selected"] == len(keys) == len(flat["nodes"]) and flat["edges"]
    assert all(e["from"] in keys and e["to"] in keys for e in flat["edges"])
    grouped = view(ctx, keys, "dag")
    groups = {n["id"]: n for n in grouped["nodes"]}
    assert "finance_revenue" in groups and groups["finance_revenue"]["count"] >= 2
    assert any(e["from"] == "growth_trial_metrics" and e["to"] == "finance_revenue" for e in grouped["edges"])
    assert {n["id"] for n in view(ctx, keys, "schema")["nodes"]} >= {"warehouse:tempo.finance", "warehouse:tempo.raw"}
    capped = view(ctx, keys, limit=2)
    assert capped["truncated"] and len(capped["nodes"]) == 2 and capped["edges"] == []
    with pytest.raises(SelectionError):
        view(ctx, keys, "colour")


def test_lineage_select_through_the_cli(tmp_path) -> None:  # noqa: ANN001
    import json
    import subprocess
    import sys

    db = f"sqlite:///{tmp_path / 'c.db'}"
    overlay = [sys.executable, "-m", "overlay.cli.main"]
    subprocess.run([*overlay, "scan", str(SAMPLE_DAGS), "--db", db], capture_output=True, timeout=300, cwd=tmp_path)
    run = subprocess.run([*overlay, "lineage", "--select", "+okr_dashboard and not schema:staging", "--group-by", "dag",
                          "--db", db, "--json"], capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    answer = json.loads(run.stdout)
    assert answer["group_by"] == "dag" and {"finance_revenue", "growth_trial_metrics"} <= {n["id"] for n in answer["nodes"]}
    bad = subprocess.run([*overlay, "lineage", "--select", "dag:", "--db", db], capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert bad.returncode == 2 and "no asset matches 'dag:'" in bad.stderr
