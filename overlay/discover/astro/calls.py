"""Astro SDK calls met by the static interpreter: its decorators, its functions and its ``Table``/``File`` objects.

``@aql.transform`` / ``@aql.run_raw_sql`` functions return the SQL they run (a tuple adds its parameters), in which
``{{ name }}`` is the table or value given as that parameter; ``aql.transform_file(file_path, parameters=...)`` reads
it from a file. A transform writes its ``output_table`` (a temporary table when given none); ``@aql.dataframe`` reads
the tables it is given whole and writes its ``output_table`` when given one; ``aql.load_file`` writes its
``output_table`` from a file; ``aql.append``/``aql.merge`` read ``source_table`` into ``target_table``;
``aql.export_to_file`` (``export_file``, ``export_table_to_file``), ``aql.check_table`` and ``aql.check_column``
read the table they are given; ``aql.drop_table`` and ``aql.cleanup`` bring no rows anywhere.

A call is the task (its id is Astro's: the function's name, ``__1``, ``__2`` for later calls in the same DAG, or the
``task_id`` given) and, where a later call is given it, the table that task writes. The connection is the one given,
else the first table's, as Astro picks it. What each task is given goes to ``TaskSpec.sdk`` for extraction
(``overlay/extract/operators/astro.py``), which names the tables once the connection's database kind is known.
"""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING, Any

from overlay.discover.astro import tables
from overlay.discover.evaluate import NOT_HANDLED, UNKNOWN, is_data, is_known, plain
from overlay.discover.static.refs import FunctionRef, TaskRef, link
from overlay.discover.static.specs import merged_defaults
from overlay.model import TaskSpec

if TYPE_CHECKING:
    from overlay.discover.static.scanner import StaticScanner

DECORATORS = {"transform": "@aql.transform", "run_raw_sql": "@aql.run_raw_sql", "dataframe": "@aql.dataframe"}
OBJECTS = {"Table": ("name", "conn_id", "metadata", "columns", "temp"), "TempTable": ("name", "conn_id", "metadata"),
           "Metadata": ("schema", "database"), "File": ("path", "conn_id", "filetype")}
# function -> (Astro's task id when none is given, its positional parameters, {parameter: what it is to the task})
FUNCTIONS: dict[str, tuple[str, tuple[str, ...], dict[str, str]]] = {
    "load_file": ("load_file", ("input_file", "output_table"), {"output_table": "write"}),
    "append": ("append_table", ("source_table", "target_table"), {"source_table": "read", "target_table": "write"}),
    "merge": ("merge", ("target_table", "source_table"), {"source_table": "read", "target_table": "write"}),
    "export_to_file": ("export_to_file", ("input_data", "output_file"), {"input_data": "read"}),
    "export_file": ("export_to_file", ("input_data", "output_file"), {"input_data": "read"}),
    "export_table_to_file": ("export_to_file", ("input_data", "output_file"), {"input_data": "read"}),
    "check_table": ("check_table", ("dataset", "checks"), {"dataset": "read"}),
    "check_column": ("check_column", ("dataset", "column_mapping"), {"dataset": "read"}),
    "drop_table": ("drop", ("table",), {"table": "drop"}),
    "cleanup": ("cleanup", ("tables_to_cleanup",), {}),
    "transform_file": ("transform", ("file_path",), {"output_table": "write"}),
    "get_value_list": ("get_value_list", ("sql", "conn_id"), {}),
}
# operator classes used as such, read as the function that makes them (keyword arguments are the same)
CLASSES = {"LoadFileOperator": "load_file", "AppendOperator": "append", "MergeOperator": "merge",
           "ExportToFileOperator": "export_to_file", "ExportTableToFileOperator": "export_to_file",
           "ExportFileOperator": "export_to_file", "DropTableOperator": "drop_table", "CleanupOperator": "cleanup",
           "ColumnCheckOperator": "check_column"}
_TABLE_KEYS = ("output_table", "conn_id", "parameters", "database", "schema", "handler", "task_id")


def decorator(qualified: str) -> str | None:
    """``astro.sql.transform`` (``aql.transform``, ``@transform(...)``) -> ``@aql.transform``; None for others."""
    return DECORATORS.get(qualified.rsplit(".", 1)[-1]) if qualified.startswith("astro.") else None


def astro_call(scanner: StaticScanner, name: str, node: ast.Call, scope: dict[str, Any]) -> Any:
    short = name.rsplit(".", 1)[-1]
    if short in OBJECTS:
        values = _arguments(scanner, node, scope, OBJECTS[short])
        made = {"Metadata": tables.metadata, "File": tables.file}.get(short, tables.table)(values)
        if short in ("Table", "TempTable"):
            made["origins"] = _origins(scanner, node, scope, OBJECTS[short], values)
        return made
    if short in FUNCTIONS:
        return _function_task(scanner, short, node, scope)
    if short in CLASSES:  # `LoadFileOperator(task_id=..., input_file=..., output_table=...)`: as its function
        return _function_task(scanner, CLASSES[short], node, scope)
    return NOT_HANDLED


def _arguments(scanner: StaticScanner, node: ast.Call, scope: dict[str, Any], positional: tuple[str, ...]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for param, arg in zip(positional, node.args):
        values[param] = UNKNOWN if isinstance(arg, ast.Starred) else scanner.value(arg, scope)
    for kw in node.keywords:
        if kw.arg is None:
            spread = scanner.value(kw.value, scope)
            if isinstance(spread, dict):
                values.update({k: v for k, v in spread.items() if isinstance(k, str)})
        else:
            values[kw.arg] = scanner.value(kw.value, scope)
    return values


def _origins(scanner: StaticScanner, node: ast.Call, scope: dict[str, Any], positional: tuple[str, ...],
             values: dict[str, Any]) -> dict[str, str]:
    """For each argument not known statically, what its value comes from where static mode can tell
    (``Variable 'target'``): the report names the setting that would give it."""
    given = {**dict(zip(positional, node.args)), **{kw.arg: kw.value for kw in node.keywords if kw.arg}}
    ev = scanner.evaluator(scope)
    found = {}
    for name, arg in given.items():
        if name in values and not is_known(values[name]):
            origin = scanner.origins.of(arg, ev)
            if origin:
                found[name] = ", ".join(origin)
    return found


def as_table(value: Any) -> dict[str, Any] | None:
    """What a task is given where Astro expects a table: a ``Table``, or an earlier task's output (the table it writes;
    a temporary one, or a DataFrame Astro loads into one, when that task names none)."""
    if tables.is_record(value, "table"):
        return value
    if isinstance(value, TaskRef):
        written = value.spec.sdk.get("tables", {}).get(value.spec.sdk.get("output", ""))
        if written is not None:
            return {**written, "from_task": value.spec.task_id}
        return tables.table({"temp": True}) | {"from_task": value.spec.task_id}
    return None


def _new_task(scanner: StaticScanner, node: ast.Call, scope: dict[str, Any], label: str, operator: str,
              explicit: Any) -> tuple[TaskSpec, Any, Any]:
    """A task with Astro's id: ``task_id`` when given, else ``label`` numbered as Airflow numbers a repeated one."""
    dag, group = scanner.current_dag(node, scope), scanner.current_group(node, scope)
    if isinstance(explicit, str) and explicit:
        task_id = group.child_id(explicit) if group is not None else explicit
    else:
        task_id = scanner.numbered_id(dag, group, label)
    line = node.lineno if scanner.ctx is scanner.main else scanner.site_line
    task = TaskSpec(dag_id=dag.dag_id if dag else "", task_id=task_id, operator=operator, file=scanner.path, line=line)
    task.args = merged_defaults(dag, group)
    return task, dag, group


def _function_task(scanner: StaticScanner, short: str, node: ast.Call, scope: dict[str, Any]) -> Any:
    label, positional, roles = FUNCTIONS[short]
    values = _arguments(scanner, node, scope, positional)
    task, dag, group = _new_task(scanner, node, scope, label, f"aql.{short}", values.get("task_id"))
    given = {param: as_table(values.get(param)) for param in roles if param in values}
    sdk_tables = {param: t for param, t in given.items() if t is not None}
    for param in roles:
        if param in values and param not in sdk_tables:
            task.unknown_args.append(param)
    for key, value in values.items():
        if key in roles or key == "task_id":
            continue
        if is_known(value) and is_data(value):
            task.args[key] = plain(value)
        elif key in ("sql", "file_path", "conn_id", "parameters"):
            task.unknown_args.append(key)
    if short == "transform_file":
        if isinstance(values.get("file_path"), str):
            task.args["sql"] = values["file_path"]
        sdk_tables.setdefault("output_table", tables.table({"temp": True}))  # none given: a temporary table
    _parameters(task, values.get("parameters"), sdk_tables)
    output = next((p for p, role in roles.items() if role == "write"), "")
    _finish(scanner, task, sdk_tables, output, roles)
    ref = scanner.register(task, dag, group, node)
    for value in values.values():
        for up in value if isinstance(value, (list, tuple)) else [value]:
            if isinstance(up, TaskRef):
                link(up, ref)
    return ref


def taskflow(scanner: StaticScanner, fn: FunctionRef, task: TaskSpec, node: ast.Call, scope: dict[str, Any],
             bound: dict[str, Any]) -> None:
    """A call of an ``@aql.transform``/``run_raw_sql``/``dataframe`` function: its SQL (what the function returns,
    for the first two), the tables it is given by parameter, and its ``output_table``."""
    extra = {kw.arg: scanner.value(kw.value, scope) for kw in node.keywords if kw.arg in _TABLE_KEYS}
    bound = {k: v for k, v in bound.items() if k not in _TABLE_KEYS}
    sdk_tables = {p: t for p, t in ((p, as_table(v)) for p, v in bound.items()) if t is not None}
    values = {p: plain(v) for p, v in bound.items() if p not in sdk_tables and is_known(v) and is_data(v)}
    task.args["op_kwargs"] = values
    unknown = [p for p, v in bound.items() if p not in sdk_tables and p not in values]
    for key in ("conn_id", "database", "schema"):
        if key in extra and is_known(extra[key]) and is_data(extra[key]):
            task.args[key] = plain(extra[key])
    if "output_table" in extra:
        written = as_table(extra["output_table"])
        if written is not None:
            sdk_tables["output_table"] = written
        else:
            task.unknown_args.append("output_table")
    elif fn.decorator_name not in ("@aql.run_raw_sql", "@aql.dataframe"):
        sdk_tables["output_table"] = tables.table({"temp": True})
    if fn.decorator_name != "@aql.dataframe":
        returned = scanner.returned_value(fn, bound)
        if isinstance(returned, tuple) and len(returned) == 2:
            returned, params = returned
            _parameters(task, params, sdk_tables)
        if isinstance(returned, str) and returned.strip():
            task.args["sql"] = returned
        else:
            task.unknown_args.append("sql")
    _parameters(task, task.args.get("parameters"), sdk_tables)
    roles = {p: "read" for p in sdk_tables if p != "output_table"} if fn.decorator_name == "@aql.dataframe" else {}
    _finish(scanner, task, sdk_tables, "output_table" if "output_table" in sdk_tables else "", roles)
    task.sdk["unknown"] = unknown  # parameters whose value is not known: a DataFrame, a Table a helper builds...


def _parameters(task: TaskSpec, params: Any, sdk_tables: dict[str, Any]) -> None:
    """``parameters={...}`` (or a returned tuple's): tables among them are tables, the rest SQL parameters."""
    if not isinstance(params, dict):
        return
    binds = task.args.setdefault("op_kwargs", {})
    for key, value in params.items():
        found = as_table(value)
        if found is not None:
            sdk_tables[key] = found
        elif is_known(value) and is_data(value):
            binds[key] = plain(value)
    task.args.pop("parameters", None)


def _finish(scanner: StaticScanner, task: TaskSpec, sdk_tables: dict[str, Any], output: str, roles: dict[str, str]) -> None:
    environment = scanner.repo.environment if scanner.repo is not None else {}
    first = next((t for p, t in sdk_tables.items() if p != output and t.get("conn_id")), None)
    if not task.args.get("conn_id") and "conn_id" not in task.unknown_args:
        conn = (first or {}).get("conn_id") or (sdk_tables.get(output) or {}).get("conn_id")
        if conn:
            task.args["conn_id"] = conn
    if output in sdk_tables and not sdk_tables[output].get("conn_id") and task.args.get("conn_id"):
        sdk_tables[output] = {**sdk_tables[output], "conn_id": task.args["conn_id"]}
    for param, table in sdk_tables.items():  # where a table's name comes from, for the report's reason
        for name, origin in (table.get("origins") or {}).items():
            task.unknown_origins[f"{param}.{name}"] = origin
    task.sdk = {"tables": {p: plain(t) for p, t in sdk_tables.items()}, "output": output if output in sdk_tables else "",
                "roles": roles, "schemas": tables.default_schemas(environment)}
