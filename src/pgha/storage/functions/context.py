"""What the functions of one connection read (``FunctionContext``), and how a family
registers its scalar functions on a connection.

Each connection gets its own set of functions, bound to that connection's context (session
time zone, user, statement timestamp, catalog snapshot), so no module-level mutable state is
needed.
"""

from __future__ import annotations

import datetime as dt
import functools
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import apsw

from pgha.storage.catalog import Catalog


@dataclass(slots=True)
class FunctionContext:
    """What the functions of one connection may read: set by the session before a statement."""

    user: str = "postgres"  # current_user: the session user, or the role SET ROLE chose
    session_user: str = ""  # (empty: the same as ``user``)
    database: str = "postgres"
    tz: str = "UTC"
    backend_pid: int = 0
    transaction_start: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    statement_start: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    catalog: Catalog | None = None
    settings: dict[str, str] = field(default_factory=dict)
    set_setting: Callable[[str, str, bool], None] | None = None
    last_sequence_values: dict[int, int] = field(default_factory=dict)
    last_sequence: int | None = None
    # Sequence states nextval/setval set in the current transaction (oid -> last_value,
    # is_called): they are never undone, so a rollback writes them again (see engine).
    sequences_set: dict[int, tuple[int, int]] = field(default_factory=dict)
    notify: Callable[[Any, Any], None] | None = None  # pg_notify: queue a notification
    advisory_locks: Any = None  # the engine's AdvisoryLocks, process-wide; owner: id(ctx)
    # (force, wait seconds), set by the replication role
    on_promote: Callable[[bool, float], bool] | None = None
    in_recovery: Callable[[], bool] = lambda: False  # a standby (read-only, applying WAL)
    cancel: threading.Event = field(default_factory=threading.Event)  # set by CancelRequest
    cancel_reason: str = "user request"  # or "statement timeout": what the 57014 says
    server_port: int | None = None  # inet_server_port(): the TCP port the client reached
    # (relation, letters): 42501 unless the current role holds one of the privileges
    require: Callable[[Any, str], None] = lambda rel, letters: None
    # A role's privileges (privileges.Grants): the current role's for None, else the role
    # named (or of that OID); for has_table_privilege and friends.
    grants_of: Callable[[Any], Any] = lambda role: None
    # The session's search path as it resolves names (the schemas the role may use), and
    # whether the role has USAGE on a schema (None: a superuser, or no session).
    search_path: Callable[[], tuple[str, ...]] | None = None
    schema_usable: Callable[[str], bool] | None = None


@functools.lru_cache(maxsize=64)
def _ts_text(moment: dt.datetime) -> str:
    """UTC storage text of an aware datetime (the timestamptz representation); remembered
    for the few instants in use (now() is the same for a whole transaction)."""
    moment = moment.astimezone(dt.UTC)
    text = moment.strftime("%Y-%m-%d %H:%M:%S")
    if moment.microsecond:
        text += f".{moment.microsecond:06d}".rstrip("0")
    return text


def registrar(conn: apsw.Connection) -> Callable[..., None]:
    """``f(name, fn, nargs, deterministic)``: define a scalar function on ``conn`` (a later
    definition of the same name and argument count replaces an earlier one)."""

    def f(name: str, fn: Callable[..., Any], nargs: int = -1, deterministic: bool = False) -> None:
        flags = apsw.SQLITE_DETERMINISTIC if deterministic else 0
        conn.create_scalar_function(name, fn, nargs, flags=flags)

    return f


def null_safe(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn`` answering NULL when any argument is NULL (a strict function)."""

    def wrapped(*args: Any) -> Any:
        if any(a is None for a in args):
            return None
        return fn(*args)

    return wrapped
