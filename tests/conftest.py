"""Fixtures shared by every test layer; see tests/README.md for what each one gives.

- `pgha_factory` / `pgha_server` / `pgha_server_module`: `pgha server` child processes.
- `postgres_server` (session) and `postgres_db` (function): a real PostgreSQL 15.
- `fault_relay`: factory for fault-injecting TCP relays.

The `postgres` marker is added automatically to every test that uses a PostgreSQL fixture.
With `PGHA_REQUIRE_POSTGRES=1` (set by .ci/run) missing PostgreSQL binaries fail the tests
instead of skipping them, so CI cannot pass by skipping the differential suite.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from fixtures.pgha_server import PghaFactory, PghaServer
from fixtures.postgres import PostgresServer, PostgresUnavailable, find_bindir, start_postgres
from fixtures.relay import FaultRelay

POSTGRES_FIXTURES = frozenset({"postgres_server", "postgres_db"})


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if POSTGRES_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.postgres)


# -- pgha servers --------------------------------------------------------------------------------


@pytest.fixture
def pgha_factory(tmp_path: Path) -> Iterator[PghaFactory]:
    """Call it to start a server: `pgha_factory("--ha-mode", "primary", auth="scram",
    users=["alice:secret"])`. All servers it started stop at teardown, newest first."""
    factory = PghaFactory(tmp_path / "pgha")
    try:
        yield factory
    finally:
        factory.close()


@pytest.fixture
def pgha_server(pgha_factory: PghaFactory) -> PghaServer:
    """A fresh `pgha server` with an empty data directory, for one test."""
    return pgha_factory()


@pytest.fixture(scope="module")
def pgha_server_module(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PghaServer]:
    """One `pgha server` shared by the tests of a module (they must not depend on each other)."""
    factory = PghaFactory(tmp_path_factory.mktemp("pgha-module"))
    try:
        yield factory()
    finally:
        factory.close()


# -- real PostgreSQL -----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A real PostgreSQL 15 cluster for the whole session (skipped if not installed)."""
    try:
        bindir = find_bindir()
    except PostgresUnavailable as exc:
        if os.environ.get("PGHA_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"PGHA_REQUIRE_POSTGRES=1 but {exc}", pytrace=False)
        pytest.skip(str(exc))
    server = start_postgres(bindir)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def postgres_db(postgres_server: PostgresServer) -> Iterator[str]:
    """DSN of a fresh, empty database on `postgres_server`, dropped after the test."""
    with postgres_server.temporary_database() as dsn:
        yield dsn


# -- network faults ------------------------------------------------------------------------------


@pytest.fixture
def fault_relay() -> Iterator[Callable[[str, int], FaultRelay]]:
    """Call it with a target `(host, port)` to get a started `FaultRelay`; all close at teardown."""
    relays: list[FaultRelay] = []

    def make(host: str, port: int) -> FaultRelay:
        relay = FaultRelay(host, port).start()
        relays.append(relay)
        return relay

    try:
        yield make
    finally:
        for relay in reversed(relays):
            relay.close()
