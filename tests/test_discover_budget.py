"""Static discovery is bounded and never fails a scan (issue 10 §2, §4): budgets, hostile files, plain data only."""

from __future__ import annotations

import json
import textwrap
import tracemalloc
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from overlay.catalog import Catalog
from overlay.discover import discover_folder
from overlay.discover.budget import Limits
from overlay.discover.static import scan_file
from overlay.discover.static.repo import RepoView
from overlay.scan import scan_folders

HEADER = "from airflow import DAG\nfrom airflow.providers.standard.operators.bash import BashOperator\n"
GOOD_DAG = HEADER + "with DAG('good') as dag:\n    BashOperator(task_id='t', bash_command='echo')\n"


def _scan(source: str, limits: Limits | None = None):
    return scan_file("/repo/dags/x.py", HEADER + textwrap.dedent(source), limits=limits)


@pytest.mark.parametrize("statement, reason", [
    ("N = range(100_000_000)", "range"),
    ("S = 'x' * 3_000_000_000", "repetition"),
    ("L = [0] * 1_000_000_000", "repetition"),
    ("F = f'{1:2000000000}'", "format width"),
    ("P = '%0999999999d' % 1", "format width"),
    ("G = '{:>2000000000}'.format(1)", "format width"),
    ("J = ','.join([('x' * 1000)] * 10_000)", "join"),
    ("Z = 'a'.zfill(2_000_000_000)", "zfill width"),
    ("R = ('a' * 5_000_000).replace('a', 'aaaa')", "replace"),
    ("C = [i for i in range(5000) for j in range(5000)]", "comprehension"),
    ("B = 2000\nfor _ in range(40):\n    B = B * B", "integer"),
])
def test_hostile_values_are_refused_before_they_are_built(statement: str, reason: str) -> None:
    tracemalloc.start()
    found = _scan(statement + "\nwith DAG('after') as dag:\n    BashOperator(task_id='t', bash_command='echo')\n")
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 64 * 1024 * 1024, f"{peak:,} bytes allocated"
    assert [d.dag_id for d in found.dags] == ["after"] and [t.task_id for t in found.dags[0].tasks] == ["t"]
    error = next(e for e in found.errors if reason in e.error)
    assert error.line is not None and error.line >= 3


def test_operations_budget_stops_a_file_and_says_where() -> None:
    found = _scan('''
        with DAG("before") as dag:
            BashOperator(task_id="t", bash_command="echo")
        def spin(n):
            return spin(n - 1) + spin(n - 1) if n else 1
        for i in range(1000):
            x = spin(9)
        with DAG("after") as dag2:
            BashOperator(task_id="t", bash_command="echo")
    ''', limits=Limits(operations=50_000))
    assert [d.dag_id for d in found.dags] == ["before"]
    stop = next(e for e in found.errors if "budget" in e.error)
    assert "operations" in stop.error and stop.line == 7  # the statement it was running: spin's return


def test_recursion_is_bounded_and_reported() -> None:
    found = _scan('''
        def fib(n):
            if n < 2:
                return n
            return fib(n - 1) + fib(n - 2)
        with DAG("d") as dag:
            BashOperator(task_id=f"t{fib(6)}", bash_command="echo")
            BashOperator(task_id=f"u{fib(40)}", bash_command="echo")
    ''')
    assert [t.task_id for t in found.dags[0].tasks] == ["t8"]
    assert any("calls nested deeper than" in e.error for e in found.errors)
    assert any("task_id not known statically" in e.error and e.line == 10 for e in found.errors)


def test_loops_are_read_whole_and_a_cut_is_reported() -> None:
    source = '''
        with DAG("many") as dag:
            for i in range(1000):
                BashOperator(task_id=f"t{i}", bash_command="echo")
    '''
    assert len(_scan(source).dags[0].tasks) == 1000 and _scan(source).errors == []
    cut = _scan(source, limits=Limits(loop_items=300))
    assert len(cut.dags[0].tasks) == 300
    assert any("loop cut at the budget" in e.error and "300 of 1,000" in e.error and e.line == 5 for e in cut.errors)


def test_long_concatenations_are_evaluated_without_recursion() -> None:
    terms = " + ".join(["'ab'"] * 900)
    found = _scan(f"SQL = {terms}\nwith DAG('d') as dag:\n    BashOperator(task_id='t', bash_command=SQL)\n")
    assert found.dags[0].tasks[0].args["bash_command"] == "ab" * 900


def test_a_long_method_chain_costs_its_length_not_two_to_its_length(tmp_path: Path) -> None:
    """Each link's receiver is looked at by several readers of the call; evaluated once per call, a 40-link chain
    (a query builder, pandas, an influx Point) fits in a budget that 2^40 evaluations would exhaust many times over."""
    chain = "".join(f'.tag("k{i}", row["v{i}"])' for i in range(40))
    path = tmp_path / "dags" / "chain.py"
    path.parent.mkdir()
    path.write_text(HEADER + textwrap.dedent(f"""
        from influxdb_client import Point
        row = {{}}
        P = Point.measurement("m"){chain}
        NAME = "  orders  ".strip().upper().lower().strip().replace("o", "o", 1).strip()
        with DAG("after_the_chain") as dag:
            BashOperator(task_id="t", bash_command="echo " + NAME)
    """))
    found = scan_file(str(path), path.read_text(), RepoView(tmp_path / "dags", tmp_path), Limits(operations=20_000))
    assert found.errors == []
    assert found.dags[0].tasks[0].args["bash_command"] == "echo orders"


def test_unknown_values_never_reach_a_record(tmp_path: Path) -> None:
    (tmp_path / "d.py").write_text(textwrap.dedent('''
        from airflow.sdk import dag, task
        from company_settings import PREFIX, OWNER, TAGS
        @dag(dag_id=f"{PREFIX}_daily", tags=TAGS, default_args={"owner": OWNER})
        def flow():
            @task(task_id=f"{PREFIX}_t")
            def t():
                return 1
            t()
        flow()
    '''))
    result = scan_folders([str(tmp_path)], mode="static")
    json.dumps(result.to_dict())
    assert [d.dag_id for d in result.dags] == ["<unknown dag_id at d.py:5>"]
    assert any("dag_id not known statically" in e.error for e in result.errors)
    catalog = Catalog.open(f"sqlite:///{tmp_path / 'c.db'}")
    catalog.store_scan(result, mode="static")


@pytest.mark.parametrize("mode", ["static", "auto"])
def test_a_file_the_parser_cannot_hold_costs_only_that_file(tmp_path: Path, mode: str) -> None:
    (tmp_path / "deep.py").write_text(HEADER + "X = " + " + ".join(["'a'"] * 3000) + "\n")
    (tmp_path / "good.py").write_text(GOOD_DAG)
    result = scan_folders([str(tmp_path)], mode=mode)
    assert [d.dag_id for d in result.dags] == ["good"]
    assert any(e.file.endswith("deep.py") for e in result.errors)


# --- property: hostile files never break a scan -----------------------------------------------
_FRAGMENTS = st.sampled_from([
    "X = range({n})", "X = 'ab' * {n}", "X = [1, 2] * {n}", "X = f'{{1:{n}}}'", "X = '%0{n}d' % 1",
    "X = '-'.join(str(i) for i in range({n}))", "X = [[i] * {n} for i in range({n})]", "X = {{i: i for i in range({n})}}",
    "def f(n):\n    return f(n + 1) + f(n + 2)\nX = f({n})", "X = ({n},) * {n}", "X = 'a'.center({n})",
    "X = UNDEFINED_NAME.attr({n})", "X = undefined()[{n}]", "X = 1 if UNKNOWN_FLAG else {n}",
    "with DAG(dag_id=f'{{PREFIX}}_{n}') as d:\n    BashOperator(task_id=f'{{P}}{n}', bash_command=X)",
    "with DAG('h{n}') as d:\n    for i in range({n}):\n        BashOperator(task_id=f't{{i}}', bash_command=str(i) * {n})",
    "X = " + " + ".join(["'a'"] * 40), "X = ((((((((({n})))))))))", "for i in X:\n    pass", "X = 'a' + 1",
    "import os\nX = os.listdir('/')", "X = open('/etc/passwd').read()",
])
_SIZES = st.sampled_from([0, 1, 7, 500, 10**5, 10**9, 2**40])


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(st.lists(st.tuples(_FRAGMENTS, _SIZES), min_size=1, max_size=6))
def test_hostile_files_never_break_the_scan(tmp_path_factory: pytest.TempPathFactory, parts: list[tuple[str, int]]) -> None:
    folder = tmp_path_factory.mktemp("hostile")
    body = "\n".join(fragment.format(n=n) for fragment, n in parts)
    (folder / "hostile.py").write_text(HEADER + "from elsewhere import PREFIX, P\n" + body + "\n")
    (folder / "good.py").write_text(GOOD_DAG)
    found = {Path(f.path).name: f for f in discover_folder(folder, mode="static")}
    assert [d.dag_id for d in found["good.py"].dags] == ["good"]
    for dag in found["hostile.py"].dags:
        json.dumps(dag.to_dict())
        assert "etc/passwd" not in json.dumps(dag.to_dict()) or "open('/etc/passwd')" in body and "root:" not in json.dumps(dag.to_dict())


def test_a_dag_id_defined_in_two_files_keeps_one_set_of_tasks(tmp_path: Path) -> None:
    for name in ("a.py", "b.py"):
        (tmp_path / name).write_text(HEADER + "with DAG('same') as dag:\n    BashOperator(task_id='t', bash_command='echo')\n")
    result = scan_folders([str(tmp_path)], mode="static")
    assert [(t.dag_id, t.task_id) for t in result.tasks] == [("same", "t")]
    Catalog.open(f"sqlite:///{tmp_path / 'c.db'}").store_scan(result, mode="static")


def test_a_fifo_in_the_dag_folder_never_blocks_the_scan(tmp_path: Path) -> None:
    import os

    os.mkfifo(tmp_path / "pipe.yml")
    os.mkfifo(tmp_path / "pipe.py")
    (tmp_path / "a.py").write_text(HEADER + "import os, yaml\nCFG = yaml.safe_load(open(os.path.join(os.path.dirname(__file__), 'pipe.yml')))\n"
                                   "with DAG('good') as dag:\n    BashOperator(task_id='t', bash_command='echo')\n")
    result = scan_folders([str(tmp_path)], mode="static")
    assert [d.dag_id for d in result.dags] == ["good"]
    assert any("not a regular file" in e.error for e in result.errors)
