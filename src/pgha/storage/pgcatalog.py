"""``pg_catalog`` and ``information_schema`` derived from pgha's own schema metadata.

Each connection ATTACHes two in-memory schemas named ``pg_catalog`` and
``information_schema`` and fills their tables from the current ``Catalog`` snapshot when a query
first references them after the schema changed. The relations and their column types are
declared once, in ``pgcatalog_schema``, and serve both the analyzer (RowDescription types) and
the SQLite DDL; this module builds the rows (and the definition texts of indexes and
constraints). OIDs of built-in objects are PostgreSQL's fixed ones; user objects keep the OIDs
the catalog allocated.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

import apsw
from pglast import ast, parse_sql

from pgha.storage import builtin_functions, namespaces, privileges, roles, viewdef
from pgha.storage import oids as T
from pgha.storage import types as pgtypes
from pgha.storage.builtin_cast_rows import CASTS
from pgha.storage.builtin_operator_rows import OPERATORS
from pgha.storage.catalog import (
    FIRST_TEMP_OID,
    PG_CATALOG_NAMESPACE_OID,
    PUBLIC_NAMESPACE_OID,
    Catalog,
    Sequence,
    Table,
    View,
)
from pgha.storage.columns import ColInfo
from pgha.storage.pgcatalog_schema import (
    ACCESS_METHODS,
    BTREE_AM,
    DATABASE_OID,
    DATABASE_OWNER_OID,
    HEAP_AM,
    INFORMATION_SCHEMA,
    PG_CATALOG,
    PLPGSQL_OID,
    POSTGRES_ROLE_OID,
    PREDEFINED_ROLES,
    SYSTEM_OIDS,
)


def system_relation(schema: str | None, name: str) -> list[ColInfo] | None:
    """Columns of a pg_catalog/information_schema relation, or None if there is none."""
    if schema in (None, "pg_catalog") and name in PG_CATALOG:
        return [ColInfo(c, (t, -1)) for c, t in PG_CATALOG[name]]
    if schema == "information_schema" and name in INFORMATION_SCHEMA:
        return [ColInfo(c, (t, -1)) for c, t in INFORMATION_SCHEMA[name]]
    return None


def references_system(sql_lower: str) -> bool:
    return "pg_" in sql_lower or "information_schema" in sql_lower


def attach(conn: apsw.Connection) -> None:
    """Attach the two schemas (in memory, empty) to a new connection: ATTACH is refused inside
    a transaction, so it is done at once; their tables, which cost about 600 KB a
    connection, wait until a statement reads them (``install``)."""
    conn.execute("ATTACH DATABASE ':memory:' AS pg_catalog")
    conn.execute("ATTACH DATABASE ':memory:' AS information_schema")


def install(conn: apsw.Connection) -> None:
    """Create the schemas' (empty) tables, those that do not exist (a transaction that made
    them may have been rolled back, wholly or to a savepoint)."""
    for schema, tables in (("pg_catalog", PG_CATALOG), ("information_schema", INFORMATION_SCHEMA)):
        for name, cols in tables.items():
            decls = ", ".join(f'"{c}" {_decl(t)}' for c, t in cols)
            conn.execute(f'CREATE TABLE IF NOT EXISTS {schema}."{name}" ({decls})')


def _decl(oid: int) -> str:
    if oid in (T.INT2, T.INT4, T.INT8, T.OID, T.BOOL, T.XID):
        return "INT"
    if oid in (T.FLOAT4, T.FLOAT8):
        return "REAL"
    return "TEXT"


def _b(v: bool) -> int:
    return 1 if v else 0


def refresh(
    conn: apsw.Connection, catalog: Catalog, user: str, database: str, settings: dict[str, str]
) -> None:
    """Refill every catalog table from ``catalog`` (cheap: the schema is small)."""
    rows = _rows(catalog, conn, user, database, settings)
    with conn:
        for schema, tables in (
            ("pg_catalog", PG_CATALOG),
            ("information_schema", INFORMATION_SCHEMA),
        ):
            for name, cols in tables.items():
                conn.execute(f'DELETE FROM {schema}."{name}"')
                data = rows.get(name if schema == "pg_catalog" else f"is.{name}")
                if data:
                    marks = ", ".join("?" for _ in cols)
                    conn.executemany(f'INSERT INTO {schema}."{name}" VALUES ({marks})', data)


def _json_or_none(value: list[str] | None) -> str | None:
    return None if value is None else json.dumps(value)


def _rows(
    catalog: Catalog,
    conn: apsw.Connection,
    user: str,
    database: str,
    settings: dict[str, str],
) -> dict[str, list[tuple[Any, ...]]]:
    out: dict[str, list[tuple[Any, ...]]] = {k: [] for k in PG_CATALOG}
    known = roles.every(conn)
    if not any(r.name == user for r in known):  # a --user login: a superuser, not a row
        known.append(roles.Role(user, POSTGRES_ROLE_OID + 1, superuser=True, createdb=True,
                                createrole=True, login=True, replication=True))
    names = {r.oid: r.name for r in known}
    names.update(PREDEFINED_ROLES)
    out["pg_namespace"] = [
        (PG_CATALOG_NAMESPACE_OID, "pg_catalog", POSTGRES_ROLE_OID, None),
        (PUBLIC_NAMESPACE_OID, "public", DATABASE_OWNER_OID,  # as in PostgreSQL 15
         json.dumps([item.text(names) for item in privileges.schema_acl(conn)])),
        (13000, "information_schema", POSTGRES_ROLE_OID, None),
        (99, "pg_toast", POSTGRES_ROLE_OID, None),
    ]
    known = roles.every(conn)
    role_oids = {r.name: r.oid for r in known}
    out["pg_namespace"] += [
        (schema.oid, schema.name,
         POSTGRES_ROLE_OID if schema.owner in (user, "postgres") or schema.owner not in role_oids
         else role_oids[schema.owner], _json_or_none(privileges.schema_acl_texts(schema, names)))
        for schema in catalog.schemas.values()]
    # PostgreSQL 15's access methods, as after initdb (\\dA): pgha accepts every index
    # method's name in CREATE INDEX ... USING and builds a b-tree (relam btree).
    out["pg_am"] = [(oid, name, handler, kind) for oid, name, handler, kind, _ in ACCESS_METHODS]
    out["pg_description"] += [(oid, SYSTEM_OIDS["pg_am"], 0, text)
                              for oid, _, _, _, text in ACCESS_METHODS]
    # The templates are listed as after initdb (\\l), though only --database names connect.
    template_acl = json.dumps(["=c/postgres", "postgres=CTc/postgres"])
    out["pg_database"] = [
        (oid, name, POSTGRES_ROLE_OID, 6, "c", _b(template), _b(connect), -1, "C.UTF-8",
         "C.UTF-8", None, None, acl, 1663)
        for oid, name, template, connect, acl in (
            (DATABASE_OID, database, False, True, None),
            (1, "template1", True, True, template_acl),
            (4, "template0", True, False, template_acl))]
    out["pg_roles"] = [
        (r.name, _b(r.superuser), _b(r.inherit), _b(r.createrole), _b(r.createdb),
         _b(r.login), _b(r.replication), r.connlimit, "********", r.valid_until,
         _b(r.bypassrls), None, r.oid) for r in known]
    # PostgreSQL 15's predefined roles (psql completes GRANT ... TO with them; \du hides them).
    out["pg_roles"] += [(name, 0, 1, 0, 0, 0, 0, -1, "********", None, 0, None, oid)
                        for oid, name in PREDEFINED_ROLES]
    out["pg_db_role_setting"] = [(0, role, json.dumps(config))
                                 for role, config in roles.role_settings(conn)]
    out["pg_auth_members"] = [(r, m, g, _b(a)) for r, m, g, a in roles.memberships(conn)]
    out["pg_user"] = [
        (r.name, r.oid, _b(r.createdb), _b(r.superuser), _b(r.replication), _b(r.bypassrls),
         "********", r.valid_until, None) for r in known if r.login]
    out["pg_extension"] = [(PLPGSQL_OID, "plpgsql", POSTGRES_ROLE_OID,
                            PG_CATALOG_NAMESPACE_OID, 0, "1.0")]
    out["pg_description"].append((PUBLIC_NAMESPACE_OID, SYSTEM_OIDS["pg_namespace"], 0,
                                  "standard public schema"))
    out["pg_description"] += [(oid, classoid, 0, text) for oid, classoid, text
                              in builtin_functions.DESCRIPTIONS]
    out["pg_description"].append((PLPGSQL_OID, SYSTEM_OIDS["pg_extension"], 0,
                                  "PL/pgSQL procedural language"))
    out["pg_description"] += [(oid, SYSTEM_OIDS["pg_language"], 0, text) for oid, text in (
        (12, "built-in functions"), (13, "dynamically-loaded C functions"),
        (14, "SQL-language functions"), (13563, "PL/pgSQL procedural language"))]
    out["pg_tablespace"] = [
        (1663, "pg_default", POSTGRES_ROLE_OID, None, None),
        (1664, "pg_global", POSTGRES_ROLE_OID, None, None),
    ]
    out["pg_collation"] = [
        (100, "default", PG_CATALOG_NAMESPACE_OID, "d", 1, -1, None, None, None, None),
        (950, "C", PG_CATALOG_NAMESPACE_OID, "c", 1, -1, "C", "C", None, None),
    ]
    out["pg_settings"] = [
        (k, v, None, "pgha", "", "user", "string", "default", v, v)
        for k, v in sorted(settings.items())
    ]
    out["pg_type"] = [_type_row(t) for t in _all_types()]
    out["pg_cast"] = list(CASTS)  # between pgha's types only
    out["pg_operator"] = [(oid, name, PG_CATALOG_NAMESPACE_OID, POSTGRES_ROLE_OID, *rest)
                          for oid, name, *rest, _ in OPERATORS]
    out["pg_description"] += [(row[0], SYSTEM_OIDS["pg_operator"], 0, row[-1])
                              for row in OPERATORS]
    out["pg_proc"] = [builtin_functions.pg_proc_row(fn)
                      for fn in builtin_functions.builtin_functions()]
    out["pg_language"] = [  # as after initdb
        (12, "internal", POSTGRES_ROLE_OID, 0, 0, 0, 0, 2246, None),
        (13, "c", POSTGRES_ROLE_OID, 0, 0, 0, 0, 2247, None),
        (14, "sql", POSTGRES_ROLE_OID, 0, 1, 0, 0, 2248, None),
        (13563, "plpgsql", POSTGRES_ROLE_OID, 1, 1, 13560, 13561, 13562, None),
    ]
    isrows: dict[str, list[tuple[Any, ...]]] = {f"is.{k}": [] for k in INFORMATION_SCHEMA}
    isrows["is.table_privileges"], isrows["is.role_table_grants"] = _table_grants(
        catalog, conn, user, database, names)
    isrows["is.schemata"] = [
        (database, s, user) for s in ("pg_catalog", "public", "information_schema")
    ] + [(database, schema.name, schema.owner) for schema in catalog.schemas.values()]
    for rel in catalog.by_oid.values():
        if isinstance(rel, Table):
            _table_rows(rel, catalog, out, isrows, database, names)
        elif isinstance(rel, View):
            schema, name = catalog.split(rel.name)
            out["pg_class"].append(_class_row(rel.oid, name, "v", len(rel.columns),
                                              namespace=catalog.namespace_oid(rel.name),
                                              owner=rel.owner,
                                              acl=privileges.acl_texts(rel, names)))
            definition = viewdef.view_definition(catalog, rel, pretty=False)
            out["pg_views"].append((schema, name, names.get(rel.owner, user), definition))
            isrows["is.tables"].append((database, schema, name, "VIEW", "NO"))
            isrows["is.views"].append((schema, name, definition))
            if rel.rule_oid:  # its _RETURN rule, and what the rule depends on (as in PG 15)
                out["pg_rewrite"].append((rel.rule_oid, "_RETURN", rel.oid))
                rule = (2618, rel.rule_oid, 0, 1259)
                out["pg_depend"] += [(*rule, rel.oid, 0, "i"), (*rule, rel.oid, 0, "n")]
                out["pg_depend"] += [(*rule, oid, attnum, "n")
                                     for oid, attnum in rel.depends or ()]
            for i, col in enumerate(rel.columns, 1):
                out["pg_attribute"].append(
                    _attr_row(rel.oid, col.name, col.type_oid, col.typmod, i, False, False, "")
                )
        elif isinstance(rel, Sequence):
            schema, name = catalog.split(rel.name)
            out["pg_class"].append(_class_row(rel.oid, name, "S", 3,
                                              namespace=catalog.namespace_oid(rel.name),
                                              owner=rel.owner,
                                              acl=privileges.acl_texts(rel, names)))
            out["pg_sequence"].append(
                (
                    rel.oid,
                    rel.type_oid,
                    rel.start,
                    rel.increment,
                    rel.max_value,
                    rel.min_value,
                    rel.cache,
                    _b(rel.cycle),
                )
            )
            row = conn.execute(
                "SELECT last_value, is_called FROM __pgha_sequence_values WHERE oid = ?", (rel.oid,)
            ).fetchone()
            out["pg_sequences"].append(
                (
                    schema,
                    name,
                    user,
                    rel.type_oid,
                    rel.start,
                    rel.min_value,
                    rel.max_value,
                    rel.increment,
                    _b(rel.cycle),
                    rel.cache,
                    row[0] if row and row[1] else None,
                )
            )
            isrows["is.sequences"].append(
                (
                    schema,
                    name,
                    pgtypes.format_type(rel.type_oid, -1),
                    str(rel.start),
                    str(rel.increment),
                )
            )
            if rel.owned_by is not None:
                owner = catalog.table(rel.owned_by[0])
                col = owner.column(rel.owned_by[1]) if owner else None
                if owner is not None and col is not None:
                    out["pg_depend"].append(
                        (
                            1259,
                            rel.oid,
                            0,
                            1259,
                            owner.oid,
                            col.attnum,
                            "i" if col.identity else "a",
                        )
                    )
    out.update(isrows)
    return out


def _storage(type_oid: int, typlen: int) -> str:
    """typstorage/attstorage as PostgreSQL's: plain for fixed-size types, main for numeric
    (compressed, kept inline), extended (TOAST-able) for the other variable-size ones."""
    if typlen != -1:
        return "p"
    return "m" if type_oid == T.NUMERIC else "x"


_STRING_CONSTANT = re.compile(r"'(?:[^']|'')*'")


def _deparsed_default(text: str, type_oid: int) -> str:
    """A column default as pg_get_expr prints it: a string constant carries its type's
    cast (``'x'::text``, ``'draft'::character varying``), the way PostgreSQL stores it."""
    if _STRING_CONSTANT.fullmatch(text.strip()):
        return f"{text.strip()}::{pgtypes.format_type(type_oid, -1)}"
    if text.upper() in ("TRUE", "FALSE"):
        return text.lower()
    return text


def _all_types() -> Iterable[Any]:
    return sorted(pgtypes.TYPES_BY_OID.values(), key=lambda t: t.oid)


def _type_row(t: Any) -> tuple[Any, ...]:
    is_array = bool(getattr(t, "elem_oid", 0))
    return (
        t.oid,
        t.name,
        PG_CATALOG_NAMESPACE_OID,
        POSTGRES_ROLE_OID,
        t.typlen,
        _b(t.typlen in (1, 2, 4, 8)),
        "b",
        getattr(t, "category", "U"),
        0,
        1,
        ",",
        0,
        0,
        getattr(t, "elem_oid", 0),
        getattr(t, "array_oid", 0),
        "array_in" if is_array else f"{t.name}in",
        "array_out" if is_array else f"{t.name}out",
        "array_recv" if is_array else f"{t.name}recv",
        "array_send" if is_array else f"{t.name}send",
        "i",
        _storage(t.oid, t.typlen),
        0,
        0,
        -1,
        0,
        100 if t.oid in (T.TEXT, T.VARCHAR, T.BPCHAR, T.NAME) else 0,
        None,
        None,
    )


def _table_grants(catalog: Catalog, conn: apsw.Connection, user: str, database: str,
                  names: dict[int, str]) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """information_schema.table_privileges and role_table_grants: one row per privilege of
    each aclitem of a table or view, those whose grantor or grantee is a role the user holds
    the privileges of (table_privileges also PUBLIC's). An owner's privileges are grantable."""
    grants = privileges.grants_for(conn, user)
    table_rows: list[tuple[Any, ...]] = []
    role_rows: list[tuple[Any, ...]] = []
    for rel in catalog.by_oid.values():
        if rel.kind not in ("r", "v") or rel.oid >= FIRST_TEMP_OID:
            continue
        for item in privileges.acl_of(rel):
            mine = grants.superuser or item.grantor in grants.roles or \
                item.grantee in grants.roles
            if not mine and item.grantee != privileges.PUBLIC:
                continue
            grantee = "PUBLIC" if item.grantee == privileges.PUBLIC else names.get(
                item.grantee, str(item.grantee))
            for letter in item.privileges:
                row = (names.get(item.grantor, str(item.grantor)), grantee, database, "public",
                       rel.name, privileges.WORDS[letter],
                       "YES" if letter in item.options or item.grantee == rel.owner else "NO",
                       "YES" if letter == "r" else "NO")
                table_rows.append(row)
                if mine and item.grantee != privileges.PUBLIC:
                    role_rows.append(row)
    return table_rows, role_rows


def _class_row(
    oid: int,
    name: str,
    kind: str,
    natts: int,
    has_index: bool = False,
    checks: int = 0,
    triggers: bool = False,
    namespace: int = PUBLIC_NAMESPACE_OID,
    owner: int = POSTGRES_ROLE_OID,
    acl: list[str] | None = None,
) -> tuple[Any, ...]:
    return (
        oid,
        name,
        namespace,
        0,
        0,
        owner,
        HEAP_AM if kind == "r" else (BTREE_AM if kind == "i" else 0),
        oid,
        0,
        1 if kind == "i" else 0,  # a fresh index has its metapage; a table is not analysed
        0.0 if kind == "i" else -1.0,
        0,
        0,
        _b(has_index),
        0,
        "t" if oid >= FIRST_TEMP_OID else "p",
        kind,
        natts,
        checks,
        _b(kind == "v"),  # relhasrules: a view's _RETURN rule
        _b(triggers),
        0,
        0,
        0,
        1,
        "d",
        0,
        0,
        0,
        0,
        None if acl is None else json.dumps(acl),
        None,
        None,
    )


def _attr_row(
    rel_oid: int,
    name: str,
    type_oid: int,
    typmod: int,
    attnum: int,
    not_null: bool,
    has_default: bool,
    identity: str,
) -> tuple[Any, ...]:
    t = pgtypes.TYPES_BY_OID.get(type_oid)
    typlen = t.typlen if t else -1
    collation = 100 if type_oid in (T.TEXT, T.VARCHAR, T.BPCHAR) else 0
    return (
        rel_oid,
        name,
        type_oid,
        -1,
        typlen,
        attnum,
        0,
        -1,
        typmod,
        _b(typlen in (1, 2, 4, 8)),
        "i",
        _storage(type_oid, typlen),
        "",
        _b(not_null),
        _b(has_default),
        0,
        identity,
        "",
        0,
        1,
        0,
        collation,
        None,
        None,
    )


def _table_rows(
    rel: Table,
    catalog: Catalog,
    out: dict[str, list[tuple[Any, ...]]],
    isrows: dict[str, list[tuple[Any, ...]]],
    database: str,
    names: dict[int, str],
) -> None:
    checks = sum(1 for c in rel.constraints if c.kind == "c")
    owner = names.get(rel.owner, "postgres")
    has_fk = any(c.kind == "f" for c in rel.constraints) or any(
        c.kind == "f" and c.ref_table == rel.name for t in catalog.tables() for c in t.constraints
    )
    schema, name = catalog.split(rel.name)
    namespace = catalog.namespace_oid(rel.name)
    out["pg_class"].append(
        _class_row(rel.oid, name, "r", len(rel.columns), bool(rel.indexes), checks, has_fk,
                   namespace=namespace, owner=rel.owner, acl=privileges.acl_texts(rel, names))
    )
    out["pg_tables"].append(
        (schema, name, owner, None, _b(bool(rel.indexes)), 0, _b(has_fk), 0)
    )
    table_type = "LOCAL TEMPORARY" if rel.oid >= FIRST_TEMP_OID else "BASE TABLE"
    isrows["is.tables"].append((database, schema, name, table_type, "YES"))
    attnums = {c.name: c.attnum for c in rel.columns}
    for col in rel.columns:
        out["pg_attribute"].append(
            _attr_row(
                rel.oid,
                col.name,
                col.type_oid,
                col.typmod,
                col.attnum,
                col.not_null,
                col.default is not None,
                col.identity,
            )
        )
        if col.default is not None and not col.identity:
            out["pg_attrdef"].append(
                (rel.oid * 1000 + col.attnum, rel.oid, col.attnum,
                 _deparsed_default(col.default, col.type_oid))
            )
        precision, scale, charlen = _numeric_info(col.type_oid, col.typmod)
        isrows["is.columns"].append(
            (
                database,
                schema,
                name,
                col.name,
                col.attnum,
                None if col.identity or col.default is None
                else _deparsed_default(col.default, col.type_oid),
                "NO" if col.not_null else "YES",
                pgtypes.format_type(col.type_oid, -1).split("(")[0]
                if col.type_oid not in (T.TIMESTAMPTZ, T.TIMESTAMP, T.TIME)
                else pgtypes.format_type(col.type_oid, -1),
                charlen,
                precision,
                scale,
                pgtypes.TYPES_BY_OID[col.type_oid].name
                if col.type_oid in pgtypes.TYPES_BY_OID
                else None,
                "YES" if col.identity else "NO",
            )
        )
    by_name = {c.name: c for c in rel.columns}
    for idx in rel.indexes:
        con = next((c for c in rel.constraints if c.name == idx.constraint), None)
        keys = " ".join(str(attnums.get(c, 0)) for c in idx.columns)
        out["pg_class"].append(_class_row(idx.oid, catalog.relname(idx.name), "i",
                                          len(idx.columns), namespace=namespace,
                                          owner=rel.owner))
        for n, column in enumerate(idx.columns, 1):  # an index has attributes too (psql \d)
            col = by_name.get(column)
            out["pg_attribute"].append(_attr_row(
                idx.oid, column if col else "expr", col.type_oid if col else T.TEXT,
                col.typmod if col else -1, n, False, False, ""))
        out["pg_index"].append(
            (
                idx.oid,
                rel.oid,
                len(idx.columns),
                len(idx.columns),
                _b(idx.unique),
                0,
                _b(con is not None and con.kind == "p"),
                0,
                1,
                0,
                1,
                0,
                1,
                1,
                0,
                keys,
                " ".join("0" for _ in idx.columns),
                " ".join("1978" for _ in idx.columns),
                " ".join(str(idx.option(i)) for i in range(len(idx.columns))),
                None,
                None,
            )
        )
        out["pg_indexes"].append((schema, name, catalog.relname(idx.name), None,
                                  index_def(rel, idx, catalog)))
    for pos, con in enumerate(rel.constraints):
        conkey = json.dumps([attnums.get(c, 0) for c in con.columns]) if con.columns else None
        ref = catalog.table(con.ref_table) if con.ref_table else None
        confkey = (
            json.dumps(
                [
                    ref.column(c).attnum if ref and ref.column(c) else 0  # type: ignore[union-attr]
                    for c in con.ref_columns
                ]
            )
            if ref
            else None
        )
        index_oid = next((i.oid for i in rel.indexes if i.constraint == con.name), 0)
        if con.kind == "f" and ref is not None:
            # A foreign key's conindid is the referenced table's unique index it relies on.
            index_oid = next((i.oid for i in ref.indexes
                              if i.unique and set(i.columns) == set(con.ref_columns)), 0)
        out["pg_constraint"].append(
            (
                con.oid or rel.oid * 1000 + 500 + pos,
                con.name,
                namespace,
                con.kind,
                1 if con.deferrable else 0,
                1 if con.deferred else 0,
                1,
                rel.oid,
                0,
                index_oid,
                0,
                ref.oid if ref else 0,
                con.on_update,
                con.on_delete,
                "s",
                1,
                0,
                0,
                conkey,
                confkey,
                con.expr,
            )
        )
        kind = {"p": "PRIMARY KEY", "u": "UNIQUE", "c": "CHECK", "f": "FOREIGN KEY"}[con.kind]
        isrows["is.table_constraints"].append(
            (database, schema, con.name, schema, name, kind)
        )
        for i, c in enumerate(con.columns, 1):
            isrows["is.key_column_usage"].append((schema, con.name, schema, name, c, i))


def _numeric_info(oid: int, typmod: int) -> tuple[int | None, int | None, int | None]:
    if oid == T.INT2:
        return 16, 0, None
    if oid == T.INT4:
        return 32, 0, None
    if oid == T.INT8:
        return 64, 0, None
    if oid == T.NUMERIC and typmod >= 4:
        return (typmod - 4) >> 16, (typmod - 4) & 0xFFFF, None
    if oid in (T.VARCHAR, T.BPCHAR) and typmod >= 4:
        return None, None, typmod - 4
    return None, None, None


def _index_element(text: str) -> str:
    """An index expression as pg_get_indexdef shows it: a function call bare, any other
    expression in two pairs of parentheses."""
    expr = parse_sql(f"SELECT {text}")[0].stmt.targetList[0].val
    return text if isinstance(expr, ast.FuncCall) else f"(({text}))"


def index_def(rel: Table, idx: Any, catalog: Catalog | None = None) -> str:
    cols = ", ".join((_index_element(c) if i in idx.expressions else c) + idx.order_text(i)
                     for i, c in enumerate(idx.columns))
    unique = "UNIQUE " if idx.unique else ""
    where = f" WHERE ({idx.predicate})" if idx.predicate else ""
    schema, table = catalog.split(rel.name) if catalog is not None else ("public", rel.name)
    name = catalog.relname(idx.name) if catalog is not None else idx.name
    return f"CREATE {unique}INDEX {name} ON {schema}.{table} USING btree ({cols}){where}"


def constraint_def(catalog: Catalog, con_oid: int,
                   path: tuple[str, ...] | None = None) -> str | None:
    """pg_get_constraintdef; a referenced table ``path`` (the search path) does not find by
    its bare name prints qualified."""
    found = catalog.constraint_oids.get(con_oid)
    if found is None:
        return None
    _rel, con = found
    cols = ", ".join(con.columns)
    if con.kind == "p":
        return f"PRIMARY KEY ({cols})"
    if con.kind == "u":
        return f"UNIQUE ({cols})"
    if con.kind == "c":
        return f"CHECK ({con.expr})"
    actions = {"c": "CASCADE", "n": "SET NULL", "d": "SET DEFAULT", "r": "RESTRICT"}
    ref = con.ref_table or ""
    if path is not None:
        schema, bare = catalog.split(ref)
        ref = bare if namespaces.visible(ref, catalog.by_name, catalog.schemas, path) else \
            f"{schema}.{bare}"
    text = f"FOREIGN KEY ({cols}) REFERENCES {ref}({', '.join(con.ref_columns)})"
    if con.on_update in actions:
        text += f" ON UPDATE {actions[con.on_update]}"
    if con.on_delete in actions:
        text += f" ON DELETE {actions[con.on_delete]}"
    return text
