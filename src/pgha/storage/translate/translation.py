"""The entry points: one parsed statement (``translate``) or one expression
(``translate_expression``) -> SQLite SQL, with PostgreSQL's result and parameter types.

``translate`` runs the two passes (``Analyzer``, then ``SqliteStream``) and packs the result in a
``Translation``; a top-level WITH with data-modifying parts becomes ``WriteStep``s run first.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from pglast import ast, parse_sql

from pgha.routing.classify import command_name
from pgha.storage import oids as T
from pgha.storage import types as pgtypes
from pgha.storage.catalog import FIRST_TEMP_OID, Catalog, Table
from pgha.storage.columns import ColInfo, ResultColumn, TypeRef
from pgha.storage.translate import grouping_sets, write_ctes
from pgha.storage.translate.analyzer import Analyzer
from pgha.storage.translate.point_write import point_write
from pgha.storage.translate.scope import Scope, SystemRelations
from pgha.storage.translate.signatures import UNKNOWN
from pgha.storage.translate.stream import SqliteStream
from pgha.wire.errors import FeatureNotSupported, PgError


@dataclass(slots=True)
class Translation:
    sql: str
    columns: tuple[ResultColumn, ...] | None
    param_oids: list[int]
    command: str  # SELECT, INSERT, UPDATE, DELETE
    is_write: bool = False
    inline_ok: bool = False  # a read with no blocking function: may run on the event loop
    # The pg_catalog / information_schema tables this statement reads. They are per-session
    # tables filled from the schema on demand; a cached translation carries what it needs, so
    # running it from any cache fills them first (see ``Session._ensure_pg_catalog``).
    system_relations: frozenset[str] = frozenset()
    # How many parameters the SQL binds (its highest ?N). Fewer than param_oids when the
    # rewrite dropped the last ones (generate_subscripts' dimension): only these are bound.
    bind_count: int = 0
    # The data-modifying statements of a top-level WITH, run in order before ``sql`` (see
    # ``WriteStep``); ``sql`` reads their RETURNING rows from temporary tables.
    steps: tuple[WriteStep, ...] = ()
    # A write bounded to one row by its shape (see ``point_write``): it may run on the event
    # loop in a transaction that already holds the write lock.
    point_write: bool = False
    # The privileges it needs: (relation OID, aclitem letters), see ``privileges.py``.
    privileges: tuple[tuple[int, str], ...] = ()
    # The relations and table columns it reads, (OID, attnum; 0 for a relation of which no
    # column is named): what a view made of it depends on (see ``dependencies``).
    references: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True, slots=True)
class WriteStep:
    """One data-modifying statement of a WITH (``WITH x AS (DELETE ... RETURNING ...)``).
    SQLite has no DML in a CTE: the session runs ``sql`` first and, when ``width`` > 0,
    keeps its RETURNING rows in the temporary table ``table`` (untyped columns c0..c<width-1>,
    so values stay as SQLite computed them) that later steps and the main statement read."""

    sql: str
    table: str
    width: int
    bind_count: int  # its highest ?N


def _write_steps(an: Analyzer, with_clause: ast.WithClause) -> tuple[WriteStep, ...]:
    """The SQL of each data-modifying CTE, under a WITH of the CTEs before it (a data-modifying
    one among them reads its step's table), in the order PostgreSQL lists them."""
    steps = []
    ctes = list(with_clause.ctes)
    for i, cte in enumerate(ctes):
        if id(cte) not in an.write_ctes:
            continue
        table, names = an.write_ctes[id(cte)]
        query = cte.ctequery
        own = list(query.withClause.ctes) if query.withClause is not None else []
        if ctes[:i] or own:
            query.withClause = ast.WithClause(ctes=ctes[:i] + own,
                                              recursive=with_clause.recursive)
        sql = SqliteStream(an)(query)
        bind_count = max((int(n) for n in _BIND.findall(sql)), default=0)
        steps.append(WriteStep(sql, table, len(names), bind_count))
    return tuple(steps)


def _result(cols: list[ColInfo] | None) -> tuple[ResultColumn, ...] | None:
    if cols is None:
        return None
    return tuple(
        ResultColumn(
            c.name,
            c.type[0] if c.type[0] != T.UNKNOWN else T.TEXT,
            c.type[1],
            c.table_oid,
            c.attnum,
        )
        for c in cols
    )


def translate(
    catalog: Catalog,
    system: SystemRelations,
    stmt: Any,
    param_oids: Sequence[int] = (),
    tz: str = "UTC",
    path: tuple[str, ...] = ("public",),
) -> Translation:
    """Translate one parsed DML/query statement (a pglast node) whose relation names
    ``namespaces.qualify`` made keys; ``path`` is the search path 'name'::regclass reads."""
    def types(probe: ast.SelectStmt) -> list[Any] | None:
        """The types of a probe query's columns, by an analyzer of its own (none of its
        bookkeeping reaches the statement's); None when the probe cannot stand alone (it
        reads a column of an outer query or a CTE of one)."""
        try:
            cols = Analyzer(catalog, system, param_oids, tz).select(probe, Scope())
        except PgError:
            return None
        return [pgtypes.TYPES_BY_OID.get(c.type[0]) for c in cols]

    _expand_grouping_sets(stmt, types)
    an = Analyzer(catalog, system, param_oids, tz)
    an.path = path
    an.top_with = getattr(stmt, "withClause", None)
    an.top = stmt
    scope = Scope()
    if isinstance(stmt, ast.SelectStmt):
        cols: list[ColInfo] | None = an.select(stmt, scope)
        command = "SELECT"
    elif isinstance(stmt, ast.InsertStmt):
        cols, command = an.insert(stmt, scope), "INSERT"
    elif isinstance(stmt, ast.UpdateStmt):
        cols, command = an.update(stmt, scope), "UPDATE"
    elif isinstance(stmt, ast.DeleteStmt):
        cols, command = an.delete(stmt, scope), "DELETE"
    else:
        raise FeatureNotSupported(f"{command_name(stmt)} is not supported")
    if an.write_ctes:
        write_ctes.check_snapshot_reads(stmt)
    steps = _write_steps(an, stmt.withClause) if an.write_ctes else ()
    sql = SqliteStream(an)(stmt)
    # A regular expression may match for a long time (releasing the GIL, bounded by
    # functions.REGEX_TIMEOUT): not on the event loop.
    may_match_long = _may_match_long(sql)
    inline_ok = command == "SELECT" and not an.is_write and not an.blocking \
        and not may_match_long
    bind_count = max((int(n) for n in _BIND.findall(sql)), default=0)
    point = command != "SELECT" and not steps and not an.blocking and \
        not may_match_long and point_write(stmt, catalog)
    return Translation(sql, _result(cols), an.final_param_oids(), command, an.is_write, inline_ok,
                       frozenset(an.system_relations), bind_count, steps, point,
                       tuple(an.privileges.items()), references(an))


def references(an: Analyzer) -> tuple[tuple[int, int], ...]:
    """What the statement ``an`` analysed reads (see ``Translation.references``), sorted."""
    used = {(oid, attnum) for _, oid, attnum in an.uses if oid < FIRST_TEMP_OID}
    named = {oid for oid, attnum in used if attnum}
    used = {(oid, attnum) for oid, attnum in used if attnum or oid not in named}
    used.update((oid, 0) for oid, letters in an.privileges.items()
                if "r" in letters and oid not in {o for o, _ in used})
    return tuple(sorted(used))


def _expand_grouping_sets(node: Any, types: Callable[[ast.SelectStmt], list[Any] | None]
                          ) -> None:
    """Every SELECT of the statement whose GROUP BY has grouping sets, as a UNION ALL of
    plain GROUP BY queries (grouping_sets.rewrite), inner ones first."""
    if isinstance(node, tuple | list):
        for item in node:
            _expand_grouping_sets(item, types)
        return
    if not isinstance(node, ast.Node):
        return
    for name in type(node).__slots__:
        value = getattr(node, name, None)
        if isinstance(value, ast.Node | tuple | list):
            _expand_grouping_sets(value, types)
    if grouping_sets.has_grouping_sets(node):
        grouping_sets.rewrite(node, types)
    elif isinstance(node, ast.SelectStmt) and node.groupClause and \
            grouping_sets.calls_grouping((node.targetList, node.havingClause)):
        grouping_sets.plain_grouping(node)
    elif isinstance(node, ast.SelectStmt) and node.havingClause is not None:
        grouping_sets.having_alone(node)


_BIND = re.compile(r"\?(\d+)")
_MAY_MATCH_LONG = ("regex", "pg_like_any", "similar", "json_path", "jsonb_path")


def _may_match_long(sql: str) -> bool:
    """Whether ``sql`` may call a function that matches for a long time. Substring tests on
    the lowered text: a case-insensitive regular expression holds the GIL for seconds over a
    50 MB statement, and every other session of the node waits meanwhile."""
    low = sql.lower()
    return any(word in low for word in _MAY_MATCH_LONG)


def translate_expression(
    catalog: Catalog,
    system: SystemRelations,
    expr_text: str,
    tz: str = "UTC",
    expected: TypeRef | None = None,
    table: Table | None = None,
) -> str:
    """SQLite SQL for one PostgreSQL expression (a column default or CHECK constraint)."""
    stmt = parse_sql(f"SELECT {expr_text}")[0].stmt
    an = Analyzer(catalog, system, (), tz)
    scope = Scope()
    if table is not None:
        scope.entries.append(an.table_entry(table, None))
    value = stmt.targetList[0].val
    t = an.expr(value, scope, expected)
    if expected is not None and isinstance(value, ast.A_Const) and not value.isnull:
        an.fold_literal(value, expected)
    elif expected is not None and t != expected and t != UNKNOWN and t[0] != expected[0]:
        an.assign_wrap[id(value)] = expected
    sql = SqliteStream(an)(stmt)
    assert sql.startswith("SELECT ")
    body = sql[len("SELECT ") :]
    if id(value) in an.assign_wrap:
        target = an.assign_wrap[id(value)]
        body = f"pg_cast({body}, {t[0]}, {target[0]}, {target[1]})"
    return f"({body})"
