"""Replication across real `pgha server` processes: a primary and two standbys.

Checks the issue's promises end to end: standbys bootstrap from a snapshot and stream; every
node ends with identical tables after a mixed workload (serials, random(), now(), updates,
deletes, DDL, a large transaction); a standby killed with -9 catches up after restart; in
sync mode every acknowledged commit is on the standby even when the primary is killed right
after; standbys refuse writes with 25006; the views report live values.
"""

from __future__ import annotations

import hashlib
import json
import random
import time
from typing import Any

import psycopg
import pytest

from fixtures.pgha_server import PghaFactory, PghaServer

TABLES_SQL = "SELECT relname FROM pg_class WHERE relkind = 'r' AND relnamespace = 2200 ORDER BY 1"


def _replication_port(server: PghaServer) -> int:
    return int(json.loads(server.ready_file.read_text())["replication_port"])


def _cluster(factory: PghaFactory, sync_mode: str = "async") -> tuple[PghaServer, list[PghaServer]]:
    """A primary and two standbys; the standbys refuse writes (25006) instead of forwarding
    them, so that what a standby itself does is what these tests see."""
    primary = factory("--node-id", "n1", "--ha-mode", "primary", "--ha-bind", "127.0.0.1:0",
                      "--sync-mode", sync_mode, "--cluster-secret", "s3cret")
    rport = _replication_port(primary)
    standbys = [
        factory("--node-id", f"n{i}", "--ha-mode", "standby", "--ha-primary",
                f"127.0.0.1:{rport}", "--cluster-secret", "s3cret", "--standby-writes", "reject")
        for i in (2, 3)
    ]
    return primary, standbys


def _checksums(server: PghaServer) -> dict[str, str]:
    with server.connect(autocommit=True) as conn:
        tables = [r[0] for r in conn.execute(TABLES_SQL)]
        out = {}
        for table in tables:
            rows = conn.execute(f'SELECT * FROM "{table}" ORDER BY 1').fetchall()
            out[table] = hashlib.sha256(repr(rows).encode()).hexdigest()
        return out


def _wait_caught_up(primary: PghaServer, standbys: list[PghaServer], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    with primary.connect(autocommit=True) as conn:
        target = conn.execute("SELECT current_lsn FROM pg_replication_status").fetchone()[0]
    while True:
        lsns = []
        for standby in standbys:
            with standby.connect(autocommit=True) as conn:
                lsns.append(conn.execute("SELECT local_lsn FROM pg_replication_primary")
                            .fetchone())
        if all(row is not None and row[0] == target for row in lsns):
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"standbys at {lsns}, primary at {target}")
        time.sleep(0.05)


def _workload(conn: psycopg.Connection[Any], rng: random.Random, rounds: int) -> None:
    for i in range(rounds):
        action = rng.random()
        if action < 0.4:
            conn.execute("INSERT INTO acct (name, balance, noise, at) VALUES "
                         "(%s, %s, random(), now())", (f"u{i}", rng.randint(0, 1000)))
        elif action < 0.6:
            conn.execute("UPDATE acct SET balance = balance + 1.25, noise = random() "
                         "WHERE id %% 7 = %s", (rng.randint(0, 6),))
        elif action < 0.7:
            conn.execute("DELETE FROM acct WHERE id %% 11 = %s", (rng.randint(0, 10),))
        elif action < 0.8:
            with conn.transaction():
                conn.execute("INSERT INTO ledger (amount) SELECT g * 0.01 FROM "
                             "generate_series(1, 50) g")
                conn.execute("UPDATE acct SET balance = balance - 1 WHERE id = "
                             "(SELECT min(id) FROM acct)")
        elif action < 0.9:
            conn.execute("SELECT nextval('seq_a')")
        else:  # rolled back: the sequence values it took stay taken, on every node
            conn.execute("BEGIN")
            conn.execute("SELECT nextval('seq_a')")
            conn.execute("INSERT INTO acct (name, balance) VALUES ('gone', 0)")
            conn.execute("ROLLBACK")


def test_cluster_converges_after_mixed_workload(pgha_factory: PghaFactory) -> None:
    primary, standbys = _cluster(pgha_factory)
    rng = random.Random(7)
    with primary.connect(autocommit=True) as conn:
        conn.execute("CREATE TABLE acct (id serial PRIMARY KEY, name text, balance numeric(12,2),"
                     " noise float8, at timestamptz)")
        conn.execute("CREATE TABLE ledger (id bigserial PRIMARY KEY, amount numeric)")
        conn.execute("CREATE SEQUENCE seq_a")
        _workload(conn, rng, 150)
        conn.execute("ALTER TABLE acct ADD COLUMN note text DEFAULT 'n'")
        conn.execute("CREATE INDEX acct_balance ON acct (balance)")
        with conn.transaction():  # a large transaction
            conn.execute("INSERT INTO ledger (amount) SELECT g * 1.5 FROM "
                         "generate_series(1, 5000) g")
        _workload(conn, rng, 100)
        conn.execute("DROP TABLE ledger")
        conn.execute("CREATE TABLE late (k int PRIMARY KEY, v text)")
        conn.execute("INSERT INTO late SELECT g, md5(g::text) FROM generate_series(1, 200) g")
    _wait_caught_up(primary, standbys)
    expected = _checksums(primary)
    assert set(expected) == {"acct", "late"}
    for standby in standbys:
        assert _checksums(standby) == expected
        for sequence in ("seq_a", "acct_id_seq"):
            with standby.connect(autocommit=True) as conn, \
                    primary.connect(autocommit=True) as on_primary:
                sql = f"SELECT last_value FROM {sequence}"
                assert conn.execute(sql).fetchone() == on_primary.execute(sql).fetchone()


def test_standby_refuses_writes_and_reports_views(pgha_factory: PghaFactory) -> None:
    primary, standbys = _cluster(pgha_factory)
    with primary.connect(autocommit=True) as conn:
        conn.execute("CREATE TABLE kv (k int PRIMARY KEY, v float8)")
        conn.execute("INSERT INTO kv SELECT g, random() FROM generate_series(1, 100) g")
    _wait_caught_up(primary, standbys)
    with standbys[1].connect(autocommit=True) as conn:
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            conn.execute("INSERT INTO kv VALUES (1000, 1)")
        assert conn.execute("SELECT role, is_read_only FROM pg_replication_status").fetchone() \
            == ("standby", True)
        assert conn.execute("SELECT count(*) FROM kv").fetchone() == (100,)
    with primary.connect(autocommit=True) as conn:
        rows = conn.execute("SELECT node_id, state, lag_bytes FROM pg_replication_standbys "
                            "WHERE lag_bytes = 0 ORDER BY node_id").fetchall()
        assert rows == [("n2", "synced", 0), ("n3", "synced", 0)]


def test_killed_standby_catches_up_and_standby_refuses_writes(pgha_factory: PghaFactory) -> None:
    primary, standbys = _cluster(pgha_factory)
    with primary.connect(autocommit=True) as conn:
        conn.execute("CREATE TABLE kv (k int PRIMARY KEY, v float8)")
        conn.execute("INSERT INTO kv SELECT g, random() FROM generate_series(1, 100) g")
        _wait_caught_up(primary, standbys)
        standbys[0].kill()  # -9, mid-stream
        for i in range(101, 400):
            conn.execute("INSERT INTO kv VALUES (%s, random())", (i,))
        conn.execute("UPDATE kv SET v = v + 1 WHERE k % 3 = 0")
    standbys[0].start()
    _wait_caught_up(primary, standbys)
    expected = _checksums(primary)
    for standby in standbys:
        assert _checksums(standby) == expected
    with standbys[1].connect(autocommit=True) as conn:
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            conn.execute("INSERT INTO kv VALUES (1000, 1)")
        row = conn.execute("SELECT role, is_read_only FROM pg_replication_status").fetchone()
        assert row == ("standby", True)
    with primary.connect(autocommit=True) as conn:
        states = conn.execute("SELECT node_id, state, lag_bytes FROM pg_replication_standbys "
                              "ORDER BY node_id").fetchall()
        assert [s[0] for s in states] == ["n2", "n3"]


def test_sync_mode_acknowledged_commits_survive_primary_kill(pgha_factory: PghaFactory) -> None:
    primary, standbys = _cluster(pgha_factory, "sync")
    acknowledged = []
    with primary.connect(autocommit=True) as conn:
        conn.execute("CREATE TABLE acked (k int PRIMARY KEY)")
        for i in range(200):
            conn.execute("INSERT INTO acked VALUES (%s)", (i,))
            acknowledged.append(i)
    primary.kill()  # -9 right after the last acknowledged commit
    for standby in standbys:
        with standby.connect(autocommit=True) as conn:
            rows = {r[0] for r in conn.execute("SELECT k FROM acked")}
            assert set(acknowledged) <= rows


def _table_digest(server: PghaServer, table: str) -> tuple[int, str]:
    digest = hashlib.sha256()
    rows = 0
    with server.connect(autocommit=False) as conn, conn.cursor(name="digest") as cur:
        cur.execute(f"SELECT * FROM {table} ORDER BY 1")
        for row in cur:
            digest.update(repr(row).encode())
            rows += 1
    return rows, digest.hexdigest()


@pytest.mark.timeout(300)
@pytest.mark.parametrize("rows", [80_000, 240_000], ids=["100MB", "300MB"])
def test_large_transaction_replicates_in_sync_mode(pgha_factory: PghaFactory, rows: int) -> None:
    # Regression: one transaction's WAL record (100 MB here) was shipped as one frame, over the
    # 64 MiB frame limit; standbys refused it, reconnected, refused it again, and the sync
    # commit waited forever; and a transaction over the 256 MiB a record may hold (300 MB
    # here) could not be logged at all. A transaction is now logged as records of about
    # 8 MiB (one packed step of 10,000 rows more, here about 13 MB, so records are also cut
    # into 8 MiB batches on the wire), applied by each standby in one SQLite transaction.
    primary, standbys = _cluster(pgha_factory, "sync")
    with primary.connect(autocommit=True) as conn:
        conn.execute("CREATE TABLE big (id int PRIMARY KEY, pad text)")
        conn.execute("INSERT INTO big SELECT g, repeat(md5(g::text), 40) "
                     "FROM generate_series(1, %s) g", (rows,))
        assert conn.execute("SELECT sum(length(pad)) FROM big").fetchone()[0] == rows * 1280
        conn.execute("INSERT INTO big VALUES (0, 'after')")  # the stream goes on after it
    _wait_caught_up(primary, standbys, timeout=180)
    expected = _table_digest(primary, "big")
    assert expected[0] == rows + 1
    for standby in standbys:
        assert _table_digest(standby, "big") == expected


def test_an_index_on_lower_is_the_same_on_the_standby(pgha_factory: PghaFactory) -> None:
    # Regression: pgha's lower() covers all of Unicode, SQLite's only ASCII; a standby
    # replayed rows with SQLite's, so its index on lower(email) held 'Émile@x' where the
    # primary's held 'émile@x', and a read through the index found nothing there.
    primary, standbys = _cluster(pgha_factory)
    with primary.connect(autocommit=True) as conn:
        conn.execute("CREATE TABLE people (id int PRIMARY KEY, email text)")
        conn.execute("CREATE UNIQUE INDEX people_email ON people (lower(email))")
        conn.execute("INSERT INTO people VALUES (1, 'Émile@x'), (2, 'ÅSA@x')")
    _wait_caught_up(primary, standbys)
    for node in (primary, *standbys):
        with node.connect(autocommit=True) as conn:
            assert conn.execute("SELECT id FROM people WHERE lower(email) = 'émile@x'"
                                ).fetchall() == [(1,)], node
            assert conn.execute("SELECT id FROM people WHERE lower(email) = 'åsa@x'"
                                ).fetchall() == [(2,)], node


def test_failing_writes_leave_nothing_behind_on_any_node(pgha_factory: PghaFactory) -> None:
    # A write that violates a constraint runs a second time on the primary, in a savepoint
    # rolled back, to find the failing row (storage/failing_row.py). Nothing of either run may
    # reach the standbys: not in autocommit, not inside a block that goes on after ROLLBACK TO
    # SAVEPOINT, not in COPY; and the sequences end where the primary's are.
    primary, standbys = _cluster(pgha_factory, "sync")
    with primary.connect(autocommit=True) as conn:
        conn.execute("CREATE TABLE par (id serial PRIMARY KEY, code text UNIQUE NOT NULL, "
                     "n int CHECK (n > 0))")
        conn.execute("CREATE TABLE kid (id serial PRIMARY KEY, p int REFERENCES par(id))")
        conn.execute("INSERT INTO par (code, n) SELECT 'c' || g, g FROM generate_series(1, 20) g")
        conn.execute("INSERT INTO kid (p) SELECT g FROM generate_series(1, 10) g")
        failing = [
            "INSERT INTO par (code, n) VALUES ('new1', 1), ('c3', 1)",
            "INSERT INTO par (code, n) SELECT 'x' || g, g - 5 FROM generate_series(1, 10) g",
            "UPDATE par SET code = 'c1' WHERE id = 2",
            "UPDATE par SET code = NULL WHERE id > 15 RETURNING id",
            "DELETE FROM par WHERE id < 5",
            "INSERT INTO kid (p) SELECT g FROM generate_series(15, 30) g",
        ]
        for i, sql in enumerate(failing):
            with pytest.raises(psycopg.errors.IntegrityError) as caught:
                conn.execute(sql)
            assert caught.value.diag.message_detail, sql
            with conn.transaction():
                conn.execute("INSERT INTO par (code, n) VALUES (%s, 1)", (f"ok-{i}",))
                with pytest.raises(psycopg.errors.IntegrityError), conn.transaction():
                    conn.execute(sql)  # (a savepoint, rolled back: the block goes on)
                conn.execute("UPDATE par SET n = n + 1 WHERE id = 1")
        with pytest.raises(psycopg.errors.UniqueViolation), \
                conn.cursor().copy("COPY par (code, n) FROM STDIN") as copy:
            copy.write("fresh\t1\nc7\t1\n")
        conn.execute("INSERT INTO par (code, n) VALUES ('last', 9)")
    _wait_caught_up(primary, standbys)
    expected = _checksums(primary)
    assert set(expected) == {"par", "kid"}
    for standby in standbys:
        assert _checksums(standby) == expected
        with standby.connect(autocommit=True) as conn, \
                primary.connect(autocommit=True) as on_primary:
            for sequence in ("par_id_seq", "kid_id_seq"):
                sql = f"SELECT last_value FROM {sequence}"
                assert conn.execute(sql).fetchone() == on_primary.execute(sql).fetchone()
