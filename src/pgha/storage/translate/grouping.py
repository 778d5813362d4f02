"""GROUP BY checks: a column used outside an aggregate must be grouped, or be
functionally dependent on a grouped primary key (42803), as in PostgreSQL's
parseCheckAggregates.
"""

from __future__ import annotations

from typing import Any

from pglast import ast
from pglast.stream import RawStream

from pgha.storage.columns import ColInfo
from pgha.storage.translate.scope import RangeEntry, Scope, _func_name, _lookup_in, _names, _pos
from pgha.storage.translate.signatures import AGGREGATES
from pgha.wire.errors import GroupingError, PgError


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
        elif _lookup_in(local, names) is not None:
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
        return _lookup_in(local, _names(ref.fields))
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
    return GroupingError(f'column "{name}" must appear in the GROUP BY clause or be used in '
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
