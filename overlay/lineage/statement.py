"""One parsed statement -> the tables it reads and writes.

One walk over sqlglot's expression tree: write targets are found per node type (so DML nested
in CTEs counts too), every other ``Table`` node is a read unless it names a CTE in scope, a
table function, a location or a system catalog.
"""

from __future__ import annotations

from sqlglot import exp

from overlay.lineage import commands
from overlay.lineage.model import StatementLineage
from overlay.lineage.names import (
    NameContext,
    is_system_table,
    is_table_function,
    location_of,
    name_from_text,
    table_name,
)

_NO_LINEAGE_CREATE_KINDS = frozenset(
    {"FUNCTION", "PROCEDURE", "SCHEMA", "DATABASE", "INDEX", "SEQUENCE", "MACRO", "STAGE", "TYPE", "ROLE", "USER",
     "WAREHOUSE", "TRIGGER", "FILE FORMAT", "EXTENSION", "CONSTRAINT", "TAG", "MASKING POLICY"}
)
# statements whose table references are rows being read; in any other statement (DROP, USE,
# DESCRIBE, ANALYZE, GRANT, UNCACHE...) a table name is an object acted on, not data read
_READING_ROOTS = (exp.Query, exp.Insert, exp.Update, exp.Delete, exp.Merge, exp.MultitableInserts, exp.Create,
                  exp.Copy, exp.Cache, exp.Command, exp.Alter)


class _Collector:
    """Mutable state while walking one statement."""

    def __init__(self, ctx: NameContext) -> None:
        self.ctx = ctx
        self.result_writes: list[str] = []
        self.result_reads: list[str] = []
        self.temporary: list[str] = []
        self.dropped: list[str] = []
        self.renamed: list[tuple[str, str]] = []
        self.swapped: list[tuple[str, str]] = []
        self.locations: list[str] = []
        self.columns: dict[str, list[str]] = {}
        self.not_read: set[int] = set()  # ids of Table nodes that are targets, not sources

    def write(self, table: exp.Expression | None, temporary: bool = False) -> str | None:
        table = _unwrap_table(table)
        if table is None:
            return None
        self.not_read.add(id(table))
        location = location_of(table)
        if location:
            self.locations.append(location)
            return None
        if is_table_function(table):
            return None
        name = table_name(_alias_as_name(table), self.ctx)
        if temporary or _is_temp_identifier(table):
            self.temporary.append(name)
        _add(self.result_writes, name)
        return name

    def target(self, table: exp.Expression | None) -> str | None:
        """Mark a table as a non-read target and return its name (DROP, RENAME...)."""
        table = _unwrap_table(table)
        if table is None or is_table_function(table) or location_of(table):
            return None
        self.not_read.add(id(table))
        return table_name(table, self.ctx)


def analyze_statement(expression: exp.Expression, index: int, line: int, ctx: NameContext) -> StatementLineage:
    c = _Collector(ctx)
    kind = _analyze_tree(expression, c)
    if isinstance(expression, exp.Command):
        kind = commands.analyze(expression, c, _analyze_tree)
    opaque = commands.opaque(expression, c, _analyze_tree)
    return StatementLineage(
        opaque=opaque,
        index=index,
        line=line,
        kind=kind,
        reads=c.result_reads,
        writes=c.result_writes,
        temporary=c.temporary,
        dropped=c.dropped,
        renamed=c.renamed,
        swapped=c.swapped,
        locations=c.locations,
        columns=c.columns,
    )


def _analyze_tree(root: exp.Expression, c: _Collector) -> str:
    tables, functions, actions, cte_names = _index(root)
    if _creates_non_data_object(root):  # CREATE PROCEDURE p AS INSERT ...: the body runs when it is called, not now
        return _kind_of(root)
    for node in actions:
        _TARGET_HANDLERS[type(node)](node, c)
    if isinstance(root, _READING_ROOTS) and not _creates_non_data_object(root):
        _collect_reads(tables, c, cte_names)
        _collect_procedures(functions, c)
    return _kind_of(root)


def _index(root: exp.Expression) -> tuple[list[exp.Table], list[exp.Anonymous], list[exp.Expression], set[str]]:
    """One depth-first walk: the tables (in source order), anonymous functions, target-bearing nodes, CTE names."""
    tables: list[exp.Table] = []
    cte_names: set[str] = set()
    functions: list[exp.Anonymous] = []
    actions: list[exp.Expression] = []
    handlers = _TARGET_HANDLERS
    expression = exp.Expression
    stack = [root]
    while stack:  # Expression.walk(bfs=False)'s order without its generator: 40% less time on a typical statement
        node = stack.pop()
        for value in reversed(list(node.args.values())):
            if type(value) is list:
                stack.extend(x for x in reversed(value) if isinstance(x, expression))
            elif isinstance(value, expression):
                stack.append(value)
        kind = type(node)
        if kind is exp.Table:
            tables.append(node)
        elif kind is exp.Anonymous:
            functions.append(node)
        elif kind is exp.CTE:
            cte_names.add(node.alias_or_name.lower())
        elif kind in handlers and (kind is not exp.Select or node.args.get("into")):
            actions.append(node)
    return tables, functions, actions, cte_names


def _creates_non_data_object(root: exp.Expression) -> bool:
    return isinstance(root, exp.Create) and (root.args.get("kind") or "").upper() in _NO_LINEAGE_CREATE_KINDS


def _select_into(node: exp.Select, c: _Collector) -> None:
    into = node.args["into"]
    name = c.write(into.this, temporary=bool(into.args.get("temporary")))
    if name:
        c.columns[name] = _select_columns(node)


def _merge(node: exp.Merge, c: _Collector) -> None:
    c.write(node.this)


def _truncate(node: exp.TruncateTable, c: _Collector) -> None:
    for table in node.expressions:
        c.write(table)


def _drop(node: exp.Drop, c: _Collector) -> None:
    if (node.args.get("kind") or "").upper() in ("TABLE", "VIEW", "MATERIALIZED VIEW", "DYNAMIC TABLE"):
        for table in [node.this, *(node.args.get("tables") or []), *node.expressions]:
            name = c.target(table)
            if name:
                c.dropped.append(name)


def _cache(node: exp.Cache, c: _Collector) -> None:
    c.write(node.this, temporary=True)


def _refresh_metadata(node: exp.Refresh, c: _Collector) -> None:
    c.target(node.this)  # Spark REFRESH TABLE only invalidates cached metadata


def _kind_of(root: exp.Expression) -> str:
    if isinstance(root, exp.Create):
        kind = (root.args.get("kind") or "").lower()
        if kind == "table" and root.expression is not None:
            return "create_table_as"
        if kind == "view" and _has_property(root, exp.MaterializedProperty):
            return "create_materialized_view"
        return f"create_{kind.replace(' ', '_')}" if kind else "create"
    if isinstance(root, exp.Select) and root.args.get("into"):
        return "select_into"
    if isinstance(root, exp.Query):
        return "select"
    if isinstance(root, exp.MultitableInserts):
        return "insert_multitable"
    if isinstance(root, exp.Insert) and root.args.get("overwrite"):
        return "insert_overwrite"
    if isinstance(root, exp.Alter):
        actions = root.args.get("actions") or []
        if any(isinstance(a, exp.AlterRename) for a in actions):
            return "rename"
        if any(isinstance(a, exp.SwapTable) for a in actions):
            return "swap"
        return "alter"
    if isinstance(root, exp.TruncateTable):
        return "truncate"
    return root.key


def _insert(node: exp.Insert, c: _Collector) -> None:
    target = node.this
    name = c.write(target)
    if not name:
        return
    if isinstance(target, exp.Schema) and target.expressions:
        c.columns[name] = [col.name for col in target.expressions if col.name]
    elif isinstance(node.expression, exp.Query):
        c.columns[name] = _select_columns(node.expression)


def _update_or_delete(node: exp.Update | exp.Delete, c: _Collector) -> None:
    target = _unwrap_table(node.this)
    if target is None:
        return
    # T-SQL/MySQL: `UPDATE alias ... FROM real_table AS alias` / `DELETE alias FROM real_table alias`
    if isinstance(node, exp.Delete) and node.args.get("tables"):
        for alias_ref in node.args["tables"]:
            c.not_read.add(id(alias_ref))
            c.write(_aliased_table(node, alias_ref.name, exclude=alias_ref) or alias_ref)
        return
    if not target.args.get("db") and not target.alias:
        real = _aliased_table(node, target.name, exclude=target)
        if real is not None:
            c.not_read.add(id(target))
            c.write(real)
            return
    c.write(target)


def _create(node: exp.Create, c: _Collector) -> None:
    if _creates_non_data_object(node):
        return
    temporary = _has_property(node, exp.TemporaryProperty) or _has_property(node, exp.VolatileProperty)
    name = c.write(node.this, temporary=temporary)
    if not name:
        return
    schema = node.this
    if isinstance(schema, exp.Schema) and schema.expressions:
        c.columns[name] = [col.name for col in schema.expressions if isinstance(col, exp.ColumnDef)]
    elif isinstance(node.expression, exp.Query):
        c.columns[name] = _select_columns(node.expression)


def _copy(node: exp.Copy, c: _Collector) -> None:
    loads = bool(node.args.get("kind"))  # COPY INTO x FROM ... / COPY x FROM ...
    this = node.this
    if isinstance(this, exp.Table) and location_of(this) is None:
        if loads:
            c.write(this)
        # COPY table TO ...: the table is read; found by the read walk
    elif isinstance(this, exp.Table):
        c.write(this)  # records the location written
    for source in node.args.get("files") or []:
        if isinstance(source, exp.Table) and location_of(source):
            c.not_read.add(id(source))
            c.locations.append(location_of(source) or "")
        elif isinstance(source, exp.Literal) and source.is_string:
            c.locations.append(source.name)


def _alter(node: exp.Alter, c: _Collector) -> None:
    for action in node.args.get("actions") or []:
        if isinstance(action, exp.AlterRename):
            source = c.target(node.this)
            new = _unwrap_table(action.this)
            if source and new is not None:
                c.not_read.add(id(new))
                c.renamed.append((source, _rename_target(node.this, new, c.ctx)))
        elif isinstance(action, exp.SwapTable):
            altered = c.target(node.this)
            other = c.target(action.this)
            if altered and other:
                c.swapped.append((altered, other))
    c.target(node.this)


def _rename_target(source: exp.Expression, new: exp.Table, ctx: NameContext) -> str:
    """`ALTER TABLE s.a_new RENAME TO a` renames within schema s (Postgres, Snowflake)."""
    source_table = _unwrap_table(source)
    if source_table is not None and not new.args.get("db") and source_table.args.get("db"):
        new = new.copy()
        new.set("db", source_table.args["db"].copy())
        if source_table.args.get("catalog"):
            new.set("catalog", source_table.args["catalog"].copy())
    return table_name(new, ctx)


def _collect_reads(tables: list[exp.Table], c: _Collector, cte_names: set[str]) -> None:
    scopes = _CteScopes()
    for table in tables:
        if id(table) in c.not_read or is_table_function(table) or is_system_table(table, c.ctx.dialect):
            continue
        location = location_of(table)
        if location:
            c.locations.append(location)
            continue
        if isinstance(table.parent, exp.Directory):
            continue
        if cte_names and not table.args.get("db") and table.name.lower() in cte_names \
                and scopes.is_cte_reference(table):
            continue
        _add(c.result_reads, table_name(_alias_as_name(table), c.ctx))


def _collect_procedures(functions: list[exp.Anonymous], c: _Collector) -> None:
    """Built-in procedures that move rows between tables named by string arguments."""
    for fn in functions:
        rule = commands.TABLE_MOVING_FUNCTIONS.get(fn.name.lower())
        if not rule:
            continue
        args = fn.expressions
        read_at, write_at = rule
        if len(args) > max(read_at, write_at):
            source = name_from_text(args[read_at].name, c.ctx)
            target = name_from_text(args[write_at].name, c.ctx)
            if source and target:
                _add(c.result_reads, source)
                _add(c.result_writes, target)


class _CteScopes:
    """Which unqualified table names refer to a CTE visible where they stand.

    A query's WITH is visible in the rest of the query; inside the WITH, a CTE sees the ones
    before it (and itself when RECURSIVE). Scopes are computed bottom-up with a memo per node,
    so the work is linear in the tree even for thousands of CTEs or UNIONs.
    A scope is (first position of each CTE name, visible below this position, enclosing scope).
    """

    def __init__(self) -> None:
        self.memo: dict[int, tuple | None] = {}
        self.positions: dict[int, dict[str, int]] = {}

    def is_cte_reference(self, table: exp.Table) -> bool:
        scope = self._scope_of(table)
        name = table.name.lower()
        while scope is not None:
            positions, below, scope = scope
            position = positions.get(name)
            if position is not None and position < below:
                return True
        return False

    def _scope_of(self, node: exp.Expression) -> tuple | None:
        path: list[exp.Expression] = []
        current: exp.Expression | None = node
        while current is not None and id(current) not in self.memo:
            path.append(current)
            current = current.parent
        for child in reversed(path):
            parent = child.parent
            self.memo[id(child)] = None if parent is None else self._child_scope(parent, child)
        return self.memo[id(node)]

    def _child_scope(self, parent: exp.Expression, child: exp.Expression) -> tuple | None:
        scope = self.memo[id(parent)]
        if isinstance(parent, exp.With):
            positions = self._positions(parent)
            if isinstance(child, exp.CTE):
                index = child.index if child.arg_key == "expressions" else None
                if index is not None:
                    return (positions, index + (1 if parent.args.get("recursive") else 0), scope)
            return scope
        with_ = parent.args.get("with_")
        if isinstance(with_, exp.With):
            if child is with_:
                return scope
            return (self._positions(with_), float("inf"), scope)
        return scope

    def _positions(self, with_: exp.With) -> dict[str, int]:
        positions = self.positions.get(id(with_))
        if positions is None:
            positions = {}
            for i, cte in enumerate(with_.expressions):
                positions.setdefault(cte.alias_or_name.lower(), i)
            self.positions[id(with_)] = positions
        return positions


def _aliased_table(node: exp.Expression, alias: str, exclude: exp.Expression | None = None) -> exp.Table | None:
    alias = alias.lower()
    for table in node.find_all(exp.Table):
        if table is exclude:
            continue
        if table.alias and table.alias.lower() == alias:
            return table
    return None


def _alias_as_name(table: exp.Table) -> exp.Table:
    """`DELETE FROM table tab1` parses as a table named "table" aliased tab1: the alias is the name."""
    this = table.this
    if isinstance(this, exp.Identifier) and not this.quoted and this.this.lower() == "table" and table.alias:
        return exp.to_table(table.alias)
    return table


def _unwrap_table(node: exp.Expression | None) -> exp.Table | None:
    if isinstance(node, exp.Schema):
        node = node.this
    return node if isinstance(node, exp.Table) else None


def _is_temp_identifier(table: exp.Table) -> bool:
    this = table.this
    return isinstance(this, exp.Identifier) and (bool(this.args.get("temporary")) or this.this.startswith("#"))


def _has_property(node: exp.Create, kind: type[exp.Expression]) -> bool:
    properties = node.args.get("properties")
    return properties is not None and any(isinstance(p, kind) for p in properties.expressions)


def _select_columns(query: exp.Expression) -> list[str]:
    """Output column names a query defines (aliases and plain columns; `*` and bare expressions have none)."""
    if not isinstance(query, exp.Query):
        return []
    names = []
    for select in query.selects:
        if isinstance(select, (exp.Alias, exp.Column)) and select.output_name and select.output_name != "*":
            names.append(select.output_name)
    return names


def _add(items: list[str], name: str) -> None:
    if name not in items:
        items.append(name)


_TARGET_HANDLERS = {
    exp.Insert: _insert,
    exp.Update: _update_or_delete,
    exp.Delete: _update_or_delete,
    exp.Merge: _merge,
    exp.Create: _create,
    exp.Select: _select_into,
    exp.Copy: _copy,
    exp.TruncateTable: _truncate,
    exp.Drop: _drop,
    exp.Alter: _alter,
    exp.Cache: _cache,
    exp.Refresh: _refresh_metadata,
}
