"""Roles: CREATE/ALTER/DROP ROLE (and USER), kept in ``__pgha_roles`` so that they replicate
with the data and every node accepts the same logins.

``postgres`` is the bootstrap superuser, as after initdb: it always exists and cannot be
dropped. Passwords are stored as SCRAM-SHA-256 verifiers (PostgreSQL's default
``password_encryption``), or as given when already a SCRAM or md5 secret. The attributes are
kept for the catalog (``pg_roles``, psql's ``\\du``), for logging in (LOGIN, PASSWORD, VALID
UNTIL) and for privileges (SUPERUSER, CREATEROLE, INHERIT; see ``privileges.py``).

Membership (``GRANT role TO role``, ``CREATE ROLE ... IN ROLE/ROLE/ADMIN``) is kept in
``__pgha_auth_members`` (``pg_auth_members``): a member with INHERIT holds the privileges of
the roles it belongs to, transitively (``inherited``); SET ROLE needs membership of any kind
(``member_of``). As in PostgreSQL 15, creating, altering and dropping roles needs CREATEROLE
(superuser roles need a superuser), and granting a role needs CREATEROLE or its ADMIN
OPTION. ``ALTER ROLE name SET/RESET`` values are kept in ``__pgha_role_settings``
(``pg_db_role_setting``) and applied when the role logs in; ``IN DATABASE`` and ``ALTER ROLE
ALL`` are not supported. All of these tables live in the data file, so they replicate.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pglast import ast, enums

from pgha.wire.auth import scram_verifier
from pgha.wire.errors import (
    DependentObjectsStillExist,
    DuplicateObject,
    FeatureNotSupported,
    InsufficientPrivilege,
    InvalidDatetimeFormat,
    InvalidGrantOperation,
    InvalidParameterValue,
    ObjectInUse,
    ReservedName,
    UndefinedObject,
)

BOOTSTRAP = "postgres"
BOOTSTRAP_OID = 10
FIRST_ROLE_OID = 16384

_COLUMNS = ("name", "oid", "superuser", "createdb", "createrole", "login", "replication",
            "connlimit", "password", "valid_until", "inherit", "bypassrls")


@dataclass(frozen=True, slots=True)
class Role:
    name: str
    oid: int
    superuser: bool = False
    createdb: bool = False
    createrole: bool = False
    login: bool = False
    replication: bool = False
    connlimit: int = -1
    password: str | None = None  # SCRAM verifier or md5 secret
    valid_until: str | None = None  # timestamptz text (UTC)
    inherit: bool = True
    bypassrls: bool = False


BOOTSTRAP_ROLE = Role(BOOTSTRAP, BOOTSTRAP_OID, superuser=True, createdb=True, createrole=True,
                      login=True, replication=True, bypassrls=True)


def _role(row: Any) -> Role:
    name, oid, su, cdb, crole, login, repl, limit, password, until, inherit, bypass = row
    return Role(name, oid, bool(su), bool(cdb), bool(crole), bool(login), bool(repl), limit,
                password, until, bool(inherit), bool(bypass))


def find(conn: Any, name: str) -> Role | None:
    """The role ``name``, or None (``postgres`` always exists)."""
    row = next(iter(conn.execute(f"SELECT {', '.join(_COLUMNS)} FROM __pgha_roles "
                                 "WHERE name = ?", (name,))), None)
    if row is not None:
        return _role(row)
    return BOOTSTRAP_ROLE if name == BOOTSTRAP else None


def every(conn: Any) -> list[Role]:
    rows = [_role(r) for r in conn.execute(f"SELECT {', '.join(_COLUMNS)} FROM __pgha_roles "
                                           "ORDER BY oid")]
    return rows if any(r.name == BOOTSTRAP for r in rows) else [BOOTSTRAP_ROLE, *rows]


def expired(role: Role, now: dt.datetime | None = None) -> bool:
    """Is the role's password past VALID UNTIL?"""
    if role.valid_until is None:
        return False
    until = dt.datetime.fromisoformat(role.valid_until)
    if until.tzinfo is None:
        until = until.replace(tzinfo=dt.UTC)
    return (now or dt.datetime.now(dt.UTC)) >= until


# -- statements ------------------------------------------------------------------------------

_FLAGS = {"superuser": "superuser", "createdb": "createdb", "createrole": "createrole",
          "canlogin": "login", "isreplication": "replication", "inherit": "inherit",
          "bypassrls": "bypassrls"}


def _attributes(options: tuple[Any, ...] | None, name: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for option in options or ():
        key, arg = option.defname, option.arg
        if key in _FLAGS:
            out[_FLAGS[key]] = 1 if (arg is None or arg.boolval) else 0
        elif key == "connectionlimit":
            limit = int(arg.ival)
            if limit < -1:
                raise InvalidParameterValue(f"invalid connection limit: {limit}")
            out["connlimit"] = limit
        elif key == "password":
            out["password"] = None if arg is None else _secret(arg.sval, name)
        elif key == "validUntil":
            out["valid_until"] = _timestamp(arg.sval)
        elif key in ("addroleto", "rolemembers", "adminmembers"):  # (ALTER ROLE has none)
            raise FeatureNotSupported(f"role option {key} is not supported here")
        elif key == "sysid":
            raise FeatureNotSupported("SYSID is not supported")
        else:
            raise FeatureNotSupported(f"role option {key} is not supported")
    return out


def _secret(password: str, name: str) -> str | None:
    if password.startswith("SCRAM-SHA-256$") or (len(password) == 35 and
                                                  password.startswith("md5")):
        return password  # already a verifier (pg_dumpall writes them so)
    if password == "":
        return None  # PostgreSQL: an empty password is no password
    return scram_verifier(password)


def _timestamp(text: str) -> str:
    if text.lower() == "infinity":
        return "9999-12-31 23:59:59+00:00"
    try:
        moment = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise InvalidDatetimeFormat(f'invalid input syntax for type timestamp with time zone: '
                                    f'"{text}"') from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC).isoformat(sep=" ")


def acting(conn: Any, user: str) -> Role:
    """The role a session acts as (a ``--user`` login without a row is a superuser)."""
    role = find(conn, user)
    return role if role is not None else Role(user, 0, superuser=True, createrole=True)


def _may_manage(actor: Role, target_superuser: bool, what: str) -> None:
    """PostgreSQL 15: roles are managed by CREATEROLE roles; superusers only by superusers."""
    if actor.superuser:
        return
    if target_superuser:
        raise InsufficientPrivilege(f"must be superuser to {what} superusers")
    if not actor.createrole:
        raise InsufficientPrivilege(f"permission denied to {what} role")


def create(conn: Any, node: ast.CreateRoleStmt, actor: Role = BOOTSTRAP_ROLE) -> str:
    name = node.role
    if find(conn, name) is not None:
        raise DuplicateObject(f'role "{name}" already exists')
    if name.startswith("pg_"):
        raise ReservedName(f'role name "{name}" is reserved',
                           detail='Role names starting with "pg_" are reserved.')
    values: dict[str, Any] = {"name": name, "superuser": 0, "createdb": 0, "createrole": 0,
                              "login": int(node.stmt_type == enums.RoleStmtType.ROLESTMT_USER),
                              "replication": 0, "connlimit": -1, "password": None,
                              "valid_until": None, "inherit": 1, "bypassrls": 0}
    members = [o for o in node.options or () if o.defname in _MEMBERSHIP]
    values.update(_attributes(tuple(o for o in node.options or () if o not in members), name))
    _may_manage(actor, bool(values["superuser"]), "create")
    top = next(iter(conn.execute("SELECT max(oid) FROM __pgha_roles")))[0]
    values["oid"] = max(FIRST_ROLE_OID, (top or 0) + 1)
    names = ", ".join(values)
    conn.execute(f"INSERT INTO __pgha_roles ({names}) VALUES "
                 f"({', '.join('?' for _ in values)})", tuple(values.values()))
    new = find(conn, name)
    assert new is not None
    for option in members:  # IN ROLE r: new joins r; ROLE m / ADMIN m: m joins new
        for spec in option.arg:
            other = find(conn, spec.rolename or "")
            if other is None:
                raise UndefinedObject(f'role "{spec.rolename}" does not exist')
            if option.defname == "addroleto":
                if not _admin_of(conn, actor, other):
                    raise InsufficientPrivilege(f'must have admin option on role "{other.name}"')
                _add_member(conn, other, new, actor, False)
            else:
                _add_member(conn, new, other, actor, option.defname == "adminmembers")
    return "CREATE ROLE"


_MEMBERSHIP = ("addroleto", "rolemembers", "adminmembers")


def alter(conn: Any, node: ast.AlterRoleStmt, actor: Role = BOOTSTRAP_ROLE) -> str:
    spec = node.role
    if spec.roletype != enums.RoleSpecType.ROLESPEC_CSTRING:
        raise FeatureNotSupported("ALTER ROLE CURRENT_USER/SESSION_USER is not supported")
    name = spec.rolename
    role = find(conn, name)
    if role is None:
        raise UndefinedObject(f'role "{name}" does not exist')
    changes = _attributes(node.options, name)
    if not actor.superuser:
        if role.superuser or "superuser" in changes:
            raise InsufficientPrivilege("must be superuser to alter superuser roles or change "
                                        "superuser attribute")
        # (any role may change its own password)
        if not actor.createrole and not (name == actor.name and set(changes) <= {"password"}):
            raise InsufficientPrivilege("permission denied")
    if not changes:
        return "ALTER ROLE"
    if role is BOOTSTRAP_ROLE:  # first change of postgres: give it a row
        conn.execute(f"INSERT INTO __pgha_roles ({', '.join(_COLUMNS)}) VALUES "
                     f"({', '.join('?' for _ in _COLUMNS)})",
                     (role.name, role.oid, 1, 1, 1, 1, 1, -1, None, None, 1, 1))
    sets = ", ".join(f"{k} = ?" for k in changes)
    conn.execute(f"UPDATE __pgha_roles SET {sets} WHERE name = ?", (*changes.values(), name))
    return "ALTER ROLE"


def drop(conn: Any, node: ast.DropRoleStmt, current_user: str, actor: Role = BOOTSTRAP_ROLE,
         dependents: Callable[[int], list[str]] = lambda oid: []) -> str:
    """DROP ROLE; ``dependents(oid)`` lists what the role owns or holds privileges on, which
    keeps it from being dropped (2BP01)."""
    for spec in node.roles:
        name = spec.rolename
        if name == BOOTSTRAP:
            raise ObjectInUse(f'cannot drop role {name}',
                              detail="It is the bootstrap superuser.")
        if name == current_user:
            raise ObjectInUse("current user cannot be dropped")
        role = find(conn, name)
        if role is None:
            if node.missing_ok:
                continue  # PostgreSQL: NOTICE role "x" does not exist, skipping
            raise UndefinedObject(f'role "{name}" does not exist')
        _may_manage(actor, role.superuser, "drop")
        held = dependents(role.oid)
        if held:
            raise DependentObjectsStillExist(
                f'role "{name}" cannot be dropped because some objects depend on it',
                detail="\n".join(held))
        conn.execute("DELETE FROM __pgha_roles WHERE name = ?", (name,))
        conn.execute("DELETE FROM __pgha_auth_members WHERE roleid = ? OR member = ?",
                     (role.oid, role.oid))
        conn.execute("DELETE FROM __pgha_role_settings WHERE role = ?", (role.oid,))
    return "DROP ROLE"


# -- per-role settings -----------------------------------------------------------------------


def set_config(conn: Any, node: ast.AlterRoleSetStmt, actor: Role, name: str,
               value: str | None) -> str:
    """ALTER ROLE name SET name = value (``value`` already checked) / RESET name / RESET ALL
    (``value`` None). A role may change its own; others need CREATEROLE, superusers a
    superuser."""
    if node.database is not None:
        raise FeatureNotSupported("ALTER ROLE ... IN DATABASE is not supported")
    spec = node.role
    if spec is None:
        raise FeatureNotSupported("ALTER ROLE ALL ... SET is not supported")
    role_name = spec.rolename if spec.roletype == enums.RoleSpecType.ROLESPEC_CSTRING \
        else actor.name
    role = find(conn, role_name or "")
    if role is None:
        raise UndefinedObject(f'role "{role_name}" does not exist')
    if not actor.superuser and role.name != actor.name:
        if role.superuser:
            raise InsufficientPrivilege("must be superuser to alter superusers")
        if not actor.createrole:
            raise InsufficientPrivilege("permission denied")
    if value is not None:
        conn.execute("INSERT INTO __pgha_role_settings (role, name, value) VALUES (?, ?, ?) "
                     "ON CONFLICT (role, name) DO UPDATE SET value = excluded.value",
                     (role.oid, name, value))
    elif name:
        conn.execute("DELETE FROM __pgha_role_settings WHERE role = ? AND name = ?",
                     (role.oid, name))
    else:
        conn.execute("DELETE FROM __pgha_role_settings WHERE role = ?", (role.oid,))
    return "ALTER ROLE"


def settings_of(conn: Any, name: str) -> list[tuple[str, str]]:
    """The ALTER ROLE ... SET values of role ``name``, in the order they were first set."""
    return [(n, v) for n, v in conn.execute(
        "SELECT s.name, s.value FROM __pgha_role_settings s JOIN __pgha_roles r "
        "ON r.oid = s.role WHERE r.name = ? ORDER BY s.rowid", (name,))]


def role_settings(conn: Any) -> list[tuple[int, list[str]]]:
    """pg_db_role_setting: (role OID, ["name=value", ...])."""
    out: dict[int, list[str]] = {}
    for role, name, value in conn.execute(
            "SELECT role, name, value FROM __pgha_role_settings ORDER BY role, rowid"):
        out.setdefault(role, []).append(f"{name}={value}")
    return list(out.items())


# -- membership ------------------------------------------------------------------------------


def memberships(conn: Any) -> list[tuple[int, int, int, bool]]:
    """pg_auth_members: (roleid, member, grantor, admin_option)."""
    return [(r, m, g, bool(a)) for r, m, g, a in conn.execute(
        "SELECT roleid, member, grantor, admin_option FROM __pgha_auth_members "
        "ORDER BY roleid, member")]


def inherited(conn: Any, oid: int) -> set[int]:
    """The role and every role whose privileges it holds: the roles it is a member of,
    through members that have INHERIT (PostgreSQL 15's roles_is_member_of, ROLERECURSE_PRIVS)."""
    parents: dict[int, list[int]] = {}
    for roleid, member, _, _ in memberships(conn):
        parents.setdefault(member, []).append(roleid)
    if not parents:
        return {oid}
    noinherit = {r.oid for r in every(conn) if not r.inherit}
    seen, todo = {oid}, [oid]
    while todo:
        current = todo.pop()
        if current in noinherit:
            continue
        for parent in parents.get(current, ()):
            if parent not in seen:
                seen.add(parent)
                todo.append(parent)
    return seen


def member_of(conn: Any, oid: int) -> set[int]:
    """Every role ``oid`` belongs to, directly or not, whatever INHERIT says (pg_has_role's
    MEMBER, SET ROLE)."""
    parents: dict[int, list[int]] = {}
    for roleid, member, _, _ in memberships(conn):
        parents.setdefault(member, []).append(roleid)
    seen, todo = {oid}, [oid]
    while todo:
        for parent in parents.get(todo.pop(), ()):
            if parent not in seen:
                seen.add(parent)
                todo.append(parent)
    return seen


def _admin_of(conn: Any, actor: Role, role: Role) -> bool:
    if actor.superuser or (actor.createrole and not role.superuser):
        return True
    row = conn.execute("SELECT 1 FROM __pgha_auth_members WHERE roleid = ? AND member = ? "
                       "AND admin_option", (role.oid, actor.oid)).fetchone()
    return row is not None


def grant_role(conn: Any, node: ast.GrantRoleStmt, actor: Role) -> str:
    """GRANT role TO role [WITH ADMIN OPTION] / REVOKE [ADMIN OPTION FOR] role FROM role."""
    admin = any(o.defname == "admin" and (o.arg is None or o.arg.boolval)
                for o in node.opt or ())
    for option in node.opt or ():
        if option.defname != "admin":
            raise FeatureNotSupported(f"GRANT role option {option.defname.upper()} is not "
                                      "supported")
    for priv in node.granted_roles or ():
        role = find(conn, priv.priv_name or "")
        if role is None:
            raise UndefinedObject(f'role "{priv.priv_name}" does not exist')
        if not _admin_of(conn, actor, role):
            if role.superuser:
                raise InsufficientPrivilege("must be superuser to alter superusers")
            raise InsufficientPrivilege(f'must have admin option on role "{role.name}"')
        for spec in node.grantee_roles or ():
            if spec.roletype != enums.RoleSpecType.ROLESPEC_CSTRING:
                raise FeatureNotSupported("GRANT role TO PUBLIC/CURRENT_USER is not supported")
            member = find(conn, spec.rolename or "")
            if member is None:
                raise UndefinedObject(f'role "{spec.rolename}" does not exist')
            if node.is_grant:
                _add_member(conn, role, member, actor, admin)
            elif admin:  # REVOKE ADMIN OPTION FOR
                conn.execute("UPDATE __pgha_auth_members SET admin_option = 0 "
                             "WHERE roleid = ? AND member = ?", (role.oid, member.oid))
            else:
                conn.execute("DELETE FROM __pgha_auth_members WHERE roleid = ? AND member = ?",
                             (role.oid, member.oid))
    return "GRANT ROLE" if node.is_grant else "REVOKE ROLE"


def _add_member(conn: Any, role: Role, member: Role, actor: Role, admin: bool) -> None:
    if member.oid in member_of(conn, role.oid):  # a loop (or the role itself): refused
        raise InvalidGrantOperation(f'role "{role.name}" is a member of role "{member.name}"')
    conn.execute("INSERT INTO __pgha_auth_members (roleid, member, grantor, admin_option) "
                 "VALUES (?, ?, ?, ?) ON CONFLICT (roleid, member) DO UPDATE SET "
                 "admin_option = max(admin_option, excluded.admin_option)",
                 (role.oid, member.oid, actor.oid or BOOTSTRAP_OID, int(admin)))
