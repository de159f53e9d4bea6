"""The static interpreter's statements and calls: it walks a module and follows what builds DAGs and tasks.

It follows imports of both Airflow generations and of the repository's own modules, module
constants, ``with DAG(...)``, ``DAG(...)`` + ``dag=``, ``@dag``/``@task``/``@task_group``
functions, ``TaskGroup``, operator instantiations (any call given ``task_id=``), custom operator
classes, ``>>``/``<<``/``chain``/``set_upstream``, ``.partial().expand()``, loops over known
collections and factory or helper functions called with known arguments. Values it cannot
compute are left out (and named in ``unknown_args``), never guessed. All work is paid from the
file's ``Budget``.
"""

from __future__ import annotations

import ast
from dataclasses import replace
from typing import Any

from overlay.discover.budget import Budget, BudgetError
from overlay.discover.evaluate import NOT_HANDLED, UNKNOWN, Evaluator, is_known, iterable
from overlay.discover.python_source import parse_python
from overlay.discover.static.effects import ClassEffects, EffectAnalysis
from overlay.discover.static.env import ScanEnv
from overlay.discover.static.imports import ImportBinder
from overlay.discover.static.inits import bind_parameters, method_owner
from overlay.discover.static.instances import InstanceBuilder, set_attribute
from overlay.discover.static.origins import UnknownOrigins
from overlay.discover.static.refs import (ClassRef, DagRef, FunctionRef, ModuleCtx, ModuleRef, ObjectRef, generated_init,
                                          TaskGroupRef, TaskRef, field_order, fields_only, link)
from overlay.discover.static.repo import RepoView
from overlay.discover.static.specs import SpecBuilder
from overlay.model import DagSpec, FileError

DAG_CLASSES = {"DAG", "airflow.DAG", "airflow.models.DAG", "airflow.models.dag.DAG", "airflow.sdk.DAG", "airflow.sdk.definitions.dag.DAG"}
DAG_DECORATORS = {"dag", "airflow.decorators.dag", "airflow.sdk.dag", "airflow.models.dag.dag", "airflow.sdk.definitions.dag.dag"}
TASK_DECORATORS = {"task", "airflow.decorators.task", "airflow.sdk.task", "airflow.operators.python.task"}
CHAIN = {"chain", "airflow.models.baseoperator.chain", "airflow.sdk.chain", "airflow.utils.helpers.chain"}


class _Return(Exception):
    def __init__(self, value: Any) -> None:
        self.value = value


class StaticScanner(SpecBuilder, InstanceBuilder, ClassEffects, ImportBinder):
    def __init__(self, path: str, source: str, repo: RepoView | None = None, budget: Budget | None = None,
                 module_mode: bool = False) -> None:
        self.path = path
        self.source = source
        self.main = ModuleCtx(path, source, {})
        self.ctx = self.main
        self.repo = repo
        self.budget = budget or Budget()
        self.module_mode = module_mode
        self.dags: list[DagSpec] = []
        self.errors: list[FileError] = []
        self._reported: set[tuple[int | None, str]] = set()
        self.dag_stack: list[DagSpec] = []
        self.group_stack: list[TaskGroupRef] = []
        self.depth = 0
        self.site_line: int | None = None  # the line in the scanned file that the code being run was called from
        self.taskflow_counts: dict[tuple[str, str], int] = {}
        self.module_scope: dict[str, Any] | None = None  # the scanned module's own top-level scope
        self.group_counts: dict[tuple[str, str], int] = {}
        self.inputs: list[str] = []  # repository modules this file's result depends on
        self.code: dict[str, dict[str, Any]] = {}  # repository code tasks run, listed once (SpecBuilder.shared)
        self.code_keys: dict[tuple[int, ...], tuple[str, tuple[Any, ...]]] = {}
        self.code_size = 0  # characters listed in self.code, within specs.MAX_FILE_CODE
        self.created = 0  # tasks made so far
        self.env = ScanEnv(self)
        if repo is not None and not module_mode:  # a file starts with Airflow's sys.path; its own additions are its own
            repo.extra_search = []
        self.effects = EffectAnalysis(repo) if repo is None else None  # without a repository: this file's own classes
        self.origins = UnknownOrigins()  # what the names bound to unknown values come from, for the reports
        self.floating: int | None = None  # tasks made with no DAG inside an instance's __init__ (instances.py)
        self.orphans: list[tuple[Any, str, Any]] = []  # tasks made outside any DAG (ref, where, line): reported at the end

    @property
    def imports(self) -> dict[str, str]:
        return self.ctx.imports

    def evaluator(self, scope: dict[str, Any]) -> Evaluator:
        return Evaluator(scope, self.ctx.path, self.ctx.imports, self.budget, self.env)

    def report(self, message: str, line: int | None = None) -> None:
        key = (line, message)
        if key not in self._reported:
            self._reported.add(key)
            self.errors.append(FileError(self.path, message, line, stage="static"))

    def at(self, line: int | None) -> int | None:
        """The line to report: ``line`` in the scanned file, else the scanned file's line that called into a module."""
        return line if self.ctx is self.main else self.site_line

    def where(self, line: int | None) -> str:
        """`line N` in the scanned file, or `utils/x.py:N` inside an imported module."""
        if self.ctx is self.main or self.repo is None:
            return f"line {line}"
        return f"{self.repo.display(self.ctx.path)}:{line}"

    # --- entry ------------------------------------------------------------------------
    def run(self) -> dict[str, Any]:
        """Evaluate the module; returns its top-level scope."""
        tree = parse_python(self.source, filename=self.path)
        scope: dict[str, Any] = {"__name__": "overlay_static_scan", "__file__": self.path}
        self.module_scope = scope
        self.exec_block(tree.body, scope)
        for ref, where, line in self.orphans:
            if ref.dag is None:
                self.report(f"task {ref.spec.task_id!r} ({where}) belongs to no DAG found statically", line)
        return scope

    # --- statements ---------------------------------------------------------------------
    def exec_block(self, body: list[ast.stmt], scope: dict[str, Any]) -> None:
        for stmt in body:
            self.budget.line = getattr(stmt, "lineno", None)
            if self.ctx is self.main:
                self.site_line = self.budget.line
            try:
                self.exec_stmt(stmt, scope)
            except _Return:
                raise
            except BudgetError as e:
                if e.fatal:
                    raise
                self.report(f"static analysis skipped a statement ({self.where(e.line)}): {e.reason}", self.at(e.line))
            except RecursionError:
                raise
            except Exception as e:  # one odd statement must not lose the rest of the file
                self.report(f"static analysis skipped a statement ({self.where(getattr(stmt, 'lineno', None))}): "
                            f"{type(e).__name__}: {e}", self.at(getattr(stmt, 'lineno', None)))

    def exec_stmt(self, stmt: ast.stmt, scope: dict[str, Any]) -> None:
        self.budget.tick()
        ev = self.evaluator(scope)
        if isinstance(stmt, ast.Import):
            for alias in stmt.names:
                self.exec_import(alias.name, alias.asname, scope)
        elif isinstance(stmt, ast.ImportFrom):
            self.exec_import_from(stmt, scope)
        elif isinstance(stmt, (ast.Assign, ast.AnnAssign)):
            value = self.value(stmt.value, scope) if stmt.value is not None else UNKNOWN
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            if scope is self.module_scope:  # a module's own statement: callables may use what it makes
                for target in targets:
                    if isinstance(target, ast.Name):
                        made = self.ctx.assigned_calls
                        made[target.id] = stmt.value if isinstance(stmt.value, ast.Call) and target.id not in made else None
            for target in targets:
                self.bind(target, value, scope)
                if is_known(value):
                    self.origins.forget(target)
                else:
                    self.origins.bind(target, stmt.value, ev)
        elif isinstance(stmt, ast.AugAssign) and isinstance(stmt.target, ast.Name):
            scope[stmt.target.id] = ev.eval(ast.BinOp(left=ast.Name(stmt.target.id, ast.Load()), op=stmt.op, right=stmt.value))
        elif isinstance(stmt, ast.Expr):
            self.value(stmt.value, scope)
        elif isinstance(stmt, ast.With):
            self.exec_with(stmt, scope)
        elif isinstance(stmt, ast.For):
            self.exec_for(stmt, scope)
        elif isinstance(stmt, ast.If):
            test = ev.eval(stmt.test)
            if not is_known(test):
                self.exec_branches(stmt.body, stmt.orelse, scope)
            else:
                self.exec_block(stmt.body if test else stmt.orelse, scope)
        elif isinstance(stmt, ast.FunctionDef):
            scope[stmt.name] = self.function_ref(stmt, scope)
        elif isinstance(stmt, ast.ClassDef):
            scope[stmt.name] = self.class_ref(stmt, scope)
        elif isinstance(stmt, ast.Return):
            raise _Return(self.value(stmt.value, scope) if stmt.value is not None else None)
        elif isinstance(stmt, ast.Try):
            self.exec_block(stmt.body, scope)
            self.exec_block(stmt.orelse, scope)
            self.exec_block(stmt.finalbody, scope)

    def exec_branches(self, body: list[ast.stmt], orelse: list[ast.stmt], scope: dict[str, Any]) -> None:
        """``if <not known>``: either branch may run. Both run (the tasks of each are found); a name or an instance's
        attribute they leave with different values is not known afterwards (two classes: either, for the rule)."""
        objects = [v for v in scope.values() if isinstance(v, ObjectRef)]
        before = [dict(o.attrs) for o in objects]
        first, second = dict(scope), dict(scope)
        self.exec_block(body, first)
        after_body = [dict(o.attrs) for o in objects]
        for o, attrs in zip(objects, before):
            o.attrs.clear()
            o.attrs.update(attrs)
        self.exec_block(orelse, second)
        for name in dict.fromkeys([*first, *second]):
            scope[name] = self._either(first.get(name, _MISSING), second.get(name, _MISSING))
        for o, attrs in zip(objects, after_body):
            for name in dict.fromkeys([*attrs, *o.attrs]):
                o.attrs[name] = self._either(attrs.get(name, _MISSING), o.attrs.get(name, _MISSING))

    def _either(self, a: Any, b: Any) -> Any:
        if a is b:
            return a
        if a is _MISSING or b is _MISSING:
            return UNKNOWN  # bound on one side only
        choice = self.env.choice(a, b)
        if choice is not NOT_HANDLED:
            return choice
        try:
            same = type(a) is type(b) and bool(a == b)
        except Exception:  # an odd value's comparison: not the same
            same = False
        return a if same else UNKNOWN

    def bind(self, target: ast.expr, value: Any, scope: dict[str, Any]) -> None:
        if isinstance(target, ast.Name):
            scope[target.id] = value
        elif isinstance(target, (ast.Tuple, ast.List)):
            values = list(value) if isinstance(value, (list, tuple)) and len(value) == len(target.elts) else [UNKNOWN] * len(target.elts)
            for t, v in zip(target.elts, values):
                self.bind(t, v, scope)
        elif isinstance(target, ast.Attribute):
            set_attribute(target, value, scope)
        elif isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name):
            container = scope.get(target.value.id)
            key = self.evaluator(scope).eval(target.slice)
            if isinstance(container, dict) and is_known(key) and isinstance(key, (str, int, float, bool)):
                container[key] = value

    def exec_with(self, stmt: ast.With, scope: dict[str, Any]) -> None:
        pushed_dags = pushed_groups = 0
        for item in stmt.items:
            value = self.value(item.context_expr, scope)
            if isinstance(value, DagRef):
                self.dag_stack.append(value.spec)
                pushed_dags += 1
            elif isinstance(value, TaskGroupRef):
                self.group_stack.append(value)
                pushed_groups += 1
            if item.optional_vars is not None:
                self.bind(item.optional_vars, value, scope)
        try:
            self.exec_block(stmt.body, scope)
        finally:
            for _ in range(pushed_dags):
                self.dag_stack.pop()
            for _ in range(pushed_groups):
                self.group_stack.pop()

    def exec_for(self, stmt: ast.For, scope: dict[str, Any]) -> None:
        items = iterable(self.value(stmt.iter, scope))
        if items is None:
            self.report(f"loop over values not known statically ({self.where(stmt.lineno)}): its tasks are not listed"
                        f"{self.origins.hint(stmt.iter, self.evaluator(scope))}", self.at(stmt.lineno))
            return
        allowance = self.budget.loop_allowance()
        if len(items) > allowance:
            self.report(f"loop cut at the budget ({self.where(stmt.lineno)}): read {allowance:,} of {len(items):,} items; "
                        "the tasks of the others are not listed", self.at(stmt.lineno))
            items = items[:allowance]
        self.budget.spend_loop(len(items))
        for item in items:
            self.bind(stmt.target, item, scope)
            self.exec_block(stmt.body, scope)

    # --- expressions with effects ---------------------------------------------------------
    def value(self, node: ast.expr, scope: dict[str, Any]) -> Any:
        self.budget.tick()
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.RShift, ast.LShift)):
            left, right = self.value(node.left, scope), self.value(node.right, scope)
            upstream, downstream = (left, right) if isinstance(node.op, ast.RShift) else (right, left)
            link(upstream, downstream)
            return right
        if isinstance(node, (ast.List, ast.Tuple)) and any(isinstance(e, (ast.Call, ast.BinOp)) for e in node.elts):
            return [self.value(e, scope) for e in node.elts]
        if isinstance(node, ast.Name) and isinstance(scope.get(node.id), (TaskRef, DagRef, FunctionRef, TaskGroupRef, list)):
            return scope[node.id]
        if isinstance(node, ast.Call):
            return self.call(node, scope)
        if isinstance(node, ast.Attribute):  # `behaviour = TestBehavior.AFTER_ALL`, bound for a later RenderConfig(...)
            qualified = self.evaluator(scope).qualified(node)
            member = _cosmos().enum_member(qualified) if qualified.startswith("cosmos.") else None
            if member is not None:
                return member
        return self.evaluator(scope).eval(node)

    def callee(self, func: ast.expr, scope: dict[str, Any]) -> Any:
        """The FunctionRef/ClassRef a call's function names (a local name or a repository module's attribute)."""
        if isinstance(func, ast.Name):
            return scope.get(func.id)
        if isinstance(func, ast.Attribute) and isinstance(func.value, (ast.Name, ast.Attribute)):
            base = self.callee(func.value, scope)
            if isinstance(base, ModuleRef):
                return base.get(func.attr)
            if isinstance(base, ClassRef) and not base.choices:  # `SqlQueries.copy_s3_to_staging(...)`: a static method
                found = method_owner(base, func.attr)
                if found is not None and any(isinstance(d, ast.Name) and d.id == "staticmethod" for d in found[1].decorator_list):
                    return FunctionRef(found[1], "plain", scope=found[0].scope, module=found[0].module)
        return None

    def call(self, node: ast.Call, scope: dict[str, Any]) -> Any:
        ev = self.evaluator(scope)
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr == "override":  # `@task` function `.override(task_id=...)`
            inner = self.callee(func.value, scope)
            if isinstance(inner, FunctionRef) and inner.kind == "task":
                changed = {k.arg: ev.eval(k.value) for k in node.keywords if k.arg}
                return replace(inner, decorator_kwargs={**inner.decorator_kwargs, **changed})
        if isinstance(func, ast.Call):  # `fn.override(...)(args)`: the function the inner call returned
            made = self.value(func, scope)
            if isinstance(made, FunctionRef):
                return self.call_function(made, node, scope)
        target = self.callee(func, scope)
        if isinstance(func, ast.Attribute):
            if func.attr in ("set_upstream", "set_downstream"):
                up_target = self.value(func.value, scope)
                other = self.value(node.args[0], scope) if node.args else None
                link(other, up_target) if func.attr == "set_upstream" else link(up_target, other)
                return None
            if func.attr in ("expand", "expand_kwargs", "partial") and not self._is_class(func.value, ev, scope):
                inner = self.value(func.value, scope)
                if isinstance(inner, TaskRef):
                    self.apply_kwargs(inner.spec, node, ev)
                    return inner
                if isinstance(inner, FunctionRef) and inner.kind == "task":
                    return self.make_taskflow(inner, node, scope, mapped=True)
            if func.attr == "partial" and self._is_class(func.value, ev, scope):
                astro = ev.qualified(func.value)
                if astro.startswith("astro.") and astro.rsplit(".", 1)[-1] in _astro().CLASSES:  # LoadFile.partial(...)
                    return _astro().astro_call(self, astro, node, scope)
                cls = self.callee(func.value, scope)
                if isinstance(cls, ClassRef):
                    return self.make_task(cls.name, node, scope, cls=cls)
                return self.make_task(ev.qualified(func.value), node, scope)
        if target is None and isinstance(func, ast.Attribute) and isinstance(func.value, (ast.Name, ast.Attribute)):
            instance = ev.eval(func.value)
            if isinstance(instance, ObjectRef):  # a method of an instance the interpreter made (instances.py)
                made = self.call_method(instance, func.attr, node, scope)
                if made is not NOT_HANDLED:
                    return made
        name = ev.qualified(func)
        short = name.rsplit(".", 1)[-1]
        if isinstance(target, ClassRef):
            if target.is_operator() or _has_task_id(node):
                return self.make_task(target.name, node, scope, cls=target)
            if fields_only(target) or generated_init(target):
                return self.make_object(target, node, scope)
            return self.make_instance(target, node, scope)
        if isinstance(target, FunctionRef):
            return self.call_function(target, node, scope)
        if target is None and name.startswith("astro."):  # the Astro SDK: aql.load_file(...), Table(...), File(...)
            made = _astro().astro_call(self, name, node, scope)
            if made is not NOT_HANDLED:
                return made
        if target is None and name.startswith("cosmos.") and _cosmos().is_cosmos(name):  # DbtDag, DbtTaskGroup, configs
            made = _cosmos().cosmos_call(self, name, node, scope)
            if made is not NOT_HANDLED:
                return made
        if target is None and (name in DAG_CLASSES or short == "DAG"):
            return DagRef(self.make_dag(node, ev, scope))
        if name in CHAIN:
            items = [self.value(a, scope) for a in node.args]
            for a, b in zip(items, items[1:]):
                link(a, b)
            return None
        if short in ("TaskGroup",) or name.endswith(".TaskGroup"):
            return self.make_group(node, ev, scope)
        if short.endswith(("Operator", "Sensor")) or short in ("GenericTransfer",) or _has_task_id(node):
            return self.make_task(name, node, scope)
        for arg in node.args:  # calls we do not know may still take tasks or task output
            if isinstance(arg, (ast.Call, ast.List, ast.Tuple, ast.BinOp)):
                self.value(arg, scope)
        value = self.env.file_call(ev, node)  # the repository's listings and config files
        return ev.builtin_call(node) if value is NOT_HANDLED else value

    def make_object(self, cls: ClassRef, node: ast.Call, scope: dict[str, Any]) -> Any:
        """An instance of a class of fields: keyword arguments (positional ones in field order) over its defaults."""
        names = field_order(cls)
        if len(node.args) > len(names) or any(isinstance(a, ast.Starred) for a in node.args):
            return UNKNOWN
        attrs: dict[str, Any] = {}
        for name, arg in zip(names, node.args):
            attrs[name] = self.value(arg, scope)
        for kw in node.keywords:
            if kw.arg is None:
                spread = self.value(kw.value, scope)
                if not isinstance(spread, dict):
                    return UNKNOWN
                attrs.update(spread)
            else:
                attrs[kw.arg] = self.value(kw.value, scope)
        return ObjectRef(cls, attrs)

    def _is_class(self, func: ast.expr, ev: Evaluator, scope: dict[str, Any]) -> bool:
        target = self.callee(func, scope)
        if isinstance(target, ClassRef):
            return True
        if target is not None:
            return False
        return ev.qualified(func).rsplit(".", 1)[-1].endswith(("Operator", "Sensor"))

    def function_ref(self, node: ast.FunctionDef, scope: dict[str, Any]) -> FunctionRef:
        ev = self.evaluator(scope)
        for decorator in node.decorator_list:
            call = decorator if isinstance(decorator, ast.Call) else None
            qualified = ev.qualified(call.func if call else decorator)
            kwargs = {k.arg: ev.eval(k.value) for k in (call.keywords if call else []) if k.arg}
            if call and call.args and qualified.rsplit(".", 1)[-1] == "task_group":
                kwargs.setdefault("group_id", ev.eval(call.args[0]))
            short = qualified.rsplit(".", 1)[-1]
            astro = _astro().decorator(qualified)
            if astro:  # @aql.transform, @aql.run_raw_sql, @aql.dataframe: tasks whose tables are objects
                return FunctionRef(node, "task", kwargs, decorator_name=astro, scope=scope, module=self.ctx)
            if qualified in DAG_DECORATORS or short == "dag":
                return FunctionRef(node, "dag", kwargs, scope=scope, module=self.ctx)
            if short == "task_group":
                return FunctionRef(node, "group", kwargs, scope=scope, module=self.ctx)
            head, _, flavour = qualified.partition(".task.") if ".task." in qualified else (qualified, "", "")
            if qualified in TASK_DECORATORS or short == "task" or qualified.startswith("task.") or flavour:
                kind = flavour or (qualified.split(".", 1)[1] if qualified.startswith("task.") else "")
                label = f"@task.{kind}" if kind and kind != "python" else "@task"
                return FunctionRef(node, "task", kwargs, decorator_name=label, scope=scope, module=self.ctx)
        return FunctionRef(node, "plain", scope=scope, module=self.ctx)

    def class_ref(self, node: ast.ClassDef, scope: dict[str, Any]) -> ClassRef:
        ev = self.evaluator(scope)
        bases: list[Any] = []
        for base in node.bases:
            target = self.callee(base, scope)
            bases.append(target if isinstance(target, ClassRef) else ev.qualified(base))
        attrs: dict[str, Any] = {}
        for stmt in node.body:
            if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
                attrs[stmt.targets[0].id] = ev.eval(stmt.value)
            elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) and stmt.value is not None:
                attrs[stmt.target.id] = ev.eval(stmt.value)
        init = next((n for n in node.body if isinstance(n, ast.FunctionDef) and n.name == "__init__"), None)
        return ClassRef(node.name, bases, attrs, module=self.ctx, init=init, scope=scope, node=node)

    def call_function(self, fn: FunctionRef, node: ast.Call, scope: dict[str, Any]) -> Any:
        if fn.kind == "task":
            return self.make_taskflow(fn, node, scope)
        if self.depth >= self.budget.limits.call_depth:
            self.report(f"calls nested deeper than {self.budget.limits.call_depth} ({self.where(node.lineno)}, "
                        f"{fn.node.name}): their result is not known", self.at(node.lineno))
            return UNKNOWN
        bound = self.bind_arguments(fn, node, scope)
        local = dict(fn.scope)
        local.update(bound)
        dag_pushed = group_pushed = False
        result: Any = None
        outer_ctx = self.ctx
        if fn.kind == "dag":
            ev = self.evaluator(local)
            spec = self.new_dag(self.known_id(fn.decorator_kwargs.get("dag_id"), fn.node.name, "dag_id", fn.node.lineno),
                                fn.node.lineno, fn.decorator_kwargs, ev)
            self.dag_stack.append(spec)
            dag_pushed = True
            result = DagRef(spec)
        elif fn.kind == "group":
            group = self.new_group(fn.decorator_kwargs.get("group_id") or fn.node.name, fn.decorator_kwargs, fn.node.lineno)
            self.group_stack.append(group)
            group_pushed = True
            result = group
        created_before = self.created
        self.depth += 1
        if fn.module is not None:
            self.ctx = fn.module
        try:
            self.exec_block(fn.node.body, local)
        except _Return as r:
            result = r.value if not (dag_pushed or group_pushed) else result
        finally:
            self.depth -= 1
            self.ctx = outer_ctx
            if dag_pushed:
                self.dag_stack.pop()
            if group_pushed:
                self.group_stack.pop()
        if fn.kind == "plain" and self.created == created_before and _has_task_id(node) and not isinstance(result, TaskRef):
            return self.make_task(fn.node.name, node, scope)  # a wrapper we could not follow: still a task
        return result

    def bind_arguments(self, ref: FunctionRef, node: ast.Call, scope: dict[str, Any]) -> dict[str, Any]:
        """The function's parameters as Python binds them: defaults (from where it was defined), positionals, *args, **kwargs."""
        module = ref.module or self.ctx
        definition_ev = Evaluator(ref.scope, module.path, module.imports, self.budget, self.env)
        positional: list[Any] = []
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                spread = iterable(self.evaluator(scope).eval(arg.value))
                positional.extend(spread if spread is not None else [UNKNOWN])
            else:
                positional.append(self.value(arg, scope))
        keywords: dict[str, Any] = {}
        for kw in node.keywords:
            value = self.value(kw.value, scope)
            if kw.arg is not None:
                keywords[kw.arg] = value
            elif isinstance(value, dict):
                keywords.update(value)
        return bind_parameters(ref.node, positional, keywords, definition_ev.eval)


_MISSING: Any = object()


def _has_task_id(node: ast.Call) -> bool:
    return any(k.arg == "task_id" for k in node.keywords)


def _cosmos() -> Any:
    """overlay/discover/cosmos/calls.py, loaded when a file calls Cosmos (it brings dbt's readers and extraction)."""
    from overlay.discover.cosmos import calls

    return calls


def _astro() -> Any:
    """overlay/discover/astro/calls.py, loaded when a file uses the Astro SDK."""
    from overlay.discover.astro import calls

    return calls
