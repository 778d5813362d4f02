"""One client of `pgha proxy`: its statements go to the primary or to a standby, per statement.

The client authenticates to the proxy (``ServerConnection``); the proxy then opens a link to
the primary as the same user (its parameters, e.g. server_version, are the ones the client is
shown) and, for reads, a link to a standby the load balancer picks. Each statement goes where
``routing.classify`` says, with the rules of docs/routing.md: a transaction, a pinned session or
an open extended-protocol batch stays on its link until ReadyForQuery says idle; only then may
the next statement use the other link. Session settings run on the primary link and are
replayed silently on the standby link.

Read-your-writes: the primary reports each commit's end LSN; before the next read goes to the
standby link, the proxy sets ``pgha.min_lsn`` there (silently), and the standby node makes the
read wait for that LSN or runs it on the primary. A standby that fails between statements is
replaced (the next read goes elsewhere); one that fails mid-statement fails that statement
(08006) and the session goes on. Losing the primary link ends the client's connection: the
outcome of what was in flight is unknown.
"""

from __future__ import annotations

import asyncio
import logging
import re
import secrets
import time
from typing import TYPE_CHECKING, Any

from pgha.proxy.backend import BackendConnection, BackendError
from pgha.proxy.client_io import ClientWire
from pgha.proxy.link import REPORT_OPTION, Link
from pgha.proxy.pool import Key, pool_key
from pgha.routing.classify import classify, quote_route_setting
from pgha.wire import messages as m
from pgha.wire.connection import Authenticated, ServerConnection
from pgha.wire.errors import Notice, PgError

if TYPE_CHECKING:
    from pgha.proxy.app import Proxy
    from pgha.proxy.cluster import NodeState

log = logging.getLogger("pgha.proxy")

# SET of a routing setting: applied by the nodes, and followed by the proxy itself.
_PROXY_SETTING = re.compile(
    r"\A\s*SET\s+(?:SESSION\s+)?pgha\.(route|explain_route)\s*(?:=|TO)\s*'?(\w+)'?\s*;?\s*\Z",
    re.IGNORECASE)


class ProxySession(ClientWire):
    def __init__(self, proxy: Proxy, reader: asyncio.StreamReader,
                 writer: asyncio.StreamWriter) -> None:
        super().__init__(ServerConnection(proxy.authenticator), reader, writer)
        self.proxy = proxy
        self.user = "postgres"
        self.database = "postgres"
        self.params: dict[str, str] = {}
        self.primary: Link | None = None
        self.reader_link: Link | None = None
        self.reader_node: NodeState | None = None
        self.current: Link | None = None  # where the open batch or transaction runs
        self.statements: dict[str, tuple[str, tuple[int, ...]]] = {}
        self.replay: list[str] = []
        self.pinned = False
        self.last_commit = "0/0"
        self.reader_min_lsn = "0/0"
        self.pid = 0
        self.secret = 0
        self._flushing: asyncio.Future[None] | None = None
        self.skip_to_sync = False  # a batch failed with its standby: ignore it up to Sync
        self.primary_key: Key | None = None  # pool keys of the links' connections
        self.reader_key: Key | None = None

    # -- lifecycle -------------------------------------------------------------------------

    async def run(self) -> None:
        try:
            async with asyncio.timeout(10.0):
                started = await self.startup()
            if started:
                await self.serve()
        except PgError as exc:
            self.terminate(PgError(exc.sqlstate, exc.message, severity="FATAL",
                                   detail=exc.detail))
        except BackendError as exc:
            self.terminate(PgError("08006", "terminating connection because the connection "
                                   "to its backend was lost", severity="FATAL",
                                   detail=str(exc)))
        except (TimeoutError, ConnectionError, OSError, asyncio.IncompleteReadError):
            pass
        finally:
            await self.close()

    async def close(self) -> None:
        self.proxy.sessions.pop(self.pid, None)
        if not self.writer.is_closing():
            self.writer.close()
        links = [(link, key) for link, key in ((self.primary, self.primary_key),
                                               (self.reader_link, self.reader_key))
                 if link is not None]
        self.primary = self.reader_link = None
        if self.reader_node is not None:
            self.reader_node.connections -= 1
            self.reader_node = None
        for link, key in links:
            backend = await link.detach()
            if backend is None or self.pinned or key is None:
                if backend is not None:
                    backend.close()
                continue
            await self.proxy.pool.give_back(key, backend)

    async def startup(self) -> bool:
        event = await self.next_event()
        if event is None:
            return False
        if isinstance(event, m.CancelRequest):
            await self.proxy.cancel(event.pid, event.secret)
            return False
        if not isinstance(event, Authenticated):
            raise PgError("08P01", "unexpected message during start-up")
        self.user, self.database = event.user, event.database
        self.params = {k: v for k, v in event.settings}
        cluster = self.proxy.cluster
        if cluster.primary() is not None or not cluster.standbys():
            self.primary = await self._open_primary()
            link = self.primary
        else:  # a failover is under way: reads go on; writes wait for the new primary
            link = await self._link_to_reader()
        for name, value in link.backend.parameters.items():
            if name != "pgha.last_commit_lsn":
                self.send(m.ParameterStatus(name, value))
        self.pid, self.secret = self.proxy.register(self)
        self.send(m.BackendKeyData(self.pid, self.secret))
        self.send(m.ReadyForQuery("I"))
        await self.flush()
        return True

    async def _open(self, node: NodeState | None, what: str) -> Link:
        if node is None:
            raise PgError("08006", f"no {what} is available",
                          hint="The proxy has no healthy node of that role right now.")
        params = {**self.params, REPORT_OPTION: "on"}
        key = pool_key(node.host, node.port, self.user, self.database, params)
        backend = self.proxy.pool.take(key)
        if backend is None:
            try:
                backend = await BackendConnection.connect(
                    node.host, node.port, self.user, self.database,
                    self.proxy.passwords.get(self.user), params)
            except BackendError as exc:
                raise PgError("08006", f"cannot reach the {what} {node.address}: {exc}") \
                    from exc
        if what == "primary":
            self.primary_key = key
        else:
            self.reader_key = key
        link = Link(backend, self.send, self.flush, self._observe_commit, lambda exc: None,
                    self.statements.get)
        link.on_lost = lambda exc: self._lost(link, exc)
        return link

    def _observe_commit(self, lsn: str) -> None:
        self.last_commit = lsn

    def _lost(self, link: Link, exc: Exception) -> None:
        if link is self.primary and not (link.active or self.pinned or link is self.current):
            # Idle, with nothing of the session's left there: the next statement that needs
            # the primary waits for one (a failover); reads go on meanwhile.
            log.info("session %d: its primary link was lost while idle (%s)", self.pid, exc)
            self.primary = None
            return
        if link is self.primary or (link is self.reader_link and link.backend.status != "I"):
            # A transaction never moves to another backend: its outcome there is gone.
            what = "primary" if link is self.primary else "standby running this transaction"
            if link is self.primary:
                self.primary = None
            self.terminate(PgError("08006", "terminating connection because the connection "
                                   f"to the {what} was lost", severity="FATAL",
                                   detail=str(exc)))
            return
        if link is not self.reader_link:
            return  # a standby link this session already replaced
        self._drop_reader()
        if self.current is link:
            self.current = None
        self._fail_on(link, exc)
        self._flushing = asyncio.ensure_future(self.flush())

    def _fail_on(self, link: Link, exc: Exception) -> None:
        """A standby failed under a statement: the client gets an error for it (and the
        ReadyForQuery it waits for), and the session goes on elsewhere."""
        if not (link.unanswered or link.in_batch):
            return
        self.send(m.ErrorResponse.from_error(PgError(
            "08006", "the standby running this statement failed", detail=str(exc))))
        for _ in range(link.unanswered):
            self.send(m.ReadyForQuery("I"))
        self.skip_to_sync = link.in_batch

    # -- serving ---------------------------------------------------------------------------

    async def serve(self) -> None:
        while True:
            event = await self.next_event()
            if event is None or isinstance(event, m.Terminate):
                return
            try:
                await self.route(event)
            except PgError as exc:
                if exc.severity == "FATAL":
                    raise
                self.send(m.ErrorResponse.from_error(exc))
                if isinstance(event, m.Query | m.Sync):
                    self.send(m.ReadyForQuery("I"))
                await self.flush()

    async def route(self, event: Any) -> None:
        if self.skip_to_sync:
            if isinstance(event, m.Sync):
                self.skip_to_sync = False
                self.send(m.ReadyForQuery("I"))
                await self.flush()
            return
        current = self.current
        if current is not None and (current.active or self.pinned):
            try:
                await current.send(event)
            except BackendError as exc:
                if current is self.primary or current.backend.status != "I":
                    raise  # the session ends: a transaction never moves to another backend
                self._drop_reader()
                self.current = None
                self._fail_on(current, exc)
                if isinstance(event, m.Sync):  # the Sync that ends the failed batch
                    self.skip_to_sync = False
                await self.flush()
            return
        if isinstance(event, m.Query):
            event = m.Query(quote_route_setting(event.query))
            link = await self._start(event.query, event)
            if classify(event.query).replay:
                await self._replay_elsewhere(event.query, link)
        elif isinstance(event, m.Parse):
            self.statements[event.name] = (event.query, tuple(event.param_oids))
            await self._start(event.query, event)
        elif isinstance(event, m.Bind):
            await self._start(self.statements.get(event.statement, ("", ()))[0], event)
        elif isinstance(event, m.Close) and event.kind == "S":
            self.statements.pop(event.name, None)
            await (current or await self._link_to_primary()).send(event)
        elif isinstance(event, m.FunctionCall):
            raise PgError("0A000", "the function call sub-protocol is not supported")
        else:  # Describe, Execute, Sync, Flush, Copy*: where the session last ran
            await (current or await self._link_to_primary()).send(event)

    async def _start(self, sql: str, event: Any) -> Link:
        """Send the first message of a statement where it should run. A standby that turns
        out to be gone is replaced before anything was sent: the statement runs elsewhere."""
        link = await self._choose(sql)
        try:
            await link.send(event)
        except BackendError:
            if link is self.primary:
                raise
            self._drop_reader()
            link = await self._choose(sql)
            await link.send(event)
        return link

    async def _choose(self, sql: str) -> Link:
        decision = classify(sql)
        if decision.pins:
            self.pinned = True
        setting = _PROXY_SETTING.match(sql)
        if setting:  # the proxy's own choices follow these settings too
            self.params[f"pgha.{setting.group(1).lower()}"] = setting.group(2).lower()
        route = self.params.get("pgha.route", "auto")
        primary = self.pinned or not decision.standby_ok or route == "primary" or \
            decision.hint == "primary"
        link = await (self._link_to_primary() if primary else self._link_to_reader())
        if self.params.get("pgha.explain_route") in ("on", "true", "1"):
            where = "primary" if link is self.primary else f"standby {self.reader_node_id()}"
            self.send(m.NoticeResponse(Notice("00000", f"proxy route: {where} "
                                                       f"({decision.reason})", "NOTICE").fields()))
        self.current = link
        return link

    def reader_node_id(self) -> str:
        node = self.reader_node
        return f"{node.node_id or node.address}" if node is not None else ""

    async def _open_primary(self) -> Link:
        """A link to the primary; during a failover (no primary, or one that turns out to be
        gone) wait up to --primary-wait for the next one."""
        cluster = self.proxy.cluster
        deadline = time.monotonic() + self.proxy.config.primary_wait
        while True:
            node = cluster.primary() or await cluster.wait_primary(
                max(0.0, deadline - time.monotonic()))
            try:
                return await self._open(node, "primary")
            except PgError:
                if node is None or time.monotonic() >= deadline:
                    raise
                cluster.mark_down(node, "its client port refused a connection")

    async def _link_to_primary(self) -> Link:
        if self.primary is None:
            self.primary = await self._open_primary()
            for sql in self.replay:
                await self.primary.run_silently(sql)
        self.current = self.primary
        return self.primary

    async def _link_to_reader(self) -> Link:
        """A standby link that has this session's last commit (or the primary)."""
        node = self.reader_node
        if node is None or not node.healthy or node not in self.proxy.cluster.standbys():
            self._drop_reader()
            node = self.proxy.cluster.pick_reader()
            if node is None:
                return await self._link_to_primary()
            try:
                self.reader_link = await self._open(node, "standby")
            except PgError:
                return await self._link_to_primary()
            self.reader_node = node
            node.connections += 1
            self.reader_min_lsn = "0/0"
            for sql in self.replay:
                await self.reader_link.run_silently(sql)
        link = self.reader_link
        assert link is not None
        if self.last_commit != self.reader_min_lsn:
            # Read-your-writes: the standby node waits for this LSN or asks the primary.
            await link.run_silently(f"SET pgha.min_lsn = '{self.last_commit}'")
            self.reader_min_lsn = self.last_commit
        return link

    def _drop_reader(self) -> None:
        if self.reader_link is not None:
            self.reader_link.close()
            self.reader_link = None
        if self.reader_node is not None:
            self.reader_node.connections -= 1
            self.reader_node = None

    async def _replay_elsewhere(self, sql: str, ran_on: Link) -> None:
        """A session setting: wait for its answer, then apply it on the other link too."""
        await ran_on.wait_idle()
        self.replay.append(sql)
        for link in (self.primary, self.reader_link):
            if link is not None and link is not ran_on:
                await link.run_silently(sql)

    async def cancel(self) -> None:
        link = self.current
        if link is not None:
            await link.backend.cancel()


def new_key() -> tuple[int, int]:
    return secrets.randbelow(2**31 - 2) + 1, secrets.randbits(31)
