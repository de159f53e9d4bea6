"""Query tags at run time, with no DAG change: every statement a SQL operator or hook sends through Airflow's
``DbApiHook`` carries a sqlcommenter comment naming the task; Snowflake sessions also get a QUERY_TAG and
BigQuery jobs get labels. On by default with the plugin; ``OVERLAY_QUERY_TAGS=off`` (or ``query_tags: false``
in the DAG folder's overlay.yaml) switches it off. A tagging failure never fails a query: the statement
then runs as written. With parameters, the comment is escaped for the driver's paramstyle (``safe_tags``), or
left out (logged once per reason) when it cannot be made safe.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from contextvars import ContextVar
from functools import lru_cache
from typing import Any

from airflow_plugin.safe_tags import tag_statement
from overlay.attribution.tags import bigquery_labels

log = logging.getLogger(__name__)
current_tags: ContextVar[dict[str, str] | None] = ContextVar("overlay_query_tags", default=None)
_installed: list[bool] = []
_logged: set[str] = set()


@lru_cache(maxsize=1)
def enabled() -> bool:
    if os.environ.get("OVERLAY_QUERY_TAGS", "").strip().lower() in ("0", "off", "false", "no"):
        return False
    try:
        import yaml

        from overlay.airflow_config import airflow_setting

        folder = airflow_setting("core", "dags_folder")
        path = os.path.join(folder, "overlay.yaml") if folder else None
        if path and os.path.isfile(path):
            with open(path, encoding="utf-8") as f:
                return (yaml.safe_load(f) or {}).get("query_tags", True) is not False
    except Exception:
        log.debug("overlay.yaml not readable for query_tags; tagging stays on", exc_info=True)
    return True


def tags_of(task_instance: Any) -> dict[str, str]:
    return {"dag_id": str(task_instance.dag_id), "task_id": str(task_instance.task_id), "run_id": str(task_instance.run_id),
            "try_number": str(getattr(task_instance, "try_number", 1) or 1)}


def start(task_instance: Any) -> None:
    """Called when a task starts running in its process: later statements carry its tags."""
    if not enabled():
        return
    tags = tags_of(task_instance)
    current_tags.set(tags)
    install()
    task = getattr(task_instance, "task", None)
    configuration = getattr(task, "configuration", None)
    if isinstance(configuration, dict) and "query" in configuration:  # BigQueryInsertJobOperator
        configuration.setdefault("labels", {}).update(bigquery_labels(tags))
    labels = getattr(task, "labels", None)  # legacy BigQueryExecuteQueryOperator
    if isinstance(labels, dict):
        labels.update(bigquery_labels(tags))


def stop() -> None:
    current_tags.set(None)


def install() -> None:
    """Wrap DbApiHook._run_command once per process (it runs every statement of hook.run/get_records/operators)."""
    if _installed:
        return
    try:
        from airflow.providers.common.sql.hooks.sql import DbApiHook
    except ImportError:
        return
    original = DbApiHook._run_command

    def _run_command(self: Any, cur: Any, sql_statement: Any, parameters: Any) -> Any:
        tags = current_tags.get()
        if tags and isinstance(sql_statement, str):
            try:
                _snowflake_query_tag(self, cur, tags)
                sql_statement = tagged_statement(cur, sql_statement, tags, parameters)
            except Exception:
                log.debug("overlay could not tag a statement; it runs as written", exc_info=True)
        return original(self, cur, sql_statement, parameters)

    DbApiHook._run_command = _run_command
    _installed.append(True)


def tagged_statement(cur: Any, sql: str, tags: dict[str, str], parameters: Any) -> str:
    """The statement to send: tagged when that is safe for the driver, else as written (logged once per reason)."""
    driver, paramstyle = paramstyle_of(cur)
    result = tag_statement(sql, tags, paramstyle, _given(parameters), driver)
    if result.reason and result.reason not in _logged:
        _logged.add(result.reason)
        log.warning("overlay left a statement untagged (%s); it runs as written. Further ones are not logged", result.reason)
    return result.sql


def _given(parameters: Any) -> bool:
    """Whether the driver will interpolate: DbApiHook passes parameters on only when they are truthy."""
    try:
        return bool(parameters)
    except Exception:  # e.g. an array whose truth is ambiguous: assume given
        return True


def paramstyle_of(cur: Any) -> tuple[str | None, str | None]:
    """(driver module, DB-API paramstyle) behind a cursor: the connection's own style, else its module's (PEP 249)."""
    parts = type(cur).__module__.split(".")
    driver, style = None, None
    for end in range(len(parts), 0, -1):
        value = getattr(sys.modules.get(".".join(parts[:end])), "paramstyle", None)
        if isinstance(value, str):
            driver, style = ".".join(parts[:end]), value
            break
    for holder in (getattr(cur, "connection", None), cur):
        for name in ("paramstyle", "_paramstyle"):
            value = getattr(holder, name, None)
            if isinstance(value, str):
                return driver, value
    return driver, style


def _snowflake_query_tag(hook: Any, cur: Any, tags: dict[str, str]) -> None:
    if type(hook).__name__.startswith("Snowflake") and getattr(cur, "_overlay_tagged", None) != tags:
        cur.execute("ALTER SESSION SET QUERY_TAG = %(tag)s", {"tag": json.dumps(tags, sort_keys=True)})
        try:
            cur._overlay_tagged = tags
        except AttributeError:
            pass
