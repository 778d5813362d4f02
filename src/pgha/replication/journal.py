"""The node's commit log: pgha's WAL plus the term and cluster identity that go with it.

``Journal`` is what the engine commits through (``storage.commit_log.CommitLog``): it stamps each
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
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from pgha.replication.wal import HEADER_SIZE, MAX_RECORD, WalLog, WalRecord
from pgha.wire.errors import ProgramLimitExceeded, ReadOnlySqlTransaction


@dataclass(slots=True)
class HaState:
    """Durable election state (``ha_state.json`` in the data directory)."""

    cluster_id: str
    term: int = 1
    voted_for: str = ""
    role: str = ""  # "primary" once promoted (a restart comes back as primary), or ""
    base_term: int = 0  # term of the record the last snapshot ended at (an empty log's term)

    @classmethod
    def load(cls, data_dir: Path, new_cluster: bool = True) -> HaState:
        """The saved state; a new node founds a cluster (a new id) unless it is a standby,
        which adopts its primary's id when it first joins."""
        path = data_dir / "ha_state.json"
        if path.exists():
            doc = json.loads(path.read_text())
            return cls(doc["cluster_id"], int(doc["term"]), doc.get("voted_for", ""),
                       doc.get("role", ""), int(doc.get("base_term", 0)))
        state = cls(str(uuid.uuid4()) if new_cluster else "")
        state.save(data_dir)
        return state

    def save(self, data_dir: Path) -> None:
        """Replace the file atomically and durably: a vote or a term must survive a crash
        once it has been acted on, so the directory entry is fsynced too."""
        path = data_dir / "ha_state.json"
        tmp = path.with_suffix(".tmp")
        with open(tmp, "w") as f:
            f.write(json.dumps(asdict(self)))
            f.flush()
            os.fsync(f.fileno())
        tmp.replace(path)
        fd = os.open(data_dir, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


class Journal:
    """``CommitLog`` over a ``WalLog``: terms, transaction ids, and append notifications."""

    def __init__(self, wal: WalLog, state: HaState, data_dir: Path) -> None:
        self.wal = wal
        self.state = state
        self.data_dir = data_dir
        self._listeners: list[Callable[[int], None]] = []
        self._term_listeners: list[Callable[[int], None]] = []
        self._lock = threading.Lock()
        # The term this node may write records in: its term while it is the primary (or
        # standalone), 0 on a standby. A primary that has seen a higher term writes nothing.
        self.primary_term = 0
        self.last_write = 0.0  # epoch seconds of the last append

    @property
    def term(self) -> int:
        return self.state.term

    @property
    def last_term(self) -> int:
        """Term of the log's last record (of the snapshot's, when none followed it)."""
        return self.wal.last_term or self.state.base_term

    def observe_term(self, term: int) -> bool:
        """Persist a higher term seen from a peer, then tell the term listeners (a primary
        steps down); True if it was higher."""
        with self._lock:
            if term <= self.state.term:
                return False
            self.state.term = term
            self.state.voted_for = ""
            self.state.save(self.data_dir)
        for listener in self._term_listeners:
            listener(term)
        return True

    def vote(self, term: int, voted_for: str) -> None:
        """Persist this node's term and vote (``election.decide_vote``) before the answer
        leaves; a higher term is then announced to the term listeners (a primary steps
        down)."""
        with self._lock:
            newer = term > self.state.term
            if term < self.state.term or (not newer and voted_for == self.state.voted_for):
                return
            self.state.term, self.state.voted_for = term, voted_for
            self.state.save(self.data_dir)
        if newer:
            for listener in self._term_listeners:
                listener(term)

    def start_candidacy(self, node_id: str) -> int:
        """Term + 1 with a vote for this node, persisted before any vote request leaves."""
        with self._lock:
            self.state.term += 1
            self.state.voted_for = node_id
            self.state.save(self.data_dir)
            return self.state.term

    def become_primary(self, term: int) -> bool:
        """This node won the election of ``term``: it may write in it (False if a newer term
        was seen meanwhile)."""
        with self._lock:
            if self.state.term != term:
                return False
            self.state.role = "primary"
            self.state.save(self.data_dir)
            self.primary_term = term
            return True

    def begin_term(self, node_id: str) -> int:
        """This node becomes primary of a new term (pg_promote): persisted before any write
        of that term. Returns the term."""
        with self._lock:
            self.state.term += 1
            self.state.voted_for = node_id
            self.state.role = "primary"
            self.state.save(self.data_dir)
            self.primary_term = self.state.term
            return self.state.term

    def set_role(self, role: str, base_term: int | None = None) -> None:
        with self._lock:
            self.state.role = role
            if base_term is not None:
                self.state.base_term = base_term
            self.state.save(self.data_dir)

    def on_new_term(self, listener: Callable[[int], None]) -> None:
        """``listener(term)`` when a higher term is observed (on the observing thread)."""
        self._term_listeners.append(listener)

    def on_durable(self, listener: Callable[[int], None]) -> None:
        """``listener(end_lsn)`` after every flush (called on the committing thread)."""
        self._listeners.append(listener)

    def _notify(self) -> None:
        end = self.wal.end_lsn
        for listener in self._listeners:
            listener(end)

    # -- CommitLog -------------------------------------------------------------------------

    def predict_end(self, sizes: Sequence[int]) -> int:
        return self.wal.end_lsn + sum(HEADER_SIZE + size for size in sizes)

    def append(self, body: bytes) -> int:
        term = self.primary_term
        if term != self.state.term:
            raise ReadOnlySqlTransaction(
                "cannot commit: this node is not the primary of the "
                f"current term {self.state.term}; the transaction was rolled back")
        if HEADER_SIZE + len(body) > MAX_RECORD:
            raise ProgramLimitExceeded(
                f"transaction too large: its WAL record would be "
                f"{HEADER_SIZE + len(body)} bytes, over the {MAX_RECORD >> 20} MiB "
                "limit; split it into smaller transactions")
        now = time.time_ns()
        record = self.wal.append(term, self.wal.last_xid + 1, now // 1000, body)
        self.last_write = now / 1e9
        return record.lsn

    def append_raw(self, data: bytes) -> list[WalRecord]:
        """A standby stores the primary's records byte for byte."""
        records = self.wal.append_raw(data)
        self.last_write = time.time()
        return records

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
