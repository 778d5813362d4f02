"""Which statements with data-modifying WITH queries pgha refuses because running their parts
in order would answer differently from PostgreSQL's single snapshot (``write_ctes``)."""

from __future__ import annotations

import pytest
from pglast import parse_sql

from pgha.storage.translate.write_ctes import check_snapshot_reads
from pgha.wire.errors import PgError

ALLOWED = [
    "WITH m AS (DELETE FROM a RETURNING *) INSERT INTO b SELECT * FROM m",
    "WITH u AS (UPDATE a SET x = 1 WHERE id IN (SELECT id FROM a) RETURNING id) SELECT * FROM u",
    "WITH s AS (SELECT id FROM a), u AS (UPDATE a SET x = 1 WHERE id IN (SELECT id FROM s) "
    "RETURNING id) SELECT * FROM u",
    "WITH u AS (UPDATE a SET x = 1 WHERE id = 1 RETURNING *) "
    "INSERT INTO a SELECT 1, 1 WHERE NOT EXISTS (SELECT 1 FROM u)",
    "WITH i AS (INSERT INTO a VALUES (1) RETURNING id), j AS (INSERT INTO a VALUES (2)) SELECT 1",
    "WITH d AS (DELETE FROM a WHERE x = 1 RETURNING x) DELETE FROM a WHERE x IN (SELECT x FROM d)",
    "WITH e AS (DELETE FROM a WHERE id IN (SELECT id FROM b)), d AS (DELETE FROM b) SELECT 1",
    "WITH a AS (DELETE FROM a RETURNING *) SELECT * FROM a",  # names the WITH query
]
REFUSED = [
    "WITH u AS (UPDATE a SET x = 1 RETURNING x) SELECT (SELECT count(*) FROM a), x FROM u",
    "WITH s AS (SELECT id FROM a), u AS (UPDATE a SET x = 1 RETURNING id) SELECT * FROM s",
    "WITH d AS (DELETE FROM b), e AS (DELETE FROM a WHERE id IN (SELECT id FROM b)) SELECT 1",
    "WITH u AS (UPDATE a SET x = 1 RETURNING id) UPDATE a SET y = 2",
    "WITH i AS (INSERT INTO a VALUES (1)) DELETE FROM a",
    "WITH i AS (INSERT INTO a VALUES (1)), d AS (DELETE FROM a) SELECT 1",
]


@pytest.mark.parametrize("sql", ALLOWED)
def test_allowed(sql: str) -> None:
    check_snapshot_reads(parse_sql(sql)[0].stmt)


@pytest.mark.parametrize("sql", REFUSED)
def test_refused(sql: str) -> None:
    with pytest.raises(PgError) as info:
        check_snapshot_reads(parse_sql(sql)[0].stmt)
    assert info.value.sqlstate == "0A000"
