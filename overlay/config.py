"""Settings from ``overlay.yaml``: connections, ownership, freshness, ignores.

Looked up as ``--config FILE``, else ``./overlay.yaml``, else ``overlay.yaml`` at the top of the
first scanned DAG folder (settings that travel with the DAG repository).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

from overlay.variables_file import VariablesFileError, read_variables_file

CONFIG_NAME = "overlay.yaml"


class ConfigError(ValueError):
    """overlay.yaml is malformed: the message says where."""


@dataclass(frozen=True)
class ConnectionSpec:
    """Where a conn_id's tables live: enough to turn a table name into an asset key."""

    conn_id: str
    dialect: str | None = None
    database: str | None = None
    schema: str | None = None
    namespace: str | None = None
    source: str = "overlay.yaml"  # overlay.yaml | env | airflow-db | operator


@dataclass(frozen=True)
class OwnershipRule:
    match: str
    owners: tuple[str, ...] = ()
    team: str | None = None


@dataclass(frozen=True)
class FreshnessRule:
    match: str
    max_lag: str


@dataclass(frozen=True)
class UserRule:
    """An operator or wrapper declared in overlay.yaml (``operators:``), read like a built-in registry rule."""

    name: str  # class or function name as the DAGs call it
    like: str | None = None  # a built-in operator whose rule it starts from
    sql: tuple[str, ...] = ()  # arguments holding SQL or a SQL file name
    conn: tuple[str, ...] = ()  # arguments holding the conn_id
    dialect: str | None = None
    writes: tuple[tuple[str, ...], ...] = ()  # arguments naming a written table (each: parts, outermost first)
    reads: tuple[tuple[str, ...], ...] = ()
    ext: tuple[str, ...] = (".sql",)  # endings that make a SQL argument a template file
    database: tuple[str, ...] = ()
    schema: tuple[str, ...] = ()


USER_RULE_KEYS = frozenset({"like", "sql", "sql_file", "conn", "dialect", "destination", "writes", "reads", "ext", "database", "schema"})


@dataclass
class Settings:
    connections: dict[str, ConnectionSpec] = field(default_factory=dict)
    ownership: list[OwnershipRule] = field(default_factory=list)
    freshness: list[FreshnessRule] = field(default_factory=list)
    ignore: list[str] = field(default_factory=list)
    variables: dict[str, Any] = field(default_factory=dict)  # Airflow Variables stand-ins for templates
    cost: dict[str, float] = field(default_factory=dict)  # prices: snowflake_credit, bigquery_tib, postgres_hour
    lint: dict[str, Any] = field(default_factory=dict)  # overlay lint: {severity: {rule: level|off}, ignore: [{rule, match}]}
    allow_paths: list[str] = field(default_factory=list)  # folders outside the repository extraction may read
    path_remaps: dict[str, str] = field(default_factory=dict)  # `paths:` deployment prefix -> folder in the checkout
    operators: dict[str, UserRule] = field(default_factory=dict)  # `operators:` rules for operators and wrappers
    environment: dict[str, str] = field(default_factory=dict)  # `environment:` the deployment's variables DAG code reads
    path: str | None = None

    def fingerprint(self) -> str:
        """Changes whenever a setting that affects scan results changes."""
        data = {"connections": {k: asdict(v) for k, v in sorted(self.connections.items())},
                "ignore": self.ignore, "variables": self.variables, "allow_paths": self.allow_paths,
                "paths": self.path_remaps, "operators": {k: asdict(v) for k, v in sorted(self.operators.items())},
                "environment": self.environment}
        return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()[:16]


def find_config(explicit: str | None, folders: list[str] | None = None) -> Path | None:
    if explicit:
        path = Path(explicit)
        if not path.is_file():
            raise ConfigError(f"config file not found: {explicit}")
        return path
    local = Path(CONFIG_NAME)
    if local.is_file():
        return local
    for folder in folders or []:
        candidate = Path(folder) / CONFIG_NAME
        if candidate.is_file():
            return candidate
    return None


def load_settings(explicit: str | None = None, folders: list[str] | None = None) -> Settings:
    path = find_config(explicit, folders)
    if path is None:
        return Settings()
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as e:
        raise ConfigError(f"{path}: invalid YAML: {e}") from e
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level")
    return parse_settings(raw, str(path))


def parse_settings(raw: dict[str, Any], where: str = CONFIG_NAME) -> Settings:
    return Settings(
        connections=_connections(raw.get("connections") or {}, where),
        ownership=[_ownership(r, where, i) for i, r in enumerate(_list(raw, "ownership", where))],
        freshness=[_freshness(r, where, i) for i, r in enumerate(_list(raw, "freshness", where))],
        ignore=[str(x) for x in _list(raw, "ignore", where)],
        variables={**_variables_file(raw.get("variables_file"), where), **dict(raw.get("variables") or {})},
        cost=_cost(raw.get("cost") or {}, where),
        lint=_lint(raw.get("lint") or {}, where),
        allow_paths=[_folder(p, where) for p in _list(raw, "allow_paths", where)],
        path_remaps=_remaps(raw.get("paths") or {}, where),
        operators=_user_rules(raw.get("operators") or {}, where),
        environment=_environment(raw.get("environment") or {}, where),
        path=where,
    )


def _variables_file(value: Any, where: str) -> dict[str, Any]:
    """``variables_file: vars/vars.yaml``: the repository's Variables file, under ``variables:`` (which win)."""
    if value is None:
        return {}
    try:
        return read_variables_file(value, _config_folder(where))
    except VariablesFileError as e:
        raise ConfigError(f"{where}: {e}") from e


def _folder(value: Any, where: str) -> str:
    """A folder of overlay.yaml, relative to the file's own folder."""
    return str((_config_folder(where) / str(value)).resolve())


def _config_folder(where: str) -> Path:
    """The folder paths in overlay.yaml are relative to: the file's own (the working folder for settings not read
    from a file)."""
    return Path(where).resolve().parent if where != CONFIG_NAME else Path.cwd()


def _user_rules(raw: Any, where: str) -> dict[str, UserRule]:
    """``operators: {MyOperator: {sql: [query], conn: [warehouse_conn_id], dialect: snowflake, destination: [table]}}``."""
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: `operators` maps an operator or wrapper name to its rule")
    rules = {}
    for name, spec in raw.items():
        if not isinstance(spec, dict) or set(spec) - USER_RULE_KEYS:
            unknown = sorted(set(spec) - USER_RULE_KEYS) if isinstance(spec, dict) else spec
            raise ConfigError(f"{where}: operators.{name}: unknown keys {unknown} (allowed: {', '.join(sorted(USER_RULE_KEYS))})")

        def names(key: str, spec: dict[str, Any] = spec) -> tuple[str, ...]:
            value = spec.get(key) or []
            return tuple(str(v) for v in ([value] if isinstance(value, str) else value))

        def tables(key: str, spec: dict[str, Any] = spec) -> tuple[tuple[str, ...], ...]:
            value = spec.get(key) or []
            items = [value] if isinstance(value, str) else value
            return tuple(tuple(str(p) for p in ([i] if isinstance(i, str) else i)) for i in items)

        rules[str(name)] = UserRule(
            str(name), like=_opt(spec.get("like")), sql=names("sql") + names("sql_file"), conn=names("conn"),
            dialect=_opt(spec.get("dialect")), writes=tables("destination") + tables("writes"), reads=tables("reads"),
            ext=names("ext") or (".sql",), database=names("database"), schema=names("schema"))
    return rules


def _environment(raw: Any, where: str) -> dict[str, str]:
    """``environment: {ENV_SHORT_NAME: prod}``: what ``os.environ``/``os.getenv`` give DAG code in the deployment scanned."""
    if not isinstance(raw, dict) or not all(isinstance(v, (str, int, float, bool)) for v in raw.values()):
        raise ConfigError(f"{where}: `environment` maps variable names to string values: {{ENV_SHORT_NAME: prod}}")
    return {str(k): str(v) for k, v in raw.items()}


def _remaps(raw: Any, where: str) -> dict[str, str]:
    """``paths:`` maps an absolute prefix as the DAGs write it (``/usr/local/airflow/``) to a checkout folder."""
    if not isinstance(raw, dict) or not all(isinstance(k, str) and str(k).startswith("/") for k in raw):
        raise ConfigError(f"{where}: `paths` maps absolute deployment prefixes to folders: {{/usr/local/airflow/: ./}}")
    return {k: _folder(v, where) for k, v in raw.items()}


def _list(raw: dict[str, Any], key: str, where: str) -> list[Any]:
    value = raw.get(key) or []
    if not isinstance(value, list):
        raise ConfigError(f"{where}: `{key}` must be a list")
    return value


def _connections(raw: Any, where: str) -> dict[str, ConnectionSpec]:
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: `connections` must map conn_id to settings")
    result = {}
    for conn_id, spec in raw.items():
        if not isinstance(spec, dict):
            raise ConfigError(f"{where}: connection {conn_id!r} must be a mapping")
        unknown = set(spec) - {"dialect", "database", "schema", "namespace", "project", "dataset"}
        if unknown:
            raise ConfigError(f"{where}: connection {conn_id!r}: unknown keys {sorted(unknown)}")
        result[str(conn_id)] = ConnectionSpec(
            conn_id=str(conn_id),
            dialect=_opt(spec.get("dialect")),
            database=_opt(spec.get("database") or spec.get("project")),
            schema=_opt(spec.get("schema") or spec.get("dataset")),
            namespace=_opt(spec.get("namespace")),
        )
    return result


def _ownership(rule: Any, where: str, index: int) -> OwnershipRule:
    if not isinstance(rule, dict) or "match" not in rule:
        raise ConfigError(f"{where}: ownership[{index}] needs `match` and `owners` or `team`")
    owners = rule.get("owners") or []
    if isinstance(owners, str):
        owners = [owners]
    return OwnershipRule(match=str(rule["match"]), owners=tuple(str(o) for o in owners), team=_opt(rule.get("team")))


def _freshness(rule: Any, where: str, index: int) -> FreshnessRule:
    if not isinstance(rule, dict) or "match" not in rule or "max_lag" not in rule:
        raise ConfigError(f"{where}: freshness[{index}] needs `match` and `max_lag`")
    return FreshnessRule(match=str(rule["match"]), max_lag=str(rule["max_lag"]))


def _cost(raw: Any, where: str) -> dict[str, float]:
    known = {"snowflake_credit", "bigquery_tib", "postgres_hour"}
    if not isinstance(raw, dict) or set(raw) - known:
        raise ConfigError(f"{where}: `cost` maps prices in USD: {', '.join(sorted(known))}")
    try:
        return {k: float(v) for k, v in raw.items()}
    except (TypeError, ValueError) as e:
        raise ConfigError(f"{where}: `cost` prices must be numbers: {e}") from e


def _lint(raw: Any, where: str) -> dict[str, Any]:
    levels = {"error", "warning", "info", "off"}
    if not isinstance(raw, dict) or set(raw) - {"severity", "ignore"}:
        raise ConfigError(f"{where}: `lint` takes `severity` (rule -> error|warning|info|off) and `ignore` ([{{rule, match}}])")
    severity = raw.get("severity") or {}
    if isinstance(severity, dict):  # YAML reads a bare `off` as false
        severity = {k: "off" if v is False else v for k, v in severity.items()}
    if not isinstance(severity, dict) or any(str(v) not in levels for v in severity.values()):
        raise ConfigError(f"{where}: `lint.severity` maps a rule to one of {', '.join(sorted(levels))}")
    ignore = raw.get("ignore") or []
    if not isinstance(ignore, list) or not all(isinstance(i, dict) and set(i) <= {"rule", "match"} for i in ignore):
        raise ConfigError(f"{where}: `lint.ignore` is a list of {{rule, match}} mappings")
    return {"severity": {str(k): str(v) for k, v in severity.items()}, "ignore": ignore}


def _opt(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)
