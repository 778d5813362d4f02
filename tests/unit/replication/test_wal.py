"""The WAL: pure record framing, then WalLog on real files in tmp_path."""

from __future__ import annotations

import os
import struct
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from itertools import pairwise
from pathlib import Path

import pytest

from pgha.replication.wal import (
    DEFAULT_START_LSN,
    HEADER,
    HEADER_SIZE,
    MAX_RECORD,
    WalCorruption,
    WalGone,
    WalLog,
    WalRecord,
    WalUnusable,
    decode_records,
    encode_record,
    pending_record_size,
    whole_records_size,
)

START = DEFAULT_START_LSN


def chain(bodies: list[bytes], start: int = START, term: int = 1) -> list[WalRecord]:
    """Contiguous records holding ``bodies``, as a primary would write them."""
    out: list[WalRecord] = []
    lsn = start
    for i, body in enumerate(bodies):
        rec = WalRecord(lsn, term, 100 + i, 1_700_000_000_000_000 + i, body)
        out.append(rec)
        lsn = rec.end_lsn
    return out


def encoded(records: list[WalRecord]) -> bytes:
    return b"".join(encode_record(r) for r in records)


def segment_files(directory: Path) -> list[Path]:
    return sorted(directory.glob("*.wal"))


@pytest.fixture
def open_log(tmp_path: Path) -> Iterator[Callable[..., WalLog]]:
    """Open logs in tmp_path/wal (or a given directory); every one is closed at teardown."""
    opened: list[WalLog] = []

    def _open(directory: Path | None = None, **kwargs: object) -> WalLog:
        log = WalLog.open(directory or tmp_path / "wal", **kwargs)  # type: ignore[arg-type]
        opened.append(log)
        return log

    yield _open
    for log in reversed(opened):
        log.close()


# -- record framing (pure) ---------------------------------------------------------------------


def test_encode_layout_and_checksum() -> None:
    rec = WalRecord(0x1000000, 3, 42, -5, b"hello")
    data = encode_record(rec)
    assert len(data) == HEADER_SIZE + 5 == rec.size
    total, crc, lsn, term, xid, commit = HEADER.unpack_from(data)
    assert (total, lsn, term, xid, commit) == (45, 0x1000000, 3, 42, -5)
    assert crc == zlib.crc32(data[8:])
    assert data[HEADER_SIZE:] == b"hello"
    assert rec.end_lsn == 0x1000000 + 45


def test_round_trip_many_records() -> None:
    records = chain([b"", b"x", bytes(range(256)) * 10, b"\x00" * 3])
    assert decode_records(encoded(records)) == (records, len(encoded(records)))
    assert decode_records(memoryview(encoded(records)), expect_lsn=START)[0] == records


def test_decode_empty() -> None:
    assert decode_records(b"") == ([], 0)


@pytest.mark.parametrize("cut", [1, 3, 4, HEADER_SIZE - 1, HEADER_SIZE, HEADER_SIZE + 2])
def test_incomplete_trailing_record_is_left_unconsumed(cut: int) -> None:
    records = chain([b"first", b"second!"])
    whole = encode_record(records[0])
    buf = whole + encode_record(records[1])[:cut]
    assert decode_records(buf) == ([records[0]], len(whole))


@pytest.mark.parametrize("position", [4, 7, 8, 15, 16, 24, 32, 39, 40, 44])
def test_flipped_byte_is_detected(position: int) -> None:
    data = bytearray(encode_record(WalRecord(START, 1, 2, 3, b"body!")))
    data[position] ^= 0x01
    with pytest.raises(WalCorruption, match="checksum"):
        decode_records(bytes(data))


@pytest.mark.parametrize("length", [0, 1, HEADER_SIZE - 1, MAX_RECORD + 1, 0xFFFFFFFF])
def test_bad_length_is_detected_early(length: int) -> None:
    data = struct.pack("!I", length) + b"\x00" * 10  # even though the record is incomplete
    with pytest.raises(WalCorruption, match="length"):
        decode_records(data)


def test_corruption_after_good_records_still_raises() -> None:
    records = chain([b"a", b"b"])
    data = bytearray(encoded(records))
    data[-1] ^= 0xFF
    with pytest.raises(WalCorruption):
        decode_records(bytes(data))


def test_expect_lsn_must_match_first_record() -> None:
    data = encoded(chain([b"a"]))
    assert decode_records(data, expect_lsn=START)[1] == len(data)
    with pytest.raises(WalCorruption, match="expected 0/1000001"):
        decode_records(data, expect_lsn=START + 1)


def test_records_must_be_contiguous() -> None:
    first = WalRecord(START, 1, 1, 0, b"a")
    gap = WalRecord(first.end_lsn + 8, 1, 2, 0, b"b")
    with pytest.raises(WalCorruption, match="expected"):
        decode_records(encode_record(first) + encode_record(gap))


def test_encode_rejects_out_of_range_fields() -> None:
    with pytest.raises(ValueError):
        encode_record(WalRecord(START, -1, 0, 0, b""))


# -- WalLog: basics and reopen -----------------------------------------------------------------


def test_fresh_log(tmp_path: Path, open_log: Callable[..., WalLog]) -> None:
    log = open_log()
    assert (log.start_lsn, log.end_lsn, log.flushed_lsn) == (START, START, START)
    assert (log.last_term, log.last_xid, log.recovered_tail_bytes) == (0, 0, 0)
    assert [p.name for p in segment_files(tmp_path / "wal")] == ["0000000001000000.wal"]
    assert log.read(START, 1 << 20) == []
    assert log.read_raw(START, 1 << 20) == b""


def test_append_then_read_round_trip(open_log: Callable[..., WalLog]) -> None:
    log = open_log(start_lsn=0x5000)
    records = [log.append(1, 10 + i, 1000 + i, f"tx{i}".encode()) for i in range(5)]
    assert records[0].lsn == 0x5000
    assert all(a.end_lsn == b.lsn for a, b in pairwise(records))
    assert log.end_lsn == records[-1].end_lsn
    assert (log.last_term, log.last_xid) == (1, 14)
    assert log.read(0x5000, 1 << 20) == records
    assert log.read_raw(0x5000, 1 << 20) == encoded(records)


def test_reopen_keeps_end_lsn_and_last_term(
    tmp_path: Path, open_log: Callable[..., WalLog]
) -> None:
    with WalLog.open(tmp_path / "wal", segment_size=256) as log:
        records = [log.append(1 + i // 5, i, 0, b"x" * 30) for i in range(12)]
        end = log.end_lsn
    log = open_log(segment_size=256, start_lsn=0x9999)  # start_lsn only applies to a new log
    assert (log.start_lsn, log.end_lsn, log.flushed_lsn) == (START, end, end)
    assert (log.last_term, log.last_xid, log.recovered_tail_bytes) == (3, 11, 0)
    assert log.read(START, 1 << 20) == records
    assert log.append(3, 12, 0, b"more").lsn == end


def test_closed_log_is_unusable(open_log: Callable[..., WalLog]) -> None:
    log = open_log()
    log.append(1, 1, 0, b"a")
    log.close()
    log.close()  # idempotent
    with pytest.raises(WalUnusable):
        log.append(1, 2, 0, b"b")
    with pytest.raises(WalUnusable):
        log.read(START, 100)


@pytest.mark.parametrize("kwargs", [{"segment_size": 0}, {"start_lsn": 0}])
def test_open_rejects_bad_arguments(tmp_path: Path, kwargs: dict[str, int]) -> None:
    with pytest.raises(ValueError):
        WalLog.open(tmp_path / "wal", **kwargs)  # type: ignore[arg-type]


# -- crash recovery ----------------------------------------------------------------------------


def _write_three(directory: Path) -> list[WalRecord]:
    with WalLog.open(directory) as log:
        return [log.append(1, i, 0, b"payload-%d" % i) for i in range(3)]


@pytest.mark.parametrize("keep", [1, 5, HEADER_SIZE, HEADER_SIZE + 3])
def test_torn_tail_is_truncated_on_reopen(
    tmp_path: Path, open_log: Callable[..., WalLog], keep: int
) -> None:
    records = _write_three(tmp_path / "wal")
    (segment,) = segment_files(tmp_path / "wal")
    torn_at = records[2].lsn - START + keep
    os.truncate(segment, torn_at)
    log = open_log()
    assert log.recovered_tail_bytes == keep
    assert log.end_lsn == records[2].lsn
    assert segment.stat().st_size == records[2].lsn - START
    assert log.read(START, 1 << 20) == records[:2]
    assert log.append(1, 9, 0, b"again").lsn == records[2].lsn


@pytest.mark.parametrize(
    "garbage", [b"\x00" * 100, b"\xff" * 7, b"not a wal record at all, just noise" * 3]
)
def test_garbage_after_last_record_is_truncated(
    tmp_path: Path, open_log: Callable[..., WalLog], garbage: bytes
) -> None:
    records = _write_three(tmp_path / "wal")
    (segment,) = segment_files(tmp_path / "wal")
    with segment.open("ab") as f:
        f.write(garbage)
    log = open_log()
    assert log.recovered_tail_bytes == len(garbage)
    assert log.end_lsn == records[-1].end_lsn
    assert log.read(START, 1 << 20) == records


def test_corrupt_record_in_last_segment_drops_it_and_the_rest(
    tmp_path: Path, open_log: Callable[..., WalLog]
) -> None:
    records = _write_three(tmp_path / "wal")
    (segment,) = segment_files(tmp_path / "wal")
    data = bytearray(segment.read_bytes())
    data[records[1].lsn - START + HEADER_SIZE] ^= 0x20  # a body byte of the middle record
    segment.write_bytes(bytes(data))
    log = open_log()
    assert log.end_lsn == records[1].lsn
    assert log.recovered_tail_bytes == records[2].end_lsn - records[1].lsn


def test_corruption_in_an_earlier_segment_refuses_to_open(tmp_path: Path) -> None:
    with WalLog.open(tmp_path / "wal", segment_size=100) as log:
        for i in range(6):
            log.append(1, i, 0, b"x" * 60)
    first = segment_files(tmp_path / "wal")[0]
    data = bytearray(first.read_bytes())
    data[-1] ^= 0x01
    first.write_bytes(bytes(data))
    with pytest.raises(WalCorruption, match=first.name):
        WalLog.open(tmp_path / "wal", segment_size=100)


def test_missing_middle_segment_refuses_to_open(tmp_path: Path) -> None:
    with WalLog.open(tmp_path / "wal", segment_size=100) as log:
        for i in range(6):
            log.append(1, i, 0, b"x" * 60)
    segment_files(tmp_path / "wal")[1].unlink()
    with pytest.raises(WalCorruption, match="previous one ends"):
        WalLog.open(tmp_path / "wal", segment_size=100)


# -- segments: rollover and recycle ------------------------------------------------------------


def test_segment_rollover(tmp_path: Path, open_log: Callable[..., WalLog]) -> None:
    log = open_log(segment_size=200)
    records = [log.append(1, i, 0, b"y" * (30 + 7 * i)) for i in range(20)]
    files = segment_files(tmp_path / "wal")
    assert len(files) > 3
    seen: list[WalRecord] = []
    for path in files:
        start = int(path.stem, 16)
        data = path.read_bytes()
        in_file, consumed = decode_records(data, expect_lsn=start)
        assert consumed == len(data)  # no record spans segments
        assert len(data) - in_file[-1].size < 200  # rolled over once segment_size was reached
        seen.extend(in_file)
    assert seen == records
    assert log.read(START, 1 << 20) == records  # reads cross segments


def test_rollover_makes_the_finished_segment_durable(open_log: Callable[..., WalLog]) -> None:
    log = open_log(segment_size=100)
    first = log.append(1, 1, 0, b"z" * 20)  # 60 bytes: the segment is not full yet
    second = log.append(1, 2, 0, b"z" * 20)  # 120 bytes: now it is
    assert log.flushed_lsn == START
    before = log.fsync_count
    log.append(1, 3, 0, b"z" * 20)  # starts a new segment
    assert log.flushed_lsn == second.end_lsn
    assert log.fsync_count == before + 2  # the finished segment, then the directory entry
    assert first.end_lsn == second.lsn


def test_recycle(tmp_path: Path, open_log: Callable[..., WalLog]) -> None:
    log = open_log(segment_size=100)
    records = [log.append(1, i, 0, b"r" * 60) for i in range(6)]  # one record per segment
    assert len(segment_files(tmp_path / "wal")) == 6
    assert log.recycle(records[0].end_lsn - 1) == 0
    assert log.recycle(records[2].end_lsn) == 3
    assert log.start_lsn == records[3].lsn
    assert len(segment_files(tmp_path / "wal")) == 3
    assert log.read(records[3].lsn, 1 << 20) == records[3:]
    with pytest.raises(WalGone):
        log.read(records[2].lsn, 100)
    with pytest.raises(WalGone):
        log.read_raw(START, 100)


def test_recycle_keeps_the_segment_holding_the_last_record(
    tmp_path: Path, open_log: Callable[..., WalLog]
) -> None:
    log = open_log(segment_size=100)
    records = [log.append(4, i, 0, b"r" * 60) for i in range(3)]
    assert log.recycle(log.end_lsn) == 2
    assert log.start_lsn == records[2].lsn
    log.truncate_after(records[2].lsn)  # now the last segment is empty
    log.close()
    log = open_log(segment_size=100)
    assert log.recycle(log.end_lsn) == 0
    assert (log.start_lsn, log.end_lsn, log.last_term) == (records[2].lsn, records[2].lsn, 0)


def test_recycle_everything_keeps_end_and_term_across_reopen(
    open_log: Callable[..., WalLog],
) -> None:
    log = open_log(segment_size=100)
    records = [log.append(7, i, 0, b"r" * 60) for i in range(4)]
    log.recycle(log.end_lsn)
    log.close()
    log = open_log(segment_size=100)
    assert (log.start_lsn, log.end_lsn) == (records[-1].lsn, records[-1].end_lsn)
    assert (log.last_term, log.last_xid) == (7, 3)


# -- reads at boundaries -----------------------------------------------------------------------


def test_read_limits(open_log: Callable[..., WalLog]) -> None:
    log = open_log()
    records = [log.append(1, i, 0, b"b" * 20) for i in range(4)]  # 60 bytes each
    assert log.read(START, 0) == records[:1]  # at least one record
    assert log.read(START, 59) == records[:1]
    assert log.read(START, 120) == records[:2]  # exact fit
    assert log.read(START, 179) == records[:2]
    assert log.read(records[1].lsn, 1 << 20) == records[1:]
    assert log.read_raw(records[3].lsn, 1) == encode_record(records[3])
    assert log.read(log.end_lsn, 1 << 20) == []


def test_read_rejects_bad_positions(open_log: Callable[..., WalLog]) -> None:
    log = open_log()
    rec = log.append(1, 1, 0, b"b" * 20)
    with pytest.raises(ValueError, match="boundary"):
        log.read(START + 1, 100)
    with pytest.raises(ValueError, match="past the end"):
        log.read_raw(rec.end_lsn + 60, 100)
    with pytest.raises(WalGone):
        log.read(START - 60, 100)


def test_read_large_record_crossing_segments(open_log: Callable[..., WalLog]) -> None:
    log = open_log(segment_size=64)
    small = log.append(1, 1, 0, b"s")
    big = log.append(1, 2, 0, b"B" * 500)  # overfills the segment: the next one starts
    after = log.append(1, 3, 0, b"t")
    assert log.read(START, 10) == [small]
    assert log.read(small.end_lsn, 10) == [big]
    assert log.read(START, 41 + 540) == [small, big]
    assert log.read(START, 1 << 20) == [small, big, after]


def test_durable_only_reads_stop_at_flushed_lsn(open_log: Callable[..., WalLog]) -> None:
    log = open_log()
    first = log.append(1, 1, 0, b"one")
    assert log.read(START, 1 << 20, durable_only=True) == []
    log.flush_to(first.end_lsn)
    second = log.append(1, 2, 0, b"two")
    assert log.read(START, 1 << 20, durable_only=True) == [first]
    assert log.read(START, 1 << 20) == [first, second]
    assert log.read(second.lsn, 1 << 20, durable_only=True) == []


def test_reads_are_safe_while_appending(open_log: Callable[..., WalLog]) -> None:
    log = open_log(segment_size=4096, fsync=False)
    stop = threading.Event()

    def writer() -> None:
        for i in range(2000):
            log.append(1, i, 0, b"w" * (i % 50))
        stop.set()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        while not stop.is_set():
            records = log.read(START, 1 << 20)  # decodes contiguously from START, checksummed
            assert [r.xid for r in records] == list(range(len(records)))
    finally:
        thread.join()
    assert len(log.read(START, 1 << 30)) == 2000


def test_read_retries_when_truncated_underneath(
    open_log: Callable[..., WalLog], monkeypatch: pytest.MonkeyPatch
) -> None:
    log = open_log()
    records = [log.append(1, i, 0, b"old%d" % i) for i in range(3)]
    real_pread = os.pread
    replaced: list[WalRecord] = []

    def racing_pread(fd: int, length: int, offset: int) -> bytes:
        if not replaced:  # between planning and reading, the tail is replaced
            log.truncate_after(records[1].lsn)
            replaced.append(log.append(2, 9, 0, b"a different, longer record"))
        return real_pread(fd, length, offset)

    monkeypatch.setattr(os, "pread", racing_pread)
    assert log.read(START, 1 << 20) == [records[0], *replaced]


# -- terms ---------------------------------------------------------------------------------


def test_terms_must_not_go_down(open_log: Callable[..., WalLog]) -> None:
    log = open_log()
    log.append(2, 1, 0, b"a")
    log.append(2, 2, 0, b"b")
    log.append(5, 3, 0, b"c")
    with pytest.raises(ValueError, match="older"):
        log.append(4, 4, 0, b"d")
    assert log.last_term == 5


def test_term_at(open_log: Callable[..., WalLog]) -> None:
    log = open_log()
    a = log.append(1, 1, 0, b"a")
    b = log.append(1, 2, 0, b"b")
    c = log.append(3, 3, 0, b"c")
    assert [log.term_at(r.end_lsn) for r in (a, b, c)] == [1, 1, 3]
    assert log.term_at(START) is None  # no record ends at the start
    assert log.term_at(a.end_lsn + 1) is None  # not a boundary
    assert log.term_at(c.end_lsn + 41) is None  # beyond the end


# -- standbys: append_raw --------------------------------------------------------------------


def test_append_raw_makes_byte_identical_wal(tmp_path: Path) -> None:
    primary = WalLog.open(tmp_path / "primary", segment_size=300)
    standby = WalLog.open(tmp_path / "standby", segment_size=300)
    try:
        for i in range(40):
            primary.append(1 + i // 15, i, 1000 * i, os.urandom(i * 3))
        received: list[WalRecord] = []
        while standby.end_lsn < primary.end_lsn:
            chunk = primary.read_raw(standby.end_lsn, 250)
            received.extend(standby.append_raw(chunk))
        assert received == primary.read(START, 1 << 30)
        assert (standby.end_lsn, standby.last_term, standby.last_xid) == (
            primary.end_lsn,
            primary.last_term,
            primary.last_xid,
        )
        files_p = segment_files(tmp_path / "primary")
        files_s = segment_files(tmp_path / "standby")
        assert [p.name for p in files_p] == [p.name for p in files_s]
        assert all(p.read_bytes() == s.read_bytes() for p, s in zip(files_p, files_s, strict=True))
    finally:
        primary.close()
        standby.close()


def test_append_raw_rejects_bad_input(open_log: Callable[..., WalLog]) -> None:
    log = open_log()
    records = chain([b"one", b"two"])
    data = encoded(records)
    with pytest.raises(WalCorruption, match="trailing"):
        log.append_raw(data[:-1])
    with pytest.raises(WalCorruption, match="expected"):
        log.append_raw(encoded(chain([b"x"], start=START + 1)))
    assert log.end_lsn == START  # nothing was written
    assert log.append_raw(data) == records
    with pytest.raises(ValueError, match="older"):
        log.append_raw(encoded(chain([b"old"], start=log.end_lsn, term=0)))
    assert log.append_raw(b"") == []


# -- truncate_after and reset ----------------------------------------------------------------


def test_truncate_after_then_append_continues(open_log: Callable[..., WalLog]) -> None:
    log = open_log()
    records = [log.append(1 + i // 3, i, 0, b"t" * 10) for i in range(5)]
    log.flush_to(log.end_lsn)
    assert log.truncate_after(records[3].lsn) == records[4].end_lsn - records[3].lsn
    assert (log.end_lsn, log.flushed_lsn) == (records[3].lsn, records[3].lsn)
    assert (log.last_term, log.last_xid) == (1, 2)
    rec = log.append(1, 50, 0, b"new")
    assert rec.lsn == records[3].lsn
    assert log.read(START, 1 << 20) == [*records[:3], rec]
    assert log.truncate_after(log.end_lsn) == 0


def test_truncate_after_across_segments_survives_reopen(
    tmp_path: Path, open_log: Callable[..., WalLog]
) -> None:
    log = open_log(segment_size=100)
    records = [log.append(1, i, 0, b"s" * 60) for i in range(5)]
    log.truncate_after(records[1].lsn)
    assert [p.name for p in segment_files(tmp_path / "wal")] == [
        f"{records[0].lsn:016X}.wal",
        f"{records[1].lsn:016X}.wal",
    ]
    rec = log.append(2, 9, 0, b"after")
    log.close()
    log = open_log(segment_size=100)
    assert log.read(START, 1 << 20) == [records[0], rec]
    assert (log.last_term, log.last_xid) == (2, 9)


def test_truncate_after_to_the_start_empties_the_log(open_log: Callable[..., WalLog]) -> None:
    log = open_log()
    log.append(1, 1, 0, b"a")
    log.truncate_after(START)
    assert (log.end_lsn, log.last_xid, log.read(START, 100)) == (START, 0, [])


def test_truncate_after_rejects_bad_positions(open_log: Callable[..., WalLog]) -> None:
    log = open_log()
    log.append(1, 1, 0, b"a")
    with pytest.raises(ValueError, match="boundary"):
        log.truncate_after(START + 3)
    with pytest.raises(ValueError, match="past the end"):
        log.truncate_after(log.end_lsn + 1)


def test_reset(tmp_path: Path, open_log: Callable[..., WalLog]) -> None:
    log = open_log(segment_size=100)
    for i in range(4):
        log.append(3, i, 0, b"q" * 60)
    log.reset(0x7000000)
    assert [p.name for p in segment_files(tmp_path / "wal")] == ["0000000007000000.wal"]
    assert (log.start_lsn, log.end_lsn, log.flushed_lsn) == (0x7000000, 0x7000000, 0x7000000)
    assert (log.last_term, log.last_xid) == (0, 0)
    rec = log.append(4, 1, 0, b"fresh")
    assert rec.lsn == 0x7000000
    log.close()
    log = open_log(segment_size=100)
    assert (log.start_lsn, log.read(0x7000000, 100)) == (0x7000000, [rec])


# -- group commit --------------------------------------------------------------------------


def test_flush_to(open_log: Callable[..., WalLog]) -> None:
    log = open_log()
    rec = log.append(1, 1, 0, b"a")
    assert log.flushed_lsn == START
    before = log.fsync_count
    assert log.flush_to(rec.end_lsn) == rec.end_lsn
    assert log.fsync_count == before + 1
    assert log.flush_to(rec.end_lsn) == rec.end_lsn  # already covered: no fsync
    assert log.flush_to(START) == rec.end_lsn
    assert log.fsync_count == before + 1
    with pytest.raises(ValueError, match="beyond the end"):
        log.flush_to(rec.end_lsn + 1)


def test_flush_without_fsync_never_calls_fsync(
    open_log: Callable[..., WalLog], monkeypatch: pytest.MonkeyPatch
) -> None:
    def forbidden(fd: int) -> None:
        raise AssertionError("fsync called with fsync=False")

    monkeypatch.setattr(os, "fsync", forbidden)
    log = open_log(segment_size=100, fsync=False)
    records = [log.append(1, i, 0, b"n" * 60) for i in range(4)]
    assert log.flush_to(records[-1].end_lsn) == records[-1].end_lsn
    log.truncate_after(records[1].lsn)
    log.reset(0x9000000)
    assert log.fsync_count == 0


def test_group_commit_shares_fsyncs(
    open_log: Callable[..., WalLog], monkeypatch: pytest.MonkeyPatch
) -> None:
    log = open_log()
    real_fsync = os.fsync

    def slow_fsync(fd: int) -> None:
        time.sleep(0.05)  # commits arriving meanwhile must wait for the next leader
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", slow_fsync)
    threads_n = 16
    barrier = threading.Barrier(threads_n)
    results: list[tuple[int, int]] = []
    errors: list[BaseException] = []

    def commit(i: int) -> None:
        try:
            barrier.wait()
            rec = log.append(1, i, 0, b"c%d" % i)
            results.append((rec.end_lsn, log.flush_to(rec.end_lsn)))
        except BaseException as exc:
            errors.append(exc)

    before = log.fsync_count
    threads = [threading.Thread(target=commit, args=(i,)) for i in range(threads_n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(results) == threads_n
    assert all(flushed >= lsn for lsn, flushed in results)
    assert log.fsync_count - before < threads_n
    assert log.flushed_lsn == log.end_lsn


def test_failed_fsync_poisons_the_log(
    open_log: Callable[..., WalLog], monkeypatch: pytest.MonkeyPatch
) -> None:
    log = open_log()
    rec = log.append(1, 1, 0, b"a")

    def failing(fd: int) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "fsync", failing)
    with pytest.raises(OSError, match="Input/output"):
        log.flush_to(rec.end_lsn)
    monkeypatch.undo()
    with pytest.raises(WalUnusable):
        log.flush_to(rec.end_lsn)
    with pytest.raises(WalUnusable):
        log.append(1, 2, 0, b"b")
    assert log.flushed_lsn == START


def test_whole_records_size_stops_before_an_incomplete_record() -> None:
    data = b"".join(encode_record(r) for r in chain([b"a" * 10, b"b" * 5000, b"c"]))
    sizes = [HEADER_SIZE + 10, HEADER_SIZE + 5000, HEADER_SIZE + 1]
    assert whole_records_size(data) == len(data)
    assert whole_records_size(data[:-1]) == sizes[0] + sizes[1]
    assert whole_records_size(data[: sizes[0] + 3]) == sizes[0]  # not even a length field
    assert whole_records_size(b"") == 0
    assert pending_record_size(data[sizes[0]:sizes[0] + 4]) == sizes[1]
    assert pending_record_size(data[:3]) is None


@pytest.mark.parametrize("length", [0, HEADER_SIZE - 1, MAX_RECORD + 1])
def test_pending_record_size_refuses_a_length_out_of_range(length: int) -> None:
    with pytest.raises(WalCorruption):
        whole_records_size(struct.pack("!I", length) + b"\0" * 60)
