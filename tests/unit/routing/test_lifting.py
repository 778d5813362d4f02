"""routing.lifting: a very large statement's long constants are lifted out before pglast sees
the text, and the tree made from what is left equals pglast's tree of the whole text,
positions included."""

from __future__ import annotations

from typing import Any

import pytest
from pglast import ast, parse_sql
from pglast.parser import ParseError

from pgha.routing.lifting import LONG, SCAN_FROM, lift

BIG = "x" * SCAN_FROM
DOUBLED = BIG.replace("xx", "x''")
PAD = "-- " + "p" * SCAN_FROM + "\n"  # makes a text long enough to be scanned


def _positions(node: Any, out: list[tuple[str, int]]) -> list[tuple[str, int]]:
    if isinstance(node, tuple | list):
        for item in node:
            _positions(item, out)
    elif isinstance(node, ast.Node):
        for name in type(node).__slots__:
            value = getattr(node, name, None)
            if name in ("location", "stmt_location", "stmt_len") and isinstance(value, int):
                out.append((f"{type(node).__name__}.{name}", value))
            else:
                _positions(value, out)
    return out


def _same_as_pglast(sql: str, lifted_count: int) -> None:
    lifted = lift(sql)
    assert len(lifted.values) == lifted_count
    if lifted_count:
        assert len(lifted.text) < len(sql) - (LONG - 20) * lifted_count
    got, want = lifted.parse(), parse_sql(sql)
    assert got == want
    assert _positions(got, []) == _positions(want, [])


def test_a_short_text_is_not_scanned() -> None:
    sql = f"select '{'y' * LONG}'"
    assert lift(sql).text is sql


@pytest.mark.parametrize("sql, count", [
    (f"select length('{BIG}'), a from t where b = 'short'", 1),
    (f"insert into t values (1, '{BIG}'), (2, '{BIG}') returning id", 2),
    (f"select '{DOUBLED}' as doubled", 1),
    (f"select $${BIG}$$, $tag${BIG}'$tag$ || 'q'", 2),
    (f"select '{BIG}'\n'continued', 3", 1),  # adjacent constants continue one another
    (f"select '{BIG}'::jsonb -> 'k', \"col'umn\" from \"t\"\"x\"", 1),
    (f"select E'{BIG}\\' still inside', X'{'0' * SCAN_FROM}', N'{BIG}'", 0),
    (f"select 1 /* '{BIG}' /* nested */ still a comment '*/, '{BIG}'", 1),
    (f"select a$b, $1, '{BIG}' from t", 1),
    (f"{PAD}select 1; select '{BIG}' as a; update t set b = '{BIG}' where c = 'd'", 2),
    (f"comment on table t is '{BIG}'", 1),
    (f"select '{BIG}'; select $${BIG}$$; select 3", 2),  # statements that end with one
    (f"insert into t values ('{BIG}');\nselect 1", 1),
    (f"select '{BIG}\u20ac' || 'é', 'é'", 1),  # characters of several UTF-8 bytes
])
def test_the_tree_is_pglasts(sql: str, count: int) -> None:
    _same_as_pglast(sql, count)


def test_statement_texts_come_from_the_original() -> None:
    sql = f"select '{BIG}' as a; select 2 as b; select '{BIG}' as c; select '{BIG}'; select 5"
    lifted = lift(sql)
    texts = [sql[r.stmt_location: r.stmt_location + r.stmt_len] if r.stmt_len
             else sql[r.stmt_location:] for r in lifted.parse()]
    assert texts == [f"select '{BIG}' as a", "select 2 as b", f"select '{BIG}' as c",
                     f"select '{BIG}'", "select 5"]


def test_a_syntax_error_points_into_the_original_text() -> None:
    sql = f"select '{BIG}' fromm t"
    with pytest.raises(ParseError) as want:
        parse_sql(sql)
    with pytest.raises(ParseError) as got:
        lift(sql).parse()
    assert got.value.args == want.value.args


def test_an_unterminated_constant_is_left_to_the_parser() -> None:
    sql = f"select '{BIG}"
    assert lift(sql).text is sql
    with pytest.raises(ParseError):
        lift(sql).parse()


def test_text_holding_the_placeholder_characters_is_not_lifted() -> None:
    sql = f"select '{BIG}', '\ue000'"
    assert lift(sql).text is sql
