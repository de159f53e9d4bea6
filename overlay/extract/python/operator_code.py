"""A repository operator class with no rule, read by its own ``execute`` (``TaskSpec.operator_code``).

Static discovery lists the method's source, what ``self`` holds after the ``__init__`` the task's arguments went
through, and the methods and functions it calls (``overlay/discover/static/operator_code.py``). The body is read
the way a python callable's is (``python.py``): database handles (``BaseHook.get_hook(self.conn_id)``, an engine a
method builds from the hook's URI), the SQL sent through them, tables written with ``to_sql``. Airflow renders the
class's ``template_fields`` before ``execute``: those attributes are rendered here too. ``context`` is the template
context's plain values. What the code builds at run time stays a reason, with the plugin file's line.
"""

from __future__ import annotations

from typing import Any

from overlay.extract.context import TaskState
from overlay.extract.python.calls import analyze_callable
from overlay.extract.python.values import OperatorSelf
from overlay.extract.python.task import data_context, reader, record_access
from overlay.extract.templates.sources import sql_source


def read_operator_code(t: TaskState) -> bool:
    """Reads the class's ``execute``; True when that found what the task touches (SQL, tables or reasons)."""
    code = t.code(t.spec.operator_code)
    if not code.get("source"):
        return False
    attributes: dict[str, Any] = {"task_id": t.spec.task_id, **(t.spec.operator_code.get("self") or {})}
    ext = tuple(code.get("template_ext") or ())
    for name in code.get("template_fields") or []:
        value = attributes.get(name)
        if isinstance(value, str) and ext and value.strip().endswith(ext) and "\n" not in value.strip():
            source = sql_source(t, value, name, ext)  # a template file, loaded and rendered as Airflow does
            if source is None:
                attributes.pop(name)
            else:
                attributes[name] = source.sql
                if source.file:
                    t.depends_on(source.file)  # a change to the file is a change to the task
        elif isinstance(value, str):
            rendered = t.render(value, f"template field `{name}`")
            if rendered is None:
                attributes.pop(name)  # rendering needed a value nobody knows: unknown, never the stand-in
            else:
                attributes[name] = rendered
    context = data_context(t)
    found = analyze_callable(code["source"], {}, code.get("scope") or {}, int(code.get("line") or 1),
                             [OperatorSelf(attributes), context], context, t.ctx.variables,
                             {"names": code.get("names") or {}, "functions": t.dag.code,
                              "handles": code.get("handles") or {}, "hook_bases": code.get("hook_bases") or {},
                              "aliases": code.get("aliases") or {}},
                             reader(t), code.get("file"), code.get("shown") or "")
    record_access(t, found, code["source"])
    return t.found_anything or bool(found.unresolved)


__all__ = ["read_operator_code"]
