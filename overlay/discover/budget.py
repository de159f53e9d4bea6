"""Work limits of the static interpreter: what one DAG file may cost before it is reported.

Every limit is checked *before* a value is built (a predicted size, an iteration count), so a
hostile file (``range(10**9)``, ``'x' * 3_000_000_000``, ``f"{1:2000000000}"``) costs nothing.
``ValueTooLarge`` loses one statement; ``BudgetExhausted`` stops the file. Both carry the line.
"""

from __future__ import annotations

import string
import time
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Limits:
    operations: int = 1_000_000  # expression nodes and statements evaluated per file
    value_bytes: int = 8 * 1024 * 1024  # one value (a string, a list)
    total_bytes: int = 128 * 1024 * 1024  # all values built while reading one file
    depth: int = 100  # nested expressions
    call_depth: int = 10  # nested function calls (recursion)
    loop_items: int = 10_000  # iterations of one loop or comprehension
    loop_total: int = 200_000  # iterations per file
    seconds: float = 5.0  # wall clock per file (a backstop: the other limits come first)
    width: int = 100_000  # a format width or precision
    int_bits: int = 65_536


DEFAULT_LIMITS = Limits()


class BudgetError(Exception):
    fatal = False

    def __init__(self, reason: str, line: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.line = line


class ValueTooLarge(BudgetError):
    """One value over its limit: the statement is skipped and reported, the file goes on."""


class BudgetExhausted(BudgetError):
    """The file's budget is spent: reading stops, what was found so far is kept and the stop reported."""

    fatal = True


class Budget:
    """Counters for one file. ``strict=False`` (extraction's own evaluators) turns overruns into unknown values."""

    def __init__(self, limits: Limits = DEFAULT_LIMITS, strict: bool = True) -> None:
        self.limits = limits
        self.strict = strict
        self.ops = 0
        self.bytes = 0
        self.depth = 0
        self.calls = 0
        self.loop_total = 0
        self.line: int | None = None
        self.started = time.monotonic()
        # the receiver of a method call being evaluated (by node and scope) -> its value once known: the evaluators
        # look at a receiver more than once per call, so a chain `a.f().g()…` would otherwise cost 2^links
        self.receivers: dict[tuple[int, int], Any] = {}

    def tick(self, n: int = 1) -> None:
        self.ops += n
        if self.ops > self.limits.operations:
            raise BudgetExhausted(f"more than {self.limits.operations:,} operations", self.line)
        if self.ops & 1023 == 0 and time.monotonic() - self.started > self.limits.seconds:
            raise BudgetExhausted(f"more than {self.limits.seconds:g} s", self.line)

    def check_time(self) -> None:
        if time.monotonic() - self.started > self.limits.seconds:
            raise BudgetExhausted(f"more than {self.limits.seconds:g} s", self.line)

    def charge(self, nbytes: int, what: str = "value") -> None:
        """Account for a value about to be built (its predicted size in bytes)."""
        if nbytes > self.limits.value_bytes:
            raise ValueTooLarge(f"{what} of about {nbytes:,} bytes is over the {self.limits.value_bytes:,}-byte limit", self.line)
        self.bytes += nbytes
        if self.bytes > self.limits.total_bytes:
            raise BudgetExhausted(f"values built exceed {self.limits.total_bytes:,} bytes", self.line)

    def items(self, count: int, what: str = "collection") -> None:
        self.charge(count * 8 + 64, what)

    def width(self, value: int, what: str = "format width") -> None:
        if value > self.limits.width:
            raise ValueTooLarge(f"{what} {value:,} is over the {self.limits.width:,} limit", self.line)

    def loop_allowance(self) -> int:
        """How many iterations the next loop may run (its own limit and what is left of the file's)."""
        return max(0, min(self.limits.loop_items, self.limits.loop_total - self.loop_total))

    def spend_loop(self, n: int) -> None:
        self.loop_total += n


def size_of(value: Any) -> int:
    """Shallow size estimate in bytes (elements were charged when they were built)."""
    if isinstance(value, (str, bytes)):
        return len(value)
    if isinstance(value, int):
        return value.bit_length() // 8 + 1
    if isinstance(value, (list, tuple, set, dict)):
        return 8 * len(value) + 64
    return 64


def check_format_spec(spec: str, budget: Budget) -> None:
    """Widths and precisions in a ``format()`` spec, e.g. ``2000000000`` in ``{1:2000000000}``."""
    digits = ""
    for ch in spec + " ":
        if ch.isdigit():
            digits += ch
            continue
        if digits:
            budget.width(int(digits))
            digits = ""
        if ch in "{}":
            raise ValueTooLarge("nested format spec not evaluated", budget.line)


def check_percent_format(template: str, budget: Budget) -> None:
    """``'%0999999999d' % 1``: the widths of ``%`` conversions, and ``*`` widths are refused."""
    i, n = 0, len(template)
    while True:
        i = template.find("%", i)
        if i < 0 or i + 1 >= n:
            return
        j = i + 1
        if template[j] == "(":
            j = template.find(")", j) + 1 or n
        spec_start = j
        while j < n and template[j] in "-#0 +.*0123456789":
            j += 1
        spec = template[spec_start:j]
        if "*" in spec:
            raise ValueTooLarge("'*' width in a % format is not evaluated", budget.line)
        check_format_spec(spec.replace(".", " "), budget)
        i = j + 1


def check_str_format(template: str, budget: Budget) -> None:
    """``'{:2000000000}'.format(1)``: the specs of each replacement field."""
    for _literal, field_name, spec, _conv in string.Formatter().parse(template):
        if field_name is not None and spec:
            check_format_spec(spec, budget)
