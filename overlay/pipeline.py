"""The main job end to end: scan folders, work out ownership, store the catalog in one transaction."""

from __future__ import annotations

import hashlib
import json
import logging
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from overlay import collector
from overlay.catalog import Catalog
from overlay.catalog.store import ScanSummary, scan_fingerprint
from overlay.config import Settings
from overlay.coverage import coverage
from overlay.model import FileError, ScanResult
from overlay.ownership import FIND_CODEOWNERS, OwnershipResolver, compute_ownership, scan_codeowners  # noqa: F401 - compute_ownership's old home
from overlay.scan import ScanProgress, scan_folders


log = logging.getLogger("overlay")
MODES = {"auto": "import each file with Airflow, read it statically when the import fails",
         "import": "import each file with Airflow", "static": "read each file's code without running it"}


@dataclass
class ScanOutcome:
    result: ScanResult
    summary: ScanSummary
    conflicts: list[str]  # assets written by tasks of different owners

    def status_counts(self) -> dict[str, int]:
        return dict(Counter(t.status for t in self.result.tasks))

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.summary.to_dict(),
            "status": self.status_counts(),
            "unresolved_tasks": [
                {"task": f"{t.dag_id}.{t.task_id}", "status": t.status, "file": t.file, "line": t.line, "errors": t.errors}
                for t in self.result.tasks if t.status in ("unresolved", "partial")
            ],
            "errors": [e.to_dict() for e in self.result.errors],
            "conflicts": self.conflicts,
            "coverage": coverage(self.result.tasks).to_dict(),
        }


def compute_holders(result: ScanResult, settings: Settings, codeowners: Any = FIND_CODEOWNERS) -> dict[str, list[dict[str, Any]]]:
    """Ownership claims of every DAG ("dag_id") and task ("dag_id.task_id"), for `overlay who`."""
    resolver = OwnershipResolver(settings, scan_codeowners(result) if codeowners is FIND_CODEOWNERS else codeowners)
    dags = {d.dag_id: d for d in result.dags}
    holders = {d.dag_id: [c.__dict__ for c in resolver.dag_claims(d)] for d in result.dags}
    for task in result.tasks:
        holders[f"{task.dag_id}.{task.task_id}"] = [c.__dict__ for c in resolver.task_claims(task, dags.get(task.dag_id))]
    return holders


def ownership_inputs(result: ScanResult, settings: Settings, codeowners: Any = FIND_CODEOWNERS) -> str:
    """Everything ownership depends on besides the scanned files: the rules and the CODEOWNERS file."""
    codeowners = scan_codeowners(result) if codeowners is FIND_CODEOWNERS else codeowners
    text = codeowners.path.read_text(encoding="utf-8", errors="replace") if codeowners else ""
    rules = [r.__dict__ for r in settings.ownership]
    return json.dumps({"rules": rules, "codeowners": str(codeowners.path) if codeowners else None,
                       "codeowners_text": hashlib.sha256(text.encode()).hexdigest()}, sort_keys=True, default=list)


def build_catalog(catalog: Catalog, folders: list[str], mode: str, settings: Settings, started_at: datetime,
                  source: str = "default", allow_empty: bool = False, bundle_version: str | None = None,
                  progress: ScanProgress | None = None) -> ScanOutcome:
    """Scan ``folders`` as ``source`` and store the result, replacing only that source's DAGs and tasks."""
    with collector.frozen():
        return _build_catalog(catalog, folders, mode, settings, started_at, source, allow_empty, bundle_version, progress)


def _build_catalog(catalog: Catalog, folders: list[str], mode: str, settings: Settings, started_at: datetime, source: str,
                   allow_empty: bool, bundle_version: str | None, progress: ScanProgress | None) -> ScanOutcome:
    log.info("scan: reading %s in %s mode (%s) as source %s", ", ".join(folders), mode, MODES.get(mode, mode), source)
    result = scan_folders(folders, mode=mode, settings=settings, cache=catalog.cached_payloads(source), progress=progress)
    collector.freeze()  # the result lives until stored: collections need not walk it
    codeowners = scan_codeowners(result)  # found and parsed once for the problems, the fingerprint and ownership
    if codeowners is not None:  # CODEOWNERS lines that could not be read: said, the rest of the file still applies
        result.errors.extend(FileError(str(codeowners.path), why, line, stage="ownership") for line, why in codeowners.problems)
    log.info("scan: %d files, %d DAGs, %d tasks, %d assets; now working out ownership and storing in %s",
             len(result.files), len(result.dags), len(result.tasks), len(result.assets), catalog.url)
    fingerprint = scan_fingerprint(result, ownership_inputs(result, settings, codeowners))
    if catalog.last_fingerprint(source) == fingerprint:
        summary = catalog.record_unchanged_scan(result, mode, started_at, fingerprint, source, bundle_version)
        if summary is not None:
            log.info("store: nothing changed since the last scan; recorded the scan, left the catalog as it was")
            return ScanOutcome(result, summary, catalog.conflicts())
    ownership = compute_ownership(result, settings, codeowners)
    log.info("ownership: overlay.yaml rules, then CODEOWNERS, then DAG metadata, for %d assets", len(ownership))
    summary = catalog.store_scan(result, mode=mode, started_at=started_at, ownership=ownership, fingerprint=fingerprint,
                                 holders=compute_holders(result, settings, codeowners), source=source, allow_empty=allow_empty,
                                 bundle_version=bundle_version)
    return ScanOutcome(result, summary, sorted(k for k, v in ownership.items() if v["conflict"]))
