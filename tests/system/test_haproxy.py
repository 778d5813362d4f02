"""A real HAProxy in front of a three-node cluster, routed by the nodes' REST API (Patroni's
recipe): the write listener's health check is `GET /primary`, the read listener's is
`GET /replica?lag=1MB`; the backend servers are the nodes' PostgreSQL ports, checked on their
`--http-bind` ports.

Checked, with psycopg through HAProxy's two ports only: writes land on the primary and reads on
a standby (both standbys, round robin) that sees the committed rows; after the primary is killed
with -9, the same write port reaches the automatically elected primary within 10 s, the read
port still reads from a standby, and every row acknowledged before and after the kill is there.

Needs the `haproxy` binary (Debian package `haproxy`): skipped without it, failed instead when
`PGHA_REQUIRE_HAPROXY=1` (as CI sets it).
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import shutil
import signal
import subprocess
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import psycopg
import pytest

from fixtures.cluster import scalar, wait_for
from fixtures.pgha_server import PghaFactory, PghaServer
from fixtures.ports import free_port

FAILOVER_BUDGET_S = 10.0  # kill -9 of the primary -> writes through HAProxy again
CONNECT_TIMEOUT_S = 2
STOP_TIMEOUT_S = 5.0


def _haproxy_binary() -> str:
    """The haproxy executable; skip (or fail under PGHA_REQUIRE_HAPROXY=1) without one."""
    found = shutil.which("haproxy")
    for candidate in (found, "/usr/sbin/haproxy", "/usr/local/sbin/haproxy"):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    why = ("haproxy is not installed (no `haproxy` on PATH, /usr/sbin or /usr/local/sbin; "
           "Debian package `haproxy`)")
    if os.environ.get("PGHA_REQUIRE_HAPROXY") == "1":
        pytest.fail(f"PGHA_REQUIRE_HAPROXY=1 but {why}", pytrace=False)
    pytest.skip(why)


# -- HAProxy -------------------------------------------------------------------------------------


@dataclass
class HAProxy:
    """`haproxy -f CFG -db` (foreground) with a write and a read listener over `nodes`."""

    binary: str
    run_dir: Path
    nodes: list[PghaServer]
    write_port: int = 0
    read_port: int = 0
    stats_port: int = 0
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    _log_file: IO[bytes] | None = field(default=None, repr=False)

    @property
    def config_path(self) -> Path:
        return self.run_dir / "haproxy.cfg"

    @property
    def log_path(self) -> Path:
        return self.run_dir / "haproxy.log"

    def config(self) -> str:
        def servers() -> str:
            lines = []
            for i, node in enumerate(self.nodes):
                assert node.http_port, f"node {i + 1} has no REST API (--http-bind)"
                lines.append(f"    server n{i + 1} 127.0.0.1:{node.port} "
                             f"check port {node.http_port}\n")
            return "".join(lines)

        checks = ("    http-check expect status 200\n"
                  "    default-server inter 200ms fall 2 rise 1 on-marked-down "
                  "shutdown-sessions\n")
        return (
            "global\n"
            "    maxconn 200\n"
            "    log stderr format raw local0 info\n"
            "\n"
            "defaults\n"
            "    mode tcp\n"
            "    log global\n"
            "    option tcplog\n"
            "    timeout connect 1s\n"
            "    timeout queue 1s\n"
            "    timeout check 1s\n"
            "    timeout client 5m\n"
            "    timeout server 5m\n"
            "\n"
            "listen stats\n"
            "    mode http\n"
            f"    bind 127.0.0.1:{self.stats_port}\n"
            "    stats enable\n"
            "    stats uri /stats\n"
            "\n"
            "listen write\n"
            f"    bind 127.0.0.1:{self.write_port}\n"
            "    option httpchk GET /primary\n"
            f"{checks}{servers()}"
            "\n"
            "listen read\n"
            f"    bind 127.0.0.1:{self.read_port}\n"
            "    balance roundrobin\n"
            "    option httpchk GET /replica?lag=1MB\n"
            f"{checks}{servers()}"
        )

    def start(self, attempts: int = 3) -> HAProxy:
        """Write the config on free ports, check it, start HAProxy and wait for its stats page;
        another process may take a free port before HAProxy binds it: then retry."""
        self.run_dir.mkdir(parents=True, exist_ok=True)
        for attempt in range(1, attempts + 1):
            self.write_port, self.read_port, self.stats_port = (free_port() for _ in range(3))
            self.config_path.write_text(self.config())
            checked = subprocess.run([self.binary, "-c", "-f", str(self.config_path)],
                                     capture_output=True, text=True, timeout=30)
            assert checked.returncode == 0, (f"haproxy -c rejected {self.config_path}:\n"
                                             f"{checked.stdout}{checked.stderr}\n"
                                             f"{self.config()}")
            self._close_log()
            self._log_file = self.log_path.open("ab")
            self._log_file.write(f"=== start #{attempt}: ports write {self.write_port} read "
                                 f"{self.read_port} stats {self.stats_port}\n".encode())
            self._log_file.flush()
            self.process = subprocess.Popen(
                [self.binary, "-f", str(self.config_path), "-db"],
                stdin=subprocess.DEVNULL, stdout=self._log_file, stderr=subprocess.STDOUT,
                cwd=self.run_dir, start_new_session=True)
            deadline = time.monotonic() + 10
            while self.process.poll() is None and time.monotonic() < deadline:
                with contextlib.suppress(OSError):
                    self.stats()
                    return self
                time.sleep(0.05)
            code = self.process.poll()
            self.stop()
            if code is None:
                raise AssertionError(f"haproxy did not answer on its stats port within 10 s\n"
                                     f"{self.report()}")
            if "cannot bind" not in self.log() or attempt == attempts:
                raise AssertionError(f"haproxy exited with code {code}\n{self.report()}")
        raise AssertionError("unreachable")

    def stop(self) -> None:
        """SIGTERM (a hard stop), SIGKILL after a timeout; idempotent."""
        proc = self.process
        if proc is not None:
            try:
                if proc.poll() is None:
                    proc.terminate()
                    try:
                        proc.wait(STOP_TIMEOUT_S)
                    except subprocess.TimeoutExpired:
                        proc.kill()
                        proc.wait(STOP_TIMEOUT_S)
            finally:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(proc.pid, signal.SIGKILL)  # its own session: nothing else in it
        self._close_log()

    def _close_log(self) -> None:
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None

    def stats(self) -> dict[tuple[str, str], dict[str, str]]:
        """HAProxy's CSV stats: (proxy, server) -> row."""
        url = f"http://127.0.0.1:{self.stats_port}/stats;csv"
        with urllib.request.urlopen(url, timeout=2) as reply:
            text = reply.read().decode()
        rows = csv.DictReader(io.StringIO(text.lstrip("# ")))
        return {(r["pxname"], r["svname"]): r for r in rows}

    def up(self, listener: str) -> set[str]:
        """The servers HAProxy routes `listener`'s connections to now (status UP)."""
        if self.process is None or self.process.poll() is not None:
            raise AssertionError(f"haproxy is not running\n{self.report()}")
        return {sv for (px, sv), row in self.stats().items()
                if px == listener and sv not in ("FRONTEND", "BACKEND") and
                row["status"] == "UP"}

    def dsn(self, port: int) -> str:
        return f"host=127.0.0.1 port={port} user=postgres dbname=postgres"

    def connect(self, port: int) -> psycopg.Connection[Any]:
        return psycopg.connect(self.dsn(port), autocommit=True, connect_timeout=CONNECT_TIMEOUT_S)

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def report(self) -> str:
        status = ""
        with contextlib.suppress(OSError, KeyError):
            status = "\n".join(f"{px}/{sv}: {row['status']} {row['check_status']} "
                               f"{row['check_desc']}"
                               for (px, sv), row in self.stats().items()
                               if sv not in ("FRONTEND", "BACKEND"))
        return (f"--- haproxy ({self.config_path}) ---\n{status}\n{self.log()[-20_000:]}"
                f"\n--- end of haproxy ---")


@pytest.fixture
def haproxy(tmp_path: Path) -> Iterator[Callable[[list[PghaServer]], HAProxy]]:
    """Call it with the nodes to start HAProxy over them; always stopped at teardown (before
    the nodes, which `pgha_factory` stops), its log printed so failing tests show it."""
    binary = _haproxy_binary()
    started: list[HAProxy] = []

    def make(nodes: list[PghaServer]) -> HAProxy:
        proxy = HAProxy(binary, tmp_path / f"haproxy{len(started)}", nodes)
        started.append(proxy)
        return proxy.start()

    try:
        yield make
    finally:
        for proxy in reversed(started):
            proxy.stop()
            print(proxy.report())


# -- the cluster and its clients -----------------------------------------------------------------


def _cluster(factory: PghaFactory) -> list[PghaServer]:
    """n1 primary, n2 and n3 standbys, sync mode, automatic failover, a REST API on each."""
    ports = [free_port() for _ in range(3)]
    peers = ",".join(f"127.0.0.1:{p}" for p in ports)
    nodes = [
        factory("--node-id", f"n{i + 1}", "--ha-mode", "primary" if i == 0 else "standby",
                "--ha-bind", f"127.0.0.1:{port}", "--ha-primary", peers,
                "--cluster-secret", "s3cret", "--sync-mode", "sync",
                "--http-bind", "127.0.0.1:0")
        for i, port in enumerate(ports)
    ]
    wait_for(lambda: scalar(nodes[0], "SELECT count(*) FROM pg_replication_standbys "
                                    "WHERE state IN ('synced', 'streaming')") == 2,
             "both standbys to stream")
    with nodes[0].connect() as conn:
        conn.execute("CREATE TABLE acked (k int PRIMARY KEY, via text, at float8)")
    return nodes


def _whoami(conn: psycopg.Connection[Any]) -> tuple[str, str]:
    row = conn.execute("SELECT role, node_id FROM pg_replication_status").fetchone()
    assert row is not None
    return str(row[0]), str(row[1])


class Writer:
    """A thread inserting unique keys through HAProxy's write port until stopped; a key is
    acknowledged when its INSERT (autocommit) returned, on a connection to a primary. Each key
    keeps when it was sent and when it was acknowledged: a key sent after the old primary died
    cannot have been committed by it, whatever the thread scheduling."""

    def __init__(self, proxy: HAProxy) -> None:
        self.proxy = proxy
        self.sent: dict[int, float] = {}  # key -> when its INSERT was sent (monotonic)
        self.acked: dict[int, float] = {}  # key -> when its commit returned (monotonic)
        self.served_by: dict[int, str] = {}  # key -> node_id of the connection's server
        self.not_primary: list[tuple[str, str]] = []  # (role, node) a write connection reached
        self.next_key = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name="haproxy-writer", daemon=True)

    def __enter__(self) -> Writer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(30)
        assert not self.thread.is_alive(), "the writer thread did not stop"

    def _run(self) -> None:
        while not self.stop.is_set():
            try:
                conn = self.proxy.connect(self.proxy.write_port)
            except psycopg.Error:
                self.stop.wait(0.02)
                continue
            with conn:
                try:
                    role, node = _whoami(conn)
                except psycopg.Error:
                    continue
                if role != "primary":
                    self.not_primary.append((role, node))
                    continue
                while not self.stop.is_set():
                    self.next_key += 1
                    key = self.next_key
                    self.sent[key] = time.monotonic()
                    try:
                        conn.execute("INSERT INTO acked VALUES (%s, %s, %s)",
                                     (key, node, time.time()))
                    except psycopg.Error:
                        break  # unknown (the connection died under it) or refused: reconnect
                    self.acked[key] = time.monotonic()
                    self.served_by[key] = node
                    self.stop.wait(0.005)

    def sent_after(self, moment: float) -> list[int]:
        """The acknowledged keys sent after `moment`."""
        return [k for k in list(self.acked) if self.sent[k] > moment]

    def first_ack_after(self, moment: float) -> float | None:
        """Seconds from `moment` to the first acknowledgement of a key sent after it."""
        later = [self.acked[k] for k in self.sent_after(moment)]
        return min(later) - moment if later else None


def _read_on_standby(proxy: HAProxy, key: int) -> str | None:
    """node_id of the standby a fresh read-port connection reached, if it sees `key`."""
    with proxy.connect(proxy.read_port) as conn:
        role, node = _whoami(conn)
        assert role == "standby", f"the read port reached {node}, a {role}"
        seen = conn.execute("SELECT count(*) FROM acked WHERE k = %s", (key,)).fetchone()
        return node if seen and seen[0] == 1 else None


def _missing(proxy: HAProxy, port: int, keys: set[int]) -> set[int]:
    with proxy.connect(port) as conn:
        present = {r[0] for r in conn.execute("SELECT k FROM acked")}
    return keys - present


# -- the test ------------------------------------------------------------------------------------


def test_haproxy_routes_by_rest_api_and_follows_a_failover(
        pgha_factory: PghaFactory, haproxy: Callable[[list[PghaServer]], HAProxy]) -> None:
    nodes = _cluster(pgha_factory)
    proxy = haproxy(nodes)
    try:
        _check_routing_and_failover(nodes, proxy)
    except BaseException:
        print(proxy.report())  # the checks' state at the failure, before teardown stops it
        raise


def _check_routing_and_failover(nodes: list[PghaServer], proxy: HAProxy) -> None:
    wait_for(lambda: proxy.up("write") == {"n1"} and proxy.up("read") == {"n2", "n3"},
             "HAProxy to see n1 as the primary, n2 and n3 as replicas", 10)

    # (1) writes through the write port land on the primary; reads through the read port run
    # on the standbys, round robin, and see the committed row.
    with proxy.connect(proxy.write_port) as conn:
        assert _whoami(conn) == ("primary", "n1")
        conn.execute("INSERT INTO acked VALUES (0, 'n1', 0)")
    readers: set[str] = set()

    def both_standbys_read_it() -> bool:
        node = _read_on_standby(proxy, 0)
        if node is not None:
            readers.add(node)
        return readers == {"n2", "n3"}

    wait_for(both_standbys_read_it, "reads through HAProxy on both standbys to see row 0", 10)

    # (2) kill -9 the primary under a write load through the write port.
    old = nodes[0]
    with Writer(proxy) as writer:
        wait_for(lambda: len(writer.acked) >= 20, "writes through HAProxy before the kill", 10)
        killed_at = time.monotonic()
        old.kill()  # returns once n1 has exited
        dead_at = time.monotonic()
        new: list[str] = []

        def write_reaches_new_primary() -> bool:
            with proxy.connect(proxy.write_port) as conn:
                role, node = _whoami(conn)
                if role != "primary" or node == "n1":
                    return False
                conn.execute("INSERT INTO acked VALUES (-1, %s, 0)", (node,))
                new[:] = [node]
                return True

        wait_for(write_reaches_new_primary,
                 "a write through the same HAProxy port to reach a new primary",
                 FAILOVER_BUDGET_S - (time.monotonic() - killed_at))
        outage = time.monotonic() - killed_at
        print(f"kill -9 of n1 -> a write through HAProxy on {new[0]}: {outage:.2f}s")
        assert outage < FAILOVER_BUDGET_S, outage
        (primary,) = new
        wait_for(lambda: writer.first_ack_after(dead_at) is not None,
                 "the writer's first acknowledged write after the kill", 5)
        after = writer.first_ack_after(dead_at)
        assert after is not None and after + (dead_at - killed_at) < FAILOVER_BUDGET_S, after
        wait_for(lambda: len(writer.sent_after(dead_at)) >= 20,
                 "writes through HAProxy after the failover", 10)
    assert not writer.not_primary, f"the write port reached non-primaries: {writer.not_primary}"
    before = [k for k, t in writer.acked.items() if t <= killed_at]
    after_keys = writer.sent_after(dead_at)
    assert before and {writer.served_by[k] for k in before} == {"n1"}
    assert after_keys and {writer.served_by[k] for k in after_keys} == {primary}
    standby = ({"n2", "n3"} - {primary}).pop()
    assert scalar(next(n for n in nodes[1:] if _node_id(n) == primary),
                  "SELECT term FROM pg_replication_status") >= 2

    # HAProxy's view follows: the new primary for writes, the remaining standby for reads.
    wait_for(lambda: proxy.up("write") == {primary} and proxy.up("read") == {standby},
             f"HAProxy to route writes to {primary} and reads to {standby}", 10)
    last = max(writer.acked)
    wait_for(lambda: _read_on_standby(proxy, last) == standby,
             f"a read through HAProxy on {standby} to see the last acknowledged row", 10)

    # Every row acknowledged before and after the kill is on the new primary and the standby.
    acknowledged = {0, -1, *writer.acked}
    missing = _missing(proxy, proxy.write_port, acknowledged)
    assert not missing, f"{len(missing)} acknowledged rows lost: {sorted(missing)[:10]}"
    wait_for(lambda: not _missing(proxy, proxy.read_port, acknowledged),
             "the standby behind the read port to hold every acknowledged row", 10)


def _node_id(server: PghaServer) -> str:
    return str(scalar(server, "SELECT node_id FROM pg_replication_status"))
