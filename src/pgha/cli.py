"""Command line: ``pgha server`` (a storage node), ``pgha proxy`` (one endpoint in front of
the nodes) and ``pgha up`` (a local cluster: three nodes and a proxy).

The only module that picks the event loop (uvloop when installed) and builds the application.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

from pgha import __version__
from pgha.storage.engine import SYNC_MODES

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def _address(text: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit():
        raise argparse.ArgumentTypeError(f"expected HOST:PORT, got {text!r}")
    return host.strip("[]") or "127.0.0.1", int(port)


def _positive_int(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return int(text)


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
    ha = server.add_argument_group("replication")
    ha.add_argument("--node-id", default=None, help="this node's name (default: host:port)")
    ha.add_argument("--ha-mode", choices=("standalone", "primary", "standby", "observer"),
                    default="standalone", help="observer: votes in elections and holds no "
                    "data (two data nodes and an observer fail over safely)")
    ha.add_argument("--ha-bind", type=_address, default=None,
                    help="replication port HOST:PORT (a primary streams on it; give a standby "
                    "one too, so it can stream once promoted)")
    ha.add_argument("--ha-primary", action="append", default=[],
                    help="the cluster's replication addresses HOST:PORT (repeat or "
                    "comma-separate; this node's own may be listed): a standby follows the one "
                    "that is primary, a starting primary checks them for a newer term")
    ha.add_argument("--sync-mode", choices=SYNC_MODES, default="async",
                    help="when a COMMIT returns (see docs/replication.md)")
    ha.add_argument("--sync-standbys", default="",
                    help="comma-separated node ids that sync mode waits for (default: every "
                    "connected standby)")
    ha.add_argument("--semi-sync-timeout", type=float, default=2.0,
                    help="seconds a semi-sync commit waits before degrading to async")
    ha.add_argument("--cluster-secret", default=os.environ.get("PGHA_CLUSTER_SECRET", ""),
                    help="shared secret of the replication channel (or PGHA_CLUSTER_SECRET)")
    ha.add_argument("--wal-batch-bytes", type=int, default=1 << 20)
    ha.add_argument("--wal-batch-delay-ms", type=float, default=0.0)
    ha.add_argument("--no-wal-compression", action="store_true")
    ha.add_argument("--failover", choices=("auto", "manual"), default="auto",
                    help="auto: with three voters or more (--ha-primary), standbys elect a new "
                    "primary when it fails; manual: only pg_promote() promotes")
    ha.add_argument("--election-timeout", type=float, default=0.8,
                    help="seconds without a heartbeat from the primary before a standby runs "
                    "for election (randomised up to 1.5x; the primary's lease is 0.75x)")
    ha.add_argument("--on-role-change", default="", metavar="COMMAND",
                    help="run COMMAND ROLE TERM NODE_ID whenever this node becomes primary or "
                    "standby (as Patroni's on_role_change callback)")
    ha.add_argument("--heartbeat-interval", type=float, default=0.1,
                    help="seconds between the primary's heartbeats to each standby")
    ha.add_argument("--standby-writes", choices=("forward", "reject"), default="forward",
                    help="on a standby, run writes on the primary (forward) or refuse them "
                    "with 25006 (reject)")
    ha.add_argument("--wal-keep-mb", type=int, default=64,
                    help="WAL kept for standbys that fall behind or follow after a promotion")
    ha.add_argument("--wal-max-mb", type=int, default=1024,
                    help="WAL never grows past this for a lagging or absent standby (it then "
                    "bootstraps from a snapshot)")
    proxy = sub.add_parser("proxy", help="one PostgreSQL endpoint in front of the nodes: "
                           "writes to the primary, reads to standbys")
    proxy.add_argument("--listen", type=_address, default=("127.0.0.1", 6543))
    proxy.add_argument("--node", action="append", type=_node, default=[], required=True,
                       metavar="HOST:PORT[@WEIGHT]", help="a node's client address (repeat)")
    proxy.add_argument("--user", action="append", type=_user, default=[],
                       metavar="NAME:PASSWORD", help="clients log in with SCRAM as these users, "
                       "and the proxy logs in to the nodes with the same password")
    proxy.add_argument("--lb", choices=("round-robin", "least-connections", "latency",
                                        "random"), default="round-robin",
                       help="how reads are spread over the standbys")
    proxy.add_argument("--max-lag-ms", type=float, default=10_000.0,
                       help="a standby lagging more than this serves no reads")
    proxy.add_argument("--check-interval", type=float, default=0.5,
                       help="seconds between health checks of each node")
    proxy.add_argument("--primary-wait", type=float, default=5.0,
                       help="seconds a statement that needs the primary waits for one while "
                       "there is none (a failover); reads go on on the standbys meanwhile")
    proxy.add_argument("--backend", choices=("auto", "pgha", "postgres"), default="auto",
                       help="what the nodes are: pgha nodes or PostgreSQL servers (a primary "
                       "and streaming standbys); auto asks each node at its first check")
    proxy.add_argument("--pool-mode", choices=("session", "transaction"), default="session",
                       help="session: a client keeps its server connections; transaction: "
                       "server connections are shared between transactions (see "
                       "docs/routing.md for what pins a client to its connection)")
    proxy.add_argument("--pool-size", type=_positive_int, default=20,
                       help="transaction pooling: server connections per node, user, database "
                       "and options; clients beyond it wait for one")
    proxy.add_argument("--ready-file", type=Path, default=None)
    proxy.add_argument("--log-level", default="INFO")
    up = sub.add_parser("up", help="a local cluster: 3 nodes (primary + 2 standbys) and a "
                        "proxy; Ctrl-C stops it")
    up.add_argument("--data", type=Path, default=Path("pgha-cluster"),
                    help="directory for the nodes' data (kept between runs)")
    up.add_argument("--port", type=int, default=6543, help="the proxy's port; the nodes use "
                    "the next ones")
    up.add_argument("--sync-mode", choices=SYNC_MODES, default="sync")
    up.add_argument("--log-level", default="INFO")
    return parser


def _node(text: str) -> tuple[str, int, int]:
    address, _, weight = text.partition("@")
    host, port = _address(address)
    if weight and not weight.isdigit():
        raise argparse.ArgumentTypeError(f"expected HOST:PORT[@WEIGHT], got {text!r}")
    return host, port, int(weight or 1)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if args.command == "server":
        return run_server(args)
    if args.command == "proxy":
        return run_proxy(args)
    if args.command == "up":
        from pgha.up import run_up

        return run_up(args.data, args.port, args.sync_mode, args.log_level)
    return 2


def run_proxy(args: argparse.Namespace) -> int:
    from pgha.proxy.app import Proxy, ProxyConfig

    host, port = args.listen
    proxy = Proxy(ProxyConfig(host, port, list(args.node), dict(args.user),
                              args.check_interval, args.max_lag_ms, args.lb, args.ready_file,
                              args.primary_wait, args.backend, args.pool_mode,
                              args.pool_size))
    _run_until_signal(proxy.start, proxy.stop)
    return 0


def run_server(args: argparse.Namespace) -> int:
    from pgha.replication.election import Timing
    from pgha.server.ha import HaConfig
    from pgha.server.node import Node, NodeConfig

    host, port = args.listen
    auth = args.auth or ("scram" if args.user else "trust")
    if auth == "trust" and host not in LOOPBACK and not args.user:
        logging.getLogger("pgha").warning(
            "trust authentication on a non-loopback address: anyone who can reach %s may "
            "connect; pass --user NAME:PASSWORD to require SCRAM", host)
    primaries = tuple(_address(a) for item in args.ha_primary for a in item.split(",") if a)
    if args.ha_mode in ("standby", "observer") and not primaries:
        raise SystemExit(f"pgha: --ha-mode {args.ha_mode} needs --ha-primary HOST:PORT")
    if args.ha_mode == "observer" and args.ha_bind is None:
        raise SystemExit("pgha: --ha-mode observer needs --ha-bind HOST:PORT (candidates ask "
                         "it for its vote there)")
    if args.ha_bind is not None and not args.cluster_secret:
        if args.ha_bind[0] not in LOOPBACK:
            raise SystemExit(
                f"pgha: --ha-bind {args.ha_bind[0]} is not a loopback address: give the "
                "cluster a secret (--cluster-secret or PGHA_CLUSTER_SECRET), or anyone who "
                "can reach the port could copy the database or depose the primary")
        logging.getLogger("pgha").warning(
            "no cluster secret: any local user can talk to the replication port; set "
            "--cluster-secret (or PGHA_CLUSTER_SECRET)")
    ha = HaConfig(
        node_id=args.node_id or f"{host}:{port}", mode=args.ha_mode, bind=args.ha_bind,
        primaries=primaries, sync_mode=args.sync_mode,
        sync_standbys=tuple(n for n in args.sync_standbys.split(",") if n),
        semi_sync_timeout=args.semi_sync_timeout, secret=args.cluster_secret,
        batch_bytes=args.wal_batch_bytes, batch_delay=args.wal_batch_delay_ms / 1000,
        compress=not args.no_wal_compression, keep_bytes=args.wal_keep_mb << 20,
        max_bytes=args.wal_max_mb << 20, failover=args.failover,
        election_timeout=args.election_timeout, heartbeat_interval=args.heartbeat_interval,
        on_role_change=args.on_role_change)
    try:
        Timing.from_timeout(args.heartbeat_interval, args.election_timeout)
    except ValueError as exc:
        raise SystemExit(f"pgha: {exc}") from None
    config = NodeConfig(
        data_dir=args.data, host=host, port=port, auth=auth, users=dict(args.user),
        databases=tuple(args.database or ["postgres"]), durable=not args.no_fsync,
        max_connections=args.max_connections, ready_file=args.ready_file, ha=ha,
        standby_writes=args.standby_writes)
    node = Node(config)

    async def stop() -> None:
        await node.stop()
        node.executor.shutdown(wait=False, cancel_futures=True)

    _run_until_signal(node.start, stop)
    return 0


def _run_until_signal(start: Callable[[], Awaitable[None]],
                      stop: Callable[[], Awaitable[None]]) -> None:
    """Run ``start()``, then serve until SIGTERM or SIGINT, then ``stop()``."""
    _install_loop()

    async def run() -> None:
        loop = asyncio.get_running_loop()
        signalled = asyncio.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, signalled.set)
        await start()
        await signalled.wait()
        await stop()

    asyncio.run(run())


def _install_loop() -> None:
    try:
        import uvloop
    except ImportError:
        return
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())


if __name__ == "__main__":
    sys.exit(main())
