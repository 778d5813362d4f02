"""The terms this node has seen, kept in ``DATA/history.json``: the ``pg_replication_history``
view and its log lines, as PostgreSQL's timeline history files record each promotion.

One entry per term: which node was its primary, when this node learned of it (or became it),
the LSN where the term's records begin, why the term began (an election, pg_promote(), a forced
promotion), and how many of this node's own records were discarded when it left the term
before (an old primary's unreplicated tail, set aside when it rejoined).

Invariants: entries are ordered by term; the file is replaced atomically and fsynced, like
``ha_state.json``; a node only ever adds to its history (a rebuild keeps it).
"""

from __future__ import annotations

import json
import os
import threading
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path


@dataclass(frozen=True, slots=True)
class TermEntry:
    term: int
    primary: str  # node id of the term's primary
    started_at: float  # epoch seconds: when it began, or when this node learned of it
    start_lsn: int  # where the term's records begin (this node's end of WAL at the time)
    reason: str
    discarded: int = 0  # this node's records discarded from the term before this one


class History:
    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / "history.json"
        self._lock = threading.Lock()
        self.entries: list[TermEntry] = []
        if self.path.exists():
            self.entries = [TermEntry(**doc) for doc in json.loads(self.path.read_text())]

    def note(self, term: int, primary: str, start_lsn: int, reason: str) -> bool:
        """Record the start of ``term``; False if it is known already."""
        with self._lock:
            if any(e.term == term for e in self.entries):
                return False
            self.entries.append(TermEntry(term, primary, time.time(), start_lsn, reason))
            self.entries.sort(key=lambda e: e.term)
            self._save()
            return True

    def discarded(self, term: int, records: int) -> None:
        """``records`` of this node's own were set aside when it left ``term``'s successor
        history behind (counted on the entry of the term that replaced them)."""
        with self._lock:
            later = [e for e in self.entries if e.term > term]
            if not later:
                return
            target = min(later, key=lambda e: e.term)
            index = self.entries.index(target)
            self.entries[index] = replace(target, discarded=target.discarded + records)
            self._save()

    def _save(self) -> None:
        tmp = self.path.with_suffix(".tmp")
        with open(tmp, "w") as f:
            f.write(json.dumps([asdict(e) for e in self.entries]))
            f.flush()
            os.fsync(f.fileno())
        tmp.replace(self.path)
