"""The restricted application role: one list of statements, used both by --apply and for
roles.sql, so what a DBA reviews is exactly what the kit would run."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

import psycopg2.extensions
from psycopg2 import sql

TABLE_PRIVILEGES = ("SELECT", "INSERT", "UPDATE", "DELETE")
# USAGE lets nextval() run (serial defaults); SELECT adds currval()/lastval(). No UPDATE, so
# the application cannot setval() a sequence backwards and collide with existing keys.
SEQUENCE_PRIVILEGES = ("USAGE", "SELECT")
# Attributes that make a role an administrator. The kit refuses to adopt a role that has any
# of them rather than silently demoting someone's admin account.
ADMIN_ATTRIBUTES = ("rolsuper", "rolcreaterole", "rolcreatedb", "rolreplication", "rolbypassrls")
CREATE_ATTRIBUTES = "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT NOREPLICATION NOBYPASSRLS"
PASSWORD_VARIABLE = "app_password"
PASSWORD_ENV = "SQLITE2PG_APP_PASSWORD"


def generate_password() -> str:
    # 32 URL-safe characters: no quoting trouble in .pgpass, URIs or shell variables.
    return secrets.token_urlsafe(24)


@dataclass(frozen=True)
class Step:
    why: str
    statement: sql.Composed


@dataclass
class RolePlan:
    role: str
    schema: str
    database: str
    owners: list[str]
    tables: list[str] = field(default_factory=list)
    sequences: list[str] = field(default_factory=list)
    views: list[str] = field(default_factory=list)
    matviews: list[str] = field(default_factory=list)


def _privileges(names: tuple[str, ...]) -> sql.Composable:
    return sql.SQL(", ").join(sql.SQL(p) for p in names)


def grant_steps(plan: RolePlan) -> list[Step]:
    """Everything after the role itself exists. Safe to run again: every statement either
    resets or re-asserts state."""
    role = sql.Identifier(plan.role)
    schema = sql.Identifier(plan.schema)
    tprivs = _privileges(TABLE_PRIVILEGES)
    sprivs = _privileges(SEQUENCE_PRIVILEGES)
    steps = [
        Step("Before PostgreSQL 15 every role could create objects in the public schema, and a "
             "table or function planted there can shadow yours through search_path "
             "(CVE-2018-1058). This revokes CREATE from PUBLIC (all roles), not just from the app "
             "role; any other role that really needs to create objects here must be granted "
             "CREATE by name.",
             sql.SQL("REVOKE CREATE ON SCHEMA {} FROM PUBLIC").format(schema)),
        Step("In case an earlier hand-made grant gave the app role CREATE here.",
             sql.SQL("REVOKE CREATE ON SCHEMA {} FROM {}").format(schema, role)),
        Step("PUBLIC can connect by default; granting CONNECT by name keeps the application "
             "working if you later harden with REVOKE CONNECT ON DATABASE ... FROM PUBLIC.",
             sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(
                 sql.Identifier(plan.database), role)),
        Step("USAGE lets the role find objects in the schema; it does not allow creating any.",
             sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(schema, role)),
        Step("A rerun resets the role's table and sequence grants to exactly the list below "
             "(dropping, say, a TRUNCATE someone added by hand).",
             sql.SQL("REVOKE ALL ON ALL TABLES IN SCHEMA {} FROM {}").format(schema, role)),
        Step("", sql.SQL("REVOKE ALL ON ALL SEQUENCES IN SCHEMA {} FROM {}").format(schema, role)),
    ]
    grants = (
        (plan.tables, "TABLE", tprivs,
         "Data access only: no TRUNCATE, REFERENCES or TRIGGER. ALTER and DROP need "
         "ownership, which the app role never has."),
        (plan.views, "TABLE", tprivs,
         "Views get what tables get, as default privileges will give views created later; "
         "writing through a view works only where the view is updatable."),
        (plan.matviews, "TABLE", sql.SQL("SELECT"),
         "Materialized views can only be read (REFRESH needs ownership)."),
        (plan.sequences, "SEQUENCE", sprivs,
         "USAGE for nextval() (serial defaults), SELECT for currval()/lastval(). Identity "
         "columns need no sequence grant, but it does no harm."),
    )
    for names, kind, privs, why in grants:
        for i, name in enumerate(names):  # the reason once, above the first of its kind
            steps.append(Step(why if i == 0 else "", sql.SQL(f"GRANT {{}} ON {kind} {{}}.{{}} TO {{}}").format(
                privs, schema, sql.Identifier(name), role)))
    for i, owner in enumerate(plan.owners):
        why = ("Tables and sequences that the owner creates later (future migrations) get the "
               "same grants automatically. Default privileges only cover objects created BY "
               "the role named in FOR ROLE, so run future migrations as that role."
               if i == 0 else "")
        steps.append(Step(why, sql.SQL(
            "ALTER DEFAULT PRIVILEGES FOR ROLE {} IN SCHEMA {} GRANT {} ON TABLES TO {}").format(
                sql.Identifier(owner), schema, tprivs, role)))
        steps.append(Step("", sql.SQL(
            "ALTER DEFAULT PRIVILEGES FOR ROLE {} IN SCHEMA {} GRANT {} ON SEQUENCES TO {}").format(
                sql.Identifier(owner), schema, sprivs, role)))
    if plan.schema != "public":
        steps.append(Step(
            "Unqualified table names in the application resolve to the migrated schema.",
            sql.SQL("ALTER ROLE {} IN DATABASE {} SET search_path TO {}, public").format(
                role, sql.Identifier(plan.database), schema)))
    return steps


def create_role(role: str, verifier: str | None) -> sql.Composed:
    stmt = sql.SQL("CREATE ROLE {} WITH " + CREATE_ATTRIBUTES).format(sql.Identifier(role))
    return stmt + _password_clause(verifier)


def alter_role(role: str, verifier: str | None) -> sql.Composed:
    # CREATEDB/CREATEROLE/SUPERUSER... are not re-asserted: build_kit refuses a role that has
    # them, and naming SUPERUSER at all in ALTER ROLE needs a superuser.
    stmt = sql.SQL("ALTER ROLE {} WITH LOGIN NOINHERIT").format(sql.Identifier(role))
    return stmt + _password_clause(verifier)


def _password_clause(verifier: str | None) -> sql.Composed:
    if verifier is None:
        return sql.Composed([])
    # CREATE/ALTER ROLE are utility statements: the server accepts no bind parameter for
    # PASSWORD, so the value has to be a literal in the statement text. sql.Literal quotes it
    # correctly, and it is a SCRAM verifier hashed on this side (scram_verifier), so neither
    # the wire nor a server log with log_statement = 'ddl' ever sees the password itself.
    return sql.SQL(" PASSWORD {}").format(sql.Literal(verifier))


def scram_verifier(conn: psycopg2.extensions.connection, role: str, password: str) -> str:
    """libpq's client-side SCRAM-SHA-256 hashing (PQencryptPasswordConn)."""
    return psycopg2.extensions.encrypt_password(password, role, conn, "scram-sha-256")


def roles_sql(conn: psycopg2.extensions.connection, plan: RolePlan) -> str:
    """The psql script. The password comes from a psql variable (or the environment), so this
    file holds no secret and can be committed."""
    role_lit = sql.Literal(plan.role).as_string(conn)
    role_id = sql.Identifier(plan.role).as_string(conn)
    admin_test = " OR ".join(ADMIN_ATTRIBUTES)
    lines = [
        f"-- roles.sql: the restricted application role {role_id} for database "
        f"{sql.Identifier(plan.database).as_string(conn)}, schema "
        f"{sql.Identifier(plan.schema).as_string(conn)}.",
        "-- Generated by `sqlite2pg-tui kit`. Run it as the tables' owner or a superuser; it can",
        "-- be run again at any time (it creates the role once, then only updates it):",
        "--",
        f"--   {PASSWORD_ENV}='...' psql -v ON_ERROR_STOP=1 -d DBNAME -f roles.sql   (psql 15+)",
        f"--   psql -v ON_ERROR_STOP=1 -v {PASSWORD_VARIABLE}='...' -d DBNAME -f roles.sql",
        "--",
        f"-- The password is never stored here: it comes from the psql variable {PASSWORD_VARIABLE}",
        f"-- or the environment variable {PASSWORD_ENV}. Without either, an existing role keeps",
        "-- its password. The server receives it in plain text inside ALTER ROLE and writes it to",
        "-- its log when log_statement is 'ddl' or 'all'; `sqlite2pg-tui kit --apply` and psql's",
        f"-- \\password {role_id} send a client-side SCRAM hash instead.",
        "",
        "\\set ON_ERROR_STOP on",
        f"\\if :{{?{PASSWORD_VARIABLE}}}",
        "\\else",
        f"\\getenv {PASSWORD_VARIABLE} {PASSWORD_ENV}",
        "\\endif",
        "",
        "BEGIN;",
        "",
        "-- The kit only manages restricted roles: it will not demote an existing administrator.",
        "DO $kit$",
        "BEGIN",
        f"  IF EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = {role_lit}",
        f"             AND ({admin_test})) THEN",
        f"    RAISE EXCEPTION 'role % has administrative attributes; choose another app role', {role_lit};",
        "  END IF;",
        "END",
        "$kit$;",
        "",
        f"SELECT NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = {role_lit}) "
        "AS kit_create_role \\gset",
        "\\if :kit_create_role",
        "-- LOGIN and nothing else: no superuser, no creating databases or roles, no replication,",
        "-- no bypassing row-level security. NOINHERIT: membership in another role granted later",
        "-- does not silently widen what the application can do.",
        create_role(plan.role, None).as_string(conn) + ";",
        "\\else",
        alter_role(plan.role, None).as_string(conn) + ";",
        "\\endif",
        f"\\if :{{?{PASSWORD_VARIABLE}}}",
        f"ALTER ROLE {role_id} WITH PASSWORD :'{PASSWORD_VARIABLE}';",
        "\\else",
        f"\\echo 'roles.sql: no {PASSWORD_VARIABLE} given: the password of the role is unchanged "
        "(a new role has none and cannot log in with a password yet)'",
        "\\endif",
    ]
    for step in grant_steps(plan):
        if step.why:
            lines.append("")
            lines.extend(_comment(step.why))
        lines.append(step.statement.as_string(conn) + ";")
    lines += ["", "COMMIT;", ""]
    return "\n".join(lines)


def _comment(text: str, width: int = 92) -> list[str]:
    out: list[str] = []
    line = "--"
    for word in text.split():
        if len(line) + 1 + len(word) > width:
            out.append(line)
            line = "--"
        line += " " + word
    out.append(line)
    return out
