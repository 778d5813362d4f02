"""Temporary tables: ``CREATE TEMP TABLE``, seen by the session that made it, gone with it.

Rows live in SQLite's ``temp`` schema, which belongs to one connection (one session): other
sessions cannot see them, change capture ignores them (nothing reaches the log, so nothing
reaches a standby), and closing the connection drops them. Their metadata lives here, in the
session, never in ``__pgha_relations``; their OIDs come from a range of their own so they never
take one a permanent relation will want.

The session's catalog is the shared one with the temporary relations laid over it
(``overlay``): a temporary table hides a permanent one of the same name, as ``pg_temp`` comes
first in PostgreSQL's search_path, and SQLite resolves an unqualified name in ``temp`` first too.

Invariants: DDL on temporary tables is transactional like any other (``begin_change`` keeps the
state a ROLLBACK or ROLLBACK TO SAVEPOINT returns to); ON COMMIT DELETE ROWS / DROP act in the
committing transaction (PostgreSQL 15 docs, CREATE TABLE, "ON COMMIT"). A temporary table
references only temporary tables. Serial and identity columns (which need a sequence) and
temporary sequences and views are not supported.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence as SequenceOf
from typing import Any

from pglast import ast, enums

from pgha.storage import catalog as cat
from pgha.storage.catalog import FIRST_TEMP_OID, Catalog, Constraint, Sequence, Table
from pgha.storage.columns import ResultColumn
from pgha.storage.ddl import DDL, q
from pgha.wire.errors import FeatureNotSupported, InvalidTableDefinition

A = enums.OnCommitAction
ON_COMMIT = {A.ONCOMMIT_DELETE_ROWS: "delete", A.ONCOMMIT_DROP: "drop"}


class TempTables:
    """One session's temporary relations (by OID) and their ON COMMIT actions."""

    def __init__(self) -> None:
        self.relations: dict[int, cat.Relation] = {}
        self.on_commit: dict[int, str] = {}  # oid -> "delete" | "drop"
        self.next_oid = FIRST_TEMP_OID
        self._saved: tuple[dict[int, cat.Relation], dict[int, str]] | None = None
        self._marks: list[tuple[dict[int, cat.Relation], dict[int, str]]] = []
        self._overlay: tuple[Catalog, Catalog] | None = None  # (base, overlay)
        self._generation = -1000  # the overlay's: below every generation the engine uses

    def __bool__(self) -> bool:
        return bool(self.relations)

    def names(self) -> set[str]:
        names = {r.name for r in self.relations.values()}
        names.update(i.name for r in self.relations.values() if isinstance(r, Table)
                     for i in r.indexes)
        return names

    def table(self, name: str) -> Table | None:
        return next((r for r in self.relations.values()
                     if isinstance(r, Table) and r.name == name), None)

    def catalog(self) -> Catalog:
        """The temporary relations alone (what their DDL works on), as copies."""
        return Catalog([_copy(r) for r in self.relations.values()], self._generation)

    def overlay(self, base: Catalog) -> Catalog:
        if self._overlay is None or self._overlay[0] is not base:
            self._generation -= 1
            relations = list(base.by_name.values()) + list(self.relations.values())
            overlay = Catalog(relations, self._generation, base.schemas)
            overlay.shadowed = {r.name: base.by_name[r.name] for r in self.relations.values()
                                if r.name in base.by_name}
            self._overlay = (base, overlay)
        return self._overlay[1]

    # -- transactions --------------------------------------------------------------------

    def _snapshot(self) -> tuple[dict[int, cat.Relation], dict[int, str]]:
        return {k: _copy(v) for k, v in self.relations.items()}, dict(self.on_commit)

    def begin_change(self, in_transaction: bool) -> None:
        """Before DDL changes the temporary relations."""
        if in_transaction and self._saved is None:
            self._saved = self._snapshot()

    def changed(self) -> None:
        self._overlay = None

    def savepoint(self) -> None:
        self._marks.append(self._snapshot())

    def release(self, index: int) -> None:
        del self._marks[index:]

    def rollback_to(self, index: int) -> None:
        self.relations, self.on_commit = self._marks[index]
        self._marks[index] = self._snapshot()
        del self._marks[index + 1:]
        self.changed()

    def end(self, committed: bool) -> None:
        if not committed and self._saved is not None:
            self.relations, self.on_commit = self._saved
            self.changed()
        self._saved = None
        self._marks.clear()

    def commit_actions(self, conn: Any) -> None:
        """ON COMMIT DELETE ROWS / DROP, in the transaction that commits."""
        for oid, action in list(self.on_commit.items()):
            rel = self.relations.get(oid)
            if rel is None:
                del self.on_commit[oid]
            elif action == "delete":
                conn.execute(f"DELETE FROM temp.{q(rel.name)}")
            else:
                conn.execute(f"DROP TABLE temp.{q(rel.name)}")
                del self.relations[oid], self.on_commit[oid]
                self.changed()

    def drop_all(self, conn: Any) -> None:
        """DISCARD TEMP / DISCARD ALL (outside a transaction block)."""
        for rel in self.relations.values():
            conn.execute(f"DROP TABLE IF EXISTS temp.{q(rel.name)}")
        self.relations.clear()
        self.on_commit.clear()
        self.changed()

    # -- which DDL is about temporary tables ---------------------------------------------

    def targets(self, node: Any) -> bool:
        """Whether a DDL statement is about temporary tables (run by ``TempDDL``); raises
        for what mixes both kinds or is not supported."""
        if isinstance(node, ast.CreateStmt):
            temp = is_temp(node.relation)
            if not temp and node.oncommit in ON_COMMIT:
                raise InvalidTableDefinition("ON COMMIT can only be used on temporary tables")
            return temp
        if isinstance(node, ast.CreateTableAsStmt):
            temp = is_temp(node.into.rel)
            if not temp and node.into.onCommit in ON_COMMIT:
                raise InvalidTableDefinition("ON COMMIT can only be used on temporary tables")
            return temp
        if isinstance(node, ast.CreateSeqStmt | ast.ViewStmt):
            rv = node.sequence if isinstance(node, ast.CreateSeqStmt) else node.view
            if is_temp(rv):
                raise FeatureNotSupported("temporary sequences and views are not supported")
            return False
        names: list[str] = []
        self._refuse_hidden(node)
        if isinstance(node, ast.DropStmt):
            kinds = (enums.ObjectType.OBJECT_TABLE, enums.ObjectType.OBJECT_INDEX)
            if node.removeType not in kinds:
                return False
            for obj in node.objects:
                parts = [n.sval for n in obj]
                if len(parts) > 1 and parts[0] == "pg_temp":
                    names.append(parts[-1])
                elif len(parts) == 1:
                    names.append(parts[0])
                else:
                    return False
        elif isinstance(node, ast.IndexStmt | ast.AlterTableStmt | ast.RenameStmt):
            rv = node.relation
            if rv is None:
                return False
            names = [rv.relname] if rv.schemaname in (None, "pg_temp") else []
        elif isinstance(node, ast.TruncateStmt):
            names = [rv.relname for rv in node.relations]
        temp = [n in self.names() for n in names]
        if any(temp) and not all(temp):
            raise FeatureNotSupported("one statement on temporary and permanent tables together "
                                      "is not supported")
        return bool(temp) and all(temp)


    def _refuse_hidden(self, node: Any) -> None:
        """pgha's DDL names tables unqualified, which SQLite resolves to the temporary one
        first: DDL on a permanent table (public.x) that a temporary x hides is refused."""
        if not self.relations:
            return
        named: list[tuple[str | None, str]] = []
        if isinstance(node, ast.DropStmt):
            named = [(None if len(o) == 1 else o[0].sval, o[-1].sval) for o in node.objects
                     if all(isinstance(p, ast.String) for p in o)]
        elif isinstance(node, ast.IndexStmt | ast.AlterTableStmt | ast.RenameStmt) and \
                node.relation is not None:
            named = [(node.relation.schemaname, node.relation.relname)]
        elif isinstance(node, ast.TruncateStmt):
            named = [(rv.schemaname, rv.relname) for rv in node.relations]
        temp = self.names()
        if any(schema == "public" and name in temp for schema, name in named):
            raise FeatureNotSupported("DDL on a permanent table hidden by a temporary table of "
                                      "the same name is not supported")


def is_temp(rv: ast.RangeVar) -> bool:
    return rv.relpersistence == "t" or rv.schemaname == "pg_temp"


def _copy(rel: cat.Relation) -> cat.Relation:
    return copy.deepcopy(rel)


class TempDDL(DDL):
    """pgha's DDL for temporary tables: SQLite tables in ``temp``, metadata in the session."""

    def __init__(self, conn: Any, temp: TempTables, base: Catalog, system: Any,
                 notices: list[Any]) -> None:
        super().__init__(conn, temp.catalog(), system, notices)
        self.temp = temp
        self.base = base

    def exists(self, name: str) -> bool:
        return name in self.temp.names() or name in self.catalog.relation_names()

    def save(self, rel: cat.Relation) -> None:
        self.temp.relations[rel.oid] = rel
        self.temp.changed()

    def forget(self, rel: cat.Relation) -> None:
        self.temp.relations.pop(rel.oid, None)
        self.temp.on_commit.pop(rel.oid, None)
        self.temp.changed()

    def new_oid(self) -> int:
        self.temp.next_oid += 1
        return self.temp.next_oid - 1

    def sqlite_table_ddl(self, table: Table, name: str | None = None) -> str:
        sql = super().sqlite_table_ddl(table, name)
        return "CREATE TEMP TABLE " + sql.removeprefix("CREATE TABLE ")

    def create_owned_sequence(self, table: Table, col: Any) -> Sequence:
        raise FeatureNotSupported("serial and identity columns of temporary tables are not "
                                  "supported")

    def constraint_from(self, table: Table, con: ast.Constraint, column: str | None
                        ) -> Constraint:
        if con.contype == enums.ConstrType.CONSTR_FOREIGN:
            ref = con.pktable.relname
            if ref != table.name and self.catalog.table(ref) is None and \
                    self.base.table(ref) is not None:
                raise InvalidTableDefinition("constraints on temporary tables may reference only "
                                             "temporary tables")
        return super().constraint_from(table, con, column)

    def create_table(self, node: ast.CreateStmt) -> str:
        rv = node.relation
        if rv.schemaname == "pg_temp":
            rv.schemaname = None
        rv.relpersistence = "p"  # (DDL.create_table refuses "t": it makes permanent ones)
        tag = super().create_table(node)
        action = ON_COMMIT.get(node.oncommit)
        table = self.temp.table(rv.relname)
        if action is not None and table is not None:
            self.temp.on_commit[table.oid] = action
        return tag

    def drop(self, node: ast.DropStmt) -> str:
        node.objects = [obj[-1:] for obj in node.objects]  # (pg_temp.x is x here)
        return super().drop(node)

    def create_table_as(self, node: ast.CreateTableAsStmt,
                        columns: SequenceOf[ResultColumn]) -> Table | None:
        table = super().create_table_as(node, columns)
        action = ON_COMMIT.get(node.into.onCommit)
        if action is not None and table is not None:
            self.temp.on_commit[table.oid] = action
        return table
