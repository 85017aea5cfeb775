"""Text of the kit's files. Kept in Python rather than package data so an install can never
lose them. Placeholders are {{name}}; render() refuses to leave one unfilled."""

from __future__ import annotations

import re

_PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")


def render(template: str, **values: str) -> str:
    def sub(m: re.Match[str]) -> str:
        return values[m.group(1)]

    try:
        return _PLACEHOLDER.sub(sub, template)
    except KeyError as e:  # a template bug, not a user error
        raise ValueError(f"template placeholder {e} has no value") from None


ENV_EXAMPLE = """\
# .env.example: connection settings for the application, read by libpq itself.
# Copy to .env (keep .env out of version control) or set these in your process manager
# (systemd EnvironmentFile=, docker --env-file, the platform's secret store). psycopg2
# needs no connection string when they are set: psycopg2.connect() reads them (see db.py).
PGHOST={{host}}
PGPORT={{port}}
PGDATABASE={{database}}
PGUSER={{role}}
# Set from your secret store; never commit it. Alternatively leave it unset and use
# ~/.pgpass (see .pgpass.example).
PGPASSWORD=
# {{sslmode_note}}
PGSSLMODE={{sslmode}}
PGAPPNAME={{role}}
# Pool size per process for pool.py; see PGBOUNCER.md before raising PGPOOL_MAX.
PGPOOL_MIN=1
PGPOOL_MAX=10
# Seconds to wait for a free pooled connection before giving up.
PGPOOL_TIMEOUT=30
"""

PG_SERVICE_CONF = """\
# pg_service.conf: a named connection, so code and tools say "service={{service}}" instead
# of host/port/database. Install it as ~/.pg_service.conf (per user) or point
# PGSERVICEFILE at it; system-wide it goes to `pg_config --sysconfdir`/pg_service.conf.
#
#   psql service={{service}}
#   PGSERVICE={{service}} python app.py        # psycopg2.connect() picks it up
#   psycopg2.connect(service="{{service}}")
#
# No password here: the service file is often world-readable. libpq takes the password
# from ~/.pgpass (chmod 600) or PGPASSWORD.

[{{service}}]
host={{host}}
port={{port}}
dbname={{database}}
user={{role}}
sslmode={{sslmode}}
application_name={{role}}
"""

PGPASS_EXAMPLE = """\
# .pgpass.example: libpq's password file. One line per connection:
#
#   hostname:port:database:username:password
#
# Copy the line below to ~/.pgpass (or to a file named by PGPASSFILE), put the real
# password in place of <password>, then restrict it, or libpq ignores the file:
#
#   chmod 600 ~/.pgpass
#
# Any field may be * (matches anything). Escape ":" and "\\" inside a field with "\\".
# "localhost" also matches connections through the default unix socket directory.
{{pgpass_line}}
"""

DB_PY = '''\
"""Connecting without credentials in the source code.

libpq, under psycopg2, reads the connection settings itself: the PG* environment variables
(PGHOST, PGPORT, PGDATABASE, PGUSER, PGPASSWORD, PGSSLMODE; see .env.example), a service
from pg_service.conf (PGSERVICE or service=...), and the password from ~/.pgpass. The code
below therefore holds no host, user or password, and the same code runs on a laptop, in CI
and in production with different settings.
"""

from __future__ import annotations

import os

import psycopg2
import psycopg2.extensions


def connect() -> psycopg2.extensions.connection:
    """A connection from the PG* variables (and ~/.pgpass for the password)."""
    # An empty DSN means "everything from the environment"; application_name shows up in
    # pg_stat_activity, which helps whoever has to find a runaway query.
    return psycopg2.connect("", application_name=os.environ.get("PGAPPNAME", "{{role}}"))


def connect_service(name: str = "{{service}}") -> psycopg2.extensions.connection:
    """A connection described by a block of pg_service.conf."""
    return psycopg2.connect(service=name)


if __name__ == "__main__":
    conn = connect()
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT current_user, current_database(), version()")
            print(cur.fetchone())
    finally:
        conn.close()
'''

POOL_PY = '''\
"""A connection pool for the application (psycopg2.pool.ThreadedConnectionPool).

    from pool import connection

    with connection() as conn, conn.cursor() as cur:
        cur.execute("INSERT INTO ...")
    # committed here; rolled back instead if the block raised

Connections come from the PG* environment variables (see .env.example and db.py), so no
credentials live in the code. Sizing, per process, from the environment:

    PGPOOL_MIN      connections opened at start (default 1)
    PGPOOL_MAX      most connections this process holds (default 10)
    PGPOOL_TIMEOUT  seconds to wait for a free connection before raising (default 30)

Every process has its own pool: the server sees (processes x PGPOOL_MAX) connections at
most, which must stay below its max_connections. When it does not, put PgBouncer in front
(PGBOUNCER.md). After os.fork() (gunicorn --preload, multiprocessing) call close_pool() in
the child: a connection must never be shared between processes.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg2
import psycopg2.extensions
from psycopg2.pool import PoolError, ThreadedConnectionPool

_lock = threading.Lock()
_pool: ThreadedConnectionPool | None = None
_slots: threading.BoundedSemaphore | None = None


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


def _env_float(name: str, default: float) -> float:
    value = os.environ.get(name, "").strip()
    return float(value) if value else default


def get_pool() -> ThreadedConnectionPool:
    global _pool, _slots
    with _lock:
        if _pool is None:
            low = _env_int("PGPOOL_MIN", 1)
            high = max(low, _env_int("PGPOOL_MAX", 10))
            _pool = ThreadedConnectionPool(
                low, high, "", application_name=os.environ.get("PGAPPNAME", "{{role}}"))
            # ThreadedConnectionPool raises at once when all connections are out; the
            # semaphore makes callers wait for one instead, up to PGPOOL_TIMEOUT.
            _slots = threading.BoundedSemaphore(high)
        return _pool


def close_pool() -> None:
    """Close every connection, e.g. at shutdown or in a freshly forked child."""
    global _pool, _slots
    with _lock:
        if _pool is not None:
            _pool.closeall()
        _pool = None
        _slots = None


@contextmanager
def connection() -> Iterator[psycopg2.extensions.connection]:
    """A pooled connection for one unit of work: commit on success, rollback on error,
    and back to the pool either way."""
    pool = get_pool()
    slots = _slots
    assert slots is not None
    if not slots.acquire(timeout=_env_float("PGPOOL_TIMEOUT", 30.0)):
        raise PoolError("no free database connection within PGPOOL_TIMEOUT seconds")
    conn = None
    broken = False
    try:
        conn = pool.getconn()
        try:
            yield conn
            conn.commit()
        except BaseException:
            if not conn.closed:
                try:
                    conn.rollback()
                except psycopg2.Error:
                    broken = True  # the server went away mid-transaction
            raise
    finally:
        if conn is not None:
            # A connection that failed is closed rather than handed to the next caller.
            pool.putconn(conn, close=broken or bool(conn.closed))
        slots.release()
'''

PGBOUNCER_MD = """\
# PgBouncer: when and how

`pool.py` keeps a small pool **per process**. That is enough while
`processes x PGPOOL_MAX` stays well below the server's `max_connections` (default 100,
and each server connection costs memory). Put PgBouncer between the application and
PostgreSQL when:

- you run many processes or containers (web workers x replicas), or autoscale;
- short-lived processes connect often (serverless functions, cron jobs, CLI tools):
  a PostgreSQL connection takes milliseconds and a process fork on the server;
- you want to cap the server's connections in one place, whatever the application does.

The application then connects to PgBouncer (`PGPORT=6432`) instead of PostgreSQL; keep
`pool.py`, with a small `PGPOOL_MAX`.

## Transaction mode: the settings that matter

```ini
; /etc/pgbouncer/pgbouncer.ini
[databases]
{{database}} = host={{host}} port={{port}} dbname={{database}}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = 6432
pool_mode = transaction
; server connections per (database, user) pair: what PostgreSQL actually sees.
; Start near 2-4 x the server's CPU cores; more rarely helps.
default_pool_size = 20
; client connections PgBouncer accepts in total; cheap, can be large.
max_client_conn = 1000
reserve_pool_size = 5
; password check: SCRAM, never plain/md5. auth_file holds SCRAM secrets copied from
; pg_authid (or use auth_user + auth_query to look them up live).
auth_type = scram-sha-256
auth_file = /etc/pgbouncer/userlist.txt
; server_reset_query (DISCARD ALL) runs only in session mode; in transaction mode the
; connection is handed over between transactions and no reset is sent (unless
; server_reset_query_always = 1, which costs a round trip per transaction).
server_reset_query = DISCARD ALL
server_idle_timeout = 600
```

`userlist.txt` (mode 600, owned by the pgbouncer user), one line per role, with the SCRAM
secret from `SELECT rolpassword FROM pg_authid WHERE rolname = '{{role}}'` (superuser):

```
"{{role}}" "SCRAM-SHA-256$4096:...."
```

## What breaks in transaction mode

A server connection belongs to a client only for the length of one transaction; the next
transaction may run on another connection. So nothing may outlive a transaction:

- **SET** (search_path, time zone, statement_timeout): use `SET LOCAL` inside the
  transaction, or set it on the role: `ALTER ROLE {{role}} SET statement_timeout = '30s'`.
- **Prepared statements**: SQL `PREPARE` breaks. psycopg2 does not prepare statements
  itself, so plain `cursor.execute()` is fine. (PgBouncer 1.21+ supports protocol-level
  prepared statements with `max_prepared_statements`, used by psycopg 3 / asyncpg.)
- **Advisory locks**: `pg_advisory_lock()` is held by a connection you no longer own; use
  `pg_advisory_xact_lock()`, released at commit.
- **LISTEN/NOTIFY**: LISTEN needs a dedicated session; connect straight to PostgreSQL for it.
- **Temporary tables** beyond one transaction, `WITH HOLD` cursors, session variables.

Migrations (DDL, long transactions, `SET`) should bypass PgBouncer and connect to
PostgreSQL directly, as the table owner rather than `{{role}}`.
"""

BACKUP_SH = """\
#!/usr/bin/env bash
# backup.sh: a compressed logical backup of one database, checked after it is written.
#
#   ./backup.sh                                   # uses PG* variables / ~/.pgpass
#   BACKUP_DIR=/srv/backups KEEP_DAYS=30 ./backup.sh
#   RESTORE_CHECK_DB=restore_check ./backup.sh    # also restores into a scratch database
#
# Run it as a role that can read everything (the table owner, or a role granted
# pg_read_all_data), not as the application role. pg_dump must be at least as new as the
# server: an older pg_dump refuses to run. See BACKUPS.md for scheduling.
set -euo pipefail

# Unquoted on purpose: quote removal applies to the shell-quoted defaults.
PGDATABASE=${PGDATABASE:-{{database_sh}}}
export PGDATABASE
BACKUP_DIR=${BACKUP_DIR:-./backups}
KEEP_DAYS=${KEEP_DAYS:-14}
CHECK_SCHEMA=${CHECK_SCHEMA:-{{schema_sh}}}

umask 077  # the dump holds all the data: readable by this user only
mkdir -p "$BACKUP_DIR"
stamp="$(date -u +%Y%m%dT%H%M%SZ)"
file="$BACKUP_DIR/${PGDATABASE}_${stamp}.dump"

# -Fc: custom format, compressed, restorable table by table with pg_restore (and in
# parallel with -j). Written under a temporary name so a failed run never leaves a
# truncated file that looks like a backup.
pg_dump --format=custom --no-password --file="$file.partial" --dbname="$PGDATABASE"
mv "$file.partial" "$file"

# Check 1: the archive is complete and readable (its table of contents lists).
pg_restore --list "$file" > /dev/null
echo "backup written: $file ($(du -h "$file" | cut -f1))"

# Check 2, optional: restore into a scratch database and compare the table count.
# Needs the right to create databases; the scratch database is dropped afterwards.
if [[ -n "${RESTORE_CHECK_DB:-}" ]]; then
    dropdb --if-exists --no-password "$RESTORE_CHECK_DB"
    createdb --no-password "$RESTORE_CHECK_DB"
    trap 'dropdb --if-exists --no-password "$RESTORE_CHECK_DB"' EXIT
    pg_restore --no-owner --no-privileges --exit-on-error --no-password \\
        --dbname="$RESTORE_CHECK_DB" "$file"
    count_tables="SELECT count(*) FROM pg_catalog.pg_tables WHERE schemaname = :'schema'"
    original="$(psql -X -At --no-password -v schema="$CHECK_SCHEMA" -d "$PGDATABASE" <<< "$count_tables")"
    restored="$(psql -X -At --no-password -v schema="$CHECK_SCHEMA" -d "$RESTORE_CHECK_DB" <<< "$count_tables")"
    if [[ "$original" != "$restored" ]]; then
        echo "restore check FAILED: $original tables in $CHECK_SCHEMA, $restored after restore" >&2
        exit 1
    fi
    echo "restore check passed: $restored tables in $CHECK_SCHEMA restored into $RESTORE_CHECK_DB"
fi

# Keep KEEP_DAYS days of backups here; copy them off this machine as well (BACKUPS.md).
find "$BACKUP_DIR" -maxdepth 1 -name "${PGDATABASE}_*.dump" -mtime +"$KEEP_DAYS" -delete
"""

BACKUPS_MD = """\
# Backups

`backup.sh` runs `pg_dump -Fc` (custom format: compressed, restorable selectively and in
parallel), then checks the result: `pg_restore --list` must read the whole archive, and
with `RESTORE_CHECK_DB` set it restores into a scratch database and compares the number of
tables. A backup that was never restored is a hope, not a backup.

## Credentials

Run it as the table owner or a dedicated backup role
(`CREATE ROLE backup LOGIN IN ROLE pg_read_all_data`, PostgreSQL 14+), never as
`{{role}}`. Give that user a `~/.pgpass` line (chmod 600) and PG* variables or a
service (`PGSERVICE=...`): `backup.sh` passes `--no-password`, so a missing password fails
instead of hanging on a prompt. The restore check also needs CREATEDB.

## Schedule (cron)

`crontab -e` as the backup user:

```cron
# m  h  dom mon dow  command
# nightly at 02:15 UTC, 14 days kept
15 2 * * *  cd /srv/{{database}}-kit && PGDATABASE={{database}} BACKUP_DIR=/srv/backups ./backup.sh >> /var/log/pg-backup.log 2>&1
# Sundays at 03:30: the same, plus a full restore into a scratch database
30 3 * * 0  cd /srv/{{database}}-kit && PGDATABASE={{database}} BACKUP_DIR=/srv/backups RESTORE_CHECK_DB={{database}}_restore_check ./backup.sh >> /var/log/pg-backup.log 2>&1
```

With systemd, a `.timer` unit running the same command does the job and logs to the journal.

## Restore

```sh
createdb {{database}}_restored
pg_restore --no-owner --dbname={{database}}_restored -j 4 /srv/backups/{{database}}_YYYYmmddTHHMMSSZ.dump
psql -d {{database}}_restored -f roles.sql   # the role's grants (roles are not in the dump)
```

## Beyond pg_dump

- Copy the dumps off the machine (object storage, another host): a backup on the same disk
  dies with it.
- pg_dump is a snapshot: restoring loses everything since the last run. For point-in-time
  recovery, use WAL archiving (pgBackRest, WAL-G, Barman) or your provider's managed backups.
- pg_dump must be at least as new as the server (`pg_dump --version`); install the client
  package of the server's major version.
"""

README_MD = """\
# Production kit for {{database}}

Written by `sqlite2pg-tui kit` for database `{{database}}`, schema `{{schema}}`, application
role `{{role}}`. None of these files contains a password.

| File | What it is |
| --- | --- |
| `roles.sql` | The restricted application role `{{role}}`: LOGIN only, SELECT/INSERT/UPDATE/DELETE on the tables, USAGE/SELECT on their sequences, no DDL, default privileges for tables created later. Safe to rerun. |
| `.env.example` | The PG* variables the application needs; copy to `.env` or your secret store. |
| `pg_service.conf` | The same settings as a named libpq service. |
| `.pgpass.example` | The password file format (`chmod 600`). |
| `db.py` | How the application connects: `psycopg2.connect()` with no credentials in the code. |
| `pool.py` | A thread-safe connection pool with `with connection() as conn:` (commit/rollback). |
| `PGBOUNCER.md` | When to put PgBouncer in front, and transaction-mode settings. |
| `backup.sh` | `pg_dump -Fc` plus restore checks. |
| `BACKUPS.md` | Scheduling (cron), restoring, and what pg_dump does not cover. |
| `migrations/0001_baseline.sql` | The schema as it exists now ({{baseline_source}}), to recreate it in an empty database. |
| `migrations/alembic/versions/0001_baseline.py` | The same baseline as an Alembic revision, for future schema changes. |

## Order

1. **Role.** Review `roles.sql`, then run it as the table owner or a superuser:
   `{{password_env}}='...' psql -v ON_ERROR_STOP=1 -d {{database}} -f roles.sql`
   (or `sqlite2pg-tui kit --apply`, which did the same and printed the password once).
   Store the password in your secret store right away.
2. **Credentials.** Give the application `PGHOST`, `PGPORT`, `PGDATABASE`, `PGUSER`,
   `PGSSLMODE` from `.env.example`, and the password through `PGPASSWORD` from the secret
   store or a `~/.pgpass` line. Or install `pg_service.conf` and set `PGSERVICE`.
3. **Code.** Copy `pool.py` (or `db.py` for scripts) into the application and use
   `with connection() as conn:`. Check that it connects as `{{role}}`:
   `python db.py`.
4. **PgBouncer** only if `PGBOUNCER.md` says you need it.
5. **Backups.** Install `backup.sh` with a cron entry from `BACKUPS.md`; run it once with
   `RESTORE_CHECK_DB=...` to see a restore work.
6. **Migrations.** From now on change the schema through migrations, run as the table owner
   (not `{{role}}`), so the default privileges from step 1 apply to new tables. With Alembic:
   copy `migrations/alembic/versions/0001_baseline.py` into your Alembic project and run
   `alembic stamp 0001` against this database; new environments get the schema with
   `alembic upgrade head`. Without Alembic, `0001_baseline.sql` is the first of numbered SQL
   files (`0002_....sql`, ...) applied in order with `psql -v ON_ERROR_STOP=1 -1 -f`.

Regenerate the kit after schema changes with `sqlite2pg-tui kit --force`; rerunning
`roles.sql` grants the role access to new tables as well.
"""
