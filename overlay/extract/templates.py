"""Render Airflow templates with a stand-in context, so templated SQL still parses.

Sandboxed Jinja (DAG templates are untrusted), ``.sql`` files and ``{% include %}`` found through
the DAG's ``template_searchpath`` then the DAG file's folder, like Airflow's loader. Names the
context cannot know render as identifier-safe placeholders instead of failing.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import uuid
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from overlay.model import DagSpec

LOGICAL_DATE = dt.datetime(2024, 1, 15, tzinfo=dt.timezone.utc)
_PLACEHOLDER = re.compile(r"[^0-9A-Za-z_]")
# text with `{{ ... }}` expressions only: no statements, comments or whitespace control
_EXPRESSION_ONLY = re.compile(r"(?:[^{]|\{(?![{%#]))*(?:\{\{(?!-)[^{}]*?(?<!-)\}\}(?:[^{]|\{(?![{%#]))*)*", re.S)
_EXPRESSION = re.compile(r"((?:[^{]|\{(?!\{))*)(?:\{\{(.*?)\}\}|$)", re.S)
_SANDBOX_MARKERS = frozenset({"unsafe_callable", "alters_data"})  # attributes Jinja's sandbox probes


class TemplateError(ValueError):
    def __init__(self, message: str, file: str | None = None, line: int | None = None) -> None:
        super().__init__(message)
        self.file, self.line = file, line


class LenientUndefined(jinja2.Undefined):
    """Unknown names render as a placeholder identifier; attribute access and calls keep going."""

    def _name(self) -> str:
        return _PLACEHOLDER.sub("_", str(self._undefined_name or "undefined"))

    def __str__(self) -> str:
        return self._name()

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return LenientUndefined(name=f"{self._name()}_{name}")

    def __getitem__(self, key: Any) -> Any:
        return LenientUndefined(name=f"{self._name()}_{key}")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return LenientUndefined(name=self._name())

    def __iter__(self):  # noqa: ANN204
        return iter(())

    def __bool__(self) -> bool:
        return False


class _Placeholder:
    """Stand-in for objects like ``ti``/``var``: any attribute, item or call gives a placeholder."""

    def __init__(self, name: str, values: dict[str, Any] | None = None) -> None:
        self._name, self._values = name, values or {}

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_") or name in _SANDBOX_MARKERS:
            raise AttributeError(name)
        if name in self._values:
            return self._values[name]
        if name == "get":
            return lambda key, default=None: self._values.get(key, default if default is not None else f"{self._name}_{key}")
        return _Placeholder(f"{self._name}_{name}")

    def __getitem__(self, key: Any) -> Any:
        return self.__getattr__(str(key))

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if args and isinstance(args[0], str) and args[0] in self._values:
            return self._values[args[0]]
        return _Placeholder(_PLACEHOLDER.sub("_", self._name))

    def __str__(self) -> str:
        return _PLACEHOLDER.sub("_", self._name)


@dataclass
class Renderer:
    dag: DagSpec
    dag_folder: str | None
    variables: dict[str, Any]

    def __post_init__(self) -> None:
        paths = [*self.dag.template_searchpath, os.path.dirname(self.dag.file)]
        if self.dag_folder:
            paths.append(self.dag_folder)
        self.env = SandboxedEnvironment(
            loader=jinja2.FileSystemLoader([p for p in paths if p and os.path.isdir(p)]),
            undefined=LenientUndefined,
            keep_trailing_newline=True,
            extensions=["jinja2.ext.do", "jinja2.ext.loopcontrols"],
        )
        self.env.filters.update(_EXTRA_FILTERS)

    def context(self, params: dict[str, Any] | None = None) -> dict[str, Any]:
        merged = {**_unwrap(self.dag.params), **_unwrap(params or {})}
        ds = LOGICAL_DATE.strftime("%Y-%m-%d")
        variables = {k: v for k, v in self.variables.items()}
        return {
            "ds": ds, "ds_nodash": ds.replace("-", ""), "ts": LOGICAL_DATE.isoformat(), "ts_nodash": LOGICAL_DATE.strftime("%Y%m%dT%H%M%S"),
            "logical_date": LOGICAL_DATE, "execution_date": LOGICAL_DATE, "data_interval_start": LOGICAL_DATE,
            "data_interval_end": LOGICAL_DATE + dt.timedelta(days=1), "prev_ds": "2024-01-14", "next_ds": "2024-01-16",
            "yesterday_ds": "2024-01-14", "tomorrow_ds": "2024-01-16", "prev_ds_nodash": "20240114", "next_ds_nodash": "20240116",
            "run_id": "scheduled__2024-01-15T00:00:00+00:00", "dag": _Placeholder("dag", {"dag_id": self.dag.dag_id}),
            "task": _Placeholder("task"), "ti": _Placeholder("ti"), "task_instance": _Placeholder("task_instance"),
            "params": merged, "macros": _macros(),
            "var": _Placeholder("var", {"value": _Placeholder("var", variables), "json": _Placeholder("var", variables)}),
            "conn": _Placeholder("conn"), "inlets": [], "outlets": [], "test_mode": False,
            **self.dag.user_defined_macros,
        }

    def render(self, text: str, params: dict[str, Any] | None = None) -> str:
        if "{{" not in text and "{%" not in text and "{#" not in text:
            return text
        try:
            if _EXPRESSION_ONLY.fullmatch(text):
                return self._render_expressions(text, self.context(params))
            return self.env.from_string(text).render(self.context(params))
        except jinja2.TemplateSyntaxError as e:
            raise TemplateError(f"Jinja syntax error: {e.message}", e.filename, e.lineno) from e
        except jinja2.TemplateNotFound as e:
            raise TemplateError(f"template not found: {e.name}") from e
        except Exception as e:
            raise TemplateError(f"template does not render: {type(e).__name__}: {e}") from e

    def _render_expressions(self, text: str, context: dict[str, Any]) -> str:
        """A template made only of ``{{ expr }}`` parts: each expression is compiled once per process."""
        out = []
        for literal, expression in _EXPRESSION.findall(text):
            out.append(literal)
            if expression:
                out.append(str(_compiled_expression(expression)(**context)))
        return "".join(out)

    def find_file(self, name: str) -> str | None:
        """Path of a template file, looked up like Airflow's loader (searchpath, then DAG folder)."""
        if os.path.isabs(name):
            return name if os.path.isfile(name) else None
        for folder in self.env.loader.searchpath:  # type: ignore[union-attr]
            candidate = os.path.join(folder, name)
            if os.path.isfile(candidate):
                return os.path.abspath(candidate)
        return None

    def render_file(self, path: str, params: dict[str, Any] | None = None) -> str:
        with open(path, encoding="utf-8", errors="replace") as f:
            text = f.read()
        try:
            return self.render(text, params)
        except TemplateError as e:
            raise TemplateError(str(e), path, e.line) from e


_EXTRA_FILTERS = {"ds": lambda d: d.strftime("%Y-%m-%d") if hasattr(d, "strftime") else str(d),
                  "ts": lambda d: d.isoformat() if hasattr(d, "isoformat") else str(d)}


@lru_cache(maxsize=4096)
def _compiled_expression(expression: str) -> Any:
    """Expressions do not use the loader, so one sandboxed environment compiles them for every DAG."""
    return _expression_env().compile_expression(expression, undefined_to_none=False)


@lru_cache(maxsize=1)
def _expression_env() -> SandboxedEnvironment:
    env = SandboxedEnvironment(undefined=LenientUndefined)
    env.filters.update(_EXTRA_FILTERS)
    return env


def _unwrap(params: dict[str, Any]) -> dict[str, Any]:
    """Param dicts (``{"value": x, ...}`` as serialised) become their values."""
    result = {}
    for key, value in (params or {}).items():
        if isinstance(value, dict) and "value" in value and set(value) <= {"value", "description", "schema", "__class"}:
            value = value["value"]
        result[key] = value
    return result


def _macros() -> Any:
    def ds_add(ds: str, days: int) -> str:
        return (dt.datetime.strptime(str(ds), "%Y-%m-%d") + dt.timedelta(days=int(days))).strftime("%Y-%m-%d")

    def ds_format(ds: str, input_format: str, output_format: str) -> str:
        return dt.datetime.strptime(str(ds), input_format).strftime(output_format)

    return _Placeholder("macros", {"ds_add": ds_add, "ds_format": ds_format, "datetime": dt.datetime, "timedelta": dt.timedelta,
                                   "uuid": uuid, "date": dt.date, "time": dt.time})
