"""Building the records static discovery returns: DagSpec, TaskSpec, task groups; only plain data goes in."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from overlay.discover.evaluate import UNKNOWN, Evaluator, is_data, is_known, known_part, plain
from overlay.discover.nested import nested_sql
from overlay.discover.static.helpers import callable_helpers
from overlay.discover.static.operator_code import operator_code
from overlay.discover.static.inits import method_of, read_init, usable
from overlay.discover.static.refs import (ClassRef, DagRef, FunctionRef, ModuleCtx, ModuleRef, ObjectRef, TaskGroupRef, TaskRef,
                                          link)
from overlay.model import DagSpec, TaskSpec

if TYPE_CHECKING:
    from overlay.discover.static.effects import Effect
    from overlay.discover.static.scanner import StaticScanner

_NOT_ARGS = ("dag", "python_callable", "on_failure_callback", "on_success_callback", "sla_miss_callback", "task_group",
             "on_retry_callback", "on_execute_callback", "pre_execute", "post_execute")


def _wanted(task: TaskSpec) -> set[str]:
    """The attributes of a custom operator that say what it reads and writes."""
    return set(task.template_fields) | {"sql", "conn_id", "database", "schema", "destination_table"}


def _set_argument(task: TaskSpec, name: str, value: Any) -> None:
    if usable(value):
        task.args[name] = plain(value)
        if name in task.unknown_args:
            task.unknown_args.remove(name)
    else:
        task.args.pop(name, None)
        if name not in task.unknown_args:
            task.unknown_args.append(name)


def apply_class(task: TaskSpec, cls: ClassRef, effect_of: Callable[[ClassRef], Effect] | None = None) -> None:
    """A task of a repository operator class: the operator whose rule applies, the class as written, its
    template_fields; for a class read as its own operator, what its code reaches when that says why not."""
    task.operator_class = cls.name
    no_table = (lambda c: effect_of(c).kind == "none") if effect_of is not None else None
    task.operator = "|".join(o.rsplit(".", 1)[-1] for o in cls.effective_operator(no_table).split("|"))
    if effect_of is not None and task.operator == cls.name and not cls.choices:
        task.operator_effect = effect_of(cls).reason(cls.name)
    fields = cls.attr("template_fields")
    if isinstance(fields, (list, tuple)) and all(isinstance(f, str) for f in fields):
        task.template_fields = list(fields)
    elif isinstance(fields, str):
        task.template_fields = [fields]


MAX_FILE_CODE = 250_000  # characters of repository source one file's tasks carry for extraction (DagSpec.code)


COMMAND_ARGS = frozenset({"bash_command", "command"})  # shell commands kept as text with stand-ins when built in part

class SpecBuilder:
    """Mixed into ``StaticScanner``: turns what the interpreter found into records."""

    def known_id(self: StaticScanner, value: Any, fallback: str | None, what: str, line: int | None) -> str:
        """``value`` when it is a known string; ``fallback`` when none was given; else a placeholder, reported."""
        if isinstance(value, str) and value:
            return value
        if value is None and fallback:
            return fallback
        self.report(f"{what} not known statically ({self.where(line)})", self.at(line))
        return self.placeholder(what, line)

    def placeholder(self: StaticScanner, what: str, line: int | None) -> str:
        """A stand-in id that is unique per scanned file and call site (never a name Airflow would give)."""
        return f"<unknown {what} at {Path(self.path).name}:{self.at(line)}>"

    # --- DAGs ------------------------------------------------------------------------------
    def make_dag(self: StaticScanner, node: ast.Call, ev: Evaluator, scope: dict[str, Any]) -> DagSpec:
        kwargs: dict[str, Any] = {}
        for k in node.keywords:  # in order: `DAG(default_args=d, **kwargs)` from a helper, keywords of the spread too
            value = ev.eval(k.value)
            if k.arg:
                kwargs[k.arg] = value
            elif isinstance(value, dict):
                kwargs.update({name: v for name, v in value.items() if isinstance(name, str)})
        dag_id = ev.eval(node.args[0]) if node.args else kwargs.get("dag_id")
        if not isinstance(dag_id, str):
            self.report(f"dag_id not known statically ({self.where(node.lineno)})", self.at(node.lineno))
        return self.new_dag(dag_id if isinstance(dag_id, str) else self.placeholder("dag_id", node.lineno), node.lineno, kwargs, ev)

    def new_dag(self: StaticScanner, dag_id: str, line: int, kwargs: dict[str, Any], ev: Evaluator) -> DagSpec:
        default_args = kwargs.get("default_args")
        default_args = {k: v for k, v in default_args.items() if isinstance(k, str) and is_known(v) and is_data(v)} \
            if isinstance(default_args, dict) else {}
        schedule = kwargs.get("schedule", kwargs.get("schedule_interval"))
        searchpath = kwargs.get("template_searchpath") or []
        searchpath = [searchpath] if isinstance(searchpath, str) else [s for s in searchpath if isinstance(s, str)] \
            if isinstance(searchpath, (list, tuple)) else []
        base = Path(self.path).parent
        tags = kwargs.get("tags")
        owner_links = kwargs.get("owner_links")
        spec = DagSpec(
            dag_id=dag_id, file=self.path, line=self.site_line if self.ctx is not self.main else line, mode="static",
            owners=[o.strip() for o in str(default_args.get("owner", "")).split(",") if o.strip()],
            owner_links={str(k): str(v) for k, v in owner_links.items() if _scalar(v)} if isinstance(owner_links, dict) else {},
            tags=[t for t in tags if isinstance(t, str)] if isinstance(tags, (list, tuple, set)) else [],
            schedule=str(schedule) if _scalar(schedule) and schedule is not None else None,
            default_args=plain(default_args),
            params=_known_dict(kwargs.get("params")),
            template_searchpath=[str((base / p).resolve()) for p in searchpath],
            user_defined_macros=_known_dict(kwargs.get("user_defined_macros")),
        )
        self.dags.append(spec)
        return spec

    def current_dag(self: StaticScanner, node: ast.Call, scope: dict[str, Any]) -> DagSpec | None:
        for kw in node.keywords:
            if kw.arg == "dag":
                value = self.value(kw.value, scope)
                if isinstance(value, DagRef):
                    return value.spec
            elif kw.arg is None:  # **kwargs carrying dag=
                spread = self.value(kw.value, scope)
                if isinstance(spread, dict) and isinstance(spread.get("dag"), DagRef):
                    return spread["dag"].spec
        return self.dag_stack[-1] if self.dag_stack else None

    # --- task groups ---------------------------------------------------------------------------
    def make_group(self: StaticScanner, node: ast.Call, ev: Evaluator, scope: dict[str, Any]) -> TaskGroupRef:
        kwargs = {k.arg: ev.eval(k.value) for k in node.keywords if k.arg}
        group_id = ev.eval(node.args[0]) if node.args else kwargs.get("group_id")
        parent = next((self.value(k.value, scope) for k in node.keywords if k.arg == "parent_group"), None)
        return self.new_group(group_id, kwargs, node.lineno, parent if isinstance(parent, TaskGroupRef) else None)

    def new_group(self: StaticScanner, group_id: Any, kwargs: dict[str, Any], line: int,
                  parent: TaskGroupRef | None = None) -> TaskGroupRef:
        parent = parent or (self.group_stack[-1] if self.group_stack else None)
        label = self.known_id(group_id, None, "group_id", line)
        full = parent.child_id(label) if parent is not None else label
        dag = self.dag_stack[-1].dag_id if self.dag_stack else ""
        count = self.group_counts.get((dag, full), 0)
        self.group_counts[(dag, full)] = count + 1
        if count:  # Airflow numbers a group id used again (a @task_group called twice)
            full = f"{full}__{count}"
        prefix = kwargs.get("prefix_group_id", True)
        own = kwargs.get("default_args")
        own = {k: plain(v) for k, v in own.items() if isinstance(k, str) and is_known(v) and is_data(v)} \
            if isinstance(own, dict) else {}
        # Airflow's TaskGroup: the parent group's default_args, then its own over them
        default_args = {**(parent.default_args if parent is not None else {}), **own}
        return TaskGroupRef(full, prefix is not False, parent, default_args=default_args)

    def current_group(self: StaticScanner, node: ast.Call, scope: dict[str, Any]) -> TaskGroupRef | None:
        for kw in node.keywords:
            if kw.arg == "task_group":
                value = self.value(kw.value, scope)
                if isinstance(value, TaskGroupRef):
                    return value
        return self.group_stack[-1] if self.group_stack else None

    # --- tasks ---------------------------------------------------------------------------------
    def make_task(self: StaticScanner, qualified: str, node: ast.Call, scope: dict[str, Any], cls: ClassRef | None = None) -> Any:
        ev = self.evaluator(scope)
        dag = self.current_dag(node, scope)
        group = self.current_group(node, scope)
        operator = qualified.rsplit(".", 1)[-1]
        line = node.lineno if self.ctx is self.main else self.site_line
        task = TaskSpec(dag_id=dag.dag_id if dag else "", task_id="", operator=operator, file=self.path, line=line)
        if cls is not None:
            apply_class(task, cls, self.effect_of)
            if "BaseOperator" in task.operator.split("|") and not self.arguments_touch_no_table(node, scope):
                task.operator = cls.name  # what it is given may touch a table: not known
        task.args = merged_defaults(dag, group)
        objects = self.apply_kwargs(task, node, ev)
        if cls is not None:
            self.init_arguments(task, cls, node, ev, objects)
            if task.operator == cls.name and cls.runs_own_code():  # no rule: read by its own code
                keywords = {**task.args, **{n: UNKNOWN for n in task.unknown_args if "." not in n}, **objects}
                task.operator_code = operator_code(self, cls, node, ev, keywords, constants_used)
        templated_sql(task, objects)
        task_id = task.args.pop("task_id", None)
        if not isinstance(task_id, str) or not task_id:
            self.report(f"{operator} ({self.where(node.lineno)}): task_id not known statically", self.at(node.lineno))
            return UNKNOWN
        task.task_id = group.child_id(task_id) if group is not None else task_id
        callable_node = next((k.value for k in node.keywords if k.arg == "python_callable"), None)
        ref_fn = self.callee(callable_node, scope) if callable_node is not None else None
        if isinstance(callable_node, ast.Lambda):  # python_callable=lambda: print("start")
            ref_fn, source = lambda_function(callable_node, scope, self.ctx)
            task.callable_name, task.callable_source = ref_fn.node.name, source
            task.callable_scope = constants_used(ref_fn.node, ref_fn.scope)
            self.note_callable_effect(task, ref_fn)
        elif isinstance(ref_fn, FunctionRef):
            task.callable_name, task.callable_source = ref_fn.node.name, (ref_fn.module or self.ctx).segment(ref_fn.node) or None
            task.callable_scope = constants_used(ref_fn.node, ref_fn.scope)
            self.note_callable_effect(task, ref_fn)
        task.owner = str(task.args.get("owner")) if _scalar(task.args.get("owner")) and task.args.get("owner") else None
        return self.register(task, dag, group, node)

    def note_callable_effect(self: StaticScanner, task: TaskSpec, fn: FunctionRef) -> None:
        """What the callable's code reaches (repository helpers it calls included), for extraction to tell a callable
        that touches no table from one whose helpers do."""
        try:
            effect = self.callable_effect(fn)
        except Exception:  # an odd function: not known, never the DAG lost
            task.callable_effect = "unknown"
            return
        task.callable_effect = effect.kind
        if effect.kind != "none":
            task.callable_helpers = self.shared((fn.node, fn.scope), f"callable:{fn.node.name}",
                                                lambda: self.callable_listing(fn))
        if effect.finding is not None:
            task.callable_effect_ref = f"{effect.finding.what} {effect.finding.reference} ({effect.finding.where})"
        elif effect.unknown_ref:
            task.callable_effect_ref = effect.unknown_ref

    def callable_listing(self: StaticScanner, fn: FunctionRef) -> dict[str, Any]:
        listing = callable_helpers(self, fn, constants_used)
        module = fn.module or self.ctx
        if module is not self.main:  # defined in another module: where reasons point
            shown = self.repo.display(module.path) if self.repo else module.path
            listing["origin"] = {"file": module.path, "shown": shown, "line": fn.node.lineno}
        return listing if any(listing.get(k) for k in ("functions", "origin", "handles", "hook_bases", "aliases")) else {}

    def shared(self: StaticScanner, objects: tuple[Any, ...], name: str, make: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        """``{"ref": key}`` of repository code listed once per file however many tasks run it (the DAG carries the
        listing itself under ``code``); empty when there is nothing to list. ``objects`` say what the listing is of
        (a function's node and scope, a class): kept with the key, so no other object takes their ids while cached."""
        identity = tuple(id(o) for o in objects)
        cached = self.code_keys.get(identity)
        if cached is None or any(a is not b for a, b in zip(cached[1], objects)):
            made = make()
            # the functions and methods it lists go to the file's table once (five callables driving one class share it)
            listing = {k: v for k, v in made.items() if k != "functions"}
            new = {k: v for k, v in made.get("functions", {}).items() if k not in self.code}
            size = len(listing.get("source", "")) + sum(len(f["source"]) for f in new.values())
            if not listing or self.code_size + size > MAX_FILE_CODE:  # beyond it: the effect analysis' reason stays
                key = ""
            else:
                self.code_size += size
                self.code.update(new)
                key = name if name not in self.code else f"{name}#{len(self.code)}"
                self.code[key] = listing
            cached = self.code_keys[identity] = (key, objects)
        return {"ref": cached[0]} if cached[0] else {}

    def init_arguments(self: StaticScanner, task: TaskSpec, cls: ClassRef, node: ast.Call, ev: Evaluator,
                       objects: dict[str, Any] | None = None) -> None:
        """A custom operator's ``__init__`` that stores a parameter as an operator attribute (``self.sql = query``,
        ``self.conn_id = conn``): the attribute gets the argument (or the parameter's default), as at run time."""
        owner = cls.init_of()
        if owner is None or owner.init is None:
            return
        self.stored_arguments(task, owner, node, ev)
        self.base_arguments(task, cls, node, ev, objects or {})

    def base_arguments(self: StaticScanner, task: TaskSpec, cls: ClassRef, node: ast.Call, ev: Evaluator,
                       objects: dict[str, Any]) -> None:
        """What the ``__init__`` passes to ``super().__init__`` (``sql=f"... {table}"``) is the task's argument; an
        attribute it sets from an expression (``self.sql = f"..."``) too, where nothing set it already. Arguments
        that are objects (``checks=[...]``) reach the body as they are."""
        positional = [ev.eval(a) for a in node.args if not isinstance(a, ast.Starred)]
        keywords = {**task.args, **{n: UNKNOWN for n in task.unknown_args if "." not in n}, **objects}
        got = read_init(cls, positional, keywords, self.budget, self.env)
        if got.callable_method is not None and not task.callable_source:  # python_callable=self.check in __init__
            owner_cls, name = got.callable_method
            method = method_of(cls, name) or method_of(owner_cls, name)
            module = owner_cls.module or self.ctx
            if method is not None:
                fn = FunctionRef(method, "plain", scope=owner_cls.scope, module=module)
                task.callable_name, task.callable_source = method.name, module.segment(method) or None
                task.callable_scope = constants_used(method, owner_cls.scope)
                self.note_callable_effect(task, fn)
        wanted = _wanted(task)
        for attr, value in got.attributes.items():
            if (attr in wanted or attr.endswith("conn_id")) and attr not in task.args and attr not in task.unknown_args:
                _set_argument(task, attr, value)
        if not got.reached_base:
            return
        for name, value in got.passed.items():
            if name in keywords and keywords[name] is value or name in _NOT_ARGS:
                continue  # passed through as the task gave it
            _set_argument(task, name, value)

    def stored_arguments(self: StaticScanner, task: TaskSpec, owner: ClassRef, node: ast.Call, ev: Evaluator) -> None:
        fn = owner.init
        assert fn is not None
        params = [a.arg for a in fn.args.posonlyargs + fn.args.args][1:]  # without self
        wanted = _wanted(task)
        stored: dict[str, str] = {}
        for stmt in ast.walk(fn):
            if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.value, ast.Name):
                target = stmt.targets[0]
                if isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name) and target.value.id == "self" \
                        and (target.attr in wanted or target.attr.endswith("conn_id")):
                    stored[stmt.value.id] = target.attr
        if not stored:
            return
        module = owner.module or self.ctx
        defaults_ev = Evaluator(owner.scope, module.path, module.imports, self.budget, self.env)
        positional = fn.args.posonlyargs + fn.args.args
        defaults = dict(zip([a.arg for a in positional[len(positional) - len(fn.args.defaults):]], fn.args.defaults))
        defaults.update({a.arg: d for a, d in zip(fn.args.kwonlyargs, fn.args.kw_defaults) if d is not None})
        given = {name: ev.eval(arg) for name, arg in zip(params, node.args) if not isinstance(arg, ast.Starred)}
        for param, attr in stored.items():
            if attr in task.args or attr in task.unknown_args:
                continue
            if param in given:
                value = given[param]
            elif param in task.args:
                value = task.args[param]
            elif param in task.unknown_args:
                task.unknown_args.append(attr)
                continue
            elif param in defaults:
                value = defaults_ev.eval(defaults[param])
            else:
                continue
            if is_known(value) and is_data(value):
                task.args[attr] = plain(value)
            else:
                task.unknown_args.append(attr)

    def register(self: StaticScanner, task: TaskSpec, dag: DagSpec | None, group: TaskGroupRef | None, node: ast.Call) -> TaskRef:
        ref = TaskRef(task, dag)
        self.created += 1
        if group is not None:
            group.add(ref)
        if dag is None:
            if self.floating is not None:  # inside an instance's __init__: counted, said once for the call
                self.floating += 1
            elif not self.module_mode:  # said at the end of the file unless `>>` links it to a DAG's task first
                self.orphans.append((ref, self.where(node.lineno), self.at(node.lineno)))
            return ref
        dag.tasks.append(task)
        return ref

    def apply_kwargs(self: StaticScanner, task: TaskSpec, node: ast.Call, ev: Evaluator) -> dict[str, Any]:
        """The call's keyword arguments as the task's (plain data); returns those that are objects the interpreter
        made (a repository class's instances), which are not data but an ``__init__`` or nested templating reads."""
        objects: dict[str, Any] = {}
        for kw in node.keywords:
            if kw.arg is None:
                spread = ev.eval(kw.value)
                if isinstance(spread, dict):
                    for k, v in spread.items():
                        if not isinstance(k, str) or k in _NOT_ARGS:
                            continue
                        if is_known(v) and is_data(v):
                            task.args[k] = plain(v)
                        elif k not in task.unknown_args:
                            task.unknown_args.append(k)
                continue
            if kw.arg in _NOT_ARGS:
                continue
            value = ev.eval(kw.value)
            if kw.arg == "default_args" and isinstance(value, dict):  # over the DAG's and the group's, under explicit arguments
                explicit = {k.arg for k in node.keywords if k.arg}
                task.args.update({k: plain(v) for k, v in value.items() if isinstance(k, str) and is_known(v) and is_data(v)
                                  and k not in explicit})
            elif is_known(value) and is_data(value):
                task.args[kw.arg] = plain(value)
            elif isinstance(value, dict):  # known in part: keep the known keys, name the unknown ones
                known, missing = known_part(value)
                task.args[kw.arg] = plain(known)
                task.unknown_args.extend(f"{kw.arg}.{m}" for m in missing if f"{kw.arg}.{m}" not in task.unknown_args)
            elif kw.arg in COMMAND_ARGS and (built := self.command_text(kw.value, ev)) is not None:
                task.args[kw.arg], standins = built  # `f"python {dags}/load.py {uri}"`: the command, `uri` a stand-in
                task.standins.update(standins)
            else:
                if holds_objects(value):
                    objects[kw.arg] = value
                if kw.arg not in task.unknown_args:
                    task.unknown_args.append(kw.arg)
                origin = self.origins.of(kw.value, ev)
                if origin:  # the report can name the setting that would give it
                    task.unknown_origins[kw.arg] = ", ".join(origin)
        return objects

    def command_text(self: StaticScanner, node: ast.expr, ev: Evaluator) -> tuple[str, dict[str, str]] | None:
        """A shell command built from text and values not known statically (`f"python {folder}/load.py {uri}"`): the
        text with a stand-in for each unknown value, and what each stands for; None when it is not built that way."""
        from overlay.extract.python.partial_text import PartialText  # the builder code-built SQL uses too

        def why(part: ast.expr) -> str:
            origin = self.origins.of(part, ev)
            return f"it comes from {', '.join(origin)}" if origin else "a value not known statically"

        texts = PartialText(ev.eval, {}, why, lambda part: self.where(getattr(part, "lineno", None)))
        built = texts.text(node)
        return (built, dict(texts.standins)) if built is not None else None

    def numbered_id(self: StaticScanner, dag: DagSpec | None, group: TaskGroupRef | None, label: str) -> str:
        """The id Airflow gives a task made without an explicit id (`@task` functions, the Astro SDK's): the label in
        its group, numbered `__1`, `__2`... when it is used again in the DAG (``get_unique_task_id``)."""
        base = group.child_id(label) if group is not None else label
        key = (dag.dag_id if dag else "", base)
        count = self.taskflow_counts.get(key, 0)
        self.taskflow_counts[key] = count + 1
        return base if count == 0 else f"{base}__{count}"

    def make_taskflow(self: StaticScanner, fn: FunctionRef, node: ast.Call, scope: dict[str, Any], mapped: bool = False) -> Any:
        dag = self.current_dag(node, scope)
        group = self.current_group(node, scope)
        declared = fn.decorator_kwargs.get("task_id")
        task_id = self.numbered_id(dag, group, declared if isinstance(declared, str) and declared else fn.node.name)
        module = fn.module or self.ctx
        line = fn.node.lineno if module is self.main else self.site_line
        task = TaskSpec(dag_id=dag.dag_id if dag else "", task_id=task_id, operator=fn.decorator_name, file=self.path, line=line)
        task.args = merged_defaults(dag, group)
        task.args.update({k: plain(v) for k, v in fn.decorator_kwargs.items() if isinstance(k, str) and is_known(v) and is_data(v) and k != "task_id"})
        task.callable_name, task.callable_source = fn.node.name, module.segment(fn.node) or None
        task.callable_scope = constants_used(fn.node, fn.scope)
        self.note_callable_effect(task, fn)
        bound = self.bind_arguments(fn, node, scope) if not mapped else {}
        upstream = [v for v in bound.values() if isinstance(v, TaskRef)]
        task.args["op_kwargs"] = {k: plain(v) for k, v in bound.items() if is_known(v) and is_data(v)}
        if mapped:
            ev = self.evaluator(scope)
            for kw in node.keywords:
                value = ev.eval(kw.value) if kw.arg else UNKNOWN
                if kw.arg and is_known(value) and is_data(value):
                    task.args["op_kwargs"][kw.arg] = plain(value)
        if fn.decorator_name.startswith("@aql."):  # the Astro SDK's decorators (overlay/discover/astro)
            from overlay.discover.astro.calls import taskflow

            taskflow(self, fn, task, node, scope, bound)
        if fn.decorator_name in ("@task.sql", "@task.bash"):
            returned = self.returned_value(fn, bound)
            key = "sql" if fn.decorator_name == "@task.sql" else "bash_command"
            if is_known(returned) and returned is not None and is_data(returned):
                task.args[key] = plain(returned)
            else:
                task.unknown_args.append(key)
        task.owner = str(task.args.get("owner")) if _scalar(task.args.get("owner")) and task.args.get("owner") else None
        ref = self.register(task, dag, group, node)
        for up in upstream:
            link(up, ref)
        return ref

    def returned_value(self: StaticScanner, fn: FunctionRef, bound: dict[str, Any]) -> Any:
        from overlay.discover.static.scanner import _Return

        local = dict(fn.scope)
        local.update(bound)
        outer = self.ctx
        self.ctx = fn.module or self.ctx
        try:
            self.exec_block(fn.node.body, local)
        except _Return as r:
            return r.value
        finally:
            self.ctx = outer
        return UNKNOWN


def holds_objects(value: Any) -> bool:
    """An instance the interpreter made, or a list of them."""
    items = value if isinstance(value, (list, tuple)) else [value]
    return bool(items) and all(isinstance(i, ObjectRef) for i in items)


def templated_sql(task: TaskSpec, objects: dict[str, Any]) -> None:
    """Where the task has no ``sql`` of its own, the SQL of the objects in its template fields (nested templating,
    ``overlay.discover.nested``) is its ``sql``; one not known makes it unknown (never dropped)."""
    if "sql" in task.args or "sql" in task.unknown_args:
        return
    values = [objects[name] for name in task.template_fields if name in objects]
    texts, unknown = nested_sql(values, lambda item: item.get("template_fields"), lambda item, name: item.get(name))
    if unknown:
        task.unknown_args.append("sql")
    elif texts:
        task.args["sql"] = texts[0] if len(texts) == 1 else texts


def constants_used(fn: ast.FunctionDef, scope: dict[str, Any]) -> dict[str, Any]:
    """Module-level constants a function refers to (in its body or its defaults), JSON-ready; a constant of an
    imported repository module or class it reads as ``module.NAME`` (``sqls.check_table``, ``SqlQueries.insert``) under
    that dotted key."""
    nodes = list(ast.walk(fn))
    names = {n.id for n in nodes if isinstance(n, ast.Name)}
    found = {name: plain(scope[name]) for name in sorted(names) if name in scope and is_known(scope[name]) and is_data(scope[name])}
    for node in nodes:
        if not (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)):
            continue
        base = scope.get(node.value.id)
        if isinstance(base, ModuleRef):
            value = base.scope.get(node.attr)
        elif isinstance(base, ClassRef) and not base.choices:  # `SqlQueries.insert_songs`, a class-level constant
            value = base.attr(node.attr)
        else:
            continue
        if value is not None and is_known(value) and is_data(value):
            found[f"{node.value.id}.{node.attr}"] = plain(value)
    return found


def merged_defaults(dag: DagSpec | None, group: TaskGroupRef | None) -> dict[str, Any]:
    """The default arguments a task starts from, as Airflow merges them: the DAG's, then its task group's over them."""
    args = dict(dag.default_args) if dag else {}
    if group is not None:
        args.update(group.default_args)
    return args


def _scalar(value: Any) -> bool:
    return value is None or isinstance(value, (str, int, float, bool))


def _known_dict(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        return {}
    return plain({k: v for k, v in value.items() if isinstance(k, str) and is_known(v) and is_data(v)})


def unique_tasks(tasks: list[TaskSpec]) -> list[TaskSpec]:
    seen: dict[str, TaskSpec] = {}
    for task in tasks:
        seen.setdefault(task.task_id, task)
    return list(seen.values())


def code_used(code: dict[str, Any], refs: set[str]) -> dict[str, Any]:
    """The entries of a file's code table that the listings ``refs`` reach: the listings, the functions their names
    call, a class's methods, transitively."""
    used: dict[str, Any] = {}
    pending = list(refs)
    while pending:
        key = pending.pop()
        if key in used or key not in code:
            if key.startswith("class:"):
                prefix = key[len("class:"):] + "."
                pending.extend(k for k in code if k.startswith(prefix) and k not in used)
            continue
        entry = used[key] = code[key]
        pending.extend(entry.get("names", {}).values())
    return dict(sorted(used.items()))


def lambda_function(node: ast.Lambda, scope: dict[str, Any], ctx: ModuleCtx) -> tuple[FunctionRef, str]:
    """A lambda given as a callable, as the function it stands for: ``def lambda_line_N(args): return (body)`` on the
    lambda's own line, so its calls are read, and reasons point, as for a ``def``."""
    name = f"lambda_line_{node.lineno}"
    source = f"def {name}({ast.unparse(node.args)}): return ({ast.unparse(node.body)})\n"
    tree = ast.parse(source)
    ast.increment_lineno(tree, node.lineno - 1)
    fn = tree.body[0]
    assert isinstance(fn, ast.FunctionDef)
    return FunctionRef(fn, "plain", scope=scope, module=ctx), source
