"""Routing benchmark: pgbench -S through `pgha proxy` against the same read load sent straight
to one node, and the cost of read-your-writes for sessions that write then read.

One run: a 3-node pgha cluster (n1 primary, n2 and n3 standbys, async, fsync on) and a
`pgha proxy` in front of it, all on 127.0.0.1; `pgbench -i -s 1` through the proxy. Then, for
--rounds rounds of --duration seconds each (order reversed every other round), medians of:

1. `pgbench -S -M prepared -c CLIENTS` through the proxy (reads spread over n2 and n3) and
   straight to n2 (one standby, no proxy): the ratio proxy / direct;
2. a write-then-read script (UPDATE one account, then SELECT it) through the proxy, with
   read-your-writes as it is (the read goes to a standby that must have applied the update,
   else waits or runs on the primary) and with the session routed to the primary for
   everything (`pgha.route=primary`, no freshness to wait for): the ratio is what
   read-your-writes costs, and the standbys' ryw counters say how often reads waited or fell
   back.

The cost of one routing decision is measured apart, by benchmarks/routing.py.

    python benchmarks/proxy.py [--duration S] [--rounds N] [--clients N]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import pgbench_compare as pc
import replication as repl

WRITE_THEN_READ = """\\set aid random(1, 100000 * :scale)
\\set delta random(-5000, 5000)
UPDATE pgbench_accounts SET abalance = abalance + :delta WHERE aid = :aid;
SELECT abalance FROM pgbench_accounts WHERE aid = :aid;
"""


@contextlib.contextmanager
def proxy_for(nodes: list[repl.Node]) -> Iterator[pc.Server]:
    home = Path(tempfile.mkdtemp(prefix="pgha-bench-proxy-"))
    ready = home / "ready.json"
    argv = [sys.executable, "-m", "pgha", "proxy", "--listen", "127.0.0.1:0",
            "--ready-file", str(ready)]
    for node in nodes:
        server = node.running()
        argv += ["--node", f"{server.host}:{server.port}"]
    log_path = home / "proxy.log"
    with log_path.open("ab") as out:
        process = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, start_new_session=True,
                                   env={**os.environ, "PYTHONUNBUFFERED": "1"})
    server = pc.Server("pgha proxy", "127.0.0.1", 0, home, process=process, log_path=log_path)
    try:
        deadline = time.monotonic() + 30
        while not ready.exists():
            if process.poll() is not None or time.monotonic() > deadline:
                raise pc.BenchmarkError(f"proxy did not start:\n{server.log_tail()}")
            time.sleep(0.05)
        server.port = int(json.loads(ready.read_text())["port"])
        yield server
    finally:
        server.stop()


def pgbench(server: pc.Server, args: list[str], duration: float,
            options: str = "") -> pc.Outcome:
    argv = ["pgbench", "-n", *args, "-j", "1", "-T", str(int(duration)), *server.pgbench_conn()]
    env = {**os.environ, "PGOPTIONS": options}
    result = subprocess.run(argv, capture_output=True, text=True, timeout=duration + 120,
                            env=env)
    match = pc.TPS_RE.search(result.stdout)
    if result.returncode != 0 or match is None:
        tail = (result.stderr.strip().splitlines() or ["no output"])[-1]
        return pc.Outcome(None, f"exit {result.returncode}: {tail}"[:200])
    return pc.Outcome(float(match.group(1)))


def median(values: list[pc.Outcome]) -> str:
    tps = [o.tps for o in values if o.tps is not None]
    if not tps:
        return f"failed: {values[0].error if values else 'no run'}"
    return f"{statistics.median(tps):.0f}"


def ratio(a: list[pc.Outcome], b: list[pc.Outcome]) -> str:
    pairs = [x.tps / y.tps for x, y in zip(a, b, strict=False) if x.tps and y.tps]
    if not pairs:
        return "n/a"
    return f"{statistics.median(pairs):.2f} (rounds {min(pairs):.2f}-{max(pairs):.2f})"


def ryw_counters(standbys: list[pc.Server]) -> tuple[int, float, int]:
    waits, seconds, fallbacks = 0, 0.0, 0
    for server in standbys:
        with repl.connect(server) as conn:
            row = repl.one_row(conn, "select ryw_waits, ryw_wait_seconds, ryw_fallbacks "
                                     "from pg_replication_metrics")
        waits, seconds, fallbacks = waits + row[0], seconds + row[1], fallbacks + row[2]
    return waits, seconds, fallbacks


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--clients", type=int, default=4)
    args = parser.parse_args()
    script = Path(tempfile.mkdtemp(prefix="pgha-bench-script-")) / "write_then_read.sql"
    script.write_text(WRITE_THEN_READ)
    clients = ["-c", str(args.clients)]
    with repl.pgha_cluster(3) as nodes, proxy_for(nodes) as proxy:
        primary, standbys = nodes[0].running(), [n.running() for n in nodes[1:]]
        pc.pgbench_init(proxy, 1)
        repl.wait_standbys(primary, standbys)
        cases = {
            "-S via proxy": (proxy, ["-S", "-M", "prepared", *clients], ""),
            "-S straight to n2": (standbys[0], ["-S", "-M", "prepared", *clients], ""),
            "write+read via proxy, read-your-writes": (
                proxy, ["-f", str(script), "-M", "prepared", *clients], ""),
            "write+read via proxy, all on the primary": (
                proxy, ["-f", str(script), "-M", "prepared", *clients],
                "-c pgha.route=primary"),
        }
        runs: dict[str, list[pc.Outcome]] = {name: [] for name in cases}
        before = ryw_counters(standbys)
        for round_no in range(args.rounds):
            names = list(cases) if round_no % 2 == 0 else list(reversed(cases))
            for name in names:
                server, pgbench_args, options = cases[name]
                runs[name].append(pgbench(server, pgbench_args, args.duration, options))
                print(f"round {round_no + 1}: {name}: {runs[name][-1]}", file=sys.stderr)
        after = ryw_counters(standbys)
        lines = [f"- {line}" for line in pc.machine_lines(None, None)]
        print("\n".join(lines))
        print(f"- {args.rounds} rounds x {args.duration:.0f} s, {args.clients} clients, "
              "-M prepared, scale 1; medians of tps\n")
        print("| case | tps | ratio |")
        print("|---|---|---|")
        s_proxy, s_direct = runs["-S via proxy"], runs["-S straight to n2"]
        w_ryw = runs["write+read via proxy, read-your-writes"]
        w_primary = runs["write+read via proxy, all on the primary"]
        print(f"| -S via proxy (reads on n2 and n3) | {median(s_proxy)} | "
              f"{ratio(s_proxy, s_direct)} of direct |")
        print(f"| -S straight to n2 | {median(s_direct)} | 1.00 |")
        print(f"| write+read via proxy, read-your-writes | {median(w_ryw)} | "
              f"{ratio(w_ryw, w_primary)} of all-primary |")
        print(f"| write+read via proxy, all on the primary | {median(w_primary)} | 1.00 |")
        waits = after[0] - before[0]
        print(f"\nread-your-writes on the standbys during the runs: {waits} reads waited "
              f"({after[1] - before[1]:.2f} s in all), {after[2] - before[2]} fell back to "
              "the primary")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
