"""Values inside a Python callable: its parameters bound the way Airflow calls it, and expressions evaluated.

Builds on discovery's ``Evaluator`` (literals, f-strings, ``%``/``.format``, containers, module
constants) and adds what callables use: ``Variable.get`` (from the scan's Variables),
``get_current_context()``, ``kwargs["templates_dict"]``, ``.format(**mapping)``, ``text()``,
``dedent()``, and the text of a repository file the code reads (``open(path).read()``, ``with open(path) as f:
f.read()``, ``Path(path).read_text()``) through the scan's read policy. Anything else stays ``UNKNOWN``.
"""

from __future__ import annotations

import ast
import re
import textwrap
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import PurePath
from typing import Any, Callable

from overlay.discover.evaluate import NOT_HANDLED, UNKNOWN, Evaluator, is_data, is_known
from overlay.discover.python_source import parse_python

_WRAPPERS = {"text", "sqlalchemy.text", "sa.text", "SQL", "sql.SQL", "psycopg2.sql.SQL", "psycopg.sql.SQL", "str"}
_DEDENT = {"dedent", "textwrap.dedent", "inspect.cleandoc", "cleandoc"}
_COMPOSITION = {"sql", "psycopg2.sql", "psycopg.sql"}  # psycopg's sql module, as the code names it


_OPEN = {"open", "io.open", "codecs.open"}


_JINJA_ENVIRONMENTS = {"Environment", "jinja2.Environment", "SandboxedEnvironment", "jinja2.sandbox.SandboxedEnvironment"}
_JINJA_TEMPLATES = {"Template", "jinja2.Template"}


@dataclass(frozen=True)
class JinjaEnvironment:
    """``jinja2.Environment(...)`` made by the code: its ``from_string`` gives templates (filters the code registers
    on it are not known here: a template using one does not render)."""


@dataclass(frozen=True)
class JinjaText:
    """A Jinja template the code made (``env.from_string(text)``, ``Template(text)``), rendered by ``.render(...)``."""

    text: str


def render_jinja(text: str, values: dict[str, Any], standins: dict[str, str] | None = None) -> Any:
    """``Template(text).render(**values)`` as plain Jinja gives it, in the bounded sandbox: a name it uses that is not
    given known plain data, a filter or tag not there, or anything the sandbox refuses make it not known.
    ``standins``: a name given a value known only at run time, used only as ``{{ name }}``, renders as a stand-in
    (``runtime_name``, recorded there) that resolution refuses in a table name; used any other way (a loop, a
    filter), it leaves the text not known."""
    from jinja2 import meta, nodes  # imported where a callable renders Jinja itself

    from overlay.extract.templates.sandbox import BoundedSandbox

    env = BoundedSandbox()
    try:
        tree = env.parse(text)
        used = meta.find_undeclared_variables(tree)
        plain = Counter(n.name for out in tree.find_all(nodes.Output) for n in out.nodes if isinstance(n, nodes.Name))
        every = Counter(n.name for n in tree.find_all(nodes.Name))
        given = dict(values)
        for name in used:  # used only as `{{ name }}`, never looped over, filtered or indexed
            if standins is not None and given.get(name, None) is UNKNOWN and plain[name] == every[name]:
                given[name] = marker = "runtime_" + re.sub(r"\W+", "_", name).strip("_").lower()
                standins.setdefault(marker, f"`{name}` given to a template the code renders (known only at run time)")
        if any(name not in given or not (is_known(given[name]) and is_data(given[name])) for name in used):
            return UNKNOWN  # a name the code does not give (plain Jinja renders it empty) is not guessed either
        env.start_render()
        return env.from_string(text).render({k: v for k, v in given.items() if k in used})
    except Exception:  # a syntax error, an unknown filter, a budget exceeded: not known
        return UNKNOWN


def call_keywords(ev: Evaluator, node: ast.Call) -> Any:
    """A call's keyword arguments, ``**mapping`` spread in; UNKNOWN when a spread is not a known dict."""
    kwargs: dict[str, Any] = {}
    for keyword in node.keywords:
        value = ev.eval(keyword.value)
        if keyword.arg is None and isinstance(value, dict):
            kwargs.update(value)
        elif keyword.arg is not None:
            kwargs[keyword.arg] = value
        else:
            return UNKNOWN
    return kwargs


def jinja_call(node: ast.Call, name: str, evaluate: Callable[[ast.expr], Any], keywords: Callable[[ast.Call], Any],
               standins: dict[str, str] | None = None) -> Any:
    """Jinja the code runs itself: ``Environment(...).from_string(t).render(**ctx)``, ``Template(t).render(ctx)``, in a
    callable or in the DAG file (``Template(sql).render(config)`` given to an operator); NOT_HANDLED for other calls."""
    if name in _JINJA_ENVIRONMENTS:
        return JinjaEnvironment()
    if name in _JINJA_TEMPLATES and len(node.args) == 1:
        text = evaluate(node.args[0])
        return JinjaText(text) if isinstance(text, str) else UNKNOWN
    if not isinstance(node.func, ast.Attribute) or node.func.attr not in ("from_string", "render"):
        return NOT_HANDLED
    base = evaluate(node.func.value)
    if node.func.attr == "from_string" and isinstance(base, JinjaEnvironment) and len(node.args) == 1:
        text = evaluate(node.args[0])
        return JinjaText(text) if isinstance(text, str) else UNKNOWN
    if node.func.attr == "render" and isinstance(base, JinjaText):
        values: dict[str, Any] = {}
        for arg in node.args:
            given = evaluate(arg)
            if not isinstance(given, dict):
                return UNKNOWN
            values.update(given)
        given_keywords = keywords(node)
        return render_jinja(base.text, {**values, **given_keywords}, standins) if isinstance(given_keywords, dict) else UNKNOWN
    return NOT_HANDLED


class OperatorSelf:
    """An instance of a repository class as the code being read holds it: ``self`` inside an operator's
    ``execute`` (the attributes its ``__init__`` left), or an object the code made (``ContactAliasManager(hook)``).
    ``handles``: the database handles kept on it (``self.hook = PostgresHook(...)``); ``cls``: the key of its
    class among the listed helpers, where its methods are found."""

    def __init__(self, attributes: dict[str, Any], cls: str | None = None) -> None:
        self.attributes = dict(attributes)
        self.handles: dict[str, Any] = {}
        self.cls = cls

    def __repr__(self) -> str:
        return f"OperatorSelf({sorted(self.attributes)})"


@dataclass(frozen=True)
class OpenedText:
    """A file opened for reading (``open(path)``): its text, given by ``.read()``."""

    text: str


class CallableEvaluator(Evaluator):
    def __init__(self, scope: dict[str, Any], variables: dict[str, Any], context: dict[str, Any],
                 reader: Callable[[str], str | None] | None = None) -> None:
        super().__init__(scope, "", {})
        self.variables, self.context = variables, context
        self.reader = reader  # an absolute path's text when the scan may read it, else None
        # what a repository helper called in an expression returns (set by the reader of the code: python.py)
        self.helper_value: Callable[[ast.Call], Any] | None = None
        # the team's own hook classes -> the library hook each derives from (discover/static/helpers.py), for handles
        self.hook_bases: dict[str, str] = {}
        # stand-ins for run-time values in templates the code renders itself -> what each stands for (render_jinja)
        self.standins: dict[str, str] = {}

    @property
    def aliases(self) -> dict[str, str]:
        """`pg` of `import psycopg2 as pg`: the library a name stands for (the module's imports, as the listing
        carries them, and the callable's own); the evaluator qualifies names through the same table."""
        return self.imports

    @aliases.setter
    def aliases(self, value: dict[str, str]) -> None:
        self.imports = value

    def _eval(self, node: ast.AST) -> Any:
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            base = self.scope.get(node.value.id)
            if isinstance(base, OperatorSelf):
                return base.attributes.get(node.attr, UNKNOWN)
            if base is None and f"{node.value.id}.{node.attr}" in self.scope:  # a repository module's constant
                return self.scope[f"{node.value.id}.{node.attr}"]
        return super()._eval(node)

    def _call(self, node: ast.Call) -> Any:
        name = self.qualified(node.func)
        if self.helper_value is not None:
            value = self.helper_value(node)
            if value is not NOT_HANDLED:
                return value
        if self.reader is not None:
            text = self._read(node, name)
            if text is not None:
                return text
        jinja = self._jinja(node, name)
        if jinja is not NOT_HANDLED:
            return jinja
        if name in _WRAPPERS and len(node.args) == 1 and not node.keywords:
            value = self.eval(node.args[0])
            return value if isinstance(value, str) else UNKNOWN
        if name in _DEDENT and node.args:
            value = self.eval(node.args[0])
            return textwrap.dedent(value) if isinstance(value, str) else UNKNOWN
        if name.endswith("Variable.get") or name == "Variable.get":
            return self._variable(node)
        composed = self._composed(node, name)
        if composed is not NOT_HANDLED:
            return composed
        if name.endswith("get_current_context"):
            return dict(self.context)
        if isinstance(node.func, ast.Attribute) and node.func.attr == "format" and any(k.arg is None for k in node.keywords):
            return self._format(node)
        return super()._call(node)

    def _composed(self, node: ast.Call, name: str) -> Any:
        """psycopg's SQL composition (``sql.SQL("SELECT 1 FROM {}").format(sql.Identifier(t)).as_string(cur)``) as the
        text it builds: identifiers quoted as PostgreSQL quotes them, literals as SQL literals."""
        module, _, last = name.rpartition(".")
        if isinstance(node.func, ast.Attribute) and node.func.attr == "as_string" and not module.endswith("sql"):
            base = self.eval(node.func.value)
            return base if isinstance(base, str) else UNKNOWN
        if module not in _COMPOSITION or last not in ("Identifier", "Literal", "Placeholder"):
            return NOT_HANDLED
        args = [self.eval(a) for a in node.args]
        if last == "Identifier":
            ok = args and all(isinstance(a, str) for a in args)
            return ".".join('"' + a.replace('"', '""') + '"' for a in args) if ok else UNKNOWN
        if last == "Literal":
            value = args[0] if len(args) == 1 else UNKNOWN
            if isinstance(value, str):
                return "'" + value.replace("'", "''") + "'"
            return "NULL" if value is None else str(value) if isinstance(value, (int, float)) else UNKNOWN
        named = args[0] if args else next((self.eval(k.value) for k in node.keywords if k.arg == "name"), None)
        return f"%({named})s" if isinstance(named, str) else "%s" if named is None else UNKNOWN

    def _jinja(self, node: ast.Call, name: str) -> Any:
        return jinja_call(node, name, self.eval, self._keywords, self.standins)

    def _read(self, node: ast.Call, name: str) -> Any:
        """``open(path)`` for reading, its ``.read()``, ``Path(path).read_text()``; None when not such a call."""
        assert self.reader is not None
        if name in _OPEN and node.args:
            path = self.eval(node.args[0])
            mode = self.eval(node.args[1]) if len(node.args) > 1 else \
                next((self.eval(k.value) for k in node.keywords if k.arg == "mode"), "r")
            if not (isinstance(mode, str) and set(mode) <= set("rt")):
                return UNKNOWN
            text = self.reader(str(path)) if isinstance(path, (str, PurePath)) else None
            return OpenedText(text) if text is not None else UNKNOWN
        if isinstance(node.func, ast.Attribute) and node.func.attr in ("read", "read_text") and not node.args:
            base = self.eval(node.func.value)
            if isinstance(base, OpenedText) and node.func.attr == "read":
                return base.text
            if isinstance(base, PurePath) and node.func.attr == "read_text":
                text = self.reader(str(base))
                return text if text is not None else UNKNOWN
        return None

    def _variable(self, node: ast.Call) -> Any:
        key = self.eval(node.args[0]) if node.args else self.eval(next((k.value for k in node.keywords if k.arg == "key"), None))
        if isinstance(key, str) and key in self.variables:
            return self.variables[key]
        default = next((k.value for k in node.keywords if k.arg in ("default_var", "default")), None)
        if default is None and len(node.args) > 1:
            default = node.args[1]
        value = self.eval(default) if default is not None else UNKNOWN
        return value if value is not None else UNKNOWN

    def _keywords(self, node: ast.Call) -> Any:
        return call_keywords(self, node)

    def _format(self, node: ast.Call) -> Any:
        base = self.eval(node.func.value)  # type: ignore[attr-defined]
        args = [self.eval(a) for a in node.args]
        kwargs = self._keywords(node)
        if not (isinstance(base, str) and isinstance(kwargs, dict) and is_known(args) and is_known(kwargs)):
            return UNKNOWN
        try:
            return base.format(*args, **kwargs)
        except (KeyError, IndexError, ValueError):
            return UNKNOWN


def bind_parameters(fn: ast.FunctionDef | ast.AsyncFunctionDef | None, op_args: list[Any], op_kwargs: dict[str, Any],
                    context: dict[str, Any], module_scope: dict[str, Any]) -> dict[str, Any]:
    """The callable's scope as Airflow calls it: module constants, ``op_args`` in order, ``op_kwargs``,
    context values for parameters named like them (``ds``, ``params``, ``templates_dict``...), defaults;
    ``**kwargs`` is the whole context plus ``op_kwargs``."""
    scope: dict[str, Any] = dict(module_scope or {})
    if fn is None:
        return scope
    module_ev = Evaluator(dict(module_scope or {}), "", {})
    positional = fn.args.posonlyargs + fn.args.args
    defaults = dict(zip([a.arg for a in positional[len(positional) - len(fn.args.defaults):]], fn.args.defaults))
    defaults.update({a.arg: d for a, d in zip(fn.args.kwonlyargs, fn.args.kw_defaults) if d is not None})
    for index, arg in enumerate(positional + fn.args.kwonlyargs):
        if index < len(positional) and index < len(op_args):
            scope[arg.arg] = op_args[index]
        elif arg.arg in op_kwargs:
            scope[arg.arg] = op_kwargs[arg.arg]
        elif arg.arg in context:
            scope[arg.arg] = context[arg.arg]
        elif arg.arg in defaults:
            scope[arg.arg] = module_ev.eval(defaults[arg.arg])
        else:
            scope[arg.arg] = UNKNOWN
    if fn.args.vararg is not None:
        scope[fn.args.vararg.arg] = list(op_args[len(positional):])
    if fn.args.kwarg is not None:
        named = {a.arg for a in positional + fn.args.kwonlyargs}
        scope[fn.args.kwarg.arg] = {k: v for k, v in {**context, **op_kwargs}.items() if k not in named}
    return scope


@lru_cache(maxsize=1024)
def first_function(source: str) -> tuple[ast.Module | None, ast.FunctionDef | ast.AsyncFunctionDef | None, str | None]:
    """(module, the callable's function, syntax error) of a callable's source; parsed once per process for a source
    (a plugin's execute and its helpers are read for each of its tasks: the trees are only read, never changed)."""
    try:
        tree = parse_python(textwrap.dedent(source))
    except SyntaxError as e:
        return None, None, f"callable source does not parse: {e.msg} (line {e.lineno})"
    fn = next((n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))), None)
    return tree, fn, None


def run_by_script(tree: ast.Module) -> list[ast.stmt]:
    """A script's statements as running it runs them: its functions only where its top level calls them (directly or
    through each other), so a module of helpers run as a script reaches no database through functions it never calls."""
    defs = {s.name: s for s in tree.body if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef))}

    def called(nodes: list[ast.stmt]) -> set[str]:
        return {n.func.id for stmt in nodes for n in ast.walk(stmt)
                if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id in defs}

    reached = called([s for s in tree.body if not isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))])
    frontier = set(reached)
    while frontier:
        frontier = called([defs[name] for name in frontier]) - reached
        reached |= frontier
    # its top level first (the constants and handles its functions use are set by the time they are called), then
    # the functions it calls
    top = [s for s in tree.body if not isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef))]
    return top + [s for s in tree.body if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef)) and s.name in reached]


def returned_text(source: str, op_kwargs: dict[str, Any] | None, module_scope: dict[str, Any] | None) -> str | None:
    """The string a ``@task.sql``/``@task.bash`` function returns, when it is computable statically."""
    _, fn, _ = first_function(source)
    if fn is None:
        return None
    scope = bind_parameters(fn, [], op_kwargs or {}, {}, module_scope or {})
    ev = CallableEvaluator(scope, {}, {})
    for stmt in fn.body:
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
            scope[stmt.targets[0].id] = ev.eval(stmt.value)
        elif isinstance(stmt, ast.Return):
            value = ev.eval(stmt.value)
            return value if isinstance(value, str) else None
    return None
