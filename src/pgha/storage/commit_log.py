"""The commit log as the engine sees it: what a log must offer (``CommitLog``, pgha's WAL,
implemented by the replication layer), the applied-LSN row that SQLite keeps in step with it,
and how a write transaction commits through it.

Invariants: records are appended, and SQLite commits, under the engine's ``commit_lock``, so
log order is SQLite commit order; the end LSN a transaction's records reach is written to
``changes.WAL_STATE_TABLE`` inside that same SQLite transaction, so after a crash the database
says exactly where redo starts; records whose SQLite COMMIT failed are undone from the log.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from typing import Protocol

import apsw

from pgha.storage import changes
from pgha.wire.errors import IoError


class CommitLog(Protocol):
    """Where committed transactions go (pgha's WAL; implemented by the replication layer)."""

    def predict_end(self, sizes: Sequence[int]) -> int:
        """The end LSN the next records, with bodies of these sizes, will have."""

    def append(self, body: bytes) -> int:
        """Write a record (not yet durable); returns its start LSN."""

    def undo(self, start_lsn: int) -> None:
        """Remove the records from ``start_lsn`` on again (their SQLite COMMIT failed, or they
        are the first records of a transaction whose last record never came)."""

    def flush_to(self, lsn: int) -> None:
        """Block until the log is durable up to ``lsn`` (shared among concurrent commits)."""

    def records_from(self, lsn: int) -> Iterator[tuple[int, bytes]]:
        """(end LSN, body) of every record from ``lsn`` on (crash recovery)."""


def install(conn: apsw.Connection) -> None:
    """Create the applied-LSN row (0: nothing applied) if the database has none."""
    conn.execute(f"CREATE TABLE IF NOT EXISTS {changes.WAL_STATE_TABLE} "
                 "(id INTEGER PRIMARY KEY CHECK (id = 1), applied_lsn INT NOT NULL)")
    conn.execute(f"INSERT OR IGNORE INTO {changes.WAL_STATE_TABLE} VALUES (1, 0)")


def applied_lsn(conn: apsw.Connection) -> int:
    """The end LSN of the last log record the database behind ``conn`` contains."""
    row = conn.execute(
        f"SELECT applied_lsn FROM {changes.WAL_STATE_TABLE} WHERE id = 1").fetchone()
    return int(row[0]) if row else 0


def set_applied_lsn(conn: apsw.Connection, lsn: int) -> None:
    """Record that the database contains the log up to ``lsn`` (in the caller's transaction,
    if one is open)."""
    conn.execute(f"UPDATE {changes.WAL_STATE_TABLE} SET applied_lsn = ? WHERE id = 1", (lsn,))


def commit_logged(conn: apsw.Connection, log: CommitLog, commit_lock: threading.Lock,
                  bodies: changes.Fragments) -> int:
    """Append a transaction's records (one, or several for a large one) and COMMIT it in
    SQLite; returns the end LSN, which is not durable yet (``wait_durable``). If appending
    fails (e.g. this node is no longer the primary) nothing happened: the SQLite transaction
    is rolled back."""
    with commit_lock:
        end = log.predict_end(bodies.sizes)
        set_applied_lsn(conn, end)
        start = 0
        try:
            for body in bodies:  # built one at a time
                first = log.append(body)
                start = start or first
        except BaseException:  # e.g. this node is no longer the primary: nothing happened
            if start:
                log.undo(start)
            conn.execute("ROLLBACK")
            raise
        try:
            conn.execute("COMMIT")
        except BaseException:
            log.undo(start)
            raise
    return end


def wait_durable(log: CommitLog, end: int) -> None:
    """Block until the log is durable up to ``end`` (58030 when it cannot be made so)."""
    try:
        log.flush_to(end)
    except Exception as exc:
        raise IoError("could not flush the WAL: the transaction is committed on "
                      "this node but may not survive a crash") from exc
