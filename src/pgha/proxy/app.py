"""`pgha proxy`: one PostgreSQL-wire endpoint in front of a pgha cluster.

Clients connect to the proxy as to one PostgreSQL server; ``ProxySession`` sends each statement
to the primary or to a standby (docs/routing.md), ``ClusterView`` keeps the roles and health of
the nodes, and CancelRequests are matched to the session and passed to the backend that runs
its statement.
"""

from __future__ import annotations

import json
import logging
import os
import ssl
from dataclasses import dataclass, field
from pathlib import Path

from pgha.net.cancel import CancelKeys
from pgha.net.http import HttpServer
from pgha.net.listener import Listener
from pgha.net.pool import BackendPool, Key, SharedPool
from pgha.net.tls import ClientTls
from pgha.proxy.cluster import ClusterView, NodeState
from pgha.proxy.session import ProxySession
from pgha.routing.router import RouteCounts
from pgha.wire.auth import (
    Authenticator,
    AuthMethod,
    Credential,
    StaticAuthenticator,
    TrustAnyUser,
)

log = logging.getLogger("pgha.proxy")


@dataclass(slots=True)
class ProxyConfig:
    host: str = "127.0.0.1"
    port: int = 6543
    nodes: list[tuple[str, int, int]] = field(default_factory=list)  # host, port, weight
    users: dict[str, str] = field(default_factory=dict)  # clients log in with SCRAM if set
    check_interval: float = 0.5
    max_lag_ms: float = 10_000.0
    strategy: str = "round-robin"
    ready_file: Path | None = None
    primary_wait: float = 5.0  # how long a write waits for a primary during a failover
    backend: str = "auto"  # "pgha" | "postgres" | "auto": what the nodes are
    pool_mode: str = "session"  # "session" | "transaction"
    pool_size: int = 20  # transaction pooling: server connections per node, user, db, options
    http_bind: tuple[str, int] | None = None  # the REST API (health checks, metrics)
    tls: ssl.SSLContext | None = None  # clients may ask for TLS (--tls-cert, --tls-key)
    tls_required: bool = False  # ... and must (--tls-required)
    backend_tls: ClientTls | None = None  # to the nodes (--backend-sslmode)
    # "trust": clients log in without a password from any host (the --user passwords are
    # then only the proxy's own logins to the nodes); "": SCRAM with --user, else trust for
    # loopback clients only.
    auth: str = ""


class Proxy:
    def __init__(self, config: ProxyConfig) -> None:
        self.config = config
        self.passwords = dict(config.users)
        self.authenticator: Authenticator = (
            StaticAuthenticator({u: Credential(AuthMethod.SCRAM_SHA_256, pw)
                                 for u, pw in config.users.items()})
            if config.users and config.auth != "trust" else TrustAnyUser())
        # Trust nobody asked for by name (no --user, no --auth trust) is for local clients.
        self.trust_local_only = not config.users and config.auth != "trust"
        monitor_user = next(iter(config.users), "postgres")
        self.cluster = ClusterView(
            [NodeState(h, p, w, kind="" if config.backend == "auto" else config.backend)
             for h, p, w in config.nodes], user=monitor_user,
            password=config.users.get(monitor_user), interval=config.check_interval,
            max_lag_ms=config.max_lag_ms, strategy=config.strategy, tls=config.backend_tls)
        self.sessions: CancelKeys[ProxySession] = CancelKeys()
        self.cluster.on_superseded = self._superseded
        self.pool = BackendPool()
        self.shared = SharedPool(config.pool_size)  # transaction pooling
        # The ParameterStatus values a server connection of each pool key reported at its
        # start: a new client of that key gets them without a connection being opened for
        # it (its primary link opens at its first statement that needs one).
        self.server_parameters: dict[Key, dict[str, str]] = {}
        self.listener = Listener(self._serve, config.host, config.port)
        self.counts = RouteCounts()  # statements routed, read-your-writes, errors (metrics)
        self.http: HttpServer | None = None

    async def start(self) -> None:
        await self.cluster.start()
        if self.config.http_bind is not None:
            from pgha.proxy.api import ProxyApi

            self.http = HttpServer(ProxyApi(self).handle, *self.config.http_bind)
            await self.http.start()
            log.info("REST API on http://%s:%d", *self.http.address)
        await self.listener.start()
        host, port = self.listener.address
        nodes = ", ".join(f"{n.address} ({n.role or 'down'})" for n in self.cluster.nodes)
        log.info("pgha proxy listening on %s:%d; nodes: %s", host, port, nodes)
        if self.config.ready_file is not None:
            tmp = self.config.ready_file.with_suffix(".tmp")
            tmp.write_text(json.dumps({
                "pid": os.getpid(), "host": host, "port": port,
                "http_port": self.http.address[1] if self.http is not None else None}))
            tmp.replace(self.config.ready_file)

    async def stop(self) -> None:
        if self.http is not None:
            await self.http.close()
        await self.listener.close()
        await self.cluster.stop()
        self.pool.close()
        self.shared.close()

    async def _serve(self, reader: object, writer: object) -> None:
        await ProxySession(self, reader, writer).run()  # type: ignore[arg-type]

    def _superseded(self, node: NodeState) -> None:
        """Another node is the primary: end the sessions' links to the old one (a statement
        in flight there gets 08006, its outcome unknown, instead of hanging as long as a
        partition lasts; an idle link is simply dropped)."""
        dropped = sum(session.abandon(node) for session in self.sessions)
        if dropped:
            log.warning("closed %d session link(s) to %s, no longer the primary", dropped,
                        node.address)

    def register(self, session: ProxySession) -> tuple[int, int]:
        return self.sessions.register(session)

    async def cancel(self, pid: int, secret: int) -> None:
        session = self.sessions.find(pid, secret)
        if session is not None:
            await session.cancel()
