"""Hostile dbt projects read without a manifest: bounded Jinja, nothing read outside the repository, the scan goes on.

Each case writes a repository with a Cosmos DAG over a small dbt project, makes one part of the project hostile,
scans it statically in this process, and fails when the scan raised, the good model lost its table, a name came
from a file outside the repository, or the hostile part went unreported. The runner adds the time and memory limits.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

from robustness_cases._opens import record_opens

DAG = '''from airflow import DAG
from cosmos import DbtTaskGroup, ProfileConfig, ProjectConfig, RenderConfig
from cosmos.constants import TestBehavior
with DAG("d"):
    DbtTaskGroup(group_id="g", project_config=ProjectConfig("/usr/local/airflow/dbt/p"),
                 profile_config=ProfileConfig(profile_name="p", target_name="prod", profiles_yml_filepath="/usr/local/airflow/dbt/p/profiles.yml"),
                 render_config=RenderConfig(test_behavior=TestBehavior.NONE))
'''
PROFILES = "p:\n  target: prod\n  outputs:\n    prod: {type: postgres, dbname: dw, schema: public}\n"
SECRET = "p:\n  target: prod\n  outputs:\n    prod: {type: postgres, dbname: secretdb, schema: secret_schema}\n"
BOMB = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}]\n"
    for i in range(1, 9))


def check(files: dict[str, str], expect_error: str | None = None, symlinks: dict[str, str] | None = None,
          good: str | None = "postgres:dw.public.good") -> str | None:
    from overlay.config import Settings
    from overlay.scan import scan_folders

    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name).resolve()
        (tmp / "outside").mkdir()
        (tmp / "outside" / "profiles.yml").write_text(SECRET)
        (tmp / "outside" / "secret.sql").write_text("select * from secret_schema.secret_table\n")
        repo = tmp / "repo"
        (repo / ".git").mkdir(parents=True)
        (repo / "dags").mkdir()
        (repo / "dags" / "d.py").write_text(DAG)
        project = repo / "dbt" / "p"
        base = {"dbt_project.yml": "name: p\nprofile: p\n", "profiles.yml": PROFILES, "models/good.sql": "select 1 as one\n"}
        for rel, text in {**base, **files}.items():
            (project / rel).parent.mkdir(parents=True, exist_ok=True)
            if text is not None:
                (project / rel).write_text(text)
        for rel, target in (symlinks or {}).items():
            (project / rel).unlink(missing_ok=True)
            (project / rel).symlink_to(tmp / target)
        opened = record_opens(str(tmp / "outside"))
        try:
            result = scan_folders([str(repo)], mode="static", settings=Settings())
        except BaseException as e:  # noqa: BLE001 - what the case measures
            return f"the scan raised {type(e).__name__}: {str(e)[:200]}"
        if opened:
            return f"opened a file outside the repository: {opened[0]}"
        text = repr(result.to_dict())
        if "secret" in text:
            return "a file outside the repository reached the scan result"
        writes = {w for t in result.tasks for w in t.writes}
        if good and good not in writes:
            return f"the good model lost its table: {sorted(writes)[:5]}"
        problems = [e for t in result.tasks for e in t.errors] + [e.error for e in result.errors]
        if expect_error and not any(expect_error in p for p in problems):
            return f"nothing says {expect_error!r}; problems: {[p[:100] for p in problems][:4]}"
    return None


def _case(*args, **kwargs) -> Callable[[], str | None]:  # noqa: ANN002, ANN003
    return lambda: check(*args, **kwargs)


def cases() -> Iterator[tuple[str, str, Callable[[], str | None]]]:
    loops = "{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}"
    yield ("static", "dbt: generate_schema_name loops 10^10 times",
           _case({"macros/s.sql": "{% macro generate_schema_name(c, node) -%}" + loops + "x{%- endmacro %}"}, "too large", good=None))
    yield ("static", "dbt: generate_alias_name calls itself",
           _case({"macros/a.sql": "{% macro generate_alias_name(c, node) -%}{{ generate_alias_name(c, node) }}{%- endmacro %}"},
                 "generate_alias_name", good=None))
    yield ("static", "dbt: a model's config(alias=) builds a 4 GB string",
           _case({"models/big.sql": "{{ config(alias='x' * 4000000000) }}\nselect 1\n"}, "config alias"))
    yield ("static", "dbt: profiles.yml is a link out of the repository",
           _case({}, "not in the repository", symlinks={"profiles.yml": "outside/profiles.yml"}, good=None))
    yield ("static", "dbt: a model file is a link out of the repository",
           _case({}, None, symlinks={"models/leak.sql": "outside/secret.sql"}))
    yield ("static", "dbt: properties file with a YAML alias bomb in its tests",
           _case({"models/schema.yml": BOMB + "models:\n  - name: good\n    tests: *a8\n"}))
    yield ("static", "dbt: sources nested 50,000 levels deep",
           _case({"models/src.yml": "sources: " + "[" * 50_000 + "]" * 50_000 + "\n"}))
    yield ("static", "dbt: 200 models ref each other in a cycle",
           _case({f"models/m{i}.sql": f"select * from {{{{ ref('m{(i + 1) % 200}') }}}}\n" for i in range(200)}))
