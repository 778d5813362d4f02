"""The primary's replication port: standbys connect, prove the cluster secret, and receive WAL.

Per standby: handshake (``Challenge`` -> ``Hello`` -> ``Welcome``, or ``NeedSnapshot`` and a
snapshot first), then two loops: one ships durable WAL from the standby's position in
LZ4-compressed batches (waking on every flush, heartbeating when idle), the other reads the
standby's status updates into the hub, which releases the commits waiting on them.

Invariants: only durable records are shipped (a record the primary could still undo never
leaves it); a standby whose log is not a prefix of ours (other term at its end LSN, or ahead)
is re-bootstrapped from a snapshot, never streamed onto.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import ssl
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from pgha.replication import protocol as p
from pgha.replication.channel import Channel, ChannelClosed
from pgha.replication.hub import ReplicationHub, ReplicationStats, StandbyInfo
from pgha.replication.journal import Journal
from pgha.replication.wal import WalGone, count_records
from pgha.wire.errors import os_reason
from pgha.wire.lsn import format_lsn

log = logging.getLogger("pgha.replication")
INLINE_READ_BYTES = 64 << 10  # WAL behind a standby that is read on the event loop


@dataclass(slots=True)
class SenderConfig:
    node_id: str
    secret: bytes = b""
    batch_bytes: int = 1 << 20
    batch_delay: float = 0.0  # seconds to wait for more WAL before sending a small batch
    heartbeat_interval: float = 0.1  # also while shipping: standbys time elections on it
    compress: bool = True
    handshake_timeout: float = 10.0
    listen_address: str = ""  # this node's client address, told to standbys (write routing)
    tls: ssl.SSLContext | None = None  # replication over TLS: peers present a CA-signed cert


class WalSender:
    def __init__(self, journal: Journal, hub: ReplicationHub, config: SenderConfig,
                 snapshot: Callable[[Path], int], is_primary: Callable[[], bool],
                 stats: ReplicationStats | None = None,
                 vote: Callable[[p.VoteRequest], Awaitable[p.VoteResponse]] | None = None
                 ) -> None:
        self.journal = journal
        self.hub = hub
        self.config = config
        self.snapshot = snapshot  # writes a copy of the database, returns its LSN
        self.is_primary = is_primary  # a standby's port answers, but streams nothing
        self.stats = stats or ReplicationStats()
        self.vote = vote  # answers a candidate's VoteRequest (any role)
        self._wakeups: set[asyncio.Event] = set()
        self._streams: set[asyncio.Task[None]] = set()
        self._heartbeat_at: dict[Channel, float] = {}  # when each stream last had one
        self._loop: asyncio.AbstractEventLoop | None = None
        self.server: asyncio.Server | None = None
        journal.on_durable(self._durable)

    def _durable(self, end_lsn: int) -> None:
        """Called on a committing thread once a record is durable."""
        loop = self._loop
        if loop is not None:
            loop.call_soon_threadsafe(self._wake_all, end_lsn)

    def _wake_all(self, end_lsn: int) -> None:
        self.hub.committed(end_lsn)
        for event in self._wakeups:
            event.set()

    async def start(self, host: str, port: int) -> tuple[str, int]:
        self._loop = asyncio.get_running_loop()
        try:
            self.server = await asyncio.start_server(self._serve, host, port,
                                                     ssl=self.config.tls)
        except OSError as exc:
            raise OSError(exc.errno, f"could not listen for replication on {host}:{port}: "
                          f"{os_reason(exc)}") from exc
        sock = self.server.sockets[0].getsockname()
        log.info("replication port listening on %s:%d", sock[0], sock[1])
        return sock[0], sock[1]

    async def close_streams(self) -> None:
        """Drop every standby connection (this node stepped down)."""
        tasks = list(self._streams)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def close(self) -> None:
        await self.close_streams()
        if self.server is not None:
            self.server.close()
            with contextlib.suppress(Exception):
                await self.server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        channel = Channel(reader, writer, self.config.compress)
        info: StandbyInfo | None = None
        task = asyncio.current_task()
        if task is not None:
            self._streams.add(task)
        try:
            hello = await self._handshake(channel)
            if hello is None:
                return
            info = StandbyInfo(hello.node_id, channel.peer, hello.listen_address,
                               observer=hello.observer)
            self.hub.connected(info)
            if hello.observer:
                await self._observe(channel, info)
                return
            start = await self._start_position(channel, hello, info)
            log.info("standby %s (%s) streaming from %X", info.node_id, channel.peer, start)
            info.state = "streaming" if start >= self.journal.wal.end_lsn else "catchup"
            await self._stream(channel, info, start)
        except (ChannelClosed, ConnectionError, TimeoutError, p.ReplicationProtocolError) as exc:
            # A peer that only read the Challenge (a term check) is routine: not worth a line.
            log.log(logging.INFO if info is not None else logging.DEBUG,
                    "replication connection from %s ended: %s", channel.peer, exc)
        except asyncio.CancelledError:
            # Closed by this node (shutdown, stepping down). The task ends here: asyncio's
            # stream server logs a handler task that ends cancelled as an error.
            log.debug("replication connection from %s closed", channel.peer)
        finally:
            if task is not None:
                self._streams.discard(task)
            if info is not None:
                self.hub.disconnected(info)
            await channel.close()

    async def _handshake(self, channel: Channel) -> p.Hello | None:
        nonce = p.new_nonce()
        state = self.journal.state
        term = state.term
        await channel.send(p.Challenge(
            nonce, state.cluster_id, term, self.config.node_id, self.config.listen_address,
            p.challenge_proof(self.config.secret, nonce, self.config.node_id, state.cluster_id,
                              term)))
        hello = await channel.receive(self.config.handshake_timeout)
        if not isinstance(hello, p.Hello | p.VoteRequest):
            await channel.send(p.Refuse(p.REFUSE_PROTOCOL_VIOLATION, "expected Hello"))
            return None
        if not p.check_proof(self.config.secret, nonce, hello.node_id, hello.proof):
            log.warning("peer %s at %s failed the cluster secret", hello.node_id, channel.peer)
            await channel.send(p.Refuse(p.REFUSE_BAD_PROOF, "wrong cluster secret"))
            return None
        if hello.cluster_id and hello.cluster_id != state.cluster_id:
            await channel.send(p.Refuse(p.REFUSE_WRONG_CLUSTER,
                                        f"this node is in cluster {state.cluster_id}"))
            return None
        if isinstance(hello, p.VoteRequest):
            if self.vote is None:
                await channel.send(p.Refuse(p.REFUSE_PROTOCOL_VIOLATION, "this node does not "
                                            "vote (automatic failover is off)"))
            else:
                await channel.send(await self.vote(hello))
            return None
        if hello.term > state.term:
            # A newer primary exists: this node learns the term (a primary steps down) and
            # must not stream.
            self.journal.observe_term(hello.term)
            await channel.send(p.Refuse(p.REFUSE_STALE_TERM, f"term {hello.term} is newer"))
            return None
        if not self.is_primary():
            await channel.send(p.Refuse(p.REFUSE_NOT_PRIMARY,
                                        f"node {self.config.node_id} is not the primary"))
            return None
        return hello

    async def _start_position(self, channel: Channel, hello: p.Hello, info: StandbyInfo) -> int:
        wal = self.journal.wal
        end = hello.end_lsn
        reason = ""
        diverged = 0
        if end == 0:
            reason = "the standby has no data yet"
        elif end < wal.start_lsn:
            reason = "the WAL the standby needs was recycled"
        elif end > wal.flushed_lsn:
            reason = (f"the standby's log (to {format_lsn(end)}) is ahead of the primary's "
                      f"(to {format_lsn(wal.flushed_lsn)}): an old primary's unreplicated tail")
            diverged = _divergence(wal.term_starts(), hello.last_term, wal.flushed_lsn)
        elif end > wal.start_lsn and wal.term_at(end) != hello.last_term:
            reason = (f"the standby's log (to {format_lsn(end)}, term {hello.last_term}) "
                      "diverged from the primary's")
            diverged = _divergence(wal.term_starts(), hello.last_term, end)
        if not reason:
            await channel.send(p.Welcome(self.journal.term, self.config.node_id, end,
                                         wal.end_lsn))
            return end
        log.info("standby %s needs a snapshot: %s", hello.node_id, reason)
        await channel.send(p.NeedSnapshot(reason, diverged))
        info.state = "snapshot"
        return await self._send_snapshot(channel, info)

    async def _send_snapshot(self, channel: Channel, info: StandbyInfo) -> int:
        fd, name = tempfile.mkstemp(prefix="pgha-snapshot-", suffix=".db")
        os.close(fd)
        path = Path(name)
        try:
            started = time.monotonic()
            # A database with no commits in the log yet is at the log's start.
            lsn = await asyncio.to_thread(self.snapshot, path) or self.journal.wal.start_lsn
            size = path.stat().st_size
            # The term of the record the copy ends at: the standby's log starts there.
            term = self.journal.wal.term_at(lsn) or 0
            await channel.send(p.SnapshotBegin(lsn, term, size))
            info.snapshot_bytes, info.snapshot_total = 0, size
            digest = hashlib.sha256()
            with open(path, "rb") as f:
                while chunk := f.read(1 << 20):
                    digest.update(chunk)
                    await channel.send(p.SnapshotChunk(chunk))
                    info.snapshot_bytes += len(chunk)
            await channel.send(p.SnapshotEnd(digest.digest()))
            log.info("snapshot at %X sent (%d bytes in %.2fs)", lsn, size,
                     time.monotonic() - started)
            return lsn
        finally:
            path.unlink(missing_ok=True)

    async def _stream(self, channel: Channel, info: StandbyInfo, position: int) -> None:
        wake = asyncio.Event()
        self._wakeups.add(wake)
        feedback = asyncio.create_task(self._read_feedback(channel, info))
        try:
            while not feedback.done():
                position = await self._ship(channel, position)
                if position >= self.journal.wal.flushed_lsn:
                    info.state = "streaming"
                    wake.clear()
                    if position >= self.journal.wal.flushed_lsn:
                        await self._idle(channel, wake, feedback, position)
        finally:
            self._wakeups.discard(wake)
            self._heartbeat_at.pop(channel, None)
            feedback.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await feedback

    async def _ship(self, channel: Channel, position: int) -> int:
        wal = self.journal.wal
        while position < wal.flushed_lsn:
            try:
                if wal.flushed_lsn - position <= INLINE_READ_BYTES:
                    # The tail just flushed, in the page cache: faster read here than handed
                    # to a thread and back (that hop is most of a small commit's lag).
                    data = wal.read_raw(position, INLINE_READ_BYTES, True)
                else:
                    data = await asyncio.to_thread(wal.read_raw, position,
                                                   self.config.batch_bytes, True)
            except WalGone:
                raise ChannelClosed("the standby fell behind the retained WAL") from None
            if not data:
                break
            term = self.journal.term
            sent = 0
            # A record larger than one batch (a big transaction) goes out in pieces.
            for offset in range(0, len(data), p.MAX_WAL_BATCH_DATA):
                piece = data[offset:offset + p.MAX_WAL_BATCH_DATA]
                start = position + offset
                sent += await channel.send(p.WalBatch(start, start + len(piece), term, piece))
            stats = self.stats
            stats.records += count_records(data)
            stats.raw_bytes += len(data)
            stats.wire_bytes += sent
            stats.last_replication = time.time()
            position += len(data)
            if time.monotonic() - self._heartbeat_at.get(channel, 0.0) >= \
                    self.config.heartbeat_interval:
                await self._heartbeat(channel)  # standbys time elections on heartbeats
        return position

    async def _heartbeat(self, channel: Channel) -> None:
        wal = self.journal.wal
        lease = self.hub.lease
        stamp = int((lease.stamp() if lease is not None else time.monotonic()) * 1e6)
        self._heartbeat_at[channel] = time.monotonic()
        await channel.send(p.PrimaryHeartbeat(self.journal.term, wal.end_lsn, wal.flushed_lsn,
                                              time.time_ns() // 1000, True, stamp))
        self.stats.heartbeats_sent += 1

    async def _observe(self, channel: Channel, info: StandbyInfo) -> None:
        """An observer gets heartbeats only (it votes and its echoes count for the lease)."""
        wal = self.journal.wal
        await channel.send(p.Welcome(self.journal.term, self.config.node_id, wal.end_lsn,
                                     wal.end_lsn))
        info.state = "observer"
        log.info("observer %s (%s) connected", info.node_id, channel.peer)
        feedback = asyncio.create_task(self._read_feedback(channel, info))
        try:
            while not feedback.done():
                await self._heartbeat(channel)
                await asyncio.wait({feedback}, timeout=self.config.heartbeat_interval)
        finally:
            self._heartbeat_at.pop(channel, None)
            feedback.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await feedback

    async def _idle(self, channel: Channel, wake: asyncio.Event, feedback: asyncio.Task[None],
                    position: int) -> None:
        waiter = asyncio.create_task(wake.wait())
        try:
            done, _ = await asyncio.wait({waiter, feedback},
                                         timeout=self.config.heartbeat_interval,
                                         return_when=asyncio.FIRST_COMPLETED)
        finally:
            waiter.cancel()  # also when this stream is cancelled: no task left pending
        if not done:
            await self._heartbeat(channel)
        elif self.config.batch_delay:
            await asyncio.sleep(self.config.batch_delay)

    async def _read_feedback(self, channel: Channel, info: StandbyInfo) -> None:
        timeout = self.config.heartbeat_interval * 5 + 5
        while True:
            message = await channel.receive(timeout)
            if isinstance(message, p.StandbyStatus):
                self.stats.heartbeats_received += 1
                self.hub.feedback(info.node_id, message.write_lsn, message.flush_lsn,
                                  message.apply_lsn, message.echo_us / 1e6)
            elif isinstance(message, p.Goodbye):
                return


def _divergence(starts: list[tuple[int, int]], last_term: int, end: int) -> int:
    """Where a standby whose log ends in ``last_term`` stops agreeing with this log: where the
    first term newer than ``last_term`` begins here (the standby's records from there on are
    an old primary's tail), or ``end`` if this log has no newer term before it."""
    return min((lsn for term, lsn in starts if term > last_term), default=end)

