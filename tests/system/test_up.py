"""`pgha up` as a user runs it: a local cluster that survives kill -9 of its primary.

Checked: the cluster comes up and serves psycopg through the proxy; after kill -9 of the
primary node, writes through the proxy resume, `pgha up` keeps running, restarts the killed
node, which rejoins as a standby, and prints the new primary; SIGTERM stops everything.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest


def _free_block() -> int:
    """A base port whose PORT..PORT+13 are all free (pgha up's fixed layout)."""
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            base = probe.getsockname()[1]
        if base + 13 > 65535:
            continue
        try:
            socks = []
            for offset in (0, 1, 2, 3, 11, 12, 13):
                sock = socket.socket()
                socks.append(sock)
                sock.bind(("127.0.0.1", base + offset))
            return base
        except OSError:
            continue
        finally:
            for sock in socks:
                sock.close()
    raise RuntimeError("no free block of ports")


@pytest.fixture
def up(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], int, Path]]:
    port = _free_block()
    with _up(tmp_path, port) as proc:
        yield proc, port, tmp_path / "cluster"


@contextlib.contextmanager
def _up(tmp_path: Path, port: int, *options: str) -> Iterator[subprocess.Popen[str]]:
    """`pgha up` with its data in tmp_path/cluster, once it says the cluster is up."""
    data = tmp_path / "cluster"
    proc = subprocess.Popen(
        [sys.executable, "-m", "pgha", "up", "--data", str(data), "--port", str(port),
         *options],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"})
    assert proc.stdout is not None
    lines = []
    deadline = time.monotonic() + 60
    while not any("Ctrl-C stops the cluster" in line for line in lines):
        line = proc.stdout.readline()
        assert line or proc.poll() is None, "".join(lines)
        assert time.monotonic() < deadline, "".join(lines)
        lines.append(line)
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                raise


def _dsn(port: int) -> str:
    return f"host=127.0.0.1 port={port} user=postgres dbname=postgres connect_timeout=3"


def _pid(data: Path, name: str) -> int:
    return int(json.loads((data / f"{name}.ready").read_text())["pid"])


def _role(port: int) -> str:
    with psycopg.connect(_dsn(port), autocommit=True) as conn:
        return str(conn.execute("SELECT role FROM pg_replication_status").fetchone()[0])


def test_up_survives_kill_of_the_primary(
        up: tuple[subprocess.Popen[str], int, Path]) -> None:
    proc, port, data = up
    with psycopg.connect(_dsn(port), autocommit=True) as conn:
        conn.execute("CREATE TABLE notes (id int PRIMARY KEY, body text)")
        conn.execute("INSERT INTO notes VALUES (1, 'before')")
    assert _role(port + 1) == "primary"
    old_pid = _pid(data, "n1")
    os.kill(old_pid, signal.SIGKILL)
    killed = time.monotonic()
    deadline = killed + 20
    while True:
        try:
            with psycopg.connect(_dsn(port), autocommit=True) as conn:
                conn.execute("INSERT INTO notes VALUES (2, 'after')")
            break
        except psycopg.OperationalError:
            assert time.monotonic() < deadline
            time.sleep(0.1)
    assert proc.poll() is None  # the cluster kept running
    # n1 is restarted by pgha up and rejoins as a standby of the new primary.
    deadline = time.monotonic() + 30
    while True:
        try:
            if _pid(data, "n1") != old_pid and _role(port + 1) == "standby":
                break
        except (OSError, ValueError, psycopg.Error):
            pass
        assert time.monotonic() < deadline, (data / "n1.log").read_text()[-3000:]
        time.sleep(0.2)
    with psycopg.connect(_dsn(port + 1), autocommit=True) as conn:
        deadline = time.monotonic() + 10
        while conn.execute("SELECT count(*) FROM notes").fetchone()[0] != 2:
            assert time.monotonic() < deadline
            time.sleep(0.1)
    proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0
    assert "n1 exited with -9; restarting it" in out
    assert "the primary is n2" in out or "the primary is n3" in out


def _client_connections(api_port: int) -> float:
    with urllib.request.urlopen(f"http://127.0.0.1:{api_port}/metrics", timeout=5) as reply:
        for line in reply.read().decode().splitlines():
            if line.startswith("pgha_client_connections "):
                return float(line.split()[1])
    raise AssertionError("no pgha_client_connections in the node's metrics")


def test_up_with_transaction_pooling_keeps_idle_clients_off_the_nodes(tmp_path: Path) -> None:
    port = _free_block()
    with _up(tmp_path, port, "--pool-mode", "transaction") as proc:
        with psycopg.connect(_dsn(port), autocommit=True) as conn:
            conn.execute("CREATE TABLE idle (id int PRIMARY KEY, n int)")
        before = _client_connections(port + 21)  # n1's API: the primary
        clients = [psycopg.connect(_dsn(port), autocommit=True) for _ in range(30)]
        try:
            for i, conn in enumerate(clients):
                conn.execute("INSERT INTO idle VALUES (%s, 1)", (i,))
                assert conn.execute("SELECT n FROM idle WHERE id = %s", (i,)).fetchone() == (1,)
            # 30 clients connected and idle between transactions: a few pooled connections
            assert _client_connections(port + 21) - before <= 3
        finally:
            for conn in clients:
                conn.close()
        assert proc.poll() is None
