"""Set-returning functions in a select list (unnest, generate_series,
generate_subscripts, regexp_matches, the json ones): lifted into the FROM clause, since SQLite
has table-valued functions only there (``SrfMixin``, part of ``Analyzer``); and the shapes of
the json set-returning functions both passes share.
"""

from __future__ import annotations

from typing import Any

from pglast import ast, enums, parse_sql
from pglast.stream import RawStream

from pgha.storage.functions import jsonb as fn_json
from pgha.storage.functions import text_array as fn_textarr
from pgha.storage.translate.colname import figure_colname
from pgha.storage.translate.scope import _func_name
from pgha.wire.errors import FeatureNotSupported, UndefinedColumn, UndefinedFunction

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

SRF_ALIAS = "_pgha_srf"
# set-returning regexp functions in a select list -> the array function they unnest
REGEXP_SRFS = {"regexp_split_to_table": "regexp_split_to_array",
               "regexp_matches": "pg_regexp_matches"}


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


JSON_TO_RECORD = frozenset({"json_to_record", "jsonb_to_record", "json_to_recordset",
                            "jsonb_to_recordset", "json_populate_record",
                            "jsonb_populate_record", "json_populate_recordset",
                            "jsonb_populate_recordset"})


class SrfMixin:
    """Set-returning functions of a select list, lifted into FROM.
    Part of ``Analyzer``, whose ``__init__`` sets the state these methods use."""

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
                raise FeatureNotSupported("a json set-returning function in the select list is "
                                          "supported alone (no other set-returning function)")
            return self._lift_json_srf(node, *json_calls[0])
        if not calls:
            return expanded
        if expanded:
            raise FeatureNotSupported("_pg_expandarray() cannot share a select list with other "
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
                raise FeatureNotSupported("set-returning functions in the select list are "
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
                raise UndefinedFunction("function _pg_expandarray() does not exist",
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
                raise UndefinedColumn(f'column "{field}" not found in data type record')
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
            raise FeatureNotSupported(f"{name}() in the select list is not supported (it returns "
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
            raise FeatureNotSupported("generate_series() in the select list is supported alone "
                                      "(no other set-returning function, no GROUP BY)")
        target = calls[0]
        func = target.val
        if not 2 <= len(func.args or ()) <= 3:
            raise UndefinedFunction("function generate_series() does not exist with "
                                    f"{len(func.args or ())} arguments")
        source = ast.FuncCall(funcname=(ast.String(sval="pg_srf_series"),), args=func.args)
        node.fromClause = (*(node.fromClause or ()), ast.RangeFunction(
            lateral=True, ordinality=False, is_rowsfrom=False, functions=((source, None),),
            alias=ast.Alias(aliasname=SRF_ALIAS)))
        target.name = target.name or "generate_series"
        target.val = ast.ColumnRef(fields=(ast.String(sval=SRF_ALIAS), ast.String(sval="value")))
        return 1


def _json_srf_columns(name: str, ordinality: bool) -> list[str]:
    """The columns of the pg_json_srf table that prints the json function ``name``."""
    cols = fn_json.srf_columns(name)
    return [*cols, "ordinality"] if ordinality else cols
