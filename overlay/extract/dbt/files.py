"""A dbt project's nodes read from its files, without a manifest: what ``dbt parse`` would find, as far as files say.

Nodes are the files under the paths ``dbt_project.yml`` names (``model-paths``, ``seed-paths``, ``snapshot-paths``,
``test-paths``): models (``.sql``/``.py``), seeds (``.csv``), snapshots (``{% snapshot name %}`` blocks), with
parents from literal ``ref()`` calls, tests from the properties files, and sources from their ``sources:``
entries. Each node carries the configs that name its relation (``schema``, ``database``, ``alias``,
``materialized``, ``enabled``, ``tags``), merged as dbt merges them: ``dbt_project.yml`` by folder (the most
specific wins), then the properties file's ``config:``, then the file's own ``config(...)`` call. A config
written as an expression (``schema=var("x")``) is kept as ``Expr`` text; a ``ref()`` not written as a literal,
or naming no node of the project (a package's), is listed in ``node["unresolved"]``: what reads it cannot
be known from the files. Bounded: a walk stops at ``MAX_FILES`` files, a file over ``MAX_PROPERTY_BYTES`` is
not read.
"""

from __future__ import annotations

import ast
import os
import re
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

import yaml

MAX_FILES = 20_000  # files of a project walked without a manifest
MAX_PROPERTY_BYTES = 1024 * 1024
REF = re.compile(r"""\bref\(\s*['"]([^'"]+)['"]\s*(?:,\s*['"]([^'"]+)['"]\s*)?[,)]""")
_ANY_REF = re.compile(r"\bref\s*\(")
SOURCE = re.compile(r"""\bsource\(\s*['"]([^'"]+)['"]\s*,\s*['"]([^'"]+)['"]\s*\)""")
_ANY_SOURCE = re.compile(r"(?<![\w.])source\s*\(")
SNAPSHOT = re.compile(r"""{%-?\s*snapshot\s+([A-Za-z_][\w]*)\s*-?%}""")
_CONFIG_CALL = re.compile(r"(?<![\w.])(?:dbt\.)?config\s*\(")
_DEFAULT_PATHS = {"model-paths": ["models"], "seed-paths": ["seeds"], "snapshot-paths": ["snapshots"], "test-paths": ["tests"],
                  "macro-paths": ["macros"]}
_OLD_NAMES = {"model-paths": "source-paths", "seed-paths": "data-paths"}  # dbt < 1.0
# configs that decide a node's relation or whether it exists; written without "+" in dbt_project.yml they are still configs
NAMING = ("schema", "database", "alias", "materialized", "enabled", "tags", "target_schema", "target_database", "project", "dataset")
_SECTIONS = {"model": "models", "seed": "seeds", "snapshot": "snapshots"}
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_JINJA_LITERALS = {"true": True, "false": False, "none": None, "True": True, "False": False, "None": None}


class ProjectError(ValueError):
    """The project or its manifest cannot be read: the call's tasks are not listed, and this says why."""


@dataclass(frozen=True)
class Expr:
    """A config value written as an expression (``var("x")``, ``env_var("Y")``): its text, to render or report."""

    text: str


@dataclass
class ProjectFiles:
    """The nodes of one project (manifest-shaped dicts by unique_id) and what they were read from."""

    name: str
    nodes: dict[str, dict[str, Any]]
    settings: dict[str, Any]
    truncated: bool = False
    files: list[str] = field(default_factory=list)  # project-level files: dbt_project.yml and the macro folders' files


def project_settings(project: str, inside: Any = None) -> dict[str, Any]:
    """``dbt_project.yml`` as data (``ProjectError`` when it is missing, outside what may be read, or not YAML)."""
    path = os.path.join(project, "dbt_project.yml")
    if inside is not None and os.path.exists(path) and not inside(path):
        raise ProjectError(f"{path} leads outside the repository: not read")
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            data = yaml.safe_load(f.read(MAX_PROPERTY_BYTES))
    except FileNotFoundError as e:
        raise ProjectError(f"{project} holds no dbt_project.yml: not a dbt project") from e
    except (OSError, yaml.YAMLError) as e:
        raise ProjectError(f"{path} cannot be read: {e}") from e
    if not isinstance(data, dict):
        raise ProjectError(f"{path} is not a YAML mapping")
    return data


_read: OrderedDict[tuple[Any, ...], ProjectFiles] = OrderedDict()  # projects read in this process, by their files' stats
_CACHED = 4


def read_project(project: str, inside: Any) -> ProjectFiles:
    """Every node of the project's files (``inside(path)``: whether a real path may be read). Read once per process
    while the files are the same (path, size, modification time of each, and which links may be followed): Cosmos's
    discovery and extraction's naming read one project; callers copy the nodes they change."""
    key = _signature(project, inside)
    if key is None:  # too many files to stat each time: read, not kept
        return _read_project(project, inside)
    if key in _read:
        _read.move_to_end(key)
        return _read[key]
    found = _read_project(project, inside)
    _read[key] = found
    while len(_read) > _CACHED:
        _read.popitem(last=False)
    return found


def _signature(project: str, inside: Any) -> tuple[Any, ...] | None:
    """Stats of every file under the project (as many as a read walks): a file edited, added or removed is a new key."""
    stats: list[tuple[Any, ...]] = []
    top = os.path.realpath(project)
    for here, dirs, files in os.walk(top):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in ("target", "dbt_packages", "logs")
                         and not os.path.islink(os.path.join(here, d)))
        for file in sorted(files):
            full = os.path.join(here, file)
            try:
                st = os.stat(full)
            except OSError:
                continue
            stats.append((full, st.st_size, st.st_mtime_ns, os.path.islink(full) and bool(inside(full))))
            if len(stats) > MAX_FILES * 2:
                return None
    return (top, *stats)


def _read_project(project: str, inside: Any) -> ProjectFiles:
    settings = project_settings(project, inside)
    name = str(settings.get("name") or os.path.basename(project))
    paths = {key: project_paths(settings, key) for key in _DEFAULT_PATHS}
    nodes: dict[str, dict[str, Any]] = {}
    texts: dict[str, str] = {}
    budget = [MAX_FILES]
    for kind, key, suffixes in (("model", "model-paths", (".sql", ".py")), ("seed", "seed-paths", (".csv",)),
                                ("snapshot", "snapshot-paths", (".sql",))):
        for folder in paths[key]:
            for relative in walk(project, folder, suffixes, inside, budget):
                stem = os.path.splitext(os.path.basename(relative))[0]
                parts = os.path.relpath(os.path.dirname(relative), folder).split(os.sep)
                folders = [p for p in parts if p not in ("", ".")]
                text = read_small(os.path.join(project, relative)) if kind != "seed" else ""
                names = SNAPSHOT.findall(text) if kind == "snapshot" else [stem]
                for node_name in names:
                    uid = f"{kind}.{name}.{node_name}"
                    fqn = [name, *folders, stem, node_name] if kind == "snapshot" else [name, *folders, stem]
                    nodes.setdefault(uid, {"unique_id": uid, "resource_type": kind, "name": node_name, "package_name": name,
                                           "fqn": fqn, "original_file_path": relative, "path": relative,
                                           "config": project_config(settings, _SECTIONS[kind], name, fqn[1:])})
                    texts[uid] = _block(text, node_name) if kind == "snapshot" else text
    by_name = {n["name"]: uid for uid, n in nodes.items()}
    properties = _properties(project, paths, inside, budget)
    sources = _sources(properties, name)
    nodes.update(sources)
    source_ids = {(n["source_name"], n["name"]): uid for uid, n in sources.items()}
    for relative, data in properties:
        _apply_properties(nodes, by_name, data, relative)
    macro_files = [os.path.join(project, f) for folder in paths["macro-paths"] for f in walk(project, folder, (".sql",), inside, budget)]
    macros = project_macros(macro_files)
    for uid, text in texts.items():
        node = nodes[uid]
        node["config"].update(in_file_config(text))
        called = macros_called(text, macros)
        parents, unresolved = _parents(text + "".join(body for body, _ in called), by_name, source_ids)
        if called:
            node["macro_files"] = sorted({path for _, path in called})
        node["depends_on"] = {"nodes": list(dict.fromkeys(p for p in parents if p != uid))}
        if unresolved:
            node["unresolved"] = unresolved
    for uid in [u for u, n in nodes.items() if (n.get("config") or {}).get("enabled") is False]:
        del nodes[uid]  # disabled: not a node of the manifest dbt would write
    by_name = {n["name"]: uid for uid, n in nodes.items() if n.get("resource_type") != "source"}
    _add_tests(nodes, project, paths, properties, by_name, inside, budget, name)
    return ProjectFiles(name, nodes, settings, truncated=budget[0] <= 0, files=[os.path.join(project, "dbt_project.yml")])


_MACRO = re.compile(r"{%-?\s*macro\s+([A-Za-z_]\w*)\s*\((.*?){%-?\s*endmacro\s*-?%}", re.S)
_CALL = re.compile(r"(?<![\w.])([A-Za-z_]\w*)\s*\(")


def project_macros(paths: list[str]) -> dict[str, tuple[str, str]]:
    """The project's macros by name: (body, file) (a ``ref()`` in a macro a model calls is the model's, as dbt parses it)."""
    found: dict[str, tuple[str, str]] = {}
    for path in paths:
        for name, body in _MACRO.findall(read_small(path)):
            found.setdefault(name, (body, path))
    return found


def macros_called(text: str, macros: dict[str, tuple[str, str]]) -> list[tuple[str, str]]:
    """(body, file) of each project macro ``text`` calls, and of the macros they call, each once."""
    called: list[tuple[str, str]] = []
    seen: set[str] = set()
    pending = [text]
    while pending and len(seen) < 1_000:
        for name in _CALL.findall(pending.pop()):
            if name in macros and name not in seen:
                seen.add(name)
                pending.append(macros[name][0])
                called.append(("\n" + macros[name][0], macros[name][1]))
    return called


def project_paths(settings: dict[str, Any], key: str) -> list[str]:
    value = settings.get(key, settings.get(_OLD_NAMES.get(key, ""), _DEFAULT_PATHS[key]))
    values = [value] if isinstance(value, str) else value if isinstance(value, list) else _DEFAULT_PATHS[key]
    return [os.path.normpath(str(v)) for v in values if isinstance(v, str) and not os.path.isabs(v) and ".." not in v.split("/")]


def walk(project: str, folder: str, suffixes: tuple[str, ...], inside: Any, budget: list[int]) -> list[str]:
    """Files under ``project/folder`` ending in ``suffixes``, relative to the project, sorted; hidden folders skipped."""
    top = os.path.join(project, folder)
    if not os.path.isdir(top) or not inside(top):
        return []
    found = []
    for here, dirs, files in os.walk(top):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and not os.path.islink(os.path.join(here, d)))
        for file in sorted(files):
            budget[0] -= 1
            if budget[0] < 0:
                return found
            full = os.path.join(here, file)
            if file.endswith(suffixes) and (not os.path.islink(full) or inside(full)):  # a link out of the repository: not read
                found.append(os.path.relpath(full, project))
    return found


def read_small(path: str) -> str:
    try:
        if os.path.getsize(path) > MAX_PROPERTY_BYTES:
            return ""
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read()
    except OSError:
        return ""


def project_config(settings: dict[str, Any], section: str, package: str, path: list[str]) -> dict[str, Any]:
    """The naming configs ``dbt_project.yml`` gives a node at ``path`` (its folders and file name) of ``package``."""
    config: dict[str, Any] = {}
    level = settings.get(section)
    tags: list[str] = []
    for step in [None, package, *path]:
        if step is not None:
            level = level.get(step) if isinstance(level, dict) else None
        if not isinstance(level, dict):
            break
        for key, value in level.items():
            bare = key[1:] if isinstance(key, str) and key.startswith("+") else key
            if bare in NAMING and (key != bare or not isinstance(value, dict)):
                if bare == "tags":
                    tags += [value] if isinstance(value, str) else [str(t) for t in value] if isinstance(value, list) else []
                else:
                    config[bare] = _yaml_value(value)
    if tags:
        config["tags"] = list(dict.fromkeys(tags))
    return config


def in_file_config(text: str) -> dict[str, Any]:
    """The naming configs of a model's own ``{{ config(...) }}`` (or a Python model's ``dbt.config(...)``) calls."""
    config: dict[str, Any] = {}
    for match in _CONFIG_CALL.finditer(text):
        inner = _balanced(text, match.end() - 1)
        if inner is None:
            continue
        try:
            call = ast.parse(f"f({inner})", mode="eval").body
        except SyntaxError:
            inner = re.sub(r"\s~\s", " + ", inner)  # Jinja's string concatenation, as Python reads it (and Jinja again)
            try:
                call = ast.parse(f"f({inner})", mode="eval").body
            except SyntaxError:
                call = None
        if call is None:
            if any(re.search(rf"\b{k}\s*=", inner) for k in NAMING):  # a naming config we cannot read: not guessed
                config.update({k: Expr(inner) for k in NAMING if re.search(rf"\b{k}\s*=", inner)})
            continue
        if not isinstance(call, ast.Call):
            continue
        for kw in call.keywords:
            if kw.arg in NAMING:
                config[kw.arg] = _literal(kw.value, inner)
    return config


def _balanced(text: str, start: int) -> str | None:
    """The text inside the parenthesis at ``start`` (quotes respected), or None when it does not close."""
    depth, quote, i = 0, "", start
    while i < len(text):
        c = text[i]
        if quote:
            if c == "\\":
                i += 1
            elif c == quote:
                quote = ""
        elif c in "'\"":
            quote = c
        elif c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
            if depth == 0:
                return text[start + 1:i]
        i += 1
    return None


def _literal(node: ast.expr, source: str) -> Any:
    if isinstance(node, ast.Name) and node.id in _JINJA_LITERALS:
        return _JINJA_LITERALS[node.id]
    if isinstance(node, (ast.List, ast.Tuple)):
        items = [_literal(e, source) for e in node.elts]
        return items if not any(isinstance(i, Expr) for i in items) else Expr(ast.get_source_segment(f"f({source})", node) or "")
    try:
        return ast.literal_eval(node)
    except (ValueError, SyntaxError):
        return Expr(ast.get_source_segment(f"f({source})", node) or ast.dump(node))


def _yaml_value(value: Any) -> Any:
    return Expr(value) if isinstance(value, str) and ("{{" in value or "{%" in value) else value


def _block(text: str, name: str) -> str:
    """A snapshot's block of a file that may hold several."""
    match = re.search(rf"{{%-?\s*snapshot\s+{re.escape(name)}\s*-?%}}(.*?){{%-?\s*endsnapshot\s*-?%}}", text, re.S)
    return match.group(1) if match else text


def _parents(text: str, by_name: dict[str, str], source_ids: dict[tuple[str, str], str]) -> tuple[list[str], list[str]]:
    """(the node ids a model's text refers to, what it refers to that names no node or is not a literal)."""
    code = re.sub(r"{#.*?#}", "", text, flags=re.S)  # Jinja comments
    code = re.sub(r"--[^\n]*", "", code)  # SQL line comments (a commented-out ref reads nothing)
    parents: list[str] = []
    unresolved: list[str] = []
    refs = REF.findall(code)
    for package_or_name, name in refs:
        target = name or package_or_name
        if target in by_name:
            parents.append(by_name[target])
        else:
            unresolved.append(f"ref('{target}') names no model, seed or snapshot of the project (a package's?)")
    if len(_ANY_REF.findall(code)) > len(refs):
        unresolved.append("a ref() whose argument is not a literal (built in Jinja)")
    found = SOURCE.findall(code)
    for source_name, table in found:
        uid = source_ids.get((source_name, table))
        if uid is not None:
            parents.append(uid)
        else:
            unresolved.append(f"source('{source_name}', '{table}') is not declared in the project's properties files")
    if len(_ANY_SOURCE.findall(code)) > len(found):
        unresolved.append("a source() whose arguments are not literals (built in Jinja)")
    return parents, unresolved


def _properties(project: str, paths: dict[str, list[str]], inside: Any, budget: list[int]) -> list[tuple[str, dict[str, Any]]]:
    found = []
    folders = dict.fromkeys(f for key in ("model-paths", "seed-paths", "snapshot-paths") for f in paths[key])
    for folder in folders:
        for relative in walk(project, folder, (".yml", ".yaml"), inside, budget):
            try:
                data = yaml.load(read_small(os.path.join(project, relative)), Loader=_YAML_LOADER)  # noqa: S506 - a safe loader
            except yaml.YAMLError:
                continue
            if isinstance(data, dict):
                found.append((relative, data))
    return found


def _sources(properties: list[tuple[str, dict[str, Any]]], package: str) -> dict[str, dict[str, Any]]:
    """Source tables as manifest source nodes: database (or BigQuery's project), schema (or dataset, else the
    source's name), identifier (else the table's name)."""
    nodes: dict[str, dict[str, Any]] = {}
    for relative, data in properties:
        for source in data.get("sources") or [] if isinstance(data.get("sources"), list) else []:
            if not isinstance(source, dict) or not isinstance(source.get("name"), str):
                continue
            for table in source.get("tables") or [] if isinstance(source.get("tables"), list) else []:
                if not isinstance(table, dict) or not isinstance(table.get("name"), str):
                    continue
                uid = f"source.{package}.{source['name']}.{table['name']}"
                database = source.get("database", source.get("project"))
                schema = source.get("schema", source.get("dataset", source["name"]))
                nodes[uid] = {"unique_id": uid, "resource_type": "source", "name": table["name"], "source_name": source["name"],
                              "package_name": package, "fqn": [package, source["name"], table["name"]],
                              "original_file_path": relative, "path": relative, "freshness": table.get("freshness", source.get("freshness")),
                              "config": {}, "source_database": _yaml_value(database), "source_schema": _yaml_value(schema),
                              "identifier": _yaml_value(table.get("identifier", table["name"]))}
    return nodes


def _apply_properties(nodes: dict[str, dict[str, Any]], by_name: dict[str, str], data: dict[str, Any], relative: str) -> None:
    """A properties file's ``config:`` of each model, seed and snapshot it describes."""
    for section in ("models", "seeds", "snapshots"):
        for entry in data.get(section) or [] if isinstance(data.get(section), list) else []:
            uid = by_name.get(entry.get("name")) if isinstance(entry, dict) else None
            if uid is None or not isinstance(entry.get("config"), dict):
                continue
            node = nodes[uid]
            node["config"].update({k: _yaml_value(v) for k, v in entry["config"].items() if k in NAMING})
            node.setdefault("property_files", []).append(relative)


def _add_tests(nodes: dict[str, dict[str, Any]], project: str, paths: dict[str, list[str]], properties: list[tuple[str, dict[str, Any]]],
               by_name: dict[str, str], inside: Any, budget: list[int], package: str) -> None:
    """Test nodes (what Cosmos needs of them: the nodes each one tests) from properties files and singular tests."""
    count = 0

    def add(parents: list[str], label: str) -> None:
        nonlocal count
        count += 1
        uid = f"test.{package}.{label}_{count}"
        nodes[uid] = {"unique_id": uid, "resource_type": "test", "name": label, "package_name": package, "fqn": [package, label],
                      "original_file_path": "", "depends_on": {"nodes": list(dict.fromkeys(parents))}}

    for _, data in properties:
        for section in ("models", "seeds", "snapshots"):
            entries = data.get(section)
            for entry in entries if isinstance(entries, list) else []:
                uid = by_name.get(entry.get("name")) if isinstance(entry, dict) else None
                if uid is None:
                    continue
                for test in _tests_of(entry):
                    refs = [by_name[r[1] or r[0]] for r in REF.findall(_text_of(test)) if (r[1] or r[0]) in by_name]
                    add([uid, *refs], str(entry["name"]))
    for folder in paths["test-paths"]:
        for relative in walk(project, folder, (".sql",), inside, budget):
            refs = [by_name[r[1] or r[0]] for r in REF.findall(read_small(os.path.join(project, relative))) if (r[1] or r[0]) in by_name]
            if refs:
                add(refs, os.path.splitext(os.path.basename(relative))[0])


MAX_TEST_NODES = 10_000  # values of one test's definition walked for its ref()s: YAML aliases can make it a huge tree


def _text_of(value: Any) -> str:
    """The strings of a test definition (where its ``ref()`` arguments are), within a node budget."""
    parts: list[str] = []
    stack, seen = [value], 0
    while stack and seen < MAX_TEST_NODES:
        item = stack.pop()
        seen += 1
        if isinstance(item, str):
            parts.append(item)
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return "\n".join(parts)


def _tests_of(entry: dict[str, Any]) -> list[Any]:
    tests = list(_listed(entry.get("tests")) + _listed(entry.get("data_tests")))
    for column in entry.get("columns") or [] if isinstance(entry.get("columns"), list) else []:
        if isinstance(column, dict):
            tests += _listed(column.get("tests")) + _listed(column.get("data_tests"))
    return tests


def _listed(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else []


# selector methods a graph read from the project's files can answer (tags, configs and state need the manifest)
FILE_METHODS = frozenset({"fqn", "path", "file", "resource_type", "package"})
_ATOM_HEAD = re.compile(r"^@?(?:\d*\+)?")


def file_selectable(select: Any, exclude: Any, selector: str | None) -> str | None:
    """What of a selection only a manifest answers (a selector, ``tag:``, ``config.``, ``state:``...), or None."""
    if selector:
        return f"selector {selector!r}"
    for expression in (*select, *exclude):
        for atom in re.split(r"[\s,]+", expression):
            body = _ATOM_HEAD.sub("", atom).rstrip("+0123456789") if atom else ""
            method = body.partition(":")[0] if ":" in body else ""
            if method and method.split(".", 1)[0] not in FILE_METHODS:
                return f"the selection `{atom}`"
    return None
