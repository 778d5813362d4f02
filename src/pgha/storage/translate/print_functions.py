"""Printers for function calls: aggregates (with their ORDER BY and
FILTER), text/array and json functions, numeric functions and SQL value functions.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from pglast import ast, enums

from pgha.storage import oids as T
from pgha.storage.functions.maths import REGRESSIONS
from pgha.storage.translate import datetimes
from pgha.storage.translate.print_values import (
    _STORED_OTHERWISE,
    _is_numeric,
    _p_cast,
    _print_as_text,
    sql_literal,
)
from pgha.storage.translate.scope import _func_name, _q
from pgha.storage.translate.signatures import AGGREGATES, SQL_VALUE_FUNCTIONS, SQLITE_SAME
from pgha.wire.errors import FeatureNotSupported, UndefinedFunction

if TYPE_CHECKING:
    from pgha.storage.translate.stream import SqliteStream


# Functions of text arguments: a char(n) argument loses its trailing blanks on the way in.
TEXT_ARGUMENTS = frozenset({"repeat", "left", "right", "reverse", "lpad", "rpad", "replace",
                            "split_part", "upper", "lower", "initcap", "strpos", "substr",
                            "substring", "btrim", "ltrim", "rtrim", "starts_with", "md5",
                            "translate", "regexp_replace", "regexp_match", "regexp_like",
                            "ascii", "quote_ident", "bit_length"})


def _p_text_array_func(s: SqliteStream, node: ast.FuncCall, name: str, args: list[Any]) -> bool:
    """String, bytea and array functions whose SQLite form depends on argument types."""
    types = [s.type_of(a)[0] for a in args]
    if node.func_variadic and name in ("concat", "concat_ws"):
        s.call("pg_variadic_" + name, *args)
        return True
    if name == "to_hex" and types == [T.INT8]:
        s.call("pg_to_hex8", *args)
        return True
    if name in ("btrim", "ltrim", "rtrim") and types[:1] == [T.BYTEA]:
        s.call("pg_bytea_trim", sql_literal(name[0]), *args)
        return True
    if name == "substring" and len(args) in (2, 3) and types[1] in T.TEXT_LIKE:
        s.call("pg_substring_regex" if len(args) == 2 else "pg_substring_similar", *args)
        return True
    if name == "string_agg" and node.over is None:
        if node.agg_distinct:
            node.agg_distinct = False  # the DISTINCT goes on the pair
            s.write("pg_string_agg_pair(DISTINCT json_array(")
            _print_as_text(s, args[0])
            s.write(", ")
            s.print_node(args[1])
            s.write(")")
            _print_agg_order(s, node)
            s.write(")")
            _print_agg_filter(s, node)
            return True
        if types[:1] == [T.BYTEA]:
            return _agg(s, node, "pg_string_agg")
        return False
    if name == "array_agg" and node.over is None:
        s.write("nullif(")  # array_agg of no rows is NULL, json_group_array's is []
        _agg(s, node, "json_group_array")
        s.write(", '[]')")
        return True
    if name in ("format", "concat", "concat_ws") and any(
            t in T.ELEMENT_OF or t in _STORED_OTHERWISE for t in types):
        s.write(f"{name}(")
        for i, a in enumerate(args):
            s.write(", " if i else "")
            if types[i] == T.BOOL:  # the output function's t/f, not the cast's true/false
                s.write("(CASE ")
                s.print_node(a)
                s.write(" WHEN 0 THEN 'f' WHEN 1 THEN 't' END)")
            elif types[i] in T.ELEMENT_OF or types[i] in _STORED_OTHERWISE:
                s.call("pg_cast", a, str(types[i]), str(T.TEXT), "-1")
            else:
                s.print_node(a)
        s.write(")")
        return True
    if name in TEXT_ARGUMENTS and T.BPCHAR in types:
        s.write(f"{SQLITE_SAME.get(name, name)}(")
        for i, a in enumerate(args):
            s.write(", " if i else "")
            _print_as_text(s, a)
        s.write(")")
        return True
    return False


def _p_func(s: SqliteStream, node: ast.FuncCall) -> bool:
    cast = s.an.function_casts.get(id(node))
    if cast is not None and cast[0] is node:
        return _p_cast(s, cast[1])
    name = _func_name(node)
    args = list(node.args or ())
    if _p_text_array_func(s, node, name, args):
        return True
    if name in ("length", "char_length", "character_length") and len(args) == 1 and \
            s.type_of(args[0])[0] == T.BPCHAR:
        s.write("length(")
        _print_as_text(s, args[0])  # char(n): its length without the trailing blanks
        s.write(")")
        return True
    if name == "make_interval":
        datetimes.print_make_interval(s, args)
        return True
    if datetimes.print_func(s, name, args):
        return True
    if name == "pg_typeof":
        # The argument's type is known now. coalesce() keeps the argument in the SQL so its
        # parameters stay bound, without evaluating it.
        s.write(f"coalesce({s.type_of(args[0])[0] if args else T.UNKNOWN}, ")
        s.print_node(args[0])
        s.write(")")
        return True
    numeric_result = _is_numeric(s.type_of(node))
    if name in ("sum", "avg") and s.type_of(node)[0] == T.INTERVAL:
        return _agg(s, node, "pg_dt_interval_" + name)
    if name in ("sum", "avg") and numeric_result:
        return _agg(s, node, "pg_num_" + name)
    window = "_window" if node.over is not None else ""  # the variant that keeps its rows
    if name in STAT_AGGREGATES and numeric_result:
        return _agg(s, node, "pg_num_" + name + window)  # exact, with numeric's digits
    if name in STAT_AGGREGATES or name in ("bit_and", "bit_or", "bit_xor") or \
            name in REGRESSIONS:
        return _agg(s, node, name + window)
    if node.agg_within_group and name in ("percentile_cont", "percentile_disc", "mode"):
        if node.over is not None or node.agg_distinct or len(args) > 1:
            raise FeatureNotSupported(f"this form of {name}() is not supported")
        order = node.agg_order[0]
        descending = str(int(order.sortby_dir == enums.SortByDir.SORTBY_DESC))
        fraction = args[0] if args else "NULL"
        oid = str(s.type_of(order.node)[0])
        s.call("pg_mode" if name == "mode" else "pg_" + name, fraction, descending, oid,
               order.node)
        _print_agg_filter(s, node)
        return True
    floating = s.type_of(node)[0] in (T.FLOAT4, T.FLOAT8)
    if name in ("bool_and", "bool_or", "every") and node.over is not None:
        return _agg(s, node, "pg_bool_or_window" if name == "bool_or" else "pg_bool_and_window")
    if name == "width_bucket" and len(args) == 2:
        s.call("pg_width_bucket_array", *args)
        return True
    if name in ("sum", "avg") and floating and (args and s.type_of(args[0])[0] in (
            T.FLOAT4, T.FLOAT8)):
        # added one by one as float8pl does (SQLite's sum() compensates rounding errors)
        kind = "sum4" if name == "sum" and s.type_of(node)[0] == T.FLOAT4 else name
        return _agg(s, node, "pg_float_" + kind + window)
    if name in ("ceil", "ceiling", "floor", "sign") and floating and args and \
            s.type_of(args[0])[0] in (T.FLOAT4, T.FLOAT8):
        s.call("pg_float_" + ("ceil" if name == "ceiling" else name), *args)  # NaN stays NaN
        return True
    if name == "abs" and s.type_of(node)[0] == T.INT8:
        s.call("pg_int8_abs", *args)
        return True
    if name == "abs" and floating:
        s.call("pg_float_abs", *args)
        return True
    if name == "log" and len(args) == 1 and s.type_of(node)[0] == T.FLOAT8:
        s.call("pg_float_log10", *args)
        return True
    if name == "avg":
        return False if s.type_of(node)[0] == T.FLOAT8 else _agg(s, node, "avg")
    if name in JSON_CALLS:
        return _print_json_call(s, node, name, args)
    if name in AGGREGATES:
        return _agg(s, node, SQLITE_SAME.get(name, name))
    if name == "to_char" and len(args) == 2 and s.type_of(args[0])[0] in T.NUMERIC_RANK:
        s.call("pg_to_char_number", *args)
        return True
    if name == "to_char" and len(args) == 2 and s.type_of(args[0])[0] == T.TIMESTAMPTZ:
        s.call("pg_to_char_tz", *args)  # printed in the session's TimeZone
        return True
    if numeric_result and name in NUMERIC_FUNCTIONS:
        s.call(NUMERIC_FUNCTIONS[name], *args)
        return True
    if name in ("greatest", "least"):
        s.call("pg_" + name, *args)
        return True
    if name in ("round", "trunc") and len(args) == 1:
        floating = s.type_of(node)[0] in (T.FLOAT4, T.FLOAT8)
        s.call(("pg_float_" if floating else "pg_") + name, args[0], "0")
        return True
    if node.over is not None or name not in SQLITE_SAME:
        if node.over is not None and name in SQLITE_SAME:
            return _agg(s, node, SQLITE_SAME[name])
        if node.over is not None:
            return _agg(s, node, name)
        s.call(name, *args)
        return True
    s.call(SQLITE_SAME[name], *args)
    return True


def _agg(s: SqliteStream, node: ast.FuncCall, fn: str) -> bool:
    s.write(fn + "(")
    if node.agg_star:
        s.write("*")
    else:
        if node.agg_distinct:
            s.write("DISTINCT ")
        for i, a in enumerate(node.args or ()):
            if i:
                s.write(", ")
            s.print_node(a)
            if fn in ("min", "max") and _is_numeric(s.type_of(a)):
                s.write(" COLLATE pg_numeric")  # min()/max() compare with the collation
            if fn in ("min", "max"):
                s.write(datetimes.sort_collation(s.type_of(a)[0]))
        _print_agg_order(s, node)
    s.write(")")
    _print_agg_filter(s, node)
    if node.over is not None:
        s.write(" OVER ")
        s.print_node(node.over)
    return True


# json functions whose arguments travel with their type OIDs (see functions/jsonb.py) or that print
# under another name; their calls are printed by _print_json_call.
JSON_TYPED_ARGS = {
    "json_build_object": "pg_json_build_object",
    "jsonb_build_object": "pg_jsonb_build_object",
    "json_build_array": "pg_json_build_array",
    "jsonb_build_array": "pg_jsonb_build_array",
    "to_json": "pg_to_json",
    "to_jsonb": "pg_to_jsonb",
    "array_to_json": "pg_to_json",
    "row_to_json": "pg_to_json",
}
JSON_RENAMED = {
    "json_typeof": "pg_json_typeof",
    "jsonb_typeof": "pg_json_typeof",
    "json_array_length": "pg_json_array_length",
    "jsonb_array_length": "pg_json_array_length",
    "json_extract_path": "pg_json_extract_path",
    "jsonb_extract_path": "pg_json_extract_path",
    "json_extract_path_text": "pg_json_extract_path_text",
    "jsonb_extract_path_text": "pg_json_extract_path_text",
    "json_object": "pg_json_object",
    "jsonb_object": "pg_jsonb_object",
}
JSON_AGGREGATES = frozenset({"json_agg", "jsonb_agg", "json_object_agg", "jsonb_object_agg"})
JSON_CALLS = frozenset({*JSON_TYPED_ARGS, *JSON_RENAMED, *JSON_AGGREGATES,
                        "json_strip_nulls", "jsonb_strip_nulls"})


def _print_typed(s: SqliteStream, fn: str, node: Any) -> None:
    """``fn(node, oid)``: a value with the type to_json needs to render it."""
    s.write(fn + "(")
    _print_json_arg(s, node)
    s.write(")")


def _print_json_arg(s: SqliteStream, node: Any) -> None:
    """A json function's argument and its type OID; a row (``t`` naming a FROM item, or
    ROW(...)) becomes the JSON object of its columns, as row_to_json makes it."""
    if isinstance(node, ast.ColumnRef) and id(node) in s.an.whole_rows:
        entry = s.an.whole_rows[id(node)]
        fields = [(c.name, f"{_q(entry.alias)}.{_q(c.name)}", c.type[0]) for c in entry.cols]
    elif isinstance(node, ast.RowExpr):
        fields = [(f"f{i}", a, s.type_of(a)[0]) for i, a in enumerate(node.args or (), 1)]
    else:
        t = s.type_of(node)[0]
        s.print_node(node)
        s.write(f", {T.TEXT if t == T.UNKNOWN else t}")
        return
    s.write("pg_json_row(" + sql_literal(json.dumps([f[0] for f in fields])))
    for _name, value, oid in fields:
        s.write(", ")
        if isinstance(value, str):
            s.write(value)
        else:
            s.print_node(value)
        s.write(f", {T.TEXT if oid == T.UNKNOWN else oid}")
    s.write(f"), {T.RECORD}")


def _print_json_call(s: SqliteStream, node: ast.FuncCall, name: str, args: list[Any]) -> bool:
    if name in JSON_RENAMED:
        s.call(JSON_RENAMED[name], *args)
    elif name in ("json_strip_nulls", "jsonb_strip_nulls"):
        s.call("pg_json_strip_nulls", *args, str(int(name.startswith("jsonb"))))
    elif name in JSON_TYPED_ARGS:
        s.write(JSON_TYPED_ARGS[name] + "(")
        for i, a in enumerate(args):
            s.write(", " if i else "")
            _print_json_arg(s, a)
        s.write(")")
    else:
        s.write(f"pg_{name}(")
        if node.agg_distinct:
            s.write("DISTINCT ")
        if name.endswith("object_agg"):
            if len(args) != 2:
                raise UndefinedFunction(f"function {name} does not exist")
            _print_typed(s, "pg_json_key", args[0])
            s.write(", ")
            _print_typed(s, "pg_json_value", args[1])
        else:
            _print_typed(s, "pg_json_agg_input", args[0])
        _print_agg_order(s, node)
        s.write(")")
        _print_agg_filter(s, node)
        if node.over is not None:
            s.write(" OVER ")
            s.print_node(node.over)
    return True


# Functions whose PostgreSQL result type is numeric, by their exact implementations.
NUMERIC_FUNCTIONS = {
    "abs": "pg_num_abs",
    "round": "pg_num_round",
    "trunc": "pg_num_trunc",
    "ceil": "pg_num_ceil",
    "ceiling": "pg_num_ceil",
    "floor": "pg_num_floor",
    "sign": "pg_num_sign",
    "mod": "pg_num_mod",
    "div": "pg_num_div_trunc",
    "trim_scale": "pg_num_trim_scale",
    "sqrt": "pg_num_sqrt",
    "exp": "pg_num_exp",
    "ln": "pg_num_ln",
    "log": "pg_num_log",
    "log10": "pg_num_log",
    "power": "pg_num_power",
    "pow": "pg_num_power",
    "gcd": "gcd",
    "lcm": "lcm",
    "greatest": "pg_num_greatest",
    "least": "pg_num_least",
}
STAT_AGGREGATES = frozenset(
    {"stddev", "variance", "stddev_pop", "stddev_samp", "var_pop", "var_samp"})


def _p_svf(s: SqliteStream, node: ast.SQLValueFunction) -> bool:
    entry = SQL_VALUE_FUNCTIONS.get(node.op)
    if entry is None:
        raise FeatureNotSupported("this SQL value function is not supported")
    s.write(entry[1])
    return True


def _print_agg_order(s: SqliteStream, node: ast.FuncCall) -> None:
    """An aggregate's ``ORDER BY ...`` inside its parentheses, if it has one."""
    if node.agg_order:
        s.write(" ORDER BY ")
        for i, so in enumerate(node.agg_order):
            s.write(", " if i else "")
            s.print_node(so)


def _print_agg_filter(s: SqliteStream, node: ast.FuncCall) -> None:
    """An aggregate's ``FILTER (WHERE ...)``, if it has one."""
    if node.agg_filter is not None:
        s.write(" FILTER (WHERE ")
        s.print_node(node.agg_filter)
        s.write(")")
