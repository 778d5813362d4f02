"""Pure tests of the differential harness: splitting, annotations, ORDER BY, comparison."""

from __future__ import annotations

import pytest

from differential.harness import (
    Mismatch,
    Outcome,
    ScriptError,
    Statement,
    check_reference,
    compare,
    has_top_level_order_by,
    parse_script,
)


def _ok(
    *rows: tuple[bytes | None, ...],
    tag: str = "SELECT",
    columns: tuple[str, ...] = ("a",),
    types: tuple[int, ...] = (23,),
) -> Outcome:
    return Outcome(
        "ok",
        command_tag=f"{tag} {len(rows)}" if tag == "SELECT" else tag,
        columns=columns,
        types=types,
        typmods=(-1,) * len(columns),
        rows=rows,
    )


def _err(sqlstate: str) -> Outcome:
    return Outcome("error", sqlstate=sqlstate, message="boom")


def test_split_respects_quotes_comments_and_dollar_quotes() -> None:
    script = (
        "SELECT 'a;b', \"c;d\" FROM t; -- one\n"
        "SELECT E'it\\'s;', $$x;y$$, $fn$ $$; $fn$;\n"
        "/* block ; /* nested ; */ still */ SELECT 3;\n"
        "SELECT 4 -- no semicolon at end of file\n"
    )
    statements = parse_script(script, "s.sql")
    assert [s.sql for s in statements] == [
        "SELECT 'a;b', \"c;d\" FROM t",
        "SELECT E'it\\'s;', $$x;y$$, $fn$ $$; $fn$",
        "SELECT 3",
        "SELECT 4",
    ]
    assert [s.line for s in statements] == [1, 2, 3, 4]
    assert statements[0].location == "s.sql:1"


def test_annotations_attach_to_their_statement() -> None:
    script = (
        "SELECT 1; -- differential: skip-oids\n"
        "SELECT 2;\n"
        "-- differential: ignore\n"
        "SELECT now();\n"
        "SELECT 1/0; -- differential: error=22012, unordered\n"
        "SELECT 5;\n"
    )
    statements = parse_script(script)
    assert [(s.flags, s.expected_error) for s in statements] == [
        (frozenset({"skip-oids"}), None),
        (frozenset(), None),
        (frozenset({"ignore"}), None),
        (frozenset({"unordered"}), "22012"),
        (frozenset(), None),
    ]


def test_unknown_annotation_is_an_error() -> None:
    with pytest.raises(ScriptError, match="unknown annotation 'skip-names'"):
        parse_script("SELECT 1; -- differential: skip-names\n")
    with pytest.raises(ScriptError, match="bad SQLSTATE"):
        parse_script("SELECT 1; -- differential: error=oops\n")


@pytest.mark.parametrize(
    ("sql", "ordered"),
    [
        ("SELECT a FROM t ORDER BY a", True),
        ("SELECT a FROM t order\n  by a DESC NULLS LAST LIMIT 3", True),
        ("WITH x AS (SELECT a FROM t ORDER BY a) SELECT a FROM x", False),
        ("SELECT a, row_number() OVER (ORDER BY a) FROM t", False),
        ("SELECT string_agg(a, ',' ORDER BY a) FROM t", False),
        ("SELECT 'ORDER BY' FROM t", False),
        ("SELECT a FROM t -- ORDER BY a", False),
        ("(SELECT 1) UNION ALL (SELECT 2) ORDER BY 1", True),
    ],
)
def test_top_level_order_by(sql: str, ordered: bool) -> None:
    assert has_top_level_order_by(sql) is ordered


def test_identical_outcomes_match() -> None:
    stmt = Statement("SELECT a FROM t", 1)
    assert compare(stmt, _ok((b"1",), (b"2",)), _ok((b"1",), (b"2",))) == []


def test_unordered_rows_compare_as_multisets() -> None:
    stmt = Statement("SELECT a FROM t", 1)
    assert compare(stmt, _ok((b"2",), (None,)), _ok((None,), (b"2",))) == []
    assert compare(stmt, _ok((b"2",), (b"2",)), _ok((b"2",), (b"3",)))


def test_ordered_rows_compare_in_order() -> None:
    stmt = Statement("SELECT a FROM t ORDER BY a", 1)
    problems = compare(stmt, _ok((b"2",), (b"1",)), _ok((b"1",), (b"2",)))
    assert problems == ["row 1 differs (ordered): pgha ('2'), postgres ('1')"]
    tied = Statement("SELECT a FROM t ORDER BY b", 1, flags=frozenset({"unordered"}))
    assert compare(tied, _ok((b"2",), (b"1",)), _ok((b"1",), (b"2",))) == []


def test_null_is_not_empty_string() -> None:
    stmt = Statement("SELECT a FROM t", 1)
    assert compare(stmt, _ok((None,)), _ok((b"",)))


def test_types_names_tags_and_sqlstates_are_compared() -> None:
    stmt = Statement("SELECT a FROM t", 1)
    assert compare(stmt, _ok((b"1",), types=(20,)), _ok((b"1",)))[0].startswith(
        "column types differ: pgha ['int8(20)'], postgres ['int4(23)']"
    )
    assert compare(stmt, _ok(columns=("b",)), _ok())[0].startswith("column names differ")
    assert compare(stmt, _ok(tag="INSERT 0 1"), _ok(tag="INSERT 0 2"))[0].startswith(
        "command tag differs"
    )
    assert compare(stmt, _err("22003"), _err("22012")) == [
        "SQLSTATE differs: pgha 22003, postgres 22012"
    ]
    assert compare(stmt, _err("22003"), _ok()) == ["pgha failed but postgres succeeded"]
    assert compare(stmt, _ok(), _err("42P01")) == ["postgres failed but pgha succeeded"]
    assert compare(stmt, _err("22003"), _err("22003")) == []


def test_skip_flags() -> None:
    both = Statement("SELECT a FROM t", 1, flags=frozenset({"skip-oids", "skip-rows"}))
    assert compare(both, _ok((b"1",), types=(20,)), _ok((b"2",))) == []
    ignore = Statement("SELECT version()", 1, flags=frozenset({"ignore"}))
    assert compare(ignore, _err("0A000"), _ok((b"PostgreSQL 15",))) == []


def test_lost_session_is_reported() -> None:
    stmt = Statement("SELECT 1", 1)
    lost = Outcome("lost", message="server closed the connection unexpectedly")
    assert compare(stmt, lost, _ok()) == ["pgha: lost: server closed the connection unexpectedly"]


def test_corpus_checks_on_reference() -> None:
    plain = Statement("SELECT 1/0", 7, "e.sql")
    expects = Statement("SELECT 1/0", 7, "e.sql", expected_error="22012")
    assert check_reference(plain, _err("22012"))[0].startswith(
        "corpus: unannotated error on the reference: 22012"
    )
    assert check_reference(expects, _err("22012")) == []
    assert check_reference(expects, _err("22003"))[0].startswith(
        "corpus: expected error 22012 but the reference gave 22003"
    )
    assert check_reference(expects, _ok())[0].startswith("corpus: expected error 22012")


def test_mismatch_report_shows_statement_location_and_both_sides() -> None:
    stmt = Statement("SELECT a FROM t", 12, "select.sql")
    mismatch = Mismatch(stmt, ("row count differs: pgha 1, postgres 0",), _ok((b"x",)), _ok())
    text = mismatch.format()
    assert text.splitlines()[0] == "select.sql:12: SELECT a FROM t"
    assert "  pgha: SELECT 1\n    columns: a int4\n    ('x')" in text
    assert "  postgres: SELECT 0" in text
