"""LIKE and ILIKE: segment by segment, the same answers as the regular expression PostgreSQL's
definition gives, in linear time."""

from __future__ import annotations

import random
import re
import time

import pytest

from pgha.storage.functions.patterns import _like


def _by_regex(value: str, pattern: str, insensitive: bool) -> int:
    out, i = [], 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\" and i + 1 < len(pattern):
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        out.append(".*" if ch == "%" else "." if ch == "_" else re.escape(ch))
        i += 1
    flags = re.S | (re.I if insensitive else 0)
    return int(re.compile("".join(out) + r"\Z", flags).match(value) is not None)


def test_random_patterns_agree_with_the_regular_expression() -> None:
    rng = random.Random(7)
    for _ in range(30_000):
        pattern = "".join(rng.choice("ab_%\\A") for _ in range(rng.randint(0, 7)))
        value = "".join(rng.choice("abAB%_\\") for _ in range(rng.randint(0, 8)))
        for insensitive in (False, True):
            assert _like(value, pattern, insensitive) == _by_regex(value, pattern, insensitive), \
                (value, pattern, insensitive)


@pytest.mark.parametrize("value, pattern, expected", [
    ("abc", "abc", 1), ("abc", "a%", 1), ("abc", "%c", 1), ("abc", "%b%", 1), ("abc", "_b_", 1),
    ("abc", "ab", 0), ("", "%", 1), ("", "_", 0), ("a%b", "a\\%b", 1), ("axb", "a\\%b", 0),
    ("aXb", "a_b", 1), ("ab", "a%%b", 1), ("abab", "%ab%ab", 1), ("aba", "%ab%ab", 0),
])
def test_cases(value: str, pattern: str, expected: int) -> None:
    assert _like(value, pattern, False) == expected


def test_ilike_and_bytea() -> None:
    assert _like("ÀBC", "àb_", True) == 1
    assert _like(b"\x00\xffz", b"\x00_z", False) == 1


def test_a_pattern_that_makes_a_regular_expression_backtrack_is_fast() -> None:
    # Regression: '%a%a...%b' against 100,000 a's ran for hours (a .* regular expression
    # backtracks), inline on the event loop: the whole node stopped answering.
    started = time.perf_counter()
    assert _like("a" * 100_000, "%a" * 50_000 + "b", False) == 0
    assert _like("a" * 100_000 + "b", "%a" * 50_000 + "b", False) == 1
    assert time.perf_counter() - started < 2.0
