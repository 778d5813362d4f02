"""Replication benchmark: how fast a pgha standby applies WAL, how far it lags, how well the WAL
compresses, and what each sync mode costs pgbench -N against PostgreSQL 15 streaming replication.

Every pgha node is a separate `python -m pgha server` process from this checkout's `src/`, on
127.0.0.1, fsync on every commit (no `--no-fsync`). In one run:

1. Apply throughput (primary + 1 standby): the standby is stopped (SIGTERM), the primary commits
   10 INSERTs of 10,000 rows and 5 UPDATEs of 20,000 rows (200,000 row changes), the standby is
   restarted and timed from its restart until its applied LSN reaches the primary's
   current_lsn. Streaming variant: with the standby connected, one 100,000-row INSERT; timed
   from COMMIT returning until the standby has applied it.
2. Lag at a fixed commit rate (a fresh primary + 1 standby, async): --lag-clients threads
   commit single-row INSERTs paced to --lag-rate commits/s in total for --lag-seconds (a client
   behind schedule commits at once, so an overloaded primary shows as a lower achieved rate);
   then the standby's lag_p50/p95/p99_ms from pg_replication_standbys: the time from a commit
   being durable on the primary until the standby's feedback says it is applied, over the
   primary's last 1,000 feedback samples.
3. compression_ratio (raw WAL bytes / bytes on the wire) from pg_replication_metrics on the
   primary after 1, after 2, after pgbench -i in 4, and for the pgbench -N runs of 4 alone
   (from the difference of the cumulative counters).
4. `pgbench -N -M prepared -c 4` (after `pgbench -i -s 1`) against the primary of a 3-node pgha
   cluster in each sync mode (set per session with PGOPTIONS='-c pgha.sync_mode=MODE'), and
   against PostgreSQL 15 with one streaming standby (pg_basebackup -R -X stream,
   synchronous_standby_names='*') with synchronous_commit = remote_apply, on (remote flush) and
   local (no wait for the standby): --rounds rounds of --duration seconds, the order reversed
   every other round; medians and the ratios pgha / PostgreSQL.

The markdown report goes to stdout at the end, progress to stderr. A measurement that fails
shows `failed: <reason>` in its cells (details go to stderr) and the benchmark goes on. Every
process it starts is stopped and every temporary directory removed on exit, also on Ctrl-C or
SIGTERM. It reuses benchmarks/pgbench_compare.py for PostgreSQL, pgbench and the machine
description.

    python benchmarks/replication.py [--duration S] [--rounds N]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import pwd
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg

from pgha.wire.lsn import parse_lsn

sys.path.insert(0, str(Path(__file__).resolve().parent))
import pgbench_compare as pc

PENDING = "-"
CATCH_UP_TIMEOUT_S = 60.0
POLL_S = 0.005
INSERT_BATCHES, INSERT_ROWS = 10, 10_000
UPDATE_BATCHES, UPDATE_ROWS = 5, 20_000
STREAMING_ROWS = 100_000
APPLY_AIM = 50_000  # row changes/s
LAG_AIM_MS = 5.0
SYNC_MODES = ("async", "semi-sync", "sync", "quorum")
# What a commit waits for, for the table: pgha's modes with two standbys, PostgreSQL's with one.
PGHA_WAITS = {
    "async": "primary fsync",
    "semi-sync": "1 standby flush",
    "sync": "both standbys flush",
    "quorum": "1 of 2 standbys flush",
}
PG_COMMITS = {
    "remote_apply": "standby apply",
    "on": "standby flush",
    "local": "primary fsync",
}
REFERENCE = "PostgreSQL remote_apply"


def log(message: str) -> None:
    """Progress and failure details go to stderr, so stdout is only the report."""
    print(message, file=sys.stderr, flush=True)


# -- pgha nodes ----------------------------------------------------------------------------


@dataclass
class Node:
    """One pgha node: its directory (data, ready file, log) and the argv that (re)starts it."""

    node_id: str
    home: Path
    argv: list[str]
    server: pc.Server | None = None

    @property
    def ready_file(self) -> Path:
        return self.home / "ready.json"

    def running(self) -> pc.Server:
        if self.server is None:
            raise pc.BenchmarkError(f"{self.node_id} is not running")
        return self.server


def node_argv(node_id: str, home: Path, mode: str, bind: str, peers: str) -> list[str]:
    argv = [sys.executable, "-m", "pgha", "server", "--data", str(home / "data")]
    argv += ["--listen", "127.0.0.1:0", "--ready-file", str(home / "ready.json")]
    argv += ["--node-id", node_id, "--ha-mode", mode, "--ha-bind", bind, "--ha-primary", peers]
    return argv + (["--sync-mode", "async"] if mode == "primary" else [])


def spawn(node: Node) -> None:
    node.ready_file.unlink(missing_ok=True)
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    src = str(pc.REPO / "src")
    env["PYTHONPATH"] = src + os.pathsep + env["PYTHONPATH"] if "PYTHONPATH" in env else src
    log_path = node.home / "server.log"
    with log_path.open("ab") as out:
        process = subprocess.Popen(
            node.argv,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=node.home,
            start_new_session=True,
        )
    # base_dir is the node's home: Server.stop() removes it, so only the final cleanup calls it.
    node.server = pc.Server(
        f"pgha {node.node_id}", "127.0.0.1", 0, node.home, process=process, log_path=log_path
    )


def wait_ready(node: Node) -> pc.Server:
    server = node.running()
    assert server.process is not None
    deadline = time.monotonic() + pc.START_TIMEOUT_S
    while True:
        with contextlib.suppress(FileNotFoundError, json.JSONDecodeError):
            info = json.loads(node.ready_file.read_text())
            server.host, server.port = str(info.get("host", "127.0.0.1")), int(info["port"])
            return server
        if server.process.poll() is not None:
            raise pc.BenchmarkError(
                f"{node.node_id} exited {server.process.returncode}:\n{server.log_tail()}"
            )
        if time.monotonic() > deadline:
            raise pc.BenchmarkError(f"{node.node_id} not ready in time:\n{server.log_tail()}")
        time.sleep(0.01)


def terminate(node: Node) -> None:
    """SIGTERM and wait, keeping the node's directory for a restart."""
    process = node.running().process
    assert process is not None
    process.terminate()
    process.wait(30)
    node.server = None


def exited(nodes: Sequence[Node]) -> dict[str, Node]:
    """Nodes whose process ended although this script did not stop them."""
    gone = {}
    for node in nodes:
        process = node.server.process if node.server else None
        if process is not None and process.poll() is not None:
            gone[f"pgha {node.node_id} (exit code {process.returncode})"] = node
    return gone


@contextlib.contextmanager
def pgha_cluster(size: int) -> Iterator[list[Node]]:
    """A primary (n1, default sync mode async) and size - 1 standbys, all ready."""
    base = Path(tempfile.mkdtemp(prefix="pgha-bench-repl-"))
    binds = [f"127.0.0.1:{pc._free_port()}" for _ in range(size)]
    peers = ",".join(binds)
    nodes: list[Node] = []
    for index, bind in enumerate(binds):
        node_id, home = f"n{index + 1}", base / f"n{index + 1}"
        home.mkdir()
        mode = "primary" if index == 0 else "standby"
        nodes.append(Node(node_id, home, node_argv(node_id, home, mode, bind, peers)))
    try:
        spawn(nodes[0])
        wait_ready(nodes[0])
        for node in nodes[1:]:
            spawn(node)
        for node in nodes[1:]:
            wait_ready(node)
        yield nodes
    except Exception as exc:
        gone = exited(nodes)
        if not gone:
            raise
        for name, node in gone.items():
            log(f"--- {name}: end of its log ---\n{node.running().log_tail(8000)}")
        raise pc.BenchmarkError(
            "exited during the measurement (on SIGTERM pgha exits 0): " + ", ".join(gone)
        ) from exc
    finally:
        for node in reversed(nodes):
            if node.server is not None:
                node.server.stop()
        shutil.rmtree(base, ignore_errors=True)


def connect(server: pc.Server) -> psycopg.Connection[Any]:
    return psycopg.connect(
        host=server.host,
        port=server.port,
        user=pc.PG_USER,
        dbname="postgres",
        autocommit=True,
        connect_timeout=10,
    )


def one_row(conn: psycopg.Connection[Any], sql: str, params: Sequence[Any] = ()) -> tuple[Any, ...]:
    row = conn.execute(sql, params).fetchone()
    if row is None:
        raise pc.BenchmarkError(f"no row from {sql!r}")
    return tuple(row)


def current_lsn(conn: psycopg.Connection[Any]) -> int:
    return parse_lsn(one_row(conn, "select current_lsn from pg_replication_status")[0])


def wait_applied(standby: pc.Server, target: int) -> float:
    """Poll the standby until it has applied up to `target`; returns the perf_counter then."""
    deadline = time.perf_counter() + CATCH_UP_TIMEOUT_S
    local = None
    with connect(standby) as conn:
        while True:
            row = conn.execute("select local_lsn from pg_replication_primary").fetchone()
            now = time.perf_counter()
            local = row[0] if row else None
            if local and parse_lsn(local) >= target:
                return now
            if now > deadline:
                raise pc.BenchmarkError(
                    f"{standby.name} stalled: local_lsn {local}, primary at "
                    f"{target >> 32:X}/{target & 0xFFFFFFFF:X} after {CATCH_UP_TIMEOUT_S:.0f}s"
                )
            time.sleep(POLL_S)


def wait_standbys(primary: pc.Server, standbys: Sequence[pc.Server]) -> None:
    with connect(primary) as conn:
        target = current_lsn(conn)
    for standby in standbys:
        wait_applied(standby, target)


def metrics(conn: psycopg.Connection[Any]) -> dict[str, Any]:
    cur = conn.execute("select * from pg_replication_metrics")
    row = cur.fetchone()
    names = [c.name for c in cur.description or ()]
    return dict(zip(names, row or (), strict=False))


# -- report --------------------------------------------------------------------------------


@dataclass
class Section:
    """One part of the report: metric -> cell, every expected metric listed up front."""

    title: str
    cells: dict[str, str]

    def fail(self, why: str) -> None:
        for key, value in self.cells.items():
            if value == PENDING:
                self.cells[key] = f"failed: {why}"

    def markdown(self) -> list[str]:
        width = max(len(k) for k in self.cells)
        lines = [f"### {self.title}", "", f"| {'measurement':<{width}} | value |"]
        lines.append(f"|{'-' * (width + 2)}|-------|")
        lines += [f"| {key:<{width}} | {value} |" for key, value in self.cells.items()]
        return lines


def reason(exc: BaseException) -> str:
    # Two lines: "pgbench -i on ... failed:" alone does not say why.
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return f"{type(exc).__name__}: {' '.join(lines[:2])}"[:200]


def per_s(count: float, seconds: float) -> str:
    return f"{count / seconds:,.0f}/s"


def vs_aim(rate: float) -> str:
    return f"{rate:,.0f} row changes/s ({rate / APPLY_AIM:.2f}x the {APPLY_AIM:,}/s aim)"


# -- 1. apply throughput -------------------------------------------------------------------


def apply_section() -> Section:
    return Section(
        "1. Apply throughput (primary + 1 standby)",
        dict.fromkeys(
            [
                "batch on the primary, standby stopped",
                "WAL of the batch",
                "standby restart -> ready file (process start)",
                "standby restart -> caught up",
                "apply rate, restart -> caught up",
                "apply rate, ready -> caught up",
                "streaming: 100,000-row INSERT, COMMIT -> standby applied",
                "streaming apply rate",
            ],
            PENDING,
        ),
    )


def write_batch(conn: psycopg.Connection[Any]) -> int:
    """The 200,000 row changes, one transaction per statement; returns the row count."""
    insert = "insert into apply_t select g, 'row ' || g, g * 0.5 from generate_series(%s, %s) g"
    for batch in range(INSERT_BATCHES):
        conn.execute(insert, (batch * INSERT_ROWS + 1, (batch + 1) * INSERT_ROWS))
    update = "update apply_t set val = val + 1, txt = txt || '+' where id between %s and %s"
    for batch in range(UPDATE_BATCHES):
        conn.execute(update, (batch * UPDATE_ROWS + 1, (batch + 1) * UPDATE_ROWS))
    return INSERT_BATCHES * INSERT_ROWS + UPDATE_BATCHES * UPDATE_ROWS


def measure_apply(section: Section, compression: Section) -> None:
    cells = section.cells
    with pgha_cluster(2) as (primary, standby), connect(primary.running()) as conn:
        conn.execute("create table apply_t (id int primary key, txt text, val float8)")
        wait_standbys(primary.running(), [standby.running()])
        terminate(standby)
        start_lsn = current_lsn(conn)
        started = time.perf_counter()
        rows = write_batch(conn)
        seconds = time.perf_counter() - started
        target = current_lsn(conn)
        cells["batch on the primary, standby stopped"] = (
            f"{rows:,} row changes in {INSERT_BATCHES + UPDATE_BATCHES} transactions, "
            f"{seconds:.2f}s ({per_s(rows, seconds)})"
        )
        cells["WAL of the batch"] = f"{(target - start_lsn) / 1e6:.1f} MB"

        restarted = time.perf_counter()
        spawn(standby)
        ready = wait_ready(standby)
        ready_s = time.perf_counter() - restarted
        cells["standby restart -> ready file (process start)"] = f"{ready_s:.2f}s"
        total_s = wait_applied(ready, target) - restarted
        cells["standby restart -> caught up"] = f"{total_s:.2f}s"
        cells["apply rate, restart -> caught up"] = vs_aim(rows / total_s)
        cells["apply rate, ready -> caught up"] = vs_aim(rows / (total_s - ready_s))
        log(f"[apply] restart to caught up {total_s:.2f}s")

        first = rows + 1
        conn.execute(
            "insert into apply_t select g, 'row ' || g, g * 0.5 from generate_series(%s, %s) g",
            (first, first + STREAMING_ROWS - 1),
        )
        committed = time.perf_counter()
        lag_s = wait_applied(ready, current_lsn(conn)) - committed
        cells["streaming: 100,000-row INSERT, COMMIT -> standby applied"] = f"{lag_s:.2f}s"
        cells["streaming apply rate"] = vs_aim(STREAMING_ROWS / lag_s)
        record_compression(compression, "after 1 (apply workloads)", metrics(conn))


# -- 2. lag at a fixed commit rate ---------------------------------------------------------


def lag_section(rate: int, seconds: float, clients: int) -> Section:
    return Section(
        f"2. Lag at {rate:,} commits/s (primary + 1 standby, async, {clients} client threads)",
        dict.fromkeys(
            [
                "commits (achieved rate)",
                "client commit latency p50 / p99",
                "standby lag p50 / p95 / p99 (pg_replication_standbys)",
                "lag p50 / p99 (pg_replication_metrics)",
                "last commit -> standby applied",
            ],
            PENDING,
        ),
    )


@dataclass
class PacedRun:
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def paced_client(
    server: pc.Server,
    index: int,
    clients: int,
    rate: float,
    start: float,
    end: float,
    run: PacedRun,
) -> None:
    """Commit single-row INSERTs on a fixed schedule (this client's share of `rate`); when
    behind, commit at once until back on schedule, so the total stays the target rate."""
    latencies: list[float] = []
    try:
        with connect(server) as conn:
            due, interval, n = start + index / rate, clients / rate, 0
            while due < end and time.perf_counter() < end:
                delay = due - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
                began = time.perf_counter()
                conn.execute("insert into lag_t values (%s, %s)", (index * 10_000_000 + n, index))
                latencies.append(time.perf_counter() - began)
                due, n = due + interval, n + 1
    except Exception as exc:
        with run.lock:
            run.errors.append(reason(exc))
    with run.lock:
        run.latencies += latencies


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms"


def measure_lag(
    section: Section, compression: Section, rate: int, seconds: float, clients: int
) -> None:
    cells = section.cells
    with pgha_cluster(2) as (primary, standby):
        server = primary.running()
        with connect(server) as conn:
            conn.execute("create table lag_t (id int primary key, client int)")
            wait_standbys(server, [standby.running()])
            run = PacedRun()
            start = time.perf_counter() + 0.5  # every client connected before the first commit
            threads = [
                threading.Thread(
                    target=paced_client,
                    args=(server, i, clients, rate, start, start + seconds, run),
                )
                for i in range(clients)
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            finished = time.perf_counter()
            if run.errors:
                raise pc.BenchmarkError(f"{len(run.errors)} client(s) failed: {run.errors[0]}")
            achieved = len(run.latencies) / (finished - start)
            cells["commits (achieved rate)"] = (
                f"{len(run.latencies):,} in {finished - start:.1f}s = {achieved:,.0f}/s "
                f"({achieved / rate:.2f}x the {rate:,}/s target)"
            )
            q = statistics.quantiles(run.latencies, n=100, method="inclusive")
            cells["client commit latency p50 / p99"] = f"{ms(q[49])} / {ms(q[98])}"
            caught_up = wait_applied(standby.running(), current_lsn(conn)) - finished
            cells["last commit -> standby applied"] = ms(caught_up)
            p50, p95, p99 = one_row(
                conn,
                "select lag_p50_ms, lag_p95_ms, lag_p99_ms from pg_replication_standbys "
                "where node_id = %s",
                (standby.node_id,),
            )
            cells["standby lag p50 / p95 / p99 (pg_replication_standbys)"] = (
                f"{p50:.2f} / {p95:.2f} / {p99:.2f} ms (p99 {p99 / LAG_AIM_MS:.2f}x the "
                f"< {LAG_AIM_MS:g} ms aim)"
            )
            values = metrics(conn)
            cells["lag p50 / p99 (pg_replication_metrics)"] = (
                f"{values['lag_p50_ms']:.2f} / {values['lag_p99_ms']:.2f} ms"
            )
            record_compression(compression, "after 2 (single-row INSERTs)", values)


# -- 3. compression ------------------------------------------------------------------------


def compression_section() -> Section:
    return Section(
        "3. WAL compression on the primary (raw WAL bytes / bytes on the wire)",
        dict.fromkeys(
            [
                "after 1 (apply workloads)",
                "after 2 (single-row INSERTs)",
                "3-node cluster after pgbench -i",
                "3-node cluster, the pgbench -N runs alone",
            ],
            PENDING,
        ),
    )


def record_compression(section: Section, key: str, values: dict[str, Any]) -> None:
    ratio = values.get("compression_ratio")
    shipped = values.get("bytes_replicated") or 0
    section.cells[key] = (
        f"{ratio:.2f} ({shipped / 1e6:.1f} MB of WAL shipped)" if ratio else "none shipped"
    )


def record_compression_delta(
    section: Section, key: str, before: dict[str, Any], after: dict[str, Any]
) -> None:
    # The view is cumulative; wire bytes = raw bytes / ratio, so the runs' own ratio follows.
    def wire(values: dict[str, Any]) -> float:
        ratio = values.get("compression_ratio")
        return (values.get("bytes_replicated") or 0) / ratio if ratio else 0.0

    raw = (after.get("bytes_replicated") or 0) - (before.get("bytes_replicated") or 0)
    sent = wire(after) - wire(before)
    section.cells[key] = (
        f"{raw / sent:.2f} ({raw / 1e6:.1f} MB of WAL shipped)" if sent > 0 else "none shipped"
    )


# -- 4. pgbench -N per sync mode -------------------------------------------------------------


def start_pg_standby(primary: pc.Server) -> pc.Server:
    """pg_basebackup -R -X stream from `primary` into a new directory, started hot standby."""
    base = Path(tempfile.mkdtemp(prefix="pgha-bench-pgstandby-"))
    server = pc.Server(
        "PostgreSQL standby", "127.0.0.1", pc._free_port(), base, log_path=base / "pg.log"
    )
    try:
        if os.geteuid() == 0:
            entry = pwd.getpwnam(pc.PG_USER)
            os.chown(base, entry.pw_uid, entry.pw_gid)
        data = base / "data"
        backup = pc._run(
            pc._as_pg_user(
                [
                    str(pc.PG_BINDIR / "pg_basebackup"),
                    *("-h", primary.host, "-p", str(primary.port), "-U", pc.PG_USER),
                    *("-D", str(data), "-R", "-X", "stream", "-c", "fast"),
                ]
            ),
            timeout=pc.START_TIMEOUT_S,
        )
        if backup.returncode != 0:
            raise pc.BenchmarkError(f"pg_basebackup failed:\n{backup.stdout}{backup.stderr}")
        options = (
            f"-c listen_addresses=127.0.0.1 -c port={server.port} "
            f"-c unix_socket_directories={base} -c hot_standby=on"
        )
        pg_ctl = str(pc.PG_BINDIR / "pg_ctl")
        start = pc._run(
            pc._as_pg_user(
                [pg_ctl, "-D", str(data), "-l", str(server.log_path), "-o", options, "-w", "start"]
            ),
            timeout=pc.START_TIMEOUT_S + 30,
        )
        server.stop_argv = pc._as_pg_user([pg_ctl, "-D", str(data), "-m", "fast", "-w", "stop"])
        if start.returncode != 0:
            raise pc.BenchmarkError(f"standby start failed:\n{start.stderr}{server.log_tail()}")
        return server
    except BaseException:
        server.stop()
        raise


@contextlib.contextmanager
def postgres_with_standby() -> Iterator[tuple[pc.Server, pc.Server]]:
    """PostgreSQL 15 primary and one streaming standby that is its synchronous standby."""
    primary = pc.start_postgres()
    standby: pc.Server | None = None
    try:
        standby = start_pg_standby(primary)
        with connect(primary) as conn:
            conn.execute("alter system set synchronous_standby_names = '*'")
            conn.execute("select pg_reload_conf()")
            deadline = time.monotonic() + pc.START_TIMEOUT_S
            sync = "select count(*) from pg_stat_replication where sync_state = 'sync'"
            while not one_row(conn, sync)[0]:
                if time.monotonic() > deadline:
                    raise pc.BenchmarkError("the PostgreSQL standby never became synchronous")
                time.sleep(0.1)
        yield primary, standby
    finally:
        if standby is not None:
            standby.stop()
        primary.stop()


def wait_pg_standby(primary: pc.Server, standby: pc.Server) -> None:
    with connect(primary) as conn:
        target = one_row(conn, "select pg_current_wal_lsn()::text")[0]
    deadline = time.monotonic() + CATCH_UP_TIMEOUT_S
    with connect(standby) as conn:
        while not one_row(conn, "select pg_last_wal_replay_lsn() >= %s::pg_lsn", (target,))[0]:
            if time.monotonic() > deadline:
                raise pc.BenchmarkError("the PostgreSQL standby did not catch up")
            time.sleep(0.05)


@dataclass
class Target:
    """One pgbench target: a server and the PGOPTIONS that set its commit mode."""

    label: str
    waits_for: str
    server: pc.Server
    pgoptions: str
    runs: list[pc.Outcome] = field(default_factory=list)

    def tps(self) -> list[float]:
        return [o.tps for o in self.runs if o.tps is not None]

    def failure(self) -> str | None:
        return next((o.error for o in self.runs if o.tps is None), None)


@contextlib.contextmanager
def pgoptions(value: str) -> Iterator[None]:
    # pgbench_compare runs pgbench with this process's environment; libpq reads PGOPTIONS.
    previous = os.environ.get("PGOPTIONS")
    os.environ["PGOPTIONS"] = value
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("PGOPTIONS", None)
        else:
            os.environ["PGOPTIONS"] = previous


def run_rounds(targets: Sequence[Target], rounds: int, duration: float) -> None:
    for index in range(rounds):
        order = targets if index % 2 == 0 else list(reversed(targets))
        for target in order:
            with pgoptions(target.pgoptions):
                outcome = pc.pgbench_run(target.server, "-N", "prepared", 4, duration)
            target.runs.append(outcome)
            shown = f"{outcome.tps:.0f} tps" if outcome.tps else f"failed: {outcome.error}"
            log(f"[pgbench] round {index + 1} {target.label}: {shown}")


def pgbench_table(targets: Sequence[Target]) -> list[str]:
    reference = next(t for t in targets if t.label == REFERENCE)
    ref_tps = reference.tps()
    ref_median = statistics.median(ref_tps) if ref_tps and not reference.failure() else None
    lines = [
        "| server, commit mode         | commit waits for      | median tps | per-round tps "
        "       | ratio / PG remote_apply | per-round ratios |",
        "|-----------------------------|-----------------------|------------|---------------"
        "-------|-------------------------|------------------|",
    ]
    for target in targets:
        failure, values = target.failure(), target.tps()
        if failure is not None or not values:
            median_cell, rounds_cell = f"failed: {failure or 'no runs'}", "-"
        else:
            median_cell = f"{statistics.median(values):.0f}"
            rounds_cell = " ".join(f"{v:.0f}" for v in values)
        ratio, spread = "-", "-"
        if failure is None and values and ref_median:
            ratio = f"{statistics.median(values) / ref_median:.3f}"
            pairs = [
                a.tps / b.tps
                for a, b in zip(target.runs, reference.runs, strict=False)
                if a.tps and b.tps
            ]
            spread = f"{min(pairs):.3f}-{max(pairs):.3f}" if pairs else "-"
        lines.append(
            f"| {target.label:<27} | {target.waits_for:<21} | {median_cell:>10} "
            f"| {rounds_cell:<20} | {ratio:>23} | {spread:>16} |"
        )
    return lines


@dataclass
class PgbenchResult:
    lines: list[str] = field(default_factory=list)
    pg: pc.Server | None = None
    pgha: pc.Server | None = None
    init_line: str = ""
    sync_waits: str = ""


def measure_pgbench(
    result: PgbenchResult, compression: Section, rounds: int, duration: float
) -> None:
    with pgha_cluster(3) as nodes, postgres_with_standby() as (pg, pg_standby):
        primary = nodes[0].running()
        result.pgha, result.pg = primary, pg
        for server in (primary, pg):
            server.version = pc.server_version(server)
            pc.pgbench_init(server, 1)
        result.init_line = (
            f"pgbench -i -s 1: pgha {primary.init_seconds:.1f}s, PostgreSQL {pg.init_seconds:.1f}s"
        )
        wait_standbys(primary, [n.running() for n in nodes[1:]])
        wait_pg_standby(pg, pg_standby)
        with connect(primary) as conn:
            before = metrics(conn)
        record_compression(compression, "3-node cluster after pgbench -i", before)
        targets = [
            Target(f"pgha {m}", PGHA_WAITS[m], primary, f"-c pgha.sync_mode={m}")
            for m in SYNC_MODES
        ]
        targets += [
            Target(f"PostgreSQL {c}", PG_COMMITS[c], pg, f"-c synchronous_commit={c}")
            for c in PG_COMMITS
        ]
        run_rounds(targets, rounds, duration)
        result.lines = pgbench_table(targets)
        with connect(primary) as conn:
            after = metrics(conn)
        record_compression_delta(
            compression, "3-node cluster, the pgbench -N runs alone", before, after
        )
        waits = (after.get("sync_waits") or 0) - (before.get("sync_waits") or 0)
        wait_s = (after.get("sync_wait_seconds") or 0) - (before.get("sync_wait_seconds") or 0)
        result.sync_waits = (
            f"pgha commits that waited for standbys during -N: {waits:,} "
            f"({wait_s / waits * 1000 if waits else 0:.2f} ms mean wait); "
            f"semi-sync degradations: {after.get('semi_sync_degradations')}"
        )


# -- main ----------------------------------------------------------------------------------


def guarded(section: Section | None, what: str, action: Callable[[], None]) -> str | None:
    """Run one measurement; on failure mark its cells and log the details, then go on."""
    try:
        action()
        return None
    except Exception as exc:
        why = reason(exc)
        log(f"[{what}] failed: {exc}")
        if section is not None:
            section.fail(why)
        return why


def fail_cell(section: Section, key: str, why: str | None) -> None:
    if why is not None and section.cells[key] == PENDING:
        section.cells[key] = f"failed: {why}"


def machine_description(
    load_at_start: str, pg: pc.Server | None, pgha: pc.Server | None
) -> list[str]:
    # machine_lines reads the load average when called; the run's start is what matters.
    return [
        f"load average at start: {load_at_start}" if line.startswith("load average") else line
        for line in pc.machine_lines(pg, pgha)
    ]


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per pgbench run")
    parser.add_argument("--rounds", type=int, default=3, help="pgbench rounds per target")
    parser.add_argument("--lag-rate", type=int, default=1000, help="commits/s for the lag test")
    parser.add_argument("--lag-seconds", type=float, default=10.0, help="lag test length")
    parser.add_argument("--lag-clients", type=int, default=8, help="client threads, lag test")
    args = parser.parse_args(argv)
    if args.duration < 1 or args.rounds < 1 or args.lag_rate < 1 or args.lag_clients < 1:
        parser.error("--duration >= 1, --rounds >= 1, --lag-rate >= 1, --lag-clients >= 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, pc._terminate)
    started = time.monotonic()
    load_at_start = " ".join(f"{x:.2f}" for x in os.getloadavg())

    compression = compression_section()
    apply = apply_section()
    failure = guarded(apply, "apply", lambda: measure_apply(apply, compression))
    fail_cell(compression, "after 1 (apply workloads)", failure)
    lag = lag_section(args.lag_rate, args.lag_seconds, args.lag_clients)
    failure = guarded(
        lag,
        "lag",
        lambda: measure_lag(lag, compression, args.lag_rate, args.lag_seconds, args.lag_clients),
    )
    fail_cell(compression, "after 2 (single-row INSERTs)", failure)
    pgbench = PgbenchResult()
    failure = guarded(
        None, "pgbench", lambda: measure_pgbench(pgbench, compression, args.rounds, args.duration)
    )
    compression.fail(failure or "not measured")

    print("\n".join(machine_description(load_at_start, pgbench.pg, pgbench.pgha)))
    print(
        "settings: pgha fsync on (default), every node its own process, TCP 127.0.0.1; "
        f"pgbench -N -M prepared -c 4 -j 1 -T {args.duration:g}, {args.rounds} rounds, "
        "order reversed every other round"
    )
    print()
    for section in (apply, lag, compression):
        print("\n".join(section.markdown()))
        print()
    print(
        "### 4. pgbench -N -M prepared, 4 clients (pgha: 1 primary + 2 standbys; "
        "PostgreSQL: 1 primary + 1 streaming standby)"
    )
    print()
    if failure is not None and not pgbench.lines:
        print(f"failed: {failure}")
    else:
        print("\n".join([pgbench.init_line, "", *pgbench.lines, "", pgbench.sync_waits]))
    print()
    print(
        "ratio = median tps / median tps of PostgreSQL remote_apply; per-round ratios = min-max "
        "of the ratios of runs in the same round"
    )
    print(f"total time: {time.monotonic() - started:.0f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
