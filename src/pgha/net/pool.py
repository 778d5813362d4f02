"""Backend connections kept for reuse across client sessions (session pooling).

A client session takes a connection for a node, user, database and start-up options, and
gives it back when the client leaves, if it is idle and nothing pins it (temporary objects,
LISTEN, session locks): the pool resets it (DISCARD ALL, then the start-up options again) before
another client gets it. A connection that fails its reset, or that the pool has no room for,
is closed.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Mapping

from pgha.net.backend import BackendConnection, BackendError
from pgha.wire import messages as m
from pgha.wire.errors import PgError

log = logging.getLogger("pgha.pool")

Key = tuple[str, int, str, str, tuple[tuple[str, str], ...]]


def pool_key(host: str, port: int, user: str, database: str,
             params: Mapping[str, str]) -> Key:
    return host, port, user, database, tuple(sorted(params.items()))


class BackendPool:
    def __init__(self, per_key: int = 20) -> None:
        self.per_key = per_key
        self._idle: dict[Key, list[BackendConnection]] = {}
        self.reused = 0

    def take(self, key: Key) -> BackendConnection | None:
        idle = self._idle.get(key)
        while idle:
            backend = idle.pop()
            if not backend.writer.is_closing():
                self.reused += 1
                return backend
        return None

    async def give_back(self, key: Key, backend: BackendConnection) -> None:
        """Reset an idle connection and keep it, or close it."""
        idle = self._idle.setdefault(key, [])
        if backend.status != "I" or len(idle) >= self.per_key:
            backend.close()
            return
        settings = "; ".join(f"SET {name} = '{value.replace(chr(39), chr(39) * 2)}'"
                             for name, value in key[4] if name != "pgha.report_commit_lsn")
        try:
            for sql in ("DISCARD ALL", settings):
                if sql:
                    await _run(backend, sql)
        except (BackendError, PgError, OSError) as exc:
            log.info("not reusing a connection to %s:%d: %s", key[0], key[1], exc)
            backend.close()
            return
        idle.append(backend)

    def close(self) -> None:
        for idle in self._idle.values():
            for backend in idle:
                with contextlib.suppress(Exception):
                    backend.close()
        self._idle.clear()


async def _run(backend: BackendConnection, sql: str) -> None:
    backend.send(m.Query(sql))
    await backend.drain()
    error: m.ErrorResponse | None = None
    while True:
        message = await backend.receive()
        if isinstance(message, m.ErrorResponse):
            error = message
        elif isinstance(message, m.ReadyForQuery):
            if error is not None:
                raise PgError(error.sqlstate or "XX000", error.fields.get("M", "reset failed"))
            return
