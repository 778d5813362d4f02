"""The node's commit log: pgha's WAL plus the term and cluster identity that go with it.

``Journal`` is what the engine commits through (``storage.engine.CommitLog``): it stamps each
record with the node's current term and the next transaction id, and tells the replication
senders that the log grew. ``HaState`` is the small durable file that fences old primaries:
the highest term this node has seen, whom it voted for in that term (for the election of the
next wave) and the cluster id it belongs to.

Invariants: a node never appends a record with a term lower than one it has seen; the state
file is replaced atomically (write, fsync, rename).
"""

from __future__ import annotations

import json
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from pgha.replication.wal import HEADER_SIZE, WalLog


@dataclass(slots=True)
class HaState:
    """Durable election state (``ha_state.json`` in the data directory)."""

    cluster_id: str
    term: int = 1
    voted_for: str = ""

    @classmethod
    def load(cls, data_dir: Path, new_cluster: bool = True) -> HaState:
        """The saved state; a new node founds a cluster (a new id) unless it is a standby,
        which adopts its primary's id when it first joins."""
        path = data_dir / "ha_state.json"
        if path.exists():
            doc = json.loads(path.read_text())
            return cls(doc["cluster_id"], int(doc["term"]), doc.get("voted_for", ""))
        state = cls(str(uuid.uuid4()) if new_cluster else "")
        state.save(data_dir)
        return state

    def save(self, data_dir: Path) -> None:
        path = data_dir / "ha_state.json"
        tmp = path.with_suffix(".tmp")
        with open(tmp, "w") as f:
            f.write(json.dumps(asdict(self)))
            f.flush()
            os.fsync(f.fileno())
        tmp.replace(path)


class Journal:
    """``CommitLog`` over a ``WalLog``: terms, transaction ids, and append notifications."""

    def __init__(self, wal: WalLog, state: HaState, data_dir: Path) -> None:
        self.wal = wal
        self.state = state
        self.data_dir = data_dir
        self._listeners: list[Callable[[int], None]] = []
        self._lock = threading.Lock()

    @property
    def term(self) -> int:
        return self.state.term

    def observe_term(self, term: int) -> bool:
        """Persist a higher term seen from a peer; True if it was higher."""
        with self._lock:
            if term <= self.state.term:
                return False
            self.state.term = term
            self.state.voted_for = ""
            self.state.save(self.data_dir)
            return True

    def on_durable(self, listener: Callable[[int], None]) -> None:
        """``listener(end_lsn)`` after every flush (called on the committing thread)."""
        self._listeners.append(listener)

    def _notify(self) -> None:
        end = self.wal.end_lsn
        for listener in self._listeners:
            listener(end)

    # -- CommitLog -------------------------------------------------------------------------

    def predict_end(self, body: bytes) -> int:
        return self.wal.end_lsn + HEADER_SIZE + len(body)

    def append(self, body: bytes) -> int:
        record = self.wal.append(self.state.term, self.wal.last_xid + 1, time.time_ns() // 1000,
                                 body)
        return record.lsn

    def append_raw(self, data: bytes) -> int:
        """A standby stores the primary's records byte for byte; returns the new end LSN."""
        self.wal.append_raw(data)
        return self.wal.end_lsn

    def undo(self, start_lsn: int) -> None:
        self.wal.truncate_after(start_lsn)

    def flush_to(self, lsn: int) -> None:
        """Durable up to ``lsn``; then senders may ship it (never a record that could still be
        undone)."""
        self.wal.flush_to(lsn)
        self._notify()

    def records_from(self, lsn: int) -> Iterator[tuple[int, bytes]]:
        position = lsn or self.wal.start_lsn  # 0: the database predates the log
        while position < self.wal.end_lsn:
            records = self.wal.read(position, 4 << 20)
            for record in records:
                yield record.end_lsn, record.body
            position = records[-1].end_lsn
