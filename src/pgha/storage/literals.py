"""Literal normalisation for simple-protocol statements.

Clients that interpolate values into SQL text (psql scripts, ``pgbench -M simple``, ORMs in
simple mode) send a new text for every execution, so caching translations by text never hits.
pglast's ``normalize`` (libpg_query) replaces each constant by ``$n``; aligning the lexer
tokens of the original text with those of the normalised one yields the constants' values.
The engine then caches the translation of the normalised text, keyed also by the literals'
kinds (``1`` is int4 where ``3000000000`` is int8, and that changes result types), and binds
the values as parameters.

pglast's normalisation costs about 25 µs, more than running a point read. So the first text of
each shape (the text with its constants blanked, see "shapes" below) teaches a plan that finds
the constants of later texts of that shape with one regular-expression scan (about 4 µs).

Anything unusual (escape strings, bit strings, existing ``$n`` parameters, a token mismatch)
returns None and the statement takes the ordinary path: correctness never depends on this.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from pglast import parser

from pgha.routing.classify import TOKENS
from pgha.routing.depth import too_deep
from pgha.storage import oids as T

KIND_OF_TOKEN = {"TRUE_P": T.BOOL, "FALSE_P": T.BOOL, "NULL_P": T.UNKNOWN, "SCONST": T.UNKNOWN}
DML_STARTS = ("SELECT", "INSERT", "UPDATE", "DELETE", "WITH", "VALUES")
INT4_MAX = 2**31 - 1
INT8_MAX = 2**63 - 1


@dataclass(frozen=True, slots=True)
class Normalized:
    template: str  # the statement with its constants replaced by $1..$n
    kinds: tuple[int, ...]  # type OID of each constant as PostgreSQL types literals (705: unknown)
    values: tuple[Any, ...]  # int, Decimal, bool, None, or the string's text


def normalize(sql: str) -> Normalized | None:
    """The template and constants of one DML statement, or None when not applicable. A text
    whose shape (see ``_scan``) was normalised before costs one regular-expression scan; a new
    shape costs pglast's normalisation and two scans of the text."""
    head = sql.lstrip()[:6].upper()
    if not head.startswith(DML_STARTS) or "$" in sql or "\0" in sql:
        return None
    scanned = _scan(sql)
    if scanned is None:
        return _normalize(sql, None)
    key, constants = scanned
    plan = _PLANS.get(key, _UNKNOWN)
    if plan is _UNKNOWN:
        return _normalize(sql, scanned)
    return plan.fill(sql, constants) if isinstance(plan, _Plan) else None


def _normalize(sql: str, scanned: tuple[str, list[tuple[int, int]]] | None
               ) -> Normalized | None:
    """pglast's normalisation of ``sql``; with the text's scan, what it learnt is kept as the
    plan of the text's shape."""
    found = _pglast_normalize(sql)
    if scanned is not None and len(_PLANS) < PLANS_CAPACITY:
        key, constants = scanned
        _PLANS[key] = None if found is None else _Plan.learn(sql, found[0], found[1], constants)
    return None if found is None else found[0]


# A constant pglast replaced, for each $n: (start, end) in the text, its token's name, and
# whether a minus before it was folded into it.
_Constant = tuple[int, int, str, bool]


def _pglast_normalize(sql: str) -> tuple[Normalized, list[_Constant]] | None:
    if too_deep(sql):
        return None
    try:
        template = parser.normalize(sql)
    except parser.ParseError:
        return None
    if template == sql:
        return None
    try:
        original = parser.scan(sql)
        normalized = parser.scan(template)
    except parser.ParseError:
        return None
    count = template.count("$")
    kinds: list[int | None] = [None] * count
    values: list[Any] = [None] * count
    where: list[_Constant | None] = [None] * count
    j = 0
    for tok in normalized:
        if j >= len(original):
            return None
        if tok.name != "PARAM":
            if original[j].name != tok.name:
                return None
            j += 1
            continue
        negative = False
        if original[j].name == "ASCII_45":  # a minus folded into the constant
            negative = True
            j += 1
            if j >= len(original):
                return None
        const = original[j]
        text = sql[const.start : const.end + 1]
        literal = _literal(const.name, text, negative)
        # normalize numbers the constants in parse-tree order, not text order ("LIMIT 3
        # OFFSET 2" becomes "LIMIT $2 OFFSET $1"): place each value by its $n.
        number = template[tok.start + 1 : tok.end + 1]
        if literal is None or not number.isdigit() or not 1 <= int(number) <= count:
            return None
        n = int(number) - 1
        kinds[n], values[n] = literal
        where[n] = (const.start, const.end + 1, const.name, negative)
        j += 1
    if j != len(original) or any(k is None for k in kinds) or any(w is None for w in where):
        return None
    return (Normalized(template, tuple(k for k in kinds if k is not None), tuple(values)),
            [w for w in where if w is not None])


# -- shapes -------------------------------------------------------------------------------------
#
# A text's shape is the text with each constant the routing scan finds (``classify.TOKENS``:
# plain strings and numbers; quoted identifiers and comments are kept as they are) replaced by
# a NUL and its class: s (string), i (an integer that fits int4) or f (other numbers). Two
# texts of one shape are the same token for token but for the values of those constants, so
# pglast reads them alike: the same template, with the same constants folded and numbered the
# same way. The first text of a shape is normalised by pglast and teaches the shape's plan:
# which scanned constant fills each $n, which constants pglast saw that the scan keeps in the
# shape (true, false, null: fixed by it), and which scanned constants pglast did not replace
# (a type modifier: a text that changes one is normalised by pglast again). A shape whose
# first text pglast did not normalise is not normalised again. Texts holding a NUL, E''
# strings, dollar quotes or a number ending in a point are never scanned this way.

PLANS_CAPACITY = 20_000  # shapes kept; once full, new shapes are normalised by pglast each time
_UNKNOWN = object()


@dataclass(frozen=True, slots=True)
class _Plan:
    template: str
    # For each $n: (index of the scanned constant, its token's name, negative), or for a
    # constant fixed by the shape (-1, "", False) with its kind and value in ``fixed``.
    slots: tuple[tuple[int, str, bool], ...]
    fixed: tuple[tuple[int, Any] | None, ...]
    kept: tuple[tuple[int, str], ...]  # scanned constants pglast left in the template: text

    @staticmethod
    def learn(sql: str, found: Normalized, where: list[_Constant],
              constants: list[tuple[int, int]]) -> _Plan | None:
        index = {span: i for i, span in enumerate(constants)}
        slots: list[tuple[int, str, bool]] = []
        fixed: list[tuple[int, Any] | None] = []
        for (start, end, name, negative), kind, value in zip(where, found.kinds, found.values,
                                                             strict=True):
            i = index.get((start, end))
            if i is not None:
                slots.append((i, name, negative))
                fixed.append(None)
            elif any(s < end and start < e for s, e in constants):
                return None  # one constant of pglast's spans several of the scan's
            else:
                slots.append((-1, "", False))
                fixed.append((kind, value))
        used = {i for i, _, _ in slots}
        kept = tuple((i, sql[s:e]) for i, (s, e) in enumerate(constants) if i not in used)
        return _Plan(found.template, tuple(slots), tuple(fixed), kept)

    def fill(self, sql: str, constants: list[tuple[int, int]]) -> Normalized | None:
        for i, text in self.kept:
            start, end = constants[i]
            if sql[start:end] != text:
                return _normalize(sql, None)
        kinds: list[int] = []
        values: list[Any] = []
        for (i, name, negative), fixed in zip(self.slots, self.fixed, strict=True):
            if fixed is None:
                start, end = constants[i]
                literal = _literal(name, sql[start:end], negative)
                if literal is None:
                    return None
                fixed = literal
            kinds.append(fixed[0])
            values.append(fixed[1])
        return Normalized(self.template, tuple(kinds), tuple(values))


_PLANS: dict[str, _Plan | None] = {}


def _scan(sql: str) -> tuple[str, list[tuple[int, int]]] | None:
    """The shape of ``sql`` and where its scanned constants are; None if it holds an E''
    string or a dollar quote."""
    pieces: list[str] = []
    constants: list[tuple[int, int]] = []
    pos = 0
    for token in TOKENS.finditer(sql):
        if token.group(1) is not None:
            continue  # a quoted identifier or a comment: part of the shape
        start, end = token.span()
        first = sql[start]
        if first == "'":
            mark = "\0s"
        elif first.isdigit():
            # PostgreSQL's lexer makes an integer that does not fit int4 a float constant,
            # and pglast leaves some integer constants in place (ORDER BY 1): two classes.
            text = sql[start:end]
            if text.endswith("."):
                return None  # "1." lexes apart from what follows ("1..x" is 1, "..", x)
            mark = "\0i" if text.isdigit() and (len(text) < 10 or int(text) <= INT4_MAX) \
                else "\0f"
        else:
            return None
        pieces.append(sql[pos:start])
        pieces.append(mark)
        constants.append((start, end))
        pos = end
    pieces.append(sql[pos:])
    return "".join(pieces), constants


def _literal(name: str, text: str, negative: bool) -> tuple[int, Any] | None:
    if name == "ICONST":
        value = -int(text) if negative else int(text)
        if -INT4_MAX - 1 <= value <= INT4_MAX:
            return T.INT4, value
        if -INT8_MAX - 1 <= value <= INT8_MAX:
            return T.INT8, value
        return T.NUMERIC, Decimal(value)
    if name == "FCONST":
        try:
            dec = Decimal(text)
        except InvalidOperation:
            return None
        if text.isdigit():  # an integer too large for int4 arrives as FCONST
            value = -int(text) if negative else int(text)
            if -INT4_MAX - 1 <= value <= INT4_MAX:
                return T.INT4, value  # -2147483648: make_const() finds that it fits int4
            if -INT8_MAX - 1 <= value <= INT8_MAX:
                return T.INT8, value
        # copy_negate(): exact, where unary minus would round to the context's 28 digits
        return T.NUMERIC, dec.copy_negate() if negative else dec
    if negative:
        return None
    if name == "SCONST":
        inner = text[1:-1]
        if not text.startswith("'") or "'" in inner.replace("''", ""):
            # E'...', U&'...', dollar quotes, and 'a' 'b' continued across lines (one
            # constant, 'ab'): let the parser handle them
            return None
        return T.UNKNOWN, inner.replace("''", "'")
    if name in ("TRUE_P", "FALSE_P"):
        return T.BOOL, name == "TRUE_P"
    if name == "NULL_P":
        return T.UNKNOWN, None
    return None
