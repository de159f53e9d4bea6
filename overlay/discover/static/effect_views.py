"""What the effect analysis (``effects``) looks names up in: a module's top-level bindings, a function's own names."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Any

from overlay.discover.python_source import parse_python

Import = tuple[str, int, "str | None"]  # module, level, the name imported from it (None: the module itself)


@dataclass
class Bindings:
    imports: dict[str, Import] = field(default_factory=dict)
    defs: dict[str, list[ast.AST]] = field(default_factory=dict)  # definitions and assigned values, by name
    stars: list[Import] = field(default_factory=list)  # `from x import *`


@dataclass
class ModuleView:
    """A module's top-level bindings, as the analysis looks names up: imports, definitions, assigned values.
    The source is parsed only when a name is not in the interpreter's scope (most are)."""

    path: str
    scope: dict[str, Any]
    source: str = ""
    repository: bool = False  # a module of the repository (an input of the files using it)
    imports: dict[str, str] = field(default_factory=dict)  # the interpreter's import table: bound name -> qualified
    _bindings: Bindings | None = None

    def imported(self, name: str) -> Import | None:
        """How ``name`` was imported, as the interpreter's import table has it (no parse)."""
        qualified = self.imports.get(name)
        if qualified is None or qualified.endswith("*"):
            return None
        module, _, attr = qualified.rpartition(".")
        return (module, 0, attr) if module else (attr, 0, None)

    @property
    def bindings(self) -> Bindings:
        if self._bindings is None:
            self._bindings = _bindings(self.path, self.source)
        return self._bindings


def _bindings(path: str, source: str) -> Bindings:
    view = Bindings()
    try:
        tree = parse_python(source, filename=path)
    except (SyntaxError, ValueError):
        return view
    blocks = [tree.body]
    while blocks:
        for stmt in blocks.pop():
            if isinstance(stmt, ast.Import):
                for alias in stmt.names:
                    if alias.asname:
                        view.imports[alias.asname] = (alias.name, 0, None)
                    else:
                        root = alias.name.split(".")[0]
                        view.imports[root] = (root, 0, None)
            elif isinstance(stmt, ast.ImportFrom):
                for alias in stmt.names:
                    if alias.name == "*":
                        view.stars.append((stmt.module or "", stmt.level, None))
                    else:
                        view.imports[alias.asname or alias.name] = (stmt.module or "", stmt.level, alias.name)
            elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                view.defs.setdefault(stmt.name, []).append(stmt)
            elif isinstance(stmt, (ast.Assign, ast.AnnAssign, ast.AugAssign, ast.For, ast.AsyncFor, ast.With)):
                value = _bound_value(stmt)
                for name in _stored_names(stmt):
                    if value is not None:
                        view.defs.setdefault(name, []).append(value)
                if isinstance(stmt, (ast.For, ast.AsyncFor, ast.With)):
                    blocks.append(stmt.body)
            if isinstance(stmt, ast.If):
                blocks.extend([stmt.body, stmt.orelse])
            elif isinstance(stmt, ast.Try):
                blocks.extend([stmt.body, stmt.orelse, stmt.finalbody, *[h.body for h in stmt.handlers]])
    return view


def _bound_value(stmt: ast.stmt) -> ast.AST | None:
    if isinstance(stmt, (ast.Assign, ast.AugAssign)):
        return stmt.value
    if isinstance(stmt, ast.AnnAssign):
        return stmt.value
    if isinstance(stmt, (ast.For, ast.AsyncFor)):
        return stmt.iter
    if isinstance(stmt, ast.With):
        return ast.Tuple(elts=[i.context_expr for i in stmt.items], ctx=ast.Load())
    return None


def _stored_names(stmt: ast.stmt) -> list[str]:
    targets: list[ast.AST] = []
    if isinstance(stmt, ast.Assign):
        targets = list(stmt.targets)
    elif isinstance(stmt, (ast.AnnAssign, ast.AugAssign, ast.For, ast.AsyncFor)):
        targets = [stmt.target]
    elif isinstance(stmt, ast.With):
        targets = [i.optional_vars for i in stmt.items if i.optional_vars is not None]
    return [n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)]


@dataclass
class LocalScope:
    """Names a function (or class body, or expression) binds itself: not followed, or imported inside it."""

    names: frozenset[str]
    imports: dict[str, Import]
    parent: LocalScope | None = None

    def lookup(self, name: str) -> tuple[str, Import | None] | None:
        scope: LocalScope | None = self
        while scope is not None:
            if name in scope.imports:
                return "import", scope.imports[name]
            if name in scope.names:
                return "local", None
            scope = scope.parent
        return None


def local_names(nodes: list[ast.AST], params: ast.arguments | None = None) -> tuple[frozenset[str], dict[str, Import]]:
    """The names a function body (or class body, or expression) binds itself, and what it imports."""
    names: set[str] = set()
    imports: dict[str, Import] = {}
    shared: set[str] = set()
    if params is not None:
        names.update(a.arg for a in params.posonlyargs + params.args + params.kwonlyargs)
        names.update(a.arg for a in (params.vararg, params.kwarg) if a is not None)
    stack = list(nodes)
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
            continue
        if isinstance(node, ast.Lambda):
            continue
        if isinstance(node, ast.Import):
            for alias in node.names:
                bound = alias.asname or alias.name.split(".")[0]
                imports[bound] = (alias.name if alias.asname else bound, 0, None)
            continue
        if isinstance(node, ast.ImportFrom):
            for alias in node.names:
                if alias.name != "*":
                    imports[alias.asname or alias.name] = (node.module or "", node.level, alias.name)
            continue
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            names.add(node.id)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            names.add(node.name)
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            shared.update(node.names)
        elif isinstance(node, (ast.MatchAs, ast.MatchStar)) and node.name:
            names.add(node.name)
        stack.extend(ast.iter_child_nodes(node))
    return frozenset(names - shared), {k: v for k, v in imports.items() if k not in shared}
