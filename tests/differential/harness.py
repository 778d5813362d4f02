"""Differential harness: run the same SQL script on pgha and on PostgreSQL 15 and compare.

Each statement runs on one session per side through psycopg's low-level libpq interface
(`PGconn.send_query` + `get_result`, i.e. `exec_` with a deadline), in the simple query protocol,
and the two outcomes are compared statement by statement:

- success or error, and for errors the SQLSTATE (never the message text);
- the command tag (`INSERT 0 1`, `SELECT 3`, `CREATE TABLE`, ...);
- column names and column type OIDs (and typmods when asked);
- rows in text form: in order when the statement has ORDER BY at its top level, otherwise as
  sorted multisets (SQL does not define the order).

Annotations: a comment `-- differential: WORD[, WORD ...]` placed before a statement, inside it,
or after its semicolon on the same line applies to that statement. The whole vocabulary:

    ignore        run on both sides, compare nothing (output differs by nature: version(), now())
    skip-oids     do not compare column type OIDs (or typmods)
    skip-rows     do not compare rows (names, types, tag and errors still are)
    unordered     compare rows as a multiset even though there is a top-level ORDER BY (ties)
    error=XXXXX   the statement is expected to fail with SQLSTATE XXXXX on PostgreSQL

`error=` keeps the corpus honest: with `check_reference` (the default) an error on PostgreSQL
that is not annotated, or an annotated error that does not happen, is reported as a corpus
problem, so a typo cannot turn into a vacuous "both sides failed the same way".

Scripts are split on semicolons outside quotes ('', E'', "", $tag$ $tag$) and comments
(--, nested /* */). Unknown annotation words are an error, so a typo does not go unnoticed.
"""

from __future__ import annotations

import contextlib
import re
import select
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
from psycopg import pq

DEFAULT_TIMEOUT_S = 30.0
CANCEL_GRACE_S = 5.0
MAX_ROWS_SHOWN = 12
ANNOTATION_RE = re.compile(r"^--\s*differential:\s*(?P<words>.*)$", re.IGNORECASE)
SQLSTATE_RE = re.compile(r"^[0-9A-Z]{5}$")
FLAGS = frozenset({"ignore", "skip-oids", "skip-rows", "unordered"})

# Type names for readable reports only (pg_type.oid -> typname).
TYPE_NAMES: dict[int, str] = {
    16: "bool",
    17: "bytea",
    18: "char",
    19: "name",
    20: "int8",
    21: "int2",
    23: "int4",
    25: "text",
    26: "oid",
    114: "json",
    142: "xml",
    700: "float4",
    701: "float8",
    705: "unknown",
    1042: "bpchar",
    1043: "varchar",
    1082: "date",
    1083: "time",
    1114: "timestamp",
    1184: "timestamptz",
    1186: "interval",
    1266: "timetz",
    1560: "bit",
    1562: "varbit",
    1700: "numeric",
    2249: "record",
    2278: "void",
    2950: "uuid",
    3802: "jsonb",
    3904: "int4range",
    1007: "int4[]",
    1009: "text[]",
    1016: "int8[]",
    1005: "int2[]",
    1231: "numeric[]",
    2205: "regclass",
    3220: "pg_lsn",
}


class ScriptError(ValueError):
    """The script cannot be parsed (bad annotation)."""


# -- scripts -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Statement:
    """One SQL statement of a script, with where it came from and its annotations."""

    sql: str
    line: int
    source: str = "<script>"
    flags: frozenset[str] = frozenset()
    expected_error: str | None = None

    @property
    def location(self) -> str:
        return f"{self.source}:{self.line}"

    @property
    def ordered(self) -> bool:
        """Whether row order is significant: top-level ORDER BY and not marked `unordered`."""
        return "unordered" not in self.flags and has_top_level_order_by(self.sql)


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # "word", "punct", "quoted" (string or identifier), "comment"
    text: str
    start: int
    end: int
    line: int


def _tokens(text: str) -> Iterator[_Token]:
    """A lexer just good enough to find statement ends, comments and parenthesis depth."""
    i, line, n = 0, 1, len(text)
    while i < n:
        c = text[i]
        start, start_line = i, line
        if c.isspace():
            line += c == "\n"
            i += 1
            continue
        if text.startswith("--", i):
            end = text.find("\n", i)
            i = n if end < 0 else end
            yield _Token("comment", text[start:i], start, i, start_line)
            continue
        if text.startswith("/*", i):
            depth, i = 1, i + 2
            while i < n and depth:
                if text.startswith("/*", i):
                    depth, i = depth + 1, i + 2
                elif text.startswith("*/", i):
                    depth, i = depth - 1, i + 2
                else:
                    i += 1
            line += text.count("\n", start, i)
            yield _Token("comment", text[start:i], start, i, start_line)
            continue
        if c in "'\"":
            backslash = (
                c == "'"
                and i > 0
                and text[i - 1] in "eE"
                and (i < 2 or not (text[i - 2].isalnum() or text[i - 2] == "_"))
            )
            i += 1
            while i < n:
                if backslash and text[i] == "\\":
                    i += 2
                elif text[i] == c:
                    if i + 1 < n and text[i + 1] == c:
                        i += 2
                    else:
                        i += 1
                        break
                else:
                    i += 1
            line += text.count("\n", start, i)
            yield _Token("quoted", text[start:i], start, i, start_line)
            continue
        if c == "$":
            match = re.match(r"\$([A-Za-z_][A-Za-z0-9_]*)?\$", text[i:])
            prev_is_word = i > 0 and (text[i - 1].isalnum() or text[i - 1] == "_")
            if match and not prev_is_word:
                tag = match.group(0)
                close = text.find(tag, i + len(tag))
                i = n if close < 0 else close + len(tag)
                line += text.count("\n", start, i)
                yield _Token("quoted", text[start:i], start, i, start_line)
                continue
        if c.isalnum() or c == "_":
            while i < n and (text[i].isalnum() or text[i] in "_$"):
                i += 1
            yield _Token("word", text[start:i], start, i, start_line)
            continue
        i += 1
        yield _Token("punct", c, start, i, start_line)


def parse_script(text: str, source: str = "<script>") -> list[Statement]:
    """Split a script into statements and attach each annotation comment to its statement."""
    statements: list[Statement] = []
    pending_comments: list[_Token] = []
    start: _Token | None = None
    last: _Token | None = None
    tokens = list(_tokens(text))
    index = 0

    def finish(end: int, trailing: list[_Token]) -> None:
        nonlocal start, pending_comments
        if start is not None:
            sql = text[start.start : end].strip()
            flags, error = _annotations(pending_comments + trailing, source)
            statements.append(Statement(sql, start.line, source, flags, error))
            pending_comments = []
        start = None

    while index < len(tokens):
        token = tokens[index]
        index += 1
        if token.kind == "comment":
            pending_comments.append(token)
            continue
        if token.kind == "punct" and token.text == ";":
            trailing: list[_Token] = []
            # A comment after the semicolon on the same line belongs to this statement.
            if (
                index < len(tokens)
                and tokens[index].kind == "comment"
                and tokens[index].line == token.line
            ):
                trailing.append(tokens[index])
                index += 1
            if start is None:
                pending_comments = []  # an empty statement
            finish(token.start, trailing)
            continue
        if start is None:
            start = token
        last = token
    if start is not None and last is not None:
        finish(last.end, [])
    return statements


def load_script(path: Path) -> list[Statement]:
    return parse_script(path.read_text(encoding="utf-8"), path.name)


def _annotations(comments: Sequence[_Token], source: str) -> tuple[frozenset[str], str | None]:
    flags: set[str] = set()
    error: str | None = None
    for comment in comments:
        match = ANNOTATION_RE.match(comment.text.strip())
        if not match:
            continue
        for word in re.split(r"[\s,]+", match.group("words").strip()):
            if not word:
                continue
            if word.lower().startswith("error="):
                error = word.split("=", 1)[1].upper()
                if not SQLSTATE_RE.match(error):
                    raise ScriptError(f"{source}:{comment.line}: bad SQLSTATE in {word!r}")
            elif word.lower() in FLAGS:
                flags.add(word.lower())
            else:
                raise ScriptError(
                    f"{source}:{comment.line}: unknown annotation {word!r} "
                    f"(known: {', '.join(sorted(FLAGS))}, error=SQLSTATE)"
                )
    return frozenset(flags), error


def has_top_level_order_by(sql: str) -> bool:
    """True when ORDER BY appears outside parentheses (so it orders the statement's result)."""
    depth = 0
    previous = ""
    for token in _tokens(sql):
        if token.kind == "punct":
            depth += {"(": 1, ")": -1}.get(token.text, 0)
            previous = ""
        elif token.kind == "word":
            word = token.text.lower()
            if depth == 0 and previous == "order" and word == "by":
                return True
            previous = word
    return False


# -- executing ---------------------------------------------------------------------------------


Row = tuple[bytes | None, ...]


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one side answered to one statement."""

    status: str  # "ok", "error", "timeout", "lost"
    command_tag: str = ""
    columns: tuple[str, ...] = ()
    types: tuple[int, ...] = ()
    typmods: tuple[int, ...] = ()
    rows: tuple[Row, ...] = ()
    sqlstate: str | None = None
    message: str = ""

    def describe(self) -> str:
        if self.status == "error":
            return f"ERROR {self.sqlstate}: {self.message}"
        if self.status != "ok":
            return f"{self.status.upper()}: {self.message}"
        text = self.command_tag or "<no command tag>"
        if self.columns:
            cols = ", ".join(
                f"{name} {TYPE_NAMES.get(oid, oid)}" + (f"({mod})" if mod not in (-1, 0) else "")
                for name, oid, mod in zip(self.columns, self.types, self.typmods, strict=True)
            )
            text += f"\n    columns: {cols}"
            for row in self.rows[:MAX_ROWS_SHOWN]:
                text += f"\n    {format_row(row)}"
            if len(self.rows) > MAX_ROWS_SHOWN:
                text += f"\n    ... {len(self.rows) - MAX_ROWS_SHOWN} more rows"
        return text


def format_row(row: Row) -> str:
    return (
        "("
        + ", ".join("NULL" if v is None else repr(v.decode("utf-8", "replace")) for v in row)
        + ")"
    )


def as_pgconn(conn: psycopg.Connection[Any] | pq.abc.PGconn) -> pq.abc.PGconn:
    return conn.pgconn if isinstance(conn, psycopg.Connection) else conn


def connect(dsn: str, timeout: float = 10.0) -> psycopg.Connection[Any]:
    """An autocommit connection whose notices are discarded (they are not compared)."""
    conn = psycopg.connect(dsn, autocommit=True, connect_timeout=int(timeout))
    conn.pgconn.notice_handler = _discard_notice
    return conn


def _discard_notice(result: pq.abc.PGresult) -> None:
    return None


def execute(
    conn: psycopg.Connection[Any] | pq.abc.PGconn, sql: str, timeout: float = DEFAULT_TIMEOUT_S
) -> Outcome:
    """Run one statement (simple query protocol) and capture its outcome, never hanging past
    `timeout` (the statement is cancelled, then the connection is given up)."""
    pgconn = as_pgconn(conn)
    if pgconn.status != pq.ConnStatus.OK:
        return Outcome("lost", message=_conn_error(pgconn))
    try:
        pgconn.send_query(sql.encode())
    except psycopg.OperationalError as exc:
        return Outcome("lost", message=str(exc))
    deadline = time.monotonic() + timeout
    cancelled = False
    outcome: Outcome | None = None
    while True:
        try:
            waited = _wait_result(pgconn, deadline)
        except psycopg.OperationalError as exc:
            return Outcome("lost", message=str(exc))
        if not waited:
            if cancelled:
                pgconn.finish()  # it ignored the cancel: this session is unusable
                return Outcome("timeout", message=f"no answer {timeout:.0f}s after cancel")
            _cancel(pgconn)
            cancelled = True
            deadline = time.monotonic() + CANCEL_GRACE_S
            continue
        result = pgconn.get_result()
        if result is None:
            break
        current = _outcome_of(pgconn, result)
        # With several results (not expected for one statement) an error wins, else the last.
        if outcome is None or outcome.status != "error":
            outcome = current
    if cancelled:
        return Outcome(
            "timeout",
            message=f"no answer within {timeout:.0f}s; cancelled "
            f"({outcome.describe() if outcome else 'no result'})",
        )
    if outcome is None:
        if pgconn.status != pq.ConnStatus.OK:
            return Outcome("lost", message=_conn_error(pgconn))
        return Outcome("ok", command_tag="<empty query>")
    return outcome


def _wait_result(pgconn: pq.abc.PGconn, deadline: float) -> bool:
    """Wait until get_result() will not block; False when the deadline passed first."""
    pgconn.consume_input()
    while pgconn.is_busy():
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        readable, _, _ = select.select([pgconn.socket], [], [], min(remaining, 1.0))
        if readable:
            pgconn.consume_input()
    return True


def _cancel(pgconn: pq.abc.PGconn) -> None:
    with contextlib.suppress(psycopg.Error):
        pgconn.get_cancel().cancel()


def _outcome_of(pgconn: pq.abc.PGconn, result: pq.abc.PGresult) -> Outcome:
    status = result.status
    if status == pq.ExecStatus.FATAL_ERROR:
        sqlstate = result.error_field(pq.DiagnosticField.SQLSTATE)
        message = result.error_field(pq.DiagnosticField.MESSAGE_PRIMARY)
        if sqlstate is None and pgconn.status != pq.ConnStatus.OK:
            return Outcome("lost", message=_conn_error(pgconn))
        return Outcome(
            "error",
            sqlstate=sqlstate.decode() if sqlstate else None,
            message=(message or result.error_message or b"").decode("utf-8", "replace").strip(),
        )
    if status == pq.ExecStatus.COPY_IN:
        pgconn.put_copy_end(b"the differential harness does not send COPY data")
        return Outcome("error", sqlstate="57014", message="COPY FROM STDIN is not supported")
    if status == pq.ExecStatus.COPY_OUT:
        rows: list[Row] = []
        while True:
            size, data = pgconn.get_copy_data(0)
            if size < 0:
                break
            rows.append((bytes(data),))
        return Outcome(
            "ok",
            command_tag="COPY (out)",
            columns=("copy",),
            types=(0,),
            typmods=(-1,),
            rows=tuple(rows),
        )
    if status not in (pq.ExecStatus.COMMAND_OK, pq.ExecStatus.TUPLES_OK, pq.ExecStatus.EMPTY_QUERY):
        name = pq.ExecStatus(status).name
        return Outcome("error", sqlstate=None, message=f"unexpected result status {name}")
    nfields = result.nfields
    columns = tuple((result.fname(i) or b"").decode("utf-8", "replace") for i in range(nfields))
    types = tuple(result.ftype(i) for i in range(nfields))
    typmods = tuple(result.fmod(i) for i in range(nfields))
    rows = [
        tuple(_value(result.get_value(r, c)) for c in range(nfields)) for r in range(result.ntuples)
    ]
    tag = (result.command_status or b"").decode("utf-8", "replace")
    return Outcome(
        "ok", command_tag=tag, columns=columns, types=types, typmods=typmods, rows=tuple(rows)
    )


def _value(value: bytes | None) -> bytes | None:
    return None if value is None else bytes(value)


def _conn_error(pgconn: pq.abc.PGconn) -> str:
    return (pgconn.error_message or b"connection is not usable").decode("utf-8", "replace").strip()


# -- comparing ---------------------------------------------------------------------------------


def compare(
    statement: Statement,
    subject: Outcome,
    reference: Outcome,
    *,
    labels: tuple[str, str] = ("pgha", "postgres"),
    compare_typmods: bool = False,
) -> list[str]:
    """The differences between two outcomes of one statement, as readable problem lines."""
    if "ignore" in statement.flags:
        return []
    a, b = labels
    for label, outcome in ((a, subject), (b, reference)):
        if outcome.status in ("timeout", "lost"):
            return [f"{label}: {outcome.status}: {outcome.message}"]
    if subject.status != reference.status:
        failed, worked = (a, b) if subject.status == "error" else (b, a)
        return [f"{failed} failed but {worked} succeeded"]
    if subject.status == "error":
        if subject.sqlstate != reference.sqlstate:
            return [f"SQLSTATE differs: {a} {subject.sqlstate}, {b} {reference.sqlstate}"]
        return []
    problems: list[str] = []
    if subject.command_tag != reference.command_tag:
        problems.append(
            f"command tag differs: {a} {subject.command_tag!r}, {b} {reference.command_tag!r}"
        )
    if subject.columns != reference.columns:
        problems.append(
            f"column names differ: {a} {list(subject.columns)}, {b} {list(reference.columns)}"
        )
    if "skip-oids" not in statement.flags:
        if subject.types != reference.types:
            problems.append(
                f"column types differ: {a} {_type_list(subject.types)}, "
                f"{b} {_type_list(reference.types)}"
            )
        elif compare_typmods and subject.typmods != reference.typmods:
            problems.append(
                f"column typmods differ: {a} {list(subject.typmods)}, {b} {list(reference.typmods)}"
            )
    if "skip-rows" not in statement.flags:
        problems.extend(_compare_rows(statement, subject.rows, reference.rows, labels))
    return problems


def _compare_rows(
    statement: Statement, rows_a: tuple[Row, ...], rows_b: tuple[Row, ...], labels: tuple[str, str]
) -> list[str]:
    a, b = labels
    if len(rows_a) != len(rows_b):
        return [f"row count differs: {a} {len(rows_a)}, {b} {len(rows_b)}"]
    if statement.ordered:
        for index, (row_a, row_b) in enumerate(zip(rows_a, rows_b, strict=True)):
            if row_a != row_b:
                return [
                    f"row {index + 1} differs (ordered): {a} {format_row(row_a)}, "
                    f"{b} {format_row(row_b)}"
                ]
        return []
    sorted_a, sorted_b = sorted(rows_a, key=_row_key), sorted(rows_b, key=_row_key)
    if sorted_a != sorted_b:
        only_a = [r for r in sorted_a if r not in sorted_b][:3]
        only_b = [r for r in sorted_b if r not in sorted_a][:3]
        return [
            f"rows differ (unordered): only in {a}: "
            f"{', '.join(map(format_row, only_a)) or '-'}; only in {b}: "
            f"{', '.join(map(format_row, only_b)) or '-'}"
        ]
    return []


def _row_key(row: Row) -> tuple[tuple[bool, bytes], ...]:
    return tuple((v is None, v or b"") for v in row)


def _type_list(types: tuple[int, ...]) -> list[str]:
    return [f"{TYPE_NAMES.get(oid, '?')}({oid})" for oid in types]


def check_reference(statement: Statement, reference: Outcome) -> list[str]:
    """Corpus checks on the PostgreSQL side: errors happen exactly where annotated."""
    if "ignore" in statement.flags or reference.status in ("timeout", "lost"):
        return []
    expected = statement.expected_error
    if reference.status == "error" and expected is None:
        return [
            f"corpus: unannotated error on the reference: {reference.sqlstate} "
            f"{reference.message} (fix the SQL or add `-- differential: "
            f"error={reference.sqlstate}`)"
        ]
    if expected is not None and reference.status != "error":
        return [f"corpus: expected error {expected} but the reference succeeded"]
    if expected is not None and reference.sqlstate != expected:
        return [
            f"corpus: expected error {expected} but the reference gave "
            f"{reference.sqlstate} {reference.message}"
        ]
    return []


# -- running scripts ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Mismatch:
    statement: Statement
    problems: tuple[str, ...]
    subject: Outcome
    reference: Outcome

    def format(self, labels: tuple[str, str] = ("pgha", "postgres")) -> str:
        sql = (
            self.statement.sql
            if len(self.statement.sql) < 400
            else (self.statement.sql[:400] + " ...")
        )
        lines = [f"{self.statement.location}: {sql}"]
        lines += [f"  - {problem}" for problem in self.problems]
        for label, outcome in zip(labels, (self.subject, self.reference), strict=True):
            lines.append(f"  {label}: {outcome.describe()}")
        return "\n".join(lines)


@dataclass
class DifferentialResult:
    source: str
    labels: tuple[str, str]
    statements: int = 0
    mismatches: list[Mismatch] = field(default_factory=list)
    aborted: str | None = None

    @property
    def ok(self) -> bool:
        return not self.mismatches and self.aborted is None

    def format(self) -> str:
        a, b = self.labels
        head = (
            f"{self.source}: {len(self.mismatches)} mismatch(es) between {a} and {b} "
            f"in {self.statements} statement(s)"
        )
        parts = [head, *(m.format(self.labels) for m in self.mismatches)]
        if self.aborted:
            parts.append(f"ABORTED: {self.aborted}")
        return "\n\n".join(parts)


def run_differential(
    subject: psycopg.Connection[Any] | pq.abc.PGconn,
    reference: psycopg.Connection[Any] | pq.abc.PGconn,
    script: Sequence[Statement] | str,
    *,
    source: str | None = None,
    labels: tuple[str, str] = ("pgha", "postgres"),
    timeout: float = DEFAULT_TIMEOUT_S,
    check_corpus: bool = True,
    compare_typmods: bool = False,
) -> DifferentialResult:
    """Run `script` statement by statement on both sessions and collect every mismatch.

    Stops early only when a session is lost or times out (later statements would be noise).
    An open transaction is rolled back on both sides at the end.
    """
    statements = parse_script(script) if isinstance(script, str) else list(script)
    if source is None:
        source = statements[0].source if statements else "<script>"
    result = DifferentialResult(source=source, labels=labels)
    conns = (as_pgconn(subject), as_pgconn(reference))
    for statement in statements:
        result.statements += 1
        reference_outcome = execute(conns[1], statement.sql, timeout)
        subject_outcome = execute(conns[0], statement.sql, timeout)
        problems = compare(
            statement,
            subject_outcome,
            reference_outcome,
            labels=labels,
            compare_typmods=compare_typmods,
        )
        if check_corpus:
            problems += check_reference(statement, reference_outcome)
        if problems:
            result.mismatches.append(
                Mismatch(statement, tuple(problems), subject_outcome, reference_outcome)
            )
        broken = [
            label
            for label, outcome in zip(labels, (subject_outcome, reference_outcome), strict=True)
            if outcome.status in ("timeout", "lost")
        ]
        if broken:
            result.aborted = (
                f"{' and '.join(broken)} session unusable after "
                f"{statement.location}; remaining statements not run"
            )
            return result
    for pgconn in conns:
        if (
            pgconn.status == pq.ConnStatus.OK
            and pgconn.transaction_status != pq.TransactionStatus.IDLE
        ):
            execute(pgconn, "ROLLBACK", timeout)
    return result


def run_file(
    path: Path,
    subject: psycopg.Connection[Any] | pq.abc.PGconn,
    reference: psycopg.Connection[Any] | pq.abc.PGconn,
    **options: Any,
) -> DifferentialResult:
    return run_differential(subject, reference, load_script(path), source=path.name, **options)


CORPUS_DIR = Path(__file__).parent / "sql"


def corpus_files() -> list[Path]:
    return sorted(CORPUS_DIR.glob("*.sql"))
