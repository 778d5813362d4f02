"""Schemas other than public through real clients: psql's \\dn, \\dn+, \\dt s.*, \\d s.t...
print what PostgreSQL 15 prints for the same statements, and SQLAlchemy creates, fills and
reflects tables declared with ``schema=``."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from fixtures.pgha_server import PghaServer
from fixtures.postgres import PostgresServer

SCHEMA = """
CREATE SCHEMA sc_sales AUTHORIZATION sc_owner;
CREATE SCHEMA sc_stock;
CREATE TABLE sc_sales.orders (id serial PRIMARY KEY, customer text NOT NULL,
    total numeric(10,2) DEFAULT 0);
CREATE TABLE sc_stock.items (id int PRIMARY KEY, name text UNIQUE);
CREATE TABLE sc_sales.lines (order_id int REFERENCES sc_sales.orders (id) ON DELETE CASCADE,
    item_id int REFERENCES sc_stock.items (id), qty int NOT NULL DEFAULT 1 CHECK (qty > 0));
CREATE INDEX lines_item ON sc_sales.lines (item_id);
CREATE TABLE items (id int PRIMARY KEY);
CREATE SEQUENCE sc_stock.numbers;
CREATE VIEW sc_sales.big AS SELECT id, customer FROM sc_sales.orders WHERE id > 100;
"""


def _psql(dsn: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {"PATH": os.environ["PATH"], "LC_ALL": "C.UTF-8", "PGCONNECT_TIMEOUT": "10"}
    return subprocess.run(["psql", "-X", dsn, *args], capture_output=True, text=True,
                          timeout=60, env=env)


def _ours(server: PghaServer) -> str:
    return (f"host={server.host} port={server.port} user=postgres dbname=postgres "
            "sslmode=disable")


@pytest.fixture
def sc_owner_dropped(postgres_server: PostgresServer) -> Iterator[None]:
    """Drops the role sc_owner from PostgreSQL after the test's database is gone (roles are
    cluster-wide there: left behind, it shows in the ``\\du`` of later tests). Ask for it
    before ``postgres_db``, so that it is torn down after."""
    yield
    with postgres_server.connect() as conn:
        conn.execute("DROP ROLE IF EXISTS sc_owner")


def _create(dsn: str) -> None:
    _psql(dsn, "-c", "CREATE ROLE sc_owner")  # (roles are cluster-wide on PostgreSQL)
    created = _psql(dsn, "-v", "ON_ERROR_STOP=1", "-c", SCHEMA)
    assert created.returncode == 0, created.stderr


@pytest.mark.parametrize("command", [
    r"\dn", r"\dn+", r"\dn sc_*", r"\dt sc_sales.*", r"\dt *.items", r"\di sc_sales.*",
    r"\ds sc_stock.*", r"\dv sc_sales.*", r"\d sc_sales.orders", r"\d sc_sales.lines",
    r"\d sc_stock.items", r"\d+ sc_sales.big", r"\d sc_sales.lines_item", r"\dt",
    "SET search_path TO sc_sales, public\n\\dt", "SET search_path TO sc_stock, public\n\\d items",
    "SET search_path TO sc_sales, sc_stock\n\\d lines",
])
def test_describe_matches_psql_on_postgresql(sc_owner_dropped: None, pgha_server: PghaServer,
                                             postgres_db: str,
                                             command: str) -> None:
    for dsn in (_ours(pgha_server), postgres_db):
        _create(dsn)
    args = [arg for line in command.splitlines() for arg in ("-c", line)]
    ours = _psql(_ours(pgha_server), *args)
    theirs = _psql(postgres_db, *args)
    assert ours.returncode == 0, ours.stderr
    assert ours.stdout == theirs.stdout
    assert ours.stdout.strip()


def test_drop_schema_messages_match_psql_on_postgresql(sc_owner_dropped: None,
                                                       pgha_server: PghaServer,
                                                       postgres_db: str) -> None:
    outputs = []
    for dsn in (_ours(pgha_server), postgres_db):
        _create(dsn)
        out = _psql(dsn, "-c", "DROP SCHEMA sc_stock", "-c", "DROP SCHEMA sc_sales CASCADE",
                    "-c", "DROP SCHEMA sc_stock CASCADE", "-c", r"\dn")
        outputs.append((out.stdout, out.stderr.replace(dsn, "")))
    assert outputs[0][1].splitlines() == outputs[1][1].splitlines(), outputs[1][1]
    assert outputs[0] == outputs[1]
    assert "drop cascades to" in outputs[0][1]


@pytest.fixture
def engine(pgha_server: PghaServer) -> Iterator[sa.Engine]:
    url = (f"postgresql+psycopg://{pgha_server.user}@{pgha_server.host}:{pgha_server.port}/"
           f"{pgha_server.dbname}")
    eng = sa.create_engine(url, connect_args={"connect_timeout": 10})
    try:
        yield eng
    finally:
        eng.dispose()


def test_sqlalchemy_create_all_and_reflect_with_schema(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE SCHEMA sa_shop"))
    meta = sa.MetaData()
    product = sa.Table("product", meta,
                       sa.Column("id", sa.Integer, primary_key=True),
                       sa.Column("name", sa.String(40), nullable=False, unique=True),
                       schema="sa_shop")
    sa.Table("review", meta,
             sa.Column("id", sa.Integer, primary_key=True),
             sa.Column("product_id", sa.ForeignKey("sa_shop.product.id")),
             sa.Column("stars", sa.SmallInteger),
             schema="sa_shop")
    sa.Table("product", meta, sa.Column("sku", sa.Text, primary_key=True))  # public.product
    meta.create_all(engine)
    with engine.begin() as conn:
        ids = conn.execute(product.insert().returning(product.c.id),
                           [{"name": "lamp"}, {"name": "desk"}]).scalars().all()
        assert len(ids) == 2
        names = conn.execute(sa.select(product.c.name).order_by(product.c.id)).scalars().all()
        assert names == ["lamp", "desk"]
        assert conn.execute(sa.text("SELECT count(*) FROM product")).scalar() == 0

    inspector = sa.inspect(engine)
    assert "sa_shop" in inspector.get_schema_names()
    assert sorted(inspector.get_table_names(schema="sa_shop")) == ["product", "review"]
    assert inspector.get_table_names() == ["product"]
    columns = {c["name"]: c for c in inspector.get_columns("product", schema="sa_shop")}
    assert list(columns) == ["id", "name"]
    assert isinstance(columns["name"]["type"], sa.String) and columns["name"]["type"].length == 40
    assert inspector.get_pk_constraint("product", schema="sa_shop")["constrained_columns"] == [
        "id"]
    fks = inspector.get_foreign_keys("review", schema="sa_shop")
    assert [(fk["referred_schema"], fk["referred_table"], fk["referred_columns"])
            for fk in fks] == [("sa_shop", "product", ["id"])]
    uniques = inspector.get_unique_constraints("product", schema="sa_shop")
    assert [u["column_names"] for u in uniques] == [["name"]]

    reflected = sa.MetaData()
    review = sa.Table("review", reflected, autoload_with=engine, schema="sa_shop")
    assert review.c.product_id.references(reflected.tables["sa_shop.product"].c.id)
    meta.drop_all(engine)
    assert sa.inspect(engine).get_table_names(schema="sa_shop") == []
