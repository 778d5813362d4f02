"""errors_sqlite.map_error: no SQLite text reaches a client. What has a PostgreSQL counterpart
gets PostgreSQL's SQLSTATE and words; anything else gets a generic PostgreSQL-style error while
SQLite's message goes to the server's log."""

from __future__ import annotations

import logging

import apsw
import pytest

from pgha.storage.catalog import Catalog
from pgha.storage.errors_sqlite import map_error


@pytest.fixture
def catalog() -> Catalog:
    return Catalog([], 0)


def _sqlite_error(sql: str) -> apsw.Error:
    conn = apsw.Connection(":memory:")
    conn.execute("CREATE TABLE a (x int); CREATE TABLE b (x int)")
    with pytest.raises(apsw.Error) as caught:
        conn.execute(sql)
    return caught.value


def test_an_ambiguous_column_is_postgresqls_42702(catalog: Catalog) -> None:
    error = map_error(_sqlite_error("SELECT x FROM a, b"), catalog)
    assert (error.sqlstate, error.message) == ("42702", 'column reference "x" is ambiguous')


@pytest.mark.parametrize("sql", [
    "SELECT 1 UNION SELECT 1, 2",  # SELECTs to the left and right of UNION do not have...
    "SELECT x FROM a ORDER BY 3",  # 1st ORDER BY term out of range
])
def test_other_engine_errors_keep_sqlites_words_in_the_log(
        catalog: Catalog, sql: str, caplog: pytest.LogCaptureFixture) -> None:
    exc = _sqlite_error(sql)
    with caplog.at_level(logging.WARNING, logger="pgha.storage"):
        error = map_error(exc, catalog)
    assert error.sqlstate == "0A000"
    assert error.message == "statement not supported by pgha's engine"
    sqlite_text = str(exc.args[0]).split(": ", 1)[-1]
    assert sqlite_text not in error.message + (error.detail or "") + (error.hint or "")
    assert sqlite_text in caplog.text
