"""The background checkpoint (``Engine._wal_grew``): every CHECKPOINT_PAGES of SQLite WAL a
PASSIVE checkpoint on one thread that serves every request (a thread started per commit cost
the committing event loop a thread start and its wait for the new thread, and checkpoints run
back to back paid two fsyncs for a few frames each); past CHECKPOINT_RESTART_PAGES it takes the
write lock for the last frames, so that a steady load cannot grow the WAL without end."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from pgha.storage import engine as engine_module
from pgha.storage.engine import CHECKPOINT_PAGES, CHECKPOINT_RESTART_PAGES, Engine, StorageSession


def _checkpoint_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "pgha-checkpoint"]


def _writer(tmp_path: Path) -> tuple[Engine, StorageSession]:
    engine = Engine(tmp_path, durable=False)
    session = engine.open_session()
    for stmt in session.parse("create table t (body text)"):
        session.execute(stmt)
    return engine, session


def _insert_pages(session: StorageSession, count: int) -> None:
    """``count`` transactions that insert a page each (in blocks: through the writer queue, as
    a node's sessions write)."""
    begin, insert, commit = session.parse(
        "begin; insert into t values (repeat('x', 3000)); commit")
    for _ in range(count):
        for stmt in (begin, insert, commit):
            session.execute(stmt)


def test_a_steady_load_keeps_sqlite_s_wal_bounded_with_one_thread(tmp_path: Path) -> None:
    engine, session = _writer(tmp_path)
    seen: set[threading.Thread] = set()
    largest = 0
    for _ in range(3 * CHECKPOINT_RESTART_PAGES):
        _insert_pages(session, 1)
        largest = max(largest, engine._wal_pages)
        seen.update(_checkpoint_threads())
    assert len(seen) == 1, f"{len(seen)} checkpoint threads for one steady load"
    # (each insert writes its page and a page of the table's b-tree now and then)
    assert largest < CHECKPOINT_RESTART_PAGES + 3 * CHECKPOINT_PAGES, largest


def test_the_thread_ends_when_idle_and_a_later_load_starts_another(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine_module, "CHECKPOINT_IDLE_S", 0.2)
    engine, session = _writer(tmp_path)
    _insert_pages(session, CHECKPOINT_PAGES + 10)
    first = engine._checkpoint_thread
    assert first is not None
    first.join(timeout=10)
    assert not first.is_alive() and engine._checkpoint_thread is None
    _insert_pages(session, 2 * CHECKPOINT_PAGES + 10)
    second = engine._checkpoint_thread
    assert second is not None and second is not first
