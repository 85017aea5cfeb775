"""One value at a time and a column at a time: converters from SQLite values to PostgreSQL values, PostgreSQL's text forms (COPY, canonical text for checksums) and display.
"""
