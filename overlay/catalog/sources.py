"""Sources in the catalog: one Airflow deployment or DAG repository each, listed with their state, removable."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import Engine, delete, func, insert, select, update

from overlay.catalog import locks
from overlay.catalog.queries import NotFound
from overlay.catalog.schema import Asset, Dag, Materialization, Scan, Source, SourceFile, Task, TaskIO
from overlay.catalog.search_docs import refresh_assets
from overlay.catalog.shared_assets import delete_orphans, merge_assets, merged_ownership
from overlay.model import ScanResult

SOURCE_TABLES = ((Scan, "source"), (SourceFile, "source"), (Dag, "source"), (Task, "source"), (Materialization, "source_name"))


class SourceQueries:
    engine: Engine

    def sources(self) -> list[dict[str, Any]]:
        """Each source: its last scan (commit, bundle version), counts, coverage and last run sync."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(Source).order_by(Source.name)).mappings().all()
            dags = dict(conn.execute(select(Dag.source, func.count()).group_by(Dag.source)).all())
            statuses: dict[str, dict[str, int]] = {}
            for source, status, n in conn.execute(select(Task.source, Task.status, func.count()).group_by(Task.source, Task.status)):
                statuses.setdefault(source, {})[status] = n
            assets = dict(conn.execute(select(Task.source, func.count(TaskIO.asset_id.distinct())).select_from(TaskIO)
                                       .join(Task, Task.id == TaskIO.task_pk).group_by(Task.source)).all())
            last_ids = select(Scan.source, func.max(Scan.id).label("id")).where(Scan.status == "ok").group_by(Scan.source).subquery()
            scans = {r["source"]: r for r in conn.execute(select(Scan).join(last_ids, last_ids.c.id == Scan.id)).mappings()}
            runs = dict(conn.execute(select(Materialization.source_name, func.max(Materialization.end_date))
                                     .group_by(Materialization.source_name)).all())
        return [_source_dict(r, scans.get(r["name"]), dags.get(r["name"], 0), statuses.get(r["name"], {}),
                             assets.get(r["name"], 0), runs.get(r["name"])) for r in rows]

    def source(self, name: str) -> dict[str, Any]:
        for item in self.sources():
            if item["name"] == name:
                return item
        raise NotFound(f"no source {name!r} in the catalog (see `overlay sources`)")

    def source_names(self) -> list[str]:
        with self.engine.connect() as conn:
            return list(conn.execute(select(Source.name).order_by(Source.name)).scalars())

    def remove_source(self, name: str) -> dict[str, int]:
        """Delete a source's scans, files, DAGs, tasks and runs; shared assets nothing else uses go with them."""
        with self.engine.begin() as conn:
            locks.xact_lock(conn, locks.source_lock(name))
            if conn.execute(select(Source.id).where(Source.name == name)).first() is None:
                raise NotFound(f"no source {name!r} in the catalog (see `overlay sources`)")
            previous = {a for (a,) in conn.execute(select(TaskIO.asset_id).join(Task, Task.id == TaskIO.task_pk)
                                                   .where(Task.source == name).distinct())}
            counts = {}
            for model, column in ((Materialization, "source_name"), (Task, "source"), (Dag, "source"), (SourceFile, "source"),
                                  (Scan, "source")):
                counts[model.__tablename__] = conn.execute(delete(model).where(getattr(model, column) == name)).rowcount or 0
            conn.execute(delete(Source).where(Source.name == name))
            locks.xact_lock(conn, locks.ASSETS)
            merge_assets(conn, name, ScanResult(folders=[]), {}, previous)  # drops the source's ownership claims
            counts["assets"] = delete_orphans(conn, previous)
            refresh_assets(conn, previous)  # the remaining ones lose this source's tasks from their search terms
        return counts

    def record_run_sync(self, name: str, origin: str) -> None:
        with self.engine.begin() as conn:
            ensure_source(conn, name)
            conn.execute(update(Source).where(Source.name == name).values(last_run_sync_at=datetime.now(timezone.utc),
                                                                         last_run_sync_from=origin))


def ensure_source(conn: Any, name: str) -> None:
    if conn.execute(select(Source.id).where(Source.name == name)).first() is None:
        conn.execute(insert(Source.__table__).values(name=name, created_at=datetime.now(timezone.utc)))


def rename_source(conn: Any, old: str, new: str) -> None:
    """Every row of source ``old`` becomes ``new``'s (the pre-sources rows adopted by the first named scan)."""
    for model, column in SOURCE_TABLES:
        conn.execute(update(model).where(getattr(model, column) == old).values({column: new}))
    conn.execute(update(Source).where(Source.name == old).values(name=new))
    for asset_id, by_source in conn.execute(select(Asset.id, Asset.owners_by_source)).all():
        if by_source and old in by_source:
            entry = by_source.pop(old)
            by_source[new] = {**entry, "owners": [{**c, "source_name": new} for c in entry.get("owners", [])]}
            conn.execute(update(Asset).where(Asset.id == asset_id).values(owners_by_source=by_source, **merged_ownership(by_source)))


def _source_dict(row: Any, scan: Any, dags: int, statuses: dict[str, int], assets: int, last_run: Any) -> dict[str, Any]:
    from overlay.catalog.runs import as_utc

    tasks = sum(statuses.values())
    counts = dict(scan["counts"]) if scan else {}
    return {
        "name": row["name"],
        "created_at": row["created_at"],
        "last_scan": None if scan is None else {
            "id": scan["id"], "started_at": scan["started_at"], "finished_at": scan["finished_at"], "folders": scan["folders"],
            "mode": scan["mode"], "git_commit": scan["git_commit"], "bundle_version": scan["bundle_version"],
            "unchanged": bool(counts.get("unchanged")), "errors": counts.get("errors", 0), "files": counts.get("files", 0)},
        "commit": scan["git_commit"] if scan else None,
        "bundle_version": scan["bundle_version"] if scan else None,
        "counts": {"dags": dags, "tasks": tasks, "assets": assets},
        "coverage": {"tasks": tasks, **{s: statuses.get(s, 0) for s in ("resolved", "partial", "unresolved", "no_data")},
                     "resolved_share": round(statuses.get("resolved", 0) / tasks, 3) if tasks else None},
        "last_run_sync": None if row["last_run_sync_at"] is None else {"at": as_utc(row["last_run_sync_at"]), "from": row["last_run_sync_from"]},
        "last_run": as_utc(last_run),
    }
