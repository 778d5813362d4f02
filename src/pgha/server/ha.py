"""A node's replication role: its WAL and term, and either the sender (primary) or the
receiver (standby), plus the rows of the pg_replication_* views.

Roles: ``standalone`` (no --ha-mode: pgha's WAL still makes commits durable, nothing is
streamed), ``primary`` (accepts standbys on --ha-bind, waits on them per sync mode) and
``standby`` (read-only; follows the first reachable address of --ha-primary).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pgha.replication.hub import ReplicationHub
from pgha.replication.journal import HaState, Journal
from pgha.replication.lsn import format_lsn
from pgha.replication.receiver import ReceiverConfig, WalReceiver
from pgha.replication.sender import SenderConfig, WalSender
from pgha.replication.wal import WalLog
from pgha.storage import oids as T
from pgha.storage import types as pgtypes
from pgha.storage.changes import Replayer
from pgha.storage.engine import Engine

log = logging.getLogger("pgha.ha")


@dataclass(slots=True)
class HaConfig:
    node_id: str = ""
    mode: str = "standalone"  # standalone | primary | standby
    bind: tuple[str, int] | None = None
    primaries: tuple[tuple[str, int], ...] = ()
    sync_mode: str = "async"
    sync_standbys: tuple[str, ...] = ()
    semi_sync_timeout: float = 2.0
    secret: str = ""
    batch_bytes: int = 1 << 20
    batch_delay: float = 0.0
    compress: bool = True
    heartbeat_interval: float = 1.0


def _timestamptz(epoch: float) -> Any:
    if not epoch:
        return None
    text = dt.datetime.fromtimestamp(epoch, dt.UTC).isoformat(sep=" ")
    return pgtypes.parse_text(pgtypes.TYPES_BY_OID[T.TIMESTAMPTZ], text, -1, "UTC")


class HaRole:
    def __init__(self, config: HaConfig, data_dir: Path, durable: bool) -> None:
        self.config = config
        self.data_dir = data_dir
        self.durable = durable
        self.started = time.time()
        wal = WalLog.open(data_dir / "wal", fsync=durable)
        self.journal = Journal(wal, HaState.load(data_dir, config.mode != "standby"), data_dir)
        self.hub = ReplicationHub(config.sync_mode, config.sync_standbys,
                                  config.semi_sync_timeout)
        self.sender: WalSender | None = None
        self.receiver: WalReceiver | None = None
        self.replication_port = 0
        self.listen_address = ""
        self.engine = self.open_engine()
        self._replayer: Replayer | None = None

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
        engine.read_only = self.config.mode == "standby"
        engine.sync_mode = self.config.sync_mode
        engine.status_provider = self.status_rows
        return engine

    @property
    def role(self) -> str:
        return self.config.mode

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self, listen_address: str) -> None:
        """Start replication; a standby with no data first waits for its snapshot."""
        self.listen_address = listen_address
        secret = self.config.secret.encode()
        if self.config.mode == "primary":
            self.sender = WalSender(
                self.journal, self.hub,
                SenderConfig(self.config.node_id, secret, self.config.batch_bytes,
                             self.config.batch_delay, self.config.heartbeat_interval,
                             self.config.compress),
                lambda path: self.engine.snapshot_to(path))
            host, port = self.config.bind or ("127.0.0.1", 0)
            _, self.replication_port = await self.sender.start(host, port)
        elif self.config.mode == "standby":
            applied = self.engine.applied_lsn()
            self.receiver = WalReceiver(
                self.journal,
                ReceiverConfig(self.config.node_id, self.config.primaries, listen_address,
                               secret),
                self._apply, self._install_snapshot, applied)
            if self.config.bind is not None:
                self.replication_port = self.config.bind[1]

    async def run_receiver(self) -> None:
        assert self.receiver is not None
        await self.receiver.run()

    def set_aside(self) -> None:
        """Move a diverged standby's database away and empty its WAL."""
        db = self.data_dir / "pgha.db"
        stamp = time.strftime("%Y%m%d%H%M%S")
        for suffix in ("", "-wal", "-shm"):
            src = Path(str(db) + suffix)
            if src.exists():
                src.replace(Path(f"{db}.diverged-{stamp}{suffix}"))
        self.journal.wal.reset(self.journal.wal.end_lsn)

    async def stop(self) -> None:
        if self.sender is not None:
            await self.sender.close()

    # -- standby ---------------------------------------------------------------------------

    def _apply(self, end_lsn: int, body: bytes) -> None:
        if self._replayer is None:
            self._replayer = self.engine.replayer()
        self.engine.apply_record(self._replayer, end_lsn, body)

    async def _install_snapshot(self, path: Path, lsn: int) -> None:
        def swap() -> None:
            if self._replayer is not None:
                self._replayer.conn.close()
                self._replayer = None
            db = self.data_dir / "pgha.db"
            for suffix in ("-wal", "-shm"):
                Path(str(db) + suffix).unlink(missing_ok=True)
            path.replace(db)
            self.journal.wal.reset(lsn)
            self.engine = self.open_engine()
            self.engine.set_applied_lsn(lsn)

        await asyncio.to_thread(swap)

    # -- views -----------------------------------------------------------------------------

    def status_rows(self, view: str) -> list[tuple[Any, ...]]:
        wal = self.journal.wal
        if view == "pg_replication_status":
            live = [s for s in self.hub.standbys.values() if s.state != "disconnected"]
            return [(self.config.node_id, self.role, self.config.sync_mode, self.listen_address,
                     self.replication_port or None, format_lsn(wal.end_lsn),
                     1 if self.role == "standby" else 0, len(live),
                     int(time.time() - self.started), self.journal.term)]
        if view == "pg_replication_standbys":
            return [self._standby_row(s) for s in self.hub.standbys.values()]
        if view == "pg_replication_primary":
            return self._primary_rows()
        if view == "pg_replication_metrics":
            return [self._metrics_row()]
        return []

    def _sync_state(self, node_id: str) -> str:
        mode = self.config.sync_mode
        if mode == "sync" and self.config.sync_standbys and node_id not in \
                self.config.sync_standbys:
            return "async"
        return "async" if self.hub.degraded and mode == "semi-sync" else mode

    def _standby_row(self, s: Any) -> tuple[Any, ...]:
        end = self.journal.wal.flushed_lsn
        lag = max(0, end - s.apply_lsn)
        p50, p95, p99 = self.hub.lag_percentiles(s)
        state = s.state
        if state == "streaming":
            state = "synced" if lag == 0 else "streaming"
        elif state == "catchup":
            state = "catching_up"
        return (s.node_id, s.listen_address or s.peer, self._sync_state(s.node_id), state,
                format_lsn(s.write_lsn), format_lsn(s.flush_lsn), format_lsn(s.apply_lsn), lag,
                s.last_lag_ms if lag else 0.0, p50, p95, p99, _timestamptz(s.connected_at),
                _timestamptz(s.reply_time))

    def _primary_rows(self) -> list[tuple[Any, ...]]:
        if self.receiver is None:
            return []
        pr = self.receiver.primary
        local = pr.applied_lsn
        lag = max(0, pr.end_lsn - local)
        state = "streaming" if pr.connected and pr.last_message else (
            "connected" if pr.connected else "disconnected")
        return [(pr.node_id, pr.address, state, format_lsn(pr.end_lsn), format_lsn(local), lag,
                 None, self.journal.term, None, _timestamptz(pr.last_message))]

    def _metrics_row(self) -> tuple[Any, ...]:
        wal = self.journal.wal
        standbys = list(self.hub.standbys.values())
        samples = sorted(x for s in standbys for x in s.lag_samples)

        def pct(q: float) -> float | None:
            return samples[min(len(samples) - 1, int(q * len(samples)))] if samples else None

        return (wal.last_xid, wal.end_lsn - wal.start_lsn, None, None, None, None,
                self.receiver.primary.reconnects if self.receiver else 0, None, None, None,
                pct(0.5), pct(0.95), pct(0.99), self.hub.waits, self.hub.wait_seconds,
                self.hub.degradations)
