"""Text and bytea functions of the core set: padding, repeat, split_part, concat, format(),
quoting, to_char of numbers, encode/decode, translate, md5. ``text_array`` registers later
and replaces some of these with PostgreSQL 15's exact behaviour.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import apsw

from pgha.storage.functions import text_array
from pgha.storage.functions.casts import _text
from pgha.storage.functions.context import FunctionContext, null_safe, registrar
from pgha.storage.functions.to_number import to_number
from pgha.wire.errors import (
    FeatureNotSupported,
    InvalidParameterValue,
    NullValueNotAllowed,
    PgError,
)


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
        return InvalidParameterValue(message, hint='For a single "%" use "%%".')

    def argument(index: int) -> Any:
        if index < 0:
            raise InvalidParameterValue("format specifies argument 0, but arguments are numbered "
                                        "from 1")
        if index >= len(args):
            raise InvalidParameterValue("too few arguments for format()")
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
                raise NullValueNotAllowed("null values cannot be formatted as an SQL identifier")
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
        raise InvalidParameterValue("field position must not be zero")
    parts = str(s).split(str(sep)) if sep else [str(s)]
    idx = n - 1 if n > 0 else len(parts) + n
    return parts[idx] if 0 <= idx < len(parts) else ""


def _quote_ident(s: Any) -> Any:
    return None if s is None else text_array.quote_ident(str(s))  # keywords are quoted too


def _quote_literal(s: Any) -> Any:
    # backslashes make an E'' string
    return None if s is None else text_array.quote_literal(_text(s))


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
            raise FeatureNotSupported(f'to_char number format "{token}" is not supported')
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
        raise FeatureNotSupported("to_char of NaN or infinity is not supported")
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
    raise InvalidParameterValue(f'unrecognized encoding: "{fmt}"')


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
    raise InvalidParameterValue(f'unrecognized encoding: "{fmt}"')


def _translate(s: Any, frm: Any, to: Any) -> Any:
    if s is None or frm is None or to is None:
        return None
    frm, to = str(frm), str(to)
    table = {ord(c): (to[i] if i < len(to) else None) for i, c in enumerate(frm)}
    return str(s).translate(table)


def _bytes(v: Any) -> bytes:
    return v if isinstance(v, bytes) else str(v).encode()


def register(conn: apsw.Connection, ctx: FunctionContext) -> None:
    """The text and bytea functions above."""
    f = registrar(conn)
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
    f("to_number", to_number, 2, True)
    f("chr", null_safe(lambda n: chr(int(n))), 1, True)
    f("ascii", null_safe(lambda s: ord(str(s)[0]) if s else 0), 1, True)
    f("octet_length", null_safe(lambda s: len(s if isinstance(s, bytes) else str(s).encode())), 1)
    f("translate", _translate, 3, True)
    f("quote_ident", _quote_ident, 1, True)
    f("quote_literal", _quote_literal, 1, True)
    f("encode", _encode, 2, True)
    f("decode", _decode, 2, True)
    f("pg_bytea_concat", null_safe(lambda a, b: _bytes(a) + _bytes(b)), 2, True)
