"""What the evaluator asks static discovery: calls with effects (tasks, DAGs, helpers), repository modules, and
confined reads of the repository (``os.listdir``, ``glob``, ``Path.glob``/``iterdir``, YAML and JSON config files)."""

from __future__ import annotations

import ast
import os
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any

from overlay.discover.budget import ValueTooLarge
from overlay.discover.evaluate import NOT_HANDLED, UNKNOWN, Evaluator, is_known
from overlay.discover.static.refs import ClassRef, FileHandle, FunctionRef, ModuleRef, ObjectRef
from overlay.discover.static.repo import RefusedPath, load_config

if TYPE_CHECKING:
    from overlay.discover.static.scanner import StaticScanner

_LIST = {"os.listdir"}
_GLOB = {"glob.glob", "glob.iglob"}
_YAML = {"yaml.safe_load", "yaml.load", "yaml.full_load"}
_JSON_LOAD = {"json.load", "json.loads"}
_PATH_LISTS = {"glob", "rglob", "iterdir"}
_PATH_TESTS = {"exists", "is_file", "is_dir"}
_OS_PATH_TESTS = {"os.path.isfile": "isfile", "os.path.isdir": "isdir", "os.path.exists": "exists"}
_EFFECT_NAMES = ("Operator", "Sensor", "TaskGroup", "DAG")
_ENV_GET = {"os.environ.get", "os.getenv", "environ.get", "getenv"}
_ENV_READERS = {"environs.Env"}
_ENVIRONS_CASTS = {"str", "int", "bool", "list", "__call__"}


_SYS_PATH = frozenset({"sys.path.append", "sys.path.insert", "sys.path.extend", "site.addsitedir"})

class EnvReader:
    """An ``environs.Env()`` instance: calling it (or ``.str``/``.int``...) reads an environment variable."""


class ScanEnv:
    def __init__(self, scanner: StaticScanner) -> None:
        self.scanner = scanner

    def attribute(self, base: Any, attr: str) -> Any:
        if isinstance(base, ModuleRef):
            value = base.get(attr)
            return UNKNOWN if value is None else value
        if isinstance(base, ObjectRef) and attr in base.attrs:  # set, to None too (`params=None`)
            return base.attrs[attr]
        if isinstance(base, FunctionRef) and attr in ("__name__", "__qualname__") and hasattr(base.node, "name"):
            return base.node.name  # `task_id=fn.__name__` in a loop over functions
        if isinstance(base, ClassRef) and attr == "__name__":
            return base.name
        if isinstance(base, (ClassRef, ObjectRef)):
            value = base.attr(attr) if isinstance(base, ClassRef) else base.get(attr)
            if value is None and isinstance(base, ObjectRef):
                value = self.scanner.property_of(base, attr)
            return UNKNOWN if value is None or value is NOT_HANDLED else value
        return NOT_HANDLED

    def choice(self, body: Any, orelse: Any) -> Any:
        """``A if <not known> else B`` of two classes: either may run, so the task's rule must hold for both."""
        if isinstance(body, ClassRef) and isinstance(orelse, ClassRef):
            return ClassRef.either(body, orelse)
        return NOT_HANDLED

    def call(self, ev: Evaluator, node: ast.Call) -> Any:
        """A call met inside an expression: tasks, DAGs and helpers go to the scanner, file access to ``file_call``."""
        scanner = self.scanner
        name = ev.qualified(node.func)
        target = scanner.callee(node.func, ev.scope)
        if isinstance(target, (FunctionRef, ClassRef)) or name.rsplit(".", 1)[-1].endswith(_EFFECT_NAMES) \
                or any(k.arg == "task_id" for k in node.keywords) or name in ("chain",) or _on_instance(ev, node) \
                or name.startswith("astro."):
            return scanner.call(node, ev.scope)
        return self.file_call(ev, node)

    def file_call(self, ev: Evaluator, node: ast.Call) -> Any:
        scanner = self.scanner
        name = ev.qualified(node.func)
        if "Template" in name or "Environment" in name or (isinstance(node.func, ast.Attribute)
                                                           and node.func.attr in ("render", "from_string")):
            from overlay.extract.python.values import call_keywords, jinja_call  # `sql=Template(t).render(config)`

            made = jinja_call(node, name, ev.eval, lambda call: call_keywords(ev, call))
            if made is not NOT_HANDLED:
                return made
        if scanner.repo is None:
            return NOT_HANDLED
        if name in _SYS_PATH:  # `sys.path.append("/opt/airflow/scripts")`: where the file's later imports are found
            return self.sys_path(ev, node, name)
        if name.endswith("Variable.get") or name == "Variable.get":
            return self.variable(ev, node)
        if name in _ENV_GET:
            return self.environment(ev, node, None)
        if name in _ENV_READERS:
            return EnvReader()
        reader = ev.eval(node.func.value) if isinstance(node.func, ast.Attribute) else ev.eval(node.func)
        if isinstance(reader, EnvReader):  # environs: env("X", default), env.str("X"), env.int("X")...
            method = node.func.attr if isinstance(node.func, ast.Attribute) else "str"
            return self.environment(ev, node, method) if method in _ENVIRONS_CASTS else UNKNOWN
        try:
            return self.repository_call(ev, node, name)
        except RefusedPath as e:
            scanner.report(f"not read ({scanner.where(node.lineno)}): {e}", scanner.site_line)
            return UNKNOWN
        except OSError:
            return UNKNOWN

    def unknown_loop(self, ev: Evaluator, node: ast.expr) -> None:
        """A comprehension over values not known whose elements would build tasks (or call a helper): reported."""
        inner = getattr(node, "elt", None) or getattr(node, "value", None)
        if inner is not None and any(isinstance(n, ast.Call) and self._builds(ev, n) for n in ast.walk(inner)):
            scanner = self.scanner
            hint = "".join(dict.fromkeys(scanner.origins.hint(g.iter, ev) for g in getattr(node, "generators", [])))
            scanner.report(f"comprehension over values not known statically ({scanner.where(node.lineno)}): "
                           f"the tasks it may build are not listed{hint}", scanner.at(node.lineno))

    def _builds(self, ev: Evaluator, call: ast.Call) -> bool:
        if any(k.arg == "task_id" for k in call.keywords) or ev.qualified(call.func).rsplit(".", 1)[-1].endswith(_EFFECT_NAMES):
            return True
        return isinstance(self.scanner.callee(call.func, ev.scope), (FunctionRef, ClassRef))

    def sys_path(self, ev: Evaluator, node: ast.Call, name: str) -> Any:
        scanner = self.scanner
        args = node.args[1:] if name.endswith(".insert") else node.args
        values = ev.eval(args[0]) if args else UNKNOWN
        for value in values if name.endswith(".extend") and isinstance(values, (list, tuple)) else [values]:
            if not isinstance(value, str):
                continue  # not known statically: imports are looked up where Airflow would anyway
            refused = scanner.repo.add_search(value, first=name.endswith(".insert"))
            if refused:
                scanner.report(f"sys.path ({scanner.where(node.lineno)}): {refused}", scanner.at(node.lineno))
        return None

    def environment(self, ev: Evaluator, node: ast.Call, cast: str | None) -> Any:
        """An environment variable. overlay.yaml's ``environment:`` describes the deployment: a variable it gives has
        that value, one it does not give is unset there (the code's default applies; with none, unknown). Without
        ``environment:`` every variable is unknown: the deployment's value is what Airflow sees, not the default."""
        key = ev.eval(node.args[0]) if node.args else ev.eval(next((k.value for k in node.keywords if k.arg in ("key", "name")), None))
        environment = self.scanner.repo.environment if self.scanner.repo is not None else {}
        if not isinstance(key, str) or not environment:
            return UNKNOWN
        if key not in environment:
            default = node.args[1] if len(node.args) > 1 else next((k.value for k in node.keywords if k.arg in ("default", "fallback")), None)
            return ev.eval(default) if default is not None else UNKNOWN
        value = environment[key]
        try:
            if cast == "int":
                return int(value)
            if cast == "bool":
                return value.strip().lower() in ("1", "true", "yes", "on", "y")
            if cast == "list":
                return [v.strip() for v in value.split(",") if v.strip()]
        except ValueError:
            return UNKNOWN
        return value

    def environ_item(self, key: Any) -> Any:
        """``os.environ["X"]``: the value overlay.yaml's ``environment:`` gives; unknown otherwise (unset, it fails)."""
        environment = self.scanner.repo.environment if self.scanner.repo is not None else {}
        return environment.get(key, UNKNOWN) if isinstance(key, str) else UNKNOWN

    def variable(self, ev: Evaluator, node: ast.Call) -> Any:
        """``Variable.get(key, deserialize_json=...)``: the value overlay.yaml's ``variables:`` gives, else unknown."""
        kwargs = {k.arg: k.value for k in node.keywords if k.arg}
        key = ev.eval(node.args[0] if node.args else kwargs.get("key"))
        variables = self.scanner.repo.variables if self.scanner.repo is not None else {}
        if not isinstance(key, str):
            return UNKNOWN
        if key in variables:
            value = variables[key]
            if ev.eval(kwargs.get("deserialize_json")) is True and isinstance(value, str):
                try:
                    return load_config(value, "json")
                except Exception:
                    return UNKNOWN
            return value
        return UNKNOWN  # not its default: the deployment's value is what Airflow uses

    def repository_call(self, ev: Evaluator, node: ast.Call, name: str) -> Any:
        repo = self.scanner.repo
        assert repo is not None
        if name in _OS_PATH_TESTS and node.args:
            value = ev.eval(node.args[0])
            return repo.path_test(value, _OS_PATH_TESTS[name]) if isinstance(value, (str, PurePosixPath)) else UNKNOWN
        if name in _LIST or name in _GLOB or name in _YAML or name in _JSON_LOAD or name in ("open", "io.open"):
            args = [ev.eval(a) for a in node.args]
            kwargs = {k.arg: ev.eval(k.value) for k in node.keywords if k.arg}
            if not args or not is_known(args[0]):
                return UNKNOWN
            first = args[0]
            if name in _LIST:
                return repo.listdir(first)
            if name in _GLOB:
                return repo.glob(first, recursive=bool(kwargs.get("recursive")))
            if name in ("open", "io.open"):
                mode = args[1] if len(args) > 1 else kwargs.get("mode", "r")
                return FileHandle(repo.confined(first)) if isinstance(mode, str) and set(mode) <= set("rtb") else UNKNOWN
            text = self.text_of(first)
            if text is None:
                return UNKNOWN
            return self.config(text, "json" if name in _JSON_LOAD else "yaml")
        if isinstance(node.func, ast.Attribute):
            method = node.func.attr
            if method in _PATH_LISTS | _PATH_TESTS | {"read_text", "read", "open"}:
                base = ev.eval(node.func.value)
                args = [ev.eval(a) for a in node.args]
                if isinstance(base, PurePosixPath):
                    return self.path_method(base, method, args)
                if isinstance(base, FileHandle) and method == "read":
                    return self.text_of(base)
        return NOT_HANDLED

    def path_method(self, base: PurePosixPath, method: str, args: list[Any]) -> Any:
        repo = self.scanner.repo
        assert repo is not None
        if method == "iterdir":
            return [base / n for n in repo.listdir(base)]
        if method in ("glob", "rglob"):
            if not args or not isinstance(args[0], str):
                return UNKNOWN
            pattern = args[0] if method == "glob" else f"**/{args[0]}"
            return [PurePosixPath(p) for p in repo.glob(os.path.join(str(base), pattern), recursive=True)]
        if method == "read_text":
            return repo.read_text(base)
        if method == "open":
            return FileHandle(repo.confined(base))
        if method == "exists":
            return os.path.exists(repo.confined(base))
        return getattr(repo, method)(base)

    def text_of(self, value: Any) -> str | None:
        repo = self.scanner.repo
        assert repo is not None
        if isinstance(value, FileHandle):
            text = repo.read_text(value.path)
        elif isinstance(value, str):
            text = value
        else:
            return None
        self.scanner.budget.charge(len(text), "file")
        return text

    def config(self, text: str, kind: str) -> Any:
        try:
            data = load_config(text, kind)
        except RefusedPath:
            raise
        except Exception:  # not valid YAML/JSON: unknown
            return UNKNOWN
        self.scanner.budget.charge(len(text) * 4, "config")
        return data


__all__ = ["ScanEnv", "ValueTooLarge"]


def _on_instance(ev: Evaluator, node: ast.Call) -> bool:
    """``obj.method(...)`` (or ``self.factory.method(...)``) on an instance the interpreter made: the scanner runs it."""
    func = node.func
    return isinstance(func, ast.Attribute) and isinstance(func.value, (ast.Name, ast.Attribute)) \
        and isinstance(ev.eval(func.value), ObjectRef)

