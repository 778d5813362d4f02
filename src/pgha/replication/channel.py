"""The asyncio shell around the replication frames: send a message, wait for the next one."""

from __future__ import annotations

import asyncio
import contextlib

from pgha.replication.protocol import FrameDecoder, Message, encode


class ChannelClosed(ConnectionError):
    """The peer closed the replication connection."""


class Channel:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                 compress: bool = True) -> None:
        self.reader = reader
        self.writer = writer
        self.compress = compress
        self.decoder = FrameDecoder()

    @property
    def peer(self) -> str:
        info = self.writer.get_extra_info("peername")
        return f"{info[0]}:{info[1]}" if info else "?"

    async def send(self, message: Message) -> int:
        """Write one frame; waits while the peer's receive window is full (backpressure).
        Returns the frame's size on the wire."""
        frame = encode(message, compress=self.compress)
        if self.writer.is_closing():
            # The connection was reset while buffered frames were still being read; uvloop
            # raises RuntimeError on a write to a closed transport, which is just this.
            raise ChannelClosed(f"replication connection to {self.peer} is closed")
        self.writer.write(frame)
        await self.writer.drain()
        return len(frame)

    async def receive(self, timeout: float | None = None) -> Message:
        while True:
            message = self.decoder.next_message()
            if message is not None:
                return message
            async with asyncio.timeout(timeout):
                data = await self.reader.read(1 << 16)
            if not data:
                raise ChannelClosed(f"replication peer {self.peer} closed the connection")
            self.decoder.feed(data)

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(ConnectionError, OSError):
            await self.writer.wait_closed()
