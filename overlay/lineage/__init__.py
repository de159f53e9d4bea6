"""The SQL lineage engine: which tables a SQL text reads and writes.

>>> from overlay.lineage import analyze_sql
>>> result = analyze_sql("INSERT INTO mart.x SELECT * FROM raw.y", dialect="postgres")
>>> result.reads, result.writes
(['raw.y'], ['mart.x'])

Never raises on any string: statements that do not parse, or are over the size, nesting or time
budget (``budget.py``: "too complex to analyse"), come back as ``errors`` and the rest is analysed.
"""

from __future__ import annotations

from overlay.lineage import budget
from overlay.lineage.model import LineageError, SqlLineage, StatementLineage
from overlay.lineage.names import NameContext
from overlay.lineage.script import combine
from overlay.lineage.split import parse_statements
from overlay.lineage.statement import analyze_statement

__all__ = ["LineageError", "SqlLineage", "StatementLineage", "analyze_sql"]


def analyze_sql(
    sql: str,
    dialect: str | None = None,
    default_db: str | None = None,
    default_schema: str | None = None,
) -> SqlLineage:
    with budget.timer():
        return _analyze_sql(sql, dialect, default_db, default_schema)


def _analyze_sql(sql: str, dialect: str | None, default_db: str | None, default_schema: str | None) -> SqlLineage:
    ctx = NameContext(dialect=dialect or None, default_db=default_db or None, default_schema=default_schema or None)
    statements: list[StatementLineage] = []
    errors: list[LineageError] = []
    for parsed in parse_statements(sql if isinstance(sql, str) else str(sql), ctx.dialect):
        if parsed.expression is None:
            statements.append(StatementLineage(parsed.index, parsed.line, "unparsed", error=parsed.error))
            errors.append(LineageError(parsed.index, parsed.line, parsed.error or "could not parse"))
            continue
        try:
            with budget.deadline(budget.LIMITS.seconds):
                statements.append(analyze_statement(parsed.expression, parsed.index, parsed.line, ctx))
            if statements[-1].opaque:
                errors.append(LineageError(parsed.index, parsed.line, statements[-1].opaque, opaque=True))
        except budget.TooComplex:
            message = f"too complex to analyse: analysis took over {budget.LIMITS.seconds:g} s"
            _fail(statements, errors, parsed.index, parsed.line, message)
        except RecursionError:
            _fail(statements, errors, parsed.index, parsed.line, "too complex to analyse: nested too deeply")
        except Exception as e:  # a sqlglot tree we did not expect must not take the caller down
            _fail(statements, errors, parsed.index, parsed.line, f"cannot analyse: {type(e).__name__}: {e}")
    reads, writes, edges = combine(statements)
    return SqlLineage(reads=reads, writes=writes, edges=edges, statements=statements, errors=errors, dialect=ctx.dialect)


def _fail(statements: list[StatementLineage], errors: list[LineageError], index: int, line: int, message: str) -> None:
    statements.append(StatementLineage(index, line, "unparsed", error=message))
    errors.append(LineageError(index, line, message))
