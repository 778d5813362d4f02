"""Failover benchmark: how long writes through `pgha proxy` stop when the primary dies, when a
standby is promoted by hand (switchover), and whether steady load causes false failovers.

A 3-node pgha cluster (`--sync-mode sync`, fsync on) and a proxy, from this checkout's sources,
on 127.0.0.1; the cluster harness is tools/chaos.py's. One writer inserts through the proxy
(asyncpg, each statement bounded to 2 s, reconnecting at once after an error).

1. Failover: --runs times, kill -9 of the primary; the outage is from the kill to the first
   write acknowledged through the proxy by the new primary (a newer term). The killed node is
   restarted (it rejoins as a standby) and the cluster settles before the next run.
2. Switchover: --runs times, `SELECT pg_promote()` on a standby; the outage is the longest gap
   between acknowledged writes from the call until the new primary acknowledges one.
3. False failovers: --steady-seconds of the same write load plus 4 reader tasks through the
   proxy, nothing injected; counts terms that began meanwhile.

    python benchmarks/failover.py [--runs 20] [--steady-seconds 600]

Prints a markdown report (medians and maxima).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import asyncpg

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
from chaos import CLIENT_ERRORS, Cluster, Node, one_primary, query

TIMEOUT = 2.0


class Proxy:
    def __init__(self, root: Path, cluster: Cluster) -> None:
        self.ready = root / "proxy.ready"
        nodes = [a for n in cluster.nodes for a in ("--node", f"127.0.0.1:{n.port}")]
        with open(root / "proxy.log", "ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "pgha", "proxy", "--listen", "127.0.0.1:0", *nodes,
                 "--ready-file", str(self.ready)], stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True, env=cluster.env)
        while not self.ready.exists():
            assert self.proc.poll() is None, "the proxy did not start"
            time.sleep(0.02)
        self.port = int(json.loads(self.ready.read_text())["port"])

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


class Load:
    """Writes (and optionally reads) through the proxy; records (term, time) of each ack."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.acks: list[tuple[int, float]] = []
        self.reads = 0
        self.stop = asyncio.Event()

    async def _connect(self) -> asyncpg.Connection:
        return await asyncpg.connect(host="127.0.0.1", port=self.port, user="postgres",
                                     database="postgres", timeout=TIMEOUT)

    async def write(self) -> None:
        key = 0
        while not self.stop.is_set():
            try:
                conn = await self._connect()
            except CLIENT_ERRORS:
                await asyncio.sleep(0.005)
                continue
            try:
                while not self.stop.is_set():
                    key += 1
                    term = await conn.fetchval(
                        "INSERT INTO bench VALUES ($1) RETURNING "
                        "(SELECT term FROM pg_replication_status)", key, timeout=TIMEOUT)
                    self.acks.append((int(term), time.monotonic()))
            except CLIENT_ERRORS:
                pass
            finally:
                conn.terminate()

    async def read(self) -> None:
        while not self.stop.is_set():
            try:
                conn = await self._connect()
                try:
                    while not self.stop.is_set():
                        await conn.fetchval("SELECT count(*) FROM bench", timeout=TIMEOUT)
                        self.reads += 1
                finally:
                    conn.terminate()
            except CLIENT_ERRORS:
                await asyncio.sleep(0.01)

    def first_ack(self, after: float, newer_than: int) -> float | None:
        later = [t for term, t in self.acks if t > after and term > newer_than]
        return min(later) - after if later else None

    def longest_gap(self, start: float, end: float) -> float:
        times = [start] + [t for _, t in self.acks if start < t <= end] + [end]
        return max(b - a for a, b in itertools.pairwise(times))


async def term_of(node: Node) -> int:
    for _ in range(10):  # a node under load may miss one 2 s deadline
        with contextlib.suppress(*CLIENT_ERRORS):
            return int((await query(node, "SELECT term FROM pg_replication_status"))[0][0])
        await asyncio.sleep(0.2)
    raise RuntimeError(f"{node.name} does not answer")


async def settle(cluster: Cluster, load: Load) -> Node:
    primary = await one_primary(cluster, 60)
    assert primary is not None, "the cluster did not settle"
    count = len(load.acks)
    deadline = time.monotonic() + 30
    while len(load.acks) < count + 20:
        assert time.monotonic() < deadline, "no writes after settling"
        await asyncio.sleep(0.05)
    return primary


async def failovers(cluster: Cluster, load: Load, runs: int) -> list[float]:
    outages = []
    for number in range(runs):
        primary = await settle(cluster, load)
        term = await term_of(primary)
        await asyncio.sleep(0.5)
        killed = time.monotonic()
        cluster.signal(primary, signal.SIGKILL)
        while (outage := load.first_ack(killed, term)) is None:
            assert time.monotonic() - killed < 60, "no write acknowledged after the kill"
            await asyncio.sleep(0.01)
        outages.append(outage)
        print(f"failover {number + 1}: {outage:.3f} s", file=sys.stderr, flush=True)
        await asyncio.to_thread(cluster.start, primary)
    return outages


async def switchovers(cluster: Cluster, load: Load, runs: int) -> list[float]:
    outages = []
    for number in range(runs):
        primary = await settle(cluster, load)
        term = await term_of(primary)
        await asyncio.sleep(0.5)
        standby = next(n for n in cluster.nodes if n is not primary)
        started = time.monotonic()
        conn = await asyncpg.connect(host="127.0.0.1", port=standby.port, user="postgres",
                                     database="postgres", timeout=TIMEOUT)
        try:  # pg_promote() may retry for up to its wait_seconds
            await conn.fetchval("SELECT pg_promote(true, 10)", timeout=15)
        except asyncpg.PostgresError as exc:
            print(f"switchover {number + 1}: {exc}", file=sys.stderr, flush=True)
        finally:
            await conn.close()
        while load.first_ack(started, term) is None:
            assert time.monotonic() - started < 60, "no write acknowledged after the switch"
            await asyncio.sleep(0.01)
        end = started + (load.first_ack(started, term) or 0)
        outage = load.longest_gap(started, end)
        outages.append(outage)
        print(f"switchover {number + 1}: {outage:.3f} s", file=sys.stderr, flush=True)
    return outages


async def steady(cluster: Cluster, load: Load, seconds: float) -> tuple[int, int, int]:
    primary = await settle(cluster, load)
    before = await term_of(primary)
    readers = [asyncio.create_task(load.read()) for _ in range(4)]
    count, reads = len(load.acks), load.reads
    await asyncio.sleep(seconds)
    primary = await settle(cluster, load)
    after = await term_of(primary)
    for task in readers:
        task.cancel()
    return after - before, len(load.acks) - count, load.reads - reads


async def main(args: argparse.Namespace) -> None:
    root = Path(tempfile.mkdtemp(prefix="pgha-failover-bench-"))
    cluster = Cluster(root, "sync")
    proxy: Proxy | None = None
    load: Load | None = None
    try:
        await asyncio.to_thread(cluster.start_all)
        await query(cluster.nodes[0], "CREATE TABLE bench (k int PRIMARY KEY)")
        proxy = Proxy(root, cluster)
        load = Load(proxy.port)
        writer = asyncio.create_task(load.write())
        fo = await failovers(cluster, load, args.runs)
        so = await switchovers(cluster, load, args.runs)
        false, writes, reads = await steady(cluster, load, args.steady_seconds)
        load.stop.set()
        await writer
    finally:
        if load is not None:
            load.stop.set()
        if proxy is not None:
            proxy.stop()
        cluster.stop_all()
    print("| measurement | runs | median | max |")
    print("|---|---|---|---|")
    print(f"| write outage after kill -9 of the primary (to the first write acknowledged "
          f"through the proxy) | {len(fo)} | {statistics.median(fo):.3f} s | {max(fo):.3f} s |")
    print(f"| write pause during a switchover (pg_promote() on a standby) | {len(so)} | "
          f"{statistics.median(so):.3f} s | {max(so):.3f} s |")
    print(f"\nSteady load for {args.steady_seconds:.0f} s ({writes} writes and {reads} reads "
          f"through the proxy): {false} false failover(s).")
    print(f"\nLogs: {root}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--steady-seconds", type=float, default=600)
    asyncio.run(main(parser.parse_args()))
