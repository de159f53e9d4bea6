"""What the static interpreter binds names to besides plain values: tasks, DAGs, groups, functions, classes, modules."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from typing import Any, Callable

from overlay.model import DagSpec, TaskSpec

_SQL_NAMES = frozenset({"query", "queries", "statement", "statements", "hql", "script"})


def sql_named(name: str) -> bool:
    """An argument name that says it holds SQL: ``sql``, ``merge_sql``, ``query``, ``statement``..."""
    return "sql" in name.lower() or name.lower() in _SQL_NAMES


def strings(value: Any) -> list[str]:
    """The strings of a class attribute given as one string or a list/tuple of them (``template_fields``...)."""
    items = [value] if isinstance(value, str) else value if isinstance(value, (list, tuple)) else []
    return [v for v in items if isinstance(v, str)]


GENERIC_BASES = {"object", "BaseOperator", "BaseSensorOperator", "ABC", "Generic", "LoggingMixin", "SkipMixin"}


@dataclass
class ModuleCtx:
    """The file a piece of code comes from: its path, source and import table."""

    path: str
    source: str
    imports: dict[str, str] = field(default_factory=dict)
    _lines: list[str] | None = field(default=None, repr=False, compare=False)
    # module-level `name = call(...)` (`hook = MySqlHook(mysql_conn_id="x")`), for callables that use the name;
    # None: the name is assigned more than once, so which call made it is not known
    assigned_calls: dict[str, ast.Call | None] = field(default_factory=dict, repr=False, compare=False)

    def segment(self, node: ast.AST) -> str:
        """``ast.get_source_segment(self.source, node)`` without splitting the whole file on every call (a file of
        2,000 tasks asked it 2,000 times)."""
        if self._lines is None:
            self._lines = _LINE.findall(self.source)
        start, end = getattr(node, "lineno", None), getattr(node, "end_lineno", None)
        start_col, end_col = getattr(node, "col_offset", None), getattr(node, "end_col_offset", None)
        if None in (start, end, start_col, end_col) or end > len(self._lines):
            return ""
        lines = [line.encode() for line in self._lines[start - 1:end]]
        if len(lines) == 1:
            return lines[0][start_col:end_col].decode(errors="replace")
        return b"".join([lines[0][start_col:], *lines[1:-1], lines[-1][:end_col]]).decode(errors="replace")


_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")  # lines as Python's tokenizer counts them (not \f or \v)


@dataclass
class TaskRef:
    spec: TaskSpec
    dag: Any = field(default=None, compare=False, repr=False)  # the DagSpec holding it; None: made outside any DAG

    def ids(self) -> list[str]:
        return [self.spec.task_id]


@dataclass
class TaskGroupRef:
    group_id: str = ""  # as Airflow names it, parents' prefixes included
    prefix_group_id: bool = True
    parent: TaskGroupRef | None = None
    tasks: list[TaskRef] = field(default_factory=list)
    default_args: dict[str, Any] = field(default_factory=dict)  # the parent group's, overridden by its own

    def child_id(self, label: str) -> str:
        return f"{self.group_id}.{label}" if self.prefix_group_id and self.group_id else label

    def add(self, ref: TaskRef) -> None:
        group: TaskGroupRef | None = self
        while group is not None:
            group.tasks.append(ref)
            group = group.parent


@dataclass
class DagRef:
    spec: DagSpec


@dataclass
class FunctionRef:
    node: ast.FunctionDef
    kind: str  # plain | dag | task | group
    decorator_kwargs: dict[str, Any] = field(default_factory=dict)
    decorator_name: str = "@task"
    scope: dict[str, Any] = field(default_factory=dict)
    module: ModuleCtx | None = None


@dataclass
class ClassRef:
    """A class defined in the scanned file or an imported repository module (a custom operator)."""

    name: str
    bases: list[Any]  # ClassRef or the qualified name of an imported class
    attrs: dict[str, Any] = field(default_factory=dict)
    module: ModuleCtx | None = None
    init: ast.FunctionDef | None = None  # its own __init__, read for `self.<attribute> = <parameter>`
    scope: dict[str, Any] = field(default_factory=dict)  # where it was defined (its __init__ defaults)
    node: ast.ClassDef | None = None  # its body, read by the effect analysis (effects.py)
    choices: list[ClassRef] = field(default_factory=list)  # `A if <not known> else B`: the classes it may be

    @staticmethod
    def either(*classes: ClassRef) -> ClassRef:
        flat = [c for cls in classes for c in (cls.choices or [cls])]
        return ClassRef("|".join(dict.fromkeys(c.name for c in flat)), [], choices=flat)

    def effective_operator(self, no_table: Callable[[ClassRef], bool] | None = None) -> str:
        """The operator whose rule applies: an operator it derives from; ``BaseOperator`` for a class with code of
        its own (``execute`` or ``poke``) that ``no_table`` says touches no table (the effect analysis: its code
        reaches nothing but object storage, HTTP, logging...); else itself. For a choice, each one's, joined by ``|``
        (the registry applies a rule only when every choice has it)."""
        if self.choices:
            return "|".join(dict.fromkeys(c.effective_operator(no_table) for c in self.choices))
        base = self.base_operator()
        if base:
            return base
        if no_table is not None and self.runs_own_code() and not self.takes_sql() and no_table(self):
            return "BaseOperator"
        return self.name

    def takes_sql(self, depth: int = 0) -> bool:
        """It is given SQL (a template field, an ``__init__`` parameter named for it, ``.sql`` templates): whatever
        it sends that to (an HTTP API may run it), its code alone does not say it touches no table."""
        owner = self.init_of()
        names = [*strings(self.attr("template_fields")), *(owner.init_params() if owner is not None else [])]
        return any(sql_named(n) for n in names) or any(e.lower() in (".sql", ".hql") for e in strings(self.attr("template_ext")))

    def init_params(self) -> list[str]:
        fn = self.init
        return [a.arg for a in fn.args.posonlyargs + fn.args.args + fn.args.kwonlyargs] if fn is not None else []

    def runs_own_code(self) -> bool:
        """It (or a repository base) defines what Airflow runs: ``execute``, or a sensor's ``poke``."""
        return self.node is not None and (self._defines("execute") or self._defines("poke"))

    def _defines(self, method: str, depth: int = 0) -> bool:
        if self.node is not None and any(isinstance(n, ast.FunctionDef) and n.name == method for n in self.node.body):
            return True
        return depth < 20 and any(isinstance(b, ClassRef) and b._defines(method, depth + 1) for b in self.bases)

    def init_of(self, depth: int = 0) -> ClassRef | None:
        """The class (itself or a repository base) whose ``__init__`` runs."""
        if self.init is not None or depth > 20:
            return self if self.init is not None else None
        for base in self.bases:
            if isinstance(base, ClassRef):
                found = base.init_of(depth + 1)
                if found is not None:
                    return found
        return None

    def base_operator(self, depth: int = 0) -> str | None:
        """The first operator class outside the repository it derives from (its rule applies), if any."""
        if depth > 20:
            return None
        named = [b for b in self.bases if isinstance(b, str)]
        for base in self.bases:
            if isinstance(base, ClassRef):
                found = base.base_operator(depth + 1)
                if found:
                    return found
        for base in named:
            short = base.rsplit(".", 1)[-1]
            if short.endswith(("Operator", "Sensor", "Transfer")) and short not in GENERIC_BASES:
                return base
        return None

    def is_operator(self, depth: int = 0) -> bool:
        if depth > 20:
            return False
        if self.choices:
            return any(c.is_operator(depth + 1) for c in self.choices)
        for base in self.bases:
            if isinstance(base, ClassRef) and base.is_operator(depth + 1):
                return True
            if isinstance(base, str) and base.rsplit(".", 1)[-1].endswith(("Operator", "Sensor", "Transfer", "Marker")):
                return True
        return False

    def attr(self, name: str, depth: int = 0) -> Any:
        if name in self.attrs:
            return self.attrs[name]
        for base in self.bases:
            if isinstance(base, ClassRef) and depth < 20:
                found = base.attr(name, depth + 1)
                if found is not None:
                    return found
        return None


@dataclass
class ObjectRef:
    """An instance of a repository class that only declares fields (a dataclass, a pydantic model, a settings class):
    its attributes are the class's defaults with the keyword arguments it was made with over them."""

    cls: ClassRef
    attrs: dict[str, Any] = field(default_factory=dict)

    def get(self, name: str) -> Any:
        if name in self.attrs:
            return self.attrs[name]
        return self.cls.attr(name)


def fields_only(cls: ClassRef, depth: int = 0) -> bool:
    """No ``__init__`` of its own or of a repository base, and no methods besides: a record of fields."""
    if cls.node is None or depth > 20 or cls.choices:
        return False
    if any(isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) for n in cls.node.body):
        return False
    return all(fields_only(b, depth + 1) if isinstance(b, ClassRef) else b.rsplit(".", 1)[-1] in _RECORD_BASES
               for b in cls.bases)


def generated_init(cls: ClassRef) -> bool:
    """A ``@dataclass`` (or attrs class) with methods but no ``__init__`` of its own: its ``__init__`` binds the fields."""
    if cls.node is None or cls.init_of() is not None:
        return False
    for decorator in cls.node.decorator_list:
        head = decorator.func if isinstance(decorator, ast.Call) else decorator
        name = head.attr if isinstance(head, ast.Attribute) else head.id if isinstance(head, ast.Name) else ""
        if name in _RECORD_DECORATORS:
            return True
    return False


_RECORD_DECORATORS = frozenset({"dataclass", "s", "attrs", "define", "frozen", "mutable"})
_RECORD_BASES = frozenset({"object", "BaseModel", "BaseSettings", "NamedTuple", "TypedDict"})


def field_order(cls: ClassRef, depth: int = 0) -> list[str]:
    """Annotated fields in declaration order, bases first (how a dataclass binds positional arguments)."""
    names: list[str] = []
    for base in cls.bases:
        if isinstance(base, ClassRef) and depth < 20:
            names.extend(n for n in field_order(base, depth + 1) if n not in names)
    if cls.node is not None:
        for stmt in cls.node.body:
            if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) and stmt.target.id not in names \
                    and "ClassVar" not in ast.dump(stmt.annotation):
                names.append(stmt.target.id)
    return names


@dataclass
class ModuleRef:
    """A repository module bound by ``import pkg.mod`` / ``from pkg import mod``."""

    name: str
    scope: dict[str, Any]
    loader: Any = None  # resolves submodules on attribute access
    path: str = ""  # its file

    def get(self, attr: str) -> Any:
        if attr in self.scope:
            return self.scope[attr]
        if self.loader is not None:
            sub = self.loader(f"{self.name}.{attr}")
            if sub is not None:
                return sub
        return None


@dataclass
class FileHandle:
    """``open(path)`` of a file inside the repository, read only when asked (``.read()``, ``json.load``)."""

    path: str


def _refs(value: Any, upstream: bool) -> list[TaskRef]:
    if isinstance(value, TaskRef):
        return [value]
    if isinstance(value, TaskGroupRef):
        return group_edges(value, leaves=upstream)
    if isinstance(value, (list, tuple)):
        return [r for v in value for r in _refs(v, upstream)]
    return []


def group_edges(group: TaskGroupRef, leaves: bool) -> list[TaskRef]:
    """A group's roots (tasks with no upstream inside it) or leaves (no downstream inside it)."""
    ids = {r.spec.task_id for r in group.tasks}
    if leaves:
        inner_up = {u for r in group.tasks for u in r.spec.upstream if u in ids}
        return [r for r in group.tasks if r.spec.task_id not in inner_up]
    return [r for r in group.tasks if not any(u in ids for u in r.spec.upstream)]


def link(upstream: Any, downstream: Any) -> None:
    downs, ups = _refs(downstream, upstream=False), _refs(upstream, upstream=True)
    _adopt([*downs, *ups])
    for down in downs:
        for up in ups:
            if up.spec.task_id not in down.spec.upstream and up.spec is not down.spec:
                down.spec.upstream.append(up.spec.task_id)


def _adopt(refs: list[TaskRef]) -> None:
    """As Airflow's ``_set_relatives``: tasks made outside any DAG join the one DAG of the tasks they are linked to."""
    dags = {id(r.dag): r.dag for r in refs if r.dag is not None}
    if len(dags) != 1:
        return
    dag = next(iter(dags.values()))
    for ref in refs:
        if ref.dag is None:
            ref.dag = dag
            ref.spec.dag_id = dag.dag_id
            dag.tasks.append(ref.spec)
