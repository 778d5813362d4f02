"""nextval, currval, lastval and setval over ``__pgha_sequence_values``, on the calling
connection (so they share its transaction) and the session's ``FunctionContext``.
"""

from __future__ import annotations

from typing import Any

import apsw

from pgha.storage.catalog import Sequence
from pgha.storage.functions.context import FunctionContext, registrar
from pgha.wire.errors import (
    NumericValueOutOfRange,
    ObjectNotInPrerequisiteState,
    SequenceGeneratorLimitExceeded,
    UndefinedTable,
)


class SequenceOps:
    """nextval/currval/setval over __pgha_sequence_values, on the calling connection."""

    def __init__(self, conn: apsw.Connection, ctx: FunctionContext) -> None:
        self.conn = conn
        self.ctx = ctx

    def resolve(self, ref: Any) -> Sequence:
        catalog = self.ctx.catalog
        assert catalog is not None
        if isinstance(ref, int):
            rel = catalog.by_oid.get(ref)
        else:
            name = str(ref)
            if name.startswith("public."):
                name = name[len("public.") :]
            name = name.strip('"') if name.startswith('"') else name.lower()
            rel = catalog.by_name.get(name)
        if not isinstance(rel, Sequence):
            raise UndefinedTable(f'relation "{ref}" does not exist')
        return rel

    def nextval(self, ref: Any) -> int:
        seq = self.resolve(ref)
        self.ctx.require(seq, "Uw")  # USAGE or UPDATE
        row = self.conn.execute(
            "SELECT last_value, is_called FROM __pgha_sequence_values WHERE oid = ?", (seq.oid,)
        ).fetchone()
        last, called = row if row else (seq.start, 0)
        value = last + seq.increment if called else last
        if value > seq.max_value or value < seq.min_value:
            if not seq.cycle:
                bound = "maximum" if value > seq.max_value else "minimum"
                limit = seq.max_value if value > seq.max_value else seq.min_value
                raise SequenceGeneratorLimitExceeded(
                    f'nextval: reached {bound} value of sequence "{seq.name}" ({limit})'
                )
            value = seq.min_value if seq.increment > 0 else seq.max_value
        self.conn.execute(
            "INSERT INTO __pgha_sequence_values (oid, last_value, is_called) VALUES (?, ?, 1)"
            " ON CONFLICT (oid) DO UPDATE SET last_value = excluded.last_value, is_called = 1",
            (seq.oid, value),
        )
        self.ctx.last_sequence_values[seq.oid] = value
        self.ctx.last_sequence = seq.oid
        self.ctx.sequences_set[seq.oid] = (int(value), 1)
        return int(value)

    def currval(self, ref: Any) -> int:
        seq = self.resolve(ref)
        self.ctx.require(seq, "rU")  # SELECT or USAGE
        if seq.oid not in self.ctx.last_sequence_values:
            raise ObjectNotInPrerequisiteState(
                f'currval of sequence "{seq.name}" is not yet defined in this session'
            )
        return self.ctx.last_sequence_values[seq.oid]

    def lastval(self) -> int:
        if self.ctx.last_sequence is None:
            raise ObjectNotInPrerequisiteState("lastval is not yet defined in this session")
        return self.ctx.last_sequence_values[self.ctx.last_sequence]

    def setval(self, ref: Any, value: int, is_called: Any = 1) -> int:
        seq = self.resolve(ref)
        self.ctx.require(seq, "w")  # UPDATE
        if value < seq.min_value or value > seq.max_value:
            raise NumericValueOutOfRange(
                                         f"setval: value {value} is out of bounds for sequence "
                                         f'"{seq.name}" ({seq.min_value}..{seq.max_value})',
            )
        self.conn.execute(
            "INSERT INTO __pgha_sequence_values (oid, last_value, is_called) VALUES (?, ?, ?)"
            " ON CONFLICT (oid) DO UPDATE SET last_value = excluded.last_value,"
            " is_called = excluded.is_called",
            (seq.oid, value, 1 if is_called else 0),
        )
        self.ctx.sequences_set[seq.oid] = (value, 1 if is_called else 0)
        if is_called:
            self.ctx.last_sequence_values[seq.oid] = value
            self.ctx.last_sequence = seq.oid
        return value


def register(conn: apsw.Connection, ctx: FunctionContext) -> None:
    """The sequence functions, bound to ``conn`` and ``ctx``."""
    f = registrar(conn)
    seq = SequenceOps(conn, ctx)
    f("nextval", seq.nextval, 1)
    f("currval", seq.currval, 1)
    f("lastval", seq.lastval, 0)
    f("setval", seq.setval, -1)
