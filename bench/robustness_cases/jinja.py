"""Jinja bombs in DAG templates (issue 10 §6): each must be refused as "template too large", fast and small."""

from __future__ import annotations

from collections.abc import Callable, Iterator

BOMBS = (
    "{{ '%0999999999d' % 1 }}",
    "{{ '%.999999999f' % 1.5 }}",
    "{{ '%0999999999d' | format(1) }}",
    "{{ lipsum(999999) }}",
    "{{ 'x' | center(999999999) }}",
    "{{ 'x' | indent(999999999) }}",
    "{{ '1'.zfill(2000000000) }}",
    "{{ '{:>999999999}'.format(1) }}",
    "{{ ('x' * 999999) | replace('x', 'xxxxxxxxxx') }}",
    "{% for i in range(100000) %}{{ 'x' * 999999 }}{% endfor %}",
    "{% set ns = namespace(s='x' * 999999) %}{% for i in range(30) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}",
    "{% set s %}{% for i in range(100000) %}{{ 'x' * 999999 }}{% endfor %}{% endset %}{{ s | length }}",
    "{% for i in range(100000) %}{% set y = 'x' * 999999 %}{% endfor %}",
    "{{ ((10 ** 1000) ** 1000) ** 1000 }}",
    "{{ (['x' * 999999] * 999) | join }}",
)


def _render_case(template: str) -> Callable[[], str | None]:
    def run() -> str | None:
        from overlay.extract import ExtractContext, extract_task
        from overlay.model import DagSpec, TaskSpec

        dag = DagSpec("bomb", "/nonexistent/bomb.py")
        task = TaskSpec("bomb", "t", "SQLExecuteQueryOperator", dag.file, 1, args={"sql": template, "conn_id": "w"})
        access = extract_task(task, dag, ExtractContext())
        if access.sql:
            return f"rendered {sum(len(s.sql) for s in access.sql)} characters instead of refusing"
        if not any("too large" in r for r in access.unresolved):
            return f"not reported as too large: {access.unresolved}"
        return None

    return run


def cases() -> Iterator[tuple[str, str, Callable[[], str | None]]]:
    for template in BOMBS:
        yield ("jinja", template[:60], _render_case(template))
