"""Privileges on tables, views and sequences, as PostgreSQL 15 keeps them (docs: "5.7.
Privileges", "ddl-priv"): an owner per relation and an access control list of aclitems.

A relation's ``owner`` is the OID of the role that created it; its ``acl`` is None until the
first GRANT or REVOKE (PostgreSQL's NULL relacl: the owner holds every privilege), then a list
of ``[grantee, grantor, privileges, grant options]`` (grantee 0 is PUBLIC; privileges as
aclitem letters). Both live in the relation's JSON document (``catalog.py``), so GRANT is as
transactional as other DDL and replicates with it.

Checks: the owner and superusers always pass; any other role needs the privilege granted to
itself, to PUBLIC, or to a role it is a member of with INHERIT. A ``Grants`` object answers
for one role against one catalog snapshot and remembers its answers, so a session checks each
relation of a statement once per schema generation.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from pglast import ast, enums

from pgha.storage import namespaces, roles
from pgha.storage.catalog import FIRST_TEMP_OID, Catalog, Relation, Sequence
from pgha.wire.errors import (
    DependentObjectsStillExist,
    FeatureNotSupported,
    InsufficientPrivilege,
    InvalidGrantOperation,
    InvalidParameterValue,
    InvalidSchemaName,
    Notice,
    UndefinedObject,
    UndefinedTable,
    WrongObjectType,
)

PUBLIC = 0
# ACL_ALL_RIGHTS_STR (utils/acl.h): the order aclitemout prints privileges in.
LETTERS = "arwdDxtXUCTc"
TABLE_PRIVILEGES = "arwdDxt"
SEQUENCE_PRIVILEGES = "rwU"
NAMES = {"insert": "a", "select": "r", "update": "w", "delete": "d", "truncate": "D",
         "references": "x", "trigger": "t", "execute": "X", "usage": "U", "create": "C",
         "temporary": "T", "temp": "T", "connect": "c"}
WORDS = {letter: name.upper() for name, letter in NAMES.items() if name != "temp"}
KIND_WORDS = {"r": "table", "v": "view", "S": "sequence"}


@dataclass(slots=True)
class AclItem:
    grantee: int
    grantor: int
    privileges: str
    options: str = ""  # the privileges held WITH GRANT OPTION

    def text(self, names: dict[int, str]) -> str:
        """aclitemout's form: ``alice=arw*/postgres`` (PUBLIC has no name)."""
        letters = "".join(c + ("*" if c in self.options else "") for c in LETTERS
                          if c in self.privileges)
        grantee = "" if self.grantee == PUBLIC else _name(names, self.grantee)
        return f"{grantee}={letters}/{_name(names, self.grantor)}"


def _name(names: dict[int, str], oid: int) -> str:
    return _putid(names.get(oid, str(oid)))


def _putid(name: str) -> str:
    """A role name as putid() writes it in an aclitem: quoted unless alphanumeric or _."""
    if name and all(c.isalnum() or c == "_" for c in name):
        return name
    return '"' + name.replace('"', '""') + '"'


def all_privileges(rel: Relation) -> str:
    return SEQUENCE_PRIVILEGES if isinstance(rel, Sequence) else TABLE_PRIVILEGES


def acl_of(rel: Relation) -> list[AclItem]:
    """The relation's ACL, the default one (owner holds everything) when never granted."""
    if rel.acl is None:
        return [AclItem(rel.owner, rel.owner, all_privileges(rel))]
    return [AclItem(*item) for item in rel.acl]


def acl_texts(rel: Relation, names: dict[int, str]) -> list[str] | None:
    """pg_class.relacl: None (NULL) until the first GRANT or REVOKE."""
    return None if rel.acl is None else [item.text(names) for item in acl_of(rel)]


def kind_word(rel: Relation) -> str:
    return KIND_WORDS.get(rel.kind, "table")


def denied(rel: Relation) -> InsufficientPrivilege:
    return InsufficientPrivilege(f"permission denied for {kind_word(rel)} {rel.name}")


def not_owner(word: str, name: str) -> InsufficientPrivilege:
    return InsufficientPrivilege(f"must be owner of {word} {name}")


# -- checking ---------------------------------------------------------------------------------


@dataclass(slots=True)
class Grants:
    """What one role may do (itself and the roles it inherits from), against one catalog."""

    role_oid: int
    superuser: bool
    roles: frozenset[int]  # the role and every role whose privileges it inherits
    # Per schema: (the privileges it holds: USAGE U, CREATE C; those it may grant).
    schemas: dict[str, tuple[str, str]] = field(default_factory=dict)
    answers: dict[tuple[int, str], bool] = field(default_factory=dict)
    # The needs (a translation's ``privileges``) already found held: checked once each.
    passed: set[tuple[tuple[int, str], ...]] = field(default_factory=set)

    def owns(self, rel: Relation) -> bool:
        return self.superuser or rel.oid >= FIRST_TEMP_OID or rel.owner in self.roles

    def on_schema(self, name: str) -> str:
        """The privileges held on schema ``name`` (USAGE and CREATE letters). The system
        schemas grant USAGE to PUBLIC; pg_temp is the session's own."""
        if self.superuser or name == "pg_temp":
            return "UC"
        held = self.schemas.get(name)
        if held is not None:
            return held[0]
        return "U" if name in ("pg_catalog", "information_schema") else ""

    def allows(self, rel: Relation, letters: str) -> bool:
        """Holds any one of ``letters`` on ``rel``."""
        key = (rel.oid, letters)
        answer = self.answers.get(key)
        if answer is None:
            answer = self.owns(rel) or any(
                (item.grantee == PUBLIC or item.grantee in self.roles)
                and any(c in item.privileges for c in letters) for item in acl_of(rel))
            self.answers[key] = answer
        return answer

    def grant_options(self, rel: Relation) -> str:
        """The privileges this role may grant on ``rel`` (as the owner: all of them)."""
        if self.owns(rel):
            return all_privileges(rel)
        return "".join(c for c in all_privileges(rel) if any(
            (item.grantee == PUBLIC or item.grantee in self.roles) and c in item.options
            for item in acl_of(rel)))


def grants_for(conn: Any, user: str) -> Grants:
    """The Grants of role ``user`` (a login with no role row, made by ``--user``, is a
    superuser: see pgcatalog's pg_roles)."""
    role = roles.find(conn, user)
    if role is None:
        return Grants(0, True, frozenset())
    return grants_of(conn, role)


def grants_of(conn: Any, role: roles.Role) -> Grants:
    held = roles.inherited(conn, role.oid)
    if roles.BOOTSTRAP_OID in held:  # the database's owner: pg_database_owner's privileges
        held.add(DATABASE_OWNER_OID)
    grants = Grants(role.oid, role.superuser, frozenset(held))
    if not role.superuser:  # (a superuser's answer is always UC: see on_schema)
        grants.schemas["public"] = _held(schema_acl(conn), DATABASE_OWNER_OID, grants.roles)
        for schema in namespaces.load(conn).values():
            grants.schemas[schema.name] = _held(schema_items(schema), schema.owner_oid,
                                                grants.roles)
    return grants


def _held(items: list[AclItem], owner: int, held: frozenset[int]) -> tuple[str, str]:
    """(privileges, grant options) the roles ``held`` have in a schema's ACL; the owner
    may always grant (PostgreSQL's aclmask)."""
    mine = [i for i in items if i.grantee == PUBLIC or i.grantee in held]
    privileges = _union("", "".join(i.privileges for i in mine))
    options = SCHEMA_PRIVILEGES if owner in held else _union("", "".join(i.options
                                                                        for i in mine))
    return privileges, options


# -- schemas ---------------------------------------------------------------------------------

DATABASE_OWNER_OID = 6171  # pg_database_owner, which owns schema public in PostgreSQL 15
SCHEMA_PRIVILEGES = "UC"
_SCHEMA_DEFAULT = [AclItem(DATABASE_OWNER_OID, DATABASE_OWNER_OID, "UC"),
                   AclItem(PUBLIC, DATABASE_OWNER_OID, "U")]
SYSTEM_SCHEMAS = ("pg_catalog", "information_schema", "pg_toast")


def schema_denied(name: str) -> InsufficientPrivilege:
    return InsufficientPrivilege(f"permission denied for schema {name}")


def schema_acl(conn: Any) -> list[AclItem]:
    """Schema public's ACL (kept in ``__pgha_settings`` as ``public_acl`` once changed)."""
    row = conn.execute("SELECT value FROM __pgha_settings WHERE name = 'public_acl'").fetchone()
    if row is None:
        return [AclItem(i.grantee, i.grantor, i.privileges) for i in _SCHEMA_DEFAULT]
    return [AclItem(*item) for item in json.loads(row[0])]


def schema_items(schema: namespaces.Schema) -> list[AclItem]:
    """A user schema's ACL; NULL nspacl is the owner's USAGE and CREATE (acldefault)."""
    if schema.acl is None:
        return [AclItem(schema.owner_oid, schema.owner_oid, SCHEMA_PRIVILEGES)]
    return [AclItem(*item) for item in schema.acl]


def schema_acl_texts(schema: namespaces.Schema, names: dict[int, str]) -> list[str] | None:
    """pg_namespace.nspacl of a user schema: None (NULL) until the first GRANT or REVOKE."""
    return None if schema.acl is None else [i.text(names) for i in schema_items(schema)]


def _schema_letters(node: ast.GrantStmt) -> str:
    if not node.privileges:  # ALL [PRIVILEGES]
        return SCHEMA_PRIVILEGES
    letters = ""
    for priv in node.privileges:
        letter = NAMES.get(priv.priv_name)
        if letter is None:
            raise InvalidGrantOperation(f'unrecognized privilege type "{priv.priv_name}"')
        if letter not in SCHEMA_PRIVILEGES:
            raise InvalidGrantOperation(
                f"invalid privilege type {priv.priv_name.upper()} for schema")
        letters += letter
    return letters


def grant_schema(conn: Any, schemas: dict[str, namespaces.Schema], node: ast.GrantStmt,
                 grants: Grants, current: str, warnings: list[Notice]) -> None:
    """GRANT/REVOKE USAGE, CREATE ON SCHEMA s[, ...]: as on relations (``grant_relations``),
    the owner (or a superuser, for it) grants as the owner; any other role needs the grant
    options, else a WARNING and nothing changes."""
    names = []
    for obj in node.objects or ():
        name = obj.sval
        if name != "public" and name not in schemas:
            if name in SYSTEM_SCHEMAS:
                raise FeatureNotSupported(f"GRANT on schema {name} is not supported")
            raise InvalidSchemaName(f'schema "{name}" does not exist')
        names.append(name)
    letters = _schema_letters(node)
    grantees = grantee_oids(conn, node.grantees or (), current)
    if node.is_grant and node.grant_option and PUBLIC in grantees:
        raise InvalidGrantOperation("grant options can only be granted to roles")
    for name in names:
        if name == "public":
            items, owner = schema_acl(conn), DATABASE_OWNER_OID
        else:
            items, owner = schema_items(schemas[name]), schemas[name].owner_oid
        owns = grants.superuser or owner in grants.roles
        kept = letters
        if not owns:  # (restrict_and_check_grant, as for relations)
            held, may = _held(items, owner, grants.roles)
            if not may and not held:
                raise schema_denied(name)
            kept = "".join(c for c in letters if c in may)
            if kept != letters:
                verb = "were granted" if node.is_grant else "could be revoked"
                word = "no" if not kept else "not all"
                warnings.append(Notice("01007" if node.is_grant else "01006",
                                       f'{word} privileges {verb} for "{name}"', "WARNING"))
        _apply(items, grantees, owner if owns else grants.role_oid, kept, node)
        save_schema_acl(conn, name, items)


def save_schema_acl(conn: Any, name: str, items: list[AclItem]) -> None:
    """Write a schema's ACL through ``conn`` (the DDL's: logged and replicated)."""
    value = json.dumps([[i.grantee, i.grantor, i.privileges, i.options] for i in items])
    if name == "public":
        conn.execute("INSERT INTO __pgha_settings (name, value) VALUES ('public_acl', ?) "
                     "ON CONFLICT (name) DO UPDATE SET value = excluded.value", (value,))
    else:
        conn.execute("UPDATE __pgha_namespaces SET acl = ? WHERE name = ?", (value, name))


def has_schema_privilege(grants: Grants, schemas: dict[str, namespaces.Schema], schema: str,
                         text: Any) -> bool:
    """has_schema_privilege: holds any of the privileges named (3F000 for no such schema)."""
    wanted = _wanted(text, _SCHEMA_WORDS)
    if schema not in schemas and schema not in namespaces.BUILTIN:
        raise InvalidSchemaName(f'schema "{schema}" does not exist')
    if grants.superuser:
        return True
    if schema in grants.schemas:
        privileges, options = grants.schemas[schema]
    else:  # the system schemas: USAGE is PUBLIC's, without grant option
        privileges, options = grants.on_schema(schema), ""
    return any(letter in (options if option else privileges) for letter, option in wanted)


# -- GRANT / REVOKE on relations ------------------------------------------------------------


def _letters(node: ast.GrantStmt, rel: Relation) -> str:
    """The privileges a GRANT/REVOKE names, as letters valid for ``rel``."""
    if not node.privileges:  # ALL [PRIVILEGES]
        return all_privileges(rel)
    out = ""
    for priv in node.privileges:
        if priv.cols:
            raise FeatureNotSupported("column privileges are not supported")
        letter = NAMES.get(priv.priv_name)
        word = priv.priv_name.upper()
        if letter is None:
            raise InvalidGrantOperation(f'unrecognized privilege type "{priv.priv_name}"')
        if isinstance(rel, Sequence):
            if letter not in SEQUENCE_PRIVILEGES:
                raise InvalidGrantOperation(f"invalid privilege type {word} for sequence")
        elif letter not in TABLE_PRIVILEGES:
            raise InvalidGrantOperation(f"invalid privilege type {word} for table")
        out += letter
    return out


def _targets(node: ast.GrantStmt, catalog: Catalog, grants: Grants) -> list[Relation]:
    kinds_of = enums.ObjectType
    if node.targtype == enums.GrantTargetType.ACL_TARGET_ALL_IN_SCHEMA:
        # (objectsInSchemaToOids: each schema looked up as a qualified name is, USAGE needed)
        names = []
        for schema in node.objects or ():
            if schema.sval != "public" and schema.sval not in catalog.schemas:
                raise InvalidSchemaName(f'schema "{schema.sval}" does not exist')
            if "U" not in grants.on_schema(schema.sval):
                raise schema_denied(schema.sval)
            names.append(schema.sval)
        kinds = ("S",) if node.objtype == kinds_of.OBJECT_SEQUENCE else ("r", "v")
        return [r for r in sorted(catalog.by_oid.values(), key=lambda r: r.oid)
                if r.kind in kinds and r.oid < FIRST_TEMP_OID
                and catalog.split(r.name)[0] in names]
    out: list[Relation] = []
    for rv in node.objects or ():
        if rv.schemaname not in (None, "public"):
            raise UndefinedTable(f'relation "{rv.schemaname}.{rv.relname}" does not exist')
        rel = catalog.by_name.get(rv.relname)
        if rel is None or rel.oid >= FIRST_TEMP_OID:
            raise UndefinedTable(f'relation "{rv.relname}" does not exist')
        if node.objtype == kinds_of.OBJECT_SEQUENCE and not isinstance(rel, Sequence):
            raise WrongObjectType(f'"{rv.relname}" is not a sequence')
        out.append(rel)
    return out


def grantee_oids(conn: Any, specs: Iterable[ast.RoleSpec], current: str) -> list[int]:
    T = enums.RoleSpecType
    out = []
    for spec in specs:
        if spec.roletype == T.ROLESPEC_PUBLIC:
            out.append(PUBLIC)
            continue
        name = spec.rolename or "" if spec.roletype == T.ROLESPEC_CSTRING else current
        role = roles.find(conn, name)
        if role is None:
            raise UndefinedObject(f'role "{name}" does not exist')
        out.append(role.oid)
    return out


def grant_relations(conn: Any, catalog: Catalog, node: ast.GrantStmt, grants: Grants,
                    current: str, warnings: list[Notice]) -> list[Relation]:
    """Apply a GRANT or REVOKE on tables, views or sequences; returns the changed relations
    (the caller saves them). The grantor is the owner when the owner or a superuser grants
    (PostgreSQL's select_best_grantor), else the granting role, which needs the grant option."""
    grantees = grantee_oids(conn, node.grantees or (), current)
    if node.is_grant and node.grant_option and PUBLIC in grantees:
        raise InvalidGrantOperation("grant options can only be granted to roles")
    changed = []
    for rel in _targets(node, catalog, grants):
        letters = _letters(node, rel)
        if not grants.owns(rel):
            # PostgreSQL's restrict_and_check_grant: refused without any privilege on the
            # relation; with some but not the grant options, a WARNING and nothing changes.
            may = grants.grant_options(rel)
            if not may and not grants.allows(rel, all_privileges(rel)):
                raise denied(rel)
            kept = "".join(c for c in letters if c in may)
            if kept != letters:
                verb = ("were granted" if node.is_grant else "could be revoked")
                word = "no" if not kept else "not all"
                warnings.append(Notice("01007" if node.is_grant else "01006",
                                       f'{word} privileges {verb} for "{rel.name}"', "WARNING"))
            letters = kept
        items = acl_of(rel)
        _apply(items, grantees, rel.owner if grants.owns(rel) else grants.role_oid, letters,
               node)
        rel.acl = [[i.grantee, i.grantor, i.privileges, i.options] for i in items]
        changed.append(rel)
    return changed


def _update(items: list[AclItem], grantee: int, grantor: int, letters: str,
            node: ast.GrantStmt) -> None:
    """aclupdate(): change the item of (grantee, grantor) in place, append a new one at the
    end, drop one left with no privileges."""
    item = next((i for i in items if i.grantee == grantee and i.grantor == grantor), None)
    if node.is_grant:
        if not letters:
            return
        if item is None:
            item = AclItem(grantee, grantor, "")
            items.append(item)
        item.privileges = _union(item.privileges, letters)
        if node.grant_option:
            item.options = _union(item.options, letters)
        return
    if item is None:
        return
    item.options = "".join(c for c in item.options if c not in letters)
    if not node.grant_option:  # REVOKE GRANT OPTION FOR keeps the privileges themselves
        item.privileges = "".join(c for c in item.privileges if c not in letters)
    if not item.privileges:
        items.remove(item)


def _apply(items: list[AclItem], grantees: list[int], grantor: int, letters: str,
           node: Any) -> None:
    """GRANT or REVOKE ``letters`` for each grantee as ``grantor`` (a table's or a schema's
    ACL alike); a REVOKE also takes what the grantees granted on with the options they lose."""
    for grantee in grantees:
        before = next((i.options for i in items
                       if i.grantee == grantee and i.grantor == grantor), "")
        _update(items, grantee, grantor, letters, node)
        if not node.is_grant:
            _revoke_dependents(items, grantee, "".join(c for c in before if c in letters),
                               node.behavior == enums.DropBehavior.DROP_CASCADE)


def _revoke_dependents(items: list[AclItem], grantor: int, lost: str, cascade: bool) -> None:
    """Privileges ``grantor`` gave with the grant options it just lost go too: with CASCADE,
    else 2BP01 (PostgreSQL's recursive_revoke)."""
    if not lost or any(i.grantee == grantor and c in i.options for i in items for c in lost):
        return
    for item in [i for i in items if i.grantor == grantor and set(i.privileges) & set(lost)]:
        if not cascade:
            raise DependentObjectsStillExist(
                "dependent privileges exist", hint="Use CASCADE to revoke them too.")
        gone = "".join(c for c in item.options if c in lost)
        item.privileges = "".join(c for c in item.privileges if c not in lost)
        item.options = "".join(c for c in item.options if c not in lost)
        if not item.privileges:
            items.remove(item)
        _revoke_dependents(items, item.grantee, gone, cascade)


def _union(a: str, b: str) -> str:
    return "".join(c for c in LETTERS if c in a or c in b)


def dependents(conn: Any, catalog: Catalog, role_oid: int,
               path: tuple[str, ...] = namespaces.DEFAULT_PATH) -> list[str]:
    """What stops DROP ROLE: schemas and relations the role owns or holds privileges on
    (2BP01's detail lines, as PostgreSQL words them, in OID order as it sorts them; a
    relation the search ``path`` does not find is named with its schema)."""
    out: list[tuple[int, str]] = []
    schemas = [(namespaces.PUBLIC_OID, "public", DATABASE_OWNER_OID, schema_acl(conn))]
    schemas += [(s.oid, s.name, s.owner_oid, schema_items(s)) for s in catalog.schemas.values()]
    for oid, name, owner, items in schemas:
        if owner == role_oid:
            out.append((oid, f"owner of schema {name}"))
        elif any(i.grantee == role_oid or i.grantor == role_oid for i in items):
            out.append((oid, f"privileges for schema {name}"))
    for rel in catalog.by_oid.values():
        if rel.oid >= FIRST_TEMP_OID:
            continue
        shown = catalog.relname(rel.name)
        if not namespaces.visible(rel.name, catalog.by_name, catalog.schemas, path):
            shown = ".".join(catalog.split(rel.name))
        if rel.owner == role_oid:
            out.append((rel.oid, f"owner of {kind_word(rel)} {shown}"))
        elif any(i.grantee == role_oid or i.grantor == role_oid for i in acl_of(rel)):
            out.append((rel.oid, f"privileges for {kind_word(rel)} {shown}"))
    return [line for _, line in sorted(out)]



# -- has_*_privilege, pg_has_role ---------------------------------------------------------------


def _wanted(text: Any, valid: dict[str, str]) -> list[tuple[str, bool]]:
    """A privilege-check function's privilege text (``'SELECT, UPDATE WITH GRANT OPTION'``)
    as (letter, with grant option) pairs; 22023 for a word the object type has not."""
    out = []
    for part in str(text).split(","):
        words = part.strip().lower()
        option = words.endswith(" with grant option")
        word = words.removesuffix(" with grant option").strip()
        if word not in valid:
            raise InvalidParameterValue(f'unrecognized privilege type: "{part.strip()}"')
        out.append((valid[word], option))
    return out


_TABLE_WORDS = {w: NAMES[w] for w in ("select", "insert", "update", "delete", "truncate",
                                       "references", "trigger")}
_SEQUENCE_WORDS = {w: NAMES[w] for w in ("usage", "select", "update")}
_SCHEMA_WORDS = {"usage": "U", "create": "C"}
_DATABASE_WORDS = {"create": "C", "connect": "c", "temporary": "T", "temp": "T"}


def has_relation_privilege(grants: Grants, rel: Relation | None, text: Any,
                           sequence: bool = False) -> bool:
    """has_table_privilege / has_sequence_privilege: holds any of the privileges named. A
    relation pgha does not keep (a system catalog) is readable by everyone."""
    valid = _SEQUENCE_WORDS if sequence else _TABLE_WORDS
    wanted = _wanted(text, valid)
    if rel is None:
        return any(letter == "r" for letter, _ in wanted)
    if grants.owns(rel):
        return True
    items = acl_of(rel)
    return any((item.grantee == PUBLIC or item.grantee in grants.roles)
               and letter in (item.options if option else item.privileges)
               for letter, option in wanted for item in items)


def has_database_privilege(grants: Grants, text: Any) -> bool:
    """The database's default ACL: its owner (postgres) holds everything, PUBLIC may
    CONNECT and create TEMPORARY tables."""
    wanted = _wanted(text, _DATABASE_WORDS)
    owner = grants.superuser or roles.BOOTSTRAP_OID in grants.roles
    return any(owner or (letter in "Tc" and not option) for letter, option in wanted)


# -- ownership ---------------------------------------------------------------------------------


def change_owner(rel: Relation, new_owner: int) -> None:
    """ALTER ... OWNER TO: the relation and its ACL move to ``new_owner``."""
    old, rel.owner = rel.owner, new_owner
    if rel.acl is None or old == new_owner:
        return
    merged = new_owner_items(acl_of_items(rel.acl), old, new_owner)
    rel.acl = [[i.grantee, i.grantor, i.privileges, i.options] for i in merged]


def new_owner_items(items: list[AclItem], old: int, new_owner: int) -> list[AclItem]:
    """PostgreSQL's aclnewowner: the old owner's items become the new owner's, merged with
    any it had."""
    merged: list[AclItem] = []
    for item in items:
        item.grantee = new_owner if item.grantee == old else item.grantee
        item.grantor = new_owner if item.grantor == old else item.grantor
        same = next((m for m in merged
                     if m.grantee == item.grantee and m.grantor == item.grantor), None)
        if same is None:
            merged.append(item)
        else:
            same.privileges = _union(same.privileges, item.privileges)
            same.options = _union(same.options, item.options)
    return merged


def acl_of_items(acl: list[list[Any]]) -> list[AclItem]:
    return [AclItem(*item) for item in acl]


def owned_by(catalog: Catalog, role_oid: int) -> list[Relation]:
    return [r for r in catalog.by_oid.values() if r.owner == role_oid and r.oid < FIRST_TEMP_OID]


def forget_grantee(rel: Relation, role_oid: int) -> bool:
    """DROP OWNED: the privileges ``role_oid`` holds on ``rel`` go; whether any did."""
    if rel.acl is None or rel.oid >= FIRST_TEMP_OID:
        return False
    kept = [item for item in rel.acl if item[0] != role_oid]
    changed = len(kept) != len(rel.acl)
    rel.acl = kept
    return changed


def forget_schema_grantee(conn: Any, schemas: dict[str, namespaces.Schema],
                          role_oid: int) -> None:
    """DROP OWNED: the privileges ``role_oid`` holds on schemas go, and those it granted
    with them."""
    acls = [("public", schema_acl(conn))]
    acls += [(s.name, schema_items(s)) for s in schemas.values() if s.acl is not None]
    for name, items in acls:
        mine = [i for i in items if i.grantee == role_oid]
        for item in mine:  # REVOKE ALL ... CASCADE (RemoveRoleFromObjectACL)
            items.remove(item)
            _revoke_dependents(items, role_oid, item.options, True)
        if mine:
            save_schema_acl(conn, name, items)


def change_schema_owner(conn: Any, schema: namespaces.Schema, owner: str,
                        new_owner: int) -> None:
    """ALTER SCHEMA ... OWNER TO, REASSIGN OWNED: the owner and its ACL items move to
    ``new_owner`` (aclnewowner)."""
    conn.execute("UPDATE __pgha_namespaces SET owner = ? WHERE name = ?", (owner, schema.name))
    if schema.acl is not None and new_owner != schema.owner_oid:
        save_schema_acl(conn, schema.name, new_owner_items(schema_items(schema),
                                                            schema.owner_oid, new_owner))
