"""pgha's write-ahead log: the replication source of truth.

One committed write transaction on the primary is one WAL record. Invariants:

- A record's LSN is the byte position of its first byte in the logical WAL stream and
  ``end_lsn = lsn + encoded length``; the next record starts exactly at ``end_lsn``. LSNs only
  grow, and a fresh log starts at a nonzero LSN so that 0 can mean "nothing".
- Terms never go down along the log: a record from an older primary cannot follow a newer one.
- Bytes are identical on every node: a standby writes the primary's encoded records verbatim.
- The log is a run of segment files ``{start_lsn:016X}.wal`` in one directory, contiguous in LSN.
  A record never spans segments. A segment is fsynced before the next one is created (as
  PostgreSQL's XLogWrite does when it finishes a segment), so after a crash only the last segment
  can have a torn tail; ``WalLog.open`` truncates it there and treats damage anywhere else as
  corruption.
- Records become durable only through ``flush_to`` (group commit: concurrent callers share one
  fsync); ``append`` hands the bytes to the OS and no more.

Record framing (``encode_record``/``decode_records``) is pure; ``WalLog`` does the file I/O.
"""

from __future__ import annotations

import os
import re
import struct
import threading
import zlib
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Final

from pgha.wire.lsn import MAX_LSN, format_lsn

# total_len u32, crc32 u32, lsn u64, term u64, xid u64, commit_time_us i64 (network byte order).
HEADER: Final = struct.Struct("!IIQQQq")
HEADER_SIZE: Final = HEADER.size
MAX_RECORD: Final = 256 * 1024 * 1024
DEFAULT_START_LSN: Final = 0x1000000
DEFAULT_SEGMENT_SIZE: Final = 16 * 1024 * 1024
# Segment offsets are kept as u32; a segment holds at most segment_size + MAX_RECORD bytes.
MAX_SEGMENT_SIZE: Final = 1024 * 1024 * 1024

_LENGTH: Final = struct.Struct("!I")
_CRC_FROM: Final = 8  # the checksum covers every byte after total_len and crc32
_SEGMENT_NAME: Final = re.compile(r"([0-9A-F]{16})\.wal")


class WalCorruption(ValueError):
    """WAL bytes that are not a valid run of records: bad checksum, length or LSN sequence."""


class WalGone(Exception):
    """The requested WAL was recycled; the reader (a standby) needs a snapshot instead."""


class WalUnusable(RuntimeError):
    """The log was closed, or a write or fsync failed; it must be reopened to be trusted."""


@dataclass(frozen=True, slots=True)
class WalRecord:
    """One committed write transaction. ``body`` is opaque to the log."""

    lsn: int
    term: int
    xid: int
    commit_time_us: int
    body: bytes

    @property
    def size(self) -> int:
        """Encoded length, header included."""
        return HEADER_SIZE + len(self.body)

    @property
    def end_lsn(self) -> int:
        """The LSN where the next record starts."""
        return self.lsn + self.size


@dataclass(frozen=True, slots=True)
class _Frame:
    """A validated record header found in a buffer, without copying the body."""

    offset: int
    total_len: int
    lsn: int
    term: int
    xid: int
    commit_time_us: int

    @property
    def end_offset(self) -> int:
        return self.offset + self.total_len

    @property
    def end_lsn(self) -> int:
        return self.lsn + self.total_len


def encode_record(rec: WalRecord) -> bytes:
    """The record's bytes as they go into the WAL and over the replication stream."""
    total = rec.size
    if total > MAX_RECORD:
        raise ValueError(f"WAL record of {total} bytes exceeds the {MAX_RECORD}-byte limit")
    try:
        header = HEADER.pack(total, 0, rec.lsn, rec.term, rec.xid, rec.commit_time_us)
    except struct.error as exc:
        raise ValueError(f"WAL record field out of range: {exc}") from exc
    tail = header[_CRC_FROM:]
    crc = zlib.crc32(rec.body, zlib.crc32(tail))
    return b"".join((_LENGTH.pack(total), _LENGTH.pack(crc), tail, rec.body))


def count_records(buf: bytes) -> int:
    """How many whole records ``buf`` (already checked records, e.g. from ``read_raw``) holds,
    by their lengths alone."""
    count = offset = 0
    while offset + _LENGTH.size <= len(buf):
        offset += _LENGTH.unpack_from(buf, offset)[0]
        count += 1
    return count


def whole_records_size(buf: bytes | bytearray | memoryview) -> int:
    """How many bytes at the start of ``buf`` are whole records, by their length fields alone
    (the records are checked when they are decoded)."""
    offset = 0
    while (size := pending_record_size(memoryview(buf)[offset:])) is not None:
        if offset + size > len(buf):
            break
        offset += size
    return offset


def pending_record_size(buf: bytes | bytearray | memoryview) -> int | None:
    """The encoded size of the record that starts ``buf`` (from its length field), or None
    while fewer than 4 bytes are there. Lets a reader wait for a record that arrives in pieces
    without decoding it again on every piece."""
    if len(buf) < _LENGTH.size:
        return None
    size: int = _LENGTH.unpack_from(buf, 0)[0]
    if not HEADER_SIZE <= size <= MAX_RECORD:
        raise WalCorruption(f"WAL record length {size} is out of range")
    return size


def decode_records(
    buf: bytes | memoryview, expect_lsn: int | None = None
) -> tuple[list[WalRecord], int]:
    """The complete records at the start of ``buf`` and the number of bytes they use.

    An incomplete trailing record is left unconsumed (more bytes may be on the way). Records must
    be contiguous: each starts at the previous one's ``end_lsn``, and the first at ``expect_lsn``
    when given. Anything else raises ``WalCorruption``.
    """
    view = memoryview(buf).cast("B")
    records: list[WalRecord] = []
    consumed = 0
    for frame in _iter_frames(view, expect_lsn):
        body = bytes(view[frame.offset + HEADER_SIZE : frame.end_offset])
        records.append(WalRecord(frame.lsn, frame.term, frame.xid, frame.commit_time_us, body))
        consumed = frame.end_offset
    return records, consumed


def _iter_frames(view: memoryview, expect_lsn: int | None) -> Iterator[_Frame]:
    """Yield valid records from the start of ``view``; stop at an incomplete one; raise
    ``WalCorruption`` at the first invalid one, after yielding the good ones before it (so a
    scanner knows where the valid prefix ends)."""
    offset = 0
    size = len(view)
    while size - offset >= _LENGTH.size:
        (total_len,) = _LENGTH.unpack_from(view, offset)
        # Checked before the record is complete so that garbage is reported at once instead of
        # waiting for up to 4 GiB that will never come.
        if not HEADER_SIZE <= total_len <= MAX_RECORD:
            raise WalCorruption(
                f"WAL record at offset {offset}: length {total_len} outside "
                f"[{HEADER_SIZE}, {MAX_RECORD}]"
            )
        if size - offset < total_len:
            return
        frame = _check_frame(view, offset, total_len, expect_lsn)
        yield frame
        expect_lsn = frame.end_lsn
        offset = frame.end_offset


def _check_frame(view: memoryview, offset: int, total_len: int, expect_lsn: int | None) -> _Frame:
    _, crc, lsn, term, xid, commit_time_us = HEADER.unpack_from(view, offset)
    actual = zlib.crc32(view[offset + _CRC_FROM : offset + total_len])
    if actual != crc:
        raise WalCorruption(
            f"WAL record at offset {offset}: checksum {actual:08X} does not match stored {crc:08X}"
        )
    if expect_lsn is not None and lsn != expect_lsn:
        raise WalCorruption(
            f"WAL record at offset {offset} has LSN {format_lsn(lsn)}, "
            f"expected {format_lsn(expect_lsn)}"
        )
    return _Frame(offset, total_len, lsn, term, xid, commit_time_us)


class _Segment:
    """One segment file: its first LSN, where each of its records starts, and its write handle
    (open only while it may still need writing or fsyncing)."""

    __slots__ = ("offsets", "path", "size", "start", "wfd")

    def __init__(self, start: int, path: Path) -> None:
        self.start = start
        self.path = path
        self.offsets: array[int] = array("I")  # record start offsets, ascending
        self.size = 0
        self.wfd: int | None = None

    @property
    def end(self) -> int:
        return self.start + self.size

    def holds_boundary(self, lsn: int) -> bool:
        """Whether a record of this segment starts at ``lsn``."""
        offset = lsn - self.start
        i = bisect_left(self.offsets, offset)
        return i < len(self.offsets) and self.offsets[i] == offset

    def record_end(self, offset: int) -> int:
        """End offset of the record starting at ``offset``."""
        i = bisect_right(self.offsets, offset)
        return self.offsets[i] if i < len(self.offsets) else self.size

    def cut(self, offset: int, max_offset: int, force: bool) -> int:
        """End offset of the whole records from ``offset`` that end by ``max_offset``; at least
        one record when ``force``, so a reader progresses past a record bigger than its buffer."""
        if max_offset <= offset:
            stop = offset
        elif max_offset >= self.size:
            stop = self.size
        else:
            stop = self.offsets[bisect_right(self.offsets, max_offset) - 1]
        if stop <= offset and force:
            stop = self.record_end(offset)
        return max(stop, offset)


class _TermHistory:
    """The LSN where each run of same-term records begins. Terms change only at failover, so
    this stays tiny where a per-record index would not."""

    __slots__ = ("lsns", "terms")

    def __init__(self) -> None:
        self.lsns: list[int] = []
        self.terms: list[int] = []

    @property
    def last(self) -> int:
        return self.terms[-1] if self.terms else 0

    def note(self, lsn: int, term: int) -> None:
        if not self.terms or term != self.terms[-1]:
            self.lsns.append(lsn)
            self.terms.append(term)

    def term_of(self, lsn: int) -> int | None:
        """Term of the record covering byte ``lsn``."""
        i = bisect_right(self.lsns, lsn) - 1
        return self.terms[i] if i >= 0 else None

    def drop_from(self, lsn: int) -> None:
        while self.lsns and self.lsns[-1] >= lsn:
            self.lsns.pop()
            self.terms.pop()

    def forget_before(self, lsn: int) -> None:
        """Drop runs wholly before ``lsn``; the run covering it stays (it gives ``last``)."""
        i = bisect_right(self.lsns, lsn) - 1
        if i > 0:
            del self.lsns[:i]
            del self.terms[:i]


@dataclass(frozen=True, slots=True)
class _Config:
    directory: Path
    segment_size: int
    fsync: bool


class WalLog:
    """The WAL on disk: append, group-commit flush, read, and the maintenance a node needs
    (truncate a diverged tail, recycle old segments, reset after a snapshot).

    Thread-safe: one condition variable guards all state. Appends write under it; the group
    commit leader fsyncs outside it so appends continue meanwhile; readers open their own file
    descriptors under it and read outside it.
    """

    def __init__(self, cfg: _Config) -> None:
        """Use ``WalLog.open``; this makes an empty, not yet loaded log."""
        self._cfg = cfg
        self._cond = threading.Condition()
        self._segments: list[_Segment] = []
        self._terms = _TermHistory()
        self._last_xid = 0
        self._flushed = 0
        self._flushing = False  # a flush leader is fsyncing outside the lock
        self._broken: BaseException | None = None
        self._closed = False
        # Bumped when bytes at existing LSNs may change (truncate_after, reset), so a reader
        # that read outside the lock knows to retry.
        self._epoch = 0
        self.fsync_count = 0
        self.recovered_tail_bytes = 0

    # -- opening -------------------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        directory: Path,
        *,
        segment_size: int = DEFAULT_SEGMENT_SIZE,
        fsync: bool = True,
        start_lsn: int = DEFAULT_START_LSN,
    ) -> WalLog:
        """Open (or create) the log in ``directory``; ``start_lsn`` applies only to a new log."""
        if not 0 < segment_size <= MAX_SEGMENT_SIZE:
            raise ValueError(f"segment_size must be in (0, {MAX_SEGMENT_SIZE}]: {segment_size}")
        _check_start_lsn(start_lsn)
        directory.mkdir(parents=True, exist_ok=True)
        log = cls(_Config(directory, segment_size, fsync))
        try:
            with log._cond:
                log._load(start_lsn)
        except BaseException:
            log.close()  # release the write handle of a half-loaded log
            raise
        return log

    def _load(self, start_lsn: int) -> None:
        found = _list_segments(self._cfg.directory)
        if not found:
            self._segments = [self._create_segment(start_lsn)]
            self._flushed = start_lsn
            return
        for i, (start, path) in enumerate(found):
            if self._segments and start != self._segments[-1].end:
                raise WalCorruption(
                    f"WAL segment {path.name} starts at {format_lsn(start)} but the previous "
                    f"one ends at {format_lsn(self._segments[-1].end)}"
                )
            self._segments.append(self._scan_segment(start, path, last=i == len(found) - 1))
        last = self._segments[-1]
        last.wfd = _open_write(last.path)
        # A process crash leaves written records in the page cache only; make them durable
        # before claiming them as flushed.
        self._fsync_locked(last.wfd)
        self._flushed = last.end

    def _scan_segment(self, start: int, path: Path, *, last: bool) -> _Segment:
        """Index one segment's records; truncate a torn tail if it is the last segment."""
        data = path.read_bytes()
        frames: list[_Frame] = []
        error: WalCorruption | None = None
        try:
            for frame in _iter_frames(memoryview(data), start):
                frames.append(frame)
        except WalCorruption as exc:
            error = exc
        valid = frames[-1].end_offset if frames else 0
        if error is None and valid != len(data):
            error = WalCorruption(f"incomplete WAL record at offset {valid}")
        if error is not None:
            if not last:
                raise WalCorruption(f"WAL segment {path.name}: {error}") from error
            self._drop_torn_tail(path, valid, len(data))
        seg = _Segment(start, path)
        for frame in frames:
            self._index_record(seg, frame.lsn, frame.term)
            self._last_xid = frame.xid
        seg.size = valid
        return seg

    def _drop_torn_tail(self, path: Path, valid: int, size: int) -> None:
        """A crash mid-write leaves a partial or garbage record at the end; nothing after the
        last whole record was ever reported durable, so it is safe to cut."""
        fd = _open_write(path)
        try:
            os.ftruncate(fd, valid)
            self._fsync_locked(fd)
        finally:
            os.close(fd)
        self.recovered_tail_bytes += size - valid

    # -- state ---------------------------------------------------------------------------------

    @property
    def start_lsn(self) -> int:
        """LSN of the oldest retained record (== end_lsn when the log is empty)."""
        with self._cond:
            return self._segments[0].start

    @property
    def end_lsn(self) -> int:
        """LSN the next record will get."""
        with self._cond:
            return self._segments[-1].end

    @property
    def flushed_lsn(self) -> int:
        """Everything before this LSN is durable."""
        with self._cond:
            return self._flushed

    @property
    def last_term(self) -> int:
        """Term of the last record; 0 if the log never held one since it was created or reset."""
        with self._cond:
            return self._terms.last

    @property
    def last_xid(self) -> int:
        """Transaction id of the last record; 0 when unknown (empty log)."""
        with self._cond:
            return self._last_xid

    # -- appending -----------------------------------------------------------------------------

    def append(self, term: int, xid: int, commit_time_us: int, body: bytes) -> WalRecord:
        """Write one record at end_lsn (to the OS, not yet durable: see ``flush_to``)."""
        with self._cond:
            self._check_usable()
            if term < self._terms.last:
                raise ValueError(
                    f"term {term} is older than the log's last term {self._terms.last}"
                )
            rec = WalRecord(self._segments[-1].end, term, xid, commit_time_us, bytes(body))
            self._write_records([rec], encode_record(rec))
            return rec

    def append_raw(self, data: bytes) -> list[WalRecord]:
        """Write a primary's encoded records verbatim (a standby's WAL is byte-identical).

        ``data`` must be whole records starting exactly at end_lsn, with terms not below the
        log's last term.
        """
        with self._cond:
            self._check_usable()
            records, consumed = decode_records(data, expect_lsn=self._segments[-1].end)
            if consumed != len(data):
                raise WalCorruption(
                    f"{len(data) - consumed} trailing bytes are not a whole WAL record"
                )
            term = self._terms.last
            for rec in records:
                if rec.term < term:
                    raise ValueError(
                        f"WAL record at {format_lsn(rec.lsn)} has term {rec.term}, "
                        f"older than {term}"
                    )
                term = rec.term
            self._write_records(records, data)
            return records

    def _write_records(self, records: list[WalRecord], data: bytes) -> None:
        """Write contiguous encoded records, starting new segments as the current one fills."""
        view = memoryview(data)
        base = records[0].lsn if records else 0
        i = 0
        while i < len(records):
            seg = self._segment_for_append()
            j, size = i, seg.size
            while j < len(records) and size < self._cfg.segment_size:
                size += records[j].size
                j += 1
            self._write_chunk(seg, view[records[i].lsn - base : records[j - 1].end_lsn - base])
            for rec in records[i:j]:
                self._index_record(seg, rec.lsn, rec.term)
            seg.size = size
            self._last_xid = records[j - 1].xid
            i = j

    def _write_chunk(self, seg: _Segment, chunk: memoryview) -> None:
        assert seg.wfd is not None
        try:
            _write_all(seg.wfd, chunk)
        except OSError:
            # Take a partial write back out so the file again ends on a record boundary.
            try:
                os.ftruncate(seg.wfd, seg.size)
            except OSError as exc:
                self._broken = exc
            raise

    def _index_record(self, seg: _Segment, lsn: int, term: int) -> None:
        if term < self._terms.last:
            raise WalCorruption(f"WAL record at {format_lsn(lsn)}: term {term} went backwards")
        seg.offsets.append(lsn - seg.start)
        self._terms.note(lsn, term)

    def _segment_for_append(self) -> _Segment:
        seg = self._segments[-1]
        if seg.size < self._cfg.segment_size:
            return seg
        # PostgreSQL's XLogWrite fsyncs a segment when it finishes it; doing the same keeps every
        # segment but the last complete on disk, which is what lets open() trust them.
        assert seg.wfd is not None
        self._fsync_locked(seg.wfd)
        self._flushed = max(self._flushed, seg.end)
        new = self._create_segment(seg.end)
        self._segments.append(new)
        self._close_retired()
        self._cond.notify_all()
        return new

    # -- group commit --------------------------------------------------------------------------

    def flush_to(self, lsn: int) -> int:
        """Block until everything before ``lsn`` is durable; return the flushed LSN (>= lsn).

        Group commit: the first caller to find no flush running becomes the leader and fsyncs
        everything written so far; callers arriving meanwhile wait and are usually covered by
        that fsync or the next one, so N concurrent commits cost far fewer than N fsyncs.
        """
        flushed = self._flushed  # lock-free fast path: an int read is atomic
        if lsn <= flushed:
            return flushed
        with self._cond:
            while self._flushed < lsn:
                self._check_usable()
                if lsn > self._segments[-1].end:
                    raise ValueError(
                        f"cannot flush to {format_lsn(lsn)}: beyond the end of the WAL "
                        f"({format_lsn(self._segments[-1].end)})"
                    )
                if self._flushing:
                    self._cond.wait()
                else:
                    self._lead_flush()
            return self._flushed

    def _lead_flush(self) -> None:
        """Flush everything written so far. Called with the lock held and no leader running.

        Only the last segment can hold unflushed bytes (finished segments are fsynced when the
        next one starts), so one fsync covers everything up to the current end.
        """
        target = self._segments[-1].end
        if not self._cfg.fsync:
            # append already handed the bytes to the OS (os.write, no user-space buffer).
            self._flushed = target
            self._cond.notify_all()
            return
        fd = self._segments[-1].wfd
        assert fd is not None
        self._flushing = True
        try:
            self._cond.release()
            try:
                os.fsync(fd)
            finally:
                self._cond.acquire()
        except OSError as exc:
            # After a failed fsync the kernel may have dropped the dirty pages, and a retry can
            # report success without the data on disk (see PostgreSQL's data_sync_retry,
            # docs/15/runtime-config-error-handling.html), so the log must be reopened.
            self._broken = exc
            raise
        finally:
            self._flushing = False
            self._cond.notify_all()
        self.fsync_count += 1
        self._flushed = max(self._flushed, target)
        self._close_retired()

    # -- reading -------------------------------------------------------------------------------

    def read(self, from_lsn: int, max_bytes: int, durable_only: bool = False) -> list[WalRecord]:
        """Whole records from ``from_lsn`` (a record boundary), about ``max_bytes`` of them."""
        data = self.read_raw(from_lsn, max_bytes, durable_only)
        records, consumed = decode_records(data, expect_lsn=from_lsn)
        if consumed != len(data):
            raise WalCorruption(f"WAL read at {format_lsn(from_lsn)} ended mid-record")
        return records

    def read_raw(self, from_lsn: int, max_bytes: int, durable_only: bool = False) -> bytes:
        """Encoded whole records from ``from_lsn``: as many as fit in ``max_bytes`` but at least
        one if any exist; empty at the end. ``durable_only`` stops at flushed_lsn.

        Raises ``WalGone`` below start_lsn, ``ValueError`` off a record boundary or past the end.
        """
        while True:
            with self._cond:
                plan = self._plan_read(from_lsn, max_bytes, durable_only)
                epoch = self._epoch
                # Opened under the lock so recycle cannot unlink them first; an unlinked file
                # stays readable through an open descriptor.
                fds = _open_read([path for path, _, _ in plan])
            try:
                data = b"".join(
                    _pread_all(fd, offset, length)
                    for fd, (_, offset, length) in zip(fds, plan, strict=True)
                )
            finally:
                for fd in fds:
                    os.close(fd)
            with self._cond:
                if self._epoch != epoch:
                    continue  # truncate_after or reset ran meanwhile: the bytes may be stale
            if len(data) != sum(length for _, _, length in plan):
                raise WalCorruption(f"WAL segment shorter than its index at {format_lsn(from_lsn)}")
            return data

    def _plan_read(
        self, from_lsn: int, max_bytes: int, durable_only: bool
    ) -> list[tuple[Path, int, int]]:
        """(path, offset, length) pieces holding the whole records a read returns."""
        self._check_usable()
        self._check_boundary(from_lsn)
        limit = self._flushed if durable_only else self._segments[-1].end
        plan: list[tuple[Path, int, int]] = []
        budget = max_bytes
        lsn = from_lsn
        while lsn < limit:
            seg = self._segments[self._segment_index(lsn)]
            offset = lsn - seg.start
            stop = seg.cut(offset, min(offset + budget, limit - seg.start), force=not plan)
            if stop == offset:
                break
            plan.append((seg.path, offset, stop - offset))
            budget -= stop - offset
            lsn = seg.start + stop
        return plan

    def term_starts(self) -> list[tuple[int, int]]:
        """(term, LSN of its first record) for each run of same-term records in the log."""
        with self._cond:
            return list(zip(self._terms.terms, self._terms.lsns, strict=True))

    def records_from(self, lsn: int) -> int:
        """How many records start at or after ``lsn`` (what a rebuild from there discards)."""
        with self._cond:
            return sum(
                len(seg.offsets) - bisect_left(seg.offsets, max(0, lsn - seg.start))
                for seg in self._segments
                if seg.end > lsn
            )

    def term_at(self, lsn: int) -> int | None:
        """Term of the record that ends at ``lsn``; None if that record is not in the log or
        ``lsn`` is not a record boundary. Standby and primary logs agree up to ``lsn`` when
        their terms at ``lsn`` agree (a term has one primary, which writes one history)."""
        with self._cond:
            self._check_usable()
            if not self._segments[0].start < lsn <= self._segments[-1].end:
                return None
            if not self._is_boundary(lsn):
                return None
            return self._terms.term_of(lsn - 1)

    # -- maintenance ---------------------------------------------------------------------------

    def truncate_after(self, lsn: int) -> int:
        """Discard every record at or after ``lsn`` (a record boundary), durably; return the
        number of bytes dropped. Used when an old primary rejoins with an unreplicated tail.

        Later segments go first, newest first, then the kept one is cut: a crash half-way
        leaves a valid, longer log, and the caller repeats the truncation after restart.
        """
        with self._exclusive():
            self._check_boundary(lsn)
            end = self._segments[-1].end
            if lsn == end:
                return 0
            keep = self._segment_index(lsn)
            if keep + 1 < len(self._segments):
                self._delete_segments(reversed(self._segments[keep + 1 :]))
                del self._segments[keep + 1 :]
                self._fsync_dir()
            self._cut_last_segment(lsn)
            self._epoch += 1
            return end - lsn

    def _cut_last_segment(self, lsn: int) -> None:
        seg = self._segments[-1]
        offset = lsn - seg.start
        if seg.wfd is None:  # a finished segment becomes the one being written again
            seg.wfd = _open_write(seg.path)
        os.ftruncate(seg.wfd, offset)
        self._fsync_locked(seg.wfd)
        seg.size = offset
        del seg.offsets[bisect_left(seg.offsets, offset) :]
        self._terms.drop_from(lsn)
        self._last_xid = self._xid_before(lsn)
        self._flushed = min(self._flushed, lsn)

    def _xid_before(self, lsn: int) -> int:
        """xid of the record ending at ``lsn``, read from disk; 0 if it is not retained."""
        if lsn <= self._segments[0].start:
            return 0
        seg = self._segments[self._segment_index(lsn - 1)]
        offset = seg.offsets[bisect_right(seg.offsets, lsn - 1 - seg.start) - 1]
        fd = os.open(seg.path, os.O_RDONLY)
        try:
            header = _pread_all(fd, offset, HEADER_SIZE)
        finally:
            os.close(fd)
        xid: int = HEADER.unpack(header)[4]
        return xid

    def recycle(self, upto_lsn: int) -> int:
        """Delete the oldest segments whose records all end at or before ``upto_lsn``; return
        how many went. The segment being written and the one holding the last record stay, so
        end_lsn, last_term and last_xid survive a reopen."""
        with self._exclusive():
            nonempty = [i for i, seg in enumerate(self._segments) if seg.size > 0]
            keep_from = nonempty[-1] if nonempty else len(self._segments) - 1
            count = 0
            while count < keep_from and self._segments[0].end <= upto_lsn:
                # One at a time, oldest first: a failure or crash leaves a contiguous suffix.
                self._delete_segments([self._segments[0]])
                del self._segments[0]
                count += 1
            # No directory fsync: if a deletion is lost in a crash, the segment reappears as a
            # valid older prefix, which is harmless.
            self._terms.forget_before(self._segments[0].start)
            return count

    def reset(self, start_lsn: int) -> None:
        """Delete every segment and start empty at ``start_lsn`` (after a snapshot bootstrap),
        durably. Old segments go newest first, so a crash half-way leaves a valid prefix."""
        _check_start_lsn(start_lsn)
        with self._exclusive():
            self._delete_segments(reversed(self._segments))
            self._segments = [self._create_segment(start_lsn)]
            self._terms = _TermHistory()
            self._last_xid = 0
            self._flushed = start_lsn
            self._epoch += 1

    def close(self) -> None:
        """Close file handles; later calls (but the state properties) raise ``WalUnusable``."""
        with self._cond:
            while self._flushing:
                self._cond.wait()
            if self._closed:
                return
            self._closed = True
            for seg in self._segments:
                _close_write(seg)
            self._cond.notify_all()

    def __enter__(self) -> WalLog:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- internals (lock held) ---------------------------------------------------------------

    @contextmanager
    def _exclusive(self) -> Iterator[None]:
        """Hold the lock with no flush leader outside it (the leader uses a segment's write
        handle); an I/O failure half-way through a structural change poisons the log."""
        with self._cond:
            while self._flushing:
                self._cond.wait()
            self._check_usable()
            try:
                yield
            except OSError as exc:
                self._broken = exc
                raise

    def _check_usable(self) -> None:
        if self._closed:
            raise WalUnusable(f"WAL in {self._cfg.directory} is closed")
        if self._broken is not None:
            raise WalUnusable(
                f"WAL in {self._cfg.directory} failed earlier ({self._broken}); reopen it"
            ) from self._broken

    def _segment_index(self, lsn: int) -> int:
        """Index of the last segment starting at or before ``lsn`` (the one to read it from)."""
        return max(bisect_right(self._segments, lsn, key=lambda seg: seg.start) - 1, 0)

    def _is_boundary(self, lsn: int) -> bool:
        if lsn == self._segments[-1].end:
            return True
        return self._segments[self._segment_index(lsn)].holds_boundary(lsn)

    def _check_boundary(self, lsn: int) -> None:
        start, end = self._segments[0].start, self._segments[-1].end
        if lsn < start:
            raise WalGone(
                f"WAL at {format_lsn(lsn)} was recycled; the oldest retained is {format_lsn(start)}"
            )
        if lsn > end:
            raise ValueError(f"LSN {format_lsn(lsn)} is past the end of the WAL {format_lsn(end)}")
        if not self._is_boundary(lsn):
            raise ValueError(f"LSN {format_lsn(lsn)} is not a WAL record boundary")

    def _create_segment(self, start: int) -> _Segment:
        """A new, empty, writable segment whose existence is durable (the directory entry is
        what tells a restarted node where the log continues)."""
        seg = _Segment(start, self._cfg.directory / f"{start:016X}.wal")
        seg.wfd = _open_write(seg.path, create=True)
        self._fsync_dir()
        return seg

    def _delete_segments(self, segments: Iterable[_Segment]) -> None:
        for seg in segments:
            _close_write(seg)
            seg.path.unlink()

    def _close_retired(self) -> None:
        """Close write handles of finished segments, unless a flush leader may be using one."""
        if self._flushing:
            return
        for seg in self._segments[:-1]:
            _close_write(seg)

    def _fsync_locked(self, fd: int) -> None:
        if self._cfg.fsync:
            os.fsync(fd)
            self.fsync_count += 1

    def _fsync_dir(self) -> None:
        if not self._cfg.fsync:
            return
        fd = os.open(self._cfg.directory, os.O_RDONLY)
        try:
            self._fsync_locked(fd)
        finally:
            os.close(fd)


def _check_start_lsn(lsn: int) -> None:
    if not 0 < lsn <= MAX_LSN:
        raise ValueError(f"WAL start LSN must be in (0, {MAX_LSN:#X}]: {lsn}")


def _list_segments(directory: Path) -> list[tuple[int, Path]]:
    """Segment files in LSN order; other files in the directory are ignored."""
    found = []
    for path in directory.iterdir():
        match = _SEGMENT_NAME.fullmatch(path.name)
        if match is not None:
            found.append((int(match.group(1), 16), path))
    return sorted(found)


def _open_write(path: Path, *, create: bool = False) -> int:
    # O_APPEND: every write lands at the current end, also right after an ftruncate.
    flags = os.O_WRONLY | os.O_APPEND | (os.O_CREAT | os.O_EXCL if create else 0)
    return os.open(path, flags, 0o600)


def _open_read(paths: list[Path]) -> list[int]:
    fds: list[int] = []
    try:
        for path in paths:
            fds.append(os.open(path, os.O_RDONLY))
    except BaseException:
        for fd in fds:
            os.close(fd)
        raise
    return fds


def _close_write(seg: _Segment) -> None:
    if seg.wfd is not None:
        fd, seg.wfd = seg.wfd, None
        os.close(fd)


def _write_all(fd: int, data: memoryview) -> None:
    while data:
        written = os.write(fd, data)
        data = data[written:]


def _pread_all(fd: int, offset: int, length: int) -> bytes:
    """Up to ``length`` bytes at ``offset``; shorter only at end of file."""
    parts: list[bytes] = []
    while length > 0:
        part = os.pread(fd, length, offset)
        if not part:
            break
        parts.append(part)
        offset += len(part)
        length -= len(part)
    return b"".join(parts)
