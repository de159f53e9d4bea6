"""Budgets that keep SQL analysis bounded: size and nesting checked before the parser, time during it.

sqlglot's compiled parser recurses on the C stack: a few thousand nested subqueries crash the
process, and some dialects take quadratic time in the nesting depth. So every statement is
measured by a cheap scan (strings, quoted identifiers and comments of the dialect respected)
before it is tokenized; one over ``LIMITS`` gets the error "too complex to analyse" with its size
and the rest of the text goes on. Parsing and analysing one statement also run under a
wall-clock budget where a timer can be armed safely (see ``timer``).
"""

from __future__ import annotations

import re
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache

from sqlglot.dialects.dialect import Dialect


@dataclass(frozen=True)
class Limits:
    statement_chars: int = 1_000_000  # one statement's text; parsing costs ~250 bytes per character
    depth: int = 100  # brackets open at once; real SQL stays far below, the parser crashes in the thousands
    seconds: float = 5.0  # parse (all dialect retries) and analysis of one statement, each


LIMITS = Limits()


class TooComplex(BaseException):
    """Raised by the timer inside parse or analysis (a BaseException so no `except Exception` swallows it)."""


@dataclass(frozen=True)
class Segment:
    """One statement's span of the text, as the cheap scan sees it (cut at semicolons)."""

    start: int
    end: int  # exclusive
    depth: int  # deepest bracket nesting

    @property
    def size(self) -> int:
        return self.end - self.start


def too_complex(size: int, detail: str) -> str:
    return f"too complex to analyse ({size:,} characters): {detail}"


def over_limits(segment: Segment, limits: Limits | None = None) -> str | None:
    """The error for a statement over the size or nesting budget, None when within."""
    limits = limits or LIMITS
    if segment.size > limits.statement_chars:
        return too_complex(segment.size, f"over the {limits.statement_chars:,}-character budget per statement")
    if segment.depth > limits.depth:
        return too_complex(segment.size, f"nesting depth {segment.depth} over the budget of {limits.depth}")
    return None


@lru_cache(maxsize=64)
def _scanner(dialect: Dialect) -> re.Pattern[str]:
    """Strings, quoted identifiers, comments (skipped whole) and the brackets and semicolons between them."""
    tokenizer = dialect.tokenizer_class
    backslash = "\\" in tokenizer.STRING_ESCAPES
    parts: list[str] = []
    for quote in sorted({*_delimiters(tokenizer.QUOTES), *_delimiters(tokenizer.IDENTIFIERS)},
                        key=lambda pair: -len(pair[0])):
        open_, close = (re.escape(q) for q in quote)
        escape = r"\\[\s\S]|" if backslash and quote[0] in ("'", '"') else ""
        doubled = f"{close}{close}|" if len(quote[1]) == 1 else ""
        parts.append(f"{open_}(?:{escape}{doubled}(?!{close})[\\s\\S])*(?:{close}|\\Z)")
    for comment in tokenizer.COMMENTS:
        if isinstance(comment, str):
            parts.append(f"{re.escape(comment)}[^\\n]*")
        else:
            parts.append(f"{re.escape(comment[0])}[\\s\\S]*?(?:{re.escape(comment[1])}|\\Z)")
    if "$" in getattr(tokenizer, "HEREDOC_STRINGS", ()):
        parts.append(r"\$(?P<tag>\w*)\$[\s\S]*?(?:\$(?P=tag)\$|\Z)")
    # T-SQL's [names] were taken whole above, as quoted identifiers
    parts.append(r"(?P<open>[(\[])")
    parts.append(r"(?P<close>[)\]])")
    parts.append(r"(?P<semi>;)")
    return re.compile("|".join(parts))


def _delimiters(spec: object) -> list[tuple[str, str]]:
    items = spec.items() if isinstance(spec, dict) else spec
    pairs = []
    for item in items:  # type: ignore[union-attr]
        if isinstance(item, str):
            pairs.append((item, item))
        else:
            pairs.append((str(item[0]), str(item[1])))
    return pairs


def within_limits(text: str, limits: Limits | None = None) -> bool:
    """True when no statement of the text can be over budget (the scan is then not needed)."""
    limits = limits or LIMITS
    return len(text) <= limits.statement_chars and text.count("(") + text.count("[") <= limits.depth


def segments(text: str, dialect: Dialect) -> list[Segment]:
    """The statements of a text with their size and deepest nesting, in one regex pass."""
    result: list[Segment] = []
    start = depth = deepest = 0
    for match in _scanner(dialect).finditer(text):
        kind = match.lastgroup
        if kind == "open":
            depth += 1
            deepest = max(deepest, depth)
        elif kind == "close":
            depth = max(0, depth - 1)
        elif kind == "semi":
            result.append(Segment(start, match.start(), deepest))
            start, depth, deepest = match.end(), 0, 0
    result.append(Segment(start, len(text), deepest))
    trimmed = []
    for s in result:
        piece = text[s.start : s.end]
        if piece.strip():
            trimmed.append(Segment(s.start + len(piece) - len(piece.lstrip()), s.end, s.depth))
    return trimmed


def blank(text: str, spans: list[Segment]) -> str:
    """The text with these spans replaced by spaces (newlines kept, so offsets and lines do not move)."""
    if not spans:
        return text
    pieces: list[str] = []
    position = 0
    for span in spans:
        pieces.append(text[position : span.start])
        pieces.append(re.sub(r"[^\n]", " ", text[span.start : span.end]))
        position = span.end
    pieces.append(text[position:])
    return "".join(pieces)


_state = threading.local()
_REPEAT_SECONDS = 0.02  # after the deadline, the alarm comes again this often until the block ends


@contextmanager
def timer() -> Iterator[None]:
    """Let ``deadline`` blocks inside this one arm a real-time timer (SIGALRM), where that is safe.

    Safe means: the main thread and no real-time timer running (someone else's, such as Airflow's
    execution_timeout, is never touched). A handler left installed with no timer (Airflow's
    timeout does not restore the previous one) is put back afterwards. Elsewhere ``deadline``
    does nothing and the size and nesting budgets still bound the work.
    """
    if getattr(_state, "installed", False) or not _can_install():
        yield
        return
    previous = signal.signal(signal.SIGALRM, _on_alarm)
    _state.installed = True
    try:
        yield
    finally:
        _state.armed = False
        signal.setitimer(signal.ITIMER_REAL, 0)
        _state.installed = False
        signal.signal(signal.SIGALRM, previous)


@contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Raise ``TooComplex`` in this block after ``seconds`` of wall-clock time (inside ``timer()``)."""
    if not getattr(_state, "installed", False) or getattr(_state, "armed", False):
        yield  # no timer here, or nested: the outer budget holds
        return
    _state.armed = True
    # The timer repeats until the block ends: a TooComplex raised while a gc callback or a
    # __del__ runs is swallowed by the interpreter ("Exception ignored in"), so one alarm alone
    # could be lost and the block would run unbounded.
    signal.setitimer(signal.ITIMER_REAL, seconds, _REPEAT_SECONDS)
    try:
        yield
    finally:
        _state.armed = False
        signal.setitimer(signal.ITIMER_REAL, 0)


def _can_install() -> bool:
    if not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread():
        return False
    return signal.getsignal(signal.SIGALRM) is not None and signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


def _on_alarm(signum: int, frame: object) -> None:
    if getattr(_state, "armed", False):
        raise TooComplex()
