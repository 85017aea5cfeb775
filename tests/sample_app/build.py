"""Build the sample shop database with data, through the application's own code."""

from datetime import UTC, datetime, timedelta

from . import db, repo


def build(path: str) -> None:
    now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)

    def ago(days: float) -> str:
        return (now - timedelta(days=days)).isoformat(" ")

    conn = db.connect(path)
    try:
        db.init_schema(conn)
        people = [("alice@example.org", "Alice", 400), ("alfred@example.org", "alfred", 2),
                  ("bob@example.com", "Bob", 10), ("carol@example.org", "Carol", 1),
                  ("dave@example.org", "Dave", 900)]
        ids = {}
        for email, name, days in people:
            uid = repo.add_user(conn, email, name)
            assert uid is not None
            conn.execute("UPDATE users SET created_at = ? WHERE id = ?", (ago(days), uid))
            ids[name] = uid
        conn.commit()
        repo.deactivate(conn, ids["Dave"])
        for name, total, days in [("Alice", 12.5, 1), ("Alice", 30.0, 40), ("Alice", 7.25, 400),
                                  ("Bob", 99.99, 3), ("Bob", 5.0, 800), ("Carol", 18.0, 20)]:
            repo.add_order(conn, ids[name], total, ago(days))
        for name, tag in [("Alice", "vip"), ("Alice", "early"), ("Bob", "early"),
                          ("Carol", "new")]:
            repo.tag_user(conn, ids[name], tag)
        repo.set_setting(conn, "theme", "dark")
        repo.set_setting(conn, "theme", "light")
    finally:
        conn.close()
