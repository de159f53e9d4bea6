"""What extraction knows besides one task: the DAG folders, Variables, caches; and one task's working state."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from overlay.extract.dbt.manifest import ManifestCache
from overlay.extract.files import ReadPolicy
from overlay.extract.templates.render import Renderer, TemplateError
from overlay.model import DagSpec, DirectAccess, SqlSource, TaskAccess, TaskSpec


@dataclass
class ExtractContext:
    """Shared by every task of a scan.

    ``dag_folders``: roots of the scanned DAG folders (a last resort for template files).
    ``variables``: stand-ins for Airflow Variables (``var.value.x``, ``Variable.get("x")``).
    ``dbt_manifests``: parsed ``manifest.json`` files, reloaded when they change.
    ``dag_folder``: a single root, as ``overlay scan`` passes it; joined to ``dag_folders``.
    ``allow_paths``/``path_remaps``: overlay.yaml's ``allow_paths:`` and ``paths:`` (see ``files.py``).
    """

    dag_folders: list[str] = field(default_factory=list)
    variables: dict[str, Any] = field(default_factory=dict)
    dbt_manifests: ManifestCache = field(default_factory=ManifestCache)
    dag_folder: str | None = None
    allow_paths: list[str] = field(default_factory=list)
    path_remaps: dict[str, str] = field(default_factory=dict)
    operators: dict[str, Any] = field(default_factory=dict)  # overlay.yaml `operators:` (name -> config.UserRule)
    connections: dict[str, dict[str, Any]] = field(default_factory=dict)  # `{{ conn.x.schema }}` fields known statically
    environment: dict[str, str] = field(default_factory=dict)  # overlay.yaml `environment:` (empty: not given, all unknown)
    connection_specs: dict[str, dict[str, Any]] = field(default_factory=dict)  # overlay.yaml `connections:` (dialect, database, schema)
    _renderers: dict[str, Renderer] = field(default_factory=dict, repr=False)
    _user_rules: dict[str, Any] | None = field(default=None, repr=False)
    _policy: ReadPolicy | None = field(default=None, repr=False)

    @property
    def user_rules(self) -> dict[str, Any]:
        """``operators:`` of overlay.yaml as registry rules (they win over the built-in ones)."""
        if self._user_rules is None:
            from overlay.extract.operators.registry import user_rule

            self._user_rules = {name: user_rule(spec) for name, spec in self.operators.items()}
        return self._user_rules

    def policy_for(self, dag: DagSpec) -> ReadPolicy:
        """The one gate every file read of extraction goes through: the scanned folders (or, with none
        given, the DAG file's folder) and their repository, plus ``allow_paths``."""
        if not self.roots:
            folder = os.path.dirname(os.path.abspath(dag.file)) if dag.file else os.getcwd()
            return ReadPolicy.for_folders([folder], self.allow_paths, self.path_remaps)
        if self._policy is None:
            self._policy = ReadPolicy.for_folders(self.roots, self.allow_paths, self.path_remaps)
        return self._policy

    @property
    def roots(self) -> list[str]:
        roots = [*self.dag_folders, *([self.dag_folder] if self.dag_folder else [])]
        return [os.path.abspath(r) for r in dict.fromkeys(roots)]

    def renderer(self, dag: DagSpec) -> Renderer:
        key = f"{dag.file}::{dag.dag_id}"
        if key not in self._renderers:
            self._renderers[key] = Renderer(dag, self.roots, self.variables, self.policy_for(dag), self.connections)
        return self._renderers[key]


@dataclass
class TaskState:
    """One task being extracted: its spec, its DAG, and the access found so far."""

    spec: TaskSpec
    dag: DagSpec
    ctx: ExtractContext
    access: TaskAccess = field(default_factory=TaskAccess)
    _direct_keys: set[tuple[Any, ...]] = field(default_factory=set, repr=False, compare=False)  # of access.direct: add_direct alone adds
    # stand-ins for unknown values in SQL Python code built (``python/partial_text.py``) -> what each stands for
    code_standins: dict[str, str] = field(default_factory=dict, repr=False, compare=False)
    # names the task's templates render besides Airflow's context (the Astro SDK's `{{ input_table }}`)
    template_values: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def code(self, entry: dict[str, Any]) -> dict[str, Any]:
        """The repository code a task spec's ``{"ref": key}`` names, listed once in its DAG (``DagSpec.code``)."""
        ref = entry.get("ref") if entry else None
        return (self.dag.code.get(ref) or {}) if isinstance(ref, str) else {}

    @cached_property
    def renderer(self) -> Renderer:
        return self.ctx.renderer(self.dag)

    @property
    def args(self) -> dict[str, Any]:
        return self.spec.args

    @property
    def operator(self) -> str:
        return self.spec.operator

    def origin(self, name: str) -> str:
        """`` (it comes from Variable 'db': give its value under `variables:` in overlay.yaml)``, or '' when static
        mode could not tell where the unknown argument's value comes from."""
        found = self.spec.unknown_origins.get(name)
        if not found:
            return ""
        settings = [s for key, s in (("Variable", "`variables:`"), ("environment", "`environment:`")) if key in found]
        return f" (it comes from {found}: give its value under {' and '.join(settings) or 'overlay.yaml'} in overlay.yaml)"

    def is_unknown(self, name: str) -> bool:
        """The argument is given but its value could not be evaluated statically."""
        return name in self.spec.unknown_args and name not in self.args

    def value(self, name: str) -> Any:
        return self.args.get(name)

    def params(self) -> dict[str, Any]:
        """The task's params over ``default_args["params"]``, as Airflow merges them (the DAG's come under both)."""
        params = self.args.get("params")
        defaults = self.dag.default_args.get("params") if isinstance(self.dag.default_args, dict) else None
        merged = dict(defaults) if isinstance(defaults, dict) else {}
        merged.update(params if isinstance(params, dict) else {})
        return merged

    def render(self, text: str, what: str) -> str | None:
        """A templated string argument rendered; None (with the reason recorded) if it does not render."""
        try:
            return self.renderer.render(text, self.params(), self.spec.task_id, self.template_values)
        except TemplateError as e:
            if e.file:
                where = f"{e.file}:{e.line or 1}"
            else:  # an inline template: its lines count from the task's line
                where = f"{self.spec.file}:{(self.spec.line or 1) + (e.line or 1) - 1}"
            self.unresolved(f"{where}: {what}: {e}")
            return None

    def text(self, name: str) -> str | None:
        value = self.args.get(name)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str) or not value.strip():
            return None
        rendered = self.render(value, f"argument {name}")
        return rendered.strip() if rendered is not None else None

    def conn(self, names: tuple[str, ...]) -> str | None:
        for name in names:
            value = self.text(name)
            if value:
                return value
        return None

    def folder(self, path: str | None, base: str | None = None) -> str | None:
        """An absolute folder for ``path``: relative to ``base``, else to the DAG file's folder or a scanned root."""
        if not path:
            return base
        if os.path.isabs(path):
            return os.path.normpath(path)
        for root in [base, self.renderer.folder, *self.ctx.roots]:
            if root and os.path.isdir(os.path.join(root, path)):
                return os.path.normpath(os.path.join(root, path))
        return os.path.normpath(os.path.join(base or self.renderer.folder, path))

    def depends_on(self, path: str) -> None:
        """A file the result was read from besides SQL files (scripts, manifests, job configurations).
        A file outside the allowed folders is not recorded (recording hashes it, which reads it)."""
        if path not in self.access.files and self.renderer.policy.allows(path):
            self.access.files.append(path)
        self.read_from(path)

    def read_from(self, path: str) -> None:
        """A file was found for this task: say so when it was found through a remap of an absolute path."""
        remap = self.renderer.remap_note(path)
        if remap:
            self.note(f"path remapped: {remap}")

    def read_text(self, path: str) -> str:
        """A file's text, through the read policy (``ReadRefused``, an ``OSError``, when outside)."""
        return self.renderer.policy.read_text(path)

    def note(self, text: str) -> None:
        """How the task was read (remaps, dialect chosen): shown in its report, not a problem."""
        if text not in self.access.notes:
            self.access.notes.append(text)

    def unresolved(self, reason: str) -> None:
        if reason not in self.access.unresolved:
            self.access.unresolved.append(reason)

    def add_sql(self, source: SqlSource) -> None:
        if source.sql.strip():
            self.access.sql.append(source)

    def add_direct(self, table: str, mode: str, origin: str, conn_id: str | None, dialect: str | None,
                   group: str | None = None) -> None:
        key = (table, mode, origin, conn_id, dialect, group)
        if key not in self._direct_keys:  # a set, not a scan of the list: a `dbt run` of a whole project adds thousands
            self._direct_keys.add(key)
            self.access.direct.append(DirectAccess(table, mode, origin, conn_id, dialect, group))  # type: ignore[arg-type]

    @property
    def found_anything(self) -> bool:
        return bool(self.access.sql or self.access.direct or self.access.unresolved or self.access.no_data)
