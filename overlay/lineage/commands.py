"""Statements sqlglot keeps as an opaque ``Command``: lineage read from their text.

Each handler is data-driven (a pattern and what it means), in the spirit of sqlglot's dialects:
REPLACE INTO, Redshift UNLOAD, REFRESH MATERIALIZED VIEW, RENAME TABLE, Hive EXCHANGE PARTITION,
and ALTER forms some dialects do not parse. Anything else is a command without lineage.

Statements that run code the text does not hold are *opaque* (``opaque()``): a stored procedure (``CALL p()``,
``EXEC dbo.p``) and SQL built in a variable (``EXEC sp_executesql @sql``, ``EXECUTE IMMEDIATE v``). What they read
and write is not known, which is not the same as touching no table: the caller reports them. SQL given to them as
a string literal is read as the statement it is.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Callable

import sqlglot
from sqlglot import exp

from overlay.lineage.names import name_from_text

if TYPE_CHECKING:
    from overlay.lineage.statement import _Collector

AnalyzeTree = Callable[[exp.Expression, "_Collector"], str]

# procedure name -> (argument index of the source table, argument index of the target table)
TABLE_MOVING_FUNCTIONS: dict[str, tuple[int, int]] = {
    "swap_partitions_between_tables": (0, 3),  # Vertica
    "move_partitions_to_table": (0, 3),
    "copy_partitions_to_table": (0, 3),
    "copy_table": (0, 1),
}

_NAME = r"((?:[\w$#@]+|\"[^\"]+\"|`[^`]+`|\[[^\]]+\])(?:\s*\.\s*(?:[\w$#@]+|\"[^\"]+\"|`[^`]+`|\[[^\]]+\]))*)"
_REFRESH_MV = re.compile(rf"^\s*MATERIALIZED\s+VIEW\s+(?:CONCURRENTLY\s+)?{_NAME}", re.I)
_RENAME_PAIR = re.compile(rf"{_NAME}\s+TO\s+{_NAME}", re.I)
_EXCHANGE = re.compile(rf"^\s*TABLE\s+{_NAME}\s+EXCHANGE\s+PARTITION\s*\(.*?\)\s*WITH\s+TABLE\s+{_NAME}", re.I | re.S)
_ALTER_SWAP = re.compile(rf"^\s*TABLE\s+(?:IF\s+EXISTS\s+)?{_NAME}\s+SWAP\s+WITH\s+{_NAME}", re.I)
_ALTER_RENAME = re.compile(rf"^\s*TABLE\s+(?:IF\s+EXISTS\s+)?{_NAME}\s+RENAME\s+TO\s+{_NAME}", re.I)
_ALTER_REFRESH = re.compile(rf"^\s*(?:DYNAMIC\s+TABLE|MATERIALIZED\s+VIEW)\s+{_NAME}\s+REFRESH\b", re.I)
_UNLOAD = re.compile(r"^\s*\(\s*'((?:[^']|'')*)'\s*\)\s*TO\s+'([^']*)'", re.I | re.S)


def analyze(command: exp.Command, c: _Collector, analyze_tree: AnalyzeTree) -> str:
    keyword = (command.name or "").upper()
    text = _text(command)
    handler = _HANDLERS.get(keyword)
    if handler is None:
        return f"command:{keyword.lower()}" if keyword else "command"
    return handler(text, c, analyze_tree) or f"command:{keyword.lower()}"


def _text(command: exp.Command) -> str:
    expression = command.expression
    if isinstance(expression, exp.Literal):
        return expression.name
    return expression.sql() if isinstance(expression, exp.Expression) else str(expression or "")


def _replace(text: str, c: _Collector, analyze_tree: AnalyzeTree) -> str | None:
    parsed = _parse(f"INSERT {text}", c)
    if parsed is None:
        return None
    analyze_tree(parsed, c)
    return "replace_into"


def _unload(text: str, c: _Collector, analyze_tree: AnalyzeTree) -> str | None:
    match = _UNLOAD.match(text)
    if not match:
        return None
    query = match.group(1).replace("''", "'").replace("\\'", "'")
    parsed = _parse(query, c)
    if parsed is not None:
        analyze_tree(parsed, c)
    c.locations.append(match.group(2))
    return "unload"


def _refresh(text: str, c: _Collector, analyze_tree: AnalyzeTree) -> str | None:
    match = _REFRESH_MV.match(text)
    name = match and name_from_text(match.group(1), c.ctx)
    if not name:
        return None
    c.result_writes.append(name)
    return "refresh_materialized_view"


def _rename(text: str, c: _Collector, analyze_tree: AnalyzeTree) -> str | None:
    body = re.sub(r"^\s*TABLES?\s+", "", text, flags=re.I)
    for part in body.split(","):
        match = _RENAME_PAIR.search(part)
        source = match and name_from_text(match.group(1), c.ctx)
        target = match and name_from_text(match.group(2), c.ctx)
        if source and target:
            c.renamed.append((source, target))
    return "rename" if c.renamed else None


def _alter(text: str, c: _Collector, analyze_tree: AnalyzeTree) -> str | None:
    if match := _EXCHANGE.match(text):
        target, source = name_from_text(match.group(1), c.ctx), name_from_text(match.group(2), c.ctx)
        if target and source:
            c.result_reads.append(source)
            c.result_writes.append(target)
            return "exchange_partition"
    if match := _ALTER_SWAP.match(text):
        altered, other = name_from_text(match.group(1), c.ctx), name_from_text(match.group(2), c.ctx)
        if altered and other:
            c.swapped.append((altered, other))
            return "swap"
    if match := _ALTER_RENAME.match(text):
        source, target = name_from_text(match.group(1), c.ctx), name_from_text(match.group(2), c.ctx)
        if source and target:
            c.renamed.append((source, target))
            return "rename"
    if match := _ALTER_REFRESH.match(text):
        name = name_from_text(match.group(1), c.ctx)
        if name:
            c.result_writes.append(name)
            return "refresh_materialized_view"
    return None


def opaque(statement: exp.Expression, c: _Collector, analyze_tree: AnalyzeTree) -> str | None:
    """Why what ``statement`` touches is not known (it runs a procedure or SQL built at run time); None otherwise.
    Literal SQL it runs (``EXEC sp_executesql N'DELETE FROM t'``) is analysed into ``c`` instead."""
    if isinstance(statement, exp.ExecuteSql):
        first = (statement.expressions or [None])[0]
        return None if _run_literal(first, c, analyze_tree) else "runs SQL built at run time (sp_executesql of a variable)"
    if isinstance(statement, exp.Execute):
        target = statement.this
        if isinstance(target, exp.Table) and isinstance(target.this, exp.Identifier):
            return f"runs the stored procedure {target.sql()}: what it reads and writes is not known"
        inner = target.this if isinstance(target, exp.Subquery) else target
        return None if _run_literal(inner, c, analyze_tree) else "runs SQL built at run time (EXEC of a variable)"
    if isinstance(statement, exp.Command) and (statement.name or "").upper() in ("CALL", "EXECUTE", "EXEC"):
        text = _text(statement).strip()
        if (statement.name or "").upper() == "CALL":
            name = re.match(r"[\w$.`\"\[\]]+", text)
            return f"calls the stored procedure {name.group(0) if name else text[:60]}: what it reads and writes is not known"
        literal = re.match(r"(?is)^IMMEDIATE\s+'((?:[^']|'')*)'\s*$", text)
        if literal and _run_sql(literal.group(1).replace("''", "'"), c, analyze_tree):
            return None
        return "runs SQL built at run time (EXECUTE IMMEDIATE of a value not in the text)"
    return None


def _run_literal(node: exp.Expression | None, c: _Collector, analyze_tree: AnalyzeTree) -> bool:
    if not (isinstance(node, exp.Literal) and node.is_string) and not isinstance(node, exp.National):
        return False
    return _run_sql(node.name, c, analyze_tree)


def _run_sql(sql: str, c: _Collector, analyze_tree: AnalyzeTree) -> bool:
    """The SQL a statement runs, given as text, analysed into ``c``; False when it does not parse."""
    parsed = _parse(sql, c)
    if parsed is None:
        return False
    analyze_tree(parsed, c)
    return True


def _parse(sql: str, c: _Collector) -> exp.Expression | None:
    try:
        return sqlglot.parse_one(sql, read=c.ctx.parse_dialect)
    except Exception:
        return None


_HANDLERS: dict[str, Callable[[str, "_Collector", AnalyzeTree], str | None]] = {
    "REPLACE": _replace,
    "UNLOAD": _unload,
    "REFRESH": _refresh,
    "RENAME": _rename,
    "ALTER": _alter,
}
