"""A primary that has seen a higher term writes nothing more: the journal refuses records of
the old term, the transaction rolls back (25006), and the database is left unlocked."""

from __future__ import annotations

from pathlib import Path

import pytest

from pgha.server.ha import HaConfig, HaRole
from pgha.wire.errors import PgError


def test_old_term_commit_is_refused_and_rolled_back(tmp_path: Path) -> None:
    role = HaRole(HaConfig(node_id="n1", mode="primary"), tmp_path, durable=False)
    session = role.engine.open_session()

    def run(sql: str) -> object:
        result = None
        for stmt in session.parse(sql):
            result = session.execute(stmt)
        return result

    run("CREATE TABLE t (k int PRIMARY KEY)")
    run("INSERT INTO t VALUES (1)")
    assert role.journal.observe_term(2)  # a peer was promoted; no event loop: no step-down
    with pytest.raises(PgError) as info:
        run("INSERT INTO t VALUES (2)")
    assert info.value.sqlstate == "25006"
    other = role.engine.connect()
    other.execute("BEGIN IMMEDIATE")  # the refused transaction released the write lock
    other.execute("ROLLBACK")
    rows = run("SELECT k FROM t")
    assert [r[0] for r in rows.rows] == [1]  # type: ignore[attr-defined]
    assert role.journal.state.term == 2
    assert role.journal.wal.last_term == 1
