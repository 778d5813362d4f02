"""A client session's relay over one backend connection: messages out, replies back in order.

``Link`` wraps a ``BackendConnection`` for a session that forwards some of its client's
messages (a standby forwarding writes to the primary; the proxy sending each statement to the
primary or a standby). It keeps what relaying needs to stay correct:
- which Query/Sync messages are still unanswered (``active``): the session must not answer
  anything itself, or send it elsewhere, until they are, so replies keep the client's order;
- which prepared statements exist on this backend (kept on the connection, so they outlive
  the link when the connection goes back to a pool): a statement the client prepared elsewhere
  is prepared here (Parse, its reply swallowed) before a Bind or Describe uses it; a Parse of
  a name the connection used before (by another client of a shared connection, or by this
  client: closed on another link, or run again after its reply was discarded) is preceded by
  a Close whose reply is swallowed; a Parse that got no ParseComplete (its batch failed)
  prepared nothing;
- the transaction status of the backend (its last ReadyForQuery);
- replies relayed or swallowed per Query/Sync (settings replayed silently are swallowed), and
  the ``pgha.last_commit_lsn`` ParameterStatus turned into a callback (read-your-writes);
- probes: a Query the router adds behind a client's message (on PostgreSQL, the WAL position
  right after a commit) or ahead of one (a standby's replay position); its replies are
  swallowed and its one value handed to a callback, which may open the ``gate``: until then,
  the replies behind the probe are discarded (the router runs that statement again elsewhere).
  A probe ahead of a client's Parse or Bind opens that batch instead of getting a Sync of its
  own: the server then runs one batch, and answers it in one write.

The backend's bytes are relayed in the event loop's callback that received them
(``streams.RelayReader``; no task is woken): its frames go to the client as they arrived, in
runs (one copy into the client's output buffer, one write per read). It decodes only the frames
whose type matters to the relay (ReadyForQuery, ErrorResponse, ParameterStatus, the Parse/Close
completions it swallows, CopyInResponse, and DataRows of a probe), and tells the client
connection's state machine about the ones that change it. Forwarded client messages are
buffered and written in one system call when the session has read all its client sent
(``drain``), or when 64 KiB are waiting.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import re
from collections.abc import Callable
from typing import Any, cast

from pgha.net.backend import BackendConnection, BackendError
from pgha.net.client_io import ClientWire
from pgha.wire import codec
from pgha.wire import messages as m
from pgha.wire.errors import PgError

# A simple Query that starts COPY FROM STDIN. A client may send its CopyData right behind it
# (asyncpg does), before any answer; the relaying session must not read those messages until
# the backend's CopyInResponse has gone to the client, since only that puts the session's
# connection into COPY mode (outside it, copy messages are dropped, as postgres.c does).
COPY_FROM_STDIN = re.compile(r"\A\s*(?:/\*.*?\*/\s*)*COPY\b[^;]*?\bFROM\s+STDIN\b",
                              re.IGNORECASE | re.DOTALL)

# Statements after which the connection has no prepared statement left (conservative: a match
# inside a string constant only costs preparing again).
_DROPS_PREPARED = re.compile(r"\b(?:DISCARD\s+ALL|DEALLOCATE\s+(?:PREPARE\s+)?ALL)\b",
                             re.IGNORECASE)


def drops_prepared(sql: str) -> bool:
    """Does ``sql`` hold DISCARD ALL or DEALLOCATE [PREPARE] ALL? (The case-blind search costs
    about 1 us on a short statement; a text with no "ll" in any case cannot match.)"""
    return ("ll" in sql or "LL" in sql or "lL" in sql or "Ll" in sql) and \
        _DROPS_PREPARED.search(sql) is not None

REPORT_OPTION = "pgha.report_commit_lsn"  # start-up parameter: a pgha node then reports
COMMIT_LSN = "pgha.last_commit_lsn"  # each commit's end LSN as this ParameterStatus

# name -> (query text, parameter type OIDs) of a statement the client prepared, or None
_WRITE_AHEAD = 1 << 16  # forwarded bytes buffered before the link writes without being asked

Lookup = Callable[[str], "tuple[str, tuple[int, ...]] | None"]
# What to do with the replies to one Query/Sync: relay them (True), swallow them (False),
# relay all but the ReadyForQuery (END_BATCH), or swallow them and hand the first value of the
# row to a callback (a probe).
END_BATCH = "end batch"
Replies = bool | str | Callable[[str | None], None]


class LazyEvent:
    """An ``asyncio.Event`` made only once something waits for it: idle links, thousands of
    them, hold a flag instead of an event and its waiter queue."""

    __slots__ = ("_event", "_value")

    def __init__(self, value: bool = False) -> None:
        self._value = value
        self._event: asyncio.Event | None = None

    def is_set(self) -> bool:
        return self._value

    def set(self) -> None:
        self._value = True
        if self._event is not None:
            self._event.set()

    def clear(self) -> None:
        self._value = False
        if self._event is not None:
            self._event.clear()

    async def wait(self) -> None:
        if self._value:
            return
        if self._event is None:
            self._event = asyncio.Event()
        await self._event.wait()


class Link:
    def __init__(self, backend: BackendConnection, client: ClientWire,
                 on_commit: Callable[[str], None], on_lost: Callable[[Exception], None],
                 lookup: Lookup, shared: bool = False) -> None:
        self.backend = backend
        self.lookup = lookup
        self.client = client
        self.shared = shared
        self.on_idle: Callable[[Link], bool] | None = None  # True: it took the backend back
        self.on_commit = on_commit
        self.on_lost = on_lost
        # Per Parse/Close sent and not answered yet, in order: the batch it belongs to (the
        # number of ReadyForQuery before that batch's own) and whether its reply is relayed
        # (True) or swallowed (False: sent by the link itself).
        # (Lists, not deques: they hold a message or two, and an empty deque costs 600 bytes
        # on each of thousands of idle links.)
        self._parses: list[tuple[int, bool, str]] = []  # and the statement's name
        self._closes: list[tuple[int, bool]] = []
        self._answered = 0  # ReadyForQuery messages received
        # Probes that open a batch (see probe): [the batch, the callback, the value once read]
        self._ahead: list[list[Any]] = []
        self._expect: list[Replies] = []  # per unanswered Sync/Query
        self._in_batch = False  # an extended-protocol batch goes here up to its Sync
        self._idle = LazyEvent(True)
        self._replied = LazyEvent()  # something was relayed since the last COPY Query
        self._partial = bytearray()  # the start of a frame not received whole yet
        # Replies behind a probe are discarded while this is set (a read sent to a standby
        # together with the question whether the standby is fresh enough: the probe's
        # callback opens the gate when it is).
        self.gate = False
        # The backend's bytes are relayed as they arrive (streams.RelayReader), from the next
        # turn of the event loop: the session sets its callbacks first.
        self._relaying = True
        self._start: asyncio.Handle | None = asyncio.get_running_loop().call_soon(self._attach)

    @property
    def active(self) -> bool:
        """An answer for the client is pending, a batch is open, or a transaction is open
        here. (Silent work, such as a replayed setting or a probe, does not count.)"""
        return self._in_batch or self.backend.status != "I" or True in self._expect

    @property
    def prepared(self) -> set[str]:
        return self.backend.prepared

    @property
    def releasable(self) -> bool:
        """Nothing of the client's is open or pending here: the connection may serve another
        client (transaction pooling)."""
        return not (self._expect or self._in_batch or self._parses or self._closes or
                    self._ahead or self._partial) and self.backend.status == "I"

    @property
    def _batch(self) -> int:
        """The batch a message sent now belongs to, counted in ReadyForQuery messages."""
        return self._answered + len(self._expect)

    @staticmethod
    def _reply(queue: list[Any]) -> bool:
        return queue.pop(0)[1] if queue else True

    def _void(self) -> None:
        """The batch being answered ended, or failed (the backend skips the rest of it): its
        Parse/Close that were not answered get no reply, and the statements of those Parses
        do not exist. Later batches' stay."""
        parses, closes = self._parses, self._closes
        while parses and parses[0][0] <= self._answered:
            self.backend.prepared.discard(parses.pop(0)[2])
        while closes and closes[0][0] <= self._answered:
            closes.pop(0)

    def _awaiting(self, replies: Replies) -> None:
        """A Query or Sync is sent: it ends the batch, and its replies are handled per
        ``replies`` (see Replies)."""
        self._expect.append(replies)
        self._idle.clear()
        self._in_batch = False

    def _parse(self, name: str, relay: bool) -> None:
        """A Parse of ``name`` is sent next. A statement of that name may exist here (the
        connection prepared one before: by another client of a shared connection, or by this
        one, closed on another link, or a Parse that failed or whose reply was discarded): a
        Close goes first, its reply swallowed (closing none is no error)."""
        backend = self.backend
        if name and name in backend.parsed:
            backend.send(m.Close("S", name))
            self._closes.append((self._batch, False))
        backend.parsed.add(name)
        backend.prepared.add(name)
        self._parses.append((self._batch, relay, name))

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
        prepared = backend.prepared
        if isinstance(message, m.Bind) and message.statement not in prepared:
            self._prepare_behind(message.statement)
        elif isinstance(message, m.Describe) and message.kind == "S" and \
                message.name not in prepared:
            self._prepare_behind(message.name)
        elif isinstance(message, m.Parse):
            self._parse(message.name, True)
        elif isinstance(message, m.Close):
            if message.kind == "S":
                prepared.discard(message.name)
            self._closes.append((self._batch, True))
        if isinstance(message, m.Query | m.Parse) and drops_prepared(message.query):
            prepared.clear()  # DISCARD ALL / DEALLOCATE ALL: none is left on this connection
        if isinstance(message, m.Query | m.Sync):
            self._awaiting(relay)
        elif isinstance(message, m.Parse | m.Bind | m.Describe | m.Execute | m.Close):
            self._in_batch = True
        copy_in = isinstance(message, m.Query) and relay and \
            COPY_FROM_STDIN.match(message.query) is not None
        raw = self.client.frame_of(message)
        if raw is not None:
            backend.send_raw(raw)
        else:
            backend.send(message)
        if copy_in:
            self._replied.clear()
            await backend.drain()
            await self._replied.wait()  # CopyInResponse (or an error) is with the client
        elif len(backend.out) > _WRITE_AHEAD:
            await backend.drain()

    def forward(self, kind: int, frame: bytes | memoryview, statement: str | None = None) -> None:
        """Forward one client message as its bytes: a simple Query or a Parse (neither COPY
        FROM STDIN nor one that drops prepared statements), Bind, Describe, Execute, Sync or
        Flush; ``statement`` is the name a Parse prepares, or the one a Bind or Describe uses.
        The bookkeeping of ``send``, for a relay that does not decode them (the proxy's fast
        path)."""
        backend = self.backend
        if kind == _PARSE:
            assert statement is not None
            self._parse(statement, True)
        elif statement is not None and statement not in backend.prepared:
            self._prepare_behind(statement)
        if kind in (_QUERY, _SYNC):
            self._awaiting(True)
        elif kind != _FLUSH:
            self._in_batch = True
        backend.out += frame

    async def drain(self) -> None:
        """Write what was forwarded (the session calls it before it waits for its client)."""
        if self.backend.out:
            await self.backend.drain()

    def _prepare_behind(self, name: str) -> None:
        """The client prepared ``name`` on another backend: prepare it here too."""
        found = self.lookup(name)
        if found is None:
            return  # this backend reports that it does not exist
        text, oids = found
        self._parse(name, False)
        self.backend.send(m.Parse(name, text, oids))

    async def end_batch(self, replies: Replies = END_BATCH) -> None:
        """Close an extended-protocol batch the client left open (Parse/Describe/Flush, then a
        simple Query): a Sync whose ReadyForQuery the client never sees. Returns once every
        reply before it has been relayed, so that the next statement may run elsewhere."""
        self._awaiting(replies)
        self.backend.send(m.Sync())
        await self.wait_idle()

    @property
    def open_batch_only(self) -> bool:
        """Busy only because an extended-protocol batch is open: nothing is unanswered and
        no transaction is open."""
        return self._in_batch and not self._expect and self.backend.status == "I"

    def probe(self, sql: str, on_value: Callable[[str | None], None],
              ahead: bool = False) -> None:
        """Run ``sql`` (no parameters) behind what was sent, between the client's batches; its
        first value (None if it failed) goes to ``on_value``. It runs as a statement prepared
        once per connection (PostgreSQL then neither parses nor plans it again), in the unnamed
        portal. With ``ahead`` it has no Sync of its own: it opens the batch of the client's
        Parse or Bind forwarded next (which then runs in the same implicit transaction, after
        it), and its replies are the first of that batch's."""
        assert not (ahead and self._in_batch), "a probe ahead of a batch opens it"
        name, run = _probe_messages(sql)
        backend = self.backend
        if name not in backend.prepared:
            self._parse(name, False)
            backend.send(m.Parse(name, sql, ()))
        backend.send_raw(run)
        if ahead:
            self._ahead.append([self._batch, on_value, None])
            self._in_batch = True
        else:  # (between batches: the open one, if any, stays open)
            self._expect.append(on_value)
            backend.send_raw(_SYNC_FRAME)
        self._idle.clear()

    async def run_silently(self, sql: str) -> None:
        """Run ``sql`` here without relaying anything (a replayed session setting)."""
        await self.send(m.Query(sql), relay=False)
        await self.wait_idle()

    async def wait_idle(self) -> None:
        """Until every forwarded Query/Sync, and every probe, is answered."""
        await self.drain()
        await self._idle.wait()

    def close(self) -> None:
        self._stop()
        self.backend.close()

    def hand_back(self) -> BackendConnection:
        """Stop relaying (the link is releasable) and return the connection for a pool."""
        self._stop()
        return self.backend

    async def detach(self) -> BackendConnection | None:
        """Stop relaying and hand the connection back, if nothing is in flight on it."""
        self._stop()
        if self._expect or self._in_batch or self._parses or self._closes or self._ahead or \
                self._partial:
            self.backend.close()
            return None
        return self.backend

    def _attach(self) -> None:
        self._start = None
        held = self.backend.decoder.take_buffered()  # read during start-up, not decoded
        if held:
            self.take(held)
        if self._relaying:
            self.backend.reader.attach(self)

    def _stop(self) -> None:
        self._relaying = False
        if self._start is not None:
            self._start.cancel()
            self._start = None
        self.backend.reader.detach()

    def take(self, data: bytes) -> int:
        """The backend's bytes, as they arrive (streams.Sink): relayed to the client at once,
        without waiting for it to read them (a slow client pauses reading the backend)."""
        try:
            self._relay_bytes(data)
        except (BackendError, PgError, ConnectionError) as exc:
            self._stop()
            self._end(exc)
            return len(data)
        self.client.push(cast(asyncio.ReadTransport, self.backend.writer.transport))
        if self.on_idle is not None and self.releasable:
            self.on_idle(self)  # may take the backend back (hand_back)
        return len(data)

    def ended(self, exc: Exception | None) -> None:
        """The backend closed the connection, or it failed (streams.Sink)."""
        backend = self.backend
        where = f"{backend.host}:{backend.port}"
        self._stop()
        self._end(BackendError(f"{where} closed the connection" if exc is None else
                               f"connection to {where} lost: {exc}"))

    def _end(self, exc: Exception) -> None:
        self._idle.set()
        self._replied.set()
        self.on_lost(exc)

    def _relay_bytes(self, data: bytes) -> None:
        """Pass the backend's frames on as they are, in runs; look only at the few whose
        type matters (see _keep)."""
        if self._partial:
            self._partial += data
            data, self._partial = bytes(self._partial), bytearray()
        view = memoryview(data)
        end = len(data)
        pos = run = 0
        effects: list[Any] = []
        expect = self._expect
        # The replies go to the client as they are (not swallowed, not behind a probe): only
        # the frames in _WATCHED need a look.
        passing = not self.gate and not self._ahead and (not expect or expect[0] is True)
        while end - pos >= 5:
            frame_end = pos + 1 + int.from_bytes(data[pos + 1:pos + 5], "big")
            if frame_end > end:
                break
            kind = data[pos]
            if not passing or kind in _WATCHED:
                if not self._keep(kind, data, pos, frame_end, effects):
                    if run < pos:
                        self.client.relay(view[run:pos], effects)
                        effects = []
                    run = frame_end
                passing = not self.gate and not self._ahead and \
                    (not expect or expect[0] is True)
            pos = frame_end
        if run < pos:
            self.client.relay(view[run:pos], effects)
        if pos < end:
            self._partial += view[pos:]

    def _keep(self, kind: int, data: bytes, start: int, end: int, effects: list[Any]) -> bool:
        """Whether the frame at data[start:end] goes to the client; updates the link's state
        (ReadyForQuery, errors, swallowed replies, probes, the commit LSN) on the way."""
        if self._ahead and self._ahead[0][0] == self._answered and kind != _PARSE_COMPLETE:
            return self._ahead_reply(kind, data, start, end)
        replies = self._expect[0] if self._expect else True
        gated = self.gate and not callable(replies)
        if gated:
            replies = False  # behind a probe that has not said the standby is fresh
        if kind in _PLAIN:  # under a swallowed Query/Sync
            return replies == END_BATCH
        if kind == _ROW:
            if callable(replies):
                replies(_first_value(data, start, end))
            return replies is True or replies == END_BATCH
        message: Any = _READIES.get(data[start + 5]) if kind == _READY and end - start == 6 \
            else None
        if message is None:
            message = codec.decode_backend(kind, data[start + 5:end])
        if kind == _PARAMETER and message.name == COMMIT_LSN:
            self.on_commit(message.value)
            return False
        if kind == _PARSE_COMPLETE:
            return self._reply(self._parses) and not gated
        if kind == _CLOSE_COMPLETE:
            return self._reply(self._closes) and not gated
        if kind == _ERROR:
            self._void()  # the backend skips the rest of the batch
            if callable(replies):
                replies(None)  # a probe failed
            if not self._expect and not self._in_batch and \
                    message.severity in ("FATAL", "PANIC"):
                # An idle backend is going away (a shutdown, a terminated backend): the
                # session decides what its loss means (on_lost), not the client.
                return False
        answers_last = len(self._expect) <= 1  # not a reply to an earlier Query or Sync
        if kind == _READY:
            self.backend.status = message.status
            self._void()
            self._answered += 1
            if self._expect:
                self._expect.pop(0)
            if not self._expect and not self._ahead:
                self._idle.set()
        relay = replies is True or (replies == END_BATCH and kind != _READY)
        if relay:
            if kind in _EFFECTS:
                effects.append(message)
            if answers_last:
                self._replied.set()
        return relay

    def _ahead_reply(self, kind: int, data: bytes, start: int, end: int) -> bool:
        """A reply to the probe that opens the batch being answered (see probe), never
        relayed. Its value goes to the callback once the probe has run (CommandComplete); None
        if it failed (ErrorResponse: the server skips the rest of the batch, whose replies the
        closed gate discards, up to its ReadyForQuery)."""
        probe = self._ahead[0]
        if kind == _ROW:
            probe[2] = _first_value(data, start, end)
        elif kind in (_COMMAND_COMPLETE, _ERROR):
            self._ahead.pop(0)
            if kind == _ERROR:
                self._void()
            probe[1](probe[2] if kind == _COMMAND_COMPLETE else None)
            if not self._expect and not self._ahead:
                self._idle.set()
        return False  # (and its BindComplete)


def _first_value(data: bytes, start: int, end: int) -> str | None:
    """The first value of the DataRow at data[start:end], as text."""
    if end - start < 11 or data[start + 5:start + 7] == b"\0\0":
        return None  # no columns
    size = int.from_bytes(data[start + 7:start + 11], "big", signed=True)
    return None if size < 0 else data[start + 11:start + 11 + size].decode()


@functools.lru_cache(maxsize=16)
def _probe_messages(sql: str) -> tuple[str, bytes]:
    """The prepared statement name of a probe, and its Bind and Execute, encoded."""
    name = "pgha_probe_" + hashlib.blake2b(sql.encode(), digest_size=6).hexdigest()
    return name, codec.encode(m.Bind("", name)) + codec.encode(m.Execute(""))


# Frame types (backend messages) the relay passes on without looking: everything but these.
_ROW, _PARAMETER, _ERROR, _READY = ord("D"), ord("S"), ord("E"), ord("Z")
_PARSE_COMPLETE, _CLOSE_COMPLETE, _COPY_IN = ord("1"), ord("3"), ord("G")
_COMMAND_COMPLETE = ord("C")
_SYNC_FRAME = codec.encode(m.Sync())
_QUERY, _SYNC, _FLUSH, _PARSE = ord("Q"), ord("S"), ord("H"), ord("P")  # client messages
_READIES = {ord("I"): m.ReadyForQuery("I"), ord("T"): m.ReadyForQuery("T"),
            ord("E"): m.ReadyForQuery("E")}  # by their status byte
_EFFECTS = frozenset({_ERROR, _READY, _COPY_IN})  # change the client connection's state
_LOOKED_AT = frozenset({_ROW, _PARAMETER, _ERROR, _READY, _PARSE_COMPLETE, _CLOSE_COMPLETE,
                        _COPY_IN})
_PLAIN = frozenset(range(256)) - _LOOKED_AT
_WATCHED = _LOOKED_AT - {_ROW}  # looked at even when replies are relayed as they are
