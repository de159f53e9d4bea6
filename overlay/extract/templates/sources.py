"""SQL argument values -> ``SqlSource`` records: inline text or template files, rendered.

A value may be a string, a list of strings, or a file name ending with one of the operator's
``template_ext`` (found the way Airflow's loader finds it). DB-API parameter markers
(``%s``, ``%(name)s``) become ``?``/``:name`` so every dialect's parser accepts them.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

import sqlglot
from sqlglot import exp

from overlay.extract.operators.bqnames import legacy_to_standard
from overlay.extract.context import TaskState
from overlay.extract.templates.render import TemplateError
from overlay.extract.templates.standins import STANDIN_DATES, describe_standin
from overlay.model import SqlSource

# dialects whose names have two levels: what Airflow calls the database is the schema level
TWO_LEVEL = frozenset({"mysql", "hive", "spark", "spark2", "clickhouse", "doris", "starrocks"})
# dialects whose hooks read ``schema`` as a schema; elsewhere (Postgres, MySQL, SQL Server...) the
# connection's schema field, and a hook's ``schema=``, name the database
SCHEMA_MEANS_SCHEMA = frozenset({"snowflake", "databricks", "trino", "presto", "bigquery", "exasol", "oracle", "teradata", "athena"})
_SKIPPED = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|`[^`]*`|--[^\n]*|/\*.*?\*/|(\$\w*\$).*?\1", re.S)
_MARKER = re.compile(r"%\((\w+)\)s|%s(?!\w)|%%")


@dataclass(frozen=True)
class Target:
    """Where SQL runs: connection, implied dialect, operator-level database and schema."""

    conn_id: str | None = None
    dialect: str | None = None
    database: str | None = None
    schema: str | None = None
    conn_unknown: bool = False  # a connection argument is given but not known statically: no database can be named


def connection_of(t: TaskState, names: tuple[str, ...]) -> tuple[str | None, bool]:
    """The connection id the arguments give, and whether one is given but not known statically
    (``conn_id=Variable.get("db")``): then the operator's default connection is not the one it uses, and no
    database can be named for its tables (its SQL is kept, the reason says which argument)."""
    conn = t.conn(names)
    unknown = [n for n in names if t.is_unknown(n)] if conn is None else []
    if unknown:
        t.unresolved(f"the connection of {t.operator} (`{unknown[0]}`) is not known statically (line {t.spec.line}): "
                     f"its tables' database is not known{t.origin(unknown[0])}")
    return conn, bool(unknown)


def scope(dialect: str | None, database: str | None, schema: str | None) -> tuple[str | None, str | None]:
    """(database, schema) in the lineage engine's terms: two-level dialects have no database level."""
    if dialect in TWO_LEVEL:
        return None, schema or database
    return database, schema


def hook_scope(dialect: str | None, database: str | None, schema: str | None) -> tuple[str | None, str | None]:
    """A hook's ``database=``/``schema=`` (or ``hook_params``) as (database, schema): ``schema`` alone is
    the connection's schema field, which names the database except where ``SCHEMA_MEANS_SCHEMA``."""
    if schema and not database and dialect not in SCHEMA_MEANS_SCHEMA:
        return schema, None
    return database, schema


def add_sql_arg(t: TaskState, arg: str, target: Target, template_ext: tuple[str, ...], legacy_sql: bool = False) -> int:
    """Add the SQL held by argument ``arg``; returns how many pieces were added."""
    if t.is_unknown(arg):
        t.unresolved(f"`{arg}` of {t.operator} is computed at run time (line {t.spec.line}){t.origin(arg)}")
        return 0
    value = t.value(arg)
    items = value if isinstance(value, (list, tuple)) else [value]
    added = 0
    for item in items:
        if isinstance(item, str) and item.strip():
            source = sql_source(t, item, arg, template_ext)
            if source is not None:
                add_source(t, source, target, legacy_sql)
                added += 1
    return added


def add_source(t: TaskState, source: SqlSource, target: Target, legacy_sql: bool = False) -> None:
    source.conn_id, source.dialect = target.conn_id, target.dialect
    source.database, source.schema = scope(target.dialect, target.database, target.schema)
    source.unknown_database = source.unknown_database or target.conn_unknown
    if legacy_sql:
        source.sql = legacy_to_standard(source.sql)
    t.add_sql(source)


def sql_source(t: TaskState, text: str, origin: str, template_ext: tuple[str, ...]) -> SqlSource | None:
    """One SQL text or template file, rendered; None (with the reason recorded) when it cannot be."""
    name = text.strip()
    if template_ext and name.endswith(tuple(template_ext)) and "\n" not in name:
        path = t.renderer.find_file(name)
        if path is not None:
            return file_source(t, path, f"sql_file:{name}")
        if not re.search(r"\s", name):
            t.unresolved(f"SQL file {name!r} not found in template_searchpath or the DAG folder "
                         f"(searched {', '.join(t.renderer.searchpath) or 'nothing'})")
            return None
    rendered = t.render(text, f"SQL in `{origin}`")
    if rendered is None or not known_as_sql(t, rendered, f"SQL in `{origin}`"):
        return None
    return SqlSource(normalize_markers(rendered), origin, line=t.spec.line)


def known_as_sql(t: TaskState, rendered: str, what: str) -> bool:
    """Whether rendered SQL is the statement the task runs apart from values: a stand-in for a value not known
    statically (``{{ var.value.x }}``, a missing param) may sit in a string literal or a table's name (resolution
    refuses that name, saying why), not in a clause or an expression, which could name tables nobody can see. Such a
    text is kept (its tables named in full are the task's) and the task is partial; one that is a stand-in as a whole is
    not SQL overlay can read (False)."""
    from overlay.extract.python.partial_text import values_or_names_only  # the rule code-built SQL follows too

    used = [s for s in (*t.renderer.standins, *t.code_standins) if s not in STANDIN_DATES and s in rendered]
    if not used or values_or_names_only(rendered, used) or not _parses(rendered):
        return True  # (SQL the generic parser does not read is left to the dialect's, and to its own reason)
    described = "; ".join(t.code_standins.get(s) or describe_standin(s, t.renderer.standins[s]) for s in used[:3])
    if rendered.strip().rstrip(";").strip() in used:
        t.unresolved(f"{what} is a value not known statically: {described} (line {t.spec.line})")
        return False
    t.unresolved(f"part of the {what} is a value not known statically ({described}); the tables it names in full "
                 f"are kept (line {t.spec.line})")
    return True


def file_source(t: TaskState, path: str, origin: str) -> SqlSource | None:
    t.read_from(path)
    try:
        text = t.renderer.render_file(path, t.params(), t.spec.task_id, t.template_values)
    except TemplateError as e:
        t.unresolved(f"{e.file or path}:{e.line or 1}: {e}")
        return None
    if not known_as_sql(t, text, f"SQL of {os.path.basename(path)}"):
        return None
    return SqlSource(normalize_markers(text), origin, file=path, line=1)


def normalize_markers(sql: str) -> str:
    """``%(name)s`` -> ``:name`` and ``%s`` -> ``?`` outside quotes and comments (DB-API pyformat markers); a
    marker cast the PostgreSQL way (``%s::varchar[]``) becomes ``:param::`` since ``?::`` reads as a JSON operator."""
    if "%" not in sql:
        return sql
    out, last = [], 0
    for skipped in _SKIPPED.finditer(sql):
        out.append(_MARKER.sub(_marker, sql[last:skipped.start()]))
        out.append(skipped.group(0))
        last = skipped.end()
    out.append(_MARKER.sub(_marker, sql[last:]))
    return "".join(out)


def _marker(match: re.Match[str]) -> str:
    if match.group(0) == "%%":
        return "%"
    if match.group(1):
        return f":{match.group(1)}"
    return ":param" if match.string.startswith("::", match.end()) else "?"


def _parses(sql: str) -> bool:
    """The generic parser reads the text as statements it knows the shape of (not as opaque commands)."""
    try:
        statements = [s for s in sqlglot.parse(normalize_markers(sql)) if s is not None]
    except Exception:  # noqa: BLE001 - any parser error: not read here
        return False
    return bool(statements) and not any(isinstance(s, exp.Command) for s in statements)
