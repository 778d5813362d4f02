"""Locks the engine's sessions share: the writer queue (SQLite's one write lock, handed out in
arrival order) and PostgreSQL's advisory locks (pg_advisory_lock and friends).

Both are process-wide, one per ``Engine``, and owned by sessions, not threads: a session runs
on whichever worker thread is free. Waits end with PostgreSQL's errors (55P03 lock timeout,
57014 cancel).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pgha.wire.errors import LockNotAvailable, QueryCanceled

if TYPE_CHECKING:
    from pgha.storage.functions import FunctionContext


class WriterBusy(Exception):
    """A statement run with ``no_wait`` (on the event loop) would have to wait for the write
    lock: nothing was done, run it on a worker thread instead."""


class WriterQueue:
    """The right to write, handed from one session to the next in arrival order.

    SQLite lets one connection write at a time. Left to SQLite, a waiting writer retries in
    sleeps that grow to 100 ms (its busy handler) and so misses the moment the lock frees:
    under a few concurrent writers most of a transaction's time was spent asleep. Sessions
    take this queue before ``BEGIN IMMEDIATE`` (or before a read transaction's first write)
    and leave it once SQLite has committed or rolled back, so a waiter starts the moment the
    previous writer is done, first come first served, as PostgreSQL's lock queue does.
    Writers outside sessions (replay, recovery) keep SQLite's busy handler."""

    def __init__(self) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._owner: object | None = None
        self._waiting: list[object] = []
        # Waiters on an event loop (``enqueue``): called once the right is theirs.
        self._wakers: dict[object, Callable[[], None]] = {}

    def acquire(self, owner: object, timeout: float, ctx: FunctionContext) -> None:
        """Wait up to ``timeout`` seconds for the right to write: 55P03 when it runs out,
        57014 when ``ctx.cancel`` is set (a cancel or statement timeout; ``wake`` makes the
        wait notice it)."""
        with self._cond:
            if self._take_if_free(owner):
                return
            self._waiting.append(owner)
            deadline = time.monotonic() + timeout
            try:
                while self._owner is not None or self._waiting[0] is not owner:
                    if ctx.cancel.is_set():
                        raise QueryCanceled(f"canceling statement due to {ctx.cancel_reason}")
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        raise lock_timeout_error(timeout)
                    self._cond.wait(remaining)
                self._owner = owner
            finally:
                self._waiting.remove(owner)
                self._hand_over()  # the next in line may now be first

    def try_acquire(self, owner: object) -> bool:
        """Take the right to write if no one holds it or waits for it; never waits."""
        with self._cond:
            return self._take_if_free(owner)

    def enqueue(self, owner: object, wake: Callable[[], None]) -> bool:
        """Take the right to write now (True), or queue for it without blocking (False):
        ``wake`` is called, from the thread that hands the right over, once ``owner`` holds
        it. A queued owner that stops waiting calls ``leave``."""
        with self._cond:
            if self._take_if_free(owner):
                return True
            self._waiting.append(owner)
            self._wakers[owner] = wake
            return False

    def leave(self, owner: object) -> None:
        """``owner`` (queued by ``enqueue``) stops waiting: out of the queue, or, if the
        right was handed to it meanwhile, giving it back."""
        with self._cond:
            if self._wakers.pop(owner, None) is not None and owner in self._waiting:
                self._waiting.remove(owner)
            elif self._owner is owner:
                self._owner = None
            self._hand_over()

    def release(self, owner: object) -> None:
        with self._cond:
            if self._owner is owner:
                self._owner = None
                self._hand_over()

    def _take_if_free(self, owner: object) -> bool:
        """With the lock held: the right goes to ``owner`` if no one holds it or waits."""
        if self._owner is None and not self._waiting:
            self._owner = owner
            return True
        return False

    def _hand_over(self) -> None:
        """With the lock held: a free right goes to the first in line when it waits on an
        event loop; a thread waiting first takes it itself once notified."""
        if self._owner is None and self._waiting and self._waiting[0] in self._wakers:
            self._owner = owner = self._waiting.pop(0)
            self._wakers.pop(owner)()
        self._cond.notify_all()

    def wake(self) -> None:
        """Let waiters look at their cancel flags again."""
        with self._cond:
            self._cond.notify_all()


def lock_timeout_error(timeout: float) -> LockNotAvailable:
    """55P03 for a writer that waited ``timeout`` seconds, as PostgreSQL words a lock wait
    that lock_timeout ended."""
    return LockNotAvailable("canceling statement due to lock timeout",
                            detail=f"Waited {timeout:g} s for another transaction's writes "
                            "to end.")


class AdvisoryLocks:
    """Process-wide advisory locks (pg_advisory_lock and friends): session-level, re-entrant.

    A lock belongs to the session that took it (``owner``, one per session), not to the
    thread that ran the call: sessions run on a pool of threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._held: dict[tuple[Any, ...], tuple[int, int]] = {}

    def try_lock(self, owner: int, key: tuple[Any, ...]) -> bool:
        with self._lock:
            holder, count = self._held.get(key, (0, 0))
            if count and holder != owner:
                return False
            self._held[key] = (owner, count + 1)
            return True

    def lock(self, owner: int, key: tuple[Any, ...]) -> None:
        deadline = time.monotonic() + 30
        while not self.try_lock(owner, key):
            if time.monotonic() > deadline:
                raise LockNotAvailable("could not obtain advisory lock")
            time.sleep(0.005)

    def unlock(self, owner: int, key: tuple[Any, ...]) -> bool:
        with self._lock:
            holder, count = self._held.get(key, (0, 0))
            if not count or holder != owner:
                return False
            if count == 1:
                del self._held[key]
            else:
                self._held[key] = (holder, count - 1)
            return True

    def unlock_all(self, owner: int) -> None:
        with self._lock:
            for key in [k for k, (o, _) in self._held.items() if o == owner]:
                del self._held[key]
