"""How long one very large statement stops the other sessions of a `pgha server`.

A bystander connection runs `select 1` every 5 ms while another sends one large statement; the
script prints the statement's time and the bystander's longest and 99th-percentile waits.
Cases (`--case`, repeatable; default all):

- `literal`: `select length('...')` with one 50 MB string constant;
- `insert`: `insert into big values (0, 'abcdefghij'), ...` with `--rows` rows (default
  200,000: 4.7 MB of text and a million tree nodes).

    python benchmarks/large_statement.py [--port N] [--case literal] [--rows 200000]

Without `--port` it starts a `pgha server` of its own (this checkout's `src/`) in a temporary
directory and stops it afterwards. Results: `docs/benchmarks.md`.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psycopg

SRC = Path(__file__).resolve().parent.parent / "src"


def start_server(home: Path) -> tuple[subprocess.Popen[bytes], int]:
    ready = home / "ready.json"
    process = subprocess.Popen(
        [sys.executable, "-m", "pgha", "server", "--data", str(home / "data"), "--listen",
         "127.0.0.1:0", "--ready-file", str(ready)],
        env={**os.environ, "PYTHONPATH": str(SRC)}, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while not ready.exists():
        if time.monotonic() > deadline or process.poll() is not None:
            process.kill()
            raise SystemExit("pgha server did not start")
        time.sleep(0.05)
    time.sleep(0.1)
    return process, int(json.loads(ready.read_text())["port"])


def statement(case: str, rows: int) -> str:
    if case == "literal":
        return "select length('" + "x" * 50_000_000 + "')"
    return "insert into big values " + ", ".join(f"({i}, 'abcdefghij')" for i in range(rows))


def measure(port: int, sql: str) -> dict[str, float]:
    dsn = f"host=127.0.0.1 port={port} user=postgres dbname=postgres"
    waits: list[float] = []
    done = threading.Event()

    def ping() -> None:
        with psycopg.connect(dsn, autocommit=True) as conn:
            while not done.is_set():
                started = time.perf_counter()
                conn.execute("select 1").fetchone()
                waits.append(time.perf_counter() - started)
                time.sleep(0.005)

    pinger = threading.Thread(target=ping)
    pinger.start()
    time.sleep(0.3)
    try:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute("create table if not exists big (a int, b text)")
            started = time.perf_counter()
            conn.execute(sql)
            elapsed = time.perf_counter() - started
    finally:
        done.set()
        pinger.join()
    waits.sort()
    return {"statement_s": round(elapsed, 2), "bystander_max_s": round(waits[-1], 3),
            "bystander_p99_s": round(waits[int(len(waits) * 0.99)], 3), "pings": len(waits)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, help="an existing pgha server (default: start one)")
    parser.add_argument("--case", action="append", choices=["literal", "insert"])
    parser.add_argument("--rows", type=int, default=200_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="pgha-large-") as home:
        process, port = (None, args.port) if args.port else start_server(Path(home))
        try:
            for case in args.case or ["literal", "insert"]:
                sql = statement(case, args.rows)
                result = measure(port, sql)
                print(json.dumps({"case": case, "mb": round(len(sql) / 1e6, 1), **result}))
        finally:
            if process is not None:
                process.terminate()
                process.wait(10)


if __name__ == "__main__":
    main()
