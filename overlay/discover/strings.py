"""String operations of the static evaluator: ``str`` methods and ``string.Template``, each paid for from the
file's budget before its result is built. Pure: ``None`` where the operation cannot be computed from what it is given."""

from __future__ import annotations

import string
from dataclasses import dataclass
from typing import Any

from overlay.discover.budget import Budget, check_str_format, size_of

PADDING = frozenset({"zfill", "ljust", "rjust", "center"})
STR_METHODS = frozenset({"upper", "lower", "strip", "lstrip", "rstrip", "replace", "join", "format", "split", "rsplit",
                         "title", "removesuffix", "removeprefix", "startswith", "endswith", "capitalize", "count", "find",
                         "splitlines", "isdigit", "isalpha", "casefold", "partition", "rpartition"}) | PADDING


@dataclass(frozen=True)
class TemplateText:
    """``string.Template(text)``: substituted by its ``substitute``/``safe_substitute`` methods."""

    text: str


def str_method(base: str, method: str, args: list[Any], kwargs: dict[str, Any], budget: Budget) -> Any:
    """``base.method(*args, **kwargs)`` over known values (``join``'s argument already a list, or None)."""
    if method in PADDING:
        width = args[0] if args else kwargs.get("width")
        if not isinstance(width, int):
            return None
        budget.width(width, f"{method} width")
    elif method == "replace" and len(args) >= 2 and isinstance(args[0], str) and isinstance(args[1], str):
        count = base.count(args[0]) if args[0] else len(base) + 1
        budget.charge(len(base) + count * max(len(args[1]) - len(args[0]), 0), "replace")
    elif method == "join" and args:
        items = args[0]
        if items is None or not all(isinstance(i, str) for i in items):
            return None
        budget.charge(sum(len(i) for i in items) + len(base) * max(len(items) - 1, 0), "join")
    elif method == "format":
        check_str_format(base, budget)
        budget.charge(len(base) + sum(size_of(a) for a in args) + sum(size_of(v) for v in kwargs.values()), "format")
    elif method in ("split", "rsplit", "splitlines"):
        sep = args[0] if args else kwargs.get("sep")
        budget.items((base.count(sep) if isinstance(sep, str) and sep else len(base) // 2) + 1, "split")
    result = getattr(base, method)(*args, **kwargs)
    if isinstance(result, str):
        budget.charge(len(result), method)
    return result


def substitute(template: TemplateText, method: str, args: list[Any], kwargs: dict[str, Any], budget: Budget) -> str | None:
    """``string.Template(text).safe_substitute(mapping, **names)``: Python's own, over known strings and numbers."""
    mapping = args[0] if args else {}
    if len(args) > 1 or not isinstance(mapping, dict):
        return None
    names = {**mapping, **kwargs}
    if not all(isinstance(k, str) and isinstance(v, (str, int, float)) for k, v in names.items()):
        return None
    budget.charge(len(template.text) + sum(size_of(v) for v in names.values()) * template.text.count("$"), method)
    try:
        result: str = getattr(string.Template(template.text), method)(names)
    except (KeyError, ValueError):  # substitute() with a name not given, or a bad placeholder
        return None
    budget.charge(len(result), method)
    return result
