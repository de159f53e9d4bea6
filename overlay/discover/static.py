"""Static discovery: DAGs and tasks from a file's AST, without executing it.

An abstract interpreter over the module: it follows imports of both Airflow generations,
module constants, ``with DAG(...)``, ``DAG(...)`` + ``dag=``, ``@dag``/``@task`` functions,
operator instantiations, ``>>``/``<<``/``chain``/``set_upstream``, loops over literal
collections and factory functions called with literal arguments. Values it cannot compute are
left out (and named in ``unknown_args``), never guessed.
"""

from __future__ import annotations

import ast
import itertools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from overlay.discover.evaluate import UNKNOWN, Evaluator, is_data, is_known, plain
from overlay.model import DagSpec, FileError, TaskSpec

DAG_CLASSES = {"DAG", "airflow.DAG", "airflow.models.DAG", "airflow.models.dag.DAG", "airflow.sdk.DAG", "airflow.sdk.definitions.dag.DAG"}
DAG_DECORATORS = {"dag", "airflow.decorators.dag", "airflow.sdk.dag", "airflow.models.dag.dag", "airflow.sdk.definitions.dag.dag"}
TASK_DECORATORS = {"task", "airflow.decorators.task", "airflow.sdk.task", "airflow.operators.python.task"}
CHAIN = {"chain", "airflow.models.baseoperator.chain", "airflow.sdk.chain", "airflow.utils.helpers.chain"}
MAX_LOOP = 500
MAX_DEPTH = 6


@dataclass
class TaskRef:
    spec: TaskSpec

    def ids(self) -> list[str]:
        return [self.spec.task_id]


@dataclass
class TaskGroupRef:
    tasks: list[TaskRef] = field(default_factory=list)


@dataclass
class DagRef:
    spec: DagSpec


@dataclass
class FunctionRef:
    node: ast.FunctionDef
    kind: str  # plain | dag | task
    decorator_kwargs: dict[str, Any] = field(default_factory=dict)
    decorator_name: str = "@task"
    scope: dict[str, Any] = field(default_factory=dict)


class _Return(Exception):
    def __init__(self, value: Any) -> None:
        self.value = value


class StaticScanner:
    def __init__(self, path: str, source: str) -> None:
        self.path = path
        self.source = source
        self.imports: dict[str, str] = {}
        self.dags: list[DagSpec] = []
        self.errors: list[FileError] = []
        self.dag_stack: list[DagSpec] = []
        self.depth = 0
        self.taskflow_counts: dict[tuple[str, str], int] = {}

    # --- entry ------------------------------------------------------------------------
    def scan(self) -> tuple[list[DagSpec], list[FileError]]:
        try:
            tree = ast.parse(self.source, filename=self.path)
        except SyntaxError as e:
            return [], [FileError(self.path, f"SyntaxError: {e.msg}", e.lineno, stage="static")]
        scope: dict[str, Any] = {"__name__": "overlay_static_scan", "__file__": self.path}
        try:
            self.exec_block(tree.body, scope)
        except RecursionError:
            self.errors.append(FileError(self.path, "static analysis gave up: code nested too deeply", stage="static"))
        for dag in self.dags:
            dag.tasks = _unique_tasks(dag.tasks)
        return self.dags, self.errors

    # --- statements ---------------------------------------------------------------------
    def exec_block(self, body: list[ast.stmt], scope: dict[str, Any]) -> None:
        for stmt in body:
            try:
                self.exec_stmt(stmt, scope)
            except _Return:
                raise
            except RecursionError:
                raise
            except Exception as e:  # one odd statement must not lose the rest of the file
                self.errors.append(FileError(self.path, f"static analysis skipped a statement: {type(e).__name__}: {e}",
                                             getattr(stmt, "lineno", None), stage="static"))

    def exec_stmt(self, stmt: ast.stmt, scope: dict[str, Any]) -> None:
        ev = Evaluator(scope, self.path, self.imports)
        if isinstance(stmt, ast.Import):
            for alias in stmt.names:
                self.imports[alias.asname or alias.name.split(".")[0]] = alias.name if alias.asname else alias.name.split(".")[0]
        elif isinstance(stmt, ast.ImportFrom):
            for alias in stmt.names:
                self.imports[alias.asname or alias.name] = f"{stmt.module or ''}.{alias.name}".lstrip(".")
        elif isinstance(stmt, (ast.Assign, ast.AnnAssign)):
            value = self.value(stmt.value, scope) if stmt.value is not None else UNKNOWN
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            for target in targets:
                self.bind(target, value, scope)
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
            if test is UNKNOWN:
                self.exec_block(stmt.body, scope)
                self.exec_block(stmt.orelse, scope)
            else:
                self.exec_block(stmt.body if test else stmt.orelse, scope)
        elif isinstance(stmt, ast.FunctionDef):
            scope[stmt.name] = self.function_ref(stmt, scope)
        elif isinstance(stmt, ast.Return):
            raise _Return(self.value(stmt.value, scope) if stmt.value is not None else None)
        elif isinstance(stmt, ast.Try):
            self.exec_block(stmt.body, scope)
            self.exec_block(stmt.finalbody, scope)

    def bind(self, target: ast.expr, value: Any, scope: dict[str, Any]) -> None:
        if isinstance(target, ast.Name):
            scope[target.id] = value
        elif isinstance(target, (ast.Tuple, ast.List)):
            values = list(value) if isinstance(value, (list, tuple)) and len(value) == len(target.elts) else [UNKNOWN] * len(target.elts)
            for t, v in zip(target.elts, values):
                self.bind(t, v, scope)

    def exec_with(self, stmt: ast.With, scope: dict[str, Any]) -> None:
        pushed = 0
        for item in stmt.items:
            value = self.value(item.context_expr, scope)
            if isinstance(value, DagRef):
                self.dag_stack.append(value.spec)
                pushed += 1
            if item.optional_vars is not None:
                self.bind(item.optional_vars, value, scope)
        try:
            self.exec_block(stmt.body, scope)
        finally:
            for _ in range(pushed):
                self.dag_stack.pop()

    def exec_for(self, stmt: ast.For, scope: dict[str, Any]) -> None:
        items = Evaluator(scope, self.path, self.imports).eval(stmt.iter)
        if isinstance(items, dict):
            items = list(items)
        if not isinstance(items, (list, tuple)):
            self.errors.append(FileError(self.path, "loop over values not known statically: its tasks are not listed",
                                         stmt.lineno, stage="static"))
            return
        for item in itertools.islice(items, MAX_LOOP):
            self.bind(stmt.target, item, scope)
            self.exec_block(stmt.body, scope)

    # --- expressions with effects ---------------------------------------------------------
    def value(self, node: ast.expr, scope: dict[str, Any]) -> Any:
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.RShift, ast.LShift)):
            left, right = self.value(node.left, scope), self.value(node.right, scope)
            upstream, downstream = (left, right) if isinstance(node.op, ast.RShift) else (right, left)
            link(upstream, downstream)
            return right
        if isinstance(node, (ast.List, ast.Tuple)) and any(isinstance(e, (ast.Call, ast.BinOp)) for e in node.elts):
            return [self.value(e, scope) for e in node.elts]
        if isinstance(node, ast.Name) and isinstance(scope.get(node.id), (TaskRef, DagRef, FunctionRef, list)):
            return scope[node.id]
        if isinstance(node, ast.Call):
            return self.call(node, scope)
        return Evaluator(scope, self.path, self.imports).eval(node)

    def call(self, node: ast.Call, scope: dict[str, Any]) -> Any:
        ev = Evaluator(scope, self.path, self.imports)
        func = node.func
        # method calls on tasks: set_upstream/set_downstream, .expand(), .partial()
        if isinstance(func, ast.Attribute):
            if func.attr in ("set_upstream", "set_downstream"):
                target = self.value(func.value, scope)
                other = self.value(node.args[0], scope) if node.args else None
                link(other, target) if func.attr == "set_upstream" else link(target, other)
                return None
            if func.attr in ("expand", "expand_kwargs", "partial") and not _is_class_call(func, ev):
                inner = self.value(func.value, scope)
                if isinstance(inner, TaskRef):
                    self.apply_kwargs(inner.spec, node, ev)
                    return inner
            if func.attr == "partial" and _is_class_call(func, ev):
                return self.make_task(ev.qualified(func.value), node, scope)
        name = ev.qualified(func)
        short = name.rsplit(".", 1)[-1]
        if name in DAG_CLASSES or short == "DAG":
            return DagRef(self.make_dag(node, ev, scope))
        if name in CHAIN:
            items = [self.value(a, scope) for a in node.args]
            for a, b in zip(items, items[1:]):
                link(a, b)
            return None
        if short.endswith(("Operator", "Sensor")) or short in ("GenericTransfer",):
            return self.make_task(name, node, scope)
        target = scope.get(func.id) if isinstance(func, ast.Name) else None
        if isinstance(target, FunctionRef):
            return self.call_function(target, node, scope)
        if name.endswith(("TaskGroup",)):
            return TaskGroupRef()
        for arg in node.args:  # calls we do not know may still take tasks or task output
            self.value(arg, scope)
        return ev.eval(node)

    def function_ref(self, node: ast.FunctionDef, scope: dict[str, Any]) -> FunctionRef:
        ev = Evaluator(scope, self.path, self.imports)
        for decorator in node.decorator_list:
            call = decorator if isinstance(decorator, ast.Call) else None
            qualified = ev.qualified(call.func if call else decorator)
            kwargs = {k.arg: ev.eval(k.value) for k in (call.keywords if call else []) if k.arg}
            if qualified in DAG_DECORATORS or qualified.rsplit(".", 1)[-1] == "dag":
                return FunctionRef(node, "dag", kwargs, scope=scope)
            head, _, flavour = qualified.partition(".task.") if ".task." in qualified else (qualified, "", "")
            if qualified in TASK_DECORATORS or qualified.rsplit(".", 1)[-1] == "task" or qualified.startswith("task.") or flavour:
                kind = flavour or (qualified.split(".", 1)[1] if qualified.startswith("task.") else "")
                label = f"@task.{kind}" if kind and kind != "python" else "@task"
                return FunctionRef(node, "task", kwargs, decorator_name=label, scope=scope)
        return FunctionRef(node, "plain", scope=scope)

    def call_function(self, fn: FunctionRef, node: ast.Call, scope: dict[str, Any]) -> Any:
        if fn.kind == "task":
            return self.make_taskflow(fn, node, scope)
        if self.depth >= MAX_DEPTH:
            return UNKNOWN
        local = dict(fn.scope)
        local.update(self.bind_arguments(fn.node, node, scope))
        dag_pushed = False
        result: Any = None
        if fn.kind == "dag":
            ev = Evaluator(local, self.path, self.imports)
            spec = self.new_dag(fn.decorator_kwargs.get("dag_id") or fn.node.name, fn.node.lineno, fn.decorator_kwargs, ev)
            self.dag_stack.append(spec)
            dag_pushed = True
            result = DagRef(spec)
        self.depth += 1
        try:
            self.exec_block(fn.node.body, local)
        except _Return as r:
            result = r.value if not dag_pushed else result
        finally:
            self.depth -= 1
            if dag_pushed:
                self.dag_stack.pop()
        return result

    def bind_arguments(self, fn: ast.FunctionDef, node: ast.Call, scope: dict[str, Any]) -> dict[str, Any]:
        params = [a.arg for a in fn.args.posonlyargs + fn.args.args]
        defaults = fn.args.defaults
        bound: dict[str, Any] = {}
        ev = Evaluator(scope, self.path, self.imports)
        for name, default in zip(params[len(params) - len(defaults):], defaults):
            bound[name] = ev.eval(default)
        for arg in fn.args.kwonlyargs:
            bound[arg.arg] = UNKNOWN
        for arg, default in zip(fn.args.kwonlyargs, fn.args.kw_defaults):
            if default is not None:
                bound[arg.arg] = ev.eval(default)
        for name, arg in zip(params, node.args):
            bound[name] = self.value(arg, scope)
        for kw in node.keywords:
            if kw.arg:
                bound[kw.arg] = self.value(kw.value, scope)
        for name in params:
            bound.setdefault(name, UNKNOWN)
        return bound

    # --- DAGs and tasks ----------------------------------------------------------------------
    def make_dag(self, node: ast.Call, ev: Evaluator, scope: dict[str, Any]) -> DagSpec:
        kwargs = {k.arg: ev.eval(k.value) for k in node.keywords if k.arg}
        dag_id = ev.eval(node.args[0]) if node.args else kwargs.get("dag_id")
        return self.new_dag(dag_id if isinstance(dag_id, str) else f"<unknown dag_id at line {node.lineno}>", node.lineno, kwargs, ev)

    def new_dag(self, dag_id: str, line: int, kwargs: dict[str, Any], ev: Evaluator) -> DagSpec:
        default_args = kwargs.get("default_args")
        default_args = {k: v for k, v in default_args.items() if is_known(v) and is_data(v)} if isinstance(default_args, dict) else {}
        schedule = kwargs.get("schedule", kwargs.get("schedule_interval"))
        searchpath = kwargs.get("template_searchpath") or []
        searchpath = [searchpath] if isinstance(searchpath, str) else [s for s in searchpath if isinstance(s, str)] if isinstance(searchpath, (list, tuple)) else []
        base = Path(self.path).parent
        spec = DagSpec(
            dag_id=dag_id, file=self.path, line=line, mode="static",
            owners=[o.strip() for o in str(default_args.get("owner", "")).split(",") if o.strip()],
            owner_links={str(k): str(v) for k, v in (kwargs.get("owner_links") or {}).items()} if isinstance(kwargs.get("owner_links"), dict) else {},
            tags=[t for t in (kwargs.get("tags") or []) if isinstance(t, str)] if isinstance(kwargs.get("tags"), (list, tuple, set)) else [],
            schedule=str(schedule) if is_known(schedule) and schedule is not None else None,
            default_args=plain(default_args),
            params=plain({k: v for k, v in (kwargs.get("params") or {}).items() if is_known(v) and is_data(v)}) if isinstance(kwargs.get("params"), dict) else {},
            template_searchpath=[str((base / p).resolve()) for p in searchpath],
            user_defined_macros=plain({k: v for k, v in (kwargs.get("user_defined_macros") or {}).items() if is_known(v) and is_data(v)})
            if isinstance(kwargs.get("user_defined_macros"), dict) else {},
        )
        self.dags.append(spec)
        return spec

    def make_task(self, qualified: str, node: ast.Call, scope: dict[str, Any]) -> TaskRef | Any:
        ev = Evaluator(scope, self.path, self.imports)
        dag = self.current_dag(node, scope)
        operator = qualified.rsplit(".", 1)[-1]
        task = TaskSpec(dag_id=dag.dag_id if dag else "", task_id="", operator=operator, file=self.path, line=node.lineno)
        task.args = dict(dag.default_args) if dag else {}
        self.apply_kwargs(task, node, ev)
        task_id = task.args.pop("task_id", None)
        if not isinstance(task_id, str):
            self.errors.append(FileError(self.path, f"{operator} at line {node.lineno}: task_id not known statically", node.lineno, stage="static"))
            return UNKNOWN
        task.task_id = task_id
        callable_node = next((k.value for k in node.keywords if k.arg == "python_callable"), None)
        if isinstance(callable_node, ast.Name) and isinstance(scope.get(callable_node.id), FunctionRef):
            ref = scope[callable_node.id]
            task.callable_name, task.callable_source = ref.node.name, ast.get_source_segment(self.source, ref.node)
            task.callable_scope = constants_used(ref.node, ref.scope)
        task.owner = str(task.args.get("owner")) if task.args.get("owner") else None
        if dag is None:
            self.errors.append(FileError(self.path, f"task {task_id!r} at line {node.lineno} belongs to no DAG found statically", node.lineno, stage="static"))
            return TaskRef(task)
        dag.tasks.append(task)
        return TaskRef(task)

    def apply_kwargs(self, task: TaskSpec, node: ast.Call, ev: Evaluator) -> None:
        for kw in node.keywords:
            if kw.arg is None:
                spread = ev.eval(kw.value)
                if isinstance(spread, dict):
                    task.args.update({k: plain(v) for k, v in spread.items() if is_known(v) and is_data(v)})
                continue
            if kw.arg in ("dag", "python_callable", "on_failure_callback", "on_success_callback", "sla_miss_callback"):
                continue
            value = ev.eval(kw.value)
            if kw.arg == "default_args" and isinstance(value, dict):
                task.args.update({k: plain(v) for k, v in value.items() if is_known(v) and is_data(v) and k not in task.args})
            elif is_known(value) and is_data(value):
                task.args[kw.arg] = plain(value)
            elif kw.arg not in task.unknown_args:
                task.unknown_args.append(kw.arg)

    def make_taskflow(self, fn: FunctionRef, node: ast.Call, scope: dict[str, Any]) -> TaskRef | Any:
        dag = self.current_dag(node, scope)
        base_id = fn.decorator_kwargs.get("task_id") or fn.node.name
        count_key = (dag.dag_id if dag else "", base_id)
        count = self.taskflow_counts.get(count_key, 0)
        self.taskflow_counts[count_key] = count + 1
        task_id = base_id if count == 0 else f"{base_id}__{count}"
        task = TaskSpec(dag_id=dag.dag_id if dag else "", task_id=task_id, operator=fn.decorator_name, file=self.path, line=fn.node.lineno)
        task.args = dict(dag.default_args) if dag else {}
        task.args.update({k: plain(v) for k, v in fn.decorator_kwargs.items() if is_known(v) and is_data(v) and k != "task_id"})
        task.callable_name, task.callable_source = fn.node.name, ast.get_source_segment(self.source, fn.node)
        task.callable_scope = constants_used(fn.node, fn.scope)
        bound = self.bind_arguments(fn.node, node, scope)
        upstream = [v for v in bound.values() if isinstance(v, TaskRef)]
        task.args["op_kwargs"] = {k: plain(v) for k, v in bound.items() if is_known(v) and is_data(v)}
        if fn.decorator_name in ("@task.sql", "@task.bash"):
            returned = self.returned_value(fn, bound)
            key = "sql" if fn.decorator_name == "@task.sql" else "bash_command"
            if is_known(returned) and returned is not None:
                task.args[key] = plain(returned)
            else:
                task.unknown_args.append(key)
        task.owner = str(task.args.get("owner")) if task.args.get("owner") else None
        ref = TaskRef(task)
        for up in upstream:
            link(up, ref)
        if dag is not None:
            dag.tasks.append(task)
        return ref

    def returned_value(self, fn: FunctionRef, bound: dict[str, Any]) -> Any:
        local = dict(fn.scope)
        local.update(bound)
        try:
            self.exec_block(fn.node.body, local)
        except _Return as r:
            return r.value
        return UNKNOWN

    def current_dag(self, node: ast.Call, scope: dict[str, Any]) -> DagSpec | None:
        for kw in node.keywords:
            if kw.arg == "dag":
                value = self.value(kw.value, scope)
                if isinstance(value, DagRef):
                    return value.spec
        return self.dag_stack[-1] if self.dag_stack else None


def constants_used(fn: ast.FunctionDef, scope: dict[str, Any]) -> dict[str, Any]:
    """Module-level constants a function refers to (in its body or its defaults), JSON-ready."""
    names = {n.id for n in ast.walk(fn) if isinstance(n, ast.Name)}
    return {name: plain(scope[name]) for name in sorted(names) if name in scope and is_known(scope[name]) and is_data(scope[name])}


def _is_class_call(func: ast.Attribute, ev: Evaluator) -> bool:
    short = ev.qualified(func.value).rsplit(".", 1)[-1]
    return short.endswith(("Operator", "Sensor"))


def _refs(value: Any) -> list[TaskRef]:
    if isinstance(value, TaskRef):
        return [value]
    if isinstance(value, (list, tuple)):
        return [r for v in value for r in _refs(v)]
    return []


def link(upstream: Any, downstream: Any) -> None:
    for down in _refs(downstream):
        for up in _refs(upstream):
            if up.spec.task_id not in down.spec.upstream and up.spec is not down.spec:
                down.spec.upstream.append(up.spec.task_id)


def _unique_tasks(tasks: list[TaskSpec]) -> list[TaskSpec]:
    seen: dict[str, TaskSpec] = {}
    for task in tasks:
        seen.setdefault(task.task_id, task)
    return list(seen.values())


def scan_source(path: str, source: str) -> tuple[list[DagSpec], list[FileError]]:
    return StaticScanner(path, source).scan()
