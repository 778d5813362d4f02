"""Session-level advisory locks belong to the session that took them, whatever server thread
runs its statements: another session cannot take them, the owner can release them from any
later statement, and closing the session releases them."""

from __future__ import annotations

import psycopg

from fixtures.pgha_server import PghaServer


def test_advisory_locks_belong_to_sessions(pgha_server_module: PghaServer) -> None:
    a = pgha_server_module.connect(autocommit=True)
    b = pgha_server_module.connect(autocommit=True)
    try:
        for round_no in range(20):  # many statements: they run on various threads
            key = 1000 + round_no
            assert a.execute("SELECT pg_try_advisory_lock(%s)", (key,)).fetchone() == (True,)
            assert b.execute("SELECT pg_try_advisory_lock(%s)", (key,)).fetchone() == (False,)
            assert b.execute("SELECT pg_advisory_unlock(%s)", (key,)).fetchone() == (False,)
            assert a.execute("SELECT pg_advisory_unlock(%s)", (key,)).fetchone() == (True,)
            assert b.execute("SELECT pg_try_advisory_lock(%s)", (key,)).fetchone() == (True,)
        b.close()  # its locks go with it
        with psycopg.connect(pgha_server_module.dsn, autocommit=True) as c:
            assert c.execute("SELECT pg_try_advisory_lock(1019)").fetchone() == (True,)
    finally:
        a.close()
        b.close()
