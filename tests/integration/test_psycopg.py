"""psycopg 3 against a `pgha server`: parameters and types, prepared statements, binary results,
transactions and savepoints, error fields, pipelines, COPY, settings and row counts.

Each test works on its own uniquely named tables, so they share one server per module.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

import psycopg
import pytest
from psycopg import errors, sql
from psycopg.types.json import Jsonb

from fixtures.pgha_server import PghaServer

Conn = psycopg.Connection[Any]


def _name(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:8]}"


@pytest.fixture
def conn(pgha_server_module: PghaServer) -> Any:
    with pgha_server_module.connect() as c:
        yield c


@pytest.fixture
def tx_conn(pgha_server_module: PghaServer) -> Any:
    """A connection with autocommit off (psycopg's default): statements open a transaction."""
    with pgha_server_module.connect(autocommit=False) as c:
        yield c


@pytest.fixture
def people(conn: Conn) -> str:
    """A table with a primary key, a NOT NULL column and a named unique constraint."""
    name = _name("pg3_people")
    conn.execute(
        f"create table {name} (id int primary key, name text not null, "
        f"email text, constraint {name}_email_key unique (email))"
    )
    conn.execute(f"insert into {name} values (1, 'ann', 'ann@example.com')")
    return name


# -- parameters and types -------------------------------------------------------------------

AWARE = dt.datetime(2024, 1, 2, 3, 4, 5, 250000, tzinfo=dt.timezone(dt.timedelta(hours=2)))

TYPED_VALUES: list[tuple[str, str, Any]] = [
    ("int_small", "int", 5),
    ("int_big", "int", 70000),
    ("int_negative", "int", -2147483648),
    ("bigint", "bigint", 2**40),
    ("bigint_max", "bigint", 2**63 - 1),
    ("float", "float8", 1.5),
    ("float_tiny", "float8", 1e-300),
    ("numeric", "numeric", Decimal("12345678901234567890.123456789")),
    ("numeric_trailing_zeros", "numeric", Decimal("1.500")),
    ("numeric_huge", "numeric", Decimal("-98765432109876543210987654321098765432.1")),
    ("numeric_scale", "numeric", Decimal("1234.5678")),
    ("numeric_negative", "numeric", Decimal("-0.001")),
    ("bool_true", "boolean", True),
    ("bool_false", "boolean", False),
    ("text", "text", "héllo wörld ☃"),
    ("text_quotes", "text", 'it\'s a "test"\\n'),
    ("text_empty", "text", ""),
    ("bytes", "bytea", b"\x00\x01\xfe\xff'\\"),
    ("bytes_empty", "bytea", b""),
    ("date", "date", dt.date(2024, 2, 29)),
    ("datetime_naive", "timestamp", dt.datetime(2024, 1, 2, 3, 4, 5, 123456)),
    ("datetime_aware", "timestamptz", AWARE),
    ("uuid", "uuid", uuid.UUID("12345678-1234-5678-1234-567812345678")),
    ("jsonb", "jsonb", Jsonb({"a": [1, 2, {"b": None}], "c": "d"})),
    ("null_int", "int", None),
    ("null_text", "text", None),
]


@pytest.mark.parametrize(("label", "sqltype", "value"), TYPED_VALUES)
def test_parameter_roundtrip_through_table(
    conn: Conn, label: str, sqltype: str, value: Any
) -> None:
    name = _name("pg3_type")
    conn.execute(f"create table {name} (id int, v {sqltype})")
    conn.execute(f"insert into {name} values (%s, %s)", (1, value))
    expected = value.obj if isinstance(value, Jsonb) else value
    text_row = conn.execute(f"select v from {name} where id = %s", (1,)).fetchone()
    assert text_row == (expected,)
    binary_row = conn.cursor(binary=True).execute(f"select v from {name}").fetchone()
    assert binary_row == (expected,)
    # Filtering on the value finds the row (the stored value compares equal to the parameter).
    if value is not None and sqltype not in ("jsonb", "float8"):
        count = conn.execute(f"select count(*) from {name} where v = %s", (value,)).fetchone()
        assert count == (1,)


def test_all_types_in_one_row(conn: Conn) -> None:
    name = _name("pg3_row")
    conn.execute(
        f"create table {name} (i int, b bigint, f float8, n numeric, bo bool, s text, "
        "by bytea, d date, ts timestamp, tz timestamptz, u uuid, j jsonb, nu int)"
    )
    values = (
        5,
        2**40,
        1.5,
        Decimal("12.345"),
        True,
        "héllo",
        b"\x00\x01\xff",
        dt.date(2024, 1, 2),
        dt.datetime(2024, 1, 2, 3, 4, 5, 123456),
        AWARE,
        uuid.UUID(int=12345),
        Jsonb({"a": [1, 2], "b": None}),
        None,
    )
    conn.execute(f"insert into {name} values ({', '.join(['%s'] * len(values))})", values)
    row = conn.execute(f"select * from {name}").fetchone()
    assert row == (*values[:11], {"a": [1, 2], "b": None}, None)
    text = conn.execute(
        f"select i::text, b::text, f::text, n::text, bo::text, by::text, d::text, ts::text, "
        f"u::text, j::text from {name}"
    ).fetchone()
    assert text == (
        "5",
        "1099511627776",
        "1.5",
        "12.345",
        "true",
        "\\x0001ff",
        "2024-01-02",
        "2024-01-02 03:04:05.123456",
        "00000000-0000-0000-0000-000000003039",
        '{"a": [1, 2], "b": null}',
    )


def test_result_types_of_expressions(conn: Conn) -> None:
    row = conn.execute(
        "select 1, 2::bigint, 1.5::float8, 1.50::numeric(10,2), true, 'x'::text, "
        "'2024-01-02'::date, null::int"
    ).fetchone()
    assert row == (1, 2, 1.5, Decimal("1.50"), True, "x", dt.date(2024, 1, 2), None)
    assert [type(v) for v in row[:6]] == [int, int, float, Decimal, bool, str]


def test_int_parameter_arithmetic(conn: Conn) -> None:
    """psycopg sends 1 as int2 and 70000 as int4; the server must widen them."""
    assert conn.execute("select %s::int + %s", (1, 70000)).fetchone() == (70001,)
    assert conn.execute("select %s + %s", (2**40, 1)).fetchone() == (2**40 + 1,)


def test_binary_cursor(conn: Conn) -> None:
    cur = conn.cursor(binary=True)
    cur.execute(
        "select 42::int4, 'txt'::text, 2.5::float8, '2024-01-02 03:04:05+00'::timestamptz, "
        "true, '\\x0102'::bytea, 7::bigint, 3::smallint"
    )
    row = cur.fetchone()
    assert row == (
        42,
        "txt",
        2.5,
        dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.UTC),
        True,
        b"\x01\x02",
        7,
        3,
    )
    assert cur.pgresult is not None
    assert [cur.pgresult.fformat(i) for i in range(8)] == [1] * 8


# -- prepared statements --------------------------------------------------------------------


def test_explicit_prepare(conn: Conn, people: str) -> None:
    for i in range(3):
        row = conn.execute(
            f"select name from {people} where id = %s", (1,), prepare=True
        ).fetchone()
        assert row == ("ann",), i
    # Re-preparing under the same name would fail (42P05): psycopg reuses the statement.
    assert conn.execute(f"select count(*) from {people}", prepare=True).fetchone() == (1,)
    assert conn.execute(f"select count(*) from {people}", prepare=True).fetchone() == (1,)


def test_pg_prepared_statements_lists_protocol_statements(conn: Conn) -> None:
    conn.execute("select 1 + %s", (1,), prepare=True)
    names = conn.execute("select name from pg_prepared_statements").fetchall()
    assert any(name.startswith("_pg3_") for (name,) in names), names
    cur = conn.execute("select * from pg_prepared_statements")
    assert cur.description is not None
    assert [c.name for c in cur.description] == [
        "name",
        "statement",
        "prepare_time",
        "parameter_types",
        "from_sql",
        "generic_plans",
        "custom_plans",
    ]


def _prepare_some(conn: Conn) -> list[tuple[Any, ...]]:
    for _ in range(7):
        conn.execute("select 1 + %s", (1,), prepare=True)
    conn.execute("select %s::text || 'x'", ("a",), prepare=True)
    conn.execute("select 1", prepare=True)
    conn.execute("select 1", prepare=True)
    conn.execute("PREPARE ps_foo(int, timestamptz) AS select $1, $2; select 2")
    conn.execute("EXECUTE ps_foo(1, '2020-01-01')")
    conn.execute("prepare ps_bar as select 1")
    conn.execute("prepare ps_gone as select 1")
    conn.execute("deallocate ps_gone")
    return conn.execute(
        "select name, statement, parameter_types, from_sql, generic_plans, custom_plans, "
        "prepare_time <= now(), prepare_time > now() - interval '1 minute', "
        "parameter_types::text "
        "from pg_prepared_statements order by name").fetchall()


def test_pg_prepared_statements_matches_postgresql(pgha_server_module: PghaServer,
                                                   postgres_db: str) -> None:
    # Parse messages and SQL PREPARE both listed (the unnamed statement and deallocated ones
    # not), SQL PREPARE with the whole query string, parameter types as regtype[] and the
    # plan counts of plan_cache_mode auto: five custom plans, then generic ones.
    with pgha_server_module.connect() as ours, psycopg.connect(postgres_db,
                                                               autocommit=True) as theirs:
        rows = _prepare_some(ours)
        assert rows == _prepare_some(theirs)
    assert [r[0] for r in rows] == ["_pg3_0", "_pg3_1", "_pg3_2", "ps_bar", "ps_foo"]
    assert rows[0][2:6] == (["smallint"], False, 2, 5)
    assert rows[4][1:3] == ("PREPARE ps_foo(int, timestamptz) AS select $1, $2; select 2",
                            ["integer", "timestamp with time zone"])


def _regprocs(conn: Conn, binary: bool) -> list[Any]:
    # a regproc/regprocedure parameter (text format, psycopg sends it untyped as text)
    cur = conn.cursor(binary=binary)
    cur.execute("select 'now'::regproc, 'abs(integer)'::regprocedure, 0::regprocedure, "
                "%s::regprocedure, %s::regproc::oid, pg_typeof(to_regprocedure(%s))::text",
                ("upper(text)", "version", "now()"))
    assert [d.type_code for d in cur.description] == [24, 2202, 2202, 2202, 26, 25]
    return [cur.fetchone(), cur.pgresult.get_value(0, 1) if cur.pgresult else None]


def test_regproc_and_regprocedure_in_text_and_binary(pgha_server_module: PghaServer,
                                                     postgres_db: str) -> None:
    # OID 24 regproc and 2202 regprocedure: names in text format, the 4-byte OID in binary.
    with pgha_server_module.connect() as ours, psycopg.connect(postgres_db,
                                                               autocommit=True) as theirs:
        for binary in (False, True):
            assert _regprocs(ours, binary) == _regprocs(theirs, binary)
        assert _regprocs(ours, False)[1] == b"abs(integer)"
        assert _regprocs(ours, True)[1] == (1397).to_bytes(4, "big")


def test_automatic_prepare_threshold(conn: Conn) -> None:
    name = _name("pg3_auto")
    conn.execute(f"create table {name} (id int, v text)")
    assert conn.prepare_threshold == 5
    for i in range(12):
        conn.execute(f"insert into {name} values (%s, %s)", (i, f"v{i}"))
    results = [
        conn.execute(f"select v from {name} where id = %s", (i,)).fetchone() for i in range(12)
    ]
    assert results == [(f"v{i}",) for i in range(12)]
    assert conn.execute(f"select count(*), sum(id) from {name}").fetchone() == (12, 66)


def test_prepared_statement_survives_rollback(tx_conn: Conn) -> None:
    """psycopg sends DEALLOCATE ALL after a ROLLBACK tag when it has prepared statements."""
    for _ in range(7):
        assert tx_conn.execute("select %s::int * 2", (21,)).fetchone() == (42,)
    tx_conn.rollback()
    for _ in range(7):
        assert tx_conn.execute("select %s::int * 3", (2,)).fetchone() == (6,)
    tx_conn.rollback()


def test_sql_level_prepare_execute(conn: Conn) -> None:
    conn.execute("prepare pg3_plus(int, int) as select $1 + $2")
    assert conn.execute("execute pg3_plus(2, 3)").fetchone() == (5,)
    conn.execute("deallocate pg3_plus")
    with pytest.raises(errors.InvalidSqlStatementName):
        conn.execute("execute pg3_plus(2, 3)")


# -- transactions ---------------------------------------------------------------------------


def test_commit_and_rollback(pgha_server_module: PghaServer, tx_conn: Conn) -> None:
    name = _name("pg3_tx")
    tx_conn.execute(f"create table {name} (id int)")
    tx_conn.commit()
    tx_conn.execute(f"insert into {name} values (1)")
    assert tx_conn.info.transaction_status == psycopg.pq.TransactionStatus.INTRANS
    tx_conn.commit()
    tx_conn.execute(f"insert into {name} values (2)")
    tx_conn.rollback()
    with pgha_server_module.connect() as other:
        assert other.execute(f"select id from {name}").fetchall() == [(1,)]


def test_uncommitted_rows_invisible_to_other_connection(
    pgha_server_module: PghaServer, tx_conn: Conn
) -> None:
    name = _name("pg3_iso")
    tx_conn.execute(f"create table {name} (id int)")
    tx_conn.commit()
    tx_conn.execute(f"insert into {name} values (1)")
    with pgha_server_module.connect() as other:
        assert other.execute(f"select count(*) from {name}").fetchone() == (0,)
    tx_conn.commit()
    with pgha_server_module.connect() as other:
        assert other.execute(f"select count(*) from {name}").fetchone() == (1,)


def test_nested_transaction_blocks_use_savepoints(conn: Conn) -> None:
    name = _name("pg3_sp")
    conn.execute(f"create table {name} (id int)")
    with conn.transaction():
        conn.execute(f"insert into {name} values (1)")
        with pytest.raises(errors.DivisionByZero), conn.transaction():
            conn.execute(f"insert into {name} values (2)")
            conn.execute("select 1/0")
        with conn.transaction():
            conn.execute(f"insert into {name} values (3)")
            with conn.transaction():
                conn.execute(f"insert into {name} values (4)")
        try:
            with conn.transaction():
                conn.execute(f"insert into {name} values (5)")
                raise psycopg.Rollback()
        finally:
            pass
    assert conn.execute(f"select id from {name} order by id").fetchall() == [(1,), (3,), (4,)]


def test_outer_transaction_rollback_discards_released_savepoints(conn: Conn) -> None:
    name = _name("pg3_sp2")
    conn.execute(f"create table {name} (id int)")
    with conn.transaction():
        conn.execute(f"insert into {name} values (1)")
        with conn.transaction(force_rollback=True):
            conn.execute(f"insert into {name} values (2)")
            with conn.transaction():
                conn.execute(f"insert into {name} values (3)")
    assert conn.execute(f"select id from {name}").fetchall() == [(1,)]


def test_sql_savepoints(tx_conn: Conn) -> None:
    name = _name("pg3_sqlsp")
    tx_conn.execute(f"create table {name} (id int)")
    tx_conn.execute(f"insert into {name} values (1)")
    tx_conn.execute("savepoint a")
    tx_conn.execute(f"insert into {name} values (2)")
    tx_conn.execute("savepoint b")
    tx_conn.execute(f"insert into {name} values (3)")
    tx_conn.execute("rollback to savepoint a")
    tx_conn.execute(f"insert into {name} values (4)")
    tx_conn.execute("release savepoint a")
    tx_conn.commit()
    assert tx_conn.execute(f"select id from {name} order by id").fetchall() == [(1,), (4,)]
    tx_conn.commit()


def test_failed_transaction_rejects_statements_until_rollback(tx_conn: Conn) -> None:
    with pytest.raises(errors.DivisionByZero):
        tx_conn.execute("select 1/0")
    assert tx_conn.info.transaction_status == psycopg.pq.TransactionStatus.INERROR
    with pytest.raises(errors.InFailedSqlTransaction):
        tx_conn.execute("select 1")
    tx_conn.rollback()
    assert tx_conn.execute("select 1").fetchone() == (1,)
    tx_conn.rollback()


# -- errors ---------------------------------------------------------------------------------


def test_unique_violation_names_the_constraint(conn: Conn, people: str) -> None:
    with pytest.raises(errors.UniqueViolation) as exc_info:
        conn.execute(f"insert into {people} values (1, 'bob', 'bob@example.com')")
    diag = exc_info.value.diag
    assert diag.sqlstate == "23505"
    assert diag.constraint_name == f"{people}_pkey"
    assert diag.table_name == people
    assert diag.severity_nonlocalized == "ERROR"
    with pytest.raises(errors.UniqueViolation) as exc_info:
        conn.execute(f"insert into {people} values (2, 'bob', 'ann@example.com')")
    assert exc_info.value.diag.constraint_name == f"{people}_email_key"
    assert conn.execute(f"select count(*) from {people}").fetchone() == (1,)


def test_unique_violation_detail(conn: Conn, people: str) -> None:
    with pytest.raises(errors.UniqueViolation) as exc_info:
        conn.execute(f"insert into {people} values (1, 'bob', 'bob@example.com')")
    assert exc_info.value.diag.message_detail == "Key (id)=(1) already exists."
    with pytest.raises(errors.UniqueViolation) as exc_info:  # parameters, as ORMs send them
        conn.execute(f"insert into {people} values (%s, %s, %s)", (1, "bob", "b@example.com"))
    assert exc_info.value.diag.message_detail == "Key (id)=(1) already exists."
    assert exc_info.value.diag.constraint_name == f"{people}_pkey"
    assert exc_info.value.diag.table_name == people


def test_not_null_violation(conn: Conn, people: str) -> None:
    with pytest.raises(errors.NotNullViolation) as exc_info:
        conn.execute(f"insert into {people} (id, name) values (%s, %s)", (2, None))
    diag = exc_info.value.diag
    assert diag.sqlstate == "23502"
    assert diag.column_name == "name"
    assert diag.table_name == people
    assert diag.message_primary == (
        f'null value in column "name" of relation "{people}" violates not-null constraint'
    )


def test_foreign_key_violation_names_the_constraint(conn: Conn, people: str) -> None:
    child = _name("pg3_child")
    conn.execute(f"create table {child} (person int references {people}(id))")
    with pytest.raises(errors.ForeignKeyViolation) as exc_info:
        conn.execute(f"insert into {child} values (99)")
    diag = exc_info.value.diag
    assert diag.constraint_name == f"{child}_person_fkey"
    assert diag.table_name == child
    assert diag.message_primary == (f'insert or update on table "{child}" violates foreign key '
                                    f'constraint "{child}_person_fkey"')
    assert diag.message_detail == f'Key (person)=(99) is not present in table "{people}".'
    conn.execute(f"insert into {child} values (1)")
    with pytest.raises(errors.ForeignKeyViolation) as exc_info:  # the referenced side
        conn.execute(f"delete from {people} where id = 1")
    assert exc_info.value.diag.constraint_name == f"{child}_person_fkey"
    assert exc_info.value.diag.message_primary == (
        f'update or delete on table "{people}" violates foreign key constraint '
        f'"{child}_person_fkey" on table "{child}"')


def test_foreign_key_violation_sqlstate(conn: Conn, people: str) -> None:
    child = _name("pg3_child")
    conn.execute(f"create table {child} (person int references {people}(id))")
    conn.execute(f"insert into {child} values (1)")
    with pytest.raises(errors.ForeignKeyViolation):
        conn.execute(f"insert into {child} values (99)")
    assert conn.execute(f"select person from {child}").fetchall() == [(1,)]


def test_invalid_text_representation(conn: Conn, people: str) -> None:
    with pytest.raises(errors.InvalidTextRepresentation) as exc_info:
        conn.execute(f"select * from {people} where id = %s::int", ("abc",))
    assert exc_info.value.diag.message_primary == 'invalid input syntax for type integer: "abc"'
    with pytest.raises(errors.InvalidTextRepresentation):
        conn.execute("select 'abc'::int")


def test_undefined_table_with_position(conn: Conn) -> None:
    with pytest.raises(errors.UndefinedTable) as exc_info:
        conn.execute("select * from pg3_no_such_table")
    diag = exc_info.value.diag
    assert diag.sqlstate == "42P01"
    assert diag.message_primary == 'relation "pg3_no_such_table" does not exist'
    assert diag.statement_position == "15"


def test_undefined_column(conn: Conn, people: str) -> None:
    with pytest.raises(errors.UndefinedColumn) as exc_info:
        conn.execute(f"select nocol from {people}")
    assert exc_info.value.diag.sqlstate == "42703"
    assert exc_info.value.diag.statement_position == "8"


def test_undefined_column_message(conn: Conn, people: str) -> None:
    with pytest.raises(errors.UndefinedColumn) as exc_info:
        conn.execute(f"select nocol from {people}")
    assert exc_info.value.diag.message_primary == 'column "nocol" does not exist'


def test_syntax_error_sqlstate(conn: Conn) -> None:
    with pytest.raises(errors.SyntaxError) as exc_info:
        conn.execute("selec 1")
    assert exc_info.value.diag.message_primary == 'syntax error at or near "selec"'
    with pytest.raises(errors.SyntaxError) as exc_info:
        conn.execute("select * from pg_class where")
    assert exc_info.value.diag.message_primary == "syntax error at end of input"


def test_syntax_error_position(conn: Conn) -> None:
    with pytest.raises(errors.SyntaxError) as exc_info:
        conn.execute("select * fromm pg_class")
    assert exc_info.value.diag.statement_position == "10"
    with pytest.raises(errors.SyntaxError) as exc_info:
        conn.execute("select * from pg_class where")
    assert exc_info.value.diag.statement_position == "29"


@pytest.mark.parametrize("statement", [
    "select * from pg_class where   ",  # at the end of input, trailing blanks counted
    "select 'é€' fromm x",  # characters, not UTF-8 bytes
    "select 1; select * from pg_class where",
    "selec 1",
    "select $$abc",
])
def test_syntax_error_position_matches_postgresql(pgha_server_module: PghaServer,
                                                  postgres_db: str, statement: str) -> None:
    def position(dsn: str | None) -> tuple[str | None, str | None]:
        with (pgha_server_module.connect() if dsn is None
              else psycopg.connect(dsn, autocommit=True)) as c:
            with pytest.raises(errors.SyntaxError) as exc_info:
                c.execute(statement.encode())  # bytes: no client-side placeholders
            return exc_info.value.diag.message_primary, exc_info.value.diag.statement_position

    ours = position(None)
    assert ours[1] is not None
    assert ours == position(postgres_db)


def test_connection_usable_after_errors(conn: Conn, people: str) -> None:
    failing = [
        "selec 1",
        "select 1/0",
        f"insert into {people} values (1, 'x', null)",
        "select * from pg3_nothing_here",
    ]
    for statement in failing:
        with pytest.raises(psycopg.Error):
            conn.execute(statement)
        assert conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
        assert conn.execute("select %s::int", (7,)).fetchone() == (7,)
    assert conn.execute(f"select count(*) from {people}").fetchone() == (1,)


# -- executemany, pipelines, rowcount -------------------------------------------------------


def test_executemany_and_rowcount(conn: Conn) -> None:
    name = _name("pg3_many")
    conn.execute(f"create table {name} (id int primary key, v text)")
    cur = conn.cursor()
    cur.executemany(f"insert into {name} values (%s, %s)", [(i, f"v{i}") for i in range(50)])
    assert cur.rowcount == 50
    assert conn.execute(f"select count(*), min(v), max(id) from {name}").fetchone() == (
        50,
        "v0",
        49,
    )
    cur.execute(f"update {name} set v = 'even' where id % 2 = 0")
    assert cur.rowcount == 25
    cur.execute(f"update {name} set v = 'none' where id > 1000")
    assert cur.rowcount == 0
    cur.execute(f"delete from {name} where id < 10")
    assert cur.rowcount == 10
    cur.execute(f"select * from {name} where id >= 40")
    assert cur.rowcount == 10


def test_executemany_returning(conn: Conn) -> None:
    name = _name("pg3_ret")
    conn.execute(f"create table {name} (id serial primary key, v text)")
    cur = conn.cursor()
    cur.executemany(
        f"insert into {name} (v) values (%s) returning id, v",
        [("a",), ("b",), ("c",)],
        returning=True,
    )
    rows = []
    while True:
        rows.extend(cur.fetchall())
        if not cur.nextset():
            break
    assert rows == [(1, "a"), (2, "b"), (3, "c")]


def test_a_sequence_value_is_never_handed_out_twice(conn: Conn,
                                                    pgha_server_module: PghaServer) -> None:
    # As in PostgreSQL, nextval and setval are never undone: a value taken by a statement that
    # failed, by a transaction that rolled back, or behind a savepoint rolled back to, is not
    # handed out again (pgha used to give it to the next insert).
    name = _name("pg3_seq")
    conn.execute(f"create table {name} (id serial primary key, v text unique)")
    insert = f"insert into {name} (v) values (%s) returning id"
    assert conn.execute(insert, ("a",)).fetchone() == (1,)
    with pytest.raises(errors.UniqueViolation):
        conn.execute(insert, ("a",))  # takes 2
    conn.execute("begin")
    assert conn.execute(insert, ("b",)).fetchone() == (3,)
    conn.execute("savepoint s")
    assert conn.execute(insert, ("c",)).fetchone() == (4,)
    conn.execute("rollback to savepoint s")
    assert conn.execute(insert, ("d",)).fetchone() == (5,)
    conn.execute(f"select setval('{name}_id_seq', 20)")
    conn.execute("rollback")
    assert conn.execute(insert, ("e",)).fetchone() == (21,)
    with pgha_server_module.connect() as other:
        assert other.execute(f"select nextval('{name}_id_seq')").fetchone() == (22,)
    # A sequence created in a transaction that rolls back is gone with it.
    conn.execute("begin")
    conn.execute(f"create sequence {name}_gone")
    conn.execute(f"select nextval('{name}_gone')")
    conn.execute("rollback")
    with pytest.raises(errors.UndefinedTable):
        conn.execute(f"select nextval('{name}_gone')")


def test_executemany_error_rolls_back_batch(tx_conn: Conn) -> None:
    name = _name("pg3_manyerr")
    tx_conn.execute(f"create table {name} (id int primary key)")
    tx_conn.commit()
    with pytest.raises(errors.UniqueViolation):
        tx_conn.cursor().executemany(f"insert into {name} values (%s)", [(1,), (2,), (1,)])
    tx_conn.rollback()
    assert tx_conn.execute(f"select count(*) from {name}").fetchone() == (0,)
    tx_conn.rollback()


def test_pipeline_results(conn: Conn) -> None:
    name = _name("pg3_pipe")
    conn.execute(f"create table {name} (id int, v text)")
    with conn.pipeline():
        cur1 = conn.execute(f"insert into {name} values (%s, %s)", (1, "a"))
        cur2 = conn.execute(f"insert into {name} values (%s, %s) returning id", (2, "b"))
        cur3 = conn.execute(f"select v from {name} order by id")
    assert cur1.rowcount == 1
    assert cur2.fetchone() == (2,)
    assert cur3.fetchall() == [("a",), ("b",)]


def test_pipeline_error_rolls_back_implicit_transaction(conn: Conn) -> None:
    """Everything up to the Sync is one implicit transaction: the error undoes the first
    insert and the statements after the error are skipped."""
    name = _name("pg3_pipeerr")
    conn.execute(f"create table {name} (id int primary key)")
    with pytest.raises(errors.UniqueViolation), conn.pipeline():
        conn.execute(f"insert into {name} values (%s)", (1,))
        conn.execute(f"insert into {name} values (%s)", (1,))
        conn.execute(f"insert into {name} values (%s)", (3,))
    assert conn.execute(f"select count(*) from {name}").fetchone() == (0,)
    # Separate syncs: the first insert survives.
    with conn.pipeline() as pipeline:
        conn.execute(f"insert into {name} values (%s)", (1,))
        pipeline.sync()
        with pytest.raises(errors.UniqueViolation):
            conn.execute(f"insert into {name} values (%s)", (1,))
            pipeline.sync()
    assert conn.execute(f"select id from {name}").fetchall() == [(1,)]


# -- COPY -----------------------------------------------------------------------------------


def test_copy_from_stdin_write_row(conn: Conn) -> None:
    name = _name("pg3_copyin")
    conn.execute(f"create table {name} (id int, name text, amount numeric, at date)")
    rows = [
        (1, "plain", Decimal("1.5"), dt.date(2024, 1, 1)),
        (2, "tab\there", None, dt.date(2024, 1, 2)),
        (3, "new\nline \\ back", Decimal("-3"), None),
        (4, None, Decimal("0"), dt.date(1999, 12, 31)),
    ]
    with conn.cursor() as cur:
        with cur.copy(f"copy {name} (id, name, amount, at) from stdin") as copy:
            for row in rows:
                copy.write_row(row)
        assert cur.rowcount == 4
    assert conn.execute(f"select * from {name} order by id").fetchall() == rows


def test_copy_from_stdin_large_and_split(conn: Conn) -> None:
    name = _name("pg3_copybig")
    conn.execute(f"create table {name} (id int, v text)")
    data = "".join(f"{i}\tvalue {i}\n" for i in range(5000)).encode()
    with conn.cursor().copy(f"copy {name} from stdin") as copy:
        # Chunks not aligned with rows.
        for start in range(0, len(data), 777):
            copy.write(data[start : start + 777])
    assert conn.execute(f"select count(*), sum(id), max(v) from {name}").fetchone() == (
        5000,
        sum(range(5000)),
        "value 999",
    )


def test_copy_from_stdin_error(conn: Conn) -> None:
    name = _name("pg3_copyerr")
    conn.execute(f"create table {name} (id int)")
    with (
        pytest.raises(errors.InvalidTextRepresentation),
        conn.cursor().copy(f"copy {name} from stdin") as copy,
    ):
        copy.write(b"1\n2\nx\n4\n")
    assert conn.execute(f"select count(*) from {name}").fetchone() == (0,)


def test_copy_to_stdout(conn: Conn) -> None:
    name = _name("pg3_copyout")
    conn.execute(f"create table {name} (id int, name text, at timestamptz)")
    conn.execute(f"insert into {name} values (1, 'a', '2024-01-02 03:04:05+00'), (2, null, null)")
    with conn.cursor().copy(f"copy (select * from {name} order by id) to stdout") as copy:
        data = b"".join(bytes(chunk) for chunk in copy)
    assert data == b"1\ta\t2024-01-02 03:04:05+00\n2\t\\N\t\\N\n"
    with conn.cursor().copy(f"copy {name} (id, name) to stdout (format csv)") as copy:
        data = b"".join(bytes(chunk) for chunk in copy)
    assert sorted(data.splitlines()) == [b"1,a", b"2,"]
    with conn.cursor().copy(f"copy {name} (id, name) to stdout") as copy:
        rows = sorted(copy.rows())
    assert rows == [("1", "a"), ("2", None)]


def test_copy_to_stdout_typed_rows(conn: Conn) -> None:
    name = _name("pg3_copytyped")
    conn.execute(f"create table {name} (id int, v numeric)")
    conn.execute(f"insert into {name} values (1, 2.50)")
    with conn.cursor().copy(f"copy {name} to stdout") as copy:
        copy.set_types(["int4", "numeric"])
        assert list(copy.rows()) == [(1, Decimal("2.50"))]


# -- settings and session -------------------------------------------------------------------


def test_server_version_parameter_status(conn: Conn) -> None:
    assert conn.info.parameter_status("server_version").startswith("15")
    assert conn.info.server_version // 10000 == 15
    assert conn.info.parameter_status("client_encoding") == "UTF8"
    assert conn.info.parameter_status("integer_datetimes") == "on"
    assert conn.info.parameter_status("standard_conforming_strings") == "on"
    assert conn.info.parameter_status("DateStyle").startswith("ISO")


def test_set_timezone_changes_output_and_reports_it(conn: Conn) -> None:
    conn.execute("set timezone to 'America/New_York'")
    assert conn.execute("show timezone").fetchone() == ("America/New_York",)
    assert conn.info.parameter_status("TimeZone") == "America/New_York"
    value = conn.execute("select '2024-07-01 12:00:00+00'::timestamptz").fetchone()[0]
    assert value == dt.datetime(2024, 7, 1, 12, tzinfo=dt.UTC)
    assert value.utcoffset() == dt.timedelta(hours=-4)
    conn.execute("reset timezone")


def test_timestamptz_to_text_uses_session_timezone(conn: Conn) -> None:
    conn.execute("set timezone to 'America/New_York'")
    try:
        text = conn.execute("select '2024-07-01 12:00:00+00'::timestamptz::text").fetchone()
        assert text == ("2024-07-01 08:00:00-04",)
        hour = conn.execute("select to_char('2024-07-01 12:00:00+00'::timestamptz, 'HH24')")
        assert hour.fetchone() == ("08",)
    finally:
        conn.execute("reset timezone")


def test_set_and_show_settings(conn: Conn) -> None:
    conn.execute("set application_name = 'pg3-test'")
    assert conn.execute("show application_name").fetchone() == ("pg3-test",)
    assert conn.execute("select current_setting('application_name')").fetchone() == ("pg3-test",)
    assert conn.execute("show standard_conforming_strings").fetchone() == ("on",)
    assert conn.execute("show transaction isolation level").fetchone() == ("read committed",)
    with pytest.raises(errors.UndefinedObject):
        conn.execute("show pg3_no_such_setting")


def test_set_local_is_undone_at_transaction_end(tx_conn: Conn) -> None:
    tx_conn.execute("set local timezone = 'Asia/Tokyo'")
    assert tx_conn.execute("show timezone").fetchone() == ("Asia/Tokyo",)
    tx_conn.commit()
    assert tx_conn.execute("show timezone").fetchone() != ("Asia/Tokyo",)
    tx_conn.rollback()


def test_sql_composition_identifiers(conn: Conn) -> None:
    name = _name("Pg3 Mixed")
    conn.execute(sql.SQL('create table {} ("Id" int)').format(sql.Identifier(name)))
    conn.execute(sql.SQL("insert into {} values (%s)").format(sql.Identifier(name)), (3,))
    cur = conn.execute(sql.SQL("select * from {}").format(sql.Identifier(name)))
    assert cur.description is not None
    assert cur.description[0].name == "Id"
    assert cur.fetchall() == [(3,)]


def test_server_side_cursor(tx_conn: Conn) -> None:
    with tx_conn.cursor(name="pg3_srv") as cur:
        cur.execute("select g from generate_series(1, 10) g")
        assert cur.fetchmany(3) == [(1,), (2,), (3,)]
        assert cur.fetchone() == (4,)
        assert cur.fetchall() == [(i,) for i in range(5, 11)]
    tx_conn.rollback()


def test_a_datestyle_order_other_than_mdy_is_refused_not_misread(conn: Conn) -> None:
    # Non-ISO date input reads '1/2/2024' month first; with DMY accepted it would silently
    # be January 2 instead of 1 February.
    assert conn.execute("SELECT '1/2/2024'::date").fetchone() == (dt.date(2024, 1, 2),)
    for style in ("ISO, DMY", "ISO, YMD", "European"):
        with pytest.raises(errors.FeatureNotSupported):
            conn.execute(f"SET DateStyle = '{style}'")
        conn.rollback()
    conn.execute("SET DateStyle = 'ISO, MDY'")
    assert conn.execute("SHOW DateStyle").fetchone() == ("ISO, MDY",)
