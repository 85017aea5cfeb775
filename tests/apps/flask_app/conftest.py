"""tests/apps/flask_app is an application under test, not part of this project's suite.

Its own tests run in a subprocess (tests/test_portcode_flask.py), on SQLite and, once
ported, on PostgreSQL; collected here they would run against a database nobody set up.
"""

collect_ignore = ["flaskr", "tests"]
