"""Framing, encoding and decoding of the replication channel between a primary and its standbys.

The channel is a TCP byte stream of frames: a 1-byte type code, a u32 big-endian payload
length, then the payload. This module does no I/O (h11 style, like ``pgha.wire.codec``):

* ``encode(message, compress=True) -> bytes`` encodes one message as one frame.
* ``FrameDecoder`` is fed arbitrary chunks with ``feed(data)``; ``next_message()`` returns the
  next complete message or None when more bytes are needed.
* ``new_nonce``, ``make_proof`` and ``check_proof`` are the pure halves of the handshake.

The conversation (the state rules live in the modules that drive a connection, not here):

* primary -> standby: ``Challenge`` first; after the standby's ``Hello`` either ``Welcome``
  then WAL (``WalBatch``, ``PrimaryHeartbeat``), or ``NeedSnapshot`` then ``SnapshotBegin``,
  ``SnapshotChunk``..., ``SnapshotEnd``, or ``Refuse`` and the connection is closed.
* standby -> primary: ``Hello`` (answers the challenge), then ``StandbyStatus`` feedback, as
  PostgreSQL's standby status update does
  (https://www.postgresql.org/docs/15/protocol-replication.html).
* ``Goodbye`` in either direction before a deliberate close.

Invariants:

* Payload fields, in the order the dataclass declares them: strings are UTF-8 with a u16 length
  prefix, bytes a u32 length prefix, integers u64 (``time_us`` is i64, microseconds since the
  Unix epoch), booleans one byte 0 or 1. A payload must be consumed exactly: a short payload or
  trailing bytes are errors.
* A frame whose payload exceeds ``max_payload_size`` is rejected as soon as its header is seen,
  before its payload is buffered; an unknown type code is rejected on its first byte.
* ``WalBatch`` carries a flag byte saying whether its data is LZ4-compressed (``lz4.frame``);
  the decoder always returns the uncompressed data, and refuses data that would decompress to
  more than ``max_payload_size`` bytes.
* Malformed input raises ``ReplicationProtocolError``; the decoder then stays failed and raises
  the same error again, since the stream position is lost.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import secrets
import struct
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import IntEnum, unique
from typing import Any, Final, TypeAlias

import lz4.frame

MAX_PAYLOAD_SIZE: Final = 64 * 1024 * 1024
"""Default limit on one frame's payload (and on a WalBatch's uncompressed data). Senders keep
snapshot chunks and WAL batches well below it; it bounds the memory one peer can pin."""

MAX_WAL_BATCH_DATA: Final = 8 * 1024 * 1024
"""Most WAL bytes one WalBatch carries. A record larger than this (one big transaction) is sent
as consecutive pieces, each its own WalBatch, so no frame nears ``MAX_PAYLOAD_SIZE`` and
neither end holds more than one piece of the stream per frame."""

WAL_COMPRESS_THRESHOLD: Final = 1024
"""WalBatch data shorter than this is sent raw: LZ4's frame overhead and the CPU are not worth it
for a few small records."""

WAL_COMPRESSION_LEVEL: Final = lz4.frame.COMPRESSIONLEVEL_MIN
"""LZ4's fast mode: replication lag matters more than the last few percent of bandwidth."""

NONCE_SIZE: Final = 32

MAX_TERM: Final = 1 << 48
"""Terms above this are refused on the wire: a forged or corrupt term near 2^64 would
otherwise be adopted (and persisted) by every node and jam the cluster for good."""

# Refusal codes (Refuse.code), SQLSTATE-like so they can be shown and matched as PostgreSQL
# errors are: each is the PostgreSQL error code whose meaning is closest
# (https://www.postgresql.org/docs/15/errcodes-appendix.html), and each is used for exactly one
# reason, so a standby matches on the code, never on the message.
REFUSE_BAD_PROOF: Final = "28P01"  # invalid_password: proof does not match the cluster secret
REFUSE_WRONG_CLUSTER: Final = "08004"  # sqlserver_rejected_establishment_of_sqlconnection
REFUSE_STANDBY_AHEAD: Final = "55000"  # object_not_in_prerequisite_state: the standby's log is
# ahead of, or diverged from, the primary's in a way a snapshot must not silently overwrite
REFUSE_STALE_TERM: Final = "57P03"  # cannot_connect_now: the standby has seen a higher term, so
# this node is no longer the primary; the standby should look for the current one
REFUSE_PROTOCOL_VIOLATION: Final = "08P01"  # protocol_violation: unexpected or malformed frame
REFUSE_NOT_PRIMARY: Final = "25006"  # read_only_sql_transaction: this node is a standby; the
# standby should try the next address it was given

_HEADER = struct.Struct("!BI")  # type code, u32 payload length
_U8 = struct.Struct("!B")
_U16 = struct.Struct("!H")
_U32 = struct.Struct("!I")
_U64 = struct.Struct("!Q")
_I64 = struct.Struct("!q")

_RAW: Final = 0  # WalBatch flag: data as is
_LZ4: Final = 1  # WalBatch flag: data is one lz4.frame frame


@unique  # a duplicated code would silently alias two messages
class FrameType(IntEnum):
    """The type code of each frame. 'w', 'k' and 'r' are the codes PostgreSQL's streaming
    replication protocol uses for the same roles (XLogData, primary keepalive, standby status
    update), which makes captures easier to read for anyone who knows that protocol."""

    # primary -> standby
    CHALLENGE = ord("C")  # Challenge
    WELCOME = ord("W")  # Welcome
    REFUSE = ord("E")  # Refuse
    NEED_SNAPSHOT = ord("N")  # NeedSnapshot
    SNAPSHOT_BEGIN = ord("B")  # SnapshotBegin
    SNAPSHOT_CHUNK = ord("D")  # SnapshotChunk
    SNAPSHOT_END = ord("F")  # SnapshotEnd
    WAL_BATCH = ord("w")  # WalBatch
    PRIMARY_HEARTBEAT = ord("k")  # PrimaryHeartbeat
    # standby -> primary
    HELLO = ord("H")  # Hello
    STANDBY_STATUS = ord("r")  # StandbyStatus
    # candidate -> any node, and the answer
    VOTE_REQUEST = ord("V")  # VoteRequest
    VOTE_RESPONSE = ord("v")  # VoteResponse
    # either direction
    GOODBYE = ord("X")  # Goodbye


class ReplicationProtocolError(Exception):
    """Malformed replication input: bad frame, unknown type, short or oversized payload."""

    sqlstate = REFUSE_PROTOCOL_VIOLATION


# --------------------------------------------------------------------------------------------
# Messages, primary -> standby
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Challenge:
    """Sent first on accept: the standby answers with a Hello proving it knows the secret.
    ``proof`` (``challenge_proof``) shows the peer that this node knows it too, so that the
    term and node id it announces can be believed."""

    nonce: bytes
    cluster_id: str
    term: int
    node_id: str
    listen_address: str = ""  # the node's client (PostgreSQL wire) address, host:port
    proof: bytes = b""


@dataclass(frozen=True, slots=True)
class Welcome:
    """Handshake accepted; WAL streaming starts at the LSN the standby asked for (its end_lsn).
    ``end_lsn`` here is the primary's current end of WAL."""

    term: int
    primary_node_id: str
    start_lsn: int
    end_lsn: int


@dataclass(frozen=True, slots=True)
class Refuse:
    """Handshake refused; ``code`` is one of the REFUSE_* constants. The primary then closes."""

    code: str
    message: str


@dataclass(frozen=True, slots=True)
class NeedSnapshot:
    """The WAL the standby needs is gone, or its log diverged: a snapshot follows.
    ``diverged_lsn``: where the standby's log stops agreeing with the primary's (0 when it does
    not diverge), so the standby can say how many of its records are discarded."""

    reason: str
    diverged_lsn: int = 0


@dataclass(frozen=True, slots=True)
class SnapshotBegin:
    """A consistent copy of the primary's database file as of ``lsn``, ``size`` bytes long."""

    lsn: int
    term: int
    size: int


@dataclass(frozen=True, slots=True)
class SnapshotChunk:
    """The next piece of the snapshot, in file order."""

    data: bytes


@dataclass(frozen=True, slots=True)
class SnapshotEnd:
    """End of the snapshot; ``sha256`` is the digest of the whole file."""

    sha256: bytes


@dataclass(frozen=True, slots=True)
class WalBatch:
    """Encoded WAL bytes from ``first_lsn`` up to ``end_lsn`` (opaque here): whole records, or
    one piece of a record larger than ``MAX_WAL_BATCH_DATA`` (the next batches carry the rest;
    the standby stores the record once it has all of it)."""

    first_lsn: int
    end_lsn: int
    term: int
    data: bytes


@dataclass(frozen=True, slots=True)
class PrimaryHeartbeat:
    """Keepalive with the primary's WAL position; like PostgreSQL's primary keepalive message,
    ``reply_requested`` asks for an immediate StandbyStatus. ``lease_us`` is the primary's own
    monotonic clock when it sent this (opaque to the standby, which echoes it back): the
    primary's lease runs from the heartbeats a majority has echoed (``election.Lease``)."""

    term: int
    end_lsn: int
    flushed_lsn: int
    time_us: int
    reply_requested: bool
    lease_us: int = 0


# --------------------------------------------------------------------------------------------
# Messages, standby -> primary (and Goodbye, both ways)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Hello:
    """Answer to Challenge. ``proof`` is ``make_proof(secret, nonce, node_id)``; ``end_lsn`` and
    ``last_term`` (the term of the standby's last record) describe its WAL tail, so the primary
    can check it is a prefix of its own log; ``listen_address`` is the standby's client (PG wire)
    address, shown in the views."""

    node_id: str
    cluster_id: str
    proof: bytes
    term: int
    end_lsn: int
    last_term: int
    listen_address: str
    observer: bool = False  # an observer: heartbeats and votes, no WAL, no snapshot


@dataclass(frozen=True, slots=True)
class StandbyStatus:
    """Standby feedback, as PostgreSQL's standby status update: written, flushed and applied
    LSN, the standby's clock, and whether it wants an immediate heartbeat back."""

    write_lsn: int
    flush_lsn: int
    apply_lsn: int
    time_us: int
    reply_requested: bool
    echo_us: int = 0  # lease_us of the last PrimaryHeartbeat this standby received


@dataclass(frozen=True, slots=True)
class VoteRequest:
    """A candidate asks for a vote (sent instead of Hello after the Challenge), as Raft's
    RequestVote: ``term`` is the term it runs in, (``last_term``, ``end_lsn``) its log's tail.
    ``pre_vote`` asks whether the vote would be granted without anyone changing term (Raft's
    pre-vote, so a node returning from a partition cannot depose a healthy primary)."""

    node_id: str
    cluster_id: str
    proof: bytes
    term: int
    last_term: int
    end_lsn: int
    pre_vote: bool


@dataclass(frozen=True, slots=True)
class VoteResponse:
    """The voter's answer: its term (after the request) and whether it granted the vote."""

    term: int
    granted: bool
    reason: str


@dataclass(frozen=True, slots=True)
class Goodbye:
    """Either side is closing the connection on purpose (shutdown, demotion, ...)."""

    reason: str


PrimaryMessage: TypeAlias = (
    Challenge
    | Welcome
    | Refuse
    | NeedSnapshot
    | SnapshotBegin
    | SnapshotChunk
    | SnapshotEnd
    | WalBatch
    | PrimaryHeartbeat
    | Goodbye
    | VoteResponse
)
StandbyMessage: TypeAlias = Hello | StandbyStatus | Goodbye | VoteRequest
Message: TypeAlias = PrimaryMessage | StandbyMessage


# --------------------------------------------------------------------------------------------
# Field codecs
# --------------------------------------------------------------------------------------------


class _Reader:
    """Reads the fields of one payload; every overrun is a ReplicationProtocolError."""

    __slots__ = ("data", "max_size", "name", "pos")

    def __init__(self, data: bytes, name: str, max_size: int) -> None:
        self.data = data
        self.name = name
        self.max_size = max_size
        self.pos = 0

    def fail(self, what: str) -> ReplicationProtocolError:
        return ReplicationProtocolError(f"{what} in {self.name} frame")

    def take(self, n: int) -> bytes:
        end = self.pos + n
        if end > len(self.data):
            raise self.fail(f"truncated payload (needs {end} bytes, has {len(self.data)})")
        value = self.data[self.pos : end]
        self.pos = end
        return value

    def u8(self) -> int:
        return self.take(1)[0]

    def u16(self) -> int:
        value: int = _U16.unpack(self.take(2))[0]
        return value

    def u32(self) -> int:
        value: int = _U32.unpack(self.take(4))[0]
        return value

    def u64(self) -> int:
        value: int = _U64.unpack(self.take(8))[0]
        return value

    def i64(self) -> int:
        value: int = _I64.unpack(self.take(8))[0]
        return value

    def term(self) -> int:
        value = self.u64()
        if value > MAX_TERM:
            raise self.fail(f"term {value} is out of range")
        return value

    def boolean(self) -> bool:
        value = self.u8()
        if value > 1:
            raise self.fail(f"invalid boolean {value}")
        return value == 1

    def string(self) -> str:
        raw = self.take(self.u16())
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise self.fail("invalid UTF-8 string") from exc

    def blob(self) -> bytes:
        return self.take(self.u32())

    def end(self) -> None:
        if self.pos != len(self.data):
            raise self.fail(f"{len(self.data) - self.pos} trailing bytes")


def _pack_string(value: str) -> bytes:
    data = value.encode("utf-8")
    return _U16.pack(len(data)) + data  # struct.error past 65535 bytes


def _pack_blob(value: bytes) -> bytes:
    return _U32.pack(len(value)) + value


def _pack_bool(value: bool) -> bytes:
    return b"\x01" if value else b"\x00"


@dataclass(frozen=True, slots=True)
class _Field:
    pack: Callable[[Any], bytes]
    read: Callable[[_Reader], Any]


_STR = _Field(_pack_string, _Reader.string)
_BYTES = _Field(_pack_blob, _Reader.blob)
_UINT = _Field(_U64.pack, _Reader.u64)
_TERM = _Field(_U64.pack, _Reader.term)
_INT = _Field(_I64.pack, _Reader.i64)
_BOOL = _Field(_pack_bool, _Reader.boolean)


# --------------------------------------------------------------------------------------------
# The table: one row per message
# --------------------------------------------------------------------------------------------

_Encoder = Callable[[Any, bool], bytes]  # (message, compress) -> payload
_Decoder = Callable[[_Reader], Message]


@dataclass(frozen=True, slots=True)
class _Row:
    code: FrameType
    encode: _Encoder
    decode: _Decoder


def _layout(cls: type[Any], code: FrameType, /, **fields: _Field) -> _Row:
    """A row for a message whose payload is just its fields, in declaration order."""
    names = tuple(fields)
    declared = tuple(f.name for f in dataclasses.fields(cls))
    construct: Callable[..., Message] = cls
    if names != declared:  # a table typo must not silently reorder the wire format
        raise TypeError(f"layout of {code.name} lists {names}, the class declares {declared}")
    layout = tuple(fields.items())

    def encode(message: Any, compress: bool) -> bytes:
        return b"".join([field.pack(getattr(message, name)) for name, field in layout])

    def decode(reader: _Reader) -> Message:
        return construct(*[field.read(reader) for _, field in layout])

    return _Row(code, encode, decode)


def _encode_wal_batch(message: WalBatch, compress: bool) -> bytes:
    header = _U64.pack(message.first_lsn) + _U64.pack(message.end_lsn) + _U64.pack(message.term)
    data = message.data
    if compress and len(data) >= WAL_COMPRESS_THRESHOLD:
        packed: bytes = lz4.frame.compress(data, compression_level=WAL_COMPRESSION_LEVEL)
        if len(packed) < len(data):  # incompressible data (already compressed blobs) goes raw
            return header + _U8.pack(_LZ4) + _pack_blob(packed)
    return header + _U8.pack(_RAW) + _pack_blob(data)


def _decode_wal_batch(reader: _Reader) -> WalBatch:
    first_lsn, end_lsn, term = reader.u64(), reader.u64(), reader.term()
    flag = reader.u8()
    data = reader.blob()
    if flag == _LZ4:
        data = _decompress(reader, data)
    elif flag != _RAW:
        raise reader.fail(f"unknown compression flag {flag}")
    return WalBatch(first_lsn, end_lsn, term, data)


def _decompress(reader: _Reader, packed: bytes) -> bytes:
    decompressor = lz4.frame.LZ4FrameDecompressor()
    try:
        # max_length bounds the memory a small frame can expand into.
        data: bytes = decompressor.decompress(packed, max_length=reader.max_size)
    except RuntimeError as exc:  # lz4 reports corrupt input as RuntimeError
        raise reader.fail(f"corrupt LZ4 data ({exc})") from exc
    if not decompressor.eof:
        if decompressor.needs_input:
            raise reader.fail("truncated LZ4 data")
        raise reader.fail(f"LZ4 data decompresses to more than {reader.max_size} bytes")
    if decompressor.unused_data:
        raise reader.fail("trailing bytes after LZ4 data")
    return data


_ROWS: Final[dict[type, _Row]] = {
    Challenge: _layout(
        Challenge, FrameType.CHALLENGE, nonce=_BYTES, cluster_id=_STR, term=_TERM, node_id=_STR,
        listen_address=_STR, proof=_BYTES,
    ),
    Welcome: _layout(
        Welcome,
        FrameType.WELCOME,
        term=_TERM,
        primary_node_id=_STR,
        start_lsn=_UINT,
        end_lsn=_UINT,
    ),
    Refuse: _layout(Refuse, FrameType.REFUSE, code=_STR, message=_STR),
    NeedSnapshot: _layout(NeedSnapshot, FrameType.NEED_SNAPSHOT, reason=_STR,
                          diverged_lsn=_UINT),
    SnapshotBegin: _layout(
        SnapshotBegin, FrameType.SNAPSHOT_BEGIN, lsn=_UINT, term=_TERM, size=_UINT
    ),
    SnapshotChunk: _layout(SnapshotChunk, FrameType.SNAPSHOT_CHUNK, data=_BYTES),
    SnapshotEnd: _layout(SnapshotEnd, FrameType.SNAPSHOT_END, sha256=_BYTES),
    WalBatch: _Row(FrameType.WAL_BATCH, _encode_wal_batch, _decode_wal_batch),
    PrimaryHeartbeat: _layout(
        PrimaryHeartbeat,
        FrameType.PRIMARY_HEARTBEAT,
        term=_TERM,
        end_lsn=_UINT,
        flushed_lsn=_UINT,
        time_us=_INT,
        reply_requested=_BOOL,
        lease_us=_UINT,
    ),
    Hello: _layout(
        Hello,
        FrameType.HELLO,
        node_id=_STR,
        cluster_id=_STR,
        proof=_BYTES,
        term=_TERM,
        end_lsn=_UINT,
        last_term=_TERM,
        listen_address=_STR,
        observer=_BOOL,
    ),
    StandbyStatus: _layout(
        StandbyStatus,
        FrameType.STANDBY_STATUS,
        write_lsn=_UINT,
        flush_lsn=_UINT,
        apply_lsn=_UINT,
        time_us=_INT,
        reply_requested=_BOOL,
        echo_us=_UINT,
    ),
    VoteRequest: _layout(
        VoteRequest,
        FrameType.VOTE_REQUEST,
        node_id=_STR,
        cluster_id=_STR,
        proof=_BYTES,
        term=_TERM,
        last_term=_TERM,
        end_lsn=_UINT,
        pre_vote=_BOOL,
    ),
    VoteResponse: _layout(
        VoteResponse, FrameType.VOTE_RESPONSE, term=_TERM, granted=_BOOL, reason=_STR
    ),
    Goodbye: _layout(Goodbye, FrameType.GOODBYE, reason=_STR),
}

_BY_CODE: Final[dict[int, _Row]] = {row.code: row for row in _ROWS.values()}


# --------------------------------------------------------------------------------------------
# Encoding and decoding
# --------------------------------------------------------------------------------------------


def encode(
    message: Message, *, compress: bool = True, max_payload_size: int = MAX_PAYLOAD_SIZE
) -> bytes:
    """Encode one message as one frame. ``compress`` allows LZ4 for a WalBatch's data.

    Raises ValueError for a value the format cannot carry (negative or too large integer, string
    over 65535 UTF-8 bytes) or a payload over ``max_payload_size``, which the peer would refuse.
    """
    try:
        row = _ROWS[type(message)]
    except KeyError:
        raise TypeError(f"not a replication message: {message!r}") from None
    try:
        payload = row.encode(message, compress)
    except struct.error as exc:
        raise ValueError(f"value out of range in {type(message).__name__}: {exc}") from exc
    if len(payload) > max_payload_size:
        raise ValueError(
            f"{type(message).__name__} payload of {len(payload)} bytes exceeds the limit of "
            f"{max_payload_size} bytes"
        )
    return _HEADER.pack(row.code, len(payload)) + payload


class FrameDecoder:
    """Splits a replication byte stream into messages (either direction)."""

    def __init__(self, *, max_payload_size: int = MAX_PAYLOAD_SIZE) -> None:
        self.max_payload_size = max_payload_size
        self._buf = bytearray()
        self._pos = 0
        self._error: ReplicationProtocolError | None = None

    @property
    def buffered(self) -> int:
        """Bytes received but not yet returned as messages."""
        return len(self._buf) - self._pos

    def feed(self, data: bytes | bytearray | memoryview) -> None:
        """Append received bytes; any chunking is fine."""
        if self._pos:
            del self._buf[: self._pos]  # O(1) amortized: CPython moves the start pointer
            self._pos = 0
        self._buf += data

    def next_message(self) -> Message | None:
        """The next complete message, or None until more bytes are fed."""
        if self._error is not None:
            raise self._error
        try:
            return self._next()
        except ReplicationProtocolError as exc:
            self._error = exc
            raise

    def __iter__(self) -> Iterator[Message]:
        """Every complete message currently buffered."""
        while (message := self.next_message()) is not None:
            yield message

    def _next(self) -> Message | None:
        buf, pos = self._buf, self._pos
        if len(buf) == pos:
            return None
        row = _BY_CODE.get(buf[pos])
        if row is None:
            raise ReplicationProtocolError(f"unknown replication frame type {buf[pos]:#04x}")
        if len(buf) - pos < _HEADER.size:
            return None
        _, length = _HEADER.unpack_from(buf, pos)
        if length > self.max_payload_size:
            raise ReplicationProtocolError(
                f"{row.code.name} frame payload of {length} bytes exceeds the limit of "
                f"{self.max_payload_size} bytes"
            )
        start = pos + _HEADER.size
        end = start + length
        if len(buf) < end:
            return None
        self._pos = end
        reader = _Reader(bytes(buf[start:end]), row.code.name, self.max_payload_size)
        message = row.decode(reader)
        reader.end()
        return message


# --------------------------------------------------------------------------------------------
# Handshake
# --------------------------------------------------------------------------------------------


def new_nonce() -> bytes:
    """A fresh random challenge for one connection."""
    return secrets.token_bytes(NONCE_SIZE)


def make_proof(secret: bytes, nonce: bytes, node_id: str) -> bytes:
    """HMAC-SHA256(secret, nonce + node_id): proves the standby knows the cluster secret without
    sending it. A cluster without a secret uses b"": anyone can then compute the proof, so such a
    cluster relies on its network for access control."""
    return hmac.new(secret, nonce + node_id.encode("utf-8"), hashlib.sha256).digest()


def check_proof(secret: bytes, nonce: bytes, node_id: str, proof: bytes) -> bool:
    """Whether ``proof`` is ``make_proof(secret, nonce, node_id)``, in constant time."""
    return hmac.compare_digest(make_proof(secret, nonce, node_id), proof)


def challenge_proof(secret: bytes, nonce: bytes, node_id: str, cluster_id: str,
                    term: int) -> bytes:
    """HMAC-SHA256 over what a Challenge announces: only a node that knows the secret can
    announce a term (a replayed Challenge only repeats a term that really existed)."""
    message = b"challenge\0" + nonce + b"\0".join(
        (node_id.encode("utf-8"), cluster_id.encode("utf-8"), str(term).encode()))
    return hmac.new(secret, message, hashlib.sha256).digest()


def check_challenge(secret: bytes, challenge: Challenge) -> bool:
    """Whether ``challenge`` comes from a node that knows ``secret``."""
    expected = challenge_proof(secret, challenge.nonce, challenge.node_id,
                               challenge.cluster_id, challenge.term)
    return hmac.compare_digest(expected, challenge.proof)


__all__ = [
    "MAX_PAYLOAD_SIZE",
    "MAX_TERM",
    "MAX_WAL_BATCH_DATA",
    "NONCE_SIZE",
    "REFUSE_BAD_PROOF",
    "REFUSE_NOT_PRIMARY",
    "REFUSE_PROTOCOL_VIOLATION",
    "REFUSE_STALE_TERM",
    "REFUSE_STANDBY_AHEAD",
    "REFUSE_WRONG_CLUSTER",
    "WAL_COMPRESSION_LEVEL",
    "WAL_COMPRESS_THRESHOLD",
    "Challenge",
    "FrameDecoder",
    "FrameType",
    "Goodbye",
    "Hello",
    "Message",
    "NeedSnapshot",
    "PrimaryHeartbeat",
    "PrimaryMessage",
    "Refuse",
    "ReplicationProtocolError",
    "SnapshotBegin",
    "SnapshotChunk",
    "SnapshotEnd",
    "StandbyMessage",
    "StandbyStatus",
    "VoteRequest",
    "VoteResponse",
    "WalBatch",
    "Welcome",
    "challenge_proof",
    "check_challenge",
    "check_proof",
    "encode",
    "make_proof",
    "new_nonce",
]
