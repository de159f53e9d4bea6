"""Airflow Variables kept in a file of the repository (``variables_file:`` in overlay.yaml).

Teams keep their Variables beside the DAGs and load them at deploy time (``airflow variables import vars.json``, or
Airflow's local filesystem secrets backend): JSON or YAML mapping names to values, or ``.env`` lines ``NAME=value``.
Read as ``airflow variables import`` stores them: a string stays as it is, any other value becomes its JSON text
(``Variable.get(name, deserialize_json=True)`` gives the structure back). Bounded in size; never outside the
repository that holds overlay.yaml.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from overlay.repository import repository_root

MAX_BYTES = 5 * 1024 * 1024


class VariablesFileError(ValueError):
    """The file cannot be used; the message says why."""


def read_variables_file(value: Any, config_folder: Path) -> dict[str, str]:
    """The Variables of ``value`` (a path relative to ``config_folder``), or ``VariablesFileError``."""
    if not isinstance(value, str) or not value:
        raise VariablesFileError("`variables_file` is the path of a JSON, YAML or .env file of Variables")
    root = Path(repository_root(config_folder))
    path = (config_folder / value).resolve()
    if path != root and root not in path.parents:
        raise VariablesFileError(f"variables_file {value!r} is outside the repository {root}")
    if not path.is_file():
        raise VariablesFileError(f"variables_file not found: {path}")
    if path.stat().st_size > MAX_BYTES:
        raise VariablesFileError(f"variables_file {path} is over {MAX_BYTES // (1024 * 1024)} MiB")
    text = path.read_text(encoding="utf-8")
    try:
        data = parse_variables(text, path.suffix.lower())
    except (ValueError, yaml.YAMLError) as e:
        raise VariablesFileError(f"variables_file {path}: {e}") from e
    return data


def parse_variables(text: str, suffix: str) -> dict[str, str]:
    """``text`` of a ``.json``/``.yaml``/``.yml``/``.env`` file as Variable names and their stored text."""
    if suffix == ".env":
        pairs: dict[str, Any] = {}
        for number, line in enumerate(text.splitlines(), 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            name, sep, stored = line.partition("=")
            if not sep or not name.strip():
                raise ValueError(f"line {number}: expected NAME=value")
            pairs[name.strip()] = stored.strip()
    elif suffix == ".json":
        pairs = json.loads(text)
    elif suffix in (".yaml", ".yml"):
        pairs = yaml.safe_load(text) or {}
    else:
        raise ValueError("a .json, .yaml, .yml or .env file is expected")
    if not isinstance(pairs, dict) or not all(isinstance(k, str) for k in pairs):
        raise ValueError("expected a mapping of Variable names to values")
    return {k: v if isinstance(v, str) else json.dumps(v) for k, v in pairs.items()}
