"""Repository functions a python callable calls, carried to extraction as source (never run).

Teams keep their database code in helpers: ``capture_export(conn, date)`` in ``lib/``, ``pg_get("x.sql")`` in the
package's ``__init__.py``, a ``run_query(hook, sql)`` beside the DAG. The callable's own body then holds no SQL and
extraction could only say that the code it calls reaches a table. Static discovery knows what each called name is
bound to (a ``FunctionRef`` of the scanned file or of an imported repository module), so it lists those functions,
transitively and within a budget, with their source, file, first line and the module constants they use.
Extraction (``overlay/extract/python/calls.py``) reads a helper's body where the callable calls it, with the
arguments the callable gives it (a hook or a cursor included), as if it were inlined.

The listing is plain data, so it crosses the scan's process pool and the catalog as JSON:
``{"names": {called name: key}, "functions": {key: {"source", "file", "shown", "line", "scope", "names"}}}``,
where ``names`` maps a name as the code writes it (``capture_export``, ``db.run_query``) to a function's key;
``"origin": {"file", "shown", "line"}`` says where the callable itself is when it is not in the DAG file, and
``"handles": {name: {"source", "scope"}}`` the module-level ``name = call(...)`` it uses (a hook made at the top
of the DAG file), for extraction to make the same database handle; ``"hook_bases": {class: library hook}`` the
team's own hook classes it opens, by the library hook each derives from (its default connection and dialect);
``"aliases": {name: qualified}`` the libraries the code calls under another name than their own (``import psycopg2
as pg``, ``from sqlalchemy import create_engine as ce``), for extraction to know ``pg.connect`` is ``psycopg2.connect``.
"""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING, Any

from overlay.discover.evaluate import written_name
from overlay.discover.static.executors import ran_call
from overlay.discover.static.inits import method_owner
from overlay.discover.static.refs import ClassRef, FunctionRef, ModuleCtx

if TYPE_CHECKING:
    from overlay.discover.static.scanner import StaticScanner

MAX_FUNCTIONS = 80  # helpers (functions and methods) listed per callable
MAX_SOURCE = 200_000  # characters of helper source per callable
MAX_DEPTH = 4  # helpers calling helpers
MAX_HANDLES, MAX_HANDLE_SOURCE = 20, 2_000  # module-level handles listed per callable, and each one's source
MAX_ALIASES = 40  # library names listed per callable


def callable_helpers(scanner: StaticScanner, fn: FunctionRef, constants: Any, cls: ClassRef | None = None) -> dict[str, Any]:
    """The repository functions ``fn`` calls (and those they call), keyed as extraction looks them up; empty when
    it calls none. ``constants(node, scope)`` gives the module constants a function uses, as for the callable.
    ``cls``: ``fn`` is a method of this operator class, and ``self.<method>(...)`` calls its methods (``"method"``
    in their entry: extraction binds their ``self`` to the caller's). A repository class the code instantiates
    (``manager = ContactAliasManager(hook)``) is listed with its methods (``"class:<key>"`` in ``names``; its
    methods under ``<key>.<name>``), for extraction to read ``manager.process()`` with the instance as ``self``."""
    cache = getattr(scanner.repo, "listings", None) if fn.module is not None else None  # a repository module's code
    key = (id(fn.node), id(fn.scope), id(cls))
    if cache is not None and key in cache and all(a is b for a, b in zip(cache[key][1], (fn.node, fn.scope, cls))):
        return cache[key][0]  # the same definitions, read for another file of the scan (never changed by readers)
    listing = _listing(scanner, fn, constants, cls)
    if cache is not None:
        cache[key] = (listing, (fn.node, fn.scope, cls))
    return listing


def _listing(scanner: StaticScanner, fn: FunctionRef, constants: Any, cls: ClassRef | None) -> dict[str, Any]:
    functions: dict[str, dict[str, Any]] = {}
    hook_bases: dict[str, str] = {}
    aliases: dict[str, str] = {}
    budget = [MAX_SOURCE]

    def add(key: str, ref: FunctionRef, method: bool, depth: int, owner: ClassRef | None) -> None:
        if key in functions or depth >= MAX_DEPTH or len(functions) >= MAX_FUNCTIONS:
            return
        module = ref.module or scanner.ctx
        source = module.segment(ref.node)
        if not source or len(source) > budget[0]:
            return
        budget[0] -= len(source)
        entry: dict[str, Any] = {"source": source, "file": module.path, "line": ref.node.lineno,
                                 "shown": scanner.repo.display(module.path) if scanner.repo else module.path,
                                 "scope": constants(ref.node, ref.scope), "names": {}, "method": method}
        functions[key] = entry
        entry["names"] = names_of(ref.node, ref.scope, depth + 1, owner, module)

    def add_class(klass: ClassRef, depth: int) -> str:
        module = klass.module or scanner.ctx
        key = f"{module.path}:{klass.node.lineno if klass.node is not None else 0}:{klass.name}"
        for name in _methods(klass):
            ref = _method(klass, name)
            if ref is not None:
                add(f"{key}.{name}", ref, True, depth, klass)
        return key

    def names_of(node: ast.AST, scope: dict[str, Any], depth: int, owner: ClassRef | None, module: ModuleCtx) -> dict[str, str]:
        names: dict[str, str] = {}
        calls = [c for n in ast.walk(node) if isinstance(n, ast.Call) for c in (n, ran_call(n)) if c is not None]
        for call in calls:  # and the function an executor or a thread is handed (`pool.submit(load, t)`)
            written = written_name(call.func)
            if not written or written in names:
                continue
            _alias(aliases, written, scope, module)
            method = owner is not None and written.startswith("self.") and written.count(".") == 1
            try:
                ref = _method(owner, written[5:]) if method else scanner.callee(call.func, scope)
            except Exception:  # an odd binding: not a helper
                continue
            if isinstance(ref, ClassRef) and ref.node is not None and not ref.choices and not _is_operator(ref):
                base = library_hook(ref)
                if base is not None:  # `PostgresOnAzureHook(...)`: a hook of the team's own, opened as its base opens
                    hook_bases[written.rsplit(".", 1)[-1]] = base
                if depth < MAX_DEPTH:
                    names[written] = f"class:{add_class(ref, depth)}"
                continue
            if not isinstance(ref, FunctionRef) or ref.kind != "plain" or ref.node is node:
                continue
            module = ref.module or scanner.ctx
            key = f"{module.path}:{ref.node.lineno}:{ref.node.name}"
            names[written] = key
            add(key, ref, method, depth, owner if method else None)
        return names

    root = names_of(fn.node, fn.scope, 0, cls, fn.module or scanner.ctx)
    listing: dict[str, Any] = {"names": root, "functions": functions} if functions else {}
    made = module_handles(fn, scanner.ctx, constants)
    if made:
        listing["handles"] = made
    if hook_bases:
        listing["hook_bases"] = hook_bases
    if aliases:
        listing["aliases"] = aliases
    return listing


def _alias(aliases: dict[str, str], written: str, scope: dict[str, Any], module: ModuleCtx) -> None:
    """Record the library name the first part of ``written`` (``pg`` of ``pg.connect``) stands for, when the module
    imports it under another name than its own and it is not bound to repository code (a ``ModuleRef``...)."""
    bound = written.split(".", 1)[0]
    qualified = module.imports.get(bound)
    if not qualified or qualified == bound or bound in aliases or len(aliases) >= MAX_ALIASES:
        return
    if scope.get(bound) is None:  # bound to no repository module, function or class (nor rebound to a value)
        aliases[bound] = qualified


def library_hook(cls: ClassRef, depth: int = 0) -> str | None:
    """The library hook class a repository class derives from (``PostgresHook`` for ``class AzureHook(PostgresHook)``),
    by the name the code imports it as; None when it derives from none."""
    for base in cls.bases:
        if isinstance(base, ClassRef) and depth < MAX_DEPTH:
            found = library_hook(base, depth + 1)
            if found is not None:
                return found
        elif isinstance(base, str) and base.rsplit(".", 1)[-1].endswith("Hook"):
            return base.rsplit(".", 1)[-1]
    return None


def module_handles(fn: FunctionRef, default: ModuleCtx, constants: Any) -> dict[str, dict[str, Any]]:
    """The module-level ``name = call(...)`` a function uses without binding it (``hook = MySqlHook(...)`` at the top
    of the DAG file, ``hook.get_pandas_df(sql)`` in the callable): the call's source and the constants it uses, for
    extraction to make the same database handle. A name the function binds itself, or the module assigns more than
    once, is not listed."""
    module = fn.module or default
    if not module.assigned_calls:
        return {}
    bound = {a.arg for a in [*fn.node.args.posonlyargs, *fn.node.args.args, *fn.node.args.kwonlyargs]}
    bound |= {n.id for n in ast.walk(fn.node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    used = {n.id for n in ast.walk(fn.node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)} - bound
    found: dict[str, dict[str, Any]] = {}
    for name in sorted(used):
        call = module.assigned_calls.get(name)
        source = module.segment(call) if call is not None else ""
        if source and len(source) <= MAX_HANDLE_SOURCE and len(found) < MAX_HANDLES:
            found[name] = {"source": source, "scope": constants(call, fn.scope)}
    return found


def _methods(cls: ClassRef, depth: int = 0) -> list[str]:
    """The names of the methods ``cls`` and its repository bases define, nearest first."""
    names: list[str] = []
    if cls.node is not None:
        names += [n.name for n in cls.node.body if isinstance(n, ast.FunctionDef)]
    for base in cls.bases:
        if isinstance(base, ClassRef) and depth < 8:
            names += [n for n in _methods(base, depth + 1) if n not in names]
    return names


def _is_operator(cls: ClassRef) -> bool:
    try:
        return cls.is_operator()
    except Exception:
        return True


def _method(cls: Any, name: str) -> FunctionRef | None:
    """``self.<name>`` of an operator class: its method (its own or a repository base's), as a function."""
    found = method_owner(cls, name)
    if found is None:
        return None
    owner, node = found
    return FunctionRef(node, "plain", scope=owner.scope, module=owner.module)


__all__ = ["MAX_DEPTH", "MAX_FUNCTIONS", "callable_helpers"]
