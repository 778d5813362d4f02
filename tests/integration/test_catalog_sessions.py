"""Every session sees the catalog, however its statements were cached.

Regression for a wrong answer: the per-session pg_catalog / information_schema tables were
filled as a side effect of translating a statement, so a session whose statement came from
the shared translation cache read empty catalog tables (`\\dt` found nothing from the second
session on, a second SQLAlchemy `create_all` failed with DuplicateTable).
"""

from __future__ import annotations

import psycopg
import sqlalchemy as sa

from fixtures.pgha_server import PghaServer

COUNT_PUBLIC = "select count(*) from pg_class where relnamespace = 2200"
COUNT_TABLES = (
    "select count(*) from information_schema.tables where table_schema = 'public'"
)


def _schema(server: PghaServer) -> None:
    with server.connect(autocommit=True) as conn:
        conn.execute("create table cs_a (id serial primary key, body text)")
        conn.execute("create table cs_b (id int primary key, a_id int references cs_a (id))")
        conn.execute("create index cs_b_a on cs_b (a_id)")
        conn.execute("create view cs_v as select id from cs_a")


def test_fresh_sessions_see_the_same_catalog(pgha_server: PghaServer) -> None:
    _schema(pgha_server)
    seen = []
    for _ in range(10):
        with pgha_server.connect(autocommit=True) as conn:
            classes = conn.execute(COUNT_PUBLIC).fetchone()[0]
            tables = conn.execute(COUNT_TABLES).fetchone()[0]
            seen.append((classes, tables))
    # cs_a, its sequence, its pkey index, cs_b, its pkey index, cs_b_a, cs_v
    assert seen == [(7, 3)] * 10


def test_cached_catalog_read_inside_a_transaction(pgha_server: PghaServer) -> None:
    _schema(pgha_server)
    with pgha_server.connect(autocommit=False) as first:
        first.execute(COUNT_PUBLIC).fetchone()
    # In a block: the cached read runs inside a transaction.
    with pgha_server.connect(autocommit=False) as conn:
        assert conn.execute(COUNT_PUBLIC).fetchone()[0] == 7
        conn.execute("create table cs_c (x int)")  # schema changes inside the block
        assert conn.execute(COUNT_PUBLIC).fetchone()[0] == 8
        conn.rollback()
        assert conn.execute(COUNT_PUBLIC).fetchone()[0] == 7


def test_prepared_catalog_query_in_new_sessions(pgha_server: PghaServer) -> None:
    _schema(pgha_server)
    query = "select relname from pg_class where relnamespace = %s and relkind = 'r' order by 1"
    for _ in range(3):
        with pgha_server.connect(autocommit=True, prepare_threshold=0) as conn:
            names = [r[0] for r in conn.execute(query, (2200,))]
            assert names == ["cs_a", "cs_b"]


def test_psql_dt_in_every_session(pgha_server: PghaServer, psql) -> None:
    _schema(pgha_server)
    for _ in range(3):
        done = psql(pgha_server, "-At", "-c", r"\dt")
        assert done.returncode == 0, done.stderr
        assert [line.split("|")[1] for line in done.stdout.splitlines()] == ["cs_a", "cs_b"]


def test_sqlalchemy_create_all_twice(pgha_server: PghaServer) -> None:
    metadata = sa.MetaData()
    sa.Table("cs_items", metadata, sa.Column("id", sa.Integer, primary_key=True),
             sa.Column("name", sa.Text, nullable=False))
    for _ in range(2):
        engine = sa.create_engine(f"postgresql+psycopg://{pgha_server.url.split('://', 1)[1]}")
        try:
            metadata.create_all(engine)  # checks for the table first: must see it the 2nd time
            assert sa.inspect(engine).get_table_names() == ["cs_items"]
        finally:
            engine.dispose()
    with psycopg.connect(pgha_server.dsn) as conn:
        assert conn.execute("select count(*) from cs_items").fetchone() == (0,)


def test_catalog_read_again_after_a_rollback(pgha_server: PghaServer) -> None:
    # The catalog tables are filled inside the session's transaction; a ROLLBACK undoes the
    # fill (SQLAlchemy's pool rolls back every connection it takes back).
    _schema(pgha_server)
    with pgha_server.connect(autocommit=False) as conn:
        conn.execute("select count(*) from cs_a").fetchone()  # the block's transaction starts
        assert conn.execute(COUNT_PUBLIC).fetchone()[0] == 7
        conn.rollback()
        assert conn.execute(COUNT_PUBLIC).fetchone()[0] == 7
        conn.execute("savepoint s")
        conn.execute("select count(*) from cs_a").fetchone()
        assert conn.execute(COUNT_TABLES).fetchone()[0] == 3
        conn.execute("rollback to savepoint s")
        assert conn.execute(COUNT_TABLES).fetchone()[0] == 3
        conn.commit()
        assert conn.execute(COUNT_TABLES).fetchone()[0] == 3
