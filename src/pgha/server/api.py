"""A node's REST API (``--http-bind``), in Patroni's conventions so that HAProxy checks,
Kubernetes probes and runbooks written for Patroni work unchanged.

Status checks answer 200 or 503 with a small JSON body describing the node:
- ``/primary`` (``/read-write``, ``/leader``, ``/master``): the writable primary, holding its
  lease (an isolated primary answers 503 as soon as it stops acknowledging commits);
- ``/replica``: a running standby, within ``?lag=`` (bytes, or with a unit: ``16kB``,
  ``64MB``, ``1GB``; 1 kB = 1024 bytes as in PostgreSQL) behind what it last heard the primary
  had written; ``?replication_state=streaming``: and connected to its primary now;
- ``/read-only``: as ``/replica``, or the primary (Patroni's meaning);
- ``/health``: the node serves SQL (not while it is rebuilt from a snapshot);
- ``/liveness``: the process answers; ``/readiness``: the primary, or a running standby.
Also ``/cluster`` (members as this node and its primary see them), ``/history`` (the terms),
``/metrics`` (Prometheus), and ``POST /failover`` / ``POST /switchover``: this standby runs for
election, as ``pg_promote()`` does (refused, 412, when it lacks commits another node holds).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import time
from typing import TYPE_CHECKING, Any

from pgha.net import members as cluster_members
from pgha.net.backend import BackendError
from pgha.net.http import Request, Response
from pgha.net.metrics import CONTENT_TYPE, exposition
from pgha.server import metrics
from pgha.storage.status_views import VIEWS
from pgha.wire.errors import PgError
from pgha.wire.lsn import format_lsn

if TYPE_CHECKING:
    from pgha.server.node import Node

PROMOTE_WAIT = 5.0  # seconds POST /failover waits for its election
_UNITS = {"": 1, "b": 1, "kb": 1 << 10, "mb": 1 << 20, "gb": 1 << 30, "tb": 1 << 40}
_SIZE = re.compile(r"\s*(\d+)\s*([a-zA-Z]*)\s*")


def parse_size(text: str) -> int:
    """``?lag=`` as bytes: ``1048576``, ``16kB``, ``1MB`` (case-insensitive units)."""
    match = _SIZE.fullmatch(text)
    if match is None or match.group(2).lower() not in _UNITS:
        raise ValueError(f"invalid size {text!r}: expected bytes or a number with kB, MB, "
                         "GB or TB")
    return int(match.group(1)) * _UNITS[match.group(2).lower()]


def _utc(value: Any) -> Any:
    """A view's timestamptz (stored as UTC text) as ISO 8601 with its offset."""
    if not isinstance(value, str):
        return value
    return dt.datetime.fromisoformat(value).replace(tzinfo=dt.UTC).isoformat()


class NodeApi:
    def __init__(self, node: Node) -> None:
        self.node = node
        self.registry = metrics.registry(node)

    async def handle(self, request: Request) -> Response:
        path = request.path
        if request.method == "POST" and path in ("/failover", "/switchover"):
            return await self._promote(request)
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            return Response.text(405, f"{request.method} {path} is not supported")
        if path == "/metrics":
            return Response(200, exposition(self.registry), CONTENT_TYPE)
        if path == "/cluster":
            return Response.json(200, await self._cluster())
        if path == "/history":
            return Response.json(200, self._history())
        if path == "/liveness":
            return Response.json(200, self._state())
        try:
            ok = self._check(path, request.query)
        except ValueError as exc:
            return Response.text(400, str(exc))
        if ok is None:
            return Response.text(404, f"no such endpoint: {path}")
        return Response.json(200 if ok else 503, self._state())

    # -- checks ------------------------------------------------------------------------------

    def _check(self, path: str, query: dict[str, str]) -> bool | None:
        if "lag" in query:
            parse_size(query["lag"])  # a bad value is the caller's error (400), on any node
        if path in ("/", "/primary", "/read-write", "/leader", "/master"):
            return self.is_primary()
        if path in ("/replica", "/standby"):
            return self.is_replica(query)
        if path == "/read-only":
            return self.is_primary() or self.is_replica(query)
        if path == "/health":
            return self.serving()
        if path == "/readiness":
            return self.is_primary() or self.is_replica({})
        return None

    def serving(self) -> bool:
        """The node answers SQL: it listens, and is not being (re)built from a snapshot."""
        return self.node.ready and not self.node.ha.rebuilding

    def is_primary(self) -> bool:
        ha = self.node.ha
        return self.node.writable and ha.hub.lease_held() and self.serving()

    def is_replica(self, query: dict[str, str]) -> bool:
        ha = self.node.ha
        receiver = ha.receiver
        if ha.role != "standby" or receiver is None or not self.serving():
            return False
        # As Patroni's: a running standby, whether or not it streams at this moment (during
        # a failover it goes on serving reads); ?replication_state=streaming asks for that.
        pr = receiver.primary
        if pr.snapshot_total:
            return False
        if "lag" in query and self.lag_bytes() > parse_size(query["lag"]):
            return False
        wanted = query.get("replication_state")
        return wanted is None or (wanted == "streaming" and pr.connected)

    def lag_bytes(self) -> int:
        receiver = self.node.ha.receiver
        if receiver is None:
            return 0
        return max(0, receiver.primary.end_lsn - receiver.primary.applied_lsn)

    def _state(self) -> dict[str, Any]:
        ha = self.node.ha
        state: dict[str, Any] = {
            "name": ha.config.node_id, "role": str(ha.role),
            "state": "running" if self.serving() else "starting",
            "term": ha.journal.term, "lsn": format_lsn(ha.applied_lsn()),
            "writable": self.is_primary(), "sync_mode": ha.config.sync_mode,
            "uptime_seconds": int(time.time() - ha.started),
        }
        if ha.role == "standby" and ha.receiver is not None:
            pr = ha.receiver.primary
            state.update(primary=pr.node_id or None, streaming=pr.connected,
                         lag_bytes=self.lag_bytes())
            if pr.snapshot_total:
                state["snapshot"] = {"bytes": pr.snapshot_bytes, "total": pr.snapshot_total}
        return state

    # -- cluster, history --------------------------------------------------------------------

    def _rows(self, view: str) -> list[dict[str, Any]]:
        names = [c for c, _ in VIEWS[view]]
        return [dict(zip(names, row, strict=True)) for row in self.node.ha.status_rows(view)]

    async def _cluster(self) -> dict[str, Any]:
        status = self._rows("pg_replication_status")[0]
        primary = next(iter(self._rows("pg_replication_primary")), None)
        own = cluster_members.ClusterMembers(
            cluster_members.members_from_views(status, self._rows("pg_replication_standbys"),
                                               primary),
            self.node.ha.listen_address, complete=status["role"] != "standby")
        if own.complete or not primary or not primary.get("client_address"):
            return own.to_json()
        # A standby knows only itself and its primary: the primary knows every member.
        config = self.node.config
        user = next(iter(config.users), "postgres")
        try:
            found = await cluster_members.fetch_members(
                *cluster_members.split_address(str(primary["client_address"])), user,
                config.users.get(user), config.databases[0], timeout=2.0,
                tls=config.forward_tls)
        except (BackendError, PgError, OSError, TimeoutError, ValueError):
            return own.to_json()
        return (found if found.complete else own).to_json()

    def _history(self) -> list[dict[str, Any]]:
        return [{**row, "started_at": _utc(row["started_at"])}
                for row in self._rows("pg_replication_history")]

    # -- promotion ---------------------------------------------------------------------------

    async def _promote(self, request: Request) -> Response:
        ha = self.node.ha
        try:
            body = json.loads(request.body or b"{}")
        except ValueError:
            return Response.text(400, "the body must be JSON, e.g. {\"candidate\": \"n2\"}")
        candidate = body.get("candidate") if isinstance(body, dict) else None
        if candidate not in (None, "", ha.config.node_id):
            return Response.text(412, f"this is {ha.config.node_id}: send the request to "
                                 f"{candidate}'s API")
        if ha.role != "standby":
            return Response.text(412, f"{ha.config.node_id} is not a standby (it is "
                                 f"{ha.role}): send the request to the candidate's API")
        if request.path == "/switchover" and not (ha.receiver and ha.receiver.primary.connected):
            return Response.text(412, "no primary is connected: use /failover")
        try:
            promoted = await ha.elections.promote_by_election(PROMOTE_WAIT)
        except PgError as exc:
            return Response.text(412, exc.message)
        if not promoted:
            return Response.text(503, f"{ha.config.node_id} was not promoted")
        return Response.text(200, f"promoted {ha.config.node_id} (term {ha.journal.term})")
