"""The background checkpoint (``Engine._wal_grew``): past CHECKPOINT_PAGES of SQLite WAL, every
commit asks for a PASSIVE checkpoint; one thread serves all of them (a thread started per
commit cost the committing event loop a thread start and its wait for the new thread), and it
ends when there is nothing left to do."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from pgha.storage import engine as engine_module
from pgha.storage.engine import CHECKPOINT_PAGES, Engine


def _checkpoint_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "pgha-checkpoint"]


def _copied_back(engine: Engine) -> int:
    """Waits until a checkpoint copied every frame of SQLite's WAL back (that of the thread:
    this one's has no work left); returns the WAL's frames."""
    conn = engine.connect()
    try:
        deadline = time.monotonic() + 10
        while True:
            busy, frames, done = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
            if (not busy and frames == done) or time.monotonic() > deadline:
                assert not busy and frames == done, (busy, frames, done)
                return int(frames)
            time.sleep(0.05)  # (busy: the thread's checkpoint runs)
    finally:
        conn.close()


def test_one_thread_serves_every_checkpoint_of_a_steady_load(tmp_path: Path) -> None:
    engine = Engine(tmp_path, durable=False)
    conn = engine.connect()
    conn.execute("create table t (body blob)")
    seen: set[threading.Thread] = set()
    for _ in range(3 * CHECKPOINT_PAGES):  # a page each: the WAL passes the mark early on
        conn.execute("insert into t values (randomblob(3000))")
        seen.update(_checkpoint_threads())
    assert len(seen) == 1, f"{len(seen)} checkpoint threads for one steady load"
    assert _copied_back(engine) >= CHECKPOINT_PAGES


def test_the_thread_ends_when_idle_and_a_later_load_starts_another(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine_module, "CHECKPOINT_IDLE_S", 0.2)
    engine = Engine(tmp_path, durable=False)
    conn = engine.connect()
    conn.execute("create table t (body blob)")
    for _ in range(CHECKPOINT_PAGES + 10):
        conn.execute("insert into t values (randomblob(3000))")
    first = engine._checkpoint_thread
    assert first is not None
    first.join(timeout=10)
    assert not first.is_alive() and engine._checkpoint_thread is None
    for _ in range(CHECKPOINT_PAGES + 10):  # (the first write restarted the copied-back WAL)
        conn.execute("insert into t values (randomblob(3000))")
    second = engine._checkpoint_thread
    assert second is not None and second is not first
    _copied_back(engine)
