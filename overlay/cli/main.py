"""Entry point of the ``overlay`` console script."""

from __future__ import annotations

import logging

import typer

from overlay.cli.cost_cmd import attribute_command, cost_command
from overlay.cli.inspect_cmd import dag_command, task_command, who_command
from overlay.cli.query_cmd import asset_command, assets_command, lineage_command, owners_command, serve_command, stale_command
from overlay.cli.review_cmd import diff_command, lint_command
from overlay.cli.runs_cmd import runs_app
from overlay.cli.scan_cmd import export_command, scan_command
from overlay.cli.sources_cmd import sources_app
from overlay.cli.sql_cmd import sql_command

app = typer.Typer(
    name="overlay",
    help="An asset-oriented overlay for Apache Airflow: tables, lineage, owners, freshness and cost from your DAG code.",
    no_args_is_help=True,
    add_completion=False,
)
app.command("scan")(scan_command)
app.command("export")(export_command)
app.command("assets")(assets_command)
app.command("asset")(asset_command)
app.command("lineage")(lineage_command)
app.command("owners")(owners_command)
app.command("who")(who_command)
app.command("dag")(dag_command)
app.command("task")(task_command)
app.command("serve")(serve_command)
app.command("stale")(stale_command)
app.add_typer(runs_app, name="runs")
app.add_typer(sources_app, name="sources")
app.command("attribute")(attribute_command)
app.command("cost")(cost_command)
app.command("sql")(sql_command)
app.command("diff")(diff_command)
app.command("lint")(lint_command)


@app.callback()
def _setup(verbose: bool = typer.Option(False, "--verbose", "-v", help="Say what each stage does (on stderr): each file read, "
                                                                        "how, and what was found; ownership; storing.")) -> None:
    logging.basicConfig(level=logging.WARNING, format="%(name)s: %(message)s")
    if verbose:
        logging.getLogger("overlay").setLevel(logging.INFO)
    else:
        # sqlglot warns on every statement it keeps as an opaque command; overlay reports those itself
        logging.getLogger("sqlglot").setLevel(logging.ERROR)


if __name__ == "__main__":
    app()
