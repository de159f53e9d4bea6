"""Imports as the static interpreter binds them: repository modules evaluated once per scan (``RepoView.module``),
their names bound as Python binds them, their files counted as the importing file's inputs; Airflow's and the
standard library's modules stay unknown names, never loaded."""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING, Any

from overlay.discover.static.refs import ModuleRef

if TYPE_CHECKING:
    from overlay.discover.static.scanner import StaticScanner


# Airflow 1's namespaces for what plugins register (`from airflow.operators import MyPluginOperator`)
_PLUGIN_NAMESPACES = frozenset({"airflow.operators", "airflow.sensors", "airflow.hooks"})


class ImportBinder:
    """``import x`` / ``from x import y`` for ``StaticScanner``."""

    def exec_import(self: StaticScanner, name: str, asname: str | None, scope: dict[str, Any]) -> None:
        bound = asname or name.split(".")[0]
        self.imports[bound] = name if asname else name.split(".")[0]
        module = self.load_module(name if asname else name.split(".")[0])
        if module is None and not asname and "." in name and self.repo is not None \
                and self.repo.is_namespace(bound, self.ctx.path):  # `import lib.x` of a folder without __init__.py
            module = ModuleRef(bound, {}, self.load_module)
        if module is not None:
            scope[bound] = module
        else:
            scope.pop(bound, None)

    def exec_import_from(self: StaticScanner, stmt: ast.ImportFrom, scope: dict[str, Any]) -> None:
        base = stmt.module or ""
        module = self.load_module(base, stmt.level) if base not in _PLUGIN_NAMESPACES else self.plugin_module(stmt)
        for alias in stmt.names:
            bound = alias.asname or alias.name
            self.imports[bound] = f"{base}.{alias.name}".lstrip(".")
            if alias.name == "*":
                if module is not None:
                    scope.update({k: v for k, v in module.scope.items() if not k.startswith("_")})
                continue
            value = module.get(alias.name) if module is not None else None
            if value is None:
                value = self.load_module(f"{base}.{alias.name}" if base else alias.name, stmt.level)
            if value is not None:
                scope[bound] = value
            else:
                scope.pop(bound, None)

    def plugin_module(self: StaticScanner, stmt: ast.ImportFrom) -> ModuleRef | None:
        """``from airflow.operators import StageToRedshiftOperator``: Airflow 1 put the operators, sensors and hooks
        an ``AirflowPlugin`` in ``plugins/`` registers under its own modules. The names are bound to the classes the
        repository's plugins folder defines (one file defining the name; a name it does not define stays Airflow's)."""
        if self.repo is None or stmt.level:
            return None
        found: dict[str, Any] = {}
        for alias in stmt.names:
            path = self.repo.plugin_definition(alias.name)
            module = self.module_at(path, alias.name) if path is not None and path != self.path else None
            if module is not None and module.get(alias.name) is not None:
                found[alias.name] = module.get(alias.name)
        return ModuleRef(stmt.module or "", found) if found else None

    def load_module(self: StaticScanner, name: str, level: int = 0) -> ModuleRef | None:
        if self.repo is None or (not name and not level):
            return None
        if name.split(".")[0] in ("airflow", "os", "sys", "json", "yaml", "datetime", "pendulum", "pathlib", "glob", "typing"):
            return None
        path = self.repo.find_module(name, level, self.ctx.path)
        if path is None or path == self.path:
            return None
        return self.module_at(path, name, level)

    def module_at(self: StaticScanner, path: str, name: str, level: int = 0) -> ModuleRef | None:
        """The repository module in file ``path``, evaluated once per scan, its file and errors the importer's."""
        assert self.repo is not None
        loaded = self.repo.module(path)
        if loaded is None:
            return None  # an import cycle: its names stay unknown here
        for dep in loaded.inputs:
            if dep not in self.inputs:
                self.inputs.append(dep)
        for error in loaded.errors:
            self.report(error, self.site_line)
        absolute = name if not level else name  # relative names resolve under the same package
        return ModuleRef(absolute, loaded.scope, lambda sub, lvl=level: self.load_module(sub, lvl), loaded.path)
