"""The primary's view of its standbys: their feedback, lag, and the commits waiting on them.

A commit waits in ``wait_replicated`` until its sync mode's condition holds:

| mode      | the commit returns when its record is ...                                      |
|-----------|---------------------------------------------------------------------------------|
| async     | durable on the primary (it already is when the wait starts)                     |
| semi-sync | also flushed on at least one standby; after ``semi_sync_timeout`` the primary   |
|           | degrades to async (a NOTICE, the views), and recovers once a standby catches up |
| sync      | also flushed on every synchronous standby: those named in ``sync_standbys``, or |
|           | every connected standby (at least one), and on a majority of the cluster        |
| quorum    | also flushed on a majority of the cluster (this primary plus the standbys seen, |
|           | or every address configured with --ha-primary, whichever is more)               |

In a cluster where an election could exclude the primary (three voters or more), nothing is
acknowledged while the primary's lease (``election.Lease``, from the heartbeat stamps the
standbys echo) has lapsed: an isolated primary stops acknowledging before anyone else can be
elected. ``sync`` and ``quorum`` wait for a majority, so an acknowledged commit is on every
majority's most up-to-date member, the only kind of node an election can choose.

Invariants: waiters are woken only by standby feedback (no polling); a wait that is cancelled
leaves the transaction committed on the primary, which the caller must report.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from pgha.replication.election import Lease


@dataclass(slots=True)
class StandbyInfo:
    """One standby as its feedback describes it."""

    node_id: str
    peer: str
    listen_address: str
    state: str = "catchup"  # catchup | snapshot | streaming | observer | disconnected
    observer: bool = False  # votes and echoes heartbeats (the lease), holds no data
    write_lsn: int = 0
    flush_lsn: int = 0
    apply_lsn: int = 0
    reply_time: float = 0.0
    connected_at: float = field(default_factory=time.time)
    lag_samples: deque[float] = field(default_factory=lambda: deque(maxlen=1000))
    last_lag_ms: float = 0.0
    snapshot_bytes: int = 0  # state "snapshot": bytes sent so far ...
    snapshot_total: int = 0  # ... of the snapshot's size


@dataclass(slots=True)
class ReplicationStats:
    """Counters of one node's replication traffic (pg_replication_metrics): records and raw
    WAL bytes shipped (primary) or applied (standby), bytes on the wire, heartbeats."""

    records: int = 0
    raw_bytes: int = 0
    wire_bytes: int = 0
    heartbeats_sent: int = 0
    heartbeats_received: int = 0
    last_replication: float = 0.0


class ReplicationHub:
    def __init__(self, sync_mode: str, sync_standbys: tuple[str, ...] = (),
                 semi_sync_timeout: float = 2.0,
                 clock: Callable[[], float] = time.monotonic, cluster_size: int = 0) -> None:
        self.sync_mode = sync_mode
        self.cluster_size = cluster_size  # nodes configured (--ha-primary), for quorum
        self.sync_standbys = sync_standbys
        self.semi_sync_timeout = semi_sync_timeout
        self.clock = clock
        self.standbys: dict[str, StandbyInfo] = {}
        self.known: set[str] = set(sync_standbys)
        self.degraded = False
        self.degradations = 0
        self._waiters: list[tuple[int, str, asyncio.Future[None]]] = []
        self._commits: deque[tuple[int, float]] = deque(maxlen=100_000)  # (end LSN, time)
        self.waits = 0
        self.wait_seconds = 0.0
        # Set when elections can exclude this primary (see the module docstring).
        self.lease: Lease | None = None
        self.fenced = False  # this node is not (or no longer) the primary: acknowledge nothing

    # -- membership and feedback -------------------------------------------------------------

    def connected(self, info: StandbyInfo) -> None:
        self.standbys[info.node_id] = info
        if not info.observer:  # an observer never flushes: sync and quorum do not wait on it
            self.known.add(info.node_id)

    def disconnected(self, info: StandbyInfo) -> None:
        """A connection ended; a newer connection of the same standby stays registered."""
        if self.standbys.get(info.node_id) is info:
            info.state = "disconnected"

    def committed(self, end_lsn: int) -> None:
        """A record became durable on the primary (for lag in milliseconds)."""
        self._commits.append((end_lsn, self.clock()))

    def feedback(self, node_id: str, write: int, flush: int, apply: int,
                 echo: float | None = None) -> None:
        info = self.standbys[node_id]
        if echo is not None and self.lease is not None:
            self.lease.echoed(node_id, echo)
        previous = info.apply_lsn
        info.write_lsn, info.flush_lsn, info.apply_lsn = write, flush, apply
        info.reply_time = time.time()
        now = self.clock()
        newest = None  # the latest commit this feedback newly confirms applied
        for end_lsn, at in reversed(self._commits):
            if end_lsn <= previous:
                break
            if end_lsn <= apply:
                newest = at
                break
        if newest is not None and previous:
            info.last_lag_ms = (now - newest) * 1000
            info.lag_samples.append(info.last_lag_ms)
        if self.degraded and flush >= self._latest_commit():
            self.degraded = False  # semi-sync: a standby caught up again
        self._wake()

    def _latest_commit(self) -> int:
        return self._commits[-1][0] if self._commits else 0

    # -- sync waits ----------------------------------------------------------------------------

    def lease_held(self) -> bool:
        return self.lease is None or self.lease.held()

    def _satisfied(self, lsn: int, mode: str) -> bool:
        if self.fenced or not self.lease_held():
            return False
        live = [s for s in self.standbys.values()
                if s.state != "disconnected" and not s.observer]
        flushed = {s.node_id for s in self.standbys.values() if s.flush_lsn >= lsn}
        if mode == "async":
            return True
        if mode == "semi-sync":
            return self.degraded or bool(flushed)
        # quorum: the primary counts as one vote; the cluster is every node configured or seen
        cluster = max(1 + len(self.known), self.cluster_size)
        majority = 1 + len(flushed & self.known) > cluster // 2
        if mode == "sync":
            required = set(self.sync_standbys) or {s.node_id for s in live} or self.known
            return bool(required) and required <= flushed and majority
        return majority

    def _wake(self) -> None:
        still: list[tuple[int, str, asyncio.Future[None]]] = []
        for lsn, mode, fut in self._waiters:
            if fut.done():
                continue
            if self._satisfied(lsn, mode):
                fut.set_result(None)
            else:
                still.append((lsn, mode, fut))
        self._waiters = still

    async def wait_replicated(self, lsn: int, mode: str | None = None) -> str | None:
        """Wait until the commit ending at ``lsn`` satisfies its sync mode; returns a notice
        text when semi-sync degraded to async while waiting."""
        mode = mode or self.sync_mode
        if self._satisfied(lsn, mode):
            return None
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append((lsn, mode, fut))
        started = self.clock()
        self.waits += 1
        try:
            if mode != "semi-sync":
                await fut
                return None
            try:
                async with asyncio.timeout(self.semi_sync_timeout):
                    await asyncio.shield(fut)
                return None
            except TimeoutError:
                self.degraded = True
                self.degradations += 1
                self._wake()
                await fut  # degraded, it still waits for the lease
                return ("semi-sync replication timed out: no standby confirmed this commit; "
                        "continuing asynchronously until a standby catches up")
        finally:
            self.wait_seconds += self.clock() - started
            if not fut.done():
                fut.cancel()

    # -- views -------------------------------------------------------------------------------------

    def lag_percentiles(self, info: StandbyInfo) -> tuple[float, float, float]:
        samples = sorted(info.lag_samples)
        if len(samples) < 2:
            value = samples[0] if samples else 0.0
            return value, value, value
        q = statistics.quantiles(samples, n=100, method="inclusive")
        return q[49], q[94], q[98]
