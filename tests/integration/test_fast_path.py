"""Reads answered on the node's fast path (``pgha.server.fast_path``): the same answers as the
general way, with psycopg, asyncpg and psql.

The fast path answers a cached simple Query, a Parse of a known read and Bind / Describe /
Execute / Sync of a prepared read in the callback that received them, with the row format the
session keeps per statement. These tests run what it takes (prepared and repeated reads) in the
situations where a shortcut could go wrong: a setting that changes the text of the result, a
read that fails or outgrows its inline budget, a failed transaction, binary results, pipelines
that mix reads and writes, a schema change between two executions. An autocommit write in
the extended protocol commits in the same worker-thread hop as its Execute when its Sync is
next; a commit that fails there is still reported as the Sync's error.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import socket
import struct
import uuid
from typing import Any

import asyncpg
import psycopg
import pytest
from psycopg import errors

from fixtures.pgha_server import PghaServer

Conn = psycopg.Connection[Any]


def _name(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:8]}"


@pytest.fixture
def conn(pgha_server_module: PghaServer) -> Any:
    with pgha_server_module.connect() as c:
        yield c


@pytest.fixture
def table(conn: Conn) -> str:
    name = _name("fast")
    conn.execute(f"create table {name} (id int primary key, v text, f float8)")
    conn.execute(f"insert into {name} select g, 'v' || g, g / 3.0 from generate_series(1, 50) g")
    return name


def test_repeated_prepared_reads_return_their_rows(conn: Conn, table: str) -> None:
    for i in range(1, 51):
        row = conn.execute(f"select id, v from {table} where id = %s", (i,),
                           prepare=True).fetchone()
        assert row == (i, f"v{i}")
    assert conn.execute(f"select v from {table} where id = %s", (99,),
                        prepare=True).fetchone() is None


def test_a_prepared_read_follows_the_time_zone(conn: Conn) -> None:
    query = "select '2024-01-02 03:04:05+00'::timestamptz::text"
    conn.execute("set time zone 'UTC'")
    for _ in range(3):
        assert conn.execute(query, prepare=True).fetchone() == ("2024-01-02 03:04:05+00",)
    conn.execute("set time zone 'Asia/Tokyo'")
    assert conn.execute(query, prepare=True).fetchone() == ("2024-01-02 12:04:05+09",)


def test_a_prepared_read_follows_extra_float_digits(conn: Conn, table: str) -> None:
    query = f"select f from {table} where id = %s"  # a float8 column, sent as text
    assert conn.execute(query, (1,), prepare=True).fetchone() == (0.3333333333333333,)
    conn.execute("set extra_float_digits = 0")
    assert conn.execute(query, (1,), prepare=True).fetchone() == (0.333333333333333,)
    conn.execute("set extra_float_digits = 1")
    assert conn.execute(query, (1,), prepare=True).fetchone() == (0.3333333333333333,)


def test_a_failing_read_is_reported_once_and_fails_its_transaction(
        pgha_server_module: PghaServer, table: str) -> None:
    with pgha_server_module.connect(autocommit=False) as c:
        query = f"select 10 / %s from {table} where id = 1"
        assert c.execute(query, (2,), prepare=True).fetchone() == (5,)
        with pytest.raises(errors.DivisionByZero):
            c.execute(query, (0,), prepare=True)
        with pytest.raises(errors.InFailedSqlTransaction):
            c.execute(query, (2,), prepare=True)
        c.rollback()
        assert c.execute(query, (5,), prepare=True).fetchone() == (2,)
        c.commit()


def test_a_read_past_the_inline_budget_returns_every_row(conn: Conn) -> None:
    query = "select count(*), sum(g) from generate_series(1, %s) g"
    for n in (10, 300_000, 10):
        assert conn.execute(query, (n,), prepare=True).fetchone() == (n, n * (n + 1) // 2)


def test_reads_and_writes_in_a_pipeline(conn: Conn, table: str) -> None:
    with conn.pipeline():
        cursors = []
        for i in range(1, 11):
            conn.execute(f"update {table} set v = %s where id = %s", (f"w{i}", i))
            cursors.append(conn.execute(f"select v from {table} where id = %s", (i,)))
    assert [c.fetchone() for c in cursors] == [(f"w{i}",) for i in range(1, 11)]


def test_a_read_in_a_transaction_sees_its_own_writes(pgha_server_module: PghaServer,
                                                     table: str) -> None:
    with pgha_server_module.connect(autocommit=False) as c:
        query = f"select v from {table} where id = %s"
        assert c.execute(query, (7,), prepare=True).fetchone() == ("v7",)
        c.execute(f"update {table} set v = 'mine' where id = 7")
        assert c.execute(query, (7,), prepare=True).fetchone() == ("mine",)
        c.rollback()
        assert c.execute(query, (7,), prepare=True).fetchone() == ("v7",)


def test_a_schema_change_between_two_executions(conn: Conn) -> None:
    name = _name("fast_ddl")
    conn.execute(f"create table {name} (a int)")
    conn.execute(f"insert into {name} values (1)")
    query = f"select a from {name} where a = %s"
    assert conn.execute(query, (1,), prepare=True).fetchone() == (1,)
    conn.execute(f"alter table {name} rename column a to b")
    with pytest.raises(errors.UndefinedColumn):
        conn.execute(query, (1,), prepare=True)


def test_asyncpg_binary_results(pgha_server_module: PghaServer, table: str) -> None:
    async def main() -> list[Any]:
        c = await asyncpg.connect(pgha_server_module.url)
        try:
            stmt = await c.prepare(f"select id, v, f from {table} where id = $1")
            rows = [tuple(await stmt.fetchrow(i)) for i in (3, 4, 3)]
            rows.append(tuple(await c.fetchrow(f"select id, v from {table} where id = $1", 9)))
            return rows
        finally:
            await c.close()

    assert asyncio.run(main()) == [(3, "v3", 1.0), (4, "v4", 4 / 3), (3, "v3", 1.0), (9, "v9")]


def test_psql_simple_queries_with_new_literals(pgha_server_module: PghaServer, psql: Any,
                                               table: str) -> None:
    script = "".join(f"select v from {table} where id = {i};\n" for i in range(1, 41))
    result = psql(pgha_server_module, "-At", "-v", "ON_ERROR_STOP=1", stdin=script)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [f"v{i}" for i in range(1, 41)]


# -- an autocommit write commits in its Execute's hop when its Sync is next ---------------


def test_an_autocommit_write_commits_with_its_sync(conn: Conn, table: str) -> None:
    for i in range(1, 21):
        assert conn.execute(f"update {table} set v = %s where id = %s", (f"a{i}", i)).rowcount == 1
    assert conn.execute(f"select count(*) from {table} where v like 'a%%'").fetchone() == (20,)


def test_a_deferred_violation_at_the_commit_is_the_syncs_error(
        pgha_server_module: PghaServer) -> None:
    """The commit a Sync would have run fails: the client sees the statement's own result,
    then the error, and the session goes on, as on PostgreSQL."""
    name = _name("fast_deferred")
    with pgha_server_module.connect() as c:
        c.execute(f"create table {name} (id int unique deferrable initially deferred)")
        c.execute(f"insert into {name} values (1)")
        with pytest.raises(errors.UniqueViolation):
            c.execute(f"insert into {name} values (%s)", (1,))
        assert c.execute(f"select count(*) from {name}").fetchone() == (1,)
        c.execute(f"insert into {name} values (%s)", (2,))
        assert c.execute(f"select count(*) from {name}").fetchone() == (2,)


def _replies(port: int, frames: bytes) -> list[str]:
    """Start up as postgres/postgres on ``port``, send ``frames``, and return the type of
    each reply up to ReadyForQuery (with a CommandComplete's tag and an error's SQLSTATE)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        params = b"user\0postgres\0database\0postgres\0\0"
        s.sendall(struct.pack("!II", len(params) + 8, 196608) + params)
        buf = bytearray()

        def replies() -> list[str]:
            out: list[str] = []
            while True:
                while len(buf) < 5 or len(buf) < 1 + struct.unpack("!I", buf[1:5])[0]:
                    chunk = s.recv(65536)
                    assert chunk, "connection closed"
                    buf.extend(chunk)
                kind = chr(buf[0])
                body = bytes(buf[5:1 + struct.unpack("!I", buf[1:5])[0]])
                del buf[:5 + len(body)]
                if kind == "C":
                    kind += ":" + body.rstrip(b"\0").decode()
                elif kind == "E":
                    kind += ":" + next(f[1:].decode() for f in body.split(b"\0") if f[:1] == b"C")
                out.append(kind)
                if kind == "Z":
                    return out

        replies()  # start-up
        s.sendall(frames)
        return replies()


def _msg(kind: bytes, body: bytes) -> bytes:
    return kind + struct.pack("!I", len(body) + 4) + body


def test_the_replies_to_a_deferred_violation_are_postgresql_s(
        pgha_server_module: PghaServer, postgres_server: Any) -> None:
    table = _name("fast_seq")
    setup = _msg(b"Q", f"create table {table} (id int unique deferrable initially deferred);"
                       f" insert into {table} values (1)".encode() + b"\0")
    batch = (_msg(b"P", f"\0insert into {table} values ($1)\0\0\0".encode())
             + _msg(b"B", b"\0\0\0\0\0\x01\0\0\0\x011\0\0") + _msg(b"E", b"\0\0\0\0\0")
             + _msg(b"S", b""))
    got = []
    for port in (pgha_server_module.port, postgres_server.port):
        _replies(port, setup)
        got.append(_replies(port, batch))
    assert got[0] == got[1] == ["1", "2", "C:INSERT 0 1", "E:23505", "Z"]


# -- a block's point writes, its first write and its commit on the event loop -------------


def test_writes_of_a_block_are_answered_as_postgresql_answers_them(
        pgha_server_module: PghaServer, postgres_server: Any) -> None:
    """A block's prepared point writes (the first takes the write lock), one that fails (its
    error, then 25P02 for the next), and the block's end: the same replies as PostgreSQL's,
    message for message, each batch sent once the previous one was answered (so that the
    node's fast path, not only its general way, answers it)."""
    table = _name("fast_block")

    def bound(*values: bytes) -> bytes:
        params = b"".join(struct.pack("!I", len(v)) + v for v in values)
        return (_msg(b"B", b"\0\0\0\0" + struct.pack("!H", len(values)) + params + b"\0\0")
                + _msg(b"D", b"P\0") + _msg(b"E", b"\0\0\0\0\0") + _msg(b"S", b""))

    batches = [
        _msg(b"Q", f"create table {table} (id int primary key, v text);"
                   f" insert into {table} values (1, 'a')".encode() + b"\0"),
        _msg(b"Q", b"begin\0"),
        _msg(b"P", f"\0insert into {table} values ($1, $2)\0\0\0".encode()) + _msg(b"S", b""),
        bound(b"2", b"b"),
        bound(b"3", b"c"),
        bound(b"1", b"x"),  # a duplicate key: the block fails
        bound(b"4", b"d"),  # 25P02
        _msg(b"Q", b"commit\0"),  # ROLLBACK, as PostgreSQL reports it
        _msg(b"Q", b"begin\0"),
        bound(b"5", b"e"),
        _msg(b"Q", b"commit\0"),
        _msg(b"Q", f"select string_agg(id::text, ',' order by id) from {table}".encode()
             + b"\0"),
    ]
    got = []
    for port in (pgha_server_module.port, postgres_server.port):
        with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
            got.append([_exchange(s, batch) for batch in [b"", *batches]])
    assert got[0] == got[1]
    assert got[0][4] == ["2", "n", "C:INSERT 0 1", "Z"]
    assert got[0][6] == ["2", "n", "E:23505", "Z"]
    assert got[0][7] == ["E:25P02", "Z"]


def _exchange(s: socket.socket, frames: bytes) -> list[str]:
    """Send ``frames`` (start up when empty) and return the replies up to ReadyForQuery as
    ``_replies`` names them, with a DataRow's values."""
    if not frames:
        params = b"user\0postgres\0database\0postgres\0\0"
        frames = struct.pack("!II", len(params) + 8, 196608) + params
    s.sendall(frames)
    out: list[str] = []
    buf = b""
    while True:
        while len(buf) < 5 or len(buf) < 1 + struct.unpack("!I", buf[1:5])[0]:
            chunk = s.recv(65536)
            assert chunk, "connection closed"
            buf += chunk
        size = struct.unpack("!I", buf[1:5])[0]
        kind, body, buf = chr(buf[0]), buf[5:1 + size], buf[1 + size:]
        if kind == "C":
            kind += ":" + body.rstrip(b"\0").decode()
        elif kind == "E":
            kind += ":" + next(f[1:].decode() for f in body.split(b"\0") if f[:1] == b"C")
        elif kind == "D":
            kind += ":" + body[6:].decode()
        elif kind in "SKN":
            continue  # ParameterStatus, BackendKeyData, notices: differ between servers
        out.append(kind)
        if kind == "Z":
            return out


def test_a_first_write_waits_for_the_block_that_holds_the_write_lock(
        pgha_server_module: PghaServer, table: str) -> None:
    """Session B's first point write finds the write lock held by session A's block: it
    waits (off the event loop) until A commits, then runs; both writes are kept."""
    with pgha_server_module.connect() as a, pgha_server_module.connect() as b:
        a.execute("begin")
        a.execute(f"update {table} set v = %s where id = %s", ("by a", 1), prepare=True)

        async def b_writes() -> None:
            await asyncio.to_thread(_write_in_block, b, table)

        async def main() -> None:
            task = asyncio.create_task(b_writes())
            await asyncio.sleep(0.5)
            assert not task.done(), "B wrote while A held the write lock"
            a.execute("commit")
            await asyncio.wait_for(task, 10)

        asyncio.run(main())
        assert a.execute(f"select v from {table} where id in (1, 2) order by id"
                         ).fetchall() == [("by a",), ("by b",)]


def _write_in_block(c: Conn, table: str) -> None:
    with c.transaction():
        c.execute(f"update {table} set v = %s where id = %s", ("by b", 2), prepare=True)


def test_sqlite_s_wal_is_checkpointed_while_commits_run_on_the_event_loop(
        pgha_server_module: PghaServer) -> None:
    """Commits on the event loop leave SQLite's checkpoint to a thread of the node's: 40 MB
    written in small committed blocks do not pile up in SQLite's WAL file."""
    name = _name("fast_wal")
    with pgha_server_module.connect() as c:
        c.execute(f"create table {name} (id int primary key, v text)")
        payload = "x" * 20_000
        for i in range(2_000):
            with c.transaction():
                c.execute(f"insert into {name} values (%s, %s)", (i, payload), prepare=True)
        assert c.execute(f"select count(*) from {name}").fetchone() == (2_000,)
    wal = pgha_server_module.data_dir / "pgha.db-wal"
    assert wal.stat().st_size < 16 * 1024 * 1024


# -- a read's plan (fast_path.ReadPlan): kept per session while what it was checked under holds


def test_a_planned_read_follows_set_role(pgha_server_module: PghaServer, conn: Conn,
                                         table: str) -> None:
    role = _name("reader")
    conn.execute(f"create role {role}")
    query = f"select v from {table} where id = %s"
    for _ in range(3):  # (planned from the second execution on)
        assert conn.execute(query, (1,), prepare=True).fetchone() == ("v1",)
    conn.execute(f"set role {role}")
    with pytest.raises(errors.InsufficientPrivilege):
        conn.execute(query, (1,), prepare=True)
    conn.execute("reset role")
    assert conn.execute(query, (1,), prepare=True).fetchone() == ("v1",)


def test_a_planned_read_follows_a_revoke_from_another_session(
        pgha_server_module: PghaServer, conn: Conn, table: str) -> None:
    role = _name("reader")
    conn.execute(f"create role {role} login")
    conn.execute(f"grant select on {table} to {role}")
    with pgha_server_module.connect(user=role) as reader:
        query = f"select v from {table} where id = %s"
        for _ in range(3):
            assert reader.execute(query, (2,), prepare=True).fetchone() == ("v2",)
        conn.execute(f"revoke select on {table} from {role}")
        with pytest.raises(errors.InsufficientPrivilege):
            reader.execute(query, (2,), prepare=True)


def test_a_planned_read_follows_search_path_and_temporary_tables(conn: Conn) -> None:
    schema, name = _name("fast_s"), _name("fast_t")
    conn.execute(f"create schema {schema}")
    conn.execute(f"create table {name} (v text)")
    conn.execute(f"insert into {name} values ('public')")
    conn.execute(f"create table {schema}.{name} (v text)")
    conn.execute(f"insert into {schema}.{name} values ('other')")
    query = f"select v from {name} where v <> %s"
    for _ in range(3):
        assert conn.execute(query, ("x",), prepare=True).fetchone() == ("public",)
    conn.execute(f"set search_path = {schema}, public")
    assert conn.execute(query, ("x",), prepare=True).fetchone() == ("other",)
    conn.execute("reset search_path")
    assert conn.execute(query, ("x",), prepare=True).fetchone() == ("public",)
    conn.execute(f"create temporary table {name} (v text)")
    conn.execute(f"insert into {name} values ('temporary')")
    assert conn.execute(query, ("x",), prepare=True).fetchone() == ("temporary",)


def test_a_planned_read_follows_intervalstyle_and_binary_results(conn: Conn) -> None:
    query = "select make_interval(days => %s)"
    for _ in range(3):
        assert conn.execute(query, (2,), prepare=True).fetchone() == (dt.timedelta(days=2),)
    conn.execute("set intervalstyle = 'sql_standard'")
    with conn.cursor(binary=False) as cur:
        cur.adapters.register_loader("interval", psycopg.types.string.TextLoader)
        assert cur.execute(query, (2,), prepare=True).fetchone() == ("2 0:00:00",)
    with conn.cursor(binary=True) as cur:
        assert cur.execute(query, (2,), prepare=True).fetchone() == (dt.timedelta(days=2),)


def test_a_planned_read_in_a_block_keeps_its_snapshot(pgha_server_module: PghaServer,
                                                      table: str) -> None:
    with pgha_server_module.connect(autocommit=False) as c, \
            pgha_server_module.connect() as other:
        query = f"select v from {table} where id = %s"
        for _ in range(3):
            assert c.execute(query, (3,), prepare=True).fetchone() == ("v3",)
        c.commit()
        c.execute("set transaction isolation level repeatable read")
        assert c.execute(query, (3,), prepare=True).fetchone() == ("v3",)
        other.execute(f"update {table} set v = 'changed' where id = 3")
        assert c.execute(query, (3,), prepare=True).fetchone() == ("v3",)
        c.commit()
        assert c.execute(query, (3,), prepare=True).fetchone() == ("changed",)
        c.commit()
