"""Relations of a dbt project read from its files (no manifest): the target from ``profiles.yml``, then dbt's naming.

dbt names a node ``database.schema.alias`` through the macros ``generate_database_name``, ``generate_schema_name``
and ``generate_alias_name`` (the project's own when its macro folders define them, else dbt's defaults) over
the node's configs and the target (``profiles.yml``: the profile ``dbt_project.yml`` names, the target
``--target``/``ProfileConfig(target_name=)`` names, else the profile's default). A source is
``database.schema.identifier`` as its properties file says. Jinja in these values is rendered in a sandbox
with what a static reader knows: ``target``, ``var()`` (the project's ``vars:``), ``env_var()`` (overlay.yaml's
``environment:``: a variable it does not list is unset, so the default applies; without ``environment:`` every
variable is unknown). Anything else makes the name unknown, with the reason: a name is never guessed.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

import yaml
from jinja2 import StrictUndefined, TemplateError
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError

from overlay.extract.templates.sandbox import BoundedSandbox
from overlay.extract.templates.render import budgeted_range

from overlay.extract.dbt.files import Expr, ProjectFiles, project_paths, read_small, walk

NAMING_MACROS = ("generate_database_name", "generate_schema_name", "generate_alias_name")
MAX_RENDER_CHARS = 4096  # a rendered name longer than this is not a name


class NameUnknown(ValueError):
    """A relation's name depends on something a static reader does not know; the text says what."""


@dataclass(frozen=True)
class TargetSpec:
    """Where the target comes from: what the command or the Cosmos operator says, and the deployment's environment."""

    profile: str | None = None  # --profile / ProfileConfig(profile_name=); else dbt_project.yml's `profile:`
    target: str | None = None  # --target / ProfileConfig(target_name=); else the profile's default `target:`
    profiles_file: str | None = None  # profiles.yml found (--profiles-dir, DBT_PROFILES_DIR, the project folder)
    vars: dict[str, Any] = field(default_factory=dict)  # --vars
    environment: dict[str, str] | None = None  # overlay.yaml `environment:` (None: not given, every variable unknown)
    unknown: str | None = None  # why the target cannot be known (the caller could not read it): every name is unknown
    mapping: dict[str, Any] | None = None  # Cosmos's profile mapping: class, conn_id, profile_args, target_name, connection


@dataclass
class Target:
    name: str
    type: str | None
    database: str | None
    schema: str | None
    fields: dict[str, Any]
    profiles_file: str


class _NamingSandbox(BoundedSandbox, ImmutableSandboxedEnvironment):
    """The project's Jinja, bounded as DAG templates are (what it builds, its ranges), and unable to mutate lists."""


class _Return(Exception):
    def __init__(self, value: Any) -> None:
        self.value = value


class Namer:
    """Names the nodes of one project for one target; ``files`` lists what the names were read from."""

    def __init__(self, project: str, files: ProjectFiles, spec: TargetSpec, inside: Any) -> None:
        self.project = project
        self.files = files
        self.spec = spec
        self.inside = inside
        self.vars = _project_vars(files.settings, files.name)
        self.vars.update(spec.vars)
        self.env = _NamingSandbox(undefined=StrictUndefined, extensions=["jinja2.ext.do"])
        self.target = self._target()
        self.read: list[str] = [self.target.profiles_file] if spec.mapping is None else []
        self._macros = self._naming_macros(inside)

    # --- the target ---------------------------------------------------------------------------------------------------
    def _target(self) -> Target:
        if self.spec.unknown:
            raise NameUnknown(self.spec.unknown)
        if self.spec.mapping is not None:
            return mapping_target(self.spec.mapping)
        path = self.spec.profiles_file
        if not path or not os.path.isfile(path):
            raise NameUnknown("no profiles.yml in the repository names the dbt target (dbt reads it from ~/.dbt on the workers: "
                              "keep one without secrets beside dbt_project.yml, or give --profiles-dir, or Cosmos's "
                              "ProfileConfig(profiles_yml_filepath=...))")
        if not self.inside(path):
            raise NameUnknown(f"{path} leads outside the repository: not read (list its folder under `allow_paths:` to read it)")
        try:
            profiles = yaml.safe_load(read_small(path))
        except yaml.YAMLError as e:
            raise NameUnknown(f"{path} cannot be read: {e}") from e
        profile_name = self.spec.profile or self.files.settings.get("profile")
        profile = profiles.get(profile_name) if isinstance(profiles, dict) and isinstance(profile_name, str) else None
        if not isinstance(profile, dict):
            raise NameUnknown(f"profile {profile_name!r} is not in {path}")
        name = self.spec.target or profile.get("target")
        if isinstance(name, str) and ("{{" in name):
            name = self.render_text(name, {}, f"the default target of profile {profile_name}")
        outputs = profile.get("outputs") if isinstance(profile.get("outputs"), dict) else {}
        if not isinstance(name, str) or not isinstance(outputs.get(name), dict):
            raise NameUnknown(f"dbt target {name!r} is not an output of profile {profile_name!r} in {path}"
                              if name else f"the dbt target of profile {profile_name!r} is not known")
        output = outputs[name]
        values = {k: v for k, v in output.items() if isinstance(k, str) and isinstance(v, (str, int, float, bool))}
        target = Target(name, None, None, None, {}, path)
        target.fields = {"name": name, "profile_name": profile_name, "target_name": name}
        for key, value in values.items():
            if isinstance(value, str) and ("{{" in value or "{%" in value):
                if key not in ("type", "database", "project", "schema", "dataset", "dbname"):
                    continue  # only the naming fields are rendered (a keyfile's env_var is not needed)
                value = self.render_text(value, {}, f"{key} of dbt target {name!r}")
            target.fields[key] = value
        target.type = _text(target.fields.get("type"))
        target.database = _text(target.fields.get("database", target.fields.get("project", target.fields.get("dbname"))))
        target.schema = _text(target.fields.get("schema", target.fields.get("dataset")))
        target.fields.setdefault("database", target.database)
        target.fields.setdefault("schema", target.schema)
        return target

    # --- Jinja --------------------------------------------------------------------------------------------------------
    def _globals(self) -> dict[str, Any]:
        return {"target": self.target.fields if hasattr(self, "target") else {}, "env_var": self._env_var, "var": self._var,
                "range": budgeted_range(),
                "return": self._return, "project_name": self.files.name,
                "default__generate_schema_name": self.default_schema, "default__generate_database_name": self.default_database,
                "default__generate_alias_name": self.default_alias}

    def _env_var(self, name: str, default: Any = None) -> str:
        environment = self.spec.environment
        if environment and name in environment:
            return str(environment[name])
        if environment and default is not None:
            return str(default)
        where = "overlay.yaml's `environment:` does not give it" if environment else "give it under `environment:` in overlay.yaml"
        raise NameUnknown(f"env_var('{name}') is not known statically ({where})")

    def _var(self, name: str, default: Any = None) -> Any:
        if name in self.vars:
            value = self.vars[name]
            if isinstance(value, str) and ("{{" in value or "{%" in value):
                return self.render_text(value, {}, f"var('{name}')")
            return value
        if default is not None:
            return default
        raise NameUnknown(f"var('{name}') is not set in dbt_project.yml's vars: (it is given at run time)")

    @staticmethod
    def _return(value: Any) -> None:
        raise _Return(value)

    def render_text(self, text: str, context: dict[str, Any], what: str) -> str:
        try:
            out = self.env.from_string(text).render({**self._globals(), **context})
        except _Return as r:
            out = str(r.value)
        except NameUnknown as e:
            raise NameUnknown(f"{what}: {e}") from None
        except (TemplateError, SecurityError, TypeError, ValueError, AttributeError, RecursionError) as e:
            raise NameUnknown(f"{what} is built from something not known statically ({type(e).__name__}: {e})") from None
        return _checked(out, what)

    def value(self, value: Any, what: str) -> Any:
        """A config value as dbt reads it: Jinja in a YAML string rendered, an expression of ``config()`` evaluated."""
        if not isinstance(value, Expr):
            return value
        text = value.text if "{{" in value.text or "{%" in value.text else "{{ " + value.text + " }}"
        return self.render_text(text, {}, what)

    def _naming_macros(self, inside: Any) -> dict[str, Any]:
        """The project's own naming macros, as callables of a module rendered with the globals; none: dbt's defaults."""
        found: dict[str, Any] = {}
        budget = [5_000]
        for folder in project_paths(self.files.settings, "macro-paths"):
            for relative in walk(self.project, folder, (".sql",), inside, budget):
                path = os.path.join(self.project, relative)
                text = read_small(path)
                wanted = [m for m in NAMING_MACROS if f"macro {m}" in text and m not in found]
                if not wanted:
                    continue
                self.read.append(path)
                try:
                    module = self.env.from_string(text).make_module(self._globals())
                except Exception as e:  # noqa: BLE001 - a macro file Jinja cannot compile: its names are unknown
                    for m in wanted:
                        found[m] = NameUnknown(f"macro {m} in {relative} cannot be read ({type(e).__name__}: {e})")
                    continue
                for m in wanted:
                    found[m] = getattr(module, m, None) or NameUnknown(f"macro {m} in {relative} is not a top-level macro")
        return found

    def _call(self, macro: str, custom: Any, node: dict[str, Any], default: Any) -> str:
        own = self._macros.get(macro)
        if own is None:
            return default(custom, node)
        if isinstance(own, NameUnknown):
            raise own
        try:
            out = own(custom, node)
        except _Return as r:
            out = r.value
        except NameUnknown as e:
            raise NameUnknown(f"the project's {macro}: {e}") from None
        except Exception as e:  # noqa: BLE001 - what the macro uses is not known statically
            raise NameUnknown(f"the project's {macro} uses something not known statically ({type(e).__name__}: {e})") from None
        return _checked(str(out), f"the project's {macro}")

    # --- dbt's defaults -----------------------------------------------------------------------------------------------
    def default_schema(self, custom: Any, node: Any = None) -> str:
        base = self._known(self.target.schema, "schema")
        return base if custom is None else f"{base}_{str(custom).strip()}"

    def default_database(self, custom: Any, node: Any = None) -> str:
        return self._known(self.target.database, "database") if custom is None else str(custom).strip()

    def default_alias(self, custom: Any, node: Any = None) -> str:
        if custom is not None:
            return str(custom).strip()
        return str(node["name"]) if isinstance(node, dict) else str(getattr(node, "name", ""))

    def _known(self, value: str | None, what: str) -> str:
        if not value:
            raise NameUnknown(f"dbt target {self.target.name!r} in {self.target.profiles_file} gives no {what}")
        return value

    # --- nodes --------------------------------------------------------------------------------------------------------
    def name(self, node: dict[str, Any]) -> tuple[str, str, str]:
        """(database, schema, alias or identifier) of a node; ``NameUnknown`` when a part is not known."""
        config = node.get("config") or {}
        label = f"{node.get('resource_type')} {node.get('name')}"
        if node.get("resource_type") == "source":
            database = self.value(node.get("source_database"), f"database of source {node.get('source_name')}")
            schema = self.value(node.get("source_schema"), f"schema of source {node.get('source_name')}")
            identifier = self.value(node.get("identifier"), f"identifier of {label}")
            return (str(database) if database is not None else self._known(self.target.database, "database")), str(schema), str(identifier)
        values = {k: self.value(config.get(k), f"config {k} of {label}") for k in ("database", "project", "schema", "dataset",
                                                                                       "alias", "target_schema", "target_database")}
        if node.get("resource_type") == "snapshot" and values["target_schema"] is not None:  # legacy snapshot configs: as written
            database = values["target_database"] or self._known(self.target.database, "database")
            return str(database), str(values["target_schema"]), self._call("generate_alias_name", values["alias"], node, self.default_alias)
        custom_db = values["database"] if values["database"] is not None else values["project"]
        custom_schema = values["schema"] if values["schema"] is not None else values["dataset"]
        database = self._call("generate_database_name", custom_db, node, self.default_database)
        schema = self._call("generate_schema_name", custom_schema, node, self.default_schema)
        alias = self._call("generate_alias_name", values["alias"], node, self.default_alias)
        return database, schema, alias


# Cosmos's profile mapping classes (cosmos.profiles) by their name's start: the adapter, and the profile_args field
# that names the database (the dbt schema is profile_args' schema, or dataset on BigQuery)
MAPPING_TYPES = (("GoogleCloud", "bigquery", "project"), ("Postgres", "postgres", "dbname"), ("Redshift", "redshift", "dbname"),
                 ("Snowflake", "snowflake", "database"), ("Databricks", "databricks", "catalog"), ("Trino", "trino", "database"),
                 ("Athena", "athena", "database"), ("Exasol", "exasol", "database"), ("Vertica", "vertica", "database"),
                 ("ClickHouse", "clickhouse", "schema"), ("Clickhouse", "clickhouse", "schema"), ("Teradata", "teradata", "schema"),
                 ("Oracle", "oracle", "database"), ("MySQL", "mysql", "schema"), ("Mysql", "mysql", "schema"), ("DuckDB", "duckdb", "database"),
                 ("Spark", "spark", "schema"), ("SQLServer", "sqlserver", "database"))


def mapping_target(mapping: dict[str, Any]) -> Target:
    """The target a Cosmos profile mapping builds: its adapter from the class, database and schema from ``profile_args``,
    else from the connection as overlay.yaml describes it (``connections:``); what neither gives is not known."""
    if mapping.get("unknown"):
        raise NameUnknown(str(mapping["unknown"]))
    kind = str(mapping.get("class") or "")
    found = next(((adapter, field_name) for prefix, adapter, field_name in MAPPING_TYPES if kind.startswith(prefix)), None)
    if found is None:
        raise NameUnknown(f"the target comes from {kind}, a profile mapping overlay does not read")
    adapter, database_field = found
    args = mapping.get("profile_args") if isinstance(mapping.get("profile_args"), dict) else {}
    conn_id = mapping.get("conn_id")
    conn = mapping.get("connection") or {}
    schema_field = "dataset" if adapter == "bigquery" else "schema"
    database = args.get(database_field) if database_field != "schema" else None
    database = database or args.get("database") or conn.get("database")
    schema = args.get(schema_field) or args.get("schema") or conn.get("schema")
    for what, value in (("database", database), ("schema", schema)):
        if not isinstance(value, str) or not value:
            raise NameUnknown(f"the target comes from Airflow connection {conn_id!r} ({kind}), whose {what} is not known: "
                              f"give it in profile_args, or under `connections: {{{conn_id}: {{{what}: ...}}}}` in overlay.yaml")
    name = str(mapping.get("target_name") or "dev")  # Cosmos's default target name
    fields = {"name": name, "target_name": name, "type": adapter, "database": database, "schema": schema,
              **({"project": database, "dataset": schema} if adapter == "bigquery" else {})}
    return Target(name, adapter, str(database), str(schema), fields, f"Airflow connection {conn_id}")


def _project_vars(settings: dict[str, Any], package: str) -> dict[str, Any]:
    """``vars:`` of dbt_project.yml: global ones and the project's own (``vars: {<project>: {...}}``)."""
    raw = settings.get("vars") if isinstance(settings.get("vars"), dict) else {}
    out = {k: v for k, v in raw.items() if not isinstance(v, dict) or k != package}
    if isinstance(raw.get(package), dict):
        out.update(raw[package])
    return out


def _text(value: Any) -> str | None:
    return str(value).strip() if isinstance(value, (str, int)) and str(value).strip() else None


def _checked(out: str, what: str) -> str:
    text = str(out).strip()
    if not text or len(text) > MAX_RENDER_CHARS or any(c in text for c in "\n{}"):
        raise NameUnknown(f"{what} renders to {text[:60]!r}, not a name")
    return text


def find_profiles(project: str, profiles_dir: str | None, env: dict[str, str]) -> tuple[str | None, str | None]:
    """(profiles.yml as dbt finds it, or why it is not known): ``--profiles-dir``, ``DBT_PROFILES_DIR``, the project
    folder (never ~/.dbt: not the repository's)."""
    for folder in (profiles_dir, env.get("DBT_PROFILES_DIR"), project):
        if folder:
            path = folder if folder.endswith((".yml", ".yaml")) else os.path.join(folder, "profiles.yml")
            if os.path.isfile(path):
                return path, None
            if folder != project:  # the profiles dbt reads are elsewhere: the project's own would be the wrong ones
                return None, (f"the dbt target is read from {path}, which is not in the repository (map its folder "
                              "with `paths:` in overlay.yaml)")
    return None, None


@dataclass
class NamedProject:
    """A project's nodes with their relations (``relation_name``) or why not (``relation_problem``), as a manifest."""

    graph: Any  # dbt_select.Graph
    adapter: str | None
    files: list[str]  # what the names were read from besides the nodes' own files


def named_project(project: str, spec: TargetSpec, inside: Any) -> NamedProject:
    """The project read from its files and named for the target (``NameUnknown`` when the target is not known)."""
    from overlay.extract.dbt.files import read_project
    from overlay.extract.dbt.select import Graph

    files = read_project(project, inside)
    nodes = {uid: dict(node) for uid, node in files.nodes.items()}  # the read project is shared: its nodes are not changed
    namer = Namer(project, files, spec, inside)
    for node in nodes.values():
        if node.get("resource_type") not in ("model", "seed", "snapshot", "source"):
            continue
        try:
            node["database"], node["schema"], alias = namer.name(node)
            node["alias" if node.get("resource_type") != "source" else "identifier"] = alias
            node["relation_name"] = f"{node['database']}.{node['schema']}.{alias}"
        except NameUnknown as e:
            node["relation_problem"] = f"{node.get('resource_type')} {node.get('name')}: {e}"
    return NamedProject(Graph.build(nodes), namer.target.type, [*files.files, *namer.read])
