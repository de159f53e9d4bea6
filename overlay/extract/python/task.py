"""PythonOperator, ``@task`` and their variants: the callable's database calls (``python.py``) as task access.

The callable is bound the way Airflow calls it: ``op_args``/``op_kwargs``/``templates_dict``
rendered (they are template fields; ``templates_exts`` files are loaded), context values for
parameters named like them. Lines in reasons are lines of the DAG file when the callable is in it.
"""

from __future__ import annotations

import datetime as dt
import os
from typing import Any, Callable

from overlay.extract.operators.bigquery import add_job
from overlay.extract.context import TaskState
from overlay.extract.python.hooks import Handle
from overlay.extract.python.calls import CallableAccess, HookSql, HookTable, analyze_callable
from overlay.extract.operators.rules import OperatorRule
from overlay.extract.templates.sources import Target, add_source, file_source, normalize_markers, scope
from overlay.extract.templates.standins import STANDIN_DATES
from overlay.extract.operators.transfers import compose
from overlay.model import SqlSource

_DATA = (str, int, float, bool, dt.date, dt.datetime, dt.timedelta, type(None))


MAX_MAPPED = 50  # mapped instances read, each with its own op_kwargs


def python_operator(t: TaskState, rule: OperatorRule) -> None:
    source = t.spec.callable_source
    if not source:
        t.unresolved(f"source of the python callable of {t.spec.task_id} is not available")
        return
    given = t.value("op_kwargs")
    # `.partial(...).expand(op_kwargs=[{...}, {...}])`: each mapped instance's keyword arguments, each read
    variants = given[:MAX_MAPPED] if isinstance(given, list) and given and all(isinstance(g, dict) for g in given) \
        else [given if isinstance(given, dict) else {}]
    op_args = _rendered(t, t.value("op_args")) if isinstance(t.value("op_args"), list) else []
    context = data_context(t)
    listing = t.code(t.spec.callable_helpers)
    origin = listing.get("origin") or {}  # the callable is in another module: its lines there
    first_line = int(origin.get("line") or 0) or _first_line(t)
    helpers = {"names": listing.get("names") or {}, "functions": t.dag.code,  # the functions are the file's table
               "handles": listing.get("handles") or {}, "hook_bases": listing.get("hook_bases") or {},
               "aliases": listing.get("aliases") or {}}
    for op_kwargs in variants:
        found = analyze_callable(source, _rendered(t, op_kwargs), t.spec.callable_scope, first_line, op_args, context,
                                 t.ctx.variables, helpers, reader(t), origin.get("file"), origin.get("shown") or "")
        record_access(t, found, source)
    if t.found_anything:
        return
    if found.opened:
        t.unresolved(f"the callable opens a database connection ({found.opened[0]}) but overlay found no SQL it runs")
        return
    reason = _reached(t.spec.callable_name or t.spec.task_id, t.spec.callable_effect, t.spec.callable_effect_ref)
    if reason:
        t.unresolved(reason)
    else:
        t.access.no_data = True


def record_access(t: TaskState, found: CallableAccess, source: str) -> None:
    """What Python code was found to send to databases, as the task's SQL, tables and jobs, in the code's order;
    its reasons as the task's."""
    _note_standin_dates(t, source, [*(i.sql for i in found.sql), *(i.table for i in found.tables),
                                    *(repr(config) for config, _handle, _line in found.jobs)])
    events: list[tuple[int, Any]] = [(i.line, i) for i in found.sql] + [(i.line, i) for i in found.tables] + \
        [(line, (config, handle)) for config, handle, line in found.jobs]
    for _line, item in sorted(events, key=lambda e: e[0]):
        if isinstance(item, HookSql):
            add_source(t, SqlSource(normalize_markers(item.sql), f"hook:{item.method}", line=item.line, file=item.file,
                                    unknown_database=item.handle.nameless), _target(item.handle))
        elif isinstance(item, HookTable):
            if not item.handle.nameless:  # a table through a connection nobody can name is not made an asset: the reason says why
                t.add_direct(_qualified(item.table, item.handle), item.mode, f"hook:{item.method}", item.handle.conn_id,
                             item.handle.dialect)
        else:
            config, handle = item
            add_job(t, config, Target(handle.conn_id, "bigquery", handle.database, None), "hook:insert_job")
    for reason in found.unresolved:
        t.unresolved(reason)
    t.code_standins.update(found.standins)
    if found.read:  # shown by --explain and the task's report
        more = f" and {len(found.read) - 5} more" if len(found.read) > 5 else ""
        t.note(f"read the repository code it calls: {', '.join(found.read[:5])}{more}")


def reader(t: TaskState) -> Callable[[str], str | None]:
    """The text of a file the callable opens: an absolute path inside the repository (a deployment path remapped
    into it, as template paths are), read through the scan's policy and counted as the task's input."""
    def read(path: str) -> str | None:
        if not os.path.isabs(path):
            return None  # relative to the worker's working folder at run time: not known
        located = t.renderer.policy.locate(path)
        if located is None:
            return None
        try:
            text = t.read_text(located.path)
        except OSError:  # ReadRefused included
            return None
        if located.remap:
            t.note(located.remap)
        t.depends_on(located.path)
        return text
    return read


def _reached(name: str, effect: str | None, ref: str | None) -> str | None:
    """Why a callable with no database call of its own is not "no data": static mode's effect analysis found that
    the code it calls (repository helpers, libraries) reaches tables or commands, or something no rule knows."""
    if effect in ("table", "command"):
        return (f"the callable {name} {ref or 'reaches tables'} in code it calls; overlay found no SQL it runs "
                "(declare the task's tables under `operators:` in overlay.yaml, or name them in the callable)")
    if effect == "unknown":
        return f"the callable {name} calls {ref or 'code'} whose data access is not known"
    return None


def _note_standin_dates(t: TaskState, source: str, texts: list[str]) -> None:
    """The context's dates (``ds``, ``ts``...) are stand-ins: SQL or a table name the callable builds from one
    (``f"x_{ds.replace('-', '_')}"``) holds the stand-in, and resolving refuses a table named after it."""
    for date in STANDIN_DATES:
        if date not in source and any(date in text for text in texts):
            t.renderer.standins.setdefault(date, ())


def _target(handle: Handle) -> Target:
    return Target(handle.conn_id, handle.dialect, handle.database, handle.schema)


def _qualified(table: str, handle: Handle) -> str:
    """A bare table name written through a handle opened on a database/schema gets them."""
    if handle.dialect == "bigquery" or table.count(".") >= 2:
        return table
    database, schema = scope(handle.dialect, handle.database, handle.schema)
    parts = table.split(".")
    if len(parts) == 1:
        return compose([database, schema, table]) if schema else table
    return compose([database, table]) if database else table


def data_context(t: TaskState) -> dict[str, Any]:
    """The template context's plain values (dates, ids, params, templates_dict) for the callable's parameters."""
    full = t.renderer.context(t.params(), t.spec.task_id)
    context = {k: v for k, v in full.items() if isinstance(v, _DATA)}
    context["params"] = dict(full["params"])
    templates = t.value("templates_dict")
    if isinstance(templates, dict):
        exts = tuple(e for e in (t.value("templates_exts") or []) if isinstance(e, str))
        context["templates_dict"] = {k: _template_value(t, v, exts) for k, v in templates.items()}
    return context


def _template_value(t: TaskState, value: Any, exts: tuple[str, ...]) -> Any:
    if isinstance(value, str) and exts and value.strip().endswith(exts):
        path = t.renderer.find_file(value.strip())
        if path is None:
            return value
        t.depends_on(path)
        source = file_source(t, path, f"templates_dict:{value.strip()}")
        return source.sql if source is not None else value
    return _rendered(t, value)


def _rendered(t: TaskState, value: Any) -> Any:
    """op_args/op_kwargs/templates_dict are template fields: their strings are rendered, recursively."""
    if isinstance(value, str):
        rendered = t.render(value, "python callable argument")
        return rendered if rendered is not None else value
    if isinstance(value, list):
        return [_rendered(t, v) for v in value]
    if isinstance(value, dict):
        return {k: _rendered(t, v) for k, v in value.items()}
    return value


def _first_line(t: TaskState) -> int:
    """Line of the DAG file where the callable's source starts (the task's line when it is elsewhere)."""
    source = t.spec.callable_source or ""
    try:
        text = t.read_text(t.spec.file)
    except OSError:
        return t.spec.line or 1
    at = text.find(source) if source.strip() else -1
    if at >= 0:
        return text.count("\n", 0, at) + 1
    name = t.spec.callable_name
    if name:
        for offset, line in enumerate(source.splitlines()):
            if line.strip().startswith((f"def {name}(", f"async def {name}(")):
                for number, file_line in enumerate(text.splitlines(), start=1):
                    if file_line.strip() == line.strip():
                        return number - offset
    return t.spec.line or 1

