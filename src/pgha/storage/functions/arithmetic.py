"""Integer division and modulo, round and trunc, greatest and least, sign, cbrt, width_bucket
and random(): the core arithmetic the translator calls. ``maths`` registers later and replaces
some of these with PostgreSQL 15's float and numeric edge cases.
"""

from __future__ import annotations

import math
import random
from decimal import Decimal
from typing import Any

import apsw

from pgha.storage.functions.context import FunctionContext, null_safe, registrar
from pgha.wire.errors import DivisionByZero, InvalidArgumentForWidthBucketFunction


def _num(d: Decimal) -> int | float:
    return int(d) if d == d.to_integral_value() else float(d)


def _div(a: Any, b: Any) -> Any:
    if a is None or b is None:
        return None
    if b == 0:
        raise DivisionByZero("division by zero")
    if isinstance(a, int) and isinstance(b, int):
        q = abs(a) // abs(b)
        return q if (a >= 0) == (b >= 0) else -q
    return a / b


def _mod(a: Any, b: Any) -> Any:
    if a is None or b is None:
        return None
    if b == 0:
        raise DivisionByZero("division by zero")
    if isinstance(a, int) and isinstance(b, int):
        r = abs(a) % abs(b)
        return r if a >= 0 else -r
    return math.fmod(a, b)


def _round(value: Any, places: Any) -> Any:
    if value is None or places is None:
        return None
    if isinstance(value, int):
        return value
    d = Decimal(repr(value)).quantize(Decimal(1).scaleb(-int(places)), rounding="ROUND_HALF_UP")
    return _num(d)


def _trunc(value: Any, places: Any) -> Any:
    if value is None or places is None:
        return None
    if isinstance(value, int):
        return value
    d = Decimal(repr(value)).quantize(Decimal(1).scaleb(-int(places)), rounding="ROUND_DOWN")
    return _num(d)


def _greatest(*args: Any) -> Any:
    vals = [a for a in args if a is not None]
    return max(vals) if vals else None


def _least(*args: Any) -> Any:
    vals = [a for a in args if a is not None]
    return min(vals) if vals else None


def _width_bucket(x: Any, lo: Any, hi: Any, n: Any) -> Any:
    if None in (x, lo, hi, n):
        return None
    if n <= 0:
        raise InvalidArgumentForWidthBucketFunction("count must be greater than zero")
    if x < lo:
        return 0
    if x >= hi:
        return n + 1
    return int((x - lo) * n / (hi - lo)) + 1


def register(conn: apsw.Connection, ctx: FunctionContext) -> None:
    """The arithmetic functions above."""
    f = registrar(conn)
    f("pg_div", _div, 2, True)
    f("pg_idiv", _div, 2, True)
    f("pg_mod", _mod, 2, True)
    f("pg_round", _round, 2, True)
    f("pg_trunc", _trunc, 2, True)
    f("round", lambda v, p=0: _round(v, p), -1, True)
    f("trunc", lambda v, p=0: _trunc(v, p), -1, True)
    f("pg_greatest", _greatest, -1, True)
    f("pg_least", _least, -1, True)
    f("random_float", random.random, 0)
    f("sign", null_safe(lambda x: (x > 0) - (x < 0)), 1, True)
    f("cbrt", null_safe(lambda x: math.copysign(abs(x) ** (1 / 3), x)), 1, True)
    f("width_bucket", _width_bucket, 4, True)
