"""Coverage of a scan: counts by status, reasons grouped without their specifics, the setting that fixes each."""

from __future__ import annotations

from overlay.coverage import _SETTINGS_FIELDS, coverage, hint_for, normalize_reason
from overlay.model import ResolvedTask


def _task(task_id: str, status: str, errors: list[str], line: int = 3) -> ResolvedTask:
    return ResolvedTask(dag_id="d", task_id=task_id, operator="X", file="dags/d.py", line=line, owner=None, status=status, errors=errors)


def test_counts_exclude_no_data_from_tasks_that_touch_data() -> None:
    cov = coverage([_task("a", "resolved", []), _task("b", "no_data", []), _task("c", "partial", ["x"]), _task("e", "unresolved", ["y"])])
    assert (cov.tasks, cov.touching_data, cov.resolved, cov.partial, cov.unresolved, cov.no_data) == (4, 3, 1, 1, 1, 1)
    assert round(cov.resolved_share, 3) == 0.333


def test_reasons_are_grouped_without_lines_and_quoted_names_with_one_example() -> None:
    tasks = [
        _task("a", "unresolved", ["SQL file 'a.sql' not found in template_searchpath or the DAG folder (searched /x)"], line=10),
        _task("b", "unresolved", ["SQL file 'b.sql' not found in template_searchpath or the DAG folder (searched /y)"], line=20),
        _task("c", "unresolved", ["unknown operator FooOperator: data access not known"], line=30),
    ]
    cov = coverage(tasks)
    assert [(r.reason, r.count, r.example, r.task) for r in cov.reasons] == [
        ("SQL file '…' not found in template_searchpath or the DAG folder", 2, "dags/d.py:10", "d.a"),
        ("unknown operator FooOperator: data access not known", 1, "dags/d.py:30", "d.c"),
    ]
    assert "a.sql" in cov.reasons[0].detail
    offers_rules = any(f in _SETTINGS_FIELDS for f in ("operator_rules", "operators", "user_rules"))
    assert (cov.reasons[1].hint is not None) == offers_rules  # a hint never names a setting overlay.yaml does not read
    assert cov.reasons[0].hint and "`paths:`" in cov.reasons[0].hint


def test_one_task_counts_once_per_reason() -> None:
    cov = coverage([_task("a", "unresolved", ["x.sql:3: SQL statement 1 does not parse: bad", "x.sql:9: SQL statement 2 does not parse: bad"])])
    assert [(r.reason, r.count) for r in cov.reasons] == [("SQL does not parse: bad", 1)]


def test_normalize_and_hints() -> None:
    assert normalize_reason("`sql` of PgOperator is computed at run time (line 87)") == "`sql` of PgOperator is computed at run time"
    assert "variables:" in hint_for("SQL passed to run at line 3 is built at run time (Airflow Variable 'env', not among the scan's variables)")
    assert "(aws_table: ...)" in hint_for("table name 'x' is built from Airflow Variable `aws_table` (give it under `variables:`)")
    assert "connections:" in hint_for("the connection run at line 4 runs SQL on is not known")
    assert hint_for("source of the python callable of f is not available") is None
