"""Server-side authentication exchanges, sans-IO: trust, cleartext password, md5, SCRAM-SHA-256.

An ``Authenticator`` picks an ``AuthExchange`` for a user at start-up. The connection calls
``exchange.start()`` once, then ``exchange.receive(message)`` for each PasswordMessage ('p')
the client sends. Each returns an ``AuthStep``: the messages to send now and whether the client
is authenticated (the connection then sends AuthenticationOk itself).

Invariants:

* A wrong password, an unknown user, or a user whose stored secret cannot serve the method all
  end in the same FATAL error, 28P01 ``password authentication failed for user "x"``, so a client
  cannot probe which users exist. Unknown users get a mock SCRAM exchange with a stable,
  user-derived salt, as PostgreSQL does (``scram_mock_salt`` in auth-scram.c).
* Malformed SCRAM messages are protocol violations (08P01), as in PostgreSQL.
* Secrets are stored like PostgreSQL's ``pg_authid.rolpassword``: plaintext, ``md5<hex>`` or a
  SCRAM verifier ``SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>``; plaintext
  passwords given for SCRAM users are turned into verifiers once, at construction.
* SCRAM follows RFC 5802/7677 as PostgreSQL implements it (auth-scram.c): the user name in the
  client-first message is ignored (libpq sends ``n=``), ``c=biws`` (``n,,``) and ``c=eSws``
  (``y,,``) are accepted, channel binding ``p=`` is refused since no TLS channel binding is
  offered, and the client-final message must carry the nonce the server issued.
* Randomness (salts, nonces) comes from an injectable ``random_bytes`` so tests are repeatable.
"""

from __future__ import annotations

import base64
import binascii
import enum
import hashlib
import hmac
import ipaddress
import secrets
import stringprep
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Final, Protocol

from pgha.wire.errors import (
    FeatureNotSupported,
    InvalidAuthorizationSpecification,
    InvalidPassword,
    PgError,
    ProtocolViolation,
)
from pgha.wire.messages import (
    AuthenticationCleartextPassword,
    AuthenticationMD5Password,
    AuthenticationSASL,
    AuthenticationSASLContinue,
    AuthenticationSASLFinal,
    BackendMessage,
    PasswordMessage,
    parse_password,
    parse_sasl_initial_response,
)

SCRAM_SHA_256: Final = "SCRAM-SHA-256"
SCRAM_ITERATIONS: Final = 4096  # PostgreSQL's default scram_iterations
SCRAM_SALT_LEN: Final = 16  # SCRAM_DEFAULT_SALT_LEN
SCRAM_NONCE_LEN: Final = 18  # SCRAM_RAW_NONCE_LEN

RandomBytes = Callable[[int], bytes]


class AuthMethod(enum.Enum):
    """The pg_hba.conf methods pgha implements."""

    TRUST = "trust"
    PASSWORD = "password"
    MD5 = "md5"
    SCRAM_SHA_256 = "scram-sha-256"


@dataclass(frozen=True, slots=True)
class AuthStep:
    """What an exchange wants sent now, and whether the client is now authenticated."""

    messages: tuple[BackendMessage, ...] = ()
    done: bool = False


class AuthExchange(Protocol):
    """One authentication conversation with one client."""

    def start(self) -> AuthStep:
        """The first request to the client (nothing, and done, for trust)."""
        ...

    def receive(self, message: PasswordMessage) -> AuthStep:
        """Handle the client's answer; raise PgError (FATAL) if authentication fails."""
        ...


class Authenticator(Protocol):
    """Chooses the exchange for a user (the seam where pg_hba-like rules plug in)."""

    def begin(self, user: str, parameters: Mapping[str, str]) -> AuthExchange: ...


def authentication_failed(user: str) -> PgError:
    """The one error every failed login produces (28P01)."""
    return InvalidPassword(f'password authentication failed for user "{user}"', severity="FATAL")


def _malformed(detail: str) -> ProtocolViolation:
    exc = ProtocolViolation("malformed SCRAM message")
    exc.detail = detail
    return exc


# --------------------------------------------------------------------------------------------
# Secrets
# --------------------------------------------------------------------------------------------


def md5_hash(password: str, user: str) -> str:
    """PostgreSQL's stored md5 secret: 'md5' + md5(password + user)."""
    return "md5" + hashlib.md5((password + user).encode("utf-8")).hexdigest()


def md5_response(password_or_hash: str, user: str, salt: bytes) -> str:
    """What a client sends for AuthenticationMD5Password: 'md5' + md5(md5hash[3:] + salt)."""
    stored = password_or_hash if _is_md5(password_or_hash) else md5_hash(password_or_hash, user)
    return "md5" + hashlib.md5(stored[3:].encode("ascii") + salt).hexdigest()


def _is_md5(secret: str) -> bool:
    return len(secret) == 35 and secret.startswith("md5")


def saslprep(text: str) -> str:
    """SASLprep (RFC 4013) as PostgreSQL applies it: on any failure, use the text unchanged."""
    if text.isascii():
        return text
    mapped = "".join(
        " " if stringprep.in_table_c12(c) else c for c in text if not stringprep.in_table_b1(c)
    )
    normalized = unicodedata.normalize("NFKC", mapped)
    prohibited = (
        stringprep.in_table_c12,
        stringprep.in_table_c21_c22,
        stringprep.in_table_c3,
        stringprep.in_table_c4,
        stringprep.in_table_c5,
        stringprep.in_table_c6,
        stringprep.in_table_c7,
        stringprep.in_table_c8,
        stringprep.in_table_c9,
        stringprep.in_table_a1,
    )
    if not normalized or any(check(c) for c in normalized for check in prohibited):
        return text
    if any(stringprep.in_table_d1(c) for c in normalized) and (
        any(stringprep.in_table_d2(c) for c in normalized)
        or not stringprep.in_table_d1(normalized[0])
        or not stringprep.in_table_d1(normalized[-1])
    ):
        return text
    return normalized


def _hmac(key: bytes, data: bytes) -> bytes:
    return hmac.digest(key, data, "sha256")


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except binascii.Error as exc:
        raise _malformed("invalid base64") from exc


@dataclass(frozen=True, slots=True)
class ScramVerifier:
    """A stored SCRAM-SHA-256 secret (no password needed to check a login)."""

    iterations: int
    salt: bytes
    stored_key: bytes
    server_key: bytes

    @classmethod
    def from_password(
        cls, password: str, *, salt: bytes, iterations: int = SCRAM_ITERATIONS
    ) -> ScramVerifier:
        salted = hashlib.pbkdf2_hmac("sha256", saslprep(password).encode("utf-8"), salt, iterations)
        stored = hashlib.sha256(_hmac(salted, b"Client Key")).digest()
        return cls(iterations, salt, stored, _hmac(salted, b"Server Key"))

    @classmethod
    def parse(cls, text: str) -> ScramVerifier:
        """Parse 'SCRAM-SHA-256$<iter>:<salt>$<StoredKey>:<ServerKey>'."""
        try:
            method, params, keys = text.split("$")
            iterations, salt = params.split(":")
            stored, server = keys.split(":")
            if method != SCRAM_SHA_256:
                raise ValueError(method)
            return cls(
                int(iterations),
                base64.b64decode(salt, validate=True),
                base64.b64decode(stored, validate=True),
                base64.b64decode(server, validate=True),
            )
        except (ValueError, binascii.Error) as exc:
            raise ValueError(f"not a SCRAM-SHA-256 verifier: {text!r}") from exc

    def __str__(self) -> str:
        return (
            f"{SCRAM_SHA_256}${self.iterations}:{_b64(self.salt)}"
            f"${_b64(self.stored_key)}:{_b64(self.server_key)}"
        )

    def check_password(self, password: str) -> bool:
        """Does a cleartext password match (for the 'password' method)?"""
        candidate = ScramVerifier.from_password(
            password, salt=self.salt, iterations=self.iterations
        )
        return hmac.compare_digest(candidate.server_key, self.server_key)


def scram_verifier(
    password: str,
    *,
    salt: bytes | None = None,
    iterations: int = SCRAM_ITERATIONS,
) -> str:
    """A PostgreSQL-style SCRAM-SHA-256 verifier string for ``password``."""
    salt = secrets.token_bytes(SCRAM_SALT_LEN) if salt is None else salt
    return str(ScramVerifier.from_password(password, salt=salt, iterations=iterations))


def _is_scram(secret: str) -> bool:
    return secret.startswith(SCRAM_SHA_256 + "$")


def check_cleartext(secret: str, password: str, user: str) -> bool:
    """Check a cleartext password against any stored form of secret."""
    if _is_scram(secret):
        return ScramVerifier.parse(secret).check_password(password)
    if _is_md5(secret):
        return hmac.compare_digest(md5_hash(password, user), secret)
    return hmac.compare_digest(password.encode("utf-8"), secret.encode("utf-8"))


# --------------------------------------------------------------------------------------------
# Exchanges
# --------------------------------------------------------------------------------------------


class TrustExchange:
    """No password asked."""

    def start(self) -> AuthStep:
        return AuthStep(done=True)

    def receive(self, message: PasswordMessage) -> AuthStep:
        raise ProtocolViolation("unexpected password message")


class TrustAnyUser:
    """Trust authentication for every user name (the proxy's default; see ``trust_from``)."""

    def begin(self, user: str, parameters: Mapping[str, str]) -> AuthExchange:
        return TrustExchange()


class Refused:
    """An exchange that ends at once with ``error`` (FATAL)."""

    def __init__(self, error: PgError) -> None:
        self.error = error

    def start(self) -> AuthStep:
        raise self.error

    def receive(self, message: PasswordMessage) -> AuthStep:
        raise self.error


def is_local(peer: object) -> bool:
    """Whether a client's address (``getpeername()``) is this machine: a loopback address,
    or a Unix socket (no address)."""
    if not isinstance(peer, tuple) or not peer:
        return True
    try:
        address = ipaddress.ip_address(str(peer[0]).split("%", 1)[0])
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    return address.is_loopback or (mapped is not None and mapped.is_loopback)


class LocalOnly:
    """Trust that was not asked for by name (no ``--auth trust``, no ``--user``) is for
    clients on this machine only, as PostgreSQL's default pg_hba.conf: a client from another
    host is refused (28000) before any exchange, whatever user it names."""

    def __init__(self, inner: Authenticator, peer: object) -> None:
        self.inner = inner
        self.host = str(peer[0]) if isinstance(peer, tuple) and peer else "?"

    def begin(self, user: str, parameters: Mapping[str, str]) -> AuthExchange:
        database = parameters.get("database") or user
        return Refused(InvalidAuthorizationSpecification(
            f'no pgha login rule for host "{self.host}", user "{user}", database '
            f'"{database}": trust authentication is for local connections only',
            severity="FATAL", hint="Start pgha with --user NAME:PASSWORD (SCRAM), or with "
            "--auth trust to trust every host that can reach it."))


def trust_from(authenticator: Authenticator, peer: object, *, local_only: bool
               ) -> Authenticator:
    """The authenticator a client at ``peer`` gets: ``authenticator``, unless trust is
    ``local_only`` and the client is not on this machine."""
    if local_only and not is_local(peer):
        return LocalOnly(authenticator, peer)
    return authenticator


class CleartextExchange:
    """AuthenticationCleartextPassword, then compare (``secret`` None: always fails)."""

    def __init__(self, user: str, secret: str | None) -> None:
        self.user = user
        self.secret = secret

    def start(self) -> AuthStep:
        return AuthStep((AuthenticationCleartextPassword(),))

    def receive(self, message: PasswordMessage) -> AuthStep:
        password = parse_password(message)
        if not password or self.secret is None:
            raise authentication_failed(self.user)
        if not check_cleartext(self.secret, password, self.user):
            raise authentication_failed(self.user)
        return AuthStep(done=True)


class MD5Exchange:
    """AuthenticationMD5Password with a random salt; ``md5_secret`` is 'md5<hex>' or None."""

    def __init__(self, user: str, md5_secret: str | None, random_bytes: RandomBytes) -> None:
        self.user = user
        self.secret = md5_secret
        self.salt = random_bytes(4)

    def start(self) -> AuthStep:
        return AuthStep((AuthenticationMD5Password(self.salt),))

    def receive(self, message: PasswordMessage) -> AuthStep:
        answer = parse_password(message)
        if self.secret is None:
            raise authentication_failed(self.user)
        expected = md5_response(self.secret, self.user, self.salt)
        if not hmac.compare_digest(answer.encode("utf-8"), expected.encode("ascii")):
            raise authentication_failed(self.user)
        return AuthStep(done=True)


@dataclass(frozen=True, slots=True)
class _ClientFirst:
    gs2_header: str
    bare: str
    nonce: str


def _parse_client_first(text: str) -> _ClientFirst:
    """gs2-header client-first-bare (RFC 5802 section 7), as read_client_first_message."""
    flag, sep, rest = text.partition(",")
    if not sep:
        raise _malformed("Unexpected end of input.")
    if flag.startswith("p="):
        raise _malformed(
            "The client selected SCRAM-SHA-256 without channel binding, "
            "but the SCRAM message includes channel binding data."
        )
    if flag not in ("n", "y"):
        raise _malformed(f'Unexpected channel-binding flag "{flag[:1]}".')
    authzid, sep, bare = rest.partition(",")
    if not sep:
        raise _malformed("Unexpected end of input.")
    if authzid:
        raise FeatureNotSupported(
            "client uses authorization identity, but it is not supported", severity="FATAL"
        )
    attrs = bare.split(",")
    if attrs[0].startswith("m="):
        raise FeatureNotSupported(
            "client requires an unsupported SCRAM extension", severity="FATAL")
    if len(attrs) < 2 or not attrs[0].startswith("n=") or not attrs[1].startswith("r="):
        raise _malformed("Expected attributes n= and r=.")
    nonce = attrs[1][2:]
    if not nonce or any(not (0x21 <= ord(c) <= 0x7E) for c in nonce):
        raise _malformed("Invalid client nonce.")
    return _ClientFirst(f"{flag},{authzid},", bare, nonce)


class ScramExchange:
    """SCRAM-SHA-256 (RFC 5802 / RFC 7677). ``verifier`` None runs a mock exchange that fails."""

    def __init__(
        self,
        user: str,
        verifier: ScramVerifier | None,
        random_bytes: RandomBytes,
        *,
        mock_salt: bytes = b"",
        server_nonce: str | None = None,
    ) -> None:
        self.user = user
        self._server_nonce = server_nonce  # fixed nonce for test vectors; random otherwise
        self.verifier = verifier
        self._random = random_bytes
        self._mock_salt = mock_salt
        if verifier is None and not mock_salt:
            self._mock_salt = random_bytes(SCRAM_SALT_LEN)
        self._first: _ClientFirst | None = None
        self._server_first = ""
        self._nonce = ""
        self._finished = False

    def start(self) -> AuthStep:
        return AuthStep((AuthenticationSASL((SCRAM_SHA_256,)),))

    def receive(self, message: PasswordMessage) -> AuthStep:
        if self._finished:
            raise ProtocolViolation("unexpected SASL message after authentication")
        if self._first is None:
            return self._receive_first(message)
        return self._receive_final(message.payload)

    def _receive_first(self, message: PasswordMessage) -> AuthStep:
        initial = parse_sasl_initial_response(message)
        if initial.mechanism != SCRAM_SHA_256:
            raise ProtocolViolation("client selected an invalid SASL authentication mechanism")
        if initial.data is None:
            raise _malformed("The message is empty.")
        self._first = _parse_client_first(_ascii(initial.data))
        salt, iterations = (
            (self.verifier.salt, self.verifier.iterations)
            if self.verifier is not None
            else (self._mock_salt, SCRAM_ITERATIONS)
        )
        server_nonce = self._server_nonce or _b64(self._random(SCRAM_NONCE_LEN))
        self._nonce = self._first.nonce + server_nonce
        self._server_first = f"r={self._nonce},s={_b64(salt)},i={iterations}"
        return AuthStep((AuthenticationSASLContinue(self._server_first.encode("ascii")),))

    def _receive_final(self, payload: bytes) -> AuthStep:
        assert self._first is not None
        self._finished = True
        text = _ascii(payload)
        without_proof, sep, proof_b64 = text.rpartition(",p=")
        if not sep:
            raise _malformed("Could not find proof in client-final-message.")
        attrs = without_proof.split(",")
        if len(attrs) < 2 or not attrs[0].startswith("c=") or not attrs[1].startswith("r="):
            raise _malformed("Expected attributes c= and r=.")
        if _unb64(attrs[0][2:]) != self._first.gs2_header.encode("ascii"):
            raise ProtocolViolation("SCRAM channel binding check failed")
        if attrs[1][2:] != self._nonce:
            raise _malformed("Nonce does not match.")
        proof = _unb64(proof_b64)
        if len(proof) != hashlib.sha256().digest_size:
            raise _malformed("Malformed proof in client-final-message.")
        if self.verifier is None:
            raise authentication_failed(self.user)
        auth_message = f"{self._first.bare},{self._server_first},{without_proof}".encode("ascii")
        client_signature = _hmac(self.verifier.stored_key, auth_message)
        client_key = bytes(a ^ b for a, b in zip(proof, client_signature, strict=True))
        if not hmac.compare_digest(hashlib.sha256(client_key).digest(), self.verifier.stored_key):
            raise authentication_failed(self.user)
        server_signature = _hmac(self.verifier.server_key, auth_message)
        final = f"v={_b64(server_signature)}".encode("ascii")
        return AuthStep((AuthenticationSASLFinal(final),), done=True)


def _ascii(data: bytes) -> str:
    try:
        return data.decode("ascii")
    except UnicodeDecodeError as exc:
        raise _malformed("Message is not ASCII.") from exc


# --------------------------------------------------------------------------------------------
# A ready-made authenticator
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Credential:
    """How one user logs in: a method and a secret (plaintext, 'md5...' or a SCRAM verifier)."""

    method: AuthMethod
    secret: str | None = None


class StaticAuthenticator:
    """Users and secrets supplied by the caller; unknown users fail like a wrong password."""

    def __init__(
        self,
        users: Mapping[str, Credential],
        *,
        random_bytes: RandomBytes = secrets.token_bytes,
    ) -> None:
        self._random = random_bytes
        self._mock_key = random_bytes(32)
        self._users: dict[str, Credential] = {}
        for user, cred in users.items():
            if (
                cred.method is AuthMethod.SCRAM_SHA_256
                and cred.secret is not None
                and not (_is_scram(cred.secret) or _is_md5(cred.secret))
            ):
                salt = random_bytes(SCRAM_SALT_LEN)
                cred = Credential(cred.method, scram_verifier(cred.secret, salt=salt))
            self._users[user] = cred

    def _mock_salt(self, user: str) -> bytes:
        return hashlib.sha256(self._mock_key + user.encode("utf-8")).digest()[:SCRAM_SALT_LEN]

    def begin(self, user: str, parameters: Mapping[str, str]) -> AuthExchange:
        cred = self._users.get(user)
        secret = None if cred is None else cred.secret
        if cred is not None and cred.method is AuthMethod.TRUST:
            return TrustExchange()
        if cred is not None and cred.method is AuthMethod.PASSWORD:
            return CleartextExchange(user, secret)
        if cred is not None and cred.method is AuthMethod.MD5 and secret and not _is_scram(secret):
            stored = secret if _is_md5(secret) else md5_hash(secret, user)
            return MD5Exchange(user, stored, self._random)
        # SCRAM, or md5 with a SCRAM secret (PostgreSQL then uses SCRAM too). Unknown users, and
        # users with no secret or only an md5 secret, get a mock exchange that always fails.
        if secret is not None and _is_scram(secret):
            return ScramExchange(user, ScramVerifier.parse(secret), self._random)
        return ScramExchange(user, None, self._random, mock_salt=self._mock_salt(user))


__all__ = [
    "SCRAM_ITERATIONS",
    "SCRAM_SHA_256",
    "AuthExchange",
    "AuthMethod",
    "AuthStep",
    "Authenticator",
    "CleartextExchange",
    "Credential",
    "LocalOnly",
    "MD5Exchange",
    "Refused",
    "ScramExchange",
    "ScramVerifier",
    "StaticAuthenticator",
    "TrustExchange",
    "authentication_failed",
    "check_cleartext",
    "is_local",
    "md5_hash",
    "md5_response",
    "saslprep",
    "scram_verifier",
    "trust_from",
]


class ScramClient:
    """Client side of SCRAM-SHA-256 without channel binding (RFC 5802/7677), as a node or
    the proxy authenticates itself to a server: ``first()``, then ``final(server_first)``,
    then ``verify(server_final)``, each taking and returning the SASL message bytes."""

    def __init__(self, password: str, nonce: str | None = None) -> None:
        self.password = password
        self.nonce = nonce or _b64(secrets.token_bytes(18))
        self._first_bare = f"n=,r={self.nonce}"
        self._server_signature = b""

    def first(self) -> bytes:
        return f"n,,{self._first_bare}".encode()

    def final(self, server_first: bytes) -> bytes:
        text = server_first.decode("utf-8")
        fields = dict(item.split("=", 1) for item in text.split(","))
        nonce, salt, iterations = fields.get("r", ""), fields.get("s", ""), fields.get("i", "")
        if not nonce.startswith(self.nonce) or not salt or not iterations.isdigit():
            raise _malformed("invalid SCRAM server-first-message")
        salted = hashlib.pbkdf2_hmac("sha256", saslprep(self.password).encode("utf-8"),
                                     _unb64(salt), int(iterations))
        client_key = _hmac(salted, b"Client Key")
        without_proof = f"c=biws,r={nonce}"
        message = f"{self._first_bare},{text},{without_proof}".encode()
        signature = _hmac(hashlib.sha256(client_key).digest(), message)
        proof = bytes(a ^ b for a, b in zip(client_key, signature, strict=True))
        self._server_signature = _hmac(_hmac(salted, b"Server Key"), message)
        return f"{without_proof},p={_b64(proof)}".encode()

    def verify(self, server_final: bytes) -> None:
        """Raises unless the server proved it knows the password too."""
        text = server_final.decode("utf-8")
        if not text.startswith("v=") or not hmac.compare_digest(
                _unb64(text[2:]), self._server_signature):
            raise InvalidAuthorizationSpecification("the server's SCRAM signature does not match")
