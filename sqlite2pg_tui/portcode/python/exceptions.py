"""sqlite3's exception classes → the psycopg2 classes raised in the same situations.

Checked against psycopg2 2.9 on a PostgreSQL server (tests/test_portcode_exceptions.py
raises each one): both drivers follow the DB-API hierarchy, but do not file the same
failures under the same names.
"""

from __future__ import annotations

# name → (psycopg2 classes raised where sqlite3 raises this one, why)
_MAP: dict[str, tuple[tuple[str, ...], str]] = {
    "ProgrammingError": (
        ("ProgrammingError", "InterfaceError"),
        "a closed connection or cursor raises psycopg2.InterfaceError (sqlite3: "
        "ProgrammingError); a parameter psycopg2 cannot send raises ProgrammingError; a wrong "
        "number of parameters raises IndexError or TypeError"),
    "OperationalError": (
        ("OperationalError", "ProgrammingError"),
        "SQL errors SQLite reports as OperationalError (syntax error, no such table or "
        "column) are psycopg2.ProgrammingError (errors.SyntaxError, UndefinedTable, "
        "UndefinedColumn); a lost connection or a lock timeout is OperationalError"),
    "InterfaceError": (
        ("InterfaceError", "ProgrammingError"),
        "a parameter of a type psycopg2 cannot send raises psycopg2.ProgrammingError "
        "(\"can't adapt type\"); a closed connection raises InterfaceError"),
    "IntegrityError": (
        ("IntegrityError",),
        "psycopg2 raises the same DB-API class (psycopg2.errors.UniqueViolation, "
        "ForeignKeyViolation, NotNullViolation and CheckViolation are its subclasses if only "
        "one kind is meant)"),
    "DataError": (
        ("DataError",),
        "psycopg2 also raises DataError where SQLite stored or computed anyway: text in a "
        "number column, division by zero, a number out of range"),
}


def catch_classes(name: str) -> tuple[str, ...]:
    return _MAP.get(name, ((name,), ""))[0]


def error_replacement(name: str, catching: bool, in_tuple: bool) -> tuple[str, str]:
    """(the replacement text, why) for sqlite3.<name>.

    ``catching``: the class is caught there (except, pytest.raises, assertRaises,
    isinstance), so every class psycopg2 may raise instead is named; ``in_tuple``: it is
    already an item of a tuple, so the classes are spliced in without brackets.
    """
    classes, why = _MAP.get(name, ((name,), ""))
    full = [f"psycopg2.{c}" for c in classes]
    if not why:
        why = f"psycopg2 raises the same DB-API exception class: psycopg2.{name}"
    if catching and len(full) > 1:
        text = ", ".join(full) if in_tuple else f"({', '.join(full)})"
        return text, why
    if len(full) > 1:
        why += f"; where it is caught, catch {' and '.join(full)}"
    return full[0], why
