"""Records a materialization for every finished task whose written assets the catalog knows.

It must never fail or slow a task: the write goes to one bounded background writer per process
(``airflow_plugin.writer``) that the hook waits for at most ``OVERLAY_LISTENER_TIMEOUT`` seconds
(default 2); when the catalog hangs, at most ``OVERLAY_LISTENER_QUEUE`` records (default 100) wait and
the rest are dropped, counted and logged. Every error is logged, never raised.
"""

from __future__ import annotations

import logging
import os
from datetime import datetime, timezone
from typing import Any

from airflow.listeners import hookimpl

from airflow_plugin.writer import BoundedWriter, warn_unwritten_at_exit

log = logging.getLogger(__name__)


def _timeout() -> float:
    try:
        return float(os.environ.get("OVERLAY_LISTENER_TIMEOUT", "2"))
    except ValueError:
        return 2.0


def _capacity() -> int:
    try:
        return int(os.environ.get("OVERLAY_LISTENER_QUEUE", "100"))
    except ValueError:
        return 100


def _iso(value: Any) -> str | None:
    return value.isoformat() if hasattr(value, "isoformat") else (str(value) if value else None)


def task_run_of(task_instance: Any, state: str) -> Any:
    from overlay.model import TaskRun

    end = getattr(task_instance, "end_date", None) or datetime.now(timezone.utc)
    return TaskRun(dag_id=task_instance.dag_id, task_id=task_instance.task_id, run_id=task_instance.run_id,
                   try_number=int(getattr(task_instance, "try_number", 1) or 1), state=state,
                   start_date=_iso(getattr(task_instance, "start_date", None)), end_date=_iso(end), source="airflow-listener")


def _record(run: Any) -> None:
    try:
        from airflow_plugin.settings import airflow_source, catalog_url
        from overlay.catalog import Catalog

        run.source_name = airflow_source()  # runs match the tasks this deployment's scans stored
        catalog = Catalog.open(catalog_url())
        try:
            counts = catalog.record_runs([run])
        finally:
            catalog.close()
        log.info("overlay recorded %s materializations for %s.%s", counts["materializations"], run.dag_id, run.task_id)
    except Exception:
        log.warning("overlay could not record the run of %s.%s; the task is not affected", run.dag_id, run.task_id, exc_info=True)
        raise  # counted by the writer


writer = BoundedWriter(_record, _capacity(), name="overlay-listener")
warn_unwritten_at_exit(writer)


def record_in_background(task_instance: Any, state: str) -> None:
    try:
        run = task_run_of(task_instance, state)
        if writer.submit(run, _timeout()) == "waiting":
            log.warning("overlay gave up waiting for the catalog after %ss (%s more records queued); the task is not affected",
                        _timeout(), writer.pending())
    except Exception:
        log.warning("overlay listener failed; the task is not affected", exc_info=True)


@hookimpl
def on_task_instance_running(previous_state: Any, task_instance: Any) -> None:
    try:
        from airflow_plugin import tagging

        tagging.start(task_instance)
    except Exception:
        log.warning("overlay query tagging not started; the task is not affected", exc_info=True)


@hookimpl
def on_task_instance_success(previous_state: Any, task_instance: Any) -> None:
    _stop_tagging()
    record_in_background(task_instance, "success")


@hookimpl
def on_task_instance_failed(previous_state: Any, task_instance: Any, error: Any = None) -> None:
    _stop_tagging()
    record_in_background(task_instance, "failed")


def _stop_tagging() -> None:
    try:
        from airflow_plugin import tagging

        tagging.stop()
    except Exception:
        log.debug("overlay query tagging not stopped", exc_info=True)
