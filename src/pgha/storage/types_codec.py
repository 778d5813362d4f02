"""The codec record shared by the ``types_*`` modules, and the errors they raise.

A ``Codec`` holds the five conversions of one PostgreSQL type between its storage value (what
apsw stores in SQLite: ``int``, ``float``, ``str``, ``bytes``) and the outside world: the text
input/output functions, the binary send/recv functions and ``coerce``, which brings any value
SQLite produced for an expression of the type to the storage representation. Every function is
pure; none accepts ``None`` (SQL NULL is the caller's business).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pgha.wire.errors import (
    CannotCoerce,
    InvalidBinaryRepresentation,
    InvalidTextRepresentation,
    PgError,
)

Storage = int | float | str | bytes
"""A storage value, as apsw stores and returns it."""

TextIn = Callable[[str, int, str], Any]
"""(text, typmod, session TimeZone) -> storage value: PostgreSQL's typinput."""
TextOut = Callable[[Any, int, str], str]
"""(storage value, typmod, session TimeZone) -> text: PostgreSQL's typoutput."""
BinIn = Callable[[bytes, int], Any]
"""(bytes, typmod) -> storage value: PostgreSQL's typreceive."""
BinOut = Callable[[Any, int], bytes]
"""(storage value, typmod) -> bytes: PostgreSQL's typsend."""
Coerce = Callable[[Any, int], Any]
"""(any value SQLite produced, typmod) -> storage value."""


@dataclass(frozen=True, slots=True)
class Codec:
    """The conversions of one type; see the module docstring."""

    text_in: TextIn
    text_out: TextOut
    bin_in: BinIn
    bin_out: BinOut
    coerce: Coerce


# SQLSTATEs used by the codecs (https://www.postgresql.org/docs/15/errcodes-appendix.html).
INVALID_TEXT_REPRESENTATION = "22P02"
NUMERIC_VALUE_OUT_OF_RANGE = "22003"
STRING_DATA_RIGHT_TRUNCATION = "22001"
INVALID_DATETIME_FORMAT = "22007"
DATETIME_FIELD_OVERFLOW = "22008"
INVALID_TIME_ZONE_DISPLACEMENT = "22009"
INTERVAL_FIELD_OVERFLOW = "22015"
INVALID_PARAMETER_VALUE = "22023"
INVALID_BINARY_REPRESENTATION = "22P03"
UNTRANSLATABLE_CHARACTER = "22P05"
FEATURE_NOT_SUPPORTED = "0A000"
DATATYPE_MISMATCH = "42804"
CANNOT_COERCE = "42846"


def invalid_syntax(type_name: str, text: str) -> PgError:
    """22P02 as the integer, float, bool, uuid, numeric input functions word it."""
    return InvalidTextRepresentation(
        f'invalid input syntax for type {type_name}: "{text}"'
    )


def bad_binary() -> PgError:
    """22P03, the error of every recv function fed the wrong number of bytes."""
    return InvalidBinaryRepresentation("incorrect binary data format")


def cannot_coerce(value: object, type_name: str) -> PgError:
    """42846 for a storage value of a class the type cannot hold (e.g. bytes for integer)."""
    return CannotCoerce(f"cannot cast type {type(value).__name__} to {type_name}")


def tdiv(a: int, b: int) -> int:
    """C integer division (truncates toward zero), which PostgreSQL's arithmetic relies on."""
    q = abs(a) // abs(b)
    return q if (a < 0) == (b < 0) else -q
