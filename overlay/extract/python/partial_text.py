"""SQL a callable builds from text and values known only at run time, with a stand-in for each unknown value.

``f"SELECT * FROM logs.runs WHERE day = '{day}'"`` is not known as a whole when ``day`` is a parameter, but every
table it names is. The text is built here as Python would build it (f-strings, ``+``, ``str.format``, ``%``), an
unknown value becoming a stand-in (``runtime_day``) recorded with what it stands for. Resolution then refuses any
table name built from a stand-in (``FROM {schema}.{table}``), as it does for a template's, and keeps the others.

``values_or_names_only`` says whether every stand-in sits inside a string literal of the SQL (a value compared or
inserted) or in a table's name (refused by resolution, which says why): only then is the text the statement the
code runs, apart from those. A stand-in elsewhere may be a whole clause (``WHERE {condition}``) naming tables
nobody can see, so the task that runs it stays partial.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.tokens import Tokenizer, TokenType

from overlay.discover.evaluate import is_known
from overlay.extract.templates.sources import normalize_markers

MAX_TEXT = 200_000  # characters of built text
PREFIX = "runtime_"
_UNSAFE = re.compile(r"[^0-9A-Za-z_]+")
_SCALARS = (str, int, float)


class PartialText:
    """Builds text with stand-ins for one body: ``known`` gives a node's value (UNKNOWN when not known), ``kept``
    the texts names were assigned earlier, ``why`` why a node is not known and ``where`` its line (for the stand-in's
    description), ``calls`` the text a repository helper's call returned (``self._build_query(creds)``)."""

    def __init__(self, known: Callable[[ast.expr], Any], kept: dict[str, str], why: Callable[[ast.expr], str],
                 where: Callable[[ast.expr], str], calls: dict[int, str] | None = None) -> None:
        self.known, self.kept, self.why, self.where = known, kept, why, where
        self.calls = calls if calls is not None else {}  # calls (by node) whose result is known as such a text
        self.standins: dict[str, str] = {}  # stand-in -> what it stands for

    def text(self, node: ast.expr | None, depth: int = 0) -> str | None:
        """The text ``node`` builds with stand-ins; None when it is not text built that way (or has no stand-in)."""
        try:
            built = self._text(node, depth)
        except RecursionError:  # an expression nested past what the interpreter follows: not known
            return None
        return built if built is not None and len(built) <= MAX_TEXT and PREFIX in built else None

    def _text(self, node: ast.expr | None, depth: int) -> str | None:
        if node is None or depth > 40:
            return None
        if isinstance(node, ast.Name) and node.id in self.kept:
            return self.kept[node.id]
        if isinstance(node, ast.Call) and id(node) in self.calls:
            return self.calls[id(node)]
        value = self.known(node)
        if isinstance(value, str) and is_known(value):
            return value
        if isinstance(node, ast.JoinedStr):
            parts = [self._formatted(v, depth) if isinstance(v, ast.FormattedValue) else str(getattr(v, "value", ""))
                     for v in node.values]
            return None if any(p is None for p in parts) else "".join(parts)  # type: ignore[arg-type]
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):  # text on one side at least
            left, right = self._text(node.left, depth + 1), self._text(node.right, depth + 1)
            if left is None and right is None:
                return None
            return (left if left is not None else self._value(node.left, depth)) + \
                (right if right is not None else self._value(node.right, depth))  # type: ignore[operator]
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
            return self._percent(node, depth)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format":
            return self._format(node, depth)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in ("strip", "rstrip", "lstrip") \
                and not node.args:
            base = self._text(node.func.value, depth + 1)
            return getattr(base, node.func.attr)() if base is not None else None
        return None

    def _value(self, node: ast.expr, depth: int) -> str | None:
        """A value put into the text: itself when known, its built text, else a stand-in for it."""
        value = self.known(node)
        if isinstance(value, _SCALARS) and not isinstance(value, bool) and is_known(value):
            return str(value)
        built = self._text(node, depth + 1)
        return built if built is not None else self.standin(node)

    def _formatted(self, node: ast.FormattedValue, depth: int) -> str | None:
        if node.format_spec is not None or node.conversion not in (-1, ord("s")):
            return None  # `{x:%Y}`, `{x!r}`: not built here
        return self._value(node.value, depth)

    def _format(self, node: ast.Call, depth: int) -> str | None:
        base = self._text(node.func.value, depth + 1)  # type: ignore[attr-defined]
        if base is None or any(isinstance(a, ast.Starred) for a in node.args) or any(k.arg is None for k in node.keywords):
            return None
        args = [self._value(a, depth) for a in node.args]
        kwargs = {k.arg: self._value(k.value, depth) for k in node.keywords if k.arg}
        try:
            return base.format(*args, **kwargs)
        except (IndexError, KeyError, ValueError, AttributeError):
            return None

    def _percent(self, node: ast.BinOp, depth: int) -> str | None:
        base = self._text(node.left, depth + 1)
        if base is None:
            return None
        right = node.right
        if isinstance(right, ast.Tuple):
            values: Any = tuple(self._value(e, depth) for e in right.elts)
        elif isinstance(right, ast.Dict) and all(isinstance(k, ast.Constant) and isinstance(k.value, str) for k in right.keys):
            values = {k.value: self._value(v, depth) for k, v in zip(right.keys, right.values)}  # type: ignore[union-attr]
        else:
            values = self._value(right, depth)
        try:
            return base % values
        except (TypeError, ValueError, KeyError):
            return None

    def standin(self, node: ast.expr) -> str:
        shown = ast.unparse(node) if isinstance(node, (ast.Name, ast.Attribute, ast.Subscript, ast.Call, ast.Constant)) \
            else type(node).__name__.lower()  # a nested expression is not shown whole
        text = PREFIX + (_UNSAFE.sub("_", shown).strip("_")[:40].lower() or "value")
        self.standins.setdefault(text, f"`{shown[:80]}` in the code at {self.where(node)} ({self.why(node)})")
        return text


def values_or_names_only(sql: str, standins: list[str]) -> bool:
    """Every stand-in in ``sql`` is inside a string literal (``day = 'runtime_day'``), part of a table's name (which
    resolution refuses, with its own reason) or a name in an INSERT's column list, never a clause or an expression."""
    try:
        tokens = Tokenizer().tokenize(sql)
    except Exception:  # noqa: BLE001 - text the tokenizer refuses: not known to be values only
        return False
    outside = [t.text for t in tokens if t.token_type not in (TokenType.STRING, TokenType.NATIONAL_STRING)
               and any(s in t.text for s in standins)]
    if not outside:
        return True
    try:
        statements = [s for s in sqlglot.parse(normalize_markers(sql)) if s is not None]  # `VALUES %s` as `VALUES ?`
    except Exception:  # noqa: BLE001 - not parsed here: not known to be names
        return False
    names = {part.name for s in statements for table in s.find_all(exp.Table) for part in table.parts}
    # the column list of INSERT INTO t (a, b): names of columns, never a table or a clause; a stand-in the code puts
    # there is a list of column names wherever else it puts it (`INSERT INTO t ({cols}) SELECT {cols} FROM s`)
    columns = {c.name for s in statements for insert in s.find_all(exp.Insert) if isinstance(insert.this, exp.Schema)
               for c in insert.this.expressions if isinstance(c, (exp.Identifier, exp.Column))}
    return all(text.strip('"`[]') in names | columns or any(s in columns and s in text for s in standins)
               for text in outside)
