"""The node's fast path: short reads and point writes answered in the callback that received
them.

A session waiting for its client (parked in ``next_event`` with nothing buffered) gets the
client's bytes first through ``take`` (a ``streams.Sink``). The common messages are answered
there, as the proxy forwards them (``proxy.session.ProxySession.take``): a simple Query whose
statement is cached, a Parse of a read parsed before, and Bind / Describe (portal) / Execute /
Sync of a prepared read, of BEGIN or of a point write on the unnamed portal. A read is executed
inline under the engine's step budget (``StorageSession.execute_inline``), a point write with
``execute_no_wait`` (its shape bounds it; it never waits for the write lock), and results are
encoded with the row format the session keeps per statement (``ClientSession.row_format``);
the replies of everything handled in one read go out in one write. No message object is built
and no task woken. A read that ran here once keeps a plan in its session (``ReadPlan``): while
the catalog snapshot, role, search_path and output settings it was checked under are the same,
it runs again with no check but its size and routing (``StorageSession.run_read``).

The first message that needs more (a statement not cached or not translated for the current
schema, a read that runs out of its budget, fails, or must go to the primary or wait for
freshness, a write that would wait for the write lock, anything in a transaction that failed,
COPY, a named portal, ...) stops it: that message and everything after it go the general way
(``ClientSession.serve``), which answers them exactly as before. A read stopped here left no
trace, so the general way runs it again from the start; a write or BEGIN, once run, is
answered here whatever its result (an error starts the skip to Sync). A Sync that would have
to commit, roll back or wait for standbys is left to the general way too, after the messages
before it were answered here.
"""

from __future__ import annotations

import logging
import struct
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pgha.routing.classify import LARGE_TEXT, classify
from pgha.routing.router import A_STANDBY, Target, route
from pgha.storage.engine import ENDS_BLOCK, Result, Statement, encode_params, fits_inline
from pgha.storage.locks import WriterBusy
from pgha.storage.translate import Translation
from pgha.wire import codec
from pgha.wire.connection import ConnectionState
from pgha.wire.errors import InternalError, PgError

log = logging.getLogger("pgha.session")

if TYPE_CHECKING:
    from pgha.server.session import ClientSession

_QUERY, _PARSE, _BIND, _DESCRIBE, _EXECUTE, _SYNC = (b"Q"[0], b"P"[0], b"B"[0], b"D"[0], b"E"[0],
                                                    b"S"[0])
_TEXT_FORMATS: tuple[int, ...] = ()
_U16 = struct.Struct("!H")
_I32 = struct.Struct("!i")


def take(session: ClientSession, data: bytes) -> int:
    """The client's bytes as they arrive while ``session`` waits for them; returns how many
    were handled (the rest go the general way)."""
    storage = session.storage
    if not session.parked or storage is None or session.in_extended_batch or \
            session.copy_in is not None or session.pending is not None or \
            storage.status == "E" or session.conn.state is not ConnectionState.READY:
        return 0
    forwarder = session.forwarder
    if forwarder is not None and forwarder.active:
        return 0
    done = 0
    extended = False  # what was handled ends inside an extended batch (before its Sync)
    failed = False  # a write failed: its error was sent and the wire skips to Sync
    while True:
        frame = _frame(data, done)
        if frame is None:
            break
        kind, body, after = frame
        mark = len(session.out)
        try:
            if kind == _QUERY and not extended:
                answered = (after, True) if _query(session, data, body, after - 1) else None
            elif kind == _PARSE:
                answered = (after, False) if _parse(session, data, body, after) else None
            elif kind == _BIND:
                answered = _bound(session, data, body, after)
            else:
                answered = None
        except (PgError, ValueError, UnicodeDecodeError, IndexError, struct.error):
            answered = None  # the general way answers it (a read stopped here left no trace)
        except Exception:
            # A fault of the fast path itself must not end the connection: the general way
            # answers the message (and reports any error of its own).
            log.exception("fast path failed; the message goes the general way")
            answered = None
        if answered is None:
            del session.out[mark:]
            break
        done, synced = answered
        extended = not synced
        if synced is None:
            failed = extended = True
            break
        if extended and kind != _PARSE:
            break  # an Execute whose Sync is left to the general way
    if done:
        if not failed:
            session.conn.forwarded(extended=extended)
        session.in_extended_batch = extended
        if not extended or failed:
            session.write_now()  # (an error at once: a client may wait for it before Sync)
        # else the replies wait for the Sync the general way answers (an autocommit write's
        # commit): one write for the whole batch, and PostgreSQL too sends nothing of a batch
        # before its Sync (or a Flush) unless its buffer fills.
    return done


def _frame(data: bytes, pos: int) -> tuple[int, int, int] | None:
    """The message at ``pos``: its type, where its body starts and where it ends; None if
    it has not arrived whole."""
    if len(data) - pos < 5:
        return None
    length = int.from_bytes(data[pos + 1:pos + 5], "big")
    if length < 4 or pos + 1 + length > len(data):
        return None
    return data[pos], pos + 5, pos + 1 + length


def _bound(session: ClientSession, data: bytes, body: int, after: int
           ) -> tuple[int, bool | None] | None:
    """Bind [Describe portal] Execute [Sync] of a read, a point write or BEGIN, the Bind's
    body at data[body:after]: answered, with where the answered messages end and whether that
    includes the Sync (None: the write failed, its error was sent and the wire now skips to
    Sync); None leaves them all to the general way."""
    bound = _bind(session, data, body, after)
    if bound is None:
        return None
    name, stmt, params, formats, kind = bound
    changes = kind is True
    plan = kind if isinstance(kind, ReadPlan) else None
    frame = _frame(data, after)
    describe = False
    if frame is not None and frame[0] == _DESCRIBE:
        if data[frame[1]:frame[2]] != b"P\0":
            return None
        describe = True
        frame = _frame(data, frame[2])
    if frame is None or frame[0] != _EXECUTE or data[frame[1]:frame[2]] != b"\0\0\0\0\0":
        return None  # a named portal or a row limit: the general way
    storage = session.storage
    assert storage is not None
    if changes and stmt.kind == "txn" and storage.sqlite_txn:
        # A commit: its CommandComplete may leave only after its flush, which the general way
        # waits for at Sync. Here only with that Sync already received (not with a Flush).
        sync = _frame(data, frame[2])
        if sync is None or sync[0] != _SYNC:
            return None
    if changes:
        # Once run it leaves a trace: from here it is answered here, error or not, in the
        # order the general way answers (BindComplete, the portal's description, then the
        # statement's result or error).
        error: PgError | None = None
        storage.begin_implicit()
        try:
            result = storage.execute_no_wait(stmt, params)
        except WriterBusy:
            return None  # nothing was done: the general way waits for the write lock
        except Exception as exc:
            if isinstance(exc, PgError):
                error = exc
            else:
                log.exception("internal error in a write on the fast path")
                error = InternalError(f"internal error: {type(exc).__name__}: {exc}")
        session.conn.forwarded(extended=True)
        session.statements.planned(name)
        session.send_raw(codec.BIND_COMPLETE)
        if describe:
            columns = stmt.columns
            session.send_raw(codec.NO_DATA if columns is None else
                             session.row_format(columns, formats)[0])
        if error is not None:
            if error.severity == "FATAL":
                session.terminate(error)
            else:
                storage.abort()  # in a block: it has failed; the Sync reports it
                session.error(error)  # the wire now skips to Sync
            return frame[2], None
        session.send_result(result, formats, stmt, describe=False)
    elif plan is not None:
        rows = storage.run_read(plan.translation, params)
        if rows is None:
            return None
        storage.begin_implicit()  # the pipeline's block, which its Sync ends
        session.statements.planned(name)
        session.send_raw(codec.BIND_COMPLETE)
        _send_rows(session, plan, rows, describe)
    else:
        read = _read(session, stmt, params)
        if read is None:
            return None
        storage.begin_implicit()
        session.statements.planned(name)
        session.send_raw(codec.BIND_COMPLETE)
        session.send_result(read, formats, stmt, describe=describe)
        _learn(session, stmt, formats)
    done = frame[2]
    frame = _frame(data, done)
    if frame is None or frame[0] != _SYNC or not _sync(session):
        return done, False
    session.ready_for_query()
    return frame[2], True


def _read(session: ClientSession, stmt: Statement, params: list[Any] | None) -> Result | None:
    """The read's result, when it is plain rows the fast path can send; None when it ran out
    of its budget (leaving no trace) or carries what only the general way sends."""
    assert session.storage is not None
    result = session.storage.execute_inline(stmt, params)
    if result is None or result.notices or result.changed_settings or \
            result.copy_out is not None or result.copy_in is not None:
        return None
    return result


class ReadPlan:
    """A read's RowDescription, value encoders and checks, kept per session after it ran
    here once (``_learn``): while the session's ``read_key`` (catalog snapshot, role,
    search_path, output settings) and the result formats are the same, the translation's
    checks (schema, privileges, path) still hold and its rows are sent with the same
    encoders, so it runs with ``StorageSession.run_read`` alone."""

    __slots__ = ("description", "encoders", "formats", "key", "translation")

    def __init__(self, translation: Translation, key: tuple[Any, ...], formats: tuple[int, ...],
                 description: bytes, encoders: list[Callable[[Any], bytes]]) -> None:
        self.translation = translation
        self.key = key
        self.formats = formats
        self.description = description
        self.encoders = encoders


READ_PLANS = 64  # the reads whose plan a session keeps


def _plan(session: ClientSession, stmt: Statement, formats: tuple[int, ...]) -> ReadPlan | None:
    """The plan of ``stmt`` when it still holds; None otherwise."""
    tr = stmt.translation
    if tr is None or stmt.kind != "dml":
        return None
    plan = session.read_plans.get(id(tr))
    if plan is None or plan.translation is not tr or plan.formats != formats:
        return None
    storage = session.storage
    assert storage is not None
    key = storage.read_key()
    if key is None or key[0] is not plan.key[0] or key[1:] != plan.key[1:]:
        return None
    return plan


def _learn(session: ClientSession, stmt: Statement, formats: tuple[int, ...]) -> None:
    """After ``stmt`` ran here as a plain read under the session's current key: its plan."""
    tr = stmt.translation
    storage = session.storage
    assert tr is not None and storage is not None
    if tr.columns is None or tr.system_relations or tr.steps or tr.is_write:
        return
    key = storage.read_key()
    if key is None:
        return
    description, encoders = session.row_format(tr.columns, formats)
    plans = session.read_plans
    if len(plans) >= READ_PLANS:
        plans.clear()
    plans[id(tr)] = ReadPlan(tr, key, formats, description, encoders)


def _send_rows(session: ClientSession, plan: ReadPlan, rows: list[Any], describe: bool) -> None:
    """A planned read's result: [RowDescription,] its rows and CommandComplete."""
    if describe:
        session.send_raw(plan.description)
    codec.append_data_rows(session.out, rows, plan.encoders)
    session.send_raw(codec.encode_command_complete(f"{plan.translation.command} {len(rows)}"))


def _planned_runs_inline(session: ClientSession, stmt: Statement, params: list[Any] | None
                         ) -> bool:
    """``_runs_inline`` of a read whose plan holds (``_plan``): what the plan does not cover
    (the size of its values, where the session's reads go)."""
    return fits_inline(stmt.text, stmt.bound, params) and _local(session, stmt.text)


def _must_commit(session: ClientSession) -> bool:
    """Would ending the block now commit, roll back or wait for standbys (the general way)?"""
    storage = session.storage
    assert storage is not None
    return storage.ends_in_sqlite or storage.commit_lsn is not None


def _local(session: ClientSession, sql: str) -> bool:
    """``to_primary`` for the fast path: True when ``sql`` runs on this node now (no wait,
    no notice, nothing pinned)."""
    forwarder = session.forwarder
    node = session.node
    if forwarder is None or node.ha.role != "standby" or node.config.standby_writes == "reject":
        return True
    storage = session.storage
    assert storage is not None
    state = session.routing
    if state.explain:
        return False
    state.busy_on = Target.STANDBY if storage.explicit or storage.sqlite_txn else None
    decided = route(classify(sql), state, A_STANDBY)
    if decided.pins or decided.target is Target.PRIMARY:
        return False
    if decided.target is Target.STANDBY and decided.wait_lsn and \
            decided.wait_lsn > node.ha.applied_lsn():
        return False
    if decided.target is not Target.CURRENT:
        node.counts.routed(False)
    return True


def _runs_inline(session: ClientSession, stmt: Statement, params: list[Any] | None) -> bool:
    storage = session.storage
    assert storage is not None
    return stmt.kind == "dml" and stmt.translation is not None and \
        not stmt.translation.is_write and storage.can_run_inline(stmt, params) and \
        _local(session, stmt.text)


def _changes_inline(session: ClientSession, stmt: Statement, params: list[Any] | None
                    ) -> bool:
    """BEGIN, COMMIT / ROLLBACK with nothing to end in SQLite or of a small transaction
    (``can_commit_inline``, as the general way runs them), or a point write of a block that
    holds the write lock (``can_write_inline``): it runs here, and once run it is answered
    here whatever its result (the general way could not run it again)."""
    storage = session.storage
    assert storage is not None
    if stmt.kind == "txn":
        ok = storage.can_run_inline(stmt) or (stmt.node.kind in ENDS_BLOCK and
                                             storage.can_commit_inline())
    else:
        ok = stmt.kind == "dml" and storage.can_write_inline(stmt, params)
    return ok and _local(session, stmt.text)


def _query(session: ClientSession, data: bytes, start: int, end: int) -> bool:
    """A simple Query of one cached read: answered (RowDescription, rows, CommandComplete,
    ReadyForQuery) and True; False leaves it to the general way."""
    if data[end] != 0 or end - start > LARGE_TEXT:
        return False
    storage = session.storage
    assert storage is not None
    sql = data[start:end].decode()
    statements = storage.parse_simple(sql, parse_on_miss=False)
    if statements is None or len(statements) != 1:
        return False
    stmt = statements[0]
    plan = _plan(session, stmt, _TEXT_FORMATS)
    if plan is not None:
        if not _planned_runs_inline(session, stmt, None) or _must_commit(session):
            return False
        rows = storage.run_read(plan.translation, stmt.bound or [])
        if rows is None:
            return False
        storage.end_implicit()
        session.drop_unnamed()
        _send_rows(session, plan, rows, True)
    else:
        if not _runs_inline(session, stmt, None) or _must_commit(session):
            return False
        result = _read(session, stmt, None)
        if result is None:
            return False
        storage.end_implicit()
        session.drop_unnamed()
        session.send_result(result, _TEXT_FORMATS, stmt)
        _learn(session, stmt, _TEXT_FORMATS)
    session.ready_for_query()
    return True


def _parse(session: ClientSession, data: bytes, start: int, end: int) -> bool:
    """A Parse of a read whose text was parsed before under the current schema: the
    statement is prepared (ParseComplete) and True; False leaves it to the general way."""
    if end - start > LARGE_TEXT:
        return False
    name_end = data.index(0, start, end)
    name = data[start:name_end].decode()
    sql_end = data.index(0, name_end + 1, end)
    count = int.from_bytes(data[sql_end + 1:sql_end + 3], "big")
    if sql_end + 3 + 4 * count != end or (name and name in session.statements):
        return False
    oids = [int.from_bytes(data[i:i + 4], "big") for i in range(sql_end + 3, end, 4)]
    storage = session.storage
    assert storage is not None
    sql = data[name_end + 1:sql_end].decode()
    statements = storage.parse_cached(sql, oids)
    if statements is None or len(statements) != 1:
        return False
    stmt = statements[0]
    if not _runs_inline(session, stmt, None):
        return False
    session.statements.add(name, stmt, sql, from_sql=False)
    session.send_raw(codec.PARSE_COMPLETE)
    return True


def _bind(session: ClientSession, data: bytes, start: int, end: int
          ) -> tuple[str, Statement, list[Any], tuple[int, ...], bool | ReadPlan] | None:
    """A Bind of a prepared statement to the unnamed portal: its name, statement, parameters,
    result formats and whether it changes state (``_changes_inline``: not a read), or the
    plan of a read that has one (``_plan``); None leaves it to the general way."""
    if data[start] != 0:
        return None  # a named portal
    name_end = data.index(0, start + 1, end)
    name = data[start + 1:name_end].decode()
    stmt = session.statements.get(name)
    if stmt is None:
        return None
    pos = name_end + 1
    (count,) = _U16.unpack_from(data, pos)
    formats = list(struct.unpack_from(f"!{count}H", data, pos + 2)) if count else []
    pos += 2 + 2 * count
    (count,) = _U16.unpack_from(data, pos)
    pos += 2
    values: list[bytes | None] = []
    for _ in range(count):
        (size,) = _I32.unpack_from(data, pos)
        pos += 4
        if size < 0:
            values.append(None)
        else:
            values.append(data[pos:pos + size])
            pos += size
    (count,) = _U16.unpack_from(data, pos)
    result_formats = struct.unpack_from(f"!{count}H", data, pos + 2) if count else ()
    if pos + 2 + 2 * count != end:
        return None  # malformed: the general way says so
    storage = session.storage
    assert storage is not None
    if stmt.kind == "txn":
        if values or not _changes_inline(session, stmt, None):
            return None
        return name, stmt, [], result_formats, True
    if stmt.kind != "dml" or stmt.generation != storage.catalog.generation:
        return None
    params = encode_params(stmt, values, formats, storage.settings["timezone"])
    plan = _plan(session, stmt, result_formats)
    if plan is not None:
        if _planned_runs_inline(session, stmt, params):
            return name, stmt, params, result_formats, plan
        return None
    if _runs_inline(session, stmt, params):
        return name, stmt, params, result_formats, False
    if _changes_inline(session, stmt, params):
        return name, stmt, params, result_formats, True
    return None


def _sync(session: ClientSession) -> bool:
    """Sync after a read answered here: the implicit block ends and ReadyForQuery follows;
    False when the block must commit, roll back or wait for standbys (the general way)."""
    if _must_commit(session):
        return False
    storage = session.storage
    assert storage is not None
    storage.end_implicit()
    if storage.explicit:
        session.portals.pop("", None)
    elif session.portals:
        session.portals = {k: v for k, v in session.portals.items() if v.hold}
    return True
