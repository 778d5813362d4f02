"""Django 5 against pgha: a project's migrations run twice, a model round trip with
bulk_create (UNNEST), and an IntegrityError with PostgreSQL's DETAIL, straight to a node and
through `pgha proxy`. Django's settings are global to a process, so each run is its own
process (`django_project/run.py`) in a copy of the project."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from fixtures.pgha_server import PghaServer
from fixtures.proxy import ProxyProcess

pytest.importorskip("django")

PROJECT = Path(__file__).with_name("django_project")
CHECKS = ["migrate twice: ok", "round trip: ok", "IntegrityError: ok", "introspection: ok"]


def _run_project(tmp_path: Path, host: str, port: int) -> None:
    project = tmp_path / "project"
    shutil.copytree(PROJECT, project, ignore=shutil.ignore_patterns("migrations", "__pycache__"))
    result = subprocess.run([sys.executable, "run.py", host, str(port)], cwd=project,
                            capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.split("\n")[:len(CHECKS)] == CHECKS, result.stdout


def test_django_straight_to_a_node(pgha_server: PghaServer, tmp_path: Path) -> None:
    _run_project(tmp_path, pgha_server.host, pgha_server.port)


def test_django_through_the_proxy(pgha_server: PghaServer, tmp_path: Path) -> None:
    proxy = ProxyProcess(tmp_path / "proxy", [pgha_server])
    try:
        _run_project(tmp_path, "127.0.0.1", proxy.port)
    finally:
        proxy.stop()
