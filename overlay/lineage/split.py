"""From SQL text to parsed statements, one error per statement that does not parse.

The text is tokenized once and cut at semicolons; each piece is parsed on its own so one bad
statement never hides the others. A piece that fails to parse is retried as several
statements cut at statement keywords (T-SQL scripts often omit semicolons).

Before tokenizing, each statement is measured against the budgets of ``budget.py``; one over
them is reported "too complex to analyse" and blanked out of the text, and each parse runs
under the time budget.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from functools import lru_cache

from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import ErrorLevel, ParseError, TokenError
from sqlglot.parser import Parser
from sqlglot.tokens import Token, Tokenizer, TokenType

from overlay.lineage import budget
from overlay.lineage.procedural import has_control_flow, has_scripting, unwrap_control_flow, unwrap_scripting

MAX_SQL_CHARS = 5_000_000
MAX_STATEMENTS = 20_000

_STATEMENT_STARTS = frozenset(
    {
        TokenType.INSERT,
        TokenType.UPDATE,
        TokenType.DELETE,
        TokenType.MERGE,
        TokenType.CREATE,
        TokenType.DROP,
        TokenType.TRUNCATE,
        TokenType.ALTER,
        TokenType.DECLARE,
    }
)
# keywords after which a statement keyword continues the same statement (MERGE ... THEN UPDATE)
_CONTINUES = frozenset({TokenType.THEN, TokenType.INSERT, TokenType.OR, TokenType.L_PAREN})
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_TOKEN_REPR = re.compile(r"<Token token_type: TokenType\.\w+, text: (.*?), line: \d+.*?>")


@dataclass
class ParsedStatement:
    index: int
    line: int
    expression: exp.Expression | None
    error: str | None = None


# When a statement does not parse in its dialect, the dialect it is built on gets a try
# (Athena DDL is Hive, Redshift grew from Postgres...), then sqlglot's generic dialect.
FALLBACK_DIALECTS: dict[str, str] = {
    "athena": "hive",
    "redshift": "postgres",
    "materialize": "postgres",
    "databricks": "spark",
    "spark": "hive",
    "starrocks": "mysql",
    "doris": "mysql",
}


@lru_cache(maxsize=64)
def get_dialect(dialect: str | None) -> Dialect:
    """sqlglot's dialect; names sqlglot does not know (vertica, db2...) use the generic one."""
    try:
        return Dialect.get_or_raise(dialect)
    except ValueError:
        return Dialect.get_or_raise(None)


_tools = threading.local()


def _tokenizer_and_parser(d: Dialect) -> tuple[Tokenizer, Parser]:
    """One tokenizer and parser per dialect object (``get_dialect`` gives the same one each time) and thread, reused:
    both reset on each use, and building them cost about a third of tokenizing a typical statement."""
    made: dict[int, tuple[Dialect, Tokenizer, Parser]] = _tools.__dict__.setdefault("made", {})
    entry = made.get(id(d))
    if entry is None or entry[0] is not d:
        if len(made) >= 64:
            made.clear()
        entry = made[id(d)] = (d, d.tokenizer(), d.parser(error_level=ErrorLevel.RAISE))
    return entry[1], entry[2]


def fallback_chain(dialect: str | None) -> list[Dialect]:
    chain: list[Dialect] = []
    name = FALLBACK_DIALECTS.get(dialect or "")
    while name:
        chain.append(get_dialect(name))
        name = FALLBACK_DIALECTS.get(name)
    if dialect:
        chain.append(get_dialect(None))
    return chain


def parse_statements(sql: str, dialect: str | None) -> list[ParsedStatement]:
    with budget.timer():
        return _parse_statements(sql, dialect)


def _parse_statements(sql: str, dialect: str | None) -> list[ParsedStatement]:
    if len(sql) > MAX_SQL_CHARS:
        return [ParsedStatement(0, 1, None, f"SQL text too long ({len(sql)} characters, limit {MAX_SQL_CHARS})")]
    d = get_dialect(dialect)
    rejected = [] if budget.within_limits(sql) else [
        (segment, error) for segment in budget.segments(sql, d) if (error := budget.over_limits(segment)) is not None
    ]
    text = _without_client_commands(budget.blank(sql, [segment for segment, _ in rejected]))
    # (offset, line, expression, error), in text order: parsed chunks and statements over budget
    line_at = _LineCounter(sql)
    found: list[Found] = [(segment.start, line_at(segment.start), None, error) for segment, error in rejected]
    try:
        tokens = _tokenizer_and_parser(d)[0].tokenize(text)
    except Exception:  # noqa: BLE001 - one bad statement (unterminated string...): tokenize each on its own
        line_at = _LineCounter(sql)
        for segment in budget.segments(text, d):
            piece = text[segment.start : segment.end]
            try:
                tokens = _tokenizer_and_parser(d)[0].tokenize(piece)
            except Exception as e:  # noqa: BLE001 - the tokenizer must never take the caller down
                why = _clean(str(e)) if isinstance(e, TokenError) else f"{type(e).__name__}: {e}"
                found.append((segment.start, line_at(segment.start), None, f"cannot tokenize: {why}"))
                continue
            _parse_tokens(d, tokens, piece, dialect, found, segment.start, line_at(segment.start) - 1)
    else:
        _parse_tokens(d, tokens, text, dialect, found, 0, 0)
    found.sort(key=lambda item: item[0])
    statements = [ParsedStatement(i, line, expression, error)
                  for i, (_, line, expression, error) in enumerate(found[:MAX_STATEMENTS])]
    if len(found) > MAX_STATEMENTS:
        statements.append(ParsedStatement(len(statements), statements[-1].line, None,
                                          f"more than {MAX_STATEMENTS} statements; rest skipped"))
    return statements


Found = tuple[int, int, "exp.Expression | None", "str | None"]

# a line starting with control flow (cheap to look for; most SQL has none, and the token scans are then skipped)
_TSQL_FLOW = re.compile(r"(?im)^\s*(?:IF|WHILE|BEGIN|ELSE|PRINT|GO|DECLARE|OPEN|FETCH|CLOSE|DEALLOCATE)\b")
_SCRIPTING = re.compile(r"(?im)^\s*(?:BEGIN|IF|ELSEIF|ELSIF|WHILE|LOOP|REPEAT|FOR|EXCEPTION)\b")
# a line that is a psql (or mysql client) meta-command: `\timing`, `\set ON_ERROR_STOP on`, `\i file.sql`, `\G`
_CLIENT_COMMAND = re.compile(r"^[ \t]*\\[A-Za-z!?][^\n]*", re.M)


def _without_client_commands(text: str) -> str:
    """Client meta-commands blanked out (same length: offsets and lines stay): they are not SQL the server runs."""
    if "\\" not in text:
        return text
    return _CLIENT_COMMAND.sub(lambda m: " " * len(m.group(0)), text)


class _LineCounter:
    """Line number of increasing offsets in one text, counted incrementally."""

    def __init__(self, text: str) -> None:
        self.text, self.offset, self.line = text, 0, 1

    def __call__(self, offset: int) -> int:
        if offset < self.offset:
            self.offset, self.line = 0, 1
        self.line += self.text.count("\n", self.offset, offset)
        self.offset = offset
        return self.line


def _parse_tokens(d: Dialect, tokens: list[Token], text: str, dialect: str | None, found: list[Found],
                  base_offset: int, base_line: int) -> None:
    if dialect == "tsql" and _TSQL_FLOW.search(text) and has_control_flow(tokens):  # IF ... BEGIN ... END: the statements inside, parsed
        tokens = unwrap_control_flow(tokens, text, _tokenizer_and_parser(d)[0].tokenize)
    elif dialect in ("bigquery", "snowflake") and _SCRIPTING.search(text) and has_scripting(tokens):  # BEGIN ... END, IF ... THEN ... END IF
        tokens = unwrap_scripting(tokens, text, _tokenizer_and_parser(d)[0].tokenize)
    for chunk in _split_on_semicolons(tokens):
        if len(found) > MAX_STATEMENTS:
            return
        for expression, line, error in _parse_within_budget(d, chunk, text, dialect):
            if expression is not None or error is not None:
                found.append((base_offset + chunk[0].start, base_line + line, expression, error))


def _parse_within_budget(
    d: Dialect, chunk: list[Token], sql: str, dialect: str | None
) -> list[tuple[exp.Expression | None, int, str | None]]:
    try:
        with budget.deadline(budget.LIMITS.seconds):
            return _parse_chunk(d, chunk, sql, dialect)
    except budget.TooComplex:
        size = chunk[-1].end + 1 - chunk[0].start
        return [(None, chunk[0].line, budget.too_complex(size, f"parsing took over {budget.LIMITS.seconds:g} s"))]


def _split_on_semicolons(tokens: list[Token]) -> list[list[Token]]:
    semicolon = TokenType.SEMICOLON
    cuts = [i for i, token in enumerate(tokens) if token.token_type is semicolon]
    chunks: list[list[Token]] = []
    start = 0
    for cut in [*cuts, len(tokens)]:
        if cut > start:
            chunks.append(tokens[start:cut])
        start = cut + 1
    return chunks


def _parse_chunk(
    d: Dialect, chunk: list[Token], sql: str, dialect: str | None
) -> list[tuple[exp.Expression | None, int, str | None]]:
    line = chunk[0].line
    try:
        return [(e, line, None) for e in _parse(d, chunk, sql)]
    except (ParseError, TokenError) as e:
        error = _describe(e)
    except RecursionError:
        size = chunk[-1].end + 1 - chunk[0].start
        return [(None, line, budget.too_complex(size, "nested too deeply for the parser"))]
    except Exception as e:  # sqlglot bugs on odd input must not escape
        return [(None, line, f"{type(e).__name__}: {e}")]
    pieces = _split_on_statement_keywords(chunk)
    if len(pieces) > 1:
        try:
            return [(e, piece[0].line, None) for piece in pieces for e in _parse(d, piece, sql)]
        except Exception:
            pass
    for simplify in (_without_compound_assignments, _without_variable_targets, _without_column_attributes):
        simplified = simplify(chunk)
        if len(simplified) < len(chunk):
            try:
                return [(e, line, None) for e in _parse(d, simplified, sql)]
            except Exception:
                pass
    text = sql[chunk[0].start : chunk[-1].end + 1]
    for other in fallback_chain(dialect):
        try:
            return [(e, line, None) for e in _parse(other, _tokenizer_and_parser(other)[0].tokenize(text), text)]
        except Exception:
            continue
    return [(None, line, error)]


def _parse(d: Dialect, tokens: list[Token], sql: str) -> list[exp.Expression]:
    parser = _tokenizer_and_parser(d)[1]
    return [e for e in parser.parse(tokens, sql) if e is not None]


_COMPOUND_OPERATORS = frozenset({TokenType.PLUS, TokenType.DASH, TokenType.STAR, TokenType.SLASH, TokenType.MOD,
                                 TokenType.AMP, TokenType.PIPE, TokenType.CARET})


def _without_compound_assignments(chunk: list[Token]) -> list[Token]:
    """T-SQL `SET x += 1` as `SET x = 1`: same tables and columns, and sqlglot can parse it."""
    kept: list[Token] = []
    for i, token in enumerate(chunk):
        following = chunk[i + 1] if i + 1 < len(chunk) else None
        if (token.token_type in _COMPOUND_OPERATORS and following is not None
                and following.token_type == TokenType.EQ and following.start == token.end + 1):
            continue
        kept.append(token)
    return kept


_COLUMN_KEYS = frozenset({"SORTKEY", "DISTKEY"})


def _without_column_attributes(chunk: list[Token]) -> list[Token]:
    """Redshift's column attributes sqlglot does not parse (`ts bigint sortkey`, `id varchar distkey`, `encode zstd`)
    left out of a CREATE TABLE's column list: physical layout, never a table or a column name."""
    if not chunk or chunk[0].token_type != TokenType.CREATE:
        return chunk
    kept: list[Token] = []
    depth, i = 0, 0
    while i < len(chunk):
        token = chunk[i]
        following = chunk[i + 1] if i + 1 < len(chunk) else None
        word = token.text.upper() if token.token_type == TokenType.VAR else ""
        if depth == 1 and word in _COLUMN_KEYS and following is not None \
                and following.token_type in (TokenType.COMMA, TokenType.R_PAREN, TokenType.VAR):
            i += 1
            continue
        if depth == 1 and word == "ENCODE" and following is not None and following.token_type == TokenType.VAR:
            i += 2
            continue
        depth += 1 if token.token_type == TokenType.L_PAREN else -1 if token.token_type == TokenType.R_PAREN else 0
        kept.append(token)
        i += 1
    return kept


def _without_variable_targets(chunk: list[Token]) -> list[Token]:
    """MySQL's `SELECT a, b INTO @x, @y FROM t` (or `... FROM t INTO @x`) without its `INTO @x, @y`: it stores
    values in session variables, never in a table, and sqlglot parses only one variable target before FROM."""
    kept: list[Token] = []
    i = 0
    while i < len(chunk):
        j = i + 1
        if chunk[i].token_type == TokenType.INTO:
            while j + 1 < len(chunk) and chunk[j].token_type == TokenType.PARAMETER and chunk[j + 1].token_type == TokenType.VAR:
                j += 2
                if j < len(chunk) and chunk[j].token_type == TokenType.COMMA and j + 1 < len(chunk) \
                        and chunk[j + 1].token_type == TokenType.PARAMETER:
                    j += 1
            if j > i + 1:
                i = j
                continue
            j = i + 1
        kept.append(chunk[i])
        i = j
    return kept


def _split_on_statement_keywords(chunk: list[Token]) -> list[list[Token]]:
    pieces: list[list[Token]] = [[]]
    depth = 0
    previous: Token | None = None
    for token in chunk:
        kind = token.token_type
        if (
            kind in _STATEMENT_STARTS
            and depth == 0
            and pieces[-1]
            and (previous is None or previous.token_type not in _CONTINUES)
        ):
            pieces.append([])
        if kind == TokenType.L_PAREN:
            depth += 1
        elif kind == TokenType.R_PAREN:
            depth = max(0, depth - 1)
        pieces[-1].append(token)
        previous = token
    return [p for p in pieces if p]


def _describe(error: Exception) -> str:
    details = getattr(error, "errors", None)
    if details:
        first = details[0]
        where = f" at line {first.get('line')}, column {first.get('col')}" if first.get("line") else ""
        near = first.get("highlight")
        near_text = f" near {near!r}" if near else ""
        description = _TOKEN_REPR.sub(lambda m: repr(m.group(1)), first.get("description") or "parse error")
        return f"{description}{near_text}{where}"
    return _clean(str(error))


def _clean(message: str) -> str:
    return _ANSI.sub("", message).strip().splitlines()[0] if message.strip() else message
