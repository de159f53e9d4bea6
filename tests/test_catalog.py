"""The catalog on real SQLite and PostgreSQL: migrations, in-place rescans, transactions, key lookup, graph."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, text

from overlay.catalog import Catalog, CatalogError
from overlay.catalog.engine import SEARCH_OBJECTS
from overlay.catalog.queries import AmbiguousKey, NotFound, UnknownKey
from overlay.catalog.schema import Base
from overlay.graph import cross_dag_links
from overlay.model import AssetRef, DagSpec, FileRecord, ResolvedTask, ScanResult


def _task(dag: str, task: str, reads: list[str], writes: list[str], owner: str = "ana") -> ResolvedTask:
    return ResolvedTask(dag, task, "SQLExecuteQueryOperator", f"dags/{dag}.py", 3, owner, "resolved", reads=reads, writes=writes,
                        edges=[[r, w] for r in reads for w in writes])


def _result(*tasks: ResolvedTask) -> ScanResult:
    keys = sorted({k for t in tasks for k in t.reads + t.writes})
    dags = sorted({t.dag_id for t in tasks})
    return ScanResult(
        folders=["dags"], dags=[DagSpec(d, f"dags/{d}.py", owners=["ana"]) for d in dags], tasks=list(tasks),
        assets=[AssetRef(*k.split(":", 1)) for k in keys],
        files=[FileRecord(f"/abs/dags/{d}.py", f"hash-{d}", "static", [d], payload={"content_hash": f"hash-{d}"}) for d in dags],
    )


BASE = _result(
    _task("ingest", "load", ["wh:raw.src"], ["wh:raw.orders"]),
    _task("mart", "build", ["wh:raw.orders", "wh:raw.users"], ["wh:mart.daily_revenue"]),
    _task("report", "okr", ["wh:mart.daily_revenue"], ["wh:finance.okr"]),
)


def test_migrations_create_exactly_the_modelled_schema(db_url: str) -> None:
    catalog = Catalog.open(db_url)
    inspector = inspect(catalog.engine)
    tables = {t for t in inspector.get_table_names() if not t.startswith(SEARCH_OBJECTS)}  # FTS5 search table on SQLite
    assert tables == set(Base.metadata.tables) | {"alembic_version"}
    for name, table in Base.metadata.tables.items():
        assert {c["name"] for c in inspector.get_columns(name)} == set(table.columns.keys()), name
    Catalog.open(db_url)  # a second open on a current schema is a no-op
    catalog.close()


def test_rescan_updates_in_place_with_stable_ids(db_url: str) -> None:
    catalog = Catalog.open(db_url)
    catalog.store_scan(BASE)
    with catalog.engine.connect() as conn:
        before = dict(conn.execute(text("SELECT key, id FROM assets")).all())
        task_ids = dict(conn.execute(text("SELECT task_id, id FROM tasks")).all())
    changed = _result(
        _task("ingest", "load", ["wh:raw.src"], ["wh:raw.orders"]),
        _task("mart", "build", ["wh:raw.orders"], ["wh:mart.daily_revenue"]),  # no longer reads raw.users
    )
    summary = catalog.store_scan(changed)
    with catalog.engine.connect() as conn:
        after = dict(conn.execute(text("SELECT key, id FROM assets")).all())
        task_after = dict(conn.execute(text("SELECT task_id, id FROM tasks")).all())
    assert summary.tasks == 2 and set(after) == {"wh:raw.src", "wh:raw.orders", "wh:mart.daily_revenue"}
    assert all(after[k] == before[k] for k in after)
    assert task_after == {k: v for k, v in task_ids.items() if k in task_after} and "okr" not in task_after
    assert catalog.asset("wh:mart.daily_revenue")["upstream"] == [{"key": "wh:raw.orders", "via": "mart.build"}]
    assert [s["status"] for s in catalog.scans()] == ["ok", "ok"]
    catalog.close()


def test_a_failed_store_leaves_the_previous_catalog(db_url: str) -> None:
    catalog = Catalog.open(db_url)
    catalog.store_scan(BASE)
    broken = _result(_task("ingest", "load", ["wh:raw.src"], ["wh:raw.orders"]))
    broken.tasks[0].reads.append("wh:not.an.asset")  # refers to an asset the result does not define
    with pytest.raises(CatalogError, match="catalog is unchanged"):
        catalog.store_scan(broken)
    assert catalog.assets()["total"] == 5 and len(catalog.tasks()) == 3
    assert [s["status"] for s in catalog.scans()] == ["failed", "ok"]
    catalog.close()


def test_key_lookup_by_suffix(db_url: str) -> None:
    catalog = Catalog.open(db_url)
    result = _result(_task("a", "t", ["wh:raw.orders"], ["wh:mart.orders"]), _task("b", "t", [], ["bq:mart.daily_revenue"]))
    catalog.store_scan(result)
    assert catalog.resolve_key("daily_revenue") == "bq:mart.daily_revenue"
    assert catalog.resolve_key("mart.daily_revenue") == "bq:mart.daily_revenue"
    assert catalog.resolve_key("wh:raw.orders") == "wh:raw.orders"
    assert catalog.resolve_key("RAW.ORDERS") == "wh:raw.orders"
    with pytest.raises(AmbiguousKey) as error:
        catalog.resolve_key("orders")
    assert error.value.candidates == ["wh:mart.orders", "wh:raw.orders"]
    with pytest.raises(UnknownKey):
        catalog.resolve_key("rders")
    with pytest.raises(NotFound):
        catalog.dag("nope")
    catalog.close()


def test_search_owner_filter_and_pagination(db_url: str) -> None:
    catalog = Catalog.open(db_url)
    catalog.store_scan(BASE, ownership={
        "wh:finance.okr": {"owners": [{"owner": "cfo", "rule": "overlay.yaml", "source": "x", "team": None}], "conflict": False},
        "wh:raw.orders": {"owners": [{"owner": "@org/ingest", "rule": "CODEOWNERS", "source": "CODEOWNERS:3", "team": "platform"}], "conflict": False}})
    page = catalog.assets(limit=2, offset=0)
    assert page["total"] == 5 and [a["key"] for a in page["items"]] == ["wh:finance.okr", "wh:mart.daily_revenue"]
    assert [a["key"] for a in catalog.assets(limit=2, offset=4)["items"]] == ["wh:raw.users"]
    assert [a["key"] for a in catalog.assets(search="orders")["items"]] == ["wh:raw.orders"]
    assert [a["key"] for a in catalog.assets(search="_")["items"]] == ["wh:mart.daily_revenue"]  # LIKE wildcards are escaped
    assert [a["key"] for a in catalog.assets(owner="cfo")["items"]] == ["wh:finance.okr"]
    assert [a["key"] for a in catalog.assets(owner="CF")["items"]] == ["wh:finance.okr"]  # part of a name, any case
    assert [a["key"] for a in catalog.assets(owner="platform")["items"]] == ["wh:raw.orders"]  # the team counts
    assert catalog.assets(owner="yaml")["total"] == 0 and catalog.assets(owner="codeowners")["total"] == 0  # provenance does not
    assert catalog.assets(owner="%")["total"] == 0
    assert [a["key"] for a in catalog.assets(search="RAW.", owner="ingest")["items"]] == ["wh:raw.orders"]
    catalog.close()


def test_graph_lineage_and_impact(tmp_path) -> None:  # noqa: ANN001
    catalog = Catalog.open(f"sqlite:///{tmp_path / 'g.db'}")
    cyclic = _result(*BASE.tasks, _task("loop", "back", ["wh:finance.okr"], ["wh:raw.src"]))
    catalog.store_scan(cyclic)
    graph = catalog.load_graph()
    up = catalog.lineage("wh:mart.daily_revenue", "upstream", depth=1)
    assert sorted(n["key"] for n in up["nodes"]) == ["wh:mart.daily_revenue", "wh:raw.orders", "wh:raw.users"]
    assert {e["via"] for e in up["edges"]} == {"mart.build"}
    full = catalog.lineage("wh:mart.daily_revenue", "downstream", depth=20)  # cycle: terminates
    assert {n["key"]: n["distance"] for n in full["nodes"]} == {
        "wh:mart.daily_revenue": 0, "wh:finance.okr": 1, "wh:raw.src": 2, "wh:raw.orders": 3}
    links = cross_dag_links(graph)
    assert {"asset": "wh:raw.orders", "from_dag": "ingest", "to_dag": "mart", "producers": ["ingest.load"], "consumers": ["mart.build"]} in links
    assert graph.nodes["wh:raw.orders"]["producers"] == ["ingest.load"] and graph.nodes["wh:raw.users"]["consumers"] == ["mart.build"]
    assert all(link["from_dag"] != link["to_dag"] for link in links)
    catalog.close()


def test_unreachable_database_is_a_clear_error() -> None:
    with pytest.raises(CatalogError, match="cannot open catalog"):
        Catalog.open("postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=1")


def test_head_revision_convention_matches_alembic() -> None:
    from alembic.script import ScriptDirectory

    from overlay.catalog.engine import alembic_config, head_revision

    assert head_revision() == ScriptDirectory.from_config(alembic_config()).get_current_head()


def test_upgrade_from_the_first_revision_keeps_data(tmp_path) -> None:  # noqa: ANN001
    from alembic import command
    from sqlalchemy import create_engine

    from overlay.catalog.engine import alembic_config

    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = create_engine(url)
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0001")
        connection.execute(text("INSERT INTO files (path, content_hash, mode) VALUES ('a.py', 'h', 'static')"))
    catalog = Catalog.open(url)  # migrates 0001 -> head
    with catalog.engine.connect() as conn:
        assert conn.execute(text("SELECT path, payload_digest FROM files")).all() == [("a.py", None)]
    catalog.close()


def test_upgrade_of_a_scanned_catalog_keeps_its_links(tmp_path) -> None:  # noqa: ANN001
    """Batch migrations rebuild ``tasks``: with foreign keys on, the DROP cascaded into task_io and asset_edges."""
    from alembic import command
    from sqlalchemy import create_engine

    from overlay.catalog.engine import alembic_config

    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = create_engine(url)
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0003")
        connection.execute(text("INSERT INTO tasks (id, dag_id, task_id, operator, file, status, errors, sql, sql_files, columns, upstream) "
                                "VALUES (1, 'd', 't', 'Op', 'd.py', 'resolved', '[]', '[]', '[]', '{}', '[]')"))
        for i, key in ((1, "wh:raw.a"), (2, "wh:mart.b")):
            connection.execute(text("INSERT INTO assets (id, key, namespace, name, short_name, owners, owner_conflict, columns) "
                                    "VALUES (:i, :k, 'wh', :n, :n, '[{\"owner\": \"ana\"}]', 0, '[]')"), {"i": i, "k": key, "n": key[3:]})
        connection.execute(text("INSERT INTO task_io (task_pk, asset_id, mode) VALUES (1, 1, 'read'), (1, 2, 'write')"))
        connection.execute(text("INSERT INTO asset_edges (from_asset, to_asset, task_pk) VALUES (1, 2, 1)"))
    engine.dispose()
    catalog = Catalog.open(url)  # migrates 0003 -> head
    with catalog.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM task_io")).scalar() == 2
        assert conn.execute(text("SELECT count(*) FROM asset_edges")).scalar() == 1
    assert catalog.assets(owner="ANA")["total"] == 2 and catalog.assets(search="mart.b")["total"] == 1
    assert catalog.lineage("wh:mart.b", "upstream", 1)["edges"] == [{"from": "wh:raw.a", "to": "wh:mart.b", "via": "d.t"}]
    catalog.close()


def test_cached_files_and_payloads(db_url: str) -> None:
    catalog = Catalog.open(db_url)
    assert catalog.cached_files() == {} and catalog.cached_payload("/abs/dags/ingest.py") is None
    catalog.store_scan(BASE)
    assert catalog.cached_files() == {"/abs/dags/ingest.py": "hash-ingest", "/abs/dags/mart.py": "hash-mart",
                                      "/abs/dags/report.py": "hash-report"}
    assert catalog.cached_payload("/abs/dags/mart.py") == {"content_hash": "hash-mart"}
    catalog.close()


def test_a_failure_injected_mid_store_rolls_everything_back(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import overlay.catalog.store as store

    catalog = Catalog.open(db_url)
    catalog.store_scan(BASE)
    with catalog.engine.connect() as conn:
        before = {t: conn.execute(text(f"SELECT * FROM {t} ORDER BY id")).all() for t in ("files", "dags", "tasks", "assets", "task_io", "asset_edges")}
    def failing_merge_assets(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202 - files, dags and tasks already written
        raise RuntimeError("disk full")

    monkeypatch.setattr(store, "merge_assets", failing_merge_assets)
    changed = _result(_task("ingest", "load", ["wh:raw.src"], ["wh:raw.orders2"]), _task("new", "t", [], ["wh:x.y"]))
    changed.files[0].content_hash = "hash-changed"
    with pytest.raises(CatalogError, match="disk full"):
        catalog.store_scan(changed)
    with catalog.engine.connect() as conn:
        after = {t: conn.execute(text(f"SELECT * FROM {t} ORDER BY id")).all() for t in before}
    assert after == before
    assert [s["status"] for s in catalog.scans()] == ["failed", "ok"]
    monkeypatch.undo()
    assert catalog.store_scan(changed).tasks == 2  # and the next store works
    catalog.close()


def test_vanished_dags_and_orphan_assets_go_unless_materialized(db_url: str) -> None:
    from overlay.model import TaskRun

    catalog = Catalog.open(db_url)
    catalog.store_scan(BASE)
    catalog.record_runs([TaskRun("report", "okr", "manual__1", 1, "success", "2026-01-01T00:00:00+00:00", "2026-01-01T00:05:00+00:00")])
    with catalog.engine.connect() as conn:
        okr_id = conn.execute(text("SELECT id FROM assets WHERE key = 'wh:finance.okr'")).scalar()
    catalog.store_scan(_result(*BASE.tasks[:2]))  # the report DAG is gone
    assert [d["dag_id"] for d in catalog.dags()] == ["ingest", "mart"]
    assert {f"{t['dag_id']}.{t['task_id']}" for t in catalog.tasks()} == {"ingest.load", "mart.build"}
    keys = {a["key"] for a in catalog.assets()["items"]}
    assert "wh:finance.okr" in keys  # kept: it has run history
    okr = catalog.asset("wh:finance.okr")
    assert okr["producers"] == [] and okr["last_materialization"]["run_id"] == "manual__1"
    with catalog.engine.connect() as conn:
        assert conn.execute(text("SELECT id FROM assets WHERE key = 'wh:finance.okr'")).scalar() == okr_id
    catalog.store_scan(_result(*BASE.tasks[:2], _task("report", "okr", ["wh:mart.daily_revenue"], ["wh:finance.okr"])))
    assert catalog.asset("wh:finance.okr")["producers"][0]["task"] == "report.okr"  # back, same id, history attached
    with catalog.engine.connect() as conn:
        assert conn.execute(text("SELECT id FROM assets WHERE key = 'wh:finance.okr'")).scalar() == okr_id
    catalog.close()


def test_catalog_graph_and_lineage_match_the_scan_graph(db_url: str) -> None:
    from overlay.graph import graph_from_scan, subgraph

    cyclic = _result(*BASE.tasks, _task("loop", "back", ["wh:finance.okr"], ["wh:raw.src"]), _task("audit", "check", ["wh:raw.orders"], []))
    catalog = Catalog.open(db_url)
    catalog.store_scan(cyclic)
    stored, scanned = catalog.load_graph(), graph_from_scan(cyclic)
    assert dict(stored.nodes(data=True)) == dict(scanned.nodes(data=True))
    assert sorted(stored.edges(keys=True, data=True)) == sorted(scanned.edges(keys=True, data=True))
    for direction in ("upstream", "downstream", "both"):
        for depth in (1, 2, 10):
            assert catalog.lineage("wh:mart.daily_revenue", direction, depth) == subgraph(scanned, "wh:mart.daily_revenue", direction, depth)
    catalog.close()


def test_resolve_db_url_precedence(monkeypatch: pytest.MonkeyPatch) -> None:
    from overlay.catalog import resolve_db_url

    monkeypatch.delenv("OVERLAY_DB", raising=False)
    monkeypatch.setenv("AIRFLOW_HOME", "/nonexistent/airflow-home")
    assert resolve_db_url(None) == "sqlite:///overlay.db"
    monkeypatch.setenv("OVERLAY_DB", "sqlite:////tmp/env.db")
    assert resolve_db_url(None) == "sqlite:////tmp/env.db"
    assert resolve_db_url("postgresql+psycopg://u@h/db") == "postgresql+psycopg://u@h/db"


def test_suffix_lookup_uses_the_short_name_index(tmp_path) -> None:  # noqa: ANN001
    catalog = Catalog.open(f"sqlite:///{tmp_path / 'plan.db'}")
    with catalog.engine.connect() as conn:
        plan = " ".join(str(r[-1]) for r in conn.execute(text("EXPLAIN QUERY PLAN SELECT key, name FROM assets WHERE short_name = 'x'")))
    assert "USING INDEX" in plan and "short_name" in plan
    catalog.close()


def test_migrations_by_url_and_no_drift_from_the_models(db_url: str) -> None:
    from alembic import command
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from overlay.catalog.engine import alembic_config, current_revision, head_revision, in_models, make_engine

    config = alembic_config()
    config.set_main_option("sqlalchemy.url", db_url)
    command.upgrade(config, "head")  # as an operator would, without overlay's connection
    engine = make_engine(db_url)
    assert current_revision(engine) == head_revision()
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True, "include_object": in_models}), Base.metadata)
    engine.dispose()
    assert diff == []
    Catalog.open(db_url).close()  # already at head: nothing to do
