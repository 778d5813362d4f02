"""Result types of functions and operators, and the errors for calls that have none.

``FIXED_RESULT`` (functions whose type does not depend on their arguments), ``SAME_AS_ARG``
(functions returning their arguments' common type), ``SQLITE_SAME`` (functions SQLite spells the
same way), ``AGGREGATES``, ``SQL_VALUE_FUNCTIONS`` (CURRENT_DATE and friends), and the rules
PostgreSQL applies to a CASE/UNION's common type (``_common_type``) and to arithmetic
(``_arith_type``). Pure data and pure functions: no analyser state.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pglast import enums

from pgha.storage import oids as T
from pgha.storage import types as pgtypes
from pgha.storage.columns import TypeRef
from pgha.storage.functions.maths import REGRESSIONS
from pgha.storage.translate import datetimes
from pgha.storage.translate.scope import _pos
from pgha.wire.errors import DatatypeMismatch, PgError, UndefinedFunction

UNKNOWN: TypeRef = (T.UNKNOWN, -1)


# Result types of functions whose type does not depend on their arguments.
FIXED_RESULT: dict[str, TypeRef] = {
    "count": (T.INT8, -1),
    "row_number": (T.INT8, -1),
    "rank": (T.INT8, -1),
    "dense_rank": (T.INT8, -1),
    "ntile": (T.INT4, -1),
    "percent_rank": (T.FLOAT8, -1),
    "cume_dist": (T.FLOAT8, -1),
    "length": (T.INT4, -1),
    "char_length": (T.INT4, -1),
    "character_length": (T.INT4, -1),
    "octet_length": (T.INT4, -1),
    "strpos": (T.INT4, -1),
    "position": (T.INT4, -1),
    "lower": (T.TEXT, -1),
    "upper": (T.TEXT, -1),
    "initcap": (T.TEXT, -1),
    "btrim": (T.TEXT, -1),
    "ltrim": (T.TEXT, -1),
    "rtrim": (T.TEXT, -1),
    "substring": (T.TEXT, -1),
    "substr": (T.TEXT, -1),
    "replace": (T.TEXT, -1),
    "concat": (T.TEXT, -1),
    "concat_ws": (T.TEXT, -1),
    "left": (T.TEXT, -1),
    "right": (T.TEXT, -1),
    "lpad": (T.TEXT, -1),
    "rpad": (T.TEXT, -1),
    "repeat": (T.TEXT, -1),
    "reverse": (T.TEXT, -1),
    "split_part": (T.TEXT, -1),
    "md5": (T.TEXT, -1),
    "string_agg": (T.TEXT, -1),
    "to_char": (T.TEXT, -1),
    "to_number": (T.NUMERIC, -1),
    "quote_ident": (T.TEXT, -1),
    "quote_literal": (T.TEXT, -1),
    "format": (T.TEXT, -1),
    "chr": (T.TEXT, -1),
    "ascii": (T.INT4, -1),
    "now": (T.TIMESTAMPTZ, -1),
    "statement_timestamp": (T.TIMESTAMPTZ, -1),
    "transaction_timestamp": (T.TIMESTAMPTZ, -1),
    "clock_timestamp": (T.TIMESTAMPTZ, -1),
    "timeofday": (T.TEXT, -1),
    "age": (T.INTERVAL, -1),
    "date_part": (T.FLOAT8, -1),
    "div": (T.NUMERIC, -1),
    "scale": (T.INT4, -1),
    "trim_scale": (T.NUMERIC, -1),
    "min_scale": (T.INT4, -1),
    **{name: (T.FLOAT8, -1) for name in REGRESSIONS if name != "regr_count"},
    "regr_count": (T.INT8, -1),
    "extract": (T.NUMERIC, -1),
    "to_timestamp": (T.TIMESTAMPTZ, -1),
    "to_date": (T.DATE, -1),
    "make_date": (T.DATE, -1),
    "random": (T.FLOAT8, -1),
    "pi": (T.FLOAT8, -1),
    "sqrt": (T.FLOAT8, -1),
    "power": (T.FLOAT8, -1),
    "pow": (T.FLOAT8, -1),
    "exp": (T.FLOAT8, -1),
    "ln": (T.FLOAT8, -1),
    "log": (T.FLOAT8, -1),
    "gen_random_uuid": (T.UUID, -1),
    "nextval": (T.INT8, -1),
    "currval": (T.INT8, -1),
    "setval": (T.INT8, -1),
    "lastval": (T.INT8, -1),
    "version": (T.TEXT, -1),
    "current_database": (T.NAME, -1),
    "current_schema": (T.NAME, -1),
    "current_user": (T.NAME, -1),
    "session_user": (T.NAME, -1),
    "current_setting": (T.TEXT, -1),
    "set_config": (T.TEXT, -1),
    "pg_backend_pid": (T.INT4, -1),
    "pg_postmaster_start_time": (T.TIMESTAMPTZ, -1),
    "bool_and": (T.BOOL, -1),
    "bool_or": (T.BOOL, -1),
    "every": (T.BOOL, -1),
    "pg_advisory_lock": (T.VOID, -1),
    "pg_advisory_unlock": (T.BOOL, -1),
    "pg_advisory_unlock_all": (T.VOID, -1),
    "pg_try_advisory_lock": (T.BOOL, -1),
    "pg_sleep": (T.VOID, -1),
    "pg_notify": (T.VOID, -1),
    "pg_promote": (T.BOOL, -1),
    "pgha_force_promote": (T.BOOL, -1),
    "pg_is_in_recovery": (T.BOOL, -1),
    "to_regtype": (T.REGTYPE, -1),
    "to_regclass": (T.REGCLASS, -1),
    "to_regproc": (T.REGPROC, -1),
    "to_regprocedure": (T.REGPROCEDURE, -1),
    "format_type": (T.TEXT, -1),
    "pg_get_userbyid": (T.NAME, -1),
    "pg_table_is_visible": (T.BOOL, -1),
    "pg_type_is_visible": (T.BOOL, -1),
    "pg_operator_is_visible": (T.BOOL, -1),
    "pg_ts_config_is_visible": (T.BOOL, -1),
    "pg_ts_dict_is_visible": (T.BOOL, -1),
    "pg_ts_parser_is_visible": (T.BOOL, -1),
    "pg_ts_template_is_visible": (T.BOOL, -1),
    "pg_function_is_visible": (T.BOOL, -1),
    "pg_get_expr": (T.TEXT, -1),
    "pg_get_indexdef": (T.TEXT, -1),
    "pg_get_constraintdef": (T.TEXT, -1),
    "pg_get_serial_sequence": (T.TEXT, -1),
    "pg_encoding_to_char": (T.NAME, -1),
    "getdatabaseencoding": (T.NAME, -1),
    "pg_char_to_encoding": (T.INT4, -1),
    "pg_statistics_obj_is_visible": (T.BOOL, -1),
    "pg_get_function_sqlbody": (T.TEXT, -1),
    "obj_description": (T.TEXT, -1),
    "col_description": (T.TEXT, -1),
    "shobj_description": (T.TEXT, -1),
    "pg_size_pretty": (T.TEXT, -1),
    "pg_table_size": (T.INT8, -1),
    "pg_indexes_size": (T.INT8, -1),
    "pg_total_relation_size": (T.INT8, -1),
    "pg_relation_size": (T.INT8, -1),
    "pg_database_size": (T.INT8, -1),
    "has_table_privilege": (T.BOOL, -1),
    "has_schema_privilege": (T.BOOL, -1),
    "has_database_privilege": (T.BOOL, -1),
    "pg_has_role": (T.BOOL, -1),
    "array_to_string": (T.TEXT, -1),
    "array_length": (T.INT4, -1),
    "array_upper": (T.INT4, -1),
    "array_lower": (T.INT4, -1),
    "cardinality": (T.INT4, -1),
    "array_position": (T.INT4, -1),
    "current_schemas": (T.NAME_ARRAY, -1),
    "json_build_object": (T.JSON, -1),
    "json_build_array": (T.JSON, -1),
    "jsonb_build_object": (T.JSONB, -1),
    "jsonb_build_array": (T.JSONB, -1),
    "json_agg": (T.JSON, -1),
    "jsonb_agg": (T.JSONB, -1),
    "json_object_agg": (T.JSON, -1),
    "jsonb_object_agg": (T.JSONB, -1),
    "to_json": (T.JSON, -1),
    "to_jsonb": (T.JSONB, -1),
    "json_typeof": (T.TEXT, -1),
    "jsonb_typeof": (T.TEXT, -1),
    "jsonb_pretty": (T.TEXT, -1),
    "json_array_length": (T.INT4, -1),
    "jsonb_array_length": (T.INT4, -1),
    "json_extract_path": (T.JSON, -1),
    "json_extract_path_text": (T.TEXT, -1),
    "jsonb_extract_path": (T.JSONB, -1),
    "jsonb_extract_path_text": (T.TEXT, -1),
    "jsonb_set": (T.JSONB, -1),
    "jsonb_set_lax": (T.JSONB, -1),
    "jsonb_insert": (T.JSONB, -1),
    "json_strip_nulls": (T.JSON, -1),
    "jsonb_strip_nulls": (T.JSONB, -1),
    "array_to_json": (T.JSON, -1),
    "row_to_json": (T.JSON, -1),
    "json_object": (T.JSON, -1),
    "jsonb_object": (T.JSONB, -1),
    "jsonb_path_exists": (T.BOOL, -1),
    "jsonb_path_match": (T.BOOL, -1),
    "jsonb_path_query_first": (T.JSONB, -1),
    "jsonb_path_query_array": (T.JSONB, -1),
    "regexp_replace": (T.TEXT, -1),
    "like_escape": (T.TEXT, -1),
    "regexp_match": (T.TEXT_ARRAY, -1),
    "regexp_split_to_array": (T.TEXT_ARRAY, -1),
    "regexp_count": (T.INT4, -1),
    "regexp_substr": (T.TEXT, -1),
    "similar_to_escape": (T.TEXT, -1),
    "translate": (T.TEXT, -1),
    "encode": (T.TEXT, -1),
    "decode": (T.BYTEA, -1),
    "sign": (T.NUMERIC, -1),
    "pg_current_wal_lsn": (T.TEXT, -1),
    "pg_last_wal_replay_lsn": (T.TEXT, -1),
    "pg_typeof": (T.REGTYPE, -1),
    "degrees": (T.FLOAT8, -1),
    "radians": (T.FLOAT8, -1),
    "sin": (T.FLOAT8, -1),
    "cos": (T.FLOAT8, -1),
    "tan": (T.FLOAT8, -1),
    "asin": (T.FLOAT8, -1),
    "acos": (T.FLOAT8, -1),
    "atan": (T.FLOAT8, -1),
    "atan2": (T.FLOAT8, -1),
    "log10": (T.FLOAT8, -1),
    "cbrt": (T.FLOAT8, -1),
    "width_bucket": (T.INT4, -1),
    "string_to_array": (T.TEXT_ARRAY, -1),
    "pg_get_viewdef": (T.TEXT, -1),
    # Objects pgha does not have (extended statistics, triggers, rules, user functions):
    # psql's \\d and \\df ask for their definitions, of no rows or as NULL.
    "pg_get_statisticsobjdef_columns": (T.TEXT, -1),
    "pg_get_triggerdef": (T.TEXT, -1),
    "pg_get_ruledef": (T.TEXT, -1),
    "pg_get_function_result": (T.TEXT, -1),
    "pg_get_function_arguments": (T.TEXT, -1),
    "pg_get_function_identity_arguments": (T.TEXT, -1),
    "pg_get_functiondef": (T.TEXT, -1),
    "pg_tablespace_location": (T.TEXT, -1),
    "pg_collation_is_visible": (T.BOOL, -1),
    "pg_conversion_is_visible": (T.BOOL, -1),
    "pg_opclass_is_visible": (T.BOOL, -1),
    "pg_opfamily_is_visible": (T.BOOL, -1),
    "has_column_privilege": (T.BOOL, -1),
    "has_sequence_privilege": (T.BOOL, -1),
    "has_function_privilege": (T.BOOL, -1),
    "has_any_column_privilege": (T.BOOL, -1),
    "pg_relation_is_publishable": (T.BOOL, -1),
    "uuid_generate_v4": (T.UUID, -1),
    "to_hex": (T.TEXT, -1),
    "quote_nullable": (T.TEXT, -1),
    "starts_with": (T.BOOL, -1),
    "bit_length": (T.INT4, -1),
    "sha224": (T.BYTEA, -1),
    "sha256": (T.BYTEA, -1),
    "sha384": (T.BYTEA, -1),
    "sha512": (T.BYTEA, -1),
    "get_byte": (T.INT4, -1),
    "set_byte": (T.BYTEA, -1),
    "convert_to": (T.BYTEA, -1),
    "convert_from": (T.TEXT, -1),
    "overlay": (T.TEXT, -1),
    "regexp_instr": (T.INT4, -1),
    "regexp_like": (T.BOOL, -1),
    "array_dims": (T.TEXT, -1),
    "array_ndims": (T.INT4, -1),
    "array_positions": (T.INT4_ARRAY, -1),
    "inet_server_port": (T.INT4, -1),
    "pg_regexp_matches": (T.TEXT_ARRAY, -1),  # a list of text[], unnested (regexp_matches)
}

# Functions of text that have a bytea form returning bytea (substring(bytea FROM 2)).
BYTEA_FORMS = frozenset({"substring", "substr", "btrim", "ltrim", "rtrim", "overlay",
                         "string_agg"})

# Functions returning the (common) type of their arguments.
SAME_AS_ARG = frozenset(
    {
        "min",
        "max",
        "abs",
        "coalesce",
        "greatest",
        "least",
        "nullif",
        "first_value",
        "last_value",
        "lag",
        "lead",
        "nth_value",
        "ceil",
        "ceiling",
        "floor",
        "trunc",
        "round",
        "mod",
        "date_trunc",
        "any_value",
    }
)

# PostgreSQL name -> SQLite function name, for functions whose semantics match.
SQLITE_SAME: dict[str, str] = {
    "lower": "lower",
    "upper": "upper",
    "length": "length",
    "char_length": "length",
    "character_length": "length",
    "abs": "abs",
    "coalesce": "coalesce",
    "nullif": "nullif",
    "min": "min",
    "max": "max",
    "count": "count",
    "sum": "sum",
    "replace": "replace",
    "substr": "substr",
    "substring": "substr",
    "btrim": "trim",
    "ltrim": "ltrim",
    "rtrim": "rtrim",
    "strpos": "instr",
    "position": "instr",  # position(b IN a) parses as position(a, b)
    "scale": "pg_num_scale",
    "random": "random_float",
    "ceil": "ceil",
    "ceiling": "ceil",
    "floor": "floor",
    "sqrt": "sqrt",
    "power": "pow",
    "pow": "pow",
    "exp": "exp",
    "ln": "ln",
    "mod": "pg_mod",
    "row_number": "row_number",
    "rank": "rank",
    "dense_rank": "dense_rank",
    "ntile": "ntile",
    "percent_rank": "percent_rank",
    "cume_dist": "cume_dist",
    "lag": "lag",
    "lead": "lead",
    "first_value": "first_value",
    "last_value": "last_value",
    "nth_value": "nth_value",
    "string_agg": "group_concat",
    "array_agg": "json_group_array",
    "bool_and": "pg_bool_and",
    "bool_or": "pg_bool_or",
    "every": "pg_bool_and",
    "any_value": "min",
}

AGGREGATES = frozenset(
    {
        "count",
        "sum",
        "avg",
        "min",
        "max",
        "string_agg",
        "array_agg",
        "json_agg",
        "jsonb_agg",
        "bool_and",
        "bool_or",
        "every",
        "json_object_agg",
        "jsonb_object_agg",
        "stddev",
        "variance",
        "stddev_pop",
        "stddev_samp",
        "var_pop",
        "var_samp",
        "any_value",
        "bit_and",
        "bit_or",
        "bit_xor",
        "percentile_cont",
        "percentile_disc",
        "mode",
        *REGRESSIONS,
    }
)

COMPARISON_OPS = frozenset({"=", "<>", "!=", "<", ">", "<=", ">="})


def _common_type(types: Sequence[TypeRef], context: str = "CASE") -> TypeRef:
    """PostgreSQL's UNION/CASE/COALESCE type resolution, simplified to the types pgha knows."""
    known = [t for t in types if t[0] != T.UNKNOWN]
    if not known:
        return (T.TEXT, -1)
    first = known[0]
    if all(t[0] == first[0] for t in known):
        return first if all(t == first for t in known) else (first[0], -1)
    if all(t[0] in T.NUMERIC_RANK for t in known):
        return (max((t[0] for t in known), key=T.NUMERIC_RANK.__getitem__), -1)
    if all(t[0] in T.TEXT_LIKE for t in known):
        return (T.TEXT, -1)
    categories = {"n" if t[0] in T.NUMERIC_RANK else "s" if t[0] in T.TEXT_LIKE else "o"
                  for t in known}
    if {"n", "s"} <= categories:
        a = next(t for t in known if t[0] in T.TEXT_LIKE)
        b = next(t for t in known if t[0] in T.NUMERIC_RANK)
        raise DatatypeMismatch(f"{context} types {_type_display(a)} and {_type_display(b)} "
                               "cannot be matched")
    if {t[0] for t in known} <= {T.TIMESTAMP, T.TIMESTAMPTZ, T.DATE}:
        return (
            (T.TIMESTAMPTZ, -1) if any(t[0] == T.TIMESTAMPTZ for t in known) else (T.TIMESTAMP, -1)
        )
    return first


def _arith_type(op: str, left: TypeRef, right: TypeRef) -> TypeRef:
    lo, ro = left[0], right[0]
    if lo == T.UNKNOWN:
        lo = ro
    if ro == T.UNKNOWN:
        ro = lo
    datetime_result = datetimes.arith_type(op, lo, ro)
    if datetime_result is not None:
        return datetime_result
    if T.FLOAT4 in (lo, ro) and lo != ro and lo in T.NUMERIC_RANK and ro in T.NUMERIC_RANK:
        # float4 meets another number: the float48/float84 operators (or float8's, the
        # category's preferred type) win, so the result is float8; float4 op float4 is float4.
        return (T.FLOAT8, -1)
    if lo in T.NUMERIC_RANK and ro in T.NUMERIC_RANK:
        # int2 + int2 is int4 in PostgreSQL only through promotion of smallint operators
        # (int2 + int2 -> int2); keep the wider of the two.
        return (max((lo, ro), key=T.NUMERIC_RANK.__getitem__), -1)
    temporal = {lo, ro}
    if op == "-" and lo == ro == T.DATE:
        return (T.INT4, -1)
    if op == "-" and lo in (T.TIMESTAMP, T.TIMESTAMPTZ) and ro in (T.TIMESTAMP, T.TIMESTAMPTZ):
        return (T.INTERVAL, -1)
    if T.INTERVAL in temporal:
        if lo == ro == T.INTERVAL:
            return (T.INTERVAL, -1)
        other = lo if ro == T.INTERVAL else ro
        if other in T.NUMERIC_RANK:
            return (T.INTERVAL, -1)
        return (T.TIMESTAMP, -1) if other == T.DATE else (other, -1)
    if T.DATE in temporal and (lo in T.INTEGER_TYPES or ro in T.INTEGER_TYPES):
        return (T.DATE, -1)
    if lo in T.TEXT_LIKE or ro in T.TEXT_LIKE:
        raise UndefinedFunction(
            f"operator does not exist: {_type_display(left)} {op} "
            f"{_type_display(right)}",
            hint="No operator matches the given name and argument types. You might "
            "need to add explicit type casts.")
    return (lo, -1)


# Numbers that are not integers: no bitwise operators, no gcd/factorial/div of their own.
_INEXACT = frozenset({T.NUMERIC, T.FLOAT4, T.FLOAT8})


def _no_operator(op: str, left: TypeRef | None, right: TypeRef, node: Any) -> PgError:
    shown = f"{_type_display(left)} {op} " if left is not None else f"{op} "
    return UndefinedFunction(
        f"operator does not exist: {shown}{_type_display(right)}",
        hint="No operator matches the given name and argument types. You might "
        "need to add explicit type casts.", position=_pos(node))


def _no_function(name: str, types: Sequence[TypeRef], node: Any) -> PgError:
    return UndefinedFunction(
        f"function {name}({', '.join(_type_display(t) for t in types)}) "
        "does not exist", hint="No function matches the given name and argument "
        "types. You might need to add explicit type casts.", position=_pos(node))


def _power_type(types: Sequence[TypeRef]) -> TypeRef:
    """^, power(), sqrt(), exp(), ln(), log(): numeric when an argument is numeric and none
    is a float (numeric's is the only exact match then), else float8, the preferred type."""
    kinds = {t[0] for t in types}
    if T.NUMERIC in kinds and not kinds & {T.FLOAT4, T.FLOAT8}:
        return (T.NUMERIC, -1)
    return (T.FLOAT8, -1)


SVF = enums.SQLValueFunctionOp
# SQLValueFunction op -> (column name, SQLite expression, type)
SQL_VALUE_FUNCTIONS: dict[Any, tuple[str, str, TypeRef]] = {
    SVF.SVFOP_CURRENT_DATE: ("current_date", "pg_current_date()", (T.DATE, -1)),
    SVF.SVFOP_CURRENT_TIME: ("current_time", "pg_current_time()", (T.TIME, -1)),
    SVF.SVFOP_CURRENT_TIME_N: ("current_time", "pg_current_time()", (T.TIME, -1)),
    SVF.SVFOP_CURRENT_TIMESTAMP: ("current_timestamp", "pg_now()", (T.TIMESTAMPTZ, -1)),
    SVF.SVFOP_CURRENT_TIMESTAMP_N: ("current_timestamp", "pg_now()", (T.TIMESTAMPTZ, -1)),
    SVF.SVFOP_LOCALTIME: ("localtime", "pg_current_time()", (T.TIME, -1)),
    SVF.SVFOP_LOCALTIME_N: ("localtime", "pg_current_time()", (T.TIME, -1)),
    SVF.SVFOP_LOCALTIMESTAMP: ("localtimestamp", "pg_localtimestamp()", (T.TIMESTAMP, -1)),
    SVF.SVFOP_LOCALTIMESTAMP_N: ("localtimestamp", "pg_localtimestamp()", (T.TIMESTAMP, -1)),
    SVF.SVFOP_CURRENT_ROLE: ("current_role", "current_user()", (T.NAME, -1)),
    SVF.SVFOP_CURRENT_USER: ("current_user", "current_user()", (T.NAME, -1)),
    SVF.SVFOP_USER: ("current_user", "current_user()", (T.NAME, -1)),
    SVF.SVFOP_SESSION_USER: ("session_user", "session_user()", (T.NAME, -1)),
    SVF.SVFOP_CURRENT_CATALOG: ("current_catalog", "current_database()", (T.NAME, -1)),
    SVF.SVFOP_CURRENT_SCHEMA: ("current_schema", "current_schema()", (T.NAME, -1)),
}


def _type_display(t: TypeRef) -> str:
    if t[0] == T.UNKNOWN:
        return "unknown"
    pgtype = pgtypes.TYPES_BY_OID.get(t[0])
    return pgtypes.format_type(t[0], -1) if pgtype else str(t[0])
