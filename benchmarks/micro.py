"""In-process micro-benchmarks of pgha's per-statement hot path: no network, no server.

What pgbench's transactions cost inside one process, split into the pieces the server runs for
each one, so that a slow pgbench ratio can be traced to a piece:

  (a) the `-S` statement `SELECT abalance FROM pgbench_accounts WHERE aid = $1` on the storage
      engine: `StorageSession.parse` (pglast parse + translation-cache hit), `execute` of the
      prepared statement, both together (an unnamed extended-protocol statement), the Bind
      parameter decoding, and the same SQL on a bare apsw cursor as the floor SQLite sets;
  (b) a first-time `parse` (translation-cache miss: a new statement text each time, as
      `-M simple` sends a new literal in every query) against a cached one, and pglast alone;
  (c) result encoding: 10,000 DataRows of 5 mixed columns (int4, text, numeric, timestamptz,
      bool) through `pgha.storage.types.format_text` and `pgha.wire.codec.encode_data_row`;
  (d) one whole `-N` transaction (BEGIN; UPDATE; SELECT; INSERT; END) on prepared statements,
      with and without a durable (fsync) commit.

Each number is the median, over `--repeat` repetitions, of a `time.perf_counter_ns` loop
divided by its iterations; the loop length is calibrated to about `--target-ms` each.

    python benchmarks/micro.py [--repeat N] [--target-ms MS]
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))

from pglast import parse_sql  # noqa: E402

from pgha.storage.engine import Engine, StorageSession, encode_params  # noqa: E402
from pgha.storage.types import TYPES_BY_OID, format_text  # noqa: E402
from pgha.wire.codec import encode_data_row  # noqa: E402

ACCOUNTS = 100_000  # pgbench scale 1
SELECT_SQL = "SELECT abalance FROM pgbench_accounts WHERE aid = $1"
ROWS = 10_000


class Bench:
    """Times callables and prints one aligned line per measurement."""

    def __init__(self, repeat: int, target_ms: float) -> None:
        self.repeat = repeat
        self.target_ns = target_ms * 1e6

    def measure(self, fn: Callable[[], object], per: int = 1) -> float:
        """Median µs per operation; `per` operations happen in each call of `fn`."""
        iterations = 1
        while True:  # calibrate: double until one loop takes a tenth of the target
            elapsed = _loop(fn, iterations)
            if elapsed * 10 >= self.target_ns or iterations >= 1 << 20:
                break
            iterations *= 2
        iterations = max(1, int(iterations * self.target_ns / max(elapsed, 1)))
        samples = [_loop(fn, iterations) / iterations for _ in range(self.repeat)]
        return statistics.median(samples) / 1000 / per

    def line(self, label: str, fn: Callable[[], object], per: int = 1, note: str = "") -> float:
        us = self.measure(fn, per)
        print(f"  {label:<66} {us:>10.2f} µs{('   ' + note) if note else ''}", flush=True)
        return us


def _loop(fn: Callable[[], object], iterations: int) -> int:
    start = time.perf_counter_ns()
    for _ in range(iterations):
        fn()
    return time.perf_counter_ns() - start


def run(session: StorageSession, sql: str, params: list[Any] | None = None) -> None:
    for stmt in session.parse(sql):
        session.execute(stmt, params)


def setup(data_dir: Path, durable: bool) -> tuple[Engine, StorageSession]:
    engine = Engine(data_dir, durable=durable)
    session = engine.open_session()
    run(
        session,
        "CREATE TABLE pgbench_branches (bid int PRIMARY KEY, bbalance int, filler char(88))",
    )
    run(
        session,
        "CREATE TABLE pgbench_tellers (tid int PRIMARY KEY, bid int, tbalance int, "
        "filler char(84))",
    )
    run(
        session,
        "CREATE TABLE pgbench_accounts (aid int PRIMARY KEY, bid int, abalance int, "
        "filler char(84))",
    )
    run(
        session,
        "CREATE TABLE pgbench_history (tid int, bid int, aid int, delta int, "
        "mtime timestamp, filler char(22))",
    )
    run(session, "INSERT INTO pgbench_branches VALUES (1, 0, '')")
    run(session, "INSERT INTO pgbench_tellers SELECT g, 1, 0, '' FROM generate_series(1, 10) g")
    run(
        session,
        f"INSERT INTO pgbench_accounts SELECT g, 1, 0, '' FROM generate_series(1, {ACCOUNTS}) g",
    )
    return engine, session


def aids() -> Callable[[], int]:
    """A deterministic spread of account ids, so lookups do not hit one page only."""
    counter = itertools.count()
    return lambda: next(counter) * 7919 % ACCOUNTS + 1


def bench_select(bench: Bench, session: StorageSession) -> None:
    print("(a) -S statement on the engine:", SELECT_SQL)
    stmt = session.parse(SELECT_SQL)[0]
    next_aid = aids()
    assert session.execute(stmt, [1]).rows == [(0,)]
    tr = stmt.translation
    assert tr is not None
    tz = session.settings["timezone"]
    cursor = session.conn.cursor()
    bench.line("parse (pglast + cached translation)", lambda: session.parse(SELECT_SQL))
    bench.line(
        "encode_params (Bind: one text int4 parameter)",
        lambda: encode_params(stmt, [b"12345"], [0], tz),
    )
    bench.line(
        "execute (prepared statement, -M prepared)", lambda: session.execute(stmt, [next_aid()])
    )
    bench.line(
        "parse + execute (unnamed statement, -M extended)",
        lambda: session.execute(session.parse(SELECT_SQL)[0], [next_aid()]),
    )
    bench.line(
        "floor: apsw cursor.execute of the translated SQL",
        lambda: list(cursor.execute(tr.sql, [next_aid()])),
        note=f"[{tr.sql}]",
    )


def bench_translation(bench: Bench, session: StorageSession) -> None:
    print("(b) first-time parse (translation-cache miss) vs cached:")
    fresh = itertools.count(1)
    literal = "SELECT abalance FROM pgbench_accounts WHERE aid = 12345"
    next_aid = aids()
    pglast_us = bench.line("pglast.parse_sql only", lambda: parse_sql(literal))
    cached_us = bench.line("parse, cached (same text every time)", lambda: session.parse(literal))
    first_us = bench.line(
        "parse, first time (new literal each time)",
        lambda: session.parse(f"SELECT abalance FROM pgbench_accounts WHERE aid = {next(fresh)}"),
    )
    bench.line(
        "parse + execute, new literal each time (-M simple)",
        lambda: run(session, f"SELECT abalance FROM pgbench_accounts WHERE aid = {next_aid()}"),
    )
    print(
        f"  => translation on a cache miss costs ~{first_us - cached_us:.0f} µs; pglast "
        f"parsing is ~{pglast_us:.0f} µs of every parse"
    )


def mixed_rows() -> tuple[list[Any], list[tuple[Any, ...]]]:
    types = [TYPES_BY_OID[oid] for oid in (23, 25, 1700, 1184, 16)]
    base = dt.datetime(2024, 1, 2, 3, 4, 5)
    rows = [
        (
            i,
            f"account holder {i}",
            1234.5 + i / 100,
            (base + dt.timedelta(seconds=i)).strftime("%Y-%m-%d %H:%M:%S.123456"),
            i % 2,
        )
        for i in range(ROWS)
    ]
    return types, rows


def bench_encoding(bench: Bench) -> None:
    print(
        f"(c) {ROWS:,} DataRows of 5 columns (int4, text, numeric, timestamptz, bool), µs per row:"
    )
    types, rows = mixed_rows()
    tz = "UTC"

    def format_all() -> None:
        for row in rows:
            [
                None if v is None else format_text(t, v, -1, tz).encode()
                for v, t in zip(row, types, strict=True)
            ]

    encoded = [
        [format_text(t, v, -1, tz).encode() for v, t in zip(row, types, strict=True)]
        for row in rows
    ]

    def frame_all() -> None:
        for values in encoded:
            encode_data_row(values)

    def both() -> None:
        for row in rows:
            encode_data_row(
                [
                    None if v is None else format_text(t, v, -1, tz).encode()
                    for v, t in zip(row, types, strict=True)
                ]
            )

    print(f"  sample row: {encode_data_row(encoded[1])!r}")
    bench.line("format_text + encode_data_row (the whole row)", both, per=ROWS)
    bench.line("format_text only (5 values)", format_all, per=ROWS)
    bench.line("encode_data_row only (values already bytes)", frame_all, per=ROWS)
    for t, value in zip(types, rows[1], strict=True):
        bench.line(f"  format_text {t.name}", lambda t=t, v=value: format_text(t, v, -1, tz))


def bench_update_txn(bench: Bench, session: StorageSession, durable: bool) -> None:
    parse = session.parse
    begin, end = parse("BEGIN")[0], parse("END")[0]
    update = parse("UPDATE pgbench_accounts SET abalance = abalance + $1 WHERE aid = $2")[0]
    select = parse("SELECT abalance FROM pgbench_accounts WHERE aid = $1")[0]
    insert = parse(
        "INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) "
        "VALUES ($1, $2, $3, $4, CURRENT_TIMESTAMP)"
    )[0]
    next_aid = aids()

    def txn() -> None:
        aid = next_aid()
        session.execute(begin)
        session.execute(update, [7, aid])
        session.execute(select, [aid])
        session.execute(insert, [3, 1, aid, 7])
        session.execute(end)

    label = "durable: fsync at commit" if durable else "--no-fsync: synchronous=NORMAL"
    bench.line(f"-N transaction, 5 prepared statements ({label})", txn)


def machine() -> str:
    commit = subprocess.run(
        ["git", "-C", str(REPO), "rev-parse", "--short=12", "HEAD"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    dirty = (
        subprocess.run(
            ["git", "-C", str(REPO), "diff-index", "--quiet", "HEAD", "--"],
            capture_output=True,
            check=False,
        ).returncode
        == 1
    )
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    return (
        f"machine: nproc={os.cpu_count()}, python {platform.python_version()}, "
        f"pgha {commit or 'unknown'}{' (+ uncommitted changes)' if dirty else ''}, "
        f"load {load}"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="pgha in-process micro-benchmarks")
    parser.add_argument("--repeat", type=int, default=7, help="repetitions; the median counts")
    parser.add_argument(
        "--target-ms", type=float, default=200.0, help="approximate length of one repetition"
    )
    args = parser.parse_args(argv)
    bench = Bench(args.repeat, args.target_ms)
    print(machine())
    print(f"median of {args.repeat} repetitions of ~{args.target_ms:g} ms each")
    base = Path(tempfile.mkdtemp(prefix="pgha-micro-"))
    try:
        _, session = setup(base / "durable", durable=True)
        bench_select(bench, session)
        bench_translation(bench, session)
        bench_encoding(bench)
        print("(d) -N transaction on the engine (what pgbench -N -M prepared runs):")
        bench_update_txn(bench, session, durable=True)
        session.close()
        _, fast = setup(base / "fast", durable=False)
        bench_update_txn(bench, fast, durable=False)
        fast.close()
    finally:
        shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
