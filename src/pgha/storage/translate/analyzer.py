"""Pass 1: names, types and rewrite decisions for one statement.

``Analyzer`` resolves names against the catalog (raising 42P01/42703 as PostgreSQL does),
infers the PostgreSQL type of every expression, names result columns as PostgreSQL's
FigureColname does, infers parameter types from context (asyncpg relies on this), expands
column defaults for INSERT, and decides how each node must be rewritten; ``SqliteStream``
reads its decisions. It holds the state and the SELECT level; its other families are mixins:
``RelationsMixin`` (FROM items), ``SrfMixin`` (set-returning functions), ``ExpressionMixin``
(column references, constants, casts), ``OperatorMixin`` (operators, sub-selects, function
calls) and ``DmlMixin`` (INSERT, UPDATE, DELETE).
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

from pglast import ast, enums, parse_sql
from pglast.stream import RawStream

from pgha.storage import oids as T
from pgha.storage.catalog import FIRST_TEMP_OID, Catalog
from pgha.storage.catalog import Sequence as SequenceRel
from pgha.storage.columns import ColInfo, TypeRef
from pgha.storage.translate.colname import figure_colname
from pgha.storage.translate.dml import DmlMixin
from pgha.storage.translate.expressions import ExpressionMixin
from pgha.storage.translate.grouping import _check_grouped, _check_ungrouped
from pgha.storage.translate.operators import OperatorMixin
from pgha.storage.translate.relations import RelationsMixin
from pgha.storage.translate.scope import (
    RangeEntry,
    Scope,
    SystemRelations,
    _names,
    _pos,
    _q,
    same_length,
)
from pgha.storage.translate.signatures import UNKNOWN, _common_type
from pgha.storage.translate.srf import SrfMixin
from pgha.wire.errors import (
    FeatureNotSupported,
    InvalidColumnReference,
    SqlSyntaxError,
    UndefinedTable,
)


class Analyzer(RelationsMixin, SrfMixin, ExpressionMixin, OperatorMixin, DmlMixin):
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
        self.path: tuple[str, ...] = ("public",)  # the search path (regclass literals)
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
        # FROM items on the nullable side of an outer join (id -> the item, kept alive)
        self.nullable_entries: dict[int, RangeEntry] = {}
        # id(FuncCall) of a cast function called by name -> (it, the TypeCast printed instead)
        self.function_casts: dict[int, tuple[ast.FuncCall, ast.TypeCast]] = {}
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
        # The privileges the statement needs: relation OID -> aclitem letters (privileges.py);
        # temporary tables are their session's and need none.
        self.privileges: dict[int, str] = {}
        # The table columns the statement reads, for a view's dependencies: (the ColumnRef,
        # or the star or USING join naming it, table OID, attnum; 0 for a whole row).
        self.uses: list[tuple[Any, int, int]] = []
        # Each * of a select list (by its location): (FROM item name, column name, whether
        # it is a column of a table or view) of the columns it stands for.
        self.star_columns: dict[int, list[tuple[str, str, bool]]] = {}

    def need(self, oid: int, letter: str) -> None:
        if oid and oid < FIRST_TEMP_OID:
            held = self.privileges.get(oid, "")
            if letter not in held:
                self.privileges[oid] = held + letter

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
            raise FeatureNotSupported("WITH clause containing a data-modifying statement must be "
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
            raise FeatureNotSupported(f"{type(query).__name__} in WITH is not supported")
        if cols is None:
            self.no_returning.add(cte.ctename)
            cols = []
        if len(names) > len(cols):
            raise InvalidColumnReference(f'WITH query "{cte.ctename}" has {len(cols)} columns '
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
                raise SqlSyntaxError("each UNION query must have the same number of columns")
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
            same_length(node.valuesLists)
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
            raise FeatureNotSupported("SELECT INTO is not supported; use CREATE TABLE AS")
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
                    raise InvalidColumnReference(f"ORDER BY position {expr.val.ival} is not in "
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
            raise InvalidColumnReference("SELECT DISTINCT ON expressions must match initial ORDER "
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
                    raise FeatureNotSupported("SELECT DISTINCT ON with * over columns of the "
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
                raise UndefinedTable(
                    f'missing FROM-clause entry for table "{qual[-1]}"', position=_pos(ref)
                )
        elif not entries:
            raise SqlSyntaxError(
                "SELECT * with no tables specified is not valid", position=_pos(ref)
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
        for e in entries:
            if e.table is not None:
                self.need(e.table.oid, "r")
        self.uses += [(ref, c.table_oid, c.attnum) for e in entries for c in e.cols
                      if c.table_oid]
        self.star_columns[ref.location] = [(e.alias, c.name, bool(c.table_oid))
                                           for e in entries for c in e.cols]
        return [ColInfo(c.name, c.type, c.table_oid, c.attnum) for e in entries for c in e.cols]


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
            raise FeatureNotSupported(f"{what} in a recursive query is not implemented")
    for term in (query.larg, query.rarg):
        if term is not None and term.lockingClause:
            raise FeatureNotSupported("FOR UPDATE/SHARE in a recursive query is not implemented")
