"""Writes: users, orders, tags, settings."""

import sqlite3


def add_user(conn, email: str, name: str) -> int | None:
    """The new user's id, or None when the email is taken."""
    try:
        with conn:
            cur = conn.execute(
                "INSERT INTO users (email, name) VALUES (?, ?)",  # the id comes from SQLite
                (email, name),
            )
            return cur.lastrowid
    except sqlite3.IntegrityError:
        return None


def add_order(conn, user_id: int, total: float, created_at: str | None = None) -> int:
    cursor = conn.cursor()
    if created_at is None:
        cursor.execute(
            "INSERT INTO orders (user_id, total, created_at) VALUES (?, ?, datetime('now'))",
            (user_id, total),
        )
    else:
        cursor.execute(
            "INSERT INTO orders (user_id, total, created_at) VALUES (:user, :total, :at)",
            {"user": user_id, "total": total, "at": created_at},
        )
    conn.commit()
    return cursor.lastrowid


def tag_user(conn, user_id: int, tag: str) -> None:
    conn.execute("INSERT OR IGNORE INTO tags (user_id, tag) VALUES (?, ?)", (user_id, tag))
    conn.commit()


def set_setting(conn, key: str, value: str) -> None:
    conn.execute("INSERT OR REPLACE INTO settings (key, value) VALUES (:key, :value)",
                 {"key": key, "value": value})
    conn.commit()


def deactivate(conn, user_id: int) -> None:
    conn.execute("UPDATE users SET active = 0 WHERE id = ?", (user_id,))
    conn.commit()


def ship_old_orders(conn) -> int:
    cur = conn.cursor()
    cur.execute("UPDATE orders SET status = 'shipped' WHERE status = 'new' "
                "AND created_at < datetime('now', '-30 days')")
    conn.commit()
    return cur.rowcount
