"""Pure checks of the string, bytea and array functions in storage/functions/text_array.py,
with the answers PostgreSQL 15 gives (the differential corpus text_array_more.sql runs them
in SQL)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from pgha.storage.functions import text_array as fn
from pgha.wire.errors import PgError


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("a1b22c333", "[0-9]+", "#"), "a#b22c333"),
        (("a1b22c333", "[0-9]+", "#", "g"), "a#b#c#"),
        (("aaa", "a", "b", 2), "aba"),
        (("aaa", "a", "b", 1, 3), "aab"),
        (("aaa", "a", "b", 1, 0), "bbb"),
        (("John Smith", r"(\w+) (\w+)", r"\2, \1"), "Smith, John"),
        (("abc", "b", r"\&\&"), "abbc"),
        (("ABC", "b", "x", "i"), "AxC"),
    ],
)
def test_regexp_replace(args: tuple[Any, ...], expected: str) -> None:
    assert fn._regexp_replace(*args) == expected


def test_bytea_escape_format_round_trips() -> None:
    raw = b"a\x00\\\xff"
    assert fn._encode(raw, "escape") == "a\\000\\\\\\377"
    assert fn._decode("a\\000\\\\\\377", "escape") == raw


@pytest.mark.parametrize(("text", "message"), [("zz", 'invalid hexadecimal digit: "z"'),
                                               ("abc", "invalid hexadecimal data: odd number "
                                                "of digits")])
def test_bad_hex_is_22023(text: str, message: str) -> None:
    with pytest.raises(PgError) as info:
        fn._decode(text, "hex")
    assert (info.value.sqlstate, info.value.message) == ("22023", message)


@pytest.mark.parametrize(
    ("arr", "bounds", "expected"),
    [
        ([1, 2, 3, 4], (2, 3), [2, 3]),
        ([1, 2, 3], (None, 2), [1, 2]),
        ([1, 2, 3], (5, None), []),
        ([[1, 2], [3, 4]], (1, 1, 1, 2), [[1, 2]]),
        ([[1, 2], [3, 4]], (1, 2, 2, 2), [[2], [4]]),
    ],
)
def test_array_slice(arr: list[Any], bounds: tuple[Any, ...], expected: list[Any]) -> None:
    assert json.loads(fn._array_slice(json.dumps(arr), *bounds)) == expected


def test_array_dimensions() -> None:
    m = json.dumps([[1, 2, 3], [4, 5, 6]])
    assert fn._array_dims(m) == "[1:2][1:3]"
    assert (fn._array_ndims(m), fn._cardinality(m), fn._array_length(m, 2)) == (2, 6, 3)
    assert fn._array_dims("[]") is None


def test_containment_never_matches_null() -> None:
    assert fn._array_contains("[1, null]", "[null]") == 0
    assert fn._array_contains("[1, 2]", "[2, 2]") == 1
    assert fn._array_overlap("[null]", "[null]") == 0


@pytest.mark.parametrize(
    ("s", "upper", "lower", "initcap"),
    [
        ("ñandú", "ÑANDÚ", "ñandú", "Ñandú"),
        ("straße", "STRAßE", "straße", "Straße"),
        ("ÉCOLE normale", "ÉCOLE NORMALE", "école normale", "École Normale"),
    ],
)
def test_case_mapping_is_per_character(s: str, upper: str, lower: str, initcap: str) -> None:
    assert (fn._map_case(s, True), fn._map_case(s, False), fn._initcap(s)) == (
        upper, lower, initcap)


def test_quoting() -> None:
    assert [fn.quote_ident(s) for s in ("abc", "Abc", "select", "user_id", "a b")] == [
        "abc", '"Abc"', '"select"', "user_id", '"a b"']
    assert fn.quote_literal("it's") == "'it''s'"
    assert fn.quote_literal("a\\b") == "E'a\\\\b'"


def test_record_out_quotes_like_postgres() -> None:
    assert fn._record_out(1, None, "a b", "", 'q"') == '(1,,"a b","","q""")'


def test_get_byte_range_error() -> None:
    with pytest.raises(PgError) as info:
        fn._get_byte(b"\x00", 5)
    assert (info.value.sqlstate, info.value.message) == (
        "2202E", "index 5 out of valid range, 0..0")
