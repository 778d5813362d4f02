"""regproc and regprocedure: a function's OID from its name (regproc) or from its name and
argument types (regprocedure), and back, as PostgreSQL 15's regproc.c does (regprocin,
regprocout, regprocedurein, regprocedureout, to_regproc, to_regprocedure).

Invariants: the functions are the built-in ones ``pg_proc`` lists (all in ``pg_catalog``;
pgha has no user-defined functions), so a name qualified with another schema names nothing;
both types are stored as the OID (an int), 0 printing as ``-`` and an OID pg_proc does not
list printing as its number. A regproc name PostgreSQL 15 has several functions for is
ambiguous even when pgha lists only some of them (``builtin_function_rows.OVERLOADED``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import apsw
import pglast
from pglast import ast

from pgha.storage import builtin_functions
from pgha.storage import types as pgtypes
from pgha.storage.builtin_function_rows import OVERLOADED
from pgha.storage.catalog import Catalog
from pgha.storage.functions.context import FunctionContext, registrar
from pgha.storage.functions.regclass import name_parts, regtype_name
from pgha.storage.types_array import quote_element
from pgha.wire.errors import (
    AmbiguousFunction,
    FeatureNotSupported,
    InvalidSchemaName,
    InvalidTextRepresentation,
    SqlSyntaxError,
    UndefinedFunction,
)

__all__ = [
    "array_text",
    "regproc_input",
    "regproc_output",
    "regprocedure_input",
    "regprocedure_output",
    "to_regproc",
    "to_regprocedure",
]

_SYSTEM_SCHEMAS = frozenset({"pg_catalog", "information_schema", "pg_toast", "public"})
_SPACES = " \t\n\r\f\v"


def _oid_text(text: str) -> int | None:
    """The OID ``-`` or a string of digits denote (regprocin's shortcut before any lookup)."""
    if text == "-":
        return 0
    if text.isascii() and text.isdigit():
        return int(text)
    return None


def _function_name(text: str, catalog: Catalog | None) -> str | None:
    """The name a possibly qualified, possibly quoted function name denotes in pg_catalog, or
    None when it names another (existing) schema. Errors as stringToQualifiedNameList and
    LookupExplicitNamespace raise them."""
    try:
        parts = name_parts(text.strip(_SPACES))
    except ValueError:
        parts = []
    if not parts or any(not part for part in parts):
        raise InvalidTextRepresentation("invalid name syntax")
    if len(parts) > 3:
        raise SqlSyntaxError(f"improper qualified name (too many dotted names): {text}")
    if len(parts) == 3:  # database.schema.name: only the current database is allowed
        raise FeatureNotSupported(f"cross-database references are not implemented: {text}")
    if len(parts) == 2 and parts[0] != "pg_catalog":
        known = set(catalog.schemas) if catalog is not None else set()
        if parts[0] not in known | _SYSTEM_SCHEMAS:
            raise InvalidSchemaName(f'schema "{parts[0]}" does not exist')
        return None
    return parts[-1]


def regproc_input(text: str, catalog: Catalog | None = None) -> int:
    """``'name'::regproc``: the one function of that name, 42883 if there is none and 42725
    if there are several."""
    oid = _oid_text(text)
    return oid if oid is not None else _proc_by_name(text, catalog)


def _proc_by_name(text: str, catalog: Catalog | None) -> int:
    name = _function_name(text, catalog)
    found = [fn.oid for fn in builtin_functions.builtin_functions() if fn.name == name]
    if not found:
        raise UndefinedFunction(f'function "{text}" does not exist')
    if len(found) > 1 or name in OVERLOADED:
        raise AmbiguousFunction(f'more than one function named "{text}"')
    return found[0]


def regproc_output(value: Any) -> str:
    """A regproc as text: the name, qualified when PostgreSQL 15 has several functions of that
    name (regprocin would not find it), ``-`` for 0, the number for an OID pg_proc does not
    list. pg_type's typinput and its kin hold names already."""
    fn = _listed(value)
    if isinstance(fn, str):
        return fn
    return f"pg_catalog.{fn.quoted_name}" if fn.name in OVERLOADED else fn.quoted_name


def _listed(value: Any) -> builtin_functions.BuiltinFunction | str:
    """The pg_proc row of a reg* OID, or its text when it has none: ``-`` for 0, the number
    for an OID pg_proc does not list, a name kept as it is."""
    if not isinstance(value, int):
        return str(value)
    if value == 0:
        return "-"
    fn = builtin_functions.by_oid(value)
    return str(value) if fn is None else fn


def _split_signature(text: str) -> tuple[str, list[str]]:
    """``name(type, ...)`` as the name and the type names (parseNameAndArgTypes)."""
    in_quote = False
    paren = -1
    for i, ch in enumerate(text):
        if ch == '"':
            in_quote = not in_quote
        elif ch == "(" and not in_quote:
            paren = i
            break
    if paren < 0:
        raise InvalidTextRepresentation("expected a left parenthesis")
    name, rest = text[:paren], text[paren + 1:].rstrip(_SPACES)
    if not rest.endswith(")"):
        raise InvalidTextRepresentation("expected a right parenthesis")
    rest = rest[:-1]
    types: list[str] = []
    start, depth, in_quote = 0, 0, False
    for i, ch in enumerate(rest + ","):
        if ch == '"':
            in_quote = not in_quote
        elif in_quote:
            continue
        elif ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        elif ch == "," and depth == 0:
            types.append(rest[start:i].strip(_SPACES))
            start = i + 1
    if in_quote or depth != 0:
        raise InvalidTextRepresentation("improper type name")
    if types == [""]:
        return name, []
    if "" in types:
        raise InvalidTextRepresentation("expected a type name")
    return name, types


def _type_oid(name: str) -> int:
    """The type a type name denotes, read as the grammar reads ``NULL::name``
    (parseTypeString); a typmod is checked and ignored."""
    try:
        stmts: Any = pglast.parse_sql(f"SELECT NULL::{name}")
    except pglast.parser.ParseError as exc:
        raise SqlSyntaxError(f"{exc.args[0]} in type name \"{name}\"") from exc
    target: Any = stmts[0].stmt.targetList if len(stmts) == 1 else None
    cast: Any = target[0].val if target and len(target) == 1 else None
    if not isinstance(cast, ast.TypeCast) or not isinstance(cast.arg, ast.A_Const):
        raise SqlSyntaxError(f'invalid type name "{name}"')
    tn: Any = cast.typeName
    if tn.setof or tn.pct_type:
        raise SqlSyntaxError(f'invalid type name "{name}"')
    names: list[str] = [n.sval for n in tn.names]
    mods: list[int] = [m.val.ival or 0 for m in tn.typmods or ()
                       if isinstance(m, ast.A_Const) and isinstance(m.val, ast.Integer)]
    bounds: list[int] = [b.ival for b in tn.arrayBounds or ()]
    return pgtypes.resolve_type(names, mods, bounds)[0].oid


def regprocedure_input(text: str, catalog: Catalog | None = None) -> int:
    """``'name(type, ...)'::regprocedure``: the function of that name and argument types,
    42883 if there is none."""
    oid = _oid_text(text)
    return oid if oid is not None else _proc_by_signature(text, catalog)


def _proc_by_signature(text: str, catalog: Catalog | None) -> int:
    name_text, type_names = _split_signature(text)
    name = _function_name(name_text, catalog)
    arg_types = tuple(_type_oid(t) for t in type_names)
    for fn in builtin_functions.builtin_functions():
        if fn.name == name and fn.arg_types == arg_types:
            return fn.oid
    raise UndefinedFunction(f'function "{text}" does not exist')


def regprocedure_output(value: Any) -> str:
    """A regprocedure as text (format_procedure): ``name(type,type)``, ``-`` for 0, the number
    for an OID pg_proc does not list. A pg_catalog function is always visible: unqualified."""
    fn = _listed(value)
    if isinstance(fn, str):
        return fn
    if any(t not in pgtypes.TYPES_BY_OID for t in fn.arg_types):
        # the language handlers take pseudo-types pgha has no pg_type row for
        return f"{fn.quoted_name}({fn.identity_arguments})"
    return f"{fn.quoted_name}({','.join(str(regtype_name(t)) for t in fn.arg_types)})"


def to_regproc(name: Any, catalog: Catalog | None = None) -> int | None:
    """NULL rather than an error for a name that is unknown or ambiguous (digits are a name
    here, not an OID, as in PostgreSQL 15)."""
    if name is None:
        return None
    try:
        return _proc_by_name(str(name), catalog)
    except (UndefinedFunction, AmbiguousFunction, InvalidSchemaName):
        return None


def to_regprocedure(name: Any, catalog: Catalog | None = None) -> int | None:
    """NULL rather than an error for an unknown function; a malformed signature (digits too)
    or an unknown argument type is still an error, as in PostgreSQL 15."""
    if name is None:
        return None
    try:
        return _proc_by_signature(str(name), catalog)
    except (UndefinedFunction, InvalidSchemaName):
        return None


def array_text(value: Any, output: Callable[[Any], str]) -> str | None:
    """A regproc[] or regprocedure[] (stored as a JSON array of OIDs) as array_out prints it:
    the names, quoted where they need it (``{now,"abs(integer)"}``)."""
    if value is None:
        return None
    names = ("NULL" if oid is None else quote_element(output(oid)) for oid in json.loads(value))
    return "{" + ",".join(names) + "}"


def _text_or_none(convert: Any) -> Any:
    return lambda v: None if v is None else convert(v)


def register(conn: apsw.Connection, ctx: FunctionContext) -> None:
    """The regproc and regprocedure conversions, reading the catalog of ``ctx`` (schemas)."""
    f = registrar(conn)
    f("pg_regproc_name", _text_or_none(regproc_output), 1)
    f("pg_regprocedure_name", _text_or_none(regprocedure_output), 1)
    f("pg_regproc", _text_or_none(lambda v: regproc_input(str(v), ctx.catalog)), 1)
    f("pg_regprocedure", _text_or_none(lambda v: regprocedure_input(str(v), ctx.catalog)), 1)
    f("pg_regproc_array_text", lambda v: array_text(v, regproc_output), 1)
    f("pg_regprocedure_array_text", lambda v: array_text(v, regprocedure_output), 1)
    f("to_regproc", lambda v: to_regproc(v, ctx.catalog), 1)
    f("to_regprocedure", lambda v: to_regprocedure(v, ctx.catalog), 1)
