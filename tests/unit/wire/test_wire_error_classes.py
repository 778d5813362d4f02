"""The generated SQLSTATE error classes: one per error code, psycopg's hierarchy, PgError(code)
dispatching to them, and sane pickling, copying and repr."""

from __future__ import annotations

import builtins
import copy
import pickle

import pytest

from pgha.wire import errors, sqlstate
from pgha.wire.connection import LocalProtocolError
from pgha.wire.errors import (
    CodedError,
    ConnectionException,
    DataException,
    FeatureNotSupported,
    ForeignKeyViolation,
    IntegrityConstraintViolation,
    InternalError,
    NullValueNotAllowed,
    NullValueNotAllowedExt,
    PgError,
    ProtocolViolation,
    SqlSyntaxError,
    SyntaxErrorOrAccessRuleViolation,
    UndefinedTable,
    UniqueViolation,
)

ERROR_CODES = sorted(
    code for code in sqlstate.CONDITION_NAMES if code[:2] not in ("00", "01", "02")
)


@pytest.mark.parametrize("code", ERROR_CODES)
def test_every_error_code_has_its_own_class(code: str) -> None:
    cls = PgError.for_sqlstate(code)
    assert cls.code == code
    error = PgError(code, "boom")
    assert type(error) is cls
    assert (error.sqlstate, error.message, error.severity) == (code, "boom", "ERROR")
    assert cls("boom").sqlstate == code
    assert not hasattr(builtins, cls.__name__)  # no class shadows a builtin


@pytest.mark.parametrize("code", ERROR_CODES)
def test_a_class_derives_from_its_sqlstate_class(code: str) -> None:
    cls = PgError.for_sqlstate(code)
    parent = PgError.for_sqlstate(code[:2] + "000")
    assert issubclass(cls, parent)
    assert issubclass(cls, CodedError)
    if not code.endswith("000"):
        assert cls.__bases__ == (parent,)


def test_names_follow_psycopg() -> None:
    assert UniqueViolation.code == "23505"
    assert ForeignKeyViolation.__bases__ == (IntegrityConstraintViolation,)
    assert UndefinedTable.code == "42P01"
    assert FeatureNotSupported.code == "0A000"
    # psycopg's SyntaxError, renamed so as not to shadow the builtin
    assert SqlSyntaxError.code == "42601"
    assert issubclass(SqlSyntaxError, SyntaxErrorOrAccessRuleViolation)
    # a condition name listed under a second code gets psycopg's Ext suffix
    assert (NullValueNotAllowed.code, NullValueNotAllowedExt.code) == ("22004", "39004")


def test_catching_by_class_whichever_way_it_was_raised() -> None:
    with pytest.raises(UniqueViolation):
        raise PgError("23505", "duplicate key value")
    with pytest.raises(IntegrityConstraintViolation):
        raise UniqueViolation("duplicate key value")
    with pytest.raises(UniqueViolation):
        raise PgError(sqlstate.UNIQUE_VIOLATION, "duplicate key value")
    with pytest.raises(PgError):
        raise UndefinedTable('relation "x" does not exist')


def test_fields_pass_through_both_constructors() -> None:
    a = PgError("23505", "dup", detail="Key (id)=(1) already exists.", constraint="t_pkey",
                severity="FATAL", position=3)
    b = UniqueViolation("dup", detail="Key (id)=(1) already exists.", constraint="t_pkey",
                        severity="FATAL", position=3)
    assert a.fields() == b.fields() == {
        "S": "FATAL", "V": "FATAL", "C": "23505", "M": "dup",
        "D": "Key (id)=(1) already exists.", "P": "3", "n": "t_pkey",
    }


def test_unregistered_code_of_a_known_class_keeps_its_code() -> None:
    error = PgError("23999", "odd")
    assert type(error) is IntegrityConstraintViolation
    assert error.sqlstate == "23999"
    assert error.fields()["C"] == "23999"
    assert PgError.for_sqlstate("22ZZZ") is DataException


def test_unknown_class_stays_a_plain_pgerror() -> None:
    error = PgError("ZZ001", "from elsewhere")
    assert type(error) is PgError
    assert error.sqlstate == "ZZ001"
    assert PgError.for_sqlstate("ZZ001") is PgError


def test_protocol_violation_is_fatal_unless_raised_as_pgerror() -> None:
    assert ProtocolViolation("bad frame").severity == "FATAL"
    assert issubclass(ProtocolViolation, ConnectionException)
    assert PgError.for_sqlstate("08P01") is ProtocolViolation
    raised_by_code = PgError("08P01", "unexpected message")
    assert type(raised_by_code) is ProtocolViolation
    assert raised_by_code.severity == "ERROR"  # PgError's default, as before the classes
    assert ProtocolViolation("x", severity="ERROR").severity == "ERROR"


def test_local_protocol_error_is_an_unregistered_internal_error() -> None:
    error = LocalProtocolError("cannot send DataRow in state idle")
    assert isinstance(error, InternalError)
    assert error.sqlstate == "XX000"
    assert PgError.for_sqlstate("XX000") is InternalError


@pytest.mark.parametrize(
    "error",
    [
        PgError("23505", "dup", detail="d", constraint="c"),
        UniqueViolation("dup", hint="h"),
        PgError("23999", "odd"),
        PgError("ZZ001", "foreign"),
        ProtocolViolation("bad frame"),
        LocalProtocolError("bad send"),
    ],
    ids=repr,
)
def test_pickle_and_copy_keep_class_and_fields(error: PgError) -> None:
    for clone in (pickle.loads(pickle.dumps(error)), copy.copy(error), copy.deepcopy(error)):
        assert type(clone) is type(error)
        assert clone.fields() == error.fields()
        assert clone.args == error.args == (error.message,)
        assert str(clone) == error.message


def test_repr_names_the_class() -> None:
    assert repr(PgError("23505", "dup")) == "UniqueViolation('dup')"
    assert repr(PgError("23999", "odd")) == "IntegrityConstraintViolation('23999', 'odd')"
    assert repr(PgError("ZZ001", "x")) == "PgError('ZZ001', 'x')"
    assert repr(LocalProtocolError("m")) == "LocalProtocolError('m')"


def test_generated_classes_are_module_attributes() -> None:
    for code in ERROR_CODES:
        cls = PgError.for_sqlstate(code)
        assert getattr(errors, cls.__name__) is cls


def test_lookup_is_exact() -> None:
    assert errors.lookup("23505") is UniqueViolation
    assert errors.lookup("08P01") is ProtocolViolation
    with pytest.raises(KeyError):
        errors.lookup("23999")
    assert errors.registered()["42601"] is SqlSyntaxError
    assert set(errors.registered()) == set(ERROR_CODES)
