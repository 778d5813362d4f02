"""Object dependencies through psycopg, statement by statement against pgha and a real
PostgreSQL 15: DROP ... RESTRICT refuses with the same SQLSTATE, message, DETAIL lines (in
PostgreSQL's order) and HINT; CASCADE says the same NOTICE and leaves the same objects;
renames keep the views that read the renamed object working, pg_get_viewdef showing the new
name as PostgreSQL's does."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest

from fixtures.pgha_server import PghaServer

Outcome = tuple[Any, ...]


def _ours(server: PghaServer) -> str:
    return f"host={server.host} port={server.port} user=postgres dbname=postgres sslmode=disable"


def _run(dsn: str, statements: list[str]) -> list[Outcome]:
    """Per statement: its notices and either its rows or its error's fields."""
    out: list[Outcome] = []
    with psycopg.connect(dsn, autocommit=True) as conn:
        notices: list[tuple[str | None, str | None]] = []
        conn.add_notice_handler(lambda d: notices.append((d.message_primary,
                                                          d.message_detail)))
        for sql in statements:
            notices.clear()
            try:
                cur = conn.execute(sql)
                rows = cur.fetchall() if cur.description else None
                out.append((sql, "ok", rows, list(notices)))
            except psycopg.Error as exc:
                d = exc.diag
                out.append((sql, d.sqlstate, d.message_primary, d.message_detail,
                            d.message_hint, list(notices)))
    return out


def _same(server: PghaServer, postgres_db: str, statements: list[str]) -> list[Outcome]:
    ours = _run(_ours(server), statements)
    theirs = _run(postgres_db, statements)
    for mine, pg in zip(ours, theirs, strict=True):
        assert mine == pg
    return ours


def test_drop_table_under_views(pgha_server: PghaServer, postgres_db: str) -> None:
    out = _same(pgha_server, postgres_db, [
        "CREATE TABLE t (id serial PRIMARY KEY, a int, b text)",
        "CREATE VIEW v AS SELECT id, a FROM t",
        "CREATE VIEW w AS SELECT * FROM v WHERE a > 1",
        "CREATE VIEW x AS SELECT b FROM t",
        "DROP TABLE t",
        "DROP TABLE t RESTRICT",
        "DROP VIEW v",
        "DROP VIEW w",
        "DROP TABLE t CASCADE",
        "SELECT count(*) FROM pg_class WHERE relname IN ('t', 'v', 'w', 'x')",
    ])
    assert out[4][1:4] == ("2BP01", "cannot drop table t because other objects depend on it",
                           "view v depends on table t\nview w depends on view v\n"
                           "view x depends on table t")
    assert out[8][3] == [("drop cascades to 2 other objects",
                          "drop cascades to view v\ndrop cascades to view x")]


def test_drop_several_objects(pgha_server: PghaServer, postgres_db: str) -> None:
    _same(pgha_server, postgres_db, [
        "CREATE TABLE a (id int PRIMARY KEY)", "CREATE TABLE b (id int, aid int REFERENCES a)",
        "CREATE VIEW ab AS SELECT a.id FROM a JOIN b ON a.id = b.id",
        "CREATE VIEW va AS SELECT id FROM a", "CREATE VIEW vb AS SELECT aid FROM b",
        "DROP TABLE a", "DROP TABLE a, b", "DROP TABLE b, a", "DROP VIEW ab, va, vb",
        "CREATE VIEW ab AS SELECT a.id FROM a JOIN b ON a.id = b.id",
        "DROP TABLE a, b CASCADE", "SELECT count(*) FROM pg_class WHERE relname = 'ab'",
        # A referenced table named first: its referencing rows go with the other table.
        "CREATE TABLE a (id int PRIMARY KEY)", "CREATE TABLE b (aid int REFERENCES a)",
        "INSERT INTO a VALUES (1)", "INSERT INTO b VALUES (1)", "DROP TABLE a, b",
        "SELECT count(*) FROM pg_class WHERE relname IN ('a', 'b')",
    ])


def test_drop_sequence_under_defaults_and_views(pgha_server: PghaServer,
                                                postgres_db: str) -> None:
    out = _same(pgha_server, postgres_db, [
        "CREATE SEQUENCE s", "CREATE TABLE u (id int DEFAULT nextval('s'), n int)",
        "DROP SEQUENCE s", "CREATE VIEW sv AS SELECT last_value FROM s", "DROP SEQUENCE s",
        "DROP SEQUENCE s CASCADE", "INSERT INTO u (n) VALUES (1)", "SELECT id, n FROM u",
        "CREATE TABLE t2 (id serial, c int)", "DROP SEQUENCE t2_id_seq",
        "CREATE VIEW sv2 AS SELECT * FROM t2_id_seq", "DROP TABLE t2",
        "DROP SEQUENCE t2_id_seq CASCADE",
        "SELECT column_default FROM information_schema.columns WHERE table_name = 't2'",
        "CREATE TABLE ti (id int GENERATED ALWAYS AS IDENTITY)", "DROP SEQUENCE ti_id_seq",
        "DROP SEQUENCE ti_id_seq CASCADE",
    ])
    assert out[2][3] == "default value for column id of table u depends on sequence s"
    assert out[15][1:5] == ("2BP01", "cannot drop sequence ti_id_seq because column id of "
                            "table ti requires it", None,
                            "You can drop column id of table ti instead.")


def test_names_follow_the_search_path(pgha_server: PghaServer, postgres_db: str) -> None:
    """A relation the search path finds by its bare name is named so; others qualified."""
    out = _same(pgha_server, postgres_db, [
        "CREATE TABLE a (id serial)", "CREATE TABLE b (id int DEFAULT nextval('a_id_seq'))",
        "DROP TABLE a", "DROP TABLE a CASCADE", "CREATE SCHEMA sz",
        "CREATE TABLE sz.t (id serial, v int)",
        "CREATE TABLE c (id int DEFAULT nextval('sz.t_id_seq'))",
        "CREATE VIEW cz AS SELECT v FROM sz.t", "SET search_path = sz, public", "DROP TABLE t",
        "RESET search_path", "DROP SCHEMA sz", "DROP SCHEMA sz CASCADE",
    ])
    assert out[9][3] == ("default value for column id of table c depends on sequence t_id_seq\n"
                         "view cz depends on table t")


def test_alter_column_under_views(pgha_server: PghaServer, postgres_db: str) -> None:
    out = _same(pgha_server, postgres_db, [
        "CREATE TABLE t2 (id int, c int, d int, e text)",
        "CREATE VIEW v2 AS SELECT c FROM t2", "CREATE VIEW v3 AS SELECT count(*) FROM t2",
        "ALTER TABLE t2 DROP COLUMN c", "ALTER TABLE t2 ALTER COLUMN c TYPE bigint",
        "ALTER TABLE t2 DROP COLUMN d", "ALTER TABLE t2 ALTER COLUMN e TYPE varchar(5)",
        "INSERT INTO t2 VALUES (1, 2, 'x')", "SELECT * FROM v2", "SELECT * FROM v3",
        "ALTER TABLE t2 DROP COLUMN c CASCADE", "SELECT * FROM t2",
    ])
    assert out[4][1] == "0A000"
    assert out[4][3] == 'rule _RETURN on view v2 depends on column "c"'


def test_constraints_foreign_keys_rely_on(pgha_server: PghaServer, postgres_db: str) -> None:
    out = _same(pgha_server, postgres_db, [
        "CREATE TABLE fp (id int PRIMARY KEY, k int UNIQUE)",
        "CREATE TABLE fc (pid int REFERENCES fp, pk int REFERENCES fp (k))",
        "ALTER TABLE fp DROP CONSTRAINT fp_pkey", "ALTER TABLE fp DROP COLUMN id",
        "ALTER TABLE fp DROP CONSTRAINT fp_k_key CASCADE", "ALTER TABLE fp DROP COLUMN id CASCADE",
        "INSERT INTO fc VALUES (7, 8)", "SELECT * FROM fc",
        "CREATE SCHEMA sq", "CREATE TABLE sq.p (id int PRIMARY KEY)",
        "CREATE TABLE rq (id int REFERENCES sq.p)", "ALTER TABLE sq.p DROP CONSTRAINT p_pkey",
        "DROP SCHEMA sq", "DROP SCHEMA sq CASCADE",
    ])
    assert out[2][3] == "constraint fc_pid_fkey on table fc depends on index fp_pkey"
    assert out[3][3] == "constraint fc_pid_fkey on table fc depends on column id of table fp"


def test_renames_keep_views_working(pgha_server: PghaServer, postgres_db: str) -> None:
    _same(pgha_server, postgres_db, [
        "CREATE TABLE ts (id serial, x int, z text)",
        "CREATE VIEW vs2 AS SELECT x, id FROM ts",
        "CREATE VIEW vs3 AS SELECT ts.z, vs2.x FROM ts JOIN vs2 ON ts.id = vs2.id",
        "ALTER TABLE ts RENAME COLUMN x TO y", "SELECT pg_get_viewdef('vs2'::regclass)",
        "ALTER TABLE ts RENAME TO ts2", "SELECT pg_get_viewdef('vs2'::regclass)",
        "SELECT pg_get_viewdef('vs3'::regclass)",
        "INSERT INTO ts2 (y, z) VALUES (5, 'five')", "SELECT * FROM vs2", "SELECT * FROM vs3",
        "ALTER VIEW vs2 RENAME TO vs4", "SELECT pg_get_viewdef('vs3'::regclass)",
        "SELECT * FROM vs3", "ALTER SEQUENCE ts_id_seq RENAME TO ts_seq",
        "INSERT INTO ts2 (y) VALUES (6)", "SELECT id, y FROM ts2 ORDER BY id",
        "DROP TABLE ts2", "DROP TABLE ts2 CASCADE",
    ])


def test_renaming_a_view_column(pgha_server: PghaServer, postgres_db: str) -> None:
    _same(pgha_server, postgres_db, [
        "CREATE TABLE rdt (id int, a int)", "INSERT INTO rdt VALUES (1, 2)",
        "CREATE VIEW rdv AS SELECT a, id FROM rdt", "CREATE VIEW rdw AS SELECT a FROM rdv",
        "CREATE VIEW rdx AS SELECT * FROM rdv", "ALTER VIEW rdv RENAME COLUMN a TO b",
        "ALTER VIEW rdv RENAME COLUMN b TO id", "ALTER VIEW rdv RENAME COLUMN zz TO id",
        "ALTER TABLE rdv RENAME COLUMN b TO c", "SELECT pg_get_viewdef('rdw'::regclass)",
        "SELECT * FROM rdw", "SELECT * FROM rdx", "ALTER VIEW rdt RENAME COLUMN a TO q",
        "SELECT * FROM rdw",
    ])


def test_a_view_column_is_the_views_in_row_descriptions(pgha_server: PghaServer,
                                                        postgres_db: str) -> None:
    """RowDescription names a view's column by the view's OID and attnum, as PostgreSQL."""
    found = []
    for dsn in (_ours(pgha_server), postgres_db):
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute("CREATE TABLE rdt (id int, a int)")
            conn.execute("CREATE VIEW rdv AS SELECT a, id FROM rdt")
            view = conn.execute("SELECT 'rdv'::regclass::oid").fetchone()
            res = conn.execute("SELECT id, a FROM rdv").pgresult
            assert res is not None and view is not None
            found.append([(res.ftable(i) == view[0], res.ftablecol(i)) for i in range(2)])
    assert found[0] == found[1] == [(True, 2), (True, 1)]


def test_schemas_and_views_of_other_schemas(pgha_server: PghaServer,
                                            postgres_db: str) -> None:
    _same(pgha_server, postgres_db, [
        "CREATE SCHEMA sx", "CREATE TABLE sx.t (id int PRIMARY KEY)",
        "CREATE TABLE fk (tid int REFERENCES sx.t)",
        "CREATE VIEW pubv AS SELECT id FROM sx.t", "CREATE VIEW sx.v AS SELECT id FROM sx.t",
        "DROP TABLE sx.t", "DROP SCHEMA sx", "DROP SCHEMA sx CASCADE",
        "SELECT count(*) FROM pg_class WHERE relname IN ('t', 'v', 'pubv')",
        "INSERT INTO fk VALUES (1)",
    ])


def test_replacing_a_view_keeps_its_columns(pgha_server: PghaServer,
                                            postgres_db: str) -> None:
    _same(pgha_server, postgres_db, [
        "CREATE TABLE rp (a int, b text, c numeric(5,2))",
        "CREATE VIEW rpv AS SELECT a, b FROM rp", "CREATE VIEW rpw AS SELECT b FROM rpv",
        "CREATE OR REPLACE VIEW rpv AS SELECT a FROM rp",
        "CREATE OR REPLACE VIEW rpv AS SELECT a, c AS b FROM rp",
        "CREATE OR REPLACE VIEW rpv AS SELECT a, c FROM rp",
        "CREATE OR REPLACE VIEW rpv AS SELECT a, b, c FROM rp", "SELECT * FROM rpw",
        "CREATE VIEW dup AS SELECT a, b AS a FROM rp",
    ])


@pytest.mark.parametrize("statement", [
    "DROP TABLE t", "DROP TABLE t CASCADE", "ALTER TABLE t DROP COLUMN a",
    "ALTER TABLE t RENAME COLUMN a TO aa", "ALTER TABLE t RENAME TO t9",
])
def test_nothing_is_left_broken(pgha_server: PghaServer, postgres_db: str,
                                statement: str) -> None:
    """Whatever the statement did, every view left reads as on PostgreSQL."""
    _same(pgha_server, postgres_db, [
        "CREATE TABLE t (id int, a int, b int)", "INSERT INTO t VALUES (1, 2, 3)",
        "CREATE VIEW v AS SELECT a, b FROM t WHERE id > 0",
        "CREATE VIEW w AS SELECT v.a + 1 AS a1 FROM v", statement,
        "SELECT table_name FROM information_schema.views WHERE table_schema = 'public' "
        "ORDER BY 1", "SELECT * FROM w",
    ])


def test_a_rename_that_cannot_be_rewritten_is_refused(pgha_server: PghaServer) -> None:
    """A view where the renamed table's name is also an alias: pgha cannot tell the two
    apart in its stored text, so it refuses (0A000) rather than leave a broken view."""
    out = _run(_ours(pgha_server), [
        "CREATE TABLE t (a int)", "INSERT INTO t VALUES (7)",
        "CREATE VIEW vx AS SELECT t.a FROM t WHERE t.a >= (SELECT max(t.a) FROM t t)",
        "ALTER TABLE t RENAME TO t9", "SELECT * FROM vx", "SELECT count(*) FROM t",
    ])
    assert out[3][1] == "0A000"
    assert out[4][1:3] == ("ok", [(7,)])
    assert out[5][1:3] == ("ok", [(1,)])
