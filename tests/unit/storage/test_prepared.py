"""The session's prepared statements as pg_prepared_statements lists them."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

from pgha.storage.engine import Statement
from pgha.storage.prepared import PreparedStatements

WHEN = dt.datetime(2024, 1, 2, 3, 4, 5, 250000, tzinfo=dt.UTC)


def _statements() -> PreparedStatements:
    return PreparedStatements(clock=lambda: WHEN)


def test_plans_follow_plan_cache_mode_auto() -> None:
    prepared = _statements()
    prepared.add("with_params", Statement("select $1", None, "dml", param_oids=[23]),
                 "select $1", from_sql=False)
    prepared.add("without", Statement("select 1", None, "dml"), "select 1", from_sql=False)
    for _ in range(7):
        prepared.planned("with_params")
        prepared.planned("without")
    prepared.planned("no_such_statement")
    rows = {row[0]: row for row in prepared.rows()}
    assert rows["with_params"][5:] == (2, 5)  # five custom plans, then generic ones
    assert rows["without"][5:] == (7, 0)


def test_rows_are_storage_values_and_skip_the_unnamed_statement() -> None:
    prepared = _statements()
    prepared.add("", Statement("select 1", None, "dml"), "select 1", from_sql=False)
    prepared.add("p", Statement("select $1, $2", None, "dml", param_oids=[23, 1184]),
                 "PREPARE p(int, timestamptz) AS select $1, $2; select 2", from_sql=True)
    assert "" in prepared and prepared.get("") is not None
    (row,) = prepared.rows()
    assert row == ("p", "PREPARE p(int, timestamptz) AS select $1, $2; select 2",
                   "2024-01-02 03:04:05.25", json.dumps([23, 1184]).replace(" ", ""), 1, 0, 0)
    prepared.pop("p")
    prepared.pop("p")  # as Close of a missing statement: no error
    assert prepared.rows() == [] and list(prepared) == [""]
    prepared.clear()
    assert prepared.get("") is None


def test_a_statement_copy_keeps_every_field() -> None:
    values = {f.name: object() for f in dataclasses.fields(Statement)}
    original = Statement(**values)
    copied = original.copy()
    assert copied is not original
    assert all(getattr(copied, name) is value for name, value in values.items())
