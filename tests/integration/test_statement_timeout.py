"""statement_timeout is enforced: a statement that runs longer is cancelled with 57014
"canceling statement due to statement timeout", as PostgreSQL does, whether it computes, sleeps
or waits for another transaction's writes; the session goes on afterwards. A session idle in a
transaction block longer than idle_in_transaction_session_timeout is ended (FATAL 25P03), which
frees the write lock it held. Each test but the write-lock one runs against pgha and against
PostgreSQL 15, which must behave alike."""

from __future__ import annotations

import time
from typing import Any

import psycopg
import pytest

from fixtures.pgha_server import PghaServer

LONG_QUERY = ("WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r "
              "WHERE i < 200000000) SELECT count(*) FROM r")


@pytest.fixture(params=["pgha", "postgresql"])
def dsn(request: pytest.FixtureRequest, pgha_server_module: PghaServer) -> str:
    if request.param == "pgha":
        return pgha_server_module.dsn
    return str(request.getfixturevalue("postgres_db"))


def _connect(dsn: str, autocommit: bool = True) -> psycopg.Connection[Any]:
    return psycopg.connect(dsn, autocommit=autocommit, connect_timeout=10)


def _timed_out(conn: psycopg.Connection, sql: str) -> float:
    started = time.monotonic()
    with pytest.raises(psycopg.errors.QueryCanceled) as info:
        conn.execute(sql)
    assert info.value.diag.message_primary == "canceling statement due to statement timeout"
    return time.monotonic() - started


def test_a_long_query_is_cancelled(dsn: str) -> None:
    with _connect(dsn) as conn:
        conn.execute("SET statement_timeout = '300ms'")
        assert _timed_out(conn, LONG_QUERY) < 3
        assert conn.execute("SELECT 1").fetchone() == (1,)  # the session goes on
        assert _timed_out(conn, "SELECT pg_sleep(10)") < 3
        conn.execute("SET statement_timeout = 0")
        conn.execute("SELECT pg_sleep(0.5)")  # 0: no limit


def test_a_timeout_in_a_block_aborts_the_block(dsn: str) -> None:
    with _connect(dsn) as conn:
        conn.execute("DROP TABLE IF EXISTS st")
        conn.execute("CREATE TABLE st (id int PRIMARY KEY)")
        conn.execute("SET statement_timeout = '300ms'")
        conn.execute("BEGIN")
        conn.execute("INSERT INTO st VALUES (1)")
        _timed_out(conn, LONG_QUERY)
        with pytest.raises(psycopg.errors.InFailedSqlTransaction):
            conn.execute("SELECT 1")
        conn.execute("ROLLBACK")
        assert conn.execute("SELECT count(*) FROM st").fetchone() == (0,)
        conn.execute("INSERT INTO st VALUES (2)")
        assert conn.execute("SELECT id FROM st").fetchall() == [(2,)]


def test_a_wait_for_the_write_lock_times_out(pgha_server_module: PghaServer) -> None:
    with pgha_server_module.connect(autocommit=True) as setup:
        setup.execute("DROP TABLE IF EXISTS st2")
        setup.execute("CREATE TABLE st2 (id int)")
    with pgha_server_module.connect(autocommit=False) as holder, \
            pgha_server_module.connect(autocommit=True) as waiter:
        holder.execute("INSERT INTO st2 VALUES (1)")  # holds the write lock
        waiter.execute("SET statement_timeout = '300ms'")
        assert _timed_out(waiter, "INSERT INTO st2 VALUES (2)") < 3
        holder.commit()
        waiter.execute("INSERT INTO st2 VALUES (3)")
        assert waiter.execute("SELECT id FROM st2 ORDER BY id").fetchall() == [(1,), (3,)]


def test_idle_in_transaction_timeout_ends_the_session(dsn: str) -> None:
    with _connect(dsn) as setup:
        setup.execute("DROP TABLE IF EXISTS st3")
        setup.execute("CREATE TABLE st3 (id int)")
    idle = _connect(dsn, autocommit=False)
    idle.execute("SET idle_in_transaction_session_timeout = '300ms'")
    idle.execute("INSERT INTO st3 VALUES (1)")  # a block holding the write lock, then idle
    time.sleep(1)
    with pytest.raises(psycopg.errors.IdleInTransactionSessionTimeout) as info:
        idle.execute("SELECT 1")
    assert info.value.diag.severity == "FATAL"
    idle.close()
    with _connect(dsn) as other:
        other.execute("SET lock_timeout = '2s'")  # the write lock went with the session
        other.execute("INSERT INTO st3 VALUES (2)")
        assert other.execute("SELECT id FROM st3").fetchall() == [(2,)]
        # Outside a block the timeout does not apply.
        other.execute("SET idle_in_transaction_session_timeout = '300ms'")
        time.sleep(0.6)
        assert other.execute("SELECT 1").fetchone() == (1,)
