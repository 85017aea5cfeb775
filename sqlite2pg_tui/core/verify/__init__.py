"""Proving nothing was lost: sample rows side by side, checks on both sides and full checksums.

Checks: queries that must answer the same on both sides, and the default ones.

Three kinds, one result shape (:class:`CheckResult`, a row of the report's ``checks``):

* **user checks** from the mapping (``[[checks]]`` with ``sqlite`` and optionally
  ``postgres``); without a hand-written PostgreSQL version the SQLite text is translated
  (:mod:`query_translate`);
* **ad-hoc queries** (``verify --query``), the same thing unnamed;
* **default checks**, proposed for every table so that nobody gets only a row count: rows,
  min/max of the key, sums of numeric columns, NULLs per column, trues per boolean, min/max
  of timestamps, total text length. One aggregate query per table per side computes all
  of them. SQLite's side is written for the values *after conversion* (``sum`` of 0/1 vs
  ``count(*) FILTER (WHERE flag)``; epoch numbers converted before comparing with the
  timestamps PostgreSQL holds; text timestamps read through ``julianday``).

Rows the copy rejected are legitimately absent from PostgreSQL. SQLite's side leaves them
out by locator (the reject file, or, without one, the converters run again to find them),
so counts and sums are compared exactly; user queries see the table through the same
filter. Only when those rows cannot be identified (no reject file and PostgreSQL itself
refused some) is a difference reported as expected rather than failed. A value set to
NULL by an ``on_error = "null"`` policy is counted as a NULL on SQLite's side; sums and
ranges are not computed for such columns (SQLite cannot apply the converter in SQL); the
full checksum covers them.

Values are compared after normalising the types each side uses for the same thing: 0/1
and booleans, ISO text and timestamps (UTC), epoch numbers and timestamps (through the
column's converter), REAL and double precision within a relative 1e-9, Decimal and
float, JSON text and parsed jsonb, bytes and memoryview, UUID text in any case.
"""
