"""The engine: every stage of a migration as plain functions over dataclasses, with no UI.

The folders are the pipeline, in order:

source (read the SQLite file) → plan (the Mapping) → values (converters, PostgreSQL's text
forms) → sql (SQLite SQL for PostgreSQL) → target (connect, DDL) → load (copy, rejects) →
finish (keys, indexes, sequences) → verify (samples, checks, checksums) → report.

:func:`pipeline.run_migration` runs them all; the CLI and the wizard both call it.
"""
