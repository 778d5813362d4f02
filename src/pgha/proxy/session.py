"""One client of `pgha proxy`: its statements go to the primary or to a standby, per statement.

The client authenticates to the proxy (``ServerConnection``); the proxy then opens a link to
the primary as the same user (its parameters, e.g. server_version, are the ones the client is
shown) and, for reads, a link to a standby the load balancer picks. Each statement goes where
``routing.classify`` says, with the rules of docs/routing.md: a transaction, a pinned session or
an open extended-protocol batch stays on its link until ReadyForQuery says idle; only then may
the next statement use the other link. Session settings run on the primary link and are
replayed silently on the standby link.

Where each statement goes is ``routing.router.route``'s decision, the same function a standby
node uses to forward writes; this class does the I/O it asks for. Two ways: the general one, a
task per session that decodes each message and may wait (``route``); and the fast path
(``take``), which routes and forwards the common messages of a session with nothing pending as
their bytes, in the event loop's callback that received them, and hands everything else to the
general way.

Read-your-writes, on pgha nodes: the primary reports each commit's end LSN; before the next read
goes to the standby link, the proxy sets ``pgha.min_lsn`` there (silently), and the standby node
makes the read wait for that LSN or runs it on the primary. On PostgreSQL: behind a Query or Sync
that may commit a write, the proxy pipelines ``SELECT pg_current_wal_insert_lsn()`` on the
primary link (no extra round trip; swallowed); a read goes to a standby whose
``pg_last_wal_replay_lsn()`` has reached it. When the proxy does not know that already, it sends
the question and the read together (one round trip): the read's replies reach the client only
if the answer says the standby was fresh; otherwise they are discarded and the read runs again,
on the standby once it has caught up (asked every few ms, up to ``pgha.ryw_timeout``) or else on
the primary. ``SET``/``SHOW`` of the ``pgha.*``
routing settings are answered by the proxy itself and never sent to PostgreSQL.

A standby that fails between statements is replaced (the next read goes elsewhere); one that
fails mid-statement fails that statement (08006) and the session goes on. Losing the primary
link ends the client's connection: the outcome of what was in flight is unknown.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import hashlib
import logging
import time
from typing import TYPE_CHECKING, Any

from pgha.net.backend import BackendConnection, BackendError
from pgha.net.client_io import ClientWire
from pgha.net.link import COPY_FROM_STDIN, REPORT_OPTION, Link, drops_prepared
from pgha.net.pool import Key, pool_key
from pgha.net.streams import RelayReader
from pgha.routing import settings as routing_settings
from pgha.routing.classify import (
    LARGE_TEXT,
    Decision,
    Kind,
    Txn,
    classify,
    quote_route_setting,
)
from pgha.routing.router import SessionRouting, Target, View, route
from pgha.wire import codec
from pgha.wire import messages as m
from pgha.wire.auth import trust_from
from pgha.wire.connection import Authenticated, ConnectionState, ServerConnection
from pgha.wire.errors import (
    CannotConnectNow,
    ConnectionFailure,
    FeatureNotSupported,
    Notice,
    PgError,
    ProtocolViolation,
)
from pgha.wire.lsn import format_lsn, parse_lsn

if TYPE_CHECKING:
    from pgha.proxy.app import Proxy
    from pgha.proxy.cluster import NodeState

log = logging.getLogger("pgha.proxy")

COMMIT_PROBE = "SELECT pg_current_wal_insert_lsn()"  # PostgreSQL: at least a commit's end
REPLAY_PROBE = "SELECT pg_last_wal_replay_lsn()"  # PostgreSQL: what a standby has applied
LAST_COMMIT = "pgha.last_commit_lsn"


def _mixed_batch() -> PgError:
    return FeatureNotSupported("pgha.* settings cannot share an extended-protocol batch with "
                               "statements sent to PostgreSQL", hint="Send them on their own.")


class ProxySession(ClientWire):
    __slots__ = ("_flushing", "_routing", "batch", "batch_status", "by_server_name",
                 "copy_query", "current", "database", "local_batch", "local_portal",
                 "local_statements", "params", "pid", "pooled", "primary", "primary_key",
                 "primary_node", "proxy", "reader_key", "reader_link", "reader_min_lsn",
                 "reader_node", "secret", "server_names", "skip_to_sync", "speculation",
                 "state", "statements", "user")

    def __init__(self, proxy: Proxy, reader: asyncio.StreamReader,
                 writer: asyncio.StreamWriter) -> None:
        authenticator = trust_from(proxy.authenticator, writer.get_extra_info("peername"),
                                   local_only=proxy.trust_local_only)
        super().__init__(ServerConnection(authenticator,
                                          tls_available=proxy.config.tls is not None,
                                          tls_required=proxy.config.tls_required),
                         reader, writer)
        self.tls = proxy.config.tls
        self.proxy = proxy
        self.counts = proxy.counts
        self.user = "postgres"
        self.database = "postgres"
        self.params: dict[str, str] = {}
        self.primary: Link | None = None
        self.reader_link: Link | None = None
        self.reader_node: NodeState | None = None
        self.current: Link | None = None  # where the open batch or transaction runs
        self.statements: dict[str, tuple[str, tuple[int, ...]]] = {}
        self.state = SessionRouting()
        self.reader_min_lsn = 0  # the pgha.min_lsn last set on the standby link (pgha nodes)
        # PostgreSQL back ends: what the primary link's open batch runs, to know whether its
        # Sync may commit a write; pgha.* statements the proxy answers itself.
        self.batch: list[Decision] = []
        self.batch_status = "I"
        self.copy_query = False  # a simple Query's COPY FROM STDIN is under way
        self.local_statements: dict[str, str] = {}
        self.local_batch = False
        # Transaction pooling: server connections go back to the shared pool whenever the
        # session is between transactions (and not pinned); statements are prepared there
        # under names derived from their text, so clients never collide.
        self.pooled = proxy.config.pool_mode == "transaction"
        self.server_names: dict[str, str] = {}  # client's statement name -> server's
        self.by_server_name: dict[str, tuple[str, tuple[int, ...]]] = {}
        self._routing = False  # route() is running: links stay with the session meanwhile
        self.local_portal = ""  # the statement bound to the unnamed portal of a local batch
        self.pid = 0
        self.secret = 0
        self._flushing: asyncio.Future[None] | None = None
        self.skip_to_sync = False  # a batch failed with its standby: ignore it up to Sync
        self.primary_key: Key | None = None  # pool keys of the links' connections
        self.primary_node: NodeState | None = None  # where the primary link goes
        self.reader_key: Key | None = None
        self.speculation: _Speculation | None = None  # a read sent with its freshness check

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
            self.terminate(ConnectionFailure("terminating connection because the connection "
                                             "to its backend was lost", severity="FATAL",
                                             detail=str(exc)))
        except (TimeoutError, ConnectionError, OSError, asyncio.IncompleteReadError):
            pass
        finally:
            await self.close()

    async def close(self) -> None:
        self.proxy.sessions.drop(self.pid)
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
            if backend is not None and backend.status != "I":
                backend.close()  # its transaction ends (rolls back) with the connection
                backend = None
            if backend is None or self.state.pinned or key is None:
                if backend is not None:
                    backend.close()
                if self.pooled and key is not None:
                    self.proxy.shared.forget(key)
                continue
            if self.pooled:
                self.proxy.shared.put(key, backend)
            else:
                await self.proxy.pool.give_back(key, backend)

    async def startup(self) -> bool:
        event = await self.next_event()
        if event is None:
            return False
        if isinstance(event, m.CancelRequest):
            await self.proxy.cancel(event.pid, event.secret)
            return False
        if not isinstance(event, Authenticated):
            raise ProtocolViolation("unexpected message during start-up", severity="ERROR")
        self.user, self.database = event.user, event.database
        self.params = {k: v for k, v in event.settings}
        cluster = self.proxy.cluster
        for name in [n for n in self.params if routing_settings.is_routing_setting(n)]:
            try:
                self.state.set(name, self.params[name])
            except PgError as exc:
                raise PgError(exc.sqlstate, exc.message, severity="FATAL") from exc
            if cluster.fronts_postgres:  # the proxy's own settings: never sent to PostgreSQL
                del self.params[name]
        primary = cluster.primary()
        parameters = (self.proxy.server_parameters.get(self._pool_key(primary))
                      if primary is not None else None)
        if parameters is None:
            if primary is not None or not cluster.standbys():
                self.primary = await self._open_primary()
                link = self.primary
            else:  # a failover is under way: reads go on; writes wait for the new primary
                link = await self._link_to_reader() or await self._link_to_primary()
            parameters = link.backend.parameters
        for name, value in parameters.items():
            if name != LAST_COMMIT:
                self.send(m.ParameterStatus(name, value))
        self.pid, self.secret = self.proxy.register(self)
        self._release_idle()
        self.send(m.BackendKeyData(self.pid, self.secret))
        self.send(m.ReadyForQuery("I"))
        await self.flush()
        return True

    async def _open(self, node: NodeState | None, what: str) -> Link:
        if node is None:
            raise ConnectionFailure(f"no {what} is available",
                                    hint="The proxy has no healthy node of that role right now.")
        params = self.params if node.kind == "postgres" else {**self.params, REPORT_OPTION: "on"}
        key = self._pool_key(node)

        async def connect() -> BackendConnection:
            try:
                backend = await BackendConnection.connect(
                    node.host, node.port, self.user, self.database,
                    self.proxy.passwords.get(self.user), params,
                    tls=self.proxy.config.backend_tls)
            except BackendError as exc:
                raise ConnectionFailure(f"cannot reach the {what} {node.address}: {exc}") \
                    from exc
            known = self.proxy.server_parameters
            if len(known) < 10_000:  # as the server reported them at start, before any SET
                known[key] = dict(backend.parameters)
            return backend

        if self.pooled:
            backend = await self.proxy.shared.take(key, connect)
        else:
            backend = self.proxy.pool.take(key) or await connect()
        link = self._adopt(backend, key, node, what)
        await self._sync_settings(link)
        return link

    def _pool_key(self, node: NodeState) -> Key:
        params = self.params if node.kind == "postgres" else {**self.params, REPORT_OPTION: "on"}
        return pool_key(node.host, node.port, self.user, self.database, params)

    def _adopt(self, backend: BackendConnection, key: Key, node: NodeState, what: str) -> Link:
        """A link over ``backend`` (of pool ``key``), to the primary or a standby."""
        if what == "primary":
            self.primary_key, self.primary_node = key, node
        else:
            self.reader_key = key
        link = Link(backend, self, self._observe_commit, lambda exc: None,
                    self.by_server_name.get if self.pooled else self.statements.get,
                    shared=self.pooled)
        link.on_lost = lambda exc: self._lost(link, exc)
        if self.pooled:
            link.on_idle = self._on_idle
        return link

    def _take_pooled(self, node: NodeState, what: str) -> Link | None:
        """Transaction pooling, the fast path: a link over an idle shared connection to
        ``node`` whose settings are already this session's, if there is one (else None: the
        general way waits for one, or brings one's settings to the session's)."""
        key = self._pool_key(node)
        backend = self.proxy.shared.take_idle(key, lambda b: b.applied == self.state.replay)
        return None if backend is None else self._adopt(backend, key, node, what)

    async def _sync_settings(self, link: Link) -> None:
        """Bring the connection's session settings to this session's (they differ when it
        served another client, or is new)."""
        backend = link.backend
        wanted = self.state.replay
        if backend.applied == wanted:
            return
        if backend.applied:
            await link.run_silently("RESET ALL; RESET ROLE; RESET SESSION AUTHORIZATION")
        for sql in list(wanted.values()):
            await link.run_silently(sql)
        backend.applied = dict(wanted)

    def _on_idle(self, link: Link) -> bool:
        """The pump of ``link`` saw the session between transactions: give the connection
        back, unless route() is using it or the session is pinned."""
        return not self._routing and self._release(link)

    def _release_idle(self) -> None:
        if self.pooled:
            for link in (self.primary, self.reader_link):
                if link is not None and link.releasable:
                    self._release(link)

    def _release(self, link: Link) -> bool:
        if self.state.pinned or self.speculation is not None:
            return False
        if link is self.primary:
            key, self.primary = self.primary_key, None
        elif link is self.reader_link:
            key, self.reader_link = self.reader_key, None
            if self.reader_node is not None:
                self.reader_node.connections -= 1
                self.reader_node = None
        else:
            return False
        if self.current is link:
            self.current = None
        assert key is not None
        self.proxy.shared.put(key, link.hand_back())
        return True

    def _observe_commit(self, lsn: str | None) -> None:
        """The answer to COMMIT_PROBE: the session's last commit ends at or before ``lsn``;
        None: the probe failed, and the session reads on the primary until it commits again."""
        if lsn:
            self.state.observe_commit(parse_lsn(lsn))
        else:
            self.state.commit_unknown = True

    def abandon(self, node: NodeState) -> bool:
        """``node`` is no longer the primary: cut this session's link to it, if it has one
        (``_lost`` then answers what was in flight). True if it had."""
        link = self.primary
        if link is None or self.primary_node is not node:
            return False
        link.backend.writer.transport.abort()
        return True

    def _lost(self, link: Link, exc: Exception) -> None:
        if self.pooled:
            key = (self.primary_key if link is self.primary else
                   self.reader_key if link is self.reader_link else None)
            if key is not None:
                self.proxy.shared.forget(key)
        if link is self.primary and not (link.active or self.state.pinned):
            # Idle, with nothing of the session's left there: the next statement that needs
            # the primary waits for one (a failover); reads go on meanwhile.
            log.info("session %d: its primary link was lost while idle (%s)", self.pid, exc)
            if link.unanswered:  # a commit's position was still on its way
                self.state.commit_unknown = True
            self.primary = None
            if self.current is link:
                self.current = None
            return
        if link is self.primary or (link is self.reader_link and link.backend.status != "I"):
            # A transaction never moves to another backend: its outcome there is gone.
            what = "primary" if link is self.primary else "standby running this transaction"
            if link is self.primary:
                self.primary = None
            self.terminate(ConnectionFailure("terminating connection because the connection "
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
        self.send(m.ErrorResponse.from_error(ConnectionFailure(
            "the standby running this statement failed", detail=str(exc))))
        for _ in range(link.unanswered):
            self.send(m.ReadyForQuery("I"))
        self.skip_to_sync = link.in_batch

    # -- serving ---------------------------------------------------------------------------

    async def serve(self) -> None:
        if isinstance(self.reader, RelayReader):
            self.reader.attach(self)  # the fast path (take)
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
        self._routing = True
        try:
            await self._route(event)
        finally:
            self._routing = False
            self._release_idle()

    async def _route(self, event: Any) -> None:
        if isinstance(event, m.Query | m.Parse) and len(event.query) > LARGE_TEXT:
            # Parsing a large statement takes seconds: on a worker thread, not the event loop
            # (classify finds the decision afterwards).
            await asyncio.to_thread(classify, quote_route_setting(event.query))
        spec = self.speculation
        if spec is not None and not (self.current is spec.link and spec.link.active):
            await self._settle()
        if self.skip_to_sync:
            if isinstance(event, m.Sync):
                self.skip_to_sync = False
                self.send(m.ReadyForQuery(self._status()))
                await self.flush()
            return
        if self.local_batch or self._starts_local_batch(event):
            await self._answer_locally(event)
            return
        if isinstance(event, m.Parse):
            # Known wherever it was prepared (in a transaction too): a Bind of it on another
            # link prepares it there first.
            self.statements[event.name] = (event.query, tuple(event.param_oids))
            self.local_statements.pop(event.name, None)
        elif isinstance(event, m.Close) and event.kind == "S":
            self.statements.pop(event.name, None)
        current = self.current
        if current is not None and isinstance(event, m.Query) and current.open_batch_only \
                and not self.state.pinned:
            await current.end_batch()  # a simple Query ends the batch: route it afresh
        if current is not None and (current.active or self.state.pinned):
            if current is self.primary and isinstance(event, m.Query | m.Parse) and \
                    classify(event.query).pins:
                self.state.pinned = True  # e.g. CREATE TEMP TABLE inside a transaction
            try:
                await self._send(current, event)
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
            sql = quote_route_setting(event.query)
            decision = classify(sql)
            if self._answers(decision):
                if current is not None:
                    await current.wait_idle()
                await self._run_locally(decision)
                self.send(m.ReadyForQuery(self._status()))
                await self.flush()
                return
            link = await self._start(decision, event if sql is event.query else m.Query(sql))
            if decision.replay:
                await self._replay_elsewhere(sql, decision, link)
        elif isinstance(event, m.Parse):
            await self._start(classify(event.query), event)
        elif isinstance(event, m.Bind):
            await self._start(classify(self.statements.get(event.statement, ("", ()))[0]), event)
        elif isinstance(event, m.FunctionCall):
            raise FeatureNotSupported("the function call sub-protocol is not supported")
        else:  # Describe, Execute, Sync, Flush, Copy*: where the session last ran
            await self._send(current or await self._link_to_primary(), event)

    # -- the fast path --------------------------------------------------------------------

    def take(self, data: bytes) -> int:
        """The client's bytes as they arrive while the session waits for them (a
        streams.Sink). The common messages of a session with nothing pending (a simple Query,
        Parse, Bind, Describe, Execute, Sync, Flush) are routed and forwarded here, as the
        bytes they came in, in the event loop's callback that received them: no message object
        is built and no task woken. It routes as ``_route`` does and gives up on the first
        message that needs more (a setting, COPY, a statement that pins the session, a read
        that must wait for its standby, a link to open, an error to answer...): that one and
        the rest go the general way. Returns the bytes handled."""
        spec = self.speculation
        if spec is not None and spec.fresh and not spec.link.active:
            self.speculation = spec = None  # its read went to the client: nothing to settle
        if not self.parked or spec is not None or self.skip_to_sync or \
                self.local_batch or self.conn.state is not ConnectionState.READY:
            return 0
        end = len(data)
        pos = 0
        sent: list[Link] = []
        last = 0  # the type of the last message forwarded
        batch: Link | None = None  # where the open batch of this read's messages goes
        while end - pos >= 5:
            kind = data[pos]
            length = int.from_bytes(data[pos + 1:pos + 5], "big")
            frame_end = pos + 1 + length
            if length < 4 or frame_end > end:
                break
            if batch is not None and (kind == _EXECUTE or (
                    kind == _DESCRIBE and data[pos + 5] == _PORTAL)):
                # The rest of a batch forwarded here: nothing to decide or track.
                batch.backend.out += data[pos:frame_end]
                spec = self.speculation
                if spec is not None and batch is spec.link:
                    spec.events.append(data[pos:frame_end])
                last, pos = kind, frame_end
                continue
            try:
                link = self._fast_forward(kind, data, pos, frame_end)
            except (ValueError, UnicodeDecodeError):
                link = None  # malformed: the general way reports it
            if link is None:
                break
            if link not in sent:
                sent.append(link)
            batch = link if kind in (_PARSE, _BIND) else None
            last, pos = kind, frame_end
        if pos:
            self.conn.forwarded(extended=last not in (_SYNC, _QUERY))
            for link in sent:
                link.backend.write_out()
        return pos

    def _fast_forward(self, kind: int, data: bytes, start: int, end: int) -> Link | None:
        """Forward the message at data[start:end] if it needs nothing but routing; None: it
        goes the general way."""
        statement: str | None = None
        decision: Decision | None = None
        current = self.current
        busy = current is not None and (current.active or self.state.pinned)
        if kind == _BIND:
            portal_end = data.index(0, start + 5, end)
            statement = data[portal_end + 1:data.index(0, portal_end + 1, end)].decode()
            found = self.statements.get(statement)
            if found is None or statement in self.local_statements:
                return None
            decision = classify(found[0])
        elif kind == _QUERY:
            if data[end - 1] != 0 or end - start > LARGE_TEXT:
                return None
            sql = data[start + 5:end - 1].decode()
            if COPY_FROM_STDIN.match(sql) or drops_prepared(sql) or \
                    quote_route_setting(sql) is not sql:
                return None
            decision = classify(sql)
            if decision.pins or decision.replay or self._answers(decision) or \
                    (current is not None and current.in_batch):
                return None
        elif kind == _PARSE:
            name_end = data.index(0, start + 5, end)
            statement = data[start + 5:name_end].decode()
            sql_end = data.index(0, name_end + 1, end)
            sql = data[name_end + 1:sql_end].decode()
            count = int.from_bytes(data[sql_end + 1:sql_end + 3], "big")
            if sql_end + 3 + 4 * count != end or end - start > LARGE_TEXT or \
                    drops_prepared(sql) or quote_route_setting(sql) is not sql:
                return None
            decision = classify(sql)
            if decision.pins or self._answers(decision):
                return None
            self.statements[statement] = (sql, tuple(
                int.from_bytes(data[i:i + 4], "big") for i in range(sql_end + 3, end, 4)))
            self.local_statements.pop(statement, None)
        elif kind == _DESCRIBE:
            if data[start + 5] == _STATEMENT:
                statement = data[start + 6:data.index(0, start + 6, end)].decode()
                if statement not in self.statements:
                    return None
        elif kind not in (_EXECUTE, _SYNC, _FLUSH):
            return None
        if busy:
            link = current
        elif decision is None:
            return None  # Execute, Sync... with nothing open: where the session last ran
        else:
            link = self._fast_choose(decision, opens_batch=kind != _QUERY)
        if link is None or link.backend.writer.is_closing() or \
                link.backend.writer.transport.get_write_buffer_size() > _WRITE_BEHIND:
            return None
        frame = data[start:end]
        if self.pooled and statement:
            sent, statement = self._server_frame(kind, data, start, end, statement)
            link.forward(kind, sent, statement)
        else:
            link.forward(kind, frame, statement)
        spec = self.speculation
        if spec is not None and link is spec.link:
            spec.events.append(frame)  # to run again elsewhere if the standby was not fresh
        if link is self.primary and self.proxy.cluster.fronts_postgres:
            if kind == _BIND and decision is not None:
                if not self.batch:
                    self.batch_status = link.backend.status
                self.batch.append(decision)
            elif kind in (_QUERY, _SYNC):
                if kind == _QUERY and decision is not None:
                    self.batch, self.batch_status = [decision], link.backend.status
                if _may_commit(self.batch, self.batch_status):
                    link.probe(COMMIT_PROBE, self._observe_commit)
                self.batch = []
        return link

    def _fast_choose(self, decision: Decision, opens_batch: bool) -> Link | None:
        """``_choose`` for a statement that can be sent at once: to the primary link, or to the
        standby link when it is known to have replayed what the session must see, or with the
        question whether it has (``opens_batch``: the statement is a Parse or Bind, which the
        question may precede in the same batch)."""
        if decision.setting or decision.pins:
            return None
        state = self.state
        primary = self.primary
        if decision.standby_ok and primary is not None and primary.unanswered:
            return None  # the position of the last commit is on its way
        cluster = self.proxy.cluster
        standbys = cluster.standbys()
        state.busy_on = None
        decided = route(decision, state, _VIEWS[bool(standbys)])
        if decided.pins or state.explain:
            return None
        link: Link | None
        if decided.target is Target.STANDBY:
            node, link = self.reader_node, self.reader_link
            if link is None and self.pooled:  # its connection went back to the pool
                node = cluster.pick_reader()
                link = self._take_pooled(node, "standby") if node is not None else None
                if link is None:
                    return None
                self.reader_link, self.reader_node, self.reader_min_lsn = link, node, 0
                node.connections += 1
            if node is None or not node.healthy or node not in standbys:
                return None
            need = decided.wait_lsn
            if node.kind == "postgres":
                if need and node.lsn < need:
                    if state.commit_unknown or not state.ryw_timeout or link is None:
                        return None  # the general way: the primary
                    # A plain read may run in one batch with the question, after it;
                    # what sets up a transaction (BEGIN ISOLATION LEVEL...) must come first.
                    self._speculate(node, link, need, ahead=opens_batch and
                                    decision.kind is Kind.READ and decision.txn is Txn.NONE)
            elif need != self.reader_min_lsn:
                return None
        elif decided.target is Target.PRIMARY:
            if cluster.conflict:
                return None
            if primary is None and self.pooled:  # its connection went back to the pool
                node = cluster.primary()
                primary = self._take_pooled(node, "primary") if node is not None else None
                self.primary = primary
            link = primary
            if self.primary_node is not cluster.primary():
                return None
        else:
            return None
        if link is not None:
            self.current = link
            self.proxy.counts.routed(decided.target is Target.PRIMARY)
        return link

    def ended(self, exc: Exception | None) -> None:
        """The client's end of stream (a streams.Sink): next_event sees it."""

    async def before_wait(self) -> None:
        if self.speculation is not None:
            self._routing = True  # the links stay with the session meanwhile
            try:
                await self._settle()
            finally:
                self._routing = False
                self._release_idle()
        for link in (self.primary, self.reader_link):
            if link is not None:
                with contextlib.suppress(BackendError):  # the pump reports it (_lost)
                    await link.drain()

    def _server_frame(self, kind: int, data: bytes, start: int, end: int, name: str
                      ) -> tuple[bytes, str]:
        """``_server_named`` for the fast path: the Parse, Bind or Describe at
        data[start:end], with the client's statement ``name`` replaced by the server's."""
        length = len(name.encode())
        if kind == _PARSE:
            sql, oids = self.statements[name]
            server = _server_name(sql, oids)
            self.server_names[name] = server
            self.by_server_name[server] = (sql, oids)
            head, rest = b"", data[start + 5 + length + 1:end]
        elif kind == _BIND:
            server = self.server_names.get(name, name)
            portal_end = data.index(0, start + 5, end)
            head, rest = data[start + 5:portal_end + 1], data[portal_end + 1 + length + 1:end]
        else:  # Describe of a statement
            server = self.server_names.get(name, name)
            head, rest = data[start + 5:start + 6], b""
        body = head + server.encode() + b"\0" + rest
        return bytes((kind,)) + (len(body) + 4).to_bytes(4, "big") + body, server

    def _server_named(self, event: Any) -> Any:
        """Transaction pooling: the client's statement names become names derived from the
        statement's text (on a shared connection, one client's "s1" is not another's)."""
        if isinstance(event, m.Parse):
            if not event.name:
                return event
            server = _server_name(event.query, tuple(event.param_oids))
            self.server_names[event.name] = server
            self.by_server_name[server] = (event.query, tuple(event.param_oids))
            return dataclasses.replace(event, name=server)
        if isinstance(event, m.Bind) and event.statement:
            return dataclasses.replace(
                event, statement=self.server_names.get(event.statement, event.statement))
        if isinstance(event, m.Describe | m.Close) and event.kind == "S" and event.name:
            names = self.server_names
            server = names.pop(event.name, event.name) if isinstance(event, m.Close) \
                else names.get(event.name, event.name)
            return dataclasses.replace(event, name=server)
        return event

    def _status(self) -> str:
        current = self.current
        return current.backend.status if current is not None else "I"

    async def _send(self, link: Link, event: Any) -> None:
        """Forward one message; on a PostgreSQL primary, learn the LSN of what it commits."""
        spec = self.speculation
        if spec is not None and link is spec.link:
            spec.events.append(event)  # to run again elsewhere if the standby was not fresh
        await link.send(self._server_named(event) if self.pooled else event)
        if link is not self.primary or not self.proxy.cluster.fronts_postgres:
            return
        if isinstance(event, m.Bind):
            if not self.batch:
                self.batch_status = link.backend.status
            self.batch.append(classify(self.statements.get(event.statement, ("", ()))[0]))
        elif isinstance(event, m.Query | m.Sync | m.CopyDone | m.CopyFail):
            if isinstance(event, m.Query):
                self.batch, self.batch_status = [classify(event.query)], link.backend.status
                self.copy_query = COPY_FROM_STDIN.match(event.query) is not None
                if self.copy_query:
                    return  # PostgreSQL now reads COPY data: the probe follows CopyDone
            elif isinstance(event, m.CopyDone | m.CopyFail):
                if not self.copy_query:
                    return  # COPY of a batch: it commits at the batch's Sync
                self.copy_query = False
            if _may_commit(self.batch, self.batch_status):
                link.probe(COMMIT_PROBE, self._observe_commit)
            self.batch = []

    async def _start(self, decision: Decision, event: Any) -> Link:
        """Send the first message of a statement where it should run. A standby that turns
        out to be gone is replaced before anything was sent: the statement runs elsewhere."""
        link = await self._choose(decision)
        try:
            await self._send(link, event)
        except BackendError:
            if link is self.primary:
                raise
            self._drop_reader()
            link = await self._choose(decision)
            await self._send(link, event)
        return link

    async def _choose(self, decision: Decision) -> Link:
        state = self.state
        if decision.setting and routing_settings.is_routing_setting(decision.setting):
            state.set(decision.setting, decision.value)  # the proxy follows them too
        state.busy_on = None
        cluster = self.proxy.cluster
        primary = self.primary
        if decision.standby_ok and primary is not None and primary.unanswered:
            await primary.wait_idle()  # the position of the last commit is on its way
        decided = route(decision, state, _VIEWS[bool(cluster.standbys())])
        if decided.pins:
            state.pinned = True
        link: Link | None = None
        counts = self.proxy.counts
        if decided.target is Target.STANDBY:
            link = await self._link_to_reader(decided.wait_lsn)
            if link is None:
                counts.ryw_fallbacks += bool(decided.wait_lsn)
                decided = decided.fallback()
        if link is None:
            link = await self._link_to_primary()
        counts.routed(link is self.primary)
        if state.explain:
            where = "primary" if link is self.primary else f"standby {self.reader_node_id()}"
            self.send(m.NoticeResponse(Notice("00000", f"proxy route: {where} "
                                                       f"({decided.reason})", "NOTICE").fields()))
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
            if node is None and cluster.conflict:
                raise _conflict(cluster.conflict)
            try:
                return await self._open(node, "primary")
            except PgError:
                if node is None or time.monotonic() >= deadline:
                    raise
                cluster.mark_down(node, "its client port refused a connection")

    async def _link_to_primary(self) -> Link:
        cluster = self.proxy.cluster
        if cluster.conflict:
            raise _conflict(cluster.conflict)
        if self.primary is not None and self.primary_node is not cluster.primary():
            # Another server is the primary now (or none is): an idle link to the old one
            # is not used again (it would write to a demoted or isolated server).
            log.info("session %d: the primary changed; reconnecting", self.pid)
            self.primary.close()
            self.primary = None
        if self.primary is None:
            self.primary = await self._open_primary()
        self.current = self.primary
        return self.primary

    async def _link_to_reader(self, need: int = 0, speculate: bool = True) -> Link | None:
        """A standby link that has applied ``need`` (read-your-writes), or None: use the
        primary."""
        node = self.reader_node
        if node is None or not node.healthy or node not in self.proxy.cluster.standbys():
            self._drop_reader()
            node = self.proxy.cluster.pick_reader()
            if node is None:
                return None
            try:
                self.reader_link = await self._open(node, "standby")
            except PgError:
                return None
            self.reader_node = node
            node.connections += 1
            self.reader_min_lsn = 0
        link = self.reader_link
        assert link is not None
        if node.kind == "postgres":
            return link if await self._replayed(node, link, need, speculate) else None
        if need != self.reader_min_lsn:
            # Read-your-writes: the standby node waits for this LSN or asks the primary.
            await link.run_silently(f"SET pgha.min_lsn = '{format_lsn(need)}'")
            self.reader_min_lsn = need
        return link

    async def _replayed(self, node: NodeState, link: Link, need: int, speculate: bool) -> bool:
        """Has the PostgreSQL standby replayed the session's last commit? When what the proxy
        last learnt does not say so, it asks: with ``speculate``, in the same write as the
        read (see _settle), else every few ms up to pgha.ryw_timeout. With
        pgha.ryw_timeout = 0 it does not ask (the read then runs on the primary)."""
        if not need:
            return True  # nothing to wait for (or the client accepts stale reads)
        if self.primary is not None and self.primary.unanswered:
            await self.primary.wait_idle()  # the last commit's position is on its way
        if self.state.commit_unknown:
            return False
        need = max(need, self.state.need_lsn())  # a position that arrived meanwhile
        if node.lsn >= need:
            return True
        if not self.state.ryw_timeout:
            return False  # no waiting, no asking: the primary (no extra round trip)
        if speculate:
            self._speculate(node, link, need)
            return True
        deadline = time.monotonic() + self.state.ryw_timeout
        pause = 0.001
        while True:
            link.probe(REPLAY_PROBE, lambda v: _raise_lsn(node, v))
            await link.wait_idle()
            if node.lsn >= need:
                return True
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            await asyncio.sleep(min(pause, left))
            pause = min(pause * 2, 0.05)

    def _speculate(self, node: NodeState, link: Link, need: int, ahead: bool = False) -> None:
        """Ask the standby whether it has replayed ``need`` in the same write as the read that
        follows (see _settle); with ``ahead``, in the same batch (see Link.probe)."""
        spec = _Speculation(link, need)

        def answered(value: str | None) -> None:
            _raise_lsn(node, value)
            if node.lsn >= need:
                spec.fresh = True
                link.gate = False  # the read's replies behind it go to the client
            elif self.parked and isinstance(self.reader, RelayReader):
                # Sent by the fast path while the session waits for its client, which waits
                # for this read: wake the session to run it again (before_wait settles).
                self.reader.interrupt()

        link.gate = True
        link.probe(REPLAY_PROBE, answered, ahead)
        self.speculation = spec

    async def _settle(self) -> None:
        """The read sent to a standby with its freshness check: once the check is answered,
        nothing more to do if the standby was fresh (its replies went to the client); if not,
        its replies were discarded, and what the client sent since runs again, on the standby
        once it has caught up (up to pgha.ryw_timeout) or on the primary."""
        spec = self.speculation
        assert spec is not None
        link = spec.link
        try:
            spec.events = [_decoded(event) for event in spec.events]
            await link.wait_idle()  # the check, and what was sent behind it, answered
            if spec.fresh or link is not self.reader_link:
                return  # fresh; or the standby failed (_lost answered the client)
            if link.in_batch:
                await link.end_batch(replies=False)
            link.gate = False
            self.speculation = None  # from here, messages sent to the standby are not kept
            counts = self.proxy.counts
            counts.ryw_waits += 1
            target = await self._link_to_reader(spec.need, speculate=False)
            if target is None:
                counts.ryw_fallbacks += 1
                target = await self._link_to_primary()
            if self.state.explain:
                where = "primary" if target is self.primary else \
                    f"standby {self.reader_node_id()}"
                self.send(m.NoticeResponse(Notice(
                    "00000", f"proxy route: {where} (the standby had not replayed the "
                    "session's last commit)", "NOTICE").fields()))
            self.current = target
            for event in spec.events:
                await self._send(target, event)
        except BackendError as exc:
            if link is self.reader_link:
                self._drop_reader()
            self._fail_events(spec.events, exc)
            await self.flush()
        except PgError as exc:
            self._fail_events(spec.events, exc)
            await self.flush()
        finally:
            self.speculation = None

    def _fail_events(self, events: list[Any], exc: Exception) -> None:
        """The client's messages ``events`` could not run again elsewhere: an error, and the
        ReadyForQuery of each Query/Sync among them (or the rest of the batch is skipped)."""
        error = exc if isinstance(exc, PgError) else ConnectionFailure(
            "the standby running this statement failed", detail=str(exc))
        self.current = None
        self.send(m.ErrorResponse.from_error(error))
        for event in events:
            if isinstance(event, m.Query | m.Sync):
                self.send(m.ReadyForQuery("I"))
        self.skip_to_sync = bool(events) and not isinstance(events[-1], m.Query | m.Sync)

    def _drop_reader(self) -> None:
        if self.speculation is not None and self.speculation.link is self.reader_link:
            self.speculation = None
        if self.reader_link is not None:
            self.reader_link.close()
            self.reader_link = None
        if self.reader_node is not None:
            self.reader_node.connections -= 1
            self.reader_node = None

    async def _replay_elsewhere(self, sql: str, decision: Decision, ran_on: Link) -> None:
        """A session setting: wait for its answer, then apply it on the other link too."""
        await ran_on.wait_idle()
        self.state.remember(sql, decision)
        for link in (self.primary, self.reader_link):
            if link is not None and link is not ran_on:
                await link.run_silently(sql)
            if link is not None:
                link.backend.applied = dict(self.state.replay)

    # -- pgha.* statements answered by the proxy (PostgreSQL back ends) --------------------

    def _answers(self, decision: Decision) -> bool:
        """Does the proxy answer this itself? SHOW pgha.last_commit_lsn (only the proxy sees
        all of the session's commits), and, when the back ends are PostgreSQL servers,
        SET/RESET/SHOW of a pgha routing setting."""
        name = decision.setting
        if name == LAST_COMMIT:
            return decision.kind is Kind.READ
        return bool(name) and self.proxy.cluster.fronts_postgres and \
            routing_settings.is_routing_setting(name)

    def _starts_local_batch(self, event: Any) -> bool:
        """An extended-protocol batch the proxy answers whole: it begins with a Parse of a
        statement the proxy answers (or a Bind of one it prepared) while nothing is pending."""
        if isinstance(event, m.Parse):
            if not self._answers(classify(quote_route_setting(event.query))):
                return False
            self.local_statements[event.name] = quote_route_setting(event.query)
        elif not (isinstance(event, m.Bind) and event.statement in self.local_statements):
            return False
        current = self.current
        if current is not None and (current.active or self.state.pinned):
            raise _mixed_batch()
        self.local_batch = True
        return True

    async def _answer_locally(self, event: Any) -> None:
        """One message of a batch the proxy answers itself."""
        if isinstance(event, m.Parse | m.Bind):
            name = event.name if isinstance(event, m.Parse) else event.statement
            sql = self.local_statements.get(name)
            if sql is None:
                self.local_batch = False
                raise _mixed_batch()
            if isinstance(event, m.Bind):
                self.local_portal = sql
            self.send(m.ParseComplete() if isinstance(event, m.Parse) else m.BindComplete())
        elif isinstance(event, m.Describe):
            sql = (self.local_statements.get(event.name, "") if event.kind == "S"
                   else self.local_portal)
            if event.kind == "S":
                self.send(m.ParameterDescription(()))
            decision = classify(sql)
            self.send(m.RowDescription((_text_field(decision.setting),))
                      if decision.kind is Kind.READ else m.NoData())
        elif isinstance(event, m.Execute):
            await self._run_locally(classify(self.local_portal), describe=False)
        elif isinstance(event, m.Close):
            if event.kind == "S":
                self.local_statements.pop(event.name, None)
            self.send(m.CloseComplete())
        elif isinstance(event, m.Sync):
            self.local_batch = False
            self.send(m.ReadyForQuery(self._status()))
            await self.flush()
        elif isinstance(event, m.Flush):
            await self.flush()
        else:
            self.local_batch = False
            raise ProtocolViolation(f"unexpected message {type(event).__name__}", severity="ERROR")

    async def _run_locally(self, decision: Decision, describe: bool = True) -> None:
        name = decision.setting
        if decision.kind is not Kind.READ:  # SET or RESET
            self.state.set(name, decision.value)
            self.send(m.CommandComplete("RESET" if decision.value is None else "SET"))
            return
        if name == LAST_COMMIT:
            if self.primary is not None:
                await self.primary.wait_idle()  # the last commit's position is on its way
            value = format_lsn(self.state.last_commit)
        else:
            value = self.state.values[name]
        if describe:
            self.send(m.RowDescription((_text_field(name),)))
        self.send(m.DataRow((value.encode(),)))
        self.send(m.CommandComplete("SHOW"))

    async def cancel(self) -> None:
        link = self.current
        if link is not None:
            await link.backend.cancel()


# Client message types (the fast path).
_BIND, _DESCRIBE, _EXECUTE, _FLUSH, _PARSE, _QUERY, _SYNC = (ord(c) for c in "BDEHPQS")
_STATEMENT, _PORTAL = ord("S"), ord("P")  # what a Describe describes
# By whether a standby is in rotation; the pg_replication_* views are read on the primary.
_VIEWS = (View(standby=False, views_on_primary=True), View(standby=True, views_on_primary=True))
_WRITE_BEHIND = 1 << 16  # bytes queued for a backend before the fast path leaves it to drain


@dataclasses.dataclass
class _Speculation:
    """A read sent to a standby behind the question whether the standby has replayed
    ``need``; ``events`` are the client's messages sent there since."""
    link: Link
    need: int
    fresh: bool = False
    events: list[Any] = dataclasses.field(default_factory=list)


def _server_name(sql: str, oids: tuple[int, ...]) -> str:
    """The name a statement is prepared under on shared server connections."""
    text = sql + "\0" + ",".join(map(str, oids))
    return "pgha_" + hashlib.blake2b(text.encode(), digest_size=10).hexdigest()


def _decoded(event: Any) -> Any:
    """A client message the fast path kept as its bytes, as a message object."""
    if isinstance(event, bytes):
        return codec.decode_frontend(event[0], event[5:])
    return event


def _may_commit(batch: list[Decision], status_before: str) -> bool:
    """May a Query or batch (its statements' decisions) have committed a write?"""
    if any(d.txn is Txn.END for d in batch):
        return True
    if any(d.txn in (Txn.BEGIN, Txn.BEGIN_READ_ONLY) for d in batch):
        return False
    return status_before == "I" and any(
        d.kind in (Kind.WRITE, Kind.DDL, Kind.UTILITY) for d in batch)


def _conflict(servers: str) -> PgError:
    return CannotConnectNow(f"writes are refused: more than one server claims to be the primary "
                            f"({servers})", hint="Demote or stop all but one of them.")


def _raise_lsn(node: NodeState, value: str | None) -> None:
    if value:
        node.lsn = max(node.lsn, parse_lsn(value))


def _text_field(name: str) -> m.FieldDescription:
    return m.FieldDescription(name)

