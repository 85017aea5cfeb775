"""The catalog generator's pieces: one function per kind of object of a schema, each
reading pg_catalog and returning the statements that recreate those objects. The server
does all the quoting (format %I, quote_ident, pg_get_*def); baseline.catalog_baseline puts
them in order."""

from __future__ import annotations

import psycopg2.extensions
from psycopg2 import sql

Cursor = psycopg2.extensions.cursor


def extensions(cur: Cursor, schema: str) -> list[str]:
    cur.execute("""
        SELECT n.nspname,
               format('CREATE EXTENSION IF NOT EXISTS %I WITH SCHEMA %I;', e.extname, n.nspname)
        FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
        WHERE e.extname <> 'plpgsql' ORDER BY e.extname""")
    rows = cur.fetchall()
    schemas = [schema] + sorted({r[0] for r in rows} - {schema, "pg_catalog"})
    out = []
    for s in schemas:
        cur.execute("SELECT format('CREATE SCHEMA IF NOT EXISTS %%I;', %s::text)", (s,))
        out.append(cur.fetchone()[0])
    return out + [r[1] for r in rows]


def _not_extension_member(alias: str, catalog: str) -> str:
    # Objects that belong to an extension come back with CREATE EXTENSION; emitting them
    # again would fail.
    return (f"NOT EXISTS (SELECT FROM pg_depend x WHERE x.classid = '{catalog}'::regclass "
            f"AND x.objid = {alias}.oid AND x.deptype = 'e')")


def types(cur: Cursor, nsp: int) -> list[str]:
    cur.execute(f"""
        SELECT t.oid, t.typtype, format('%%I.%%I', n.nspname, t.typname),
               format_type(t.typbasetype, t.typtypmod), t.typnotnull, t.typdefault,
               (SELECT string_agg(quote_literal(e.enumlabel), ', ' ORDER BY e.enumsortorder)
                  FROM pg_enum e WHERE e.enumtypid = t.oid)
        FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
        WHERE t.typnamespace = %s AND t.typtype IN ('e', 'd')
          AND {_not_extension_member('t', 'pg_type')}
        ORDER BY t.oid""", (nsp,))
    out = []
    for oid, kind, name, base, notnull, default, labels in cur.fetchall():
        if kind == "e":
            out.append(f"CREATE TYPE {name} AS ENUM ({labels or ''});")
            continue
        stmt = f"CREATE DOMAIN {name} AS {base}"
        if default is not None:
            stmt += f" DEFAULT {default}"
        if notnull:
            stmt += " NOT NULL"
        cur.execute("""
            SELECT format('CONSTRAINT %%I %%s', conname, pg_get_constraintdef(oid))
            FROM pg_constraint WHERE contypid = %s AND contype = 'c' ORDER BY conname""", (oid,))
        for (con,) in cur.fetchall():
            stmt += "\n    " + con
        out.append(stmt + ";")
    return out


def functions(cur: Cursor, nsp: int, warnings: list[str]) -> list[str]:
    cur.execute(f"""
        SELECT p.oid, p.prokind, format('%%I.%%I', n.nspname, p.proname)
        FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE p.pronamespace = %s AND {_not_extension_member('p', 'pg_proc')}
        ORDER BY p.oid""", (nsp,))
    rows = cur.fetchall()
    out = []
    if rows:
        # Function bodies may name tables created further down.
        out.append("SET check_function_bodies = false;")
    for oid, kind, name in rows:
        if kind not in ("f", "p"):
            warnings.append(f"baseline: aggregate/window function {name} is not included; "
                            "add it by hand or use pg_dump")
            continue
        cur.execute("SELECT pg_get_functiondef(%s)", (oid,))
        out.append(cur.fetchone()[0].rstrip() + ";")
    return out if len(out) > 1 else []


def _seq_options(start: int, inc: int, lo: int, hi: int, cache: int, cycle: bool) -> str:
    return (f"START WITH {start} INCREMENT BY {inc} MINVALUE {lo} MAXVALUE {hi} "
            f"CACHE {cache}{' CYCLE' if cycle else ''}")


_SEQ_COLUMNS = "s.seqstart, s.seqincrement, s.seqmin, s.seqmax, s.seqcache, s.seqcycle"


def sequences(cur: Cursor, nsp: int) -> list[str]:
    """Stand-alone and serial sequences; identity sequences come with their column."""
    cur.execute(f"""
        SELECT format('%%I.%%I', n.nspname, c.relname), format_type(s.seqtypid, NULL), {_SEQ_COLUMNS}
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        JOIN pg_sequence s ON s.seqrelid = c.oid
        WHERE c.relnamespace = %s AND c.relkind = 'S'
          AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
                          AND d.objid = c.oid AND d.deptype IN ('i', 'e'))
        ORDER BY c.relname COLLATE "C" """, (nsp,))
    return [f"CREATE SEQUENCE {name} AS {typ}\n    {_seq_options(*opts)};"
            for name, typ, *opts in cur.fetchall()]


def tables(cur: Cursor, nsp: int, warnings: list[str]) -> list[str]:
    cur.execute(f"""
        SELECT c.oid, c.relname, format('%%I.%%I', n.nspname, c.relname), c.relpersistence,
               array_to_string(c.reloptions, ', ')
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relnamespace = %s AND c.relkind = 'r' AND NOT c.relispartition
          AND {_not_extension_member('c', 'pg_class')}
        ORDER BY c.relname COLLATE "C" """, (nsp,))
    out = []
    for oid, relname, qname, persistence, options in cur.fetchall():
        cols = _columns(cur, oid, relname)
        head = "CREATE UNLOGGED TABLE" if persistence == "u" else "CREATE TABLE"
        body = ",\n".join("    " + c for c in cols)
        stmt = f"{head} {qname} (\n{body}\n)" if cols else f"{head} {qname} ()"
        if options:
            stmt += f" WITH ({options})"
        out.append(stmt + ";")
    return out


def _columns(cur: Cursor, table_oid: int, relname: str) -> list[str]:
    # The not-null constraint's name (pg_constraint contype 'n') exists from PostgreSQL 18
    # on; on older servers the subquery finds nothing and plain NOT NULL is written.
    cur.execute("""
        SELECT a.attname, quote_ident(a.attname), format_type(a.atttypid, a.atttypmod),
               a.attnotnull, a.attidentity, a.attgenerated, pg_get_expr(d.adbin, d.adrelid),
               CASE WHEN a.attcollation <> t.typcollation THEN
                 (SELECT quote_ident(cn.nspname) || '.' || quote_ident(co.collname)
                  FROM pg_collation co JOIN pg_namespace cn ON cn.oid = co.collnamespace
                  WHERE co.oid = a.attcollation)
               END,
               nn.conname, quote_ident(nn.conname),
               quote_ident(ident.nspname) || '.' || quote_ident(ident.relname),
               ident.seqstart, ident.seqincrement, ident.seqmin, ident.seqmax, ident.seqcache,
               ident.seqcycle
        FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
        LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
        LEFT JOIN LATERAL (
            SELECT con.conname FROM pg_constraint con WHERE con.conrelid = a.attrelid
              AND con.contype = 'n' AND con.conkey[1] = a.attnum LIMIT 1) nn ON true
        LEFT JOIN LATERAL (
            SELECT sn.nspname, sc.relname, s.*
            FROM pg_depend dp JOIN pg_class sc ON sc.oid = dp.objid AND sc.relkind = 'S'
            JOIN pg_namespace sn ON sn.oid = sc.relnamespace
            JOIN pg_sequence s ON s.seqrelid = sc.oid
            WHERE dp.classid = 'pg_class'::regclass AND dp.refobjid = a.attrelid
              AND dp.refobjsubid = a.attnum AND dp.deptype = 'i' LIMIT 1) ident ON true
        WHERE a.attrelid = %s AND a.attnum > 0 AND NOT a.attisdropped
        ORDER BY a.attnum""", (table_oid,))
    out = []
    for (raw, name, typ, notnull, identity, generated, expr, collation, nn_raw, nn_name,
         seq_name, *seq_opts) in cur.fetchall():
        col = f"{name} {typ}"
        if collation:
            col += f" COLLATE {collation}"
        if identity in ("a", "d") and seq_name:
            kind = "ALWAYS" if identity == "a" else "BY DEFAULT"
            col += (f" GENERATED {kind} AS IDENTITY"
                    f" (SEQUENCE NAME {seq_name} {_seq_options(*seq_opts)})")
        elif generated in ("s", "v") and expr is not None:
            col += f" GENERATED ALWAYS AS ({expr}) {'STORED' if generated == 's' else 'VIRTUAL'}"
        elif expr is not None:
            col += f" DEFAULT {expr}"
        if notnull:
            # Named only when the name is not the one PostgreSQL would pick anyway.
            if nn_raw and nn_raw != f"{relname}_{raw}_not_null":
                col += f" CONSTRAINT {nn_name}"
            col += " NOT NULL"
        out.append(col)
    return out


def constraints(cur: Cursor, nsp: int, kinds: str) -> list[str]:
    # Constraints are added after the tables (pg_dump does the same): foreign keys then
    # cannot depend on table order, and a primary key's index gets the constraint's name.
    cur.execute("""
        SELECT format('ALTER TABLE ONLY %%I.%%I ADD CONSTRAINT %%I %%s;',
                      n.nspname, c.relname, con.conname, pg_get_constraintdef(con.oid))
        FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relnamespace = %s AND c.relkind = 'r' AND NOT c.relispartition
          AND con.conislocal AND con.contype = ANY(%s)
        ORDER BY c.relname COLLATE "C", position(con.contype::text IN 'puxcf'),
                 con.conname COLLATE "C" """, (nsp, list(kinds)))
    return [r[0] for r in cur.fetchall()]


def indexes(cur: Cursor, nsp: int, warnings: list[str]) -> list[str]:
    cur.execute("""
        SELECT pg_get_indexdef(i.indexrelid) || ';', i.indisvalid, ic.relname
        FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
        JOIN pg_class c ON c.oid = i.indrelid
        WHERE c.relnamespace = %s AND c.relkind IN ('r', 'm') AND NOT c.relispartition
          AND NOT EXISTS (SELECT FROM pg_constraint con WHERE con.conindid = i.indexrelid
                          AND con.conrelid = i.indrelid AND con.contype IN ('p', 'u', 'x'))
        ORDER BY c.relname COLLATE "C", ic.relname COLLATE "C" """, (nsp,))
    out = []
    for stmt, valid, name in cur.fetchall():
        if not valid:
            warnings.append(f"baseline: index {name} is invalid (a failed CREATE INDEX "
                            "CONCURRENTLY?) and was left out")
            continue
        out.append(stmt)
    return out


def owned_by(cur: Cursor, nsp: int) -> list[str]:
    cur.execute("""
        SELECT format('ALTER SEQUENCE %%I.%%I OWNED BY %%I.%%I.%%I;',
                      sn.nspname, s.relname, tn.nspname, t.relname, a.attname)
        FROM pg_depend d JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S'
        JOIN pg_namespace sn ON sn.oid = s.relnamespace
        JOIN pg_class t ON t.oid = d.refobjid JOIN pg_namespace tn ON tn.oid = t.relnamespace
        JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid
        WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass
          AND d.deptype = 'a' AND s.relnamespace = %s
        ORDER BY s.relname COLLATE "C" """, (nsp,))
    return [r[0] for r in cur.fetchall()]


def views(cur: Cursor, nsp: int) -> list[str]:
    # Creation order (oid) puts a view after the views it reads from.
    cur.execute(f"""
        SELECT c.relkind, format('%%I.%%I', n.nspname, c.relname),
               array_to_string(c.reloptions, ', '), pg_get_viewdef(c.oid)
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relnamespace = %s AND c.relkind IN ('v', 'm')
          AND {_not_extension_member('c', 'pg_class')}
        ORDER BY c.oid""", (nsp,))
    out = []
    for kind, name, options, definition in cur.fetchall():
        head = "CREATE MATERIALIZED VIEW" if kind == "m" else "CREATE VIEW"
        with_ = f" WITH ({options})" if options else ""
        tail = " WITH NO DATA" if kind == "m" else ""
        out.append(f"{head} {name}{with_} AS\n{definition.rstrip().rstrip(';')}{tail};")
    return out


def triggers(cur: Cursor, nsp: int) -> list[str]:
    cur.execute("""
        SELECT pg_get_triggerdef(t.oid) || ';'
        FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
        WHERE c.relnamespace = %s AND NOT t.tgisinternal AND t.tgparentid = 0
        ORDER BY c.relname COLLATE "C", t.tgname COLLATE "C" """, (nsp,))
    return [r[0] for r in cur.fetchall()]


def comments(cur: Cursor, nsp: int) -> list[str]:
    cur.execute("""
        SELECT CASE WHEN d.objsubid = 0 THEN
                 format('COMMENT ON %%s %%I.%%I IS %%L;',
                        CASE c.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW'
                             WHEN 'S' THEN 'SEQUENCE' ELSE 'TABLE' END,
                        n.nspname, c.relname, d.description)
               ELSE format('COMMENT ON COLUMN %%I.%%I.%%I IS %%L;',
                           n.nspname, c.relname, a.attname, d.description) END
        FROM pg_description d JOIN pg_class c ON c.oid = d.objoid
        JOIN pg_namespace n ON n.oid = c.relnamespace
        LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = d.objsubid
        WHERE d.classoid = 'pg_class'::regclass AND c.relnamespace = %s
          AND c.relkind IN ('r', 'v', 'm', 'S') AND (d.objsubid = 0 OR NOT a.attisdropped)
        ORDER BY c.relname COLLATE "C", d.objsubid""", (nsp,))
    return [r[0] for r in cur.fetchall()]


def sequence_values(cur: Cursor, nsp: int) -> list[str]:
    """setval() for every sequence, so new rows continue after the migrated keys. pg_dump
    --schema-only leaves these out (they are data), so both generators use this."""
    cur.execute("""
        SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relnamespace = %s AND c.relkind = 'S' ORDER BY c.relname COLLATE "C" """, (nsp,))
    out = []
    for nspname, relname in cur.fetchall():
        cur.execute(sql.SQL(
            "SELECT pg_catalog.format('SELECT pg_catalog.setval(%%L, %%s, %%s);', "
            "pg_catalog.format('%%I.%%I', %s::text, %s::text), last_value, is_called::text) "
            "FROM {}.{}").format(sql.Identifier(nspname), sql.Identifier(relname)),
            (nspname, relname))
        out.append(cur.fetchone()[0])
    return out


def check_unsupported(cur: Cursor, nsp: int, schema: str, warnings: list[str]) -> None:
    cur.execute("""
        SELECT
          (SELECT count(*) FROM pg_class WHERE relnamespace = %(n)s
             AND (relkind = 'p' OR relispartition)),
          (SELECT count(*) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
             WHERE c.relnamespace = %(n)s AND NOT c.relispartition),
          (SELECT count(*) FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid
             WHERE c.relnamespace = %(n)s),
          (SELECT count(*) FROM pg_rewrite r JOIN pg_class c ON c.oid = r.ev_class
             WHERE c.relnamespace = %(n)s AND r.rulename <> '_RETURN')""", {"n": nsp})
    partitioned, inherited, policies, rules = cur.fetchone()
    missing = [f"{n} {what}" for n, what in ((partitioned, "partitioned tables/partitions"),
                                             (inherited, "inheritance children"),
                                             (policies, "row-level security policies"),
                                             (rules, "rules")) if n]
    if missing:
        warnings.append(f"baseline: schema {schema} has {', '.join(missing)}, which the built-in "
                        "generator does not write; use a pg_dump matching the server "
                        "(--pg-dump PATH)")
