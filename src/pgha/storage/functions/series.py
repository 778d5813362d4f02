"""``pg_generate_series(start, stop, step)``: generate_series over integers, numerics and
timestamps as an eponymous SQLite virtual table (``arrays.ArrayElements`` reuses it).
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import apsw

from pgha.storage import numeric
from pgha.storage import oids as T
from pgha.storage.functions import datetimes as fn_datetime
from pgha.storage.functions.context import FunctionContext
from pgha.storage.functions.timestamps import _datetime_op, interval_parts
from pgha.wire.errors import InvalidParameterValue, ProgramLimitExceeded, UndefinedFunction


class GenerateSeries:
    """``pg_generate_series(start, stop, step)`` as an eponymous SQLite virtual table."""

    schema = "CREATE TABLE x(value, start HIDDEN, stop HIDDEN, step HIDDEN)"

    def Create(
        self, db: Any, modulename: str, dbname: str, tablename: str, *args: Any
    ) -> tuple[str, GenerateSeriesTable]:
        return self.schema, GenerateSeriesTable()

    Connect = Create


class GenerateSeriesTable:
    def BestIndexObject(self, o: Any) -> bool:
        # The arguments (start, stop, step) arrive as = constraints on the hidden columns.
        # When one comes from a table scanned in the same query (lateral), SQLite also asks
        # for plans where it is not usable yet: such a plan is the last resort, so SQLite
        # scans that table first. The arguments used are numbered in column order.
        arguments: dict[int, int] = {}  # hidden column -> constraint
        for i in range(o.nConstraint):
            col = o.get_aConstraint_iColumn(i)
            if col >= 1 and o.get_aConstraint_op(i) == apsw.SQLITE_INDEX_CONSTRAINT_EQ:
                if not o.get_aConstraint_usable(i):
                    o.estimatedCost = 1e30
                    return True
                arguments[col] = i
        for number, col in enumerate(sorted(arguments), start=1):
            o.set_aConstraintUsage_argvIndex(arguments[col], number)
            o.set_aConstraintUsage_omit(arguments[col], True)
        o.idxNum = sum(1 << col for col in arguments)
        o.estimatedCost = 10.0
        return True

    def Open(self) -> GenerateSeriesCursor:
        return GenerateSeriesCursor()

    def Disconnect(self) -> None:
        pass

    Destroy = Disconnect


class GenerateSeriesCursor:
    def __init__(self) -> None:
        self.values: list[Any] = []
        self.pos = 0

    def Filter(self, indexnum: int, indexname: Any, constraintargs: tuple[Any, ...]) -> None:
        args = list(constraintargs) + [None] * (3 - len(constraintargs))
        start, stop, step = args[0], args[1], args[2]
        self.pos = 0
        self.values = []
        if start is None or stop is None:
            return
        if isinstance(start, str) and _NUMERIC_TEXT.fullmatch(start):
            self.values = _numeric_series(start, stop, step)
            return
        if isinstance(start, str):
            self.values = _timestamp_series(start, stop, step)
            return
        if step is None:
            step = 1
        if step == 0:
            raise InvalidParameterValue("step size cannot equal zero")
        out = []
        value = start
        limit = 50_000_000
        while (value <= stop) if step > 0 else (value >= stop):
            out.append(value)
            value += step
            if len(out) > limit:
                raise ProgramLimitExceeded("generate_series result is too large")
        self.values = out

    def Eof(self) -> bool:
        return self.pos >= len(self.values)

    def Rowid(self) -> int:
        return self.pos

    def Column(self, col: int) -> Any:
        return self.values[self.pos] if col in (0, -1) else None

    def Next(self) -> None:
        self.pos += 1

    def Close(self) -> None:
        pass


_NUMERIC_TEXT = re.compile(r"-?\d+(?:\.\d*)?|-?\.\d+")


def _numeric_series(start: str, stop: Any, step: Any) -> list[Any]:
    """generate_series over numeric (exact; values in numeric's storage text)."""
    first, last = Decimal(start), Decimal(str(stop))
    by = Decimal(1) if step is None else Decimal(str(step))
    if not by:
        raise InvalidParameterValue("step size cannot equal zero")
    out = []
    value = first
    while (value <= last) if by > 0 else (value >= last):
        out.append(numeric.numeric_text(value))
        value += by
        if len(out) > 50_000_000:
            raise ProgramLimitExceeded("generate_series result is too large")
    return out


def _timestamp_series(start: str, stop: Any, step: Any) -> list[Any]:
    if step is None:
        raise UndefinedFunction("function generate_series(timestamp, timestamp) does not exist")
    out = []
    start, _, zone = start.partition(fn_datetime.SERIES_ZONE)  # timestamptz: the session zone
    # a date bound is midnight (date -> timestamp(tz), as PostgreSQL casts it)
    cur = start if len(start) > 10 else start + " 00:00:00"
    if isinstance(stop, str) and len(stop) == 10:
        stop += " 00:00:00"
    months, days, micros = interval_parts(step)
    if not (months or days or micros):
        raise InvalidParameterValue("step size cannot equal zero")
    forward = (months * 30 + days) * 86_400_000_000 + micros > 0
    while (cur <= stop) if forward else (cur >= stop):
        out.append(cur)
        cur = (fn_datetime.datetime_op("+", cur, T.TIMESTAMPTZ, step, T.INTERVAL, zone) if zone
               else _datetime_op("+", cur, T.TIMESTAMP, step, T.INTERVAL, T.TIMESTAMP, "UTC"))
        if len(out) > 10_000_000:
            raise ProgramLimitExceeded("generate_series result is too large")
    return out


def register(conn: apsw.Connection, ctx: FunctionContext) -> None:
    """The ``pg_generate_series`` virtual table."""
    conn.create_module(
        "pg_generate_series", GenerateSeries(), eponymous=True, use_bestindex_object=True
    )
