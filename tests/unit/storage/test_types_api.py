"""The type-system API beyond input/output: coerce, name look-up, storage values, bad binary
input and the documented differences from PostgreSQL. Expected PostgreSQL texts were checked
with psql against PostgreSQL 15.18 (e.g. ``select 1e19::float8::int8`` -> bigint out of range).
"""

from __future__ import annotations

import math
import struct
from typing import Any

import pytest

from pgha.storage.types import (
    BINARY_OUT,
    TEXT_OUT,
    TYPES_BY_OID,
    PgType,
    coerce,
    decode_binary,
    encode_binary,
    format_text,
    format_type,
    parse_text,
    resolve_type,
    type_by_name,
)
from pgha.wire.errors import PgError


def T(name: str) -> PgType:
    t = type_by_name(name)
    assert t is not None, name
    return t


NUMERIC_10_2 = ((10 << 16) | 2) + 4
VARCHAR_3 = 3 + 4
BPCHAR_3 = 3 + 4

# (type, value from SQLite, typmod, storage value)
COERCIONS: list[tuple[str, Any, int, Any]] = [
    ("bool", 1, -1, 1),
    ("bool", 5, -1, 1),
    ("bool", 0, -1, 0),
    ("bool", "yes", -1, 1),
    ("bool", " f ", -1, 0),
    ("int4", 12, -1, 12),
    ("int4", "12", -1, 12),
    ("int4", 3.0, -1, 3),
    ("int4", 2.5, -1, 2),  # rint(): half to even, as float8::int4
    ("int2", 3.5, -1, 4),
    ("int8", -(2**63), -1, -(2**63)),
    ("oid", 4294967295, -1, 4294967295),
    ("float8", 1, -1, 1.0),
    ("float8", "1e10", -1, 1e10),
    ("float4", 0.1, -1, struct.unpack("f", struct.pack("f", 0.1))[0]),
    ("numeric", 7, -1, "7"),
    ("numeric", 1.25, -1, "1.25"),
    ("numeric", "2.00", -1, "2.00"),
    ("numeric", 1.005, NUMERIC_10_2, "1.01"),
    ("numeric", 3, NUMERIC_10_2, "3.00"),
    ("text", "abc", -1, "abc"),
    ("text", 12, -1, "12"),
    ("text", 1.5, -1, "1.5"),
    ("text", b"caf\xc3\xa9", -1, "café"),
    ("varchar", "ab", VARCHAR_3, "ab"),
    ("varchar", "abc   ", VARCHAR_3, "abc"),
    ("bpchar", "a", BPCHAR_3, "a  "),
    ("name", "x" * 70, -1, "x" * 63),
    ("bytea", b"\x00\x01", -1, b"\x00\x01"),
    ("bytea", "\\x0102", -1, b"\x01\x02"),
    ("date", "2024-1-2", -1, "2024-01-02"),
    ("time", "3:04", -1, "03:04:00"),
    ("timestamp", "2024-01-02T03:04:05.120", -1, "2024-01-02 03:04:05.12"),
    ("timestamptz", "2024-01-02 03:04:05+02", -1, "2024-01-02 01:04:05"),
    ("timestamptz", "2024-01-02 03:04:05", -1, "2024-01-02 03:04:05"),
    ("interval", "2 hours 3 minutes", -1, "02:03:00"),
    ("uuid", "A0EEBC999C0B4EF8BB6D6BB9BD380A11", -1, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"),
    ("uuid", bytes(range(16)), -1, "00010203-0405-0607-0809-0a0b0c0d0e0f"),
    ("json", '{"b":1, "a":2}', -1, '{"b":1, "a":2}'),
    ("json", 3, -1, "3"),
    ("jsonb", '{"b":1,"a":2,"b":3}', -1, '{"a": 2, "b": 3}'),
    ("jsonb", 1.5, -1, "1.5"),
    ("_int4", "[1,2,null]", -1, "[1,2,null]"),
    ("_int4", '[1,"2",3.0]', -1, "[1,2,3]"),
    ("_int4", "{1,2,NULL}", -1, "[1,2,null]"),
    ("_int4", [4, None], -1, "[4,null]"),
    ("_text", '["a b","c"]', -1, '["a b","c"]'),
    ("_varchar", '["abc  "]', VARCHAR_3, '["abc"]'),
    ("_float8", '[1,"Infinity"]', -1, '[1.0,"Infinity"]'),
    ("_bool", "[1,0,true]", -1, "[1,0,1]"),
    ("_bytea", '["\\\\x01"]', -1, '["\\\\x01"]'),
]

# (type, value, typmod, SQLSTATE, message)
COERCION_ERRORS: list[tuple[str, Any, int, str, str]] = [
    ("int4", 2**31, -1, "22003", "integer out of range"),
    ("int4", math.nan, -1, "22003", "integer out of range"),
    ("int2", 40000, -1, "22003", "smallint out of range"),
    ("int8", 1e19, -1, "22003", "bigint out of range"),
    ("oid", 5000000000, -1, "22003", "OID out of range"),
    ("float4", 1e39, -1, "22003", "value out of range: overflow"),
    ("int4", "12x", -1, "22P02", 'invalid input syntax for type integer: "12x"'),
    ("int4", "99999999999", -1, "22003", 'value "99999999999" is out of range for type integer'),
    ("bool", "maybe", -1, "22P02", 'invalid input syntax for type boolean: "maybe"'),
    ("numeric", 123456789, NUMERIC_10_2, "22003", "numeric field overflow"),
    ("varchar", "abcd", VARCHAR_3, "22001", "value too long for type character varying(3)"),
    ("bpchar", "abcd", BPCHAR_3, "22001", "value too long for type character(3)"),
    ("uuid", "nope", -1, "22P02", 'invalid input syntax for type uuid: "nope"'),
    ("json", "{", -1, "22P02", "invalid input syntax for type json"),
    ("timestamp", "x", -1, "22007", 'invalid input syntax for type timestamp: "x"'),
    ("_int4", "[1,2,", -1, "22P02", 'malformed array literal: "[1,2,"'),
    ("int4", b"\x01", -1, "42846", "cannot cast type bytes to integer"),
]


@pytest.mark.parametrize("case", COERCIONS, ids=lambda c: f"{c[0]}:{c[1]!r}")
def test_coerce(case: tuple[str, Any, int, Any]) -> None:
    name, value, typmod, expected = case
    got = coerce(T(name), value, typmod)
    assert got == expected and type(got) is type(expected)


@pytest.mark.parametrize("case", COERCION_ERRORS, ids=lambda c: f"{c[0]}:{c[1]!r}")
def test_coerce_errors(case: tuple[str, Any, int, str, str]) -> None:
    name, value, typmod, sqlstate, message = case
    with pytest.raises(PgError) as info:
        coerce(T(name), value, typmod)
    assert (info.value.sqlstate, info.value.message) == (sqlstate, message)


def test_coerce_keeps_null() -> None:
    assert coerce(T("int4"), None) is None


# Storage values as the engine will meet them in SQLite: (type, text, typmod, storage value).
STORAGE: list[tuple[str, str, int, Any]] = [
    ("bool", "true", -1, 1),
    ("int8", "42", -1, 42),
    ("float8", "-Infinity", -1, -math.inf),
    ("numeric", "1.50", -1, "1.50"),
    ("numeric", "10.00", -1, "10.00"),
    ("numeric", "12345678901234567890.5", -1, "12345678901234567890.5"),
    ("bpchar", "ab", BPCHAR_3, "ab "),
    ("bytea", "abc", -1, b"abc"),
    ("date", "20240102", -1, "2024-01-02"),
    ("time", "03:04:05.100", -1, "03:04:05.1"),
    ("timestamp", "2024-01-02 03:04:05.000", -1, "2024-01-02 03:04:05"),
    ("timestamptz", "2024-01-02 03:04:05-08", -1, "2024-01-02 11:04:05"),
    ("timestamptz", "-infinity", -1, "-infinity"),
    ("interval", "1 year 2 months", -1, "1 year 2 mons"),
    ("interval", "-1 day", -1, "-1 days"),
    ("uuid", "{A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11}", -1, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"),
    ("jsonb", '{"b": [1, 2], "a": 1}', -1, '{"a": 1, "b": [1, 2]}'),
    ("_int4", "{1,2,NULL}", -1, "[1,2,null]"),
    ("_text", '{"a b",c}', -1, '["a b","c"]'),
    ("_float8", "{NaN,1}", -1, '["NaN",1.0]'),
    ("_bytea", '{"\\\\x0102"}', -1, '["\\\\x0102"]'),
    ("_timestamptz", '{"2024-01-02 03:04:05+02"}', -1, '["2024-01-02 01:04:05"]'),
]


@pytest.mark.parametrize("case", STORAGE, ids=lambda c: f"{c[0]}:{c[1]!r}")
def test_storage_representation(case: tuple[str, str, int, Any]) -> None:
    name, text, typmod, expected = case
    got = parse_text(T(name), text, typmod)
    assert got == expected and type(got) is type(expected)


# Outputs of storage values SQLite can produce that text input never does.
OUTPUTS: list[tuple[str, Any, int, str, str]] = [
    ("numeric", 0.1 + 0.2, -1, "UTC", "0.3"),  # PostgreSQL: (0.1::float8+0.2)::numeric
    ("numeric", 1.5e-7, -1, "UTC", "0.00000015"),
    ("numeric", 1e20, -1, "UTC", "100000000000000000000"),
    ("numeric", -0.0, -1, "UTC", "0"),
    ("numeric", 1.005, NUMERIC_10_2, "UTC", "1.01"),
    ("numeric", 2, NUMERIC_10_2, "UTC", "2.00"),
    ("numeric", math.inf, -1, "UTC", "Infinity"),
    ("numeric", math.nan, -1, "UTC", "NaN"),
    ("float8", 3, -1, "UTC", "3"),
    ("float4", 0.1, -1, "UTC", "0.1"),
    ("int4", 3.0, -1, "UTC", "3"),
    ("int4", True, -1, "UTC", "1"),
    ("bool", 1, -1, "UTC", "t"),
    ("bool", 0, -1, "UTC", "f"),
    ("text", 12, -1, "UTC", "12"),
    ("timestamptz", "2024-01-02 03:04:05", -1, "UTC", "2024-01-02 03:04:05+00"),
    ("timestamptz", "2024-01-02 03:04:05", -1, "Etc/UTC", "2024-01-02 03:04:05+00"),
    ("timestamptz", "2024-07-02 03:04:05.25", -1, "Europe/Paris", "2024-07-02 05:04:05.25+02"),
    ("timestamptz", "2024-01-02 03:04:05", -1, "Asia/Kathmandu", "2024-01-02 08:49:05+05:45"),
    ("timestamptz", "infinity", -1, "Europe/Paris", "infinity"),
    ("_int4", "[]", -1, "UTC", "{}"),
    ("_text", '["", "NULL", "a\\"b", "x y", null]', -1, "UTC", '{"","NULL","a\\"b","x y",NULL}'),
    (
        "_timestamptz",
        '["2024-01-02 03:04:05"]',
        -1,
        "America/Los_Angeles",
        '{"2024-01-01 19:04:05-08"}',
    ),
]


@pytest.mark.parametrize("case", OUTPUTS, ids=lambda c: f"{c[0]}:{c[1]!r}:{c[3]}")
def test_format_text_of_storage_values(case: tuple[str, Any, int, str, str]) -> None:
    name, value, typmod, tz, expected = case
    assert format_text(T(name), value, typmod, tz) == expected


def test_hot_path_tables_cover_every_type() -> None:
    assert set(TEXT_OUT) == set(TYPES_BY_OID) == set(BINARY_OUT)
    assert TEXT_OUT[23](12, -1, "UTC") == "12"
    assert BINARY_OUT[23](12, -1) == b"\x00\x00\x00\x0c"


# Binary forms quoted in the reference notes and special values: (type, storage, hex).
BINARY: list[tuple[str, Any, int, str]] = [
    ("numeric", "1.5", -1, "000200000000000100011388"),  # as asyncpg received it from PG
    ("numeric", "NaN", -1, "00000000c0000000"),
    ("timestamp", "infinity", -1, "7fffffffffffffff"),
    ("timestamptz", "-infinity", -1, "8000000000000000"),
    ("date", "infinity", -1, "7fffffff"),
    ("date", "-infinity", -1, "80000000"),
    ("timestamp", "2000-01-01 00:00:00", -1, "0000000000000000"),
    ("date", "1999-12-31", -1, "ffffffff"),
    ("interval", "1 mon 2 days 00:00:00.000003", -1, "00000000000000030000000200000001"),
    ("jsonb", "[]", -1, "015b5d"),
    ("_int4", "[]", -1, "000000000000000000000017"),
    ("bool", 1, -1, "01"),
    ('"char"', "", -1, "00"),
]


@pytest.mark.parametrize("case", BINARY, ids=lambda c: f"{c[0]}:{c[1]!r}")
def test_binary_forms(case: tuple[str, Any, int, str]) -> None:
    name, value, typmod, hexed = case
    t = T(name)
    assert encode_binary(t, value, typmod).hex() == hexed
    back = decode_binary(t, bytes.fromhex(hexed), typmod)
    assert back == value or (isinstance(value, float) and math.isnan(back))


BAD_BINARY: list[tuple[str, str, str, str]] = [
    ("int4", "000001", "22P03", "incorrect binary data format"),
    ("int8", "00", "22P03", "incorrect binary data format"),
    ("float8", "00000000", "22P03", "incorrect binary data format"),
    ("bool", "", "22P03", "incorrect binary data format"),
    ("uuid", "00" * 15, "22P03", "incorrect binary data format"),
    ("interval", "00" * 12, "22P03", "incorrect binary data format"),
    ("date", "000000", "22P03", "incorrect binary data format"),
    ("numeric", "0001000000000000", "22P03", "incorrect binary data format"),
    ("numeric", "000100000000000027 10", "22P03", 'invalid digit in external "numeric" value'),
    ("numeric", "0000000012340000", "22P03", 'invalid sign in external "numeric" value'),
    ("jsonb", "027b7d", "22P03", "unsupported jsonb version number 2"),
    ("text", "ff", "22021", 'invalid byte sequence for encoding "UTF8": 0xff'),
    ("_int4", "000000010000000000000019", "42804", "wrong element type"),
    ("_int4", "0000000100000000000000170000000200000001", "22P03", "incorrect binary data format"),
    ("_int4", "000000020000000000000017", "0A000", "multidimensional arrays are not supported"),
]


@pytest.mark.parametrize("case", BAD_BINARY, ids=lambda c: f"{c[0]}:{c[1]}")
def test_bad_binary_input(case: tuple[str, str, str, str]) -> None:
    name, hexed, sqlstate, message = case
    with pytest.raises(PgError) as info:
        decode_binary(T(name), bytes.fromhex(hexed.replace(" ", "")))
    assert (info.value.sqlstate, info.value.message) == (sqlstate, message)


@pytest.mark.parametrize(
    ("name", "oid"),
    [
        ("integer", 23),
        ("INT", 23),
        ("double precision", 701),
        ("boolean", 16),
        ("character varying", 1043),
        ("timestamp with time zone", 1184),
        ("int4[]", 1007),
        ("_text", 1009),
        ('"char"', 18),
        ("decimal", 1700),
        ("bigserial", 20),
    ],
)
def test_type_by_name(name: str, oid: int) -> None:
    assert T(name).oid == oid


def test_type_by_name_unknown() -> None:
    assert type_by_name("nosuch") is None


def test_catalog_rows() -> None:
    int4, arr = T("int4"), T("_int4")
    assert (int4.typlen, int4.array_oid, int4.elem_oid, int4.category) == (4, 1007, 0, "N")
    assert (arr.typlen, arr.array_oid, arr.elem_oid, arr.category) == (-1, 0, 23, "A")
    decls = {n: T(n).sqlite_decl for n in ("bool", "int8", "float8", "numeric", "text", "bytea")}
    assert decls == {
        "bool": "INTEGER",
        "int8": "INTEGER",
        "float8": "REAL",
        "numeric": "TEXT COLLATE pg_numeric",
        "text": "TEXT",
        "bytea": "BLOB",
    }
    assert all(t.sqlite_decl == "TEXT" for t in TYPES_BY_OID.values() if t.is_array)


def test_resolve_type_spellings_without_pglast() -> None:
    assert resolve_type(["character"], [], []) == (T("bpchar"), 5)
    assert resolve_type(["float"], [10], []) == (T("float4"), -1)
    assert resolve_type(["timestamp with time zone"], [], [-1]) == (T("_timestamptz"), -1)
    assert resolve_type(["pg_catalog", "varchar"], [20], []) == (T("varchar"), 24)
    with pytest.raises(PgError) as info:
        resolve_type(["timetz"], [], [])
    assert info.value.sqlstate == "0A000"
    with pytest.raises(PgError) as info:
        resolve_type(["unknown"], [], [-1])
    assert info.value.sqlstate == "42704"


def test_format_type_unknown_oid() -> None:
    assert format_type(999999, -1) == "???"


# ------------------------------------------------------------------ known differences
# Each row: what PostgreSQL 15 does vs what pgha does, kept as a test so a change is seen.


def test_numeric_keeps_scale_and_digits() -> None:
    t = T("numeric")
    assert format_text(t, parse_text(t, "1.50")) == "1.50"
    assert format_text(t, parse_text(t, "12345678901234567890")) == "12345678901234567890"
    assert format_text(t, parse_text(t, "1e-30")) == "0." + "0" * 29 + "1"


def test_multidimensional_arrays_round_trip() -> None:
    t = T("_int4")
    assert format_text(t, parse_text(t, " { {1, 2} , {3,NULL} } ")) == "{{1,2},{3,NULL}}"
    assert format_text(T("_text"), parse_text(T("_text"), '{{"a b"},{c}}')) == '{{"a b"},{c}}'


@pytest.mark.parametrize("text", ["{{1,2},{3}}", "{1,{2}}", "{{1},2}"])
def test_ragged_arrays_are_malformed(text: str) -> None:
    with pytest.raises(PgError) as info:
        parse_text(T("_int4"), text)
    assert info.value.sqlstate == "22P02"


def test_explicit_array_bounds_are_rejected() -> None:
    with pytest.raises(PgError) as info:
        parse_text(T("_int4"), "[0:1]={1,2}")
    assert info.value.sqlstate == "0A000"


@pytest.mark.parametrize("word", ["now", "today", "tomorrow", "yesterday"])
def test_relative_datetime_words_are_left_to_the_caller(word: str) -> None:
    with pytest.raises(PgError) as info:
        parse_text(T("timestamptz"), word)
    assert info.value.sqlstate == "0A000"


@pytest.mark.parametrize("text", ["0001-01-01 BC", "10000-01-01"])
def test_years_outside_1_to_9999_are_rejected(text: str) -> None:
    with pytest.raises(PgError) as info:
        parse_text(T("date"), text)
    assert (info.value.sqlstate, info.value.message) == ("22008", f'date out of range: "{text}"')


def test_reg_types_print_the_number() -> None:
    # PostgreSQL prints 'pg_class' for 1259::regclass; naming is the catalog's job.
    assert format_text(T("regclass"), 1259) == "1259"
