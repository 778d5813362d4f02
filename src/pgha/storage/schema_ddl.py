"""CREATE SCHEMA, DROP SCHEMA, ALTER SCHEMA ... RENAME TO / OWNER TO (PostgreSQL 15 docs,
SQL commands). A schema is a row of ``__pgha_namespaces``; its relations are keyed ``s.t``
(see ``namespaces``). Rows are written through the DDL's connection, so they are logged and
replayed like any other catalog change.
"""

from __future__ import annotations

from typing import Any

from pglast import enums

from pgha.storage import catalog as cat
from pgha.storage import namespaces, roles
from pgha.storage.catalog import Sequence, Table, View
from pgha.storage.ddl import DDL
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
    if _members(ddl.catalog, old):
        # Relations are keyed by their schema's name in SQLite (tables, indexes, foreign keys,
        # sequence defaults, view texts): renaming would rewrite all of them.
        raise FeatureNotSupported("ALTER SCHEMA ... RENAME TO is not supported for a schema "
                                  "that holds relations")
    if any(k.startswith(new + ".") for k in ddl.catalog.relation_names()):
        raise FeatureNotSupported(f'schema "{new}" cannot be created while a relation of '
                                  f'schema public is named "{new}.…"')
    ddl.conn.execute("UPDATE __pgha_namespaces SET name = ? WHERE name = ?", (new, old))
    return "ALTER SCHEMA"


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
