"""``to_char`` of dates and timestamps, with PostgreSQL's template patterns.

The template is read left to right as PostgreSQL's formatting.c does: at each position the
longest template pattern that matches (``HH24`` before ``HH``; upper, capitalised and lower
case variants of the names print the name in that case), optionally preceded by the ``FM``
(fill mode: no zero or blank padding) or ``TM``/``FX`` prefixes and followed by ``TH``/``th``
(an ordinal suffix); text in double quotes is copied, and ``\\"`` is a double quote; any other
character is copied as it is.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")
_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_ROMAN = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII")


def _hour12(m: datetime) -> int:
    return (m.hour % 12) or 12


def _cased(text: str, case: str) -> str:
    return text.upper() if case == "upper" else text.lower() if case == "lower" else text


# pattern -> (value, zero-padded width or 0); numbers
_NUMBERS: dict[str, tuple[Callable[[datetime], int], int]] = {
    "HH24": (lambda m: m.hour, 2),
    "HH12": (_hour12, 2),
    "HH": (_hour12, 2),
    "MI": (lambda m: m.minute, 2),
    "SSSSS": (lambda m: m.hour * 3600 + m.minute * 60 + m.second, 0),
    "SSSS": (lambda m: m.hour * 3600 + m.minute * 60 + m.second, 0),
    "SS": (lambda m: m.second, 2),
    "MS": (lambda m: m.microsecond // 1000, 3),
    "US": (lambda m: m.microsecond, 6),
    "YYYY": (lambda m: m.year, 4),
    "YYY": (lambda m: m.year % 1000, 3),
    "YY": (lambda m: m.year % 100, 2),
    "Y": (lambda m: m.year % 10, 1),
    "IYYY": (lambda m: m.isocalendar()[0], 4),
    "IYY": (lambda m: m.isocalendar()[0] % 1000, 3),
    "IY": (lambda m: m.isocalendar()[0] % 100, 2),
    "I": (lambda m: m.isocalendar()[0] % 10, 1),
    "MM": (lambda m: m.month, 2),
    "DDD": (lambda m: m.timetuple().tm_yday, 3),
    "IDDD": (lambda m: (m.isocalendar()[1] - 1) * 7 + m.isocalendar()[2], 3),
    "DD": (lambda m: m.day, 2),
    "D": (lambda m: m.isoweekday() % 7 + 1, 1),
    "ID": (lambda m: m.isoweekday(), 1),
    "W": (lambda m: (m.day - 1) // 7 + 1, 1),
    "WW": (lambda m: (m.timetuple().tm_yday - 1) // 7 + 1, 2),
    "IW": (lambda m: m.isocalendar()[1], 2),
    "CC": (lambda m: (m.year + 99) // 100, 2),
    "J": (lambda m: m.toordinal() + 1721425, 0),
    "Q": (lambda m: (m.month - 1) // 3 + 1, 1),
    **{f"FF{n}": ((lambda m, n=n: m.microsecond // 10 ** (6 - n)), n) for n in range(1, 7)},
}
_NAMES = ("MONTH", "MON", "DAY", "DY", "RM")  # names, in three cases
_MERIDIEM = ("A.M.", "P.M.", "AM", "PM")
_ERA = ("A.D.", "B.C.", "AD", "BC")
_ZONE = ("TZH", "TZM", "TZ", "OF")
_PATTERNS = sorted(
    [*_NUMBERS, *_NAMES, *_MERIDIEM, *_ERA, *_ZONE, "Y,YYY"], key=len, reverse=True)


def to_char(moment: datetime, template: str, zone: str = "", offset: int | None = None) -> str:
    """``moment`` (local time) printed with ``template``; ``zone`` is the abbreviation TZ
    prints and ``offset`` the UTC offset in seconds (None: a timestamp without time zone)."""
    out: list[str] = []
    i, n = 0, len(template)
    while i < n:
        fill = False
        while template.startswith(("FM", "fm", "TM", "tm", "FX", "fx"), i):
            fill = fill or template[i] in "Ff"
            i += 2
        found = _match(template, i)
        if found is None:
            char = template[i]
            if char == '"':
                end = i + 1
                while end < n and template[end] != '"':
                    if template[end] == "\\" and end + 1 < n:
                        end += 1
                    out.append(template[end])
                    end += 1
                i = end + 1
            elif char == "\\" and template.startswith('"', i + 1):
                out.append('"')  # (a backslash before anything else is itself)
                i += 2
            else:
                out.append(char)
                i += 1
            continue
        pattern, case, length = found
        i += length
        number: int | None = None
        if pattern in _NUMBERS:
            value, width = _NUMBERS[pattern]
            number = value(moment)
            # a negative number (an interval's) keeps its digits: "-02", as "%0*d" with
            # width + 1 in formatting.c
            width += number < 0 and width > 0
            out.append(str(number) if fill or not width else f"{number:0{width}d}")
        elif pattern == "Y,YYY":
            out.append(f"{moment.year // 1000},{moment.year % 1000:03d}")
        elif pattern in ("MONTH", "MON"):
            name = _MONTHS[moment.month - 1]
            out.append(_name(name if pattern == "MONTH" else name[:3], case, fill,
                             9 if pattern == "MONTH" else 0))
        elif pattern in ("DAY", "DY"):
            name = _DAYS[moment.weekday()]
            out.append(_name(name if pattern == "DAY" else name[:3], case, fill,
                             9 if pattern == "DAY" else 0))
        elif pattern == "RM":
            out.append(_name(_ROMAN[moment.month - 1], "upper" if case == "upper" else "lower",
                             fill, 4))
        elif pattern in _MERIDIEM:
            word = "PM" if moment.hour >= 12 else "AM"
            out.append(_cased(f"{word[0]}.{word[1]}." if "." in pattern else word, case))
        elif pattern in _ERA:
            word = "AD" if moment.year > 0 else "BC"
            out.append(_cased(f"{word[0]}.{word[1]}." if "." in pattern else word, case))
        elif pattern == "TZ":
            out.append(_cased(zone, case) if offset is not None else "")
        else:  # TZH, TZM, OF
            seconds = offset or 0
            sign = "-" if seconds < 0 else "+"
            hours, minutes = divmod(abs(seconds) // 60, 60)
            if pattern == "TZH":
                out.append(f"{sign}{hours:02d}")
            elif pattern == "TZM":
                out.append(f"{minutes:02d}")
            else:
                out.append(f"{sign}{hours:02d}" + (f":{minutes:02d}" if minutes else ""))
        if number is not None and template.startswith(("TH", "th"), i):
            out.append(_ordinal(number, upper=template[i] == "T"))
            i += 2
    return "".join(out)


def _match(template: str, i: int) -> tuple[str, str, int] | None:
    """The pattern at ``template[i:]``: (its upper-case name, the case it is written in,
    its length)."""
    for pattern in _PATTERNS:
        text = template[i:i + len(pattern)]
        if len(text) != len(pattern) or text.upper() != pattern:
            continue
        if text == pattern:
            case = "upper"
        elif text == pattern.lower():
            case = "lower"
        elif pattern in _NAMES and text == pattern.capitalize():
            case = "capital"
        else:
            continue  # e.g. "Mm": not a pattern (PostgreSQL knows three spellings of each)
        return pattern, case, len(pattern)
    return None


def _name(name: str, case: str, fill: bool, width: int) -> str:
    text = _cased(name, case)
    return text if fill or not width else text.ljust(width)


def _ordinal(number: int, upper: bool) -> str:
    if 11 <= number % 100 <= 13:
        suffix = "th"
    else:
        suffix = {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return suffix.upper() if upper else suffix
