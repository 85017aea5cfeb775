"""SQLite functions PostgreSQL spells differently, rebuilt around their (already ported) arguments,
and the SQLite-only functions with what to use instead."""

from __future__ import annotations

import re

from sqlite2pg_tui.core.sql.rules import dates
from sqlite2pg_tui.core.sql.rules.base import (
    Arg,
    Pct,
    Rewritten,
    Target,
    Untranslatable,
    cased,
    sql_string,
)

# Same arguments, another name.
RENAMES = {
    "ifnull": ("COALESCE", "no IFNULL in PostgreSQL: COALESCE is the standard spelling"),
    "instr": ("STRPOS", "no INSTR in PostgreSQL: STRPOS(string, substring) takes the same arguments"),
}

# Functions that exist only in SQLite, or mean something else in PostgreSQL: a check query
# or a constraint cannot use them; application code gets the hint.
SQLITE_ONLY = {
    "typeof": "pg_typeof() exists but names PostgreSQL types ('integer', 'text'...), not SQLite's storage classes",
    "last_insert_rowid": "use INSERT ... RETURNING id instead",
    "changes": "use cursor.rowcount after the statement",
    "total_changes": "no equivalent; count cursor.rowcount yourself",
    "printf": "PostgreSQL's format() uses %s/%I/%L, not printf codes",
    "format": "PostgreSQL's format() uses %s/%I/%L, not printf codes",
    "randomblob": "gen_random_bytes(n) from the pgcrypto extension",
    "zeroblob": "decode(repeat('00', n), 'hex')",
    "hex": "encode(x::bytea, 'hex'), upper-cased if needed",
    "unhex": "decode(x, 'hex')",
    "quote": "quote_literal() or quote_nullable()",
    "unicode": "ascii() returns the code point of the first character",
    "char": "chr() takes one code point; concatenate several",
    "soundex": "soundex() is in the fuzzystrmatch extension",
    "random": "PostgreSQL's random() is a float in [0, 1), SQLite's a 64-bit integer",
    "sqlite_version": "version()",
    "likelihood": "no planner hints in PostgreSQL: drop the call, keep its first argument",
    "likely": "no planner hints in PostgreSQL: drop the call, keep its argument",
    "unlikely": "no planner hints in PostgreSQL: drop the call, keep its argument",
    "glob": "use LIKE (with % and _) or a regular expression (~)",
    "json_each": "jsonb_each() / jsonb_array_elements() have different columns",
    "json_tree": "no direct equivalent; jsonb_path_query() may do",
    "json_type": "jsonb_typeof() names the types differently",
    "json_group_array": "json_agg() / jsonb_agg()",
    "json_group_object": "json_object_agg() / jsonb_object_agg()",
}


def sqlite_only(name: str) -> Untranslatable:
    return Untranslatable(f"{name}() has no PostgreSQL equivalent here: {SQLITE_ONLY.get(name, 'none')}")


def group_concat(name: str, args: list[Arg], pct: Pct) -> Rewritten:
    if not args or len(args) > 2:
        raise Untranslatable("group_concat() with an unexpected number of arguments")
    value = args[0]
    text_like = value.pg_type.lower().startswith(("text", "varchar", "character", "char"))
    inner = value.text if text_like else f"CAST({value.text} AS TEXT)"
    if value.distinct:
        inner = "DISTINCT " + inner
    sep = args[1].text if len(args) == 2 else pct("','")
    return Rewritten(f"{cased('STRING_AGG', name)}({inner}, {sep})",
                     "GROUP_CONCAT is STRING_AGG in PostgreSQL, which needs text and an explicit "
                     "separator (SQLite's default is ','); neither guarantees an order: add ORDER BY "
                     "inside the call if the order matters")


def iif(args: list[Arg]) -> Rewritten:
    if len(args) != 3:
        raise Untranslatable("iif() takes three arguments")
    return Rewritten(f"CASE WHEN {args[0].text} THEN {args[1].text} ELSE {args[2].text} END",
                     "no iif() in PostgreSQL: a CASE expression does the same")


def round_(args: list[Arg]) -> Rewritten:
    if len(args) not in (1, 2):
        raise Untranslatable("round() takes one or two arguments")
    digits = f", {args[1].text}" if len(args) == 2 else ""
    return Rewritten(f"CAST(ROUND(CAST({args[0].text} AS NUMERIC){digits}) AS DOUBLE PRECISION)",
                     "SQLite's round() rounds halves away from zero and returns a float; PostgreSQL's "
                     "round() of a double rounds halves to even and ROUND(x, n) takes numeric only: "
                     "through numeric and back to a float, the answer is SQLite's")


def substr(args: list[Arg], start: int | None) -> Rewritten | None:
    """substr(x, start[, length]) where SQLite counts differently: from the end (start < 0) or
    from the position before the first (0). ``start``: the start when a literal integer."""
    if start is None or start > 0:
        return None  # PostgreSQL's substr counts the same from 1 on
    if start < 0 and len(args) == 2:
        return Rewritten(f"RIGHT({args[0].text}, {-start})",
                         "a negative start counts from the end in SQLite: RIGHT() takes those characters")
    if start < 0:
        raise Untranslatable("substr() with a negative start and a length")
    raise Untranslatable("substr() from position 0 (SQLite counts it specially)")


def total(args: list[Arg]) -> Rewritten:
    if len(args) != 1:
        raise Untranslatable("total() takes one argument")
    return Rewritten(f"CAST(COALESCE(SUM({args[0].text}), 0) AS DOUBLE PRECISION)",
                     "no total() in PostgreSQL: SUM() is NULL over no rows where total() is 0.0")


def max_min(name: str, args: list[Arg]) -> Rewritten:
    """max(a, b, ...) / min(a, b, ...): NULL when any argument is NULL, as in SQLite."""
    fn = cased("GREATEST" if name.lower() == "max" else "LEAST", name)
    call = f"{fn}({', '.join(a.text for a in args)})"
    nullable = [a for a in args if not a.number and a.literal is None]
    if not nullable:
        return Rewritten(call, f"{name}() with several arguments is {fn} in PostgreSQL")
    test = " OR ".join(f"{a.text} IS NULL" for a in nullable)
    return Rewritten(f"CASE WHEN {test} THEN NULL ELSE {call} END",
                     f"{name}() with several arguments is {fn} in PostgreSQL, which ignores NULL "
                     "arguments where SQLite returns NULL: the CASE keeps SQLite's answer")


# CAST's type names as SQLite means them: its integers are 64-bit, its REAL is 8 bytes.
CAST_TYPES = {"INTEGER": "BIGINT", "INT": "BIGINT", "REAL": "DOUBLE PRECISION", "FLOAT": "DOUBLE PRECISION",
              "DOUBLE": "DOUBLE PRECISION", "BLOB": "BYTEA"}
_FRACTIONAL = re.compile(r"julianday|avg\s*\(|/|\d\.\d|total\s*\(|real", re.I)


def cast(operand: Arg, type_name: str) -> tuple[str, str, str] | None:
    """CAST(operand AS type_name) → (the operand's new text, PostgreSQL's type name, why), or
    None when the cast means the same in PostgreSQL."""
    t = " ".join(type_name.upper().split())
    if t not in CAST_TYPES:
        return None
    new = CAST_TYPES[t]
    if new != "BIGINT":
        return operand.text, new, ("SQLite's REAL is 8 bytes; PostgreSQL's REAL is 4 bytes (DOUBLE "
                                   "PRECISION is 8)" if new == "DOUBLE PRECISION" else "BLOB is BYTEA in PostgreSQL")
    # SQLite truncates towards zero; PostgreSQL rounds: TRUNC where a fraction is likely.
    fractional = bool(_FRACTIONAL.search(operand.raw)) or operand.pg_base in (
        "double precision", "real", "numeric", "decimal", "float8", "float4")
    text = operand.text
    if fractional:
        # Text ('3.7') is read as a number first, as SQLite reads it.
        text = f"TRUNC(CAST({text} AS NUMERIC))" if operand.literal is not None or operand.is_text \
            else f"TRUNC({text})"
    return text, new, ("SQLite integers are 64-bit (PostgreSQL's INTEGER is 32-bit)"
                       + ("; SQLite truncates fractions when casting to an integer, PostgreSQL "
                          "rounds, so TRUNC keeps SQLite's result" if fractional else
                          "; note that PostgreSQL rounds fractions (SQLite truncates) and rejects "
                          "text such as '12abc' that SQLite reads as 12"))


def json_path_keys(path: str) -> list[str]:
    """The keys and indexes of a JSON path made of them only ('$.a.b[0]')."""
    m = re.fullmatch(r"\$((?:\.[A-Za-z_][A-Za-z0-9_]*|\[\d+\])*)", path.strip())
    if not m:
        raise Untranslatable(f"JSON path {path!r} is more than keys and indexes")
    return [k or i for k, i in re.findall(r"\.([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]", m.group(1))]


def json_extract(args: list[Arg], pct: Pct) -> Rewritten:
    if len(args) != 2 or args[1].literal is None:
        raise Untranslatable("json_extract() with several paths or a path that is not a literal")
    parts = json_path_keys(args[1].literal)
    doc = args[0].text if args[0].pg_base == "jsonb" else f"CAST({args[0].text} AS JSONB)"
    return Rewritten(f"({doc} #>> {pct(sql_string('{' + ','.join(parts) + '}'))})",
                     "json_extract() becomes the #>> operator, which returns text: cast it if "
                     "the code expects a number", needs_look=True)


def call(name: str, args: list[Arg], target: Target, pct: Pct, written: str | None = None) -> Rewritten | None:
    """The rule for ``name(args)``, None when the call stays as written."""
    low = name.lower()
    written = written or name
    if low in dates.DATE_FUNCTIONS:
        return dates.date_function(low, args, target, pct)
    if low in RENAMES:
        new, why = RENAMES[low]
        return Rewritten(f"{cased(new, written)}({', '.join(a.text for a in args)})", why)
    if low == "group_concat":
        return group_concat(written, args, pct)
    if low == "iif":
        return iif(args)
    if low == "round":
        return round_(args)
    if low == "total":
        return total(args)
    if low in ("substr", "substring") and len(args) in (2, 3):
        m = re.fullmatch(r"\s*([+-]?)\s*(\d+)\s*", args[1].raw)
        return substr(args, int(m.group(1) + m.group(2)) if m else None)
    if low in ("max", "min") and len(args) >= 2:
        return max_min(written, args)
    if low == "json_extract":
        return json_extract(args, pct)
    if low in SQLITE_ONLY:
        raise sqlite_only(low)
    return None
