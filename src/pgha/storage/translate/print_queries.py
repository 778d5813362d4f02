"""Printers for query structure: relations, sort keys, set operations,
select-list targets, sub-selects, functions in FROM and sublinks.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from pglast import ast, enums

from pgha.storage import oids as T
from pgha.storage.functions import jsonb as fn_json
from pgha.storage.translate import datetimes
from pgha.storage.translate.colname import figure_colname
from pgha.storage.translate.print_operators import _array_collation
from pgha.storage.translate.print_values import _STORED_OTHERWISE, _is_numeric, sql_literal
from pgha.storage.translate.scope import _func_name, _names, _q
from pgha.storage.translate.signatures import COMPARISON_OPS
from pgha.storage.translate.srf import JSON_TO_RECORD, _json_srf_columns
from pgha.wire.errors import FeatureNotSupported, UndefinedFunction

if TYPE_CHECKING:
    from pgha.storage.translate.stream import SqliteStream


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
    s.write(datetimes.sort_collation(s.type_of(node.node)[0]))
    desc = node.sortby_dir == D.SORTBY_DESC
    if node.sortby_dir == D.SORTBY_USING:
        raise FeatureNotSupported("ORDER BY ... USING is not supported")
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
    s.write(datetimes.sort_collation(s.type_of(node.val)[0]))
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
        raise UndefinedFunction(f"function {name} does not exist")
    else:
        s.call(f"pg_json_srf_{shape}", args[0], sql_literal(name))
    s.write(" AS ")
    s.print_name(node.alias.aliasname if node.alias else name)


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
        raise FeatureNotSupported("unnest of several arrays WITH ORDINALITY is not supported")
    s.write(" AS ")
    s.print_name(node.alias.aliasname if node.alias else "unnest")


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
            raise FeatureNotSupported(
                f"{op} {'ANY' if is_any else 'ALL'} (subquery) is not supported")
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
