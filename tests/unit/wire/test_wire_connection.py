"""The server connection state machine, driven by encoded client messages (no sockets)."""

from __future__ import annotations

import base64

import pytest
from test_wire_auth import ScramClient

from pgha.wire import auth
from pgha.wire import messages as m
from pgha.wire.auth import AuthMethod, Credential, StaticAuthenticator
from pgha.wire.codec import BackendDecoder, encode
from pgha.wire.connection import (
    NEED_DATA,
    RECEIVE_TABLE,
    SEND_TABLE,
    Action,
    Authenticated,
    ConnectionState,
    Event,
    LocalProtocolError,
    NeedData,
    ServerConnection,
    parse_options,
    split_options,
)
from pgha.wire.errors import PgError, ProtocolViolation

S = ConnectionState
USERS = {
    "trusty": Credential(AuthMethod.TRUST),
    "clear": Credential(AuthMethod.PASSWORD, "pw"),
    "md5user": Credential(AuthMethod.MD5, "pw"),
    "scram": Credential(AuthMethod.SCRAM_SHA_256, "pw"),
}


class Peer:
    """The client end of a fake network: encodes what it sends, decodes what it receives."""

    def __init__(self, conn: ServerConnection) -> None:
        self.conn = conn
        self.decoder = BackendDecoder()

    def send(self, *messages: m.FrontendMessage) -> None:
        self.conn.receive_data(b"".join(encode(x) for x in messages))

    def events(self) -> list[Event]:
        out: list[Event] = []
        while not isinstance(event := self.conn.next_event(), NeedData):
            out.append(event)
        return out

    def received(self, data: bytes = b"") -> list[m.BackendMessage]:
        self.decoder.feed(data + self.conn.data_to_send())
        return list(self.decoder)

    def reply(self, *messages: m.BackendMessage) -> list[m.BackendMessage]:
        return self.received(self.conn.send_many(messages))


def make(user: str = "trusty", **params: str) -> tuple[ServerConnection, Peer]:
    conn = ServerConnection(StaticAuthenticator(USERS))
    peer = Peer(conn)
    peer.send(m.StartupMessage(m.PROTOCOL_3_0, (("user", user), *params.items())))
    return conn, peer


def ready(user: str = "trusty") -> tuple[ServerConnection, Peer]:
    conn, peer = make(user)
    (event,) = peer.events()
    assert isinstance(event, Authenticated)
    peer.reply(m.ParameterStatus("server_version", "15.0"), m.BackendKeyData(1, 2))
    peer.reply(m.ReadyForQuery("I"))
    assert conn.state is S.READY
    return conn, peer


ERROR = m.ErrorResponse({"S": "ERROR", "V": "ERROR", "C": "42601", "M": "syntax error"})


# -- start-up ----------------------------------------------------------------------------------


def test_ssl_refused_then_trust_startup() -> None:
    conn = ServerConnection(StaticAuthenticator(USERS))
    peer = Peer(conn)
    peer.send(m.SSLRequest())
    assert peer.events() == []
    assert conn.data_to_send() == b"N"
    peer.send(m.StartupMessage(m.PROTOCOL_3_0, (("user", "trusty"), ("database", "db"))))
    (event,) = peer.events()
    assert event == Authenticated("trusty", "db", {"user": "trusty", "database": "db"}, ())
    assert conn.startup == event
    assert conn.state is S.STARTING
    out = peer.reply(m.ParameterStatus("server_version", "15.0"), m.BackendKeyData(7, 8))
    assert out == [
        m.AuthenticationOk(),
        m.ParameterStatus("server_version", "15.0"),
        m.BackendKeyData(7, 8),
    ]
    assert peer.reply(m.ReadyForQuery("I")) == [m.ReadyForQuery("I")]
    assert conn.state is S.READY


def test_gssenc_then_ssl_both_refused() -> None:
    conn = ServerConnection(StaticAuthenticator(USERS))
    peer = Peer(conn)
    peer.send(m.GSSENCRequest(), m.SSLRequest())
    assert peer.events() == []
    assert conn.data_to_send() == b"NN"


def test_duplicate_ssl_request_is_a_violation() -> None:
    conn = ServerConnection(StaticAuthenticator(USERS))
    Peer(conn).send(m.SSLRequest(), m.SSLRequest())
    with pytest.raises(ProtocolViolation):
        Peer(conn).events()


def test_tls_hook() -> None:
    conn = ServerConnection(StaticAuthenticator(USERS), tls_available=True)
    peer = Peer(conn)
    peer.send(m.SSLRequest())
    assert peer.events() == [m.SSLRequest()]
    assert conn.data_to_send() == b"S"
    # The shell now runs the TLS handshake and feeds decrypted bytes.
    peer.send(m.StartupMessage(m.PROTOCOL_3_0, (("user", "trusty"),)))
    assert isinstance(peer.events()[0], Authenticated)


def test_tls_required_refuses_a_plain_start_up_before_authentication() -> None:
    conn = ServerConnection(StaticAuthenticator(USERS), tls_available=True, tls_required=True)
    peer = Peer(conn)
    peer.send(m.StartupMessage(m.PROTOCOL_3_0, (("user", "trusty"),)))
    with pytest.raises(PgError) as caught:
        peer.events()
    assert caught.value.sqlstate == "28000" and "requires TLS" in caught.value.message
    conn = ServerConnection(StaticAuthenticator(USERS), tls_available=True, tls_required=True)
    peer = Peer(conn)
    peer.send(m.SSLRequest())
    assert peer.events() == [m.SSLRequest()]
    peer.send(m.StartupMessage(m.PROTOCOL_3_0, (("user", "trusty"),)))
    assert isinstance(peer.events()[0], Authenticated)


def test_tls_with_pipelined_plaintext_is_refused() -> None:
    conn = ServerConnection(StaticAuthenticator(USERS), tls_available=True)
    peer = Peer(conn)
    peer.send(m.SSLRequest(), m.StartupMessage(m.PROTOCOL_3_0, (("user", "trusty"),)))
    with pytest.raises(ProtocolViolation):
        peer.events()
    assert conn.state is S.FAILED


def test_cancel_request() -> None:
    conn = ServerConnection(StaticAuthenticator(USERS))
    peer = Peer(conn)
    peer.send(m.CancelRequest(1234, 5678))
    assert peer.events() == [m.CancelRequest(1234, 5678)]
    assert conn.state is S.CLOSED
    with pytest.raises(LocalProtocolError):
        conn.send(m.ReadyForQuery("I"))


def test_wrong_major_version_is_fatal_0a000() -> None:
    # PostgreSQL: FATAL 0A000 "unsupported frontend protocol 2.0: server supports 3.0 to 3.0".
    conn = ServerConnection(StaticAuthenticator(USERS))
    peer = Peer(conn)
    peer.send(m.StartupMessage(2 << 16, (("user", "trusty"),)))
    with pytest.raises(PgError) as info:
        peer.events()
    assert info.value.sqlstate == "0A000"
    assert "unsupported frontend protocol 2.0" in info.value.message
    assert conn.state is S.FAILED
    with pytest.raises(PgError):  # stays failed
        conn.next_event()
    out = peer.reply(m.ErrorResponse.from_error(info.value))
    assert out[0].sqlstate == "0A000"  # type: ignore[union-attr]
    assert out[0].severity == "FATAL"  # type: ignore[union-attr]
    assert conn.state is S.CLOSED


def test_negotiate_protocol_version_for_newer_minor_and_pq_options() -> None:
    conn = ServerConnection(StaticAuthenticator(USERS))
    peer = Peer(conn)
    params = (("user", "trusty"), ("_pq_.grease", "1"), ("application_name", "x"))
    peer.send(m.StartupMessage((3 << 16) | 9999, params))
    (event,) = peer.events()
    assert isinstance(event, Authenticated)
    assert "_pq_.grease" not in event.parameters
    assert peer.received() == [
        m.NegotiateProtocolVersion(196608, ("_pq_.grease",)),
        m.AuthenticationOk(),
    ]


def test_protocol_3_0_without_options_gets_no_negotiation() -> None:
    _conn, peer = make()
    peer.events()
    assert peer.received() == [m.AuthenticationOk()]


def test_missing_user_is_28000() -> None:
    conn = ServerConnection(StaticAuthenticator(USERS))
    Peer(conn).send(m.StartupMessage(m.PROTOCOL_3_0, (("database", "db"),)))
    with pytest.raises(PgError) as info:
        conn.next_event()
    assert info.value.sqlstate == "28000"


def test_startup_settings_from_options_then_parameters() -> None:
    _conn, peer = make(
        options=r"-c search_path=a\ b --work-mem=4MB -cstatement_timeout=5",
        DateStyle="ISO",
        database="db",
        client_encoding="'utf-8'",
    )
    (event,) = peer.events()
    assert isinstance(event, Authenticated)
    assert event.database == "db"
    assert event.settings == (
        ("search_path", "a b"),
        ("work_mem", "4MB"),
        ("statement_timeout", "5"),
        ("DateStyle", "ISO"),
        ("client_encoding", "'utf-8'"),
    )


def test_database_defaults_to_user() -> None:
    _conn, peer = make()
    (event,) = peer.events()
    assert isinstance(event, Authenticated)
    assert event.database == "trusty"


def test_option_parsing() -> None:
    assert split_options("  a\\ b   c\\\\d ") == ["a b", "c\\d"]
    assert parse_options("") == []
    assert parse_options("-c a=1 -c b=") == [("a", "1"), ("b", "")]
    for bad in ("-x", "-c novalue", "--=1", "plain"):
        with pytest.raises(PgError):
            parse_options(bad)


def test_messages_pipelined_after_startup_wait_for_ready_for_query() -> None:
    conn, peer = make()
    peer.send(m.Query("select 1"))
    (event,) = peer.events()
    assert isinstance(event, Authenticated)
    assert conn.next_event() is NEED_DATA  # held until the session is ready
    peer.reply(m.ReadyForQuery("I"))
    assert peer.events() == [m.Query("select 1")]


def test_fatal_error_during_startup_closes() -> None:
    conn, peer = make()
    peer.events()
    out = peer.reply(m.ErrorResponse({"S": "FATAL", "C": "3D000", "M": 'no database "x"'}))
    assert out[-1] == m.ErrorResponse({"S": "FATAL", "C": "3D000", "M": 'no database "x"'})
    assert conn.state is S.CLOSED
    peer.send(m.Query("select 1"))  # ignored once closed
    assert conn.next_event() is NEED_DATA


# -- authentication through the connection ----------------------------------------------------


def test_cleartext_login() -> None:
    conn, peer = make("clear")
    assert peer.events() == []
    assert peer.received() == [m.AuthenticationCleartextPassword()]
    assert conn.state is S.AUTHENTICATING
    peer.send(m.password_message("pw"))
    (event,) = peer.events()
    assert isinstance(event, Authenticated)
    assert peer.received() == [m.AuthenticationOk()]


def test_md5_login() -> None:
    _conn, peer = make("md5user")
    peer.events()
    (request,) = peer.received()
    assert isinstance(request, m.AuthenticationMD5Password)
    peer.send(m.password_message(auth.md5_response("pw", "md5user", request.salt)))
    assert isinstance(peer.events()[0], Authenticated)


def test_scram_login_and_failed_login() -> None:
    for password, ok in (("pw", True), ("bad", False)):
        conn, peer = make("scram")
        peer.events()
        assert peer.received() == [m.AuthenticationSASL(("SCRAM-SHA-256",))]
        client = ScramClient(password, "nonce123")
        peer.send(client.first())
        assert peer.events() == []
        (cont,) = peer.received()
        assert isinstance(cont, m.AuthenticationSASLContinue)
        peer.send(client.final(cont.data))
        if ok:
            assert isinstance(peer.events()[0], Authenticated)
            assert peer.received() == [
                m.AuthenticationSASLFinal(b"v=" + base64.b64encode(client.server_signature)),
                m.AuthenticationOk(),
            ]
            continue
        with pytest.raises(PgError) as info:
            peer.events()
        assert conn.state is S.FAILED
        assert peer.received() == []  # nothing about the failure leaks before the error
        out = peer.reply(m.ErrorResponse.from_error(info.value))
        assert out == [
            m.ErrorResponse(
                {
                    "S": "FATAL",
                    "V": "FATAL",
                    "C": "28P01",
                    "M": 'password authentication failed for user "scram"',
                }
            )
        ]
        assert conn.state is S.CLOSED


def test_unknown_user_fails_like_a_wrong_password() -> None:
    _conn, peer = make("nobody")
    peer.events()
    client = ScramClient("pw", "n")
    peer.send(client.first())
    peer.events()
    (cont,) = peer.received()[1:]
    assert isinstance(cont, m.AuthenticationSASLContinue)
    peer.send(client.final(cont.data))
    with pytest.raises(PgError) as info:
        peer.events()
    assert info.value.sqlstate == "28P01"


def test_query_during_authentication_is_a_violation() -> None:
    conn, peer = make("clear")
    peer.events()
    peer.send(m.Query("select 1"))
    with pytest.raises(ProtocolViolation):
        peer.events()
    assert conn.state is S.FAILED


# -- query phase -------------------------------------------------------------------------------


def test_simple_query_events_and_transaction_status() -> None:
    conn, peer = ready()
    peer.send(m.Query("begin"))
    assert peer.events() == [m.Query("begin")]
    peer.reply(m.CommandComplete("BEGIN"), m.ReadyForQuery("T"))
    assert conn.transaction_status == "T"


def test_skip_until_sync_after_extended_error() -> None:
    # reference/pg-clients.md 5.4: Parse(bad) Bind Execute Parse(good) Sync Parse Bind Execute Sync
    conn, peer = ready()
    peer.send(
        m.Parse("", "selec 1"),
        m.Bind("", ""),
        m.Execute(""),
        m.Parse("", "select 1"),
        m.Query("select 2"),  # discarded too while skipping
        m.Sync(),
        m.Parse("", "select 1"),
        m.Bind("", ""),
        m.Execute(""),
        m.Sync(),
    )
    assert conn.next_event() == m.Parse("", "selec 1")
    peer.reply(ERROR)
    assert conn.state is S.SKIPPING
    assert conn.next_event() == m.Sync()
    assert conn.state is S.READY
    peer.reply(m.ReadyForQuery("I"))
    assert peer.events() == [m.Parse("", "select 1"), m.Bind("", ""), m.Execute(""), m.Sync()]


def test_terminate_while_skipping() -> None:
    conn, peer = ready()
    peer.send(m.Bind("", "missing"), m.Execute(""), m.Terminate())
    assert conn.next_event() == m.Bind("", "missing")
    peer.reply(ERROR)
    assert peer.events() == [m.Terminate()]
    assert conn.state is S.CLOSED


def test_error_in_simple_query_does_not_skip() -> None:
    conn, peer = ready()
    peer.send(m.Query("select 1/0"), m.Query("select 1"))
    assert conn.next_event() == m.Query("select 1/0")
    peer.reply(ERROR, m.ReadyForQuery("I"))
    assert peer.events() == [m.Query("select 1")]


def test_error_after_sync_does_not_skip() -> None:
    # A failed commit at Sync: the extended flag is already cleared (postgres.c).
    conn2, peer2 = ready()
    peer2.send(m.Parse("", "x"), m.Sync(), m.Parse("", "y"), m.Sync())
    assert conn2.next_event() == m.Parse("", "x")
    assert conn2.next_event() == m.Sync()
    peer2.reply(ERROR, m.ReadyForQuery("I"))
    assert conn2.state is S.READY
    assert peer2.events() == [m.Parse("", "y"), m.Sync()]


def test_flush_is_extended() -> None:
    conn, peer = ready()
    peer.send(m.Flush(), m.Query("x"), m.Sync())
    assert conn.next_event() == m.Flush()
    peer.reply(ERROR)
    assert peer.events() == [m.Sync()]


def test_error_while_skipping_keeps_skipping_and_notices_are_allowed() -> None:
    conn, peer = ready()
    peer.send(m.Parse("", "x"), m.Bind("", ""), m.Sync())
    conn.next_event()
    peer.reply(ERROR, m.NoticeResponse({"S": "NOTICE", "C": "00000", "M": "n"}))
    assert conn.state is S.SKIPPING
    peer.reply(m.ParameterStatus("TimeZone", "UTC"))
    assert peer.events() == [m.Sync()]


# -- COPY ----------------------------------------------------------------------------------


def test_simple_copy_in() -> None:
    conn, peer = ready()
    peer.send(m.Query("copy t from stdin"))
    assert peer.events() == [m.Query("copy t from stdin")]
    peer.reply(m.CopyInResponse(0, (0, 0)))
    assert conn.state is S.COPY_IN
    peer.send(m.CopyData(b"1\ta\n2"), m.Flush(), m.Sync(), m.CopyData(b"\tb\n"), m.CopyDone())
    assert peer.events() == [m.CopyData(b"1\ta\n2"), m.CopyData(b"\tb\n"), m.CopyDone()]
    assert conn.state is S.READY
    peer.reply(m.CommandComplete("COPY 2"), m.ReadyForQuery("I"))


def test_simple_copy_error_discards_copy_messages_until_next_message() -> None:
    conn, peer = ready()
    peer.send(m.Query("copy t from stdin"))
    peer.events()
    peer.reply(m.CopyInResponse(0, (0,)))
    peer.send(m.CopyData(b"bad\n"), m.CopyData(b"more\n"), m.CopyDone(), m.CopyFail("x"))
    assert conn.next_event() == m.CopyData(b"bad\n")
    peer.reply(ERROR, m.ReadyForQuery("I"))
    assert conn.state is S.COPY_DISCARD
    assert conn.next_event() is NEED_DATA
    peer.send(m.CopyData(b"late\n"), m.Query("select 1"))
    assert peer.events() == [m.Query("select 1")]
    assert conn.state is S.READY
    peer.send(m.CopyData(b"stray"), m.Query("select 2"))  # ignored in READY, as postgres.c does
    assert peer.events() == [m.Query("select 2")]


def test_copy_fail_from_client() -> None:
    conn, peer = ready()
    peer.send(m.Query("copy t from stdin"))
    peer.events()
    peer.reply(m.CopyInResponse(0, (0,)))
    peer.send(m.CopyFail("aborted by user"))
    assert peer.events() == [m.CopyFail("aborted by user")]
    assert conn.state is S.READY
    peer.reply(ERROR, m.ReadyForQuery("I"))
    assert conn.state is S.READY


def test_extended_copy_ignores_pipelined_sync_and_errors_skip_until_sync() -> None:
    conn, peer = ready()
    peer.send(m.Parse("", "copy t from stdin"), m.Bind("", ""), m.Execute(""), m.Sync())
    assert conn.next_event() == m.Parse("", "copy t from stdin")
    assert conn.next_event() == m.Bind("", "")
    assert conn.next_event() == m.Execute("")
    peer.reply(m.ParseComplete(), m.BindComplete(), m.CopyInResponse(0, (0,)))
    # The Sync libpq sent right after Execute is ignored in copy-in mode.
    peer.send(m.CopyData(b"x\n"), m.CopyData(b"y\n"), m.CopyDone(), m.Sync())
    assert conn.next_event() == m.CopyData(b"x\n")
    peer.reply(ERROR)
    assert conn.state is S.SKIPPING
    assert peer.events() == [m.Sync()]


def test_extended_copy_success() -> None:
    conn, peer = ready()
    peer.send(m.Parse("", "copy t from stdin"), m.Bind("", ""), m.Execute(""), m.Sync())
    for _ in range(3):
        conn.next_event()
    peer.reply(m.CopyInResponse(0, (0,)))
    peer.send(m.CopyData(b"x\n"), m.CopyDone(), m.Sync())
    assert peer.events() == [m.CopyData(b"x\n"), m.CopyDone(), m.Sync()]
    # An error after CopyDone (e.g. a constraint at the end) still skips until Sync.
    conn2, peer2 = ready()
    peer2.send(m.Parse("", "copy"), m.Execute(""))
    conn2.next_event()
    conn2.next_event()
    peer2.reply(m.CopyInResponse(0, ()))
    peer2.send(m.CopyDone(), m.Parse("", "after"), m.Sync())
    assert conn2.next_event() == m.CopyDone()
    peer2.reply(ERROR)
    assert peer2.events() == [m.Sync()]


def test_query_during_copy_in_is_a_violation() -> None:
    conn, peer = ready()
    peer.send(m.Query("copy t from stdin"))
    peer.events()
    peer.reply(m.CopyInResponse(0, (0,)))
    peer.send(m.Query("select 1"))
    with pytest.raises(ProtocolViolation):
        peer.events()
    assert conn.state is S.FAILED


def test_copy_out_needs_no_state() -> None:
    conn, peer = ready()
    peer.send(m.Query("copy t to stdout"))
    peer.events()
    out = peer.reply(
        m.CopyOutResponse(0, (0,)),
        m.CopyData(b"1\n"),
        m.CopyDone(),
        m.CommandComplete("COPY 1"),
        m.ReadyForQuery("I"),
    )
    assert len(out) == 5
    assert conn.state is S.READY


# -- unexpected messages and local errors ------------------------------------------------------


@pytest.mark.parametrize(
    "message",
    [
        m.PasswordMessage(b"pw\x00"),
    ],
    ids=lambda x: type(x).__name__,
)
def test_unexpected_message_in_ready_fails_the_connection(message: m.FrontendMessage) -> None:
    conn, peer = ready()
    peer.send(message, m.Query("select 1"))
    with pytest.raises(ProtocolViolation) as info:
        peer.events()
    assert info.value.sqlstate == "08P01"
    assert conn.state is S.FAILED
    with pytest.raises(LocalProtocolError):
        conn.send(m.ReadyForQuery("I"))
    peer.reply(m.ErrorResponse.from_error(info.value))
    assert conn.state is S.CLOSED


def test_garbage_bytes_fail_the_connection() -> None:
    conn, _peer = ready()
    conn.receive_data(b"\x00\x00\x00\x00\x00")
    with pytest.raises(ProtocolViolation):
        conn.next_event()
    assert conn.state is S.FAILED


def test_oversized_message_through_the_connection() -> None:
    conn = ServerConnection(StaticAuthenticator(USERS), max_message_size=100)
    peer = Peer(conn)
    peer.send(m.StartupMessage(m.PROTOCOL_3_0, (("user", "trusty"),)))
    peer.events()
    peer.reply(m.ReadyForQuery("I"))
    peer.send(m.Query("x" * 200))
    with pytest.raises(ProtocolViolation):
        conn.next_event()


@pytest.mark.parametrize(
    "message",
    [
        m.AuthenticationOk(),
        m.AuthenticationSASL(("SCRAM-SHA-256",)),
        m.NegotiateProtocolVersion(0),
        m.DataRow((b"1",)),
    ],
    ids=lambda x: type(x).__name__,
)
def test_session_cannot_send_out_of_state(message: m.BackendMessage) -> None:
    conn, peer = make()
    peer.events()
    with pytest.raises(LocalProtocolError):
        conn.send(message)


def test_terminate_closes() -> None:
    conn, peer = ready()
    peer.send(m.Terminate(), m.Query("ignored"))
    assert peer.events() == [m.Terminate()]
    assert conn.state is S.CLOSED


def test_send_prepends_self_generated_bytes() -> None:
    conn = ServerConnection(StaticAuthenticator(USERS))
    conn.receive_data(encode(m.StartupMessage(m.PROTOCOL_3_0, (("user", "trusty"),))))
    assert isinstance(conn.next_event(), Authenticated)
    data = conn.send(m.ReadyForQuery("I"))
    decoder = BackendDecoder()
    decoder.feed(data)
    assert list(decoder) == [m.AuthenticationOk(), m.ReadyForQuery("I")]
    assert conn.data_to_send() == b""


def test_byte_by_byte_session() -> None:
    conn = ServerConnection(StaticAuthenticator(USERS))
    stream = encode(m.SSLRequest()) + encode(
        m.StartupMessage(m.PROTOCOL_3_0, (("user", "trusty"),))
    )
    events: list[Event] = []
    for byte in stream:
        conn.receive_data(bytes([byte]))
        while not isinstance(event := conn.next_event(), NeedData):
            events.append(event)
    assert [type(e) for e in events] == [Authenticated]
    conn.send(m.ReadyForQuery("I"))
    for byte in encode(m.Query("select 1")) + encode(m.Sync()):
        conn.receive_data(bytes([byte]))
        while not isinstance(event := conn.next_event(), NeedData):
            events.append(event)
    assert events[1:] == [m.Query("select 1"), m.Sync()]


# -- the tables themselves -----------------------------------------------------------------


def test_tables_are_consistent() -> None:
    handled = {m.SSLRequest, m.GSSENCRequest, m.StartupMessage, m.PasswordMessage}
    for (state, kind), rule in RECEIVE_TABLE.items():
        assert state not in (S.STARTING, S.CLOSED, S.FAILED)
        if rule.action is Action.HANDLE:
            assert kind in handled
    assert set(SEND_TABLE) == set(ConnectionState)
    # Every query-phase message is either accepted or explicitly discarded while skipping.
    query_phase = {t for (s, t) in RECEIVE_TABLE if s is S.READY}
    assert query_phase <= {t for (s, t) in RECEIVE_TABLE if s is S.SKIPPING}
    assert query_phase <= {t for (s, t) in RECEIVE_TABLE if s is S.COPY_DISCARD}
