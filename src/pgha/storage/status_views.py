"""The replication views (pg_replication_status, _standbys, _primary, _metrics) and the
session's ``pg_prepared_statements`` as SQLite eponymous virtual tables.

The analyzer sees them as system relations (their columns and PostgreSQL types are declared
here); their rows come, at scan time, from the engine's ``status_provider`` (the node fills
it from the replication layer) or, for the session views, from the storage session, so every
query sees live values and can use any SQL over them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import apsw

from pgha.storage import oids as T

TX, I4, I8, F8, B, TS = T.TEXT, T.INT4, T.INT8, T.FLOAT8, T.BOOL, T.TIMESTAMPTZ

VIEWS: dict[str, list[tuple[str, int]]] = {
    "pg_replication_status": [
        ("node_id", TX), ("role", TX), ("sync_mode", TX), ("listen_address", TX),
        ("replication_port", I4), ("current_lsn", TX), ("is_read_only", B),
        ("standby_count", I4), ("uptime_seconds", I8), ("term", I8),
    ],
    "pg_replication_standbys": [
        ("node_id", TX), ("address", TX), ("sync_mode", TX), ("state", TX),
        ("current_lsn", TX), ("flush_lsn", TX), ("apply_lsn", TX), ("lag_bytes", I8),
        ("lag_ms", F8), ("lag_p50_ms", F8), ("lag_p95_ms", F8), ("lag_p99_ms", F8),
        ("connected_at", TS), ("last_heartbeat", TS), ("snapshot_bytes", I8),
        ("snapshot_total", I8),
    ],
    "pg_replication_primary": [
        ("node_id", TX), ("address", TX), ("state", TX), ("primary_lsn", TX),
        ("local_lsn", TX), ("lag_bytes", I8), ("lag_ms", F8), ("fencing_token", I8),
        ("connected_at", TS), ("last_heartbeat", TS), ("rebuilds", I8), ("last_rebuild", TX),
        ("client_address", TX), ("snapshot_bytes", I8), ("snapshot_total", I8),
    ],
    "pg_replication_metrics": [
        ("wal_writes", I8), ("wal_bytes_written", I8), ("records_replicated", I8),
        ("bytes_replicated", I8), ("heartbeats_sent", I8), ("heartbeats_received", I8),
        ("reconnect_count", I8), ("last_wal_write", TS), ("last_replication", TS),
        ("compression_ratio", F8), ("lag_p50_ms", F8), ("lag_p95_ms", F8), ("lag_p99_ms", F8),
        ("sync_waits", I8), ("sync_wait_seconds", F8), ("semi_sync_degradations", I8),
        ("ryw_waits", I8), ("ryw_wait_seconds", F8), ("ryw_fallbacks", I8),
    ],
    "pg_replication_history": [
        ("term", I8), ("primary_node", TX), ("started_at", TS), ("start_lsn", TX),
        ("reason", TX), ("records_discarded", I8),
    ],
}
# Rows that belong to one session (its own connection registers them).
SESSION_VIEWS: dict[str, list[tuple[str, int]]] = {
    "pg_prepared_statements": [
        ("name", TX), ("statement", TX), ("prepare_time", TS),
        ("parameter_types", T.ARRAY_OF[T.REGTYPE]), ("from_sql", B), ("generic_plans", I8),
        ("custom_plans", I8),
    ],
}
VIEW_NAMES = frozenset(VIEWS) | frozenset(SESSION_VIEWS)


def columns(name: str) -> list[tuple[str, int]] | None:
    """The (name, type OID) columns of the view ``name``, or None if it is none of these."""
    return VIEWS.get(name) or SESSION_VIEWS.get(name)


class _Module:
    def __init__(self, name: str, rows: Callable[[str], list[tuple[Any, ...]]]) -> None:
        self.name = name
        self.rows = rows

    def Create(self, db: Any, modulename: str, dbname: str, tablename: str,
               *args: Any) -> tuple[str, _Table]:
        cols = ", ".join(f'"{c}"' for c, _ in columns(self.name) or ())
        return f"CREATE TABLE x({cols})", _Table(self)

    Connect = Create


class _Table:
    def __init__(self, module: _Module) -> None:
        self.module = module

    def BestIndex(self, *args: Any) -> Any:
        return None

    def Open(self) -> _Cursor:
        return _Cursor(self.module)

    def Disconnect(self) -> None:
        pass

    Destroy = Disconnect


class _Cursor:
    def __init__(self, module: _Module) -> None:
        self.module = module
        self.rows: list[tuple[Any, ...]] = []
        self.pos = 0

    def Filter(self, *args: Any) -> None:
        self.rows = self.module.rows(self.module.name)
        self.pos = 0

    def Eof(self) -> bool:
        return self.pos >= len(self.rows)

    def Rowid(self) -> int:
        return self.pos

    def Column(self, col: int) -> Any:
        return self.rows[self.pos][col] if col >= 0 else self.pos

    def Next(self) -> None:
        self.pos += 1

    def Close(self) -> None:
        pass


def register(conn: apsw.Connection, rows: Callable[[str], list[tuple[Any, ...]]]) -> None:
    """The views on ``conn``; ``rows(view)`` gives a view's rows when a query scans it."""
    for name in (*VIEWS, *SESSION_VIEWS):
        conn.create_module(name, _Module(name, rows), eponymous=True)
