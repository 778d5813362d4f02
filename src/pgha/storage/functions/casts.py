"""Casts between storage values (``pg_cast``, ``pg_cast_explicit``): PostgreSQL's rules on
pgha's storage forms, and the text of a storage value (``_text``) other families print with.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
from decimal import Decimal
from typing import Any

import apsw

from pgha.storage import numeric
from pgha.storage import oids as T
from pgha.storage import types as pgtypes
from pgha.storage.functions import datetimes as fn_datetime
from pgha.storage.functions import jsonb as fn_json
from pgha.storage.functions.context import FunctionContext, _ts_text, registrar
from pgha.storage.functions.timestamps import _parse_storage_ts, _zone
from pgha.wire.errors import FeatureNotSupported, NumericValueOutOfRange, UndefinedObject


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode()
    if isinstance(value, float) and value.is_integer():
        return str(int(value)) if abs(value) < 1e15 else repr(value)
    return str(value)


def cast_value(value: Any, src: int, dst: int, typmod: int, tz: str = "UTC") -> Any:
    """Convert a storage value of type ``src`` to type ``dst`` with PostgreSQL's cast rules."""
    return _cast(value, src, dst, typmod, tz)


def _cast(value: Any, src: int, dst: int, typmod: int, tz: str = "UTC") -> Any:
    if value is None:
        return None
    if src == T.JSONB and dst in fn_json.SCALAR_CASTS:
        src, value = fn_json.jsonb_scalar(value, dst)
    if dst in T.INTEGER_TYPES and src in (T.FLOAT4, T.FLOAT8) and isinstance(value, str):
        value = math.nan  # a stored float NaN: out of range for any integer
    if src in T.ELEMENT_OF and dst in T.ELEMENT_OF and src != dst and isinstance(value, str):
        # array to array: element by element ('{1.5}'::numeric[]::int[] rounds)
        from pgha.storage.functions import text_array as fn_textarr  # it imports this module

        return fn_textarr.cast_elements(value, lambda v: _cast(
            v, T.ELEMENT_OF[src], T.ELEMENT_OF[dst], typmod, tz), pgtypes.TYPES_BY_OID[dst])
    if src == T.BOOL and dst in T.INTEGER_TYPES:
        return 1 if value else 0
    if src == T.CHAR and dst == T.INT4:  # chartoi4: the first byte, as a signed char
        first = str(value).encode()[:1]
        return (first[0] - 256 if first[0] > 127 else first[0]) if first else 0
    if src == T.INT4 and dst == T.CHAR:  # i4tochar: the byte of that code
        if not -128 <= int(value) <= 127:
            raise NumericValueOutOfRange('"char" out of range')
        if int(value) < 0:
            raise FeatureNotSupported('a "char" with the high bit set is not supported')
        return chr(int(value)) if value else ""
    if src == T.NUMERIC and dst in T.INTEGER_TYPES:
        return pgtypes.coerce(pgtypes.TYPES_BY_OID[dst], numeric.to_integer(value), typmod)
    if dst in (T.REGPROC, T.REGPROCEDURE) and isinstance(value, str):
        from pgha.storage.functions import regproc  # it imports this module

        return (regproc.regproc_input if dst == T.REGPROC else regproc.regprocedure_input)(value)
    if dst == T.REGTYPE and isinstance(value, str):
        name = value.strip()
        return pgtypes.resolve_type(name.split(".")[-1:], [], []) [0].oid if " " not in name else (
            pgtypes.type_by_name(name) or _unknown_type(name)).oid
    if src in _OID_ALIASES and dst in _OID_ALIASES | {T.INT8, T.INT4}:
        return value
    if dst in (T.TEXT, T.VARCHAR, T.BPCHAR, T.NAME, T.CHAR):
        if src == T.BOOL:
            text = "true" if value else "false"
        elif src in (T.UNKNOWN, T.TEXT, T.VARCHAR, T.BPCHAR, T.NAME, T.CHAR):
            text = _text(value)
            if src == T.BPCHAR and dst != T.BPCHAR:
                text = text.rstrip(" ")  # char(n) to text: the trailing blanks go
        else:
            src_type = pgtypes.TYPES_BY_OID.get(src)
            text = pgtypes.format_text(src_type, value, -1, tz) if src_type else _text(value)
        if dst == T.BPCHAR and src == T.BPCHAR and typmod == -1:
            return text
        return pgtypes.parse_text(pgtypes.TYPES_BY_OID[dst], text, typmod, tz)
    target = pgtypes.TYPES_BY_OID.get(dst)
    if target is None:
        raise FeatureNotSupported(f"cast to type {dst} is not supported")
    if isinstance(value, str) and (
        src in T.TEXT_LIKE or src == T.UNKNOWN or not isinstance(value, int | float)
    ):
        if src in (T.JSON, T.JSONB) and dst in (T.JSON, T.JSONB):
            return pgtypes.parse_text(target, value, typmod, tz)
        if src in (T.TIMESTAMP, T.TIMESTAMPTZ, T.DATE) and dst in (
            T.TIMESTAMP,
            T.TIMESTAMPTZ,
            T.DATE,
            T.TIME,
        ):
            return fn_datetime.round_to_typmod(_datetime_cast(value, src, dst, tz), dst, typmod)
        if src not in T.TEXT_LIKE and src != T.UNKNOWN:
            src_type = pgtypes.TYPES_BY_OID.get(src)
            value = pgtypes.format_text(src_type, value, -1, tz) if src_type else value
        return pgtypes.parse_text(target, value, typmod, tz)
    if dst == T.BOOL and src in T.INTEGER_TYPES:
        return 1 if value else 0
    if dst in T.INTEGER_TYPES and isinstance(value, float):
        value = _round_half_even(value)
    if dst == T.NUMERIC and src == T.FLOAT4 and isinstance(value, float):
        value = f"{value:.6g}"  # float4_numeric() keeps FLT_DIG digits, float8 DBL_DIG
    return pgtypes.coerce(target, value, typmod)


def _cast_explicit(value: Any, src: int, dst: int, typmod: int, tz: str = "UTC") -> Any:
    if (
        value is not None
        and dst in (T.VARCHAR, T.BPCHAR)
        and typmod >= 4
        and isinstance(value, str)
        and src in T.TEXT_LIKE
    ):
        value = value[: typmod - 4]
    return _cast(value, src, dst, typmod, tz)


def _round_half_even(value: float) -> int:
    """float -> integer rounds half to even (rint())."""
    if math.isnan(value) or math.isinf(value):
        raise NumericValueOutOfRange("integer out of range")
    return int(Decimal(repr(value)).to_integral_value(rounding="ROUND_HALF_EVEN"))


_OID_ALIASES = frozenset({T.OID, T.REGTYPE, T.REGCLASS, T.REGPROC, T.REGPROCEDURE})


def _unknown_type(name: str) -> Any:
    raise UndefinedObject(f'type "{name}" does not exist')


@functools.lru_cache(maxsize=256)  # the same value cast row after row (now()::timestamp)
def _datetime_cast(value: str, src: int, dst: int, tz: str = "UTC") -> Any:
    if value in ("infinity", "-infinity"):
        return value
    moment = _parse_storage_ts(value)
    if src == T.DATE:
        moment = dt.datetime.combine(moment.date(), dt.time())
    if src == T.TIMESTAMPTZ and dst in (T.TIMESTAMP, T.DATE, T.TIME):
        moment = moment.replace(tzinfo=dt.UTC).astimezone(_zone(tz)).replace(tzinfo=None)
    elif src in (T.TIMESTAMP, T.DATE) and dst == T.TIMESTAMPTZ:
        moment = moment.replace(tzinfo=_zone(tz)).astimezone(dt.UTC).replace(tzinfo=None)
    if dst == T.DATE:
        return moment.date().isoformat()
    if dst == T.TIME:
        return _ts_text(moment.replace(tzinfo=dt.UTC))[11:]
    return _ts_text(moment.replace(tzinfo=dt.UTC))


def register(conn: apsw.Connection, ctx: FunctionContext) -> None:
    """The casts, reading the session time zone from ``ctx`` at call time."""
    f = registrar(conn)
    f("pg_cast", lambda v, src, dst, tm: _cast(v, src, dst, tm, ctx.tz), 4)
    f("pg_cast_explicit", lambda v, src, dst, tm: _cast_explicit(v, src, dst, tm, ctx.tz), 4)
