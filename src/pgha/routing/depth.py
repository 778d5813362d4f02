"""How deeply a statement nests, bounded from its tokens before pglast builds its tree.

libpg_query's parser keeps its own stack, but turning the tree into pglast's objects, and
normalising it, recurse in C: a chain of 50,000 ``1 + 1 + ...`` overflows the thread's stack
and kills the process, which no exception handler can catch. PostgreSQL refuses such a
statement with 54001 "stack depth limit exceeded" (at about 3,500 levels with its default
max_stack_depth); ``too_deep`` says when pgha must refuse one likewise, from the scanner's
tokens (an iterative C loop, safe at any length).

The bound counts, per parenthesis level, the operators that nest their operands (``+``,
``||``, ``::``, ``NOT``...) since the last comma, AND, OR or clause keyword (PostgreSQL
flattens AND and OR chains and lists), plus the open parentheses and the set operations
(``UNION`` chains nest). It may overestimate, never underestimate, the tree's depth.
"""

from __future__ import annotations

from typing import Final

from pglast import parser

MAX_DEPTH: Final = 4000
"""Deeper statements are refused. PostgreSQL 15 accepts ``1 + 1 + ...`` of 3,000 terms and
refuses 5,000; pglast's tree building crashes between 20,000 and 50,000 on an 8 MB stack."""

SHORTEST_DEEP: Final = 2 * MAX_DEPTH
"""A text shorter than this cannot nest MAX_DEPTH levels (each needs at least two
characters): it is not scanned."""

_NESTING = frozenset({
    "Op", "ASCII_37", "ASCII_42", "ASCII_43", "ASCII_45", "ASCII_47", "ASCII_60", "ASCII_61",
    "ASCII_62", "ASCII_91", "ASCII_94", "LESS_EQUALS", "GREATER_EQUALS", "NOT_EQUALS",
    "TYPECAST", "NOT", "NOT_LA", "IS", "LIKE", "ILIKE", "SIMILAR", "COLLATE", "AT", "IN_P",
    "BETWEEN", "OPERATOR", "EXISTS", "ARRAY"})
_RESET = frozenset({
    "ASCII_44", "AND", "OR", "WHEN", "THEN", "ELSE", "END_P", "SELECT", "FROM", "WHERE",
    "GROUP_P", "HAVING", "ORDER", "BY", "LIMIT", "OFFSET", "FETCH", "VALUES", "SET", "RETURNING",
    "ON", "USING", "AS", "INTO", "WINDOW", "RANGE", "ROWS"})
_SET_OPERATIONS = frozenset({"UNION", "EXCEPT", "INTERSECT"})
_OPEN = frozenset({"ASCII_40", "ASCII_91"})  # ( [
_CLOSE = frozenset({"ASCII_41", "ASCII_93"})  # ) ]


def too_deep(sql: str) -> bool:
    """Whether ``sql`` may nest more than MAX_DEPTH levels (see the module's docstring)."""
    if len(sql) < SHORTEST_DEEP:
        return False
    try:
        tokens = parser.scan(sql)
    except Exception:  # pglast raises its own errors for what it cannot scan
        return False  # the parser reports it, without building a tree
    segments = [0]  # per open parenthesis: nesting operators since the last reset
    nested = 0  # sum(segments): the depth the operators along the open levels add
    set_operations = 0
    for token in tokens:
        name = token.name
        if name in _NESTING:
            segments[-1] += 1
            nested += 1
            if name in _OPEN:  # '[' nests and opens
                segments.append(0)
        elif name in _OPEN:
            segments.append(0)
        elif name in _CLOSE:
            if len(segments) > 1:
                nested -= segments.pop()
        elif name in _RESET:
            nested -= segments[-1]
            segments[-1] = 0
        elif name in _SET_OPERATIONS:
            set_operations += 1
        elif name == "ASCII_59":  # ';': the next statement starts afresh
            segments, nested, set_operations = [0], 0, 0
        if nested + len(segments) + set_operations > MAX_DEPTH:
            return True
    return False
