"""Resolve one task: its SQL and direct table references -> asset keys, edges and a status.

Pure apart from the connection lookup: the lineage engine parses each SQL text with the dialect
and default database/schema of the task's connection, names become ``namespace:name`` keys, and
the task's status says how much of its data access is known.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from overlay.config import ConnectionSpec
from overlay.connections import FALLBACK_DIALECTS, ConnectionResolver, asset_namespace, dialect_hint
from overlay.lineage import analyze_sql
from overlay.lineage.memo import LineageMemo
from overlay.lineage.model import SqlLineage
from overlay.lineage.names import NameContext, name_from_text
from overlay.model import AssetRef, DirectAccess, ResolvedTask, SqlSource, TaskAccess, TaskSpec


@dataclass
class _Accumulator:
    reads: list[str] = field(default_factory=list)
    writes: list[str] = field(default_factory=list)
    edges: list[list[str]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    columns: dict[str, list[str]] = field(default_factory=dict)
    assets: dict[str, AssetRef] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    standins: dict[str, str] = field(default_factory=dict)  # placeholder -> what it stands for
    temporary: dict[str, str] = field(default_factory=dict)  # a temporary table's stand-in -> the note it gets

    def unknown_part(self, name: str) -> bool:
        """True (and the reason recorded) when the table name is built from a stand-in for an unknown value; a
        temporary table's stand-in is noted instead (no catalog keeps such a table)."""
        temporary = standin_in(name, self.temporary)
        if temporary is not None:
            if self.temporary[temporary] not in self.notes:
                self.notes.append(self.temporary[temporary])
            return True
        standin = standin_in(name, self.standins)
        if standin is None:
            return False
        error = f"table name {name!r} not recorded: it is built from a value not known statically, {self.standins[standin]}"
        if error not in self.errors:
            self.errors.append(error)
        return True

    def add(self, items: list[str], key: str) -> None:
        if key not in items:
            items.append(key)

    def edge(self, source: str, target: str) -> None:
        if source != target and [source, target] not in self.edges:
            self.edges.append([source, target])

    def asset(self, spec: ConnectionSpec, name: str) -> str:
        ref = AssetRef(namespace=asset_namespace(spec, name), name=name)
        self.assets[ref.key] = ref
        return ref.key


def resolve_task(task: TaskSpec, access: TaskAccess, connections: ConnectionResolver,
                 memo: LineageMemo | None = None) -> tuple[ResolvedTask, list[AssetRef]]:
    """``memo``: the lineage of SQL texts this scan has already analysed (a repeated text is parsed once)."""
    acc = _Accumulator(standins=dict(access.standins), temporary=dict(access.temporary))
    default_conn = _task_conn_id(task)
    for source in access.sql:
        _resolve_sql(source, default_conn, connections, acc, task, memo.analyze if memo is not None else analyze_sql)
    _resolve_direct(access.direct, default_conn, connections, acc)
    status = _status(access, acc)
    resolved = ResolvedTask(
        dag_id=task.dag_id,
        task_id=task.task_id,
        operator=task.operator,
        file=task.file,
        line=task.line,
        owner=task.owner,
        status=status,
        reads=acc.reads,
        writes=acc.writes,
        edges=acc.edges,
        errors=[*access.unresolved, *acc.errors],
        sql=[s.sql for s in access.sql],
        sql_files=sorted({s.file for s in access.sql if s.file}),
        columns=acc.columns,
        upstream=list(task.upstream),
        notes=[*access.notes, *(n for n in acc.notes if n not in access.notes)],
    )
    return resolved, list(acc.assets.values())


def _task_conn_id(task: TaskSpec) -> str | None:
    for key in ("conn_id", "postgres_conn_id", "snowflake_conn_id", "gcp_conn_id", "redshift_conn_id",
                "mysql_conn_id", "mssql_conn_id", "trino_conn_id", "databricks_conn_id", "oracle_conn_id"):
        value = task.args.get(key)
        if isinstance(value, str) and value:
            return value
    return None


def _context(spec: ConnectionSpec, database: str | None, schema: str | None) -> NameContext:
    return NameContext(dialect=spec.dialect, default_db=database or spec.database, default_schema=schema or spec.schema)


def _resolve_sql(source: SqlSource, default_conn: str | None, connections: ConnectionResolver,
                 acc: _Accumulator, task: TaskSpec, analyze: Callable[..., SqlLineage] = analyze_sql) -> None:
    conn_id = source.conn_id or default_conn
    spec = connections.resolve(conn_id, source.dialect, source.database)
    ctx = _context(spec, source.database, source.schema)
    if ctx.dialect:
        result = analyze(source.sql, dialect=ctx.dialect, default_db=ctx.default_db, default_schema=ctx.default_schema)
    else:
        result, note = _parse_any_dialect(source.sql, ctx, conn_id, task.operator, analyze)
        if note and note not in acc.notes:
            acc.notes.append(note)
    names = {*result.reads, *result.writes, *(n for e in result.edges for n in e)} if not source.unknown_database else set()
    keys = {name: acc.asset(spec, name) for name in sorted(names) if not acc.unknown_part(name)}
    for name in result.reads:
        if name in keys:
            acc.add(acc.reads, keys[name])
    for name in result.writes:
        if name in keys:
            acc.add(acc.writes, keys[name])
    for a, b in result.edges:
        if a in keys and b in keys:
            acc.edge(keys[a], keys[b])
    for table, cols in result.columns.items():
        if table in keys:
            acc.columns[keys[table]] = list(cols)  # a copy: the result may be a repeated text's, shared
    where = source.file or task.file
    base_line = (source.line or 1) if source.file else (task.line or 1)
    for error in result.errors:
        line = base_line + error.line - 1 if source.file else base_line
        what = error.message if error.opaque else f"does not parse: {error.message}"
        acc.errors.append(f"{where}:{line}: SQL statement {error.statement + 1} {what}")


def standin_in(name: str, standins: dict[str, str] | list[str]) -> str | None:
    """The stand-in a qualified table name is built from (as a whole ``_``-separated run of one of its parts)."""
    if not standins:
        return None
    lowered = name.lower()
    # a stand-in can match only where its text is in the name: the others are not looked at (most names hold none)
    standins = [s for s in standins if s.lower() in lowered]
    if not standins:
        return None
    parts = [re.split(r"_", p.strip('"`[]').lower()) for p in name.split(".")]
    for standin in standins:
        words = standin.lower().split("_")
        for tokens in parts:
            if any(tokens[i:i + len(words)] == words for i in range(len(tokens) - len(words) + 1)):
                return standin
        if ("-" in standin or standin.isdigit()) and standin.lower() in name.lower():
            return standin  # a stand-in date inside a word too: `{{ ts_nodash }}_scores` renders 20240115t000000_scores
    return None


def _parse_any_dialect(sql: str, ctx: NameContext, conn_id: str | None, operator: str,
                       analyze: Callable[..., SqlLineage] = analyze_sql) -> tuple[SqlLineage, str | None]:
    """SQL whose dialect neither the connection nor the operator says: the dialect the operator's class name
    or the conn_id names first, then the generic parser, then ``FALLBACK_DIALECTS``; the first that parses
    every statement wins (else the one with fewest errors). The note says which one parsed, and why."""
    hint = dialect_hint(operator) or dialect_hint(conn_id)
    chain = list(dict.fromkeys([hint, None, *FALLBACK_DIALECTS]))
    best: tuple[SqlLineage, str | None] | None = None
    for dialect in chain:
        result = analyze(sql, dialect=dialect, default_db=ctx.default_db, default_schema=ctx.default_schema)
        if best is None or len(result.errors) < len(best[0].errors):
            best = (result, dialect)
        if not result.errors:
            break
    result, dialect = best  # type: ignore[misc]
    if dialect is None:
        return result, None
    why = f"named by {operator if dialect == dialect_hint(operator) else f'conn_id {conn_id}'}" if dialect == hint else \
        f"the generic parser failed; tried {', '.join(d or 'generic' for d in chain[:chain.index(dialect) + 1])}"
    which = f"connection {conn_id!r} has no known type" if conn_id else "no connection is given"
    return result, (f"SQL parsed as {dialect} ({why}): {which}; set `dialect:` for it under `connections:` in overlay.yaml"
                    if conn_id else f"SQL parsed as {dialect} ({why}): {which}")


def _resolve_direct(direct: list[DirectAccess], default_conn: str | None, connections: ConnectionResolver,
                    acc: _Accumulator) -> None:
    groups: dict[str | None, tuple[list[str], list[str]]] = {}
    for item in direct:
        spec = connections.resolve(item.conn_id or default_conn, item.dialect)
        name = name_from_text(item.table, _context(spec, None, None))
        if not name:
            acc.errors.append(f"{item.origin}: cannot read table name {item.table!r}")
            continue
        if acc.unknown_part(name):
            continue
        key = acc.asset(spec, name)
        reads, writes = groups.setdefault(item.group, ([], []))
        if item.mode == "write":
            acc.add(acc.writes, key)
            writes.append(key)
        else:
            acc.add(acc.reads, key)
            reads.append(key)
    for group, (reads, writes) in groups.items():
        sources = reads if group is not None else [r for r in acc.reads if r not in writes]
        for target in writes:
            for source in sources:
                acc.edge(source, target)
    # one invocation building models from each other (dbt run: staging, then the mart from it): what another
    # group of the task builds is no input of the task, as a table a script creates and then reads is not
    built = {key: group for group, (_reads, writes) in groups.items() if group is not None for key in writes}
    inner = {key for group, (reads, _writes) in groups.items() if group is not None for key in reads
             if key in built and built[key] != group}
    acc.reads[:] = [r for r in acc.reads if r not in inner]


def _status(access: TaskAccess, acc: _Accumulator) -> str:
    found = bool(acc.reads or acc.writes)
    problems = bool(access.unresolved or acc.errors)
    if found and problems:
        return "partial"
    if found:
        return "resolved"
    if problems:
        return "unresolved"
    if access.sql:  # SQL that touches no table (SELECT 1, SET ...)
        return "no_data"
    return "no_data" if access.no_data or not access.direct else "unresolved"
