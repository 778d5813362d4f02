"""Log sequence numbers in PostgreSQL's text form.

An LSN is a byte position in the WAL stream, an unsigned 64-bit integer. PostgreSQL shows it as
two hexadecimal halves, high and low 32 bits, separated by a slash (``0/16B3748``); see
https://www.postgresql.org/docs/15/datatype-pg-lsn.html. ``format_lsn`` and ``parse_lsn`` are
inverses on every valid LSN, and ``parse_lsn`` accepts exactly what PostgreSQL's ``pg_lsn`` input
function accepts, so LSNs pgha reports can be pasted into PostgreSQL tools and back.
"""

from __future__ import annotations

import re
from typing import Final

from pgha.wire.errors import InvalidTextRepresentation

# 0 is PostgreSQL's InvalidXLogRecPtr: "no position". pgha's WAL never starts there.
INVALID_LSN: Final = 0
MAX_LSN: Final = 0xFFFF_FFFF_FFFF_FFFF

# pg_lsn_in_internal (src/backend/utils/adt/pg_lsn.c): 1 to 8 hex digits, '/', 1 to 8 hex
# digits, nothing else (no sign, no whitespace, no 0x prefix).
_LSN_TEXT: Final = re.compile(r"([0-9A-Fa-f]{1,8})/([0-9A-Fa-f]{1,8})")


def format_lsn(lsn: int) -> str:
    """Show ``lsn`` as PostgreSQL does: ``0x16B3748`` -> ``"0/16B3748"``."""
    if not 0 <= lsn <= MAX_LSN:
        raise ValueError(f"LSN out of range: {lsn}")
    return f"{lsn >> 32:X}/{lsn & 0xFFFFFFFF:X}"


def parse_lsn(text: str) -> int:
    """Parse PostgreSQL's text form of an LSN; raise 22P02 as ``pg_lsn`` input does."""
    match = _LSN_TEXT.fullmatch(text)
    if match is None:
        raise InvalidTextRepresentation(
            f'invalid input syntax for type pg_lsn: "{text}"'
        )
    high, low = match.groups()
    return (int(high, 16) << 32) | int(low, 16)
