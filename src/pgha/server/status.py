"""The rows of the pg_replication_* views, as one node sees the cluster (filled at scan time).

``pg_replication_status`` (this node), ``pg_replication_standbys`` (a primary's standbys and
observers), ``pg_replication_primary`` (a standby's primary), ``pg_replication_metrics`` and
``pg_replication_history`` (the terms this node has seen).
"""

from __future__ import annotations

import datetime as dt
import time
from typing import TYPE_CHECKING, Any

from pgha.storage import oids as T
from pgha.storage import types as pgtypes
from pgha.wire.lsn import format_lsn

if TYPE_CHECKING:
    from pgha.server.ha import HaRole


def _timestamptz(epoch: float) -> Any:
    if not epoch:
        return None
    text = dt.datetime.fromtimestamp(epoch, dt.UTC).isoformat(sep=" ")
    return pgtypes.parse_text(pgtypes.TYPES_BY_OID[T.TIMESTAMPTZ], text, -1, "UTC")


def _progress(copying: bool, done: int, total: int) -> tuple[int | None, int | None]:
    """(bytes copied, of total) of a snapshot bootstrap under way; NULLs otherwise."""
    return (done, total) if copying and total else (None, None)


class StatusViews:
    def __init__(self, ha: HaRole) -> None:
        self.ha = ha

    def rows(self, view: str) -> list[tuple[Any, ...]]:
        ha = self.ha
        wal = ha.journal.wal
        if view == "pg_replication_status":
            live = [s for s in ha.hub.standbys.values() if s.state != "disconnected"]
            return [(ha.config.node_id, ha.role, ha.config.sync_mode, ha.listen_address,
                     ha.replication_port or None, format_lsn(wal.end_lsn),
                     ha.engine.read_only, len(live) if ha.role == "primary" else 0,
                     int(time.time() - ha.started), ha.journal.term)]
        if view == "pg_replication_standbys":
            if ha.role != "primary":
                return []
            return [self._standby_row(s) for s in ha.hub.standbys.values()]
        if view == "pg_replication_primary":
            return self._primary_rows()
        if view == "pg_replication_metrics":
            return [self._metrics_row()]
        if view == "pg_replication_history":
            return [(e.term, e.primary, _timestamptz(e.started_at), format_lsn(e.start_lsn),
                     e.reason, e.discarded) for e in ha.history.entries]
        return []

    def _sync_state(self, node_id: str) -> str:
        mode = self.ha.config.sync_mode
        if mode == "sync" and self.ha.config.sync_standbys and node_id not in \
                self.ha.config.sync_standbys:
            return "async"
        return "async" if self.ha.hub.degraded and mode == "semi-sync" else mode

    def _standby_row(self, s: Any) -> tuple[Any, ...]:
        end = self.ha.journal.wal.flushed_lsn
        lag = max(0, end - s.apply_lsn)
        p50, p95, p99 = self.ha.hub.lag_percentiles(s)
        state = s.state
        if state == "streaming":
            state = "synced" if lag == 0 else "streaming"
        elif state == "catchup":
            state = "catching_up"
        return (s.node_id, s.listen_address or s.peer, self._sync_state(s.node_id), state,
                format_lsn(s.write_lsn), format_lsn(s.flush_lsn), format_lsn(s.apply_lsn), lag,
                s.last_lag_ms if lag else 0.0, p50, p95, p99, _timestamptz(s.connected_at),
                _timestamptz(s.reply_time), *_progress(s.state == "snapshot", s.snapshot_bytes,
                                                       s.snapshot_total))

    def _primary_rows(self) -> list[tuple[Any, ...]]:
        if self.ha.receiver is None or self.ha.role != "standby":
            return []
        pr = self.ha.receiver.primary
        local = pr.applied_lsn
        lag = max(0, pr.end_lsn - local)
        if pr.connected and pr.snapshot_total:
            state = "snapshot"  # bootstrapping: snapshot_bytes of snapshot_total copied
        elif self.ha.rebuilding:
            state = "connecting"
        elif pr.connected:
            state = "streaming" if pr.last_message else "connected"
        else:
            state = "connecting" if pr.reconnects == 0 and not pr.node_id else "disconnected"
        return [(pr.node_id or None, pr.address or None, state, format_lsn(pr.end_lsn),
                 format_lsn(local), lag, pr.last_lag_ms if lag else 0.0, self.ha.journal.term,
                 _timestamptz(pr.connected_at), _timestamptz(pr.last_message),
                 self.ha.receiver.rebuilds, self.ha.receiver.last_rebuild or None,
                 pr.client_address or None,
                 *_progress(state == "snapshot", pr.snapshot_bytes, pr.snapshot_total))]

    def _metrics_row(self) -> tuple[Any, ...]:
        wal = self.ha.journal.wal
        st = self.ha.stats
        standbys = list(self.ha.hub.standbys.values())
        samples = sorted(x for s in standbys for x in s.lag_samples)

        def pct(q: float) -> float | None:
            return samples[min(len(samples) - 1, int(q * len(samples)))] if samples else None

        ratio = st.raw_bytes / st.wire_bytes if st.wire_bytes else None
        waiters = self.ha.applied_waiters
        return (wal.last_xid, wal.end_lsn - wal.start_lsn, st.records, st.raw_bytes,
                st.heartbeats_sent, st.heartbeats_received,
                self.ha.receiver.primary.reconnects if self.ha.receiver else 0,
                _timestamptz(self.ha.journal.last_write), _timestamptz(st.last_replication), ratio,
                pct(0.5), pct(0.95), pct(0.99), self.ha.hub.waits, self.ha.hub.wait_seconds,
                self.ha.hub.degradations, waiters.waits, waiters.wait_seconds, waiters.fallbacks)
