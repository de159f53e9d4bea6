"""``overlay scan`` and ``overlay export``: build the catalog from DAG folders, and get the graph out."""

from __future__ import annotations

import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from overlay.catalog import Catalog, CatalogError
from overlay.cli.output import console, err_console, fail, print_json
from overlay.cli.coverage_view import print_coverage, print_explanation
from overlay.config import ConfigError, load_settings
from overlay.explain import explain_in_scan
from overlay.pipeline import build_catalog
from overlay.scan_problems import file_problems


def scan_command(
    folders: Annotated[Optional[list[Path]], typer.Argument(help="DAG folders to scan (default: Airflow's configured dags_folder).")] = None,
    mode: Annotated[str, typer.Option("--mode", help="auto (import, static fallback) | import | static (never runs DAG code)")] = "auto",
    db: Annotated[Optional[str], typer.Option("--db", help="Catalog URL or SQLite file (default $OVERLAY_DB, else [overlay] db "
                                                      "in airflow.cfg, else $AIRFLOW_HOME/overlay.db, else ./overlay.db).")] = None,
    config: Annotated[Optional[str], typer.Option("--config", help="Settings file (default ./overlay.yaml, else DAG_FOLDER/overlay.yaml).")] = None,
    source: Annotated[Optional[str], typer.Option("--source", help="The deployment or repository this scan belongs to; it replaces "
                                                  "only this source's DAGs (default: Airflow's instance name, else the repository's name).")] = None,
    allow_empty: Annotated[bool, typer.Option("--allow-empty", help="Store a scan that finds no DAG even where the source had some.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
    bundle_version: Annotated[Optional[str], typer.Option("--bundle-version", hidden=True,
                                                          help="The DAG bundle version this scan saw (set by the plugin).")] = None,
    explain: Annotated[Optional[str], typer.Option("--explain", metavar="DAG.TASK",
                                                   help="After the scan, show how one task was read: rule, values, SQL, dialect, tables.")] = None,
) -> None:
    """Find every DAG and task, infer what each reads and writes, and store the asset graph."""
    from overlay.source_name import clean, default_source

    if mode not in ("auto", "import", "static"):
        fail(f"unknown --mode {mode!r}: use auto, import or static", 2)
    folders = folders or _airflow_dags_folder()
    files = [str(f) for f in folders if f.exists() and not f.is_dir()]
    if files:
        fail(f"{', '.join(files)} is a file, not a folder: give the DAG folder that holds it", 2)
    missing = [str(f) for f in folders if not f.is_dir()]
    if missing:
        fail(f"DAG folder not found: {', '.join(missing)}", 2)
    name = clean(source) if source and source.strip() else default_source(folders[0])
    try:
        settings = load_settings(config, [str(f) for f in folders])
        catalog = Catalog.open(db)
    except (ConfigError, CatalogError) as e:
        fail(str(e), 2)
    started = time.perf_counter()
    from overlay.cli.progress import scan_progress

    try:
        with scan_progress() as progress:
            outcome = build_catalog(catalog, [str(f) for f in folders], mode, settings, datetime.now(timezone.utc),
                                    source=name, allow_empty=allow_empty, bundle_version=bundle_version, progress=progress)
    except CatalogError as e:
        fail(str(e), 1)
    elapsed = time.perf_counter() - started
    explained = explain_in_scan(outcome.result, settings, explain) if explain else None
    if as_json:
        extra = {"explain": explained.to_dict()} if explained is not None and not isinstance(explained, list) else {}
        print_json(outcome.to_dict() | {"seconds": round(elapsed, 3), "db": catalog.url, "source": name} | extra)
    else:
        _print_summary(outcome, elapsed, catalog.url, name)
        print_coverage(outcome.to_dict()["coverage"])
        if explained is not None and not isinstance(explained, list):
            print_explanation(explained)
    if isinstance(explained, list):
        hint = f"; did you mean: {', '.join(explained)}" if explained else ""
        fail(f"--explain: no task {explain!r} in this scan (give it as DAG_ID.TASK_ID){hint}", 1)


def _airflow_dags_folder() -> list[Path]:
    """Inside an Airflow installation, the DAG folder Airflow itself parses."""
    from overlay.airflow_config import airflow_setting

    folder = airflow_setting("core", "dags_folder")
    if not folder:
        fail("give a DAG folder to scan: `overlay scan DAG_FOLDER`. With no folder, overlay scans Airflow's [core] dags_folder, "
             f"and found none: AIRFLOW__CORE__DAGS_FOLDER and AIRFLOW_HOME are not set, and {Path.home() / 'airflow' / 'airflow.cfg'} "
             "does not exist" + _installed_note(), 2)
    return [Path(folder or ".")]


def _installed_note() -> str:
    import importlib.util

    return " (Airflow is installed: set AIRFLOW_HOME to its home folder)" if importlib.util.find_spec("airflow") else ""


def _print_summary(outcome, elapsed: float, url: str, source: str) -> None:  # noqa: ANN001 - ScanOutcome
    from rich.markup import escape

    s = outcome.summary
    console.print(f"[bold]Scanned[/] {escape(', '.join(outcome.result.folders))} as source [bold]{escape(source)}[/] in {elapsed:.2f}s")
    console.print(f"  catalog: {escape(url)}", highlight=False)
    problems = file_problems(outcome.result.errors)
    fallback = sum(1 for p in problems if p["note"] == "read statically instead")
    console.print(f"  files {s.files} ({s.reused_files} unchanged, not parsed again) · DAGs {s.dags} · tasks {s.tasks} · "
                  f"assets {s.assets} · edges {s.edges} · unresolved tasks {s.unresolved} · errors {len(problems)}"
                  + (f" ({fallback} of them files whose import failed and were read statically instead)" if fallback else ""))
    statuses = outcome.status_counts()
    console.print("  task status: " + ", ".join(f"{k} {v}" for k, v in sorted(statuses.items())))
    unresolved = [t for t in outcome.result.tasks if t.status in ("unresolved", "partial")]
    if unresolved:
        table = Table(title="Tasks overlay could not fully resolve", title_justify="left")
        for column in ("task", "status", "file:line", "reason"):
            table.add_column(column, overflow="fold")
        for task in unresolved[:50]:
            table.add_row(f"{task.dag_id}.{task.task_id}", task.status, f"{task.file}:{task.line}", "; ".join(task.errors)[:300])
        console.print(table)
    if problems:
        table = Table(title="Files with problems", title_justify="left")
        for column in ("file:line", "stage", "error", "note"):
            table.add_column(column, overflow="fold")
        for problem in problems[:50]:
            table.add_row(problem["where"], problem["stage"], problem["error"][:300], problem["note"])
        err_console.print(table)


def export_command(
    out: Annotated[Optional[Path], typer.Argument(metavar="OUT", help="With --format html: the folder the site is written to (new, empty, "
                                                  "or an earlier html export).", show_default=False)] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="json | mermaid | dot | openlineage (one RunEvent per line) | "
                                     "html (a static site in OUT/)")] = "json",
    db: Annotated[Optional[str], typer.Option("--db", help="Catalog URL or SQLite file.")] = None,
) -> None:
    """Write the asset graph to standard output, or with --format html the catalog as a static site in OUT/."""
    from overlay.export import FORMATS, render

    if fmt not in (*FORMATS, "html"):
        fail(f"unknown --format {fmt!r}: use one of {', '.join((*FORMATS, 'html'))}", 2)
    if fmt == "html" and out is None:
        fail("--format html writes a site into a folder: overlay export --format html OUT/", 2)
    if fmt != "html" and out is not None:
        fail(f"--format {fmt} writes to standard output (redirect it: overlay export --format {fmt} > FILE); only html takes OUT/", 2)
    try:
        catalog = Catalog.open(db, create=False)
    except CatalogError as e:
        fail(str(e), 2)
    if fmt == "html":
        _export_site(catalog, out)
        return
    typer.echo(render(catalog, fmt), nl=False)


def _export_site(catalog: Catalog, out: Path) -> None:
    from overlay.static_site import ExportError, write_site

    try:
        site = write_site(catalog, out)
    except ExportError as e:
        fail(str(e), 2)
    if site.assets == 0:
        err_console.print("[yellow]the catalog has no assets[/yellow]: the site says so; run `overlay scan DAG_FOLDER` first")
    for line in site.skipped[:10]:
        err_console.print(f"[yellow]not in the site[/yellow] {line}")
    console.print(f"wrote {site.out}/index.html: {site.assets} assets, {site.dags} DAGs, {site.tasks} tasks, "
                  f"{site.responses} answers ({site.bytes / 1e6:.1f} MB of data); open it from disk or serve the folder")
