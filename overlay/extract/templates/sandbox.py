"""Jinja's sandbox with bounds on what a template may build (DAG templates are untrusted).

Python internals are already out of reach in ``SandboxedEnvironment``; this adds size and work
bounds, checked *before* a value is built wherever the size can be known from the arguments:

- operators: ``*`` (repetition), ``+``, ``~`` (concatenation), ``%`` (printf widths and
  precisions, ``'%0999999999d' % 1``), ``**`` (exponent and result size);
- calls (the sandbox's ``call`` hook): string methods whose size comes from an argument
  (``.zfill(2000000000)``, ``.center``, ``.ljust``, ``.expandtabs``, ``.replace``, ``.join``,
  ``.format`` widths), ``lipsum``;
- filters: ``center``, ``indent``, ``format``, ``replace``, ``join``, ``wordwrap``, ``truncate``;
- every string built counts against one budget per render (loops that keep building large
  strings), and the rendered output (``environment.concat``, block ``set``, macros) is bounded.

Over a bound: ``TemplateTooLarge`` (a ``SecurityError``), reported as "template too large".
"""

from __future__ import annotations

import re
from functools import wraps
from typing import Any

from jinja2.compiler import CodeGenerator, Frame, optimizeconst
from jinja2.nodes import Concat
from jinja2.sandbox import SandboxedEnvironment, SecurityError
from jinja2.utils import generate_lorem_ipsum

MAX_TEXT = 4_000_000  # characters of one value, and of one rendered template
MAX_BUILT = 40_000_000  # characters built in total by one render
MAX_REPEAT = 1_000_000  # `'x' * n`
_PRINTF = re.compile(r"%(?:\([^)]*\))?[-+ #0]*(\*|\d+)?(?:\.(\*|\d+))?[hlL]?[diouxXeEfFgGcrsa%]")
_FORMAT_SPEC = re.compile(r"\{[^{}]*?:[^{}]*?(\d+)(?:\.(\d+))?[^{}]*\}")
_WIDTH_METHODS = frozenset({"center", "ljust", "rjust", "zfill"})


class TemplateTooLarge(SecurityError):
    def __init__(self, what: str) -> None:
        super().__init__(f"template too large: {what} (over {MAX_TEXT} characters)")


class _BoundedCodeGenerator(CodeGenerator):
    """``a ~ b`` goes through the environment's bounded join instead of a plain ``str`` join."""

    @optimizeconst
    def visit_Concat(self, node: Concat, frame: Frame) -> None:
        self.write("environment.bounded_join((")
        for arg in node.nodes:
            self.visit(arg, frame)
            self.write(", ")
        self.write("))")


class BoundedSandbox(SandboxedEnvironment):
    intercepted_binops = frozenset({"*", "**", "+", "%"})
    code_generator_class = _BoundedCodeGenerator

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.built = 0
        self.globals["lipsum"] = _lipsum
        for name, check in _FILTER_CHECKS.items():
            if name in self.filters:
                self.filters[name] = _checked_filter(self.filters[name], check)

    def start_render(self) -> None:
        self.built = 0

    # -- counting what is built ------------------------------------------------------------
    def charge(self, value: Any, what: str) -> Any:
        if isinstance(value, (str, bytes, list, tuple)):
            size = len(value)
            if size > MAX_TEXT:
                raise TemplateTooLarge(what)
            self.built += size
            if self.built > MAX_BUILT:
                raise SecurityError(f"template too large: builds over {MAX_BUILT} characters in one render")
        return value

    def concat(self, parts: Any) -> str:  # type: ignore[override]  # the rendered output, block set, macro bodies
        chunks, size = [], 0
        for part in parts:
            size += len(part)
            if size > MAX_TEXT:
                raise TemplateTooLarge("rendered text")
            chunks.append(part)
        return "".join(chunks)

    def bounded_join(self, values: tuple[Any, ...]) -> str:
        texts = [str(v) for v in values]
        if sum(len(t) for t in texts) > MAX_TEXT:
            raise TemplateTooLarge("`~` concatenation")
        return self.charge("".join(texts), "`~` concatenation")

    # -- operators -------------------------------------------------------------------------
    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "**":
            _check_power(left, right)
        elif operator == "*":
            for seq, times in ((left, right), (right, left)):
                if isinstance(seq, (str, list, tuple)) and isinstance(times, int) and len(seq) * times > MAX_REPEAT:
                    raise SecurityError("repetition too large for a template")
            if isinstance(left, int) and isinstance(right, int) and left.bit_length() + right.bit_length() > 100_000:
                raise SecurityError("number too large for a template")
        elif operator == "+":
            if isinstance(left, (str, list, tuple)) and isinstance(right, (str, list, tuple)) and len(left) + len(right) > MAX_TEXT:
                raise TemplateTooLarge("`+` concatenation")
        elif operator == "%" and isinstance(left, str):
            check_printf(left, right)
        return self.charge(super().call_binop(context, operator, left, right), f"`{operator}` result")

    # -- calls -----------------------------------------------------------------------------
    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805
        target = getattr(__obj, "__wrapped__", __obj)  # the sandbox wraps str.format
        owner, name = getattr(target, "__self__", None), getattr(target, "__name__", "")
        if isinstance(owner, str):
            _check_str_method(owner, name, args, kwargs)
        result = super().call(__context, __obj, *args, **kwargs)
        return __self.charge(result, f"result of {name or 'a call'}()")


def _check_power(left: Any, right: Any) -> None:
    if isinstance(right, (int, float)) and abs(right) > 1000:
        raise SecurityError("exponent too large for a template")
    if isinstance(left, int) and isinstance(right, int) and right > 0 and left.bit_length() * right > 100_000:
        raise SecurityError("number too large for a template")


def check_printf(spec: str, values: Any) -> None:
    """``'%0999999999d' % 1``, ``'%.999999999f'``, ``'%*d' % (10**9, 1)``: widths and precisions bounded."""
    stars = [v for v in (values if isinstance(values, tuple) else (values,)) if isinstance(v, int)]
    for match in _PRINTF.finditer(spec):
        for part in match.groups():
            if part == "*":
                if any(abs(v) > MAX_TEXT for v in stars):
                    raise TemplateTooLarge("`%` width")
            elif part and int(part) > MAX_TEXT:
                raise TemplateTooLarge(f"`%` width {part}")


def _check_format_spec(text: str) -> None:
    for match in _FORMAT_SPEC.finditer(text):
        if any(part and int(part) > MAX_TEXT for part in match.groups()):
            raise TemplateTooLarge("format width")


def _int(value: Any) -> int:
    return value if isinstance(value, int) else 0


def _check_str_method(text: str, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    first = args[0] if args else next(iter(kwargs.values()), None)
    if name in _WIDTH_METHODS and _int(first) > MAX_TEXT:
        raise TemplateTooLarge(f".{name}({first})")
    if name == "expandtabs" and text.count("\t") * max(_int(first), 8) > MAX_TEXT:
        raise TemplateTooLarge(".expandtabs()")
    if name in ("format", "format_map"):
        _check_format_spec(text)
    if name == "replace" and len(args) >= 2:
        _check_replace(text, args[0], args[1])
    if name == "join":
        _check_join(text, first)


def _check_replace(text: Any, old: Any, new: Any) -> None:
    if isinstance(text, str) and isinstance(old, str) and isinstance(new, str) and len(new) > len(old):
        count = len(text) + 1 if not old else text.count(old)
        if len(text) + count * (len(new) - len(old)) > MAX_TEXT:
            raise TemplateTooLarge("replace()")


def _check_join(separator: Any, items: Any) -> None:
    if isinstance(items, (list, tuple)):
        size = sum(len(i) if isinstance(i, str) else 20 for i in items) + len(str(separator)) * max(len(items) - 1, 0)
        if size > MAX_TEXT:
            raise TemplateTooLarge("join()")


def _lipsum(n: int = 5, html: bool = True, min: int = 20, max: int = 100) -> str:  # noqa: A002 - Jinja's signature
    if _int(n) * _int(max) > 100_000:
        raise TemplateTooLarge(f"lipsum({n})")
    return str(generate_lorem_ipsum(n, html, min, max))


def _filter_width(value: Any, width: Any = 80, *args: Any, **kwargs: Any) -> None:
    lines = str(value).count("\n") + 1 if isinstance(value, str) else 1
    if isinstance(width, int) and width * lines > MAX_TEXT:
        raise TemplateTooLarge(f"filter width {width}")
    if isinstance(width, str) and len(width) * lines > MAX_TEXT:
        raise TemplateTooLarge("indent")


def _filter_format(value: Any, *args: Any, **kwargs: Any) -> None:
    if isinstance(value, str):
        check_printf(value, tuple(args))


def _filter_replace(value: Any, old: Any = "", new: Any = "", *args: Any, **kwargs: Any) -> None:
    _check_replace(str(value), old, new)


def _filter_join(value: Any, d: Any = "", *args: Any, **kwargs: Any) -> None:
    _check_join(d, list(value) if isinstance(value, (list, tuple)) else None)


_FILTER_CHECKS = {"center": _filter_width, "indent": _filter_width, "wordwrap": lambda *a, **k: None,
                  "truncate": lambda *a, **k: None, "format": _filter_format, "replace": _filter_replace, "join": _filter_join}


def _checked_filter(original: Any, check: Any) -> Any:
    """A filter with a size check before it runs and a size bound on its result (keeps Jinja's pass_* marks)."""
    passes = getattr(original, "jinja_pass_arg", None)

    @wraps(original)
    def checked(*args: Any, **kwargs: Any) -> Any:
        values = args[1:] if passes is not None else args  # pass_eval_context/pass_environment: first arg is Jinja's
        if values:
            check(*values, **kwargs)
        result = original(*args, **kwargs)
        if isinstance(result, str) and len(result) > MAX_TEXT:
            raise TemplateTooLarge(f"{getattr(original, '__name__', 'filter')} result")
        return result

    return checked
