"""routing.classify.command_name: an unsupported statement's 0A000 error names the command as
the user wrote it (PostgreSQL's command tag), not pglast's node class."""

from __future__ import annotations

import pytest
from pglast import parse_sql

from pgha.routing.classify import command_name


@pytest.mark.parametrize("sql, name", [
    ("create function f() returns int as 'select 1' language sql", "CREATE FUNCTION"),
    ("create procedure p() language sql as 'select 1'", "CREATE PROCEDURE"),
    ("create trigger tr after insert on t for each row execute function f()",
     "CREATE TRIGGER"),
    ("create type c as (a int)", "CREATE TYPE"),
    ("create type e as enum ('a')", "CREATE TYPE"),
    ("create type r as range (subtype = int)", "CREATE TYPE"),
    ("create domain d as int check (value > 0)", "CREATE DOMAIN"),
    ("create aggregate a(int) (sfunc = int4pl, stype = int)", "CREATE AGGREGATE"),
    ("create operator === (function = f, leftarg = int, rightarg = int)", "CREATE OPERATOR"),
    ("create collation c (locale = 'C')", "CREATE COLLATION"),
    ("create rule r as on insert to t do nothing", "CREATE RULE"),
    ("create policy p on t", "CREATE POLICY"),
    ("create tablespace x location '/tmp'", "CREATE TABLESPACE"),
    ("create event trigger e on ddl_command_start execute function f()",
     "CREATE EVENT TRIGGER"),
    ("refresh materialized view mv", "REFRESH MATERIALIZED VIEW"),
    ("alter system set work_mem = '1MB'", "ALTER SYSTEM"),
    ("do $$begin end$$", "DO"),
    ("call p()", "CALL"),
    ("cluster t", "CLUSTER"),
])
def test_command_names(sql: str, name: str) -> None:
    assert command_name(parse_sql(sql)[0].stmt) == name
