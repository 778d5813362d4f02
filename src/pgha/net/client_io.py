"""The client side of a session (a node's or the proxy's): the sans-IO ``ServerConnection``
over an asyncio stream, with an output buffer flushed in one write."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
from typing import Any

from pgha.net.streams import RelayReader
from pgha.routing.router import RouteCounts
from pgha.wire import codec
from pgha.wire import messages as m
from pgha.wire.connection import NEED_DATA, ServerConnection
from pgha.wire.errors import PgError

log = logging.getLogger("pgha.client")
_HIGH_WATER = 1 << 16  # bytes queued for the client before a relay pauses its source


class ClientWire:
    # Slots: a proxy holds thousands of idle sessions, and past 30 attributes an instance
    # dictionary no longer shares its keys (1.5 KB per session).
    __slots__ = ("__weakref__", "_paused", "_resuming", "conn", "counts", "last_event", "out",
                 "parked", "reader", "tls", "writer")

    def __init__(self, conn: ServerConnection, reader: asyncio.StreamReader,
                 writer: asyncio.StreamWriter) -> None:
        self.conn = conn
        self.reader = reader
        self.writer = writer
        self.out = bytearray()
        self.last_event: Any = None  # the message next_event returned last
        self._paused: list[asyncio.ReadTransport] = []  # sources waiting for the client (push)
        self.parked = False  # waiting in next_event for the client's next bytes
        self._resuming: asyncio.Future[None] | None = None
        self.counts: RouteCounts | None = None  # errors sent to the client are counted here
        self.tls: ssl.SSLContext | None = None  # set with tls_available=True on the connection

    def send(self, message: Any) -> None:
        if type(message) is m.ErrorResponse and self.counts is not None:
            self.counts.error(message.sqlstate or "XX000")
        self.out += self.conn.send(message)

    def send_raw(self, data: bytes | memoryview) -> None:
        self.out += data

    def frame_of(self, message: Any) -> bytes | None:
        """The client's own bytes for ``message``, if it is the message just received
        unchanged (a relay forwards them as they are)."""
        return self.conn.last_frame() if message is self.last_event else None

    def relay(self, data: bytes | memoryview, effects: list[Any]) -> None:
        """Frames another server sent, passed on as they are; ``effects`` are the decoded
        ones among them that change the connection's state (see ServerConnection.relayed)."""
        for message in effects:
            if type(message) is m.ErrorResponse and self.counts is not None:
                self.counts.error(message.sqlstate or "XX000")
            self.conn.relayed(message)
        self.out += data

    async def before_wait(self) -> None:
        """Called before the session waits for more client input: a relaying session sends
        what it has buffered for its backends (one write per backend per client read)."""

    async def flush(self) -> None:
        pending = self.conn.data_to_send()
        if pending:
            self.out[:0] = pending
        if self.out and not self.writer.is_closing():
            self.writer.write(bytes(self.out))
            self.out.clear()
            await self.writer.drain()

    def write_now(self) -> bool:
        """Write what is buffered now, without waiting; False if there was nothing to write
        (or the connection is closing)."""
        pending = self.conn.data_to_send()
        if pending:
            self.out[:0] = pending
        writer = self.writer
        if not self.out or writer.is_closing():
            return False
        writer.write(bytes(self.out))
        self.out.clear()
        return True

    def push(self, source: asyncio.ReadTransport) -> None:
        """Write what is buffered now, without waiting (a relay, in the callback that received
        it from ``source``). While the client has not taken the bytes written so far (more than
        the transport's high-water mark is queued), reading ``source`` pauses."""
        if not self.write_now():
            return
        writer = self.writer
        if writer.transport.get_write_buffer_size() > _HIGH_WATER and source.is_reading():
            source.pause_reading()
            self._paused.append(source)
            if len(self._paused) == 1:
                self._resuming = asyncio.ensure_future(self._resume_when_drained())

    async def _resume_when_drained(self) -> None:
        with contextlib.suppress(ConnectionError, OSError, RuntimeError):
            await self.writer.drain()
        paused, self._paused = self._paused, []
        for source in paused:
            if not source.is_closing():
                source.resume_reading()

    async def next_event(self) -> Any:
        """The client's next message or event; None at end of stream."""
        while True:
            event = self.conn.next_event()
            if type(event) is m.SSLRequest:  # only when self.tls: answered 'S'
                if not await self._start_tls():
                    return None
                continue
            if event is not NEED_DATA:
                self.last_event = event
                return event
            pending = self.conn.data_to_send()
            if pending:
                self.writer.write(pending)
                await self.writer.drain()
            await self.before_wait()
            # Waiting, with nothing received and not handled: a sink on the reader (the proxy's
            # fast path) may handle what comes next without waking this task.
            self.parked = not self.conn.buffered
            try:
                data = await self.reader.read(65536)
            finally:
                self.parked = False
            if not data:
                if isinstance(self.reader, RelayReader) and self.reader.interrupted():
                    continue  # woken to do its work (before_wait)
                return None
            self.conn.receive_data(data)

    async def _start_tls(self) -> bool:
        """The client asked for TLS and was told 'S': the handshake, on the same socket.
        False if it failed (the client went away or did not speak TLS)."""
        assert self.tls is not None
        self.writer.write(self.conn.data_to_send())
        try:
            await self.writer.drain()
            await self.writer.start_tls(self.tls)
        except (ssl.SSLError, ConnectionError, OSError) as exc:
            log.info("TLS handshake failed: %s", exc)
            return False
        if isinstance(self.reader, RelayReader):
            self.reader.retransport(self.writer.transport)
        return True

    def terminate(self, error: PgError) -> None:
        """End the connection now with a FATAL ``error``: the client gets it, and the
        session's loop ends at the closed stream."""
        with contextlib.suppress(ConnectionError, OSError, RuntimeError):
            if not self.writer.is_closing():
                self.writer.write(codec.encode(m.ErrorResponse.from_error(error)))
        self.writer.close()
        self.reader.feed_eof()
