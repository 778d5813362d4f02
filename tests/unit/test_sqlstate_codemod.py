"""tools/sqlstate_codemod.py: raise and catch sites by class, imports updated, idempotent."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

pytest.importorskip("libcst")

ROOT = Path(__file__).resolve().parents[2]


def _codemod() -> ModuleType:
    if "sqlstate_codemod" in sys.modules:
        return sys.modules["sqlstate_codemod"]
    spec = importlib.util.spec_from_file_location("sqlstate_codemod",
                                                  ROOT / "tools/sqlstate_codemod.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["sqlstate_codemod"] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


SAMPLE = '''\
from decimal import DivisionByZero

from pgha.wire.errors import Notice, PgError
from pgha.wire.sqlstate import UNDEFINED_TABLE, UNIQUE_VIOLATION

INVALID_PARAMETER_VALUE = "22023"


def f(x):
    if x == 1:
        raise PgError("23505", "duplicate key value", constraint="t_pkey")
    if x == 2:
        raise PgError(UNDEFINED_TABLE, f'relation "{x}" does not exist')
    if x == 3:
        raise PgError("0A000", f"this is a long message about {x} that goes on "
                      f"over two lines", hint="Do something else.")
    if x == 4:
        raise PgError("08P01", "unexpected message")
    if x == 5:
        raise PgError("23999", "no class of its own")
    if x == 6:
        raise PgError("22012", "division by zero")
    if x == 7:
        raise PgError(INVALID_PARAMETER_VALUE, "bad")
    return Notice("00000", "ok"), UNIQUE_VIOLATION, DivisionByZero


def g(conn):
    try:
        conn.run()
    except PgError as exc:
        if exc.sqlstate == "42P01":  # not there
            return None
        raise
    try:
        conn.run()
    except PgError as exc:
        if exc.sqlstate == "42704":
            return None
        raise PgError(exc.sqlstate, exc.message, severity="FATAL") from exc
    try:
        conn.run()
    except PgError as exc:
        if exc.sqlstate != "28P01":
            raise
    return 1
'''

EXPECTED = '''\
from decimal import DivisionByZero

from pgha.wire.errors import Notice, PgError, {NEW}
from pgha.wire.sqlstate import UNIQUE_VIOLATION

INVALID_PARAMETER_VALUE = "22023"


def f(x):
    if x == 1:
        raise UniqueViolation("duplicate key value", constraint="t_pkey")
    if x == 2:
        raise UndefinedTable(f'relation "{x}" does not exist')
    if x == 3:
        raise FeatureNotSupported(f"this is a long message about {x} that goes on "
                                  f"over two lines", hint="Do something else.")
    if x == 4:
        raise ProtocolViolation("unexpected message", severity="ERROR")
    if x == 5:
        raise PgError("23999", "no class of its own")
    if x == 6:
        raise PgError("22012", "division by zero")
    if x == 7:
        raise InvalidParameterValue("bad")
    return Notice("00000", "ok"), UNIQUE_VIOLATION, DivisionByZero


def g(conn):
    try:
        conn.run()
    except UndefinedTable:  # not there
        return None
    try:
        conn.run()
    except UndefinedObject:
        return None
    except PgError as exc:
        raise PgError(exc.sqlstate, exc.message, severity="FATAL") from exc
    try:
        conn.run()
    except PgError as exc:
        if exc.sqlstate != "28P01":
            raise
    return 1
'''.replace("{NEW}", ", ".join([  # in sorted order; ruff's isort wraps the line
    "FeatureNotSupported", "InvalidParameterValue", "ProtocolViolation", "UndefinedObject",
    "UndefinedTable", "UniqueViolation",
]))


def test_rewrite_sample() -> None:
    result = _codemod().rewrite(SAMPLE)
    assert result.source == EXPECTED
    assert (result.raises, result.catches) == (5, 2)
    assert any("28P01" in site for site in result.left)
    assert any("DivisionByZero is bound otherwise" in site for site in result.left)


def test_rewrite_is_idempotent() -> None:
    codemod = _codemod()
    once = codemod.rewrite(SAMPLE).source
    twice = codemod.rewrite(once)
    assert twice.source == once
    assert (twice.raises, twice.catches) == (0, 0)


def test_new_import_when_the_module_has_none_from_errors() -> None:
    source = 'from pgha.wire import PgError\n\n\ndef f():\n    raise PgError("42P01", "x")\n'
    result = _codemod().rewrite(source).source
    assert result == ('from pgha.wire.errors import UndefinedTable\n\n\n'
                      'def f():\n    raise UndefinedTable("x")\n')


def test_tree_outside_the_excluded_files_is_already_rewritten() -> None:
    """A new raise by literal SQLSTATE in a converted file is caught here."""
    codemod = _codemod()
    changed = [str(p.relative_to(ROOT)) for p in codemod.default_paths()
               if codemod.rewrite(p.read_text(encoding="utf-8")).source
               != p.read_text(encoding="utf-8")]
    assert changed == []


def test_a_call_too_wide_under_the_longer_name_hangs_its_arguments() -> None:
    source = (
        "from pgha.wire.errors import PgError\n\n\n"
        "def f(x):\n"
        '    raise PgError("2BP01", f"cannot drop index {x} because constraint {x} on table "\n'
        '                  f"{x} requires it", hint=f"You can drop {x} instead.") from None\n'
    )
    result = _codemod().rewrite(source).source
    assert result == (
        "from pgha.wire.errors import DependentObjectsStillExist\n\n\n"
        "def f(x):\n"
        "    raise DependentObjectsStillExist(\n"
        '        f"cannot drop index {x} because constraint {x} on table "\n'
        '        f"{x} requires it", hint=f"You can drop {x} instead.") from None\n'
    )
    assert max(len(line) for line in result.splitlines()) <= 100
