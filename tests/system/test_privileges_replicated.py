"""Privileges replicate with the catalog: GRANT, REVOKE and role membership made on the primary
are what a standby enforces for the same role (reads run on the standby itself), and the
standby's relacl and pg_auth_members show the primary's."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import psycopg
import pytest

from fixtures.pgha_server import PghaFactory, PghaServer


def _pair(factory: PghaFactory) -> tuple[PghaServer, PghaServer]:
    primary = factory("--node-id", "n1", "--ha-mode", "primary", "--ha-bind", "127.0.0.1:0",
                      "--cluster-secret", "s3cret")
    rport = int(json.loads(primary.ready_file.read_text())["replication_port"])
    standby = factory("--node-id", "n2", "--ha-mode", "standby", "--ha-primary",
                      f"127.0.0.1:{rport}", "--cluster-secret", "s3cret",
                      "--standby-writes", "reject")
    return primary, standby


def _as(server: PghaServer, user: str) -> psycopg.Connection[Any]:
    return psycopg.connect(f"host={server.host} port={server.port} user={user} "
                           "dbname=postgres sslmode=disable connect_timeout=10", autocommit=True)


def _outcome(server: PghaServer, user: str, sql: str) -> Any:
    with _as(server, user) as conn:
        try:
            return conn.execute(sql).fetchall()
        except psycopg.Error as exc:
            return exc.sqlstate


def _wait(check: Callable[[], bool], what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def _acl(server: PghaServer) -> Any:
    with _as(server, "postgres") as conn:
        return conn.execute("SELECT relname, relacl::text, pg_get_userbyid(relowner) "
                            "FROM pg_class WHERE relname IN ('ledger', 'seq') "
                            "ORDER BY 1").fetchall()


@pytest.mark.timeout(120)
def test_grants_replicate_and_the_standby_enforces_them(pgha_factory: PghaFactory) -> None:
    primary, standby = _pair(pgha_factory)
    with _as(primary, "postgres") as conn:
        conn.execute("CREATE USER clerk")
        conn.execute("CREATE ROLE auditors")
        conn.execute("CREATE TABLE ledger (id int PRIMARY KEY, amount int)")
        conn.execute("INSERT INTO ledger VALUES (1, 10), (2, 20)")
        conn.execute("CREATE SEQUENCE seq")
    _wait(lambda: _outcome(standby, "clerk", "SELECT 1") == [(1,)], "clerk on the standby")
    assert _outcome(standby, "clerk", "SELECT count(*) FROM ledger") == "42501"

    with _as(primary, "postgres") as conn:
        conn.execute("GRANT SELECT ON ledger TO clerk")
        conn.execute("GRANT USAGE ON SEQUENCE seq TO auditors")
    _wait(lambda: _outcome(standby, "clerk", "SELECT count(*) FROM ledger") == [(2,)],
          "the grant on the standby")
    assert _acl(standby) == _acl(primary) == [
        ("ledger", '{postgres=arwdDxt/postgres,clerk=r/postgres}', "postgres"),
        ("seq", '{postgres=rwU/postgres,auditors=U/postgres}', "postgres")]
    # a standby's read is checked there: the sequence needs auditors' USAGE
    assert _outcome(standby, "clerk", "SELECT has_sequence_privilege('seq', 'USAGE')") \
        == [(False,)]

    with _as(primary, "postgres") as conn:
        conn.execute("GRANT auditors TO clerk")
    _wait(lambda: _outcome(standby, "clerk", "SELECT has_sequence_privilege('seq', 'USAGE')")
          == [(True,)], "the membership on the standby")
    with _as(standby, "postgres") as conn:
        assert conn.execute("SELECT r.rolname, m.rolname FROM pg_auth_members a "
                            "JOIN pg_roles r ON r.oid = a.roleid "
                            "JOIN pg_roles m ON m.oid = a.member").fetchall() == [
            ("auditors", "clerk")]

    with _as(primary, "postgres") as conn:
        conn.execute("REVOKE SELECT ON ledger FROM clerk")
    _wait(lambda: _outcome(standby, "clerk", "SELECT count(*) FROM ledger") == "42501",
          "the revoke on the standby")
    assert _acl(standby) == _acl(primary)


def _nspacl(server: PghaServer) -> Any:
    with _as(server, "postgres") as conn:
        return conn.execute("SELECT nspname, nspacl::text, pg_get_userbyid(nspowner) "
                            "FROM pg_namespace WHERE nspname = 'books'").fetchall()


@pytest.mark.timeout(120)
def test_schema_grants_replicate_and_the_standby_enforces_them(
        pgha_factory: PghaFactory) -> None:
    primary, standby = _pair(pgha_factory)
    with _as(primary, "postgres") as conn:
        conn.execute("CREATE USER clerk")
        conn.execute("CREATE SCHEMA books")
        conn.execute("CREATE TABLE books.ledger (id int PRIMARY KEY)")
        conn.execute("INSERT INTO books.ledger VALUES (1)")
        conn.execute("GRANT SELECT ON ALL TABLES IN SCHEMA books TO clerk")
    _wait(lambda: _outcome(standby, "clerk", "SELECT 1") == [(1,)], "clerk on the standby")
    # the table's privilege alone is not enough: the schema needs USAGE
    assert _outcome(standby, "clerk", "SELECT count(*) FROM books.ledger") == "42501"

    with _as(primary, "postgres") as conn:
        conn.execute("GRANT USAGE ON SCHEMA books TO clerk")
    _wait(lambda: _outcome(standby, "clerk", "SELECT count(*) FROM books.ledger") == [(1,)],
          "the schema grant on the standby")
    assert _nspacl(standby) == _nspacl(primary) == [
        ("books", "{postgres=UC/postgres,clerk=U/postgres}", "postgres")]

    with _as(primary, "postgres") as conn:
        conn.execute("ALTER SCHEMA books OWNER TO clerk")
        conn.execute("REVOKE USAGE ON SCHEMA books FROM clerk")
    _wait(lambda: _outcome(standby, "clerk", "SELECT count(*) FROM books.ledger") == "42501",
          "the revoke on the standby")
    assert _nspacl(standby) == _nspacl(primary) == [("books", "{clerk=C/clerk}", "clerk")]
