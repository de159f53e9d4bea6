"""What ``overlay lint`` looks at: a static scan of DAG folders, and the catalog's other sources, runs and cost."""

from __future__ import annotations

from datetime import timedelta
from statistics import median
from typing import Any

from overlay.config import Settings
from overlay.model import ScanResult
from overlay.review.diff import result_from_document
from overlay.review.impact import graph_rows, scan_rows, united
from overlay.review.lint import LintContext
from overlay.review.snapshot import side_owners


def context_from_folders(folders: list[str], settings: Settings, catalog: Any = None) -> LintContext:
    """Lint DAG folders read statically (never executed), with the catalog's other DAGs where given."""
    from overlay.scan import scan_folders

    result = scan_folders(folders, mode="static", settings=settings, cache=catalog.cached_payloads() if catalog else None)
    return _context(result, side_owners(result, settings), catalog)


def context_from_catalog(catalog: Any) -> LintContext:
    from overlay.export import document

    doc = document(catalog)
    owners = {a["key"]: a["owners"] for a in doc["assets"] if a["owners"]}
    return _context(result_from_document(doc), owners, catalog, include_catalog_graph=False)


def _context(result: ScanResult, owners: dict[str, list[str]], catalog: Any, include_catalog_graph: bool = True) -> LintContext:
    parts = [scan_rows(result)]
    if catalog is not None and include_catalog_graph:
        parts.append(graph_rows(catalog.load_graph(), {d.dag_id for d in result.dags}))
        owners = {a["key"]: a["owners"] for a in catalog.owners()["assets"] if a["owners"]} | owners
    from overlay.graph import task_owners

    ctx = LintContext(result, united(parts), owners, task_owners=task_owners(result))
    if catalog is not None:
        ctx.durations = _durations(catalog)
        ctx.costs = _costs(catalog)
    return ctx


def _durations(catalog: Any) -> dict[str, timedelta]:
    """DAG id -> median time from its first task's start to its last task's end, over synced runs."""
    from sqlalchemy import func, select

    from overlay.catalog.schema import Materialization

    try:
        with catalog.engine.connect() as conn:
            rows = conn.execute(select(Materialization.dag_id, Materialization.run_id, func.min(Materialization.start_date),
                                       func.max(Materialization.end_date))
                                .group_by(Materialization.dag_id, Materialization.run_id)).all()
    except Exception:  # noqa: BLE001 - no run history: no durations
        return {}
    spans: dict[str, list[float]] = {}
    for dag_id, _, start, end in rows:
        if start and end and end >= start:
            spans.setdefault(dag_id, []).append((end - start).total_seconds())
    return {dag: timedelta(seconds=median(values)) for dag, values in spans.items()}


def _costs(catalog: Any) -> dict[str, float]:
    try:
        return {row["group"]: row["cost"] for row in catalog.cost_report("asset")["groups"] if row["cost"]}
    except Exception:  # noqa: BLE001 - no query history: no cost
        return {}
