"""Helpers shared by the integration tests: psql as a subprocess against a pgha server.

Everything here talks to a real `pgha server` child (see tests/README.md); nothing is mocked.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from fixtures.pgha_server import PghaServer

PSQL_TIMEOUT_S = 60


def client_env(server: PghaServer, **extra: str) -> dict[str, str]:
    """libpq environment for `server`: no ~/.psqlrc side effects, C messages, no password file."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("PG") and key not in ("LANG", "LC_ALL")
    }
    env.update(
        PGHOST=server.host,
        PGPORT=str(server.port),
        PGUSER=server.user,
        PGDATABASE=server.dbname,
        PGCONNECT_TIMEOUT="10",
        PGSSLMODE="disable",
        PGPASSFILE="/nonexistent/pgpass",
        LC_ALL="C.UTF-8",
        PGCLIENTENCODING="UTF8",
    )
    env.update(extra)
    return env


def run_psql(
    server: PghaServer,
    *args: str,
    stdin: str | None = None,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """`psql -X ARGS` against `server`; returns the finished process (never raises on rc)."""
    if shutil.which("psql") is None:
        pytest.skip("psql is not installed")
    argv: Sequence[str] = ["psql", "-X", *args]
    return subprocess.run(
        argv,
        input=stdin,
        capture_output=True,
        text=True,
        env=env if env is not None else client_env(server),
        cwd=cwd,
        timeout=PSQL_TIMEOUT_S,
        check=False,
    )


@pytest.fixture(scope="session")
def psql() -> Callable[..., subprocess.CompletedProcess[str]]:
    """`psql(server, *args, stdin=..., cwd=..., env=...)`: run psql, see `run_psql`."""
    return run_psql


@pytest.fixture(scope="session")
def libpq_env() -> Callable[..., dict[str, str]]:
    """`libpq_env(server, **extra)`: the PG* environment for `server`, see `client_env`."""
    return client_env
