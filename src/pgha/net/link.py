"""A client session's relay over one backend connection: messages out, replies back in order.

``Link`` wraps a ``BackendConnection`` for a session that forwards some of its client's
messages (a standby forwarding writes to the primary; the proxy sending each statement to the
primary or a standby). It keeps what relaying needs to stay correct:
- which Query/Sync messages are still unanswered (``active``): the session must not answer
  anything itself, or send it elsewhere, until they are, so replies keep the client's order;
- which prepared statements exist on this backend: a statement the client prepared elsewhere
  is prepared here (Close, then Parse, their replies swallowed) before a Bind or Describe uses
  it;
- the transaction status of the backend (its last ReadyForQuery);
- replies relayed or swallowed per Query/Sync (settings replayed silently are swallowed), and
  the ``pgha.last_commit_lsn`` ParameterStatus turned into a callback (read-your-writes);
- probes: a Query the router adds behind a client's message (on PostgreSQL, the WAL position
  right after a commit); its replies are swallowed and its one value handed to a callback.

A pump task reads the backend and hands every relayed message to ``sink`` (which encodes it
for the client), calling ``flush`` whenever the backend has nothing more buffered.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

from pgha.net.backend import BackendConnection, BackendError
from pgha.wire import messages as m
from pgha.wire.errors import PgError

# A simple Query that starts COPY FROM STDIN. A client may send its CopyData right behind it
# (asyncpg does), before any answer; the relaying session must not read those messages until
# the backend's CopyInResponse has gone to the client, since only that puts the session's
# connection into COPY mode (outside it, copy messages are dropped, as postgres.c does).
COPY_FROM_STDIN = re.compile(r"\A\s*(?:/\*.*?\*/\s*)*COPY\b[^;]*?\bFROM\s+STDIN\b",
                              re.IGNORECASE | re.DOTALL)

REPORT_OPTION = "pgha.report_commit_lsn"  # start-up parameter: a pgha node then reports
COMMIT_LSN = "pgha.last_commit_lsn"  # each commit's end LSN as this ParameterStatus

# name -> (query text, parameter type OIDs) of a statement the client prepared, or None
Lookup = Callable[[str], "tuple[str, tuple[int, ...]] | None"]
# What to do with the replies to one Query/Sync: relay them (True), swallow them (False),
# relay all but the ReadyForQuery (END_BATCH), or swallow them and hand the first value of the
# row to a callback (a probe).
END_BATCH = "end batch"
Replies = bool | str | Callable[[str | None], None]


class Link:
    def __init__(self, backend: BackendConnection, sink: Callable[[Any], None],
                 flush: Callable[[], Awaitable[None]], on_commit: Callable[[str], None],
                 on_lost: Callable[[Exception], None], lookup: Lookup) -> None:
        self.backend = backend
        self.lookup = lookup
        self.sink = sink
        self.flush = flush
        self.on_commit = on_commit
        self.on_lost = on_lost
        self.prepared: set[str] = set()
        self._expect: deque[Replies] = deque()  # per unanswered Sync/Query
        self._in_batch = False  # an extended-protocol batch goes here up to its Sync
        self._swallow_parse = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self._replied = asyncio.Event()  # something was relayed since the last COPY Query
        self._pump = asyncio.create_task(self._relay())

    @property
    def active(self) -> bool:
        """An answer for the client is pending, a batch is open, or a transaction is open
        here. (Silent work, such as a replayed setting or a probe, does not count.)"""
        return self._in_batch or self.backend.status != "I" or True in self._expect

    @property
    def unanswered(self) -> int:
        """Forwarded Query/Sync messages still waiting for their ReadyForQuery."""
        return len(self._expect)

    @property
    def in_batch(self) -> bool:
        """Extended-protocol messages were sent since the last Sync."""
        return self._in_batch

    async def send(self, message: Any, relay: bool = True) -> None:
        """Forward one client message."""
        backend = self.backend
        if isinstance(message, m.Bind) and message.statement not in self.prepared:
            self._prepare_behind(message.statement)
        elif isinstance(message, m.Describe) and message.kind == "S" and \
                message.name not in self.prepared:
            self._prepare_behind(message.name)
        elif isinstance(message, m.Parse):
            self.prepared.add(message.name)
        elif isinstance(message, m.Close) and message.kind == "S":
            self.prepared.discard(message.name)
        if isinstance(message, m.Query | m.Sync):
            self._expect.append(relay)
            self._idle.clear()
            self._in_batch = False
        elif isinstance(message, m.Parse | m.Bind | m.Describe | m.Execute | m.Close):
            self._in_batch = True
        copy_in = isinstance(message, m.Query) and relay and \
            COPY_FROM_STDIN.match(message.query) is not None
        if copy_in:
            self._replied.clear()
        backend.send(message)
        await backend.drain()
        if copy_in:
            await self._replied.wait()  # CopyInResponse (or an error) is with the client

    def _prepare_behind(self, name: str) -> None:
        """The client prepared ``name`` on another backend: prepare it here too."""
        found = self.lookup(name)
        if found is None:
            return  # this backend reports that it does not exist
        text, oids = found
        # Close first: an older statement of that name may still be prepared here.
        self.backend.send(m.Close("S", name))
        self.backend.send(m.Parse(name, text, oids))
        self._swallow_parse += 1
        self.prepared.add(name)

    async def end_batch(self) -> None:
        """Close an extended-protocol batch the client left open (Parse/Describe/Flush, then a
        simple Query): a Sync whose ReadyForQuery the client never sees. Returns once every
        reply before it has been relayed, so that the next statement may run elsewhere."""
        self._expect.append(END_BATCH)
        self._idle.clear()
        self._in_batch = False
        self.backend.send(m.Sync())
        await self.backend.drain()
        await self.wait_idle()

    @property
    def open_batch_only(self) -> bool:
        """Busy only because an extended-protocol batch is open: nothing is unanswered and
        no transaction is open."""
        return self._in_batch and not self._expect and self.backend.status == "I"

    async def probe(self, sql: str, on_value: Callable[[str | None], None]) -> None:
        """Run ``sql`` behind what was sent; its first value goes to ``on_value``."""
        self._expect.append(on_value)
        self._idle.clear()
        self.backend.send(m.Query(sql))
        await self.backend.drain()

    async def run_silently(self, sql: str) -> None:
        """Run ``sql`` here without relaying anything (a replayed session setting)."""
        await self.send(m.Query(sql), relay=False)
        await self.wait_idle()

    async def wait_idle(self) -> None:
        """Until every forwarded Query/Sync is answered."""
        await self._idle.wait()

    def close(self) -> None:
        self._pump.cancel()
        self.backend.close()

    async def detach(self) -> BackendConnection | None:
        """Stop relaying and hand the connection back, if nothing is in flight on it."""
        self._pump.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._pump
        if self._expect or self._in_batch or self._swallow_parse:
            self.backend.close()
            return None
        return self.backend

    async def _relay(self) -> None:
        backend = self.backend
        try:
            while True:
                message = backend.poll()
                if message is None:
                    await self.flush()
                    message = await backend.receive()
                self._relay_one(message)
        except asyncio.CancelledError:
            raise
        except (BackendError, PgError, ConnectionError) as exc:
            self._idle.set()
            self._replied.set()
            self.on_lost(exc)

    def _relay_one(self, message: Any) -> None:
        replies = self._expect[0] if self._expect else True
        relay = replies is True or (replies == END_BATCH and
                                    not isinstance(message, m.ReadyForQuery))
        answers_last = len(self._expect) <= 1  # not a reply to an earlier Query or Sync
        if callable(replies) and isinstance(message, m.DataRow) and message.values:
            value = message.values[0]
            replies(None if value is None else bytes(value).decode())
        if isinstance(message, m.ParameterStatus) and message.name == COMMIT_LSN:
            self.on_commit(message.value)
            return
        if isinstance(message, m.CloseComplete | m.ParseComplete) and self._swallow_parse:
            if isinstance(message, m.ParseComplete):
                self._swallow_parse -= 1
            return
        if isinstance(message, m.ErrorResponse):
            self._swallow_parse = 0
            if not self._expect and not self._in_batch and message.severity in ("FATAL",
                                                                                  "PANIC"):
                # An idle backend is going away (a shutdown, a terminated backend): the
                # session decides what its loss means (on_lost), not the client.
                return
        if isinstance(message, m.ReadyForQuery):
            if self._expect:
                self._expect.popleft()
            if not self._expect:
                self._idle.set()
        if relay:
            self.sink(message)
            if answers_last:
                self._replied.set()
