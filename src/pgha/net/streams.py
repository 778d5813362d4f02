"""asyncio streams whose incoming bytes a relay can take as they arrive.

A relay that reads with ``await reader.read()`` wakes a task for every read: on a proxy that
is most of what a short statement costs. A ``RelayReader`` is an ``asyncio.StreamReader`` that
hands its data to a ``Sink`` instead, in the protocol's ``data_received`` callback, while one is
attached: the relay does its work there, with no task woken. With no sink attached it is an
ordinary StreamReader (start-up, authentication and idle pooled connections read as usual).
``open_connection`` and ``start_server`` are asyncio's, with a RelayReader on each connection.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Protocol

LIMIT = 1 << 20  # bytes a StreamReader buffers before it pauses reading (no sink attached)


class Sink(Protocol):
    def take(self, data: bytes) -> int:
        """Bytes just received, in order; returns how many of them it handled. The reader
        buffers the rest, and everything after it until ``read`` has taken it, as usual."""

    def ended(self, exc: Exception | None) -> None:
        """The peer closed the connection (``exc`` None) or it failed."""


class RelayReader(asyncio.StreamReader):
    sink: Sink | None = None
    _interrupted = False
    peer_closed = False  # the end of the stream arrived (bytes before it may be unread)

    def attach(self, sink: Sink) -> None:
        """From now on ``sink`` takes the bytes; those already buffered go to it first."""
        self.sink = sink
        held = bytes(self._buffer)  # type: ignore[attr-defined]
        if held:
            self._buffer.clear()  # type: ignore[attr-defined]
            self._maybe_resume_transport()  # type: ignore[attr-defined]
            self.feed_data(held)
        if self.at_eof() or self.exception() is not None:  # closed or failed before
            self.sink = None
            sink.ended(self.exception())

    def detach(self) -> None:
        self.sink = None

    def retransport(self, transport: asyncio.BaseTransport) -> None:
        """TLS started on the connection (StreamWriter.start_tls): flow control now pauses
        the TLS transport."""
        self._transport = transport

    def interrupt(self) -> None:
        """Wake the task waiting in ``read``: it returns b"" and ``interrupted`` says why."""
        self._interrupted = True
        self._wakeup_waiter()  # type: ignore[attr-defined]

    def interrupted(self) -> bool:
        """Was an empty read an interruption (not the end of the stream)? Resets it."""
        interrupted, self._interrupted = self._interrupted, False
        return interrupted and not self.at_eof()

    def feed_data(self, data: bytes) -> None:  # type: ignore[override]
        sink = self.sink
        if sink is not None and not self._buffer:  # type: ignore[attr-defined]
            taken = sink.take(data)
            if taken == len(data):
                return
            data = data[taken:]
        super().feed_data(data)

    def feed_eof(self) -> None:
        self.peer_closed = True
        super().feed_eof()
        sink = self.sink
        if sink is not None:
            self.sink = None
            sink.ended(None)

    def set_exception(self, exc: Exception) -> None:
        super().set_exception(exc)
        sink = self.sink
        if sink is not None:
            self.sink = None
            sink.ended(exc)


async def open_connection(host: str, port: int) -> tuple[RelayReader, asyncio.StreamWriter]:
    """``asyncio.open_connection`` with a RelayReader."""
    loop = asyncio.get_running_loop()
    reader = RelayReader(limit=LIMIT, loop=loop)
    protocol = asyncio.StreamReaderProtocol(reader, loop=loop)
    transport, _ = await loop.create_connection(lambda: protocol, host, port)
    return reader, asyncio.StreamWriter(transport, protocol, reader, loop)


Handler = Callable[[RelayReader, asyncio.StreamWriter], Awaitable[None]]


async def start_server(handler: Handler, host: str, port: int,
                       backlog: int = 512) -> asyncio.Server:
    """``asyncio.start_server`` with a RelayReader on each accepted connection."""
    loop = asyncio.get_running_loop()

    def factory() -> asyncio.StreamReaderProtocol:
        reader = RelayReader(limit=LIMIT, loop=loop)
        return asyncio.StreamReaderProtocol(reader, handler, loop=loop)  # type: ignore[arg-type]

    return await loop.create_server(factory, host, port, reuse_address=True, backlog=backlog)
