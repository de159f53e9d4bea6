"""Extraction: the SQL a task runs and the tables it touches without SQL.

Keyed by operator class name (``operators.py``), so tasks found by import and by static analysis
are treated alike. Never raises: whatever cannot be determined becomes an ``unresolved`` reason.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from overlay.extract import bash, dbt, python
from overlay.extract.operators import BASH_OPERATORS, CONN_ARGS, NO_DATA_OPERATORS, PYTHON_OPERATORS, rule_for
from overlay.extract.templates import Renderer, TemplateError
from overlay.model import DagSpec, DirectAccess, SqlSource, TaskAccess, TaskSpec

SQL_TEMPLATE_EXT = (".sql", ".hql", ".json")
BASH_TEMPLATE_EXT = (".sh", ".bash")
CONTEXT_NAMES = ("ds", "ds_nodash", "ts", "ts_nodash", "run_id", "prev_ds", "next_ds", "yesterday_ds", "tomorrow_ds")


@dataclass
class ExtractContext:
    dag_folder: str | None = None
    variables: dict[str, Any] = field(default_factory=dict)
    _renderers: dict[str, Renderer] = field(default_factory=dict)

    def renderer(self, dag: DagSpec) -> Renderer:
        key = f"{dag.file}::{dag.dag_id}"
        if key not in self._renderers:
            self._renderers[key] = Renderer(dag, self.dag_folder, self.variables)
        return self._renderers[key]


@dataclass
class _Task:
    spec: TaskSpec
    dag: DagSpec
    renderer: Renderer
    access: TaskAccess = field(default_factory=TaskAccess)

    @property
    def args(self) -> dict[str, Any]:
        return self.spec.args

    def conn(self, names: tuple[str, ...] = CONN_ARGS) -> str | None:
        return next((self.args[n] for n in names if isinstance(self.args.get(n), str) and self.args[n]), None)


def extract_task(task: TaskSpec, dag: DagSpec, ctx: ExtractContext) -> TaskAccess:
    t = _Task(task, dag, ctx.renderer(dag))
    try:
        _extract(t)
    except Exception as e:  # an extractor bug or odd input must not stop the scan
        t.access.unresolved.append(f"extraction failed: {type(e).__name__}: {e}")
    return t.access


def _extract(t: _Task) -> None:
    op = t.spec.operator
    _decorated_body(t)
    if op in NO_DATA_OPERATORS:
        t.access.no_data = True
        return
    rule = rule_for(op)
    if rule is not None:
        _operator(t, rule)
    elif op in BASH_OPERATORS:
        _bash(t)
    elif op in PYTHON_OPERATORS:
        _python(t)
    elif "sql" in t.args or "sql" in t.spec.unknown_args:
        _sql_arg(t, "sql", t.conn(), None, None, None)
    else:
        t.access.unresolved.append(f"unknown operator {op}: its data access is not known to overlay")
    if not (t.access.sql or t.access.direct or t.access.unresolved or t.access.no_data):
        t.access.no_data = op in BASH_OPERATORS or op in PYTHON_OPERATORS


def _decorated_body(t: _Task) -> None:
    """``@task.sql``/``@task.bash``: the SQL or command is what the function returns."""
    key = {"@task.sql": "sql", "@task.bash": "bash_command"}.get(t.spec.operator)
    if key is None or isinstance(t.args.get(key), str) or not t.spec.callable_source:
        return
    op_kwargs = t.args.get("op_kwargs") if isinstance(t.args.get("op_kwargs"), dict) else {}
    text = python.returned_text(t.spec.callable_source, op_kwargs, t.spec.callable_scope)
    if text is not None:
        t.args[key] = text
        if key in t.spec.unknown_args:
            t.spec.unknown_args.remove(key)
    elif key not in t.spec.unknown_args:
        t.spec.unknown_args.append(key)


def _operator(t: _Task, rule: Any) -> None:
    conn = t.conn(rule.conn_args) or t.conn()
    hook_params = t.args.get("hook_params") if isinstance(t.args.get("hook_params"), dict) else {}
    database = t.args.get("database") or hook_params.get("database") or t.args.get("project_id")
    schema = t.args.get("schema") if not rule.tables else None
    schema = schema or hook_params.get("schema")
    for arg in rule.sql_args:
        _sql_arg(t, arg, conn, rule.dialect, database, schema)
    if t.spec.operator == "BigQueryInsertJobOperator":
        _bigquery_job(t, conn)
    if t.spec.operator == "BigQueryExecuteQueryOperator" and isinstance(t.args.get("destination_dataset_table"), str):
        t.access.direct.append(DirectAccess(t.args["destination_dataset_table"], "write", t.spec.operator, conn, "bigquery"))
    for table in rule.tables:
        parts = [t.args.get(p) for p in table.parts]
        values = parts[0] if len(parts) == 1 and isinstance(parts[0], list) else [".".join(str(p) for p in parts if p)]
        if any(p in t.spec.unknown_args for p in table.parts):
            t.access.unresolved.append(f"{t.spec.operator}: table argument {'/'.join(table.parts)} is not known statically")
            continue
        table_conn = t.args.get(table.conn_arg) if table.conn_arg else None
        for value in values:
            if value and (table.mode != "read" or not t.access.sql):
                t.access.direct.append(DirectAccess(str(value).replace(":", "."), table.mode, t.spec.operator,
                                                    table_conn if isinstance(table_conn, str) else conn, rule.dialect))
    if not (t.access.sql or t.access.direct or t.access.unresolved):
        t.access.unresolved.append(f"{t.spec.operator}: no SQL or table found in its arguments")


def _sql_arg(t: _Task, arg: str, conn: str | None, dialect: str | None, database: Any, schema: Any) -> None:
    if arg in t.spec.unknown_args:
        t.access.unresolved.append(f"`{arg}` of {t.spec.operator} is computed at run time (line {t.spec.line})")
        return
    value = t.args.get(arg)
    items = value if isinstance(value, list) else [value] if value else []
    for item in items:
        if not isinstance(item, str):
            continue
        source = _render_sql(t, item, arg)
        if source is not None:
            source.conn_id, source.dialect = conn, dialect
            source.database = database if isinstance(database, str) else None
            source.schema = schema if isinstance(schema, str) else None
            t.access.sql.append(source)


def _render_sql(t: _Task, text: str, origin: str) -> SqlSource | None:
    params = t.args.get("params") if isinstance(t.args.get("params"), dict) else None
    try:
        if text.strip().endswith(SQL_TEMPLATE_EXT) and "\n" not in text.strip():
            path = t.renderer.find_file(text.strip())
            if path is None:
                t.access.unresolved.append(f"SQL file {text.strip()!r} not found in template_searchpath {t.dag.template_searchpath} or the DAG folder")
                return None
            return SqlSource(t.renderer.render_file(path, params), f"sql_file:{os.path.basename(path)}", file=path, line=1)
        return SqlSource(t.renderer.render(text, params), origin, line=t.spec.line)
    except TemplateError as e:
        where = f"{e.file or t.spec.file}:{e.line or t.spec.line}"
        t.access.unresolved.append(f"{where}: {e}")
        return None


def _bigquery_job(t: _Task, conn: str | None) -> None:
    config = t.args.get("configuration")
    if not isinstance(config, dict):
        if "configuration" in t.spec.unknown_args:
            t.access.unresolved.append(f"BigQueryInsertJobOperator configuration is computed at run time (line {t.spec.line})")
        return
    project = t.args.get("project_id") if isinstance(t.args.get("project_id"), str) else None
    query = config.get("query") or {}
    if isinstance(query.get("query"), str):
        source = _render_sql(t, query["query"], "bigquery:query")
        if source is not None:
            source.conn_id, source.dialect, source.database = conn, "bigquery", project
            t.access.sql.append(source)
    for section, key, mode in (("query", "destinationTable", "write"), ("load", "destinationTable", "write"),
                               ("extract", "sourceTable", "read"), ("copy", "destinationTable", "write"),
                               ("copy", "sourceTable", "read"), ("copy", "sourceTables", "read")):
        ref = (config.get(section) or {}).get(key)
        for item in ref if isinstance(ref, list) else [ref] if ref else []:
            name = _bq_ref(item, project)
            if name:
                t.access.direct.append(DirectAccess(name, mode, f"bigquery:{section}", conn, "bigquery"))


def _bq_ref(ref: Any, project: str | None) -> str | None:
    if isinstance(ref, str):
        return ref.replace(":", ".")
    if isinstance(ref, dict) and ref.get("tableId"):
        parts = [ref.get("projectId") or project, ref.get("datasetId"), ref.get("tableId")]
        return ".".join(str(p) for p in parts if p)
    return None


def _bash(t: _Task) -> None:
    command = t.args.get("bash_command")
    if not isinstance(command, str):
        reason = "computed at run time" if "bash_command" in t.spec.unknown_args else "missing"
        t.access.unresolved.append(f"bash_command of {t.spec.task_id} is {reason} (line {t.spec.line})")
        return
    try:
        if command.strip().endswith(BASH_TEMPLATE_EXT) and "\n" not in command.strip():
            path = t.renderer.find_file(command.strip())
            command = t.renderer.render_file(path, t.args.get("params")) if path else command
        else:
            command = t.renderer.render(command, t.args.get("params"))
    except TemplateError as e:
        t.access.unresolved.append(f"{e.file or t.spec.file}:{e.line or t.spec.line}: {e}")
        return
    parsed = bash.parse_commands(command)
    t.access.unresolved.extend(parsed.errors)
    for item in parsed.sql:
        _shell_sql(t, item)
    for argv, cwd in parsed.dbt:
        _dbt(t, argv, cwd)


def _shell_sql(t: _Task, item: bash.ShellSql) -> None:
    origin = f"bash:{item.client}"
    if item.sql:
        t.access.sql.append(SqlSource(item.sql, origin, None, item.dialect, item.database, item.schema, line=t.spec.line))
    elif item.file:
        source = _render_sql(t, item.file, origin)
        if source is not None:
            source.dialect, source.database, source.schema = item.dialect, item.database, item.schema
            t.access.sql.append(source)
    for table, mode in ((item.destination, "write"), (item.loads, "write"), (item.extracts, "read")):
        if table:
            t.access.direct.append(DirectAccess(bash.bq_table(table), mode, origin, None, "bigquery"))


def _dbt(t: _Task, argv: list[str], cwd: str | None) -> None:
    base = os.path.dirname(t.spec.file)
    options_dir = next((argv[i + 1] for i, a in enumerate(argv[:-1]) if a == "--project-dir"), None)
    project = options_dir or cwd
    if project and not os.path.isabs(project):
        for root in (base, t.renderer.dag_folder or base):
            if os.path.isdir(os.path.join(root, project)):
                project = os.path.join(root, project)
                break
    argv = [a for a in argv]
    if options_dir and project:
        argv[argv.index("--project-dir") + 1] = project
    try:
        invocation = dbt.resolve_dbt(argv, project)
    except dbt.DbtError as e:
        t.access.unresolved.append(str(e))
        return
    if invocation is None:
        return
    t.access.files.append(invocation.manifest_path)
    for model in invocation.models:
        t.access.direct.append(DirectAccess(model.writes, "write", f"dbt:{model.unique_id}", None, invocation.dialect, group=model.unique_id))
        for parent in model.reads:
            t.access.direct.append(DirectAccess(parent, "read", f"dbt:{model.unique_id}", None, invocation.dialect, group=model.unique_id))
    if not invocation.models:
        t.access.unresolved.append(f"dbt selection {' '.join(argv[1:])} matches no model in {invocation.manifest_path}")


def _python(t: _Task) -> None:
    if not t.spec.callable_source:
        t.access.unresolved.append(f"source of the python callable of {t.spec.task_id} is not available")
        return
    context = t.renderer.context(t.args.get("params") if isinstance(t.args.get("params"), dict) else None)
    kwargs = {name: context[name] for name in CONTEXT_NAMES}
    kwargs["params"] = context["params"]
    op_kwargs = t.args.get("op_kwargs")
    if isinstance(op_kwargs, dict):
        kwargs.update(op_kwargs)
    found = python.analyze_callable(t.spec.callable_source, kwargs, t.spec.callable_scope, first_line=t.spec.line or 1)
    default_conn = t.conn()
    for item in found.sql:
        t.access.sql.append(SqlSource(item.sql, f"hook:{item.method}", item.conn_id or default_conn, item.dialect, line=item.line))
    for table in found.tables:
        t.access.direct.append(DirectAccess(table.table, table.mode, f"hook:{table.method}", table.conn_id or default_conn, table.dialect))
    t.access.unresolved.extend(found.unresolved)
    if not found.touches_database and not found.unresolved:
        t.access.no_data = True


__all__ = ["ExtractContext", "extract_task"]
