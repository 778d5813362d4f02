"""What one write transaction changed, as a WAL record body that reproduces it on any node.

A body is a sequence of steps, replayed in order:
- a *changeset* (``C``): the row changes of the statements since the previous step, captured by
  SQLite's session extension (rowid tables included, keyed by rowid, so every node keeps
  identical rowids); values are the ones the primary computed, so random(), now() and
  nextval() are evaluated once;
- a *statement* (``S``): one SQL statement that pgha's DDL code ran (schema changes, the
  catalog rows describing them, table rebuilds), with its parameters. DDL is deterministic
  given the same database, so replaying the statements rebuilds the same schema.

Invariants: steps keep the order in which the transaction made them; ``__pgha_wal_state`` (the
applied LSN, written by the commit itself) is never captured; an empty body means the
transaction changed nothing and needs no WAL record.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Iterator
from typing import Any

import apsw

from pgha.wire.errors import PgError

WAL_STATE_TABLE = "__pgha_wal_state"
_STEP = struct.Struct("!cI")
_CHANGESET, _STATEMENT = b"C", b"S"


class ChangeCapture:
    """Records the steps of one transaction on one connection."""

    def __init__(self, conn: apsw.Connection) -> None:
        self.conn = conn
        self.steps: list[tuple[bytes, bytes]] = []
        self.session: apsw.Session | None = None
        self._open_session()

    def _open_session(self) -> None:
        session = apsw.Session(self.conn, "main")
        session.config(apsw.SQLITE_SESSION_OBJCONFIG_ROWID, 1)
        session.table_filter(lambda name: name != WAL_STATE_TABLE)
        session.attach()
        self.session = session

    def _close_session(self) -> None:
        if self.session is None:
            return
        if not self.session.is_empty:
            self.steps.append((_CHANGESET, self.session.changeset()))
        self.session.close()
        self.session = None

    def statement(self, sql: str, params: Any = None) -> None:
        """A DDL statement is about to run: close the row changes before it, log it."""
        self._close_session()
        doc = json.dumps([sql, list(params) if params is not None else None])
        self.steps.append((_STATEMENT, doc.encode()))

    def resume(self) -> None:
        """After DDL: capture row changes again."""
        if self.session is None:
            self._open_session()

    def finish(self) -> bytes:
        """The record body of everything captured (b"" when nothing changed)."""
        self._close_session()
        return b"".join(_STEP.pack(kind, len(data)) + data for kind, data in self.steps)

    def discard(self) -> None:
        if self.session is not None:
            self.session.close()
            self.session = None
        self.steps.clear()


class RecordingConnection:
    """The connection pgha's DDL code writes through: each statement is logged, then run.

    Statements are logged with the session paused, so their row effects (catalog rows, the
    rows a table rebuild copies) are replayed by re-running the statement, not twice.
    """

    def __init__(self, conn: apsw.Connection, capture: ChangeCapture) -> None:
        self.conn = conn
        self.capture = capture

    def execute(self, sql: str, params: Any = None) -> apsw.Cursor:
        if not sql.lstrip().upper().startswith("SELECT"):
            self.capture.statement(sql, params)
        return self.conn.execute(sql, params) if params is not None else self.conn.execute(sql)


def steps(body: bytes) -> Iterator[tuple[bytes, bytes]]:
    view = memoryview(body)
    pos = 0
    while pos < len(view):
        kind, size = _STEP.unpack_from(view, pos)
        pos += _STEP.size
        yield kind, bytes(view[pos : pos + size])
        pos += size


def apply(conn: apsw.Connection, body: bytes) -> bool:
    """Replay a record body inside the caller's transaction; True if it changed the schema."""
    schema_changed = False
    for kind, data in steps(body):
        if kind == _CHANGESET:
            apsw.Changeset.apply(data, conn, conflict=_conflict)
        elif kind == _STATEMENT:
            sql, params = json.loads(data)
            conn.execute(sql, params) if params is not None else conn.execute(sql)
            schema_changed = True
        else:
            raise PgError("XX001", f"unknown WAL step {kind!r}")
    return schema_changed


def _conflict(reason: int, change: Any) -> int:
    """Every node applies the same changes to the same rows: a conflict means divergence."""
    raise PgError(
        "XX001",
        f"replicated change does not apply cleanly (conflict {reason} on {change.name}): "
        "this node's data has diverged and it needs a new snapshot",
    )
