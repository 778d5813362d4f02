"""regclass and regtype: a relation's OID from its name and back (the session's catalog, then
the system relations), a type's name from its OID.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import apsw

from pgha.storage import namespaces
from pgha.storage import oids as T
from pgha.storage import types as pgtypes
from pgha.storage.catalog import FIRST_TEMP_OID, Catalog
from pgha.storage.functions.casts import _cast
from pgha.storage.functions.context import FunctionContext, registrar
from pgha.storage.types_array import quote_element
from pgha.wire.errors import InsufficientPrivilege, UndefinedTable


def seq_regclass(ctx: FunctionContext, value: Any) -> int:
    return regclass_lookup(ctx.catalog, value, _path(ctx), ctx.schema_usable)


def _path(ctx: FunctionContext) -> tuple[str, ...]:
    if ctx.search_path is not None:
        return ctx.search_path()
    schemas = ctx.catalog.schemas if ctx.catalog is not None else {}
    return namespaces.session_path(ctx.settings, ctx.user, schemas)


def name_parts(text: str) -> list[str]:
    """A possibly qualified, possibly quoted name as regclass input reads it."""
    parts: list[str] = []
    rest = text
    while True:
        if rest.startswith('"'):
            end = 1
            while True:
                end = rest.index('"', end)
                if rest[end + 1: end + 2] == '"':
                    end += 2
                    continue
                break
            parts.append(rest[1:end].replace('""', '"'))
            rest = rest[end + 1:]
        else:
            head, dot, tail = rest.partition(".")
            parts.append(head.strip().lower())
            rest = dot + tail
        if not rest.startswith("."):
            return parts
        rest = rest[1:]


def regclass_lookup(catalog: Catalog | None, value: Any,
                    path: tuple[str, ...] = namespaces.DEFAULT_PATH,
                    usable: Callable[[str], bool] | None = None) -> int:
    """The OID a relation name (as regclass input accepts it) denotes, or 42P01: an
    unqualified name along ``path`` (this session's temporary tables first). A name
    qualified with a schema ``usable`` says the role has no USAGE on is 42501, found or
    not (LookupExplicitNamespace)."""
    if isinstance(value, int):
        return value
    text = str(value).strip()
    if text.isdigit():
        return int(text)
    try:
        parts = name_parts(text)
    except ValueError:
        parts = [text]
    schema = parts[-2] if len(parts) > 1 else None
    name = parts[-1]
    if schema is not None and usable is not None and catalog is not None and \
            namespaces.exists(schema, catalog.schemas) and not usable(schema):
        raise InsufficientPrivilege(f"permission denied for schema {schema}")
    if catalog is not None:
        keys = namespaces.candidates(schema, name, catalog.schemas, path)
        temp = catalog.by_name.get(name)
        if schema is None and temp is not None and temp.oid >= FIRST_TEMP_OID:
            keys.insert(0, name)
        for key in keys:
            rel = catalog.by_name.get(key)
            if rel is not None:
                return rel.oid
            owner = catalog.index_owner.get(key)
            if owner is not None:
                for idx in owner.indexes:
                    if idx.name == key:
                        return idx.oid
    from pgha.storage.pgcatalog import SYSTEM_OIDS

    oid = SYSTEM_OIDS.get(name)
    if oid is not None and schema in (None, "pg_catalog"):
        return oid
    shown = f"{schema}.{name}" if schema else name
    raise UndefinedTable(f'relation "{shown}" does not exist')


def regclass_name(catalog: Catalog | None, oid: Any,
                  path: tuple[str, ...] | None = None) -> Any:
    """regclass output: the relation's name, qualified when ``path`` does not find it."""
    if oid is None:
        return None
    if isinstance(oid, str) and not oid.isdigit():
        oid = regclass_lookup(catalog, oid, path or namespaces.DEFAULT_PATH)
    key = None
    rel = catalog.by_oid.get(int(oid)) if catalog is not None else None
    if rel is not None:
        key = rel.name
    elif catalog is not None:
        key = next((idx.name for table in catalog.tables() for idx in table.indexes
                    if idx.oid == oid), None)
    if catalog is not None and key is not None:
        schema, name = catalog.split(key)
        if int(oid) >= FIRST_TEMP_OID:
            return name
        if path is None:
            return key if schema != "public" else name
        if namespaces.visible(key, catalog.by_name, catalog.schemas, path) or (
                key in catalog.index_owner and schema in path):
            return name
        return f"{schema}.{name}"
    from pgha.storage.pgcatalog import SYSTEM_OIDS

    for name, sys_oid in SYSTEM_OIDS.items():
        if sys_oid == oid:
            return name
    return str(oid)


def regtype_name(oid: Any) -> Any:
    if oid is None:
        return None
    if isinstance(oid, str) and not oid.isdigit():
        oid = _cast(oid, T.TEXT, T.REGTYPE, -1)
    if int(oid) in (T.BPCHAR, T.ARRAY_OF[T.BPCHAR]):
        # regtype output is format_type without a typmod given: bpchar is "character"
        return "character" if int(oid) == T.BPCHAR else "character[]"
    return pgtypes.format_type(int(oid), -1) if int(oid) in pgtypes.TYPES_BY_OID else str(oid)


def regtype_array_text(value: Any) -> str | None:
    """A regtype[] (stored as a JSON array of OIDs) as array_out prints it: the names, quoted
    where they need it (``{integer,"timestamp with time zone"}``)."""
    if value is None:
        return None
    names = (str(regtype_name(oid)) for oid in json.loads(value))
    return "{" + ",".join(quote_element(name) for name in names) + "}"


def register(conn: apsw.Connection, ctx: FunctionContext) -> None:
    """The regclass and regtype conversions, reading the catalog of ``ctx``."""
    f = registrar(conn)
    f("pg_regclass_name", lambda oid: regclass_name(ctx.catalog, oid, _path(ctx)), 1)
    f("pg_regtype_name", regtype_name, 1, True)
    f("pg_regtype_array_text", regtype_array_text, 1, True)
    f("pg_regclass", lambda v: None if v is None else seq_regclass(ctx, v), 1)
