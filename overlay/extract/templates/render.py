"""Render Airflow templates with a stand-in context (``standins.py``), so templated SQL still parses.

Sandboxed Jinja (DAG templates are untrusted). Template files and ``{% include %}`` are found the
way Airflow's loader finds them: the DAG file's folder, then the DAG's ``template_searchpath``;
the scanned DAG folder roots come last, for paths discovery could not evaluate. Filters and tests
Airflow would get from plugins or ``user_defined_filters`` pass values through. A template that
still fails raises ``TemplateError`` with the file and line.
"""

from __future__ import annotations

import json
import os
import re
import traceback
from functools import lru_cache
from typing import Any

import jinja2
from jinja2.loaders import split_template_path
from jinja2.sandbox import SecurityError

from overlay.extract.templates.sandbox import BoundedSandbox

from overlay.extract.files import ReadPolicy, ReadRefused
from overlay.extract.templates.standins import STANDIN_DATES, DATE_FILTERS, LenientUndefined, base_context, recording, task_context
from overlay.model import DagSpec

# text with `{{ ... }}` expressions only: no statements, comments or whitespace control
_EXPRESSION_ONLY = re.compile(r"(?:[^{]|\{(?![{%#]))*(?:\{\{(?!-)[^{}]*?(?<!-)\}\}(?:[^{]|\{(?![{%#]))*)*", re.S)
_EXPRESSION = re.compile(r"((?:[^{]|\{(?!\{))*)(?:\{\{(.*?)\}\}|$)", re.S)
_BARE_NAME = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s*")  # `{{ ds }}`: Jinja gives the context's value of the name
_JINJA_LITERALS = frozenset({"true", "false", "none", "True", "False", "None"})
_MISSING = re.compile(r"No (filter|test) named '([^']+)'")
_MAX_RANGE_TOTAL = 100_000
_TEMPLATE_NAME = "<template>"


class TemplateError(ValueError):
    def __init__(self, message: str, file: str | None = None, line: int | None = None) -> None:
        super().__init__(message)
        self.file, self.line = file, line


_Sandbox = BoundedSandbox


class _PolicyLoader(jinja2.BaseLoader):
    """Airflow's loader (first folder of the searchpath holding the name), reading only what the policy allows."""

    def __init__(self, searchpath: list[str], policy: ReadPolicy) -> None:
        self.searchpath, self.policy = searchpath, policy

    def get_source(self, environment: jinja2.Environment, template: str) -> tuple[str, str, Any]:
        pieces = split_template_path(template)
        for folder in self.searchpath:
            path = os.path.join(folder, *pieces)
            if os.path.isfile(path):
                text = self.policy.read_text(path)  # ReadRefused propagates: the render reports it
                mtime = os.path.getmtime(path)
                return text, path, lambda: os.path.isfile(path) and os.path.getmtime(path) == mtime
        raise jinja2.TemplateNotFound(template)


def _environment(searchpath: list[str], policy: ReadPolicy | None = None) -> _Sandbox:
    env = _Sandbox(
        loader=_PolicyLoader(searchpath, policy) if searchpath and policy is not None else None,
        undefined=LenientUndefined,
        keep_trailing_newline=True,
        extensions=["jinja2.ext.do", "jinja2.ext.loopcontrols"],
    )
    env.filters.update(DATE_FILTERS)
    # `{{ ti.xcom_pull(...) | tojson }}`: a stand-in is dumped as its text, so it stays a stand-in the report names
    env.policies["json.dumps_function"] = lambda value, **kwargs: json.dumps(value, default=str, **kwargs)
    return env


class Renderer:
    """Renders the templates of one DAG."""

    def __init__(self, dag: DagSpec, roots: list[str], variables: dict[str, Any], policy: ReadPolicy | None = None,
                 connections: dict[str, dict[str, Any]] | None = None) -> None:
        self.dag = dag
        self.connections = connections or {}
        self.folder = os.path.dirname(os.path.abspath(dag.file)) if dag.file else ""
        self.policy = policy or ReadPolicy.for_folders([self.folder, *roots])
        self.remaps: dict[str, str] = {}  # folder or file remapped into the repository -> how (for task reports)
        folders = [self.folder, *(self._searchpath_folder(p) for p in dag.template_searchpath), *roots]
        self.searchpath = [p for p in dict.fromkeys(os.path.abspath(f) for f in folders if f) if os.path.isdir(p)]
        self.variables = variables
        self.standins: dict[str, tuple[str, ...]] = {}  # rendered placeholder -> the path it stands for
        self._env: _Sandbox | None = None
        self._base: dict[str, Any] | None = None

    def _searchpath_folder(self, folder: str) -> str:
        """A ``template_searchpath`` folder; a deployment path outside the repository is remapped into it."""
        if self.policy.allows(folder) and os.path.isdir(folder):
            return folder
        located = self.policy.locate(folder, want_dir=True)
        if located is None:
            return folder  # kept: a file found there is refused, and reported, when read
        if located.remap:
            self.remaps[located.path] = located.remap
        return located.path

    def remap_note(self, path: str) -> str | None:
        """How ``path`` was remapped into the repository, when it was found through a remap."""
        for target, note in self.remaps.items():
            if path == target or path.startswith(target.rstrip(os.sep) + os.sep):
                return note
        return None

    @property
    def env(self) -> _Sandbox:
        if self._env is None:
            self._env = _environment(self.searchpath, self.policy)
        return self._env

    def context(self, params: dict[str, Any] | None = None, task_id: str = "task",
                values: dict[str, Any] | None = None) -> dict[str, Any]:
        """The task's context; ``values``: names its templates use besides Airflow's (the Astro SDK's tables)."""
        if self._base is None:
            macros = {k: v for k, v in (self.dag.user_defined_macros or {}).items() if isinstance(k, str)}
            self._base = base_context(self.dag.dag_id, self.folder, self.variables, macros, self.connections)
        context = task_context(self._base, self.dag.params, params or {}, task_id)
        return {**context, **values} if values else context

    def take_standins(self) -> dict[str, tuple[str, ...]]:
        """Placeholders (and stand-in dates) rendered since the last call: values nobody knows statically."""
        used, self.standins = self.standins, {}
        return used

    def render(self, text: str, params: dict[str, Any] | None = None, task_id: str = "task",
               values: dict[str, Any] | None = None) -> str:
        if "{{" not in text and "{%" not in text and "{#" not in text:
            return text
        with recording() as used:
            rendered = self._render(text, params, task_id, values)
        for placeholder, path in used.items():
            self.standins.setdefault(placeholder, path)
        for date in STANDIN_DATES:
            if date in rendered and date not in text:
                self.standins.setdefault(date, ())
        return rendered

    def _render(self, text: str, params: dict[str, Any] | None, task_id: str, values: dict[str, Any] | None = None) -> str:
        context = self.context(params, task_id, values)
        if _EXPRESSION_ONLY.fullmatch(text):
            try:
                return _render_expressions(text, context)
            except Exception:  # noqa: S110 - the full renderer below reports the error properly
                pass
        return self._render_template(text, context)

    def _render_template(self, text: str, context: dict[str, Any]) -> str:
        for _ in range(8):  # each round registers one filter/test the template uses and Airflow would have
            try:
                self.env.start_render()
                return self.env.from_string(text).render({**context, "range": budgeted_range()})
            except (jinja2.TemplateAssertionError, jinja2.TemplateRuntimeError) as e:
                missing = _MISSING.search(str(e))
                if not missing:
                    raise _error(e) from e
                target = self.env.filters if missing.group(1) == "filter" else self.env.tests
                target[missing.group(2)] = _passthrough if missing.group(1) == "filter" else _never
            except Exception as e:
                raise _error(e) from e
        raise TemplateError("template uses too many unknown filters or tests")

    def find_file(self, name: str, first: list[str] | None = None, template: bool = True) -> str | None:
        """Path of a template file: absolute, or under ``first`` folders, the DAG folder, the searchpath, the roots.
        A template name is looked up as Jinja's loader does, which reads ``/x/y.sql`` as ``x/y.sql`` under each
        searchpath folder; only then is an absolute name taken as a deployment path (``template=False``: a path
        a shell command reads, which is a file system path)."""
        name = name.strip()
        if template and os.path.isabs(name):
            relative = name.lstrip("/")
            for folder in [*(first or []), *self.searchpath]:
                candidate = os.path.normpath(os.path.join(folder, relative))
                if relative and os.path.isfile(candidate) and self.policy.allows(candidate):
                    return candidate
        if os.path.isabs(name):
            located = self.policy.locate(name)
            if located is None:  # an outside file that exists is returned: reading it is refused, and reported
                return name if os.path.isfile(name) else None
            if located.remap:
                self.remaps[located.path] = located.remap
            return located.path
        for folder in [*(first or []), *self.searchpath]:
            candidate = os.path.normpath(os.path.join(folder, name))
            if os.path.isfile(candidate):
                return candidate
        return None

    def render_file(self, path: str, params: dict[str, Any] | None = None, task_id: str = "task",
                    values: dict[str, Any] | None = None) -> str:
        try:
            text = self.policy.read_text(path)
        except ReadRefused as e:
            raise TemplateError(str(e.strerror), path) from e
        except OSError as e:
            raise TemplateError(f"cannot read template file: {e.strerror}", path) from e
        try:
            return self.render(text, params, task_id, values)
        except TemplateError as e:
            raise TemplateError(str(e), e.file or path, e.line) from e


def _error(e: Exception) -> TemplateError:
    if isinstance(e, ReadRefused):
        return TemplateError(f"{{% include %}} refused: {e.strerror}", None, _template_line(e))
    if isinstance(e, jinja2.TemplateSyntaxError):
        return TemplateError(f"Jinja syntax error: {e.message}", e.filename, e.lineno)
    if isinstance(e, jinja2.TemplateNotFound):
        return TemplateError(f"template not found: {e.name}", None, _template_line(e))
    return TemplateError(f"template does not render: {type(e).__name__}: {e}", None, _template_line(e))


def budgeted_range() -> Any:
    """``range`` for one render: all ranges together stay under ``_MAX_RANGE_TOTAL`` items (nested loops too)."""
    used = [0]

    def limited(*args: int) -> range:
        values = range(*args)
        used[0] += len(values)
        if used[0] > _MAX_RANGE_TOTAL:
            raise SecurityError("ranges too large for a template")
        return values

    return limited


def _passthrough(value: Any, *args: Any, **kwargs: Any) -> Any:
    return value


def _never(value: Any, *args: Any, **kwargs: Any) -> bool:
    return False


def _template_line(error: BaseException) -> int | None:
    """Line of the template where a render error happened (Jinja rewrites tracebacks to template lines)."""
    line = getattr(error, "lineno", None)
    for frame in traceback.extract_tb(error.__traceback__):
        if frame.filename == _TEMPLATE_NAME or frame.filename.endswith((".sql", ".hql", ".sh", ".bash", ".json", ".j2")):
            line = frame.lineno
    return line


def _render_expressions(text: str, context: dict[str, Any]) -> str:
    """A template made only of ``{{ expr }}`` parts: each expression is compiled once per process."""
    out = []
    env = _expression_env()
    env.start_render()
    for literal, expression in _EXPRESSION.findall(text):
        out.append(literal)
        if expression:
            bare = _BARE_NAME.fullmatch(expression)
            name = bare.group(1) if bare else None
            if name is not None and name in context and name not in _JINJA_LITERALS:
                value = context[name]  # what the compiled expression returns, without building a Jinja context for it
            else:
                value = _compiled_expression(expression)(**context)
            out.append(str(value))
    return env.concat(out)


@lru_cache(maxsize=4096)
def _compiled_expression(expression: str) -> Any:
    """Expressions do not use the loader, so one sandboxed environment compiles them for every DAG."""
    return _expression_env().compile_expression(expression, undefined_to_none=False)


@lru_cache(maxsize=1)
def _expression_env() -> _Sandbox:
    return _environment([])
