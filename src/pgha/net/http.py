"""A small HTTP/1.1 server for the REST API of nodes and the proxy (health checks, metrics).

The protocol is h11's (sans-IO: bytes in, events out); this module only moves bytes. Each
request is handed to an ``async handler(Request) -> Response``; connections are kept alive as
HTTP/1.1 allows, a request body is read whole (bounded by ``MAX_BODY``), and a malformed request
gets a 400 and the connection closed. Callers are load balancers and probes: every reply is
small and complete, so there is no streaming.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs, urlsplit

import h11

from pgha.net.listener import Listener

log = logging.getLogger("pgha.http")

MAX_BODY = 64 * 1024
READ_TIMEOUT = 30.0  # an idle keep-alive connection is closed after this


@dataclass(frozen=True, slots=True)
class Request:
    method: str
    path: str
    query: dict[str, str]
    body: bytes = b""


@dataclass(frozen=True, slots=True)
class Response:
    status: int
    body: bytes = b""
    content_type: str = "text/plain; charset=utf-8"
    headers: tuple[tuple[str, str], ...] = field(default=())

    @classmethod
    def json(cls, status: int, value: Any) -> Response:
        return cls(status, json.dumps(value, indent=1).encode() + b"\n", "application/json")

    @classmethod
    def text(cls, status: int, text: str) -> Response:
        return cls(status, text.encode() if text.endswith("\n") else (text + "\n").encode())


Handler = Callable[[Request], Awaitable[Response]]


def parse_request_target(method: str, target: str, body: bytes = b"") -> Request:
    parts = urlsplit(target)
    query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
    return Request(method.upper(), parts.path.rstrip("/") or "/", query, body)


class HttpServer:
    def __init__(self, handler: Handler, host: str, port: int) -> None:
        self.handler = handler
        self.listener = Listener(self._serve, host, port)

    @property
    def address(self) -> tuple[str, int]:
        return self.listener.address

    async def start(self) -> None:
        await self.listener.start()

    async def close(self) -> None:
        await self.listener.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        conn = h11.Connection(h11.SERVER, max_incomplete_event_size=16 * 1024)
        try:
            while await self._one(conn, reader, writer):
                conn.start_next_cycle()
        except (ConnectionError, TimeoutError, h11.ProtocolError):
            pass
        finally:
            writer.close()

    async def _one(self, conn: h11.Connection, reader: asyncio.StreamReader,
                   writer: asyncio.StreamWriter) -> bool:
        """Serve one request; False when the connection is done."""
        request: h11.Request | None = None
        body = bytearray()
        while True:
            try:
                event = conn.next_event()
            except h11.RemoteProtocolError as exc:
                if conn.their_state is not h11.ERROR or conn.our_state is not h11.IDLE:
                    return False
                await self._send(conn, writer, Response.text(exc.error_status_hint,
                                                             f"bad request: {exc}"))
                return False
            if event is h11.NEED_DATA:
                async with asyncio.timeout(READ_TIMEOUT):
                    data = await reader.read(16 * 1024)
                conn.receive_data(data)
                if not data and conn.their_state is h11.IDLE:
                    return False
            elif isinstance(event, h11.Request):
                request = event
            elif isinstance(event, h11.Data):
                body += event.data
                if len(body) > MAX_BODY:
                    await self._send(conn, writer, Response.text(413, "request body too large"))
                    return False
            elif isinstance(event, h11.EndOfMessage):
                break
            else:  # ConnectionClosed
                return False
        assert request is not None
        parsed = parse_request_target(request.method.decode("ascii", "replace"),
                                      request.target.decode("ascii", "replace"), bytes(body))
        try:
            response = await self.handler(parsed)
        except Exception:
            log.exception("HTTP %s %s failed", parsed.method, parsed.path)
            response = Response.text(500, "internal error")
        await self._send(conn, writer, response, head=parsed.method == "HEAD")
        return conn.our_state is h11.DONE and conn.their_state is h11.DONE

    @staticmethod
    async def _send(conn: h11.Connection, writer: asyncio.StreamWriter, response: Response,
                    head: bool = False) -> None:
        headers = [("Content-Type", response.content_type),
                   ("Content-Length", str(len(response.body))), *response.headers]
        reason = HTTPStatus(response.status).phrase.encode()
        data = conn.send(h11.Response(status_code=response.status, headers=headers,
                                      reason=reason)) or b""
        if not head:
            data += conn.send(h11.Data(data=response.body)) or b""
        data += conn.send(h11.EndOfMessage()) or b""
        writer.write(data)
        await writer.drain()
