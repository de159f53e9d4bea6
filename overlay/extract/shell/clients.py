"""Database clients in shell commands: psql, bq, snowsql, mysql, sqlcmd, trino, hive... and dbt calls.

The (already rendered) command is read by ``shell.py``; each simple command is matched against
``CLIENTS`` (a table: program -> dialect and the options that carry SQL, SQL files, database and
schema), ``bq`` and ``dbt``. SQL comes from options, positional words, heredocs, here-strings,
``< file`` and ``echo ... |``. Scripts it calls (``bash x.sh``, ``./x.sh``) are listed for the
caller to read. Pure: no file is read here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from overlay.extract.operators.bqnames import bq_table
from overlay.extract.shell.programs import describe_run, touches_no_table
from overlay.extract.shell.words import Command, Word, split_script

_MAX_DEPTH = 3
_WHOLE_EXPANSION = re.compile(r"^\$(\{[^}]*\}|\([^)]*\)|\w+)$")


@dataclass(frozen=True)
class Client:
    dialect: str | None
    sql: tuple[str, ...] = ()
    file: tuple[str, ...] = ()
    database: tuple[str, ...] = ()
    schema: tuple[str, ...] = ()
    valued: tuple[str, ...] = ()  # other options that take a value (skipped)
    positional: tuple[str, ...] = ()  # meaning of positional words in order: database | sql | skip
    env_database: tuple[str, ...] = ()
    env_schema: tuple[str, ...] = ()


CLIENTS: dict[str, Client] = {
    "psql": Client("postgres", ("-c", "--command"), ("-f", "--file"), ("-d", "--dbname"),
                   valued=("-h", "--host", "-p", "--port", "-U", "--username", "-v", "--set", "--variable", "-o", "--output",
                           "-P", "--pset", "-F", "--field-separator", "-R", "--record-separator", "-L", "--log-file", "-T"),
                   positional=("database", "skip"), env_database=("PGDATABASE",)),
    "snowsql": Client("snowflake", ("-q", "--query"), ("-f", "--filename"), ("-d", "--dbname"), ("-s", "--schemaname"),
                      valued=("-a", "--accountname", "-u", "--username", "-w", "--warehouse", "-r", "--rolename", "-c",
                              "--connection", "-o", "--option", "-D", "--variable", "--config", "-h", "--host", "-p", "--port",
                              "--region", "--authenticator", "--private-key-path"),
                      env_database=("SNOWSQL_DATABASE",), env_schema=("SNOWSQL_SCHEMA",)),
    "mysql": Client("mysql", ("-e", "--execute"), (), ("-D", "--database"),
                    valued=("-h", "--host", "-u", "--user", "-P", "--port", "-S", "--socket", "--defaults-file",
                            "--defaults-extra-file", "--default-character-set", "--login-path"),
                    positional=("database",)),
    "sqlcmd": Client("tsql", ("-Q", "-q"), ("-i",), ("-d",),
                     valued=("-S", "-U", "-P", "-o", "-s", "-w", "-h", "-H", "-l", "-t", "-v", "-f", "-a", "-c", "-L")),
    "trino": Client("trino", ("--execute",), ("-f", "--file"), ("--catalog",), ("--schema",),
                    valued=("--server", "--user", "--output-format", "--session", "--client-tags", "--source", "--resource-estimate")),
    "presto": Client("presto", ("--execute",), ("-f", "--file"), ("--catalog",), ("--schema",),
                     valued=("--server", "--user", "--output-format", "--session", "--client-tags", "--source")),
    "hive": Client("hive", ("-e",), ("-f",), ("--database",), valued=("-i", "--hiveconf", "--hivevar", "-d", "--define")),
    "beeline": Client("hive", ("-e",), ("-f",), (), valued=("-u", "-n", "-p", "-d", "-i", "--hiveconf", "--hivevar", "-w")),
    "spark-sql": Client("spark", ("-e",), ("-f",), ("--database",),
                        valued=("--master", "--conf", "--name", "--jars", "--packages", "--driver-memory", "--executor-memory",
                                "-i", "--hiveconf", "--hivevar", "-d", "--define", "--deploy-mode", "--num-executors")),
    "impala-shell": Client("hive", ("-q", "--query"), ("-f", "--query_file"), ("-d", "--database"), valued=("-i", "--impalad", "-u", "--user")),
    "clickhouse-client": Client("clickhouse", ("-q", "--query"), ("--queries-file",), ("-d", "--database"),
                                valued=("-h", "--host", "--port", "-u", "--user", "--password", "--format", "-f")),
    "vsql": Client(None, ("-c", "--command"), ("-f", "--file"), ("-d", "--dbname"), valued=("-h", "-p", "-U", "-w"),
                   positional=("database", "skip")),
    "sqlite3": Client("sqlite", (), (), (), valued=("-cmd", "-separator", "-nullvalue"), positional=("skip", "sql")),
    "duckdb": Client("duckdb", ("-c",), (), (), valued=("-cmd",), positional=("skip", "sql")),
}
CLIENTS["mariadb"] = CLIENTS["mysql"]
CLIENTS["clickhouse"] = CLIENTS["clickhouse-client"]
_KEYWORDS = frozenset({"if", "then", "else", "elif", "do", "while", "until", "!", "{", "}", "time", "nohup", "exec", "command", "builtin"})
_RUNNERS = {"uv": ("run",), "poetry": ("run",), "pipenv": ("run",), "pdm": ("run",), "conda": ("run",), "hatch": ("run",)}
_WRAPPER_VALUED = {"sudo": ("-u", "-g", "-U", "-C", "-h", "-p"), "env": ("-u", "-C", "-S"), "timeout": ("-s", "-k", "--signal", "--kill-after"),
                   "nice": ("-n",), "conda": ("-n", "-p", "--name", "--prefix"), "uv": ("--with", "--python", "--project", "--directory")}
_BQ_VALUED = frozenset({"destination_table", "project_id", "dataset_id", "location", "format", "source_format", "destination_format",
                        "parameter", "label", "max_rows", "n", "schema", "field_delimiter", "job_id", "api", "credential_file",
                        "flagfile", "time_partitioning_field", "clustering_fields", "view", "materialized_view"})


@dataclass
class ShellSql:
    client: str
    sql: str | None = None
    file: str | None = None  # a SQL file the client runs (-f, < file)
    dialect: str | None = None
    database: str | None = None  # as the client names it (psql -d, mysql -D, trino --catalog)
    schema: str | None = None
    destination: str | None = None  # bq query --destination_table
    reads: list[str] = field(default_factory=list)  # tables known without SQL (bq extract, bq cp)
    writes: list[str] = field(default_factory=list)  # (bq load, bq cp)
    legacy_sql: bool = False  # bq: legacy SQL (`[project:dataset.table]` names)
    cwd: str | None = None  # folder a relative file is relative to (from `cd`)


@dataclass
class DbtCall:
    argv: list[str]
    cwd: str | None
    env: dict[str, str] = field(default_factory=dict)


@dataclass
class ShellCommands:
    sql: list[ShellSql] = field(default_factory=list)
    dbt: list[DbtCall] = field(default_factory=list)
    scripts: list[tuple[str, str | None]] = field(default_factory=list)  # (script path, cwd) it runs
    # Python scripts it runs (`python load.py`, `python3 -u jobs/x.py`): (script path, cwd, how a report names the run)
    python: list[tuple[str, str | None, str]] = field(default_factory=list)
    other: list[str] = field(default_factory=list)  # programs known to touch no table (overlay/extract/shell/programs.py)
    runs: list[str] = field(default_factory=list)  # code it runs whose data access is not known: `python -m job`
    errors: list[str] = field(default_factory=list)


def parse_commands(command: str, env: dict[str, str] | None = None, cwd: str | None = None, depth: int = 0) -> ShellCommands:
    result = ShellCommands()
    try:
        commands = split_script(command, env)
    except Exception as e:  # an odd script must not stop the task's extraction
        result.errors.append(f"cannot read shell command {command[:80]!r}: {type(e).__name__}: {e}")
        return result
    copies: dict[str, str] = {}  # a folder the script copied -> where it came from
    for cmd in commands:
        argv = _unwrap(cmd.argv)
        if not argv:
            continue
        program = argv[0].text.rsplit("/", 1)[-1]
        if program in ("cd", "pushd") and len(argv) > 1 and not argv[1].unknown:
            cwd = argv[1].text if argv[1].text.startswith("/") or cwd is None else f"{cwd}/{argv[1].text}"
            cwd = _copied_from(cwd, copies)
        else:
            if program == "cp":
                _record_copy(argv[1:], copies)
            _classify(program, argv, cmd, result, cwd, {**(env or {}), **cmd.assignments}, depth)
    return result


def _record_copy(args: list[Word], copies: dict[str, str]) -> None:
    """``cp -r SRC DST`` of a folder (a dbt project copied to /tmp before ``cd`` there and ``dbt run``, as MWAA and
    read-only DAG folders need): DST, and DST/<SRC's name> (where cp puts it when DST is a folder), are SRC."""
    flags = [a.text for a in args if a.text.startswith("-")]
    paths = [a for a in args if not a.text.startswith("-")]
    recursive = any(f in ("-r", "-R", "--recursive", "-a", "--archive") or
                    (not f.startswith("--") and any(c in f for c in "rRa")) for f in flags)
    if not recursive or len(paths) != 2 or any(p.unknown or "*" in p.text for p in paths):
        return
    source, target = (p.text.rstrip("/") or "/" for p in paths)
    if source.startswith("/") and target.startswith("/"):
        copies[target] = source
        copies[f"{target}/{source.rsplit('/', 1)[-1]}"] = source


def _copied_from(folder: str, copies: dict[str, str]) -> str:
    """The folder a copy made by the script came from (``/tmp/run/models`` → ``/opt/dbt/models``), else ``folder``."""
    folder = folder.rstrip("/") or "/"
    for target in sorted(copies, key=len, reverse=True):
        if folder == target or folder.startswith(target + "/"):
            return copies[target] + folder[len(target):]
    return folder


def _unwrap(argv: list[Word]) -> list[Word]:
    """Drop shell keywords and wrappers (`sudo -u x`, `env A=1`, `time`, `uv run`) in front of the real program."""
    i = 0
    while i < len(argv):
        word = argv[i].text
        name = word.rsplit("/", 1)[-1]
        if word in _KEYWORDS:
            i += 1
        elif name in ("sudo", "env", "timeout", "nice", "xargs"):
            i += 1
            while i < len(argv) and (argv[i].text.startswith("-") or "=" in argv[i].text):
                i += 2 if argv[i].text in _WRAPPER_VALUED.get(name, ()) else 1
            if name == "timeout" and i < len(argv):
                i += 1  # the duration
        elif name in _RUNNERS and i + 1 < len(argv) and argv[i + 1].text in _RUNNERS[name]:
            i += 2
            while i < len(argv) and argv[i].text.startswith("-"):
                i += 2 if argv[i].text in _WRAPPER_VALUED.get(name, ()) else 1
        else:
            break
    return argv[i:]


def _classify(program: str, argv: list[Word], cmd: Command, result: ShellCommands, cwd: str | None,
              env: dict[str, str], depth: int) -> None:
    if program in CLIENTS:
        _client(program, CLIENTS[program], argv[1:], cmd, result, cwd, env)
    elif program == "bq":
        _bq(argv[1:], result)
    elif program == "dbt":
        result.dbt.append(DbtCall([w.text for w in argv], cwd, env))
    elif program in ("bash", "sh", "zsh") and _inline_script(argv) is not None and depth < _MAX_DEPTH:
        inner = parse_commands(_inline_script(argv) or "", env, cwd, depth + 1)
        for name in ("sql", "dbt", "scripts", "python", "other", "runs", "errors"):
            getattr(result, name).extend(getattr(inner, name))
    elif program in ("source", ".") and len(argv) > 1 and argv[1].text.rsplit("/", 1)[-1] == "activate":
        result.other.append(program)  # a virtualenv's activation: environment only
    elif program in ("bash", "sh", "zsh", "source", ".") and len(argv) > 1 and not argv[1].text.startswith("-"):
        result.scripts.append((argv[1].text, cwd))
    elif program.endswith(".sh") or program.endswith(".bash"):
        result.scripts.append((argv[0].text, cwd))
    elif _PYTHON.fullmatch(program) and (script := _python_script(argv[1:])) is not None:
        result.python.append((script, cwd, describe_run(argv[0].text, [w.text for w in argv[1:]])))
    elif touches_no_table(program, [w.text for w in argv[1:]]):
        result.other.append(program)
    else:
        result.runs.append(describe_run(argv[0].text, [w.text for w in argv[1:]]))


_PYTHON = re.compile(r"python(?:\d(?:\.\d+)?)?")
_PYTHON_VALUED = frozenset({"-W", "-X", "--check-hash-based-pycs"})  # interpreter options that take a value


def _python_script(args: list[Word]) -> str | None:
    """The ``.py`` file ``python [options] file.py [args]`` runs; None for ``-m module``, ``-c code`` or a file built
    at run time."""
    i = 0
    while i < len(args) and args[i].text.startswith("-"):
        if args[i].text in ("-m", "-c", "-"):
            return None
        i += 2 if args[i].text in _PYTHON_VALUED else 1
    if i >= len(args) or args[i].unknown or not args[i].text.endswith(".py"):
        return None
    return args[i].text


def _inline_script(argv: list[Word]) -> str | None:
    """The script of ``bash -c SCRIPT``, ``sh -cx SCRIPT``, ``bash -x -c SCRIPT``; None for other invocations."""
    for i, word in enumerate(argv[1:], start=1):
        text = word.text
        if not text.startswith("-") or text.startswith("--"):
            return None
        if "c" in text[1:]:
            return argv[i + 1].text if i + 1 < len(argv) else None
    return None


def _client(program: str, client: Client, args: list[Word], cmd: Command, result: ShellCommands, cwd: str | None,
            env: dict[str, str]) -> None:
    found: list[ShellSql] = []
    database = next((env[n] for n in client.env_database if env.get(n)), None)
    schema = next((env[n] for n in client.env_schema if env.get(n)), None)
    positional = iter(client.positional)
    i = 0
    while i < len(args):
        option = _option(client, args, i)
        if option is not None:
            key, value, i = option
            if value is None:
                continue
            if key in client.sql:
                found.append(_sql_item(program, client, value, result))
            elif key in client.file:
                found.append(_file_item(program, client, value, cwd, result))
            elif key in client.database:
                database = value.text
            else:
                schema = value.text
            continue
        word = args[i]
        i += 2 if word.text in client.valued else 1
        if word.text.startswith("-"):
            continue
        role = next(positional, "skip")
        if role == "database":
            database = word.text
        elif role == "sql":
            found.append(_sql_item(program, client, word, result))
    if not found and cmd.stdin_text is not None:
        found.append(_sql_item(program, client, Word(cmd.stdin_text), result))
    elif not found and cmd.stdin_file:
        found.append(_file_item(program, client, Word(cmd.stdin_file), cwd, result))
    for item in found:
        item.database, item.schema = _database_name(database), schema
    result.sql.extend(f for f in found if f.sql or f.file)


def _option(client: Client, args: list[Word], i: int) -> tuple[str, Word | None, int] | None:
    """(option, its value, next index) when ``args[i]`` is an option the client table knows
    (``-c SQL``, ``--command=SQL``, ``-cSQL``, clustered ``-tAc SQL``); None otherwise."""
    word = args[i]
    takes = client.sql + client.file + client.database + client.schema
    name, has_inline, inline = word.text.partition("=") if word.text.startswith("--") else (word.text, "", "")
    if name in takes:
        if has_inline:
            return name, Word(inline, word.unknown), i + 1
        return name, (args[i + 1] if i + 1 < len(args) else None), i + 2
    if word.text.startswith("--") or len(word.text) <= 2 or word.text[0] != "-" or word.text in client.valued:
        return None
    for j, letter in enumerate(word.text[1:], start=2):
        option, rest = f"-{letter}", word.text[j:]
        if option in takes or option in client.valued:
            value = Word(rest, word.unknown) if rest else (args[i + 1] if i + 1 < len(args) else None)
            step = i + 1 if rest else i + 2
            return (option, value, step) if option in takes else ("", None, step)
    return None


def _sql_item(program: str, client: Client, word: Word, result: ShellCommands) -> ShellSql:
    if word.unknown:
        whole = _WHOLE_EXPANSION.match(word.text.strip())
        result.errors.append(f"{program}: the SQL {'is' if whole else 'uses'} a shell expansion not known statically"
                             f" ({word.text.strip()[:60]!r})")
        if whole:
            return ShellSql(program)
    return ShellSql(program, sql=word.text, dialect=client.dialect)


def _file_item(program: str, client: Client, word: Word, cwd: str | None, result: ShellCommands) -> ShellSql:
    if word.unknown:
        result.errors.append(f"{program}: the SQL file {word.text!r} is a shell expansion not known statically")
        return ShellSql(program)
    return ShellSql(program, file=word.text, dialect=client.dialect, cwd=cwd)


def _database_name(value: str | None) -> str | None:
    """psql/vsql accept a URI or a conninfo string where a database name goes."""
    if not value:
        return None
    if "://" in value:
        path = value.split("://", 1)[1].split("?", 1)[0]
        return path.split("/", 1)[1] or None if "/" in path else None
    match = re.search(r"(?:^|\s)dbname=(\S+)", value)
    if match:
        return match.group(1)
    return None if "=" in value else value


def _bq(args: list[Word], result: ShellCommands) -> None:
    flags: dict[str, str] = {}
    positional: list[Word] = []
    i = 0
    while i < len(args):
        text = args[i].text
        if text.startswith("-"):
            name, has_value, value = text.lstrip("-").partition("=")
            if not has_value and name in _BQ_VALUED and i + 1 < len(args):
                value, i = args[i + 1].text, i + 1
            flags[name] = value if has_value or name in _BQ_VALUED else "true"
        else:
            positional.append(args[i])
        i += 1
    if not positional:
        return
    verb, rest = positional[0].text, positional[1:]
    legacy = flags.get("use_legacy_sql", "false" if "nouse_legacy_sql" in flags else "true").lower() not in ("false", "0")
    project, dataset = flags.get("project_id"), flags.get("dataset_id")
    if dataset and ":" in dataset:  # --dataset_id=project:dataset: the default dataset's own project qualifies names
        project, dataset = dataset.split(":", 1)
    base = ShellSql("bq", dialect="bigquery", database=project, schema=dataset, legacy_sql=legacy)
    if verb == "query" and len(rest) == 1 and rest[0].text.endswith(".sql") and not re.search(r"\s", rest[0].text):
        base.file, base.destination = rest[0].text, flags.get("destination_table")  # bigquery-etl's `query FILE`
        result.sql.append(base)
    elif verb == "query":
        text = " ".join(w.text for w in rest)
        if any(w.unknown for w in rest):
            result.errors.append(f"bq query: the SQL uses a shell expansion not known statically ({text[:60]!r})")
        if text.strip():
            base.sql, base.destination = text, flags.get("destination_table")
            result.sql.append(base)
    elif verb == "load" and rest:
        base.writes = [rest[0].text]
        result.sql.append(base)
    elif verb == "extract" and rest:
        base.reads = [rest[0].text]
        result.sql.append(base)
    elif verb == "cp" and len(rest) >= 2:
        base.reads, base.writes = [t for w in rest[:-1] for t in w.text.split(",") if t], [rest[-1].text]
        result.sql.append(base)
    elif verb == "mk" and rest and (flags.get("view") or flags.get("materialized_view")):
        kind = "VIEW" if flags.get("view") else "MATERIALIZED VIEW"
        base.sql = f"CREATE {kind} `{bq_table(rest[-1].text)}` AS {flags.get('view') or flags.get('materialized_view')}"
        result.sql.append(base)
