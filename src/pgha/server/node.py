"""A storage node process: the embedded engine behind a PostgreSQL-wire listener.

``Node`` composes the pieces (engine, authenticator, listener, sessions) and owns what they
share: the thread pool that runs SQLite calls, and the table of live sessions that
CancelRequests are matched against.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import ssl
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pgha.net.cancel import CancelKeys
from pgha.net.http import HttpServer
from pgha.net.listener import Listener
from pgha.net.tls import ClientTls
from pgha.replication.hub import ReplicationHub
from pgha.replication.role import WRITABLE, Role
from pgha.routing.router import RouteCounts
from pgha.server.durability import WalFlusher
from pgha.server.ha import HaConfig, HaRole, advertised
from pgha.server.logins import RoleAuthenticator
from pgha.storage import roles
from pgha.storage.engine import Engine, StorageSession
from pgha.wire import messages as m
from pgha.wire.auth import Authenticator, AuthMethod, Credential
from pgha.wire.errors import CannotConnectNow, PgError, TooManyConnections

log = logging.getLogger("pgha.node")


@dataclass(slots=True)
class NodeConfig:
    data_dir: Path
    host: str = "127.0.0.1"
    port: int = 5432
    auth: str = "trust"  # trust | password | md5 | scram
    # --auth trust given by name: trust clients on other hosts too (else trust is for
    # loopback clients only, as PostgreSQL's default pg_hba.conf).
    trust_remote: bool = False
    users: dict[str, str] = field(default_factory=dict)  # user -> password
    databases: tuple[str, ...] = ("postgres",)
    durable: bool = True
    max_message_size: int = 64 * 1024 * 1024
    startup_timeout: float = 10.0
    max_connections: int = 200
    ready_file: Path | None = None
    ha: HaConfig = field(default_factory=HaConfig)
    standby_writes: str = "forward"  # forward | reject (25006), on a standby
    http_bind: tuple[str, int] | None = None  # the REST API (health checks, metrics)
    tls: ssl.SSLContext | None = None  # clients may ask for TLS (--tls-cert, --tls-key)
    tls_required: bool = False  # ... and must (--tls-required)
    # How this node connects to the primary's client port (write forwarding, /cluster).
    forward_tls: ClientTls | None = None


def build_authenticator(config: NodeConfig, find_role: Callable[[str], roles.Role | None]
                        ) -> RoleAuthenticator:
    """The --user logins, then the database's roles (server/logins.py)."""
    method = {"trust": AuthMethod.TRUST, "password": AuthMethod.PASSWORD,
              "md5": AuthMethod.MD5, "scram": AuthMethod.SCRAM_SHA_256}[config.auth]
    creds = {user: Credential(AuthMethod.TRUST) if method is AuthMethod.TRUST
             else Credential(method, password) for user, password in config.users.items()}
    return RoleAuthenticator(method, creds, find_role)


class Node:
    def __init__(self, config: NodeConfig) -> None:
        self.config = config
        self.ha = HaRole(config.ha, config.data_dir, config.durable)
        # The engine is replaced when a standby installs a snapshot: look roles up in the
        # current one.
        self.authenticator: Authenticator = build_authenticator(
            config, lambda name: self.engine.role(name))
        self.executor = ThreadPoolExecutor(max_workers=min(64, config.max_connections),
                                           thread_name_prefix="pgha-sql")
        self.sessions: CancelKeys[object] = CancelKeys()  # live sessions by cancel key
        self.listeners: dict[str, set[Any]] = {}  # LISTEN: channel -> sessions
        self.counts = RouteCounts()  # a standby: statements run here or on the primary
        self.listener: Listener | None = None
        self.http: HttpServer | None = None
        self.ready = False  # serving SQL: a new standby has its first snapshot
        self.ha.terminate_clients = self.terminate_clients
        self.ha.primary_changed = self.primary_changed
        self._tasks: set[asyncio.Future[Any]] = set()
        self._flusher: WalFlusher | None = None

    @property
    def flusher(self) -> WalFlusher:
        """Flushes pgha's WAL for commits made on the event loop (made on first use, on the
        running loop)."""
        if self._flusher is None:
            self._flusher = WalFlusher(asyncio.get_running_loop())
        return self._flusher

    @property
    def engine(self) -> Engine:
        return self.ha.engine  # replaced when a standby installs a snapshot

    @property
    def writable(self) -> bool:
        return self.ha.role in WRITABLE

    @property
    def replication_hub(self) -> ReplicationHub | None:
        """The hub commits wait on (a primary); None where commits never wait."""
        return self.ha.hub if self.ha.role in (Role.PRIMARY, Role.FENCED) else None

    def register(self, session: object) -> tuple[int, int]:
        return self.sessions.register(session)

    # -- LISTEN / NOTIFY (sessions of this node) --------------------------------------------

    def listen(self, session: Any, channel: str) -> None:
        self.listeners.setdefault(channel, set()).add(session)

    def unlisten(self, session: Any, channel: str | None) -> None:
        """Stop ``session`` listening on ``channel`` (None: on every channel)."""
        for name in [channel] if channel is not None else list(self.listeners):
            sessions = self.listeners.get(name)
            if sessions is not None:
                sessions.discard(session)
                if not sessions:
                    del self.listeners[name]

    def notify(self, pid: int, notes: list[tuple[str, str]]) -> None:
        """A committed transaction's NOTIFYs, to every session listening (in order)."""
        for channel, payload in notes:
            for session in list(self.listeners.get(channel, ())):
                session.notification(m.NotificationResponse(pid, channel, payload))

    def cancel(self, pid: int, secret: int) -> None:
        session = self.sessions.find(pid, secret)
        if session is None:
            return  # PostgreSQL ignores a bad cancel key silently
        forwarder = getattr(session, "forwarder", None)
        if forwarder is not None and forwarder.active:
            self._spawn(forwarder.cancel())  # the statement runs on the primary
            return
        wait = getattr(session, "replication_wait", None)
        if wait is not None:
            wait.cancel()  # a commit waiting for standbys stops waiting (and is told so)
            return
        wait = getattr(session, "writer_wait", None)
        if wait is not None:
            wait.cancel()  # a writer queued on the event loop stops waiting (57014)
            return
        storage = getattr(session, "storage", None)
        if storage is not None:
            storage.interrupt()

    def _spawn(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def terminate_clients(self, error: PgError) -> None:
        """End every client connection with ``error`` (FATAL): the node changed role."""
        sessions = list(self.sessions)
        for session in sessions:
            terminate = getattr(session, "terminate", None)
            if terminate is not None:
                terminate(error)
        if sessions:
            log.warning("ended %d client connection(s): %s", len(sessions), error.message)

    def refusal(self) -> PgError | None:
        """Why a client that has just started up may not use this node (None: it may). Sent
        after the start-up packet, as PostgreSQL does, so SSL negotiation sees a server."""
        if len(self.sessions) >= self.config.max_connections:
            return TooManyConnections("sorry, too many clients already", severity="FATAL")
        if self.ha.role == "observer":
            return CannotConnectNow(
                "this node is an observer: it holds no data",
                severity="FATAL", hint="Connect to a data node or to the proxy.")
        if not self.ready:
            return CannotConnectNow("the database system is starting up", severity="FATAL",
                                    detail="This standby is waiting for a snapshot of the primary.")
        if self.ha.rebuilding:
            return CannotConnectNow("the database system is starting up", severity="FATAL",
                                    detail="This standby is being rebuilt from a snapshot of the "
                                  "primary.")
        return None

    def primary_changed(self) -> None:
        """A new term began: write forwarding must not go on to the old primary."""
        for session in self.sessions:
            forwarder = getattr(session, "forwarder", None)
            if forwarder is not None:
                forwarder.primary_changed()

    def configure_session(self, storage: StorageSession) -> None:
        """Hook for roles: a standalone node is writable and not in recovery."""

    async def start(self) -> None:
        from pgha.server.session import ClientSession

        async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await ClientSession(self, reader, writer).run()

        # Bound first, so that the address this node gives its peers (a standby's hello) is
        # the real one even with port 0; clients are refused (57P03) until it is ready.
        self.listener = Listener(serve, self.config.host, self.config.port)
        await self.listener.start()
        host, port = self.listener.address
        # Peers forward writes to this address: never a wildcard (a standby would forward its
        # writes to itself).
        await self.ha.start(f"{advertised(host)}:{port}")
        if self.config.http_bind is not None:
            from pgha.server.api import NodeApi

            self.http = HttpServer(NodeApi(self).handle, *self.config.http_bind)
            await self.http.start()
            log.info("REST API on http://%s:%d", *self.http.address)
        if self.ha.receiver is not None and self.ha.role == "standby" and \
                not self.engine.applied_lsn():
            log.info("standby has no data yet: waiting for the primary's snapshot")
            await self.ha.receiver.synced.wait()
        self.ready = True
        log.info("pgha server listening on %s:%d (data %s)", host, port, self.config.data_dir)
        if self.config.ready_file is not None:
            tmp = self.config.ready_file.with_suffix(".tmp")
            tmp.write_text(json.dumps({
                "pid": os.getpid(), "host": host, "port": port,
                "replication_port": self.ha.replication_port,
                "http_port": self.http.address[1] if self.http is not None else None}))
            tmp.replace(self.config.ready_file)

    async def serve_forever(self) -> None:
        await self.start()
        assert self.listener is not None
        try:
            await self.listener.wait_closed()
        finally:
            self.executor.shutdown(wait=False, cancel_futures=True)

    async def stop(self) -> None:
        if self.http is not None:
            await self.http.close()
        await self.ha.stop()
        if self.listener is not None:
            await self.listener.close()
