"""The engine: every stage of a migration as plain functions over dataclasses, with no UI.

inspect (sqlite_source, profile) → plan (declared_types, plan, mapping, naming) → schema
(ddl, defaults) → copy (copy, columnar, rejects) → finish → verify (verify, checks,
checksum) → report. The CLI and the wizard both call :func:`migrate.run_migration`.
"""
