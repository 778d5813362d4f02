"""Printers for operators: comparisons (numeric, array, row), regular
expressions and patterns, json operators, arithmetic with PostgreSQL's overflow checks,
array constructors and subscripts, NULL and boolean tests, GREATEST/LEAST.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pglast import ast, enums

from pgha.storage import oids as T
from pgha.storage.columns import TypeRef
from pgha.storage.translate import datetimes
from pgha.storage.translate.print_values import (
    _is_numeric,
    _print_as_text,
    _print_concatenated,
    sql_literal,
)
from pgha.storage.translate.scope import _names, _pos
from pgha.storage.translate.signatures import COMPARISON_OPS
from pgha.wire.errors import FeatureNotSupported, SqlSyntaxError

if TYPE_CHECKING:
    from pgha.storage.translate.stream import SqliteStream


REGEX_OPS = {"~": "pg_regex_match", "~*": "pg_regex_imatch"}
JSON_OPS = {
    "@>": "pg_json_contains",
    "<@": "pg_json_contained",
    "?": "pg_json_has_key",
    "#>": "pg_json_path",
    "#>>": "pg_json_path_text",
    "?|": "pg_json_has_any",
    "?&": "pg_json_has_all",
    "@?": "pg_jsonb_path_exists_op",
    "@@": "pg_jsonb_path_match_op",
}


def _p_aexpr(s: SqliteStream, node: ast.A_Expr) -> bool:
    K = enums.A_Expr_Kind
    op = _names(node.name)[-1] if node.name else ""
    kind = node.kind
    if kind == K.AEXPR_OP:
        if node.lexpr is None:
            if op == "-" and s.type_of(node)[0] == T.NUMERIC:
                s.call("pg_num_neg", node.rexpr)
                return True
            if op == "-" and s.type_of(node)[0] == T.INTERVAL:
                s.call("pg_dt_interval_neg", node.rexpr)
                return True
            if op == "-" and s.type_of(node)[0] in (T.FLOAT4, T.FLOAT8):
                s.call("pg_float_neg", node.rexpr)
                return True
            if op in PREFIX_MATH:
                kind = s.type_of(node)[0]
                fn = PREFIX_MATH[op]
                if op == "@":
                    fn = {T.NUMERIC: "pg_num_abs", T.FLOAT4: "pg_float_abs",
                          T.FLOAT8: "pg_float_abs", T.INT8: "pg_int8_abs"}.get(kind, "abs")
                s.call(fn, node.rexpr)
                return True
            return False
        lt, rt = s.type_of(node.lexpr), s.type_of(node.rexpr)
        if datetimes.print_operator(s, node, op, lt, rt):
            return True
        if _p_text_array_op(s, node, op, lt[0], rt[0]):
            return True
        if op in NUMERIC_OPS and s.type_of(node)[0] == T.NUMERIC:
            s.call(NUMERIC_OPS[op], node.lexpr, node.rexpr)
            return True
        if op in COMPARISON_OPS and _numeric_comparison(s, node.lexpr, lt, op, node.rexpr, rt):
            return True
        if op in COMPARISON_OPS and lt[0] == rt[0] == T.JSONB:
            s.write("(")
            s.print_node(node.lexpr)
            s.write(f" COLLATE pg_jsonb {'<>' if op == '!=' else op} ")
            s.print_node(node.rexpr)
            s.write(")")
            return True
        if op in COMPARISON_OPS and T.BPCHAR in (lt[0], rt[0]) and lt != rt and \
                lt[0] in T.TEXT_LIKE and rt[0] in T.TEXT_LIKE:
            # char(n) compares without its trailing blanks (padded alike, it compares as is)
            s.write("(")
            _print_as_text(s, node.lexpr)
            s.write(f" {'<>' if op == '!=' else op} ")
            _print_as_text(s, node.rexpr)
            s.write(")")
            return True
        if op in REGEX_OPS or op in ("!~", "!~*"):
            fn = REGEX_OPS.get(op.lstrip("!"), "pg_regex_match")
            if op.startswith("!"):
                s.write("NOT ")
            s.call(fn, node.lexpr, node.rexpr)
            return True
        if op in ("~~", "!~~", "~~*", "!~~*"):
            if op.startswith("!"):
                s.write("NOT ")
            s.call("pg_like" if "*" not in op else "pg_ilike", node.lexpr, node.rexpr)
            return True
        if op in JSON_OPS:
            s.call(JSON_OPS[op], node.lexpr, node.rexpr)
            return True
        if op in ("->", "->>"):
            s.call("pg_json_get" if op == "->" else "pg_json_get_text", node.lexpr, node.rexpr,
                   str(int(lt[0] == T.JSONB)))
            return True
        result = s.type_of(node)[0]
        if op in ("+", "-", "*") and result in INT_BITS and id(node) not in s.int_wrapping \
                and id(node) not in s.an.output_checked and id(node) not in s.an.assign_wrap:
            # SQLite computes in 64 bits (and past them in floats): PostgreSQL's integer
            # arithmetic fails with 22003 where its type overflows, also inside an expression.
            s.int_wrapping.add(id(node))
            s.write("pg_int_check(")
            s._print_node(node, False, False)
            s.write(f", {INT_BITS[result]})")
            return True
        if op in FLOAT_OPS and result in (T.FLOAT4, T.FLOAT8):
            # NaN, overflow and underflow as float.c has them (SQLite would give NULL or inf)
            width = "4" if result == T.FLOAT4 else "8"
            s.write(f"pg_float{width}_{FLOAT_OPS[op]}(")
            for i, (side, t) in enumerate(((node.lexpr, lt), (node.rexpr, rt))):
                s.write(", " if i else "")
                if t[0] == T.NUMERIC:
                    s.call("pg_num_float8", side)  # deterministic: a constant converts once
                else:
                    s.print_node(side)
            s.write(")")
            return True
        if op in ("<<", ">>") and result in (T.INT2, T.INT4):
            width = "2" if result == T.INT2 else "4"
            s.call(f"pg_int{width}_{'shl' if op == '<<' else 'shr'}", node.lexpr, node.rexpr)
            return True
        if op == "#" and result in T.INTEGER_TYPES:  # bitwise XOR; SQLite has no operator
            s.write("((")
            s.print_node(node.lexpr)
            s.write(") | (")
            s.print_node(node.rexpr)
            s.write(")) - ((")
            s.print_node(node.lexpr)
            s.write(") & (")
            s.print_node(node.rexpr)
            s.write("))")
            return True
        if op == "^" and result == T.NUMERIC:
            s.call("pg_num_power", node.lexpr, node.rexpr)
            return True
        if op in ("/", "%") and (lt[0] in T.NUMERIC_RANK or rt[0] in T.NUMERIC_RANK):
            integer = lt[0] in T.INTEGER_TYPES and rt[0] in T.INTEGER_TYPES
            fn = ("pg_idiv" if integer else "pg_div") if op == "/" else "pg_mod"
            s.call(fn, node.lexpr, node.rexpr)
            return True
        if op == "^":
            s.call("pow", node.lexpr, node.rexpr)
            return True
        if op in ("+", "-") and (
            lt[0] in T.DATETIME_TYPES
            or rt[0] in T.DATETIME_TYPES
            or lt[0] == T.INTERVAL
            or rt[0] == T.INTERVAL
        ):
            s.call(
                "pg_datetime_op",
                sql_literal(op),
                node.lexpr,
                str(lt[0]),
                node.rexpr,
                str(rt[0]),
                str(s.type_of(node)[0]),
            )
            return True
        if op == "*" and (lt[0] == T.INTERVAL or rt[0] == T.INTERVAL):
            s.call("pg_interval_mul", node.lexpr, node.rexpr)
            return True
        if op == "||" and T.JSONB in (lt[0], rt[0]):
            s.call("pg_jsonb_concat", node.lexpr, node.rexpr)
            return True
        if op == "-" and lt[0] == T.JSONB:
            s.call("pg_jsonb_delete", node.lexpr, node.rexpr, str(int(rt[0] in T.ELEMENT_OF)))
            return True
        if op == "#-" and lt[0] == T.JSONB:
            s.call("pg_jsonb_delete_path", node.lexpr, node.rexpr)
            return True
        if op == "||" and (lt[0] == T.JSONB or lt[0] in T.ELEMENT_OF
                           or rt[0] in T.ELEMENT_OF):
            # Which sides are arrays or JSON documents (the others are elements, as stored).
            containers = ["2" if t[0] in T.ELEMENT_OF else "1" if t[0] in (T.JSONB, T.JSON)
                          else "0" for t in (lt, rt)]
            s.call("pg_concat_op", node.lexpr, node.rexpr, *containers)
            return True
        if op == "<>" or op == "!=":
            s.write("(")
            s.print_node(node.lexpr)
            s.write(" <> ")
            s.print_node(node.rexpr)
            s.write(")")
            return True
        if op == "||":
            # SQLite's || binds tighter than its arithmetic, PostgreSQL's looser: 'a' || 2+2
            # is 'a' || (2+2) there. Each operand keeps its own parentheses.
            s.write("((")
            _print_concatenated(s, node.lexpr, node)
            s.write(") || (")
            _print_concatenated(s, node.rexpr, node)
            s.write("))")
            return True
        return False
    if datetimes.print_interval_list(s, node):
        return True
    if kind == K.AEXPR_IN and _is_numeric(s.type_of(node.lexpr)):
        _print_numeric_operand(s, node.lexpr, collate=True)
        s.write(" NOT IN (" if op == "<>" else " IN (")
        for i, item in enumerate(node.rexpr):
            s.write(", " if i else "")
            _print_numeric_operand(s, item)
        s.write(")")
        return True
    if kind in (K.AEXPR_BETWEEN, K.AEXPR_NOT_BETWEEN) and _is_numeric(s.type_of(node.lexpr)):
        _print_numeric_operand(s, node.lexpr, collate=True)
        s.write(" NOT BETWEEN " if kind == K.AEXPR_NOT_BETWEEN else " BETWEEN ")
        _print_numeric_operand(s, node.rexpr[0])
        s.write(" AND ")
        _print_numeric_operand(s, node.rexpr[1])
        return True
    if kind in (K.AEXPR_DISTINCT, K.AEXPR_NOT_DISTINCT):
        s.write("(")
        s.print_node(node.lexpr)
        s.write(" IS NOT " if kind == K.AEXPR_DISTINCT else " IS ")
        s.print_node(node.rexpr)
        s.write(")")
        return True
    if kind in (K.AEXPR_LIKE, K.AEXPR_ILIKE):
        if op.startswith("!"):
            s.write("NOT ")
        s.call("pg_like" if kind == K.AEXPR_LIKE else "pg_ilike", node.lexpr, node.rexpr)
        return True
    if kind in (K.AEXPR_OP_ANY, K.AEXPR_OP_ALL) and op in PATTERN_OPS:
        s.call("pg_like_any", sql_literal(op), node.lexpr, node.rexpr,
               "1" if kind == K.AEXPR_OP_ANY else "0")
        return True
    if kind in (K.AEXPR_OP_ANY, K.AEXPR_OP_ALL):
        if op not in COMPARISON_OPS:
            raise FeatureNotSupported(f"operator {op} with ANY/ALL is not supported")
        fn = "pg_any" if kind == K.AEXPR_OP_ANY else "pg_all"
        s.call(fn, sql_literal(op), node.lexpr, node.rexpr)
        return True
    if kind == K.AEXPR_SIMILAR:  # the pattern is similar_to_escape(...): a regular expression
        if op.startswith("!"):
            s.write("NOT ")
        s.call("pg_regex_match", node.lexpr, node.rexpr)
        return True
    return False


PATTERN_OPS = frozenset({"~~", "~~*", "!~~", "!~~*", "~", "~*", "!~", "!~*"})


def _p_text_array_op(s: SqliteStream, node: ast.A_Expr, op: str, lt: int, rt: int) -> bool:
    """Binary operators of strings, bytea, arrays and row values."""
    if op == "^@":
        s.call("starts_with", node.lexpr, node.rexpr)
        return True
    arrays = lt in T.ELEMENT_OF or rt in T.ELEMENT_OF
    if op == "&&" and arrays:
        s.call("pg_array_overlap", node.lexpr, node.rexpr)
        return True
    if op in ("@>", "<@") and arrays:
        pair = (node.lexpr, node.rexpr) if op == "@>" else (node.rexpr, node.lexpr)
        s.call("pg_array_contains", *pair)
        return True
    if op in COMPARISON_OPS and lt in T.ELEMENT_OF and rt in T.ELEMENT_OF:
        # element by element (and numbers by value), not as the JSON text
        s.write("(")
        s.print_node(node.lexpr)
        s.write(f" COLLATE {_array_collation(lt)} {'<>' if op == '!=' else op} ")
        s.print_node(node.rexpr)
        s.write(")")
        return True
    if op == "||" and s.type_of(node)[0] == T.BYTEA:
        s.call("pg_bytea_concat", node.lexpr, node.rexpr)
        return True
    if op in COMPARISON_OPS and isinstance(node.lexpr, ast.RowExpr) and \
            isinstance(node.rexpr, ast.RowExpr):
        if len(node.lexpr.args or ()) != len(node.rexpr.args or ()):
            raise SqlSyntaxError("unequal number of entries in row expressions",
                                 position=_pos(node))
        s.write("(")
        _print_row_value(s, node.lexpr)
        s.write(f" {'<>' if op == '!=' else op} ")
        _print_row_value(s, node.rexpr)
        s.write(")")
        return True
    return False


def _array_collation(array_type: int) -> str:
    return "pg_array_numeric" if array_type == T.ARRAY_OF[T.NUMERIC] else "pg_array"


def _print_row_value(s: SqliteStream, node: ast.RowExpr) -> None:
    """A row constructor as an SQLite row value; char(n) fields compare without their
    trailing blanks."""
    s.write("(")
    for i, a in enumerate(node.args or ()):
        s.write(", " if i else "")
        if s.type_of(a)[0] == T.BPCHAR:
            _print_as_text(s, a)
        else:
            s.print_node(a)
    s.write(")")


def _p_row(s: SqliteStream, node: ast.RowExpr) -> bool:
    _print_row_value(s, node)
    return True


def _p_null_test(s: SqliteStream, node: ast.NullTest) -> bool:
    """ROW(...) IS [NOT] NULL: every field is (not) NULL."""
    if not isinstance(node.arg, ast.RowExpr):
        return False
    test = " IS NULL" if node.nulltesttype == enums.NullTestType.IS_NULL else " IS NOT NULL"
    fields = list(node.arg.args or ())
    s.write("(")
    for i, a in enumerate(fields):
        s.write(" AND " if i else "")
        s.write("(")
        s.print_node(a)
        s.write(test + ")")
    s.write(")" if fields else "1)")
    return True


PREFIX_MATH = {"@": "abs", "|/": "sqrt", "||/": "cbrt"}
INT_BITS = {T.INT2: 16, T.INT4: 32, T.INT8: 64}
FLOAT_OPS = {"+": "add", "-": "sub", "*": "mul", "/": "div"}
# Arithmetic whose PostgreSQL result type is numeric: exact, through pgha.storage.numeric.
NUMERIC_OPS = {"+": "pg_num_add", "-": "pg_num_sub", "*": "pg_num_mul", "/": "pg_num_div",
               "%": "pg_num_mod"}
_INTEGER_OR_UNKNOWN = T.INTEGER_TYPES | {T.UNKNOWN}


def _print_numeric_operand(s: SqliteStream, node: Any, collate: bool = False) -> None:
    """An operand of a numeric comparison as numeric text: stored numerics print as they are,
    integers go through pg_num(); the left operand carries the pg_numeric collation, which
    SQLite then uses for the comparison (and an index on a numeric column still applies)."""
    if _is_numeric(s.type_of(node)):
        s.write("(")
        s.print_node(node)
        s.write(")")
    else:
        s.call("pg_num", node)
    if collate:
        s.write(" COLLATE pg_numeric")


def _numeric_comparison(s: SqliteStream, left: Any, lt: TypeRef, op: str, right: Any,
                        rt: TypeRef) -> bool:
    """Print a comparison that involves numeric; False when neither side is numeric."""
    if not (_is_numeric(lt) or _is_numeric(rt)):
        return False
    sql_op = "<>" if op == "!=" else op
    if lt[0] in (T.FLOAT4, T.FLOAT8) or rt[0] in (T.FLOAT4, T.FLOAT8):
        # numeric meets float: PostgreSQL compares as float8 (a NaN stays the text 'NaN',
        # above every number, as float8's NaN sorts).
        s.write("(")
        for i, (side, t) in enumerate(((left, lt), (right, rt))):
            s.write(f" {sql_op} " if i else "")
            if t[0] in (T.FLOAT4, T.FLOAT8):
                s.print_node(side)  # as stored: an index on a float column still applies
            elif t[0] == T.NUMERIC:
                s.call("pg_num_float8", side)  # deterministic: a constant is cast once
            else:
                s.call("pg_cast", side, str(t[0]), str(T.FLOAT8), "-1")
        s.write(")")
        return True
    if lt[0] not in _INTEGER_OR_UNKNOWN | {T.NUMERIC} or rt[0] not in _INTEGER_OR_UNKNOWN | {
            T.NUMERIC}:
        return False
    s.write("(")
    _print_numeric_operand(s, left, collate=True)
    s.write(f" {sql_op} ")
    _print_numeric_operand(s, right)
    s.write(")")
    return True


def _p_array(s: SqliteStream, node: ast.A_ArrayExpr) -> bool:
    nested = any(s.type_of(e)[0] in T.ELEMENT_OF for e in node.elements or ())
    if nested:
        s.write("pg_array_check(")  # sub-arrays of matching dimensions
    s.write("json_array(")
    for i, e in enumerate(node.elements or ()):
        s.write(", " if i else "")
        if s.type_of(e)[0] in T.ELEMENT_OF and not isinstance(e, ast.A_ArrayExpr):
            s.call("json", e)  # a sub-array stored as JSON text: nested, not a string
        else:
            s.print_node(e)
    s.write("))" if nested else ")")
    return True


def _p_indirection(s: SqliteStream, node: ast.A_Indirection) -> bool:
    field = s.an.record_fields.get(id(node))
    if field is not None:  # a field of an _pg_expandarray record's text, "(x,n)"
        comma = ("instr(", node.arg, ", ',')")
        parts = (("substr(", node.arg, ", 2, ", *comma, " - 2)") if field == "x" else
                 ("substr(", node.arg, ", ", *comma, " + 1, length(", node.arg, ") - ", *comma,
                  " - 1)"))
        s.write("CAST(NULLIF(")
        for part in parts:
            s.write(part) if isinstance(part, str) else s.print_node(part)
        s.write(", '') AS INTEGER)")
        return True
    ind = node.indirection
    if s.type_of(node.arg)[0] == T.JSONB:
        for _ in ind:
            s.write("pg_json_get(")
        s.print_node(node.arg)
        for i in ind:
            s.write(", ")
            s.print_node(i.uidx)
            s.write(", 1)")
        return True
    if len(ind) == 1 and isinstance(ind[0], ast.A_Indices) and not ind[0].is_slice:
        s.call("pg_array_get", node.arg, ind[0].uidx)
        return True
    if all(isinstance(i, ast.A_Indices) and not i.is_slice for i in ind):
        s.call("pg_array_subscript", node.arg, *(i.uidx for i in ind))
        return True
    # With one slice every subscript is a slice: a[2][1:2] is a[1:2][1:2].
    bounds: list[Any] = []
    for i in ind:
        if not isinstance(i, ast.A_Indices):
            raise FeatureNotSupported("field selection is not supported")
        bounds += [i.lidx if i.lidx is not None else ("NULL" if i.is_slice else "1"),
                   i.uidx if i.uidx is not None else "NULL"]
    s.call("pg_array_slice", node.arg, *bounds)
    return True


def _p_minmax(s: SqliteStream, node: ast.MinMaxExpr) -> bool:
    fn = "pg_greatest" if node.op == enums.MinMaxOp.IS_GREATEST else "pg_least"
    if _is_numeric(s.type_of(node)):
        fn = fn.replace("pg_", "pg_num_")
    elif s.type_of(node)[0] == T.INTERVAL:
        fn = fn.replace("pg_", "pg_dt_interval_")  # by value: '1 day' > '23:00:00'
    elif s.type_of(node)[0] in (T.FLOAT4, T.FLOAT8):
        fn = fn.replace("pg_", "pg_float_")  # a stored NaN is text, above every number
    s.call(fn, *node.args)
    return True


def _p_boolean_test(s: SqliteStream, node: ast.BooleanTest) -> bool:
    B = enums.BoolTestType
    s.write("(")
    s.print_node(node.arg)
    s.write(
        {
            B.IS_TRUE: " IS 1",
            B.IS_NOT_TRUE: " IS NOT 1",
            B.IS_FALSE: " IS 0",
            B.IS_NOT_FALSE: " IS NOT 0",
            B.IS_UNKNOWN: " IS NULL",
            B.IS_NOT_UNKNOWN: " IS NOT NULL",
        }[node.booltesttype]
    )
    s.write(")")
    return True
