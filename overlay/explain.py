"""How overlay read one task: the operator rule, the values it knew and did not, the SQL, the dialect, the tables.

``explain(dag, task, ctx, resolver)`` runs the same extraction and resolution the scan runs for that task
and keeps what each step used, so ``overlay scan --explain DAG.TASK`` can show why a task is resolved,
partial or unresolved. Nothing here is stored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from overlay.connections import ConnectionResolver
from overlay.coverage import hint_for
from overlay.model import DagSpec, TaskSpec

MAX_VALUE = 160  # characters of an argument value shown
MAX_SQL = 4000  # characters of one SQL text shown


@dataclass
class SqlFound:
    origin: str
    text: str
    file: str | None
    conn_id: str | None
    dialect: str | None  # the dialect the SQL was parsed with
    namespace: str
    default_database: str | None
    default_schema: str | None
    connection_source: str  # overlay.yaml | env | airflow-db | operator

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class Explanation:
    task: str
    operator: str
    file: str
    line: int | None
    rule: str  # which rule read it
    rule_detail: dict[str, Any] = field(default_factory=dict)
    known: dict[str, str] = field(default_factory=dict)  # argument -> value (shortened)
    unknown: list[str] = field(default_factory=list)  # arguments present but not known statically
    sql: list[SqlFound] = field(default_factory=list)
    direct: list[dict[str, Any]] = field(default_factory=list)  # tables named by arguments, not SQL
    status: str = "unresolved"
    reads: list[str] = field(default_factory=list)
    writes: list[str] = field(default_factory=list)
    reasons: list[dict[str, Any]] = field(default_factory=list)  # {"reason", "hint"}
    notes: list[str] = field(default_factory=list)  # how it was read: repository code followed, paths remapped

    def to_dict(self) -> dict[str, Any]:
        data = dict(self.__dict__)
        data["sql"] = [s.to_dict() for s in self.sql]
        return data


def find_task(dags: list[DagSpec], name: str) -> tuple[DagSpec, TaskSpec] | list[str]:
    """The DAG and task named ``dag_id.task_id`` (task ids may hold dots); else the close candidates."""
    candidates = []
    for dag in dags:
        for task in dag.tasks:
            full = f"{dag.dag_id}.{task.task_id}"
            if full == name:
                return dag, task
            if full.endswith("." + name) or task.task_id == name or name in full:
                candidates.append(full)
    return sorted(candidates)[:20]


def explain(dag: DagSpec, task: TaskSpec, ctx: Any, resolver: ConnectionResolver) -> Explanation:
    from overlay.extract import extract_task
    from overlay.extract.operators.registry import fallback_rule, rule_for
    from overlay.extract.context import TaskState
    from overlay.resolve import resolve_task

    access = extract_task(task, dag, ctx)
    resolved, _ = resolve_task(task, access, resolver)
    registered = rule_for(task.operator)
    fallback = None if registered else fallback_rule(TaskState(task, dag, ctx))
    rule = registered or fallback
    result = Explanation(
        task=f"{dag.dag_id}.{task.task_id}", operator=task.operator, file=task.file, line=task.line,
        rule=_rule_name(task.operator, registered, fallback),
        rule_detail=_rule_detail(rule) if rule else {},
        known={k: _short(v) for k, v in sorted(task.args.items())},
        unknown=sorted(task.unknown_args),
        status=resolved.status, reads=resolved.reads, writes=resolved.writes,
        reasons=[{"reason": e, "hint": hint_for(e)} for e in resolved.errors], notes=list(access.notes),
    )
    default_conn = _default_conn(task)
    for source in access.sql:
        spec = resolver.resolve(source.conn_id or default_conn, source.dialect, source.database)
        result.sql.append(SqlFound(
            origin=source.origin, text=source.sql[:MAX_SQL] + ("…" if len(source.sql) > MAX_SQL else ""), file=source.file,
            conn_id=source.conn_id or default_conn, dialect=spec.dialect, namespace=spec.namespace or ("bigquery (for project.dataset.table names)" if spec.dialect == "bigquery" else spec.conn_id or "default"),
            default_database=source.database or spec.database, default_schema=source.schema or spec.schema, connection_source=spec.source))
    result.direct = [{"table": d.table, "mode": d.mode, "origin": d.origin, "conn_id": d.conn_id} for d in access.direct]
    return result


def _rule_name(operator: str, registered: Any, fallback: Any) -> str:
    if registered is not None:
        return f"registry rule for {operator} ({registered.extractor.__name__})"
    if fallback is not None:
        return f"no rule for {operator}: read by its arguments ({fallback.extractor.__name__})"
    return f"no rule for {operator}, and no `sql`, `bash_command` or callable to read"


def _rule_detail(rule: Any) -> dict[str, Any]:
    detail = {"sql_args": list(rule.sql_args), "conn_args": list(rule.conn_args[:6]), "dialect": rule.dialect,
              "template_ext": list(rule.template_ext)}
    if rule.tables:
        detail["table_args"] = [{"args": list(t.parts), "mode": t.mode} for t in rule.tables]
    if rule.command:
        detail["command"] = rule.command
    return {k: v for k, v in detail.items() if v not in (None, [], "")}


def _default_conn(task: TaskSpec) -> str | None:
    from overlay.resolve import _task_conn_id

    return _task_conn_id(task)


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else repr(value)
    text = " ".join(text.split())
    return text if len(text) <= MAX_VALUE else text[: MAX_VALUE - 1] + "…"


def explain_in_scan(result: Any, settings: Any, name: str) -> Explanation | list[str]:
    """Explain ``dag_id.task_id`` of a finished scan (``ScanResult``) with the scan's settings; else the candidates."""
    import os

    from overlay.scan import extract_context

    found = find_task(result.dags, name)
    if isinstance(found, list):
        return found
    dag, task = found
    path = os.path.abspath(dag.file)
    folder = next((f for f in result.folders if path.startswith(f.rstrip(os.sep) + os.sep)), result.folders[0] if result.folders else None)
    ctx = extract_context(settings, folder, dict(settings.variables))
    return explain(dag, task, ctx, ConnectionResolver(settings))
