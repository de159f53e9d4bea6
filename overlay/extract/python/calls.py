"""SQL that Python callables send to databases, found in the callable's AST (nothing is run).

Database handles bound to names: Airflow hooks (``PostgresHook(postgres_conn_id=...)``,
``BaseHook.get_hook(conn_id)``, ``get_connection(id).get_hook()``), their connections, cursors,
engines and clients, and plain drivers (``psycopg2.connect``, ``create_engine``...). Calls on them
(``run``, ``get_records``, ``get_pandas_df``, ``get_df``, ``get_first``, ``execute``,
``copy_expert``, ``insert_rows``, ``bulk_load``, BigQuery's ``insert_job`` and client methods),
``pd.read_sql(sql, con)``, ``df.to_sql(name, con, schema=...)`` and ``write_pandas``. Loops over
known lists are unrolled; ``if`` on known values takes one branch. SQL that depends on run-time
values is reported with its line.
"""

from __future__ import annotations

import ast
import copy
from dataclasses import dataclass, field, replace
from typing import Any, Callable

from overlay.discover.evaluate import UNKNOWN, is_known, written_name
from overlay.discover.static.executors import ran_call
from overlay.extract.python import hooks
from overlay.extract.python.hooks import Handle
from overlay.extract.python.partial_text import PartialText, values_or_names_only
from overlay.extract.python.values import (CallableEvaluator, OperatorSelf, bind_parameters, first_function,
                                          returned_text, run_by_script)
from overlay.extract.python.helpers import HELPER_BUDGET, HelperReader

_MAX_UNROLL = 50  # items of one loop
_UNROLL_BUDGET = 500  # loop bodies walked per callable, nested loops included
_MUTATING = frozenset({"append", "extend", "insert", "remove", "pop", "clear", "reverse", "update", "add", "discard",
                       "setdefault", "popitem"})
_TEXT_METHODS = frozenset({"replace", "strip", "rstrip", "lstrip", "format"})


@dataclass
class HookSql:
    sql: str
    handle: Handle
    line: int
    method: str
    file: str | None = None  # the repository helper the call is in; None: the callable's own file


@dataclass
class HookTable:
    table: str
    mode: str
    handle: Handle
    line: int
    method: str
    file: str | None = None


@dataclass
class CallableAccess:
    sql: list[HookSql] = field(default_factory=list)
    tables: list[HookTable] = field(default_factory=list)
    jobs: list[tuple[dict[str, Any], Handle, int]] = field(default_factory=list)  # BigQuery job configurations
    unresolved: list[str] = field(default_factory=list)
    opened: list[str] = field(default_factory=list)  # database handles created ("PostgresHook at line 3")
    read: list[str] = field(default_factory=list)  # repository code read where it is called ("lib/x.py:6 export_trees")
    standins: dict[str, str] = field(default_factory=dict)  # stand-ins for unknown values in SQL it built -> what for

    @property
    def touches_database(self) -> bool:
        return bool(self.sql or self.tables or self.jobs or self.unresolved or self.opened)


def analyze_callable(source: str, op_kwargs: dict[str, Any] | None = None, module_scope: dict[str, Any] | None = None,
                     first_line: int = 1, op_args: list[Any] | None = None, context: dict[str, Any] | None = None,
                     variables: dict[str, Any] | None = None, helpers: dict[str, Any] | None = None,
                     reader: Callable[[str], str | None] | None = None, file: str | None = None,
                     shown: str = "", module: bool = False) -> CallableAccess:
    """What a callable's code sends to databases. ``helpers`` are the repository functions it calls
    (``TaskSpec.callable_helpers``): their bodies are read where the callable calls them, with its arguments.
    ``reader`` gives the text of a file the code opens (None: files are not read). ``file``/``shown``: the code is
    not in the DAG file (an operator's ``execute`` in ``plugins/``), and reasons name its lines there. ``module``: the
    source is a script a command runs (``python load.py``), read from its top, its functions where it defines them."""
    tree, fn, error = first_function(source)
    if error is not None or tree is None:
        return CallableAccess(unresolved=[error or "callable source does not parse"])
    if module:
        fn = None
    # copies: the code read changes lists in place (`items.append(x)`), never the task's recorded values
    context = copy.deepcopy(context or {})
    scope = bind_parameters(fn, copy.deepcopy(op_args or []), copy.deepcopy(op_kwargs or {}), context,
                            copy.deepcopy(module_scope or {})) if fn is not None else copy.deepcopy(module_scope or {})
    analyzer = _Analyzer(CallableEvaluator(scope, variables or {}, context, reader), first_line)
    analyzer.functions = (helpers or {}).get("functions", {})
    analyzer.names = (helpers or {}).get("names", {})
    analyzer.ev.hook_bases = dict((helpers or {}).get("hook_bases") or {})
    analyzer.ev.aliases = dict((helpers or {}).get("aliases") or {})
    for name, made in (helpers or {}).get("handles", {}).items():  # `hook = MySqlHook(...)` at the module's top
        handle = module_handle(made, variables or {}, context, reader)
        if handle is not None and name not in scope:
            analyzer.handles[name] = handle
    analyzer.file, analyzer.shown = file, shown
    analyzer.why.update({name: "a parameter with no value before run time" for name, value in scope.items()
                         if value is UNKNOWN and name not in (module_scope or {})})
    analyzer.block(fn.body if fn is not None else run_by_script(tree) if module else tree.body, 0)
    return analyzer.access



class _Handles(dict):  # type: ignore[type-arg]
    """A body's handles by name; ``obj.attr`` names the handle kept on an object the code holds (``self.hook``,
    ``manager.result_db_hook``), so the object's methods and the code holding it see the same one."""

    def __init__(self, scope: dict[str, Any]) -> None:
        super().__init__()
        self.scope = scope

    def _kept(self, key: object) -> tuple[OperatorSelf, str] | None:
        if isinstance(key, str) and key.count(".") == 1:
            name, attr = key.split(".")
            holder = self.scope.get(name)
            if isinstance(holder, OperatorSelf):
                return holder, attr
        return None

    def __contains__(self, key: object) -> bool:
        kept = self._kept(key)
        return kept[1] in kept[0].handles if kept is not None else super().__contains__(key)

    def __getitem__(self, key: str) -> Handle:
        kept = self._kept(key)
        return kept[0].handles[kept[1]] if kept is not None else super().__getitem__(key)

    def get(self, key: str, default: Any = None) -> Any:  # type: ignore[override]
        return self[key] if key in self else default

    def __setitem__(self, key: str, value: Handle) -> None:
        kept = self._kept(key)
        if kept is not None:
            kept[0].handles[kept[1]] = value
        else:
            super().__setitem__(key, value)

    def pop(self, key: str, default: Any = None) -> Any:  # type: ignore[override]
        kept = self._kept(key)
        return kept[0].handles.pop(kept[1], default) if kept is not None else super().pop(key, default)


def module_handle(made: dict[str, Any], variables: dict[str, Any], context: dict[str, Any],
                  reader: Callable[[str], str | None] | None) -> Handle | None:
    """The database handle a module-level ``name = call(...)`` makes, from the call's source and its constants."""
    try:
        node = ast.parse(str(made.get("source") or ""), mode="eval").body
    except SyntaxError:
        return None
    ev = CallableEvaluator(copy.deepcopy(made.get("scope") or {}), variables, context, reader)
    return hooks.handle_of(node, ev, {})


class _Analyzer(HelperReader):
    def __init__(self, ev: CallableEvaluator, first_line: int) -> None:
        self.ev, self.scope, self.first_line = ev, ev.scope, first_line
        self.handles: dict[str, Handle] = _Handles(self.scope)
        self.why: dict[str, str] = {}  # names whose value is unknown -> why, for the reasons given
        self.access = CallableAccess()
        self.seen: set[tuple[int, str]] = set()
        self.budget = _UNROLL_BUDGET
        # repository helpers: every function listed for the callable, and the names this body calls them by
        self.functions: dict[str, dict[str, Any]] = {}
        self.names: dict[str, str] = {}
        self.file: str | None = None  # the helper this analyzer reads (None: the callable)
        self.shown = ""  # that helper's file as reports show it
        self.stack: tuple[str, ...] = ()  # the helpers being read, for cycles
        self.helper_calls = [HELPER_BUDGET]  # shared by the callable and every helper it reaches
        self.uris: set[str] = set()  # names holding a handle's connection URI as text
        self.returned: Handle | None = None  # the handle this body returns (a helper making an engine)
        self.uncertain = 0  # inside a loop not unrolled or a branch not known: how many
        self.return_values: list[Any] = []  # what each `return` reached gives
        self.followed: dict[int, Any] = {}  # helper calls read here (by node): the value each returned
        self._method_names: tuple[dict[str, dict[str, Any]], frozenset[str]] | None = None
        self.partial: dict[str, str] = {}  # names holding text built with stand-ins for unknown values
        self.ran: dict[int, ast.Call | None] = {}  # calls handing a function over to be run -> the call it makes
        self.return_texts: list[str | None] = []  # the text with stand-ins each `return` reached gives, where not known
        self.call_texts: dict[int, str] = {}  # helper calls read here (by node) whose returns all gave that text
        self.texts = PartialText(ev.eval, self.partial, self.explain, lambda node: self.where(self.line(node)),
                                 self.call_texts)
        ev.helper_value = self.helper_value

    def line(self, node: ast.AST) -> int:
        return self.first_line + getattr(node, "lineno", 1) - 1

    def where(self, line: int) -> str:
        """``line N`` of the callable's file, or ``lib/x.py:N`` inside a helper."""
        return f"{self.shown}:{line}" if self.file else f"line {line}"

    def block(self, body: list[ast.stmt], depth: int) -> None:
        for stmt in body:
            self.statement(stmt, depth)

    def statement(self, stmt: ast.stmt, depth: int) -> None:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            saved = dict(self.scope)
            self.scope.update({a.arg: UNKNOWN for a in stmt.args.posonlyargs + stmt.args.args + stmt.args.kwonlyargs})
            self.block(stmt.body, depth + 1)
            self.scope.clear()
            self.scope.update(saved)
        elif isinstance(stmt, (ast.For, ast.AsyncFor)):
            self._for(stmt, depth)
        elif isinstance(stmt, ast.If):
            self.calls(stmt.test)
            test = self.ev.eval(stmt.test)
            if is_known(test):
                self.block(stmt.body if test else stmt.orelse, depth)
            else:
                self.uncertain += 1
                self.block(stmt.body, depth)
                self.block(stmt.orelse, depth)
                self.uncertain -= 1
        elif isinstance(stmt, ast.Match):
            self._match(stmt, depth)
        elif isinstance(stmt, (ast.With, ast.AsyncWith)):
            for item in stmt.items:
                self.calls(item.context_expr)
                if item.optional_vars is not None:
                    self.assign(item.optional_vars, item.context_expr)
            self.block(stmt.body, depth)
        elif isinstance(stmt, (ast.While, ast.Try)):
            if isinstance(stmt, ast.While):
                self.calls(stmt.test)
            handlers = [s for h in getattr(stmt, "handlers", []) for s in h.body]
            for part in (stmt.body, handlers, stmt.orelse, getattr(stmt, "finalbody", [])):
                self.block(part, depth)
        elif isinstance(stmt, ast.Import):  # `import psycopg2 as pg` inside the function
            self.ev.aliases.update({a.asname: a.name for a in stmt.names if a.asname and a.asname != a.name})
        elif isinstance(stmt, ast.ImportFrom) and stmt.module and not stmt.level:  # `from psycopg2 import connect`
            self.ev.aliases.update({a.asname or a.name: f"{stmt.module}.{a.name}" for a in stmt.names if a.name != "*"})
        elif not isinstance(stmt, ast.ClassDef):
            self.calls(stmt)
            if isinstance(stmt, ast.Expr):
                self.mutation(stmt.value)
            if isinstance(stmt, ast.Return) and stmt.value is not None:
                handle = self.handle_of(stmt.value)
                self.returned = self.returned or handle
                returned = UNKNOWN if handle is not None else self.ev.eval(stmt.value)
                self.return_values.append(returned)
                self.return_texts.append(None if handle is not None or is_known(returned) else self.texts.text(stmt.value))
            if isinstance(stmt, ast.Assign):
                for target in stmt.targets:
                    self.assign(target, stmt.value)
            elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
                self.assign(stmt.target, stmt.value)
            elif isinstance(stmt, ast.AugAssign) and isinstance(stmt.target, ast.Name):
                combined = ast.BinOp(left=ast.Name(id=stmt.target.id, ctx=ast.Load()), op=stmt.op, right=stmt.value)
                self.scope[stmt.target.id] = self.ev.eval(combined)

    def _match(self, stmt: ast.Match, depth: int) -> None:
        """``match`` on a known value runs the first case whose literal pattern (or ``_``) fits; on a value not known,
        or a pattern this reader does not evaluate, any case may run."""
        self.calls(stmt.subject)
        subject = self.ev.eval(stmt.subject)
        for case in stmt.cases:
            pattern = case.pattern
            fits = None
            if is_known(subject) and case.guard is None:
                if isinstance(pattern, ast.MatchAs) and pattern.pattern is None and pattern.name is None:
                    fits = True
                elif isinstance(pattern, ast.MatchValue) and is_known(value := self.ev.eval(pattern.value)):
                    fits = value == subject
            if fits is False:
                continue
            if fits:
                self.block(case.body, depth)
                return
            self.uncertain += 1
            self.block(case.body, depth)
            self.uncertain -= 1

    def _for(self, stmt: ast.For | ast.AsyncFor, depth: int) -> None:
        self.calls(stmt.iter)
        values = self.ev.eval(stmt.iter)
        if isinstance(values, dict):
            values = list(values)
        if isinstance(values, (list, tuple)) and is_known(values) and 0 < len(values) <= min(_MAX_UNROLL, self.budget):
            self.budget -= len(values)
            inside = [id(n) for part in stmt.body for n in ast.walk(part) if isinstance(n, ast.Call)]
            for value in values:
                for call_id in inside:  # each pass calls the helpers again, with that pass's values
                    self.followed.pop(call_id, None)
                    self.call_texts.pop(call_id, None)
                    ran = self.ran.get(call_id)  # and the functions it hands to an executor
                    if ran is not None:
                        self.followed.pop(id(ran), None)
                self.bind(stmt.target, value)
                self.block(stmt.body, depth + 1)
        else:
            self.bind(stmt.target, UNKNOWN)
            if isinstance(stmt.target, ast.Name):
                known = isinstance(values, (list, tuple)) and is_known(values)
                self.why[stmt.target.id] = "each item of a loop too long to follow" if known else f"each item of {self.explain(stmt.iter)}"
            self.uncertain += 1
            self.block(stmt.body, depth + 1)
            self.uncertain -= 1
        self.block(stmt.orelse, depth)

    def mutation(self, node: ast.expr) -> None:
        """``queries.append(sql)`` changes the list a later ``hook.run(queries)`` gets: applied as Python does (the
        evaluator's rule), or, where the code runs it an unknown number of times (a loop not followed, a branch not
        known), the list is no longer known, never its contents before."""
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in _MUTATING
                and isinstance(node.func.value, ast.Name)):
            return
        name = node.func.value.id
        base = self.scope.get(name)
        if not isinstance(base, (list, dict, set)):
            return
        if self.uncertain:
            self.scope[name] = UNKNOWN
            self.why[name] = f"changed at {self.where(self.line(node))} where the code may run any number of times"
        else:
            self.ev.eval(node)

    def bind(self, target: ast.expr, value: Any) -> None:
        if isinstance(target, ast.Name):
            self.scope[target.id] = value
            self.partial.pop(target.id, None)
            self.handles.pop(target.id, None)
            self.uris.discard(target.id)
        elif isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name) \
                and isinstance(self.scope.get(target.value.id), OperatorSelf):  # `self.sql = ...` in execute
            self.scope[target.value.id].attributes[target.attr] = value
            self.handles.pop(written_name(target), None)
        elif isinstance(target, (ast.Tuple, ast.List)):
            known = isinstance(value, (list, tuple)) and len(value) == len(target.elts)
            for i, element in enumerate(target.elts):
                self.bind(element, value[i] if known else UNKNOWN)

    def assign(self, target: ast.expr, value: ast.expr) -> None:
        if isinstance(target, ast.Tuple) and isinstance(value, ast.Tuple) and len(target.elts) == len(value.elts) \
                and not any(isinstance(e, ast.Starred) for e in (*target.elts, *value.elts)) \
                and not {written_name(t) for t in target.elts} & {written_name(n) for n in ast.walk(value)
                                                                   if isinstance(n, (ast.Name, ast.Attribute))}:
            for one, given in zip(target.elts, value.elts):  # `host, db = c.host, c.schema`: pairwise, as Python binds
                self.assign(one, given)
            return
        handle = self.handle_of(value) or self.uri_handle(value) or self.record_field(value) or self.record_url(value)
        written = written_name(target) if isinstance(target, (ast.Name, ast.Attribute)) else ""
        if handle is not None and written:
            self.handles[written] = handle
            if isinstance(target, ast.Name):
                self.scope[target.id] = UNKNOWN
                if _uri_call(value) or self.uri_handle(value) is not None or self.record_url(value) is not None:
                    self.uris.add(target.id)
        else:
            result = self.ev.eval(value)
            self.bind(target, result)
            if isinstance(target, ast.Name) and not is_known(result):
                self.why[target.id] = self.explain(value)
                built = self.texts.text(value)
                if built is not None:
                    self.partial[target.id] = built
            elif isinstance(target, ast.Name):
                self.why.pop(target.id, None)

    def record_field(self, value: ast.expr) -> Handle | None:
        """A field of an Airflow Connection record (``c.host``, ``str(c.port)``, ``c.extra_dejson.get("x")``, kept
        as ``self.host = self.connection.host``): still part of that connection, so a driver or an engine built from
        such fields reaches it (``hooks._connection_record``)."""
        node: ast.expr = value
        for _ in range(8):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("str", "int") and node.args:
                node = node.args[0]
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                node = node.func.value
            elif isinstance(node, (ast.Attribute, ast.Subscript)):
                base = node.value
                handle = self.handle_of(base)
                if handle is not None and handle.record:  # which field: a URL's path may be its `schema`
                    field = node.attr if isinstance(node, ast.Attribute) else None
                    return replace(handle, field=handle.field or field or "?")
                node = base
            else:
                return None
        return None

    def record_url(self, value: ast.expr) -> Handle | None:
        """``url = f"postgresql://{c.login}:...@{c.host}/{c.schema}"``: a URL text built from a connection record's
        fields, kept as that connection for a later ``create_engine(url)`` (``hooks.record_url``)."""
        if not isinstance(value, (ast.JoinedStr, ast.BinOp)):
            return None
        return hooks.record_url(value, self.ev, self.handles)

    def uri_handle(self, value: ast.expr) -> Handle | None:
        """A connection URI a handle gave (``hook.get_uri()``), then rewritten as text (``uri.replace(...)``,
        ``re.sub(..., uri)``): still that connection, for ``create_engine(uri)``."""
        if not isinstance(value, ast.Call):
            return None
        operands = [value.func.value] if isinstance(value.func, ast.Attribute) and value.func.attr in _TEXT_METHODS \
            else list(value.args) if written_name(value.func) in ("re.sub", "str") else []
        for operand in operands:
            if isinstance(operand, ast.Name) and operand.id in self.uris:
                return self.handles.get(operand.id)
            if _uri_call(operand):
                return self.handle_of(operand)
        return None

    def explain(self, node: ast.expr) -> str:
        """Why an expression's value is not known before run time."""
        if isinstance(node, ast.Call):
            name = hooks.callee(node.func)
            if name.endswith("Variable.get") and node.args and isinstance(self.ev.eval(node.args[0]), str):
                return f"Airflow Variable {self.ev.eval(node.args[0])!r}, not among the scan's variables"
            return f"the result of {name or 'a call'}()"
        names = [n.id for n in ast.walk(node) if isinstance(n, ast.Name) and n.id in self.why]
        return self.why[names[0]] if names else "a value known only at run time"

    def unknown_names(self, node: ast.expr | None) -> str:
        names = list(dict.fromkeys(n.id for n in ast.walk(node) if isinstance(n, ast.Name) and n.id in self.why)) if node else []
        return f" ({'; '.join(f'{n}: {self.why[n]}' for n in names)})" if names else ""

    def handle_of(self, node: ast.expr | None) -> Handle | None:
        return hooks.handle_of(node, self.ev, self.handles)

    def calls(self, node: ast.AST) -> None:
        """Every call in ``node``, inner ones first: ``self.hook().get_records(sql)`` needs what ``self.hook()``
        returned (a helper read first) before its ``get_records`` is read."""
        for call in reversed([n for n in ast.walk(node) if isinstance(n, ast.Call)]):
            self.call(call)

    def call(self, call: ast.Call) -> None:
        func = call.func
        method = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
        line = self.line(call)
        if self.invoke(call):
            return
        if id(call) not in self.ran:  # `pool.submit(load, table)`: `load(table)` is read (one node per call site)
            self.ran[id(call)] = ran_call(call)
        ran = self.ran[id(call)]
        if ran is not None and self.invoke(ran):
            return
        opened = hooks.opens(call, self.ev, self.handles)
        if opened is not None and (line, "open") not in self.seen:
            self.seen.add((line, "open"))
            self.access.opened.append(f"{opened.kind} at {self.where(line)}")
        spec = hooks.CALL_SPECS.get(method)
        if spec is None:
            return
        if spec.con is not None:
            handle = self.handle_of(hooks.argument(call, spec.con[0], (spec.con[1],)))
            if handle is None:  # `df.to_sql(name, con=<not known>)`: the table's database is not known
                handle = hooks.Handle(hooks.UNKNOWN_CONNECTION)
                self.access.unresolved.append(f"the connection {method} at {self.where(line)} uses is not known")
        else:
            handle = self.handle_of(func.value) if isinstance(func, ast.Attribute) else None
        if handle is None:
            if method not in hooks.STRONG_SQL or not hooks.looks_like_sql(self.ev.eval(hooks.argument(call, spec.position, spec.keywords))):
                return
            handle = hooks.Handle(hooks.UNKNOWN_CONNECTION)
            self.access.unresolved.append(f"the connection {method} at {self.where(line)} runs SQL on is not known")
        self.record(spec, call, handle, line, method)

    def record(self, spec: hooks.CallSpec, call: ast.Call, handle: Handle, line: int, method: str) -> None:
        if handle.unnamed and (line, "unnamed") not in self.seen:  # `create_engine(f"postgresql://{user}@{host}/{db}")`
            self.seen.add((line, "unnamed"))
            self.access.unresolved.append(f"the database {method} at {self.where(line)} runs on is not known "
                                          f"({handle.kind} opened on a connection or URL known only at run time)")
        if spec.kind == "job":
            config = self.ev.eval(hooks.argument(call, spec.position, spec.keywords))
            if isinstance(config, dict) and is_known(config):
                self.access.jobs.append((config, handle, line))
            else:
                self.access.unresolved.append(f"job configuration passed to {method} at {self.where(line)} is built at run time")
            return
        node = hooks.argument(call, spec.position, spec.keywords)
        value = self.ev.eval(node)
        if spec.kind == "sql":
            if isinstance(value, (list, tuple)) and value and all(isinstance(v, str) for v in value):
                value = ";\n".join(value)
            built = None if isinstance(value, str) and is_known(value) else self.texts.text(node)
            if built is None and isinstance(value, str) and any(s in value for s in self.ev.standins):
                built = value  # rendered from a template the code renders itself, with a run-time value in it
            if built is not None:  # known but for values: the text with a stand-in for each
                standins = {**self.texts.standins, **self.ev.standins}
                used = [s for s in standins if s in built]
                self.access.standins.update({s: standins[s] for s in used})
                if not values_or_names_only(built, used):
                    self.access.unresolved.append(f"part of the SQL passed to {method} at {self.where(line)} is built at run "
                                                  f"time{self.unknown_names(node)}; the tables it names in full are kept")
                value = built
            if isinstance(value, str) and is_known(value):
                if not any(s.sql == value and s.line == line and s.file == self.file for s in self.access.sql):
                    self.access.sql.append(HookSql(value, handle, line, method, self.file))
            else:
                self.access.unresolved.append(f"SQL passed to {method} at {self.where(line)} is built at run time{self.unknown_names(node)}")
            return
        schema = self.ev.eval(hooks.argument(call, None, ("schema",)))
        names = value if isinstance(value, (list, tuple)) and spec.many else [value]
        for name in names:
            if isinstance(name, dict):
                name = ".".join(str(name[k]) for k in ("projectId", "datasetId", "tableId") if name.get(k))
            if not isinstance(name, str) or not name or schema is UNKNOWN:
                self.access.unresolved.append(f"table passed to {method} at {self.where(line)} is built at run time")
                continue
            table = f"{schema}.{name}" if isinstance(schema, str) and schema and "." not in name else name
            self.access.tables.append(HookTable(table, spec.kind, handle, line, method, self.file))


def _uri_call(node: ast.expr) -> bool:
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get_uri"


__all__ = ["CallableAccess", "HookSql", "HookTable", "analyze_callable", "returned_text"]
