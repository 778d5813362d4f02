"""`pgha up`: a local cluster on one machine, for trying pgha and for development.

Starts three `pgha server` processes (n1 primary, n2 and n3 standbys, each with its own client
and replication port, all listing each other's replication addresses, with a cluster secret
generated on first use) and one `pgha proxy` in front of them; prints how to connect and every
change of primary; restarts a process that dies (a node comes back as a standby and catches
up, or is rebuilt); Ctrl-C (or SIGTERM) stops them all. Data stays in ``--data`` between runs.

Ports: the proxy on PORT, the nodes' client ports on PORT+1..PORT+3, their replication
ports on PORT+11..PORT+13; the REST APIs (health checks, /cluster, /metrics) of the proxy on
PORT+20 and of the nodes on PORT+21..PORT+23.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from pgha.net.tls import make_certificates

NODES = ("n1", "n2", "n3")
START_TIMEOUT_S = 60.0
RESTART_DELAY_S = 1.0  # between a process's exit and its restart


@dataclass
class Child:
    name: str
    argv: list[str]
    log: Path
    ready: Path
    proc: subprocess.Popen[bytes] | None = None
    exited_at: float = 0.0


def run_up(data: Path, port: int, sync_mode: str, log_level: str, tls: bool = False,
           pool_mode: str = "session") -> int:
    data.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "PGHA_CLUSTER_SECRET": _cluster_secret(data)}
    tls_args: list[str] = []
    if tls:
        # One certificate for every process of this local cluster (they all run on 127.0.0.1).
        cert, key = make_certificates(data / "tls", "pgha", ["127.0.0.1", "localhost"])
        tls_args = ["--tls-cert", str(cert), "--tls-key", str(key), "--tls-ca",
                    str(data / "tls" / "ca.crt")]
    peers = ",".join(f"127.0.0.1:{port + 11 + i}" for i in range(len(NODES)))
    children = [_node(data, port, i, name, peers, sync_mode, log_level, tls_args)
                for i, name in enumerate(NODES)]
    nodes = [arg for i in range(len(NODES)) for arg in ("--node", f"127.0.0.1:{port + 1 + i}")]
    children.append(Child("proxy", [sys.executable, "-m", "pgha", "proxy", "--listen",
                                    f"127.0.0.1:{port}", *nodes, "--ready-file",
                                    str(data / "proxy.ready"), "--log-level", log_level,
                                    "--http-bind", f"127.0.0.1:{port + 20}",
                                    "--pool-mode", pool_mode, *tls_args,
                                    *(["--backend-sslmode", "verify-full"] if tls else [])],
                          data / "proxy.log", data / "proxy.ready"))
    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        for child in children:
            _spawn(child, env, wait=True)
        print(f"pgha cluster up ({sync_mode} replication, {pool_mode} pooling), data and "
              f"logs in {data}/")
        print(f"  proxy:   psql -h 127.0.0.1 -p {port} -U postgres     "
              f"(API http://127.0.0.1:{port + 20}/cluster)")
        if tls:
            print(f"  TLS:     psql \"host=127.0.0.1 port={port} user=postgres "
                  f"sslmode=verify-full sslrootcert={data / 'tls' / 'ca.crt'}\"")
        for i, name in enumerate(NODES):
            print(f"  {name}:      psql -h 127.0.0.1 -p {port + 1 + i} -U postgres     "
                  f"(API http://127.0.0.1:{port + 21 + i}/health)")
        print(f"  status:  pgha status -p {port}")
        print("Ctrl-C stops the cluster.", flush=True)
        primary = ""
        while not stopping:
            for child in children:
                _supervise(child, env)
            now = _primary(data)
            if now and now != primary:
                print(f"pgha up: the primary is {now}", flush=True)
                primary = now
            time.sleep(0.2)
        return 0
    except RuntimeError as exc:
        print(f"pgha up: {exc}", file=sys.stderr)
        return 1
    finally:
        running = [c.proc for c in reversed(children) if c.proc and c.proc.poll() is None]
        for proc in running:
            proc.terminate()
        for proc in running:
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()


def _node(data: Path, port: int, i: int, name: str, peers: str, sync_mode: str,
          log_level: str, tls_args: list[str]) -> Child:
    mode = "primary" if i == 0 and not (data / name / "pgha.db").exists() else "standby"
    # A node that was primary before (ha_state.json says so) comes back as primary only if
    # no peer has a newer term; the others start as standbys and the cluster elects.
    argv = [sys.executable, "-m", "pgha", "server", "--data", str(data / name),
            "--listen", f"127.0.0.1:{port + 1 + i}", "--node-id", name,
            "--ha-mode", mode, "--ha-bind", f"127.0.0.1:{port + 11 + i}",
            "--ha-primary", peers, "--sync-mode", sync_mode,
            "--ready-file", str(data / f"{name}.ready"), "--log-level", log_level,
            "--http-bind", f"127.0.0.1:{port + 21 + i}", *tls_args]
    return Child(name, argv, data / f"{name}.log", data / f"{name}.ready")


def _supervise(child: Child, env: dict[str, str]) -> None:
    """Restart a child that exited (a node as a standby: its peers may have elected another
    primary meanwhile)."""
    proc = child.proc
    if proc is None or proc.poll() is None:
        return
    now = time.monotonic()
    if not child.exited_at:
        child.exited_at = now
        print(f"pgha up: {child.name} exited with {proc.returncode}; restarting it",
              file=sys.stderr, flush=True)
        return
    if now - child.exited_at < RESTART_DELAY_S:
        return
    if "--ha-mode" in child.argv:
        child.argv[child.argv.index("--ha-mode") + 1] = "standby"
    child.exited_at = 0.0
    _spawn(child, env, wait=False)


def _primary(data: Path) -> str:
    """The node that last became primary, from the nodes' durable state (no network)."""
    best: tuple[int, str] = (0, "")
    for name in NODES:
        try:
            state = json.loads((data / name / "ha_state.json").read_text())
        except (OSError, ValueError):
            continue
        if state.get("role") == "primary" and int(state.get("term", 0)) > best[0]:
            best = (int(state["term"]), f"{name} (term {state['term']})")
    return best[1]


def _cluster_secret(data: Path) -> str:
    """The replication secret of this local cluster, made on first use (mode 0600)."""
    path = data / "cluster-secret"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_urlsafe(32))
    return path.read_text().strip()


def _spawn(child: Child, env: dict[str, str], *, wait: bool) -> None:
    child.ready.unlink(missing_ok=True)
    with open(child.log, "ab") as out:
        child.proc = subprocess.Popen(child.argv, stdout=out, stderr=subprocess.STDOUT,
                                      stdin=subprocess.DEVNULL, start_new_session=True,
                                      env=env)
    if not wait:
        return
    deadline = time.monotonic() + START_TIMEOUT_S
    while not child.ready.exists():
        if child.proc.poll() is not None:
            raise RuntimeError(f"{child.name} exited with {child.proc.returncode}; "
                               f"see {child.log}")
        if time.monotonic() > deadline:
            child.proc.kill()
            raise RuntimeError(f"{child.name} did not start; see {child.log}")
        time.sleep(0.05)
    json.loads(child.ready.read_text())
