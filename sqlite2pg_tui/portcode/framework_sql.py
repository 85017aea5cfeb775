"""Moved to :mod:`sqlite2pg_tui.portcode.sql.framework`; kept for python_rewrite's imports until it moves too."""

from sqlite2pg_tui.portcode.sql.framework import (
    DJANGO_PG_ENGINE,
    DJANGO_SQLITE_ENGINE,
    SqlSite,
    framework_execute,
    frameworks_imported,
    func_call_rewrite,
    settings_rewrite,
    sql_sites,
    text_callables,
    url_place,
)

__all__ = ["DJANGO_PG_ENGINE", "DJANGO_SQLITE_ENGINE", "SqlSite", "framework_execute",
           "frameworks_imported", "func_call_rewrite", "settings_rewrite", "sql_sites",
           "text_callables", "url_place"]
