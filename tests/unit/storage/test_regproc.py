"""regproc and regprocedure input and output (functions/regproc.py), table-driven against
what PostgreSQL 15 answers for the same text (checked by hand on a 15.x server)."""

from __future__ import annotations

import pytest

from pgha.storage.functions import regproc
from pgha.wire import errors


@pytest.mark.parametrize(("text", "oid"), [
    ("now", 1299), ("NOW", 1299), ('"now"', 1299), ("pg_catalog.now", 1299),
    ('pg_catalog."now"', 1299), (" now ", 1299), ("1397", 1397), ("-", 0),
])
def test_regproc_input(text: str, oid: int) -> None:
    assert regproc.regproc_input(text) == oid


@pytest.mark.parametrize(("text", "error", "message"), [
    ("abs", errors.AmbiguousFunction, 'more than one function named "abs"'),
    ("upper", errors.AmbiguousFunction, 'more than one function named "upper"'),  # PG's ranges
    ("nosuch", errors.UndefinedFunction, 'function "nosuch" does not exist'),
    ('"NOW"', errors.UndefinedFunction, 'function ""NOW"" does not exist'),
    ("public.now", errors.UndefinedFunction, 'function "public.now" does not exist'),
    ("nosuch.now", errors.InvalidSchemaName, 'schema "nosuch" does not exist'),
    ("a.b.now", errors.FeatureNotSupported,
     "cross-database references are not implemented: a.b.now"),
    ("x.y.z.now", errors.SqlSyntaxError,
     "improper qualified name (too many dotted names): x.y.z.now"),
])
def test_regproc_input_errors(text: str, error: type[errors.PgError], message: str) -> None:
    with pytest.raises(error) as raised:
        regproc.regproc_input(text)
    assert raised.value.message == message


@pytest.mark.parametrize(("text", "oid"), [
    ("now()", 1299), ("now ( )", 1299), ("abs(integer)", 1397), ("abs(int4)", 1397),
    ("pg_catalog.abs(pg_catalog.int4)", 1397), ("abs(bigint)", 1396),
    ("substr(text,integer,integer)", 877), ("substr( text , int4 )", 883),
    ("round(numeric, int)", 1707), ("int4(\"char\")", 77), ("length(character(4))", 1318),
    ("date_part(text, timestamp(3) with time zone)", 1171), ("UPPER(TEXT)", 871),
    ("1397", 1397), ("-", 0),
])
def test_regprocedure_input(text: str, oid: int) -> None:
    assert regproc.regprocedure_input(text) == oid


@pytest.mark.parametrize(("text", "error", "message"), [
    ("abs", errors.InvalidTextRepresentation, "expected a left parenthesis"),
    ("abs(integer", errors.InvalidTextRepresentation, "expected a right parenthesis"),
    ("abs(integer) x", errors.InvalidTextRepresentation, "expected a right parenthesis"),
    ("abs(integer,)", errors.InvalidTextRepresentation, "expected a type name"),
    ('abs("integer)', errors.InvalidTextRepresentation, "improper type name"),
    ("abs(nosuchtype)", errors.UndefinedObject, 'type "nosuchtype" does not exist'),
    ("abs(text)", errors.UndefinedFunction, 'function "abs(text)" does not exist'),
    ("nosuch.now()", errors.InvalidSchemaName, 'schema "nosuch" does not exist'),
])
def test_regprocedure_input_errors(text: str, error: type[errors.PgError], message: str) -> None:
    with pytest.raises(error) as raised:
        regproc.regprocedure_input(text)
    assert raised.value.message == message


def test_regprocedure_input_refuses_a_bad_type_name_as_a_syntax_error() -> None:
    with pytest.raises(errors.SqlSyntaxError):
        regproc.regprocedure_input("abs(*)")


@pytest.mark.parametrize(("oid", "proc", "procedure"), [
    (1299, "now", "now()"),
    (1397, "pg_catalog.abs", "abs(integer)"),  # overloaded: qualified, as regprocin needs
    (877, "pg_catalog.substr", "substr(text,integer,integer)"),
    (1171, "pg_catalog.date_part", "date_part(text,timestamp with time zone)"),
    (77, "pg_catalog.int4", 'int4("char")'),
    (1318, "pg_catalog.length", "length(character)"),
    (13561, "plpgsql_inline_handler", "plpgsql_inline_handler(internal)"),  # a pseudo-type
    (13560, "plpgsql_call_handler", "plpgsql_call_handler()"),
    (0, "-", "-"),
    (999999, "999999", "999999"),
    ("int4in", "int4in", "int4in"),  # pg_type's typinput holds the name already
])
def test_output(oid: int | str, proc: str, procedure: str) -> None:
    assert regproc.regproc_output(oid) == proc
    assert regproc.regprocedure_output(oid) == procedure


@pytest.mark.parametrize(("text", "oid"), [
    ("now", 1299), ("abs", None), ("nosuch", None), ("1299", None), ("-", None),
    ("nosuch.now", None), (None, None),
])
def test_to_regproc(text: str | None, oid: int | None) -> None:
    assert regproc.to_regproc(text) == oid


@pytest.mark.parametrize(("text", "oid"), [
    ("now()", 1299), ("abs(text)", None), ("nosuch()", None), ("nosuch.now()", None),
    (None, None),
])
def test_to_regprocedure(text: str | None, oid: int | None) -> None:
    assert regproc.to_regprocedure(text) == oid


@pytest.mark.parametrize("text", ["abs", "1299", "abs(nosuchtype)"])
def test_to_regprocedure_still_raises_for_a_malformed_signature(text: str) -> None:
    with pytest.raises(errors.PgError):
        regproc.to_regprocedure(text)


def test_array_text() -> None:
    assert regproc.array_text("[1299, null, 0]", regproc.regproc_output) == "{now,NULL,-}"
    assert regproc.array_text("[1397, 877]", regproc.regprocedure_output) == (
        '{abs(integer),"substr(text,integer,integer)"}')
    assert regproc.array_text(None, regproc.regproc_output) is None
