"""What pgha refuses in a statement with data-modifying WITH queries, because running the
data-modifying parts first (see ``translation.WriteStep``) would answer differently.

PostgreSQL runs every part of such a statement on one snapshot: the main query, and the other
WITH queries, read a table that a data-modifying WITH changes as it was before the statement
(PostgreSQL 15 docs, 7.8.4 "Data-Modifying Statements in WITH"). pgha runs the data-modifying
parts first, so such a read would see their changes: it is refused (0A000) instead of answered
differently. So is an UPDATE or DELETE (in a later WITH query or the main statement) of a
table an earlier part inserts into or updates: PostgreSQL's would skip the rows updated before
it and miss the rows inserted before it. Inserting again into a changed table, and reading a
data-modifying WITH query's own target inside it, are allowed.
"""

from __future__ import annotations

from typing import Any

from pglast import ast
from pglast.visitors import Visitor

from pgha.wire.errors import FeatureNotSupported


class _RangeVars(Visitor):  # type: ignore[misc]
    def __init__(self) -> None:
        self.found: list[ast.RangeVar] = []

    def visit_RangeVar(self, ancestors: Any, node: ast.RangeVar) -> None:
        self.found.append(node)


def _range_vars(node: Any) -> list[ast.RangeVar]:
    visitor = _RangeVars()
    visitor(node)
    return visitor.found


def _scans_target(node: Any) -> bool:
    """An UPDATE or DELETE finds its rows by reading its target: in PostgreSQL it neither sees
    rows an earlier part of the statement inserted nor changes rows it updated (rows it
    deleted, it skips: as pgha, which no longer finds them)."""
    return isinstance(node, ast.UpdateStmt | ast.DeleteStmt)


def check_snapshot_reads(stmt: Any) -> None:
    """Refuse a read of a table that a data-modifying WITH query of ``stmt`` has changed by
    the time the read runs: in a later data-modifying WITH query or in the main statement,
    directly or through the plain WITH queries they use (those are evaluated where used)."""
    ctes = list(stmt.withClause.ctes)
    by_name = {cte.ctename: cte for cte in ctes}
    writes = [cte.ctequery for cte in ctes if not isinstance(cte.ctequery, ast.SelectStmt)]
    first_write: dict[str, int] = {}  # table -> the first step that changes it
    first_add: dict[str, int] = {}  # table -> the first step that inserts or updates rows
    for step, query in enumerate(writes):
        first_write.setdefault(query.relation.relname, step)
        if not isinstance(query, ast.DeleteStmt):
            first_add.setdefault(query.relation.relname, step)

    def reads(node: Any, target: Any) -> set[str]:
        tables: set[str] = set()
        seen: set[str] = set()
        todo = [node]
        while todo:
            for rv in _range_vars(todo.pop()):
                if rv is target:
                    continue
                cte = by_name.get(rv.relname) if rv.schemaname is None else None
                if cte is None:
                    tables.add(rv.relname)
                elif isinstance(cte.ctequery, ast.SelectStmt) and cte.ctename not in seen:
                    seen.add(cte.ctename)
                    todo.append(cte.ctequery)
        return tables

    bad = set()
    for step, query in enumerate(writes):
        bad |= {t for t in reads(query, query.relation) if first_write.get(t, step) < step}
        if _scans_target(query) and first_add.get(query.relation.relname, step) < step:
            bad.add(query.relation.relname)
    with_clause, stmt.withClause = stmt.withClause, None
    try:
        bad |= reads(stmt, getattr(stmt, "relation", None)) & set(first_write)
    finally:
        stmt.withClause = with_clause
    if _scans_target(stmt) and stmt.relation.relname in first_add:
        bad.add(stmt.relation.relname)
    if bad:
        raise FeatureNotSupported(
            f'reading table "{min(bad)}" in a statement whose WITH clause '
            "changes it is not supported (PostgreSQL reads it as it was before "
            "the statement)")
