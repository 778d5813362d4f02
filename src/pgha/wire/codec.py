"""Framing, encoding and decoding of PostgreSQL v3 messages, in both directions.

* ``encode(message) -> bytes`` encodes any message (frontend or backend; the classes are
  distinct, and CopyData/CopyDone are encoded the same way both ways).
* ``FrontendDecoder`` (server side) and ``BackendDecoder`` (client side, for the proxy and the
  tests) are fed arbitrary chunks with ``feed(data)``; ``next_message()`` returns the next
  complete message or None when more bytes are needed.
* Hot-path helpers: ``encode_data_row``, ``encode_data_rows``, ``encode_command_complete`` and
  pre-encoded constants (``PARSE_COMPLETE``, ``READY_FOR_QUERY_IDLE``, ...).

Invariants:

* The first packets a client sends are untyped (int32 length, int32 code); ``FrontendDecoder``
  starts in that mode, stays in it after SSLRequest/GSSENCRequest (the client then sends
  another untyped packet) and leaves it after a StartupMessage.
* A message longer than ``max_message_size`` is rejected as soon as its header is seen, before
  its body is buffered. Startup packets are limited to 10000 bytes, as in PostgreSQL.
* Malformed input (bad length, unknown type byte, truncated field, missing NUL, trailing bytes)
  raises ``ProtocolViolation`` (08P01); the decoder then stays failed and raises it again.
* The buffer is a ``bytearray`` consumed from the front (CPython makes that O(1) amortized);
  each message body is copied out exactly once.

Message formats: https://www.postgresql.org/docs/15/protocol-message-formats.html.
"""

from __future__ import annotations

import functools
import struct
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, Final, Generic, TypeVar, cast

from pgha.wire.errors import ProtocolViolation
from pgha.wire.messages import (
    CANCEL_REQUEST_CODE,
    GSSENC_REQUEST_CODE,
    SSL_REQUEST_CODE,
    AuthenticationCleartextPassword,
    AuthenticationMD5Password,
    AuthenticationOk,
    AuthenticationSASL,
    AuthenticationSASLContinue,
    AuthenticationSASLFinal,
    BackendKeyData,
    BackendMessage,
    Bind,
    BindComplete,
    CancelRequest,
    Close,
    CloseComplete,
    CommandComplete,
    CopyBothResponse,
    CopyData,
    CopyDone,
    CopyFail,
    CopyInResponse,
    CopyOutResponse,
    DataRow,
    Describe,
    DescribeKind,
    EmptyQueryResponse,
    ErrorResponse,
    Execute,
    FieldDescription,
    Flush,
    FrontendMessage,
    FunctionCall,
    FunctionCallResponse,
    GSSENCRequest,
    Message,
    NegotiateProtocolVersion,
    NoData,
    NoticeResponse,
    NotificationResponse,
    ParameterDescription,
    ParameterStatus,
    Parse,
    ParseComplete,
    PasswordMessage,
    PortalSuspended,
    Query,
    ReadyForQuery,
    RowDescription,
    SASLInitialResponse,
    SASLResponse,
    SSLRequest,
    StartupMessage,
    Sync,
    Terminate,
)

DEFAULT_MAX_MESSAGE_SIZE: Final = 64 * 1024 * 1024
"""Default limit on one message's length (PostgreSQL allows 1 GiB; 64 MiB bounds the memory a
single client can pin while still fitting large COPY chunks and bytea parameters)."""

MAX_STARTUP_PACKET_SIZE: Final = 10000  # MAX_STARTUP_PACKET_LENGTH in PostgreSQL's pqcomm.h

_I16 = struct.Struct("!h")
_U16 = struct.Struct("!H")
_I32 = struct.Struct("!i")
_U32 = struct.Struct("!I")
_HEADER = struct.Struct("!ci")  # type byte, int32 length (includes itself)
_DATA_ROW_HEADER = struct.Struct("!ciH")
_NULL = b"\xff\xff\xff\xff"  # int32 -1: NULL value in DataRow / Bind / FunctionCall


# --------------------------------------------------------------------------------------------
# Pre-encoded constant messages
# --------------------------------------------------------------------------------------------

PARSE_COMPLETE: Final = b"1\x00\x00\x00\x04"  # ParseComplete
BIND_COMPLETE: Final = b"2\x00\x00\x00\x04"  # BindComplete
CLOSE_COMPLETE: Final = b"3\x00\x00\x00\x04"  # CloseComplete
NO_DATA: Final = b"n\x00\x00\x00\x04"  # NoData
PORTAL_SUSPENDED: Final = b"s\x00\x00\x00\x04"  # PortalSuspended
EMPTY_QUERY_RESPONSE: Final = b"I\x00\x00\x00\x04"  # EmptyQueryResponse
AUTHENTICATION_OK: Final = b"R\x00\x00\x00\x08\x00\x00\x00\x00"  # AuthenticationOk
READY_FOR_QUERY_IDLE: Final = b"Z\x00\x00\x00\x05I"  # ReadyForQuery 'I'
READY_FOR_QUERY_IN_TRANSACTION: Final = b"Z\x00\x00\x00\x05T"  # ReadyForQuery 'T'
READY_FOR_QUERY_FAILED: Final = b"Z\x00\x00\x00\x05E"  # ReadyForQuery 'E'
READY_FOR_QUERY: Final = {
    "I": READY_FOR_QUERY_IDLE,
    "T": READY_FOR_QUERY_IN_TRANSACTION,
    "E": READY_FOR_QUERY_FAILED,
}
COPY_DONE: Final = b"c\x00\x00\x00\x04"  # CopyDone (both directions)
SYNC: Final = b"S\x00\x00\x00\x04"  # Sync
FLUSH: Final = b"H\x00\x00\x00\x04"  # Flush
TERMINATE: Final = b"X\x00\x00\x00\x04"  # Terminate
SSL_REFUSED: Final = b"N"  # single-byte answer to SSLRequest / GSSENCRequest: no encryption
SSL_ACCEPTED: Final = b"S"  # single-byte answer to SSLRequest: start the TLS handshake


# --------------------------------------------------------------------------------------------
# Encoding
# --------------------------------------------------------------------------------------------


def _cstr(text: str) -> bytes:
    data = text.encode("utf-8", "surrogateescape")
    if b"\x00" in data:
        raise ValueError(f"protocol strings cannot contain NUL: {text!r}")
    return data + b"\x00"


def _frame(type_byte: bytes, body: bytes) -> bytes:
    return _HEADER.pack(type_byte, len(body) + 4) + body


def _i16s(values: Sequence[int]) -> bytes:
    return struct.pack(f"!H{len(values)}h", len(values), *values)


def _values(values: Sequence[bytes | None]) -> bytes:
    """int16 count, then per value int32 length (-1 for NULL) and the bytes."""
    parts = [_U16.pack(len(values))]
    append = parts.append
    pack = _I32.pack
    for value in values:
        if value is None:
            append(_NULL)
        else:
            append(pack(len(value)))
            append(value)
    return b"".join(parts)


def encode_data_row(values: Sequence[bytes | None]) -> bytes:
    """Encode one DataRow ('D') — the hot path of every result set."""
    pack = _I32.pack
    body = b"".join([_NULL if v is None else pack(len(v)) + v for v in values])
    return _DATA_ROW_HEADER.pack(b"D", len(body) + 6, len(values)) + body


def append_data_rows(out: bytearray, rows: Iterable[Sequence[Any]],
                     encoders: Sequence[Callable[[Any], bytes]]) -> None:
    """Append a DataRow to ``out`` for each row of values, each value encoded by the encoder
    of its column (NULL stays NULL)."""
    for row in rows:
        out += encode_data_row(
            [None if v is None else enc(v) for v, enc in zip(row, encoders, strict=True)])


def encode_data_rows(rows: Iterable[Sequence[bytes | None]]) -> bytes:
    """Encode many DataRows into one buffer (one socket write per batch)."""
    pack = _I32.pack
    header = _DATA_ROW_HEADER.pack
    parts: list[bytes] = []
    append = parts.append
    for values in rows:
        body = b"".join([_NULL if v is None else pack(len(v)) + v for v in values])
        append(header(b"D", len(body) + 6, len(values)))
        append(body)
    return b"".join(parts)


@functools.lru_cache(maxsize=1024)
def encode_command_complete(tag: str) -> bytes:
    """Encode CommandComplete ('C'); the few tags a workload repeats ("SELECT 1",
    "UPDATE 1") are encoded once."""
    return _frame(b"C", _cstr(tag))


def _fields(fields: dict[str, str]) -> bytes:
    parts = []
    for code, value in fields.items():
        if len(code) != 1:
            raise ValueError(f"error field codes are one byte: {code!r}")
        parts.append(code.encode("ascii") + _cstr(value))
    parts.append(b"\x00")
    return b"".join(parts)


def _copy_response(fmt: int, column_formats: tuple[int, ...]) -> bytes:
    return struct.pack(f"!bH{len(column_formats)}h", fmt, len(column_formats), *column_formats)


def _enc_startup(m: StartupMessage) -> bytes:
    body = b"".join(_cstr(k) + _cstr(v) for k, v in m.params) + b"\x00"
    return _I32.pack(len(body) + 8) + _I32.pack(m.protocol) + body


def _enc_parse(m: Parse) -> bytes:
    oids = struct.pack(f"!H{len(m.param_oids)}I", len(m.param_oids), *m.param_oids)
    return _frame(b"P", _cstr(m.name) + _cstr(m.query) + oids)


def _enc_bind(m: Bind) -> bytes:
    body = (
        _cstr(m.portal)
        + _cstr(m.statement)
        + _i16s(m.param_formats)
        + _values(m.params)
        + _i16s(m.result_formats)
    )
    return _frame(b"B", body)


def _enc_function_call(m: FunctionCall) -> bytes:
    body = _U32.pack(m.function_oid) + _i16s(m.arg_formats) + _values(m.args)
    return _frame(b"F", body + _I16.pack(m.result_format))


def _enc_sasl_initial(m: SASLInitialResponse) -> bytes:
    data = b"\xff\xff\xff\xff" if m.data is None else _I32.pack(len(m.data)) + m.data
    return _frame(b"p", _cstr(m.mechanism) + data)


def _enc_row_description(m: RowDescription) -> bytes:
    parts = [_U16.pack(len(m.fields))]
    pack = struct.Struct("!IhIhih").pack
    for f in m.fields:
        parts.append(_cstr(f.name))
        parts.append(pack(f.table_oid, f.attnum, f.type_oid, f.typlen, f.typmod, f.format))
    return _frame(b"T", b"".join(parts))


def _enc_function_result(m: FunctionCallResponse) -> bytes:
    body = _NULL if m.result is None else _I32.pack(len(m.result)) + m.result
    return _frame(b"V", body)


def _enc_negotiate(m: NegotiateProtocolVersion) -> bytes:
    body = _I32.pack(m.newest_minor) + _I32.pack(len(m.unrecognized))
    return _frame(b"v", body + b"".join(_cstr(o) for o in m.unrecognized))


_ENCODERS: dict[type, Callable[[Any], bytes]] = {
    # frontend
    StartupMessage: _enc_startup,
    SSLRequest: lambda m: _I32.pack(8) + _I32.pack(SSL_REQUEST_CODE),
    GSSENCRequest: lambda m: _I32.pack(8) + _I32.pack(GSSENC_REQUEST_CODE),
    CancelRequest: lambda m: struct.pack("!iiiI", 16, CANCEL_REQUEST_CODE, m.pid, m.secret),
    Query: lambda m: _frame(b"Q", _cstr(m.query)),
    Parse: _enc_parse,
    Bind: _enc_bind,
    Describe: lambda m: _frame(b"D", m.kind.encode("ascii") + _cstr(m.name)),
    Execute: lambda m: _frame(b"E", _cstr(m.portal) + _I32.pack(m.max_rows)),
    Close: lambda m: _frame(b"C", m.kind.encode("ascii") + _cstr(m.name)),
    Sync: lambda m: SYNC,
    Flush: lambda m: FLUSH,
    Terminate: lambda m: TERMINATE,
    FunctionCall: _enc_function_call,
    CopyData: lambda m: _frame(b"d", m.data),
    CopyDone: lambda m: COPY_DONE,
    CopyFail: lambda m: _frame(b"f", _cstr(m.message)),
    PasswordMessage: lambda m: _frame(b"p", m.payload),
    SASLInitialResponse: _enc_sasl_initial,
    SASLResponse: lambda m: _frame(b"p", m.data),
    # backend
    AuthenticationOk: lambda m: AUTHENTICATION_OK,
    AuthenticationCleartextPassword: lambda m: _frame(b"R", _I32.pack(3)),
    AuthenticationMD5Password: lambda m: _frame(b"R", _I32.pack(5) + m.salt),
    AuthenticationSASL: lambda m: _frame(
        b"R", _I32.pack(10) + b"".join(_cstr(x) for x in m.mechanisms) + b"\x00"
    ),
    AuthenticationSASLContinue: lambda m: _frame(b"R", _I32.pack(11) + m.data),
    AuthenticationSASLFinal: lambda m: _frame(b"R", _I32.pack(12) + m.data),
    ParameterStatus: lambda m: _frame(b"S", _cstr(m.name) + _cstr(m.value)),
    BackendKeyData: lambda m: _frame(b"K", struct.pack("!iI", m.pid, m.secret)),
    ReadyForQuery: lambda m: READY_FOR_QUERY[m.status],
    RowDescription: _enc_row_description,
    DataRow: lambda m: encode_data_row(m.values),
    CommandComplete: lambda m: encode_command_complete(m.tag),
    EmptyQueryResponse: lambda m: EMPTY_QUERY_RESPONSE,
    ErrorResponse: lambda m: _frame(b"E", _fields(m.fields)),
    NoticeResponse: lambda m: _frame(b"N", _fields(m.fields)),
    ParseComplete: lambda m: PARSE_COMPLETE,
    BindComplete: lambda m: BIND_COMPLETE,
    CloseComplete: lambda m: CLOSE_COMPLETE,
    NoData: lambda m: NO_DATA,
    ParameterDescription: lambda m: _frame(
        b"t", struct.pack(f"!H{len(m.oids)}I", len(m.oids), *m.oids)
    ),
    PortalSuspended: lambda m: PORTAL_SUSPENDED,
    CopyInResponse: lambda m: _frame(b"G", _copy_response(m.format, m.column_formats)),
    CopyOutResponse: lambda m: _frame(b"H", _copy_response(m.format, m.column_formats)),
    CopyBothResponse: lambda m: _frame(b"W", _copy_response(m.format, m.column_formats)),
    NegotiateProtocolVersion: _enc_negotiate,
    NotificationResponse: lambda m: _frame(
        b"A", _I32.pack(m.pid) + _cstr(m.channel) + _cstr(m.payload)
    ),
    FunctionCallResponse: _enc_function_result,
}


def encode(message: Message) -> bytes:
    """Encode one message, frontend or backend, with its type byte and length."""
    try:
        encoder = _ENCODERS[type(message)]
    except KeyError:
        raise TypeError(f"not a protocol message: {message!r}") from None
    try:
        return encoder(message)
    except struct.error as exc:
        raise ValueError(f"value out of range in {message!r}: {exc}") from exc


def encode_many(messages: Iterable[Message]) -> bytes:
    """Encode several messages into one buffer."""
    return b"".join(encode(m) for m in messages)


# --------------------------------------------------------------------------------------------
# Decoding
# --------------------------------------------------------------------------------------------


class _Reader:
    """Reads the fields of one message body.

    Overruns surface as ``struct.error`` or ``ValueError``; ``_Decoder`` turns those into
    ProtocolViolation, so the per-field methods stay short (they run for every message).
    """

    __slots__ = ("data", "name", "pos")

    def __init__(self, data: bytes, name: str) -> None:
        self.data = data
        self.pos = 0
        self.name = name

    def fail(self, what: str = "invalid message format") -> ProtocolViolation:
        return ProtocolViolation(f"{what} in {self.name} message")

    def int16(self) -> int:
        (value,) = _I16.unpack_from(self.data, self.pos)
        self.pos += 2
        return cast(int, value)

    def uint16(self) -> int:
        (value,) = _U16.unpack_from(self.data, self.pos)
        self.pos += 2
        return cast(int, value)

    def int32(self) -> int:
        (value,) = _I32.unpack_from(self.data, self.pos)
        self.pos += 4
        return cast(int, value)

    def uint32(self) -> int:
        (value,) = _U32.unpack_from(self.data, self.pos)
        self.pos += 4
        return cast(int, value)

    def byte(self) -> str:
        value = chr(self.data[self.pos])  # IndexError past the end
        self.pos += 1
        return value

    def cstring(self) -> str:
        end = self.data.find(b"\x00", self.pos)
        if end < 0:
            raise self.fail("missing NUL terminator")
        value = self.data[self.pos : end].decode("utf-8", "surrogateescape")
        self.pos = end + 1
        return value

    def take(self, n: int) -> bytes:
        end = self.pos + n
        if n < 0 or end > len(self.data):
            raise self.fail()
        value = self.data[self.pos : end]
        self.pos = end
        return value

    def rest(self) -> bytes:
        value = self.data[self.pos :]
        self.pos = len(self.data)
        return value

    def int16s(self) -> tuple[int, ...]:
        n = self.uint16()
        if n == 0:
            return ()
        values = struct.unpack_from(f"!{n}h", self.data, self.pos)
        self.pos += 2 * n
        return values

    def oids(self) -> tuple[int, ...]:
        n = self.uint16()
        if n == 0:
            return ()
        values = struct.unpack_from(f"!{n}I", self.data, self.pos)
        self.pos += 4 * n
        return values

    def values(self) -> tuple[bytes | None, ...]:
        data, pos = self.data, self.pos
        (n,) = _U16.unpack_from(data, pos)
        pos += 2
        size = len(data)
        unpack = _I32.unpack_from
        out: list[bytes | None] = []
        append = out.append
        for _ in range(n):
            (length,) = unpack(data, pos)
            pos += 4
            if length == -1:
                append(None)
                continue
            end = pos + length
            if length < 0 or end > size:
                raise self.fail()
            append(data[pos:end])
            pos = end
        self.pos = pos
        return tuple(out)

    def kind(self) -> DescribeKind:
        kind = self.byte()
        if kind == "S":
            return "S"
        if kind == "P":
            return "P"
        raise self.fail(f"invalid subtype {kind!r}")

    def end(self) -> None:
        if self.pos != len(self.data):
            raise self.fail()


def _dec_empty(cls: Callable[[], Any], name: str) -> Callable[[bytes], Any]:
    instance = cls()

    def decode(body: bytes) -> Any:
        if body:
            raise ProtocolViolation(f"invalid message format in {name} message")
        return instance

    return decode


def _dec_query(body: bytes) -> Query:
    r = _Reader(body, "Query")
    m = Query(r.cstring())
    r.end()
    return m


def _dec_parse(body: bytes) -> Parse:
    r = _Reader(body, "Parse")
    m = Parse(r.cstring(), r.cstring(), r.oids())
    r.end()
    return m


def _dec_bind(body: bytes) -> Bind:
    r = _Reader(body, "Bind")
    m = Bind(r.cstring(), r.cstring(), r.int16s(), r.values(), r.int16s())
    r.end()
    return m


def _dec_describe(body: bytes) -> Describe:
    r = _Reader(body, "Describe")
    m = Describe(r.kind(), r.cstring())
    r.end()
    return m


def _dec_execute(body: bytes) -> Execute:
    r = _Reader(body, "Execute")
    m = Execute(r.cstring(), r.int32())
    r.end()
    return m


def _dec_close(body: bytes) -> Close:
    r = _Reader(body, "Close")
    m = Close(r.kind(), r.cstring())
    r.end()
    return m


def _dec_function_call(body: bytes) -> FunctionCall:
    r = _Reader(body, "FunctionCall")
    m = FunctionCall(r.uint32(), r.int16s(), r.values(), r.int16())
    r.end()
    return m


def _dec_copy_fail(body: bytes) -> CopyFail:
    r = _Reader(body, "CopyFail")
    m = CopyFail(r.cstring())
    r.end()
    return m


_FRONTEND_DECODERS: dict[int, Callable[[bytes], FrontendMessage]] = {
    ord("Q"): _dec_query,  # Query
    ord("P"): _dec_parse,  # Parse
    ord("B"): _dec_bind,  # Bind
    ord("D"): _dec_describe,  # Describe
    ord("E"): _dec_execute,  # Execute
    ord("C"): _dec_close,  # Close
    ord("S"): _dec_empty(Sync, "Sync"),  # Sync
    ord("H"): _dec_empty(Flush, "Flush"),  # Flush
    ord("X"): _dec_empty(Terminate, "Terminate"),  # Terminate
    ord("F"): _dec_function_call,  # FunctionCall
    ord("d"): CopyData,  # CopyData
    ord("c"): _dec_empty(CopyDone, "CopyDone"),  # CopyDone
    ord("f"): _dec_copy_fail,  # CopyFail
    ord("p"): PasswordMessage,  # PasswordMessage / SASLInitialResponse / SASLResponse
}


def _dec_authentication(body: bytes) -> BackendMessage:
    r = _Reader(body, "Authentication")
    code = r.int32()
    m: BackendMessage
    if code == 0:
        m = AuthenticationOk()
    elif code == 3:
        m = AuthenticationCleartextPassword()
    elif code == 5:
        m = AuthenticationMD5Password(r.take(4))
    elif code == 10:
        mechanisms = []
        while (name := r.cstring()) != "":
            mechanisms.append(name)
        m = AuthenticationSASL(tuple(mechanisms))
    elif code == 11:
        m = AuthenticationSASLContinue(r.rest())
    elif code == 12:
        m = AuthenticationSASLFinal(r.rest())
    else:
        raise ProtocolViolation(f"unsupported authentication request code {code}")
    r.end()
    return m


def _dec_fields(body: bytes, name: str) -> dict[str, str]:
    r = _Reader(body, name)
    fields: dict[str, str] = {}
    while (code := r.byte()) != "\x00":
        fields[code] = r.cstring()
    r.end()
    return fields


def _dec_row_description(body: bytes) -> RowDescription:
    r = _Reader(body, "RowDescription")
    n = r.uint16()
    fields = tuple(
        FieldDescription(
            r.cstring(), r.uint32(), r.int16(), r.uint32(), r.int16(), r.int32(), r.int16()
        )
        for _ in range(n)
    )
    r.end()
    return RowDescription(fields)


def _dec_data_row(body: bytes) -> DataRow:
    r = _Reader(body, "DataRow")
    m = DataRow(r.values())
    r.end()
    return m


def _dec_simple(
    name: str, build: Callable[[_Reader], BackendMessage]
) -> Callable[[bytes], BackendMessage]:
    def decode(body: bytes) -> BackendMessage:
        r = _Reader(body, name)
        m = build(r)
        r.end()
        return m

    return decode


def _ready_for_query(r: _Reader) -> ReadyForQuery:
    status = r.byte()
    if status == "I":
        return ReadyForQuery("I")
    if status == "T":
        return ReadyForQuery("T")
    if status == "E":
        return ReadyForQuery("E")
    raise r.fail(f"invalid transaction status {status!r}")


def _copy_formats(r: _Reader) -> tuple[int, tuple[int, ...]]:
    fmt = r.byte()
    return ord(fmt), r.int16s()


def _negotiate(r: _Reader) -> NegotiateProtocolVersion:
    minor = r.int32()
    count = r.int32()
    if count < 0:
        raise r.fail()
    return NegotiateProtocolVersion(minor, tuple(r.cstring() for _ in range(count)))


def _function_result(r: _Reader) -> FunctionCallResponse:
    length = r.int32()
    return FunctionCallResponse(None if length == -1 else r.take(length))


_BACKEND_DECODERS: dict[int, Callable[[bytes], BackendMessage]] = {
    ord("R"): _dec_authentication,  # Authentication*
    ord("S"): _dec_simple("ParameterStatus", lambda r: ParameterStatus(r.cstring(), r.cstring())),
    ord("K"): _dec_simple("BackendKeyData", lambda r: BackendKeyData(r.int32(), r.uint32())),
    ord("Z"): _dec_simple("ReadyForQuery", _ready_for_query),  # ReadyForQuery
    ord("T"): _dec_row_description,  # RowDescription
    ord("D"): _dec_data_row,  # DataRow
    ord("C"): _dec_simple("CommandComplete", lambda r: CommandComplete(r.cstring())),
    ord("I"): _dec_empty(EmptyQueryResponse, "EmptyQueryResponse"),  # EmptyQueryResponse
    ord("E"): lambda b: ErrorResponse(_dec_fields(b, "ErrorResponse")),  # ErrorResponse
    ord("N"): lambda b: NoticeResponse(_dec_fields(b, "NoticeResponse")),  # NoticeResponse
    ord("1"): _dec_empty(ParseComplete, "ParseComplete"),  # ParseComplete
    ord("2"): _dec_empty(BindComplete, "BindComplete"),  # BindComplete
    ord("3"): _dec_empty(CloseComplete, "CloseComplete"),  # CloseComplete
    ord("n"): _dec_empty(NoData, "NoData"),  # NoData
    ord("t"): _dec_simple("ParameterDescription", lambda r: ParameterDescription(r.oids())),
    ord("s"): _dec_empty(PortalSuspended, "PortalSuspended"),  # PortalSuspended
    ord("G"): _dec_simple("CopyInResponse", lambda r: CopyInResponse(*_copy_formats(r))),
    ord("H"): _dec_simple("CopyOutResponse", lambda r: CopyOutResponse(*_copy_formats(r))),
    ord("W"): _dec_simple("CopyBothResponse", lambda r: CopyBothResponse(*_copy_formats(r))),
    ord("d"): CopyData,  # CopyData
    ord("c"): _dec_empty(CopyDone, "CopyDone"),  # CopyDone
    ord("v"): _dec_simple("NegotiateProtocolVersion", _negotiate),  # NegotiateProtocolVersion
    ord("A"): _dec_simple(
        "NotificationResponse",
        lambda r: NotificationResponse(r.int32(), r.cstring(), r.cstring()),
    ),
    ord("V"): _dec_simple("FunctionCallResponse", _function_result),  # FunctionCallResponse
}


def _dec_startup_packet(body: bytes) -> FrontendMessage:
    """An untyped first packet: int32 code, then code-specific fields (length already cut)."""
    r = _Reader(body, "startup packet")
    code = r.int32()
    m: FrontendMessage
    if code == SSL_REQUEST_CODE:
        m = SSLRequest()
    elif code == GSSENC_REQUEST_CODE:
        m = GSSENCRequest()
    elif code == CANCEL_REQUEST_CODE:
        m = CancelRequest(r.int32(), r.uint32())
    else:
        # Any other code is a protocol version; the connection decides which it accepts.
        params: list[tuple[str, str]] = []
        while (name := r.cstring()) != "":
            params.append((name, r.cstring()))
        m = StartupMessage(code, tuple(params))
    r.end()
    return m


M = TypeVar("M")


_SMALL_BODY = 4096  # below this, bytes(bytearray[slice]) beats a memoryview round trip


class _Decoder(Generic[M]):
    """Splits a byte stream into typed messages ('t' + int32 length + body)."""

    _decoders: dict[int, Callable[[bytes], M]]
    _side = "frontend"

    def __init__(self, *, max_message_size: int = DEFAULT_MAX_MESSAGE_SIZE) -> None:
        self.max_message_size = max_message_size
        self.in_startup = False
        self._buf = bytearray()
        self._pos = 0
        self._error: ProtocolViolation | None = None
        self._last = (0, 0)

    @property
    def buffered(self) -> int:
        """Bytes received but not yet returned as messages."""
        return len(self._buf) - self._pos

    def next_is(self, frame: bytes) -> bool:
        """Is ``frame`` (a whole message) the next one buffered?"""
        return self._buf[self._pos:self._pos + len(frame)] == frame

    def take_buffered(self) -> bytes:
        """Hand over the bytes received but not decoded (a relay takes the stream over)."""
        data = bytes(self._buf[self._pos:])
        self._buf.clear()
        self._pos = 0
        return data

    def feed(self, data: bytes | bytearray | memoryview) -> None:
        """Append received bytes; any chunking is fine."""
        if self._pos:
            del self._buf[: self._pos]  # O(1) amortized: CPython moves the start pointer
            self._pos = 0
        self._buf += data

    def next_message(self) -> M | None:
        """The next complete message, or None until more bytes are fed."""
        if self._error is not None:
            raise self._error
        try:
            if self.in_startup:
                return self._next_startup()
            return self._next_typed()
        except ProtocolViolation as exc:
            self._error = exc
            raise
        except (struct.error, ValueError, IndexError) as exc:
            self._error = ProtocolViolation("invalid message format")
            raise self._error from exc

    def __iter__(self) -> Iterator[M]:
        """Every complete message currently buffered."""
        while (message := self.next_message()) is not None:
            yield message

    def _body(self, start: int, end: int) -> bytes:
        self._pos = end
        if end - start < _SMALL_BODY:
            return bytes(self._buf[start:end])
        with memoryview(self._buf) as view:
            return view[start:end].tobytes()

    def _next_typed(self) -> M | None:
        buf, pos = self._buf, self._pos
        if len(buf) - pos < 5:
            return None
        type_byte = buf[pos]
        decoder = self._decoders.get(type_byte)
        if decoder is None:
            raise ProtocolViolation(f"invalid {self._side} message type {type_byte}")
        (length,) = _I32.unpack_from(buf, pos + 1)
        if length < 4:
            raise ProtocolViolation(f"invalid message length {length}")
        if length > self.max_message_size:
            raise ProtocolViolation(f"message too large ({length} bytes)")
        end = pos + 1 + length
        if len(buf) < end:
            return None
        self._last = (pos, end)
        return decoder(self._body(pos + 5, end))

    def last_frame(self) -> bytes:
        """The bytes of the typed message returned last (valid until the next ``feed``): a
        relay passes them on instead of encoding the message again."""
        start, end = self._last
        return bytes(self._buf[start:end])

    def _next_startup(self) -> M | None:
        raise NotImplementedError


class FrontendDecoder(_Decoder[FrontendMessage]):
    """Server side: decodes what a client sends, starting with the untyped first packets."""

    _decoders = _FRONTEND_DECODERS
    _side = "frontend"

    def __init__(
        self, *, max_message_size: int = DEFAULT_MAX_MESSAGE_SIZE, startup: bool = True
    ) -> None:
        super().__init__(max_message_size=max_message_size)
        self.in_startup = startup

    def _next_startup(self) -> FrontendMessage | None:
        buf, pos = self._buf, self._pos
        if len(buf) - pos < 4:
            return None
        (length,) = _I32.unpack_from(buf, pos)
        if length < 8 or length > MAX_STARTUP_PACKET_SIZE:
            raise ProtocolViolation("invalid length of startup packet")
        end = pos + length
        if len(buf) < end:
            return None
        message = _dec_startup_packet(self._body(pos + 4, end))
        if isinstance(message, StartupMessage):
            self.in_startup = False
        return message


def decode_frontend(type_byte: int, body: bytes) -> FrontendMessage:
    """One typed frontend message from its type byte and body (a relay that forwarded it as
    bytes needs it again)."""
    return _FRONTEND_DECODERS[type_byte](body)


def decode_backend(type_byte: int, body: bytes) -> BackendMessage:
    """One backend message from its type byte and body (a relay decodes only a few)."""
    return _BACKEND_DECODERS[type_byte](body)


class BackendDecoder(_Decoder[BackendMessage]):
    """Client side: decodes what a server sends (after any single-byte SSL answer)."""

    _decoders = _BACKEND_DECODERS
    _side = "backend"


__all__ = [
    "AUTHENTICATION_OK",
    "BIND_COMPLETE",
    "CLOSE_COMPLETE",
    "COPY_DONE",
    "DEFAULT_MAX_MESSAGE_SIZE",
    "EMPTY_QUERY_RESPONSE",
    "FLUSH",
    "MAX_STARTUP_PACKET_SIZE",
    "NO_DATA",
    "PARSE_COMPLETE",
    "PORTAL_SUSPENDED",
    "READY_FOR_QUERY",
    "READY_FOR_QUERY_FAILED",
    "READY_FOR_QUERY_IDLE",
    "READY_FOR_QUERY_IN_TRANSACTION",
    "SSL_ACCEPTED",
    "SSL_REFUSED",
    "SYNC",
    "TERMINATE",
    "BackendDecoder",
    "FrontendDecoder",
    "decode_backend",
    "encode",
    "encode_command_complete",
    "encode_data_row",
    "encode_data_rows",
    "encode_many",
]
