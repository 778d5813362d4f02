"""LSN text form: PostgreSQL's pg_lsn output and input rules."""

from __future__ import annotations

import pytest

from pgha.wire.errors import PgError
from pgha.wire.lsn import MAX_LSN, format_lsn, parse_lsn

CASES = [
    (0, "0/0"),
    (0x16B3748, "0/16B3748"),
    (0x1000000, "0/1000000"),
    (0xFFFFFFFF, "0/FFFFFFFF"),
    (0x1_0000_0000, "1/0"),
    (0x2A_0000_00FF, "2A/FF"),
    (MAX_LSN, "FFFFFFFF/FFFFFFFF"),
]


@pytest.mark.parametrize(("lsn", "text"), CASES)
def test_format_lsn(lsn: int, text: str) -> None:
    assert format_lsn(lsn) == text


@pytest.mark.parametrize(("lsn", "text"), CASES)
def test_parse_lsn_inverts_format(lsn: int, text: str) -> None:
    assert parse_lsn(text) == lsn
    assert parse_lsn(format_lsn(lsn)) == lsn


@pytest.mark.parametrize(
    ("text", "lsn"),
    [("0/16b3748", 0x16B3748), ("00000000/00000001", 1), ("a/b", 0xA_0000_000B)],
)
def test_parse_lsn_accepts_what_postgres_accepts(text: str, lsn: int) -> None:
    assert parse_lsn(text) == lsn


@pytest.mark.parametrize(
    "text",
    [
        "",
        "0",
        "/",
        "/1",
        "1/",
        "0/123456789",  # more than 8 hex digits in a half
        "123456789/0",
        " 0/1",
        "0/1 ",
        "0/1\n",
        "0x1/2",
        "g/1",
        "-1/0",
        "+1/0",
        "1/2/3",
        "1//2",
        "٣/1",  # a non-ASCII digit
    ],
)
def test_parse_lsn_rejects_bad_input_with_22p02(text: str) -> None:
    with pytest.raises(PgError) as info:
        parse_lsn(text)
    assert info.value.sqlstate == "22P02"
    assert info.value.message == f'invalid input syntax for type pg_lsn: "{text}"'


@pytest.mark.parametrize("lsn", [-1, MAX_LSN + 1])
def test_format_lsn_rejects_out_of_range(lsn: int) -> None:
    with pytest.raises(ValueError):
        format_lsn(lsn)
