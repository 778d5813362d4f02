"""The proxy's view of the cluster: which node is the primary, which standbys may serve reads.

A health check runs every ``interval`` on each node, over one monitoring connection per node.
A node is a pgha node or a PostgreSQL server (``kind``, detected at the first check unless
given: a server without ``pg_replication_status`` is PostgreSQL).
- pgha: ``pg_replication_status`` gives the node's role, term and position,
  ``pg_replication_primary`` a standby's lag; the primary is the healthy node that says
  ``primary`` with the highest term, so a promotion is followed without a restart.
- PostgreSQL: ``pg_is_in_recovery()`` gives the role, ``pg_current_wal_lsn()`` the primary's
  position, ``pg_last_wal_replay_lsn()`` a standby's; while it is behind the primary's position
  of the previous check, its lag is the age of its last replayed transaction, or how long it
  has made no progress, whichever is more. Two servers that
  both say they are the primary (a promotion whose old primary is still up) give no primary:
  writes are refused (``conflict``) until one of them is gone or demoted.
A node that does not answer is out at once (within one interval); a standby lagging more than
``max_lag_ms`` is out until it catches up.

Reads go to a standby chosen by the load-balancing strategy (round-robin, least-connections,
latency, random; weights multiply a node's share), or to the primary when none qualifies.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pgha.net.backend import BackendConnection, BackendError
from pgha.net.tls import ClientTls
from pgha.wire.errors import PgError, UndefinedTable
from pgha.wire.lsn import parse_lsn

log = logging.getLogger("pgha.proxy")

STRATEGIES = ("round-robin", "least-connections", "latency", "random")


@dataclass(slots=True)
class NodeState:
    host: str
    port: int
    weight: int = 1
    healthy: bool = False
    role: str = ""
    term: int = 0
    node_id: str = ""
    lag_ms: float = 0.0
    rtt_ms: float = 0.0  # health-check round trip, smoothed
    connections: int = 0  # client sessions with a link open to this node
    kind: str = ""  # "pgha" or "postgres"; "" until the first check tells
    lsn: int = 0  # a primary's WAL position; a standby's replayed position (last known)
    progress_lsn: int = 0  # PostgreSQL standby: position at its last progress while behind
    progress_at: float = 0.0  # ... and when

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"


class ClusterView:
    def __init__(self, nodes: list[NodeState], *, user: str = "postgres",
                 password: str | None = None, interval: float = 0.5,
                 max_lag_ms: float = 10_000.0, strategy: str = "round-robin",
                 tls: ClientTls | None = None) -> None:
        self.nodes = nodes
        self.user = user
        self.password = password
        self.interval = interval
        self.max_lag_ms = max_lag_ms
        self.strategy = strategy
        self.tls = tls
        self._monitors: dict[str, BackendConnection] = {}
        self._turn = 0
        self._task: asyncio.Task[None] | None = None
        self._checked = asyncio.Event()  # set after every round of checks
        self._primary_id = ""  # for the log: who the primary is now
        self.conflict = ""  # several PostgreSQL servers claim to be the primary: who
        self.fronts_postgres = False
        self._primary: NodeState | None = None
        self._standbys: list[NodeState] = []
        # Called with the old primary once another node is the primary: what is in flight
        # there can no longer commit (the old primary lost its lease), so waiting on it for
        # the rest of a partition is pointless.
        self.on_superseded: Callable[[NodeState], None] | None = None
        self._last_primary: NodeState | None = None

    async def start(self) -> None:
        await self.check_all()
        self._task = asyncio.create_task(self._loop())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        for conn in self._monitors.values():
            conn.close()

    async def _loop(self) -> None:
        while True:
            # Without a primary (a failover is under way) look ten times as often, so that
            # held writes go to the new primary within a fraction of the interval.
            await asyncio.sleep(self.interval if self.primary() else self.interval / 10)
            await self.check_all()

    async def check_all(self) -> None:
        await asyncio.gather(*(self._check(node) for node in self.nodes))
        self._decide()
        primary = self.primary()
        if primary is not None:
            old, self._last_primary = self._last_primary, primary
            if old is not None and old is not primary and self.on_superseded is not None:
                self.on_superseded(old)
        now = f"{primary.node_id or primary.address} (term {primary.term})" if primary else ""
        if now != self._primary_id:
            if primary is not None:
                log.warning("primary is now %s at %s", now, primary.address)
            elif self.conflict:
                log.error("more than one server claims to be the primary (%s): writes are "
                          "refused until only one does", self.conflict)
            else:
                log.warning("no primary: reads go to standbys, writes wait for a new primary")
            self._primary_id = now
        self._checked.set()
        self._checked = asyncio.Event()

    async def wait_primary(self, timeout: float) -> NodeState | None:
        """The primary, waiting up to ``timeout`` seconds for one to appear (a failover)."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                while (primary := self.primary()) is None:
                    await self._checked.wait()
                return primary
        return None

    async def _check(self, node: NodeState) -> None:
        started = time.monotonic()
        try:
            conn = self._monitors.get(node.address)
            if conn is None:
                conn = await BackendConnection.connect(
                    node.host, node.port, self.user, "postgres", self.password,
                    {"application_name": "pgha proxy health check"},
                    timeout=max(self.interval, 1.0), tls=self.tls)
                self._monitors[node.address] = conn
            async with asyncio.timeout(max(self.interval, 1.0)):
                if node.kind == "":
                    node.kind = await _detect_kind(conn)
                if node.kind == "postgres":
                    rows = await _query(conn, _POSTGRES_CHECK)
                else:
                    rows = await _query(
                        conn, "SELECT s.role, s.term, s.node_id, p.lag_ms, s.current_lsn "
                        "FROM pg_replication_status s LEFT JOIN pg_replication_primary p "
                        "ON true")
        except (BackendError, PgError, OSError, TimeoutError) as exc:
            conn = self._monitors.pop(node.address, None)
            if conn is not None:
                conn.close()
            if node.healthy:
                log.warning("node %s is down: %s", node.address, exc)
            node.healthy = False
            return
        if node.kind == "postgres":
            recovering, lsn, replay_age_ms, name = rows[0]
            role, term, node_id = ("standby" if recovering == "t" else "primary"), 0, name
            node.lsn = parse_lsn(lsn) if lsn else 0
            # Behind the primary's position at the previous check: lagging by the age of the
            # last transaction it replayed (conservative while the primary is busy).
            primary = next((n for n in self.nodes if n.healthy and n.role == "primary"
                            and n.kind == "postgres"), None)
            behind = role == "standby" and primary is not None and node.lsn < primary.lsn
            now = time.monotonic()
            if not behind or node.lsn > node.progress_lsn:
                node.progress_lsn, node.progress_at = node.lsn, now
            # Lagging by the age of the last transaction it replayed, or (when it has replayed
            # none since it started) by how long it has made no progress while behind.
            stalled_ms = (now - node.progress_at) * 1000 if behind else 0.0
            lag = str(max(float(replay_age_ms or 0) if behind else 0.0, stalled_ms))
        else:
            role, term, node_id, lag, lsn = rows[0] if rows else ("", "0", "", None, None)
            node.lsn = parse_lsn(lsn) if lsn else 0
        rtt = (time.monotonic() - started) * 1000
        node.rtt_ms = rtt if not node.rtt_ms else 0.8 * node.rtt_ms + 0.2 * rtt
        if not node.healthy:
            log.info("node %s (%s) is up as %s", node.address, node_id, role)
        node.healthy = True
        node.role, node.term, node.node_id = role or "", int(term or 0), node_id or ""
        node.lag_ms = float(lag) if lag not in (None, "") else 0.0
        log.debug("check %s: %s lsn %X lag %.0f ms", node.address, node.role, node.lsn,
                  node.lag_ms)

    def mark_down(self, node: NodeState, why: str) -> None:
        """A session found ``node`` gone before the next health check did."""
        if node.healthy:
            log.warning("node %s is down: %s", node.address, why)
        node.healthy = False
        conn = self._monitors.pop(node.address, None)
        if conn is not None:
            conn.close()
        self._decide()

    # -- choices ---------------------------------------------------------------------------

    def _decide(self) -> None:
        """Who is the primary and which standbys serve reads, after a change of what the
        checks know (sessions ask per statement; this runs per round of checks)."""
        # The back ends are PostgreSQL servers: pgha.* settings are then the proxy's own.
        self.fronts_postgres = any(n.kind == "postgres" for n in self.nodes)
        candidates = [n for n in self.nodes if n.healthy and n.role in ("primary", "standalone")]
        claims = [n for n in candidates if n.kind == "postgres"]
        if len(claims) > 1:  # PostgreSQL has no terms: two primaries cannot be told apart
            self.conflict = ", ".join(n.address for n in claims)
            primary = None
        else:
            self.conflict = ""
            primary = max(candidates, key=lambda n: n.term) if candidates else None
        term = primary.term if primary else 0
        self._primary = primary
        self._standbys = [n for n in self.nodes if n.healthy and n.role == "standby"
                          and n.term >= term and n.lag_ms <= self.max_lag_ms]

    def primary(self) -> NodeState | None:
        return self._primary

    def standbys(self) -> list[NodeState]:
        return self._standbys

    def pick_reader(self) -> NodeState | None:
        """A standby for a read, by the strategy; None: use the primary."""
        pool = self.standbys()
        if not pool:
            return None
        if self.strategy == "least-connections":
            return min(pool, key=lambda n: (n.connections / n.weight, random.random()))
        if self.strategy == "latency":
            return min(pool, key=lambda n: n.rtt_ms / n.weight)
        weighted = [n for n in pool for _ in range(max(1, n.weight))]
        if self.strategy == "random":
            return random.choice(weighted)
        self._turn += 1
        return weighted[self._turn % len(weighted)]


_POSTGRES_CHECK = (
    "SELECT pg_is_in_recovery(), CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() "
    "ELSE pg_current_wal_lsn() END, "
    "extract(epoch FROM now() - pg_last_xact_replay_timestamp()) * 1000, "
    "current_setting('cluster_name')")


async def _detect_kind(conn: BackendConnection) -> str:
    try:
        await _query(conn, "SELECT 1 FROM pg_replication_status")
    except UndefinedTable:  # undefined table: not a pgha node
        return "postgres"
    return "pgha"


async def _query(conn: BackendConnection, sql: str) -> list[tuple[Any, ...]]:
    """Rows of a simple query as text values (None for NULL)."""
    return (await conn.query(sql))[1]
