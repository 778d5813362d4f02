"""A TCP listener that hands each accepted connection to a handler task.

It signals readiness only once the socket really listens (``start`` returns after bind), reads
the bound address back (so port 0 works), keeps every connection task owned by the listener,
and cancels them on close.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Awaitable, Callable

from pgha.net import streams
from pgha.wire.errors import os_reason

log = logging.getLogger("pgha.listener")
Handler = Callable[[streams.RelayReader, asyncio.StreamWriter], Awaitable[None]]


class Listener:
    def __init__(self, handler: Handler, host: str, port: int) -> None:
        self.handler = handler
        self.host = host
        self.port = port
        self.server: asyncio.Server | None = None
        self.tasks: set[asyncio.Task[None]] = set()
        self.address: tuple[str, int] = (host, port)

    async def start(self) -> None:
        try:
            self.server = await streams.start_server(self._accept, self.host, self.port)
        except OSError as exc:
            raise OSError(exc.errno, f"could not listen on {self.host}:{self.port}: "
                          f"{os_reason(exc)}") from exc
        sock = self.server.sockets[0]
        addr = sock.getsockname()
        self.address = (addr[0], addr[1])

    async def _accept(self, reader: streams.RelayReader, writer: asyncio.StreamWriter) -> None:
        sock = writer.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        task = asyncio.current_task()
        assert task is not None
        self.tasks.add(task)
        try:
            await self.handler(reader, writer)
        except asyncio.CancelledError:
            # close() cancelled it (shutdown). End the task normally: asyncio's stream server
            # logs a handler task that ends cancelled as an error.
            return
        except Exception:
            log.exception("connection handler failed")
        finally:
            self.tasks.discard(task)

    async def wait_closed(self) -> None:
        assert self.server is not None
        await self.server.serve_forever()

    async def close(self) -> None:
        if self.server is not None:
            self.server.close()
        for task in list(self.tasks):
            task.cancel()
        if self.tasks:
            await asyncio.gather(*self.tasks, return_exceptions=True)

