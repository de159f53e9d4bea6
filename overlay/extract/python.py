"""SQL that Python callables send through Airflow hooks, found in the callable's AST.

Hooks bound to names (``hook = PostgresHook(postgres_conn_id="x")``) and the calls made on them
(``run``, ``get_records``, ``get_pandas_df``, ``get_df``, ``get_first``, ``insert_rows``,
``copy_expert``, ``bulk_load``), ``pd.read_sql(sql, con)``, ``df.to_sql("t", con, schema=...)``
and ``cursor.execute(sql)``. SQL arguments must be computable from literals, module constants or
the task's ``op_kwargs``; anything built at run time is reported as unresolved with its line.
"""

from __future__ import annotations

import ast
import textwrap
from dataclasses import dataclass, field
from typing import Any

from overlay.discover.evaluate import UNKNOWN, Evaluator, is_known

HOOK_DIALECTS = {
    "PostgresHook": "postgres", "SnowflakeHook": "snowflake", "SnowflakeSqlApiHook": "snowflake", "BigQueryHook": "bigquery",
    "MySqlHook": "mysql", "MsSqlHook": "tsql", "RedshiftSQLHook": "redshift", "TrinoHook": "trino", "PrestoHook": "presto",
    "DatabricksSqlHook": "databricks", "OracleHook": "oracle", "SqliteHook": "sqlite", "VerticaHook": "vertica",
    "JdbcHook": None, "OdbcHook": None, "DbApiHook": None, "HiveServer2Hook": "hive", "ExasolHook": "exasol",
}
HOOK_CONN_ARGS = ("postgres_conn_id", "snowflake_conn_id", "gcp_conn_id", "mysql_conn_id", "mssql_conn_id", "redshift_conn_id",
                  "trino_conn_id", "databricks_conn_id", "oracle_conn_id", "sqlite_conn_id", "conn_id", "vertica_conn_id",
                  "jdbc_conn_id", "odbc_conn_id", "hiveserver2_conn_id")
READ_METHODS = {"get_records", "get_pandas_df", "get_df", "get_first", "get_pandas_df_by_chunks", "get_df_by_chunks"}
RUN_METHODS = {"run", "execute", "copy_expert"} | READ_METHODS
WRITE_TABLE_METHODS = {"insert_rows": 0, "bulk_load": 0, "bulk_dump": 0}


@dataclass
class HookSql:
    sql: str
    conn_id: str | None
    dialect: str | None
    line: int
    method: str


@dataclass
class HookTable:
    table: str
    mode: str
    conn_id: str | None
    dialect: str | None
    line: int
    method: str


@dataclass
class CallableAccess:
    sql: list[HookSql] = field(default_factory=list)
    tables: list[HookTable] = field(default_factory=list)
    unresolved: list[str] = field(default_factory=list)
    touches_database: bool = False


@dataclass
class _Hook:
    conn_id: str | None
    dialect: str | None


def analyze_callable(source: str, op_kwargs: dict[str, Any] | None = None, module_scope: dict[str, Any] | None = None,
                     first_line: int = 1) -> CallableAccess:
    access = CallableAccess()
    try:
        tree = ast.parse(textwrap.dedent(source))
    except SyntaxError as e:
        access.unresolved.append(f"callable source does not parse: {e.msg} (line {e.lineno})")
        return access
    fn = next((n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))), None)
    scope = bind_parameters(fn, op_kwargs, module_scope)
    hooks: dict[str, _Hook] = {}
    ev = Evaluator(scope, "", {})
    body = fn.body if fn is not None else tree.body
    for node in _statements_in_order(body):
        line = first_line + getattr(node, "lineno", 1) - 1
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            name = node.targets[0].id
            hook = _hook_of(node.value, ev, hooks)
            if hook is not None:
                hooks[name] = hook
                access.touches_database = True
            else:
                value = ev.eval(node.value)
                scope[name] = value
        for call in [n for n in ast.walk(node) if isinstance(n, ast.Call)] if not isinstance(node, ast.FunctionDef) else []:
            _call(call, ev, hooks, access, first_line)
    return _dedupe(access)


def bind_parameters(fn: ast.FunctionDef | ast.AsyncFunctionDef | None, op_kwargs: dict[str, Any] | None,
                    module_scope: dict[str, Any] | None) -> dict[str, Any]:
    """The callable's scope: module constants, then parameters from op_kwargs or their defaults."""
    scope: dict[str, Any] = dict(module_scope or {})
    if fn is None:
        return scope
    module_ev = Evaluator(dict(module_scope or {}), "", {})
    positional = fn.args.posonlyargs + fn.args.args
    defaults = dict(zip([a.arg for a in positional[len(positional) - len(fn.args.defaults):]], fn.args.defaults))
    defaults.update({a.arg: d for a, d in zip(fn.args.kwonlyargs, fn.args.kw_defaults) if d is not None})
    for arg in positional + fn.args.kwonlyargs:
        if op_kwargs and arg.arg in op_kwargs:
            scope[arg.arg] = op_kwargs[arg.arg]
        elif arg.arg in defaults:
            scope[arg.arg] = module_ev.eval(defaults[arg.arg])
        else:
            scope[arg.arg] = UNKNOWN
    return scope


def returned_text(source: str, op_kwargs: dict[str, Any] | None, module_scope: dict[str, Any] | None) -> str | None:
    """The string a ``@task.sql``/``@task.bash`` function returns, when it is computable statically."""
    try:
        tree = ast.parse(textwrap.dedent(source))
    except SyntaxError:
        return None
    fn = next((n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))), None)
    if fn is None:
        return None
    scope = bind_parameters(fn, op_kwargs, module_scope)
    ev = Evaluator(scope, "", {})
    for stmt in fn.body:
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
            scope[stmt.targets[0].id] = ev.eval(stmt.value)
        elif isinstance(stmt, ast.Return):
            value = ev.eval(stmt.value)
            return value if isinstance(value, str) else None
    return None


def _statements_in_order(body: list[ast.stmt]) -> list[ast.stmt]:
    """Top-level statements of the function, with blocks (if/for/with/try) flattened in order."""
    out: list[ast.stmt] = []
    for stmt in body:
        if isinstance(stmt, (ast.If, ast.For, ast.While, ast.With, ast.Try)):
            out.append(stmt) if isinstance(stmt, ast.Assign) else None
            for attr in ("body", "orelse", "finalbody", "handlers"):
                inner = getattr(stmt, attr, [])
                if attr == "handlers":
                    inner = [s for h in inner for s in h.body]
                out.extend(_statements_in_order(inner))
            if isinstance(stmt, ast.With):
                out.append(ast.Expr(value=ast.Tuple(elts=[i.context_expr for i in stmt.items], ctx=ast.Load()), lineno=stmt.lineno))
        else:
            out.append(stmt)
    return out


def _hook_of(value: ast.expr, ev: Evaluator, hooks: dict[str, _Hook]) -> _Hook | None:
    if isinstance(value, ast.Call):
        name = _callee(value.func)
        if name in HOOK_DIALECTS or name.endswith("Hook"):
            kwargs = {k.arg: ev.eval(k.value) for k in value.keywords if k.arg}
            conn = next((kwargs[a] for a in HOOK_CONN_ARGS if isinstance(kwargs.get(a), str)), None)
            if conn is None and value.args:
                first = ev.eval(value.args[0])
                conn = first if isinstance(first, str) else None
            return _Hook(conn, HOOK_DIALECTS.get(name))
        if name in ("get_hook", "BaseHook.get_hook") and value.args:
            conn = ev.eval(value.args[0])
            return _Hook(conn if isinstance(conn, str) else None, None)
        if isinstance(value.func, ast.Attribute) and value.func.attr in ("get_conn", "get_sqlalchemy_engine", "cursor", "connect"):
            base = value.func.value
            base_name = base.id if isinstance(base, ast.Name) else None
            if base_name in hooks:
                return hooks[base_name]
            inner = _hook_of(base, ev, hooks)
            if inner is not None:
                return inner
    return None


def _call(call: ast.Call, ev: Evaluator, hooks: dict[str, _Hook], access: CallableAccess, first_line: int) -> None:
    func = call.func
    line = first_line + call.lineno - 1
    if not isinstance(func, ast.Attribute):
        return
    method = func.attr
    owner = func.value
    hook = hooks.get(owner.id) if isinstance(owner, ast.Name) else _hook_of(owner, ev, hooks)
    if method == "to_sql":
        _to_sql(call, ev, hooks, access, line)
        return
    if method in ("read_sql", "read_sql_query", "read_sql_table") and _callee(owner) in ("pd", "pandas"):
        con = next((k.value for k in call.keywords if k.arg == "con"), call.args[1] if len(call.args) > 1 else None)
        hook = _hook_of(con, ev, hooks) if isinstance(con, ast.Call) else (hooks.get(con.id) if isinstance(con, ast.Name) else None)
        sql_node = call.args[0] if call.args else next((k.value for k in call.keywords if k.arg in ("sql", "table_name")), None)
        if method == "read_sql_table":
            _table(sql_node, "read", hook, access, ev, line, method)
        else:
            _sql(sql_node, hook, access, ev, line, method)
        return
    if hook is None:
        return
    access.touches_database = True
    if method in RUN_METHODS:
        sql_node = call.args[0] if call.args else next((k.value for k in call.keywords if k.arg in ("sql", "operation")), None)
        _sql(sql_node, hook, access, ev, line, method)
    elif method in WRITE_TABLE_METHODS:
        table_node = call.args[0] if call.args else next((k.value for k in call.keywords if k.arg == "table"), None)
        _table(table_node, "write", hook, access, ev, line, method)


def _to_sql(call: ast.Call, ev: Evaluator, hooks: dict[str, _Hook], access: CallableAccess, line: int) -> None:
    name = ev.eval(call.args[0]) if call.args else ev.eval(next((k.value for k in call.keywords if k.arg == "name"), None))
    con = call.args[1] if len(call.args) > 1 else next((k.value for k in call.keywords if k.arg == "con"), None)
    hook = None
    if isinstance(con, ast.Name):
        hook = hooks.get(con.id)
    elif isinstance(con, ast.Call):
        hook = _hook_of(con, ev, hooks)
    schema = ev.eval(next((k.value for k in call.keywords if k.arg == "schema"), None))
    access.touches_database = True
    if not isinstance(name, str) or schema is UNKNOWN:
        access.unresolved.append(f"DataFrame.to_sql at line {line}: table name is built at run time")
        return
    table = f"{schema}.{name}" if isinstance(schema, str) and schema else name
    access.tables.append(HookTable(table, "write", hook.conn_id if hook else None, hook.dialect if hook else None, line, "to_sql"))


def _sql(node: ast.expr | None, hook: _Hook | None, access: CallableAccess, ev: Evaluator, line: int, method: str) -> None:
    access.touches_database = True
    value = ev.eval(node)
    if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
        value = ";\n".join(value)
    if not isinstance(value, str) or not is_known(value):
        access.unresolved.append(f"SQL passed to {method} at line {line} is built at run time")
        return
    access.sql.append(HookSql(value, hook.conn_id if hook else None, hook.dialect if hook else None, line, method))


def _table(node: ast.expr | None, mode: str, hook: _Hook | None, access: CallableAccess, ev: Evaluator, line: int, method: str) -> None:
    value = ev.eval(node)
    if not isinstance(value, str):
        access.unresolved.append(f"table passed to {method} at line {line} is built at run time")
        return
    access.tables.append(HookTable(value, mode, hook.conn_id if hook else None, hook.dialect if hook else None, line, method))


def _callee(func: ast.expr) -> str:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        base = _callee(func.value)
        return f"{base}.{func.attr}" if base else func.attr
    return ""


def _dedupe(access: CallableAccess) -> CallableAccess:
    seen: set[tuple[str, int]] = set()
    unique = []
    for item in access.sql:
        if (item.sql, item.line) not in seen:
            seen.add((item.sql, item.line))
            unique.append(item)
    access.sql = unique
    access.unresolved = list(dict.fromkeys(access.unresolved))
    return access
