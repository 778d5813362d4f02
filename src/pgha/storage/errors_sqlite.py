"""SQLite's errors (apsw exceptions) as the PostgreSQL errors a client expects: constraint
violations with their SQLSTATE, constraint and table (and, where the statement tells, the
key's DETAIL), interrupts as cancels, busy as lock timeouts or serialization failures, and the
few SQLite messages that have a PostgreSQL counterpart.

An interrupt is a cancel, a statement timeout or an inline read running out of its step budget;
which one is known only by who raised it: the inline budget's progress handler marks its
interrupts (``over_budget``), per thread, so ``map_error`` can tell them apart.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

import apsw
from pglast import ast

from pgha.storage import types as pgtypes
from pgha.storage.catalog import Catalog, Table
from pgha.wire.errors import (
    CheckViolation,
    FeatureNotSupported,
    ForeignKeyViolation,
    IntegrityConstraintViolation,
    InternalError,
    LockNotAvailable,
    NotNullViolation,
    PgError,
    ProgramLimitExceeded,
    QueryCanceled,
    SerializationFailure,
    UndefinedColumn,
    UndefinedFunction,
    UndefinedTable,
    UniqueViolation,
)

log = logging.getLogger("pgha.storage")

# SQLite error texts that correspond to a PostgreSQL error (fragment, SQLSTATE, message; None:
# built from what follows the fragment).
SQLITE_MESSAGES = (
    ("ambiguous column name", "42702", None),
    ("ON CONFLICT clause does not match", "42P10",
     "there is no unique or exclusion constraint matching the ON CONFLICT specification"),
    ("misuse of window function", "42P20", "window functions are not allowed here"),
    ("misuse of aggregate", "42803", "aggregate functions are not allowed here"),
)

# The DETAIL of the 57014 an inline read gets when it runs out of budget (see
# ``StorageSession.execute_inline``).
INLINE_BUDGET_DETAIL = "pgha: inline read budget exceeded"


class _BudgetFlag(threading.local):
    active = False


_budget_exceeded = _BudgetFlag()


def over_budget() -> bool:
    """The progress handler of an inline read: its interrupt is the budget's."""
    _budget_exceeded.active = True
    return True  # interrupt the statement


# SQLite's extended result codes of constraint failures -> SQLSTATE.
CONSTRAINT_CODES = {
    2067: "23505", 1555: "23505", 1299: "23502", 275: "23514", 787: "23503", 531: "23505",
}


def map_error(exc: apsw.Error, catalog: Catalog, cancel_reason: str = "user request"
              ) -> PgError:
    """Turn an SQLite error into the PostgreSQL error a client expects."""
    if isinstance(exc, PgError):
        return exc
    message = str(exc.args[0]) if exc.args else str(exc)
    message = message.split(": ", 1)[1] if message.startswith(("ConstraintError", "SQLError")
                                                               ) and ": " in message else message
    code = getattr(exc, "extendedresult", 0)
    if isinstance(exc, apsw.ConstraintError):
        return _constraint_error(code, message, catalog)
    if isinstance(exc, apsw.InterruptError):
        if _budget_exceeded.active:
            _budget_exceeded.active = False
            return QueryCanceled("inline budget exceeded", detail=INLINE_BUDGET_DETAIL)
        return QueryCanceled(f"canceling statement due to {cancel_reason}")
    if isinstance(exc, apsw.BusyError):
        if code == 517:  # SQLITE_BUSY_SNAPSHOT
            return SerializationFailure("could not serialize access due to concurrent update")
        return LockNotAvailable("canceling statement due to lock timeout")
    if isinstance(exc, apsw.TooBigError):
        return ProgramLimitExceeded("value too large")
    if isinstance(exc, apsw.SQLError):
        for fragment, sqlstate, text in SQLITE_MESSAGES:
            if fragment in message:
                if text is None:  # ambiguous column name: x
                    text = f'column reference "{message.rsplit(":", 1)[-1].strip()}" is ' \
                        "ambiguous"
                return PgError(sqlstate, text)
        if "no such table" in message:
            name = message.rsplit(":", 1)[-1].strip()
            return UndefinedTable(f'relation "{name}" does not exist')
        if "no such column" in message:
            name = message.rsplit(":", 1)[-1].strip()
            return UndefinedColumn(f"column {name} does not exist")
        if "no such function" in message:
            return UndefinedFunction(f"function {message.rsplit(':', 1)[-1].strip()} does not "
                                     "exist")
        # SQLite's own words stay in the server's log: a client gets PostgreSQL's kind of
        # error, and the operator can tell which statement needs a translation.
        log.warning("the engine refused a statement: %s", message)
        return FeatureNotSupported("statement not supported by pgha's engine",
                                   hint="The server log has the engine's reason.")
    log.error("engine error (%s): %s", type(exc).__name__, message)
    return InternalError("internal error in pgha's engine",
                         hint="The server log has the engine's reason.")


def _constraint_error(code: int, message: str, catalog: Catalog) -> PgError:
    detail = message.split("failed: ", 1)[-1] if "failed: " in message else ""
    sqlstate = CONSTRAINT_CODES.get(code, "23000")
    if sqlstate == "23502":
        key, _, column = detail.rpartition(".")  # (a key may hold a dot: "schema.table")
        table = catalog.relname(key)
        return NotNullViolation(f'null value in column "{column}" of relation "{table}" violates '
                                "not-null constraint", table=table, column=column)
    if sqlstate == "23505" and detail.startswith("index '"):  # an expression index
        name = detail[len("index '"):].rstrip("'")
        owner = catalog.index_owner.get(name)
        name = catalog.relname(name)
        return UniqueViolation(f'duplicate key value violates unique constraint "{name}"',
                               table=catalog.relname(owner.name) if owner else None,
                               constraint=name)
    if sqlstate == "23505":
        cols = [c.strip() for c in detail.split(",")]
        table = cols[0].rsplit(".", 1)[0] if cols and "." in cols[0] else ""
        names = [c.rsplit(".", 1)[-1] for c in cols]
        rel = catalog.table(table)
        table = catalog.relname(table)
        con_name = ""
        if rel is not None:
            for idx in rel.indexes:
                if idx.unique and idx.columns == names:
                    con_name = idx.constraint or idx.name
        if not con_name and detail and "." not in detail:
            con_name = detail
        return UniqueViolation(f'duplicate key value violates unique constraint "{con_name}"',
                               table=table or None, constraint=con_name or None)
    if sqlstate == "23514":
        name = detail
        table = ""
        for rel in catalog.tables():
            if any(c.name == name for c in rel.constraints):
                table = catalog.relname(rel.name)
        return CheckViolation(f'new row for relation "{table}" violates check constraint '
                              f'"{name}"', table=table or None, constraint=name or None)
    if sqlstate == "23503" or "FOREIGN KEY" in message:
        return ForeignKeyViolation(
            "insert, update or delete violates a foreign key constraint",
            detail="A referenced row is missing, or a row being deleted or updated "
            "is still referenced.")
    log.warning("unrecognised constraint failure: %s", message)
    return IntegrityConstraintViolation("integrity constraint violated")


def explain_violation(error: PgError, node: Any, params: list[Any], catalog: Catalog,
                       tz: str) -> PgError:
    """Add what PostgreSQL says of a unique or foreign-key violation where the statement tells
    it: the key of a one-row INSERT ... VALUES (DETAIL "Key (id)=(1) already exists."), the
    constraint and table of a foreign key (the one the statement's table has or is
    referenced by)."""
    target = getattr(getattr(node, "relation", None), "relname", None)
    rel = catalog.table(target) if target else None
    if rel is None:
        return error
    if isinstance(error, UniqueViolation):
        key = next((list(i.columns) for i in rel.indexes
                    if i.unique and (i.constraint or i.name) == error.constraint), None)
        values = _inserted(node, rel, key, params, tz) if key else None
        if key is None or values is None:
            return error
        return UniqueViolation(
            error.message, table=error.table, constraint=error.constraint,
            detail=f"Key ({', '.join(key)})=({', '.join(values)}) already exists.")
    if isinstance(node, ast.InsertStmt | ast.UpdateStmt):
        own = [c for c in rel.constraints if c.kind == "f"]
        if len(own) == 1:
            con = own[0]
            values = _inserted(node, rel, con.columns, params, tz)
            name, ref = catalog.relname(rel.name), catalog.relname(con.ref_table or "")
            return ForeignKeyViolation(
                f'insert or update on table "{name}" violates foreign key '
                f'constraint "{con.name}"', table=name, constraint=con.name,
                detail=None if values is None else f'Key ({", ".join(con.columns)})='
                f'({", ".join(values)}) is not present in table "{ref}".')
    if isinstance(node, ast.DeleteStmt | ast.UpdateStmt):
        referencing = [(t, c) for t in catalog.tables() for c in t.constraints
                       if c.kind == "f" and c.ref_table == rel.name]
        if len(referencing) == 1:
            child, con = referencing[0]
            name, other = catalog.relname(rel.name), catalog.relname(child.name)
            return ForeignKeyViolation(f'update or delete on table "{name}" violates foreign '
                                       f'key constraint "{con.name}" on table "{other}"',
                                       table=other, constraint=con.name)
    return error


def _inserted(node: Any, rel: Table, columns: list[str], params: list[Any],
              tz: str) -> list[str] | None:
    """The values a one-row INSERT ... VALUES gives ``columns``, as PostgreSQL prints them
    in an error's DETAIL; None when the statement does not say (several rows, a SELECT,
    defaults, expressions)."""
    if not isinstance(node, ast.InsertStmt) or node.onConflictClause:
        return None
    rows = getattr(node.selectStmt, "valuesLists", None)
    if not rows or len(rows) != 1:
        return None
    names = [t.name for t in node.cols] if node.cols else [c.name for c in rel.columns]
    given = dict(zip(names, rows[0], strict=False))
    values = []
    for name in columns:
        expr, column = given.get(name), rel.column(name)
        if column is None:
            return None
        if isinstance(expr, ast.TypeCast):
            expr = expr.arg
        if isinstance(expr, ast.ParamRef) and 0 < expr.number <= len(params):
            value = params[expr.number - 1]
            pgtype = pgtypes.TYPES_BY_OID.get(column.type_oid)
            if value is None or pgtype is None:
                return None
            values.append(pgtypes.format_text(pgtype, value, column.typmod, tz))
        elif isinstance(expr, ast.A_Const) and not expr.isnull:
            values.append(str(getattr(expr.val, "sval", None) or getattr(expr.val, "fval", None)
                              or getattr(expr.val, "ival", "")))
        else:
            return None
    return values
