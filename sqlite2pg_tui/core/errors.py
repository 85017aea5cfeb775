"""Exit codes and the error types a user may see. One place, so both faces agree."""

from __future__ import annotations

EXIT_OK = 0
EXIT_DIFFERENCES = 1  # finished, but rows were rejected or verification found differences
EXIT_CANNOT_RUN = 2  # bad input, connection, permissions, config
EXIT_INTERRUPTED = 130  # Ctrl-C (128 + SIGINT; SIGTERM gives 143): what was left is said


class MigrationError(Exception):
    """A problem the user can act on: shown as one line, exit code 2."""

    exit_code = EXIT_CANNOT_RUN


class SourceError(MigrationError):
    """The SQLite file is missing, not SQLite, or corrupt."""


class TargetError(MigrationError):
    """PostgreSQL is unreachable, refuses the login, or refuses an action."""


class MappingError(MigrationError):
    """A mapping file is malformed or no longer matches the database."""

    def __init__(self, message: str, differences: list[str] | None = None) -> None:
        super().__init__(message)
        self.differences = differences or []


class AbortedByPolicy(MigrationError):
    """A value could not be converted and its column's policy is 'abort'."""


class Cancelled(MigrationError):
    """The user asked the run to stop."""
