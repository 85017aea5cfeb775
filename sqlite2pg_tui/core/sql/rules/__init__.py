"""The SQLite → PostgreSQL rulebook: one rule per piece of SQLite meaning, used by every translator.

Four translators write PostgreSQL for SQLite SQL: check queries run on both sides
(``core.sql.query_translate``), DDL expressions (``core.sql.sql_translate``: CHECK, index
keys, generated columns, views), DEFAULT clauses (``core.sql.defaults``) and the
application's own SQL (``portcode.sql``). They all ask these modules:

* :mod:`.base`: what a rule is given (:class:`Arg`) and returns (:class:`Rewritten`), the one
  :class:`Untranslatable`, and :class:`Target`: who the SQL is for. Where translators must
  differ (an index cannot read the clock; application code may take a near translation with a
  note; a check query compares SQLite's exact text), that is a switch of the target, not a
  second copy of the rule.
* :mod:`.dates`: 'now', date/time/datetime/julianday/unixepoch/strftime with their modifiers
  (month arithmetic rolling over as SQLite's does), the strftime code table.
* :mod:`.patterns`: LIKE (case-insensitive, no escape character) and GLOB (LIKE where
  that is exact, else an anchored regular expression).
* :mod:`.functions`: functions PostgreSQL spells differently or lacks (ifnull, instr, iif,
  total, round, multi-argument max/min, group_concat, json_extract) and the SQLite-only
  ones, with what to use instead.
* :mod:`.literals`: 0/1 for booleans, blob literals, integers joined with ||, LIMIT's "no limit".
* :mod:`.identifiers`: the names PostgreSQL reserves or folds, and quoting.

Rules are written as PostgreSQL text around their arguments' text: the AST translators parse
the result back, the application-code rewriter edits it into the author's SQL in place.
"""

from sqlite2pg_tui.core.sql.rules import dates, functions, literals, patterns
from sqlite2pg_tui.core.sql.rules.base import (
    APP,
    CHECK_QUERY,
    CONSTRAINT,
    DEFAULT,
    INDEX,
    VIEW,
    Arg,
    Rewritten,
    Target,
    Untranslatable,
    cased,
    same,
    sql_string,
)

__all__ = ["APP", "CHECK_QUERY", "CONSTRAINT", "DEFAULT", "INDEX", "VIEW", "Arg", "Rewritten", "Target", "Untranslatable",
           "cased", "dates", "functions",
           "literals", "patterns", "same", "sql_string"]
