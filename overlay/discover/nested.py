"""Nested templating: Airflow also renders the ``template_fields`` of objects held in a task's template field
(``checks=[Check(sql=...), ...]``). The SQL such objects carry is the SQL the operator runs, in order. One rule for
both discovery modes: static mode reads the interpreter's objects, import mode the real ones."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from overlay.discover.static.refs import sql_named


def nested_sql(values: Iterable[Any], fields_of: Callable[[Any], Any], value_of: Callable[[Any, str], Any]) -> tuple[list[str], bool]:
    """The SQL texts of the objects in ``values`` (each a template field's value: one object or a list of them),
    and whether one of their templated SQL fields holds something that is not a string."""
    texts: list[str] = []
    unknown = False
    for value in values:
        for item in value if isinstance(value, (list, tuple)) else [value]:
            fields = fields_of(item) if item is not None else None
            for name in [fields] if isinstance(fields, str) else fields if isinstance(fields, (list, tuple)) else ():
                if isinstance(name, str) and sql_named(name):
                    text = value_of(item, name)
                    if isinstance(text, str):
                        texts.append(text)
                    else:
                        unknown = True
    return texts, unknown
