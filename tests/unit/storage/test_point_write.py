"""Which writes pgha may run on the event loop, bounded by their shape
(``translate.point_write``), as the translation of each statement marks them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from pgha.storage.engine import Engine, StorageSession

SCHEMA = [
    "CREATE TABLE acc (id int PRIMARY KEY, code text UNIQUE, k int, v int)",
    "CREATE TABLE pair (a int, b int, v int, UNIQUE (a, b))",
    "CREATE TABLE hist (id int, v int)",
    "CREATE TABLE parent (id int PRIMARY KEY)",
    "CREATE TABLE child (id int PRIMARY KEY, pid int REFERENCES parent)",
    "CREATE UNIQUE INDEX acc_k_pos ON acc (k) WHERE k > 0",
]
POINT = [
    "INSERT INTO hist VALUES ($1, $2)",
    "INSERT INTO hist (id, v) VALUES (1, 2) RETURNING id",
    "INSERT INTO acc VALUES ($1, 'x', 1, 2) ON CONFLICT (id) DO UPDATE SET v = excluded.v",
    "INSERT INTO child VALUES ($1, $2)",
    "UPDATE acc SET v = v + $1 WHERE id = $2",
    "UPDATE acc SET v = 1 WHERE $1 = id AND v > 3",
    "UPDATE acc SET v = 1 WHERE code = 'a'",
    "UPDATE acc SET v = 1 WHERE id = $1::int RETURNING v",
    "UPDATE pair SET v = 1 WHERE a = 1 AND b = $1",
    "DELETE FROM acc WHERE id = $1",
    "DELETE FROM child WHERE id = 3",
]
NOT_POINT = [
    "INSERT INTO hist VALUES (1, 2), (3, 4)",  # two rows
    "INSERT INTO hist SELECT id, v FROM acc",  # any number of rows
    "INSERT INTO hist VALUES ((SELECT max(id) FROM acc), 1)",  # a subquery
    "INSERT INTO hist VALUES (1, pg_sleep(1)::text::int)",  # may block
    "UPDATE acc SET v = 1",  # every row
    "UPDATE acc SET v = 1 WHERE v = $1",  # not a unique column
    "UPDATE acc SET v = 1 WHERE id = $1 OR id = 2",  # OR
    "UPDATE acc SET v = 1 WHERE id > $1",  # not an equality
    "UPDATE acc SET v = 1 WHERE k = 5",  # a partial unique index
    "UPDATE pair SET v = 1 WHERE a = 1",  # part of a unique key
    "UPDATE acc SET v = (SELECT max(v) FROM hist) WHERE id = 1",  # a subquery
    "UPDATE acc SET v = 1 FROM hist WHERE acc.id = 1",  # FROM
    "DELETE FROM parent WHERE id = 1",  # a foreign key references it
    "UPDATE parent SET id = 2 WHERE id = 1",  # likewise
    "DELETE FROM acc USING hist WHERE acc.id = 1",  # USING
    "WITH x AS (SELECT 1) UPDATE acc SET v = 1 WHERE id = 1",  # WITH
    "UPDATE acc SET code = 'a' WHERE id = 1 AND code ~ 'x'",  # a regular expression
    "SELECT * FROM acc WHERE id = 1",  # a read
]


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StorageSession]:
    engine = Engine(Path(tmp_path_factory.mktemp("point")) / "db", durable=False)
    s = engine.open_session()
    for sql in SCHEMA:
        s.execute(s.parse(sql)[0])
    yield s
    s.close()


def _point(session: StorageSession, sql: str) -> bool:
    stmt = session.parse(sql)[0]
    session.prepare_translation(stmt)
    assert stmt.translation is not None
    return stmt.translation.point_write


@pytest.mark.parametrize("sql", POINT)
def test_point_writes(session: StorageSession, sql: str) -> None:
    assert _point(session, sql)


@pytest.mark.parametrize("sql", NOT_POINT)
def test_writes_that_are_not_point_writes(session: StorageSession, sql: str) -> None:
    assert not _point(session, sql)
