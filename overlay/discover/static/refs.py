"""What the static interpreter binds names to besides plain values: tasks, DAGs, groups, functions, classes, modules."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Any

from overlay.model import DagSpec, TaskSpec

GENERIC_BASES = {"object", "BaseOperator", "BaseSensorOperator", "ABC", "Generic", "LoggingMixin", "SkipMixin"}


@dataclass
class ModuleCtx:
    """The file a piece of code comes from: its path, source and import table."""

    path: str
    source: str
    imports: dict[str, str] = field(default_factory=dict)


@dataclass
class TaskRef:
    spec: TaskSpec

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
class ModuleRef:
    """A repository module bound by ``import pkg.mod`` / ``from pkg import mod``."""

    name: str
    scope: dict[str, Any]
    loader: Any = None  # resolves submodules on attribute access

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
    for down in _refs(downstream, upstream=False):
        for up in _refs(upstream, upstream=True):
            if up.spec.task_id not in down.spec.upstream and up.spec is not down.spec:
                down.spec.upstream.append(up.spec.task_id)
