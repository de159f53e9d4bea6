"""How ``overlay scan`` shows coverage and ``--explain``: text for people (``--json`` prints the records)."""

from __future__ import annotations

from typing import Any

from rich.markup import escape

from overlay.cli.output import console
from overlay.explain import Explanation


def print_coverage(cov: dict[str, Any]) -> None:
    touching = cov["touching_data"]
    share = f" ({cov['resolved_share']:.1%})" if touching else ""
    console.print(f"[bold]Coverage[/]: {cov['resolved']} of {touching} tasks that touch data resolved{share} · "
                  f"partial {cov['partial']} · unresolved {cov['unresolved']} · {cov['no_data']} tasks touch no data")
    if not cov["reasons"]:
        return
    console.print("  why the others are not (tasks · reason · one of them):")
    for reason in cov["reasons"]:
        console.print(f"  {reason['count']:>5} · {escape(reason['reason'][:200])} · {escape(reason['example'])} ({escape(reason['task'])})")
        if reason.get("hint"):
            console.print(f"        fix: {escape(reason['hint'])}")


def print_explanation(e: Explanation) -> None:
    console.print(f"\n[bold]How {escape(e.task)} was read[/] ({escape(e.file)}:{e.line or ''})")
    console.print(f"  operator   {escape(e.operator)}")
    console.print(f"  rule       {escape(e.rule)}")
    for key, value in e.rule_detail.items():
        console.print(f"             {key}: {escape(str(value))}")
    console.print("  known      " + (", ".join(f"{k}={escape(v)}" for k, v in e.known.items()) if e.known else "(no argument known)"))
    if e.unknown:
        console.print(f"  unknown    {', '.join(e.unknown)} (computed at run time or not readable statically)")
    for i, sql in enumerate(e.sql, start=1):
        where = f" from {escape(sql.file)}" if sql.file else ""
        defaults = ".".join(p for p in (sql.default_database, sql.default_schema) if p) or "none"
        console.print(f"  SQL {i}      {escape(sql.origin)}{where} · connection {escape(str(sql.conn_id))} ({sql.connection_source}) · "
                      f"dialect {sql.dialect or 'generic'} · namespace {escape(sql.namespace)} · defaults {escape(defaults)}")
        for line in sql.text.strip().splitlines()[:40]:
            console.print(f"             {escape(line)}", highlight=False)
    for item in e.direct:
        console.print(f"  table      {item['mode']} {escape(item['table'])} (from {escape(item['origin'])})")
    for note in e.notes:
        console.print(f"  note       {escape(note)}")
    console.print(f"  status     {e.status}")
    console.print(f"  reads      {', '.join(e.reads) or '-'}")
    console.print(f"  writes     {', '.join(e.writes) or '-'}")
    for reason in e.reasons:
        console.print(f"  reason     {escape(reason['reason'])}")
        if reason.get("hint"):
            console.print(f"             fix: {escape(reason['hint'])}")
