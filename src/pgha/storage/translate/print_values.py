"""Printers for leaf values: parameters, constants, casts, and the text
coercions other printers share (``sql_literal``, ``_print_as_text``).
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from pglast import ast

from pgha.storage import oids as T
from pgha.storage.columns import TypeRef
from pgha.storage.types_number import numeric_text

if TYPE_CHECKING:
    from pgha.storage.translate.stream import SqliteStream


def sql_literal(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != value:
            return "(0.0/0.0)"  # NaN is not storable in SQLite; NULL results
        if value in (float("inf"), float("-inf")):
            return "9e999" if value > 0 else "-9e999"
        return repr(value)
    if isinstance(value, bytes):
        return "X'" + value.hex() + "'"
    return "'" + str(value).replace("'", "''") + "'"


def _p_param(s: SqliteStream, node: ast.ParamRef) -> bool:
    s.write(f"?{node.number}")
    return True


def _p_const(s: SqliteStream, node: ast.A_Const) -> bool:
    if id(node) in s.an.literals:
        s.write(sql_literal(s.an.literals[id(node)]))
        return True
    if node.isnull:
        s.write("NULL")
        return True
    val = node.val
    if isinstance(val, ast.Boolean):
        s.write("1" if val.boolval else "0")
        return True
    if isinstance(val, ast.String):
        s.write(sql_literal(val.sval))
        return True
    if isinstance(val, ast.Float):
        if _is_numeric(s.type_of(node)):
            s.write(sql_literal(numeric_text(Decimal(val.fval))))  # exact, scale kept
        else:
            s.write(val.fval)
        return True
    return False


def _p_cast(s: SqliteStream, node: ast.TypeCast) -> bool:
    arg = node.arg
    target = s.type_of(node)
    if isinstance(arg, ast.A_Const) and id(arg) in s.an.literals:
        s.print_node(arg)
        return True
    src = s.type_of(arg)
    if src == target or (src[0] == target[0] and target[1] == -1):
        s.print_node(arg)
        return True
    if target[0] in (T.INT8, T.INT4) and src[0] in T.INTEGER_TYPES:
        s.print_node(arg)
        return True
    if target[0] == T.REGCLASS and src[0] in T.TEXT_LIKE:
        s.call("pg_regclass", arg)
        return True
    if target[0] in T.TEXT_LIKE and src[0] in (T.REGCLASS, T.REGTYPE):
        s.call("pg_regclass_name" if src[0] == T.REGCLASS else "pg_regtype_name", arg)
        return True
    if target[0] in T.TEXT_LIKE and src[0] == T.ARRAY_OF[T.REGTYPE]:
        s.call("pg_regtype_array_text", arg)
        return True
    if target[0] in T.TEXT_LIKE and src[0] in _PROC_TEXT:
        s.call(_PROC_TEXT[src[0]], arg)
        return True
    if target[0] in _PROC_INPUT and src[0] in T.TEXT_LIKE:
        s.call(_PROC_INPUT[target[0]], arg)
        return True
    if target[0] in (T.TEXT, T.VARCHAR, T.NAME) and src[0] in T.TEXT_LIKE and target[1] == -1:
        _print_as_text(s, arg)
        return True
    # An explicit cast truncates to varchar(n)/char(n) where an assignment would fail.
    s.call("pg_cast_explicit", arg, str(src[0]), str(target[0]), str(target[1]))
    return True


# regproc and regprocedure to text and back (functions/regproc.py)
_PROC_TEXT = {
    T.REGPROC: "pg_regproc_name",
    T.REGPROCEDURE: "pg_regprocedure_name",
    T.ARRAY_OF[T.REGPROC]: "pg_regproc_array_text",
    T.ARRAY_OF[T.REGPROCEDURE]: "pg_regprocedure_array_text",
}
_PROC_INPUT = {T.REGPROC: "pg_regproc", T.REGPROCEDURE: "pg_regprocedure"}


def _print_as_text(s: SqliteStream, node: Any) -> None:
    """An operand used as text: char(n) loses its trailing blanks on the way, as a cast of
    bpchar to text does in PostgreSQL; a value whose storage is not its PostgreSQL text
    (boolean 0/1, float, timestamptz in UTC, bytea) becomes that text."""
    kind = s.type_of(node)[0]
    if kind == T.BPCHAR:
        s.write("rtrim(")
        s.print_node(node)
        s.write(", ' ')")
    elif kind in _STORED_OTHERWISE:
        s.call("pg_cast", node, str(kind), str(T.TEXT), "-1")
    else:
        s.print_node(node)


def _print_concatenated(s: SqliteStream, operand: Any, concat: Any) -> None:
    """An operand of ||: as text when the result is text (not bytea || bytea)."""
    if s.type_of(concat)[0] == T.BYTEA:
        s.print_node(operand)
    else:
        _print_as_text(s, operand)


_STORED_OTHERWISE = frozenset({T.BOOL, T.FLOAT4, T.FLOAT8, T.TIMESTAMPTZ, T.BYTEA})


def _is_numeric(t: TypeRef) -> bool:
    return t[0] == T.NUMERIC
