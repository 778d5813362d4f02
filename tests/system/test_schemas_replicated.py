"""Schemas replicate: CREATE SCHEMA, tables, sequences and indexes in a schema other than
public, their rows, DROP SCHEMA ... CASCADE and ALTER SCHEMA ... RENAME TO reach every
standby through the log; a standby killed with -9 catches up on them; on a standby the search
path resolves names as on the primary."""

from __future__ import annotations

import hashlib

import psycopg
import pytest
from test_replication import _cluster, _wait_caught_up  # (the same three-node cluster)

from fixtures.pgha_server import PghaFactory, PghaServer

CONTENTS_SQL = (
    "SELECT n.nspname, c.relname, c.relkind FROM pg_class c "
    "JOIN pg_namespace n ON n.oid = c.relnamespace "
    "WHERE n.nspname IN ('public', 'sales', 'stock', 'shop') ORDER BY 1, 2")


def _state(server: PghaServer) -> tuple[list[tuple[str, ...]], dict[str, str]]:
    with server.connect(autocommit=True) as conn:
        relations = conn.execute(CONTENTS_SQL).fetchall()
        rows = {}
        for schema, table, kind in relations:
            if kind in ("r", "v"):
                data = conn.execute(f'SELECT * FROM "{schema}"."{table}" ORDER BY 1').fetchall()
                rows[f"{schema}.{table}"] = hashlib.sha256(repr(data).encode()).hexdigest()
        return relations, rows


def test_a_table_in_a_new_schema_replicates(pgha_factory: PghaFactory) -> None:
    primary, standbys = _cluster(pgha_factory)
    with primary.connect(autocommit=True) as conn:
        conn.execute("CREATE SCHEMA sales")
        conn.execute("CREATE SCHEMA stock")
        conn.execute("CREATE TABLE sales.orders (id serial PRIMARY KEY, customer text, "
                     "at timestamptz DEFAULT now())")
        conn.execute("CREATE TABLE stock.orders (id int PRIMARY KEY, qty int)")
        conn.execute("CREATE TABLE orders (id int PRIMARY KEY)")  # public's, same name
        conn.execute("CREATE INDEX orders_customer ON sales.orders (customer)")
        conn.execute("CREATE SEQUENCE stock.numbers")
        conn.execute("INSERT INTO sales.orders (customer) SELECT 'c' || g "
                     "FROM generate_series(1, 300) g")
        conn.execute("INSERT INTO stock.orders SELECT g, nextval('stock.numbers') "
                     "FROM generate_series(1, 50) g")
        conn.execute("SET search_path TO stock, public")
        conn.execute("UPDATE orders SET qty = qty * 10 WHERE id % 5 = 0")  # stock.orders
        conn.execute("CREATE TABLE made_in_stock (k int)")
        conn.execute("INSERT INTO made_in_stock VALUES (1), (2)")
        conn.execute("CREATE VIEW public.late_orders AS SELECT id, customer FROM sales.orders "
                     "WHERE id > 290")
        conn.execute("CREATE VIEW public.order_ids AS SELECT id FROM public.orders")
    _wait_caught_up(primary, standbys)
    expected = _state(primary)
    assert ("stock", "made_in_stock", "r") in expected[0]
    assert ("sales", "orders_customer", "i") in expected[0]
    for standby in standbys:
        assert _state(standby) == expected

    standbys[0].kill()  # -9: it catches up on a DROP SCHEMA ... CASCADE and a new schema
    with primary.connect(autocommit=True) as conn:
        conn.execute("DROP SCHEMA stock CASCADE")
        conn.execute("CREATE SCHEMA stock")
        conn.execute("CREATE TABLE stock.fresh (v text)")
        conn.execute("INSERT INTO stock.fresh VALUES ('after')")
        conn.execute("UPDATE sales.orders SET customer = upper(customer) WHERE id < 10")
        # A view follows a renamed column; DROP ... CASCADE takes a view along.
        conn.execute("ALTER TABLE sales.orders RENAME COLUMN customer TO buyer")
        conn.execute("DROP TABLE public.orders CASCADE")
        conn.execute("ALTER SCHEMA sales RENAME TO shop")
        conn.execute("INSERT INTO shop.orders (buyer) VALUES ('renamed')")
    standbys[0].start()
    _wait_caught_up(primary, standbys)
    expected = _state(primary)
    assert ("stock", "fresh", "r") in expected[0]
    assert not any(rel[1] == "made_in_stock" for rel in expected[0])
    assert ("shop", "orders_customer", "i") in expected[0]
    assert ("public", "late_orders", "v") in expected[0]
    assert not any(rel[1] == "order_ids" for rel in expected[0])
    for standby in standbys:
        assert _state(standby) == expected
        with standby.connect(autocommit=True) as conn:
            conn.execute("SET search_path TO stock, shop")
            assert conn.execute("SELECT v FROM fresh").fetchall() == [("after",)]
            assert conn.execute("SELECT count(*) FROM orders").fetchone() == (301,)
            assert conn.execute("SELECT count(*) FROM public.late_orders").fetchone() == (11,)
            assert conn.execute("SELECT current_schemas(false)").fetchone() == (
                ["stock", "shop"],)
            with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
                conn.execute("CREATE SCHEMA elsewhere")
