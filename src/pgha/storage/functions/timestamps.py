"""Timestamp and interval arithmetic on storage text, extract/date_part, date_trunc, to_char
of dates and timestamps, and the transaction's clock (now() and its relatives).

The newer date/time functions (``pg_dt_*``) are in ``datetimes``; these are the ones the
translator still calls by their older names.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
import zoneinfo
from decimal import Decimal
from functools import lru_cache
from typing import Any

import apsw

from pgha.storage import datetime_format
from pgha.storage import oids as T
from pgha.storage import types as pgtypes
from pgha.storage.functions.arithmetic import _num
from pgha.storage.functions.context import FunctionContext, _ts_text, registrar
from pgha.wire.errors import FeatureNotSupported, InvalidParameterValue, UndefinedFunction


def _parse_storage_ts(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


@lru_cache(maxsize=64)
def _zone(name: str) -> dt.tzinfo:
    if name.upper() in ("UTC", "GMT", "Z", "ETC/UTC"):
        return dt.UTC
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidParameterValue(f'time zone "{name}" not recognized') from exc


_IV_PART = re.compile(r"(-?\d+) (year|mon|day)s?")


_IV_TIME = re.compile(r"(-)?(\d+):(\d+):(\d+(?:\.\d+)?)")


def interval_parts(text: str) -> tuple[int, int, int]:
    """(months, days, microseconds) of an interval in its storage text."""
    months = days = 0
    for num, unit in _IV_PART.findall(text):
        n = int(num)
        if unit == "year":
            months += 12 * n
        elif unit == "mon":
            months += n
        else:
            days += n
    micros = 0
    m = _IV_TIME.search(text)
    if m:
        sign = -1 if m.group(1) else 1
        secs = Decimal(m.group(4))
        micros = sign * int((int(m.group(2)) * 3600 + int(m.group(3)) * 60 + secs) * 1_000_000)
    return months, days, micros


def interval_text(months: int, days: int, micros: int) -> str:
    iv = pgtypes.TYPES_BY_OID[T.INTERVAL]
    parts = []
    years, mons = divmod(abs(months), 12)
    sign = "-" if months < 0 else ""
    if years:
        parts.append(f"{sign}{years} year{'s' if years != 1 else ''}")
    if mons:
        parts.append(f"{sign}{mons} mon{'s' if mons != 1 else ''}")
    if days:
        parts.append(f"{days} day{'s' if abs(days) != 1 else ''}")
    if micros or not parts:
        neg = micros < 0
        secs, us = divmod(abs(micros), 1_000_000)
        h, rem = divmod(secs, 3600)
        mi, s = divmod(rem, 60)
        t = f"{'-' if neg else ''}{h:02d}:{mi:02d}:{s:02d}"
        if us:
            t += f".{us:06d}".rstrip("0")
        parts.append(t)
    return str(pgtypes.parse_text(iv, " ".join(parts), -1))


def _add_months(moment: dt.datetime, months: int) -> dt.datetime:
    if not months:
        return moment
    y, m = divmod(moment.month - 1 + months, 12)
    year, month = moment.year + y, m + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def _datetime_op(op: str, left: Any, lt: int, right: Any, rt: int, result: int, tz: str) -> Any:
    if left is None or right is None:
        return None
    if lt == T.INTERVAL and rt == T.INTERVAL:
        a, b = interval_parts(left), interval_parts(right)
        sign = 1 if op == "+" else -1
        return interval_text(*(x + sign * y for x, y in zip(a, b, strict=True)))
    if lt == T.DATE and rt in T.INTEGER_TYPES:
        d = dt.date.fromisoformat(left) + dt.timedelta(days=right if op == "+" else -right)
        return d.isoformat()
    if lt in T.INTEGER_TYPES and rt == T.DATE and op == "+":
        return (dt.date.fromisoformat(right) + dt.timedelta(days=left)).isoformat()
    if lt == T.DATE and rt == T.DATE and op == "-":
        return (dt.date.fromisoformat(left) - dt.date.fromisoformat(right)).days
    if lt in (T.TIMESTAMP, T.TIMESTAMPTZ, T.DATE) and rt in (T.TIMESTAMP, T.TIMESTAMPTZ, T.DATE):
        a = _parse_storage_ts(left if lt != T.DATE else left + " 00:00:00")
        b = _parse_storage_ts(right if rt != T.DATE else right + " 00:00:00")
        delta = a - b
        days = delta.days
        micros = delta.seconds * 1_000_000 + delta.microseconds
        if days < 0 and micros:
            days += 1
            micros -= 86_400_000_000
        return interval_text(0, days, micros)
    if lt == T.INTERVAL and rt in (T.TIMESTAMP, T.TIMESTAMPTZ, T.DATE, T.TIME) and op == "+":
        return _datetime_op(op, right, rt, left, lt, result, tz)
    if rt == T.INTERVAL and lt in (T.TIMESTAMP, T.TIMESTAMPTZ, T.DATE):
        months, days, micros = interval_parts(right)
        if op == "-":
            months, days, micros = -months, -days, -micros
        base = _parse_storage_ts(left if lt != T.DATE else left + " 00:00:00")
        if lt == T.TIMESTAMPTZ and (months or days):
            local = base.replace(tzinfo=dt.UTC).astimezone(_zone(tz))
            local = _add_months(local.replace(tzinfo=None), months) + dt.timedelta(days=days)
            base = local.replace(tzinfo=_zone(tz)).astimezone(dt.UTC).replace(tzinfo=None)
        else:
            base = _add_months(base, months) + dt.timedelta(days=days)
        base += dt.timedelta(microseconds=micros)
        return _ts_text(base.replace(tzinfo=dt.UTC))
    if lt == T.TIME and rt == T.INTERVAL:
        _, _, micros = interval_parts(right)
        base = dt.datetime.combine(dt.date(2000, 1, 1), dt.time.fromisoformat(left))
        base += dt.timedelta(microseconds=micros if op == "+" else -micros)
        return _ts_text(base.replace(tzinfo=dt.UTC))[11:]
    if lt == T.INTERVAL and rt in T.NUMERIC_RANK:
        raise UndefinedFunction(f"operator does not exist: interval {op} numeric")
    raise UndefinedFunction(f"operator does not exist for types {lt} {op} {rt}")


def interval_mul(a: Any, b: Any) -> Any:
    """interval * number (or number * interval), as interval_mul() spreads fractions."""
    return _interval_mul(a, b)


def _interval_mul(a: Any, b: Any) -> Any:
    if a is None or b is None:
        return None
    iv, factor = (a, b) if isinstance(a, str) else (b, a)
    months, days, micros = interval_parts(iv)
    f = float(factor)
    total_months = months * f
    whole_months = int(total_months)
    day_total = days * f + (total_months - whole_months) * 30
    whole_days = int(day_total)
    micro_total = micros * f + (day_total - whole_days) * 86_400_000_000
    return interval_text(whole_months, whole_days, round(micro_total))


_EXTRACT_FIELDS = {
    "century",
    "day",
    "decade",
    "dow",
    "doy",
    "epoch",
    "hour",
    "isodow",
    "isoyear",
    "microseconds",
    "millennium",
    "milliseconds",
    "minute",
    "month",
    "quarter",
    "second",
    "week",
    "year",
    "timezone",
}


def _extract(field_name: Any, value: Any, tz: str) -> Any:
    if value is None:
        return None
    name = str(field_name).lower()
    if name not in _EXTRACT_FIELDS:
        raise InvalidParameterValue(f'unit "{name}" not recognized for type timestamp')
    if isinstance(value, str) and (
        " day" in value
        or " mon" in value
        or " year" in value
        or (
            ":" in value
            and "-" not in value[:5]
            and len(value) < 20
            and value.count(":") == 2
            and not re.match(r"\d{4}-", value)
        )
    ):
        months, days, micros = interval_parts(value)
        if name == "epoch":
            return _num(Decimal(months * 30 * 86400 + days * 86400) + Decimal(micros) / 1000000)
        if name == "day":
            return days
        if name == "hour":
            return micros // 3_600_000_000
        if name == "minute":
            return micros // 60_000_000 % 60
        if name == "second":
            return _num(Decimal(micros % 60_000_000) / 1000000)
        if name == "month":
            return months % 12
        if name == "year":
            return months // 12
        raise FeatureNotSupported(f'interval unit "{name}" is not supported')
    text = str(value)
    if len(text) == 10:
        text += " 00:00:00"
    moment = _parse_storage_ts(text)
    if name == "epoch":
        epoch = moment.replace(tzinfo=dt.UTC).timestamp()
        return _num(Decimal(repr(epoch)))
    local = moment
    if name == "year":
        return local.year
    if name == "month":
        return local.month
    if name == "day":
        return local.day
    if name == "hour":
        return local.hour
    if name == "minute":
        return local.minute
    if name == "second":
        return _num(Decimal(local.second) + Decimal(local.microsecond) / 1000000)
    if name == "milliseconds":
        return _num(Decimal(local.second * 1000) + Decimal(local.microsecond) / 1000)
    if name == "microseconds":
        return local.second * 1_000_000 + local.microsecond
    if name == "dow":
        return (local.weekday() + 1) % 7
    if name == "isodow":
        return local.isoweekday()
    if name == "doy":
        return local.timetuple().tm_yday
    if name == "quarter":
        return (local.month - 1) // 3 + 1
    if name == "week":
        return local.isocalendar()[1]
    if name == "isoyear":
        return local.isocalendar()[0]
    if name == "decade":
        return local.year // 10
    if name == "century":
        return (local.year + 99) // 100
    if name == "millennium":
        return (local.year + 999) // 1000
    return 0


def _date_trunc(field_name: Any, value: Any) -> Any:
    if value is None:
        return None
    name = str(field_name).lower()
    text = str(value)
    date_only = len(text) == 10
    moment = _parse_storage_ts(text if not date_only else text + " 00:00:00")
    if name == "microseconds":
        pass
    elif name == "milliseconds":
        moment = moment.replace(microsecond=moment.microsecond // 1000 * 1000)
    elif name == "second":
        moment = moment.replace(microsecond=0)
    elif name == "minute":
        moment = moment.replace(second=0, microsecond=0)
    elif name == "hour":
        moment = moment.replace(minute=0, second=0, microsecond=0)
    elif name == "day":
        moment = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    elif name == "week":
        moment = (moment - dt.timedelta(days=moment.weekday())).replace(
            hour=0, minute=0, second=0, microsecond=0
        )
    elif name == "month":
        moment = moment.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    elif name == "quarter":
        moment = moment.replace(
            month=(moment.month - 1) // 3 * 3 + 1, day=1, hour=0, minute=0, second=0, microsecond=0
        )
    elif name == "year":
        moment = moment.replace(month=1, day=1, hour=0, minute=0, second=0, microsecond=0)
    else:
        raise InvalidParameterValue(f'unit "{name}" not recognized for type timestamp')
    return _ts_text(moment.replace(tzinfo=dt.UTC))


def _to_char(value: Any, fmt: Any, tz: str | None = None) -> Any:
    """to_char of a date or timestamp; with ``tz`` (the session TimeZone), of a timestamptz,
    printed in that zone. Infinite values give NULL, as in PostgreSQL."""
    if value is None or fmt is None:
        return None
    text = str(value)
    if text in ("infinity", "-infinity"):
        return None
    moment = _parse_storage_ts(text if len(text) > 10 else text + " 00:00:00")
    if tz is None:
        return datetime_format.to_char(moment, str(fmt))
    local = moment.replace(tzinfo=dt.UTC).astimezone(_zone(tz))
    offset = local.utcoffset()
    return datetime_format.to_char(local.replace(tzinfo=None), str(fmt), local.tzname() or "",
                                   int(offset.total_seconds()) if offset is not None else 0)


def register(conn: apsw.Connection, ctx: FunctionContext) -> None:
    """The functions above; those that read the session zone or the transaction's start
    read ``ctx`` at call time."""
    f = registrar(conn)
    f(
        "pg_datetime_op",
        lambda op, a, lt, b, rt, res: _datetime_op(op, a, lt, b, rt, res, ctx.tz),
        6,
    )
    f("pg_interval_mul", _interval_mul, 2, True)
    f("pg_extract", lambda fld, v: _extract(fld, v, ctx.tz), 2)
    f("date_part", lambda fld, v: _extract(fld, v, ctx.tz), 2)
    f("date_trunc", lambda fld, v, *_: _date_trunc(fld, v), -1)
    f("pg_now", lambda: _ts_text(ctx.transaction_start), 0)
    f("now", lambda: _ts_text(ctx.transaction_start), 0)
    f("transaction_timestamp", lambda: _ts_text(ctx.transaction_start), 0)
    f("statement_timestamp", lambda: _ts_text(ctx.statement_start), 0)
    f("clock_timestamp", lambda: _ts_text(dt.datetime.now(dt.UTC)), 0)
    f(
        "pg_localtimestamp",
        lambda: _ts_text(ctx.transaction_start.astimezone(_zone(ctx.tz)).replace(tzinfo=dt.UTC)),
        0,
    )
    f(
        "pg_current_date",
        lambda: ctx.transaction_start.astimezone(_zone(ctx.tz)).date().isoformat(),
        0,
    )
    f(
        "pg_current_time",
        lambda: _ts_text(ctx.transaction_start.astimezone(_zone(ctx.tz)).replace(tzinfo=dt.UTC))[
            11:
        ],
        0,
    )
    f(
        "age",
        lambda a, b=None: (
            _datetime_op(
                "-",
                b
                if a is not None and b is not None
                else _ts_text(ctx.transaction_start)[:10] + " 00:00:00",
                T.TIMESTAMP,
                b if b is not None else a,
                T.TIMESTAMP,
                T.INTERVAL,
                "UTC",
            )
            if b is None
            else _datetime_op("-", a, T.TIMESTAMP, b, T.TIMESTAMP, T.INTERVAL, "UTC")
        ),
        -1,
    )
    f("to_char", _to_char, 2)
    f("pg_to_char_tz", lambda v, fmt: _to_char(v, fmt, ctx.tz), 2)
