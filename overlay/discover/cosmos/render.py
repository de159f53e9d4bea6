"""The Airflow tasks Cosmos builds from a dbt node graph (as ``cosmos.airflow.graph`` names them, 1.x), pure.

Per node of the selection (``select``/``exclude``/``selector`` with overlay's dbt selector; no selection is
every node): models run (``<model>_run``), seeds (``<seed>_seed``), snapshots (``<snapshot>_snapshot``).
Test behaviours:

* ``after_each`` (the default): a node with tests becomes a task group ``<node>`` holding ``<node>.run``
  (``.seed``, ``.snapshot``) and ``<node>.test``; a node without tests stays one task;
* ``build``: one ``dbt build`` task per node, ``<node>_<resource type>_build``;
* ``after_all``: the node tasks, then one ``<project>_test`` after the leaves;
* ``none``: the node tasks only.

A test with several parents runs in its own ``<test>_test`` task when ``should_detach_multiple_parents_tests``
is set (``build``/``after_each``). Ephemeral models are EmptyOperators unless
``ephemeral_models_as_empty_operator=False``; ``seed_rendering_behavior`` and ``source_rendering_behavior``
are honoured; ``group_nodes_by_folder`` nests the tasks in a group per folder. Task ids are relative to the
DbtDag or DbtTaskGroup; dependencies follow the nodes' ``depends_on``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from overlay.extract.dbt.select import Graph, select

TASK_CLASSES = {"model": "DbtRun", "seed": "DbtSeed", "snapshot": "DbtSnapshot", "source": "DbtSource", "test": "DbtTest"}
BUILD_RESOURCES = frozenset({"model", "seed", "snapshot"})
TESTABLE = frozenset({"model", "seed", "snapshot", "source"})
TEST_BEHAVIOURS = frozenset({"after_each", "after_all", "build", "none"})
# Cosmos's execution modes whose tasks are one operator per node, named Dbt<Command><Mode>Operator
EXECUTION_MODES = frozenset({"local", "virtualenv", "docker", "kubernetes", "aws_eks", "aws_ecs", "azure_container_instance",
                             "gcp_cloud_run_job", "gcp_gke"})
MAX_TASK_ID = 250  # Airflow's ID_LEN: Cosmos numbers a longer detached test's task instead


@dataclass(frozen=True)
class RenderOptions:
    project_name: str
    test_behavior: str = "after_each"
    select: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    selector: str | None = None
    execution_mode: str = "local"
    group_nodes_by_folder: bool = False
    detach_multiple_parents_tests: bool = False
    ephemeral_as_empty: bool = True
    seed_rendering: str = "always"
    source_rendering: str = "none"
    source_pruning: bool = False


@dataclass
class RenderedTask:
    task_id: str  # relative to the DbtDag / DbtTaskGroup
    operator: str
    args: dict[str, Any] = field(default_factory=dict)
    upstream: list[str] = field(default_factory=list)
    node: str | None = None


@dataclass
class Rendered:
    tasks: list[RenderedTask] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def operator_class(dbt_class: str, mode: str) -> str:
    return f"{dbt_class}{''.join(p.capitalize() for p in mode.split('_'))}Operator"


def resource_name(uid: str) -> str:
    """``model.pkg.orders.v2`` -> ``orders.v2`` (Cosmos's resource name); its task name has ``_`` for ``.``."""
    parts = uid.split(".", 2)
    return parts[2] if len(parts) == 3 else uid


def chosen_nodes(graph: Graph, options: RenderOptions) -> list[str]:
    """The selection in the graph's order, with every test of a selected node (as Cosmos adds them)."""
    includes, excludes = list(options.select), list(options.exclude)
    chosen = select(graph, includes, excludes, options.selector, default_selector=False) \
        if includes or excludes or options.selector else set(graph.nodes)
    for uid, node in graph.nodes.items():
        if node.get("resource_type") == "test" and any(p in chosen for p in graph.parents.get(uid, [])):
            chosen.add(uid)
    return [uid for uid in graph.nodes if uid in chosen]


def render(graph: Graph, options: RenderOptions, limit: int, test_names_known: bool = True) -> Rendered:
    """Cosmos's tasks for ``graph`` (at most ``limit``); ``test_names_known``: tests carry dbt's own names."""
    out = Rendered()
    order = chosen_nodes(graph, options)
    chosen = set(order)
    tested, attached = _tests(graph, order, chosen, options)
    detached = [uid for uid in order if graph.nodes[uid].get("resource_type") == "test" and _detaches(graph, uid, options)]
    entries: dict[str, tuple[list[str], list[str]]] = {}  # node -> (its first task ids, its last task ids)
    for uid in order:
        if len(out.tasks) >= limit:
            out.problems.append(f"more than {limit:,} dbt nodes selected: the tasks of the others are not listed")
            break
        made = _node_tasks(graph, uid, options, tested.get(uid, False), attached.get(uid, False), chosen, detached)
        if made:
            out.tasks.extend(made)
            entries[uid] = _ends(made)
    if detached and not test_names_known:
        out.problems.append(f"{len(detached)} tests with several parents run in their own tasks, whose names come from "
                            "the manifest: not listed without one")
    elif detached:
        for uid in detached:
            name = resource_name(uid).split(".")[0]
            task = RenderedTask(f"{name}_test", operator_class("DbtTest", options.execution_mode),
                                _test_args({"select": name}, options), node=uid)
            if len(task.task_id) >= MAX_TASK_ID:
                out.problems.append(f"detached test {uid}: its task id is numbered by Cosmos at parse time; not listed")
                continue
            out.tasks.append(task)
            entries[uid] = ([task.task_id], [task.task_id])
    by_id = {t.task_id: t for t in out.tasks}
    for uid, (firsts, _) in entries.items():
        for parent in graph.parents.get(uid, []):
            if parent in entries and parent != uid:
                for first in firsts:
                    by_id[first].upstream.extend(i for i in entries[parent][1] if i not in by_id[first].upstream)
    if options.test_behavior == "after_all" and entries:
        out.tasks.append(_after_all(graph, entries, options))
    return out


def _tests(graph: Graph, order: list[str], chosen: set[str], options: RenderOptions) -> tuple[dict[str, bool], dict[str, bool]]:
    """Per node: whether a test tests it (``has_test``), and whether one runs with it (``has_non_detached_test``)."""
    tested: dict[str, bool] = {}
    attached: dict[str, bool] = {}
    for uid in order:
        if graph.nodes[uid].get("resource_type") != "test":
            continue
        parents = graph.parents.get(uid, [])
        for parent in parents:
            if parent in chosen:
                tested[parent] = True
                if len(parents) == 1 or not options.detach_multiple_parents_tests:
                    attached[parent] = True
    return tested, attached


def _detaches(graph: Graph, uid: str, options: RenderOptions) -> bool:
    return options.detach_multiple_parents_tests and options.test_behavior in ("build", "after_each") \
        and len(graph.parents.get(uid, [])) > 1


def _node_tasks(graph: Graph, uid: str, options: RenderOptions, tested: bool, attached: bool, chosen: set[str],
                detached: list[str]) -> list[RenderedTask]:
    node = graph.nodes[uid]
    kind = str(node.get("resource_type") or "")
    if kind not in TASK_CLASSES or kind == "test":
        return []
    behaviour, mode = options.test_behavior, options.execution_mode
    name = resource_name(uid).replace(".", "_")
    folder = ".".join(PurePosixPath(str(node.get("original_file_path") or "")).parts[:-1]) if options.group_nodes_by_folder else ""
    prefix = f"{folder}." if folder else ""
    grouped = kind in TESTABLE and behaviour == "after_each" and attached
    suffix = "build" if behaviour == "build" else "run" if kind == "model" else kind
    select_arg = f"fqn:{'.'.join(str(p) for p in node['fqn'])}" if node.get("fqn") else resource_name(uid)

    def task_id(end: str, with_type: bool = False) -> str:
        if grouped:
            return f"{prefix}{name}.{end}"
        return f"{prefix}{name}_{kind}_{end}" if with_type else f"{prefix}{name}_{end}"

    if kind == "seed" and options.seed_rendering == "none":
        return []
    if kind == "source":
        if not _source_shown(graph, uid, node, options, tested, chosen):
            return []
        shown = _freshness(node) or options.source_rendering != "all"
        main = RenderedTask(task_id("source"), operator_class("DbtSource", mode) if shown else "EmptyOperator",
                            {"select": f"source:{resource_name(uid)}"} if shown else {}, node=uid)
    elif kind == "seed" and options.seed_rendering == "render_only":
        main = RenderedTask(task_id("seed"), "EmptyOperator", node=uid)
    elif kind == "model" and _ephemeral(node) and options.ephemeral_as_empty:
        main = RenderedTask(task_id(suffix, behaviour == "build"), "EmptyOperator", node=uid)
    elif behaviour == "build" and kind in BUILD_RESOURCES:
        args = _test_args({"select": select_arg}, options)
        excluded = [resource_name(t).split(".")[0] for t in detached if uid in graph.parents.get(t, [])]
        if excluded:
            args["exclude"] = " ".join([*(args.get("exclude") or "").split(), *excluded])
        main = RenderedTask(task_id(suffix, True), operator_class("DbtBuild", mode), args, node=uid)
    else:
        main = RenderedTask(task_id(suffix), operator_class(TASK_CLASSES[kind], mode), {"select": select_arg}, node=uid)
    if not grouped:
        return [main]
    tested_select = f"source:{resource_name(uid)}" if kind == "source" else resource_name(uid)
    test = RenderedTask(task_id("test"), operator_class("DbtTest", mode), _test_args({"select": tested_select}, options),
                        [main.task_id], node=uid)
    return [main, test]


def _source_shown(graph: Graph, uid: str, node: dict[str, Any], options: RenderOptions, tested: bool, chosen: set[str]) -> bool:
    if options.source_rendering == "none":
        return False
    if options.source_rendering == "with_tests_or_freshness" and not (_freshness(node) or tested):
        return False
    return not options.source_pruning or any(uid in graph.parents.get(c, []) for c in chosen)


def _freshness(node: dict[str, Any]) -> bool:
    freshness = node.get("freshness")
    if not isinstance(freshness, dict):
        return False
    return any(isinstance(freshness.get(k), dict) and freshness[k].get("count") is not None
               for k in ("warn_after", "error_after"))


def _ephemeral(node: dict[str, Any]) -> bool:
    return str((node.get("config") or {}).get("materialized") or "").lower() == "ephemeral"


def _test_args(args: dict[str, Any], options: RenderOptions) -> dict[str, Any]:
    """Cosmos forwards RenderConfig's ``exclude`` to every command that runs tests."""
    if options.exclude:
        args["exclude"] = " ".join(options.exclude)
    return args


def _ends(made: list[RenderedTask]) -> tuple[list[str], list[str]]:
    ids = {t.task_id for t in made}
    inner_up = {u for t in made for u in t.upstream if u in ids}
    return [t.task_id for t in made if not any(u in ids for u in t.upstream)], [t.task_id for t in made if t.task_id not in inner_up]


def _after_all(graph: Graph, entries: dict[str, tuple[list[str], list[str]]], options: RenderOptions) -> RenderedTask:
    built = [uid for uid in entries if graph.nodes[uid].get("resource_type") != "test"]
    parents = {p for uid in built for p in graph.parents.get(uid, [])}
    leaves = [last for uid in built if uid not in parents for last in entries[uid][1]]
    args: dict[str, Any] = {}
    if options.select:
        args["select"] = " ".join(options.select)
    if options.selector:
        args["selector"] = options.selector
    if options.exclude:
        args["exclude"] = " ".join(options.exclude)
    return RenderedTask(f"{options.project_name}_test", operator_class("DbtTest", options.execution_mode), args, leaves)
