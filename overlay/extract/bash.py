"""SQL run from shell commands: psql, bq, snowsql, mysql, sqlcmd (dbt is in ``dbt.py``).

The command (already rendered) is cut into simple commands at ``&&``, ``||``, ``;``, ``|`` and
newlines; each one is tokenized with ``shlex`` and matched against the database clients it
knows. Heredocs (``psql <<EOF ... EOF``) feed their body as SQL.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field

_HEREDOC = re.compile(r"<<-?\s*['\"]?(\w+)['\"]?[^\n]*\n(.*?)\n\s*\1\s*(?:\n|$)", re.S)
_SEPARATORS = re.compile(r"\s*(?:&&|\|\||;|\||\n)\s*")


@dataclass
class ShellSql:
    client: str  # psql | bq | snowsql | mysql | sqlcmd
    sql: str | None = None
    file: str | None = None  # a -f file to read
    dialect: str | None = None
    database: str | None = None
    schema: str | None = None
    destination: str | None = None  # bq --destination_table
    loads: str | None = None  # bq load TABLE
    extracts: str | None = None  # bq extract TABLE


@dataclass
class ShellCommands:
    sql: list[ShellSql] = field(default_factory=list)
    dbt: list[tuple[list[str], str | None]] = field(default_factory=list)  # (argv, folder it runs in) per dbt command
    other: list[str] = field(default_factory=list)  # programs run that are not database clients
    errors: list[str] = field(default_factory=list)


def parse_commands(command: str) -> ShellCommands:
    result = ShellCommands()
    command = command.replace("\\\n", " ")
    for match in _HEREDOC.finditer(command):
        head = command[: match.start()].rsplit("\n", 1)[-1]
        if "psql" in head or "snowsql" in head or "mysql" in head:
            client = "psql" if "psql" in head else "snowsql" if "snowsql" in head else "mysql"
            result.sql.append(ShellSql(client, sql=match.group(2), dialect=_DIALECTS[client]))
    command = _HEREDOC.sub("\n", command)
    cwd: str | None = None
    for piece in _split(command):
        try:
            argv = shlex.split(piece, comments=True)
        except ValueError as e:
            result.errors.append(f"cannot split shell command {piece[:80]!r}: {e}")
            continue
        if argv[:1] == ["cd"] and len(argv) > 1:
            cwd = argv[1]
            continue
        _classify(argv, result, cwd)
    return result


def _split(command: str) -> list[str]:
    """Cut at shell separators outside quotes."""
    pieces, current, quote = [], [], None
    i = 0
    while i < len(command):
        ch = command[i]
        if quote:
            current.append(ch)
            if ch == quote:
                quote = None
            elif ch == "\\" and quote == '"' and i + 1 < len(command):
                current.append(command[i + 1])
                i += 1
        elif ch in "'\"":
            quote = ch
            current.append(ch)
        else:
            match = _SEPARATORS.match(command, i)
            if match and match.end() > i and match.group(0).strip(" ") != "":
                pieces.append("".join(current))
                current = []
                i = match.end()
                continue
            current.append(ch)
        i += 1
    pieces.append("".join(current))
    return [p.strip() for p in pieces if p.strip()]


_DIALECTS = {"psql": "postgres", "snowsql": "snowflake", "mysql": "mysql", "sqlcmd": "tsql", "bq": "bigquery"}


def _classify(argv: list[str], result: ShellCommands, cwd: str | None = None) -> None:
    while argv and ("=" in argv[0] and not argv[0].startswith("-")) or argv[:1] in (["env"], ["exec"], ["time"], ["sudo"]):
        argv = argv[1:]
    if not argv:
        return
    program = argv[0].rsplit("/", 1)[-1]
    if program == "psql":
        result.sql.extend(_psql(argv[1:]))
    elif program == "snowsql":
        result.sql.extend(_snowsql(argv[1:]))
    elif program == "bq":
        result.sql.extend(_bq(argv[1:]))
    elif program in ("mysql", "mariadb"):
        result.sql.extend(_options(argv[1:], "mysql", sql=("-e", "--execute"), database=("-D", "--database")))
    elif program == "sqlcmd":
        result.sql.extend(_options(argv[1:], "sqlcmd", sql=("-Q", "-q"), database=("-d",), file=("-i",)))
    elif program == "dbt":
        result.dbt.append((argv, cwd))
    else:
        result.other.append(program)


def _options(args: list[str], client: str, sql: tuple[str, ...] = (), database: tuple[str, ...] = (),
             file: tuple[str, ...] = (), schema: tuple[str, ...] = ()) -> list[ShellSql]:
    found: list[ShellSql] = []
    db = schema_value = None
    positional_db = None
    i = 0
    while i < len(args):
        arg = args[i]
        name, _, inline = arg.partition("=") if arg.startswith("--") else (arg, "", "")
        value = inline or (args[i + 1] if i + 1 < len(args) else None)
        step = 1 if inline else 2
        if name in sql and value is not None:
            found.append(ShellSql(client, sql=value, dialect=_DIALECTS[client]))
        elif name in file and value is not None:
            found.append(ShellSql(client, file=value, dialect=_DIALECTS[client]))
        elif name in database and value is not None:
            db = value
        elif name in schema and value is not None:
            schema_value = value
        elif arg.startswith("-") and len(arg) > 2 and arg[1] != "-" and arg[:2] in sql:
            found.append(ShellSql(client, sql=arg[2:], dialect=_DIALECTS[client]))
            step = 1
        elif not arg.startswith("-"):
            positional_db = positional_db or arg
            step = 1
        else:  # another flag: a short one takes the next word as its value (psql -h host -U user)
            step = 2 if len(arg) == 2 and arg.startswith("-") and value is not None and not value.startswith("-") else 1
        i += step
    for item in found:
        item.database = db or (positional_db if client in ("psql", "mysql") and not (positional_db or "").count("://") else None)
        item.schema = schema_value
    return found


def _psql(args: list[str]) -> list[ShellSql]:
    found = _options(args, "psql", sql=("-c", "--command"), database=("-d", "--dbname"), file=("-f", "--file"))
    for item in found:
        if item.database and "://" in item.database:
            item.database = item.database.rsplit("/", 1)[-1].split("?")[0] or None
    return found


def _snowsql(args: list[str]) -> list[ShellSql]:
    return _options(args, "snowsql", sql=("-q", "--query"), database=("-d", "--dbname"), file=("-f", "--filename"), schema=("-s", "--schemaname"))


def _bq(args: list[str]) -> list[ShellSql]:
    flags: dict[str, str] = {}
    positional: list[str] = []
    for arg in args:
        if arg.startswith("--"):
            name, _, value = arg[2:].partition("=")
            flags[name] = value or "true"
        elif not arg.startswith("-"):
            positional.append(arg)
    if not positional:
        return []
    verb, rest = positional[0], positional[1:]
    project = flags.get("project_id")
    if verb == "query" and rest:
        legacy = flags.get("use_legacy_sql", "true").lower() not in ("false", "0")
        return [ShellSql("bq", sql=rest[0], dialect="bigquery", database=project,
                         destination=flags.get("destination_table"), schema=None if not legacy else None)]
    if verb == "load" and rest:
        return [ShellSql("bq", dialect="bigquery", loads=rest[0], database=project)]
    if verb == "extract" and rest:
        return [ShellSql("bq", dialect="bigquery", extracts=rest[0], database=project)]
    return []


def bq_table(name: str) -> str:
    """``project:dataset.table`` (bq CLI style) -> ``project.dataset.table``."""
    return name.replace(":", ".")
