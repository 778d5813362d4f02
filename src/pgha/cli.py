"""Command line: ``pgha server`` (and, in later waves, ``pgha proxy`` and ``pgha up``).

The only module that picks the event loop (uvloop when installed) and builds the application.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from pathlib import Path

from pgha import __version__


def _address(text: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit():
        raise argparse.ArgumentTypeError(f"expected HOST:PORT, got {text!r}")
    return host.strip("[]") or "127.0.0.1", int(port)


def _user(text: str) -> tuple[str, str]:
    user, sep, password = text.partition(":")
    if not sep or not user:
        raise argparse.ArgumentTypeError(f"expected NAME:PASSWORD, got {text!r}")
    return user, password


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pgha", description=__doc__)
    parser.add_argument("--version", action="version", version=f"pgha {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    server = sub.add_parser("server", help="run one storage node (PostgreSQL wire over SQLite)")
    server.add_argument("--data", required=True, type=Path, help="data directory")
    server.add_argument("--listen", type=_address, default=("127.0.0.1", 5432),
                        help="HOST:PORT for clients (port 0 picks a free port)")
    server.add_argument("--auth", choices=("trust", "password", "md5", "scram"),
                        default=None, help="client authentication (default: trust on "
                        "loopback; scram when --user is given)")
    server.add_argument("--user", action="append", type=_user, default=[],
                        metavar="NAME:PASSWORD", help="a login (repeatable)")
    server.add_argument("--database", action="append", default=None,
                        help="database name clients may connect to (default: postgres)")
    server.add_argument("--no-fsync", action="store_true",
                        help="do not fsync on commit: a crash may lose the last commits "
                        "(the data stays consistent)")
    server.add_argument("--max-connections", type=int, default=200)
    server.add_argument("--ready-file", type=Path, default=None,
                        help="write {pid, host, port} as JSON here once listening")
    server.add_argument("--log-level", default="INFO")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if args.command == "server":
        return run_server(args)
    return 2


def run_server(args: argparse.Namespace) -> int:
    from pgha.server.node import Node, NodeConfig

    host, port = args.listen
    auth = args.auth or ("scram" if args.user else "trust")
    if auth == "trust" and host not in ("127.0.0.1", "localhost", "::1") and not args.user:
        logging.getLogger("pgha").warning(
            "trust authentication on a non-loopback address: anyone who can reach %s may "
            "connect; pass --user NAME:PASSWORD to require SCRAM", host)
    config = NodeConfig(
        data_dir=args.data, host=host, port=port, auth=auth, users=dict(args.user),
        databases=tuple(args.database or ["postgres"]), durable=not args.no_fsync,
        max_connections=args.max_connections, ready_file=args.ready_file)
    node = Node(config)
    _install_loop()

    async def run() -> None:
        loop = asyncio.get_running_loop()
        stop = asyncio.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await node.start()
        await stop.wait()
        await node.stop()
        node.executor.shutdown(wait=False, cancel_futures=True)

    asyncio.run(run())
    return 0


def _install_loop() -> None:
    try:
        import uvloop
    except ImportError:
        return
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())


if __name__ == "__main__":
    sys.exit(main())
