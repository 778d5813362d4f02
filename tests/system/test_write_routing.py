"""Transparent write routing on standbys, read-your-writes and causal tokens, with real
clients (psql, psycopg, asyncpg, pgbench) against real `pgha server` processes.

A client connected to a standby runs writes and transactions as if the standby were the
primary: the standby forwards them and relays the primary's replies exactly (tags, RETURNING
rows, errors with their SQLSTATE, COPY). A session always reads its own writes, even while the
standby's replication link is slowed down (the read waits, or runs on the primary); another
connection gets the same freshness with the causal token.
"""

from __future__ import annotations

import asyncio
import subprocess
import threading
import time
from collections.abc import Callable

import asyncpg
import psycopg
import pytest
from psycopg import sql

from fixtures.pgha_server import PghaFactory, PghaServer
from fixtures.ports import free_port
from fixtures.relay import FaultRelay


def _pair(factory: PghaFactory, relay: Callable[[str, int], FaultRelay] | None = None,
          *standby_args: str) -> tuple[PghaServer, PghaServer, FaultRelay | None]:
    port = free_port()
    primary = factory("--node-id", "n1", "--ha-mode", "primary", "--ha-bind",
                      f"127.0.0.1:{port}")
    link = relay("127.0.0.1", port) if relay is not None else None
    upstream = f"127.0.0.1:{link.address[1] if link else port}"
    standby = factory("--node-id", "n2", "--ha-mode", "standby", "--ha-bind",
                      f"127.0.0.1:{free_port()}", "--ha-primary", upstream, *standby_args)
    return primary, standby, link


def _psql(server: PghaServer, *commands: str) -> str:
    argv = ["psql", "-X", "-v", "ON_ERROR_STOP=1", "-h", server.host, "-p", str(server.port),
            "-U", "postgres", "-d", "postgres", "-At"]
    for command in commands:
        argv += ["-c", command]
    return subprocess.run(argv, capture_output=True, text=True, check=True, timeout=60).stdout


def test_psql_on_a_standby_creates_inserts_and_reads_back(pgha_factory: PghaFactory) -> None:
    primary, standby, _ = _pair(pgha_factory)
    out = _psql(standby,
                "CREATE TABLE notes (id serial PRIMARY KEY, body text)",
                "INSERT INTO notes (body) VALUES ('one'), ('two') RETURNING id, body",
                "SELECT string_agg(body, ',' ORDER BY id) FROM notes",
                "SELECT role FROM pg_replication_status")
    assert out.split("\n")[:6] == ["CREATE TABLE", "1|one", "2|two", "INSERT 0 2", "one,two",
                                   "standby"]
    with primary.connect(autocommit=True) as conn:
        assert conn.execute("SELECT count(*) FROM notes").fetchone() == (2,)


def test_forwarded_errors_transactions_and_copy_behave_as_on_the_primary(
        pgha_factory: PghaFactory) -> None:
    primary, standby, _ = _pair(pgha_factory)
    with standby.connect(autocommit=True) as conn:
        conn.execute("CREATE TABLE acct (id int PRIMARY KEY, balance numeric)")
        conn.execute("INSERT INTO acct VALUES (1, 10)")
        with pytest.raises(psycopg.errors.UniqueViolation):
            conn.execute("INSERT INTO acct VALUES (1, 20)")
        with pytest.raises(psycopg.errors.UndefinedTable):
            conn.execute("INSERT INTO nope VALUES (1)")
        with conn.transaction():
            conn.execute("UPDATE acct SET balance = balance + 5 WHERE id = 1")
            # Inside the transaction, reads run on the primary too: they see the update.
            assert conn.execute("SELECT balance FROM acct").fetchone() == (15,)
            assert conn.execute("SELECT pg_is_in_recovery()").fetchone() == (False,)
        with pytest.raises(psycopg.errors.DivisionByZero), conn.transaction():
            conn.execute("UPDATE acct SET balance = 0")
            conn.execute("SELECT 1 / 0")
        with conn.cursor().copy("COPY acct FROM STDIN") as copy:
            for i in range(2, 102):
                copy.write_row((i, i * 0.5))
        assert conn.execute("SELECT count(*), sum(balance) FROM acct").fetchone() == (101, 2590)
        assert conn.execute("SELECT pg_is_in_recovery()").fetchone() == (True,)
    with primary.connect(autocommit=True) as conn:
        assert conn.execute("SELECT balance FROM acct WHERE id = 1").fetchone() == (15,)


def test_prepared_statements_and_pipelines_through_a_standby(pgha_factory: PghaFactory) -> None:
    _, standby, _ = _pair(pgha_factory)
    with psycopg.connect(standby.dsn, autocommit=True, prepare_threshold=1) as conn:
        conn.execute("CREATE TABLE kv (k int PRIMARY KEY, v text)")
        for i in range(10):  # prepared after the first execution
            conn.execute("INSERT INTO kv VALUES (%s, %s)", (i, f"v{i}"))
            assert conn.execute("SELECT v FROM kv WHERE k = %s", (i,)).fetchone() == (f"v{i}",)
        with conn.pipeline():
            conn.execute("INSERT INTO kv VALUES (%s, 'p')", (100,))
            cur = conn.execute("SELECT count(*) FROM kv")
        assert cur.fetchone() == (11,)

    async def run() -> None:
        conn = await asyncpg.connect(host=standby.host, port=standby.port, user="postgres",
                                     database="postgres")
        try:
            insert = await conn.prepare("INSERT INTO kv VALUES ($1, $2) RETURNING k, v")
            for i in range(200, 205):
                assert tuple(await insert.fetchrow(i, "a")) == (i, "a")
            async with conn.transaction():
                await conn.execute("UPDATE kv SET v = $1 WHERE k = $2", "b", 200)
                assert await conn.fetchval("SELECT v FROM kv WHERE k = 200") == "b"
            assert await conn.fetchval("SELECT count(*) FROM kv") == 16
        finally:
            await conn.close()

    asyncio.run(run())


def test_read_your_writes_with_a_slow_replication_link(
        pgha_factory: PghaFactory, fault_relay: Callable[[str, int], FaultRelay]) -> None:
    _, standby, link = _pair(pgha_factory, fault_relay)
    assert link is not None
    with standby.connect(autocommit=True) as conn:
        conn.execute("CREATE TABLE events (session int, n int, PRIMARY KEY (session, n))")
    link.delay(0.2)  # the standby applies each commit at least 200 ms late
    stale: list[tuple[int, int]] = []
    errors: list[BaseException] = []

    def client(session: int) -> None:
        try:
            with standby.connect(autocommit=True) as conn:
                conn.execute("SET pgha.ryw_timeout = 100")  # half the time: primary fallback
                for n in range(15):
                    conn.execute("INSERT INTO events VALUES (%s, %s)", (session, n))
                    seen = conn.execute("SELECT count(*) FROM events WHERE session = %s",
                                        (session,)).fetchone()
                    if seen != (n + 1,):
                        stale.append((session, n))
        except BaseException as exc:  # reported below, with the stale reads
            errors.append(exc)

    threads = [threading.Thread(target=client, args=(s,)) for s in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert stale == []
    with standby.connect(autocommit=True) as conn:
        waits, fallbacks = conn.execute(
            "SELECT ryw_waits, ryw_fallbacks FROM pg_replication_metrics").fetchone()
    assert waits > 0 and fallbacks > 0  # the slow link was felt, and handled


def test_causal_token_carries_freshness_to_another_connection(
        pgha_factory: PghaFactory, fault_relay: Callable[[str, int], FaultRelay]) -> None:
    primary, standby, link = _pair(pgha_factory, fault_relay)
    assert link is not None
    with primary.connect(autocommit=True) as conn:
        conn.execute("CREATE TABLE msgs (id int PRIMARY KEY)")
    time.sleep(0.3)
    link.delay(0.5)
    with primary.connect(autocommit=True) as writer:
        writer.execute("INSERT INTO msgs VALUES (1)")
        token = writer.execute("SHOW pgha.last_commit_lsn").fetchone()[0]
    with standby.connect(autocommit=True) as reader:
        reader.execute(sql.SQL("SET pgha.min_lsn = {}").format(sql.Literal(token)))
        assert reader.execute("SELECT count(*) FROM msgs").fetchone() == (1,)
        with pytest.raises(psycopg.errors.InvalidTextRepresentation):
            reader.execute("SET pgha.min_lsn = 'yesterday'")


def test_reject_mode_refuses_writes_on_a_standby(pgha_factory: PghaFactory) -> None:
    _, standby, _ = _pair(pgha_factory, None, "--standby-writes", "reject")
    with standby.connect(autocommit=True) as conn, \
            pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
        conn.execute("CREATE TABLE t (a int)")


def test_pgbench_writes_through_a_standby_stay_consistent(pgha_factory: PghaFactory) -> None:
    primary, standby, _ = _pair(pgha_factory)
    conn_args = ["-h", standby.host, "-p", str(standby.port), "-U", "postgres", "postgres"]
    subprocess.run(["pgbench", "-i", "-s", "1", "-q", *conn_args], check=True,
                   capture_output=True, timeout=120)
    with primary.connect(autocommit=True) as conn:
        token = conn.execute("SELECT current_lsn FROM pg_replication_status").fetchone()[0]
    for mode in ("simple", "prepared"):
        run = subprocess.run(["pgbench", "-n", "-N", "-M", mode, "-c", "2", "-t", "50",
                              *conn_args], capture_output=True, text=True, timeout=120,
                             env={"PGOPTIONS": f"-c pgha.min_lsn={token}", "PATH": "/usr/bin"})
        assert run.returncode == 0, run.stderr
        assert "number of failed transactions: 0" in run.stdout
    with primary.connect(autocommit=True) as conn:
        assert conn.execute("SELECT sum(abalance) = (SELECT sum(delta) FROM pgbench_history), "
                            "(SELECT count(*) FROM pgbench_history) FROM pgbench_accounts"
                            ).fetchone() == (True, 200)
