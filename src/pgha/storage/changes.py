"""What one write transaction changed, as a WAL record body that reproduces it on any node.

A body is a sequence of steps, replayed in order:
- a *row* step (``R``): the row operations of the statements since the previous step, in the
  order SQLite made them, as SQLite's pre-update hook reports them: INSERT (rowid and values),
  UPDATE (rowid, new rowid, the changed columns and their values), DELETE (rowid). Rows are
  addressed by rowid, so every node keeps identical rowids; values are the ones the primary
  computed, so random(), now() and nextval() are evaluated once. Changes made by foreign-key
  actions (ON DELETE CASCADE...) are reported and replayed like any other, so replay runs
  with foreign-key enforcement off;
- a *statement* step (``S``): one SQL statement that pgha's DDL code ran (schema changes, the
  catalog rows describing them, table rebuilds), with its parameters. DDL is deterministic
  given the same database, so replaying the statements rebuilds the same schema;
- a *continuation* step (``C``, empty), last in a body: the transaction goes on in the next
  record. A large transaction is logged as records of about ``FRAGMENT_BYTES`` (row steps are
  packed every ``ROWS_PER_STEP`` rows), so no record, frame or buffer has to hold all of it;
  a replica applies them in one SQLite transaction and commits at the record without ``C``.

Why not SQLite's session extension: in its rowid mode (tables without a declared PRIMARY
KEY, which is every pgha table) it hashes a row one way when it records it and another way
when its hash table grows, so a transaction touching more than 127 rows of a table can record
one row twice (an UPDATE also as an INSERT); replaying such a changeset fails or diverges.

Invariants: steps keep the order in which the transaction made them; replaying an operation
must touch exactly one row, anything else means the node diverged (XX001);
``__pgha_wal_state`` (the applied LSN, written by the commit itself) is never captured; the
hook's operations after a savepoint are dropped when the transaction rolls back to it (SQLite
undoes them, the hook does not say so); an empty body means the transaction changed nothing.
"""

from __future__ import annotations

import itertools
import json
import marshal
import os
import struct
import tempfile
from collections.abc import Iterator
from typing import IO, Any

import apsw

from pgha.wire.errors import DataCorrupted, PgError

WAL_STATE_TABLE = "__pgha_wal_state"
_STEP = struct.Struct("!cI")
_ROWS, _STATEMENT, _CONTINUES = b"R", b"S", b"C"
ROWS_PER_STEP = 10_000  # row operations kept as tuples before they are packed into a step
FRAGMENT_BYTES = 8 << 20  # a transaction's record bodies stay near this size (one step more)
SPILL_BYTES = 32 << 20  # a transaction's packed steps past this go to a temporary file
_INSERT, _UPDATE, _DELETE = 0, 1, 2
_HOOK_ID = "pgha-capture"
# marshal's format 4 (Python 3.4 and later) for tuples of None/int/float/str/bytes.
_MARSHAL_VERSION = 4


class StepLog:
    """The steps of one transaction, in order: in memory, and past ``SPILL_BYTES`` in an
    anonymous temporary file, so that a transaction of any size costs bounded memory."""

    def __init__(self) -> None:
        self.kinds: list[bytes] = []  # every step's kind
        self.sizes: list[int] = []  # every step's data size
        self._memory: list[bytes] = []  # data of the steps after the spilled ones
        self._memory_bytes = 0
        self._spilled = 0  # how many steps (the first ones) are in the file
        self._file: IO[bytes] | None = None

    def __len__(self) -> int:
        return len(self.kinds)

    def append(self, kind: bytes, data: bytes) -> None:
        self.kinds.append(kind)
        self.sizes.append(len(data))
        self._memory.append(data)
        self._memory_bytes += len(data)
        if self._memory_bytes > SPILL_BYTES:
            if self._file is None:
                # Closed by close() (finish or discard): it outlives this call.
                self._file = tempfile.TemporaryFile(prefix="pgha-txn-")  # noqa: SIM115
            self._file.seek(0, os.SEEK_END)
            self._file.writelines(self._memory)
            self._spilled += len(self._memory)
            self._memory.clear()
            self._memory_bytes = 0

    def data(self, index: int) -> bytes:
        if index >= self._spilled:
            return self._memory[index - self._spilled]
        assert self._file is not None
        self._file.seek(sum(self.sizes[:index]))
        return self._file.read(self.sizes[index])

    def truncate(self, count: int) -> None:
        """Keep the first ``count`` steps."""
        if count < self._spilled:
            assert self._file is not None
            self._file.truncate(sum(self.sizes[:count]))
            self._memory.clear()
            self._spilled = count
        else:
            del self._memory[count - self._spilled:]
        self._memory_bytes = sum(len(d) for d in self._memory)
        del self.kinds[count:]
        del self.sizes[count:]

    def __iter__(self) -> Iterator[tuple[bytes, bytes]]:
        if self._file is not None:
            self._file.seek(0)
        for index, kind in enumerate(self.kinds):
            if index < self._spilled:
                assert self._file is not None
                yield kind, self._file.read(self.sizes[index])
            else:
                yield kind, self._memory[index - self._spilled]

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
        self.kinds.clear()
        self.sizes.clear()
        self._memory.clear()
        self._memory_bytes = self._spilled = 0


class Fragments:
    """A transaction's record bodies: one, or for a large transaction several of about
    ``FRAGMENT_BYTES``, each but the last ending with a continuation step (``continues``).
    Their sizes are known up front (the log needs the end LSN before it writes); the bodies
    are built one at a time as they are iterated, so only one is in memory."""

    def __init__(self, steps: StepLog) -> None:
        self._steps = steps
        self._plan: list[int] = []  # how many steps each body holds
        self.sizes: list[int] = []
        count = size = 0
        for index, data_size in enumerate(steps.sizes):
            count += 1
            size += _STEP.size + data_size
            if size >= FRAGMENT_BYTES and index < len(steps.sizes) - 1:
                self._plan.append(count)
                self.sizes.append(size + _STEP.size)  # with its continuation step
                count = size = 0
        if count:
            self._plan.append(count)
            self.sizes.append(size)

    def __len__(self) -> int:
        return len(self.sizes)

    def __iter__(self) -> Iterator[bytes]:
        steps = iter(self._steps)
        for number, count in enumerate(self._plan):
            parts = []
            for kind, data in itertools.islice(steps, count):
                parts += (_STEP.pack(kind, len(data)), data)
            if number < len(self._plan) - 1:
                parts.append(_STEP.pack(_CONTINUES, 0))
            yield b"".join(parts)

    def close(self) -> None:
        self._steps.close()


class ChangeCapture:
    """Records the steps of one transaction on one connection (until finish or discard)."""

    def __init__(self, conn: apsw.Connection) -> None:
        self.conn = conn
        self.steps = StepLog()
        self.rows: list[tuple[Any, ...]] = []  # operations since the last step
        self.tables: dict[str, int] = {}  # table name -> index in this row step
        self.paused = False
        conn.preupdate_hook(self._hook, id=_HOOK_ID)

    def _hook(self, u: apsw.PreUpdate) -> None:
        self._record(u)
        if len(self.rows) >= ROWS_PER_STEP:
            self._close_rows()  # packed bytes take a fraction of the tuples' memory

    def _record(self, u: apsw.PreUpdate) -> None:
        if self.paused or u.database_name != "main":
            return
        name = u.table_name
        if name == WAL_STATE_TABLE:
            return
        table = self.tables.setdefault(name, len(self.tables))
        op = u.opcode
        if op == apsw.SQLITE_INSERT:
            self.rows.append((table, _INSERT, u.rowid, u.new))
        elif op == apsw.SQLITE_UPDATE:
            changed = u.update or ()
            cols = tuple(i for i, v in enumerate(changed) if v is not apsw.no_change)
            self.rows.append((table, _UPDATE, u.rowid, u.rowid_new, cols,
                              tuple(changed[i] for i in cols)))
        else:
            self.rows.append((table, _DELETE, u.rowid))

    def _close_rows(self) -> None:
        if self.rows:
            names = sorted(self.tables, key=self.tables.__getitem__)
            data = marshal.dumps((names, self.rows), _MARSHAL_VERSION)
            self.steps.append(_ROWS, data)
        self.rows = []
        self.tables = {}

    def mark(self) -> tuple[int, int]:
        """The position a savepoint returns to."""
        return len(self.steps), len(self.rows)

    def statements_since(self, mark: tuple[int, int]) -> bool:
        """Whether a DDL statement step was taken since ``mark``."""
        return _STATEMENT in self.steps.kinds[mark[0]:]

    def rollback_to(self, mark: tuple[int, int]) -> None:
        """ROLLBACK TO SAVEPOINT: SQLite undid the rows after ``mark``; forget them too.
        The caller refuses the rollback when a statement step (DDL) was taken since the mark;
        row steps packed since then are unpacked back to the rows of the mark."""
        steps, rows = mark
        if len(self.steps) > steps:
            names, packed = marshal.loads(self.steps.data(steps))
            self.steps.truncate(steps)
            self.tables = {name: i for i, name in enumerate(names)}
            self.rows = list(packed[:rows])
        else:
            del self.rows[rows:]

    def statement(self, sql: str, params: Any = None) -> None:
        """A DDL statement is about to run: close the row operations before it, log it, and
        ignore its own row effects (replaying the statement reproduces them)."""
        self._close_rows()
        doc = json.dumps([sql, list(params) if params is not None else None])
        self.steps.append(_STATEMENT, doc.encode())
        self.paused = True

    def resume(self) -> None:
        """After DDL: capture row operations again."""
        self.paused = False

    def finish(self) -> Fragments:
        """The record bodies of everything captured (see ``Fragments``); empty when nothing
        changed."""
        self._close_rows()
        self._detach()
        return Fragments(self.steps)

    def discard(self) -> None:
        self._detach()
        self.rows.clear()
        self.steps.close()

    def _detach(self) -> None:
        self.conn.preupdate_hook(None, id=_HOOK_ID)


class RecordingConnection:
    """The connection pgha's DDL code writes through: each statement is logged, then run."""

    def __init__(self, conn: apsw.Connection, capture: ChangeCapture) -> None:
        self.conn = conn
        self.capture = capture

    def execute(self, sql: str, params: Any = None) -> apsw.Cursor:
        if not sql.lstrip().upper().startswith("SELECT"):
            self.capture.statement(sql, params)
        return self.conn.execute(sql, params) if params is not None else self.conn.execute(sql)


def continues(body: bytes) -> bool:
    """Whether the transaction of this record body goes on in the next record (a large
    transaction is logged as several records; only the last one commits)."""
    return len(body) >= _STEP.size and body[-_STEP.size:] == _STEP.pack(_CONTINUES, 0)


def steps(body: bytes) -> Iterator[tuple[bytes, bytes]]:
    view = memoryview(body)
    pos = 0
    while pos < len(view):
        kind, size = _STEP.unpack_from(view, pos)
        pos += _STEP.size
        yield kind, bytes(view[pos : pos + size])
        pos += size


def row_operations(data: bytes) -> Iterator[tuple[str, str, int, tuple[Any, ...] | None]]:
    """(table, INSERT|UPDATE|DELETE, rowid, values) of a row step, for tools and tests."""
    names, rows = marshal.loads(data)
    for row in rows:
        kind = ("INSERT", "UPDATE", "DELETE")[row[1]]
        values = row[3] if row[1] == _INSERT else row[5] if row[1] == _UPDATE else None
        yield names[row[0]], kind, row[2], values


class Replayer:
    """Applies record bodies on one connection (foreign keys off: actions are in the log)."""

    def __init__(self, conn: apsw.Connection) -> None:
        self.conn = conn
        self._columns: dict[str, list[str]] = {}
        self._sql: dict[tuple[Any, ...], str] = {}
        # A transaction logged as several records is open on ``conn`` between them.
        self.in_transaction = False
        self.schema_changed = False  # by the open transaction

    def apply(self, body: bytes) -> bool:
        """Replay a record body inside the caller's transaction; True if it changed the
        schema."""
        schema_changed = False
        for kind, data in steps(body):
            if kind == _ROWS:
                self._apply_rows(data)
            elif kind == _STATEMENT:
                sql, params = json.loads(data)
                self.conn.execute(sql, params) if params is not None else self.conn.execute(sql)
                self._columns.clear()
                self._sql.clear()
                schema_changed = True
            elif kind == _CONTINUES:
                pass  # the caller keeps the transaction open for the next record
            else:
                raise DataCorrupted(f"unknown WAL step {kind!r}")
        return schema_changed

    def _apply_rows(self, data: bytes) -> None:
        names, rows = marshal.loads(data)
        conn = self.conn
        for row in rows:
            table = names[row[0]]
            op = row[1]
            try:
                if op == _INSERT:
                    conn.execute(self._insert_sql(table), (row[2], *row[3]))
                    continue
                if op == _UPDATE:
                    if not row[4] and row[3] == row[2]:
                        continue  # the statement set every column to its old value
                    conn.execute(self._update_sql(table, row[4]), (*row[5], row[3], row[2]))
                else:
                    conn.execute(self._sql_for(("D", table), lambda t=table:
                                               f"DELETE FROM {_q(t)} WHERE rowid = ?"), (row[2],))
            except apsw.ConstraintError as exc:
                raise _diverged(table, f"{exc}") from exc
            if conn.changes() != 1:
                raise _diverged(table, f"row {row[2]} is missing")

    def _sql_for(self, key: tuple[Any, ...], build: Any) -> str:
        sql = self._sql.get(key)
        if sql is None:
            sql = self._sql[key] = build()
        return sql

    def _column_names(self, table: str) -> list[str]:
        cols = self._columns.get(table)
        if cols is None:
            cols = [r[1] for r in self.conn.execute(f"PRAGMA table_info({_q(table)})")]
            self._columns[table] = cols
        return cols

    def _insert_sql(self, table: str) -> str:
        def build() -> str:
            cols = self._column_names(table)
            names = ", ".join(["rowid", *map(_q, cols)])
            marks = ", ".join("?" * (len(cols) + 1))
            return f"INSERT INTO {_q(table)} ({names}) VALUES ({marks})"
        return self._sql_for(("I", table), build)

    def _update_sql(self, table: str, cols: tuple[int, ...]) -> str:
        def build() -> str:
            names = self._column_names(table)
            sets = ", ".join([*(f"{_q(names[i])} = ?" for i in cols), "rowid = ?"])
            return f"UPDATE {_q(table)} SET {sets} WHERE rowid = ?"
        return self._sql_for(("U", table, cols), build)


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _diverged(table: str, detail: str) -> PgError:
    return DataCorrupted(
        f"replicated change does not apply cleanly on table {table} ({detail}): this node's "
        "data has diverged and it needs a new snapshot",
    )
