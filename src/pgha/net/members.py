"""The cluster's members as its nodes' ``pg_replication_*`` views describe them, for
``pgha status``, the HTTP API's ``/cluster`` and the proxy.

The primary is the node that knows every member (its standbys and observers report to it), so
``fetch_members`` asks the node it is given, and when that node is a standby it asks that
standby's primary (``pg_replication_primary.client_address``); when the primary cannot be
reached, the standby's own view (itself and the primary it last heard from) is the answer,
marked ``complete = False``. ``members_from_views`` builds the same list from rows already in
hand (a node answering ``/cluster`` about itself).
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import asdict, dataclass
from typing import Any

from pgha.net.backend import BackendConnection, BackendError
from pgha.net.tls import ClientTls
from pgha.wire.errors import InternalError, PgError

Row = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Member:
    name: str
    address: str  # PostgreSQL-wire address (host:port); the replication one if unknown
    role: str  # primary | standby | observer | standalone | fenced
    state: str  # running, streaming, synced, catching_up, snapshot, disconnected, unknown...
    term: int
    lsn: str  # a primary's WAL end; a standby's applied position
    lag_bytes: int | None = None
    lag_ms: float | None = None
    sync: str = ""  # how the primary's commits wait for it: sync, quorum, semi-sync, async
    snapshot: str = ""  # a bootstrap under way: "copied of total" bytes

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class ClusterMembers:
    members: list[Member]
    source: str  # the node whose views these are (its address)
    complete: bool = True  # False: a standby's own view; its primary could not be asked

    def to_json(self) -> dict[str, Any]:
        return {"members": [m.to_json() for m in self.members], "source": self.source,
                "complete": self.complete}


def _int(value: Any) -> int:
    return int(value) if value not in (None, "") else 0


def _float(value: Any) -> float | None:
    return round(float(value), 3) if value not in (None, "") else None


def _snapshot(row: Row) -> str:
    total = _int(row.get("snapshot_total"))
    return f"{_int(row.get('snapshot_bytes'))} of {total}" if total else ""


def members_from_views(status: Row, standbys: list[Row], primary: Row | None) -> list[Member]:
    """The members one node's views show: a primary (or standalone node) lists itself and
    its standbys; a standby lists itself and its primary."""
    role = str(status["role"])
    term = _int(status["term"])
    if role != "standby":
        out = [Member(str(status["node_id"]), str(status["listen_address"] or ""), role,
                      "fenced" if role == "fenced" else "running", term,
                      str(status["current_lsn"]), 0, 0.0)]
        for s in standbys:
            observer = s["state"] == "observer"
            out.append(Member(
                str(s["node_id"]), str(s["address"] or ""),
                "observer" if observer else "standby", str(s["state"]), term,
                "" if observer else str(s["apply_lsn"]),
                None if observer else _int(s["lag_bytes"]),
                None if observer else _float(s["lag_ms"]), str(s["sync_mode"] or ""),
                _snapshot(s)))
        return out
    p = primary or {}
    me = Member(str(status["node_id"]), str(status["listen_address"] or ""), role,
                str(p.get("state") or "disconnected"), term, str(p.get("local_lsn") or ""),
                _int(p.get("lag_bytes")), _float(p.get("lag_ms")), "", _snapshot(p))
    if not p.get("node_id"):
        return [me]
    return [Member(str(p["node_id"]), str(p.get("client_address") or p.get("address") or ""),
                   "primary", "unknown", term, str(p.get("primary_lsn") or "")), me]


async def _views(conn: BackendConnection) -> tuple[Row, list[Row], Row | None]:
    def dicts(result: tuple[list[str], list[tuple[str | None, ...]]]) -> list[Row]:
        columns, rows = result
        return [dict(zip(columns, row, strict=True)) for row in rows]

    status = dicts(await conn.query("SELECT * FROM pg_replication_status"))
    if not status:
        raise InternalError("pg_replication_status returned no row")
    standbys = dicts(await conn.query("SELECT * FROM pg_replication_standbys"))
    primary = dicts(await conn.query("SELECT * FROM pg_replication_primary"))
    return status[0], standbys, primary[0] if primary else None


def split_address(address: str) -> tuple[str, int]:
    host, _, port = address.rpartition(":")
    return host.strip("[]"), int(port)


async def _ask(host: str, port: int, user: str, password: str | None, database: str,
               timeout: float, tls: ClientTls | None) -> tuple[Row, list[Row], Row | None]:
    params = {"application_name": "pgha status"}
    conn = await BackendConnection.connect(host, port, user, database, password, params,
                                           timeout=timeout, tls=tls)
    try:
        async with asyncio.timeout(timeout):
            return await _views(conn)
    finally:
        conn.close()


async def fetch_members(host: str, port: int, user: str = "postgres",
                        password: str | None = None, database: str = "postgres",
                        timeout: float = 3.0, tls: ClientTls | None = None) -> ClusterMembers:
    """Ask the node (or proxy) at host:port, and its primary when it is a standby.
    Raises BackendError, PgError or TimeoutError when host:port itself cannot answer."""
    status, standbys, primary = await _ask(host, port, user, password, database, timeout, tls)
    own = ClusterMembers(members_from_views(status, standbys, primary), f"{host}:{port}",
                         complete=status["role"] != "standby")
    if own.complete or not primary or not primary.get("client_address"):
        return own
    where = str(primary["client_address"])
    with contextlib.suppress(BackendError, PgError, OSError, TimeoutError, ValueError):
        status, standbys, primary = await _ask(*split_address(where), user, password, database,
                                               timeout, tls)
        if status["role"] != "standby":
            return ClusterMembers(members_from_views(status, standbys, primary), where)
    return own
