"""PostgreSQL DML and queries -> SQLite SQL, with PostgreSQL's result and parameter types.

A statement goes through two passes over pglast's AST:

1. ``Analyzer`` resolves names against the catalog (raising 42P01/42703 as PostgreSQL does),
   infers the PostgreSQL type of every expression, names result columns as PostgreSQL's
   FigureColname does, infers parameter types from context (asyncpg relies on this), expands
   column defaults for INSERT, and decides how each node must be rewritten.
2. ``SqliteStream`` (a pglast ``RawStream``) prints SQLite SQL; it overrides only the nodes
   whose SQLite spelling or semantics differ (casts, parameters, operators, functions, ...).

The result is a ``Translation``: cached by the engine per statement text, so neither pass runs
on the hot path.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from pglast import ast, enums, parse_sql
from pglast.stream import RawStream

from pgha.storage import functions, translate_datetime, write_ctes
from pgha.storage import oids as T
from pgha.storage import types as pgtypes
from pgha.storage.catalog import FIRST_TEMP_OID, Catalog, Column, Table, View
from pgha.storage.catalog import Sequence as SequenceRel
from pgha.storage.functions import jsonb as fn_json
from pgha.storage.functions import text_array as fn_textarr
from pgha.storage.functions.maths import REGRESSIONS  # corr, covar_*, regr_*: float8 aggregates
from pgha.storage.types_number import numeric_text
from pgha.wire.errors import PgError

TypeRef = tuple[int, int]  # (type oid, typmod)
UNKNOWN: TypeRef = (T.UNKNOWN, -1)


@dataclass(frozen=True, slots=True)
class ResultColumn:
    name: str
    type_oid: int
    typmod: int = -1
    table_oid: int = 0
    attnum: int = 0


@dataclass(slots=True)
class Translation:
    sql: str
    columns: tuple[ResultColumn, ...] | None
    param_oids: list[int]
    command: str  # SELECT, INSERT, UPDATE, DELETE
    is_write: bool = False
    inline_ok: bool = False  # a read with no blocking function: may run on the event loop
    # The pg_catalog / information_schema tables this statement reads. They are per-session
    # tables filled from the schema on demand; a cached translation carries what it needs, so
    # running it from any cache fills them first (see ``Session._ensure_pg_catalog``).
    system_relations: frozenset[str] = frozenset()
    # How many parameters the SQL binds (its highest ?N). Fewer than param_oids when the
    # rewrite dropped the last ones (generate_subscripts' dimension): only these are bound.
    bind_count: int = 0
    # The data-modifying statements of a top-level WITH, run in order before ``sql`` (see
    # ``WriteStep``); ``sql`` reads their RETURNING rows from temporary tables.
    steps: tuple[WriteStep, ...] = ()


@dataclass(frozen=True, slots=True)
class WriteStep:
    """One data-modifying statement of a WITH (``WITH x AS (DELETE ... RETURNING ...)``).
    SQLite has no DML in a CTE: the session runs ``sql`` first and, when ``width`` > 0,
    keeps its RETURNING rows in the temporary table ``table`` (untyped columns c0..c<width-1>,
    so values stay as SQLite computed them) that later steps and the main statement read."""

    sql: str
    table: str
    width: int
    bind_count: int  # its highest ?N


@dataclass(slots=True)
class ColInfo:
    name: str
    type: TypeRef
    table_oid: int = 0
    attnum: int = 0


@dataclass(slots=True)
class RangeEntry:
    alias: str
    cols: list[ColInfo]
    table: Table | None = None


@dataclass(slots=True)
class Scope:
    entries: list[RangeEntry] = field(default_factory=list)
    parent: Scope | None = None
    ctes: dict[str, list[ColInfo]] = field(default_factory=dict)
    # output column names of the current SELECT, for ORDER BY/GROUP BY by alias
    outputs: list[ColInfo] = field(default_factory=list)

    def find_cte(self, name: str) -> list[ColInfo] | None:
        scope: Scope | None = self
        while scope is not None:
            if name in scope.ctes:
                return scope.ctes[name]
            scope = scope.parent
        return None


# A resolver for relations that are not user tables: (schema, name) -> columns, or None.
SystemRelations = Callable[[str | None, str], list[ColInfo] | None]


def _names(nodes: Sequence[Any] | None) -> list[str]:
    return [n.sval for n in nodes or () if isinstance(n, ast.String)]


def _func_name(node: ast.FuncCall) -> str:
    names = _names(node.funcname)
    return names[-1].lower()


def undefined_table(name: str, position: int | None = None) -> PgError:
    return PgError("42P01", f'relation "{name}" does not exist', position=position)


def _pos(node: Any) -> int | None:
    loc = getattr(node, "location", None)
    return loc + 1 if isinstance(loc, int) and loc >= 0 else None


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
    "format_type": (T.TEXT, -1),
    "pg_get_userbyid": (T.NAME, -1),
    "pg_table_is_visible": (T.BOOL, -1),
    "pg_type_is_visible": (T.BOOL, -1),
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
        raise PgError("42804", f"{context} types {_type_display(a)} and {_type_display(b)} "
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
    datetime_result = translate_datetime.arith_type(op, lo, ro)
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
        raise PgError("42883", f"operator does not exist: {_type_display(left)} {op} "
                      f"{_type_display(right)}",
                      hint="No operator matches the given name and argument types. You might "
                      "need to add explicit type casts.")
    return (lo, -1)


def _check_ungrouped(node: ast.SelectStmt, local: Scope) -> None:
    """An aggregate without GROUP BY makes one group: a column of this query's FROM used
    outside an aggregate is then 42803, as PostgreSQL's parseCheckAggregates() reports."""
    aggregates: list[Any] = []
    columns: list[ast.ColumnRef] = []
    for item in (*(t.val for t in node.targetList or ()), node.havingClause):
        _collect_ungrouped(item, aggregates, columns)
    if not aggregates:
        return
    for ref in columns:
        names = _names([f for f in ref.fields if not isinstance(f, ast.A_Star)])
        if any(isinstance(f, ast.A_Star) for f in ref.fields):
            if local.entries and (not names or any(e.alias == names[-1]
                                                   for e in local.entries)):
                name = f"{local.entries[0].alias}.{local.entries[0].cols[0].name}" \
                    if local.entries[0].cols else "*"
                raise _ungrouped(name, ref)
        elif Analyzer._lookup_in(local, names) is not None:
            entry = next((e for e in local.entries if any(c.name == names[-1] for c in e.cols)
                          and (len(names) < 2 or e.alias == names[-2])), None)
            raise _ungrouped(f"{entry.alias if entry else names[0]}.{names[-1]}", ref)


def _check_grouped(node: ast.SelectStmt, local: Scope) -> None:
    """With GROUP BY, a column of this query's FROM used outside an aggregate must be grouped,
    sit inside a grouped expression, or belong to a table whose primary key is grouped
    (PostgreSQL's functional dependency); else 42803. Anything unusual (grouping sets, a
    position or alias that does not resolve) skips the check rather than guess."""
    targets = node.targetList or ()
    grouped_text: set[str] = set()
    grouped_cols: set[int] = set()
    for g in node.groupClause or ():
        if isinstance(g, ast.A_Const) and isinstance(g.val, ast.Integer):
            if not 0 < g.val.ival <= len(targets):
                return
            g = targets[g.val.ival - 1].val
        elif isinstance(g, ast.ColumnRef) and _column_of(local, g) is None:
            alias = _names([f for f in g.fields if isinstance(f, ast.String)])[-1:]
            match = [t.val for t in targets if alias and t.name == alias[0]]
            if not match:
                return
            g = match[0]
        elif not isinstance(g, ast.ColumnRef | ast.A_Expr | ast.FuncCall | ast.TypeCast):
            return  # GROUPING SETS, ROLLUP, CUBE, ...
        grouped_text.add(_expression_text(g))
        if isinstance(g, ast.ColumnRef) and (col := _column_of(local, g)) is not None:
            grouped_cols.add(id(col))
    keyed = {id(e) for e in local.entries if e.table is not None and _key_grouped(e, grouped_cols)}
    for item in (*(t.val for t in targets), node.havingClause):
        _find_ungrouped(item, local, grouped_text, grouped_cols, keyed)


def _column_of(local: Scope, ref: ast.ColumnRef) -> ColInfo | None:
    if not all(isinstance(f, ast.String) for f in ref.fields):
        return None
    try:
        return Analyzer._lookup_in(local, _names(ref.fields))
    except PgError:
        return None


def _key_grouped(entry: RangeEntry, grouped_cols: set[int]) -> bool:
    pk = entry.table.primary_key() if entry.table is not None else None
    if pk is None or not pk.columns:
        return False
    by_name = {c.name: c for c in entry.cols}
    return all(name in by_name and id(by_name[name]) in grouped_cols for name in pk.columns)


def _expression_text(node: Any) -> str:
    try:
        return str(RawStream()(node))
    except Exception:  # pglast cannot print every fragment: it then matches nothing
        return f"<{id(node)}>"


def _find_ungrouped(node: Any, local: Scope, grouped_text: set[str], grouped_cols: set[int],
                    keyed: set[int]) -> None:
    if node is None or isinstance(node, ast.SubLink | ast.SelectStmt | ast.RangeSubselect):
        return
    if isinstance(node, ast.FuncCall) and node.over is None and _func_name(node) in AGGREGATES:
        return
    if isinstance(node, ast.ColumnRef):
        col = _column_of(local, node)
        if col is None or id(col) in grouped_cols:
            return
        entry = next((e for e in local.entries if any(c is col for c in e.cols)), None)
        if entry is None or id(entry) in keyed or _expression_text(node) in grouped_text:
            return
        raise _ungrouped(f"{entry.alias}.{col.name}", node)
    if isinstance(node, ast.Node):
        if grouped_text and _expression_text(node) in grouped_text:
            return
        for slot in type(node).__slots__:
            if slot != "location":
                _find_ungrouped(getattr(node, slot), local, grouped_text, grouped_cols, keyed)
    elif isinstance(node, list | tuple):
        for item in node:
            _find_ungrouped(item, local, grouped_text, grouped_cols, keyed)


def _ungrouped(name: str, ref: Any) -> PgError:
    return PgError("42803", f'column "{name}" must appear in the GROUP BY clause or be used in '
                   "an aggregate function", position=_pos(ref))


def _collect_ungrouped(node: Any, aggregates: list[Any], columns: list[ast.ColumnRef]) -> None:
    if isinstance(node, ast.SubLink | ast.SelectStmt | ast.RangeSubselect):
        return  # a subquery's columns are its own (outer references are allowed there)
    if isinstance(node, ast.FuncCall) and node.over is None and _func_name(node) in AGGREGATES:
        aggregates.append(node)
        return
    if isinstance(node, ast.ColumnRef):
        columns.append(node)
        return
    if isinstance(node, ast.Node):
        for slot in type(node).__slots__:
            _collect_ungrouped(getattr(node, slot), aggregates, columns)
    elif isinstance(node, list | tuple):
        for item in node:
            _collect_ungrouped(item, aggregates, columns)


# Numbers that are not integers: no bitwise operators, no gcd/factorial/div of their own.
_INEXACT = frozenset({T.NUMERIC, T.FLOAT4, T.FLOAT8})


def _no_operator(op: str, left: TypeRef | None, right: TypeRef, node: Any) -> PgError:
    shown = f"{_type_display(left)} {op} " if left is not None else f"{op} "
    return PgError("42883", f"operator does not exist: {shown}{_type_display(right)}",
                   hint="No operator matches the given name and argument types. You might "
                   "need to add explicit type casts.", position=_pos(node))


def _no_function(name: str, types: Sequence[TypeRef], node: Any) -> PgError:
    return PgError("42883", f"function {name}({', '.join(_type_display(t) for t in types)}) "
                   "does not exist", hint="No function matches the given name and argument "
                   "types. You might need to add explicit type casts.", position=_pos(node))


def _power_type(types: Sequence[TypeRef]) -> TypeRef:
    """^, power(), sqrt(), exp(), ln(), log(): numeric when an argument is numeric and none
    is a float (numeric's is the only exact match then), else float8, the preferred type."""
    kinds = {t[0] for t in types}
    if T.NUMERIC in kinds and not kinds & {T.FLOAT4, T.FLOAT8}:
        return (T.NUMERIC, -1)
    return (T.FLOAT8, -1)


def figure_colname(node: Any) -> str:
    """PostgreSQL's FigureColname: the name a result column gets without an alias."""
    name, _ = _figure(node)
    return name or "?column?"


def _figure(node: Any) -> tuple[str | None, int]:
    """(name, strength) as in PostgreSQL's FigureColnameInternal: 2 is a real name, 1 a type
    name that an outer cast may replace, 0 nothing."""
    if isinstance(node, ast.ColumnRef):
        last = node.fields[-1]
        return (last.sval, 2) if isinstance(last, ast.String) else (None, 0)
    if isinstance(node, ast.FuncCall):
        return _func_name(node), 2
    if isinstance(node, ast.TypeCast):
        name, strength = _figure(node.arg)
        if strength <= 1:
            names = _names(node.typeName.names)
            try:
                t, _ = pgtypes.resolve_type(names, [], [])
                name = t.name
            except PgError:
                name = names[-1]
            return name, 1  # '{1}'::int[] is int4, as FigureColname takes the type's name
        return name, strength
    if isinstance(node, ast.A_Indirection):
        for ind in reversed(node.indirection):
            if isinstance(ind, ast.String):
                return ind.sval, 2
        return _figure(node.arg)
    if isinstance(node, ast.A_Expr) and node.kind == enums.A_Expr_Kind.AEXPR_NULLIF:
        return "nullif", 2
    if isinstance(node, ast.CaseExpr):
        name, strength = _figure(node.defresult) if node.defresult is not None else (None, 0)
        return (name, strength) if strength > 1 else ("case", 1)
    if isinstance(node, ast.CoalesceExpr):
        return "coalesce", 2
    if isinstance(node, ast.MinMaxExpr):
        return ("greatest" if node.op == enums.MinMaxOp.IS_GREATEST else "least"), 2
    if isinstance(node, ast.A_ArrayExpr):
        return "array", 2
    if isinstance(node, ast.RowExpr):
        return "row", 2
    if isinstance(node, ast.SubLink):
        kind = node.subLinkType
        if kind == enums.SubLinkType.EXISTS_SUBLINK:
            return "exists", 2
        if kind == enums.SubLinkType.ARRAY_SUBLINK:
            return "array", 2
        if kind == enums.SubLinkType.EXPR_SUBLINK:
            targets = getattr(node.subselect, "targetList", None)
            if targets:
                target = targets[0]
                if target.name:
                    return target.name, 2
                return _figure(target.val)
        return None, 0
    if isinstance(node, ast.SQLValueFunction):
        return SQL_VALUE_FUNCTIONS.get(node.op, ("?column?", "", UNKNOWN))[0], 2
    if isinstance(node, ast.CollateClause):
        return _figure(node.arg)
    return None, 0


JSON_DOCUMENT_ARGS = frozenset({
    "json_typeof", "jsonb_typeof", "json_array_length", "jsonb_array_length", "jsonb_pretty",
    "json_extract_path", "jsonb_extract_path", "json_extract_path_text",
    "jsonb_extract_path_text", "jsonb_set", "jsonb_set_lax", "jsonb_insert",
    "json_strip_nulls", "jsonb_strip_nulls", "json_to_record", "jsonb_to_record",
    "json_to_recordset", "jsonb_to_recordset", "jsonb_path_exists", "jsonb_path_match",
    "jsonb_path_query", "jsonb_path_query_first", "jsonb_path_query_array",
    *fn_json.SRF_FUNCTIONS})

SRF_IN_SELECT = frozenset({"unnest", "generate_subscripts", "generate_series",
                           "pg_partition_ancestors"})


def _json_srf_sites(holder: Any, attr: str) -> list[tuple[Any, str, int | None]]:
    """Where json set-returning functions are called in ``holder.attr``, not looking into
    sub-queries: (node, attribute, index in a list attribute or None)."""
    value = getattr(holder, attr)
    items = list(enumerate(value)) if isinstance(value, tuple | list) else [(None, value)]
    found: list[tuple[Any, str, int | None]] = []
    for index, item in items:
        if isinstance(item, ast.FuncCall) and _func_name(item) in fn_json.SRF_FUNCTIONS:
            found.append((holder, attr, index))
        elif isinstance(item, ast.Node) and not isinstance(item, ast.SubLink | ast.SelectStmt):
            for name in item:
                if isinstance(getattr(item, name), ast.Node | tuple | list):
                    found.extend(_json_srf_sites(item, name))
    return found


def _no_partitions(func: ast.FuncCall) -> None:
    """``pg_partition_ancestors(rel)`` (psql's \\d asks it) -> the unnest of an empty
    oid array: pgha has no partitioned tables, and for a relation that is neither a
    partition nor partitioned PostgreSQL returns no rows."""
    func.funcname = (ast.String(sval="unnest"),)
    func.args = (parse_sql("SELECT '{}'::pg_catalog.oid[]")[0].stmt.targetList[0].val,)
SRF_ALIAS = "_pgha_srf"
# set-returning regexp functions in a select list -> the array function they unnest
REGEXP_SRFS = {"regexp_split_to_table": "regexp_split_to_array",
               "regexp_matches": "pg_regexp_matches"}

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
    SVF.SVFOP_SESSION_USER: ("session_user", "current_user()", (T.NAME, -1)),
    SVF.SVFOP_CURRENT_CATALOG: ("current_catalog", "current_database()", (T.NAME, -1)),
    SVF.SVFOP_CURRENT_SCHEMA: ("current_schema", "current_schema()", (T.NAME, -1)),
}


class Analyzer:
    """Pass 1: names, types and rewrite decisions for one statement."""

    def __init__(
        self,
        catalog: Catalog,
        system: SystemRelations,
        param_oids: Sequence[int],
        tz: str = "UTC",
    ) -> None:
        self.catalog = catalog
        self.system = system
        self.system_relations: set[str] = set()  # see Translation.system_relations
        self.tz = tz
        self.params: dict[int, int] = {i + 1: oid for i, oid in enumerate(param_oids) if oid}
        self.max_param = len(param_oids)
        self.types: dict[int, TypeRef] = {}
        self.literals: dict[int, Any] = {}  # id(A_Const) -> storage value to print
        self.to_numeric: set[int] = set()  # integer expressions printed as numeric text
        self.to_float: dict[int, int] = {}  # numeric expressions printed as float4/float8
        self.default_exprs: dict[int, str] = {}  # id(SetToDefault) -> SQLite SQL
        self.insert_extra: dict[int, tuple[list[str], list[str]]] = {}  # id(InsertStmt)
        self.assign_wrap: dict[int, TypeRef] = {}  # id(expr) -> target type (assignment cast)
        self.range_columns: dict[int, list[str]] = {}  # id(RangeSubselect/RangeFunction)
        # Columns of json set-returning functions under another name than pg_json_srf's:
        # id(ColInfo) -> the SQL that reads it; id(ColumnRef) -> the same, where used. A json
        # row source whose alias is used as a column (its one value) is found by alias.
        # (The ColInfo is kept in the value: an id is unique only while its object lives.)
        self.json_srf_cols: dict[int, tuple[ColInfo, str]] = {}
        self.json_srf_values: dict[str, ColInfo] = {}
        self.renamed_refs: dict[int, str] = {}
        self.whole_rows: dict[int, RangeEntry] = {}  # id(ColumnRef) naming a FROM item
        # id(RangeFunction) of json_to_record(set) -> (document, [[name, oid, typmod]])
        self.json_records: dict[int, tuple[Any, list[list[Any]]]] = {}
        # unnest(a) in FROM whose array names columns of earlier FROM items, and the sources
        # of lifted set-returning functions: printed as a bare (lateral) pg_srf_unnest, their
        # columns read as its columns. Keyed by id() with the object kept alongside, so that
        # an id reused by a later object cannot match.
        self.lateral_functions: dict[int, ast.RangeFunction] = {}
        self.array_assignments: set[int] = set()  # id(ResTarget) of SET a[i] = v
        self.column_sql: dict[int, tuple[ColInfo, str]] = {}
        # id(ColumnRef) -> (it, the SQLite expression it reads); for * the select list
        self.ref_sql: dict[int, tuple[ast.ColumnRef, str]] = {}
        self.is_write = False
        self.blocking = False  # calls something that may wait (pg_sleep, advisory locks)
        self.sequence_refs: dict[int, SequenceRel] = {}  # id(RangeVar) -> sequence read as a table
        self.multiset_columns: dict[int, list[ColInfo]] = {}  # id(EXCEPT/INTERSECT ALL node)
        # Output columns holding the (x, n) records of _pg_expandarray, by lower-case name,
        # and the field selections of them: id(A_Indirection) -> "x" or "n".
        self.record_columns: set[str] = set()
        self.record_fields: dict[int, str] = {}
        self.top_with: ast.WithClause | None = None  # the only WITH that may modify data
        # id(CommonTableExpr) of a data-modifying CTE -> (its temporary table, column names)
        self.write_ctes: dict[int, tuple[str, list[str]]] = {}
        self.no_returning: set[str] = set()  # data-modifying CTEs with nothing to read
        # The statement's own output expressions: their integer range is checked on output.
        self.top: Any = None
        self.output_checked: set[int] = set()

    # -- parameters ---------------------------------------------------------------------

    def param_type(self, number: int, expected: TypeRef | None) -> TypeRef:
        self.max_param = max(self.max_param, number)
        if number in self.params:
            return (self.params[number], -1)
        if expected is not None and expected[0] != T.UNKNOWN:
            self.params[number] = expected[0]
            return (expected[0], -1)
        return UNKNOWN

    def final_param_oids(self) -> list[int]:
        return [self.params.get(i, T.TEXT) for i in range(1, self.max_param + 1)]

    # -- relations ----------------------------------------------------------------------

    def relation_cols(self, rv: ast.RangeVar, scope: Scope) -> RangeEntry:
        name = rv.relname
        schema = rv.schemaname
        if schema == "pg_temp":  # this session's temporary table, by its schema's alias
            rel = self.catalog.by_name.get(name)
            if not isinstance(rel, Table) or rel.oid < FIRST_TEMP_OID:
                raise undefined_table(f"pg_temp.{name}", _pos(rv))
            schema = None
        alias = rv.alias.aliasname if rv.alias else name
        if schema in (None, "public"):
            cte = scope.find_cte(name) if schema is None else None
            if cte is not None and name in self.no_returning:
                raise PgError("0A000", f'WITH query "{name}" does not have a RETURNING clause',
                              position=_pos(rv))
            if cte is not None:
                cols = [ColInfo(c.name, c.type) for c in cte]
                return self._aliased(RangeEntry(alias, cols), rv.alias)
            # public.x is the permanent x even where a temporary x hides it
            rel = (self.catalog.shadowed.get(name) if schema == "public" else None) or \
                self.catalog.by_name.get(name)
            if isinstance(rel, Table):
                cols = [
                    ColInfo(c.name, (c.type_oid, c.typmod), rel.oid, c.attnum) for c in rel.columns
                ]
                return self._aliased(RangeEntry(alias, cols, rel), rv.alias)
            if isinstance(rel, View):
                cols = [ColInfo(c.name, (c.type_oid, c.typmod)) for c in rel.columns]
                return self._aliased(RangeEntry(alias, cols), rv.alias)
            if isinstance(rel, SequenceRel):
                cols = [ColInfo("last_value", (T.INT8, -1)), ColInfo("log_cnt", (T.INT8, -1)),
                        ColInfo("is_called", (T.BOOL, -1))]
                self.sequence_refs[id(rv)] = rel
                return self._aliased(RangeEntry(alias, cols), rv.alias)
        system = self.system(schema, name)
        if system is not None:
            self.system_relations.add(name)
            return self._aliased(RangeEntry(alias, list(system)), rv.alias)
        shown = f"{schema}.{name}" if schema else name
        raise undefined_table(shown, _pos(rv))

    @staticmethod
    def _aliased(entry: RangeEntry, alias: ast.Alias | None) -> RangeEntry:
        if alias is not None and alias.colnames:
            for col, new in zip(entry.cols, _names(alias.colnames), strict=False):
                col.name = new
        return entry

    def from_item(self, node: Any, scope: Scope) -> list[RangeEntry]:
        if isinstance(node, ast.RangeVar):
            return [self.relation_cols(node, scope)]
        if isinstance(node, ast.JoinExpr):
            left = self.from_item(node.larg, scope)
            # A function on the right may read the left's columns (it is implicitly LATERAL).
            lateral = isinstance(node.rarg, ast.RangeFunction)
            right = self.from_item(node.rarg, Scope(left, scope, outputs=[]) if lateral else scope)
            entries = left + right
            if node.quals is not None:
                self.expr(node.quals, Scope(entries, scope, outputs=[]), (T.BOOL, -1))
            if node.alias is not None:
                cols = [c for e in entries for c in e.cols]
                return [RangeEntry(node.alias.aliasname, cols)]
            return entries
        if isinstance(node, ast.RangeSubselect):
            cols = self.select(node.subquery, Scope(parent=scope))
            alias = node.alias.aliasname if node.alias else "subquery"
            entry = self._aliased(
                RangeEntry(alias, [ColInfo(c.name, c.type) for c in cols]), node.alias
            )
            if node.alias is not None and node.alias.colnames:
                self.range_columns[id(node)] = [c.name for c in entry.cols]
            return [entry]
        if isinstance(node, ast.RangeFunction):
            return [self.range_function(node, scope)]
        raise PgError("0A000", f"FROM item {type(node).__name__} is not supported")

    def range_function(self, node: ast.RangeFunction, scope: Scope) -> RangeEntry:
        if node.is_rowsfrom or len(node.functions) != 1:
            raise PgError("0A000", "ROWS FROM is not supported")
        func = node.functions[0][0]
        if not isinstance(func, ast.FuncCall):
            raise PgError("0A000", "this function in FROM is not supported")
        if _func_name(func) == "pg_partition_ancestors":
            _no_partitions(func)
        name = _func_name(func)
        if name in JSON_TO_RECORD:
            return self.json_to_record(node, func, name, scope)
        expected_args = self.function_arg_types(name, len(func.args or ()))
        arg_types = [self.expr(a, scope, expected_args[i] if expected_args else None)
                     for i, a in enumerate(func.args or ())]
        if name in ("generate_series", "pg_srf_series"):
            t = _common_type(arg_types[:2]) if arg_types else (T.INT4, -1)
            if t[0] == T.UNKNOWN or t[0] in T.TEXT_LIKE:
                t = (T.INT4, -1)
            if t[0] in (T.TIMESTAMP, T.TIMESTAMPTZ, T.DATE):
                t = (T.TIMESTAMPTZ if t[0] == T.TIMESTAMPTZ else T.TIMESTAMP, -1)
            cols = [ColInfo(name if name == "generate_series" else "value", t)]
        elif name in (
            "unnest",
            "json_array_elements",
            "jsonb_array_elements",
            "json_array_elements_text",
            "jsonb_array_elements_text",
        ):
            if name == "unnest":  # with several arrays: a column each, zipped (NULL-padded)
                cols = [ColInfo(name, (T.ELEMENT_OF.get(t[0], T.TEXT), -1))
                        for t in arg_types] or [ColInfo(name, (T.TEXT, -1))]
            else:
                out = (
                    T.TEXT
                    if name.endswith("_text")
                    else (T.JSONB if name.startswith("jsonb") else T.JSON)
                )
                cols = [ColInfo("value", (out, -1))]
        elif name in ("pg_srf_elements", "pg_srf_zip"):
            elems = [_srf_element_type(a, t) for a, t in zip(func.args, arg_types, strict=True)]
            if name == "pg_srf_elements":
                cols = [ColInfo("value", (elems[0], -1)), ColInfo("ord", (T.INT4, -1))]
            else:
                cols = [ColInfo(f"v{k}", (e, -1)) for k, e in enumerate(elems)]
                cols += [ColInfo(f"o{k}", (T.INT4, -1)) for k in range(len(elems))]
        elif name in ("json_each", "jsonb_each", "json_each_text", "jsonb_each_text"):
            out = (
                T.TEXT
                if name.endswith("_text")
                else (T.JSONB if name.startswith("jsonb") else T.JSON)
            )
            cols = [ColInfo("key", (T.TEXT, -1)), ColInfo("value", (out, -1))]
        elif name in ("json_object_keys", "jsonb_object_keys"):
            cols = [ColInfo(name, (T.TEXT, -1))]
        elif name == "jsonb_path_query":
            cols = [ColInfo(name, (T.JSONB, -1))]
        else:
            raise PgError("42883", f"function {name} in FROM is not supported")
        if name in ("pg_srf_elements", "pg_srf_zip"):
            # read as pg_srf_unnest's (pg_srf_zip's) columns, which no table column shadows
            self.lateral_functions[id(node)] = node
            alias_sql = _q(node.alias.aliasname)
            for c in cols:
                column = ({"value": "_pgha_value", "ord": "_pgha_ord"}.get(c.name)
                          or f"_pgha_{c.name}")
                self.column_sql[id(c)] = (c, f"{alias_sql}.{column}")
        alias = node.alias.aliasname if node.alias else name
        # A function of one unnamed column takes the alias as its column name (lifted from
        # the select list, pg_srf_series' column is value; json's elements are named value).
        if node.alias is not None and not node.alias.colnames and len(cols) == 1 and \
                name != "pg_srf_series" and "array_elements" not in name:
            cols[0].name = alias
        if node.ordinality:
            cols.append(ColInfo("ordinality", (T.INT8, -1)))
        entry = self._aliased(RangeEntry(alias, cols), node.alias)
        self.range_columns[id(node)] = [c.name for c in entry.cols]
        if name == "unnest" and len(func.args or ()) == 1 and _names_columns(func.args[0]):
            self.lateral_functions[id(node)] = node
            self.column_sql[id(entry.cols[0])] = (entry.cols[0], f"{_q(alias)}._pgha_value")
            if node.ordinality:
                self.column_sql[id(entry.cols[1])] = (entry.cols[1], f"{_q(alias)}._pgha_ord")
        args = list(func.args or ())
        if name == "unnest" and 1 < len(args) <= fn_textarr.ZIP_WIDTH and any(
                _names_columns(a) for a in args):
            self.lateral_functions[id(node)] = node  # unnest(t.a, t.b): pg_srf_zip
            for k, c in enumerate(entry.cols):
                column = f"_pgha_v{k}" if k < len(args) else "_pgha_ord"
                self.column_sql[id(c)] = (c, f"{_q(alias)}.{column}")
        if name in fn_json.SRF_FUNCTIONS:
            for col, source in zip(entry.cols, _json_srf_columns(name, node.ordinality),
                                   strict=False):
                if col.name != source:
                    self.json_srf_cols[id(col)] = (col, f"{_q(alias)}.{source}")
            if "_each" not in name:
                self.json_srf_values[alias] = entry.cols[0]
        return entry

    def json_to_record(self, node: ast.RangeFunction, func: ast.FuncCall, name: str,
                       scope: Scope) -> RangeEntry:
        """json_to_recordset(doc) AS x(a int, ...) and json_populate_recordset(NULL::t, doc):
        the columns declared, or those of table t."""
        args = list(func.args or ())
        if name.startswith(("json_to", "jsonb_to")):
            if not node.coldeflist:
                raise PgError("42601", "a column definition list is required for functions "
                              'returning "record"', position=_pos(func))
            cols = [ColInfo(cd.colname, self.type_name(cd.typeName)) for cd in node.coldeflist]
        else:
            base = args.pop(0) if len(args) == 2 else None
            table = (self.catalog.table(_names(base.typeName.names)[-1])
                     if isinstance(base, ast.TypeCast) else None)
            if table is None or not isinstance(base.arg, ast.A_Const) or not base.arg.isnull:
                raise PgError("0A000", f"{name} is supported as {name}(NULL::table, json)")
            cols = [ColInfo(c.name, (c.type_oid, c.typmod)) for c in table.columns]
        if len(cols) > fn_json.RECORD_WIDTH or len(args) != 1:
            raise PgError("0A000", f"{name} of this shape is not supported")
        self.expr(args[0], scope, (T.JSONB if name.startswith("jsonb") else T.JSON, -1))
        self.json_records[id(node)] = (args[0], [[c.name, *c.type] for c in cols])
        alias = node.alias.aliasname if node.alias else name
        entry = self._aliased(RangeEntry(alias, cols), node.alias)
        self.range_columns[id(node)] = [c.name for c in entry.cols]
        for i, col in enumerate(entry.cols, start=1):
            self.json_srf_cols[id(col)] = (col, f"{_q(alias)}.c{i}")
        return entry

    # -- SELECT -------------------------------------------------------------------------

    def with_clause(self, node: ast.WithClause | None, scope: Scope) -> None:
        if node is None:
            return
        for cte in node.ctes:
            query = cte.ctequery
            names = _names(cte.aliascolnames)
            if not isinstance(query, ast.SelectStmt):
                scope.ctes[cte.ctename] = self.write_cte(node, cte, names, scope)
                continue
            if node.recursive and query.op != enums.SetOperation.SETOP_NONE:
                if _refers_to(query.rarg, cte.ctename):
                    _check_recursion(query)
                # Type the non-recursive term first so the recursive term can see the CTE.
                seed = self.select(query.larg, Scope(parent=scope))
                seed_cols = [
                    ColInfo(n, c.type)
                    for n, c in zip(names or [c.name for c in seed], seed, strict=False)
                ]
                scope.ctes[cte.ctename] = seed_cols
                rec = self.select(query.rarg, Scope(parent=scope))
                cols = [
                    ColInfo(c.name, _common_type([c.type, r.type]))
                    for c, r in zip(seed_cols, rec, strict=False)
                ]
                self.sort_clause(query, Scope(parent=scope, outputs=cols))
            else:
                sub = self.select(query, Scope(parent=scope))
                cols = [
                    ColInfo(n, c.type)
                    for n, c in zip(names or [c.name for c in sub], sub, strict=False)
                ]
            scope.ctes[cte.ctename] = cols

    def write_cte(self, node: ast.WithClause, cte: ast.CommonTableExpr, names: list[str],
                  scope: Scope) -> list[ColInfo]:
        """A data-modifying statement in WITH: its RETURNING columns (see ``WriteStep``)."""
        if node is not self.top_with:
            raise PgError("0A000", "WITH clause containing a data-modifying statement must be "
                          "at the top level", position=_pos(cte))
        query = cte.ctequery
        sub = Scope(parent=scope)
        if isinstance(query, ast.InsertStmt):
            cols = self.insert(query, sub)
        elif isinstance(query, ast.UpdateStmt):
            cols = self.update(query, sub)
        elif isinstance(query, ast.DeleteStmt):
            cols = self.delete(query, sub)
        else:
            raise PgError("0A000", f"{type(query).__name__} in WITH is not supported")
        if cols is None:
            self.no_returning.add(cte.ctename)
            cols = []
        if len(names) > len(cols):
            raise PgError("42P10", f'WITH query "{cte.ctename}" has {len(cols)} columns '
                          f"available but {len(names)} columns specified")
        out = [ColInfo(n, c.type) for n, c in zip(names + [c.name for c in cols[len(names):]],
                                                  cols, strict=True)]
        self.write_ctes[id(cte)] = (f"_pgha_wcte_{len(self.write_ctes)}", [c.name for c in out])
        return out

    def select(self, node: ast.SelectStmt, scope: Scope) -> list[ColInfo]:
        self.with_clause(node.withClause, scope)
        if node.op != enums.SetOperation.SETOP_NONE:
            left = self.select(node.larg, Scope(parent=scope))
            right = self.select(node.rarg, Scope(parent=scope))
            if len(left) != len(right):
                raise PgError("42601", "each UNION query must have the same number of columns")
            cols = [
                ColInfo(lc.name, _common_type([lc.type, rc.type]))
                for lc, rc in zip(left, right, strict=True)
            ]
            for member in (node.larg, node.rarg):
                if member.targetList:
                    targets = [t.val for t in member.targetList]
                    for target, col in zip(targets, cols, strict=False):
                        self._coerce_unknowns([target], col.type)
            if node.all and node.op != enums.SetOperation.SETOP_UNION:
                self.multiset_columns[id(node)] = cols
            self.sort_clause(node, Scope(parent=scope, outputs=cols))
            self.limit(node, scope)
            return cols
        if node.valuesLists:
            rows = [[self.expr(v, scope) for v in row] for row in node.valuesLists]
            width = len(rows[0])
            cols = [
                ColInfo(f"column{i + 1}", _common_type([r[i] for r in rows])) for i in range(width)
            ]
            for i, col in enumerate(cols):
                self._coerce_unknowns([row[i] for row in node.valuesLists], col.type)
            self.sort_clause(node, Scope(parent=scope, outputs=cols))
            return cols
        if node.intoClause is not None:
            raise PgError("0A000", "SELECT INTO is not supported; use CREATE TABLE AS")
        if node.distinctClause and node.distinctClause != (None,):
            self._rewrite_distinct_on(node, scope)
        local = Scope(parent=scope)
        for item in node.fromClause or ():
            local.entries.extend(self.from_item(item, local))
        added = self._lift_set_returning_functions(node)
        for item in node.fromClause[len(node.fromClause) - added:] if added else ():
            local.entries.extend(self.from_item(item, local))
        if node.whereClause is not None:
            self.expr(node.whereClause, local, (T.BOOL, -1))
        outputs = self.target_list(node.targetList or (), local)
        local.outputs = outputs
        if node is self.top:
            self.output_checked.update(id(t.val) for t in node.targetList or ())
        if not node.groupClause:
            _check_ungrouped(node, local)
        for g in node.groupClause or ():
            self.group_item(g, local)
        if node.groupClause:
            _check_grouped(node, local)
        if node.havingClause is not None:
            self.expr(node.havingClause, local, (T.BOOL, -1))
        for wdef in node.windowClause or ():
            self.window_def(wdef, local)
        self.sort_clause(node, local)
        self.limit(node, local)
        return outputs

    def _rewrite_distinct_on(self, node: ast.SelectStmt, scope: Scope) -> None:
        """``SELECT DISTINCT ON (k) targets FROM ... ORDER BY k, o`` (SQLite has no DISTINCT
        ON) -> the first row of each k in that order, picked with a window function:
        ``SELECT c... FROM (SELECT targets AS c..., row_number() OVER (PARTITION BY k ORDER
        BY k, o) AS rn, k, o AS hidden sort keys FROM ... WHERE ... GROUP BY ...) WHERE rn = 1
        ORDER BY the hidden keys`` (and the statement's LIMIT/OFFSET). Rewritten in place,
        before typing."""
        targets = list(node.targetList or ())

        def resolved(expr: Any) -> Any:
            """An ORDER BY or DISTINCT ON item: a position or output name means its target."""
            if isinstance(expr, ast.A_Const) and isinstance(expr.val, ast.Integer):
                if not 1 <= expr.val.ival <= len(targets):
                    raise PgError("42P10", f"ORDER BY position {expr.val.ival} is not in "
                                  "select list", position=_pos(expr))
                return copy.deepcopy(targets[expr.val.ival - 1].val)
            if isinstance(expr, ast.ColumnRef) and len(expr.fields) == 1 and \
                    isinstance(expr.fields[0], ast.String):
                named = [t for t in targets if t.name == expr.fields[0].sval]
                if len(named) == 1:
                    return copy.deepcopy(named[0].val)
            return expr

        keys = [resolved(k) for k in node.distinctClause]
        sorts = [ast.SortBy(node=resolved(sort.node), sortby_dir=sort.sortby_dir,
                            sortby_nulls=sort.sortby_nulls, useOp=sort.useOp)
                 for sort in node.sortClause or ()]
        def text(expr: Any) -> str:
            return str(RawStream()(expr))

        if sorts and sorted(text(k) for k in keys) != sorted(
                text(sort.node) for sort in sorts[:len(keys)]):
            raise PgError("42P10", "SELECT DISTINCT ON expressions must match initial ORDER "
                          "BY expressions", position=_pos(node.distinctClause[0]))
        alias = "__pgha_d"
        inner_targets: list[ast.ResTarget] = []
        outer_targets: list[ast.ResTarget] = []
        for i, target in enumerate(targets):
            val = target.val
            if isinstance(val, ast.ColumnRef) and isinstance(val.fields[-1], ast.A_Star):
                probe = Scope(parent=scope)
                for item in node.fromClause or ():
                    probe.entries.extend(self.from_item(item, probe))
                names = [c.name for c in self.star(val, probe)]
                if len(set(names)) != len(names):
                    raise PgError("0A000", "SELECT DISTINCT ON with * over columns of the "
                                  "same name is not supported; name the columns")
                inner_targets.append(target)
                outer_targets.extend(
                    ast.ResTarget(val=ast.ColumnRef(fields=(ast.String(sval=alias),
                                                            ast.String(sval=name))))
                    for name in names)
                continue
            column = f"__pgha_c{i}"
            inner_targets.append(ast.ResTarget(name=column, val=val))
            outer_targets.append(ast.ResTarget(
                name=target.name or figure_colname(val),
                val=ast.ColumnRef(fields=(ast.String(sval=alias), ast.String(sval=column)))))
        window = parse_sql("SELECT row_number() OVER (PARTITION BY 1 ORDER BY 1)")[0] \
            .stmt.targetList[0].val
        window.over.partitionClause = tuple(keys)
        window.over.orderClause = tuple(sorts) or None
        inner_targets.append(ast.ResTarget(name="__pgha_rn", val=window))
        inner_targets.extend(ast.ResTarget(name=f"__pgha_o{j}", val=copy.deepcopy(sort.node))
                             for j, sort in enumerate(sorts))
        inner = ast.SelectStmt(
            targetList=tuple(inner_targets), fromClause=node.fromClause,
            whereClause=node.whereClause, groupClause=node.groupClause,
            groupDistinct=node.groupDistinct, havingClause=node.havingClause,
            windowClause=node.windowClause, op=enums.SetOperation.SETOP_NONE, all=False,
            limitOption=enums.LimitOption.LIMIT_OPTION_DEFAULT)
        node.distinctClause = None
        node.targetList = tuple(outer_targets)
        node.fromClause = (ast.RangeSubselect(lateral=False, subquery=inner,
                                              alias=ast.Alias(aliasname=alias)),)
        node.whereClause = ast.A_Expr(
            kind=enums.A_Expr_Kind.AEXPR_OP, name=(ast.String(sval="="),),
            lexpr=ast.ColumnRef(fields=(ast.String(sval=alias), ast.String(sval="__pgha_rn"))),
            rexpr=ast.A_Const(isnull=False, val=ast.Integer(ival=1)))
        node.groupClause = node.havingClause = node.windowClause = None
        node.sortClause = tuple(
            ast.SortBy(node=ast.ColumnRef(fields=(ast.String(sval=alias),
                                                  ast.String(sval=f"__pgha_o{j}"))),
                       sortby_dir=sort.sortby_dir, sortby_nulls=sort.sortby_nulls,
                       useOp=sort.useOp)
            for j, sort in enumerate(sorts)) or None

    def _lift_set_returning_functions(self, node: ast.SelectStmt) -> int:
        """``SELECT unnest(a), unnest(b), generate_subscripts(a, 1) FROM ...`` (the shape of
        SQLAlchemy's reflection queries) -> one table-valued ``pg_srf_elements`` per distinct
        array, joined after the FROM items on the element position (PostgreSQL zips the
        results of set-returning functions in a select list); their value and position
        replace the calls. SQLite's table-valued functions are lateral, so the arrays may name
        columns of the FROM items. Returns how many sources were added to the FROM clause.
        Arrays of different lengths are cut to the shortest (PostgreSQL pads with NULLs)."""
        for rt in node.targetList or ():
            if isinstance(rt.val, ast.FuncCall) and _func_name(rt.val) in REGEXP_SRFS:
                # regexp_split_to_table(s, p) is unnest(regexp_split_to_array(s, p)), and
                # regexp_matches the unnest of every match's text[]
                name = _func_name(rt.val)
                rt.name = rt.name or name
                inner = ast.FuncCall(funcname=(ast.String(sval=REGEXP_SRFS[name]),),
                                     args=rt.val.args)
                rt.val = ast.FuncCall(funcname=(ast.String(sval="unnest"),), args=(inner,))
        expanded = self._lift_expanded_arrays(node)
        calls = [rt for rt in node.targetList or ()
                 if isinstance(rt.val, ast.FuncCall) and _func_name(rt.val) in SRF_IN_SELECT]
        json_calls = [(rt, site) for rt in node.targetList or ()
                      for site in _json_srf_sites(rt, "val")]
        if json_calls:
            if calls or len(json_calls) > 1:
                raise PgError("0A000", "a json set-returning function in the select list is "
                              "supported alone (no other set-returning function)")
            return self._lift_json_srf(node, *json_calls[0])
        if not calls:
            return expanded
        if expanded:
            raise PgError("0A000", "_pg_expandarray() cannot share a select list with other "
                          "set-returning functions")
        for rt in calls:
            if _func_name(rt.val) == "pg_partition_ancestors":
                rt.name = rt.name or "pg_partition_ancestors"
                _no_partitions(rt.val)
        if any(_func_name(rt.val) == "generate_series" for rt in calls):
            return self._lift_series(node, calls)
        sources: dict[str, str] = {}  # deparsed array -> alias
        added = []
        uses: list[tuple[ast.ResTarget, int, str]] = []  # target, array number, function
        for rt in calls:
            func = rt.val
            name = _func_name(func)
            if not func.args or (name == "generate_subscripts" and len(func.args) != 2) or (
                    name == "unnest" and len(func.args) != 1):
                raise PgError("0A000", "set-returning functions in the select list are "
                              "supported as unnest(a) and generate_subscripts(a, 1)")
            key = RawStream()(func.args[0])
            if key not in sources:
                alias = f"{SRF_ALIAS}{len(sources)}"
                sources[key] = alias
                source = ast.FuncCall(funcname=(ast.String(sval="pg_srf_elements"),),
                                      args=(func.args[0],))
                added.append(ast.RangeFunction(
                    lateral=True, ordinality=False, is_rowsfrom=False,
                    functions=((source, None),), alias=ast.Alias(aliasname=alias)))
            rt.name = rt.name or name
            rt.val = ast.ColumnRef(fields=(ast.String(sval=sources[key]), ast.String(
                sval="value" if name == "unnest" else "ord")))
            uses.append((rt, list(sources).index(key), name))
        if 1 < len(sources) <= fn_textarr.ZIP_WIDTH:
            # Several arrays run in lockstep, the shorter ones padded with NULLs.
            alias = f"{SRF_ALIAS}z"
            zipped = ast.FuncCall(funcname=(ast.String(sval="pg_srf_zip"),), args=tuple(
                a.functions[0][0].args[0] for a in added))
            node.fromClause = (*(node.fromClause or ()), ast.RangeFunction(
                lateral=True, ordinality=False, is_rowsfrom=False,
                functions=((zipped, None),), alias=ast.Alias(aliasname=alias)))
            for rt, k, name in uses:
                rt.val = ast.ColumnRef(fields=(ast.String(sval=alias), ast.String(
                    sval=f"v{k}" if name == "unnest" else f"o{k}")))
            return 1
        node.fromClause = (*(node.fromClause or ()), *added)
        first = f"{SRF_ALIAS}0"
        for alias in list(sources.values())[1:]:
            same_position = ast.A_Expr(
                kind=enums.A_Expr_Kind.AEXPR_OP, name=(ast.String(sval="="),),
                lexpr=ast.ColumnRef(fields=(ast.String(sval=alias), ast.String(sval="ord"))),
                rexpr=ast.ColumnRef(fields=(ast.String(sval=first), ast.String(sval="ord"))))
            node.whereClause = same_position if node.whereClause is None else ast.BoolExpr(
                boolop=enums.BoolExprType.AND_EXPR, args=(node.whereClause, same_position))
        return len(added)

    def _lift_expanded_arrays(self, node: ast.SelectStmt) -> int:
        """``information_schema._pg_expandarray(a)`` in a select list (JDBC's DatabaseMetaData
        asks it of pg_index.indkey): a row per element of ``a`` as the record (x, n), the
        element and its 1-based position. ``(f(a)).x`` and ``(f(a)).n`` become the element
        and its position; a bare call becomes the record's text ``(x,n)``, whose fields an
        enclosing query may select (``(sub.keys).x``, see ``record_fields``). Returns how
        many sources were added to the FROM clause."""
        sources: dict[str, str] = {}  # deparsed array -> alias
        added = []
        for rt in node.targetList or ():
            call, field = rt.val, None
            if (isinstance(call, ast.A_Indirection) and len(call.indirection) == 1
                    and isinstance(call.indirection[0], ast.String)):
                call, field = call.arg, call.indirection[0].sval
            if not (isinstance(call, ast.FuncCall) and _func_name(call) == "_pg_expandarray"):
                continue
            if len(call.args or ()) != 1:
                raise PgError("42883", "function _pg_expandarray() does not exist",
                              hint="It takes one array.")
            key = RawStream()(call.args[0])
            if key not in sources:
                sources[key] = f"{SRF_ALIAS}_e{len(sources)}"
                source = ast.FuncCall(funcname=(ast.String(sval="pg_srf_elements"),),
                                      args=(call.args[0],))
                added.append(ast.RangeFunction(
                    lateral=True, ordinality=False, is_rowsfrom=False,
                    functions=((source, None),), alias=ast.Alias(aliasname=sources[key])))
            alias = sources[key]
            if field in ("x", "n"):
                rt.name = rt.name or field
                rt.val = ast.ColumnRef(fields=(ast.String(sval=alias), ast.String(
                    sval="value" if field == "x" else "ord")))
            elif field is None:
                rt.name = rt.name or "_pg_expandarray"
                rt.val = parse_sql(
                    f"SELECT '(' || coalesce({alias}.value::text, '') || ',' || "
                    f"{alias}.ord::text || ')'")[0].stmt.targetList[0].val
                self.record_columns.add(rt.name.lower())
            else:
                raise PgError("42703", f'column "{field}" not found in data type record')
        node.fromClause = (*(node.fromClause or ()), *added)
        first = f"{SRF_ALIAS}_e0"
        for alias in list(sources.values())[1:]:  # zipped on the position, as PostgreSQL
            same_position = ast.A_Expr(
                kind=enums.A_Expr_Kind.AEXPR_OP, name=(ast.String(sval="="),),
                lexpr=ast.ColumnRef(fields=(ast.String(sval=alias), ast.String(sval="ord"))),
                rexpr=ast.ColumnRef(fields=(ast.String(sval=first), ast.String(sval="ord"))))
            node.whereClause = same_position if node.whereClause is None else ast.BoolExpr(
                boolop=enums.BoolExprType.AND_EXPR, args=(node.whereClause, same_position))
        return len(added)

    def _record_field(self, node: ast.A_Indirection) -> str | None:
        """"x" or "n" when ``node`` selects a field of an _pg_expandarray record column."""
        ind = node.indirection
        if (len(ind) == 1 and isinstance(ind[0], ast.String) and ind[0].sval in ("x", "n")
                and isinstance(node.arg, ast.ColumnRef)
                and isinstance(node.arg.fields[-1], ast.String)
                and node.arg.fields[-1].sval.lower() in self.record_columns):
            return str(ind[0].sval)
        return None

    @staticmethod
    def _lift_json_srf(node: ast.SelectStmt, target: ast.ResTarget,
                       site: tuple[Any, str, int | None]) -> int:
        """``SELECT jsonb_array_elements(doc) ->> 'k' FROM ...`` -> the function as a lateral
        FROM item after the others, its column in place of the call (as _lift_series does);
        ``site`` is where the call is: (node, attribute, index in a list attribute)."""
        holder, attr, index = site
        func = getattr(holder, attr) if index is None else getattr(holder, attr)[index]
        name = _func_name(func)
        if "_each" in name:
            raise PgError("0A000", f"{name}() in the select list is not supported (it returns "
                          "a record); call it in FROM")
        col = fn_json.srf_columns(name)[0]
        node.fromClause = (*(node.fromClause or ()), ast.RangeFunction(
            lateral=True, ordinality=False, is_rowsfrom=False, functions=((func, None),),
            alias=ast.Alias(aliasname=SRF_ALIAS, colnames=(ast.String(sval=col),))))
        target.name = target.name or figure_colname(target.val)
        ref = ast.ColumnRef(fields=(ast.String(sval=SRF_ALIAS), ast.String(sval=col)))
        if index is None:
            setattr(holder, attr, ref)
        else:
            items = list(getattr(holder, attr))
            items[index] = ref
            setattr(holder, attr, tuple(items))
        return 1

    @staticmethod
    def _lift_series(node: ast.SelectStmt, calls: list[ast.ResTarget]) -> int:
        """``SELECT generate_series(a, b[, step]) [FROM ...]`` -> the series as a table-valued
        function after the FROM items (lateral, so its arguments may name their columns),
        its value in place of the call: a row per value, per row of the FROM items."""
        if len(calls) != 1 or node.groupClause or node.havingClause:
            raise PgError("0A000", "generate_series() in the select list is supported alone "
                          "(no other set-returning function, no GROUP BY)")
        target = calls[0]
        func = target.val
        if not 2 <= len(func.args or ()) <= 3:
            raise PgError("42883", "function generate_series() does not exist with "
                          f"{len(func.args or ())} arguments")
        source = ast.FuncCall(funcname=(ast.String(sval="pg_srf_series"),), args=func.args)
        node.fromClause = (*(node.fromClause or ()), ast.RangeFunction(
            lateral=True, ordinality=False, is_rowsfrom=False, functions=((source, None),),
            alias=ast.Alias(aliasname=SRF_ALIAS)))
        target.name = target.name or "generate_series"
        target.val = ast.ColumnRef(fields=(ast.String(sval=SRF_ALIAS), ast.String(sval="value")))
        return 1

    def group_item(self, node: Any, scope: Scope) -> None:
        if isinstance(node, ast.A_Const) and isinstance(node.val, ast.Integer):
            return
        if isinstance(node, ast.ColumnRef) and len(node.fields) == 1:
            name = node.fields[0].sval if isinstance(node.fields[0], ast.String) else None
            if (name and not self._lookup(scope, [name], quiet=True)
                    and any(o.name == name for o in scope.outputs)):
                return
        self.expr(node, scope)

    def sort_clause(self, node: ast.SelectStmt, scope: Scope) -> None:
        for sort in node.sortClause or ():
            target = sort.node
            if isinstance(target, ast.A_Const) and isinstance(target.val, ast.Integer):
                continue
            if (
                isinstance(target, ast.ColumnRef)
                and len(target.fields) == 1
                and isinstance(target.fields[0], ast.String)
            ):
                name = target.fields[0].sval
                output = next((o for o in scope.outputs if o.name == name), None)
                if output is not None:
                    self.types[id(target)] = output.type
                    continue
            self.expr(target, scope)

    def limit(self, node: ast.SelectStmt, scope: Scope) -> None:
        # SQLite needs LIMIT before OFFSET and spells LIMIT ALL as LIMIT -1. Rewritten here,
        # before printing, so the new node gets its place in the tree like any other.
        if node.limitOffset is not None and node.limitCount is None:
            node.limitCount = ast.A_Const(isnull=False, val=ast.Integer(ival=-1))
            node.limitOption = enums.LimitOption.LIMIT_OPTION_COUNT
        if isinstance(node.limitCount, ast.A_Const) and node.limitCount.isnull:
            node.limitCount = ast.A_Const(isnull=False, val=ast.Integer(ival=-1))
        for part in (node.limitCount, node.limitOffset):
            if part is not None:
                self.expr(part, scope, (T.INT8, -1))

    def window_def(self, wdef: ast.WindowDef, scope: Scope) -> None:
        for p in wdef.partitionClause or ():
            self.expr(p, scope)
        for s in wdef.orderClause or ():
            self.expr(s.node, scope)

    def target_list(self, targets: Sequence[ast.ResTarget], scope: Scope) -> list[ColInfo]:
        out: list[ColInfo] = []
        for target in targets:
            val = target.val
            if isinstance(val, ast.ColumnRef) and isinstance(val.fields[-1], ast.A_Star):
                out.extend(self.star(val, scope))
                continue
            t = self.expr(val, scope)
            if t[0] == T.UNKNOWN:
                t = (T.TEXT, -1)
            name = target.name or figure_colname(val)
            table_oid, attnum = 0, 0
            if isinstance(val, ast.ColumnRef):
                col = self._lookup(scope, _names(val.fields), quiet=True)
                if col is not None:
                    table_oid, attnum = col.table_oid, col.attnum
            out.append(ColInfo(name, t, table_oid, attnum))
        return out

    def star(self, ref: ast.ColumnRef, scope: Scope) -> list[ColInfo]:
        qual = _names(ref.fields[:-1])
        entries = scope.entries
        if qual:
            entries = [e for e in scope.entries if e.alias == qual[-1]]
            if not entries:
                raise PgError(
                    "42P01", f'missing FROM-clause entry for table "{qual[-1]}"', position=_pos(ref)
                )
        elif not entries:
            raise PgError(
                "42601", "SELECT * with no tables specified is not valid", position=_pos(ref)
            )
        lateral = {id(c): self.lateral_column_sql(c) for e in entries for c in e.cols}
        if any(lateral.values()):
            # pg_srf_unnest's own columns are not the unnest's: spell the list out
            pieces = []
            for e in entries:
                if any(lateral[id(c)] for c in e.cols):
                    pieces += [f"{lateral[id(c)]} AS {_q(c.name)}" for c in e.cols
                               if lateral[id(c)]]
                else:
                    pieces.append(f"{_q(e.alias)}.*")
            self.ref_sql[id(ref)] = (ref, ", ".join(pieces))
        return [ColInfo(c.name, c.type, c.table_oid, c.attnum) for e in entries for c in e.cols]

    # -- expressions --------------------------------------------------------------------

    def _lookup(self, scope: Scope, names: list[str], quiet: bool = False) -> ColInfo | None:
        cur: Scope | None = scope
        while cur is not None:
            found = self._lookup_in(cur, names)
            if found is not None:
                return found
            cur = cur.parent
        return None

    @staticmethod
    def _lookup_in(scope: Scope, names: list[str]) -> ColInfo | None:
        col = names[-1]
        qual = names[-2] if len(names) >= 2 else None
        matches = [
            c
            for e in scope.entries
            if qual is None or e.alias == qual
            for c in e.cols
            if c.name == col
        ]
        # A USING/NATURAL join column appears on both sides with one meaning; anything else is
        # ambiguous, as in PostgreSQL.
        if (len(matches) > 1 and qual is None and len({id(m) for m in matches}) > 1
                and len({m.type for m in matches}) > 1):
                raise PgError("42702", f'column reference "{col}" is ambiguous')
        return matches[0] if matches else None

    def column_ref(self, node: ast.ColumnRef, scope: Scope) -> TypeRef:
        names = _names(node.fields)
        if len(names) != len(node.fields):
            raise PgError("0A000", "this column reference is not supported", position=_pos(node))
        col = self._lookup(scope, names)
        if col is None and len(names) == 1 and names[0] in self.json_srf_values:
            col = self.json_srf_values[names[0]]  # FROM jsonb_array_elements(...) AS e: e
            self.renamed_refs[id(node)] = f"{_q(names[0])}.value"
        if col is not None and id(col) in self.json_srf_cols:
            self.renamed_refs[id(node)] = self.json_srf_cols[id(col)][1]
        if col is None and len(names) == 1:
            entry = next((e for sc in _chain(scope) for e in sc.entries if e.alias == names[0]),
                         None)
            if entry is not None:  # the row of a FROM item: to_json(t), json_agg(t)
                self.whole_rows[id(node)] = entry
                return (T.RECORD, -1)
        if col is None:
            if len(names) == 1 and scope.outputs:
                for out in scope.outputs:
                    if out.name == names[0]:
                        return out.type
            if len(names) >= 2 and not any(
                e.alias == names[-2] for s in _chain(scope) for e in s.entries
            ):
                raise PgError(
                    "42P01",
                    f'missing FROM-clause entry for table "{names[-2]}"',
                    position=_pos(node),
                )
            shown = ".".join(names)
            shown = f'"{names[0]}"' if len(names) == 1 else shown
            raise PgError("42703", f"column {shown} does not exist", position=_pos(node))
        sql = self.lateral_column_sql(col)
        if sql is not None:
            self.ref_sql[id(node)] = (node, sql)
        return col.type

    def lateral_column_sql(self, col: ColInfo) -> str | None:
        """How a column of a lateral pg_srf_unnest is read, or None for any other column."""
        found = self.column_sql.get(id(col))
        return found[1] if found is not None and found[0] is col else None

    def column_ref_sql(self, node: Any) -> str | None:
        found = self.ref_sql.get(id(node))
        return found[1] if found is not None and found[0] is node else None

    def expr(self, node: Any, scope: Scope, expected: TypeRef | None = None) -> TypeRef:
        t = self._expr(node, scope, expected)
        if isinstance(node, ast.Node):
            self.types[id(node)] = t
        return t

    def _expr(self, node: Any, scope: Scope, expected: TypeRef | None) -> TypeRef:
        if node is None:
            return UNKNOWN
        if isinstance(node, ast.A_Const):
            return self.const(node, expected)
        if isinstance(node, ast.ColumnRef):
            return self.column_ref(node, scope)
        if isinstance(node, ast.ParamRef):
            return self.param_type(node.number, expected)
        if isinstance(node, ast.TypeCast):
            target = self.type_name(node.typeName)
            src = self.expr(node.arg, scope, target)
            if isinstance(node.arg, ast.A_Const) and not node.arg.isnull:
                self.fold_literal(node.arg, target)
            self.types[id(node.arg)] = src
            return target
        if isinstance(node, ast.A_Expr):
            return self.a_expr(node, scope, expected)
        if isinstance(node, ast.BoolExpr):
            for arg in node.args:
                self.expr(arg, scope, (T.BOOL, -1))
            return (T.BOOL, -1)
        if isinstance(node, ast.NullTest | ast.BooleanTest):
            self.expr(node.arg, scope)
            return (T.BOOL, -1)
        if isinstance(node, ast.FuncCall):
            return self.func_call(node, scope, expected)
        if isinstance(node, ast.SQLValueFunction):
            return SQL_VALUE_FUNCTIONS.get(node.op, ("", "", (T.TEXT, -1)))[2]
        if isinstance(node, ast.CaseExpr):
            base = self.expr(node.arg, scope) if node.arg is not None else None
            results = []
            for when in node.args:
                self.expr(when.expr, scope, base or (T.BOOL, -1))
                results.append(self.expr(when.result, scope, expected))
            if node.defresult is not None:
                results.append(self.expr(node.defresult, scope, expected))
            common = _common_type(results)
            self._coerce_unknowns([w.result for w in node.args] + [node.defresult], common)
            return common
        if isinstance(node, ast.CoalesceExpr | ast.MinMaxExpr):
            types = [self.expr(a, scope, expected) for a in node.args]
            common = _common_type(types)
            self._coerce_unknowns(node.args, common)
            return common
        if isinstance(node, ast.SubLink):
            return self.sublink(node, scope, expected)
        if isinstance(node, ast.A_ArrayExpr):
            elem_expected = (
                (T.ELEMENT_OF[expected[0]], -1)
                if expected and expected[0] in T.ELEMENT_OF
                else None
            )
            if elem_expected is not None and any(
                    isinstance(e, ast.A_ArrayExpr) for e in node.elements or ()):
                elem_expected = expected  # ARRAY[[1, 2], [3, 4]]: the sub-arrays' type
            types = [self.expr(e, scope, elem_expected) for e in node.elements or ()]
            if types and all(t[0] in T.ELEMENT_OF for t in types):
                return _common_type(types)  # sub-arrays: one more dimension, same type
            elem = _common_type(types) if types else (T.TEXT, -1)
            self._coerce_unknowns(node.elements or (), elem)
            return (T.ARRAY_OF.get(elem[0], T.TEXT_ARRAY), -1)
        if isinstance(node, ast.A_Indirection):
            base = self.expr(node.arg, scope)
            if (field := self._record_field(node)) is not None:
                self.record_fields[id(node)] = field
                return (T.INT2 if field == "x" else T.INT4, -1)
            if base[0] == T.JSONB:  # doc['key'][0]: jsonb subscripts (PostgreSQL 14+)
                for ind in node.indirection:
                    if not isinstance(ind, ast.A_Indices) or ind.is_slice:
                        raise PgError("0A000", "jsonb subscript does not support slices")
                    if self.expr(ind.uidx, scope) == UNKNOWN:
                        self.expr(ind.uidx, scope, (T.TEXT, -1))
                return base
            for ind in node.indirection:
                if isinstance(ind, ast.A_Indices):
                    for part in (ind.lidx, ind.uidx):
                        if part is not None:
                            self.expr(part, scope, (T.INT4, -1))
                else:
                    raise PgError("0A000", "field selection is not supported")
            if any(ind.is_slice for ind in node.indirection):
                return base  # a slice of every dimension is an array of the same type
            return (T.ELEMENT_OF.get(base[0], T.TEXT), -1)
        if isinstance(node, ast.CollateClause):
            return self.expr(node.arg, scope, expected)
        if isinstance(node, ast.RowExpr):
            for a in node.args or ():
                self.expr(a, scope)
            return (T.RECORD, -1)
        if isinstance(node, ast.SetToDefault):
            return expected or UNKNOWN
        if isinstance(node, ast.GroupingFunc):
            raise PgError("0A000", "GROUPING is not supported")
        raise PgError(
            "0A000", f"expression {type(node).__name__} is not supported", position=_pos(node)
        )

    def _coerce_unknowns(self, nodes: Sequence[Any], target: TypeRef) -> None:
        """Give untyped literals the common type of their siblings; integers among numerics
        become numeric text, as PostgreSQL casts them (numeric text and SQLite integers
        would not order together)."""
        for n in nodes:
            t = self.types.get(id(n))
            if isinstance(n, ast.A_Const) and not n.isnull and t == UNKNOWN:
                self.fold_literal(n, target)
                self.types[id(n)] = target
            elif isinstance(n, ast.ParamRef) and t == UNKNOWN and target != UNKNOWN:
                # a literal the simple protocol bound as a parameter: it converts the same way
                self.types[id(n)] = self.param_type(n.number, target)
            elif target[0] == T.NUMERIC and t is not None and t[0] in T.INTEGER_TYPES:
                self.to_numeric.add(id(n))
            elif target[0] in (T.FLOAT4, T.FLOAT8) and t is not None and t[0] == T.NUMERIC:
                # numeric among floats becomes a float (numeric text would sort as text)
                self.to_float[id(n)] = target[0]

    def const(self, node: ast.A_Const, expected: TypeRef | None) -> TypeRef:
        if node.isnull:
            return expected if expected is not None else UNKNOWN
        val = node.val
        if isinstance(val, ast.Integer):
            return (T.INT4, -1)
        if isinstance(val, ast.Float):
            return (_natural_literal(val)[0], -1)
        if isinstance(val, ast.Boolean):
            return (T.BOOL, -1)
        if isinstance(val, ast.BitString):
            raise PgError("0A000", "bit string literals are not supported")
        # A string literal has type unknown: it takes the type its context expects.
        if expected is not None and expected[0] not in (T.UNKNOWN, T.TEXT, T.VARCHAR):
            self.fold_literal(node, expected)
            return expected
        return UNKNOWN

    def fold_literal(self, node: ast.A_Const, target: TypeRef) -> None:
        """Convert a literal to the storage value of its type now (as PostgreSQL's parse
        analysis does), so bad input fails at parse time with PostgreSQL's SQLSTATE."""
        oid, typmod = target
        if oid in (T.REGCLASS, T.REGTYPE, T.REGPROC) and isinstance(node.val, ast.String):
            text = node.val.sval
            if oid == T.REGCLASS:
                self.literals[id(node)] = functions.regclass_lookup(self.catalog, text)
            else:
                self.literals[id(node)] = functions.cast_value(text, T.TEXT, oid, -1)
            return
        if oid in (T.UNKNOWN, T.RECORD, T.REGCLASS, T.REGTYPE, T.REGNAMESPACE, T.REGPROC):
            return
        val = node.val
        pgtype = pgtypes.TYPES_BY_OID.get(oid)
        if pgtype is None:
            return
        try:
            if isinstance(val, ast.String):
                value = pgtypes.parse_text(pgtype, val.sval, typmod, self.tz)
            elif isinstance(val, ast.Integer | ast.Float | ast.Boolean):
                # A typed literal converts like a value of its own type (2.5 -> int rounds,
                # true -> int is 1), not like its text.
                src, natural = _natural_literal(val)
                value = functions.cast_value(natural, src, oid, typmod, self.tz)
            else:
                return
        except PgError as exc:
            if exc.position is None:
                exc.position = _pos(node)
            raise
        self.literals[id(node)] = value

    def type_name(self, tn: ast.TypeName) -> TypeRef:
        names = _names(tn.names)
        mods: list[int] = []
        for m in tn.typmods or ():
            if isinstance(m, ast.A_Const) and isinstance(m.val, ast.Integer):
                mods.append(m.val.ival)
            else:
                raise PgError("0A000", "this type modifier is not supported")
        bounds = [b.ival for b in tn.arrayBounds or ()]
        if names and names[-1] in ("regclass", "regtype", "regnamespace", "regproc", "oid"):
            oid = {
                "regclass": T.REGCLASS,
                "regtype": T.REGTYPE,
                "regnamespace": T.REGNAMESPACE,
                "regproc": T.REGPROC,
                "oid": T.OID,
            }[names[-1]]
            return (T.ARRAY_OF.get(oid, oid) if bounds else oid, -1)
        t, typmod = pgtypes.resolve_type(names, mods, bounds)
        return (t.oid, typmod)

    def a_expr(self, node: ast.A_Expr, scope: Scope, expected: TypeRef | None) -> TypeRef:
        kind = node.kind
        K = enums.A_Expr_Kind
        op = _names(node.name)[-1] if node.name else ""
        if kind in (K.AEXPR_IN,):
            left = self.expr(node.lexpr, scope)
            types = [self.expr(e, scope, left) for e in node.rexpr]
            self._coerce_unknowns(node.rexpr, left if left != UNKNOWN else _common_type(types))
            return (T.BOOL, -1)
        if kind in (
            K.AEXPR_BETWEEN,
            K.AEXPR_NOT_BETWEEN,
            K.AEXPR_BETWEEN_SYM,
            K.AEXPR_NOT_BETWEEN_SYM,
        ):
            left = self.expr(node.lexpr, scope)
            for e in node.rexpr:
                self.expr(e, scope, left)
            if left[0] in (T.FLOAT4, T.FLOAT8):
                self._coerce_unknowns(node.rexpr, left)  # numeric bounds compare as floats
            return (T.BOOL, -1)
        if kind in (K.AEXPR_OP_ANY, K.AEXPR_OP_ALL):
            left = self.expr(node.lexpr, scope)
            arr_expected = (T.ARRAY_OF.get(left[0], T.TEXT_ARRAY), -1)
            right = self.expr(node.rexpr, scope, arr_expected)
            if left == UNKNOWN and right[0] in T.ELEMENT_OF and isinstance(node.lexpr, ast.A_Const):
                self.fold_literal(node.lexpr, (T.ELEMENT_OF[right[0]], -1))
            return (T.BOOL, -1)
        if kind == K.AEXPR_NULLIF:
            left = self.expr(node.lexpr, scope, expected)
            self.expr(node.rexpr, scope, left)
            return left
        if kind in (K.AEXPR_LIKE, K.AEXPR_ILIKE, K.AEXPR_SIMILAR):
            self.expr(node.lexpr, scope, (T.TEXT, -1))
            self.expr(node.rexpr, scope, (T.TEXT, -1))
            return (T.BOOL, -1)
        if kind in (K.AEXPR_DISTINCT, K.AEXPR_NOT_DISTINCT):
            left = self.expr(node.lexpr, scope)
            right = self.expr(node.rexpr, scope, left)
            if left == UNKNOWN and isinstance(node.lexpr, ast.A_Const | ast.ParamRef):
                self.expr(node.lexpr, scope, right)
            return (T.BOOL, -1)
        if kind != K.AEXPR_OP:
            raise PgError("0A000", f"operator kind {kind.name} is not supported")
        if node.lexpr is None:  # prefix operator
            t = self.expr(node.rexpr, scope, expected)
            if op == "-" and isinstance(node.rexpr, ast.A_Const) and t == UNKNOWN:
                return (T.NUMERIC, -1)
            if op in ("|/", "||/"):
                return (T.FLOAT8, -1)  # square and cube root are float8 operators only
            if op == "~" and t[0] in _INEXACT:
                raise _no_operator(op, None, t, node)
            return (T.BOOL, -1) if op in ("!", "NOT") else t
        # Type the side that is not a parameter/literal first so the other takes its type.
        l_is_free = isinstance(node.lexpr, ast.ParamRef | ast.A_Const)
        if l_is_free and not isinstance(node.rexpr, ast.ParamRef | ast.A_Const):
            right = self.expr(node.rexpr, scope)
            left = self.expr(node.lexpr, scope, self._operand_expectation(op, right))
        else:
            left = self.expr(node.lexpr, scope)
            right = self.expr(node.rexpr, scope, self._operand_expectation(op, left))
            if left == UNKNOWN and right != UNKNOWN:
                left = self.expr(node.lexpr, scope, self._operand_expectation(op, right))
        if op in COMPARISON_OPS:
            if T.JSON in (left[0], right[0]):  # json has no comparison operators, jsonb has
                raise PgError("42883", f"operator does not exist: {_type_display(left)} {op} "
                              f"{_type_display(right)}", position=_pos(node))
            return (T.BOOL, -1)
        if op in (
            "~",
            "!~",
            "~*",
            "!~*",
            "~~",
            "!~~",
            "~~*",
            "!~~*",
            "@>",
            "<@",
            "?",
            "?|",
            "?&",
            "&&",
            "@?",
            "@@",
            "^@",
        ):
            return (T.BOOL, -1)
        if op == "||":
            if left[0] in (T.JSONB,) or right[0] in (T.JSONB,):
                return (T.JSONB, -1)
            if left[0] in T.ELEMENT_OF:
                return left
            if right[0] in T.ELEMENT_OF:  # element || array
                return right
            if left[0] == right[0] == T.BYTEA:
                return (T.BYTEA, -1)
            return (T.TEXT, -1)
        if op in ("->", "#>"):
            return (T.JSONB if left[0] == T.JSONB else T.JSON, -1)
        if op in ("-", "#-") and left[0] == T.JSONB:
            return left
        if op in ("->>", "#>>"):
            return (T.TEXT, -1)
        if op == "%" and (left[0] in (T.FLOAT4, T.FLOAT8) or right[0] in (T.FLOAT4, T.FLOAT8)):
            raise _no_operator(op, left, right, node)  # % exists for integers and numeric
        if op in ("+", "-", "*", "/", "%"):
            return _arith_type(op, left, right)
        if op == "^":
            return _power_type([left, right])
        if op in ("&", "|", "#", "<<", ">>"):
            if left[0] in _INEXACT or right[0] in _INEXACT:
                raise _no_operator(op, left, right, node)  # bitwise: integers only
            return left
        raise PgError("42883", f"operator does not exist: {op}", position=_pos(node))

    @staticmethod
    def _operand_expectation(op: str, other: TypeRef) -> TypeRef | None:
        if op in ("#>", "#>>", "?|", "?&", "#-") and other[0] in (T.JSON, T.JSONB):
            return (T.TEXT_ARRAY, -1)
        if op in ("->", "->>", "#>", "#>>", "?"):
            return (T.TEXT, -1)
        if op == "||" and other[0] == T.JSONB:
            return other
        if op in ("-", "@?", "@@") and other[0] == T.JSONB:
            return (T.TEXT, -1)
        if op == "||" and other[0] == T.BYTEA:
            return other  # bytea || 'literal' is bytea
        if op in ("~", "!~", "~*", "!~*", "~~", "!~~", "~~*", "!~~*", "||"):
            return (T.TEXT, -1) if other[0] not in T.ELEMENT_OF else other
        if op == "-" and other[0] in (T.DATE, T.TIMESTAMP, T.TIMESTAMPTZ, T.TIME):
            return other  # an unknown operand takes the other's type: date - date exists
        if op in ("+", "-") and other[0] in (T.TIMESTAMP, T.TIMESTAMPTZ, T.TIME):
            return (T.INTERVAL, -1)
        if op in ("+", "-") and other[0] == T.DATE:
            return (T.INT4, -1)
        return other

    def sublink(self, node: ast.SubLink, scope: Scope, expected: TypeRef | None) -> TypeRef:
        kind = node.subLinkType
        S = enums.SubLinkType
        cols = self.select(node.subselect, Scope(parent=scope))
        if kind == S.EXISTS_SUBLINK:
            return (T.BOOL, -1)
        if kind == S.EXPR_SUBLINK:
            if len(cols) != 1:
                raise PgError("42601", "subquery must return only one column")
            return cols[0].type
        if kind == S.ARRAY_SUBLINK:
            return (T.ARRAY_OF.get(cols[0].type[0], T.TEXT_ARRAY), -1)
        if kind in (S.ANY_SUBLINK, S.ALL_SUBLINK):
            self.expr(node.testexpr, scope, cols[0].type if cols else None)
            return (T.BOOL, -1)
        raise PgError("0A000", f"subquery kind {kind.name} is not supported")

    def func_call(self, node: ast.FuncCall, scope: Scope, expected: TypeRef | None) -> TypeRef:
        name = _func_name(node)
        args = list(node.args or ())
        if name == "make_interval":  # the one function called with named arguments
            args = translate_datetime.unwrap_named(args)
        if node.agg_filter is not None:
            self.expr(node.agg_filter, scope, (T.BOOL, -1))
        if node.over is not None:
            self.window_def(node.over, scope)
        for s in node.agg_order or ():
            self.expr(s.node, scope)
        if (
            name in ("nextval", "currval", "setval", "pg_get_serial_sequence")
            or name.startswith("pg_advisory")
            or name
            in (
                "set_config",
                "pg_promote",
                "pgha_force_promote",
                "pg_sleep",
                "pg_notify",
                "gen_random_uuid",
                "random",
                "pg_try_advisory_lock",
            )
        ):
            self.is_write = self.is_write or name in ("nextval", "setval")
        if name in ("pg_sleep", "pg_advisory_lock", "pg_advisory_xact_lock", "pg_promote",
                    "pgha_force_promote"):
            self.blocking = True
        expected_args = self.function_arg_types(name, len(args))
        if name == "substring" and len(args) in (2, 3) and self._string_literal(args[1]):
            # substring(s FROM pattern), substring(s SIMILAR pattern ESCAPE e)
            expected_args = [(T.TEXT, -1)] * len(args)
        types = [
            self.expr(a, scope, expected_args[i] if expected_args else None)
            for i, a in enumerate(args)
        ]
        datetime_result = translate_datetime.result_type(name, types)
        if datetime_result is not None:
            return datetime_result
        if name in ("sqrt", "power", "pow", "exp", "ln", "log", "log10"):
            if name == "log" and len(types) == 2:
                return (T.NUMERIC, -1)  # log(b, x) exists for numeric only
            return _power_type(types)
        floats = [t for t in types if t[0] in (T.FLOAT4, T.FLOAT8)]
        if floats and (name in ("gcd", "lcm", "div", "mod", "factorial") or (
                name in ("round", "trunc") and len(types) == 2)):
            raise _no_function(name, types, node)  # numeric or integer versions only
        if name == "factorial" and types and types[0][0] == T.NUMERIC:
            raise _no_function(name, types, node)
        if name in ("gcd", "lcm"):
            if types and all(t[0] in (T.INT2, T.UNKNOWN) for t in types):
                shown = ", ".join(_type_display(t) for t in types)
                raise PgError("42725", f"function {name}({shown}) is not unique",
                              position=_pos(node))
            common = _common_type(types)
            return common if common[0] in (T.INT2, T.INT4, T.INT8, T.NUMERIC) else (
                T.NUMERIC, -1)
        if name == "factorial":
            return (T.NUMERIC, -1)
        if name in ("bit_and", "bit_or", "bit_xor") and types:
            return types[0] if types[0] != UNKNOWN else (T.INT4, -1)
        if name in ("percentile_cont", "percentile_disc", "mode") and node.agg_within_group:
            ordered = self.expr(node.agg_order[0].node, scope)
            if name == "percentile_cont":
                if ordered[0] not in T.NUMERIC_RANK and ordered[0] not in (T.UNKNOWN,
                                                                             T.INTERVAL):
                    raise PgError("42883", f"function percentile_cont({_type_display(types[0])}"
                                  f" ORDER BY {_type_display(ordered)}) does not exist")
                ordered = (T.INTERVAL if ordered[0] == T.INTERVAL else T.FLOAT8, -1)
            elif ordered == UNKNOWN:
                ordered = (T.TEXT, -1)
            if types and types[0][0] in T.ELEMENT_OF:  # an array of fractions
                return (T.ARRAY_OF.get(ordered[0], T.TEXT_ARRAY), -1)
            return ordered
        if name in BYTEA_FORMS and types and types[0][0] == T.BYTEA:
            return (T.BYTEA, -1)
        if name in FIXED_RESULT:
            if name == "sign" and types and types[0][0] != T.NUMERIC:
                return (T.FLOAT8, -1)
            if name in ("date_part", "extract") and types and types[-1][0] == T.UNKNOWN:
                return FIXED_RESULT[name]
            return FIXED_RESULT[name]
        if name == "sum":
            t = types[0] if types else UNKNOWN
            return {
                T.INT2: (T.INT8, -1),
                T.INT4: (T.INT8, -1),
                T.INT8: (T.NUMERIC, -1),
                T.FLOAT4: (T.FLOAT4, -1),
                T.FLOAT8: (T.FLOAT8, -1),
                T.INTERVAL: (T.INTERVAL, -1),
            }.get(t[0], (T.NUMERIC, -1))
        if name == "avg":
            t = types[0] if types else UNKNOWN
            return (
                (T.FLOAT8, -1)
                if t[0] in (T.FLOAT4, T.FLOAT8)
                else ((T.INTERVAL, -1) if t[0] == T.INTERVAL else (T.NUMERIC, -1))
            )
        if name in ("stddev", "variance", "stddev_samp", "var_samp", "stddev_pop", "var_pop"):
            t = types[0] if types else UNKNOWN
            return (T.FLOAT8, -1) if t[0] in (T.FLOAT4, T.FLOAT8) else (T.NUMERIC, -1)
        if name == "array_agg":
            t = types[0] if types else (T.TEXT, -1)
            return (T.ARRAY_OF.get(t[0], T.TEXT_ARRAY), -1)
        if name in SAME_AS_ARG:
            common = _common_type(
                types[:1]
                if name in ("round", "trunc", "date_trunc", "lag", "lead", "nth_value")
                else types
            )
            if name == "date_trunc" and len(types) >= 2:
                return types[1] if types[1] != UNKNOWN else (T.TIMESTAMPTZ, -1)
            if name in ("round", "trunc", "ceil", "ceiling", "floor") and \
                    common[0] in T.INTEGER_TYPES:
                # round(int) is round(float8), float8 being the preferred type; with a
                # second argument only round(numeric, int) exists.
                return (T.NUMERIC, -1) if len(types) > 1 else (T.FLOAT8, -1)
            if name in ("round", "trunc", "ceil", "ceiling", "floor") and common[0] == T.FLOAT4:
                return (T.FLOAT8, -1)  # these exist for float8 and numeric only
            if name in ("round", "trunc", "ceil", "ceiling", "floor", "abs", "mod"):
                return (common[0], -1)  # a function's result has no typmod: ceil(numeric(10,2))
            if name in ("coalesce", "greatest", "least", "min", "max"):
                self._coerce_unknowns(args, common)
            return common if common != UNKNOWN else (T.TEXT, -1)
        if name in ("array_append", "array_cat", "array_remove", "array_replace", "trim_array"):
            if name == "array_cat" and types and types[0][0] == T.UNKNOWN and len(types) > 1:
                return types[1]
            if name == "array_append" and len(types) > 1 and types[0][0] == T.UNKNOWN:
                return (T.ARRAY_OF.get(types[1][0], T.TEXT_ARRAY), -1)
            return types[0] if types else (T.TEXT_ARRAY, -1)
        if name == "array_prepend":
            if len(types) > 1 and types[1][0] == T.UNKNOWN:
                return (T.ARRAY_OF.get(types[0][0], T.TEXT_ARRAY), -1)
            return types[1] if len(types) > 1 else (T.TEXT_ARRAY, -1)
        if name == "array_fill":
            return (T.ARRAY_OF.get(types[0][0], T.TEXT_ARRAY), -1) if types else UNKNOWN
        if name in ("generate_series", "unnest"):
            raise PgError("0A000", f"set-returning function {name}() is only supported in FROM")
        raise PgError(
            "42883",
            f"function {name}({', '.join(_type_display(t) for t in types)}) does not exist",
            hint="No function matches the given name and argument types. You might need to "
            "add explicit type casts.",
            position=_pos(node),
        )

    def _string_literal(self, node: Any) -> bool:
        """A string constant, also as the untyped parameter a simple Query's literal becomes."""
        if isinstance(node, ast.A_Const):
            return isinstance(node.val, ast.String)
        return isinstance(node, ast.ParamRef) and node.number not in self.params

    @staticmethod
    def function_arg_types(name: str, nargs: int) -> list[TypeRef | None] | None:
        datetime_args = translate_datetime.arg_types(name, nargs)
        if datetime_args is not None:
            return datetime_args
        text = (T.TEXT, -1)
        int4 = (T.INT4, -1)
        if name in JSON_DOCUMENT_ARGS:  # the document, then (as for #>) text path steps
            doc = (T.JSONB if name.startswith("jsonb") else T.JSON, -1)
            rest: list[TypeRef | None] = [text] * (nargs - 1)
            if name in ("jsonb_set", "jsonb_insert", "jsonb_set_lax"):
                rest = [(T.TEXT_ARRAY, -1), doc, (T.BOOL, -1), text][: nargs - 1]
            elif name.startswith("jsonb_path"):  # (target, path, vars, silent)
                rest = [text, doc, (T.BOOL, -1)][: nargs - 1]
            return [doc, *rest]
        bytea = (T.BYTEA, -1)
        table: dict[str, list[TypeRef | None]] = {
            "nextval": [(T.REGCLASS, -1)],
            "currval": [(T.REGCLASS, -1)],
            "setval": [(T.REGCLASS, -1), (T.INT8, -1), (T.BOOL, -1)],
            "set_config": [text, text, (T.BOOL, -1)],
            "pg_promote": [(T.BOOL, -1), int4],
            "current_setting": [text, (T.BOOL, -1)],
            "left": [text, int4],
            "right": [text, int4],
            "repeat": [text, int4],
            "lpad": [text, int4, text],
            "rpad": [text, int4, text],
            "substr": [text, int4, int4],
            "substring": [text, int4, int4],
            "split_part": [text, text, int4],
            "pg_sleep": [(T.FLOAT8, -1)],
            "pg_notify": [text, text],
            "to_regtype": [text],
            "to_regclass": [text],
            "date_trunc": [text, None],
            "date_part": [text, None],
            "extract": [text, None],
            "pg_advisory_lock": [(T.INT8, -1), int4],
            "pg_advisory_unlock": [(T.INT8, -1), int4],
            "pg_try_advisory_lock": [(T.INT8, -1), int4],
            "json_object": [(T.TEXT_ARRAY, -1)] * 2,
            "jsonb_object": [(T.TEXT_ARRAY, -1)] * 2,
            "convert_from": [bytea, text],
            "get_byte": [bytea, int4],
            "set_byte": [bytea, int4, int4],
            "sha224": [bytea],
            "sha256": [bytea],
            "sha384": [bytea],
            "sha512": [bytea],
            "encode": [bytea, text],
            "overlay": [text, text, int4, int4],
            "array_fill": [None, (T.INT4_ARRAY, -1), (T.INT4_ARRAY, -1)],
            "trim_array": [None, int4],
        }
        return table.get(name)

    # -- INSERT / UPDATE / DELETE ---------------------------------------------------------

    def target_table(self, rv: ast.RangeVar) -> Table:
        if rv.schemaname == "pg_temp":
            rel = self.catalog.by_name.get(rv.relname)
            if isinstance(rel, Table) and rel.oid >= FIRST_TEMP_OID:
                return rel
        if rv.schemaname not in (None, "public"):
            raise PgError(
                "42501" if rv.schemaname == "pg_catalog" else "42P01",
                f"permission denied for table {rv.relname}"
                if rv.schemaname == "pg_catalog"
                else f'relation "{rv.schemaname}.{rv.relname}" does not exist',
            )
        rel = (self.catalog.shadowed.get(rv.relname) if rv.schemaname == "public" else None) \
            or self.catalog.by_name.get(rv.relname)
        if isinstance(rel, View):
            raise PgError("0A000", f'cannot change view "{rv.relname}"')
        if not isinstance(rel, Table):
            raise undefined_table(rv.relname, _pos(rv))
        return rel

    def table_entry(self, table: Table, alias: ast.Alias | None) -> RangeEntry:
        cols = [ColInfo(c.name, (c.type_oid, c.typmod), table.oid, c.attnum) for c in table.columns]
        return RangeEntry(alias.aliasname if alias else table.name, cols, table)

    def returning(self, clause: Any, scope: Scope) -> list[ColInfo] | None:
        exprs = getattr(clause, "exprs", clause)
        if not exprs:
            return None
        return self.target_list(exprs, scope)

    def insert(self, node: ast.InsertStmt, scope: Scope) -> list[ColInfo] | None:
        self.is_write = True
        self.with_clause(node.withClause, scope)
        table = self.target_table(node.relation)
        names = [rt.name for rt in node.cols or ()] or [c.name for c in table.columns]
        if node.selectStmt is None:
            names = []  # DEFAULT VALUES: every column takes its default
        targets: list[Column] = []
        for name in names:
            col = table.column(name)
            if col is None:
                raise PgError("42703", f'column "{name}" of relation "{table.name}" does not exist')
            targets.append(col)
        if node.override != enums.OverridingKind.OVERRIDING_SYSTEM_VALUE:
            for col in targets:
                if col.identity == "a" and not self._all_default(node.selectStmt, targets, col):
                    raise PgError(
                        "428C9", f'cannot insert a non-DEFAULT value into column "{col.name}"',
                        detail=f'Column "{col.name}" is an identity column defined as GENERATED '
                        "ALWAYS.", hint="Use OVERRIDING SYSTEM VALUE to override.")
        select = node.selectStmt
        width = len(targets)
        if select is not None and isinstance(select, ast.SelectStmt) and select.valuesLists:
            for row in select.valuesLists:
                if len(row) > width:
                    raise PgError("42601", "INSERT has more expressions than target columns")
                for value, col in zip(row, targets, strict=False):
                    self.assign(value, col, scope)
        elif select is not None:
            cols = self.select(select, Scope(parent=scope))
            if len(cols) > width:
                raise PgError("42601", "INSERT has more expressions than target columns")
        omitted = [c for c in table.columns if c.name not in names]
        if select is not None and isinstance(select, ast.SelectStmt) and select.valuesLists:
            short = min(len(r) for r in select.valuesLists)
            omitted = [c for c in targets[short:]] + omitted if short < width else omitted
        extra_cols = [c.name for c in omitted if c.default is not None]
        self.insert_extra[id(node)] = (
            extra_cols,
            [self.default_sql(table, c) for c in omitted if c.default is not None],
        )
        entry = self.table_entry(table, node.relation.alias)
        local = Scope([entry], scope)
        if node.onConflictClause is not None:
            occ = node.onConflictClause
            occ.targetList = _expand_multi_assign(occ.targetList)
            excluded = RangeEntry("excluded", [ColInfo(c.name, c.type) for c in entry.cols])
            conflict_scope = Scope([entry, excluded], scope)
            for rt in occ.targetList or ():
                col = table.column(rt.name)
                if col is None:
                    raise PgError(
                        "42703", f'column "{rt.name}" of relation "{table.name}" does not exist'
                    )
                self.assign(rt.val, col, conflict_scope)
            if occ.whereClause is not None:
                self.expr(occ.whereClause, conflict_scope, (T.BOOL, -1))
        return self.returning(node.returningClause, local)

    @staticmethod
    def _all_default(select: Any, targets: list[Column], col: Column) -> bool:
        """Every value given for ``col`` is DEFAULT (allowed for GENERATED ALWAYS)."""
        if not isinstance(select, ast.SelectStmt) or not select.valuesLists:
            return select is None
        idx = targets.index(col)
        return all(isinstance(row[idx], ast.SetToDefault) for row in select.valuesLists
                   if idx < len(row))

    def assign(self, value: Any, col: Column, scope: Scope) -> None:
        target = (col.type_oid, col.typmod)
        if isinstance(value, ast.SetToDefault):
            self.types[id(value)] = target
            return
        t = self.expr(value, scope, target)
        if isinstance(value, ast.A_Const) and not value.isnull and id(value) not in self.literals:
            self.fold_literal(value, target)
            return
        # An assignment cast where the types differ, or where the column's typmod or range
        # must be checked (varchar(n), numeric(p,s), smallint, char(n)).
        differs = t != target and t != UNKNOWN and not (t[0] == target[0] and target[1] == -1)
        checked = col.typmod != -1 or col.type_oid in (T.INT2, T.BPCHAR) or (
            # integer arithmetic can leave the column's range (SQLite's integers are 64-bit)
            col.type_oid in (T.INT4, T.INT8) and isinstance(value, ast.A_Expr))
        if differs or (checked and not isinstance(value, ast.A_Const)):
            self.assign_wrap[id(value)] = target

    def default_sql(self, table: Table, col: Column) -> str:
        assert col.default is not None
        return translate_expression(
            self.catalog, self.system, col.default, self.tz, (col.type_oid, col.typmod)
        )

    def update(self, node: ast.UpdateStmt, scope: Scope) -> list[ColInfo] | None:
        self.is_write = True
        node.targetList = _expand_multi_assign(node.targetList)
        self.with_clause(node.withClause, scope)
        table = self.target_table(node.relation)
        local = Scope([self.table_entry(table, node.relation.alias)], scope)
        for item in node.fromClause or ():
            local.entries.extend(self.from_item(item, local))
        for rt in node.targetList:
            col = table.column(rt.name)
            if col is None:
                raise PgError(
                    "42703",
                    f'column "{rt.name}" of relation "{table.name}" does not exist',
                    position=_pos(rt),
                )
            if rt.indirection and col.type_oid in T.ELEMENT_OF:  # SET a[i] = v
                ind = rt.indirection
                if len(ind) != 1 or not isinstance(ind[0], ast.A_Indices) or ind[0].is_slice:
                    raise PgError("0A000", "only UPDATE ... SET array[i] = value is supported "
                                  "among assignments to parts of an array")
                self.array_assignments.add(id(rt))
                self.expr(ind[0].uidx, local, (T.INT4, -1))
                self.expr(rt.val, local, (T.ELEMENT_OF[col.type_oid], -1))
                continue
            if col.identity == "a" and not isinstance(rt.val, ast.SetToDefault):
                raise PgError("428C9", f'column "{col.name}" can only be updated to DEFAULT',
                              detail=f'Column "{col.name}" is an identity column defined as '
                              "GENERATED ALWAYS.")
            if rt.indirection:  # SET doc['a'][0] = value: jsonb subscripts only
                if col.type_oid != T.JSONB or any(
                        not isinstance(i, ast.A_Indices) or i.is_slice for i in rt.indirection):
                    raise PgError("0A000", "assignment to an element of a column is supported "
                                  "for array and jsonb subscripts only", position=_pos(rt))
                for ind in rt.indirection:
                    if self.expr(ind.uidx, local) == UNKNOWN:
                        self.expr(ind.uidx, local, (T.TEXT, -1))
                self.expr(rt.val, local, (T.JSONB, -1))
                continue
            if isinstance(rt.val, ast.SetToDefault):
                self.default_exprs[id(rt.val)] = (
                    self.default_sql(table, col) if col.default is not None else "NULL"
                )
            self.assign(rt.val, col, local)
        if node.whereClause is not None:
            self.expr(node.whereClause, local, (T.BOOL, -1))
        return self.returning(node.returningClause, local)

    def delete(self, node: ast.DeleteStmt, scope: Scope) -> list[ColInfo] | None:
        self.is_write = True
        self.with_clause(node.withClause, scope)
        table = self.target_table(node.relation)
        local = Scope([self.table_entry(table, node.relation.alias)], scope)
        for item in node.usingClause or ():
            local.entries.extend(self.from_item(item, local))
        if node.whereClause is not None:
            self.expr(node.whereClause, local, (T.BOOL, -1))
        return self.returning(node.returningClause, local)


def _expand_multi_assign(targets: Any) -> Any:
    """``SET (a, b) = (x, y)`` as ``SET a = x, b = y``; ``SET (a, b) = (SELECT x, y ...)`` as
    ``SET a = (SELECT c1 FROM (SELECT x, y ...) AS m(c1, c2)), b = ...`` (SQLite evaluates the
    sub-select per column; a correlated one still sees the row being updated)."""
    if not targets or not any(isinstance(rt.val, ast.MultiAssignRef) for rt in targets):
        return targets
    out = []
    for rt in targets:
        ref = rt.val
        if not isinstance(ref, ast.MultiAssignRef):
            out.append(rt)
            continue
        source = ref.source
        if isinstance(source, ast.RowExpr):
            if len(source.args) != ref.ncolumns:
                raise PgError("42601", "number of columns does not match number of values")
            value = copy.deepcopy(source.args[ref.colno - 1])
        elif isinstance(source, ast.SubLink) and source.subLinkType == \
                enums.SubLinkType.EXPR_SUBLINK:
            names = tuple(ast.String(sval=f"c{i + 1}") for i in range(ref.ncolumns))
            inner = ast.RangeSubselect(lateral=False, subquery=copy.deepcopy(source.subselect),
                                       alias=ast.Alias(aliasname="_multi", colnames=names))
            select = ast.SelectStmt(
                targetList=(ast.ResTarget(val=ast.ColumnRef(fields=(names[ref.colno - 1],))),),
                fromClause=(inner,), op=enums.SetOperation.SETOP_NONE,
                limitOption=enums.LimitOption.LIMIT_OPTION_DEFAULT)
            value = ast.SubLink(subLinkType=enums.SubLinkType.EXPR_SUBLINK, subselect=select)
        else:
            raise PgError("0A000", "this multiple-column assignment is not supported")
        out.append(ast.ResTarget(name=rt.name, val=value, location=rt.location))
    return tuple(out)


def _natural_literal(val: Any) -> tuple[int, Any]:
    if isinstance(val, ast.Boolean):
        return T.BOOL, 1 if val.boolval else 0
    if isinstance(val, ast.Integer):
        return T.INT4, val.ival
    text = val.fval
    if text.lstrip("-").isdigit() and -(2**63) <= int(text) < 2**63:
        # make_const(): an integer too large for the lexer's int4 is int8, and '-2147483648'
        # (negated by the grammar) is int4 again.
        return (T.INT4 if -(2**31) <= int(text) < 2**31 else T.INT8), int(text)
    return T.NUMERIC, pgtypes.parse_text(pgtypes.TYPES_BY_OID[T.NUMERIC], text)


def _chain(scope: Scope) -> list[Scope]:
    out = []
    cur: Scope | None = scope
    while cur is not None:
        out.append(cur)
        cur = cur.parent
    return out


def _type_display(t: TypeRef) -> str:
    if t[0] == T.UNKNOWN:
        return "unknown"
    pgtype = pgtypes.TYPES_BY_OID.get(t[0])
    return pgtypes.format_type(t[0], -1) if pgtype else str(t[0])


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


class SqliteStream(RawStream):
    """Pass 2: print SQLite SQL for an analysed statement."""

    def __init__(self, analyzer: Analyzer) -> None:
        super().__init__()
        self.an = analyzer
        self.returning_target: set[str] = set()
        self.multisets = 0  # EXCEPT ALL / INTERSECT ALL printed so far
        self.int_wrapping: set[int] = set()  # integer arithmetic being printed inside its check

    def print_node(self, node: Any, is_name: bool = False, is_symbol: bool = False) -> None:
        if not is_name and id(node) in self.an.to_numeric:
            self.write("pg_num(")
            self._print_node(node, is_name, is_symbol)
            self.write(")")
            return
        if not is_name and id(node) in self.an.to_float:
            self.write("pg_cast(")
            self._print_node(node, is_name, is_symbol)
            self.write(f", {T.NUMERIC}, {self.an.to_float[id(node)]}, -1)")
            return
        self._print_node(node, is_name, is_symbol)

    def _print_node(self, node: Any, is_name: bool, is_symbol: bool) -> None:
        handler = OVERRIDES.get(type(node))
        if handler is not None and not is_name and handler(self, node):
            self.separator()
            return
        super().print_node(node, is_name, is_symbol)

    def type_of(self, node: Any) -> TypeRef:
        return self.an.types.get(id(node), UNKNOWN)

    def call(self, fn: str, *args: Any) -> None:
        self.write(fn + "(")
        for i, a in enumerate(args):
            if i:
                self.write(", ")
            if isinstance(a, str):
                self.write(a)
            else:
                self.print_node(a)
        self.write(")")


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
    if target[0] in T.TEXT_LIKE and src[0] == T.REGPROC:
        s.call("pg_regproc_name", arg)
        return True
    if target[0] in (T.TEXT, T.VARCHAR, T.NAME) and src[0] in T.TEXT_LIKE and target[1] == -1:
        _print_as_text(s, arg)
        return True
    # An explicit cast truncates to varchar(n)/char(n) where an assignment would fail.
    s.call("pg_cast_explicit", arg, str(src[0]), str(target[0]), str(target[1]))
    return True


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
        translate_datetime.print_make_interval(s, args)
        return True
    if translate_datetime.print_func(s, name, args):
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
            raise PgError("0A000", f"this form of {name}() is not supported")
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
                s.write(translate_datetime.sort_collation(s.type_of(a)[0]))
        _print_agg_order(s, node)
    s.write(")")
    _print_agg_filter(s, node)
    if node.over is not None:
        s.write(" OVER ")
        s.print_node(node.over)
    return True


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
        if translate_datetime.print_operator(s, node, op, lt, rt):
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
    if translate_datetime.print_interval_list(s, node):
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
            raise PgError("0A000", f"operator {op} with ANY/ALL is not supported")
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
            raise PgError("42601", "unequal number of entries in row expressions",
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


def _refers_to(node: Any, relation: str) -> bool:
    """Does the tree under ``node`` name ``relation`` (unqualified) in a FROM clause?"""
    if isinstance(node, ast.RangeVar):
        return node.schemaname is None and node.relname == relation
    if isinstance(node, ast.Node):
        return any(_refers_to(getattr(node, name), relation) for name in type(node).__slots__)
    if isinstance(node, list | tuple):
        return any(_refers_to(item, relation) for item in node)
    return False


def _check_recursion(query: ast.SelectStmt) -> None:
    """What PostgreSQL does not implement in a recursive query (it would loop in SQLite)."""
    for present, what in ((query.sortClause, "ORDER BY"), (query.limitOffset, "OFFSET"),
                          (query.limitCount, "LIMIT"),
                          (query.lockingClause, "FOR UPDATE/SHARE")):
        if present:
            raise PgError("0A000", f"{what} in a recursive query is not implemented")
    for term in (query.larg, query.rarg):
        if term is not None and term.lockingClause:
            raise PgError("0A000", "FOR UPDATE/SHARE in a recursive query is not implemented")


# json functions whose arguments travel with their type OIDs (see fn_json) or that print
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
                raise PgError("42883", f"function {name} does not exist")
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
PREFIX_MATH = {"@": "abs", "|/": "sqrt", "||/": "cbrt"}
INT_BITS = {T.INT2: 16, T.INT4: 32, T.INT8: 64}
FLOAT_OPS = {"+": "add", "-": "sub", "*": "mul", "/": "div"}
STAT_AGGREGATES = frozenset(
    {"stddev", "variance", "stddev_pop", "stddev_samp", "var_pop", "var_samp"})
# Arithmetic whose PostgreSQL result type is numeric: exact, through pgha.storage.numeric.
NUMERIC_OPS = {"+": "pg_num_add", "-": "pg_num_sub", "*": "pg_num_mul", "/": "pg_num_div",
               "%": "pg_num_mod"}
_INTEGER_OR_UNKNOWN = T.INTEGER_TYPES | {T.UNKNOWN}


def _is_numeric(t: TypeRef) -> bool:
    return t[0] == T.NUMERIC


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


def _p_svf(s: SqliteStream, node: ast.SQLValueFunction) -> bool:
    entry = SQL_VALUE_FUNCTIONS.get(node.op)
    if entry is None:
        raise PgError("0A000", "this SQL value function is not supported")
    s.write(entry[1])
    return True


def _p_rangevar(s: SqliteStream, node: ast.RangeVar) -> bool:
    seq = s.an.sequence_refs.get(id(node))
    if seq is not None:
        state = f"(SELECT {{}} FROM __pgha_sequence_values WHERE oid = {seq.oid})"
        s.write(f"(SELECT coalesce({state.format('last_value')}, {seq.start}) AS last_value, "
                f"0 AS log_cnt, coalesce({state.format('is_called')}, 0) AS is_called) AS ")
        s.print_name(node.alias.aliasname if node.alias else node.relname)
        return True
    if node.schemaname == "pg_temp":
        s.write("temp.")
        node.schemaname = None  # (printed as SQLite names the session's own schema)
        return False
    if node.schemaname == "public":
        s.write("main.")  # (SQLite looks in the session's temp schema first)
        s.print_name(node.relname)
        if node.alias is not None:
            s.write(" AS ")
            s.print_name(node.alias.aliasname)
        else:
            pass
        return True
    return False


def _p_collate(s: SqliteStream, node: ast.CollateClause) -> bool:
    s.print_node(node.arg)
    return True


def _p_sortby(s: SqliteStream, node: ast.SortBy) -> bool:
    D = enums.SortByDir
    N = enums.SortByNulls
    s.print_node(node.node)
    if _is_numeric(s.type_of(node.node)):
        s.write(" COLLATE pg_numeric")  # numeric text sorts by value, not by character
    elif s.type_of(node.node)[0] == T.JSONB:
        s.write(" COLLATE pg_jsonb")  # jsonb sorts by value (numbers as numbers)
    elif s.type_of(node.node)[0] in T.ELEMENT_OF:
        s.write(f" COLLATE {_array_collation(s.type_of(node.node)[0])}")
    s.write(translate_datetime.sort_collation(s.type_of(node.node)[0]))
    desc = node.sortby_dir == D.SORTBY_DESC
    if node.sortby_dir == D.SORTBY_USING:
        raise PgError("0A000", "ORDER BY ... USING is not supported")
    s.write(" DESC" if desc else " ASC")
    nulls_first = (
        desc
        if node.sortby_nulls == N.SORTBY_NULLS_DEFAULT
        else (node.sortby_nulls == N.SORTBY_NULLS_FIRST)
    )
    s.write(" NULLS FIRST" if nulls_first else " NULLS LAST")
    return True


def _p_select(s: SqliteStream, node: ast.SelectStmt) -> bool:
    if node.lockingClause:
        node.lockingClause = None  # row locks are implied: SQLite has one writer
    if node.op == enums.SetOperation.SETOP_NONE:
        return False
    _print_set_operation(s, node)
    return True


SETOP_WORDS = {
    enums.SetOperation.SETOP_UNION: "UNION",
    enums.SetOperation.SETOP_INTERSECT: "INTERSECT",
    enums.SetOperation.SETOP_EXCEPT: "EXCEPT",
}


def _print_set_operation(s: SqliteStream, node: ast.SelectStmt) -> None:
    """SQLite compound SELECTs are flat and left-associative, with no parenthesised members:
    print a left-deep chain as is and wrap any other member in a sub-select."""
    if node.withClause is not None:
        s.write("WITH ")  # (pglast's WithClause printer leaves the keyword to the statement)
        s.print_node(node.withClause)
        s.write(" ")
    if node.all and node.op != enums.SetOperation.SETOP_UNION:
        _print_multiset_operation(s, node)
    else:
        _print_member(s, node.larg, left=True)
        s.write(f" {SETOP_WORDS[node.op]}{' ALL' if node.all else ''} ")
        _print_member(s, node.rarg, left=False)
    if node.sortClause:
        s.write(" ORDER BY ")
        for i, sort in enumerate(node.sortClause):
            if i:
                s.write(", ")
            s.print_node(sort)
    if node.limitCount is not None:
        s.write(" LIMIT ")
        s.print_node(node.limitCount)
    if node.limitOffset is not None:
        s.write(" OFFSET ")
        s.print_node(node.limitOffset)


def _print_multiset_operation(s: SqliteStream, node: ast.SelectStmt) -> None:
    """EXCEPT ALL and INTERSECT ALL, which SQLite lacks: each copy of a row is numbered
    among its equals (row_number over all the columns), so that the set operation on
    (row, number) keeps max(m - n, 0) copies of a row found m times on the left and n times
    on the right (EXCEPT), or min(m, n) (INTERSECT); then the number is dropped."""
    cols = s.an.multiset_columns[id(node)]
    inner = [f"__pgha_c{i}" for i in range(len(cols))]
    names = ", ".join(inner)
    s.multisets += 1  # nested ones get names of their own
    left, right = f"__pgha_l{s.multisets}", f"__pgha_r{s.multisets}"
    outputs = ", ".join(f"{c} AS {_q(col.name)}" for c, col in zip(inner, cols, strict=True))
    s.write(f"SELECT {outputs} FROM (WITH {left}({names}) AS (")
    s.print_node(node.larg)
    s.write(f"), {right}({names}) AS (")
    s.print_node(node.rarg)
    numbered = f"row_number() OVER (PARTITION BY {names})"
    s.write(f") SELECT {names}, {numbered} FROM {left} {SETOP_WORDS[node.op]} "
            f"SELECT {names}, {numbered} FROM {right})")


def _print_member(s: SqliteStream, member: ast.SelectStmt, left: bool) -> None:
    decorated = bool(member.sortClause or member.limitCount is not None or member.withClause
                     or member.limitOffset is not None)
    if not decorated and (member.op == enums.SetOperation.SETOP_NONE or left):
        if member.op == enums.SetOperation.SETOP_NONE:
            s.print_node(member)
        else:
            _print_set_operation(s, member)
        return
    s.write("SELECT * FROM (")
    s.print_node(member)
    s.write(")")


def _p_res_target(s: SqliteStream, node: ast.ResTarget) -> bool:
    if node.val is None:
        return False
    if isinstance(node.val, ast.RowExpr):
        s.write("pg_record_out(")  # a row value shown as a record: (1,a)
        for i, a in enumerate(node.val.args or ()):
            s.write(", " if i else "")
            if s.type_of(a)[0] in T.ELEMENT_OF or s.type_of(a)[0] in _STORED_OTHERWISE:
                s.call("pg_cast", a, str(s.type_of(a)[0]), str(T.TEXT), "-1")
            else:
                s.print_node(a)
        s.write(")")
    else:
        s.print_node(node.val)
    if _is_numeric(s.type_of(node.val)) and not isinstance(node.val, ast.ColumnRef):
        # An expression's numeric text keeps its value order outside this SELECT too
        # (ORDER BY 1, an enclosing query, a view); a column has it from its declaration.
        s.write(" COLLATE pg_numeric")
    # an interval result orders by value outside this SELECT too (ORDER BY 1, DISTINCT)
    s.write(translate_datetime.sort_collation(s.type_of(node.val)[0]))
    if node.name:
        s.write(" AS " + _q(node.name))  # always quoted: SQLite keywords differ from PG's
    elif id(node.val) in s.an.renamed_refs:  # keeps its name for ORDER BY and outer queries
        s.write(" AS " + _q(_names(node.val.fields)[-1]))
    elif s.an.column_ref_sql(node.val) is not None and \
            not isinstance(node.val.fields[-1], ast.A_Star):
        s.write(" AS " + _q(figure_colname(node.val)))  # not pg_srf_unnest's column name
    return True


def _p_range_subselect(s: SqliteStream, node: ast.RangeSubselect) -> bool:
    cols = s.an.range_columns.get(id(node))
    if cols is None:
        return False
    # SQLite has no column aliases on a subquery: rename through an inner SELECT.
    s.write("(SELECT ")
    inner_names = _subquery_output_names(node.subquery)
    s.write(
        ", ".join(f"{_q(old)} AS {_q(new)}" for old, new in zip(inner_names, cols, strict=False))
    )
    s.write(" FROM (")
    s.print_node(node.subquery)
    s.write("))")
    if node.alias is not None:
        s.write(" AS ")
        s.print_name(node.alias.aliasname)
    return True


def _subquery_output_names(select: ast.SelectStmt) -> list[str]:
    """The column names SQLite gives the subquery's output (VALUES gives column1, ...)."""
    if select.valuesLists:
        return [f"column{i + 1}" for i in range(len(select.valuesLists[0]))]
    if select.op != enums.SetOperation.SETOP_NONE:
        return _subquery_output_names(select.larg)
    out = []
    for i, rt in enumerate(select.targetList or ()):
        if rt.name is None:
            # Give every unnamed output a stable name SQLite will use.
            rt.name = figure_colname(rt.val) if isinstance(rt.val, ast.ColumnRef) else f"_c{i}"
        out.append(rt.name)
    return out


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


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


def _p_range_function(s: SqliteStream, node: ast.RangeFunction) -> bool:
    func = node.functions[0][0]
    name = _func_name(func)
    if name in ("pg_srf_elements", "pg_srf_series"):
        # Printed bare (not as a sub-select) so that it stays lateral in SQLite.
        args = list(func.args)
        s.write("pg_srf_unnest(" if name == "pg_srf_elements" else "pg_generate_series(")
        for i, arg in enumerate(args):
            s.write(", " if i else "")
            s.print_node(arg)
        if name == "pg_srf_series" and len(args) == 2:
            s.write(", NULL")
        s.write(") AS ")
        s.print_name(node.alias.aliasname)
        return True
    cols = s.an.range_columns[id(node)]
    args = list(func.args or ())
    if name in fn_json.SRF_FUNCTIONS:
        _print_json_srf(s, node, name, args, cols)
        return True
    if name in JSON_TO_RECORD:
        _print_json_to_record(s, node, name)
        return True
    if name == "pg_srf_zip" or s.an.lateral_functions.get(id(node)) is node:
        # bare: SQLite's table-valued functions are lateral
        if len(args) > 1:
            s.call("pg_srf_zip", *args)
        else:
            s.call("pg_srf_unnest", args[0])
        s.write(" AS ")
        s.print_name(node.alias.aliasname if node.alias else name)
        return True
    if name == "unnest" and len(args) > 1:
        _print_zipped_unnest(s, node, args, cols)
        return True
    s.write("(SELECT ")
    if name == "generate_series":
        source_cols = ["value"]
        fn = "pg_generate_series"
    elif name == "unnest":  # every element of every dimension, with its position
        source_cols = ["_pgha_value"]
        fn = "pg_srf_unnest"
    elif name.endswith(("array_elements", "array_elements_text")):
        source_cols = ["value"]
        fn = "json_each"
    else:
        source_cols = ["key", "value"]
        fn = "json_each"
    if node.ordinality:
        source_cols.append("_pgha_ord" if fn == "pg_srf_unnest" else "row_number() OVER ()")
    s.write(", ".join(f"{c} AS {_q(n)}" for c, n in zip(source_cols, cols, strict=False)))
    s.write(f" FROM {fn}(")
    for i, a in enumerate(args):
        if i:
            s.write(", ")
        if i == 0 and name == "generate_series" and s.type_of(a)[0] == T.TIMESTAMPTZ:
            s.call("pg_dt_series_start", a)  # steps on the session zone's wall clock
        else:
            s.print_node(a)
    if name == "generate_series" and len(args) == 2:
        s.write(", NULL")
    s.write("))")
    s.write(" AS ")
    s.print_name(node.alias.aliasname if node.alias else name)
    return True


def _json_srf_columns(name: str, ordinality: bool) -> list[str]:
    """The columns of the pg_json_srf table that prints the json function ``name``."""
    cols = fn_json.srf_columns(name)
    return [*cols, "ordinality"] if ordinality else cols


def _print_json_srf(s: SqliteStream, node: ast.RangeFunction, name: str, args: list[Any],
                    cols: list[str]) -> None:
    """json_each(doc) and friends: a pg_json_srf table printed bare, so it is lateral (the
    document may name columns of earlier FROM items); the table shows just the function's
    columns (for *), and references to renamed columns read its own (renamed_refs)."""
    shape = "".join(c[0] for c in _json_srf_columns(name, node.ordinality))
    if name == "jsonb_path_query" and 2 <= len(args) <= 4:
        s.write(f"pg_json_srf_{shape}(")
        s.call("jsonb_path_query_array", *args)
        s.write(f", {sql_literal(name)})")
    elif len(args) != 1:
        raise PgError("42883", f"function {name} does not exist")
    else:
        s.call(f"pg_json_srf_{shape}", args[0], sql_literal(name))
    s.write(" AS ")
    s.print_name(node.alias.aliasname if node.alias else name)


JSON_TO_RECORD = frozenset({"json_to_record", "jsonb_to_record", "json_to_recordset",
                            "jsonb_to_recordset", "json_populate_record",
                            "jsonb_populate_record", "json_populate_recordset",
                            "jsonb_populate_recordset"})


def _print_json_to_record(s: SqliteStream, node: ast.RangeFunction, name: str) -> None:
    """json_to_recordset(doc) AS x(a int, ...): the pg_json_record table of as many columns,
    bare so it is lateral; references to the declared names read its c1..cn."""
    doc, spec = s.an.json_records[id(node)]
    s.write(f"pg_json_record_{len(spec)}(")
    s.print_node(doc)
    s.write(f", {sql_literal(json.dumps(spec))}, {sql_literal(name)})")
    s.write(" AS ")
    s.print_name(node.alias.aliasname if node.alias else name)


def _print_zipped_unnest(s: SqliteStream, node: ast.RangeFunction, args: list[Any],
                         cols: list[str]) -> None:
    """unnest(a, b, ...) in FROM: row i holds a[i], b[i], ..., as many rows as the longest
    array, the shorter ones padded with NULLs. The arrays are evaluated once (a one-row
    sub-select), and the series of positions reads them laterally."""
    s.write("(SELECT ")
    s.write(", ".join(f"json_extract(_pgha_u._a{i}, '$[' || (_pgha_s.value - 1) || ']') AS "
                      f"{_q(col)}" for i, col in enumerate(cols)))
    s.write(" FROM (SELECT ")
    for i, arg in enumerate(args):
        s.write(", " if i else "")
        s.print_node(arg)
        s.write(f" AS _a{i}")
    lengths = ", ".join(f"coalesce(json_array_length(_pgha_u._a{i}), 0)" for i in range(len(args)))
    s.write(f") AS _pgha_u, pg_generate_series(1, max({lengths}), NULL) AS _pgha_s)")
    if node.ordinality:
        raise PgError("0A000", "unnest of several arrays WITH ORDINALITY is not supported")
    s.write(" AS ")
    s.print_name(node.alias.aliasname if node.alias else "unnest")


def _srf_element_type(arg: Any, arg_type: TypeRef) -> int:
    """The type of the elements a lifted set-returning function yields from ``arg``."""
    if isinstance(arg, ast.FuncCall) and _func_name(arg) == "pg_regexp_matches":
        return T.TEXT_ARRAY  # a text[] per match
    return T.ELEMENT_OF.get(arg_type[0], T.INT2 if arg_type[0] == T.INT2VECTOR else T.TEXT)


def _names_columns(node: Any) -> bool:
    """Does the expression read a column (of an earlier FROM item, for a lateral call)?"""
    if isinstance(node, ast.ColumnRef):
        return True
    if isinstance(node, ast.SelectStmt):
        return False
    if isinstance(node, ast.Node):
        return any(_names_columns(getattr(node, a)) for a in node)
    if isinstance(node, tuple | list):
        return any(_names_columns(x) for x in node)
    return False


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
            raise PgError("0A000", "field selection is not supported")
        bounds += [i.lidx if i.lidx is not None else ("NULL" if i.is_slice else "1"),
                   i.uidx if i.uidx is not None else "NULL"]
    s.call("pg_array_slice", node.arg, *bounds)
    return True


def _p_sublink(s: SqliteStream, node: ast.SubLink) -> bool:
    S = enums.SubLinkType
    if node.subLinkType == S.ARRAY_SUBLINK:
        s.write("(SELECT json_group_array(_v) FROM (SELECT ")
        names = _subquery_output_names(node.subselect)
        s.write(f"{_q(names[0])} AS _v FROM (")
        s.print_node(node.subselect)
        s.write(")))")
        return True
    if node.subLinkType == S.EXPR_SUBLINK:
        # SQLite takes the first row of a scalar subquery; PostgreSQL raises 21000 for more.
        column = _q(_subquery_output_names(node.subselect)[0])
        s.write(f"(SELECT pg_single_row(_pgha_v) FROM (SELECT {column} AS _pgha_v FROM (")
        s.print_node(node.subselect)
        s.write(")))")
        return True
    if node.subLinkType in (S.ANY_SUBLINK, S.ALL_SUBLINK):
        is_any = node.subLinkType == S.ANY_SUBLINK
        op = _names(node.operName)[-1] if node.operName else "="
        if op == "!=":
            op = "<>"
        if op not in COMPARISON_OPS:
            raise PgError("0A000", f"{op} {'ANY' if is_any else 'ALL'} (subquery) is not supported")
        if (is_any and op == "=") or (not is_any and op == "<>"):
            s.print_node(node.testexpr)
            s.write(" IN (" if is_any else " NOT IN (")
            s.print_node(node.subselect)
            s.write(")")
            return True
        # Three-valued ANY/ALL over the subquery's rows, evaluated with aggregates.
        column = _q(_subquery_output_names(node.subselect)[0])
        s.write("(SELECT CASE WHEN sum(")
        if not is_any:
            s.write("NOT ")
        s.write("(")
        s.print_node(node.testexpr)
        s.write(f" {op} _pgha_v)) > 0 THEN {1 if is_any else 0} WHEN sum((")
        s.print_node(node.testexpr)
        s.write(f" {op} _pgha_v) IS NULL) > 0 THEN NULL ELSE {0 if is_any else 1} END")
        s.write(f" FROM (SELECT {column} AS _pgha_v FROM (")
        s.print_node(node.subselect)
        s.write(")))")
        return True
    return False


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


def _p_set_default(s: SqliteStream, node: ast.SetToDefault) -> bool:
    s.write(s.an.default_exprs.get(id(node), "NULL"))
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


OVERRIDES: dict[type, Callable[[SqliteStream, Any], bool]] = {
    ast.ParamRef: _p_param,
    ast.A_Const: _p_const,
    ast.TypeCast: _p_cast,
    ast.FuncCall: _p_func,
    ast.A_Expr: _p_aexpr,
    ast.SQLValueFunction: _p_svf,
    ast.RangeVar: _p_rangevar,
    ast.CollateClause: _p_collate,
    ast.SortBy: _p_sortby,
    ast.SelectStmt: _p_select,
    ast.ResTarget: _p_res_target,
    ast.RangeSubselect: _p_range_subselect,
    ast.RangeFunction: _p_range_function,
    ast.A_ArrayExpr: _p_array,
    ast.A_Indirection: _p_indirection,
    ast.SubLink: _p_sublink,
    ast.MinMaxExpr: _p_minmax,
    ast.SetToDefault: _p_set_default,
    ast.BooleanTest: _p_boolean_test,
    ast.RowExpr: _p_row,
    ast.NullTest: _p_null_test,
}




def _print_value(s: SqliteStream, value: Any) -> None:
    target = s.an.assign_wrap.get(id(value))
    if target is None:
        s.print_node(value)
        return
    src = s.type_of(value)
    s.call("pg_cast", value, str(src[0]), str(target[0]), str(target[1]))


def _print_target(s: SqliteStream, node: Any, verb: str) -> None:
    """``[WITH ...] INSERT INTO|UPDATE|DELETE FROM table [AS alias]``."""
    if node.withClause is not None:
        s.write("WITH ")  # (pglast's WithClause printer leaves the keyword to the statement)
        s.print_node(node.withClause)
        s.write(" ")
    s.write(verb + " ")
    if node.relation.schemaname == "public":
        s.write("main.")  # (SQLite looks in the session's temp schema first)
    s.print_name(node.relation.relname)
    if node.relation.alias is not None:
        s.write(" AS ")
        s.print_name(node.relation.alias.aliasname)


def _p_insert(s: SqliteStream, node: ast.InsertStmt) -> bool:
    extra_cols, extra_vals = s.an.insert_extra.get(id(node), ([], []))
    _print_target(s, node, "INSERT INTO")
    table = s.an.catalog.table(node.relation.relname)
    assert table is not None
    given = [rt.name for rt in node.cols or ()] or [c.name for c in table.columns]
    select = node.selectStmt
    if select is None:
        given = []  # DEFAULT VALUES: every column takes its default
    values = select.valuesLists if isinstance(select, ast.SelectStmt) else None
    if values:
        width = min(len(r) for r in values)
        given = given[:width] if len(given) > width else given
    cols = given + extra_cols
    if cols:
        s.write(" (" + ", ".join(_q(c) for c in cols) + ")")
    if select is None:
        if cols:
            s.write(" VALUES (" + ", ".join(extra_vals) + ")" if extra_vals else " DEFAULT VALUES")
        else:
            s.write(" DEFAULT VALUES")
    elif values:
        s.write(" VALUES ")
        for i, row in enumerate(values):
            if i:
                s.write(", ")
            s.write("(")
            for j, v in enumerate(row[: len(given)]):
                if j:
                    s.write(", ")
                if isinstance(v, ast.SetToDefault):
                    col = table.column(given[j])
                    s.write(s.an.default_sql(table, col) if col and col.default else "NULL")
                else:
                    _print_value(s, v)
            for v in extra_vals:
                s.write(", " + v)
            s.write(")")
    else:
        if extra_vals:
            s.write(" SELECT *, " + ", ".join(extra_vals) + " FROM (")
            s.print_node(select)
            s.write(")")
        else:
            s.write(" ")
            s.print_node(select)
            # SQLite needs a WHERE before ON CONFLICT when inserting from a SELECT.
            if node.onConflictClause is not None:
                s.write(" WHERE true")
    if node.onConflictClause is not None:
        _print_on_conflict(s, node.onConflictClause, table)
    _print_returning(s, node.returningClause, node.relation)
    return True


def _print_on_conflict(s: SqliteStream, occ: ast.OnConflictClause, table: Table) -> None:
    s.write(" ON CONFLICT")
    infer = occ.infer
    deferrable = {tuple(c.columns) for c in table.constraints if c.deferrable
                  and c.kind in ("p", "u") and (infer is None or c.name == infer.conname or (
                      [e.name for e in infer.indexElems or ()] == c.columns))}
    if deferrable:  # (PostgreSQL checks every unique index when no arbiter is named)
        raise PgError("55000", "ON CONFLICT does not support deferrable unique "
                      "constraints/exclusion constraints as arbiters")
    if infer is not None:
        if infer.conname:
            con = next((c for c in table.constraints if c.name == infer.conname), None)
            if con is None:
                raise PgError(
                    "42704", f'constraint "{infer.conname}" for table "{table.name}" does not exist'
                )
            s.write(" (" + ", ".join(_q(c) for c in con.columns) + ")")
        elif infer.indexElems:
            s.write(" (" + ", ".join(_q(e.name) for e in infer.indexElems) + ")")
            if infer.whereClause is not None:
                s.write(" WHERE ")
                s.print_node(infer.whereClause)
    if occ.action == enums.OnConflictAction.ONCONFLICT_NOTHING:
        s.write(" DO NOTHING")
        return
    s.write(" DO UPDATE SET ")
    for i, rt in enumerate(occ.targetList):
        if i:
            s.write(", ")
        s.print_name(rt.name)
        s.write(" = ")
        _print_value(s, rt.val)
    if occ.whereClause is not None:
        s.write(" WHERE ")
        s.print_node(occ.whereClause)


def _print_returning(s: SqliteStream, clause: Any, relation: ast.RangeVar) -> None:
    exprs = getattr(clause, "exprs", clause)
    if not exprs:
        return
    # SQLite's RETURNING only knows the target's bare column names: print t.col as col.
    s.returning_target = {relation.relname} | (
        {relation.alias.aliasname} if relation.alias is not None else set())
    try:
        s.write(" RETURNING ")
        for i, rt in enumerate(exprs):
            if i:
                s.write(", ")
            s.print_node(rt.val)
            if rt.name:
                s.write(" AS ")
                s.print_name(rt.name)
    finally:
        s.returning_target = set()


def _p_column_ref(s: SqliteStream, node: ast.ColumnRef) -> bool:
    sql = s.an.column_ref_sql(node)
    if sql is not None:
        s.write(sql)
        return True
    fields = node.fields
    if id(node) in s.an.renamed_refs:
        s.write(s.an.renamed_refs[id(node)])
        return True
    if id(node) in s.an.whole_rows:
        raise PgError("0A000", "a whole-row reference is supported as the argument of "
                      "row_to_json, to_json(b) and json(b)_agg only", position=_pos(node))
    if (s.returning_target and len(fields) == 2 and isinstance(fields[0], ast.String)
            and fields[0].sval in s.returning_target):
        last = fields[1]
        if isinstance(last, ast.A_Star):
            s.write("*")
        else:
            s.print_name(last.sval)
        return True
    return False


def _p_update(s: SqliteStream, node: ast.UpdateStmt) -> bool:
    _print_target(s, node, "UPDATE")
    s.write(" SET ")
    done: set[str] = set()
    for i, rt in enumerate(node.targetList):
        if rt.name in done:
            continue
        if i:
            s.write(", ")
        s.print_name(rt.name)
        s.write(" = ")
        if rt.indirection:
            if id(rt) in s.an.array_assignments:
                s.call("pg_array_set", _q(rt.name), rt.indirection[0].uidx, rt.val)
            else:
                _print_subscript_assignments(s, [t for t in node.targetList
                                                 if t.name == rt.name])
                done.add(rt.name)
            continue
        _print_value(s, rt.val)
    if node.fromClause:
        s.write(" FROM ")
        for i, item in enumerate(node.fromClause):
            if i:
                s.write(", ")
            s.print_node(item)
    if node.whereClause is not None:
        s.write(" WHERE ")
        s.print_node(node.whereClause)
    _print_returning(s, node.returningClause, node.relation)
    return True


def _print_subscript_assignments(s: SqliteStream, targets: list[ast.ResTarget]) -> None:
    """``SET doc['a'] = x, doc['b'] = y``: each assignment applies to the result of the one
    before it, as PostgreSQL does for several subscripts of one column."""
    for _ in targets:
        s.write("pg_jsonb_assign(")
    s.print_name(targets[0].name)
    for rt in targets:
        s.write(", ")
        s.print_node(rt.val)
        for ind in rt.indirection:
            s.write(", ")
            s.print_node(ind.uidx)
        s.write(")")


def _p_delete(s: SqliteStream, node: ast.DeleteStmt) -> bool:
    _print_target(s, node, "DELETE FROM")
    if node.usingClause:
        # SQLite has no DELETE ... USING: delete the target rows the join selects, by rowid.
        target = node.relation.alias.aliasname if node.relation.alias else node.relation.relname
        s.write(f" WHERE rowid IN (SELECT {_q(target)}.rowid FROM ")
        s.print_name(node.relation.relname)
        s.write(" AS " + _q(target))
        for item in node.usingClause:
            s.write(", ")
            s.print_node(item)
        if node.whereClause is not None:
            s.write(" WHERE ")
            s.print_node(node.whereClause)
        s.write(")")
    elif node.whereClause is not None:
        s.write(" WHERE ")
        s.print_node(node.whereClause)
    _print_returning(s, node.returningClause, node.relation)
    return True


def _p_cte(s: SqliteStream, node: ast.CommonTableExpr) -> bool:
    """A data-modifying CTE reads the rows its step kept (see ``WriteStep``)."""
    step = s.an.write_ctes.get(id(node))
    if step is None:
        return False
    table, names = step
    s.print_name(node.ctename)
    if names:
        s.write(f" ({', '.join(_q(n) for n in names)}) AS (SELECT ")
        s.write(f"{', '.join(f'c{i}' for i in range(len(names)))} FROM temp.{table}")
    else:
        s.write(" AS (")
        s.write("SELECT NULL WHERE false")
    s.write(")")
    return True


def _write_steps(an: Analyzer, with_clause: ast.WithClause) -> tuple[WriteStep, ...]:
    """The SQL of each data-modifying CTE, under a WITH of the CTEs before it (a data-modifying
    one among them reads its step's table), in the order PostgreSQL lists them."""
    steps = []
    ctes = list(with_clause.ctes)
    for i, cte in enumerate(ctes):
        if id(cte) not in an.write_ctes:
            continue
        table, names = an.write_ctes[id(cte)]
        query = cte.ctequery
        own = list(query.withClause.ctes) if query.withClause is not None else []
        if ctes[:i] or own:
            query.withClause = ast.WithClause(ctes=ctes[:i] + own,
                                              recursive=with_clause.recursive)
        sql = SqliteStream(an)(query)
        bind_count = max((int(n) for n in _BIND.findall(sql)), default=0)
        steps.append(WriteStep(sql, table, len(names), bind_count))
    return tuple(steps)


OVERRIDES[ast.CommonTableExpr] = _p_cte
OVERRIDES[ast.InsertStmt] = _p_insert
OVERRIDES[ast.ColumnRef] = _p_column_ref
OVERRIDES[ast.UpdateStmt] = _p_update
OVERRIDES[ast.DeleteStmt] = _p_delete


def _result(cols: list[ColInfo] | None) -> tuple[ResultColumn, ...] | None:
    if cols is None:
        return None
    return tuple(
        ResultColumn(
            c.name,
            c.type[0] if c.type[0] != T.UNKNOWN else T.TEXT,
            c.type[1],
            c.table_oid,
            c.attnum,
        )
        for c in cols
    )


def translate(
    catalog: Catalog,
    system: SystemRelations,
    stmt: Any,
    param_oids: Sequence[int] = (),
    tz: str = "UTC",
) -> Translation:
    """Translate one parsed DML/query statement (a pglast node)."""
    an = Analyzer(catalog, system, param_oids, tz)
    an.top_with = getattr(stmt, "withClause", None)
    an.top = stmt
    scope = Scope()
    if isinstance(stmt, ast.SelectStmt):
        cols: list[ColInfo] | None = an.select(stmt, scope)
        command = "SELECT"
    elif isinstance(stmt, ast.InsertStmt):
        cols, command = an.insert(stmt, scope), "INSERT"
    elif isinstance(stmt, ast.UpdateStmt):
        cols, command = an.update(stmt, scope), "UPDATE"
    elif isinstance(stmt, ast.DeleteStmt):
        cols, command = an.delete(stmt, scope), "DELETE"
    else:
        raise PgError("0A000", f"{type(stmt).__name__} is not supported")
    if an.write_ctes:
        write_ctes.check_snapshot_reads(stmt)
    steps = _write_steps(an, stmt.withClause) if an.write_ctes else ()
    sql = SqliteStream(an)(stmt)
    # A regular expression may match for a long time (releasing the GIL, bounded by
    # functions.REGEX_TIMEOUT): not on the event loop.
    inline_ok = command == "SELECT" and not an.is_write and not an.blocking \
        and _MAY_MATCH_LONG.search(sql) is None
    bind_count = max((int(n) for n in _BIND.findall(sql)), default=0)
    return Translation(sql, _result(cols), an.final_param_oids(), command, an.is_write, inline_ok,
                       frozenset(an.system_relations), bind_count, steps)


_BIND = re.compile(r"\?(\d+)")
_MAY_MATCH_LONG = re.compile(r"regex|regexp|pg_like_any|similar|jsonb?_path", re.I)


def translate_expression(
    catalog: Catalog,
    system: SystemRelations,
    expr_text: str,
    tz: str = "UTC",
    expected: TypeRef | None = None,
    table: Table | None = None,
) -> str:
    """SQLite SQL for one PostgreSQL expression (a column default or CHECK constraint)."""
    stmt = parse_sql(f"SELECT {expr_text}")[0].stmt
    an = Analyzer(catalog, system, (), tz)
    scope = Scope()
    if table is not None:
        scope.entries.append(an.table_entry(table, None))
    value = stmt.targetList[0].val
    t = an.expr(value, scope, expected)
    if expected is not None and isinstance(value, ast.A_Const) and not value.isnull:
        an.fold_literal(value, expected)
    elif expected is not None and t != expected and t != UNKNOWN and t[0] != expected[0]:
        an.assign_wrap[id(value)] = expected
    sql = SqliteStream(an)(stmt)
    assert sql.startswith("SELECT ")
    body = sql[len("SELECT ") :]
    if id(value) in an.assign_wrap:
        target = an.assign_wrap[id(value)]
        body = f"pg_cast({body}, {t[0]}, {target[0]}, {target[1]})"
    return f"({body})"
