"""What a repository operator class's ``__init__`` hands to the operator it derives from, read without running it.

Teams wrap operators in classes whose ``__init__`` builds the base's arguments from their own:

    class CountCheckOperator(SQLCheckOperator):
        def __init__(self, table_name, min_count, conn="wh", **kwargs):
            sql = f"SELECT COUNT(*) >= {min_count} FROM {table_name}"
            super().__init__(sql=sql, conn_id=conn, **kwargs)

The task's arguments (``table_name``, ``min_count``) are bound to the parameters (defaults where not given), the
body's top-level statements are read in order (local assignments; ``self.<attribute> = <expression>``, read
back as ``self.<attribute>`` by the statements after it; the
``super().__init__(...)`` / ``Base.__init__(self, ...)`` call, followed into a repository base's own ``__init__``),
and the keyword arguments the base operator gets become the task's (``sql``, ``conn_id``). Expressions go through
the same never-executing evaluator as DAG files; a value it cannot know stays unknown (named, never guessed). An
``if`` whose test is known takes its branch; a name or attribute set inside a loop, an unknown branch or a ``try``
is unknown, never the value another path gave it.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Any, Callable

from overlay.discover.evaluate import UNKNOWN, Evaluator, is_data, is_known
from overlay.discover.static.refs import ClassRef, ObjectRef

MAX_DEPTH = 8  # repository classes followed through super().__init__


@dataclass
class InitResult:
    """The base operator's keyword arguments (``passed``) and the attributes the bodies set (``attributes``)."""

    passed: dict[str, Any] = field(default_factory=dict)
    attributes: dict[str, Any] = field(default_factory=dict)
    reached_base: bool = False  # a super().__init__ call to an operator outside the repository was read
    callable_method: tuple[ClassRef, str] | None = None  # python_callable=self.<method>: the class and the method


def read_init(cls: ClassRef, positional: list[Any], keywords: dict[str, Any], budget: Any, env: Any,
              depth: int = 0) -> InitResult:
    """Bind the call's arguments to ``cls``'s ``__init__`` (its own or a repository base's) and read its body."""
    owner = cls.init_of()
    result = InitResult()
    if owner is None or owner.init is None or depth > MAX_DEPTH:
        return result
    fn = owner.init
    module = owner.module
    ev = Evaluator(dict(owner.scope), module.path if module else "", module.imports if module else {}, budget, env)
    scope = bind_parameters(fn, positional, keywords, ev.eval, skip_first=True)
    named = fn.args.posonlyargs + fn.args.args
    if named:  # `self`: what the body stored so far (`self.checks = checks`, then `make_params(self.checks)`)
        scope[named[0].arg] = ObjectRef(cls, result.attributes)
    body_ev = ev.child({**owner.scope, **scope})
    _read_body(fn.body, owner, body_ev, budget, env, depth, result)
    return result


def _read_body(body: list[ast.stmt], owner: ClassRef, ev: Evaluator, budget: Any, env: Any, depth: int,
               result: InitResult) -> None:
    for stmt in body:
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
            _assign(stmt.targets[0], ev.eval(stmt.value), ev.scope, result)
        elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
            _assign(stmt.target, ev.eval(stmt.value), ev.scope, result)
        elif isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call) and _is_base_init(stmt.value, owner):
            _base_call(stmt.value, owner, ev, budget, env, depth, result)
        elif isinstance(stmt, ast.If) and is_known(test := ev.eval(stmt.test)):  # `if self.cascade:` of a known value
            _read_body(stmt.body if test else stmt.orelse, owner, ev, budget, env, depth, result)
        elif not isinstance(stmt, (ast.Expr, ast.Pass, ast.FunctionDef, ast.ClassDef)):
            _forget_assigned(stmt, ev.scope, result)  # inside a loop, an unknown branch, `x += 1`: which value is not known


def _forget_assigned(stmt: ast.stmt, scope: dict[str, Any], result: InitResult) -> None:
    """The names and ``self.<attribute>``s a statement that is not read assigns become unknown."""
    for sub in ast.walk(stmt):
        targets = sub.targets if isinstance(sub, ast.Assign) else [sub.target] \
            if isinstance(sub, (ast.AnnAssign, ast.AugAssign, ast.For)) else \
            [i.optional_vars for i in sub.items if i.optional_vars is not None] if isinstance(sub, ast.With) else []
        for target in targets:
            for node in ast.walk(target):
                if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                    scope[node.id] = UNKNOWN
                elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "self":
                    result.attributes[node.attr] = UNKNOWN


def bind_parameters(fn: ast.FunctionDef, positional: list[Any], keywords: dict[str, Any],
                    default: Callable[[ast.expr], Any], skip_first: bool = False) -> dict[str, Any]:
    """``fn``'s parameters as Python binds them to evaluated arguments: positionals, then keywords, then the
    defaults (``default`` evaluates one where the function was defined); ``*args``; ``**kwargs`` gets the keywords
    no parameter took; a parameter given nothing is unknown. ``skip_first``: a method's ``self``, bound elsewhere."""
    args = fn.args
    named = [a.arg for a in args.posonlyargs + args.args][1 if skip_first else 0:]
    defaults = dict(zip(named[len(named) - len(args.defaults):], args.defaults)) if args.defaults else {}
    defaults.update({a.arg: d for a, d in zip(args.kwonlyargs, args.kw_defaults) if d is not None})
    scope: dict[str, Any] = dict(zip(named, positional))
    for name in [*named, *(a.arg for a in args.kwonlyargs)]:
        if name in scope:
            continue
        if name in keywords:
            scope[name] = keywords[name]
        elif name in defaults:
            scope[name] = default(defaults[name])
        else:
            scope[name] = UNKNOWN
    if args.kwarg is not None:  # **kwargs: what the call gave that no parameter took
        scope[args.kwarg.arg] = {k: v for k, v in keywords.items() if k not in scope}
    if args.vararg is not None:
        scope[args.vararg.arg] = tuple(positional[len(named):])
    return scope


def _assign(target: ast.expr, value: Any, scope: dict[str, Any], result: InitResult) -> None:
    if isinstance(target, (ast.Tuple, ast.List)):  # `self.a, self.b = a, b`
        known = isinstance(value, (tuple, list)) and len(value) == len(target.elts)
        for index, element in enumerate(target.elts):
            _assign(element, value[index] if known else UNKNOWN, scope, result)
    elif isinstance(target, ast.Name):
        scope[target.id] = value
    elif isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name) and target.value.id == "self":
        result.attributes[target.attr] = value


def _is_base_init(call: ast.Call, owner: ClassRef) -> bool:
    func = call.func
    if not (isinstance(func, ast.Attribute) and func.attr == "__init__"):
        return False
    base = func.value
    if isinstance(base, ast.Call) and isinstance(base.func, ast.Name) and base.func.id == "super":
        return True
    names = {b.name if isinstance(b, ClassRef) else str(b).rsplit(".", 1)[-1] for b in owner.bases}
    return isinstance(base, ast.Name) and base.id in names and bool(call.args) \
        and isinstance(call.args[0], ast.Name) and call.args[0].id == "self"


def _base_call(call: ast.Call, owner: ClassRef, ev: Evaluator, budget: Any, env: Any, depth: int,
               result: InitResult) -> None:
    explicit = isinstance(call.func.value, ast.Name)  # Base.__init__(self, ...): self is the first argument
    positional = [ev.eval(a) for a in call.args[1 if explicit else 0:] if not isinstance(a, ast.Starred)]
    keywords: dict[str, Any] = {}
    for kw in call.keywords:
        value = ev.eval(kw.value)
        if kw.arg == "python_callable" and isinstance(kw.value, ast.Attribute) and isinstance(kw.value.value, ast.Name) \
                and kw.value.value.id == "self" and result.callable_method is None:
            result.callable_method = (owner, kw.value.attr)  # a method of the class runs as the task
        if kw.arg is not None:
            keywords[kw.arg] = value
        elif isinstance(value, dict):
            keywords.update({k: v for k, v in value.items() if isinstance(k, str)})
    base = next((b for b in owner.bases if isinstance(b, ClassRef)), None)
    if base is not None and base.init_of() is not None:
        inner = read_init(base, positional, keywords, budget, env, depth + 1)
        result.passed.update(inner.passed)
        result.attributes.update({k: v for k, v in inner.attributes.items() if k not in result.attributes})
        result.reached_base = result.reached_base or inner.reached_base
        result.callable_method = result.callable_method or inner.callable_method
    else:
        result.passed.update(keywords)
        result.reached_base = True


def usable(value: Any) -> bool:
    """A value that may become a task argument: known all through, and plain data."""
    return is_known(value) and is_data(value)


def method_of(cls: ClassRef, name: str, depth: int = 0) -> ast.FunctionDef | None:
    """The ``def name`` of ``cls`` or of a repository base it derives from."""
    found = method_owner(cls, name, depth)
    return found[1] if found is not None else None


def method_owner(cls: ClassRef, name: str, depth: int = 0) -> tuple[ClassRef, ast.FunctionDef] | None:
    """The class defining ``name`` (``cls`` or the nearest repository base) and its ``def``."""
    if cls.node is not None:
        for stmt in cls.node.body:
            if isinstance(stmt, ast.FunctionDef) and stmt.name == name:
                return cls, stmt
    for base in cls.bases:
        if isinstance(base, ClassRef) and depth < MAX_DEPTH:
            found = method_owner(base, name, depth + 1)
            if found is not None:
                return found
    return None
