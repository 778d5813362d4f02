"""Codecs of date, time, timestamp and timestamptz.

Storage is text that sorts like the value: date ``YYYY-MM-DD``; time ``HH:MM:SS[.ffffff]``;
timestamp ``YYYY-MM-DD HH:MM:SS[.ffffff]``; timestamptz the UTC instant in the timestamp
format (no offset). Fractions are trimmed of trailing zeros and omitted when zero, which is
also PostgreSQL's output format (DateStyle ISO), so date/time/timestamp print as stored.
``infinity``/``-infinity`` are stored as such. Years are limited to 1..9999 (Python's
datetime; PostgreSQL also takes BC and later years). Input follows the ISO forms of
PostgreSQL 15's datetime parser (src/backend/utils/adt/datetime.c); the relative words
``now``/``today``/``tomorrow``/``yesterday`` depend on the transaction clock and are left
to the caller (0A000 here).
"""

from __future__ import annotations

import re
import struct
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pgha.storage.datetime_parse import Loose, parse_loose
from pgha.storage.types_codec import (
    Codec,
    bad_binary,
    cannot_coerce,
)
from pgha.wire.errors import (
    DatetimeFieldOverflow,
    FeatureNotSupported,
    InvalidDatetimeFormat,
    InvalidParameterValue,
    InvalidTimeZoneDisplacementValue,
    PgError,
)

_DATE_RE = r"(?:(?P<y>[0-9]{4,})-(?P<m>[0-9]{1,2})-(?P<d>[0-9]{1,2})|(?P<ymd>[0-9]{8}))"
_TIME_RE = r"(?P<H>[0-9]{1,2}):(?P<M>[0-9]{1,2})(?::(?P<S>[0-9]{1,2})(?:\.(?P<f>[0-9]*))?)?"
_ZONE_RE = (  # a zone name, but not AM/PM (datetime_parse reads those)
    r"(?P<tz>[Zz]|[+-][0-9]{1,2}(?::?[0-9]{2}(?::?[0-9]{2})?)?"
    r"|(?![AaPp][Mm]\s*\Z)[A-Za-z][A-Za-z0-9_/+-]*)"
)
_DATETIME = re.compile(
    rf"\s*{_DATE_RE}(?:(?:[Tt]|\s+){_TIME_RE})?\s*(?:(?!(?:AD|BC|ad|bc)\s*\Z){_ZONE_RE})?"
    r"\s*(?P<era>[Aa][Dd]|[Bb][Cc])?\s*\Z"
)
_TIMEONLY = re.compile(rf"\s*{_TIME_RE}\s*{_ZONE_RE}?\s*\Z")
_PACKED_TIME = re.compile(r"\s*[0-9]{6}(?:\.[0-9]*)?\s*\Z")
_SPECIAL = {"epoch", "infinity", "+infinity", "-infinity"}
_RELATIVE = {"now", "today", "tomorrow", "yesterday"}
_UTC_NAMES = {"z", "utc", "gmt", "zulu", "ut", "etc/utc", "etc/gmt", "universal"}
# The abbreviations of PostgreSQL's "Default" timezone_abbreviations set most often met.
_ABBREVIATIONS = {
    "est": -5 * 3600,
    "edt": -4 * 3600,
    "cst": -6 * 3600,
    "cdt": -5 * 3600,
    "mst": -7 * 3600,
    "mdt": -6 * 3600,
    "pst": -8 * 3600,
    "pdt": -7 * 3600,
    "akst": -9 * 3600,
    "akdt": -8 * 3600,
    "hst": -10 * 3600,
    "wet": 0,
    "west": 3600,
    "bst": 3600,
    "cet": 3600,
    "cest": 7200,
    "met": 3600,
    "mest": 7200,
    "eet": 7200,
    "eest": 3 * 3600,
    "msk": 3 * 3600,
    "ist": 7200,
    "jst": 9 * 3600,
    "kst": 9 * 3600,
    "aest": 10 * 3600,
    "aedt": 11 * 3600,
    "nzst": 12 * 3600,
    "nzdt": 13 * 3600,
}
_EPOCH_2000 = datetime(2000, 1, 1)
_EPOCH_2000_ORDINAL = date(2000, 1, 1).toordinal()
_USECS_PER_DAY = 86_400_000_000
_INT64_MAX, _INT64_MIN = 2**63 - 1, -(2**63)
_INT32_MAX, _INT32_MIN = 2**31 - 1, -(2**31)
_Q = struct.Struct("!q")
_I = struct.Struct("!i")
_SCALES = (1_000_000, 100_000, 10_000, 1_000, 100, 10, 1)


def _syntax(type_name: str, text: str) -> PgError:
    return InvalidDatetimeFormat(f'invalid input syntax for type {type_name}: "{text}"')


def _field_overflow(text: str) -> PgError:
    return DatetimeFieldOverflow(f'date/time field value out of range: "{text}"')


def _relative(word: str) -> PgError:
    return FeatureNotSupported(
        f'special date/time value "{word}" must be evaluated by the caller'
    )


def zone(name: str) -> tzinfo:
    """The tzinfo of a TimeZone setting or zone name: UTC aliases, IANA names (zoneinfo's own
    cache makes repeated look-ups cheap). Unknown -> 22023 as PostgreSQL words it."""
    if name.lower() in _UTC_NAMES:
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidParameterValue(
            f'time zone "{name.lower()}" not recognized'
        ) from None


def _offset_seconds(spec: str, text: str) -> int | tzinfo:
    """A zone field: a numeric offset in seconds east of UTC, or a tzinfo for a named zone."""
    low = spec.lower()
    if low in _UTC_NAMES:
        return 0
    if spec[0] in "+-":
        digits = spec[1:].replace(":", "")
        if len(digits) <= 2:
            h, mi, s = int(digits), 0, 0
        elif len(digits) in (3, 4):
            h, mi, s = int(digits[:-2]), int(digits[-2:]), 0
        else:
            h, mi, s = int(digits[:-4]), int(digits[-4:-2]), int(digits[-2:])
        if h > 15 or mi > 59 or s > 59:
            raise InvalidTimeZoneDisplacementValue(
                f'time zone displacement out of range: "{text}"'
            )
        total = h * 3600 + mi * 60 + s
        return -total if spec[0] == "-" else total
    if low in _ABBREVIATIONS:
        return _ABBREVIATIONS[low]
    return zone(spec)


def _time_usecs(m: re.Match[str], text: str) -> int:
    """Microseconds since midnight of the time fields; 24:00:00 allowed, :60 seconds carry."""
    h, mi = int(m["H"]), int(m["M"])
    s = int(m["S"] or 0)
    frac = m["f"] or ""
    us = int((frac + "000000")[:6])
    if len(frac) > 6 and frac[6] >= "5":
        us += 1
    if mi > 59 or s > 60 or h > 24 or (h == 24 and (mi or s or us)):
        raise _field_overflow(text)
    return ((h * 60 + mi) * 60 + s) * 1_000_000 + us


def _round_usecs(us: int, precision: int) -> int:
    """AdjustTimestampForTypmod/AdjustTimeForTypmod: round to ``precision`` decimals."""
    if precision < 0 or precision >= 6:
        return us
    scale = _SCALES[precision]
    return (us + scale // 2) // scale * scale


def _local_datetime(m: re.Match[str], text: str, type_name: str) -> datetime:
    if m["era"] and m["era"].lower() == "bc":
        raise DatetimeFieldOverflow(f'{type_name} out of range: "{text}"')
    if m["ymd"]:
        y, mo, d = int(m["ymd"][:4]), int(m["ymd"][4:6]), int(m["ymd"][6:])
    else:
        y, mo, d = int(m["y"]), int(m["m"]), int(m["d"])
    if y > 9999:
        raise DatetimeFieldOverflow(f'{type_name} out of range: "{text}"')
    try:
        day = datetime(y, mo, d)
    except ValueError:
        raise _field_overflow(text) from None
    if m["H"] is None:
        return day
    try:
        return day + timedelta(microseconds=_time_usecs(m, text))
    except OverflowError:
        raise DatetimeFieldOverflow(f'{type_name} out of range: "{text}"') from None


def _loose(text: str, type_name: str) -> Loose:
    loose = parse_loose(text)
    if loose is None:
        raise _syntax(type_name, text)
    return loose


def _loose_datetime(text: str, type_name: str) -> tuple[datetime, str | None]:
    """A date and time in one of the non-ISO forms datetime_parse reads."""
    loose = _loose(text, type_name)
    if loose.date is None:
        raise _syntax(type_name, text)
    moment = datetime.combine(loose.date, datetime.min.time())
    return moment + timedelta(microseconds=loose.usecs or 0), loose.zone


def localize(local: datetime, tz: tzinfo) -> datetime:
    """Attach a zone to a wall-clock time the way DetermineTimeZoneOffset does: in a
    spring-forward gap take the offset before the transition, in a fall-back overlap the one
    after -- i.e. always the smaller of the two candidate offsets."""
    a = local.replace(tzinfo=tz)
    b = local.replace(tzinfo=tz, fold=1)
    oa, ob = a.utcoffset(), b.utcoffset()
    if oa is not None and ob is not None and ob < oa:
        return b
    return a


def _ts_storage(dt: datetime) -> str:
    if dt.microsecond:
        return dt.isoformat(" ").rstrip("0")
    return dt.isoformat(" ")


def _parse_timestamp(text: str, typmod: int, tz: str, with_tz: bool) -> str:
    type_name = "timestamp with time zone" if with_tz else "timestamp"
    m = _DATETIME.match(text)
    spec: str | None
    if m is None:
        word = text.strip().lower()
        if word in _SPECIAL:
            return "1970-01-01 00:00:00" if word == "epoch" else word.lstrip("+")
        if word in _RELATIVE:
            raise _relative(word)
        local, spec = _loose_datetime(text, type_name)
    else:
        local, spec = _local_datetime(m, text, type_name), m["tz"]
    if with_tz:
        off = _offset_seconds(spec, text) if spec else zone(tz)
        if isinstance(off, int):
            utc = local - timedelta(seconds=off)
        else:
            utc = localize(local, off).astimezone(UTC).replace(tzinfo=None)
        local = utc
    elif spec:
        _offset_seconds(spec, text)  # validated, then ignored, as timestamp_in does
    if typmod >= 0 and local.microsecond:
        us = _round_usecs(local.microsecond, typmod)
        local = local.replace(microsecond=0) + timedelta(microseconds=us)
    if not 1 <= local.year <= 9999:
        raise DatetimeFieldOverflow(f'{type_name} out of range: "{text}"')
    return _ts_storage(local)


def _timestamp_in(text: str, typmod: int, tz: str) -> str:
    return _parse_timestamp(text, typmod, tz, False)


def _timestamptz_in(text: str, typmod: int, tz: str) -> str:
    return _parse_timestamp(text, typmod, tz, True)


def _identity_out(value: Any, typmod: int, tz: str) -> str:
    return str(value)


def offset_suffix(seconds: int) -> str:
    """'+00', '+05:30', '-08', '+00:09:21' -- PostgreSQL's EncodeTimezone."""
    if not seconds % 3600:
        return f"+{seconds // 3600:02d}" if seconds >= 0 else f"-{-seconds // 3600:02d}"
    sign = "-" if seconds < 0 else "+"
    h, rest = divmod(abs(seconds), 3600)
    mi, s = divmod(rest, 60)
    if s:
        return f"{sign}{h:02d}:{mi:02d}:{s:02d}"
    return f"{sign}{h:02d}:{mi:02d}"


_UTC_SETTINGS = frozenset({"UTC", "Etc/UTC", "GMT", "Etc/GMT", "utc", "gmt", "Z", "UCT", "Zulu"})


def timestamptz_out(value: Any, typmod: int = -1, tz: str = "UTC") -> str:
    """Render a stored UTC instant in the session TimeZone with its offset suffix."""
    if tz in _UTC_SETTINGS or value[-1] == "y":  # UTC, or [-]infinity
        return value + "+00" if value[-1] != "y" else str(value)
    try:
        zi: tzinfo = ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        zi = zone(tz)
    local = zi.fromutc(datetime.fromisoformat(value).replace(tzinfo=zi))
    off = local.utcoffset()
    secs = 0 if off is None else off.days * 86400 + off.seconds
    # Offsets are whole seconds, so the stored fraction carries over unchanged.
    return f"{str(local.replace(tzinfo=None))[:19]}{value[19:]}{offset_suffix(secs)}"


def _timestamp_usecs(value: str) -> int:
    if value[-1] == "y":
        return _INT64_MIN if value[0] == "-" else _INT64_MAX
    td = datetime.fromisoformat(value) - _EPOCH_2000
    return (td.days * 86400 + td.seconds) * 1_000_000 + td.microseconds


def _timestamp_send(value: Any, typmod: int) -> bytes:
    try:
        return _Q.pack(_timestamp_usecs(value))
    except (ValueError, TypeError, IndexError):
        return _Q.pack(_timestamp_usecs(_timestamp_coerce(value, typmod)))


def _timestamp_recv(data: bytes, typmod: int) -> str:
    if len(data) != 8:
        raise bad_binary()
    us = _Q.unpack(data)[0]
    if us == _INT64_MAX:
        return "infinity"
    if us == _INT64_MIN:
        return "-infinity"
    try:
        dt = _EPOCH_2000 + timedelta(microseconds=us)
    except OverflowError:
        raise DatetimeFieldOverflow("timestamp out of range") from None
    if typmod >= 0 and dt.microsecond:
        dt = dt.replace(microsecond=0) + timedelta(
            microseconds=_round_usecs(dt.microsecond, typmod)
        )
    return _ts_storage(dt)


def _timestamp_coerce(value: Any, typmod: int) -> str:
    if isinstance(value, str):
        return _parse_timestamp(value, typmod, "UTC", False)
    raise cannot_coerce(value, "timestamp without time zone")


def _timestamptz_coerce(value: Any, typmod: int) -> str:
    if isinstance(value, str):
        return _parse_timestamp(value, typmod, "UTC", True)
    raise cannot_coerce(value, "timestamp with time zone")


TIMESTAMP = Codec(_timestamp_in, _identity_out, _timestamp_recv, _timestamp_send, _timestamp_coerce)
TIMESTAMPTZ = Codec(
    _timestamptz_in, timestamptz_out, _timestamp_recv, _timestamp_send, _timestamptz_coerce
)

# ---------------------------------------------------------------------------------- date


def _date_in(text: str, typmod: int, tz: str) -> str:
    m = _DATETIME.match(text)
    if m is None:
        word = text.strip().lower()
        if word in _SPECIAL:
            return "1970-01-01" if word == "epoch" else word.lstrip("+")
        if word in _RELATIVE:
            raise _relative(word)
        local, spec = _loose_datetime(text, "date")
        if spec:
            _offset_seconds(spec, text)
        return local.date().isoformat()
    if m["tz"]:
        _offset_seconds(m["tz"], text)
    return _local_datetime(m, text, "date").date().isoformat()


def _date_send(value: Any, typmod: int) -> bytes:
    if value[-1] == "y":
        return _I.pack(_INT32_MIN if value[0] == "-" else _INT32_MAX)
    try:
        return _I.pack(date.fromisoformat(value).toordinal() - _EPOCH_2000_ORDINAL)
    except ValueError:
        return _date_send(_date_coerce(value, typmod), typmod)


def _date_recv(data: bytes, typmod: int) -> str:
    if len(data) != 4:
        raise bad_binary()
    days = _I.unpack(data)[0]
    if days == _INT32_MAX:
        return "infinity"
    if days == _INT32_MIN:
        return "-infinity"
    try:
        return date.fromordinal(days + _EPOCH_2000_ORDINAL).isoformat()
    except (ValueError, OverflowError):
        raise DatetimeFieldOverflow("date out of range") from None


def _date_coerce(value: Any, typmod: int) -> str:
    if isinstance(value, str):
        return _date_in(value, typmod, "UTC")
    raise cannot_coerce(value, "date")


DATE = Codec(_date_in, _identity_out, _date_recv, _date_send, _date_coerce)

# ---------------------------------------------------------------------------------- time


def time_storage(us: int) -> str:
    """Microseconds since midnight (0..24h) -> 'HH:MM:SS[.ffffff]' trimmed."""
    s, frac = divmod(us, 1_000_000)
    mi, s = divmod(s, 60)
    h, mi = divmod(mi, 60)
    out = f"{h:02d}:{mi:02d}:{s:02d}"
    return f"{out}.{frac:06d}".rstrip("0") if frac else out


def _time_in(text: str, typmod: int, tz: str) -> str:
    m = _TIMEONLY.match(text)
    if m is None:
        m = _DATETIME.match(text)
        if m is None or m["H"] is None:
            word = text.strip().lower()
            if word == "allballs":
                return "00:00:00"
            if word in _RELATIVE:
                raise _relative(word)
            packed = _PACKED_TIME.match(text)
            if packed:  # hhmmss[.fff]
                return _time_in(f"{word[:2]}:{word[2:4]}:{word[4:]}", typmod, tz)
            loose = _loose(text, "time")
            if loose.usecs is None:
                raise _syntax("time", text)
            return _time_out(loose.usecs, loose.zone, typmod, text)
    return _time_out(_time_usecs(m, text), m["tz"], typmod, text)


def _time_out(us: int, spec: str | None, typmod: int, text: str) -> str:
    if spec:
        _offset_seconds(spec, text)
    if typmod >= 0:
        us = _round_usecs(us, typmod)
    if us > _USECS_PER_DAY:
        raise _field_overflow(text)
    return time_storage(us)


def _time_usecs_of(value: str) -> int:
    h, mi, s = value.split(":")
    sec, _, frac = s.partition(".")
    return ((int(h) * 60 + int(mi)) * 60 + int(sec)) * 1_000_000 + int((frac + "00000")[:6])


def _time_send(value: Any, typmod: int) -> bytes:
    try:
        return _Q.pack(_time_usecs_of(value))
    except (ValueError, AttributeError):
        return _Q.pack(_time_usecs_of(_time_coerce(value, typmod)))


def _time_recv(data: bytes, typmod: int) -> str:
    if len(data) != 8:
        raise bad_binary()
    us = _Q.unpack(data)[0]
    if not 0 <= us <= _USECS_PER_DAY:
        raise DatetimeFieldOverflow("time out of range")
    return time_storage(_round_usecs(us, typmod))


def _time_coerce(value: Any, typmod: int) -> str:
    if isinstance(value, str):
        return _time_in(value, typmod, "UTC")
    raise cannot_coerce(value, "time without time zone")


TIME = Codec(_time_in, _identity_out, _time_recv, _time_send, _time_coerce)
