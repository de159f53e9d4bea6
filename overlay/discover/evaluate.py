"""Evaluate Python expressions from DAG code without running it.

Only literals and what can be computed from them: names bound to known values, f-strings,
``%`` and ``.format``, concatenation, ``os.path.join``/``dirname(__file__)``, ``Path`` arithmetic,
containers, subscripts, ``dict.get``, ``str`` methods. Anything else is ``UNKNOWN``, never a guess.
"""

from __future__ import annotations

import ast
import os
from pathlib import PurePosixPath
from typing import Any


class _Unknown:
    _instance: _Unknown | None = None

    def __new__(cls) -> _Unknown:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN: Any = _Unknown()
_STR_METHODS = {"upper", "lower", "strip", "lstrip", "rstrip", "replace", "join", "format", "split", "title", "removesuffix", "removeprefix"}
_SAFE_BUILTINS = {"str": str, "int": int, "float": float, "len": len, "list": list, "dict": dict, "tuple": tuple, "sorted": sorted}


def is_known(value: Any) -> bool:
    if value is UNKNOWN:
        return False
    if isinstance(value, (list, tuple, set)):
        return all(is_known(v) for v in value)
    if isinstance(value, dict):
        return all(is_known(k) and is_known(v) for k, v in value.items())
    return True


class Evaluator:
    """Evaluates expressions against a scope (name -> value); ``resolve_call`` extends it for calls."""

    def __init__(self, scope: dict[str, Any], file: str, imports: dict[str, str]) -> None:
        self.scope = scope
        self.file = file
        self.imports = imports

    def eval(self, node: ast.AST | None) -> Any:
        if node is None:
            return None
        try:
            return self._eval(node)
        except Exception:  # any odd construct: unknown, never a crash
            return UNKNOWN

    def _eval(self, node: ast.AST) -> Any:
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.Name):
            if node.id == "__file__":
                return self.file
            return self.scope.get(node.id, UNKNOWN)
        if isinstance(node, ast.JoinedStr):
            parts = []
            for value in node.values:
                if isinstance(value, ast.Constant):
                    parts.append(str(value.value))
                else:
                    inner = self.eval(value.value)  # type: ignore[attr-defined]
                    if not is_known(inner):
                        return UNKNOWN
                    spec = self.eval(value.format_spec) if value.format_spec else ""  # type: ignore[attr-defined]
                    parts.append(format(inner, spec or ""))
            return "".join(parts)
        if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
            items = [self.eval(e) for e in node.elts]
            return tuple(items) if isinstance(node, ast.Tuple) else items
        if isinstance(node, ast.Dict):
            result = {}
            for k, v in zip(node.keys, node.values):
                if k is None:
                    spread = self.eval(v)
                    if isinstance(spread, dict):
                        result.update(spread)
                    continue
                result[self.eval(k)] = self.eval(v)
            return result
        if isinstance(node, ast.BinOp):
            return self._binop(node)
        if isinstance(node, ast.Subscript):
            container, index = self.eval(node.value), self.eval(node.slice)
            return container[index] if is_known(container) and is_known(index) else UNKNOWN
        if isinstance(node, ast.Attribute):
            base = self.eval(node.value)
            if isinstance(base, PurePosixPath) and node.attr in ("parent", "name", "stem"):
                return getattr(base, node.attr)
            return UNKNOWN
        if isinstance(node, ast.Call):
            return self._call(node)
        if isinstance(node, ast.IfExp):
            test = self.eval(node.test)
            return UNKNOWN if not is_known(test) else self.eval(node.body if test else node.orelse)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            value = self.eval(node.operand)
            return -value if isinstance(value, (int, float)) else UNKNOWN
        if isinstance(node, ast.Compare) and len(node.ops) == 1:
            left, right = self.eval(node.left), self.eval(node.comparators[0])
            if not (is_known(left) and is_known(right)):
                return UNKNOWN
            op = node.ops[0]
            table = {ast.Eq: lambda a, b: a == b, ast.NotEq: lambda a, b: a != b, ast.In: lambda a, b: a in b, ast.NotIn: lambda a, b: a not in b}
            return table[type(op)](left, right) if type(op) in table else UNKNOWN
        return UNKNOWN

    def _binop(self, node: ast.BinOp) -> Any:
        left, right = self.eval(node.left), self.eval(node.right)
        if isinstance(node.op, ast.Div) and isinstance(left, PurePosixPath) and isinstance(right, str):
            return left / right
        if not (is_known(left) and is_known(right)):
            return UNKNOWN
        if isinstance(node.op, ast.Add):
            return left + right
        if isinstance(node.op, ast.Mod) and isinstance(left, str):
            return left % (tuple(right) if isinstance(right, list) else right)
        if isinstance(node.op, ast.Mult):
            return left * right
        if isinstance(node.op, ast.Sub) and isinstance(left, (int, float)):
            return left - right
        return UNKNOWN

    def qualified(self, func: ast.AST) -> str:
        """`os.path.join` / `Path` / `Variable.get` as a dotted name through the module's imports."""
        if isinstance(func, ast.Name):
            return self.imports.get(func.id, func.id)
        if isinstance(func, ast.Attribute):
            return f"{self.qualified(func.value)}.{func.attr}"
        return ""

    def _call(self, node: ast.Call) -> Any:
        name = self.qualified(node.func)
        args = [self.eval(a) for a in node.args]
        kwargs = {k.arg: self.eval(k.value) for k in node.keywords if k.arg}
        if isinstance(node.func, ast.Attribute) and name.rsplit(".", 1)[0] not in ("os.path", "pathlib", "os"):
            base = self.eval(node.func.value)
            method = node.func.attr
            if isinstance(base, str) and method in _STR_METHODS and all(is_known(a) for a in args) and is_known(kwargs):
                return getattr(base, method)(*args, **kwargs)
            if isinstance(base, dict) and method == "get" and args and is_known(args[0]):
                return base.get(args[0], args[1] if len(args) > 1 else None)
            if isinstance(base, dict) and method in ("items", "keys", "values"):
                return list(getattr(base, method)())
        if not all(is_known(a) for a in args):
            return UNKNOWN
        if name in ("os.path.join", "posixpath.join"):
            return os.path.join(*[str(a) for a in args])
        if name in ("os.path.dirname", "os.path.abspath", "os.path.realpath", "os.path.basename"):
            return getattr(os.path, name.rsplit(".", 1)[1])(str(args[0]))
        if name in ("pathlib.Path", "Path", "pathlib.PurePath"):
            return PurePosixPath(*[str(a) for a in args]) if args else UNKNOWN
        if name.endswith(".resolve") or name.endswith(".absolute"):
            base = self.eval(node.func.value)  # type: ignore[attr-defined]
            return base if isinstance(base, PurePosixPath) else UNKNOWN
        if name in ("range",) and all(isinstance(a, int) for a in args):
            return list(range(*args))
        if name in _SAFE_BUILTINS and is_known(kwargs):
            return _SAFE_BUILTINS[name](*args, **kwargs)
        return UNKNOWN


def is_data(value: Any) -> bool:
    """JSON data (after ``plain``): what may be stored as an argument value."""
    if value is None or isinstance(value, (str, int, float, bool, PurePosixPath)):
        return True
    if isinstance(value, (list, tuple, set)):
        return all(is_data(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, (str, int, float, bool)) and is_data(v) for k, v in value.items())
    return False


def plain(value: Any) -> Any:
    """JSON-friendly copy of an evaluated value (paths to strings, tuples to lists)."""
    if isinstance(value, PurePosixPath):
        return str(value)
    if isinstance(value, (list, tuple, set)):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    return value
