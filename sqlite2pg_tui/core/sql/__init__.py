"""SQLite SQL rewritten for PostgreSQL: expressions in DDL (defaults, CHECK, index expressions) and the queries that checks run on both sides.
"""
