"""A session's prepared statements, and their rows of ``pg_prepared_statements``.

Parse messages and SQL ``PREPARE`` make the same kind of prepared statement; the server session
keeps them here and the storage session lists them through the ``pg_prepared_statements``
virtual table (see ``status_views``), so the view is live: a statement prepared by the previous
message is listed, a deallocated one is not.

Invariants: one statement per name (the caller refuses a duplicate with 42P05); the unnamed
statement is kept for Bind but never listed, as in PostgreSQL (it is not in the backend's hash of
prepared statements).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pgha.storage import oids as T
from pgha.storage import types as pgtypes

if TYPE_CHECKING:
    from pgha.storage.engine import Statement

# plancache.c's choose_custom_plan: with plan_cache_mode auto, a statement with parameters gets a
# custom plan for its first five executions.
CUSTOM_PLAN_TRIES = 5


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(slots=True)
class Prepared:
    statement: Statement
    source: str  # what PostgreSQL lists: Parse's query text, or the whole Query holding PREPARE
    from_sql: bool
    prepare_time: dt.datetime
    generic_plans: int = 0
    custom_plans: int = 0


class PreparedStatements:
    """The session's prepared statements by name."""

    def __init__(self, clock: Callable[[], dt.datetime] = _utc_now) -> None:
        self._by_name: dict[str, Prepared] = {}
        self._clock = clock

    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    def __iter__(self) -> Iterator[str]:
        return iter(self._by_name)

    def get(self, name: str) -> Statement | None:
        prepared = self._by_name.get(name)
        return prepared.statement if prepared is not None else None

    def add(self, name: str, statement: Statement, source: str, *, from_sql: bool) -> None:
        self._by_name[name] = Prepared(statement, source, from_sql, self._clock())

    def pop(self, name: str) -> None:
        self._by_name.pop(name, None)

    def clear(self) -> None:
        self._by_name.clear()

    def planned(self, name: str) -> None:
        """Count a plan for one execution (Bind, or SQL EXECUTE), as plancache.c counts them.

        pgha translates a statement once and reuses the translation with any parameter values,
        which is a generic plan; the counts still follow PostgreSQL's rule for plan_cache_mode
        auto (no parameters: generic; parameters: custom for the first five executions) so that
        tools reading the view see what PostgreSQL would report for cheap statements, where it
        then keeps to the generic plan.
        """
        prepared = self._by_name.get(name)
        if prepared is None:
            return
        stmt = prepared.statement
        params = stmt.translation.param_oids if stmt.translation else stmt.param_oids
        if params and prepared.custom_plans < CUSTOM_PLAN_TRIES:
            prepared.custom_plans += 1
        else:
            prepared.generic_plans += 1

    def rows(self) -> list[tuple[Any, ...]]:
        """Storage values of ``pg_prepared_statements``' columns, one row per named statement."""
        timestamptz = pgtypes.TYPES_BY_OID[T.TIMESTAMPTZ]
        out = []
        for name, p in self._by_name.items():
            if not name:
                continue
            stmt = p.statement
            params = stmt.translation.param_oids if stmt.translation else stmt.param_oids
            when = pgtypes.parse_text(timestamptz, p.prepare_time.isoformat(sep=" "), -1, "UTC")
            out.append((name, p.source, when, json.dumps(list(params), separators=(",", ":")),
                        1 if p.from_sql else 0, p.generic_plans, p.custom_plans))
        return out
