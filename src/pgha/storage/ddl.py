"""PostgreSQL DDL executed by pgha: metadata first, then the SQLite schema generated from it.

SQLite's own DDL is never given PostgreSQL text. A table's SQLite definition is always derived
from its ``Table`` metadata (``sqlite_table_ddl``), so any ALTER that SQLite cannot express is
done by rebuilding the table from the changed metadata (the procedure SQLite documents for
schema changes). PRIMARY KEY and UNIQUE constraints are realised as unique indexes named like
PostgreSQL's constraint indexes, which keeps ALTER TABLE ... ADD PRIMARY KEY cheap.
"""

from __future__ import annotations

from collections.abc import Sequence as SequenceOf
from typing import Any

import apsw
from pglast import ast, enums, parse_sql
from pglast.stream import RawStream
from pglast.visitors import Visitor

from pgha.storage import catalog as cat
from pgha.storage import dependencies, namespaces, privileges
from pgha.storage import oids as T
from pgha.storage import types as pgtypes
from pgha.storage.catalog import Catalog, Column, Constraint, Index, Sequence, Table, View
from pgha.storage.columns import ResultColumn
from pgha.storage.privileges import Grants
from pgha.storage.translate import (
    Analyzer,
    SystemRelations,
    references,
    translate,
    translate_expression,
)
from pgha.wire.errors import (
    CheckViolation,
    DependentObjectsStillExist,
    DuplicateColumn,
    DuplicateObject,
    DuplicateTable,
    FeatureNotSupported,
    ForeignKeyViolation,
    InvalidForeignKey,
    InvalidParameterValue,
    InvalidSchemaName,
    InvalidTableDefinition,
    Notice,
    NotNullViolation,
    ObjectNotInPrerequisiteState,
    PgError,
    SqlSyntaxError,
    UndefinedColumn,
    UndefinedObject,
    UndefinedTable,
    UniqueViolation,
    WrongObjectType,
)

C = enums.ConstrType
SERIALS = {"serial": T.INT4, "serial4": T.INT4, "bigserial": T.INT8, "serial8": T.INT8,
           "smallserial": T.INT2, "serial2": T.INT2}
SEQ_MAX = {T.INT2: 2**15 - 1, T.INT4: 2**31 - 1, T.INT8: 2**63 - 1}


def q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def deparse(node: Any) -> str:
    return str(RawStream()(node))


def duplicate_key(conn: apsw.Connection, table: Table, con: Constraint
                  ) -> tuple[Any, ...] | None:
    """A key that rows of ``table`` share, breaking the deferrable PK/UNIQUE ``con``
    (NULLs are distinct), or None."""
    cols = ", ".join(q(c) for c in con.columns)
    present = " AND ".join(f"{q(c)} IS NOT NULL" for c in con.columns)
    schema = "temp" if table.oid >= cat.FIRST_TEMP_OID else "main"  # (a temporary x hides x)
    row = conn.execute(f"SELECT {cols} FROM {schema}.{q(table.name)} WHERE {present} "
                       f"GROUP BY {cols} "
                       "HAVING count(*) > 1 LIMIT 1").fetchone()
    return None if row is None else tuple(row)


# PostgreSQL's system column names (pgha has only tableoid; the others are refused as
# PostgreSQL refuses them, so that no table can hold a column PostgreSQL could not).
SYSTEM_COLUMNS = frozenset({"tableoid", "ctid", "xmin", "cmin", "xmax", "cmax"})


def _not_system_column(name: str) -> None:
    if name in SYSTEM_COLUMNS:
        raise DuplicateColumn(f'column name "{name}" conflicts with a system column name')


class _ColumnRefs(Visitor):  # type: ignore[misc]
    def __init__(self) -> None:
        self.found: list[ast.ColumnRef] = []

    def visit_ColumnRef(self, ancestors: Any, node: ast.ColumnRef) -> None:
        self.found.append(node)


def _column_refs(text: str) -> tuple[Any, list[ast.ColumnRef]]:
    expr = parse_sql(f"SELECT {text}")[0].stmt.targetList[0].val
    refs = _ColumnRefs()
    refs(expr)
    return expr, refs.found


def index_expression_columns(idx: Index) -> set[str]:
    """The columns an index's expressions and predicate name."""
    texts = [c for i, c in enumerate(idx.columns) if i in idx.expressions]
    texts += [idx.predicate] if idx.predicate is not None else []
    return {ref.fields[-1].sval for text in texts for ref in _column_refs(text)[1]
            if isinstance(ref.fields[-1], ast.String)}


def _index_word(text: str) -> str:
    """What an expression adds to an index's generated name: its function's name, or expr."""
    expr = _column_refs(text)[0]
    return expr.funcname[-1].sval if isinstance(expr, ast.FuncCall) else "expr"


def _rename_column_in(text: str, old: str, new: str) -> str:
    expr, refs = _column_refs(text)
    for ref in refs:
        last = ref.fields[-1]
        if isinstance(last, ast.String) and last.sval == old:
            ref.fields = (*ref.fields[:-1], ast.String(sval=new))
    return deparse(expr)


def _check_replacement(old: list[Column], new: list[Column]) -> None:
    """CREATE OR REPLACE VIEW keeps the view's columns (other views read them), adding at
    most new ones at the end (PostgreSQL's checkViewTupleDesc)."""
    if len(new) < len(old):
        raise InvalidTableDefinition("cannot drop columns from view")
    for was, now in zip(old, new, strict=False):
        if was.name != now.name:
            raise InvalidTableDefinition(
                f'cannot change name of view column "{was.name}" to "{now.name}"',
                hint="Use ALTER VIEW ... RENAME COLUMN ... to change name of view column "
                "instead.")
        if (was.type_oid, was.typmod) != (now.type_oid, now.typmod):
            raise InvalidTableDefinition(
                f'cannot change data type of view column "{was.name}" from '
                f"{pgtypes.format_type(was.type_oid, was.typmod)} to "
                f"{pgtypes.format_type(now.type_oid, now.typmod)}")


def column_decl(type_oid: int) -> str:
    """The SQLite column type of a PostgreSQL type: chosen for its affinity (and collation)."""
    t = pgtypes.TYPES_BY_OID.get(type_oid)
    decl = t.sqlite_decl if t else "TEXT"
    if type_oid in T.INTEGER_TYPES or type_oid == T.BOOL or decl == "INTEGER":
        return "INT"  # never INTEGER, a rowid alias: PostgreSQL rejects NULL keys
    return decl


class DDL:
    """Runs one DDL statement on ``conn`` inside the caller's transaction."""

    def __init__(self, conn: apsw.Connection, catalog: Catalog, system: SystemRelations,
                 notices: list[Notice]) -> None:
        self.conn = conn
        self.catalog = catalog
        self.system = system
        self.notices = notices
        # The acting role's privileges (None: unchecked, as for a session's temporary tables);
        # new relations belong to it.
        self.grants: Grants | None = None
        self.owner = cat.BOOTSTRAP_OID
        # The session's search path: messages name relations it finds by their bare name.
        self.path: tuple[str, ...] = namespaces.DEFAULT_PATH

    # -- helpers ----------------------------------------------------------------------------

    def exists(self, name: str) -> bool:
        return name in self.catalog.relation_names()

    def column_type(self, tn: ast.TypeName) -> tuple[int, int, bool]:
        names = [n.sval for n in tn.names]
        base = names[-1].lower()
        if base in SERIALS and not tn.arrayBounds:
            return SERIALS[base], -1, True
        an = Analyzer(self.catalog, self.system, ())
        oid, typmod = an.type_name(tn)
        return oid, typmod, False

    def sqlite_table_ddl(self, table: Table, name: str | None = None) -> str:
        parts = []
        # SQLite's ON DELETE/UPDATE SET DEFAULT uses its own DEFAULT clause (pgha otherwise
        # computes defaults itself, on INSERT): give it one where an action needs it.
        set_default = {c for con in table.constraints if con.kind == "f"
                       and "d" in (con.on_delete, con.on_update) for c in con.columns}
        for col in table.columns:
            text = f"{q(col.name)} {column_decl(col.type_oid)}"
            if col.not_null:
                text += " NOT NULL"
            if col.name in set_default and col.default is not None:
                text += " DEFAULT " + translate_expression(
                    self.catalog, self.system, col.default, expected=(col.type_oid, col.typmod))
            parts.append(text)
        for con in table.constraints:
            if con.kind == "c":
                expr = translate_expression(self.catalog, self.system, con.expr or "true",
                                            table=table)
                parts.append(f"CONSTRAINT {q(con.name)} CHECK ({expr})")
            elif con.kind == "f":
                actions = {"c": "CASCADE", "n": "SET NULL", "d": "SET DEFAULT", "r": "RESTRICT",
                           "a": "NO ACTION"}
                parts.append(
                    f"CONSTRAINT {q(con.name)} FOREIGN KEY ({', '.join(q(c) for c in con.columns)})"
                    f" REFERENCES {q(con.ref_table or '')} "
                    f"({', '.join(q(c) for c in con.ref_columns)})"
                    f" ON DELETE {actions[con.on_delete]} ON UPDATE {actions[con.on_update]}"
                    + (" DEFERRABLE INITIALLY DEFERRED" if con.deferred else ""))
        return f"CREATE TABLE {q(name or table.name)} ({', '.join(parts)})"

    def create_index_sql(self, table: Table, idx: Index) -> str:
        # A deferrable PK/UNIQUE may hold duplicates until the end of the statement (or the
        # transaction): its index is not unique, the session checks it (see Catalog).
        deferrable = any(c.name == idx.constraint and c.deferrable for c in table.constraints)
        unique = "UNIQUE " if idx.unique and not deferrable else ""
        cols = ", ".join(
            (translate_expression(self.catalog, self.system, c, table=table)
             if i in idx.expressions else q(c)) + (" DESC" if idx.option(i) & 1 else "")
            for i, c in enumerate(idx.columns))
        where = "" if idx.predicate is None else " WHERE " + translate_expression(
            self.catalog, self.system, idx.predicate, expected=(T.BOOL, -1), table=table)
        return f"CREATE {unique}INDEX {q(idx.name)} ON {q(table.name)} ({cols}){where}"

    def check_portable_index(self, table: Table, sql: str) -> None:
        """An index expression or predicate must mean the same on every connection that
        writes the table (a standby replays rows without pgha's functions): only SQLite's own
        deterministic functions may appear in it. (pgha registers some of them again, e.g.
        ``lower`` for all of Unicode: the replayer has pgha's functions too, see
        Engine.replayer.)"""
        scratch = apsw.Connection(":memory:")
        try:
            cols = ", ".join(q(c.name) for c in table.columns)
            scratch.execute(f"CREATE TABLE {q(table.name)} ({cols})")
            scratch.execute(sql)
        except apsw.Error as exc:
            raise FeatureNotSupported("this index expression or predicate is not supported") \
                from exc
        finally:
            scratch.close()

    def unique_name(self, base: str, taken: set[str]) -> str:
        """A relation key like ``base`` (a key) that no relation has, its name part at most
        63 characters."""
        schema, bare = self.catalog.split(base)
        bare = bare[:63]
        name, n = namespaces.key(schema, bare), 0
        while name in taken or self.exists(name):
            n += 1
            name = namespaces.key(schema, f"{bare[: 63 - len(str(n))]}{n}")
        return name

    def bare(self, key: str) -> str:
        """A relation's name without its schema (what PostgreSQL's messages show)."""
        return self.catalog.relname(key)

    def sibling(self, table: Table, name: str) -> str:
        """The key of relation ``name`` in ``table``'s schema (its indexes, sequences)."""
        return namespaces.key(self.catalog.split(table.name)[0], name)

    def save(self, rel: cat.Relation) -> None:
        cat.save(self.conn, rel)

    def forget(self, rel: cat.Relation) -> None:
        cat.delete(self.conn, rel)

    def new_oid(self) -> int:
        return cat.next_oid(self.conn)

    def require_owner(self, rel: cat.Relation, index: str | None = None) -> None:
        """ALTER, DROP, CREATE INDEX...: the owner's (or a superuser's) alone (42501); an
        index is its table's owner's."""
        if self.grants is not None and not self.grants.owns(rel):
            if index is not None:
                raise privileges.not_owner("index", index)
            raise privileges.not_owner(privileges.kind_word(rel), self.catalog.relname(rel.name))

    def require_create(self, key: str | None) -> None:
        """CREATE TABLE/VIEW/SEQUENCE (the new relation keyed ``key``; pglast types a name as
        optional) needs CREATE on its schema (on public, PostgreSQL 15 grants it to the
        database owner only)."""
        if self.grants is not None and not self.grants.superuser:
            schema = self.catalog.split(key or "")[0]
            if "C" not in self.grants.on_schema(schema):
                raise privileges.schema_denied(schema)

    # -- CREATE TABLE ---------------------------------------------------------------------

    def create_table(self, node: ast.CreateStmt) -> str:
        rv = node.relation
        if rv.schemaname not in (None, "public"):
            raise InvalidSchemaName(f'schema "{rv.schemaname}" does not exist')
        if rv.relpersistence == "t":
            raise FeatureNotSupported("temporary tables are not supported")
        if node.inhRelations or node.partspec is not None or node.ofTypename is not None:
            raise FeatureNotSupported("table inheritance and partitioning are not supported")
        name = rv.relname
        self.require_create(name)
        if self.exists(name):
            shown = self.bare(name)
            if node.if_not_exists:
                self.notices.append(Notice("42P07", f'relation "{shown}" already exists, '
                                           "skipping"))
                return "CREATE TABLE"
            raise DuplicateTable(f'relation "{shown}" already exists')
        table = Table(oid=self.new_oid(), name=name, columns=[], owner=self.owner)
        pending: list[tuple[Constraint, Any]] = []
        like_indexes: list[Index] = []
        for elt in node.tableElts or ():
            if isinstance(elt, ast.ColumnDef):
                self.add_column_def(table, elt, pending)
            elif isinstance(elt, ast.Constraint):
                pending.append((self.constraint_from(table, elt, None), elt))
            elif isinstance(elt, ast.TableLikeClause):
                like_indexes += self.add_like(table, elt, pending)
            else:
                raise FeatureNotSupported(f"{type(elt).__name__} in CREATE TABLE is not supported")
        for con, _ in pending:
            self.attach_constraint(table, con)
        for idx in like_indexes:
            taken = {i.name for i in table.indexes}
            words = "_".join(_index_word(c) if i in idx.expressions else c
                             for i, c in enumerate(idx.columns))
            idx.name = self.unique_name(
                self.sibling(table, f"{self.bare(table.name)}_{words}_idx"), taken)
            idx.oid = self.new_oid()
            table.indexes.append(idx)
        self.conn.execute(self.sqlite_table_ddl(table))
        for idx in table.indexes:
            self.conn.execute(self.create_index_sql(table, idx))
        self.save(table)
        return "CREATE TABLE"

    def add_like(self, table: Table, like: ast.TableLikeClause,
                 pending: list[tuple[Constraint, Any]]) -> list[Index]:
        """CREATE TABLE ... (LIKE source [INCLUDING ...]): the source's columns (names, types,
        NOT NULL), and what the options ask for (PostgreSQL 15 docs, CREATE TABLE, "LIKE");
        returns the plain indexes to copy (named for the new table by the caller)."""
        opt = enums.TableLikeOption
        source = self.catalog.table(like.relation.relname)
        if source is None:
            raise UndefinedTable(f'relation "{like.relation.relname}" does not exist')
        options = like.options
        for col in source.columns:
            if table.column(col.name) is not None:
                raise DuplicateColumn(f'column "{col.name}" specified more than once')
            new = Column(col.name, col.type_oid, col.typmod, col.not_null,
                         attnum=len(table.columns) + 1)
            if col.identity and options & opt.CREATE_TABLE_LIKE_IDENTITY:
                new.identity = col.identity
                seq = self.create_owned_sequence(table, new)
                old = next((r for r in self.catalog.by_name.values() if isinstance(r, Sequence)
                            and r.owned_by == (source.name, col.name)), None)
                if old is not None:
                    seq.start, seq.increment = old.start, old.increment
                    seq.min_value, seq.max_value, seq.cycle = old.min_value, old.max_value, \
                        old.cycle
                    self.save(seq)
                new.default = f"nextval('{seq.name}'::regclass)"
            elif not col.identity and options & opt.CREATE_TABLE_LIKE_DEFAULTS:
                new.default = col.default
            table.columns.append(new)
        if options & opt.CREATE_TABLE_LIKE_CONSTRAINTS:
            for con in source.constraints:
                if con.kind == "c":
                    pending.append((Constraint(con.name, "c", list(con.columns), con.expr), None))
        if not options & opt.CREATE_TABLE_LIKE_INDEXES:
            return []
        for con in source.constraints:
            if con.kind in ("p", "u"):
                bare = self.bare(table.name)
                name = (f"{bare}_pkey" if con.kind == "p" else
                        f"{bare}_{'_'.join(con.columns)}_key")
                pending.append((Constraint(name, con.kind, list(con.columns),
                                           deferrable=con.deferrable, deferred=con.deferred),
                                None))
        return [Index("", list(i.columns), i.unique, None, 0, list(i.expressions), i.predicate)
                for i in source.indexes if i.constraint is None]

    def create_table_as(self, node: ast.CreateTableAsStmt,
                        columns: SequenceOf[ResultColumn]) -> Table | None:
        """CREATE TABLE ... AS / SELECT INTO: the (empty) table, its columns named and typed
        as the query's, for the caller to fill; None when IF NOT EXISTS finds one."""
        if node.objtype != enums.ObjectType.OBJECT_TABLE:
            raise FeatureNotSupported("materialized views are not supported")
        rv = node.into.rel
        if rv.schemaname not in (None, "public", "pg_temp"):
            raise InvalidSchemaName(f'schema "{rv.schemaname}" does not exist')
        self.require_create(rv.relname)
        if self.exists(rv.relname):
            shown = self.bare(rv.relname)
            if node.if_not_exists:
                self.notices.append(Notice("42P07", f'relation "{shown}" already exists, '
                                           "skipping"))
                return None
            raise DuplicateTable(f'relation "{shown}" already exists')
        names = [n.sval for n in node.into.colNames or ()]
        if len(names) > len(columns):
            raise SqlSyntaxError("too many column names were specified")
        table = Table(oid=self.new_oid(), name=rv.relname, columns=[], owner=self.owner)
        for i, col in enumerate(columns):
            name = names[i] if i < len(names) else col.name
            if table.column(name) is not None:
                raise DuplicateColumn(f'column "{name}" specified more than once')
            _not_system_column(name)
            table.columns.append(Column(name, col.type_oid, col.typmod, attnum=i + 1))
        self.conn.execute(self.sqlite_table_ddl(table))
        self.save(table)
        return table

    def add_column_def(self, table: Table, elt: ast.ColumnDef,
                       pending: list[tuple[Constraint, Any]]) -> Column:
        if table.column(elt.colname) is not None:
            raise DuplicateColumn(f'column "{elt.colname}" specified more than once')
        _not_system_column(elt.colname)
        oid, typmod, serial = self.column_type(elt.typeName)
        col = Column(elt.colname, oid, typmod, attnum=max((c.attnum for c in table.columns),
                                                          default=0) + 1)
        if elt.is_not_null:
            col.not_null = True
        if serial:
            col.not_null = True
            seq = self.create_owned_sequence(table, col)
            col.default = f"nextval('{seq.name}'::regclass)"
        last: Constraint | None = None  # what DEFERRABLE / INITIALLY ... apply to
        for con in elt.constraints or ():
            kind = con.contype
            if kind in (C.CONSTR_ATTR_DEFERRABLE, C.CONSTR_ATTR_NOT_DEFERRABLE,
                        C.CONSTR_ATTR_DEFERRED, C.CONSTR_ATTR_IMMEDIATE):
                if last is None or last.kind == "c":
                    words = {C.CONSTR_ATTR_DEFERRABLE: "DEFERRABLE",
                             C.CONSTR_ATTR_NOT_DEFERRABLE: "NOT DEFERRABLE",
                             C.CONSTR_ATTR_DEFERRED: "INITIALLY DEFERRED",
                             C.CONSTR_ATTR_IMMEDIATE: "INITIALLY IMMEDIATE"}
                    raise SqlSyntaxError(f"misplaced {words[kind]} clause")
                if kind == C.CONSTR_ATTR_DEFERRABLE:
                    last.deferrable = True
                elif kind == C.CONSTR_ATTR_DEFERRED:
                    last.deferrable = last.deferred = True
                elif kind == C.CONSTR_ATTR_NOT_DEFERRABLE and last.deferred:
                    raise SqlSyntaxError("constraint declared INITIALLY DEFERRED must be "
                                         "DEFERRABLE")
                continue
            last = None
            if kind == C.CONSTR_NOTNULL:
                col.not_null = True
            elif kind == C.CONSTR_NULL:
                col.not_null = False
            elif kind == C.CONSTR_DEFAULT:
                col.default = deparse(con.raw_expr)
                # Validate now: a bad default fails CREATE TABLE, as in PostgreSQL.
                translate_expression(self.catalog, self.system, col.default,
                                     expected=(oid, typmod))
            elif kind == C.CONSTR_IDENTITY:
                col.identity = con.generated_when or "a"
                col.not_null = True
                seq = self.create_owned_sequence(table, col)
                self.apply_sequence_options(seq, con.options or (), creating=True)
                self.save(seq)
                col.default = f"nextval('{seq.name}'::regclass)"
            elif kind in (C.CONSTR_PRIMARY, C.CONSTR_UNIQUE, C.CONSTR_CHECK, C.CONSTR_FOREIGN):
                last = self.constraint_from(table, con, col.name)
                pending.append((last, con))
            elif kind == C.CONSTR_GENERATED:
                raise FeatureNotSupported("generated columns are not supported")
            else:
                raise FeatureNotSupported(f"column constraint {kind.name} is not supported")
        table.columns.append(col)
        return col

    def create_owned_sequence(self, table: Table, col: Column) -> Sequence:
        name = self.unique_name(
            self.sibling(table, f"{self.bare(table.name)}_{col.name}_seq"), set())
        seq = Sequence(oid=self.new_oid(), name=name, type_oid=col.type_oid,
                       max_value=SEQ_MAX.get(col.type_oid, 2**63 - 1),
                       owned_by=(table.name, col.name), owner=table.owner)
        self.save(seq)
        self.catalog.by_name[name] = seq  # visible to the rest of this statement
        return seq

    def constraint_from(self, table: Table, con: ast.Constraint, column: str | None) -> Constraint:
        kind = con.contype
        cols = [k.sval for k in con.keys or ()] or ([column] if column else [])
        bare = self.bare(table.name)
        if kind in (C.CONSTR_PRIMARY, C.CONSTR_UNIQUE):
            letter = "p" if kind == C.CONSTR_PRIMARY else "u"
            default = f"{bare}_pkey" if letter == "p" else (
                f"{bare}_{'_'.join(cols)}_key")
            return Constraint(con.conname or default, letter, cols, deferrable=con.deferrable,
                              deferred=con.initdeferred)
        if kind == C.CONSTR_CHECK:
            if con.deferrable:
                raise FeatureNotSupported("CHECK constraints cannot be marked DEFERRABLE")
            expr = deparse(con.raw_expr)
            default = f"{bare}_{column}_check" if column else f"{bare}_check"
            return Constraint(con.conname or default, "c", cols, expr=expr)
        if kind == C.CONSTR_FOREIGN:
            fk_cols = [k.sval for k in con.fk_attrs or ()] or cols
            ref = con.pktable.relname
            ref_cols = [k.sval for k in con.pk_attrs or ()]
            ref_table = table if ref == table.name else self.catalog.table(ref)
            if ref_table is not None and ref_table is not table and self.grants is not None \
                    and not self.grants.allows(ref_table, "x"):
                raise privileges.denied(ref_table)  # a foreign key needs REFERENCES
            if ref_table is None:
                raise UndefinedTable(f'relation "{ref}" does not exist')
            if not ref_cols:
                pk = ref_table.primary_key()
                if pk is None:
                    raise InvalidForeignKey(f'there is no primary key for referenced table "{ref}"')
                ref_cols = pk.columns
            if any(c.deferrable and c.kind in ("p", "u") and c.columns == ref_cols
                   for c in ref_table.constraints):
                raise ObjectNotInPrerequisiteState("cannot use a deferrable unique constraint for "
                                                   f'referenced table "{ref}"')
            default = f"{bare}_{'_'.join(fk_cols)}_fkey"
            return Constraint(con.conname or default, "f", fk_cols, ref_table=ref,
                              ref_columns=ref_cols, on_delete=con.fk_del_action or "a",
                              on_update=con.fk_upd_action or "a", deferrable=con.deferrable,
                              deferred=con.initdeferred)
        raise FeatureNotSupported(f"constraint {kind.name} is not supported")

    def attach_constraint(self, table: Table, con: Constraint) -> None:
        for c in con.columns:
            if table.column(c) is None:
                raise UndefinedColumn(f'column "{c}" named in key does not exist')
        # A constraint's name is bare; its index (PK, UNIQUE) is a relation of the table's
        # schema, keyed there.
        taken = {self.sibling(table, c.name) for c in table.constraints} | {
            i.name for i in table.indexes}
        if self.sibling(table, con.name) in taken or self.exists(self.sibling(table, con.name)):
            con.name = self.bare(self.unique_name(self.sibling(table, con.name), taken))
        con.oid = self.new_oid()
        if con.kind == "p":
            if table.primary_key() is not None:
                raise InvalidTableDefinition(f'multiple primary keys for table "{table.name}" are '
                                             "not allowed")
            for c in con.columns:
                col = table.column(c)
                assert col is not None
                col.not_null = True
        if con.kind in ("p", "u"):
            table.indexes.append(Index(self.sibling(table, con.name), list(con.columns), True,
                                       con.name, self.new_oid()))
        table.constraints.append(con)

    # -- DROP -------------------------------------------------------------------------------

    def drop(self, node: ast.DropStmt) -> str:
        OBJ = enums.ObjectType
        kinds = {OBJ.OBJECT_TABLE: ("r", "DROP TABLE", "table"),
                 OBJ.OBJECT_VIEW: ("v", "DROP VIEW", "view"),
                 OBJ.OBJECT_SEQUENCE: ("S", "DROP SEQUENCE", "sequence"),
                 OBJ.OBJECT_INDEX: ("i", "DROP INDEX", "index")}
        if node.removeType not in kinds:
            raise FeatureNotSupported(f"DROP {node.removeType.name[7:]} is not supported")
        kind, tag, word = kinds[node.removeType]
        cascade = node.behavior == enums.DropBehavior.DROP_CASCADE
        doomed: list[cat.Relation] = []
        for obj in node.objects:
            names = [n.sval for n in obj]
            if len(names) > 1 and names[0] != "public":
                if node.missing_ok:
                    self.notices.append(Notice("00000", f'schema "{names[0]}" does not exist, '
                                               "skipping"))
                    continue
                raise InvalidSchemaName(f'schema "{names[0]}" does not exist')
            name = names[-1]
            if kind == "i":
                self.drop_index(name, node.missing_ok)
                continue
            rel = self.catalog.by_name.get(name)
            if rel is None or rel.kind != kind:
                if node.missing_ok:
                    self.notices.append(Notice("00000", f'{word} "{name}" does not exist, '
                                               "skipping"))
                    continue
                if rel is not None:
                    raise WrongObjectType(f'"{name}" is not a {word}')
                raise UndefinedTable(f'{word} "{name}" does not exist')
            self.require_owner(rel)
            if isinstance(rel, Sequence):
                self.check_identity(rel)
            if rel not in doomed:
                doomed.append(rel)
        self.drop_relations(doomed, cascade)
        return tag

    def check_identity(self, seq: Sequence) -> None:
        """An identity column's sequence is part of the column (PostgreSQL's internal
        dependency): not dropped on its own, even with CASCADE."""
        table = self.catalog.table(seq.owned_by[0]) if seq.owned_by else None
        col = table.column(seq.owned_by[1]) if table and seq.owned_by else None
        if table is not None and col is not None and col.identity:
            what = f"column {col.name} of table {self.bare(table.name)}"
            raise DependentObjectsStillExist(
                f"cannot drop sequence {self.bare(seq.name)} because {what} requires it",
                hint=f"You can drop {what} instead.")

    def drop_relation(self, rel: cat.Relation, cascade: bool) -> None:
        self.drop_relations([rel], cascade)

    def drop_relations(self, rels: list[cat.Relation], cascade: bool) -> None:
        """DROP of ``rels`` (one statement): refused when other objects depend on them,
        unless ``cascade``, which drops those too (PostgreSQL 15 docs, 5.14 "Dependency
        Tracking")."""
        if not rels:
            return
        self.drop_dependents([("rel", r.oid) for r in rels], cascade)
        left = list(rels)
        while left:  # a table another one left references goes after it (SQLite checks)
            rel = next((r for r in left if not any(
                isinstance(o, Table) and o is not r and any(
                    c.kind == "f" and c.ref_table == r.name for c in o.constraints)
                for o in left)), left[0])
            left.remove(rel)
            self.remove_relation(rel)

    def drop_dependents(self, roots: list[dependencies.Obj], cascade: bool) -> None:
        """Report what depends on ``roots`` (refusing unless ``cascade``) and drop it."""
        graph = dependencies.Graph(self.catalog, self.system, self.path)
        found = graph.find(roots)
        graph.check(found, cascade, self.notices)
        for obj, _ in found.dependents:
            if obj[0] == "rel":
                self.remove_relation(self.catalog.by_oid[obj[1]])
            elif obj[0] == "con":
                table, con = self.catalog.constraint_oids[obj[1]]
                if table.name in self.catalog.by_name:
                    table.constraints.remove(con)
                    self.rebuild(table)
            elif obj[0] == "def":
                owner = self.catalog.by_oid[obj[1]]
                assert isinstance(owner, Table)
                col = next(c for c in owner.columns if c.attnum == obj[2])
                col.default = None
                self.save(owner)

    def remove_relation(self, rel: cat.Relation) -> None:
        """Drop one relation, nothing else (a table with its indexes and owned sequences)."""
        if rel.name not in self.catalog.by_name:
            return  # (gone already: an owned sequence of a dropped table)
        if isinstance(rel, Table):
            self.conn.execute(f"DROP TABLE {q(rel.name)}")
            for seq in [s for s in self.catalog.by_name.values() if isinstance(s, Sequence)
                        and s.owned_by and s.owned_by[0] == rel.name]:
                self.forget(seq)
                self.catalog.by_name.pop(seq.name, None)
                self.catalog.by_oid.pop(seq.oid, None)
        elif isinstance(rel, View):
            self.conn.execute(f"DROP VIEW {q(rel.name)}")
        self.forget(rel)
        self.catalog.by_name.pop(rel.name, None)
        self.catalog.by_oid.pop(rel.oid, None)

    def set_views_aside(self, oid: int) -> list[View]:
        """Drop the SQLite views that read relation ``oid``, directly or through other views
        (SQLite checks every view when a table is renamed): ``make_views`` makes them again."""
        views = dependencies.Graph(self.catalog, self.system, self.path).views_after(oid)
        for view in reversed(views):
            self.conn.execute(f"DROP VIEW IF EXISTS {q(view.name)}")
        return views

    def make_views(self, views: list[View]) -> None:
        """The SQLite views of ``views`` (oldest first) from their stored query."""
        for view in views:
            stmt, _ = dependencies.analyse(self.catalog, self.system, view.query)
            tr = translate(self.catalog, self.system, stmt)
            cols = ", ".join(q(c.name) for c in view.columns)
            self.conn.execute(f"CREATE VIEW {q(view.name)} ({cols}) AS {tr.sql}")

    def drop_index(self, name: str, missing_ok: bool) -> None:
        table = self.catalog.index_owner.get(name)
        if table is None:
            if missing_ok:
                self.notices.append(Notice("00000", f'index "{name}" does not exist, skipping'))
                return
            raise UndefinedObject(f'index "{name}" does not exist')
        idx = next(i for i in table.indexes if i.name == name)
        self.require_owner(table, index=name)
        if idx.constraint:
            raise DependentObjectsStillExist(
                f"cannot drop index {name} because constraint {idx.constraint} "
                f"on table {table.name} requires it",
                hint=f"You can drop constraint {idx.constraint} on table {table.name} "
                "instead.")
        table.indexes.remove(idx)
        self.conn.execute(f"DROP INDEX {q(name)}")
        self.save(table)

    # -- indexes ----------------------------------------------------------------------------

    def create_index(self, node: ast.IndexStmt) -> str:
        table = self.catalog.table(node.relation.relname)
        if table is None:
            raise UndefinedTable(f'relation "{node.relation.relname}" does not exist')
        self.require_owner(table)
        cols, exprs, words, options = [], [], [], []
        for elem in node.indexParams:
            desc = elem.ordering == enums.SortByDir.SORTBY_DESC
            nulls_first = (desc if elem.nulls_ordering == enums.SortByNulls.SORTBY_NULLS_DEFAULT
                           else elem.nulls_ordering == enums.SortByNulls.SORTBY_NULLS_FIRST)
            options.append(int(desc) | (2 if nulls_first else 0))
            if elem.name is None:  # an expression: kept as PostgreSQL text, like a default
                exprs.append(len(cols))
                cols.append(deparse(elem.expr))
                words.append(_index_word(cols[-1]))
                continue
            if table.column(elem.name) is None:
                raise UndefinedColumn(f'column "{elem.name}" does not exist')
            cols.append(elem.name)
            words.append(elem.name)
        predicate = deparse(node.whereClause) if node.whereClause is not None else None
        taken = {i.name for i in table.indexes}
        name = node.idxname or self.unique_name(
            self.sibling(table, f"{self.bare(table.name)}_{'_'.join(words)}_idx"), taken)
        if self.exists(name):
            shown = self.bare(name)
            if node.if_not_exists:
                self.notices.append(Notice("42P07", f'relation "{shown}" already exists, '
                                           "skipping"))
                return "CREATE INDEX"
            raise DuplicateTable(f'relation "{shown}" already exists')
        idx = Index(name, cols, bool(node.unique), None, self.new_oid(), expressions=exprs,
                    predicate=predicate, options=options if any(options) else [])
        sql = self.create_index_sql(table, idx)
        if exprs or predicate is not None:
            self.check_portable_index(table, sql)
        try:
            self.conn.execute(sql)
        except apsw.ConstraintError as exc:
            raise UniqueViolation(f'could not create unique index "{name}"',
                                  detail="Key contains duplicated values.") from exc
        table.indexes.append(idx)
        self.save(table)
        return "CREATE INDEX"

    # -- ALTER TABLE ------------------------------------------------------------------------

    def alter_table(self, node: ast.AlterTableStmt) -> str:
        A = enums.AlterTableType
        name = node.relation.relname
        table = self.catalog.table(name)
        if table is None:
            if node.missing_ok:
                self.notices.append(Notice("00000", f'relation "{name}" does not exist, skipping'))
                return "ALTER TABLE"
            raise UndefinedTable(f'relation "{name}" does not exist')
        self.require_owner(table)
        rebuild = False
        for cmd in node.cmds:
            sub = cmd.subtype
            if sub == A.AT_AddColumn:
                if cmd.missing_ok and table.column(cmd.def_.colname) is not None:
                    self.notices.append(Notice("42701", f'column "{cmd.def_.colname}" of relation '
                                               f'"{name}" already exists, skipping'))
                    continue
                pending: list[tuple[Constraint, Any]] = []
                col = self.add_column_def(table, cmd.def_, pending)
                for con, _ in pending:
                    self.attach_constraint(table, con)
                if pending or col.not_null or col.default is not None:
                    rebuild = True  # the rebuild fills the new column with its default
                else:
                    self.conn.execute(f"ALTER TABLE {q(name)} ADD COLUMN {q(col.name)} "
                                      f"{column_decl(col.type_oid)}")
            elif sub == A.AT_DropColumn:
                col = table.column(cmd.name)
                if col is None:
                    if cmd.missing_ok:
                        continue
                    raise UndefinedColumn(f'column "{cmd.name}" of relation "{name}" does not '
                                          "exist")
                self.drop_dependents([("col", table.oid, col.attnum)],
                                     cmd.behavior == enums.DropBehavior.DROP_CASCADE)
                table.columns.remove(col)
                table.constraints = [c for c in table.constraints if col.name not in c.columns]
                table.indexes = [i for i in table.indexes if col.name not in i.columns
                                 and col.name not in index_expression_columns(i)]
                rebuild = True
            elif sub == A.AT_AddConstraint:
                con = self.constraint_from(table, cmd.def_, None)
                self.attach_constraint(table, con)
                if con.kind in ("p", "u") and not rebuild:
                    idx = table.indexes[-1]
                    if con.kind == "p":
                        self.check_not_null(table, con.columns)
                    self.create_unique(table, idx, rebuild=con.kind == "p")
                else:
                    rebuild = True
            elif sub == A.AT_DropConstraint:
                con = next((c for c in table.constraints if c.name == cmd.name), None)
                if con is None:
                    if cmd.missing_ok:
                        continue
                    raise UndefinedObject(f'constraint "{cmd.name}" of relation "{name}" does '
                                          "not exist")
                self.drop_dependents([("con", con.oid)],
                                     cmd.behavior == enums.DropBehavior.DROP_CASCADE)
                table.constraints.remove(con)
                table.indexes = [i for i in table.indexes if i.constraint != con.name]
                rebuild = True
            elif sub in (A.AT_SetNotNull, A.AT_DropNotNull):
                col = self.require_column(table, cmd.name)
                col.not_null = sub == A.AT_SetNotNull
                rebuild = True
            elif sub == A.AT_ColumnDefault:
                col = self.require_column(table, cmd.name)
                col.default = deparse(cmd.def_) if cmd.def_ is not None else None
                # A foreign key's SET DEFAULT action reads SQLite's DEFAULT clause.
                rebuild = rebuild or any(con.kind == "f" and col.name in con.columns and "d" in (
                    con.on_delete, con.on_update) for con in table.constraints)
            elif sub == A.AT_AlterColumnType:
                col = self.require_column(table, cmd.name)
                graph = dependencies.Graph(self.catalog, self.system, self.path)
                users = graph.views_on(table.oid, col.attnum)
                if users:  # (ATExecAlterColumnType: PostgreSQL does not rewrite views)
                    raise FeatureNotSupported(
                        "cannot alter type of a column used by a view or rule",
                        detail=f"rule _RETURN on view {graph.describe(('rel', users[0].oid))[5:]}"
                        f' depends on column "{col.name}"')
                oid, typmod, _ = self.column_type(cmd.def_.typeName)
                col.type_oid, col.typmod = oid, typmod
                rebuild = True
            elif sub in (A.AT_AddIdentity, A.AT_SetIdentity, A.AT_DropIdentity):
                self.alter_identity(table, cmd)
            elif sub == A.AT_ValidateConstraint:  # (pgha checks a constraint's rows when added)
                if not any(c.name == cmd.name for c in table.constraints):
                    raise UndefinedObject(f'constraint "{cmd.name}" of relation "{name}" does '
                                          "not exist")
            elif sub == A.AT_SetStatistics:  # planner statistics: nothing to keep
                if cmd.name is not None:
                    self.require_column(table, cmd.name)
            elif sub == A.AT_ChangeOwner:
                pass  # pgha enforces no privileges: every role may do everything
            else:
                raise FeatureNotSupported(f"ALTER TABLE {sub.name[3:]} is not supported")
        if rebuild:
            self.rebuild(table)
        else:
            self.save(table)
        return "ALTER TABLE"

    def alter_identity(self, table: Table, cmd: ast.AlterTableCmd) -> None:
        """ALTER COLUMN ... ADD GENERATED ... AS IDENTITY, SET GENERATED / RESTART / SET
        sequence options, DROP IDENTITY (PostgreSQL 15 docs, ALTER TABLE)."""
        A = enums.AlterTableType
        col = self.require_column(table, cmd.name)
        where = f'column "{col.name}" of relation "{table.name}"'
        if cmd.subtype == A.AT_AddIdentity:
            if col.identity:
                raise ObjectNotInPrerequisiteState(f"{where} is already an identity column")
            if col.default is not None:
                raise ObjectNotInPrerequisiteState(f"{where} already has a default value")
            if not col.not_null:
                raise ObjectNotInPrerequisiteState(
                    f"{where} must be declared NOT NULL before identity can "
                    "be added")
            col.identity = cmd.def_.generated_when or "a"
            seq = self.create_owned_sequence(table, col)
            self.apply_sequence_options(seq, cmd.def_.options or (), creating=True)
            self.save(seq)
            col.default = f"nextval('{seq.name}'::regclass)"
            return
        if not col.identity:
            if cmd.subtype == A.AT_DropIdentity and cmd.missing_ok:
                self.notices.append(Notice("00000", f"{where} is not an identity column, "
                                           "skipping"))
                return
            raise ObjectNotInPrerequisiteState(f"{where} is not an identity column")
        seq = next((r for r in self.catalog.by_name.values() if isinstance(r, Sequence)
                    and r.owned_by == (table.name, col.name)), None)
        if cmd.subtype == A.AT_DropIdentity:
            col.identity, col.default = "", None
            if seq is not None:
                self.forget(seq)
            return
        options = []
        for opt in cmd.def_ or ():
            if opt.defname == "generated":  # its value is the attidentity letter's code
                col.identity = chr(opt.arg.ival)
            else:
                options.append(opt)
        if seq is not None and options:
            self.apply_sequence_options(seq, options, creating=False)
            self.save(seq)

    def require_column(self, table: Table, name: str) -> Column:
        col = table.column(name)
        if col is None:
            raise UndefinedColumn(f'column "{name}" of relation "{table.name}" does not exist')
        return col

    def check_not_null(self, table: Table, columns: list[str]) -> None:
        for c in columns:
            row = self.conn.execute(
                f"SELECT 1 FROM {q(table.name)} WHERE {q(c)} IS NULL LIMIT 1").fetchone()
            if row is not None:
                raise NotNullViolation(f'column "{c}" of relation "{table.name}" contains null '
                                       "values", table=table.name, column=c)

    def create_unique(self, table: Table, idx: Index, rebuild: bool) -> None:
        try:
            self.conn.execute(self.create_index_sql(table, idx))
        except apsw.ConstraintError as exc:
            raise UniqueViolation(f'could not create unique index "{idx.name}"',
                                  detail="Key contains duplicated values.") from exc
        con = next((c for c in table.constraints if c.name == idx.constraint), None)
        if con is not None and con.deferrable and duplicate_key(self.conn, table, con):
            raise UniqueViolation(f'could not create unique index "{idx.name}"',
                                  detail="Key contains duplicated values.")
        # A new PRIMARY KEY makes its columns NOT NULL: SQLite needs a rebuild for that.
        if rebuild:
            self.rebuild(table)
        else:
            self.save(table)

    def rebuild(self, table: Table) -> None:
        """Recreate the SQLite table from metadata and copy its rows (SQLite's documented
        procedure for schema changes it cannot ALTER in place)."""
        tmp = f"__pgha_rebuild_{table.oid}"
        old_cols = [r[1] for r in self.conn.execute(f"PRAGMA table_info({q(table.name)})")]
        self.conn.execute(self.sqlite_table_ddl(table, tmp))
        keep = [c for c in table.columns if c.name in old_cols]
        names = ", ".join(q(c.name) for c in keep)
        new_cols = [c for c in table.columns if c.name not in old_cols]
        extra_names = "".join(f", {q(c.name)}" for c in new_cols)
        extra_vals = "".join(
            ", " + (translate_expression(self.catalog, self.system, c.default,
                                         expected=(c.type_oid, c.typmod))
                    if c.default else "NULL") for c in new_cols)
        try:
            self.conn.execute(f"INSERT INTO {q(tmp)} ({names}{extra_names}) "
                              f"SELECT {names}{extra_vals} FROM {q(table.name)}")
        except apsw.ConstraintError as exc:
            fks = [c for c in table.constraints if c.kind == "f"]
            if exc.extendedresult == apsw.SQLITE_CONSTRAINT_FOREIGNKEY and fks:
                con = fks[-1]  # the one being added (SQLite does not say which)
                raise ForeignKeyViolation(f'insert or update on table "{table.name}" violates '
                                          f'foreign key constraint "{con.name}"', table=table.name,
                                          constraint=con.name) from exc
            violation = (CheckViolation if exc.extendedresult == apsw.SQLITE_CONSTRAINT_CHECK
                         else NotNullViolation)
            raise violation(f'existing rows of relation "{table.name}" violate the new '
                            f"definition: {exc}") from exc
        views = self.set_views_aside(table.oid)
        self.conn.execute(f"DROP TABLE {q(table.name)}")
        self.conn.execute(f"ALTER TABLE {q(tmp)} RENAME TO {q(table.name)}")
        for idx in table.indexes:
            try:
                self.conn.execute(self.create_index_sql(table, idx))
            except apsw.ConstraintError as exc:
                raise UniqueViolation(f'could not create unique index "{idx.name}"',
                                      detail="Key contains duplicated values.") from exc
        self.make_views(views)
        self.save(table)

    # -- sequences, views, truncate ---------------------------------------------------------

    def create_sequence(self, node: ast.CreateSeqStmt) -> str:
        name = node.sequence.relname
        self.require_create(name)
        if self.exists(name):
            shown = self.bare(name)
            if node.if_not_exists:
                self.notices.append(Notice("42P07", f'relation "{shown}" already exists, '
                                           "skipping"))
                return "CREATE SEQUENCE"
            raise DuplicateTable(f'relation "{shown}" already exists')
        seq = Sequence(oid=self.new_oid(), name=name, owner=self.owner)
        self.apply_sequence_options(seq, node.options or (), creating=True)
        self.save(seq)
        return "CREATE SEQUENCE"

    def apply_sequence_options(self, seq: Sequence, options: Any, creating: bool) -> None:
        explicit: dict[str, Any] = {}
        for opt in options:
            arg = opt.arg
            value: Any = None
            if isinstance(arg, ast.Integer):
                value = arg.ival
            elif isinstance(arg, ast.Float):
                value = int(arg.fval)
            elif isinstance(arg, ast.Boolean):
                value = arg.boolval
            elif isinstance(arg, ast.TypeName):
                value = arg
            elif isinstance(arg, tuple | list):
                value = [a.sval for a in arg]
            explicit[opt.defname] = value
        if "as" in explicit:
            seq.type_oid = Analyzer(self.catalog, self.system, ()).type_name(explicit["as"])[0]
            seq.max_value = SEQ_MAX.get(seq.type_oid, 2**63 - 1)
        if "increment" in explicit:
            seq.increment = explicit["increment"]
            if seq.increment == 0:
                raise InvalidParameterValue("INCREMENT must not be zero")
            if seq.increment < 0 and creating:
                seq.max_value, seq.min_value = -1, -SEQ_MAX.get(seq.type_oid, 2**63 - 1) - 1
        if explicit.get("minvalue") is not None:
            seq.min_value = explicit["minvalue"]
        if explicit.get("maxvalue") is not None:
            seq.max_value = explicit["maxvalue"]
        if "start" in explicit:
            seq.start = explicit["start"]
        elif creating:
            seq.start = seq.min_value if seq.increment > 0 else seq.max_value
        if "cache" in explicit:
            seq.cache = explicit["cache"]
        if "cycle" in explicit:
            seq.cycle = bool(explicit["cycle"])
        if seq.start < seq.min_value or seq.start > seq.max_value:
            raise InvalidParameterValue(
                f"START value ({seq.start}) cannot be less than MINVALUE "
                f"({seq.min_value})" if seq.start < seq.min_value else
                f"START value ({seq.start}) cannot be greater than MAXVALUE "
                f"({seq.max_value})")
        if "restart" in explicit:
            value = explicit["restart"] if explicit["restart"] is not None else seq.start
            self.conn.execute("INSERT OR REPLACE INTO __pgha_sequence_values VALUES (?, ?, 0)",
                              (seq.oid, value))

    def alter_sequence(self, node: ast.AlterSeqStmt) -> str:
        seq = self.catalog.by_name.get(node.sequence.relname)
        if not isinstance(seq, Sequence):
            if node.missing_ok:
                return "ALTER SEQUENCE"
            raise UndefinedTable(f'relation "{node.sequence.relname}" does not exist')
        self.require_owner(seq)
        self.apply_sequence_options(seq, node.options or (), creating=False)
        self.save(seq)
        return "ALTER SEQUENCE"

    def create_view(self, node: ast.ViewStmt, query_text: str) -> str:
        name = node.view.relname
        self.require_create(name)
        existing = self.catalog.by_name.get(name)
        if existing is not None:
            if node.replace and isinstance(existing, View):
                self.require_owner(existing)
                self.conn.execute(f"DROP VIEW {q(name)}")
            else:
                raise DuplicateTable(f'relation "{self.bare(name)}" already exists')
        tr = translate(self.catalog, self.system, node.query)
        if tr.steps:
            raise FeatureNotSupported("views must not contain data-modifying statements in WITH")
        assert tr.columns is not None
        names = [n.sval for n in node.aliases or ()]
        cols = [Column(names[i] if i < len(names) else c.name, c.type_oid, c.typmod,
                       attnum=i + 1) for i, c in enumerate(tr.columns)]
        if isinstance(existing, View):
            _check_replacement(existing.columns, cols)
        seen: set[str] = set()
        for col in cols:
            if col.name in seen:
                raise DuplicateColumn(f'column "{col.name}" specified more than once')
            seen.add(col.name)
        col_list = ", ".join(q(c.name) for c in cols)
        self.conn.execute(f"CREATE VIEW {q(name)} ({col_list}) AS {tr.sql}")
        oid = existing.oid if existing else self.new_oid()
        rule = existing.rule_oid if existing and existing.rule_oid else self.new_oid()
        if query_text:
            query_text = dependencies.expand_stars(self.catalog, self.system, query_text,
                                                   tr.references)
        view = View(oid, name, query_text, cols,
                    owner=existing.owner if existing else self.owner,
                    acl=existing.acl if existing else None,
                    depends=dependencies.depends(self.catalog, node.query, tr.references,
                                                 self.path),
                    rule_oid=rule)
        self.save(view)
        return "CREATE VIEW"

    def truncate(self, node: ast.TruncateStmt) -> str:
        for rv in node.relations:
            table = self.catalog.table(rv.relname)
            if table is None:
                raise UndefinedTable(f'relation "{rv.relname}" does not exist')
            if self.grants is not None and not self.grants.allows(table, "D"):
                raise privileges.denied(table)
            self.conn.execute(f"DELETE FROM {q(table.name)}")
            if node.restart_seqs:
                for seq in self.catalog.by_name.values():
                    if isinstance(seq, Sequence) and seq.owned_by and seq.owned_by[0] == table.name:
                        self.conn.execute("DELETE FROM __pgha_sequence_values WHERE oid = ?",
                                          (seq.oid,))
        return "TRUNCATE TABLE"

    def rename(self, node: ast.RenameStmt) -> str:
        OBJ = enums.ObjectType
        if node.renameType == OBJ.OBJECT_COLUMN:
            view = self.catalog.by_name.get(node.relation.relname)
            if isinstance(view, View):
                return self.rename_view_column(view, node)
            table = self.catalog.table(node.relation.relname)
            if table is None:
                raise UndefinedTable(f'relation "{node.relation.relname}" does not exist')
            self.require_owner(table)
            col = table.column(node.subname)
            if col is None:  # (RENAME COLUMN's message names no relation, renameatt_internal)
                raise UndefinedColumn(f'column "{node.subname}" does not exist')
            if table.column(node.newname) is not None:
                raise DuplicateColumn(f'column "{node.newname}" of relation "{table.name}" '
                                      "already exists")
            _not_system_column(node.newname)
            texts = self.renamed_views(table.oid, col.attnum, node.newname)
            views = self.set_views_aside(table.oid)
            self.conn.execute(f"ALTER TABLE {q(table.name)} RENAME COLUMN {q(col.name)} TO "
                              f"{q(node.newname)}")
            for con in table.constraints:
                con.columns = [node.newname if c == col.name else c for c in con.columns]
            for idx in table.indexes:
                idx.columns = [
                    _rename_column_in(c, col.name, node.newname) if i in idx.expressions
                    else node.newname if c == col.name else c for i, c in enumerate(idx.columns)]
                if idx.predicate is not None:
                    idx.predicate = _rename_column_in(idx.predicate, col.name, node.newname)
            for other in self.catalog.tables():
                for con in other.constraints:
                    if con.ref_table == table.name:
                        con.ref_columns = [node.newname if c == col.name else c
                                           for c in con.ref_columns]
                        if other is not table:
                            self.save(other)
            col.name = node.newname
            self.save(table)
            self.keep_views(texts, views)
            return "ALTER VIEW" if node.relationType == OBJ.OBJECT_VIEW else "ALTER TABLE"
        if node.renameType in (OBJ.OBJECT_TABLE, OBJ.OBJECT_SEQUENCE, OBJ.OBJECT_VIEW):
            rel = self.catalog.by_name.get(node.relation.relname)
            if rel is None:
                raise UndefinedTable(f'relation "{node.relation.relname}" does not exist')
            self.require_owner(rel)
            if self.exists(node.newname):
                raise DuplicateTable(f'relation "{self.bare(node.newname)}" already exists')
            texts = self.renamed_views(rel.oid, 0, self.bare(node.newname))
            views = self.set_views_aside(rel.oid)
            if isinstance(rel, Sequence):  # nextval defaults follow it, as PostgreSQL's
                graph = dependencies.Graph(self.catalog, self.system, self.path)
                for table, col in list(graph.defaults_using(rel)):
                    assert col.default is not None
                    col.default = graph.renamed_default(col.default, rel, node.newname)
                    self.save(table)
            if isinstance(rel, Table):
                self.conn.execute(f"ALTER TABLE {q(rel.name)} RENAME TO {q(node.newname)}")
            elif isinstance(rel, View):  # SQLite cannot rename a view: make it again
                query = parse_sql(rel.query)[0].stmt
                schemas = self.catalog.schemas
                namespaces.qualify(query, self.catalog.by_name, self.catalog.index_owner,
                                   schemas, (*schemas, "public"))
                tr = translate(self.catalog, self.system, query)
                col_list = ", ".join(q(c.name) for c in rel.columns)
                self.conn.execute(f"DROP VIEW {q(rel.name)}")
                self.conn.execute(f"CREATE VIEW {q(node.newname)} ({col_list}) AS {tr.sql}")
            self.catalog.by_name.pop(rel.name, None)
            rel.name = node.newname
            self.catalog.by_name[rel.name] = rel
            self.save(rel)
            self.keep_views(texts, views)
            return {OBJ.OBJECT_SEQUENCE: "ALTER SEQUENCE", OBJ.OBJECT_VIEW: "ALTER VIEW"}.get(
                node.renameType, "ALTER TABLE")
        if node.renameType == OBJ.OBJECT_INDEX:
            return self.rename_index(node)
        if node.renameType == OBJ.OBJECT_TABCONSTRAINT:
            return self.rename_constraint(node)
        raise FeatureNotSupported("this RENAME is not supported")

    def rename_view_column(self, view: View, node: ast.RenameStmt) -> str:
        """ALTER VIEW (or TABLE) v RENAME COLUMN: the view's column list names it anew; the
        views that read the column follow, as in PostgreSQL."""
        self.require_owner(view)
        attnum, col = next(((c.attnum or i, c) for i, c in enumerate(view.columns, 1)
                            if c.name == node.subname), (0, None))
        if col is None:
            raise UndefinedColumn(f'column "{node.subname}" does not exist')
        new = str(node.newname)
        if any(c.name == new for c in view.columns):
            raise DuplicateColumn(f'column "{new}" of relation "{self.bare(view.name)}" '
                                  "already exists")
        texts = self.renamed_views(view.oid, attnum, new, any_column=True)
        views = self.set_views_aside(view.oid)
        self.conn.execute(f"DROP VIEW {q(view.name)}")
        col.name = new
        self.save(view)
        self.keep_views(texts, [view, *views])
        return "ALTER VIEW" if node.relationType == enums.ObjectType.OBJECT_VIEW \
            else "ALTER TABLE"

    def renamed_views(self, oid: int, attnum: int, new: str, any_column: bool = False
                      ) -> dict[int, tuple[str, list[list[int]]]]:
        """The text of each view that reads relation ``oid`` (its column ``attnum``) once that
        is renamed ``new``, with what the view reads now: PostgreSQL's views follow a rename
        (they hold OIDs), pgha's hold names (see ``dependencies.renamed``)."""
        graph = dependencies.Graph(self.catalog, self.system, self.path)
        out = {}
        for view in graph.views_on(oid, None if any_column or not attnum else attnum):
            stmt, an = dependencies.analyse(self.catalog, self.system, view.query)
            out[view.oid] = (
                dependencies.renamed(self.catalog, self.system, view, oid, attnum, new),
                dependencies.depends(self.catalog, stmt, references(an), self.path))
        return out

    def keep_views(self, texts: dict[int, tuple[str, list[list[int]]]],
                   views: list[View]) -> None:
        """After a rename: the views set aside made again, those in ``texts`` from their
        new text, which must read what the old one did (0A000 otherwise, never a broken
        view)."""
        for view in views:
            if view.oid not in texts:
                continue
            text, before = texts[view.oid]
            try:
                stmt, an = dependencies.analyse(self.catalog, self.system, text)
                after = dependencies.depends(self.catalog, stmt, references(an), self.path)
            except PgError:
                after = []
            if after != before:
                raise FeatureNotSupported(
                    f"cannot rename: view {self.bare(view.name)} could not be rewritten to "
                    "read the renamed object",
                    hint="Drop the view, rename, then create the view again.")
            view.query, view.depends = text, after
            self.save(view)
        self.make_views(views)

    def rename_index(self, node: ast.RenameStmt) -> str:
        """ALTER INDEX ... RENAME TO (SQLite has none: the index is made again); a PK or
        UNIQUE constraint takes its index's new name, as in PostgreSQL."""
        name = node.relation.relname
        table = self.catalog.index_owner.get(name)
        if table is None:
            if node.missing_ok:
                self.notices.append(Notice("00000", f'relation "{name}" does not exist, skipping'))
                return "ALTER INDEX"
            raise UndefinedTable(f'relation "{name}" does not exist')
        self.require_owner(table, index=name)
        if self.exists(node.newname):
            raise DuplicateTable(f'relation "{self.bare(node.newname)}" already exists')
        idx = next(i for i in table.indexes if i.name == name)
        con = next((c for c in table.constraints if c.name == idx.constraint), None)
        self.conn.execute(f"DROP INDEX {q(name)}")
        idx.name = node.newname
        if con is not None:
            con.name = idx.constraint = self.bare(node.newname)
        self.conn.execute(self.create_index_sql(table, idx))
        self.save(table)
        return "ALTER INDEX"

    def rename_constraint(self, node: ast.RenameStmt) -> str:
        """ALTER TABLE ... RENAME CONSTRAINT: a PK or UNIQUE constraint's index is renamed
        with it; a CHECK or FOREIGN KEY is named in the SQLite table, which is rebuilt."""
        table = self.catalog.table(node.relation.relname)
        if table is None:
            raise UndefinedTable(f'relation "{node.relation.relname}" does not exist')
        self.require_owner(table)
        con = next((c for c in table.constraints if c.name == node.subname), None)
        if con is None:
            raise UndefinedObject(f'constraint "{node.subname}" for table "{table.name}" does '
                                  "not exist")
        if any(c.name == node.newname for c in table.constraints) or (
                con.kind in ("p", "u") and self.exists(self.sibling(table, node.newname))):
            raise DuplicateObject(f'constraint "{node.newname}" for relation "{table.name}" '
                                  "already exists")
        idx = next((i for i in table.indexes if i.constraint == con.name), None)
        con.name = node.newname
        if idx is not None:
            self.conn.execute(f"DROP INDEX {q(idx.name)}")
            idx.name, idx.constraint = self.sibling(table, node.newname), node.newname
            self.conn.execute(self.create_index_sql(table, idx))
            self.save(table)
        else:
            self.rebuild(table)
        return "ALTER TABLE"

