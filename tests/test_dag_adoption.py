"""Tasks made outside any DAG join the DAG of the tasks they are linked to, as Airflow's ``_set_relatives`` does."""

from __future__ import annotations

from pathlib import Path

from overlay.discover.static import scan_file
from overlay.discover.static.repo import RepoView

HEADER = ("from airflow import DAG\nfrom airflow.operators.empty import EmptyOperator\n"
          "from airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator\n")


def _scan(tmp_path: Path, body: str):  # noqa: ANN202
    path = tmp_path / "d.py"
    path.write_text(HEADER + body)
    return scan_file(str(path), path.read_text(), RepoView(tmp_path))


def test_a_dagless_task_linked_to_a_dags_task_joins_that_dag(tmp_path: Path) -> None:
    result = _scan(tmp_path, "dag = DAG('built')\n"
                             "start = EmptyOperator(task_id='start')\n"
                             "load = SQLExecuteQueryOperator(task_id='load', dag=dag, conn_id='w', sql='INSERT INTO a.b SELECT 1')\n"
                             "finish = EmptyOperator(task_id='finish')\n"
                             "start >> load >> finish\n"
                             "stray = EmptyOperator(task_id='stray')\n")
    tasks = {t.task_id: t for t in result.dags[0].tasks}
    assert set(tasks) == {"start", "load", "finish"} and all(t.dag_id == "built" for t in tasks.values())
    assert tasks["load"].upstream == ["start"] and tasks["finish"].upstream == ["load"]
    assert [e.error for e in result.errors] == ["task 'stray' (line 9) belongs to no DAG found statically"]


def test_tasks_of_two_dags_adopt_nothing(tmp_path: Path) -> None:
    result = _scan(tmp_path, "a, b = DAG('a'), DAG('b')\n"
                             "x = EmptyOperator(task_id='x', dag=a)\ny = EmptyOperator(task_id='y', dag=b)\n"
                             "z = EmptyOperator(task_id='z')\n[x, y] >> z\n")
    assert {d.dag_id: [t.task_id for t in d.tasks] for d in result.dags} == {"a": ["x"], "b": ["y"]}
    assert any("'z'" in e.error for e in result.errors)
