"""Codecs of the character types, bytea, uuid, json and jsonb.

Storage: text/varchar/bpchar/name/"char" are str (bpchar(n) blank-padded to n, name cut to
63 bytes); bytea is bytes; uuid is the lower-case hyphenated str; json is the input text
verbatim (validated); jsonb is the text PostgreSQL prints for it (keys sorted by length then
bytes, last duplicate wins, numbers in numeric's output form), so it prints as stored.
Behaviour follows PostgreSQL 15's varchar.c, name.c, char.c, varlena.c (byteain/byteaout),
uuid.c, json.c and jsonb.c.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

from pgha.storage.types_codec import Codec, bad_binary, cannot_coerce, invalid_syntax
from pgha.storage.types_number import float8_out, numeric_text
from pgha.wire.errors import (
    CharacterNotInRepertoire,
    InvalidBinaryRepresentation,
    InvalidParameterValue,
    InvalidTextRepresentation,
    PgError,
    StringDataRightTruncation,
    UntranslatableCharacter,
)

NAMEDATALEN = 64


def _decode_utf8(data: bytes) -> str:
    """pq_getmsgtext's encoding check: valid UTF-8 without NUL bytes."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        bad = data[exc.start : exc.start + 1].hex()
        raise CharacterNotInRepertoire(
            f'invalid byte sequence for encoding "UTF8": 0x{bad}'
        ) from None
    if "\x00" in text:
        raise CharacterNotInRepertoire('invalid byte sequence for encoding "UTF8": 0x00')
    return text


def _to_text(value: Any) -> str:
    """What a text-typed expression of SQLite's yields as a PostgreSQL string."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool | int):
        return str(int(value))
    if isinstance(value, float):
        return float8_out(value)
    if isinstance(value, bytes):
        return _decode_utf8(value)
    raise cannot_coerce(value, "text")


# --------------------------------------------------------------------- character types


def _limit(text: str, typmod: int, sql_name: str, pad: bool) -> str:
    """varchar_input/bpchar_input: longer than n is 22001 unless the excess is blanks."""
    if typmod < 4:
        return text
    n = typmod - 4
    if len(text) > n:
        if text[n:].strip(" "):
            raise StringDataRightTruncation(f"value too long for type {sql_name}({n})")
        return text[:n]
    return text.ljust(n) if pad else text


def _text_in(text: str, typmod: int, tz: str) -> str:
    return text


def _text_out(value: Any, typmod: int, tz: str) -> str:
    return value if value.__class__ is str else _to_text(value)


def _text_recv(data: bytes, typmod: int) -> str:
    return _decode_utf8(data)


def _text_send(value: Any, typmod: int) -> bytes:
    return (value if value.__class__ is str else _to_text(value)).encode("utf-8")


def _text_coerce(value: Any, typmod: int) -> str:
    return _to_text(value)


TEXT = Codec(_text_in, _text_out, _text_recv, _text_send, _text_coerce)


def _varchar_in(text: str, typmod: int, tz: str) -> str:
    return _limit(text, typmod, "character varying", False)


def _varchar_recv(data: bytes, typmod: int) -> str:
    return _limit(_decode_utf8(data), typmod, "character varying", False)


def _varchar_coerce(value: Any, typmod: int) -> str:
    return _limit(_to_text(value), typmod, "character varying", False)


VARCHAR = Codec(_varchar_in, _text_out, _varchar_recv, _text_send, _varchar_coerce)


def _bpchar_in(text: str, typmod: int, tz: str) -> str:
    return _limit(text, typmod, "character", True)


def _bpchar_recv(data: bytes, typmod: int) -> str:
    return _limit(_decode_utf8(data), typmod, "character", True)


def _bpchar_coerce(value: Any, typmod: int) -> str:
    return _limit(_to_text(value), typmod, "character", True)


BPCHAR = Codec(_bpchar_in, _text_out, _bpchar_recv, _text_send, _bpchar_coerce)


def _name_in(text: str, typmod: int, tz: str) -> str:
    # namein: cut to NAMEDATALEN-1 bytes without splitting a character.
    raw = text.encode("utf-8")
    if len(raw) < NAMEDATALEN:
        return text
    return raw[: NAMEDATALEN - 1].decode("utf-8", errors="ignore")


def _name_recv(data: bytes, typmod: int) -> str:
    return _name_in(_decode_utf8(data), typmod, "")


def _name_coerce(value: Any, typmod: int) -> str:
    return _name_in(_to_text(value), typmod, "")


NAME = Codec(_name_in, _text_out, _name_recv, _text_send, _name_coerce)

_OCTAL_CHAR = re.compile(r"\\[0-3][0-7][0-7]\Z")


def _char_in(text: str, typmod: int, tz: str) -> str:
    # charin: '\ooo' is one byte given in octal, anything else its first character.
    if _OCTAL_CHAR.match(text):
        return chr(int(text[1:], 8))
    return text[:1]


def _char_out(value: Any, typmod: int, tz: str) -> str:
    # charout prints bytes >= 128 as '\ooo'.
    if value and ord(value[0]) > 127:
        return f"\\{ord(value[0]) & 0xFF:03o}"
    return str(value)


def _char_recv(data: bytes, typmod: int) -> str:
    # char_send always sends one byte; the empty "char" is the NUL byte.
    if len(data) > 1:
        raise bad_binary()
    return chr(data[0]) if data and data[0] else ""


def _char_send(value: Any, typmod: int) -> bytes:
    return bytes([ord(value[0]) & 0xFF]) if value else b"\x00"


def _char_coerce(value: Any, typmod: int) -> str:
    return _char_in(_to_text(value), typmod, "")


CHAR = Codec(_char_in, _char_out, _char_recv, _char_send, _char_coerce)

# --------------------------------------------------------------------------------- bytea

_HEX = frozenset("0123456789abcdefABCDEF")


def bytea_in(text: str, typmod: int = -1, tz: str = "UTC") -> bytes:
    """byteain: hex format ``\\x0102`` (blanks between bytes allowed) or escape format."""
    if text[:2] == "\\x":
        hexpart = text[2:]
        out = bytearray()
        i, n = 0, len(hexpart)
        while i < n:
            c = hexpart[i]
            if c in " \t\n\r":
                i += 1
                continue
            if c not in _HEX:
                raise InvalidParameterValue(f'invalid hexadecimal digit: "{c}"')
            if i + 1 >= n:
                raise InvalidParameterValue(
                    "invalid hexadecimal data: odd number of digits"
                )
            d = hexpart[i + 1]
            if d not in _HEX:
                raise InvalidParameterValue(f'invalid hexadecimal digit: "{d}"')
            out.append(int(c + d, 16))
            i += 2
        return bytes(out)
    if "\\" not in text:
        return text.encode("utf-8")
    out = bytearray()
    raw = text.encode("utf-8")
    i, n = 0, len(raw)
    while i < n:
        b = raw[i]
        if b != 0x5C:
            out.append(b)
            i += 1
        elif raw[i + 1 : i + 2] == b"\\":
            out.append(0x5C)
            i += 2
        elif (
            i + 3 < n
            and 0x30 <= raw[i + 1] <= 0x33
            and 0x30 <= raw[i + 2] <= 0x37
            and 0x30 <= raw[i + 3] <= 0x37
        ):
            out.append(int(raw[i + 1 : i + 4], 8))
            i += 4
        else:
            raise InvalidTextRepresentation("invalid input syntax for type bytea")
    return bytes(out)


def bytea_out(value: Any, typmod: int = -1, tz: str = "UTC") -> str:
    """byteaout with bytea_output = hex."""
    data: bytes = value if value.__class__ is bytes else _bytea_coerce(value, typmod)
    return "\\x" + data.hex()


def _bytea_recv(data: bytes, typmod: int) -> bytes:
    return bytes(data)


def _bytea_send(value: Any, typmod: int) -> bytes:
    return value if value.__class__ is bytes else _bytea_coerce(value, typmod)


def _bytea_coerce(value: Any, typmod: int) -> bytes:
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    return bytea_in(_to_text(value))


BYTEA = Codec(bytea_in, bytea_out, _bytea_recv, _bytea_send, _bytea_coerce)

# ---------------------------------------------------------------------------------- uuid


def _uuid_in(text: str, typmod: int, tz: str) -> str:
    # string_to_uuid: optional braces, 32 hex digits, a '-' allowed after any 4 of them.
    src = text
    pos = 0
    braces = src[:1] == "{"
    if braces:
        pos = 1
    digits: list[str] = []
    for i in range(16):
        pair = src[pos : pos + 2]
        if len(pair) != 2 or pair[0] not in _HEX or pair[1] not in _HEX:
            raise invalid_syntax("uuid", text)
        digits.append(pair)
        pos += 2
        if src[pos : pos + 1] == "-" and i % 2 == 1 and i < 15:
            pos += 1
    if braces:
        if src[pos : pos + 1] != "}":
            raise invalid_syntax("uuid", text)
        pos += 1
    if pos != len(src):
        raise invalid_syntax("uuid", text)
    h = "".join(digits).lower()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _uuid_recv(data: bytes, typmod: int) -> str:
    if len(data) != 16:
        raise bad_binary()
    h = data.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _uuid_send(value: Any, typmod: int) -> bytes:
    try:
        return bytes.fromhex(value.replace("-", ""))
    except (ValueError, AttributeError):
        return bytes.fromhex(_uuid_coerce(value, typmod).replace("-", ""))


def _uuid_coerce(value: Any, typmod: int) -> str:
    if isinstance(value, bytes) and len(value) == 16:
        return _uuid_recv(value, typmod)
    if isinstance(value, str):
        return _uuid_in(value, typmod, "")
    raise cannot_coerce(value, "uuid")


UUID = Codec(_uuid_in, _text_out, _uuid_recv, _uuid_send, _uuid_coerce)

# ---------------------------------------------------------------------------- json/jsonb


class _JsonNumber(str):
    """A number of a jsonb document, already in numeric's output form."""

    __slots__ = ()


_JSON_TOKEN = re.compile(r"[A-Za-z0-9_+\-.]+|.", re.DOTALL)


def _json_error(text: str = "", exc: ValueError | None = None) -> PgError:
    """22P02 with the DETAIL json_lex would give (reconstructed from Python's parser)."""
    detail = None
    if isinstance(exc, json.JSONDecodeError):
        rest = text[exc.pos :]
        if exc.msg.startswith("Invalid control character"):
            detail = f"Character with value 0x{ord(text[exc.pos]):02x} must be escaped."
        elif not rest.strip(" \t\n\r"):
            detail = "The input string ended unexpectedly."
        else:
            token = _JSON_TOKEN.match(rest.lstrip(" \t\n\r"))
            if token is not None:
                detail = f'Token "{token.group(0)}" is invalid.'
    return InvalidTextRepresentation("invalid input syntax for type json", detail=detail)


class _NonJsonConstant(ValueError):
    """NaN/Infinity, which Python's parser accepts and JSON does not."""


def _reject_constant(name: str) -> Any:
    raise _NonJsonConstant(name)


_json_validator = json.JSONDecoder(parse_float=str, parse_int=str, parse_constant=_reject_constant)
_jsonb_decoder = json.JSONDecoder(
    parse_float=lambda s: _JsonNumber(numeric_text(Decimal(s))),
    parse_int=lambda s: _JsonNumber(numeric_text(Decimal(s))),
    parse_constant=_reject_constant,
    object_pairs_hook=dict,
)
_encode_string = json.encoder.py_encode_basestring  # escape_json: ", \, and < 0x20 only


def _json_in(text: str, typmod: int, tz: str) -> str:
    try:
        _json_validator.decode(text)
    except _NonJsonConstant as exc:
        raise InvalidTextRepresentation(
                                        "invalid input syntax for type json",
                                        detail=f'Token "{exc.args[0]}" is invalid.',
        ) from None
    except ValueError as exc:
        raise _json_error(text, exc) from None
    except RecursionError:
        raise _json_error() from None
    return text


def _jsonb_key(key: str) -> tuple[int, bytes]:
    raw = key.encode("utf-8")
    return len(raw), raw


def _jsonb_string(s: str) -> str:
    if "\x00" in s:
        raise UntranslatableCharacter(
                                      "unsupported Unicode escape sequence",
                                      detail="\\u0000 cannot be converted to text.",
        )
    return _encode_string(s)


def _jsonb_render(node: Any) -> str:
    """JsonbToCString: ', ' and ': ' separators, keys in jsonb's storage order."""
    if isinstance(node, _JsonNumber):
        return str(node)
    if isinstance(node, str):
        return _jsonb_string(node)
    if isinstance(node, dict):
        items = sorted(node.items(), key=lambda kv: _jsonb_key(kv[0]))
        body = ", ".join(f"{_jsonb_string(k)}: {_jsonb_render(v)}" for k, v in items)
        return "{" + body + "}"
    if isinstance(node, list):
        return "[" + ", ".join(_jsonb_render(v) for v in node) + "]"
    if node is True:
        return "true"
    if node is False:
        return "false"
    return "null"


def jsonb_in(text: str, typmod: int = -1, tz: str = "UTC") -> str:
    """jsonb_in followed by jsonb_out: the normalised text."""
    try:
        doc = _jsonb_decoder.decode(text)
    except _NonJsonConstant:
        _json_in(text, typmod, tz)  # raises with json's DETAIL
        raise
    except ValueError as exc:
        raise _json_error(text, exc) from None
    except RecursionError:
        raise _json_error() from None
    return _jsonb_render(doc)


def _json_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return float8_out(value)
    return _to_text(value)


def _json_recv(data: bytes, typmod: int) -> str:
    return _json_in(_decode_utf8(data), typmod, "")


def _json_coerce(value: Any, typmod: int) -> str:
    return _json_in(_json_text(value), typmod, "")


def _jsonb_recv(data: bytes, typmod: int) -> str:
    if not data or data[0] != 1:
        raise InvalidBinaryRepresentation(
            f"unsupported jsonb version number {data[0] if data else 0}",
        )
    return jsonb_in(_decode_utf8(data[1:]))


def _jsonb_send(value: Any, typmod: int) -> bytes:
    return b"\x01" + _text_send(value, typmod)


def _jsonb_coerce(value: Any, typmod: int) -> str:
    return jsonb_in(_json_text(value))


JSON = Codec(_json_in, _text_out, _json_recv, _text_send, _json_coerce)
JSONB = Codec(jsonb_in, _text_out, _jsonb_recv, _jsonb_send, _jsonb_coerce)
