"""`pgha up`: a local cluster on one machine, for trying pgha and for development.

Starts three `pgha server` processes (n1 primary, n2 and n3 standbys, each with its own client
and replication port, all listing each other's replication addresses) and one `pgha proxy` in
front of them; prints how to connect; Ctrl-C (or SIGTERM) stops them all. Data stays in
``--data`` between runs, and a node that was promoted comes back as the primary.

Ports: the proxy on PORT, the nodes' client ports on PORT+1..PORT+3 and their replication
ports on PORT+11..PORT+13.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

NODES = ("n1", "n2", "n3")
START_TIMEOUT_S = 60.0


def run_up(data: Path, port: int, sync_mode: str, log_level: str) -> int:
    data.mkdir(parents=True, exist_ok=True)
    peers = ",".join(f"127.0.0.1:{port + 11 + i}" for i in range(len(NODES)))
    procs: list[subprocess.Popen[bytes]] = []
    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        for i, name in enumerate(NODES):
            mode = "primary" if i == 0 else "standby"
            argv = [sys.executable, "-m", "pgha", "server", "--data", str(data / name),
                    "--listen", f"127.0.0.1:{port + 1 + i}", "--node-id", name,
                    "--ha-mode", mode, "--ha-bind", f"127.0.0.1:{port + 11 + i}",
                    "--ha-primary", peers, "--sync-mode", sync_mode,
                    "--ready-file", str(data / f"{name}.ready"), "--log-level", log_level]
            procs.append(_spawn(argv, data / f"{name}.log", data / f"{name}.ready"))
        nodes = [arg for i in range(len(NODES)) for arg in ("--node", f"127.0.0.1:{port + 1 + i}")]
        procs.append(_spawn([sys.executable, "-m", "pgha", "proxy", "--listen",
                             f"127.0.0.1:{port}", *nodes, "--ready-file",
                             str(data / "proxy.ready"), "--log-level", log_level],
                            data / "proxy.log", data / "proxy.ready"))
        print(f"pgha cluster up ({sync_mode} replication), data and logs in {data}/")
        print(f"  proxy:   psql -h 127.0.0.1 -p {port} -U postgres")
        for i, name in enumerate(NODES):
            role = "primary" if i == 0 else "standby"
            print(f"  {name} ({role}): psql -h 127.0.0.1 -p {port + 1 + i} -U postgres")
        print("Ctrl-C stops the cluster.", flush=True)
        while not stopping:
            for proc in procs:
                if proc.poll() is not None:
                    print(f"pgha up: process {proc.args[3]} exited with {proc.returncode}; "
                          "stopping", file=sys.stderr)
                    stopping = True
            time.sleep(0.2)
        return 0
    except RuntimeError as exc:
        print(f"pgha up: {exc}", file=sys.stderr)
        return 1
    finally:
        for proc in reversed(procs):
            if proc.poll() is None:
                proc.terminate()
        for proc in procs:
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()


def _spawn(argv: list[str], log: Path, ready: Path) -> subprocess.Popen[bytes]:
    ready.unlink(missing_ok=True)
    with open(log, "ab") as out:
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + START_TIMEOUT_S
    while not ready.exists():
        if proc.poll() is not None:
            raise RuntimeError(f"{' '.join(argv[2:4])} exited with {proc.returncode}; see {log}")
        if time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError(f"{' '.join(argv[2:4])} did not start; see {log}")
        time.sleep(0.05)
    json.loads(ready.read_text())
    return proc
