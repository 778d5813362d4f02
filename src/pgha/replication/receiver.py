"""A standby's link to its primary: handshake, snapshot bootstrap, WAL in, feedback out.

The receiver connects to the first reachable primary among ``primaries``, proves the cluster
secret, and says where its log ends. It then stores each WAL batch byte for byte and flushes
it; a small batch is then applied at once and reported (flushed and applied) in one message, a
large one is reported flushed at once (sync modes wait for it), applied on a thread and
reported again. It also reports when the primary asks (heartbeats). On a lost connection it
retries with exponential backoff.

Invariants: a record is applied only after it is durable in the standby's own WAL; a primary
of another cluster, or of a lower term than this node has seen, is refused.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import random
import ssl
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from pgha.replication import protocol as p
from pgha.replication.channel import Channel, ChannelClosed
from pgha.replication.hub import ReplicationStats
from pgha.replication.journal import Journal
from pgha.replication.wal import WalRecord, pending_record_size, whole_records_size
from pgha.wire.errors import PgError
from pgha.wire.lsn import format_lsn

log = logging.getLogger("pgha.replication")

# A batch of at most this many bytes of records is applied on the event loop, after its flush
# and before the one report of both (``_store_and_apply``); a larger one on a thread, while
# its flush is reported.
INLINE_APPLY_BYTES = 64 * 1024


class SnapshotNeeded(Exception):
    """This node's data cannot be continued from the primary's WAL (it diverged, or the WAL
    it needs is gone): it must be rebuilt from a snapshot."""


@dataclass(slots=True)
class ReceiverConfig:
    node_id: str
    primaries: tuple[tuple[str, int], ...]
    listen_address: str
    secret: bytes = b""
    connect_timeout: float = 5.0  # the handshake, once connected
    # The TCP connect to each --ha-primary address. Short: a peer that died without a reset
    # (a killed container, a cut cable) must not hold up finding the new primary.
    dial_timeout: float = 1.0
    max_backoff: float = 5.0
    observer: bool = False  # heartbeats only: no WAL, no snapshot
    tls: ssl.SSLContext | None = None  # replication over TLS (the cluster's CA)


@dataclass(slots=True)
class PrimaryInfo:
    """What the standby knows of its primary (pg_replication_primary)."""

    node_id: str = ""
    address: str = ""  # its replication address
    client_address: str = ""  # its PostgreSQL-wire address, where writes are forwarded
    term: int = 0
    end_lsn: int = 0
    flushed_lsn: int = 0
    connected: bool = False
    last_message: float = 0.0
    received_lsn: int = 0
    applied_lsn: int = 0
    reconnects: int = 0
    connected_at: float = 0.0
    last_lag_ms: float = 0.0  # commit on the primary -> applied here, for the last record
    snapshot_bytes: int = 0  # a bootstrap under way: bytes of the snapshot received so far
    snapshot_total: int = 0  # ... of this many (0: no bootstrap under way)


class WalReceiver:
    def __init__(self, journal: Journal, config: ReceiverConfig,
                 apply: Callable[[WalRecord], bool],
                 install_snapshot: Callable[[Path, int, int], Awaitable[None]],
                 discard: Callable[[str, int], Awaitable[None]],
                 applied_lsn: int, stats: ReplicationStats | None = None,
                 on_applied: Callable[[int], None] | None = None,
                 on_contact: Callable[[], None] | None = None) -> None:
        self.journal = journal
        self.config = config
        # (record) -> True once its transaction committed (a large transaction spans records)
        self.apply = apply
        self.install_snapshot = install_snapshot  # (file, LSN, term)
        # (reason, LSN where this node's log stopped agreeing with the primary's, or 0): set
        # this node's data aside before a new snapshot
        self.discard = discard
        # (term, node id) of each primary this node starts following
        self.on_primary: Callable[[int, str], None] | None = None
        # before each new stream: drop what an unfinished transaction left (see _session)
        self.on_new_stream: Callable[[], Awaitable[None]] | None = None
        self.primary = PrimaryInfo(applied_lsn=applied_lsn)
        self.synced = asyncio.Event()  # set once the standby has a database to serve
        self.stats = stats or ReplicationStats()
        self.on_applied = on_applied  # (applied LSN), on the event loop after each batch
        self.on_contact = on_contact  # the primary was heard from (heartbeat or WAL)
        self.busy = False  # storing or applying the primary's WAL: it was alive just now
        self.lease_stamp = 0  # the newest PrimaryHeartbeat.lease_us, echoed in feedback
        self._retry_now = asyncio.Event()  # cuts the backoff short: a new primary appeared
        self.rebuilds = 0
        self.last_rebuild = ""  # why this node last discarded its data
        self._channel: Channel | None = None
        # The first pieces of a record that arrives in several WalBatches (see
        # protocol.MAX_WAL_BATCH_DATA); stored once complete. At most one record's bytes.
        self._partial = bytearray()

    def reconnect(self) -> None:
        """Drop the current connection and look for the primary again at once (a higher term
        appeared: a new primary exists)."""
        self._retry_now.set()
        if self._channel is not None:
            self._channel.writer.close()

    async def run(self) -> None:
        backoff = 0.1
        while True:
            for host, port in self.config.primaries:
                try:
                    if await self._session(host, port):
                        backoff = 0.1
                except SnapshotNeeded as exc:
                    await self._rebuild(str(exc))
                except (OSError, ChannelClosed, TimeoutError, p.ReplicationProtocolError) as exc:
                    log.info("replication from %s:%d: %s", host, port, exc)
                except Exception:
                    # A standby that stops following serves ever staler reads without a word:
                    # log what went wrong and keep trying, like any other lost connection.
                    log.exception("replication from %s:%d failed", host, port)
                finally:
                    self.primary.connected = False
            self.primary.reconnects += 1
            if self._retry_now.is_set():
                self._retry_now.clear()
                backoff = 0.1
                continue
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(backoff * (0.5 + random.random())):
                    await self._retry_now.wait()
            backoff = min(backoff * 2, self.config.max_backoff)

    async def _rebuild(self, reason: str, diverged_lsn: int = 0) -> None:
        wal = self.journal.wal
        log.error("this node's data must be rebuilt from the primary (%s); its WAL ended at "
                  "%s (term %d): setting its data aside", reason, format_lsn(wal.end_lsn),
                  self.journal.last_term)
        await self.discard(reason, diverged_lsn)
        self.primary.applied_lsn = 0
        self.rebuilds += 1
        self.last_rebuild = reason

    async def _session(self, host: str, port: int) -> bool:
        """Follow the primary at host:port until the connection ends; False if it is not
        the primary (or is this node)."""
        async with asyncio.timeout(self.config.dial_timeout):
            reader, writer = await asyncio.open_connection(
                host, port, ssl=self.config.tls, server_hostname=host if self.config.tls else None)
        channel = Channel(reader, writer)
        self._channel = channel
        self._partial.clear()  # a new stream starts at this node's end of WAL
        if self.on_new_stream is not None:
            # The first records of an unfinished transaction are dropped: the new stream
            # sends them again, or they came from a primary that never committed them.
            await self.on_new_stream()
        self.lease_stamp = 0  # stamps are per primary process
        try:
            if not await self._handshake(channel, f"{host}:{port}"):
                return False
            await self._receive(channel)
            return True
        finally:
            self._channel = None
            await channel.close()

    async def _handshake(self, channel: Channel, address: str) -> bool:
        challenge = await channel.receive(self.config.connect_timeout)
        if not isinstance(challenge, p.Challenge):
            raise p.ReplicationProtocolError("expected Challenge")
        if challenge.node_id == self.config.node_id:
            return False  # this node's own address, in a list shared by every node
        if not p.check_challenge(self.config.secret, challenge):
            log.error("%s does not know the cluster secret: not following it", address)
            return False
        state = self.journal.state
        if challenge.term < state.term:
            log.warning("%s is primary of term %d, this node has seen term %d: not following",
                        address, challenge.term, state.term)
            return False
        self.journal.observe_term(challenge.term)
        wal = self.journal.wal
        end = self.primary.applied_lsn and wal.end_lsn
        proof = p.make_proof(self.config.secret, challenge.nonce, self.config.node_id)
        await channel.send(p.Hello(self.config.node_id, state.cluster_id, proof, state.term,
                                   end, self.journal.last_term, self.config.listen_address,
                                   self.config.observer))
        answer = await channel.receive(self.config.connect_timeout)
        if isinstance(answer, p.Refuse):
            level = logging.DEBUG if answer.code == p.REFUSE_NOT_PRIMARY else logging.ERROR
            log.log(level, "%s refused this standby: %s (%s)", address, answer.message,
                    answer.code)
            return False
        self.primary.node_id, self.primary.address = challenge.node_id, address
        self.primary.client_address = challenge.listen_address
        self.primary.term, self.primary.connected = challenge.term, True
        self.primary.connected_at = time.time()
        if self.on_primary is not None:
            self.on_primary(challenge.term, challenge.node_id)
        if isinstance(answer, p.NeedSnapshot):
            if self.primary.applied_lsn:
                await self._rebuild(answer.reason, answer.diverged_lsn)
            await self._bootstrap(channel, challenge.cluster_id)
        elif not isinstance(answer, p.Welcome):
            raise p.ReplicationProtocolError(f"unexpected {type(answer).__name__}")
        if state.cluster_id != challenge.cluster_id:
            state.cluster_id = challenge.cluster_id
            state.save(self.journal.data_dir)
        self.synced.set()
        await self._report(channel, False)
        return True

    async def _bootstrap(self, channel: Channel, cluster_id: str) -> None:
        begin = await channel.receive(60)
        if not isinstance(begin, p.SnapshotBegin):
            raise p.ReplicationProtocolError("expected SnapshotBegin")
        path = self.journal.data_dir / "snapshot.tmp"
        digest = hashlib.sha256()
        received = 0
        started = logged = time.monotonic()
        self.primary.snapshot_bytes, self.primary.snapshot_total = 0, begin.size
        log.info("bootstrapping from a snapshot of the primary: %d bytes at %X", begin.size,
                 begin.lsn)
        with open(path, "wb") as f:
            while True:
                message = await channel.receive(60)
                if isinstance(message, p.SnapshotEnd):
                    break
                if not isinstance(message, p.SnapshotChunk):
                    raise p.ReplicationProtocolError("expected SnapshotChunk")
                f.write(message.data)
                digest.update(message.data)
                received += len(message.data)
                self.primary.snapshot_bytes = received
                if time.monotonic() - logged >= 5.0:
                    logged = time.monotonic()
                    log.info("snapshot: %d of %d bytes (%.0f%%)", received, begin.size,
                             100 * received / max(1, begin.size))
        if digest.digest() != message.sha256 or received != begin.size:
            path.unlink(missing_ok=True)
            raise p.ReplicationProtocolError("snapshot checksum mismatch")
        await self.install_snapshot(path, begin.lsn, begin.term)
        self.primary.snapshot_total = 0
        self.primary.applied_lsn = begin.lsn
        log.info("snapshot at %X installed (%d bytes in %.2fs)", begin.lsn, received,
                 time.monotonic() - started)

    async def _receive(self, channel: Channel) -> None:
        while True:
            message = await channel.receive(30)
            self.primary.last_message = time.time()
            if isinstance(message, p.WalBatch):
                self._contact()
                self.busy = True
                try:
                    await self._store_and_apply(message, channel)
                finally:
                    self.busy = False
                    self._contact()
                await self._report(channel, False)
            elif isinstance(message, p.PrimaryHeartbeat):
                self.stats.heartbeats_received += 1
                if message.term < self.journal.term:
                    raise p.ReplicationProtocolError(f"primary of old term {message.term}")
                self.lease_stamp = max(self.lease_stamp, message.lease_us)
                self._contact()
                self.primary.end_lsn = message.end_lsn
                self.primary.flushed_lsn = message.flushed_lsn
                if message.reply_requested:
                    await self._report(channel, False)
            elif isinstance(message, p.Goodbye | p.Refuse):
                return

    async def _store_and_apply(self, batch: p.WalBatch, channel: Channel) -> None:
        """Store the batch durably and report that at once (sync modes wait for the flush,
        not the apply), then apply it."""
        if batch.term < self.journal.term:
            raise p.ReplicationProtocolError(f"WAL of old term {batch.term}")
        self.primary.end_lsn = max(self.primary.end_lsn, batch.end_lsn)
        data = self._whole_records(batch)
        if data is None:
            return  # the middle of a large record: nothing to store yet
        records = await asyncio.to_thread(self._store, data)
        if len(data) <= INLINE_APPLY_BYTES:
            # A small batch is applied here, on the event loop (SQLite's commit writes its own
            # WAL without fsync; its checkpoints run on a thread of their own): no second
            # thread hop, and the caller's one report says both flushed and applied.
            try:
                self._apply_records(records)
            finally:
                if self.on_applied is not None:
                    self.on_applied(self.primary.applied_lsn)
            return
        # Apply (on a thread) while the flush is reported. The apply is awaited even when the
        # report fails: the next session asks the primary for the WAL after what is stored, so
        # stored records must not be left unapplied.
        applying = asyncio.ensure_future(asyncio.to_thread(self._apply_records, records))
        try:
            await self._report(channel, False)
        finally:
            try:
                await applying
            finally:
                if self.on_applied is not None:
                    self.on_applied(self.primary.applied_lsn)

    def _whole_records(self, batch: p.WalBatch) -> bytes | None:
        """The whole records that ``batch`` completes, or None while a large record is still
        arriving; keeps the incomplete tail for the next batch."""
        expected = self.journal.wal.end_lsn + len(self._partial)
        if batch.first_lsn != expected or batch.end_lsn != batch.first_lsn + len(batch.data):
            raise p.ReplicationProtocolError(
                f"WAL batch {format_lsn(batch.first_lsn)}..{format_lsn(batch.end_lsn)} does "
                f"not continue the stream at {format_lsn(expected)}")
        partial = self._partial
        if partial:
            partial += batch.data
            size = pending_record_size(partial)
            if size is None or len(partial) < size:
                return None
            data = bytes(partial)
            partial.clear()
        else:
            data = batch.data
        whole = whole_records_size(data)
        if whole < len(data):
            partial += memoryview(data)[whole:]
            pending_record_size(partial)  # a length out of range is refused now, not later
        return data[:whole] if whole else None

    def _store(self, data: bytes) -> list[WalRecord]:
        wal = self.journal.wal
        records = self.journal.append_raw(data)
        self.primary.received_lsn = wal.end_lsn
        self.stats.raw_bytes += len(data)
        wal.flush_to(wal.end_lsn)
        return records

    def _apply_records(self, records: list[WalRecord]) -> None:
        stats = self.stats
        for record in records:
            try:
                committed = self.apply(record)
            except PgError as exc:  # the record does not fit this node's data: diverged
                raise SnapshotNeeded(f"applying {format_lsn(record.lsn)}: {exc.message}") \
                    from exc
            if not committed:
                continue  # a large transaction goes on in the next record
            self.primary.applied_lsn = record.end_lsn
            now = time.time()
            self.primary.last_lag_ms = max(0.0, now * 1000 - record.commit_time_us / 1000)
            stats.records += 1
            stats.last_replication = now

    def _contact(self) -> None:
        if self.on_contact is not None:
            self.on_contact()

    async def _report(self, channel: Channel, reply: bool) -> None:
        self.stats.heartbeats_sent += 1
        wal = self.journal.wal
        await channel.send(p.StandbyStatus(wal.end_lsn, wal.flushed_lsn,
                                           self.primary.applied_lsn or wal.end_lsn,
                                           time.time_ns() // 1000, reply, self.lease_stamp))
