"""Python 3.12 f-strings on an older parser: nested quotes swapped where that is the same program, else the error."""

from __future__ import annotations

import ast
import sys

import pytest

from overlay.discover.python_source import parse_python, swap_nested_quotes


@pytest.mark.parametrize("source, expected", [
    ('x = f"{d.get("a", "")} {y!r:>{w}} {{lit}}"', "x = f\"{d.get('a', '')} {y!r:>{w}} {{lit}}\""),
    ("x = f'{d['k']}'", 'x = f\'{d["k"]}\''),
    ('x = rf"\\d{m["a"]}"', "x = rf\"\\d{m['a']}\""),
    ('x = f"{x:{"w"}}"', "x = f\"{x:{'w'}}\""),
    ('x = f"""{d["k"]}"""  # "quoted" comment', 'x = f"""{d["k"]}"""  # "quoted" comment'),  # always valid: untouched
    ('s = "a \\" b"; t = f"{u}" + "{v}"', 's = "a \\" b"; t = f"{u}" + "{v}"'),
])
def test_nested_quotes_are_swapped_and_nothing_else_moves(source: str, expected: str) -> None:
    swapped = swap_nested_quotes(source)
    assert swapped == expected and len(swapped) == len(source)
    compile(swapped, "<test>", "exec")


@pytest.mark.parametrize("source", [
    'x = f"{d["it\'s"]}"',  # the other quote is in the nested text
    'x = f"{a["b"] + f"{c}"}"',  # an f-string nested in an f-string
    'x = f"{d["a\\tb"]}"',  # a backslash inside the expression
])
def test_what_a_swap_cannot_rewrite_is_left_alone(source: str) -> None:
    assert swap_nested_quotes(source) is None
    if sys.version_info < (3, 12):  # 3.12's own parser reads them
        with pytest.raises(SyntaxError):
            parse_python(source)


def test_the_tree_keeps_the_files_lines_and_columns() -> None:
    source = 'import x\n\nSQL = f"SELECT * FROM {T["orders"]} WHERE d = {P["day"]}"\n'
    tree = parse_python(source, "dag.py")
    assign = tree.body[1]
    assert (assign.lineno, assign.col_offset, assign.end_col_offset) == (3, 0, len(source.splitlines()[2]))
    values = [ast.unparse(v.value) for v in assign.value.values if isinstance(v, ast.FormattedValue)]
    assert values == ["T['orders']", "P['day']"]


def test_other_syntax_errors_are_reported_as_they_were() -> None:
    with pytest.raises(SyntaxError) as raised:
        parse_python("def broken(:\n    pass\n", "bad.py")
    assert raised.value.filename == "bad.py" and raised.value.lineno == 1
