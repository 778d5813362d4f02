"""The proxy's REST API (``--http-bind``): health checks, its view of the cluster, metrics.

- ``/health``, ``/liveness``: the proxy runs (200);
- ``/readiness``, ``/primary``: it knows a primary to send writes to (200; 503 during a failover
  or while two PostgreSQL servers both claim to be the primary);
- ``/replica``: at least one standby is in the read rotation;
- ``/cluster``: the nodes as the proxy's health checks see them (role, health, lag, whether
  they serve reads, client sessions on each);
- ``/metrics``: Prometheus: statements routed to the primary and to standbys, read-your-writes
  waits and fallbacks, client and pooled server connections, errors, and per node its health,
  role, lag and check round trip.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry, ProcessCollector
from prometheus_client.core import Metric
from prometheus_client.registry import Collector

from pgha.net.http import Request, Response
from pgha.net.metrics import CONTENT_TYPE, counter, error_families, exposition, gauge

if TYPE_CHECKING:
    from pgha.proxy.app import Proxy


class ProxyApi:
    def __init__(self, proxy: Proxy) -> None:
        self.proxy = proxy
        self.registry = CollectorRegistry(auto_describe=False)
        self.registry.register(ProxyCollector(proxy))
        ProcessCollector(registry=self.registry)

    async def handle(self, request: Request) -> Response:
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            return Response.text(405, f"{request.method} {request.path} is not supported")
        cluster = self.proxy.cluster
        path = request.path
        if path == "/metrics":
            return Response(200, exposition(self.registry), CONTENT_TYPE)
        if path == "/cluster":
            return Response.json(200, {"members": [self._member(n) for n in cluster.nodes],
                                       "source": "proxy", "conflict": cluster.conflict or None})
        if path in ("/health", "/liveness"):
            ok = True
        elif path in ("/", "/readiness", "/primary", "/read-write"):
            ok = cluster.primary() is not None
        elif path in ("/replica", "/read-only"):
            ok = bool(cluster.standbys())
        else:
            return Response.text(404, f"no such endpoint: {path}")
        primary = cluster.primary()
        return Response.json(200 if ok else 503, {
            "role": "proxy", "primary": primary.node_id or primary.address if primary else None,
            "standbys_in_rotation": [n.node_id or n.address for n in cluster.standbys()],
            "client_connections": len(self.proxy.sessions)})

    def _member(self, node: Any) -> dict[str, Any]:
        cluster = self.proxy.cluster
        return {"name": node.node_id or node.address, "address": node.address,
                "kind": node.kind or None, "role": node.role or None,
                "healthy": node.healthy, "term": node.term, "lag_ms": round(node.lag_ms, 3),
                "serves_reads": node in cluster.standbys(),
                "is_primary": node is cluster.primary(), "sessions": node.connections,
                "check_rtt_ms": round(node.rtt_ms, 3)}


class ProxyCollector(Collector):
    def __init__(self, proxy: Proxy) -> None:
        self.proxy = proxy

    def collect(self) -> Iterator[Metric]:
        proxy = self.proxy
        cluster = proxy.cluster
        up = gauge("pgha_proxy_node_up", "1 while a node answers the proxy's health checks",
                   labels=["node", "address", "role"])
        reads = gauge("pgha_proxy_node_serves_reads", "1 while a standby is in the read "
                      "rotation", labels=["node"])
        lag = gauge("pgha_proxy_node_lag_seconds", "A standby's replication lag as the proxy "
                    "measures it", labels=["node"])
        rtt = gauge("pgha_proxy_node_check_seconds", "Health-check round trip (smoothed)",
                    labels=["node"])
        sessions = gauge("pgha_proxy_node_sessions", "Client sessions with a connection to "
                         "the node", labels=["node"])
        standbys = cluster.standbys()
        for n in cluster.nodes:
            name = n.node_id or n.address
            up.add_metric([name, n.address, n.role or "unknown"], float(n.healthy))
            reads.add_metric([name], float(n in standbys))
            lag.add_metric([name], n.lag_ms / 1000)
            rtt.add_metric([name], n.rtt_ms / 1000)
            sessions.add_metric([name], n.connections)
        yield from (up, reads, lag, rtt, sessions)
        yield gauge("pgha_proxy_primary_known", "1 while the proxy has a primary for writes",
                    float(cluster.primary() is not None))
        counts = proxy.counts
        routed = counter("pgha_statements_routed", "Statements (or batches) sent to the "
                         "primary or to a standby", labels=["target"])
        routed.add_metric(["primary"], counts.primary)
        routed.add_metric(["standby"], counts.standby)
        yield routed
        yield counter("pgha_ryw_waits", "Reads run again because the standby had not yet "
                      "replayed the session's last commit (read-your-writes)", counts.ryw_waits)
        yield counter("pgha_ryw_fallbacks", "Reads sent to the primary because no standby had "
                      "replayed the session's last commit in time", counts.ryw_fallbacks)
        yield gauge("pgha_client_connections", "Client connections open", len(proxy.sessions))
        yield gauge("pgha_proxy_pooled_connections", "Idle server connections in the pools",
                    proxy.pool.idle_count() + proxy.shared.idle_count())
        yield error_families(counts.errors)
