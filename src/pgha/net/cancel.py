"""Cancel keys: the (process id, secret) pair each session gives its client in BackendKeyData,
and the lookup a CancelRequest makes with them (a wrong secret finds nothing, silently, as in
PostgreSQL)."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Generic, TypeVar

S = TypeVar("S")


class CancelKeys(Generic[S]):
    def __init__(self) -> None:
        self._sessions: dict[int, tuple[int, S]] = {}

    def register(self, session: S) -> tuple[int, int]:
        """A fresh key for ``session``: its pid (never 0, unique among live ones), secret."""
        while True:
            pid = secrets.randbelow(2**31 - 2) + 1
            if pid not in self._sessions:
                break
        secret = secrets.randbits(31)
        self._sessions[pid] = (secret, session)
        return pid, secret

    def find(self, pid: int, secret: int) -> S | None:
        entry = self._sessions.get(pid)
        return entry[1] if entry is not None and entry[0] == secret else None

    def drop(self, pid: int) -> None:
        self._sessions.pop(pid, None)

    def __len__(self) -> int:
        return len(self._sessions)

    def __iter__(self) -> Iterator[S]:
        return iter([session for _, session in self._sessions.values()])
