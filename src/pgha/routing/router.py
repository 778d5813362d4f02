"""Where a statement runs: one pure decision for a standby node's write forwarding and for the
proxy alike.

``route(decision, state, view)`` takes what ``classify`` said of the statement, the session's
``SessionRouting`` state and a ``View`` of the cluster, and returns a ``Route``: the target
(the primary, a standby, or the backend where the session's open transaction or batch already
runs), the LSN that standby must have applied first (read-your-writes and causal tokens),
whether the session becomes pinned to the primary, and the reason (for ``pgha.explain_route``).
The caller does the I/O: it waits for the standby to apply ``wait_lsn`` (a node waits on its own
replication; the proxy asks the standby) and, if that takes longer than ``pgha.ryw_timeout``,
runs the statement on the primary instead (``Route.fallback``).

Invariant: inside a transaction, an extended-protocol batch, or while a reply is pending, the
target is ``CURRENT``; a caller that lost that backend ends the session (08006) rather than move
a transaction. The rules, in order, are the table in docs/routing.md; ``pgha.route = standby``
(or the hint ``/* pgha:standby */``) sends reads to a standby without the read-your-writes
wait: the client accepts possibly stale data.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from pgha.routing import settings
from pgha.routing.classify import DISCARD_ALL, RESET_ALL, Decision, Kind, Txn
from pgha.wire.lsn import parse_lsn


class Target(enum.Enum):
    PRIMARY = "primary"
    STANDBY = "standby"  # a node: this standby itself; the proxy: the standby it picks
    CURRENT = "current"  # the backend the open transaction, batch or reply is on


@dataclass(frozen=True, slots=True)
class View:
    """What routing needs to know of the cluster at this moment."""

    standby: bool  # a standby can serve reads (a node: it is one; the proxy: one in rotation)
    # The proxy: the pg_replication_* views are read on the primary, the one node whose rows
    # cover every member (a node answers them itself: they describe that node).
    views_on_primary: bool = False


A_STANDBY = View(standby=True)  # what a standby node sees of itself (made once, not per statement)


@dataclass(slots=True)
class Route:
    """What ``route`` decided; not changed once made. (Not a frozen dataclass: one is made
    per statement, and a frozen one costs three times as much to make.)"""

    target: Target
    reason: str
    wait_lsn: int = 0  # the standby must have applied this before it runs the statement
    pins: bool = False  # from now on the session stays on the primary

    def fallback(self) -> Route:
        """The standby did not apply ``wait_lsn`` within ``pgha.ryw_timeout``."""
        return Route(Target.PRIMARY, "the standby has not applied the session's last commit "
                     "yet", pins=self.pins)


@dataclass(slots=True)
class SessionRouting:
    """A client session's routing state, the same on a node and in the proxy."""

    busy_on: Target | None = None  # where a transaction, batch or reply is open (caller-set)
    pinned: bool = False
    last_commit: int = 0  # end LSN of the session's last commit
    commit_unknown: bool = False  # a commit's LSN was lost (its backend died): primary reads
    values: dict[str, str] = field(default_factory=lambda: dict(settings.DEFAULTS))
    # Session settings to replay on a backend the session opens later, by setting name
    # (a later SET of the same name replaces the earlier one; RESET ALL/DISCARD ALL clear).
    replay: dict[str, str] = field(default_factory=dict)
    _min_text: str = field(default="0/0", repr=False)
    _min_lsn: int = field(default=0, repr=False)

    @property
    def route_setting(self) -> str:
        return self.values["pgha.route"]

    @property
    def explain(self) -> bool:
        return self.values["pgha.explain_route"] == "on"

    @property
    def ryw_timeout(self) -> float:
        return int(self.values["pgha.ryw_timeout"]) / 1000

    @property
    def min_lsn(self) -> int:
        text = self.values["pgha.min_lsn"]
        if text != self._min_text:  # parsed once per value, not per statement
            self._min_text, self._min_lsn = text, parse_lsn(text)
        return self._min_lsn

    def need_lsn(self) -> int:
        """What a standby must have applied before it serves this session a read."""
        return max(self.last_commit, self.min_lsn)

    def set(self, name: str, value: str | None) -> str:
        """SET (or RESET, with None) a routing setting; returns the stored value."""
        name = name.lower()
        stored = settings.DEFAULTS[name] if value is None else settings.normalize(name, value)
        self.values[name] = stored
        return stored

    def observe_commit(self, lsn: int) -> None:
        self.last_commit = max(self.last_commit, lsn)
        self.commit_unknown = False

    def remember(self, sql: str, decision: Decision) -> None:
        """A session setting ran: keep it for backends opened later."""
        key = decision.setting
        if key == DISCARD_ALL:  # a new backend starts from its defaults
            self.replay.clear()
            return
        if key == RESET_ALL:  # every setting but the role, as in PostgreSQL
            self.replay = {k: v for k, v in self.replay.items() if k in _KEPT_BY_RESET_ALL}
            return
        key = key or sql
        self.replay.pop(key, None)  # re-inserted last: replayed in the order they ran
        self.replay[key] = sql


_KEPT_BY_RESET_ALL = frozenset({"role", "session_authorization"})


def route(decision: Decision, state: SessionRouting, view: View) -> Route:
    if state.busy_on is not None:
        # A pinning statement in a transaction on the primary pins the session from now on.
        return Route(Target.CURRENT, "the open transaction or batch runs there",
                     pins=decision.pins and state.busy_on is Target.PRIMARY)
    if decision.local:
        return Route(Target.STANDBY, decision.reason)
    if decision.cluster_view and view.views_on_primary:
        return Route(Target.PRIMARY, f"{decision.reason}: the primary's rows cover the "
                     "whole cluster")
    if state.pinned:
        return Route(Target.PRIMARY, "the session is pinned to the primary")
    if decision.replay and decision.standby_ok and decision.kind is Kind.SESSION:
        # A session setting runs where the session is and is replayed on its other backends.
        return Route(Target.STANDBY if view.standby else Target.PRIMARY, decision.reason)
    if state.route_setting == "primary":
        return Route(Target.PRIMARY, "SET pgha.route = primary", pins=decision.pins)
    if not decision.standby_ok:
        return Route(Target.PRIMARY, decision.reason, pins=decision.pins)
    if not view.standby:
        return Route(Target.PRIMARY, f"{decision.reason}; no standby can serve it")
    if state.route_setting == "standby" or decision.hint == "standby":
        # The client accepts a standby's data as it is: no read-your-writes wait.
        return Route(Target.STANDBY, f"{decision.reason}; may be stale (pgha:standby)")
    if state.commit_unknown:
        return Route(Target.PRIMARY, f"{decision.reason}; the position of the session's last "
                     "commit is unknown")
    if decision.kind is Kind.TRANSACTION and decision.txn in (Txn.END, Txn.INSIDE):
        # COMMIT, SAVEPOINT... while idle: no-ops that read nothing
        return Route(Target.STANDBY, decision.reason)
    return Route(Target.STANDBY, decision.reason, wait_lsn=state.need_lsn())


@dataclass(slots=True)
class RouteCounts:
    """What routing did, for the metrics of a node or of the proxy: statements sent to the
    primary and served by a standby, reads that waited for read-your-writes or gave up waiting
    (and ran on the primary), and errors sent to clients by SQLSTATE."""

    primary: int = 0
    standby: int = 0
    ryw_waits: int = 0
    ryw_fallbacks: int = 0
    errors: dict[str, int] = field(default_factory=dict)

    def routed(self, to_primary: bool) -> None:
        if to_primary:
            self.primary += 1
        else:
            self.standby += 1

    def error(self, sqlstate: str) -> None:
        self.errors[sqlstate] = self.errors.get(sqlstate, 0) + 1
