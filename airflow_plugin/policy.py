"""Opt-in cluster policy: attach the tables overlay inferred as Airflow Assets (inlets/outlets) at parse time,
so Airflow's own asset views and asset-aware scheduling work with no change to DAG code.

Enable it in ``$AIRFLOW_HOME/config/airflow_local_settings.py``::

    from airflow_plugin.policy import task_policy  # noqa: F401

It never breaks a DAG file's parsing: any error is logged and the task is left as it was. The
catalog's task I/O is read once per process and re-read when a newer scan has been stored.
"""

from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger(__name__)
_cache: dict[str, Any] = {"scan_id": None, "io": {}}


def asset_uri(key: str) -> str:
    namespace, _, name = key.partition(":")
    return f"overlay://{namespace.replace('://', '/').replace(':', '/').strip('/')}/{name}"


def _task_io() -> dict[tuple[str, str], tuple[list[str], list[str]]]:
    from sqlalchemy import select

    from airflow_plugin.settings import catalog_url
    from overlay.catalog import Catalog
    from overlay.catalog.schema import Asset, Scan, Task, TaskIO

    catalog = Catalog.open(catalog_url())
    try:
        with catalog.engine.connect() as conn:
            scan_id = conn.execute(select(Scan.id).where(Scan.status == "ok").order_by(Scan.id.desc()).limit(1)).scalar()
            if scan_id == _cache["scan_id"]:
                return _cache["io"]
            io: dict[tuple[str, str], tuple[list[str], list[str]]] = {}
            for dag_id, task_id, mode, key in conn.execute(
                    select(Task.dag_id, Task.task_id, TaskIO.mode, Asset.key).select_from(TaskIO)
                    .join(Task, Task.id == TaskIO.task_pk).join(Asset, Asset.id == TaskIO.asset_id).order_by(Asset.key)):
                reads, writes = io.setdefault((dag_id, task_id), ([], []))
                (writes if mode == "write" else reads).append(key)
        _cache.update(scan_id=scan_id, io=io)
        return io
    finally:
        catalog.close()


def attach_assets(task: Any) -> None:
    """Add inferred reads as inlets and writes as outlets, keeping whatever the DAG already declares."""
    try:
        from airflow.sdk import Asset

        dag_id = getattr(getattr(task, "dag", None), "dag_id", None) or getattr(task, "dag_id", None)
        found = _task_io().get((dag_id, task.task_id))
        if not found:
            return
        reads, writes = found
        known_in = {getattr(a, "name", None) for a in task.inlets}
        known_out = {getattr(a, "name", None) for a in task.outlets}
        task.inlets.extend(Asset(name=k, uri=asset_uri(k), group="overlay") for k in reads if k not in known_in)
        task.outlets.extend(Asset(name=k, uri=asset_uri(k), group="overlay") for k in writes if k not in known_out)
    except Exception:
        log.warning("overlay policy skipped task %s", getattr(task, "task_id", "?"), exc_info=True)


def task_policy(task: Any) -> None:
    """Airflow's ``task_policy`` hook, for airflow_local_settings.py."""
    attach_assets(task)
