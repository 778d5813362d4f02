"""WAL retention (``HaRole.recycle_wal``): segments go once the database holds them durably
and every standby has flushed them, keep_bytes stays behind the end, and max_bytes caps what a
lagging standby can hold back."""

from __future__ import annotations

from pathlib import Path

from pgha.replication.hub import StandbyInfo
from pgha.server.ha import HaConfig, HaRole


def _role(tmp_path: Path, **config: int) -> HaRole:
    return HaRole(HaConfig(node_id="n1", mode="primary", segment_bytes=4096, **config),
                  tmp_path, durable=False)


def _write(role: HaRole, rows: int) -> None:
    session = role.engine.open_session()
    for stmt in session.parse("CREATE TABLE IF NOT EXISTS t (k serial PRIMARY KEY, v text)"):
        session.execute(stmt)
    (insert,) = session.parse("INSERT INTO t (v) SELECT repeat('x', 200) "
                              f"FROM generate_series(1, {rows})")
    for _ in range(20):
        session.execute(insert)
    session.close()


def test_recycles_what_the_database_and_every_standby_hold(tmp_path: Path) -> None:
    role = _role(tmp_path, keep_bytes=0, max_bytes=1 << 30)
    _write(role, 10)
    wal = role.journal.wal
    lagging = StandbyInfo("n2", "peer", "")
    lagging.flush_lsn = wal.start_lsn + 1  # needs (almost) everything
    role.hub.connected(lagging)
    assert role.recycle_wal() == 0
    lagging.flush_lsn = wal.end_lsn
    assert role.recycle_wal() > 0
    assert wal.start_lsn > 0x1000000
    assert role.engine.recover() == 0  # nothing the database lacks was deleted


def test_keep_bytes_stays_and_max_bytes_caps_a_lagging_standby(tmp_path: Path) -> None:
    role = _role(tmp_path, keep_bytes=1 << 30, max_bytes=1 << 31)
    _write(role, 10)
    assert role.recycle_wal() == 0  # everything is within keep_bytes
    role.config.keep_bytes, role.config.max_bytes = 0, 8192
    stuck = StandbyInfo("n2", "peer", "")
    role.hub.connected(stuck)  # flushed nothing: only max_bytes limits it
    assert role.recycle_wal() > 0
    wal = role.journal.wal
    assert wal.end_lsn - wal.start_lsn < 8192 + 2 * 4096 + 8192
