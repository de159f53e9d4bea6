"""Operator classes a YAML DAG names by dotted path, found in the repository as a DAG file's import finds them.

gusty and dag-factory task specs say ``operator: operators.MyOperator`` (a module on Airflow's ``sys.path``:
``plugins/``, the DAG folder, ...). When that module is the repository's own, its class is read by the same
never-executing interpreter as a Python DAG's ``from operators import MyOperator``: the operator it derives from
(whose rule applies), a class whose code touches no table (``effects``), its ``template_fields``, and the
connection its ``__init__`` stores by default. The modules read are the source's inputs (a change there re-reads the YAML DAG).
"""

from __future__ import annotations

import ast
import logging
import os
import re
from typing import Any

from overlay.discover.static.refs import ClassRef, sql_named
from overlay.discover.static.repo import RepoView
from overlay.discover.static.scanner import StaticScanner
from overlay.discover.static.specs import apply_class
from overlay.model import TaskSpec

log = logging.getLogger(__name__)

# modules no repository defines (and that static discovery never reads)
EXTERNAL_ROOTS = ("airflow", "gusty", "dagfactory")


def snake_case(name: str) -> str:
    """``HTTPToGCSOperator`` -> ``http_to_gcs_operator``: the module name gusty imports a local operator from."""
    name = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    return re.sub(r"([a-z\d])([A-Z])", r"\1_\2", name).replace("-", "_").lower()


class RepositoryClasses:
    """``apply(task, dotted)``: a task of a YAML DAG gets what a Python DAG's task of the same class would."""

    def __init__(self, repo: RepoView, source_path: str) -> None:
        if repo.evaluate is None:
            from overlay.discover.static import evaluate_module

            repo.evaluate = evaluate_module
        folder = source_path if os.path.isdir(source_path) else os.path.dirname(source_path)
        # an empty module in the DAG's folder: imports resolve from there, as from a DAG file beside the specs
        self.scanner = StaticScanner(os.path.join(folder, "__yaml_dag__.py"), "", repo, module_mode=True)

    @property
    def inputs(self) -> list[str]:
        return list(self.scanner.inputs)

    def find(self, dotted: Any) -> ClassRef | None:
        if not isinstance(dotted, str) or "." not in dotted.strip():
            return None
        module, _, name = dotted.strip().rpartition(".")
        if module.split(".")[0] in EXTERNAL_ROOTS:
            return None
        if module == "local":  # gusty: `local.MyOperator` is $AIRFLOW_HOME/operators/my_operator.py
            module = f"operators.{snake_case(name)}"
        loaded = self.scanner.load_module(module)
        value = loaded.get(name) if loaded is not None else None
        return value if isinstance(value, ClassRef) and value.is_operator() else None

    def apply(self, task: TaskSpec, dotted: Any) -> None:
        try:
            cls = self.find(dotted)
            if cls is None:
                return
            apply_class(task, cls, self.scanner.effect_of)
            if "BaseOperator" in task.operator.split("|") and any(sql_named(k) for k in [*task.args, *task.unknown_args]):
                task.operator = cls.name  # it is given SQL: what it sends it to may run it
            call = ast.Call(func=ast.Name(id=cls.name, ctx=ast.Load()), args=[], keywords=[])
            self.scanner.init_arguments(task, cls, call, self.scanner.evaluator({}))
        except Exception:  # a class that cannot be read leaves the task as the spec wrote it, never the DAG lost
            log.debug("operator class %r of %s not read", dotted, task.file, exc_info=True)
