"""INSERT, UPDATE and DELETE for ``Analyzer``: the target table, column defaults,
assignment casts, ON CONFLICT and RETURNING.
"""

from __future__ import annotations

import copy
from typing import Any

from pglast import ast, enums

from pgha.storage import oids as T
from pgha.storage.catalog import FIRST_TEMP_OID, Column, Table, View
from pgha.storage.columns import ColInfo
from pgha.storage.translate.scope import RangeEntry, Scope, _pos, same_length, undefined_table
from pgha.storage.translate.signatures import UNKNOWN
from pgha.wire.errors import (
    FeatureNotSupported,
    GeneratedAlways,
    PgError,
    SqlSyntaxError,
    UndefinedColumn,
)


class DmlMixin:
    """INSERT, UPDATE and DELETE: targets, defaults, ON CONFLICT, RETURNING.
    Part of ``Analyzer``, whose ``__init__`` sets the state these methods use."""

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
                # ("": a public table the search path does not reach, see namespaces)
                else f'relation "{rv.schemaname}.{rv.relname}" does not exist'
                if rv.schemaname else f'relation "{rv.relname}" does not exist',
            )
        rel = (self.catalog.shadowed.get(rv.relname) if rv.schemaname == "public" else None) \
            or self.catalog.by_name.get(rv.relname)
        if isinstance(rel, View):
            raise FeatureNotSupported(f'cannot change view "{rv.relname}"')
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
        self.need(table.oid, "a")
        names = [rt.name for rt in node.cols or ()] or [c.name for c in table.columns]
        if node.selectStmt is None:
            names = []  # DEFAULT VALUES: every column takes its default
        targets: list[Column] = []
        for name in names:
            col = table.column(name)
            if col is None:
                raise UndefinedColumn(f'column "{name}" of relation "{table.name}" does not exist')
            targets.append(col)
        if node.override != enums.OverridingKind.OVERRIDING_SYSTEM_VALUE:
            for col in targets:
                if col.identity == "a" and not self._all_default(node.selectStmt, targets, col):
                    raise GeneratedAlways(
                        f'cannot insert a non-DEFAULT value into column "{col.name}"',
                        detail=f'Column "{col.name}" is an identity column defined as GENERATED '
                        "ALWAYS.", hint="Use OVERRIDING SYSTEM VALUE to override.")
        select = node.selectStmt
        width = len(targets)
        if select is not None and isinstance(select, ast.SelectStmt) and select.valuesLists:
            same_length(select.valuesLists)
            for row in select.valuesLists:
                if len(row) > width:
                    raise SqlSyntaxError("INSERT has more expressions than target columns")
                if len(row) < width and node.cols:
                    raise SqlSyntaxError("INSERT has more target columns than expressions",
                                         position=_pos(node.cols[len(row)]))
                for value, col in zip(row, targets, strict=False):
                    self.assign(value, col, scope)
        elif select is not None:
            cols = self.select(select, Scope(parent=scope))
            if len(cols) > width:
                raise SqlSyntaxError("INSERT has more expressions than target columns")
            if len(cols) < width:
                if node.cols:
                    raise SqlSyntaxError("INSERT has more target columns than expressions",
                                         position=_pos(node.cols[len(cols)]))
                # Without a column list the query fills the first columns; the others take
                # their defaults (PostgreSQL's "INSERT INTO t SELECT a, b").
                names, targets = names[:len(cols)], targets[:len(cols)]
                node.cols = [ast.ResTarget(name=n) for n in names]
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
            if occ.action == enums.OnConflictAction.ONCONFLICT_UPDATE:
                self.need(table.oid, "w")
            occ.targetList = _expand_multi_assign(occ.targetList)
            excluded = RangeEntry("excluded", [ColInfo(c.name, c.type) for c in entry.cols])
            conflict_scope = Scope([entry, excluded], scope)
            for rt in occ.targetList or ():
                col = table.column(rt.name)
                if col is None:
                    raise UndefinedColumn(
                        f'column "{rt.name}" of relation "{table.name}" does not exist'
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
        # (a translation builds an Analyzer, of which this is a part: imported when called)
        from pgha.storage.translate.translation import translate_expression

        assert col.default is not None
        return translate_expression(
            self.catalog, self.system, col.default, self.tz, (col.type_oid, col.typmod)
        )

    def update(self, node: ast.UpdateStmt, scope: Scope) -> list[ColInfo] | None:
        self.is_write = True
        node.targetList = _expand_multi_assign(node.targetList)
        self.with_clause(node.withClause, scope)
        table = self.target_table(node.relation)
        self.need(table.oid, "w")
        local = Scope([self.table_entry(table, node.relation.alias)], scope)
        for item in node.fromClause or ():
            local.entries.extend(self.from_item(item, local))
        for rt in node.targetList:
            col = table.column(rt.name)
            if col is None:
                raise UndefinedColumn(
                    f'column "{rt.name}" of relation "{table.name}" does not exist',
                    position=_pos(rt),
                )
            if rt.indirection and col.type_oid in T.ELEMENT_OF:  # SET a[i] = v
                ind = rt.indirection
                if len(ind) != 1 or not isinstance(ind[0], ast.A_Indices) or ind[0].is_slice:
                    raise FeatureNotSupported("only UPDATE ... SET array[i] = value is supported "
                                              "among assignments to parts of an array")
                self.array_assignments.add(id(rt))
                self.expr(ind[0].uidx, local, (T.INT4, -1))
                self.expr(rt.val, local, (T.ELEMENT_OF[col.type_oid], -1))
                continue
            if col.identity == "a" and not isinstance(rt.val, ast.SetToDefault):
                raise GeneratedAlways(
                    f'column "{col.name}" can only be updated to DEFAULT',
                    detail=f'Column "{col.name}" is an identity column defined as '
                    "GENERATED ALWAYS.")
            if rt.indirection:  # SET doc['a'][0] = value: jsonb subscripts only
                if col.type_oid != T.JSONB or any(
                        not isinstance(i, ast.A_Indices) or i.is_slice for i in rt.indirection):
                    raise FeatureNotSupported(
                        "assignment to an element of a column is supported "
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
        self.need(table.oid, "d")
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
                raise SqlSyntaxError("number of columns does not match number of values")
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
            raise FeatureNotSupported("this multiple-column assignment is not supported")
        out.append(ast.ResTarget(name=rt.name, val=value, location=rt.location))
    return tuple(out)
