"""The row a constraint violation failed on, for the DETAIL PostgreSQL gives it.

SQLite says which constraint a statement violated but not on which row: "UNIQUE constraint
failed: t.email", nothing of the key. PostgreSQL says ``Key (email)=(a@x) already exists.``,
``Failing row contains (1, null).``, ``Key (p)=(42) is not present in table "par".`` or
``Key (id)=(1) is still referenced from table "child".``, and ORMs show it.

So when a write statement fails on a constraint, it is run once more, inside a savepoint, with
temporary triggers on its table that hand each row it inserts, updates or deletes to Python
before SQLite checks it. NOT NULL, CHECK and UNIQUE are checked per row after the BEFORE
triggers, so the last row handed over is the failing one; foreign keys are checked at the end
of the statement, so every row is handed over and the first one whose key is missing (or, for
a deleted or updated parent, still referenced) is the one PostgreSQL reports. The savepoint is
rolled back (and with it what change capture recorded), the triggers dropped.

This costs nothing unless a statement fails. A statement whose values are volatile
(``random()``, ``clock_timestamp()``) may fail on another row the second time; its DETAIL then
names that row. The savepoint undoes what the second run's ``nextval`` calls wrote; the caller
restores what they told the session (currval).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import apsw

from pgha.storage import namespaces
from pgha.storage import types as pgtypes
from pgha.storage.catalog import Catalog, Column, Table
from pgha.storage.changes import ChangeCapture
from pgha.wire.errors import (
    CheckViolation,
    ForeignKeyViolation,
    NotNullViolation,
    PgError,
    UniqueViolation,
)

_FUNCTION = "__pgha_failing_row"
_TRIGGER = "__pgha_failing_row"


# A foreign key needs every row the statement touched; past this many the DETAIL is left out
# rather than memory spent on a huge failing statement.
MAX_ROWS = 100_000
# Past this many rows the second run stops (no DETAIL): it would cost as much as the first.
MAX_RUN_ROWS = 1_000_000


class _TooManyRows(Exception):
    """Raised by the trigger function to end a second run that grew too long."""


@dataclass(slots=True)
class _Rows:
    """What the triggers handed over: per row, the operation, its old and its new values (all
    of them for a foreign key, else the last one)."""

    seen: list[tuple[str, tuple[Any, ...], tuple[Any, ...]]] = field(default_factory=list)
    width: int = 0
    keep_all: bool = False
    overflow: bool = False
    count: int = 0

    def take(self, op: str, *values: Any) -> None:
        self.count += 1
        if self.count > MAX_RUN_ROWS:
            raise _TooManyRows
        w = self.width
        if op == "I":
            row = (op, (), values[:w])
        elif op == "U":
            row = (op, values[:w], values[w:])
        else:
            row = (op, values[:w], ())
        if not self.keep_all:
            self.seen[:] = [row]
        elif len(self.seen) < MAX_ROWS:
            self.seen.append(row)
        else:
            self.overflow = True


def explain(conn: apsw.Connection, capture: ChangeCapture | None, catalog: Catalog,
            rel: Table, sql: str, params: list[Any], error: PgError, tz: str) -> PgError:
    """``error`` with PostgreSQL's DETAIL (and, for a foreign key, its message and fields),
    found by running ``sql`` again as the module's docstring says; ``error`` with its schema
    field when that cannot be done. Call it inside the transaction the statement failed in."""
    error = _found(conn, capture, catalog, rel, sql, params, error, tz)
    if error.schema is None and error.table is not None:
        table = catalog.table(rel.name) if catalog.relname(rel.name) == error.table else None
        owner = table or next((t for t in catalog.tables()
                               if catalog.relname(t.name) == error.table), None)
        if owner is not None:
            error.schema = namespaces.split(owner.name, catalog.schemas)[0]
    return error


def _found(conn: apsw.Connection, capture: ChangeCapture | None, catalog: Catalog,
           rel: Table, sql: str, params: list[Any], error: PgError, tz: str) -> PgError:
    if not conn.in_transaction or rel.name.startswith("pg_"):
        return error
    rows = _Rows(width=len(rel.columns), keep_all=isinstance(error, ForeignKeyViolation))
    try:
        _run_again(conn, capture, rel, sql, params, rows)
    except (apsw.Error, _TooManyRows):
        return error
    if not rows.seen or rows.overflow:
        return error
    if isinstance(error, UniqueViolation):
        return _unique(error, rel, rows, tz)
    if isinstance(error, NotNullViolation | CheckViolation):
        _, _, new = rows.seen[-1]
        return type(error)(error.message, table=error.table, column=error.column,
                           constraint=error.constraint,
                           detail=f"Failing row contains ({_row_text(rel.columns, new, tz)}).")
    if isinstance(error, ForeignKeyViolation):
        return _foreign_key(conn, catalog, rel, rows, tz) or error
    return error


def _run_again(conn: apsw.Connection, capture: ChangeCapture | None, rel: Table, sql: str,
               params: list[Any], rows: _Rows) -> None:
    conn.create_scalar_function(_FUNCTION, rows.take, -1)
    table = f'main."{rel.name}"'
    new = ", ".join(f'NEW."{c.name}"' for c in rel.columns)
    old = ", ".join(f'OLD."{c.name}"' for c in rel.columns)
    mark = capture.mark() if capture is not None else None
    conn.execute("SAVEPOINT __pgha_failing_row")
    try:
        conn.execute(
            f"CREATE TEMP TRIGGER {_TRIGGER}_i BEFORE INSERT ON {table} "
            f"BEGIN SELECT {_FUNCTION}('I', {new}); END;"
            f"CREATE TEMP TRIGGER {_TRIGGER}_u BEFORE UPDATE ON {table} "
            f"BEGIN SELECT {_FUNCTION}('U', {old}, {new}); END;"
            f"CREATE TEMP TRIGGER {_TRIGGER}_d BEFORE DELETE ON {table} "
            f"BEGIN SELECT {_FUNCTION}('D', {old}); END;")
        try:
            for _ in conn.execute(sql, params):  # (RETURNING rows come one step at a time)
                pass
        except apsw.ConstraintError:
            pass  # as expected: the rows up to the failing one were handed over
    finally:
        conn.execute("ROLLBACK TO __pgha_failing_row; RELEASE __pgha_failing_row")
        if capture is not None and mark is not None:
            capture.rollback_to(mark)
        for suffix in ("i", "u", "d"):  # (temporary objects outlive the rolled-back savepoint
            conn.execute(f"DROP TRIGGER IF EXISTS temp.{_TRIGGER}_{suffix}")  # only if kept)


def _unique(error: UniqueViolation, rel: Table, rows: _Rows, tz: str) -> PgError:
    index = next((i for i in rel.indexes if i.unique and not i.expressions and
                  (i.constraint or i.name) == error.constraint), None)
    _, _, new = rows.seen[-1]
    if index is None or not new:
        return error
    by_name = {c.name: (c, v) for c, v in zip(rel.columns, new, strict=True)}
    if any(name not in by_name for name in index.columns):
        return error
    values = ", ".join(_value_text(*by_name[name], tz) for name in index.columns)
    return UniqueViolation(error.message, table=error.table, constraint=error.constraint,
                           detail=f"Key ({', '.join(index.columns)})=({values}) already exists.")


def _foreign_key(conn: apsw.Connection, catalog: Catalog, rel: Table, rows: _Rows,
                 tz: str) -> PgError | None:
    name = catalog.relname(rel.name)
    positions = {c.name: i for i, c in enumerate(rel.columns)}
    columns = {c.name: c for c in rel.columns}
    # A new or changed row whose key has no parent (this table's foreign keys)...
    for op, old, new in rows.seen:
        if not new:
            continue
        for con in rel.constraints:
            if con.kind != "f" or con.ref_table is None:
                continue
            key = tuple(new[positions[c]] for c in con.columns)
            if None in key or (op == "U" and key == tuple(old[positions[c]]
                                                         for c in con.columns)):
                continue
            parent = catalog.table(con.ref_table)
            if parent is None or _exists(conn, parent.name, con.ref_columns, key):
                continue
            values = ", ".join(_value_text(columns[c], v, tz) for c, v in zip(con.columns, key,
                                                                               strict=True))
            return ForeignKeyViolation(
                f'insert or update on table "{name}" violates foreign key constraint '
                f'"{con.name}"', table=name, constraint=con.name,
                detail=f'Key ({", ".join(con.columns)})=({values}) is not present in table '
                       f'"{catalog.relname(con.ref_table)}".')
    # ...or an old row still referenced (the foreign keys of other tables that point here)
    referencing = [(t, c) for t in catalog.tables() for c in t.constraints
                   if c.kind == "f" and c.ref_table == rel.name]
    for op, old, new in rows.seen:
        if not old:
            continue
        for child, con in referencing:
            key = tuple(old[positions[c]] for c in con.ref_columns)
            if None in key:
                continue
            if op == "U":
                if key == tuple(new[positions[c]] for c in con.ref_columns) or \
                        con.on_update not in ("a", "r"):
                    continue
            elif con.on_delete not in ("a", "r"):
                continue
            if not _exists(conn, child.name, con.columns, key):
                continue
            other = catalog.relname(child.name)
            values = ", ".join(_value_text(columns[c], v, tz)
                               for c, v in zip(con.ref_columns, key, strict=True))
            return ForeignKeyViolation(
                f'update or delete on table "{name}" violates foreign key constraint '
                f'"{con.name}" on table "{other}"', table=other, constraint=con.name,
                detail=f'Key ({", ".join(con.ref_columns)})=({values}) is still referenced '
                       f'from table "{other}".')
    return None


def _exists(conn: apsw.Connection, table: str, columns: list[str], key: tuple[Any, ...]
            ) -> bool:
    where = " AND ".join(f'"{c}" = ?' for c in columns)
    return conn.execute(f'SELECT 1 FROM main."{table}" WHERE {where} LIMIT 1',
                        key).fetchone() is not None


def _row_text(columns: list[Column], values: tuple[Any, ...], tz: str) -> str:
    return ", ".join(_value_text(c, v, tz) for c, v in zip(columns, values, strict=True))


def _value_text(column: Column, value: Any, tz: str) -> str:
    if value is None:
        return "null"
    pgtype = pgtypes.TYPES_BY_OID.get(column.type_oid)
    if pgtype is None:
        return str(value)
    try:
        return pgtypes.format_text(pgtype, value, column.typmod, tz)
    except Exception:  # a value SQLite holds in another form than pgha writes
        return str(value)
