"""The session settings that steer routing, parsed in one place for the node and the proxy.

``pgha.route`` (auto | primary | standby), ``pgha.explain_route`` (a NOTICE per statement
saying where it ran and why), ``pgha.min_lsn`` (a causal token: reads wait until the standby
has applied it) and ``pgha.ryw_timeout`` (ms a standby read waits for freshness before it runs
on the primary instead). A node keeps them among its session settings; the proxy keeps them
itself and never sends them to a PostgreSQL server. ``normalize`` gives the stored form or the
error PostgreSQL gives for a bad value of a setting of that type.
"""

from __future__ import annotations

from pgha.wire.errors import InvalidParameterValue
from pgha.wire.lsn import parse_lsn

ROUTES = ("auto", "primary", "standby")

DEFAULTS: dict[str, str] = {
    "pgha.route": "auto",
    "pgha.explain_route": "off",
    "pgha.min_lsn": "0/0",
    "pgha.ryw_timeout": "2000",
}

_MAX_INT = 2**31 - 1


def is_routing_setting(name: str) -> bool:
    return name.lower() in DEFAULTS


def normalize(name: str, value: str) -> str:
    """The stored form of ``value`` for the routing setting ``name``; PgError if invalid."""
    name = name.lower()
    text = value.strip()
    if name == "pgha.route":
        if text.lower() not in ROUTES:
            raise InvalidParameterValue(f'invalid value for parameter "{name}": "{value}"',
                                        hint="Available values: " + ", ".join(ROUTES) + ".")
        return text.lower()
    if name == "pgha.explain_route":
        return parse_bool(name, text)
    if name == "pgha.min_lsn":
        parse_lsn(text)  # 22P02 on a malformed LSN
        return text.upper()
    if name == "pgha.ryw_timeout":
        return str(parse_milliseconds(name, text, 0, _MAX_INT))
    raise KeyError(name)


def parse_bool(name: str, value: str) -> str:
    """PostgreSQL's boolean setting input, as "on" or "off"."""
    v = value.strip().lower()
    if v in ("on", "true", "yes", "1", "t", "y"):
        return "on"
    if v in ("off", "false", "no", "0", "f", "n"):
        return "off"
    raise InvalidParameterValue(f'parameter "{name}" requires a Boolean value')


_UNITS = {"ms": 1, "s": 1000, "min": 60_000, "h": 3_600_000, "d": 86_400_000}


def parse_milliseconds(name: str, value: str, lo: int, hi: int, units: bool = True) -> int:
    """An integer setting in milliseconds, with PostgreSQL's time units (``2s``, ``500ms``)
    unless ``units`` is false."""
    text = value.strip()
    number, unit = text, ""
    for suffix in sorted(_UNITS, key=len, reverse=True) if units else ():
        if text.endswith(suffix):
            number, unit = text[: -len(suffix)].strip(), suffix
            break
    try:
        n = int(number) * _UNITS.get(unit, 1)
    except ValueError as exc:
        raise InvalidParameterValue(f'invalid value for parameter "{name}": "{value}"') from exc
    if not lo <= n <= hi:
        raise InvalidParameterValue(f'{n} is outside the valid range for parameter "{name}" '
                                    f"({lo} .. {hi})")
    return n
