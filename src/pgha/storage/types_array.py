"""The codec of one-dimensional arrays, built from the codec of the element type.

Storage is a JSON array (compact, ``[1,2,null]``) of the elements' storage values, so SQLite's
json functions can read it. Elements JSON cannot hold are written as strings: non-finite
floats as ``"Infinity"``/``"-Infinity"``/``"NaN"``, bytea as its hex text ``"\\\\x0102"``.
Text form and binary form are PostgreSQL's (arrayfuncs.c: array_in/array_out,
array_recv/array_send). A multi-dimensional array is stored as nested JSON arrays (rectangular,
row-major); explicit lower bounds, and multi-dimensional binary input, raise 0A000.
"""

from __future__ import annotations

import json
import math
import re
import struct
from collections.abc import Callable
from typing import Any

from pgha.storage.types_codec import Codec, bad_binary, cannot_coerce
from pgha.wire.errors import (
    DatatypeMismatch,
    FeatureNotSupported,
    InvalidBinaryRepresentation,
    InvalidTextRepresentation,
    PgError,
)

ToJson = Callable[[Any], Any]
FromJson = Callable[[Any], Any]

_WS = " \t\n\r\v\f"
_QUOTE_TRIGGERS = frozenset('{}",\\' + _WS)
_HDR = struct.Struct("!iiI")
_DIM = struct.Struct("!ii")
_LEN = struct.Struct("!i")
_BOUNDS = re.compile(r"\[\s*[+-]?[0-9]+\s*(?::\s*[+-]?[0-9]+\s*)?\]")
_dumps = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode


def float_to_json(value: Any) -> Any:
    """Non-finite floats are not JSON: keep them as the strings PostgreSQL prints."""
    if value.__class__ is float and not math.isfinite(value):
        return "NaN" if value != value else ("Infinity" if value > 0 else "-Infinity")
    return value


def float_from_json(value: Any) -> Any:
    return float(value) if isinstance(value, str) else value


def bytes_to_json(value: Any) -> Any:
    return "\\x" + value.hex() if isinstance(value, bytes) else value


def bytes_from_json(value: Any) -> Any:
    return bytes.fromhex(value[2:]) if isinstance(value, str) else value


def _identity(value: Any) -> Any:
    return value


def _malformed(text: str, detail: str) -> PgError:
    return InvalidTextRepresentation(f'malformed array literal: "{text}"', detail=detail)


def _scan_element(s: str, pos: int, text: str) -> tuple[str | None, int]:
    """One element at ``pos`` (blanks already skipped) -> (its text or None, position of the
    ',' or '}' after it)."""
    out: list[str] = []
    n = len(s)
    if s[pos] == '"':
        pos += 1
        while True:
            if pos >= n:
                raise _malformed(text, "Unexpected end of input.")
            c = s[pos]
            if c == "\\":
                if pos + 1 >= n:
                    raise _malformed(text, "Unexpected end of input.")
                out.append(s[pos + 1])
                pos += 2
            elif c == '"':
                pos += 1
                break
            else:
                out.append(c)
                pos += 1
        while pos < n and s[pos] in _WS:
            pos += 1
        return "".join(out), pos
    escaped = False
    trailing_ws = 0  # unescaped blanks at the end, dropped as array_in does
    while pos < n and s[pos] not in ",}":
        c = s[pos]
        if c == '"':
            raise _malformed(text, "Unexpected array element.")
        if c == "{":
            raise _malformed(text, 'Unexpected "{" character.')
        if c == "\\":
            if pos + 1 >= n:
                raise _malformed(text, "Unexpected end of input.")
            out.append(s[pos + 1])
            escaped, trailing_ws = True, 0
            pos += 2
            continue
        trailing_ws = trailing_ws + 1 if c in _WS else 0
        out.append(c)
        pos += 1
    if trailing_ws:
        del out[-trailing_ws:]
    if not out:
        raise _malformed(text, f'Unexpected "{s[pos] if pos < n else ""}" character.')
    raw = "".join(out)
    if not escaped and raw.lower() == "null":
        return None, pos
    return raw, pos


def parse_array_literal(text: str) -> list[Any]:
    """array_in's syntax: the element texts, None for NULL; a list per sub-array."""
    s = text.strip(_WS)
    if s[:1] == "[":
        if _BOUNDS.match(s) is None:
            raise _malformed(text, 'Missing "]" after array dimensions.')
        raise FeatureNotSupported(
            "array literals with explicit bounds are not supported"
        )
    if s[:1] != "{":
        raise _malformed(text, 'Array value must start with "{" or dimension information.')
    items, pos = _parse_level(s, 1, text)
    if pos != len(s):
        raise _malformed(text, "Junk after closing right brace.")
    _check_rectangular(items, text)
    return items


def _parse_level(s: str, pos: int, text: str) -> tuple[list[Any], int]:
    """The elements of one brace level, ``pos`` just after its "{" -> (items, position
    after its "}")."""
    n = len(s)
    items: list[Any] = []
    while pos < n and s[pos] in _WS:
        pos += 1
    if pos < n and s[pos] == "}":
        return items, pos + 1
    while True:
        while pos < n and s[pos] in _WS:
            pos += 1
        if pos >= n:
            raise _malformed(text, "Unexpected end of input.")
        if s[pos] == "{":
            sub, pos = _parse_level(s, pos + 1, text)
            items.append(sub)
            while pos < n and s[pos] in _WS:
                pos += 1
        else:
            item, pos = _scan_element(s, pos, text)
            items.append(item)
        if pos >= n:
            raise _malformed(text, "Unexpected end of input.")
        if s[pos] == "}":
            return items, pos + 1
        if s[pos] != ",":
            raise _malformed(text, "Unexpected array element.")
        pos += 1


def _check_rectangular(items: list[Any], text: str) -> None:
    """Sub-arrays all of one shape, and never mixed with scalars (array_in's rule)."""
    subs = [isinstance(i, list) for i in items]
    if not any(subs):
        return
    if not all(subs):
        raise _malformed(text, "Unexpected array element.")
    shape = _shape(items[0])
    for sub in items:
        if _shape(sub) != shape:
            raise _malformed(text, "Multidimensional arrays must have sub-arrays with matching "
                             "dimensions.")
        _check_rectangular(sub, text)


def _shape(items: Any) -> list[int]:
    dims = []
    while isinstance(items, list):
        dims.append(len(items))
        items = items[0] if items else None
    return dims


def _map_leaves(fn: Callable[[Any], Any], items: list[Any]) -> list[Any]:
    return [_map_leaves(fn, v) if isinstance(v, list) else fn(v) for v in items]


def quote_element(s: str) -> str:
    """array_out's quoting: blanks, punctuation, empty and "NULL" get double quotes."""
    if s and not _QUOTE_TRIGGERS.intersection(s) and s.lower() != "null":
        return s
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def array_codec(
    elem: Codec,
    elem_oid: int,
    to_json: ToJson = _identity,
    from_json: FromJson = _identity,
) -> Codec:
    """The codec of ``elem[]``; the array's typmod is its elements' (varchar(20)[] -> 24)."""
    e_in, e_out, e_recv, e_send, e_coerce = (
        elem.text_in,
        elem.text_out,
        elem.bin_in,
        elem.bin_out,
        elem.coerce,
    )

    def to_storage(values: list[Any]) -> str:
        return _dumps(_map_leaves(lambda v: None if v is None else to_json(v), values))

    def elements(value: Any) -> list[Any]:
        items = json.loads(value) if isinstance(value, str) else value
        if not isinstance(items, list):
            raise cannot_coerce(value, "array")
        return _map_leaves(lambda v: None if v is None else from_json(v), items)

    def text_in(text: str, typmod: int, tz: str) -> str:
        return to_storage(
            _map_leaves(lambda t: None if t is None else e_in(t, typmod, tz),
                        parse_array_literal(text))
        )

    def out(items: list[Any], typmod: int, tz: str) -> str:
        parts = [
            out(v, typmod, tz) if isinstance(v, list)
            else "NULL" if v is None else quote_element(e_out(v, typmod, tz))
            for v in items
        ]
        return "{" + ",".join(parts) + "}"

    def text_out(value: Any, typmod: int, tz: str) -> str:
        return out(elements(value), typmod, tz)

    def recv(data: bytes, typmod: int) -> str:
        if len(data) < 12:
            raise bad_binary()
        ndim, flags, oid = _HDR.unpack_from(data)
        if ndim < 0 or ndim > 6:
            raise InvalidBinaryRepresentation(f"invalid number of dimensions: {ndim}")
        if flags not in (0, 1):
            raise InvalidBinaryRepresentation("invalid array flags")
        if oid != elem_oid:
            raise DatatypeMismatch("wrong element type")
        if ndim == 0:
            return "[]"
        if ndim > 1:
            raise FeatureNotSupported("multidimensional arrays are not supported")
        if len(data) < 20:
            raise bad_binary()
        count, _lower = _DIM.unpack_from(data, 12)
        pos = 20
        out: list[Any] = []
        for _ in range(count):
            if pos + 4 > len(data):
                raise bad_binary()
            (size,) = _LEN.unpack_from(data, pos)
            pos += 4
            if size == -1:
                out.append(None)
                continue
            if size < 0 or pos + size > len(data):
                raise bad_binary()
            out.append(e_recv(data[pos : pos + size], typmod))
            pos += size
        if pos != len(data):
            raise bad_binary()
        return to_storage(out)

    def send(value: Any, typmod: int) -> bytes:
        items = elements(value)
        if items and isinstance(items[0], list):
            return send_dims(items, typmod)
        if not items:
            return _HDR.pack(0, 0, elem_oid)
        has_null = any(v is None for v in items)
        chunks = [_HDR.pack(1, int(has_null), elem_oid), _DIM.pack(len(items), 1)]
        for v in items:
            if v is None:
                chunks.append(b"\xff\xff\xff\xff")
            else:
                b = e_send(v, typmod)
                chunks.append(_LEN.pack(len(b)))
                chunks.append(b)
        return b"".join(chunks)

    def send_dims(items: list[Any], typmod: int) -> bytes:
        """array_send of a multi-dimensional array: its dimensions, then the elements in
        row-major order."""
        dims = _shape(items)
        flat: list[Any] = []

        def walk(level: list[Any]) -> None:
            for v in level:
                walk(v) if isinstance(v, list) else flat.append(v)

        walk(items)
        has_null = any(v is None for v in flat)
        chunks = [_HDR.pack(len(dims), int(has_null), elem_oid)]
        chunks += [_DIM.pack(d, 1) for d in dims]
        for v in flat:
            if v is None:
                chunks.append(b"\xff\xff\xff\xff")
            else:
                b = e_send(v, typmod)
                chunks.append(_LEN.pack(len(b)))
                chunks.append(b)
        return b"".join(chunks)

    def coerce(value: Any, typmod: int) -> str:
        if isinstance(value, str):
            if value[:1] != "[":
                return text_in(value, typmod, "UTC")
            try:
                items = elements(value)
            except ValueError:
                return text_in(value, typmod, "UTC")
        elif isinstance(value, list):
            items = _map_leaves(lambda v: None if v is None else from_json(v), value)
        else:
            raise cannot_coerce(value, "array")
        return to_storage(_map_leaves(lambda v: None if v is None else e_coerce(v, typmod), items))

    return Codec(text_in, text_out, recv, send, coerce)
