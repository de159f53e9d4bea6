"""``overlay sql``: lineage of one SQL text."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.markup import escape
from rich.table import Table

from overlay.cli.output import console, err_console, fail, print_json
from overlay.lineage import SqlLineage, analyze_sql
from overlay.lineage.names import known_dialects


def sql_command(
    source: Annotated[str, typer.Argument(help="SQL text, a path to a .sql file, or - for standard input.")] = "-",
    dialect: Annotated[Optional[str], typer.Option("--dialect", "-d", help="sqlglot dialect: postgres, snowflake, bigquery...")] = None,
    default_db: Annotated[Optional[str], typer.Option("--default-db", help="Database (BigQuery: project) for names the SQL leaves unqualified.")] = None,
    default_schema: Annotated[Optional[str], typer.Option("--default-schema", help="Schema (BigQuery: dataset) for unqualified names.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Which tables a SQL text reads and writes, statement by statement."""
    text = _read_source(source)
    if dialect and dialect.lower() not in known_dialects():
        err_console.print(f"[yellow]warning:[/] {dialect!r} is not a sqlglot dialect; parsing with the generic dialect")
    result = analyze_sql(text, dialect=dialect.lower() if dialect else None, default_db=default_db, default_schema=default_schema)
    if as_json:
        print_json(result.to_dict())
    else:
        _print_human(result)
    if result.errors:
        raise typer.Exit(1)


def _read_source(source: str) -> str:
    if source == "-":
        if sys.stdin.isatty():
            fail("no SQL given: pass SQL text, a file path, or pipe SQL into `overlay sql -`", 2)
        return sys.stdin.read()
    path = Path(source)
    if len(source) < 4096 and "\n" not in source and path.suffix.lower() == ".sql":
        if not path.is_file():
            fail(f"no such SQL file: {source}", 2)
        return path.read_text(encoding="utf-8", errors="replace")
    if len(source) < 4096 and "\n" not in source and path.is_file():
        return path.read_text(encoding="utf-8", errors="replace")
    return source


def _print_human(result: SqlLineage) -> None:
    table = Table(title="Statements", show_lines=False)
    for column in ("#", "line", "kind", "reads", "writes"):
        table.add_column(column)
    for stmt in result.statements:
        table.add_row(
            str(stmt.index + 1),
            str(stmt.line),
            stmt.kind,
            "\n".join(stmt.reads) or "-",
            "\n".join(stmt.writes) or ("[red]" + escape(stmt.error or "") + "[/]" if stmt.error else "-"),
        )
    console.print(table)
    console.print(f"[bold]reads:[/]  {', '.join(result.reads) or '-'}")
    console.print(f"[bold]writes:[/] {', '.join(result.writes) or '-'}")
    for source, target in result.edges:
        console.print(f"  {source} → {target}")
    for error in result.errors:
        err_console.print(f"[bold red]error:[/] {escape(str(error))}")
