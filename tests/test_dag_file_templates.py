"""Templates a DAG file renders itself, and template context names Airflow gives (issue 9, public repositories)."""

from __future__ import annotations

import textwrap
from pathlib import Path

from overlay.config import parse_settings
from overlay.scan import scan_folders

DAG_FILE = '''
    from datetime import datetime

    from airflow import DAG
    from airflow.models import Variable
    from airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator
    from jinja2 import Environment, Template

    CONFIG = {"schema": "grading", "source": "customers_stg", "target": "customers"}
    MERGE = """
    INSERT INTO {{ schema }}.{{ target }}
    SELECT * FROM {{ schema }}.{{ source }} WHERE day = '{{ day }}'
    """
    UNKNOWN = {"schema": Variable.get("GRADING_SCHEMA"), "source": "x", "target": "y"}

    with DAG("grading", start_date=datetime(2024, 1, 1), schedule="@daily"):
        SQLExecuteQueryOperator(task_id="rendered", conn_id="dwh",
                                sql=Template(MERGE).render(CONFIG, day="{{ ds }}"))
        SQLExecuteQueryOperator(task_id="from_string", conn_id="dwh",
                                sql=Environment().from_string(MERGE).render(**CONFIG, day="2024-01-01"))
        SQLExecuteQueryOperator(task_id="not_known", conn_id="dwh", sql=Template(MERGE).render(UNKNOWN))
        SQLExecuteQueryOperator(
            task_id="in_its_zone", conn_id="dwh",
            sql="INSERT INTO grading.daily SELECT * FROM grading.customers "
                "WHERE day = '{{ dag_run.logical_date.astimezone(dag.timezone) | ds }}'")
'''


def test_a_template_the_dag_file_renders_gives_the_operator_its_sql(tmp_path: Path) -> None:
    """`sql=Template(text).render(config)` runs when Airflow parses the file: with the config known, the operator's SQL
    is the rendered text (Airflow's own `{{ ds }}` left for the task's rendering); with a value not known (a Variable)
    the SQL is not known, never rendered with a guess. `dag.timezone` renders (the dates are stand-ins)."""
    (tmp_path / "dags").mkdir()
    (tmp_path / "dags" / "grading.py").write_text(textwrap.dedent(DAG_FILE))
    settings = parse_settings({"connections": {"dwh": {"dialect": "postgres", "database": "dwh"}}})
    tasks = {t.task_id: t for t in scan_folders([str(tmp_path / "dags")], mode="static", settings=settings, workers=1).tasks}
    for task_id in ("rendered", "from_string"):
        task = tasks[task_id]
        assert (task.status, task.reads, task.writes) == (
            "resolved", ["dwh:dwh.grading.customers_stg"], ["dwh:dwh.grading.customers"]), (task_id, task.errors)
    assert "day = '2024-01-15'" in tasks["rendered"].sql[0]  # the task's own template rendered after the file's
    assert (tasks["not_known"].status, tasks["not_known"].reads) == ("unresolved", [])
    zone = tasks["in_its_zone"]
    assert (zone.status, zone.writes) == ("resolved", ["dwh:dwh.grading.daily"]), zone.errors


STANDINS_DAG = '''
    from datetime import datetime
    from airflow import DAG
    from airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator

    with DAG("standins", start_date=datetime(2024, 1, 1), schedule=None):
        SQLExecuteQueryOperator(task_id="whole", conn_id="pg", sql="{{ var.value.query }}")
        SQLExecuteQueryOperator(task_id="clause", conn_id="pg", sql="SELECT * FROM a.b WHERE {{ var.value.cond }}")
        SQLExecuteQueryOperator(task_id="name", conn_id="pg", sql="SELECT * FROM a.b JOIN {{ var.value.t }} USING (id)")
        SQLExecuteQueryOperator(task_id="value", conn_id="pg", sql="DELETE FROM a.b WHERE day = '{{ var.value.day }}'")
'''


def test_a_template_value_not_known_in_a_clause_leaves_the_task_partial_and_a_whole_sql_unknown(tmp_path: Path) -> None:
    """A Variable nobody gave, rendered as a stand-in: in a string literal it is a value (the task is resolved); in a
    table's name that name is refused; in a clause (`WHERE {{ var.value.cond }}`, which could hold a subquery) the
    tables named in full are kept and the task is partial; as the whole SQL, nothing is known (it was "no data")."""
    (tmp_path / "dags").mkdir()
    (tmp_path / "dags" / "standins.py").write_text(textwrap.dedent(STANDINS_DAG))
    tasks = {t.task_id: t for t in scan_folders([str(tmp_path / "dags")], mode="static", workers=1).tasks}
    found = {tid: (t.status, t.reads, t.writes) for tid, t in tasks.items()}
    assert found == {"whole": ("unresolved", [], []), "clause": ("partial", ["pg:a.b"], []),
                     "name": ("partial", ["pg:a.b"], []), "value": ("resolved", [], ["pg:a.b"])}
    assert "Airflow Variable `query`" in tasks["whole"].errors[0]
    assert "part of the SQL in `sql` is a value not known statically" in tasks["clause"].errors[0]
