"""``overlay diff`` and ``overlay lint``: checks before a merge, from the static asset graph."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from overlay.cli.output import fail, print_json

DIFF_FORMATS = ("text", "markdown", "json")
LINT_FORMATS = ("text", "markdown", "json", "sarif")


def open_catalog(db: str | None):  # noqa: ANN201 - a Catalog; imported only when a command uses one
    from overlay.cli.query_cmd import _open

    return _open(db)


def _is_document(text: str) -> bool:
    return text.endswith(".json") and Path(text).is_file() or "://" in text


def diff_command(
    base: Annotated[Optional[str], typer.Argument(help="Git revision (default: merge base with the default branch), "
                                                       "or an `overlay export --format json` file or catalog URL.")] = None,
    head: Annotated[Optional[str], typer.Argument(help="Git revision (default: the working tree), or an export file or catalog URL.")] = None,
    dags: Annotated[Optional[list[Path]], typer.Option("--dags", help="DAG folder(s) inside the repository (default: the current folder).")] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="text | markdown (a pull-request comment) | json")] = "text",
    fail_on: Annotated[str, typer.Option("--fail-on", help="Exit 1 on any of: removed-asset, broken-consumer, lost-coverage, "
                                                          "schedule-risk, blast-radius (comma-separated).")] = "",
    db: Annotated[Optional[str], typer.Option("--db", help="A catalog whose other DAGs and sources extend the blast radius, owners and cost.")] = None,
    config: Annotated[Optional[str], typer.Option("--config", help="Settings file (default: the revision's own overlay.yaml).")] = None,
    cache_dir: Annotated[Optional[Path], typer.Option("--cache-dir", help="Where scans are cached between runs "
                                                                          "(default $OVERLAY_CACHE_DIR, else ~/.cache/overlay).")] = None,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Scan both sides from scratch.")] = False,
) -> None:
    """What a change does to the asset graph: tasks, assets and links changed, and its blast radius downstream."""
    from overlay.review import report as render
    from overlay.review.diff import FAIL_ON, diff_documents, diff_revisions
    from overlay.review.revisions import RevisionError
    from overlay.review.snapshot import default_cache_dir

    if fmt not in DIFF_FORMATS:
        fail(f"unknown --format {fmt!r}: use {', '.join(DIFF_FORMATS)}", 2)
    wanted = [f.strip() for f in fail_on.split(",") if f.strip()]
    unknown = [f for f in wanted if f not in FAIL_ON]
    if unknown:
        fail(f"unknown --fail-on {', '.join(unknown)}: use {', '.join(FAIL_ON)}", 2)
    catalog = open_catalog(db) if db else None
    try:
        if base and head and _is_document(base) and _is_document(head):
            report = diff_documents(base, head, catalog)
        else:
            folders = dags or [Path.cwd()]
            missing = [str(f) for f in folders if not f.is_dir()]
            if missing:
                fail(f"DAG folder not found: {', '.join(missing)}", 2)
            report = diff_revisions(folders[0], base, head, [str(f) for f in folders],
                                    str(Path(config).resolve()) if config else None,
                                    None if no_cache else (cache_dir or default_cache_dir()), catalog)
    except RevisionError as e:
        fail(str(e), 2)
    if fmt == "json":
        print_json(report.to_dict())
    else:
        sys.stdout.write(render.markdown(report) if fmt == "markdown" else render.text(report))
    findings = report.findings()
    hit = [f"{name} ({findings[name]})" for name in wanted if findings.get(name)]
    if hit:
        print(f"overlay diff: failing on {', '.join(hit)}", file=sys.stderr)
        raise typer.Exit(1)


def lint_command(
    folders: Annotated[Optional[list[Path]], typer.Argument(help="DAG folders to lint (read statically); none: the catalog.")] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="text | markdown | json | sarif")] = "text",
    db: Annotated[Optional[str], typer.Option("--db", help="Catalog: other sources' DAGs, run durations and query cost "
                                                          "(without folders, the catalog alone is linted).")] = None,
    config: Annotated[Optional[str], typer.Option("--config", help="Settings file with the `lint:` section.")] = None,
    fail_level: Annotated[str, typer.Option("--fail-level", help="Exit 1 when a finding is at least this severe: error | warning | info | never.")] = "error",
) -> None:
    """Implicit cross-DAG dependencies, schedule races, two writers, dangling reads and dead assets."""
    from overlay.config import ConfigError, load_settings
    from overlay.review import lint_report
    from overlay.review.lint import SEVERITIES, lint
    from overlay.review.lint_context import context_from_catalog, context_from_folders

    if fmt not in LINT_FORMATS:
        fail(f"unknown --format {fmt!r}: use {', '.join(LINT_FORMATS)}", 2)
    if fail_level not in (*SEVERITIES, "never"):
        fail(f"unknown --fail-level {fail_level!r}: use error, warning, info or never", 2)
    missing = [str(f) for f in folders or [] if not f.is_dir()]
    if missing:
        fail(f"DAG folder not found: {', '.join(missing)}", 2)
    try:
        settings = load_settings(config, [str(f) for f in folders or []])
    except ConfigError as e:
        fail(str(e), 2)
    catalog = open_catalog(db) if db or not folders else None  # read-only: a missing catalog is reported, not created
    ctx = context_from_folders([str(f) for f in folders], settings, catalog) if folders else context_from_catalog(catalog)
    findings = lint(ctx, settings.lint)
    if fmt == "json":
        print_json(lint_report.as_json(findings))
    elif fmt == "sarif":
        print_json(lint_report.sarif(findings))
    else:
        sys.stdout.write(lint_report.markdown(findings) if fmt == "markdown" else lint_report.text(findings))
    if fail_level != "never" and any(SEVERITIES.index(f.severity) <= SEVERITIES.index(fail_level) for f in findings):
        raise typer.Exit(1)
