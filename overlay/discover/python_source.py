"""Parsing a repository's Python source with the running interpreter's parser, and Python 3.12's f-strings too.

Python 3.12 (PEP 701) lets an f-string's expression reuse the f-string's own quote: ``f"{row.get("id")}"``.
Older parsers reject the whole file, so a DAG written for 3.12 loses every task and a helper module written so
loses what its functions do. ``parse_python`` parses as the interpreter does; when that fails on an f-string, the
quotes of the strings nested inside f-string expressions are swapped for the other quote (``"`` <-> ``'``) where
that is the same program, and the result parsed again. A swap never changes a length, so every line and column
the tree reports is the file's own. Anything else PEP 701 allows (backslashes or comments inside an expression,
an expression over several lines of a one-line f-string, strings nested three deep) is left as the error it was.
"""

from __future__ import annotations

import ast

_PREFIX = set("rRbBuUfF")
_OTHER = {'"': "'", "'": '"'}


class _Unsupported(Exception):
    """A construct the swap cannot rewrite as older Python."""


def parse_python(source: str | bytes, filename: str = "<unknown>") -> ast.Module:
    """``ast.parse``; on an f-string the interpreter cannot parse, the same source with nested quotes swapped."""
    try:
        return ast.parse(source, filename=filename)
    except SyntaxError as error:
        if not (error.msg or "").startswith("f-string"):
            raise
        text = source.decode("utf-8", "replace") if isinstance(source, bytes) else source
        swapped = swap_nested_quotes(text)
        if swapped is None or swapped == text:
            raise
        try:
            return ast.parse(swapped, filename=filename)
        except SyntaxError:
            raise error from None


def swap_nested_quotes(source: str) -> str | None:
    """``source`` with each string literal nested in a one-line f-string's expression that reuses the f-string's
    quote rewritten with the other quote; None when some f-string cannot be rewritten so."""
    out = list(source)
    try:
        i, n = 0, len(source)
        while i < n:
            c = source[i]
            if c == "#":
                i = _line_end(source, i)
            elif c in "\"'":
                i = _literal(source, i, i, out, None)
            elif c in _PREFIX and (i == 0 or not (source[i - 1].isalnum() or source[i - 1] == "_")):
                j = i
                while j < n and j - i < 2 and source[j] in _PREFIX:
                    j += 1
                if j < n and source[j] in "\"'":
                    i = _literal(source, i, j, out, None)
                else:
                    i = j
            elif c.isalnum() or c == "_":
                while i < n and (source[i].isalnum() or source[i] == "_"):
                    i += 1
            else:
                i += 1
    except (_Unsupported, IndexError):
        return None
    return "".join(out)


def _line_end(source: str, i: int) -> int:
    end = source.find("\n", i)
    return len(source) if end < 0 else end


def _literal(source: str, start: int, quote_at: int, out: list[str], outer: str | None) -> int:
    """Scans the string literal whose prefix starts at ``start`` and quote at ``quote_at``; returns the index after
    it. ``outer``: the quote of the f-string whose expression holds it (None at the top level)."""
    prefix = source[start:quote_at].lower()
    quote = source[quote_at]
    triple = source.startswith(quote * 3, quote_at)
    closing = quote * 3 if triple else quote
    i = quote_at + len(closing)
    if outer is not None:
        if triple or "f" in prefix:
            raise _Unsupported("a nested f-string or triple-quoted string")
        if quote == outer:  # the 3.12 form: give it the other quote, if its text holds none
            end = source.index(quote, i)
            if "\\" in source[i:end] or _OTHER[quote] in source[i:end] or outer == _OTHER[quote]:
                raise _Unsupported("the other quote is inside")
            out[quote_at] = out[end] = _OTHER[quote]
            return end + 1
    while True:
        c = source[i]
        if c == "\\":
            i += 2
        elif source.startswith(closing, i):
            return i + len(closing)
        elif c == "\n" and not triple:
            raise _Unsupported("an unterminated string")
        elif "f" in prefix and c == "{":
            if source.startswith("{{", i):
                i += 2
            else:
                i = _expression(source, i + 1, out, quote if not triple else None)
        else:
            i += 1


def _expression(source: str, i: int, out: list[str], quote: str | None) -> int:
    """Scans an f-string replacement field from just after its ``{``; returns the index after its ``}``."""
    depth = 0
    while True:
        c = source[i]
        if c in "\"'" or (c in _PREFIX and source[i + 1] in "\"'" and not (source[i - 1].isalnum() or source[i - 1] == "_")):
            at = i if c in "\"'" else i + 1
            if quote is None:  # inside a triple-quoted f-string: nested strings were always allowed
                i = _skip_plain(source, at)
            else:
                i = _literal(source, i, at, out, quote)
        elif c in "\\#\n":
            raise _Unsupported("a backslash, comment or line break in an expression")
        elif c in "([{":
            depth += 1
            i += 1
        elif c in ")]" or (c == "}" and depth > 0):
            depth -= 1
            i += 1
        elif c == "}":
            return i + 1
        elif c == ":" and depth == 0 and source[i + 1] != "=":  # the format spec: text with nested fields
            i += 1
            while source[i] != "}":
                if source[i] == "{":
                    i = _expression(source, i + 1, out, quote)
                elif quote is not None and source[i] in (quote, "\n"):
                    raise _Unsupported("the f-string ends inside a format spec")
                else:
                    i += 1
            return i + 1
        else:
            i += 1


def _skip_plain(source: str, at: int) -> int:
    quote = source[at]
    closing = quote * 3 if source.startswith(quote * 3, at) else quote
    i = at + len(closing)
    while not source.startswith(closing, i):
        i += 2 if source[i] == "\\" else 1
    return i + len(closing)
