"""Temporary tables and data-modifying WITH through a real client, on a primary and a standby.

A temporary table is seen only by the session that made it, is never logged (a standby never
learns of it, and replication keeps working around it), and on a standby the session that made
one (forwarded to the primary) stays pinned there, so its later reads find it. A
data-modifying WITH (``WITH x AS (DELETE ... RETURNING ...) INSERT ...``) replicates as one
transaction, and when any part of it fails nothing of it stays, on either node. CREATE TABLE
AS replicates the rows the primary computed.
"""

from __future__ import annotations

from typing import Any

import psycopg
import pytest

from fixtures.cluster import wait_for
from fixtures.pgha_server import PghaFactory, PghaServer
from fixtures.ports import free_port


def connect(server: PghaServer) -> psycopg.Connection[Any]:
    return psycopg.connect(f"host=127.0.0.1 port={server.port} user=postgres dbname=postgres "
                           "sslmode=disable connect_timeout=10", autocommit=True)


def rows(server: PghaServer, sql: str) -> list[tuple[Any, ...]]:
    with connect(server) as conn:
        return conn.execute(sql).fetchall()


def test_temp_tables_and_with_writes_on_a_primary_and_standby(
        pgha_factory: PghaFactory) -> None:
    ports = [free_port() for _ in range(2)]
    peers = ",".join(f"127.0.0.1:{p}" for p in ports)
    primary = pgha_factory("--node-id", "n1", "--ha-mode", "primary", "--ha-bind",
                           f"127.0.0.1:{ports[0]}", "--ha-primary", peers)
    standby = pgha_factory("--node-id", "n2", "--ha-mode", "standby", "--ha-bind",
                           f"127.0.0.1:{ports[1]}", "--ha-primary", peers)
    with connect(primary) as a, connect(primary) as b:
        a.execute("CREATE TABLE inbox (id integer PRIMARY KEY, body text)")
        a.execute("CREATE TABLE archive (id integer PRIMARY KEY, body text)")
        a.execute("INSERT INTO inbox VALUES (1, 'one'), (2, 'two'), (3, 'three')")
        a.execute("CREATE TEMP TABLE scratch (id integer, note text)")
        a.execute("INSERT INTO scratch VALUES (2, 'moved from scratch')")
        with pytest.raises(psycopg.errors.UndefinedTable):
            b.execute("SELECT * FROM scratch")
        with a.cursor().copy("COPY scratch FROM STDIN") as copy:
            copy.write_row((9, "copied"))
        assert a.execute("SELECT count(*) FROM scratch").fetchone() == (2,)
        # (with parameters: the extended protocol, shared by both parts)
        moved = a.execute("WITH m AS (DELETE FROM inbox WHERE id <= %s RETURNING id, body) "
                          "INSERT INTO archive SELECT id, body FROM m WHERE id > %s", (2, 0))
        assert moved.statusmessage == "INSERT 0 2"
        # The main statement fails (archive already has id 2): the DELETE is undone too.
        with pytest.raises(psycopg.errors.UniqueViolation):
            a.execute("WITH m AS (DELETE FROM inbox RETURNING id) "
                      "INSERT INTO archive SELECT id, note FROM scratch")
        assert a.execute("SELECT id FROM inbox").fetchall() == [(3,)]
        # CREATE TABLE AS replicates its rows as computed here (random() runs once).
        made = a.execute("CREATE TABLE picked AS SELECT id, random() AS r FROM archive")
        assert made.statusmessage == "SELECT 2"
        a.execute("SELECT id INTO TEMP gone FROM archive")  # never reaches the standby
        picked = a.execute("SELECT id, r FROM picked ORDER BY id").fetchall()
    # The temporary table went with its session; the writes reached the standby.
    wait_for(lambda: rows(standby, "SELECT id, body FROM archive ORDER BY id")
             == [(1, "one"), (2, "two")], "the archive rows on the standby")
    assert rows(standby, "SELECT id FROM inbox") == [(3,)]
    wait_for(lambda: rows(standby, "SELECT id, r FROM picked ORDER BY id") == picked,
             "the CREATE TABLE AS rows on the standby")
    with connect(standby) as c:
        # Forwarded to the primary, and the session stays there: its reads find the table.
        c.execute("CREATE TEMP TABLE mine (n integer)")
        c.execute("INSERT INTO mine VALUES (1), (2)")
        assert c.execute("SELECT sum(n) FROM mine").fetchone() == (3,)
    with connect(primary) as a:
        a.execute("INSERT INTO inbox VALUES (4, 'after')")
    wait_for(lambda: rows(standby, "SELECT count(*) FROM inbox") == [(2,)],
             "replication to go on after temporary tables")
