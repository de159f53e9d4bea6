"""``overlay attribute`` and ``overlay cost``: warehouse query history attributed to tasks, assets and owners."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from overlay.cli.output import console, fail, print_json
from overlay.cli.query_cmd import DbOption, JsonOption, _open


def attribute_command(
    file: Annotated[Optional[Path], typer.Argument(help="Exported query history (CSV or JSON Lines).")] = None,
    source: Annotated[str, typer.Option("--source", help="snowflake | bigquery | postgres | csv")] = "csv",
    conn: Annotated[Optional[str], typer.Option("--conn", help="Read pg_stat_statements live from this Airflow connection (postgres).")] = None,
    mapping: Annotated[Optional[list[str]], typer.Option("--map", help="For csv: FIELD=COLUMN (query_id, text, started_at, duration_ms, bytes_billed, credits)")] = None,
    config: Annotated[Optional[str], typer.Option("--config", help="Settings file (cost prices).")] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Ingest query history and attribute each query to task, asset and owner (idempotent)."""
    from overlay.attribution.attribute import CostModel
    from overlay.attribution.history import read_history
    from overlay.attribution.live import read_pg_stat_statements
    from overlay.config import ConfigError, load_settings

    catalog = _open(db)
    try:
        settings = load_settings(config, catalog.scanned_folders())
        fields = dict(item.split("=", 1) for item in mapping or [])
        if conn:
            if source != "postgres":
                fail(f"--conn reads live history from PostgreSQL only; export {source} history to a file and pass it", 2)
            rows = read_pg_stat_statements(conn)
        elif file is not None:
            if not file.is_file():
                fail(f"no such file: {file}", 2)
            rows = read_history(file, source, fields or None)
        else:
            fail("give a history FILE or --conn CONN_ID", 2)
            return
        from overlay.cli.progress import counted

        result = catalog.ingest_queries(counted(rows, "ingesting queries"), CostModel.from_settings(settings.cost))
    except (ConfigError, ValueError) as e:
        fail(str(e), 2)
        return
    if as_json:
        print_json(result)
        return
    m = result["by_method"]
    console.print(f"{result['rows']} queries read: {result['inserted']} new, {result['duplicates']} already ingested, "
                  f"{result['malformed']} malformed rows")
    console.print(f"attributed by tag {m['tag']}, fingerprint {m['fingerprint']}, tables {m['tables']}; unattributed {m['unattributed']}")
    if "cumulative" in result:
        c = result["cumulative"]
        console.print(f"cumulative statistics: {c['first']} statements seen first, {c['delta']} billed as the change "
                      f"since the last snapshot, {c['unchanged']} unchanged, {c['older']} older snapshots skipped, "
                      f"{c['reset']} statistics resets detected")
    for example in result["malformed_examples"][:5]:
        console.print(f"  [yellow]line {example['line']}[/]: {example['reason']}")


def cost_command(
    by: Annotated[str, typer.Option("--by", help="asset | owner | dag | task")] = "asset",
    since: Annotated[Optional[str], typer.Option("--since", help="Start day (inclusive), e.g. 2026-11-01.")] = None,
    until: Annotated[Optional[str], typer.Option("--until", help="End day (exclusive).")] = None,
    compare: Annotated[Optional[str], typer.Option("--compare", help="`previous`: the period of the same length before --since.")] = None,
    config: Annotated[Optional[str], typer.Option("--config", help="Settings file (its `cost:` prices are shown).")] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Cost totals and shares, and the top movers against the previous period."""
    from overlay.catalog.costs import parse_day

    if compare not in (None, "previous"):
        fail("--compare takes `previous`", 2)
    from overlay.config import ConfigError, load_settings

    catalog = _open(db)
    try:
        report = catalog.cost_report(by, parse_day(since), parse_day(until), compare == "previous")
        settings = load_settings(config, catalog.scanned_folders())
    except (ConfigError, ValueError) as e:
        fail(str(e), 2)
        return
    report["prices"] = prices_used(settings)
    empty = not catalog.has_query_history()
    if empty:
        report["hint"] = NO_QUERIES
    if as_json:
        print_json(report)
        return
    if empty:
        console.print(f"[yellow]no query history in the catalog[/]: {NO_QUERIES}")
        _print_prices(report["prices"])
        return
    table = Table(title=f"Cost by {by}: {report['total']:.2f} USD", title_justify="left")
    for column in (by, "cost (USD)", "share"):
        table.add_column(column, overflow="fold")
    for group in report["groups"][:30]:
        table.add_row(group["group"], f"{group['cost']:.2f}", f"{group['share']:.1%}")
    console.print(table)
    _print_prices(report["prices"])
    if "movers" in report:
        console.print(f"previous period: {report['previous']['total']:.2f} USD")
        for mover in report["movers"]:
            pct = f" ({mover['change_pct']:+.0f}%)" if mover["change_pct"] is not None else " (new)"
            console.print(f"  {mover['group']}: {mover['previous']:.2f} → {mover['cost']:.2f}{pct}  assets: "
                          f"{', '.join(mover['assets']) or '-'}  owners: {', '.join(mover['owners']) or '-'}")


NO_QUERIES = ("ingest one first: `overlay attribute HISTORY.csv --source snowflake|bigquery|postgres|csv` "
              "(an exported query history), or `overlay attribute --conn CONN_ID --source postgres` (pg_stat_statements)")


def prices_used(settings) -> list[dict]:  # noqa: ANN001 - Settings
    """Each unit price with where it came from: the `cost:` section of overlay.yaml, else overlay's default."""
    from overlay.attribution.attribute import DEFAULT_PRICES

    where = f"{settings.path or 'overlay.yaml'}#cost"
    return [{"price": name, "usd": float(settings.cost.get(name, default)),
             "source": where if name in settings.cost else "default (set `cost: {" + name + ": ...}` in overlay.yaml)"}
            for name, default in DEFAULT_PRICES.items()]


def _print_prices(prices: list[dict]) -> None:
    console.print("prices in the settings now (each query keeps the cost it was given when `overlay attribute` ingested it): "
                  + "; ".join(f"{p['price']} {p['usd']:g} USD from {p['source']}" for p in prices))
