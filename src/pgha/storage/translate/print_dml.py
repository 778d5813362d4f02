"""Printers for data-modifying statements: INSERT (with defaults and ON
CONFLICT), UPDATE, DELETE, RETURNING, and the CTEs of a WITH.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pglast import ast, enums

from pgha.storage.catalog import Table
from pgha.storage.translate.scope import _pos, _q
from pgha.wire.errors import FeatureNotSupported, ObjectNotInPrerequisiteState, UndefinedObject

if TYPE_CHECKING:
    from pgha.storage.translate.stream import SqliteStream


def _p_set_default(s: SqliteStream, node: ast.SetToDefault) -> bool:
    s.write(s.an.default_exprs.get(id(node), "NULL"))
    return True


def _print_value(s: SqliteStream, value: Any) -> None:
    target = s.an.assign_wrap.get(id(value))
    if target is None:
        s.print_node(value)
        return
    src = s.type_of(value)
    s.call("pg_cast", value, str(src[0]), str(target[0]), str(target[1]))


def _print_target(s: SqliteStream, node: Any, verb: str) -> None:
    """``[WITH ...] INSERT INTO|UPDATE|DELETE FROM table [AS alias]``."""
    if node.withClause is not None:
        s.write("WITH ")  # (pglast's WithClause printer leaves the keyword to the statement)
        s.print_node(node.withClause)
        s.write(" ")
    s.write(verb + " ")
    if node.relation.schemaname == "public":
        s.write("main.")  # (SQLite looks in the session's temp schema first)
    s.print_name(node.relation.relname)
    if node.relation.alias is not None:
        s.write(" AS ")
        s.print_name(node.relation.alias.aliasname)


def _p_insert(s: SqliteStream, node: ast.InsertStmt) -> bool:
    extra_cols, extra_vals = s.an.insert_extra.get(id(node), ([], []))
    _print_target(s, node, "INSERT INTO")
    table = s.an.catalog.table(node.relation.relname)
    assert table is not None
    given = [rt.name for rt in node.cols or ()] or [c.name for c in table.columns]
    select = node.selectStmt
    if select is None:
        given = []  # DEFAULT VALUES: every column takes its default
    values = select.valuesLists if isinstance(select, ast.SelectStmt) else None
    if values:
        width = min(len(r) for r in values)
        given = given[:width] if len(given) > width else given
    cols = given + extra_cols
    if cols:
        s.write(" (" + ", ".join(_q(c) for c in cols) + ")")
    if select is None:
        if cols:
            s.write(" VALUES (" + ", ".join(extra_vals) + ")" if extra_vals else " DEFAULT VALUES")
        else:
            s.write(" DEFAULT VALUES")
    elif values:
        s.write(" VALUES ")
        for i, row in enumerate(values):
            if i:
                s.write(", ")
            s.write("(")
            for j, v in enumerate(row[: len(given)]):
                if j:
                    s.write(", ")
                if isinstance(v, ast.SetToDefault):
                    col = table.column(given[j])
                    s.write(s.an.default_sql(table, col) if col and col.default else "NULL")
                else:
                    _print_value(s, v)
            for v in extra_vals:
                s.write(", " + v)
            s.write(")")
    else:
        if extra_vals:
            s.write(" SELECT *, " + ", ".join(extra_vals) + " FROM (")
            s.print_node(select)
            s.write(")")
        else:
            s.write(" ")
            s.print_node(select)
            # SQLite needs a WHERE before ON CONFLICT when inserting from a SELECT.
            if node.onConflictClause is not None:
                s.write(" WHERE true")
    if node.onConflictClause is not None:
        _print_on_conflict(s, node.onConflictClause, table)
    _print_returning(s, node.returningClause, node.relation)
    return True


def _print_on_conflict(s: SqliteStream, occ: ast.OnConflictClause, table: Table) -> None:
    s.write(" ON CONFLICT")
    infer = occ.infer
    deferrable = {tuple(c.columns) for c in table.constraints if c.deferrable
                  and c.kind in ("p", "u") and (infer is None or c.name == infer.conname or (
                      [e.name for e in infer.indexElems or ()] == c.columns))}
    if deferrable:  # (PostgreSQL checks every unique index when no arbiter is named)
        raise ObjectNotInPrerequisiteState("ON CONFLICT does not support deferrable unique "
                                           "constraints/exclusion constraints as arbiters")
    if infer is not None:
        if infer.conname:
            con = next((c for c in table.constraints if c.name == infer.conname), None)
            if con is None:
                raise UndefinedObject(
                    f'constraint "{infer.conname}" for table "{table.name}" does not exist'
                )
            s.write(" (" + ", ".join(_q(c) for c in con.columns) + ")")
        elif infer.indexElems:
            s.write(" (" + ", ".join(_q(e.name) for e in infer.indexElems) + ")")
            if infer.whereClause is not None:
                s.write(" WHERE ")
                s.print_node(infer.whereClause)
    if occ.action == enums.OnConflictAction.ONCONFLICT_NOTHING:
        s.write(" DO NOTHING")
        return
    s.write(" DO UPDATE SET ")
    for i, rt in enumerate(occ.targetList):
        if i:
            s.write(", ")
        s.print_name(rt.name)
        s.write(" = ")
        _print_value(s, rt.val)
    if occ.whereClause is not None:
        s.write(" WHERE ")
        s.print_node(occ.whereClause)


def _print_returning(s: SqliteStream, clause: Any, relation: ast.RangeVar) -> None:
    exprs = getattr(clause, "exprs", clause)
    if not exprs:
        return
    # SQLite's RETURNING only knows the target's bare column names: print t.col as col.
    s.returning_target = {relation.relname} | (
        {relation.alias.aliasname} if relation.alias is not None else set())
    try:
        s.write(" RETURNING ")
        for i, rt in enumerate(exprs):
            if i:
                s.write(", ")
            s.print_node(rt.val)
            if rt.name:
                s.write(" AS ")
                s.print_name(rt.name)
    finally:
        s.returning_target = set()


def _p_column_ref(s: SqliteStream, node: ast.ColumnRef) -> bool:
    sql = s.an.column_ref_sql(node)
    if sql is not None:
        s.write(sql)
        return True
    fields = node.fields
    if id(node) in s.an.renamed_refs:
        s.write(s.an.renamed_refs[id(node)])
        return True
    if id(node) in s.an.whole_rows:
        raise FeatureNotSupported(
            "a whole-row reference is supported as the argument of "
            "row_to_json, to_json(b) and json(b)_agg only", position=_pos(node))
    if (s.returning_target and len(fields) == 2 and isinstance(fields[0], ast.String)
            and fields[0].sval in s.returning_target):
        last = fields[1]
        if isinstance(last, ast.A_Star):
            s.write("*")
        else:
            s.print_name(last.sval)
        return True
    return False


def _p_update(s: SqliteStream, node: ast.UpdateStmt) -> bool:
    _print_target(s, node, "UPDATE")
    s.write(" SET ")
    done: set[str] = set()
    for i, rt in enumerate(node.targetList):
        if rt.name in done:
            continue
        if i:
            s.write(", ")
        s.print_name(rt.name)
        s.write(" = ")
        if rt.indirection:
            if id(rt) in s.an.array_assignments:
                s.call("pg_array_set", _q(rt.name), rt.indirection[0].uidx, rt.val)
            else:
                _print_subscript_assignments(s, [t for t in node.targetList
                                                 if t.name == rt.name])
                done.add(rt.name)
            continue
        _print_value(s, rt.val)
    if node.fromClause:
        s.write(" FROM ")
        for i, item in enumerate(node.fromClause):
            if i:
                s.write(", ")
            s.print_node(item)
    if node.whereClause is not None:
        s.write(" WHERE ")
        s.print_node(node.whereClause)
    _print_returning(s, node.returningClause, node.relation)
    return True


def _print_subscript_assignments(s: SqliteStream, targets: list[ast.ResTarget]) -> None:
    """``SET doc['a'] = x, doc['b'] = y``: each assignment applies to the result of the one
    before it, as PostgreSQL does for several subscripts of one column."""
    for _ in targets:
        s.write("pg_jsonb_assign(")
    s.print_name(targets[0].name)
    for rt in targets:
        s.write(", ")
        s.print_node(rt.val)
        for ind in rt.indirection:
            s.write(", ")
            s.print_node(ind.uidx)
        s.write(")")


def _p_delete(s: SqliteStream, node: ast.DeleteStmt) -> bool:
    _print_target(s, node, "DELETE FROM")
    if node.usingClause:
        # SQLite has no DELETE ... USING: delete the target rows the join selects, by rowid.
        target = node.relation.alias.aliasname if node.relation.alias else node.relation.relname
        s.write(f" WHERE rowid IN (SELECT {_q(target)}.rowid FROM ")
        s.print_name(node.relation.relname)
        s.write(" AS " + _q(target))
        for item in node.usingClause:
            s.write(", ")
            s.print_node(item)
        if node.whereClause is not None:
            s.write(" WHERE ")
            s.print_node(node.whereClause)
        s.write(")")
    elif node.whereClause is not None:
        s.write(" WHERE ")
        s.print_node(node.whereClause)
    _print_returning(s, node.returningClause, node.relation)
    return True


def _p_cte(s: SqliteStream, node: ast.CommonTableExpr) -> bool:
    """A data-modifying CTE reads the rows its step kept (see ``WriteStep``)."""
    step = s.an.write_ctes.get(id(node))
    if step is None:
        return False
    table, names = step
    s.print_name(node.ctename)
    if names:
        s.write(f" ({', '.join(_q(n) for n in names)}) AS (SELECT ")
        s.write(f"{', '.join(f'c{i}' for i in range(len(names)))} FROM temp.{table}")
    else:
        s.write(" AS (")
        s.write("SELECT NULL WHERE false")
    s.write(")")
    return True
