"""Raft's election rules over pgha's WAL, and the primary's lease. No I/O: the clock and the
randomness are injected, so the rules can be driven by a simulated network in tests.

Election (Raft, section 5.2 and 5.4.1, with pre-vote from Ongaro's thesis, 9.6):
- A standby that has heard nothing from a primary for a randomised election timeout runs a
  pre-vote: it asks every voter whether it *would* vote for it in the next term. Nobody changes
  term. Only with a majority of would-be votes does it start a real election: term + 1, a vote
  for itself (both persisted before any request leaves), and a request to every voter.
- A voter grants at most one vote per term, persisted (file and directory fsynced) before the
  answer is sent; only to a candidate whose log is at least as up to date as its own (the last
  record's term, then the end LSN); and never while it has heard from a live primary within
  the minimum election timeout (the same rule for pre-votes and real votes: it is what lets the
  primary's lease end before anyone else can win); such a refusal does not even adopt the
  candidate's term, so a candidate that cannot win cuts nobody off from a live primary.
- A candidate with the votes of a majority of the configured voters becomes the primary of its
  term.

Lease (why an isolated primary can never acknowledge a commit after a new primary exists):
the primary stamps every heartbeat with its own monotonic clock, and each standby echoes the
latest stamp it received. The lease lasts ``duration`` past the newest stamp echoed by enough
standbys to make a majority with the primary. A voter in that majority heard the primary no
earlier than the stamp it echoed and refuses votes for ``min_timeout`` after hearing it, and
``duration < min_timeout``: so every majority that could elect someone else contains a node that
refuses until the lease is over. The primary acknowledges commits only while its lease holds.

Invariants: at most one primary per term (one vote per voter per term, majorities intersect);
the winner's log holds every commit acknowledged by a majority (Raft's election restriction).
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field

Clock = Callable[[], float]


@dataclass(frozen=True, slots=True, order=True)
class LogPosition:
    """The tail of a node's WAL, compared as Raft compares logs: last term, then end LSN."""

    last_term: int
    end_lsn: int


@dataclass(frozen=True, slots=True)
class Timing:
    """Failure-detection timing. ``lease < min_timeout`` is what makes leases safe; the gap
    covers clock-rate drift between nodes and scheduling delay."""

    heartbeat_interval: float = 0.1
    min_timeout: float = 0.8
    max_timeout: float = 1.2
    lease: float = 0.6

    def __post_init__(self) -> None:
        if not 0 < self.heartbeat_interval < self.lease < self.min_timeout <= self.max_timeout:
            raise ValueError(
                "election timing must satisfy 0 < heartbeat interval < lease < election "
                f"timeout (got {self.heartbeat_interval}, {self.lease}, {self.min_timeout})"
            )

    @classmethod
    def from_timeout(cls, heartbeat_interval: float, election_timeout: float) -> Timing:
        """Timing for an election timeout: randomised in [t, 1.5 t), lease 0.75 t."""
        return cls(heartbeat_interval, election_timeout, election_timeout * 1.5,
                   election_timeout * 0.75)


def majority(voters: int) -> int:
    return voters // 2 + 1


@dataclass(frozen=True, slots=True)
class Ballot:
    """What a voter knows when a request arrives."""

    term: int  # its current term
    voted_for: str  # whom it voted for in that term ("" if nobody)
    log: LogPosition
    heard_primary: float | None  # when it last heard from a live primary (its clock)
    is_primary: bool  # it is the primary of ``term``


@dataclass(frozen=True, slots=True)
class Decision:
    granted: bool
    term: int  # the voter's term afterwards: persist it (with ``voted_for``) before answering
    voted_for: str
    reason: str


def decide_vote(ballot: Ballot, candidate: str, term: int, log: LogPosition, pre_vote: bool,
                now: float, timing: Timing) -> Decision:
    """A voter's answer to a (pre-)vote request from ``candidate`` for ``term``."""
    keep = Decision(False, ballot.term, ballot.voted_for, "")
    if term < ballot.term or (pre_vote and term <= ballot.term):
        return _deny(keep, f"term {term} is not newer than this node's term {ballot.term}")
    if ballot.is_primary and pre_vote:
        return _deny(keep, "this node is the primary")
    recent = (ballot.heard_primary is not None
              and now - ballot.heard_primary < timing.min_timeout)
    if pre_vote:
        if recent:
            return _deny(keep, "this node hears from a live primary")
        if log < ballot.log:
            return _deny(keep, "the candidate's log is behind this node's")
        return Decision(True, ballot.term, ballot.voted_for, "would vote")
    if recent and not ballot.is_primary:
        # Raft's leader stickiness (thesis 4.2.3): neither the vote nor the term, so that a
        # candidate that cannot win does not cut this node off from its live primary.
        return _deny(keep, "this node hears from a live primary")
    # A real vote: a newer term is adopted whatever the answer (a primary steps down).
    voted_for = ballot.voted_for if term == ballot.term else ""
    adopted = Decision(False, term, voted_for, "")
    if voted_for not in ("", candidate):
        return _deny(adopted, f"this node voted for {voted_for} in term {term}")
    if log < ballot.log:
        return _deny(adopted, "the candidate's log is behind this node's")
    return Decision(True, term, candidate, "granted")


def _deny(decision: Decision, reason: str) -> Decision:
    return Decision(False, decision.term, decision.voted_for, reason)


@dataclass(slots=True)
class Tally:
    """Votes for one candidate in one round; the candidate votes for itself."""

    voters: int
    granted: set[str] = field(default_factory=set)
    refused: dict[str, str] = field(default_factory=dict)
    highest_term: int = 0

    def add(self, voter: str, granted: bool, term: int, reason: str = "") -> None:
        self.highest_term = max(self.highest_term, term)
        if granted:
            self.granted.add(voter)
        else:
            self.refused[voter] = reason

    @property
    def won(self) -> bool:
        return len(self.granted) >= majority(self.voters)


class ElectionTimer:
    """When a standby that hears nothing from a primary should run for election."""

    def __init__(self, clock: Clock, rng: random.Random, timing: Timing) -> None:
        self.clock = clock
        self.rng = rng
        self.timing = timing
        self.heard: float | None = None  # last contact with a live primary
        self.deadline = 0.0
        self.reset()

    def reset(self) -> None:
        self.deadline = self.clock() + self.rng.uniform(self.timing.min_timeout,
                                                        self.timing.max_timeout)

    def heard_primary(self) -> None:
        self.heard = self.clock()
        self.reset()

    def expired(self) -> bool:
        return self.clock() >= self.deadline


class Lease:
    """The primary's lease over its ``voters`` (itself included): see the module docstring."""

    def __init__(self, clock: Clock, voters: int, duration: float) -> None:
        self.clock = clock
        self.voters = voters
        self.duration = duration
        self.echoes: dict[str, float] = {}  # standby -> newest stamp it echoed

    def stamp(self) -> float:
        """The stamp for a heartbeat sent now."""
        return self.clock()

    def echoed(self, standby: str, stamp: float) -> None:
        """``standby`` echoed ``stamp``; a stamp from the future (forged or from an earlier
        run of this process) is ignored."""
        if stamp <= self.clock() and stamp > self.echoes.get(standby, -math.inf):
            self.echoes[standby] = stamp

    def forget(self) -> None:
        """A new term: stamps echoed to an earlier reign count for nothing."""
        self.echoes.clear()

    def expires(self) -> float:
        others = majority(self.voters) - 1
        if others <= 0:
            return math.inf
        stamps = sorted(self.echoes.values(), reverse=True)
        if len(stamps) < others:
            return -math.inf
        return stamps[others - 1] + self.duration

    def held(self) -> bool:
        return self.clock() < self.expires()
