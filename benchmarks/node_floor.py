"""The floor of a Python database node: pgbench's statements run on SQLite by a uvloop server
that understands only what pgbench sends, nothing else.

`benchmarks/node_speed.py` runs it beside `pgha server` and PostgreSQL as a reference. It
speaks just enough of the PostgreSQL protocol for `pgbench -S/-N/TPC-B` in the simple,
extended and prepared modes (trust login; Query, Parse, Bind, Describe, Execute, Sync, Close),
hands each statement text to SQLite as it came (`$n` become `?n`), answers in one write per
batch of client messages, and runs every session on one event loop with one SQLite connection
each, as a pgha node does. It has no catalog, no types, no routing, no replication, no
PostgreSQL translation and no error handling to speak of. Its CPU time per transaction is what
any node written in Python on asyncio and SQLite pays at least.

Writes: one session at a time holds the write lock, from its first write to the end of its
transaction (the others queue, their input unread, as pgha's writer queue does). SQLite's
`synchronous=NORMAL` (no fsync at commit): the floor pays nothing for durability.

    python benchmarks/node_floor.py LISTEN_PORT SOURCE_DB WORK_DB [READY_FILE]

The server copies SOURCE_DB (a pgha node's `pgha.db`, after `pgbench -i`) to WORK_DB with
SQLite's backup API and serves WORK_DB. LISTEN_PORT 0 takes a free port; READY_FILE, when
given, receives {"port": N} once listening.
"""

from __future__ import annotations

import asyncio
import json
import re
import struct
import sys
from collections import deque
from pathlib import Path
from typing import Any, cast

import apsw
import uvloop

_I32 = struct.Struct("!i")
_HEADER = struct.Struct("!ci")
_PARAM = re.compile(r"\$(\d+)")
READY = {True: b"Z\0\0\0\x05I", False: b"Z\0\0\0\x05T"}
LOGIN = b"".join([
    b"R\0\0\0\x08\0\0\0\0",
    *(b"S" + _I32.pack(4 + len(k) + len(v) + 2) + k + b"\0" + v + b"\0" for k, v in [
        (b"server_version", b"15.0"), (b"client_encoding", b"UTF8"),
        (b"server_encoding", b"UTF8"), (b"DateStyle", b"ISO, MDY"),
        (b"integer_datetimes", b"on"), (b"standard_conforming_strings", b"on")]),
    b"K\0\0\0\x0c\0\0\0\x01\0\0\0\x01",
])
WRITES = ("UPDATE", "INSERT", "DELETE")


def _message(kind: bytes, body: bytes) -> bytes:
    return kind + _I32.pack(len(body) + 4) + body


def _tag(sql: str, rows: int, changes: int) -> bytes:
    word = sql.lstrip()[:6].upper()
    if word.startswith("SELECT"):
        tag = f"SELECT {rows}"
    elif word.startswith(("UPDATE", "DELETE")):
        tag = f"{word} {changes}"
    elif word.startswith("INSERT"):
        tag = f"INSERT 0 {changes}"
    elif word.startswith(("END", "COMMIT")):
        tag = "COMMIT"
    else:
        tag = re.match(r"[A-Z]*", word).group() or "EMPTY"  # type: ignore[union-attr]
    return _message(b"C", tag.encode() + b"\0")


class WriteLock:
    """SQLite's single writer, taken by a session at its first write and given back at the
    end of its transaction; sessions that want it wait in arrival order."""

    def __init__(self) -> None:
        self.owner: Session | None = None
        self.waiting: deque[Session] = deque()

    def release(self, session: Session) -> None:
        if self.owner is not session:
            return
        self.owner = None
        if self.waiting:
            nxt = self.owner = self.waiting.popleft()
            asyncio.get_running_loop().call_soon(nxt.resume)


class Session(asyncio.Protocol):
    def __init__(self, db: str, lock: WriteLock) -> None:
        self.conn = apsw.Connection(db)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=NORMAL")
        self.conn.execute("PRAGMA mmap_size=1073741824")
        self.lock = lock
        self.buf = bytearray()
        self.started = False
        self.statements: dict[bytes, str] = {}
        self.portal: tuple[str, list[Any]] | None = None
        self.result: tuple[list[tuple[Any, ...]], int] | None = None  # the portal's, run
        self.skip = False  # after an error: up to Sync
        self.blocked = False
        self.out = bytearray()
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)

    def connection_lost(self, exc: Exception | None) -> None:
        self.lock.release(self)
        if self.lock.owner is not self:
            self.lock.waiting = deque(s for s in self.lock.waiting if s is not self)
        self.conn.close()

    def data_received(self, data: bytes) -> None:
        self.buf += data
        if not self.blocked:
            self.work()

    def resume(self) -> None:
        self.blocked = False
        if self.transport is not None and not self.transport.is_closing():
            self.transport.resume_reading()
            self.work()

    def work(self) -> None:
        buf = self.buf
        pos = 0
        while True:
            if not self.started:
                if len(buf) - pos < 8:
                    break
                (length,) = _I32.unpack_from(buf, pos)
                if len(buf) - pos < length:
                    break
                code = _I32.unpack_from(buf, pos + 4)[0]
                pos += length
                if code == 80877103:  # SSLRequest
                    self.out += b"N"
                    continue
                self.started = True
                self.out += LOGIN + READY[True]
                continue
            if len(buf) - pos < 5:
                break
            kind, length = _HEADER.unpack_from(buf, pos)
            if len(buf) - pos < length + 1:
                break
            body = bytes(buf[pos + 5:pos + 1 + length])
            if not self.handle(kind, body):
                self.blocked = True  # waits for the write lock; this message again then
                if self.transport is not None:
                    self.transport.pause_reading()
                break
            pos += 1 + length
        del buf[:pos]
        if self.out and self.transport is not None:
            self.transport.write(bytes(self.out))
            self.out.clear()

    def _may_write(self, sql: str) -> bool:
        """Whether ``sql`` may run now: it is not a write, or this session holds the lock
        (taken here when free); False queues the session."""
        if not sql.lstrip()[:6].upper().startswith(WRITES) or self.lock.owner is self:
            return True
        if self.lock.owner is None:
            self.lock.owner = self
            return True
        self.lock.waiting.append(self)
        return False

    def _run(self, sql: str, params: list[Any]) -> tuple[list[tuple[Any, ...]], int]:
        rows = list(self.conn.execute(sql, params))
        changes = self.conn.changes()
        if self.conn.getautocommit():
            self.lock.release(self)  # the transaction (or the autocommit write) ended
        return rows, changes

    def handle(self, kind: bytes, body: bytes) -> bool:
        out = self.out
        if kind == b"X":
            if self.transport is not None:
                self.transport.close()
            return True
        if kind == b"S":
            self.skip = False
            out += READY[self.conn.getautocommit()]
            return True
        if self.skip:
            return True
        try:
            if kind == b"Q":
                sql = body[:-1].decode()
                if not self._may_write(sql):
                    return False
                rows, changes = self._run(sql, [])
                self._rows(rows, describe=True)
                out += _tag(sql, len(rows), changes) + READY[self.conn.getautocommit()]
            elif kind == b"P":
                name_end = body.index(0)
                sql_end = body.index(0, name_end + 1)
                self.statements[body[:name_end]] = _PARAM.sub(
                    r"?\1", body[name_end + 1:sql_end].decode())
                out += b"1\0\0\0\x04"
            elif kind == b"B":
                self._bind(body)
                out += b"2\0\0\0\x04"
            elif kind == b"D":
                if body[:1] == b"S":
                    out += b"t\0\0\0\x06\0\0" + b"n\0\0\0\x04"  # pgbench only prepares
                elif self.portal is not None:
                    sql, params = self.portal
                    if not self._may_write(sql):
                        return False
                    self.result = self._run(sql, params)
                    self._rows(self.result[0], describe=True, send=False)
            elif kind == b"E":
                assert self.portal is not None
                sql, params = self.portal
                if self.result is None:
                    if not self._may_write(sql):
                        return False
                    self.result = self._run(sql, params)
                rows, changes = self.result
                self._rows(rows, describe=False)
                out += _tag(sql, len(rows), changes)
                self.result = None
            elif kind == b"C":
                out += b"3\0\0\0\x04"
        except apsw.Error as exc:
            out += _message(b"E", b"SERROR\0C XX000\0M" + str(exc).encode() + b"\0\0")
            self.skip = kind != b"Q"
            if kind == b"Q":
                out += READY[self.conn.getautocommit()]
        return True

    def _bind(self, body: bytes) -> None:
        portal_end = body.index(0)
        name_end = body.index(0, portal_end + 1)
        sql = self.statements[body[portal_end + 1:name_end]]
        pos = name_end + 1
        (count,) = struct.unpack_from("!h", body, pos)
        pos += 2 + 2 * count
        (count,) = struct.unpack_from("!h", body, pos)
        pos += 2
        params: list[Any] = []
        for _ in range(count):
            (size,) = _I32.unpack_from(body, pos)
            pos += 4
            if size < 0:
                params.append(None)
            else:
                params.append(body[pos:pos + size].decode())
                pos += size
        self.portal = (sql, params)
        self.result = None

    def _rows(self, rows: list[tuple[Any, ...]], describe: bool, send: bool = True) -> None:
        out = self.out
        if describe:
            if not rows and not send:
                out += b"n\0\0\0\x04"
            elif rows:
                fields = b"".join(f"c{i}".encode() + b"\0" + b"\0\0\0\0\0\0" +
                                  b"\0\0\0\x19\xff\xff\xff\xff\xff\xff\0\0"
                                  for i in range(len(rows[0])))
                out += _message(b"T", struct.pack("!h", len(rows[0])) + fields)
        if not send:
            return
        for row in rows:
            parts = [struct.pack("!h", len(row))]
            for value in row:
                if value is None:
                    parts.append(b"\xff\xff\xff\xff")
                else:
                    data = str(value).encode()
                    parts.append(_I32.pack(len(data)) + data)
            out += _message(b"D", b"".join(parts))


async def serve(listen_port: int, db: str, ready: Path | None) -> None:
    loop = asyncio.get_running_loop()
    lock = WriteLock()
    server = await loop.create_server(lambda: Session(db, lock), "127.0.0.1", listen_port)
    port = server.sockets[0].getsockname()[1]
    if ready is not None:
        ready.write_text(json.dumps({"port": port}))
    await server.serve_forever()


def copy_database(source: str, target: str) -> None:
    src = apsw.Connection(source, flags=apsw.SQLITE_OPEN_READONLY)
    dst = apsw.Connection(target)
    with dst.backup("main", src, "main") as backup:
        backup.step(-1)
    dst.execute("PRAGMA journal_mode=WAL")
    dst.close()
    src.close()


def main(argv: list[str]) -> int:
    if len(argv) not in (3, 4):
        print("usage: node_floor.py LISTEN_PORT SOURCE_DB WORK_DB [READY_FILE]", file=sys.stderr)
        return 2
    copy_database(argv[1], argv[2])
    uvloop.run(serve(int(argv[0]), argv[2], Path(argv[3]) if len(argv) == 4 else None))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
