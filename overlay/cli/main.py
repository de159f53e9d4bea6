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
    # overlay's lines get a stderr handler of their own: importing Airflow (auto and import mode) replaces the root
    # logger's handlers with one bound to the stdout overlay captures while DAG files import, which swallowed them
    own = logging.getLogger("overlay")
    for handler in [h for h in own.handlers if getattr(h, "overlay_cli", False)]:
        own.removeHandler(handler)
    handler = logging.StreamHandler()
    handler.overlay_cli = True  # type: ignore[attr-defined]
    handler.setFormatter(logging.Formatter("%(name)s: %(message)s"))
    own.addHandler(handler)
    own.propagate = False
    own.setLevel(logging.INFO if verbose else logging.WARNING)
    # sqlglot warns on every statement it keeps as an opaque command; overlay reports those itself
    logging.getLogger("sqlglot").setLevel(logging.ERROR)


if __name__ == "__main__":
    app()
