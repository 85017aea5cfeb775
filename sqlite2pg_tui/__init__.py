"""sqlite2pg-tui: migrate a SQLite database into PostgreSQL and prove nothing was lost."""

__version__ = "0.1.0"
