"""SQLite SQL rewritten for PostgreSQL: expressions in DDL (defaults, CHECK, index expressions,
views) and the queries that checks run on both sides.

:mod:`.rules` is the rulebook every translator uses (portcode's too): what SQLite's dates,
LIKE/GLOB, functions and literals mean in PostgreSQL, one rule each, with the translators'
differences as the rule's target. :mod:`.query_translate`, :mod:`.sql_translate` and
:mod:`.defaults` add what only they know (the mapping, the column's type).
"""
