"""LIKE and GLOB: SQLite's two pattern matches, as PostgreSQL's.

SQLite's LIKE ignores ASCII case and has no escape character unless one is given;
PostgreSQL's LIKE respects case and takes ``\\`` as its escape. So LIKE → ILIKE (which also
folds non-ASCII letters, the one difference left), with ``ESCAPE ''`` where a backslash may
be in the pattern. GLOB is case-sensitive with ``*``, ``?`` and ``[...]``: LIKE where the
pattern has only ``*``/``?`` and nothing LIKE would read, else an anchored regular
expression. Both are immutable, so a CHECK or index with GLOB migrates too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlite2pg_tui.core.sql.rules.base import Target, Untranslatable, sql_string


@dataclass
class Match:
    """``value <operator> <pattern>``: the operator and the pattern literal to write."""

    operator: str  # LIKE, NOT LIKE, ILIKE, NOT ILIKE, ~, !~
    pattern: str | None  # the new pattern literal (SQL text); None: keep the one written
    value: str | None = None  # the new pattern's value
    escape: bool = False  # append ESCAPE '' (a LIKE with no escape character)
    why: str = ""
    needs_look: bool = False

    @property
    def regex(self) -> bool:
        return self.operator in ("~", "!~")


def like(pattern: str | None, escape_given: bool, negate: bool, target: Target) -> Match:
    """SQLite's LIKE with ``pattern`` (its value when a literal, else None: a parameter's
    backslashes are the caller's to know, and the note says so)."""
    escape = not escape_given and (target.always_escape or pattern is not None and "\\" in pattern)
    why = ("SQLite's LIKE ignores ASCII case, PostgreSQL's does not: ILIKE keeps the match "
           "case-insensitive (it also folds non-ASCII letters"
           + (", and ESCAPE '' keeps \\ an ordinary character as in SQLite)" if escape else
              ", and \\ escapes wildcards by default). Keep LIKE where case must count"))
    return Match("NOT ILIKE" if negate else "ILIKE", None, escape=escape, why=why)


_REGEX_SPECIAL = re.compile(r"[.^$*+?()\[\]{}|\\]")


def glob_regex(pattern: str) -> str:
    """A GLOB pattern as an anchored POSIX regular expression that matches the same texts."""
    out, i = ["^"], 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "*":
            out.append(".*")
        elif ch == "?":
            out.append(".")
        elif ch == "[":
            j = pattern.find("]", i + 2)
            if j < 0:
                out.append("[^\\s\\S]")  # SQLite: an unclosed [ matches nothing
            else:
                body = pattern[i + 1:j]
                out.append("[" + body.replace("\\", "\\\\") + "]")
                i = j
        else:
            out.append(_REGEX_SPECIAL.sub(r"\\\g<0>", ch))
        i += 1
    return "".join(out) + "$"


def glob(pattern: str | None, negate: bool, target: Target) -> Match:
    """SQLite's GLOB with ``pattern`` (its value when a literal, else None)."""
    if pattern is None:
        if not target.approximate:
            raise Untranslatable("GLOB with a pattern that is not a literal")
        return Match("GLOB", None, why="GLOB does not exist in PostgreSQL: use LIKE (% and _) or a "
                     "regular expression (~)", needs_look=True)
    if not re.search(r"[\[%_\\]", pattern):
        value = pattern.replace("*", "%").replace("?", "_")
        return Match("NOT LIKE" if negate else "LIKE", sql_string(value), value,
                     why="GLOB is SQLite's case-sensitive match with * and ?: LIKE with % and _ is "
                         "the same in PostgreSQL")
    regex = glob_regex(pattern)
    return Match("!~" if negate else "~", sql_string(regex), regex,
                 why="GLOB is SQLite's case-sensitive match with *, ? and [...]: the same anchored "
                     "regular expression (~) matches the same texts in PostgreSQL")
