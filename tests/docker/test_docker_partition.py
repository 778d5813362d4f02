"""`docker network disconnect` of the primary's container from the compose network, under two
writers: one through the proxy, one inside the isolated primary's own container (over its own
network stack, so it keeps reaching that node).

While it is cut off, the old primary must stop acknowledging writes (its lease runs out), the
others elect a new primary, and writes go on through the proxy. A poller in every container
asks its node's /primary every 100 ms: no two nodes may answer 200 (writable) at the same
time. Once connected again, the old primary rejoins as a standby; every acknowledged row, of
either writer, is on every node.
"""

from __future__ import annotations

import time

import psycopg
import pytest
from docker_cluster import (
    NODES,
    ComposeCluster,
    ExecStream,
    ProxyWriter,
    log,
    overlapping,
    wait_for,
    writable_spans,
)

pytestmark = pytest.mark.timeout(900)

ELECTION_LIMIT = 10.0  # seconds from the cut to a new writable primary
LEASE_LIMIT = 3.0  # seconds from the cut after which the isolated primary acknowledges nothing
DIRECT_FIRST_ID = 1_000_000  # ids of the writer inside the isolated container


def test_partition_the_primary(compose_cluster: ComposeCluster) -> None:
    cluster = compose_cluster
    old = cluster.wait_ready()
    others = [n for n in NODES if n != old]
    with psycopg.connect(cluster.dsn("proxy"), autocommit=True) as conn:
        conn.execute("create table part_rows (id int primary key, src text)")
    pollers = {n: ExecStream(cluster, n, "poll", "/primary", "0.1") for n in NODES}
    direct = ExecStream(cluster, old, "write", "part_rows", str(DIRECT_FIRST_ID), "direct")
    writer = ProxyWriter(cluster.dsn("proxy"), "part_rows")
    writer.start()
    cut_at = healed_at = 0.0
    try:
        wait_for(lambda: len(writer.acked) >= 30 and _acked(direct) >= 10,
                 "writes acknowledged through the proxy and on the primary", timeout=30)
        ip = cluster.ip(old)
        cut_at = time.time()
        cluster.disconnect(old)
        log(f"disconnected {old} ({ip}) from {cluster.network}")

        def new_primary() -> str | None:
            return next((n for n in others if _last_status(pollers[n]) == 200), None)

        new = wait_for(new_primary, "a new primary", timeout=30, interval=0.05)
        elected_in = time.time() - cut_at
        log(f"{new} is primary {elected_in:.1f} s after the cut")
        assert elected_in < ELECTION_LIMIT, f"{new} became primary {elected_in:.1f} s after"
        wait_for(lambda: writer.acked_after(cut_at + elected_in) >= 30,
                 "30 writes acknowledged through the proxy after the election", timeout=30)
        # The isolated node has given up being writable, and stays so while cut off.
        wait_for(lambda: _last_status(pollers[old]) == 503,
                 f"{old}'s /primary to say 503 while cut off", timeout=10, interval=0.1)
        stepped = next(line["r"] for line in pollers[old].lines
                       if line["s"] > cut_at and line["status"] != 200)
        log(f"{old}'s /primary says 503 {stepped - cut_at:.1f} s after the cut; longest pause "
            f"between writes acknowledged through the proxy {writer.longest_pause(cut_at):.1f} s")
        time.sleep(1.0)  # a little longer apart: no late acknowledgement may show up
        healed_at = time.time()
        cluster.connect(old)
        log(f"connected {old} again")
        assert cluster.ip(old) == ip, (
            f"{old} came back with another address ({cluster.ip(old)}, was {ip}): the node "
            "is bound to its hostname's address, see docker-compose.yml")
        wait_for(lambda: _last_status(pollers[old]) == 503 and
                 cluster.status(old, "/replica") == 200,
                 f"{old} to rejoin as a streaming standby", timeout=60, interval=0.5)
        wait_for(lambda: writer.acked_after(healed_at) >= 10 and
                 _acked(direct, after=healed_at) >= 5,
                 "writes acknowledged after the rejoin", timeout=30)
    finally:
        writer.stop()
        direct_errors = direct.close()
        poller_errors = {n: p.close() for n, p in pollers.items()}
        cluster.heal()
    assert not direct_errors.strip(), direct_errors
    assert not any(e.strip() for e in poller_errors.values()), poller_errors

    samples = {n: p.lines for n, p in pollers.items()}
    assert all(len(lines) > 50 for lines in samples.values()), \
        {n: len(lines) for n, lines in samples.items()}
    spans = writable_spans(samples)
    log("writable: " + ", ".join(f"{s.node} {s.start - cut_at:+.2f}..{s.end - cut_at:+.2f} s"
                                 for s in sorted(spans, key=lambda s: s.start)))
    both = overlapping(spans)
    assert not both, f"two nodes writable at once: {both[:5]}"

    direct_acked = [line for line in direct.lines if line["ok"]]
    late = [line for line in direct_acked if cut_at + LEASE_LIMIT < line["r"] < healed_at]
    assert not late, f"the isolated {old} acknowledged writes after its lease: {late[:5]}"

    acked = {row_id for row_id, _ in writer.acked} | {line["id"] for line in direct_acked}
    ids = cluster.wait_same_rows("part_rows")
    lost = acked - ids
    assert not lost, f"acknowledged rows lost: {sorted(lost)[:20]}"
    assert cluster.wait_ready() == new
    log(f"{len(writer.acked)} writes through the proxy and {len(direct_acked)} on {old} "
        f"acknowledged; not: {writer.failed[:3]} and "
        f"{[line for line in direct.lines if not line['ok']][:3]}")


def _last_status(stream: ExecStream) -> int | None:
    return stream.lines[-1]["status"] if stream.lines else None


def _acked(stream: ExecStream, after: float = 0.0) -> int:
    return sum(1 for line in stream.lines if line["ok"] and line["r"] > after)

