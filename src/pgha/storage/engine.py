"""The embedded engine: PostgreSQL statements executed on SQLite through apsw.

``Engine`` owns one database file and what all sessions share (the catalog snapshot, the
translation cache, advisory locks). ``StorageSession`` is one client's connection: its own apsw
connection (SQLite WAL mode: concurrent readers, one writer), transaction state, settings and
sequence state. Every method of a session is blocking; the caller runs them off the event loop,
one call at a time per session.

Transactions follow PostgreSQL's rules on top of SQLite's:
- BEGIN is lazy: the SQLite transaction starts with the first statement, ``BEGIN IMMEDIATE``
  when that statement writes (so concurrent writers queue on the write lock, as PostgreSQL row
  locks make them wait) and ``BEGIN DEFERRED`` otherwise;
- a failed statement inside a transaction block aborts the block (state 'E', 25P02 for what
  follows) until ROLLBACK; COMMIT of a failed block rolls back and reports ROLLBACK;
- a commit is durable when COMMIT returns. With a commit log (pgha's WAL, given by the node)
  a write transaction's changes become one log record (``changes.ChangeCapture``), appended
  under ``commit_lock`` before SQLite's COMMIT and flushed (group commit) before COMMIT
  returns (run with ``no_wait``, on the event loop, it returns at once and leaves the flush to
  its caller, ``durable_wait``, who acknowledges the commit only after it); SQLite records
  the end LSN it has applied in ``__pgha_wal_state`` in the same transaction, and
  ``recover()`` redoes the log from there. Without a log, SQLite's own
  ``synchronous=FULL`` makes the commit durable (unless opened with ``durable=False``).

This module parses, dispatches and executes statements and runs transactions; the pieces it
coordinates live beside it: ``settings`` (what a setting may be), ``locks`` (the writer queue,
advisory locks), ``commit_log`` (the log protocol and the logged commit), ``statement_cache``
(the shared translation caches) and ``errors_sqlite`` (SQLite errors as PostgreSQL's).
"""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import apsw
from pglast import ast, enums, parse_sql
from pglast.parser import ParseError

from pgha.routing.classify import LARGE_TEXT, command_name
from pgha.routing.depth import too_deep
from pgha.routing.lifting import lift
from pgha.storage import catalog as cat
from pgha.storage import (
    changes,
    collector,
    commit_log,
    failing_row,
    functions,
    literals,
    namespaces,
    numeric,
    pgcatalog,
    privileges,
    roles,
    schema_ddl,
    status_views,
)
from pgha.storage import oids as T
from pgha.storage import settings as guc
from pgha.storage import types as pgtypes
from pgha.storage.catalog import Catalog, Table, View
from pgha.storage.columns import ColInfo, ResultColumn
from pgha.storage.copy import CopyIn, CopyOptions, copy_options, format_copy_rows
from pgha.storage.ddl import DDL, duplicate_key, q
from pgha.storage.errors_sqlite import (
    INLINE_BUDGET_DETAIL,
    explain_violation,
    map_error,
    over_budget,
)
from pgha.storage.functions import regproc
from pgha.storage.locks import AdvisoryLocks, WriterBusy, WriterQueue
from pgha.storage.prepared import PreparedStatements
from pgha.storage.statement_cache import NOT_APPLICABLE, StatementCache
from pgha.storage.temp_tables import TempDDL, TempTables
from pgha.storage.translate import Translation, translate
from pgha.storage.types_number import numeric_text
from pgha.wire.errors import (
    ActiveSqlTransaction,
    DuplicateObject,
    FeatureNotSupported,
    ForeignKeyViolation,
    InFailedSqlTransaction,
    InsufficientPrivilege,
    InvalidParameterValue,
    InvalidSavepointSpecification,
    NoActiveSqlTransaction,
    Notice,
    PgError,
    ProtocolViolation,
    QueryCanceled,
    ReadOnlySqlTransaction,
    SqlSyntaxError,
    StatementTooComplex,
    UndefinedColumn,
    UndefinedObject,
    UndefinedTable,
    UniqueViolation,
    WrongObjectType,
)


@dataclass(slots=True)
class Result:
    """What one statement produced."""

    tag: str
    columns: tuple[ResultColumn, ...] | None = None
    rows: list[tuple[Any, ...]] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)
    changed_settings: dict[str, str] = field(default_factory=dict)
    copy_in: CopyIn | None = None
    copy_out: list[bytes] | None = None
    copy_format: int = 0
    copy_columns: int = 0


@dataclass(slots=True)
class Statement:
    """A parsed statement, ready to execute (and, for queries, translated)."""

    text: str
    node: Any
    kind: str  # 'dml', 'ddl', 'txn', 'set', 'show', 'copy', 'utility', 'empty'
    translation: Translation | None = None
    param_oids: list[int] = field(default_factory=list)
    generation: int = -1
    path: tuple[str, ...] = ()  # the search path the translation resolved names along
    bound: list[Any] | None = None  # values of literals lifted out of a simple-protocol text

    def copy(self) -> Statement:
        """A copy to execute (``dataclasses.replace`` without changes, six times faster: a
        cached statement is copied on every execution of a text the session did not prepare)."""
        return Statement(self.text, self.node, self.kind, self.translation, self.param_oids,
                         self.generation, self.path, self.bound)

    @property
    def columns(self) -> tuple[ResultColumn, ...] | None:
        if self.translation is not None:
            return self.translation.columns
        if isinstance(self.node, ast.ExplainStmt):
            return EXPLAIN_COLUMNS
        if self.kind == "show":
            name = guc.show_name(self.node.name)
            if name == "all":
                return (ResultColumn("name", T.TEXT), ResultColumn("setting", T.TEXT),
                        ResultColumn("description", T.TEXT))
            return (ResultColumn(name, T.TEXT),)
        return None


EXPLAIN_COLUMNS = (ResultColumn("QUERY PLAN", T.TEXT),)

logger = logging.getLogger("pgha.storage")



# COMMIT (END) and ROLLBACK (ABORT): they may end the block on the event loop
# (``StorageSession.can_commit_inline``).
ENDS_BLOCK = frozenset({enums.TransactionStmtKind.TRANS_STMT_COMMIT,
                        enums.TransactionStmtKind.TRANS_STMT_ROLLBACK})
# A transaction of at most this many captured rows commits on the event loop when it may
# (``StorageSession.can_commit_inline``): SQLite writes their pages to its WAL without fsync.
INLINE_COMMIT_ROWS = 256
INLINE_COMMIT_BYTES = 1 << 20  # ... whose writes, all run on the loop, carried at most this
# SQLite's own default for an automatic checkpoint, which pgha runs on a thread of its own
# instead (``Engine._wal_grew``): a commit on the event loop must not copy and fsync pages.
CHECKPOINT_PAGES = 1000
# Past this size SQLite's WAL has not restarted: writers never left a checkpoint the moment to
# finish (SQLite restarts it at the first write after a checkpoint that copied every frame, and
# commits go on while a checkpoint runs). The next checkpoint holds the write lock for the last
# frames, so that the next writer restarts it.
CHECKPOINT_RESTART_PAGES = 4 * CHECKPOINT_PAGES
CHECKPOINT_LOCK_WAIT_S = 1.0  # how long that checkpoint waits for the write lock
CHECKPOINT_IDLE_S = 10.0  # the checkpoint thread ends after this long with nothing to do
# SQLite reads pages with pread, not through a memory map (``PRAGMA mmap_size``, off by
# default). A map saves a pure read load its preads (+3-8% tps on pgbench -S), but SQLite unmaps
# the whole file whenever a connection begins a transaction after another connection's commit
# (pagerBeginReadTransaction), and every page touched after that faults the map back in: on a
# node that also writes (or a standby that applies), that cost is paid per transaction. Measured
# on one node, scale 10, 8 clients: 20 reads to 1 write ran 17% slower with a 1 GiB map, and
# pgbench -N used 100-190 us more system CPU per transaction.


class Engine:
    """One SQLite database file and the state its sessions share."""

    def __init__(self, data_dir: Path | str, *, durable: bool = True,
                 busy_timeout_ms: int = 30_000, log: commit_log.CommitLog | None = None
                 ) -> None:
        self.log = log
        self.commit_lock = threading.Lock()  # log order == SQLite commit order
        # The background checkpoint (``_wal_grew``): one thread while there is work for it.
        self._checkpoint_wanted = threading.Condition()
        self._checkpoint_asked = False  # under _checkpoint_wanted
        self._checkpoint_locked = False  # ... with the write lock held (under _checkpoint_wanted)
        self._checkpoint_at = CHECKPOINT_PAGES  # the WAL size that asks for the next one
        self._wal_pages = 0  # the WAL's size at the last commit
        self._checkpoint_thread: threading.Thread | None = None  # under _checkpoint_wanted
        self.writers = WriterQueue()  # sessions write one at a time, in arrival order
        self.read_only = False  # a standby: only the replication stream writes
        self.sync_mode = "async"  # the node's default for pgha.sync_mode
        # Rows of the replication views (pg_replication_*), supplied by the node.
        self.status_provider: Callable[[str], list[tuple[Any, ...]]] | None = None
        # pg_promote(): supplied by the node's replication role (blocks until promoted).
        self.promote_hook: Callable[[bool, float], bool] | None = None
        self.data_dir = Path(data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.path = self.data_dir / "pgha.db"
        self.durable = durable
        self.busy_timeout_ms = busy_timeout_ms
        self.generation = 0
        self._lock = threading.Lock()
        self.advisory_locks = AdvisoryLocks()
        self.started_at = dt.datetime.now(dt.UTC)
        self._roles_conn: apsw.Connection | None = None
        conn = self.connect()
        with conn:
            cat.install(conn)
            commit_log.install(conn)
        self.catalog = Catalog.load(conn, self.generation)
        self.statement_cache = StatementCache()
        conn.close()

    def role(self, name: str) -> roles.Role | None:
        """The role ``name`` (logging in): one indexed read on the caller's thread (the event
        loop's), over a connection kept for it."""
        conn = self._roles_conn
        if conn is None:
            conn = self._roles_conn = self.connect()
        return roles.find(conn, name)

    def connect(self) -> apsw.Connection:
        conn = apsw.Connection(str(self.path))
        numeric.register(conn)  # the schema names its collation: before any statement
        conn.set_busy_timeout(self.busy_timeout_ms)
        conn.execute("PRAGMA journal_mode=WAL")
        # With a commit log, pgha's WAL makes commits durable and recovery redoes it.
        full = self.durable and self.log is None
        conn.execute(f"PRAGMA synchronous={'FULL' if full else 'NORMAL'}")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA recursive_triggers=ON")
        conn.set_wal_hook(self._wal_grew)  # instead of SQLite's checkpoint inside COMMIT
        return conn

    def _wal_grew(self, conn: apsw.Connection, name: str, pages: int) -> int:
        """After each commit (SQLite's WAL hook): every CHECKPOINT_PAGES of WAL a PASSIVE
        checkpoint, on the checkpoint thread rather than in the committing connection (which
        may be the event loop's); one that copies many frames at once copies a page written by
        many commits once, with one pair of fsyncs. Past CHECKPOINT_RESTART_PAGES it holds
        the write lock (``_checkpoint_in_background``). Runs on the committing thread, so it
        only signals."""
        if pages < self._wal_pages:  # the WAL restarted
            self._checkpoint_at = CHECKPOINT_PAGES
        self._wal_pages = pages
        if pages < self._checkpoint_at:
            return apsw.SQLITE_OK
        self._checkpoint_at = pages + CHECKPOINT_PAGES
        with self._checkpoint_wanted:
            self._checkpoint_asked = True
            self._checkpoint_locked = pages >= CHECKPOINT_RESTART_PAGES
            if self._checkpoint_thread is None:
                self._checkpoint_thread = threading.Thread(
                    target=self._checkpoint_in_background, name="pgha-checkpoint", daemon=True)
                self._checkpoint_thread.start()
            else:
                self._checkpoint_wanted.notify()
        return apsw.SQLITE_OK

    def _checkpoint_in_background(self) -> None:
        """The checkpoint thread: a PASSIVE checkpoint whenever one was asked for, on a
        connection of its own; it ends after CHECKPOINT_IDLE_S without a request (the engine
        has no close, and an idle node keeps no thread for it). One asked for with the write
        lock copies what it can first, then takes the lock from the sessions (their writer
        queue) and the replay (the commit lock) for the frames written meanwhile: with every
        frame copied and no commit in between, the next writer restarts SQLite's WAL."""
        conn: apsw.Connection | None = None
        token = object()  # the checkpoint's place in the writer queue
        ctx = functions.FunctionContext()
        try:
            while True:
                with self._checkpoint_wanted:
                    if not self._checkpoint_asked:
                        self._checkpoint_wanted.wait(CHECKPOINT_IDLE_S)
                    if not self._checkpoint_asked:
                        self._checkpoint_thread = None  # (a request from now starts another)
                        return
                    self._checkpoint_asked = False
                    locked, self._checkpoint_locked = self._checkpoint_locked, False
                try:
                    if conn is None:
                        conn = apsw.Connection(str(self.path))
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
                    if locked:
                        self._checkpoint_under_lock(conn, token, ctx)
                except apsw.Error as exc:  # e.g. the data directory was removed: asked again
                    logger.warning("background checkpoint failed: %s", exc)
        finally:
            if conn is not None:
                conn.close()
            with self._checkpoint_wanted:  # ended by an unexpected error: the next starts one
                if self._checkpoint_thread is threading.current_thread():
                    self._checkpoint_thread = None

    def _checkpoint_under_lock(self, conn: apsw.Connection, token: object,
                               ctx: functions.FunctionContext) -> None:
        """The checkpoint with no commit during it: the writer queue, then the commit lock
        (the order a session's commit takes them in)."""
        try:
            self.writers.acquire(token, CHECKPOINT_LOCK_WAIT_S, ctx)
        except PgError:  # a writer holds it that long (an open block): the next request
            return
        try:
            with self.commit_lock:
                conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
        finally:
            self.writers.release(token)

    def applied_lsn(self, conn: apsw.Connection | None = None) -> int:
        """The end LSN of the last log record this database contains."""
        target = conn or self.connect()
        try:
            return commit_log.applied_lsn(target)
        finally:
            if conn is None:
                target.close()

    def set_applied_lsn(self, lsn: int) -> None:
        """After a snapshot is installed: the log continues from ``lsn``."""
        conn = self.connect()
        try:
            commit_log.set_applied_lsn(conn, lsn)
        finally:
            conn.close()

    def replayer(self) -> changes.Replayer:
        """A connection that replays log records (foreign keys off: the record holds what the
        primary's foreign-key actions did). Close it with ``replayer.conn.close()``."""
        conn = self.connect()
        conn.execute("PRAGMA foreign_keys=OFF")
        # pgha's functions, as on the primary: an index on lower(email) must be computed by
        # the same lower (pgha's covers all of Unicode; SQLite's only ASCII).
        functions.register(conn, functions.FunctionContext())
        return changes.Replayer(conn)

    def apply_record(self, replayer: changes.Replayer, end_lsn: int, body: bytes) -> bool:
        """Replay one log record (a standby, or crash recovery). A transaction is one SQLite
        transaction even when it was logged as several records (``changes.continues``): it
        stays open on the replayer's connection until its last record, which commits it.
        Returns whether this record committed."""
        conn = replayer.conn
        with self.commit_lock:
            if not replayer.in_transaction:
                conn.execute("BEGIN IMMEDIATE")
                replayer.in_transaction, replayer.schema_changed = True, False
            try:
                replayer.schema_changed |= replayer.apply(body)
                if changes.continues(body):
                    return False
                commit_log.set_applied_lsn(conn, end_lsn)
                conn.execute("COMMIT")
                replayer.in_transaction = False
            except BaseException:
                self.abort_apply(replayer)
                raise
        if replayer.schema_changed:
            self.schema_changed(conn)
        return True

    def abort_apply(self, replayer: changes.Replayer) -> None:
        """Roll back a transaction whose first records were applied but whose last record will
        not come (this stream ended; the records are sent again, or were never committed)."""
        if replayer.in_transaction:
            replayer.in_transaction = False
            with contextlib.suppress(apsw.Error):
                replayer.conn.execute("ROLLBACK")

    def checkpoint(self) -> int:
        """Copy SQLite's WAL into the database file (synced); returns the log LSN the file
        now holds durably: the log before it is no longer needed for crash recovery. 0 when
        the checkpoint could not complete (readers still use old frames)."""
        conn = self.connect()
        try:
            applied = self.applied_lsn(conn)
            busy, frames, done = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
            return applied if not busy and frames == done else 0
        finally:
            conn.close()

    def snapshot_to(self, path: Path) -> int:
        """Copy the database page for page (rowids unchanged, which the log's changesets rely
        on) as of one read transaction; returns the LSN the copy has applied. Writers go on:
        in WAL mode the copy's read transaction does not block them."""
        source = self.connect()
        copy = apsw.Connection(str(path))
        try:
            numeric.register(copy)
            with copy.backup("main", source, "main") as backup:
                backup.step(-1)
            return self.applied_lsn(copy)
        finally:
            copy.close()
            source.close()

    def recover(self) -> int:
        """Redo the log records SQLite does not have yet (after a crash); returns how many."""
        if self.log is None:
            return 0
        replayer = self.replayer()
        try:
            count = 0
            start = self.applied_lsn(replayer.conn)
            opened = 0  # where an unfinished transaction's first record starts
            for end_lsn, body in self.log.records_from(start):
                if not replayer.in_transaction:
                    opened = start
                if self.apply_record(replayer, end_lsn, body):
                    count += 1
                start = end_lsn
            if replayer.in_transaction:
                # The first records of a transaction whose last record was never written
                # (a crash while it was logged): it never committed anywhere.
                self.abort_apply(replayer)
                self.log.undo(opened)
            return count
        finally:
            replayer.conn.close()

    def schema_changed(self, conn: apsw.Connection) -> Catalog:
        """Called after a transaction that changed the schema committed."""
        with self._lock:
            self.generation += 1
            self.catalog = Catalog.load(conn, self.generation)
            self.statement_cache = StatementCache()
            return self.catalog

    def open_session(self, user: str = "postgres", database: str = "postgres",
                     backend_pid: int = 0) -> StorageSession:
        return StorageSession(self, user, database, backend_pid)


def _command_name(node: Any) -> str:
    """The command as PostgreSQL names it in 25006 errors (CREATE TABLE, DROP INDEX...)."""
    name = type(node).__name__.removesuffix("Stmt")
    words = {"Create": "CREATE TABLE", "Index": "CREATE INDEX", "View": "CREATE VIEW",
             "CreateSeq": "CREATE SEQUENCE", "AlterSeq": "ALTER SEQUENCE",
             "AlterTable": "ALTER TABLE", "Truncate": "TRUNCATE TABLE", "Rename": "ALTER TABLE",
             "CreateRole": "CREATE ROLE", "AlterRole": "ALTER ROLE", "DropRole": "DROP ROLE",
             "CreateTableAs": "CREATE TABLE AS", "CreateSchema": "CREATE SCHEMA",
             "AlterOwner": "ALTER SCHEMA", "AlterObjectSchema": "ALTER TABLE", "Grant": "GRANT",
             "GrantRole": "GRANT ROLE"}
    if name == "Drop":
        kind = getattr(node.removeType, "name", "OBJECT_TABLE").removeprefix("OBJECT_")
        return f"DROP {kind}"
    return words.get(name, name.upper())


def _syntax_error_position(sql: str, exc: ParseError) -> int | None:
    """PostgreSQL's 1-based character position of a syntax error (the P field).

    pglast gives a 0-based character index, or None when the error is at the end of the input,
    where PostgreSQL points one past the last character (trailing blanks included).
    """
    location = exc.args[1] if len(exc.args) > 1 else None
    if isinstance(location, int):
        return location + 1
    if exc.args and str(exc.args[0]).endswith("at end of input"):
        return len(sql) + 1
    return None


class StorageSession:
    """One client's view of the engine. Blocking; not thread-safe (one call at a time)."""

    def __init__(self, engine: Engine, user: str, database: str, backend_pid: int) -> None:
        self.engine = engine
        self.conn = engine.connect()
        self.settings = dict(guc.DEFAULT_SETTINGS)
        self.settings["pgha.sync_mode"] = engine.sync_mode
        self.settings["session_authorization"] = user
        self.login_user = user  # as authenticated (forwarded writes log in as this role)
        self.local_overrides: dict[str, str] = {}  # SET LOCAL: restored when the block ends
        self.block_backup: dict[str, str | None] = {}  # any SET in a block: undone by ROLLBACK
        self.ctx = functions.FunctionContext(
            user=user, database=database, backend_pid=backend_pid, settings=self.settings,
            set_setting=self._set_from_function, advisory_locks=engine.advisory_locks,
            on_promote=engine.promote_hook, in_recovery=lambda: engine.read_only,
            notify=self.notify)
        # NOTIFY's (channel, payload), in order, of the transaction under way: the server
        # session sends them to the listeners once it has committed; a rollback drops them.
        self.notifications: list[tuple[str, str]] = []
        functions.register(self.conn, self.ctx)
        self.settings["is_superuser"] = "on" if roles.acting(self.conn, user).superuser \
            else "off"
        pgcatalog.attach(self.conn)  # its tables when first read (_ensure_pg_catalog)
        status_views.register(self.conn, self._status_rows)
        self.catalog_generation_filled: tuple[int, str] | None = None
        self.catalog_filled_in_txn = False  # the fill above happened in an open transaction
        self.status = "I"  # PostgreSQL transaction status: I idle, T in block, E failed
        self.sqlite_txn = False  # a SQLite transaction is open
        self.writing = False  # this session holds the engine's WriterQueue
        # Running on the event loop (``execute_no_wait``): a wait for the write lock raises
        # WriterBusy instead, and a logged commit leaves its flush to the caller.
        self.no_wait = False
        self.durable_wait: int | None = None  # end LSN a commit left to flush (no_wait)
        # What this transaction's writes carried, when all ran with no_wait (else more than
        # INLINE_COMMIT_BYTES): a bound on what its commit copies (can_commit_inline).
        self.txn_bytes = 0
        self.explicit = False  # inside BEGIN ... COMMIT
        self.implicit = False  # inside an implicit multi-statement transaction
        self.private_catalog: Catalog | None = None  # schema changed in this transaction
        self.savepoints: list[str] = []
        self.temp = TempTables()  # this session's temporary tables
        self._path_memo: tuple[str, str, Catalog, tuple[str, ...]] | None = None  # search_path
        # SET CONSTRAINTS in this transaction: constraint name (None: ALL) -> deferred
        self.constraint_modes: dict[str | None, bool] = {}
        self.savepoint_marks: list[tuple[int, int]] = []  # capture position per savepoint
        self.capture: changes.ChangeCapture | None = None  # this write transaction's changes
        self.commit_lsn: int | None = None  # end LSN of the last commit this session made
        self.commit_error: PgError | None = None  # see execute_and_end
        # The client's prepared statements (the server session keeps them; listed by the view
        # pg_prepared_statements).
        self.prepared_statements = PreparedStatements()
        # What the current role may do, for the catalog snapshot it was computed against (a
        # role or privilege change is a schema change: a new snapshot); see ``grants``.
        self._grants: privileges.Grants | None = None
        self._grants_catalog: Catalog | None = None
        self._grants_user = ""
        self._owner_grants: dict[int, privileges.Grants] = {}  # view owners' (same snapshot)
        self._view_needs: dict[int, tuple[tuple[int, str], ...]] = {}
        self.ctx.require = self.require_privilege
        self.ctx.grants_of = self.grants_of
        self.ctx.search_path = lambda: self.search_path
        self.ctx.schema_usable = self._usable  # (nextval('s.q'), regclass input)
        self._apply_role_settings()

    # -- catalog ---------------------------------------------------------------------------

    @property
    def catalog(self) -> Catalog:
        base = self.private_catalog or self.engine.catalog
        return self.temp.overlay(base) if self.temp.relations else base

    @property
    def search_path(self) -> tuple[str, ...]:
        """The existing schemas of this session's search_path the role has USAGE on, in
        order (asked several times per statement: remembered until the setting, the user or
        the catalog snapshot changes; the role's privileges and the schemas are part of the
        snapshot, which a change replaces). PostgreSQL leaves out the schemas the role may not
        use, silently (namespace.c, recomputeNamespacePath)."""
        setting, user, catalog = self.settings["search_path"], self.ctx.user, self.catalog
        memo = self._path_memo
        if memo is None or memo[0] != setting or memo[1] != user or memo[2] is not catalog:
            grants = self.grants()
            path = namespaces.search_path(setting, user, catalog.schemas)
            if not grants.superuser:
                path = tuple(name for name in path if "U" in grants.on_schema(name))
            memo = (setting, user, catalog, path)
            self._path_memo = memo
        return memo[3]

    def qualify(self, node: Any) -> None:
        """Relation names in ``node`` as keys, resolved along the search path (namespaces);
        42501 for a name qualified with a schema the role may not use."""
        catalog = self.catalog
        grants = self.grants()
        namespaces.qualify(node, catalog.by_name, catalog.index_owner, catalog.schemas,
                           self.search_path, None if grants.superuser else self._usable)

    def _usable(self, schema: str) -> bool:
        return "U" in self.grants().on_schema(schema)

    def _cache_key(self, text: str, param_oids: Any) -> tuple[str, tuple[int, ...], str,
                                                              tuple[str, ...]]:
        return (text, tuple(param_oids or ()), self.settings["timezone"], self.search_path)

    @property
    def shared_caches(self) -> bool:
        """Whether this session sees the engine's schema as every session does, so that
        translations may come from and go to the engine's caches."""
        return self.private_catalog is None and not self.temp

    def _status_rows(self, view: str) -> list[tuple[Any, ...]]:
        if view == "pg_prepared_statements":
            return self.prepared_statements.rows()
        provider = self.engine.status_provider
        return provider(view) if provider is not None else []

    def _system(self, schema: str | None, name: str) -> Any:
        # No side effects here: a translation served from a cache never calls this. What a
        # statement needs filled is recorded in ``Translation.system_relations`` instead.
        view = status_views.columns(name) if schema in (None, "pg_catalog") else None
        if view is not None:
            return [ColInfo(c, (t, -1)) for c, t in view]
        return pgcatalog.system_relation(schema, name)

    def _prepare_system_relations(self, tr: Translation) -> None:
        """Fill this session's catalog tables before running ``tr`` if it reads any (status
        views are virtual tables, computed at scan time)."""
        if tr.system_relations and not tr.system_relations <= status_views.VIEW_NAMES:
            self._ensure_pg_catalog()

    def _ensure_pg_catalog(self) -> None:
        catalog = self.catalog
        # (some rows depend on the current role: information_schema.table_privileges)
        gen = (-2 if self.private_catalog is not None else catalog.generation, self.ctx.user)
        if gen != self.catalog_generation_filled or gen[0] == -2:
            # The tables are made with the first fill, and again after a rollback of it.
            pgcatalog.install(self.conn)
            pgcatalog.refresh(self.conn, catalog, self.ctx.user, self.ctx.database,
                              self.settings)
            self.catalog_generation_filled = gen
            self.catalog_filled_in_txn = self.sqlite_txn

    def _catalog_rolled_back(self, committed: bool) -> None:
        """The catalog tables are SQLite tables too: a fill made inside a transaction is
        undone with it (ROLLBACK, or ROLLBACK TO a savepoint), so it must be made again."""
        if self.catalog_filled_in_txn and not committed:
            self.catalog_generation_filled = None
        if not self.sqlite_txn:
            self.catalog_filled_in_txn = False

    # -- privileges ------------------------------------------------------------------------

    def grants(self) -> privileges.Grants:
        """The current role's privileges, remembered until the schema or the role changes."""
        base = self.private_catalog or self.engine.catalog
        grants = self._grants
        if grants is None or self._grants_catalog is not base \
                or self._grants_user != self.ctx.user:
            grants = self._grants = privileges.grants_for(self.conn, self.ctx.user)
            self._grants_catalog, self._grants_user = base, self.ctx.user
            self._owner_grants.clear()
            self._view_needs.clear()
        return grants

    def check_privileges(self, needed: tuple[tuple[int, str], ...],
                         grants: privileges.Grants | None = None, view: bool = False) -> None:
        """42501 unless the role holds every privilege a statement needs (``needed``: from its
        translation). A view's own relations are checked with its owner's privileges, as
        PostgreSQL does."""
        grants = grants or self.grants()
        if grants.superuser or not needed or needed in grants.passed:
            return
        catalog = self.catalog
        if not view:
            # USAGE on each relation's schema: one found along the path has it (the path
            # skips the others), a qualified name needs it. (A translation may come from a
            # cache filled by another role: its names were checked for that role only.)
            # A view's own relations need none: PostgreSQL bound them when it was made.
            for oid, _ in needed:
                rel = catalog.by_oid.get(oid)
                if rel is not None and rel.oid < cat.FIRST_TEMP_OID:
                    schema = catalog.split(rel.name)[0]
                    if "U" not in grants.on_schema(schema):
                        raise privileges.schema_denied(schema)
        for oid, letters in needed:
            rel = catalog.by_oid.get(oid)
            if rel is None:
                continue
            for letter in letters:
                if not grants.allows(rel, letter):
                    raise privileges.denied(rel)
            if isinstance(rel, View):
                self.check_privileges(self._view_needs_of(rel), self._owner_grants_of(rel.owner),
                                      view=True)
        grants.passed.add(needed)

    def _view_needs_of(self, view: View) -> tuple[tuple[int, str], ...]:
        needs = self._view_needs.get(view.oid)
        if needs is None:
            # A view's text names relations of other schemas qualified (see schema_ddl's
            # relocate): its names are keys again, whatever the current role may use.
            catalog = self.catalog
            query = parse_sql(view.query)[0].stmt
            namespaces.qualify(query, catalog.by_name, catalog.index_owner, catalog.schemas,
                               (*catalog.schemas, "public"))
            tr = translate(catalog, self._system, query, (), self.settings["timezone"])
            needs = self._view_needs[view.oid] = tr.privileges
        return needs

    def _owner_grants_of(self, owner: int) -> privileges.Grants:
        grants = self._owner_grants.get(owner)
        if grants is None:
            role = next((r for r in roles.every(self.conn) if r.oid == owner), None)
            grants = privileges.grants_for(self.conn, role.name) if role is not None else \
                privileges.Grants(owner, False, frozenset({owner}))
            self._owner_grants[owner] = grants
        return grants

    def grants_of(self, role: Any) -> privileges.Grants:
        """The privileges of ``role`` (a name or an OID; None: the current role)."""
        if role is None or role == self.ctx.user:
            return self.grants()
        found = next((r for r in roles.every(self.conn) if r.oid == role), None) \
            if isinstance(role, int) else roles.find(self.conn, str(role))
        if found is None:
            raise UndefinedObject(f'role "{role}" does not exist')
        return privileges.grants_of(self.conn, found)

    def require_privilege(self, rel: cat.Relation, letters: str) -> None:
        """For functions (nextval...): 42501 unless the role holds one of ``letters``."""
        grants = self.grants()
        if not grants.superuser and not grants.allows(rel, letters):
            raise privileges.denied(rel)

    # -- parsing ---------------------------------------------------------------------------

    def parse_cached(self, sql: str, param_oids: list[int] | None = None) -> list[Statement] | None:
        """The statements of ``sql`` if this text was parsed before under the current schema
        (no pglast work at all), else None. Cheap enough to call on the event loop."""
        if not self.shared_caches:
            return None
        key = self._cache_key(sql, param_oids)
        templates = self.engine.statement_cache.statements.get(key)
        if templates is None:
            return None
        return [t.copy() for t in templates]

    def parse_simple(self, sql: str, *, parse_on_miss: bool = True) -> list[Statement] | None:
        """Parse a simple-protocol Query, reusing the translation of its literal-free template
        (see ``literals``). With ``parse_on_miss=False`` it does only cheap work (no pglast
        parse) and returns None when that is not enough."""
        if len(sql) > LARGE_TEXT:
            # Normalising a large text costs more than parsing it, and neither belongs on the
            # event loop: the caller parses it on a worker thread.
            return self.parse(sql) if parse_on_miss else None
        cached = self.parse_cached(sql)
        if cached is not None:
            return cached
        norm = literals.normalize(sql) if self.shared_caches else None
        if norm is not None:
            key = self._cache_key(norm.template, norm.kinds)
            template = self.engine.statement_cache.templates.get(key)
            if template is None:
                if not parse_on_miss:
                    return None
                template = self._template(norm)
                self.engine.statement_cache.add_template(key, template)
            if template is not NOT_APPLICABLE:
                assert isinstance(template, Statement)
                stmt = template.copy()
                stmt.bound = self._bind_literals(stmt, norm)
                return [stmt]
        return self.parse(sql) if parse_on_miss else None

    def _template(self, norm: literals.Normalized) -> Statement | object:
        oids = [0 if k == T.UNKNOWN else k for k in norm.kinds]
        try:
            statements = self._parse(norm.template, oids)
        except PgError:
            return NOT_APPLICABLE  # report errors against the text the client sent
        if len(statements) != 1 or statements[0].kind != "dml":
            return NOT_APPLICABLE
        return statements[0]

    def _bind_literals(self, stmt: Statement, norm: literals.Normalized) -> list[Any]:
        tr = stmt.translation
        assert tr is not None
        tz = self.settings["timezone"]
        out: list[Any] = []
        for value, kind, oid in zip(norm.values, norm.kinds, tr.param_oids, strict=False):
            if value is None:
                out.append(None)
            elif kind == T.BOOL:
                out.append(1 if value else 0)
            elif kind in (T.INT4, T.INT8):
                out.append(value)
            elif kind == T.NUMERIC:
                out.append(numeric_text(value))
            elif oid == T.REGCLASS:  # as the parse of the text folds it: the relation's OID
                out.append(functions.regclass_lookup(self.catalog, value, self.search_path,
                                                     self._usable))
            elif oid == T.REGPROC:
                out.append(regproc.regproc_input(value, self.catalog))
            elif oid == T.REGPROCEDURE:
                out.append(regproc.regprocedure_input(value, self.catalog))
            elif oid == T.REGTYPE:
                out.append(functions.cast_value(value, T.TEXT, oid, -1))
            else:
                pgtype = pgtypes.TYPES_BY_OID.get(oid) or pgtypes.TYPES_BY_OID[T.TEXT]
                out.append(pgtypes.parse_text(pgtype, value, -1, tz))
        return out

    def parse(self, sql: str, param_oids: list[int] | None = None) -> list[Statement]:
        cached = self.parse_cached(sql, param_oids)
        if cached is not None:
            return cached
        if len(sql) > LARGE_TEXT:
            with collector.paused():  # (its pauses would stop every session: see collector)
                return self._parse(sql, param_oids)
        statements = self._parse(sql, param_oids)
        if self.shared_caches and len(sql) <= LARGE_TEXT:
            key = self._cache_key(sql, param_oids)
            self.engine.statement_cache.add_statements(key, tuple(st.copy() for st in statements))
        return statements

    def _parse(self, sql: str, param_oids: list[int] | None = None) -> list[Statement]:
        lifted = lift(sql)  # a very large text's long constants: see routing.lifting
        if too_deep(lifted.text):
            raise StatementTooComplex("stack depth limit exceeded",
                                      hint="The statement is nested too deeply.")
        try:
            raw = lifted.parse()
        except ParseError as exc:
            raise SqlSyntaxError(str(exc.args[0]) if exc.args else "syntax error",
                                 position=_syntax_error_position(sql, exc)) from exc
        if not raw:
            return [Statement(sql, None, "empty")]
        out = []
        # In a multi-statement Query a statement may use what an earlier one creates: translate
        # each when it runs, not now.
        translate_now = len(raw) == 1
        for item in raw:
            start = item.stmt_location or 0
            text = sql[start: start + item.stmt_len] if item.stmt_len else sql[start:]
            out.append(self.classify(text.strip(), item.stmt, list(param_oids or []),
                                     translate_now))
        return out

    def classify(self, text: str, node: Any, param_oids: list[int],
                 translate_now: bool = True) -> Statement:
        if isinstance(node, ast.SelectStmt) and node.intoClause is not None:
            # SELECT ... INTO [TEMP] t is CREATE TABLE t AS SELECT ... (PostgreSQL does the same).
            into, node.intoClause = node.intoClause, None
            node = ast.CreateTableAsStmt(query=node, into=into, is_select_into=True,
                                         objtype=enums.ObjectType.OBJECT_TABLE)
        if isinstance(node, ast.SelectStmt | ast.InsertStmt | ast.UpdateStmt | ast.DeleteStmt):
            stmt = Statement(text, node, "dml", param_oids=param_oids)
            if translate_now:
                self.prepare_translation(stmt)
            return stmt
        if isinstance(node, ast.TransactionStmt):
            return Statement(text, node, "txn")
        if isinstance(node, ast.VariableSetStmt):
            return Statement(text, node, "set")
        if isinstance(node, ast.VariableShowStmt):
            return Statement(text, node, "show")
        if isinstance(node, ast.CopyStmt):
            return Statement(text, node, "copy")
        if isinstance(node, ast.CreateStmt | ast.DropStmt | ast.IndexStmt | ast.AlterTableStmt
                      | ast.CreateSeqStmt | ast.AlterSeqStmt | ast.ViewStmt | ast.TruncateStmt
                      | ast.RenameStmt | ast.CreateTableAsStmt | ast.CreateRoleStmt
                      | ast.AlterRoleStmt | ast.DropRoleStmt | ast.CreateSchemaStmt
                      | ast.GrantStmt | ast.GrantRoleStmt | ast.AlterRoleSetStmt
                      | ast.ReassignOwnedStmt | ast.DropOwnedStmt):
            return Statement(text, node, "ddl")
        if isinstance(node, ast.AlterOwnerStmt) and \
                node.objectType == enums.ObjectType.OBJECT_SCHEMA:
            return Statement(text, node, "ddl")
        if isinstance(node, ast.AlterObjectSchemaStmt) and node.relation is not None:
            return Statement(text, node, "ddl")
        return Statement(text, node, "utility")

    def prepare_translation(self, stmt: Statement) -> None:
        catalog = self.catalog
        key = self._cache_key(stmt.text, stmt.param_oids)
        if self.shared_caches:
            cached = self.engine.statement_cache.translations.get(key)
            if cached is not None:
                stmt.translation = cached
                stmt.generation = catalog.generation
                stmt.path = key[3]
                return
        with collector.paused() if len(stmt.text) > LARGE_TEXT else contextlib.nullcontext():
            if stmt.translation is not None:
                # Translating rewrites parts of the tree: translate a fresh parse, not the old
                # one.
                stmt.node = lift(stmt.text).parse()[0].stmt
            self.qualify(stmt.node)
            tr = translate(catalog, self._system, stmt.node, stmt.param_oids,
                           self.settings["timezone"], key[3])
        stmt.translation = tr
        stmt.generation = catalog.generation
        stmt.path = key[3]
        if self.shared_caches:
            self.engine.statement_cache.add_translation(key, tr)

    # -- transactions ----------------------------------------------------------------------

    def _sqlite_begin(self, write: bool) -> None:
        if write and not self.no_wait:
            self.txn_bytes = INLINE_COMMIT_BYTES + 1  # a write of any size: not on the loop
        if write and not self.writing:
            self._take_writer()
        if not self.sqlite_txn:
            now = dt.datetime.now(dt.UTC)
            self.ctx.transaction_start = now
            try:
                if write and self.no_wait:
                    self._begin_immediate_no_wait()
                else:
                    self.conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            except BaseException:
                self._leave_writer()
                raise
            self.sqlite_txn = True
        if write and self.capture is None and self.engine.log is not None:
            self.capture = changes.ChangeCapture(self.conn)

    def _begin_immediate_no_wait(self) -> None:
        """BEGIN IMMEDIATE without SQLite's busy handler: a connection outside the sessions
        (a checkpoint restart, a snapshot install) holding SQLite's lock means WriterBusy."""
        self.conn.set_busy_timeout(0)
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except apsw.BusyError:
            raise WriterBusy() from None
        finally:
            self.conn.set_busy_timeout(self.engine.busy_timeout_ms)

    def _take_writer(self) -> None:
        if self.no_wait:
            if not self.engine.writers.try_acquire(self):
                raise WriterBusy()
            self.writing = True
            return
        self.engine.writers.acquire(self, self.lock_wait_seconds(), self.ctx)
        self.writing = True

    def lock_wait_seconds(self) -> float:
        """How long a writer waits for the write lock: lock_timeout, else the engine's."""
        timeout_ms = int(self.settings.get("lock_timeout", "0")) or self.engine.busy_timeout_ms
        return timeout_ms / 1000

    def _leave_writer(self) -> None:
        if self.writing:
            self.writing = False
            self.engine.writers.release(self)

    def check_writable(self, command: str) -> None:
        """25006 for a write in a read-only transaction, and for any write on a standby."""
        if self.engine.read_only or self.settings.get("transaction_read_only") == "on":
            raise ReadOnlySqlTransaction(f"cannot execute {command} in a read-only transaction")

    def _sqlite_end(self, commit: bool) -> None:
        if not self.sqlite_txn:
            return
        self.sqlite_txn = False
        capture, self.capture = self.capture, None
        committed = False
        violation = self._unique_violation(at_commit=True) if commit else None
        commit = commit and violation is None
        try:
            if commit and self.temp.on_commit:
                self.temp.commit_actions(self.conn)
            bodies = capture.finish() if capture is not None and commit else None
            if capture is not None and not commit:
                capture.discard()
            if commit:
                self._commit(bodies)
            else:
                self.conn.execute("ROLLBACK")
                if self.ctx.sequences_set:
                    self._keep_sequences()
            committed = commit
        except apsw.Error as exc:
            if commit:
                with contextlib.suppress(apsw.Error):
                    self.conn.execute("ROLLBACK")
                raise map_error(exc, self.catalog, self.ctx.cancel_reason) from exc
        finally:
            self.txn_bytes = 0
            self.temp.end(committed)
            self.constraint_modes.clear()
            self.ctx.sequences_set.clear()
            self._catalog_rolled_back(committed)
            self._leave_writer()
            self.savepoints.clear()
            self.savepoint_marks.clear()
            changed = self.private_catalog is not None
            self.private_catalog = None
            if changed:
                self.engine.schema_changed(self.conn) if commit else None
        if violation is not None:
            raise violation

    def _deferred(self, con: cat.Constraint) -> bool:
        """Whether a constraint is checked at commit in this transaction."""
        if not con.deferrable:
            return False
        return self.constraint_modes.get(con.name, self.constraint_modes.get(None, con.deferred))

    def _unique_violation(self, at_commit: bool) -> PgError | None:
        """The first deferrable PK/UNIQUE constraint that rows break, checked now (at the end
        of a statement: the immediate ones; at commit: all), as PostgreSQL reports it."""
        catalog = self.catalog
        for table, con in catalog.deferrable_uniques:
            if not at_commit and self._deferred(con):
                continue
            key = duplicate_key(self.conn, table, con)
            if key is not None:
                shown = ", ".join("NULL" if v is None else str(v) for v in key)
                return UniqueViolation(f'duplicate key value violates unique constraint '
                                       f'"{con.name}"', table=table.name, constraint=con.name,
                                       detail=f"Key ({', '.join(con.columns)})=({shown}) already "
                                       "exists.")
        return None

    def _check_uniques(self, at_commit: bool) -> None:
        violation = self._unique_violation(at_commit)
        if violation is not None:
            raise violation

    def _lock_tables(self, node: ast.LockStmt) -> Result:
        """LOCK TABLE: a mode that conflicts with writers (SHARE and stronger) takes the
        engine's writer lock until the transaction ends, which keeps every other writer out
        (more than PostgreSQL's table lock, never less); weaker modes need nothing here."""
        if not self.explicit:
            raise NoActiveSqlTransaction("LOCK TABLE can only be used in transaction blocks")
        self.qualify(node)
        for rv in node.relations:
            if rv.relname not in self.catalog.by_name:
                raise UndefinedTable(f'relation "{rv.relname}" does not exist')
        blocks_writers = node.mode >= 5  # ShareLock (5) .. AccessExclusiveLock (8)
        if blocks_writers:
            self.check_writable("LOCK TABLE")
        self._sqlite_begin(blocks_writers)
        return Result("LOCK TABLE")

    def _set_constraints(self, node: ast.ConstraintsSetStmt) -> Result:
        """SET CONSTRAINTS {ALL | name, ...} {DEFERRED | IMMEDIATE}. Foreign keys are deferred
        with SQLite's defer_foreign_keys, which defers every foreign key of the transaction,
        not only the named ones (a violation is still reported, at COMMIT)."""
        if not self.explicit:
            return Result("SET CONSTRAINTS", notices=[Notice(
                "25P01", "SET CONSTRAINTS can only be used in transaction blocks", "WARNING")])
        named = []
        for rv in node.constraints or ():
            found = [c for _, c in self.catalog.constraint_oids.values() if c.name == rv.relname]
            if not found:
                raise UndefinedObject(f'constraint "{rv.relname}" does not exist')
            if not any(c.deferrable for c in found):
                raise WrongObjectType(f'constraint "{rv.relname}" is not deferrable')
            named += found
        if not named:
            self.constraint_modes = {None: node.deferred}
        for con in named:
            self.constraint_modes[con.name] = node.deferred
        self._sqlite_begin(False)
        fks = node.deferred and (not named or any(c.kind == "f" for c in named))
        self.conn.execute(f"PRAGMA defer_foreign_keys = {'ON' if fks else 'OFF'}")
        if not node.deferred:
            self._check_uniques(at_commit=False)
            if any(True for _ in self.conn.execute("PRAGMA foreign_key_check")):
                raise ForeignKeyViolation("insert or update violates a foreign key constraint")
        return Result("SET CONSTRAINTS")

    def notify(self, channel: Any, payload: Any) -> None:
        """NOTIFY / pg_notify(): queued until the transaction commits; the same channel and
        payload twice in one transaction are sent once, as in PostgreSQL."""
        if self.engine.read_only:
            raise ReadOnlySqlTransaction("cannot execute NOTIFY during recovery")
        if not channel:
            raise InvalidParameterValue("channel name cannot be empty")
        channel = str(channel)
        if len(channel.encode()) >= 64:
            raise InvalidParameterValue("channel name too long")
        payload = "" if payload is None else str(payload)
        if len(payload.encode()) >= 8000:
            raise InvalidParameterValue("payload string too long")
        if (channel, payload) not in self.notifications:
            self.notifications.append((channel, payload))

    def _keep_sequences(self) -> None:
        """The transaction was rolled back, but the sequence values it took are gone for
        good (as in PostgreSQL, nextval and setval are never undone): write them again, in a
        transaction of their own, before the writer lock goes to another session (which would
        otherwise hand them out again)."""
        states, self.ctx.sequences_set = self.ctx.sequences_set, {}
        self.conn.execute("BEGIN IMMEDIATE")
        capture = changes.ChangeCapture(self.conn) if self.engine.log is not None else None
        try:
            self._write_sequences(states)
            bodies = capture.finish() if capture is not None else None
        except BaseException:
            if capture is not None:
                capture.discard()
            self.conn.execute("ROLLBACK")
            raise
        self._commit(bodies)

    def _commit(self, bodies: changes.Fragments | None) -> None:
        """COMMIT the SQLite transaction: through the log (and durable) when it captured
        changes, else plainly."""
        if bodies:
            try:
                self._commit_logged(bodies)
            finally:
                bodies.close()
        else:
            self.conn.execute("COMMIT")

    def _write_sequences(self, states: dict[int, tuple[int, int]]) -> None:
        """Sequence states (see FunctionContext.sequences_set); one whose sequence does not
        exist (created in what was rolled back) is skipped."""
        for oid, (value, called) in states.items():
            # An upsert: the rollback also removed the row of a sequence's first nextval.
            self.conn.execute(
                "INSERT INTO __pgha_sequence_values (oid, last_value, is_called) SELECT ?, ?, ?"
                " WHERE EXISTS (SELECT 1 FROM __pgha_relations WHERE oid = ?)"
                " ON CONFLICT (oid) DO UPDATE SET last_value = excluded.last_value,"
                " is_called = excluded.is_called", (oid, value, called, oid))

    def _commit_logged(self, bodies: changes.Fragments) -> None:
        """Log the transaction (one record, or several for a large one), commit it, and
        return once the log is durable."""
        log = self.engine.log
        assert log is not None
        end = commit_log.commit_logged(self.conn, log, self.engine.commit_lock, bodies)
        self._leave_writer()  # the next writer runs while this commit's WAL is flushed
        self.commit_lsn = end
        if self.no_wait:
            self.durable_wait = end  # the caller flushes it (commit_log.wait_durable)
        else:
            commit_log.wait_durable(log, end)

    @property
    def durable_without_wait(self) -> bool:
        """Flushing the log (``commit_log.wait_durable``) makes no system call (the node does
        not fsync): the caller need not leave the event loop for it."""
        return not self.engine.durable

    def finish_settings(self, commit: bool) -> dict[str, str]:
        """End of a transaction block: SET LOCAL values end; ROLLBACK also undoes SET.
        Returns the reported settings whose value changed (for ParameterStatus)."""
        restore: dict[str, str | None] = dict(self.local_overrides)
        if not commit:
            restore.update(self.block_backup)
        self.local_overrides.clear()
        self.block_backup.clear()
        changed = {}
        for name, value in restore.items():
            if value is None and guc.is_placeholder(name):
                self.settings[name] = ""  # the placeholder stays defined, empty (as in PG)
            elif value is None:
                self.settings.pop(name, None)
            elif self.settings.get(name) != value:
                self.settings[name] = value
                if name in guc.REPORTED:
                    changed[guc.REPORTED[name]] = value
        self.ctx.tz = self.settings["timezone"]
        if {"role", "session_authorization"} & set(restore):
            changed.update(self._apply_role())
        return changed

    def begin_implicit(self) -> None:
        """Start the implicit transaction of a multi-statement Query or of a pipeline up to
        Sync (PostgreSQL runs each as one transaction)."""
        if not self.explicit:
            self.implicit = True

    @property
    def ends_in_sqlite(self) -> bool:
        """``end_implicit`` would commit or roll back a SQLite transaction (blocking: run it
        on a worker thread); otherwise it only updates this session's state."""
        return not self.explicit and self.sqlite_txn

    def end_implicit(self) -> None:
        """At the end of a Query message or at Sync."""
        if self.explicit:
            return
        self.implicit = False
        if self.status == "E":
            self.notifications.clear()
            self._sqlite_end(False)
            self.status = "I"
            return
        self._sqlite_end(True)
        self.status = "I"

    def abort(self) -> None:
        """An error happened in the current statement."""
        if self.explicit or self.implicit:
            self.status = "E"
        else:
            self.notifications.clear()
            self._sqlite_end(False)
            self.status = "I"

    def close(self) -> None:
        try:
            if self.sqlite_txn:
                self._sqlite_end(False)
            self.ctx.advisory_locks.unlock_all(id(self.ctx))
        finally:
            self._leave_writer()  # (held with no transaction: a session ended while handed it)
            self.conn.close()

    def interrupt(self, reason: str = "user request") -> None:
        """Cancel the running statement (a CancelRequest, or ``reason`` "statement timeout"):
        safe from another thread."""
        self.ctx.cancel_reason = reason
        self.ctx.cancel.set()
        self.engine.writers.wake()
        self.conn.interrupt()

    # -- execution -------------------------------------------------------------------------

    def execute(self, stmt: Statement, params: list[Any] | None = None,
                deadline: float | None = None) -> Result:
        """Run one statement. With ``deadline`` (``time.monotonic()``; statement_timeout) the
        caller's timer calls ``interrupt("statement timeout")`` when it passes."""
        if stmt.kind == "empty":
            return Result("")
        if self.status == "E" and not self.allowed_in_failed(stmt):
            raise InFailedSqlTransaction(
                "current transaction is aborted, commands ignored until end "
                "of transaction block")
        ctx = self.ctx
        ctx.statement_start = dt.datetime.now(dt.UTC)
        if ctx.cancel.is_set():  # (clear() takes the event's lock even when it is not set)
            ctx.cancel.clear()
        if deadline is None:
            return self._execute(stmt, params)
        if time.monotonic() >= deadline:  # the timer may have fired before the clear above
            raise QueryCanceled("canceling statement due to statement timeout")
        # SQLite forgets an interrupt that comes between statements; the flag stays set.
        self.conn.set_progress_handler(self.ctx.cancel.is_set, 1000)
        try:
            return self._execute(stmt, params)
        finally:
            self.conn.set_progress_handler(None)

    def _execute(self, stmt: Statement, params: list[Any] | None) -> Result:
        try:
            return self._dispatch(stmt, params)
        finally:
            if self.writing and not self.sqlite_txn:
                # The write lock was handed over for a write that did not begin (it failed
                # first: ClientSession.wait_for_writer): the lock goes with a transaction only.
                self._leave_writer()

    def _dispatch(self, stmt: Statement, params: list[Any] | None) -> Result:
        if self.ctx.catalog is not self.catalog:
            self.ctx.catalog = self.catalog
        if params is None and stmt.bound is not None:
            params = stmt.bound
        try:
            if stmt.kind == "dml":
                return self._execute_dml(stmt, params or [])
            if stmt.kind == "txn":
                return self._transaction(stmt.node)
            if stmt.kind == "set":
                return self._set(stmt.node)
            if stmt.kind == "show":
                return self._show(stmt.node)
            if stmt.kind == "ddl":
                return self._ddl(stmt)
            if stmt.kind == "copy":
                return self._copy(stmt)
            return self._utility(stmt)
        except apsw.Error as exc:
            error = map_error(exc, self.catalog, self.ctx.cancel_reason)
            if isinstance(error, (UniqueViolation, ForeignKeyViolation)) and stmt.kind == "dml":
                error = explain_violation(error, stmt.node, params or [], self.catalog,
                                           self.settings["timezone"])
            raise error from exc

    def can_run_inline(self, stmt: Statement, params: list[Any] | None = None) -> bool:
        """A read that may run on the caller's thread (see ``execute_inline``), or a
        transaction statement that touches no SQLite state (BEGIN is lazy; COMMIT and ROLLBACK
        with no SQLite transaction open only end the block's bookkeeping). A read with large
        text or values does not: copying them is work the step budget does not see."""
        if stmt.kind == "txn":
            K = enums.TransactionStmtKind
            kind = stmt.node.kind
            return kind in (K.TRANS_STMT_BEGIN, K.TRANS_STMT_START) or (
                kind in (K.TRANS_STMT_COMMIT, K.TRANS_STMT_ROLLBACK) and not self.sqlite_txn)
        tr = stmt.translation
        return (
            tr is not None
            and tr.inline_ok
            and fits_inline(stmt.text, stmt.bound, params)
            and self.status != "E"
            and stmt.generation == self.catalog.generation
            and stmt.path == self.search_path
            and self.shared_caches
        )

    def can_write_inline(self, stmt: Statement, params: list[Any] | None = None) -> bool:
        """A point write (``translate.point_write``): it may run on the caller's thread (see
        ``execute_no_wait``), with no budget (an interrupted write would roll the whole
        transaction back), its shape bounding it. The write lock is not waited for (WriterBusy
        instead); an autocommit write commits with it, with only the log's flush left to the
        caller (``durable_wait``)."""
        tr = stmt.translation
        return (
            tr is not None
            and tr.point_write
            and (self.writing or not self.sqlite_txn)
            # outside a block, the write commits through the log (a record, no SQLite fsync)
            and (self.explicit or self.engine.log is not None)
            and self.status != "E"
            and not self.catalog.deferrable_uniques
            and not self.temp.on_commit
            and fits_inline(stmt.text, stmt.bound, params)
            and stmt.generation == self.catalog.generation
            and stmt.path == self.search_path
            and self.shared_caches
        )

    def can_commit_inline(self) -> bool:
        """Would ending this block's SQLite transaction now (COMMIT, ROLLBACK, the end of an
        implicit block) be short work, with no wait but the log's flush (left to the caller,
        ``durable_wait``)? Not when SQLite itself must fsync at COMMIT (no log, durable),
        nor for large or DDL transactions (a write that ran off the loop counts as large),
        deferred checks or ON COMMIT actions."""
        capture = self.capture
        return (
            self.sqlite_txn
            and self.txn_bytes <= INLINE_COMMIT_BYTES
            and (self.engine.log is not None or not self.engine.durable)
            and (capture is None or (not len(capture.steps) and
                                     len(capture.rows) <= INLINE_COMMIT_ROWS))
            and not self.catalog.deferrable_uniques
            and not self.temp.on_commit
            and self.private_catalog is None
            and not self.ctx.sequences_set
        )

    def execute_no_wait(self, stmt: Statement, params: list[Any] | None = None) -> Result:
        """``execute`` on the caller's thread (the event loop) for what ``can_write_inline``
        or ``can_commit_inline`` admitted: WriterBusy (nothing done) if the write lock is
        taken; a logged commit leaves its flush to the caller (``durable_wait``)."""
        self.no_wait = True
        try:
            return self.execute(stmt, params)
        finally:
            self.no_wait = False

    def end_implicit_no_wait(self) -> None:
        """``end_implicit`` on the caller's thread (see ``can_commit_inline``)."""
        self.no_wait = True
        try:
            self.end_implicit()
        finally:
            self.no_wait = False

    def execute_and_end(self, stmt: Statement, params: list[Any] | None = None) -> Result:
        """``execute``, then ``end_implicit`` when this statement's implicit block is over (its
        Sync is the next message): one worker-thread hop for an autocommit write in the
        extended protocol instead of two. A failed commit is kept in ``commit_error`` for the
        Sync to report, after the statement's own CommandComplete, as the Sync's own commit
        would have."""
        result = self.execute(stmt, params)
        if result.copy_in is None and self.ends_in_sqlite:
            try:
                self.end_implicit()
            except PgError as exc:
                self.commit_error = exc
        return result

    def execute_inline(self, stmt: Statement, params: list[Any] | None) -> Result | None:
        """Run a read under a budget of SQLite VM steps; None when the budget ran out (the
        read left no trace: run it again with ``execute`` on a worker thread). This keeps
        point reads off the thread pool without letting a long scan stall the event loop."""
        self.conn.set_progress_handler(over_budget, INLINE_BUDGET_STEPS)
        try:
            return self.execute(stmt, params)
        except PgError as exc:
            if isinstance(exc, QueryCanceled) and exc.detail == INLINE_BUDGET_DETAIL:
                return None
            raise
        finally:
            self.conn.set_progress_handler(None)

    def read_key(self) -> tuple[Any, ...] | None:
        """What a read's translation, privileges and output were checked under: the catalog
        snapshot, the role, search_path and the settings its values are written with. A read
        that ran under an equal key may run again with ``run_read``; None while the session's
        schema is its own (a catalog of its transaction, temporary tables)."""
        if not self.shared_caches:
            return None
        settings = self.settings
        return (self.catalog, self.ctx.user, settings["search_path"], settings["timezone"],
                settings["extra_float_digits"], settings["intervalstyle"])

    def run_read(self, tr: Translation, params: list[Any]) -> list[Any] | None:
        """The rows of a read that ran before in this session under the current ``read_key``
        (its checks then hold now: translation, privileges, search path), on the caller's
        thread under the inline budget, as ``execute_inline`` runs it. None when it must go
        the general way, which runs it again from the start (an error, or the budget ran
        out)."""
        ctx = self.ctx
        now = dt.datetime.now(dt.UTC)
        ctx.statement_start = now
        if ctx.cancel.is_set():
            ctx.cancel.clear()
        if ctx.catalog is not self.catalog:
            ctx.catalog = self.catalog
        conn = self.conn
        conn.set_progress_handler(over_budget, INLINE_BUDGET_STEPS)
        try:
            if not self.sqlite_txn:
                if self.explicit:  # a block's first read begins its snapshot, as in execute
                    self._sqlite_begin(False)
                else:
                    ctx.transaction_start = now
            return _fetch(conn.cursor(), tr, params)
        except apsw.Error as exc:
            map_error(exc, self.catalog)  # (forgets the budget's interrupt)
            return None
        finally:
            conn.set_progress_handler(None)

    def allowed_in_failed(self, stmt: Statement) -> bool:
        """What a failed block still runs (PostgreSQL's IsTransactionExitStmt)."""
        if stmt.kind != "txn":
            return False
        K = enums.TransactionStmtKind
        return stmt.node.kind in (K.TRANS_STMT_ROLLBACK, K.TRANS_STMT_COMMIT,
                                  K.TRANS_STMT_ROLLBACK_TO, K.TRANS_STMT_PREPARE)

    def _execute_dml(self, stmt: Statement, params: list[Any]) -> Result:
        if stmt.translation is None or stmt.generation != self.catalog.generation or (
                self.private_catalog is not None and stmt.generation != -3) or (
                stmt.path != self.search_path):
            self.prepare_translation(stmt)
        tr = stmt.translation
        assert tr is not None
        if tr.privileges:
            self.check_privileges(tr.privileges)
        self._prepare_system_relations(tr)
        if tr.is_write:
            self.check_writable(tr.command if tr.command != "SELECT" else "SELECT with writes")
            if self.no_wait:
                self.txn_bytes += _size(stmt.text, params)
        # Inside an implicit block (a multi-statement Query, or a pipeline up to Sync) a read
        # needs no SQLite transaction of its own: only writes must commit or roll back together.
        autocommit = not self.explicit and not (self.implicit and (tr.is_write or self.sqlite_txn))
        # A logged write needs its own transaction even alone: the log record is its commit.
        own_txn = autocommit and tr.is_write and self.engine.log is not None
        if not autocommit or own_txn:
            self._sqlite_begin(tr.is_write)
        else:
            self.ctx.transaction_start = self.ctx.statement_start
        check_uniques = tr.is_write and bool(self.catalog.deferrable_uniques)
        if (tr.steps or check_uniques or self.temp.on_commit) and autocommit and not own_txn:
            # The data-modifying CTEs and the main statement stand or fall together; a
            # deferrable unique constraint is checked after the rows changed.
            own_txn = True
            self._sqlite_begin(True)
        cursor = self.conn.cursor()
        try:
            if tr.steps:
                self._run_write_steps(tr, params)
            rows = _fetch(cursor, tr, params)
            # With RETURNING (or for SELECT) the rows are the count; otherwise SQLite's changes().
            count = len(rows) if tr.columns is not None else self.conn.changes()
            if check_uniques:
                self._check_uniques(at_commit=False)
        except apsw.ConstraintError as exc:
            error = self._constraint_error(exc, stmt, tr, params)
            if own_txn:
                self._sqlite_end(False)
            raise error from exc
        except BaseException:
            if own_txn:
                self._sqlite_end(False)
            raise
        finally:
            for step in tr.steps:
                if step.width:  # (a table left by a failed drop is replaced by the next use)
                    with contextlib.suppress(apsw.Error):
                        self.conn.execute(f"DROP TABLE IF EXISTS temp.{step.table}")
        if own_txn:
            self._sqlite_end(True)
        tag = f"INSERT 0 {count}" if tr.command == "INSERT" else f"{tr.command} {count}"
        return Result(tag, tr.columns, rows)

    def _constraint_error(self, exc: apsw.ConstraintError, stmt: Statement, tr: Translation,
                          params: list[Any]) -> PgError:
        """The PostgreSQL error of a write that violated a constraint, with the failing row's
        DETAIL where it can be found (failing_row); the transaction is still open."""
        error = map_error(exc, self.catalog, self.ctx.cancel_reason)
        tz = self.settings["timezone"]
        rv = getattr(stmt.node, "relation", None)
        rel = None
        if rv is not None and not tr.steps:
            for key in namespaces.candidates(rv.schemaname, rv.relname, self.catalog.schemas,
                                             self.search_path):
                rel = self.catalog.table(key)
                if rel is not None:
                    break
        if rel is not None:
            with self._sequences_kept():
                error = failing_row.explain(self.conn, self.capture, self.catalog, rel, tr.sql,
                                            params, error, tz)
        if error.detail is None and isinstance(error, UniqueViolation | ForeignKeyViolation):
            error = explain_violation(error, stmt.node, params, self.catalog, tz)
        return error

    @contextlib.contextmanager
    def _sequences_kept(self) -> Iterator[None]:
        """What nextval tells the session (currval, lastval, the values kept past a rollback)
        as it was before: a statement run again to explain its error hands out no number."""
        ctx = self.ctx
        saved = dict(ctx.last_sequence_values), ctx.last_sequence, dict(ctx.sequences_set)
        try:
            yield
        finally:
            ctx.last_sequence_values, ctx.last_sequence, ctx.sequences_set = saved

    def _run_write_steps(self, tr: Translation, params: list[Any]) -> None:
        """Run the data-modifying statements of a WITH, in order, keeping the RETURNING rows
        of each in its temporary table (see ``translate.WriteStep``). Temporary tables are in
        SQLite's ``temp`` schema, which change capture ignores: nothing of them is logged."""
        for step in tr.steps:
            if step.width:
                cols = ", ".join(f"c{i}" for i in range(step.width))
                self.conn.execute(f"DROP TABLE IF EXISTS temp.{step.table}")
                self.conn.execute(f"CREATE TEMP TABLE {step.table} ({cols})")
            rows = self.conn.execute(step.sql, params[:step.bind_count])
            if step.width:
                marks = ", ".join("?" * step.width)
                self.conn.executemany(f"INSERT INTO temp.{step.table} VALUES ({marks})",
                                      list(rows))
            else:
                for _ in rows:
                    pass

    def _transaction(self, node: ast.TransactionStmt) -> Result:
        K = enums.TransactionStmtKind
        kind = node.kind
        if kind in (K.TRANS_STMT_BEGIN, K.TRANS_STMT_START):
            if self.explicit:
                return Result("BEGIN", notices=[Notice(
                    "25001", "there is already a transaction in progress", "WARNING")])
            self.explicit = True
            self.status = "T"
            self.ctx.transaction_start = dt.datetime.now(dt.UTC)
            tag = "START TRANSACTION" if kind == K.TRANS_STMT_START else "BEGIN"
            self._transaction_options(node.options, local=True)
            return Result(tag)
        if kind in (K.TRANS_STMT_COMMIT, K.TRANS_STMT_ROLLBACK):
            if not self.explicit:
                notices = [Notice("25P01", "there is no transaction in progress", "WARNING")]
                if kind == K.TRANS_STMT_ROLLBACK or self.status == "E":
                    self.notifications.clear()
                if self.implicit:
                    self._sqlite_end(kind == K.TRANS_STMT_COMMIT and self.status != "E")
                    self.status = "I"
                return Result("COMMIT" if kind == K.TRANS_STMT_COMMIT else "ROLLBACK",
                              notices=notices)
            failed = self.status == "E"
            self.explicit = False
            self.implicit = False
            self.status = "I"
            commit = kind == K.TRANS_STMT_COMMIT and not failed
            if not commit:
                self.notifications.clear()
            try:
                self._sqlite_end(commit)
            finally:
                changed = self.finish_settings(commit)
            return Result("COMMIT" if commit else "ROLLBACK", changed_settings=changed)
        if kind == K.TRANS_STMT_SAVEPOINT:
            self._require_block("SAVEPOINT")
            self._sqlite_begin(False)
            self.conn.execute(f"SAVEPOINT {q(node.savepoint_name)}")
            self.savepoints.append(node.savepoint_name)
            self.savepoint_marks.append(self.capture.mark() if self.capture else (0, 0))
            self.temp.savepoint()
            return Result("SAVEPOINT")
        if kind == K.TRANS_STMT_RELEASE:
            self._require_block("RELEASE SAVEPOINT")
            self._require_savepoint(node.savepoint_name)
            self.conn.execute(f"RELEASE SAVEPOINT {q(node.savepoint_name)}")
            idx = len(self.savepoints) - 1 - self.savepoints[::-1].index(node.savepoint_name)
            del self.savepoints[idx:]
            del self.savepoint_marks[idx:]
            self.temp.release(idx)
            return Result("RELEASE")
        if kind == K.TRANS_STMT_ROLLBACK_TO:
            self._require_block("ROLLBACK TO SAVEPOINT")
            self._require_savepoint(node.savepoint_name)
            idx = len(self.savepoints) - 1 - self.savepoints[::-1].index(node.savepoint_name)
            mark = self.savepoint_marks[idx]
            if self.capture is not None and self.capture.statements_since(mark):
                # The log already holds steps (DDL) made after the savepoint.
                raise FeatureNotSupported("ROLLBACK TO SAVEPOINT across a schema change is not "
                                          "supported; roll back the whole transaction")
            self.conn.execute(f"ROLLBACK TO SAVEPOINT {q(node.savepoint_name)}")
            self._catalog_rolled_back(False)
            if self.capture is not None:
                self.capture.rollback_to(mark)
            self._write_sequences(self.ctx.sequences_set)  # never undone (_keep_sequences)
            self.temp.rollback_to(idx)
            del self.savepoints[idx + 1:]
            del self.savepoint_marks[idx + 1:]
            self.status = "T"
            return Result("ROLLBACK")
        raise FeatureNotSupported("two-phase commit is not supported")

    def _require_block(self, what: str) -> None:
        if not self.explicit:
            raise NoActiveSqlTransaction(f"{what} can only be used in transaction blocks")

    def _require_savepoint(self, name: str) -> None:
        if name not in self.savepoints:
            raise InvalidSavepointSpecification(f'savepoint "{name}" does not exist')

    # -- settings --------------------------------------------------------------------------

    def _set_from_function(self, name: str, value: str, local: bool) -> None:
        self.set_setting(name, value, local)

    def set_setting(self, name: str, value: str, local: bool = False) -> dict[str, str]:
        name = name.lower()
        value = guc.check_value(name, value, self.settings)
        if name in ("default_transaction_isolation", "default_transaction_read_only") and \
                not local:
            # What transactions get from now on: outside a block that is what SHOW reports.
            self.set_setting(name.removeprefix("default_"), value)
        if self.explicit:
            previous = self.settings.get(name)
            self.block_backup.setdefault(name, previous)
            if local:
                self.local_overrides.setdefault(name, previous or "")
        self.settings[name] = value
        if name == "timezone":
            self.ctx.tz = value
        return {guc.REPORTED[name]: value} if name in guc.REPORTED else {}

    def _set_role(self, node: ast.VariableSetStmt) -> dict[str, str]:
        """SET [LOCAL] ROLE / SET SESSION AUTHORIZATION, their RESETs and DEFAULT. SET ROLE
        needs membership in the role (or a superuser session user); SET SESSION
        AUTHORIZATION a superuser login. Returns the reported settings that changed."""
        K = enums.VariableSetKind
        name = (node.name or "").lower()
        value = "none" if name == "role" else self.login_user
        if node.kind == K.VAR_SET_VALUE:
            arg = node.args[0] if node.args else None
            value = str(getattr(getattr(arg, "val", None), "sval", "") or "")
        if name == "session_authorization":
            if not roles.acting(self.conn, self.login_user).superuser and \
                    value != self.login_user:
                raise InsufficientPrivilege("permission denied to set session authorization")
            if roles.find(self.conn, value) is None and value != self.login_user:
                raise InvalidParameterValue(f'role "{value}" does not exist')
            if node.is_local:
                self.set_setting("role", "none", local=True)
            else:
                self.settings["role"] = "none"
        elif value != "none":
            role = roles.find(self.conn, value)
            if role is None:
                raise InvalidParameterValue(f'role "{value}" does not exist')
            session = roles.acting(self.conn, self.settings["session_authorization"])
            if not session.superuser and role.oid not in roles.member_of(self.conn, session.oid):
                raise InsufficientPrivilege(f'permission denied to set role "{value}"')
        changed = self.set_setting(name, value, node.is_local)
        return {**changed, **self._apply_role()}

    def _apply_role(self) -> dict[str, str]:
        """current_user and session_user from the role settings; is_superuser follows."""
        session = self.settings["session_authorization"]
        role = self.settings.get("role", "none")
        self.ctx.user = session if role == "none" else role
        self.ctx.session_user = session
        superuser = "on" if roles.acting(self.conn, self.ctx.user).superuser else "off"
        if self.settings.get("is_superuser") == superuser:
            return {}
        self.settings["is_superuser"] = superuser
        return {"is_superuser": superuser}

    def _reset_all(self) -> dict[str, str]:
        """RESET ALL: every setting back to this session's default; returns the reported
        settings that changed (for ParameterStatus)."""
        defaults = {**guc.DEFAULT_SETTINGS, "pgha.sync_mode": self.engine.sync_mode}
        changed = {}
        for key, value in defaults.items():
            if key not in guc.READ_ONLY_SETTINGS and self.settings.get(key) != value and (
                    key not in ("session_authorization", "role")):
                self.settings[key] = value
                if key in guc.REPORTED:
                    changed[guc.REPORTED[key]] = value
        for key in [k for k in self.settings if k not in defaults and guc.is_placeholder(k)]:
            self.settings[key] = ""  # a custom setting's reset value is empty
        self.ctx.tz = self.settings["timezone"]
        return changed

    def _explain(self, node: ast.ExplainStmt) -> Result:
        """EXPLAIN of a query: SQLite's plan for its translation (EXPLAIN QUERY PLAN), one
        line per step, nested as PostgreSQL nests its plan nodes. Nothing runs."""
        options = {opt.defname.lower(): _explain_option(opt) for opt in node.options or ()}
        if options.get("analyze") in ("true", "on", "1"):
            raise FeatureNotSupported("EXPLAIN ANALYZE is not supported",
                                      hint="EXPLAIN without ANALYZE shows the plan.")
        if options.get("format", "text") != "text":
            raise FeatureNotSupported("EXPLAIN supports FORMAT TEXT only")
        query = node.query
        if not isinstance(query, ast.SelectStmt | ast.InsertStmt | ast.UpdateStmt |
                          ast.DeleteStmt):
            raise FeatureNotSupported(f"EXPLAIN of {type(query).__name__.removesuffix('Stmt')} "
                                      "is not supported")
        self.qualify(query)
        tr = translate(self.catalog, self._system, query, (), self.settings["timezone"],
                       self.search_path)
        if tr.steps:
            raise FeatureNotSupported("EXPLAIN of data-modifying statements in WITH is not "
                                      "supported")
        self._prepare_system_relations(tr)
        steps = list(self.conn.execute("EXPLAIN QUERY PLAN " + tr.sql,
                                       [None] * tr.sql.count("?")))
        depth = {0: -1}
        lines = []
        for step_id, parent, _, detail in steps:
            depth[step_id] = depth.get(parent, -1) + 1
            level = depth[step_id]
            lines.append((detail if level == 0 else "  " * (level - 1) + "  ->  " + detail,))
        return Result("EXPLAIN", EXPLAIN_COLUMNS, lines or [("Result",)])

    def _transaction_options(self, options: Any, local: bool) -> None:
        """BEGIN's or SET TRANSACTION's options (local: this transaction), or SET SESSION
        CHARACTERISTICS AS TRANSACTION's (the session's defaults)."""
        for opt in options or ():
            option = getattr(opt, "defname", "")
            value = getattr(opt.arg, "val", opt.arg)
            if option == "transaction_read_only":
                setting = "on" if getattr(value, "ival", 0) else "off"
            elif option == "transaction_isolation":
                setting = getattr(value, "sval", "read committed")
            else:
                continue  # transaction_deferrable: no effect, as for a non-serializable one
            if local:
                self.set_setting(option, setting, local=True)
            else:
                self.set_setting("default_" + option, setting)

    def _set(self, node: ast.VariableSetStmt) -> Result:
        K = enums.VariableSetKind
        name = (node.name or "").lower()
        if node.kind == K.VAR_RESET_ALL:
            return Result("RESET", changed_settings=self._reset_all())
        if name in ("role", "session_authorization") and node.kind in (
                K.VAR_SET_VALUE, K.VAR_RESET, K.VAR_SET_DEFAULT):
            return Result("RESET" if node.kind == K.VAR_RESET else "SET",
                          changed_settings=self._set_role(node))
        if node.kind in (K.VAR_SET_MULTI,):
            # SET TRANSACTION (this transaction) / SET SESSION CHARACTERISTICS AS TRANSACTION
            # (the session's default). pgha runs every transaction serializably (one writer);
            # the level asked for is what SHOW reports, as on PostgreSQL.
            session = name == "session characteristics"
            if not session and not self.explicit:
                return Result("SET", notices=[Notice(
                    "25P01", "SET TRANSACTION can only be used in transaction blocks",
                    "WARNING")])
            self._transaction_options(node.args, local=not session)
            return Result("SET")
        if node.kind in (K.VAR_RESET, K.VAR_SET_DEFAULT):
            default = guc.DEFAULT_SETTINGS.get(name)
            if default is None:
                if name not in self.settings:
                    raise UndefinedObject(f'unrecognized configuration parameter "{name}"')
                default = ""
            changed = self.set_setting(name, default, node.is_local)
            return Result("RESET" if node.kind == K.VAR_RESET else "SET", changed_settings=changed)
        if node.kind == K.VAR_SET_CURRENT:
            return Result("SET")
        changed = self.set_setting(name, set_value(node), bool(node.is_local))
        return Result("SET", changed_settings=changed)

    def _show(self, node: ast.VariableShowStmt) -> Result:
        name = node.name.lower()
        columns = Statement("", node, "show").columns
        if name == "all":
            rows = [(k, v, "") for k, v in sorted(self.settings.items())]
            return Result("SHOW", columns, rows)
        if name == "transaction isolation level":
            name = "transaction_isolation"
        if name not in self.settings:
            if "." in name:
                return Result("SHOW", columns, [("",)])  # a placeholder setting, never set
            raise UndefinedObject(f'unrecognized configuration parameter "{node.name}"')
        value = self.settings[name]
        if name in guc.TIME_SETTINGS:
            value = guc.show_milliseconds(int(value))
        return Result("SHOW", columns, [(value,)])

    # -- DDL, COPY, utility ----------------------------------------------------------------

    def _ddl(self, stmt: Statement) -> Result:
        self.check_writable(_command_name(stmt.node))
        # Names resolve when the statement runs (a prepared DDL statement may run again,
        # under another search path): qualify a copy.
        stmt = replace(stmt, node=copy.deepcopy(stmt.node))
        self.qualify(stmt.node)
        if self.temp.targets(stmt.node):
            return self._temp_ddl(stmt)
        autocommit = not (self.explicit or self.implicit)
        self._sqlite_begin(True)
        notices: list[Notice] = []
        catalog = Catalog.load(self.conn, self.catalog.generation)
        self.ctx.catalog = catalog
        # DDL is logged statement by statement (its effects replay by re-running it).
        conn: Any = self.conn if self.capture is None else changes.RecordingConnection(
            self.conn, self.capture)
        ddl = DDL(conn, catalog, self._system, notices)
        ddl.path = self.search_path
        ddl.grants = self.grants()
        ddl.owner = ddl.grants.role_oid or cat.BOOTSTRAP_OID
        try:
            tag = self._run_ddl(ddl, conn, stmt)
        except BaseException:
            if autocommit:
                self._sqlite_end(False)
            else:
                self.private_catalog = Catalog.load(self.conn, -3)
            raise
        if self.capture is not None:
            self.capture.resume()
        self.private_catalog = Catalog.load(self.conn, -3)
        self.ctx.catalog = self.private_catalog
        if autocommit:
            self._sqlite_end(True)
        return Result(tag, notices=notices)

    def _run_ddl(self, ddl: DDL, conn: Any, stmt: Statement) -> str:
        """Run one DDL statement; returns its command tag. One dispatch for permanent objects
        (``ddl`` a ``DDL`` writing through ``conn``) and for this session's temporary tables
        (a ``TempDDL``: tables and their indexes only; see ``TempTables.targets``)."""
        node = stmt.node
        temp = isinstance(ddl, TempDDL)
        OBJ = enums.ObjectType
        if isinstance(node, ast.CreateSchemaStmt):
            return schema_ddl.create(ddl, node, self.ctx.user, self.ctx.database)
        if isinstance(node, ast.DropStmt) and node.removeType == OBJ.OBJECT_SCHEMA:
            return schema_ddl.drop(ddl, node)
        if isinstance(node, ast.RenameStmt) and node.renameType == OBJ.OBJECT_SCHEMA:
            return schema_ddl.rename(ddl, node, self.ctx.database)
        if isinstance(node, ast.AlterOwnerStmt):
            return schema_ddl.alter_owner(ddl, node, self.ctx.user, self.ctx.database)
        if isinstance(node, ast.AlterObjectSchemaStmt):
            return schema_ddl.set_schema(ddl, node)
        if isinstance(node, ast.CreateStmt):
            return ddl.create_table(node)
        if isinstance(node, ast.DropStmt):
            return ddl.drop(node)
        if isinstance(node, ast.IndexStmt):
            return ddl.create_index(node)
        if isinstance(node, ast.AlterTableStmt):
            if not temp and node.cmds and all(
                    c.subtype == enums.AlterTableType.AT_ChangeOwner for c in node.cmds):
                return self._change_owner(ddl, node)
            # (ALTER INDEX/VIEW... naming a temporary table is TempDDL's to judge)
            if temp or node.objtype == enums.ObjectType.OBJECT_TABLE:
                return ddl.alter_table(node)
            return self._unsupported("ALTER of this object")
        if isinstance(node, ast.TruncateStmt):
            return ddl.truncate(node)
        if isinstance(node, ast.RenameStmt):
            return ddl.rename(node)
        if isinstance(node, ast.CreateTableAsStmt):
            return self._create_table_as(ddl, node, "temp" if temp else "main")
        if temp:
            return self._unsupported(type(node).__name__ + " of a temporary table")
        if isinstance(node, ast.CreateSeqStmt):
            return ddl.create_sequence(node)
        if isinstance(node, ast.AlterSeqStmt):
            return ddl.alter_sequence(node)
        if isinstance(node, ast.ViewStmt):
            query_text = stmt.text[stmt.text.lower().find(" as ") + 4:].strip() if (
                " as " in stmt.text.lower()) else ""
            return ddl.create_view(node, query_text)
        actor = roles.acting(conn, self.ctx.user)
        if isinstance(node, ast.CreateRoleStmt):
            return roles.create(conn, node, actor)
        if isinstance(node, ast.AlterRoleStmt):
            return roles.alter(conn, node, actor)
        if isinstance(node, ast.DropRoleStmt):
            return roles.drop(conn, node, self.ctx.user, actor,
                              lambda oid: privileges.dependents(ddl.conn, ddl.catalog, oid,
                                                                self.search_path))
        if isinstance(node, ast.GrantRoleStmt):
            return roles.grant_role(conn, node, actor)
        if isinstance(node, ast.AlterRoleSetStmt):
            return self._alter_role_set(conn, node, actor)
        if isinstance(node, ast.ReassignOwnedStmt | ast.DropOwnedStmt):
            return self._owned(ddl, node, actor)
        if isinstance(node, ast.GrantStmt):
            return self._grant(ddl, node)
        return self._unsupported(type(node).__name__)

    def _alter_role_set(self, conn: Any, node: ast.AlterRoleSetStmt, actor: roles.Role) -> str:
        """ALTER ROLE name SET/RESET: the value is checked now, applied at the role's next
        login (see ``_apply_role_settings``)."""
        K = enums.VariableSetKind
        setstmt = node.setstmt
        assert setstmt is not None
        name = (setstmt.name or "").lower()
        if name in ("role", "session_authorization") or setstmt.kind not in (
                K.VAR_SET_VALUE, K.VAR_RESET, K.VAR_RESET_ALL, K.VAR_SET_DEFAULT):
            return self._unsupported(f"ALTER ROLE ... SET {name}")
        value = None
        if setstmt.kind == K.VAR_SET_VALUE:
            value = set_value(setstmt)
            guc.check_value(name, value, guc.DEFAULT_SETTINGS)  # (kept as written, as in PG)
        elif name and name not in guc.DEFAULT_SETTINGS and "." not in name:
            raise UndefinedObject(f'unrecognized configuration parameter "{name}"')
        # pg_db_role_setting names a setting as PostgreSQL spells it (TimeZone, DateStyle)
        return roles.set_config(conn, node, actor, guc.REPORTED.get(name, name), value)

    def _apply_role_settings(self) -> None:
        """The login role's ALTER ROLE ... SET values, as PostgreSQL applies them at
        connection start (one no longer valid is skipped)."""
        for name, value in roles.settings_of(self.conn, self.login_user):
            with contextlib.suppress(PgError):
                self.set_setting(name, value)

    def _owned(self, ddl: DDL, node: ast.ReassignOwnedStmt | ast.DropOwnedStmt,
               actor: roles.Role) -> str:
        """REASSIGN OWNED BY old TO new (every relation of ``old`` now ``new``'s) and DROP
        OWNED BY role (its relations dropped, its privileges revoked): what PostgreSQL runs
        before DROP ROLE. The acting role must be a member of each role named."""
        specs = list(node.roles or ())
        if isinstance(node, ast.ReassignOwnedStmt):
            specs.append(node.newrole)
        oids = privileges.grantee_oids(ddl.conn, specs, self.ctx.user)
        mine = roles.member_of(ddl.conn, actor.oid)
        verb = "reassign" if isinstance(node, ast.ReassignOwnedStmt) else "drop"
        if not actor.superuser and any(oid not in mine for oid in oids):
            raise InsufficientPrivilege(f"permission denied to {verb} objects")
        if isinstance(node, ast.ReassignOwnedStmt):
            new = oids[-1]
            new_name = next(r.name for r in roles.every(ddl.conn) if r.oid == new)
            for oid in oids[:-1]:
                for rel in privileges.owned_by(ddl.catalog, oid):
                    privileges.change_owner(rel, new)
                    ddl.save(rel)
                for schema in list(ddl.catalog.schemas.values()):
                    if schema.owner_oid == oid:
                        privileges.change_schema_owner(ddl.conn, schema, new_name, new)
            return "REASSIGN OWNED"
        cascade = node.behavior == enums.DropBehavior.DROP_CASCADE
        # One deletion of everything the roles own, as PostgreSQL's shdepDropOwned (what
        # depends on it and is not theirs refuses the DROP, or goes too with CASCADE).
        owned = {rel.oid: rel for oid in oids for rel in privileges.owned_by(ddl.catalog, oid)}
        ddl.drop_relations([owned[k] for k in sorted(owned)], cascade)
        for oid in oids:
            for rel in list(ddl.catalog.by_oid.values()):
                if ddl.catalog.by_name.get(rel.name) is rel and privileges.forget_grantee(rel, oid):
                    ddl.save(rel)
            owned_schemas = [ast.String(sval=s.name) for s in ddl.catalog.schemas.values()
                             if s.owner_oid == oid]
            if owned_schemas:  # (with what is left in them: CASCADE, else refused)
                schema_ddl.drop(ddl, ast.DropStmt(objects=tuple(owned_schemas),
                                                  removeType=enums.ObjectType.OBJECT_SCHEMA,
                                                  behavior=node.behavior))
            privileges.forget_schema_grantee(ddl.conn, namespaces.load(ddl.conn), oid)
        return "DROP OWNED"

    def _change_owner(self, ddl: DDL, node: ast.AlterTableStmt) -> str:
        """ALTER TABLE/VIEW/SEQUENCE ... OWNER TO: a superuser, or the owner when it is a
        member of the new owner and that role may create in schema public (ATExecChangeOwner).
        A table's own sequences follow it."""
        kinds = {enums.ObjectType.OBJECT_TABLE: ("r", "TABLE"),
                 enums.ObjectType.OBJECT_VIEW: ("v", "VIEW"),
                 enums.ObjectType.OBJECT_SEQUENCE: ("S", "SEQUENCE")}
        kind, word = kinds.get(node.objtype, ("", "")) if node.objtype else ("", "")
        if not kind or node.relation is None or not node.cmds:
            return self._unsupported("ALTER ... OWNER TO of this object")
        name = node.relation.relname or ""
        rel = ddl.catalog.by_name.get(name)
        if rel is None or rel.oid >= cat.FIRST_TEMP_OID:
            if node.missing_ok:
                return f"ALTER {word}"
            raise UndefinedTable(f'relation "{name}" does not exist')
        if rel.kind != kind and not (kind == "r" and rel.kind in "vS"):
            raise WrongObjectType(f'"{name}" is not a {word.lower()}')
        new = privileges.grantee_oids(ddl.conn, [node.cmds[-1].newowner], self.ctx.user)[0]
        grants = ddl.grants or self.grants()
        if isinstance(rel, cat.Sequence) and rel.owned_by is not None:
            raise FeatureNotSupported(f'cannot change owner of sequence "{name}"',
                                      detail=f'Sequence "{name}" is linked to table '
                                      f'"{rel.owned_by[0]}".')
        if new != rel.owner and not grants.superuser:
            ddl.require_owner(rel)
            target = next(r for r in roles.every(ddl.conn) if r.oid == new)
            if new not in roles.member_of(ddl.conn, grants.role_oid):
                raise InsufficientPrivilege(f'must be member of role "{target.name}"')
            schema = ddl.catalog.split(rel.name)[0]
            if "C" not in privileges.grants_of(ddl.conn, target).on_schema(schema):
                raise privileges.schema_denied(schema)
        followers = [s for s in ddl.catalog.by_oid.values() if isinstance(s, cat.Sequence)
                     and s.owned_by is not None and s.owned_by[0] == rel.name]
        for each in [rel, *followers]:
            privileges.change_owner(each, new)
            ddl.save(each)
        return f"ALTER {word}"

    def _grant(self, ddl: DDL, node: ast.GrantStmt) -> str:
        """GRANT/REVOKE on tables, views and sequences, and on schema public."""
        kinds = enums.ObjectType
        tag = "GRANT" if node.is_grant else "REVOKE"
        if node.targtype == enums.GrantTargetType.ACL_TARGET_DEFAULTS:
            return self._unsupported("ALTER DEFAULT PRIVILEGES")
        if node.objtype in (kinds.OBJECT_TABLE, kinds.OBJECT_SEQUENCE):
            for rel in privileges.grant_relations(ddl.conn, ddl.catalog, node, ddl.grants
                                                  or self.grants(), self.ctx.user, ddl.notices):
                ddl.save(rel)
            return tag
        if node.objtype == kinds.OBJECT_SCHEMA:
            privileges.grant_schema(ddl.conn, ddl.catalog.schemas, node,
                                    ddl.grants or self.grants(), self.ctx.user, ddl.notices)
            return tag
        kind = getattr(node.objtype, "name", "").removeprefix("OBJECT_").lower()
        return self._unsupported(f"{tag} on {kind}")

    def _create_table_as(self, ddl: DDL, node: ast.CreateTableAsStmt, schema: str) -> str:
        """CREATE TABLE ... AS / SELECT INTO: the table from the query's columns, then its
        rows, inserted as an INSERT would be (so they are captured as rows, never by re-running
        the query on a standby: now() or random() would give other values there)."""
        tr = translate(self.catalog, self._system, node.query, (), self.settings["timezone"],
                       self.search_path)
        if tr.steps:
            raise FeatureNotSupported("CREATE TABLE AS with data-modifying statements in WITH is "
                                      "not supported")
        assert tr.columns is not None
        self.check_privileges(tr.privileges)
        self._prepare_system_relations(tr)
        table = ddl.create_table_as(node, tr.columns)
        if self.capture is not None:
            self.capture.resume()  # (the CREATE was logged as a statement: its rows are not)
        if table is None or node.into.skipData:
            return "CREATE TABLE AS"
        cols = ", ".join(q(c.name) for c in table.columns)
        self.conn.execute(f"INSERT INTO {schema}.{q(table.name)} ({cols}) SELECT * FROM "
                          f"({tr.sql})")
        return f"SELECT {self.conn.changes()}"

    def _temp_ddl(self, stmt: Statement) -> Result:
        """DDL on temporary tables: in SQLite's ``temp`` schema, never logged (see
        ``temp_tables``)."""
        autocommit = not (self.explicit or self.implicit)
        self._sqlite_begin(False)
        self.temp.begin_change(in_transaction=True)
        notices: list[Notice] = []
        base = self.private_catalog or self.engine.catalog
        ddl = TempDDL(self.conn, self.temp, base, self._system, notices)
        try:
            tag = self._run_ddl(ddl, self.conn, stmt)
        except BaseException:
            if autocommit:
                self._sqlite_end(False)
            raise
        if autocommit:
            self._sqlite_end(True)
        return Result(tag, notices=notices)

    @staticmethod
    def _unsupported(what: str) -> str:
        raise FeatureNotSupported(f"{what} is not supported")

    def _copy(self, stmt: Statement) -> Result:
        node: ast.CopyStmt = stmt.node
        self.qualify(node)
        opts = copy_options(node.options or ())
        if node.filename is not None:
            raise InsufficientPrivilege(
                "COPY to or from a file is not supported; use COPY ... STDIN "
                "or STDOUT (psql's \\copy)")
        if node.is_from:
            if node.query is not None or node.relation is None:
                raise SqlSyntaxError("COPY FROM needs a table")
            table = self.catalog.table(node.relation.relname)
            if table is None:
                raise UndefinedTable(f'relation "{node.relation.relname}" does not exist')
            cols = [c.sval for c in node.attlist or ()] or [c.name for c in table.columns]
            for c in cols:
                if table.column(c) is None:
                    raise UndefinedColumn(f'column "{c}" of relation "{table.name}" does not '
                                          "exist")
            self.check_privileges(((table.oid, "a"),))
            self.check_writable("COPY FROM")
            copy_in = CopyIn(self, table, cols, opts)
            return Result("COPY", copy_in=copy_in, copy_format=1 if opts.binary else 0,
                          copy_columns=len(cols))
        return self._copy_out(node, opts)

    def _copy_out(self, node: ast.CopyStmt, opts: CopyOptions) -> Result:
        if node.query is not None:
            select = node.query
        else:
            rv = node.relation
            table = self.catalog.table(rv.relname)
            if table is None:
                raise UndefinedTable(f'relation "{rv.relname}" does not exist')
            cols = [c.sval for c in node.attlist or ()] or [c.name for c in table.columns]
            select = parse_sql(f"SELECT {', '.join(q(c) for c in cols)} FROM {q(table.name)}"
                               )[0].stmt
        tr = translate(self.catalog, self._system, select, (), self.settings["timezone"],
                       self.search_path)
        if tr.steps:
            raise FeatureNotSupported("COPY of data-modifying statements in WITH is not supported")
        self.check_privileges(tr.privileges)
        self._prepare_system_relations(tr)
        assert tr.columns is not None
        rows = list(self.conn.execute(tr.sql))
        data = format_copy_rows(rows, tr.columns, opts, self.settings["timezone"])
        return Result(f"COPY {len(rows)}", copy_out=data, copy_format=0,
                      copy_columns=len(tr.columns))

    def insert_rows(self, table: Table, cols: list[str], rows: Iterable[list[Any]],
                    on_error: Callable[[int, PgError], None] | None = None) -> int:
        """Insert already-converted storage values (COPY FROM). A constraint violation is
        explained (failing_row) and handed to ``on_error`` with the failing row's index."""
        extra = [c for c in table.columns if c.name not in cols and c.default is not None]
        from pgha.storage.translate import translate_expression

        extra_sql = [translate_expression(self.catalog, self._system, c.default or "NULL",
                                          self.settings["timezone"], (c.type_oid, c.typmod))
                     for c in extra]
        names = ", ".join(q(c) for c in cols + [c.name for c in extra])
        marks = ", ".join(["?"] * len(cols) + extra_sql)
        sql = f"INSERT INTO {q(table.name)} ({names}) VALUES ({marks})"
        autocommit = not (self.explicit or self.implicit)
        self._sqlite_begin(True)
        count = 0
        last: list[Any] = []
        try:
            cursor = self.conn.cursor()

            def counted() -> Iterator[list[Any]]:
                nonlocal count, last
                for row in rows:
                    count += 1
                    last = row
                    yield row

            cursor.executemany(sql, counted())
            if self.catalog.deferrable_uniques:
                self._check_uniques(at_commit=False)
        except apsw.Error as exc:
            error = map_error(exc, self.catalog, self.ctx.cancel_reason)
            if isinstance(exc, apsw.ConstraintError) and count:
                # each row is its own execution of ``sql``: the last one given failed
                with self._sequences_kept():
                    error = failing_row.explain(self.conn, self.capture, self.catalog, table,
                                                sql, last, error, self.settings["timezone"])
                if on_error is not None:
                    on_error(count - 1, error)
            if autocommit:
                self._sqlite_end(False)
            raise error from exc
        except BaseException:
            if autocommit:
                self._sqlite_end(False)
            raise
        if autocommit:
            self._sqlite_end(True)
        return count

    def _utility(self, stmt: Statement) -> Result:
        node = stmt.node
        if isinstance(node, ast.VacuumStmt):
            for rel in node.rels or ():
                name = rel.relation.relname
                if self.catalog.table(name) is None:
                    raise UndefinedTable(f'relation "{name}" does not exist')
            if node.is_vacuumcmd and (self.explicit or self.implicit):
                raise ActiveSqlTransaction("VACUUM cannot run inside a transaction block")
            return Result("VACUUM" if node.is_vacuumcmd else "ANALYZE")
        if isinstance(node, ast.DiscardStmt):
            target = node.target.name.removeprefix("DISCARD_")
            if target == "ALL":
                if self.explicit:
                    raise ActiveSqlTransaction("DISCARD ALL cannot run inside a transaction block")
                changed = self._reset_all()
                # (and SET SESSION AUTHORIZATION DEFAULT, which resets the role too)
                if self.settings["session_authorization"] != self.login_user:
                    self.settings["session_authorization"] = self.login_user
                    changed["session_authorization"] = self.login_user
                self.settings["role"] = "none"
                changed.update(self._apply_role())
            if target in ("ALL", "SEQUENCES"):
                self.ctx.last_sequence_values.clear()
                self.ctx.last_sequence = None
            if target in ("ALL", "TEMP") and self.temp:
                self.temp.begin_change(self.sqlite_txn)
                self.temp.drop_all(self.conn)
            if target == "ALL":
                self.ctx.advisory_locks.unlock_all(id(self.ctx))
                return Result("DISCARD ALL", changed_settings=changed)
            return Result(f"DISCARD {target}")
        if isinstance(node, ast.ClosePortalStmt):
            return Result("CLOSE CURSOR")
        if isinstance(node, ast.NotifyStmt):
            self.notify(node.conditionname, node.payload)
            return Result("NOTIFY")
        if isinstance(node, ast.ListenStmt | ast.UnlistenStmt):
            # The server session's (the node keeps the listeners); here only without one.
            raise FeatureNotSupported("LISTEN is not supported here")
        if isinstance(node, ast.CheckPointStmt):
            self.conn.wal_checkpoint(mode=apsw.SQLITE_CHECKPOINT_PASSIVE)
            return Result("CHECKPOINT")
        if isinstance(node, ast.CreateExtensionStmt):
            if node.extname == "plpgsql":  # installed, as after initdb (pg_dump writes this)
                if not node.if_not_exists:
                    raise DuplicateObject('extension "plpgsql" already exists')
                return Result("CREATE EXTENSION", notices=[Notice(
                    "42710", 'extension "plpgsql" already exists, skipping')])
            raise FeatureNotSupported(f'extension "{node.extname}" is not available')
        if isinstance(node, ast.CommentStmt):
            return Result("COMMENT")
        if isinstance(node, ast.ExplainStmt):
            return self._explain(node)
        if isinstance(node, ast.ConstraintsSetStmt):
            return self._set_constraints(node)
        if isinstance(node, ast.LockStmt):
            return self._lock_tables(node)
        raise FeatureNotSupported(f"{command_name(node)} is not supported")


def set_value(node: ast.VariableSetStmt) -> str:
    """The value text of SET name = value (a list is joined with ", ")."""
    values = []
    for arg in node.args or ():
        if isinstance(arg, ast.A_Const):
            v = arg.val
            values.append(str(getattr(v, "sval", None) or getattr(v, "ival", None)
                              if not isinstance(v, ast.Float) else v.fval)
                          if not isinstance(v, ast.Integer) else str(v.ival))
        elif isinstance(arg, ast.TypeCast) and isinstance(arg.arg, ast.A_Const):
            values.append(str(arg.arg.val.sval))
        else:
            raise FeatureNotSupported("this SET value is not supported")
    name = (node.name or "").lower()
    if name == "search_path":  # a list of identifiers, kept quoted where needed
        values = [namespaces.quote(v) for v in values]
    if name == "timezone" and not values:
        return "UTC"
    return ", ".join(values)


def _explain_option(option: Any) -> str:
    """An EXPLAIN option's value as text ('true' when given bare: EXPLAIN (ANALYZE) ...)."""
    arg = getattr(option, "arg", None)
    value = getattr(arg, "sval", None) or getattr(arg, "boolval", None)
    if value is None and arg is not None:
        value = getattr(arg, "ival", None)
    return "true" if arg is None else str(value).lower()


INLINE_BUDGET_STEPS = 20_000  # SQLite VM instructions a read may use on the event loop
INLINE_MAX_BYTES = 64 * 1024  # ... and the most text and values it may carry there


_SIZED = (str, bytes, bytearray, memoryview)


def _size(text: str, *values: list[Any] | None) -> int:
    """The characters and bytes of a statement's text and values (what copying them costs)."""
    size = len(text)
    for group in values:
        for value in group or ():
            if isinstance(value, _SIZED):
                size += len(value)
    return size


def _fetch(cursor: apsw.Cursor, tr: Translation, params: list[Any]) -> list[Any]:
    """The rows of ``tr`` run with ``params`` (only the first ``bind_count``: the rewrite may
    have dropped the last ones)."""
    if not params:
        return list(cursor.execute(tr.sql))
    if len(params) > tr.bind_count:
        params = params[:tr.bind_count]
    return list(cursor.execute(tr.sql, params))


def fits_inline(text: str, *values: list[Any] | None) -> bool:
    """Whether a statement's text and values are small enough to run on the event loop."""
    return _size(text, *values) <= INLINE_MAX_BYTES


def encode_params(stmt: Statement, values: list[bytes | None], formats: list[int],
                  tz: str) -> list[Any]:
    """Decode Bind parameter values (text or binary) to storage values by their types."""
    tr = stmt.translation
    oids = tr.param_oids if tr is not None else stmt.param_oids
    if len(values) != len(oids) and tr is not None:
        raise ProtocolViolation(f"bind message supplies {len(values)} parameters, but prepared "
                                f'statement "" requires {len(oids)}', severity="ERROR")
    out: list[Any] = []
    for i, raw in enumerate(values):
        if raw is None:
            out.append(None)
            continue
        oid = oids[i] if i < len(oids) else T.TEXT
        fmt = formats[i] if len(formats) > 1 else (formats[0] if formats else 0)
        pgtype = pgtypes.TYPES_BY_OID.get(oid) or pgtypes.TYPES_BY_OID[T.TEXT]
        if fmt == 1:
            out.append(pgtypes.decode_binary(pgtype, bytes(raw)))
        else:
            text = bytes(raw).decode("utf-8")
            if oid in (T.REGCLASS,):
                out.append(text)
            elif oid in (T.REGPROC, T.REGPROCEDURE):
                out.append(functions.cast_value(text, T.TEXT, oid, -1))
            else:
                out.append(pgtypes.parse_text(pgtype, text, -1, tz))
    return out
