"""Function calls and CAST in the application's SQL, ported with the rulebook's function rules."""

from __future__ import annotations

from sqlglot.tokens import Token, TokenType

from sqlite2pg_tui.core.sql.rules import APP, Arg, Untranslatable, cased, dates, functions
from sqlite2pg_tui.portcode.sql.base import RewriterBase, Scope
from sqlite2pg_tui.portcode.sql.tokens import NAME_TOKEN, match_paren, split_args


class Calls(RewriterBase):
    """Calls are rebuilt innermost first, around their arguments as already rewritten."""

    _STRUCTURED = dates.DATE_FUNCTIONS | {"group_concat", "iif", "round", "total", "json_extract",
                                          "cast", "sum", "avg", "max", "min", "substr", "substring"}
    _KIND = {"group_concat": "group_concat", "iif": "iif", "round": "round", "total": "total",
             "json_extract": "json", "max": "max-min", "min": "max-min", "substr": "substr",
             "substring": "substr"}

    def functions(self, toks: list[Token], scope: Scope) -> list[tuple[int, int]]:
        spans: list[tuple[int, int]] = []
        for i, t in enumerate(toks):
            if t.token_type in (TokenType.STRING, TokenType.IDENTIFIER, TokenType.NUMBER):
                continue
            if i + 1 >= len(toks) or toks[i + 1].token_type != TokenType.L_PAREN:
                continue
            if i > 0 and toks[i - 1].token_type == TokenType.DOT:
                continue
            name = t.text.lower()
            j = match_paren(toks, i + 1)
            if j is None:
                continue
            if name in functions.RENAMES:
                new, why = functions.RENAMES[name]
                new = cased(new, t.text)
                if self.edit(t.start, t.end + 1, new):
                    self.note(name, t.start, self.span_text(toks, i, j), new + "(...)", why)
            elif name in functions.SQLITE_ONLY:
                self.note(name, t.start, self.span_text(toks, i, j), "",
                          f"{name}() has no PostgreSQL equivalent of the same meaning: "
                          f"{functions.SQLITE_ONLY[name]}", needs_look=True, applied=False)
            elif name in self._STRUCTURED:
                spans.append((i, j))
        return spans

    def _arg(self, toks: list[Token], a: int, b: int, scope: Scope) -> Arg:
        distinct = toks[a].token_type == TokenType.DISTINCT and a < b
        first = a + 1 if distinct else a
        raw = self.span_text(toks, first, b)
        text = self.buf.render(toks[first].start, toks[b].end + 1)
        arg = Arg(raw=raw, text=text, distinct=distinct)
        if first == b and toks[first].token_type == TokenType.STRING:
            arg.literal = toks[first].text
        elif first == b and toks[first].token_type == TokenType.NUMBER:
            arg.number = True
        parts = toks[first:b + 1]
        is_ref = len(parts) in (1, 3) and (len(parts) == 1 or parts[1].token_type == TokenType.DOT)
        if is_ref and all(p.token_type in (TokenType.VAR, TokenType.IDENTIFIER) or NAME_TOKEN.match(p.text)
                          for p in parts[::2]):
            qualifier = parts[0].text if len(parts) == 3 else None
            column = parts[-1].text
            info = scope.resolve(qualifier, column)
            if info is not None:
                arg.pg_type = info.pg_type(column)
        return arg

    def structured(self, toks: list[Token], i: int, j: int, scope: Scope) -> None:
        name = toks[i].text.lower()
        start, end = toks[i].start, toks[j].end + 1
        ranges = split_args(toks, i + 1, j)
        original = self.sql[start:end]
        try:
            if name == "cast":
                self.cast(toks, i, j)
                return
            args = [self._arg(toks, a, b, scope) for a, b in ranges]
            if name in ("sum", "avg"):
                if len(args) == 1 and not args[0].distinct and args[0].pg_type == "boolean":
                    a, b = ranges[0]
                    inner = f"CAST({args[0].text} AS INTEGER)"
                    self.buf.collapse(toks[a].start, toks[b].end + 1, inner)
                    self.note("boolean", start, original, self.buf.render(start, end),
                              f"{args[0].raw} became boolean and PostgreSQL cannot {name.upper()} "
                              "booleans: cast to integer to count the true ones")
                return
            if name in ("max", "min") and len(args) < 2:
                return  # the aggregate, the same in PostgreSQL
            rewritten = functions.call(name, args, APP, self.pct, written=toks[i].text)
            kind = "date-function" if name in dates.DATE_FUNCTIONS else self._KIND[name]
        except Untranslatable as e:
            self.note(name, start, original, "", f"{e}: port this call by hand", needs_look=True,
                      applied=False)
            return
        if rewritten is None:
            return
        self.buf.collapse(start, end, rewritten.text)
        self.note(kind, start, original, rewritten.text, rewritten.why, rewritten.needs_look)

    def cast(self, toks: list[Token], i: int, j: int) -> None:
        as_at = None
        depth = 0
        for k in range(i + 2, j):
            tt = toks[k].token_type
            if tt == TokenType.L_PAREN:
                depth += 1
            elif tt == TokenType.R_PAREN:
                depth -= 1
            elif depth == 0 and toks[k].text.upper() == "AS":
                as_at = k
        if as_at is None or as_at + 1 > j - 1 or as_at - 1 < i + 2:
            return
        type_text = self.span_text(toks, as_at + 1, j - 1)
        operand = self.buf.render(toks[i + 2].start, toks[as_at - 1].end + 1)
        first, last = i + 2, as_at - 1
        literal = toks[first].text if first == last and toks[first].token_type == TokenType.STRING else None
        rule = functions.cast(Arg(raw=self.span_text(toks, first, last), text=operand, literal=literal), type_text)
        if rule is None:
            return
        new_operand, new_type, why = rule
        new_type = cased(new_type, type_text)
        start, end = toks[i].start, toks[j].end + 1
        new = f"{toks[i].text}({new_operand} {toks[as_at].text} {new_type})"
        self.buf.collapse(start, end, new)
        self.note("cast", start, self.sql[start:end], new, why)
