"""The docker tests' pieces: the engine and compose CLIs, the pgha image built from wheels,
a `docker compose` project of docker-compose.yml (three nodes and a proxy), probes run inside
the containers (`in_container.py`), and writers that record which rows were acknowledged.

Every docker command runs with a timeout. The host talks to the cluster only through ports
published on 127.0.0.1 (the proxy's, and each node's client port) and `docker exec`; it never
sends traffic to container addresses.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import Any

import psycopg

REPO = Path(__file__).resolve().parents[2]
DOCKER_DIR = Path(__file__).resolve().parent
PROBE = (DOCKER_DIR / "in_container.py").read_text()
NODES = ("n1", "n2", "n3")
PROJECT_PREFIX = "pghatest"
TEST_IMAGE_REPO = "pgha-test"
TEST_LABEL = "org.pgha.test"
BASE_IMAGE = "pgha-base:bookworm"  # docker/build-base.sh


class DockerUnavailable(Exception):
    """No engine, no compose, or no way to build the image: the docker tests cannot run."""


class CommandFailed(AssertionError):
    pass


def log(message: str) -> None:
    print(f"[docker {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def run(argv: list[str], timeout: float, check: bool = True, env: dict[str, str] | None = None,
        cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    try:
        result = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, env=env,
                                cwd=cwd, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as exc:
        raise CommandFailed(f"{' '.join(argv[:6])} ... timed out after {timeout} s\n"
                            f"{exc.stdout or ''}{exc.stderr or ''}") from exc
    if check and result.returncode != 0:
        raise CommandFailed(f"{' '.join(argv[:8])} ... exited {result.returncode}:\n"
                            f"{result.stdout[-4000:]}{result.stderr[-4000:]}")
    return result


def wait_for(predicate: Callable[[], Any], what: str, timeout: float,
             interval: float = 0.2) -> Any:
    """Poll ``predicate`` until it returns something truthy (returned); errors of a node that
    is down or restarting count as "not yet"."""
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while True:
        try:
            value = predicate()
            if value:
                return value
        except (psycopg.Error, OSError, CommandFailed, KeyError, ValueError) as exc:
            last = exc
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}"
                                 + (f" (last error: {last})" if last else ""))
        time.sleep(interval)


# -- the engine, compose, and the image ---------------------------------------------------------


def check_engine() -> list[str]:
    """The compose command (`docker compose` or `docker-compose`) once the engine answers."""
    if shutil.which("docker") is None:
        raise DockerUnavailable("the docker CLI is not installed")
    try:
        info = run(["docker", "info", "--format", "{{.ServerVersion}}"], timeout=30,
                   check=False)
    except CommandFailed as exc:
        raise DockerUnavailable(f"`docker info` did not answer: {exc}") from exc
    if info.returncode != 0 or not info.stdout.strip():
        raise DockerUnavailable(f"no Docker engine reachable (`docker info`: "
                                f"{(info.stderr or info.stdout).strip()[:300]})")
    for compose in (["docker", "compose"], ["docker-compose"]):
        if shutil.which(compose[0]) is None:
            continue
        version = run([*compose, "version"], timeout=30, check=False)
        if version.returncode == 0:
            return compose
    raise DockerUnavailable("neither `docker compose` nor `docker-compose` is installed")


def remove_stale_projects(compose: list[str]) -> None:
    """Remove what an earlier run left behind when it was killed before its teardown: the
    projects of test processes that no longer exist (project names carry the pid)."""
    listed = run(["docker", "ps", "-a", "--filter", "label=com.docker.compose.project",
                  "--format", '{{.Label "com.docker.compose.project"}}'], timeout=30)
    for project in sorted(set(listed.stdout.split())):
        match = re.fullmatch(rf"{PROJECT_PREFIX}(\d+)x[0-9a-f]+", project)
        if match is None or _alive(int(match.group(1))):
            continue
        log(f"removing stale project {project}")
        run([*compose, "-p", project, "-f", str(REPO / "docker-compose.yml"), "down", "-v",
             "--remove-orphans", "-t", "1"], timeout=120, check=False,
            env={**os.environ, "PGHA_PROXY_PORT": ""})


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def ensure_base_image(base: str) -> str:
    """The base image's id: built with docker/build-base.sh when it is pgha-base:bookworm
    (reused when present), otherwise it must exist locally (no registry)."""
    present = run(["docker", "image", "inspect", "-f", "{{.Id}}", base], timeout=30,
                  check=False)
    if present.returncode == 0:
        return present.stdout.strip()
    if base != BASE_IMAGE:
        raise DockerUnavailable(f"base image {base} is not present and no registry is used")
    if os.geteuid() != 0:
        raise DockerUnavailable(f"{base} is missing and docker/build-base.sh needs root")
    started = time.monotonic()
    log(f"building {base} with docker/build-base.sh (debootstrap; about a minute)")
    run(["bash", str(REPO / "docker" / "build-base.sh")], timeout=900)
    log(f"built {base} in {time.monotonic() - started:.0f} s")
    return run(["docker", "image", "inspect", "-f", "{{.Id}}", base], timeout=30).stdout.strip()


def build_image(workdir: Path) -> str:
    """The pgha image of this working tree, tagged by a hash of what goes into it (the
    Dockerfile, the base image and the wheels: built reproducibly, so an unchanged tree reuses
    the image of an earlier run)."""
    base = os.environ.get("PGHA_DOCKER_BASE", BASE_IMAGE)
    base_id = ensure_base_image(base)
    context = workdir / "context"
    wheels = context / "wheelhouse"
    started = time.monotonic()
    run(["bash", str(REPO / "docker" / "build-wheels.sh"), str(wheels), str(REPO)], timeout=600)
    log(f"wheels built in {time.monotonic() - started:.0f} s")
    dockerfile = (REPO / "Dockerfile").read_bytes()
    (context / "Dockerfile").write_bytes(dockerfile)
    digest = hashlib.sha256(dockerfile + base_id.encode())
    for wheel in sorted(wheels.glob("*.whl")):
        digest.update(wheel.name.encode() + hashlib.sha256(wheel.read_bytes()).digest())
    tag = f"{TEST_IMAGE_REPO}:{digest.hexdigest()[:16]}"
    if run(["docker", "image", "inspect", tag], timeout=30, check=False).returncode == 0:
        log(f"reusing image {tag}")
        return tag
    started = time.monotonic()
    log(f"building {tag} on {base}")
    run(["docker", "build", "--build-arg", f"BASE={base}", "--label", f"{TEST_LABEL}=1",
         "-t", tag, str(context)], timeout=900, env={**os.environ, "DOCKER_BUILDKIT": "0"})
    log(f"built {tag} in {time.monotonic() - started:.0f} s")
    _remove_older_images(tag)
    return tag


def _remove_older_images(keep: str) -> None:
    """Keep one test image: older tags (earlier trees) and the build stage left untagged."""
    listed = run(["docker", "images", "--filter", f"label={TEST_LABEL}=1", "--format",
                  "{{.Repository}}:{{.Tag}}"], timeout=30)
    old = [t for t in listed.stdout.split() if t.startswith(f"{TEST_IMAGE_REPO}:") and t != keep]
    if old:
        run(["docker", "rmi", *old], timeout=120, check=False)
    run(["docker", "image", "prune", "-f", "--filter", "label=org.pgha.stage=build"],
        timeout=120, check=False)


# -- a compose project ---------------------------------------------------------------------------


OVERRIDE = """\
# The docker tests' additions to docker-compose.yml: each node's client port published on
# a free port of 127.0.0.1 (the host reads from standbys directly).
services:
  n1:
    ports: ["127.0.0.1::5432"]
  n2:
    ports: ["127.0.0.1::5432"]
  n3:
    ports: ["127.0.0.1::5432"]
"""


@dataclass
class ComposeCluster:
    compose: list[str]
    image: str
    workdir: Path
    project: str = field(default_factory=lambda: f"{PROJECT_PREFIX}{os.getpid()}x"
                                                 f"{secrets.token_hex(3)}")
    containers: dict[str, str] = field(default_factory=dict)  # service -> container id
    network: str = ""

    def __post_init__(self) -> None:
        self.override = self.workdir / "docker-compose.test.yml"
        self.override.write_text(OVERRIDE)
        self.env = {**os.environ, "PGHA_IMAGE": self.image, "PGHA_PROXY_ADDRESS": "127.0.0.1",
                    "PGHA_PROXY_PORT": "", "PGHA_RESTART": "no",
                    "PGHA_CLUSTER_SECRET": secrets.token_hex(16)}

    def _compose(self, *args: str, timeout: float, check: bool = True
                 ) -> subprocess.CompletedProcess[str]:
        return run([*self.compose, "-p", self.project, "-f", str(REPO / "docker-compose.yml"),
                    "-f", str(self.override), *args], timeout=timeout, check=check,
                   env=self.env, cwd=REPO)

    def up(self) -> None:
        started = time.monotonic()
        self._compose("up", "-d", "--no-build", timeout=300)
        for service in (*NODES, "proxy"):
            cid = self._compose("ps", "-q", service, timeout=60).stdout.strip()
            if not cid:
                raise CommandFailed(f"no container for {service}")
            self.containers[service] = cid
        networks = run(["docker", "inspect", "-f",
                        "{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}",
                        self.containers["n1"]], timeout=30).stdout.split()
        self.network = networks[0]
        self.wait_ready(timeout=120)
        log(f"project {self.project} up and ready in {time.monotonic() - started:.0f} s")

    def down(self) -> None:
        result = self._compose("down", "-v", "--remove-orphans", "-t", "3", timeout=180,
                               check=False)
        if result.returncode != 0:  # last resort: by the project's label
            log(f"compose down failed ({result.stderr.strip()[-300:]}); removing by label")
            label = f"label=com.docker.compose.project={self.project}"
            for kind in ("container", "network", "volume"):
                ids = run(["docker", kind, "ls", "-q", "--filter", label]
                          + (["-a"] if kind == "container" else []), timeout=30,
                          check=False).stdout.split()
                if ids:
                    run(["docker", kind, "rm", "-f" if kind != "network" else "--", *ids],
                        timeout=120, check=False)

    def logs(self) -> str:
        result = self._compose("logs", "--no-color", "--timestamps", timeout=120, check=False)
        states = run(["docker", "ps", "-a", "--filter",
                      f"label=com.docker.compose.project={self.project}", "--format",
                      "{{.Names}}  {{.Status}}"], timeout=30, check=False).stdout
        return f"{states}\n{result.stdout}{result.stderr}"

    # -- addresses -----------------------------------------------------------------------

    def port(self, service: str, container_port: int = 5432) -> int:
        out = run(["docker", "port", self.containers[service], f"{container_port}/tcp"],
                  timeout=30).stdout
        for line in out.splitlines():
            host, _, port = line.rpartition(":")
            if host in ("127.0.0.1", "0.0.0.0"):
                return int(port)
        raise CommandFailed(f"{service}:{container_port} is not published: {out!r}")

    def dsn(self, service: str = "proxy") -> str:
        return (f"host=127.0.0.1 port={self.port(service)} user=postgres dbname=postgres "
                "connect_timeout=5")

    def ip(self, service: str) -> str:
        return run(["docker", "inspect", "-f",
                    "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}",
                    self.containers[service]], timeout=30).stdout.strip()

    # -- probes inside the containers ----------------------------------------------------

    def probe(self, service: str, *args: str, timeout: float = 30) -> dict[str, Any]:
        out = run(["docker", "exec", self.containers[service], "python3", "-c", PROBE, *args],
                  timeout=timeout).stdout
        return dict(json.loads(out.strip().splitlines()[-1]))

    def status(self, service: str, path: str) -> int | None:
        """The HTTP status of the node's or proxy's API at ``path`` (None: no answer)."""
        return self.statuses(service, path)[0]

    def statuses(self, service: str, *paths: str) -> list[int | None]:
        return list(self.probe(service, "http", *paths, timeout=15)["statuses"])

    def query(self, service: str, sql: str) -> list[list[str | None]]:
        answer = self.probe(service, "query", sql)
        if answer.get("error"):
            raise CommandFailed(f"{service}: {sql}: {answer['error']}")
        return list(answer["rows"])

    def running(self, service: str) -> bool:
        return run(["docker", "inspect", "-f", "{{.State.Running}}", self.containers[service]],
                   timeout=30).stdout.strip() == "true"

    def ready(self) -> str | None:
        """The primary's name when the cluster is whole: one node writable, the other two
        streaming standbys, and the proxy following that primary."""
        codes = {n: self.statuses(n, "/primary", "/replica") for n in NODES}
        primaries = [n for n, (p, _) in codes.items() if p == 200]
        replicas = [n for n, (_, r) in codes.items() if r == 200]
        if len(primaries) != 1 or len(replicas) != 2:
            return None
        with psycopg.connect(self.dsn("proxy"), autocommit=True) as conn:
            row = conn.execute("/* pgha:primary */ select node_id from pg_replication_status")\
                .fetchone()
        return primaries[0] if row is not None and row[0] == primaries[0] else None

    def wait_ready(self, timeout: float = 60) -> str:
        """Wait until the cluster is whole (see ``ready``); returns the primary's name."""
        return str(wait_for(self.ready, "one primary, two streaming standbys and the proxy "
                            "following the primary", timeout, interval=0.5))

    def wait_same_rows(self, table: str, timeout: float = 30) -> set[int]:
        """The ids of ``table`` once every node holds the same rows (all columns)."""
        def same() -> list[list[str | None]] | None:
            contents = [self.query(n, f"select * from {table} order by id") for n in NODES]
            return contents[0] if all(c == contents[0] for c in contents) else None

        rows = wait_for(same, f"every node to hold the same rows of {table}", timeout,
                        interval=0.5)
        return {int(str(row[0])) for row in rows}

    # -- faults --------------------------------------------------------------------------

    def heal(self) -> None:
        """Undo what a fault test did, should it have stopped half-way: start stopped nodes,
        connect disconnected ones."""
        for service, cid in self.containers.items():
            networks = run(["docker", "inspect", "-f",
                            "{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}",
                            cid], timeout=30, check=False).stdout.split()
            if self.network not in networks:
                self.connect(service)
            if not self.running(service):
                self.start(service)

    def kill(self, service: str) -> None:
        run(["docker", "kill", self.containers[service]], timeout=60)

    def start(self, service: str) -> None:
        run(["docker", "start", self.containers[service]], timeout=60)

    def disconnect(self, service: str) -> None:
        run(["docker", "network", "disconnect", self.network, self.containers[service]],
            timeout=60)

    def connect(self, service: str) -> None:
        # The service name is the node's address for its peers and the proxy: give it back.
        run(["docker", "network", "connect", "--alias", service, self.network,
             self.containers[service]], timeout=60)


# -- in-container streams: pollers and a direct writer ------------------------------------------


class ExecStream:
    """A long-running probe (`poll`, `write`) in a container: its JSON lines, collected by a
    thread. ``close()`` closes its stdin, which ends the probe inside the container too."""

    def __init__(self, cluster: ComposeCluster, service: str, *args: str) -> None:
        self.service = service
        self.lines: list[dict[str, Any]] = []
        self.process = subprocess.Popen(
            ["docker", "exec", "-i", cluster.containers[service], "python3", "-c", PROBE,
             *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            try:
                self.lines.append(json.loads(line))
            except ValueError:
                continue

    def close(self) -> str:
        """Stop the probe; returns its stderr (empty when it ran cleanly)."""
        assert self.process.stdin is not None
        try:
            self.process.stdin.close()
            self.process.wait(timeout=15)
        except (OSError, subprocess.TimeoutExpired):
            self.process.kill()
            self.process.wait(timeout=15)
        self.reader.join(timeout=15)
        assert self.process.stderr is not None
        return self.process.stderr.read()


@dataclass(frozen=True, slots=True)
class Span:
    node: str
    start: float
    end: float


def writable_spans(samples: dict[str, list[dict[str, Any]]]) -> list[Span]:
    """Each stretch of consecutive /primary 200 answers of a node, from the reply of the first
    to the request of the last: the node was surely writable throughout (as far as 100 ms
    polls can tell)."""
    spans = []
    for node, lines in samples.items():
        run_: list[dict[str, Any]] = []
        for line in [*lines, {"status": None, "s": float("inf"), "r": float("inf")}]:
            if line["status"] == 200:
                run_.append(line)
                continue
            if run_:
                spans.append(Span(node, run_[0]["r"], max(run_[-1]["s"], run_[0]["r"])))
            run_ = []
    return spans


def overlapping(spans: list[Span]) -> list[tuple[Span, Span]]:
    return [(a, b) for i, a in enumerate(spans) for b in spans[i + 1:]
            if a.node != b.node and a.start < b.end and b.start < a.end]


# -- a writer through the proxy ------------------------------------------------------------------


class ProxyWriter(threading.Thread):
    """Inserts numbered rows through the proxy, one autocommit statement each, and records
    which were acknowledged (a reply without error or warning). A statement that hangs (its
    backend was cut off) is abandoned after ``hang_timeout`` by shutting the socket down:
    its outcome is unknown, so it is not counted."""

    def __init__(self, dsn: str, table: str, first: int = 1, hang_timeout: float = 6.0) -> None:
        super().__init__(daemon=True)
        self.dsn, self.table, self.next_id, self.hang_timeout = dsn, table, first, hang_timeout
        self.acked: list[tuple[int, float]] = []  # (id, time of the reply)
        self.failed: list[tuple[int, float, str]] = []
        self.halt = threading.Event()

    def run(self) -> None:
        conn: psycopg.Connection[Any] | None = None
        warned: list[str] = []
        while not self.halt.is_set():
            if conn is None:
                try:
                    conn = psycopg.connect(self.dsn, autocommit=True)
                    conn.add_notice_handler(
                        lambda d: warned.append(d.message_primary or "")
                        if d.severity_nonlocalized == "WARNING" else None)
                except psycopg.Error:
                    self.halt.wait(0.1)
                    continue
            row_id, self.next_id = self.next_id, self.next_id + 1
            warned.clear()
            try:
                with self._watchdog(conn):
                    conn.execute(f"insert into {self.table} (id, src) values (%s, 'proxy')",
                                 (row_id,))
                if warned:
                    self.failed.append((row_id, time.time(), f"warning: {warned}"))
                else:
                    self.acked.append((row_id, time.time()))
            except psycopg.Error as exc:
                self.failed.append((row_id, time.time(), str(exc).strip()[:200]))
                conn.close()
                conn = None
                self.halt.wait(0.05)
        if conn is not None:
            conn.close()

    @contextmanager
    def _watchdog(self, conn: psycopg.Connection[Any]) -> Iterator[None]:
        def cut() -> None:
            try:
                with socket.fromfd(conn.fileno(), socket.AF_INET, socket.SOCK_STREAM) as sock:
                    sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

        timer = threading.Timer(self.hang_timeout, cut)
        timer.start()
        try:
            yield
        finally:
            timer.cancel()

    def acked_after(self, moment: float) -> int:
        return sum(1 for _, at in self.acked if at > moment)

    def longest_pause(self, after: float) -> float:
        """The longest time without an acknowledged write, from ``after`` on (the outage a
        client saw)."""
        times = [after, *sorted(at for _, at in self.acked if at > after)]
        return max((b - a for a, b in pairwise(times)), default=float("inf"))

    def stop(self) -> None:
        self.halt.set()
        self.join(timeout=30)
        assert not self.is_alive(), "the writer did not stop"
