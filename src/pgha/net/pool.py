"""Backend connections kept for reuse across client sessions: ``BackendPool`` (session
pooling) and ``SharedPool`` (transaction pooling, at the end of this module).

A client session takes a connection for a node, user, database and start-up options, and
gives it back when the client leaves, if it is idle and nothing pins it (temporary objects,
LISTEN, session locks): the pool resets it (DISCARD ALL, then the start-up options again) before
another client gets it. A connection that fails its reset, or that the pool has no room for,
is closed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Mapping

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

    def idle_count(self) -> int:
        """Idle server connections held (metrics)."""
        return sum(len(conns) for conns in self._idle.values())

    def take(self, key: Key) -> BackendConnection | None:
        idle = self._idle.get(key)
        while idle:
            backend = idle.pop()
            if backend.alive():
                self.reused += 1
                return backend
            backend.close()  # the server closed it (a restart, a kill) while it was idle here
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
        backend.prepared.clear()  # DISCARD ALL deallocated them, and reset the settings
        backend.applied.clear()
        idle.append(backend)

    def close(self) -> None:
        _close_all(self._idle)


def _close_all(idle: dict[Key, list[BackendConnection]]) -> None:
    for backends in idle.values():
        for backend in backends:
            with contextlib.suppress(Exception):
                backend.close()
    idle.clear()


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


class SharedPool:
    """Server connections shared by many clients, one transaction at a time (transaction
    pooling): at most ``size`` connections per key; a client that finds none idle and the key
    at its limit waits for one to come back, first come first served.

    A connection comes back as it is (no reset): it keeps its prepared statements (under names
    derived from their text, see ProxySession) and the settings last replayed on it
    (``BackendConnection.applied``), which the next client brings to its own before use.
    """

    def __init__(self, size: int = 20) -> None:
        self.size = size
        self._idle: dict[Key, list[BackendConnection]] = {}
        self._open: dict[Key, int] = {}  # connections per key, idle or in use or opening
        self._waiters: dict[Key, deque[asyncio.Future[BackendConnection | None]]] = {}

    def idle_count(self) -> int:
        """Idle server connections held (metrics)."""
        return sum(len(conns) for conns in self._idle.values())

    async def take(self, key: Key,
                   connect: Callable[[], Awaitable[BackendConnection]]) -> BackendConnection:
        while True:
            idle = self._idle.get(key)
            while idle:
                backend = idle.pop()
                if backend.alive():
                    return backend
                backend.close()
                self._open[key] -= 1
            if self._open.get(key, 0) < self.size:
                self._open[key] = self._open.get(key, 0) + 1
                try:
                    return await connect()
                except BaseException:
                    self.forget(key)
                    raise
            waiter: asyncio.Future[BackendConnection | None] = \
                asyncio.get_running_loop().create_future()
            self._waiters.setdefault(key, deque()).append(waiter)
            try:
                handed_over = await waiter
            except asyncio.CancelledError:
                handed = waiter.result() if waiter.done() and not waiter.cancelled() else None
                if handed is not None:
                    self.put(key, handed)  # handed over as this client gave up: pass it on
                raise
            if handed_over is not None:
                return handed_over
            # None: a connection of this key closed; try again (this client may open one)

    def take_idle(self, key: Key, fits: Callable[[BackendConnection], bool]
                  ) -> BackendConnection | None:
        """An idle connection of ``key`` that ``fits``, without waiting (None if there is
        none: no client waits for one while any is idle, so this is first come first served
        too)."""
        idle = self._idle.get(key)
        if not idle or not idle[-1].alive() or not fits(idle[-1]):
            return None
        return idle.pop()

    def put(self, key: Key, backend: BackendConnection) -> None:
        """A connection whose client is between transactions."""
        waiters = self._waiters.get(key)
        while waiters:
            waiter = waiters.popleft()
            if not waiter.done():
                waiter.set_result(backend)
                return
        self._idle.setdefault(key, []).append(backend)

    def forget(self, key: Key) -> None:
        """A connection of ``key`` closed (or failed to open): one more may be opened."""
        self._open[key] = max(0, self._open.get(key, 0) - 1)
        waiters = self._waiters.get(key)
        while waiters:
            waiter = waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return

    def close(self) -> None:
        _close_all(self._idle)
