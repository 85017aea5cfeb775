"""A small sample database with the problems real SQLite files have."""

from __future__ import annotations

import sqlite3
from pathlib import Path

SCHEMA = """
CREATE TABLE customers (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    is_active INTEGER NOT NULL DEFAULT 1,
    signed_up TEXT DEFAULT CURRENT_TIMESTAMP,
    balance REAL DEFAULT 0
);
CREATE TABLE orders (
    id INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    placed_at DATETIME NOT NULL,
    total NUMERIC,
    paid BOOLEAN DEFAULT 0,
    notes TEXT,
    meta JSON
);
CREATE INDEX orders_customer ON orders(customer_id);
CREATE INDEX orders_recent ON orders(placed_at DESC) WHERE paid = 1;
CREATE TABLE "order items" (
    order_id INTEGER NOT NULL REFERENCES orders(id),
    sku TEXT NOT NULL,
    qty INTEGER NOT NULL CHECK (qty > 0),
    PRIMARY KEY (order_id, sku)
) WITHOUT ROWID;
CREATE TABLE audit_log (ts INTEGER, "user" TEXT, action TEXT);
CREATE VIEW paid_orders AS SELECT id, customer_id, total FROM orders WHERE paid = 1;
CREATE TRIGGER customers_touch AFTER UPDATE ON customers
BEGIN UPDATE customers SET signed_up = signed_up WHERE id = NEW.id; END;
"""


def build_demo(path: Path, customers: int = 120) -> Path:
    """Write the sample database (deterministic); an existing file is replaced."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        path.unlink()
    conn = sqlite3.connect(path)
    conn.executescript(SCHEMA)
    cur = conn.cursor()
    for i in range(1, customers + 1):
        cur.execute(
            "INSERT INTO customers (email, name, is_active, signed_up, balance) VALUES (?,?,?,?,?)",
            (f"user{i}@example.com", f"Customer {i}" + (" \\ backslash" if i == 7 else ""),
             i % 3 != 0, f"2023-{1 + i % 12:02d}-{1 + i % 28:02d} 1{i % 10}:30:00",
             round(i * 10.25, 2)))
    # Deleted rows leave a gap: AUTOINCREMENT must continue after the high-water mark.
    cur.execute("DELETE FROM customers WHERE id > ?", (customers - 5,))
    order_id = 0
    for c in range(1, customers - 5):
        for _ in range(c % 4):
            order_id += 1
            placed = f"2024-{1 + order_id % 12:02d}-{1 + order_id % 28:02d}T0{order_id % 10}:15:00"
            if order_id == 17:
                placed = "2024-02-30 10:00:00"  # impossible date: dirty
            if order_id == 23:
                placed = "yesterday"  # a word: dirty
            total = f"{order_id * 3.5:.2f}" if order_id % 9 else order_id * 3.5
            notes = None if order_id % 5 else ("tab\there\nnewline" if order_id % 2 else "")
            meta = '{"channel": "web"}' if order_id % 2 else '{"channel": "shop", "gift": true}'
            cur.execute("INSERT INTO orders VALUES (?,?,?,?,?,?,?)",
                        (order_id, c, placed, total, order_id % 2, notes, meta))
            for s in range(1 + order_id % 3):
                cur.execute('INSERT INTO "order items" VALUES (?,?,?)', (order_id, f"SKU-{s}", 1 + s))
    # An orphan: SQLite does not enforce foreign keys unless asked to.
    cur.execute("INSERT INTO orders VALUES (9999, 4242, '2024-05-05 05:05:05', '1.00', 0, NULL, NULL)")
    for i in range(300):
        cur.execute("INSERT INTO audit_log VALUES (?,?,?)",
                    (1_700_000_000 + i * 3600, f"user{i % 7}", "login" if i % 2 else "logout"))
    conn.commit()
    conn.close()
    return path
