"""Authentication exchanges: SCRAM-SHA-256 against an independent client, RFC 7677, md5."""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools

import pytest

from pgha.wire import auth
from pgha.wire import messages as m
from pgha.wire.auth import (
    AuthMethod,
    Credential,
    StaticAuthenticator,
    TrustAnyUser,
    is_local,
    trust_from,
)
from pgha.wire.errors import PgError, ProtocolViolation


class ScramClient:
    """A minimal client side of SCRAM-SHA-256, written from RFC 5802 section 3, independent of
    the server code (only hashlib/hmac)."""

    def __init__(self, password: str, nonce: str, user: str = "", cbind_flag: str = "n") -> None:
        self.password = password
        self.nonce = nonce
        self.gs2 = f"{cbind_flag},,"
        self.first_bare = f"n={user},r={nonce}"
        self.server_signature = b""

    def first(self) -> m.SASLInitialResponse:
        return m.SASLInitialResponse("SCRAM-SHA-256", (self.gs2 + self.first_bare).encode())

    def final(self, server_first: bytes, *, tamper: bool = False) -> m.SASLResponse:
        attrs = dict(a.split("=", 1) for a in server_first.decode().split(","))
        assert attrs["r"].startswith(self.nonce)
        salt = base64.b64decode(attrs["s"])
        salted = hashlib.pbkdf2_hmac("sha256", self.password.encode(), salt, int(attrs["i"]))
        client_key = hmac.new(salted, b"Client Key", "sha256").digest()
        stored_key = hashlib.sha256(client_key).digest()
        cbind = base64.b64encode(self.gs2.encode()).decode()
        without_proof = f"c={cbind},r={attrs['r']}"
        auth_message = f"{self.first_bare},{server_first.decode()},{without_proof}".encode()
        signature = hmac.new(stored_key, auth_message, "sha256").digest()
        proof = bytes(a ^ b for a, b in zip(client_key, signature, strict=True))
        if tamper:
            proof = bytes([proof[0] ^ 1]) + proof[1:]
        server_key = hmac.new(salted, b"Server Key", "sha256").digest()
        self.server_signature = hmac.new(server_key, auth_message, "sha256").digest()
        return m.SASLResponse(f"{without_proof},p={base64.b64encode(proof).decode()}".encode())


def counter_random() -> auth.RandomBytes:
    counter = itertools.count()

    def random_bytes(n: int) -> bytes:
        return bytes((next(counter) % 256) for _ in range(n))

    return random_bytes


def as_password_message(message: m.SASLInitialResponse | m.SASLResponse) -> m.PasswordMessage:
    """What the server actually receives: the raw 'p' payload."""
    from pgha.wire.codec import FrontendDecoder, encode

    decoder = FrontendDecoder(startup=False)
    decoder.feed(encode(message))
    decoded = decoder.next_message()
    assert isinstance(decoded, m.PasswordMessage)
    return decoded


def run_scram(
    exchange: auth.AuthExchange, client: ScramClient, *, tamper: bool = False
) -> auth.AuthStep:
    start = exchange.start()
    assert start.messages == (m.AuthenticationSASL(("SCRAM-SHA-256",)),)
    step = exchange.receive(as_password_message(client.first()))
    assert not step.done
    (cont,) = step.messages
    assert isinstance(cont, m.AuthenticationSASLContinue)
    return exchange.receive(as_password_message(client.final(cont.data, tamper=tamper)))


# -- SCRAM -----------------------------------------------------------------------------------


def test_rfc7677_test_vector() -> None:
    # RFC 7677 section 3: user "user", password "pencil".
    salt = base64.b64decode("W22ZaJ0SNY7soEsUEjb6gQ==")
    verifier = auth.ScramVerifier.from_password("pencil", salt=salt, iterations=4096)
    exchange = auth.ScramExchange(
        "user", verifier, counter_random(), server_nonce="%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0"
    )
    exchange.start()
    step = exchange.receive(
        as_password_message(
            m.SASLInitialResponse("SCRAM-SHA-256", b"n,,n=user,r=rOprNGfwEbeRWgbNEkqO")
        )
    )
    assert step.messages == (
        m.AuthenticationSASLContinue(
            b"r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
            b"s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"
        ),
    )
    final = (
        b"c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
        b"p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
    )
    step = exchange.receive(m.PasswordMessage(final))
    assert step.done
    assert step.messages == (
        m.AuthenticationSASLFinal(b"v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="),
    )


def test_verifier_string_round_trip() -> None:
    text = auth.scram_verifier("pencil", salt=b"0123456789abcdef")
    assert text.startswith("SCRAM-SHA-256$4096:MDEyMzQ1Njc4OWFiY2RlZg==$")
    parsed = auth.ScramVerifier.parse(text)
    assert str(parsed) == text
    assert parsed.check_password("pencil")
    assert not parsed.check_password("pencil2")
    with pytest.raises(ValueError):
        auth.ScramVerifier.parse("md5abc")


@pytest.mark.parametrize("user_in_message", ["", "alice", "someone-else"])
@pytest.mark.parametrize("flag", ["n", "y"])
def test_scram_with_real_client(user_in_message: str, flag: str) -> None:
    # libpq sends n= (empty), asyncpg the real name; the server ignores it. c=biws / c=eSws.
    authenticator = StaticAuthenticator(
        {"alice": Credential(AuthMethod.SCRAM_SHA_256, "s3cret")}, random_bytes=counter_random()
    )
    exchange = authenticator.begin("alice", {})
    client = ScramClient("s3cret", "fyko+d2lbbFgONRv9qkxdawL", user_in_message, flag)
    step = run_scram(exchange, client)
    assert step.done
    assert step.messages == (
        m.AuthenticationSASLFinal(b"v=" + base64.b64encode(client.server_signature)),
    )


def test_scram_wrong_password_is_28p01() -> None:
    authenticator = StaticAuthenticator(
        {"alice": Credential(AuthMethod.SCRAM_SHA_256, auth.scram_verifier("right"))}
    )
    with pytest.raises(PgError) as info:
        run_scram(authenticator.begin("alice", {}), ScramClient("wrong", "abc"))
    assert info.value.sqlstate == "28P01"
    assert info.value.severity == "FATAL"
    assert info.value.message == 'password authentication failed for user "alice"'


def test_scram_tampered_proof_fails() -> None:
    authenticator = StaticAuthenticator({"alice": Credential(AuthMethod.SCRAM_SHA_256, "pw")})
    with pytest.raises(PgError) as info:
        run_scram(authenticator.begin("alice", {}), ScramClient("pw", "abc"), tamper=True)
    assert info.value.sqlstate == "28P01"


def test_unknown_user_gets_mock_exchange_with_stable_salt() -> None:
    authenticator = StaticAuthenticator({})
    salts = []
    for _ in range(2):
        exchange = authenticator.begin("mallory", {})
        exchange.start()
        step = exchange.receive(as_password_message(ScramClient("x", "abc").first()))
        (cont,) = step.messages
        assert isinstance(cont, m.AuthenticationSASLContinue)
        salts.append(dict(a.split("=", 1) for a in cont.data.decode().split(","))["s"])
    assert salts[0] == salts[1]
    with pytest.raises(PgError) as info:
        run_scram(authenticator.begin("mallory", {}), ScramClient("x", "abc"))
    assert info.value.sqlstate == "28P01"
    assert info.value.message == 'password authentication failed for user "mallory"'


def _scram_first(payload: bytes) -> None:
    exchange = auth.ScramExchange("u", None, counter_random())
    exchange.start()
    exchange.receive(as_password_message(m.SASLInitialResponse("SCRAM-SHA-256", payload)))


@pytest.mark.parametrize(
    "payload",
    [
        b"p=tls-server-end-point,,n=,r=abc",  # channel binding requested: not offered
        b"x,,n=,r=abc",
        b"n,,r=abc",
        b"n,,n=",
        b"n",
        b"n,,n=,r=",
        b"n,,n=,r=a b",
        b"n,,n=\xff,r=abc",
    ],
)
def test_malformed_client_first_is_08p01(payload: bytes) -> None:
    with pytest.raises(ProtocolViolation):
        _scram_first(payload)


@pytest.mark.parametrize("payload", [b"n,a=admin,n=,r=abc", b"n,,m=ext,n=,r=abc"])
def test_unsupported_scram_features_are_0a000(payload: bytes) -> None:
    with pytest.raises(PgError) as info:
        _scram_first(payload)
    assert info.value.sqlstate == "0A000"


def test_wrong_mechanism_and_missing_data() -> None:
    exchange = auth.ScramExchange("u", None, counter_random())
    with pytest.raises(ProtocolViolation):
        exchange.receive(as_password_message(m.SASLInitialResponse("SCRAM-SHA-1", b"n,,n=,r=a")))
    exchange = auth.ScramExchange("u", None, counter_random())
    with pytest.raises(ProtocolViolation):
        exchange.receive(as_password_message(m.SASLInitialResponse("SCRAM-SHA-256", None)))


def _scram_final(transform: str) -> None:
    verifier = auth.ScramVerifier.from_password("pw", salt=b"s" * 16)
    exchange = auth.ScramExchange("u", verifier, counter_random())
    exchange.start()
    client = ScramClient("pw", "abc")
    step = exchange.receive(as_password_message(client.first()))
    (cont,) = step.messages
    assert isinstance(cont, m.AuthenticationSASLContinue)
    final = client.final(cont.data).data.decode()
    nonce = final.split(",")[1]
    bad = {
        "wrong-cbind": final.replace("c=biws", "c=eSws"),
        "wrong-nonce": final.replace(nonce, "r=abcdef"),
        "no-proof": final.split(",p=")[0],
        "bad-b64": final.split(",p=")[0] + ",p=!!!",
        "short-proof": final.split(",p=")[0] + ",p=AAAA",
        "no-attrs": "p=AAAA",
    }[transform]
    exchange.receive(m.PasswordMessage(bad.encode()))


@pytest.mark.parametrize(
    "transform",
    ["wrong-cbind", "wrong-nonce", "no-proof", "bad-b64", "short-proof", "no-attrs"],
)
def test_malformed_client_final_is_08p01(transform: str) -> None:
    with pytest.raises(ProtocolViolation):
        _scram_final(transform)


def test_message_after_scram_finished_is_a_violation() -> None:
    exchange = auth.ScramExchange(
        "u", auth.ScramVerifier.from_password("pw", salt=b"s" * 16), counter_random()
    )
    client = ScramClient("pw", "abc")
    assert run_scram(exchange, client).done
    with pytest.raises(ProtocolViolation):
        exchange.receive(m.PasswordMessage(b"more"))


def test_saslprep() -> None:
    assert auth.saslprep("pencil") == "pencil"
    assert auth.saslprep("I\u00adX") == "IX"  # soft hyphen maps to nothing (RFC 4013 example)
    assert auth.saslprep("\u2168") == "IX"  # NFKC
    assert auth.saslprep("a\u00a0b") == "a b"  # non-ASCII space maps to space
    assert auth.saslprep("a\u0007") == "a\u0007"  # prohibited: used unchanged, as PostgreSQL
    verifier = auth.ScramVerifier.from_password("\u2168", salt=b"s" * 16)
    assert verifier.check_password("IX")


# -- md5 and cleartext -----------------------------------------------------------------------


def test_md5_hash_matches_postgresql_formula() -> None:
    # The well-known rolpassword of user postgres with password postgres.
    assert auth.md5_hash("postgres", "postgres") == "md53175bce1d3201d16594cebf9d7eb3f9d"


def test_md5_exchange() -> None:
    salt_source = counter_random()  # first 4 bytes: 00 01 02 03 ... after the mock key
    authenticator = StaticAuthenticator(
        {"postgres": Credential(AuthMethod.MD5, "md53175bce1d3201d16594cebf9d7eb3f9d")},
        random_bytes=salt_source,
    )
    exchange = authenticator.begin("postgres", {})
    (request,) = exchange.start().messages
    assert isinstance(request, m.AuthenticationMD5Password)
    inner = hashlib.md5(b"postgrespostgres").hexdigest().encode()
    answer = "md5" + hashlib.md5(inner + request.salt).hexdigest()
    assert auth.md5_response("postgres", "postgres", request.salt) == answer
    assert exchange.receive(m.password_message(answer)).done
    exchange = authenticator.begin("postgres", {})
    exchange.start()
    with pytest.raises(PgError) as info:
        exchange.receive(m.password_message("md5" + "0" * 32))
    assert info.value.sqlstate == "28P01"


def test_md5_from_plaintext_secret_and_md5_with_scram_secret() -> None:
    authenticator = StaticAuthenticator(
        {
            "a": Credential(AuthMethod.MD5, "pw"),
            "b": Credential(AuthMethod.MD5, auth.scram_verifier("pw")),
        }
    )
    exchange = authenticator.begin("a", {})
    (request,) = exchange.start().messages
    assert isinstance(request, m.AuthenticationMD5Password)
    assert exchange.receive(m.password_message(auth.md5_response("pw", "a", request.salt))).done
    # md5 with a SCRAM secret uses SCRAM, as PostgreSQL does.
    assert run_scram(authenticator.begin("b", {}), ScramClient("pw", "abc")).done


@pytest.mark.parametrize("secret", ["pw", auth.md5_hash("pw", "carol"), auth.scram_verifier("pw")])
def test_cleartext_against_every_secret_form(secret: str) -> None:
    authenticator = StaticAuthenticator({"carol": Credential(AuthMethod.PASSWORD, secret)})
    exchange = authenticator.begin("carol", {})
    assert exchange.start().messages == (m.AuthenticationCleartextPassword(),)
    assert exchange.receive(m.password_message("pw")).done
    for wrong in ("pw2", ""):
        exchange = authenticator.begin("carol", {})
        exchange.start()
        with pytest.raises(PgError) as info:
            exchange.receive(m.password_message(wrong))
        assert info.value.sqlstate == "28P01"


def test_trust_and_misconfigured_users() -> None:
    authenticator = StaticAuthenticator(
        {
            "t": Credential(AuthMethod.TRUST),
            "nosecret": Credential(AuthMethod.SCRAM_SHA_256),
            "md5only": Credential(AuthMethod.SCRAM_SHA_256, auth.md5_hash("pw", "md5only")),
        }
    )
    assert authenticator.begin("t", {}).start().done
    for user in ("nosecret", "md5only"):
        with pytest.raises(PgError) as info:
            run_scram(authenticator.begin(user, {}), ScramClient("pw", "abc"))
        assert info.value.sqlstate == "28P01"


def test_plaintext_scram_secrets_are_not_kept() -> None:
    authenticator = StaticAuthenticator({"a": Credential(AuthMethod.SCRAM_SHA_256, "pw")})
    assert all(c.secret != "pw" for c in authenticator._users.values())


@pytest.mark.parametrize("peer, local", [
    (("127.0.0.1", 5000), True), (("127.8.9.1", 5000), True), (("::1", 5000, 0, 0), True),
    (("::ffff:127.0.0.1", 5000, 0, 0), True), ("", True), (None, True),
    (("192.0.2.7", 5000), False), (("::ffff:10.0.0.1", 5000, 0, 0), False),
    (("fe80::1%eth0", 5000, 0, 2), False), (("not-an-address", 1), False),
])
def test_is_local(peer: object, local: bool) -> None:
    assert is_local(peer) is local


def test_trust_from_refuses_remote_clients_only_when_trust_is_local_only() -> None:
    trust = TrustAnyUser()
    remote = ("192.0.2.7", 5000)
    assert trust_from(trust, ("127.0.0.1", 1), local_only=True) is trust
    assert trust_from(trust, remote, local_only=False) is trust
    refused = trust_from(trust, remote, local_only=True).begin("bob", {"database": "app"})
    with pytest.raises(PgError) as exc_info:
        refused.start()
    assert exc_info.value.sqlstate == "28000"
    assert 'host "192.0.2.7", user "bob", database "app"' in exc_info.value.message
