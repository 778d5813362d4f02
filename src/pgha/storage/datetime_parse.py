"""Reading dates and times that are not in ISO form.

Two readers, both after PostgreSQL 15:

- ``parse_loose``: the non-ISO input that date_in/time_in/timestamp_in accept with DateStyle
  ``ISO, MDY`` (datetime.c's ParseDateTime + DecodeDateTime, simplified): month names
  (``January 2, 2024``, ``2-Jan-2024``), ``1/2/2024`` as month/day/year, weekday names
  (ignored), ``AM``/``PM``, ``AD``, a zone after the time, bare ``YYYYMMDD``.
- ``parse_formatted``: to_date/to_timestamp with a template (formatting.c's DCH_from_char,
  outside FX mode): a separator in the template matches any one separator or nothing, a
  number ends at its width unless a separator (or the end) follows, names match in any case.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from pgha.wire.errors import (
    DatetimeFieldOverflow,
    FeatureNotSupported,
    InvalidDatetimeFormat,
    PgError,
)

_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august",
           "september", "october", "november", "december")
_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_MONTH_WORDS = {**{m: i + 1 for i, m in enumerate(_MONTHS)},
                **{m[:3]: i + 1 for i, m in enumerate(_MONTHS)}, "sept": 9}
_DAY_WORDS = {*_DAYS, *(d[:3] for d in _DAYS), "tues", "wednes", "thur", "thurs"}
_TOKEN = re.compile(
    r"(?P<time>[0-9]{1,2}:[0-9]{1,2}(?::[0-9]{1,2}(?:\.[0-9]*)?)?)"
    r"|(?P<date>(?:[0-9]+|[a-z]+)(?:[-/.](?:[0-9]+|[a-z]+))+)"
    r"|(?P<num>[0-9]+)"
    r"|(?P<zone>[+-][0-9]{1,2}(?::?[0-9]{2})?)"
    r"|(?P<word>[a-z][a-z0-9_/+-]*)"
    r"|(?P<sep>[\s,]+)"
)


@dataclass(slots=True)
class Loose:
    """What parse_loose found: a date, a time (microseconds since midnight), a zone."""

    date: dt.date | None
    usecs: int | None
    zone: str | None


def _overflow(text: str) -> PgError:
    return DatetimeFieldOverflow(f'date/time field value out of range: "{text}"')


class _Fields:
    __slots__ = ("day", "month", "text", "year", "year_digits")

    def __init__(self, text: str) -> None:
        self.text = text
        self.year: int | None = None
        self.month: int | None = None
        self.day: int | None = None
        self.year_digits = 0

    def number(self, digits: str) -> bool:
        """A lone number: the day, else the year (DecodeNumber, month already known)."""
        value = int(digits)
        if len(digits) >= 3 or (self.day is not None and self.year is None):
            if self.year is not None:
                return False
            self.year, self.year_digits = value, len(digits)
        elif self.day is None:
            self.day = value
        else:
            return False
        return True

    def date(self, token: str) -> bool:
        parts = re.split(r"[-/.]", token)
        if len(parts) != 3 or self.month is not None or self.day is not None:
            return False
        named = [i for i, p in enumerate(parts) if p.isalpha()]
        if len(named) > 1 or (named and parts[named[0]] not in _MONTH_WORDS):
            return False
        if named:
            self.month = _MONTH_WORDS[parts[named[0]]]
            return all(self.number(p) for i, p in enumerate(parts) if i != named[0])
        if len(parts[0]) >= 3:  # year first: y-m-d
            y, m, d = parts
        else:  # DateStyle MDY
            m, d, y = parts
        self.year, self.year_digits = int(y), len(y)
        self.month, self.day = int(m), int(d)
        return True

    def result(self) -> dt.date | None:
        if self.year is None and self.month is None and self.day is None:
            return None
        if self.year is None or self.month is None or self.day is None:
            raise InvalidDatetimeFormat(f'invalid input syntax for type date: "{self.text}"')
        year = self.year
        if self.year_digits <= 2:
            year += 2000 if year < 70 else 1900
        try:
            return dt.date(year, self.month, self.day)
        except ValueError:
            raise _overflow(self.text) from None


def _time_usecs(token: str, text: str) -> int:
    hms, _, frac = token.partition(".")
    parts = [int(p) for p in hms.split(":")] + [0]
    h, mi, s = parts[:3]
    us = int((frac + "000000")[:6]) + (1 if len(frac) > 6 and frac[6] >= "5" else 0)
    if mi > 59 or s > 60 or h > 24:
        raise _overflow(text)
    return ((h * 60 + mi) * 60 + s) * 1_000_000 + us


def parse_loose(text: str) -> Loose | None:
    """The fields of a non-ISO date/time, or None when it is not one (a syntax error)."""
    s = text.strip().lower()
    pos, fields = 0, _Fields(text)
    usecs: int | None = None
    zone: str | None = None
    meridiem: str | None = None
    while pos < len(s):
        m = _TOKEN.match(s, pos)
        if m is None:
            return None
        pos = m.end()
        kind = m.lastgroup
        token = m.group()
        if kind == "sep":
            continue
        if kind == "time" and usecs is None:
            usecs = _time_usecs(token, text)
        elif kind == "date" and fields.date(token):
            pass
        elif kind == "num" and len(token) == 8 and fields.year is None and fields.month is None:
            fields.date(f"{token[:4]}-{token[4:6]}-{token[6:]}")
        elif kind == "num" and fields.number(token):
            pass
        elif kind == "zone" and usecs is not None and zone is None:
            zone = token
        elif kind == "word" and token in _MONTH_WORDS and fields.month is None:
            fields.month = _MONTH_WORDS[token]
        elif kind == "word" and token in _DAY_WORDS:
            pass
        elif kind == "word" and token in ("am", "pm", "a.m.", "p.m.") and meridiem is None:
            meridiem = token[0]
        elif kind == "word" and token == "ad":
            pass
        elif kind == "word" and usecs is not None and zone is None and token != "bc":
            zone = token
        else:
            return None
    if meridiem is not None:
        if usecs is None or usecs >= 13 * 3_600_000_000:
            raise _overflow(text)
        hour = usecs // 3_600_000_000
        if meridiem == "a" and hour == 12:
            usecs -= 12 * 3_600_000_000
        elif meridiem == "p" and hour != 12:
            usecs += 12 * 3_600_000_000
    return Loose(fields.result(), usecs, zone)


# -- to_date / to_timestamp ---------------------------------------------------------------

# Template patterns, longest first: name -> maximum digits (0: not a number).
_NUMERIC = {"YYYY": 4, "YYY": 3, "YY": 2, "Y": 1, "IYYY": 4, "MM": 2, "DD": 2, "DDD": 3,
            "HH24": 2, "HH12": 2, "HH": 2, "MI": 2, "SS": 2, "MS": 3, "US": 6, "SSSSS": 5,
            "SSSS": 5, "J": 7, "CC": 2, "Q": 1, "W": 1, "WW": 2, "IW": 2, "D": 1, "ID": 1,
            "FF1": 1, "FF2": 2, "FF3": 3, "FF4": 4, "FF5": 5, "FF6": 6, "TZH": 2, "TZM": 2}
_WORDS = ("MONTH", "MON", "DAY", "DY", "AM", "PM", "A.M.", "P.M.", "AD", "BC", "RM", "TZ")
_PATTERNS = sorted([*_NUMERIC, *_WORDS, "Y,YYY"], key=len, reverse=True)


def _bad_value(value: str, pattern: str) -> PgError:
    return InvalidDatetimeFormat(f'invalid value "{value}" for "{pattern}"')


class _Reader:
    __slots__ = ("fmt", "pos", "text", "values")

    def __init__(self, text: str, fmt: str) -> None:
        self.text, self.fmt, self.pos = text, fmt, 0
        self.values: dict[str, int] = {}

    def skip_spaces(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def number(self, pattern: str, width: int, greedy: bool) -> int:
        self.skip_spaces()
        start = self.pos
        if pattern == "TZH" and self.pos < len(self.text) and self.text[self.pos] in "+-":
            self.pos += 1
        end = self.pos
        while end < len(self.text) and self.text[end].isdigit() and (
                greedy or end - self.pos < width):
            end += 1
        if end == self.pos:
            found = self.text[start:start + width] or ""
            raise InvalidDatetimeFormat(f'invalid value "{found}" for "{pattern}"',
                                        detail="Value must be an integer.")
        self.pos = end
        return int(self.text[start:end])

    def word(self, choices: list[str], pattern: str) -> int:
        rest = self.text[self.pos:].lower()
        for i, choice in sorted(enumerate(choices), key=lambda c: -len(c[1])):
            if rest.startswith(choice):
                self.pos += len(choice)
                return i
        raise _bad_value(self.text[self.pos:self.pos + 3], pattern)


def _pattern_at(fmt: str, i: int) -> str | None:
    for pattern in _PATTERNS:
        if fmt[i:i + len(pattern)].upper() == pattern:
            return pattern
    return None


def _read(reader: _Reader) -> None:
    fmt, i = reader.fmt, 0
    while i < len(fmt):
        if fmt.startswith(("FM", "fm", "FX", "fx", "TM", "tm"), i):
            i += 2
            continue
        pattern = _pattern_at(fmt, i)
        if pattern is None:
            ch = fmt[i]
            i += 1
            if ch == '"':
                end = fmt.find('"', i)
                end = len(fmt) if end < 0 else end
                reader.pos += end - i
                i = end + 1
            elif ch.isspace() or not ch.isalnum():
                # a separator matches one separator (and the blanks around it) or nothing
                reader.skip_spaces()
                if reader.pos < len(reader.text) and not reader.text[reader.pos].isalnum() \
                        and not ch.isspace():
                    reader.pos += 1
                    reader.skip_spaces()
            else:
                reader.pos += 1
            continue
        i += len(pattern)
        if fmt.startswith(("TH", "th"), i):
            i += 2
        _field(reader, pattern, i)


def _field(reader: _Reader, pattern: str, next_at: int) -> None:
    fmt = reader.fmt
    if pattern in _NUMERIC:
        following = _pattern_at(fmt, next_at) if next_at < len(fmt) else None
        greedy = following is None or following not in _NUMERIC
        reader.values[pattern] = reader.number(pattern, _NUMERIC[pattern], greedy)
    elif pattern == "Y,YYY":
        thousands = reader.number(pattern, 3, False)
        reader.pos += reader.text.startswith(",", reader.pos)
        reader.values["YYYY"] = thousands * 1000 + reader.number(pattern, 3, False)
    elif pattern in ("MONTH", "MON"):
        reader.skip_spaces()
        names = list(_MONTHS) if pattern == "MONTH" else [m[:3] for m in _MONTHS]
        reader.values["MM"] = reader.word(names, pattern) + 1
    elif pattern in ("DAY", "DY"):
        reader.skip_spaces()
        reader.word(list(_DAYS) if pattern == "DAY" else [d[:3] for d in _DAYS], pattern)
    elif pattern in ("AM", "PM", "A.M.", "P.M."):
        dotted = "." in pattern
        reader.values["PM"] = reader.word(["a.m.", "p.m."] if dotted else ["am", "pm"],
                                          pattern)
    elif pattern in ("AD", "BC"):
        if reader.word(["ad", "bc"], pattern) == 1:
            reader.values["BC"] = 1
    else:
        raise FeatureNotSupported(f'template pattern "{pattern}" is not supported in to_date '
                                  "and to_timestamp")


def parse_formatted(text: str, fmt: str) -> tuple[dt.datetime, int | None]:
    """to_timestamp(text, template) -> (the wall-clock time, its UTC offset if TZH gave one)."""
    reader = _Reader(text, fmt)
    _read(reader)
    v = reader.values
    if "BC" in v:
        raise DatetimeFieldOverflow(f'timestamp out of range: "{text}"')
    year = v.get("YYYY", v.get("IYYY", 1))
    if "YYYY" not in v and "IYYY" not in v:
        if "YY" in v:
            year = v["YY"] + (2000 if v["YY"] < 70 else 1900)
        elif "YYY" in v:
            year = v["YYY"] + (2000 if v["YYY"] < 100 else 1000)
        elif "Y" in v:
            year = v["Y"] + 2000
        elif "CC" in v:
            year = (v["CC"] - 1) * 100 + 1
    hour = v.get("HH24", v.get("HH12", v.get("HH", 0)))
    if "PM" in v or "HH12" in v or "HH" in v:
        if not 1 <= hour <= 12:
            raise InvalidDatetimeFormat(
                f'hour "{hour}" is invalid for the 12-hour clock',
                hint="Use the 24-hour clock, or give an hour between 1 and 12.")
        hour = hour % 12 + (12 if v.get("PM") else 0)
    usecs = v.get("US", 0) + v.get("MS", 0) * 1000
    for n in range(1, 7):
        if f"FF{n}" in v:
            usecs = v[f"FF{n}"] * 10 ** (6 - n)
    try:
        if "J" in v:
            day = dt.date.fromordinal(v["J"] - 1721425)
        elif "DDD" in v and "MM" not in v:
            day = dt.date(year, 1, 1) + dt.timedelta(days=v["DDD"] - 1)
        else:
            day = dt.date(year, v.get("MM", 1), v.get("DD", 1))
        seconds = v.get("SSSSS", v.get("SSSS", 0))
        moment = dt.datetime.combine(day, dt.time()) + dt.timedelta(
            hours=hour, minutes=v.get("MI", 0), seconds=v.get("SS", 0) + seconds,
            microseconds=usecs)
        if hour > 24 or v.get("MI", 0) > 59 or v.get("SS", 0) > 60:
            raise ValueError
    except (ValueError, OverflowError):
        raise DatetimeFieldOverflow(f'date/time field value out of range: "{text}"') from None
    offset = None
    if "TZH" in v or "TZM" in v:
        tzh = v.get("TZH", 0)
        offset = tzh * 3600 + (-1 if tzh < 0 else 1) * v.get("TZM", 0) * 60
    return moment, offset
