"""Schema privileges as PostgreSQL 15 keeps them, through psycopg and psql against a real pgha
node, each checked against a real PostgreSQL 15 running the same statements: USAGE to use a
schema's relations (a qualified name is refused, search_path skips the schema), CREATE to
create in it or move a relation into it, GRANT/REVOKE ON SCHEMA with grant options and
CASCADE, ownership (ALTER SCHEMA ... OWNER TO moves the ACL), has_schema_privilege, psql's
``\\dn+``, and what DROP ROLE, REASSIGN OWNED and DROP OWNED do with schemas."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from fixtures.pgha_server import PghaServer
from fixtures.postgres import PostgresServer
from fixtures.role_sides import Outcome, Side, role_sides


@pytest.fixture
def sides(pgha_server: PghaServer, postgres_server: PostgresServer) -> Iterator[list[Side]]:
    with role_sides(pgha_server, postgres_server, "nsp") as both:
        yield both


SETUP = ["CREATE SCHEMA s", "CREATE TABLE s.t (a int)", "INSERT INTO s.t VALUES (1)",
         "CREATE SEQUENCE s.q", "CREATE TABLE public.p (a int)"]


def setup(sides: list[Side], extra: list[str] = ()) -> None:  # type: ignore[assignment]
    for side in sides:
        for text, (state, message) in zip(SETUP + list(extra),
                                           side.session(None, SETUP + list(extra)),
                                           strict=True):
            assert state is None, (text, message)


def same(sides: list[Side], who: str | None, statements: list[str]) -> list[Outcome]:
    """Run ``statements`` in one session on both; each must answer alike. Returns pgha's."""
    pgha, pg = (side.session(who, statements) for side in sides)
    for text, mine, theirs in zip(statements, pgha, pg, strict=True):
        assert mine == theirs, text
    return pgha


def test_usage_is_needed_to_use_a_schema(sides: list[Side]) -> None:
    setup(sides, ["GRANT SELECT, INSERT ON s.t TO {alice}", "GRANT USAGE ON s.q TO {alice}"])
    statements = [
        "SELECT * FROM s.t",
        "SELECT * FROM s.nosuch",  # refused before the relation is looked up
        "INSERT INTO s.t VALUES (2)",
        "SELECT nextval('s.q')",
        "SELECT 's.t'::regclass",
        "SELECT 's.nosuch'::regclass",
        "DROP TABLE s.t",
        "DROP TABLE IF EXISTS s.nosuch",
        "CREATE INDEX ON s.t (a)",
        "GRANT SELECT ON s.t TO {bob}",
        "GRANT SELECT ON ALL TABLES IN SCHEMA s TO {bob}",
        "SELECT * FROM public.p",
        "SET search_path = s, public",
        "SELECT current_schemas(false), current_schema()",  # s is skipped, silently
        "SELECT * FROM t",
    ]
    refused = same(sides, "alice", statements)
    assert refused[0] == ("42501", "permission denied for schema s")
    assert refused[-1][0] == "42P01"
    same(sides, None, ["GRANT USAGE ON SCHEMA s TO {alice}"])
    allowed = same(sides, "alice", statements[:6] + statements[-3:])
    assert allowed[0] == (None, "[(1,)]")
    assert allowed[-2] == (None, "[(['s', 'public'], 's')]")
    # a superuser passes whatever the ACL says
    same(sides, None, ["REVOKE ALL ON SCHEMA s FROM postgres", "SELECT * FROM s.t"])


def test_create_needs_create_on_the_schema(sides: list[Side]) -> None:
    setup(sides, ["GRANT USAGE ON SCHEMA s TO {alice}", "CREATE TABLE public.m (a int)",
                  "ALTER TABLE public.m OWNER TO {alice}", "CREATE TABLE public.m2 (a int)",
                  "ALTER TABLE public.m2 OWNER TO {alice}"])
    refused = same(sides, "alice", [
        "CREATE TABLE s.x (a int)",
        "CREATE VIEW s.v AS SELECT 1 AS one",
        "CREATE SEQUENCE s.q2",
        "SET search_path = s, public",
        "CREATE TABLE y (a int)",  # the first schema of the path: s
        "ALTER TABLE public.m SET SCHEMA s",
        "ALTER TABLE public.nosuch SET SCHEMA s",
        "CREATE TABLE public.z (a int)",
    ])
    assert refused[0] == ("42501", "permission denied for schema s")
    assert refused[-1] == ("42501", "permission denied for schema public")
    same(sides, None, ["GRANT CREATE ON SCHEMA s TO {alice}",
                       "REVOKE USAGE ON SCHEMA public FROM PUBLIC"])
    same(sides, "alice", [
        "CREATE TABLE s.x (a int)",
        "CREATE INDEX ON s.x (a)",  # an index goes with its table: its owner's, no check
        "ALTER TABLE public.m SET SCHEMA s",
        "ALTER TABLE s.t SET SCHEMA public",  # not the owner
        "SET search_path = public",
        "SELECT current_schemas(false)",
        "CREATE TABLE y (a int)",  # public is skipped: nowhere to create
        "SELECT * FROM p",
        "SET search_path = s",
        "SELECT * FROM m",
    ])
    same(sides, None, ["REVOKE CREATE ON SCHEMA s FROM {alice}"])
    same(sides, "alice", ["ALTER TABLE public.m2 SET SCHEMA s", "CREATE VIEW s.v AS SELECT 1"])


def test_dn_plus_and_grant_options_as_postgresql(sides: list[Side]) -> None:
    setup(sides, ["CREATE SCHEMA a1 AUTHORIZATION {alice}", "CREATE SCHEMA \"Odd\""])
    assert sides[0].psql(None, r"\dn+") == sides[1].psql(None, r"\dn+")
    same(sides, "alice", ["GRANT USAGE ON SCHEMA a1 TO {bob} WITH GRANT OPTION",
                          "GRANT USAGE ON SCHEMA s TO {bob}",
                          "REVOKE USAGE ON SCHEMA s FROM {bob}"])
    same(sides, None, [
        "GRANT USAGE ON SCHEMA s TO {alice} WITH GRANT OPTION",
        "GRANT ALL PRIVILEGES ON SCHEMA s, public TO {grp}",
        "GRANT CREATE ON SCHEMA \"Odd\" TO PUBLIC",
        "GRANT SELECT ON SCHEMA s TO {alice}",
        "GRANT USAGE ON SCHEMA nosuch TO {alice}",
        "GRANT USAGE ON SCHEMA s TO PUBLIC WITH GRANT OPTION",
        "GRANT USAGE ON SCHEMA s TO nobody_at_all",
    ])
    same(sides, "alice", ["GRANT USAGE ON SCHEMA s TO {bob}",
                          "GRANT CREATE ON SCHEMA s TO {bob}",  # no grant option: a WARNING
                          "REVOKE CREATE ON SCHEMA s FROM {grp}"])
    same(sides, "bob", ["GRANT USAGE ON SCHEMA a1 TO {grp}"])
    for command in (r"\dn+", r"\dn+ s", r"\dn"):
        assert sides[0].psql(None, command) == sides[1].psql(None, command), command
    same(sides, None, ["SELECT nspname, nspacl::text[] FROM pg_namespace "
                       "WHERE nspname IN ('s', 'a1', 'public', 'Odd') ORDER BY 1"])
    same(sides, None, [
        "REVOKE GRANT OPTION FOR USAGE ON SCHEMA s FROM {alice}",  # bob's depends on it
        "REVOKE USAGE ON SCHEMA a1 FROM {bob}",
        "REVOKE USAGE ON SCHEMA s FROM {alice} CASCADE",
        "REVOKE ALL ON SCHEMA public FROM {grp}",
    ])
    assert sides[0].psql(None, r"\dn+") == sides[1].psql(None, r"\dn+")


def test_owner_and_ownership_changes(sides: list[Side]) -> None:
    setup(sides, ["CREATE SCHEMA a1 AUTHORIZATION {alice}", "CREATE SCHEMA a2",
                  "GRANT {bob} TO {alice}"])
    same(sides, "alice", [
        "CREATE SCHEMA mine",  # needs CREATE on the database
        "ALTER SCHEMA s OWNER TO {alice}",
        "ALTER SCHEMA s RENAME TO s2",
        "DROP SCHEMA s",
        "ALTER SCHEMA a1 OWNER TO {grp}",  # not a member of grp
        "ALTER SCHEMA a1 OWNER TO {bob}",  # a member, but no CREATE on the database
        "ALTER SCHEMA a1 RENAME TO a3",
        "CREATE TABLE a1.x (a int)",  # the owner holds USAGE and CREATE
        "DROP TABLE a1.x",
        "DROP SCHEMA a1",
    ])
    same(sides, None, [
        "GRANT USAGE ON SCHEMA a2 TO {alice} WITH GRANT OPTION",
        "GRANT CREATE ON SCHEMA a2 TO {bob}",
        "ALTER SCHEMA a2 OWNER TO {alice}",  # postgres's items become alice's, merged
        "ALTER SCHEMA a2 OWNER TO {alice}",
    ])
    assert sides[0].psql(None, r"\dn+ a2") == sides[1].psql(None, r"\dn+ a2")
    same(sides, None, ["ALTER SCHEMA a2 OWNER TO {bob}", "ALTER SCHEMA a2 OWNER TO postgres"])
    assert sides[0].psql(None, r"\dn+ a2") == sides[1].psql(None, r"\dn+ a2")


def test_has_schema_privilege_answers_from_the_acl(sides: list[Side]) -> None:
    setup(sides, ["GRANT USAGE ON SCHEMA s TO {alice} WITH GRANT OPTION",
                  "GRANT CREATE ON SCHEMA s TO {grp}", "GRANT {grp} TO {bob}",
                  "CREATE SCHEMA a1 AUTHORIZATION {alice}"])
    checks = []
    for role in ("{alice}", "{bob}", "{grp}", "postgres"):
        for schema in ("s", "a1", "public", "pg_catalog"):
            for priv in ("USAGE", "CREATE", "usage, create", "USAGE WITH GRANT OPTION",
                         "CREATE WITH GRANT OPTION"):
                checks.append(f"SELECT has_schema_privilege('{role}', '{schema}', '{priv}')")
    checks += ["SELECT has_schema_privilege('s', 'USAGE')",
               "SELECT has_schema_privilege('a1', 'CREATE WITH GRANT OPTION')",
               "SELECT has_schema_privilege('nosuch', 'USAGE')",
               "SELECT has_schema_privilege('s', 'SELECT')",
               "SELECT has_schema_privilege('{alice}', oid, 'USAGE') FROM pg_namespace "
               "WHERE nspname = 's'"]
    for who in (None, "alice", "bob"):
        same(sides, who, checks[-5:])
    same(sides, None, checks)


def test_drop_role_reassign_and_drop_owned_cover_schemas(sides: list[Side]) -> None:
    setup(sides, ["CREATE SCHEMA a1 AUTHORIZATION {alice}", "CREATE TABLE a1.x (a int)",
                  "GRANT USAGE ON SCHEMA s TO {bob} WITH GRANT OPTION",
                  "GRANT CREATE ON SCHEMA public TO {bob}", "CREATE SCHEMA b1",
                  "ALTER SCHEMA b1 OWNER TO {bob}"])
    same(sides, "bob", ["GRANT USAGE ON SCHEMA s TO {grp}", "CREATE TABLE b1.y (a int)"])
    same(sides, None, ["DROP ROLE {alice}", "DROP ROLE {bob}", "DROP ROLE {grp}",
                       "SET search_path = s", "DROP ROLE {bob}"])
    same(sides, None, ["REASSIGN OWNED BY {alice} TO {grp}",
                       "SELECT nspname, pg_get_userbyid(nspowner) FROM pg_namespace "
                       "WHERE nspname = 'a1'",
                       "DROP OWNED BY {bob}",
                       "SELECT nspname FROM pg_namespace WHERE nspname = 'b1'"])
    assert sides[0].psql(None, r"\dn+") == sides[1].psql(None, r"\dn+")
    same(sides, None, ["DROP ROLE {bob}", "DROP ROLE {alice}", "DROP OWNED BY {grp} CASCADE",
                       "DROP ROLE {grp}", "SELECT count(*) FROM pg_namespace "
                                          "WHERE nspname IN ('a1', 'b1')"])
