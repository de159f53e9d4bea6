"""dbt node selection (``--select``/``--exclude``/``--selector``) over a manifest's graph.

Grammar as dbt documents it: space = union, comma = intersection; each selector is
``[@][n+]method:value[+n]`` with methods ``fqn`` (the default: model names, ``marts.finance``
folder prefixes, wildcards), ``path:``, ``file:``, ``tag:``, ``source:``, ``resource_type:``,
``package:``, ``group:``, ``access:``, ``config.<key>:``; ``+``/``n+`` walk parents and children,
``@`` adds the parents of all children. Selectors from ``selectors.yml`` (stored in the
manifest) are supported with their YAML definitions. Methods that need run artifacts
(``state:``, ``result:``, ``source_status:``) raise ``SelectionError``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any

_ATOM = re.compile(r"^(?P<at>@)?(?:(?P<up>\d*)\+)?(?P<body>.+?)(?:\+(?P<down>\d*))?$")
_FILE_EXTS = (".sql", ".py", ".csv", ".yml", ".yaml", ".md")
NEEDS_ARTIFACTS = frozenset({"state", "result", "source_status", "saved_query", "semantic_model", "unit_test"})


class SelectionError(ValueError):
    pass


@dataclass
class Graph:
    """Every node and source of a manifest, with parent and child edges."""

    nodes: dict[str, dict[str, Any]]
    parents: dict[str, list[str]] = field(default_factory=dict)
    children: dict[str, list[str]] = field(default_factory=dict)
    selectors: dict[str, Any] = field(default_factory=dict)
    _fqn_index: dict[str, set[str]] | None = field(default=None, repr=False, compare=False)

    def fqn_index(self) -> dict[str, set[str]]:
        """Every node by its leaf name and each dotted prefix of its fqn (with and without the package): how an
        fqn selector without wildcards finds its nodes without matching every node (one task per model)."""
        if self._fqn_index is None:
            index: dict[str, set[str]] = {}
            for uid, node in self.nodes.items():
                if node.get("resource_type") == "source":
                    continue
                fqn = [str(p) for p in node.get("fqn") or []]
                keys = {fqn[-1]} if fqn else set()
                for parts in (fqn, fqn[1:]):
                    keys.update(".".join(parts[:i]) for i in range(1, len(parts) + 1))
                for key in keys:
                    index.setdefault(key, set()).add(uid)
            self._fqn_index = index
        return self._fqn_index

    @classmethod
    def build(cls, nodes: dict[str, dict[str, Any]], selectors: dict[str, Any] | None = None) -> Graph:
        graph = cls(nodes, selectors=selectors or {})
        for uid, node in nodes.items():
            for parent in (node.get("depends_on") or {}).get("nodes", []) or []:
                if parent in nodes:
                    graph.parents.setdefault(uid, []).append(parent)
                    graph.children.setdefault(parent, []).append(uid)
        return graph


def select(graph: Graph, includes: list[str], excludes: list[str], selector: str | None,
           default_selector: bool = True) -> set[str]:
    """Unique ids chosen by dbt's node selection (all node kinds; the caller keeps the runnable ones).
    ``default_selector=False``: no selection is every node, whatever selectors.yml marks as default (Cosmos)."""
    if includes:
        chosen = set().union(*(_expression(graph, e) for e in includes))
    elif selector:
        chosen = _named_selector(graph, selector)
    elif not default_selector:
        chosen = set(graph.nodes)
    else:
        default = next((name for name, s in graph.selectors.items() if isinstance(s, dict) and s.get("default")), None)
        chosen = _named_selector(graph, default) if default else set(graph.nodes)
    for expression in excludes:
        chosen -= _expression(graph, expression)
    return chosen


def _expression(graph: Graph, expression: str) -> set[str]:
    result: set[str] = set()
    for union_part in expression.split():
        parts = [_atom(graph, p) for p in union_part.split(",") if p]
        if parts:
            result |= set.intersection(*parts)
    return result


def _atom(graph: Graph, text: str) -> set[str]:
    match = _ATOM.match(text.strip())
    if not match:
        raise SelectionError(f"dbt selector {text!r} is not valid")
    method, value = _method(match.group("body"))
    found = _search(graph, method, value)
    return _expand(graph, found, match.group("up"), match.group("down"), bool(match.group("at")))


def _expand(graph: Graph, found: set[str], up: str | None, down: str | None, at: bool) -> set[str]:
    result = set(found)
    if up is not None:
        result |= _walk(graph.parents, found, int(up) if up else None)
    if down is not None or at:
        descendants = _walk(graph.children, found, int(down) if down else None)
        result |= descendants
        if at:
            result |= _walk(graph.parents, found | descendants, None)
    return result


def _method(body: str) -> tuple[str, str]:
    if ":" in body:
        method, _, value = body.partition(":")
        return method, value
    if "/" in body or "\\" in body or body.endswith(_FILE_EXTS):
        return "path", body
    return "fqn", body


def _search(graph: Graph, method: str, value: str) -> set[str]:
    base = method.split(".", 1)[0]
    if base in NEEDS_ARTIFACTS:
        raise SelectionError(f"dbt selector method {method}: needs run artifacts overlay does not read")
    if base == "fqn" and not any(c in value for c in "*?["):
        return set(graph.fqn_index().get(value, ()))
    matcher = _MATCHERS.get(base)
    if matcher is None:
        raise SelectionError(f"dbt selector method {method}: is not supported")
    return {uid for uid, node in graph.nodes.items() if matcher(method, value, node)}


def _fqn(method: str, value: str, node: dict[str, Any]) -> bool:
    if node.get("resource_type") == "source":
        return False
    fqn = [str(p) for p in node.get("fqn") or []]
    return bool(fqn) and (_fqn_matches(fqn, value) or _fqn_matches(fqn[1:], value))


def _fqn_matches(fqn: list[str], selector: str) -> bool:
    """dbt's rule: the leaf name, or a dotted prefix of the fully qualified name (with wildcards)."""
    if not fqn:
        return False
    if fnmatchcase(fqn[-1], selector):
        return True
    parts = selector.split(".")
    return len(parts) <= len(fqn) and all(fnmatchcase(fqn[i], p) for i, p in enumerate(parts))


def _path(method: str, value: str, node: dict[str, Any]) -> bool:
    path = str(node.get("original_file_path") or node.get("path") or "").replace("\\", "/")
    wanted = value.replace("\\", "/").strip("/")
    wanted = wanted[2:] if wanted.startswith("./") else wanted
    if not path or not wanted:
        return False
    return path == wanted or path.startswith(wanted + "/") or fnmatchcase(path, wanted) or fnmatchcase(path, wanted + "/*")


def _file(method: str, value: str, node: dict[str, Any]) -> bool:
    name = str(node.get("original_file_path") or "").replace("\\", "/").rsplit("/", 1)[-1]
    return bool(name) and (fnmatchcase(name, value) or fnmatchcase(name.rsplit(".", 1)[0], value))


def _tag(method: str, value: str, node: dict[str, Any]) -> bool:
    tags = list(node.get("tags") or []) + list((node.get("config") or {}).get("tags") or [])
    return any(fnmatchcase(str(tag), value) for tag in tags)


def _source(method: str, value: str, node: dict[str, Any]) -> bool:
    if node.get("resource_type") != "source":
        return False
    parts = [str(node.get("package_name") or ""), str(node.get("source_name") or ""), str(node.get("name") or "")]
    wanted = value.split(".")
    return any(len(wanted) <= len(candidate) and all(fnmatchcase(candidate[i], w) for i, w in enumerate(wanted))
               for candidate in (parts[1:], parts))


def _config(method: str, value: str, node: dict[str, Any]) -> bool:
    key = method.split(".", 1)[1] if "." in method else ""
    actual = (node.get("config") or {}).get(key)
    values = actual if isinstance(actual, list) else [actual]
    return any(str(v).lower() == value.lower() if isinstance(v, bool) else fnmatchcase(str(v), value) for v in values if v is not None)


def _attribute(name: str) -> Any:
    def match(method: str, value: str, node: dict[str, Any]) -> bool:
        return fnmatchcase(str(node.get(name) or ""), value)

    return match


_MATCHERS = {"fqn": _fqn, "path": _path, "file": _file, "tag": _tag, "source": _source, "config": _config,
             "resource_type": _attribute("resource_type"), "package": _attribute("package_name"),
             "group": _attribute("group"), "access": _attribute("access")}


def _walk(edges: dict[str, list[str]], start: set[str], depth: int | None) -> set[str]:
    seen: set[str] = set()
    frontier = set(start)
    level = 0
    while frontier and (depth is None or level < depth):
        frontier = {n for uid in frontier for n in edges.get(uid, []) if n not in seen}
        seen |= frontier
        level += 1
    return seen


def _named_selector(graph: Graph, name: str) -> set[str]:
    entry = graph.selectors.get(name)
    if not isinstance(entry, dict) or "definition" not in entry:
        raise SelectionError(f"dbt selector {name!r} is not defined in the manifest's selectors")
    return _definition(graph, entry["definition"])


def _depth(definition: dict[str, Any], direction: str) -> str | None:
    if not definition.get(direction):
        return None
    depth = definition.get(f"{direction}_depth")
    return str(depth) if isinstance(depth, int) else ""


def _definition(graph: Graph, definition: Any) -> set[str]:
    """A selectors.yml definition: a CLI string, a method/value dict, or union/intersection lists."""
    if isinstance(definition, str):
        return _expression(graph, definition)
    if not isinstance(definition, dict):
        raise SelectionError(f"dbt selector definition {definition!r} is not understood")
    for key in ("union", "intersection"):
        if key in definition:
            items = definition[key] or []
            excluded = [i["exclude"] for i in items if isinstance(i, dict) and "exclude" in i]
            sets = [_definition(graph, i) for i in items if not (isinstance(i, dict) and "exclude" in i)]
            result = (set().union(*sets) if key == "union" else set.intersection(*sets)) if sets else set()
            for exclusion in excluded:
                result -= set().union(*(_definition(graph, e) for e in (exclusion if isinstance(exclusion, list) else [exclusion])))
            return result
    if "method" in definition:
        found = _search(graph, str(definition["method"]), str(definition.get("value", "")))
        up, down = _depth(definition, "parents"), _depth(definition, "children")
        return _expand(graph, found, up, down, bool(definition.get("childrens_parents")))
    raise SelectionError(f"dbt selector definition {definition!r} is not understood")
