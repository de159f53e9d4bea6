"""Extraction: the SQL a task runs and the tables it touches without SQL.

``extract_task(task, dag, ctx) -> TaskAccess`` looks the operator's class name up in the
registry (``operators/registry.py``) and runs that family's extractor: SQL and check operators, BigQuery
jobs, transfer operators, bash commands (database clients, dbt), Python callables (hooks).
It never raises: whatever cannot be determined becomes an ``unresolved`` reason. Airflow and
its providers are never imported.
"""

from __future__ import annotations

from dataclasses import replace

from overlay.extract.context import ExtractContext, TaskState
from overlay.extract.python.operator_code import read_operator_code
from overlay.extract.operators.registry import fallback_rule, rule_for
from overlay.extract.templates.standins import describe_standin
from overlay.model import DagSpec, TaskAccess, TaskSpec


def extract_task(task: TaskSpec, dag: DagSpec, ctx: ExtractContext) -> TaskAccess:
    # a copy: extractors may fill arguments (a decorated function's returned SQL) without touching discovery's record
    spec = replace(task, args=dict(task.args), unknown_args=list(task.unknown_args))
    t = TaskState(spec, dag, ctx)
    t.code_standins.update(task.standins)  # values static mode could not know, as stand-ins in the arguments' text
    t.renderer.take_standins()  # the renderer is the DAG's: what earlier tasks rendered is theirs
    try:
        _extract(t)
    except Exception as e:  # an extractor bug or odd input must not stop the scan
        t.unresolved(f"extraction failed: {type(e).__name__}: {e}")
    t.access.standins = {text: describe_standin(text, path) for text, path in sorted(t.renderer.take_standins().items())}
    t.access.standins.update(t.code_standins)
    return t.access


def _extract(t: TaskState) -> None:
    name = t.operator.rsplit(".", 1)[-1] if "." in t.operator and not t.operator.startswith("@") else t.operator
    user = t.ctx.user_rules  # a rule for the class as written (a plugin subclass) wins over its base's
    rule = user.get(t.spec.operator_class or "") or user.get(name)
    # a repository class read as itself (it derives from no known operator), even one named like a library operator
    # (`class SqlSensor(BaseSensorOperator)` of the team's own): the registry's rule for that name is not its rule
    own = bool(t.spec.operator_class) and t.operator == t.spec.operator_class
    if rule is None and own and t.spec.operator_code and _read_own_code(t):
        return
    rule = rule or (None if own else rule_for(t.operator)) or fallback_rule(t)
    if rule is None:
        if read_operator_code(t):  # a repository class whose own execute says what it runs
            return
        t.unresolved(t.spec.operator_effect or f"unknown operator {t.spec.operator_class or t.operator}: data access not known")
        return
    rule.extractor(t, rule)
    if not t.found_anything:
        t.unresolved(f"{t.operator}: no SQL or table found in its arguments (line {t.spec.line})")


def _read_own_code(t: TaskState) -> bool:
    """A repository class read by its own ``execute``, before the rule its arguments suggest (its ``sql`` run as given,
    on its ``*conn_id``): the code says what it runs (``INSERT INTO {self.table} {self.sql}``) and on which connection.
    Given no connection argument, what the code finds stands; given one, it stands only when it found the task's tables
    with no reason against them, else the task is read by the rule, as if the code had not been read."""
    if not _names_connection(t):
        return read_operator_code(t)  # no connection argument to read its SQL argument on: its code says which it opens
    trial = TaskState(t.spec, t.dag, t.ctx)  # read aside: kept only when the code settles it
    if not (read_operator_code(trial) and trial.found_anything and not trial.access.unresolved):
        return False
    t.access, t._direct_keys, t.code_standins = trial.access, trial._direct_keys, trial.code_standins
    return True


def _names_connection(t: TaskState) -> bool:
    """The task is given a connection argument (``conn_id``, ``postgres_conn_id``...), known or not."""
    return any(a.endswith("conn_id") for a in [*t.args, *t.spec.unknown_args])


__all__ = ["ExtractContext", "extract_task"]
