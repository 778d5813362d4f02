"""`pgha proxy` in front of real PostgreSQL 15, against PgBouncer and pgpool-II, in one run.

Everything runs on this machine, over TCP on 127.0.0.1, started fresh by this script:

- a PostgreSQL 15 primary and a streaming hot standby (`pg_basebackup -R`), through the test
  fixture `tests/fixtures/postgres.py` (as root they run as the `postgres` user), with the
  fixture's settings (`fsync=off`, `full_page_writes=off`: the disk is not what is measured)
  except `synchronous_commit=on` (with it off, a commit reaches the standby only at the next
  WAL writer cycle, which a read-your-writes read would wait for) and `max_connections` raised
  for the idle-client test;
- PgBouncer in session mode and in transaction mode (`default_pool_size=20`), both in front of
  the primary;
- pgpool-II in streaming replication mode with load balancing over the primary and the
  standby (weights 1:1, `num_init_children=32`, `max_pool=4`, no health or replication-lag
  checks, no failover; otherwise its defaults: session-level load balancing,
  `disable_load_balance_on_write = 'transaction'`);
- `pgha proxy --node PRIMARY --node STANDBY --backend postgres`, from `--pgha-src` (default:
  this checkout's `src/`), which sends reads to the standby and writes to the primary;
- `benchmarks/relay_floor.py` in front of the primary: a byte-for-byte TCP relay on uvloop
  that understands nothing of PostgreSQL, the least CPU a Python proxy can spend.

Each pgbench run also records each proxy's CPU time per transaction (user + system of all its
processes, from /proc, before and after the run).

`pgbench -i -s 10` initialises the primary; the script waits until the standby has replayed
it. Then, every pgbench run with `-n -T DURATION` (default 5 s; `--quick`: 2 s, 1 repetition):

1. Throughput: 8 clients (`-c 8 -j 2`), `-S` in `-M simple`, `-M extended` and
   `-M prepared`, and the default TPC-B script (`-M simple`), against PostgreSQL direct,
   PgBouncer session, PgBouncer transaction, pgpool-II and pgha proxy. Within a repetition
   each workload runs on every system back to back, the order of the systems reversed every
   other time, so that a drift of the (shared, 2-core) machine does not always hit the same
   system; `--reps` repetitions (default 3). Reported: median tps, and the ratios of the
   medians pgha / PgBouncer session, pgha / pgpool-II and pgha / direct.
2. Latency: one client (`-c 1 -j 1`), `-S -M prepared`, with `--log`: the p50 and p99 of the
   per-transaction latencies pgbench logs (median over the repetitions), and pgbench's
   "latency average".
3. Read-your-writes: a write-then-read script (UPDATE one account, then SELECT it, each its
   own transaction) with `-M prepared`, 8 clients, through every system but PgBouncer
   transaction (which cannot run `-M prepared`), and through pgha twice more: with
   `pgha.route=primary` (everything on the primary: no freshness to wait for) and with
   `pgha.ryw_timeout=0` (a read the standby is not known to have caught up with runs on the
   primary at once, without asking the standby), and with `pgha.route=standby` (every read on
   the standby, fresh or not: the baseline of what read-your-writes costs). pgha sends
   the SELECT to the standby only once the standby has replayed the UPDATE (else it waits up
   to `pgha.ryw_timeout`, then runs it on the primary); pgpool-II with its defaults sends it
   to its session's load-balance node whether or not that node has replayed the UPDATE (no
   read-your-writes guarantee). The share of reads that ran on the standby is the growth of
   the standby's `pg_stat_user_tables.idx_scan` on pgbench_accounts during the run (health
   checks never scan that table; only the SELECTs do) over the transactions pgbench counted,
   read 11.5 s after the run (a pooled backend reports its statistics only after 10 s idle).
   As a check, "reads counted" adds the reads on the primary (its idx_scan growth less one
   per UPDATE): it should be close to 100%.
4. Memory: `--idle-clients` (default 1,000) asyncpg connections, each of which ran `SELECT 1`
   once and then stays idle, to pgha proxy, PgBouncer transaction and PgBouncer session (one
   system at a time): the proxy process's RSS (VmRSS) before and with them, and the backends
   on the primary and on the standby that carry the clients' application_name (for PgBouncer
   transaction: the pooled backends that last served them). pgha proxy pools per session (one
   primary backend per client, plus a standby backend once the client has read), and so does
   PgBouncer session; PgBouncer transaction holds no backend for an idle client. pgpool-II
   is left out: it needs one process per client (`num_init_children`). If not all clients
   can connect, the figures are for those that did, and the table says so.

A system that fails to start is reported as such and the others still run; a pgbench run that
fails shows `failed: <first error line>` in its cell. Every process this script starts is
stopped and every temporary directory removed at exit (also on Ctrl-C or SIGTERM); the logs of
the proxies and of PostgreSQL are kept in `--log-dir` (printed at the end). Results: a
Markdown table on stdout and JSON in `benchmarks/results/proxy_postgres-<date>.json`.

    python benchmarks/proxy_postgres.py [--quick] [--duration S] [--reps N]
        [--idle-clients N] [--pgha-src DIR] [--log-dir DIR]
        [--only throughput,latency,ryw,idle]
"""

from __future__ import annotations

import argparse
import asyncio
import atexit
import contextlib
import datetime
import json
import os
import platform
import pwd
import re
import shlex
import shutil
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

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from fixtures import postgres as pgfix  # noqa: E402
from fixtures.ports import free_port  # noqa: E402

SCALE = 10
CLIENTS = 8
THREADS = 2
PG_USER = "postgres"
START_TIMEOUT_S = 30.0
DIRECT, BOUNCER_SESSION, BOUNCER_TXN, PGPOOL, PGHA, PGHA_TXN = (
    "PostgreSQL direct", "PgBouncer session", "PgBouncer transaction", "pgpool-II", "pgha proxy",
    "pgha proxy transaction")
RELAY_FLOOR = "Python relay floor"
SYSTEMS = (DIRECT, BOUNCER_SESSION, BOUNCER_TXN, PGPOOL, PGHA, PGHA_TXN, RELAY_FLOOR)
PGHA_PRIMARY_ONLY = "pgha proxy, pgha.route=primary"
PGHA_NO_WAIT = "pgha proxy, pgha.ryw_timeout=0"
PGHA_NO_RYW = "pgha proxy, pgha.route=standby"
SECTIONS = ("throughput", "latency", "ryw", "idle")
WORKLOADS = (  # label, pgbench arguments
    ("-S simple", ["-S", "-M", "simple"]),
    ("-S extended", ["-S", "-M", "extended"]),
    ("-S prepared", ["-S", "-M", "prepared"]),
    ("TPC-B simple", ["-M", "simple"]),
)
WRITE_THEN_READ = """\\set aid random(1, 100000 * :scale)
UPDATE pgbench_accounts SET abalance = abalance + 1 WHERE aid = :aid;
SELECT abalance FROM pgbench_accounts WHERE aid = :aid;
"""
TPS_RE = re.compile(r"^tps = ([0-9.]+) \(without initial connection time\)", re.MULTILINE)
PROCESSED_RE = re.compile(r"^number of transactions actually processed: (\d+)", re.MULTILINE)
LATENCY_RE = re.compile(r"^latency average = ([0-9.]+) ms", re.MULTILINE)
ERROR_RE = re.compile(r"error|abort|fatal|failed", re.IGNORECASE)
BENIGN_RE = re.compile(r"^(number of failed transactions: 0\b|maximum number of tries)")
IDX_SCANS = "SELECT idx_scan FROM pg_stat_user_tables WHERE relname = 'pgbench_accounts'"
IDLE_BACKENDS = "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s"
# A backend that has just been busy reports its table statistics when it has been idle for
# PGSTAT_IDLE_INTERVAL (10 s in PostgreSQL 15); pooled backends stay connected, so wait longer.
STATS_SETTLE_S = 11.5


class StartError(RuntimeError):
    """A system did not start; the message says why (with the end of its log)."""


# -- processes -----------------------------------------------------------------------------


class Cleanup:
    """Stops what was started, newest first, once: at the end of main, at exit, on SIGTERM."""

    def __init__(self) -> None:
        self._actions: list[Callable[[], None]] = []

    def push(self, action: Callable[[], None]) -> None:
        self._actions.append(action)

    def run(self) -> None:
        while self._actions:
            action = self._actions.pop()
            try:
                action()
            except Exception as exc:  # keep cleaning up the rest
                print(f"cleanup: {exc}", file=sys.stderr)


CLEANUP = Cleanup()


def as_pg_user() -> dict[str, object]:
    """Popen arguments that run a child as the unprivileged user when we are root. Unlike
    `runuser`, this keeps our file-descriptor limit (PAM would reset it to 1024)."""
    if os.geteuid() != 0:
        return {}
    return {"user": PG_USER, "group": pwd.getpwnam(PG_USER).pw_gid, "extra_groups": []}


def owned_tempdir(prefix: str) -> Path:
    """A temporary directory the unprivileged user owns, removed at exit."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    if os.geteuid() == 0:
        entry = pwd.getpwnam(PG_USER)
        os.chown(path, entry.pw_uid, entry.pw_gid)
    CLEANUP.push(lambda: shutil.rmtree(path, ignore_errors=True))
    return path


@dataclass
class System:
    """One endpoint pgbench connects to: PostgreSQL itself or a proxy process."""

    name: str
    port: int = 0
    host: str = "127.0.0.1"
    process: subprocess.Popen[bytes] | None = None
    log_path: Path | None = None
    version: str = ""
    error: str = ""  # why it did not start
    info: dict[str, object] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.error

    @property
    def slug(self) -> str:
        return re.sub(r"[^a-z0-9]+", "-", self.name.lower())

    def conninfo(self) -> str:
        return f"host={self.host} port={self.port} user={PG_USER} dbname=postgres"

    def pgbench_conn(self) -> list[str]:
        return ["-h", self.host, "-p", str(self.port), "-U", PG_USER, "postgres"]

    def log_tail(self, chars: int = 3000) -> str:
        if self.log_path is None:
            return ""
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def cpu_seconds(self) -> float | None:
        """User plus system CPU time of the proxy's processes (its process group: pgpool-II's
        children too) so far; None for PostgreSQL direct."""
        if self.process is None:
            return None
        group, ticks = self.process.pid, 0
        for stat in Path("/proc").glob("[0-9]*/stat"):
            with contextlib.suppress(OSError, ValueError, IndexError):
                fields = stat.read_text().rsplit(")", 1)[1].split()
                if int(fields[2]) == group:  # pgrp
                    ticks += int(fields[11]) + int(fields[12])  # utime, stime
        return ticks / os.sysconf("SC_CLK_TCK")

    def rss_kb(self) -> int | None:
        if self.process is None:
            return None
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return None


def spawn(system: System, argv: Sequence[str], log_dir: Path, *, env: dict[str, str] | None = None,
          stop_signal: int = signal.SIGTERM, run_as_pg: bool = True) -> None:
    """Start a proxy process in its own process group, its output going to its log file."""
    system.log_path = log_dir / f"{system.slug}.log"
    pythonpath = f"PYTHONPATH={env['PYTHONPATH']} " if env and "PYTHONPATH" in env else ""
    with system.log_path.open("ab") as log:
        log.write(f"$ {pythonpath}{shlex.join(argv)}\n".encode())
        log.flush()
        system.process = subprocess.Popen(
            list(argv), stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True, env=env, **(as_pg_user() if run_as_pg else {}))
    process = system.process

    def stop() -> None:
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, stop_signal)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(15)
        with contextlib.suppress(ProcessLookupError):  # children left behind (pgpool)
            os.killpg(process.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(5)

    CLEANUP.push(stop)


def wait_ready(system: System, check: Callable[[psycopg.Connection[object]], bool] | None = None,
               timeout: float = START_TIMEOUT_S) -> None:
    """Until a connection through the system runs `SELECT 1` (and ``check`` holds)."""
    deadline = time.monotonic() + timeout
    last = "no attempt"
    while time.monotonic() < deadline:
        if system.process is not None and system.process.poll() is not None:
            raise StartError(f"exited with {system.process.returncode}:\n{system.log_tail()}")
        try:
            with psycopg.connect(system.conninfo(), autocommit=True, connect_timeout=3) as conn:
                conn.execute("SELECT 1")
                if check is None or check(conn):
                    return
                last = "not ready yet"
        except psycopg.Error as exc:
            last = str(exc).strip()
        time.sleep(0.2)
    raise StartError(f"not ready after {timeout:.0f}s ({last}):\n{system.log_tail()}")


def query_one(conninfo: str, sql: str, params: Sequence[object] = ()) -> object:
    with psycopg.connect(conninfo, autocommit=True, connect_timeout=10) as conn:
        row = conn.execute(sql, params).fetchone()
    return row[0] if row else None


def command_output(argv: Sequence[str]) -> str:
    try:
        result = subprocess.run(list(argv), capture_output=True, text=True, timeout=30,
                                check=False)
    except (OSError, subprocess.SubprocessError) as exc:
        return f"? ({exc})"
    return (result.stdout.strip() or result.stderr.strip()).splitlines()[0]


# -- the systems ---------------------------------------------------------------------------


def start_cluster() -> tuple[pgfix.PostgresServer, pgfix.PostgresServer]:
    primary = pgfix.start_postgres()
    CLEANUP.push(primary.stop)
    standby = pgfix.start_standby(primary)
    CLEANUP.push(standby.stop)
    return primary, standby


def keep_server_logs(primary: pgfix.PostgresServer, standby: pgfix.PostgresServer,
                     log_dir: Path) -> None:
    """Copy the servers' logs out before their directories go (registered before stop)."""
    def copy() -> None:
        for name, server in (("postgres-primary", primary), ("postgres-standby", standby)):
            (log_dir / f"{name}.log").write_text(server.log())
    CLEANUP.push(copy)


def wait_replayed(primary: pgfix.PostgresServer, standby: pgfix.PostgresServer,
                  timeout: float = 120.0) -> float:
    """Wait until the standby has replayed the primary's current WAL position."""
    start = time.monotonic()
    target = query_one(primary.dsn, "SELECT pg_current_wal_lsn()")
    while time.monotonic() - start < timeout:
        caught_up = query_one(
            standby.dsn, f"SELECT pg_last_wal_replay_lsn() >= '{target}'::pg_lsn")
        if caught_up:
            return time.monotonic() - start
        time.sleep(0.1)
    raise RuntimeError(f"the standby did not replay {target} within {timeout:.0f}s")


def start_pgbouncer(name: str, mode: str, primary: pgfix.PostgresServer, log_dir: Path,
                    pool_size: int, max_clients: int) -> System:
    system = System(name, port=free_port())
    home = owned_tempdir(f"pgha-bench-pgbouncer-{mode}-")
    (home / "userlist.txt").write_text(f'"{PG_USER}" ""\n')
    (home / "pgbouncer.ini").write_text(
        "[databases]\n"
        f"postgres = host={primary.host} port={primary.port} dbname=postgres\n"
        "[pgbouncer]\n"
        f"listen_addr = 127.0.0.1\nlisten_port = {system.port}\nunix_socket_dir =\n"
        f"auth_type = trust\nauth_file = {home / 'userlist.txt'}\n"
        f"pool_mode = {mode}\ndefault_pool_size = {pool_size}\n"
        f"max_client_conn = {max_clients}\nmax_db_connections = 0\n"
        "ignore_startup_parameters = extra_float_digits\n"
        f"admin_users = {PG_USER}\n"
    )
    system.version = command_output(["pgbouncer", "--version"])
    system.info = {"pool_mode": mode, "default_pool_size": pool_size,
                   "max_client_conn": max_clients}
    spawn(system, ["pgbouncer", str(home / "pgbouncer.ini")], log_dir)
    wait_ready(system)
    return system


def start_pgpool(primary: pgfix.PostgresServer, standby: pgfix.PostgresServer,
                 log_dir: Path) -> System:
    system = System(PGPOOL, port=free_port())
    home = owned_tempdir("pgha-bench-pgpool-")
    settings = {
        "backend_clustering_mode": "'streaming_replication'",
        "listen_addresses": "'127.0.0.1'",
        "port": str(system.port),
        "unix_socket_directories": f"'{home}'",
        "pcp_listen_addresses": "''",
        "pcp_port": str(free_port()),
        "pcp_socket_dir": f"'{home}'",
        "wd_ipc_socket_dir": f"'{home}'",
        "pid_file_name": f"'{home}/pgpool.pid'",
        "logdir": f"'{home}'",
        "memqcache_oiddir": f"'{home}/oiddir'",
        "log_destination": "'stderr'",
        "enable_pool_hba": "off",
        "pool_passwd": "''",
        "num_init_children": "32",
        "max_pool": "4",
        "load_balance_mode": "on",
        "sr_check_period": "0",  # no lag check (delay_threshold is 0, i.e. off, anyway)
        "sr_check_user": f"'{PG_USER}'",
        "health_check_period": "0",
        "failover_on_backend_error": "off",
        "use_watchdog": "off",
    }
    for index, server in enumerate((primary, standby)):
        settings |= {f"backend_hostname{index}": f"'{server.host}'",
                     f"backend_port{index}": str(server.port),
                     f"backend_weight{index}": "1",
                     f"backend_data_directory{index}": f"'{server.data_dir}'",
                     f"backend_flag{index}": "'DISALLOW_TO_FAILOVER'"}
    conf = home / "pgpool.conf"
    conf.write_text("".join(f"{key} = {value}\n" for key, value in settings.items()))
    (home / "pcp.conf").write_text("")
    (home / "pool_hba.conf").write_text("host all all 127.0.0.1/32 trust\n")
    system.version = command_output(["pgpool", "--version"])
    system.info = {k: settings[k] for k in ("num_init_children", "max_pool",
                                            "load_balance_mode", "sr_check_period")}
    spawn(system, ["pgpool", "-n", "-f", str(conf), "-F", str(home / "pcp.conf"),
                   "-a", str(home / "pool_hba.conf")], log_dir, stop_signal=signal.SIGINT)

    def both_up(conn: psycopg.Connection[object]) -> bool:
        cursor = conn.execute("SHOW pool_nodes")
        names = [c.name for c in cursor.description or ()]
        nodes = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
        system.info["pool_nodes"] = [{k: str(n.get(k)) for k in ("node_id", "port", "status",
                                                                "role", "lb_weight")}
                                     for n in nodes]
        roles = sorted(str(n.get("role")) for n in nodes if n.get("status") in ("up", "waiting"))
        return roles == ["primary", "standby"]

    wait_ready(system, both_up)
    return system


def ready_port(system: System, ready: Path) -> int:
    """The port a spawned proxy writes to its ready file ({"port": N}) once it listens."""
    deadline = time.monotonic() + START_TIMEOUT_S
    while not ready.exists():
        if system.process is not None and system.process.poll() is not None:
            raise StartError(f"exited with {system.process.returncode}:\n{system.log_tail()}")
        if time.monotonic() > deadline:
            raise StartError(f"no ready file after {START_TIMEOUT_S:.0f}s:\n{system.log_tail()}")
        time.sleep(0.05)
    return int(json.loads(ready.read_text())["port"])


def start_relay_floor(primary: pgfix.PostgresServer, log_dir: Path) -> System:
    """benchmarks/relay_floor.py in front of the primary: bytes relayed, nothing understood."""
    system = System(RELAY_FLOOR)
    ready = owned_tempdir("pgha-bench-relay-") / "ready.json"
    argv = [sys.executable, str(REPO / "benchmarks" / "relay_floor.py"), "0",
            f"{primary.host}:{primary.port}", str(ready)]
    spawn(system, argv, log_dir, run_as_pg=False)
    system.port = ready_port(system, ready)
    system.version = "uvloop byte relay"
    return system


def start_pgha(primary: pgfix.PostgresServer, standby: pgfix.PostgresServer, log_dir: Path,
               pgha_src: Path, name: str = PGHA, *extra: str) -> System:
    system = System(name)
    home = owned_tempdir("pgha-bench-pgha-")
    ready = home / "ready.json"
    argv = [sys.executable, "-m", "pgha", "proxy", "--listen", "127.0.0.1:0",
            "--node", f"{primary.host}:{primary.port}", "--node", f"{standby.host}:{standby.port}",
            "--backend", "postgres", "--ready-file", str(ready), *extra]
    env = {**os.environ, "PYTHONPATH": str(pgha_src), "PYTHONUNBUFFERED": "1"}
    spawn(system, argv, log_dir, env=env, run_as_pg=False)
    system.port = ready_port(system, ready)
    system.version = f"git {git_commit(pgha_src)}"
    system.info = {"argv": argv[1:], "pgha_src": str(pgha_src)}

    def reads_on_standby(conn: psycopg.Connection[object]) -> bool:
        notices: list[str] = []
        conn.add_notice_handler(lambda diag: notices.append(diag.message_primary or ""))
        conn.execute("SET pgha.explain_route = on")
        conn.execute("SELECT 1")
        return any("standby" in n for n in notices)

    wait_ready(system, reads_on_standby)
    return system


def start_systems(primary: pgfix.PostgresServer, standby: pgfix.PostgresServer, log_dir: Path,
                  pgha_src: Path, idle_clients: int) -> dict[str, System]:
    direct = System(DIRECT, port=primary.port)
    direct.version = str(query_one(primary.dsn, "SHOW server_version"))
    systems = {DIRECT: direct}
    starters: dict[str, Callable[[], System]] = {
        BOUNCER_SESSION: lambda: start_pgbouncer(
            BOUNCER_SESSION, "session", primary, log_dir, max(20, idle_clients + 10),
            idle_clients + 100),
        BOUNCER_TXN: lambda: start_pgbouncer(
            BOUNCER_TXN, "transaction", primary, log_dir, 20, idle_clients + 100),
        PGPOOL: lambda: start_pgpool(primary, standby, log_dir),
        PGHA: lambda: start_pgha(primary, standby, log_dir, pgha_src),
        PGHA_TXN: lambda: start_pgha(primary, standby, log_dir, pgha_src, PGHA_TXN,
                                     "--pool-mode", "transaction", "--pool-size", "20"),
        RELAY_FLOOR: lambda: start_relay_floor(primary, log_dir),
    }
    for name, start in starters.items():
        try:
            systems[name] = start()
            print(f"started {name} on port {systems[name].port}", file=sys.stderr)
        except Exception as exc:
            systems[name] = System(name, error=f"failed to start: {exc}".strip())
            print(f"{name} {systems[name].error}", file=sys.stderr)
    return systems


# -- pgbench -------------------------------------------------------------------------------


@dataclass
class Run:
    """One pgbench run: its tps (None if it failed) and what else it reported."""

    tps: float | None
    error: str = ""
    processed: int = 0
    latency_avg_ms: float | None = None
    p50_ms: float | None = None
    p99_ms: float | None = None
    standby_reads: int | None = None
    primary_index_scans: int | None = None
    proxy_cpu_us: float | None = None  # the proxy's CPU time per transaction

    def as_json(self) -> dict[str, object]:
        return {k: v for k, v in self.__dict__.items() if v not in (None, "")}


def pgbench(system: System, args: Sequence[str], duration: int, *, clients: int = CLIENTS,
            threads: int = THREADS, options: str = "", log_dir: Path | None = None) -> Run:
    argv = ["pgbench", "-n", *args, "-c", str(clients), "-j", str(threads),
            "-T", str(duration), *system.pgbench_conn()]
    if log_dir is not None:
        argv[1:1] = ["--log", f"--log-prefix={log_dir / 'pgbench'}"]
    env = {**os.environ, "PGOPTIONS": options}
    cpu_before = system.cpu_seconds()
    try:
        result = subprocess.run(argv, capture_output=True, text=True, timeout=duration + 120,
                                env=env, check=False, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return Run(None, f"pgbench did not finish within {duration + 120}s")
    cpu_after = system.cpu_seconds()
    output = result.stdout + "\n" + result.stderr
    errors = [line.strip() for line in output.splitlines()
              if ERROR_RE.search(line) and not BENIGN_RE.match(line.strip())]
    match = TPS_RE.search(result.stdout)
    if result.returncode != 0 or errors or match is None:
        first = errors[0] if errors else (output.strip().splitlines() or ["no output"])[-1]
        first = re.sub(r"\s+", " ", first.removeprefix("pgbench: error: "))
        return Run(None, f"exit {result.returncode}: {first}"[:200])
    processed = PROCESSED_RE.search(result.stdout)
    latency = LATENCY_RE.search(result.stdout)
    count = int(processed.group(1)) if processed else 0
    cpu_us = (round((cpu_after - cpu_before) * 1e6 / count, 1)
              if cpu_before is not None and cpu_after is not None and count else None)
    return Run(float(match.group(1)), processed=count,
               latency_avg_ms=float(latency.group(1)) if latency else None, proxy_cpu_us=cpu_us)


def logged_latencies_ms(log_dir: Path) -> list[float]:
    """Per-transaction latencies from pgbench --log files (third column, in µs)."""
    values: list[float] = []
    for path in log_dir.glob("pgbench*"):
        for line in path.read_text().splitlines():
            parts = line.split()
            if len(parts) >= 3 and parts[2].isdigit():
                values.append(int(parts[2]) / 1000.0)
        path.unlink()
    return sorted(values)


def percentile(sorted_values: Sequence[float], fraction: float) -> float:
    index = min(len(sorted_values) - 1, max(0, round(fraction * (len(sorted_values) - 1))))
    return sorted_values[index]


def ordered(names: Sequence[str], rep: int, slot: int) -> list[str]:
    """The systems in the order of this run: reversed every other time."""
    return list(names) if (rep + slot) % 2 == 0 else list(reversed(names))


def median_tps(runs: Sequence[Run]) -> float | None:
    values = [r.tps for r in runs if r.tps is not None]
    return statistics.median(values) if values else None


def throughput(systems: dict[str, System], reps: int, duration: int) -> dict[str, dict]:
    names = [n for n in SYSTEMS if systems[n].ok]
    results: dict[str, dict[str, list[Run]]] = {w: {n: [] for n in names} for w, _ in WORKLOADS}
    for rep in range(reps):
        for slot, (workload, args) in enumerate(WORKLOADS):
            for name in ordered(names, rep, slot):
                run = pgbench(systems[name], args, duration)
                results[workload][name].append(run)
                print(f"rep {rep + 1} {workload:<13} {name:<22} {fmt_run(run)}", file=sys.stderr)
    return results


def latency(systems: dict[str, System], reps: int, duration: int) -> dict[str, list[Run]]:
    names = [n for n in SYSTEMS if systems[n].ok]
    results: dict[str, list[Run]] = {n: [] for n in names}
    log_dir = Path(tempfile.mkdtemp(prefix="pgha-bench-pgbench-log-"))
    CLEANUP.push(lambda: shutil.rmtree(log_dir, ignore_errors=True))
    for rep in range(reps):
        for name in ordered(names, rep, 0):
            run = pgbench(systems[name], ["-S", "-M", "prepared"], duration, clients=1,
                          threads=1, log_dir=log_dir)
            values = logged_latencies_ms(log_dir)
            if run.tps is not None and values:
                run.p50_ms, run.p99_ms = percentile(values, 0.5), percentile(values, 0.99)
            results[name].append(run)
            print(f"rep {rep + 1} latency -c 1  {name:<22} {fmt_run(run)} p50 {run.p50_ms} ms",
                  file=sys.stderr)
    return results


def read_your_writes(systems: dict[str, System], primary: pgfix.PostgresServer,
                     standby: pgfix.PostgresServer, reps: int,
                     duration: int) -> dict[str, list[Run]]:
    script_dir = Path(tempfile.mkdtemp(prefix="pgha-bench-script-"))
    CLEANUP.push(lambda: shutil.rmtree(script_dir, ignore_errors=True))
    script = script_dir / "write_then_read.sql"
    script.write_text(WRITE_THEN_READ)
    cases: dict[str, tuple[System, str]] = {
        name: (systems[name], "") for name in (DIRECT, BOUNCER_SESSION, PGPOOL, PGHA)
        if systems[name].ok}
    if systems[PGHA].ok:
        cases[PGHA_PRIMARY_ONLY] = (systems[PGHA], "-c pgha.route=primary")
        cases[PGHA_NO_WAIT] = (systems[PGHA], "-c pgha.ryw_timeout=0")
        cases[PGHA_NO_RYW] = (systems[PGHA], "-c pgha.route=standby")
    results: dict[str, list[Run]] = {name: [] for name in cases}
    time.sleep(STATS_SETTLE_S)  # the statistics of the runs before
    for rep in range(reps):
        for name in ordered(list(cases), rep, 0):
            system, options = cases[name]
            before = (index_scans(standby), index_scans(primary))
            run = pgbench(system, ["-f", str(script), "-M", "prepared"], duration,
                          options=options)
            time.sleep(STATS_SETTLE_S)
            after = (index_scans(standby), index_scans(primary))
            if run.tps is not None and None not in before + after:
                run.standby_reads = after[0] - before[0]
                run.primary_index_scans = after[1] - before[1]
            results[name].append(run)
            print(f"rep {rep + 1} write+read     {name:<22} {fmt_run(run)} "
                  f"standby reads {run.standby_reads}", file=sys.stderr)
    return results


def ryw_cost(ryw_runs: dict[str, list[Run]]) -> float | None:
    """Percent of throughput read-your-writes costs: pgha's default against the same reads on
    the standby with no freshness check (pgha.route=standby)."""
    with_it = ratio(ryw_runs.get(PGHA), ryw_runs.get(PGHA_NO_RYW))
    return None if with_it is None else round(100 * (1 - with_it), 1)


def index_scans(server: pgfix.PostgresServer) -> int | None:
    try:
        value = query_one(server.dsn, IDX_SCANS)
    except psycopg.Error:
        return None
    return int(value) if value is not None else None


# -- idle clients --------------------------------------------------------------------------


@dataclass
class IdleResult:
    clients: int
    connected: int = 0
    error: str = ""
    rss_before_kb: int | None = None
    rss_with_kb: int | None = None
    primary_backends: int | None = None  # backends with the idle clients' application_name
    standby_backends: int | None = None
    connect_seconds: float = 0.0


async def hold_idle_clients(system: System, count: int, app: str, measure: Callable[[], None],
                            batch: int = 50) -> tuple[int, str, float]:
    """Open ``count`` connections (each runs SELECT 1), call ``measure`` while they are all
    open and idle, close them. Returns how many connected, the first error, and seconds."""
    import asyncpg

    connections: list[asyncpg.Connection] = []
    first_error = ""

    async def one() -> None:
        nonlocal first_error
        try:
            conn = await asyncpg.connect(host=system.host, port=system.port, user=PG_USER,
                                         database="postgres", timeout=30,
                                         server_settings={"application_name": app})
        except Exception as exc:
            first_error = first_error or f"{type(exc).__name__}: {exc}"
            return
        try:
            await asyncio.wait_for(conn.execute("SELECT 1"), 30)
        except Exception as exc:
            first_error = first_error or f"{type(exc).__name__}: {exc}"
        connections.append(conn)

    start = time.monotonic()
    try:
        for offset in range(0, count, batch):
            await asyncio.gather(*(one() for _ in range(min(batch, count - offset))))
            if first_error and not connections:
                break
        elapsed = time.monotonic() - start
        await asyncio.sleep(2.0)
        measure()
        return len(connections), first_error, elapsed
    finally:
        await asyncio.gather(*(c.close(timeout=10) for c in connections),
                             return_exceptions=True)


def idle_memory(systems: dict[str, System], primary: pgfix.PostgresServer,
                standby: pgfix.PostgresServer, count: int) -> dict[str, IdleResult]:
    results: dict[str, IdleResult] = {}
    for name in (PGHA, PGHA_TXN, BOUNCER_TXN, BOUNCER_SESSION):
        system = systems[name]
        if not system.ok:
            continue
        time.sleep(3.0)  # the previous system's clients and backends are gone
        result = IdleResult(count)
        result.rss_before_kb = system.rss_kb()
        app = f"idle-{system.slug}"  # tells this system's backends from the others'

        def measure(system: System = system, result: IdleResult = result, app: str = app) -> None:
            result.rss_with_kb = system.rss_kb()
            result.primary_backends = int(query_one(primary.dsn, IDLE_BACKENDS, (app,)))
            result.standby_backends = int(query_one(standby.dsn, IDLE_BACKENDS, (app,)))

        try:
            result.connected, result.error, result.connect_seconds = asyncio.run(
                hold_idle_clients(system, count, app, measure))
        except Exception as exc:
            result.error = f"{type(exc).__name__}: {exc}"
        results[name] = result
        print(f"idle clients {name}: {result}", file=sys.stderr)
    return results


# -- report --------------------------------------------------------------------------------


def fmt_run(run: Run) -> str:
    return f"{run.tps:.0f} tps" if run.tps is not None else f"failed: {run.error}"


def cell(runs: Sequence[Run] | None, value: Callable[[Sequence[Run]], float | None] = median_tps,
         digits: int = 0) -> str:
    if not runs:
        return "not run"
    failed = [r for r in runs if r.tps is None]
    result = value(runs)
    if result is None:
        return f"failed: {failed[0].error}" if failed else "-"
    text = f"{result:.{digits}f}"
    return text + (f" ({len(failed)}/{len(runs)} runs failed)" if failed else "")


def ratio(a: Sequence[Run] | None, b: Sequence[Run] | None) -> float | None:
    x, y = median_tps(a or ()), median_tps(b or ())
    return x / y if x and y else None


def fmt_ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def median_of(attr: str) -> Callable[[Sequence[Run]], float | None]:
    def pick(runs: Sequence[Run]) -> float | None:
        values = [getattr(r, attr) for r in runs if getattr(r, attr) is not None]
        return statistics.median(values) if values else None
    return pick


def standby_share(runs: Sequence[Run]) -> float | None:
    """Median % of the SELECTs that ran on the standby."""
    shares = [100.0 * r.standby_reads / r.processed for r in runs
              if r.standby_reads is not None and r.processed]
    return statistics.median(shares) if shares else None


def counted_share(runs: Sequence[Run]) -> float | None:
    """Median % of the SELECTs found in the statistics: on the standby, plus on the primary
    (its index scans less one per UPDATE). About 100% when the statistics are complete."""
    shares = [100.0 * (r.standby_reads + r.primary_index_scans - r.processed) / r.processed
              for r in runs if r.standby_reads is not None
              and r.primary_index_scans is not None and r.processed]
    return statistics.median(shares) if shares else None


def fmt_percent(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}%"


def markdown(report: dict, throughput_runs: dict, latency_runs: dict, ryw_runs: dict,
             idle: dict[str, IdleResult], systems: dict[str, System]) -> str:
    lines = [f"- {k}: {v}" for k, v in report["machine"].items()]
    lines += [f"- {k}: {v}" for k, v in report["settings"].items()]
    lines += [f"- {name}: {s.version}" + (f" -- {s.error.splitlines()[0]}" if s.error else "")
              for name, s in systems.items()]
    lines.append("")
    names = list(SYSTEMS)
    lines.append(f"### Throughput: {CLIENTS} clients, -j {THREADS}, median tps")
    lines.append("")
    lines.append("| workload | " + " | ".join(names) + " | pgha / PgBouncer session "
                 "| pgha / pgpool-II | pgha / direct |")
    lines.append("|---" * (len(names) + 4) + "|")
    for workload, _ in WORKLOADS:
        runs = throughput_runs.get(workload, {})
        row = [cell(runs.get(n)) if systems[n].ok else "did not start" for n in names]
        ratios = [fmt_ratio(ratio(runs.get(PGHA), runs.get(other)))
                  for other in (BOUNCER_SESSION, PGPOOL, DIRECT)]
        lines.append(f"| {workload} | " + " | ".join(row + ratios) + " |")
    lines.append("")
    proxies = [n for n in names if n != DIRECT]
    lines.append("### The proxy's CPU time per transaction (µs, median; user + system, all "
                 "of its processes)")
    lines.append("")
    lines.append("| workload | " + " | ".join(proxies) + " |")
    lines.append("|---" * (len(proxies) + 1) + "|")
    for workload, _ in WORKLOADS:
        runs = throughput_runs.get(workload, {})
        lines.append(f"| {workload} | " + " | ".join(
            cell(runs.get(n), median_of("proxy_cpu_us"), 1) if systems[n].ok else "-"
            for n in proxies) + " |")
    lines.append("")
    lines.append("### Latency: 1 client, -S -M prepared (per-transaction latencies from "
                 "pgbench --log; medians over the repetitions)")
    lines.append("")
    lines.append("| system | p50 ms | p99 ms | pgbench latency average ms | tps |")
    lines.append("|---|---|---|---|---|")
    for name in names:
        runs = latency_runs.get(name)
        if not systems[name].ok:
            lines.append(f"| {name} | did not start | | | |")
            continue
        if runs and all(r.tps is None for r in runs):
            lines.append(f"| {name} | failed: {runs[0].error} | | | |")
            continue
        lines.append(f"| {name} | {cell(runs, median_of('p50_ms'), 3)} | "
                     f"{cell(runs, median_of('p99_ms'), 3)} | "
                     f"{cell(runs, median_of('latency_avg_ms'), 3)} | {cell(runs)} |")
    lines.append("")
    lines.append(f"### Write-then-read (UPDATE, then SELECT of the same account), "
                 f"{CLIENTS} clients, -M prepared")
    lines.append("")
    lines.append("| system | median tps | pgha / this | reads on the standby | reads counted |")
    lines.append("|---|---|---|---|---|")
    for name, runs in ryw_runs.items():
        lines.append(f"| {name} | {cell(runs)} | {fmt_ratio(ratio(ryw_runs.get(PGHA), runs))} "
                     f"| {fmt_percent(standby_share(runs))} "
                     f"| {fmt_percent(counted_share(runs))} |")
    cost = ryw_cost(ryw_runs)
    if cost is not None:
        lines.append("")
        lines.append(f"Read-your-writes costs {cost:.1f}% of the throughput of the same reads "
                     "on the standby without it (pgha.route=standby).")
    lines.append("")
    lines.append("### Idle clients: proxy RSS and backends held")
    lines.append("")
    lines.append("| system | clients connected | connect s | RSS before MB | RSS with clients MB "
                 "| KB per client | their primary backends | their standby backends | note |")
    lines.append("|---|---|---|---|---|---|---|---|---|")
    for name, r in idle.items():
        per_client = ((r.rss_with_kb - r.rss_before_kb) / r.connected
                      if r.rss_with_kb and r.rss_before_kb and r.connected else None)
        note = r.error[:120] if r.error else ""
        lines.append(
            f"| {name} | {r.connected} of {r.clients} | {r.connect_seconds:.1f} "
            f"| {mb(r.rss_before_kb)} | "
            f"{mb(r.rss_with_kb)} | {'-' if per_client is None else f'{per_client:.1f}'} | "
            f"{r.primary_backends} | {r.standby_backends} | {note} |")
    return "\n".join(lines)


def log_summary(system: System) -> dict[str, int]:
    """How many lines of the system's log say ERROR, FATAL, WARNING or Traceback."""
    counts = dict.fromkeys(("ERROR", "FATAL", "WARNING", "Traceback"), 0)
    if system.log_path is not None and system.log_path.exists():
        for line in system.log_path.read_text(errors="replace").splitlines():
            for word in counts:
                if word in line:
                    counts[word] += 1
    return counts


def mb(kb: int | None) -> str:
    return "-" if kb is None else f"{kb / 1024:.1f}"


def runs_json(runs: dict[str, list[Run]]) -> dict[str, dict[str, object]]:
    return {name: {"median_tps": median_tps(r), "runs": [x.as_json() for x in r]}
            for name, r in runs.items()}


def git_commit(path: Path) -> str:
    head = command_output(["git", "-C", str(path), "rev-parse", "--short=12", "HEAD"])
    dirty = subprocess.run(["git", "-C", str(path), "diff-index", "--quiet", "HEAD", "--"],
                           capture_output=True, check=False).returncode == 1
    return head + (" (+ uncommitted changes)" if dirty else "")


def machine() -> dict[str, str]:
    cpu = platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {
        "machine": f"nproc={os.cpu_count()}, {cpu}, {platform.system()} {platform.release()}",
        "load average at start": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "python": platform.python_version(),
        "pgbench": command_output(["pgbench", "--version"]),
    }


# -- main ----------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="-T 2 and one repetition")
    parser.add_argument("--duration", type=int, help="seconds per pgbench run (default 5)")
    parser.add_argument("--reps", type=int, help="repetitions (default 3)")
    parser.add_argument("--idle-clients", type=int, default=1000)
    parser.add_argument("--pgha-src", type=Path, default=REPO / "src",
                        help="the src/ directory pgha proxy runs from (PYTHONPATH)")
    parser.add_argument("--only", default=",".join(SECTIONS),
                        help=f"comma-separated sections to run, of {', '.join(SECTIONS)} "
                        "(default: all)")
    parser.add_argument("--log-dir", type=Path, help="where the logs are kept "
                        "(default: a new /tmp/proxy_postgres-logs-<time> directory)")
    args = parser.parse_args(argv)
    args.duration = args.duration or (2 if args.quick else 5)
    args.reps = args.reps or (1 if args.quick else 3)
    args.only = {s.strip() for s in args.only.split(",") if s.strip()}
    if not args.only <= set(SECTIONS):
        parser.error(f"--only: unknown section(s) {', '.join(sorted(args.only - set(SECTIONS)))}")
    return args


def _terminate(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)  # so that the finally blocks stop everything


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    command = shlex.join([sys.executable, *sys.argv])
    signal.signal(signal.SIGTERM, _terminate)
    atexit.register(CLEANUP.run)
    started = time.monotonic()
    now = datetime.datetime.now()
    log_dir = args.log_dir or Path(f"/tmp/proxy_postgres-logs-{now:%Y%m%d-%H%M%S}")
    log_dir.mkdir(parents=True, exist_ok=True)
    # The benchmark needs commits on the standby promptly, and room for the idle clients.
    pgfix.SERVER_SETTINGS["synchronous_commit"] = "on"
    pgfix.SERVER_SETTINGS["max_connections"] = str(2 * args.idle_clients + 200)
    try:
        primary, standby = start_cluster()
        keep_server_logs(primary, standby, log_dir)
        init = subprocess.run(["pgbench", "-i", "-q", "-s", str(SCALE), "-h", primary.host,
                               "-p", str(primary.port), "-U", PG_USER, "postgres"],
                              capture_output=True, text=True, timeout=900, check=False)
        if init.returncode != 0:
            print(f"pgbench -i failed:\n{init.stdout}{init.stderr}", file=sys.stderr)
            return 1
        replay_wait = wait_replayed(primary, standby)
        systems = start_systems(primary, standby, log_dir, args.pgha_src, args.idle_clients)
        report: dict = {
            "date": now.isoformat(timespec="seconds"),
            "command": command,
            "machine": machine(),
            "settings": {
                "pgbench": f"-i -s {SCALE}; runs -n -T {args.duration}, {args.reps} "
                           f"repetition(s), systems interleaved",
                "PostgreSQL": "fixture settings (fsync=off, full_page_writes=off) with "
                              f"synchronous_commit=on, max_connections="
                              f"{pgfix.SERVER_SETTINGS['max_connections']}; "
                              f"standby replayed pgbench -i {replay_wait:.1f}s after it ended",
                "pgha": f"git {git_commit(args.pgha_src)} from {args.pgha_src}",
            },
            "systems": {name: {"ok": s.ok, "port": s.port, "version": s.version,
                               "error": s.error, "info": s.info,
                               "log": str(s.log_path) if s.log_path else None}
                        for name, s in systems.items()},
        }
        only = args.only
        throughput_runs = throughput(systems, args.reps, args.duration) \
            if "throughput" in only else {}
        latency_runs = latency(systems, args.reps, args.duration) if "latency" in only else {}
        ryw_runs = read_your_writes(systems, primary, standby, args.reps, args.duration) \
            if "ryw" in only else {}
        idle = idle_memory(systems, primary, standby, args.idle_clients) \
            if "idle" in only else {}
        total = time.monotonic() - started
        report |= {
            "throughput": {w: {"systems": runs_json(r),
                               "pgha/PgBouncer session": ratio(r.get(PGHA),
                                                               r.get(BOUNCER_SESSION)),
                               "pgha/pgpool-II": ratio(r.get(PGHA), r.get(PGPOOL)),
                               "pgha/direct": ratio(r.get(PGHA), r.get(DIRECT))}
                           for w, r in throughput_runs.items()},
            "latency_1_client_S_prepared": {
                name: {"p50_ms": median_of("p50_ms")(r), "p99_ms": median_of("p99_ms")(r),
                       "latency_avg_ms": median_of("latency_avg_ms")(r),
                       "median_tps": median_tps(r), "runs": [x.as_json() for x in r]}
                for name, r in latency_runs.items()},
            "write_then_read": {name: {**runs_json({name: r})[name],
                                       "standby_read_percent": standby_share(r),
                                       "reads_counted_percent": counted_share(r)}
                                for name, r in ryw_runs.items()},
            "read_your_writes_cost_percent": ryw_cost(ryw_runs),
            "idle_clients": {name: r.__dict__ for name, r in idle.items()},
            "log_lines": {name: log_summary(s) for name, s in systems.items() if s.log_path},
            "total_seconds": round(total),
            "load average at end": " ".join(f"{x:.2f}" for x in os.getloadavg()),
            "log_dir": str(log_dir),
        }
        print(markdown(report, throughput_runs, latency_runs, ryw_runs, idle, systems))
        found = {name: ", ".join(f"{n} {word}" for word, n in counts.items() if n) or "clean"
                 for name, counts in report["log_lines"].items()}
        print("\nlog lines: " + "; ".join(f"{name}: {text}" for name, text in found.items()))
        out = REPO / "benchmarks" / "results" / f"proxy_postgres-{now:%Y-%m-%d}.json"
        if out.exists():
            out = out.with_name(f"proxy_postgres-{now:%Y-%m-%d-%H%M%S}.json")
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(report, indent=2) + "\n")
        print(f"\ncommand: {command}\nJSON: {out}\nlogs: {log_dir}\ntotal time: {total:.0f}s, "
              f"load average at end: {report['load average at end']}")
        return 0
    finally:
        CLEANUP.run()


if __name__ == "__main__":
    sys.exit(main())
