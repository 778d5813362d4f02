"""The ``pg_proc`` rows of the built-in functions pgha implements, and what psql asks of them.

PostgreSQL's ``pg_proc`` describes every built-in function; psql's ``\\sf``, ``\\df PATTERN``
and the ``'name'::regproc`` input (``functions/regproc.py``) read it. The rows in
``builtin_function_rows.py`` were taken from PostgreSQL 15's own ``pg_proc`` for the names pgha
implements, keeping the overloads whose argument and result types pgha has (so
``lower(anyrange)`` is not there) and leaving out those with OUT arguments, settings or planner
support functions. The validators and handlers ``pg_language`` names (``fmgr_sql_validator``,
``plpgsql_call_handler``...) are there too, so that psql's ``\\dL+`` prints them as
regprocedure; pgha cannot call them. ``function_definition`` prints a row as
``pg_get_functiondef`` does (ruleutils.c), checked against PostgreSQL 15 when the rows were
taken.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from pgha.storage.builtin_function_rows import DESCRIPTIONS, ROWS
from pgha.wire.errors import WrongObjectType

__all__ = [
    "DESCRIPTIONS",
    "BuiltinFunction",
    "builtin_functions",
    "by_oid",
    "cast_function",
    "function_definition",
    "pg_proc_row",
]

PG_CATALOG_NAMESPACE_OID = 11
LANGUAGE_OIDS = {"internal": 12, "c": 13, "sql": 14}
_VOLATILITY = {"i": " IMMUTABLE", "s": " STABLE", "v": ""}
_PARALLEL = {"s": " PARALLEL SAFE", "r": " PARALLEL RESTRICTED", "u": ""}


@dataclass(frozen=True, slots=True)
class BuiltinFunction:
    oid: int
    name: str
    kind: str  # prokind: f function, a aggregate, w window
    retset: bool
    volatility: str  # provolatile
    parallel: str  # proparallel
    strict: bool
    result_type: int
    arg_types: tuple[int, ...]
    source: str  # prosrc: the C symbol of an internal function, the body of an SQL one
    language: str
    cost: float
    rows: float
    arguments: str  # pg_get_function_arguments
    identity_arguments: str  # pg_get_function_identity_arguments
    result: str  # pg_get_function_result
    leakproof: bool
    quoted_name: str  # quote_ident(name)


@cache
def builtin_functions() -> tuple[BuiltinFunction, ...]:
    return tuple(BuiltinFunction(*row) for row in ROWS)


@cache
def _by_oid() -> dict[int, BuiltinFunction]:
    return {fn.oid: fn for fn in builtin_functions()}


def by_oid(oid: Any) -> BuiltinFunction | None:
    try:
        return _by_oid().get(int(oid)) if oid is not None else None
    except (TypeError, ValueError):
        return None


@cache
def _cast_functions() -> dict[tuple[str, int], int]:
    from pgha.storage.builtin_cast_rows import CASTS

    used = {cast[3] for cast in CASTS}
    return {(fn.name, fn.arg_types[0]): fn.result_type for fn in builtin_functions()
            if fn.oid in used and len(fn.arg_types) == 1}


def cast_function(name: str, arg_type: int) -> int | None:
    """The result type of the one-argument cast function ``name(arg_type)`` (``int4(bigint)``,
    ``text(boolean)``...), which pgha runs as the cast it implements; None if there is none."""
    return _cast_functions().get((name, arg_type))


def is_cast_function(name: str) -> bool:
    return any(fn_name == name for fn_name, _ in _cast_functions())


def pg_proc_row(fn: BuiltinFunction) -> tuple[Any, ...]:
    """The row in pgcatalog's ``pg_proc`` column order."""
    return (fn.oid, fn.name, PG_CATALOG_NAMESPACE_OID, 10, LANGUAGE_OIDS[fn.language], fn.kind,
            int(fn.retset), fn.volatility, len(fn.arg_types), fn.result_type,
            " ".join(str(t) for t in fn.arg_types), fn.source, int(fn.strict), fn.parallel,
            fn.cost, fn.rows, int(fn.leakproof), 0, None)


def function_definition(oid: Any) -> str | None:
    """``pg_get_functiondef(oid)``."""
    fn = by_oid(oid)
    if fn is None:
        return None
    if fn.kind == "a":
        raise WrongObjectType(f'"{fn.name}" is an aggregate function')
    out = [f"CREATE OR REPLACE FUNCTION pg_catalog.{fn.quoted_name}({fn.arguments})\n",
           f" RETURNS {fn.result}\n", f" LANGUAGE {fn.language}\n"]
    traits = (" WINDOW" if fn.kind == "w" else "") + _VOLATILITY[fn.volatility]
    traits += _PARALLEL[fn.parallel] + (" STRICT" if fn.strict else "")
    traits += " LEAKPROOF" if fn.leakproof else ""
    default_cost = 1.0 if fn.language in ("internal", "c") else 100.0
    if fn.cost != default_cost:
        traits += f" COST {fn.cost:g}"
    if fn.rows > 0 and fn.rows != 1000:
        traits += f" ROWS {fn.rows:g}"
    if traits:
        out.append(traits + "\n")
    quote = "$function"
    while quote in fn.source:
        quote += "x"
    quote += "$"
    # probin: the only C-language rows are plpgsql's handlers, from its shared library
    library = "'$libdir/plpgsql', " if fn.language == "c" else ""
    out.append(f"AS {library}{quote}{fn.source}{quote}\n")
    return "".join(out)
