"""T-SQL control flow as the statements it runs: ``IF``/``WHILE`` conditions, ``BEGIN ... END`` blocks, ``ELSE``,
``TRY``/``CATCH`` and one-line commands (``PRINT``, ``GO``), cut into statements sqlglot parses.

sqlglot keeps ``IF OBJECT_ID('dbo.t') IS NULL BEGIN CREATE TABLE dbo.t (...) END`` as one opaque command, so a
script of such blocks (the common T-SQL idiom) touched no table. Here the token stream is rewritten before it is cut
at semicolons: a condition with a query in it becomes ``SELECT <condition>`` (``IF EXISTS (SELECT 1 FROM t)`` reads
``t``; ``IF OBJECT_ID('t') IS NULL`` reads nothing and is dropped), a block's
``BEGIN``, ``END`` and ``ELSE`` become statement ends, and the statements inside are parsed as they are. Both
branches are kept: which one runs is not known before run time, and both name tables the script may touch.
``BEGIN TRAN``/``BEGIN TRANSACTION`` stay transactions, and a ``CASE ... END`` inside a statement is left alone.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlglot.tokens import Token, TokenType

# tokens that start the statement a condition is followed by (`IF @x = 1 DELETE FROM t`)
_STARTS = frozenset({
    TokenType.SELECT, TokenType.INSERT, TokenType.UPDATE, TokenType.DELETE, TokenType.MERGE, TokenType.CREATE,
    TokenType.DROP, TokenType.TRUNCATE, TokenType.ALTER, TokenType.DECLARE, TokenType.SET, TokenType.WITH,
    TokenType.BEGIN, TokenType.COMMAND, TokenType.EXECUTE, TokenType.COMMIT, TokenType.ROLLBACK, TokenType.USE,
})
_WORD_STARTS = frozenset({"IF", "WHILE", "RETURN", "BREAK", "CONTINUE", "THROW", "RAISERROR", "EXEC", "WAITFOR"})
_CONDITIONS = frozenset({"IF", "WHILE"})
_TRANSACTION = frozenset({"TRAN", "TRANSACTION", "DISTRIBUTED"})
_BLOCK_KINDS = frozenset({"TRY", "CATCH"})
_LINE_COMMANDS = frozenset({"PRINT", "GO"})
# statements T-SQL ends at the next statement when no semicolon does: one statement each, whatever lines follow
_ONE_STATEMENT = frozenset({"PRINT", "GO", "EXEC", "RETURN", "THROW", "RAISERROR", "WAITFOR", "BREAK", "CONTINUE"})
_ONE_STATEMENT_KINDS = frozenset({TokenType.DECLARE, TokenType.SET, TokenType.EXECUTE})
_CURSOR = frozenset({"OPEN", "FETCH", "CLOSE", "DEALLOCATE"})


def defines_routine(tokens: list[Token]) -> bool:
    """The text creates a procedure, function or trigger: its body runs when it is called, not now, so its blocks are
    not cut into statements the text runs."""
    for i, token in enumerate(tokens):
        if token.token_type == TokenType.CREATE:
            for following in tokens[i + 1:i + 6]:
                if following.text.upper() in ("PROCEDURE", "PROC", "FUNCTION", "TRIGGER"):
                    return True
    return False


def has_control_flow(tokens: list[Token]) -> bool:
    return not defines_routine(tokens) and any(t.token_type in (TokenType.BEGIN, TokenType.ELSE, TokenType.DECLARE) or _word(t) in _CONDITIONS
               or _word(t) in _LINE_COMMANDS or _word(t) in _CURSOR for t in tokens)


def unwrap_control_flow(tokens: list[Token], text: str, tokenize: Callable[[str], list[Token]]) -> list[Token]:
    """``tokens`` (of ``text``) with T-SQL control flow turned into statements and semicolons (positions kept for
    lines). ``tokenize`` tokenizes a part of the text again: the tokenizer keeps the rest of the text after ``PRINT``
    as one token, and the statements on the lines after it are cut out of that token."""
    tokens = _line_commands_cut(tokens, text, tokenize)
    out: list[Token] = []
    depth = cases = 0  # parentheses, and CASE expressions not yet closed, in the statement being copied
    i, n = 0, len(tokens)
    while i < n:
        token = tokens[i]
        kind, word = token.token_type, _word(token)
        if depth == 0 and cases == 0:
            if not _at_start(out) and _begins_statement(tokens, i):  # the statement before ended without a semicolon
                out.append(_semicolon(tokens[i - 1]))
            if word in _CONDITIONS and _at_start(out):
                end = _condition_end(tokens, i + 1)
                if any(t.token_type == TokenType.SELECT for t in tokens[i + 1:end]):  # a condition reading a table
                    out += [_made(TokenType.SELECT, "SELECT", token), *tokens[i + 1:end], _semicolon(tokens[end - 1])]
                i = end
                continue
            if kind == TokenType.BEGIN and _word(_at(tokens, i + 1)) not in _TRANSACTION:
                i += 2 if _word(_at(tokens, i + 1)) in _BLOCK_KINDS else 1
                out.append(_semicolon(token))
                continue
            if kind in (TokenType.END, TokenType.ELSE):
                i += 2 if kind == TokenType.END and _word(_at(tokens, i + 1)) in _BLOCK_KINDS else 1
                out.append(_semicolon(token))
                continue
            if _at_start(out) and (word in _ONE_STATEMENT or word in _CURSOR or kind in _ONE_STATEMENT_KINDS):
                end = _statement_end(tokens, i + 1)
                if word not in _CURSOR:  # OPEN, FETCH, CLOSE, DEALLOCATE a cursor: no table of their own
                    out += [*tokens[i:end], _semicolon(tokens[end - 1])]
                i = end
                continue
        depth, cases = (0, 0) if kind == TokenType.SEMICOLON else _nesting(kind, depth, cases)
        out.append(token)
        i += 1
    return out


def _condition_end(tokens: list[Token], start: int) -> int:
    """Where an ``IF``/``WHILE`` condition starting at ``start`` ends: at ``BEGIN`` or the statement it guards."""
    depth = 0
    for j in range(start, len(tokens)):
        token = tokens[j]
        if depth == 0 and j > start and (token.token_type in _STARTS or _word(token) in _WORD_STARTS):
            return j
        if token.token_type == TokenType.SEMICOLON and depth == 0:
            return j
        if token.token_type == TokenType.L_PAREN:
            depth += 1
        elif token.token_type == TokenType.R_PAREN:
            depth = max(0, depth - 1)
    return len(tokens)


def _line_commands_cut(tokens: list[Token], text: str, tokenize: Callable[[str], list[Token]],
                       depth: int = 0) -> list[Token]:
    """``PRINT x`` / ``GO``: the tokenizer gives the command the rest of the text up to a semicolon, lines after it
    included; the command keeps its own line and the lines after are tokenized again."""
    out: list[Token] = []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        out.append(token)
        following = tokens[i + 1] if i + 1 < len(tokens) else None
        # the command's text as written (the token's own positions are not kept by the tokenizer)
        begin = text.find(following.text, token.end + 1) if following is not None and "\n" in following.text else -1
        if token.token_type != TokenType.COMMAND or _word(token) not in _LINE_COMMANDS or begin < 0 or depth > 50:
            i += 1
            continue
        newline = begin + following.text.index("\n")
        out.append(Token(following.token_type, text[begin:newline], line=token.line, col=following.col,
                         start=begin, end=newline - 1))
        line = text.count("\n", 0, newline) + 1
        rest = [Token(t.token_type, t.text, line=t.line + line - 1, col=t.col, start=t.start + newline,
                      end=t.end + newline, comments=t.comments)
                for t in tokenize(text[newline:begin + len(following.text)])]
        out.extend(_line_commands_cut(rest, text, tokenize, depth + 1))
        i += 2
    return out


def _begins_statement(tokens: list[Token], i: int) -> bool:
    """Token ``i`` (outside parentheses and CASE) can only begin a statement: ``IF``/``WHILE`` anywhere; ``DECLARE``,
    ``EXEC``, ``PRINT`` or a cursor statement at the start of a line (``SET`` may continue an UPDATE; ``FETCH`` after
    ``ROWS`` is OFFSET ... FETCH)."""
    token, word = tokens[i], _word(tokens[i])
    if word in _CONDITIONS:
        return True
    if i == 0 or token.line == tokens[i - 1].line:
        return False
    if word in _CURSOR:
        return not (word == "FETCH" and tokens[i - 1].text.upper() in ("ROWS", "ROW"))
    return token.token_type in (TokenType.DECLARE, TokenType.EXECUTE) or word in _ONE_STATEMENT


def _statement_end(tokens: list[Token], start: int) -> int:
    """Where a statement T-SQL ends without a semicolon ends (``DECLARE``, ``SET``, ``EXEC``, ``PRINT``): before the
    first statement keyword that begins a later line outside parentheses and CASE, or at a semicolon."""
    depth = cases = 0
    for j in range(start, len(tokens)):
        token, kind = tokens[j], tokens[j].token_type
        if depth == 0 and cases == 0:
            if kind == TokenType.SEMICOLON:
                return j
            if token.line > tokens[j - 1].line and (kind in _STARTS or kind in (TokenType.END, TokenType.ELSE)
                                                    or _word(token) in _WORD_STARTS or _word(token) in _CURSOR):
                return j
        depth, cases = _nesting(kind, depth, cases)
    return len(tokens)


def _nesting(kind: TokenType, depth: int, cases: int) -> tuple[int, int]:
    """Parentheses and CASE expressions open after a token of ``kind``."""
    if kind == TokenType.L_PAREN:
        return depth + 1, cases
    if kind == TokenType.R_PAREN:
        return max(0, depth - 1), cases
    if kind == TokenType.CASE:
        return depth, cases + 1
    if kind == TokenType.END and cases:
        return depth, cases - 1
    return depth, cases


def _at_start(out: list[Token]) -> bool:
    return not out or out[-1].token_type == TokenType.SEMICOLON


def _at(tokens: list[Token], i: int) -> Token | None:
    return tokens[i] if i < len(tokens) else None


def _word(token: Token | None) -> str:
    return token.text.upper() if token is not None and token.token_type in (TokenType.VAR, TokenType.COMMAND, TokenType.FETCH) else ""


def _made(kind: TokenType, text: str, where: Token) -> Token:
    return Token(kind, text, line=where.line, col=where.col, start=where.start, end=where.end)


def _semicolon(where: Token) -> Token:
    return _made(TokenType.SEMICOLON, ";", where)


# BigQuery and Snowflake scripting: statements end with semicolons, blocks and branches are keywords at their start
_SCRIPT_BLOCKS = frozenset({"BEGIN", "LOOP", "REPEAT"})
_SCRIPT_CONDITIONS = frozenset({"IF", "ELSEIF", "ELSIF", "WHILE"})
_SCRIPT_ENDS = frozenset({"IF", "WHILE", "LOOP", "FOR", "REPEAT", "CASE"})
_SWALLOWING = _SCRIPT_BLOCKS | {"ELSEIF", "ELSIF", "WHILE", "EXCEPTION"}  # BigQuery's tokenizer: a command, the rest a string


def has_scripting(tokens: list[Token]) -> bool:
    return not defines_routine(tokens) and any(_script_word(t) in _SCRIPT_BLOCKS | _SCRIPT_CONDITIONS | {"EXCEPTION", "FOR"} for t in tokens)


def unwrap_scripting(tokens: list[Token], text: str, tokenize: Callable[[str], list[Token]]) -> list[Token]:
    """BigQuery/Snowflake scripts (``BEGIN ... EXCEPTION WHEN ERROR THEN ... END``, ``IF c THEN ... ELSEIF ... END
    IF``, ``WHILE``/``LOOP``/``REPEAT``/``FOR r IN (query) DO``) as the statements they run: a condition or a FOR
    query with a query in it is read as a statement, the keywords become statement ends. ``BEGIN TRANSACTION``
    stays a transaction."""
    tokens = _commands_retokenized(tokens, text, tokenize)
    out: list[Token] = []
    i, n = 0, len(tokens)
    while i < n:
        token, word = tokens[i], _script_word(tokens[i])
        if not _at_start(out) or not word:
            out.append(token)
            i += 1
            continue
        if word == "BEGIN" and "TRANSACTION" not in token.text.upper() and _script_word(_at(tokens, i + 1)) != "TRANSACTION":
            out.append(_semicolon(token))
            i += 1
        elif word == "END":
            i += 2 if _script_word(_at(tokens, i + 1)) in _SCRIPT_ENDS else 1
            out.append(_semicolon(token))
        elif word in _SCRIPT_CONDITIONS or word == "UNTIL":
            end = _until(tokens, i + 1, ("THEN", "DO", "END"))
            if any(t.token_type == TokenType.SELECT for t in tokens[i + 1:end]):
                out += [_made(TokenType.SELECT, "SELECT", token), *tokens[i + 1:end], _semicolon(tokens[end - 1])]
            out.append(_semicolon(token))
            i = end + 1 if end < n and _script_word(tokens[end]) in ("THEN", "DO") else end
        elif word in ("ELSE", "LOOP", "REPEAT"):
            out.append(_semicolon(token))
            i += 1
        elif word == "EXCEPTION":
            end = _until(tokens, i + 1, ("THEN",))
            out.append(_semicolon(token))
            i = end + 1
        elif word == "FOR" and _script_word(_at(tokens, i + 2)) == "IN":
            end = _until(tokens, i + 3, ("DO",))
            query = tokens[i + 3:end]
            if query and query[0].token_type == TokenType.L_PAREN and query[-1].token_type == TokenType.R_PAREN:
                query = query[1:-1]
            out += [*query, _semicolon(token), _semicolon(token)]
            i = end + 1
        else:
            out.append(token)
            i += 1
    return out


def _script_word(token: Token | None) -> str:
    if token is None:
        return ""
    if token.token_type in (TokenType.BEGIN, TokenType.END, TokenType.ELSE, TokenType.THEN, TokenType.FOR, TokenType.IN):
        return token.text.split()[0].upper()
    return token.text.upper() if token.token_type in (TokenType.VAR, TokenType.COMMAND) else ""


def _until(tokens: list[Token], start: int, words: tuple[str, ...]) -> int:
    """The first of ``words`` outside parentheses from ``start`` (or a semicolon, or the end)."""
    depth = 0
    for j in range(start, len(tokens)):
        kind = tokens[j].token_type
        if depth == 0 and (kind == TokenType.SEMICOLON or _script_word(tokens[j]) in words):
            return j
        depth, _ = _nesting(kind, depth, 0)
    return len(tokens)


def _commands_retokenized(tokens: list[Token], text: str, tokenize: Callable[[str], list[Token]]) -> list[Token]:
    """A scripting keyword the tokenizer made a command (``BEGIN``, ``WHILE``...) with the rest of the statement as one
    string: the rest tokenized again, so the statements inside the block are seen."""
    out: list[Token] = []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        following = tokens[i + 1] if i + 1 < len(tokens) else None
        if token.token_type == TokenType.COMMAND and token.text.upper() in _SWALLOWING and following is not None \
                and following.token_type == TokenType.STRING:
            begin = text.find(following.text, token.end + 1)
            if begin >= 0:
                line = text.count("\n", 0, begin) + 1
                rest = [Token(t.token_type, t.text, line=t.line + line - 1, col=t.col, start=t.start + begin,
                              end=t.end + begin, comments=t.comments) for t in tokenize(following.text)]
                out += [Token(TokenType.VAR, token.text, line=token.line, col=token.col, start=token.start,
                              end=token.end), *rest]
                i += 2
                continue
        out.append(token)
        i += 1
    return out
