"""Password authentication of `pgha server` (`--auth scram|md5|password`, `--user NAME:PASS`)
through psql, psycopg and asyncpg: the right password logs in, a wrong one is FATAL 28P01."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import os
import shutil
import socket
import struct
import subprocess
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import psycopg
import pytest
from rawpg import Message, RawClient, errors

from fixtures.pgha_server import PghaFactory, PghaServer
from fixtures.proxy import ProxyProcess

USERS = ["alice:secret", "bob:p@ss w'rd"]
AUTH_REQUEST = {"scram": 10, "md5": 5, "password": 3}  # AuthenticationSASL / MD5 / Cleartext


@pytest.fixture(scope="module", params=["scram", "md5", "password"])
def secured(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, PghaServer]]:
    factory = PghaFactory(tmp_path_factory.mktemp(f"auth-{request.param}"))
    try:
        yield request.param, factory(auth=request.param, users=USERS)
    finally:
        factory.close()


def _dsn(server: PghaServer, user: str, password: str) -> str:
    return psycopg.conninfo.make_conninfo(
        host=server.host,
        port=server.port,
        user=user,
        password=password,
        dbname="postgres",
        sslmode="disable",
        connect_timeout=10,
    )


def _psql(
    server: PghaServer, user: str, password: str, sql: str
) -> subprocess.CompletedProcess[str]:
    if shutil.which("psql") is None:
        pytest.skip("psql is not installed")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env.update(
        PGHOST=server.host,
        PGPORT=str(server.port),
        PGUSER=user,
        PGPASSWORD=password,
        PGDATABASE="postgres",
        PGSSLMODE="disable",
        PGPASSFILE="/nonexistent/pgpass",
        PGCONNECT_TIMEOUT="10",
        LC_ALL="C.UTF-8",
    )
    return subprocess.run(
        ["psql", "-X", "-w", "-At", "-c", sql],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


def _asyncpg_login(server: PghaServer, user: str, password: str) -> str:
    async def main() -> str:
        con = await asyncpg.connect(
            host=server.host,
            port=server.port,
            user=user,
            password=password,
            database="postgres",
            ssl=False,
            timeout=10,
        )
        try:
            return str(await con.fetchval("select current_user"))
        finally:
            await con.close()

    return asyncio.run(main())


def test_server_asks_for_the_configured_method(secured: tuple[str, PghaServer]) -> None:
    method, server = secured
    with RawClient(server.host, server.port) as client:
        client.send_startup({"user": "alice", "database": "postgres"})
        message = client.read_message()
    assert message.kind == b"R"
    (code,) = struct.unpack("!I", message.body[:4])
    assert code == AUTH_REQUEST[method]
    if method == "scram":
        assert message.body[4:] == b"SCRAM-SHA-256\x00\x00"


def test_psql_right_password(secured: tuple[str, PghaServer]) -> None:
    _, server = secured
    result = _psql(server, "alice", "secret", "select current_user, 1 + 1")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "alice|2\n"


def test_psql_wrong_password(secured: tuple[str, PghaServer]) -> None:
    _, server = secured
    result = _psql(server, "alice", "wrong", "select 1")
    assert result.returncode == 2
    assert result.stdout == ""
    assert 'password authentication failed for user "alice"' in result.stderr


def test_psycopg_right_password(secured: tuple[str, PghaServer]) -> None:
    _, server = secured
    with psycopg.connect(_dsn(server, "alice", "secret"), autocommit=True) as conn:
        assert conn.execute("select current_user, session_user").fetchone() == ("alice", "alice")
        conn.execute("create table if not exists auth_probe (i int)")
    with psycopg.connect(_dsn(server, "bob", "p@ss w'rd")) as conn:
        assert conn.execute("select current_user").fetchone() == ("bob",)


@pytest.mark.parametrize(
    ("user", "password"),
    [("alice", "wrong"), ("alice", "secret "), ("alice", "SECRET"), ("bob", "secret")],
)
def test_psycopg_wrong_password_is_28p01(
    secured: tuple[str, PghaServer], user: str, password: str
) -> None:
    _, server = secured
    with pytest.raises(psycopg.OperationalError) as exc_info:
        psycopg.connect(_dsn(server, user, password))
    assert f'password authentication failed for user "{user}"' in str(exc_info.value)


def test_unknown_user_is_refused(secured: tuple[str, PghaServer]) -> None:
    """PostgreSQL answers an unknown role with the same 28P01 as a wrong password (no user
    enumeration)."""
    _, server = secured
    with pytest.raises(psycopg.OperationalError) as exc_info:
        psycopg.connect(_dsn(server, "mallory", "secret"))
    assert 'password authentication failed for user "mallory"' in str(exc_info.value)


def _scram_exchange(client: RawClient, password: str) -> None:
    """Client side of SCRAM-SHA-256 (RFC 5802/7677) as libpq does it: empty user name in the
    client-first message, no channel binding (gs2 header `n,,`)."""
    nonce = base64.b64encode(os.urandom(18)).decode()
    first_bare = f"n=,r={nonce}"
    initial = b"n,," + first_bare.encode()
    client.send_message(b"p", b"SCRAM-SHA-256\x00" + struct.pack("!I", len(initial)) + initial)
    challenge = client.read_message()
    assert challenge.kind == b"R"
    assert struct.unpack("!I", challenge.body[:4]) == (11,)  # AuthenticationSASLContinue
    server_first = challenge.body[4:].decode()
    attrs = dict(part.split("=", 1) for part in server_first.split(","))
    assert attrs["r"].startswith(nonce)
    salted = hashlib.pbkdf2_hmac(
        "sha256", password.encode(), base64.b64decode(attrs["s"]), int(attrs["i"])
    )
    client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
    stored_key = hashlib.sha256(client_key).digest()
    final_without_proof = f"c=biws,r={attrs['r']}"
    auth_message = f"{first_bare},{server_first},{final_without_proof}".encode()
    signature = hmac.new(stored_key, auth_message, hashlib.sha256).digest()
    proof = bytes(a ^ b for a, b in zip(client_key, signature, strict=True))
    final = f"{final_without_proof},p={base64.b64encode(proof).decode()}"
    client.send_message(b"p", final.encode())


def _password_message(method: str, user: str, password: str, request_body: bytes) -> bytes:
    if method == "md5":
        salt = request_body[4:8]
        inner = hashlib.md5(password.encode() + user.encode()).hexdigest().encode()
        return b"md5" + hashlib.md5(inner + salt).hexdigest().encode() + b"\x00"
    return password.encode() + b"\x00"


def _login_by_hand(method: str, server: PghaServer, password: str) -> list[Message]:
    with RawClient(server.host, server.port) as client:
        client.send_startup({"user": "alice", "database": "postgres"})
        request = client.read_message()
        assert request.kind == b"R"
        if method == "scram":
            _scram_exchange(client, password)
        else:
            client.send_message(b"p", _password_message(method, "alice", password, request.body))
        messages = client.read_until(b"ZE")
        if messages[-1].kind == b"E":
            messages += client.read_until_closed(timeout=10)
        return messages


def test_right_password_by_hand(secured: tuple[str, PghaServer]) -> None:
    method, server = secured
    messages = _login_by_hand(method, server, "secret")
    assert errors(messages) == []
    auth = [struct.unpack("!I", m.body[:4])[0] for m in messages if m.kind == b"R"]
    assert auth == ([12, 0] if method == "scram" else [0])  # SASLFinal, then Ok
    assert messages[-1].kind == b"Z"


def test_wrong_password_error_fields_on_the_wire(secured: tuple[str, PghaServer]) -> None:
    """The answer to a wrong password is exactly one FATAL 28P01, then the connection closes."""
    method, server = secured
    messages = _login_by_hand(method, server, "not the secret")
    errs = errors(messages)
    assert [m.kind for m in messages] == [b"E"]
    assert (errs[0]["V"], errs[0]["C"]) == ("FATAL", "28P01")
    assert errs[0]["M"] == 'password authentication failed for user "alice"'


def test_asyncpg_right_and_wrong_password(secured: tuple[str, PghaServer]) -> None:
    _, server = secured
    assert _asyncpg_login(server, "alice", "secret") == "alice"
    with pytest.raises(asyncpg.InvalidPasswordError) as exc_info:
        _asyncpg_login(server, "alice", "nope")
    assert exc_info.value.sqlstate == "28P01"


def test_trust_is_gone_when_users_are_given(pgha_factory: PghaFactory) -> None:
    """With --user and no --auth the server defaults to scram: no password, no login."""
    server = pgha_factory(users=["alice:secret"])
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(
            f"host={server.host} port={server.port} user=alice dbname=postgres "
            "sslmode=disable connect_timeout=10 passfile=/nonexistent/pgpass"
        )
    with psycopg.connect(_dsn(server, "alice", "secret")) as conn:
        assert conn.execute("select 1").fetchone() == (1,)


def _non_loopback_address() -> str:
    """An address of this machine other than loopback (where its network has one)."""
    for probe in ("192.0.2.123", "10.255.255.254", "172.31.255.254"):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            try:
                s.connect((probe, 9))  # UDP: no packet is sent, only a route is chosen
            except OSError:
                continue
            address = s.getsockname()[0]
        if not address.startswith("127."):
            return address
    pytest.skip("this machine has no non-loopback IPv4 address")


def _login_from(address: str, port: int) -> str:
    with psycopg.connect(host=address, port=port, user="postgres", dbname="postgres",
                         sslmode="disable", connect_timeout=10) as conn:
        return str(conn.execute("select 'in'").fetchone()[0])


def test_trust_by_default_is_for_local_clients_only(pgha_factory: PghaFactory,
                                                    tmp_path: Path) -> None:
    """Without --user or --auth trust, a node or proxy bound to every interface refuses
    clients from other hosts (28000) and lets local ones in, as PostgreSQL's default
    pg_hba.conf does; --auth trust given by name trusts every host."""
    address = _non_loopback_address()
    node = pgha_factory("--listen", "0.0.0.0:0")
    proxy = ProxyProcess(tmp_path / "proxy", [node], "--listen", "0.0.0.0:0")
    try:
        for port in (node.port, proxy.port):
            assert _login_from("127.0.0.1", port) == "in"
            with pytest.raises(psycopg.OperationalError,
                               match="trust authentication is for local connections only"):
                _login_from(address, port)
            with pytest.raises(asyncpg.InvalidAuthorizationSpecificationError) as exc_info:
                asyncio.run(asyncpg.connect(host=address, port=port, user="postgres",
                                            database="postgres", ssl=False, timeout=10))
            assert exc_info.value.sqlstate == "28000"
        # The proxy reaches the node over loopback: reads and writes go on.
        with psycopg.connect(proxy.dsn, autocommit=True) as conn:
            conn.execute("create table t (x int)")
            conn.execute("insert into t values (1)")
    finally:
        proxy.stop()
    trusting = pgha_factory("--listen", "0.0.0.0:0", "--auth", "trust")
    trusting_proxy = ProxyProcess(tmp_path / "proxy2", [trusting], "--listen", "0.0.0.0:0",
                                  "--auth", "trust")
    try:
        assert _login_from(address, trusting.port) == "in"
        assert _login_from(address, trusting_proxy.port) == "in"
    finally:
        trusting_proxy.stop()
