"""Entry point of the ``overlay`` console script."""

from __future__ import annotations

import logging

import typer

from overlay.cli.lazy import LazyGroup

app = typer.Typer(
    name="overlay",
    help="An asset-oriented overlay for Apache Airflow: tables, lineage, owners, freshness and cost from your DAG code.",
    no_args_is_help=True,
    add_completion=False,
    cls=LazyGroup,  # each subcommand's module is imported when that command runs (overlay.cli.lazy.COMMANDS)
)


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
