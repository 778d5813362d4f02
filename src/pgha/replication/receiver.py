"""A standby's link to its primary: handshake, snapshot bootstrap, WAL in, feedback out.

The receiver connects to the first reachable primary among ``primaries``, proves the cluster
secret, and says where its log ends. It then stores each WAL batch byte for byte, flushes it,
applies its records to the database, and reports write/flush/apply LSNs after every batch and
when the primary asks (heartbeats). On a lost connection it retries with exponential backoff.

Invariants: a record is applied only after it is durable in the standby's own WAL; a primary
of another cluster, or of a lower term than this node has seen, is refused.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from pgha.replication import protocol as p
from pgha.replication.channel import Channel, ChannelClosed
from pgha.replication.journal import Journal
from pgha.replication.lsn import format_lsn
from pgha.wire.errors import PgError

log = logging.getLogger("pgha.replication")


class SnapshotNeeded(Exception):
    """The primary asked for a snapshot while this node already serves data."""


@dataclass(slots=True)
class ReceiverConfig:
    node_id: str
    primaries: tuple[tuple[str, int], ...]
    listen_address: str
    secret: bytes = b""
    connect_timeout: float = 5.0
    max_backoff: float = 5.0


@dataclass(slots=True)
class PrimaryInfo:
    """What the standby knows of its primary (pg_replication_primary)."""

    node_id: str = ""
    address: str = ""
    term: int = 0
    end_lsn: int = 0
    flushed_lsn: int = 0
    connected: bool = False
    last_message: float = 0.0
    received_lsn: int = 0
    applied_lsn: int = 0
    reconnects: int = 0


class WalReceiver:
    def __init__(self, journal: Journal, config: ReceiverConfig,
                 apply: Callable[[int, bytes], None],
                 install_snapshot: Callable[[Path, int], Awaitable[None]],
                 applied_lsn: int) -> None:
        self.journal = journal
        self.config = config
        self.apply = apply  # (end LSN, body) -> applied in one SQLite transaction
        self.install_snapshot = install_snapshot
        self.primary = PrimaryInfo(applied_lsn=applied_lsn)
        self.synced = asyncio.Event()  # set once the standby has a database to serve

    async def run(self) -> None:
        backoff = 0.1
        while True:
            for host, port in self.config.primaries:
                try:
                    await self._session(host, port)
                    backoff = 0.1
                except SnapshotNeeded:
                    raise
                except (OSError, ChannelClosed, TimeoutError, p.ReplicationProtocolError) as exc:
                    log.info("replication from %s:%d: %s", host, port, exc)
                finally:
                    self.primary.connected = False
            self.primary.reconnects += 1
            await asyncio.sleep(backoff * (0.5 + random.random()))
            backoff = min(backoff * 2, self.config.max_backoff)

    async def _session(self, host: str, port: int) -> None:
        reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port),
                                                self.config.connect_timeout)
        channel = Channel(reader, writer)
        try:
            if not await self._handshake(channel, f"{host}:{port}"):
                return
            await self._receive(channel)
        finally:
            await channel.close()

    async def _handshake(self, channel: Channel, address: str) -> bool:
        challenge = await channel.receive(self.config.connect_timeout)
        if not isinstance(challenge, p.Challenge):
            raise p.ReplicationProtocolError("expected Challenge")
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
                                   end, wal.last_term, self.config.listen_address))
        answer = await channel.receive(self.config.connect_timeout)
        if isinstance(answer, p.Refuse):
            log.error("primary %s refused this standby: %s (%s)", address, answer.message,
                      answer.code)
            return False
        self.primary.node_id, self.primary.address = challenge.node_id, address
        self.primary.term, self.primary.connected = challenge.term, True
        if isinstance(answer, p.NeedSnapshot):
            if self.primary.applied_lsn:
                raise SnapshotNeeded(answer.reason)
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
        started = time.monotonic()
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
                log.info("snapshot: %d of %d bytes", received, begin.size)  # 1 MiB chunks
        if digest.digest() != message.sha256 or received != begin.size:
            path.unlink(missing_ok=True)
            raise p.ReplicationProtocolError("snapshot checksum mismatch")
        await self.install_snapshot(path, begin.lsn)
        self.primary.applied_lsn = begin.lsn
        log.info("snapshot at %X installed (%d bytes in %.2fs)", begin.lsn, received,
                 time.monotonic() - started)

    async def _receive(self, channel: Channel) -> None:
        while True:
            message = await channel.receive(30)
            self.primary.last_message = time.time()
            if isinstance(message, p.WalBatch):
                await self._store_and_apply(message)
                await self._report(channel, False)
            elif isinstance(message, p.PrimaryHeartbeat):
                self.primary.end_lsn = message.end_lsn
                self.primary.flushed_lsn = message.flushed_lsn
                if message.reply_requested:
                    await self._report(channel, False)
            elif isinstance(message, p.Goodbye | p.Refuse):
                return

    async def _store_and_apply(self, batch: p.WalBatch) -> None:
        if batch.term < self.journal.term:
            raise p.ReplicationProtocolError(f"WAL of old term {batch.term}")
        self.primary.end_lsn = max(self.primary.end_lsn, batch.end_lsn)
        await asyncio.to_thread(self._write_and_apply, batch.data)

    def _write_and_apply(self, data: bytes) -> None:
        wal = self.journal.wal
        records = wal.append_raw(data)
        self.primary.received_lsn = wal.end_lsn
        wal.flush_to(wal.end_lsn)
        for record in records:
            try:
                self.apply(record.end_lsn, record.body)
            except PgError as exc:  # the record does not fit this node's data: diverged
                raise SnapshotNeeded(f"applying {format_lsn(record.lsn)}: {exc.message}") \
                    from exc
            self.primary.applied_lsn = record.end_lsn

    async def _report(self, channel: Channel, reply: bool) -> None:
        wal = self.journal.wal
        await channel.send(p.StandbyStatus(wal.end_lsn, wal.flushed_lsn,
                                           self.primary.applied_lsn or wal.end_lsn,
                                           time.time_ns() // 1000, reply))
