"""to_number(text, text): a number read from text by a format, as PostgreSQL 15 reads it.

PostgreSQL's reader (formatting.c, NUM_processor in its "from char" direction) walks the format
and the input together, one format item at a time, and is lenient: a digit position that meets
a non-digit reads nothing, a group separator is skipped only where the input has one, each
other character of the format skips one input character whatever it is, and signs are taken
from several places (before the digits, after them, in angle brackets for PR). This module
follows that walk step by step so that odd inputs give PostgreSQL's answers, not only tidy
ones: ``to_number('  123', '999')`` is 12 there too. The digits read become a numeric with the
format's precision, and as many decimals as were read.

Refused as PostgreSQL 15 refuses them: ``EEEE`` and ``RN`` (0A000, not supported for input).
``V`` (a power-of-ten shift) is refused with 0A000 by pgha.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from pgha.storage.types_number import numeric_text
from pgha.wire.errors import (
    FeatureNotSupported,
    InvalidTextRepresentation,
    NumericValueOutOfRange,
    SqlSyntaxError,
)

# The number format's keywords, longest first where one is the prefix of another.
_KEYWORDS = ("EEEE", "FM", "MI", "PL", "PR", "RN", "SG", "SP", "TH", ",", ".", "0", "9", "B",
             "C", "D", "G", "L", "S", "V")
_DATA_CHARS = "0123456789.,+-"


@dataclass(slots=True)
class _Format:
    items: list[str]  # keywords, or ("'" + one literal character)
    pre: int = 0  # digit positions before the decimal point
    post: int = 0  # and after it
    decimal: bool = False
    fill: bool = False
    lsign: str = ""  # S: "pre" (before the digits) or "post"
    bracket: bool = False  # PR
    plus: bool = False  # PL or SG
    minus: bool = False  # MI or SG


def _parse_format(fmt: str) -> _Format:
    items: list[str] = []
    i = 0
    upper = fmt.upper()
    while i < len(fmt):
        if fmt[i] == '"':  # quoted text: each character skips one input character
            j = i + 1
            while j < len(fmt) and fmt[j] != '"':
                if fmt[j] == "\\" and j + 1 < len(fmt):
                    j += 1
                items.append("'" + fmt[j])
                j += 1
            i = j + 1
            continue
        if fmt[i] == "\\" and i + 1 < len(fmt) and fmt[i + 1] == '"':
            items.append("'\"")
            i += 2
            continue
        for key in _KEYWORDS:
            # keywords match in upper or lower case, not mixed (PostgreSQL lists both forms)
            if upper.startswith(key, i) and fmt[i:i + len(key)] in (key, key.lower()):
                items.append(key)
                i += len(key)
                break
        else:
            items.append("'" + fmt[i])
            i += 1
    f = _Format(items)
    for key in items:
        _prepare(f, key)
    return f


def _prepare(f: _Format, key: str) -> None:
    """What each keyword adds to the format's description, and the combinations PostgreSQL
    rejects (42601)."""
    if key in ("9", "0"):
        if f.bracket:
            raise SqlSyntaxError(f'"{key}" must be ahead of "PR"')
        if f.decimal:
            f.post += 1
        else:
            f.pre += 1
    elif key in (".", "D"):
        if f.decimal:
            raise SqlSyntaxError("multiple decimal points")
        f.decimal = True
    elif key == "FM":
        f.fill = True
    elif key == "S":
        if f.lsign:
            raise SqlSyntaxError('cannot use "S" twice')
        if f.plus or f.minus or f.bracket:
            raise SqlSyntaxError('cannot use "S" and "PL"/"MI"/"SG"/"PR" together')
        f.lsign = "post" if f.decimal else "pre"
    elif key in ("MI", "PL", "SG"):
        if f.lsign:
            raise SqlSyntaxError(f'cannot use "S" and "{key}" together')
        f.minus = f.minus or key in ("MI", "SG")
        f.plus = f.plus or key in ("PL", "SG")
    elif key == "PR":
        if f.lsign or f.plus or f.minus:
            raise SqlSyntaxError('cannot use "PR" and "S"/"PL"/"MI"/"SG" together')
        f.bracket = True
    elif key == "EEEE":
        raise FeatureNotSupported('"EEEE" not supported for input')
    elif key == "RN":
        raise FeatureNotSupported('"RN" not supported for input')
    elif key == "V":
        raise FeatureNotSupported('to_number format "V" is not supported')


class _Reader:
    """The walk: ``text`` read from ``pos`` into ``sign`` and ``digits``."""

    def __init__(self, f: _Format, text: str) -> None:
        self.f = f
        self.text = text
        self.pos = 0
        self.sign = " "
        self.digits: list[str] = []
        self.read_pre = 0
        self.read_post = 0
        self.read_dec = False

    def at_end(self) -> bool:
        return self.pos >= len(self.text)

    def char(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def number_part(self, key: str) -> None:
        """A digit position or the decimal point (PostgreSQL's NUM_numpart_from_char)."""
        if self.at_end():
            return
        if self.char() == " ":
            self.pos += 1
            if self.at_end():
                return
        f = self.f
        if self.sign == " " and key in ("9", "0") and self.read_pre + self.read_post == 0:
            c = self.char()
            if c == "-" or (f.bracket and c == "<"):
                self.sign = "-"
                self.pos += 1
            elif c == "+":
                self.sign = "+"
                self.pos += 1
        if self.at_end():
            return
        read = False
        c = self.char()
        if c.isascii() and c.isdigit():
            if self.read_dec and self.read_post == f.post:
                return
            self.digits.append(c)
            if self.read_dec:
                self.read_post += 1
            else:
                self.read_pre += 1
            read = True
        elif f.decimal and not self.read_dec and c == ".":
            self.digits.append(".")
            self.read_dec = True
            read = True
        if self.at_end():
            return
        if self.sign == " " and self.read_pre + self.read_post > 0:
            if f.lsign and read:
                following = self.text[self.pos + 1:self.pos + 2]
                if following in ("-", "+"):  # a sign right behind the last digit read
                    self.sign = following
                    self.pos += 1  # the loop's step moves past the sign
            elif not read and not f.lsign and (f.plus or f.minus) and self.char() in "-+":
                self.sign = self.char()

    def skip_non_data(self, count: int) -> None:
        while count > 0 and not self.at_end() and self.char() not in _DATA_CHARS:
            self.pos += 1
            count -= 1

    def step(self, key: str) -> None:
        """One format item; the input moves one character on after it unless it says not."""
        f = self.f
        if key.startswith("'"):
            self.pos += 1  # a literal of the format skips one input character, any
            return
        if key in ("9", "0", ".", "D"):
            self.number_part(key)
        elif key in (",", "G"):
            # (PostgreSQL's num_in is never set while reading, so FM skips every separator)
            if f.fill or self.char() != ",":
                return
        elif key == "L":
            self.skip_non_data(1)  # the currency symbol of the C locale is one blank
            return
        elif key == "TH":
            self.skip_non_data(2)
            return
        elif key in ("MI", "PL", "SG"):
            c = self.char()
            if c == "-" and key in ("MI", "SG"):
                self.sign = "-"
            elif c == "+" and key in ("PL", "SG"):
                self.sign = "+"
            else:
                self.skip_non_data(1)
                return
        else:  # FM, B, C, S, PR, SP: nothing to read here
            return
        self.pos += 1


def to_number(text: Any, fmt: Any) -> Any:
    if text is None or fmt is None:
        return None
    fmt = str(fmt)
    if not fmt:
        return None
    f = _parse_format(fmt)
    reader = _Reader(f, str(text))
    for key in f.items:
        if reader.at_end():
            break
        reader.step(key)
    digits = reader.digits
    if digits and digits[-1] == ".":
        digits.pop()
    number = reader.sign + "".join(digits)
    try:
        value = Decimal(number.strip() or "x")
    except InvalidOperation:
        raise InvalidTextRepresentation(
            f'invalid input syntax for type numeric: "{number}"') from None
    scale = reader.read_post
    if value.adjusted() >= f.pre and value != 0:
        raise NumericValueOutOfRange(
            "numeric field overflow",
            detail=f"A field with precision {f.pre + scale}, scale {scale} must round to an "
                   f"absolute value less than 10^{f.pre}.")
    return numeric_text(value.quantize(Decimal(1).scaleb(-scale)))
