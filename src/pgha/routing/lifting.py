"""Parsing a very large statement without stalling the other sessions of the process.

pglast parses in C without the GIL, but first it maps every character of the text to its
UTF-8 offset in a loop that holds the GIL (about 10 ns a character: 0.5 s for a 50 MB
statement), and then builds the tree's Python objects, also holding it. While one thread holds
the GIL the event loop answers no one: every other session of the node waits.

The bulk of a very large statement is nearly always a few long string constants (a document,
an image in hex, a JSON value). ``lift`` replaces each string constant of at least ``LONG``
characters by a short placeholder constant, pglast parses what is left, and ``Lifted.parse``
puts the original values back into the tree. The grammar sees a string constant either way, so
the tree has the same shape; what holds the GIL is proportional to the text without those
constants. Finding the constants uses ``str.find``, which runs at memory speed.

Invariants: a text without long constants is returned unchanged (``Lifted.text is sql``);
character positions in the tree (``location``, ``stmt_location``, ``stmt_len``) and in a
syntax error are positions in the original text; only plain (``'...'``) and dollar-quoted
constants are lifted. A constant with a prefix (``E'...'``, ``B'...'``, ``X'...'``,
``U&'...'``, ``N'...'``) is left in place: its value is not its text.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from typing import Any

from pglast import ast, parse_sql
from pglast.parser import ParseError

# Below this a constant is not worth lifting: what pglast spends on it is negligible.
LONG = 4096
# Only texts this long are scanned at all (the scan is cheap, but not free per statement).
SCAN_FROM = 1 << 16

_OPEN = "\ue000"  # Unicode private-use characters: they cannot clash with SQL syntax
_CLOSE = "\ue001"
_PLACEHOLDER = re.compile(f"{_OPEN}(\\d+){_CLOSE}")
_SPECIAL = re.compile(r"""['"$]|--|/\*""")
_DOLLAR_TAG = re.compile(r"\$(?:[A-Za-z_\u0080-\uffff][A-Za-z_0-9\u0080-\uffff]*)?\$")
_COMMENT_EDGE = re.compile(r"/\*|\*/")


def _identifier_char(c: str) -> bool:
    return c.isalnum() or c in "_$" or c >= "\u0080"


@dataclass(slots=True)
class Lifted:
    """``source`` with its long constants replaced: ``text`` is what pglast is given."""

    source: str
    text: str
    values: list[str] = field(default_factory=list)
    # Per lifted constant: its start and its end in ``text``, and how many characters the
    # original text is longer than ``text`` from that end on.
    starts: list[int] = field(default_factory=list)
    ends: list[int] = field(default_factory=list)
    shifts: list[int] = field(default_factory=list)

    def position(self, index: int) -> int:
        """The index in ``source`` of character ``index`` of ``text``. Inside a placeholder,
        its opening quote maps to the constant's opening quote and the rest counts back from
        the constant's end (so a statement that ends with a lifted constant ends there)."""
        k = bisect.bisect_right(self.ends, index)
        if k < len(self.ends) and self.starts[k] < index:
            return index + self.shifts[k]  # inside placeholder k, after its opening quote
        return index + (self.shifts[k - 1] if k else 0)

    def parse(self) -> tuple[Any, ...]:
        """pglast's parse of ``source``, made from ``text``. A syntax error's position (its
        second argument) is a position in ``source``."""
        if not self.values:
            return tuple(parse_sql(self.text))
        try:
            raw = parse_sql(self.text)
        except ParseError as exc:
            if len(exc.args) > 1 and isinstance(exc.args[1], int):
                raise ParseError(exc.args[0], self.position(exc.args[1])) from None
            raise
        for item in raw:
            self._restore(item)
        return tuple(raw)

    def restore_text(self, text: str) -> str:
        """``text`` (from a tree's string) with its placeholders replaced by their values."""
        if _OPEN not in text:
            return text
        return _PLACEHOLDER.sub(lambda m: self.values[int(m.group(1))], text)

    def _restore(self, node: Any) -> None:
        stack = [node]
        while stack:
            n = stack.pop()
            if isinstance(n, tuple | list):
                stack.extend(n)
                continue
            if not isinstance(n, ast.Node):
                continue
            if isinstance(n, ast.RawStmt):
                start = n.stmt_location or 0
                if n.stmt_len:
                    end = self.position(start + n.stmt_len - 1) + 1
                    n.stmt_len = end - self.position(start)
                n.stmt_location = self.position(start)
            for name in type(n).__slots__:  # type: ignore[attr-defined]
                value = getattr(n, name, None)
                if isinstance(value, str):
                    if _OPEN in value:
                        setattr(n, name, self.restore_text(value))
                elif name == "location" and isinstance(value, int) and value >= 0:
                    setattr(n, name, self.position(value))
                elif isinstance(value, ast.Node | tuple | list):
                    stack.append(value)


def lift(sql: str) -> Lifted:
    """``sql`` with each plain or dollar-quoted string constant of at least LONG characters
    replaced by a placeholder constant (see the module's docstring)."""
    if len(sql) < SCAN_FROM or _OPEN in sql or _CLOSE in sql:
        return Lifted(sql, sql)
    out: list[str] = []
    lifted = Lifted(sql, sql)
    done = 0  # sql[:done] is in out
    size = 0  # characters in out
    i = 0
    while (m := _SPECIAL.search(sql, i)) is not None:
        start = m.start()
        token = m.group()
        if token == "'":
            value, end = _quoted(sql, start)
        elif token == "$":
            value, end = _dollar_quoted(sql, start)
        elif token == '"':
            value, end = None, _identifier_end(sql, start)
        elif token == "--":
            newline = sql.find("\n", start)
            value, end = None, (len(sql) if newline < 0 else newline + 1)
        else:
            value, end = None, _comment_end(sql, start)
        if end < 0:
            break  # unterminated: the parser reports it
        if value is not None and end - start >= LONG:
            placeholder = f"'{_OPEN}{len(lifted.values)}{_CLOSE}'"
            out.append(sql[done:start])
            size += start - done
            lifted.starts.append(size)
            out.append(placeholder)
            size += len(placeholder)
            done = end
            lifted.values.append(value)
            lifted.ends.append(size)
            lifted.shifts.append(end - size)
        i = end
    if not lifted.values:
        return lifted
    out.append(sql[done:])
    lifted.text = "".join(out)
    return lifted


def _quoted(sql: str, start: int) -> tuple[str | None, int]:
    """(value if it may be lifted, end) of the quoted constant opening at ``start``."""
    prefix = sql[start - 1] if start else " "
    escaped = prefix in "eE" and (start < 2 or not _identifier_char(sql[start - 2]))
    k = start + 1
    if escaped:
        while True:  # E'...': a backslash escapes the next character
            q = sql.find("'", k)
            if q < 0:
                return None, -1
            backslashes = 0
            while sql[q - 1 - backslashes] == "\\":
                backslashes += 1
            if backslashes % 2:
                k = q + 1
            elif sql.startswith("'", q + 1):
                k = q + 2
            else:
                return None, q + 1
    doubled = False
    while True:
        q = sql.find("'", k)
        if q < 0:
            return None, -1
        if sql.startswith("'", q + 1):
            doubled = True
            k = q + 2
            continue
        break
    if _identifier_char(prefix) or prefix == "&":
        return None, q + 1  # B'..', X'..', N'..', U&'..', or quotes glued to a name
    value = sql[start + 1:q]
    return (value.replace("''", "'") if doubled else value), q + 1


def _dollar_quoted(sql: str, start: int) -> tuple[str | None, int]:
    if start and _identifier_char(sql[start - 1]):
        return None, start + 1  # part of a name (a$b)
    m = _DOLLAR_TAG.match(sql, start)
    if m is None:
        return None, start + 1  # a parameter ($1) or an operator
    tag = m.group()
    close = sql.find(tag, m.end())
    if close < 0:
        return None, -1
    return sql[m.end():close], close + len(tag)


def _identifier_end(sql: str, start: int) -> int:
    k = start + 1
    while True:
        q = sql.find('"', k)
        if q < 0 or not sql.startswith('"', q + 1):
            return q + 1 if q >= 0 else -1
        k = q + 2


def _comment_end(sql: str, start: int) -> int:
    depth = 1  # PostgreSQL's block comments nest
    k = start + 2
    while depth:
        m = _COMMENT_EDGE.search(sql, k)
        if m is None:
            return -1
        depth += 1 if m.group() == "/*" else -1
        k = m.end()
    return k
