"""Codec: round trips of every message in both directions, chunking, limits, malformed input."""

from __future__ import annotations

import random
import struct

import pytest

from pgha.wire import codec
from pgha.wire import messages as m
from pgha.wire.codec import BackendDecoder, FrontendDecoder, encode
from pgha.wire.errors import ProtocolViolation

STARTUP_PACKETS: list[m.FrontendMessage] = [
    m.SSLRequest(),
    m.GSSENCRequest(),
    m.CancelRequest(pid=4242, secret=0xDEADBEEF),
    m.StartupMessage(m.PROTOCOL_3_0, (("user", "alice"), ("database", "db"))),
    m.StartupMessage((3 << 16) | 9999, (("user", "bob"), ("_pq_.grease", "x"))),
]

FRONTEND: list[m.FrontendMessage] = [
    m.Query("select 1; select 'é'"),
    m.Query(""),
    m.Parse("s1", "select $1::int + $2", (23, 0)),
    m.Parse("", "select 1", ()),
    m.Parse("big", "select $1", (4294967295,)),
    m.Bind("p1", "s1", (1, 0), (b"\x00\x00\x00\x01", None, b""), (1,)),
    m.Bind("", "", (), (), ()),
    m.Describe("S", "s1"),
    m.Describe("P", ""),
    m.Execute("p1", 5),
    m.Execute("", 0),
    m.Close("S", "s1"),
    m.Close("P", "p1"),
    m.Sync(),
    m.Flush(),
    m.Terminate(),
    m.FunctionCall(1598, (1,), (b"\x01", None), 1),
    m.CopyData(b"1\tone\n2\tt"),
    m.CopyData(b""),
    m.CopyDone(),
    m.CopyFail("client gave up"),
    m.PasswordMessage(b"secret\x00"),
]

BACKEND: list[m.BackendMessage] = [
    m.AuthenticationOk(),
    m.AuthenticationCleartextPassword(),
    m.AuthenticationMD5Password(b"\x01\x02\x03\x04"),
    m.AuthenticationSASL(("SCRAM-SHA-256",)),
    m.AuthenticationSASL(("SCRAM-SHA-256-PLUS", "SCRAM-SHA-256")),
    m.AuthenticationSASLContinue(b"r=abc,s=c2FsdA==,i=4096"),
    m.AuthenticationSASLFinal(b"v=c2lnbmF0dXJl"),
    m.ParameterStatus("server_version", "15.0"),
    m.BackendKeyData(1234, 0xFFFFFFFF),
    m.ReadyForQuery("I"),
    m.ReadyForQuery("T"),
    m.ReadyForQuery("E"),
    m.RowDescription(
        (
            m.FieldDescription("id", 16384, 1, 23, 4, -1, 1),
            m.FieldDescription("?column?", 0, 0, 1700, -1, 655366, 0),
            m.FieldDescription("n", 4294967295, -7, 4294967295, -1, -1, 0),
        )
    ),
    m.RowDescription(()),
    m.DataRow((b"1", None, b"", b"\xff" * 300)),
    m.DataRow(()),
    m.CommandComplete("INSERT 0 1"),
    m.EmptyQueryResponse(),
    m.ErrorResponse({"S": "ERROR", "V": "ERROR", "C": "42601", "M": "syntax error", "P": "8"}),
    m.NoticeResponse({"S": "NOTICE", "C": "00000", "M": "skipping"}),
    m.ParseComplete(),
    m.BindComplete(),
    m.CloseComplete(),
    m.NoData(),
    m.ParameterDescription((23, 25, 4294967295)),
    m.ParameterDescription(()),
    m.PortalSuspended(),
    m.CopyInResponse(0, (0, 0)),
    m.CopyInResponse(1, (1, 1, 1)),
    m.CopyOutResponse(0, (0,)),
    m.CopyBothResponse(0, ()),
    m.CopyData(b"row\n"),
    m.CopyDone(),
    m.NegotiateProtocolVersion(0, ("_pq_.grease", "_pq_.other")),
    m.NegotiateProtocolVersion(0, ()),
    m.NotificationResponse(99, "chan", "payload"),
    m.FunctionCallResponse(b"\x00\x01"),
    m.FunctionCallResponse(None),
]


def _decode_all_frontend(data: bytes, startup: bool) -> list[m.FrontendMessage]:
    decoder = FrontendDecoder(startup=startup)
    decoder.feed(data)
    out = list(decoder)
    assert decoder.buffered == 0
    return out


def _decode_all_backend(data: bytes) -> list[m.BackendMessage]:
    decoder = BackendDecoder()
    decoder.feed(data)
    out = list(decoder)
    assert decoder.buffered == 0
    return out


def test_every_message_class_is_covered() -> None:
    sasl = {m.SASLInitialResponse, m.SASLResponse}  # covered in test_password_message_family
    covered = {type(x) for x in STARTUP_PACKETS + FRONTEND + BACKEND} | sasl
    declared = {
        obj
        for name in m.__all__
        if isinstance(obj := getattr(m, name), type) and obj.__module__ == m.__name__
    }
    declared.discard(m.FieldDescription)  # a part of RowDescription, not a message
    assert declared - covered == set()
    assert set(codec._ENCODERS) == declared


@pytest.mark.parametrize("message", STARTUP_PACKETS, ids=lambda x: type(x).__name__)
def test_startup_packets_round_trip(message: m.FrontendMessage) -> None:
    assert _decode_all_frontend(encode(message), startup=True) == [message]


@pytest.mark.parametrize("message", FRONTEND, ids=lambda x: type(x).__name__)
def test_frontend_round_trip(message: m.FrontendMessage) -> None:
    assert _decode_all_frontend(encode(message), startup=False) == [message]


@pytest.mark.parametrize("message", BACKEND, ids=lambda x: type(x).__name__)
def test_backend_round_trip(message: m.BackendMessage) -> None:
    assert _decode_all_backend(encode(message)) == [message]


def test_password_message_family() -> None:
    assert m.parse_password(m.password_message("pencil")) == "pencil"
    for initial in (
        m.SASLInitialResponse("SCRAM-SHA-256", b"n,,n=,r=abc"),
        m.SASLInitialResponse("SCRAM-SHA-256", None),
        m.SASLInitialResponse("SCRAM-SHA-256", b""),
    ):
        (decoded,) = _decode_all_frontend(encode(initial), startup=False)
        assert isinstance(decoded, m.PasswordMessage)
        assert m.parse_sasl_initial_response(decoded) == initial
    response = m.SASLResponse(b"c=biws,r=abc,p=xyz")
    (decoded,) = _decode_all_frontend(encode(response), startup=False)
    assert isinstance(decoded, m.PasswordMessage)
    assert m.parse_sasl_response(decoded) == response


@pytest.mark.parametrize(
    "payload",
    [b"SCRAM-SHA-256", b"SCRAM-SHA-256\x00\x00\x00", b"SCRAM-SHA-256\x00\x00\x00\x00\x05ab"],
)
def test_malformed_sasl_initial_response(payload: bytes) -> None:
    with pytest.raises(ProtocolViolation):
        m.parse_sasl_initial_response(m.PasswordMessage(payload))


@pytest.mark.parametrize("payload", [b"secret", b"se\x00cret\x00", b""])
def test_malformed_password(payload: bytes) -> None:
    with pytest.raises(ProtocolViolation):
        m.parse_password(m.PasswordMessage(payload))


def test_startup_mode_switches_after_startup_message() -> None:
    stream = (
        encode(m.GSSENCRequest())
        + encode(m.SSLRequest())
        + encode(STARTUP_PACKETS[3])
        + b"".join(encode(x) for x in FRONTEND)
    )
    expected = [m.GSSENCRequest(), m.SSLRequest(), STARTUP_PACKETS[3], *FRONTEND]
    assert _decode_all_frontend(stream, startup=True) == expected


def test_frontend_decoder_fed_byte_by_byte() -> None:
    stream = encode(m.SSLRequest()) + encode(STARTUP_PACKETS[3])
    stream += b"".join(encode(x) for x in FRONTEND)
    decoder = FrontendDecoder()
    out: list[m.FrontendMessage] = []
    for i in range(len(stream)):
        decoder.feed(stream[i : i + 1])
        out.extend(decoder)
    assert out == [m.SSLRequest(), STARTUP_PACKETS[3], *FRONTEND]
    assert decoder.buffered == 0


def test_backend_decoder_fed_byte_by_byte() -> None:
    stream = b"".join(encode(x) for x in BACKEND)
    decoder = BackendDecoder()
    out: list[m.BackendMessage] = []
    for byte in stream:
        decoder.feed(bytes([byte]))
        out.extend(decoder)
    assert out == BACKEND


def test_random_chunking_and_memoryview_input() -> None:
    stream = b"".join(encode(x) for x in BACKEND) * 5
    rng = random.Random(7)
    decoder = BackendDecoder()
    out: list[m.BackendMessage] = []
    pos = 0
    while pos < len(stream):
        n = rng.randint(1, 200)
        decoder.feed(memoryview(stream)[pos : pos + n])
        pos += n
        out.extend(decoder)
    assert out == BACKEND * 5


def test_next_message_returns_none_until_complete() -> None:
    data = encode(m.Query("select 1"))
    decoder = FrontendDecoder(startup=False)
    decoder.feed(data[:-1])
    assert decoder.next_message() is None
    assert decoder.buffered == len(data) - 1
    decoder.feed(data[-1:])
    assert decoder.next_message() == m.Query("select 1")
    assert decoder.next_message() is None


def test_invalid_utf8_survives_round_trip() -> None:
    raw = _typed(b"Q", b"select\xff\x00")
    (decoded,) = _decode_all_frontend(raw, startup=False)
    assert isinstance(decoded, m.Query)
    assert encode(decoded) == raw


def test_nul_in_string_is_refused_on_encode() -> None:
    with pytest.raises(ValueError):
        encode(m.Query("select\x001"))
    with pytest.raises(ValueError):
        encode(m.ErrorResponse({"MM": "x"}))
    with pytest.raises(TypeError):
        encode("not a message")  # type: ignore[arg-type]


# -- limits and malformed input --------------------------------------------------------------


def test_oversized_message_rejected_from_header_alone() -> None:
    decoder = FrontendDecoder(startup=False, max_message_size=1024)
    decoder.feed(b"d" + struct.pack("!i", 1025))  # no body yet
    with pytest.raises(ProtocolViolation) as info:
        decoder.next_message()
    assert info.value.sqlstate == "08P01"
    with pytest.raises(ProtocolViolation):  # stays failed
        decoder.next_message()


def test_message_at_the_limit_is_accepted() -> None:
    decoder = FrontendDecoder(startup=False, max_message_size=1024)
    decoder.feed(encode(m.CopyData(b"x" * 1020)))
    assert decoder.next_message() == m.CopyData(b"x" * 1020)


def test_backend_oversized() -> None:
    decoder = BackendDecoder(max_message_size=100)
    decoder.feed(b"D" + struct.pack("!i", 10_000))
    with pytest.raises(ProtocolViolation):
        decoder.next_message()


@pytest.mark.parametrize(
    "raw",
    [
        struct.pack("!ii", 10001, 196608),  # startup packet too long
        struct.pack("!ii", 7, 196608),  # too short
        struct.pack("!ii", -1, 196608),
        struct.pack("!iii", 12, 80877103, 0),  # SSLRequest with trailing bytes
        struct.pack("!iii", 12, 80877102, 1),  # truncated CancelRequest
        struct.pack("!ii", 12, 196608) + b"user",  # missing NUL
        struct.pack("!ii", 17, 196608) + b"user\x00x\x00y\x00",  # name without value
    ],
)
def test_malformed_startup_packets(raw: bytes) -> None:
    decoder = FrontendDecoder()
    decoder.feed(raw)
    with pytest.raises(ProtocolViolation):
        decoder.next_message()


def _typed(type_byte: bytes, body: bytes) -> bytes:
    return type_byte + struct.pack("!i", len(body) + 4) + body


@pytest.mark.parametrize(
    "raw",
    [
        b"Q" + struct.pack("!i", 3),  # length below 4
        b"Q" + struct.pack("!i", -5),
        b"z" + struct.pack("!i", 4),  # unknown type byte
        b"\x00" + struct.pack("!i", 4),
        _typed(b"Q", b"select 1"),  # missing NUL
        _typed(b"Q", b"select 1\x00extra"),  # trailing bytes
        _typed(b"S", b"\x00"),  # Sync with a body
        _typed(b"X", b"x"),
        _typed(b"D", b"Xname\x00"),  # bad Describe kind
        _typed(b"C", b""),  # Close without kind
        _typed(b"E", b"portal\x00\x00\x00"),  # truncated int32
        _typed(b"P", b"s\x00select 1\x00\x00\x02\x00\x00\x00\x17"),  # 2 oids, 1 present
        _typed(b"B", b"\x00\x00\x00\x00\x00\x01\x00\x00\x00\x09abc\x00\x00"),  # short value
        _typed(b"B", b"\x00\x00\x00\x00\x00\x01\xff\xff\xff\xfe\x00\x00"),  # length -2
        _typed(b"B", b"\x00\x00\x00\x01\x00"),  # truncated format codes
        _typed(b"f", b"no nul"),
    ],
)
def test_malformed_frontend_messages(raw: bytes) -> None:
    decoder = FrontendDecoder(startup=False)
    decoder.feed(raw)
    with pytest.raises(ProtocolViolation) as info:
        decoder.next_message()
    assert info.value.sqlstate == "08P01"
    assert info.value.severity == "FATAL"


@pytest.mark.parametrize(
    "raw",
    [
        _typed(b"R", struct.pack("!i", 7)),  # unsupported auth code (GSS)
        _typed(b"R", struct.pack("!i", 5) + b"\x01\x02"),  # short md5 salt
        _typed(b"Z", b"X"),  # bad transaction status
        _typed(b"Z", b""),
        _typed(b"T", b"\x00\x01name\x00\x00\x00"),  # truncated field
        _typed(b"E", b"Mmessage"),  # missing NUL
        _typed(b"E", b"Mmessage\x00"),  # missing terminator
        _typed(b"v", struct.pack("!ii", 0, -1)),
        _typed(b"1", b"x"),
        b"?" + struct.pack("!i", 4),
    ],
)
def test_malformed_backend_messages(raw: bytes) -> None:
    decoder = BackendDecoder()
    decoder.feed(raw)
    with pytest.raises(ProtocolViolation):
        decoder.next_message()


# -- hot paths ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "values",
    [
        (),
        (None,),
        (b"",),
        (b"1", None, b"hello", b"\x00" * 70000),
        tuple(b"%d" % i for i in range(50)),
    ],
)
def test_encode_data_row_matches_generic(values: tuple[bytes | None, ...]) -> None:
    assert codec.encode_data_row(values) == encode(m.DataRow(values))
    assert codec.encode_data_row(list(values)) == encode(m.DataRow(values))


def test_encode_data_rows_is_concatenation() -> None:
    rows = [(b"1", None), (), (b"x" * 10, b"y")]
    assert codec.encode_data_rows(rows) == b"".join(encode(m.DataRow(r)) for r in rows)
    assert codec.encode_data_rows([]) == b""


def test_preencoded_constants() -> None:
    assert encode(m.ParseComplete()) == codec.PARSE_COMPLETE
    assert encode(m.BindComplete()) == codec.BIND_COMPLETE
    assert encode(m.CloseComplete()) == codec.CLOSE_COMPLETE
    assert encode(m.NoData()) == codec.NO_DATA
    assert encode(m.PortalSuspended()) == codec.PORTAL_SUSPENDED
    assert encode(m.EmptyQueryResponse()) == codec.EMPTY_QUERY_RESPONSE
    assert encode(m.AuthenticationOk()) == codec.AUTHENTICATION_OK
    assert encode(m.CopyDone()) == codec.COPY_DONE
    assert encode(m.Sync()) == codec.SYNC
    assert encode(m.Flush()) == codec.FLUSH
    assert encode(m.Terminate()) == codec.TERMINATE
    for status in ("I", "T", "E"):
        raw = b"Z\x00\x00\x00\x05" + status.encode()
        assert codec.READY_FOR_QUERY[status] == raw
        assert _decode_all_backend(raw) == [m.ReadyForQuery(status)]  # type: ignore[arg-type]
    assert codec.READY_FOR_QUERY["I"] == codec.READY_FOR_QUERY_IDLE
    assert codec.encode_command_complete("SELECT 1") == encode(m.CommandComplete("SELECT 1"))
    assert codec.encode_many([m.ParseComplete(), m.BindComplete()]) == (
        codec.PARSE_COMPLETE + codec.BIND_COMPLETE
    )


def test_known_wire_bytes() -> None:
    # From the protocol docs / observed traffic (reference/pg-clients.md 5.6, 5.1).
    assert encode(m.CopyInResponse(0, (0, 0))) == b"G\x00\x00\x00\x0b\x00\x00\x02\x00\x00\x00\x00"
    assert encode(m.SSLRequest()) == b"\x00\x00\x00\x08\x04\xd2\x16\x2f"
    assert encode(m.CancelRequest(1, 2)) == struct.pack("!iiii", 16, 80877102, 1, 2)
    assert encode(m.StartupMessage(m.PROTOCOL_3_0, (("user", "u"),))) == (
        b"\x00\x00\x00\x10\x00\x03\x00\x00user\x00u\x00\x00"
    )
    assert encode(m.Query("select 1")) == b"Q\x00\x00\x00\x0dselect 1\x00"


def test_large_message_is_buffered_linearly() -> None:
    # A 4 MiB CopyData fed in 1 KiB chunks: each chunk is appended once; nothing is re-parsed.
    body = bytes(range(256)) * (4 * 4096)
    data = encode(m.CopyData(body))
    decoder = FrontendDecoder(startup=False)
    for i in range(0, len(data), 1024):
        decoder.feed(data[i : i + 1024])
        if i + 1024 < len(data):
            assert decoder.next_message() is None
    assert decoder.next_message() == m.CopyData(body)
