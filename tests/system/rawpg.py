"""A minimal blocking PostgreSQL v3 client over a raw socket, for feeding a server bytes that no
real driver would send. It knows just enough framing to read the server's answers.

Backend message = type byte, int32 length (including itself), body. Only the messages the tests
look at are decoded: ErrorResponse/NoticeResponse fields, ReadyForQuery status, CommandComplete
tags, DataRow text values, BackendKeyData, NegotiateProtocolVersion.
"""

from __future__ import annotations

import socket
import struct
import time
from dataclasses import dataclass, field

PROTOCOL_3_0 = 196608  # (3 << 16) | 0
CANCEL_REQUEST_CODE = 80877102
SSL_REQUEST_CODE = 80877103


@dataclass(frozen=True, slots=True)
class Message:
    kind: bytes
    body: bytes

    def fields(self) -> dict[str, str]:
        """ErrorResponse/NoticeResponse body as {field code: value}."""
        out: dict[str, str] = {}
        for part in self.body.split(b"\x00"):
            if part:
                out[chr(part[0])] = part[1:].decode("utf-8", "replace")
        return out


class ConnectionClosed(Exception):
    """The server closed the connection (EOF or reset)."""


@dataclass
class RawClient:
    host: str
    port: int
    timeout: float = 10.0
    sock: socket.socket = field(init=False)
    _buffer: bytes = b""

    def __post_init__(self) -> None:
        self.sock = socket.create_connection((self.host, self.port), timeout=self.timeout)

    def close(self) -> None:
        self.sock.close()

    def __enter__(self) -> RawClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- sending ---------------------------------------------------------------------------

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def send_startup(
        self, params: dict[str, str] | None = None, protocol: int = PROTOCOL_3_0
    ) -> None:
        params = params if params is not None else {"user": "postgres", "database": "postgres"}
        body = struct.pack("!I", protocol)
        for key, value in params.items():
            body += key.encode() + b"\x00" + value.encode() + b"\x00"
        body += b"\x00"
        self.send(struct.pack("!I", len(body) + 4) + body)

    def send_message(self, kind: bytes, body: bytes) -> None:
        self.send(kind + struct.pack("!I", len(body) + 4) + body)

    def send_query(self, sql: str) -> None:
        self.send_message(b"Q", sql.encode() + b"\x00")

    # -- receiving -------------------------------------------------------------------------

    def _fill(self, deadline: float) -> None:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("no complete message from the server in time")
        self.sock.settimeout(remaining)
        try:
            chunk = self.sock.recv(65536)
        except ConnectionResetError as exc:
            raise ConnectionClosed("connection reset") from exc
        if not chunk:
            raise ConnectionClosed("EOF")
        self._buffer += chunk

    def read_byte(self, timeout: float | None = None) -> bytes:
        """One untyped byte (the answer to SSLRequest)."""
        deadline = time.monotonic() + (timeout or self.timeout)
        while not self._buffer:
            self._fill(deadline)
        byte, self._buffer = self._buffer[:1], self._buffer[1:]
        return byte

    def read_message(self, timeout: float | None = None) -> Message:
        deadline = time.monotonic() + (timeout or self.timeout)
        while len(self._buffer) < 5:
            self._fill(deadline)
        (length,) = struct.unpack("!I", self._buffer[1:5])
        while len(self._buffer) < 1 + length:
            self._fill(deadline)
        message = Message(self._buffer[:1], self._buffer[5 : 1 + length])
        self._buffer = self._buffer[1 + length :]
        return message

    def read_until(self, kinds: bytes, timeout: float | None = None) -> list[Message]:
        """Messages up to and including the first whose type is in `kinds`."""
        out: list[Message] = []
        while True:
            message = self.read_message(timeout)
            out.append(message)
            if message.kind in kinds:
                return out

    def read_until_closed(self, timeout: float | None = None) -> list[Message]:
        """Every message until the server closes the connection."""
        out: list[Message] = []
        try:
            while True:
                out.append(self.read_message(timeout))
        except ConnectionClosed:
            return out

    # -- conveniences ----------------------------------------------------------------------

    def startup(self, params: dict[str, str] | None = None) -> tuple[int, int]:
        """Trust-auth startup to ReadyForQuery; returns BackendKeyData (pid, secret)."""
        self.send_startup(params)
        key = (0, 0)
        for message in self.read_until(b"ZE"):
            if message.kind == b"E":
                raise AssertionError(f"startup failed: {message.fields()}")
            if message.kind == b"K":
                key = struct.unpack("!II", message.body)
        return key

    def simple_query(self, sql: str) -> list[Message]:
        self.send_query(sql)
        return self.read_until(b"Z")


def data_rows(messages: list[Message]) -> list[tuple[str | None, ...]]:
    rows = []
    for message in messages:
        if message.kind != b"D":
            continue
        (count,) = struct.unpack("!H", message.body[:2])
        pos = 2
        values: list[str | None] = []
        for _ in range(count):
            (size,) = struct.unpack("!i", message.body[pos : pos + 4])
            pos += 4
            if size < 0:
                values.append(None)
            else:
                values.append(message.body[pos : pos + size].decode())
                pos += size
        rows.append(tuple(values))
    return rows


def errors(messages: list[Message]) -> list[dict[str, str]]:
    return [m.fields() for m in messages if m.kind == b"E"]
