"""Pattern matching: LIKE and ILIKE (linear, segment by segment), SIMILAR TO's and LIKE ...
ESCAPE's rewriting, and PostgreSQL's regular expressions (``~``, regexp_*), run by the regex
module with the GIL released and a time bound (``REGEX_TIMEOUT``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

import apsw
import regex

from pgha.storage.functions.casts import _text
from pgha.storage.functions.context import FunctionContext, null_safe, registrar
from pgha.wire.errors import (
    FeatureNotSupported,
    InvalidEscapeSequence,
    InvalidParameterValue,
    InvalidRegularExpression,
    PgError,
)

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
    return InvalidRegularExpression("invalid regular expression: regular expression is too complex",
                                    hint=f"Matching took more than {REGEX_TIMEOUT:g} seconds.")


_NAMED_GROUP = re.compile(r"\(\?P?<[A-Za-z_]")


@lru_cache(maxsize=256)
def _regex(pattern: str, flags: int) -> BoundedPattern:
    if _NAMED_GROUP.search(pattern):  # Python's named groups; PostgreSQL's engine has none
        raise InvalidRegularExpression("invalid regular expression: quantifier operand invalid")
    try:
        return BoundedPattern(regex.compile(pattern, flags))
    except regex.error as exc:
        raise InvalidRegularExpression(f"invalid regular expression: {exc}") from exc


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
        raise InvalidEscapeSequence("invalid escape string",
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
                raise InvalidEscapeSequence("LIKE pattern must not end with escape character")
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
                raise InvalidRegularExpression("invalid escape sequence: the pattern ends with the "
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
            raise FeatureNotSupported(f'regular expression option "{flag}" is not supported')
        elif flag != "t":
            raise InvalidParameterValue(f"invalid regular expression option: \"{flag}\"")
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
        raise InvalidParameterValue(f'invalid value for parameter "start": {start}')
    rx = _regex(str(pattern), _regex_flags(flags))
    return sum(1 for _ in rx.finditer(str(s), int(start) - 1))


def _regexp_substr(s: Any, pattern: Any, start: Any = 1, n: Any = 1, flags: Any = "",
                   group: Any = 0) -> Any:
    if s is None or pattern is None or start is None or n is None:
        return None
    if int(start) < 1:
        raise InvalidParameterValue(f'invalid value for parameter "start": {start}')
    rx = _regex(str(pattern), _regex_flags(flags))
    for index, found in enumerate(rx.finditer(str(s), int(start) - 1), start=1):
        if index == int(n):
            return found.group(int(group or 0))
    return None


def register(conn: apsw.Connection, ctx: FunctionContext) -> None:
    """The matching operators (``~``, ``~*``, LIKE, ILIKE) and the regexp_* functions."""
    f = registrar(conn)
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
    f("regexp_replace", _regexp_replace, -1, True)
    f("like_escape", null_safe(_like_escape), 2, True)
    f("regexp_match", _regexp_match, -1, True)
    f("regexp_split_to_array", _regexp_split_to_array, -1, True)
    f("regexp_count", _regexp_count, -1, True)
    f("regexp_substr", _regexp_substr, -1, True)
    f("similar_to_escape", null_safe(_similar_to_escape), -1, True)
