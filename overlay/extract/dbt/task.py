"""dbt runs as task access: from ``dbt`` in bash commands, and from dbt operators (Cosmos, airflow-dbt).

Each model a command builds writes its relation and reads its inputs, grouped by the model's
unique_id so only a model's own inputs feed it. Operators are turned into the command they run
(``DbtRunLocalOperator(select=[...], project_dir=...)`` -> ``dbt run --select ... --project-dir ...``).
"""

from __future__ import annotations

import os
from typing import Any

from overlay.extract.dbt import manifest as dbt
from overlay.extract.context import TaskState
from overlay.extract.operators.rules import OperatorRule

# argument -> dbt option, for dbt operators (Cosmos: project_dir, select, exclude, selector, models, dbt_cmd_flags;
# airflow-dbt: dir, models, select, exclude, selector)
_SELECTION_ARGS = (("select", "--select"), ("models", "--select"), ("exclude", "--exclude"), ("selector", "--selector"))


_TARGET_UNKNOWN = ("the dbt target is not known statically: ProfileConfig(target_name=...); give its environment variable "
                   "under `environment:` in overlay.yaml")
_COSMOS_HINT = "; for Cosmos, or point ProjectConfig(manifest_path=...) at a manifest in the repository"


def run_dbt(t: TaskState, argv: list[str], folder: str | None, env: dict[str, str], manifest_file: str | None = None,
            hint: str = "", mapping: dict[str, Any] | None = None, target_unknown: str | None = None) -> None:
    argv = list(argv)
    if folder and os.path.isabs(folder) and not os.path.isdir(folder):  # `cd /usr/local/airflow/dbt && dbt run`
        folder = _located(t, folder, True)
    for i, arg in enumerate(argv):
        for option in ("--project-dir", "--profiles-dir"):
            if arg.startswith(option + "="):
                argv[i] = f"{option}={_folder(t, arg.split('=', 1)[1], folder)}"
            elif arg == option and i + 1 < len(argv):
                argv[i + 1] = _folder(t, argv[i + 1], folder)
    try:
        invocation = dbt.resolve_dbt(argv, folder, cache=t.ctx.dbt_manifests, env=env, read=t.read_text,
                                     manifest_file=manifest_file, environment=t.ctx.environment,
                                     inside=t.renderer.policy.allows, mapping=mapping, target_unknown=target_unknown)
    except dbt.DbtError as e:
        t.unresolved(f"{e}{hint}" if "manifest not found" in str(e) else str(e))
        return
    if invocation is None:
        return
    if not invocation.files:
        t.depends_on(invocation.manifest_path)
    for path in invocation.files:  # names read from the project's files: a change there reads the task again
        t.depends_on(path)
    if invocation.files:
        t.note(f"dbt: no manifest; relations named from {invocation.manifest_path}'s files and its dbt target")
    for model in invocation.models:
        origin = f"dbt:{model.unique_id}"
        for path in model.files:
            t.depends_on(path)
        for problem in model.problems:
            t.unresolved(f"dbt {problem}")
        conn_id = mapping.get("conn_id") if mapping and invocation.files else None  # names the relations of that connection
        if model.writes:
            t.add_direct(model.writes, "write", origin, conn_id, invocation.dialect, group=model.unique_id)
        for parent in model.reads:
            t.add_direct(parent, "read", origin, conn_id, invocation.dialect, group=model.unique_id)
    if not invocation.models and invocation.ephemeral:
        t.note(f"dbt {' '.join(argv[1:])}: selects only ephemeral models ({', '.join(invocation.ephemeral)}), "
               "which build no relation")
        t.access.no_data = True
    elif not invocation.models:
        t.unresolved(f"dbt selection `{' '.join(argv[1:])}` matches no model in {invocation.manifest_path}")


def dbt_operator(t: TaskState, rule: OperatorRule) -> None:
    argv = ["dbt", rule.command or "run"]
    for arg, option in _SELECTION_ARGS:
        if t.is_unknown(arg):
            t.unresolved(f"{t.operator}: `{arg}` is not known statically (line {t.spec.line})")
            return
        for value in _words(t, t.value(arg)):
            argv += [option, value]
    argv += _words(t, t.value("dbt_cmd_flags"))
    project = t.text("project_dir") or t.text("dir")
    if project:
        argv += ["--project-dir", _located(t, project, True)]
    argv += _profile_options(t)
    manifest = t.text("manifest_filepath")  # Cosmos passes ProjectConfig(manifest_path=) to its operators
    env = t.value("env")
    run_dbt(t, argv, None, {k: str(v) for k, v in env.items()} if isinstance(env, dict) else {},
            _located(t, manifest, False) if manifest else None, _COSMOS_HINT if rule.command != "test" else "", _mapping(t),
            _TARGET_UNKNOWN if "profile_config.target_name" in t.spec.unknown_args else None)
    if not t.found_anything:
        t.access.no_data = True


def _folder(t: TaskState, path: str, folder: str | None) -> str:
    """A folder a dbt command names, in the repository: relative to the command's folder, or a deployment path remapped."""
    found = t.folder(path, folder) or path
    return _located(t, found, True) if os.path.isabs(found) and not os.path.isdir(found) else found


def _mapping(t: TaskState) -> dict[str, Any] | None:
    """A Cosmos profile mapping with the connection overlay.yaml describes: what names the target without profiles.yml."""
    profile = t.value("profile_config")
    mapping = profile.get("profile_mapping") if isinstance(profile, dict) else None
    if not isinstance(mapping, dict):
        return None
    if not mapping:
        return {"unknown": "ProfileConfig(profile_mapping=...) is not known statically"}
    conn = t.ctx.connection_specs.get(str(mapping.get("conn_id")))
    return {**mapping, "target_name": profile.get("target_name"), "connection": conn}


def _profile_options(t: TaskState) -> list[str]:
    """Cosmos's ``ProfileConfig`` as dbt options: the target that names relations when there is no manifest
    (a target name not known statically is ``_TARGET_UNKNOWN``, given to ``run_dbt``)."""
    profile = t.value("profile_config")
    if not isinstance(profile, dict):
        return []
    if "profile_mapping" in profile:
        return []  # the target comes from an Airflow connection (``_mapping``), not from a profiles.yml
    options: list[str] = []
    if profile.get("target_name"):
        options += ["--target", str(profile["target_name"])]
    if profile.get("profile_name"):
        options += ["--profile", str(profile["profile_name"])]
    if profile.get("profiles_yml_filepath"):
        options += ["--profiles-dir", _located(t, str(profile["profiles_yml_filepath"]), False)]
    return options


def _located(t: TaskState, path: str, folder: bool) -> str:
    """A deployment's absolute path (``/usr/local/airflow/dbt/shop``) as the repository holds it, when it does."""
    path = t.folder(path) or path if folder else path
    if os.path.isabs(path):
        found = t.renderer.policy.locate(path, want_dir=folder)
        if found is not None:
            if found.remap:
                t.note(f"path remapped: {found.remap}")
            return found.path
    return path


def _words(t: TaskState, value: Any) -> list[str]:
    items = value if isinstance(value, (list, tuple)) else [value]
    words: list[str] = []
    for item in items:
        if isinstance(item, str) and item.strip():
            rendered = t.render(item, "dbt argument")
            words.extend((rendered or item).split())
    return words
