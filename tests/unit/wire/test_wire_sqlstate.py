"""The generated SQLSTATE module matches PostgreSQL's errcodes.txt and the generator."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from pgha.wire import sqlstate

ROOT = Path(__file__).resolve().parents[3]
ERRCODES = Path("/usr/share/postgresql/15/errcodes.txt")


def test_well_known_codes() -> None:
    assert sqlstate.UNIQUE_VIOLATION == "23505"
    assert sqlstate.SYNTAX_ERROR == "42601"
    assert sqlstate.FEATURE_NOT_SUPPORTED == "0A000"
    assert sqlstate.PROTOCOL_VIOLATION == "08P01"
    assert sqlstate.INVALID_PASSWORD == "28P01"
    assert sqlstate.UNDEFINED_DATABASE == "3D000"  # alias line without a condition name
    assert sqlstate.STRING_DATA_RIGHT_TRUNCATION == "22001"  # the error, not warning 01004
    assert sqlstate.WARNING_STRING_DATA_RIGHT_TRUNCATION == "01004"
    assert sqlstate.CONDITION_NAMES["25P02"] == "in_failed_sql_transaction"
    assert sqlstate.condition_name("XX000") == "internal_error"
    assert sqlstate.condition_name("ZZZZZ") is None
    assert sqlstate.class_of("23505") == "23000"


@pytest.mark.skipif(not ERRCODES.exists(), reason="PostgreSQL 15 errcodes.txt not installed")
def test_generated_file_is_up_to_date() -> None:
    spec = importlib.util.spec_from_file_location("gen_sqlstate", ROOT / "tools/gen_sqlstate.py")
    assert spec is not None and spec.loader is not None
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    entries = gen.parse(ERRCODES.read_text(encoding="utf-8"))
    expected = gen.render(entries, str(ERRCODES))
    actual = (ROOT / "src/pgha/wire/sqlstate.py").read_text(encoding="utf-8")
    assert actual == expected
    # the generated error classes in errors.py (python tools/gen_sqlstate.py --write)
    errors_text = (ROOT / "src/pgha/wire/errors.py").read_text(encoding="utf-8")
    assert gen.splice(errors_text, gen.render_classes(entries)) == errors_text
