"""Literal normalisation by shape (``storage.literals``): a text whose shape was learnt from
another text must come out exactly as pglast's own normalisation of it, for every statement of
the SQL corpus and many values of its constants."""

from __future__ import annotations

import random
from decimal import Decimal
from pathlib import Path

import pytest

from differential.harness import load_script
from pgha.storage import literals

CORPUS = sorted((Path(__file__).parents[2] / "differential" / "sql").glob("*.sql"))

# Values a constant of each class may take: the class (s, i, f) stays what it was.
DIGITS = ["0", "7", "42", "2147483647", "2147483648", "9223372036854775807",
          "9223372036854775808", "123456789012345678901234567890", "007"]
NUMBERS = ["1.5", "0.25", "1e3", "2.5E-4", "12345678901234567890.5"]
STRINGS = ["''", "'x'", "'it''s'", "'a b\nc'", "'-1'", "'2024-05-06'", "'{1,2}'", "'\\x'",
           "'é'", "'1 day'"]


def _variant(sql: str, constants: list[tuple[int, int]], rng: random.Random) -> str:
    out: list[str] = []
    pos = 0
    for start, end in constants:
        text = sql[start:end]
        if text.startswith("'"):
            new = rng.choice(STRINGS)
        elif text.isdigit():
            new = rng.choice(DIGITS)
        else:
            new = rng.choice(NUMBERS)
        out += [sql[pos:start], new]
        pos = end
    out.append(sql[pos:])
    return "".join(out)


def _full(sql: str) -> literals.Normalized | None:
    """pglast's normalisation, as ``normalize`` did it before it learnt shapes."""
    if not sql.lstrip()[:6].upper().startswith(literals.DML_STARTS) or "$" in sql:
        return None
    found = literals._pglast_normalize(sql)
    return None if found is None else found[0]


def _same(a: literals.Normalized | None, b: literals.Normalized | None) -> bool:
    """Equal, and equal in the types of the values too (1 and Decimal(1) compare equal)."""
    if a is None or b is None:
        return a is b
    return a == b and [type(v) for v in a.values] == [type(v) for v in b.values] and \
        [str(v) for v in a.values if isinstance(v, Decimal)] == \
        [str(v) for v in b.values if isinstance(v, Decimal)]


@pytest.fixture(autouse=True)
def _no_plans(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(literals, "_PLANS", {})


@pytest.mark.parametrize("script", CORPUS, ids=lambda p: p.stem)
def test_a_learnt_shape_normalises_as_pglast_does(script: Path) -> None:
    rng = random.Random(script.stem)
    checked = 0
    for statement in load_script(script):
        sql = statement.sql
        assert _same(literals.normalize(sql), _full(sql)), sql  # the first text teaches
        scanned = literals._scan(sql)
        if scanned is None or not scanned[1]:
            continue
        for _ in range(6):
            variant = _variant(sql, scanned[1], rng)
            assert literals._scan(variant) is not None
            assert _same(literals.normalize(variant), _full(variant)), (sql, variant)
            checked += 1
    assert checked > 0


@pytest.mark.parametrize("first, second", [
    # a type modifier is a constant of the scan that pglast keeps in the template
    ("select 'a'::varchar(10) from t where a = 1", "select 'a'::varchar(20) from t where a = 1"),
    # a minus folded into the constant, and one that is not
    ("select a - 1, -2 from t", "select a - 3000000000, -4.5 from t"),
    # true, false and null are constants pglast replaces and the scan keeps in the shape
    ("select * from t where a = true and b is not null and c = 5",
     "select * from t where a = true and b is not null and c = 6"),
    # LIMIT and OFFSET are numbered in tree order, not text order
    ("select * from t limit 3 offset 2", "select * from t limit 30 offset 20"),
    # a comment holding a number is part of the shape
    ("select 1 /* 2 */ from t", "select 3 /* 2 */ from t"),
    ("select 1 /* 2 */ from t", "select 3 /* 4 */ from t"),
    # a nested comment: the scan sees a number in it, pglast does not
    ("select 1 /* a /* b */ 5 */ from t", "select 2 /* a /* b */ 6 */ from t"),
    # two string pieces on two lines are one constant to pglast
    ("select 'a'\n'b' from t", "select 'c'\n'd' from t"),
    ("select x'1F', b'101' from t", "select x'2F', b'111' from t"),
    ("select 1 from t where a = 'x' and \"c 5\" = 2",
     "select 1 from t where a = 'y' and \"c 5\" = 3"),
])
def test_texts_of_one_shape(first: str, second: str) -> None:
    assert _same(literals.normalize(first), _full(first))
    assert _same(literals.normalize(second), _full(second)), literals._PLANS


def test_texts_never_scanned_by_shape() -> None:
    for sql in ["select E'a\\nb' from t where a = 1", "select $$x$$ from t where a = 1",
                "select 1..x from t where a = 1", "select 1.5.x from t where a = 1",
                "select 'a\0' from t where a = 1", "select $1::int from t where a = 1"]:
        assert literals.normalize(sql) == _full(sql) if "$" not in sql and "\0" not in sql \
            else literals.normalize(sql) is None
    assert not literals._PLANS or all(plan is None for plan in literals._PLANS.values())


def test_a_new_literal_of_a_known_shape_costs_no_parse(monkeypatch: pytest.MonkeyPatch) -> None:
    literals.normalize("SELECT abalance FROM pgbench_accounts WHERE aid = 17;")

    def no_parse(sql: str) -> str:
        raise AssertionError(f"pglast was asked to normalise {sql!r}")

    monkeypatch.setattr(literals.parser, "normalize", no_parse)
    monkeypatch.setattr(literals.parser, "scan", no_parse)
    found = literals.normalize("SELECT abalance FROM pgbench_accounts WHERE aid = 99018;")
    assert found == literals.Normalized(
        "SELECT abalance FROM pgbench_accounts WHERE aid = $1;", (23,), (99018,))
