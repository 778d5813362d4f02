"""Read-your-writes on a standby: sessions that wait until this node has applied an LSN.

Woken by the receiver after each applied batch (``applied``), never by polling. The counters
feed pg_replication_metrics.
"""

from __future__ import annotations

import asyncio
import time


class AppliedWaiters:
    def __init__(self) -> None:
        self._waiters: list[tuple[int, asyncio.Future[None]]] = []
        self.waits = 0  # reads that waited for this standby to apply a session's commit
        self.wait_seconds = 0.0
        self.fallbacks = 0  # reads that gave up waiting (and ran on the primary)

    async def wait(self, lsn: int, timeout: float, applied: int) -> bool:
        """Wait until ``applied`` (this node's applied LSN now) reaches ``lsn``; False on
        timeout."""
        if applied >= lsn:
            return True
        self.waits += 1
        started = time.monotonic()
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append((lsn, future))
        try:
            async with asyncio.timeout(timeout):
                await future
            return True
        except TimeoutError:
            self.fallbacks += 1
            return False
        finally:
            self.wait_seconds += time.monotonic() - started

    def applied(self, lsn: int) -> None:
        """This node has applied everything up to ``lsn``."""
        waiting = []
        for target, future in self._waiters:
            if future.done():
                continue
            if target <= lsn:
                future.set_result(None)
            else:
                waiting.append((target, future))
        self._waiters = waiting
