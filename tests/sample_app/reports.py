"""Reads: the queries the shop's pages run."""

from . import db

ACTIVE_USERS = """
    SELECT name, email
    FROM users
    WHERE active = 1   -- only people who can log in
    ORDER BY name
"""


def active_users(conn) -> list[tuple]:
    return [tuple(r) for r in conn.execute(ACTIVE_USERS).fetchall()]


def search_users(conn, prefix: str) -> list[str]:
    rows = conn.execute(
        "SELECT name FROM users WHERE email LIKE '%@example.org' AND name LIKE :prefix ORDER BY name",
        {"prefix": prefix + "%"},
    ).fetchall()
    return [r["name"] for r in rows]


def spent_per_user(conn) -> list[tuple]:
    cur = conn.cursor()
    cur.execute("""
        SELECT u.name, IFNULL(SUM(o.total), 0) AS Spent
        FROM users u LEFT JOIN orders o ON o.user_id = u.id
        GROUP BY u.id
        ORDER BY Spent DESC, u.name
    """)
    return [(r["name"], r["Spent"]) for r in cur.fetchall()]


def tags_per_user(conn) -> list[tuple]:
    sql = ("SELECT u.name, GROUP_CONCAT(t.tag, ', ') AS tags "
           "FROM users u JOIN tags t ON t.user_id = u.id "
           "GROUP BY u.id ORDER BY u.name")
    return [(r[0], r[1]) for r in conn.execute(sql)]


def recent_orders(conn) -> list[int]:
    rows = conn.execute(
        "SELECT id FROM orders WHERE created_at >= date('now', '-7 days') ORDER BY id"
    ).fetchall()
    return [r["id"] for r in rows]


def orders_per_year(conn) -> list[tuple]:
    return [tuple(r) for r in conn.execute(
        "SELECT strftime('%Y', created_at) AS year, COUNT(*) AS n FROM orders GROUP BY year ORDER BY year"
    )]


def newest_signups(conn) -> list[tuple]:
    rows = conn.execute(
        "SELECT name, created_at FROM users WHERE created_at > datetime('now', '-3 days') "
        "ORDER BY created_at DESC, name LIMIT -1 OFFSET 0").fetchall()
    return [tuple(r) for r in rows]


def days_since_last_order(conn) -> list[tuple]:
    rows = conn.execute(
        "SELECT u.name, CAST(julianday('now') - julianday(MAX(o.created_at)) AS INTEGER) AS days "
        "FROM users u JOIN orders o ON o.user_id = u.id GROUP BY u.id ORDER BY u.name"
    ).fetchall()
    return [tuple(r) for r in rows]


def setting(conn, key: str) -> str | None:
    row = conn.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
    return row["value"] if row else None


def orders_by_status(conn, status: str) -> list[int]:
    # Built at run time: the porter reports it instead of rewriting it.
    table = "orders"
    rows = conn.execute(f"SELECT id FROM {table} WHERE status = ? ORDER BY id", (status,)).fetchall()
    return [r[0] for r in rows]


def queries(conn) -> dict[str, list]:
    """The answers the application's pages depend on."""
    return {
        "active_users": active_users(conn),
        "search_users": search_users(conn, "al"),
        "spent_per_user": spent_per_user(conn),
        "tags_per_user": tags_per_user(conn),
        "recent_orders": recent_orders(conn),
        "orders_per_year": orders_per_year(conn),
        "newest_signups": newest_signups(conn),
        "days_since_last_order": days_since_last_order(conn),
        "setting_theme": [setting(conn, "theme")],
        "orders_by_status": orders_by_status(conn, "new"),
    }


__all__ = ["db", "queries"]
