"""Aggregates of the core set: bool_and/bool_or, the standard deviations and variances
(``maths`` replaces those with float.c's), and ``pg_single_row``, behind a scalar
subquery.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import apsw

from pgha.storage.functions.context import FunctionContext
from pgha.wire.errors import CardinalityViolation


class _BoolAgg:
    def __init__(self, is_and: bool) -> None:
        self.is_and = is_and
        self.value: int | None = None

    def step(self, v: Any) -> None:
        if v is None:
            return
        b = 1 if v else 0
        if self.value is None:
            self.value = b
        elif self.is_and:
            self.value &= b
        else:
            self.value |= b

    def final(self) -> int | None:
        return self.value


def _stat(kind: str) -> Callable[[], tuple[Any, Any, Any]]:
    """stddev/variance aggregates (sample or population)."""

    def factory() -> tuple[Any, Any, Any]:
        values: list[float] = []

        def step(_: Any, v: Any) -> None:
            if v is not None:
                values.append(float(v))

        def final(_: Any) -> Any:
            n = len(values)
            if n == 0 or (n == 1 and kind.endswith("samp")):
                return None
            mean = sum(values) / n
            ss = sum((v - mean) ** 2 for v in values)
            var = ss / (n - 1 if kind.endswith("samp") else n)
            return math.sqrt(var) if kind.startswith("stddev") else var

        return None, step, final

    return factory


def _single_row() -> tuple[Any, Any, Any]:
    """Aggregate behind a scalar subquery: its one value, or 21000 for more than one row."""
    state: dict[str, Any] = {"n": 0, "v": None}

    def step(_: Any, v: Any) -> None:
        state["n"] += 1
        state["v"] = v

    def final(_: Any) -> Any:
        # Raised here, after the scan: an exception in step() would surface inside whatever
        # produces the rows (a virtual table) instead.
        if state["n"] > 1:
            raise CardinalityViolation("more than one row returned by a subquery used as an "
                                       "expression")
        return state["v"]

    return None, step, final


def register(conn: apsw.Connection, ctx: FunctionContext) -> None:
    """The aggregates above."""
    for name, kind in (("stddev", "stddev_samp"), ("stddev_samp", "stddev_samp"),
                       ("stddev_pop", "stddev_pop"), ("variance", "var_samp"),
                       ("var_samp", "var_samp"), ("var_pop", "var_pop")):
        conn.create_aggregate_function(name, _stat(kind))
    conn.create_aggregate_function("pg_single_row", _single_row)
    conn.create_aggregate_function(
        "pg_bool_and", lambda: (_BoolAgg(True), _BoolAgg.step, _BoolAgg.final)
    )
    conn.create_aggregate_function(
        "pg_bool_or", lambda: (_BoolAgg(False), _BoolAgg.step, _BoolAgg.final)
    )
