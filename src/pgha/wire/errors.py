"""The root of every error that can reach a PostgreSQL client.

Every error pgha reports to a client is a ``PgError`` carrying a SQLSTATE (see
https://www.postgresql.org/docs/15/errcodes-appendix.html) and the fields of an ErrorResponse
(https://www.postgresql.org/docs/15/protocol-error-fields.html). Code matches on ``sqlstate``,
never on message text. ``pgha.wire.sqlstate`` holds the named SQLSTATE constants.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field


class PgError(Exception):
    """An error with PostgreSQL's structure: severity, SQLSTATE, message and optional fields."""

    def __init__(
        self,
        sqlstate: str,
        message: str,
        *,
        severity: str = "ERROR",
        detail: str | None = None,
        hint: str | None = None,
        position: int | None = None,
        schema: str | None = None,
        table: str | None = None,
        column: str | None = None,
        datatype: str | None = None,
        constraint: str | None = None,
    ) -> None:
        super().__init__(message)
        self.sqlstate = sqlstate
        self.message = message
        self.severity = severity
        self.detail = detail
        self.hint = hint
        self.position = position
        self.schema = schema
        self.table = table
        self.column = column
        self.datatype = datatype
        self.constraint = constraint

    def fields(self) -> dict[str, str]:
        """ErrorResponse fields keyed by their one-letter protocol codes."""
        out = {"S": self.severity, "V": self.severity, "C": self.sqlstate, "M": self.message}
        optional = {
            "D": self.detail,
            "H": self.hint,
            "P": None if self.position is None else str(self.position),
            "s": self.schema,
            "t": self.table,
            "c": self.column,
            "d": self.datatype,
            "n": self.constraint,
        }
        out.update({k: v for k, v in optional.items() if v is not None})
        return out

    def __repr__(self) -> str:
        return f"PgError({self.sqlstate!r}, {self.message!r})"


def invalid_utf8(exc: UnicodeEncodeError) -> PgError:
    """22021 for text that held bytes that are not UTF-8 (decoded with surrogateescape, so
    each such byte is a lone surrogate U+DC80..U+DCFF)."""
    text = exc.object
    bad = [ord(ch) - 0xDC00 for ch in text[exc.start:exc.end] if 0xDC80 <= ord(ch) <= 0xDCFF]
    shown = " ".join(f"0x{byte:02x}" for byte in bad[:2]) or "?"
    return PgError("22021", f'invalid byte sequence for encoding "UTF8": {shown}')


class ProtocolViolation(PgError):
    """The peer broke the wire protocol (08P01); the connection cannot continue."""

    def __init__(self, message: str) -> None:
        super().__init__("08P01", message, severity="FATAL")


@dataclass(frozen=True, slots=True)
class Notice:
    """A NoticeResponse to send before the statement's result (e.g. 'table ... does not exist,
    skipping')."""

    sqlstate: str
    message: str
    severity: str = "NOTICE"
    extra: dict[str, str] = field(default_factory=dict)

    def fields(self) -> dict[str, str]:
        out = {"S": self.severity, "V": self.severity, "C": self.sqlstate, "M": self.message}
        out.update(self.extra)
        return out


def os_reason(exc: OSError) -> str:
    """The OS's own words for a failed socket call ("Address already in use"), without
    asyncio's wrapping of them."""
    if exc.errno is not None and exc.errno > 0:
        return os.strerror(exc.errno)
    return exc.strerror or str(exc)  # getaddrinfo: "Name or service not known"
