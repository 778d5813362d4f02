"""The PostgreSQL JDBC driver (Debian's libpostgresql-jdbc-java) against a node, through the
proxy and against PostgreSQL 15: `jdbc/SchemaRoundTrip.java` creates a schema, inserts with
prepared statements past the driver's server-side prepare threshold and in a batch, reads
back with result-set metadata, hits a unique and a foreign-key violation, reads the schema
back through DatabaseMetaData (tables, columns, primary keys, indexes, imported keys) and
drops it. Every line it prints must be the same as on PostgreSQL.

Skips without java, javac or the driver, or fails under `PGHA_REQUIRE_JDBC=1` (as CI sets it).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from fixtures.pgha_server import PghaServer
from fixtures.proxy import ProxyProcess

SOURCE = Path(__file__).with_name("jdbc") / "SchemaRoundTrip.java"
DRIVER = Path(os.environ.get("PGHA_JDBC_JAR", "/usr/share/java/postgresql.jar"))


def _missing(why: str) -> None:
    if os.environ.get("PGHA_REQUIRE_JDBC") == "1":
        pytest.fail(f"PGHA_REQUIRE_JDBC=1 but {why}", pytrace=False)
    pytest.skip(why)


@pytest.fixture(scope="module")
def classes(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("java") is None or shutil.which("javac") is None:
        _missing("java and javac are not installed")
    if not DRIVER.exists():
        _missing(f"the PostgreSQL JDBC driver is not at {DRIVER} (apt install "
                 "libpostgresql-jdbc-java)")
    out = tmp_path_factory.mktemp("jdbc")
    subprocess.run(["javac", "-d", str(out), "-cp", str(DRIVER), str(SOURCE)], check=True,
                   timeout=120)
    return out


def _round_trip(classes: Path, host: str, port: int, dbname: str, user: str) -> list[str]:
    url = f"jdbc:postgresql://{host}:{port}/{dbname}?sslmode=disable"
    run = subprocess.run(["java", "-cp", f"{DRIVER}:{classes}", "SchemaRoundTrip", url, user],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    lines = run.stdout.splitlines()
    assert lines[-1] == "done", run.stdout
    return lines


@pytest.fixture(scope="module")
def on_postgres(classes: Path, postgres_server: object) -> list[str]:
    from fixtures.postgres import PostgresServer

    assert isinstance(postgres_server, PostgresServer)
    with postgres_server.temporary_database() as dsn:
        params = dict(item.split("=", 1) for item in dsn.split())
        return _round_trip(classes, params["host"], int(params["port"]), params["dbname"],
                           params["user"])


def test_jdbc_straight_to_a_node(classes: Path, on_postgres: list[str],
                                 pgha_server: PghaServer) -> None:
    got = _round_trip(classes, pgha_server.host, pgha_server.port, "postgres", "postgres")
    assert got == on_postgres


def test_jdbc_through_the_proxy(classes: Path, on_postgres: list[str], pgha_server: PghaServer,
                                tmp_path: Path) -> None:
    proxy = ProxyProcess(tmp_path / "proxy", [pgha_server])
    try:
        got = _round_trip(classes, "127.0.0.1", proxy.port, "postgres", "postgres")
    finally:
        proxy.stop()
    assert got == on_postgres
