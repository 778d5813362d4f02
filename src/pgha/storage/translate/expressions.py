"""Expressions for ``Analyzer``: column references, constants (and the
folding of literals to their target type), type names, CASE/COALESCE and the other nodes whose
type follows from their parts.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pglast import ast

from pgha.storage import functions
from pgha.storage import oids as T
from pgha.storage import types as pgtypes
from pgha.storage.columns import ColInfo, TypeRef
from pgha.storage.functions import regproc
from pgha.storage.translate.scope import Scope, _chain, _lookup_in, _names, _pos, _q
from pgha.storage.translate.signatures import SQL_VALUE_FUNCTIONS, UNKNOWN, _common_type
from pgha.wire.errors import (
    AmbiguousColumn,
    FeatureNotSupported,
    PgError,
    UndefinedColumn,
    UndefinedTable,
)


class ExpressionMixin:
    """Column references, constants, casts and the nodes built of them.
    Part of ``Analyzer``, whose ``__init__`` sets the state these methods use."""

    # -- expressions --------------------------------------------------------------------

    def _lookup(self, scope: Scope, names: list[str], quiet: bool = False) -> ColInfo | None:
        cur: Scope | None = scope
        while cur is not None:
            found = _lookup_in(cur, names)
            if found is not None:
                return found
            cur = cur.parent
        return None

    def column_ref(self, node: ast.ColumnRef, scope: Scope) -> TypeRef:
        names = _names(node.fields)
        if len(names) != len(node.fields):
            raise FeatureNotSupported("this column reference is not supported", position=_pos(node))
        col = self._lookup(scope, names)
        if col is None and len(names) == 1 and names[0] in self.json_srf_values:
            col = self.json_srf_values[names[0]]  # FROM jsonb_array_elements(...) AS e: e
            self.renamed_refs[id(node)] = f"{_q(names[0])}.value"
        if col is not None and id(col) in self.json_srf_cols:
            self.renamed_refs[id(node)] = self.json_srf_cols[id(col)][1]
        if col is None and names[-1] == "tableoid" and len(names) <= 2:
            sql = self.table_oid_sql(names, scope, node)
            if sql is not None:
                self.ref_sql[id(node)] = (node, sql)
                return (T.OID, -1)
        if col is None and len(names) == 1:
            entry = next((e for sc in _chain(scope) for e in sc.entries if e.alias == names[0]),
                         None)
            if entry is not None:  # the row of a FROM item: to_json(t), json_agg(t)
                self.whole_rows[id(node)] = entry
                if entry.table is not None:
                    self.need(entry.table.oid, "r")
                    self.uses.append((node, entry.table.oid, 0))
                return (T.RECORD, -1)
        if col is None:
            if len(names) == 1 and scope.outputs:
                for out in scope.outputs:
                    if out.name == names[0]:
                        return out.type
            if len(names) >= 2 and not any(
                e.alias == names[-2] for s in _chain(scope) for e in s.entries
            ):
                raise UndefinedTable(
                                     f'missing FROM-clause entry for table "{names[-2]}"',
                                     position=_pos(node),
                )
            shown = ".".join(names)
            shown = f'"{names[0]}"' if len(names) == 1 else shown
            raise UndefinedColumn(f"column {shown} does not exist", position=_pos(node))
        sql = self.lateral_column_sql(col)
        if sql is not None:
            self.ref_sql[id(node)] = (node, sql)
        self.need(col.table_oid, "r")
        if col.table_oid:
            self.uses.append((node, col.table_oid, col.attnum))
        return col.type

    def table_oid_sql(self, names: list[str], scope: Scope, node: ast.ColumnRef) -> str | None:
        """The system column ``tableoid`` (pgha has no other): the OID of the table a row
        comes from, a constant since a FROM item is one table (no inheritance). Tables and
        catalog tables have it, views and subqueries do not; None where nothing has it."""
        qual = names[0] if len(names) == 2 else None
        for sc in _chain(scope):
            entries = [e for e in sc.entries if qual is None or e.alias == qual]
            if qual is not None and entries:
                entries = entries[:1]  # the nearest FROM item of that name
            found = [e for e in entries if e.table is not None or e.system_oid is not None]
            if len(found) > 1:
                raise AmbiguousColumn('column reference "tableoid" is ambiguous',
                                      position=_pos(node))
            if found:
                entry = found[0]
                oid = entry.table.oid if entry.table is not None else entry.system_oid
                if self.nullable_entries.get(id(entry)) is entry:
                    # NULL on the rows an outer join adds (every SQLite table has a rowid)
                    return f"(CASE WHEN {_q(entry.alias)}.rowid IS NULL THEN NULL ELSE {oid} END)"
                return str(oid)
            if qual is not None and entries:
                return None
        return None

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
                        raise FeatureNotSupported("jsonb subscript does not support slices")
                    if self.expr(ind.uidx, scope) == UNKNOWN:
                        self.expr(ind.uidx, scope, (T.TEXT, -1))
                return base
            for ind in node.indirection:
                if isinstance(ind, ast.A_Indices):
                    for part in (ind.lidx, ind.uidx):
                        if part is not None:
                            self.expr(part, scope, (T.INT4, -1))
                else:
                    raise FeatureNotSupported("field selection is not supported")
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
            raise FeatureNotSupported("GROUPING is not supported")
        message = _UNSUPPORTED.get(type(node).__name__,
                                   f"expression {type(node).__name__} is not supported")
        raise FeatureNotSupported(message, position=_pos(node))

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
            raise FeatureNotSupported("bit string literals are not supported")
        # A string literal has type unknown: it takes the type its context expects.
        if expected is not None and expected[0] not in (T.UNKNOWN, T.TEXT, T.VARCHAR):
            self.fold_literal(node, expected)
            return expected
        return UNKNOWN

    def fold_literal(self, node: ast.A_Const, target: TypeRef) -> None:
        """Convert a literal to the storage value of its type now (as PostgreSQL's parse
        analysis does), so bad input fails at parse time with PostgreSQL's SQLSTATE."""
        oid, typmod = target
        if oid in _NAMED_OIDS and isinstance(node.val, ast.String):
            text, catalog = str(node.val.sval), self.catalog
            try:
                if oid == T.REGCLASS:
                    value = functions.regclass_lookup(catalog, text, self.path)
                elif oid == T.REGPROC:
                    value = regproc.regproc_input(text, catalog)
                elif oid == T.REGPROCEDURE:
                    value = regproc.regprocedure_input(text, catalog)
                else:
                    value = functions.cast_value(text, T.TEXT, oid, -1)
            except PgError as exc:
                if exc.position is None:
                    exc.position = _pos(node)
                raise
            self.literals[id(node)] = value
            return
        if oid in (T.UNKNOWN, T.RECORD, T.REGNAMESPACE) or oid in _NAMED_OIDS:
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
                raise FeatureNotSupported("this type modifier is not supported")
        bounds = [b.ival for b in tn.arrayBounds or ()]
        if names and names[-1] in ("regclass", "regtype", "regnamespace", "regproc",
                                   "regprocedure", "oid"):
            oid = {
                "regclass": T.REGCLASS,
                "regtype": T.REGTYPE,
                "regnamespace": T.REGNAMESPACE,
                "regproc": T.REGPROC,
                "regprocedure": T.REGPROCEDURE,
                "oid": T.OID,
            }[names[-1]]
            return (T.ARRAY_OF.get(oid, oid) if bounds else oid, -1)
        t, typmod = pgtypes.resolve_type(names, mods, bounds)
        return (t.oid, typmod)


# The OID aliases whose literal is a name, looked up when the statement is parsed.
_NAMED_OIDS = frozenset({T.REGCLASS, T.REGTYPE, T.REGPROC, T.REGPROCEDURE})


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


# The error of an unsupported expression, by pglast node class.
_UNSUPPORTED = {
    "XmlExpr": "the xml type and its functions are not supported",
    "XmlSerialize": "the xml type and XMLSERIALIZE are not supported",
    "GroupingSet": "GROUPING SETS, ROLLUP and CUBE are not supported",
    "JsonObjectConstructor": "JSON_OBJECT is not supported",
    "JsonArrayConstructor": "JSON_ARRAY is not supported",
    "JsonArrayQueryConstructor": "JSON_ARRAY is not supported",
    "JsonObjectAgg": "JSON_OBJECTAGG is not supported",
    "JsonArrayAgg": "JSON_ARRAYAGG is not supported",
    "JsonIsPredicate": "IS JSON is not supported",
    "JsonFuncExpr": "JSON_QUERY, JSON_VALUE and JSON_EXISTS are not supported",
    "JsonParseExpr": "JSON() is not supported",
    "JsonScalarExpr": "JSON_SCALAR is not supported",
    "JsonSerializeExpr": "JSON_SERIALIZE is not supported",
}
