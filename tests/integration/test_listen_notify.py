"""LISTEN / NOTIFY on a `pgha server`, through psycopg and asyncpg, checked against what
PostgreSQL 15 does: a notification reaches every session listening on its channel once the
notifying transaction commits (never if it rolls back), with the sender's pid and the payload;
duplicates within one transaction are sent once; UNLISTEN stops them."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import asyncpg
import psycopg
import pytest

from fixtures.pgha_server import PghaServer


def _channel() -> str:
    return f"ch_{uuid.uuid4().hex[:8]}"


def _received(conn: psycopg.Connection[Any], wait: float = 0.5) -> list[tuple[str, str, int]]:
    """The notifications that arrive within ``wait`` seconds (or until one second idle)."""
    out = []
    for note in conn.notifies(timeout=wait, stop_after=None):
        out.append((note.channel, note.payload, note.pid))
    return out


def test_notify_reaches_listeners_after_commit(pgha_server_module: PghaServer) -> None:
    channel = _channel()
    with pgha_server_module.connect(autocommit=True) as listener, \
            pgha_server_module.connect(autocommit=True) as sender:
        listener.execute(f"LISTEN {channel}")
        sender_pid = sender.info.backend_pid
        sender.execute(f"NOTIFY {channel}, 'one'")
        sender.execute("SELECT pg_notify(%s, %s)", (channel, "two"))
        assert _received(listener) == [(channel, "one", sender_pid), (channel, "two", sender_pid)]
        with sender.transaction():
            sender.execute(f"NOTIFY {channel}, 'three'")
            sender.execute(f"NOTIFY {channel}, 'three'")  # the same twice: sent once
            assert _received(listener, 0.3) == []  # not before the commit
        with pytest.raises(psycopg.errors.DivisionByZero), sender.transaction():
            sender.execute(f"NOTIFY {channel}, 'rolled back'")
            sender.execute("SELECT 1 / 0")
        sender.execute(f"NOTIFY {channel}")
        assert _received(listener) == [(channel, "three", sender_pid), (channel, "", sender_pid)]
        listener.execute(f"UNLISTEN {channel}")
        sender.execute(f"NOTIFY {channel}, 'after unlisten'")
        assert _received(listener, 0.3) == []


def test_a_session_gets_its_own_notifications_and_asyncpg_listens(
        pgha_server_module: PghaServer) -> None:
    channel = _channel()
    with pgha_server_module.connect(autocommit=True) as conn:
        conn.execute(f"LISTEN {channel}")
        conn.execute(f"NOTIFY {channel}, 'self'")
        assert _received(conn, 0.3) == [(channel, "self", conn.info.backend_pid)]
        with pytest.raises(psycopg.errors.InvalidParameterValue):
            conn.execute("SELECT pg_notify(%s, %s)", (channel, "x" * 8000))

    async def run() -> list[str]:
        got: asyncio.Queue[str] = asyncio.Queue()
        listener = await asyncpg.connect(host=pgha_server_module.host,
                                         port=pgha_server_module.port,
                                         user=pgha_server_module.user,
                                         database=pgha_server_module.dbname)
        sender = await asyncpg.connect(host=pgha_server_module.host,
                                       port=pgha_server_module.port,
                                       user=pgha_server_module.user,
                                       database=pgha_server_module.dbname)
        try:
            await listener.add_listener(channel, lambda *args: got.put_nowait(args[3]))
            await sender.execute(f"NOTIFY {channel}, 'a'")
            await sender.execute(f"NOTIFY {channel}, 'b'")
            return [await asyncio.wait_for(got.get(), 5), await asyncio.wait_for(got.get(), 5)]
        finally:
            await listener.close()
            await sender.close()

    assert asyncio.run(run()) == ["a", "b"]
