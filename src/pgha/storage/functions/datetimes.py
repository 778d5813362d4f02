"""Date/time functions and operators of PostgreSQL 15 as SQLite user functions.

The translator passes the PostgreSQL type OID of each date/time operand (it knows them; the
storage text alone cannot tell a date from a timestamp in every case), and the session
TimeZone comes from the connection's ``FunctionContext``. Storage forms are those of
``types_datetime`` (timestamptz: the UTC instant) and ``types_interval`` (the interval's
postgres-style text). Interval arithmetic follows src/backend/utils/adt/timestamp.c:
(months, days, microseconds) kept apart, C's truncating division, and float8 factors.
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
import re
from collections.abc import Callable
from decimal import Decimal
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import apsw

from pgha.storage import datetime_format
from pgha.storage import oids as T
from pgha.storage import types_datetime as tdt
from pgha.storage.datetime_parse import parse_formatted
from pgha.storage.types_codec import tdiv
from pgha.storage.types_interval import format_interval, parse_interval
from pgha.storage.types_number import numeric_text
from pgha.wire.errors import (
    AmbiguousFunction,
    DatetimeFieldOverflow,
    DivisionByZero,
    FeatureNotSupported,
    InvalidParameterValue,
    PgError,
    UndefinedFunction,
)

if TYPE_CHECKING:
    from pgha.storage.functions.context import FunctionContext

USECS_PER_SEC = 1_000_000
USECS_PER_DAY = 86_400 * USECS_PER_SEC
DAYS_PER_MONTH = 30
_TIMESTAMPS = (T.TIMESTAMP, T.TIMESTAMPTZ)
_UNIX_EPOCH = dt.datetime(1970, 1, 1)
_INFINITE = ("infinity", "-infinity")

Interval = tuple[int, int, int]


def _out_of_range(what: str = "interval") -> PgError:
    return DatetimeFieldOverflow(f"{what} out of range")


# -- storage <-> values ---------------------------------------------------------------


@lru_cache(maxsize=4096)
def interval_of(text: str) -> Interval:
    """(months, days, microseconds) of a stored interval; cached, as the pg_interval
    collation reads the same values again and again while sorting."""
    return parse_interval(text)


def interval_text(months: int, days: int, usecs: int) -> str:
    if not (-(2**31) <= months < 2**31 and -(2**31) <= days < 2**31
            and -(2**63) <= usecs < 2**63):
        raise _out_of_range()
    return format_interval(months, days, usecs)


def _naive(text: str) -> dt.datetime:
    """A stored date or timestamp as a naive datetime (dates at midnight)."""
    return dt.datetime.fromisoformat(text if len(text) > 10 else text + " 00:00:00")


def _storage(moment: dt.datetime) -> str:
    if not 1 <= moment.year <= 9999:
        raise _out_of_range("timestamp")
    text = moment.isoformat(" ")
    return text.rstrip("0") if moment.microsecond else text


def _time_usecs(text: str) -> int:
    h, mi, s = text.split(":")
    sec, _, frac = s.partition(".")
    return ((int(h) * 60 + int(mi)) * 60 + int(sec)) * USECS_PER_SEC + int((frac + "00000")[:6])


def _local(value: str, oid: int, tz: str) -> dt.datetime:
    """The wall-clock time of a date, timestamp or timestamptz (in the session zone)."""
    moment = _naive(value)
    if oid == T.TIMESTAMPTZ:
        zone = tdt.zone(tz)
        moment = moment.replace(tzinfo=dt.UTC).astimezone(zone).replace(tzinfo=None)
    return moment


def _utc_of_local(moment: dt.datetime, tz: str) -> dt.datetime:
    zone = tdt.zone(tz)
    return tdt.localize(moment, zone).astimezone(dt.UTC).replace(tzinfo=None)


def _as_timestamp(value: str, oid: int, target: int, tz: str) -> str:
    """date/timestamp/timestamptz storage converted to ``target`` (timestamp or timestamptz)."""
    if value in _INFINITE:
        return value
    if oid == target:
        return value if oid != T.DATE else value + " 00:00:00"
    if target == T.TIMESTAMPTZ:
        return _storage(_utc_of_local(_naive(value), tz))
    return _storage(_local(value, oid, tz))


def round_to_typmod(value: Any, oid: int, typmod: int) -> Any:
    """A timestamp(tz) cast to timestamp(p): its fraction rounded to p digits."""
    if typmod < 0 or oid not in _TIMESTAMPS or not isinstance(value, str) or \
            value in _INFINITE:
        return value
    moment = _naive(value)
    usecs = tdt._round_usecs(moment.microsecond, typmod)
    return _storage(moment.replace(microsecond=0) + dt.timedelta(microseconds=usecs))


def _usecs_between(a: dt.datetime, b: dt.datetime) -> int:
    delta = a - b
    return (delta.days * 86_400 + delta.seconds) * USECS_PER_SEC + delta.microseconds


# -- interval arithmetic ------------------------------------------------------------------


def _add_months(moment: dt.datetime, months: int) -> dt.datetime:
    if not months:
        return moment
    y, m = divmod(moment.month - 1 + months, 12)
    year = moment.year + y
    if not 1 <= year <= 9999:
        raise _out_of_range("timestamp")
    day = min(moment.day, calendar.monthrange(year, m + 1)[1])
    return moment.replace(year=year, month=m + 1, day=day)


def _shift(value: str, oid: int, iv: Interval, tz: str) -> str:
    """timestamp(tz) + interval: months, then days on the wall clock, then the time."""
    if value in _INFINITE:
        return value
    months, days, usecs = iv
    try:
        if oid == T.TIMESTAMPTZ and (months or days):
            local = _add_months(_local(value, oid, tz), months) + dt.timedelta(days=days)
            moment = _utc_of_local(local, tz)
        else:
            moment = _add_months(_naive(value), months) + dt.timedelta(days=days)
        return _storage(moment + dt.timedelta(microseconds=usecs))
    except OverflowError:
        raise _out_of_range("timestamp") from None


def _difference(a: str, b: str) -> str:
    """timestamp - timestamp: days and time, as interval_justify_hours leaves them."""
    if a in _INFINITE or b in _INFINITE:
        raise DatetimeFieldOverflow("cannot subtract infinite timestamps")
    usecs = _usecs_between(_naive(a), _naive(b))
    days = tdiv(usecs, USECS_PER_DAY)
    return interval_text(0, days, usecs - days * USECS_PER_DAY)


def _time_wrap(usecs: int) -> str:
    return tdt.time_storage(usecs % USECS_PER_DAY)


def datetime_op(op: str, a: Any, ta: int, b: Any, tb: int, tz: str) -> Any:
    """The + and - operators with a date/time operand, by PostgreSQL's operator table."""
    if a is None or b is None:
        return None
    sign = 1 if op == "+" else -1
    if ta == tb == T.INTERVAL:
        x, y = interval_of(a), interval_of(b)
        return interval_text(*(p + sign * q for p, q in zip(x, y, strict=True)))
    if op == "+" and (ta == T.INTERVAL or (tb == T.DATE and ta != T.DATE)):
        return datetime_op(op, b, tb, a, ta, tz)  # commutative forms: interval + x, int + date
    if ta == T.DATE and tb in T.INTEGER_TYPES:
        if a in _INFINITE:
            return a
        try:
            return (dt.date.fromisoformat(a) + dt.timedelta(days=sign * int(b))).isoformat()
        except OverflowError:
            raise _out_of_range("date") from None
    if ta == tb == T.DATE and op == "-":
        if a in _INFINITE or b in _INFINITE:
            raise DatetimeFieldOverflow("cannot subtract infinite dates")
        return (dt.date.fromisoformat(a) - dt.date.fromisoformat(b)).days
    if ta == T.DATE and tb == T.TIME and op == "+":
        if a in _INFINITE:
            return a
        return _storage(_naive(a) + dt.timedelta(microseconds=_time_usecs(b)))
    if ta == tb == T.TIME and op == "-":
        return interval_text(0, 0, _time_usecs(a) - _time_usecs(b))
    if ta == T.TIME and tb == T.INTERVAL:
        return _time_wrap(_time_usecs(a) + sign * interval_of(b)[2])
    if tb == T.INTERVAL and ta in (T.DATE, *_TIMESTAMPS):
        months, days, usecs = interval_of(b)
        target = T.TIMESTAMP if ta == T.DATE else ta
        base = _as_timestamp(a, ta, target, tz)
        return _shift(base, target, (sign * months, sign * days, sign * usecs), tz)
    if op == "-" and ta in (T.DATE, *_TIMESTAMPS) and tb in (T.DATE, *_TIMESTAMPS):
        target = T.TIMESTAMPTZ if T.TIMESTAMPTZ in (ta, tb) else T.TIMESTAMP
        return _difference(_as_timestamp(a, ta, target, tz), _as_timestamp(b, tb, target, tz))
    if ta == tb == T.TIME and op == "+":
        # time + interval and interval + time both take it through an implicit cast
        raise AmbiguousFunction("operator is not unique: time without time zone + time "
                                "without time zone")
    names = {T.DATE: "date", T.TIME: "time without time zone", T.TIMESTAMP:
             "timestamp without time zone", T.TIMESTAMPTZ: "timestamp with time zone",
             T.INTERVAL: "interval"}
    raise UndefinedFunction(f"operator does not exist: {names.get(ta, 'integer')} {op} "
                            f"{names.get(tb, 'integer')}")


def _tsround(x: float) -> float:
    return round(x * 1e6) / 1e6


def interval_scale(value: Any, factor: Any, divide: bool) -> Any:
    """interval_mul and interval_div (timestamp.c): whole units, fractions cascading down."""
    if value is None or factor is None:
        return None
    f = float(factor)
    if divide and f == 0:
        raise DivisionByZero("division by zero")
    if math.isnan(f) or math.isinf(f):
        raise _out_of_range()
    months, days, usecs = interval_of(value)

    def scale(x: float) -> float:
        return x / f if divide else x * f

    m_exact, d_exact = scale(months), scale(days)
    if not (-(2**31) <= m_exact < 2**31 and -(2**31) <= d_exact < 2**31):
        raise _out_of_range()
    r_months, r_days = int(m_exact), int(d_exact)
    month_remainder_days = _tsround((m_exact - r_months) * DAYS_PER_MONTH)
    sec_remainder = _tsround(
        (d_exact - r_days + month_remainder_days - int(month_remainder_days)) * 86_400)
    if abs(sec_remainder) >= 86_400:
        r_days += int(sec_remainder / 86_400)
        sec_remainder -= int(sec_remainder / 86_400) * 86_400
    r_days += int(month_remainder_days)
    time = scale(usecs) + sec_remainder * USECS_PER_SEC
    if math.isnan(time) or not -(2**63) <= time < 2**63:
        raise _out_of_range()
    return interval_text(r_months, r_days, round(time))


def interval_key(value: Any) -> Any:
    """interval_cmp_value: months of 30 days, days of 24 hours, in microseconds."""
    if value is None:
        return None
    months, days, usecs = interval_of(value)
    key = (months * DAYS_PER_MONTH + days) * USECS_PER_DAY + usecs
    return key if -(2**63) <= key < 2**63 else float(key)


def _justify_hours(months: int, days: int, usecs: int) -> Interval:
    whole = tdiv(usecs, USECS_PER_DAY)
    usecs -= whole * USECS_PER_DAY
    days += whole
    if days > 0 and usecs < 0:
        usecs += USECS_PER_DAY
        days -= 1
    elif days < 0 and usecs > 0:
        usecs -= USECS_PER_DAY
        days += 1
    return months, days, usecs


def _justify_days(months: int, days: int, usecs: int) -> Interval:
    whole = tdiv(days, DAYS_PER_MONTH)
    days -= whole * DAYS_PER_MONTH
    months += whole
    if months > 0 and days < 0:
        days += DAYS_PER_MONTH
        months -= 1
    elif months < 0 and days > 0:
        days -= DAYS_PER_MONTH
        months += 1
    return months, days, usecs


def _justify_interval(months: int, days: int, usecs: int) -> Interval:
    if (days > 0 and usecs > 0) or (days < 0 and usecs < 0):
        whole = tdiv(days, DAYS_PER_MONTH)
        days -= whole * DAYS_PER_MONTH
        months += whole
    whole = tdiv(usecs, USECS_PER_DAY)
    usecs -= whole * USECS_PER_DAY
    days += whole
    whole = tdiv(days, DAYS_PER_MONTH)
    days -= whole * DAYS_PER_MONTH
    months += whole
    if months > 0 and (days < 0 or (days == 0 and usecs < 0)):
        days += DAYS_PER_MONTH
        months -= 1
    elif months < 0 and (days > 0 or (days == 0 and usecs > 0)):
        days -= DAYS_PER_MONTH
        months += 1
    if days > 0 and usecs < 0:
        usecs += USECS_PER_DAY
        days -= 1
    elif days < 0 and usecs > 0:
        usecs -= USECS_PER_DAY
        days += 1
    return months, days, usecs


def _justify(fn: Callable[[int, int, int], Interval]) -> Callable[[Any], Any]:
    return lambda v: None if v is None else interval_text(*fn(*interval_of(v)))


# -- extract / date_part / date_trunc -----------------------------------------------------

# DecodeUnits/DecodeSpecial spellings of the fields (datetime.c's deltatktbl, datetktbl).
_FIELD_SPELLINGS = {
    "microseconds": "us usec usecs useconds microsecon microsecond microseconds",
    "milliseconds": "ms msec msecs mseconds millisecon millisecond milliseconds",
    "second": "s sec secs second seconds",
    "minute": "m min mins minute minutes",
    "hour": "h hr hrs hour hours",
    "day": "d day days",
    "week": "w week weeks",
    "month": "mon mons month months",
    "quarter": "qtr quarter",
    "year": "y yr yrs year years",
    "decade": "dec decs decade decades",
    "century": "c cent centuries century",
    "millennium": "mil mils millennia millennium",
    "epoch": "epoch",
    "dow": "dow",
    "isodow": "isodow",
    "doy": "doy",
    "isoyear": "isoyear",
    "timezone": "timezone",
    "timezone_hour": "timezone_h timezone_hour",
    "timezone_minute": "timezone_m timezone_minute",
    "julian": "j julian",
}
FIELDS = {spelling: name for name, spellings in _FIELD_SPELLINGS.items()
          for spelling in spellings.split()}
_TYPE_NAMES = {T.DATE: "date", T.TIME: "time without time zone",
               T.TIMESTAMP: "timestamp without time zone",
               T.TIMESTAMPTZ: "timestamp with time zone", T.INTERVAL: "interval"}


def _field(name: Any, oid: int) -> str:
    text = str(name)
    field = FIELDS.get(text.lower())
    if field is None:
        raise InvalidParameterValue(f'unit "{text}" not recognized for type {_TYPE_NAMES[oid]}')
    return field


def _unsupported(field: str, oid: int) -> PgError:
    return FeatureNotSupported(f'unit "{field}" not supported for type {_TYPE_NAMES[oid]}')


def _scaled(usecs: int, scale: int) -> Decimal:
    """microseconds as a number of 10**-scale units... of seconds (scale 6) or ms (3)."""
    return Decimal(usecs).scaleb(-scale)


def _moment_part(field: str, m: dt.datetime, oid: int, offset: int) -> int | Decimal:
    sec_us = m.second * USECS_PER_SEC + m.microsecond
    simple: dict[str, Callable[[], int | Decimal]] = {
        "microseconds": lambda: sec_us,
        "milliseconds": lambda: _scaled(sec_us, 3),
        "second": lambda: _scaled(sec_us, 6),
        "minute": lambda: m.minute,
        "hour": lambda: m.hour,
        "day": lambda: m.day,
        "month": lambda: m.month,
        "quarter": lambda: (m.month - 1) // 3 + 1,
        "week": lambda: m.isocalendar()[1],
        "year": lambda: m.year,
        "decade": lambda: m.year // 10,
        "century": lambda: (m.year + 99) // 100,
        "millennium": lambda: (m.year + 999) // 1000,
        "dow": lambda: m.isoweekday() % 7,
        "isodow": lambda: m.isoweekday(),
        "doy": lambda: m.timetuple().tm_yday,
        "isoyear": lambda: m.isocalendar()[0],
    }
    if field in simple:
        return simple[field]()
    if field == "julian":
        day_us = (m.hour * 3600 + m.minute * 60) * USECS_PER_SEC + sec_us
        return Decimal(m.toordinal() + 1721425) + Decimal(day_us) / Decimal(USECS_PER_DAY)
    if oid == T.TIMESTAMPTZ and field.startswith("timezone"):
        if field == "timezone":
            return offset
        if field == "timezone_hour":
            return tdiv(offset, 3600)
        minutes = tdiv(offset, 60)
        return minutes - tdiv(minutes, 60) * 60  # C's %: the sign of the offset
    raise _unsupported(field, oid)


def _epoch(value: str, oid: int) -> Decimal:
    us = _usecs_between(_naive(value), _UNIX_EPOCH)
    return Decimal(us // USECS_PER_DAY * 86_400) if oid == T.DATE else _scaled(us, 6)


def _interval_part(field: str, iv: Interval) -> int | Decimal:
    months, days, usecs = iv
    hours = tdiv(usecs, 3_600 * USECS_PER_SEC)
    rest = usecs - hours * 3_600 * USECS_PER_SEC
    minutes = tdiv(rest, 60 * USECS_PER_SEC)
    sec_us = rest - minutes * 60 * USECS_PER_SEC
    years = tdiv(months, 12)
    if field == "epoch":
        day_months = Decimal(years) * Decimal("365.25") + (months - years * 12) * 30 + days
        return day_months * 86_400 + _scaled(usecs, 6)
    parts: dict[str, int | Decimal] = {
        "microseconds": sec_us,
        "milliseconds": _scaled(sec_us, 3),
        "second": _scaled(sec_us, 6),
        "minute": minutes,
        "hour": hours,
        "day": days,
        "month": months - years * 12,
        "quarter": (months - years * 12) // 3 + 1 if months >= 0 else
        tdiv(months - years * 12, 3) + 1,
        "year": years,
        "decade": tdiv(years, 10),
        "century": tdiv(years, 100),
        "millennium": tdiv(years, 1000),
    }
    if field not in parts:
        raise _unsupported(field, T.INTERVAL)
    return parts[field]


def _infinite_part(field: str, value: str, oid: int) -> Decimal | None:
    """extract of +-infinity: +-Infinity for the monotonic fields, else NULL."""
    if field in ("epoch", "year", "decade", "century", "millennium", "julian", "isoyear"):
        return Decimal("-Infinity" if value[0] == "-" else "Infinity")
    if field in ("microseconds", "milliseconds", "second", "minute", "hour", "day", "month",
                 "quarter", "week", "dow", "isodow", "doy", "timezone", "timezone_hour",
                 "timezone_minute"):
        if oid == T.DATE and field in ("microseconds", "milliseconds", "second", "minute",
                                       "hour", "timezone", "timezone_hour", "timezone_minute"):
            raise _unsupported(field, oid)
        return None
    raise _unsupported(field, oid)


def date_part(field_name: Any, value: Any, oid: int, numeric: int, tz: str) -> Any:
    """extract (numeric, PostgreSQL 15's scales) and date_part (float8) of any date/time."""
    if value is None or field_name is None:
        return None
    field = _field(field_name, oid)
    result: int | Decimal | None
    if oid == T.INTERVAL:
        result = _interval_part(field, interval_of(value))
    elif oid == T.TIME:
        us = _time_usecs(value)
        if field == "epoch":
            result = _scaled(us, 6)
        elif field in ("microseconds", "milliseconds", "second", "minute", "hour"):
            result = _moment_part(field, dt.datetime(2000, 1, 1) + dt.timedelta(microseconds=us)
                                  if us < USECS_PER_DAY else dt.datetime(2000, 1, 1, 23, 59, 59),
                                  oid, 0)
            if us == USECS_PER_DAY and field == "hour":
                result = 24
        else:
            raise _unsupported(field, oid)
    elif value in _INFINITE:
        result = _infinite_part(field, value, oid)
    elif field == "epoch":
        result = _epoch(value, oid)
    else:
        if oid == T.DATE and field in ("microseconds", "milliseconds", "second", "minute",
                                       "hour", "timezone", "timezone_hour", "timezone_minute"):
            if numeric:
                raise _unsupported(field, oid)
            return 0.0
        offset = 0
        moment = _naive(value)
        if oid == T.TIMESTAMPTZ:
            local = moment.replace(tzinfo=dt.UTC).astimezone(tdt.zone(tz))
            off = local.utcoffset()
            offset = 0 if off is None else int(off.total_seconds())
            moment = local.replace(tzinfo=None)
        result = _moment_part(field, moment, oid, offset)
    if result is None:
        return None
    if not numeric:
        return float(result)
    return numeric_text(Decimal(result))


_TRUNC_ORDER = ("microseconds", "milliseconds", "second", "minute", "hour", "day", "week",
                "month", "quarter", "year", "decade", "century", "millennium")


def _trunc_moment(field: str, m: dt.datetime) -> dt.datetime:
    if field == "microseconds":
        return m
    if field == "milliseconds":
        return m.replace(microsecond=m.microsecond // 1000 * 1000)
    m = m.replace(microsecond=0)
    if field == "second":
        return m
    m = m.replace(second=0)
    if field == "minute":
        return m
    m = m.replace(minute=0)
    if field == "hour":
        return m
    m = m.replace(hour=0)
    if field == "day":
        return m
    if field == "week":
        return m - dt.timedelta(days=m.weekday())
    if field == "month":
        return m.replace(day=1)
    if field == "quarter":
        return m.replace(month=(m.month - 1) // 3 * 3 + 1, day=1)
    year = m.year
    if field == "decade":
        year = year // 10 * 10
    elif field == "century":
        year = (year - 1) // 100 * 100 + 1
    elif field == "millennium":
        year = (year - 1) // 1000 * 1000 + 1
    return m.replace(year=year, month=1, day=1)


def _trunc_interval(field: str, iv: Interval) -> Interval:
    months, days, usecs = iv
    if field == "week":
        raise FeatureNotSupported('unit "week" not supported for type interval',
                                  hint="Months usually have fractional weeks.")
    years = tdiv(months, 12)
    per_year = {"millennium": 1000, "century": 100, "decade": 10, "year": 1}
    if field in per_year:
        return tdiv(years, per_year[field]) * per_year[field] * 12, 0, 0
    if field == "quarter":
        return years * 12 + tdiv(months - years * 12, 3) * 3, 0, 0
    if field == "month":
        return months, 0, 0
    if field == "day":
        return months, days, 0
    unit = {"hour": 3_600 * USECS_PER_SEC, "minute": 60 * USECS_PER_SEC,
            "second": USECS_PER_SEC, "milliseconds": 1000, "microseconds": 1}[field]
    return months, days, tdiv(usecs, unit) * unit


def date_trunc(field_name: Any, value: Any, oid: int, tz: str, zone: Any = None) -> Any:
    """date_trunc of a timestamp, a timestamptz (on the wall clock of the session zone or
    of ``zone``), a date (as a timestamptz) or an interval."""
    if value is None or field_name is None:
        return None
    text = str(field_name)
    field = FIELDS.get(text.lower())
    target = T.TIMESTAMPTZ if oid == T.DATE else oid
    if field not in _TRUNC_ORDER:
        raise InvalidParameterValue(f'unit "{text}" not recognized for type {_TYPE_NAMES[target]}')
    if oid == T.INTERVAL:
        return interval_text(*_trunc_interval(field, interval_of(value)))
    if value in _INFINITE:
        return value
    if target == T.TIMESTAMP:
        return _storage(_trunc_moment(field, _naive(value)))
    zone_name = tz if zone is None else str(zone)
    local = _trunc_moment(field, _local(_as_timestamp(value, oid, T.TIMESTAMPTZ, tz),
                                        T.TIMESTAMPTZ, zone_name))
    return _storage(_utc_of_local(local, zone_name))


def date_bin(stride: Any, value: Any, origin: Any, oid: int, origin_oid: int, tz: str) -> Any:
    """date_bin: the start of the stride-long bin, counted from origin, holding value."""
    if stride is None or value is None or origin is None:
        return None
    months, days, usecs = interval_of(stride)
    if months:
        raise FeatureNotSupported("timestamps cannot be binned into intervals containing months "
                                  "or years")
    step = days * USECS_PER_DAY + usecs
    if step <= 0:
        raise DatetimeFieldOverflow("stride must be greater than zero")
    target = T.TIMESTAMP if oid == T.TIMESTAMP else T.TIMESTAMPTZ
    value = _as_timestamp(value, oid, target, tz)
    origin = _as_timestamp(origin, origin_oid, target, tz)
    if value in _INFINITE or origin in _INFINITE:
        raise DatetimeFieldOverflow("timestamp out of range")
    start = _naive(origin)
    bins = _usecs_between(_naive(value), start) // step  # toward -infinity, as 15.x does
    return _storage(start + dt.timedelta(microseconds=bins * step))


# -- time zones ---------------------------------------------------------------------------


_POSIX_ZONE = re.compile(r"([a-z]{3,})([+-][0-9]{1,2}(?::[0-9]{2})?)\Z")


def _zone_offset(zone: str, moment: dt.datetime, is_local: bool) -> int:
    """Seconds east of UTC of ``zone`` at ``moment`` (a local or a UTC wall clock), for AT TIME
    ZONE: abbreviations and numeric offsets first, POSIX's sign for the latter (``'+05'`` is
    five hours west), as timestamptz_zone's DecodeTimezoneAbbrev then pg_tzset do."""
    low = zone.strip().lower()
    if low in tdt._ABBREVIATIONS:
        return tdt._ABBREVIATIONS[low]
    posix = _POSIX_ZONE.match(low)
    if posix and posix[1] not in tdt._ABBREVIATIONS:  # 'UTC+3': POSIX, three hours west
        low = posix[2]
    if low and (low[0] in "+-" or low[0].isdigit()):
        spec = low if low[0] in "+-" else "+" + low
        try:
            east = tdt._offset_seconds(spec, zone)
        except (PgError, ValueError):
            raise InvalidParameterValue(f'time zone "{zone}" not recognized') from None
        assert isinstance(east, int)
        return -east
    tzinfo = tdt.zone(zone.strip())
    if is_local:
        aware = tdt.localize(moment, tzinfo)
    else:
        aware = moment.replace(tzinfo=dt.UTC).astimezone(tzinfo)
    off = aware.utcoffset()
    return 0 if off is None else int(off.total_seconds())


def at_time_zone(zone: Any, value: Any, oid: int, tz: str, zone_oid: int = T.TEXT) -> Any:
    """timezone(zone, x) / x AT TIME ZONE zone: timestamptz -> the wall clock there
    (timestamp), timestamp or date -> the instant of that wall clock there (timestamptz)."""
    if zone is None or value is None:
        return None
    if value in _INFINITE:
        return value
    moment = _naive(value)
    if zone_oid == T.INTERVAL:  # an offset east of UTC
        months, days, usecs = interval_of(zone)
        if months or days:
            raise InvalidParameterValue(f'interval time zone "{zone}" must not include months or '
                                        "days")
        offset = usecs // USECS_PER_SEC
    else:
        offset = _zone_offset(str(zone), moment, oid != T.TIMESTAMPTZ)
    if oid == T.TIMESTAMPTZ:
        return _storage(moment + dt.timedelta(seconds=offset))
    return _storage(moment - dt.timedelta(seconds=offset))


# -- constructors -------------------------------------------------------------------------


def _int_arg(value: Any) -> int:
    return int(value) if not isinstance(value, str) else int(Decimal(value))


def _seconds_usecs(sec: Any) -> int:
    return round(Decimal(str(sec)) * USECS_PER_SEC)


def make_date(year: Any, month: Any, day: Any) -> Any:
    if year is None or month is None or day is None:
        return None
    y, m, d = _int_arg(year), _int_arg(month), _int_arg(day)
    try:
        if y <= 0:
            raise ValueError
        return dt.date(y, m, d).isoformat()
    except ValueError:
        raise DatetimeFieldOverflow(f"date field value out of range: {y}-{m:02d}-{d:02d}") from None


def make_time(hour: Any, minute: Any, sec: Any) -> Any:
    if hour is None or minute is None or sec is None:
        return None
    h, mi, us = _int_arg(hour), _int_arg(minute), _seconds_usecs(sec)
    total = (h * 60 + mi) * 60 * USECS_PER_SEC + us
    if not (0 <= h <= 24 and 0 <= mi < 60 and 0 <= us < 60 * USECS_PER_SEC) or \
            total > USECS_PER_DAY:
        raise DatetimeFieldOverflow(f"time field value out of range: {h}:{mi:02d}:{sec}")
    return tdt.time_storage(total)


def make_timestamp(*args: Any) -> Any:
    if any(a is None for a in args):
        return None
    y, mo, d, h, mi = (_int_arg(a) for a in args[:5])
    day = make_date(y, mo, d)
    us = _seconds_usecs(args[5])
    if not (0 <= h <= 24 and 0 <= mi < 60 and 0 <= us < 60 * USECS_PER_SEC):
        raise DatetimeFieldOverflow(f"date field value out of range: {y}-{mo:02d}-{d:02d} "
                                    f"{h:02d}:{mi:02d}:{args[5]}")
    moment = _naive(day) + dt.timedelta(hours=h, minutes=mi, microseconds=us)
    return _storage(moment)


def make_timestamptz(tz: str, *args: Any) -> Any:
    local = make_timestamp(*args[:6])
    if local is None or (len(args) > 6 and args[6] is None):
        return None
    zone = tz if len(args) <= 6 else str(args[6])
    return at_time_zone(zone, local, T.TIMESTAMP, tz)


_INTERVAL_ARGS = ("years", "months", "weeks", "days", "hours", "mins", "secs")


def make_interval(names: str, *values: Any) -> Any:
    """make_interval with positional arguments first, then named ones (``names``)."""
    given = dict(zip(names.split(","), values, strict=True)) if names else {}
    if any(v is None for v in given.values()):
        return None
    years, months, weeks, days, hours, mins = (
        _int_arg(given.get(n, 0)) for n in _INTERVAL_ARGS[:6])
    secs = float(given.get("secs", 0.0))
    if math.isnan(secs) or math.isinf(secs):
        raise _out_of_range()
    usecs = round((hours * 3600 + mins * 60) * USECS_PER_SEC + secs * USECS_PER_SEC)
    return interval_text(years * 12 + months, weeks * 7 + days, usecs)


def to_timestamp_epoch(seconds: Any) -> Any:
    if seconds is None:
        return None
    value = float(seconds)
    if math.isnan(value):
        raise DatetimeFieldOverflow("timestamp cannot be NaN")
    if math.isinf(value):
        return "infinity" if value > 0 else "-infinity"
    try:
        return _storage(_UNIX_EPOCH + dt.timedelta(microseconds=round(value * USECS_PER_SEC)))
    except (OverflowError, PgError):
        raise DatetimeFieldOverflow(f'timestamp out of range: "{seconds}"') from None


def to_timestamp_format(text: Any, fmt: Any, tz: str) -> Any:
    if text is None or fmt is None:
        return None
    moment, offset = parse_formatted(str(text), str(fmt))
    if offset is not None:
        return _storage(moment - dt.timedelta(seconds=offset))
    return _storage(_utc_of_local(moment, tz))


def to_date_format(text: Any, fmt: Any) -> Any:
    if text is None or fmt is None:
        return None
    return parse_formatted(str(text), str(fmt))[0].date().isoformat()


def age(a: Any, b: Any, ta: int, tb: int, tz: str) -> Any:
    """age(x, y): years, months and days between the wall clocks, as timestamp_age does."""
    if a is None or b is None:
        return None
    target = T.TIMESTAMPTZ if T.TIMESTAMPTZ in (ta, tb) or T.DATE in (ta, tb) else T.TIMESTAMP
    x, y = _as_timestamp(a, ta, target, tz), _as_timestamp(b, tb, target, tz)
    if x in _INFINITE or y in _INFINITE:
        raise DatetimeFieldOverflow("interval out of range")
    m1, m2 = _local(x, target, tz), _local(y, target, tz)
    negative = m1 < m2
    fields = [m1.microsecond - m2.microsecond, m1.second - m2.second, m1.minute - m2.minute,
              m1.hour - m2.hour, m1.day - m2.day, m1.month - m2.month, m1.year - m2.year]
    if negative:
        fields = [-f for f in fields]
    limits = (USECS_PER_SEC, 60, 60, 24)
    for i, limit in enumerate(limits):
        while fields[i] < 0:
            fields[i] += limit
            fields[i + 1] -= 1
    ref = m1 if negative else m2
    while fields[4] < 0:
        fields[4] += calendar.monthrange(ref.year, ref.month)[1]
        fields[5] -= 1
    while fields[5] < 0:
        fields[5] += 12
        fields[6] -= 1
    if negative:
        fields = [-f for f in fields]
    us, sec, mi, h, days, months, years = fields
    return interval_text(years * 12 + months, days, ((h * 60 + mi) * 60 + sec) * USECS_PER_SEC
                         + us)


def _instant(value: Any, oid: int, tz: str) -> Any:
    """A comparable instant for OVERLAPS (timestamptz storage order)."""
    if oid == T.TIME:
        return _time_usecs(value)
    return _as_timestamp(value, oid, T.TIMESTAMPTZ, tz)


def overlaps(*args: Any) -> Any:
    """(s1, e1) OVERLAPS (s2, e2), e may be an interval; args: 4 values, 4 OIDs, the zone."""
    values, oids, tz = list(args[:4]), args[4:8], args[8]
    for i in (1, 3):  # an end given as a length
        if oids[i] == T.INTERVAL and values[i] is not None and values[i - 1] is not None:
            if oids[i - 1] == T.TIME:
                values[i] = tdt.time_storage(
                    (_time_usecs(values[i - 1]) + interval_of(values[i])[2]) % USECS_PER_DAY)
            else:
                values[i] = datetime_op("+", values[i - 1], oids[i - 1], values[i],
                                        T.INTERVAL, tz)
                oids = (*oids[:i], T.TIMESTAMPTZ if oids[i - 1] == T.TIMESTAMPTZ else
                        T.TIMESTAMP, *oids[i + 1:])
    keys = [None if v is None else _instant(v, o, tz) for v, o in zip(values, oids, strict=True)]
    s1, e1, s2, e2 = keys
    if s1 is None or s2 is None:
        return None
    if e1 is not None and e1 < s1:
        s1, e1 = e1, s1
    if e2 is not None and e2 < s2:
        s2, e2 = e2, s2
    if s1 > s2:
        if e2 is None:
            return None
        return 1 if s1 < e2 else 0
    if s1 < s2:
        if e1 is None:
            return None
        return 1 if s2 < e1 else 0
    return 1


class _IntervalFields:
    """interval2itm's fields, read by datetime_format.to_char as it reads a datetime's."""

    def __init__(self, months: int, days: int, usecs: int) -> None:
        self.year = tdiv(months, 12)
        self.month = months - self.year * 12
        self.day = days
        self.hour = tdiv(usecs, 3_600 * USECS_PER_SEC)
        rest = usecs - self.hour * 3_600 * USECS_PER_SEC
        self.minute = tdiv(rest, 60 * USECS_PER_SEC)
        rest -= self.minute * 60 * USECS_PER_SEC
        self.second = tdiv(rest, USECS_PER_SEC)
        self.microsecond = rest - self.second * USECS_PER_SEC

    def __getattr__(self, name: str) -> Any:
        raise FeatureNotSupported("this template pattern of to_char(interval) is not supported")


def interval_to_char(value: Any, fmt: Any) -> Any:
    if value is None or fmt is None:
        return None
    fields: Any = _IntervalFields(*interval_of(value))
    return datetime_format.to_char(fields, str(fmt))


def _extreme(values: tuple[Any, ...], pick: Callable[..., Any]) -> Any:
    """greatest/least of intervals: by value, NULLs ignored."""
    present = [v for v in values if v is not None]
    return pick(present, key=interval_key) if present else None


def _collate(a: str, b: str) -> int:
    """pg_interval: interval text ordered as interval_cmp orders the values."""
    x, y = interval_key(a), interval_key(b)
    return int(x > y) - int(x < y)


# generate_series(timestamptz, ...) gets its start as "<start>@<session zone>", so that it
# adds its step as timestamptz + interval does: days and months on that zone's wall clock.
SERIES_ZONE = "@"


def series_start(value: Any, tz: str) -> Any:
    return None if value is None else f"{value}{SERIES_ZONE}{tz}"


def isfinite(value: Any) -> Any:
    if value is None:
        return None
    return 0 if value in _INFINITE else 1


class _IntervalSum:
    """sum(interval): field by field, NULL over no rows; also a window aggregate."""

    def __init__(self) -> None:
        self.total = (0, 0, 0)
        self.count = 0

    def step(self, value: Any) -> None:
        if value is not None:
            self.count += 1
            self.total = tuple(a + b for a, b in zip(self.total, interval_of(value),
                                                     strict=True))  # type: ignore[assignment]

    def inverse(self, value: Any) -> None:
        if value is not None:
            self.count -= 1
            self.total = tuple(a - b for a, b in zip(self.total, interval_of(value),
                                                     strict=True))  # type: ignore[assignment]

    def value(self) -> str | None:
        return interval_text(*self.total) if self.count else None

    def final(self) -> str | None:
        return self.value()


class _IntervalAvg(_IntervalSum):
    """avg(interval): the sum divided by the count, as interval_div does."""

    def value(self) -> str | None:
        total = super().value()
        return None if total is None else interval_scale(total, self.count, True)


def register(conn: apsw.Connection, ctx: FunctionContext) -> None:
    """Register the functions above on ``conn``; those that read the session zone read it
    from ``ctx`` at call time."""

    def f(name: str, fn: Callable[..., Any], nargs: int = -1, pure: bool = True) -> None:
        conn.create_scalar_function(name, fn, nargs,
                                    flags=apsw.SQLITE_DETERMINISTIC if pure else 0)

    f("pg_dt_op", lambda op, a, ta, b, tb: datetime_op(op, a, ta, b, tb, ctx.tz), 5, False)
    f("pg_dt_interval_mul", lambda v, x: interval_scale(v, x, False), 2)
    f("pg_dt_interval_div", lambda v, x: interval_scale(v, x, True), 2)
    f("pg_dt_interval_neg",
      lambda v: None if v is None else interval_text(*(-p for p in interval_of(v))), 1)
    f("pg_dt_interval_key", interval_key, 1)
    f("pg_dt_as_timestamp", lambda v, src, dst: None if v is None else
      _as_timestamp(v, src, dst, ctx.tz), 3, False)
    f("justify_hours", _justify(_justify_hours), 1)
    f("justify_days", _justify(_justify_days), 1)
    f("justify_interval", _justify(_justify_interval), 1)
    f("pg_dt_part", lambda fld, v, oid, num: date_part(fld, v, oid, num, ctx.tz), 4, False)
    f("pg_dt_trunc", lambda fld, v, oid, *zone: date_trunc(fld, v, oid, ctx.tz, *zone), -1,
      False)
    f("pg_dt_timezone", lambda z, v, oid, zoid: at_time_zone(z, v, oid, ctx.tz, zoid), 4,
      False)
    f("pg_dt_interval_greatest", lambda *a: _extreme(a, max), -1)
    f("pg_dt_interval_least", lambda *a: _extreme(a, min), -1)
    conn.create_collation("pg_interval", _collate)
    f("pg_dt_bin", lambda stride, v, origin, oid, origin_oid: date_bin(
        stride, v, origin, oid, origin_oid, ctx.tz), 5, False)
    f("pg_dt_age", lambda a, b, ta, tb: age(a, b, ta, tb, ctx.tz), 4, False)
    f("make_date", make_date, 3)
    f("make_time", make_time, 3)
    f("make_timestamp", make_timestamp, 6)
    f("make_timestamptz", lambda *a: make_timestamptz(ctx.tz, *a), -1, False)
    f("pg_make_interval", make_interval, -1)
    f("pg_to_timestamp_epoch", to_timestamp_epoch, 1)
    f("pg_to_timestamp", lambda s, fmt: to_timestamp_format(s, fmt, ctx.tz), 2, False)
    f("to_date", to_date_format, 2)
    f("pg_dt_overlaps", lambda *a: overlaps(*a, ctx.tz), 8, False)
    f("isfinite", isfinite, 1)
    f("pg_dt_series_start", lambda v: series_start(v, ctx.tz), 1, False)
    f("pg_dt_to_char_interval", interval_to_char, 2)
    conn.create_window_function("pg_dt_interval_sum", _IntervalSum, 1)
    conn.create_window_function("pg_dt_interval_avg", _IntervalAvg, 1)
