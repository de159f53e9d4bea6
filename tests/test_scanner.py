"""The plugin's background scanner, outside Airflow: change detection, one scanner at a time, the scan it runs."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from airflow_plugin.scanner import BackgroundScanner, folder_signature, scan_lock
from overlay.catalog import Catalog

SAMPLE = Path(__file__).resolve().parent.parent / "sample_dags"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    target = tmp_path / "dags"
    target.mkdir()
    shutil.copy(SAMPLE / "growth" / "trial_metrics.py", target)
    shutil.copytree(SAMPLE / "sql", target / "sql")
    shutil.copy(SAMPLE / "overlay.yaml", target)
    return target


def test_a_changed_file_is_rescanned_and_an_unchanged_folder_is_not(db_url: str, folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OVERLAY_SCAN_MODE", "static")
    scanner = BackgroundScanner(str(folder), db_url, "growth-prod", every=1)
    assert scanner.tick() is True
    assert scanner.tick() is False  # nothing changed: not even a scan subprocess
    catalog = Catalog.open(db_url, create=False)
    assert [d["dag_id"] for d in catalog.dags(source="growth-prod")] == ["growth_trial_metrics"]
    dag = folder / "trial_metrics.py"
    dag.write_text(dag.read_text().replace('dag_id="growth_trial_metrics"', 'dag_id="growth_trials_v2"'))
    assert scanner.tick() is True
    assert [d["dag_id"] for d in catalog.dags(source="growth-prod")] == ["growth_trials_v2"]
    (scanned,) = catalog.sources()
    assert scanned["name"] == "growth-prod" and scanned["last_scan"]["folders"] == [str(folder)]
    catalog.close()


def test_only_one_process_scans_at_a_time(db_url: str, folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OVERLAY_SCAN_MODE", "static")
    Catalog.open(db_url).close()
    with scan_lock(db_url, "growth-prod") as first:
        assert first is True
        with scan_lock(db_url, "growth-prod") as second:  # another API server (a separate lock handle or session)
            assert second is False
        other = BackgroundScanner(str(folder), db_url, "growth-prod", every=1)
        assert other.tick() is False and other.last_signature is None  # skipped: it retries on its next round
    assert other.tick() is True


def test_signature_sees_edits_and_new_files_but_not_caches(folder: Path) -> None:
    before = folder_signature(str(folder))
    (folder / "__pycache__").mkdir()
    (folder / "__pycache__" / "x.pyc").write_bytes(b"0")
    assert folder_signature(str(folder)) == before
    (folder / "new.py").write_text("x = 1\n")
    assert folder_signature(str(folder)) != before
