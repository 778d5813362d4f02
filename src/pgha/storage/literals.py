"""Literal normalisation for simple-protocol statements.

Clients that interpolate values into SQL text (psql scripts, ``pgbench -M simple``, ORMs in
simple mode) send a new text for every execution, so caching translations by text never hits.
pglast's ``normalize`` (libpg_query) replaces each constant by ``$n``; aligning the lexer
tokens of the original text with those of the normalised one yields the constants' values.
The engine then caches the translation of the normalised text, keyed also by the literals'
kinds (``1`` is int4 where ``3000000000`` is int8, and that changes result types), and binds
the values as parameters.

Anything unusual (escape strings, bit strings, existing ``$n`` parameters, a token mismatch)
returns None and the statement takes the ordinary path: correctness never depends on this.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from pglast import parser

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
    """The template and constants of one DML statement, or None when not applicable."""
    head = sql.lstrip()[:6].upper()
    if not head.startswith(DML_STARTS) or "$" in sql or too_deep(sql):
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
        kinds[int(number) - 1], values[int(number) - 1] = literal
        j += 1
    if j != len(original) or any(k is None for k in kinds):
        return None
    return Normalized(template, tuple(k for k in kinds if k is not None), tuple(values))


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
