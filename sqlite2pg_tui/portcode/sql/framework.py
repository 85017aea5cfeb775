"""Where Django and SQLAlchemy code hands raw SQL to the framework, and in which style.

A framework's own ``execute`` keeps working on PostgreSQL: only the SQL it is given may
be SQLite's. So these calls are never turned into DB-API cursor code; the SQL literal
they carry is ported in the framework's style (see portcode.sql.styles):

- SQLAlchemy: ``text("...")`` anywhere (``:name`` binds kept); ``exec_driver_sql("...")``
  and a plain string given to ``execute`` (SQLAlchemy 1.x) go to the driver as they are,
  so they take psycopg2's paramstyle; ``func.strftime``/``func.julianday`` are rebuilt.
- Django: ``cursor.execute/executemany`` on Django's connection, ``Model.objects.raw``,
  ``RawSQL``, ``.extra(where=[...], select={...})``: Django's ``%s`` style throughout.
- Both: settings that name SQLite (``django.db.backends.sqlite3``, ``sqlite:///`` URLs)
  get the PostgreSQL equivalent, read from the environment.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from sqlite2pg_tui.core.sql.rules import APP, Arg, dates, same

DJANGO_SQLITE_ENGINE = "django.db.backends.sqlite3"
DJANGO_PG_ENGINE = "django.db.backends.postgresql"
SQLITE_URL_SCHEMES = ("sqlite:", "sqlite+")


@dataclass
class SqlSite:
    """A string literal that holds SQL for a framework, and how to port it."""

    call: ast.Call
    arg: ast.expr  # the expression holding the SQL (a literal, or a name bound to one)
    style: str  # qmark | named | format (see portcode.sql.styles)
    has_params: bool
    fragment: str | None = None  # "where" / "select" for a part of a statement
    method: str = "execute"


def frameworks_imported(tree: ast.Module) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(tree):
        mods: list[str] = []
        if isinstance(node, ast.Import):
            mods = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            mods = [node.module]
        for m in mods:
            top = m.split(".")[0]
            if top == "django":
                found.add("django")
            elif top in ("sqlalchemy", "flask_sqlalchemy", "sqlmodel", "alembic"):
                found.add("sqlalchemy")
    return found


def text_callables(tree: ast.Module) -> set[str]:
    """Dotted names that call sqlalchemy's text(): ``text``, ``sa.text``, ``sqlalchemy.text``."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] in (
                "sqlalchemy", "sqlmodel"):
            for a in node.names:
                if a.name == "text":
                    names.add(a.asname or "text")
        elif isinstance(node, ast.Import):
            for a in node.names:
                if a.name.split(".")[0] in ("sqlalchemy", "sqlmodel"):
                    base = a.asname or a.name
                    names.update({f"{base}.text", f"{base}.sql.text", f"{base}.sql.expression.text"})
    return names


def dotted(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = dotted(node.value)
        return f"{base}.{node.attr}" if base else None
    return None


def is_text_call(node: ast.AST, text_names: set[str]) -> bool:
    return (isinstance(node, ast.Call) and dotted(node.func) in text_names
            and len(node.args) == 1 and not node.keywords)


def _call_name(node: ast.Call) -> str | None:
    f = node.func
    return f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else None


def _has_params(call: ast.Call, first: int = 1) -> bool:
    return len(call.args) > first or any(k.arg in ("params", "parameters", None) for k in call.keywords)


def sql_sites(tree: ast.Module, frameworks: set[str], text_names: set[str]) -> list[SqlSite]:
    """The framework calls in ``tree`` whose SQL is a string to port (not execute() on
    sqlite3 objects: the DB-API porter decides those)."""
    sites: list[SqlSite] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = _call_name(node)
        if is_text_call(node, text_names):
            sites.append(SqlSite(node, node.args[0], "named", False, method="text"))
        elif name == "exec_driver_sql" and node.args:
            # Straight to psycopg2, which formats the SQL even for an empty parameter list.
            sites.append(SqlSite(node, node.args[0], "qmark", True, method=name))
        elif "django" not in frameworks:
            continue
        elif name == "raw" and node.args and isinstance(node.func, ast.Attribute):
            # Manager.raw() always passes a parameter list (empty by default): % is formatted.
            sites.append(SqlSite(node, node.args[0], "format", True, method=name))
        elif name == "RunSQL":
            # A migration's SQL runs through cursor.execute(sql) without parameters.
            values = [*node.args[:2], *(k.value for k in node.keywords if k.arg in ("sql", "reverse_sql"))]
            for v in values:
                items = v.elts if isinstance(v, ast.List | ast.Tuple) else [v]
                sites.extend(SqlSite(node, e, "format", False, method=name) for e in items
                             if not isinstance(e, ast.List | ast.Tuple))
        elif name == "RawSQL" and node.args:
            sites.append(SqlSite(node, node.args[0], "format", True, "select", method=name))
        elif name == "extra" and isinstance(node.func, ast.Attribute):
            for kw in node.keywords:
                if kw.arg == "where" and isinstance(kw.value, ast.List | ast.Tuple):
                    sites.extend(SqlSite(node, e, "format", True, "where", method=name)
                                 for e in kw.value.elts)
                elif kw.arg == "select" and isinstance(kw.value, ast.Dict):
                    sites.extend(SqlSite(node, v, "format", True, "select", method=name)
                                 for v in kw.value.values)
    return sites


def framework_execute(node: ast.Call, frameworks: set[str], text_names: set[str],
                      sql_arg: ast.expr, sql_value: ast.expr | None) -> SqlSite | None | bool:
    """How an ``execute``/``executemany`` call belongs to a framework.

    False: not a framework call. True: the framework's, with nothing to port here (its SQL
    is a text() construct, ported where it is made, or an ORM statement). A SqlSite: the
    framework's, with this string literal to port.
    """
    if is_text_call(sql_arg, text_names) or (sql_value is not None and is_text_call(sql_value, text_names)):
        return True
    if "django" in frameworks:
        # Django's cursor: %s placeholders on every backend, %% for a literal % with params.
        return SqlSite(node, sql_arg, "format", _has_params(node) or _call_name(node) == "executemany")
    if "sqlalchemy" in frameworks:
        if isinstance(sql_value, ast.Constant) and isinstance(sql_value.value, str):
            recv = dotted(node.func.value) if isinstance(node.func, ast.Attribute) else None
            last = (recv or "").split(".")[-1].lower()
            if last == "op" or "session" in last:
                # Alembic's op.execute and the ORM Session make a text() of a string.
                return SqlSite(node, sql_arg, "named", False)
            # Connection/Engine.execute (1.x) hand a string to the driver as it is.
            return SqlSite(node, sql_arg, "qmark", True)
        return True  # select(...), insert(...), an ORM statement: nothing SQLite-only in it
    return False


def _py_string(value: str, quote: str) -> str:
    if quote not in value and "\\" not in value:
        return f"{quote}{value}{quote}"
    return repr(value)


def func_call_rewrite(node: ast.Call, source_of: dict[int, str],
                      quote: str = '"') -> tuple[str, str, bool] | None:
    """``func.strftime(fmt, x)`` / ``func.julianday(x)`` → (new code, why, needs a look).

    The translation of the SQL functions is reused: the Python argument stands in for the
    SQL operand, and the PostgreSQL expression is rebuilt with ``func`` and operators.
    """
    f = node.func
    if not (isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name | ast.Attribute)
            and (dotted(f.value) or "").split(".")[-1] == "func"):
        return None
    func = dotted(f.value)
    name = f.attr.lower()
    args = [source_of.get(id(a), "") for a in node.args]
    if name == "julianday" and len(node.args) == 1:
        new = f"({func}.date_part({_py_string('epoch', quote)}, {args[0]}) / 86400.0 + {dates.JULIAN_EPOCH})"
        return new, ("julianday() does not exist in PostgreSQL: the Julian day is the Unix "
                     f"epoch in days plus {dates.JULIAN_EPOCH} (the column must be a timestamp or date; "
                     "cast text with sqlalchemy.cast(x, DateTime))"), False
    if name == "strftime" and len(node.args) == 2:
        fmt = node.args[0]
        if not (isinstance(fmt, ast.Constant) and isinstance(fmt.value, str)):
            return None
        marker = "\x00"
        sql = dates.strftime(fmt.value, dates.time_value([Arg(raw=marker, text=marker)], APP, same), same)
        prefix = f"TO_CHAR(CAST({marker} AS TIMESTAMP), "
        if not (sql.startswith(prefix) and sql.endswith(")") and sql.count(marker) == 1):
            return (f"{func}.strftime(...)", f"strftime('{fmt.value}') has no single to_char() "
                    f"form (in SQL it becomes {sql.replace(marker, 'x')}): port it by hand", True)
        pg_format = sql[len(prefix):-1]
        if not (pg_format.startswith("'") and pg_format.endswith("'")):
            return None
        value = pg_format[1:-1].replace("''", "'")
        new = f"{func}.to_char({args[1]}, {_py_string(value, quote)})"
        return new, ("strftime() does not exist in PostgreSQL: to_char() with the same fields "
                     "(the column must be a timestamp or date; cast text with "
                     "sqlalchemy.cast(x, DateTime))"), False
    return None


_URL_FACTORIES = {"create_engine", "create_async_engine", "engine_from_config", "Database", "connect",
                  "make_url"}
_URL_WORDS = ("URL", "URI", "DATABASE", "DSN", "DB_")


def _url_name(name: str | None) -> bool:
    return bool(name) and any(w in name.upper() for w in _URL_WORDS)


def url_place(node: ast.Constant, parent: ast.AST | None, holder: ast.AST | None) -> str | None:
    """Where a ``sqlite://`` string sits: "engine" (it is the database's URL), "default"
    (the fallback of os.environ.get/os.getenv), or None (some other string: a test's
    example, a list of schemes) that is reported, not changed. ``holder`` is the parent's
    parent, for a keyword argument."""
    if isinstance(parent, ast.Call):
        name = dotted(parent.func) or ""
        last = name.split(".")[-1]
        if name.endswith(("environ.get", "getenv")) and len(parent.args) > 1 and parent.args[1] is node:
            return "default"
        if last in _URL_FACTORIES and parent.args and parent.args[0] is node:
            return "engine"
    if isinstance(parent, ast.keyword):
        if isinstance(holder, ast.Call) and (dotted(holder.func) or "").endswith(("environ.get", "getenv")) \
                and parent.arg == "default":
            return "default"
        return "engine" if _url_name(parent.arg) or parent.arg in ("url", "uri") else None
    if isinstance(parent, ast.Assign | ast.AnnAssign):
        targets = parent.targets if isinstance(parent, ast.Assign) else [parent.target]
        for t in targets:
            key = t.slice if isinstance(t, ast.Subscript) else None
            name = (key.value if isinstance(key, ast.Constant) and isinstance(key.value, str)
                    else dotted(t))
            if _url_name(name):
                return "engine"
    if isinstance(parent, ast.Dict):
        for k, v in zip(parent.keys, parent.values, strict=True):
            if v is node and isinstance(k, ast.Constant) and isinstance(k.value, str) and _url_name(k.value):
                return "engine"
    return None


def settings_rewrite(node: ast.Constant, dsn_env: str, place: str | None = "engine") -> tuple[str, str] | None:
    """A string naming SQLite as the database → (new code, why); None for other strings.

    For a ``sqlite://`` URL, ``place`` is what :func:`url_place` found; None gives
    ("", why): reported, not changed.
    """
    value = node.value
    if not isinstance(value, str):
        return None
    if value == DJANGO_SQLITE_ENGINE:
        return (repr(DJANGO_PG_ENGINE).replace("'", '"'),
                "Django's PostgreSQL backend: NAME is the database now, not a file; HOST, USER "
                "and PASSWORD left empty make libpq read PGHOST, PGUSER, PGPASSWORD")
    if value.startswith(SQLITE_URL_SCHEMES) and "://" in value:
        if place == "default":
            return ('"postgresql://"', "the fallback database URL was SQLite's: postgresql:// "
                    "connects with libpq's PG* variables (PGHOST, PGDATABASE, PGUSER...)")
        if place is None:
            return ("", "a SQLite URL: if the application connects with it, read a postgresql:// "
                    f"URL from the environment instead (os.environ.get(\"{dsn_env}\"))")
        return (f'os.environ.get("{dsn_env}", "postgresql://")',
                f"the database URL comes from the environment: {dsn_env} (a postgresql:// URL); "
                "when it is unset, postgresql:// connects with libpq's PG* variables")
    return None
