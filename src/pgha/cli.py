"""Command line: ``pgha server`` (a storage node), ``pgha proxy`` (one endpoint in front of
the nodes) and ``pgha up`` (a local cluster: three nodes and a proxy).

The only module that picks the event loop (uvloop when installed) and builds the application.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import signal
import ssl
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

from pgha import __version__, config
from pgha.net.tls import SSLMODES, ClientTls, TlsConfigError, client_context, server_context
from pgha.storage.settings import SYNC_MODES

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def _address(text: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit():
        raise argparse.ArgumentTypeError(f"expected HOST:PORT, got {text!r}")
    if int(port) > 65535:
        raise argparse.ArgumentTypeError(f"port {port} is out of range (0-65535) in {text!r}")
    return host.strip("[]") or "127.0.0.1", int(port)


def _positive_int(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return int(text)


def _count(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"expected an integer of 0 or more, got {text!r}")
    return int(text)


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") \
            from None
    if not value >= 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a number of seconds >= 0, got {text!r}")
    return value


def _log_level(text: str) -> str:
    level = text.upper()
    if level not in LOG_LEVELS:
        raise argparse.ArgumentTypeError(
            f"invalid log level {text!r} (choose from {', '.join(LOG_LEVELS)})")
    return level


LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


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
    server.add_argument("--data", type=Path, default=None,
                        help="data directory (required)")
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
    server.add_argument("--max-connections", type=_positive_int, default=200)
    server.add_argument("--ready-file", type=Path, default=None,
                        help="write {pid, host, port} as JSON here once listening")
    _common(server)
    server.add_argument("--http-bind", type=_address, default=None, metavar="HOST:PORT",
                        help="serve the REST API here: health checks in Patroni's "
                        "conventions (/primary, /replica?lag=1MB, /health...), /cluster, "
                        "/metrics (Prometheus)")
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
    ha.add_argument("--semi-sync-timeout", type=_seconds, default=2.0,
                    help="seconds a semi-sync commit waits before degrading to async")
    ha.add_argument("--cluster-secret", default=os.environ.get("PGHA_CLUSTER_SECRET", ""),
                    help="shared secret of the replication channel (or PGHA_CLUSTER_SECRET)")
    ha.add_argument("--wal-batch-bytes", type=_positive_int, default=1 << 20)
    ha.add_argument("--wal-batch-delay-ms", type=_seconds, default=0.0)
    ha.add_argument("--no-wal-compression", action="store_true")
    ha.add_argument("--failover", choices=("auto", "manual"), default="auto",
                    help="auto: with three voters or more (--ha-primary), standbys elect a new "
                    "primary when it fails; manual: only pg_promote() promotes")
    ha.add_argument("--election-timeout", type=_seconds, default=0.8,
                    help="seconds without a heartbeat from the primary before a standby runs "
                    "for election (randomised up to 1.5x; the primary's lease is 0.75x)")
    ha.add_argument("--on-role-change", default="", metavar="COMMAND",
                    help="run COMMAND ROLE TERM NODE_ID whenever this node becomes primary or "
                    "standby (as Patroni's on_role_change callback)")
    ha.add_argument("--heartbeat-interval", type=_seconds, default=0.1,
                    help="seconds between the primary's heartbeats to each standby")
    ha.add_argument("--standby-writes", choices=("forward", "reject"), default="forward",
                    help="on a standby, run writes on the primary (forward) or refuse them "
                    "with 25006 (reject)")
    ha.add_argument("--wal-keep-mb", type=_count, default=64,
                    help="WAL kept for standbys that fall behind or follow after a promotion")
    ha.add_argument("--wal-max-mb", type=_positive_int, default=1024,
                    help="WAL never grows past this for a lagging or absent standby (it then "
                    "bootstraps from a snapshot)")
    proxy = sub.add_parser("proxy", help="one PostgreSQL endpoint in front of the nodes: "
                           "writes to the primary, reads to standbys")
    proxy.add_argument("--listen", type=_address, default=("127.0.0.1", 6543))
    proxy.add_argument("--node", action="append", type=_node, default=[],
                       metavar="HOST:PORT[@WEIGHT]", help="a node's client address (repeat; "
                       "at least one)")
    proxy.add_argument("--user", action="append", type=_user, default=[],
                       metavar="NAME:PASSWORD", help="clients log in with SCRAM as these users, "
                       "and the proxy logs in to the nodes with the same password")
    proxy.add_argument("--auth", choices=("trust", "scram"), default=None,
                       help="client authentication (default: scram with --user, else trust "
                       "for loopback clients only; trust given by name trusts every host)")
    proxy.add_argument("--lb", choices=("round-robin", "least-connections", "latency",
                                        "random"), default="round-robin",
                       help="how reads are spread over the standbys")
    proxy.add_argument("--max-lag-ms", type=_seconds, default=10_000.0,
                       help="a standby lagging more than this serves no reads")
    proxy.add_argument("--check-interval", type=_seconds, default=0.5,
                       help="seconds between health checks of each node")
    proxy.add_argument("--primary-wait", type=_seconds, default=5.0,
                       help="seconds a statement that needs the primary waits for one while "
                       "there is none (a failover); reads go on on the standbys meanwhile")
    proxy.add_argument("--backend", choices=("auto", "pgha", "postgres"), default="auto",
                       help="what the nodes are: pgha nodes or PostgreSQL servers (a primary "
                       "and streaming standbys); auto asks each node at its first check")
    proxy.add_argument("--pool-mode", choices=("session", "transaction"), default="session",
                       help="session: a client keeps its server connections; transaction: "
                       "server connections are shared between transactions (see "
                       "docs/routing.md for what pins a client to its connection)")
    proxy.add_argument("--backend-sslmode", choices=SSLMODES, default="disable",
                       help="TLS to the nodes, as libpq's sslmode (verify-ca and verify-full "
                       "check them against --tls-ca)")
    proxy.add_argument("--pool-size", type=_positive_int, default=20,
                       help="transaction pooling: server connections per node, user, database "
                       "and options; clients beyond it wait for one")
    proxy.add_argument("--ready-file", type=Path, default=None)
    _common(proxy)
    proxy.add_argument("--http-bind", type=_address, default=None, metavar="HOST:PORT",
                       help="serve the REST API here: /health, /readiness, /cluster, "
                       "/metrics (Prometheus)")
    status = sub.add_parser("status", help="the cluster's members, roles, terms, positions "
                            "and lag, from any node or the proxy")
    from pgha.status import add_arguments

    add_arguments(status)
    up = sub.add_parser("up", help="a local cluster: 3 nodes (primary + 2 standbys) and a "
                        "proxy; Ctrl-C stops it")
    up.add_argument("--data", type=Path, default=Path("pgha-cluster"),
                    help="directory for the nodes' data (kept between runs)")
    up.add_argument("--port", type=_up_port, default=6543, help="the proxy's port; the nodes "
                    "use the next ones")
    up.add_argument("--sync-mode", choices=SYNC_MODES, default="sync")
    up.add_argument("--log-level", type=_log_level, default="INFO")
    up.add_argument("--pool-mode", choices=("session", "transaction"), default="session",
                    help="the proxy's pooling (see pgha proxy --pool-mode): with transaction, "
                    "a client between transactions holds no session on the nodes")
    up.add_argument("--tls", action="store_true", help="make a local CA and certificates "
                    "(in DATA/tls) and use TLS for clients, replication and the proxy's "
                    "backends")
    certs = sub.add_parser("certs", help="make a CA (on first use) and a certificate it signs, "
                           "for --tls-cert/--tls-key/--tls-ca")
    certs.add_argument("directory", type=Path, help="where the CA and certificates are kept")
    certs.add_argument("--name", required=True, help="the certificate's name: NAME.crt and "
                       "NAME.key")
    certs.add_argument("--host", action="append", required=True, help="a DNS name or IP "
                       "address clients use to reach it (repeat)")
    return parser


def _common(parser: argparse.ArgumentParser) -> None:
    """Options of both long-running processes (server and proxy)."""
    parser.add_argument("--config", type=Path, default=None, metavar="FILE",
                        help="a TOML file of settings (see docs/operations.md); flags and "
                        "PGHA_* environment variables override it")
    parser.add_argument("--log-level", type=_log_level, default="INFO",
                        help="DEBUG, INFO, WARNING or ERROR")
    parser.add_argument("--log-format", choices=("text", "json"), default="text",
                        help="json: one JSON object per line, for log collectors")
    tls = parser.add_argument_group("TLS")
    tls.add_argument("--tls-cert", type=Path, default=None, metavar="FILE",
                     help="certificate (PEM) offered to clients that ask for TLS "
                     "(sslmode=require, verify-full)")
    tls.add_argument("--tls-key", type=Path, default=None, metavar="FILE",
                     help="its private key (PEM)")
    tls.add_argument("--tls-required", action="store_true",
                     help="refuse clients that do not use TLS (28000), as pg_hba.conf's "
                     "hostssl lines do")
    tls.add_argument("--tls-ca", type=Path, default=None, metavar="FILE",
                     help="the cluster's CA certificate: a node then replicates over mutual "
                     "TLS (every node needs it, and a certificate it signed); the proxy "
                     "verifies its backends against it (--backend-sslmode verify-*)")


def _up_port(text: str) -> int:
    port = _count(text)
    if not 0 < port <= 65535 - 23:
        raise argparse.ArgumentTypeError(f"expected a port from 1 to {65535 - 23} (the nodes "
                                         f"use the next 23), got {text!r}")
    return port


def _node(text: str) -> tuple[str, int, int]:
    address, _, weight = text.partition("@")
    host, port = _address(address)
    if weight and not weight.isdigit():
        raise argparse.ArgumentTypeError(f"expected HOST:PORT[@WEIGHT], got {text!r}")
    return host, port, int(weight or 1)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser()
    command = next((a for a in argv if not a.startswith("-")), "")
    repeated: dict[str, list[object]] = {}
    if command in ("server", "proxy"):
        try:
            repeated = config.apply(_subparser(parser, command),
                                    argv[argv.index(command) + 1:])
        except config.ConfigError as exc:
            print(f"pgha {command}: {exc}", file=sys.stderr)
            return 2
    args = parser.parse_args(argv)
    for dest, values in repeated.items():
        if not getattr(args, dest):  # the command line's own values replace them
            setattr(args, dest, values)
    _setup_logging(getattr(args, "log_level", "INFO"), getattr(args, "log_format", "text"))
    try:
        if args.command == "server":
            return run_server(args)
        if args.command == "proxy":
            return run_proxy(args)
    except StartupError as exc:
        print(f"pgha {args.command}: {exc}", file=sys.stderr)
        return 1
    if args.command == "status":
        from pgha.status import run_status

        try:
            return run_status(args)
        except KeyboardInterrupt:
            return 130
    if args.command == "up":
        from pgha.up import run_up

        return run_up(args.data, args.port, args.sync_mode, args.log_level, args.tls,
                      args.pool_mode)
    if args.command == "certs":
        from pgha.net.tls import make_certificates

        try:
            cert, key = make_certificates(args.directory, args.name, args.host)
        except (OSError, TlsConfigError, ValueError) as exc:
            print(f"pgha certs: {args.directory}: {exc}", file=sys.stderr)
            return 1
        print(f"{cert}\n{key}\n{args.directory / 'ca.crt'}")
        return 0
    return 2


class StartupError(Exception):
    """A process could not start: the one line to print (no traceback)."""


def _subparser(parser: argparse.ArgumentParser, name: str) -> argparse.ArgumentParser:
    for action in parser._actions:  # argparse offers no public way to reach a subparser
        if isinstance(action, argparse._SubParsersAction):
            found: argparse.ArgumentParser = action.choices[name]
            return found
    raise KeyError(name)


class _JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {"time": self.formatTime(record), "level": record.levelname,
                 "logger": record.name, "message": record.getMessage(), "pid": record.process}
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry)


def _setup_logging(level: str, form: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_JsonFormatter() if form == "json" else logging.Formatter(
        "%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=level, handlers=[handler])


def run_proxy(args: argparse.Namespace) -> int:
    from pgha.proxy.app import Proxy, ProxyConfig

    if not args.node:
        raise StartupError("--node HOST:PORT is required (each node's client address; or "
                           "PGHA_NODE, or node = [...] in the config file)")
    host, port = args.listen
    try:
        backend_tls = ClientTls.from_mode(args.backend_sslmode, args.tls_ca)
    except TlsConfigError as exc:
        raise StartupError(f"--backend-sslmode: {exc}") from None
    proxy = Proxy(ProxyConfig(host, port, list(args.node), dict(args.user),
                              args.check_interval, args.max_lag_ms, args.lb, args.ready_file,
                              args.primary_wait, args.backend, args.pool_mode,
                              args.pool_size, args.http_bind, _client_facing_tls(args),
                              args.tls_required, backend_tls, args.auth or ""))
    _warn_about_trust(host, local_only=proxy.trust_local_only, named=args.auth == "trust")
    _run_until_signal(proxy.start, proxy.stop)
    return 0


def _warn_about_trust(host: str, *, local_only: bool, named: bool) -> None:
    """Trust on an address other hosts can reach: refused for them unless asked for by name
    (--auth trust), when it lets anyone in."""
    if host in LOOPBACK:
        return
    if local_only:
        logging.getLogger("pgha").warning(
            "trust authentication is for loopback clients only: clients from other hosts "
            "are refused; pass --user NAME:PASSWORD to require SCRAM, or --auth trust")
    elif named:
        logging.getLogger("pgha").warning(
            "--auth trust on a non-loopback address: anyone who can reach %s may connect",
            host)


def run_server(args: argparse.Namespace) -> int:
    import apsw

    from pgha.replication.election import Timing
    from pgha.server.ha import HaConfig
    from pgha.server.node import Node, NodeConfig

    data = _data_dir(args.data)
    host, port = args.listen
    auth = args.auth or ("scram" if args.user else "trust")
    if auth == "trust" and args.user:
        logging.getLogger("pgha").warning(
            "--auth trust with --user: passwords are not checked; any user name may log in")
    _warn_about_trust(host, local_only=auth == "trust" and args.auth is None,
                      named=args.auth == "trust")
    primaries = tuple(_address(a) for item in args.ha_primary for a in item.split(",") if a)
    if args.ha_mode in ("standby", "observer") and not primaries:
        raise StartupError(f"--ha-mode {args.ha_mode} needs --ha-primary HOST:PORT")
    if args.ha_mode == "observer" and args.ha_bind is None:
        raise StartupError("--ha-mode observer needs --ha-bind HOST:PORT (candidates ask it "
                           "for its vote there)")
    if args.ha_bind is not None and not args.cluster_secret:
        if args.ha_bind[0] not in LOOPBACK:
            raise StartupError(
                f"--ha-bind {args.ha_bind[0]} is not a loopback address: give the "
                "cluster a secret (--cluster-secret or PGHA_CLUSTER_SECRET), or anyone who "
                "can reach the port could copy the database or depose the primary")
        logging.getLogger("pgha").warning(
            "no cluster secret: any local user can talk to the replication port; set "
            "--cluster-secret (or PGHA_CLUSTER_SECRET)")
    tls = _client_facing_tls(args)
    tls_server = tls_client = forward_tls = None
    if args.tls_ca is not None:
        if tls is None:
            raise StartupError("--tls-ca needs --tls-cert and --tls-key: this node's "
                               "certificate, signed by that CA")
        try:
            tls_server = server_context(args.tls_cert, args.tls_key, args.tls_ca)
            tls_client = client_context(args.tls_ca, args.tls_cert, args.tls_key)
            tls_client.check_hostname = False  # a certificate the cluster's CA signed
            forward_tls = ClientTls.from_mode("verify-ca", args.tls_ca)
        except TlsConfigError as exc:
            raise StartupError(f"--tls-ca: {exc}") from None
    elif tls is not None:
        forward_tls = ClientTls.from_mode("prefer")
    ha = HaConfig(
        node_id=args.node_id or f"{host}:{port}", mode=args.ha_mode, bind=args.ha_bind,
        primaries=primaries, sync_mode=args.sync_mode,
        sync_standbys=tuple(n for n in args.sync_standbys.split(",") if n),
        semi_sync_timeout=args.semi_sync_timeout, secret=args.cluster_secret,
        batch_bytes=args.wal_batch_bytes, batch_delay=args.wal_batch_delay_ms / 1000,
        compress=not args.no_wal_compression, keep_bytes=args.wal_keep_mb << 20,
        max_bytes=args.wal_max_mb << 20, failover=args.failover,
        election_timeout=args.election_timeout, heartbeat_interval=args.heartbeat_interval,
        on_role_change=args.on_role_change, tls_server=tls_server, tls_client=tls_client)
    try:
        Timing.from_timeout(args.heartbeat_interval, args.election_timeout)
    except ValueError as exc:
        raise StartupError(str(exc)) from None
    config = NodeConfig(
        data_dir=data, host=host, port=port, auth=auth, trust_remote=args.auth == "trust",
        users=dict(args.user),
        databases=tuple(args.database or ["postgres"]), durable=not args.no_fsync,
        max_connections=args.max_connections, ready_file=args.ready_file, ha=ha,
        standby_writes=args.standby_writes, http_bind=args.http_bind, tls=tls,
        tls_required=args.tls_required, forward_tls=forward_tls)
    try:
        node = Node(config)
    except (OSError, apsw.Error) as exc:
        raise StartupError(f"--data {data}: {exc}") from None

    async def stop() -> None:
        await node.stop()
        node.executor.shutdown(wait=False, cancel_futures=True)

    _run_until_signal(node.start, stop)
    return 0


def _client_facing_tls(args: argparse.Namespace) -> ssl.SSLContext | None:
    """The context for clients that ask for TLS (--tls-cert and --tls-key), or None."""
    if (args.tls_cert is None) != (args.tls_key is None):
        raise StartupError("--tls-cert and --tls-key go together")
    if args.tls_cert is None:
        if args.tls_required:
            raise StartupError("--tls-required needs --tls-cert and --tls-key")
        return None
    try:
        return server_context(args.tls_cert, args.tls_key)
    except TlsConfigError as exc:
        raise StartupError(f"--tls-cert: {exc}") from None


def _data_dir(path: Path | None) -> Path:
    if path is None:
        raise StartupError("--data DIR is required (or PGHA_DATA, or data in the config file)")
    if path.exists() and not path.is_dir():
        raise StartupError(f"--data {path}: not a directory")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StartupError(f"--data {path}: {exc.strerror or exc}") from None
    if not os.access(path, os.R_OK | os.W_OK | os.X_OK):
        raise StartupError(f"--data {path}: permission denied (the server needs to read and "
                           "write it)")
    return path


def _run_until_signal(start: Callable[[], Awaitable[None]],
                      stop: Callable[[], Awaitable[None]]) -> None:
    """Run ``start()``, then serve until SIGTERM or SIGINT, then ``stop()``."""
    _install_loop()

    async def run() -> None:
        loop = asyncio.get_running_loop()
        signalled = asyncio.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, signalled.set)
        try:
            await start()
        except OSError as exc:  # a port in use, a host that does not resolve
            with contextlib.suppress(Exception):
                await stop()  # what did start (a replication port, the REST API)
            raise StartupError(exc.strerror or str(exc)) from None
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
