"""Run history in the catalog: materializations recorded from task runs, and freshness inputs."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import Engine, func, insert, select

from overlay.catalog.schema import Asset, AssetEdge, Materialization, Task, TaskIO
from overlay.catalog.search_docs import refresh_materialized
from overlay.freshness import AssetState
from overlay.model import TaskRun


def as_utc(value: datetime | str | None) -> datetime | None:
    """Datetimes from ISO text or the database (SQLite drops the zone), always timezone-aware UTC."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


class RunQueries:
    engine: Engine

    def record_runs(self, runs: list[TaskRun]) -> dict[str, int]:
        """One materialization per asset each run's task writes, matched to tasks of the run's source only;
        re-recording the same try changes nothing."""
        if not runs:
            return {"runs": 0, "materializations": 0, "unknown_tasks": 0, "no_writes": 0}
        now = datetime.now(timezone.utc)
        rows, unknown, no_writes = [], 0, 0
        with self.engine.begin() as conn:
            for source_name in sorted({r.source_name for r in runs}):
                batch = [r for r in runs if r.source_name == source_name]
                dag_ids = {r.dag_id for r in batch}
                writes: dict[tuple[str, str], list[int]] = {
                    (d, t): [] for d, t in conn.execute(select(Task.dag_id, Task.task_id)
                                                        .where(Task.source == source_name, Task.dag_id.in_(dag_ids)))}
                for dag_id, task_id, asset_id in conn.execute(
                        select(Task.dag_id, Task.task_id, TaskIO.asset_id).select_from(TaskIO).join(Task, Task.id == TaskIO.task_pk)
                        .where(TaskIO.mode == "write", Task.source == source_name, Task.dag_id.in_(dag_ids))):
                    writes.setdefault((dag_id, task_id), []).append(asset_id)
                existing = {tuple(r) for r in conn.execute(
                    select(Materialization.asset_id, Materialization.dag_id, Materialization.task_id, Materialization.run_id,
                           Materialization.try_number).where(Materialization.source_name == source_name, Materialization.dag_id.in_(dag_ids)))}
                for run in batch:
                    assets = writes.get((run.dag_id, run.task_id))
                    if assets is None:
                        unknown += 1
                        continue
                    if not assets:
                        no_writes += 1  # a task in the catalog that writes no table (a sensor, a notification)
                    for asset_id in assets:
                        key = (asset_id, run.dag_id, run.task_id, run.run_id, run.try_number)
                        if key in existing:
                            continue
                        existing.add(key)
                        rows.append({"asset_id": asset_id, "dag_id": run.dag_id, "task_id": run.task_id, "run_id": run.run_id,
                                     "try_number": run.try_number, "start_date": as_utc(run.start_date), "end_date": as_utc(run.end_date),
                                     "state": run.state, "source": run.source, "source_name": source_name, "recorded_at": now})
            if rows:
                conn.execute(insert(Materialization.__table__), rows)
                refresh_materialized(conn, {r["asset_id"] for r in rows})  # search ranks recently materialized assets first
        return {"runs": len(runs), "materializations": len(rows), "unknown_tasks": unknown, "no_writes": no_writes}

    def has_run_history(self) -> bool:
        with self.engine.connect() as conn:
            return conn.execute(select(Materialization.id).limit(1)).first() is not None

    def last_run_end(self, source: str, source_name: str | None = None) -> datetime | None:
        """Newest end date recorded from ``source`` (an origin such as ``airflow-api:URL``), for ``source_name`` if given."""
        query = select(func.max(Materialization.end_date)).where(Materialization.source == source)
        if source_name is not None:
            query = query.where(Materialization.source_name == source_name)
        with self.engine.connect() as conn:
            return as_utc(conn.execute(query).scalar())

    def freshness_states(self) -> dict[str, AssetState]:
        with self.engine.connect() as conn:
            assets = {row.id: AssetState(row.key, row.name) for row in conn.execute(select(Asset.id, Asset.key, Asset.name))}
            for asset_id, last in conn.execute(select(Materialization.asset_id, func.max(Materialization.end_date))
                                               .where(Materialization.state == "success").group_by(Materialization.asset_id)):
                assets[asset_id].last_success = as_utc(last)
            for asset_id, dag_id, task_id in conn.execute(select(TaskIO.asset_id, Task.dag_id, Task.task_id).select_from(TaskIO)
                                                          .join(Task, Task.id == TaskIO.task_pk).where(TaskIO.mode == "write")):
                assets[asset_id].producers.append(f"{dag_id}.{task_id}")
            for source, target in conn.execute(select(AssetEdge.from_asset, AssetEdge.to_asset).distinct()):
                if assets[source].key not in assets[target].upstream:
                    assets[target].upstream.append(assets[source].key)
            latest = _latest_runs(conn)
        for state in assets.values():
            state.last_runs = {p: latest[p] for p in state.producers if p in latest}
        return {state.key: state for state in assets.values()}


def _latest_runs(conn: Any) -> dict[str, dict[str, Any]]:
    """Latest recorded try of each task, whatever its state."""
    newest = select(Materialization.dag_id, Materialization.task_id, func.max(Materialization.end_date).label("end_date")) \
        .group_by(Materialization.dag_id, Materialization.task_id).subquery()
    rows = conn.execute(select(Materialization.dag_id, Materialization.task_id, Materialization.run_id, Materialization.try_number,
                               Materialization.state, Materialization.end_date)
                        .join(newest, (newest.c.dag_id == Materialization.dag_id) & (newest.c.task_id == Materialization.task_id)
                              & (newest.c.end_date == Materialization.end_date))).all()
    return {f"{r.dag_id}.{r.task_id}": {"run_id": r.run_id, "try_number": r.try_number, "state": r.state, "end_date": as_utc(r.end_date)}
            for r in rows}
