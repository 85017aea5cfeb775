"""The PostgreSQL side: connecting, the DDL we create, the schema already there, staging tables and the embedded server.
"""
