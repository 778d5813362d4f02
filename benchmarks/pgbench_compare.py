"""pgbench against one `pgha server` and a real PostgreSQL 15, side by side in the same run.

Both servers are fresh, on this machine, over TCP on 127.0.0.1, with their durable defaults:
pgha fsyncs every commit (no `--no-fsync`), PostgreSQL runs with `fsync=on` and
`synchronous_commit=on`. Both get `pgbench -i -s 1`; then for each workload (`-S` select-only,
`-N` simple-update), each query mode (`-M simple|extended|prepared`) and each client count,
`pgbench -n -T DURATION` runs on pgha and on PostgreSQL back to back, `--rounds` times; the
order within a pair swaps every round so that a slow drift of the (noisy, shared) machine does
not always penalise the same side. The table reports medians and the ratio pgha / PostgreSQL:
on a 2-core machine shared with other work, absolute tps mean little, the ratio of runs taken
seconds apart means more.

A pgbench run that fails (non-zero exit, a client aborted, an `error` line, no tps) is reported
in the table as `failed: <first error line>` instead of stopping the benchmark.

Invariants: every server this script starts is stopped and its temporary directory removed on
exit, including on Ctrl-C or SIGTERM. PostgreSQL refuses to run as root, so as root it runs as
the `postgres` system user through `runuser`.

    python benchmarks/pgbench_compare.py [--duration S] [--rounds N] [--clients 1,4]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import pwd
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PG_BINDIR = Path(os.environ.get("PGHA_PG_BINDIR", "/usr/lib/postgresql/15/bin"))
PG_USER = "postgres"
START_TIMEOUT_S = 60.0
WORKLOADS = ("-S", "-N")
MODES = ("simple", "extended", "prepared")
TPS_RE = re.compile(r"^tps = ([0-9.]+) \(without initial connection time\)", re.MULTILINE)
ERROR_RE = re.compile(r"error|abort|fatal|failed", re.IGNORECASE)
# pgbench prints these summary lines even on success; they are not errors.
BENIGN_RE = re.compile(r"^(number of failed transactions: 0\b|maximum number of tries)")


class BenchmarkError(RuntimeError):
    """A server could not be started or initialised; the message carries its log."""


# -- servers -------------------------------------------------------------------------------


@dataclass
class Server:
    """One running server under test: where pgbench connects, and how to stop it."""

    name: str
    host: str
    port: int
    base_dir: Path
    stop_argv: list[str] | None = None  # PostgreSQL: pg_ctl stop
    process: subprocess.Popen[bytes] | None = None  # pgha: the child process
    log_path: Path | None = None
    version: str = ""
    init_seconds: float = 0.0

    def pgbench_conn(self) -> list[str]:
        return ["-h", self.host, "-p", str(self.port), "-U", PG_USER, "postgres"]

    def log_tail(self, chars: int = 4000) -> str:
        if self.log_path is None:
            return ""
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def stop(self) -> None:
        try:
            if self.stop_argv is not None:
                _run(self.stop_argv, timeout=60)
            if self.process is not None and self.process.poll() is None:
                self.process.terminate()
                try:
                    self.process.wait(15)
                except subprocess.TimeoutExpired:
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(self.process.pid, signal.SIGKILL)
                    self.process.wait(15)
        finally:
            shutil.rmtree(self.base_dir, ignore_errors=True)


def _run(argv: Sequence[str], timeout: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        list(argv),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def _as_pg_user(argv: Sequence[str]) -> list[str]:
    if os.geteuid() != 0:
        return list(argv)
    return ["runuser", "-u", PG_USER, "--", *argv]


def _free_port() -> int:
    # PostgreSQL cannot bind port 0; a lost race shows up as a failed start with the log.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def start_postgres() -> Server:
    """initdb a fresh cluster in /tmp and start it with the durability defaults."""
    base = Path(tempfile.mkdtemp(prefix="pgha-bench-pg-"))
    server = Server("PostgreSQL", "127.0.0.1", _free_port(), base, log_path=base / "pg.log")
    try:
        if os.geteuid() == 0:
            entry = pwd.getpwnam(PG_USER)
            os.chown(base, entry.pw_uid, entry.pw_gid)
        data = base / "data"
        init = _run(
            _as_pg_user(
                [
                    str(PG_BINDIR / "initdb"),
                    "-D",
                    str(data),
                    "-U",
                    PG_USER,
                    "--auth=trust",
                    "--encoding=UTF8",
                    "--locale=C.UTF-8",
                ]
            ),
            timeout=START_TIMEOUT_S,
        )
        if init.returncode != 0:
            raise BenchmarkError(f"initdb failed:\n{init.stdout}{init.stderr}")
        # Only what the benchmark needs; fsync and synchronous_commit stay at their default
        # (on), stated explicitly so the configuration is visible in the server itself.
        options = (
            f"-c listen_addresses=127.0.0.1 -c port={server.port} "
            f"-c unix_socket_directories={base} -c fsync=on -c synchronous_commit=on"
        )
        start = _run(
            _as_pg_user(
                [
                    str(PG_BINDIR / "pg_ctl"),
                    "-D",
                    str(data),
                    "-l",
                    str(server.log_path),
                    "-o",
                    options,
                    "-w",
                    "-t",
                    str(int(START_TIMEOUT_S)),
                    "start",
                ]
            ),
            timeout=START_TIMEOUT_S + 30,
        )
        server.stop_argv = _as_pg_user(
            [str(PG_BINDIR / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"]
        )
        if start.returncode != 0:
            raise BenchmarkError(
                f"pg_ctl start failed:\n{start.stdout}{start.stderr}\n{server.log_tail()}"
            )
        return server
    except BaseException:
        server.stop()
        raise


def start_pgha() -> Server:
    """`python -m pgha server` on a fresh data directory; ready when it writes its ready file."""
    base = Path(tempfile.mkdtemp(prefix="pgha-bench-pgha-"))
    ready = base / "ready.json"
    log_path = base / "server.log"
    argv = [
        sys.executable,
        "-m",
        "pgha",
        "server",
        "--data",
        str(base / "data"),
        "--listen",
        "127.0.0.1:0",
        "--ready-file",
        str(ready),
    ]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    src = str(REPO / "src")
    env["PYTHONPATH"] = src + os.pathsep + env["PYTHONPATH"] if "PYTHONPATH" in env else src
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=base,
            start_new_session=True,
        )
    return wait_ready(Server("pgha", "127.0.0.1", 0, base, process=process, log_path=log_path),
                      ready)


def wait_ready(server: Server, ready: Path) -> Server:
    """``server`` once its process wrote ``ready`` ({"port": N}); stopped if it fails."""
    process = server.process
    assert process is not None
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            with contextlib.suppress(FileNotFoundError, json.JSONDecodeError):
                info = json.loads(ready.read_text())
                server.host = str(info.get("host", "127.0.0.1"))
                server.port = int(info["port"])
                return server
            if process.poll() is not None:
                raise BenchmarkError(
                    f"{server.name} exited {process.returncode}:\n{server.log_tail()}"
                )
            if time.monotonic() > deadline:
                raise BenchmarkError(f"{server.name} not ready in time:\n{server.log_tail()}")
            time.sleep(0.02)
    except BaseException:
        server.stop()
        raise


def server_version(server: Server) -> str:
    result = _run(
        [
            "psql",
            "-X",
            "-A",
            "-t",
            "-h",
            server.host,
            "-p",
            str(server.port),
            "-U",
            PG_USER,
            "-d",
            "postgres",
            "-c",
            "SHOW server_version",
        ],
        timeout=30,
    )
    return result.stdout.strip() or f"? ({result.stderr.strip()})"


def pgbench_init(server: Server, scale: int) -> None:
    start = time.perf_counter()
    result = _run(["pgbench", "-i", "-q", "-s", str(scale), *server.pgbench_conn()], timeout=600)
    server.init_seconds = time.perf_counter() - start
    if result.returncode != 0:
        raise BenchmarkError(
            f"pgbench -i on {server.name} failed:\n{result.stdout}{result.stderr}\n"
            f"{server.log_tail()}"
        )


# -- runs ----------------------------------------------------------------------------------


@dataclass
class Outcome:
    """One pgbench run: its tps, or why it failed."""

    tps: float | None
    error: str = ""


def pgbench_run(server: Server, workload: str, mode: str, clients: int, duration: float) -> Outcome:
    argv = [
        "pgbench",
        "-n",
        workload,
        "-M",
        mode,
        "-c",
        str(clients),
        "-j",
        "1",
        "-T",
        str(int(duration)),
        *server.pgbench_conn(),
    ]
    try:
        result = _run(argv, timeout=duration + 120)
    except subprocess.TimeoutExpired:
        return Outcome(None, f"pgbench did not finish within {duration + 120:.0f}s")
    output = result.stdout + "\n" + result.stderr
    errors = [
        line.strip()
        for line in output.splitlines()
        if ERROR_RE.search(line) and not BENIGN_RE.match(line.strip())
    ]
    match = TPS_RE.search(result.stdout)
    if result.returncode != 0 or errors or match is None:
        first = errors[0] if errors else (output.strip().splitlines() or ["no output"])[-1]
        return Outcome(None, f"exit {result.returncode}: {first}"[:200])
    return Outcome(float(match.group(1)))


@dataclass
class Case:
    workload: str
    mode: str
    clients: int
    runs: dict[str, list[Outcome]] = field(default_factory=dict)

    def median(self, name: str) -> float | None:
        values = [o.tps for o in self.runs.get(name, []) if o.tps is not None]
        return statistics.median(values) if values else None

    def failure(self, name: str) -> str | None:
        for outcome in self.runs.get(name, []):
            if outcome.tps is None:
                return outcome.error
        return None

    def pair_ratios(self) -> list[float]:
        pairs = zip(self.runs.get("pgha", []), self.runs.get("PostgreSQL", []), strict=False)
        return [a.tps / b.tps for a, b in pairs if a.tps and b.tps]


def run_cases(
    servers: Sequence[Server], clients: Sequence[int], rounds: int, duration: float
) -> Iterator[Case]:
    for workload in WORKLOADS:
        for mode in MODES:
            for count in clients:
                case = Case(workload, mode, count, {s.name: [] for s in servers})
                for index in range(rounds):
                    order = servers if index % 2 == 0 else list(reversed(servers))
                    for server in order:
                        outcome = pgbench_run(server, workload, mode, count, duration)
                        case.runs[server.name].append(outcome)
                yield case


# -- report --------------------------------------------------------------------------------


def _cell(case: Case, name: str) -> str:
    failure = case.failure(name)
    if failure is not None:
        return f"failed: {failure}"
    value = case.median(name)
    return "-" if value is None else f"{value:.0f}"


def format_row(case: Case) -> str:
    pgha, pg = case.median("pgha"), case.median("PostgreSQL")
    failed = case.failure("pgha") or case.failure("PostgreSQL")
    ratio = f"{pgha / pg:.3f}" if pgha and pg and not failed else "-"
    pairs = case.pair_ratios()
    spread = f"{min(pairs):.3f}-{max(pairs):.3f}" if pairs and not failed else "-"
    return (
        f"| {case.workload:<8} | {case.mode:<8} | {case.clients:>7} | {_cell(case, 'pgha'):>9} "
        f"| {_cell(case, 'PostgreSQL'):>14} | {ratio:>5} | {spread:>17} |"
    )


TABLE_HEADER = (
    "| workload | mode     | clients | pgha tps | PostgreSQL tps | ratio | per-round ratios  |\n"
    "|----------|----------|---------|----------|----------------|-------|-------------------|"
)


def git_commit() -> str:
    head = _run(["git", "-C", str(REPO), "rev-parse", "--short=12", "HEAD"], timeout=30)
    commit = head.stdout.strip() or "unknown"
    # diff-index only reads (unlike `git status`, which may rewrite the index).
    dirty = _run(["git", "-C", str(REPO), "diff-index", "--quiet", "HEAD", "--"], timeout=30)
    return commit + (" (+ uncommitted changes)" if dirty.returncode == 1 else "")


def machine_lines(pg: Server | None, pgha: Server | None) -> list[str]:
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    pgbench = _run(["pgbench", "--version"], timeout=30).stdout.strip()
    return [
        f"machine: nproc={os.cpu_count()}, {cpu}, {platform.system()} {platform.release()}",
        f"load average at start: {load}",
        f"python: {platform.python_version()} ({sys.executable})",
        f"PostgreSQL: {pg.version if pg else '?'}; {pgbench}",
        f"pgha: git commit {git_commit()}; reports server_version {pgha.version if pgha else '?'}",
    ]


# -- main ----------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--duration", type=float, default=3.0, help="seconds per pgbench run")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds per case")
    parser.add_argument(
        "--clients", default="1,4", help="comma-separated client counts (default 1,4)"
    )
    parser.add_argument("--scale", type=int, default=1, help="pgbench -i scale factor")
    args = parser.parse_args(argv)
    args.clients = [int(c) for c in str(args.clients).split(",") if c.strip()]
    if args.duration < 1 or args.rounds < 1 or not args.clients:
        parser.error("--duration >= 1, --rounds >= 1 and at least one client count")
    return args


def _terminate(signum: int, _frame: object) -> None:
    # Turn SIGTERM into an exception so the `finally` blocks stop the servers.
    raise SystemExit(128 + signum)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _terminate)
    servers: list[Server] = []
    started = time.monotonic()
    try:
        pgha = start_pgha()
        servers.append(pgha)
        pg = start_postgres()
        servers.append(pg)
        for server in servers:
            server.version = server_version(server)
        print("\n".join(machine_lines(pg, pgha)))
        print(
            f"settings: pgha fsync on (default); PostgreSQL fsync=on, synchronous_commit=on; "
            f"pgbench -i -s {args.scale}; -T {args.duration:g} -j 1; {args.rounds} rounds, "
            f"order swapped every round; TCP 127.0.0.1"
        )
        for server in servers:
            pgbench_init(server, args.scale)
        print(
            "pgbench -i: " + ", ".join(f"{s.name} {s.init_seconds:.1f}s" for s in servers),
            flush=True,
        )
        print()
        print(TABLE_HEADER, flush=True)
        for case in run_cases(servers, args.clients, args.rounds, args.duration):
            print(format_row(case), flush=True)
        print()
        print(
            "ratio = median pgha tps / median PostgreSQL tps; per-round ratios = min-max of "
            "the ratios of runs taken back to back"
        )
        print(f"total time: {time.monotonic() - started:.0f}s")
        return 0
    except BenchmarkError as exc:
        print(f"benchmark aborted: {exc}", file=sys.stderr)
        return 1
    finally:
        for server in reversed(servers):
            server.stop()


if __name__ == "__main__":
    sys.exit(main())
