"""Schemas (namespaces) other than ``public``, and how relation names resolve along
``search_path``.

SQLite has one namespace per database file, so a relation of schema ``s`` is the SQLite object
named ``s.t`` (one identifier, quoted): its *key*. A relation of ``public`` keeps its bare name
as key, so databases made before schemas existed read exactly as before. The key is what
``__pgha_relations.name``, ``Catalog.by_name``, the SQLite table, its indexes and the change
log use; ``split`` gives (schema, name) back for the catalog views and messages.

``qualify`` rewrites a parsed statement before anything else sees it: every relation it names
(RangeVar, DROP's name lists, three-part column references) becomes the key of the relation
the name denotes along the session's search path (PostgreSQL 15 docs, 5.9.3 "The Schema
Search Path"); a relation to create goes into the first existing schema of the path. So the
translator and the DDL code keep working with one flat namespace of keys. A name the path
does not find is left as written, and the error it leads to names it as written, as
PostgreSQL does.

Invariants: a key holds a dot only when its prefix names a user schema (a public relation
whose name starts with ``s.`` blocks CREATE SCHEMA s, and the other way round), so ``split``
is unambiguous; schema metadata lives in ``__pgha_namespaces`` in the data file (transactional
and replicated like ``__pgha_relations``); a schema's OID comes from the same counter as a
relation's.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import apsw
from pglast import ast, enums

from pgha.wire.errors import FeatureNotSupported, InsufficientPrivilege, InvalidSchemaName

NAMESPACE_DDL = (
    "CREATE TABLE IF NOT EXISTS __pgha_namespaces ("
    " oid INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, owner TEXT NOT NULL, acl TEXT)"
)

PG_CATALOG_OID = 11
PUBLIC_OID = 2200
INFORMATION_SCHEMA_OID = 13000
PG_TOAST_OID = 99
# The schemas every database has; pg_temp is this session's temporary tables.
BUILTIN = {"pg_catalog": PG_CATALOG_OID, "public": PUBLIC_OID,
           "information_schema": INFORMATION_SCHEMA_OID, "pg_toast": PG_TOAST_OID}


@dataclass(frozen=True, slots=True)
class Schema:
    oid: int
    name: str
    owner: str  # role name
    owner_oid: int = 10  # that role's OID (postgres's for a login that has no role row)
    # nspacl: None (NULL: the owner holds USAGE and CREATE) until the first GRANT or REVOKE,
    # then ``[grantee, grantor, privileges, grant options]`` items (see privileges.py).
    acl: list[list[Any]] | None = None


def load(conn: apsw.Connection) -> dict[str, Schema]:
    """The user schemas (not the built-in ones), by name."""
    rows = conn.execute("SELECT n.oid, n.name, n.owner, r.oid, n.acl FROM __pgha_namespaces n"
                        " LEFT JOIN __pgha_roles r ON r.name = n.owner ORDER BY n.oid")
    return {name: Schema(oid, name, owner, 10 if role is None else role,
                         None if acl is None else json.loads(acl))
            for oid, name, owner, role, acl in rows}


def migrate(conn: apsw.Connection) -> None:
    """A data file made before schemas had ACLs gets the column (NULL: the default ACL)."""
    columns = [row[1] for row in conn.execute("PRAGMA table_info(__pgha_namespaces)")]
    if "acl" not in columns:
        conn.execute("ALTER TABLE __pgha_namespaces ADD COLUMN acl TEXT")


def key(schema: str | None, name: str) -> str:
    return name if schema in (None, "public") else f"{schema}.{name}"


def split(rel_key: str, schemas: dict[str, Schema]) -> tuple[str, str]:
    """(schema, name) of a relation key."""
    if "." in rel_key:
        prefix, _, rest = rel_key.partition(".")
        if prefix in schemas:
            return prefix, rest
    return "public", rel_key


def namespace_oid(schema: str, schemas: dict[str, Schema]) -> int:
    found = schemas.get(schema)
    return found.oid if found is not None else BUILTIN.get(schema, PUBLIC_OID)


def exists(name: str, schemas: dict[str, Schema]) -> bool:
    return name in schemas or name in BUILTIN


_PLAIN = re.compile(r"[a-z_][a-z0-9_$]*")


def quote(name: str) -> str:
    """An identifier as search_path shows it (PostgreSQL's quote_identifier)."""
    return name if _PLAIN.fullmatch(name) else '"' + name.replace('"', '""') + '"'


_ENTRY = re.compile(r'\s*(?:"((?:[^"]|"")*)"|([^,]*))\s*(?:,|$)')


def path_entries(setting: str) -> list[str]:
    """The names a search_path setting lists, unquoted (``"$user"`` stays ``$user``); a
    comma inside double quotes belongs to the name, an unquoted name is folded to lower
    case."""
    out: list[str] = []
    for match in _ENTRY.finditer(setting):
        quoted, plain = match.groups()
        if quoted is not None:
            out.append(quoted.replace('""', '"'))
        elif plain and plain.strip():
            out.append(plain.strip().lower())
        if match.end() >= len(setting):
            break
    return out


def search_path(setting: str, user: str, schemas: dict[str, Schema]) -> tuple[str, ...]:
    """The existing schemas of the path, in order (PostgreSQL's current_schemas(false)):
    ``$user`` stands for the schema named as the user, if there is one."""
    out: list[str] = []
    for name in path_entries(setting):
        if name == "$user":
            name = user
        if name in ("pg_temp",) or name in out:
            continue
        if name in schemas or name in ("public", "pg_catalog", "information_schema"):
            out.append(name)
    return tuple(out)


def creation_schema(path: tuple[str, ...]) -> str:
    """Where an unqualified new relation goes: the path's first schema that can hold one."""
    for name in path:
        if name not in ("pg_catalog", "information_schema"):
            return name
    raise InvalidSchemaName("no schema has been selected to create in")


DEFAULT_PATH = ("public",)
DEFAULT_SETTING = '"$user", public'


def session_path(settings: dict[str, str], user: str, schemas: dict[str, Schema]
                 ) -> tuple[str, ...]:
    """``search_path`` of a session's settings, resolved (see ``search_path``)."""
    return search_path(settings.get("search_path", DEFAULT_SETTING), user, schemas)


def visible(rel_key: str, by_name: dict[str, Any], schemas: dict[str, Schema],
            path: tuple[str, ...]) -> bool:
    """Whether the relation keyed ``rel_key`` is found by its bare name along ``path``
    (pg_table_is_visible)."""
    schema, name = split(rel_key, schemas)
    if schema not in path:
        return False
    for entry in path:
        if entry == schema:
            return True
        if key(entry, name) in by_name:
            return False
    return False


def candidates(schema: str | None, name: str, schemas: dict[str, Schema],
               path: tuple[str, ...]) -> list[str]:
    """The keys a relation name may denote, in the order the path tries them."""
    if schema is None:
        return [key(s, name) for s in path if s not in ("pg_catalog", "information_schema")]
    if schema == "public" or schema in schemas:
        return [key(schema, name)]
    return []


class Qualifier:
    """Rewrites the relation names of one statement to keys (see the module docstring)."""

    def __init__(self, by_name: dict[str, Any], index_owner: dict[str, Any],
                 schemas: dict[str, Schema], path: tuple[str, ...],
                 usable: Callable[[str], bool] | None = None) -> None:
        self.by_name = by_name
        self.index_owner = index_owner
        self.schemas = schemas
        self.path = path
        self.usable = usable  # has the role USAGE on a schema? (None: a superuser)
        self.ctes: set[str] = set()
        self.done: set[int] = set()

    def known(self, rel_key: str) -> bool:
        return rel_key in self.by_name or rel_key in self.index_owner

    def check_schema(self, schema: str) -> None:
        if not exists(schema, self.schemas) and schema != "pg_temp":
            raise InvalidSchemaName(f'schema "{schema}" does not exist')

    def require_usage(self, schema: str | None) -> None:
        """A name qualified with an existing schema needs USAGE on it, whether or not the
        relation exists (PostgreSQL's LookupExplicitNamespace). An unqualified name needs no
        check: the path holds only the schemas the role may use."""
        if self.usable is not None and schema and schema != "pg_temp" and \
                exists(schema, self.schemas) and not self.usable(schema):
            raise InsufficientPrivilege(f"permission denied for schema {schema}")

    def resolve(self, schema: str | None, name: str) -> str | None:
        """The key a (possibly qualified) existing relation name denotes, None when the name
        is to stay as written (public, a temporary table, a CTE, a system relation), or ""
        when it is hidden: in public only, with public not on the path."""
        if schema is not None:
            return key(schema, name) if schema in self.schemas else None
        if split(name, self.schemas)[0] != "public":
            return None  # already a key (qualified before: rewriting is idempotent)
        rel = self.by_name.get(name)
        if rel is not None and rel.oid >= 3_000_000_000:  # a temporary table: pg_temp first
            return None
        for entry in self.path:
            if entry in ("pg_catalog", "information_schema"):
                continue
            k = key(entry, name)
            if self.known(k):
                return None if entry == "public" else k
        if "public" not in self.path and self.known(name) and name not in self.ctes:
            return ""
        return None

    def create_key(self, rv: Any) -> None:
        """A relation to create: into its schema, or the first schema of the path. (Not
        idempotent: the caller qualifies a fresh tree each time, see StorageSession._ddl.)"""
        self.done.add(id(rv))
        if rv.schemaname is None and rv.relpersistence == "t":
            return
        if rv.schemaname is not None:
            self.check_schema(rv.schemaname)
            schema = rv.schemaname
        else:
            schema = creation_schema(self.path)
        if schema == "public" and split(rv.relname, self.schemas)[0] != "public":
            raise FeatureNotSupported(f'relation "{rv.relname}" cannot be created in schema '
                                      f'public: its name would read as schema '
                                      f'"{rv.relname.partition(".")[0]}"\'s')
        if schema in ("pg_temp", "public"):
            return
        if schema in ("pg_catalog", "information_schema", "pg_toast"):
            return  # (left for the DDL code's own refusal)
        rv.schemaname, rv.relname = None, key(schema, rv.relname)

    def rangevar(self, rv: Any) -> None:
        if id(rv) in self.done:
            return
        self.done.add(id(rv))
        if rv.schemaname is None and rv.relname in self.ctes:
            return
        self.require_usage(rv.schemaname)
        found = self.resolve(rv.schemaname, rv.relname)
        if found is None:
            return
        if found == "":
            rv.schemaname = ""  # hidden: fails as "relation ... does not exist"
            return
        if rv.alias is None:
            rv.alias = ast.Alias(aliasname=rv.relname)
        rv.schemaname, rv.relname = None, found

    def names(self, parts: list[str]) -> list[str]:
        """A DROP's or COMMENT's dotted name as a one-part key."""
        if len(parts) == 2:
            self.require_usage(parts[0])
        if len(parts) == 2 and parts[0] in self.schemas:
            return [key(parts[0], parts[1])]
        if len(parts) == 1:
            found = self.resolve(None, parts[0])
            if found:
                return [found]
        return parts


def qualify(node: Any, by_name: dict[str, Any], index_owner: dict[str, Any],
            schemas: dict[str, Schema], path: tuple[str, ...],
            usable: Callable[[str], bool] | None = None) -> None:
    """Rewrite ``node`` in place (see the module docstring), refusing a name qualified with a
    schema the role has no USAGE on (``usable``; None: a superuser). Does nothing when there
    is no user schema and the path holds public (every key is then a bare name; a name
    qualified with public is then usable)."""
    if not schemas and "public" in path:
        return
    q = Qualifier(by_name, index_owner, schemas, path, usable)
    _collect_ctes(node, q.ctes)
    _creations(node, q)
    _walk(node, q)


def _collect_ctes(node: Any, out: set[str]) -> None:
    for sub in _nodes(node):
        if type(sub) is ast.CommonTableExpr:
            out.add(str(sub.ctename))


def _nodes(node: Any) -> Iterator[Any]:
    """Every node under ``node``, itself included. (Typed Any: pglast types each field as
    optional, and the kinds matched on here always have the ones read.)"""
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, tuple | list):
            stack.extend(item)
        elif isinstance(item, ast.Node):
            yield item
            for name in item:
                value = getattr(item, name)
                if isinstance(value, ast.Node | tuple | list):
                    stack.append(value)


_NAMED_RELATION = (enums.ObjectType.OBJECT_TABLE, enums.ObjectType.OBJECT_SEQUENCE,
                   enums.ObjectType.OBJECT_VIEW, enums.ObjectType.OBJECT_INDEX)


def _creations(node: Any, q: Qualifier) -> None:
    """The relation a statement creates or renames, and the names a DROP lists."""
    kind = type(node)
    if kind is ast.CreateStmt:
        q.create_key(node.relation)
    elif kind is ast.CreateTableAsStmt:
        q.create_key(node.into.rel)
    elif kind is ast.CreateSeqStmt:
        q.create_key(node.sequence)
    elif kind is ast.ViewStmt:
        q.create_key(node.view)
    elif kind is ast.IndexStmt and node.relation is not None:
        # An index lives in its table's schema.
        q.rangevar(node.relation)
        if node.idxname and node.relation.schemaname is None and \
                split(node.idxname, q.schemas)[0] == "public":
            schema, _ = split(node.relation.relname, q.schemas)
            node.idxname = key(schema, node.idxname)
    elif kind is ast.RenameStmt and node.relation is not None and \
            node.renameType in _NAMED_RELATION:
        q.rangevar(node.relation)
        if node.relation.schemaname is None and split(node.newname, q.schemas)[0] == "public":
            schema, _ = split(node.relation.relname, q.schemas)
            node.newname = key(schema, node.newname)
    elif kind is ast.DropStmt and node.removeType in _NAMED_RELATION:
        objects = []
        for obj in node.objects:
            parts = [p.sval for p in obj]
            if len(parts) == 2 and parts[0] != "pg_temp" and not exists(parts[0], q.schemas):
                if node.missing_ok:
                    objects.append(obj)  # (the DDL code reports the missing schema)
                    continue
                raise InvalidSchemaName(f'schema "{parts[0]}" does not exist')
            objects.append(tuple(ast.String(sval=p) for p in q.names(parts)))
        node.objects = tuple(objects)


def _walk(node: Any, q: Qualifier) -> None:
    for sub in _nodes(node):
        kind = type(sub)
        if kind is ast.RangeVar:
            schema = sub.schemaname
            if schema is not None and schema != "pg_temp" and not exists(schema, q.schemas):
                continue  # (reported where it is used: 42P01 or 3F000 as PostgreSQL does)
            q.rangevar(sub)
        elif kind is ast.ColumnRef:  # schema.table.column: the table is known by its alias
            fields = sub.fields
            if len(fields) >= 3 and type(fields[0]) is ast.String and \
                    fields[0].sval in q.schemas:
                sub.fields = tuple(fields[1:])
