"""pgha.storage.numeric: exact numeric arithmetic, against what PostgreSQL 15 printed."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import apsw
import pytest

from pgha.storage import numeric
from pgha.wire.errors import PgError

# (function, arguments, PostgreSQL 15's output for the same expression)
CASES: list[tuple[str, tuple[Any, ...], str]] = [
    ("pg_num_div", (1, "3"), "0.33333333333333333333"),  # 1::numeric/3
    ("pg_num_div", ("10", 4), "2.5000000000000000"),
    ("pg_num_div", ("2", "3.000"), "0.66666666666666666667"),
    ("pg_num_div", ("0.0000000001", 3), "0.0000000000333333333333333333"),
    ("pg_num_div", ("100.00", 3), "33.3333333333333333"),
    ("pg_num_div", ("-7", 2), "-3.5000000000000000"),
    ("pg_num_div", ("12345678901234567890", 7), "1763668414462081127"),
    ("pg_num_div", (1, "99999999"), "0.000000010000000100000001"),
    ("pg_num_div", ("9999", 10000), "0.99990000000000000000"),
    ("pg_num_mod", ("-7.5", 2), "-1.5"),
    ("pg_num_mod", (10, "3.00"), "1.00"),
    ("pg_num_div_trunc", ("-7.5", 2), "-3"),
    ("pg_num_round", ("-2.5",), "-3"),
    ("pg_num_round", ("1.2345", 2), "1.23"),
    ("pg_num_round", (155, -1), "160"),
    ("pg_num_round", ("1.5", 3), "1.500"),
    ("pg_num_trunc", ("-1.999", 1), "-1.9"),
    ("pg_num_ceil", ("-1.5",), "-1"),
    ("pg_num_floor", ("-1.5",), "-2"),
    ("pg_num_sign", ("-0.5",), "-1"),
    ("pg_num_add", ("12345678901234567890.123456789", 1), "12345678901234567891.123456789"),
    ("pg_num_add", ("1.50", "2.1"), "3.60"),
    ("pg_num_mul", ("2.00", "3.0"), "6.000"),
    ("pg_num_sub", ("Infinity", "Infinity"), "NaN"),
    ("pg_num_add", ("NaN", 1), "NaN"),
    ("pg_num_neg", ("-98765432109876543210.000000001",), "98765432109876543210.000000001"),
    ("pg_num_abs", ("-1.50",), "1.50"),
    ("pg_num_sqrt", ("2",), "1.414213562373095"),
    ("pg_num", (7,), "7"),
    ("pg_num", (1e20,), "100000000000000000000"),
    ("pg_num_greatest", ("9", "10", "-2", None), "10"),
    ("pg_num_least", ("NaN", "1e3", "100.5"), "100.5"),
]


@pytest.fixture(scope="module")
def conn() -> apsw.Connection:
    c = apsw.Connection(":memory:")
    numeric.register(c)
    return c


@pytest.mark.parametrize(("fn", "args", "expected"), CASES, ids=[f"{c[0]}{c[1]}" for c in CASES])
def test_function_matches_postgres(
    conn: apsw.Connection, fn: str, args: tuple[Any, ...], expected: str
) -> None:
    marks = ", ".join("?" for _ in args)
    assert conn.execute(f"SELECT {fn}({marks})", args).fetchall() == [(expected,)]


def test_division_by_zero_is_22012(conn: apsw.Connection) -> None:
    for fn in ("pg_num_div", "pg_num_mod", "pg_num_div_trunc"):
        with pytest.raises(PgError) as info:
            conn.execute(f"SELECT {fn}('1.5', '0.00')").fetchall()
        assert info.value.sqlstate == "22012"
    assert conn.execute("SELECT pg_num_div('NaN', 0)").fetchall() == [("NaN",)]


def test_collation_orders_by_value_with_nan_last(conn: apsw.Connection) -> None:
    conn.execute("CREATE TABLE t (v TEXT COLLATE pg_numeric)")
    values = ["10", "9", "-2", "100.5", "NaN", "1e-30", "-Infinity", "12345678901234567890.5"]
    conn.executemany("INSERT INTO t VALUES (?)", [(v,) for v in values])
    ordered = [r[0] for r in conn.execute("SELECT v FROM t ORDER BY v")]
    assert ordered == [
        "-Infinity",
        "-2",
        "1e-30",
        "9",
        "10",
        "100.5",
        "12345678901234567890.5",
        "NaN",
    ]
    assert conn.execute("SELECT count(*) FROM t WHERE v = '10.000'").fetchall() == [(1,)]


def test_sum_and_avg_are_exact_and_slide(conn: apsw.Connection) -> None:
    rows = conn.execute(
        "SELECT pg_num_sum(x), pg_num_avg(x) FROM (SELECT '0.1' AS x UNION ALL SELECT '0.2' "
        "UNION ALL SELECT 9223372036854775807 UNION ALL SELECT 9223372036854775807)"
    ).fetchall()
    assert rows == [("18446744073709551614.3", "4611686018427387903.6")]  # as PostgreSQL 15
    window = conn.execute(
        "SELECT pg_num_sum(x) OVER (ORDER BY i ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) FROM "
        "(SELECT 1 AS i, '1.5' AS x UNION ALL SELECT 2, '2.25' UNION ALL SELECT 3, '10') "
        "ORDER BY i"
    ).fetchall()
    assert window == [("1.5",), ("3.75",), ("12.25",)]
    assert conn.execute("SELECT pg_num_sum(1), pg_num_avg(1) WHERE 0").fetchall() == [(None, None)]


def test_div_scale_follows_select_div_scale() -> None:
    assert numeric.div_scale(Decimal(1), Decimal(3)) == 20
    assert numeric.div_scale(Decimal(10), Decimal(4)) == 16
    assert numeric.div_scale(Decimal("1.23456789012345678901"), Decimal(1)) == 20


def test_numeric_to_integer_rounds_half_away_from_zero() -> None:
    assert numeric.to_integer("2.5") == 3
    assert numeric.to_integer("-2.5") == -3
    with pytest.raises(PgError) as info:
        numeric.to_integer("NaN")
    assert info.value.sqlstate == "0A000"
