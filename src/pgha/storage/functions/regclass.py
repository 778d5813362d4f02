"""regclass and regtype: a relation's OID from its name and back (the session's catalog, then
the system relations), a type's name from its OID.
"""

from __future__ import annotations

import json
from typing import Any

import apsw

from pgha.storage import oids as T
from pgha.storage import types as pgtypes
from pgha.storage.catalog import Catalog
from pgha.storage.functions.casts import _cast
from pgha.storage.functions.context import FunctionContext, registrar
from pgha.storage.types_array import quote_element
from pgha.wire.errors import UndefinedTable


def seq_regclass(ctx: FunctionContext, value: Any) -> int:
    return regclass_lookup(ctx.catalog, value)


def regclass_lookup(catalog: Catalog | None, value: Any) -> int:
    """The OID a relation name (as regclass input accepts it) denotes, or 42P01."""
    if isinstance(value, int):
        return value
    name = str(value).strip()
    if name.isdigit():
        return int(name)
    schema = None
    if "." in name and not name.startswith('"'):
        schema, name = name.split(".", 1)
    name = name[1:-1].replace('""', '"') if name.startswith('"') else name.lower()
    if schema in (None, "public") and catalog is not None:
        rel = catalog.by_name.get(name)
        if rel is not None:
            return rel.oid
        owner = catalog.index_owner.get(name)
        if owner is not None:
            for idx in owner.indexes:
                if idx.name == name:
                    return idx.oid
    from pgha.storage.pgcatalog import SYSTEM_OIDS

    oid = SYSTEM_OIDS.get(name)
    if oid is not None and schema in (None, "pg_catalog"):
        return oid
    shown = f"{schema}.{name}" if schema else name
    raise UndefinedTable(f'relation "{shown}" does not exist')


def regclass_name(catalog: Catalog | None, oid: Any) -> Any:
    if oid is None:
        return None
    if isinstance(oid, str) and not oid.isdigit():
        oid = regclass_lookup(catalog, oid)  # a name bound as a regclass parameter
    rel = catalog.by_oid.get(int(oid)) if catalog is not None else None
    if rel is not None:
        return rel.name
    if catalog is not None:
        for table in catalog.tables():
            for idx in table.indexes:
                if idx.oid == oid:
                    return idx.name
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
    f("pg_regclass_name", lambda oid: regclass_name(ctx.catalog, oid), 1)
    f("pg_regtype_name", regtype_name, 1, True)
    f("pg_regtype_array_text", regtype_array_text, 1, True)
    f("pg_regclass", lambda v: None if v is None else seq_regclass(ctx, v), 1)
