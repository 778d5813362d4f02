"""Which commits may run on the event loop (``StorageSession.can_commit_inline``): a small
transaction whose writes all ran there (point writes through ``execute_no_wait``), never one
with a write that ran off the loop, whatever its row count (a single 40 MB row would stop
every session of the node while SQLite copied it)."""

from __future__ import annotations

from pathlib import Path

from pgha.storage.engine import Engine, StorageSession


def _session(tmp_path: Path) -> StorageSession:
    engine = Engine(tmp_path, durable=False)
    session = engine.open_session()
    for stmt in session.parse("create table t (id int primary key, body text)"):
        session.execute(stmt)
    return session


def _run(session: StorageSession, sql: str, no_wait: bool = False) -> None:
    for stmt in session.parse(sql):
        if no_wait:
            assert session.can_write_inline(stmt)
            session.execute_no_wait(stmt)
        else:
            session.execute(stmt)


def test_a_block_of_point_writes_commits_inline(tmp_path: Path) -> None:
    session = _session(tmp_path)
    _run(session, "begin")
    _run(session, "insert into t values (1, 'a')", no_wait=True)
    _run(session, "update t set body = 'b' where id = 1", no_wait=True)
    assert session.can_commit_inline()
    _run(session, "commit")


def test_a_block_with_a_write_off_the_loop_does_not(tmp_path: Path) -> None:
    session = _session(tmp_path)
    _run(session, "begin")
    _run(session, "insert into t values (1, repeat('x', 1000000))")  # one row, 1 MB
    assert not session.can_commit_inline()
    _run(session, "commit")
    _run(session, "begin")  # the next block starts afresh
    _run(session, "update t set body = 'b' where id = 1", no_wait=True)
    assert session.can_commit_inline()
    _run(session, "rollback")


def test_point_writes_past_a_mebibyte_do_not(tmp_path: Path) -> None:
    session = _session(tmp_path)
    _run(session, "begin")
    for i in range(20):
        _run(session, f"insert into t values ({i}, '{'y' * 60_000}')", no_wait=True)
    assert not session.can_commit_inline()
    _run(session, "commit")
