"""PostgreSQL v3 protocol messages: one frozen, slotted dataclass per message.

Names and fields follow https://www.postgresql.org/docs/15/protocol-message-formats.html.
Messages are plain values: they know nothing about bytes (``pgha.wire.codec`` encodes and
decodes them) or about connection state (``pgha.wire.connection``).

Invariants:

* Text fields are ``str``. The codec decodes them as UTF-8 with ``surrogateescape``, so bytes that
  are not UTF-8 survive a round trip as lone surrogates; a session that must reject them (22021)
  can check with ``str.encode("utf-8")``.
* Values (Bind parameters, DataRow columns, CopyData) are ``bytes``; SQL NULL is ``None``.
* OIDs are unsigned 32-bit integers.
* ``CopyData`` and ``CopyDone`` travel in both directions and are the same class.
* The frontend 'p' message is ambiguous: its meaning depends on the authentication method the
  server asked for. It is decoded as ``PasswordMessage`` (raw payload); ``parse_password``,
  ``parse_sasl_initial_response`` and ``parse_sasl_response`` interpret it in context.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import Literal

from pgha.wire.errors import Notice, PgError, ProtocolViolation

# Protocol version and the codes of the untyped first packets
# (https://www.postgresql.org/docs/15/protocol-message-formats.html).
PROTOCOL_3_0 = 196608  # StartupMessage: major 3 << 16 | minor 0
SSL_REQUEST_CODE = 80877103  # SSLRequest: 1234 << 16 | 5679
GSSENC_REQUEST_CODE = 80877104  # GSSENCRequest: 1234 << 16 | 5680
CANCEL_REQUEST_CODE = 80877102  # CancelRequest: 1234 << 16 | 5678

DescribeKind = Literal["S", "P"]
TransactionStatus = Literal["I", "T", "E"]


# --------------------------------------------------------------------------------------------
# Frontend (client -> server)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StartupMessage:
    """The first real packet: protocol version and (name, value) parameter pairs."""

    protocol: int = PROTOCOL_3_0
    params: tuple[tuple[str, str], ...] = ()

    @property
    def major(self) -> int:
        return self.protocol >> 16

    @property
    def minor(self) -> int:
        return self.protocol & 0xFFFF

    @property
    def parameters(self) -> dict[str, str]:
        """The parameters as a dict (a repeated name keeps its last value)."""
        return dict(self.params)


@dataclass(frozen=True, slots=True)
class SSLRequest:
    """Asks for TLS; answered with a single byte 'S' or 'N'."""


@dataclass(frozen=True, slots=True)
class GSSENCRequest:
    """Asks for GSSAPI encryption; answered with a single byte 'G' or 'N'."""


@dataclass(frozen=True, slots=True)
class CancelRequest:
    """Sent on a new connection to cancel the query running in backend ``pid``."""

    pid: int
    secret: int


@dataclass(frozen=True, slots=True)
class Query:
    """Simple query ('Q'): one or more statements separated by semicolons."""

    query: str


@dataclass(frozen=True, slots=True)
class Parse:
    """Extended protocol ('P'): prepare ``query`` as statement ``name`` ('' = unnamed)."""

    name: str
    query: str
    param_oids: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class Bind:
    """Extended protocol ('B'): bind parameters to ``statement``, creating ``portal``.

    Format-code arrays: 0 entries = all text, 1 entry = applies to all, N = one per item.
    """

    portal: str
    statement: str
    param_formats: tuple[int, ...] = ()
    params: tuple[bytes | None, ...] = ()
    result_formats: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class Describe:
    """Extended protocol ('D'): describe statement ('S') or portal ('P') ``name``."""

    kind: DescribeKind
    name: str


@dataclass(frozen=True, slots=True)
class Execute:
    """Extended protocol ('E'): run ``portal``; ``max_rows`` 0 means no limit."""

    portal: str
    max_rows: int = 0


@dataclass(frozen=True, slots=True)
class Close:
    """Extended protocol ('C'): close statement ('S') or portal ('P') ``name``."""

    kind: DescribeKind
    name: str


@dataclass(frozen=True, slots=True)
class Sync:
    """Extended protocol ('S'): end of an implicit transaction; the server answers with RFQ."""


@dataclass(frozen=True, slots=True)
class Flush:
    """Extended protocol ('H'): send whatever output is buffered."""


@dataclass(frozen=True, slots=True)
class Terminate:
    """'X': the client is closing the connection."""


@dataclass(frozen=True, slots=True)
class FunctionCall:
    """'F': the legacy fast-path function call interface."""

    function_oid: int
    arg_formats: tuple[int, ...] = ()
    args: tuple[bytes | None, ...] = ()
    result_format: int = 0


@dataclass(frozen=True, slots=True)
class CopyData:
    """'d' (both directions): a chunk of COPY data, not necessarily row-aligned."""

    data: bytes


@dataclass(frozen=True, slots=True)
class CopyDone:
    """'c' (both directions): the end of COPY data."""


@dataclass(frozen=True, slots=True)
class CopyFail:
    """'f': the client aborts COPY FROM STDIN with an error message."""

    message: str


@dataclass(frozen=True, slots=True)
class PasswordMessage:
    """'p': password, SASLInitialResponse or SASLResponse; ``payload`` is the raw body."""

    payload: bytes


@dataclass(frozen=True, slots=True)
class SASLInitialResponse:
    """The first 'p' of a SASL exchange: the chosen mechanism and its initial response."""

    mechanism: str
    data: bytes | None


@dataclass(frozen=True, slots=True)
class SASLResponse:
    """Later 'p' messages of a SASL exchange."""

    data: bytes


def password_message(password: str) -> PasswordMessage:
    """A cleartext or md5 PasswordMessage carrying ``password`` (client side)."""
    return PasswordMessage(password.encode("utf-8") + b"\x00")


def parse_password(message: PasswordMessage) -> str:
    """The NUL-terminated password of a cleartext or md5 PasswordMessage."""
    payload = message.payload
    if not payload.endswith(b"\x00") or b"\x00" in payload[:-1]:
        raise ProtocolViolation("invalid password packet")
    return payload[:-1].decode("utf-8", "surrogateescape")


def parse_sasl_initial_response(message: PasswordMessage) -> SASLInitialResponse:
    """Interpret a 'p' message as SASLInitialResponse (mechanism, int32 length, data)."""
    payload = message.payload
    end = payload.find(b"\x00")
    if end < 0 or len(payload) < end + 5:
        raise ProtocolViolation("invalid SASLInitialResponse message")
    mechanism = payload[:end].decode("utf-8", "surrogateescape")
    (length,) = struct.unpack_from("!i", payload, end + 1)
    rest = payload[end + 5 :]
    if length == -1 and not rest:
        return SASLInitialResponse(mechanism, None)
    if length != len(rest):
        raise ProtocolViolation("invalid SASLInitialResponse message")
    return SASLInitialResponse(mechanism, rest)


def parse_sasl_response(message: PasswordMessage) -> SASLResponse:
    """Interpret a 'p' message as SASLResponse (the whole payload is SASL data)."""
    return SASLResponse(message.payload)


# --------------------------------------------------------------------------------------------
# Backend (server -> client)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AuthenticationOk:
    """'R' code 0."""


@dataclass(frozen=True, slots=True)
class AuthenticationCleartextPassword:
    """'R' code 3."""


@dataclass(frozen=True, slots=True)
class AuthenticationMD5Password:
    """'R' code 5, with the 4-byte salt."""

    salt: bytes


@dataclass(frozen=True, slots=True)
class AuthenticationSASL:
    """'R' code 10, with the mechanisms the server offers."""

    mechanisms: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class AuthenticationSASLContinue:
    """'R' code 11: a SASL challenge."""

    data: bytes


@dataclass(frozen=True, slots=True)
class AuthenticationSASLFinal:
    """'R' code 12: SASL outcome data (SCRAM's server signature)."""

    data: bytes


@dataclass(frozen=True, slots=True)
class ParameterStatus:
    """'S': the current value of a reported run-time parameter."""

    name: str
    value: str


@dataclass(frozen=True, slots=True)
class BackendKeyData:
    """'K': the process id and secret key a client needs for CancelRequest."""

    pid: int
    secret: int


@dataclass(frozen=True, slots=True)
class ReadyForQuery:
    """'Z': ready for a new query; status 'I' idle, 'T' in transaction, 'E' failed transaction."""

    status: TransactionStatus


@dataclass(frozen=True, slots=True)
class FieldDescription:
    """One column of a RowDescription."""

    name: str
    table_oid: int = 0
    attnum: int = 0
    type_oid: int = 25
    typlen: int = -1
    typmod: int = -1
    format: int = 0


@dataclass(frozen=True, slots=True)
class RowDescription:
    """'T': the columns of the rows that follow."""

    fields: tuple[FieldDescription, ...]


@dataclass(frozen=True, slots=True)
class DataRow:
    """'D': one row; each value is the column's text or binary form, None for NULL."""

    values: tuple[bytes | None, ...]


@dataclass(frozen=True, slots=True)
class CommandComplete:
    """'C': a command finished; ``tag`` is e.g. 'SELECT 3', 'INSERT 0 1'."""

    tag: str


@dataclass(frozen=True, slots=True)
class EmptyQueryResponse:
    """'I': the query string was empty."""


def _notice_fields(error: PgError | Notice) -> dict[str, str]:
    return error.fields()


@dataclass(frozen=True, slots=True)
class ErrorResponse:
    """'E': an error; ``fields`` maps one-letter field codes ('S', 'V', 'C', 'M', ...) to values.

    See https://www.postgresql.org/docs/15/protocol-error-fields.html.
    """

    fields: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_error(cls, error: PgError | Notice) -> ErrorResponse:
        return cls(_notice_fields(error))

    @property
    def sqlstate(self) -> str:
        return self.fields.get("C", "")

    @property
    def severity(self) -> str:
        """The non-localized severity ('V'), falling back to 'S'."""
        return self.fields.get("V") or self.fields.get("S", "")

    @property
    def message(self) -> str:
        return self.fields.get("M", "")


@dataclass(frozen=True, slots=True)
class NoticeResponse:
    """'N': a notice or warning; same fields as ErrorResponse."""

    fields: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_notice(cls, notice: PgError | Notice) -> NoticeResponse:
        return cls(_notice_fields(notice))


@dataclass(frozen=True, slots=True)
class ParseComplete:
    """'1'."""


@dataclass(frozen=True, slots=True)
class BindComplete:
    """'2'."""


@dataclass(frozen=True, slots=True)
class CloseComplete:
    """'3'."""


@dataclass(frozen=True, slots=True)
class NoData:
    """'n': the statement or portal returns no rows."""


@dataclass(frozen=True, slots=True)
class ParameterDescription:
    """'t': the type OIDs of a prepared statement's parameters."""

    oids: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class PortalSuspended:
    """'s': Execute reached its row limit before the portal was exhausted."""


@dataclass(frozen=True, slots=True)
class CopyInResponse:
    """'G': the server is ready for COPY FROM STDIN data (format 0 text, 1 binary)."""

    format: int
    column_formats: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class CopyOutResponse:
    """'H': COPY TO STDOUT data follows."""

    format: int
    column_formats: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class CopyBothResponse:
    """'W': streaming replication's bidirectional copy."""

    format: int
    column_formats: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class NegotiateProtocolVersion:
    """'v': the newest minor version the server supports and the options it did not know."""

    newest_minor: int
    unrecognized: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class NotificationResponse:
    """'A': a NOTIFY delivered to a listening session."""

    pid: int
    channel: str
    payload: str


@dataclass(frozen=True, slots=True)
class FunctionCallResponse:
    """'V': the result of a FunctionCall (None for NULL)."""

    result: bytes | None


FrontendMessage = (
    StartupMessage
    | SSLRequest
    | GSSENCRequest
    | CancelRequest
    | Query
    | Parse
    | Bind
    | Describe
    | Execute
    | Close
    | Sync
    | Flush
    | Terminate
    | FunctionCall
    | CopyData
    | CopyDone
    | CopyFail
    | PasswordMessage
    | SASLInitialResponse
    | SASLResponse
)

BackendMessage = (
    AuthenticationOk
    | AuthenticationCleartextPassword
    | AuthenticationMD5Password
    | AuthenticationSASL
    | AuthenticationSASLContinue
    | AuthenticationSASLFinal
    | ParameterStatus
    | BackendKeyData
    | ReadyForQuery
    | RowDescription
    | DataRow
    | CommandComplete
    | EmptyQueryResponse
    | ErrorResponse
    | NoticeResponse
    | ParseComplete
    | BindComplete
    | CloseComplete
    | NoData
    | ParameterDescription
    | PortalSuspended
    | CopyInResponse
    | CopyOutResponse
    | CopyBothResponse
    | CopyData
    | CopyDone
    | NegotiateProtocolVersion
    | NotificationResponse
    | FunctionCallResponse
)

Message = FrontendMessage | BackendMessage

__all__ = [
    "CANCEL_REQUEST_CODE",
    "GSSENC_REQUEST_CODE",
    "PROTOCOL_3_0",
    "SSL_REQUEST_CODE",
    "AuthenticationCleartextPassword",
    "AuthenticationMD5Password",
    "AuthenticationOk",
    "AuthenticationSASL",
    "AuthenticationSASLContinue",
    "AuthenticationSASLFinal",
    "BackendKeyData",
    "BackendMessage",
    "Bind",
    "BindComplete",
    "CancelRequest",
    "Close",
    "CloseComplete",
    "CommandComplete",
    "CopyBothResponse",
    "CopyData",
    "CopyDone",
    "CopyFail",
    "CopyInResponse",
    "CopyOutResponse",
    "DataRow",
    "Describe",
    "DescribeKind",
    "EmptyQueryResponse",
    "ErrorResponse",
    "Execute",
    "FieldDescription",
    "Flush",
    "FrontendMessage",
    "FunctionCall",
    "FunctionCallResponse",
    "GSSENCRequest",
    "Message",
    "NegotiateProtocolVersion",
    "NoData",
    "NoticeResponse",
    "NotificationResponse",
    "ParameterDescription",
    "ParameterStatus",
    "Parse",
    "ParseComplete",
    "PasswordMessage",
    "PortalSuspended",
    "Query",
    "ReadyForQuery",
    "RowDescription",
    "SASLInitialResponse",
    "SASLResponse",
    "SSLRequest",
    "StartupMessage",
    "Sync",
    "Terminate",
    "TransactionStatus",
    "parse_password",
    "parse_sasl_initial_response",
    "parse_sasl_response",
    "password_message",
]
