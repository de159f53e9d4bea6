"""BigQueryInsertJobOperator: the job ``configuration`` (query, load, extract, copy).

``query.query`` is SQL (``defaultDataset`` gives its default project and dataset, ``useLegacySql``
its syntax: the jobs API's default is legacy SQL); destination, load, copy and extract tables are
direct reads and writes. ``configuration`` may also be a ``.json`` template file.
"""

from __future__ import annotations

import json
from typing import Any

from overlay.extract.operators.bqnames import table_ref
from overlay.extract.context import TaskState
from overlay.extract.operators.rules import OperatorRule
from overlay.extract.templates.sources import Target, add_source, sql_source
from overlay.extract.operators.sql import target_of

# (job section, key, access) for tables a job names
JOB_TABLES = (("query", "destinationTable", "write"), ("load", "destinationTable", "write"), ("extract", "sourceTable", "read"),
              ("copy", "sourceTable", "read"), ("copy", "sourceTables", "read"), ("copy", "destinationTable", "write"))


def insert_job(t: TaskState, rule: OperatorRule) -> None:
    config = _configuration(t, rule)
    if config is None:
        return
    target = target_of(t, rule)
    project = t.text(rule.project_arg) if rule.project_arg else None
    add_job(t, config, Target(target.conn_id, "bigquery", project, None), f"{t.operator}")
    unknown = [a for a in t.spec.unknown_args if a.split(".")[:2][-1] in ("query", "load", "extract", "copy")
               and a.startswith("configuration.")]
    for path in unknown:
        t.unresolved(f"{t.operator}: `{path}` is not known statically (line {t.spec.line})")
    if not unknown and not any(isinstance(config.get(k), dict) for k in ("query", "load", "extract", "copy")):
        t.unresolved(f"{t.operator}: configuration has no query, load, extract or copy job (line {t.spec.line})")


def add_job(t: TaskState, config: dict[str, Any], target: Target, origin: str) -> None:
    """One job configuration's SQL and tables (also used for ``BigQueryHook.insert_job`` in callables)."""
    project = target.database
    query = config.get("query") if isinstance(config.get("query"), dict) else {}
    if isinstance(query.get("query"), str):
        source = sql_source(t, query["query"], "bigquery:query", (".sql",))
        if source is not None:
            dataset = query.get("defaultDataset") if isinstance(query.get("defaultDataset"), dict) else {}
            job_target = Target(target.conn_id, "bigquery", _text(t, dataset.get("projectId")) or project,
                                _text(t, dataset.get("datasetId")))
            add_source(t, source, job_target, legacy_sql=_legacy(query.get("useLegacySql")))
    for section, key, mode in JOB_TABLES:
        part = config.get(section)
        refs = part.get(key) if isinstance(part, dict) else None
        for ref in refs if isinstance(refs, list) else [refs] if refs else []:
            name = table_ref(_rendered_ref(t, ref), project)
            if name:
                t.add_direct(name, mode, f"bigquery:{section}", target.conn_id, "bigquery")


def _configuration(t: TaskState, rule: OperatorRule) -> dict[str, Any] | None:
    if t.is_unknown("configuration"):
        t.unresolved(f"{t.operator} configuration is computed at run time (line {t.spec.line})")
        return None
    config = t.value("configuration")
    if isinstance(config, str) and config.strip().endswith(".json"):
        path = t.renderer.find_file(config.strip())
        if path is None:
            t.unresolved(f"{t.operator}: configuration file {config.strip()!r} not found in template_searchpath or the DAG folder")
            return None
        t.depends_on(path)
        try:
            raw = t.read_text(path)
        except OSError as e:
            t.unresolved(f"{t.operator}: configuration file {config.strip()!r}: {e.strerror}")
            return None
        text = t.render(raw, f"configuration file {path}")
        try:
            config = json.loads(text) if text is not None else None
        except ValueError as e:
            t.unresolved(f"{path}: configuration is not JSON after rendering: {e}")
            return None
    if not isinstance(config, dict):
        t.unresolved(f"{t.operator}: no configuration given (line {t.spec.line})")
        return None
    return config


def _legacy(flag: Any) -> bool:
    if isinstance(flag, str):
        return flag.strip().lower() not in ("false", "0")
    return True if flag is None else bool(flag)


def _text(t: TaskState, value: Any) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return None
    return t.render(value, "job configuration")


def _rendered_ref(t: TaskState, ref: Any) -> Any:
    if isinstance(ref, dict):
        return {k: _text(t, v) if isinstance(v, str) else v for k, v in ref.items()}
    return _text(t, ref) if isinstance(ref, str) else ref
