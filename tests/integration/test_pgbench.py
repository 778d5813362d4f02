"""pgbench against a `pgha server`: initialisation (COPY of 100000 rows, ALTER TABLE ADD PRIMARY
KEY), the built-in scripts in the three query modes, and balance consistency afterwards."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator

import psycopg
import pytest

from fixtures.pgha_server import PghaServer

PGBENCH_TIMEOUT_S = 120

pytestmark = pytest.mark.skipif(shutil.which("pgbench") is None, reason="pgbench not installed")


def _pgbench(server: PghaServer, libpq_env, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["pgbench", *args],
        capture_output=True,
        text=True,
        env=libpq_env(server),
        timeout=PGBENCH_TIMEOUT_S,
        check=False,
    )


def _processed_and_failed(output: str) -> tuple[str, str]:
    processed = re.search(r"number of transactions actually processed: (\d+/\d+)", output)
    failed = re.search(r"number of failed transactions: (\d+)", output)
    assert processed is not None, output
    assert failed is not None, output
    return processed.group(1), failed.group(1)


@pytest.fixture(scope="module")
def bench(pgha_server_module: PghaServer, libpq_env) -> Iterator[PghaServer]:
    """The module's server, initialised once with `pgbench -i -s 1`."""
    result = _pgbench(pgha_server_module, libpq_env, "-i", "-s", "1")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "done in" in result.stderr
    yield pgha_server_module


def test_init_loads_scale_1(bench: PghaServer) -> None:
    with bench.connect() as conn:
        assert conn.execute("select count(*) from pgbench_accounts").fetchone() == (100000,)
        assert conn.execute("select count(*) from pgbench_tellers").fetchone() == (10,)
        assert conn.execute("select count(*) from pgbench_branches").fetchone() == (1,)
        assert conn.execute(
            "select min(aid), max(aid), sum(abalance), count(distinct bid) from pgbench_accounts"
        ).fetchone() == (1, 100000, 0, 1)
        # The filler column was loaded as an empty (blank-padded) string, not NULL.
        assert conn.execute(
            "select count(*) from pgbench_accounts where filler is null"
        ).fetchone() == (0,)


def test_init_created_primary_keys(bench: PghaServer) -> None:
    with bench.connect() as conn, pytest.raises(psycopg.errors.UniqueViolation):
        conn.execute("insert into pgbench_accounts (aid, bid, abalance) values (1, 1, 0)")


@pytest.mark.parametrize("mode", ["simple", "extended", "prepared"])
def test_select_only(bench: PghaServer, libpq_env, mode: str) -> None:
    result = _pgbench(bench, libpq_env, "-n", "-S", "-t", "200", "-M", mode)
    assert result.returncode == 0, result.stdout + result.stderr
    assert _processed_and_failed(result.stdout) == ("200/200", "0")


@pytest.mark.parametrize("mode", ["simple", "extended", "prepared"])
def test_simple_update(bench: PghaServer, libpq_env, mode: str) -> None:
    with bench.connect() as conn:
        (before,) = conn.execute("select count(*) from pgbench_history").fetchone()
    result = _pgbench(bench, libpq_env, "-n", "-N", "-t", "100", "-M", mode)
    assert result.returncode == 0, result.stdout + result.stderr
    assert _processed_and_failed(result.stdout) == ("100/100", "0")
    with bench.connect() as conn:
        (after,) = conn.execute("select count(*) from pgbench_history").fetchone()
    assert after - before == 100


def _reset_balances(server: PghaServer) -> None:
    with server.connect() as conn:
        conn.execute("truncate pgbench_history")
        conn.execute("update pgbench_accounts set abalance = 0 where abalance <> 0")
        conn.execute("update pgbench_tellers set tbalance = 0")
        conn.execute("update pgbench_branches set bbalance = 0")


def test_balances_match_history_after_simple_update(bench: PghaServer, libpq_env) -> None:
    _reset_balances(bench)
    result = _pgbench(
        bench, libpq_env, "-n", "-N", "-t", "100", "-c", "1", "--random-seed=1", "-M", "prepared"
    )
    assert result.returncode == 0, result.stdout + result.stderr
    with bench.connect() as conn:
        (rows, deltas) = conn.execute("select count(*), sum(delta) from pgbench_history").fetchone()
        (balances,) = conn.execute("select sum(abalance) from pgbench_accounts").fetchone()
        per_account = conn.execute(
            "select count(*) from (select a.aid from pgbench_accounts a "
            "join pgbench_history h on h.aid = a.aid group by a.aid, a.abalance "
            "having a.abalance <> sum(h.delta)) bad"
        ).fetchone()
    assert rows == 100
    assert deltas != 0  # 100 random deltas in [-5000, 5000] summing to 0 would be a fluke
    assert balances == deltas
    assert per_account == (0,)


def test_tpcb_like_two_clients_consistent(bench: PghaServer, libpq_env) -> None:
    """The default script updates accounts, tellers and branches in one transaction; with two
    concurrent clients every balance still sums to the history."""
    _reset_balances(bench)
    result = _pgbench(bench, libpq_env, "-n", "-c", "2", "-t", "50", "--random-seed=7")
    assert result.returncode == 0, result.stdout + result.stderr
    assert _processed_and_failed(result.stdout) == ("100/100", "0")
    with bench.connect() as conn:
        row = conn.execute(
            "select (select sum(delta) from pgbench_history), "
            "(select sum(abalance) from pgbench_accounts), "
            "(select sum(tbalance) from pgbench_tellers), "
            "(select sum(bbalance) from pgbench_branches), "
            "(select count(*) from pgbench_history)"
        ).fetchone()
    assert row[4] == 100
    assert row[0] == row[1] == row[2] == row[3]


def test_pgbench_preflight_queries_without_n(bench: PghaServer, libpq_env) -> None:
    """Without -n pgbench reads the scale, checks for partitioning, vacuums and truncates the
    history table before running."""
    result = _pgbench(bench, libpq_env, "-S", "-t", "10")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "scaling factor: 1" in result.stdout
    assert _processed_and_failed(result.stdout) == ("10/10", "0")
