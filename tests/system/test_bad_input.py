"""Hostile and broken clients against one `pgha server`: malformed and oversized messages, silent
and garbage-sending clients, unsupported protocol versions, unknown databases, cancellation and
many concurrent connections. Whatever one client does, the others keep working.

Expected answers were checked against PostgreSQL 15: for a malformed message it sends a FATAL
08P01 ErrorResponse or just closes the connection, so either is accepted here.
"""

from __future__ import annotations

import asyncio
import contextlib
import struct
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import asyncpg
import psycopg
import pytest
from rawpg import (
    CANCEL_REQUEST_CODE,
    SSL_REQUEST_CODE,
    ConnectionClosed,
    Message,
    RawClient,
    data_rows,
    errors,
)

from fixtures.pgha_server import PghaServer
from fixtures.proxy import ProxyProcess

Conn = psycopg.Connection[Any]


@pytest.fixture
def server(pgha_server_module: PghaServer) -> PghaServer:
    return pgha_server_module


@pytest.fixture
def bystander(server: PghaServer) -> Iterator[Conn]:
    """A well-behaved client connected before the misbehaving one, checked before and after."""
    with server.connect() as conn:
        assert conn.execute("select 1 + 1").fetchone() == (2,)
        yield conn
        assert conn.execute("select 2 + 2").fetchone() == (4,), "bystander broken"
    # New connections work too.
    with server.connect() as conn:
        assert conn.execute("select 'still alive'").fetchone() == ("still alive",)


def _raw(server: PghaServer) -> RawClient:
    return RawClient(server.host, server.port, timeout=10)


def _rejected_or_recovered(client: RawClient) -> None:
    """After a broken message PostgreSQL either closes with FATAL 08P01 or answers ERROR 08P01,
    ReadyForQuery, and goes on; accept both, and in the second case the session must work."""
    try:
        messages = client.read_until(b"Z")
    except ConnectionClosed:
        return
    assert [e["C"] for e in errors(messages)] == ["08P01"]
    assert data_rows(client.simple_query("select 'ok'")) == [("ok",)]


def _rejected(client: RawClient) -> list[dict[str, str]]:
    """Read until the server closes; every ErrorResponse must be a FATAL 08P01."""
    messages = client.read_until_closed(timeout=10)
    errs = errors(messages)
    assert [m.kind for m in messages] == [b"E"] * len(errs), messages
    for err in errs:
        assert err["C"] == "08P01", err
        assert err["V"] == "FATAL", err
    return errs


# -- malformed messages after startup ------------------------------------------------------


def test_message_length_below_4(server: PghaServer, bystander: Conn) -> None:
    with _raw(server) as client:
        client.startup()
        client.send(b"Q\x00\x00\x00\x02")
        _rejected(client)


def test_unknown_message_type(server: PghaServer, bystander: Conn) -> None:
    with _raw(server) as client:
        client.startup()
        client.send(b"\x01\x00\x00\x00\x04")
        _rejected(client)


def test_oversized_message_header_only(server: PghaServer, bystander: Conn) -> None:
    """A header claiming 1 GiB (limit 64 MiB) is refused at once, without waiting for the body."""
    with _raw(server) as client:
        client.startup()
        client.send(b"Q" + struct.pack("!I", 1 << 30))
        started = time.monotonic()
        _rejected(client)
        assert time.monotonic() - started < 5


def test_message_body_shorter_than_declared_fields(server: PghaServer, bystander: Conn) -> None:
    """A Bind whose body ends in the middle of its fields: PostgreSQL answers ERROR 08P01
    ("insufficient data left in message") and stays usable after Sync; closing is also fine."""
    with _raw(server) as client:
        client.startup()
        # portal "", statement "", then 5 parameter format codes that are not there
        client.send_message(b"B", b"\x00\x00\x00\x05")
        client.send_message(b"S", b"")
        messages: list[Message] = []
        try:
            messages = client.read_until(b"Z")
        except ConnectionClosed:
            closed = True
        else:
            closed = False
        errs = errors(messages)
        if not closed:
            assert [e["C"] for e in errs] in (["08P01"], ["26000"])
            assert data_rows(client.simple_query("select 'ok'")) == [("ok",)]
        else:
            assert all(e["C"] == "08P01" for e in errs), errs


def test_query_without_nul_terminator(server: PghaServer, bystander: Conn) -> None:
    with _raw(server) as client:
        client.startup()
        client.send_message(b"Q", b"select 1")
        _rejected_or_recovered(client)


# -- the first packet ----------------------------------------------------------------------


def test_silent_client_does_not_block_others(server: PghaServer, bystander: Conn) -> None:
    silent = [_raw(server) for _ in range(3)]
    half = _raw(server)
    half.send(b"\x00\x00\x00")  # part of a startup packet length
    try:
        for _ in range(3):
            with server.connect() as conn:
                assert conn.execute("select 42").fetchone() == (42,)
        with _raw(server) as client:
            client.startup()
            assert data_rows(client.simple_query("select 'raw'")) == [("raw",)]
    finally:
        for client in [*silent, half]:
            client.close()


def test_http_request_as_first_packet(server: PghaServer, bystander: Conn) -> None:
    with _raw(server) as client:
        client.send(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
        _rejected(client)


def test_short_garbage_startup_packet(server: PghaServer, bystander: Conn) -> None:
    with _raw(server) as client:
        client.send(struct.pack("!I", 16) + b"garbagegarbage"[:12])
        messages = client.read_until_closed(timeout=10)
        for err in errors(messages):
            assert err["V"] == "FATAL"
            assert err["C"] in ("08P01", "0A000")


def test_startup_length_too_small(server: PghaServer, bystander: Conn) -> None:
    with _raw(server) as client:
        client.send(struct.pack("!I", 4))
        _rejected(client)


def test_protocol_4_startup_is_feature_not_supported(server: PghaServer, bystander: Conn) -> None:
    with _raw(server) as client:
        client.send_startup(protocol=4 << 16)
        errs = errors(client.read_until_closed(timeout=10))
    assert [(e["V"], e["C"]) for e in errs] == [("FATAL", "0A000")]
    assert errs[0]["M"] == "unsupported frontend protocol 4.0: server supports 3.0 to 3.0"


def test_protocol_4_startup_is_refused(server: PghaServer, bystander: Conn) -> None:
    with _raw(server) as client:
        client.send_startup(protocol=4 << 16)
        messages = client.read_until_closed(timeout=10)
    errs = errors(messages)
    assert len(errs) == 1
    assert errs[0]["V"] == "FATAL"
    assert "unsupported frontend protocol 4.0" in errs[0]["M"]


def test_protocol_3_minor_negotiates(server: PghaServer, bystander: Conn) -> None:
    """A 3.x (x > 0) request with a `_pq_.` option gets NegotiateProtocolVersion and goes on."""
    with _raw(server) as client:
        client.send_startup(
            {"user": "postgres", "database": "postgres", "_pq_.grease": "1"},
            protocol=(3 << 16) | 9999,
        )
        messages = client.read_until(b"ZE")
        assert messages[0].kind == b"v"
        newest, count = struct.unpack("!II", messages[0].body[:8])
        assert newest == 196608  # PostgreSQL sends the full version code 3.0 (libpq reads it so)
        assert count == 1
        assert messages[0].body[8:] == b"_pq_.grease\x00"
        assert messages[-1].kind == b"Z"
        assert data_rows(client.simple_query("select 5")) == [("5",)]


def test_ssl_request_answered_with_n(server: PghaServer, bystander: Conn) -> None:
    with _raw(server) as client:
        client.send(struct.pack("!II", 8, SSL_REQUEST_CODE))
        assert client.read_byte() == b"N"
        client.startup()
        assert data_rows(client.simple_query("select 'plain'")) == [("plain",)]


def test_unknown_database(server: PghaServer, bystander: Conn) -> None:
    with _raw(server) as client:
        client.send_startup({"user": "postgres", "database": "pgha_no_such_db"})
        errs = errors(client.read_until_closed(timeout=10))
    assert [(e["V"], e["C"]) for e in errs] == [("FATAL", "3D000")]
    assert errs[0]["M"] == 'database "pgha_no_such_db" does not exist'
    with pytest.raises(psycopg.OperationalError, match="pgha_no_such_db"):
        psycopg.connect(
            host=server.host, port=server.port, user="postgres", dbname="pgha_no_such_db"
        )


def test_terminate_message_closes_cleanly(server: PghaServer, bystander: Conn) -> None:
    with _raw(server) as client:
        client.startup()
        client.send_message(b"X", b"")
        assert client.read_until_closed(timeout=10) == []


# -- COPY leftovers ------------------------------------------------------------------------


def test_copy_data_after_failed_copy_is_discarded(server: PghaServer, bystander: Conn) -> None:
    """Bad data mid-COPY: ErrorResponse at once, the CopyData still arriving is dropped."""
    with _raw(server) as client:
        client.startup()
        client.simple_query("create table bad_copy_mid (i int)")
        client.send_query("copy bad_copy_mid from stdin")
        assert client.read_message().kind == b"G"
        client.send_message(b"d", b"1\nx\n")
        client.send_message(b"d", b"2\n")
        client.send_message(b"c", b"")
        messages = client.read_until(b"Z")
        assert [e["C"] for e in errors(messages)] == ["22P02"]
        assert data_rows(client.simple_query("select count(*) from bad_copy_mid")) == [("0",)]


def test_copy_data_after_copy_that_failed_to_start(server: PghaServer, bystander: Conn) -> None:
    """asyncpg streams CopyData without waiting for CopyInResponse; PostgreSQL ignores
    CopyData/CopyDone/CopyFail that arrive when no COPY is running."""
    with _raw(server) as client:
        client.startup()
        client.send_query("copy bad_copy_no_such_table from stdin")
        client.send_message(b"d", b"1\n")
        client.send_message(b"c", b"")
        messages = client.read_until(b"Z")
        assert [e["C"] for e in errors(messages)] == ["42P01"]
        assert data_rows(client.simple_query("select 7")) == [("7",)]


# -- cancellation --------------------------------------------------------------------------

SLOW_CTE = (
    "with recursive r(i) as (select 1 union all select i + 1 from r where i < 100000000) "
    "select count(*) from r"
)


def _keep_cancelling(conn: Conn, stop: threading.Event, first_delay: float) -> threading.Thread:
    """Cancel `conn` after `first_delay`, then again every second until `stop`: a cancel that
    arrives before the query started is lost (as on PostgreSQL), so one try could be racy."""

    def loop() -> None:
        delay = first_delay
        while not stop.wait(delay):
            conn.cancel_safe()
            delay = 1.0

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    return thread


def test_cancel_slow_query_with_psycopg(server: PghaServer, bystander: Conn) -> None:
    with server.connect() as conn:
        stop = threading.Event()
        canceller = _keep_cancelling(conn, stop, 0.5)
        started = time.monotonic()
        try:
            with pytest.raises(psycopg.errors.QueryCanceled) as exc_info:
                conn.execute(SLOW_CTE)
        finally:
            stop.set()
            canceller.join()
        assert exc_info.value.diag.sqlstate == "57014"
        assert time.monotonic() - started < 20
        assert conn.execute("select 'after cancel'").fetchone() == ("after cancel",)


def test_cancel_pg_sleep_promptly(server: PghaServer, bystander: Conn) -> None:
    with server.connect() as conn:
        timer = threading.Timer(0.3, conn.cancel_safe)
        timer.start()
        started = time.monotonic()
        with pytest.raises(psycopg.errors.QueryCanceled):
            conn.execute("select pg_sleep(3)")
        assert time.monotonic() - started < 2.5


def test_cancel_request_on_raw_socket(server: PghaServer, bystander: Conn) -> None:
    with _raw(server) as victim:
        pid, secret = victim.startup()
        victim.send_query(SLOW_CTE)
        messages: list[Message] = []
        for _ in range(10):  # a cancel that arrives before the query started is simply lost
            time.sleep(0.3)
            with _raw(server) as canceller:
                canceller.send(struct.pack("!IIII", 16, CANCEL_REQUEST_CODE, pid, secret))
                assert canceller.read_until_closed(timeout=10) == []
            try:
                messages = victim.read_until(b"Z", timeout=2)
                break
            except TimeoutError:
                continue
        assert [e["C"] for e in errors(messages)] == ["57014"]
        assert data_rows(victim.simple_query("select 1")) == [("1",)]


def test_cancel_with_wrong_secret_is_ignored(server: PghaServer, bystander: Conn) -> None:
    with _raw(server) as victim:
        pid, secret = victim.startup()
        with _raw(server) as canceller:
            canceller.send(struct.pack("!IIII", 16, CANCEL_REQUEST_CODE, pid, secret ^ 1))
            canceller.read_until_closed(timeout=10)
        messages = victim.simple_query(
            "with recursive r(i) as (select 1 union all select i + 1 from r where i < 20000) "
            "select count(*) from r"
        )
        assert errors(messages) == []
        assert data_rows(messages) == [("20000",)]


def test_asyncpg_timeout_cancels_query(server: PghaServer, bystander: Conn) -> None:
    async def main() -> tuple[type[BaseException], int]:
        con = await asyncpg.connect(
            host=server.host, port=server.port, user="postgres", database="postgres", ssl=False
        )
        try:
            try:
                await con.fetchval(SLOW_CTE, timeout=0.5)
            except BaseException as exc:
                raised: type[BaseException] = type(exc)
            else:
                raised = type(None)  # type: ignore[assignment]
            return raised, await con.fetchval("select 3")
        finally:
            await con.close()

    raised, after = asyncio.run(main())
    assert issubclass(raised, asyncio.TimeoutError)
    assert after == 3


# -- load ----------------------------------------------------------------------------------


def test_fifty_concurrent_connections(server: PghaServer, bystander: Conn) -> None:
    with server.connect() as conn:
        conn.execute("create table conc50 (worker int, i int)")
    barrier = threading.Barrier(50, timeout=60)

    def worker(n: int) -> tuple[int, int]:
        with server.connect() as conn:
            barrier.wait()  # all 50 connected at the same time
            for i in range(3):
                conn.execute("insert into conc50 values (%s, %s)", (n, i))
            (total,) = conn.execute("select sum(i) from conc50 where worker = %s", (n,)).fetchone()
            (echo,) = conn.execute("select %s::int * 2", (n,)).fetchone()
            return total, echo

    with ThreadPoolExecutor(max_workers=50) as pool:
        results = list(pool.map(worker, range(50)))
    assert results == [(3, 2 * n) for n in range(50)]
    with server.connect() as conn:
        assert conn.execute("select count(*), count(distinct worker) from conc50").fetchone() == (
            150,
            50,
        )


def test_fifty_concurrent_asyncpg_connections(server: PghaServer, bystander: Conn) -> None:
    async def one(n: int) -> int:
        con = await asyncpg.connect(
            host=server.host, port=server.port, user="postgres", database="postgres", ssl=False
        )
        try:
            total = 0
            for i in range(3):
                total += await con.fetchval("select $1::int + $2::int", n, i)
            return total
        finally:
            await con.close()

    async def main() -> list[int]:
        return await asyncio.gather(*(one(n) for n in range(50)))

    assert asyncio.run(main()) == [3 * n + 3 for n in range(50)]


def test_client_disconnect_mid_transaction_releases_it(server: PghaServer, bystander: Conn) -> None:
    with server.connect() as conn:
        conn.execute("create table abandon_tx (i int)")
    with _raw(server) as client:
        client.startup()
        client.simple_query("begin")
        client.simple_query("insert into abandon_tx values (1)")
    # The abandoned transaction rolled back and holds no write lock.
    with server.connect() as conn:
        conn.execute("insert into abandon_tx values (2)")
        assert conn.execute("select i from abandon_tx").fetchall() == [(2,)]


def _sqlstate_of(conn: Conn, query: bytes) -> tuple[str | None, bytes]:
    result = conn.pgconn.exec_(query)
    return (result.error_field(psycopg.pq.DiagnosticField.SQLSTATE) or b"").decode() or None, \
        result.error_message


def test_invalid_utf8_in_a_query_is_22021(server: PghaServer, bystander: Conn) -> None:
    with server.connect() as conn:
        state, message = _sqlstate_of(conn, b"select 'a\xff\xfe'")
        assert state == "22021", message  # as PostgreSQL: invalid byte sequence for "UTF8"
        assert b"0xff" in message
        assert conn.execute("select 1").fetchone() == (1,)


def test_a_statement_nested_too_deeply_is_54001(server: PghaServer, bystander: Conn) -> None:
    with server.connect() as conn:
        deep = "select " + "(select " * 2000 + "1" + ")" * 2000
        state, message = _sqlstate_of(conn, deep.encode())
        assert state == "54001", message  # PostgreSQL: stack depth limit exceeded
        assert conn.execute("select 1").fetchone() == (1,)


DEEP_CHAINS = [
    "select " + " + ".join(["1"] * 200_000),
    "select " + "not " * 100_000 + "true",
    "select " + " || ".join(["'x'"] * 100_000),
    "select 1" + " union select 1" * 30_000,
    "select " + "- " * 100_000 + "1",
    "select 1::int" + "::int" * 50_000,
]


@pytest.mark.parametrize("sql", DEEP_CHAINS, ids=lambda sql: sql[:20])
def test_a_long_operator_chain_is_54001_not_a_crash(server: PghaServer, bystander: Conn,
                                                    sql: str) -> None:
    # Regression: building pglast's tree of 50,000+ chained operators overflowed the C stack
    # and killed the node (every session lost, no error). PostgreSQL answers 54001.
    with server.connect() as conn:
        state, message = _sqlstate_of(conn, sql.encode())
        assert state == "54001", message
        assert conn.execute("select 1 + 1 + 1").fetchone() == (3,)


def test_a_long_operator_chain_through_the_proxy(server: PghaServer, bystander: Conn,
                                                 tmp_path: Path) -> None:
    # The proxy classifies each statement with the same parser: it crashed as the node did.
    proxy = ProxyProcess(tmp_path / "proxy", [server])
    try:
        with psycopg.connect(proxy.dsn, autocommit=True) as conn:
            state, message = _sqlstate_of(conn, DEEP_CHAINS[0].encode())
            assert state == "54001", message
            assert conn.execute("select 1").fetchone() == (1,)
        assert proxy.process.poll() is None
    finally:
        proxy.stop()


def test_many_flat_conditions_are_not_too_deep(server: PghaServer, bystander: Conn) -> None:
    # AND/OR chains, lists and VALUES rows are flat: long ones are not refused (SQLite's
    # own limit of 1,000 levels per expression takes fewer conditions than PostgreSQL).
    with server.connect() as conn:
        where = " and ".join(f"{i} = {i}" for i in range(900))
        assert conn.execute(f"select count(*) from (select 1) t where {where}"
                            ).fetchone() == (1,)
        values = ", ".join(f"({i} + 1)" for i in range(6000))
        assert conn.execute(f"select count(*) from (values {values}) v").fetchone() == (6000,)


@contextlib.contextmanager
def _bystander_waits(bystander: Conn) -> Iterator[list[float]]:
    """How long each of the bystander's `select 1` took while the block ran."""
    waits: list[float] = []
    done = threading.Event()

    def ping() -> None:
        while not done.is_set():
            started = time.perf_counter()
            bystander.execute("select 1")
            waits.append(time.perf_counter() - started)
            time.sleep(0.01)

    pinger = threading.Thread(target=ping)
    pinger.start()
    try:
        yield waits
    finally:
        done.set()
        pinger.join(30)


def test_a_backtracking_regular_expression_does_not_stall_other_sessions(
        server: PghaServer, bystander: Conn) -> None:
    # Regression: Python's re backtracks exponentially on '(a|aa)+$' and holds the GIL: one
    # such query stopped every session of the node (with 30 characters, for minutes). The
    # match now releases the GIL, runs off the event loop and is bounded in time.
    with _bystander_waits(bystander) as waits, server.connect() as conn:
        assert conn.execute("select repeat('a', 33) || '!' ~ '(a|aa)+$'").fetchone() \
            == (False,)
    assert len(waits) > 10 and max(waits) < 1.0, (len(waits), max(waits))


def test_a_large_statement_does_not_stall_other_sessions(server: PghaServer,
                                                          bystander: Conn) -> None:
    # About 0.7 MB of SQL with 80,000 constants: parsing it takes seconds, on a worker thread;
    # meanwhile another session's statements are answered at once. (Normalising its
    # constants on the event loop used to stall every session, and then failed with SQLite's
    # "variable number must be between ?1 and ?32766".)
    big = "select count(*) from (values " + ", ".join(f"({i})" for i in range(80_000)) + ") v"
    with _bystander_waits(bystander) as waits, server.connect() as conn:
        assert conn.execute(big).fetchone() == (80_000,)
    assert len(waits) > 10 and max(waits) < 1.0, (len(waits), max(waits))


def test_a_50_mb_constant_does_not_stall_other_sessions(server: PghaServer,
                                                         bystander: Conn) -> None:
    # Regression: a statement holding one 50 MB string constant stopped every other session
    # of the node for 2-5 s. pglast maps each character of a text to its UTF-8 offset holding
    # the GIL (0.5 s here, twice: once to check the nesting depth, once to parse), and a
    # case-insensitive regular expression over the translated text held it for 4 s more. Long
    # constants are now lifted out before pglast sees the text (routing.lifting).
    doc = "x" * 25_000_000 + "'é" * 8_000_000 + "y"
    quoted = doc.replace("'", "''")
    with _bystander_waits(bystander) as waits, server.connect() as conn:
        conn.execute("create table blob (id int primary key, body text)")
        assert conn.execute(f"insert into blob values (1, '{quoted}') returning length(body)"
                            ).fetchone() == (len(doc),)
        assert conn.execute(f"select body = '{quoted}' from blob").fetchone() == (True,)
    assert len(waits) > 10 and max(waits) < 1.0, (len(waits), max(waits))
    with server.connect() as conn:
        assert conn.execute("select body from blob").fetchone() == (doc,)
