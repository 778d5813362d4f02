"""`docker kill` of the primary's container under a writer through the proxy: a standby is
elected, writes resume through the proxy, no acknowledged row is lost, and the killed node,
started again, rejoins as a standby with the same rows as the others."""

from __future__ import annotations

import time

import psycopg
import pytest
from docker_cluster import NODES, ComposeCluster, ProxyWriter, log, wait_for

pytestmark = pytest.mark.timeout(900)

ELECTION_LIMIT = 10.0  # seconds from the kill to a new writable primary


def test_kill_the_primary_container(compose_cluster: ComposeCluster) -> None:
    cluster = compose_cluster
    old = cluster.wait_ready()
    with psycopg.connect(cluster.dsn("proxy"), autocommit=True) as conn:
        conn.execute("create table kill_rows (id int primary key, src text)")
    writer = ProxyWriter(cluster.dsn("proxy"), "kill_rows")
    writer.start()
    try:
        wait_for(lambda: len(writer.acked) >= 30, "30 acknowledged writes", timeout=30)
        killed_at = time.time()
        cluster.kill(old)
        log(f"killed {old}")
        others = [n for n in NODES if n != old]
        new = wait_for(lambda: next((n for n in others if cluster.status(n, "/primary") == 200),
                                    None), "a new primary", timeout=30, interval=0.1)
        elected_in = time.time() - killed_at
        log(f"{new} is primary {elected_in:.1f} s after the kill")
        assert elected_in < ELECTION_LIMIT, f"{new} became primary {elected_in:.1f} s after"
        wait_for(lambda: writer.acked_after(killed_at + elected_in) >= 30,
                 "30 writes acknowledged through the proxy after the election", timeout=30)
        log(f"longest pause between writes acknowledged through the proxy: "
            f"{writer.longest_pause(killed_at):.1f} s")
    finally:
        writer.stop()
        cluster.heal()

    acked = {row_id for row_id, _ in writer.acked}
    with psycopg.connect(cluster.dsn("proxy"), autocommit=True) as conn:
        # On the primary: a standby may not have applied the last commits yet.
        present = {r[0] for r in conn.execute("/* pgha:primary */ select id from kill_rows")}
    assert not acked - present, f"acknowledged rows lost: {sorted(acked - present)[:20]}"

    log(f"{len(writer.acked)} writes through the proxy acknowledged; not: {writer.failed[:3]}")
    cluster.start(old)
    wait_for(lambda: cluster.status(old, "/replica") == 200,
             f"{old} to rejoin as a streaming standby", timeout=90, interval=0.5)
    assert cluster.wait_ready() == new
    ids = cluster.wait_same_rows("kill_rows")
    assert acked <= ids

