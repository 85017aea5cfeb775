"""The column profile's verdicts computed by SQLite, over every row, without Python.

Each value gets a class code in SQL (``class_sql``). A code stands for values every
candidate converter treats alike, so what each candidate accepts is known from the code
alone (``EFFECTS``): numbers by arithmetic, ISO dates and timestamps of the plain shapes
by SQLite's own calendar (``date(x, '+0 days')`` normalises 2024-02-30, so comparing
it with the text tells a real day), and "plain text" (ASCII that no candidate can read: no number
alphabet, no yes/no word, not JSON by ``json_valid``, no UUID shape, no date shape).

The codes are shared by both engines: profile_vector computes them over Arrow arrays
(the columnar profile), ``class_sql`` in SQLite (profile_sqlite, for WITHOUT ROWID tables).
Codes 33 and above are given only by profile_vector.

Everything else, code ``UNDECIDED`` (non-ASCII text, NUL, blobs, offsets, fractions,
float words…), goes through the Python converters exactly as before. The conditions here
are necessary conditions of acceptance, so a mistake can only send a value to Python,
never count a value the converter would refuse.
"""

from __future__ import annotations

from sqlite2pg_tui.core.source.reader import qi

UNDECIDED = 9
PLAIN_TEXT = 1
BOOL_ONLY = 33  # a yes/no word other than JSON's true/false
BOOL_AND_JSON = 34  # exactly 'true' or 'false'
JSON_ONLY = 40  # JSON text no other candidate reads (objects, arrays, strings, null)
JSON_PENDING = 41  # looks like JSON; json_valid() makes it JSON_ONLY or PLAIN_TEXT
BLOB_NOTHING = 51  # a blob no candidate reads
# Python's str.strip() removes these from ASCII text (and more Unicode, which is undecided).
_WS = " \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f"
_FLOAT_WORDS = ("inf", "+inf", "-inf", "infinity", "+infinity", "-infinity", "nan", "+nan", "-nan")
_BOOL_WORDS = ("1", "true", "t", "yes", "y", "on", "0", "false", "f", "no", "n", "off")
_D = "[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]"
_T = "[0-9][0-9]:[0-9][0-9]:[0-9][0-9]"

# code → (candidates that accept the value, has a time of day)
_NUMBER_ALL = ("real", "integer", "boolean", "json")
EFFECTS: dict[int, tuple[tuple[str, ...], bool]] = {
    PLAIN_TEXT: ((), False),
    20: (("timestamptz", "timestamp", "date"), False),  # YYYY-MM-DD, a real day
    21: (("timestamptz", "timestamp", "date"), True),  # … 00:00:00
    22: (("timestamptz", "timestamp"), True),  # YYYY-MM-DD[ T]HH:MM:SS, any other time
    10: (_NUMBER_ALL, False),  # integer 0 or 1
    11: (("real", "integer", "json"), False),  # any other integer
    12: (_NUMBER_ALL, False),  # real 0.0 or 1.0
    13: (("real", "integer", "json"), False),  # whole real within 64 bits
    14: (("real", "json"), False),  # finite real with a fraction (or beyond 64 bits)
    15: (("real",), False),  # infinite real
    30: (_NUMBER_ALL, False),  # text '0' or '1'
    31: (("real", "integer", "json"), False),  # digits only, no leading zero, up to 18
    32: (("real", "integer"), False),  # digits only with a leading zero (not JSON), up to 18
    BOOL_ONLY: (("boolean",), False),
    BOOL_AND_JSON: (("boolean", "json"), False),
    JSON_ONLY: (("json",), False),
    BLOB_NOTHING: ((), False),
}


def _lit(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def _in(expr: str, words: tuple[str, ...]) -> str:
    return f"{expr} IN ({', '.join(map(_lit, words))})"


def class_sql(column: str) -> str:
    """The class code of ``column``'s value on each row (NULL for NULL)."""
    c = qi(column)
    word = f"lower(trim({c}, {_lit(_WS)}))"
    non_ascii = f"{c} GLOB {_lit('*[^' + chr(1) + '-' + chr(127) + ']*')}"
    # date(x) echoes 2024-02-30 as it is; a modifier makes SQLite normalise it (to 03-01).
    real_day = (f"(substr({c}, 1, 4) <> '0000' "
                f"AND date(substr({c}, 1, 10), '+0 days') = substr({c}, 1, 10))")
    real_time = (f"(substr({c}, 12, 2) <= '23' AND substr({c}, 15, 2) <= '59' "
                 f"AND substr({c}, 18, 2) <= '59')")
    plain = " AND ".join([
        # float() reads only these ASCII characters (besides the words inf/nan/infinity)
        f"{c} GLOB {_lit('*[^0-9+.eE_' + _WS + '-]*')}",
        f"NOT {_in(word, _FLOAT_WORDS)}",
        f"NOT {_in(word, _BOOL_WORDS)}",
        f"NOT json_valid({c})",
        # the profile tries uuid only at 32/36/38 characters; UUID text holds only these
        f"(length(trim({c}, {_lit(_WS)})) NOT IN (32, 36, 38) "
        f"OR {c} GLOB {_lit('*[^0-9a-zA-Z{}_+:' + _WS + '-]*')})",
        f"NOT {c} GLOB {_lit('*' + _D + '*')}",
        f"NOT {c} GLOB '*[0-9][/.-][0-9]*'",
    ])
    return f"""CASE typeof({c})
 WHEN 'text' THEN CASE
  WHEN {non_ascii} OR instr({c}, char(0)) THEN {UNDECIDED}
  WHEN {c} GLOB {_lit(_D)} THEN CASE WHEN {real_day} THEN 20 ELSE {UNDECIDED} END
  WHEN {c} GLOB {_lit(_D + ' ' + _T)} OR {c} GLOB {_lit(_D + 'T' + _T)} THEN
   CASE WHEN {real_day} AND {real_time} THEN
    CASE WHEN substr({c}, 12, 8) = '00:00:00' THEN 21 ELSE 22 END ELSE {UNDECIDED} END
  WHEN {c} GLOB '[0-9]*' AND NOT {c} GLOB '*[^0-9]*' AND length({c}) <= 18 THEN
   CASE WHEN {c} IN ('0', '1') THEN 30 WHEN {c} GLOB '0*' THEN 32 ELSE 31 END
  WHEN {plain} THEN {PLAIN_TEXT}
  ELSE {UNDECIDED} END
 WHEN 'integer' THEN CASE WHEN {c} IN (0, 1) THEN 10 ELSE 11 END
 WHEN 'real' THEN CASE WHEN {c} IN (0, 1) THEN 12 WHEN CAST({c} AS INTEGER) = {c} THEN 13
  WHEN {c} > -9e999 AND {c} < 9e999 THEN 14 ELSE 15 END
 WHEN 'blob' THEN {UNDECIDED}
END"""


CODES = (*sorted(EFFECTS), UNDECIDED)


def coded(table_sql: str, locator: str, columns: list[str], extra: list[str] = (),
          where: str = "") -> str:
    """A subquery of (loc, k0, k1, …, *extra) over the rows ``where`` picks: the codes
    computed once per row. A LIMIT keeps SQLite from flattening it into the outer query,
    which would compute each code again wherever the outer query names it."""
    inner = ", ".join([f"{locator} AS loc"] + [f"{class_sql(c)} AS k{i}"
                                               for i, c in enumerate(columns)] + list(extra))
    limit = "" if "LIMIT" in where else " LIMIT -1"
    return f"(SELECT {inner} FROM {table_sql} {where}{limit})"


def counts_query(table_sql: str, locator: str, columns: list[str], where: str = "") -> str:
    """One scan of the rows ``where`` picks: their number; per column the NULLs, and per
    code how many values and the first and last locator (rowid tables) of each, so
    examples are fetched from a short range."""
    outer = ["count(*)"]
    for i in range(len(columns)):
        outer.append(f"count(CASE WHEN k{i} IS NULL THEN 1 END)")
        for code in CODES:
            outer += [f"count(CASE k{i} WHEN {code} THEN 1 END)",
                      f"min(CASE k{i} WHEN {code} THEN loc END)",
                      f"max(CASE k{i} WHEN {code} THEN loc END)"]
    return f"SELECT {', '.join(outer)} FROM {coded(table_sql, locator, columns, where=where)}"
