"""Results of the lineage engine: one record per statement, one for the whole text."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class StatementLineage:
    """Tables one statement reads and writes, with the facts the script stage needs.

    Names are qualified and normalized (see ``names.py``). ``temporary`` lists tables this
    statement creates as temporary; ``dropped`` the tables it drops; ``renamed`` and ``swapped``
    pairs (from, to) / (altered, other) for ALTER ... RENAME / SWAP WITH.
    """

    index: int
    line: int
    kind: str
    reads: list[str] = field(default_factory=list)
    writes: list[str] = field(default_factory=list)
    temporary: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    renamed: list[tuple[str, str]] = field(default_factory=list)
    swapped: list[tuple[str, str]] = field(default_factory=list)
    locations: list[str] = field(default_factory=list)  # stages and URIs read or written (never tables)
    columns: dict[str, list[str]] = field(default_factory=dict)  # written table -> columns the SQL defines
    error: str | None = None
    opaque: str | None = None  # it runs code the text does not hold (a stored procedure, SQL in a variable): why


@dataclass
class LineageError:
    statement: int
    line: int
    message: str
    opaque: bool = False  # the statement parsed, but what it runs is not in the text (``StatementLineage.opaque``)

    def __str__(self) -> str:
        return f"statement {self.statement + 1} (line {self.line}): {self.message}"


@dataclass
class SqlLineage:
    """Lineage of a whole SQL text.

    ``reads``: tables whose rows the text reads from outside itself; ``writes``: tables it leaves
    created or changed; ``edges``: (source, target) table pairs, statement-level, with temporary
    and renamed-away intermediates collapsed.
    """

    reads: list[str] = field(default_factory=list)
    writes: list[str] = field(default_factory=list)
    edges: list[tuple[str, str]] = field(default_factory=list)
    statements: list[StatementLineage] = field(default_factory=list)
    errors: list[LineageError] = field(default_factory=list)
    dialect: str | None = None

    @property
    def columns(self) -> dict[str, list[str]]:
        merged: dict[str, list[str]] = {}
        for stmt in self.statements:
            for table, cols in stmt.columns.items():
                if table in self.writes and cols:
                    merged[table] = cols
        return merged

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["edges"] = [{"from": a, "to": b} for a, b in self.edges]
        data["errors"] = [{**asdict(e), "error": str(e)} for e in self.errors]
        data["columns"] = self.columns
        return data
