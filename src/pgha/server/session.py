"""One client connection to a storage node: bytes <-> wire events <-> the SQL engine.

The session coordinates; it does not contain the protocol (``pgha.wire``) or the engine
(``pgha.storage``). Engine calls block, so they run on the node's thread pool, one at a time
per session; the event loop only moves bytes. Replies are buffered and written when the client
must see them: at ReadyForQuery, at Flush, when COPY starts, or when the buffer grows large.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar, cast

from pglast import enums

from pgha.net.backend import BackendError
from pgha.net.client_io import ClientWire
from pgha.net.link import REPORT_OPTION
from pgha.net.streams import RelayReader
from pgha.routing.classify import LARGE_TEXT, classify, quote_route_setting
from pgha.routing.router import A_STANDBY, SessionRouting, Target, route
from pgha.server import fast_path
from pgha.server.forwarding import Forwarder
from pgha.storage import commit_log, oids
from pgha.storage import types as pgtypes
from pgha.storage.columns import ResultColumn
from pgha.storage.engine import ENDS_BLOCK, Result, Statement, StorageSession, encode_params
from pgha.storage.functions import regproc
from pgha.storage.functions.regclass import regclass_name, regtype_array_text, regtype_name
from pgha.storage.locks import WriterBusy, lock_timeout_error
from pgha.storage.prepared import PreparedStatements
from pgha.storage.types_interval import format_interval_style
from pgha.wire import codec
from pgha.wire import messages as m
from pgha.wire.auth import trust_from
from pgha.wire.connection import Authenticated, ServerConnection
from pgha.wire.errors import (
    AdminShutdown,
    DuplicateCursor,
    DuplicatePreparedStatement,
    FeatureNotSupported,
    IdleInTransactionSessionTimeout,
    InFailedSqlTransaction,
    InternalError,
    InvalidCatalogName,
    InvalidCursorName,
    InvalidSqlStatementName,
    NoActiveSqlTransaction,
    Notice,
    NumericValueOutOfRange,
    PgError,
    ProtocolViolation,
    QueryCanceled,
    SqlSyntaxError,
    StatementTooComplex,
    UndefinedObject,
    invalid_utf8,
)
from pgha.wire.lsn import format_lsn, parse_lsn

if TYPE_CHECKING:
    from pgha.server.node import Node

log = logging.getLogger("pgha.session")
R = TypeVar("R")
FLUSH_THRESHOLD = 256 * 1024
CURSOR_OPT_HOLD = 0x0020  # PostgreSQL's parsenodes.h: DECLARE ... WITH HOLD
FETCH_ALL = 2**63 - 1  # FETCH ALL arrives as LONG_MAX
EXTENDED_MESSAGES = (m.Parse, m.Bind, m.Describe, m.Execute, m.Close)
COPY_CHUNK = 256 * 1024
ROW_FORMATS = 64  # results whose row format a session keeps (row_format)


@dataclass(slots=True)
class Portal:
    statement: Statement
    params: list[Any]
    result_formats: tuple[int, ...]
    result: Result | None = None
    position: int = 0
    hold: bool = False  # a cursor declared WITH HOLD outlives its transaction


@dataclass(slots=True)
class PendingQuery:
    """The rest of a simple Query's statements while a COPY FROM runs."""

    statements: list[Statement] = field(default_factory=list)
    implicit: bool = False
    source: str = ""  # the Query's whole text (pg_prepared_statements lists it for PREPARE)


INT_RANGES = {
    oids.INT2: (-(2**15), 2**15 - 1, "smallint"),
    oids.INT4: (-(2**31), 2**31 - 1, "integer"),
    oids.INT8: (-(2**63), 2**63 - 1, "bigint"),
}


def _checked_int(value: Any, lo: int, hi: int, name: str) -> int:
    """SQLite computes with 64-bit integers (and overflows into floats): PostgreSQL's integer
    types raise 22003 instead, so results are range-checked on their way out."""
    if type(value) is not int:
        if isinstance(value, float) and value.is_integer() and lo <= value <= hi:
            return int(value)
        if isinstance(value, float):
            raise NumericValueOutOfRange(f"{name} out of range")
        return value  # text etc.: the type's output function reports it
    if value < lo or value > hi:
        raise NumericValueOutOfRange(f"{name} out of range")
    return value


def _float_text(value: Any, digits: int) -> bytes:
    """float4/float8 text with extra_float_digits < 1: PostgreSQL prints %.{digits}g."""
    v = float(value)
    if v != v:
        return b"NaN"
    if v in (float("inf"), float("-inf")):
        return b"Infinity" if v > 0 else b"-Infinity"
    return (f"%.{max(digits, 1)}g" % v).encode()


def _encoders(columns: tuple[ResultColumn, ...], formats: tuple[int, ...], tz: str,
              catalog: Any = None, extra_float_digits: int = 1,
              interval_style: str = "postgres",
              search_path: Callable[[], tuple[str, ...]] | None = None
              ) -> list[Callable[[Any], bytes]]:
    out: list[Callable[[Any], bytes]] = []
    for i, col in enumerate(columns):
        fmt = formats[i] if len(formats) > 1 else (formats[0] if formats else 0)
        pgtype = pgtypes.TYPES_BY_OID.get(col.type_oid) or pgtypes.TYPES_BY_OID[25]
        typmod = col.typmod
        ranged = INT_RANGES.get(col.type_oid)
        if fmt == 0 and col.type_oid == oids.REGCLASS:
            # (a relation outside the search path prints qualified)
            path = search_path() if search_path is not None else None
            out.append(lambda v, c=catalog, p=path: str(regclass_name(c, v, p)).encode())
        elif fmt == 0 and col.type_oid == oids.REGTYPE:
            out.append(lambda v: str(regtype_name(v)).encode())
        elif fmt == 0 and col.type_oid == oids.ARRAY_OF[oids.REGTYPE]:
            out.append(lambda v: str(regtype_array_text(v)).encode())
        elif fmt == 0 and col.type_oid == oids.REGPROC:
            out.append(lambda v: regproc.regproc_output(v).encode())
        elif fmt == 0 and col.type_oid == oids.REGPROCEDURE:
            out.append(lambda v: regproc.regprocedure_output(v).encode())
        elif fmt == 0 and col.type_oid == oids.ARRAY_OF[oids.REGPROC]:
            out.append(lambda v: str(regproc.array_text(v, regproc.regproc_output)).encode())
        elif fmt == 0 and col.type_oid == oids.ARRAY_OF[oids.REGPROCEDURE]:
            out.append(lambda v: str(regproc.array_text(v, regproc.regprocedure_output)).encode())
        elif fmt == 0 and extra_float_digits < 1 and col.type_oid in (oids.FLOAT4, oids.FLOAT8):
            digits = (15 if col.type_oid == oids.FLOAT8 else 6) + extra_float_digits
            out.append(lambda v, d=digits: _float_text(v, d))
        elif fmt == 0 and interval_style != "postgres" and col.type_oid == oids.INTERVAL:
            out.append(lambda v, s=interval_style: format_interval_style(v, s).encode())
        elif ranged is not None:
            lo, hi, name = ranged
            if fmt == 1:
                out.append(lambda v, t=pgtype, lo=lo, hi=hi, n=name: pgtypes.encode_binary(
                    t, _checked_int(v, lo, hi, n)))
            else:
                out.append(lambda v, lo=lo, hi=hi, n=name: str(_checked_int(v, lo, hi, n)
                                                                 ).encode())
        elif fmt == 1:
            out.append(lambda v, t=pgtype, tm=typmod: pgtypes.encode_binary(t, v, tm))
        else:
            out.append(lambda v, t=pgtype, tm=typmod: pgtypes.format_text(t, v, tm, tz).encode())
    return out


def _row_description(columns: tuple[ResultColumn, ...], formats: tuple[int, ...]) -> bytes:
    fields = []
    for i, col in enumerate(columns):
        fmt = formats[i] if len(formats) > 1 else (formats[0] if formats else 0)
        pgtype = pgtypes.TYPES_BY_OID.get(col.type_oid)
        fields.append(m.FieldDescription(col.name, col.table_oid, col.attnum, col.type_oid,
                                         pgtype.typlen if pgtype else -1, col.typmod, fmt))
    return codec.encode(m.RowDescription(tuple(fields)))


def _constant_text(arg: Any) -> str | None:
    """An EXECUTE parameter as the text a client would bind: a constant, possibly cast."""
    from pglast import ast

    while isinstance(arg, ast.TypeCast):
        arg = arg.arg
    if isinstance(arg, ast.A_Const):
        if arg.isnull:
            return None
        value = arg.val
        if isinstance(value, ast.Integer):
            return str(value.ival)
        if isinstance(value, ast.Float):
            return value.fval
        if isinstance(value, ast.Boolean):
            return "true" if value.boolval else "false"
        if isinstance(value, ast.String | ast.BitString):
            return value.sval if isinstance(value, ast.String) else value.bsval
    if isinstance(arg, ast.A_Expr) and arg.name[0].sval == "-" and arg.lexpr is None:
        inner = _constant_text(arg.rexpr)
        if inner is not None:
            return "-" + inner
    raise FeatureNotSupported("EXECUTE parameters must be constants here",
                              hint="Bind the parameters with the extended protocol instead.")


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


class ClientSession(ClientWire):
    """Serve one client until it disconnects."""

    def __init__(self, node: Node, reader: asyncio.StreamReader,
                 writer: asyncio.StreamWriter) -> None:
        authenticator = trust_from(node.authenticator, writer.get_extra_info("peername"),
                                   local_only=node.config.auth == "trust"
                                   and not node.config.trust_remote)
        super().__init__(ServerConnection(authenticator,
                                          max_message_size=node.config.max_message_size,
                                          tls_available=node.config.tls is not None,
                                          tls_required=node.config.tls_required),
                         reader, writer)
        self.tls = node.config.tls
        self.node = node
        self.counts = node.counts
        self.storage: StorageSession | None = None
        self.statements = PreparedStatements()  # listed by pg_prepared_statements
        self.portals: dict[str, Portal] = {}
        self.pid = 0
        self.secret = 0
        self.copy_in: Any = None
        self.copy_buffer = bytearray()
        self.pending: PendingQuery | None = None
        self.in_extended_batch = False
        self.replication_wait: asyncio.Future[str | None] | None = None
        self.writer_wait: asyncio.Future[None] | None = None  # see wait_for_writer
        self.database = "postgres"
        # pgha.route & co. (its values are the storage session's settings once logged in),
        # the last commit's LSN, pins, and the settings to replay on the primary link.
        self.routing = SessionRouting()
        self.row_formats: dict[int, tuple[Any, ...]] = {}  # see row_format
        self.read_plans: dict[int, fast_path.ReadPlan] = {}  # see fast_path.ReadPlan
        # On a node that may become a standby: runs on the primary what this node may not.
        self.forwarder: Forwarder | None = (
            Forwarder(self) if node.ha.config.mode != "standalone" else None)

    # -- plumbing ----------------------------------------------------------------------------

    async def call(self, fn: Callable[..., R], *args: Any) -> R:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.node.executor, fn, *args)

    async def wait_replicated(self) -> None:
        """Before ReadyForQuery acknowledges a commit: wait for the session's sync mode
        (pgha.sync_mode, else the node's --sync-mode). A cancelled wait leaves the commit in
        place on the primary and says so, as PostgreSQL does for synchronous replication."""
        await self.made_durable()
        storage = self.storage
        if storage is None or storage.commit_lsn is None:
            return
        lsn, storage.commit_lsn = storage.commit_lsn, None
        self.observe_commit(format_lsn(lsn))
        if storage.settings.get(REPORT_OPTION) == "on":
            self.send(m.ParameterStatus("pgha.last_commit_lsn", format_lsn(lsn)))
        hub = self.node.replication_hub
        if hub is None:
            if not self.node.writable:  # stepped down after this commit: its fate is unknown
                raise AdminShutdown("terminating connection because this node is no longer "
                                    "the primary", severity="FATAL", detail="The commit was not "
                                    "acknowledged: check whether it is on the new primary.")
            return
        mode = storage.settings.get("pgha.sync_mode") or None
        self.replication_wait = asyncio.ensure_future(hub.wait_replicated(lsn, mode))
        try:
            notice = await self.replication_wait
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if task is None or not task.cancelling():  # a CancelRequest, not our own end
                self.send(m.NoticeResponse(Notice(
                    "01000", "canceling wait for synchronous replication due to user request",
                    "WARNING", {"D": "The transaction has already committed locally, but might "
                                     "not have been replicated to the standby."}).fields()))
                return
            raise
        finally:
            self.replication_wait = None
        if notice:
            self.send(m.NoticeResponse(Notice("01000", notice, "WARNING").fields()))

    def drop_unnamed(self) -> None:
        """A simple Query ends the unnamed prepared statement and portal, as PostgreSQL's
        exec_simple_query does (a later Bind of it is 26000)."""
        self.statements.pop("")
        self.portals.pop("", None)

    def prepared_text(self, name: str) -> tuple[str, tuple[int, ...]] | None:
        """A statement this session prepared here (to prepare it on the primary too)."""
        stmt = self.statements.get(name)
        return (stmt.text, tuple(stmt.param_oids)) if stmt is not None else None

    def observe_commit(self, lsn_text: str) -> None:
        """A commit of this session ended at ``lsn_text`` (here, or on the primary)."""
        self.routing.observe_commit(parse_lsn(lsn_text))
        if self.storage is not None:
            self.storage.settings["pgha.last_commit_lsn"] = format_lsn(self.routing.last_commit)

    # -- routing -----------------------------------------------------------------------------

    async def to_primary(self, sql: str) -> bool:
        """Must ``sql`` run on the primary (forwarded), rather than on this node?"""
        forwarder = self.forwarder
        if forwarder is None or self.node.ha.role != "standby" or \
                self.node.config.standby_writes == "reject":
            return False
        storage = self.storage
        assert storage is not None
        state = self.routing
        state.busy_on = (Target.PRIMARY if forwarder.active else
                         Target.STANDBY if storage.explicit or storage.sqlite_txn else None)
        decided = route(classify(sql), state, A_STANDBY)
        if decided.target is Target.STANDBY and decided.wait_lsn and \
                not await self.fresh_enough(decided.wait_lsn):
            decided = decided.fallback()
        if decided.pins:
            state.pinned = True
        where = decided.target is Target.PRIMARY or state.busy_on is Target.PRIMARY
        if decided.target is not Target.CURRENT:
            self.node.counts.routed(where)
        if state.explain and not (decided.target is Target.CURRENT and where):
            target = "primary" if where else f"this {self.node.ha.role}"
            self.notice(Notice("00000", f"route: {target} ({decided.reason})", "NOTICE"))
        return where

    async def fresh_enough(self, need: int) -> bool:
        """Read-your-writes: has this node applied ``need`` (the session's last commit, or the
        causal token of pgha.min_lsn)? Waits up to pgha.ryw_timeout for it."""
        ha = self.node.ha
        if need <= ha.applied_lsn():
            return True
        return await ha.wait_applied(need, self.routing.ryw_timeout)

    async def execute_statement(self, stmt: Statement, params: list[Any] | None,
                                end_block: bool = False) -> Result:
        """Execute on the event loop when it is a short read, a point write (waiting there for
        the write lock if it must) or a small COMMIT / ROLLBACK, else on the thread pool.
        ``end_block``: the Sync that ends this implicit block is next; a statement that runs on
        the pool then commits the block in the same hop (see StorageSession.execute_and_end)."""
        storage = self.storage
        assert storage is not None
        if storage.can_run_inline(stmt, params):
            result = storage.execute_inline(stmt, params)
            if result is not None:
                return result
        elif storage.can_write_inline(stmt, params):  # a point write: its shape bounds it
            with contextlib.suppress(WriterBusy):
                return storage.execute_no_wait(stmt, params)
            # The write lock is taken: wait for it here rather than on a worker thread
            # (unless statement_timeout must interrupt the wait, which the pool's does).
            if not int(storage.settings["statement_timeout"]):
                await self.wait_for_writer()
                if storage.can_write_inline(stmt, params):
                    with contextlib.suppress(WriterBusy):  # SQLite's own lock, held outside
                        return storage.execute_no_wait(stmt, params)
        elif stmt.kind == "txn" and stmt.node.kind in ENDS_BLOCK and storage.can_commit_inline():
            result = storage.execute_no_wait(stmt, params)
            await self.made_durable()
            return result
        timeout_ms = int(storage.settings["statement_timeout"])
        if not timeout_ms:
            if end_block:
                return await self.call(storage.execute_and_end, stmt, params)
            return await self.call(storage.execute, stmt, params)
        # Inline reads are bounded by their step budget; a statement on the pool is
        # interrupted when statement_timeout runs out (57014, as PostgreSQL says it).
        deadline = time.monotonic() + timeout_ms / 1000
        timer = asyncio.get_running_loop().call_later(timeout_ms / 1000, storage.interrupt,
                                                      "statement timeout")
        try:
            return await self.call(storage.execute, stmt, params, deadline)
        finally:
            timer.cancel()

    async def end_implicit(self) -> None:
        """End of a Query or Sync: commit an implicit transaction (on a worker thread when
        SQLite has one open)."""
        storage = self.storage
        assert storage is not None
        if not storage.ends_in_sqlite:
            storage.end_implicit()
        elif storage.can_commit_inline():
            storage.end_implicit_no_wait()  # its flush: wait_replicated, before ReadyForQuery
        else:
            await self.call(storage.end_implicit)

    async def wait_for_writer(self) -> None:
        """Queue for the write lock on the event loop, first come first served with the
        writers waiting on worker threads; lock_timeout ends the wait with 55P03, a cancel
        request with 57014."""
        storage = self.storage
        assert storage is not None
        loop = asyncio.get_running_loop()
        granted: asyncio.Future[None] = loop.create_future()
        loop_thread = threading.get_ident()

        def wake() -> None:  # from whichever thread hands the lock over
            if threading.get_ident() == loop_thread:  # a commit on the loop: no self-pipe
                loop.call_soon(_resolve, granted)
            else:
                loop.call_soon_threadsafe(_resolve, granted)

        writers = storage.engine.writers
        if not writers.enqueue(storage, wake):
            timeout = storage.lock_wait_seconds()
            self.writer_wait = granted
            try:
                async with asyncio.timeout(timeout):
                    await granted
            except TimeoutError:
                writers.leave(storage)
                raise lock_timeout_error(timeout) from None
            except asyncio.CancelledError:
                writers.leave(storage)
                task = asyncio.current_task()
                if task is None or not task.cancelling():  # a CancelRequest (Node.cancel)
                    raise QueryCanceled("canceling statement due to user request") from None
                raise
            finally:
                self.writer_wait = None
        storage.writing = True

    async def made_durable(self) -> None:
        """A commit run on the event loop (``StorageSession.execute_no_wait``) is in pgha's
        WAL: wait for its flush (by the node's flusher thread when the node fsyncs: group
        commit, see server/durability.py)."""
        storage = self.storage
        if storage is None or storage.durable_wait is None:
            return
        end, storage.durable_wait = storage.durable_wait, None
        log = storage.engine.log
        assert log is not None
        if storage.durable_without_wait:
            commit_log.wait_durable(log, end)
        else:
            await self.node.flusher.wait(log, end)

    async def parse_statements(self, sql: str, param_oids: list[int] | None = None
                               ) -> list[Statement]:
        storage = self.storage
        assert storage is not None
        cached = storage.parse_cached(sql, param_oids)
        if cached is not None:
            return cached
        return await self.call(storage.parse, sql, param_oids)

    def terminate(self, error: PgError) -> None:
        """End this connection now with a FATAL ``error`` (the node changed role): the
        client gets the error, a running statement is interrupted, and ``serve`` ends at the
        closed connection. A commit waiting for standbys is not acknowledged."""
        super().terminate(error)
        if self.replication_wait is not None:
            self.replication_wait.cancel()
        if self.writer_wait is not None:
            self.writer_wait.cancel()
        if self.storage is not None:
            self.storage.interrupt()

    def error(self, exc: PgError) -> None:
        self.send(m.ErrorResponse.from_error(exc))

    def notice(self, n: Notice) -> None:
        self.send(m.NoticeResponse(n.fields()))

    def ready_for_query(self) -> None:
        """ReadyForQuery; before it, the notifications of the transaction that just
        committed go to the sessions listening (this one too: its own come first)."""
        storage = self.storage
        assert storage is not None
        if storage.status == "I" and storage.notifications:  # a rollback cleared them
            notes, storage.notifications = storage.notifications, []
            self.node.notify(self.pid, notes)
        self.out += self.conn.ready_for_query(cast(m.TransactionStatus, storage.status))

    def notification(self, message: m.NotificationResponse) -> None:
        """A NOTIFY on a channel this session listens to: sent at once if the session waits
        for its client, else with its next reply."""
        self.send(message)
        if self.parked:
            self.write_now()

    # -- lifecycle ---------------------------------------------------------------------------

    async def run(self) -> None:
        try:
            async with asyncio.timeout(self.node.config.startup_timeout):
                started = await self.startup()
            if started:
                await self.serve()
        except TimeoutError:
            log.info("start-up timed out")
        except PgError as exc:
            try:
                self.out.clear()
                self.send_raw(codec.encode(m.ErrorResponse.from_error(exc)))
                await self.flush()
            except (ConnectionError, OSError):
                pass
        except (ConnectionError, OSError, asyncio.IncompleteReadError):
            pass
        finally:
            await self.close()

    async def close(self) -> None:
        self.node.sessions.drop(self.pid)
        self.node.unlisten(self, None)
        if self.forwarder is not None:
            self.forwarder.close()
        if self.storage is not None:
            storage, self.storage = self.storage, None
            try:
                await self.call(storage.close)
            except Exception:
                log.exception("closing storage session")
        try:
            self.writer.close()
            await self.writer.wait_closed()
        except (ConnectionError, OSError):
            pass

    async def startup(self) -> bool:
        event = await self.next_event()
        if event is None:
            return False
        if isinstance(event, m.CancelRequest):
            self.node.cancel(event.pid, event.secret)
            return False
        if not isinstance(event, Authenticated):
            raise ProtocolViolation("unexpected message during start-up", severity="ERROR")
        refusal = self.node.refusal()
        if refusal is not None:
            raise refusal
        if event.database not in self.node.config.databases:
            raise InvalidCatalogName(f'database "{event.database}" does not exist',
                                     severity="FATAL")
        self.pid, self.secret = self.node.register(self)
        self.database = event.database
        self.storage = await self.call(self.node.engine.open_session, event.user,
                                       event.database, self.pid)
        storage = self.storage
        storage.prepared_statements = self.statements
        self.routing.values = storage.settings
        storage.settings["application_name"] = ""
        sockname = self.writer.get_extra_info("sockname")
        if isinstance(sockname, tuple) and len(sockname) >= 2:
            storage.ctx.server_port = int(sockname[1])  # inet_server_port(); NULL on a socket
        for name, value in event.settings:
            try:
                await self.call(storage.set_setting, name, value, False)
            except UndefinedObject:
                continue  # unknown startup settings are ignored, as for extensions' GUCs
            except PgError as exc:
                raise PgError(exc.sqlstate, exc.message, severity="FATAL") from exc
        self.node.configure_session(storage)
        from pgha.storage.settings import REPORTED

        for key, name in sorted(REPORTED.items(), key=lambda kv: kv[1].lower()):
            self.send(m.ParameterStatus(name, storage.settings.get(key, "")))
        self.send(m.BackendKeyData(self.pid, self.secret))
        self.send(m.ReadyForQuery("I"))
        await self.flush()
        return True

    async def serve(self) -> None:
        if isinstance(self.reader, RelayReader):
            self.reader.attach(self)  # short reads are answered as they arrive (take)
        while True:
            event = await self.next_command()
            if event is None or isinstance(event, m.Terminate):
                return
            try:
                await self.handle(event)
            except PgError as exc:
                if exc.severity == "FATAL":
                    raise
                await self.fail(exc)
            except (ConnectionError, asyncio.CancelledError):
                raise
            except RecursionError:  # a statement nested deeper than pgha's parser goes
                await self.fail(StatementTooComplex("stack depth limit exceeded",
                                                    hint="The statement is nested too deeply."))
            except UnicodeEncodeError as exc:  # bytes of the client's that are not UTF-8
                await self.fail(invalid_utf8(exc))
            except Exception as exc:
                # session: report it like PostgreSQL reports an internal error, and log it.
                log.exception("internal error while handling %s", type(event).__name__)
                await self.fail(InternalError(f"internal error: {type(exc).__name__}: {exc}"))
            if len(self.out) > FLUSH_THRESHOLD:
                await self.flush()

    def take(self, data: bytes) -> int:
        """The client's bytes as they arrive while the session waits for them (a
        streams.Sink): see ``fast_path``."""
        return fast_path.take(self, data)

    def ended(self, exc: Exception | None) -> None:
        """The client's end of stream (a streams.Sink): next_event sees it."""

    async def before_wait(self) -> None:
        forwarder = self.forwarder
        if forwarder is not None and forwarder.link is not None:
            with contextlib.suppress(BackendError):  # the pump reports it (Forwarder._lost)
                await forwarder.link.drain()

    async def next_command(self) -> Any:
        """The client's next message; in a transaction block, at most
        idle_in_transaction_session_timeout later (then the session ends, and with it the
        transaction and its hold on the write lock, as PostgreSQL ends it)."""
        storage = self.storage
        timeout_ms = 0
        if storage is not None and storage.status != "I":
            timeout_ms = int(storage.settings["idle_in_transaction_session_timeout"])
        if not timeout_ms:
            return await self.next_event()
        try:
            async with asyncio.timeout(timeout_ms / 1000):
                return await self.next_event()
        except TimeoutError:
            raise IdleInTransactionSessionTimeout(
                "terminating connection due to idle-in-transaction timeout",
                severity="FATAL") from None

    async def fail(self, exc: PgError) -> None:
        storage = self.storage
        assert storage is not None
        self.error(exc)
        self.copy_in = None
        self.copy_buffer.clear()
        await self.call(storage.abort)
        if not self.in_extended_batch:
            # A simple Query ends here: finish its implicit transaction and say so.
            self.pending = None
            await self.call(storage.end_implicit)
            await self.wait_replicated()
            self.ready_for_query()
        # In the extended protocol the wire connection now skips to Sync; send the error at
        # once: a client may wait for it before it sends Sync (asyncpg's Parse/Describe/Flush).
        await self.flush()

    async def handle(self, event: Any) -> None:
        kind = type(event)
        forwarder = self.forwarder
        if forwarder is not None and forwarder.active:
            if self.node.ha.role != "standby":
                raise AdminShutdown("terminating connection because this node was promoted "
                                    "while the session's transaction ran on the old primary",
                                    severity="FATAL")
            if kind is m.FunctionCall:
                raise FeatureNotSupported("the function call sub-protocol is not supported")
            await forwarder.forward(event)
            return
        if kind in EXTENDED_MESSAGES:
            self.in_extended_batch = True  # errors now skip to Sync; Sync ends the batch
        if kind is m.Query:
            self.in_extended_batch = False  # a Query is answered on its own, Sync or not
            await self.simple_query(event.query)
        elif kind is m.Parse:
            await self.parse(event)
        elif kind is m.Bind:
            await self.bind(event)
        elif kind is m.Describe:
            if self.forwarder is not None and event.kind == "S" and \
                    event.name not in self.statements and event.name in self.forwarder.prepared:
                await self.forwarder.forward(event)
            else:
                self.describe(event)
        elif kind is m.Execute:
            await self.execute(event)
        elif kind is m.Close:
            if self.forwarder is not None and event.kind == "S" and \
                    event.name in self.forwarder.prepared and event.name not in self.statements:
                await self.forwarder.forward(event)
            else:
                self.close_object(event)
        elif kind is m.Sync:
            await self.sync()
        elif kind is m.Flush:
            await self.flush()
        elif kind is m.CopyData:
            await self.copy_data(event.data)
        elif kind is m.CopyDone:
            await self.copy_done()
        elif kind is m.CopyFail:
            self.copy_in = None
            self.copy_buffer.clear()
            raise QueryCanceled(f"COPY from stdin failed: {event.message}")
        elif kind is m.FunctionCall:
            raise FeatureNotSupported("the function call sub-protocol is not supported")
        else:
            raise ProtocolViolation(f"unexpected message {kind.__name__}", severity="ERROR")

    # -- simple query ------------------------------------------------------------------------

    async def simple_query(self, sql: str) -> None:
        storage = self.storage
        assert storage is not None
        self.drop_unnamed()
        sql = quote_route_setting(sql)
        if len(sql) > LARGE_TEXT and self.forwarder is not None:
            await self.call(classify, sql)  # parsed off the event loop (see LARGE_TEXT)
        if self.forwarder is not None and await self.to_primary(sql):
            await self.forwarder.forward(m.Query(sql))
            return
        statements = storage.parse_simple(sql, parse_on_miss=False)
        if statements is None:
            statements = await self.call(storage.parse_simple, sql)
        assert statements is not None
        implicit = len(statements) > 1
        if implicit:
            storage.begin_implicit()
        await self.run_statements(PendingQuery(statements, implicit, sql))
        if self.forwarder is not None and self.node.ha.role == "standby":
            decision = classify(sql)
            if decision.replay:  # SET/RESET/DISCARD: the primary too
                await self.forwarder.send_setting(sql, decision)

    async def run_statements(self, pending: PendingQuery) -> None:
        storage = self.storage
        assert storage is not None
        while pending.statements:
            stmt = pending.statements.pop(0)
            if stmt.kind == "empty":
                self.send_raw(codec.EMPTY_QUERY_RESPONSE)
                continue
            if stmt.kind == "utility" and await self.portal_utility(stmt, None, describe=True,
                                                                    source=pending.source):
                continue
            result = await self.execute_statement(stmt, None)
            if result.copy_in is not None:
                self.copy_in = result.copy_in
                self.pending = pending
                self.send(m.CopyInResponse(result.copy_format,
                                           tuple([result.copy_format] * result.copy_columns)))
                await self.flush()
                return
            self.send_result(result, (), stmt)
        await self.end_implicit()
        await self.wait_replicated()
        self.ready_for_query()
        await self.flush()

    async def portal_utility(self, stmt: Statement, params: list[Any] | None,
                             describe: bool, source: str = "") -> bool:
        """Statements that act on this session's protocol-level objects: DEALLOCATE, and the
        SQL cursors DECLARE / FETCH / MOVE / CLOSE (a cursor is a named portal). ``source`` is
        the text of the Query that holds ``stmt`` (else the statement's own text)."""
        from pglast import ast

        node = stmt.node
        if isinstance(node, ast.DeclareCursorStmt):
            await self.declare_cursor(stmt, params)
            return True
        if isinstance(node, ast.FetchStmt):
            self.fetch_cursor(node, stmt, describe)
            return True
        if isinstance(node, ast.DiscardStmt) and node.target.name == "DISCARD_ALL" and \
                not (self.storage is not None and self.storage.explicit):
            # Prepared statements, cursors and LISTENs go too; the settings are the engine's.
            self.statements.clear()
            self.portals = {}
            self.node.unlisten(self, None)
            if self.forwarder is not None:
                self.forwarder.prepared.clear()
            return False
        if isinstance(node, ast.DeallocateStmt):
            if node.name is None:
                self.statements.clear()
                self.send_raw(codec.encode_command_complete("DEALLOCATE ALL"))
            else:
                on_primary = self.forwarder is not None and node.name in self.forwarder.prepared
                if node.name not in self.statements and not on_primary:
                    raise InvalidSqlStatementName(
                        f'prepared statement "{node.name}" does not exist')
                self.statements.pop(node.name)
                if self.forwarder is not None:
                    # The primary's copy stays until the name is prepared again there.
                    self.forwarder.prepared.discard(node.name)
                self.send_raw(codec.encode_command_complete("DEALLOCATE"))
            return True
        if isinstance(node, ast.ListenStmt):
            self.node.listen(self, node.conditionname)
            self.send_raw(codec.encode_command_complete("LISTEN"))
            return True
        if isinstance(node, ast.UnlistenStmt):
            self.node.unlisten(self, node.conditionname)  # None: every channel
            self.send_raw(codec.encode_command_complete("UNLISTEN"))
            return True
        if isinstance(node, ast.PrepareStmt):
            await self.prepare_sql(node, source or stmt.text)
            return True
        if isinstance(node, ast.ExecuteStmt):
            await self.execute_sql(node, stmt, describe)
            return True
        if isinstance(node, ast.ClosePortalStmt):
            if node.portalname is None:
                self.portals = {k: v for k, v in self.portals.items() if k == ""}
            elif self.portals.pop(node.portalname, None) is None:
                raise InvalidCursorName(f'cursor "{node.portalname}" does not exist')
            self.send_raw(codec.encode_command_complete("CLOSE CURSOR"))
            return True
        return False

    def _search_path(self) -> tuple[str, ...]:
        assert self.storage is not None
        return self.storage.search_path

    async def translated(self, stmt: Statement) -> None:
        """A prepared statement about to run: translated again if the schema or the search
        path changed."""
        storage = self.storage
        assert storage is not None
        if stmt.kind == "dml" and (stmt.generation != storage.catalog.generation
                                   or stmt.path != storage.search_path):
            await self.call(storage.prepare_translation, stmt)

    async def prepare_sql(self, node: Any, source: str) -> None:
        """SQL ``PREPARE name [(types)] AS statement``: a prepared statement of this session,
        the same kind a Parse message makes (DEALLOCATE and Close drop either). ``source`` is
        what pg_prepared_statements lists: PostgreSQL keeps the whole query string."""
        from pglast import ast
        from pglast.stream import RawStream

        name = node.name
        if name in self.statements:
            raise DuplicatePreparedStatement(f'prepared statement "{name}" already exists')
        param_oids = []
        for type_name in node.argtypes or ():
            names = [part.sval for part in type_name.names]
            mods = [mod.val.ival for mod in type_name.typmods or ()
                    if isinstance(mod, ast.A_Const) and isinstance(mod.val, ast.Integer)]
            pg_type, _ = pgtypes.resolve_type(names, mods, type_name.arrayBounds or ())
            param_oids.append(pg_type.oid)
        statements = await self.parse_statements(RawStream()(node.query), param_oids)
        prepared = statements[0]
        if prepared.translation is None:
            prepared.param_oids = param_oids
        self.statements.add(name, prepared, source, from_sql=True)
        self.send_raw(codec.encode_command_complete("PREPARE"))

    async def execute_sql(self, node: Any, stmt: Statement, describe: bool) -> None:
        """SQL ``EXECUTE name [(parameters)]``: runs a prepared statement with constant
        parameters (as psql and migration scripts write them)."""
        prepared = self.statements.get(node.name)
        if prepared is None:
            raise InvalidSqlStatementName(f'prepared statement "{node.name}" does not exist')
        storage = self.storage
        assert storage is not None
        await self.translated(prepared)
        self.statements.planned(node.name)
        expected = len(prepared.translation.param_oids if prepared.translation
                       else prepared.param_oids)
        args = node.params or ()
        if len(args) != expected:
            raise SqlSyntaxError("wrong number of parameters for prepared statement "
                                 f'"{node.name}"',
                                 detail=f"Expected {expected} parameters but got {len(args)}.")
        values = [_constant_text(arg) for arg in args]
        params = encode_params(prepared, [v.encode() if v is not None else None
                                          for v in values],
                               [0] * len(values), storage.settings["timezone"])
        result = await self.execute_statement(prepared, params)
        if result.copy_in is not None:
            raise FeatureNotSupported("EXECUTE of a COPY FROM STDIN is not supported")
        self.send_result(result, (), prepared, describe=describe)

    async def declare_cursor(self, stmt: Statement, params: list[Any] | None) -> None:
        from pglast import ast

        node: ast.DeclareCursorStmt = stmt.node
        storage = self.storage
        assert storage is not None
        name = node.portalname
        if name in self.portals:
            raise DuplicateCursor(f'cursor "{name}" already exists')
        with_hold = bool(node.options & CURSOR_OPT_HOLD)
        if not storage.explicit and not with_hold:
            raise NoActiveSqlTransaction("DECLARE CURSOR can only be used in transaction blocks")
        if not isinstance(node.query, ast.SelectStmt):
            raise FeatureNotSupported("only SELECT cursors are supported")
        query = storage.classify(stmt.text, node.query, list(stmt.param_oids))
        result = await self.execute_statement(query, params)
        # The rows are read now: a cursor is a materialised portal (WITH HOLD or not).
        self.portals[name] = Portal(query, list(params or []), (), result=result, hold=with_hold)
        self.send_raw(codec.encode_command_complete("DECLARE CURSOR"))

    def fetch_cursor(self, node: Any, stmt: Statement, describe: bool) -> None:
        portal = self.portals.get(node.portalname)
        if portal is None or portal.result is None:
            raise InvalidCursorName(f'cursor "{node.portalname}" does not exist')
        if node.direction != enums.FetchDirection.FETCH_FORWARD or node.howMany < 0:
            raise FeatureNotSupported("only FETCH/MOVE FORWARD (NEXT, n, ALL) is supported")
        rows = portal.result.rows
        start = portal.position
        end = len(rows) if node.howMany >= FETCH_ALL else min(len(rows), start + node.howMany)
        portal.position = end
        word = "MOVE" if node.ismove else "FETCH"
        if node.ismove or portal.result.columns is None:
            self.send_raw(codec.encode_command_complete(f"{word} {end - start}"))
            return
        result = Result(f"FETCH {end - start}", portal.result.columns, rows[start:end])
        self.send_result(result, (), stmt, describe=describe)

    def send_result(self, result: Result, formats: tuple[int, ...], stmt: Statement,
                    max_rows: int = 0, portal: Portal | None = None,
                    describe: bool = True) -> None:
        for n in result.notices:
            self.notice(n)
        for name, value in result.changed_settings.items():
            self.send(m.ParameterStatus(name, value))
        if result.copy_out is not None:
            self.send(m.CopyOutResponse(0, tuple([0] * result.copy_columns)))
            for chunk in result.copy_out:
                self.send_raw(codec.encode(m.CopyData(chunk)))
            self.send_raw(codec.COPY_DONE)
            self.send_raw(codec.encode_command_complete(result.tag))
            return
        if result.columns is not None:
            description, encoders = self.row_format(result.columns, formats)
            if describe:
                self.send_raw(description)
            start = portal.position if portal else 0
            rows = result.rows
            end = len(rows) if not max_rows else min(len(rows), start + max_rows)
            codec.append_data_rows(self.out, rows[start:end], encoders)
            if portal is not None:
                portal.position = end
                if end < len(rows):  # Execute's row limit stopped short of the end
                    self.send_raw(codec.PORTAL_SUSPENDED)
                    return
                if start > 0 and result.tag.startswith("SELECT"):
                    # The last part of a portal read in pieces reports what it returned.
                    self.send_raw(codec.encode_command_complete(f"SELECT {end - start}"))
                    return
        self.send_raw(codec.encode_command_complete(result.tag))

    def row_format(self, columns: tuple[ResultColumn, ...], formats: tuple[int, ...]
                   ) -> tuple[bytes, list[Callable[[Any], bytes]]]:
        """The RowDescription and the value encoders of a result: built once per statement
        (its columns are the same tuple every time it runs) and format, and again when a
        setting they depend on (search_path among them: regclass output) or the catalog
        changed."""
        storage = self.storage
        assert storage is not None
        settings = storage.settings
        key = (formats, settings["timezone"], settings["extra_float_digits"],
               settings["intervalstyle"], storage.search_path)
        cache = self.row_formats
        entry = cache.get(id(columns))
        if entry is not None and entry[0] is columns and entry[1] == key and \
                entry[2] is storage.catalog:
            return entry[3], entry[4]
        encoders = _encoders(columns, formats, key[1], storage.catalog, int(key[2]), key[3],
                             self._search_path)
        description = _row_description(columns, formats)
        if len(cache) >= ROW_FORMATS:
            cache.clear()
        cache[id(columns)] = (columns, key, storage.catalog, description, encoders)
        return description, encoders

    # -- extended protocol -------------------------------------------------------------------

    async def parse(self, msg: m.Parse) -> None:
        storage = self.storage
        assert storage is not None
        if len(msg.query) > LARGE_TEXT and self.forwarder is not None:
            await self.call(classify, msg.query)  # parsed off the event loop
        if self.forwarder is not None and await self.to_primary(msg.query):
            await self.forwarder.forward(msg)
            return
        if msg.name and msg.name in self.statements:
            raise DuplicatePreparedStatement(f'prepared statement "{msg.name}" already exists')
        statements = await self.parse_statements(msg.query, list(msg.param_oids))
        if len(statements) > 1:
            raise SqlSyntaxError("cannot insert multiple commands into a prepared statement")
        stmt = statements[0]
        if stmt.translation is None:
            stmt.param_oids = list(msg.param_oids)
        self.statements.add(msg.name, stmt, msg.query, from_sql=False)
        self.send_raw(codec.PARSE_COMPLETE)

    async def bind(self, msg: m.Bind) -> None:
        stmt = self.statements.get(msg.statement)
        forwarder = self.forwarder
        if forwarder is not None and (
                (stmt is None and msg.statement in forwarder.prepared)
                or (stmt is not None and await self.to_primary(stmt.text))):
            await forwarder.forward(msg)
            return
        if stmt is None:
            raise InvalidSqlStatementName(f'prepared statement "{msg.statement}" does not exist')
        storage = self.storage
        assert storage is not None
        if storage.status == "E" and not storage.allowed_in_failed(stmt):
            raise InFailedSqlTransaction("current transaction is aborted, commands ignored "
                                         "until end of transaction block")
        await self.translated(stmt)
        params = encode_params(stmt, list(msg.params), list(msg.param_formats),
                               storage.settings["timezone"])
        self.statements.planned(msg.statement)
        if msg.portal and msg.portal in self.portals and msg.portal != "":
            raise DuplicateCursor(f'cursor "{msg.portal}" already exists')
        self.portals[msg.portal] = Portal(stmt, params, msg.result_formats)
        self.send_raw(codec.BIND_COMPLETE)

    def describe(self, msg: m.Describe) -> None:
        if msg.kind == "S":
            stmt = self.statements.get(msg.name)
            if stmt is None:
                raise InvalidSqlStatementName(f'prepared statement "{msg.name}" does not exist')
            oids = stmt.translation.param_oids if stmt.translation else stmt.param_oids
            self.send(m.ParameterDescription(tuple(oids)))
            columns = stmt.columns
            if columns is None:
                self.send_raw(codec.NO_DATA)
            else:
                self.send_raw(self.row_format(columns, ())[0])
            return
        portal = self.portals.get(msg.name)
        if portal is None:
            raise InvalidCursorName(f'portal "{msg.name}" does not exist')
        columns = portal.statement.columns
        if columns is None:
            self.send_raw(codec.NO_DATA)
        else:
            self.send_raw(self.row_format(columns, portal.result_formats)[0])

    async def execute(self, msg: m.Execute) -> None:
        portal = self.portals.get(msg.portal)
        if portal is None:
            raise InvalidCursorName(f'portal "{msg.portal}" does not exist')
        storage = self.storage
        assert storage is not None
        stmt = portal.statement
        if stmt.kind == "empty":
            self.send_raw(codec.EMPTY_QUERY_RESPONSE)
            return
        if stmt.kind == "utility" and await self.portal_utility(stmt, portal.params,
                                                                 describe=False):
            return
        if portal.result is None:
            storage.begin_implicit()
            portal.result = await self.execute_statement(
                stmt, portal.params, end_block=not storage.explicit and self.conn.sync_next())
            if portal.result.copy_in is not None:
                self.copy_in = portal.result.copy_in
                fmt = portal.result.copy_format
                self.send(m.CopyInResponse(fmt, tuple([fmt] * portal.result.copy_columns)))
                await self.flush()
                return
            self.send_result(portal.result, portal.result_formats, stmt, msg.max_rows, portal,
                             describe=False)
            return
        result = portal.result
        if result.columns is not None and portal.position >= len(result.rows):
            self.send_raw(codec.encode_command_complete("SELECT 0"))
            return
        self.send_result(result, portal.result_formats, stmt, msg.max_rows, portal,
                         describe=False)

    def close_object(self, msg: m.Close) -> None:
        if msg.kind == "S":
            self.statements.pop(msg.name)
            if self.forwarder is not None:
                self.forwarder.prepared.discard(msg.name)
        else:
            self.portals.pop(msg.name, None)
        self.send_raw(codec.CLOSE_COMPLETE)

    async def sync(self) -> None:
        storage = self.storage
        assert storage is not None
        self.in_extended_batch = False
        error, storage.commit_error = storage.commit_error, None
        if error is not None:  # the block's commit, run with its Execute, failed
            raise error
        await self.end_implicit()
        if not storage.explicit:  # the transaction ended: only WITH HOLD cursors remain
            self.portals = {k: v for k, v in self.portals.items() if v.hold}
        else:
            self.portals.pop("", None)
        await self.wait_replicated()
        self.ready_for_query()
        await self.flush()

    # -- COPY FROM STDIN ---------------------------------------------------------------------

    async def copy_data(self, data: bytes) -> None:
        if self.copy_in is None:
            return
        # Clients may send one row per CopyData (pgbench does): batch before the thread hop.
        self.copy_buffer += data
        if len(self.copy_buffer) >= COPY_CHUNK:
            chunk, self.copy_buffer = bytes(self.copy_buffer), bytearray()
            await self.call(self.copy_in.feed, chunk)

    async def copy_done(self) -> None:
        copy_in, self.copy_in = self.copy_in, None
        if copy_in is None:
            return
        if self.copy_buffer:
            chunk, self.copy_buffer = bytes(self.copy_buffer), bytearray()
            await self.call(copy_in.feed, chunk)
        tag = await self.call(copy_in.finish)
        self.send_raw(codec.encode_command_complete(tag))
        pending, self.pending = self.pending, None
        if pending is not None:
            await self.run_statements(pending)

