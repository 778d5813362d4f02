"""Concurrent writers on one node: SQLite lets one transaction write at a time, so a writer
waits for the one before it. The wait is first come, first served, ends at lock_timeout with
55P03, ends at a cancel with 57014, and a waiter whose client vanishes does not keep the lock
(as in PostgreSQL, its statement still runs once its turn comes)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

import psycopg
import pytest

from fixtures.pgha_server import PghaServer


@pytest.fixture
def table(pgha_server_module: PghaServer) -> Iterator[str]:
    with pgha_server_module.connect(autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS wq")
        conn.execute("CREATE TABLE wq (id serial PRIMARY KEY, who text)")
    yield "wq"


def _write_in_thread(server: PghaServer, who: str, results: dict[str, object],
                     write: Callable[[psycopg.Connection], None], setup: str | None = None
                     ) -> tuple[threading.Thread, psycopg.Connection]:
    """Run ``write`` on a new connection in a thread: ``results[who]`` is when it returned,
    or its error."""
    conn = server.connect(autocommit=True)
    if setup:
        conn.execute(setup)

    def run() -> None:
        try:
            write(conn)
            results[who] = time.monotonic()
        except psycopg.Error as exc:
            results[who] = exc

    thread = threading.Thread(target=run)
    thread.start()
    return thread, conn


def _insert_in_thread(server: PghaServer, who: str, results: dict[str, object]
                      ) -> tuple[threading.Thread, psycopg.Connection]:
    return _write_in_thread(
        server, who, results, lambda c: c.execute("INSERT INTO wq (who) VALUES (%s)", (who,)))


def test_writers_wait_in_arrival_order(pgha_server_module: PghaServer, table: str) -> None:
    holder = pgha_server_module.connect(autocommit=False)
    holder.execute("INSERT INTO wq (who) VALUES ('holder')")  # holds the write lock
    results: dict[str, object] = {}
    waiters = []
    for who in ("first", "second", "third"):
        waiters.append(_insert_in_thread(pgha_server_module, who, results))
        time.sleep(0.3)  # each is queued before the next arrives
    assert results == {}  # all three wait for the holder
    released = time.monotonic()
    holder.commit()
    for thread, conn in waiters:
        thread.join(10)
        conn.close()
    holder.close()
    assert all(isinstance(results[w], float) for w in ("first", "second", "third")), results
    # The first waiter starts as soon as the holder commits, not after a retry sleep.
    assert results["first"] - released < 0.5  # type: ignore[operator]
    with pgha_server_module.connect() as conn:
        order = [r[0] for r in conn.execute("SELECT who FROM wq ORDER BY id")]
    assert order == ["holder", "first", "second", "third"]


def test_lock_timeout_ends_the_wait_with_55P03(pgha_server_module: PghaServer,
                                                table: str) -> None:
    with pgha_server_module.connect(autocommit=False) as holder, \
            pgha_server_module.connect(autocommit=True) as waiter:
        holder.execute("INSERT INTO wq (who) VALUES ('holder')")
        waiter.execute("SET lock_timeout = '300ms'")
        started = time.monotonic()
        with pytest.raises(psycopg.errors.LockNotAvailable) as info:
            waiter.execute("INSERT INTO wq (who) VALUES ('waiter')")
        assert 0.25 < time.monotonic() - started < 5
        assert info.value.diag.message_primary == "canceling statement due to lock timeout"
        holder.commit()
        waiter.execute("INSERT INTO wq (who) VALUES ('waiter')")  # the session goes on
        assert waiter.execute("SELECT count(*) FROM wq").fetchone() == (2,)


def test_cancel_ends_the_wait_with_57014(pgha_server_module: PghaServer, table: str) -> None:
    with pgha_server_module.connect(autocommit=False) as holder:
        holder.execute("INSERT INTO wq (who) VALUES ('holder')")
        results: dict[str, object] = {}
        thread, waiter = _insert_in_thread(pgha_server_module, "waiter", results)
        time.sleep(0.3)
        waiter.cancel()
        thread.join(10)
        assert isinstance(results["waiter"], psycopg.errors.QueryCanceled), results
        # The cancelled waiter left the queue: the next writer after the holder is not stuck.
        holder.commit()
        waiter.execute("INSERT INTO wq (who) VALUES ('after cancel')")
        waiter.close()


def test_a_waiter_whose_client_vanishes_does_not_keep_the_lock(pgha_server_module: PghaServer,
                                                    table: str) -> None:
    holder = pgha_server_module.connect(autocommit=False)
    holder.execute("INSERT INTO wq (who) VALUES ('holder')")
    results: dict[str, object] = {}
    thread, gone = _insert_in_thread(pgha_server_module, "gone", results)
    time.sleep(0.3)
    gone.pgconn.finish()  # the client vanishes while its statement waits
    thread.join(10)
    holder.commit()
    holder.close()
    with pgha_server_module.connect(autocommit=True) as conn:
        conn.execute("SET lock_timeout = '5s'")
        conn.execute("INSERT INTO wq (who) VALUES ('next')")
        assert conn.execute("SELECT who FROM wq ORDER BY id").fetchall()[0] == ("holder",)


# -- a block's point write queues on the event loop ----------------------------------------
# A point write (an UPDATE by primary key) of a transaction block that does not hold the
# write lock yet waits for it on the node's event loop, not on a worker thread: the same
# order, lock_timeout and cancel rules hold there.


@pytest.fixture
def rows(table: str, pgha_server_module: PghaServer) -> str:
    with pgha_server_module.connect(autocommit=True) as conn:
        conn.execute("INSERT INTO wq (who) SELECT 'row ' || g FROM generate_series(1, 10) g")
    return table


def _point_write_in_block(server: PghaServer, row: int, who: str, results: dict[str, object],
                          setup: str | None = None
                          ) -> tuple[threading.Thread, psycopg.Connection]:
    def write(conn: psycopg.Connection) -> None:
        with conn.transaction():
            conn.execute("UPDATE wq SET who = %s WHERE id = %s", (who, row), prepare=True)
            results[f"{who} wrote"] = time.monotonic()  # holding the write lock

    return _write_in_thread(server, who, results, write, setup)


def test_block_writers_wait_in_arrival_order(pgha_server_module: PghaServer, rows: str) -> None:
    with pgha_server_module.connect(autocommit=False) as holder:
        holder.execute("UPDATE wq SET who = 'holder' WHERE id = 1", prepare=True)
        results: dict[str, object] = {}
        started = []
        for i, who in enumerate(("first", "second", "third"), start=2):
            started.append(_point_write_in_block(pgha_server_module, i, who, results))
            time.sleep(0.2)  # they queue in this order
        assert results == {}  # all wait for the holder
        holder.commit()
        for thread, conn in started:
            thread.join(10)
            conn.close()
    assert all(isinstance(results[w], float) for w in ("first", "second", "third")), results
    # The order in which they got the lock: each writes only once the one before it committed,
    # and that one's time was taken before its COMMIT was sent. (Not the times their COMMITs
    # returned: one flush of pgha's WAL may acknowledge several commits at once.)
    wrote = [results[f"{w} wrote"] for w in ("first", "second", "third")]
    assert wrote == sorted(wrote), results  # type: ignore[type-var]


def test_block_writer_lock_timeout_is_55P03(pgha_server_module: PghaServer, rows: str) -> None:
    with pgha_server_module.connect(autocommit=False) as holder:
        holder.execute("UPDATE wq SET who = 'holder' WHERE id = 1", prepare=True)
        results: dict[str, object] = {}
        started = time.monotonic()
        thread, conn = _point_write_in_block(pgha_server_module, 2, "waiter", results,
                                             setup="SET lock_timeout = '300ms'")
        thread.join(10)
        assert 0.25 < time.monotonic() - started < 5
        error = results["waiter"]
        assert isinstance(error, psycopg.errors.LockNotAvailable), results
        assert error.diag.message_primary == "canceling statement due to lock timeout"
        holder.commit()
        thread, _ = _point_write_in_block(pgha_server_module, 2, "again", results)
        thread.join(10)  # the queue is not stuck behind the waiter that gave up
        assert isinstance(results["again"], float), results
        conn.close()


def test_block_writer_cancel_is_57014(pgha_server_module: PghaServer, rows: str) -> None:
    with pgha_server_module.connect(autocommit=False) as holder:
        holder.execute("UPDATE wq SET who = 'holder' WHERE id = 1", prepare=True)
        results: dict[str, object] = {}
        thread, waiter = _point_write_in_block(pgha_server_module, 2, "waiter", results)
        time.sleep(0.3)
        waiter.cancel()
        thread.join(10)
        assert isinstance(results["waiter"], psycopg.errors.QueryCanceled), results
        holder.commit()
        with waiter.transaction():  # the session goes on, and the lock is free
            waiter.execute("UPDATE wq SET who = 'after cancel' WHERE id = %s", (2,),
                           prepare=True)
        waiter.close()
    with pgha_server_module.connect() as conn:
        assert conn.execute("SELECT who FROM wq WHERE id IN (1, 2) ORDER BY id").fetchall() == [
            ("holder",), ("after cancel",)]


def test_a_write_that_fails_after_its_wait_leaves_the_lock(pgha_server_module: PghaServer,
                                                           table: str) -> None:
    """The write lock handed to a queued block's write that then fails (its table was dropped
    while it waited) goes to the next writer once the block ends; a lock kept by the failed
    session would make every later writer wait for lock_timeout."""
    with pgha_server_module.connect(autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS wq_gone")
        conn.execute("CREATE TABLE wq_gone (id int PRIMARY KEY, who text)")
        conn.execute("INSERT INTO wq_gone VALUES (1, 'x')")
    waiter = pgha_server_module.connect(autocommit=True)
    with waiter.transaction():  # the point write is prepared and translated
        waiter.execute("UPDATE wq_gone SET who = %s WHERE id = %s", ("w", 1), prepare=True)
    results: dict[str, object] = {}
    with pgha_server_module.connect(autocommit=False) as holder:
        holder.execute("DROP TABLE wq_gone")  # holds the write lock until it commits

        def run() -> None:
            try:
                with waiter.transaction():
                    waiter.execute("UPDATE wq_gone SET who = %s WHERE id = %s", ("w", 1),
                                   prepare=True)
                results["waiter"] = "written"
            except psycopg.Error as exc:
                results["waiter"] = exc

        thread = threading.Thread(target=run)
        thread.start()
        time.sleep(0.3)
        holder.commit()
        thread.join(10)
    assert isinstance(results["waiter"], psycopg.errors.UndefinedTable), results
    with pgha_server_module.connect(autocommit=True) as conn:
        conn.execute("SET lock_timeout = '2s'")
        conn.execute("INSERT INTO wq (who) VALUES ('next')")  # 55P03 if the lock leaked
    waiter.close()
