"""Group commit for commits made on the event loop: one thread flushes pgha's WAL for all of
them.

A commit run on the event loop (``StorageSession.execute_no_wait``) leaves its WAL flush to
its session, which must not fsync on the loop. Handing each flush to the thread pool cost a
thread hop per commit: a worker woken, the GIL passed back and forth, the worker waiting with
the others on the log's condition. Here sessions register (log, end LSN) and await a future; a
single thread flushes each log to the highest LSN asked so far (the log's own group commit,
``flush_to``), then resolves, on the loop, every future that flush covers. N concurrent
commits cost one fsync and one wake-up of the loop, not N of each.

Invariant: a future resolves only once the log is durable up to its LSN; a failed flush fails
every future it covered with the log's error (58030), and the log is then unusable until it is
reopened (``wal.WalLog``).
"""

from __future__ import annotations

import asyncio
import copy
import threading

from pgha.storage import commit_log
from pgha.storage.commit_log import CommitLog
from pgha.wire.errors import PgError


class WalFlusher:
    """Flushes for the commits of one event loop (``wait``)."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._cond = threading.Condition(threading.Lock())
        self._wanted: dict[CommitLog, int] = {}  # log -> the highest LSN asked (under _cond)
        # (log, LSN, future) of the sessions waiting: touched on the loop's thread only.
        self._waiting: list[tuple[CommitLog, int, asyncio.Future[None]]] = []
        self._thread: threading.Thread | None = None

    def wait(self, log: CommitLog, lsn: int) -> asyncio.Future[None]:
        """A future that resolves once ``log`` is durable up to ``lsn`` (raises 58030 if it
        cannot be made so). Called on the loop's thread."""
        future = self._loop.create_future()
        self._waiting.append((log, lsn, future))
        with self._cond:
            if lsn > self._wanted.get(log, 0):
                self._wanted[log] = lsn
            self._cond.notify()
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="pgha-wal-flush",
                                            daemon=True)
            self._thread.start()
        return future

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._wanted:
                    self._cond.wait()
                wanted, self._wanted = self._wanted, {}
            for log, lsn in wanted.items():
                error: PgError | None = None
                try:
                    commit_log.wait_durable(log, lsn)
                except PgError as exc:
                    error = exc
                try:
                    self._loop.call_soon_threadsafe(self._flushed, log, lsn, error)
                except RuntimeError:  # the loop is closed: the process is ending
                    return

    def _flushed(self, log: CommitLog, lsn: int, error: PgError | None) -> None:
        """On the loop: resolve the futures this flush covered."""
        pending = []
        for entry in self._waiting:
            entry_log, entry_lsn, future = entry
            if entry_log is not log or entry_lsn > lsn:
                pending.append(entry)
            elif not future.done():  # (a session that ended cancelled its wait)
                if error is None:
                    future.set_result(None)
                else:
                    future.set_exception(copy.copy(error))  # one per session that raises it
        self._waiting = pending
