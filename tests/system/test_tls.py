"""TLS, as a user turns it on: clients with `sslmode=require` and `verify-full` (psql,
psycopg, asyncpg) to a node and to the proxy; replication between nodes over mutual TLS with
the cluster's CA (a node whose certificate another CA signed cannot join); the proxy to its
backends (`--backend-sslmode`); `pgha status` with PGSSLMODE; and TLS mistakes at start as
one line. Certificates come from `pgha certs` (a local CA)."""

from __future__ import annotations

import asyncio
import os
import socket
import ssl
import subprocess
import sys
import time
from pathlib import Path

import asyncpg
import psycopg
import pytest

from fixtures.cluster import scalar, wait_for
from fixtures.pgha_server import PghaFactory, PghaServer, ServerStartError
from fixtures.ports import free_port
from fixtures.proxy import ProxyProcess
from pgha.net.backend import BackendConnection, BackendError
from pgha.net.tls import ClientTls


def certs(directory: Path, name: str, *hosts: str) -> tuple[Path, Path, Path]:
    result = subprocess.run([sys.executable, "-m", "pgha", "certs", str(directory), "--name",
                             name, *(a for h in hosts for a in ("--host", h))],
                            capture_output=True, text=True, timeout=30, check=True)
    cert, key, ca = (Path(line) for line in result.stdout.split())
    return cert, key, ca


def tls_args(cert: Path, key: Path, ca: Path | None = None) -> list[str]:
    return ["--tls-cert", str(cert), "--tls-key", str(key),
            *(["--tls-ca", str(ca)] if ca else [])]


def dsn(server: PghaServer | ProxyProcess, **params: str) -> str:
    extra = " ".join(f"{k}={v}" for k, v in params.items())
    return f"host=127.0.0.1 port={server.port} user=postgres dbname=postgres {extra}"


def test_clients_get_tls_from_a_node(tmp_path: Path, pgha_factory: PghaFactory) -> None:
    cert, key, ca = certs(tmp_path / "tls", "node", "127.0.0.1", "localhost")
    node = pgha_factory(*tls_args(cert, key))
    for mode in ("require", "verify-ca", "verify-full"):
        with psycopg.connect(dsn(node, sslmode=mode, sslrootcert=str(ca))) as conn:
            assert conn.pgconn.ssl_in_use, mode
            assert conn.execute("SELECT 41 + 1").fetchone() == (42,)
    with psycopg.connect(dsn(node, sslmode="disable")) as conn:  # plain text still allowed
        assert not conn.pgconn.ssl_in_use
    # The certificate is for 127.0.0.1 and localhost: another name fails verify-full.
    with pytest.raises(psycopg.OperationalError, match=r"certificate|match"):
        psycopg.connect(f"host={socket.gethostname()} port={node.port} user=postgres "
                        f"dbname=postgres sslmode=verify-full sslrootcert={ca} "
                        "connect_timeout=5")
    psql = subprocess.run(["psql", dsn(node, sslmode="verify-full", sslrootcert=str(ca)),
                           "-Atc", "select 'over tls'", "-c", r"\conninfo"],
                          capture_output=True, text=True, timeout=30)
    assert psql.returncode == 0, psql.stderr
    assert "over tls" in psql.stdout and "SSL connection" in psql.stdout

    async def with_asyncpg() -> int:
        context = ssl.create_default_context(cafile=str(ca))
        conn = await asyncpg.connect(host="127.0.0.1", port=node.port, user="postgres",
                                     database="postgres", ssl=context)
        try:
            return int(await conn.fetchval("SELECT $1::int * 2", 21))
        finally:
            await conn.close()

    assert asyncio.run(with_asyncpg()) == 42


def test_a_node_without_tls_refuses_sslmode_require(pgha_server: PghaServer) -> None:
    with pytest.raises(psycopg.OperationalError, match="SSL"):
        psycopg.connect(dsn(pgha_server, sslmode="require"))


def test_a_replicated_cluster_and_proxy_over_tls(tmp_path: Path,
                                                 pgha_factory: PghaFactory) -> None:
    cert, key, ca = certs(tmp_path / "tls", "node", "127.0.0.1", "localhost")
    ports = [free_port() for _ in range(3)]
    peers = ",".join(f"127.0.0.1:{p}" for p in ports)
    nodes = [pgha_factory("--node-id", f"n{i + 1}", "--ha-mode",
                          "primary" if i == 0 else "standby", "--ha-bind",
                          f"127.0.0.1:{port}", "--ha-primary", peers,
                          "--cluster-secret", "s3cret", "--sync-mode", "sync",
                          *tls_args(cert, key, ca))
             for i, port in enumerate(ports)]
    wait_for(lambda: scalar(nodes[0], "SELECT count(*) FROM pg_replication_standbys "
                            "WHERE state IN ('synced', 'streaming')") == 2,
             "both standbys to stream over TLS")
    proxy = ProxyProcess(tmp_path / "proxy", nodes, *tls_args(cert, key, ca),
                         "--backend-sslmode", "verify-full")
    try:
        with psycopg.connect(dsn(proxy, sslmode="verify-full", sslrootcert=str(ca)),
                             autocommit=True) as conn:
            assert conn.pgconn.ssl_in_use
            conn.execute("CREATE TABLE secret (k int PRIMARY KEY)")
            conn.execute("INSERT INTO secret VALUES (1), (2)")
            assert conn.execute("SELECT count(*), pg_is_in_recovery() FROM secret")\
                .fetchone() == (2, True)  # read-your-writes on a standby, over TLS
        # A write sent to a standby is forwarded to the primary over TLS too.
        with psycopg.connect(dsn(nodes[1], sslmode="require"), autocommit=True) as conn:
            conn.execute("INSERT INTO secret VALUES (3)")
        for node in nodes:
            wait_for(lambda n=node: scalar(n, "SELECT count(*) FROM secret") == 3,
                     "every node to have the rows")
        env = {**os.environ, "PGSSLMODE": "verify-full", "PGSSLROOTCERT": str(ca)}
        status = subprocess.run([sys.executable, "-m", "pgha", "status", "-p",
                                 str(proxy.port)], capture_output=True, text=True,
                                timeout=30, env=env)
        assert status.returncode == 0, status.stderr
        assert status.stdout.count(" standby ") == 2
    finally:
        proxy.stop()
    # The replication port speaks TLS only: a plain-text peer gets no handshake from it.
    with socket.create_connection(("127.0.0.1", ports[0]), timeout=5) as sock:
        sock.settimeout(2)
        try:
            data = sock.recv(64)
        except TimeoutError:
            data = b""
        assert not data.startswith(b"PGHA")  # no replication Challenge in the clear

    # A node whose certificate another CA signed cannot join the cluster.
    rogue_cert, rogue_key, rogue_ca = certs(tmp_path / "rogue", "node", "127.0.0.1")
    with pytest.raises(ServerStartError):
        pgha_factory("--node-id", "n4", "--ha-mode", "standby", "--ha-bind",
                     f"127.0.0.1:{free_port()}", "--ha-primary", peers, "--cluster-secret",
                     "s3cret", *tls_args(rogue_cert, rogue_key, rogue_ca), timeout=4)
    assert scalar(nodes[0], "SELECT count(*) FROM pg_replication_standbys") == 2


def test_the_proxy_requires_tls_from_backends_when_told_to(tmp_path: Path,
                                                         pgha_server: PghaServer) -> None:
    async def connect(mode: str) -> str:
        tls = ClientTls.from_mode(mode)
        conn = await BackendConnection.connect("127.0.0.1", pgha_server.port, "postgres",
                                               "postgres", tls=tls)
        conn.close()
        return "connected"

    assert asyncio.run(connect("prefer")) == "connected"  # the node answers N: plain text
    with pytest.raises(BackendError, match="does not accept TLS"):
        asyncio.run(connect("require"))


@pytest.mark.parametrize(("args", "expected"), [
    (["--tls-cert", "{cert}"], "--tls-cert and --tls-key go together"),
    (["--tls-cert", "/nonexistent.crt", "--tls-key", "{key}"], "/nonexistent.crt: no such file"),
    (["--tls-cert", "{key}", "--tls-key", "{key}"], "not a usable certificate and key"),
    (["--tls-ca", "{ca}"], "--tls-ca needs --tls-cert and --tls-key"),
])
def test_tls_mistakes_at_start_are_one_line(tmp_path: Path, args: list[str],
                                            expected: str) -> None:
    cert, key, ca = certs(tmp_path / "tls", "node", "127.0.0.1")
    args = [a.format(cert=cert, key=key, ca=ca) for a in args]
    started = time.monotonic()
    result = subprocess.run([sys.executable, "-m", "pgha", "server", "--data",
                             str(tmp_path / "d"), *args], capture_output=True, text=True,
                            timeout=30)
    assert result.returncode == 1 and expected in result.stderr, result.stderr
    assert "Traceback" not in result.stderr and time.monotonic() - started < 20


def test_tls_required_refuses_plain_text_clients(tmp_path: Path,
                                                 pgha_factory: PghaFactory) -> None:
    cert, key, ca = certs(tmp_path / "tls", "node", "127.0.0.1")
    node = pgha_factory(*tls_args(cert, key), "--tls-required")
    with pytest.raises(psycopg.OperationalError, match="requires TLS"):
        psycopg.connect(dsn(node, sslmode="disable"))
    for mode in ("prefer", "require"):
        with psycopg.connect(dsn(node, sslmode=mode)) as conn:
            assert conn.pgconn.ssl_in_use
    proxy = ProxyProcess(tmp_path / "proxy", [node], *tls_args(cert, key), "--tls-required",
                         "--backend-sslmode", "verify-full", "--tls-ca", str(ca))
    try:
        with pytest.raises(psycopg.OperationalError, match="requires TLS"):
            psycopg.connect(dsn(proxy, sslmode="disable"))
        with psycopg.connect(dsn(proxy, sslmode="verify-full", sslrootcert=str(ca))) as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)
    finally:
        proxy.stop()


def test_pgha_certs_mistakes_are_one_line(tmp_path: Path) -> None:
    afile = tmp_path / "afile"
    afile.write_text("")
    result = subprocess.run([sys.executable, "-m", "pgha", "certs", str(afile / "tls"),
                             "--name", "n1", "--host", "n1"], capture_output=True, text=True,
                            timeout=30)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.startswith("pgha certs: ") and result.stderr.count("\n") == 1
