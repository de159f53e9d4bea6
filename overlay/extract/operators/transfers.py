"""Tables named by operator arguments (transfer operators, table checks, row inserts), as the operators compose them."""

from __future__ import annotations

from typing import Any

from overlay.extract.operators.bqnames import qualify
from overlay.extract.context import TaskState
from overlay.extract.operators.rules import OperatorRule, TableArg
from overlay.extract.templates.sources import Target, connection_of


def compose(parts: list[str | None]) -> str | None:
    """``[schema, table]`` -> ``schema.table``; a qualifier is used only while the inner parts are all present."""
    if not parts or not parts[-1]:
        return None
    name = str(parts[-1])
    for qualifier in reversed(parts[:-1]):
        if not qualifier:
            break
        name = f"{qualifier}.{name}"
    return name


def add_tables(t: TaskState, rule: OperatorRule, target: Target, sql_found: bool) -> None:
    project = t.text(rule.project_arg) if rule.project_arg else None
    for table in rule.tables:
        if table.unless_sql and sql_found:
            continue
        unknown = [p for p in table.parts if t.is_unknown(p)]
        if unknown:
            t.unresolved(f"{t.operator}: table argument {'/'.join(unknown)} is not known statically (line {t.spec.line})")
            continue
        if table.conn_args:
            conn, conn_unknown = connection_of(t, table.conn_args)
        else:
            conn, conn_unknown = target.conn_id, target.conn_unknown
        if conn_unknown:  # its database is not known: the reason is given, no table is named under a guessed one
            continue
        dialect = table.dialect or rule.dialect
        for name in _names(t, table):
            if dialect == "bigquery":
                name = qualify(name, project)
            t.add_direct(name, table.mode, t.operator, conn, dialect)


def _names(t: TaskState, table: TableArg) -> list[str]:
    if len(table.parts) == 1 and isinstance(t.value(table.parts[0]), (list, tuple)):
        return [n for n in (_rendered(t, v, table.parts[0]) for v in t.value(table.parts[0])) if n]
    name = compose([_rendered(t, t.value(p), p) for p in table.parts])
    return [name] if name else []


def _rendered(t: TaskState, value: Any, arg: str) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return None
    rendered = t.render(value, f"argument {arg}")
    return rendered.strip() if rendered else None
