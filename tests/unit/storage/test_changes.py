"""Row capture and replay (``pgha.storage.changes``): a transaction captured on one database
and replayed on a copy leaves both identical, rowids included.

Covers what broke SQLite's session extension (more than 127 rows of one table touched in one
transaction, rows touched twice), savepoint rollbacks (SQLite undoes rows the hook reported),
foreign-key actions and REPLACE deletes (reported by the hook, replayed with FKs off), and
divergence (an operation that does not touch exactly one row is XX001).
"""

from __future__ import annotations

from pathlib import Path

import apsw
import pytest

from pgha.storage import changes
from pgha.wire.errors import PgError

SCHEMA = """
CREATE TABLE kv (k INT NOT NULL, v REAL, t TEXT, b BLOB);
CREATE UNIQUE INDEX kv_pkey ON kv (k);
CREATE TABLE parent (id INT NOT NULL, name TEXT);
CREATE UNIQUE INDEX parent_pkey ON parent (id);
CREATE TABLE child (id INT, pid INT REFERENCES parent (id) ON DELETE CASCADE);
"""


def _pair(tmp_path: Path) -> tuple[apsw.Connection, apsw.Connection]:
    dbs = []
    for name in ("primary.db", "standby.db"):
        conn = apsw.Connection(str(tmp_path / name))
        conn.execute(SCHEMA)
        dbs.append(conn)
    dbs[0].execute("PRAGMA foreign_keys=ON")
    return dbs[0], dbs[1]


def _dump(conn: apsw.Connection) -> list[tuple[object, ...]]:
    rows: list[tuple[object, ...]] = []
    for table in ("kv", "parent", "child"):
        rows += [(table, *r) for r in conn.execute(f"SELECT rowid, * FROM {table} ORDER BY rowid")]
    return rows


def _transaction(primary: apsw.Connection, sql: str) -> list[bytes]:
    primary.execute("BEGIN IMMEDIATE")
    capture = changes.ChangeCapture(primary)
    primary.execute(sql)
    bodies = list(capture.finish())
    primary.execute("COMMIT")
    return bodies


def _replay(standby: apsw.Connection, bodies: list[bytes]) -> None:
    replayer = changes.Replayer(standby)
    with standby:
        for body in bodies:
            replayer.apply(body)


def test_large_updates_and_rows_touched_twice_replay_exactly(tmp_path: Path) -> None:
    primary, standby = _pair(tmp_path)
    steps = [
        "WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < 1000) "
        "INSERT INTO kv SELECT n, n * 0.5, 'r' || n, randomblob(4) FROM g",
        "UPDATE kv SET v = v + 1",  # 1,000 rows: the session extension recorded extra INSERTs
        "UPDATE kv SET v = v * 2 WHERE k % 3 = 0; UPDATE kv SET t = NULL WHERE k % 3 = 0; "
        "DELETE FROM kv WHERE k % 7 = 0; INSERT INTO kv VALUES (5000, 1.5, 'x', NULL)",
    ]
    for sql in steps:
        _replay(standby, _transaction(primary, sql))
        assert _dump(standby) == _dump(primary)


def test_rolled_back_savepoint_rows_are_not_replayed(tmp_path: Path) -> None:
    primary, standby = _pair(tmp_path)
    primary.execute("BEGIN IMMEDIATE")
    capture = changes.ChangeCapture(primary)
    primary.execute("INSERT INTO kv VALUES (1, 1, 'kept', NULL)")
    primary.execute("SAVEPOINT s")
    mark = capture.mark()
    primary.execute("INSERT INTO kv VALUES (2, 2, 'undone', NULL); UPDATE kv SET v = 9")
    primary.execute("ROLLBACK TO SAVEPOINT s")
    capture.rollback_to(mark)
    primary.execute("INSERT INTO kv VALUES (3, 3, 'after', NULL)")
    bodies = list(capture.finish())
    primary.execute("COMMIT")
    _replay(standby, bodies)
    assert _dump(standby) == _dump(primary)
    assert [r[2] for r in _dump(standby)] == [1, 3]


def test_foreign_key_actions_and_replace_deletes_replay(tmp_path: Path) -> None:
    primary, standby = _pair(tmp_path)
    standby.execute("PRAGMA foreign_keys=OFF")  # as Engine.replayer() opens it
    _replay(standby, _transaction(primary, "INSERT INTO parent VALUES (1, 'a'), (2, 'b'); "
                                           "INSERT INTO child VALUES (10, 1), (11, 1), (12, 2)"))
    _replay(standby, _transaction(primary, "DELETE FROM parent WHERE id = 1"))
    _replay(standby, _transaction(primary, "INSERT OR REPLACE INTO parent VALUES (2, 'c')"))
    assert _dump(standby) == _dump(primary)
    assert [r for r in _dump(standby) if r[0] == "child"] == []


def test_unchanged_transaction_has_an_empty_body(tmp_path: Path) -> None:
    primary, _ = _pair(tmp_path)
    assert _transaction(primary, "UPDATE kv SET v = 1 WHERE k = 42") == []


def test_operation_missing_its_row_is_divergence(tmp_path: Path) -> None:
    primary, standby = _pair(tmp_path)
    primary.execute("INSERT INTO kv VALUES (1, 1, 'a', NULL)")
    body = _transaction(primary, "UPDATE kv SET v = 2")
    with pytest.raises(PgError) as info:
        _replay(standby, body)
    assert info.value.sqlstate == "XX001"
    standby.execute("INSERT INTO kv VALUES (1, 1, 'a', NULL)")
    _replay(standby, body)
    insert = _transaction(primary, "INSERT INTO kv VALUES (2, 2, 'b', NULL)")
    standby.execute("INSERT INTO kv VALUES (7, 7, 'other', NULL)")  # takes rowid 2 on the copy
    with pytest.raises(PgError) as info:
        _replay(standby, insert)
    assert info.value.sqlstate == "XX001"


def test_row_operations_lists_a_step(tmp_path: Path) -> None:
    primary, _ = _pair(tmp_path)
    (body,) = _transaction(primary, "INSERT INTO kv VALUES (1, 1.5, 'a', NULL); "
                                    "UPDATE kv SET t = 'b'; DELETE FROM kv")
    ((kind, data),) = list(changes.steps(body))
    assert kind == b"R"
    assert list(changes.row_operations(data)) == [
        ("kv", "INSERT", 1, (1, 1.5, "a", None)),
        ("kv", "UPDATE", 1, ("b",)),
        ("kv", "DELETE", 1, None),
    ]


@pytest.mark.parametrize("spill", [1 << 30, 10_000], ids=["in-memory", "spilled"])
def test_a_large_transaction_is_logged_as_bounded_records(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, spill: int) -> None:
    monkeypatch.setattr(changes, "ROWS_PER_STEP", 100)
    monkeypatch.setattr(changes, "FRAGMENT_BYTES", 4096)
    monkeypatch.setattr(changes, "SPILL_BYTES", spill)
    primary, standby = _pair(tmp_path)
    primary.execute("BEGIN IMMEDIATE")
    capture = changes.ChangeCapture(primary)
    primary.execute("WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g "
                    "WHERE n < 3000) INSERT INTO kv SELECT n, n * 0.5, 'row ' || n, "
                    "randomblob(8) FROM g")
    fragments = capture.finish()
    bodies = list(fragments)
    fragments.close()
    primary.execute("COMMIT")
    assert len(bodies) > 10
    assert fragments.sizes == [len(b) for b in bodies]  # known before the bodies are built
    assert [changes.continues(b) for b in bodies] == [True] * (len(bodies) - 1) + [False]
    # Each record holds about FRAGMENT_BYTES: what one step (100 rows) adds past it at most.
    assert max(len(b) for b in bodies) < 4096 + 8192
    _replay(standby, bodies)
    assert _dump(standby) == _dump(primary)


@pytest.mark.parametrize("spill", [1 << 30, 100], ids=["in-memory", "spilled"])
def test_savepoint_rollback_across_packed_row_steps(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, spill: int) -> None:
    monkeypatch.setattr(changes, "ROWS_PER_STEP", 10)
    monkeypatch.setattr(changes, "SPILL_BYTES", spill)
    primary, standby = _pair(tmp_path)
    primary.execute("BEGIN IMMEDIATE")
    capture = changes.ChangeCapture(primary)
    for k in range(15):  # one packed step, 5 rows open
        primary.execute("INSERT INTO kv VALUES (?, 1, 'kept', NULL)", (k,))
    primary.execute("SAVEPOINT s")
    mark = capture.mark()
    for k in range(100, 130):  # packs the 5 open rows with 5 of these, then two more steps
        primary.execute("INSERT INTO kv VALUES (?, 2, 'undone', NULL)", (k,))
    primary.execute("INSERT INTO parent VALUES (1, 'undone')")
    assert not capture.statements_since(mark)
    primary.execute("ROLLBACK TO SAVEPOINT s")
    capture.rollback_to(mark)
    primary.execute("INSERT INTO kv VALUES (200, 3, 'after', NULL)")
    bodies = list(capture.finish())
    primary.execute("COMMIT")
    _replay(standby, bodies)
    assert _dump(standby) == _dump(primary)
    assert [r[2] for r in _dump(standby)] == [*range(15), 200]
