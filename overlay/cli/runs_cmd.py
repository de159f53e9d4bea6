"""``overlay runs sync``: run history from a live Airflow."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from overlay.cli.output import console, fail, print_json
from overlay.cli.query_cmd import DbOption, JsonOption, _open

runs_app = typer.Typer(help="Run history from Airflow: task instances recorded as materializations.", no_args_is_help=True)


@runs_app.command("sync")
def sync_command(
    airflow_url: Annotated[str, typer.Option("--airflow-url", help="Airflow's base URL, e.g. http://localhost:8080")],
    user: Annotated[Optional[str], typer.Option("--user", envvar="AIRFLOW_USER")] = None,
    password: Annotated[Optional[str], typer.Option("--password", envvar="AIRFLOW_PASSWORD")] = None,
    token: Annotated[Optional[str], typer.Option("--token", envvar="AIRFLOW_TOKEN", help="A JWT instead of user and password.")] = None,
    source: Annotated[Optional[str], typer.Option("--source", help="The catalog source this Airflow's runs belong to "
                                                  "(default: the catalog's only source).")] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Pull DAG runs' task instances since the last sync and record what they materialized."""
    from overlay.runs import AirflowAPIError, AirflowClient, sync_runs

    catalog = _open(db)
    names = catalog.source_names()
    if source is None:
        if len(names) != 1:
            fail(f"say which source this Airflow's runs belong to with --source (the catalog holds: {', '.join(names) or 'none'})", 2)
        source = names[0]
    elif source not in names:
        fail(f"no source {source!r} in the catalog (it holds: {', '.join(names) or 'none'}): scan it first", 2)
    try:
        result = sync_runs(catalog, AirflowClient(airflow_url, user, password, token), source)
    except AirflowAPIError as e:
        fail(str(e), 1)
        return
    if as_json:
        print_json(result)
        return
    console.print(f"synced {result['runs']} finished task instances from {airflow_url} into source {source!r} "
                  f"({'since ' + result['since'] if result['since'] else 'full history'}): "
                  f"{result['materializations']} new materializations")
    if result.get("no_writes"):
        console.print(f"  {result['no_writes']} runs of tasks that write no table (nothing to record)")
    if result["unknown_tasks"]:
        console.print(f"  {result['unknown_tasks']} runs of tasks not in the catalog (scan their DAG folder to record them)")
