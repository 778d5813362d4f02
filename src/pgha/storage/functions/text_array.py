"""String, bytea, array and row functions of PostgreSQL 15 that SQLite lacks or gets wrong.

Registered by ``functions.register`` after the core set (``strings``, ``arrays``), so a
name defined here replaces the core one (SQLite's ASCII-only ``lower``/``upper`` among
them). Arrays are stored as the JSON text of their elements (nested lists for more than one
dimension), bytea as bytes; every function returns NULL on a NULL argument unless PostgreSQL
says otherwise (quote_nullable, array_position's element, array_remove's element).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

import apsw
from pglast import keywords

from pgha.storage.functions.arrays import (
    ArrayElements,
    ArrayElementsCursor,
    ArrayElementsTable,
)
from pgha.storage.functions.arrays import (
    _array_to_string as functions_array_to_string,
)
from pgha.storage.functions.arrays import (
    _concat_op as functions_concat_op,
)
from pgha.storage.functions.patterns import (
    BoundedPattern,
    _like,
    _regex,
    _regex_flags,
    _similar_to_escape,
)
from pgha.storage.functions.series import (
    GenerateSeries,
    GenerateSeriesCursor,
    GenerateSeriesTable,
)
from pgha.wire.errors import (
    ArrayElementError,
    CharacterNotInRepertoire,
    DataException,
    FeatureNotSupported,
    InvalidParameterValue,
    InvalidRegularExpression,
    InvalidTextRepresentation,
    NullValueNotAllowed,
    ProgramLimitExceeded,
    SubstringError,
)

# Array storage is compact JSON, as SQLite's json_array() and the array codec write it, so
# equal arrays are equal texts (GROUP BY, DISTINCT, UNION compare the text).
_dumps = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode

# quote_ident quotes every keyword that is not unreserved (PostgreSQL's quote_identifier).
_QUOTED_KEYWORDS = frozenset(
    keywords.RESERVED_KEYWORDS | keywords.COL_NAME_KEYWORDS | keywords.TYPE_FUNC_NAME_KEYWORDS
)
_PLAIN_IDENT = re.compile(r"[a-z_][a-z0-9_$]*")


def _strict(fn: Callable[..., Any]) -> Callable[..., Any]:
    """A STRICT function: NULL in, NULL out."""

    def wrapped(*args: Any) -> Any:
        if any(a is None for a in args):
            return None
        return fn(*args)

    return wrapped


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _bytes(value: Any) -> bytes:
    return value if isinstance(value, bytes) else _text(value).encode()


# -- text ----------------------------------------------------------------------------------


def _map_case(s: str, upper: bool) -> str:
    """towupper/towlower per character, as PostgreSQL with a UTF-8 locale: a character
    whose mapping is not one character (ß -> SS) stays as it is."""
    if s.isascii():
        return s.upper() if upper else s.lower()
    out = []
    for c in s:
        m = c.upper() if upper else c.lower()
        out.append(m if len(m) == 1 else "i" if c == "\u0130" else c)  # İ lowers to i
    return "".join(out)


def _initcap(s: str) -> str:
    """Upper case after a non-alphanumeric character, lower case elsewhere."""
    out, after_alnum = [], False
    for c in s:
        out.append(_map_case(c, not after_alnum))
        after_alnum = c.isalnum()
    return "".join(out)


def quote_ident(s: str) -> str:
    if _PLAIN_IDENT.fullmatch(s) and s not in _QUOTED_KEYWORDS:
        return s
    return '"' + s.replace('"', '""') + '"'


def quote_literal(s: str) -> str:
    """PostgreSQL's quote_literal: an E'' string when there is a backslash (doubled)."""
    quoted = "'" + s.replace("'", "''").replace("\\", "\\\\") + "'"
    return "E" + quoted if "\\" in s else quoted


def _literal_text(value: Any) -> str:
    if isinstance(value, bytes):
        return "\\x" + value.hex()
    return _text(value)


def _chr(n: Any) -> str:
    code = int(n)
    if code == 0:
        raise ProgramLimitExceeded("null character not permitted")
    if code < 0:
        raise InvalidParameterValue("character number must be positive")
    if code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        raise ProgramLimitExceeded(f"requested character too large for encoding: {code}")
    return chr(code)


def _to_hex(bits: int) -> Callable[[Any], str]:
    def to_hex(n: Any) -> str:
        return format(int(n) & ((1 << bits) - 1), "x")

    return to_hex


# -- bytea ---------------------------------------------------------------------------------


def _encode(data: Any, fmt: Any) -> str:
    raw = _bytes(data)
    kind = str(fmt).lower()
    if kind == "hex":
        return raw.hex()
    if kind == "base64":
        # PostgreSQL breaks base64 output into lines of 76 characters.
        text = base64.b64encode(raw).decode()
        return "\n".join(text[i:i + 76] for i in range(0, len(text), 76))
    if kind == "escape":
        out = []
        for b in raw:
            if b == 0x5C:
                out.append("\\\\")
            elif b == 0 or b >= 0x80:
                out.append(f"\\{b:03o}")
            else:
                out.append(chr(b))
        return "".join(out)
    raise InvalidParameterValue(f'unrecognized encoding: "{fmt}"')


def _decode(text: Any, fmt: Any) -> bytes:
    s = _text(text)
    kind = str(fmt).lower()
    if kind == "hex":
        digits = "".join(s.split())
        for c in digits:
            if c not in "0123456789abcdefABCDEF":
                raise InvalidParameterValue(f'invalid hexadecimal digit: "{c}"')
        if len(digits) % 2:
            raise InvalidParameterValue("invalid hexadecimal data: odd number of digits")
        return bytes.fromhex(digits)
    if kind == "base64":
        try:
            return base64.b64decode("".join(s.split()), validate=True)
        except binascii.Error as exc:
            raise InvalidParameterValue("invalid base64 end sequence") from exc
    if kind == "escape":
        return _unescape_bytea(s)
    raise InvalidParameterValue(f'unrecognized encoding: "{fmt}"')


def _unescape_bytea(s: str) -> bytes:
    raw = s.encode()
    out = bytearray()
    i = 0
    while i < len(raw):
        b = raw[i]
        if b != 0x5C:
            out.append(b)
            i += 1
        elif raw[i + 1:i + 2] == b"\\":
            out.append(0x5C)
            i += 2
        elif re.fullmatch(rb"[0-3][0-7][0-7]", raw[i + 1:i + 4]):
            out.append(int(raw[i + 1:i + 4], 8))
            i += 4
        else:
            raise InvalidTextRepresentation("invalid input syntax for type bytea")
    return bytes(out)


def _byte_index(data: bytes, n: Any) -> int:
    index = int(n)
    if not 0 <= index < len(data):
        raise ArrayElementError(f"index {index} out of valid range, 0..{len(data) - 1}")
    return index


def _get_byte(data: Any, n: Any) -> int:
    raw = _bytes(data)
    return raw[_byte_index(raw, n)]


def _set_byte(data: Any, n: Any, value: Any) -> bytes:
    raw = bytearray(_bytes(data))
    raw[_byte_index(bytes(raw), n)] = int(value) & 0xFF
    return bytes(raw)


def _overlay(s: Any, repl: Any, start: Any, count: Any = None) -> Any:
    """overlay(s PLACING r FROM start [FOR count]) for text and bytea alike."""
    if count is None:
        count = len(repl)
    first = int(start)
    if first < 1:
        raise SubstringError("negative substring length not allowed")
    if int(count) < 0:
        raise SubstringError("negative substring length not allowed")
    return s[:first - 1] + repl + s[first - 1 + int(count):]


def _bytea_trim(mode: Any, data: Any, chars: Any) -> bytes:
    raw, strip = _bytes(data), _bytes(chars)
    if mode == "b":
        return raw.strip(strip)
    return raw.lstrip(strip) if mode == "l" else raw.rstrip(strip)


def _convert_to(text: Any, encoding: Any) -> bytes:
    return _text(text).encode(_codec(encoding))


def _convert_from(data: Any, encoding: Any) -> str:
    try:
        return _bytes(data).decode(_codec(encoding))
    except UnicodeDecodeError as exc:
        raise CharacterNotInRepertoire(
            f"invalid byte sequence for encoding \"{encoding}\"") from exc


def _codec(encoding: Any) -> str:
    name = str(encoding).upper().replace("-", "").replace("_", "")
    codec = {"UTF8": "utf-8", "LATIN1": "latin-1", "SQLASCII": "latin-1", "WIN1252": "cp1252",
             "ISO88591": "latin-1"}.get(name)
    if codec is None:
        raise InvalidParameterValue(f'invalid destination encoding name "{encoding}"')
    return codec


# -- regular expressions ---------------------------------------------------------------------


def _regex_options(flags: Any) -> tuple[int, bool]:
    text = "" if flags is None else str(flags)
    return _regex_flags(text.replace("g", "")), "g" in text


def _compiled(pattern: Any, flags: int) -> BoundedPattern:
    return _regex(str(pattern), flags)


def _expand_replacement(repl: str) -> Callable[[re.Match[str]], str]:
    """PostgreSQL's replacement text: \\1..\\9 a group, \\& the whole match, \\\\ a
    backslash; everything else literal."""

    def expand(found: re.Match[str]) -> str:
        out, i = [], 0
        while i < len(repl):
            c = repl[i]
            if c == "\\" and i + 1 < len(repl):
                nxt = repl[i + 1]
                if nxt.isdigit():
                    group = int(nxt)
                    out.append((found.group(group) or "") if group <= found.re.groups else "")
                    i += 2
                    continue
                if nxt == "&":
                    out.append(found.group(0))
                    i += 2
                    continue
                if nxt == "\\":
                    out.append("\\")
                    i += 2
                    continue
            out.append(c)
            i += 1
        return "".join(out)

    return expand


def _regexp_replace(s: Any, pattern: Any, repl: Any, *rest: Any) -> Any:
    """regexp_replace(s, pattern, repl [, start [, N]] [, flags])."""
    if s is None or pattern is None or repl is None or any(r is None for r in rest):
        return None
    start, n, flags = 1, None, ""
    numbers = [r for r in rest if isinstance(r, int)]
    texts = [r for r in rest if not isinstance(r, int)]
    if numbers:
        start = numbers[0]
        n = numbers[1] if len(numbers) > 1 else None
    if texts:
        flags = str(texts[0])
    if start < 1:
        raise InvalidParameterValue(f'invalid value for parameter "start": {start}')
    if n is not None and n < 0:
        raise InvalidParameterValue(f'invalid value for parameter "n": {n}')
    options, global_ = _regex_options(flags)
    rx = _compiled(pattern, options)
    text = str(s)
    expand = _expand_replacement(str(repl))
    which = 0 if (global_ and n is None) or n == 0 else (n or 1)
    out, last = [], 0
    for index, found in enumerate(rx.finditer(text, start - 1), start=1):
        if which and index != which:
            continue
        out.append(text[last:found.start()])
        out.append(expand(found))
        last = found.end()
        if which:
            break
    out.append(text[last:])
    return "".join(out)


def _regexp_instr(s: Any, pattern: Any, start: Any = 1, n: Any = 1, endoption: Any = 0,
                  flags: Any = "", group: Any = 0) -> Any:
    if None in (s, pattern, start, n, endoption, flags, group):
        return None
    if int(start) < 1:
        raise InvalidParameterValue(f'invalid value for parameter "start": {start}')
    rx = _compiled(pattern, _regex_options(flags)[0])
    for index, found in enumerate(rx.finditer(str(s), int(start) - 1), start=1):
        if index == int(n):
            g = int(group)
            return (found.end(g) if int(endoption) else found.start(g)) + 1
    return 0


def _regexp_like(s: Any, pattern: Any, flags: Any = "") -> Any:
    if None in (s, pattern, flags):
        return None
    return 1 if _compiled(pattern, _regex_options(flags)[0]).search(str(s)) else 0


def _regexp_matches(s: Any, pattern: Any, flags: Any = "") -> Any:
    """Every match (with g) or the first: a JSON list of text[] values, one per row."""
    if None in (s, pattern, flags):
        return None
    options, global_ = _regex_options(flags)
    rx = _compiled(pattern, options)
    rows = []
    for found in rx.finditer(str(s)):
        rows.append(list(found.groups()) if rx.groups else [found.group()])
        if not global_:
            break
    return _dumps([_dumps(r) for r in rows])


def _substring_regex(s: Any, pattern: Any) -> Any:
    """substring(s FROM pattern): the first parenthesized group, or the whole match."""
    found = _compiled(pattern, _regex_options("")[0]).search(str(s))
    if found is None:
        return None
    return found.group(1) if found.re.groups else found.group()


def _substring_similar(s: Any, pattern: Any, escape: Any) -> Any:
    """substring(s SIMILAR pattern ESCAPE e): the part between the two e" markers (or the
    whole string) when the whole string matches the pattern."""
    esc = _text(escape)
    marker = esc + '"'
    parts = _text(pattern).split(marker) if esc else [_text(pattern)]
    if len(parts) not in (1, 3):
        raise InvalidRegularExpression(
            "SQL regular expression may not contain more than two escape-"
            "double-quote separators")
    regexes = [_similar_to_escape(p, esc)[4:-2] for p in parts]
    if len(regexes) == 1:
        found = re.fullmatch(regexes[0], _text(s), re.S)
        return None if found is None else found.group()
    found = re.fullmatch(f"(?:{regexes[0]})??({regexes[1]})(?:{regexes[2]})", _text(s), re.S)
    return None if found is None else found.group(1)


def _substr(s: Any, start: Any, count: Any = None) -> Any:
    """substr/substring(s FROM start [FOR count]) of text or bytea: positions before the
    first character count (PostgreSQL), not from the end (SQLite)."""
    if s is None or start is None:
        return None
    first = int(start)
    if count is None:
        return s[max(first, 1) - 1:]
    if int(count) < 0:
        raise SubstringError("negative substring length not allowed")
    end = first + int(count)
    return s[max(first, 1) - 1:max(end - 1, 0)] if end > max(first, 1) else s[:0]


def _array_check(arr: Any) -> Any:
    """ARRAY[ARRAY[...], ...]: the sub-arrays must have matching dimensions."""
    items = _items(arr)
    shapes = {_dumps(_dims(v)) if isinstance(v, list) else "" for v in items}
    if len(shapes) > 1:
        raise ArrayElementError("multidimensional arrays must have array expressions with "
                                "matching dimensions")
    return arr


# -- arrays ----------------------------------------------------------------------------------


def _items(arr: Any) -> list[Any]:
    items = json.loads(arr) if isinstance(arr, str) else arr
    if not isinstance(items, list):
        raise DataException("array value expected")
    return items


def _dims(items: list[Any]) -> list[int]:
    dims = []
    level: Any = items
    while isinstance(level, list) and level:
        dims.append(len(level))
        level = level[0]
    return dims


def _leaves(items: list[Any]) -> list[Any]:
    out: list[Any] = []
    for item in items:
        if isinstance(item, list):
            out.extend(_leaves(item))
        else:
            out.append(item)
    return out


def _array_length(arr: Any, dim: Any) -> Any:
    dims = _dims(_items(arr))
    d = int(dim)
    return dims[d - 1] if 1 <= d <= len(dims) else None


def _array_lower(arr: Any, dim: Any) -> Any:
    return 1 if _array_length(arr, dim) is not None else None


def _array_dims(arr: Any) -> Any:
    dims = _dims(_items(arr))
    return "".join(f"[1:{n}]" for n in dims) if dims else None


def _array_ndims(arr: Any) -> Any:
    dims = _dims(_items(arr))
    return len(dims) if dims else None


def _cardinality(arr: Any) -> int:
    return len(_leaves(_items(arr)))


def _one_dimension(items: list[Any], fn: str) -> list[Any]:
    if items and isinstance(items[0], list):
        raise FeatureNotSupported(f"searching for elements in multidimensional arrays is not "
                                  f"supported ({fn})")
    return items


def _same(a: Any, b: Any) -> bool:
    """IS NOT DISTINCT FROM for stored elements (numbers may be stored as text)."""
    if a is None or b is None:
        return a is None and b is None
    if type(a) is not type(b) and not (isinstance(a, bool) or isinstance(b, bool)):
        return _text(a) == _text(b)
    return bool(a == b)


def _array_position(arr: Any, item: Any, start: Any = 1) -> Any:
    if arr is None or start is None:
        return None
    items = _one_dimension(_items(arr), "array_position")
    for i in range(max(int(start), 1) - 1, len(items)):
        if _same(items[i], item):
            return i + 1
    return None


def _array_positions(arr: Any, item: Any) -> Any:
    if arr is None:
        return None
    items = _one_dimension(_items(arr), "array_positions")
    return _dumps([i + 1 for i, v in enumerate(items) if _same(v, item)])


def _array_remove(arr: Any, item: Any) -> Any:
    if arr is None:
        return None
    items = _one_dimension(_items(arr), "array_remove")
    return _dumps([v for v in items if not _same(v, item)])


def _array_replace(arr: Any, old: Any, new: Any) -> Any:
    if arr is None:
        return None
    items = _one_dimension(_items(arr), "array_replace")
    return _dumps([new if _same(v, old) else v for v in items])


def _array_fill(value: Any, dims: Any, lower: Any = None) -> Any:
    if dims is None:
        raise NullValueNotAllowed("dimension array or low bound array cannot be null")
    sizes = _items(dims)
    if lower is not None and any(int(b) != 1 for b in _items(lower)):
        raise FeatureNotSupported("arrays with lower bounds other than 1 are not supported")

    def build(level: int) -> Any:
        if level == len(sizes):
            return value
        return [build(level + 1) for _ in range(int(sizes[level]))]

    return _dumps(build(0) if sizes and all(int(n) > 0 for n in sizes) else [])


def _trim_array(arr: Any, n: Any) -> Any:
    items = _items(arr)
    cut = int(n)
    if cut < 0 or cut > len(items):
        raise ArrayElementError("number of elements to trim must be between 0 and "
                                f"{len(items)}")
    return _dumps(items[:len(items) - cut])


def _array_slice(arr: Any, *bounds: Any) -> Any:
    """a[lo:hi][lo:hi]...: (lo, hi) per dimension, NULL for an omitted bound; an empty
    dimension makes the whole slice empty."""
    if arr is None:
        return None

    def cut(level: list[Any], dim: int) -> list[Any] | None:
        if dim * 2 >= len(bounds):
            return level
        lo, hi = bounds[dim * 2], bounds[dim * 2 + 1]
        first = 1 if lo is None else max(int(lo), 1)
        last = len(level) if hi is None else min(int(hi), len(level))
        if first > last:
            return None
        out = []
        for item in level[first - 1:last]:
            if isinstance(item, list):
                sub = cut(item, dim + 1)
                if sub is None:
                    return None
                out.append(sub)
            else:
                out.append(item)
        return out

    result = cut(_items(arr), 0)
    return _dumps(result or [])


def _concat_arrays(a: Any, b: Any, a_container: int = 1, b_container: int = 1) -> Any:
    """``||``: an array of one dimension less is an element of the other (ARRAY[1] ||
    ARRAY[[2]] is {{1},{2}}); a NULL array is an empty one, a NULL element is appended
    (container 2 is an array, 1 a JSON document, 0 an element); JSON documents as the core
    function."""
    if 2 in (a_container, b_container):
        if a is None and b is None:
            return None
        left = ([] if a is None else json.loads(a)) if a_container else [a]
        right = ([] if b is None else json.loads(b)) if b_container else [b]
        if a_container and b_container and left and right:
            da, db = len(_dims(left)), len(_dims(right))
            if da + 1 == db:
                return _dumps([left, *right])
            if da == db + 1:
                return _dumps([*left, right])
        return _dumps(left + right)
    if a is not None and b is not None and a_container and b_container:
        left, right = json.loads(a), json.loads(b)
        if isinstance(left, list) and isinstance(right, list) and left and right:
            da, db = len(_dims(left)), len(_dims(right))
            if da + 1 == db:
                return _dumps([left, *right])
            if da == db + 1:
                return _dumps([*left, right])
    return functions_concat_op(a, b, a_container, b_container)


def cast_elements(value: str, cast: Callable[[Any], Any], target: Any) -> Any:
    """An array cast to another element type: each element cast, stored by the target."""
    from pgha.storage import types as pgtypes

    def walk(items: list[Any]) -> list[Any]:
        return [walk(v) if isinstance(v, list) else None if v is None else cast(v)
                for v in items]

    return pgtypes.coerce(target, walk(_items(value)))


def _array_set(arr: Any, idx: Any, value: Any) -> Any:
    """UPDATE ... SET a[i] = v: beyond the end the array grows, with NULLs in between."""
    if idx is None:
        raise NullValueNotAllowed("array subscript in assignment must not be null")
    i = int(idx)
    items = [] if arr is None else _one_dimension(_items(arr), "array assignment")
    if i < 1:
        raise FeatureNotSupported("arrays with lower bounds other than 1 are not supported")
    if i > len(items):
        items.extend([None] * (i - len(items)))
    items[i - 1] = value
    return _dumps(items)


def _array_to_string(arr: Any, sep: Any, null: Any = None) -> Any:
    if arr is None or sep is None:
        return None
    return functions_array_to_string(_dumps(_leaves(_items(arr))), sep, null)


def _array_subscript(arr: Any, *indexes: Any) -> Any:
    """a[i][j]...: the element, or NULL out of range (also for too few subscripts)."""
    if arr is None or any(i is None for i in indexes):
        return None
    if isinstance(arr, str) and not arr.startswith("[") and len(indexes) == 1:
        # an int2vector or oidvector ("1 2", as the catalogs store them): counts from 0
        items = arr.split()
        i = int(indexes[0])
        return int(items[i]) if 0 <= i < len(items) else None
    level: Any = _items(arr)
    for idx in indexes:
        i = int(idx) - 1
        if not isinstance(level, list) or not 0 <= i < len(level):
            return None
        level = level[i]
    if isinstance(level, list):
        return None
    return _dumps(level) if isinstance(level, dict) else level


def _array_contains(a: Any, b: Any) -> int:
    """a @> b: every non-NULL element of b is in a (NULL never equals anything)."""
    have = _leaves(_items(a))
    for want in _leaves(_items(b)):
        if want is None or not any(v is not None and _same(v, want) for v in have):
            return 0
    return 1


def _array_overlap(a: Any, b: Any) -> int:
    have = [v for v in _leaves(_items(a)) if v is not None]
    return 1 if any(w is not None and any(_same(v, w) for v in have)
                    for w in _leaves(_items(b))) else 0


def _element_key(value: Any, numeric: bool) -> tuple[int, Any]:
    """Sort key of one element: NULL after everything, numeric text by value."""
    if value is None:
        return (2, 0)
    if isinstance(value, list):
        return (1, [_element_key(v, numeric) for v in value])
    if numeric and isinstance(value, str):
        try:
            return (0, Decimal(value))
        except InvalidOperation:
            return (0, Decimal("NaN") if value == "NaN" else value)
    if isinstance(value, bool | int | float):
        return (0, value)
    return (0, str(value))


def _array_collation(numeric: bool) -> Callable[[str, str], int]:
    """PostgreSQL's array ordering (btarraycmp): element by element, then the shorter first."""

    def compare(a: str, b: str) -> int:
        try:
            left = [_element_key(v, numeric) for v in json.loads(a)]
            right = [_element_key(v, numeric) for v in json.loads(b)]
        except (ValueError, TypeError):
            return (a > b) - (a < b)
        for x, y in zip(left, right, strict=False):
            try:
                if x != y:
                    return -1 if x < y else 1
            except TypeError:  # elements of different kinds: compare as text
                if str(x) != str(y):
                    return -1 if str(x) < str(y) else 1
        return (len(left) > len(right)) - (len(left) < len(right))

    return compare


def _like_any(op: Any, value: Any, arr: Any, is_any: Any) -> Any:
    """value LIKE/ILIKE/~/~* ANY|ALL (array), three-valued; op may start with ! (NOT)."""
    if arr is None:
        return None
    negate = str(op).startswith("!")
    kind = str(op).lstrip("!")
    saw_null = value is None
    for pattern in _items(arr):
        if value is None or pattern is None:
            saw_null = True
            continue
        if kind in ("~~", "~~*"):
            hit = bool(_like(value, pattern, kind == "~~*"))
        else:
            hit = _regex(str(pattern), re.I if kind == "~*" else 0).search(_text(value)) is not None
        hit = hit != negate
        if hit and is_any:
            return 1
        if not hit and not is_any:
            return 0
    if saw_null:
        return None
    return 0 if is_any else 1


def _variadic(fn: Callable[..., Any]) -> Callable[..., Any]:
    """f(a, VARIADIC arr): the array's elements become the last arguments."""

    def call(*args: Any) -> Any:
        if args[-1] is None:
            return None
        elements = ["t" if v is True else "f" if v is False else v for v in _items(args[-1])]
        return fn(*args[:-1], *elements)

    return call


# -- row values ------------------------------------------------------------------------------


def _record_out(*values: Any) -> str:
    """record_out: fields in parentheses, empty for NULL, quoted when needed."""
    parts = []
    for v in values:
        if v is None:
            parts.append("")
            continue
        text = _literal_text(v)
        if text == "" or any(c in text for c in '(),"\\ \t\n'):
            text = '"' + text.replace("\\", "\\\\").replace('"', '""') + '"'
        parts.append(text)
    return "(" + ",".join(parts) + ")"


class _StringAgg:
    """string_agg(value, delimiter) for text and bytea; NULL values are skipped."""

    def __init__(self) -> None:
        self.parts: list[Any] = []

    def step(self, value: Any, delimiter: Any = None) -> None:
        if value is not None:
            self.parts.append((value, delimiter))

    def final(self) -> Any:
        if not self.parts:
            return None
        if isinstance(self.parts[0][0], bytes):
            out = bytearray(_bytes(self.parts[0][0]))
            for value, delimiter in self.parts[1:]:
                out += (b"" if delimiter is None else _bytes(delimiter)) + _bytes(value)
            return bytes(out)
        text = _text(self.parts[0][0])
        for value, delimiter in self.parts[1:]:
            text += ("" if delimiter is None else _text(delimiter)) + _text(value)
        return text


class _StringAggPair(_StringAgg):
    """string_agg(DISTINCT ...): SQLite's DISTINCT takes one argument, the JSON pair."""

    def step_pair(self, pair: Any) -> None:
        if pair is not None:
            value, delimiter = json.loads(pair)
            self.step(value, delimiter)


def _srf_items(arr: Any) -> list[Any]:
    """The elements an unnest yields: of every dimension in row-major order; also of
    int2vector/oidvector text ("1 2 3", pg_index.indkey)."""
    if arr is None:
        return []
    if isinstance(arr, str) and not arr.lstrip().startswith("["):
        return [int(v) for v in arr.split()]
    return _leaves(_items(arr))


class LateralUnnest(ArrayElements):
    """``pg_srf_unnest(array)``: the elements of an array (of every dimension) and their
    1-based positions, for unnest(a) in FROM when ``a`` names columns of earlier FROM items
    and for set-returning functions lifted from a select list. A bare table-valued function
    is lateral in SQLite; its column names are chosen not to clash with the tables'."""

    schema = "CREATE TABLE x(_pgha_value, _pgha_ord, _pgha_arr HIDDEN)"

    def Create(self, db: Any, modulename: str, dbname: str, tablename: str,
               *args: Any) -> tuple[str, Any]:
        return self.schema, LateralUnnestTable()

    Connect = Create


class LateralUnnestTable(ArrayElementsTable):
    def Open(self) -> LateralUnnestCursor:
        return LateralUnnestCursor()


class LateralUnnestCursor(ArrayElementsCursor):
    def Filter(self, indexnum: int, indexname: Any, constraintargs: tuple[Any, ...]) -> None:
        self.pos = 0
        arr = constraintargs[0] if constraintargs else None
        self.values = [(item, i + 1) for i, item in enumerate(_srf_items(arr))]


ZIP_WIDTH = 4  # the most arrays pg_srf_zip takes
_ZIP_HIDDEN = 2 * ZIP_WIDTH + 1  # the first argument column


class Zip(GenerateSeries):
    """``pg_srf_zip(a0[, a1 ...])``: row i holds a0[i], a1[i], ... (NULL past the end of a
    shorter array), their subscripts (NULL likewise) and i, as many rows as the longest
    array: unnest(a, b) in FROM, and several set-returning functions in a select list,
    which PostgreSQL runs in lockstep."""

    schema = ("CREATE TABLE x(" + ", ".join(f"_pgha_v{k}" for k in range(ZIP_WIDTH)) + ", "
              + ", ".join(f"_pgha_o{k}" for k in range(ZIP_WIDTH)) + ", _pgha_ord, "
              + ", ".join(f"_pgha_a{k} HIDDEN" for k in range(ZIP_WIDTH)) + ")")

    def Create(self, db: Any, modulename: str, dbname: str, tablename: str,
               *args: Any) -> tuple[str, Any]:
        return self.schema, ZipTable()

    Connect = Create


class ZipTable(GenerateSeriesTable):
    def BestIndexObject(self, o: Any) -> bool:
        arguments: dict[int, int] = {}  # argument column -> constraint
        for i in range(o.nConstraint):
            col = o.get_aConstraint_iColumn(i)
            if col >= _ZIP_HIDDEN and o.get_aConstraint_op(i) == apsw.SQLITE_INDEX_CONSTRAINT_EQ:
                if not o.get_aConstraint_usable(i):
                    o.estimatedCost = 1e30  # lateral: scan what provides the arrays first
                    return True
                arguments[col] = i
        for number, col in enumerate(sorted(arguments), start=1):
            o.set_aConstraintUsage_argvIndex(arguments[col], number)
            o.set_aConstraintUsage_omit(arguments[col], True)
        o.idxNum = sum(1 << (col - _ZIP_HIDDEN) for col in arguments)
        o.estimatedCost = 10.0
        return True

    def Open(self) -> ZipCursor:
        return ZipCursor()


class ZipCursor(GenerateSeriesCursor):
    def Filter(self, indexnum: int, indexname: Any, constraintargs: tuple[Any, ...]) -> None:
        given = iter(constraintargs)
        arrays: list[list[Any]] = []
        for k in range(ZIP_WIDTH):
            arr = next(given) if indexnum & (1 << k) else None
            arrays.append(_srf_items(arr))
        self.arrays = arrays
        self.pos = 0
        self.values = list(range(max(len(a) for a in arrays)))

    def Column(self, col: int) -> Any:
        i = self.pos
        if col < ZIP_WIDTH:
            items = self.arrays[col]
            return items[i] if i < len(items) else None
        if col < 2 * ZIP_WIDTH:
            return i + 1 if i < len(self.arrays[col - ZIP_WIDTH]) else None
        return i + 1 if col == 2 * ZIP_WIDTH else None


def register(conn: apsw.Connection, server_port: Callable[[], Any]) -> None:
    """Register the functions of this module on ``conn``."""

    def f(name: str, fn: Callable[..., Any], nargs: int = -1) -> None:
        conn.create_scalar_function(name, fn, nargs, flags=apsw.SQLITE_DETERMINISTIC)

    f("lower", _strict(lambda s: _map_case(_text(s), False)), 1)
    f("upper", _strict(lambda s: _map_case(_text(s), True)), 1)
    f("initcap", _strict(lambda s: _initcap(_text(s))), 1)
    f("quote_ident", _strict(lambda s: quote_ident(_text(s))), 1)
    f("quote_literal", _strict(lambda s: quote_literal(_literal_text(s))), 1)
    f("quote_nullable", lambda s: "NULL" if s is None else quote_literal(_literal_text(s)), 1)
    f("starts_with", _strict(lambda s, p: 1 if _text(s).startswith(_text(p)) else 0), 2)
    f("bit_length", _strict(lambda s: 8 * len(_bytes(s))), 1)
    f("octet_length", _strict(lambda s: len(_bytes(s))), 1)
    f("chr", _strict(_chr), 1)
    f("ascii", _strict(lambda s: ord(_text(s)[0]) if _text(s) else 0), 1)
    f("to_hex", _strict(_to_hex(32)), 1)
    f("pg_to_hex8", _strict(_to_hex(64)), 1)
    for algorithm in ("sha224", "sha256", "sha384", "sha512"):
        f(algorithm, _strict(lambda d, a=algorithm: hashlib.new(a, _bytes(d)).digest()), 1)
    f("md5", _strict(lambda d: hashlib.md5(_bytes(d)).hexdigest()), 1)
    f("encode", _strict(_encode), 2)
    f("decode", _strict(_decode), 2)
    f("convert_to", _strict(_convert_to), 2)
    f("convert_from", _strict(_convert_from), 2)
    f("get_byte", _strict(_get_byte), 2)
    f("set_byte", _strict(_set_byte), 3)
    f("overlay", _strict(_overlay), -1)
    f("pg_bytea_trim", _strict(_bytea_trim), 3)
    f("pg_bytea_concat", _strict(lambda a, b: _bytes(a) + _bytes(b)), 2)
    f("regexp_replace", _regexp_replace, -1)
    f("regexp_instr", _regexp_instr, -1)
    f("regexp_like", _regexp_like, -1)
    f("pg_regexp_matches", _regexp_matches, -1)
    f("pg_substring_regex", _strict(_substring_regex), 2)
    f("pg_substring_similar", _strict(_substring_similar), 3)
    f("substr", _substr, 2)
    f("substr", _substr, 3)
    f("pg_array_check", _strict(_array_check), 1)
    f("array_length", _strict(_array_length), 2)
    f("array_upper", _strict(_array_length), 2)
    f("array_lower", _strict(_array_lower), 2)
    f("array_dims", _strict(_array_dims), 1)
    f("array_ndims", _strict(_array_ndims), 1)
    f("cardinality", _strict(_cardinality), 1)
    f("array_position", _array_position, -1)
    f("array_positions", _array_positions, 2)
    f("array_append", lambda a, x: _dumps([*([] if a is None else _items(a)), x]), 2)
    f("array_prepend", lambda x, a: _dumps([x, *([] if a is None else _items(a))]), 2)
    f("array_remove", _array_remove, 2)
    f("array_replace", _array_replace, 3)
    f("array_fill", _array_fill, -1)
    f("trim_array", _strict(_trim_array), 2)
    f("pg_array_slice", _array_slice, -1)
    f("pg_concat_op", _concat_arrays, -1)
    f("array_cat", lambda a, b: _concat_arrays(a, b, 2, 2), 2)
    f("array_to_string", _array_to_string, -1)
    f("pg_array_get", _array_subscript, 2)
    f("pg_array_set", _array_set, 3)
    f("pg_array_subscript", _array_subscript, -1)
    f("pg_array_contains", _strict(_array_contains), 2)
    f("pg_array_overlap", _strict(_array_overlap), 2)
    f("pg_like_any", _like_any, 4)
    f("pg_record_out", _record_out, -1)
    f("pg_variadic_concat", _variadic(lambda *a: "".join(_text(v) for v in a if v is not None)),
      -1)
    f("pg_variadic_concat_ws", _variadic(
        lambda sep, *a: None if sep is None else _text(sep).join(
            _text(v) for v in a if v is not None)), -1)
    conn.create_scalar_function("inet_server_port", server_port, 0)
    conn.create_collation("pg_array", _array_collation(False))
    conn.create_collation("pg_array_numeric", _array_collation(True))
    conn.create_module("pg_srf_zip", Zip(), eponymous=True, use_bestindex_object=True)
    conn.create_module("pg_srf_unnest", LateralUnnest(), eponymous=True,
                       use_bestindex_object=True)
    conn.create_aggregate_function("pg_string_agg", _string_agg)
    conn.create_aggregate_function("pg_string_agg_pair", _string_agg_pair)


def _string_agg() -> tuple[Any, Any, Any]:
    agg = _StringAgg()
    return None, lambda _, *args: agg.step(*args), lambda _: agg.final()


def _string_agg_pair() -> tuple[Any, Any, Any]:
    agg = _StringAggPair()
    return None, lambda _, pair: agg.step_pair(pair), lambda _: agg.final()
