"""The client side of a session (a node's or the proxy's): the sans-IO ``ServerConnection``
over an asyncio stream, with an output buffer flushed in one write."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from pgha.wire import codec
from pgha.wire import messages as m
from pgha.wire.connection import NEED_DATA, ServerConnection
from pgha.wire.errors import PgError


class ClientWire:
    def __init__(self, conn: ServerConnection, reader: asyncio.StreamReader,
                 writer: asyncio.StreamWriter) -> None:
        self.conn = conn
        self.reader = reader
        self.writer = writer
        self.out = bytearray()
        self.last_event: Any = None  # the message next_event returned last

    def send(self, message: Any) -> None:
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

    async def next_event(self) -> Any:
        """The client's next message or event; None at end of stream."""
        while True:
            event = self.conn.next_event()
            if event is not NEED_DATA:
                self.last_event = event
                return event
            pending = self.conn.data_to_send()
            if pending:
                self.writer.write(pending)
                await self.writer.drain()
            await self.before_wait()
            data = await self.reader.read(65536)
            if not data:
                return None
            self.conn.receive_data(data)

    def terminate(self, error: PgError) -> None:
        """End the connection now with a FATAL ``error``: the client gets it, and the
        session's loop ends at the closed stream."""
        with contextlib.suppress(ConnectionError, OSError, RuntimeError):
            if not self.writer.is_closing():
                self.writer.write(codec.encode(m.ErrorResponse.from_error(error)))
        self.writer.close()
        self.reader.feed_eof()
