"""``overlay sources [list|remove NAME]``: the deployments and repositories the catalog holds."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from overlay.catalog.queries import NotFound
from overlay.cli.output import console, fail, print_json
from overlay.cli.query_cmd import DbOption, JsonOption, _open

sources_app = typer.Typer(help="The sources in the catalog (one Airflow deployment or DAG repository each): last scan, "
                               "commit, counts, coverage, last run sync.")


@sources_app.callback(invoke_without_command=True)
def sources_main(ctx: typer.Context, db: DbOption = None, as_json: JsonOption = False) -> None:
    """List the sources (same as `overlay sources list`)."""
    if ctx.invoked_subcommand is None:
        list_command(db, as_json)


@sources_app.command("list")
def list_command(db: DbOption = None, as_json: JsonOption = False) -> None:
    """Each source: last scan, commit, DAG/task/asset counts, share of tasks resolved, last run sync."""
    items = _open(db).sources()
    if as_json:
        print_json({"total": len(items), "items": items})
        return
    if not items:
        console.print("no sources yet: `overlay scan DAG_FOLDER --source NAME` adds one")
        return
    table = Table(title=f"{len(items)} sources", title_justify="left")
    for column in ("source", "last scan", "commit", "DAGs", "tasks", "assets", "resolved", "last run sync"):
        table.add_column(column, overflow="fold")
    for s in items:
        table.add_row(escape(s["name"]), _when(s["last_scan"] and s["last_scan"]["finished_at"]), (s["commit"] or "")[:12],
                      str(s["counts"]["dags"]), str(s["counts"]["tasks"]), str(s["counts"]["assets"]), _share(s["coverage"]),
                      _when(s["last_run_sync"] and s["last_run_sync"]["at"]))
    console.print(table)


@sources_app.command("remove")
def remove_command(name: Annotated[str, typer.Argument(help="The source to delete, with its DAGs, tasks and runs.")],
                   db: DbOption = None, as_json: JsonOption = False) -> None:
    """Delete one source: its scans, files, DAGs, tasks and runs; shared assets nothing else uses go too."""
    try:
        counts = _open(db).remove_source(name)
    except NotFound as e:
        fail(str(e), 1)
        return
    if as_json:
        print_json({"removed": name, **counts})
        return
    console.print(f"removed source [bold]{escape(name)}[/]: {counts['dags']} DAGs, {counts['tasks']} tasks, "
                  f"{counts['materializations']} runs, {counts['assets']} assets no other source uses")


def _when(value: Any) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if hasattr(value, "strftime") else "—"


def _share(coverage: dict[str, Any]) -> str:
    share = coverage.get("resolved_share")
    return "—" if share is None else f"{share:.0%} of {coverage['tasks']}"
