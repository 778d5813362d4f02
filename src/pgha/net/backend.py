"""A PostgreSQL-wire client connection to a backend (the primary node, or a PostgreSQL server)
that a router forwards a client's messages over.

``BackendConnection.connect`` opens the socket, sends the StartupMessage, authenticates
(trust, cleartext, md5 or SCRAM-SHA-256 with the password it was given) and reads up to the
first ReadyForQuery, keeping the server's parameters and its cancel key. Afterwards the router
buffers frontend messages with ``send`` and writes them all at once with ``drain``; it reads
decoded backend messages with ``receive``, or raw bytes with ``read_raw`` (a relay).
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import sys
from typing import Any

from pgha.net import streams
from pgha.net.tls import ClientTls
from pgha.wire import codec
from pgha.wire import messages as m
from pgha.wire.auth import ScramClient, md5_response
from pgha.wire.errors import InvalidPassword, PgError

_VALUES: dict[str, str] = {}


def _shared_value(value: str) -> str:
    """One string object per distinct parameter value (server_version, DateStyle...): every
    connection reports the same dozen, and a proxy holds thousands of connections."""
    if len(_VALUES) < 4096:
        return _VALUES.setdefault(value, value)
    return _VALUES.get(value, value)


class BackendError(ConnectionError):
    """The backend could not be reached, refused the login, or closed the connection."""


class BackendConnection:
    def __init__(self, reader: streams.RelayReader, writer: asyncio.StreamWriter,
                 host: str, port: int) -> None:
        self.reader = reader
        self.writer = writer
        self.host, self.port = host, port
        self.decoder = codec.BackendDecoder()
        self.parameters: dict[str, str] = {}
        self.pid = 0
        self.secret = 0
        self.status = "I"  # transaction status of the last ReadyForQuery
        self.out = bytearray()  # frontend messages not written yet
        self.prepared: set[str] = set()  # named statements prepared on this connection
        self.parsed: set[str] = set()  # names a Parse ever used here (a Close goes first)
        self.applied: dict[str, str] = {}  # session settings run here (key -> SET text)

    def alive(self) -> bool:
        """Not closed by either side, as far as the event loop has seen (an idle connection
        the server ended may still hold its last words: a FATAL error)."""
        reader = self.reader
        return not (self.writer.is_closing() or reader.peer_closed
                    or reader.exception() is not None)

    @classmethod
    async def connect(cls, host: str, port: int, user: str, database: str,
                      password: str | None = None, params: dict[str, str] | None = None,
                      timeout: float = 5.0, tls: ClientTls | None = None) -> BackendConnection:
        try:
            async with asyncio.timeout(timeout):
                reader, writer = await streams.open_connection(host, port)
        except (OSError, TimeoutError) as exc:
            raise BackendError(f"could not connect to {host}:{port}: {exc}") from exc
        conn = cls(reader, writer, host, port)
        try:
            async with asyncio.timeout(timeout):
                if tls is not None:
                    await conn._start_tls(tls)
                await conn._startup(user, database, password, params or {})
        except BaseException:
            conn.close()
            raise
        return conn

    async def _start_tls(self, tls: ClientTls) -> None:
        """SSLRequest; on 'S' the TLS handshake (the server's certificate checked as
        ``tls.context`` says), on 'N' plain text unless TLS is required."""
        self.writer.write(codec.encode(m.SSLRequest()))
        await self.writer.drain()
        try:
            answer = await self.reader.readexactly(1)
        except asyncio.IncompleteReadError as exc:
            raise BackendError(f"{self.host}:{self.port} closed the connection") from exc
        if answer == b"S":
            try:
                await self.writer.start_tls(tls.context, server_hostname=self.host)
            except (ssl.SSLError, ssl.CertificateError) as exc:
                raise BackendError(f"TLS with {self.host}:{self.port} failed: "
                                   f"{getattr(exc, 'verify_message', '') or exc}") from exc
            self.reader.retransport(self.writer.transport)
        elif answer != b"N":
            raise BackendError(f"{self.host}:{self.port} answered {answer!r} to SSLRequest")
        elif tls.required:
            raise BackendError(f"{self.host}:{self.port} does not accept TLS, which is "
                               "required")

    async def _startup(self, user: str, database: str, password: str | None,
                       params: dict[str, str]) -> None:
        startup = {"user": user, "database": database, **params}
        self.send(m.StartupMessage(params=tuple(startup.items())))
        scram: ScramClient | None = None
        while True:
            await self.drain()
            message = await self.receive()
            if isinstance(message, m.AuthenticationOk):
                continue
            if isinstance(message, m.AuthenticationCleartextPassword):
                self.send(m.password_message(self._need(password)))
            elif isinstance(message, m.AuthenticationMD5Password):
                self.send(m.password_message(
                    md5_response(self._need(password), user, message.salt)))
            elif isinstance(message, m.AuthenticationSASL):
                if "SCRAM-SHA-256" not in message.mechanisms:
                    raise BackendError(f"unsupported SASL mechanisms {message.mechanisms}")
                scram = ScramClient(self._need(password))
                self.send(m.SASLInitialResponse("SCRAM-SHA-256", scram.first()))
            elif isinstance(message, m.AuthenticationSASLContinue):
                assert scram is not None
                self.send(m.SASLResponse(scram.final(message.data)))
            elif isinstance(message, m.AuthenticationSASLFinal):
                assert scram is not None
                scram.verify(message.data)
            elif isinstance(message, m.ParameterStatus):
                self.parameters[sys.intern(message.name)] = _shared_value(message.value)
            elif isinstance(message, m.BackendKeyData):
                self.pid, self.secret = message.pid, message.secret
            elif isinstance(message, m.ErrorResponse):
                raise PgError(message.fields.get("C", "08006"),
                              message.fields.get("M", "backend refused the connection"),
                              severity="FATAL")
            elif isinstance(message, m.ReadyForQuery):
                self.status = message.status
                return

    @staticmethod
    def _need(password: str | None) -> str:
        if password is None:
            raise InvalidPassword("the backend asks for a password and none is configured",
                                  severity="FATAL")
        return password

    def send(self, message: Any) -> None:
        """Buffer one message; ``drain`` writes the buffer."""
        self.out += codec.encode(message)

    def send_raw(self, data: bytes) -> None:
        self.out += data

    def write_out(self) -> None:
        """Write what is buffered (one system call for many messages), without waiting."""
        if not self.out:
            return
        if self.writer.is_closing():  # uvloop raises RuntimeError on a closed transport
            raise BackendError(f"connection to {self.host}:{self.port} lost")
        self.writer.write(bytes(self.out))
        self.out.clear()

    async def drain(self) -> None:
        """Write what is buffered and wait until the socket takes it."""
        self.write_out()
        try:
            await self.writer.drain()
        except OSError as exc:  # ConnectionResetError, BrokenPipeError...
            raise BackendError(f"connection to {self.host}:{self.port} lost: {exc}") from exc

    async def read_raw(self) -> bytes:
        """The next bytes from the server, starting with any the decoder still holds."""
        held = self.decoder.take_buffered()
        if held:
            return held
        try:
            data = await self.reader.read(1 << 16)
        except OSError as exc:
            raise BackendError(f"connection to {self.host}:{self.port} lost: {exc}") from exc
        if not data:
            raise BackendError(f"{self.host}:{self.port} closed the connection")
        return data

    def poll(self) -> Any:
        """The next message already received, or None."""
        message = self.decoder.next_message()
        if isinstance(message, m.ReadyForQuery):
            self.status = message.status
        return message

    async def receive(self) -> Any:
        """The next backend message; raises BackendError when the connection ends."""
        while True:
            message = self.poll()
            if message is not None:
                return message
            try:
                data = await self.reader.read(1 << 16)
            except OSError as exc:
                raise BackendError(f"connection to {self.host}:{self.port} lost: {exc}") \
                    from exc
            if not data:
                raise BackendError(f"{self.host}:{self.port} closed the connection")
            self.decoder.feed(data)

    async def query(self, sql: str) -> tuple[list[str], list[tuple[str | None, ...]]]:
        """Run a simple query and return (column names, rows as text; None for NULL). Raises
        PgError with the server's SQLSTATE when the query fails."""
        self.send(m.Query(sql))
        await self.drain()
        columns: list[str] = []
        rows: list[tuple[str | None, ...]] = []
        error: m.ErrorResponse | None = None
        while True:
            message = await self.receive()
            if isinstance(message, m.DataRow):
                rows.append(tuple(None if v is None else bytes(v).decode()
                                  for v in message.values))
            elif isinstance(message, m.RowDescription):
                columns = [f.name for f in message.fields]
            elif isinstance(message, m.ErrorResponse):
                error = message
            elif isinstance(message, m.ReadyForQuery):
                if error is not None:
                    raise PgError(error.sqlstate or "XX000", error.fields.get("M", "error"))
                return columns, rows

    async def cancel(self) -> None:
        """Send a CancelRequest for whatever this backend runs (on a new connection)."""
        with contextlib.suppress(OSError):
            _, writer = await asyncio.open_connection(self.host, self.port)
            writer.write(codec.encode(m.CancelRequest(self.pid, self.secret)))
            await writer.drain()
            writer.close()

    def close(self) -> None:
        with contextlib.suppress(OSError, RuntimeError):
            self.writer.write(codec.encode(m.Terminate()))
        self.writer.close()
