"""Crash durability of one `pgha server`: everything committed before a `kill -9` is there after
the restart, nothing that was not committed is, across several crash/restart cycles."""

from __future__ import annotations

import signal
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
