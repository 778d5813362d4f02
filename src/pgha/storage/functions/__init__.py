"""PostgreSQL functions and operators that SQLite lacks, registered as SQLite user functions.

The translator emits calls to these (``pg_cast``, ``pg_regex_match``, ``nextval``, ...). Each
connection gets its own set, bound to that connection's ``FunctionContext`` (session time
zone, user, statement timestamp, catalog snapshot), so no module-level mutable state is needed.
Errors raised here are ``PgError``s; the engine recovers them with their SQLSTATE intact
(apsw re-raises the Python exception a user function raised).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import math
import random
import re
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from typing import Any

import apsw
import regex

from pgha import PG_VERSION
from pgha.storage import datetime_format, numeric
from pgha.storage import oids as T
from pgha.storage import types as pgtypes
from pgha.storage.catalog import Catalog, Sequence, Table
from pgha.storage.functions import datetimes as fn_datetime
from pgha.storage.functions import jsonb as fn_json
from pgha.wire.errors import PgError


@dataclass(slots=True)
class FunctionContext:
    """What the functions of one connection may read: set by the session before a statement."""

    user: str = "postgres"
    database: str = "postgres"
    tz: str = "UTC"
    backend_pid: int = 0
    transaction_start: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    statement_start: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    catalog: Catalog | None = None
    settings: dict[str, str] = field(default_factory=dict)
    set_setting: Callable[[str, str, bool], None] | None = None
    last_sequence_values: dict[int, int] = field(default_factory=dict)
    last_sequence: int | None = None
    # Sequence states nextval/setval set in the current transaction (oid -> last_value,
    # is_called): they are never undone, so a rollback writes them again (see engine).
    sequences_set: dict[int, tuple[int, int]] = field(default_factory=dict)
    notify: Callable[[Any, Any], None] | None = None  # pg_notify: queue a notification
    advisory_locks: Any = None  # the engine's AdvisoryLocks, process-wide; owner: id(ctx)
    # (force, wait seconds), set by the replication role
    on_promote: Callable[[bool, float], bool] | None = None
    in_recovery: Callable[[], bool] = lambda: False  # a standby (read-only, applying WAL)
    cancel: threading.Event = field(default_factory=threading.Event)  # set by CancelRequest
    cancel_reason: str = "user request"  # or "statement timeout": what the 57014 says
    server_port: int | None = None  # inet_server_port(): the TCP port the client reached


def _ts_text(moment: dt.datetime) -> str:
    """UTC storage text of an aware datetime (the timestamptz representation)."""
    moment = moment.astimezone(dt.UTC)
    text = moment.strftime("%Y-%m-%d %H:%M:%S")
    if moment.microsecond:
        text += f".{moment.microsecond:06d}".rstrip("0")
    return text


REGEX_TIMEOUT = 30.0
"""Seconds one regular-expression call may run before it fails with 2201B."""


class BoundedPattern:
    """A compiled regular expression whose matching releases the GIL and gives up after
    REGEX_TIMEOUT. Python's re backtracks exponentially on patterns such as '(a|aa)+$' and
    holds the GIL all the while: one query stopped every session of the node. The regex
    module avoids most of that backtracking; what is left is bounded."""

    __slots__ = ("groups", "rx")

    def __init__(self, rx: Any) -> None:
        self.rx = rx
        self.groups: int = rx.groups

    def search(self, string: str, pos: int = 0) -> Any:
        try:
            return self.rx.search(string, pos, concurrent=True, timeout=REGEX_TIMEOUT)
        except TimeoutError:
            raise _too_complex() from None

    def finditer(self, string: str, pos: int = 0) -> Iterator[Any]:
        try:
            yield from self.rx.finditer(string, pos, concurrent=True, timeout=REGEX_TIMEOUT)
        except TimeoutError:
            raise _too_complex() from None

    def sub(self, repl: str, string: str, count: int = 0) -> str:
        try:
            return str(self.rx.sub(repl, string, count, concurrent=True,
                                   timeout=REGEX_TIMEOUT))
        except TimeoutError:
            raise _too_complex() from None


def _too_complex() -> PgError:
    return PgError("2201B", "invalid regular expression: regular expression is too complex",
                   hint=f"Matching took more than {REGEX_TIMEOUT:g} seconds.")


_NAMED_GROUP = re.compile(r"\(\?P?<[A-Za-z_]")


@lru_cache(maxsize=256)
def _regex(pattern: str, flags: int) -> BoundedPattern:
    if _NAMED_GROUP.search(pattern):  # Python's named groups; PostgreSQL's engine has none
        raise PgError("2201B", "invalid regular expression: quantifier operand invalid")
    try:
        return BoundedPattern(regex.compile(pattern, flags))
    except regex.error as exc:
        raise PgError("2201B", f"invalid regular expression: {exc}") from exc


_ANY = object()  # LIKE's _: any one character


@lru_cache(maxsize=256)
def _like_pattern(pattern: str, insensitive: bool) -> tuple[list[Any], ...]:
    """A LIKE pattern as its segments between %: each a list of characters and _ (``_ANY``);
    a backslash quotes the next character."""
    segments: list[list[Any]] = [[]]
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\" and i + 1 < len(pattern):
            segments[-1].append(_fold(pattern[i + 1]) if insensitive else pattern[i + 1])
            i += 2
            continue
        if ch == "%":
            segments.append([])
        else:
            segments[-1].append(_ANY if ch == "_" else _fold(ch) if insensitive else ch)
        i += 1
    return tuple(segments)


def _fold(text: str) -> str:
    """Lower case, character by character (ILIKE), keeping the length."""
    return "".join(c if len(low := c.lower()) != 1 else low for c in text)


@lru_cache(maxsize=256)
def _segment_regex(segment: tuple[Any, ...]) -> re.Pattern[str]:
    return re.compile("".join("." if c is _ANY else re.escape(c) for c in segment), re.S)


def _find_segment(text: str, segment: list[Any], start: int) -> int:
    """Where ``segment`` first matches in ``text`` at or after ``start``, or -1."""
    if _ANY not in segment:
        return text.find("".join(segment), start)
    found = _segment_regex(tuple(segment)).search(text, start)
    return -1 if found is None else found.start()


def _segment_at(text: str, segment: list[Any], at: int) -> bool:
    return at >= 0 and at + len(segment) <= len(text) and all(
        c is _ANY or c == text[at + k] for k, c in enumerate(segment))


def _like(value: Any, pattern: Any, insensitive: bool) -> int:
    """LIKE/ILIKE; on bytea, byte by byte (a byte is one character, whatever its value).
    Matched segment by segment (the first anchored at the start, the last at the end, each
    between at its leftmost place): linear, where a regular expression of .* backtracks
    without end on patterns such as '%a%a%a...%b'."""
    if isinstance(value, bytes) or isinstance(pattern, bytes):
        value, pattern = _latin1(value), _latin1(pattern)
    text = _fold(_text(value)) if insensitive else _text(value)
    segments = _like_pattern(_text(pattern), insensitive)
    first, last = segments[0], segments[-1]
    if len(segments) == 1:
        return int(len(text) == len(first) and _segment_at(text, first, 0))
    if not _segment_at(text, first, 0):
        return 0
    pos = len(first)
    for segment in segments[1:-1]:
        at = _find_segment(text, segment, pos)
        if at < 0:
            return 0
        pos = at + len(segment)
    return int(len(text) - len(last) >= pos and _segment_at(text, last, len(text) - len(last)))


def _escape_character(escape: Any) -> str:
    escape = _text(escape)
    if len(escape) > 1:
        raise PgError("22025", "invalid escape string",
                      hint="Escape string must be empty or one character.")
    return escape


def _like_escape(pattern: Any, escape: Any) -> str:
    """LIKE ... ESCAPE e: the pattern rewritten with backslash as its escape (what pg_like
    reads); an empty escape makes every character literal."""
    escape = _escape_character(escape)
    out: list[str] = []
    chars = iter(_text(pattern))
    for ch in chars:
        if escape and ch == escape:
            literal = next(chars, None)
            if literal is None:
                raise PgError("22025", "LIKE pattern must not end with escape character")
            out.append("\\" + literal)
        elif ch == "\\":
            out.append("\\\\")
        else:
            out.append(ch)
    return "".join(out)


def _similar_to_escape(pattern: Any, escape: Any = "\\") -> str:
    """SIMILAR TO's pattern as the regular expression PostgreSQL matches it with: anchored,
    % and _ as .* and ., the escape character (default backslash) quoting the next one."""
    escape = _escape_character(escape)
    out = ["^(?:"]
    in_bracket = False
    chars = iter(_text(pattern))
    for ch in chars:
        if escape and ch == escape:
            literal = next(chars, None)
            if literal is None:
                raise PgError("2201B", "invalid escape sequence: the pattern ends with the "
                              "escape character")
            out.append(re.escape(literal))
        elif in_bracket:
            out.append(ch)
            in_bracket = ch != "]"
        elif ch == "[":
            out.append(ch)
            in_bracket = True
        elif ch == "%":
            out.append(".*")
        elif ch == "_":
            out.append(".")
        elif ch in ".^$":
            out.append("\\" + ch)
        else:
            out.append(ch)
    out.append(")$")
    return "".join(out)


def _latin1(value: Any) -> str:
    data = value if isinstance(value, bytes) else _text(value).encode()
    return data.decode("latin-1")


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode()
    if isinstance(value, float) and value.is_integer():
        return str(int(value)) if abs(value) < 1e15 else repr(value)
    return str(value)


def cast_value(value: Any, src: int, dst: int, typmod: int, tz: str = "UTC") -> Any:
    """Convert a storage value of type ``src`` to type ``dst`` with PostgreSQL's cast rules."""
    return _cast(value, src, dst, typmod, tz)


def _cast(value: Any, src: int, dst: int, typmod: int, tz: str = "UTC") -> Any:
    if value is None:
        return None
    if src == T.JSONB and dst in fn_json.SCALAR_CASTS:
        src, value = fn_json.jsonb_scalar(value, dst)
    if dst in T.INTEGER_TYPES and src in (T.FLOAT4, T.FLOAT8) and isinstance(value, str):
        value = math.nan  # a stored float NaN: out of range for any integer
    if src in T.ELEMENT_OF and dst in T.ELEMENT_OF and src != dst and isinstance(value, str):
        # array to array: element by element ('{1.5}'::numeric[]::int[] rounds)
        from pgha.storage.functions import text_array as fn_textarr

        return fn_textarr.cast_elements(value, lambda v: _cast(
            v, T.ELEMENT_OF[src], T.ELEMENT_OF[dst], typmod, tz), pgtypes.TYPES_BY_OID[dst])
    if src == T.BOOL and dst in T.INTEGER_TYPES:
        return 1 if value else 0
    if src == T.NUMERIC and dst in T.INTEGER_TYPES:
        return pgtypes.coerce(pgtypes.TYPES_BY_OID[dst], numeric.to_integer(value), typmod)
    if dst == T.REGPROC and isinstance(value, str):
        from pgha.storage.builtin_functions import regproc_input  # it imports this module

        return regproc_input(value)
    if dst == T.REGTYPE and isinstance(value, str):
        name = value.strip()
        return pgtypes.resolve_type(name.split(".")[-1:], [], []) [0].oid if " " not in name else (
            pgtypes.type_by_name(name) or _unknown_type(name)).oid
    if src in (T.REGTYPE, T.REGCLASS, T.OID) and dst in (T.OID, T.INT8, T.INT4, T.REGTYPE,
                                                         T.REGCLASS):
        return value
    if dst in (T.TEXT, T.VARCHAR, T.BPCHAR, T.NAME, T.CHAR):
        if src == T.BOOL:
            text = "true" if value else "false"
        elif src in (T.UNKNOWN, T.TEXT, T.VARCHAR, T.BPCHAR, T.NAME, T.CHAR):
            text = _text(value)
            if src == T.BPCHAR and dst != T.BPCHAR:
                text = text.rstrip(" ")  # char(n) to text: the trailing blanks go
        else:
            src_type = pgtypes.TYPES_BY_OID.get(src)
            text = pgtypes.format_text(src_type, value, -1, tz) if src_type else _text(value)
        if dst == T.BPCHAR and src == T.BPCHAR and typmod == -1:
            return text
        return pgtypes.parse_text(pgtypes.TYPES_BY_OID[dst], text, typmod, tz)
    target = pgtypes.TYPES_BY_OID.get(dst)
    if target is None:
        raise PgError("0A000", f"cast to type {dst} is not supported")
    if isinstance(value, str) and (
        src in T.TEXT_LIKE or src == T.UNKNOWN or not isinstance(value, int | float)
    ):
        if src in (T.JSON, T.JSONB) and dst in (T.JSON, T.JSONB):
            return pgtypes.parse_text(target, value, typmod, tz)
        if src in (T.TIMESTAMP, T.TIMESTAMPTZ, T.DATE) and dst in (
            T.TIMESTAMP,
            T.TIMESTAMPTZ,
            T.DATE,
            T.TIME,
        ):
            return fn_datetime.round_to_typmod(_datetime_cast(value, src, dst, tz), dst, typmod)
        if src not in T.TEXT_LIKE and src != T.UNKNOWN:
            src_type = pgtypes.TYPES_BY_OID.get(src)
            value = pgtypes.format_text(src_type, value, -1, tz) if src_type else value
        return pgtypes.parse_text(target, value, typmod, tz)
    if dst == T.BOOL and src in T.INTEGER_TYPES:
        return 1 if value else 0
    if dst in T.INTEGER_TYPES and isinstance(value, float):
        value = _round_half_even(value)
    if dst == T.NUMERIC and src == T.FLOAT4 and isinstance(value, float):
        value = f"{value:.6g}"  # float4_numeric() keeps FLT_DIG digits, float8 DBL_DIG
    return pgtypes.coerce(target, value, typmod)


def _cast_explicit(value: Any, src: int, dst: int, typmod: int, tz: str = "UTC") -> Any:
    if (
        value is not None
        and dst in (T.VARCHAR, T.BPCHAR)
        and typmod >= 4
        and isinstance(value, str)
        and src in T.TEXT_LIKE
    ):
        value = value[: typmod - 4]
    return _cast(value, src, dst, typmod, tz)


def _round_half_even(value: float) -> int:
    """float -> integer rounds half to even (rint())."""
    if math.isnan(value) or math.isinf(value):
        raise PgError("22003", "integer out of range")
    return int(Decimal(repr(value)).to_integral_value(rounding="ROUND_HALF_EVEN"))


def _unknown_type(name: str) -> Any:
    raise PgError("42704", f'type "{name}" does not exist')


def _parse_storage_ts(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def _datetime_cast(value: str, src: int, dst: int, tz: str = "UTC") -> Any:
    if value in ("infinity", "-infinity"):
        return value
    moment = _parse_storage_ts(value)
    if src == T.DATE:
        moment = dt.datetime.combine(moment.date(), dt.time())
    if src == T.TIMESTAMPTZ and dst in (T.TIMESTAMP, T.DATE, T.TIME):
        moment = moment.replace(tzinfo=dt.UTC).astimezone(_zone(tz)).replace(tzinfo=None)
    elif src in (T.TIMESTAMP, T.DATE) and dst == T.TIMESTAMPTZ:
        moment = moment.replace(tzinfo=_zone(tz)).astimezone(dt.UTC).replace(tzinfo=None)
    if dst == T.DATE:
        return moment.date().isoformat()
    if dst == T.TIME:
        return _ts_text(moment.replace(tzinfo=dt.UTC))[11:]
    return _ts_text(moment.replace(tzinfo=dt.UTC))


@lru_cache(maxsize=64)
def _zone(name: str) -> dt.tzinfo:
    import zoneinfo

    if name.upper() in ("UTC", "GMT", "Z", "ETC/UTC"):
        return dt.UTC
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise PgError("22023", f'time zone "{name}" not recognized') from exc


# -- interval arithmetic (storage: PostgreSQL's interval output text) ---------------------

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
    import calendar

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
        raise PgError("42883", f"operator does not exist: interval {op} numeric")
    raise PgError("42883", f"operator does not exist for types {lt} {op} {rt}")


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
        raise PgError("22023", f'unit "{name}" not recognized for type timestamp')
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
        raise PgError("0A000", f'interval unit "{name}" is not supported')
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


def _num(d: Decimal) -> int | float:
    return int(d) if d == d.to_integral_value() else float(d)


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
        raise PgError("22023", f'unit "{name}" not recognized for type timestamp')
    return _ts_text(moment.replace(tzinfo=dt.UTC))


# -- JSON -----------------------------------------------------------------------------


def _json_load(value: Any) -> Any:
    if value is None:
        return None
    try:
        return json.loads(value)
    except (TypeError, ValueError) as exc:
        raise PgError("22P02", "invalid input syntax for type json") from exc


def _contains(a: Any, b: Any) -> bool:
    if isinstance(a, dict) and isinstance(b, dict):
        return all(k in a and _contains(a[k], v) for k, v in b.items())
    if isinstance(a, list) and isinstance(b, list):
        return all(any(_contains(x, y) for x in a) for y in b)
    if isinstance(a, list) and not isinstance(b, dict | list):
        return b in a
    return bool(a == b)


# -- arrays (storage: JSON text of the elements) --------------------------------------


def _array_get(arr: Any, idx: Any) -> Any:
    if arr is None or idx is None:
        return None
    if isinstance(arr, str) and not arr.startswith("["):
        return _vector_get(arr, int(idx))
    items = json.loads(arr)
    i = int(idx) - 1
    if 0 <= i < len(items):
        item = items[i]
        return json.dumps(item) if isinstance(item, dict | list) else item
    return None


def _vector_get(vector: str, idx: int) -> int | None:
    """A subscript of an int2vector or oidvector ("1 2", as the catalogs store them): these
    count from 0 in PostgreSQL."""
    items = vector.split()
    return int(items[idx]) if 0 <= idx < len(items) else None


def _compare(op: str, a: Any, b: Any) -> bool | None:
    if a is None or b is None:
        return None
    if isinstance(a, int | float) and isinstance(b, str):
        with contextlib.suppress(ValueError):
            b = float(b) if "." in b else int(b)
    if op == "=":
        return bool(a == b)
    if op in ("<>", "!="):
        return bool(a != b)
    if op == "<":
        return bool(a < b)
    if op == ">":
        return bool(a > b)
    if op == "<=":
        return bool(a <= b)
    return bool(a >= b)


def _any(op: str, value: Any, arr: Any) -> Any:
    if arr is None:
        return None
    items = json.loads(arr) if isinstance(arr, str) else arr
    saw_null = value is None
    for item in items:
        r = _compare(op, value, item)
        if r:
            return 1
        if r is None:
            saw_null = True
    return None if saw_null else 0


def _all(op: str, value: Any, arr: Any) -> Any:
    if arr is None:
        return None
    items = json.loads(arr)
    saw_null = False
    for item in items:
        r = _compare(op, value, item)
        if r is False:
            return 0
        if r is None:
            saw_null = True
    return None if saw_null else 1


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
            raise PgError("22023", "step size cannot equal zero")
        out = []
        value = start
        limit = 50_000_000
        while (value <= stop) if step > 0 else (value >= stop):
            out.append(value)
            value += step
            if len(out) > limit:
                raise PgError("54000", "generate_series result is too large")
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
        raise PgError("22023", "step size cannot equal zero")
    out = []
    value = first
    while (value <= last) if by > 0 else (value >= last):
        out.append(numeric.numeric_text(value))
        value += by
        if len(out) > 50_000_000:
            raise PgError("54000", "generate_series result is too large")
    return out


def _timestamp_series(start: str, stop: Any, step: Any) -> list[Any]:
    if step is None:
        raise PgError("42883", "function generate_series(timestamp, timestamp) does not exist")
    out = []
    start, _, zone = start.partition(fn_datetime.SERIES_ZONE)  # timestamptz: the session zone
    # a date bound is midnight (date -> timestamp(tz), as PostgreSQL casts it)
    cur = start if len(start) > 10 else start + " 00:00:00"
    if isinstance(stop, str) and len(stop) == 10:
        stop += " 00:00:00"
    months, days, micros = interval_parts(step)
    if not (months or days or micros):
        raise PgError("22023", "step size cannot equal zero")
    forward = (months * 30 + days) * 86_400_000_000 + micros > 0
    while (cur <= stop) if forward else (cur >= stop):
        out.append(cur)
        cur = (fn_datetime.datetime_op("+", cur, T.TIMESTAMPTZ, step, T.INTERVAL, zone) if zone
               else _datetime_op("+", cur, T.TIMESTAMP, step, T.INTERVAL, T.TIMESTAMP, "UTC"))
        if len(out) > 10_000_000:
            raise PgError("54000", "generate_series result is too large")
    return out


class SequenceOps:
    """nextval/currval/setval over __pgha_sequence_values, on the calling connection."""

    def __init__(self, conn: apsw.Connection, ctx: FunctionContext) -> None:
        self.conn = conn
        self.ctx = ctx

    def resolve(self, ref: Any) -> Sequence:
        catalog = self.ctx.catalog
        assert catalog is not None
        if isinstance(ref, int):
            rel = catalog.by_oid.get(ref)
        else:
            name = str(ref)
            if name.startswith("public."):
                name = name[len("public.") :]
            name = name.strip('"') if name.startswith('"') else name.lower()
            rel = catalog.by_name.get(name)
        if not isinstance(rel, Sequence):
            raise PgError("42P01", f'relation "{ref}" does not exist')
        return rel

    def nextval(self, ref: Any) -> int:
        seq = self.resolve(ref)
        row = self.conn.execute(
            "SELECT last_value, is_called FROM __pgha_sequence_values WHERE oid = ?", (seq.oid,)
        ).fetchone()
        last, called = row if row else (seq.start, 0)
        value = last + seq.increment if called else last
        if value > seq.max_value or value < seq.min_value:
            if not seq.cycle:
                bound = "maximum" if value > seq.max_value else "minimum"
                limit = seq.max_value if value > seq.max_value else seq.min_value
                raise PgError(
                    "2200H", f'nextval: reached {bound} value of sequence "{seq.name}" ({limit})'
                )
            value = seq.min_value if seq.increment > 0 else seq.max_value
        self.conn.execute(
            "INSERT INTO __pgha_sequence_values (oid, last_value, is_called) VALUES (?, ?, 1)"
            " ON CONFLICT (oid) DO UPDATE SET last_value = excluded.last_value, is_called = 1",
            (seq.oid, value),
        )
        self.ctx.last_sequence_values[seq.oid] = value
        self.ctx.last_sequence = seq.oid
        self.ctx.sequences_set[seq.oid] = (int(value), 1)
        return int(value)

    def currval(self, ref: Any) -> int:
        seq = self.resolve(ref)
        if seq.oid not in self.ctx.last_sequence_values:
            raise PgError(
                "55000", f'currval of sequence "{seq.name}" is not yet defined in this session'
            )
        return self.ctx.last_sequence_values[seq.oid]

    def lastval(self) -> int:
        if self.ctx.last_sequence is None:
            raise PgError("55000", "lastval is not yet defined in this session")
        return self.ctx.last_sequence_values[self.ctx.last_sequence]

    def setval(self, ref: Any, value: int, is_called: Any = 1) -> int:
        seq = self.resolve(ref)
        if value < seq.min_value or value > seq.max_value:
            raise PgError(
                "22003",
                f"setval: value {value} is out of bounds for sequence "
                f'"{seq.name}" ({seq.min_value}..{seq.max_value})',
            )
        self.conn.execute(
            "INSERT INTO __pgha_sequence_values (oid, last_value, is_called) VALUES (?, ?, ?)"
            " ON CONFLICT (oid) DO UPDATE SET last_value = excluded.last_value,"
            " is_called = excluded.is_called",
            (seq.oid, value, 1 if is_called else 0),
        )
        self.ctx.sequences_set[seq.oid] = (value, 1 if is_called else 0)
        if is_called:
            self.ctx.last_sequence_values[seq.oid] = value
            self.ctx.last_sequence = seq.oid
        return value


def _size_pretty(n: Any) -> Any:
    if n is None:
        return None
    size = int(n)
    for unit in ("bytes", "kB", "MB", "GB", "TB"):
        if abs(size) < 10 * 1024 or unit == "TB":
            return f"{size} {unit}"
        size = (size + 512) // 1024 if size >= 0 else (size - 512) // 1024
    return f"{size} PB"


def _div(a: Any, b: Any) -> Any:
    if a is None or b is None:
        return None
    if b == 0:
        raise PgError("22012", "division by zero")
    if isinstance(a, int) and isinstance(b, int):
        q = abs(a) // abs(b)
        return q if (a >= 0) == (b >= 0) else -q
    return a / b


def _mod(a: Any, b: Any) -> Any:
    if a is None or b is None:
        return None
    if b == 0:
        raise PgError("22012", "division by zero")
    if isinstance(a, int) and isinstance(b, int):
        r = abs(a) % abs(b)
        return r if a >= 0 else -r
    return math.fmod(a, b)


def _round(value: Any, places: Any) -> Any:
    if value is None or places is None:
        return None
    if isinstance(value, int):
        return value
    d = Decimal(repr(value)).quantize(Decimal(1).scaleb(-int(places)), rounding="ROUND_HALF_UP")
    return _num(d)


def _trunc(value: Any, places: Any) -> Any:
    if value is None or places is None:
        return None
    if isinstance(value, int):
        return value
    d = Decimal(repr(value)).quantize(Decimal(1).scaleb(-int(places)), rounding="ROUND_DOWN")
    return _num(d)


def _greatest(*args: Any) -> Any:
    vals = [a for a in args if a is not None]
    return max(vals) if vals else None


def _least(*args: Any) -> Any:
    vals = [a for a in args if a is not None]
    return min(vals) if vals else None


def _concat(*args: Any) -> str:
    return "".join(_text(a) for a in args if a is not None)


_FORMAT_POSITION = re.compile(r"(\d+)\$")
_FORMAT_WIDTH = re.compile(r"\d+")


def _format(fmt: Any, *args: Any) -> Any:
    """PostgreSQL's format(): %[position][-][width]type with s, I, L, and %%."""
    if fmt is None:
        return None
    fmt = _text(fmt)
    out: list[str] = []
    i, end, following = 0, len(fmt), 0

    def bad(message: str) -> PgError:
        return PgError("22023", message, hint='For a single "%" use "%%".')

    def argument(index: int) -> Any:
        if index < 0:
            raise PgError("22023", "format specifies argument 0, but arguments are numbered "
                          "from 1")
        if index >= len(args):
            raise PgError("22023", "too few arguments for format()")
        return args[index]

    while i < end:
        ch = fmt[i]
        i += 1
        if ch != "%":
            out.append(ch)
            continue
        if i >= end:
            raise bad("unterminated format() type specifier")
        if fmt[i] == "%":
            out.append("%")
            i += 1
            continue
        position = None
        found = _FORMAT_POSITION.match(fmt, i)
        if found:
            position, i = int(found.group(1)), found.end()
        left = i < end and fmt[i] == "-"
        i += left
        width = 0
        if i < end and fmt[i] == "*":
            found = _FORMAT_POSITION.match(fmt, i + 1)
            if found:
                index, i = int(found.group(1)) - 1, found.end()
            else:
                index, i = following, i + 1
            following = index + 1
            given = argument(index)
            width = 0 if given is None else int(given)
            if width < 0:
                left, width = True, -width
        else:
            found = _FORMAT_WIDTH.match(fmt, i)
            if found:
                width, i = int(found.group()), found.end()
        if i >= end:
            raise bad("unterminated format() type specifier")
        kind = fmt[i]
        i += 1
        if kind not in "sIL":
            raise bad(f'unrecognized format() type specifier "{kind}"')
        index = following if position is None else position - 1
        following = index + 1
        value = argument(index)
        if kind == "s":
            text = "" if value is None else _text(value)
        elif kind == "I":
            if value is None:
                raise PgError("22004", "null values cannot be formatted as an SQL identifier")
            text = _quote_ident(_text(value))
        else:
            text = "NULL" if value is None else _quote_literal(value)
        out.append(text.ljust(width) if left else text.rjust(width))
    return "".join(out)


def _concat_ws(sep: Any, *args: Any) -> Any:
    if sep is None:
        return None
    return str(sep).join(_text(a) for a in args if a is not None)


def _pad(left: bool) -> Callable[..., Any]:
    def pad(s: Any, n: Any, fill: Any = " ") -> Any:
        if s is None or n is None or fill is None:
            return None
        s, n, fill = str(s), int(n), str(fill)
        if n <= len(s):
            return s[:n]
        if not fill:
            return s
        need = n - len(s)
        padding = (fill * (need // len(fill) + 1))[:need]
        return padding + s if left else s + padding

    return pad


def _split_part(s: Any, sep: Any, n: Any) -> Any:
    if s is None or sep is None or n is None:
        return None
    if n == 0:
        raise PgError("22023", "field position must not be zero")
    parts = str(s).split(str(sep)) if sep else [str(s)]
    idx = n - 1 if n > 0 else len(parts) + n
    return parts[idx] if 0 <= idx < len(parts) else ""


def _array_to_string(arr: Any, sep: Any, null: Any = None) -> Any:
    if arr is None or sep is None:
        return None
    items = json.loads(arr)
    out = []
    for item in items:
        if item is None:
            if null is not None:
                out.append(str(null))
            continue
        out.append("t" if item is True else "f" if item is False else _text(item))
    return str(sep).join(out)


def _array_length(arr: Any, dim: Any = 1) -> Any:
    if arr is None:
        return None
    n = len(json.loads(arr))
    return n if n and dim == 1 else None


def _array_append(arr: Any, item: Any) -> Any:
    items = json.loads(arr) if arr is not None else []
    items.append(item)
    return json.dumps(items)


def _array_position(arr: Any, item: Any) -> Any:
    if arr is None:
        return None
    for i, v in enumerate(json.loads(arr)):
        if v == item:
            return i + 1
    return None


def _quote_ident(s: Any) -> Any:
    from pgha.storage.functions import text_array as fn_textarr  # keywords are quoted too

    return None if s is None else fn_textarr.quote_ident(str(s))


def _quote_literal(s: Any) -> Any:
    from pgha.storage.functions import text_array as fn_textarr  # E'' for backslashes

    return None if s is None else fn_textarr.quote_literal(_text(s))


_NUMBER_TOKENS = re.compile(r'FM|MI|PL|SG|PR|EEEE|RN|TH|"(?:[^"\\]|\\.)*"|.', re.S | re.I)


def _to_char_number(value: Any, fmt: Any) -> Any:
    """to_char for numbers, as PostgreSQL prints them: digit positions 9 and 0, the decimal
    point (. D), group separators (, G), the signs S, MI, PL, SG and PR, fill mode FM, and
    quoted text; a sign position before the digits unless the format places the sign; ###
    when the value has more integer digits than the format. EEEE, RN, TH, V and L: 0A000."""
    if value is None or fmt is None:
        return None
    tokens: list[str] = []
    for token in _NUMBER_TOKENS.findall(str(fmt)):
        upper = token.upper()
        if upper in ("EEEE", "RN", "TH", "V", "L"):
            raise PgError("0A000", f'to_char number format "{token}" is not supported')
        tokens.append({"D": ".", "G": ","}.get(upper, upper) if upper in (
            "D", "G", "FM", "MI", "PL", "SG", "PR", "S", "B") else token)
    fill = "FM" in tokens
    tokens = [t for t in tokens if t not in ("FM", "B")]
    slots = [i for i, t in enumerate(tokens) if t in ("9", "0")]
    point = tokens.index(".") if "." in tokens else len(tokens)
    int_slots = [i for i in slots if i < point]
    frac_slots = [i for i in slots if i > point]
    number = Decimal(str(value))
    if not number.is_finite():
        raise PgError("0A000", "to_char of NaN or infinity is not supported")
    negative = number < 0
    rounded = abs(number).quantize(Decimal(1).scaleb(-len(frac_slots)), rounding="ROUND_HALF_UP")
    whole, _, fraction = f"{rounded:f}".partition(".")
    overflow = len(whole.lstrip("0")) > len(int_slots)
    if whole == "0" and "." in tokens:
        whole = ""  # 0.5 prints as .50 (0.50 where the format has a 0 there)
    digit_of = dict(zip(int_slots, whole.rjust(len(int_slots))[-len(int_slots):] if int_slots
                        else "", strict=True))
    digit_of.update(zip(frac_slots, fraction.ljust(len(frac_slots), "0"), strict=True))
    first_zero = next((i for i in int_slots if tokens[i] == "0"), len(tokens))
    if fill:  # no trailing zeros at 9 positions after the point
        for i in reversed(frac_slots):
            if tokens[i] != "9" or digit_of[i] != "0":
                break
            digit_of[i] = ""
    first_digit = slots[0] if slots else len(tokens)
    blank = "" if fill else " "
    if "S" in tokens and tokens.index("S") < first_digit:
        anchor = "-" if negative else "+"
    elif "PR" in tokens:
        anchor = "<" if negative else blank
    elif any(t in tokens for t in ("S", "MI", "SG")):
        anchor = ""
    else:
        anchor = "-" if negative else blank
    out: list[str] = []
    started = False  # the number's first character (digit, # or point) is out

    def start() -> None:
        nonlocal started
        if not started:
            started = True
            out.append(anchor)

    for i, token in enumerate(tokens):
        if token in ("9", "0"):
            digit = digit_of[i]
            if overflow:
                start()
                out.append("#")
            elif i in frac_slots:
                out.append(digit)
            elif digit != " " or i >= first_zero:
                start()
                out.append("0" if digit == " " else digit)
            else:
                out.append(blank)
        elif token == ".":
            start()
            out.append(".")
        elif token == ",":
            out.append("," if started else blank)
        elif token == "S":
            out.append("" if i < first_digit else "-" if negative else "+")
        elif token == "MI":
            out.append("-" if negative else blank)
        elif token == "PL":
            out.append(blank if negative else "+")
        elif token == "SG":
            out.append("-" if negative else "+")
        elif token == "PR":
            out.append(">" if negative else blank)
        elif token.startswith('"'):
            out.append(re.sub(r"\\(.)", r"\1", token[1:-1]))
        else:
            out.append(token)
    if not started and not slots:
        out.insert(0, anchor)
    return "".join(out)


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


def _encode(data: Any, fmt: Any) -> Any:
    if data is None:
        return None
    raw = data if isinstance(data, bytes) else str(data).encode()
    if fmt == "hex":
        return raw.hex()
    if fmt == "base64":
        import base64

        return base64.b64encode(raw).decode()
    if fmt == "escape":
        return raw.decode("latin-1")
    raise PgError("22023", f'unrecognized encoding: "{fmt}"')


def _decode(text: Any, fmt: Any) -> Any:
    if text is None:
        return None
    if fmt == "hex":
        return bytes.fromhex(str(text))
    if fmt == "base64":
        import base64

        return base64.b64decode(str(text))
    if fmt == "escape":
        return str(text).encode("latin-1")
    raise PgError("22023", f'unrecognized encoding: "{fmt}"')


def _regexp_replace(s: Any, pattern: Any, repl: Any, flags: Any = "") -> Any:
    if s is None or pattern is None or repl is None:
        return None
    fl = str(flags or "")
    rx = _regex(str(pattern), re.I if "i" in fl else 0)
    py_repl = re.sub(r"\\(\d)", r"\\\1", str(repl))
    return rx.sub(py_repl, str(s), count=0 if "g" in fl else 1)


def _regex_flags(flags: Any) -> int:
    """PostgreSQL's regular expression options: i/c (case), n/m (newline-sensitive) and s
    (not, the default), x (expanded), t (tight, the default)."""
    result = re.S
    for flag in str(flags or ""):
        if flag == "i":
            result |= re.I
        elif flag == "c":
            result &= ~re.I
        elif flag in "nm":
            result = (result & ~re.S) | re.M
        elif flag == "s":
            result = (result | re.S) & ~re.M
        elif flag == "x":
            result |= re.X
        elif flag in "bepqw":
            raise PgError("0A000", f'regular expression option "{flag}" is not supported')
        elif flag != "t":
            raise PgError("22023", f"invalid regular expression option: \"{flag}\"")
    return result


def _regexp_match(s: Any, pattern: Any, flags: Any = "") -> Any:
    """The first match's capture groups (or the whole match) as text[], or NULL."""
    if s is None or pattern is None:
        return None
    found = _regex(str(pattern), _regex_flags(flags)).search(str(s))
    if found is None:
        return None
    return json.dumps(list(found.groups()) if found.re.groups else [found.group()])


def _regexp_split_to_array(s: Any, pattern: Any, flags: Any = "") -> Any:
    if s is None or pattern is None:
        return None
    rx = _regex(str(pattern), _regex_flags(flags))
    text = str(s)
    parts, start = [], 0
    for found in rx.finditer(text):
        if found.start() == found.end() and found.start() in (0, len(text)):
            continue  # PostgreSQL ignores an empty match at either end
        parts.append(text[start:found.start()])
        start = found.end()
    parts.append(text[start:])
    return json.dumps(parts)


def _regexp_count(s: Any, pattern: Any, start: Any = 1, flags: Any = "") -> Any:
    if s is None or pattern is None or start is None:
        return None
    if int(start) < 1:
        raise PgError("22023", f'invalid value for parameter "start": {start}')
    rx = _regex(str(pattern), _regex_flags(flags))
    return sum(1 for _ in rx.finditer(str(s), int(start) - 1))


def _regexp_substr(s: Any, pattern: Any, start: Any = 1, n: Any = 1, flags: Any = "",
                   group: Any = 0) -> Any:
    if s is None or pattern is None or start is None or n is None:
        return None
    if int(start) < 1:
        raise PgError("22023", f'invalid value for parameter "start": {start}')
    rx = _regex(str(pattern), _regex_flags(flags))
    for index, found in enumerate(rx.finditer(str(s), int(start) - 1), start=1):
        if index == int(n):
            return found.group(int(group or 0))
    return None


def _translate(s: Any, frm: Any, to: Any) -> Any:
    if s is None or frm is None or to is None:
        return None
    frm, to = str(frm), str(to)
    table = {ord(c): (to[i] if i < len(to) else None) for i, c in enumerate(frm)}
    return str(s).translate(table)


def register(conn: apsw.Connection, ctx: FunctionContext) -> None:
    """Register every pgha function on ``conn``, bound to ``ctx``."""
    seq = SequenceOps(conn, ctx)

    def f(name: str, fn: Callable[..., Any], nargs: int = -1, deterministic: bool = False) -> None:
        flags = apsw.SQLITE_DETERMINISTIC if deterministic else 0
        conn.create_scalar_function(name, fn, nargs, flags=flags)

    def null_safe(fn: Callable[..., Any]) -> Callable[..., Any]:
        def wrapped(*args: Any) -> Any:
            if any(a is None for a in args):
                return None
            return fn(*args)

        return wrapped

    f("pg_cast", lambda v, src, dst, tm: _cast(v, src, dst, tm, ctx.tz), 4)
    f("pg_cast_explicit", lambda v, src, dst, tm: _cast_explicit(v, src, dst, tm, ctx.tz), 4)
    f("pg_regclass_name", lambda oid: regclass_name(ctx.catalog, oid), 1)
    f("pg_regtype_name", regtype_name, 1, True)
    f("pg_regclass", lambda v: None if v is None else seq_regclass(ctx, v), 1)
    f("pg_regex_match", null_safe(lambda s, p: 1 if _regex(str(p), 0).search(_text(s)) else 0), 2)
    f(
        "pg_regex_imatch",
        null_safe(lambda s, p: 1 if _regex(str(p), re.I).search(_text(s)) else 0),
        2,
    )
    f("regexp", null_safe(lambda p, s: 1 if _regex(str(p), 0).search(_text(s)) else 0), 2)
    f("pg_like", null_safe(lambda s, p: _like(s, p, False)), 2, True)
    f(
        "pg_ilike",
        null_safe(lambda s, p: _like(s, p, True)),
        2,
        True,
    )
    f(
        "pg_json_contains",
        null_safe(lambda a, b: 1 if _contains(_json_load(a), _json_load(b)) else 0),
        2,
        True,
    )
    f(
        "pg_json_contained",
        null_safe(lambda a, b: 1 if _contains(_json_load(b), _json_load(a)) else 0),
        2,
        True,
    )
    f("pg_concat_op", _concat_op, -1, True)
    f("pg_div", _div, 2, True)
    f("pg_idiv", _div, 2, True)
    f("pg_mod", _mod, 2, True)
    f("pg_round", _round, 2, True)
    f("pg_trunc", _trunc, 2, True)
    f("round", lambda v, p=0: _round(v, p), -1, True)
    f("trunc", lambda v, p=0: _trunc(v, p), -1, True)
    f("pg_greatest", _greatest, -1, True)
    f("pg_least", _least, -1, True)
    f("pg_any", _any, 3, True)
    f("pg_all", _all, 3, True)
    f("pg_array_get", _array_get, 2, True)
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
    f("current_user", lambda: ctx.user, 0)
    f("session_user", lambda: ctx.user, 0)
    f("current_database", lambda: ctx.database, 0)
    f("current_schema", lambda: "public", 0)
    f(
        "current_schemas",
        lambda implicit: json.dumps(["pg_catalog", "public"] if implicit else ["public"]),
        1,
    )
    f(
        "version",
        lambda: f"PostgreSQL {PG_VERSION} (pgha) on x86_64-pc-linux-gnu, compiled by pgha, 64-bit",
        0,
    )
    f("pg_backend_pid", lambda: ctx.backend_pid, 0)
    f("nextval", seq.nextval, 1)
    f("currval", seq.currval, 1)
    f("lastval", seq.lastval, 0)
    f("setval", seq.setval, -1)
    f("current_setting", lambda name, missing_ok=0: _current_setting(ctx, name, missing_ok), -1)
    f("set_config", lambda name, value, local: _set_config(ctx, name, value, local), 3)
    f("random_float", random.random, 0)
    f("gen_random_uuid", lambda: str(uuid.uuid4()), 0)
    f("uuid_generate_v4", lambda: str(uuid.uuid4()), 0)
    f("left", null_safe(lambda s, n: str(s)[:n]), 2, True)  # n < 0: all but the last |n|
    f(
        "right",
        null_safe(lambda s, n: (str(s)[-n:] if n > 0 else "") if n >= 0 else str(s)[-n:]),
        2,
        True,
    )
    f("lpad", _pad(True), -1, True)
    f("rpad", _pad(False), -1, True)
    f("repeat", null_safe(lambda s, n: str(s) * max(int(n), 0)), 2, True)
    f("reverse", null_safe(lambda s: str(s)[::-1]), 1, True)
    f(
        "initcap",
        null_safe(lambda s: re.sub(r"[A-Za-z0-9]+", lambda m: m.group(0).capitalize(), str(s))),
        1,
        True,
    )
    f("split_part", _split_part, 3, True)
    f(
        "md5",
        null_safe(
            lambda s: hashlib.md5(s if isinstance(s, bytes) else _text(s).encode()).hexdigest()
        ),
        1,
        True,
    )
    f("concat", _concat, -1, True)
    f("concat_ws", _concat_ws, -1, True)
    f("format", _format, -1, True)
    f("pg_to_char_number", _to_char_number, 2, True)
    f("chr", null_safe(lambda n: chr(int(n))), 1, True)
    f("ascii", null_safe(lambda s: ord(str(s)[0]) if s else 0), 1, True)
    f("octet_length", null_safe(lambda s: len(s if isinstance(s, bytes) else str(s).encode())), 1)
    f("translate", _translate, 3, True)
    f("regexp_replace", _regexp_replace, -1, True)
    f("like_escape", null_safe(_like_escape), 2, True)
    f("regexp_match", _regexp_match, -1, True)
    f("regexp_split_to_array", _regexp_split_to_array, -1, True)
    f("regexp_count", _regexp_count, -1, True)
    f("regexp_substr", _regexp_substr, -1, True)
    f("similar_to_escape", null_safe(_similar_to_escape), -1, True)
    f("quote_ident", _quote_ident, 1, True)
    f("quote_literal", _quote_literal, 1, True)
    f("to_char", _to_char, 2)
    f("pg_to_char_tz", lambda v, fmt: _to_char(v, fmt, ctx.tz), 2)
    f("encode", _encode, 2, True)
    f("decode", _decode, 2, True)
    f("sign", null_safe(lambda x: (x > 0) - (x < 0)), 1, True)
    f("pg_size_pretty", _size_pretty, 1, True)
    f("array_to_string", _array_to_string, -1, True)
    f("array_length", _array_length, -1, True)
    f("array_upper", _array_length, -1, True)
    f("array_lower", null_safe(lambda a, d=1: 1 if json.loads(a) else None), -1, True)
    f("cardinality", null_safe(lambda a: len(json.loads(a))), 1, True)
    f("array_append", _array_append, 2, True)
    f("array_position", _array_position, 2, True)
    f("pg_sleep", lambda secs: _sleep(ctx, secs), 1)
    f("pg_notify", lambda channel, payload: ctx.notify(channel, payload) if ctx.notify else None,
      2)
    f(
        "pg_advisory_lock",
        lambda *key: ctx.advisory_locks.lock(id(ctx), key) if ctx.advisory_locks else None,
        -1,
    )
    f(
        "pg_try_advisory_lock",
        lambda *key: 1 if not ctx.advisory_locks or ctx.advisory_locks.try_lock(id(ctx), key)
        else 0,
        -1,
    )
    f(
        "pg_advisory_unlock",
        lambda *key: 1 if not ctx.advisory_locks or ctx.advisory_locks.unlock(id(ctx), key)
        else 0,
        -1,
    )
    f(
        "pg_advisory_unlock_all",
        lambda: ctx.advisory_locks.unlock_all(id(ctx)) if ctx.advisory_locks else None,
        0,
    )
    f("pg_is_in_recovery", lambda: 1 if ctx.in_recovery() else 0, 0)
    f("pg_promote", lambda wait=1, seconds=60: _promote(ctx, False, wait, seconds), -1)
    f("pgha_force_promote", lambda: _promote(ctx, True, 1, 60), 0)
    register_more(conn, ctx)
    from pgha.storage.functions import text_array as fn_textarr  # it builds on this module

    fn_textarr.register(conn, lambda: ctx.server_port)
    conn.create_aggregate_function(
        "pg_bool_and", lambda: (_BoolAgg(True), _BoolAgg.step, _BoolAgg.final)
    )
    conn.create_aggregate_function(
        "pg_bool_or", lambda: (_BoolAgg(False), _BoolAgg.step, _BoolAgg.final)
    )
    conn.create_module(
        "pg_generate_series", GenerateSeries(), eponymous=True, use_bestindex_object=True
    )


def _concat_op(a: Any, b: Any, a_container: int = 1, b_container: int = 1) -> Any:
    """``||`` of JSON documents or arrays (stored as JSON text); an operand that is not a
    container is an array element, as stored (array || element, element || array)."""
    if a is None or b is None:
        return None
    left = json.loads(a) if a_container else [a]
    right = json.loads(b) if b_container else [b]
    if isinstance(left, dict) and isinstance(right, dict):
        merged = dict(left)
        merged.update(right)
        return json.dumps(merged)
    la = left if isinstance(left, list) else [left]
    ra = right if isinstance(right, list) else [right]
    return json.dumps(la + ra)


def _sleep(ctx: FunctionContext, secs: Any) -> None:
    """pg_sleep that a CancelRequest interrupts (the session sets ``ctx.cancel``)."""
    secs = None if secs is None else float(secs)  # numeric arrives as its decimal text
    if secs is not None and secs > 0 and ctx.cancel.wait(min(secs, 86_400.0)):
        raise PgError("57014", f"canceling statement due to {ctx.cancel_reason}")


def seq_regclass(ctx: FunctionContext, value: Any) -> int:
    return regclass_lookup(ctx.catalog, value)


def regclass_lookup(catalog: Catalog | None, value: Any) -> int:
    """The OID a relation name (as regclass input accepts it) denotes, or 42P01."""
    if isinstance(value, int):
        return value
    name = str(value).strip()
    if name.isdigit():
        return int(name)
    schema = None
    if "." in name and not name.startswith('"'):
        schema, name = name.split(".", 1)
    name = name[1:-1].replace('""', '"') if name.startswith('"') else name.lower()
    if schema in (None, "public") and catalog is not None:
        rel = catalog.by_name.get(name)
        if rel is not None:
            return rel.oid
        owner = catalog.index_owner.get(name)
        if owner is not None:
            for idx in owner.indexes:
                if idx.name == name:
                    return idx.oid
    from pgha.storage.pgcatalog import SYSTEM_OIDS

    oid = SYSTEM_OIDS.get(name)
    if oid is not None and schema in (None, "pg_catalog"):
        return oid
    shown = f"{schema}.{name}" if schema else name
    raise PgError("42P01", f'relation "{shown}" does not exist')


def regclass_name(catalog: Catalog | None, oid: Any) -> Any:
    if oid is None:
        return None
    if isinstance(oid, str) and not oid.isdigit():
        oid = regclass_lookup(catalog, oid)  # a name bound as a regclass parameter
    rel = catalog.by_oid.get(int(oid)) if catalog is not None else None
    if rel is not None:
        return rel.name
    if catalog is not None:
        for table in catalog.tables():
            for idx in table.indexes:
                if idx.oid == oid:
                    return idx.name
    from pgha.storage.pgcatalog import SYSTEM_OIDS

    for name, sys_oid in SYSTEM_OIDS.items():
        if sys_oid == oid:
            return name
    return str(oid)


def regtype_name(oid: Any) -> Any:
    if oid is None:
        return None
    if isinstance(oid, str) and not oid.isdigit():
        oid = _cast(oid, T.TEXT, T.REGTYPE, -1)
    if int(oid) in (T.BPCHAR, T.ARRAY_OF[T.BPCHAR]):
        # regtype output is format_type without a typmod given: bpchar is "character"
        return "character" if int(oid) == T.BPCHAR else "character[]"
    return pgtypes.format_type(int(oid), -1) if int(oid) in pgtypes.TYPES_BY_OID else str(oid)


def _current_setting(ctx: FunctionContext, name: Any, missing_ok: Any) -> Any:
    key = str(name).lower()
    if key in ctx.settings:
        return ctx.settings[key]
    if missing_ok:
        return None
    raise PgError("42704", f'unrecognized configuration parameter "{name}"')


def _set_config(ctx: FunctionContext, name: Any, value: Any, local: Any) -> Any:
    if ctx.set_setting is None:
        raise PgError("0A000", "set_config is not available here")
    ctx.set_setting(str(name).lower(), "" if value is None else str(value), bool(local))
    return ctx.settings.get(str(name).lower(), value)


def table_size(catalog: Catalog, conn: apsw.Connection, oid: int) -> int:
    rel = catalog.by_oid.get(oid)
    if not isinstance(rel, Table):
        return 0
    try:
        row = conn.execute("SELECT sum(pgsize) FROM dbstat WHERE name = ?", (rel.name,)).fetchone()
    except apsw.Error:
        return 0
    return int(row[0] or 0) if row else 0




def _promote(ctx: FunctionContext, force: bool, wait: Any, seconds: Any) -> int:
    """pg_promote(wait, wait_seconds) wins an election first, trying for up to wait_seconds
    (it refuses a node that lacks commits another node holds); pgha_force_promote() skips the
    election and may lose them. Only a standby can be promoted (replication supplies
    ``on_promote``). The promotion is always waited for (``wait`` false is not honoured)."""
    if ctx.on_promote is None or not ctx.in_recovery():
        raise PgError("55000", "recovery is not in progress",
                      hint="Recovery control functions can only be executed during recovery.")
    if seconds is None or int(seconds) <= 0:
        raise PgError("22023", '"wait_seconds" must not be negative or zero')
    return 1 if ctx.on_promote(force, float(seconds)) else 0


def _bytes(v: Any) -> bytes:
    return v if isinstance(v, bytes) else str(v).encode()


def _width_bucket(x: Any, lo: Any, hi: Any, n: Any) -> Any:
    if None in (x, lo, hi, n):
        return None
    if n <= 0:
        raise PgError("2201G", "count must be greater than zero")
    if x < lo:
        return 0
    if x >= hi:
        return n + 1
    return int((x - lo) * n / (hi - lo)) + 1


def _string_to_array(text: Any, sep: Any, null: Any = None) -> Any:
    if text is None:
        return None
    if text == "":
        return "[]"
    parts = list(str(text)) if sep is None else str(text).split(str(sep)) if sep else [str(text)]
    return json.dumps([None if null is not None and p == null else p for p in parts])


def _array_prepend(item: Any, arr: Any) -> str:
    return json.dumps([item] + (json.loads(arr) if arr is not None else []))


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
            raise PgError("21000", "more than one row returned by a subquery used as an "
                          "expression")
        return state["v"]

    return None, step, final


def register_more(conn: apsw.Connection, ctx: FunctionContext) -> None:
    """Math, statistics, array and bytea functions beyond ``register``'s core set."""
    from pgha.storage import catalog_functions
    from pgha.storage.functions import maths as fn_numeric

    catalog_functions.register(conn, ctx)
    fn_datetime.register(conn, ctx)
    fn_json.register(conn, ctx)

    def f(name: str, fn: Callable[..., Any], nargs: int = -1) -> None:
        conn.create_scalar_function(name, fn, nargs, flags=apsw.SQLITE_DETERMINISTIC)

    def null_safe(fn: Callable[..., Any]) -> Callable[..., Any]:
        return lambda *a: None if any(x is None for x in a) else fn(*a)

    f("cbrt", null_safe(lambda x: math.copysign(abs(x) ** (1 / 3), x)), 1)
    f("width_bucket", _width_bucket, 4)
    f("pg_bytea_concat", null_safe(lambda a, b: _bytes(a) + _bytes(b)), 2)
    f("string_to_array", _string_to_array, -1)
    f("array_prepend", _array_prepend, 2)
    f("array_cat", null_safe(lambda a, b: json.dumps(json.loads(a) + json.loads(b))), 2)
    f("array_remove", null_safe(lambda a, x: json.dumps([v for v in json.loads(a) if v != x])),
      2)
    f("pg_array_overlap", null_safe(lambda a, b: 1 if set(map(json.dumps, json.loads(a)))
                                    & set(map(json.dumps, json.loads(b))) else 0), 2)
    for name, kind in (("stddev", "stddev_samp"), ("stddev_samp", "stddev_samp"),
                       ("stddev_pop", "stddev_pop"), ("variance", "var_samp"),
                       ("var_samp", "var_samp"), ("var_pop", "var_pop")):
        conn.create_aggregate_function(name, _stat(kind))
    conn.create_aggregate_function("pg_single_row", _single_row)
    conn.create_module("pg_srf_elements", ArrayElements(), eponymous=True,
                       use_bestindex_object=True)
    fn_numeric.register(conn, ctx)  # float edge cases and numeric math; replaces some above


class ArrayElements(GenerateSeries):
    """``pg_srf_elements(array)``: one row per element (value, 1-based ord). Accepts pgha's
    array storage (a JSON array) and int2vector/oidvector text ("1 2 3")."""

    schema = "CREATE TABLE x(value, ord, arr HIDDEN)"

    def Create(self, db: Any, modulename: str, dbname: str, tablename: str,
               *args: Any) -> tuple[str, Any]:
        return self.schema, ArrayElementsTable()

    Connect = Create


class ArrayElementsTable(GenerateSeriesTable):
    def BestIndexObject(self, o: Any) -> bool:
        has_array = False
        for i in range(o.nConstraint):
            if (o.get_aConstraint_iColumn(i) == 2 and o.get_aConstraint_usable(i)
                    and o.get_aConstraint_op(i) == apsw.SQLITE_INDEX_CONSTRAINT_EQ):
                o.set_aConstraintUsage_argvIndex(i, 1)
                o.set_aConstraintUsage_omit(i, True)
                has_array = True
        # Without its argument the function cannot run: make that plan the last resort, so
        # SQLite scans what provides the argument first (the lateral order).
        o.estimatedCost = 10.0 if has_array else 1e30
        return True

    def Open(self) -> ArrayElementsCursor:
        return ArrayElementsCursor()


class ArrayElementsCursor(GenerateSeriesCursor):
    def Filter(self, indexnum: int, indexname: Any, constraintargs: tuple[Any, ...]) -> None:
        self.pos = 0
        arr = constraintargs[0] if constraintargs else None
        if arr is None:
            self.values = []
            return
        text = str(arr).strip()
        items = json.loads(text) if text.startswith("[") else [int(v) for v in text.split()]
        self.values = [(item, i + 1) for i, item in enumerate(items)]

    def Column(self, col: int) -> Any:
        value, ordinal = self.values[self.pos]
        return value if col == 0 else ordinal if col == 1 else None

