"""The asset graph as pure functions over a hand-built scan of three teams' DAGs."""

from __future__ import annotations

import pytest

from overlay.graph import (
    asset_owners,
    build_graph,
    consumers,
    cross_dag_links,
    downstream,
    graph_from_scan,
    impact,
    owner_conflicts,
    producers,
    subgraph,
    task_owners,
    upstream,
    walk,
)
from overlay.model import AssetRef, DagSpec, ResolvedTask, ScanResult, TaskSpec

RAW_ORDERS, RAW_USERS, STG = "wh:raw.orders", "wh:raw.users", "wh:staging.orders_enriched"
DAILY, OKR, EXPORT = "wh:mart.daily_revenue", "wh:finance.okr", "wh:finance.okr_export"


def _task(dag: str, task: str, reads: list[str], writes: list[str], owner: str | None = "airflow") -> ResolvedTask:
    return ResolvedTask(dag, task, "SQLExecuteQueryOperator", f"/dags/{dag}.py", 10, owner, "resolved", reads=reads, writes=writes,
                        edges=[[r, w] for r in reads for w in writes])


def _scan() -> ScanResult:
    """ingest (platform) -> mart (analytics) -> finance.reports (dotted DAG id, finance), with a loop back to staging."""
    tasks = [
        _task("ingest", "load_orders", [], [RAW_ORDERS], owner="platform-oncall"),
        _task("ingest", "load_users", [], [RAW_USERS]),  # owner "airflow": falls back to the DAG's owners
        _task("mart", "enrich", [RAW_ORDERS, RAW_USERS], [STG]),
        _task("mart", "daily", [STG], [DAILY]),
        _task("finance.reports", "okr.build", [DAILY], [OKR], owner="cfo-office"),  # task group id with a dot
        _task("finance.reports", "okr.check", [OKR], []),  # reads only: no edge, still a consumer
        _task("finance.reports", "backfill", [OKR], [STG], owner="cfo-office"),  # cycle, and a second owner of staging
        _task("finance.reports", "export", [OKR], [EXPORT], owner=None),
    ]
    dags = [
        DagSpec("ingest", "/dags/ingest.py", owners=["platform"], tasks=[TaskSpec("ingest", "load_users", "X", "/dags/ingest.py")]),
        DagSpec("mart", "/dags/mart.py", owners=["airflow"]),  # Airflow's default: nobody
        DagSpec("finance.reports", "/dags/finance.reports.py", owners=["finance"]),
    ]
    keys = sorted({k for t in tasks for k in t.reads + t.writes})
    return ScanResult(folders=["/dags"], dags=dags, tasks=tasks, assets=[AssetRef(*k.split(":", 1)) for k in keys])


@pytest.fixture(scope="module")
def graph():  # noqa: ANN201
    return graph_from_scan(_scan())


def test_nodes_and_edges_come_from_the_scan(graph) -> None:  # noqa: ANN001
    assert sorted(graph.nodes) == sorted([RAW_ORDERS, RAW_USERS, STG, DAILY, OKR, EXPORT])
    assert {k: graph.nodes[DAILY][k] for k in ("key", "namespace", "name")} == {"key": DAILY, "namespace": "wh", "name": "mart.daily_revenue"}
    assert {(a, b, data["via"]) for a, b, data in graph.edges(data=True)} == {
        (RAW_ORDERS, STG, "mart.enrich"), (RAW_USERS, STG, "mart.enrich"), (STG, DAILY, "mart.daily"),
        (DAILY, OKR, "finance.reports.okr.build"), (OKR, STG, "finance.reports.backfill"), (OKR, EXPORT, "finance.reports.export")}
    edge = graph.edges[DAILY, OKR, "finance.reports.okr.build"]
    assert (edge["dag_id"], edge["task_id"]) == ("finance.reports", "okr.build")


def test_two_tasks_between_the_same_assets_are_two_edges() -> None:
    scan = ScanResult(folders=[], tasks=[_task("a", "t1", ["wh:x"], ["wh:y"]), _task("b", "t2", ["wh:x"], ["wh:y"])],
                      assets=[AssetRef("wh", "x"), AssetRef("wh", "y")])
    graph = graph_from_scan(scan)
    assert graph.number_of_edges("wh:x", "wh:y") == 2
    assert graph.edges["wh:x", "wh:y", "b.t2"]["via"] == "b.t2"


def test_producers_and_consumers_include_tasks_without_edges(graph) -> None:  # noqa: ANN001
    assert producers(graph, STG) == ["finance.reports.backfill", "mart.enrich"]
    assert consumers(graph, OKR) == ["finance.reports.backfill", "finance.reports.export", "finance.reports.okr.check"]
    assert producers(graph, RAW_ORDERS) == ["ingest.load_orders"] and consumers(graph, EXPORT) == []


def test_walks_respect_depth_and_terminate_on_cycles(graph) -> None:  # noqa: ANN001
    assert upstream(graph, DAILY, depth=1) == {DAILY: 0, STG: 1}
    assert upstream(graph, DAILY) == {DAILY: 0, STG: 1, RAW_ORDERS: 2, RAW_USERS: 2, OKR: 2}  # OKR feeds staging back
    assert downstream(graph, DAILY) == {DAILY: 0, OKR: 1, STG: 2, EXPORT: 2}
    assert downstream(graph, DAILY, depth=0) == {DAILY: 0}
    assert walk(graph, RAW_USERS, "both", depth=2) == {RAW_USERS: 0, STG: 1, DAILY: 2}  # never sideways to raw.orders
    assert walk(graph, DAILY, "both", depth=1) == {DAILY: 0, STG: 1, OKR: 1}  # on the cycle: the shorter distance
    with pytest.raises(KeyError):
        walk(graph, "wh:nope")
    with pytest.raises(ValueError, match="direction"):
        walk(graph, DAILY, "sideways")  # type: ignore[arg-type]


def test_subgraph_keeps_only_edges_on_the_walked_side(graph) -> None:  # noqa: ANN001
    up = subgraph(graph, DAILY, "upstream", depth=2)
    assert [(n["key"], n["distance"]) for n in up["nodes"]] == [(DAILY, 0), (STG, 1), (OKR, 2), (RAW_ORDERS, 2), (RAW_USERS, 2)]
    assert {e["via"] for e in up["edges"]} == {"mart.daily", "mart.enrich", "finance.reports.backfill"}  # not okr.build:
    # the cycle's edge daily_revenue -> okr lies beyond the depth
    assert "finance.reports.okr.build" in {e["via"] for e in subgraph(graph, DAILY, "upstream")["edges"]}
    both = subgraph(graph, RAW_ORDERS, "both", depth=1)
    assert both["edges"] == [{"from": RAW_ORDERS, "to": STG, "via": "mart.enrich"}]


def test_impact_lists_downstream_assets_tasks_and_dags(graph) -> None:  # noqa: ANN001
    result = impact(graph, DAILY)
    assert result["assets"] == [{"key": OKR, "distance": 1}, {"key": EXPORT, "distance": 2}, {"key": STG, "distance": 2}]
    assert result["tasks"] == ["finance.reports.backfill", "finance.reports.export", "finance.reports.okr.build",
                               "finance.reports.okr.check", "mart.daily"]
    assert result["dags"] == ["finance.reports", "mart"]
    near = impact(graph, DAILY, depth=1)
    assert near["assets"] == [{"key": OKR, "distance": 1}] and near["tasks"] == ["finance.reports.okr.build"]


def test_cross_dag_links_and_marked_edges(graph) -> None:  # noqa: ANN001
    links = cross_dag_links(graph)
    assert {(x["asset"], x["from_dag"], x["to_dag"]) for x in links} == {
        (RAW_ORDERS, "ingest", "mart"), (RAW_USERS, "ingest", "mart"), (DAILY, "mart", "finance.reports"),
        (STG, "finance.reports", "mart")}
    daily = next(x for x in links if x["asset"] == DAILY)
    assert daily["producers"] == ["mart.daily"] and daily["consumers"] == ["finance.reports.okr.build"]
    assert graph.edges[DAILY, OKR, "finance.reports.okr.build"]["cross_dag"] is True
    assert graph.edges[STG, DAILY, "mart.daily"]["cross_dag"] is True  # staging is also written by finance.reports
    assert graph.edges[OKR, EXPORT, "finance.reports.export"]["cross_dag"] is False


def test_a_reader_without_writes_still_links_dags() -> None:
    scan = ScanResult(folders=[], tasks=[_task("a", "w", [], ["wh:t"]), _task("b", "check", ["wh:t"], [])], assets=[AssetRef("wh", "t")])
    assert cross_dag_links(graph_from_scan(scan)) == [
        {"asset": "wh:t", "from_dag": "a", "to_dag": "b", "producers": ["a.w"], "consumers": ["b.check"]}]


def test_owners_come_from_task_owner_else_dag_owners_never_airflow(graph) -> None:  # noqa: ANN001
    by_task = task_owners(_scan())
    assert by_task["ingest.load_orders"] == ["platform-oncall"]
    assert by_task["ingest.load_users"] == ["platform"]  # task owner "airflow" is the default, the DAG says platform
    assert by_task["mart.enrich"] == []  # DAG owners ["airflow"]: nobody
    assert by_task["finance.reports.export"] == ["finance"]
    owners = asset_owners(graph, by_task)
    assert owners[RAW_ORDERS] == ["platform-oncall"] and owners[DAILY] == [] and owners[OKR] == ["cfo-office"]
    assert owners[STG] == ["cfo-office"]  # mart.enrich has no owner, so no conflict either


def test_conflicts_are_assets_written_by_tasks_of_different_owners() -> None:
    scan = ScanResult(
        folders=[], dags=[DagSpec("a", "/a.py", owners=["team-a"]), DagSpec("b", "/b.py", owners=["team-b"])],
        tasks=[_task("a", "w", [], ["wh:shared"]), _task("b", "w", [], ["wh:shared"]), _task("b", "x", [], ["wh:own"]),
               _task("a", "y", [], ["wh:own"], owner="team-b")],
        assets=[AssetRef("wh", "shared"), AssetRef("wh", "own")])
    graph = graph_from_scan(scan)
    by_task = task_owners(scan)
    assert owner_conflicts(graph, by_task) == {"wh:shared": {"a.w": ["team-a"], "b.w": ["team-b"]}}
    assert asset_owners(graph, by_task) == {"wh:shared": ["team-a", "team-b"], "wh:own": ["team-b"]}


def test_rows_without_io_derive_producers_from_edges() -> None:
    graph = build_graph([("wh:a", "wh", "a"), ("wh:b", "wh", "b")], [("wh:a", "wh:b", "d", "t"), ("wh:b", "wh:c", "e", "u")])
    assert producers(graph, "wh:b") == ["d.t"] and consumers(graph, "wh:b") == ["e.u"]
    assert graph.nodes["wh:c"]["name"] == "c"  # an edge to an asset not listed still gets a node
    assert graph.edges["wh:b", "wh:c", "e.u"]["cross_dag"] is True
