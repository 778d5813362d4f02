"""CREATE SCHEMA, DROP SCHEMA, ALTER SCHEMA ... RENAME TO / OWNER TO (PostgreSQL 15 docs,
SQL commands). A schema is a row of ``__pgha_namespaces``; its relations are keyed ``s.t``
(see ``namespaces``). Rows are written through the DDL's connection, so they are logged and
replayed like any other catalog change.
"""

from __future__ import annotations

from typing import Any

from pglast import ast, enums, parse_sql

from pgha.storage import catalog as cat
from pgha.storage import namespaces, roles
from pgha.storage.catalog import Sequence, Table, View
from pgha.storage.ddl import DDL, deparse, q
from pgha.storage.translate import translate
from pgha.wire.errors import (
    DependentObjectsStillExist,
    DuplicateSchema,
    FeatureNotSupported,
    InvalidSchemaName,
    Notice,
    ReservedName,
    UndefinedObject,
)

_WORDS = {"r": "table", "v": "view", "S": "sequence"}


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


def create(ddl: DDL, node: Any, user: str) -> str:
    """CREATE SCHEMA (``node`` an ``ast.CreateSchemaStmt``)."""
    owner = _role_name(node.authrole, user) if node.authrole is not None else user
    name = node.schemaname or owner
    if node.authrole is not None and owner != user:
        _check_role(ddl.conn, owner)
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


def _members(catalog: cat.Catalog, schema: str) -> list[cat.Relation]:
    """The relations of ``schema`` a DROP lists, in creation order (an owned sequence goes
    with its table, as in PostgreSQL, which does not list it)."""
    out = []
    for rel in sorted(catalog.by_oid.values(), key=lambda r: r.oid):
        if catalog.split(rel.name)[0] != schema or rel.oid >= cat.FIRST_TEMP_OID:
            continue
        if isinstance(rel, Sequence) and rel.owned_by is not None:
            continue
        out.append(rel)
    return out


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
        if name not in doomed:
            doomed.append(name)
    # (what RESTRICT reports, what CASCADE reports) per dependent object, in PostgreSQL's
    # order: each relation, then the foreign keys of other schemas' tables that reference it.
    lines: list[tuple[str, str]] = []
    victims: list[cat.Relation] = []
    for name in doomed:
        members = _members(catalog, name)
        victims += members
        keys = {r.name for r in members if isinstance(r, Table)}
        for rel in members:
            shown = ".".join(catalog.split(rel.name))
            what = f"{_WORDS.get(rel.kind, 'relation')} {shown}"
            lines.append((f"{what} depends on schema {name}", what))
            for table in catalog.tables():
                if table.name in keys:
                    continue
                for con in table.constraints:
                    if con.kind == "f" and con.ref_table == rel.name:
                        owner = ".".join(catalog.split(table.name))
                        other = f"constraint {con.name} on table {owner}"
                        lines.append((f"{other} depends on {what}", other))
    if lines and not cascade:
        raise DependentObjectsStillExist(
            f"cannot drop schema {doomed[0]} because other objects depend on it",
            detail="\n".join(restrict for restrict, _ in lines),
            hint="Use DROP ... CASCADE to drop the dependent objects too.")
    if len(lines) == 1:
        ddl.notices.append(Notice("00000", f"drop cascades to {lines[0][1]}"))
    elif lines:
        detail = "\n".join(f"drop cascades to {what}" for _, what in lines)
        ddl.notices.append(Notice("00000", f"drop cascades to {len(lines)} other objects",
                                  extra={"D": detail}))
    # Views first (they read tables), then tables (their owned sequences go with them).
    for rel in sorted(victims, key=lambda r: (not isinstance(r, View), -r.oid)):
        if rel.name in ddl.catalog.by_name:
            ddl.drop_relation(ddl.catalog.by_name[rel.name], cascade=True)
    for name in doomed:
        ddl.conn.execute("DELETE FROM __pgha_namespaces WHERE name = ?", (name,))
    return "DROP SCHEMA"


def rename(ddl: DDL, node: Any) -> str:
    """ALTER SCHEMA ... RENAME TO (``node`` an ``ast.RenameStmt``)."""
    old, new = node.subname, node.newname
    schemas = ddl.catalog.schemas
    if old not in schemas:
        if old in namespaces.BUILTIN:
            raise FeatureNotSupported(f'renaming schema "{old}" is not supported')
        raise InvalidSchemaName(f'schema "{old}" does not exist')
    if namespaces.exists(new, schemas) or new == "pg_temp":
        raise DuplicateSchema(f'schema "{new}" already exists')
    if new.startswith("pg_"):
        raise ReservedName(f'unacceptable schema name "{new}"',
                           detail='The prefix "pg_" is reserved for system schemas.')
    if any(k.startswith(new + ".") for k in ddl.catalog.relation_names()):
        raise FeatureNotSupported(f'schema "{new}" cannot be renamed to "{new}" while a '
                                  f'relation of schema public is named "{new}.…"')
    ddl.conn.execute("UPDATE __pgha_namespaces SET name = ? WHERE name = ?", (new, old))
    _rekey(ddl, old, new)
    return "ALTER SCHEMA"


def _rekey(ddl: DDL, old: str, new: str) -> None:
    """Rename the relations of schema ``old`` to keys of ``new``: what PostgreSQL binds by
    OID pgha names by key, so every place a key is written changes with it: SQLite tables
    (SQLite rewrites the foreign keys that reference them), indexes and views (made again),
    foreign-key targets, owned sequences, nextval defaults, and the text of views that name
    the schema."""
    catalog = ddl.catalog

    def rekey(key: str) -> str:
        schema, name = catalog.split(key)
        return namespaces.key(new, name) if schema == old else key

    members = [r for r in catalog.by_oid.values() if catalog.split(r.name)[0] == old]
    if not members and not catalog.tables():
        return
    views = sorted((v for v in catalog.by_oid.values() if isinstance(v, View)
                    and (v in members or _names_schema(v.query, old))), key=lambda v: -v.oid)
    for view in views:
        ddl.conn.execute(f"DROP VIEW {q(view.name)}")
    tables = [t for t in members if isinstance(t, Table)]
    for table in tables:
        for idx in table.indexes:
            ddl.conn.execute(f"DROP INDEX {q(idx.name)}")
        ddl.conn.execute(f"ALTER TABLE {q(table.name)} RENAME TO {q(rekey(table.name))}")
    defaults = {f"nextval('{s.name}'::regclass)": f"nextval('{rekey(s.name)}'::regclass)"
                for s in members if isinstance(s, Sequence)}
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
    for rel in members:
        if isinstance(rel, Sequence):
            rel.name = rekey(rel.name)
            if rel.owned_by is not None:
                rel.owned_by = (rekey(rel.owned_by[0]), rel.owned_by[1])
            ddl.save(rel)
    for view in views:
        view.name = rekey(view.name)
        view.query = _renamed_in(view.query, old, new)
        ddl.save(view)
    # The indexes and views again, translated against the renamed catalog.
    renamed = cat.Catalog.load(ddl.conn, catalog.generation)
    again = DDL(ddl.conn, renamed, ddl.system, ddl.notices)
    for table in tables:
        fresh = renamed.table(rekey(table.name))
        assert fresh is not None
        for idx in fresh.indexes:
            ddl.conn.execute(again.create_index_sql(fresh, idx))
    for view in sorted(views, key=lambda v: v.oid):
        query = parse_sql(view.query)[0].stmt
        namespaces.qualify(query, renamed.by_name, renamed.index_owner, renamed.schemas,
                           (*renamed.schemas, "public"))
        tr = translate(renamed, ddl.system, query)
        cols = ", ".join(q(c.name) for c in view.columns)
        ddl.conn.execute(f"CREATE VIEW {q(view.name)} ({cols}) AS {tr.sql}")


def _names_schema(query: str, schema: str) -> bool:
    return any(type(n) is ast.RangeVar and n.schemaname == schema
               for n in namespaces._nodes(parse_sql(query)))


def _renamed_in(query: str, old: str, new: str) -> str:
    """A view's text with its relations of schema ``old`` qualified by ``new``."""
    tree = parse_sql(query)
    if not any(type(n) is ast.RangeVar and n.schemaname == old for n in namespaces._nodes(tree)):
        return query
    for node in namespaces._nodes(tree):
        if type(node) is ast.RangeVar and node.schemaname == old:
            node.schemaname = new
        elif type(node) is ast.ColumnRef and node.fields and type(node.fields[0]) is \
                ast.String and node.fields[0].sval == old and len(node.fields) >= 3:
            node.fields = (ast.String(sval=new), *node.fields[1:])
    return deparse(tree[0].stmt)


def alter_owner(ddl: DDL, node: Any, user: str) -> str:
    """ALTER SCHEMA ... OWNER TO (``node`` an ``ast.AlterOwnerStmt``)."""
    name = node.object.sval
    if name not in ddl.catalog.schemas:
        if name in namespaces.BUILTIN:
            raise FeatureNotSupported(f'changing the owner of schema "{name}" is not supported')
        raise InvalidSchemaName(f'schema "{name}" does not exist')
    owner = _role_name(node.newowner, user)
    _check_role(ddl.conn, owner)
    ddl.conn.execute("UPDATE __pgha_namespaces SET owner = ? WHERE name = ?", (owner, name))
    return "ALTER SCHEMA"
