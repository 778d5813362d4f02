"""`pgha proxy` in front of a three-node cluster, with real processes and real clients.

Checked: reads spread over the standbys (at least 90% of plain reads when nothing lags) while
8 concurrent sessions that write then read back never see a stale read, also while one
standby's replication link is slowed down; a standby killed with -9 during a read load does not
stop the clients (their next reads go elsewhere); after the primary is killed, reads go on and
writes through the proxy reach the automatically elected primary without restarting the proxy.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import asyncpg
import psycopg
import pytest

from fixtures.cluster import scalar, wait_for
from fixtures.pgha_server import PghaFactory, PghaServer
from fixtures.ports import free_port
from fixtures.proxy import ProxyProcess
from fixtures.relay import FaultRelay


@pytest.fixture
def cluster(pgha_factory: PghaFactory, fault_relay: Callable[[str, int], FaultRelay],
            tmp_path: Path) -> Iterator[tuple[list[PghaServer], FaultRelay, ProxyProcess]]:
    """n1 primary, n2 and n3 standbys (n3 follows through a fault relay), and a proxy."""
    ports = [free_port() for _ in range(3)]
    peers = [f"127.0.0.1:{p}" for p in ports]
    n1 = pgha_factory("--node-id", "n1", "--ha-mode", "primary", "--ha-bind", peers[0],
                      "--ha-primary", ",".join(peers))
    link = fault_relay("127.0.0.1", ports[0])
    n2 = pgha_factory("--node-id", "n2", "--ha-mode", "standby", "--ha-bind", peers[1],
                      "--ha-primary", ",".join(peers))
    n3 = pgha_factory("--node-id", "n3", "--ha-mode", "standby", "--ha-bind", peers[2],
                      "--ha-primary", f"127.0.0.1:{link.address[1]},{peers[1]},{peers[2]}")
    proxy = ProxyProcess(tmp_path / "proxy", [n1, n2, n3])
    try:
        yield [n1, n2, n3], link, proxy
    finally:
        proxy.stop()


def _write_then_read(dsn: str, session: int, rounds: int, stale: list[object],
                     served: list[bool], errors: list[BaseException]) -> None:
    try:
        with psycopg.connect(dsn, autocommit=True) as conn:
            for n in range(rounds):
                conn.execute("INSERT INTO events VALUES (%s, %s)", (session, n))
                count, on_standby = conn.execute(
                    "SELECT count(*), pg_is_in_recovery() FROM events WHERE session = %s",
                    (session,)).fetchone()
                served.append(on_standby)
                if count != n + 1:
                    stale.append((session, n, count))
    except BaseException as exc:
        errors.append(exc)


def _load(proxy: ProxyProcess, sessions: int, rounds: int, first: int = 0
          ) -> tuple[list[object], list[bool], list[BaseException]]:
    stale: list[object] = []
    served: list[bool] = []
    errors: list[BaseException] = []
    threads = [threading.Thread(target=_write_then_read,
                                args=(proxy.dsn, first + s, rounds, stale, served, errors))
               for s in range(sessions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return stale, served, errors


def test_reads_spread_to_standbys_without_stale_reads(
        cluster: tuple[list[PghaServer], FaultRelay, ProxyProcess]) -> None:
    _, link, proxy = cluster
    with psycopg.connect(proxy.dsn, autocommit=True) as conn:
        conn.execute("CREATE TABLE events (session int, n int, PRIMARY KEY (session, n))")
    stale, served, errors = _load(proxy, 8, 20)
    assert not errors and stale == []
    assert sum(served) >= 0.9 * len(served), f"{sum(served)} of {len(served)} on standbys"
    link.delay(0.3)  # n3 now applies everything 300 ms late
    stale, served, errors = _load(proxy, 8, 15, first=100)
    assert not errors and stale == []


def test_every_proxied_session_sees_the_catalog(
        cluster: tuple[list[PghaServer], FaultRelay, ProxyProcess]) -> None:
    # Regression: catalog tables were filled only when a statement was translated, so a
    # session served from the translation cache saw an empty information_schema.
    _, _, proxy = cluster
    with psycopg.connect(proxy.dsn, autocommit=True) as conn:
        conn.execute("CREATE TABLE cat_a (id int PRIMARY KEY)")
        conn.execute("CREATE TABLE cat_b (id int PRIMARY KEY)")
    counts: list[int] = []
    errors: list[BaseException] = []

    def look() -> None:
        try:
            with psycopg.connect(proxy.dsn, autocommit=True) as conn:
                counts.append(conn.execute(
                    "SELECT count(*) FROM information_schema.tables "
                    "WHERE table_schema = 'public'").fetchone()[0])
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=look) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert counts == [2] * 8


def test_a_killed_standby_does_not_stop_readers(
        cluster: tuple[list[PghaServer], FaultRelay, ProxyProcess]) -> None:
    (_, n2, n3), _, proxy = cluster
    with psycopg.connect(proxy.dsn, autocommit=True) as conn:
        conn.execute("CREATE TABLE kv (k int PRIMARY KEY, v text)")
        conn.execute("INSERT INTO kv SELECT g, md5(g::text) FROM generate_series(1, 100) g")
    time.sleep(0.5)
    failures: list[BaseException] = []
    done = threading.Event()
    reads = [0]

    def reader() -> None:
        with psycopg.connect(proxy.dsn, autocommit=True) as conn:
            while not done.is_set():
                try:
                    assert conn.execute("SELECT count(*) FROM kv").fetchone() == (100,)
                    reads[0] += 1
                except psycopg.OperationalError as exc:
                    failures.append(exc)  # at most the statement in flight on the dead node
                time.sleep(0.005)

    threads = [threading.Thread(target=reader) for _ in range(4)]
    for thread in threads:
        thread.start()
    time.sleep(0.5)
    n2.kill()
    before = reads[0]
    time.sleep(1.5)
    done.set()
    for thread in threads:
        thread.join()
    assert reads[0] > before + 20  # the readers kept going after the kill
    assert len(failures) <= 4, (failures[:3], proxy.log.read_text()[-4000:])
    del n3


def test_proxy_follows_an_automatic_failover(
        cluster: tuple[list[PghaServer], FaultRelay, ProxyProcess]) -> None:
    (n1, n2, n3), _, proxy = cluster
    with psycopg.connect(proxy.dsn, autocommit=True) as conn:
        conn.execute("CREATE TABLE t (k int PRIMARY KEY)")
        conn.execute("INSERT INTO t VALUES (1)")
    # Asynchronous replication: a commit the standbys have not applied may be lost with n1
    # (and a read from another session may not see it yet). This test is about the proxy.
    for node in (n2, n3):
        wait_for(lambda n=node: scalar(n, "SELECT count(*) FROM t") == 1, "the row on "
                 f"{node.extra_args[1]}")
    reader = psycopg.connect(proxy.dsn, autocommit=True)  # a session opened before the kill
    n1.kill()
    # Reads go on while there is no primary; the first write waits for the new one (the
    # proxy holds it up to --primary-wait) instead of failing.
    assert reader.execute("SELECT k FROM t").fetchall() == [(1,)]
    started = time.monotonic()
    with psycopg.connect(proxy.dsn, autocommit=True) as conn:
        assert conn.execute("SELECT k FROM t").fetchall() == [(1,)]
        conn.execute("INSERT INTO t VALUES (2)")
    assert time.monotonic() - started < 5, proxy.log.read_text()[-3000:]
    reader.close()
    roles = {}
    for node in (n2, n3):
        with node.connect(autocommit=True) as conn:
            roles[node.port] = conn.execute("SELECT role FROM pg_replication_status"
                                            ).fetchone()[0]
            assert conn.execute("SELECT k FROM t ORDER BY k").fetchall() in ([(1,), (2,)],
                                                                              [(1,)])
    assert sorted(roles.values()) == ["primary", "standby"]
    assert "primary is now" in proxy.log.read_text()


def test_asyncpg_copy_through_the_proxy_and_a_standby(
        cluster: tuple[list[PghaServer], FaultRelay, ProxyProcess]) -> None:
    # Regression: asyncpg sends its CopyData right behind COPY ... FROM STDIN, before the
    # CopyInResponse; a relaying session read them before it was in COPY mode, dropped them,
    # and copy_records_to_table hung (through the proxy and on a standby that forwards it).
    (_, n2, _), _, proxy = cluster
    with psycopg.connect(proxy.dsn, autocommit=True) as conn:
        conn.execute("CREATE TABLE copied (a int, b text)")

    async def copy(port: int) -> str:
        conn = await asyncpg.connect(host="127.0.0.1", port=port, user="postgres",
                                     database="postgres")
        try:
            return await asyncio.wait_for(conn.copy_records_to_table(
                "copied", records=[(port, "x"), (port, "y")]), 10)
        finally:
            await conn.close()

    assert asyncio.run(copy(proxy.port)) == "COPY 2"
    assert asyncio.run(copy(n2.port)) == "COPY 2"
    with psycopg.connect(proxy.dsn, autocommit=True) as conn:
        assert conn.execute("SELECT count(*) FROM copied").fetchone() == (4,)


def test_a_transaction_whose_standby_dies_never_moves_to_another_backend(
        cluster: tuple[list[PghaServer], FaultRelay, ProxyProcess]) -> None:
    # Regression: BEGIN READ ONLY ran on a standby; the standby was killed; the next
    # statement ran on the primary with the client told it was idle, and COMMIT succeeded.
    nodes, _, proxy = cluster
    with psycopg.connect(proxy.dsn, autocommit=True) as conn:
        conn.execute("CREATE TABLE ro (k int)")
    time.sleep(0.5)  # the standbys have the table
    conn = psycopg.connect(proxy.dsn, autocommit=True)
    conn.execute("BEGIN READ ONLY")
    node_id = conn.execute("SELECT node_id FROM pg_replication_status").fetchone()[0]
    assert node_id in ("n2", "n3")  # a read-only transaction runs on a standby
    {"n2": nodes[1], "n3": nodes[2]}[node_id].kill()
    with pytest.raises(psycopg.OperationalError):
        conn.execute("SELECT count(*) FROM ro")
        conn.execute("COMMIT")
    assert conn.closed or conn.broken


def test_cancel_reaches_the_backend_running_the_statement(
        cluster: tuple[list[PghaServer], FaultRelay, ProxyProcess]) -> None:
    _, _, proxy = cluster
    with psycopg.connect(proxy.dsn, autocommit=True) as conn:
        for sql in ("SELECT pg_sleep(10)",  # a read: on a standby
                    "SELECT pg_sleep(10), nextval('s')"):  # not read-only: on the primary
            if "nextval" in sql:
                conn.execute("CREATE SEQUENCE s")
            timer = threading.Timer(0.5, conn.cancel)
            timer.start()
            started = time.monotonic()
            with pytest.raises(psycopg.errors.QueryCanceled):
                conn.execute(sql)
            timer.join()
            assert time.monotonic() - started < 5
            assert conn.execute("SELECT 1").fetchone() == (1,)


def test_scram_from_client_to_proxy_to_nodes(pgha_factory: PghaFactory, tmp_path: Path) -> None:
    ports = [free_port() for _ in range(2)]
    peers = ",".join(f"127.0.0.1:{p}" for p in ports)
    login = ("--user", "app:s3cret")
    n1 = pgha_factory("--node-id", "n1", "--ha-mode", "primary", "--ha-bind",
                      f"127.0.0.1:{ports[0]}", "--ha-primary", peers, *login)
    n2 = pgha_factory("--node-id", "n2", "--ha-mode", "standby", "--ha-bind",
                      f"127.0.0.1:{ports[1]}", "--ha-primary", peers, *login)
    proxy = ProxyProcess(tmp_path / "proxy", [n1, n2], *login)
    try:
        dsn = f"host=127.0.0.1 port={proxy.port} user=app dbname=postgres"
        with pytest.raises(psycopg.OperationalError, match="password"):
            psycopg.connect(dsn + " password=wrong").close()
        with psycopg.connect(dsn + " password=s3cret", autocommit=True) as conn:
            conn.execute("CREATE TABLE t (k int PRIMARY KEY)")
            conn.execute("INSERT INTO t VALUES (1)")
            assert conn.execute("SELECT count(*) FROM t").fetchone() == (1,)
    finally:
        proxy.stop()


def test_backend_connections_are_reused_and_reset_between_clients(
        cluster: tuple[list[PghaServer], FaultRelay, ProxyProcess]) -> None:
    _, _, proxy = cluster
    pids = []
    for round_no in range(3):
        with psycopg.connect(proxy.dsn, autocommit=True) as conn:
            # The primary link: a function not known to be read-only runs there.
            pids.append(conn.execute("SELECT pg_backend_pid(), nextval('seq')").fetchone()[0]
                        if round_no else None)
            if round_no == 0:
                conn.execute("CREATE SEQUENCE seq")
            assert conn.execute("SHOW timezone").fetchone() == ("UTC",)  # reset, not leaked
            conn.execute("SET timezone = 'Asia/Tokyo'")
            assert conn.execute("SHOW timezone").fetchone() == ("Asia/Tokyo",)
        time.sleep(0.5)  # the proxy resets the connection after the client has left
    assert pids[1] == pids[2]  # the same backend connection served both clients


def test_route_setting_and_explanation_through_the_proxy(
        cluster: tuple[list[PghaServer], FaultRelay, ProxyProcess]) -> None:
    _, _, proxy = cluster
    notices: list[str] = []
    with psycopg.connect(proxy.dsn, autocommit=True) as conn:
        conn.add_notice_handler(lambda diag: notices.append(diag.message_primary or ""))
        assert conn.execute("SELECT pg_is_in_recovery()").fetchone() == (True,)
        conn.execute("SET pgha.route = primary")
        assert conn.execute("SELECT pg_is_in_recovery()").fetchone() == (False,)
        conn.execute("SET pgha.route TO auto")
        conn.execute("SET pgha.explain_route = on")
        assert conn.execute("SELECT pg_is_in_recovery()").fetchone() == (True,)
    assert any(n.startswith("proxy route: standby n") for n in notices), notices


def test_causal_token_through_the_proxy(
        cluster: tuple[list[PghaServer], FaultRelay, ProxyProcess]) -> None:
    # The token is the proxy's: a standby session never saw the commit it names.
    _, link, proxy = cluster
    with psycopg.connect(proxy.dsn, autocommit=True) as writer, \
            psycopg.connect(proxy.dsn, autocommit=True) as reader:
        writer.execute("CREATE TABLE token (k int)")
        writer.execute("INSERT INTO token VALUES (7)")
        row = writer.execute("SHOW pgha.last_commit_lsn").fetchone()
        assert row is not None and row[0] != "0/0"
        link.delay(0.3)  # n3 now applies late: the token must still make reads fresh
        reader.execute(f"SET pgha.min_lsn = '{row[0]}'")
        for _ in range(6):
            assert reader.execute("SELECT k FROM token").fetchone() == (7,)


def test_listen_notify_through_the_proxy_and_a_standby(
        cluster: tuple[list[PghaServer], FaultRelay, ProxyProcess]) -> None:
    # LISTEN pins a proxied session to the primary, and a standby forwards LISTEN and NOTIFY
    # there: notifications reach listeners whichever endpoint either side uses.
    (n1, n2, _), _, proxy = cluster
    for listen_at, notify_at in ((proxy.dsn, n2.dsn), (n2.dsn, proxy.dsn), (n1.dsn, n1.dsn)):
        with psycopg.connect(listen_at, autocommit=True) as listener, \
                psycopg.connect(notify_at, autocommit=True) as sender:
            listener.execute("LISTEN jobs")
            sender.execute("NOTIFY jobs, 'hello'")
            sender.execute("SELECT pg_notify('jobs', 'again')")
            got = [(n.channel, n.payload) for n in listener.notifies(timeout=2, stop_after=2)]
            assert got == [("jobs", "hello"), ("jobs", "again")], (listen_at, notify_at)
