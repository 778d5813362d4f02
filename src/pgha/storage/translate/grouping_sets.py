"""GROUP BY GROUPING SETS, ROLLUP and CUBE, as a UNION ALL of plain GROUP BY queries.

PostgreSQL ("7.2.4. GROUPING SETS, CUBE, and ROLLUP") groups the rows once per grouping set
and returns all the groups together; in the rows of a set, a grouping expression that is not
in that set is NULL, and ``GROUPING(a, b)`` is a bit mask of the arguments that are not
(``a`` the most significant bit). SQLite has none of it, so ``rewrite`` turns such a SELECT,
in place, into

    SELECT * FROM (<the SELECT grouped by set 1> UNION ALL <... by set 2> ...) AS grouping_sets
    [ORDER BY ...] [LIMIT ...]

where each branch is the original select list, HAVING and FROM with its own GROUP BY, the
grouping expressions outside its set replaced by NULL (outside aggregate calls, whose
arguments are the input rows) and ``GROUPING(...)`` by its constant. ``GROUP BY a, ROLLUP(b,
c)`` is the cross product of its items' sets, as in PostgreSQL. DISTINCT, ORDER BY and LIMIT
apply to the whole result: they move to the outer query, whose ORDER BY may name output
columns or their positions (an ORDER BY on another expression is refused, 0A000).
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Callable
from functools import cache
from typing import Any

from pglast import ast, enums
from pglast.stream import RawStream

from pgha.storage.builtin_functions import builtin_functions
from pgha.storage.translate.colname import figure_colname
from pgha.wire.errors import FeatureNotSupported, GroupingError

_KIND = enums.GroupingSetKind
_MAX_SETS = 4096  # PostgreSQL's own limit on the grouping sets of one query


@cache
def _aggregates() -> frozenset[str]:
    return frozenset(f.name for f in builtin_functions() if f.kind == "a")


def _text(node: Any) -> str:
    return str(RawStream()(node))


def has_grouping_sets(select: Any) -> bool:
    return isinstance(select, ast.SelectStmt) and any(
        isinstance(item, ast.GroupingSet) for item in select.groupClause or ())


def rewrite(select: ast.SelectStmt, types: Callable[[ast.SelectStmt], list[Any] | None]
            ) -> None:
    """Turn ``select`` (a SELECT whose GROUP BY has grouping sets) into the UNION ALL of one
    grouped SELECT per set, in place (see the module's docstring). ``types(probe)`` gives the
    PostgreSQL types of a probe query's columns (None if it cannot tell): a grouping
    expression outside a set becomes a NULL of its type, so that the branches' columns match
    whichever branch has the NULL."""
    sets = _sets(list(select.groupClause))
    if len(sets) > _MAX_SETS:
        raise FeatureNotSupported("too many grouping sets present (maximum 4096)")
    universe: dict[str, Any] = {}
    for grouping_set in sets:
        for expr in grouping_set:
            universe.setdefault(_text(expr), expr)
    probe = ast.SelectStmt(
        targetList=[ast.ResTarget(val=copy.deepcopy(e)) for e in universe.values()],
        fromClause=copy.deepcopy(select.fromClause), withClause=copy.deepcopy(select.withClause),
        limitOption=enums.LimitOption.LIMIT_OPTION_DEFAULT, op=enums.SetOperation.SETOP_NONE)
    found = types(probe)
    nulls = {text: _typed_null(found[i] if found else None)
             for i, text in enumerate(universe)}
    template = copy.copy(select)
    template.sortClause = template.limitCount = template.limitOffset = None
    template.distinctClause = template.withClause = template.lockingClause = None
    branches = []
    for grouping_set in sets:
        present = {_text(e) for e in grouping_set}
        branch = copy.deepcopy(template)
        branch.groupClause = [copy.deepcopy(e) for e in grouping_set] or None
        absent = {text: nulls[text] for text in universe if text not in present}
        branch.targetList = [_replace(rt, absent, present) for rt in branch.targetList]
        if branch.havingClause is not None:
            branch.havingClause = _replace(branch.havingClause, absent, present)
        if not grouping_set and not _aggregates_in((branch.targetList, branch.havingClause)):
            # The empty set is one group, even of no rows; with no aggregate to make the
            # branch one, its select list can read no column: one row of constants.
            branch.fromClause = None
            branch.whereClause, branch.havingClause = branch.havingClause, None
        branches.append(branch)
    union: Any = branches[0]
    for branch in branches[1:]:
        union = ast.SelectStmt(op=enums.SetOperation.SETOP_UNION, all=True, larg=union,
                               rarg=branch, limitOption=enums.LimitOption.LIMIT_OPTION_DEFAULT)
    names = [_output_name(rt) for rt in select.targetList]
    inner = [f"grouping_sets_{i + 1}" for i in range(len(names))]
    for i, rt in enumerate(branches[0].targetList):
        rt.name = inner[i]  # the outer query reads the branches' columns by these names
    for sort in select.sortClause or ():
        key = sort.node
        if isinstance(key, ast.ColumnRef) and len(key.fields) == 1 and \
                isinstance(key.fields[0], ast.String) and key.fields[0].sval in names:
            sort.node = _column(inner[names.index(key.fields[0].sval)])
            continue
        if isinstance(key, ast.A_Const) and isinstance(key.val, ast.Integer):
            continue
        raise FeatureNotSupported("ORDER BY with GROUPING SETS, ROLLUP or CUBE must name an "
                                  "output column or its position")
    select.targetList = [ast.ResTarget(val=_column(column), name=name)
                         for column, name in zip(inner, names, strict=True)]
    select.fromClause = [ast.RangeSubselect(
        lateral=False, subquery=union, alias=ast.Alias(aliasname="grouping_sets"))]
    select.groupClause = None
    select.havingClause = None
    select.whereClause = None
    select.windowClause = None


def _column(name: str) -> ast.ColumnRef:
    return ast.ColumnRef(fields=(ast.String(sval=name),))


def _output_name(rt: ast.ResTarget) -> str:
    return str(rt.name) if rt.name else figure_colname(rt.val)


def _sets(items: list[Any]) -> list[list[Any]]:
    """The grouping sets of a GROUP BY list: the cross product of its items' sets."""
    out: list[list[Any]] = [[]]
    for item in items:
        out = [left + right for left, right in itertools.product(out, _item_sets(item))]
    return out


def _item_sets(item: Any) -> list[list[Any]]:
    if not isinstance(item, ast.GroupingSet):
        return [_elements(item)]
    content = list(item.content or ())
    if item.kind == _KIND.GROUPING_SET_EMPTY:
        return [[]]
    if item.kind == _KIND.GROUPING_SET_SIMPLE:
        return [[e for c in content for e in _elements(c)]]
    if item.kind == _KIND.GROUPING_SET_ROLLUP:
        groups = [_elements(c) for c in content]
        return [[e for g in groups[:n] for e in g] for n in range(len(groups), -1, -1)]
    if item.kind == _KIND.GROUPING_SET_CUBE:
        groups = [_elements(c) for c in content]
        n = len(groups)
        # PostgreSQL's order: (a,b,c), (a,b), (a,c), (a), (b,c), (b), (c), ()
        masks = sorted(range(1 << n), key=lambda m: [not (m >> (n - 1 - i)) & 1
                                                     for i in range(n)])
        return [[e for i, g in enumerate(groups) if (m >> (n - 1 - i)) & 1 for e in g]
                for m in masks]
    return [s for c in content for s in _item_sets(c)]  # GROUPING SETS (...)


def _elements(node: Any) -> list[Any]:
    """A grouping element: one expression, or a parenthesised list of them, ``(a, b)``."""
    if isinstance(node, ast.RowExpr) and node.row_format == enums.CoercionForm.COERCE_IMPLICIT_CAST:
        return list(node.args or ())
    return [node]


def _is_aggregate(node: Any) -> bool:
    return isinstance(node, ast.FuncCall) and node.over is None and bool(
        node.agg_star or node.agg_distinct or node.agg_order or node.agg_filter
        or str(node.funcname[-1].sval).lower() in _aggregates())


def _aggregates_in(node: Any) -> bool:
    if _is_aggregate(node):
        return True
    if isinstance(node, tuple | list):
        return any(_aggregates_in(n) for n in node)
    if isinstance(node, ast.Node) and not isinstance(node, ast.SubLink):
        return any(_aggregates_in(getattr(node, name, None))
                   for name in type(node).__slots__)  # type: ignore[attr-defined]
    return False


def _reads_columns(node: Any) -> bool:
    if isinstance(node, ast.ColumnRef):
        return True
    if isinstance(node, tuple | list):
        return any(_reads_columns(n) for n in node)
    if isinstance(node, ast.Node) and not isinstance(node, ast.SubLink):
        return any(_reads_columns(getattr(node, name, None))
                   for name in type(node).__slots__)  # type: ignore[attr-defined]
    return False


def calls_grouping(node: Any) -> bool:
    """Whether ``node`` holds a GROUPING(...) call (not inside a subquery)."""
    if isinstance(node, ast.GroupingFunc):
        return True
    if isinstance(node, tuple | list):
        return any(calls_grouping(n) for n in node)
    if isinstance(node, ast.Node) and not isinstance(node, ast.SubLink):
        return any(calls_grouping(getattr(node, name, None))
                   for name in type(node).__slots__)  # type: ignore[attr-defined]
    return False


def having_alone(select: ast.SelectStmt) -> None:
    """HAVING without GROUP BY or an aggregate: in PostgreSQL the query is still one group
    (one row, or none if the condition is false), whose select list and condition can read
    no column (42803 otherwise). SQLite refuses HAVING on a non-aggregate query, so the
    condition becomes the WHERE of a one-row query."""
    if select.havingClause is None or select.groupClause or \
            _aggregates_in((select.targetList, select.havingClause)) or \
            _reads_columns((select.targetList, select.havingClause)):
        return  # (a column read there is PostgreSQL's 42803, left to the engine's refusal)
    select.fromClause = None
    select.whereClause, select.havingClause = select.havingClause, None


def plain_grouping(select: ast.SelectStmt) -> None:
    """GROUPING(...) in a query grouped without sets: 0 (every argument is grouped)."""
    present = {_text(e) for e in select.groupClause or ()}
    select.targetList = [_replace(rt, {}, present) for rt in select.targetList or ()]
    if select.havingClause is not None:
        select.havingClause = _replace(select.havingClause, {}, present)


def _typed_null(pgtype: Any) -> Any:
    """NULL::type (plain NULL when the type is not known)."""
    if pgtype is None:
        return ast.A_Const(isnull=True)
    return ast.TypeCast(arg=ast.A_Const(isnull=True), typeName=ast.TypeName(
        names=(ast.String(sval="pg_catalog"), ast.String(sval=pgtype.name)), typemod=-1))


def _replace(node: Any, absent: dict[str, Any], present: set[str]) -> Any:
    """``node`` with the grouping expressions in ``absent`` as NULL (not inside an aggregate
    call) and GROUPING(...) as its bit mask."""
    if isinstance(node, ast.GroupingFunc):
        mask = 0
        for arg in node.args:
            text = _text(arg)
            if text not in present and text not in absent:
                raise GroupingError("arguments to GROUPING must be grouping expressions of "
                                    "the associated query level")
            mask = mask << 1 | (text not in present)
        return ast.A_Const(val=ast.Integer(ival=mask))
    if isinstance(node, ast.ResTarget):
        if node.name is None:
            node.name = figure_colname(node.val)  # (the name of what is replaced)
        node.val = _replace(node.val, absent, present)
        return node
    if isinstance(node, ast.Node) and not isinstance(node, ast.String):
        text = _text_or_none(node)
        if text is not None and text in absent:
            return copy.deepcopy(absent[text])
    if _is_aggregate(node):
        return node  # an aggregate's arguments are the input rows, not the groups
    if isinstance(node, ast.SubLink):
        return node  # (a subquery's own columns; a correlated reference stays as it is)
    if isinstance(node, tuple | list):
        return type(node)(_replace(n, absent, present) for n in node)
    if isinstance(node, ast.Node):
        for name in type(node).__slots__:  # type: ignore[attr-defined]
            value = getattr(node, name, None)
            if isinstance(value, ast.Node | tuple | list):
                setattr(node, name, _replace(value, absent, present))
    return node


def _text_or_none(node: Any) -> str | None:
    try:
        return _text(node)
    except Exception:  # a node pglast prints only in context (a sort key, a window)
        return None
