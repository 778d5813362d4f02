"""Float arithmetic, math functions and numeric aggregates with PostgreSQL 15's edge cases.

SQLite computes floats natively, but it turns a NaN into NULL, returns Infinity where
PostgreSQL reports an overflow (22003), and its math functions answer NULL where PostgreSQL
raises an error. The translator sends float arithmetic and math through the functions here.

Invariants:
- a float NaN is stored as the text 'NaN' (types_number.FLOAT_NAN), never as a NULL;
- float results follow float.c: an infinite result from finite inputs is 22003 "value out of
  range: overflow", a zero from non-zero inputs of * and / is "underflow"; float4 results are
  rounded to single precision;
- numeric math (exp, ln, log, power) picks the result scale as numeric.c does (at least 16
  significant digits, never fewer decimals than an input) and rounds half away from zero;
- stddev/variance of numeric are exact (numeric_stddev_internal), of float the Youngs-Cramer
  sums of float8_accum, so both print the digits PostgreSQL prints.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import json
import math
import struct
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Context, Decimal
from typing import Any

import apsw

from pgha.storage import numeric
from pgha.storage import oids as T
from pgha.storage.functions import timestamps
from pgha.storage.types_number import FLOAT_NAN, float_storage, float_value, numeric_text
from pgha.wire.errors import (
    DivisionByZero,
    FeatureNotSupported,
    InvalidArgumentForWidthBucketFunction,
    PgError,
)

OUT_OF_RANGE = "22003"
DIVISION_BY_ZERO = "22012"
INVALID_LOG_ARGUMENT = "2201E"
INVALID_POWER_ARGUMENT = "2201F"

_MIN_SIG_DIGITS = 16  # NUMERIC_MIN_SIG_DIGITS
_MAX_DISPLAY_SCALE = 1000  # NUMERIC_MAX_DISPLAY_SCALE
_LOG10_E = 0.434294481903252

# PostgreSQL's cbrt() is the C library's, which is not always Python's x ** (1/3) (27 -> 3.0
# there, 3.0000000000000004 in glibc); use the same function where the C library is found.
_LIBM_NAME = ctypes.util.find_library("m")
_libm_cbrt: Callable[[float], float] | None = None
if _LIBM_NAME:
    _cbrt_c = ctypes.CDLL(_LIBM_NAME).cbrt
    _cbrt_c.restype = ctypes.c_double
    _cbrt_c.argtypes = [ctypes.c_double]
    _libm_cbrt = _cbrt_c


def _overflow() -> PgError:
    return PgError(OUT_OF_RANGE, "value out of range: overflow")


def _underflow() -> PgError:
    return PgError(OUT_OF_RANGE, "value out of range: underflow")


_F4 = struct.Struct("f")


def _to_float4(r: float) -> float:
    """float4 arithmetic rounds to single precision; a finite result too large is 22003."""
    rounded: float = _F4.unpack(_F4.pack(r))[0]  # native "f": C's (float) cast, no error
    if math.isinf(rounded) and not math.isinf(r):
        raise _overflow()
    if rounded == 0.0 and r != 0.0:
        raise _underflow()
    return rounded


def _float_op(op: str, single: bool) -> Callable[[Any, Any], Any]:
    """float4/float8 + - * / as float.c computes them. The common case (two finite floats,
    a finite non-zero result) takes the first return; this runs once per row."""
    compute: Callable[[float, float], float] = {
        "+": float.__add__, "-": float.__sub__, "*": float.__mul__}.get(op, _divide)

    def apply(a: Any, b: Any) -> Any:
        if a is None or b is None:
            return None
        x = a if a.__class__ is float else float_value(a)
        y = b if b.__class__ is float else float_value(b)
        r = compute(x, y)
        if not single and not (r - r) and (r or op in "+-"):
            return r  # finite, and not a product/quotient that may have underflowed
        return _float_edge(op, single, x, y, r)

    return apply


def _divide(x: float, y: float) -> float:
    if y == 0.0:
        if not math.isnan(x):
            raise DivisionByZero("division by zero")
        return math.nan
    return x / y if not (math.isinf(y) and math.isinf(x)) else math.nan


def _float_edge(op: str, single: bool, x: float, y: float, r: float) -> Any:
    """float.c's checks on a result: overflow from finite inputs, underflow to zero of a
    product or quotient of non-zero finite inputs, NaN stored as text, float4 rounding."""
    if math.isinf(r) and not (math.isinf(x) or math.isinf(y)):
        raise _overflow()
    if r == 0.0 and op in "*/" and x != 0.0 and not math.isnan(x) and not math.isinf(y) and \
            (op == "/" or (y != 0.0 and not math.isnan(y))):
        raise _underflow()
    if single:
        r = _to_float4(r)
    return float_storage(r)


def _float_neg(a: Any) -> Any:
    return None if a is None else float_storage(-float_value(a))


def _float_abs(a: Any) -> Any:
    return None if a is None else float_storage(abs(float_value(a)))


def _float_math(fn: Callable[[float], float], check: Callable[[float], None] | None = None
                ) -> Callable[[Any], Any]:
    """A one-argument float8 function: NaN in, NaN out; errors as float.c raises them."""

    def apply(a: Any) -> Any:
        if a is None:
            return None
        x = float_value(a)
        if math.isnan(x):
            return FLOAT_NAN
        if check is not None:
            check(x)
        try:
            r = fn(x)
        except OverflowError:
            raise _overflow() from None
        if math.isinf(r) and not math.isinf(x):
            raise _overflow()
        return float_storage(r)

    return apply


def _check_sqrt(x: float) -> None:
    if x < 0:
        raise PgError(INVALID_POWER_ARGUMENT, "cannot take square root of a negative number")


def _check_log(x: float) -> None:
    if x == 0:
        raise PgError(INVALID_LOG_ARGUMENT, "cannot take logarithm of zero")
    if x < 0:
        raise PgError(INVALID_LOG_ARGUMENT, "cannot take logarithm of a negative number")


def _exp(x: float) -> float:
    if math.isinf(x):
        return 0.0 if x < 0 else x
    r = math.exp(x)
    if r == 0.0:
        raise _underflow()
    return r


def _ln(x: float) -> float:
    return x if math.isinf(x) else math.log(x)


def _log10(x: float) -> float:
    return x if math.isinf(x) else math.log10(x)


def _cbrt(x: float) -> float:
    if _libm_cbrt is not None:
        return _libm_cbrt(x)
    return math.copysign(abs(x) ** (1 / 3), x)


def _float_power(a: Any, b: Any) -> Any:
    """dpow(): the special cases of POSIX pow() and PostgreSQL's errors."""
    if a is None or b is None:
        return None
    x, y = float_value(a), float_value(b)
    if math.isnan(x):
        return 1.0 if y == 0 else FLOAT_NAN
    if math.isnan(y):
        return 1.0 if x == 1 else FLOAT_NAN
    if x == 0 and y < 0:
        raise PgError(INVALID_POWER_ARGUMENT, "zero raised to a negative power is undefined")
    if x < 0 and not math.isinf(y) and y != math.floor(y):
        raise PgError(INVALID_POWER_ARGUMENT,
                      "a negative number raised to a non-integer power yields a complex result")
    try:
        r = math.pow(x, y)
    except OverflowError:
        raise _overflow() from None
    if r == 0.0 and x != 0 and not math.isinf(y) and not math.isinf(x):
        raise _underflow()
    return float_storage(r)


def _float_key(v: float) -> tuple[int, float]:
    return (1, 0.0) if math.isnan(v) else (0, v)


def _float_greatest(*args: Any) -> Any:
    values = [float_value(a) for a in args if a is not None]
    return float_storage(max(values, key=_float_key)) if values else None


def _float_least(*args: Any) -> Any:
    values = [float_value(a) for a in args if a is not None]
    return float_storage(min(values, key=_float_key)) if values else None


def _shift(bits: int, left: bool) -> Callable[[Any, Any], Any]:
    """int2/int4 << and >>: C's shift on a 32-bit int (count taken modulo 32), then wrapped
    to the type's width, as int4shl/int2shl compute it."""

    def apply(a: Any, b: Any) -> Any:
        if a is None or b is None:
            return None
        r = (int(a) << (int(b) & 31)) if left else (int(a) >> (int(b) & 31))
        r &= 0xFFFFFFFF
        r = r - (1 << 32) if r >= 1 << 31 else r
        if bits == 16:
            r &= 0xFFFF
            r = r - (1 << 16) if r >= 1 << 15 else r
        return r

    return apply


def _trig(fn: Callable[[float], float], lo: float = -math.inf, hi: float = math.inf
          ) -> Callable[[Any], Any]:
    """sin, cos, asin, ...: NaN in, NaN out; an input outside [lo, hi] or an infinite one
    where the function has no limit is 22003 "input is out of range", as float.c says."""

    def apply(a: Any) -> Any:
        if a is None:
            return None
        x = float_value(a)
        if math.isnan(x):
            return FLOAT_NAN
        if not lo <= x <= hi:
            raise PgError(OUT_OF_RANGE, "input is out of range")
        try:
            return float_storage(fn(x))
        except (ValueError, OverflowError):
            raise PgError(OUT_OF_RANGE, "input is out of range") from None

    return apply


def _atan2(a: Any, b: Any) -> Any:
    if a is None or b is None:
        return None
    return float_storage(math.atan2(float_value(a), float_value(b)))


def _abs(a: Any) -> Any:
    """abs(bigint): SQLite's abs() fails on the smallest bigint with its own message."""
    if a is None:
        return None
    if isinstance(a, int):
        if a == -(2**63):
            raise PgError(OUT_OF_RANGE, "bigint out of range")
        return abs(a)
    if isinstance(a, float):
        return abs(a)
    return float_storage(abs(float_value(a)))


def _int_divide(a: Any, b: Any) -> Any:
    """Integer / (truncating toward zero); the one overflow is the smallest bigint / -1."""
    if a is None or b is None:
        return None
    if b == 0:
        raise DivisionByZero("division by zero")
    if not (isinstance(a, int) and isinstance(b, int)):
        return a / b
    q = abs(a) // abs(b)
    q = q if (a >= 0) == (b >= 0) else -q
    if q > 2**63 - 1:
        raise PgError(OUT_OF_RANGE, "bigint out of range")
    return q


_INT_NAMES = {16: "smallint", 32: "integer", 64: "bigint"}


def _int_check(value: Any, bits: int) -> Any:
    """The value of integer arithmetic, or 22003 where it left its type's range (SQLite turns
    a 64-bit overflow into a float)."""
    if value.__class__ is int and -(1 << (bits - 1)) <= value < 1 << (bits - 1):
        return value
    if value is None or not isinstance(value, int | float):
        return value
    raise PgError(OUT_OF_RANGE, f"{_INT_NAMES.get(bits, 'integer')} out of range")


def _min_scale(a: Any) -> Any:
    if a is None:
        return None
    d = numeric.to_decimal(a)
    if not d.is_finite():
        return None
    if not d:
        return 0
    return max(0, -d.normalize().as_tuple().exponent)  # type: ignore[operator]


def _width_bucket_array(x: Any, thresholds: Any) -> Any:
    """width_bucket(operand, thresholds[]): how many thresholds are <= operand."""
    if x is None or thresholds is None:
        return None
    bounds = json.loads(thresholds) if isinstance(thresholds, str) else thresholds
    key = numeric.compare_key
    return sum(1 for t in bounds if t is not None and key(t) <= key(x))


def _float_round(a: Any, _places: Any = 0) -> Any:
    """round(float8) is rint(): half to even (the translator passes a second argument, 0)."""
    if a is None:
        return None
    if isinstance(a, int):
        return a
    x = float_value(a)
    if math.isnan(x) or math.isinf(x):
        return float_storage(x)
    r = float(round(x))  # Python rounds a float half to even, exactly, as rint() does
    return math.copysign(r, x) if r == 0 else r


def _float_unary(fn: Callable[[float], float]) -> Callable[[Any], Any]:
    """ceil, floor, sign of a float: NaN stays NaN, infinities pass through ceil/floor."""

    def apply(a: Any) -> Any:
        if a is None:
            return None
        x = a if a.__class__ is float else float_value(a)
        if math.isnan(x):
            return 0.0 if fn is _sign else FLOAT_NAN
        if math.isinf(x) and fn is not _sign:
            return x
        return float(fn(x))

    return apply


def _sign(x: float) -> float:
    return float((x > 0) - (x < 0))


def _float_trunc(a: Any, _places: Any = 0) -> Any:
    """trunc(float8): toward zero (the translator passes a second argument, always 0)."""
    if a is None:
        return None
    if isinstance(a, int):
        return a
    x = float_value(a)
    if math.isnan(x) or math.isinf(x):
        return float_storage(x)
    return math.copysign(float(math.trunc(x)), x)


# ------------------------------------------------------------------------ numeric math


def _scale(d: Decimal) -> int:
    exponent = d.as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def _high(digits: int) -> Context:
    return Context(prec=max(digits, 1) + 20, Emax=999_999, Emin=-999_999)


def _clamp_scale(rscale: int, *inputs: Decimal) -> int:
    for d in inputs:
        rscale = max(rscale, _scale(d))
    return min(max(rscale, 0), _MAX_DISPLAY_SCALE)


def _round_to(d: Decimal, rscale: int) -> str:
    q = d.quantize(Decimal(1).scaleb(-rscale), rounding=ROUND_HALF_UP,
                   context=_high(d.adjusted() + rscale + 5))
    return numeric_text(q)


def _ln_dweight(d: Decimal) -> int:
    """estimate_ln_dweight(): the decimal weight of ln(d)."""
    if d <= 0:
        return 0
    if Decimal("0.9") <= d <= Decimal("1.1"):
        x = d - 1
        return x.adjusted() if x else 0
    weight = d.adjusted() // 4
    digits = int(d.scaleb(-4 * (weight - 1)))
    if digits % 10000 == 0 and d == Decimal(digits).scaleb(4 * (weight - 1)):
        ln_var = math.log(digits // 10000) + weight * 4 * 2.302585092994046
    else:
        ln_var = math.log(digits) + (weight - 1) * 4 * 2.302585092994046
    return int(math.log10(abs(ln_var))) if ln_var else 0


def _num_special(*values: Decimal) -> bool:
    return any(not v.is_finite() for v in values)


def num_ln(a: Any) -> str | None:
    if a is None:
        return None
    d = numeric.to_decimal(a)
    if d.is_nan():
        return "NaN"
    if d == 0:
        raise PgError(INVALID_LOG_ARGUMENT, "cannot take logarithm of zero")
    if d < 0:
        raise PgError(INVALID_LOG_ARGUMENT, "cannot take logarithm of a negative number")
    if d.is_infinite():
        return "Infinity"
    rscale = _clamp_scale(_MIN_SIG_DIGITS - _ln_dweight(d), d)
    return _round_to(d.ln(_high(rscale + 10)), rscale)


def num_log(a: Any, b: Any = None) -> str | None:
    """log(numeric) is log(10, x); log(b, x) chooses its scale from both logarithms."""
    if b is None:
        if a is None:
            return None
        base, x = Decimal(10), numeric.to_decimal(a)
    else:
        base, x = numeric.to_decimal(a), numeric.to_decimal(b)
    if base.is_nan() or x.is_nan():
        return "NaN"
    for v in (base, x):
        if v == 0:
            raise PgError(INVALID_LOG_ARGUMENT, "cannot take logarithm of zero")
        if v < 0:
            raise PgError(INVALID_LOG_ARGUMENT, "cannot take logarithm of a negative number")
    if _num_special(base, x):
        raise FeatureNotSupported("log() of infinity is not supported")
    if base == 1:
        raise DivisionByZero("division by zero")
    rscale = _clamp_scale(_MIN_SIG_DIGITS - (_ln_dweight(x) - _ln_dweight(base)), base, x)
    ctx = _high(rscale + 10)
    return _round_to(ctx.divide(x.ln(ctx), base.ln(ctx)), rscale)


def num_exp(a: Any) -> str | None:
    if a is None:
        return None
    d = numeric.to_decimal(a)
    if d.is_nan():
        return "NaN"
    if d.is_infinite():
        return "Infinity" if d > 0 else "0"
    x = float(d)
    val = max(min(x * _LOG10_E, 2000.0), -2000.0)  # the result's decimal weight, bounded
    rscale = _clamp_scale(_MIN_SIG_DIGITS - int(val), d)
    if abs(x) >= 6000:  # exp_var(): NUMERIC_MAX_RESULT_SCALE * 3
        if x > 0:
            raise PgError(OUT_OF_RANGE, "value overflows numeric format")
        return numeric_text(Decimal(0).scaleb(-rscale))
    return _round_to(d.exp(_high(int(abs(x) * _LOG10_E) + rscale + 10)), rscale)


def num_power(a: Any, b: Any) -> str | None:
    """numeric ^ numeric: an integral exponent multiplies out (power_var_int's scale), any
    other goes through exp(y * ln(x)) with power_var's scale."""
    if a is None or b is None:
        return None
    x, y = numeric.to_decimal(a), numeric.to_decimal(b)
    if x.is_nan() or y.is_nan():
        if (x.is_nan() and y == 0) if not y.is_nan() else (not x.is_nan() and x == 1):
            return "1"
        return "NaN"
    if _num_special(x, y):
        raise FeatureNotSupported("power() of infinity is not supported")
    if x == 0 and y < 0:
        raise PgError(INVALID_POWER_ARGUMENT, "zero raised to a negative power is undefined")
    integral = y == y.to_integral_value()
    if x < 0 and not integral:
        raise PgError(INVALID_POWER_ARGUMENT,
                      "a negative number raised to a non-integer power yields a complex result")
    if integral and abs(y) < 2**31:
        rscale = _clamp_scale(_MIN_SIG_DIGITS, x)
        if y == 0:
            return _round_to(Decimal(1), rscale)
        if x == 0:
            return _round_to(Decimal(0), rscale)
        weight = abs(float(y)) * abs(math.log10(abs(x))) if x else 0.0
        if y > 0 and float(y) * math.log10(abs(x)) > 131072:
            raise PgError(OUT_OF_RANGE, "value overflows numeric format")
        ctx = _high(int(weight) + rscale + 10)
        return _round_to(ctx.power(x, int(y)), rscale)
    if x == 0:
        return numeric_text(Decimal(0).scaleb(-_MIN_SIG_DIGITS))
    ln_x = x.ln(_high(40))
    val = float(ln_x * y)
    if abs(val) > 2000 * 3.01:
        if val > 0:
            raise PgError(OUT_OF_RANGE, "value overflows numeric format")
        return numeric_text(Decimal(0).scaleb(-_MAX_DISPLAY_SCALE))
    rscale = _clamp_scale(_MIN_SIG_DIGITS - int(val * _LOG10_E), x, y)
    ctx = _high(int(abs(val)) + rscale + 20)
    return _round_to(ctx.exp(ctx.multiply(y, x.ln(ctx))), rscale)


# ------------------------------------------------------------------ integers: gcd, lcm, !


def _integer_pair(combine: Callable[[int, int], int]) -> Callable[[Any, Any], Any]:
    """gcd or lcm: of integers, or of numerics scaled to integers and back (NaN stays)."""
    def apply(a: Any, b: Any) -> Any:
        if a is None or b is None:
            return None
        if isinstance(a, int) and isinstance(b, int):
            return combine(a, b)
        x, y = numeric.to_decimal(a), numeric.to_decimal(b)
        if x.is_nan() or y.is_nan():
            return "NaN"
        scale = max(_scale(x), _scale(y))
        result = combine(int(x.scaleb(scale)), int(y.scaleb(scale)))
        return numeric_text(Decimal(result).scaleb(-scale).quantize(Decimal(1).scaleb(-scale)))
    return apply


_gcd = _integer_pair(math.gcd)
_lcm = _integer_pair(math.lcm)


def _factorial(n: Any) -> Any:
    if n is None:
        return None
    n = int(n)
    if n < 0:
        raise PgError(OUT_OF_RANGE, "factorial of a negative number is undefined")
    if n > 32177:
        raise PgError(OUT_OF_RANGE, "value overflows numeric format")
    return str(math.factorial(n))


def _width_bucket(x: Any, lo: Any, hi: Any, count: Any) -> Any:
    """width_bucket(operand, low, high, count) for float8 and numeric operands."""
    if None in (x, lo, hi, count):
        return None
    if count <= 0:
        raise InvalidArgumentForWidthBucketFunction("count must be greater than zero")
    if any(isinstance(v, str) for v in (x, lo, hi)):
        vx, vlo, vhi = (numeric.to_decimal(v) for v in (x, lo, hi))
        if vx.is_nan() or vlo.is_nan() or vhi.is_nan():
            raise InvalidArgumentForWidthBucketFunction(
                "operand, lower bound, and upper bound cannot be NaN")
    else:
        vx, vlo, vhi = (Decimal(v) for v in (x, lo, hi))
    if vlo == vhi:
        raise InvalidArgumentForWidthBucketFunction("lower bound cannot equal upper bound")
    if vlo < vhi:
        if vx < vlo:
            return 0
        if vx >= vhi:
            return _bucket_check(count + 1)
        return int(_high(80).divide((vx - vlo) * count, vhi - vlo)) + 1
    if vx > vlo:
        return 0
    if vx <= vhi:
        return _bucket_check(count + 1)
    return int(_high(80).divide((vlo - vx) * count, vlo - vhi)) + 1


def _bucket_check(n: int) -> int:
    if n > 2**31 - 1:
        raise PgError(OUT_OF_RANGE, "integer out of range")
    return n


# ---------------------------------------------------------------------------- aggregates


class _Window:
    """An aggregate that is also a window function: ``add`` folds one non-NULL value in;
    when a sliding frame drops rows the state is rebuilt from the values still in it, so a
    frame's answer is the one a fresh aggregate over it would give (PostgreSQL restarts
    these aggregates too, having no inverse transition for them)."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.values: list[Any] = []
        self.dirty = False
        self.reset()

    def reset(self) -> None:
        raise NotImplementedError

    def add(self, value: Any) -> None:
        raise NotImplementedError

    def result(self) -> Any:
        raise NotImplementedError

    def step(self, value: Any) -> None:
        if value is not None:
            self.values.append(value)
            self.add(value)

    def inverse(self, value: Any) -> None:
        if value is not None:
            self.values.pop(0)
            self.dirty = True

    def value(self) -> Any:
        if self.dirty:
            self.reset()
            for v in self.values:
                self.add(v)
            self.dirty = False
        return self.result()

    def final(self) -> Any:
        return self.value()


class _BitAgg(_Window):
    def reset(self) -> None:
        self.acc: int | None = None

    def add(self, value: Any) -> None:
        v = int(value)
        if self.acc is None:
            self.acc = v
        elif self.kind == "and":
            self.acc &= v
        elif self.kind == "or":
            self.acc |= v
        else:
            self.acc ^= v

    def result(self) -> Any:
        return self.acc


class _FloatStat(_Window):
    """float8_accum's Youngs-Cramer sums; var/stddev, sample or population."""

    def reset(self) -> None:
        self.n = 0.0
        self.sx = 0.0
        self.sxx = 0.0

    def add(self, value: Any) -> None:
        x = float_value(value)
        n = self.n + 1.0
        self.sx += x
        if self.n > 0.0:
            tmp = x * n - self.sx
            self.sxx += tmp * tmp / (n * self.n)
        elif math.isnan(x) or math.isinf(x):
            self.sxx = math.nan
        self.n = n

    def result(self) -> Any:
        sample = self.kind.endswith("samp")
        if self.n == 0.0 or (sample and self.n <= 1.0):
            return None
        var = self.sxx / (self.n - 1.0 if sample else self.n)
        return float_storage(math.sqrt(var) if self.kind.startswith("stddev") and var == var
                             else var)


class _BoolAgg(_Window):
    """bool_and/every and bool_or, usable as window functions too."""

    def reset(self) -> None:
        self.acc: int | None = None

    def add(self, value: Any) -> None:
        b = 1 if value else 0
        if self.acc is None:
            self.acc = b
        else:
            self.acc = (self.acc & b) if self.kind == "and" else (self.acc | b)

    def result(self) -> Any:
        return self.acc


class _FloatSum(_Window):
    """sum/avg of float4/float8 as float8pl adds (one by one, no compensated summation as
    SQLite's sum() does)."""

    def reset(self) -> None:
        self.total = 0.0
        self.n = 0

    def add(self, value: Any) -> None:
        x = float_value(value)
        r = self.total + x
        if math.isinf(r) and not (math.isinf(self.total) or math.isinf(x)):
            raise _overflow()
        self.total = _to_float4(r) if self.kind == "sum4" else r
        self.n += 1

    def result(self) -> Any:
        if not self.n:
            return None
        return float_storage(self.total / self.n if self.kind == "avg" else self.total)


class _Regression:
    """corr, covar_*, regr_*: float8_regr_accum's Youngs-Cramer sums over (y, x) pairs
    where neither is NULL, and the final functions of float.c (PostgreSQL 15)."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.pairs: list[tuple[float, float]] = []
        self.dirty = False
        self.reset()

    def reset(self) -> None:
        self.n = self.sx = self.sy = self.sxx = self.syy = self.sxy = 0.0

    def add(self, y: float, x: float) -> None:
        n = self.n + 1.0
        self.sx += x
        self.sy += y
        if self.n > 0.0:
            tx, ty = x * n - self.sx, y * n - self.sy
            scale = 1.0 / (n * self.n)
            self.sxx += tx * tx * scale
            self.syy += ty * ty * scale
            self.sxy += tx * ty * scale
        elif any(math.isnan(v) or math.isinf(v) for v in (x, y)):
            self.sxx = self.syy = self.sxy = math.nan
        self.n = n

    def step(self, y: Any, x: Any, keep: bool = True) -> None:
        if y is None or x is None:
            return
        pair = (float_value(y), float_value(x))
        if keep:
            self.pairs.append(pair)
        self.add(*pair)

    def inverse(self, y: Any, x: Any) -> None:
        if y is not None and x is not None:
            self.pairs.pop(0)
            self.dirty = True

    def value(self) -> Any:
        if self.dirty:
            self.reset()
            for pair in self.pairs:
                self.add(*pair)
            self.dirty = False
        return self.result()

    def final(self) -> Any:
        return self.value()

    def result(self) -> Any:
        n, kind = self.n, self.kind
        if kind == "regr_count":
            return int(n)
        if n < 1.0 or (kind == "covar_samp" and n < 2.0):
            return None
        sxx, syy, sxy = self.sxx, self.syy, self.sxy
        simple = {"regr_sxx": sxx, "regr_syy": syy, "regr_sxy": sxy,
                  "regr_avgx": self.sx / n, "regr_avgy": self.sy / n,
                  "covar_pop": sxy / n}
        if kind in simple:
            return float_storage(simple[kind])
        if kind == "covar_samp":
            return float_storage(sxy / (n - 1.0))
        if kind == "corr":
            return None if sxx == 0 or syy == 0 else float_storage(sxy / math.sqrt(sxx * syy))
        if sxx == 0:
            return None
        if kind == "regr_r2":
            return 1.0 if syy == 0 else float_storage((sxy * sxy) / (sxx * syy))
        if kind == "regr_slope":
            return float_storage(sxy / sxx)
        return float_storage((self.sy - self.sx * sxy / sxx) / n)  # regr_intercept


REGRESSIONS = ("corr", "covar_pop", "covar_samp", "regr_avgx", "regr_avgy", "regr_count",
               "regr_intercept", "regr_r2", "regr_slope", "regr_sxx", "regr_sxy", "regr_syy")


def _plain_regression(kind: str) -> Callable[[], tuple[Any, Any, Any]]:
    def make() -> tuple[Any, Any, Any]:
        agg = _Regression(kind)
        return (None, lambda _, y, x: agg.step(y, x, keep=False),
                lambda _: agg.result())

    return make


class _NumericStat(_Window):
    """numeric_stddev_internal(): (N * sum(x^2) - sum(x)^2) / (N * (N - 1)), exact."""

    def reset(self) -> None:
        self.n = 0
        self.sx = Decimal(0)
        self.sxx = Decimal(0)
        self.nan = False

    def add(self, value: Any) -> None:
        d = numeric.to_decimal(value)
        self.n += 1
        if not d.is_finite():
            self.nan = True
            return
        ctx = _high(2 * len(d.as_tuple().digits) + 10)
        self.sx = ctx.add(self.sx, d)
        self.sxx = ctx.add(self.sxx, ctx.multiply(d, d))

    def result(self) -> Any:
        sample = self.kind.endswith("samp")
        if self.n == 0 or (sample and self.n == 1):
            return None
        if self.nan:
            return "NaN"
        ctx = _high(2 * len(self.sx.as_tuple().digits) + 40)
        numerator = ctx.subtract(ctx.multiply(Decimal(self.n), self.sxx),
                                 ctx.multiply(self.sx, self.sx))
        if numerator <= 0:
            return "0"
        denominator = Decimal(self.n * (self.n - 1 if sample else self.n))
        rscale = numeric.div_scale(numerator, denominator)
        var = numeric.divide_decimal(numerator, denominator, rscale)
        if self.kind.startswith("stddev"):
            root = var.sqrt(_high(var.adjusted() // 2 + rscale + 10))
            return _round_to(root, rscale)
        return numeric_text(var)


class _Ordered:
    """percentile_cont/percentile_disc/mode WITHIN GROUP: every value, sorted at the end by
    the ordering of its type (``oid``). A fraction that is an array (JSON text) answers an
    array, one percentile per fraction."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.values: list[Any] = []
        self.fraction: Any = None
        self.descending = False
        self.oid = 0

    def step(self, fraction: Any, descending: Any, oid: Any, value: Any) -> None:
        self.fraction = fraction
        self.descending = bool(descending)
        self.oid = int(oid)
        if value is not None:
            self.values.append(value)

    def final(self) -> Any:
        if self.kind == "mode":
            return self._mode()
        if isinstance(self.fraction, str) and self.fraction.startswith("["):
            fractions = [None if f is None else _fraction(f) for f in json.loads(self.fraction)]
            if not self.values:
                return None
            values = self._sorted()
            return json.dumps([None if f is None else self._percentile(values, f)
                               for f in fractions])
        if self.fraction is None:
            return None
        fraction = _fraction(self.fraction)
        return self._percentile(self._sorted(), fraction) if self.values else None

    def _sorted(self) -> list[Any]:
        return sorted(self.values, key=_sort_key(self.oid), reverse=self.descending)

    def _mode(self) -> Any:
        if not self.values:
            return None
        key = _sort_key(self.oid)
        values = self._sorted()
        # mode_final(): a run of equal values is represented by its first value
        best, best_count, run, first = values[0], 0, 0, values[0]
        for v in values:
            if run and key(v) == key(first):
                run += 1
            else:
                first, run = v, 1
            if run > best_count:
                best, best_count = first, run
        return best

    def _percentile(self, values: list[Any], fraction: float) -> Any:
        n = len(values)
        if self.kind == "disc":
            return values[max(math.ceil(fraction * n), 1) - 1]
        pos = fraction * (n - 1)
        lo, hi = math.floor(pos), math.ceil(pos)
        if self.oid == T.INTERVAL:
            return values[lo] if lo == hi else _interval_lerp(values[lo], values[hi], pos - lo)
        first = float_value(values[lo])
        if lo == hi:
            return float_storage(first)
        second = float_value(values[hi])
        return float_storage(first + (pos - lo) * (second - first))


def _fraction(value: Any) -> float:
    f = float_value(value)
    if not 0.0 <= f <= 1.0:
        raise PgError(OUT_OF_RANGE, f"percentile value {f:g} is not between 0 and 1")
    return f


def _interval_lerp(lo: str, hi: str, fraction: float) -> str:
    """interval_lerp(): lo + (hi - lo) * fraction, with interval arithmetic."""
    lm, ld, lu = timestamps.interval_parts(lo)
    hm, hd, hu = timestamps.interval_parts(hi)
    step = timestamps.interval_mul(timestamps.interval_text(hm - lm, hd - ld, hu - lu), fraction)
    sm, sd, su = timestamps.interval_parts(step)
    return timestamps.interval_text(lm + sm, ld + sd, lu + su)


def _sort_key(oid: int) -> Callable[[Any], Any]:
    """The sort order of a type's stored values (NaN last among numbers)."""
    if oid == T.NUMERIC:
        return lambda v: numeric.compare_key(v)
    if oid in (T.FLOAT4, T.FLOAT8):
        return lambda v: _float_key(float_value(v))
    if oid == T.INTERVAL:
        def interval_key(v: Any) -> int:
            months, days, micros = timestamps.interval_parts(v)
            return (months * 30 + days) * 86_400_000_000 + micros
        return interval_key
    return lambda v: v


def register(conn: apsw.Connection, ctx: Any) -> None:
    """The functions and aggregates above, on one connection (after ``arithmetic`` and
    ``aggregates``, whose definitions of the same names they replace)."""
    flags = apsw.SQLITE_DETERMINISTIC

    def f(name: str, fn: Callable[..., Any], nargs: int) -> None:
        conn.create_scalar_function(name, fn, nargs, flags=flags)

    for op, name in (("+", "add"), ("-", "sub"), ("*", "mul"), ("/", "div")):
        f(f"pg_float8_{name}", _float_op(op, False), 2)
        f(f"pg_float4_{name}", _float_op(op, True), 2)
    f("pg_float_neg", _float_neg, 1)
    f("pg_float_abs", _float_abs, 1)
    f("sqrt", _float_math(math.sqrt, _check_sqrt), 1)
    f("exp", _float_math(_exp), 1)
    f("ln", _float_math(_ln, _check_log), 1)
    f("log10", _float_math(_log10, _check_log), 1)
    f("pg_float_log10", _float_math(_log10, _check_log), 1)
    f("cbrt", _float_math(_cbrt), 1)
    f("pow", _float_power, 2)
    f("pg_float_round", _float_round, -1)
    f("pg_float_greatest", _float_greatest, -1)
    f("pg_float_ceil", _float_unary(math.ceil), 1)
    f("pg_float_floor", _float_unary(math.floor), 1)
    f("pg_float_sign", _float_unary(_sign), 1)
    f("pg_num_float8", lambda v: None if v is None else float_storage(float_value(v)), 1)
    f("pg_int8_abs", _abs, 1)
    f("pg_idiv", _int_divide, 2)
    f("pg_int_check", _int_check, 2)
    f("min_scale", _min_scale, 1)
    f("pg_width_bucket_array", _width_bucket_array, 2)
    f("atan2", _atan2, 2)
    for name, fn, lo, hi in (("sin", math.sin, -math.inf, math.inf),
                             ("cos", math.cos, -math.inf, math.inf),
                             ("tan", math.tan, -math.inf, math.inf),
                             ("asin", math.asin, -1.0, 1.0), ("acos", math.acos, -1.0, 1.0),
                             ("atan", math.atan, -math.inf, math.inf),
                             ("degrees", math.degrees, -math.inf, math.inf),
                             ("radians", math.radians, -math.inf, math.inf)):
        f(name, _trig(fn, lo, hi), 1)
    f("pg_float_least", _float_least, -1)
    f("pg_int4_shl", _shift(32, True), 2)
    f("pg_int4_shr", _shift(32, False), 2)
    f("pg_int2_shl", _shift(16, True), 2)
    f("pg_int2_shr", _shift(16, False), 2)
    f("pg_float_trunc", _float_trunc, -1)
    f("pg_num_exp", num_exp, 1)
    f("pg_num_ln", num_ln, 1)
    f("pg_num_log", num_log, -1)
    f("pg_num_power", num_power, 2)
    f("gcd", _gcd, 2)
    f("lcm", _lcm, 2)
    f("factorial", _factorial, 1)
    f("width_bucket", _width_bucket, 4)
    windows: list[tuple[str, type[_Window], str]] = [
        (f"bit_{op}", _BitAgg, op) for op in ("and", "or", "xor")]
    for name, kind in (("stddev", "stddev_samp"), ("stddev_samp", "stddev_samp"),
                       ("stddev_pop", "stddev_pop"), ("variance", "var_samp"),
                       ("var_samp", "var_samp"), ("var_pop", "var_pop")):
        windows += [(name, _FloatStat, kind), (f"pg_num_{name}", _NumericStat, kind)]
    windows += [(f"pg_float_{kind}", _FloatSum, kind) for kind in ("sum", "sum4", "avg")]
    for name, cls, kind in windows:
        # Plain aggregates keep no rows; the translator calls NAME_window under OVER (...).
        conn.create_aggregate_function(name, _plain(cls, kind))
        conn.create_window_function(f"{name}_window", functools.partial(cls, kind), 1)
    for kind in REGRESSIONS:
        conn.create_aggregate_function(kind, _plain_regression(kind))
        conn.create_window_function(f"{kind}_window", functools.partial(_Regression, kind), 2)
    conn.create_window_function("pg_bool_and_window", functools.partial(_BoolAgg, "and"), 1)
    conn.create_window_function("pg_bool_or_window", functools.partial(_BoolAgg, "or"), 1)
    for kind in ("cont", "disc"):
        conn.create_aggregate_function(f"pg_percentile_{kind}", _factory(_Ordered, kind))
    conn.create_aggregate_function("pg_mode", _factory(_Ordered, "mode"))


def _plain(cls: type[_Window], kind: str) -> Callable[[], tuple[Any, Any, Any]]:
    """An apsw aggregate factory folding each non-NULL value in, without keeping it."""

    def make() -> tuple[Any, Any, Any]:
        agg = cls(kind)
        add = agg.add

        def step(_: Any, value: Any) -> None:
            if value is not None:
                add(value)

        return None, step, lambda _: agg.result()

    return make


def _factory(cls: Callable[[str], Any], kind: str) -> Callable[[], tuple[Any, Any, Any]]:
    """An apsw aggregate factory: a fresh ``cls(kind)`` per group."""

    def make() -> tuple[Any, Any, Any]:
        agg = cls(kind)
        return None, lambda _, *args: agg.step(*args), lambda _: agg.final()

    return make
