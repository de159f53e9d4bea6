"""``overlay assets | asset | lineage | owners``: questions answered from the catalog."""

from __future__ import annotations

from typing import Annotated, Optional

import typer
from rich.markup import escape
from rich.table import Table

from overlay.catalog import Catalog, CatalogError
from overlay.catalog.queries import AmbiguousKey, UnknownKey
from overlay.cli.output import console, err_console, fail, print_json

DbOption = Annotated[Optional[str], typer.Option("--db", help="Catalog URL or SQLite file (default $OVERLAY_DB, else [overlay] db in "
                                                           "airflow.cfg, else $AIRFLOW_HOME/overlay.db, else ./overlay.db).")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def _open(db: str | None, create: bool = False) -> Catalog:
    """The catalog of a read-only command: one that does not exist is reported, not created."""
    try:
        return Catalog.open(db, create=create)
    except CatalogError as e:
        fail(str(e), 2)
        raise  # unreachable: fail exits


def _resolve(catalog: Catalog, key: str) -> str:
    try:
        return catalog.resolve_key(key)
    except AmbiguousKey as e:
        fail(f"{key!r} matches {len(e.candidates)} assets; use one of:", 1, candidates=e.candidates)
        raise typer.Exit(1) from e
    except UnknownKey as e:
        fail(f"no asset matches {key!r} (try `overlay assets --search {key}`)", 1)
        raise typer.Exit(1) from e


def assets_command(
    search: Annotated[Optional[str], typer.Option("--search", "-s", help="Words found in the key, owners, or DAG/task ids and tags of "
                                                                       "the tasks using the asset; ranked, ties by evidence.")] = None,
    owner: Annotated[Optional[str], typer.Option("--owner", help="Only assets this owner (or team) owns.")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=100_000)] = 200,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """The catalog's assets, searchable (ranked), with the verdict among assets of the same table name."""
    from overlay.catalog.search import SearchError

    try:
        page = _open(db).assets(search=search, owner=owner, limit=limit)
    except SearchError as e:
        fail(f"--search: {e}", 2)
        return
    if as_json:
        print_json(page)
        return
    about = "about " if page.get("total_is_estimate") else ""
    table = Table(title=f"{about}{page['total']} assets" + (f" matching {search!r}, best first" if search else ""), title_justify="left")
    for column in ("asset", "owners", "producers", "consumers", "verdict"):
        table.add_column(column, overflow="fold")
    for a in page["items"]:
        owners = ", ".join(a["owners"]) or ("[yellow]unowned[/]" if a["producers"] else "[dim]source (no scanned producer)[/]")
        if a.get("contacts"):
            owners += f" [dim](contacts: {', '.join(a['contacts'])})[/]"
        table.add_row(escape(a["key"]), owners + (" [red](conflict)[/]" if a["owner_conflict"] else ""), str(a["producers"]),
                      str(a["consumers"]), verdict_text(a["verdict"]))
    console.print(table)
    if page["total"] > len(page["items"]):
        console.print(f"[dim]showing {len(page['items'])} of {about}{page['total']}; use --limit or --search[/]")


VERDICTS = {"preferred": "[green]preferred[/]", "likely_legacy": "[yellow]no producer, no owner: likely legacy[/]"}


def verdict_text(verdict: str | None) -> str:
    return VERDICTS.get(verdict or "", "")


def asset_command(key: Annotated[str, typer.Argument(help="Asset key or an unambiguous suffix (`daily_revenue`).")],
                  db: DbOption = None, as_json: JsonOption = False) -> None:
    """One asset: producers and consumers with file and line, owners with provenance, columns, last run. A name several
    assets share (`orders`) lists them with their evidence and which one to use."""
    catalog = _open(db)
    try:
        resolved = catalog.resolve_key(key)
    except AmbiguousKey as e:
        _which_one(catalog, key, e.candidates, as_json)
        raise typer.Exit(1) from e
    except UnknownKey:
        resolved = _resolve(catalog, key)  # says so and exits
    detail = catalog.asset(resolved)
    if as_json:
        print_json(detail)
        return
    console.print(f"[bold]{detail['key']}[/]  (namespace {detail['namespace']})")
    if detail["ownership"]:
        for claim in detail["ownership"]:
            link = f" <{claim['link']}>" if claim.get("link") else ""
            console.print(f"  {claim.get('role', 'owner')} [bold]{claim['owner']}[/]{link} — {claim['rule']} ({claim['source']})")
    else:
        console.print("  [yellow]no owner found[/] (no overlay.yaml rule, CODEOWNERS entry or DAG owner)")
    if detail["owner_conflict"]:
        console.print("  [red]conflict:[/] written by tasks with different owners")
    for title, refs in (("produced by", detail["producers"]), ("consumed by", detail["consumers"])):
        console.print(f"  {title}: " + ("" if refs else "[dim]nothing in the scanned DAGs[/]"))
        for ref in refs:
            console.print(f"    {ref['task']}  [dim]{ref['operator']} · {ref['file']}:{ref['line']}[/]")
    console.print(f"  used by {detail['consumer_tasks']} tasks in {detail['consumer_dags']} DAGs")
    if detail["columns"]:
        console.print(f"  columns: {', '.join(detail['columns'])}")
    last = detail["last_materialization"]
    console.print(f"  last materialization: {last['end_date']} by {last['dag_id']}.{last['task_id']} ({last['state']})" if last
                  else "  last materialization: [dim]none recorded[/]")
    if detail["same_name"]:
        console.print(f"  {verdict_text(detail['verdict']) or 'no verdict'} among {len(detail['same_name']) + 1} assets named "
                      f"{escape(detail['name'].rsplit('.', 1)[-1])}:")
        for other in detail["same_name"]:
            console.print(f"    {escape(other['key'])}  {verdict_text(other['verdict'])}  [dim]{evidence_text(other['evidence'])}[/]")


def evidence_text(evidence: dict) -> str:
    last = evidence["last_materialized"]
    return (f"{evidence['producers']} producers, {evidence['consumers']} consumers, {evidence['owners']} owners, "
            f"{evidence['queries']} queries, last run {last[:16] if last else 'never'}")


def _which_one(catalog: Catalog, key: str, candidates: list[str], as_json: bool) -> None:
    """An ambiguous name: each candidate with its evidence and verdict, so the answer to "which one?" is on screen."""
    found = [catalog.asset(c) for c in candidates]
    message = f"{key!r} matches {len(candidates)} assets; use one of:"
    if as_json:
        print_json({"error": message, "candidates": candidates,
                    "verdicts": {a["key"]: {"verdict": a["verdict"], "evidence": a["evidence"]} for a in found}})
        return
    err_console.print(f"[bold red]error:[/] {escape(message)}", highlight=False)
    for a in sorted(found, key=lambda a: (a["verdict"] != "preferred", a["verdict"] == "likely_legacy", a["key"])):
        err_console.print(f"  {escape(a['key'])}  {verdict_text(a['verdict'])}  [dim]{evidence_text(a['evidence'])}[/]")


def lineage_command(
    key: Annotated[Optional[str], typer.Argument(help="Asset key or an unambiguous suffix (or give --select).")] = None,
    upstream: Annotated[bool, typer.Option("--upstream", help="Only what it comes from.")] = False,
    downstream: Annotated[bool, typer.Option("--downstream", help="Only what depends on it.")] = False,
    depth: Annotated[int, typer.Option("--depth", min=1, max=100)] = 3,
    select: Annotated[Optional[str], typer.Option("--select", help="Selection: +key, key+, N+key+M, owner:, dag:, tag:, "
                                                               "source:, schema:, and/or/not (e.g. '+okr_dashboard and not schema:raw').")] = None,
    group_by: Annotated[Optional[str], typer.Option("--group-by", help="With --select: collapse into dag | schema | owner | source.")] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """The asset graph around one asset, or the part of it a selection names."""
    if select is not None or key is None:
        _selection(select, group_by, db, as_json)
        return
    if upstream and downstream:
        fail("--upstream and --downstream exclude each other (give neither for both)", 2)
    catalog = _open(db)
    resolved = _resolve(catalog, key)
    direction = "upstream" if upstream else "downstream" if downstream else "both"
    result = catalog.lineage(resolved, direction, depth)
    beyond = len(catalog.lineage(resolved, direction, depth + 1)["nodes"]) - len(result["nodes"]) if depth < 100 else 0
    result["truncated"] = beyond > 0  # --depth stopped the walk before the graph ended
    if as_json:
        print_json(result)
        return
    console.print(f"[bold]{escape(resolved)}[/] — {direction}, depth {depth}")
    for way in (["upstream", "downstream"] if direction == "both" else [direction]):
        console.print(lineage_tree(result, way))
    if beyond:
        console.print(f"[yellow]cut at --depth {depth}[/]: {beyond} more asset(s) one step further "
                      f"{'away' if direction == 'both' else direction} (at depth {depth + 1}, perhaps more past it); raise --depth to see them")


def _selection(expression: Optional[str], group_by: Optional[str], db: Optional[str], as_json: bool) -> None:
    from overlay.catalog.select import selection_context
    from overlay.selection import SelectionError, select, view

    if not expression:
        fail("give an asset KEY or --select EXPR", 2)
    ctx = selection_context(_open(db))
    try:
        answer = view(ctx, select(expression, ctx), group_by)
    except SelectionError as e:
        fail(f"--select {expression!r}: {e}", 2)
    if as_json:
        print_json(answer)
        return
    table = Table(title=f"{answer['selected']} asset(s) selected by {expression!r}" + (f", by {group_by}" if group_by else ""),
                  title_justify="left")
    if group_by:
        for column in (group_by, "assets", "feeds"):
            table.add_column(column, overflow="fold")
        feeds: dict[str, list[str]] = {}
        for edge in answer["edges"]:
            feeds.setdefault(edge["from"], []).append(edge["to"])
        for node in answer["nodes"]:
            table.add_row(escape(node["id"]), str(node["count"]), escape(", ".join(feeds.get(node["id"], []))))
    else:
        for column in ("asset", "written by", "read by"):
            table.add_column(column, overflow="fold")
        for node in answer["nodes"]:
            table.add_row(escape(node["key"]), escape(", ".join(node["producers"]) or "-"), escape(", ".join(node["consumers"]) or "-"))
    console.print(table)


def lineage_tree(result: dict, way: str):  # noqa: ANN201 - rich.tree.Tree
    """The walk as a tree: each asset under the one it comes from (upstream) or feeds (downstream), with the task between.
    An asset reached twice is shown once in full; later mentions say "see above"."""
    from rich.tree import Tree

    children: dict[str, list[tuple[str, str]]] = {}
    for edge in result["edges"]:
        parent, child = (edge["to"], edge["from"]) if way == "upstream" else (edge["from"], edge["to"])
        children.setdefault(parent, []).append((child, edge["via"]))
    tree = Tree(f"[dim]{way} (← reads from)[/]" if way == "upstream" else f"[dim]{way} (→ is read by)[/]")
    shown: set[str] = {result["root"]}

    def grow(node: Tree, key: str, level: int) -> None:
        if level >= result["depth"]:
            return
        by_child: dict[str, list[str]] = {}
        for child, via in children.get(key, []):
            by_child.setdefault(child, []).append(via)
        for child in sorted(by_child):
            vias = ", ".join(sorted(set(by_child[child])))
            if child in shown:
                node.add(f"{escape(child)}  [dim]via {escape(vias)} (see above)[/]")
                continue
            shown.add(child)
            grow(node.add(f"{escape(child)}  [dim]via {escape(vias)}[/]"), child, level + 1)

    grow(tree, result["root"], 0)
    if not tree.children:
        tree.add("[dim]nothing in the scanned DAGs[/]")
    return tree


def owners_command(key: Annotated[Optional[str], typer.Argument(help="One asset (key or suffix); all when left out.")] = None,
                   db: DbOption = None, as_json: JsonOption = False) -> None:
    """Who owns what, conflicts (written by tasks of different owners) and unowned assets."""
    catalog = _open(db)
    report = catalog.owners(_resolve(catalog, key) if key else None)
    if as_json:
        print_json(report)
        return
    table = Table(title="Ownership", title_justify="left")
    for column in ("asset", "owners", "why", "contacts", "producers"):
        table.add_column(column, overflow="fold")
    for item in report["assets"]:
        if not item["producers"] and not item["owners"] and not key:
            continue  # sources nobody in these DAGs writes: counted below
        why = "; ".join(sorted({f"{c['rule']} ({c['source']})" for c in item["ownership"] if c.get("role", "owner") == "owner"}))
        owners = ", ".join(item["owners"]) or ("[yellow]unowned[/]" if item["producers"] else "[dim]source (no scanned producer)[/]")
        contacts = "; ".join(f"{c['owner']} ({c['rule']})" for c in item["ownership"] if c.get("role") == "contact")
        table.add_row(item["key"], owners + (" [red](conflict)[/]" if item["conflict"] else ""), why, contacts, ", ".join(item["producers"]))
    console.print(table)
    console.print(f"conflicts: {len(report['conflicts'])} · unowned (written by tasks that name no owner): {len(report['unowned'])} · "
                  f"sources (read, written by no scanned task, so no owner to infer): {len(report['sources'])}")
    if report["unowned"] or report["sources"]:
        console.print("[dim]record an owner with an overlay.yaml `ownership:` rule, a CODEOWNERS entry or the DAG's `owner`; "
                      "`overlay who KEY` shows who is named[/]")


LOOPBACK = ("127.0.0.1", "localhost", "::1")


def serve_command(
    host: Annotated[str, typer.Option("--host", help="Address to bind. Anything but loopback needs OVERLAY_API_TOKEN.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535)] = 8765,
    workers: Annotated[Optional[int], typer.Option("--workers", min=1, max=64, help="Server processes answering in parallel "
                                                                            "(default: the machine's CPU cores).")] = None,
    db: DbOption = None,
    airflow_url: Annotated[Optional[str], typer.Option("--airflow-url", envvar="OVERLAY_AIRFLOW_URL",
                                                       help="Airflow UI base URL, for the UI's links to DAGs and tasks.")] = None,
) -> None:
    """Serve the web UI at / and the HTTP API under /api/v1 (OpenAPI at /openapi.json, explorer at /docs) outside Airflow."""
    import os

    from overlay.api.serving import default_workers, open_catalog, serve, standalone_app

    if host not in LOOPBACK and not os.environ.get("OVERLAY_API_TOKEN"):
        fail(f"refusing to bind {host} without OVERLAY_API_TOKEN: set a token, or serve on 127.0.0.1", 2)
    try:
        catalog = open_catalog(db)
    except CatalogError as e:
        fail(str(e), 2)
        return
    workers = workers or default_workers()
    sock = _bind(host, port)  # bind first: a port in use is an error, not a banner followed by a traceback
    app = standalone_app(catalog, host, airflow_url)  # built here too when workers build their own: a broken bundle fails now
    console.print(f"overlay UI on http://{host}:{port}/ · API under /api/v1 (catalog {catalog.url}, {workers} worker"
                  f"{'s' if workers > 1 else ''}) · docs at /docs")
    if workers > 1:
        catalog.close()  # each worker opens its own
        serve(catalog.url, sock, host, workers, airflow_url)
    else:
        serve(app, sock, host, 1)


def _bind(host: str, port: int):  # noqa: ANN202 - socket.socket
    import socket

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as e:
        sock.close()
        fail(f"cannot serve on {host}:{port}: {e.strerror or e} (another process listens there? try --port)", 1)
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def stale_command(
    config: Annotated[Optional[str], typer.Option("--config", help="Settings file with the freshness rules.")] = None,
    exit_zero: Annotated[bool, typer.Option("--exit-zero", help="Exit 0 even when assets are late (for reports).")] = False,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Assets later than their freshness rule, with the reason walked up the graph. Exits 1 when one is late."""
    from overlay.config import ConfigError, load_settings
    from overlay.freshness import stale_assets

    catalog = _open(db)
    try:
        settings = load_settings(config, catalog.scanned_folders())
        states = catalog.freshness_states()
        late = stale_assets(states, settings.freshness)
    except (ConfigError, ValueError) as e:
        fail(str(e), 2)
        return
    history = any(s.last_success is not None for s in states.values()) or catalog.has_run_history()
    if as_json:
        print_json({"stale": [s.to_dict() for s in late], "rules": len(settings.freshness), "run_history": history}
                   | ({} if history else {"hint": NO_HISTORY}))
    else:
        if not settings.freshness:
            console.print("[yellow]no freshness rules[/]: add `freshness: [{match: GLOB, max_lag: 26h}]` to overlay.yaml")
        if not history:
            console.print(f"[yellow]no run history in the catalog[/]: {NO_HISTORY}")
        for item in late:
            console.print(f"[bold red]late[/] {item.key}  (rule {item.rule}: {item.max_lag}; last success "
                          f"{item.last_success.isoformat(timespec='minutes') if item.last_success else 'never'})")
            for reason in item.reasons:
                console.print(f"    because {reason}")
        if not late and settings.freshness:
            console.print("[green]every asset with a freshness rule is on time[/]")
    if late and not exit_zero:
        raise typer.Exit(1)


NO_HISTORY = ("no task run was ever recorded, so an asset with a freshness rule counts as late: run `overlay runs sync --airflow-url URL` "
              "(Airflow's REST API), or install overlay into Airflow so its plugin records each task run")
