"""`pgha proxy` in front of real PostgreSQL 15: a primary and a streaming hot standby.

The fixtures start the primary, a fault relay in front of it, and a standby made with
`pg_basebackup -R` whose replication connection goes through the relay (so a test can delay
it). Checked through the proxy with real clients: writes go to the primary and plain reads to
the standby; 8 sessions that write then read back never read stale data, with the standby's
replication delayed and without; the causal token (`SHOW pgha.last_commit_lsn` on one
connection, `SET pgha.min_lsn` on another); `pgha.*` settings are the proxy's own and never
reach PostgreSQL; a transaction stays on one backend; psycopg, asyncpg (including
`copy_records_to_table`), psql and pgbench; a promotion of the standby is followed, and two
servers that both claim to be the primary get writes refused.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import psycopg
import pytest

from fixtures.cluster import wait_for
from fixtures.postgres import (
    PostgresServer,
    PostgresUnavailable,
    find_bindir,
    start_postgres,
    start_standby,
)
from fixtures.proxy import ProxyProcess
from fixtures.relay import FaultRelay
from pgha.wire import codec
from pgha.wire import messages as m

pytestmark = pytest.mark.postgres


def _bindir() -> Path:
    """PostgreSQL 15's binaries, or skip (fail when PGHA_REQUIRE_POSTGRES=1, as in CI)."""
    try:
        return find_bindir()
    except PostgresUnavailable as exc:
        if os.environ.get("PGHA_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"PGHA_REQUIRE_POSTGRES=1 but {exc}", pytrace=False)
        pytest.skip(str(exc))


@dataclass
class Pair:
    primary: PostgresServer
    standby: PostgresServer
    replication: FaultRelay  # the standby's replication connection goes through it
    proxy: ProxyProcess


def _pair(tmp_path: Path, relay: Callable[[str, int], FaultRelay],
          *proxy_args: str) -> Iterator[Pair]:
    bindir = _bindir()
    primary = start_postgres(bindir)
    standby: PostgresServer | None = None
    proxy: ProxyProcess | None = None
    try:
        link = relay(primary.host, primary.port)
        standby = start_standby(primary, upstream_port=link.address[1])
        proxy = ProxyProcess(tmp_path / "proxy", [primary, standby], *proxy_args)
        pair = Pair(primary, standby, link, proxy)
        wait_for(lambda: _replicating(pair), "the standby to stream")
        yield pair
    finally:
        if proxy is not None:
            proxy.stop()
        if standby is not None:
            standby.stop()
        primary.stop()


def _replicating(pair: Pair) -> bool:
    with pair.primary.connect() as conn:
        row = conn.execute("SELECT count(*) FROM pg_stat_replication "
                           "WHERE state = 'streaming'").fetchone()
    return row is not None and row[0] == 1


@pytest.fixture
def pair(tmp_path: Path, fault_relay: Callable[[str, int], FaultRelay]) -> Iterator[Pair]:
    yield from _pair(tmp_path, fault_relay)


def _in_recovery(conn: psycopg.Connection[tuple[object, ...]]) -> bool:
    row = conn.execute("SELECT pg_is_in_recovery()").fetchone()
    assert row is not None
    return bool(row[0])


def test_writes_go_to_the_primary_and_reads_to_the_standby(pair: Pair) -> None:
    with psycopg.connect(pair.proxy.dsn, autocommit=True) as conn:
        conn.execute("CREATE TABLE t (k int PRIMARY KEY, v text)")
        conn.execute("INSERT INTO t VALUES (1, 'one')")
        row = conn.execute("SELECT v, pg_is_in_recovery() FROM t WHERE k = 1").fetchone()
        assert row == ("one", True)  # read back on the standby, and already there
        notices: list[str] = []
        conn.add_notice_handler(lambda d: notices.append(d.message_primary or ""))
        conn.execute("SET pgha.explain_route = on")
        conn.execute("SELECT 1")
        conn.execute("UPDATE t SET v = 'uno' WHERE k = 1")
        assert notices[0].startswith("proxy route: standby"), notices
        assert notices[1] == "proxy route: primary (UPDATE writes)", notices
        # A write of the function kind runs on the primary too.
        assert conn.execute("SELECT pg_is_in_recovery(), txid_current() > 0").fetchone() == (
            False, True)


def test_pgha_settings_are_the_proxys_and_never_reach_postgresql(pair: Pair) -> None:
    with psycopg.connect(pair.proxy.dsn, autocommit=True) as conn:
        conn.execute("SET pgha.route = primary")
        assert conn.execute("SHOW pgha.route").fetchone() == ("primary",)
        assert _in_recovery(conn) is False
        # Neither backend knows the setting (PostgreSQL would accept it as a placeholder).
        assert conn.execute("SELECT current_setting('pgha.route', true)").fetchone() == (None,)
        conn.execute("RESET pgha.route")
        assert _in_recovery(conn) is True
        assert conn.execute("SELECT current_setting('pgha.route', true)").fetchone() == (None,)
        with pytest.raises(psycopg.errors.InvalidParameterValue):
            conn.execute("SET pgha.route = sideways")
        with pytest.raises(psycopg.errors.InvalidTextRepresentation):
            conn.execute("SET pgha.min_lsn = 'not an lsn'")
        # The same through the simple protocol, and as a start-up option.
        conn.execute("SET pgha.ryw_timeout = '3s'", prepare=False)
        assert conn.execute("SHOW pgha.ryw_timeout").fetchone() == ("3000",)
    with psycopg.connect(pair.proxy.dsn, autocommit=True,
                         options="-c pgha.route=primary") as conn:
        assert _in_recovery(conn) is False
        assert conn.execute("SELECT current_setting('pgha.route', true)").fetchone() == (None,)


def test_read_your_writes_with_a_delayed_standby(pair: Pair) -> None:
    with psycopg.connect(pair.proxy.dsn, autocommit=True) as conn:
        conn.execute("CREATE TABLE ryw (session int, n int, PRIMARY KEY (session, n))")
    stale: list[tuple[int, int]] = []
    on_standby = [0]
    reads = [0]
    lock = threading.Lock()

    def session(number: int, rounds: int) -> None:
        with psycopg.connect(pair.proxy.dsn, autocommit=True) as conn:
            for n in range(rounds):
                conn.execute("INSERT INTO ryw VALUES (%s, %s)", (number, n))
                row = conn.execute("SELECT count(*), pg_is_in_recovery() FROM ryw "
                                   "WHERE session = %s AND n = %s", (number, n)).fetchone()
                assert row is not None
                with lock:
                    reads[0] += 1
                    on_standby[0] += bool(row[1])
                    if row[0] != 1:
                        stale.append((number, n))

    def run(rounds: int) -> None:
        threads = [threading.Thread(target=session, args=(i, rounds)) for i in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)

    run(40)
    assert not stale
    assert on_standby[0] >= reads[0] * 0.5, (on_standby[0], reads[0])  # mostly the standby
    # Now the standby applies everything 50 ms late: reads wait for it (or use the primary).
    pair.replication.delay(0.05)
    with psycopg.connect(pair.proxy.dsn, autocommit=True) as conn:
        conn.execute("DELETE FROM ryw")
    reads[0] = on_standby[0] = 0
    run(15)
    assert not stale, stale
    assert reads[0] == 8 * 15


def test_causal_token_carries_freshness_to_another_connection(pair: Pair) -> None:
    pair.replication.delay(0.3)
    with psycopg.connect(pair.proxy.dsn, autocommit=True) as writer, \
            psycopg.connect(pair.proxy.dsn, autocommit=True) as reader:
        writer.execute("CREATE TABLE token (k int)")
        writer.execute("INSERT INTO token VALUES (7)")
        row = writer.execute("SHOW pgha.last_commit_lsn").fetchone()
        assert row is not None and row[0] != "0/0"
        reader.execute(f"SET pgha.min_lsn = '{row[0]}'", prepare=False)
        assert reader.execute("SELECT k FROM token").fetchone() == (7,)


def test_a_transaction_stays_on_one_backend(pair: Pair) -> None:
    with psycopg.connect(pair.proxy.dsn, autocommit=True) as conn:
        conn.execute("CREATE TABLE affinity (k int)")
        with conn.transaction():
            first = conn.execute("SELECT pg_backend_pid(), pg_is_in_recovery()").fetchone()
            conn.execute("INSERT INTO affinity VALUES (1)")
            again = conn.execute("SELECT pg_backend_pid(), pg_is_in_recovery()").fetchone()
        assert first == again and first is not None and first[1] is False
        conn.execute("BEGIN READ ONLY")
        first = conn.execute("SELECT pg_backend_pid(), pg_is_in_recovery()").fetchone()
        again = conn.execute("SELECT pg_backend_pid(), pg_is_in_recovery()").fetchone()
        conn.execute("COMMIT")
        assert first == again and first is not None and first[1] is True


def test_asyncpg_including_copy_records_to_table(pair: Pair) -> None:
    async def run() -> None:
        conn = await asyncpg.connect(host="127.0.0.1", port=pair.proxy.port, user="postgres",
                                     database="postgres")
        try:
            await conn.execute("CREATE TABLE rows (k int PRIMARY KEY, v text)")
            await conn.copy_records_to_table("rows", records=[(i, f"v{i}") for i in range(500)])
            assert await conn.fetchval("SELECT count(*) FROM rows") == 500
            async with conn.transaction():
                await conn.execute("UPDATE rows SET v = $1 WHERE k = $2", "changed", 3)
            assert await conn.fetchval("SELECT v FROM rows WHERE k = $1", 3) == "changed"
            statement = await conn.prepare("SELECT v FROM rows WHERE k = $1")
            assert [await statement.fetchval(k) for k in (1, 2)] == ["v1", "v2"]
        finally:
            await conn.close()

    asyncio.run(run())


def test_psql_and_pgbench(pair: Pair) -> None:
    psql = shutil.which("psql") or str(pair.primary.bindir / "psql")
    pgbench = str(pair.primary.bindir / "pgbench")
    target = ["-h", "127.0.0.1", "-p", str(pair.proxy.port), "-U", "postgres"]
    out = subprocess.run([psql, *target, "-X", "-At", "-c", "CREATE TABLE p (k int)", "-c",
                          "INSERT INTO p VALUES (1)", "-c", "SELECT count(*) FROM p", "postgres"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split()[-1] == "1"  # the count, after the command tags
    init = subprocess.run([pgbench, *target, "-i", "-s", "1", "-q", "postgres"],
                          capture_output=True, text=True, timeout=120)
    assert init.returncode == 0, init.stderr
    for mode in ("simple", "extended", "prepared"):
        run = subprocess.run([pgbench, *target, "-n", "-c", "4", "-t", "50", "-M", mode,
                              "postgres"], capture_output=True, text=True, timeout=120)
        assert run.returncode == 0, run.stderr
        assert "number of failed transactions: 0" in run.stdout, run.stdout
        ro = subprocess.run([pgbench, *target, "-n", "-S", "-c", "4", "-t", "100", "-M", mode,
                             "postgres"], capture_output=True, text=True, timeout=120)
        assert ro.returncode == 0, ro.stderr


def test_a_promotion_is_followed_and_two_primaries_refuse_writes(pair: Pair) -> None:
    conn = psycopg.connect(pair.proxy.dsn, autocommit=True)
    with conn:
        conn.execute("CREATE TABLE promo (k int)")
        conn.execute("INSERT INTO promo VALUES (1)")
        wait_for(lambda: _count(pair.standby, "promo") == 1, "the row to reach the standby")
        pair.standby.promote()  # the old primary is still up: two servers claim the primary

        def refused() -> bool:
            try:
                conn.execute("INSERT INTO promo VALUES (2)")
            except psycopg.errors.CannotConnectNow as exc:
                assert "more than one server claims to be the primary" in str(exc)
                return True
            return False

        wait_for(refused, "writes to be refused while two servers claim the primary")
        with pytest.raises(psycopg.OperationalError, match="more than one server claims"):
            psycopg.connect(pair.proxy.dsn, connect_timeout=20)
        pair.primary.stop()
        wait_for(lambda: conn.execute("INSERT INTO promo VALUES (3)") is not None,
                 "a write through the same session to reach the promoted server")
        assert conn.execute("SELECT count(*), bool_or(pg_is_in_recovery()) FROM promo"
                            ).fetchone() == (2, False)
    with psycopg.connect(pair.proxy.dsn, autocommit=True, connect_timeout=20) as fresh:
        fresh.execute("INSERT INTO promo VALUES (4)")
        assert _count(pair.standby, "promo") == 3


def _count(server: PostgresServer, table: str) -> int:
    with server.connect() as conn:
        row = conn.execute(f"SELECT count(*) FROM {table}").fetchone()
    return int(row[0]) if row else 0



@pytest.fixture
def pooled(tmp_path: Path, fault_relay: Callable[[str, int], FaultRelay]) -> Iterator[Pair]:
    yield from _pair(tmp_path, fault_relay, "--pool-mode", "transaction", "--pool-size", "3")


def _backends(server: PostgresServer) -> int:
    with server.connect() as conn:
        row = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE backend_type = "
                           "'client backend' AND application_name <> 'pgha proxy health "
                           "check' AND pid <> pg_backend_pid()").fetchone()
    return int(row[0]) if row else 0


def test_transaction_pooling_shares_few_server_connections(pooled: Pair) -> None:
    with psycopg.connect(pooled.proxy.dsn, autocommit=True) as conn:
        conn.execute("CREATE TABLE counter (k int PRIMARY KEY, n int)")
        conn.execute("INSERT INTO counter VALUES (1, 0)")
    errors: list[BaseException] = []

    def client() -> None:
        try:
            # prepare_threshold=0: every statement is a named prepared statement, so clients
            # prepare the same names ("_pg3_0"...) on shared server connections.
            with psycopg.connect(pooled.proxy.dsn, autocommit=True,
                                 prepare_threshold=0) as conn:
                for _ in range(20):
                    with conn.transaction():
                        conn.execute("UPDATE counter SET n = n + 1 WHERE k = %s", (1,))
                    conn.execute("SELECT n FROM counter WHERE k = %s", (1,)).fetchone()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=client) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not errors, errors
    with psycopg.connect(pooled.proxy.dsn, autocommit=True) as conn:
        assert conn.execute("SELECT n FROM counter WHERE k = 1").fetchone() == (240,)
    # 12 clients, but at most 3 server connections per server (and user, database, options)
    assert _backends(pooled.primary) <= 3
    assert _backends(pooled.standby) <= 3


def test_transaction_pooling_keeps_each_sessions_settings_and_pins_what_it_must(
        pooled: Pair) -> None:
    with psycopg.connect(pooled.proxy.dsn, autocommit=True) as a, \
            psycopg.connect(pooled.proxy.dsn, autocommit=True) as b:
        a.execute("SET application_name = 'client a'")
        b.execute("SET statement_timeout = '4s'")
        for _ in range(5):  # whichever server connection runs them, each sees its own
            assert a.execute("SHOW application_name").fetchone() == ("client a",)
            assert a.execute("SHOW statement_timeout").fetchone() == ("0",)
            assert b.execute("SHOW application_name").fetchone() == ("",)
            assert b.execute("SHOW statement_timeout").fetchone() == ("4s",)
        a.execute("RESET ALL")
        assert a.execute("SHOW application_name").fetchone() == ("",)
        # A temporary table pins the client to its server connection for good.
        a.execute("CREATE TEMP TABLE mine (k int)")
        a.execute("INSERT INTO mine VALUES (1)")
        for _ in range(3):
            b.execute("SELECT 1")
            assert a.execute("SELECT count(*) FROM mine").fetchone() == (1,)


def test_transaction_pooling_with_pgbench(pooled: Pair) -> None:
    pgbench = str(pooled.primary.bindir / "pgbench")
    target = ["-h", "127.0.0.1", "-p", str(pooled.proxy.port), "-U", "postgres"]
    init = subprocess.run([pgbench, *target, "-i", "-s", "1", "-q", "postgres"],
                          capture_output=True, text=True, timeout=120)
    assert init.returncode == 0, init.stderr
    for mode in ("simple", "extended", "prepared"):
        # One pgbench thread per client: a thread blocked in a client's synchronous PQprepare
        # while the other clients of that thread hold the 3 server connections in their open
        # transactions would wait for ever (as it would with any transaction pooler).
        run = subprocess.run([pgbench, *target, "-n", "-c", "8", "-j", "8", "-t", "30", "-M",
                              mode, "postgres"], capture_output=True, text=True, timeout=120)
        assert run.returncode == 0, run.stderr + run.stdout
        assert "number of failed transactions: 0" in run.stdout, run.stdout


class SlowProbeRelay:
    """A relay to a PostgreSQL server that holds back, for ``delay`` seconds, every reply to
    the proxy's commit-position probe (the replies before it go through at once)."""

    def __init__(self, target: PostgresServer, delay: float) -> None:
        self.target, self.delay = target, delay
        self.loop = asyncio.new_event_loop()
        started = threading.Event()
        self.port = 0

        async def serve() -> None:
            server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
            self.port = server.sockets[0].getsockname()[1]
            started.set()
            async with server:
                await server.serve_forever()

        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.serving = asyncio.run_coroutine_threadsafe(serve(), self.loop)
        started.wait(10)
        self.host = "127.0.0.1"

    async def _handle(self, client_r: asyncio.StreamReader,
                      client_w: asyncio.StreamWriter) -> None:
        server_r, server_w = await asyncio.open_connection(self.target.host, self.target.port)

        async def upstream() -> None:
            while data := await client_r.read(65536):
                server_w.write(data)
            server_w.close()

        async def downstream() -> None:
            buf = b""
            started = False  # past the start-up reply (an untyped 'N'/'S' byte never comes)
            while data := await server_r.read(65536):
                buf += data
                while len(buf) >= 5:
                    size = 1 + int.from_bytes(buf[1:5], "big")
                    if len(buf) < size:
                        break
                    frame, buf = buf[:size], buf[size:]
                    if started and frame[:1] == b"T" and b"pg_current_wal_insert_lsn" in frame:
                        await asyncio.sleep(self.delay)
                    started = True
                    client_w.write(frame)
            client_w.close()

        await asyncio.gather(upstream(), downstream(), return_exceptions=True)

    def close(self) -> None:
        async def stop_all() -> None:
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(stop_all(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


def test_the_first_read_after_a_commit_waits_for_the_commits_position(
        tmp_path: Path, fault_relay: Callable[[str, int], FaultRelay]) -> None:
    # The position of a commit arrives behind the client's ReadyForQuery (here 0.3 s behind):
    # a read the client sends at once must wait for it, not go to the standby with "nothing
    # to wait for" (regression). The standby applies everything 0.2 s late.
    bindir = _bindir()
    primary = start_postgres(bindir)
    relay = fault_relay(primary.host, primary.port)
    standby = start_standby(primary, upstream_port=relay.address[1])
    slow = SlowProbeRelay(primary, 0.002)
    proxy = ProxyProcess(tmp_path / "proxy", [slow, standby], "--backend", "postgres")
    try:
        with psycopg.connect(proxy.dsn, autocommit=True) as conn:
            conn.execute("CREATE TABLE firsts (k int)")
        relay.delay(0.2)
        stale = []
        for k in range(20):
            with psycopg.connect(proxy.dsn, autocommit=True) as conn:
                conn.execute("INSERT INTO firsts VALUES (%s)", (k,))
                row = conn.execute("SELECT count(*), bool_and(pg_is_in_recovery()) FROM "
                                   "firsts WHERE k = %s", (k,)).fetchone()
                if row is None or row[0] != 1:
                    stale.append(k)
        assert not stale
    finally:
        proxy.stop()
        slow.close()
        standby.stop()
        primary.stop()


def _reload_with_hba(server: PostgresServer, line: str) -> None:
    hba = server.data_dir / "pg_hba.conf"
    hba.write_text(line + "\n" + hba.read_text())
    subprocess.run(server._as_owner([str(server.bindir / "pg_ctl"), "-D", str(server.data_dir),
                                     "reload"]), check=True, capture_output=True, timeout=30)


def test_scram_authentication_passes_through(
        tmp_path: Path, fault_relay: Callable[[str, int], FaultRelay]) -> None:
    bindir = _bindir()
    primary = start_postgres(bindir)
    standby: PostgresServer | None = None
    proxy: ProxyProcess | None = None
    try:
        with primary.connect() as conn:
            conn.execute("CREATE ROLE app LOGIN PASSWORD 's3cret'")
            conn.execute("GRANT ALL ON SCHEMA public TO app")
        standby = start_standby(primary)
        for server in (primary, standby):  # app must log in with SCRAM, on both servers
            _reload_with_hba(server, "host all app 127.0.0.1/32 scram-sha-256")
        proxy = ProxyProcess(tmp_path / "proxy", [primary, standby], "--user", "app:s3cret")
        dsn = f"host=127.0.0.1 port={proxy.port} user=app dbname=postgres"
        with pytest.raises(psycopg.OperationalError, match="password"):
            psycopg.connect(dsn + " password=wrong")
        with psycopg.connect(dsn + " password=s3cret", autocommit=True) as conn:
            conn.execute("CREATE TABLE owned (k int)")
            conn.execute("INSERT INTO owned VALUES (1)")
            assert conn.execute("SELECT count(*), bool_and(pg_is_in_recovery()), "
                                "current_user FROM owned").fetchone() == (1, True, "app")
    finally:
        if proxy is not None:
            proxy.stop()
        if standby is not None:
            standby.stop()
        primary.stop()


def test_a_lagging_standby_leaves_the_rotation_and_comes_back(
        tmp_path: Path, fault_relay: Callable[[str, int], FaultRelay]) -> None:
    pair_iter = _pair(tmp_path, fault_relay, "--max-lag-ms", "300")
    pair = next(pair_iter)
    try:
        with psycopg.connect(pair.proxy.dsn, autocommit=True) as conn:
            conn.execute("CREATE TABLE ticks (k int)")
            conn.execute("SET pgha.route = standby")  # reads: a standby if one is in rotation

            def served_by_standby() -> bool:
                return _in_recovery(conn)

            wait_for(served_by_standby, "reads on the standby")
            pair.replication.drop()  # the standby stops receiving WAL
            for k in range(30):  # writes go on; the standby falls behind
                conn.execute("INSERT INTO ticks VALUES (%s)", (k,))
                time.sleep(0.05)
            wait_for(lambda: not served_by_standby(), "the lagging standby to leave")
            pair.replication.resume()
            wait_for(served_by_standby, "the standby to come back once caught up")
            conn.execute("RESET pgha.route")  # read-your-writes again: all 30 rows
            assert conn.execute("SELECT count(*) FROM ticks").fetchone() == (30,)
    finally:
        with contextlib.suppress(StopIteration):
            next(pair_iter)


def test_ryw_timeout_zero_reads_on_the_primary_until_the_standby_is_known_fresh(
        pair: Pair) -> None:
    pair.replication.delay(0.3)
    with psycopg.connect(pair.proxy.dsn, autocommit=True,
                         options="-c pgha.ryw_timeout=0") as conn:
        conn.execute("CREATE TABLE zero (k int)")
        for k in range(5):  # right after its write: the primary, never a stale standby
            conn.execute("INSERT INTO zero VALUES (%s)", (k,))
            assert conn.execute("SELECT count(*), bool_or(pg_is_in_recovery()) FROM zero"
                                ).fetchone() == (k + 1, False)
        # Once a health check has seen the standby replay it, reads go to the standby again.
        wait_for(lambda: conn.execute("SELECT count(*), bool_and(pg_is_in_recovery()) FROM "
                                      "zero").fetchone() == (5, True),
                 "reads on the standby once it is known to have the writes")


def test_transaction_pooling_never_hands_out_an_open_transaction(pooled: Pair) -> None:
    with psycopg.connect(pooled.proxy.dsn, autocommit=True) as conn:
        conn.execute("CREATE TABLE handed (k int)")
    leaver = psycopg.connect(pooled.proxy.dsn, autocommit=True)
    leaver.execute("BEGIN")
    leaver.execute("INSERT INTO handed VALUES (1)")
    leaver.close()  # leaves in the middle of its transaction
    for _ in range(6):  # more clients than the pool has connections: one would get it
        with psycopg.connect(pooled.proxy.dsn, autocommit=True) as conn:
            conn.execute("INSERT INTO handed VALUES (2)")
    with pooled.primary.connect() as conn:  # straight to PostgreSQL: what was committed
        assert conn.execute("SELECT k, count(*) FROM handed GROUP BY k").fetchall() == [(2, 6)]


def test_transaction_pooling_after_discard_all(pooled: Pair) -> None:
    # DISCARD ALL drops every prepared statement of the connection it runs on, other clients'
    # too: the proxy must prepare them again there, not believe they still exist.
    with psycopg.connect(pooled.proxy.dsn, autocommit=True, prepare_threshold=0) as a, \
            psycopg.connect(pooled.proxy.dsn, autocommit=True, prepare_threshold=0) as b:
        for n in range(3):
            assert a.execute("SELECT %s::int + 1", (n,)).fetchone() == (n + 1,)
            b.execute("DISCARD ALL")  # on the connection a's statement was just prepared on


def test_a_stale_read_sent_with_its_check_is_discarded_and_run_again(pair: Pair) -> None:
    # The proxy sends a read to the standby together with the question whether the standby
    # has replayed the session's last commit. While replication is 200 ms late the answer is
    # no: the standby's replies (an open asyncpg Parse/Describe/Flush batch, a psycopg
    # prepared statement) must never reach the client; the read runs again once the standby
    # has caught up, or on the primary.
    pair.replication.delay(0.2)

    async def run() -> None:
        conn = await asyncpg.connect(host="127.0.0.1", port=pair.proxy.port, user="postgres",
                                     database="postgres")
        try:
            await conn.execute("CREATE TABLE again (k int)")
            for k in range(4):
                await conn.execute("INSERT INTO again VALUES ($1)", k)
                # a new text each time: asyncpg sends Parse/Describe/Flush, then waits
                assert await conn.fetchval(f"SELECT count(*) + {k} - {k} FROM again") == k + 1
        finally:
            await conn.close()

    asyncio.run(run())
    notices: list[str] = []
    with psycopg.connect(pair.proxy.dsn, autocommit=True, prepare_threshold=0) as conn:
        conn.add_notice_handler(lambda notice: notices.append(notice.message_primary))
        conn.execute("SET pgha.explain_route = on")
        for k in range(4, 8):
            conn.execute("INSERT INTO again VALUES (%s)", (k,))
            assert conn.execute("SELECT count(*) FROM again").fetchone() == (k + 1,)
    assert any("had not replayed the session's last commit" in n for n in notices), notices


def test_a_statement_name_closed_on_one_backend_can_be_prepared_again_on_another(
        pair: Pair) -> None:
    with psycopg.connect(pair.proxy.dsn, autocommit=True) as conn:
        pgconn = conn.pgconn
        conn.execute("CREATE TABLE names (k int)")

        def ok(result: psycopg.pq.abc.PGresult) -> None:
            assert result.status in (psycopg.pq.ExecStatus.COMMAND_OK,
                                     psycopg.pq.ExecStatus.TUPLES_OK), result.error_message

        ok(pgconn.prepare(b"s1", b"SELECT count(*) FROM names"))  # a read: the standby
        ok(pgconn.exec_(b"SET pgha.route = primary"))
        ok(pgconn.exec_prepared(b"s1", []))  # prepared on the primary too, and run there
        ok(pgconn.close_prepared(b"s1"))  # closed where the session last ran: the primary
        ok(pgconn.exec_(b"RESET pgha.route"))
        # The standby still has the old s1: the proxy must close it before this Parse.
        ok(pgconn.prepare(b"s1", b"SELECT count(*) + 1 FROM names"))
        result = pgconn.exec_prepared(b"s1", [])
        ok(result)
        assert result.get_value(0, 0) == b"1"


def test_a_statement_prepared_in_a_transaction_is_used_after_it_on_the_standby(
        pair: Pair) -> None:
    # Prepared on the primary inside a transaction, run afterwards as a read: on the standby,
    # where the proxy must prepare it first (it used to know only statements prepared outside
    # a transaction: "prepared statement "_pg3_0" does not exist").
    with psycopg.connect(pair.proxy.dsn, autocommit=True) as conn:
        conn.execute("CREATE TABLE in_txn (k int)")
        conn.execute("INSERT INTO in_txn VALUES (1)")
        query = "SELECT count(*) FROM in_txn WHERE k >= %s"
        with conn.transaction():
            assert conn.execute(query, (1,), prepare=True).fetchone() == (1,)
        notices: list[str] = []
        conn.add_notice_handler(lambda diag: notices.append(diag.message_primary or ""))
        conn.execute("SET pgha.explain_route = on")
        assert conn.execute(query, (0,), prepare=True).fetchone() == (1,)
        assert any("standby" in n for n in notices), notices


def test_pipelined_batches_after_an_error_run_as_sent(pair: Pair) -> None:
    # Batches sent in one write: the proxy forwards them as they are (its fast path); the
    # error of the first ends only the first.
    received = _wire_exchange(pair.proxy.port, [
        [m.Parse("", "SELECT 1/0", ()), m.Bind("", ""), m.Execute(""), m.Sync(),
         m.Parse("", "SELECT 2", ()), m.Bind("", ""), m.Execute(""), m.Sync(),
         m.Query("SELECT 3")],
        [m.Parse("", "SELECT 4", ()), m.Bind("", ""), m.Describe("P", ""), m.Execute(""),
         m.Sync()],
    ])
    assert received == [
        ["ParseComplete", "ErrorResponse", "ReadyForQuery",  # (1/0 fails when planned)
         "ParseComplete", "BindComplete", "DataRow", "CommandComplete", "ReadyForQuery",
         "RowDescription", "DataRow", "CommandComplete", "ReadyForQuery"],
        ["ParseComplete", "BindComplete", "RowDescription", "DataRow", "CommandComplete",
         "ReadyForQuery"]]


def _rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError(f"no VmRSS for process {pid}")


def test_a_client_that_reads_slowly_holds_back_its_backend_not_the_proxys_memory(
        pair: Pair) -> None:
    # 64 MB of rows to a client that reads nothing for a while: the proxy relays replies as
    # they arrive, so it must stop reading the backend while the client is behind (and go on
    # when it reads), rather than queue the whole result; every row arrives.
    rows, width = 64_000, 1000
    decoder = codec.BackendDecoder()
    with socket.create_connection(("127.0.0.1", pair.proxy.port), timeout=30) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 16)
        sock.sendall(codec.encode(m.StartupMessage(params=(("user", "postgres"),
                                                             ("database", "postgres")))))
        while not any(isinstance(x, m.ReadyForQuery) for x in _drain(decoder, sock)):
            pass
        before = _rss_kb(pair.proxy.process.pid)
        sock.sendall(codec.encode(m.Query(
            f"SELECT repeat('x', {width}) FROM generate_series(1, {rows})")))
        time.sleep(2)  # the client reads nothing meanwhile
        held = _rss_kb(pair.proxy.process.pid) - before
        received = 0
        while True:
            messages = _drain(decoder, sock)
            received += sum(isinstance(x, m.DataRow) for x in messages)
            if any(isinstance(x, m.ReadyForQuery | m.ErrorResponse) for x in messages):
                break
    assert received == rows
    assert held < 16 * 1024, f"the proxy grew by {held} KB while its client was not reading"


def _drain(decoder: codec.BackendDecoder, sock: socket.socket) -> list[object]:
    """The messages of the next read from ``sock``."""
    data = sock.recv(1 << 20)
    assert data, "the proxy closed the connection"
    decoder.feed(data)
    messages = []
    while (message := decoder.next_message()) is not None:
        messages.append(message)
    return messages


def _wire_exchange(port: int, batches: list[list[m.FrontendMessage]]) -> list[list[str]]:
    """Log in as postgres over a raw socket, then per batch: send its messages in one write
    and read up to as many ReadyForQuery as it holds Query/Sync messages. Returns the names
    of the messages received per batch (so that a test sees every message, stray ones too)."""
    decoder = codec.BackendDecoder()
    received: list[list[str]] = []
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:

        def read_until(readies: int) -> list[str]:
            names: list[str] = []
            while readies:
                message = decoder.next_message()
                if message is None:
                    data = sock.recv(65536)
                    assert data, "the proxy closed the connection"
                    decoder.feed(data)
                    continue
                names.append(type(message).__name__)
                readies -= isinstance(message, m.ReadyForQuery)
            return names

        sock.sendall(codec.encode(m.StartupMessage(params=(("user", "postgres"),
                                                             ("database", "postgres")))))
        read_until(1)
        for batch in batches:
            sock.sendall(b"".join(codec.encode(message) for message in batch))
            received.append(read_until(sum(isinstance(x, m.Query | m.Sync) for x in batch)))
    return received


def test_pipelined_batches_keep_their_own_prepare_replies(pair: Pair) -> None:
    # A client in pipeline mode sends batch after batch before the first is answered. A batch
    # that uses a statement prepared on the primary makes the proxy prepare it on the standby,
    # its replies swallowed; the ReadyForQuery of the batch before must not make the proxy
    # forget to swallow them (the client would get a ParseComplete it never asked for).
    received = _wire_exchange(pair.proxy.port, [
        [m.Query("SET pgha.route = primary")],
        [m.Parse("on_primary", "SELECT 1 + 1", ()), m.Sync()],
        [m.Query("RESET pgha.route")],
        [m.Parse("on_standby", "SELECT 2", ()), m.Sync()],
        [m.Bind("", "on_standby"), m.Execute(""), m.Sync(),
         m.Bind("", "on_primary"), m.Execute(""), m.Sync()],  # follows the batch: the standby
    ])
    one = ["BindComplete", "DataRow", "CommandComplete", "ReadyForQuery"]
    assert received[-1] == one + one


@pytest.mark.parametrize("revoked", ["pg_last_wal_replay_lsn", "pg_current_wal_insert_lsn"])
def test_reads_after_writes_are_fresh_when_the_proxys_questions_fail(
        pair: Pair, revoked: str) -> None:
    # The proxy asks the primary for a commit's position (pg_current_wal_insert_lsn) and a
    # standby whether it has replayed it (pg_last_wal_replay_lsn, in the read's own batch for
    # a prepared read). A role that may not call them (hardened servers revoke them from
    # PUBLIC) makes those questions fail. A read must then still get its answer, and a fresh
    # one: it used to wait for ever for the standby's answer, and after a failed commit
    # position to read from a standby that had not replayed the write.
    with pair.primary.connect() as conn:
        conn.autocommit = True
        conn.execute("CREATE ROLE app LOGIN")
        conn.execute("CREATE TABLE checked (k int)")
        conn.execute("GRANT ALL ON checked TO app")
        conn.execute(f"REVOKE EXECUTE ON FUNCTION {revoked}() FROM PUBLIC")
    wait_for(lambda: _count(pair.standby, "checked") == 0, "the table on the standby")
    pair.replication.delay(0.2)  # the standby is behind each write when it is read
    dsn = pair.proxy.dsn.replace("user=postgres", "user=app")
    k = 0
    for cursor in (psycopg.Cursor, psycopg.ClientCursor):  # extended, simple protocol
        with psycopg.connect(dsn, autocommit=True, prepare_threshold=0, cursor_factory=cursor,
                             options="-c pgha.ryw_timeout=100") as conn:
            for _ in range(3):
                conn.execute("INSERT INTO checked VALUES (%s)", (k,))
                assert conn.execute("SELECT count(*) FROM checked WHERE k <= %s", (k,)
                                    ).fetchone() == (k + 1,), (cursor, k)
                k += 1


def test_a_stale_read_that_cannot_run_again_gets_an_error_not_a_hang(
        tmp_path: Path, fault_relay: Callable[[str, int], FaultRelay]) -> None:
    # The standby is behind, so the read sent with its freshness check must run again; the
    # primary is gone and the standby never catches up: the client gets an error once
    # pgha.ryw_timeout and --primary-wait have passed (it used to wait for ever), and the
    # session goes on.
    pair_iter = _pair(tmp_path, fault_relay, "--primary-wait", "0.5")
    pair = next(pair_iter)
    try:
        with psycopg.connect(pair.proxy.dsn, autocommit=True, options="-c pgha.ryw_timeout=300"
                             ) as conn:
            conn.execute("CREATE TABLE orphan (k int)")
            wait_for(lambda: _count(pair.standby, "orphan") == 0, "the table on the standby")
            pair.replication.drop()  # the standby never gets what follows
            conn.execute("INSERT INTO orphan VALUES (1)")
            pair.replication.cut()  # (a walsender waiting on its standby slows the shutdown)
            pair.primary.stop()
            started = time.monotonic()
            with pytest.raises(psycopg.OperationalError):
                conn.execute("SELECT count(*) FROM orphan")
            assert time.monotonic() - started < 15
            # The session goes on; a client that accepts stale reads gets the standby's.
            conn.execute("SET pgha.route = standby")
            assert conn.execute("SELECT count(*) FROM orphan").fetchone() == (0,)
    finally:
        with contextlib.suppress(StopIteration):
            next(pair_iter)


def test_a_pooled_connection_the_server_closed_is_not_handed_out(pair: Pair) -> None:
    # Regression: a session's connection to the primary went back to the pool when its client
    # left; the server then ended it (here pg_terminate_backend; a restart or a kill does the
    # same). The next client's first write was sent over it and failed with 08006.
    pooled = ("SELECT pid FROM pg_stat_activity WHERE query = 'DISCARD ALL' "
              "AND state = 'idle'")
    with psycopg.connect(pair.proxy.dsn, autocommit=True) as conn:
        conn.execute("CREATE TABLE pooled_dead (k int)")
        # (a read waits for the commit's position: the primary connection is idle after it,
        # so it goes back to the pool rather than being closed with something in flight)
        assert conn.execute("SELECT count(*) FROM pooled_dead").fetchone() == (0,)
    with pair.primary.connect() as admin:
        wait_for(lambda: len(admin.execute(pooled).fetchall()) == 1,
                 "the connection back in the pool")
        for (pid,) in admin.execute(pooled).fetchall():
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
    time.sleep(0.5)  # the proxy's event loop sees the connection end
    with psycopg.connect(pair.proxy.dsn, autocommit=True) as conn:
        conn.execute("INSERT INTO pooled_dead VALUES (1)")
        assert conn.execute("SELECT count(*) FROM pooled_dead").fetchone() == (1,)


def test_an_idle_reader_holds_no_connection_to_the_primary(pair: Pair) -> None:
    """A client gets its start-up parameters from what an earlier connection of the same user,
    database and options reported: its connection to the primary opens at its first
    statement that needs the primary, so read-only clients hold only a standby's."""
    dsn = pair.proxy.dsn + " application_name=lazy_reader"
    clients = [psycopg.connect(dsn, autocommit=True) for _ in range(4)]
    try:
        for conn in clients:
            assert conn.execute("SELECT 1").fetchone() == (1,)
            assert conn.info.parameter_status("server_version") is not None
        query = "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'lazy_reader'"
        with pair.primary.connect() as admin:
            assert admin.execute(query).fetchone() == (1,)  # the first client's, at its start
        with pair.standby.connect() as admin:
            assert admin.execute(query).fetchone() == (4,)
        clients[1].execute("CREATE TABLE lazy_t (k int)")  # the primary, opened when needed
        with pair.primary.connect() as admin:
            assert admin.execute(query).fetchone() == (2,)
    finally:
        for conn in clients:
            conn.close()
