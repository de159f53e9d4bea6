"""A scan writes the search columns of the assets it creates in their INSERT (``search_docs.new_asset_docs``) and
refreshes only the others from the database: the catalog must be exactly what recomputing every asset from the
stored rows gives (what storing did before, when every touched asset was inserted blank and refreshed), search
results included, on real SQLite and PostgreSQL, with several sources sharing assets, runs and warehouse queries."""

from __future__ import annotations

import shutil
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import select, text, update

from overlay.attribution.attribute import CostModel
from overlay.attribution.history import read_history
from overlay.catalog import Catalog
from overlay.catalog.schema import Asset
from overlay.catalog.search_docs import refresh_assets
from overlay.config import load_settings
from overlay.model import TaskRun
from overlay.pipeline import build_catalog

SAMPLE = Path(__file__).resolve().parent.parent / "sample_dags"
HISTORY = Path(__file__).parent / "fixtures" / "history" / "bigquery_jobs.jsonl"
BLANK = {"search_text": None, "search_related": None, "producer_count": 0, "consumer_count": 0, "last_materialized": None,
         "query_count": 0, "search_rank": 0}  # what an INSERT without the search columns leaves


def scan(catalog: Catalog, folder: Path, source: str) -> None:
    build_catalog(catalog, [str(folder)], "static", load_settings(None, [str(folder)]), datetime.now(timezone.utc), source=source)


def assets_table(catalog: Catalog) -> dict[str, dict[str, Any]]:
    with catalog.engine.connect() as conn:
        rows = conn.execute(select(Asset.__table__)).mappings().all()
    table = {row["key"]: dict(row) for row in rows}
    for row in table.values():
        if row["last_materialized"] is not None:  # SQLite returns it naive (UTC), PostgreSQL aware: compare instants
            row["last_materialized"] = row["last_materialized"].replace(tzinfo=None) if catalog.engine.dialect.name == "sqlite" \
                else row["last_materialized"].astimezone(timezone.utc).replace(tzinfo=None)
    return table


def search_terms(table: dict[str, dict[str, Any]]) -> list[str]:
    """Words search is asked for: every stored term of three characters or more (trigram indexes), and key parts."""
    terms = {line for row in table.values() for column in ("search_text", "search_related")
             for line in (row[column] or "").split("\n") if len(line) >= 3}
    terms |= {row["short_name"] for row in table.values()}
    return sorted(terms)


def search_results(catalog: Catalog, terms: list[str]) -> dict[str, Any]:
    found: dict[str, Any] = {t: [a["key"] for a in catalog.assets(search=t, limit=1000)["items"]] for t in terms}
    if catalog.engine.dialect.name == "sqlite":  # the FTS5 index itself, and its agreement with the assets rows
        with catalog.engine.connect() as conn:
            conn.exec_driver_sql("INSERT INTO assets_search_terms(assets_search_terms, rank) VALUES ('integrity-check', 1)")
            for term in terms:
                quoted = '"' + term.replace('"', '""') + '"'
                found[f"fts:{term}"] = sorted(conn.execute(text(
                    "SELECT a.key FROM assets_search_terms f JOIN assets a ON a.id = f.rowid WHERE assets_search_terms MATCH :q"),
                    {"q": quoted}).scalars())
    return found


def assert_as_recomputed(catalog: Catalog) -> dict[str, dict[str, Any]]:
    """The catalog as stored equals blanking every asset's search columns and recomputing them all from the rows."""
    stored = assets_table(catalog)
    assert stored, "no assets stored"
    terms = search_terms(stored)
    found = search_results(catalog, terms)
    with catalog.engine.begin() as conn:
        conn.execute(update(Asset.__table__).values(BLANK))
        refresh_assets(conn)
    assert assets_table(catalog) == stored
    assert search_results(catalog, terms) == found
    return stored



def test_one_scan_stores_what_a_full_recompute_gives(db_url: str) -> None:
    catalog = Catalog.open(db_url)
    scan(catalog, SAMPLE, "all")
    table = assert_as_recomputed(catalog)
    assert any(row["producer_count"] and row["consumer_count"] for row in table.values())
    assert any(len(row["search_text"]) > 1 and len(row["search_related"]) > 1 for row in table.values())
    catalog.close()


def test_several_sources_runs_and_queries_store_what_a_full_recompute_gives(db_url: str, split: dict[str, Path],
                                                                            tmp_path: Path) -> None:
    catalog = Catalog.open(db_url)
    scan(catalog, split["finance"], "finance")
    assert_as_recomputed(catalog)
    scan(catalog, split["growth"], "growth")  # creates its own assets, refreshes the ones finance shares
    assert_as_recomputed(catalog)
    catalog.record_runs([TaskRun(dag_id="finance_revenue", task_id="build_okr_dashboard", run_id="scheduled__1", try_number=1,
                                 state="success", start_date="2026-11-30T00:00:00+00:00", end_date="2026-11-30T00:10:00+00:00",
                                 source="airflow-listener", source_name="finance")])
    catalog.ingest_queries(read_history(HISTORY, "bigquery"), CostModel())
    counted = {k for k, row in assets_table(catalog).items() if row["query_count"]}
    assert counted
    parked = tmp_path / "parked"
    shutil.move(split["growth"] / "content", parked)
    scan(catalog, split["growth"], "growth")  # content's assets that nothing else uses go
    shutil.move(parked, split["growth"] / "content")
    assert not counted <= set(assert_as_recomputed(catalog))
    scan(catalog, split["growth"], "growth")  # ...and come back as new rows, whose queries (by key) count again
    table = assert_as_recomputed(catalog)
    assert counted & {k for k, row in table.items() if row["query_count"]}
    assert any(row["last_materialized"] for row in table.values())
    scan(catalog, split["full"], "all")  # every asset shared by two sources
    assert_as_recomputed(catalog)
    catalog.close()
