"""Exact `numeric` arithmetic as SQLite functions, a collation and aggregates.

pgha stores a numeric value as its canonical decimal text (numeric_out's form: plain notation,
display scale kept, e.g. '12.50', 'NaN'), in columns of TEXT affinity declared
``COLLATE pg_numeric``. SQLite cannot do arithmetic on such text exactly, so the translator sends
every operation whose PostgreSQL type is numeric through the functions here, and orders and
compares numeric text with the ``pg_numeric`` collation.

Invariants, as PostgreSQL's numeric.c defines them (PostgreSQL 15):
- every function returns canonical text (or NULL for a NULL input);
- result scales: + and - the larger input scale, * the sum of the scales, / and avg()
  select_div_scale() (at least 16 significant digits), round/trunc their argument;
- rounding is half away from zero; NaN compares equal to NaN and above every number;
- division by zero is 22012, whatever the dividend (NaN / 0 is NaN, as in PostgreSQL).
Inputs may also be SQLite integers or reals (integer columns, or values computed in float):
integers convert exactly, reals by their 15 significant digits as float8 -> numeric does.
"""

from __future__ import annotations

import functools
from decimal import (
    ROUND_CEILING,
    ROUND_DOWN,
    ROUND_FLOOR,
    ROUND_HALF_UP,
    Context,
    Decimal,
    InvalidOperation,
    Overflow,
)
from decimal import (
    DivisionByZero as DecimalDivisionByZero,
)
from typing import Any

import apsw

from pgha.storage.types_number import numeric_out, numeric_text, storage_to_decimal
from pgha.wire.errors import DivisionByZero, FeatureNotSupported, InvalidArgumentForPowerFunction

# Exact + - * need as many digits as the operands have; PostgreSQL allows 131072 digits before
# the point and 16383 after, so this precision never rounds a legal value.
_EXACT = Context(
    prec=300_000,
    Emax=999_999,
    Emin=-999_999,
    rounding=ROUND_HALF_UP,
    traps=[DecimalDivisionByZero, Overflow],
)
_MIN_SIG_DIGITS = 16  # NUMERIC_MIN_SIG_DIGITS
_MAX_DISPLAY_SCALE = 1000  # NUMERIC_MAX_DISPLAY_SCALE
_NAN = Decimal("NaN")


def to_decimal(value: Any) -> Decimal:
    """The exact Decimal of a stored numeric (text) or of an SQLite integer or real."""
    if value.__class__ is str:
        return _parse_text(value)
    return storage_to_decimal(value)


@functools.lru_cache(maxsize=4096)
def _parse_text(text: str) -> Decimal:
    return storage_to_decimal(text)  # cached: the collation parses the same keys repeatedly


def canonical(value: Any) -> str | None:
    """A value as stored numeric text (pg_num(), the cast of an integer to numeric)."""
    return None if value is None else numeric_out(value)


def _scale(d: Decimal) -> int:
    exponent = d.as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


# ------------------------------------------------------------------------------- ordering


def _order_key(d: Decimal) -> tuple[int, Decimal]:
    return (1, Decimal(0)) if d.is_nan() else (0, d)


def compare_key(value: Any) -> tuple[int, Decimal]:
    """A sort key in numeric_cmp()'s order (NaN above every number)."""
    return _order_key(to_decimal(value))


def compare(a: Any, b: Any) -> int:
    """-1, 0 or 1 as numeric_cmp(): NaN equals NaN and sorts above every number."""
    ka, kb = _order_key(to_decimal(a)), _order_key(to_decimal(b))
    return (ka > kb) - (ka < kb)


def _collate(a: str, b: str) -> int:
    if a == b:
        return 0
    return compare(a, b)


def greatest(*args: Any) -> str | None:
    values = [to_decimal(a) for a in args if a is not None]
    return numeric_text(max(values, key=_order_key)) if values else None


def least(*args: Any) -> str | None:
    values = [to_decimal(a) for a in args if a is not None]
    return numeric_text(min(values, key=_order_key)) if values else None


# ----------------------------------------------------------------------------- arithmetic


def _binary(op: str) -> Any:
    method = {"+": _EXACT.add, "-": _EXACT.subtract, "*": _EXACT.multiply}[op]

    def apply(a: Any, b: Any) -> str | None:
        if a is None or b is None:
            return None
        x, y = to_decimal(a), to_decimal(b)
        if x.is_nan() or y.is_nan():
            return "NaN"
        try:
            return numeric_text(method(x, y))
        except InvalidOperation:  # Infinity - Infinity, 0 * Infinity
            return "NaN"

    return apply


def _weight_and_first_digit(d: Decimal) -> tuple[int, int]:
    """The weight (in base-10000 digits) and leading base-10000 digit of |d|, as numeric.c
    stores them; (0, 0) for zero."""
    if not d:
        return 0, 0
    weight = d.adjusted() // 4
    return weight, int(d.copy_abs().scaleb(-4 * weight, _EXACT))


def div_scale(x: Decimal, y: Decimal) -> int:
    """select_div_scale(): enough decimals for at least 16 significant digits."""
    w1, f1 = _weight_and_first_digit(x)
    w2, f2 = _weight_and_first_digit(y)
    qweight = w1 - w2 - (1 if f1 <= f2 else 0)
    rscale = max(_MIN_SIG_DIGITS - qweight * 4, _scale(x), _scale(y), 0)
    return min(rscale, _MAX_DISPLAY_SCALE)


def divide_decimal(x: Decimal, y: Decimal, rscale: int | None = None) -> Decimal:
    """x / y rounded half away from zero to rscale decimals (default: select_div_scale)."""
    if x.is_nan() or y.is_nan():
        return _NAN
    if not y:
        raise DivisionByZero("division by zero")
    if x.is_infinite() or y.is_infinite():
        if x.is_infinite() and y.is_infinite():
            return _NAN
        if y.is_infinite():
            return Decimal(0)
        return x if y > 0 else x.copy_negate()
    if rscale is None:
        rscale = div_scale(x, y)
    # Truncate one digit beyond rscale, then round: the kept digit decides the rounding.
    digits = max(1, x.adjusted() - y.adjusted() + rscale + 3)
    quotient = Context(prec=digits, rounding=ROUND_DOWN, Emax=999_999, Emin=-999_999).divide(x, y)
    return _EXACT.quantize(quotient, Decimal(1).scaleb(-rscale))


def divide(a: Any, b: Any) -> str | None:
    if a is None or b is None:
        return None
    return numeric_text(divide_decimal(to_decimal(a), to_decimal(b)))


def modulo(a: Any, b: Any) -> str | None:
    """mod(): the remainder of the truncated quotient, with the dividend's sign."""
    if a is None or b is None:
        return None
    x, y = to_decimal(a), to_decimal(b)
    if x.is_nan() or y.is_nan():
        return "NaN"
    if not y:
        raise DivisionByZero("division by zero")
    if x.is_infinite():
        return "NaN"
    if y.is_infinite():
        return numeric_text(x)
    return numeric_text(_EXACT.remainder(x, y))


def divide_truncated(a: Any, b: Any) -> str | None:
    """div(): the quotient truncated toward zero."""
    if a is None or b is None:
        return None
    x, y = to_decimal(a), to_decimal(b)
    if not (x.is_finite() and y.is_finite()):
        return numeric_text(divide_decimal(x, y))
    if not y:
        raise DivisionByZero("division by zero")
    return numeric_text(_EXACT.divide_int(x, y))


def negate(a: Any) -> str | None:
    return None if a is None else numeric_text(to_decimal(a).copy_negate())


# ------------------------------------------------------------------------------ functions


def _rounder(mode: str) -> Any:
    def apply(a: Any, places: Any = 0) -> str | None:
        if a is None or places is None:
            return None
        d = to_decimal(a)
        if not d.is_finite():
            return numeric_text(d)
        places = max(min(int(places), 2000), -2000)
        rounded = d.quantize(Decimal(1).scaleb(-places), rounding=mode, context=_EXACT)
        return numeric_text(rounded)

    return apply


def _integral(mode: str) -> Any:
    def apply(a: Any) -> str | None:
        if a is None:
            return None
        d = to_decimal(a)
        return numeric_text(d if not d.is_finite() else d.to_integral_value(rounding=mode))

    return apply


def absolute(a: Any) -> str | None:
    return None if a is None else numeric_text(to_decimal(a).copy_abs())


def sign(a: Any) -> str | None:
    if a is None:
        return None
    d = to_decimal(a)
    return "NaN" if d.is_nan() else str((d > 0) - (d < 0))


def trim_scale(a: Any) -> str | None:
    if a is None:
        return None
    d = to_decimal(a)
    if not d.is_finite():
        return numeric_text(d)
    return numeric_text(d.normalize(_EXACT) if d else Decimal(0))


def scale(a: Any) -> int | None:
    if a is None:
        return None
    d = to_decimal(a)
    return _scale(d) if d.is_finite() else None


def square_root(a: Any) -> str | None:
    """sqrt(numeric): at least 16 significant digits and the input's scale (numeric_sqrt)."""
    if a is None:
        return None
    d = to_decimal(a)
    if d.is_nan():
        return "NaN"
    if d < 0:
        raise InvalidArgumentForPowerFunction("cannot take square root of a negative number")
    if not d.is_finite() or not d:
        return numeric_text(d)
    weight, _ = _weight_and_first_digit(d)
    rscale = min(max(_MIN_SIG_DIGITS - ((weight + 1) * 2 - 1), _scale(d), 0), _MAX_DISPLAY_SCALE)
    root = d.sqrt(Context(prec=max(1, d.adjusted() // 2 + rscale + 4)))
    return numeric_text(root.quantize(Decimal(1).scaleb(-rscale), context=_EXACT))


def to_integer(value: Any) -> int:
    """numeric -> integer: round half away from zero; the caller checks the range."""
    d = to_decimal(value)
    if d.is_nan():
        raise FeatureNotSupported("cannot convert NaN to integer")
    if d.is_infinite():
        raise FeatureNotSupported("cannot convert infinity to integer")
    return int(d.to_integral_value(rounding=ROUND_HALF_UP))


# ----------------------------------------------------------------------------- aggregates


class _Sum:
    """sum(numeric) and sum(bigint): exact, NULL over no rows."""

    def __init__(self) -> None:
        self.total: Decimal | None = None
        self.count = 0

    def step(self, value: Any) -> None:
        if value is None:
            return
        d = to_decimal(value)
        self.count += 1
        try:
            self.total = d if self.total is None else _EXACT.add(self.total, d)
        except InvalidOperation:
            self.total = _NAN

    def final(self) -> str | None:
        return None if self.total is None else numeric_text(self.total)

    def value(self) -> str | None:
        return self.final()

    def inverse(self, value: Any) -> None:
        """Window frames that slide remove rows they added."""
        if value is None or self.total is None:
            return
        self.count -= 1
        self.total = None if not self.count else _EXACT.subtract(self.total, to_decimal(value))


class _Avg(_Sum):
    def final(self) -> str | None:
        if self.total is None or not self.count:
            return None
        return numeric_text(divide_decimal(self.total, Decimal(self.count)))


def register(conn: apsw.Connection) -> None:
    """The collation, operators, functions and aggregates on one connection."""
    conn.create_collation("pg_numeric", _collate)
    flags = apsw.SQLITE_DETERMINISTIC
    scalars: dict[str, tuple[Any, int]] = {
        "pg_num": (canonical, 1),
        "pg_num_add": (_binary("+"), 2),
        "pg_num_sub": (_binary("-"), 2),
        "pg_num_mul": (_binary("*"), 2),
        "pg_num_div": (divide, 2),
        "pg_num_mod": (modulo, 2),
        "pg_num_neg": (negate, 1),
        "pg_num_abs": (absolute, 1),
        "pg_num_sign": (sign, 1),
        "pg_num_ceil": (_integral(ROUND_CEILING), 1),
        "pg_num_floor": (_integral(ROUND_FLOOR), 1),
        "pg_num_round": (_rounder(ROUND_HALF_UP), -1),
        "pg_num_trunc": (_rounder(ROUND_DOWN), -1),
        "pg_num_greatest": (greatest, -1),
        "pg_num_least": (least, -1),
        "pg_num_scale": (scale, 1),
        "pg_num_sqrt": (square_root, 1),
        "pg_num_trim_scale": (trim_scale, 1),
        "pg_num_div_trunc": (divide_truncated, 2),
    }
    for name, (fn, nargs) in scalars.items():
        conn.create_scalar_function(name, fn, nargs, flags=flags)
    conn.create_window_function("pg_num_sum", _Sum, 1)
    conn.create_window_function("pg_num_avg", _Avg, 1)
