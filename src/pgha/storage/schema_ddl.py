"""CREATE SCHEMA, DROP SCHEMA, ALTER SCHEMA ... RENAME TO / OWNER TO (PostgreSQL 15 docs,
SQL commands). A schema is a row of ``__pgha_namespaces``; its relations are keyed ``s.t``
(see ``namespaces``). Rows are written through the DDL's connection, so they are logged and
replayed like any other catalog change.
"""

from __future__ import annotations

from typing import Any

from pglast import ast, enums, parse_sql

from pgha.storage import catalog as cat
from pgha.storage import namespaces, privileges, roles
from pgha.storage.catalog import Sequence, Table, View
from pgha.storage.ddl import DDL, deparse, q
from pgha.storage.translate import translate
from pgha.wire.errors import (
    DuplicateSchema,
    DuplicateTable,
    FeatureNotSupported,
    InsufficientPrivilege,
    InvalidSchemaName,
    Notice,
    ReservedName,
    UndefinedObject,
    UndefinedTable,
    WrongObjectType,
)


def _check_role(conn: Any, name: str) -> None:
    if name != "postgres" and roles.find(conn, name) is None:
        raise UndefinedObject(f'role "{name}" does not exist')


def _role_name(spec: Any, user: str) -> str:
    R = enums.RoleSpecType
    if spec.roletype in (R.ROLESPEC_CURRENT_USER, R.ROLESPEC_SESSION_USER,
                         R.ROLESPEC_CURRENT_ROLE):
        return user
    if spec.roletype == R.ROLESPEC_PUBLIC:
        raise UndefinedObject('role "public" does not exist')
    return str(spec.rolename)


def _require_owner(ddl: DDL, schema: namespaces.Schema) -> None:
    grants = ddl.grants
    if grants is not None and not grants.superuser and schema.owner_oid not in grants.roles:
        raise InsufficientPrivilege(f"must be owner of schema {schema.name}")


def _require_database_create(ddl: DDL, database: str) -> None:
    """CREATE on the database (CREATE SCHEMA, ALTER SCHEMA ... RENAME / OWNER TO): its
    owner's, as pgha grants nothing on databases."""
    grants = ddl.grants
    if grants is not None and not privileges.has_database_privilege(grants, "CREATE"):
        raise InsufficientPrivilege(f"permission denied for database {database}")


def _require_member(ddl: DDL, role: str) -> None:
    grants = ddl.grants
    if grants is None or grants.superuser:
        return
    found = roles.find(ddl.conn, role)
    if found is not None and found.oid not in roles.member_of(ddl.conn, grants.role_oid):
        raise InsufficientPrivilege(f'must be member of role "{role}"')


def create(ddl: DDL, node: Any, user: str, database: str = "postgres") -> str:
    """CREATE SCHEMA (``node`` an ``ast.CreateSchemaStmt``): needs CREATE on the database,
    and membership in the role named by AUTHORIZATION (CreateSchemaCommand)."""
    owner = _role_name(node.authrole, user) if node.authrole is not None else user
    name = node.schemaname or owner
    _require_database_create(ddl, database)
    if node.authrole is not None and owner != user:
        _check_role(ddl.conn, owner)
        _require_member(ddl, owner)
    schemas = ddl.catalog.schemas
    if namespaces.exists(name, schemas) or name == "pg_temp":
        if node.if_not_exists:
            ddl.notices.append(Notice("42P06", f'schema "{name}" already exists, skipping'))
            return "CREATE SCHEMA"
        raise DuplicateSchema(f'schema "{name}" already exists')
    if name.startswith("pg_"):
        raise ReservedName(f'unacceptable schema name "{name}"',
                           detail='The prefix "pg_" is reserved for system schemas.')
    if node.schemaElts:
        raise FeatureNotSupported("CREATE SCHEMA with schema elements is not supported",
                                  hint="Create the schema, then its objects one by one.")
    # A public relation named "s.x" would read as schema s's x (namespaces' invariant).
    if any(k.startswith(name + ".") for k in ddl.catalog.relation_names()):
        raise FeatureNotSupported(f'schema "{name}" cannot be created while a relation of '
                                  f'schema public is named "{name}.…"')
    ddl.conn.execute("INSERT INTO __pgha_namespaces (oid, name, owner) VALUES (?, ?, ?)",
                     (ddl.new_oid(), name, owner))
    return "CREATE SCHEMA"


def drop(ddl: DDL, node: Any) -> str:
    """DROP SCHEMA (``node`` an ``ast.DropStmt``)."""
    cascade = node.behavior == enums.DropBehavior.DROP_CASCADE
    catalog = ddl.catalog
    names = [obj.sval for obj in node.objects]
    doomed: list[str] = []
    for name in names:
        if name not in catalog.schemas:
            if name in namespaces.BUILTIN:
                raise FeatureNotSupported(f'dropping schema "{name}" is not supported')
            if node.missing_ok:
                ddl.notices.append(Notice("00000", f'schema "{name}" does not exist, skipping'))
                continue
            raise InvalidSchemaName(f'schema "{name}" does not exist')
        _require_owner(ddl, catalog.schemas[name])
        if name not in doomed:
            doomed.append(name)
    # Its relations, and what depends on them in other schemas (views, foreign keys).
    ddl.drop_dependents([("nsp", name) for name in doomed], cascade)
    for name in doomed:
        ddl.conn.execute("DELETE FROM __pgha_namespaces WHERE name = ?", (name,))
    return "DROP SCHEMA"


def rename(ddl: DDL, node: Any, database: str = "postgres") -> str:
    """ALTER SCHEMA ... RENAME TO (``node`` an ``ast.RenameStmt``): the owner's, with CREATE
    on the database (RenameSchema)."""
    old, new = node.subname, node.newname
    schemas = ddl.catalog.schemas
    if old not in schemas:
        if old in namespaces.BUILTIN:
            raise FeatureNotSupported(f'renaming schema "{old}" is not supported')
        raise InvalidSchemaName(f'schema "{old}" does not exist')
    if namespaces.exists(new, schemas) or new == "pg_temp":
        raise DuplicateSchema(f'schema "{new}" already exists')
    _require_owner(ddl, schemas[old])
    _require_database_create(ddl, database)
    if new.startswith("pg_"):
        raise ReservedName(f'unacceptable schema name "{new}"',
                           detail='The prefix "pg_" is reserved for system schemas.')
    if any(k.startswith(new + ".") for k in ddl.catalog.relation_names()):
        raise FeatureNotSupported(f'schema "{new}" cannot be renamed to "{new}" while a '
                                  f'relation of schema public is named "{new}.…"')
    ddl.conn.execute("UPDATE __pgha_namespaces SET name = ? WHERE name = ?", (new, old))
    _rekey(ddl, old, new)
    return "ALTER SCHEMA"


def alter_owner(ddl: DDL, node: Any, user: str, database: str = "postgres") -> str:
    """ALTER SCHEMA ... OWNER TO (``node`` an ``ast.AlterOwnerStmt``): the schema and its
    ACL move to the new owner. Unless a superuser runs it, the old owner's: a member of the
    new owner, with CREATE on the database (AlterSchemaOwner_internal)."""
    name = node.object.sval
    if name not in ddl.catalog.schemas:
        if name in namespaces.BUILTIN:
            raise FeatureNotSupported(f'changing the owner of schema "{name}" is not supported')
        raise InvalidSchemaName(f'schema "{name}" does not exist')
    schema = ddl.catalog.schemas[name]
    owner = _role_name(node.newowner, user)
    _check_role(ddl.conn, owner)
    role = roles.find(ddl.conn, owner)
    new_oid = role.oid if role is not None else roles.BOOTSTRAP_OID
    if new_oid == schema.owner_oid:
        return "ALTER SCHEMA"
    _require_owner(ddl, schema)
    _require_member(ddl, owner)
    _require_database_create(ddl, database)
    privileges.change_schema_owner(ddl.conn, schema, owner, new_oid)
    return "ALTER SCHEMA"


def set_schema(ddl: DDL, node: Any) -> str:
    """ALTER TABLE | SEQUENCE | VIEW name SET SCHEMA schema (``node`` an
    ``ast.AlterObjectSchemaStmt`` whose relation ``namespaces.qualify`` made a key): a table
    takes its indexes, constraints and owned sequences along, as in PostgreSQL."""
    OBJ = enums.ObjectType
    kinds = {OBJ.OBJECT_TABLE: ("ALTER TABLE", "r"), OBJ.OBJECT_SEQUENCE: ("ALTER SEQUENCE", "S"),
             OBJ.OBJECT_VIEW: ("ALTER VIEW", "v")}
    if node.objectType not in kinds:
        raise FeatureNotSupported(f"ALTER {node.objectType.name[7:]} ... SET SCHEMA is not "
                                  "supported")
    tag, kind = kinds[node.objectType]
    catalog = ddl.catalog
    rv = node.relation
    rel = catalog.by_name.get(rv.relname) if rv.schemaname in (None, "public") else None
    if rel is None:
        shown = f"{rv.schemaname}.{rv.relname}" if rv.schemaname else rv.relname
        if node.missing_ok:
            ddl.notices.append(Notice("00000", f'relation "{shown}" does not exist, skipping'))
            return tag
        raise UndefinedTable(f'relation "{shown}" does not exist')
    old, name = catalog.split(rel.name)
    if rel.kind != kind and not (kind == "r" and rel.kind in ("v", "S")):
        word = {"r": "table", "S": "sequence", "v": "view"}[kind]
        raise WrongObjectType(f'"{name}" is not a {word}')
    ddl.require_owner(rel)
    target = node.newschema
    if rel.oid >= cat.FIRST_TEMP_OID or target == "pg_temp":
        raise FeatureNotSupported("cannot move objects into or out of temporary schemas")
    if target not in catalog.schemas and target != "public":
        if target in namespaces.BUILTIN:
            raise FeatureNotSupported(f'moving relations into schema "{target}" is not '
                                      "supported")
        raise InvalidSchemaName(f'schema "{target}" does not exist')
    if ddl.grants is not None and "C" not in ddl.grants.on_schema(target):
        raise privileges.schema_denied(target)  # (LookupCreationNamespace)
    if isinstance(rel, Sequence) and rel.owned_by is not None:
        raise FeatureNotSupported("cannot move an owned sequence into another schema",
                                  detail=f'Sequence "{name}" is linked to table '
                                  f'"{catalog.relname(rel.owned_by[0])}".')
    if target == old:
        return tag
    moves = {rel.name: namespaces.key(target, name)}
    if isinstance(rel, Table):
        moves.update({i.name: namespaces.key(target, catalog.relname(i.name))
                      for i in rel.indexes})
        moves.update({s.name: namespaces.key(target, catalog.relname(s.name))
                      for s in catalog.by_name.values()
                      if isinstance(s, Sequence) and s.owned_by and s.owned_by[0] == rel.name})
    for new in moves.values():
        moved = catalog.relname(new) if target != "public" else new
        if new in catalog.relation_names():
            raise DuplicateTable(f'relation "{moved}" already exists in schema "{target}"')
        if target == "public" and namespaces.split(new, catalog.schemas)[0] != "public":
            raise FeatureNotSupported(f'relation "{new}" cannot be moved to schema public: its '
                                      "name would read as another schema's")
    relocate(ddl, moves)
    return tag


def _rekey(ddl: DDL, old: str, new: str) -> None:
    """The relations of schema ``old`` keyed in ``new`` (see ``relocate``)."""
    catalog = ddl.catalog
    moves = {}
    for rel in catalog.by_oid.values():
        schema, name = catalog.split(rel.name)
        if schema == old:
            moves[rel.name] = namespaces.key(new, name)
            if isinstance(rel, Table):
                moves.update({i.name: namespaces.key(new, catalog.relname(i.name))
                              for i in rel.indexes})
    relocate(ddl, moves)


def relocate(ddl: DDL, moves: dict[str, str]) -> None:
    """Give relations new keys (``moves``: old key -> new key, for tables, their indexes,
    sequences and views; the schema rows already say where the new keys belong). What
    PostgreSQL binds by OID pgha names by key, so every place a key is written changes: SQLite
    tables (SQLite rewrites the foreign keys that reference them), indexes and views (made
    again), foreign-key targets, owned sequences, nextval defaults, and the text of views
    that name a moved relation."""
    catalog = ddl.catalog

    def rekey(key: str) -> str:
        return moves.get(key, key)

    views = sorted((v for v in catalog.by_oid.values() if isinstance(v, View)
                    and (v.name in moves or _names_any(catalog, v.query, moves))),
                   key=lambda v: -v.oid)
    for view in views:
        ddl.conn.execute(f"DROP VIEW {q(view.name)}")
    tables = [t for t in catalog.tables() if t.name in moves]
    for table in tables:
        for idx in table.indexes:
            ddl.conn.execute(f"DROP INDEX {q(idx.name)}")
        ddl.conn.execute(f"ALTER TABLE {q(table.name)} RENAME TO {q(rekey(table.name))}")
    defaults = {f"nextval('{k}'::regclass)": f"nextval('{v}'::regclass)"
                for k, v in moves.items() if isinstance(catalog.by_name.get(k), Sequence)}
    for table in catalog.tables():
        changed = table in tables
        for con in table.constraints:
            if con.ref_table is not None and rekey(con.ref_table) != con.ref_table:
                con.ref_table, changed = rekey(con.ref_table), True
        for col in table.columns:
            if col.default in defaults:
                col.default, changed = defaults[col.default], True
        if changed:
            table.name = rekey(table.name)
            for idx in table.indexes:
                idx.name = rekey(idx.name)
            ddl.save(table)
    for seq in catalog.by_oid.values():
        if isinstance(seq, Sequence) and (seq.name in moves or (
                seq.owned_by is not None and seq.owned_by[0] in moves)):
            seq.name = rekey(seq.name)
            if seq.owned_by is not None:
                seq.owned_by = (rekey(seq.owned_by[0]), seq.owned_by[1])
            ddl.save(seq)
    schemas = namespaces.load(ddl.conn)  # (where the new keys belong)
    for view in views:
        view.query = _renamed_in(catalog, schemas, view.query, moves)
        view.name = rekey(view.name)
        ddl.save(view)
    # The indexes and views again, translated against the moved catalog.
    moved = cat.Catalog.load(ddl.conn, catalog.generation)
    again = DDL(ddl.conn, moved, ddl.system, ddl.notices)
    for table in tables:
        fresh = moved.table(rekey(table.name))
        assert fresh is not None
        for idx in fresh.indexes:
            ddl.conn.execute(again.create_index_sql(fresh, idx))
    for view in sorted(views, key=lambda v: v.oid):
        query = parse_sql(view.query)[0].stmt
        namespaces.qualify(query, moved.by_name, moved.index_owner, moved.schemas,
                           (*moved.schemas, "public"))
        tr = translate(moved, ddl.system, query)
        cols = ", ".join(q(c.name) for c in view.columns)
        ddl.conn.execute(f"CREATE VIEW {q(view.name)} ({cols}) AS {tr.sql}")


def _named(catalog: cat.Catalog, node: Any) -> str:
    return namespaces.key(node.schemaname, node.relname) if node.schemaname in (
        None, "public", *catalog.schemas) else ""


def _names_any(catalog: cat.Catalog, query: str, moves: dict[str, str]) -> bool:
    return any(type(n) is ast.RangeVar and _named(catalog, n) in moves
               for n in namespaces._nodes(parse_sql(query)))


def _renamed_in(catalog: cat.Catalog, schemas: dict[str, namespaces.Schema], query: str,
                moves: dict[str, str]) -> str:
    """A view's text naming the moved relations where they now are (qualified when they
    were: an unqualified name keeps finding them along the path the view is made with)."""
    tree = parse_sql(query)
    changed = False
    for node in namespaces._nodes(tree):
        if type(node) is ast.RangeVar and node.schemaname is not None and \
                _named(catalog, node) in moves:
            schema, name = namespaces.split(moves[_named(catalog, node)], schemas)
            node.schemaname, node.relname, changed = schema, name, True
        elif type(node) is ast.ColumnRef and node.fields and len(node.fields) >= 3 and \
                type(node.fields[0]) is ast.String and type(node.fields[1]) is ast.String:
            k = namespaces.key(node.fields[0].sval, str(node.fields[1].sval))
            if k in moves:
                schema, name = namespaces.split(moves[k], schemas)
                node.fields = (ast.String(sval=schema), ast.String(sval=name),
                               *node.fields[2:])
                changed = True
    return deparse(tree[0].stmt) if changed else query
