"""Translation of date/time functions and operators: their PostgreSQL result types and the
calls of ``functions.datetimes``' SQLite functions that compute them.

The analyser and the printers (``operators``, ``print_*``) ask here first for the date/time
cases; every call passes the PostgreSQL type OIDs of its date/time operands as integer literals
(the storage text of a date cannot tell a date from a timestamp at midnight, nor a timestamptz
from a timestamp).
"""

from __future__ import annotations

from typing import Any

from pglast import ast, enums

from pgha.storage import oids as T
from pgha.storage.columns import TypeRef

_TEMPORAL = frozenset({T.DATE, T.TIME, T.TIMESTAMP, T.TIMESTAMPTZ, T.INTERVAL})
_POINTS = frozenset({T.DATE, T.TIMESTAMP, T.TIMESTAMPTZ})
_TEXT: TypeRef = (T.TEXT, -1)
_INT4: TypeRef = (T.INT4, -1)
_FLOAT8: TypeRef = (T.FLOAT8, -1)
_TSTZ: TypeRef = (T.TIMESTAMPTZ, -1)
_INTERVAL: TypeRef = (T.INTERVAL, -1)

_FIXED: dict[str, TypeRef] = {
    "justify_hours": _INTERVAL,
    "justify_days": _INTERVAL,
    "justify_interval": _INTERVAL,
    "make_interval": _INTERVAL,
    "make_date": (T.DATE, -1),
    "make_time": (T.TIME, -1),
    "make_timestamp": (T.TIMESTAMP, -1),
    "make_timestamptz": _TSTZ,
    "to_timestamp": _TSTZ,
    "to_date": (T.DATE, -1),
    "overlaps": (T.BOOL, -1),
    "isfinite": (T.BOOL, -1),
    "age": _INTERVAL,
}

# What an untyped literal argument becomes (unknown resolves to the preferred timestamptz).
_ARGS: dict[str, list[TypeRef | None]] = {
    "justify_hours": [_INTERVAL],
    "justify_days": [_INTERVAL],
    "justify_interval": [_INTERVAL],
    "make_date": [_INT4, _INT4, _INT4],
    "make_time": [_INT4, _INT4, _FLOAT8],
    "make_timestamp": [_INT4, _INT4, _INT4, _INT4, _INT4, _FLOAT8],
    "make_timestamptz": [_INT4, _INT4, _INT4, _INT4, _INT4, _FLOAT8, _TEXT],
    "to_date": [_TEXT, _TEXT],
    "timezone": [_TEXT, _TSTZ],
    "date_trunc": [_TEXT, _TSTZ, _TEXT],
    "date_part": [_TEXT, _TSTZ],
    "extract": [_TEXT, _TSTZ],
    "age": [_TSTZ, _TSTZ],
    "isfinite": [_TSTZ],
    "date_bin": [_INTERVAL, _TSTZ, _TSTZ],
}


def result_type(name: str, types: list[TypeRef]) -> TypeRef | None:
    """The result type of a date/time function, None when it is not one of them."""
    if name == "date_trunc" and len(types) >= 2:
        return types[1] if types[1][0] in (T.TIMESTAMP, T.INTERVAL) else _TSTZ
    if name == "date_bin" and len(types) == 3:
        return (T.TIMESTAMP, -1) if types[1][0] == T.TIMESTAMP else _TSTZ
    if name == "timezone" and len(types) == 2:
        return _TSTZ if types[1][0] == T.TIMESTAMP else (T.TIMESTAMP, -1)
    return _FIXED.get(name)


def arg_types(name: str, nargs: int) -> list[TypeRef | None] | None:
    if name == "to_timestamp":
        return [_FLOAT8] if nargs == 1 else [_TEXT, _TEXT]
    return _ARGS.get(name)


def arith_type(op: str, lo: int, ro: int) -> TypeRef | None:
    """Result types of the date/time operators translate's generic rule gets wrong."""
    if op == "-" and lo in _POINTS and ro in _POINTS and not lo == ro == T.DATE:
        return _INTERVAL
    if op == "-" and lo == ro == T.TIME:
        return _INTERVAL
    if op == "+" and {lo, ro} == {T.DATE, T.TIME}:
        return (T.TIMESTAMP, -1)
    return None


def unwrap_named(args: list[Any]) -> list[Any]:
    """The argument expressions of a call, named arguments (``days => 1``) included."""
    return [a.arg if isinstance(a, ast.NamedArgExpr) else a for a in args]


def _oid(s: Any, node: Any, default: int = T.TIMESTAMPTZ) -> str:
    oid = s.type_of(node)[0]
    return str(oid if oid in _TEMPORAL else default)


def print_func(s: Any, name: str, args: list[Any]) -> bool:
    """Print a call of a date/time function whose SQLite form needs the argument types."""
    if name in ("extract", "date_part") and len(args) == 2:
        s.call("pg_dt_part", args[0], args[1], _oid(s, args[1]), "1" if name == "extract" else "0")
    elif name == "date_trunc" and len(args) in (2, 3):
        s.call("pg_dt_trunc", args[0], args[1], _oid(s, args[1]), *args[2:])
    elif name == "timezone" and len(args) == 2:
        s.call("pg_dt_timezone", args[0], args[1], _oid(s, args[1]), _oid(s, args[0], T.TEXT))
    elif name == "age" and len(args) == 2:
        s.call("pg_dt_age", args[0], args[1], _oid(s, args[0]), _oid(s, args[1]))
    elif name == "age" and len(args) == 1:
        # age(x) is age(current_date, x), current_date cast to x's type
        s.call("pg_dt_age", "pg_current_date()", args[0], str(T.DATE), _oid(s, args[0]))
    elif name == "overlaps" and len(args) == 4:
        s.call("pg_dt_overlaps", *args, *(_oid(s, a) for a in args))
    elif name == "date_bin" and len(args) == 3:
        s.call("pg_dt_bin", *args, _oid(s, args[1]), _oid(s, args[2]))
    elif name == "to_char" and len(args) == 2 and s.type_of(args[0])[0] == T.INTERVAL:
        s.call("pg_dt_to_char_interval", *args)
    elif name == "to_timestamp" and len(args) in (1, 2):
        s.call("pg_to_timestamp_epoch" if len(args) == 1 else "pg_to_timestamp", *args)
    else:
        return False
    return True


def print_make_interval(s: Any, args: list[Any]) -> None:
    """make_interval(years, months, weeks, days, hours, mins, secs), some of them named."""
    positional = ("years", "months", "weeks", "days", "hours", "mins", "secs")
    names = [str(a.name) if isinstance(a, ast.NamedArgExpr) else positional[i]
             for i, a in enumerate(args)]
    s.call("pg_make_interval", "'" + ",".join(names) + "'", *unwrap_named(args))


def print_interval_list(s: Any, node: ast.A_Expr) -> bool:
    """x [NOT] BETWEEN a AND b, x [NOT] IN (...) on intervals: by their comparison keys."""
    kind, K = node.kind, enums.A_Expr_Kind
    items: Any = node.rexpr  # the bounds or the list
    ranged = kind in (K.AEXPR_BETWEEN, K.AEXPR_NOT_BETWEEN, K.AEXPR_IN)
    if ranged and isinstance(items, list | tuple):
        kinds = {s.type_of(node.lexpr)[0], *(s.type_of(i)[0] for i in items)}
        if len(kinds) > 1 and kinds <= _POINTS:
            return _print_points_list(s, node, items, kinds)
    if s.type_of(node.lexpr)[0] != T.INTERVAL:
        return False
    if kind in (K.AEXPR_BETWEEN, K.AEXPR_NOT_BETWEEN):
        s.call("pg_dt_interval_key", node.lexpr)
        s.write(" NOT BETWEEN " if kind == K.AEXPR_NOT_BETWEEN else " BETWEEN ")
        s.call("pg_dt_interval_key", items[0])
        s.write(" AND ")
        s.call("pg_dt_interval_key", items[1])
        return True
    if kind == K.AEXPR_IN:
        s.call("pg_dt_interval_key", node.lexpr)
        names = _names_of(node)
        s.write(" NOT IN (" if names == "<>" else " IN (")
        for i, item in enumerate(items):
            s.write(", " if i else "")
            s.call("pg_dt_interval_key", item)
        s.write(")")
        return True
    return False


def _print_points_list(s: Any, node: ast.A_Expr, items: Any, kinds: set[int]) -> bool:
    """BETWEEN / IN over a mix of date, timestamp and timestamptz: all cast up to the
    widest of them, as PostgreSQL resolves the comparison operators."""
    target = max(kinds, key=(T.DATE, T.TIMESTAMP, T.TIMESTAMPTZ).index)

    def operand(n: Any) -> None:
        oid = s.type_of(n)[0]
        if oid == target:
            s.print_node(n)
        else:
            s.call("pg_dt_as_timestamp", n, str(oid), str(target))

    operand(node.lexpr)
    if node.kind == enums.A_Expr_Kind.AEXPR_IN:
        s.write(" NOT IN (" if _names_of(node) == "<>" else " IN (")
        for i, item in enumerate(items):
            s.write(", " if i else "")
            operand(item)
        s.write(")")
        return True
    s.write(" NOT BETWEEN " if node.kind == enums.A_Expr_Kind.AEXPR_NOT_BETWEEN else " BETWEEN ")
    operand(items[0])
    s.write(" AND ")
    operand(items[1])
    return True


def _names_of(node: ast.A_Expr) -> str:
    return str(node.name[-1].sval) if node.name else ""


def sort_collation(oid: int) -> str:
    """The collation that orders a sort key of this type (intervals by their value)."""
    return " COLLATE pg_interval" if oid == T.INTERVAL else ""


def print_operator(s: Any, node: ast.A_Expr, op: str, lt: TypeRef, rt: TypeRef) -> bool:
    """Print a binary operator on dates, times and intervals; False when it is none."""
    lo, ro = lt[0], rt[0]
    if lo not in _TEMPORAL and ro not in _TEMPORAL:
        return False
    left, right = node.lexpr, node.rexpr
    if op in ("+", "-"):
        s.call("pg_dt_op", f"'{op}'", left, str(lo), right, str(ro))
        return True
    if op == "*" and T.INTERVAL in (lo, ro):
        s.call("pg_dt_interval_mul", *((left, right) if lo == T.INTERVAL else (right, left)))
        return True
    if op == "/" and lo == T.INTERVAL:
        s.call("pg_dt_interval_div", left, right)
        return True
    if op not in ("=", "<>", "!=", "<", ">", "<=", ">="):
        return False
    sql_op = "<>" if op == "!=" else op
    if T.INTERVAL in (lo, ro) and {lo, ro} <= {T.INTERVAL, T.UNKNOWN}:
        s.write("(")
        s.call("pg_dt_interval_key", left)
        s.write(f" {sql_op} ")
        s.call("pg_dt_interval_key", right)
        s.write(")")
        return True
    if lo in _POINTS and ro in _POINTS and lo != ro:
        # date < timestamp < timestamptz: the lower side is cast up, as PostgreSQL does
        target = max(lo, ro, key=(T.DATE, T.TIMESTAMP, T.TIMESTAMPTZ).index)
        s.write("(")
        for i, (side, oid) in enumerate(((left, lo), (right, ro))):
            if i:
                s.write(f" {sql_op} ")
            if oid == target:
                s.print_node(side)
            else:
                s.call("pg_dt_as_timestamp", side, str(oid), str(target))
        s.write(")")
        return True
    return False
