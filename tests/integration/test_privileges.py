"""Privileges as PostgreSQL 15 keeps them, through psycopg and psql against a real pgha node,
each checked against a real PostgreSQL 15 running the same statements: GRANT and REVOKE on
tables, views, sequences and schema public; what a role without a privilege is refused
(42501, with PostgreSQL's message); ownership of ALTER and DROP; psql's ``\\dp``; the
has_*_privilege functions; role membership."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest

from fixtures.pgha_server import PghaServer
from fixtures.postgres import PostgresServer
from fixtures.role_sides import Side, role_sides


@pytest.fixture
def sides(pgha_server: PghaServer, postgres_server: PostgresServer) -> Iterator[list[Side]]:
    with role_sides(pgha_server, postgres_server, "priv") as both:
        yield both


SETUP = [
    "CREATE TABLE t (id serial PRIMARY KEY, a text)",
    "INSERT INTO t (a) VALUES ('one')",
    "CREATE TABLE u (id int, b text)",
    "CREATE SEQUENCE s",
    "CREATE VIEW v AS SELECT id, a FROM t",
]


def setup(sides: list[Side], extra: list[str] = ()) -> None:  # type: ignore[assignment]
    for side in sides:
        for text in SETUP + list(extra):
            state, message = side.run(None, text)
            assert state is None, (text, message)


def same(sides: list[Side], who: str | None, text: str) -> tuple[str | None, str]:
    """Run ``text`` on both; they must answer alike. Returns pgha's answer."""
    pgha, pg = (side.run(who, text) for side in sides)
    assert pgha == pg, text
    return pgha


def test_dp_prints_what_postgresql_prints(sides: list[Side]) -> None:
    setup(sides, [
        "GRANT SELECT, INSERT ON t TO {alice} WITH GRANT OPTION",
        "GRANT SELECT ON v TO {bob}",
        "GRANT USAGE ON SEQUENCE s TO PUBLIC",
        "GRANT ALL ON u TO {grp}",
        "REVOKE DELETE, TRUNCATE ON u FROM {grp}",
        "GRANT UPDATE ON t, u TO {bob}",
    ])
    same(sides, "alice", "GRANT INSERT ON t TO {bob}")
    pgha, pg = (side.psql(None, r"\dp") for side in sides)
    assert pgha.splitlines() == pg.splitlines()
    assert "alice=a*r*/postgres" in pgha and "bob=a/alice" in pgha
    pgha, pg = (side.psql(None, r"\z t") for side in sides)
    assert pgha == pg
    same(sides, None, "SELECT relname, relacl::text[] FROM pg_class "
                      "WHERE relname IN ('t', 'u', 'v', 's', 't_id_seq') ORDER BY relname")
    same(sides, None, "SELECT tablename, tableowner FROM pg_tables WHERE schemaname = 'public' "
                      "ORDER BY 1")


ENFORCED = [
    ("alice", "SELECT * FROM t"),
    ("alice", "SELECT count(*) FROM u"),
    ("alice", "SELECT 1 WHERE EXISTS (SELECT 1 FROM t)"),
    ("alice", "SELECT * FROM t JOIN u USING (id)"),
    ("alice", "SELECT * FROM v"),
    ("alice", "INSERT INTO u VALUES (1, 'x')"),
    ("alice", "UPDATE u SET b = 'y'"),
    ("alice", "DELETE FROM u"),
    ("alice", "TRUNCATE u"),
    ("alice", "SELECT nextval('s')"),
    ("alice", "SELECT setval('s', 5)"),
    ("alice", "SELECT * FROM s"),
    ("alice", "DROP TABLE t"),
    ("alice", "ALTER TABLE t ADD COLUMN c int"),
    ("alice", "CREATE INDEX ON t (a)"),
    ("alice", "DROP VIEW v"),
    ("alice", "ALTER SEQUENCE s RESTART"),
    ("alice", "CREATE TABLE mine (x int)"),
    ("alice", "GRANT SELECT ON t TO {bob}"),
    ("alice", "CREATE ROLE someone"),
]


def test_a_role_without_privileges_is_refused_as_by_postgresql(sides: list[Side]) -> None:
    setup(sides)
    for who, text in ENFORCED:
        state, message = same(sides, who, text)
        assert state == "42501", (text, message)
    # superusers and owners always pass
    assert same(sides, None, "SELECT a FROM t") == (None, "[('one',)]")


def test_granted_privileges_allow_exactly_what_they_name(sides: list[Side]) -> None:
    setup(sides, ["GRANT SELECT ON t TO {alice}", "GRANT INSERT ON u TO {alice}",
                  "GRANT UPDATE ON u TO {bob}", "GRANT SELECT ON v TO {bob}",
                  "GRANT USAGE ON SEQUENCE s TO {alice}", "GRANT SELECT ON SEQUENCE s TO {bob}"])
    checks = [
        ("alice", "SELECT a FROM t"),
        ("alice", "INSERT INTO u VALUES (1, 'x')"),
        ("alice", "INSERT INTO u VALUES (2, 'y') RETURNING id"),  # RETURNING reads: SELECT
        ("alice", "UPDATE u SET b = 'z'"),
        ("alice", "SELECT * FROM v"),
        ("alice", "SELECT nextval('s')"),
        ("alice", "SELECT * FROM t, u"),
        ("alice", "COPY u TO STDOUT"),
        ("bob", "UPDATE u SET b = 'z'"),  # no column read: UPDATE alone suffices
        ("bob", "UPDATE u SET b = b || '!'"),  # reads b: needs SELECT too
        ("bob", "UPDATE u SET b = 'z' WHERE id = 1"),
        ("bob", "SELECT * FROM v"),  # t is read with the view owner's rights
        ("bob", "SELECT a FROM t"),
        ("bob", "SELECT last_value FROM s"),
        ("bob", "SELECT nextval('s')"),
        ("bob", "SELECT currval('s')"),
        ("bob", "INSERT INTO t (a) VALUES ('two')"),
        ("alice", "TRUNCATE t"),
    ]
    for who, text in checks:
        same(sides, who, text)


def test_revoke_and_public_and_grant_options(sides: list[Side]) -> None:
    setup(sides, ["GRANT SELECT ON t TO PUBLIC",
                  "GRANT INSERT ON t TO {alice} WITH GRANT OPTION"])
    same(sides, "bob", "SELECT a FROM t")
    same(sides, None, "REVOKE SELECT ON t FROM PUBLIC")
    assert same(sides, "bob", "SELECT a FROM t")[0] == "42501"
    same(sides, "alice", "GRANT INSERT ON t TO {bob}")
    # without the grant option: a WARNING, nothing granted; without any privilege: 42501
    assert same(sides, "bob", "GRANT INSERT ON t TO {grp}") == (None, "'GRANT'")
    assert same(sides, "alice", "GRANT UPDATE ON u TO {grp}")[0] == "42501"
    same(sides, None, "SELECT relacl::text FROM pg_class WHERE relname = 't'")
    assert same(sides, None, "REVOKE INSERT ON t FROM {alice}")[0] == "2BP01"
    same(sides, None, "REVOKE INSERT ON t FROM {alice} CASCADE")
    same(sides, None, "SELECT relacl::text FROM pg_class WHERE relname = 't'")
    for text in ("GRANT USAGE ON t TO {alice}", "GRANT INSERT ON SEQUENCE s TO {alice}",
                 "GRANT SELECT ON t TO PUBLIC WITH GRANT OPTION",
                 "GRANT SELECT ON nosuch TO {alice}", "GRANT SELECT ON t TO nosuchrole",
                 "GRANT SELECT ON SEQUENCE t TO {alice}"):
        assert same(sides, None, text)[0] is not None, text
    same(sides, None, "GRANT SELECT ON ALL TABLES IN SCHEMA public TO {bob}")
    same(sides, "bob", "SELECT * FROM u")
    same(sides, "bob", "SELECT last_value FROM s")  # ALL TABLES includes no sequence
    same(sides, None, "GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO {bob}")
    same(sides, "bob", "SELECT last_value FROM s")


def test_owners_and_schema_public(sides: list[Side]) -> None:
    setup(sides)
    assert same(sides, "alice", "CREATE TABLE mine (x int)")[0] == "42501"
    same(sides, None, "GRANT CREATE ON SCHEMA public TO {alice}")
    same(sides, None, "SELECT nspacl::text FROM pg_namespace WHERE nspname = 'public'")
    same(sides, "alice", "CREATE TABLE mine (x int)")
    same(sides, "alice", "INSERT INTO mine VALUES (1)")
    same(sides, "alice", "CREATE INDEX mine_x ON mine (x)")
    assert same(sides, "bob", "DROP INDEX mine_x")[0] == "42501"
    assert same(sides, "bob", "ALTER TABLE mine RENAME TO yours")[0] == "42501"
    same(sides, "alice", "GRANT SELECT ON mine TO {bob}")
    same(sides, "bob", "SELECT x FROM mine")
    same(sides, None, "SELECT pg_get_userbyid(relowner) = current_user FROM pg_class "
                      "WHERE relname = 'mine'")
    assert same(sides, None, "DROP ROLE {alice}")[0] == "2BP01"
    same(sides, "alice", "DROP TABLE mine")
    same(sides, None, "REVOKE CREATE ON SCHEMA public FROM {alice}")
    assert same(sides, "alice", "CREATE VIEW w AS SELECT 1")[0] == "42501"
    same(sides, None, "REVOKE USAGE ON SCHEMA public FROM PUBLIC")
    same(sides, None, "GRANT SELECT ON t TO {alice}")
    # (the schema is not searched: t is not found)
    assert same(sides, "alice", "SELECT a FROM t") == ("42P01", 'relation "t" does not exist')
    same(sides, None, "GRANT USAGE ON SCHEMA public TO PUBLIC")


def test_privilege_functions(sides: list[Side]) -> None:
    setup(sides, ["GRANT SELECT ON t TO {alice}", "GRANT UPDATE ON SEQUENCE s TO {grp}",
                  "GRANT {grp} TO {bob}"])
    same(sides, "alice", "SELECT has_table_privilege('t', 'SELECT'), "
                         "has_table_privilege('t', 'INSERT, SELECT'), "
                         "has_table_privilege('t', 'UPDATE'), has_table_privilege('u', 'select'), "
                         "has_table_privilege('{bob}', 't', 'SELECT'), "
                         "has_table_privilege('t', 'SELECT WITH GRANT OPTION'), "
                         "has_table_privilege('pg_class', 'SELECT')")
    same(sides, "bob", "SELECT has_sequence_privilege('s', 'UPDATE'), "
                       "has_sequence_privilege('s', 'USAGE'), "
                       "pg_has_role('{grp}', 'MEMBER'), pg_has_role('{alice}', 'USAGE'), "
                       "has_schema_privilege('public', 'USAGE'), "
                       "has_schema_privilege('public', 'CREATE'), "
                       "has_database_privilege(current_database(), 'CONNECT'), "
                       "has_database_privilege(current_database(), 'CREATE')")
    for text in ("SELECT has_table_privilege('t', 'FLY')", "SELECT has_table_privilege('nosuch', "
                 "'SELECT')", "SELECT has_table_privilege('nosuchrole', 't', 'SELECT')",
                 "SELECT has_sequence_privilege('s', 'INSERT')"):
        assert same(sides, "alice", text)[0] is not None


def test_role_membership_grants_the_roles_privileges(sides: list[Side]) -> None:
    setup(sides, ["GRANT SELECT ON t TO {grp}"])
    assert same(sides, "bob", "SELECT a FROM t")[0] == "42501"
    same(sides, None, "GRANT {grp} TO {bob}")
    same(sides, "bob", "SELECT a FROM t")
    same(sides, None, "SELECT r.rolname, m.rolname, admin_option FROM pg_auth_members a "
                      "JOIN pg_roles r ON r.oid = a.roleid JOIN pg_roles m ON m.oid = a.member "
                      "WHERE r.rolname = '{grp}'")
    assert same(sides, None, "GRANT {bob} TO {grp}")[0] == "0LP01"  # a loop
    assert same(sides, "alice", "GRANT {grp} TO {alice}")[0] == "42501"
    same(sides, None, "ALTER ROLE {bob} NOINHERIT")
    assert same(sides, "bob", "SELECT a FROM t")[0] == "42501"
    same(sides, None, "ALTER ROLE {bob} INHERIT")
    same(sides, None, "REVOKE {grp} FROM {bob}")
    assert same(sides, "bob", "SELECT a FROM t")[0] == "42501"


def test_du_shows_membership_and_create_role_options(sides: list[Side]) -> None:
    for side in sides:
        side.run(None, "CREATE ROLE {grp}_x IN ROLE {grp} ROLE {alice} ADMIN {bob}")
    same(sides, None, "SELECT r.rolname, m.rolname, admin_option FROM pg_auth_members a "
                      "JOIN pg_roles r ON r.oid = a.roleid JOIN pg_roles m ON m.oid = a.member "
                      "WHERE r.rolname LIKE '{grp}%' OR m.rolname LIKE '{grp}%' ORDER BY 1, 2")
    pgha, pg = (side.psql(None, r"\du " + side.sql("{alice}|{bob}|{grp}*")) for side in sides)
    assert pgha.splitlines() == pg.splitlines()
    assert "{grp}" in pgha or "grp" in pgha
    for side in sides:
        side.run(None, "DROP ROLE {grp}_x")


def test_alter_role_set_applies_at_login(sides: list[Side]) -> None:
    same(sides, None, "ALTER ROLE {alice} SET timezone = 'Europe/Paris'")
    same(sides, None, "ALTER ROLE {alice} SET statement_timeout = '5s'")
    same(sides, None, "ALTER ROLE {alice} SET application_name = 'from_role'")
    same(sides, None, "ALTER ROLE {alice} RESET application_name")
    same(sides, None, "SELECT setconfig FROM pg_db_role_setting s JOIN pg_roles r "
                      "ON r.oid = s.setrole WHERE r.rolname = '{alice}'")
    same(sides, "alice", "SELECT current_setting('TimeZone')")
    same(sides, "alice", "SHOW statement_timeout")
    assert same(sides, None, "ALTER ROLE {alice} SET no_such_setting = 1")[0] == "42704"
    assert same(sides, "bob", "ALTER ROLE {alice} SET timezone = 'UTC'")[0] == "42501"
    same(sides, "bob", "ALTER ROLE {bob} SET timezone = 'Asia/Tokyo'")
    same(sides, "bob", "SHOW timezone")  # (applies from the next login)
    same(sides, "bob", "ALTER ROLE {bob} RESET ALL")
    same(sides, None, "SELECT count(*) FROM pg_db_role_setting s JOIN pg_roles r "
                      "ON r.oid = s.setrole WHERE r.rolname = '{bob}'")


def test_set_role_switches_the_privileges(sides: list[Side]) -> None:
    setup(sides, ["GRANT SELECT ON t TO {grp}", "GRANT {grp} TO {bob}"])
    same(sides, None, "SET ROLE {alice}; SELECT a FROM t")
    with sides[0].connect("bob") as pgha_conn, sides[1].connect("bob") as pg_conn:
        for text in ("SELECT current_user = session_user", "SET ROLE {grp}",
                     "SELECT current_user = session_user", "SELECT a FROM t",
                     "SET ROLE {alice}", "RESET ROLE", "SHOW role"):
            answers = []
            for side, conn in ((sides[0], pgha_conn), (sides[1], pg_conn)):
                try:
                    cur = conn.execute(side.sql(text))
                    answers.append(cur.fetchall() if cur.description else None)
                except psycopg.Error as exc:
                    answers.append(exc.sqlstate)
            assert answers[0] == answers[1], text


def test_owner_to_reassign_and_drop_owned(sides: list[Side]) -> None:
    setup(sides, ["GRANT SELECT ON t TO {alice}", "GRANT SELECT ON s TO {bob}",
                  "GRANT CREATE ON SCHEMA public TO {alice}, {bob}"])
    same(sides, None, "ALTER TABLE t OWNER TO {alice}")
    acl = ("SELECT relname, pg_get_userbyid(relowner), relacl::text FROM pg_class "
           "WHERE relname IN ('t', 't_id_seq', 's', 'u') ORDER BY 1")
    same(sides, None, acl)
    assert same(sides, None, "ALTER SEQUENCE t_id_seq OWNER TO {bob}")[0] == "0A000"
    assert same(sides, "bob", "ALTER TABLE t OWNER TO {bob}")[0] == "42501"
    assert same(sides, "alice", "ALTER TABLE t OWNER TO {bob}")[0] == "42501"  # not a member
    same(sides, "alice", "INSERT INTO t (a) VALUES ('by the owner')")
    same(sides, None, "DROP VIEW v")
    same(sides, None, "REASSIGN OWNED BY {alice} TO {bob}")
    same(sides, None, acl)
    same(sides, None, "DROP OWNED BY {bob}")
    same(sides, None, "SELECT relname FROM pg_class WHERE relname IN ('t', 't_id_seq', 's', 'u') "
                      "ORDER BY 1")
    same(sides, None, acl)
    same(sides, None, "SELECT nspacl::text FROM pg_namespace WHERE nspname = 'public'")
    same(sides, None, "DROP ROLE {bob}")
