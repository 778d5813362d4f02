"""The replication channel on a connection the peer has reset (uvloop, as the server runs)."""

from __future__ import annotations

import asyncio
import socket
import struct

import pytest
import uvloop

from pgha.replication import protocol as p
from pgha.replication.channel import Channel, ChannelClosed


def test_send_on_a_reset_connection_raises_channel_closed() -> None:
    async def scenario() -> None:
        accepted: asyncio.Future[socket.socket] = asyncio.get_running_loop().create_future()

        async def on_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            sock = writer.get_extra_info("socket")
            # SO_LINGER 0: close() sends RST, the way a cut link or killed peer looks.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            writer.transport.abort()
            accepted.set_result(sock)

        server = await asyncio.start_server(on_connect, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        channel = Channel(reader, writer)
        await accepted
        with pytest.raises(ConnectionError):  # reset or closed, depending on timing
            await channel.receive(timeout=5)
        # A standby still holding buffered frames answers them after the reset: the answer
        # must fail as a closed channel, not as uvloop's RuntimeError.
        with pytest.raises(ChannelClosed):
            for _ in range(3):
                await channel.send(p.StandbyStatus(1, 1, 1, 0, False))
                await asyncio.sleep(0.01)
        await channel.close()
        server.close()
        await server.wait_closed()

    uvloop.run(scenario())
