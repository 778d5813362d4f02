"""Roles as PostgreSQL clients see them: logging in as a role that does not exist is 28000,
CREATE ROLE / CREATE USER / ALTER ROLE / DROP ROLE manage the logins (with their SQLSTATEs),
psql's \\du lists them, a role's password is checked with SCRAM, and roles made on the primary
log in on a standby (they replicate with the data). Checked against PostgreSQL 15 where it
answers the same statements."""

from __future__ import annotations

import subprocess
from typing import Any

import psycopg
import pytest

from fixtures.cluster import wait_for
from fixtures.pgha_server import PghaFactory, PghaServer
from fixtures.ports import free_port
from fixtures.postgres import PostgresServer


def connect(server: Any, user: str, password: str | None = None,
            dbname: str = "postgres") -> psycopg.Connection[Any]:
    extra = f" password={password}" if password is not None else ""
    return psycopg.connect(f"host=127.0.0.1 port={server.port} user={user} dbname={dbname} "
                           f"sslmode=disable connect_timeout=10{extra}", autocommit=True)


def sqlstate_of(server: Any, user: str, sql: str) -> str | None:
    with connect(server, user) as conn:
        try:
            conn.execute(sql)
        except psycopg.Error as exc:
            return exc.sqlstate
    return None


def test_an_unknown_role_cannot_log_in(pgha_server: PghaServer) -> None:
    with pytest.raises(psycopg.OperationalError, match='role "nobody" does not exist'):
        connect(pgha_server, "nobody")


def test_roles_are_created_altered_and_dropped(pgha_server: PghaServer) -> None:
    with connect(pgha_server, "postgres") as conn:
        conn.execute("CREATE ROLE reporting")  # NOLOGIN, as in PostgreSQL
        conn.execute("CREATE USER app")  # LOGIN
        conn.execute("CREATE ROLE ops WITH LOGIN CREATEDB CONNECTION LIMIT 3 "
                     "VALID UNTIL '2099-01-01'")
        rows = conn.execute("SELECT rolname, rolcanlogin, rolcreatedb, rolconnlimit, rolsuper "
                            "FROM pg_roles WHERE rolname !~ '^pg_' ORDER BY rolname").fetchall()
    assert rows == [("app", True, False, -1, False), ("ops", True, True, 3, False),
                    ("postgres", True, True, -1, True), ("reporting", False, False, -1, False)]
    with connect(pgha_server, "app") as conn:
        assert conn.execute("SELECT current_user").fetchone() == ("app",)
    with pytest.raises(psycopg.OperationalError, match="not permitted to log in"):
        connect(pgha_server, "reporting")
    with connect(pgha_server, "postgres") as conn:
        conn.execute("ALTER ROLE app NOLOGIN")
        conn.execute("ALTER ROLE reporting LOGIN")
    with pytest.raises(psycopg.OperationalError, match="not permitted to log in"):
        connect(pgha_server, "app")
    connect(pgha_server, "reporting").close()
    with connect(pgha_server, "postgres") as conn:
        conn.execute("DROP ROLE app, reporting")
        conn.execute("DROP ROLE IF EXISTS app")
    with pytest.raises(psycopg.OperationalError, match='role "app" does not exist'):
        connect(pgha_server, "app")


@pytest.mark.parametrize(("sql", "sqlstate"), [
    ("CREATE ROLE postgres", "42710"),
    ("CREATE ROLE pg_mine", "42939"),
    ("DROP ROLE no_such_role", "42704"),
    ("ALTER ROLE no_such_role LOGIN", "42704"),
    ("DROP ROLE postgres", "55006"),
    ("CREATE ROLE r CONNECTION LIMIT -2", "22023"),
])
def test_role_errors_match_postgresql(pgha_server: PghaServer,
                                      postgres_server: PostgresServer, sql: str,
                                      sqlstate: str) -> None:
    assert sqlstate_of(pgha_server, "postgres", sql) == sqlstate
    assert sqlstate_of(postgres_server, postgres_server.user, sql.replace(
        "postgres", postgres_server.user)) == sqlstate


def test_psql_du_lists_the_roles(pgha_server: PghaServer) -> None:
    with connect(pgha_server, "postgres") as conn:
        conn.execute("CREATE ROLE analyst LOGIN")
        conn.execute("CREATE ROLE readers")
    out = subprocess.run(["psql", "-X", "-h", "127.0.0.1", "-p", str(pgha_server.port), "-U",
                          "postgres", "-d", "postgres", "-c", r"\du"], capture_output=True,
                         text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    lines = {line.split("|")[0].strip(): line for line in out.stdout.splitlines() if "|" in line}
    assert "analyst" in lines and "Superuser" in lines["postgres"]
    assert "Cannot login" in lines["readers"]


def test_role_passwords_and_replication(pgha_factory: PghaFactory) -> None:
    # With --user, logins need a password: a role's is checked with SCRAM, on the primary and,
    # once replicated, on a standby.
    ports = [free_port() for _ in range(2)]
    peers = ",".join(f"127.0.0.1:{p}" for p in ports)
    login = ("--user", "admin:adm1n")
    primary = pgha_factory("--node-id", "n1", "--ha-mode", "primary", "--ha-bind",
                           f"127.0.0.1:{ports[0]}", "--ha-primary", peers, *login)
    standby = pgha_factory("--node-id", "n2", "--ha-mode", "standby", "--ha-bind",
                           f"127.0.0.1:{ports[1]}", "--ha-primary", peers, *login)
    with connect(primary, "admin", "adm1n") as conn:
        conn.execute("CREATE ROLE app LOGIN PASSWORD 's3cret'")
        conn.execute("CREATE TABLE notes (body text)")
        conn.execute("GRANT SELECT ON notes TO app")  # (app reads it on the standby)
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        connect(primary, "app", "wrong")
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        connect(primary, "nobody", "x")  # no hint that the role does not exist
    # postgres is not a login here until it is given a password (as with --user before).
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        connect(primary, "postgres", "x")

    def logs_in() -> bool:
        try:
            connect(standby, "app", "s3cret").close()
        except psycopg.OperationalError:
            return False
        return True

    wait_for(logs_in, "the role to reach the standby")
    with connect(standby, "app", "s3cret") as conn:
        assert conn.execute("SELECT current_user, count(*) FROM notes").fetchone() == ("app", 0)
        # Known limit: the standby has the role's verifier, not its password, so it cannot
        # log in to the primary as that role to run a write there.
        with pytest.raises(psycopg.errors.InvalidPassword, match="knows no password"):
            conn.execute("INSERT INTO notes VALUES ('from the standby')")
    with connect(standby, "admin", "adm1n") as conn:
        conn.execute("INSERT INTO notes VALUES ('forwarded for a --user login')")
    with connect(primary, "admin", "adm1n") as conn:
        conn.execute("ALTER ROLE app PASSWORD 'n3w'")
        conn.execute("ALTER ROLE app VALID UNTIL '2000-01-01'")
    wait_for(lambda: scalar_as(standby, "SELECT rolvaliduntil IS NOT NULL FROM pg_roles "
                                        "WHERE rolname = 'app'"), "the change on the standby")
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        connect(standby, "app", "n3w")  # expired


def scalar_as(server: PghaServer, sql: str) -> Any:
    with connect(server, "admin", "adm1n") as conn:
        row = conn.execute(sql).fetchone()
        return row[0] if row else None
