"""A node's Prometheus metrics, read from its live state at each scrape (the counters are the
ones the replication views and routing already keep; nothing extra runs per statement).

One registry per node, so two nodes in one process (the tests) never share metrics.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, ProcessCollector
from prometheus_client.core import Metric
from prometheus_client.registry import Collector

from pgha import __version__
from pgha.net.metrics import counter, error_families, gauge

if TYPE_CHECKING:
    from pgha.server.node import Node

class NodeCollector(Collector):
    def __init__(self, node: Node) -> None:
        self.node = node

    def collect(self) -> Iterator[Metric]:
        node = self.node
        ha = node.ha
        wal = ha.journal.wal
        info = gauge("pgha_node_info", "This node: its id, role and sync mode (value 1)",
                     labels=["node_id", "role", "sync_mode", "version"])
        info.add_metric([ha.config.node_id, str(ha.role), ha.config.sync_mode, __version__], 1)
        yield info
        yield gauge("pgha_term", "The newest term this node has seen", ha.journal.term)
        yield gauge("pgha_writable", "1 when this node accepts writes (a primary holding its "
                    "lease)", float(node.writable and ha.hub.lease_held()))
        yield gauge("pgha_wal_end_lsn_bytes", "The end of this node's WAL, as a byte position",
                    wal.end_lsn)
        yield gauge("pgha_wal_flushed_lsn_bytes", "The end of this node's flushed WAL",
                    wal.flushed_lsn)
        yield gauge("pgha_wal_retained_bytes", "WAL kept on disk", wal.end_lsn - wal.start_lsn)
        yield gauge("pgha_applied_lsn_bytes", "What this node's database has applied",
                    ha.applied_lsn())
        st = ha.stats
        yield counter("pgha_replication_records", "WAL records shipped (primary) or applied "
                      "(standby)", st.records)
        yield counter("pgha_replication_bytes", "Uncompressed WAL bytes shipped or applied",
                      st.raw_bytes)
        yield counter("pgha_replication_wire_bytes", "WAL bytes on the wire (compressed)",
                      st.wire_bytes)
        yield counter("pgha_heartbeats_sent", "Heartbeats sent", st.heartbeats_sent)
        yield counter("pgha_heartbeats_received", "Heartbeats received",
                      st.heartbeats_received)
        yield from self._standbys()
        yield from self._primary()
        hub = ha.hub
        yield counter("pgha_sync_waits", "Commits that waited for standbys", hub.waits)
        yield counter("pgha_sync_wait_seconds", "Time commits spent waiting for standbys",
                      hub.wait_seconds)
        yield counter("pgha_semi_sync_degradations", "Times semi-sync fell back to async",
                      hub.degradations)
        waiters = ha.applied_waiters
        yield counter("pgha_ryw_waits", "Reads on this standby that waited for a session's "
                      "commit to be applied (read-your-writes)", waiters.waits)
        yield counter("pgha_ryw_wait_seconds", "Time reads spent in those waits",
                      waiters.wait_seconds)
        yield counter("pgha_ryw_fallbacks", "Reads that gave up waiting and ran on the primary",
                      waiters.fallbacks)
        routed = counter("pgha_statements_routed", "Statements a standby ran itself (local) "
                         "or forwarded to the primary", labels=["target"])
        routed.add_metric(["primary"], node.counts.primary)
        routed.add_metric(["local"], node.counts.standby)
        yield routed
        yield gauge("pgha_client_connections", "Client connections open", len(node.sessions))
        yield gauge("pgha_max_connections", "--max-connections", node.config.max_connections)
        yield error_families(node.counts.errors)

    def _standbys(self) -> Iterator[Metric]:
        hub = self.node.ha.hub
        end = self.node.ha.journal.wal.flushed_lsn
        lag_bytes = gauge("pgha_standby_lag_bytes", "A standby's apply position behind this "
                          "primary's flushed WAL", labels=["standby"])
        lag_seconds = gauge("pgha_standby_lag_seconds", "A standby's last measured apply lag",
                            labels=["standby"])
        connected = gauge("pgha_standby_connected", "1 per standby connected to this primary, "
                          "by state", labels=["standby", "state"])
        samples: list[float] = []
        for s in hub.standbys.values():
            if s.observer:
                continue
            lag = max(0, end - s.apply_lsn)
            lag_bytes.add_metric([s.node_id], lag)
            lag_seconds.add_metric([s.node_id], s.last_lag_ms / 1000 if lag else 0.0)
            connected.add_metric([s.node_id, s.state], float(s.state != "disconnected"))
            samples.extend(s.lag_samples)
        yield lag_bytes
        yield lag_seconds
        yield connected
        quantiles = gauge("pgha_replication_lag_quantile_seconds", "Apply lag of the standbys' "
                          "recent commits, by quantile", labels=["quantile"])
        samples.sort()
        for q in (0.5, 0.95, 0.99):
            if samples:
                quantiles.add_metric([str(q)], samples[min(len(samples) - 1,
                                                           int(q * len(samples)))] / 1000)
        yield quantiles

    def _primary(self) -> Iterator[Metric]:
        receiver = self.node.ha.receiver
        if receiver is None or self.node.ha.role != "standby":
            return
        pr = receiver.primary
        lag = max(0, pr.end_lsn - pr.applied_lsn)
        yield gauge("pgha_primary_connected", "1 while this standby streams from its primary",
                    float(pr.connected))
        yield gauge("pgha_apply_lag_bytes", "This standby's applied position behind its "
                    "primary's WAL end", lag)
        yield gauge("pgha_apply_lag_seconds", "This standby's last measured apply lag",
                    pr.last_lag_ms / 1000 if lag else 0.0)
        yield counter("pgha_primary_reconnects", "Reconnections to the primary", pr.reconnects)
        yield counter("pgha_rebuilds", "Rebuilds of this node from a snapshot",
                      receiver.rebuilds)


def registry(node: Node) -> CollectorRegistry:
    reg = CollectorRegistry(auto_describe=False)
    reg.register(NodeCollector(node))
    ProcessCollector(registry=reg)  # CPU, memory, open files of this process
    return reg
