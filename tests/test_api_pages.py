"""Paged /api/v1/dags and /api/v1/graph over real HTTP, and search through the trigram indexes (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest
import requests
from sqlalchemy import text

from api_server import running
from overlay.api import create_app
from overlay.catalog import Catalog
from overlay.config import load_settings
from overlay.export import export_document
from overlay.pipeline import build_catalog

SAMPLE = Path(__file__).resolve().parent.parent / "sample_dags"


@pytest.fixture(scope="module")
def catalog(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    catalog = Catalog.open(f"sqlite:///{tmp_path_factory.mktemp('pages') / 'catalog.db'}")
    build_catalog(catalog, [str(SAMPLE)], "static", load_settings(None, [str(SAMPLE)]), datetime.now(timezone.utc))
    yield catalog
    catalog.close()


@pytest.fixture(scope="module")
def base_url(catalog: Catalog):  # noqa: ANN201
    with running(create_app(catalog, token="")) as url:
        yield url


def get(base_url: str, path: str, **params: object) -> dict:
    response = requests.get(base_url + path, params=params, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


def test_dags_page_like_assets(base_url: str) -> None:
    everything = get(base_url, "/api/v1/dags", limit=1000)
    assert everything["total"] == 13 == len(everything["items"]) and everything["offset"] == 0
    ids = [d["dag_id"] for d in everything["items"]]
    assert ids == sorted(ids)
    pages = [get(base_url, "/api/v1/dags", limit=5, offset=o) for o in (0, 5, 10)]
    assert [d["dag_id"] for p in pages for d in p["items"]] == ids and {p["total"] for p in pages} == {13}
    assert pages[0]["items"] == everything["items"][:5] and pages[0]["limit"] == 5
    assert get(base_url, "/api/v1/dags", offset=50)["items"] == []
    assert requests.get(base_url + "/api/v1/dags", params={"limit": 0}, timeout=10).status_code == 400


def test_graph_pages_add_up_to_the_export(base_url: str, catalog: Catalog) -> None:
    whole = export_document(catalog)
    first = get(base_url, "/api/v1/graph")
    assert first["total"] == len(whole["assets"]) and first["offset"] == 0
    for part in ("assets", "edges", "cross_dag", "errors"):
        assert first[part] == whole[part], part
    assert first["tasks"] == [t for t in whole["tasks"] if t["reads"] or t["writes"]]
    assert {d["dag_id"] for d in first["dags"]} == {t["dag_id"] for t in first["tasks"]}
    pages = [get(base_url, "/api/v1/graph", limit=7, offset=o) for o in range(0, first["total"], 7)]
    assert [a for p in pages for a in p["assets"]] == whole["assets"]
    assert sorted((e for p in pages for e in p["edges"]), key=lambda e: (e["from"], e["to"], e["via"])) == whole["edges"]
    assert [c for p in pages for c in p["cross_dag"]] == whole["cross_dag"]
    assert pages[0]["errors"] == whole["errors"] and all(p["errors"] == [] for p in pages[1:])
    for page in pages:
        keys = {a["key"] for a in page["assets"]}
        assert all(set(t["reads"] + t["writes"]) & keys for t in page["tasks"])
        assert {d["dag_id"] for d in page["dags"]} == {t["dag_id"] for t in page["tasks"]}


def test_search_and_owner_filter_through_the_indexes(db_url: str) -> None:
    catalog = Catalog.open(db_url)
    build_catalog(catalog, [str(SAMPLE)], "static", load_settings(None, [str(SAMPLE)]), datetime.now(timezone.utc))
    try:
        with catalog.engine.connect() as conn:
            keys = list(conn.execute(text("SELECT key FROM assets ORDER BY key")).scalars())
            texts = {k: (t or "") + (r or "") for k, t, r in conn.execute(text("SELECT key, search_text, search_related FROM assets"))}
        for word in ("orders", "ORD", "or", "_", "%", "a.o", "tempo.raw.pl", 'x"y', "stg_", "dbt_staging.stg_orders"):
            expected = [k for k in keys if word.lower() in k.lower()]
            page = catalog.assets(search=word, limit=1000)
            found = [a["key"] for a in page["items"]]
            # every key match, ahead of the assets matched through their owners' or tasks' names only
            assert sorted(found[:len(expected)]) == expected and all(a["match"] <= 2 for a in page["items"][:len(expected)]), word
            assert all(word.lower() in texts[k] and word.lower() not in k.lower() for k in found[len(expected):]), word
            assert page["total"] == len(found) == len({k for k in keys if word.lower() in k.lower() + texts[k]}), word
        assert [a["key"] for a in catalog.assets(owner="FINANCE-data@")["items"]] == [
            "warehouse:tempo.finance.daily_revenue", "warehouse:tempo.finance.okr_dashboard"]
        assert catalog.assets(owner="codeowners")["total"] == 0  # provenance never matches, though it is in the JSON text
        renamed = keys[0].replace(":", ":zz_renamed_")  # the SQLite trigram table follows updates and deletes
        with catalog.engine.begin() as conn:
            conn.execute(text("UPDATE assets SET key = :new WHERE key = :old"), {"new": renamed, "old": keys[0]})
        assert [a["key"] for a in catalog.assets(search="zz_renamed")["items"]] == [renamed]  # the terms table follows too
        assert keys[0] not in {a["key"] for a in catalog.assets(search=keys[0], limit=1000)["items"]}
        with catalog.engine.begin() as conn:
            conn.execute(text("DELETE FROM assets WHERE key = :key"), {"key": renamed})
        assert catalog.assets(search="zz_renamed")["total"] == 0
    finally:
        catalog.close()


def test_a_since_that_is_not_a_date_says_what_to_write(base_url: str) -> None:
    response = requests.get(base_url + "/api/v1/cost", params={"since": "notadate"}, timeout=10)
    assert response.status_code == 400
    assert response.json()["error"] == ("since 'notadate' is not a date: use YYYY-MM-DD (2026-11-01) or an ISO timestamp "
                                        "(2026-11-01T06:00:00+00:00)")
    assert "until '2026-13-01'" in requests.get(base_url + "/api/v1/cost", params={"until": "2026-13-01"}, timeout=10).json()["error"]


@pytest.mark.parametrize("max_values, page_by_values", [(1000, 2000), (1000, 0), (1, 2000)])  # IN sorted; IN walked by key; LIKE
def test_owner_filter_through_its_index_values_is_the_like_test(db_url: str, monkeypatch: pytest.MonkeyPatch, max_values: int,
                                                                page_by_values: int) -> None:
    from overlay.catalog import owner_filter

    monkeypatch.setattr(owner_filter, "MAX_VALUES", max_values)
    monkeypatch.setattr(owner_filter, "PAGE_BY_VALUES", page_by_values)
    catalog = Catalog.open(db_url)
    build_catalog(catalog, [str(SAMPLE)], "static", load_settings(None, [str(SAMPLE)]), datetime.now(timezone.utc))
    try:
        with catalog.engine.connect() as conn:
            names = dict(conn.execute(text("SELECT key, owner_names FROM assets ORDER BY key")).all())
        for owner in ("finance", "FINANCE-data@", "a", "@", "_", "%", "nobody", "team"):
            expected = [k for k, n in names.items() if owner.lower() in (n or "").lower()]
            pages = [catalog.assets(owner=owner, limit=2, offset=o) for o in range(0, len(expected) + 2, 2)]
            assert [a["key"] for p in pages for a in p["items"]] == expected, owner
            assert {p["total"] for p in pages} == {len(expected)}, owner
    finally:
        catalog.close()
