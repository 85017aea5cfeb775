"""SQLite SQL as sqlglot's tokens: statements, parenthesised arguments, the first word.

The rewriter edits the author's SQL at token positions, so these helpers work on tokens
(string literals, comments and quoted names are never mistaken for anything else).
"""

from __future__ import annotations

import re

import sqlglot
from sqlglot import exp
from sqlglot.dialects.sqlite import SQLite
from sqlglot.tokens import Token, TokenType

import sqlite2pg_tui.core.sql.rules  # noqa: F401 - quiets sqlglot's logger


class _Tokenizer(SQLite.Tokenizer):
    # sqlglot swallows the rest of a "command" (REPLACE INTO ... among them) as one string;
    # every token of every statement is wanted here.
    COMMANDS: set[TokenType] = set()


_STATEMENT_WORDS = {
    "SELECT", "INSERT", "UPDATE", "DELETE", "REPLACE", "CREATE", "DROP", "ALTER", "PRAGMA",
    "WITH", "BEGIN", "COMMIT", "ROLLBACK", "END", "VACUUM", "ANALYZE", "ATTACH", "DETACH",
    "SAVEPOINT", "RELEASE", "EXPLAIN", "REINDEX", "VALUES",
}

NAME_TOKEN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
CATALOG_TABLES = ("sqlite_master", "sqlite_schema", "sqlite_temp_master", "sqlite_sequence")


def looks_like_sql(text: str) -> bool:
    m = re.match(r"\s*(?:--[^\n]*\n\s*|/\*.*?\*/\s*)*([A-Za-z]+)", text, re.S)
    return bool(m) and m.group(1).upper() in _STATEMENT_WORDS


def tokenize(sql: str) -> list[Token]:
    return list(_Tokenizer().tokenize(sql))


def split_statements(tokens: list[Token]) -> list[list[Token]]:
    """Statements at top-level semicolons; a trigger's BEGIN ... END body stays whole."""
    out: list[list[Token]] = []
    cur: list[Token] = []
    for t in tokens:
        if t.token_type == TokenType.SEMICOLON:
            head = [x.text.upper() for x in cur[:5]]
            in_trigger = bool(head) and head[0] == "CREATE" and "TRIGGER" in head
            if in_trigger and (not cur or cur[-1].text.upper() != "END"):
                cur.append(t)
                continue
            if cur:
                out.append(cur)
            cur = []
            continue
        cur.append(t)
    if cur:
        out.append(cur)
    return out


def pyformat(tokens: list[Token]) -> bool:
    for a, b in zip(tokens, tokens[1:], strict=False):
        if a.token_type == TokenType.MOD and b.start == a.end + 1 and (
                b.text == "s" or b.token_type == TokenType.L_PAREN):
            return True
    return False


def match_paren(toks: list[Token], i: int) -> int | None:
    depth = 0
    for j in range(i, len(toks)):
        if toks[j].token_type == TokenType.L_PAREN:
            depth += 1
        elif toks[j].token_type == TokenType.R_PAREN:
            depth -= 1
            if depth == 0:
                return j
    return None


def split_args(toks: list[Token], i: int, j: int) -> list[tuple[int, int]]:
    """Token index ranges (inclusive) of the arguments between parentheses i and j."""
    args: list[tuple[int, int]] = []
    depth = 0
    start = i + 1
    for k in range(i + 1, j):
        tt = toks[k].token_type
        if tt in (TokenType.L_PAREN, TokenType.L_BRACKET):
            depth += 1
        elif tt in (TokenType.R_PAREN, TokenType.R_BRACKET):
            depth -= 1
        elif tt == TokenType.COMMA and depth == 0:
            if k > start:
                args.append((start, k - 1))
            start = k + 1
    if j > start:
        args.append((start, j - 1))
    return args


def word(t: Token) -> str:
    """The first word of a token, upper-cased ("PRIMARY KEY" is one token in sqlglot)."""
    return t.text.split()[0].upper() if t.text.strip() else ""


_TABLE_OPTIONS = re.compile(r"\)(\s*(?:WITHOUT\s+ROWID|STRICT)\s*(?:,\s*(?:WITHOUT\s+ROWID|STRICT)\s*)*)$",
                            re.I)


def without_table_options(text: str) -> str:
    """CREATE TABLE text with SQLite's table options blanked out (same length), for sqlglot."""
    m = _TABLE_OPTIONS.search(text)
    if m is None:
        return text
    return text[:m.start(1)] + " " * len(m.group(1))


def parse(text: str) -> exp.Expression | None:
    try:
        tree = sqlglot.parse_one(text, read="sqlite")
    except Exception:  # sqlglot raises several error types; any means "not understood"
        return None
    return tree
