"""``pgha status``: the cluster's members at a glance, from any node or the proxy (as
``patronictl list`` does for Patroni).

It connects with the PostgreSQL protocol (libpq's ``PGHOST``, ``PGPORT``, ``PGUSER``,
``PGPASSWORD`` and ``PGDATABASE`` are the defaults; ``PGSSLMODE`` and ``PGSSLROOTCERT`` ask
for TLS), reads the ``pg_replication_*`` views, and asks the primary when it was given a
standby (``net.members``). ``--json`` prints the same for scripts, ``--watch`` refreshes it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

from pgha.net.backend import BackendError
from pgha.net.members import ClusterMembers, Member, fetch_members
from pgha.net.tls import ClientTls, TlsConfigError
from pgha.wire.errors import PgError

COLUMNS = ("Member", "Address", "Role", "State", "Term", "LSN", "Lag (bytes)", "Lag (ms)",
           "Sync", "Snapshot")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-H", "--host", default=os.environ.get("PGHOST", "127.0.0.1"),
                        help="a node or the proxy (default: $PGHOST or 127.0.0.1)")
    parser.add_argument("-p", "--port", type=_port, default=os.environ.get("PGPORT", "6543"),
                        help="its PostgreSQL port (default: $PGPORT or 6543, the proxy of "
                        "pgha up)")
    parser.add_argument("-U", "--user", default=os.environ.get("PGUSER", "postgres"))
    parser.add_argument("-d", "--dbname", default=os.environ.get("PGDATABASE", "postgres"))
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.add_argument("--watch", type=float, nargs="?", const=2.0, default=None,
                        metavar="SECONDS", help="refresh every SECONDS (default 2) until "
                        "Ctrl-C")
    parser.add_argument("--timeout", type=float, default=5.0,
                        help="seconds to wait for each node's answer")


def _port(text: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise argparse.ArgumentTypeError(f"expected a port number (1-65535), got {text!r}")
    return int(text)


def format_table(cluster: ClusterMembers) -> str:
    rows = [_cells(m) for m in cluster.members]
    shown = [i for i, name in enumerate(COLUMNS)
             if name != "Snapshot" or any(row[i] for row in rows)]
    widths = {i: max(len(COLUMNS[i]), *(len(row[i]) for row in rows)) for i in shown}

    def line(cells: tuple[str, ...]) -> str:
        return "| " + " | ".join(cells[i].ljust(widths[i]) for i in shown) + " |"

    rule = "+-" + "-+-".join("-" * widths[i] for i in shown) + "-+"
    out = [rule, line(COLUMNS), rule, *(line(row) for row in rows), rule]
    if not cluster.complete:
        out.append(f"(as {cluster.source} sees it: its primary could not be asked)")
    return "\n".join(out)


def _cells(m: Member) -> tuple[str, ...]:
    return (m.name, m.address, m.role, m.state, str(m.term), m.lsn,
            "" if m.lag_bytes is None else str(m.lag_bytes),
            "" if m.lag_ms is None else f"{m.lag_ms:g}", m.sync, m.snapshot)


def run_status(args: argparse.Namespace) -> int:
    password = os.environ.get("PGPASSWORD")
    root = os.environ.get("PGSSLROOTCERT")
    try:
        tls = ClientTls.from_mode(os.environ.get("PGSSLMODE", "disable"),
                                  Path(root) if root else None)
    except TlsConfigError as exc:
        print(f"pgha status: PGSSLMODE: {exc}", file=sys.stderr)
        return 2
    if args.watch is None:
        return _show(args, password, tls)
    # Ctrl-C stops watching, whenever it comes. Not through asyncio.run's own SIGINT handler:
    # that one only cancels the running task, and a cancel the task does not end with (one
    # that came as it finished, or that a wait swallowed) was lost and the watch went on.
    previous = signal.signal(signal.SIGINT, _interrupt)
    try:
        while True:
            _show(args, password, tls)
            time.sleep(args.watch)
    except KeyboardInterrupt:
        return 0
    finally:
        signal.signal(signal.SIGINT, previous)


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def _show(args: argparse.Namespace, password: str | None, tls: ClientTls | None) -> int:
    """Ask the cluster once and print what it says; 0, or 1 when it could not be asked."""
    try:
        cluster = asyncio.run(fetch_members(args.host, args.port, args.user, password,
                                            args.dbname, args.timeout, tls))
    except (BackendError, PgError, OSError, TimeoutError) as exc:
        message = exc.message if isinstance(exc, PgError) else str(exc) or "timed out"
        print(f"pgha status: {args.host}:{args.port}: {message}", file=sys.stderr)
        return 1
    if args.watch is not None and sys.stdout.isatty():
        print("\033[H\033[J", end="")
    if args.json:
        print(json.dumps(cluster.to_json(), indent=1))
    else:
        if args.watch is not None:
            print(time.strftime("%Y-%m-%d %H:%M:%S"), f"({args.host}:{args.port})")
        print(format_table(cluster))
    sys.stdout.flush()
    return 0
