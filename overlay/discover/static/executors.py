"""Functions code hands to something that runs them: an executor, a pool, a thread (``pool.submit(load, table)``).

``executor.submit(fn, a, b)`` runs ``fn(a, b)``; ``pool.map(fn, items)`` runs ``fn`` on each item (an argument not
known statically); ``Thread(target=fn, args=(a,))`` runs ``fn(a)``; ``lithops`` ``call_async(fn, a)`` the same. Static
discovery lists such a function among the callable's helpers and extraction reads its body there, as if the code had
called it. ``ran_call`` gives the call the code makes that way, as an AST node of its own (never run); rules as data.
"""

from __future__ import annotations

import ast

# method -> (position of the function, position its arguments start at (None: one item at a time, not known))
RUNNERS: dict[str, tuple[int, int | None]] = {
    "submit": (0, 1), "call_async": (0, 1), "apply_async": (0, None), "apply": (0, None),
    "map": (0, None), "starmap": (0, None), "imap": (0, None), "imap_unordered": (0, None), "map_async": (0, None),
    "starmap_async": (0, None), "run_in_executor": (1, 2),
}
THREADS = frozenset({"Thread", "Process", "threading.Thread", "multiprocessing.Process", "Timer"})


def ran_call(call: ast.Call) -> ast.Call | None:
    """The call of the function ``call`` hands over to be run, or None when it hands over none."""
    func = call.func
    if isinstance(func, ast.Name) and func.id == "map" and call.args and isinstance(call.args[0], (ast.Name, ast.Attribute)):
        return _made(call, call.args[0], [], [])  # map(fn, items): one item at a time
    if isinstance(func, ast.Attribute) and func.attr in RUNNERS:
        at, start = RUNNERS[func.attr]
        if len(call.args) <= at or not isinstance(call.args[at], (ast.Name, ast.Attribute)):
            return None
        target = call.args[at]
        if func.attr in ("apply_async", "apply"):  # pool.apply_async(fn, (a, b)) / args=(a, b)
            given = call.args[at + 1] if len(call.args) > at + 1 else next((k.value for k in call.keywords if k.arg == "args"), None)
            args = list(given.elts) if isinstance(given, (ast.Tuple, ast.List)) else []
            keywords: list[ast.keyword] = []
        else:
            args = list(call.args[start:]) if start is not None else []
            keywords = [k for k in call.keywords if k.arg and start is not None]
        return _made(call, target, args, keywords)
    name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
    if name in THREADS or (isinstance(func, ast.Attribute) and f"{getattr(func.value, 'id', '')}.{func.attr}" in THREADS):
        target = next((k.value for k in call.keywords if k.arg == "target"), None)
        if not isinstance(target, (ast.Name, ast.Attribute)):
            return None
        given = next((k.value for k in call.keywords if k.arg == "args"), None)
        args = list(given.elts) if isinstance(given, (ast.Tuple, ast.List)) else []
        return _made(call, target, args, [])
    return None


def _made(call: ast.Call, target: ast.expr, args: list[ast.expr], keywords: list[ast.keyword]) -> ast.Call:
    made = ast.Call(func=target, args=args, keywords=keywords)
    return ast.copy_location(made, call)
