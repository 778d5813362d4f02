"""The embedded node's speed, side by side with PostgreSQL 15: one node against PostgreSQL alone,
and a 3-node sync cluster against PostgreSQL with one synchronous standby.

Every server is fresh, on this machine, over TCP on 127.0.0.1, with its durable defaults (pgha
fsyncs every commit; PostgreSQL `fsync=on`). In one run:

1. **One node** (`pgha server`) against one PostgreSQL 15: `pgbench -i -s SCALE` on each (timed),
   then `pgbench -S` in the simple, extended and prepared modes, `-N -M prepared` and the default
   TPC-B script (`-M prepared`), CLIENTS clients, `--rounds` rounds of `--duration` seconds, the
   order swapped every round. For each run the server's CPU time per transaction (user + system,
   from /proc: the pgha process; PostgreSQL's postmaster with its exited backends and its
   auxiliary processes) is recorded beside the tps. `benchmarks/node_floor.py` (the floor of a
   node written in Python: pgbench's statements handed to SQLite by a minimal uvloop server, no
   fsync) runs the same cases on a copy of the node's database, as a third column.
2. **Single-client latency**: `pgbench -S -M prepared -c 1` with `--log`; p50 and p99 of the
   per-transaction latencies, both servers.
3. **Idle clients**: the node's RSS before and after 150 clients connected, ran one read and
   stayed idle.
4. **Sync cluster** (`--cluster`): a 3-node pgha cluster (primary and two standbys) with
   `pgha.sync_mode=sync` (a commit waits for both standbys), against a PostgreSQL 15 primary with
   one streaming standby (`pg_basebackup -R`, `synchronous_standby_names='*'`) with
   `synchronous_commit` = `remote_apply` and `on`; `pgbench -i` on each (timed; pgha's in sync
   mode), then `-N -M prepared` and TPC-B, as above.

Medians of the rounds and the ratios pgha / PostgreSQL; ratios of runs taken seconds apart are
what to compare on a noisy 2-core machine. The report goes to stdout, progress to stderr. Every
process it starts is stopped and every temporary directory removed on exit, also on Ctrl-C or
SIGTERM. It reuses benchmarks/pgbench_compare.py and benchmarks/replication.py.

    python benchmarks/node_speed.py [--duration 5] [--rounds 3] [--clients 8] [--scale 10]
        [--only node,latency,idle,cluster]
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))
import pgbench_compare as pc
import replication as rp

TCK = os.sysconf("SC_CLK_TCK")
NODE_CASES = (("-S", "simple"), ("-S", "extended"), ("-S", "prepared"), ("-N", "prepared"),
              ("-btpcb-like", "prepared"))
CLUSTER_CASES = (("-N", "prepared"), ("-btpcb-like", "prepared"))
SECTIONS = ("node", "latency", "idle", "cluster")
IDLE_CLIENTS = 150  # under the node's default --max-connections (200)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# -- CPU time of a server --------------------------------------------------------------------


def _stat(pid: int) -> list[str]:
    text = Path(f"/proc/{pid}/stat").read_text()
    return text[text.rindex(")") + 2:].split()  # fields from the state on (field 3)


def _ticks(fields: list[str], children: bool) -> int:
    # utime, stime (fields 14, 15) and cutime, cstime (16, 17): index = field - 3
    total = int(fields[11]) + int(fields[12])
    return total + int(fields[13]) + int(fields[14]) if children else total


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int(_stat(int(entry.name))[1]) == pid:
                    found.append(int(entry.name))
            except (OSError, ValueError, IndexError):
                continue
    return found


def server_pid(server: pc.Server) -> int:
    if server.process is not None:
        return server.process.pid
    pidfile = server.base_dir / "data" / "postmaster.pid"
    return int(pidfile.read_text().split()[0])


def cpu_snapshot(pid: int) -> dict[int, int]:
    """Clock ticks so far: the process with its reaped children (PostgreSQL's exited
    backends), and each live child on its own."""
    snap = {pid: _ticks(_stat(pid), children=True)}
    for child in _children(pid):
        try:
            snap[child] = _ticks(_stat(child), children=False)
        except (OSError, ValueError, IndexError):
            continue
    return snap


def cpu_seconds(before: dict[int, int], after: dict[int, int]) -> float:
    ticks = sum(after[p] - before.get(p, 0) for p in after)
    return ticks / TCK


# -- runs ------------------------------------------------------------------------------------


@dataclass
class Run:
    tps: float | None
    txns: int = 0
    cpu_us: float | None = None  # server CPU per transaction
    error: str = ""


@dataclass
class Target:
    label: str
    server: pc.Server
    pgoptions: str = ""
    runs: dict[tuple[str, str], list[Run]] = field(default_factory=dict)

    def median(self, case: tuple[str, str], what: Callable[[Run], float | None]) -> float | None:
        values = [v for r in self.runs.get(case, []) if (v := what(r)) is not None]
        return statistics.median(values) if values else None

    def failure(self, case: tuple[str, str]) -> str | None:
        return next((r.error for r in self.runs.get(case, []) if r.tps is None), None)


def pgbench(target: Target, workload: str, mode: str, clients: int, duration: float,
            extra: Sequence[str] = ()) -> tuple[Run, str]:
    argv = ["pgbench", "-n", workload, "-M", mode, "-c", str(clients), "-j", "2" if clients > 1
            else "1", "-T", str(int(duration)), *extra, *target.server.pgbench_conn()]
    env = {**os.environ, "PGOPTIONS": target.pgoptions}
    pid = server_pid(target.server)
    before = cpu_snapshot(pid)
    try:
        result = subprocess.run(argv, capture_output=True, text=True, timeout=duration + 120,
                                env=env, check=False, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return Run(None, error="pgbench did not finish in time"), ""
    used = cpu_seconds(before, cpu_snapshot(pid))
    out = result.stdout + "\n" + result.stderr
    match = pc.TPS_RE.search(result.stdout)
    errors = [line.strip() for line in out.splitlines()
              if pc.ERROR_RE.search(line) and not pc.BENIGN_RE.match(line.strip())]
    if result.returncode != 0 or errors or match is None:
        first = errors[0] if errors else (out.strip().splitlines() or ["no output"])[-1]
        return Run(None, error=f"exit {result.returncode}: {first}"[:200]), out
    txns = next((int(line.split(":")[1].split("/")[0]) for line in out.splitlines()
                 if line.startswith("number of transactions actually processed")), 0)
    return Run(float(match.group(1)), txns, used / txns * 1e6 if txns else None), out


def run_rounds(targets: Sequence[Target], cases: Sequence[tuple[str, str]], clients: int,
               rounds: int, duration: float) -> None:
    for case in cases:
        for index in range(rounds):
            order = targets if index % 2 == 0 else list(reversed(targets))
            for target in order:
                run, _ = pgbench(target, case[0], case[1], clients, duration)
                target.runs.setdefault(case, []).append(run)
                shown = (f"{run.tps:.0f} tps, {run.cpu_us:.0f} µs CPU/txn" if run.tps
                         else f"failed: {run.error}")
                log(f"[{case_name(case)}] round {index + 1} {target.label}: {shown}")


def case_name(case: tuple[str, str]) -> str:
    workload = "TPC-B" if case[0] == "-btpcb-like" else case[0]
    return f"{workload} {case[1]}"


def table(targets: Sequence[Target], cases: Sequence[tuple[str, str]]) -> list[str]:
    """One row per case: each target's median tps and CPU per transaction, and the ratios
    of the first target (pgha) to each of the others."""
    head = ["workload"] + [f"{t.label} tps" for t in targets]
    head += [f"{t.label} CPU µs/txn" for t in targets]
    head += [f"{targets[0].label} / {t.label}" for t in targets[1:]]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for case in cases:
        row = [case_name(case)]
        tps = []
        for t in targets:
            failure = t.failure(case)
            value = t.median(case, lambda r: r.tps)
            tps.append(value if failure is None else None)
            row.append(f"{value:.0f}" if failure is None and value else f"failed: {failure}")
        for t in targets:
            cpu = t.median(case, lambda r: r.cpu_us)
            row.append(f"{cpu:.0f}" if cpu else "-")
        for value in tps[1:]:
            row.append(f"{tps[0] / value:.2f}" if tps[0] and value else "-")
        lines.append("| " + " | ".join(row) + " |")
    return lines


def latency(target: Target, duration: float) -> str:
    """p50 / p99 ms of single-client `-S -M prepared` (pgbench --log)."""
    with tempfile.TemporaryDirectory(prefix="pgha-bench-lat-") as tmp:
        prefix = str(Path(tmp) / "lat")
        run, _ = pgbench(target, "-S", "prepared", 1, duration,
                         extra=("--log", f"--log-prefix={prefix}"))
        if run.tps is None:
            return f"failed: {run.error}"
        values = sorted(int(line.split()[2]) for f in Path(tmp).iterdir()
                        for line in f.read_text().splitlines() if line.strip())
    p50 = values[len(values) // 2] / 1000
    p99 = values[min(len(values) - 1, int(len(values) * 0.99))] / 1000
    return f"{p50:.3f} / {p99:.3f} (CPU {run.cpu_us:.0f} µs/txn)"


def rss_kb(pid: int, field: str = "VmRSS") -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def idle_memory(server: pc.Server) -> str:
    """The node's RSS with IDLE_CLIENTS idle clients, each of which ran one statement, and
    of it the private memory (RssAnon): the rest are pages of the database file that each
    session's SQLite connection maps (shared page cache, counted once per mapping)."""
    pid = server_pid(server)
    before, anon_before = rss_kb(pid), rss_kb(pid, "RssAnon")
    conns = []
    try:
        for _ in range(IDLE_CLIENTS):
            conn = psycopg.connect(host=server.host, port=server.port, user=pc.PG_USER,
                                   dbname="postgres", autocommit=True)
            conn.execute("select abalance from pgbench_accounts where aid = 1").fetchone()
            conns.append(conn)
        time.sleep(1)
        after, anon_after = rss_kb(pid), rss_kb(pid, "RssAnon")
    finally:
        for conn in conns:
            conn.close()
    return (f"{IDLE_CLIENTS} idle clients on the node (each ran one read): RSS "
            f"{before / 1024:.1f} -> {after / 1024:.1f} MB, "
            f"{(after - before) / IDLE_CLIENTS:.0f} KB per client, of which private "
            f"(RssAnon) {(anon_after - anon_before) / IDLE_CLIENTS:.0f} KB")


def init(target: Target, scale: int) -> str:
    started = time.perf_counter()
    result = subprocess.run(["pgbench", "-i", "-q", "-s", str(scale),
                             *target.server.pgbench_conn()], capture_output=True, text=True,
                            timeout=3600, check=False, stdin=subprocess.DEVNULL,
                            env={**os.environ, "PGOPTIONS": target.pgoptions})
    if result.returncode != 0:
        raise pc.BenchmarkError(f"pgbench -i on {target.label} failed:\n{result.stderr}")
    return f"{target.label} {time.perf_counter() - started:.1f} s"


# -- sections --------------------------------------------------------------------------------


def start_floor(pgha: pc.Server) -> pc.Server:
    """benchmarks/node_floor.py on a copy of the node's database (after pgbench -i)."""
    base = Path(tempfile.mkdtemp(prefix="pgha-bench-floor-"))
    ready, log_path = base / "ready.json", base / "floor.log"
    argv = [sys.executable, str(Path(__file__).resolve().parent / "node_floor.py"), "0",
            str(pgha.base_dir / "data" / "pgha.db"), str(base / "floor.db"), str(ready)]
    with log_path.open("wb") as out:
        process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    return pc.wait_ready(pc.Server("Python floor", "127.0.0.1", 0, base, process=process,
                                   log_path=log_path), ready)


def node_section(args: argparse.Namespace) -> None:
    servers: list[pc.Server] = []
    try:
        pgha, pg = pc.start_pgha(), None
        servers.append(pgha)
        pg = pc.start_postgres()
        servers.append(pg)
        for server in servers:
            server.version = pc.server_version(server)
        print("\n".join(pc.machine_lines(pg, pgha)))
        targets = [Target("pgha node", pgha), Target("PostgreSQL", pg)]
        print(f"\n## One node against PostgreSQL 15 alone ({args.clients} clients, scale "
              f"{args.scale}, {args.rounds} rounds of {args.duration:g} s)\n")
        print("pgbench -i: " + ", ".join(init(t, args.scale) for t in targets), flush=True)
        if "node" in args.only:
            floor = start_floor(pgha)
            servers.append(floor)
            targets.append(Target("Python floor", floor))
            run_rounds(targets, NODE_CASES, args.clients, args.rounds, args.duration)
            print()
            print("\n".join(table(targets, NODE_CASES)), flush=True)
            print("\n(Python floor: benchmarks/node_floor.py, pgbench's statements on SQLite "
                  "with nothing else, no fsync; see its docstring.)", flush=True)
            targets.pop()
        if "latency" in args.only:
            print("\nSingle client, -S -M prepared, p50 / p99 ms: " + "; ".join(
                f"{t.label} {latency(t, args.duration)}" for t in targets), flush=True)
        if "idle" in args.only:
            print("\n" + idle_memory(pgha), flush=True)
    finally:
        for server in reversed(servers):
            server.stop()


def cluster_section(args: argparse.Namespace) -> None:
    with rp.pgha_cluster(3) as nodes, rp.postgres_with_standby() as (pg, pg_standby):
        primary = nodes[0].running()
        sync = Target("pgha sync", primary, "-c pgha.sync_mode=sync")
        targets = [sync,
                   Target("PostgreSQL remote_apply", pg, "-c synchronous_commit=remote_apply"),
                   Target("PostgreSQL on", pg, "-c synchronous_commit=on")]
        print(f"\n## 3-node sync cluster against PostgreSQL 15 with a synchronous standby "
              f"({args.clients} clients, scale {args.scale})\n")
        print("pgbench -i: " + ", ".join(init(t, args.scale) for t in targets[:2]), flush=True)
        rp.wait_standbys(primary, [n.running() for n in nodes[1:]])
        rp.wait_pg_standby(pg, pg_standby)
        run_rounds(targets, CLUSTER_CASES, args.clients, args.rounds, args.duration)
        print()
        print("\n".join(table(targets, CLUSTER_CASES)), flush=True)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per pgbench run")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds per case")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--scale", type=int, default=10, help="pgbench -i scale factor")
    parser.add_argument("--only", default=",".join(SECTIONS),
                        help=f"comma-separated sections: {', '.join(SECTIONS)}")
    args = parser.parse_args(argv)
    args.only = {s.strip() for s in args.only.split(",") if s.strip()}
    if args.duration < 1 or args.rounds < 1 or args.clients < 1 or args.scale < 1:
        parser.error("--duration, --rounds, --clients and --scale must be at least 1")
    if not args.only <= set(SECTIONS):
        parser.error(f"--only takes {', '.join(SECTIONS)}")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, pc._terminate)
    started = time.monotonic()
    try:
        if args.only & {"node", "latency", "idle"}:
            node_section(args)
        if "cluster" in args.only:
            cluster_section(args)
    except pc.BenchmarkError as exc:
        print(f"benchmark aborted: {exc}", file=sys.stderr)
        return 1
    print(f"\ntotal time: {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
