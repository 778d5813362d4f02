"""PostgreSQL-level schema metadata kept beside the data in the same SQLite file.

SQLite forgets what PostgreSQL types, typmods, defaults, sequences and constraint names a user
declared; pgha keeps them in ``__pgha_relations`` (one JSON document per relation) and
``__pgha_sequence_values`` (sequence state, updated on every nextval). Because the metadata lives
in the same database as the rows, DDL is transactional exactly like the data it describes.

Invariants:
- every user relation has a stable OID allocated from 16384 upward (PostgreSQL's
  FirstNormalObjectId) and never reused;
- a ``Catalog`` object is an immutable snapshot: DDL builds a new one (``Catalog.load``) from the
  connection that changed it;
- names are stored as PostgreSQL folds them (unquoted identifiers lower-cased by the parser).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

import apsw

from pgha.storage import namespaces
from pgha.storage.namespaces import Schema

FIRST_NORMAL_OID = 16384
FIRST_TEMP_OID = 3_000_000_000  # a session's temporary relations (storage/temp_tables.py)
PUBLIC_NAMESPACE_OID = 2200
PG_CATALOG_NAMESPACE_OID = 11
BOOTSTRAP_OID = 10  # postgres, the owner of relations made before ownership was kept

METADATA_DDL = (
    "CREATE TABLE IF NOT EXISTS __pgha_relations ("
    " oid INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, kind TEXT NOT NULL, doc TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS __pgha_sequence_values ("
    " oid INTEGER PRIMARY KEY, last_value INTEGER NOT NULL, is_called INTEGER NOT NULL)",
    "CREATE TABLE IF NOT EXISTS __pgha_settings (name TEXT PRIMARY KEY, value)",
    # Roles (storage/roles.py); postgres, the bootstrap superuser, needs no row.
    "CREATE TABLE IF NOT EXISTS __pgha_roles ("
    " name TEXT PRIMARY KEY, oid INTEGER NOT NULL UNIQUE, superuser INTEGER NOT NULL,"
    " createdb INTEGER NOT NULL, createrole INTEGER NOT NULL, login INTEGER NOT NULL,"
    " replication INTEGER NOT NULL, connlimit INTEGER NOT NULL, password TEXT,"
    " valid_until TEXT, inherit INTEGER NOT NULL, bypassrls INTEGER NOT NULL)",
    namespaces.NAMESPACE_DDL,  # schemas other than public (storage/namespaces.py)
    # Role membership (GRANT role TO role): pg_auth_members.
    "CREATE TABLE IF NOT EXISTS __pgha_auth_members ("
    " roleid INTEGER NOT NULL, member INTEGER NOT NULL, grantor INTEGER NOT NULL,"
    " admin_option INTEGER NOT NULL, PRIMARY KEY (roleid, member))",
    # ALTER ROLE ... SET (pg_db_role_setting), applied at login.
    "CREATE TABLE IF NOT EXISTS __pgha_role_settings ("
    " role INTEGER NOT NULL, name TEXT NOT NULL, value TEXT NOT NULL,"
    " PRIMARY KEY (role, name))",
)


@dataclass(slots=True)
class Column:
    name: str
    type_oid: int
    typmod: int = -1
    not_null: bool = False
    default: str | None = None  # PostgreSQL expression text, evaluated by pgha on INSERT
    identity: str = ""  # '' | 'a' (ALWAYS) | 'd' (BY DEFAULT)
    attnum: int = 0


@dataclass(slots=True)
class Constraint:
    name: str
    kind: str  # 'p' primary key, 'u' unique, 'c' check, 'f' foreign key
    columns: list[str] = field(default_factory=list)
    expr: str | None = None  # CHECK expression, PostgreSQL text
    ref_table: str | None = None
    ref_columns: list[str] = field(default_factory=list)
    on_delete: str = "a"  # PostgreSQL confdeltype letters: a no action, r restrict, c cascade,
    on_update: str = "a"  # n set null, d set default
    oid: int = 0
    deferrable: bool = False  # DEFERRABLE (PK, UNIQUE, FOREIGN KEY)
    deferred: bool = False  # INITIALLY DEFERRED


@dataclass(slots=True)
class Index:
    name: str
    columns: list[str]
    unique: bool = False
    constraint: str | None = None  # the PK/UNIQUE constraint this index backs
    oid: int = 0
    expressions: list[int] = field(default_factory=list)  # positions in columns: PG text
    predicate: str | None = None  # a partial index's WHERE, PostgreSQL text
    # pg_index.indoption of each column (1: DESC, 2: NULLS FIRST); empty: all 0, ascending
    options: list[int] = field(default_factory=list)

    def option(self, i: int) -> int:
        return self.options[i] if i < len(self.options) else 0

    def order_text(self, i: int) -> str:
        """Column ``i``'s order as pg_get_indexdef prints it after the column: ``""``,
        ``" DESC"``, ``" NULLS FIRST"``, ``" DESC NULLS LAST"``."""
        option = self.option(i)
        text = " DESC" if option & 1 else ""
        if bool(option & 2) != bool(option & 1):  # not the direction's default
            text += " NULLS FIRST" if option & 2 else " NULLS LAST"
        return text


@dataclass(slots=True)
class Table:
    oid: int
    name: str
    columns: list[Column]
    constraints: list[Constraint] = field(default_factory=list)
    indexes: list[Index] = field(default_factory=list)
    kind: str = "r"
    owner: int = BOOTSTRAP_OID  # the creating role (storage/privileges.py)
    acl: list[list[Any]] | None = None  # None: never granted (the owner holds everything)

    def column(self, name: str) -> Column | None:
        for col in self.columns:
            if col.name == name:
                return col
        return None

    def primary_key(self) -> Constraint | None:
        for con in self.constraints:
            if con.kind == "p":
                return con
        return None


@dataclass(slots=True)
class View:
    oid: int
    name: str
    query: str  # PostgreSQL text of the defining SELECT
    columns: list[Column]
    kind: str = "v"
    owner: int = BOOTSTRAP_OID
    acl: list[list[Any]] | None = None
    # What the query reads, [OID, attnum] (attnum 0: a relation of which it names no column):
    # PostgreSQL's pg_depend rows of the view's rule. None in catalogs older than it (see
    # ``dependencies.view_references``).
    depends: list[list[int]] | None = None
    rule_oid: int = 0  # its _RETURN rule's (pg_rewrite) OID; 0 in catalogs older than it


@dataclass(slots=True)
class Sequence:
    oid: int
    name: str
    type_oid: int = 20
    start: int = 1
    increment: int = 1
    min_value: int = 1
    max_value: int = 2**63 - 1
    cache: int = 1
    cycle: bool = False
    owned_by: tuple[str, str] | None = None  # (table, column) for serial/identity columns
    kind: str = "S"
    owner: int = BOOTSTRAP_OID
    acl: list[list[Any]] | None = None


Relation = Table | View | Sequence


def _table_from_doc(oid: int, name: str, doc: dict[str, Any]) -> Table:
    return Table(
        oid=oid,
        name=name,
        columns=[Column(**c) for c in doc["columns"]],
        constraints=[Constraint(**c) for c in doc.get("constraints", [])],
        indexes=[Index(**i) for i in doc.get("indexes", [])],
        owner=doc.get("owner", BOOTSTRAP_OID),
        acl=doc.get("acl"),
    )


def _decode(oid: int, name: str, kind: str, text: str) -> Relation:
    doc = json.loads(text)
    if kind == "r":
        return _table_from_doc(oid, name, doc)
    if kind == "v":
        return View(oid, name, doc["query"], [Column(**c) for c in doc["columns"]],
                    owner=doc.get("owner", BOOTSTRAP_OID), acl=doc.get("acl"),
                    depends=doc.get("depends"), rule_oid=doc.get("rule_oid", 0))
    if kind == "S":
        owned = doc.pop("owned_by", None)
        return Sequence(oid=oid, name=name, owned_by=tuple(owned) if owned else None, **doc)
    raise ValueError(f"unknown relation kind {kind!r}")


def encode(rel: Relation) -> str:
    doc = asdict(rel)
    for key in ("oid", "name", "kind"):
        doc.pop(key)
    return json.dumps(doc, separators=(",", ":"))


class Catalog:
    """An immutable snapshot of the user schema, with lookups by name and by OID."""

    def __init__(self, relations: list[Relation], generation: int,
                 schemas: dict[str, Schema] | None = None) -> None:
        self.generation = generation
        # User schemas by name; a relation of schema s is keyed "s.name" (see namespaces).
        self.schemas: dict[str, Schema] = schemas or {}
        self.by_name: dict[str, Relation] = {r.name: r for r in relations}
        self.by_oid: dict[int, Relation] = {r.oid: r for r in relations}
        self.index_owner: dict[str, Table] = {}
        # Permanent relations a session's temporary ones hide (see temp_tables.overlay).
        self.shadowed: dict[str, Relation] = {}
        self.constraint_oids: dict[int, tuple[Table, Constraint]] = {}
        for rel in relations:
            if isinstance(rel, Table):
                for idx in rel.indexes:
                    self.index_owner[idx.name] = rel
                for con in rel.constraints:
                    self.constraint_oids[con.oid] = (rel, con)
        # PK/UNIQUE constraints checked by pgha at the end of a statement or transaction
        # (their SQLite index is not unique: see ``ddl.DDL.create_index_sql``).
        self.deferrable_uniques = [(t, c) for t, c in self.constraint_oids.values()
                                   if c.deferrable and c.kind in ("p", "u")]

    @classmethod
    def load(cls, conn: apsw.Connection, generation: int) -> Catalog:
        rows = conn.execute("SELECT oid, name, kind, doc FROM __pgha_relations ORDER BY oid")
        return cls([_decode(*row) for row in rows], generation, namespaces.load(conn))

    def split(self, key: str) -> tuple[str, str]:
        """(schema, name) of a relation key: ``t`` is public's t, ``s.t`` schema s's."""
        return namespaces.split(key, self.schemas) if self.schemas else ("public", key)

    def relname(self, key: str) -> str:
        return self.split(key)[1]

    def namespace_oid(self, key: str) -> int:
        return namespaces.namespace_oid(self.split(key)[0], self.schemas)

    def table(self, name: str) -> Table | None:
        rel = self.by_name.get(name)
        return rel if isinstance(rel, Table) else None

    def tables(self) -> list[Table]:
        return [r for r in self.by_name.values() if isinstance(r, Table)]

    def relation_names(self) -> set[str]:
        names = set(self.by_name)
        names.update(self.index_owner)
        return names


def install(conn: apsw.Connection) -> None:
    for ddl in METADATA_DDL:
        conn.execute(ddl)
    namespaces.migrate(conn)


def next_oid(conn: apsw.Connection) -> int:
    """Allocate a fresh OID (kept in __pgha_settings so OIDs are never reused)."""
    row = conn.execute("SELECT value FROM __pgha_settings WHERE name = 'next_oid'").fetchone()
    oid = int(row[0]) if row else FIRST_NORMAL_OID
    conn.execute(
        "INSERT INTO __pgha_settings (name, value) VALUES ('next_oid', ?)"
        " ON CONFLICT (name) DO UPDATE SET value = excluded.value",
        (oid + 1,),
    )
    return oid


def save(conn: apsw.Connection, rel: Relation) -> None:
    conn.execute(
        "INSERT INTO __pgha_relations (oid, name, kind, doc) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (oid) DO UPDATE SET name = excluded.name, doc = excluded.doc",
        (rel.oid, rel.name, rel.kind, encode(rel)),
    )


def delete(conn: apsw.Connection, rel: Relation) -> None:
    conn.execute("DELETE FROM __pgha_relations WHERE oid = ?", (rel.oid,))
    if isinstance(rel, Sequence):
        conn.execute("DELETE FROM __pgha_sequence_values WHERE oid = ?", (rel.oid,))
