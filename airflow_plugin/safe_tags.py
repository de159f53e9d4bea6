"""A query tag must never change what a statement does: the pure rules deciding how (or whether) to tag.

A DB-API driver given parameters reads placeholders in the whole statement text, comments included
(psycopg reads the ``%3A`` of a URL-encoded run id as a placeholder). The sqlcommenter comment's alphabet
is ``[A-Za-z0-9_.~%=',/*-]`` (values are URL-encoded), so for each paramstyle
(https://peps.python.org/pep-0249/#paramstyle) the rule below either escapes the comment for the driver
or forbids characters the comment must not contain; a driver that departs from its declared paramstyle has
its own rule. A statement the rules cannot make safe stays untagged.
"""

from __future__ import annotations

from dataclasses import dataclass

from overlay.attribution.tags import sqlcommenter


@dataclass(frozen=True)
class StyleRule:
    escapes: tuple[tuple[str, str], ...] = ()  # (text, replacement) applied to the comment, never to the statement
    forbidden: tuple[str, ...] = ()  # a comment still holding one of these is not added


PARAMSTYLE_RULES: dict[str, StyleRule] = {
    "pyformat": StyleRule(escapes=(("%", "%%"),)),  # %(name)s and %s: a literal % is written %%
    "format": StyleRule(escapes=(("%", "%%"),)),
    "qmark": StyleRule(forbidden=("?",)),
    "named": StyleRule(forbidden=(":",)),
    "numeric": StyleRule(forbidden=(":",)),
}
# drivers whose reading of the text differs from their declared paramstyle, by the module declaring it
DRIVER_RULES: dict[str, StyleRule] = {
    # pyformat, but only %s and %(name)s are replaced and %% is sent as is: the comment goes unescaped
    "mysql.connector": StyleRule(forbidden=("%s", "%(")),
}


@dataclass(frozen=True)
class Tagged:
    sql: str  # the statement to send: tagged, or the original when ``reason`` is set
    reason: str | None = None  # why it was left untagged


def tag_statement(sql: str, tags: dict[str, str], paramstyle: str | None, has_parameters: bool,
                  driver: str | None = None) -> Tagged:
    """``sql`` with the sqlcommenter comment of ``tags``, made safe for the driver's paramstyle, or untouched."""
    if sql.count("/*") > sql.count("*/"):
        return Tagged(sql, "the statement has an unclosed /* comment")  # where comments do not nest, ours would close it
    tagged = sqlcommenter(sql, tags)
    if tagged == sql or not has_parameters:
        return Tagged(tagged)  # without parameters drivers send the text as it is
    rule = DRIVER_RULES.get(driver or "") or PARAMSTYLE_RULES.get((paramstyle or "").lower())
    if rule is None:
        return Tagged(sql, f"parameters given and the driver's paramstyle is unknown ({paramstyle!r})")
    comment = sqlcommenter("x", tags)[2:]  # the comment sqlcommenter appends: "/*...*/"
    safe = comment
    for text, replacement in rule.escapes:
        safe = safe.replace(text, replacement)
    if any(c in safe for c in rule.forbidden):
        return Tagged(sql, f"the tag would hold a {paramstyle} placeholder character")
    head, found, tail = tagged.rpartition(comment)
    if not found:
        return Tagged(sql, "the tag could not be placed")
    return Tagged(head + safe + tail)
