"""`sqlite2pg-tui kit`: the production kit from the command line."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlite2pg_tui.core.errors import EXIT_OK, MigrationError
from sqlite2pg_tui.core.target.postgres import redact
from sqlite2pg_tui.kit import DEFAULT_OUT_DIR
from sqlite2pg_tui.kit.roles import PASSWORD_ENV

if TYPE_CHECKING:
    from sqlite2pg_tui.kit.build import KitResult

DESCRIPTION = """\
Write what a production setup needs after the migration: a restricted application role
(roles.sql; created with --apply), credentials kept out of the code (.env.example,
pg_service.conf, .pgpass.example, db.py), a connection pool (pool.py, PGBOUNCER.md), backups
(backup.sh, BACKUPS.md) and a baseline migration of the current schema (SQL and Alembic).
The role's password is generated and printed once (or taken from $SQLITE2PG_APP_PASSWORD);
it is never written to any file."""


def register(subparsers: Any) -> None:
    """Add the `kit` subcommand to an argparse subparsers object."""
    p = subparsers.add_parser(
        "kit", help="write the production kit: app role, credentials, pooling, backups, "
        "baseline migration", description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--pg", metavar="DSN", default="",
                   help="target PostgreSQL (URI or key=value; default: PG* environment)")
    p.add_argument("--schema", default="public", help="schema holding the migrated tables")
    p.add_argument("--app-role", default="app", metavar="NAME",
                   help="name of the restricted application role (default: app)")
    p.add_argument("--owner", action="append", metavar="ROLE",
                   help="role that will create future tables (default privileges are set for "
                   "it); repeatable; default: the owners of the schema's tables")
    p.add_argument("--apply", action="store_true",
                   help="create/update the role and its grants now (as the connecting user)")
    p.add_argument("-o", "--out", dest="out_dir", type=Path, default=DEFAULT_OUT_DIR,
                   metavar="DIR", help=f"output directory (default: ./{DEFAULT_OUT_DIR})")
    p.add_argument("--force", action="store_true", help="overwrite existing kit files")
    p.add_argument("--new-password", action="store_true",
                   help="generate a new password even if the role already exists")
    p.add_argument("--pg-dump", default="auto", metavar="PATH",
                   help="pg_dump for the baseline: 'auto' (on PATH, if not older than the "
                   "server), a path, or 'none' for the built-in catalog generator")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from sqlite2pg_tui.kit.build import apply_kit, build_kit, check_overwrite, write_kit

    env_password = os.environ.get(PASSWORD_ENV) or None
    result = None
    applied = False
    try:
        result = build_kit(args.pg, schema=args.schema, app_role=args.app_role,
                           out_dir=args.out_dir, password=env_password,
                           new_password=args.new_password, owners=args.owner,
                           pg_dump=None if args.pg_dump == "none" else args.pg_dump)
        # Refuse before --apply changes anything, so a rerun is not half done.
        check_overwrite(result, args.force)
        if args.apply:
            apply_kit(args.pg, result)
            applied = True
        written = write_kit(result, args.force)
    except MigrationError as e:
        print(f"sqlite2pg-tui: error: {' '.join(str(e).split())}", file=sys.stderr)
        if applied and result is not None:
            # The role now has this password; losing it here would lock the app out.
            _print_password(result, env_password)
        return e.exit_code
    for w in result.warnings:
        print(f"sqlite2pg-tui: warning: {' '.join(w.split())}", file=sys.stderr)

    print(f"Production kit for {redact(args.pg)}, schema {result.plan.schema}, "
          f"role {result.role}:")
    for f, path in zip(result.files, written, strict=True):
        print(f"  {path}  {f.title}")
    print(f"Baseline migration from {result.baseline_source}.")
    if args.apply:
        verb = "updated" if result.role_exists else "created"
        plan = result.plan
        views = len(plan.views) + len(plan.matviews)
        print(f"Role {result.role} {verb}: access to {len(plan.tables)} tables, "
              + (f"{views} views, " if views else "")
              + f"{len(plan.sequences)} sequences in {plan.schema}.")
    else:
        how = (f" (with the password below in ${PASSWORD_ENV})"
               if result.password is not None and env_password is None else "")
        print(f"Nothing applied: review {args.out_dir / 'roles.sql'} and run it with psql"
              f"{how}, or rerun with --apply.")
    _print_password(result, env_password)
    return EXIT_OK


def _print_password(result: KitResult, env_password: str | None) -> None:
    if result.password is None:
        print(f"Role {result.role} exists; its password is unchanged "
              f"(--new-password or ${PASSWORD_ENV} sets a new one).")
    elif env_password is not None:
        print(f"Password for role {result.role}: taken from ${PASSWORD_ENV}.")
    else:
        # The only place the password ever appears; nothing stores it.
        print(f"Password for role {result.role} (shown once, stored nowhere): "
              f"{result.password}")
