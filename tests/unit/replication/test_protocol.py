"""Replication framing: round trips, chunking, compression, limits, malformed input, proofs."""

from __future__ import annotations

import hashlib
import os
import struct
from typing import get_args

import pytest

from pgha.replication import protocol as p
from pgha.replication.protocol import (
    FrameDecoder,
    FrameType,
    Message,
    ReplicationProtocolError,
    encode,
)

COMPRESSIBLE = b"INSERT INTO t VALUES (42, 'hello replication');" * 2000

MESSAGES: list[Message] = [
    p.Challenge(nonce=bytes(range(32)), cluster_id="c-1", term=7, node_id="node-a"),
    p.Challenge(nonce=b"", cluster_id="", term=0, node_id=""),
    p.Welcome(term=7, primary_node_id="node-a", start_lsn=0x16B3748, end_lsn=0x16B4000),
    p.Refuse(code=p.REFUSE_BAD_PROOF, message="bad proof for node 'b'"),
    p.Refuse(code=p.REFUSE_WRONG_CLUSTER, message="clúster ≠ ours"),
    p.NeedSnapshot(reason="WAL before 0/16B3748 was removed"),
    p.SnapshotBegin(lsn=2**64 - 1, term=3, size=123456789),
    p.SnapshotChunk(data=b"SQLite format 3\x00" + bytes(range(256)) * 4),
    p.SnapshotChunk(data=b""),
    p.SnapshotEnd(sha256=hashlib.sha256(b"db").digest()),
    p.WalBatch(first_lsn=100, end_lsn=110, term=2, data=b"0123456789"),
    p.WalBatch(first_lsn=0, end_lsn=len(COMPRESSIBLE), term=2, data=COMPRESSIBLE),
    p.WalBatch(first_lsn=5, end_lsn=5, term=1, data=b""),
    p.PrimaryHeartbeat(
        term=7, end_lsn=500, flushed_lsn=400, time_us=1_700_000_000_000_000, reply_requested=True
    ),
    p.PrimaryHeartbeat(term=0, end_lsn=0, flushed_lsn=0, time_us=-1, reply_requested=False),
    p.Hello(
        node_id="node-b",
        cluster_id="c-1",
        proof=b"\xaa" * 32,
        term=7,
        end_lsn=400,
        last_term=6,
        listen_address="10.0.0.2:5432",
    ),
    p.StandbyStatus(
        write_lsn=400, flush_lsn=390, apply_lsn=380, time_us=-(2**63), reply_requested=False
    ),
    p.StandbyStatus(write_lsn=1, flush_lsn=1, apply_lsn=1, time_us=2**63 - 1, reply_requested=True),
    p.PrimaryHeartbeat(term=3, end_lsn=9, flushed_lsn=9, time_us=5, reply_requested=True,
                       lease_us=123_456_789),
    p.StandbyStatus(write_lsn=9, flush_lsn=9, apply_lsn=9, time_us=5, reply_requested=False,
                    echo_us=123_456_789),
    p.VoteRequest(node_id="n2", cluster_id="c-1", proof=b"\x01" * 32, term=8, last_term=7,
                  end_lsn=0x16B3748, pre_vote=True),
    p.VoteResponse(term=8, granted=False, reason="heard from the primary 120 ms ago"),
    p.Goodbye(reason="shutting down"),
]


def _ids(message: Message) -> str:
    return type(message).__name__


def _drain(decoder: FrameDecoder) -> list[Message]:
    return list(decoder)


def _frame(code: int, payload: bytes) -> bytes:
    return struct.pack("!BI", code, len(payload)) + payload


def test_every_message_type_is_covered() -> None:
    assert {type(m) for m in MESSAGES} == set(get_args(Message))
    assert len(FrameType) == len(get_args(Message))


@pytest.mark.parametrize("compress", [True, False], ids=["lz4", "raw"])
@pytest.mark.parametrize("message", MESSAGES, ids=_ids)
def test_round_trip(message: Message, compress: bool) -> None:
    decoder = FrameDecoder()
    decoder.feed(encode(message, compress=compress))
    assert decoder.next_message() == message
    assert decoder.next_message() is None
    assert decoder.buffered == 0


def test_wire_format_is_pinned() -> None:
    # Changing the layout breaks mixed-version clusters: this must fail loudly when it happens.
    assert encode(p.Refuse("28P01", "no")) == b"E\x00\x00\x00\x0b\x00\x0528P01\x00\x02no"
    assert encode(p.StandbyStatus(1, 2, 3, -1, True)) == (
        b"r\x00\x00\x00\x29" + struct.pack("!QQQ", 1, 2, 3) + b"\xff" * 8 + b"\x01"
        + struct.pack("!Q", 0)
    )
    assert encode(p.WalBatch(1, 3, 9, b"ab"), compress=False) == (
        b"w\x00\x00\x00\x1f" + struct.pack("!QQQ", 1, 3, 9) + b"\x00" + b"\x00\x00\x00\x02ab"
    )


def test_frames_split_at_every_byte_boundary() -> None:
    small = [m for m in MESSAGES if not (isinstance(m, p.WalBatch) and len(m.data) > 100)]
    stream = b"".join(encode(m) for m in small)
    for cut in range(len(stream) + 1):
        decoder = FrameDecoder()
        decoder.feed(stream[:cut])
        got = _drain(decoder)
        decoder.feed(stream[cut:])
        got += _drain(decoder)
        assert got == small, f"cut at {cut}"
        assert decoder.buffered == 0


def test_one_byte_at_a_time() -> None:
    stream = b"".join(encode(m) for m in MESSAGES)
    decoder = FrameDecoder()
    got: list[Message] = []
    for i in range(len(stream)):
        decoder.feed(stream[i : i + 1])
        got += _drain(decoder)
    assert got == MESSAGES


def test_several_frames_in_one_feed() -> None:
    decoder = FrameDecoder()
    decoder.feed(b"".join(encode(m) for m in MESSAGES) + encode(MESSAGES[0])[:3])
    assert _drain(decoder) == MESSAGES
    assert decoder.buffered == 3
    decoder.feed(encode(MESSAGES[0])[3:])
    assert _drain(decoder) == [MESSAGES[0]]


def _flag(frame: bytes) -> int:
    return frame[5 + 24]  # header, then first_lsn, end_lsn, term


def test_lz4_shrinks_a_compressible_wal_batch() -> None:
    batch = p.WalBatch(first_lsn=0, end_lsn=len(COMPRESSIBLE), term=1, data=COMPRESSIBLE)
    frame = encode(batch)
    assert _flag(frame) == 1
    assert len(frame) < len(COMPRESSIBLE) // 10
    decoder = FrameDecoder()
    decoder.feed(frame)
    assert decoder.next_message() == batch


def test_uncompressed_mode_sends_the_data_as_is() -> None:
    batch = p.WalBatch(first_lsn=0, end_lsn=len(COMPRESSIBLE), term=1, data=COMPRESSIBLE)
    frame = encode(batch, compress=False)
    assert _flag(frame) == 0
    assert len(frame) == 5 + 24 + 1 + 4 + len(COMPRESSIBLE)
    assert frame.endswith(COMPRESSIBLE)


def test_small_and_incompressible_batches_go_raw() -> None:
    small = p.WalBatch(0, 10, 1, b"a" * (p.WAL_COMPRESS_THRESHOLD - 1))
    noise = p.WalBatch(0, 10, 1, os.urandom(64 * 1024))
    for batch in (small, noise):
        frame = encode(batch)
        assert _flag(frame) == 0
        decoder = FrameDecoder()
        decoder.feed(frame)
        assert decoder.next_message() == batch


def test_oversized_frame_rejected_from_its_header() -> None:
    decoder = FrameDecoder(max_payload_size=100)
    decoder.feed(_frame(FrameType.SNAPSHOT_CHUNK, b"")[:1] + struct.pack("!I", 101))
    with pytest.raises(ReplicationProtocolError, match="exceeds the limit of 100"):
        decoder.next_message()
    ok = FrameDecoder(max_payload_size=100)
    ok.feed(encode(p.SnapshotChunk(b"x" * 96)))  # payload of exactly 100 bytes
    assert ok.next_message() == p.SnapshotChunk(b"x" * 96)


def test_default_limit_is_64_mib() -> None:
    assert p.MAX_PAYLOAD_SIZE == 64 * 1024 * 1024
    decoder = FrameDecoder()
    decoder.feed(struct.pack("!BI", FrameType.WAL_BATCH, p.MAX_PAYLOAD_SIZE + 1))
    with pytest.raises(ReplicationProtocolError, match="WAL_BATCH"):
        decoder.next_message()


def test_encode_refuses_a_payload_the_peer_would_refuse() -> None:
    with pytest.raises(ValueError, match="exceeds the limit"):
        encode(p.SnapshotChunk(b"x" * 200), max_payload_size=100)


def test_decompression_is_bounded_by_the_limit() -> None:
    bomb = encode(p.WalBatch(0, 1 << 20, 1, bytes(1 << 20)))
    assert len(bomb) < 10_000
    decoder = FrameDecoder(max_payload_size=64 * 1024)
    decoder.feed(bomb)
    with pytest.raises(ReplicationProtocolError, match="decompresses to more than"):
        decoder.next_message()


def test_unknown_type_rejected_on_its_first_byte_and_decoder_stays_failed() -> None:
    decoder = FrameDecoder()
    decoder.feed(b"Z")
    with pytest.raises(ReplicationProtocolError, match="unknown replication frame type 0x5a"):
        decoder.next_message()
    decoder.feed(encode(p.Goodbye("bye")))
    with pytest.raises(ReplicationProtocolError, match="unknown"):
        decoder.next_message()


def test_error_carries_a_sqlstate() -> None:
    assert ReplicationProtocolError.sqlstate == "08P01"


def _payload(message: Message) -> bytes:
    return encode(message, compress=False)[5:]


MALFORMED = {
    "truncated": (
        FrameType.WELCOME,
        _payload(p.Welcome(1, "n", 2, 3))[:-1],
        "truncated payload",
    ),
    "truncated-string": (FrameType.GOODBYE, b"\x00\x05abc", "truncated payload"),
    "truncated-bytes": (FrameType.SNAPSHOT_CHUNK, b"\x00\x00\x01\x00abc", "truncated payload"),
    "empty": (FrameType.PRIMARY_HEARTBEAT, b"", "truncated payload"),
    "trailing": (FrameType.GOODBYE, _payload(p.Goodbye("x")) + b"!", "1 trailing bytes"),
    "bad-bool": (
        FrameType.STANDBY_STATUS,
        _payload(p.StandbyStatus(1, 1, 1, 1, True))[:-9] + b"\x02" + bytes(8),
        "invalid boolean 2",
    ),
    "bad-utf8": (FrameType.GOODBYE, b"\x00\x02\xc3\x28", "invalid UTF-8"),
    "huge-term": (  # a forged term near 2^64 would jam every node that adopted it
        FrameType.VOTE_REQUEST,
        _payload(p.VoteRequest("n9", "c", b"", 2**64 - 1, 1, 1, False)),
        "out of range",
    ),
    "bad-flag": (
        FrameType.WAL_BATCH,
        struct.pack("!QQQB", 0, 1, 1, 7) + b"\x00\x00\x00\x01a",
        "unknown compression flag 7",
    ),
    "corrupt-lz4": (
        FrameType.WAL_BATCH,
        struct.pack("!QQQBI", 0, 1, 1, 1, 32) + b"junk" * 8,
        "corrupt LZ4",
    ),
    "truncated-lz4": (
        FrameType.WAL_BATCH,
        (lambda z: struct.pack("!QQQBI", 0, 1, 1, 1, len(z)) + z)(
            encode(p.WalBatch(0, 1, 1, COMPRESSIBLE))[5 + 29 : -4]
        ),
        "truncated LZ4",
    ),
}


@pytest.mark.parametrize(("code", "payload", "error"), MALFORMED.values(), ids=list(MALFORMED))
def test_malformed_payload_rejected(code: int, payload: bytes, error: str) -> None:
    decoder = FrameDecoder()
    decoder.feed(_frame(code, payload))
    with pytest.raises(ReplicationProtocolError, match=error):
        decoder.next_message()


@pytest.mark.parametrize(
    "message",
    [
        p.Welcome(-1, "n", 0, 0),
        p.SnapshotBegin(2**64, 0, 0),
        p.PrimaryHeartbeat(0, 0, 0, 2**63, False),
        p.Goodbye("x" * 65536),
    ],
    ids=["negative", "u64-overflow", "i64-overflow", "long-string"],
)
def test_encode_rejects_values_the_format_cannot_carry(message: Message) -> None:
    with pytest.raises(ValueError):
        encode(message)


def test_encode_rejects_non_messages() -> None:
    with pytest.raises(TypeError):
        encode("hello")  # type: ignore[arg-type]


def test_refusal_codes_are_distinct_sqlstates() -> None:
    codes = [
        p.REFUSE_BAD_PROOF,
        p.REFUSE_WRONG_CLUSTER,
        p.REFUSE_STANDBY_AHEAD,
        p.REFUSE_STALE_TERM,
        p.REFUSE_PROTOCOL_VIOLATION,
    ]
    assert len(set(codes)) == len(codes)
    assert all(len(c) == 5 and c.isascii() and c.isalnum() for c in codes)
    assert p.REFUSE_BAD_PROOF == "28P01"


def test_proof_accepts_the_right_secret() -> None:
    nonce = p.new_nonce()
    proof = p.make_proof(b"s3cret", nonce, "node-b")
    assert len(proof) == 32
    assert p.check_proof(b"s3cret", nonce, "node-b", proof)


def test_proof_with_empty_secret() -> None:
    nonce = p.new_nonce()
    assert p.check_proof(b"", nonce, "node-b", p.make_proof(b"", nonce, "node-b"))
    assert not p.check_proof(b"x", nonce, "node-b", p.make_proof(b"", nonce, "node-b"))


@pytest.mark.parametrize(
    ("secret", "nonce_changed", "node_id"),
    [(b"wrong", False, "node-b"), (b"s3cret", True, "node-b"), (b"s3cret", False, "node-c")],
    ids=["wrong-secret", "wrong-nonce", "wrong-node-id"],
)
def test_proof_rejects_wrong_inputs(secret: bytes, nonce_changed: bool, node_id: str) -> None:
    nonce = p.new_nonce()
    proof = p.make_proof(b"s3cret", nonce, "node-b")
    check_nonce = p.new_nonce() if nonce_changed else nonce
    assert not p.check_proof(secret, check_nonce, node_id, proof)
    assert not p.check_proof(b"s3cret", nonce, "node-b", proof[:-1])
    assert not p.check_proof(b"s3cret", nonce, "node-b", b"")


def test_nonces_are_fresh() -> None:
    nonces = {p.new_nonce() for _ in range(100)}
    assert len(nonces) == 100
    assert all(len(n) == p.NONCE_SIZE == 32 for n in nonces)


def test_challenge_proof_binds_the_announced_term() -> None:
    secret, nonce = b"s3cret", bytes(32)
    proof = p.challenge_proof(secret, nonce, "n1", "c-1", 7)
    good = p.Challenge(nonce, "c-1", 7, "n1", "", proof)
    assert p.check_challenge(secret, good)
    assert not p.check_challenge(b"other", good)
    assert not p.check_challenge(secret, p.Challenge(nonce, "c-1", 8, "n1", "", proof))
    assert not p.check_challenge(secret, p.Challenge(nonce, "c-1", 7, "n2", "", proof))
