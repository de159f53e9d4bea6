"""SQL operators, check operators, SQL sensors and ``@task.sql``: SQL arguments plus tables named by arguments."""

from __future__ import annotations

from overlay.extract.context import TaskState
from overlay.extract.python.values import returned_text
from overlay.extract.operators.rules import OperatorRule
from overlay.extract.templates.sources import Target, add_sql_arg, connection_of, hook_scope
from overlay.extract.operators.transfers import add_tables


def target_of(t: TaskState, rule: OperatorRule) -> Target:
    """Connection, implied dialect and operator-level database/schema of the operator's SQL."""
    database = next((v for v in (t.text(a) for a in rule.database_args) if v), None)
    schema = next((v for v in (t.text(a) for a in rule.schema_args) if v), None)
    hook = t.value(rule.hook_params_arg) if rule.hook_params_arg else None
    if isinstance(hook, dict):
        text = {k: v for k, v in hook.items() if k in ("database", "schema") and isinstance(v, str) and v}
        hook_db, hook_schema = hook_scope(rule.dialect, text.get("database"), text.get("schema"))
        database, schema = database or hook_db, schema or hook_schema
    conn, unknown = connection_of(t, rule.conn_args)
    return Target(conn, rule.dialect, database, schema, conn_unknown=unknown)


def legacy_sql(t: TaskState, rule: OperatorRule) -> bool:
    if not rule.legacy_sql_arg:
        return False
    value = t.value(rule.legacy_sql_arg)
    if isinstance(value, str):
        return value.strip().lower() not in ("false", "0", "no")
    return rule.legacy_sql_default if value is None else bool(value)


def sql_and_tables(t: TaskState, rule: OperatorRule) -> None:
    """The generic extractor: every SQL argument of the rule, SQL run on other connections, named tables."""
    target = target_of(t, rule)
    legacy = legacy_sql(t, rule)
    found = sum(add_sql_arg(t, arg, target, rule.template_ext, legacy) for arg in rule.sql_args)
    for extra in rule.extra_sql:
        conn, unknown = connection_of(t, extra.conn_args)
        other = Target(conn, extra.dialect or rule.dialect, None, None, conn_unknown=unknown)
        found += add_sql_arg(t, extra.name, other, rule.template_ext, legacy)
    add_tables(t, rule, target, found > 0)


def decorated_sql(t: TaskState, rule: OperatorRule) -> None:
    """``@task.sql``: the SQL is what the decorated function returns (discovery may have computed it)."""
    fill_from_body(t, rule)
    sql_and_tables(t, rule)


def fill_from_body(t: TaskState, rule: OperatorRule) -> None:
    key = rule.body_arg
    if not key or isinstance(t.value(key), str) or not t.spec.callable_source:
        return
    op_kwargs = t.value("op_kwargs") if isinstance(t.value("op_kwargs"), dict) else {}
    text = returned_text(t.spec.callable_source, op_kwargs, t.spec.callable_scope)
    if text is not None:
        t.args[key] = text
        if key in t.spec.unknown_args:
            t.spec.unknown_args.remove(key)
    elif key not in t.spec.unknown_args:
        t.spec.unknown_args.append(key)
