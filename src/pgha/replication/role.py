"""A node's replication role, and the role changes it may make: one table.

| role       | writes | follows a primary | how it is left                                        |
|------------|--------|-------------------|-------------------------------------------------------|
| standalone | yes    | no                | never (no --ha-mode)                                  |
| primary    | yes    | no                | a newer term is seen: fenced at once                  |
| fenced     | no     | no                | the step-down finishes: standby                       |
| standby    | no     | yes               | wins an election (or a forced promotion): primary     |
| observer   | no     | heartbeats only   | never (holds no data)                                 |

A standby that runs for election (a candidate) or is being rebuilt from a snapshot is still a
standby: neither may write, and both go back to following (``HaRole.rebuilding`` tells the
second apart for clients and views). "May this node write" is the role, and only the role:
the engine's read-only flag and the term the journal appends in are set from it, in
``HaRole._enter``.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    STANDALONE = "standalone"
    PRIMARY = "primary"
    FENCED = "fenced"
    STANDBY = "standby"
    OBSERVER = "observer"


TRANSITIONS: dict[Role, frozenset[Role]] = {
    Role.STANDALONE: frozenset(),
    Role.PRIMARY: frozenset({Role.FENCED, Role.STANDBY}),
    Role.FENCED: frozenset({Role.STANDBY}),
    Role.STANDBY: frozenset({Role.PRIMARY}),
    Role.OBSERVER: frozenset(),
}

WRITABLE = frozenset({Role.STANDALONE, Role.PRIMARY})
FOLLOWERS = frozenset({Role.STANDBY, Role.OBSERVER})


class RoleError(RuntimeError):
    """A role change the table does not allow (a bug, not an operator error)."""


def check_transition(current: Role, new: Role) -> None:
    if new not in TRANSITIONS[current]:
        raise RoleError(f"a {current} node cannot become {new}")
