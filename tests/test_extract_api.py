"""The extraction API: never raises, says why when it cannot tell, no-data operators, unknown operators, no Airflow needed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from overlay.extract import ExtractContext, extract_task
from overlay.extract.operators.registry import NO_DATA_OPERATORS, OPERATORS
from overlay.model import DagSpec, TaskSpec

ROOT = Path(__file__).parent.parent
DAGS = Path(__file__).parent / "fixtures" / "extract" / "dags"
DAG = DagSpec("d", str(DAGS / "etl.py"))


def _extract(operator: str, args: dict | None = None, **spec):  # noqa: ANN003, ANN202
    return extract_task(TaskSpec("d", "t", operator, DAG.file, 70, args=args or {}, **spec), DAG, ExtractContext())


@pytest.mark.parametrize("operator", sorted(NO_DATA_OPERATORS))
def test_operators_known_to_touch_no_table(operator: str) -> None:
    access = _extract(operator, {"external_dag_id": "x", "bucket_key": "s3://b/k", "filepath": "/tmp/f"})
    assert access.no_data and access.sql == [] and access.direct == [] and access.unresolved == []


def test_unknown_operators() -> None:
    assert _extract("KubernetesPodOperator", {"image": "etl:1"}).unresolved == [
        "KubernetesPodOperator runs the entrypoint of its image etl:1: data access not known (line 70)"]
    custom_sql = _extract("WarehouseMergeOperator", {"sql": "MERGE INTO mart.a USING raw.a ON true WHEN MATCHED THEN DELETE",
                                                     "warehouse_conn_id": "wh"})
    assert [(s.conn_id, s.origin) for s in custom_sql.sql] == [("wh", "sql")]
    custom_bash = _extract("DockerizedBashOperator", {"bash_command": "psql -c 'TRUNCATE a'"})
    assert [s.sql for s in custom_bash.sql] == ["TRUNCATE a"]
    custom_python = _extract("MyPythonOperator", callable_source='def f():\n    PostgresHook("wh").run("TRUNCATE b")\n')
    assert [s.sql for s in custom_python.sql] == ["TRUNCATE b"]
    computed = _extract("WarehouseMergeOperator", unknown_args=["sql"])
    assert computed.unresolved == ["`sql` of WarehouseMergeOperator is computed at run time (line 70)"]


def test_dotted_operator_names_are_looked_up_by_class_name() -> None:
    access = _extract("airflow.providers.postgres.operators.postgres.PostgresOperator", {"sql": "SELECT 1", "postgres_conn_id": "wh"})
    assert [(s.dialect, s.conn_id) for s in access.sql] == [("postgres", "wh")]


def test_discoverys_record_is_not_changed() -> None:
    task = TaskSpec("d", "t", "@task.sql", DAG.file, 1, args={"conn_id": "wh"}, callable_source="def f():\n    return 'SELECT 1'\n")
    before = task.to_dict()
    assert [s.sql for s in extract_task(task, DAG, ExtractContext()).sql] == ["SELECT 1"]
    assert task.to_dict() == before


def test_an_extractor_failure_becomes_a_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    from overlay.extract.templates import sources

    def broken(*args: object) -> None:
        raise KeyError("boom")

    monkeypatch.setattr(sources, "normalize_markers", broken)
    access = _extract("PostgresOperator", {"sql": "SELECT 1", "postgres_conn_id": "wh"})
    assert access.unresolved == ["extraction failed: KeyError: 'boom'"]


def test_the_scan_context_keeps_one_renderer_per_dag_and_accepts_one_folder() -> None:
    ctx = ExtractContext(dag_folder=str(DAGS))
    assert ctx.roots == [str(DAGS)] and ctx.renderer(DAG) is ctx.renderer(DAG)
    nested = DagSpec("n", str(DAGS / "team" / "nested.py"))  # template paths relative to the scanned root still resolve
    task = TaskSpec("n", "t", "PostgresOperator", nested.file, 1, args={"sql": "scripts/export.sql"})
    assert extract_task(task, nested, ctx).sql[0].file == str(DAGS / "scripts" / "export.sql")
    include = TaskSpec("n", "t", "PostgresOperator", nested.file, 1, args={"sql": "sql/daily.sql"})
    assert extract_task(include, nested, ctx).unresolved == [f"{DAGS / 'sql' / 'daily.sql'}:5: template not found: partials/filter.sql"]


_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=40) | st.sampled_from(["x.sql", "{{ ds }}", "{% if %}", "a.sh", "$(x)"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner, max_size=3),
    max_leaves=8,
)
_ARGS = st.dictionaries(st.sampled_from(["sql", "bash_command", "conn_id", "table", "schema", "database", "configuration", "params",
                                         "hook_params", "op_kwargs", "op_args", "templates_dict", "destination_project_dataset_table",
                                         "source_project_dataset_tables", "select_query", "query", "env", "cwd", "templates_exts"]),
                        _VALUES, max_size=6)


@settings(max_examples=150, deadline=None)
@given(operator=st.sampled_from(sorted(OPERATORS) + ["Unknown"]), args=_ARGS,
       source=st.none() | st.text(max_size=60) | st.just("def f(x):\n    PostgresHook(x).run(x)\n"))
def test_never_raises(operator: str, args: dict, source: str | None) -> None:
    access = extract_task(TaskSpec("d", "t", operator, DAG.file, 1, args=args, callable_source=source), DAG, ExtractContext())
    assert access.sql or access.direct or access.unresolved or access.no_data


def test_extraction_works_without_airflow_installed() -> None:
    script = (
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'airflow' or name.startswith('airflow.'):\n"
        "            raise ImportError('airflow is not installed here')\n"
        "sys.meta_path.insert(0, Block())\n"
        "from overlay.extract import ExtractContext, extract_task\n"
        "from overlay.model import DagSpec, TaskSpec\n"
        "dag = DagSpec('d', 'dag.py')\n"
        "for op, args in [('PostgresOperator', {'sql': 'SELECT 1'}), ('BashOperator', {'bash_command': 'psql -c \"SELECT 2\"'}),\n"
        "                 ('BigQueryInsertJobOperator', {'configuration': {'query': {'query': 'SELECT 3'}}})]:\n"
        "    print(extract_task(TaskSpec('d', 't', op, 'dag.py', args=args), dag, ExtractContext()).sql[0].sql)\n"
        "print(any(m == 'airflow' or m.startswith('airflow.') for m in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["SELECT", "1", "SELECT", "2", "SELECT", "3", "False"]
