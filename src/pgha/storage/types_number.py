"""Codecs of bool, the integer and oid family, float4/float8 and numeric.

Storage: bool is int 0/1; integers and oids are int; floats are float (float4 values are held
as the double nearest the single-precision value, i.e. exactly), except NaN, which is the text
'NaN' (SQLite turns a NaN REAL into NULL; as text it still compares equal to itself and above
every number, as PostgreSQL orders it); numeric is its canonical
decimal text (numeric_out's form, display scale kept: '12.50'), exact at any size -- arithmetic
and ordering on it live in pgha.storage.numeric. Text forms follow PostgreSQL 15's input/output
functions (src/backend/utils/adt/{bool,int,int8,oid,float,numeric}.c).
"""

from __future__ import annotations

import math
import re
import struct
from decimal import ROUND_HALF_UP, Context, Decimal, InvalidOperation
from typing import Any

from pgha.storage.types_codec import Codec, bad_binary, cannot_coerce, invalid_syntax
from pgha.wire.errors import InvalidBinaryRepresentation, NumericValueOutOfRange

_INT_RE = re.compile(r"[ \t\n\r\v\f]*[+-]?[0-9]+[ \t\n\r\v\f]*\Z")
_FLOAT_RE = re.compile(
    r"[ \t\n\r\v\f]*([+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)[ \t\n\r\v\f]*\Z"
)
# strtod also reads C99 hexadecimal floats ('0x10', '0x1.8p3').
_HEX_FLOAT_RE = re.compile(
    r"[ \t\n\r\v\f]*([+-]?0[xX](?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)(?:[pP][+-]?[0-9]+)?)"
    r"[ \t\n\r\v\f]*\Z"
)
_FLOAT_SPECIAL = {
    "nan": math.nan,
    "+nan": math.nan,
    "-nan": math.nan,
    "inf": math.inf,
    "+inf": math.inf,
    "infinity": math.inf,
    "+infinity": math.inf,
    "-inf": -math.inf,
    "-infinity": -math.inf,
}
_WS = " \t\n\r\v\f"

# ---------------------------------------------------------------------------------- bool


def _bool_in(text: str, typmod: int, tz: str) -> int:
    # boolin/parse_bool_with_len: any unambiguous prefix of true/false/yes/no, on/off (at
    # least two letters), 1/0; surrounding whitespace ignored, case ignored.
    s = text.strip(_WS).lower()
    n = len(s)
    if n:
        c = s[0]
        if (c == "t" and "true".startswith(s)) or (c == "y" and "yes".startswith(s)):
            return 1
        if (c == "f" and "false".startswith(s)) or (c == "n" and "no".startswith(s)):
            return 0
        if c == "o" and n >= 2:
            if "on".startswith(s):
                return 1
            if "off".startswith(s):
                return 0
        if s == "1":
            return 1
        if s == "0":
            return 0
    raise invalid_syntax("boolean", text)


def _bool_out(value: Any, typmod: int, tz: str) -> str:
    return "t" if value else "f"


def _bool_recv(data: bytes, typmod: int) -> int:
    if len(data) != 1:
        raise bad_binary()
    return 1 if data[0] else 0


def _bool_send(value: Any, typmod: int) -> bytes:
    return b"\x01" if value else b"\x00"


def _bool_coerce(value: Any, typmod: int) -> int:
    if isinstance(value, int | float):
        return 1 if value else 0
    if isinstance(value, str):
        return _bool_in(value, typmod, "UTC")
    raise cannot_coerce(value, "boolean")


BOOL = Codec(_bool_in, _bool_out, _bool_recv, _bool_send, _bool_coerce)

# ------------------------------------------------------------------------------ integers


def _int_codec(sql_name: str, short: str, fmt: str, lo: int, hi: int) -> Codec:
    """int2/int4/int8 and the unsigned oid family differ only in these parameters."""
    packer = struct.Struct(fmt)
    size = packer.size
    pack, unpack = packer.pack, packer.unpack

    def text_in(text: str, typmod: int, tz: str) -> int:
        if _INT_RE.match(text) is None:
            raise invalid_syntax(sql_name, text)
        v = int(text)
        if v < lo or v > hi:
            raise NumericValueOutOfRange(
                f'value "{text}" is out of range for type {sql_name}'
            )
        return v

    def text_out(value: Any, typmod: int, tz: str) -> str:
        if value.__class__ is int:
            return str(value)
        return str(coerce(value, typmod))

    def recv(data: bytes, typmod: int) -> int:
        if len(data) != size:
            raise bad_binary()
        return int(unpack(data)[0])

    def send(value: Any, typmod: int) -> bytes:
        try:
            return pack(value)
        except (struct.error, TypeError):
            return pack(coerce(value, typmod))

    def coerce(value: Any, typmod: int) -> int:
        if isinstance(value, int):
            v = int(value)
        elif isinstance(value, float):
            if math.isnan(value) or math.isinf(value):
                raise NumericValueOutOfRange(f"{short} out of range")
            v = round(value)  # rint(): half to even, as float8 -> int casts do
        elif isinstance(value, str):
            return text_in(value, typmod, "UTC")
        else:
            raise cannot_coerce(value, sql_name)
        if v < lo or v > hi:
            raise NumericValueOutOfRange(f"{short} out of range")
        return v

    return Codec(text_in, text_out, recv, send, coerce)


INT2 = _int_codec("smallint", "smallint", "!h", -(2**15), 2**15 - 1)
INT4 = _int_codec("integer", "integer", "!i", -(2**31), 2**31 - 1)
INT8 = _int_codec("bigint", "bigint", "!q", -(2**63), 2**63 - 1)


def _oid_codec(sql_name: str) -> Codec:
    """oid, xid and the reg* types: uint32 stored as int. oidin (strtoul) also takes
    negative input down to -2^31 and wraps it, as PostgreSQL does. The reg* types print the
    number: looking up the name (``'pg_class'``) is the catalog's job, not the codec's."""
    base = _int_codec(sql_name, "OID", "!I", -(2**31), 2**32 - 1)

    def text_in(text: str, typmod: int, tz: str) -> int:
        return int(base.text_in(text, typmod, tz)) & 0xFFFFFFFF

    def coerce(value: Any, typmod: int) -> int:
        return int(base.coerce(value, typmod)) & 0xFFFFFFFF

    return Codec(text_in, base.text_out, base.bin_in, base.bin_out, coerce)


OID = _oid_codec("oid")
XID = _oid_codec("xid")

# -------------------------------------------------------------------------------- floats


def _float_parse(text: str, sql_name: str) -> float:
    m = _FLOAT_RE.match(text)
    if m is None:
        special = _FLOAT_SPECIAL.get(text.strip(_WS).lower())
        if special is not None:
            return special
        hexm = _HEX_FLOAT_RE.match(text)
        if hexm is None:
            raise invalid_syntax(sql_name, text)
        try:
            return float.fromhex(hexm.group(1))
        except OverflowError:
            raise NumericValueOutOfRange(
                f'"{text}" is out of range for type {sql_name}'
            ) from None
    v = float(m.group(1))
    if math.isinf(v) or (v == 0.0 and any(c in "123456789" for c in m.group(1).split("e")[0])):
        # strtod's ERANGE: overflow, or underflow all the way to zero.
        raise NumericValueOutOfRange(f'"{text}" is out of range for type {sql_name}')
    return v


def _shortest_format(digits: str, exp: int, negative: bool, max_fixed: int) -> str:
    """PostgreSQL's float output (float.c, Ryu based; extra_float_digits >= 1): the shortest
    digits that round-trip, fixed notation when -4 <= exponent < 15 (float8) / 6 (float4),
    else ``d.ddde+XX``. ``digits`` has no leading or trailing zeros; value = d.ddd * 10^exp."""
    sign = "-" if negative else ""
    if -4 <= exp < max_fixed:
        if exp < 0:
            return f"{sign}0.{'0' * (-exp - 1)}{digits}"
        if len(digits) <= exp + 1:
            return sign + digits + "0" * (exp + 1 - len(digits))
        return f"{sign}{digits[: exp + 1]}.{digits[exp + 1 :]}"
    mant = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
    return f"{sign}{mant}e{'-' if exp < 0 else '+'}{abs(exp):02d}"


def _split_sci(s: str) -> tuple[str, int]:
    """'1.2345e+06' -> ('12345', 6), digits stripped of trailing zeros."""
    mant, _, e = s.partition("e")
    digits = mant.replace(".", "").rstrip("0") or "0"
    return digits, int(e)


def _special_float(value: float) -> str:
    if value != value:
        return "NaN"
    return "Infinity" if value > 0 else "-Infinity"


FLOAT_NAN = "NaN"  # the storage of a float NaN (see the module docstring)


def float_storage(value: float) -> float | str:
    """A computed float as pgha stores it: NaN becomes FLOAT_NAN."""
    return FLOAT_NAN if value != value else value


def float_value(value: Any) -> float:
    """The float of a stored float (FLOAT_NAN included), integer or numeric text."""
    if value.__class__ is float:
        return float(value)
    if isinstance(value, int):
        return float(value)
    if isinstance(value, str):
        if value == FLOAT_NAN:
            return math.nan
        if _NUMERIC_TEXT.match(value):  # numeric's canonical text, the common case
            return float(value)
        return _float_parse(value, "double precision")
    raise cannot_coerce(value, "double precision")


_NUMERIC_TEXT = re.compile(r"-?[0-9]+(?:\.[0-9]+)?\Z|-?Infinity\Z")


def float8_out(value: Any, typmod: int = -1, tz: str = "UTC") -> str:
    """float8out; Python's repr is already the shortest round-trip form."""
    if value.__class__ is not float:
        value = float_value(value)
    r = repr(value)
    if 4503599627370496.0 <= abs(value) < math.inf and _float8_midpoint(r, value):
        r = _float8_not_midpoint(value)
    if "e" in r:
        return r
    if r[-1] in "fn":  # inf, nan
        return _special_float(value)
    if -1e15 < value < 1e15:
        return r[:-2] if r.endswith(".0") else r
    return _float8_big(value)


def _float8_midpoint(s: str, value: float) -> bool:
    """Is decimal ``s`` exactly halfway between ``value`` and a neighbouring double? Python's
    repr then counts on round-half-even to read it back; Ryu (float8out) takes one more digit.
    Only doubles from 2^52 up have midpoints short enough to be a shortest repr."""
    d = Decimal(s)
    exact = Decimal(value)
    for neighbour in (math.nextafter(value, -math.inf), math.nextafter(value, math.inf)):
        if math.isfinite(neighbour) and _EXACT_MID.divide(
                _EXACT_MID.add(exact, Decimal(neighbour)), 2) == d:
            return True
    return False


def _float8_not_midpoint(value: float) -> str:
    for p in range(1, 17):
        s = f"{value:.{p}e}"
        if float(s) == value and not _float8_midpoint(s, value):
            digits, exp = _split_sci(s.lstrip("-"))
            return _shortest_format(digits, exp, value < 0, 15)
    return f"{value:.16e}"


def _float8_big(value: float) -> str:
    # 1e15 <= |value| < 1e16: repr is fixed ('1234567890123456.8'); PostgreSQL wants exponent.
    whole, _, fraction = repr(abs(value)).partition(".")
    digits = (whole + fraction).rstrip("0")
    return _shortest_format(digits, len(whole) - 1, value < 0, 15)


_F4 = struct.Struct("!f")


def _to_float4(value: float) -> float:
    try:
        return float(_F4.unpack(_F4.pack(value))[0])
    except OverflowError:
        raise NumericValueOutOfRange("value out of range: overflow") from None


def float4_out(value: Any, typmod: int = -1, tz: str = "UTC") -> str:
    """float4out: the shortest digits that round-trip through single precision."""
    if value.__class__ is not float:
        value = float_value(value)
    if value != value or value in (math.inf, -math.inf):
        return _special_float(value)
    if value == 0.0:
        return "-0" if math.copysign(1.0, value) < 0 else "0"
    pack = _F4.pack
    target = pack(value)
    for p in range(9):
        s = f"{value:.{p}e}"
        if pack(float(s)) == target and not _float4_midpoint(s, target):
            break
    digits, exp = _split_sci(s.lstrip("-"))
    return _shortest_format(digits, exp, value < 0, 6)


_EXACT_MID = Context(prec=200)  # float4 values and their midpoints are exact within this


def _float4_midpoint(s: str, target: bytes) -> bool:
    """Is decimal ``s`` exactly halfway between the float4 ``target`` and a neighbour? Ryu
    (float4out) does not take such a string as round-tripping, though strtof's ties-to-even
    would read it back as ``target``: 36175248 prints 3.6175248e+07, not 3.617525e+07."""
    bits = int.from_bytes(target, "big")
    exact = Decimal(_F4.unpack(target)[0])
    d = Decimal(s)
    for neighbour in (bits - 1, bits + 1):
        if not 0 <= neighbour < 2**32:
            continue
        other = _F4.unpack(neighbour.to_bytes(4, "big"))[0]
        if math.isfinite(other) and _EXACT_MID.divide(_EXACT_MID.add(exact, Decimal(other)),
                                                      2) == d:
            return True
    return False


def _float8_in(text: str, typmod: int, tz: str) -> float | str:
    return float_storage(_float_parse(text, "double precision"))


def _float4_in(text: str, typmod: int, tz: str) -> float | str:
    v = _float_parse(text, "real")
    if v != v:
        return FLOAT_NAN
    try:
        f = float(_F4.unpack(_F4.pack(v))[0])
    except OverflowError:
        f = math.inf
    if (math.isinf(f) and not math.isinf(v)) or (f == 0.0 and v != 0.0):
        raise NumericValueOutOfRange(f'"{text}" is out of range for type real')
    return f


def _float8_coerce(value: Any, typmod: int) -> float | str:
    if isinstance(value, int | float):
        return float_storage(float(value))
    if isinstance(value, str):
        return _float8_in(value, typmod, "UTC")
    raise cannot_coerce(value, "double precision")


def _float4_coerce(value: Any, typmod: int) -> float | str:
    if isinstance(value, int | float):
        return float_storage(_to_float4(float(value)))
    if isinstance(value, str):
        return _float4_in(value, typmod, "UTC")
    raise cannot_coerce(value, "real")


_F8 = struct.Struct("!d")


def _float8_recv(data: bytes, typmod: int) -> float | str:
    if len(data) != 8:
        raise bad_binary()
    return float_storage(float(_F8.unpack(data)[0]))


def _float4_recv(data: bytes, typmod: int) -> float | str:
    if len(data) != 4:
        raise bad_binary()
    return float_storage(float(_F4.unpack(data)[0]))


def _float8_send(value: Any, typmod: int) -> bytes:
    return _F8.pack(value if value.__class__ is float else float_value(value))


def _float4_send(value: Any, typmod: int) -> bytes:
    return _F4.pack(value if value.__class__ is float else _to_float4(float_value(value)))


FLOAT8 = Codec(_float8_in, float8_out, _float8_recv, _float8_send, _float8_coerce)
FLOAT4 = Codec(_float4_in, float4_out, _float4_recv, _float4_send, _float4_coerce)

# ------------------------------------------------------------------------------- numeric

_NUMERIC_RE = re.compile(
    r"[ \t\n\r\v\f]*([+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)[ \t\n\r\v\f]*\Z"
)
_NUMERIC_SPECIAL = {
    "nan": Decimal("NaN"),
    "infinity": Decimal("Infinity"),
    "+infinity": Decimal("Infinity"),
    "inf": Decimal("Infinity"),
    "+inf": Decimal("Infinity"),
    "-infinity": Decimal("-Infinity"),
    "-inf": Decimal("-Infinity"),
}
# Wide enough that quantizing a legal numeric (131072 + 16383 digits) never rounds or raises.
_WIDE = Context(prec=300_000, Emax=999_999, Emin=-999_999)
NUMERIC_PLAIN = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?\Z|NaN\Z|-?Infinity\Z")


def numeric_typmod_parts(typmod: int) -> tuple[int, int]:
    """(precision, scale) of a numeric typmod ((p << 16) | (s & 0x7ff)) + 4; scale may be
    negative (PostgreSQL 15)."""
    t = typmod - 4
    scale = t & 0x7FF
    return (t >> 16) & 0xFFFF, scale - 0x800 if scale & 0x400 else scale


def numeric_apply_typmod(d: Decimal, typmod: int) -> Decimal:
    """apply_typmod(): round half away from zero to the scale, then check the precision."""
    if typmod < 4:
        return d
    precision, scale = numeric_typmod_parts(typmod)
    if d.is_nan():
        return d
    if d.is_infinite():
        raise NumericValueOutOfRange(
                                     "numeric field overflow",
                                     detail=f"A field with precision {precision}, scale {scale} "
                                     "cannot hold an infinite value.",
        )
    d = d.quantize(Decimal(1).scaleb(-scale), rounding=ROUND_HALF_UP, context=_WIDE)
    if d and d.adjusted() >= precision - scale:
        raise NumericValueOutOfRange(
            "numeric field overflow",
            detail=f"A field with precision {precision}, scale {scale} "
            f"must round to an absolute value less than 10^{precision - scale}.",
        )
    return d


def numeric_parse(text: str) -> Decimal:
    """numeric_in's syntax, without typmod: the exact decimal, scale kept."""
    m = _NUMERIC_RE.match(text)
    if m is None:
        special = _NUMERIC_SPECIAL.get(text.strip(_WS).lower())
        if special is None:
            raise invalid_syntax("numeric", text)
        return special
    return Decimal(m.group(1))


def numeric_text(d: Decimal) -> str:
    """numeric_out: plain notation, scale kept, never an exponent, no negative zero."""
    if not d.is_finite():
        return "NaN" if d.is_nan() else ("Infinity" if d > 0 else "-Infinity")
    if d.as_tuple().exponent > 0:  # type: ignore[operator]
        d = d.quantize(Decimal(1), context=_WIDE)
    s = format(d, "f")
    if not d and s[0] == "-":
        s = s[1:]
    return s


def storage_to_decimal(value: Any) -> Decimal:
    """The exact Decimal of a stored numeric (text), or of an SQLite integer or real."""
    if value.__class__ is str:
        try:
            return Decimal(value)
        except InvalidOperation:
            return numeric_parse(value)  # 22P02, worded as numeric_in words it
    if value.__class__ is int:
        return Decimal(value)
    if value != value or value in (math.inf, -math.inf):
        return Decimal(repr(value).replace("inf", "Infinity"))
    # float8 -> numeric as PostgreSQL converts it: DBL_DIG (15) significant digits.
    return Decimal(f"{value:.15g}")


def _numeric_in(text: str, typmod: int, tz: str) -> str:
    return numeric_text(numeric_apply_typmod(numeric_parse(text), typmod))


def numeric_out(value: Any, typmod: int = -1, tz: str = "UTC") -> str:
    """numeric_out for a storage value (canonical text; an integer or real where a value was
    computed outside pgha's numeric functions); with a typmod, exactly its scale's decimals."""
    plain = value.__class__ is int or (value.__class__ is str and NUMERIC_PLAIN.match(value))
    if typmod < 4 and plain:
        return str(value)
    d = storage_to_decimal(value)
    if typmod >= 4 and d.is_finite():
        _, scale = numeric_typmod_parts(typmod)
        d = d.quantize(Decimal(1).scaleb(-scale), rounding=ROUND_HALF_UP, context=_WIDE)
    return numeric_text(d)


def _numeric_coerce(value: Any, typmod: int) -> str:
    if isinstance(value, str):
        return _numeric_in(value, typmod, "UTC")
    if isinstance(value, int | float):
        return numeric_text(numeric_apply_typmod(storage_to_decimal(value), typmod))
    raise cannot_coerce(value, "numeric")


# Binary numeric (numeric_send/numeric_recv): int16 ndigits, int16 weight, uint16 sign,
# int16 dscale, then ndigits base-10000 digits, most significant first.
_NUMERIC_POS, _NUMERIC_NEG, _NUMERIC_NAN = 0x0000, 0x4000, 0xC000
_NUMERIC_PINF, _NUMERIC_NINF = 0xD000, 0xF000
_HDR = struct.Struct("!hhHh")


def numeric_send_text(s: str) -> bytes:
    """The binary form of a numeric given in numeric_out's text form."""
    if s == "NaN":
        return _HDR.pack(0, 0, _NUMERIC_NAN, 0)
    # PostgreSQL 15 sends the infinities with dscale 32 (the header bits it reads back).
    if s == "Infinity":
        return _HDR.pack(0, 0, _NUMERIC_PINF, 32)
    if s == "-Infinity":
        return _HDR.pack(0, 0, _NUMERIC_NINF, 32)
    sign = _NUMERIC_NEG if s[0] == "-" else _NUMERIC_POS
    ipart, _, fpart = s.lstrip("-").partition(".")
    dscale = len(fpart)
    ipart = ipart.lstrip("0")
    ipart = "0" * (-len(ipart) % 4) + ipart
    fpart = fpart + "0" * (-len(fpart) % 4)
    groups = [int(ipart[i : i + 4]) for i in range(0, len(ipart), 4)]
    weight = len(groups) - 1
    groups += [int(fpart[i : i + 4]) for i in range(0, len(fpart), 4)]
    lead = 0
    while lead < len(groups) and groups[lead] == 0:
        lead += 1
    weight -= lead
    groups = groups[lead:]
    while groups and groups[-1] == 0:
        groups.pop()
    if not groups:
        weight, sign = 0, _NUMERIC_POS
    return _HDR.pack(len(groups), weight, sign, dscale) + struct.pack(f"!{len(groups)}H", *groups)


def numeric_recv_decimal(data: bytes) -> Decimal:
    """Decode numeric_send's format to an exact Decimal carrying dscale decimals."""
    if len(data) < 8:
        raise bad_binary()
    ndigits, weight, sign, dscale = _HDR.unpack_from(data)
    if ndigits < 0 or len(data) != 8 + 2 * ndigits:
        raise bad_binary()
    if sign == _NUMERIC_NAN:
        return Decimal("NaN")
    if sign == _NUMERIC_PINF:
        return Decimal("Infinity")
    if sign == _NUMERIC_NINF:
        return Decimal("-Infinity")
    if sign not in (_NUMERIC_POS, _NUMERIC_NEG) or dscale < 0:
        raise InvalidBinaryRepresentation('invalid sign in external "numeric" value')
    digits = struct.unpack_from(f"!{ndigits}H", data, 8)
    if any(g >= 10000 for g in digits):
        raise InvalidBinaryRepresentation('invalid digit in external "numeric" value')
    n = 0
    for g in digits:
        n = n * 10000 + g
    try:
        d = Decimal(-n if sign == _NUMERIC_NEG else n).scaleb(4 * (weight - ndigits + 1), _WIDE)
        return d.quantize(Decimal(1).scaleb(-dscale), rounding=ROUND_HALF_UP, context=_WIDE)
    except InvalidOperation as exc:
        raise bad_binary() from exc


def _numeric_recv(data: bytes, typmod: int) -> str:
    return numeric_text(numeric_apply_typmod(numeric_recv_decimal(data), typmod))


def _numeric_send(value: Any, typmod: int) -> bytes:
    return numeric_send_text(numeric_out(value, typmod))


NUMERIC = Codec(_numeric_in, numeric_out, _numeric_recv, _numeric_send, _numeric_coerce)
