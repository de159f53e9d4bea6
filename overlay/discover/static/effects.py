"""Effect analysis: whether the code of a repository operator class can touch a table, read, never run.

A team's own operator (``class SODAToGCSOperator(BaseOperator)`` in ``plugins/``) has no registry rule. What it
does is in its methods: ``of_class`` walks them, and everything they name that the repository defines (its
base classes, hooks, helper functions and classes, module constants, methods of imported modules), transitively,
each definition once (cycles between modules are guarded), within a budget of definitions and AST nodes. Every
name from outside the repository is classified by ``effect_rules`` (data): the class touches no table only when
every name reached is known to touch none. The first name that touches tables (or runs a command) is kept for
the reason the task is reported with; anything not known keeps the class unknown.

Names a function binds (parameters, local variables) are not followed: what they hold was made by code that is
itself walked (``hook = GCSHook(...)``), and methods of unknown receivers are judged by name only where the name
says it (``df.to_sql``, ``boto3.client("athena")``). One analysis per scan (``RepoView.effects``): each class is
analysed once, and the repository modules it read are the inputs of every file whose tasks use it.
"""

from __future__ import annotations

import ast
import builtins
from collections import deque
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from overlay.discover.evaluate import is_data, is_known
from overlay.discover.static.effect_rules import (METHOD_RULES, SERVICE_FACTORIES, SERVICE_METHODS, UNKNOWN_RULE, Kind,
                                                  Rule, rule_for, service_rule)
from overlay.discover.static.effect_views import Import, LocalScope, ModuleView, local_names
from overlay.discover.static.refs import (ClassRef, DagRef, FileHandle, FunctionRef, ModuleCtx, ModuleRef, ObjectRef,
                                          TaskGroupRef, TaskRef, sql_named)

MAX_DEFINITIONS = 300  # classes, functions and module-level values followed for one class
MAX_NODES = 150_000  # AST nodes visited for one class
_NEVER_LOCAL = frozenset({"airflow", "pendulum", "yaml"})  # as the interpreter: never a repository's module
_RANK = {"none": 0, "unknown": 1, "command": 2, "table": 3}
_BUILTINS = frozenset(dir(builtins))
_MODULE_NAMES = frozenset({"__name__", "__file__", "__doc__", "__package__", "__spec__", "__path__", "__annotations__"})


@dataclass(frozen=True)
class Finding:
    kind: Kind
    reference: str  # as the code writes it: BigQueryHook, bigquery.Client, subprocess.run
    where: str  # plugins/operators/x.py:12
    own: bool  # in the class's own body (else in code it reaches)
    what: str = ""


@dataclass(frozen=True)
class Effect:
    kind: Kind  # none: touches no table; table / command: the finding says through what; unknown: not known
    finding: Finding | None = None
    inputs: tuple[str, ...] = ()  # repository modules read
    unknown_ref: str = ""  # for "unknown": the first name reached that no rule knows, with where

    def reason(self, name: str) -> str | None:
        """The unresolved reason of a task of class ``name`` that reaches tables or commands (else None)."""
        f = self.finding
        if self.kind not in ("table", "command") or f is None:
            return None
        place = "in its own code" if f.own else "in code it calls"
        return (f"unknown operator {name}: {f.what} {f.reference} {place} ({f.where}); "
                "declare what it reads and writes under `operators:` in overlay.yaml")


class _Stop(Exception):
    pass


class EffectAnalysis:
    def __init__(self, repo: Any = None) -> None:
        self.repo = repo  # RepoView, or None (no repository: only the class's own module is read)
        self._classes: dict[int, tuple[ast.AST, Effect]] = {}
        self._functions: dict[tuple[int, int], tuple[ast.AST, dict[str, Any], Effect]] = {}
        self._views: dict[str, ModuleView | None] = {}
        self._locals: dict[int, tuple[ast.AST, frozenset[str], dict[str, Import]]] = {}
        self._summaries: dict[tuple[int, int], tuple[ast.AST, dict[str, Any], _Summary]] = {}

    def local_scope(self, owner: ast.AST, nodes: list[ast.AST], parent: LocalScope | None,
                    params: ast.arguments | None = None) -> LocalScope:
        """``owner``'s own names (a function's, a class body's), worked out once per scan."""
        cached = self._locals.get(id(owner))
        if cached is None or cached[0] is not owner:
            cached = (owner, *local_names(nodes, params))
            self._locals[id(owner)] = cached
        return LocalScope(cached[1], cached[2], parent)

    def of_class(self, cls: ClassRef) -> Effect:
        if cls.node is None:
            return Effect("unknown")
        cached = self._classes.get(id(cls.node))
        if cached is not None and cached[0] is cls.node:
            return cached[1]
        start = _Visit(self, None)
        start.add_class(cls)
        effect = self.closure(start.next)
        self._classes[id(cls.node)] = (cls.node, effect)
        return effect

    def of_function(self, fn: FunctionRef) -> Effect:
        """What a python callable's code reaches (a task's ``python_callable``, an ``@task`` function): once per
        scan and function, as a class's (a callable in a loop of tasks is read once, not once per task)."""
        key = (id(fn.node), id(fn.scope))  # the same def in another scope (a closure) may reach other names
        cached = self._functions.get(key)
        if cached is not None and cached[0] is fn.node and cached[1] is fn.scope:
            return cached[2]
        effect = self.closure([_Unit(fn.node, self.view_of_ctx(fn.module, fn.scope), fn.scope)])
        self._functions[key] = (fn.node, fn.scope, effect)
        return effect

    def of_expressions(self, nodes: list[ast.expr], ctx: ModuleCtx | None, scope: dict[str, Any]) -> Effect:
        """What the values given to a task reach (a hook object, a callable it runs): read as the class's code is."""
        view = self.view_of_ctx(ctx, scope)
        return self.closure([_Unit(node, view, scope) for node in nodes])

    def closure(self, start: list[_Unit]) -> Effect:
        """Every definition reachable from ``start`` (each once, within the budget), from their summaries: the worst
        finding (the first of the highest rank, in breadth-first order), or not known, or none."""
        own = {id(u.node) for u in start}
        queue, seen, nodes = deque(start), set(), 0
        worst: Finding | None = None
        unknown = False
        first_unknown = ""
        inputs: dict[str, None] = {}
        while queue:
            unit = queue.popleft()
            if id(unit.node) in seen:
                continue
            if len(seen) >= MAX_DEFINITIONS:
                unknown = True
                break
            seen.add(id(unit.node))
            if unit.view.repository and unit.view.path:
                inputs.setdefault(unit.view.path, None)
            summary = self.summary(unit)
            nodes += summary.nodes
            unknown = unknown or summary.unknown or nodes > MAX_NODES
            first_unknown = first_unknown or summary.first_unknown
            if summary.worst is not None and (worst is None or _RANK[summary.worst.kind] > _RANK[worst.kind]):
                worst = replace(summary.worst, own=id(unit.node) in own)
                if worst.kind == "table":
                    break  # nothing reached later can say more
            if nodes > MAX_NODES:
                break
            queue.extend(summary.next)
        if worst is not None:
            return Effect(worst.kind, worst, tuple(inputs))
        return Effect("unknown" if unknown else "none", None, tuple(inputs), first_unknown)

    def summary(self, unit: _Unit) -> _Summary:
        """What one definition names directly: its worst finding, whether something is not known, the definitions
        it refers to (read once per scan, whichever classes reach it)."""
        key = (id(unit.node), id(unit.scope))
        cached = self._summaries.get(key)
        if cached is not None and cached[0] is unit.node and cached[1] is unit.scope:
            return cached[2]
        visit = _Visit(self, unit)
        try:
            visit.visit(unit.node, visit.top)
        except _Stop:
            pass
        summary = _Summary(visit.worst, visit.unknown, visit.nodes, visit.next, visit.first_unknown)
        self._summaries[key] = (unit.node, unit.scope, summary)
        return summary

    # --- module views ---------------------------------------------------------------------------
    def view_of_ctx(self, ctx: ModuleCtx | None, scope: dict[str, Any]) -> ModuleView:
        if ctx is None:
            return ModuleView("", scope)
        view = self._views.get(ctx.path)
        if view is None:
            loaded = self.repo.modules.get(ctx.path) if self.repo is not None else None
            view = ModuleView(ctx.path, loaded.scope if loaded is not None else scope, ctx.source, loaded is not None,
                              ctx.imports)
            self._views[ctx.path] = view
        return view

    def view_of_path(self, path: str) -> ModuleView | None:
        if path in self._views:
            return self._views[path]
        loaded = self.repo.module(path) if self.repo is not None else None
        if loaded is None:  # still being evaluated (an import cycle: not kept, it may be read later) or not readable
            return None
        try:
            view: ModuleView | None = ModuleView(path, loaded.scope, Path(path).read_bytes().decode("utf-8", "replace"), True,
                                                 loaded.imports)
        except OSError:
            view = None
        self._views[path] = view
        return view

    def display(self, path: str) -> str:
        return self.repo.display(path) if self.repo is not None and path else path


@dataclass
class _Unit:
    node: ast.AST
    view: ModuleView
    scope: dict[str, Any]


@dataclass
class _Summary:
    worst: Finding | None
    unknown: bool
    nodes: int
    next: list[_Unit]
    first_unknown: str = ""  # the first name not known, as the code writes it, with where


class _Visit:
    """One definition read: what it names, classified, and the repository definitions it refers to."""

    def __init__(self, analysis: EffectAnalysis, unit: _Unit | None) -> None:
        self.a = analysis
        self.unit = unit
        self.next: list[_Unit] = []
        self._next: set[int] = set()
        self.nodes = 0
        self.worst: Finding | None = None
        self.unknown = False
        self.first_unknown = ""
        self.top = LocalScope(frozenset(), {})

    # --- definitions to read -------------------------------------------------------------------
    def add(self, node: ast.AST, view: ModuleView, scope: dict[str, Any]) -> None:
        if id(node) not in self._next:
            self._next.add(id(node))
            self.next.append(_Unit(node, view, scope))

    def add_class(self, cls: ClassRef) -> None:
        if cls.choices:
            for choice in cls.choices:
                self.add_class(choice)
        elif cls.node is None:
            self.not_known()
        else:
            self.add(cls.node, self.a.view_of_ctx(cls.module, cls.scope), cls.scope)

    def add_function(self, fn: FunctionRef) -> None:
        self.add(fn.node, self.a.view_of_ctx(fn.module, fn.scope), fn.scope)

    # --- findings ------------------------------------------------------------------------------
    def record(self, rule: Rule, node: ast.AST) -> None:
        if rule.kind == "none":
            return
        if rule.kind == "unknown":
            if not self.first_unknown and self.unit is not None and isinstance(node, (ast.Name, ast.Attribute)):
                where = f"{self.a.display(self.unit.view.path)}:{getattr(node, 'lineno', '?')}"
                self.first_unknown = f"{ast.unparse(node)[:80]} ({where})"
            self.not_known()
            return
        if self.worst is not None and _RANK[self.worst.kind] >= _RANK[rule.kind]:
            return
        assert self.unit is not None
        text = ast.unparse(node) if isinstance(node, (ast.Name, ast.Attribute)) else type(node).__name__
        where = f"{self.a.display(self.unit.view.path)}:{getattr(node, 'lineno', '?')}"
        self.worst = Finding(rule.kind, text[:80], where, False, rule.what)
        if rule.kind == "table":
            raise _Stop  # nothing reached later can say more

    def not_known(self) -> None:
        self.unknown = True

    # --- the walk ------------------------------------------------------------------------------
    def visit(self, node: ast.AST, scope: LocalScope, call: ast.Call | None = None) -> None:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            self.not_known()
            raise _Stop
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for child in [*node.decorator_list, *_argument_parts(node.args), *([node.returns] if node.returns else [])]:
                self.visit(child, scope)
            inner = self.a.local_scope(node, node.body, scope, node.args)
            for stmt in node.body:
                self.visit(stmt, inner)
        elif isinstance(node, ast.Lambda):
            for child in _argument_parts(node.args):
                self.visit(child, scope)
            self.visit(node.body, self.a.local_scope(node, [node.body], scope, node.args))
        elif isinstance(node, ast.ClassDef):
            for child in [*node.decorator_list, *node.bases, *[k.value for k in node.keywords]]:
                self.visit(child, scope)
            body = self.a.local_scope(node, node.body, scope)
            for stmt in node.body:  # methods do not see the class body's names
                self.visit(stmt, scope if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)) else body)
        elif isinstance(node, (ast.Import, ast.ImportFrom, ast.Global, ast.Nonlocal)):
            return
        elif isinstance(node, ast.ExceptHandler):  # matching an exception class touches nothing: only the body runs
            for stmt in node.body:
                self.visit(stmt, scope)
        elif isinstance(node, ast.Raise) and isinstance(node.exc, (ast.Call, ast.Name, ast.Attribute)) \
                and _exception_name(node.exc.func if isinstance(node.exc, ast.Call) else node.exc):
            for child in [*node.exc.args, *[k.value for k in node.exc.keywords]] if isinstance(node.exc, ast.Call) else []:
                self.visit(child, scope)  # `raise NotFoundError(f"... {describe(x)}")`: its arguments still run
            if node.cause is not None:
                self.visit(node.cause, scope)
        elif isinstance(node, ast.Call):
            self.visit(node.func, scope, call=node)
            for child in [*node.args, *[k.value for k in node.keywords]]:
                self.visit(child, scope)
        elif isinstance(node, ast.Attribute):
            chain: list[str] = []
            root: ast.AST = node
            while isinstance(root, ast.Attribute):
                chain.insert(0, root.attr)
                root = root.value
            self.methods(chain, node, call)
            if isinstance(root, ast.Name):
                self.reference(root.id, chain, node, scope, call)
            else:
                self.visit(root, scope)
        elif isinstance(node, ast.Name):
            if isinstance(node.ctx, ast.Load):
                self.reference(node.id, [], node, scope, call)
        elif isinstance(node, ast.Constant):
            return
        else:
            for child in ast.iter_child_nodes(node):
                self.visit(child, scope)

    def methods(self, chain: list[str], node: ast.Attribute, call: ast.Call | None) -> None:
        for attr in chain:
            rule = METHOD_RULES.get(attr)
            if rule is not None:
                self.record(rule, node)
        if chain[-1] in SERVICE_METHODS and call is not None and call.func is node:
            service = _service_name(call)
            if isinstance(service, str):
                self.record(service_rule(service), node)

    def reference(self, name: str, attrs: list[str], node: ast.AST, scope: LocalScope, call: ast.Call | None) -> None:
        bound = scope.lookup(name)
        assert self.unit is not None
        if bound is not None and bound[0] == "local":
            return
        if bound is not None and bound[1] is not None:
            self.imported(bound[1], attrs, self.unit.view, node, call)
            return
        self.global_name(self.unit.view, self.unit.scope, name, attrs, node, call)

    def global_name(self, view: ModuleView, scope: dict[str, Any], name: str, attrs: list[str], node: ast.AST,
                    call: ast.Call | None) -> None:
        if name in scope and self.follow(scope[name], attrs, view, node, call):
            return
        if name in _MODULE_NAMES:
            return
        spec = view.imported(name)
        if spec is None and name in _BUILTINS and name not in scope:  # not rebound in the module: no parse needed
            self.classify(f"builtins.{name}", node, call)
            return
        bindings = view.bindings
        spec = spec or bindings.imports.get(name)
        if spec is not None:
            self.imported(spec, attrs, view, node, call)
            return
        if name in bindings.defs:
            for definition in bindings.defs[name]:
                self.add(definition, view, view.scope)
            return
        if name in _BUILTINS:
            self.classify(f"builtins.{name}", node, call)
            return
        sub = self.submodule(view, name)
        if sub is not None:
            if attrs:
                self.global_name(sub, sub.scope, attrs[0], attrs[1:], node, call)
            else:
                self.not_known()  # a module passed around as a value
            return
        for star in bindings.stars:  # `from x import *`: a name of x
            self.imported((star[0], star[1], name), attrs, view, node, call)
            return
        self.not_known()

    def follow(self, value: Any, attrs: list[str], view: ModuleView, node: ast.AST, call: ast.Call | None) -> bool:
        """A value the interpreter bound: a repository definition is read; plain data is harmless."""
        if isinstance(value, ClassRef):
            self.add_class(value)
        elif isinstance(value, FunctionRef):
            self.add_function(value)
        elif isinstance(value, ObjectRef):
            self.add_class(value.cls)
        elif isinstance(value, ModuleRef):
            if not attrs or not value.path:  # a module passed around as a value: what is called on it is not known
                self.not_known()
                return True
            sub = self.a.view_of_path(value.path)
            if sub is None:
                self.not_known()
            else:
                self.global_name(sub, sub.scope, attrs[0], attrs[1:], node, call)
        elif isinstance(value, (TaskRef, DagRef, TaskGroupRef, FileHandle)):
            return True
        elif not (is_known(value) and is_data(value)):
            return False
        return True

    def imported(self, spec: Import, attrs: list[str], view: ModuleView, node: ast.AST, call: ast.Call | None) -> None:
        module, level, name = spec
        repo = self.a.repo
        local = repo is not None and (module or level) and (level or module.split(".")[0] not in _NEVER_LOCAL)
        path = repo.find_module(module, level, view.path or None) if local else None
        if path is not None:
            target = self.a.view_of_path(path)
            if target is None:
                self.not_known()
                return
            rest = [name, *attrs] if name is not None else attrs
            if rest:
                self.global_name(target, target.scope, rest[0], rest[1:], node, call)
            else:
                self.not_known()  # a module passed around as a value
            return
        if level:  # a relative import the repository does not have
            self.not_known()
            return
        self.classify(".".join(p for p in (module, name, *attrs) if p), node, call)

    def submodule(self, view: ModuleView, name: str) -> ModuleView | None:
        repo = self.a.repo
        if repo is None or not view.path.endswith("__init__.py"):
            return None
        path = repo.find_module(name, 1, view.path)
        return self.a.view_of_path(path) if path is not None else None

    def classify(self, qualified: str, node: ast.AST, call: ast.Call | None) -> None:
        factory = next((f for f in SERVICE_FACTORIES if qualified == f or qualified.startswith(f + ".")), None)
        if factory is not None:
            rule = service_rule(_service_name(call)) if call is not None and call.func is node else UNKNOWN_RULE
        else:
            rule = rule_for(qualified) or UNKNOWN_RULE
        self.record(rule, node)


def _exception_name(node: ast.expr) -> bool:
    """``NotFoundError``, ``errors.RetryAfter``... as written: a class raised, whose making touches no table."""
    name = node.attr if isinstance(node, ast.Attribute) else node.id if isinstance(node, ast.Name) else ""
    return name.endswith(_EXCEPTION_SUFFIXES) or name in ("RetryAfter", "StopIteration", "KeyboardInterrupt")


_EXCEPTION_SUFFIXES = ("Error", "Exception", "Exit", "Warning", "Failure", "Timeout")


def _argument_parts(args: ast.arguments) -> list[ast.AST]:
    parts: list[ast.AST] = [*args.defaults, *[d for d in args.kw_defaults if d is not None]]
    for arg in [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]:
        if arg is not None and arg.annotation is not None:
            parts.append(arg.annotation)
    return parts


def _service_name(call: ast.Call | None) -> Any:
    if call is None:
        return None
    if call.args and isinstance(call.args[0], ast.Constant):
        return call.args[0].value
    for kw in call.keywords:
        if kw.arg in ("service_name", "serviceName", "client_type", "resource_type") and isinstance(kw.value, ast.Constant):
            return kw.value.value
    return None


# arguments Airflow itself handles: not the operator's data access
_NOT_READ = frozenset({"task_id", "dag", "task_group", "default_args", "on_failure_callback", "on_success_callback",
                       "on_retry_callback", "on_execute_callback", "on_skipped_callback", "sla_miss_callback",
                       "pre_execute", "post_execute"})


class ClassEffects:
    """Mixed into ``StaticScanner``: the scan's analysis (``RepoView.effects``), and the modules it read as inputs."""

    effects: EffectAnalysis | None

    def analysis(self: Any) -> EffectAnalysis:
        if self.repo is None:
            return self.effects
        if self.repo.effects is None:
            self.repo.effects = EffectAnalysis(self.repo)
        return self.repo.effects

    def effect_of(self: Any, cls: ClassRef) -> Effect:
        """What a repository operator class's code reaches (once per scan)."""
        return self._used(self.analysis().of_class(cls))

    def callable_effect(self: Any, fn: FunctionRef) -> Effect:
        """What a task's python callable reaches (once per scan and function)."""
        return self._used(self.analysis().of_function(fn))

    def arguments_touch_no_table(self: Any, node: ast.Call, scope: dict[str, Any]) -> bool:
        """The values a task of a no-table class is given are plain data, or reach no table either (a hook object
        or a callable passed in runs with the class's code)."""
        if any(k.arg is not None and sql_named(k.arg) for k in node.keywords):
            return False  # it is given SQL: what it sends it to may run it
        ev = self.evaluator(scope)
        pending = [e for e in [*node.args, *[k.value for k in node.keywords if k.arg not in _NOT_READ]]
                   if not _scalar_valued(e) and not _plain(ev.eval(e))]
        return not pending or self._used(self.analysis().of_expressions(pending, self.ctx, scope)).kind == "none"

    def _used(self: Any, effect: Effect) -> Effect:
        for path in effect.inputs:
            if path not in self.inputs and path != self.path:
                self.inputs.append(path)
        return effect


def _scalar_valued(node: ast.expr) -> bool:
    """An expression whose value is a string or a number whatever its parts are (not a hook, not a callable):
    a literal, an f-string, ``"..." + x``, ``"..." % x``, ``"...".format(...)``, ``"...".join(...)``."""
    if isinstance(node, (ast.Constant, ast.JoinedStr)):
        return True
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Mod)):
        return _text(node.left)
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in ("format", "join") \
        and _text(node.func.value)


def _text(node: ast.expr) -> bool:
    return isinstance(node, ast.JoinedStr) or (isinstance(node, ast.Constant) and isinstance(node.value, str))


def _plain(value: Any) -> bool:
    return is_known(value) and is_data(value)
