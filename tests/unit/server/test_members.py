"""The cluster's members from a node's replication views (``net.members``), the REST API's
``?lag=`` sizes, and ``pgha status``'s table: pure pieces, no processes."""

from __future__ import annotations

import asyncio
import os
import signal
from typing import Any

import pytest

from pgha import status
from pgha.cli import build_parser
from pgha.net.members import ClusterMembers, members_from_views
from pgha.server.api import parse_size
from pgha.status import format_table

PRIMARY = {"node_id": "n1", "role": "primary", "listen_address": "10.0.0.1:5432",
           "current_lsn": "0/3000", "term": "4"}
STANDBYS = [
    {"node_id": "n2", "address": "10.0.0.2:5432", "state": "synced", "apply_lsn": "0/3000",
     "lag_bytes": "0", "lag_ms": "0", "sync_mode": "sync", "snapshot_bytes": None,
     "snapshot_total": None},
    {"node_id": "n3", "address": "10.0.0.3:5432", "state": "snapshot", "apply_lsn": "0/0",
     "lag_bytes": "12288", "lag_ms": "1.5", "sync_mode": "sync", "snapshot_bytes": "1048576",
     "snapshot_total": "4194304"},
    {"node_id": "o1", "address": "10.0.0.9:5432", "state": "observer", "apply_lsn": "0/0",
     "lag_bytes": "0", "lag_ms": "0", "sync_mode": "async", "snapshot_bytes": None,
     "snapshot_total": None},
]


def test_a_primary_lists_itself_and_its_standbys_and_observers() -> None:
    members = members_from_views(PRIMARY, STANDBYS, None)
    assert [(m.name, m.role, m.state, m.term) for m in members] == [
        ("n1", "primary", "running", 4), ("n2", "standby", "synced", 4),
        ("n3", "standby", "snapshot", 4), ("o1", "observer", "observer", 4)]
    assert members[2].snapshot == "1048576 of 4194304" and members[2].lag_bytes == 12288
    assert members[3].lag_bytes is None and members[3].lsn == ""


def test_a_standby_alone_lists_itself_and_its_primary() -> None:
    status = {**PRIMARY, "node_id": "n2", "role": "standby", "listen_address": "10.0.0.2:5432"}
    primary = {"node_id": "n1", "client_address": "10.0.0.1:5432", "address": "10.0.0.1:5433",
               "state": "streaming", "primary_lsn": "0/3000", "local_lsn": "0/2000",
               "lag_bytes": "4096", "lag_ms": "3.25"}
    members = members_from_views(status, [], primary)
    assert [(m.name, m.role, m.address) for m in members] == [
        ("n1", "primary", "10.0.0.1:5432"), ("n2", "standby", "10.0.0.2:5432")]
    assert (members[1].state, members[1].lag_bytes, members[1].lag_ms) == ("streaming", 4096,
                                                                         3.25)
    assert members_from_views(status, [], None)[0].state == "disconnected"


def test_the_table_shows_snapshot_progress_only_when_there_is_some() -> None:
    table = format_table(ClusterMembers(members_from_views(PRIMARY, STANDBYS, None), "x"))
    assert "Snapshot" in table and "1048576 of 4194304" in table
    table = format_table(ClusterMembers(members_from_views(PRIMARY, STANDBYS[:1], None), "x",
                                        complete=False))
    assert "Snapshot" not in table and "its primary could not be asked" in table
    widths = {len(line) for line in table.splitlines()[:-1]}
    assert len(widths) == 1  # aligned


@pytest.mark.parametrize(("text", "size"), [
    ("0", 0), ("1048576", 1 << 20), ("16kB", 16 << 10), ("1MB", 1 << 20), ("1mb", 1 << 20),
    ("2GB", 2 << 30), ("1TB", 1 << 40), (" 5 B ", 5)])
def test_lag_sizes_as_patroni_takes_them(text: str, size: int) -> None:
    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["", "MB", "-1", "1.5MB", "1PB", "lots"])
def test_bad_lag_sizes(text: str) -> None:
    with pytest.raises(ValueError, match="invalid size"):
        parse_size(text)


def test_ctrl_c_stops_the_watch_even_when_a_wait_swallowed_it(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """asyncio.run's own SIGINT handler only cancels the running task; a task that ends
    another way (a wait that turned the cancel into its own error, or a Ctrl-C that came as
    the task finished) lost the Ctrl-C, and the watch went on."""
    calls = 0

    async def fetch(*args: Any, **kwargs: Any) -> ClusterMembers:
        nonlocal calls
        calls += 1
        if calls > 1:
            raise AssertionError("the watch went on after Ctrl-C")
        os.kill(os.getpid(), signal.SIGINT)
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            raise TimeoutError from None
        raise AssertionError("no Ctrl-C")

    monkeypatch.setattr(status, "fetch_members", fetch)
    before = signal.getsignal(signal.SIGINT)
    args = build_parser().parse_args(["status", "-p", "1", "--watch", "0.01"])
    assert status.run_status(args) == 0
    assert calls == 1
    assert signal.getsignal(signal.SIGINT) is before
