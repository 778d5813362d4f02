"""functions/jsonb.py's pure functions: PostgreSQL 15's text for json and jsonb (table-driven; the
differential corpus json_more.sql checks the same through the server against PostgreSQL)."""

from __future__ import annotations

from typing import Any

import pytest

from pgha.storage import oids as T
from pgha.storage.functions import jsonb as fn_json
from pgha.wire.errors import PgError


@pytest.mark.parametrize(
    ("doc", "key", "as_text", "binary", "expected"),
    [
        ('{"a": [1,  2]}', "a", False, 0, "[1,  2]"),  # json keeps the source text
        ('{"a":1,"a":2}', "a", False, 0, "2"),  # the last duplicate
        ('{"n": 3.50}', "n", False, 1, "3.50"),  # a number keeps its text
        ('{"s": "x\\ny"}', "s", True, 1, "x\ny"),
        ('{"z": null}', "z", True, 1, None),
        ("[1, 2, 3]", -1, False, 1, "3"),
        ("[1, 2, 3]", "0", False, 1, None),  # a text key on an array
        ('"s"', 0, False, 1, '"s"'),  # a jsonb scalar is a one-element array
        ('"s"', 0, False, 0, None),
    ],
)
def test_get(doc: str, key: Any, as_text: bool, binary: int, expected: str | None) -> None:
    assert fn_json.get(doc, key, as_text, binary) == expected


@pytest.mark.parametrize(
    ("value", "oid", "expected"),
    [
        (1, T.BOOL, "true"),
        ("2.50", T.NUMERIC, "2.50"),
        ("NaN", T.NUMERIC, '"NaN"'),
        (float("inf"), T.FLOAT8, '"Infinity"'),
        ("[1,null]", T.INT4_ARRAY, "[1,null]"),
        ("2024-01-15 10:30:00", T.TIMESTAMP, '"2024-01-15T10:30:00"'),
        ("2024-01-15 10:30:00", T.TIMESTAMPTZ, '"2024-01-15T10:30:00+00:00"'),
        ('a"\n', T.TEXT, '"a\\"\\n"'),
        (None, T.TEXT, "null"),
    ],
)
def test_to_json_text(value: Any, oid: int, expected: str) -> None:
    assert fn_json.to_json_text(value, oid, "UTC") == expected


def test_builders_print_as_postgres() -> None:
    assert fn_json.build_object(False, "UTC", "k", T.TEXT, 1, T.INT4, "l", T.TEXT,
                                "[1,2]", T.INT4_ARRAY) == '{"k" : 1, "l" : [1,2]}'
    assert fn_json.build_object(True, "UTC", "b", T.TEXT, 1, T.INT4, "a", T.TEXT,
                                1, T.BOOL) == '{"a": true, "b": 1}'
    assert fn_json.build_array(False, "UTC", 1, T.INT4, None, T.TEXT) == "[1, null]"
    with pytest.raises(PgError) as err:
        fn_json.build_object(False, "UTC", None, T.TEXT, 1, T.INT4)
    assert err.value.sqlstate == "22023"


@pytest.mark.parametrize(
    ("call", "expected"),
    [
        (lambda: fn_json.concat('{"a": 1}', '{"a": 2, "b": 3}'), '{"a": 2, "b": 3}'),
        (lambda: fn_json.concat("[1]", "2"), "[1, 2]"),
        (lambda: fn_json.delete('{"a": 1, "b": 2}', "a", 0), '{"b": 2}'),
        (lambda: fn_json.delete("[1, 2, 3]", -1, 0), "[1, 2]"),
        (lambda: fn_json.delete_path('{"a": {"b": 1, "c": 2}}', '["a","b"]'), '{"a": {"c": 2}}'),
        (lambda: fn_json.set_path('{"a": [1, 2]}', '["a","5"]', "9"), '{"a": [1, 2, 9]}'),
        (lambda: fn_json.set_path('{"a": 1}', '["x","y"]', "1"), '{"a": 1}'),
        (lambda: fn_json.set_path('{"a": [0, 1]}', '["a","1"]', '"n"', 1, 1, 1),
         '{"a": [0, 1, "n"]}'),
        (lambda: fn_json.strip_nulls('{"a": null, "b": [null]}', 0), '{"b":[null]}'),
        (lambda: fn_json.pretty('{"a": [1], "b": {}}'),
         '{\n    "a": [\n        1\n    ],\n    "b": {\n    }\n}'),
    ],
)
def test_jsonb_modification(call: Any, expected: str) -> None:
    assert call() == expected


def test_order_by_value() -> None:
    docs = ["10", "9", '"x"', "null", "[1]", '{"a": 1}', "true", "2.5", "[0, 0]"]
    ordered = sorted(docs, key=lambda d: fn_json._sort_key(fn_json._decode(d)))
    assert ordered == ["null", '"x"', "2.5", "9", "10", "true", "[1]", "[0, 0]", '{"a": 1}']


def test_set_returning_rows_and_errors() -> None:
    assert list(fn_json.srf_rows('{"b": 1, "a": "x"}', "jsonb_each_text")) == [
        ("b", "1"), ("a", "x")]
    assert list(fn_json.srf_rows('[1, "a"]', "json_array_elements")) == [
        (None, "1"), (None, '"a"')]
    with pytest.raises(PgError) as err:
        list(fn_json.srf_rows("[1]", "jsonb_object_keys"))
    assert err.value.sqlstate == "22023"
