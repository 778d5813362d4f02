"""A primary that has seen a higher term writes nothing more: the journal refuses records of
the old term, the transaction rolls back (25006), and the database is left unlocked."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pgha.server.ha import HaConfig, HaRole
from pgha.wire.errors import PgError


def _runner(role: HaRole) -> Callable[[str], Any]:
    """Run SQL on a session of ``role``'s engine, returning the last statement's result."""
    session = role.engine.open_session()

    def run(sql: str) -> Any:
        result = None
        for stmt in session.parse(sql):
            result = session.execute(stmt)
        return result

    return run


def test_old_term_commit_is_refused_and_rolled_back(tmp_path: Path) -> None:
    role = HaRole(HaConfig(node_id="n1", mode="primary"), tmp_path, durable=False)
    run = _runner(role)
    run("CREATE TABLE t (k int PRIMARY KEY)")
    run("INSERT INTO t VALUES (1)")
    assert role.journal.observe_term(2)  # a peer was promoted; no event loop: no step-down
    with pytest.raises(PgError) as info:
        run("INSERT INTO t VALUES (2)")
    assert info.value.sqlstate == "25006"
    other = role.engine.connect()
    other.execute("BEGIN IMMEDIATE")  # the refused transaction released the write lock
    other.execute("ROLLBACK")
    rows = run("SELECT k FROM t")
    assert [r[0] for r in rows.rows] == [1]
    assert role.journal.state.term == 2
    assert role.journal.wal.last_term == 1


def test_transaction_over_the_record_limit_is_refused_and_rolled_back(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A transaction whose WAL record would exceed the limit fails with 54000 (no record is
    # written, nothing is committed), instead of an internal error.
    monkeypatch.setattr("pgha.replication.journal.MAX_RECORD", 64 << 10)
    role = HaRole(HaConfig(node_id="n1", mode="primary"), tmp_path, durable=False)
    run = _runner(role)
    run("CREATE TABLE t (k int PRIMARY KEY, pad text)")
    end = role.journal.wal.end_lsn
    with pytest.raises(PgError) as info:
        run("INSERT INTO t SELECT g, repeat('x', 1000) FROM generate_series(1, 100) g")
    assert info.value.sqlstate == "54000"
    assert role.journal.wal.end_lsn == end
    run("INSERT INTO t VALUES (1, 'small')")
    rows = run("SELECT k FROM t")
    assert [r[0] for r in rows.rows] == [1]


def test_unfinished_large_transaction_is_dropped_at_recovery(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A large transaction is logged as several records; a crash after some of them were
    # written (and before its SQLite COMMIT) leaves them at the end of the WAL. Recovery must
    # drop them, not apply half a transaction, and the log must go on from there.
    monkeypatch.setattr("pgha.storage.changes.FRAGMENT_BYTES", 2048)
    monkeypatch.setattr("pgha.storage.changes.ROWS_PER_STEP", 20)
    role = HaRole(HaConfig(node_id="n1", mode="primary"), tmp_path, durable=False)
    run = _runner(role)
    run("CREATE TABLE t (k int PRIMARY KEY, pad text)")
    run("INSERT INTO t SELECT g, repeat('a', 50) FROM generate_series(1, 500) g")
    assert role.journal.wal.last_xid >= 3  # the insert took several records
    end = role.journal.wal.end_lsn
    appended = 0
    real_append = role.journal.append

    def crash_after_two(body: bytes) -> int:
        nonlocal appended
        appended += 1
        if appended > 2:
            raise KeyboardInterrupt("power cut")
        return real_append(body)

    monkeypatch.setattr(role.journal, "append", crash_after_two)
    monkeypatch.setattr(role.journal, "undo", lambda start: None)  # the crash undoes nothing
    with pytest.raises(KeyboardInterrupt):
        run("INSERT INTO t SELECT g, repeat('b', 50) FROM generate_series(1000, 1500) g")
    assert role.journal.wal.end_lsn > end  # two records of it are in the WAL
    role.journal.wal.close()

    again = HaRole(HaConfig(node_id="n1", mode="primary"), tmp_path, durable=False)
    assert again.journal.wal.end_lsn == end  # recovery dropped them
    run = _runner(again)
    assert run("SELECT count(*), min(pad) FROM t").rows == [(500, "a" * 50)]
    run("INSERT INTO t VALUES (2000, 'c')")
    assert run("SELECT count(*) FROM t").rows == [(501,)]
