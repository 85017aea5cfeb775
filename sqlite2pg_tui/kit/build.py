"""The production kit as a pure API: build_kit() reads the target and returns the files,
write_kit() puts them on disk, apply_kit() creates the application role. No UI here; the
CLI (command.py) and the wizard's "Next steps" screen are both thin callers."""

from __future__ import annotations

import os
import re
import shlex
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import psycopg2
import psycopg2.errors
import psycopg2.extensions

from sqlite2pg_tui.core.errors import MigrationError, TargetError
from sqlite2pg_tui.core.plan.naming import MAX_IDENT_BYTES
from sqlite2pg_tui.core.target.postgres import connect, plain_error
from sqlite2pg_tui.kit import DEFAULT_OUT_DIR
from sqlite2pg_tui.kit import templates as t
from sqlite2pg_tui.kit.baseline import alembic_revision, baseline_file, build_baseline
from sqlite2pg_tui.kit.roles import (
    ADMIN_ATTRIBUTES,
    PASSWORD_ENV,
    RolePlan,
    alter_role,
    create_role,
    generate_password,
    grant_steps,
    roles_sql,
    scram_verifier,
)

_LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}


class KitError(MigrationError):
    """The kit cannot be made as asked (existing files, an unsuitable role name...)."""


@dataclass(frozen=True)
class KitFile:
    path: Path  # relative to KitResult.out_dir
    title: str  # one line, for listings such as the wizard's "Next steps"
    content: str
    mode: int = 0o644


@dataclass
class KitResult:
    out_dir: Path
    files: list[KitFile]
    plan: RolePlan
    role_sql: list[str]  # the grant statements as run by apply_kit (no password in them)
    # The password apply_kit will set: generated or given. None keeps an existing role's
    # password. Kept out of repr() so logging a result cannot leak it.
    password: str | None = field(default=None, repr=False)
    password_generated: bool = False
    role_exists: bool = False
    baseline_source: str = ""
    warnings: list[str] = field(default_factory=list)

    @property
    def role(self) -> str:
        return self.plan.role

    def target(self, f: KitFile) -> Path:
        return self.out_dir / f.path


def build_kit(dsn: str, schema: str = "public", app_role: str = "app",
              out_dir: str | os.PathLike[str] = DEFAULT_OUT_DIR, password: str | None = None,
              *, new_password: bool = False, owners: Sequence[str] | None = None,
              pg_dump: str | None = "auto") -> KitResult:
    """Read the target database and compose the kit. Writes nothing, changes nothing.

    password: the app role's password; None generates one for a new role (or when
    new_password) and otherwise leaves an existing role's password alone.
    owners: roles whose future tables the app role gets (ALTER DEFAULT PRIVILEGES FOR ROLE);
    default: the owners of the schema's tables, or the connecting user.
    pg_dump: "auto" (pg_dump on PATH if new enough), a path, or None for the built-in
    catalog generator.
    """
    _check_role_name(app_role)
    conn = connect(dsn)
    try:
        return _build(conn, dsn, schema, app_role, Path(out_dir), password, new_password,
                      owners, pg_dump)
    except psycopg2.Error as e:
        raise TargetError(f"cannot read the target database: {plain_error(e)}") from None
    finally:
        conn.close()


def _check_role_name(role: str) -> None:
    if not role or role.lower() == "public" or role.startswith("pg_"):
        raise KitError(f"{role!r} cannot be an application role name "
                       "(empty, PUBLIC and pg_* are reserved)")
    _check_writable_name("application role", role)
    if len(role.encode("utf-8")) > MAX_IDENT_BYTES:
        # PostgreSQL would cut it silently: the role created would not be the one named.
        raise KitError(f"application role name {role!r} is longer than PostgreSQL's "
                       f"{MAX_IDENT_BYTES} bytes")


def _check_writable_name(kind: str, name: str) -> None:
    """Names go into SQL comments, shell and env files: a line break there would end the
    comment and run the rest, so a name with a control character is refused outright."""
    bad = next((ch for ch in name if _control(ch)), None)
    if bad is not None:
        raise KitError(f"{kind} name {name!r} contains a control character "
                       f"(U+{ord(bad):04X}); the kit will not write it into its files")


def _control(ch: str) -> bool:
    # Cc: C0/C1 controls (newline, CR, ESC...); Zl/Zp: the Unicode line/paragraph separators.
    return unicodedata.category(ch) in ("Cc", "Zl", "Zp")


def _build(conn: psycopg2.extensions.connection, dsn: str, schema: str, role: str,
           out_dir: Path, password: str | None, new_password: bool,
           owners: Sequence[str] | None, pg_dump: str | None) -> KitResult:
    with conn.cursor() as cur:
        cur.execute("SELECT current_database(), current_user")
        database, me = cur.fetchone()
        cur.execute("SELECT oid FROM pg_catalog.pg_namespace WHERE nspname = %s", (schema,))
        row = cur.fetchone()
        if row is None:
            raise TargetError(f"schema {schema!r} does not exist in database {database!r}")
        nsp = row[0]
        _check_writable_name("database", database)
        _check_writable_name("schema", schema)
        # Extension members are left out: an extension manages its own objects' grants.
        member = ("NOT EXISTS (SELECT FROM pg_catalog.pg_depend d WHERE d.classid = "
                  "'pg_catalog.pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')")
        cur.execute(f"""
            SELECT c.relname, c.relkind, pg_catalog.pg_get_userbyid(c.relowner)
            FROM pg_catalog.pg_class c
            WHERE c.relnamespace = %s AND c.relkind IN ('r', 'p', 'S', 'v', 'm') AND {member}
            ORDER BY c.relname COLLATE "C" """, (nsp,))
        rels = cur.fetchall()
        tables = [name for name, kind, _ in rels if kind in ("r", "p")]
        sequences = [name for name, kind, _ in rels if kind == "S"]
        views = [name for name, kind, _ in rels if kind == "v"]
        matviews = [name for name, kind, _ in rels if kind == "m"]
        table_owners = sorted({owner for _, _, owner in rels})
        if owners:
            owners = list(dict.fromkeys(owners))
            cur.execute("SELECT rolname FROM pg_catalog.pg_roles WHERE rolname = ANY(%s)",
                        (owners,))
            missing = set(owners) - {r[0] for r in cur.fetchall()}
            if missing:
                raise KitError(f"owner role {sorted(missing)[0]!r} does not exist")
        else:
            owners = table_owners or [me]
        if role in owners or role == me:
            raise KitError(f"role {role!r} owns the tables (or runs the kit); the application "
                           "role must be a different, unprivileged role: pass --app-role NAME")
        attrs = ", ".join(ADMIN_ATTRIBUTES)
        cur.execute(f"SELECT {attrs} FROM pg_catalog.pg_roles WHERE rolname = %s", (role,))
        existing = cur.fetchone()
        if existing is not None:
            _refuse_admin(role, existing)
        warnings = _role_warnings(cur, role, nsp) if existing is not None else []
        host = conn.info.host or ""
        port = str(conn.info.port or 5432)
        # What the user asked for, not libpq's default ("prefer" would always show up).
        given = psycopg2.extensions.parse_dsn(dsn) if dsn else {}
        sslmode = given.get("sslmode") or os.environ.get("PGSSLMODE", "")

    if password is None and (existing is None or new_password):
        password, generated = generate_password(), True
    else:
        generated = False
    plan = RolePlan(role, schema, database, list(owners), tables, sequences, views, matviews)
    role_sql = [s.statement.as_string(conn) for s in grant_steps(plan)]
    baseline = build_baseline(conn, dsn, schema, pg_dump)
    warnings += baseline.warnings
    conn.rollback()

    values = _values(plan, host, port, sslmode, baseline.source)
    files = [
        KitFile(Path("roles.sql"), f"Application role {role}: create/update and grants",
                roles_sql(conn, plan)),
        KitFile(Path(".env.example"), "Connection settings (PG* variables) for the application",
                t.render(t.ENV_EXAMPLE, **values)),
        KitFile(Path("pg_service.conf"), "The same settings as a named libpq service",
                t.render(t.PG_SERVICE_CONF, **values)),
        KitFile(Path(".pgpass.example"), "Password file format (chmod 600)",
                t.render(t.PGPASS_EXAMPLE, **values)),
        KitFile(Path("db.py"), "Connecting with no credentials in the code",
                t.render(t.DB_PY, **values)),
        KitFile(Path("pool.py"), "Connection pool with `with connection() as conn:`",
                t.render(t.POOL_PY, **values)),
        KitFile(Path("PGBOUNCER.md"), "When to add PgBouncer; transaction-mode settings",
                t.render(t.PGBOUNCER_MD, **values)),
        KitFile(Path("backup.sh"), "pg_dump -Fc backup with restore checks",
                t.render(t.BACKUP_SH, **values), mode=0o755),
        KitFile(Path("BACKUPS.md"), "Backup schedule (cron), restore, beyond pg_dump",
                t.render(t.BACKUPS_MD, **values)),
        KitFile(Path("migrations/0001_baseline.sql"), "Baseline migration: the schema as it is",
                baseline_file(baseline, database, schema)),
        KitFile(Path("migrations/alembic/versions/0001_baseline.py"),
                "Baseline as an Alembic revision", alembic_revision(baseline, database, schema)),
        KitFile(Path("README.md"), "What each file is, and the order to use them",
                t.render(t.README_MD, **values)),
    ]
    return KitResult(out_dir, files, plan, role_sql, password, generated,
                     existing is not None, baseline.source, warnings)


def _refuse_admin(role: str, attrs: Sequence[bool]) -> None:
    held = [name.removeprefix("rol").upper() for name, on in zip(ADMIN_ATTRIBUTES, attrs,
                                                                   strict=True) if on]
    if held:
        raise KitError(f"role {role!r} already exists with {', '.join(held)}; the kit only "
                       "manages restricted roles: pass another --app-role")


def _role_warnings(cur: psycopg2.extensions.cursor, role: str, nsp: int) -> list[str]:
    warnings = []
    cur.execute("""
        SELECT count(*) FROM pg_catalog.pg_class c
        WHERE c.relnamespace = %s AND c.relowner = (SELECT oid FROM pg_catalog.pg_roles
                                                    WHERE rolname = %s)""", (nsp, role))
    if cur.fetchone()[0]:
        raise KitError(f"role {role!r} owns objects in this schema, so it could ALTER or DROP "
                       "them; pass another --app-role or change their owner")
    cur.execute("""
        SELECT string_agg(g.rolname, ', ' ORDER BY g.rolname)
        FROM pg_catalog.pg_auth_members m
        JOIN pg_catalog.pg_roles g ON g.oid = m.roleid
        JOIN pg_catalog.pg_roles r ON r.oid = m.member
        WHERE r.rolname = %s""", (role,))
    groups = cur.fetchone()[0]
    if groups:
        warnings.append(f"role {role} is a member of {groups}; it can SET ROLE to them and use "
                        "their privileges: REVOKE those memberships if they are not intended")
    return warnings


def _values(plan: RolePlan, host: str, port: str,
            sslmode: str, baseline_source: str) -> dict[str, str]:
    local = not host or host.startswith("/") or host in _LOCAL_HOSTS
    if sslmode:
        note = "sslmode as used for the migration."
    elif local:
        sslmode = "prefer"
        note = ("Local connection: TLS is optional here. For a remote server use require, "
                "or verify-full with PGSSLROOTCERT.")
    else:
        sslmode = "require"
        note = ("require encrypts; verify-full (with PGSSLROOTCERT) also checks the server's "
                "certificate and is better still.")
    service = re.sub(r"[^A-Za-z0-9_.-]", "_", plan.database) or "app"
    pgpass = ":".join(_pgpass_field(v) for v in (host or "localhost", port, plan.database,
                                                 plan.role)) + ":<password>"
    return {
        "host": host or "localhost", "port": port, "database": plan.database,
        "schema": plan.schema, "role": plan.role, "service": service, "sslmode": sslmode,
        "sslmode_note": note, "pgpass_line": pgpass,
        "database_sh": shlex.quote(plan.database), "schema_sh": shlex.quote(plan.schema),
        "baseline_source": baseline_source, "password_env": PASSWORD_ENV,
    }


def _pgpass_field(value: str) -> str:
    return value.replace("\\", "\\\\").replace(":", "\\:")


def conflicts(result: KitResult) -> list[Path]:
    """Kit files that already exist on disk."""
    return [result.target(f) for f in result.files if result.target(f).exists()]


def check_overwrite(result: KitResult, force: bool = False) -> None:
    existing = [] if force else conflicts(result)
    if existing:
        more = f" (and {len(existing) - 1} more)" if len(existing) > 1 else ""
        raise KitError(f"{existing[0]} already exists{more}; pass --force to overwrite, "
                       "or -o DIR for another directory")


def write_kit(result: KitResult, force: bool = False) -> list[Path]:
    """Write every file; refuses (KitError, nothing written) if any exists unless force."""
    check_overwrite(result, force)
    written = []
    try:
        for f in result.files:
            path = result.target(f)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(f.content, encoding="utf-8")
            path.chmod(f.mode)
            written.append(path)
    except OSError as e:
        raise KitError(f"cannot write {e.filename or result.out_dir}: {e.strerror or e}") from None
    return written


def apply_kit(dsn: str, result: KitResult) -> None:
    """Create or update the application role and its grants, in one transaction. Server
    warnings (e.g. REVOKE on a schema we do not own) are added to result.warnings."""
    conn = connect(dsn)
    role = result.plan.role
    try:
        with conn.cursor() as cur:
            attrs = ", ".join(ADMIN_ATTRIBUTES)
            cur.execute(f"SELECT {attrs} FROM pg_catalog.pg_roles WHERE rolname = %s", (role,))
            existing = cur.fetchone()
            verifier = (scram_verifier(conn, role, result.password)
                        if result.password is not None else None)
            if existing is None:
                cur.execute(create_role(role, verifier))
            else:
                _refuse_admin(role, existing)
                cur.execute(alter_role(role, verifier))
            for step in grant_steps(result.plan):
                cur.execute(step.statement)
        conn.commit()
        # e.g. "no privileges were granted for <db>" when the connecting user does not own
        # the database or schema: not fatal (PUBLIC usually has CONNECT/USAGE), but worth
        # telling.
        for notice in dict.fromkeys(n.strip() for n in conn.notices):
            if notice.startswith("WARNING:"):
                result.warnings.append("server: " + notice.removeprefix("WARNING:").strip())
        if existing is None and verifier is None:
            result.warnings.append(f"role {role} was created without a password; set one "
                                   "before the application can log in")
    except psycopg2.Error as e:
        conn.rollback()
        hint = ""
        if isinstance(e, psycopg2.errors.InsufficientPrivilege):
            hint = (" (run the kit as the tables' owner or a superuser; creating a role needs "
                    "CREATEROLE)")
        raise TargetError(f"cannot set up role {role}: {plain_error(e)}{hint}") from None
    finally:
        conn.close()
