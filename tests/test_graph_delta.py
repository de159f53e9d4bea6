"""BASE's graph patched from HEAD's (overlay.graph_delta) equals a full build: real scans of a DAG folder
before and after files are added, removed and changed, and hand-built scans for the edge cases."""

from __future__ import annotations

import shutil
from pathlib import Path

import networkx as nx
import pytest

from overlay.config import load_settings
from overlay.graph import graph_from_scan
from overlay.graph_delta import graph_after
from overlay.model import AssetRef, ResolvedTask, ScanResult
from overlay.scan import scan_folders

HEADER = '''import pendulum
from airflow.sdk import DAG
from airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator

with DAG(dag_id="{dag_id}", start_date=pendulum.datetime(2024, 1, 1), schedule="@daily", default_args={{"owner": "{owner}"}}):
'''
TASK = '''    {task_id} = SQLExecuteQueryOperator(task_id="{task_id}", conn_id="warehouse", sql="""{sql}""")
'''


def dag_file(dag_id: str, owner: str, tasks: dict[str, str]) -> str:
    return HEADER.format(dag_id=dag_id, owner=owner) + "".join(TASK.format(task_id=t, sql=s) for t, s in tasks.items())


def write(folder: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (folder / name).write_text(text)


def scan(folder: Path) -> ScanResult:
    return scan_folders([str(folder)], mode="static", settings=load_settings(None, [str(folder)]), workers=1)


@pytest.fixture
def patch_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """The patched graph must be patched: a fresh build inside graph_after fails the test."""
    def no_full_build(result: ScanResult) -> nx.MultiDiGraph:
        raise AssertionError("graph_after built the graph afresh")

    monkeypatch.setattr("overlay.graph_delta.graph_from_scan", no_full_build)


def assert_same_graph(patched: nx.MultiDiGraph, full: nx.MultiDiGraph) -> None:
    assert dict(patched.nodes(data=True)) == dict(full.nodes(data=True))
    assert sorted(patched.edges(keys=True, data=True)) == sorted(full.edges(keys=True, data=True))
    assert nx.utils.graphs_equal(patched, full)


BASE_FILES = {
    "ingest.py": dag_file("ingest", "platform", {
        "load_orders": "INSERT INTO raw.orders SELECT * FROM landing.orders",
        "load_users": "INSERT INTO raw.users SELECT * FROM landing.users",
    }),
    "mart.py": dag_file("mart", "analytics", {
        "enrich": "INSERT INTO staging.orders_enriched SELECT o.id, u.name FROM raw.orders o JOIN raw.users u ON u.id = o.user_id",
        "daily": "INSERT INTO mart.daily_revenue SELECT day, SUM(amount) FROM staging.orders_enriched GROUP BY day",
    }),
    "finance.py": dag_file("finance", "finance", {
        "okr": "INSERT INTO finance.okr SELECT * FROM mart.daily_revenue",
        "check": "SELECT COUNT(*) FROM finance.okr",
    }),
    "legacy.py": dag_file("legacy", "nobody", {
        "old_export": "INSERT INTO exports.legacy_orders SELECT * FROM raw.orders",
    }),
}


@pytest.fixture
def scans(tmp_path: Path) -> tuple[ScanResult, ScanResult]:
    """BASE: four DAG files; HEAD: one removed, one added, two changed (a moved table, a dropped and a new task)."""
    folder = tmp_path / "dags"
    folder.mkdir()
    (folder / "overlay.yaml").write_text("connections:\n  warehouse: {dialect: postgres, database: dw, namespace: warehouse}\n")
    write(folder, BASE_FILES)
    base = scan(folder)
    (folder / "legacy.py").unlink()  # removed file: its task, its only asset and the edge into it go
    write(folder, {
        "mart.py": dag_file("mart", "analytics", {  # changed: daily moves to another table, a new task reads it
            "enrich": BASE_FILES["mart.py"].split('sql="""')[1].split('"""')[0],
            "daily": "INSERT INTO mart.revenue_by_day SELECT day, SUM(amount) FROM staging.orders_enriched GROUP BY day",
            "weekly": "INSERT INTO mart.weekly_revenue SELECT week, SUM(amount) FROM mart.revenue_by_day GROUP BY week",
        }),
        "finance.py": dag_file("finance", "finance", {  # changed: check dropped, okr follows the moved table
            "okr": "INSERT INTO finance.okr SELECT * FROM mart.revenue_by_day",
        }),
        "growth.py": dag_file("growth", "growth", {  # added file: a second DAG reading raw.users (cross-DAG edge)
            "scores": "INSERT INTO growth.scores SELECT id FROM raw.users",
        }),
    })
    head = scan(folder)
    assert not base.errors and not head.errors, (base.errors, head.errors)
    return base, head


def test_patched_graph_equals_a_full_build_both_ways(scans: tuple[ScanResult, ScanResult], monkeypatch: pytest.MonkeyPatch,
                                                     patch_only: None) -> None:
    base, head = scans
    monkeypatch.setattr("overlay.graph_delta.MAX_CHANGED_SHARE", 1.0)  # a small repository: most tasks differ
    head_graph, base_graph = graph_from_scan(head), graph_from_scan(base)
    assert "warehouse:dw.exports.legacy_orders" in base_graph and "warehouse:dw.exports.legacy_orders" not in head_graph
    assert "warehouse:dw.mart.revenue_by_day" in head_graph and "warehouse:dw.mart.revenue_by_day" not in base_graph
    assert any(e["cross_dag"] for _, _, e in head_graph.edges(data=True))
    patched = graph_after(head_graph, head, base)
    assert patched is not head_graph
    assert_same_graph(patched, base_graph)
    assert_same_graph(graph_after(base_graph, base, head), head_graph)
    assert_same_graph(head_graph, graph_from_scan(head))  # the graph passed in is left as it was


def test_unchanged_scan_gives_an_equal_graph(scans: tuple[ScanResult, ScanResult], patch_only: None) -> None:
    base, _ = scans
    graph = graph_from_scan(base)
    assert_same_graph(graph_after(graph, base, base), graph)


def _task(dag: str, task: str, reads: list[str], writes: list[str], edges: list[list[str]] | None = None) -> ResolvedTask:
    return ResolvedTask(dag, task, "SQLExecuteQueryOperator", f"{dag}.py", 1, None, "resolved", reads=reads, writes=writes,
                        edges=[[r, w] for r in reads for w in writes] if edges is None else edges)


def _result(tasks: list[ResolvedTask], assets: list[AssetRef] | None = None) -> ScanResult:
    keys = sorted({k for t in tasks for k in t.reads + t.writes})
    return ScanResult(folders=[], tasks=tasks, assets=[AssetRef(*k.split(":", 1)) for k in keys] if assets is None else assets)


def test_edges_without_reads_and_writes_and_a_redeclared_asset(monkeypatch: pytest.MonkeyPatch, patch_only: None) -> None:
    """Writers and readers come from the edges when no task names the asset; an asset's name can change alone."""
    monkeypatch.setattr("overlay.graph_delta.MAX_CHANGED_SHARE", 1.0)
    a, b, c = "wh:s.a", "wh:s.b", "wh:s.c"
    tasks = [_task("d1", "t1", [a], [b]), _task("d2", "t2", [b], [c]), _task("d3", "t3", [], [], edges=[[c, "wh:s.d"]])]
    before = _result(tasks, [AssetRef("wh", "s.a"), AssetRef("wh", "s.b"), AssetRef("wh", "s.c")])
    after = _result([tasks[0], _task("d2", "t2", [b], [c, "wh:s.e"]), _task("d3", "t3", [], [], edges=[[b, "wh:s.d"]])],
                    [AssetRef("wh", "s.a"), AssetRef("wh", "s.b"), AssetRef("wh", "S.B2")])
    assert_same_graph(graph_after(graph_from_scan(before), before, after), graph_from_scan(after))
    assert_same_graph(graph_after(graph_from_scan(after), after, before), graph_from_scan(before))


def test_two_tasks_with_one_ref_and_large_changes_build_afresh() -> None:
    """``a.b`` + ``c`` and ``a`` + ``b.c`` share the edge key ``a.b.c``: the first row wins, so no patching."""
    x, y = "wh:s.x", "wh:s.y"
    before = _result([_task("a.b", "c", [x], [y])])
    after = _result([_task("a.b", "c", [x], [y]), _task("a", "b.c", [x], [y])])
    assert_same_graph(graph_after(graph_from_scan(before), before, after), graph_from_scan(after))
    many = _result([_task("d", f"t{i}", [x], [f"wh:s.z{i}"]) for i in range(8)])
    assert_same_graph(graph_after(graph_from_scan(before), before, many), graph_from_scan(many))


def test_sample_dags_with_files_dropped(tmp_path: Path, sample_dags: Path, patch_only: None) -> None:
    """On the project's sample repository: some DAG files removed (fewer tasks than the patching limit), then put back."""
    folder = tmp_path / "sample"
    shutil.copytree(sample_dags, folder)
    full = scan(folder)
    for path in sorted(folder.rglob("*.py"))[::9]:
        path.unlink()
    fewer = scan(folder)
    assert 0 < len(full.tasks) - len(fewer.tasks) <= 0.25 * len(fewer.tasks)
    assert_same_graph(graph_after(graph_from_scan(full), full, fewer), graph_from_scan(fewer))
    assert_same_graph(graph_after(graph_from_scan(fewer), fewer, full), graph_from_scan(full))
