"""A small shop application written against sqlite3, the way people write them.

tests/test_portcode_app.py ports it with `port-code` and checks that the ported copy
answers the same against PostgreSQL as this one does against SQLite.
"""
