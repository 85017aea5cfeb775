"""Names in the application's SQL: renamed by the migration, folded or reserved in PostgreSQL."""

from __future__ import annotations

from sqlglot import exp

from sqlite2pg_tui.core.sql.rules import sql_string
from sqlite2pg_tui.core.sql.rules.identifiers import PG_RESERVED, quote_ident
from sqlite2pg_tui.portcode.sql.base import RewriterBase, Scope


class Names(RewriterBase):

    def identifiers(self, tree: exp.Expression, base: int, scope: Scope) -> None:
        have_ctx = bool(self.ctx.tables)
        mixed_unknown = False
        for ident in tree.find_all(exp.Identifier):
            meta = ident.meta
            if "start" not in meta or "end" not in meta:
                continue
            s, e = base + meta["start"], base + meta["end"] + 1
            name = ident.this
            parent = ident.parent
            target: str | None = None
            if isinstance(parent, exp.Table) and parent.this is ident:
                info = self.ctx.table(name) if name.lower() not in scope.ctes else None
                target = info.target if info else None
            elif isinstance(parent, exp.Column) and parent.this is ident:
                info = scope.resolve(parent.table or None, name)
                if info is not None and info.has(name):
                    target = info.target_of(name)
                elif name.lower() in scope.aliases and not parent.table:
                    target = scope.aliases[name.lower()]
                elif ident.quoted and have_ctx and scope.tables and not any(t.has(name) for t in scope.tables) \
                        and not parent.table:
                    # SQLite takes a double-quoted name it cannot find as a string literal.
                    new = self.pct(sql_string(name))
                    if self.edit(s, e, new):
                        self.note("string-literal", s, self.sql[s:e], new,
                                  f'no column is called {name!r}: SQLite read "{name}" as a string, '
                                  "PostgreSQL always reads double quotes as a name", needs_look=True)
                    continue
            elif isinstance(parent, exp.Column) and parent.args.get("table") is ident:
                info = scope.by_name.get(name.lower())
                if info is not None and name.lower() == info.name.lower():
                    target = info.target
            elif isinstance(parent, exp.Schema) and isinstance(parent.parent, exp.Insert):
                tbl = parent.this
                info = self.ctx.table(tbl.name) if isinstance(tbl, exp.Table) else None
                if info is not None and info.has(name):
                    target = info.target_of(name)
            elif isinstance(parent, exp.Alias):
                target = scope.aliases.get(name.lower(), name)
            elif isinstance(parent, exp.ColumnDef):
                create = parent.find_ancestor(exp.Create)
                schema = create.this if create is not None else None
                tbl = schema.this if isinstance(schema, exp.Schema) else None
                info = self.ctx.table(tbl.name) if isinstance(tbl, exp.Table) else None
                if info is not None and info.has(name):
                    target = info.target_of(name)
            if (isinstance(parent, exp.Column) and name.upper() == "ALL"
                    and isinstance(parent.parent, exp.Limit | exp.Offset)):
                continue  # LIMIT ALL, which sqlglot's SQLite parser reads as a column
            pg_reads = name if ident.quoted else name.lower()
            if target is None:
                if not ident.quoted and name.lower() in PG_RESERVED:
                    target = name.lower()
                elif not ident.quoted and name != name.lower():
                    mixed_unknown = True
                    continue
                else:
                    continue
            new = quote_ident(target)
            if pg_reads == target and (ident.quoted or target.lower() not in PG_RESERVED):
                continue
            if self.sql[s:e] == new:
                continue
            if self.edit(s, e, new):
                why = (f"{name} is a reserved word in PostgreSQL and must be quoted"
                       if target.lower() in PG_RESERVED and pg_reads == target.lower()
                       else f"PostgreSQL folds unquoted names to lower case; the name is {target!r} there")
                self.note("identifier", s, self.sql[s:e], new, why)
        if mixed_unknown and not have_ctx:
            self.note("identifier", base, "MixedCase names", "",
                      "PostgreSQL folds unquoted names to lower case: if the migrated table or "
                      "column kept its capitals, quote it here (give --schema-from or --mapping "
                      "to have this done)", needs_look=True, applied=False)
