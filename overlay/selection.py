"""Selecting assets from the graph with one small grammar, for ``overlay lineage --select`` and ``/api/v1/graph?select=``.

    +key          the asset and everything upstream of it        2+key    two hops upstream
    key+          the asset and everything downstream             key+1    one hop downstream
    owner:growth  assets owned by growth                          dag:finance_*   read or written by those DAGs
    tag:dashboard assets of DAGs with the tag                     source:prod     assets of that source's DAGs
    schema:raw    assets in that schema                           a and b, a or b, not a, (…), `a b` means a or b

A key is an asset key, any dotted suffix of one, or a glob (``raw.*``); graph operators apply to methods
too (``+dag:finance_*``). Pure functions over the networkx graph of ``overlay.graph``.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import networkx as nx

from overlay.graph import hops

METHODS = ("owner", "dag", "tag", "source", "schema")
MAX_EXPRESSION = 2_000
_TOKEN = re.compile(r"\s*(\(|\)|[^\s()]+)")
_ATOM = re.compile(r"^(?:(?P<up>\d*)\+)?(?P<body>[^+]+?)(?:\+(?P<down>\d*))?$")


class SelectionError(ValueError):
    """An expression that does not parse, or names nothing known; the message says where."""


@dataclass
class SelectionContext:
    """What methods look at besides the graph itself."""

    graph: nx.MultiDiGraph
    owners: dict[str, list[str]] = field(default_factory=dict)  # asset key -> owners and teams
    dag_tags: dict[str, list[str]] = field(default_factory=dict)  # dag_id -> tags
    dag_sources: dict[str, str] = field(default_factory=dict)  # dag_id -> source name
    _indexes: dict[str, dict[str, set[str]]] = field(default_factory=dict, init=False, repr=False, compare=False)

    def index(self, name: str) -> dict[str, set[str]]:
        """A value -> asset keys index over the graph, built on first use and kept (the context is not mutated after)."""
        if name not in self._indexes:
            self._indexes[name] = _INDEXES[name](self)
        return self._indexes[name]


def _group(pairs: Iterable[tuple[str, str]]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for value, key in pairs:
        out.setdefault(value, set()).add(key)
    return out


def _suffixes(name: str) -> list[str]:
    """The name and every part after one of its dots: exactly the patterns ``p`` with ``name == p or name.endswith('.' + p)``."""
    return [name] + [name[i + 1:] for i, c in enumerate(name) if c == "."]


_INDEXES: dict[str, Callable[[SelectionContext], dict[str, set[str]]]] = {
    "dag": lambda ctx: _group((dag, k) for k, d in ctx.graph.nodes(data=True) for dag in _dags_of(d)),
    "owner": lambda ctx: _group((o, k) for k, owners in ctx.owners.items() if k in ctx.graph for o in owners),
    "schema": lambda ctx: _group((schema_of(d["name"]), k) for k, d in ctx.graph.nodes(data=True)),
    "name": lambda ctx: _group((d["name"], k) for k, d in ctx.graph.nodes(data=True)),
    "suffix": lambda ctx: _group((s, k) for k, d in ctx.graph.nodes(data=True) for s in _suffixes(d["name"])),
}


def _union(index: dict[str, set[str]], values: Iterable[str]) -> set[str]:
    return set().union(*(index[v] for v in values if v in index))


def _matcher(pattern: str) -> Callable[[str], Any]:
    return re.compile(fnmatch.translate(pattern)).match  # what fnmatch.fnmatchcase does, compiled once


def _matching(values: Iterable[str], pattern: str) -> list[str]:
    match = _matcher(pattern)
    return [v for v in values if match(v)]


Node = Callable[[SelectionContext], set[str]]


def select(expression: str, ctx: SelectionContext) -> set[str]:
    """The asset keys ``expression`` selects (raises SelectionError)."""
    if len(expression) > MAX_EXPRESSION:
        raise SelectionError(f"selection is {len(expression)} characters long; at most {MAX_EXPRESSION}")
    tokens = [m.group(1) for m in _TOKEN.finditer(expression)]
    if not tokens:
        raise SelectionError("empty selection")
    parser = _Parser(tokens)
    node = parser.union()
    if parser.pos < len(tokens):
        raise SelectionError(f"unexpected {tokens[parser.pos]!r} at token {parser.pos + 1}")
    return node(ctx)


class _Parser:
    """Recursive descent: union := inter (('or' | juxtaposition) inter)*; inter := neg ('and' neg)*; neg := 'not' neg | atom."""

    def __init__(self, tokens: list[str]) -> None:
        self.tokens, self.pos = tokens, 0

    def peek(self) -> str | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> str:
        token = self.tokens[self.pos]
        self.pos += 1
        return token

    def union(self) -> Node:
        parts = [self.intersection()]
        while self.peek() not in (None, ")"):
            if self.peek() == "or":
                self.take()
            parts.append(self.intersection())
        return parts[0] if len(parts) == 1 else (lambda ctx: set().union(*(p(ctx) for p in parts)))

    def intersection(self) -> Node:
        parts = [self.negation()]
        while self.peek() == "and":
            self.take()
            parts.append(self.negation())
        return parts[0] if len(parts) == 1 else (lambda ctx: set.intersection(*(p(ctx) for p in parts)))

    def negation(self) -> Node:
        if self.peek() == "not":
            self.take()
            inner = self.negation()
            return lambda ctx: set(ctx.graph.nodes) - inner(ctx)
        return self.primary()

    def primary(self) -> Node:
        token = self.peek()
        if token is None:
            raise SelectionError("selection ends where an asset, a method or '(' was expected")
        if token in ("and", "or", ")"):
            raise SelectionError(f"unexpected {token!r} at token {self.pos + 1}")
        self.take()
        if token == "(":
            inner = self.union()
            if self.peek() != ")":
                raise SelectionError("missing ')'")
            self.take()
            return inner
        return _atom(token)


def _atom(token: str) -> Node:
    match = _ATOM.match(token)
    if not match:
        raise SelectionError(f"cannot read {token!r}")
    up, body, down = match.group("up"), match.group("body"), match.group("down")
    method, _, value = body.partition(":")
    base: Node = (lambda ctx: _method(ctx, method, value)) if method in METHODS and value else (lambda ctx: _keys(ctx, body))

    def node(ctx: SelectionContext) -> set[str]:
        seeds = base(ctx)
        out = set(seeds)
        if up is not None:
            out |= _reach(ctx.graph.predecessors, seeds, int(up) if up else None)
        if down is not None:
            out |= _reach(ctx.graph.successors, seeds, int(down) if down else None)
        return out

    return node


def _reach(neighbours: Any, seeds: set[str], depth: int | None) -> set[str]:
    """Assets within ``depth`` hops of any seed (one walk from all seeds: the union of each seed's walk)."""
    return set(hops(neighbours, seeds, depth))


def _keys(ctx: SelectionContext, pattern: str) -> set[str]:
    graph = ctx.graph
    if pattern in graph:
        return {pattern}
    if any(c in pattern for c in "*?["):
        names = ctx.index("name")
        found = set(_matching(graph.nodes, pattern)) | _union(names, _matching(names, pattern)) \
            | _union(names, _matching(names, "*." + pattern))
    else:
        found = set(ctx.index("suffix").get(pattern, ()))
    if not found:
        raise SelectionError(f"no asset matches {pattern!r}")
    return found


def _dags_of(data: dict[str, Any]) -> set[str]:
    return {d for d, _ in data["writers"]} | {d for d, _ in data["readers"]}


def _method(ctx: SelectionContext, method: str, value: str) -> set[str]:
    """Each method matches the distinct values of its index (DAG ids, owners, schemas), never every asset."""
    if method == "owner":
        owners, lowered = ctx.index("owner"), value.lower()
        match = _matcher(lowered)
        return _union(owners, (o for o in owners if match(o.lower()) or o.lower().lstrip("@").endswith(lowered)))
    if method == "dag":
        dags = ctx.index("dag")
        return _union(dags, _matching(dags, value))
    if method == "tag":
        dags, match = ctx.index("dag"), _matcher(value)
        return _union(dags, (dag for dag in dags if any(match(t) for t in ctx.dag_tags.get(dag, []))))
    if method == "source":
        dags = ctx.index("dag")
        return _union(dags, (dag for dag in dags if ctx.dag_sources.get(dag) == value))
    if method == "schema":
        schemas, match = ctx.index("schema"), _matcher(value)
        return _union(schemas, (s for s in schemas if match(s) or s.endswith("." + value)))
    raise SelectionError(f"unknown method {method!r}: use {', '.join(METHODS)}")


def schema_of(name: str) -> str:
    """``db.schema.table`` -> ``db.schema``; a one-part name has no schema."""
    return name.rsplit(".", 1)[0] if "." in name else ""


# --- the selected part of the graph, flat or grouped ---------------------------------------------

GROUPS = ("dag", "schema", "owner", "source")


def group_of(key: str, data: dict[str, Any], by: str, ctx: SelectionContext) -> str:
    writers = sorted({d for d, _ in data["writers"]})
    if by == "dag":
        return writers[0] if writers else "(not written by any DAG)"
    if by == "schema":
        return f"{data['namespace']}:{schema_of(data['name'])}"
    if by == "owner":
        owners = ctx.owners.get(key, [])
        return owners[0] if owners else "(unowned)"
    if by == "source":
        sources = sorted({ctx.dag_sources[d] for d in writers if d in ctx.dag_sources})
        return sources[0] if sources else "(no source)"
    raise SelectionError(f"unknown group_by {by!r}: use {', '.join(GROUPS)}")


def view(ctx: SelectionContext, keys: set[str], group_by: str | None = None, limit: int = 5_000) -> dict[str, Any]:
    """Nodes and edges of the selection; grouped into collapsed nodes when ``group_by`` is given.

    Above ``limit`` nodes (after grouping) the answer holds no edges and says so: the browser shows
    groups or a list instead of drawing thousands of nodes."""
    graph = ctx.graph
    if group_by is None:
        member = {k: k for k in keys}
        nodes = [{"id": k, "key": k, "namespace": graph.nodes[k]["namespace"], "name": graph.nodes[k]["name"],
                  "producers": graph.nodes[k]["producers"], "consumers": graph.nodes[k]["consumers"]} for k in sorted(keys)]
    else:
        member = {k: group_of(k, graph.nodes[k], group_by, ctx) for k in keys}
        groups: dict[str, list[str]] = {}
        for key, group in member.items():
            groups.setdefault(group, []).append(key)
        nodes = [{"id": g, "group": True, "count": len(m), "members": sorted(m)[:50]} for g, m in sorted(groups.items())]
    edges: dict[tuple[str, str], set[str]] = {}
    for a, b, via in graph.out_edges(member, keys=True):  # only the selection's edges, never the whole graph's
        if b in member and member[a] != member[b]:
            edges.setdefault((member[a], member[b]), set()).add(via)
    too_many = len(nodes) > limit
    return {
        "selected": len(keys), "group_by": group_by, "truncated": too_many,
        "nodes": nodes[:limit],
        "edges": [] if too_many else [{"from": a, "to": b, "via": sorted(v)[:20], "count": len(v)} for (a, b), v in sorted(edges.items())],
    }
