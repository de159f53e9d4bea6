"""Containers that run SQL clients: KubernetesPodOperator, GKEPodOperator, DockerOperator, EcsRunTaskOperator.

Their ``cmds``/``arguments`` (Kubernetes), ``command`` (Docker, a string or a list) and
``overrides.containerOverrides[].command`` (ECS) are the command line the container runs. Each
string is rendered (they are template fields), the words are joined into one shell command and read
like a ``bash_command`` (``bash_task.run_shell``): ``bq query --destination_table``, ``psql``,
``snowsql``, ``dbt``, ``spark-sql``. ``["bash", "-c", SCRIPT]`` runs the script. A command that starts
with a ``bq`` verb and no program (an image whose entrypoint is a ``bq``-like tool, as bigquery-etl's
``query ... sql/<project>/<dataset>/<table>/query.sql``) is read as ``bq``.
"""

from __future__ import annotations

import shlex
from typing import Any

from overlay.extract.shell.bash_task import run_shell
from overlay.extract.context import TaskState
from overlay.extract.operators.rules import OperatorRule

_SHELLS = frozenset({"bash", "sh", "zsh", "/bin/bash", "/bin/sh", "/usr/bin/bash", "/usr/bin/env bash"})
_BQ_VERBS = frozenset({"query"})
_ENV_ARGS = ("env_vars", "environment")  # Kubernetes, Docker


def container_operator(t: TaskState, rule: OperatorRule) -> None:
    commands: list[list[str]] = []
    unknown = [a for a in rule.sql_args if t.is_unknown(a)]
    if unknown:
        t.unresolved(f"{t.operator}: {'/'.join(unknown)} computed at run time (line {t.spec.line})")
        return
    if "overrides" in rule.sql_args:
        commands = _ecs_commands(t)
    else:
        argv = [w for arg in rule.sql_args for w in _words(t, t.value(arg), arg)]
        commands = [argv] if argv else []
    if not commands:
        image = t.value("image") or t.value("task_definition")
        t.unresolved(f"{t.operator} runs the entrypoint of its image{f' {image}' if isinstance(image, str) else ''}: "
                     f"data access not known (line {t.spec.line})")
        return
    env = next((_env(t.value(a)) for a in _ENV_ARGS if t.value(a)), {})
    for argv in commands:
        run_shell(t, command_line(argv), env, None)


def command_line(argv: list[str]) -> str:
    """The shell command a container's argv amounts to."""
    if len(argv) >= 3 and argv[0] in _SHELLS and argv[1] in ("-c", "-lc", "-ec", "-xc"):
        return argv[2]
    if argv and argv[0] in _BQ_VERBS:
        argv = ["bq", *argv]
    return shlex.join(argv)


def _words(t: TaskState, value: Any, arg: str) -> list[str]:
    if isinstance(value, str):  # DockerOperator's `command` string: split as Docker does
        rendered = t.render(value, f"argument {arg}")
        try:
            return shlex.split(rendered) if rendered else []
        except ValueError:
            return [rendered] if rendered else []
    if isinstance(value, (list, tuple)):
        words = []
        for item in value:
            if isinstance(item, (str, int, float)) and not isinstance(item, bool):
                rendered = t.render(str(item), f"argument {arg}")
                words.append(rendered if rendered is not None else str(item))
        return words
    return []


def _ecs_commands(t: TaskState) -> list[list[str]]:
    overrides = t.value("overrides")
    containers = overrides.get("containerOverrides") if isinstance(overrides, dict) else None
    found = []
    for container in containers if isinstance(containers, list) else []:
        if isinstance(container, dict) and container.get("command"):
            found.append(_words(t, container["command"], "overrides.containerOverrides.command"))
    return [c for c in found if c]


def _env(value: Any) -> dict[str, str]:
    if isinstance(value, dict):
        return {str(k): str(v) for k, v in value.items() if isinstance(v, (str, int, float))}
    if isinstance(value, list):  # [{"name": ..., "value": ...}] (ECS, Kubernetes V1EnvVar as a dict)
        return {str(e["name"]): str(e["value"]) for e in value if isinstance(e, dict) and "name" in e and "value" in e}
    return {}
