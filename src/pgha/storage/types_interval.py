"""The interval codec.

An interval is (months, days, microseconds), as in PostgreSQL. Storage is its text in
PostgreSQL's output format (IntervalStyle postgres: ``1 year 2 mons -3 days +04:05:06.5``),
so it prints as stored and binary send re-parses it. Input takes the postgres-style forms
(``1 day 2 hours``, ``1 day 02:03:04``, ``@ 1 day ago``, ``1-2`` year-month, bare seconds) and
ISO 8601 ``P1Y2M3DT4H5M6S``, with the fraction cascading rules of PostgreSQL 15's
DecodeInterval (src/backend/utils/adt/datetime.c).
"""

from __future__ import annotations

import re
import struct
from typing import Any

from pgha.storage.types_codec import Codec, bad_binary, cannot_coerce, tdiv
from pgha.wire.errors import IntervalFieldOverflow, InvalidDatetimeFormat, PgError

USECS_PER_SEC = 1_000_000
USECS_PER_MINUTE = 60 * USECS_PER_SEC
USECS_PER_HOUR = 60 * USECS_PER_MINUTE
USECS_PER_DAY = 24 * USECS_PER_HOUR

# Interval typmod: (range mask << 16) | precision (src/include/utils/timestamp.h).
MONTH, YEAR, DAY = 1 << 1, 1 << 2, 1 << 3
HOUR, MINUTE, SECOND = 1 << 10, 1 << 11, 1 << 12
FULL_RANGE, FULL_PRECISION = 0x7FFF, 0xFFFF

# Units as DecodeUnits knows them: name -> (unit kind, duplicate-detection mask).
_UNITS: dict[str, str] = {}
for _kind, _names in {
    "microsecond": "us usec usecs usecond useconds microsecon microsecond microseconds",
    "millisecond": "ms msec msecs msecond mseconds millisecon millisecond milliseconds",
    "second": "s sec secs second seconds",
    "minute": "m min mins minute minutes",
    "hour": "h hr hrs hour hours",
    "day": "d day days",
    "week": "w week weeks",
    "month": "mon mons month months",
    "year": "y yr yrs year years",
    "decade": "dec decs decade decades",
    "century": "c cent century centuries",
    "millennium": "mil mils millennium millennia millenniums",
}.items():
    for _n in _names.split():
        _UNITS[_n] = _kind

_TOKEN = re.compile(
    r"\s*(?:"
    r"(?P<time>[+-]?[0-9]+:[0-9]+(?::[0-9]+(?:\.[0-9]*)?)?(?:\.[0-9]*)?)"
    r"|(?P<ym>[+-]?[0-9]+-[0-9]+)(?![0-9:.])"
    r"|(?P<num>[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+))(?:\s*(?P<unit>[a-z]+))?"
    r")"
)
_ISO_PART = re.compile(r"([+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+))([a-z])")
_I = struct.Struct("!qii")
_SCALES = (1_000_000, 100_000, 10_000, 1_000, 100, 10, 1)


class _Fields:
    """The accumulator of DecodeInterval: months, days, microseconds and the units seen."""

    __slots__ = ("days", "months", "seen", "text", "usecs")

    def __init__(self, text: str) -> None:
        self.text = text
        self.months = 0
        self.days = 0
        self.usecs = 0
        self.seen: set[str] = set()

    def mark(self, *units: str) -> None:
        if self.seen.intersection(units):
            raise _syntax(self.text)
        self.seen.update(units)

    def frac_usecs(self, frac: float, scale: int) -> None:
        # AdjustFractMicroseconds: truncate, then round the leftover microsecond.
        if frac:
            frac *= scale
            whole = int(frac)
            self.usecs += whole + round(frac - whole)

    def frac_days(self, frac: float, scale: int) -> None:
        # AdjustFractDays: whole days, the rest as microseconds.
        if frac:
            frac *= scale
            whole = int(frac)
            self.days += whole
            self.frac_usecs(frac - whole, USECS_PER_DAY)

    def add(self, number: str, kind: str) -> None:
        value = float(number)
        whole = int(value)
        frac = value - whole
        if kind == "microsecond":
            self.mark("microsecond")
            self.usecs += round(value)
        elif kind == "millisecond":
            self.mark("millisecond")
            self.usecs += round(value * 1000)
        elif kind in ("second", "minute", "hour"):
            self.mark(kind)
            scale = {"second": USECS_PER_SEC, "minute": USECS_PER_MINUTE}.get(kind, USECS_PER_HOUR)
            self.usecs += whole * scale
            self.frac_usecs(frac, scale)
        elif kind == "day":
            self.mark("day")
            self.days += whole
            self.frac_usecs(frac, USECS_PER_DAY)
        elif kind == "week":
            self.mark("week")
            self.days += whole * 7
            self.frac_days(frac, 7)
        elif kind == "month":
            self.mark("month")
            self.months += whole
            self.frac_days(frac, 30)
        else:
            self.mark(kind)
            years = {"year": 1, "decade": 10, "century": 100}.get(kind, 1000)
            self.months += whole * 12 * years + round(frac * 12 * years)

    def add_time(self, token: str) -> None:
        self.mark("hour", "minute", "second")
        negative = token[0] == "-"
        parts = token.lstrip("+-").split(":")
        h, mi = int(parts[0]), float(parts[1])
        sec = float(parts[2]) if len(parts) > 2 else 0.0
        if mi >= 60 or sec >= 60 or (len(parts) > 2 and mi != int(mi)):
            raise IntervalFieldOverflow(
                f'interval field value out of range: "{self.text}"'
            )
        us = h * USECS_PER_HOUR + round(mi * USECS_PER_MINUTE) + round(sec * USECS_PER_SEC)
        self.usecs += -us if negative else us


def _syntax(text: str) -> PgError:
    return InvalidDatetimeFormat(f'invalid input syntax for type interval: "{text}"')


def _parse_iso(s: str, fields: _Fields) -> None:
    """ISO 8601 'format with designators': P[nY][nM][nW][nD][T[nH][nM][nS]]."""
    date_part, _, time_part = s[1:].partition("t")
    units = {"y": "year", "m": "month", "w": "week", "d": "day"}
    for part, table in (
        (date_part, units),
        (time_part, {"h": "hour", "m": "minute", "s": "second"}),
    ):
        pos = 0
        while pos < len(part):
            m = _ISO_PART.match(part, pos)
            if m is None or m.group(2) not in table:
                raise _syntax(fields.text)
            fields.add(m.group(1), table[m.group(2)])
            pos = m.end()
    if not date_part and not time_part:
        raise _syntax(fields.text)


def _parse_postgres(s: str, fields: _Fields) -> None:
    pending: str | None = None  # a bare number: days if a time follows, else seconds
    pos, end = 0, len(s)
    while pos < end:
        m = _TOKEN.match(s, pos)
        if m is None or m.end() == pos:
            raise _syntax(fields.text)
        pos = m.end()
        if pos < end and not s[pos].isspace() and m["unit"] is None and m["num"] is not None:
            raise _syntax(fields.text)
        if m["time"]:
            if pending is not None:
                fields.add(pending, "day")
                pending = None
            fields.add_time(m["time"])
        elif pending is not None:
            raise _syntax(fields.text)
        elif m["ym"]:
            fields.mark("year", "month")
            y, _, mo = m["ym"].lstrip("+-").partition("-")
            months = int(y) * 12 + int(mo)
            fields.months += -months if m["ym"][0] == "-" else months
        elif m["unit"] is None:
            pending = m["num"]
        else:
            kind = _UNITS.get(m["unit"]) or _UNITS.get(m["unit"][:10])
            if kind is None:
                raise _syntax(fields.text)
            fields.add(m["num"], kind)
    if pending is not None:
        fields.add(pending, "second")


def parse_interval(text: str) -> tuple[int, int, int]:
    """interval_in without typmod -> (months, days, microseconds)."""
    s = text.strip().lower()
    fields = _Fields(text)
    if s.startswith("@"):
        s = s[1:].strip()
    ago = s.endswith(" ago") or s == "ago"
    if ago:
        s = s[:-3].rstrip()
    if not s:
        raise _syntax(text)
    if s[0] == "p":
        _parse_iso(s, fields)
    else:
        _parse_postgres(s, fields)
    months, days, usecs = fields.months, fields.days, fields.usecs
    if ago:
        months, days, usecs = -months, -days, -usecs
    if not (-(2**31) <= months < 2**31 and -(2**31) <= days < 2**31 and -(2**63) <= usecs < 2**63):
        raise IntervalFieldOverflow(f'interval field value out of range: "{text}"')
    return months, days, usecs


def _int_part(parts: list[str], value: int, unit: str, state: list[bool]) -> None:
    # AddPostgresIntPart; state = [is_zero, is_before].
    if value == 0:
        return
    sep = "" if state[0] else " "
    plus = "+" if state[1] and value > 0 else ""
    parts.append(f"{sep}{plus}{value} {unit}{'' if value == 1 else 's'}")
    state[0], state[1] = False, value < 0


def format_interval(months: int, days: int, usecs: int) -> str:
    """EncodeInterval, IntervalStyle postgres."""
    parts: list[str] = []
    state = [True, False]
    years = tdiv(months, 12)
    _int_part(parts, years, "year", state)
    _int_part(parts, months - years * 12, "mon", state)
    _int_part(parts, days, "day", state)
    if state[0] or usecs:
        sign = "-" if usecs < 0 else ("+" if state[1] else "")
        a = abs(usecs)
        h, rest = divmod(a, USECS_PER_HOUR)
        mi, rest = divmod(rest, USECS_PER_MINUTE)
        sec, frac = divmod(rest, USECS_PER_SEC)
        clock = f"{'' if state[0] else ' '}{sign}{h:02d}:{mi:02d}:{sec:02d}"
        parts.append(f"{clock}.{frac:06d}".rstrip("0") if frac else clock)
    return "".join(parts)


INTERVAL_STYLES = ("postgres", "postgres_verbose", "sql_standard", "iso_8601")


def _fields(months: int, days: int, usecs: int) -> tuple[int, int, int, int, int, int, int]:
    """interval2itm: year, mon, mday, hour, min, sec, fsec, each with its part's sign."""
    years = tdiv(months, 12)
    hours = tdiv(usecs, USECS_PER_HOUR)
    rest = usecs - hours * USECS_PER_HOUR
    mins = tdiv(rest, USECS_PER_MINUTE)
    rest -= mins * USECS_PER_MINUTE
    secs = tdiv(rest, USECS_PER_SEC)
    return years, months - years * 12, days, hours, mins, secs, rest - secs * USECS_PER_SEC


def _seconds(sec: int, fsec: int, zero_fill: bool) -> str:
    """AppendSeconds: |sec|, a trimmed fraction of |fsec|."""
    text = f"{abs(sec):02d}" if zero_fill else str(abs(sec))
    return f"{text}.{abs(fsec):06d}".rstrip("0") if fsec else text


def _iso_8601(f: tuple[int, int, int, int, int, int, int]) -> str:
    year, mon, mday, hour, mins, sec, fsec = f
    if not any(f):
        return "PT0S"
    out = ["P", *(f"{v}{u}" for v, u in ((year, "Y"), (mon, "M"), (mday, "D")) if v)]
    if hour or mins or sec or fsec:
        out.append("T")
    out += [f"{v}{u}" for v, u in ((hour, "H"), (mins, "M")) if v]
    if sec or fsec:
        out.append(("-" if sec < 0 or fsec < 0 else "") + _seconds(sec, fsec, False) + "S")
    return "".join(out)


def _sql_standard(f: tuple[int, int, int, int, int, int, int]) -> str:
    year, mon, mday, hour, mins, sec, fsec = f
    negative, positive = any(v < 0 for v in f), any(v > 0 for v in f)
    year_month, day_time = bool(year or mon), bool(mday or hour or mins or sec or fsec)
    standard = not (negative and positive) and not (year_month and day_time)
    sign = ""
    if negative and standard:
        sign = "-"
        year, mon, mday, hour, mins, sec, fsec = (-v for v in f)
    if not negative and not positive:
        return "0"
    if not standard:
        ys = "-" if year < 0 or mon < 0 else "+"
        ds = "-" if mday < 0 else "+"
        ts = "-" if hour < 0 or mins < 0 or sec < 0 or fsec < 0 else "+"
        return (f"{ys}{abs(year)}-{abs(mon)} {ds}{abs(mday)} {ts}{abs(hour)}:{abs(mins):02d}:"
                + _seconds(sec, fsec, True))
    if year_month:
        return f"{sign}{year}-{mon}"
    clock = f"{hour}:{mins:02d}:{_seconds(sec, fsec, True)}"
    return f"{sign}{mday} {clock}" if mday else sign + clock


def _postgres_verbose(f: tuple[int, int, int, int, int, int, int]) -> str:
    year, mon, mday, hour, mins, sec, fsec = f
    out, state = ["@"], [True, False]  # is_zero, is_before
    for value, unit in ((year, "year"), (mon, "mon"), (mday, "day"), (hour, "hour"),
                        (mins, "min")):
        if value == 0:
            continue
        if state[0]:
            state[1], value = value < 0, abs(value)
        elif state[1]:
            value = -value
        out.append(f" {value} {unit}{'' if value == 1 else 's'}")
        state[0] = False
    if sec or fsec:
        sign = ""
        if sec < 0 or (sec == 0 and fsec < 0):
            if state[0]:
                state[1] = True
            elif not state[1]:
                sign = "-"
        elif state[1]:
            sign = "-"
        plural = "s" if abs(sec) != 1 or fsec else ""
        out.append(f" {sign}{_seconds(sec, fsec, False)} sec{plural}")
        state[0] = False
    if state[0]:
        out.append(" 0")
    if state[1]:
        out.append(" ago")
    return "".join(out)


def format_interval_style(value: str, style: str) -> str:
    """An interval's storage text as EncodeInterval prints it in IntervalStyle ``style``."""
    if style == "postgres":
        return value
    fields = _fields(*parse_interval(value))
    if style == "iso_8601":
        return _iso_8601(fields)
    if style == "sql_standard":
        return _sql_standard(fields)
    return _postgres_verbose(fields)


def _round(usecs: int, precision: int) -> int:
    scale = _SCALES[precision]
    r = (abs(usecs) + scale // 2) // scale * scale
    return r if usecs >= 0 else -r


_RANGE_TRUNCATE = {
    HOUR: USECS_PER_HOUR,
    MINUTE: USECS_PER_MINUTE,
    DAY | HOUR: USECS_PER_HOUR,
    DAY | HOUR | MINUTE: USECS_PER_MINUTE,
    HOUR | MINUTE: USECS_PER_MINUTE,
}


def apply_interval_typmod(months: int, days: int, usecs: int, typmod: int) -> tuple[int, int, int]:
    """AdjustIntervalForTypmod: drop the fields outside the range, round the seconds."""
    if typmod < 0:
        return months, days, usecs
    rng, precision = (typmod >> 16) & FULL_RANGE, typmod & 0xFFFF
    if rng == YEAR:
        months, days, usecs = tdiv(months, 12) * 12, 0, 0
    elif rng in (MONTH, YEAR | MONTH):
        days, usecs = 0, 0
    elif rng == DAY:
        usecs = 0
    elif rng in _RANGE_TRUNCATE:
        usecs = tdiv(usecs, _RANGE_TRUNCATE[rng]) * _RANGE_TRUNCATE[rng]
    if precision != FULL_PRECISION and precision < 6:
        usecs = _round(usecs, precision)
    return months, days, usecs


def _interval_in(text: str, typmod: int, tz: str) -> str:
    return format_interval(*apply_interval_typmod(*parse_interval(text), typmod))


def _interval_out(value: Any, typmod: int, tz: str) -> str:
    return str(value)


def _interval_send(value: Any, typmod: int) -> bytes:
    months, days, usecs = parse_interval(value)
    return _I.pack(usecs, days, months)


def _interval_recv(data: bytes, typmod: int) -> str:
    if len(data) != 16:
        raise bad_binary()
    usecs, days, months = _I.unpack(data)
    return format_interval(*apply_interval_typmod(months, days, usecs, typmod))


def _interval_coerce(value: Any, typmod: int) -> str:
    if isinstance(value, str):
        return _interval_in(value, typmod, "UTC")
    raise cannot_coerce(value, "interval")


INTERVAL = Codec(_interval_in, _interval_out, _interval_recv, _interval_send, _interval_coerce)
