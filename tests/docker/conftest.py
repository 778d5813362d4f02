"""Fixtures of the docker tests: the pgha image and one `docker compose` cluster of
docker-compose.yml (nodes n1, n2, n3 and a proxy) shared by every test of this directory.

- `docker_compose` (session): the compose command, once `docker info` answers. Without an
  engine every docker test is skipped with the reason; with `PGHA_REQUIRE_DOCKER=1` (CI) it
  fails instead.
- `pgha_image` (session): the image of this working tree: the base pgha-base:bookworm from
  docker/build-base.sh (or `PGHA_DOCKER_BASE`, which must exist locally), wheels from
  docker/build-wheels.sh, tagged by a hash of the Dockerfile, the base and the wheels, so an
  unchanged tree reuses the image of an earlier run.
- `compose_cluster` (session): `docker compose up` under a unique project name, ready (one
  primary, two streaming standbys, the proxy following the primary); `down -v` at the end,
  whatever happened. The fault tests leave it whole again, each starting from the node that is
  primary then. A failing test gets the containers' logs as a report section.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from docker_cluster import (
    ComposeCluster,
    DockerUnavailable,
    build_image,
    check_engine,
    log,
    remove_stale_projects,
)

REQUIRE = os.environ.get("PGHA_REQUIRE_DOCKER") == "1"


@pytest.fixture(scope="session")
def docker_compose() -> list[str]:
    try:
        compose = check_engine()
    except DockerUnavailable as exc:
        if REQUIRE:
            pytest.fail(f"PGHA_REQUIRE_DOCKER=1 but {exc}", pytrace=False)
        pytest.skip(f"docker tests need a Docker engine with compose: {exc}")
    remove_stale_projects(compose)
    return compose


@pytest.fixture(scope="session")
def pgha_image(docker_compose: list[str], tmp_path_factory: pytest.TempPathFactory) -> str:
    try:
        return build_image(tmp_path_factory.mktemp("docker-build"))
    except DockerUnavailable as exc:
        if REQUIRE:
            pytest.fail(f"PGHA_REQUIRE_DOCKER=1 but {exc}", pytrace=False)
        pytest.skip(str(exc))


@pytest.fixture(scope="session")
def compose_cluster(docker_compose: list[str], pgha_image: str,
                    tmp_path_factory: pytest.TempPathFactory) -> Iterator[ComposeCluster]:
    workdir = tmp_path_factory.mktemp("compose")
    cluster = ComposeCluster(docker_compose, pgha_image, workdir)
    log(f"starting project {cluster.project} with {pgha_image}")
    try:
        try:
            cluster.up()
        except AssertionError as exc:
            pytest.fail(f"the cluster did not come up: {exc}\n\n{cluster.logs()}",
                        pytrace=False)
        yield cluster
    finally:
        _keep_logs(cluster, workdir)
        cluster.down()
        log(f"project {cluster.project} removed")


def _keep_logs(cluster: ComposeCluster, workdir: Path) -> None:
    with contextlib.suppress(AssertionError):
        (workdir / "compose.log").write_text(cluster.logs())


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]
                              ) -> Iterator[None]:
    report = yield
    if report.failed and call.when == "call":
        cluster = getattr(item, "funcargs", {}).get("compose_cluster")
        if isinstance(cluster, ComposeCluster):
            report.sections.append(("docker compose logs", cluster.logs()))
    return report
