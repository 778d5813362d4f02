"""Date/time functions and input readers, table-driven against PostgreSQL 15's answers
(each expected value is what PostgreSQL 15 printed for the same call)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from pgha.storage import oids as T
from pgha.storage.datetime_parse import parse_formatted, parse_loose
from pgha.storage.functions import datetimes as f
from pgha.wire.errors import PgError


@pytest.mark.parametrize(
    ("text", "factor", "divide", "expected"),
    [
        ("1 day", 3, False, "3 days"),
        ("01:00:00", 2, True, "00:30:00"),
        ("1 mon", 1.5, False, "1 mon 15 days"),
        ("1 day", 0.5, False, "12:00:00"),
        ("1 year", 5, True, "2 mons 12 days"),
        ("10 days", 3, True, "3 days 08:00:00"),
        ("1 mon", 7, True, "4 days 06:51:25.6896"),
        ("-00:05:00", -2, False, "00:10:00"),
    ],
)
def test_interval_scale(text: str, factor: float, divide: bool, expected: str) -> None:
    assert f.interval_scale(text, factor, divide) == expected


def test_interval_division_by_zero_is_22012() -> None:
    with pytest.raises(PgError) as exc:
        f.interval_scale("1 hour", 0, True)
    assert exc.value.sqlstate == "22012"


@pytest.mark.parametrize(
    ("fn", "text", "expected"),
    [
        (f._justify_hours, "27:00:00", "1 day 03:00:00"),
        (f._justify_hours, "-50:00:00", "-2 days -02:00:00"),
        (f._justify_days, "45 days", "1 mon 15 days"),
        (f._justify_days, "-65 days", "-2 mons -5 days"),
        (f._justify_interval, "1 mon -01:00:00", "29 days 23:00:00"),
        (f._justify_interval, "-1 mons +40 days", "10 days"),
    ],
)
def test_justify(fn: Any, text: str, expected: str) -> None:
    assert f._justify(fn)(text) == expected


@pytest.mark.parametrize(
    ("a", "b", "equal"),
    [("1 day", "24:00:00", True), ("1 mon", "30 days", True), ("1 year", "364 days", False)],
)
def test_interval_key_compares_by_value(a: str, b: str, equal: bool) -> None:
    assert (f.interval_key(a) == f.interval_key(b)) is equal


@pytest.mark.parametrize(
    ("field", "value", "oid", "numeric", "expected"),
    [
        ("epoch", "2024-02-29 13:45:10", T.TIMESTAMPTZ, 1, "1709214310.000000"),
        ("epoch", "2024-01-01", T.DATE, 1, "1704067200"),
        ("epoch", "1 day 00:00:01", T.INTERVAL, 1, "86401.000000"),
        ("epoch", "1 year", T.INTERVAL, 1, "31557600.000000"),
        ("hours", "30:00:00", T.INTERVAL, 1, "30"),
        ("second", "2024-01-01 10:20:30.5", T.TIMESTAMP, 1, "30.500000"),
        ("milliseconds", "2024-01-01 10:20:30.5", T.TIMESTAMP, 1, "30500.000"),
        ("dow", "2024-06-16", T.DATE, 1, "0"),
        ("year", "2024-06-15", T.DATE, 0, 2024.0),
    ],
)
def test_date_part(field: str, value: str, oid: int, numeric: int, expected: Any) -> None:
    assert f.date_part(field, value, oid, numeric, "UTC") == expected


@pytest.mark.parametrize(
    ("op", "a", "ta", "b", "tb", "expected"),
    [
        ("-", "10:00:00", T.TIME, "08:30:00", T.TIME, "01:30:00"),
        ("+", "2024-05-05", T.DATE, "12:34:00", T.TIME, "2024-05-05 12:34:00"),
        ("+", "2024-01-31", T.DATE, "1 mon", T.INTERVAL, "2024-02-29 00:00:00"),
        ("-", "2023-01-01 00:00:00", T.TIMESTAMP, "2024-03-15 06:30:00", T.TIMESTAMP,
         "-439 days -06:30:00"),
        ("+", "23:00:00", T.TIME, "02:00:00", T.INTERVAL, "01:00:00"),
    ],
)
def test_datetime_op(op: str, a: str, ta: int, b: str, tb: int, expected: Any) -> None:
    assert f.datetime_op(op, a, ta, b, tb, "UTC") == expected


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("2024-03-31 00:00:00", "2024-02-29 00:00:00", "1 mon 2 days"),
        ("2024-01-01 00:00:00", "2024-03-15 12:00:00", "-2 mons -14 days -12:00:00"),
        ("2024-03-01 00:00:00", "2023-01-15 00:00:00", "1 year 1 mon 17 days"),
    ],
)
def test_age(a: str, b: str, expected: str) -> None:
    assert f.age(a, b, T.TIMESTAMP, T.TIMESTAMP, "UTC") == expected


def test_at_time_zone_both_ways() -> None:
    assert f.at_time_zone("Asia/Tokyo", "2024-07-01 12:00:00", T.TIMESTAMPTZ, "UTC") == \
        "2024-07-01 21:00:00"
    assert f.at_time_zone("America/New_York", "2024-01-15 12:00:00", T.TIMESTAMP, "UTC") == \
        "2024-01-15 17:00:00"
    assert f.at_time_zone("UTC+3", "2024-01-01 10:00:00", T.TIMESTAMPTZ, "UTC") == \
        "2024-01-01 07:00:00"


@pytest.mark.parametrize(
    ("text", "date", "usecs"),
    [
        ("January 2, 2024", dt.date(2024, 1, 2), None),
        ("2 Jan 2024", dt.date(2024, 1, 2), None),
        ("1/2/2024", dt.date(2024, 1, 2), None),
        ("12/31/99", dt.date(1999, 12, 31), None),
        ("4:05 PM", None, (16 * 60 + 5) * 60_000_000),
        ("12:00 AM", None, 0),
    ],
)
def test_parse_loose(text: str, date: dt.date | None, usecs: int | None) -> None:
    loose = parse_loose(text)
    assert loose is not None
    assert (loose.date, loose.usecs) == (date, usecs)


@pytest.mark.parametrize(
    ("text", "fmt", "expected"),
    [
        ("05/06/2024", "DD/MM/YYYY", dt.datetime(2024, 6, 5)),
        ("June 5, 2024", "Month DD, YYYY", dt.datetime(2024, 6, 5)),
        ("2024-06-05 02:03:04 PM", "YYYY-MM-DD HH:MI:SS AM", dt.datetime(2024, 6, 5, 14, 3, 4)),
        ("20240605140304", "YYYYMMDDHH24MISS", dt.datetime(2024, 6, 5, 14, 3, 4)),
    ],
)
def test_parse_formatted(text: str, fmt: str, expected: dt.datetime) -> None:
    assert parse_formatted(text, fmt) == (expected, None)
