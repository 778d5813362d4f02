"""COPY FROM STDIN and COPY TO STDOUT in PostgreSQL's text and CSV formats.

``CopyIn`` accepts CopyData chunks that need not be row-aligned (a row may span chunks), parses
each complete line with the column types' input functions, and inserts in batches inside the
session's transaction. libpq's end-of-data marker ``\\.`` sent as data is accepted and ignored.
See https://www.postgresql.org/docs/15/sql-copy.html for the formats.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pglast import ast

from pgha.storage import types as pgtypes
from pgha.storage.catalog import Table
from pgha.storage.translate import ResultColumn
from pgha.wire.errors import PgError

if TYPE_CHECKING:
    from pgha.storage.engine import StorageSession

BATCH_ROWS = 5000
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
        raise PgError("0A000", "COPY in binary format is not supported yet")
    elif fmt != "text":
        raise PgError("22023", f'COPY format "{fmt}" not recognized')
    if "delimiter" in explicit:
        opts.delimiter = str(explicit["delimiter"])
        if len(opts.delimiter) != 1:
            raise PgError("0A000", "COPY delimiter must be a single one-byte character")
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
        self.count = 0
        self.line_no = 0
        self.header_skipped = not opts.header
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
        if self.opts.csv:
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
        self._row([None if f == self.opts.null else _unescape_text(f) for f in fields])

    def _row(self, fields: list[str | None]) -> None:
        if len(fields) != len(self.types):
            code = "22P04"
            if len(fields) < len(self.types):
                missing = self.types[len(fields)][2]
                raise PgError(code, f'missing data for column "{missing}"')
            raise PgError(code, "extra data after last expected column")
        row = []
        for value, (pgtype, typmod, _) in zip(fields, self.types, strict=True):
            if value is None or pgtype is None:
                row.append(value)
            else:
                row.append(pgtypes.parse_text(pgtype, value, typmod, self.tz))
        self.pending.append(row)

    def _flush(self) -> None:
        if self.pending:
            rows, self.pending = self.pending, []
            self.count += self.session.insert_rows(self.table, self.columns, rows)

    def finish(self) -> str:
        if self.opts.csv:
            text = self.buffer.decode("utf-8")
            self.buffer.clear()
            reader = csv.reader(io.StringIO(text), delimiter=self.opts.delimiter,
                                quotechar=self.opts.quote, doublequote=True, strict=True)
            first = True
            for record in reader:
                if record == ["\\."]:
                    break
                if first and not self.header_skipped:
                    first = False
                    self.header_skipped = True
                    continue
                first = False
                self._row([None if f == self.opts.null else f for f in record])
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
    for row in rows:
        fields = []
        for value, pgtype, col in zip(row, types, columns, strict=True):
            if value is None:
                fields.append(opts.null)
                continue
            text = pgtypes.format_text(pgtype, value, col.typmod, tz) if pgtype else str(value)
            if opts.csv:
                needs = (opts.delimiter in text or opts.quote in text or "\n" in text
                         or "\r" in text or text == opts.null)
                fields.append(opts.quote + text.replace(opts.quote, opts.quote * 2) + opts.quote
                              if needs else text)
            else:
                fields.append(_escape_text(text, opts.delimiter))
        out.append((opts.delimiter.join(fields) + "\n").encode("utf-8"))
    return out
