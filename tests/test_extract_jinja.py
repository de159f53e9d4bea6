"""Rendering Airflow templates with a stand-in context: every common name renders, nothing unknown fails, the sandbox holds."""

from __future__ import annotations

from pathlib import Path

import pytest

from overlay.extract import ExtractContext, extract_task
from overlay.extract.templates.render import Renderer, TemplateError
from overlay.model import DagSpec, TaskSpec

FIXTURES = Path(__file__).parent / "fixtures" / "extract"
DAGS = FIXTURES / "dags"


def _renderer(**dag_args) -> Renderer:  # noqa: ANN003
    dag = DagSpec("sales", str(DAGS / "etl.py"), template_searchpath=[str(DAGS / "sql")], **dag_args)
    return Renderer(dag, [], {"target_schema": "mart", "config": {"table": "orders"}})


@pytest.mark.parametrize(("template", "expected"), [
    ("{{ ds }} {{ ds_nodash }} {{ ts }} {{ ts_nodash }}", "2024-01-15 20240115 2024-01-15T00:00:00+00:00 20240115T000000"),
    ("{{ data_interval_start | ds }}/{{ data_interval_end | ds }}", "2024-01-15/2024-01-16"),
    ("{{ logical_date.strftime('%Y%m') }} {{ execution_date.year }}", "202401 2024"),
    ("{{ prev_ds }} {{ next_ds }} {{ yesterday_ds }} {{ tomorrow_ds }}", "2024-01-14 2024-01-16 2024-01-14 2024-01-16"),
    ("{{ run_id }}", "scheduled__2024-01-15T00:00:00+00:00"),
    ("{{ dag.dag_id }}.{{ task.task_id }}.{{ ti.task_id }}", "sales.load.load"),
    ("{{ macros.ds_add(ds, -7) }} {{ macros.ds_format(ds, '%Y-%m-%d', '%d/%m/%Y') }}", "2024-01-08 15/01/2024"),
    ("{{ (logical_date - macros.timedelta(days=1)).strftime('%Y-%m-%d') }}", "2024-01-14"),
    ("{{ macros.datetime(2020, 1, 2).strftime('%Y') }} {{ macros.uuid.uuid4() | string | length }}", "2020 36"),
    ("{{ var.value.target_schema }}.t {{ var.json.config.table }} {{ var.value.get('missing', 'fallback') }}", "mart.t orders fallback"),
    ("{{ var.value.not_set }}", "var_not_set"),
    ("{{ ti.xcom_pull(task_ids='extract', key='table') }}", "ti_xcom_pull"),
    ("{{ task_instance.xcom_pull('extract') }}", "ti_xcom_pull"),
    ("{{ conn.warehouse.host }}", "conn_warehouse_host"),
    ("{{ dag_run.conf.get('table', 'orders') }} {{ dag_run.conf['region'] }}", "orders dag_run_conf_region"),
    ("{{ params.region }} {{ params.days }} {{ params.missing }}", "eu 7 params_missing"),
    ("{{ undefined_name }} {{ undefined_name.attr }} {{ undefined_name(1) }}", "undefined_name undefined_name_attr undefined_name"),
    ("{{ params.missing + 1 }}|{{ params.missing | int }}|{{ params.missing | default('d') }}", "params_missing|0|d"),
    ("{% if params.missing > 3 %}big{% else %}small{% endif %}{% for x in params.missing %}{{ x }}{% endfor %}", "small"),
    ("{{ params.region | plugin_filter(1) }}{% if params.region is plugin_test %}!{% endif %}", "eu"),
    ("{{ company }} {{ my_macro('x') }}", "acme my_macro"),
    ("{% set t = 'orders' %}{{ t }}{% do [] .append(1) %}", "orders"),
])
def test_stand_in_context(template: str, expected: str) -> None:
    renderer = _renderer(params={"region": "eu", "days": {"value": 7, "description": "window"}},
                         user_defined_macros={"company": "acme"})
    assert renderer.render(template, {}, "load") == expected


def test_task_params_override_dag_params() -> None:
    renderer = _renderer(params={"region": "eu", "days": 7})
    assert renderer.render("{{ params.region }}-{{ params.days }}", {"region": {"value": "us"}}) == "us-7"


def test_include_and_template_files_use_the_dag_loader() -> None:
    renderer = _renderer(params={"schema": "mart", "days": 1})
    assert renderer.render('{% include "partials/filter.sql" %}', {"status": "open"}).strip() == "AND status = 'open'"
    assert renderer.find_file("shadowed.sql") == str(DAGS / "shadowed.sql")
    assert renderer.find_file("daily.sql") == str(DAGS / "sql" / "daily.sql")
    assert renderer.find_file("nope.sql") is None


@pytest.mark.parametrize(("template", "message", "line"), [
    ("SELECT 1\nFROM t WHERE d = '{{ ds }'", "Jinja syntax error: unexpected '}'", 2),
    ("SELECT 1;\n\nSELECT {{ 1 / 0 }}", "template does not render: ZeroDivisionError", 3),
    ("{% include 'partials/none.sql' %}", "template not found: partials/none.sql", 1),
    ("{{ 'x' * 10000000 }}", "template does not render: SecurityError", 1),
    ("{{ range(10 ** 9) | list }}", "template does not render: SecurityError: ranges too large", 1),
    ("{% for i in range(1000) %}\n{% for j in range(1000) %}{% endfor %}{% endfor %}", "template does not render: SecurityError", 2),
])
def test_failures_carry_the_template_line(template: str, message: str, line: int) -> None:
    with pytest.raises(TemplateError) as error:
        _renderer().render(template)
    assert str(error.value).startswith(message) and error.value.line == line


def test_sandbox_keeps_python_internals_out_of_reach() -> None:
    rendered = _renderer().render("{{ ''.__class__.__mro__[1].__subclasses__() }} {{ cycler.__init__.__globals__ }}")
    assert "<class" not in rendered and "os" not in rendered.split()


def test_inline_template_error_is_unresolved_at_the_task_line() -> None:
    dag = DagSpec("d", str(DAGS / "etl.py"))
    task = TaskSpec("d", "t", "PostgresOperator", dag.file, 20, args={"sql": "SELECT 1\nWHERE x = {{ broken"})
    access = extract_task(task, dag, ExtractContext())
    assert access.sql == []
    assert access.unresolved == [f"{dag.file}:21: SQL in `sql`: Jinja syntax error: unexpected end of template, expected 'end of print statement'."]


def test_variables_come_from_the_extract_context() -> None:
    dag = DagSpec("d", str(DAGS / "etl.py"))
    task = TaskSpec("d", "t", "SnowflakeOperator", dag.file, 3, args={"sql": "INSERT INTO {{ var.value.schema }}.t SELECT 1"})
    assert extract_task(task, dag, ExtractContext(variables={"schema": "prod"})).sql[0].sql == "INSERT INTO prod.t SELECT 1"
    assert extract_task(task, dag, ExtractContext()).sql[0].sql == "INSERT INTO var_schema.t SELECT 1"


@pytest.mark.parametrize("template", [
    "{{ '%0999999999d' % 1 }}",
    "{{ '%.999999999f' % 1.5 }}",
    "{{ '%*d' % (999999999, 1) }}",
    "{{ '%0999999999d' | format(1) }}",
    "{{ lipsum(999999) }}",
    "{{ 'x' | center(999999999) }}",
    "{{ 'x' | indent(999999999) }}",
    "{{ '1'.zfill(2000000000) }}",
    "{{ 'x'.ljust(2000000000) }}",
    "{{ '{:>999999999}'.format(1) }}",
    "{{ ('x' * 999999) | replace('x', 'xxxxxxxxxx') }}",
    "{{ ('x' * 999999).replace('x', 'yyyyyyyyyy') }}",
    "{% for i in range(100000) %}{{ 'x' * 999999 }}{% endfor %}",
    "{% set ns = namespace(s='x' * 999999) %}{% for i in range(30) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s | length }}",
    "{% set ns = namespace(s='x' * 999999) %}{% for i in range(30) %}{% set ns.s = ns.s + ns.s %}{% endfor %}",
    "{% set s %}{% for i in range(100000) %}{{ 'x' * 999999 }}{% endfor %}{% endset %}{{ s | length }}",
    "{% for i in range(100000) %}{% set y = 'x' * 999999 %}{% endfor %}",
    "{{ ((10 ** 1000) ** 1000) ** 1000 }}",
    "{{ (['x' * 999999] * 999) | join }}",
])
def test_jinja_bombs_are_reported_as_too_large(template: str) -> None:
    """Issue 10 §6: each of these took seconds to minutes and gigabytes; now refused before the value is built."""
    with pytest.raises(TemplateError, match="too large"):
        _renderer().render(template)


def test_bounded_sandbox_leaves_ordinary_templates_alone() -> None:
    text = ("{{ '%05d' % 7 }} {{ 'ab' | center(6) }} {{ '{:>4}'.format(1) }} {{ 'a,b'.replace(',', ', ') }} "
            "{{ ['a', 'b'] | join('-') }} {{ 'x' ~ 'y' }} {{ lipsum(1, false, 5, 6) | wordcount }} {{ 2 ** 10 }}")
    assert _renderer().render(text) == "00007   ab      1 a, b a-b xy 5 1024"


def test_bare_names_render_as_jinja_renders_them() -> None:
    """`{{ ds }}` is read from the context directly; the text is what Jinja's own expression gives."""
    from overlay.extract.templates import render as templates

    context = {"ds": "2024-01-15", "n": 3, "flag": None, "items": ["a"], "params": {"kind": "x"}, "true": "shadowed"}
    text = "a {{ ds }} b {{n}} c {{ flag }} d {{ items }} e {{ params.kind }} f {{ true }} g {{ missing }} h"
    jinja = "".join(part + (str(templates._compiled_expression(expr)(**context)) if expr else "")
                    for part, expr in templates._EXPRESSION.findall(text))
    assert templates._render_expressions(text, context) == jinja == "a 2024-01-15 b 3 c None d ['a'] e x f True g missing h"


def test_a_stand_in_given_to_tojson_stays_a_stand_in(tmp_path) -> None:
    """`{{ ti.xcom_pull(task_ids='config') | tojson }}` renders the XCom's stand-in as JSON text instead of failing."""
    from overlay.extract.templates.render import Renderer
    from overlay.model import DagSpec

    renderer = Renderer(DagSpec(dag_id="d", file=str(tmp_path / "d.py")), [str(tmp_path)], {})
    rendered = renderer.render("{{ ti.xcom_pull(task_ids='config') | tojson }}")
    assert rendered.startswith('"') and rendered.strip('"') in renderer.take_standins()
