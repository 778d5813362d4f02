"""Crash durability of one `pgha server`: everything committed before a `kill -9` is there after
the restart, nothing that was not committed is, across several crash/restart cycles."""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from typing import Any

import psycopg
import pytest

from fixtures.pgha_server import PghaServer

Conn = psycopg.Connection[Any]


def _crash_and_restart(server: PghaServer) -> None:
    assert server.kill(signal.SIGKILL) == -signal.SIGKILL
    server.restart()


def _ids(server: PghaServer, table: str) -> list[int]:
    with server.connect() as conn:
        return [row[0] for row in conn.execute(f"select id from {table} order by id")]


def test_committed_rows_survive_kill_9(pgha_server: PghaServer) -> None:
    with pgha_server.connect() as conn:
        conn.execute("create table dur_a (id int primary key, payload text)")
        # Autocommit statements.
        for i in range(1, 11):
            conn.execute("insert into dur_a values (%s, %s)", (i, f"auto {i}"))
        conn.execute("update dur_a set payload = 'updated' where id = 1")
        conn.execute("delete from dur_a where id = 2")
        # An explicit transaction.
        with conn.transaction():
            conn.execute("insert into dur_a values (11, 'tx'), (12, 'tx')")
        # psycopg's implicit transaction + commit().
    with pgha_server.connect(autocommit=False) as conn:
        conn.execute("insert into dur_a values (13, 'implicit')")
        conn.commit()
        # A COPY.
        with conn.cursor().copy("copy dur_a from stdin") as copy:
            for i in range(100, 150):
                copy.write_row((i, f"copied {i}"))
        conn.commit()

    _crash_and_restart(pgha_server)

    expected = [1, *range(3, 14), *range(100, 150)]
    assert _ids(pgha_server, "dur_a") == expected
    with pgha_server.connect() as conn:
        assert conn.execute("select payload from dur_a where id = 1").fetchone() == ("updated",)
        assert conn.execute("select payload from dur_a where id = 149").fetchone() == (
            "copied 149",
        )
        # The primary key index survived too.
        with pytest.raises(psycopg.errors.UniqueViolation):
            conn.execute("insert into dur_a values (3, 'dup')")


def test_uncommitted_transaction_lost_at_kill(pgha_server: PghaServer) -> None:
    with pgha_server.connect() as conn:
        conn.execute("create table dur_b (id int primary key)")
        conn.execute("insert into dur_b values (1)")
    open_tx = pgha_server.connect(autocommit=False)
    open_tx.execute("insert into dur_b values (2)")
    open_tx.execute("update dur_b set id = 10 where id = 1")
    with open_tx.cursor().copy("copy dur_b from stdin") as copy:
        copy.write_row((3,))
    # The open transaction's writes are not visible to others, and are lost at the crash.
    assert _ids(pgha_server, "dur_b") == [1]

    _crash_and_restart(pgha_server)
    open_tx.close()

    assert _ids(pgha_server, "dur_b") == [1]
    with pgha_server.connect() as conn:
        # The table is writable (no lock left behind by the dead transaction).
        conn.execute("insert into dur_b values (2)")
    assert _ids(pgha_server, "dur_b") == [1, 2]


def test_repeated_crash_cycles(pgha_server: PghaServer) -> None:
    with pgha_server.connect() as conn:
        conn.execute("create table dur_c (id int primary key, cycle int, note text)")
    committed: list[int] = []
    next_id = 1
    for cycle in range(3):
        with pgha_server.connect() as conn:
            for _ in range(5):
                conn.execute("insert into dur_c values (%s, %s, 'auto')", (next_id, cycle))
                committed.append(next_id)
                next_id += 1
            with conn.transaction():
                conn.execute(
                    "insert into dur_c select g, %s, 'tx' from generate_series(%s, %s) g",
                    (cycle, next_id, next_id + 9),
                )
            committed.extend(range(next_id, next_id + 10))
            next_id += 10
            conn.execute("update dur_c set note = %s where cycle = %s", (f"c{cycle}", cycle))
        uncommitted = pgha_server.connect(autocommit=False)
        uncommitted.execute("insert into dur_c values (%s, %s, 'lost')", (10_000 + cycle, cycle))
        uncommitted.execute("delete from dur_c where id = 1")

        _crash_and_restart(pgha_server)
        uncommitted.close()

        assert _ids(pgha_server, "dur_c") == committed, f"after crash {cycle + 1}"
        with pgha_server.connect() as conn:
            notes = conn.execute(
                "select cycle, count(*), min(note), max(note) from dur_c group by cycle "
                "order by cycle"
            ).fetchall()
        assert notes == [(c, 15, f"c{c}", f"c{c}") for c in range(cycle + 1)]


def test_clean_restart_keeps_schema_and_sequences(pgha_server: PghaServer) -> None:
    with pgha_server.connect() as conn:
        conn.execute("create table dur_d (id serial primary key, v text not null)")
        conn.execute("insert into dur_d (v) values ('a'), ('b')")
    pgha_server.restart()
    with pgha_server.connect() as conn:
        conn.execute("insert into dur_d (v) values ('c')")
        assert conn.execute("select id, v from dur_d order by id").fetchall() == [
            (1, "a"),
            (2, "b"),
            (3, "c"),
        ]
        with pytest.raises(psycopg.errors.NotNullViolation):
            conn.execute("insert into dur_d (v) values (null)")
    _crash_and_restart(pgha_server)
    with pgha_server.connect() as conn:
        conn.execute("insert into dur_d (v) values ('d')")
        # The failed insert took 4 (as in PostgreSQL, a sequence never goes back), and that
        # survived the crash.
        assert conn.execute("select max(id) from dur_d").fetchone() == (5,)


@pytest.mark.parametrize("commit", ["simple", "prepared"])
def test_blocks_committed_on_the_event_loop_survive_kill_9(pgha_server: PghaServer,
                                                           commit: str) -> None:
    """Blocks of prepared point writes from several sessions at once: their commits run on
    the node's event loop and wait for one flusher thread's fsync (group commit). Every
    commit a client saw acknowledged before the kill -9 is there after the restart; the
    commits in flight at the kill are either whole or absent. BEGIN and COMMIT are sent as
    simple Queries, or prepared (Bind/Execute/Sync, as pgbench -M prepared sends END: the
    COMMIT then runs on the fast path, its reply left to the Sync that waits for the flush)."""
    with pgha_server.connect() as conn:
        conn.execute("create table dur_loop (id int primary key, worker int, n int)")
        conn.execute("create table dur_loop_sum (worker int primary key, total int)")
        conn.execute("insert into dur_loop_sum select g, 0 from generate_series(0, 5) g")
    acknowledged: dict[int, int] = {}
    stop = threading.Event()

    def work(worker: int) -> None:
        n = 0
        try:
            with pgha_server.connect() as c:
                c.autocommit = commit == "prepared"  # then BEGIN and COMMIT are statements
                while not stop.is_set():
                    n += 1
                    with c.transaction() if commit == "simple" else contextlib.nullcontext():
                        if commit == "prepared":
                            c.execute("BEGIN", prepare=True)
                        c.execute("insert into dur_loop values (%s, %s, %s)",
                                  (worker * 1_000_000 + n, worker, n), prepare=True)
                        c.execute("update dur_loop_sum set total = total + 1 where worker = %s",
                                  (worker,), prepare=True)
                        if commit == "prepared":
                            c.execute("COMMIT", prepare=True)
                    acknowledged[worker] = n
        except psycopg.Error:
            pass  # the node was killed

    threads = [threading.Thread(target=work, args=(w,)) for w in range(6)]
    for t in threads:
        t.start()
    time.sleep(2.0)
    assert pgha_server.kill(signal.SIGKILL) == -signal.SIGKILL
    stop.set()
    for t in threads:
        t.join(30)
    assert sum(acknowledged.values()) > 50, acknowledged  # the load ran
    pgha_server.restart()
    with pgha_server.connect() as conn:
        for worker in range(6):
            rows = [r[0] for r in conn.execute(
                "select n from dur_loop where worker = %s order by n", (worker,))]
            total = conn.execute("select total from dur_loop_sum where worker = %s",
                                 (worker,)).fetchone()
            assert rows == list(range(1, len(rows) + 1))  # no gap: commits are in order
            assert len(rows) >= acknowledged.get(worker, 0), (worker, acknowledged)
            assert len(rows) <= acknowledged.get(worker, 0) + 1  # at most the one in flight
            assert total == (len(rows),)  # each block whole or absent
