"""Subcommands imported on first use: ``overlay diff`` loads the review stage, not the catalog and SQLAlchemy.

``LazyGroup`` is the click group of the ``overlay`` app. Its commands are a mapping whose values are
built when first looked up: running one command imports that command's module only, while ``--help``
and the "did you mean" hint (which list every command) still see them all, in the table's order.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, MutableMapping

import click
import typer
from typer.core import TyperGroup

# command name -> (module, attribute): a command function, or a typer app for a group of subcommands.
# Same order as ``overlay --help`` lists them (commands first, then groups, as typer registers them).
COMMANDS: dict[str, tuple[str, str]] = {
    "scan": ("overlay.cli.scan_cmd", "scan_command"),
    "export": ("overlay.cli.scan_cmd", "export_command"),
    "assets": ("overlay.cli.query_cmd", "assets_command"),
    "asset": ("overlay.cli.query_cmd", "asset_command"),
    "lineage": ("overlay.cli.query_cmd", "lineage_command"),
    "owners": ("overlay.cli.query_cmd", "owners_command"),
    "who": ("overlay.cli.inspect_cmd", "who_command"),
    "dag": ("overlay.cli.inspect_cmd", "dag_command"),
    "task": ("overlay.cli.inspect_cmd", "task_command"),
    "serve": ("overlay.cli.query_cmd", "serve_command"),
    "stale": ("overlay.cli.query_cmd", "stale_command"),
    "attribute": ("overlay.cli.cost_cmd", "attribute_command"),
    "cost": ("overlay.cli.cost_cmd", "cost_command"),
    "sql": ("overlay.cli.sql_cmd", "sql_command"),
    "diff": ("overlay.cli.review_cmd", "diff_command"),
    "lint": ("overlay.cli.review_cmd", "lint_command"),
    "runs": ("overlay.cli.runs_cmd", "runs_app"),
    "sources": ("overlay.cli.sources_cmd", "sources_app"),
}


def load(name: str) -> click.Command:
    """The click command ``name``, built by typer exactly as an eager ``app.command(name)`` would."""
    module, attribute = COMMANDS[name]
    target = getattr(importlib.import_module(module), attribute)
    holder = typer.Typer(add_completion=False)
    holder.callback()(lambda: None)  # a callback makes the holder a group, whatever it holds
    if isinstance(target, typer.Typer):
        holder.add_typer(target, name=name)
    else:
        holder.command(name)(target)
    group = typer.main.get_command(holder)
    assert isinstance(group, TyperGroup)
    return group.commands[name]


class LazyCommands(MutableMapping[str, click.Command]):
    """name -> command, each loaded the first time it is looked up; names alone never load anything."""

    def __init__(self, eager: MutableMapping[str, click.Command]) -> None:
        self._loaded = dict(eager)
        self._names = [*COMMANDS, *(n for n in eager if n not in COMMANDS)]

    def __getitem__(self, name: str) -> click.Command:
        if name not in self._loaded:
            if name not in COMMANDS:
                raise KeyError(name)
            self._loaded[name] = load(name)
        return self._loaded[name]

    def __setitem__(self, name: str, command: click.Command) -> None:
        if name not in self._names:
            self._names.append(name)
        self._loaded[name] = command

    def __delitem__(self, name: str) -> None:
        self._names.remove(name)
        self._loaded.pop(name, None)

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)

    def __contains__(self, name: object) -> bool:
        return name in self._names


class LazyGroup(TyperGroup):
    def __init__(self, **attrs) -> None:  # noqa: ANN003 - typer's own group arguments
        super().__init__(**attrs)
        self.commands = LazyCommands(self.commands)

    def invoke(self, ctx: click.Context):  # noqa: ANN201 - what the command returns
        """A usage error (an unknown option, a value that is not a number, a missing argument) is JSON on stdout under
        ``--json``, like every other error, with click's exit code 2."""
        from overlay.cli.output import print_json

        args = [*getattr(ctx, "_protected_args", []), *ctx.args]
        wants_json = "--json" in args[:args.index("--")] if "--" in args else "--json" in args
        try:
            return super().invoke(ctx)
        except _UsageError as e:
            if not wants_json:
                raise
            command = e.ctx.command_path if e.ctx is not None else ctx.command_path
            print_json({"error": e.format_message(), "candidates": [], "hint": f"see `{command} --help`"})
            raise typer.Exit(e.exit_code) from None


try:  # typer >= 0.26 carries its own copy of click, whose exceptions its commands raise
    from typer._click.exceptions import UsageError as _UsageError
except ImportError:
    from click.exceptions import UsageError as _UsageError
