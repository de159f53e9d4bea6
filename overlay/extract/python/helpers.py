"""Repository helpers a callable calls, read where it calls them (``overlay/discover/static/helpers.py`` lists them).

``HelperReader`` is mixed into the callable reader (``python.py``): a helper's body is read as if inlined, with the
arguments and database handles the call gives it; what every ``return`` gives (a value, or text with stand-ins for
run-time values) is the call's value; a repository class called makes an instance read through its methods.
"""

from __future__ import annotations

import ast
import copy
from typing import TYPE_CHECKING, Any

from overlay.discover.evaluate import NOT_HANDLED, UNKNOWN, is_known, written_name
from overlay.extract.python.hooks import returned_key
from overlay.extract.python.values import CallableEvaluator, OperatorSelf, bind_parameters, first_function

if TYPE_CHECKING:
    from overlay.extract.python.calls import _Analyzer

_MAX_HELPER_DEPTH = 4  # repository helpers read inside helpers
HELPER_BUDGET = 100  # helper calls read per callable


class HelperReader:
    """``follow``/``invoke`` for the callable reader: the repository code a call runs."""

    def follow(self: _Analyzer, key: str, call: ast.Call, instance: OperatorSelf | None = None) -> None:
        """A repository helper called here: its body is read as if inlined, its parameters bound to the values (and
        the database handles) this call gives it; a method's ``self`` is ``instance`` (the object it is called on,
        or the one a constructor makes); once per call site and within the budgets."""
        self.followed.setdefault(id(call), UNKNOWN)
        entry = self.functions.get(key)
        if entry is None or key in self.stack or len(self.stack) >= _MAX_HELPER_DEPTH or self.helper_calls[0] <= 0 \
                or any(isinstance(a, ast.Starred) for a in call.args) or any(k.arg is None for k in call.keywords):
            return
        _tree, fn, _error = first_function(entry["source"])
        if fn is None:
            return
        self.helper_calls[0] -= 1
        where = f"{entry.get('shown') or entry.get('file')}:{entry.get('line')} {fn.name}"
        if where not in self.access.read:
            self.access.read.append(where)
        receiver = [call.func.value] if entry.get("method") and instance is None and isinstance(call.func, ast.Attribute) else []
        args = [*([instance] if instance is not None else []), *(self.ev.eval(a) for a in [*receiver, *call.args])]
        kwargs = {k.arg: self.ev.eval(k.value) for k in call.keywords if k.arg}
        scope = bind_parameters(fn, args, kwargs, {}, copy.deepcopy(entry.get("scope") or {}))  # the listing stays as listed
        child = type(self)(CallableEvaluator(scope, self.ev.variables, self.ev.context, self.ev.reader), int(entry.get("line") or 1))
        child.ev.hook_bases, child.ev.aliases = self.ev.hook_bases, dict(self.ev.aliases)  # its own imports stay its own
        child.ev.standins = self.ev.standins  # stand-ins a template it renders holds reach the caller's SQL
        child.access, child.functions, child.helper_calls = self.access, self.functions, self.helper_calls
        child.names, child.file, child.shown = entry.get("names") or {}, entry.get("file"), entry.get("shown") or ""
        child.stack, child.budget, child.uncertain = (*self.stack, key), self.budget, self.uncertain
        params = [a.arg for a in fn.args.posonlyargs + fn.args.args][1 if instance is not None else 0:]
        given = [*zip(params, [*receiver, *call.args]), *((k.arg, k.value) for k in call.keywords if k.arg)]
        for name, node in given:
            handle = self.handle_of(node)
            if handle is not None:
                child.handles[name] = handle
            elif not is_known(scope.get(name)):
                child.why[name] = self.explain(node)
        for name, value in scope.items():
            if value is UNKNOWN and name not in child.why and name not in child.handles:
                child.why[name] = "a parameter with no value before run time"
        child.block(fn.body, 0)  # the handles an object keeps live on it: the method and the caller share them
        self.budget = child.budget
        if child.returned is not None:
            self.handles[returned_key(call)] = child.returned
        values = child.return_values
        self.followed[id(call)] = values[0] if values and all(is_known(v) and v == values[0] for v in values) else UNKNOWN
        texts = child.return_texts
        if self.followed[id(call)] is UNKNOWN and texts and all(t is not None and t == texts[0] for t in texts):
            self.call_texts[id(call)] = texts[0]  # `self._build_copy_query(creds)`: its text, with the stand-ins in it
            self.texts.standins.update(child.texts.standins)

    def helper_value(self: _Analyzer, call: ast.Call) -> Any:
        """What a repository helper called inside an expression returns (``cur.execute(build_sql(table))``): its body
        is read once for the call (its own database calls recorded as well), the value known when every ``return``
        it reached gives the same known value; a repository class called gives the instance its ``__init__`` made."""
        return self.followed.get(id(call), UNKNOWN) if self.invoke(call) else NOT_HANDLED

    def invoke(self: _Analyzer, call: ast.Call) -> bool:
        """Reads the repository code ``call`` runs, once per call: a helper function, a method of an instance the
        code holds (``manager.process()``), a class's ``__init__`` on a new instance. False: not repository code."""
        if id(call) in self.followed:
            return True
        func = call.func
        key = self.names.get(written_name(func))
        if key is not None and key.startswith("class:"):
            instance = OperatorSelf({}, key[len("class:"):])
            if f"{instance.cls}.__init__" in self.functions:
                self.follow(f"{instance.cls}.__init__", call, instance)
            self.followed[id(call)] = instance
            return True
        if key is not None:
            self.follow(key, call)
            return True
        if isinstance(func, ast.Attribute) and func.attr in self.method_names():  # else its receiver is evaluated
            holder = self.ev.eval(func.value)  # twice per link: a chain `a.f().g().h()…` would cost 2^links
            if isinstance(holder, OperatorSelf) and holder.cls and f"{holder.cls}.{func.attr}" in self.functions:
                self.follow(f"{holder.cls}.{func.attr}", call, holder)
                return True
        return False

    def method_names(self) -> frozenset[str]:
        """The last part of every listed function's key (``Cls.method`` → ``method``), computed once per listing."""
        cached = self._method_names
        if cached is None or cached[0] is not self.functions:
            cached = self._method_names = (self.functions, frozenset(k.rsplit(".", 1)[-1] for k in self.functions))
        return cached[1]
