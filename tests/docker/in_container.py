"""Probes the docker tests run inside a node's container (`docker exec ... python3 -c`), so
they reach the node over the container's own network stack: they keep working while the
container is cut off from the compose network, and the host sends nothing to container
addresses. Standard library only (the image has pgha and its dependencies, not psycopg).

    http PATH...            GET http://127.0.0.1:8008PATH once for each PATH: {"statuses":
                            [code or null, ...], "body": the first answer's body}
    query SQL               run SQL on this node: {"rows": [[text, ...], ...]} or {"error"}
    poll PATH INTERVAL      GET PATH every INTERVAL seconds, one JSON line per answer:
                            {"s": sent, "r": received, "status": code or null}
    write TABLE FIRST SRC   insert rows (id, src) with id = FIRST, FIRST + 1, ... into TABLE
                            on this node, one JSON line per statement: {"id", "s", "r", "ok",
                            "error"}; ok only for a commit acknowledged without a warning

`poll` and `write` run until their standard input closes (the test closes it) or MAX_SECONDS
pass, so nothing outlives the test inside the container. Times are `time.time()`: every
container shares the host's clock, so samples of different nodes can be compared.
"""

from __future__ import annotations

import contextlib
import json
import socket
import struct
import sys
import threading
import time
import urllib.error
import urllib.request

HTTP = "http://127.0.0.1:8008"
PG_PORT = 5432
MAX_SECONDS = 300
STATEMENT_TIMEOUT = 1.0  # a write that hangs longer counts as not acknowledged


def emit(obj: object) -> None:
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def http_get(path: str, timeout: float = 1.0) -> tuple[int | None, str]:
    try:
        with urllib.request.urlopen(HTTP + path, timeout=timeout) as response:
            return response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8", "replace")
    except (OSError, ValueError) as exc:
        return None, str(exc)


class PgError(Exception):
    pass


class Pg:
    """The smallest PostgreSQL v3 client: trust login, simple Query, text results."""

    def __init__(self, timeout: float) -> None:
        # The node binds its client port to the container's hostname (see docker-compose.yml).
        self.sock = socket.create_connection((socket.gethostname(), PG_PORT), timeout=timeout)
        self.file = self.sock.makefile("rb")
        params = b"user\0postgres\0database\0postgres\0application_name\0docker-test\0\0"
        body = struct.pack("!I", 196608) + params
        self.sock.sendall(struct.pack("!I", len(body) + 4) + body)
        self._until_ready()

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.sendall(b"X\0\0\0\4")
        self.sock.close()

    def _message(self) -> tuple[bytes, bytes]:
        header = self.file.read(5)
        if len(header) < 5:
            raise PgError("connection closed")
        kind, length = header[:1], struct.unpack("!I", header[1:])[0]
        return kind, self.file.read(length - 4)

    def _until_ready(self) -> tuple[list[list[str | None]], list[str], str | None]:
        rows: list[list[str | None]] = []
        warnings: list[str] = []
        error = None
        while True:
            kind, body = self._message()
            if kind == b"Z":
                return rows, warnings, error
            if kind == b"D":
                count, pos, row = struct.unpack("!H", body[:2])[0], 2, []
                for _ in range(count):
                    size = struct.unpack("!i", body[pos:pos + 4])[0]
                    pos += 4
                    if size < 0:
                        row.append(None)
                    else:
                        row.append(body[pos:pos + size].decode())
                        pos += size
                rows.append(row)
            elif kind in (b"E", b"N"):
                fields = {part[:1]: part[1:].decode("utf-8", "replace")
                          for part in body.split(b"\0") if part}
                text = f"{fields.get(b'C', '')} {fields.get(b'M', '')}"
                if kind == b"E":
                    error = text
                    if fields.get(b"S") == "FATAL":
                        raise PgError(text)
                elif fields.get(b"V", fields.get(b"S")) == "WARNING":
                    warnings.append(text)
            elif kind == b"R" and struct.unpack("!I", body[:4])[0] != 0:
                raise PgError("the node asks for a password: the probes need trust")

    def query(self, sql: str) -> tuple[list[list[str | None]], list[str], str | None]:
        data = sql.encode() + b"\0"
        self.sock.sendall(b"Q" + struct.pack("!I", len(data) + 4) + data)
        return self._until_ready()


def stop_on_stdin_eof() -> threading.Event:
    stop = threading.Event()

    def watch() -> None:
        try:
            while sys.stdin.buffer.read(4096):
                pass
        finally:
            stop.set()

    threading.Thread(target=watch, daemon=True).start()
    return stop


def cmd_http(*paths: str) -> None:
    answers = [http_get(path, timeout=3.0) for path in paths]
    emit({"statuses": [status for status, _ in answers], "body": answers[0][1]})


def cmd_query(sql: str) -> None:
    try:
        conn = Pg(timeout=10.0)
        try:
            rows, warnings, error = conn.query(sql)
        finally:
            conn.close()
    except (OSError, PgError) as exc:
        emit({"error": str(exc)})
        return
    emit({"rows": rows, "warnings": warnings, "error": error})


def cmd_poll(path: str, interval: str) -> None:
    stop, deadline, every = stop_on_stdin_eof(), time.monotonic() + MAX_SECONDS, float(interval)
    while not stop.is_set() and time.monotonic() < deadline:
        sent = time.time()
        status, _ = http_get(path, timeout=0.5)
        emit({"s": sent, "r": time.time(), "status": status})
        stop.wait(every)


def cmd_write(table: str, first: str, src: str) -> None:
    stop, deadline = stop_on_stdin_eof(), time.monotonic() + MAX_SECONDS
    conn: Pg | None = None
    next_id = int(first)
    while not stop.is_set() and time.monotonic() < deadline:
        if conn is None:
            try:
                conn = Pg(timeout=STATEMENT_TIMEOUT)
            except (OSError, PgError):
                stop.wait(0.1)
                continue
        row_id, next_id, sent = next_id, next_id + 1, time.time()
        try:
            _, warnings, error = conn.query(
                f"insert into {table} (id, src) values ({row_id}, '{src}')")
            ok, problem = error is None and not warnings, error or "; ".join(warnings)
        except (OSError, PgError) as exc:  # a timeout included: the outcome is unknown
            ok, problem = False, str(exc) or type(exc).__name__
            conn.sock.close()
            conn = None
        emit({"id": row_id, "s": sent, "r": time.time(), "ok": ok, "error": problem})
        if not ok:
            stop.wait(0.05)
    if conn is not None:
        conn.close()


if __name__ == "__main__":
    command, args = sys.argv[1], sys.argv[2:]
    {"http": cmd_http, "query": cmd_query, "poll": cmd_poll, "write": cmd_write}[command](*args)
