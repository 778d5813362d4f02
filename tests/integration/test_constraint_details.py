"""What a constraint violation tells the client, compared with PostgreSQL 15 through psycopg:
SQLSTATE, message, DETAIL (the key, the failing row, the missing or still-referenced key),
table, column and constraint fields, and CONTEXT for COPY, for every kind of write statement
(multi-row INSERT, INSERT ... SELECT, UPDATE, DELETE, RETURNING, ON CONFLICT, COPY), in
autocommit and inside a transaction block."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest

from fixtures.pgha_server import PghaServer

SCHEMA = [
    "create table vp (id int primary key, code text unique, n int not null, "
    "chk int check (chk > 0), at date)",
    "create table vc (id serial primary key, p int references vp(id), note text)",
    "create table vc2 (id int primary key, p int references vp(id) on delete cascade)",
    "create schema s",
    "create table s.u (k text primary key, v numeric(6, 2) check (v < 1000))",
    "insert into vp values (1, 'a', 1, 1, '2024-01-02'), (2, 'b', 2, 2, null), "
    "(3, 'c', 3, 3, null)",
    "insert into vc (p) values (1), (2)",
    "insert into vc2 values (1, 3)",
    "insert into s.u values ('x', 1.5)",
]

STATEMENTS = [
    "insert into vp values (1, 'z', 1, 1)",
    "insert into vp values (9, 'z', 1, 1), (10, 'z', 1, 1)",
    "insert into vp select id + 100, code, n, chk from vp",
    "update vp set code = 'a' where id = 2",
    "update vp set id = id + 1",
    "insert into vp values (11, 'k', null, 1, '2024-05-06')",
    "update vp set n = null where id = 3",
    "insert into vp (id, code, n, chk) values (12, 'm', 1, -5)",
    "update vp set chk = 0 where id = 1",
    "insert into vc (p, note) values (42, 'x')",
    "insert into vc (p) select 77",
    "update vc set p = 99 where id = 1",
    "delete from vp where id = 1",
    "delete from vp where id in (3, 2)",
    "update vp set id = 50 where id = 2",
    "insert into vp values (2, 'q', 1, 1) returning *",
    "insert into vp values (13, 'a', 1, 1) on conflict (id) do nothing",
    "insert into s.u values ('x', 2)",
    "insert into s.u values ('y', 1000)",
    "update s.u set v = 999.999",
]

COPIES = [
    ("copy vp (id, code, n, chk) from stdin", "20\tq\t1\t1\n21\ta\t1\t1\n"),
    ("copy vp (id, code, n, chk) from stdin", "22\tr\t1\t1\n23\tt\t\\N\t1\n"),
    ("copy vp (id, code, n, chk) from stdin with (format csv)", "24,u,1,1\n25,v,1,-1\n"),
    ("copy vc (p) from stdin", "1\n2\n404\n"),
    ("copy vp (id, code, n, chk) from stdin", "26\tw\tx\t1\n"),
    ("copy vp (id, code, n, chk) from stdin", "27\tw\t1\n"),
]


def _error(conn: psycopg.Connection[Any], sql: str, data: str | None = None,
           in_block: bool = False) -> tuple[Any, ...]:
    try:
        if in_block:
            conn.execute("begin")
        if data is None:
            conn.execute(sql)
        else:
            with conn.cursor().copy(sql) as copy:
                copy.write(data)
        return ("no error",)
    except psycopg.Error as exc:
        d = exc.diag
        return (exc.sqlstate, d.message_primary, d.message_detail, d.context, d.schema_name,
                d.table_name, d.column_name, d.constraint_name)
    finally:
        if in_block:
            conn.execute("rollback")


def _both(pgha_server: PghaServer, postgres_db: str) -> tuple[Any, Any]:
    pgha = pgha_server.connect()
    pg = psycopg.connect(postgres_db, autocommit=True)
    for conn in (pgha, pg):
        for sql in SCHEMA:
            conn.execute(sql)
    return pgha, pg


def test_violations_say_what_postgresql_says(pgha_server: PghaServer, postgres_db: str) -> None:
    pgha, pg = _both(pgha_server, postgres_db)
    with pgha, pg:
        for in_block in (False, True):
            for sql in STATEMENTS:
                want = _error(pg, sql, in_block=in_block)
                assert want[0] != "no error", sql
                assert _error(pgha, sql, in_block=in_block) == want, (sql, in_block)
        # nothing of the failed statements (nor of their second run) stayed
        for table in ("vp", "vc", "vc2", "s.u"):
            query = f"select * from {table} order by 1"
            assert pgha.execute(query).fetchall() == pg.execute(query).fetchall(), table


@pytest.mark.parametrize("sql, data", COPIES)
def test_copy_errors_carry_the_row_and_the_line(pgha_server: PghaServer, postgres_db: str,
                                                sql: str, data: str) -> None:
    pgha, pg = _both(pgha_server, postgres_db)
    with pgha, pg:
        want = _error(pg, sql, data)
        assert want[0] != "no error"
        assert _error(pgha, sql, data) == want
        assert pgha.execute("select count(*) from vp").fetchone() == (3,)


def test_the_second_run_hands_out_no_sequence_value(pgha_server: PghaServer) -> None:
    # The failing statement runs a second time to find its row; its nextval calls are undone
    # (currval and the next value are PostgreSQL's: the first run used 3), and nothing of it is
    # written, in autocommit and in a block.
    with pgha_server.connect() as conn:
        for sql in SCHEMA:
            conn.execute(sql)
        with pytest.raises(psycopg.errors.ForeignKeyViolation):
            conn.execute("insert into vc (p) values (404)")
        assert conn.execute("select currval('vc_id_seq')").fetchone() == (3,)
        conn.execute("begin")
        with pytest.raises(psycopg.errors.UniqueViolation):
            conn.execute("insert into vc (id, p) values (1, 1), (nextval('vc_id_seq'), 1)")
        conn.execute("rollback")
        assert conn.execute("select currval('vc_id_seq')").fetchone() == (3,)
        ids = [conn.execute("insert into vc (p) values (1) returning id").fetchone()[0]
               for _ in range(3)]
        assert ids == [4, 5, 6]  # (as on PostgreSQL: the second row was never reached)
        assert conn.execute("select count(*) from vc").fetchone() == (5,)
