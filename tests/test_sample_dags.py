"""The main job on the sample DAG folder: full expected lineage, in every discovery mode, stored in a real catalog."""

from __future__ import annotations

import json
import os
from datetime import datetime, timezone
from pathlib import Path

import pytest

from overlay.catalog import Catalog
from overlay.catalog.queries import AmbiguousKey
from overlay.config import load_settings
from overlay.pipeline import build_catalog
from overlay.scan import scan_folders

EXPECTED = json.loads((Path(__file__).parent / "expected" / "sample_dags_lineage.json").read_text())


def _lineage(result) -> dict[str, dict]:  # noqa: ANN001
    return {f"{t.dag_id}.{t.task_id}": {"status": t.status, "reads": sorted(t.reads), "writes": sorted(t.writes)} for t in result.tasks}


def _relative(path: str, root: Path) -> str:
    return os.path.relpath(os.path.abspath(path), root)


@pytest.mark.parametrize("mode", ["static", "auto"])
def test_full_expected_lineage(sample_dags: Path, mode: str) -> None:
    result = scan_folders([str(sample_dags)], mode=mode, settings=load_settings(None, [str(sample_dags)]))
    assert _lineage(result) == EXPECTED["tasks"]


def test_static_mode_never_imports_dag_code(sample_dags: Path) -> None:
    marker = sample_dags / "imported.marker"
    (sample_dags / "platform" / "side_effect.py").write_text(
        f"from airflow.sdk import DAG\nopen({str(marker)!r}, 'w').write('ran')\nwith DAG(dag_id='side_effect'):\n    pass\n")
    result = scan_folders([str(sample_dags)], mode="static", settings=load_settings(None, [str(sample_dags)]))
    assert not marker.exists()
    assert "side_effect" in {d.dag_id for d in result.dags}


def test_broken_files_are_reported_with_line_and_the_scan_goes_on(sample_dags: Path) -> None:
    result = scan_folders([str(sample_dags)], mode="auto", settings=load_settings(None, [str(sample_dags)]))
    failed = {_relative(e.file, sample_dags) for e in result.errors if e.stage == "import" and "found by static" not in e.error}
    assert failed == set(EXPECTED["failed_imports"])
    syntax = [e for e in result.errors if e.stage == "static"]
    assert [(_relative(e.file, sample_dags), e.line) for e in syntax] == [("broken/broken_syntax.py", 7)]
    partner = next(e for e in result.errors if e.file.endswith("partner_feed.py") and e.stage == "import" and "KeyError" in e.error)
    assert partner.line == 12
    assert "platform_partner_feed" in {d.dag_id for d in result.dags}  # found statically after the import failed


def test_airflowignore_excludes_helpers(sample_dags: Path) -> None:
    result = scan_folders([str(sample_dags)], mode="static")
    assert not any("lib/" in f.path for f in result.files)


def test_dag_metadata(sample_dags: Path) -> None:
    result = scan_folders([str(sample_dags)], mode="static", settings=load_settings(None, [str(sample_dags)]))
    dags = {d.dag_id: d for d in result.dags}
    assert dags["growth_trial_metrics"].owners == ["maria"]
    assert dags["growth_trial_metrics"].tags == ["team:growth", "dashboard:trials"]
    assert dags["growth_trial_metrics"].owner_links == {"maria": "mailto:maria@tempo.fm"}
    assert dags["growth_marketing_dashboard"].schedule == "0 6 * * *"
    assert set(dags) >= {"content_sync_artists", "content_sync_tracks"}  # factory called twice
    trial = {t.task_id: t for t in dags["growth_trial_metrics"].tasks}
    assert trial["build_trial_metrics_weekly"].upstream == ["build_trial_starts"]
    marketing = {t.task_id: t for t in dags["growth_marketing_dashboard"].tasks}
    assert marketing["end"].upstream == ["refresh_marketing_funnel"]


def test_catalog_answers_which_orders_table(sample_dags: Path, db_url: str) -> None:
    catalog = Catalog.open(db_url)
    settings = load_settings(None, [str(sample_dags)])
    outcome = build_catalog(catalog, [str(sample_dags)], "static", settings, datetime.now(timezone.utc))
    assert outcome.summary.tasks == len(EXPECTED["tasks"])
    with pytest.raises(AmbiguousKey) as ambiguous:
        catalog.resolve_key("orders")
    assert ambiguous.value.candidates == ["warehouse:tempo.legacy.orders", "warehouse:tempo.raw.orders"]
    raw = catalog.asset(catalog.resolve_key("raw.orders"))
    legacy = catalog.asset(catalog.resolve_key("legacy.orders"))
    assert [p["task"] for p in raw["producers"]] == ["platform_raw_commerce.copy_orders"]
    assert raw["consumer_dags"] == 2 and legacy["producers"] == []
    revenue = catalog.asset("warehouse:tempo.finance.daily_revenue")
    assert revenue["owners"] == ["finance-data@tempo.fm"] and revenue["ownership"][0]["rule"] == "overlay.yaml"
    trials = catalog.asset(catalog.resolve_key("trial_starts"))
    assert trials["owners"] == ["@tempo/growth-data"] and trials["ownership"][0]["rule"] == "CODEOWNERS"
    catalog.close()


def test_rescan_reuses_unchanged_files_and_notices_sql_file_changes(sample_dags: Path, tmp_path: Path) -> None:
    catalog = Catalog.open(f"sqlite:///{tmp_path / 'c.db'}")
    settings = load_settings(None, [str(sample_dags)])
    first = build_catalog(catalog, [str(sample_dags)], "static", settings, datetime.now(timezone.utc))
    ids_before = _asset_ids(catalog)
    second = build_catalog(catalog, [str(sample_dags)], "static", settings, datetime.now(timezone.utc))
    assert second.summary.reused_files == second.summary.files == first.summary.files
    assert _lineage(second.result) == _lineage(first.result)

    sql = sample_dags / "sql" / "growth" / "trial_metrics_weekly.sql"
    sql.write_text(sql.read_text().replace("FROM raw.plays p", "FROM raw.sessions p"))
    third = build_catalog(catalog, [str(sample_dags)], "static", settings, datetime.now(timezone.utc))
    assert third.summary.reused_files == third.summary.files - 1
    weekly = next(t for t in third.result.tasks if t.task_id == "build_trial_metrics_weekly")
    assert "warehouse:tempo.raw.sessions" in weekly.reads and "warehouse:tempo.raw.plays" not in weekly.reads
    ids_after = _asset_ids(catalog)
    assert "warehouse:tempo.raw.sessions" in ids_after
    assert all(ids_after[k] == ids_before[k] for k in ids_before if k in ids_after)  # ids survive rescans
    catalog.close()


def _asset_ids(catalog: Catalog) -> dict[str, int]:
    from sqlalchemy import text

    with catalog.engine.connect() as conn:
        return dict(conn.execute(text("SELECT key, id FROM assets")).all())


def test_a_dag_id_defined_twice_is_reported_and_kept_once(tmp_path: Path) -> None:
    (tmp_path / "twice.py").write_text(
        "from airflow.sdk import DAG\nfrom airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator\n"
        "for _ in range(1):\n    pass\n"
        "with DAG(dag_id='same'):\n    SQLExecuteQueryOperator(task_id='t', sql='INSERT INTO a SELECT 1')\n"
        "with DAG(dag_id='same'):\n    SQLExecuteQueryOperator(task_id='t', sql='INSERT INTO b SELECT 1')\n")
    (tmp_path / "zz_again.py").write_text("from airflow.sdk import DAG\nwith DAG(dag_id='same'):\n    pass\n")  # parsed after twice.py
    result = scan_folders([str(tmp_path)], mode="static")
    assert [d.dag_id for d in result.dags] == ["same"] and len(result.tasks) == 1
    messages = sorted(e.error for e in result.errors)
    assert messages[0].startswith("DAG id 'same' is already defined") and len(messages) == 2
    (tmp_path / "aa_first.py").write_text("from airflow.sdk import DAG\nwith DAG(dag_id='same'):\n    pass\n")  # now the first definition
    result = scan_folders([str(tmp_path)], mode="static")
    assert [d.file for d in result.dags] == [str(tmp_path / "aa_first.py")] and result.tasks == []  # none of twice.py's tasks remain
