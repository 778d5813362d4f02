"""docker-compose.yml as a user runs it: the containers come up healthy, and psql and psycopg
work through the proxy's published port; a standby read directly on a node sees the rows."""

from __future__ import annotations

import json
import shutil
import subprocess

import psycopg
import pytest
from docker_cluster import NODES, ComposeCluster, run, wait_for

pytestmark = pytest.mark.timeout(900)  # the first test also builds the images


def test_cluster_comes_up_healthy(compose_cluster: ComposeCluster) -> None:
    primary = compose_cluster.wait_ready()

    def health(service: str) -> str:
        return run(["docker", "inspect", "-f", "{{.State.Health.Status}}",
                    compose_cluster.containers[service]], timeout=30).stdout.strip()

    # docker's own health checks (GET /health inside each container)
    wait_for(lambda: all(health(s) == "healthy" for s in (*NODES, "proxy")),
             "every container healthy", timeout=60, interval=1)
    members = json.loads(compose_cluster.probe(primary, "http", "/cluster")["body"])["members"]
    roles = {m["name"]: m["role"] for m in members}
    assert roles[primary] == "primary", members
    assert sorted(n for n, role in roles.items() if role == "standby") == \
        sorted(n for n in NODES if n != primary), members
    assert compose_cluster.status("proxy", "/health") == 200


def test_psql_through_the_proxy(compose_cluster: ComposeCluster) -> None:
    psql = shutil.which("psql")
    if psql is None:
        pytest.skip("psql is not installed (Debian: postgresql-client-15)")
    compose_cluster.wait_ready()
    result = subprocess.run(
        [psql, compose_cluster.dsn("proxy"), "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1",
         "-c", "create table psql_items (id int primary key, name text not null)",
         "-c", "insert into psql_items values (1, 'one'), (2, 'two'), (3, 'three')",
         "-c", "update psql_items set name = upper(name) where id > 1",
         "-c", "select id, name from psql_items order by id"],
        capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.split()
    assert lines[-3:] == ["1|one", "2|TWO", "3|THREE"], result.stdout


def test_psycopg_through_the_proxy_and_a_standby_read(compose_cluster: ComposeCluster) -> None:
    primary = compose_cluster.wait_ready()
    with psycopg.connect(compose_cluster.dsn("proxy"), autocommit=True) as conn:
        conn.execute("create table items (id serial primary key, name text, qty int)")
        with conn.cursor() as cur:
            cur.executemany("insert into items (name, qty) values (%s, %s)",
                            [(f"item {i}", i) for i in range(1, 101)])
        with conn.transaction():
            conn.execute("update items set qty = qty * 2 where id <= 10")
            conn.execute("delete from items where id > 95")
        assert conn.execute("select count(*), sum(qty) from items").fetchone() == \
            (95, sum(range(1, 96)) + sum(range(1, 11)))
        expected = conn.execute("select id, name, qty from items order by id").fetchall()

    standby = next(n for n in NODES if n != primary)
    with psycopg.connect(compose_cluster.dsn(standby), autocommit=True) as conn:
        assert conn.execute("select pg_is_in_recovery()").fetchone() == (True,)
        conn.execute("set pgha.route = standby")  # read here, never on the primary
        wait_for(lambda: conn.execute("select id, name, qty from items order by id")
                 .fetchall() == expected, f"{standby} to show the rows", timeout=10)
