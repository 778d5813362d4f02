"""Functions that psql, drivers and ORMs call on the catalog (pg_get_*def, format_type, ...).

Registered on each connection beside ``functions.register``; they read the session's catalog
snapshot through the same ``FunctionContext``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import apsw

from pgha.storage import builtin_functions, namespaces, pgcatalog, privileges, roles, viewdef
from pgha.storage import oids as T
from pgha.storage import types as pgtypes
from pgha.storage.catalog import FIRST_TEMP_OID, Catalog, Sequence, Table, View
from pgha.storage.functions.context import FunctionContext, _ts_text
from pgha.storage.functions.regclass import regclass_lookup, regtype_name
from pgha.wire.errors import (
    InvalidCatalogName,
    InvalidParameterValue,
    PgError,
    UndefinedFunction,
    UndefinedObject,
    UndefinedTable,
    WrongObjectType,
)

TEMPLATE_DATABASES = ("template0", "template1", 1, 4)  # listed in pg_database (names, OIDs)
PRIVILEGE_FUNCTIONS = (
    "has_table_privilege", "has_schema_privilege", "has_database_privilege",
    "has_column_privilege", "has_sequence_privilege", "has_function_privilege", "pg_has_role",
    "has_any_column_privilege",
)


def register(conn: apsw.Connection, ctx: FunctionContext) -> None:
    def f(name: str, fn: Callable[..., Any], nargs: int = -1) -> None:
        conn.create_scalar_function(name, fn, nargs)

    def cat() -> Catalog:
        assert ctx.catalog is not None
        return ctx.catalog

    def format_type(oid: Any, typmod: Any = None) -> str | None:
        if oid is None:
            return None
        if typmod is None and int(oid) in (T.BPCHAR, T.ARRAY_OF[T.BPCHAR]):
            return regtype_name(oid)  # no typmod given: SQL's "character" (format_type.c)
        return pgtypes.format_type(int(oid), -1 if typmod is None else int(typmod))

    f("format_type", format_type)
    def user_by_id(oid: Any) -> str | None:
        if oid is None:
            return None
        if int(oid) == pgcatalog.DATABASE_OWNER_OID:
            return "pg_database_owner"
        if int(oid) == pgcatalog.POSTGRES_ROLE_OID and roles.find(conn, ctx.user) is None:
            return ctx.user  # a --user login (no role row) owns what postgres owns
        role = next((r for r in roles.every(conn) if r.oid == int(oid)), None)
        return role.name if role is not None else f"unknown (OID={oid})"

    f("pg_get_userbyid", user_by_id, 1)
    f("pg_tablespace_location", lambda oid: "" if oid is not None else None, 1)
    f("pg_table_is_visible", lambda oid: _table_visible(ctx, oid), 1)
    for name in ("pg_type_is_visible", "pg_function_is_visible",
                 "pg_collation_is_visible", "pg_conversion_is_visible",
                 "pg_opclass_is_visible", "pg_opfamily_is_visible", "pg_operator_is_visible",
                 "pg_ts_config_is_visible", "pg_ts_dict_is_visible", "pg_ts_parser_is_visible",
                 "pg_ts_template_is_visible"):
        f(name, lambda oid: None if oid is None else 1, 1)
    f("pg_get_expr", lambda expr, rel=None, pretty=None: expr)
    f("pg_get_indexdef", lambda oid, col=0, pretty=None: _indexdef(cat(), oid, col))
    f("pg_get_constraintdef", lambda oid, pretty=None: pgcatalog.constraint_def(
        cat(), oid, namespaces.session_path(ctx.settings, ctx.user, cat().schemas)))
    f("pg_get_serial_sequence", lambda t, c: _serial_sequence(
        cat(), t, c, namespaces.session_path(ctx.settings, ctx.user, cat().schemas)), 2)
    f("pg_get_viewdef", lambda oid, pretty=None: _viewdef(
        cat(), oid, bool(pretty), namespaces.session_path(ctx.settings, ctx.user, cat().schemas)))
    f("pg_encoding_to_char", lambda n: "UTF8" if n is not None else None, 1)
    # Every pgha database is UTF8, PostgreSQL's encoding number 6 (\dO compares them).
    f("getdatabaseencoding", lambda: "UTF8", 0)
    f("pg_char_to_encoding", lambda name: None if name is None else (
        6 if str(name).upper().replace("-", "") == "UTF8" else -1), 1)
    f("pg_statistics_obj_is_visible", lambda oid: None if oid is None else 1, 1)
    # pgha has no extended statistics, triggers or rules: nothing has these definitions.
    for name in ("pg_get_statisticsobjdef_columns", "pg_get_triggerdef", "pg_get_ruledef"):
        f(name, lambda *a: None)
    # Functions are the built-in ones pg_proc lists (pgha has no user-defined functions).
    f("pg_get_functiondef", builtin_functions.function_definition, 1)
    # None of them has an SQL-standard body (BEGIN ATOMIC ... END): those were left out.
    f("pg_get_function_sqlbody", lambda oid: None, 1)
    for name, attr in (("pg_get_function_result", "result"),
                       ("pg_get_function_arguments", "arguments"),
                       ("pg_get_function_identity_arguments", "identity_arguments")):
        f(name, lambda oid, attr=attr: getattr(builtin_functions.by_oid(oid), attr, None), 1)
    # pgha keeps no comments (COMMENT ON is accepted): the only descriptions are those of
    # built-in objects that pg_description lists, as after initdb.
    f("obj_description", lambda oid, catalog=None: _description(conn, oid, catalog))
    for name in ("col_description", "shobj_description"):
        f(name, lambda *a: None)
    _register_privilege_checks(f, conn, ctx, cat)
    f("to_regtype", _to_regtype, 1)
    f("to_regclass", lambda name: _to_regclass(cat(), name), 1)
    # Sizes are the bytes of the SQLite b-trees that hold the relation (pgha has no TOAST,
    # free space map or visibility map forks), so they are pgha's, not PostgreSQL's: its
    # pages are SQLite's (4096 bytes) and an index has no metapage. As in PostgreSQL, a table
    # without rows is 0 bytes, an index never is, and total = table + indexes.
    f("pg_table_size", lambda oid: _btree_size(cat(), conn, oid, tables=True), 1)
    f("pg_relation_size", lambda oid, fork=None: _btree_size(cat(), conn, oid, tables=True)
      if fork in (None, "main") or oid is None else 0)
    f("pg_indexes_size", lambda oid: _btree_size(cat(), conn, oid, tables=False), 1)
    f("pg_total_relation_size", lambda oid: _btree_size(cat(), conn, oid, tables=True)
      + (_btree_size(cat(), conn, oid, tables=False) or 0), 1)
    f("pg_database_size", lambda db: _database_size(conn), 1)
    f("pg_postmaster_start_time", lambda: _ts_text(ctx.transaction_start), 0)
    f("pg_relation_is_publishable", lambda oid: 0, 1)


def _register_privilege_checks(f: Callable[..., None], conn: apsw.Connection,
                               ctx: FunctionContext, cat: Callable[[], Catalog]) -> None:
    """has_table_privilege and friends, with or without their first (role) argument: what
    the role holds, as ``privileges.Grants`` answers for the statement checks."""

    def split(args: tuple[Any, ...], n: int) -> tuple[privileges.Grants, tuple[Any, ...]]:
        if len(args) == n:
            return ctx.grants_of(None), args
        if len(args) != n + 1:
            raise UndefinedFunction("function with this number of arguments does not exist")
        return ctx.grants_of(args[0]), args[1:]

    def relation(value: Any) -> Any:
        return cat().by_oid.get(regclass_lookup(cat(), value))

    def table(*args: Any) -> Any:
        if any(a is None for a in args):
            return None
        grants, (rel, text) = split(args, 2)
        return int(privileges.has_relation_privilege(grants, relation(rel), text))

    def sequence(*args: Any) -> Any:
        if any(a is None for a in args):
            return None
        grants, (value, text) = split(args, 2)
        rel = relation(value)
        if rel is not None and not isinstance(rel, Sequence):
            raise WrongObjectType(f'"{rel.name}" is not a sequence')
        return int(privileges.has_relation_privilege(grants, rel, text, sequence=True))

    def column(*args: Any) -> Any:  # no column privileges: a table's privilege covers them
        if any(a is None for a in args):
            return None
        grants, (rel, _column, text) = split(args, 3)
        return int(privileges.has_relation_privilege(grants, relation(rel), text))

    def any_column(*args: Any) -> Any:
        if any(a is None for a in args):
            return None
        grants, (rel, text) = split(args, 2)
        return int(privileges.has_relation_privilege(grants, relation(rel), text))

    def schema(*args: Any) -> Any:
        if any(a is None for a in args):
            return None
        grants, (name, text) = split(args, 2)
        name = {pgcatalog.PUBLIC_NAMESPACE_OID: "public", 11: "pg_catalog"}.get(name, name)
        schemas = cat().schemas
        if isinstance(name, int):
            name = next((s.name for s in schemas.values() if s.oid == name), str(name))
        return int(privileges.has_schema_privilege(grants, schemas, str(name), text))

    def database(*args: Any) -> Any:
        if any(a is None for a in args):
            return None
        grants, (name, text) = split(args, 2)
        if name in TEMPLATE_DATABASES and str(text).strip().upper() == "CONNECT":
            return 1  # their ACL, as after initdb: =c/postgres (psql's \l+ asks)
        if name not in (ctx.database, pgcatalog.DATABASE_OID, *TEMPLATE_DATABASES):
            raise InvalidCatalogName(f'database "{name}" does not exist')
        return int(privileges.has_database_privilege(grants, text))

    def function(*args: Any) -> Any:  # built-in functions: EXECUTE is PUBLIC's
        return None if any(a is None for a in args) else 1

    def has_role(*args: Any) -> Any:
        if any(a is None for a in args):
            return None
        grants, (role, text) = split(args, 2)
        target = roles.find(conn, str(role)) if not isinstance(role, int) else next(
            (r for r in roles.every(conn) if r.oid == role), None)
        if target is None:
            raise UndefinedObject(f'role "{role}" does not exist')
        words = [w.strip().lower() for w in str(text).split(",")]
        for word in words:
            if word.removesuffix(" with admin option") not in ("member", "usage", "set"):
                raise InvalidParameterValue(f'unrecognized privilege type: "{word}"')
        if grants.superuser:
            return 1
        member = target.oid in roles.member_of(conn, grants.role_oid)
        return int(any(member if w.startswith(("member", "set")) else target.oid in grants.roles
                       for w in words))

    for name, fn in (("has_table_privilege", table), ("has_sequence_privilege", sequence),
                     ("has_column_privilege", column), ("has_any_column_privilege", any_column),
                     ("has_schema_privilege", schema), ("has_database_privilege", database),
                     ("has_function_privilege", function), ("pg_has_role", has_role)):
        assert name in PRIVILEGE_FUNCTIONS
        f(name, fn)


def _indexdef(catalog: Catalog, oid: Any, col: Any) -> Any:
    for table in catalog.tables():
        for idx in table.indexes:
            if idx.oid == oid:
                if col:
                    return idx.columns[int(col) - 1] if int(col) <= len(idx.columns) else ""
                return pgcatalog.index_def(table, idx, catalog)
    return None


def _viewdef(catalog: Catalog, oid: Any, pretty: bool, path: tuple[str, ...]) -> Any:
    rel = catalog.by_oid.get(int(oid)) if oid is not None else None
    return viewdef.view_definition(catalog, rel, pretty, path) if isinstance(rel, View) else None


def _table_visible(ctx: FunctionContext, oid: Any) -> Any:
    """pg_table_is_visible: found by its bare name along the search path (system relations
    and temporary tables always are)."""
    if oid is None:
        return None
    catalog = ctx.catalog
    if catalog is None:
        return 1
    rel = catalog.by_oid.get(int(oid))
    key = rel.name if rel is not None else next(
        (i.name for t in catalog.tables() for i in t.indexes if i.oid == int(oid)), None)
    if key is None or int(oid) >= FIRST_TEMP_OID:
        return 1
    path = namespaces.session_path(ctx.settings, ctx.user, catalog.schemas)
    names = dict(catalog.by_name)
    names.update(catalog.index_owner)
    return 1 if namespaces.visible(key, names, catalog.schemas, path) else 0


def _serial_sequence(catalog: Catalog, table: Any, column: Any,
                     path: tuple[str, ...]) -> Any:
    if table is None or column is None:
        return None
    owner = catalog.by_oid.get(regclass_lookup(catalog, table, path))
    if not isinstance(owner, Table):
        raise UndefinedTable(f'relation "{table}" does not exist')
    for rel in catalog.by_name.values():
        if isinstance(rel, Sequence) and rel.owned_by == (owner.name, str(column)):
            return ".".join(catalog.split(rel.name))
    return None


def _to_regtype(name: Any) -> Any:
    if name is None:
        return None
    t = pgtypes.type_by_name(str(name).split(".")[-1])
    return t.oid if t else None


def _to_regclass(catalog: Catalog, name: Any) -> Any:
    try:
        return regclass_lookup(catalog, name) if name is not None else None
    except PgError:
        return None


def _btree_size(catalog: Catalog, conn: apsw.Connection, oid: Any, tables: bool) -> Any:
    """With ``tables``, the bytes of the table or index ``oid``; without, the bytes of the
    indexes of table ``oid`` (pg_indexes_size). NULL for an OID that names no relation."""
    if oid is None:
        return None
    if isinstance(oid, str) and not oid.isdigit():  # the argument is a regclass: a name
        oid = regclass_lookup(catalog, oid)
    rel = catalog.by_oid.get(int(oid))
    names: list[str] = []
    if isinstance(rel, Table):
        names = [rel.name] if tables else [idx.name for idx in rel.indexes]
    elif rel is None:
        owner = next((t for t in catalog.tables() for idx in t.indexes if idx.oid == int(oid)),
                     None)
        if owner is None:
            return None
        names = [idx.name for idx in owner.indexes if idx.oid == int(oid)] if tables else []
    if not names:
        return 0
    marks = ", ".join("?" for _ in names)
    try:
        row = conn.execute(f"SELECT sum(pgsize), sum(ncell) FROM dbstat WHERE name IN ({marks})",
                           names).fetchone()
    except apsw.Error:
        return 0
    if not row or (isinstance(rel, Table) and tables and not row[1]):
        # A table no row was written to has no pages in PostgreSQL ("0 bytes"); SQLite keeps
        # an empty root page for it.
        return 0
    return int(row[0] or 0)


def _description(conn: apsw.Connection, oid: Any, catalog: Any) -> Any:
    if not isinstance(oid, int) and not str(oid).isdigit():
        return None  # NULL, or a regproc held as a name (pg_operator.oprcode)
    sql = "SELECT description FROM pg_catalog.pg_description WHERE objoid = ? AND objsubid = 0"
    args: list[Any] = [int(oid)]
    if catalog is not None:
        classoid = pgcatalog.SYSTEM_OIDS.get(str(catalog).split(".")[-1])
        if classoid is None:
            return None
        sql += " AND classoid = ?"
        args.append(classoid)
    row = conn.execute(sql, args).fetchone()
    return row[0] if row else None


def _database_size(conn: apsw.Connection) -> int:
    page_count = conn.execute("PRAGMA page_count").fetchone()[0]
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    return int(page_count) * int(page_size)
