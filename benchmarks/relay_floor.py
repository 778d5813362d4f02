"""The floor of a Python proxy: a byte-for-byte TCP relay on uvloop, nothing else.

`benchmarks/proxy_postgres.py` runs it beside PgBouncer and `pgha proxy` as a reference: it
understands nothing of the PostgreSQL protocol (no routing, no pooling, no parsing), so its CPU
time per transaction is what any proxy written in Python on asyncio protocols pays at least
for moving the bytes (the event loop and the socket system calls).

    python benchmarks/relay_floor.py LISTEN_PORT TARGET_HOST:TARGET_PORT [READY_FILE]

LISTEN_PORT 0 takes a free port; READY_FILE, when given, receives {"port": N} once listening.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import cast

import uvloop


class Side(asyncio.Protocol):
    """One end of a relayed connection; what it receives goes out of the other end."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.peer: Side | None = None
        self.pending: list[bytes] = []  # received before the other end was connected
        self.connecting: asyncio.Task[None] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass

    def data_received(self, data: bytes) -> None:
        peer = self.peer
        if peer is not None and peer.transport is not None:
            peer.transport.write(data)
        else:
            self.pending.append(data)

    def connection_lost(self, exc: Exception | None) -> None:
        if self.peer is not None and self.peer.transport is not None:
            self.peer.transport.close()


async def serve(listen_port: int, host: str, port: int, ready: Path | None) -> None:
    loop = asyncio.get_running_loop()

    def client_side() -> Side:
        client = Side()

        async def connect() -> None:
            try:
                _, server = await loop.create_connection(Side, host, port)
            except OSError:
                if client.transport is not None:
                    client.transport.close()
                return
            server.peer, client.peer = client, server
            assert server.transport is not None
            for data in client.pending:
                server.transport.write(data)
            client.pending.clear()

        client.connecting = loop.create_task(connect())
        return client

    listener = await loop.create_server(client_side, "127.0.0.1", listen_port)
    if ready is not None:
        ready.write_text(json.dumps({"port": listener.sockets[0].getsockname()[1]}))
    await listener.serve_forever()


def main() -> None:
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__)
    host, _, port = sys.argv[2].rpartition(":")
    uvloop.run(serve(int(sys.argv[1]), host, int(port),
                     Path(sys.argv[3]) if len(sys.argv) == 4 else None))


if __name__ == "__main__":
    main()
