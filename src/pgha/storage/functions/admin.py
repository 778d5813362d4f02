"""Session information (current_user, version(), settings), advisory locks, pg_sleep,
pg_notify, promotion of a standby, sizes and UUIDs: the functions that read or act on the
session and the node rather than on values.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import apsw

from pgha import PG_VERSION
from pgha.storage import namespaces
from pgha.storage.catalog import Catalog, Table
from pgha.storage.functions.context import FunctionContext, registrar
from pgha.wire.errors import (
    FeatureNotSupported,
    InvalidParameterValue,
    ObjectNotInPrerequisiteState,
    QueryCanceled,
    UndefinedObject,
)


def _size_pretty(n: Any) -> Any:
    if n is None:
        return None
    size = int(n)
    for unit in ("bytes", "kB", "MB", "GB", "TB"):
        if abs(size) < 10 * 1024 or unit == "TB":
            return f"{size} {unit}"
        size = (size + 512) // 1024 if size >= 0 else (size - 512) // 1024
    return f"{size} PB"


def _sleep(ctx: FunctionContext, secs: Any) -> None:
    """pg_sleep that a CancelRequest interrupts (the session sets ``ctx.cancel``)."""
    secs = None if secs is None else float(secs)  # numeric arrives as its decimal text
    if secs is not None and secs > 0 and ctx.cancel.wait(min(secs, 86_400.0)):
        raise QueryCanceled(f"canceling statement due to {ctx.cancel_reason}")


def _current_setting(ctx: FunctionContext, name: Any, missing_ok: Any) -> Any:
    key = str(name).lower()
    if key in ctx.settings:
        return ctx.settings[key]
    if missing_ok:
        return None
    raise UndefinedObject(f'unrecognized configuration parameter "{name}"')


def _set_config(ctx: FunctionContext, name: Any, value: Any, local: Any) -> Any:
    if ctx.set_setting is None:
        raise FeatureNotSupported("set_config is not available here")
    ctx.set_setting(str(name).lower(), "" if value is None else str(value), bool(local))
    return ctx.settings.get(str(name).lower(), value)


def table_size(catalog: Catalog, conn: apsw.Connection, oid: int) -> int:
    rel = catalog.by_oid.get(oid)
    if not isinstance(rel, Table):
        return 0
    try:
        row = conn.execute("SELECT sum(pgsize) FROM dbstat WHERE name = ?", (rel.name,)).fetchone()
    except apsw.Error:
        return 0
    return int(row[0] or 0) if row else 0


def _promote(ctx: FunctionContext, force: bool, wait: Any, seconds: Any) -> int:
    """pg_promote(wait, wait_seconds) wins an election first, trying for up to wait_seconds
    (it refuses a node that lacks commits another node holds); pgha_force_promote() skips the
    election and may lose them. Only a standby can be promoted (replication supplies
    ``on_promote``). The promotion is always waited for (``wait`` false is not honoured)."""
    if ctx.on_promote is None or not ctx.in_recovery():
        raise ObjectNotInPrerequisiteState(
            "recovery is not in progress",
            hint="Recovery control functions can only be executed during recovery.")
    if seconds is None or int(seconds) <= 0:
        raise InvalidParameterValue('"wait_seconds" must not be negative or zero')
    return 1 if ctx.on_promote(force, float(seconds)) else 0


def _schemas(ctx: FunctionContext, implicit: bool) -> list[str]:
    """current_schemas(implicit): the existing schemas of search_path, pg_catalog first when
    ``implicit`` and the path does not place it (PostgreSQL 15 docs, 9.26 "System
    Information Functions")."""
    if ctx.search_path is not None:  # (the schemas the role may use: see StorageSession)
        path = list(ctx.search_path())
    else:
        schemas = ctx.catalog.schemas if ctx.catalog is not None else {}
        path = list(namespaces.session_path(ctx.settings, ctx.user, schemas))
    if implicit and "pg_catalog" not in path:
        path.insert(0, "pg_catalog")
    return path


def register(conn: apsw.Connection, ctx: FunctionContext) -> None:
    """The functions above, bound to the session's ``ctx``."""
    f = registrar(conn)
    f("current_user", lambda: ctx.user, 0)
    f("session_user", lambda: ctx.session_user or ctx.user, 0)
    f("current_database", lambda: ctx.database, 0)
    f("current_schema", lambda: next(iter(_schemas(ctx, False)), None), 0)
    f("current_schemas", lambda implicit: json.dumps(_schemas(ctx, bool(implicit))), 1)
    f(
        "version",
        lambda: f"PostgreSQL {PG_VERSION} (pgha) on x86_64-pc-linux-gnu, compiled by pgha, 64-bit",
        0,
    )
    f("pg_backend_pid", lambda: ctx.backend_pid, 0)
    f("current_setting", lambda name, missing_ok=0: _current_setting(ctx, name, missing_ok), -1)
    f("set_config", lambda name, value, local: _set_config(ctx, name, value, local), 3)
    f("gen_random_uuid", lambda: str(uuid.uuid4()), 0)
    f("uuid_generate_v4", lambda: str(uuid.uuid4()), 0)
    f("pg_size_pretty", _size_pretty, 1, True)
    f("pg_sleep", lambda secs: _sleep(ctx, secs), 1)
    f("pg_notify", lambda channel, payload: ctx.notify(channel, payload) if ctx.notify else None,
      2)
    f(
        "pg_advisory_lock",
        lambda *key: ctx.advisory_locks.lock(id(ctx), key) if ctx.advisory_locks else None,
        -1,
    )
    f(
        "pg_try_advisory_lock",
        lambda *key: 1 if not ctx.advisory_locks or ctx.advisory_locks.try_lock(id(ctx), key)
        else 0,
        -1,
    )
    f(
        "pg_advisory_unlock",
        lambda *key: 1 if not ctx.advisory_locks or ctx.advisory_locks.unlock(id(ctx), key)
        else 0,
        -1,
    )
    f(
        "pg_advisory_unlock_all",
        lambda: ctx.advisory_locks.unlock_all(id(ctx)) if ctx.advisory_locks else None,
        0,
    )
    f("pg_is_in_recovery", lambda: 1 if ctx.in_recovery() else 0, 0)
    f("pg_promote", lambda wait=1, seconds=60: _promote(ctx, False, wait, seconds), -1)
    f("pgha_force_promote", lambda: _promote(ctx, True, 1, 60), 0)
