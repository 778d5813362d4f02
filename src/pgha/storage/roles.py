"""Roles: CREATE/ALTER/DROP ROLE (and USER), kept in ``__pgha_roles`` so that they replicate
with the data and every node accepts the same logins.

``postgres`` is the bootstrap superuser, as after initdb: it always exists and cannot be
dropped. Passwords are stored as SCRAM-SHA-256 verifiers (PostgreSQL's default
``password_encryption``), or as given when already a SCRAM or md5 secret. pgha has no
privilege system: every role may do everything (GRANT and REVOKE are not supported), and the
attributes are kept for the catalog (``pg_roles``, psql's ``\\du``) and for logging in
(LOGIN, PASSWORD, VALID UNTIL).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from pglast import ast, enums

from pgha.wire.auth import scram_verifier
from pgha.wire.errors import (
    DuplicateObject,
    FeatureNotSupported,
    InvalidDatetimeFormat,
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
        elif key in ("addroleto", "rolemembers", "adminmembers", "sysid"):
            raise FeatureNotSupported("role membership (IN ROLE, ROLE, ADMIN) is not supported")
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


def create(conn: Any, node: ast.CreateRoleStmt) -> str:
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
    values.update(_attributes(node.options, name))
    top = next(iter(conn.execute("SELECT max(oid) FROM __pgha_roles")))[0]
    values["oid"] = max(FIRST_ROLE_OID, (top or 0) + 1)
    names = ", ".join(values)
    conn.execute(f"INSERT INTO __pgha_roles ({names}) VALUES "
                 f"({', '.join('?' for _ in values)})", tuple(values.values()))
    return "CREATE ROLE"


def alter(conn: Any, node: ast.AlterRoleStmt) -> str:
    spec = node.role
    if spec.roletype != enums.RoleSpecType.ROLESPEC_CSTRING:
        raise FeatureNotSupported("ALTER ROLE CURRENT_USER/SESSION_USER is not supported")
    name = spec.rolename
    role = find(conn, name)
    if role is None:
        raise UndefinedObject(f'role "{name}" does not exist')
    changes = _attributes(node.options, name)
    if not changes:
        return "ALTER ROLE"
    if role is BOOTSTRAP_ROLE:  # first change of postgres: give it a row
        conn.execute(f"INSERT INTO __pgha_roles ({', '.join(_COLUMNS)}) VALUES "
                     f"({', '.join('?' for _ in _COLUMNS)})",
                     (role.name, role.oid, 1, 1, 1, 1, 1, -1, None, None, 1, 1))
    sets = ", ".join(f"{k} = ?" for k in changes)
    conn.execute(f"UPDATE __pgha_roles SET {sets} WHERE name = ?", (*changes.values(), name))
    return "ALTER ROLE"


def drop(conn: Any, node: ast.DropRoleStmt, current_user: str) -> str:
    for spec in node.roles:
        name = spec.rolename
        if name == BOOTSTRAP:
            raise ObjectInUse(f'cannot drop role {name}',
                              detail="It is the bootstrap superuser.")
        if name == current_user:
            raise ObjectInUse("current user cannot be dropped")
        if find(conn, name) is None:
            if node.missing_ok:
                continue  # PostgreSQL: NOTICE role "x" does not exist, skipping
            raise UndefinedObject(f'role "{name}" does not exist')
        conn.execute("DELETE FROM __pgha_roles WHERE name = ?", (name,))
    return "DROP ROLE"
