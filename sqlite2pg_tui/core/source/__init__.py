"""Reading the SQLite file: its schema (DDL parsed with sqlglot), what the data really holds (profile), the values that would not fit (dirty), and which framework made it.
"""
