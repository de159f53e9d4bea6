"""What the YAML DAG readers share: a source record, a YAML loader that accepts unknown tags, front matter."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, Protocol

import yaml

from overlay.model import TaskSpec

MAX_FILE_BYTES = 2_000_000  # a DAG spec larger than this is not read
Lister = Callable[[Path, tuple[str, ...]], list[Path]]  # (folder, suffixes) -> its files below it, ignores applied


class Classes(Protocol):
    """The repository's operator classes (``overlay.discover.static.classes``): a task of ``operator: pkg.MyOperator``
    gets what a Python DAG's task of that class gets."""

    def apply(self, task: TaskSpec, dotted: Any) -> None: ...


@dataclass(frozen=True)
class DagSource:
    path: Path  # the file that names the source (METADATA.yml, the spec file, or the DAG folder)
    files: tuple[Path, ...]  # every file it is made of


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc] - libyaml's parser when PyYAML has it
    """Safe YAML that keeps going on application tags (``!days_ago 1``, ``!timedelta 'minutes: 5'``)."""


def _unknown_tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return f"!{suffix} {loader.construct_scalar(node)}".strip()
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    return loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]


_Loader.add_multi_constructor("!", _unknown_tag)
_Loader.add_multi_constructor("tag:", _unknown_tag)


def load_yaml(text: str) -> Any:
    return yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass


def load_all_yaml(text: str) -> list[Any]:
    return list(yaml.load_all(text, Loader=_Loader))  # noqa: S506


def yaml_problem(error: yaml.YAMLError) -> tuple[str, int | None]:
    """A YAML error in one line (what is wrong), and the line it points at."""
    mark = getattr(error, "problem_mark", None)
    problem = getattr(error, "problem", None) or str(error).splitlines()[0]
    context = getattr(error, "context", None)
    text = f"{context}: {problem}" if context else str(problem)
    return text, (mark.line + 1 if mark is not None else None)


def read_text(path: Path) -> str | None:
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            return None
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None


_FRONT = re.compile(r"\A\s*---[ \t]*\n(.*?)\n---[ \t]*(?:\n|\Z)", re.S)
_PY_FRONT = re.compile(r"\A\s*(?:[ru]?(?:\"\"\"|'''))?\s*#?\s*---[ \t]*\n(.*?)\n\s*#?\s*---[ \t]*(?:\n|\Z)", re.S)


def front_matter(text: str, python: bool = False) -> tuple[dict[str, Any] | None, str, int]:
    """(the YAML front matter, the body after it, the body's first line); (None, text, 1) when there is none."""
    match = (_PY_FRONT if python else _FRONT).match(text)
    if not match:
        return None, text, 1
    block = match.group(1)
    if python:
        block = "\n".join(re.sub(r"^\s*# ?", "", line) for line in block.splitlines())
    data = load_yaml(block)
    body = text[match.end():]
    if python:
        body = re.sub(r"\A\s*(?:\"\"\"|''')\s*\n", "", body)
    line = text[: match.end()].count("\n") + 1
    return (data if isinstance(data, dict) else None), body, line


MAX_NODES = 50_000  # values one spec may expand to: YAML aliases can make a small file a huge tree


class SpecTooLarge(ValueError):
    """A YAML value expands past ``MAX_NODES`` (an alias bomb, or a spec far larger than any DAG's)."""


def plain(value: Any, budget: list[int] | None = None) -> Any:
    """YAML values as JSON data (dates as ISO strings), within a node budget shared by one call tree."""
    budget = budget if budget is not None else [MAX_NODES]
    budget[0] -= 1
    if budget[0] < 0:
        raise SpecTooLarge(f"a YAML value expands past {MAX_NODES:,} nodes (aliases repeated?): not read")
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): plain(v, budget) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v, budget) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def operator_name(path: Any) -> str | None:
    """``airflow.providers.x.SQLExecuteQueryOperator`` / ``local.MyOperator`` -> the class name."""
    if not isinstance(path, str) or not path.strip():
        return None
    return path.strip().rsplit(".", 1)[-1]


def owners_of(default_args: dict[str, Any]) -> list[str]:
    return [o.strip() for o in str(default_args.get("owner", "")).split(",") if o.strip()]


def schedule_of(spec: dict[str, Any]) -> str | None:
    value = spec.get("schedule", spec.get("schedule_interval"))
    return None if value is None or isinstance(value, (dict, list)) else str(value)


def tags_of(spec: dict[str, Any]) -> list[str]:
    tags = spec.get("tags") or []
    return sorted(str(t) for t in tags) if isinstance(tags, list) else []
