"""COPY FROM STDIN and COPY TO STDOUT in PostgreSQL's text and CSV formats.

``CopyIn`` accepts CopyData chunks that need not be row-aligned (a row may span chunks), parses
each complete line with the column types' input functions, and inserts in batches inside the
session's transaction. libpq's end-of-data marker ``\\.`` sent as data is accepted and ignored.
See https://www.postgresql.org/docs/15/sql-copy.html for the formats.
"""

from __future__ import annotations

import csv
import io
import struct
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pglast import ast

from pgha.storage import types as pgtypes
from pgha.storage.catalog import Table
from pgha.storage.columns import ResultColumn
from pgha.wire.errors import (
    BadCopyFileFormat,
    FeatureNotSupported,
    ForeignKeyViolation,
    InvalidParameterValue,
    PgError,
    UniqueViolation,
)

if TYPE_CHECKING:
    from pgha.storage.engine import StorageSession

BATCH_ROWS = 5000
BINARY_SIGNATURE = b"PGCOPY\n\xff\r\n\x00"
_TEXT_ESCAPES = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v", "\\": "\\"}


@dataclass(slots=True)
class CopyOptions:
    csv: bool = False
    binary: bool = False
    delimiter: str = "\t"
    null: str = "\\N"
    header: bool = False
    quote: str = '"'
    escape: str = '"'


def copy_options(options: Any) -> CopyOptions:
    opts = CopyOptions()
    explicit: dict[str, Any] = {}
    for opt in options:
        arg = opt.arg
        value: Any = True
        if isinstance(arg, ast.String):
            value = arg.sval
        elif isinstance(arg, ast.Boolean):
            value = arg.boolval
        elif isinstance(arg, ast.Integer):
            value = bool(arg.ival)
        explicit[opt.defname] = value
    fmt = str(explicit.get("format", "text")).lower()
    if fmt == "csv":
        opts.csv, opts.delimiter, opts.null = True, ",", ""
    elif fmt == "binary":
        opts.binary = True
    elif fmt != "text":
        raise InvalidParameterValue(f'COPY format "{fmt}" not recognized')
    if "delimiter" in explicit:
        opts.delimiter = str(explicit["delimiter"])
        if len(opts.delimiter) != 1:
            raise FeatureNotSupported("COPY delimiter must be a single one-byte character")
    if "null" in explicit:
        opts.null = str(explicit["null"])
    if "header" in explicit:
        opts.header = explicit["header"] not in (False, "false", "off", "0")
    if "quote" in explicit:
        opts.quote = str(explicit["quote"])
    if "escape" in explicit:
        opts.escape = str(explicit["escape"])
    return opts


def _unescape_text(field: str) -> str:
    if "\\" not in field:
        return field
    out = []
    i = 0
    while i < len(field):
        ch = field[i]
        if ch == "\\" and i + 1 < len(field):
            nxt = field[i + 1]
            out.append(_TEXT_ESCAPES.get(nxt, nxt))
            i += 2
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def _escape_text(value: str, delimiter: str) -> str:
    return (value.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r")
            .replace("\t", "\\t") if True else value).replace(delimiter, "\\" + delimiter) \
        if delimiter != "\t" else value.replace("\\", "\\\\").replace("\n", "\\n").replace(
            "\r", "\\r").replace("\t", "\\t")


def _csv_field(text: str, opts: CopyOptions) -> str:
    needs = (opts.delimiter in text or opts.quote in text or "\n" in text or "\r" in text
             or text == opts.null)
    return opts.quote + text.replace(opts.quote, opts.quote * 2) + opts.quote if needs else text


class CopyIn:
    """State of one COPY FROM STDIN."""

    def __init__(self, session: StorageSession, table: Table, columns: list[str],
                 opts: CopyOptions) -> None:
        self.session = session
        self.table = table
        self.columns = columns
        self.opts = opts
        self.buffer = bytearray()
        self.pending: list[list[Any]] = []
        self.lines: list[tuple[int, str]] = []  # per pending row: its line and its text
        self.count = 0
        self.line_no = 0
        self.name = session.catalog.relname(table.name)  # as CONTEXT names it
        # The binary format always starts with a header; text and CSV only with HEADER.
        self.header_skipped = not (opts.header or opts.binary)
        self.done = False
        tz = session.settings["timezone"]
        types = []
        for name in columns:
            col = table.column(name)
            assert col is not None
            types.append((pgtypes.TYPES_BY_OID.get(col.type_oid), col.typmod, col.name))
        self.types = types
        self.tz = tz

    def feed(self, data: bytes) -> None:
        self.buffer += data
        if self.opts.binary:
            self._binary_rows()
        elif self.opts.csv:
            return  # CSV fields may contain newlines: parsed at finish
        while True:
            nl = self.buffer.find(b"\n")
            if nl < 0:
                break
            line = bytes(self.buffer[:nl])
            del self.buffer[: nl + 1]
            self._text_line(line)
        if len(self.pending) >= BATCH_ROWS:
            self._flush()

    def _text_line(self, raw: bytes) -> None:
        line = raw.decode("utf-8")
        if line.endswith("\r"):
            line = line[:-1]
        if line == "\\." or self.done:
            self.done = True
            return
        self.line_no += 1
        if not self.header_skipped:
            self.header_skipped = True
            return
        fields = line.split(self.opts.delimiter)
        self._row([None if f == self.opts.null else _unescape_text(f) for f in fields], line)

    def _binary_rows(self) -> None:
        """PostgreSQL's binary COPY format: signature, flags, header extension, then tuples of
        (int16 field count, per field int32 length or -1 and the type's binary value), ended by
        a field count of -1."""
        buf = self.buffer
        pos = 0
        if not self.header_skipped:
            if len(buf) < 19:
                return
            if bytes(buf[:11]) != BINARY_SIGNATURE:
                raise BadCopyFileFormat("COPY file signature not recognized")
            ext = struct.unpack_from("!i", buf, 15)[0]
            if len(buf) < 19 + ext:
                return
            pos = 19 + ext
            self.header_skipped = True
        while not self.done and len(buf) - pos >= 2:
            count = struct.unpack_from("!h", buf, pos)[0]
            if count == -1:
                self.done = True
                pos += 2
                break
            if count != len(self.types):
                raise BadCopyFileFormat(f"row field count is {count}, expected {len(self.types)}")
            cursor = pos + 2
            row: list[Any] = []
            for pgtype, typmod, _ in self.types:
                if len(buf) - cursor < 4:
                    row = []
                    break
                size = struct.unpack_from("!i", buf, cursor)[0]
                cursor += 4
                if size == -1:
                    row.append(None)
                    continue
                if len(buf) - cursor < size:
                    row = []
                    break
                raw = bytes(buf[cursor: cursor + size])
                cursor += size
                row.append(pgtypes.decode_binary(pgtype, raw, typmod) if pgtype else raw)
            if len(row) != len(self.types):
                break  # the tuple continues in the next CopyData
            self.line_no += 1
            self.pending.append(row)
            self.lines.append((self.line_no, ""))
            pos = cursor
        del buf[:pos]

    def _row(self, fields: list[str | None], line: str) -> None:
        if len(fields) != len(self.types):
            if len(fields) < len(self.types):
                missing = self.types[len(fields)][2]
                error = BadCopyFileFormat(f'missing data for column "{missing}"')
            else:
                error = BadCopyFileFormat("extra data after last expected column")
            error.where = f'COPY {self.name}, line {self.line_no}: "{_shown(line)}"'
            raise error
        row = []
        for value, (pgtype, typmod, column) in zip(fields, self.types, strict=True):
            if value is None or pgtype is None:
                row.append(value)
                continue
            try:
                row.append(pgtypes.parse_text(pgtype, value, typmod, self.tz))
            except PgError as exc:
                exc.where = f'COPY {self.name}, line {self.line_no}, column {column}: ' \
                    f'"{_shown(value)}"'
                raise
        self.pending.append(row)
        self.lines.append((self.line_no, line))

    def _flush(self) -> None:
        if self.pending:
            rows, self.pending = self.pending, []
            lines, self.lines = self.lines, []
            self.count += self.session.insert_rows(
                self.table, self.columns, rows,
                lambda index, error: self._context(error, *lines[index]))

    def _context(self, error: PgError, line_no: int, line: str) -> None:
        """CONTEXT of a constraint violation on a row, as PostgreSQL gives it: with the line
        for NOT NULL and CHECK (checked as the row is read), without it for a unique key
        (checked as buffered rows go into the index), none for a foreign key (checked at the
        end of the statement)."""
        if isinstance(error, ForeignKeyViolation):
            return
        if line and not isinstance(error, UniqueViolation):
            error.where = f'COPY {self.name}, line {line_no}: "{_shown(line)}"'
        else:
            error.where = f"COPY {self.name}, line {line_no}"

    def finish(self) -> str:
        if self.opts.binary:
            self._binary_rows()
            if self.buffer and not self.done:
                raise BadCopyFileFormat("unexpected EOF in COPY data")
        elif self.opts.csv:
            text = self.buffer.decode("utf-8")
            self.buffer.clear()
            reader = csv.reader(io.StringIO(text), delimiter=self.opts.delimiter,
                                quotechar=self.opts.quote, doublequote=True, strict=True)
            lines = text.split("\n")
            first = True
            for record in reader:
                start, self.line_no = self.line_no, reader.line_num
                if record == ["\\."]:
                    break
                if first and not self.header_skipped:
                    first = False
                    self.header_skipped = True
                    continue
                first = False
                raw = "\n".join(lines[start:self.line_no]).removesuffix("\r")
                self._row([None if f == self.opts.null else f for f in record], raw)
        elif self.buffer:
            line = bytes(self.buffer)
            self.buffer.clear()
            self._text_line(line)
        self._flush()
        return f"COPY {self.count}"


def format_copy_rows(rows: list[tuple[Any, ...]], columns: tuple[ResultColumn, ...],
                     opts: CopyOptions, tz: str) -> list[bytes]:
    types = [pgtypes.TYPES_BY_OID.get(c.type_oid) for c in columns]
    out = []
    if opts.header:
        names = [c.name for c in columns]
        if opts.csv:
            names = [_csv_field(n, opts) for n in names]
        out.append((opts.delimiter.join(names) + "\n").encode("utf-8"))
    for row in rows:
        fields = []
        for value, pgtype, col in zip(row, types, columns, strict=True):
            if value is None:
                fields.append(opts.null)
                continue
            text = pgtypes.format_text(pgtype, value, col.typmod, tz) if pgtype else str(value)
            if opts.csv:
                fields.append(_csv_field(text, opts))
            else:
                fields.append(_escape_text(text, opts.delimiter))
        out.append((opts.delimiter.join(fields) + "\n").encode("utf-8"))
    return out


def _shown(text: str) -> str:
    """At most 100 bytes of ``text`` for a CONTEXT line, as PostgreSQL's
    limit_printout_length cuts it (at a character boundary, "..." after)."""
    data = text.encode()
    if len(data) <= 100:
        return text
    return data[:100].decode(errors="ignore") + "..."
