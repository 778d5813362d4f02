"""pgha's PostgreSQL type system: the type catalog, type-name resolution and the conversions
between storage values (what apsw stores in SQLite) and PostgreSQL's text and binary formats.

Invariants:
- Every type has one storage representation (see docs/types.md): bool/integers/oids -> int,
  floats -> float, numeric -> its canonical decimal str, character types/date/time/
  timestamp(tz)/interval/uuid/json/jsonb -> str, bytea -> bytes, arrays -> str holding a JSON
  array of element storage values. ``coerce`` brings any value SQLite produced to that
  representation.
- Conversions are pure functions; none sees SQL NULL (``None``), the caller handles it.
- Errors are ``PgError`` with PostgreSQL 15's SQLSTATE and message.

The per-row hot paths are the tables ``TEXT_OUT`` and ``BINARY_OUT`` (oid -> function of
``(value, typmod, tz)`` / ``(value, typmod)``); the functions below are thin wrappers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pgha.storage import types_number as num
from pgha.storage import types_text as txt
from pgha.storage.types_array import (
    array_codec,
    bytes_from_json,
    bytes_to_json,
    float_from_json,
    float_to_json,
)
from pgha.storage.types_codec import BinIn, BinOut, Codec, Coerce, Storage, TextIn, TextOut
from pgha.storage.types_datetime import DATE, TIME, TIMESTAMP, TIMESTAMPTZ
from pgha.storage.types_interval import DAY as _IDAY
from pgha.storage.types_interval import FULL_PRECISION, FULL_RANGE, INTERVAL
from pgha.storage.types_interval import HOUR as _IHOUR
from pgha.storage.types_interval import MINUTE as _IMINUTE
from pgha.storage.types_interval import MONTH as _IMONTH
from pgha.storage.types_interval import SECOND as _ISECOND
from pgha.storage.types_interval import YEAR as _IYEAR
from pgha.wire.errors import (
    FeatureNotSupported,
    InvalidParameterValue,
    PgError,
    SqlSyntaxError,
    UndefinedObject,
)

__all__ = [
    "BINARY_IN",
    "BINARY_OUT",
    "COERCE",
    "TEXT_IN",
    "TEXT_OUT",
    "TYPES_BY_OID",
    "PgType",
    "Storage",
    "coerce",
    "decode_binary",
    "encode_binary",
    "format_text",
    "format_type",
    "parse_text",
    "resolve_type",
    "type_by_name",
]

UNDEFINED_OBJECT = "42704"
SYNTAX_ERROR = "42601"


@dataclass(frozen=True, slots=True)
class PgType:
    """One pg_type row, as much of it as pgha needs."""

    oid: int
    name: str  # pg_type.typname: 'int4', 'varchar', '_int4'
    typlen: int
    array_oid: int  # pg_type.typarray, 0 for arrays themselves
    elem_oid: int  # pg_type.typelem of arrays, else 0
    category: str  # pg_type.typcategory
    sqlite_decl: str  # column type for SQLite DDL, chosen for its affinity
    sql_name: str  # format_type() without modifiers: 'integer', 'character varying'
    takes_typmod: bool = False

    @property
    def is_array(self) -> bool:
        return self.elem_oid != 0


# oid, typname, typlen, array oid, category, SQLite column type, format_type name, typmod?, codec
_SCALARS: tuple[tuple[int, str, int, int, str, str, str, bool, Codec], ...] = (
    (16, "bool", 1, 1000, "B", "INTEGER", "boolean", False, num.BOOL),
    (17, "bytea", -1, 1001, "U", "BLOB", "bytea", False, txt.BYTEA),
    (18, "char", 1, 1002, "Z", "TEXT", '"char"', False, txt.CHAR),
    (19, "name", 64, 1003, "S", "TEXT", "name", False, txt.NAME),
    (20, "int8", 8, 1016, "N", "INTEGER", "bigint", False, num.INT8),
    (21, "int2", 2, 1005, "N", "INTEGER", "smallint", False, num.INT2),
    (23, "int4", 4, 1007, "N", "INTEGER", "integer", False, num.INT4),
    (24, "regproc", 4, 1008, "N", "INTEGER", "regproc", False, num.OID),
    (25, "text", -1, 1009, "S", "TEXT", "text", False, txt.TEXT),
    (26, "oid", 4, 1028, "N", "INTEGER", "oid", False, num.OID),
    (28, "xid", 4, 1011, "U", "INTEGER", "xid", False, num.XID),
    (114, "json", -1, 199, "U", "TEXT", "json", False, txt.JSON),
    (700, "float4", 4, 1021, "N", "REAL", "real", False, num.FLOAT4),
    (701, "float8", 8, 1022, "N", "REAL", "double precision", False, num.FLOAT8),
    (705, "unknown", -2, 0, "X", "TEXT", "unknown", False, txt.TEXT),
    (1042, "bpchar", -1, 1014, "S", "TEXT", "bpchar", True, txt.BPCHAR),
    (1043, "varchar", -1, 1015, "S", "TEXT", "character varying", True, txt.VARCHAR),
    (1082, "date", 4, 1182, "D", "TEXT", "date", False, DATE),
    (1083, "time", 8, 1183, "D", "TEXT", "time without time zone", True, TIME),
    (1114, "timestamp", 8, 1115, "D", "TEXT", "timestamp without time zone", True, TIMESTAMP),
    (1184, "timestamptz", 8, 1185, "D", "TEXT", "timestamp with time zone", True, TIMESTAMPTZ),
    (1186, "interval", 16, 1187, "T", "TEXT", "interval", True, INTERVAL),
    (1700, "numeric", -1, 1231, "N", "TEXT COLLATE pg_numeric", "numeric", True, num.NUMERIC),
    (2202, "regprocedure", 4, 2207, "N", "INTEGER", "regprocedure", False, num.OID),
    (2205, "regclass", 4, 2210, "N", "INTEGER", "regclass", False, num.OID),
    (2206, "regtype", 4, 2211, "N", "INTEGER", "regtype", False, num.OID),
    (2950, "uuid", 16, 2951, "U", "TEXT", "uuid", False, txt.UUID),
    (3802, "jsonb", -1, 3807, "U", "TEXT", "jsonb", False, txt.JSONB),
    (4089, "regnamespace", 4, 4090, "N", "INTEGER", "regnamespace", False, num.OID),
    (4096, "regrole", 4, 4097, "N", "INTEGER", "regrole", False, num.OID),
)

_JSON_ADAPTERS = {
    17: (bytes_to_json, bytes_from_json),
    700: (float_to_json, float_from_json),
    701: (float_to_json, float_from_json),
}


def _build() -> tuple[dict[int, PgType], dict[int, Codec]]:
    types: dict[int, PgType] = {}
    codecs: dict[int, Codec] = {}
    for oid, name, typlen, array_oid, cat, decl, sql_name, takes, codec in _SCALARS:
        types[oid] = PgType(oid, name, typlen, array_oid, 0, cat, decl, sql_name, takes)
        codecs[oid] = codec
        if array_oid:
            types[array_oid] = PgType(
                array_oid, "_" + name, -1, 0, oid, "A", "TEXT", sql_name + "[]", takes
            )
            codecs[array_oid] = array_codec(codec, oid, *_JSON_ADAPTERS.get(oid, ()))
    return types, codecs


TYPES_BY_OID, _CODECS = _build()
TYPES_BY_NAME: dict[str, PgType] = {t.name: t for t in TYPES_BY_OID.values()}

TEXT_IN: dict[int, TextIn] = {oid: c.text_in for oid, c in _CODECS.items()}
TEXT_OUT: dict[int, TextOut] = {oid: c.text_out for oid, c in _CODECS.items()}
BINARY_IN: dict[int, BinIn] = {oid: c.bin_in for oid, c in _CODECS.items()}
BINARY_OUT: dict[int, BinOut] = {oid: c.bin_out for oid, c in _CODECS.items()}
COERCE: dict[int, Coerce] = {oid: c.coerce for oid, c in _CODECS.items()}

# SQL spellings and aliases -> typname (gram.y's type keywords; the serials are int types,
# serial-ness is the caller's business). 'char' is the one-byte "char" type, as pglast
# names it for the quoted "char"; the CHAR keyword reaches us as pg_catalog.bpchar(1).
_ALIASES = {
    "int": "int4",
    "integer": "int4",
    "smallint": "int2",
    "bigint": "int8",
    "serial": "int4",
    "serial4": "int4",
    "smallserial": "int2",
    "serial2": "int2",
    "bigserial": "int8",
    "serial8": "int8",
    "real": "float4",
    "double precision": "float8",
    "float": "float8",
    "decimal": "numeric",
    "dec": "numeric",
    "boolean": "bool",
    "character varying": "varchar",
    "char varying": "varchar",
    "character": "bpchar",
    '"char"': "char",
    "timestamp without time zone": "timestamp",
    "timestamp with time zone": "timestamptz",
    "time without time zone": "time",
}
# Types PostgreSQL has and pgha does not: 0A000 rather than "does not exist".
_UNSUPPORTED = {
    "timetz": "time with time zone",
    "time with time zone": "time with time zone",
    "bit": "bit",
    "varbit": "bit varying",
    "bit varying": "bit varying",
    "money": "money",
    "inet": "inet",
    "cidr": "cidr",
    "macaddr": "macaddr",
    "xml": "xml",
    "tsvector": "tsvector",
    "tsquery": "tsquery",
    "point": "point",
    "jsonpath": "jsonpath",
}


def type_by_name(name: str) -> PgType | None:
    """A type by typname or SQL spelling ('int4', 'integer', 'int4[]', '_int4'), or None."""
    key = name.strip().lower()
    if key.endswith("[]"):
        elem = type_by_name(key[:-2])
        return TYPES_BY_OID.get(elem.array_oid) if elem is not None and elem.array_oid else None
    key = _ALIASES.get(key, key)
    return TYPES_BY_NAME.get(key)


def _bad_param(message: str) -> PgError:
    return InvalidParameterValue(message)


def _char_typmod(label: str, mods: Sequence[int]) -> int:
    n = mods[0]
    if n < 1:
        raise _bad_param(f"length for type {label} must be at least 1")
    if n > 10485760:
        raise _bad_param(f"length for type {label} cannot exceed 10485760")
    return n + 4


def _numeric_typmod(mods: Sequence[int]) -> int:
    p = mods[0]
    s = mods[1] if len(mods) > 1 else 0
    if not 1 <= p <= 1000:
        raise _bad_param(f"NUMERIC precision {p} must be between 1 and 1000")
    if not -1000 <= s <= 1000:
        raise _bad_param(f"NUMERIC scale {s} must be between -1000 and 1000")
    return ((p << 16) | (s & 0x7FF)) + 4


def _typmod(t: PgType, mods: Sequence[int]) -> int:
    """typmodin of the types that take modifiers (varchar(n), numeric(p,s), time(p)...)."""
    if not mods:
        return -1
    name = t.name
    if not t.takes_typmod or (len(mods) > 1 and name not in ("numeric", "interval")):
        raise SqlSyntaxError(f'type modifier is not allowed for type "{name}"')
    if name == "varchar":
        return _char_typmod("varchar", mods)
    if name == "bpchar":
        return _char_typmod("char", mods)
    if name == "numeric":
        return _numeric_typmod(mods)
    if name == "interval":
        # pglast gives [range mask] or [range mask, precision]; interval(p) is [0x7fff, p].
        precision = mods[1] if len(mods) > 1 else FULL_PRECISION
        if precision != FULL_PRECISION:
            precision = min(max(precision, 0), 6)
        return (mods[0] << 16) | precision
    # time/timestamp/timestamptz(p): PostgreSQL warns and caps at 6.
    if mods[0] < 0:
        raise _bad_param(f"TIMESTAMP({mods[0]}) precision must not be negative")
    return min(mods[0], 6)


def resolve_type(
    names: Sequence[str], typmods: Sequence[int] = (), array_bounds: Sequence[int] = ()
) -> tuple[PgType, int]:
    """The type and typmod of a pglast ``TypeName`` (names, integer typmods, arrayBounds)."""
    parts = [n.lower() if n.isascii() else n for n in names]
    if len(parts) == 2 and parts[0] == "pg_catalog":
        parts = parts[1:]
    display = ".".join(names) + ("[]" if array_bounds else "")
    if len(parts) != 1:
        raise UndefinedObject(f'type "{display}" does not exist')
    key = parts[0]
    if key in _UNSUPPORTED:
        raise FeatureNotSupported(f"type {_UNSUPPORTED[key]} is not supported")
    mods = list(typmods)
    if key == "float" and mods:
        # float(p): gram.y picks float4 up to 24 bits, float8 up to 53.
        if mods[0] < 1:
            raise _bad_param("precision for type float must be at least 1 bit")
        if mods[0] > 53:
            raise _bad_param("precision for type float must be less than 54 bits")
        key, mods = ("float4" if mods[0] <= 24 else "float8"), []
    elif key == "character" and not mods:
        mods = [1]
    t = type_by_name(key)
    if t is None:
        raise UndefinedObject(f'type "{display}" does not exist')
    typmod = _typmod(t, mods)
    if array_bounds and not t.is_array:
        arr = TYPES_BY_OID.get(t.array_oid)
        if arr is None:
            raise UndefinedObject(f'type "{display}" does not exist')
        t = arr
    return t, typmod


_INTERVAL_FIELDS = {
    _IYEAR: " year",
    _IMONTH: " month",
    _IDAY: " day",
    _IHOUR: " hour",
    _IMINUTE: " minute",
    _ISECOND: " second",
    _IYEAR | _IMONTH: " year to month",
    _IDAY | _IHOUR: " day to hour",
    _IDAY | _IHOUR | _IMINUTE: " day to minute",
    _IDAY | _IHOUR | _IMINUTE | _ISECOND: " day to second",
    _IHOUR | _IMINUTE: " hour to minute",
    _IHOUR | _IMINUTE | _ISECOND: " hour to second",
    _IMINUTE | _ISECOND: " minute to second",
}


def _modified_name(t: PgType, typmod: int) -> str:
    name = t.name
    if name == "varchar":
        return f"character varying({typmod - 4})"
    if name == "bpchar":
        return f"character({typmod - 4})"
    if name == "numeric":
        p, s = num.numeric_typmod_parts(typmod)
        return f"numeric({p},{s})"
    if name in ("time", "timestamp", "timestamptz"):
        base, _, zone = t.sql_name.partition(" ")
        return f"{base}({typmod}) {zone}"
    if name == "interval":
        rng, precision = (typmod >> 16) & FULL_RANGE, typmod & 0xFFFF
        fields = "" if rng == FULL_RANGE else _INTERVAL_FIELDS.get(rng, "")
        return "interval" + fields + ("" if precision == FULL_PRECISION else f"({precision})")
    return t.sql_name


def format_type(oid: int, typmod: int = -1) -> str:
    """PostgreSQL's format_type(oid, typmod); '???' for an unknown oid, as PostgreSQL does."""
    t = TYPES_BY_OID.get(oid)
    if t is None:
        return "???"
    if t.is_array:
        return format_type(t.elem_oid, typmod) + "[]"
    if typmod < 0 or not t.takes_typmod:
        return t.sql_name
    return _modified_name(t, typmod)


def parse_text(t: PgType, text: str, typmod: int = -1, tz: str = "UTC") -> Any:
    """The type's input function: text -> storage value. ``tz`` is the session TimeZone,
    used by timestamptz input without an explicit offset."""
    return _CODECS[t.oid].text_in(text, typmod, tz)


def format_text(t: PgType, value: Any, typmod: int = -1, tz: str = "UTC") -> str:
    """The type's output function: storage value -> text. ``value`` must not be None."""
    return TEXT_OUT[t.oid](value, typmod, tz)


def coerce(t: PgType, value: Any, typmod: int = -1) -> Any:
    """Any value SQLite produced for an expression of type ``t`` -> its storage value
    (None stays None)."""
    if value is None:
        return None
    return COERCE[t.oid](value, typmod)


def decode_binary(t: PgType, data: bytes, typmod: int = -1) -> Any:
    """The type's receive function: binary wire format -> storage value."""
    return BINARY_IN[t.oid](data, typmod)


def encode_binary(t: PgType, value: Any, typmod: int = -1) -> bytes:
    """The type's send function: storage value -> binary wire format. Not for None."""
    return BINARY_OUT[t.oid](value, typmod)
