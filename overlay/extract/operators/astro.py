"""Astro SDK tasks (``TaskSpec.sdk``, made by ``overlay/discover/astro``): their tables named as the SDK names them.

The connection is the task's (``conn_id``, or its first table's); its database kind (overlay.yaml's connection, else
what the id says) decides the schema Astro gives a table whose metadata is empty (``overlay.discover.astro.tables``).
A transform's SQL renders ``{{ name }}`` as the table given as that parameter and any other parameter as the bind
``:name`` Astro makes of it; the SQL is read as any SQL, its result written to the ``output_table``. A temporary table
(no name: Astro names it ``_tmp_<random>`` and drops it) is no table a catalog keeps, written or read, like a DataFrame
passed in XCom: it is left out with a note saying which task writes it, and the task is not made partial by it. A table
whose name is not known (a Variable) is, with the setting that would give it. ``aql.drop_table`` runs ``DROP TABLE``
as Astro does.
"""

from __future__ import annotations

import os
import re
from typing import Any

from overlay.connections import dialect_hint
from overlay.discover.astro.tables import qualified
from overlay.extract.context import TaskState
from overlay.extract.operators.rules import OperatorRule
from overlay.extract.templates.sources import Target, add_source, add_sql_arg, connection_of
from overlay.model import SqlSource

_UNSAFE = re.compile(r"\W+")


def astro_task(t: TaskState, rule: OperatorRule) -> None:
    sdk = t.spec.sdk or {}
    conn, conn_unknown = connection_of(t, ("conn_id",))
    connection = t.ctx.connection_specs.get(conn or "") or {}
    dialect = connection.get("dialect") or dialect_hint(conn)
    target = Target(conn, dialect, None, None, conn_unknown=conn_unknown)
    output, roles, schemas = sdk.get("output", ""), sdk.get("roles", {}), sdk.get("schemas", {})
    for param, table in (sdk.get("tables") or {}).items():
        name, why = qualified(table, dialect, connection, schemas)
        if name is not None and "{" in name:  # `Table.name` is a template field: `events_{{ ds_nodash }}`
            name = t.render(name, f"the name of `{param}`")
        if why and table.get("unknown"):
            why += "".join(t.origin(f"{param}.{part}") for part in table["unknown"])
        role = "write" if param == output else roles.get(param)
        if name is not None:
            t.template_values[param] = name
        elif role is None or role == "read":  # a table the SQL names, or reads whole: its name is a stand-in
            t.template_values[param] = _standin(t, param, table, why)
        if conn_unknown:
            continue
        if name is None and role == "write" and not table.get("temp"):
            t.unresolved(f"the table {t.operator} writes (`{param}`) is not named: {why} (line {t.spec.line})")
        elif name is None and role == "read" and table.get("temp"):
            t.note(_temporary_note(param, table))
        elif name is None and role == "read":
            t.unresolved(f"{t.operator} reads `{param}`, not named: {why} (line {t.spec.line})")
        elif name is not None and role in ("read", "write"):
            t.add_direct(name, role, t.operator, conn, dialect)
        elif name is not None and role == "drop":
            add_source(t, SqlSource(f"DROP TABLE IF EXISTS {name}", f"{t.operator}:{param}"), target)
    for param in sdk.get("unknown") or []:  # a value not known statically: a DataFrame (a temporary table), a Table...
        t.template_values[param] = _standin(t, param, {}, f"the value given as `{param}` is not known statically")
    for key, value in (t.args.get("op_kwargs") or {}).items():  # other parameters: SQL binds, as Astro passes them
        if isinstance(key, str) and key not in t.template_values:
            t.template_values[key] = f":{key}"
    if "sql" in t.args or t.is_unknown("sql"):
        found = _project_file(t, t.args.get("sql"))
        if found:
            t.args["sql"] = found
        add_sql_arg(t, "sql", target, rule.template_ext)
    if not t.found_anything:
        t.access.no_data = True  # aql.cleanup, a load into a DataFrame, a drop of a temporary table


def _project_file(t: TaskState, name: Any) -> str | None:
    """``transform_file("include/sql/x.sql")``: Astro opens a relative path from the project folder Airflow runs in
    (the DAG folder's parent in an Astro project); looked for in the DAG file's folder and each parent while overlay
    may read there, when the template search does not find it."""
    if not isinstance(name, str) or os.path.isabs(name) or not name.strip().endswith(".sql") or "\n" in name:
        return None
    if t.renderer.find_file(name) is not None or not t.spec.file:
        return None
    policy, folder, parents = t.renderer.policy, os.path.dirname(os.path.abspath(t.spec.file)), []
    while policy.allows(folder) and folder not in parents:
        parents.append(folder)
        folder = os.path.dirname(folder)
    return t.renderer.find_file(name.strip(), parents, template=False)


def _temporary_note(param: str, table: dict[str, Any]) -> str:
    task = table.get("from_task")
    source = f"what task `{task}` returns, " if task else ""
    return (f"`{param}` is {source}a temporary table Astro names at run time and drops: not catalogued "
            f"(an `output_table=Table(name=...)` on the task that writes it would catalog it)")


def _standin(t: TaskState, param: str, table: dict[str, Any], why: str | None) -> str:
    marker = "runtime_" + _UNSAFE.sub("_", param).strip("_").lower()
    if table.get("temp"):
        t.access.temporary[marker] = _temporary_note(param, table)
    else:
        t.code_standins[marker] = f"`{param}`: {why or 'not known statically'}"
    return marker
