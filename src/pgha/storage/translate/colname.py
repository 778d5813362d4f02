"""Result column names, as PostgreSQL's FigureColname gives them (``?column?``,
the function name, the last field of a column reference, ...).
"""

from __future__ import annotations

from typing import Any

from pglast import ast, enums

from pgha.storage import types as pgtypes
from pgha.storage.translate.scope import _func_name, _names
from pgha.storage.translate.signatures import SQL_VALUE_FUNCTIONS, UNKNOWN
from pgha.wire.errors import PgError


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
    if isinstance(node, ast.GroupingFunc):
        return "grouping", 2
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
