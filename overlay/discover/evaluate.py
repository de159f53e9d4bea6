"""Evaluate Python expressions from DAG code without running it.

Only literals and what can be computed from them: names bound to known values, f-strings,
``%`` and ``.format``, concatenation, boolean logic and comparisons, comprehensions over known
collections, ``os.path.join``/``dirname(__file__)``, ``Path`` arithmetic, containers, subscripts
and slices, ``dict.get``, ``str`` methods. Anything else is ``UNKNOWN``, never a guess.

Every step is paid for from a ``Budget`` (``overlay.discover.budget``) before its value is built.
An ``env`` (static discovery's repository view) may answer attribute and call lookups the
evaluator does not know (modules of the repository, listings and config files inside it).
"""

from __future__ import annotations

import ast
import inspect
import operator
import os
import textwrap
from pathlib import PurePosixPath
from typing import Any

from overlay.discover.budget import Budget, BudgetError, ValueTooLarge, check_format_spec, check_percent_format, size_of
from overlay.discover.strings import STR_METHODS, TemplateText, str_method, substitute


class _Unknown:
    _instance: _Unknown | None = None

    def __new__(cls) -> _Unknown:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNKNOWN"

    def __reduce__(self) -> str:
        return "UNKNOWN"


UNKNOWN: Any = _Unknown()


# classes that are a dict to whoever reads them (attribute access included, as Jinja's `a.b` falls back to `a['b']`)
DICT_LIKE = frozenset({"attrdict.AttrDict", "addict.Dict", "munch.Munch", "box.Box", "easydict.EasyDict",
                       "collections.OrderedDict", "dotmap.DotMap"})
NOT_HANDLED: Any = object()
_PENDING: Any = object()  # a receiver whose value is being computed
_SAFE_BUILTINS = {"str": str, "int": int, "float": float, "bool": bool, "len": len, "list": list, "dict": dict, "tuple": tuple,
                  "sorted": sorted, "any": any, "all": all, "min": min, "max": max, "abs": abs, "round": round}
_COMPARE = {ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt, ast.LtE: operator.le, ast.Gt: operator.gt,
            ast.GtE: operator.ge, ast.In: lambda a, b: a in b, ast.NotIn: lambda a, b: a not in b,
            ast.Is: operator.is_, ast.IsNot: operator.is_not}


def written_name(func: ast.expr) -> str:
    """A called name as the code writes it (``f``, ``module.f``, ``pkg.module.f``); empty for anything else."""
    parts: list[str] = []
    while isinstance(func, ast.Attribute):
        parts.append(func.attr)
        func = func.value
    if not isinstance(func, ast.Name):
        return ""
    parts.append(func.id)
    return ".".join(reversed(parts))


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

    def __init__(self, scope: dict[str, Any], file: str, imports: dict[str, str], budget: Budget | None = None,
                 env: Any = None) -> None:
        self.scope = scope
        self.file = file
        self.imports = imports
        self.budget = budget if budget is not None else Budget(strict=False)
        self.env = env

    def child(self, scope: dict[str, Any]) -> Evaluator:
        ev = type(self).__new__(type(self))
        ev.__dict__.update(self.__dict__)
        ev.scope = scope
        return ev

    def eval(self, node: ast.AST | None) -> Any:
        if node is None:
            return None
        budget = self.budget
        budget.tick()
        if budget.depth >= budget.limits.depth:
            return self._over(ValueTooLarge(f"expression nested deeper than {budget.limits.depth}", budget.line))
        budget.depth += 1
        receivers = budget.receivers
        key = (id(node), id(self.scope))
        if receivers and key in receivers and receivers[key] is not _PENDING:
            budget.depth -= 1
            return receivers[key]
        receiver = (id(node.func.value), key[1]) if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) else None
        opened = receiver is not None and receiver not in receivers
        if opened:
            receivers[receiver] = _PENDING
        try:
            value = self._eval(node)
            if receivers and key in receivers:
                receivers[key] = value
            return value
        except BudgetError as e:
            return self._over(e)
        except RecursionError:
            return self._over(ValueTooLarge("expression nested too deeply", budget.line))
        except Exception:  # any odd construct: unknown, never a crash
            return UNKNOWN
        finally:
            budget.depth -= 1
            if opened:
                del receivers[receiver]

    def _over(self, error: BudgetError) -> Any:
        if self.budget.strict:
            raise error
        return UNKNOWN

    def _eval(self, node: ast.AST) -> Any:
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.Name):
            if node.id == "__file__":  # the evaluated file, else the scope's (a callable read apart from its module)
                return self.file or self.scope.get("__file__", UNKNOWN)
            return self.scope.get(node.id, UNKNOWN)
        if isinstance(node, ast.JoinedStr):
            return self._fstring(node)
        if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
            self.budget.items(len(node.elts))
            items = [self.eval(e) for e in node.elts]
            return tuple(items) if isinstance(node, ast.Tuple) else items
        if isinstance(node, ast.Dict):
            self.budget.items(len(node.keys))
            result = {}
            for k, v in zip(node.keys, node.values):
                if k is None:
                    spread = self.eval(v)
                    if isinstance(spread, dict):
                        self.budget.items(len(spread))
                        result.update(spread)
                    continue
                key = self.eval(k)
                try:
                    result[key] = self.eval(v)
                except TypeError:  # an unhashable key
                    return UNKNOWN
            return result
        if isinstance(node, (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)):
            return self._comprehension(node)
        if isinstance(node, ast.BinOp):
            return self._binop(node)
        if isinstance(node, ast.BoolOp):
            return self._boolop(node)
        if isinstance(node, ast.Subscript):
            if self.env is not None and self.qualified(node.value) in ("os.environ", "environ"):
                return self.env.environ_item(self.eval(node.slice))  # os.environ["X"]: overlay.yaml's environment:
            container, index = self.eval(node.value), self.eval(node.slice)
            if isinstance(container, dict) and is_known(index):  # a dict known in part: its known keys still answer
                try:
                    return container.get(index, UNKNOWN)
                except TypeError:
                    return UNKNOWN
            if isinstance(container, (list, tuple)) and isinstance(index, int) and not isinstance(index, bool):
                return container[index] if -len(container) <= index < len(container) else UNKNOWN
            return container[index] if is_known(container) and is_known(index) else UNKNOWN
        if isinstance(node, ast.Slice):
            parts = [self.eval(p) if p is not None else None for p in (node.lower, node.upper, node.step)]
            return slice(*parts) if all(p is None or isinstance(p, int) for p in parts) else UNKNOWN
        if isinstance(node, ast.Attribute):
            base = self.eval(node.value)
            if isinstance(base, PurePosixPath) and node.attr in ("parent", "name", "stem", "suffix"):
                return getattr(base, node.attr)
            if isinstance(base, PurePosixPath) and node.attr in ("parents", "parts"):  # Path(__file__).parents[2]
                return tuple(getattr(base, node.attr))
            if self.env is not None:
                value = self.env.attribute(base, node.attr)
                if value is not NOT_HANDLED:
                    return value
            return UNKNOWN
        if isinstance(node, ast.Call):
            return self._call(node)
        if isinstance(node, ast.IfExp):
            test = self.eval(node.test)
            if not is_known(test) and self.env is not None and all(isinstance(n, (ast.Name, ast.Attribute))
                                                                   for n in (node.body, node.orelse)):
                choice = self.env.choice(self.eval(node.body), self.eval(node.orelse))  # `A if env == "dev" else B`
                if choice is not NOT_HANDLED:
                    return choice
            return UNKNOWN if not is_known(test) else self.eval(node.body if test else node.orelse)
        if isinstance(node, ast.UnaryOp):
            value = self.eval(node.operand)
            if isinstance(node.op, ast.Not):
                return UNKNOWN if not is_known(value) else not value
            if isinstance(node.op, ast.USub) and isinstance(value, (int, float)) and not isinstance(value, bool):
                return -value
            return UNKNOWN
        if isinstance(node, ast.Compare):
            left = self.eval(node.left)
            for op, right_node in zip(node.ops, node.comparators):
                right = self.eval(right_node)
                if not (is_known(left) and is_known(right)) or type(op) not in _COMPARE:
                    return UNKNOWN
                if isinstance(right, str) and isinstance(op, (ast.In, ast.NotIn)) and not isinstance(left, str):
                    return UNKNOWN
                if not _COMPARE[type(op)](left, right):
                    return False
                left = right
            return True
        return UNKNOWN

    def _fstring(self, node: ast.JoinedStr) -> Any:
        parts: list[str] = []
        total = 0
        for value in node.values:
            if isinstance(value, ast.Constant):
                text = str(value.value)
            else:
                inner = self.eval(value.value)  # type: ignore[attr-defined]
                if not is_known(inner) or not _is_scalar_or_path(inner):
                    return UNKNOWN
                spec = self.eval(value.format_spec) if value.format_spec else ""  # type: ignore[attr-defined]
                if not isinstance(spec, str):
                    return UNKNOWN
                check_format_spec(spec, self.budget)
                conversion = getattr(value, "conversion", -1)
                if conversion == ord("r"):
                    inner = repr(inner)
                text = format(inner if not isinstance(inner, PurePosixPath) else str(inner), spec)
            total += len(text)
            self.budget.charge(total, "f-string")
            parts.append(text)
        return "".join(parts)

    def _binop(self, node: ast.BinOp) -> Any:
        if isinstance(node.op, ast.Add):  # long `a + b + c + ...` chains, without recursion
            operands: list[ast.expr] = []
            current: ast.expr = node
            while isinstance(current, ast.BinOp) and isinstance(current.op, ast.Add):
                operands.append(current.right)
                current = current.left
            operands.append(current)
            values = [self.eval(n) for n in reversed(operands)]
            result = values[0]
            for value in values[1:]:
                result = self._add(result, value)
                if result is UNKNOWN:
                    return UNKNOWN
            return result
        left, right = self.eval(node.left), self.eval(node.right)
        if isinstance(node.op, ast.Div) and isinstance(left, PurePosixPath) and isinstance(right, (str, PurePosixPath)):
            return left / right
        if not (is_known(left) and is_known(right)):
            return UNKNOWN
        if isinstance(node.op, ast.Mod) and isinstance(left, str):
            check_percent_format(left, self.budget)
            args = tuple(right) if isinstance(right, list) else right
            self.budget.charge(len(left) + sum(size_of(a) for a in (args if isinstance(args, tuple) else (args,))), "% format")
            result = left % args
            self.budget.charge(len(result), "% format")
            return result
        if isinstance(node.op, ast.Mult):
            return self._mult(left, right)
        if isinstance(node.op, ast.BitOr) and isinstance(left, dict) and isinstance(right, dict):  # dict union
            self.budget.items(len(left) + len(right), "dict union")
            return {**left, **right}
        if isinstance(node.op, ast.Sub) and _number(left) and _number(right):
            return left - right
        if isinstance(node.op, ast.FloorDiv) and _number(left) and _number(right) and right:
            return left // right
        return UNKNOWN

    def _add(self, left: Any, right: Any) -> Any:
        if isinstance(left, PurePosixPath) or isinstance(right, PurePosixPath) or not (is_known(left) and is_known(right)):
            return UNKNOWN
        if isinstance(left, (str, list, tuple)) and type(left) is type(right):
            self.budget.charge(size_of(left) + size_of(right), "concatenation")
        elif _number(left) and _number(right):
            self._int_bits(left, right, add=True)
        else:
            return UNKNOWN
        return left + right

    def _mult(self, left: Any, right: Any) -> Any:
        if isinstance(left, int) and isinstance(right, (str, list, tuple)):
            left, right = right, left
        if isinstance(left, (str, list, tuple)) and isinstance(right, int) and not isinstance(right, bool):
            self.budget.charge(max(size_of(left) * max(right, 0), 0), "repetition")
            return left * right
        if _number(left) and _number(right):
            self._int_bits(left, right)
            return left * right
        return UNKNOWN

    def _int_bits(self, left: Any, right: Any, add: bool = False) -> None:
        if isinstance(left, int) and isinstance(right, int):
            bits = max(left.bit_length(), right.bit_length()) + 1 if add else left.bit_length() + right.bit_length()
            if bits > self.budget.limits.int_bits:
                raise ValueTooLarge(f"integer of {bits:,} bits", self.budget.line)

    def _boolop(self, node: ast.BoolOp) -> Any:
        value: Any = None
        for operand in node.values:
            value = self.eval(operand)
            if not is_known(value) and not _truthy_ref(value):
                return UNKNOWN
            if isinstance(node.op, ast.Or) and value:
                return value
            if isinstance(node.op, ast.And) and not value:
                return value
        return value

    def _comprehension(self, node: ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp) -> Any:
        results: list[Any] = []
        budget = self.budget

        def run(index: int, scope: dict[str, Any], scale: int = 1) -> bool:
            ev = self.child(scope)
            if index == len(node.generators):
                if isinstance(node, ast.DictComp):
                    results.append((ev.eval(node.key), ev.eval(node.value)))
                else:
                    results.append(ev.eval(node.elt))
                budget.items(1, "comprehension")
                return True
            gen = node.generators[index]
            items = iterable(ev.eval(gen.iter))
            if items is None:
                if self.env is not None:
                    self.env.unknown_loop(ev, node)  # it may have built tasks: say so
                return False
            allowance = budget.loop_allowance()
            if len(items) * scale > allowance:  # nested generators: this one runs once per outer item
                raise ValueTooLarge(f"comprehension over {len(items) * scale:,} items (limit {allowance:,})", budget.line)
            budget.spend_loop(len(items))
            for position, item in enumerate(items):
                inner = dict(scope)
                if not bind_target(gen.target, item, inner):
                    return False
                tests = [ev.child(inner).eval(t) for t in gen.ifs]
                if not all(is_known(t) for t in tests):
                    return False
                if all(tests) and not run(index + 1, inner, scale * (len(items) - position)):
                    return False
            return True

        if not run(0, dict(self.scope)):
            return UNKNOWN
        if isinstance(node, ast.DictComp):
            try:
                return dict(results)
            except TypeError:
                return UNKNOWN
        return results

    def qualified(self, func: ast.AST) -> str:
        """`os.path.join` / `Path` / `Variable.get` as a dotted name through the module's imports."""
        if isinstance(func, ast.Name):
            return self.imports.get(func.id, func.id)
        if isinstance(func, ast.Attribute):
            return f"{self.qualified(func.value)}.{func.attr}"
        return ""

    def _call(self, node: ast.Call) -> Any:
        if self.env is not None:
            value = self.env.call(self, node)
            if value is not NOT_HANDLED:
                return value
        return self.builtin_call(node)

    def builtin_call(self, node: ast.Call) -> Any:
        """A call the evaluator computes itself (builtins, str/dict/path methods, os.path)."""
        name = self.qualified(node.func)
        args = [self.eval(a) for a in node.args]
        kwargs = {k.arg: self.eval(k.value) for k in node.keywords if k.arg}
        if isinstance(node.func, ast.Attribute) and name.rsplit(".", 1)[0] not in ("os.path", "pathlib", "os"):
            base = self.eval(node.func.value)
            method = node.func.attr
            if isinstance(base, str) and method in STR_METHODS and all(is_known(a) for a in args) and is_known(kwargs):
                if method == "join" and args:
                    args = [iterable(args[0])]
                result = str_method(base, method, args, kwargs, self.budget)
                return UNKNOWN if result is None else result
            if isinstance(base, dict) and method == "get" and args and is_known(args[0]):
                try:
                    return base.get(args[0], args[1] if len(args) > 1 else None)
                except TypeError:
                    return UNKNOWN
            if isinstance(base, dict) and method in ("setdefault", "pop") and args and is_known(args[0]) and not kwargs:
                try:
                    return getattr(base, method)(*args[:2]) if method == "setdefault" or len(args) > 1 or args[0] in base else UNKNOWN
                except TypeError:
                    return UNKNOWN
            if isinstance(base, dict) and method == "update" and len(args) == 1 and isinstance(args[0], dict):
                self.budget.items(len(args[0]))
                base.update(args[0])
                base.update(kwargs)
                return None
            if isinstance(base, (dict, list)) and method == "copy" and not args:
                self.budget.items(len(base))
                return base.copy()
            if isinstance(base, list) and method in ("append", "extend") and len(args) == 1:
                added = iterable(args[0]) if method == "extend" else [args[0]]
                if added is None:
                    return forget(base)
                self.budget.items(len(added))
                base.extend(added)
                return None
            if isinstance(base, (list, dict)) and method in _MUTATORS.get(type(base), ()):
                return _mutate(base, method, args, kwargs)
            if isinstance(base, dict) and method in ("items", "keys", "values"):
                self.budget.items(len(base))
                return list(getattr(base, method)())
            if isinstance(base, PurePosixPath) and method in ("joinpath", "with_suffix", "with_name") and all(isinstance(a, str) for a in args):
                return getattr(base, method)(*args)
            if isinstance(base, TemplateText) and method in ("substitute", "safe_substitute") and is_known(kwargs):
                result = substitute(base, method, args, kwargs, self.budget)
                return UNKNOWN if result is None else result
        if not all(is_known(a) for a in args):
            return UNKNOWN
        if name in ("os.path.join", "posixpath.join"):
            self.budget.charge(sum(size_of(str(a)) for a in args), "path")
            return os.path.join(*[str(a) for a in args])
        if name in ("os.path.dirname", "os.path.abspath", "os.path.realpath", "os.path.basename") and len(args) == 1:
            path, function = str(args[0]), name.rsplit(".", 1)[1]
            if function in ("dirname", "basename"):
                return getattr(os.path, function)(path)
            return os.path.normpath(path) if os.path.isabs(path) else UNKNOWN  # relative to an unknown working folder
        if name in ("pathlib.Path", "Path", "pathlib.PurePath", "pathlib.PurePosixPath"):
            return PurePosixPath(*[str(a) for a in args]) if args else UNKNOWN
        if name.endswith(".resolve") or name.endswith(".absolute"):
            base = self.eval(node.func.value)  # type: ignore[attr-defined]
            return base if isinstance(base, PurePosixPath) else UNKNOWN
        if name in ("range",) and args and all(isinstance(a, int) for a in args) and len(args) <= 3:
            span = range(*args)
            self.budget.items(len(span), "range")
            return list(span)
        if name in ("enumerate", "zip") and all(iterable(a) is not None for a in args) and not kwargs:
            seqs = [iterable(a) for a in args]
            self.budget.items(max((len(s) for s in seqs), default=0), name)  # type: ignore[arg-type]
            return list(enumerate(seqs[0])) if name == "enumerate" and len(seqs) == 1 else list(zip(*seqs)) if name == "zip" else UNKNOWN
        if name in ("textwrap.dedent", "inspect.cleandoc") and len(args) == 1 and isinstance(args[0], str) and not kwargs:
            self.budget.charge(len(args[0]), name)
            return textwrap.dedent(args[0]) if name == "textwrap.dedent" else inspect.cleandoc(args[0])
        if name in ("set", "frozenset") and not kwargs and len(args) <= 1:
            # a list without repeats, in first-seen order: the same members as Airflow's set, and a stable order
            # for the tasks a loop over it builds (a real set's order changes with PYTHONHASHSEED)
            items = iterable(args[0]) if args else []
            if items is None or not all(isinstance(i, (str, int, float, bool, tuple)) or i is None for i in items):
                return UNKNOWN
            self.budget.items(len(items), name)
            return list(dict.fromkeys(items))
        if name == "string.Template" and len(args) == 1 and isinstance(args[0], str) and not kwargs:
            return TemplateText(args[0])
        if name in DICT_LIKE and len(args) <= 1 and is_known(kwargs):  # AttrDict({...}): a dict, as Jinja reads it
            items = args[0] if args else {}
            if not isinstance(items, dict):
                return UNKNOWN
            self.budget.items(len(items) + len(kwargs), name)
            return {**items, **kwargs}
        if name in _SAFE_BUILTINS and is_known(kwargs):
            if name == "str" and args and not _is_scalar_or_path(args[0]):
                if size_of(args[0]) > 10_000:
                    return UNKNOWN
            if name in ("list", "tuple", "sorted", "dict") and args and isinstance(args[0], set):
                args = [sorted(args[0], key=repr)]
            for a in args:
                self.budget.charge(size_of(a), name)
            if name == "str" and args and isinstance(args[0], PurePosixPath):
                return str(args[0])
            return _SAFE_BUILTINS[name](*args, **kwargs)
        return UNKNOWN


# methods that change a list or dict in place: applied as Python applies them (a list given to a task and cleared
# afterwards is empty when the task runs), or the call is not known
_MUTATORS: dict[type, frozenset[str]] = {list: frozenset({"clear", "pop", "insert", "remove", "reverse"}),
                                         dict: frozenset({"clear", "popitem"})}


def _mutate(base: list[Any] | dict[Any, Any], method: str, args: list[Any], kwargs: dict[str, Any]) -> Any:
    if kwargs or not all(is_known(a) for a in args) or (method == "insert" and not isinstance(args[0] if args else None, int)):
        return forget(base)
    try:
        return getattr(base, method)(*args)
    except (IndexError, KeyError, ValueError, TypeError):  # what Python raises here: the run would fail; not known
        return forget(base)


def forget(base: list[Any] | dict[Any, Any]) -> Any:
    """A list or dict changed in a way not known: what it holds is no longer known (never its old contents)."""
    if isinstance(base, list):
        base[:] = [UNKNOWN]
    else:
        for key in base:
            base[key] = UNKNOWN
    return UNKNOWN


def iterable(value: Any) -> list[Any] | None:
    """A known value a loop can go over, in a deterministic order; None when it is not one."""
    if isinstance(value, dict):
        return list(value)
    if isinstance(value, (list, tuple, str)):
        return list(value)
    if isinstance(value, set):
        return sorted(value, key=repr)
    return None


def bind_target(target: ast.expr, value: Any, scope: dict[str, Any]) -> bool:
    if isinstance(target, ast.Name):
        scope[target.id] = value
        return True
    if isinstance(target, (ast.Tuple, ast.List)):
        values = list(value) if isinstance(value, (list, tuple)) and len(value) == len(target.elts) else [UNKNOWN] * len(target.elts)
        return all(bind_target(t, v, scope) for t, v in zip(target.elts, values))
    return False


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_scalar_or_path(value: Any) -> bool:
    return value is None or isinstance(value, (str, int, float, bool, PurePosixPath))


def _truthy_ref(value: Any) -> bool:
    return value is not UNKNOWN and not isinstance(value, (list, tuple, set, dict, str, int, float)) and value is not None


def is_data(value: Any) -> bool:
    """JSON data (after ``plain``): what may be stored as an argument value."""
    if value is None or isinstance(value, (str, int, float, bool, PurePosixPath)):
        return True
    if isinstance(value, (list, tuple, set)):
        return all(is_data(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, (str, int, float, bool)) and is_data(v) for k, v in value.items())
    return False


def known_part(value: dict[Any, Any], prefix: str = "") -> tuple[dict[str, Any], list[str]]:
    """A dict with its unknown (or non-data) values left out, nested dicts kept in part, and the dotted
    paths of what was left out: one unknown constant does not make a whole ``params`` or job
    configuration unknown. Lists stay whole or unknown (dropping an item would change what runs)."""
    known: dict[str, Any] = {}
    missing: list[str] = []
    for key, item in value.items():
        if not isinstance(key, (str, int, float, bool)):
            continue
        path = f"{prefix}{key}"
        if is_known(item) and is_data(item):
            known[str(key)] = item
        elif isinstance(item, dict):
            known[str(key)], inner = known_part(item, f"{path}.")
            missing.extend(inner)
        else:
            missing.append(path)
    return known, missing


def plain(value: Any) -> Any:
    """JSON-friendly copy of an evaluated value (paths to strings, tuples to lists)."""
    if isinstance(value, PurePosixPath):
        return str(value)
    if isinstance(value, (list, tuple, set)):
        return [plain(v) for v in (sorted(value, key=repr) if isinstance(value, set) else value)]
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    return value
