"""A small shell reader: a bash script cut into simple commands with their words, as bash would see them.

Quotes (``'...'``, ``"..."``, backslashes), line continuations, comments, ``$VAR``/``${VAR}``/
``${VAR:-default}`` from assignments made earlier in the script, separators (``&&``, ``||``,
``;``, ``&``, newlines), pipes, redirections, heredocs (``<<EOF``, ``<<-'EOF'``) and here-strings.
A word whose value depends on something unknown (``$1``, ``$(cmd)``, an unset variable) is
marked ``unknown`` and keeps its text. Nothing is executed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

_OPERATORS = ("&&", "||", ";;", "|&", "&>", ">>", ">&", "<<<", "<<-", "<<", ";", "|", "&", "<", ">", "(", ")", "\n")
_SEPARATORS = frozenset({"&&", "||", ";;", ";", "&", "\n", "|", "|&", "(", ")"})
_REDIRECTS = frozenset({"<", ">", ">>", ">&", "&>", "<<<", "<<", "<<-"})
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_ASSIGNMENT = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)=(.*)$", re.S)


@dataclass
class Word:
    text: str
    unknown: bool = False  # depends on an expansion that cannot be known statically


@dataclass
class Command:
    argv: list[Word] = field(default_factory=list)
    assignments: dict[str, str] = field(default_factory=dict)
    stdin_text: str | None = None  # heredoc, here-string, or what `echo` pipes in
    stdin_file: str | None = None  # `< file`, or the file `cat` pipes in
    piped_from: Command | None = None
    heredoc: _Token | None = None  # its body is read when the line ends

    @property
    def words(self) -> list[str]:
        return [w.text for w in self.argv]


@dataclass
class _Token:
    text: str
    op: bool = False
    unknown: bool = False
    body: str | None = None  # heredoc body, filled when the line ends


class _Reader:
    """Tokens one at a time, so variables assigned by earlier commands expand in later ones."""

    def __init__(self, text: str, env: dict[str, str]) -> None:
        self.text, self.env, self.i = text.replace("\\\r\n", "").replace("\\\n", ""), env, 0
        self.pending: list[tuple[_Token, str, bool]] = []  # heredocs waiting for the end of their line

    def tokens(self) -> Iterator[_Token]:
        while self.i < len(self.text):
            token = self._next()
            if token is not None:
                yield token
        self._read_heredocs()

    def _next(self) -> _Token | None:
        text, i = self.text, self.i
        c = text[i]
        if c in " \t\r":
            self.i += 1
            return None
        if c == "#":
            end = text.find("\n", i)
            self.i = len(text) if end < 0 else end
            return None
        op = next((o for o in _OPERATORS if text.startswith(o, i)), None)
        if op is None:
            return self._word()
        self.i += len(op)
        token = _Token(op, op=True)
        if op == "\n":
            self._read_heredocs()
        elif op in ("<<", "<<-"):
            delimiter = self._word()
            quoted = any(q in text[i:self.i] for q in "'\"\\")
            self.pending.append((token, delimiter.text if delimiter else "", quoted))
        return token

    def _word(self) -> _Token | None:
        text = self.text
        while self.i < len(text) and text[self.i] in " \t":
            self.i += 1
        parts: list[str] = []
        unknown = False
        while self.i < len(text):
            c = text[self.i]
            if c in " \t\r\n" or any(text.startswith(o, self.i) for o in _OPERATORS if o != "\n"):
                if c in "<>" and parts and "".join(parts).isdigit():
                    parts = []  # a file descriptor number: `2>&1`
                break
            if c == "\\" and self.i + 1 < len(text):
                parts.append(text[self.i + 1])
                self.i += 2
            elif c == "'":
                end = text.find("'", self.i + 1)
                end = len(text) if end < 0 else end
                parts.append(text[self.i + 1:end])
                self.i = end + 1
            elif c == '"':
                value, unsure = self._double_quoted()
                parts.append(value)
                unknown |= unsure
            elif c == "$":
                value, unsure = self._expansion()
                parts.append(value)
                unknown |= unsure
            elif c == "`":
                end = text.find("`", self.i + 1)
                end = len(text) if end < 0 else end
                parts.append(text[self.i:end + 1])
                self.i, unknown = end + 1, True
            else:
                parts.append(c)
                self.i += 1
        return _Token("".join(parts), unknown=unknown) if parts or unknown else None

    def _double_quoted(self) -> tuple[str, bool]:
        text, self.i = self.text, self.i + 1
        parts: list[str] = []
        unknown = False
        while self.i < len(text) and text[self.i] != '"':
            c = text[self.i]
            if c == "\\" and self.i + 1 < len(text) and text[self.i + 1] in '"\\$`':
                parts.append(text[self.i + 1])
                self.i += 2
            elif c == "$":
                value, unsure = self._expansion()
                parts.append(value)
                unknown |= unsure
            else:
                parts.append(c)
                self.i += 1
        self.i += 1
        return "".join(parts), unknown

    def _expansion(self) -> tuple[str, bool]:
        """``$NAME``, ``${NAME}``, ``${NAME:-default}``; anything else stays literal and unknown."""
        text, start = self.text, self.i
        if text.startswith("${", start):
            end = text.find("}", start)
            end = len(text) - 1 if end < 0 else end
            self.i = end + 1
            match = re.match(r"^([A-Za-z_]\w*)(?:(:?[-=])(.*))?$", text[start + 2:end], re.S)
            if match and match.group(1) in self.env:
                return self.env[match.group(1)], False
            if match and match.group(2):
                return match.group(3), False
            return text[start:self.i], True
        if text.startswith("$(", start):
            depth, j = 0, start + 1
            while j < len(text):
                depth += {"(": 1, ")": -1}.get(text[j], 0)
                if depth == 0:
                    break
                j += 1
            self.i = j + 1
            return text[start:self.i], True
        match = _NAME.match(text, start + 1)
        if match is None:
            self.i = start + 1 + (1 if start + 1 < len(text) and text[start + 1] in "@*#?$!0123456789" else 0)
            return text[start:self.i], self.i > start + 1
        self.i = match.end()
        name = match.group(0)
        return (self.env[name], False) if name in self.env else (text[start:self.i], True)

    def _read_heredocs(self) -> None:
        for token, delimiter, quoted in self.pending:
            lines: list[str] = []
            while self.i < len(self.text):
                end = self.text.find("\n", self.i)
                end = len(self.text) if end < 0 else end
                line = self.text[self.i:end]
                self.i = end + 1
                if line.strip() == delimiter:
                    break
                lines.append(line)
            body = "\n".join(lines)
            token.body = body if quoted else _expand_simple(body, self.env)
        self.pending = []


def _expand_simple(text: str, env: dict[str, str]) -> str:
    """``$NAME``/``${NAME}`` of known variables in a heredoc body; everything else stays as written."""
    return re.sub(r"\$\{([A-Za-z_]\w*)\}|\$([A-Za-z_]\w*)", lambda m: env.get(m.group(1) or m.group(2), m.group(0)), text)


def split_script(text: str, env: dict[str, str] | None = None) -> list[Command]:
    """The simple commands of a script, in order; assignments update the environment of later ones."""
    env = dict(env or {})
    commands: list[Command] = []
    current = Command()
    tokens = _Reader(text, env).tokens()
    redirect: _Token | None = None
    for token in tokens:
        if redirect is not None and not token.op:
            if redirect.text == "<<<":
                current.stdin_text = token.text
            elif redirect.text == "<":
                current.stdin_file = token.text
            redirect = None
            continue
        redirect = None
        if token.op and token.text in _SEPARATORS:
            _finish(current, commands, env)
            piped = token.text in ("|", "|&") and bool(current.argv)
            current = Command(piped_from=current if piped else None)
        elif token.op and token.text in ("<<", "<<-"):
            current.heredoc = token
        elif token.op and token.text in _REDIRECTS:
            redirect = token
        elif not current.argv and (assignment := _ASSIGNMENT.match(token.text)):
            current.assignments[assignment.group(1)] = assignment.group(2)
        else:
            current.argv.append(Word(token.text, token.unknown))
    _finish(current, commands, env)
    return commands


def _finish(command: Command, commands: list[Command], env: dict[str, str]) -> None:
    if command.heredoc is not None:
        command.stdin_text = command.heredoc.body or ""
    if not command.argv:
        env.update(command.assignments)  # `NAME=value` alone sets a shell variable
        return
    if command.words[0] == "export":
        env.update(dict(m.groups() for w in command.words[1:] if (m := _ASSIGNMENT.match(w))))
    source = command.piped_from
    if source is not None and source.argv:
        if source.words[0] in ("echo", "printf"):
            args = [w for w in source.words[1:] if not (source.words[0] == "echo" and w in ("-e", "-n", "-E"))]
            command.stdin_text = command.stdin_text or " ".join(args)
        elif source.words[0] == "cat" and len(source.argv) == 2:
            command.stdin_file = command.stdin_file or source.words[1]
    commands.append(command)
