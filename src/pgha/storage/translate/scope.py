"""Name resolution state: the FROM items (``RangeEntry``) visible in a query level
(``Scope``), the lookup of a column reference through them, and the small AST helpers both
passes use (``_names``, ``_func_name``, ``_pos``, ``_q``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from pglast import ast

from pgha.storage.catalog import Table
from pgha.storage.columns import ColInfo
from pgha.wire.errors import AmbiguousColumn, PgError, SqlSyntaxError, UndefinedTable


@dataclass(slots=True)
class RangeEntry:
    alias: str
    cols: list[ColInfo]
    table: Table | None = None
    system_oid: int | None = None  # a system catalog table's OID (its tableoid)


@dataclass(slots=True)
class Scope:
    entries: list[RangeEntry] = field(default_factory=list)
    parent: Scope | None = None
    ctes: dict[str, list[ColInfo]] = field(default_factory=dict)
    # output column names of the current SELECT, for ORDER BY/GROUP BY by alias
    outputs: list[ColInfo] = field(default_factory=list)

    def find_cte(self, name: str) -> list[ColInfo] | None:
        scope: Scope | None = self
        while scope is not None:
            if name in scope.ctes:
                return scope.ctes[name]
            scope = scope.parent
        return None


# A resolver for relations that are not user tables: (schema, name) -> columns, or None.
SystemRelations = Callable[[str | None, str], list[ColInfo] | None]


def _names(nodes: Sequence[Any] | None) -> list[str]:
    return [n.sval for n in nodes or () if isinstance(n, ast.String)]


def _func_name(node: ast.FuncCall) -> str:
    names = _names(node.funcname)
    return names[-1].lower()


def undefined_table(name: str, position: int | None = None) -> PgError:
    return UndefinedTable(f'relation "{name}" does not exist', position=position)


def _pos(node: Any) -> int | None:
    loc = getattr(node, "location", None)
    return loc + 1 if isinstance(loc, int) and loc >= 0 else None


def _lookup_in(scope: Scope, names: list[str]) -> ColInfo | None:
    col = names[-1]
    qual = names[-2] if len(names) >= 2 else None
    matches = [
        c
        for e in scope.entries
        if qual is None or e.alias == qual
        for c in e.cols
        if c.name == col
    ]
    # A USING/NATURAL join column appears on both sides with one meaning; anything else is
    # ambiguous, as in PostgreSQL.
    if (len(matches) > 1 and qual is None and len({id(m) for m in matches}) > 1
            and len({m.type for m in matches}) > 1):
            raise AmbiguousColumn(f'column reference "{col}" is ambiguous')
    return matches[0] if matches else None


def _chain(scope: Scope) -> list[Scope]:
    out = []
    cur: Scope | None = scope
    while cur is not None:
        out.append(cur)
        cur = cur.parent
    return out


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def same_length(rows: Any) -> None:
    """VALUES rows of different lengths: 42601, pointing at the first row that differs (as
    PostgreSQL's transformValuesClause does)."""
    width = len(rows[0])
    for row in rows[1:]:
        if len(row) != width:
            raise SqlSyntaxError("VALUES lists must all be the same length",
                                 position=_pos(row[0]))
