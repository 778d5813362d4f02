"""pgha.storage.functions.maths and the float codecs: against what PostgreSQL 15 printed."""

from __future__ import annotations

import math
from typing import Any

import apsw
import pytest

from pgha.storage import numeric
from pgha.storage.functions import maths as fn_numeric
from pgha.storage.types_number import FLOAT_NAN, float4_out, float8_out
from pgha.wire.errors import PgError

# (SQL expression over the registered functions, PostgreSQL 15's text for the same value)
CASES: list[tuple[str, Any]] = [
    ("pg_float8_add('NaN', 1)", FLOAT_NAN),  # 'NaN'::float8 + 1
    ("pg_float8_sub(9e999, 9e999)", FLOAT_NAN),  # 'Infinity' - 'Infinity'
    ("pg_float8_div('NaN', 0)", FLOAT_NAN),
    ("pg_float4_div(1.0, 3.0)", 0.3333333432674408),  # 1::float4 / 3::float4
    ("pg_float_round(2.5, 0)", 2.0),  # rint(): half to even
    ("pg_float_round(-0.5, 0)", -0.0),
    ("pg_num_exp('1.0')", "2.7182818284590452"),
    ("pg_num_ln('10.0')", "2.3025850929940457"),
    ("pg_num_log('2', '8')", "3.0000000000000000"),
    ("pg_num_log('100.0')", "2.0000000000000000"),
    ("pg_num_power('2.0', '10')", "1024.0000000000000000"),
    ("pg_num_power('2.0', '0.5')", "1.4142135623730950"),
    ("gcd(12, 18)", 6),
    ("gcd('12.5', 5)", "2.5"),
    ("lcm(4, 6)", 12),
    ("factorial(20)", "2432902008176640000"),
    ("pg_int4_shl(1, 31)", -2147483648),  # 1 << 31 wraps in int4
    ("pg_int4_shl(1, 32)", 1),  # the count is taken modulo 32, as C's shift on x86
    ("width_bucket(5, 0, 10, 4)", 3),
    ("width_bucket('5.5', 0, 10, 5)", 3),
    ("pg_width_bucket_array(5, '[1,3,5,7]')", 3),
    ("min_scale('1.2300')", 2),
]


@pytest.fixture(scope="module")
def conn() -> apsw.Connection:
    c = apsw.Connection(":memory:")
    numeric.register(c)
    fn_numeric.register(c, None)
    return c


@pytest.mark.parametrize(("expr", "expected"), CASES, ids=[c[0] for c in CASES])
def test_function_matches_postgres(conn: apsw.Connection, expr: str, expected: Any) -> None:
    (value,) = conn.execute(f"SELECT {expr}").fetchone()  # type: ignore[misc]
    assert value == expected
    if isinstance(expected, float):
        assert math.copysign(1.0, value) == math.copysign(1.0, expected)


@pytest.mark.parametrize(
    ("expr", "sqlstate"),
    [
        ("pg_float8_mul(1e308, 10)", "22003"),  # value out of range: overflow
        ("pg_float8_mul(1e-308, 1e-100)", "22003"),  # underflow
        ("pg_float4_mul(3e38, 10.0)", "22003"),
        ("pg_float8_div(1, 0)", "22012"),
        ("sqrt(-1)", "2201F"),
        ("ln(0)", "2201E"),
        ("pg_num_exp('6000')", "22003"),
        ("pow(0, -1)", "2201F"),
        ("asin(2)", "22003"),
        ("pg_idiv(-9223372036854775808, -1)", "22003"),
    ],
)
def test_errors_carry_postgres_sqlstate(conn: apsw.Connection, expr: str, sqlstate: str) -> None:
    with pytest.raises(PgError) as info:
        conn.execute(f"SELECT {expr}").fetchall()
    assert info.value.sqlstate == sqlstate


def test_aggregates_print_postgres_digits(conn: apsw.Connection) -> None:
    rows = "WITH v(x) AS (VALUES ('1.0'), ('2.0'), ('4.0'))"
    numeric_stats = conn.execute(f"{rows} SELECT pg_num_stddev(x), pg_num_variance(x) FROM v")
    assert numeric_stats.fetchone() == ("1.5275252316519467", "2.3333333333333333")
    (median,) = conn.execute(  # type: ignore[misc]
        "WITH v(x) AS (VALUES (1.0), (2.0), (10.0)) SELECT pg_percentile_cont(0.5, 0, 701, x) "
        "FROM v"
    ).fetchone()
    assert median == 2.0
    # a sliding frame recomputes from the rows left in it
    window = conn.execute(
        "WITH v(x) AS (VALUES (1.0), (2.0), (4.0)) "
        "SELECT stddev_window(x) OVER (ORDER BY x ROWS 1 PRECEDING) FROM v"
    ).fetchall()
    assert [r[0] for r in window] == [None, 0.7071067811865476, 1.4142135623730951]


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (36175248.0, "3.6175248e+07"),  # a shortest string at a midpoint takes one digit more
        (0.1, "0.1"),
        (16777216.0, "1.6777216e+07"),
        (FLOAT_NAN, "NaN"),
    ],
)
def test_float4_out_is_ryu(value: Any, text: str) -> None:
    assert float4_out(value) == text


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (-9.602345387422961e17, "-9.602345387422961e+17"),
        (1234567890123456.8, "1.2345678901234568e+15"),
        (1e15, "1e+15"),
        (0.30000000000000004, "0.30000000000000004"),
        (FLOAT_NAN, "NaN"),
        (math.inf, "Infinity"),
    ],
)
def test_float8_out_is_ryu(value: Any, text: str) -> None:
    assert float8_out(value) == text
