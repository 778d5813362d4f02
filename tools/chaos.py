"""Chaos runner: randomised fault runs against a real 3-node pgha cluster under write load.

    python tools/chaos.py --sync-mode sync --runs 200 [--seed 1] [--json out.json]

One cluster (three `pgha server` processes on 127.0.0.1, all voters) lives through every run.
Writer tasks insert unique keys through every node (standbys forward writes to the primary) and
record each insert as acknowledged (with the term of the primary that ran it), failed (refused,
or never reached a node) or indeterminate (the connection died or timed out while it ran). Each
run injects one fault on a random node (kill -9 of the primary or of a standby, SIGSTOP of
the primary or of a standby for 0.3-3 s, two kills in a row), heals it (restart as a standby,
SIGCONT), waits until one primary leads every node, then checks:

- lost: acknowledged keys missing from the primary's final read (must be 0 in sync/quorum);
- stale acks (dual-primary windows): acknowledgements by a primary of an older term after a
  newer term had acknowledged one (must be 0);
- divergence: nodes whose table differs from the primary's once caught up (must be 0).

It prints one line per run and a summary: runs, acknowledged, lost, indeterminate (and how many
of those landed), stale acks, divergent runs, failovers and write outages. Only 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import itertools
import json
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg

QUERY_TIMEOUT = 2.0  # a frozen node never answers: give up on a statement after this
# What a statement against a failing node may raise (InternalClientError: asyncpg's state
# after a timeout interrupted an operation).
CLIENT_ERRORS = (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError,
                 asyncpg.exceptions.InternalClientError)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Node:
    name: str
    data: Path
    repl_port: int
    log: Path
    ready: Path
    argv: list[str] = field(default_factory=list)
    proc: subprocess.Popen[bytes] | None = None
    port: int = 0
    paused: bool = False

    @property
    def up(self) -> bool:
        return self.proc is not None and self.proc.poll() is None


class Cluster:
    """N pgha nodes that list each other, started from this checkout's sources."""

    def __init__(self, root: Path, sync_mode: str, size: int = 3,
                 extra: tuple[str, ...] = ()) -> None:
        self.root = root
        repl = [free_port() for _ in range(size)]
        clients = [free_port() for _ in range(size)]  # fixed: a proxy knows them
        peers = ",".join(f"127.0.0.1:{p}" for p in repl)
        self.nodes = []
        for i in range(size):
            name = f"n{i + 1}"
            node = Node(name, root / name, repl[i], root / f"{name}.log",
                        root / f"{name}.ready")
            node.argv = [sys.executable, "-m", "pgha", "server", "--data", str(node.data),
                         "--listen", f"127.0.0.1:{clients[i]}", "--node-id", name,
                         "--ha-mode", "primary" if i == 0 else "standby",
                         "--ha-bind", f"127.0.0.1:{repl[i]}", "--ha-primary", peers,
                         "--sync-mode", sync_mode, "--ready-file", str(node.ready), *extra]
            self.nodes.append(node)
        self.env = {**os.environ, "PGHA_CLUSTER_SECRET": "chaos", "PYTHONUNBUFFERED": "1"}

    def start(self, node: Node, timeout: float = 60) -> None:
        node.ready.unlink(missing_ok=True)
        with open(node.log, "ab") as out:
            node.proc = subprocess.Popen(node.argv, stdout=out, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, env=self.env,
                                         start_new_session=True)
        node.paused = False
        deadline = time.monotonic() + timeout
        while not node.ready.exists():
            if node.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{node.name} did not start; see {node.log}")
            time.sleep(0.02)
        node.port = int(json.loads(node.ready.read_text())["port"])
        if "--ha-mode" in node.argv:  # restarts come back as standbys
            node.argv[node.argv.index("--ha-mode") + 1] = "standby"

    def start_all(self) -> None:
        for node in self.nodes:
            self.start(node)

    def signal(self, node: Node, sig: int) -> None:
        if node.up:
            assert node.proc is not None
            node.proc.send_signal(sig)
            if sig == signal.SIGKILL:
                node.proc.wait(10)
            node.paused = sig == signal.SIGSTOP

    def stop_all(self) -> None:
        for node in self.nodes:
            if node.up:
                assert node.proc is not None
                node.proc.send_signal(signal.SIGCONT)
                node.proc.terminate()
        for node in self.nodes:
            if node.proc is not None:
                try:
                    node.proc.wait(15)
                except subprocess.TimeoutExpired:
                    node.proc.kill()


async def query(node: Node, sql: str, *args: Any) -> list[Any]:
    """Rows of ``sql`` on ``node`` (raises on any failure, also a frozen node's silence)."""
    conn = await asyncpg.connect(host="127.0.0.1", port=node.port, user="postgres",
                                 database="postgres", timeout=QUERY_TIMEOUT)
    try:
        return list(await conn.fetch(sql, *args, timeout=QUERY_TIMEOUT))
    finally:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(conn.close(), 1)


async def status(node: Node) -> tuple[str, int] | None:
    if not node.up or node.paused:
        return None
    try:
        row = (await query(node, "SELECT role, term FROM pg_replication_status"))[0]
        return str(row[0]), int(row[1])
    except CLIENT_ERRORS:
        return None


@dataclass
class Ledger:
    acked: dict[int, tuple[int, float]] = field(default_factory=dict)  # key -> (term, when)
    unknown: set[int] = field(default_factory=set)
    failed: int = 0
    next_key: int = 0
    newest_term_acked: int = 0
    stale_acks: int = 0
    writing: int = 0  # writers between connecting and pausing (see ``quiesce``)

    def newest_term_acked_at(self, moment: float) -> int:
        return max((term for term, t in self.acked.values() if t <= moment), default=0)

    def key(self) -> int:
        self.next_key += 1
        return self.next_key

    def ack(self, key: int, term: int) -> None:
        if term < self.newest_term_acked:
            self.stale_acks += 1  # an older primary acknowledged after a newer one did
        self.newest_term_acked = max(self.newest_term_acked, term)
        self.acked[key] = (term, time.monotonic())


async def writer(cluster: Cluster, ledger: Ledger, index: int, stop: asyncio.Event,
                 go: asyncio.Event) -> None:
    turn = index
    while not stop.is_set():
        await go.wait()
        node = cluster.nodes[turn % len(cluster.nodes)]
        turn += 1
        if not node.up or node.paused:
            await asyncio.sleep(0.01)
            continue
        try:
            conn = await asyncpg.connect(host="127.0.0.1", port=node.port, user="postgres",
                                         database="postgres", timeout=QUERY_TIMEOUT)
        except CLIENT_ERRORS:
            await asyncio.sleep(0.02)
            continue
        ledger.writing += 1
        try:
            while not stop.is_set():
                if not go.is_set():
                    ledger.writing -= 1
                    await go.wait()
                    ledger.writing += 1
                key = ledger.key()
                try:
                    term = await conn.fetchval(
                        "INSERT INTO chaos VALUES ($1, $2) RETURNING "
                        "(SELECT term FROM pg_replication_status)", key, index,
                        timeout=QUERY_TIMEOUT)
                except asyncpg.PostgresError as exc:
                    if exc.sqlstate and exc.sqlstate.startswith(("08", "57")):
                        ledger.unknown.add(key)  # the node stepped down or lost its primary
                    else:
                        ledger.failed += 1
                    break
                except (OSError, TimeoutError, asyncpg.InterfaceError,
                        asyncpg.exceptions.InternalClientError):
                    ledger.unknown.add(key)
                    break
                ledger.ack(key, int(term))
        finally:
            ledger.writing -= 1
            conn.terminate()


FAULTS = ("kill-primary", "kill-standby", "pause-primary", "pause-standby", "kill-two")


async def one_primary(cluster: Cluster, timeout: float) -> Node | None:
    """The node every live node agrees is the primary (one primary, the highest term)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        states = {n.name: await status(n) for n in cluster.nodes if n.up}
        primaries = [n for n in cluster.nodes
                     if (state := states.get(n.name)) is not None and state[0] == "primary"]
        terms = {s[1] for s in states.values() if s is not None}
        if len(primaries) == 1 and all(s is not None for s in states.values()) and \
                len(terms) == 1:
            return primaries[0]
        await asyncio.sleep(0.05)
    return None


async def caught_up(cluster: Cluster, primary: Node, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            target = (await query(primary, "SELECT current_lsn FROM pg_replication_status"))[0][0]
            lsns = [(await query(n, "SELECT local_lsn FROM pg_replication_primary"))[0][0]
                    for n in cluster.nodes if n is not primary]
            if all(lsn == target for lsn in lsns):
                return True
        except (*CLIENT_ERRORS, IndexError):
            pass
        await asyncio.sleep(0.1)
    return False


async def quiesce(ledger: Ledger, go: asyncio.Event) -> None:
    """Hold the writers (each finishes the insert it is in) so every node can be compared."""
    go.clear()
    deadline = time.monotonic() + QUERY_TIMEOUT * 2
    while ledger.writing > 0 and time.monotonic() < deadline:
        await asyncio.sleep(0.01)


async def digest(node: Node) -> str:
    rows = await query(node, "SELECT k, w FROM chaos ORDER BY k")
    return hashlib.sha256(repr([tuple(r) for r in rows]).encode()).hexdigest()


async def inject(cluster: Cluster, fault: str, rng: random.Random) -> tuple[str, float]:
    """Inject ``fault``, heal it; returns (what was done, when the fault started)."""
    primary = await one_primary(cluster, 10)
    standbys = [n for n in cluster.nodes if n is not primary]
    target = primary if fault.endswith("primary") or fault == "kill-two" else \
        rng.choice(standbys)
    if target is None:
        target = rng.choice(cluster.nodes)
    started = time.monotonic()
    if fault.startswith("kill"):
        cluster.signal(target, signal.SIGKILL)
        await asyncio.sleep(rng.uniform(0.2, 2.0))
        if fault == "kill-two":
            # The new primary dies too, right after taking over.
            second = await one_primary(cluster, 5)
            if second is not None:
                cluster.signal(second, signal.SIGKILL)
                await asyncio.sleep(rng.uniform(0.2, 1.0))
                await asyncio.to_thread(cluster.start, second)
        await asyncio.to_thread(cluster.start, target)
        return f"{fault} {target.name}", started
    pause = rng.uniform(0.3, 3.0)
    cluster.signal(target, signal.SIGSTOP)
    await asyncio.sleep(pause)
    cluster.signal(target, signal.SIGCONT)
    return f"{fault} {target.name} {pause:.1f}s", started


async def run(args: argparse.Namespace) -> dict[str, Any]:
    rng = random.Random(args.seed)
    root = Path(tempfile.mkdtemp(prefix="pgha-chaos-"))
    cluster = Cluster(root, args.sync_mode)
    ledger = Ledger()
    stop = asyncio.Event()
    go = asyncio.Event()
    go.set()
    summary: dict[str, Any] = {"sync_mode": args.sync_mode, "runs": 0, "divergent_runs": 0,
                               "failovers": 0, "outages_s": [], "unsettled_runs": 0}
    try:
        await asyncio.to_thread(cluster.start_all)
        await query(cluster.nodes[0], "CREATE TABLE chaos (k int PRIMARY KEY, w int)")
        tasks = [asyncio.create_task(writer(cluster, ledger, i, stop, go))
                 for i in range(args.writers)]
        for number in range(1, args.runs + 1):
            before = await one_primary(cluster, 30)
            fault = rng.choice(FAULTS)
            what, started = await inject(cluster, fault, rng)
            primary = await one_primary(cluster, 30)
            await asyncio.sleep(rng.uniform(0.2, 1.0))  # writes go on after the heal
            await quiesce(ledger, go)
            primary = await one_primary(cluster, 30)
            ok = primary is not None and await caught_up(cluster, primary, 60)
            if not ok or primary is None:
                go.set()
                summary["unsettled_runs"] += 1
                print(f"run {number}: {what}: the cluster did not settle", flush=True)
                continue
            # The outage: from the fault until a primary of a newer term acknowledges a
            # write (a failover), or the longest gap between acknowledgements (otherwise).
            old_term = ledger.newest_term_acked_at(started)
            newer = [t for term, t in ledger.acked.values() if t > started and term > old_term]
            outage: float | None
            if before is not None and primary is not before:
                summary["failovers"] += 1
                outage = min(newer) - started if newer else None
                if outage is not None and fault.endswith("primary"):
                    summary["outages_s"].append(outage)
            else:
                times = sorted([started] + [t for _, t in ledger.acked.values() if t > started])
                outage = max((b - a for a, b in itertools.pairwise(times)), default=None)
            digests = {n.name: await digest(n) for n in cluster.nodes}
            go.set()
            divergent = len(set(digests.values())) != 1
            summary["divergent_runs"] += divergent
            summary["runs"] = number
            print(f"run {number}: {what}: primary {primary.name}, acked {len(ledger.acked)}, "
                  f"outage {outage if outage is None else round(outage, 2)}"
                  f"{', DIVERGED' if divergent else ''}", flush=True)
        stop.set()
        go.set()
        await asyncio.gather(*tasks)
        primary = await one_primary(cluster, 30)
        assert primary is not None, "no primary at the end"
        await caught_up(cluster, primary, 60)
        keys = {r[0] for r in await query(primary, "SELECT k FROM chaos")}
        lost = sorted(set(ledger.acked) - keys)
        outages = summary.pop("outages_s")
        summary.update(
            acknowledged=len(ledger.acked), lost=len(lost), lost_keys=lost[:20],
            indeterminate=len(ledger.unknown),
            indeterminate_landed=len(ledger.unknown & keys), failed=ledger.failed,
            stale_acks=ledger.stale_acks,
            outage_median_s=round(statistics.median(outages), 3) if outages else None,
            outage_max_s=round(max(outages), 3) if outages else None,
            outages_measured=len(outages))
        return summary
    finally:
        stop.set()
        cluster.stop_all()
        if args.keep:
            print(f"logs kept in {root}", file=sys.stderr)
        else:
            shutil.rmtree(root, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sync-mode", default="sync",
                        choices=("async", "semi-sync", "sync", "quorum"))
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--writers", type=int, default=4)
    parser.add_argument("--json", type=Path, default=None, help="write the summary here too")
    parser.add_argument("--keep", action="store_true", help="keep the nodes' data and logs")
    args = parser.parse_args()
    summary = asyncio.run(run(args))
    print(json.dumps(summary, indent=2))
    if args.json is not None:
        args.json.write_text(json.dumps(summary, indent=2) + "\n")
    bad = summary["lost"] and args.sync_mode in ("sync", "quorum")
    return 1 if bad or summary["stale_acks"] or summary["divergent_runs"] else 0


if __name__ == "__main__":
    sys.exit(main())
