"""asyncpg against a `pgha server`: always the extended protocol with named statements, binary
parameters and results chosen from the server's ParameterDescription/RowDescription.

Each test opens its own connection in its own event loop (`asyncio.run`), on uniquely named
tables, against one server per module.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import uuid
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

import asyncpg
import pytest

from fixtures.pgha_server import PghaServer

Con = asyncpg.Connection


def _name(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:8]}"


@pytest.fixture
def run(pgha_server_module: PghaServer) -> Callable[[Callable[[Con], Awaitable[Any]]], Any]:
    """`run(async_fn)`: call `async_fn(connection)` on a fresh asyncpg connection."""

    def runner(body: Callable[[Con], Awaitable[Any]]) -> Any:
        async def main() -> Any:
            con = await asyncpg.connect(
                host=pgha_server_module.host,
                port=pgha_server_module.port,
                user=pgha_server_module.user,
                database=pgha_server_module.dbname,
                timeout=10,
                ssl=False,
            )
            try:
                return await asyncio.wait_for(body(con), 60)
            finally:
                await con.close()

        return asyncio.run(main())

    return runner


def test_connect_and_server_version(run) -> None:
    async def body(con: Con) -> None:
        assert con.get_server_version().major == 15
        assert await con.fetchval("select 1") == 1
        assert con.get_settings().client_encoding == "UTF8"

    run(body)


def test_insert_infers_parameter_types_from_columns(run) -> None:
    name = _name("apg_infer")

    async def body(con: Con) -> None:
        await con.execute(f"create table {name} (id int primary key, name text)")
        status = await con.execute(f"insert into {name} values ($1, $2)", 1, "one")
        assert status == "INSERT 0 1"
        await con.execute(f"insert into {name} (name, id) values ($1, $2)", "two", 2)
        assert await con.fetchval(f"select name from {name} where id = $1", 2) == "two"
        row = await con.fetchrow(f"select id, name from {name} where name = $1", "one")
        assert row is not None
        assert (row["id"], row["name"]) == (1, "one")
        rows = await con.fetch(f"select id from {name} where id > $1 order by id", 0)
        assert [r["id"] for r in rows] == [1, 2]
        status = await con.execute(f"update {name} set name = $1 where id = $2", "uno", 1)
        assert status == "UPDATE 1"
        assert await con.execute(f"delete from {name} where id = $1", 2) == "DELETE 1"

    run(body)


def test_parameter_types_from_casts(run) -> None:
    async def body(con: Con) -> None:
        assert await con.fetchval("select $1::int + $2::int", 2, 3) == 5
        assert await con.fetchval("select $1::text || $2::text", "a", "b") == "ab"
        assert await con.fetchval("select $1::bigint * 2", 2**40) == 2**41
        assert await con.fetchval("select $1::numeric + 1", Decimal("1.25")) == Decimal("2.25")
        assert await con.fetchval("select $1::bool and true", True) is True

    run(body)


def test_parameter_description_oids(run) -> None:
    name = _name("apg_desc")

    async def body(con: Con) -> None:
        await con.execute(f"create table {name} (id int, name text, at timestamptz)")
        stmt = await con.prepare(f"insert into {name} values ($1, $2, $3)")
        assert [t.name for t in stmt.get_parameters()] == ["int4", "text", "timestamptz"]
        stmt = await con.prepare("select $1::int + $2::int, $3::text")
        assert [t.name for t in stmt.get_parameters()] == ["int4", "int4", "text"]
        assert [a.type.name for a in stmt.get_attributes()] == ["int4", "text"]

    run(body)


def test_fetchrow_and_fetchval_of_many_rows(run) -> None:
    async def body(con: Con) -> None:
        # fetchrow executes with maxrows=1: the portal is suspended after one row.
        row = await con.fetchrow("select g, g * 2 from generate_series(1, 5) g order by g")
        assert tuple(row) == (1, 2)
        assert await con.fetchval("select g from generate_series(7, 9) g order by g") == 7
        assert await con.fetchrow("select 1 where false") is None

    run(body)


def test_prepared_statement_reuse(run) -> None:
    name = _name("apg_prep")

    async def body(con: Con) -> None:
        await con.execute(f"create table {name} (id int, v text)")
        insert = await con.prepare(f"insert into {name} values ($1, $2)")
        for i in range(10):
            await insert.fetch(i, f"v{i}")
        select = await con.prepare(f"select v from {name} where id = $1")
        assert [await select.fetchval(i) for i in (3, 7, 9)] == ["v3", "v7", "v9"]
        assert await select.fetchrow(100) is None
        assert await con.fetchval(f"select count(*) from {name}") == 10

    run(body)


def test_cursor_in_transaction(run) -> None:
    async def body(con: Con) -> None:
        async with con.transaction():
            cur = await con.cursor("select g from generate_series(1, 10) g order by g")
            first = await cur.fetch(3)
            second = await cur.fetch(4)
            rest = await cur.fetch(10)
            assert [r[0] for r in first] == [1, 2, 3]
            assert [r[0] for r in second] == [4, 5, 6, 7]
            assert [r[0] for r in rest] == [8, 9, 10]
            assert await cur.fetch(1) == []
            seen = [r[0] async for r in con.cursor("select g from generate_series(1, 25) g")]
            assert seen == list(range(1, 26))

    run(body)


def test_transactions_and_savepoints(run) -> None:
    name = _name("apg_tx")

    async def body(con: Con) -> None:
        await con.execute(f"create table {name} (id int)")
        async with con.transaction():
            await con.execute(f"insert into {name} values (1)")
        with pytest.raises(RuntimeError):
            async with con.transaction():
                await con.execute(f"insert into {name} values (2)")
                raise RuntimeError("roll back")
        async with con.transaction():
            await con.execute(f"insert into {name} values (3)")
            with pytest.raises(asyncpg.DivisionByZeroError):
                async with con.transaction():  # a savepoint
                    await con.execute(f"insert into {name} values (4)")
                    await con.execute("select 1/0")
            async with con.transaction():
                await con.execute(f"insert into {name} values (5)")
        tr = con.transaction()
        await tr.start()
        await con.execute(f"insert into {name} values (6)")
        await tr.rollback()
        rows = await con.fetch(f"select id from {name} order by id")
        assert [r["id"] for r in rows] == [1, 3, 5]
        assert not con.is_in_transaction()

    run(body)


def test_executemany(run) -> None:
    name = _name("apg_many")

    async def body(con: Con) -> None:
        await con.execute(f"create table {name} (id int primary key, v text, n numeric)")
        await con.executemany(
            f"insert into {name} values ($1, $2, $3)",
            [(i, f"v{i}", Decimal(i) / 4) for i in range(100)],
        )
        row = await con.fetchrow(f"select count(*), sum(id), max(n) from {name}")
        assert tuple(row) == (100, 4950, Decimal("24.75"))
        with pytest.raises(asyncpg.UniqueViolationError):
            await con.executemany(
                f"insert into {name} values ($1, $2, $3)", [(200, "a", 1), (5, "b", 2)]
            )
        # executemany is atomic: the first row of the failed batch is not there.
        assert await con.fetchval(f"select count(*) from {name} where id = 200") == 0

    run(body)


def test_copy_records_to_table(run) -> None:
    name = _name("apg_copy")

    async def body(con: Con) -> None:
        await con.execute(f"create table {name} (id int, name text, at date)")
        records = [
            (1, "a", dt.date(2024, 1, 1)),
            (2, None, None),
            (3, "c\td", dt.date(2000, 2, 29)),
        ]
        status = await con.copy_records_to_table(name, records=records)
        assert status == "COPY 3"
        rows = await con.fetch(f"select * from {name} order by id")
        assert [tuple(r) for r in rows] == records

    run(body)


def test_copy_from_query_and_to_table_text(run, tmp_path) -> None:
    name = _name("apg_copytxt")
    out = tmp_path / "out.txt"

    async def body(con: Con) -> None:
        await con.execute(f"create table {name} (id int, v text)")
        await con.execute(f"insert into {name} values (1, 'x'), (2, null)")
        status = await con.copy_from_query(f"select * from {name} order by id", output=str(out))
        assert status == "COPY 2"
        assert out.read_bytes() == b"1\tx\n2\t\\N\n"
        status = await con.copy_to_table(name, source=str(out))
        assert status == "COPY 2"
        assert await con.fetchval(f"select count(*) from {name} where v is null") == 2

    run(body)


def test_execution_errors_map_to_asyncpg_classes(run) -> None:
    name = _name("apg_err")

    async def body(con: Con) -> None:
        await con.execute(f"create table {name} (id int primary key, v text not null)")
        await con.execute(f"insert into {name} values (1, 'a')")
        with pytest.raises(asyncpg.UniqueViolationError) as unique:
            await con.execute(f"insert into {name} values ($1, $2)", 1, "b")
        assert unique.value.sqlstate == "23505"
        assert unique.value.constraint_name == f"{name}_pkey"
        with pytest.raises(asyncpg.NotNullViolationError) as not_null:
            await con.execute(f"insert into {name} values ($1, $2)", 2, None)
        assert not_null.value.column_name == "v"
        with pytest.raises(asyncpg.DivisionByZeroError):
            await con.fetchval("select 1/0")
        with pytest.raises(asyncpg.InvalidTextRepresentationError):
            await con.fetchval("select $1::text::int", "abc")
        # The connection still works after every error.
        assert await con.fetchval(f"select count(*) from {name}") == 1

    run(body)


PARSE_ERRORS = [
    ("select * from apg_no_such_table", asyncpg.UndefinedTableError),
    ("select nope from pg_class", asyncpg.UndefinedColumnError),
    ("selec 1", asyncpg.PostgresSyntaxError),
    ("select 'abc'::int", asyncpg.InvalidTextRepresentationError),
]


def test_parse_time_errors_are_reported(run) -> None:
    """asyncpg sends Parse/Describe/Flush and only sends Sync after it got the answer, so the
    server must flush the ErrorResponse on Flush (PostgreSQL does)."""

    async def body(con: Con) -> None:
        for statement, error in PARSE_ERRORS:
            with pytest.raises(error):
                await asyncio.wait_for(con.fetch(statement), 2)
        assert await con.fetchval("select 1") == 1

    run(body)


def test_types_roundtrip(run) -> None:
    name = _name("apg_types")
    values = (
        dt.datetime(2024, 1, 2, 3, 4, 5, 123456, tzinfo=dt.UTC),
        dt.datetime(2024, 1, 2, 3, 4, 5),
        Decimal("1234.5678"),
        True,
        b"\x00\xffab",
        uuid.UUID("12345678-1234-5678-1234-567812345678"),
        json.dumps({"a": [1, 2], "b": None}),
        dt.date(2024, 2, 29),
        dt.timedelta(days=1, hours=2, minutes=3, seconds=4),
        2**40,
        1.25,
        "héllo",
    )

    async def body(con: Con) -> None:
        await con.execute(
            f"create table {name} (tz timestamptz, ts timestamp, n numeric, b bool, "
            "by bytea, u uuid, j jsonb, d date, i interval, big bigint, f float8, s text)"
        )
        await con.execute(
            f"insert into {name} values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
            *values,
        )
        row = await con.fetchrow(f"select * from {name}")
        got = tuple(row)
        assert got[:6] == values[:6]
        assert json.loads(got[6]) == {"a": [1, 2], "b": None}
        assert got[7:] == values[7:]
        null_row = await con.fetchrow(
            "select null::int, null::text, null::timestamptz, null::numeric, null::bytea"
        )
        assert tuple(null_row) == (None,) * 5

    run(body)


def test_literal_types_in_binary(run) -> None:
    async def body(con: Con) -> None:
        row = await con.fetchrow(
            "select '2024-01-02 03:04:05+00'::timestamptz, 1.50::numeric(10,2), "
            "'1 day 02:00:00'::interval, '\\x0102'::bytea, "
            "'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid, '{\"k\": 1}'::jsonb, "
            "'2024-01-02'::date, -5::smallint, 1e100::float8"
        )
        assert tuple(row) == (
            dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.UTC),
            Decimal("1.50"),
            dt.timedelta(days=1, hours=2),
            b"\x01\x02",
            uuid.UUID("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"),
            '{"k": 1}',
            dt.date(2024, 1, 2),
            -5,
            1e100,
        )

    run(body)


def test_int_array_parameter_and_result(run) -> None:
    """int4[] is outside asyncpg's built-in codecs: it runs the type introspection query."""

    async def body(con: Con) -> None:
        assert await con.fetchval("select $1::int[]", [1, 2, 3]) == [1, 2, 3]
        assert await con.fetchval("select array[1, 2] ") == [1, 2]

    run(body)


def test_pool_acquire_release_runs_reset_query(pgha_server_module: PghaServer) -> None:
    """Releasing a connection to the pool runs `SELECT pg_advisory_unlock_all(); CLOSE ALL;
    UNLISTEN *; RESET ALL;`; a failure there would close the connection."""

    async def main() -> None:
        pool = await asyncpg.create_pool(
            host=pgha_server_module.host,
            port=pgha_server_module.port,
            user=pgha_server_module.user,
            database=pgha_server_module.dbname,
            min_size=1,
            max_size=1,
            ssl=False,
        )
        try:
            pids = []
            for i in range(2):
                async with pool.acquire() as con:
                    await con.execute("set application_name = 'apg_pool'")
                    assert await con.fetchval("select $1::int * 2", i) == i * 2
                    pids.append(con.get_server_pid())
            # The same server connection was reused (the reset query did not fail), and the
            # RESET ALL in it undid the SET.
            assert pids[0] == pids[1]
            async with pool.acquire() as con:
                assert await con.fetchval("show application_name") != "apg_pool"
            await pool.execute("SELECT pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL;")
        finally:
            await asyncio.wait_for(pool.close(), 10)

    asyncio.run(main())


def test_concurrent_connections_with_gather(pgha_server_module: PghaServer) -> None:
    async def one(i: int) -> int:
        con = await asyncpg.connect(
            host=pgha_server_module.host,
            port=pgha_server_module.port,
            user=pgha_server_module.user,
            database=pgha_server_module.dbname,
            ssl=False,
        )
        try:
            return await con.fetchval("select $1::int + 1", i)
        finally:
            await con.close()

    async def main() -> list[int]:
        return await asyncio.gather(*(one(i) for i in range(10)))

    assert asyncio.run(main()) == list(range(1, 11))
