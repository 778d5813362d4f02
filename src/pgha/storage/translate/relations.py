"""FROM items for ``Analyzer``: tables, views, sequences and system relations
(``relation_cols``), joins and sub-selects (``from_item``), functions in FROM
(``range_function``, ``json_to_record``).
"""

from __future__ import annotations

from typing import Any

from pglast import ast
from pglast.enums import JoinType

from pgha.storage import oids as T
from pgha.storage.catalog import FIRST_TEMP_OID, Table, View
from pgha.storage.catalog import Sequence as SequenceRel
from pgha.storage.columns import ColInfo, TypeRef
from pgha.storage.functions import jsonb as fn_json
from pgha.storage.functions import text_array as fn_textarr
from pgha.storage.pgcatalog_schema import SYSTEM_OIDS
from pgha.storage.translate.scope import (
    RangeEntry,
    Scope,
    _func_name,
    _names,
    _pos,
    _q,
    undefined_table,
)
from pgha.storage.translate.signatures import _common_type
from pgha.storage.translate.srf import JSON_TO_RECORD, _json_srf_columns, _no_partitions
from pgha.wire.errors import FeatureNotSupported, SqlSyntaxError, UndefinedFunction


class RelationsMixin:
    """FROM items: the columns each brings into scope.
    Part of ``Analyzer``, whose ``__init__`` sets the state these methods use."""

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
                raise FeatureNotSupported(f'WITH query "{name}" does not have a RETURNING clause',
                                          position=_pos(rv))
            if cte is not None:
                cols = [ColInfo(c.name, c.type) for c in cte]
                return self._aliased(RangeEntry(alias, cols), rv.alias)
            # public.x is the permanent x even where a temporary x hides it
            rel = (self.catalog.shadowed.get(name) if schema == "public" else None) or \
                self.catalog.by_name.get(name)
            if rel is not None:
                self.need(rel.oid, "r")
            if isinstance(rel, Table):
                cols = [
                    ColInfo(c.name, (c.type_oid, c.typmod), rel.oid, c.attnum) for c in rel.columns
                ]
                return self._aliased(RangeEntry(alias, cols, rel), rv.alias)
            if isinstance(rel, View):  # (its columns are the view's, as in PostgreSQL)
                cols = [ColInfo(c.name, (c.type_oid, c.typmod), rel.oid, c.attnum or i)
                        for i, c in enumerate(rel.columns, 1)]
                return self._aliased(RangeEntry(alias, cols), rv.alias)
            if isinstance(rel, SequenceRel):
                cols = [ColInfo("last_value", (T.INT8, -1)), ColInfo("log_cnt", (T.INT8, -1)),
                        ColInfo("is_called", (T.BOOL, -1))]
                self.sequence_refs[id(rv)] = rel
                return self._aliased(RangeEntry(alias, cols), rv.alias)
        system = self.system(schema, name)
        if system is not None:
            self.system_relations.add(name)
            # Only catalog tables have system columns, not the views (pg_roles, pg_tables...)
            system_oid = SYSTEM_OIDS.get(name) if schema in (None, "pg_catalog") else None
            return self._aliased(RangeEntry(alias, list(system), system_oid=system_oid),
                                 rv.alias)
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
            # tableoid of a row an outer join made up is NULL, not the table's OID
            if node.jointype in (JoinType.JOIN_LEFT, JoinType.JOIN_FULL):
                self.nullable_entries.update((id(e), e) for e in right)
            if node.jointype in (JoinType.JOIN_RIGHT, JoinType.JOIN_FULL):
                self.nullable_entries.update((id(e), e) for e in left)
            if node.quals is not None:
                self.expr(node.quals, Scope(entries, scope, outputs=[]), (T.BOOL, -1))
            joined = set(_names(node.usingClause)) if node.usingClause else set()
            if node.isNatural:
                joined = {c.name for e in left for c in e.cols} & {
                    c.name for e in right for c in e.cols}
            self.uses += [(node, c.table_oid, c.attnum) for e in entries for c in e.cols
                          if c.table_oid and c.name in joined]
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
        what = {"RangeTableSample": "TABLESAMPLE", "RangeTableFunc": "XMLTABLE",
                "JsonTable": "JSON_TABLE"}.get(type(node).__name__,
                                               f"FROM item {type(node).__name__}")
        raise FeatureNotSupported(f"{what} is not supported")

    def range_function(self, node: ast.RangeFunction, scope: Scope) -> RangeEntry:
        if node.is_rowsfrom or len(node.functions) != 1:
            raise FeatureNotSupported("ROWS FROM is not supported")
        func = node.functions[0][0]
        if not isinstance(func, ast.FuncCall):
            raise FeatureNotSupported("this function in FROM is not supported")
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
            raise UndefinedFunction(f"function {name} in FROM is not supported")
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
                raise SqlSyntaxError("a column definition list is required for functions "
                                     'returning "record"', position=_pos(func))
            cols = [ColInfo(cd.colname, self.type_name(cd.typeName)) for cd in node.coldeflist]
        else:
            base = args.pop(0) if len(args) == 2 else None
            table = (self.catalog.table(_names(base.typeName.names)[-1])
                     if isinstance(base, ast.TypeCast) else None)
            if table is None or not isinstance(base.arg, ast.A_Const) or not base.arg.isnull:
                raise FeatureNotSupported(f"{name} is supported as {name}(NULL::table, json)")
            cols = [ColInfo(c.name, (c.type_oid, c.typmod)) for c in table.columns]
        if len(cols) > fn_json.RECORD_WIDTH or len(args) != 1:
            raise FeatureNotSupported(f"{name} of this shape is not supported")
        self.expr(args[0], scope, (T.JSONB if name.startswith("jsonb") else T.JSON, -1))
        self.json_records[id(node)] = (args[0], [[c.name, *c.type] for c in cols])
        alias = node.alias.aliasname if node.alias else name
        entry = self._aliased(RangeEntry(alias, cols), node.alias)
        self.range_columns[id(node)] = [c.name for c in entry.cols]
        for i, col in enumerate(entry.cols, start=1):
            self.json_srf_cols[id(col)] = (col, f"{_q(alias)}.c{i}")
        return entry


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
