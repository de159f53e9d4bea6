"""A repository operator class's ``execute``, carried to extraction as source with what ``self`` holds (never run).

Teams write operators whose SQL lives in their own code, not in an argument a rule can name::

    class DropTableOperator(BaseOperator):
        def __init__(self, *, schema, table, postgres_conn_id="pg", **kwargs):
            super().__init__(**kwargs)
            self.postgres_conn_id, self.schema, self.table = postgres_conn_id, schema, table
            self.statement = f"DROP TABLE IF EXISTS {self.schema}.{self.table}"

        def execute(self, context):
            hook = BaseHook.get_hook(self.postgres_conn_id)
            with self.engine(hook).connect() as conn:
                conn.execute(self.statement)

Static discovery already reads the ``__init__`` a task's arguments go through (``inits.py``). For a class with no
rule of its own whose code reaches a database (the effect analysis), it lists: ``execute``'s source, file and first
line, the module constants it uses, the instance's attributes as that ``__init__`` leaves them (class attributes
under them), the class's ``template_fields`` (Airflow renders those before ``execute``), and the methods and
functions ``execute`` calls (``helpers.py``). An attribute an ``__init__`` sets only inside a branch or a loop is
unknown (``read_init``), never the value another path gave it. Extraction (``overlay/extract/python/operator_code.py``) reads the body as
it reads a python callable.
"""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING, Any

from overlay.discover.evaluate import Evaluator, plain
from overlay.discover.static.helpers import callable_helpers
from overlay.discover.static.inits import method_owner, read_init, usable
from overlay.discover.static.refs import ClassRef, FunctionRef, strings

if TYPE_CHECKING:
    from overlay.discover.static.scanner import StaticScanner

MAX_DEPTH = 20  # repository bases walked


def operator_code(scanner: StaticScanner, cls: ClassRef, node: ast.Call, ev: Evaluator, keywords: dict[str, Any],
                  constants: Any) -> dict[str, Any]:
    """What extraction needs to read ``cls.execute`` for the task this call makes: ``{"ref", "self", "unknown"}``,
    the method and what it calls listed once per file (``scanner.shared``); empty when there is no such method."""
    found = method_owner(cls, "execute") or method_owner(cls, "poke")  # a sensor's own code is its poke
    if found is None:
        return {}
    owner, execute = found
    module = owner.module or scanner.ctx
    shared = scanner.shared((execute, cls), f"execute:{cls.name}",
                            lambda: _listing(scanner, cls, owner, execute, module, constants))
    if not shared:
        return {}
    positional = [ev.eval(a) for a in node.args if not isinstance(a, ast.Starred)]
    attributes = _class_attributes(cls)
    attributes.update(read_init(cls, positional, keywords, scanner.budget, scanner.env).attributes)
    return {**shared, "self": {k: plain(v) for k, v in attributes.items() if usable(v)},
            "unknown": sorted(k for k, v in attributes.items() if not usable(v))}


def _listing(scanner: StaticScanner, cls: ClassRef, owner: ClassRef, execute: ast.FunctionDef, module: Any,
             constants: Any) -> dict[str, Any]:
    source = module.segment(execute)
    if not source:
        return {}
    fn = FunctionRef(execute, "plain", scope=owner.scope, module=module)
    return {"source": source, "file": module.path, "line": execute.lineno,
            "shown": scanner.repo.display(module.path) if scanner.repo else module.path,
            "scope": constants(execute, owner.scope), "template_fields": strings(cls.attr("template_fields")),
            "template_ext": strings(cls.attr("template_ext")),
            **callable_helpers(scanner, fn, constants, cls)}  # "names" it calls, "functions" listed (helpers.py)


def _mro(cls: ClassRef) -> list[ClassRef]:
    """``cls`` and its repository bases, nearest first."""
    order: list[ClassRef] = []
    queue = [cls]
    while queue and len(order) < MAX_DEPTH:
        current = queue.pop(0)
        if not any(c is current for c in order):
            order.append(current)
            queue.extend(b for b in current.bases if isinstance(b, ClassRef))
    return order


def _class_attributes(cls: ClassRef) -> dict[str, Any]:
    """Class-level values (``sql = "..."``, ``conn_id = "wh"``), a base's under its subclass's."""
    values: dict[str, Any] = {}
    for klass in reversed(_mro(cls)):
        values.update(klass.attrs)
    return values


__all__ = ["operator_code"]
