"""Writes bounded to one row by their shape, which a session may run on the event loop.

A write's statement cannot be interrupted without rolling its whole transaction back (SQLite
rolls back the transaction of an interrupted INSERT, UPDATE or DELETE), so the step budget that
bounds reads on the event loop (``StorageSession.execute_inline``) cannot bound writes. A point
write needs no budget: its shape bounds it.

- ``INSERT ... VALUES (one row)``, with or without ON CONFLICT or RETURNING;
- ``UPDATE`` / ``DELETE`` whose WHERE pins every column of a unique index (a primary key or a
  UNIQUE constraint, no expressions, not partial) to a parameter or a constant, ANDed with
  anything else, with no FROM / USING;

and in every case no subquery anywhere, no WITH, and (UPDATE, DELETE) no foreign key of any
table referencing the target: an ON DELETE CASCADE, or the check of an unindexed referencing
column, could touch any number of rows. Functions that may block (``pg_sleep``, regular
expressions) are excluded by the caller (``Analyzer.blocking``).
"""

from __future__ import annotations

from typing import Any

from pglast import ast, enums
from pglast.visitors import Visitor

from pgha.storage.catalog import Catalog


class _SubLinks(Visitor):  # type: ignore[misc]
    found = False

    def visit_SubLink(self, ancestors: Any, node: Any) -> None:
        self.found = True


def point_write(node: Any, catalog: Catalog) -> bool:
    """Is ``node`` (a translated INSERT, UPDATE or DELETE) a point write (see above)?"""
    if getattr(node, "withClause", None) is not None:
        return False
    table = catalog.table(node.relation.relname) if node.relation is not None else None
    if table is None:
        return False
    visitor = _SubLinks()
    visitor(node)
    if visitor.found:
        return False
    if isinstance(node, ast.InsertStmt):
        select = node.selectStmt
        return (isinstance(select, ast.SelectStmt) and select.valuesLists is not None
                and len(select.valuesLists) == 1 and not select.fromClause)
    if isinstance(node, ast.UpdateStmt):
        if node.fromClause:
            return False
    elif not isinstance(node, ast.DeleteStmt) or node.usingClause:
        return False
    if any(con.kind == "f" and con.ref_table == table.name
           for other in catalog.tables() for con in other.constraints):
        return False
    pinned = _pinned_columns(node.whereClause)
    return any(index.unique and not index.expressions and index.predicate is None
               and index.columns and set(index.columns) <= pinned
               for index in table.indexes)


def _pinned_columns(where: Any) -> set[str]:
    """The columns ``where`` sets equal to a parameter or a constant in its top-level AND."""
    if where is None:
        return set()
    if isinstance(where, ast.BoolExpr):
        if where.boolop != enums.BoolExprType.AND_EXPR:
            return set()
        out: set[str] = set()
        for arg in where.args:
            out |= _pinned_columns(arg)
        return out
    if not isinstance(where, ast.A_Expr) or where.kind != enums.A_Expr_Kind.AEXPR_OP or \
            len(where.name) != 1 or where.name[0].sval != "=":
        return set()
    for column, value in ((where.lexpr, where.rexpr), (where.rexpr, where.lexpr)):
        while isinstance(value, ast.TypeCast):
            value = value.arg
        if isinstance(column, ast.ColumnRef) and isinstance(value, ast.ParamRef | ast.A_Const) \
                and isinstance(column.fields[-1], ast.String):
            return {column.fields[-1].sval}
    return set()
