"""Across statements: temporary and intermediate tables disappear, their inputs and outputs meet.

A DELETE or UPDATE of a table does not make a later read of it internal (the rows were there before).
A table is *intermediate* when the text creates it as temporary (or names it ``#tmp``), drops it
after writing it, or renames/swaps it away. Script-level reads are tables read before the text
writes them; writes are tables it leaves written. Edges are statement-level (read -> write of
one statement, rename source -> target) and are followed through intermediates only, so a
script that builds A from X and then B from Y never claims X -> B.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from overlay.lineage.model import StatementLineage


# statements that only change or remove rows already in a table: what the text reads from it afterwards is still
# what was there before the text ran (DELETE ... WHERE, then INSERT INTO t SELECT ... FROM t reads t)
_IN_PLACE = frozenset({"delete", "update"})
# statements that leave a table without rows of the text's own: DELETE and UPDATE, and CREATE TABLE without a query
# (empty, or, as IF NOT EXISTS and T-SQL's `IF OBJECT_ID(...) IS NULL` guard it, the table already there)
_NO_ROWS_BROUGHT = _IN_PLACE | {"create_table"}


@dataclass
class ScriptState:
    first_write: dict[str, int] = field(default_factory=dict)
    intermediate: set[str] = field(default_factory=set)
    edges: dict[str, list[str]] = field(default_factory=dict)
    external_reads: list[str] = field(default_factory=list)
    writes: list[str] = field(default_factory=list)

    def edge(self, source: str, target: str) -> None:
        targets = self.edges.setdefault(source, [])
        if target not in targets:
            targets.append(target)

    def wrote(self, name: str, index: int, brings_rows: bool = True) -> None:
        if brings_rows:  # DELETE and UPDATE change the rows already there: a later read still reads those
            self.first_write.setdefault(name, index)
        if name not in self.writes:
            self.writes.append(name)

    def read(self, name: str, index: int) -> None:
        if self.first_write.get(name, index) >= index and name not in self.external_reads:
            self.external_reads.append(name)

    def written_before(self, name: str, index: int) -> bool:
        return self.first_write.get(name, index) < index


def combine(statements: list[StatementLineage]) -> tuple[list[str], list[str], list[tuple[str, str]]]:
    """(reads, writes, edges) of a whole script."""
    state = ScriptState()
    for stmt in statements:
        _apply(stmt, state)
    reads = [r for r in state.external_reads if r not in state.intermediate]
    writes = [w for w in state.writes if w not in state.intermediate]
    return reads, writes, _collapse(state)


def _apply(stmt: StatementLineage, state: ScriptState) -> None:
    i = stmt.index
    for name in stmt.reads:
        state.read(name, i)
    for name in stmt.writes:
        for source in stmt.reads:
            state.edge(source, name)
        state.wrote(name, i, brings_rows=stmt.kind not in _NO_ROWS_BROUGHT)
    state.intermediate.update(n for n in stmt.temporary)
    state.intermediate.update(n for n in stmt.writes if n.rsplit(".", 1)[-1].startswith("#"))
    for name in stmt.dropped:
        if state.written_before(name, i):
            state.intermediate.add(name)
    for source, target in stmt.renamed:
        state.edge(source, target)
        state.wrote(target, i)
        state.intermediate.add(source)
    for altered, other in stmt.swapped:
        _swap(altered, other, i, state)


def _swap(altered: str, other: str, index: int, state: ScriptState) -> None:
    """`ALTER TABLE a SWAP WITH b`: the side this text built is the staging copy that goes away."""
    if state.written_before(altered, index) and not state.written_before(other, index):
        staging, target = altered, other
    else:
        staging, target = other, altered
        if not state.written_before(other, index):
            state.read(other, index)
    state.edge(staging, target)
    state.wrote(target, index)
    if state.written_before(staging, index):
        state.intermediate.add(staging)


def _collapse(state: ScriptState) -> list[tuple[str, str]]:
    """Edges between kept tables, walking through intermediate ones."""
    result: list[tuple[str, str]] = []
    for source in list(state.edges):
        if source in state.intermediate:
            continue
        seen = {source}
        stack = list(state.edges.get(source, []))
        while stack:
            node = stack.pop()
            if node in seen:
                continue
            seen.add(node)
            if node in state.intermediate:
                stack.extend(state.edges.get(node, []))
            elif (source, node) not in result:
                result.append((source, node))
    return result
