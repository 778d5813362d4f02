"""routing.depth.too_deep: a bound on a statement's nesting, from its tokens only."""

from __future__ import annotations

import pytest

from pgha.routing.depth import MAX_DEPTH, too_deep

N = MAX_DEPTH + 10


@pytest.mark.parametrize("sql", [
    "select " + " + ".join(["1"] * N),
    "select " + "not " * N + "true",
    "select " + "(" * N + "1" + ")" * N,
    "select 1" + " union select 1" * N,
    "select " + "- " * N + "1",
    "select x::int" + "::int" * N,
    "select a[1]" + "[1]" * N,
    "select 1; select " + " || ".join(["'x'"] * N),
])
def test_deep(sql: str) -> None:
    assert too_deep(sql)


@pytest.mark.parametrize("sql", [
    "select 1",
    "select " + " + ".join(["1"] * (MAX_DEPTH // 2)),
    "select * from t where " + " and ".join(f"a{i} = {i}" for i in range(N)),
    "select * from t where " + " or ".join(f"(a = {i} + 1)" for i in range(N)),
    "insert into t values " + ", ".join(f"({i} + 1, 'x' || {i})" for i in range(N)),
    "select " + ", ".join(f"a{i} + b{i}" for i in range(N)) + " from t",
    "select " + " + ".join(["1"] * (MAX_DEPTH // 2)) + "; select "
    + " + ".join(["1"] * (MAX_DEPTH // 2)),
    "select '" + "+" * (10 * N) + "'",  # operators inside a string are not operators
    "select 1 -- " + "+" * (10 * N),
    "select case " + " ".join(f"when a = {i} then {i} + 1" for i in range(N)) + " end",
])
def test_not_deep(sql: str) -> None:
    assert not too_deep(sql)
