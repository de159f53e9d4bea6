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
on ``self`` is the instance's attributes. A ``@property`` runs the same way, and so does a plain method
called on the instance, ``self`` bound to it, and returns what it returns: a factory object
whose ``make_check(...)`` builds a record of SQL, a builder whose ``add_task(...)`` makes tasks. Bounded like any
function call (call depth, the file's budget); a ``@staticmethod``/``@classmethod`` or decorated method is not run.
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
        outer, self.floating = self.floating, 0
        try:
            self.run_bound(instance, owner, owner.init, node, scope)
        finally:
            floating, self.floating = self.floating, outer
        if floating:  # tasks it made without a DAG: one line for the call, not one per task
            many = floating > 1
            self.report(f"{floating} task{'s' if many else ''} made by {cls.name}() ({self.where(node.lineno)}) "
                        f"belong{'' if many else 's'} to no DAG found statically (a class that attaches its tasks later, "
                        "through its methods, is not followed)", self.at(node.lineno))
        return instance

    def call_method(self: StaticScanner, instance: ObjectRef, name: str, node: ast.Call, scope: dict[str, Any]) -> Any:
        """``instance.name(...)``: the method of its class (or a repository base) run with ``self`` bound to it."""
        found = method_owner(instance.cls, name)
        return NOT_HANDLED if found is None else self.run_bound(instance, *found, node, scope)

    def property_of(self: StaticScanner, instance: ObjectRef, name: str) -> Any:
        """``instance.name`` where the class defines it as a ``@property``: its body run with ``self`` bound."""
        found = method_owner(instance.cls, name, prop=True)
        if found is None:
            return NOT_HANDLED
        call = ast.Call(func=ast.Name(id=name, ctx=ast.Load()), args=[], keywords=[], lineno=self.site_line or 1, col_offset=0)
        return self.run_bound(instance, *found, call, {})

    def run_bound(self: StaticScanner, instance: ObjectRef, owner: ClassRef, method: ast.FunctionDef, node: ast.Call,
                  scope: dict[str, Any]) -> Any:
        """``method`` of ``owner`` called as ``node`` says, with the instance as its first argument."""
        fn = FunctionRef(method, "plain", scope=owner.scope, module=owner.module)
        call = ast.copy_location(ast.Call(func=node.func, args=[ast.Name(id=SELF, ctx=ast.Load()), *node.args],
                                          keywords=node.keywords), node)
        return self.call_function(fn, call, {**scope, SELF: instance})


def method_owner(cls: ClassRef, name: str, prop: bool = False) -> tuple[ClassRef, ast.FunctionDef] | None:
    """The undecorated ``def name(self, ...)`` (with ``prop``, the ``@property``) of ``cls`` or of the first repository
    base that has one, with its class."""
    current: ClassRef | None = cls
    for _ in range(20):
        if current is None or current.node is None:
            return None
        for stmt in current.node.body:
            if isinstance(stmt, ast.FunctionDef) and stmt.name == name:
                wanted = _is_property(stmt) if prop else not stmt.decorator_list
                return (current, stmt) if wanted and stmt.args.posonlyargs + stmt.args.args else None
        current = next((b for b in current.bases if isinstance(b, ClassRef)), None)
    return None


def set_attribute(target: ast.Attribute, value: Any, scope: dict[str, Any]) -> None:
    """``self.x = value`` (or ``obj.x = value``) on an instance the interpreter made."""
    if isinstance(target.value, ast.Name):
        instance = scope.get(target.value.id)
        if isinstance(instance, ObjectRef):
            instance.attrs[target.attr] = value


def _is_property(fn: ast.FunctionDef) -> bool:
    return any(isinstance(d, ast.Name) and d.id in ("property", "cached_property")
               or isinstance(d, ast.Attribute) and d.attr == "cached_property" for d in fn.decorator_list)
