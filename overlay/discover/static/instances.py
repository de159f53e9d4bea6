"""Instances of a repository's own classes that are not operators: their ``__init__`` runs in the interpreter.

Teams wrap Airflow's DAG in a class of their own:

    class TeamDag:
        def __init__(self, dag_id, schedule=None, owner="data"):
            self._dag = DAG(dag_id=dag_id, schedule=schedule, default_args={"owner": owner})

        @property
        def airflow_dag(self):
            return self._dag

    pipeline = TeamDag("orders_daily", schedule="@daily")
    SQLExecuteQueryOperator(task_id="load", sql="...", dag=pipeline.airflow_dag)

Calling such a class runs its ``__init__`` (its own or a repository base's) as a function with the new instance
as ``self``, so what it creates (a DAG, tasks) is created as when Airflow imports the file, and what it stores
on ``self`` is the instance's attributes. A ``@property`` that returns one of them answers too. Bounded like any
function call (call depth, the file's budget); a method call on the instance is not run (its result is unknown).
"""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING, Any

from overlay.discover.evaluate import NOT_HANDLED
from overlay.discover.static.refs import ClassRef, FunctionRef, ObjectRef

if TYPE_CHECKING:
    from overlay.discover.static.scanner import StaticScanner

SELF = "__overlay_self__"  # the instance, as the first argument of the __init__ call


class InstanceBuilder:
    """Mixed into ``StaticScanner``."""

    def make_instance(self: StaticScanner, cls: ClassRef, node: ast.Call, scope: dict[str, Any]) -> ObjectRef:
        instance = ObjectRef(cls, {})
        owner = cls.init_of()
        if owner is None or owner.init is None:
            return instance
        init = FunctionRef(owner.init, "plain", scope=owner.scope, module=owner.module)
        call = ast.copy_location(ast.Call(func=node.func, args=[ast.Name(id=SELF, ctx=ast.Load()), *node.args],
                                          keywords=node.keywords), node)
        outer, self.floating = self.floating, 0
        try:
            self.call_function(init, call, {**scope, SELF: instance})
        finally:
            floating, self.floating = self.floating, outer
        if floating:  # tasks it made without a DAG: one line for the call, not one per task
            many = floating > 1
            self.report(f"{floating} task{'s' if many else ''} made by {cls.name}() ({self.where(node.lineno)}) "
                        f"belong{'' if many else 's'} to no DAG found statically (a class that attaches its tasks later, "
                        "through its methods, is not followed)", self.at(node.lineno))
        return instance


def set_attribute(target: ast.Attribute, value: Any, scope: dict[str, Any]) -> None:
    """``self.x = value`` (or ``obj.x = value``) on an instance the interpreter made."""
    if isinstance(target.value, ast.Name):
        instance = scope.get(target.value.id)
        if isinstance(instance, ObjectRef):
            instance.attrs[target.attr] = value


def property_value(instance: ObjectRef, name: str) -> Any:
    """A ``@property`` of the instance's class whose body returns one of its attributes (``return self._dag``)."""
    cls: ClassRef | None = instance.cls
    for _ in range(20):  # the class, then its repository bases
        if cls is None or cls.node is None:
            return NOT_HANDLED
        for stmt in cls.node.body:
            if isinstance(stmt, ast.FunctionDef) and stmt.name == name and _is_property(stmt):
                body = [s for s in stmt.body if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))]
                if len(body) == 1 and isinstance(body[0], ast.Return) and isinstance(body[0].value, ast.Attribute) \
                        and isinstance(body[0].value.value, ast.Name) and body[0].value.value.id == "self" \
                        and body[0].value.attr in instance.attrs:
                    return instance.attrs[body[0].value.attr]
                return NOT_HANDLED
        cls = next((b for b in cls.bases if isinstance(b, ClassRef)), None)
    return NOT_HANDLED


def _is_property(fn: ast.FunctionDef) -> bool:
    return any(isinstance(d, ast.Name) and d.id in ("property", "cached_property")
               or isinstance(d, ast.Attribute) and d.attr == "cached_property" for d in fn.decorator_list)
