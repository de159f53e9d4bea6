"""Where a value static mode cannot know comes from, so a report names the setting that would give it.

``files = Variable.get("shop", deserialize_json=True)["files"]`` then ``for f in files: ...`` is a loop over an
unknown value; the user can give the Variable under ``variables:`` in overlay.yaml, or the environment variable under
``environment:``, if the report says which one. Names bound to an unknown value remember the Variables and
environment variables their expression used (through other such names), per scanned file.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from overlay.discover.evaluate import Evaluator

_ENV_GETTERS = ("os.environ.get", "os.getenv", "environ.get", "getenv")


@dataclass
class UnknownOrigins:
    """name -> the settings that would make its value known (``Variable 'x'``, ``environment variable 'X'``)."""

    by_name: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def bind(self, target: ast.expr, value_node: ast.expr | None, ev: Evaluator) -> None:
        """``target = value_node`` gave an unknown value: remember what it came from (nothing when not known)."""
        if not isinstance(target, ast.Name) or value_node is None:
            return
        found = self.of(value_node, ev)
        if found:
            self.by_name[target.id] = found
        else:
            self.by_name.pop(target.id, None)

    def forget(self, target: ast.expr) -> None:
        if isinstance(target, ast.Name):
            self.by_name.pop(target.id, None)

    def of(self, node: ast.expr, ev: Evaluator) -> tuple[str, ...]:
        found: list[str] = []
        for sub in ast.walk(node):
            if isinstance(sub, ast.Name) and sub.id in self.by_name:
                found.extend(self.by_name[sub.id])
            elif isinstance(sub, ast.Call) and sub.args:
                name = ev.qualified(sub.func)
                key = ev.eval(sub.args[0]) if name.endswith(("Variable.get", "Variable.get_variable")) \
                    or name in _ENV_GETTERS else None
                if isinstance(key, str):
                    found.append(f"Variable {key!r}" if "Variable" in name else f"environment variable {key!r}")
            elif isinstance(sub, ast.Subscript) and ev.qualified(sub.value) in ("os.environ", "environ"):
                key = ev.eval(sub.slice)
                if isinstance(key, str):
                    found.append(f"environment variable {key!r}")
        return tuple(dict.fromkeys(found))

    def hint(self, node: ast.expr, ev: Evaluator) -> str:
        """`` (it comes from Airflow Variable 'x': give its value under `variables:` in overlay.yaml)`` or ''."""
        found = self.of(node, ev)
        if not found:
            return ""
        settings = []
        if any(f.startswith("Variable") for f in found):
            settings.append("`variables:` (or name the repository's Variables file as `variables_file:`)")
        if any(f.startswith("environment") for f in found):
            settings.append("`environment:`")
        return f" (it comes from {', '.join(found)}: give its value under {' and '.join(settings)} in overlay.yaml)"
