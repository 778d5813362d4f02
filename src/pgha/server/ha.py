"""A node's replication role: its WAL and term, the sender (primary) or the receiver
(standby), and the changes of role (promotion, stepping down, rebuilding). Elections are
driven by ``server.elections``, the pg_replication_* rows come from ``server.status``, and
read-your-writes waiters live in ``replication.applied``.

Roles: ``standalone`` (no --ha-mode: pgha's WAL still makes commits durable, nothing is
streamed), ``primary`` (streams to standbys on --ha-bind, waits on them per sync mode),
``standby`` (read-only; follows whichever address of --ha-primary is the primary; runs for
election when the primary falls silent) and ``observer`` (holds no data: takes heartbeats,
echoes the lease and votes, so two data nodes and an observer can fail over safely).

Role changes, all within the running process:
- ``promote()`` (pg_promote on a standby): stop following, begin a new term (persisted before
  any write of it), accept writes, stream to standbys, and tell every peer the new term;
- ``step_down()`` (a primary learns a higher term, from a peer's handshake or at start): stop
  accepting writes at once, end its client connections (a commit waiting for standbys is not
  acknowledged), and follow the new primary;
- rebuilding (a standby whose log diverged, e.g. an old primary's unreplicated tail): end client
  connections, set the database aside (kept as ``pgha.db.diverged-*``), bootstrap from a
  snapshot of the primary.

Invariants: a node never writes in a term lower than the highest it has seen; the role a
node was promoted to survives a restart (``ha_state.json``), and a node that starts as primary
first asks its peers for a higher term.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import shlex
import socket
import ssl
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pgha.replication import protocol as p
from pgha.replication.applied import AppliedWaiters
from pgha.replication.channel import Channel
from pgha.replication.election import (
    ElectionTimer,
    Lease,
    Timing,
)
from pgha.replication.history import History
from pgha.replication.hub import ReplicationHub, ReplicationStats
from pgha.replication.journal import HaState, Journal
from pgha.replication.receiver import ReceiverConfig, WalReceiver
from pgha.replication.role import FOLLOWERS, WRITABLE, Role, check_transition
from pgha.replication.sender import SenderConfig, WalSender
from pgha.replication.wal import DEFAULT_SEGMENT_SIZE, WalLog, WalRecord
from pgha.server.elections import Elections
from pgha.server.status import StatusViews
from pgha.storage.changes import Replayer
from pgha.storage.engine import Engine
from pgha.wire.errors import AdminShutdown, ObjectNotInPrerequisiteState, PgError
from pgha.wire.lsn import format_lsn

log = logging.getLogger("pgha.ha")


@dataclass(slots=True)
class HaConfig:
    node_id: str = ""
    mode: str = "standalone"  # standalone | primary | standby | observer
    bind: tuple[str, int] | None = None
    primaries: tuple[tuple[str, int], ...] = ()  # the cluster's replication addresses
    sync_mode: str = "async"
    sync_standbys: tuple[str, ...] = ()
    semi_sync_timeout: float = 2.0
    secret: str = ""
    batch_bytes: int = 1 << 20
    batch_delay: float = 0.0
    compress: bool = True
    heartbeat_interval: float = 0.1
    election_timeout: float = 0.8  # randomised in [t, 1.5 t); the lease is 0.75 t
    failover: str = "auto"  # auto: standbys elect a new primary; manual: only pg_promote()
    probe_timeout: float = 1.0
    term_check_interval: float = 1.0  # a primary asks its peers for a newer term this often
    on_role_change: str = ""  # command run as CMD ROLE TERM NODE_ID on each role change
    keep_bytes: int = 64 << 20  # WAL retained behind the end regardless of standbys
    max_bytes: int = 1 << 30  # WAL retained at most, even for a standby that needs more
    recycle_interval: float = 10.0
    segment_bytes: int = DEFAULT_SEGMENT_SIZE
    # Replication over TLS (--tls-ca): this node's certificate for its replication port, and
    # the context its connections to peers use; both need certificates the CA signed.
    tls_server: ssl.SSLContext | None = None
    tls_client: ssl.SSLContext | None = None


def advertised(host: str) -> str:
    """The host name peers reach this node at, for an address it bound: bound to every
    interface (a container), that is its host name, never 0.0.0.0."""
    return socket.gethostname() if host in ("0.0.0.0", "::", "") else host


def lists_itself(bind: tuple[str, int] | None, peers: set[tuple[str, int]]) -> bool:
    """Is this node's own replication address among ``peers`` (--ha-primary)? As bound, or
    as advertised when bound to every interface."""
    return bind is not None and (bind in peers or (advertised(bind[0]), bind[1]) in peers)


class HaRole:
    def __init__(self, config: HaConfig, data_dir: Path, durable: bool) -> None:
        self.config = config
        self.data_dir = data_dir
        self.durable = durable
        self.started = time.time()
        wal = WalLog.open(data_dir / "wal", fsync=durable, segment_size=config.segment_bytes)
        founds = config.mode not in ("standby", "observer")  # they join an existing cluster
        self.journal = Journal(wal, HaState.load(data_dir, founds), data_dir)
        # A node promoted earlier comes back as primary (after asking its peers, in start()).
        promoted = config.mode != "standalone" and self.journal.state.role == "primary"
        self.role = Role.PRIMARY if promoted else Role(config.mode)
        # --ha-primary lists the cluster's replication addresses, this node's own or not: the
        # voters of elections.
        peers = set(config.primaries)
        self.voters = len(peers) + (0 if lists_itself(config.bind, peers) else 1)
        self.timing = Timing.from_timeout(config.heartbeat_interval, config.election_timeout)
        self.timer = ElectionTimer(time.monotonic, random.Random(), self.timing)
        self.elections = Elections(self)
        self.hub = ReplicationHub(config.sync_mode, config.sync_standbys,
                                  config.semi_sync_timeout, cluster_size=self.voters)
        if self.voters >= 3 and config.mode != "standalone":
            # An election without this node can succeed only from three voters on.
            self.hub.lease = Lease(time.monotonic, self.voters, self.timing.lease)
        self.hub.fenced = self.role is not Role.PRIMARY
        self._tasks: set[asyncio.Task[None]] = set()
        self.stats = ReplicationStats()
        self.sender: WalSender | None = None
        self.receiver: WalReceiver | None = None
        self.receiver_task: asyncio.Task[None] | None = None
        self.replication_port = 0
        self.listen_address = ""
        self.rebuilding = False  # client connections are refused meanwhile
        # Set by the node: end every client connection with this FATAL error.
        self.terminate_clients: Callable[[PgError], Awaitable[None]] | None = None
        # Set by the node: a new term began (write forwarding drops links to the old primary).
        self.primary_changed: Callable[[], None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._replayer: Replayer | None = None
        self._unfinished_from = 0  # first record of a transaction the replayer has open
        self.applied_waiters = AppliedWaiters()  # read-your-writes on a standby
        self.journal.primary_term = self.journal.term if self.role in WRITABLE else 0
        self.engine = self.open_engine()
        self.journal.on_new_term(self._new_term)
        self.history = History(data_dir)
        self.views = StatusViews(self)
        if self.role == "primary" and config.mode == "primary":
            self.history.note(self.journal.term, config.node_id, self.journal.wal.end_lsn,
                              "started as primary")

    def open_engine(self) -> Engine:
        engine = Engine(self.data_dir, durable=self.durable, log=self.journal)
        applied = engine.applied_lsn()
        if applied > self.journal.wal.end_lsn:
            raise SystemExit(
                f"pgha: the database has applied WAL up to {format_lsn(applied)} but the WAL "
                f"ends at {format_lsn(self.journal.wal.end_lsn)} (WAL lost in an OS crash?); "
                "rebuild this node from a snapshot")
        redone = engine.recover()
        if redone:
            log.info("crash recovery: redid %d WAL records", redone)
        engine.read_only = self.role not in WRITABLE
        engine.sync_mode = self.config.sync_mode
        engine.status_provider = self.status_rows
        engine.promote_hook = self._promote_from_sql
        return engine

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self, listen_address: str) -> None:
        """Open the replication port, settle the role, and start following if a standby."""
        self._loop = asyncio.get_running_loop()
        self.listen_address = listen_address
        self._spawn(self._recycle_loop())
        if self.config.mode == "standalone":
            return
        self.sender = WalSender(
            self.journal, self.hub,
            SenderConfig(self.config.node_id, self.config.secret.encode(),
                         self.config.batch_bytes, self.config.batch_delay,
                         self.config.heartbeat_interval, self.config.compress,
                         listen_address=listen_address, tls=self.config.tls_server),
            lambda path: self.engine.snapshot_to(path), lambda: self.role == "primary",
            self.stats, self.elections.handle_vote)
        if self.config.bind is not None or self.role == "primary":
            host, port = self.config.bind or ("127.0.0.1", 0)
            _, self.replication_port = await self.sender.start(host, port)
        if self.role == "primary" and self.config.primaries:
            newer = await self.probe_peers()
            if newer:
                log.warning("a peer is in term %d, newer than this node's: starting as a "
                            "standby", newer)
                self.journal.observe_term(newer)
                self._become_standby()
        if self.role in FOLLOWERS:
            self._start_receiver()
        if self.config.primaries:
            self._spawn(self.elections.term_check_loop())
        if self.config.failover == "auto" and self.voters >= 3:
            self._spawn(self.elections.loop())

    def _start_receiver(self) -> None:
        self.timer.reset()  # a new follower gives the primary a full timeout to show up
        self.receiver = WalReceiver(
            self.journal,
            ReceiverConfig(self.config.node_id, self.config.primaries, self.listen_address,
                           self.config.secret.encode(), observer=self.role == "observer",
                           tls=self.config.tls_client),
            self._apply, self._install_snapshot, self._discard, self.engine.applied_lsn(),
            self.stats, on_applied=self.applied_waiters.applied,
            on_contact=self.timer.heard_primary)
        self.receiver.on_primary = self._following
        self.receiver.on_new_stream = self._drop_unfinished
        self.receiver_task = asyncio.create_task(self._follow())

    async def _follow(self) -> None:
        assert self.receiver is not None
        try:
            await self.receiver.run()
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("replication stopped")
            raise

    async def _recycle_loop(self) -> None:
        while True:
            await asyncio.sleep(self.config.recycle_interval)
            try:
                await asyncio.to_thread(self.recycle_wal)
            except Exception:
                log.exception("WAL recycling failed")

    def recycle_wal(self) -> int:
        """Delete WAL segments no one needs: the database has them durably (checkpointed),
        every standby has flushed them, and they are more than keep_bytes behind the end;
        past max_bytes, a lagging standby's needs are ignored (it will need a snapshot).
        Returns the number of segments deleted."""
        wal = self.journal.wal
        need = min(self.engine.checkpoint(), wal.end_lsn - self.config.keep_bytes)
        if self.role == "primary":
            for standby in self.hub.standbys.values():
                need = min(need, max(standby.flush_lsn, wal.end_lsn - self.config.max_bytes))
        count = wal.recycle(need) if need > wal.start_lsn else 0
        if count:
            log.info("recycled %d WAL segment(s); WAL now starts at %s", count,
                     format_lsn(wal.start_lsn))
        return count

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await self._stop_receiver()
        if self.sender is not None:
            await self.sender.close()

    async def _stop_receiver(self) -> None:
        task, self.receiver_task = self.receiver_task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    # -- role changes ----------------------------------------------------------------------

    def _promote_from_sql(self, force: bool, wait: float) -> bool:
        """pg_promote() (an election) or pgha_force_promote(), on a session's worker thread."""
        loop = self._loop
        if loop is None or self.role != "standby":
            raise ObjectNotInPrerequisiteState(
                "recovery is not in progress",
                hint="Recovery control functions can only be executed during "
                               "recovery.")
        coro = self.promote() if force else self.elections.promote_by_election(wait)
        return asyncio.run_coroutine_threadsafe(coro, loop).result(wait + 10)

    async def promote(self, elected_term: int | None = None,
                      reason: str = "pgha_force_promote()") -> bool:
        """Become the primary: of ``elected_term`` after winning its election, or of a new
        term with no election (pgha_force_promote)."""
        if self.role != "standby":
            raise ObjectNotInPrerequisiteState("recovery is not in progress")
        if elected_term is not None and self.journal.term != elected_term:
            return False  # a newer term appeared while the votes came in
        await self._stop_receiver()
        await self._drop_unfinished()
        if elected_term is None:
            term = self.journal.begin_term(self.config.node_id)
        elif self.journal.become_primary(elected_term):
            term = elected_term
        else:
            self._start_receiver()
            return False
        if self.hub.lease is not None:
            self.hub.lease.forget()
        self.history.note(term, self.config.node_id, self.journal.wal.end_lsn, reason)
        self._enter(Role.PRIMARY)
        if self.primary_changed is not None:
            self.primary_changed()
        if self.sender is not None and self.sender.server is None:
            host, port = self.config.bind or ("127.0.0.1", 0)
            _, self.replication_port = await self.sender.start(host, port)
        log.warning("promoted: primary of term %d from WAL position %s", term,
                    format_lsn(self.journal.wal.end_lsn))
        self._spawn(self._announce(term))
        self._role_changed()
        return True

    def _following(self, term: int, node_id: str) -> None:
        if self.history.note(term, node_id, self.journal.wal.end_lsn,
                             f"{node_id} is primary (seen by {self.config.node_id})"):
            log.warning("following %s, primary of term %d", node_id, term)

    def _new_term(self, term: int) -> None:
        """A higher term was observed (any thread): a primary steps down, a standby looks
        for the primary of that term."""
        loop = self._loop
        if loop is None:
            return
        if self.primary_changed is not None:
            loop.call_soon_threadsafe(self.primary_changed)
        if self.role is Role.PRIMARY:
            # At once, on the observing thread (the journal already refuses appends of the old
            # term): no new write, no commit acknowledged from now on.
            self._enter(Role.FENCED)
            loop.call_soon_threadsafe(self._spawn, self.step_down(term))
        elif self.receiver is not None:
            loop.call_soon_threadsafe(self.receiver.reconnect)

    def _spawn(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def step_down(self, term: int) -> None:
        if self.role not in (Role.PRIMARY, Role.FENCED):
            return
        log.warning("term %d has a newer primary: this node stops accepting writes and "
                    "follows it", term)
        self._become_standby()
        if self.terminate_clients is not None:
            await self.terminate_clients(AdminShutdown(
                "terminating connection because this node is no longer the primary",
                severity="FATAL", detail=f"A primary of term {term} was elected; a commit "
                "that was waiting for standbys was not acknowledged."))
        if self.sender is not None:
            await self.sender.close_streams()
        self._start_receiver()

    def _become_standby(self) -> None:
        self._enter(Role.STANDBY)
        self.journal.set_role("")
        self._role_changed()

    def _enter(self, role: Role) -> None:
        """The one place a role changes (see ``replication.role``): the engine's read-only
        flag, the journal's writing term and whether commits may be acknowledged follow it."""
        check_transition(self.role, role)
        self.role = role
        self.engine.read_only = role not in WRITABLE
        self.hub.fenced = role is not Role.PRIMARY
        if role not in WRITABLE:
            self.journal.primary_term = 0

    def _role_changed(self) -> None:
        """Run --on-role-change as ``CMD ROLE TERM NODE_ID`` (as Patroni's on_role_change
        callback), in the background: a slow or failing command delays nothing."""
        command = self.config.on_role_change
        if command and self._loop is not None:
            self._spawn(self._run_callback(
                [*shlex.split(command), self.role, str(self.journal.term),
                 self.config.node_id]))

    async def _run_callback(self, argv: list[str]) -> None:
        try:
            process = await asyncio.create_subprocess_exec(
                *argv, stdin=asyncio.subprocess.DEVNULL)
        except OSError as exc:
            log.error("--on-role-change %s could not start: %s", argv[0], exc)
            return
        try:
            async with asyncio.timeout(60):
                code = await process.wait()
        except TimeoutError:
            process.kill()
            log.error("--on-role-change %s ran for 60 s: killed", argv[0])
            return
        if code:
            log.warning("--on-role-change %s exited with %d", argv[0], code)

    async def _discard(self, reason: str, diverged_lsn: int) -> None:
        """Before a new snapshot replaces this node's data: end client connections, then
        move the database aside (the records past ``diverged_lsn`` are counted as
        discarded)."""
        wal = self.journal.wal
        if diverged_lsn:
            records = wal.records_from(diverged_lsn)
            log.warning("discarding %d record(s) of term %d (%s..%s) that the cluster does not "
                        "have", records, self.journal.last_term, format_lsn(diverged_lsn),
                        format_lsn(wal.end_lsn))
            self.history.discarded(self.journal.last_term, records)
        self.rebuilding = True
        if self.terminate_clients is not None:
            await self.terminate_clients(AdminShutdown(
                "terminating connection because this node is being rebuilt from the "
                "primary", severity="FATAL", detail=reason))
        await asyncio.to_thread(self._set_aside)

    def _set_aside(self) -> None:
        if self._replayer is not None:
            self._replayer.conn.close()
            self._replayer = None
        db = self.data_dir / "pgha.db"
        stamp = time.strftime("%Y%m%d%H%M%S")
        for suffix in ("", "-wal", "-shm"):
            src = Path(str(db) + suffix)
            if src.exists():
                src.replace(Path(f"{db}.diverged-{stamp}{suffix}"))
        log.warning("data set aside as %s.diverged-%s", db.name, stamp)
        self.journal.wal.reset(self.journal.wal.end_lsn)

    async def _peers(self) -> AsyncIterator[tuple[Channel, p.Challenge]]:
        """Each reachable peer (never this node) with its Challenge, over a channel closed
        after the caller's turn; unreachable peers are skipped."""
        for host, port in self.config.primaries:
            with contextlib.suppress(OSError, TimeoutError, p.ReplicationProtocolError,
                                     ConnectionError):
                async with asyncio.timeout(self.config.probe_timeout):
                    reader, writer = await asyncio.open_connection(
                        host, port, ssl=self.config.tls_client,
                        server_hostname=host if self.config.tls_client else None)
                channel = Channel(reader, writer)
                try:
                    challenge = await channel.receive(self.config.probe_timeout)
                    if isinstance(challenge, p.Challenge) and \
                            challenge.node_id != self.config.node_id and \
                            p.check_challenge(self.config.secret.encode(), challenge):
                        yield channel, challenge
                finally:
                    await channel.close()

    async def probe_peers(self) -> int:
        """The highest term a peer reports above this node's (0 if none)."""
        newest = 0
        async for _, challenge in self._peers():
            if challenge.cluster_id == self.journal.state.cluster_id and \
                    challenge.term > self.journal.term:
                newest = max(newest, challenge.term)
        return newest

    async def _announce(self, term: int) -> None:
        """Tell every peer the new term (an old primary that is still running steps down)."""
        secret = self.config.secret.encode()
        state = self.journal.state
        async for channel, challenge in self._peers():
            with contextlib.suppress(OSError, TimeoutError, p.ReplicationProtocolError):
                proof = p.make_proof(secret, challenge.nonce, self.config.node_id)
                await channel.send(p.Hello(self.config.node_id, state.cluster_id, proof, term,
                                           0, 0, self.listen_address))
                await channel.receive(self.config.probe_timeout)  # its Refuse

    # -- routing (read-your-writes) --------------------------------------------------------

    def primary_client_address(self) -> str:
        """Where a standby forwards what it may not run (the primary's client port)."""
        if self.role == "standby" and self.receiver is not None:
            return self.receiver.primary.client_address
        return ""

    def applied_lsn(self) -> int:
        """The end LSN this node's database has applied (a primary: everything committed)."""
        if self.role == "standby" and self.receiver is not None:
            return self.receiver.primary.applied_lsn
        return self.journal.wal.end_lsn

    async def wait_applied(self, lsn: int, timeout: float) -> bool:
        """Wait until this node has applied ``lsn`` (read-your-writes); False on timeout."""
        return await self.applied_waiters.wait(lsn, timeout, self.applied_lsn())

    # -- standby ---------------------------------------------------------------------------

    def _apply(self, record: WalRecord) -> bool:
        if self._replayer is None:
            self._replayer = self.engine.replayer()
        if not self._replayer.in_transaction:
            self._unfinished_from = record.lsn
        return self.engine.apply_record(self._replayer, record.end_lsn, record.body)

    async def _drop_unfinished(self) -> None:
        """Roll back a transaction whose last record has not arrived and remove its first
        records from the WAL: before following a (new) stream, which sends them again if they
        were committed, and before this node writes in a term of its own."""
        replayer = self._replayer
        if replayer is None or not replayer.in_transaction:
            return

        def drop() -> None:
            self.engine.abort_apply(replayer)
            self.journal.undo(self._unfinished_from)

        await asyncio.to_thread(drop)
        log.info("dropped the first records of an unfinished transaction (from %s)",
                 format_lsn(self._unfinished_from))

    async def _install_snapshot(self, path: Path, lsn: int, term: int) -> None:
        def swap() -> None:
            if self._replayer is not None:
                self._replayer.conn.close()
                self._replayer = None
            db = self.data_dir / "pgha.db"
            for suffix in ("-wal", "-shm"):
                Path(str(db) + suffix).unlink(missing_ok=True)
            path.replace(db)
            self.journal.wal.reset(lsn)
            self.journal.set_role("", base_term=term)
            self.engine = self.open_engine()
            self.engine.set_applied_lsn(lsn)

        await asyncio.to_thread(swap)
        self.rebuilding = False

    # -- views -----------------------------------------------------------------------------

    def status_rows(self, view: str) -> list[tuple[Any, ...]]:
        return self.views.rows(view)
