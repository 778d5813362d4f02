"""PostgreSQL functions and operators that SQLite lacks, registered as SQLite user functions.

The translator emits calls to these (``pg_cast``, ``pg_regex_match``, ``nextval``, ...). Each
connection gets its own set, bound to that connection's ``FunctionContext`` (session time
zone, user, statement timestamp, catalog snapshot), so no module-level mutable state is needed.
Errors raised here are ``PgError``s; the engine recovers them with their SQLSTATE intact
(apsw re-raises the Python exception a user function raised).

One module per family, each with its own ``register(conn, ctx)``; ``register`` below calls
them in order. The order matters where two families define the same name with the same number
of arguments: the later definition wins, so the core set (casts ... aggregates) comes first and
the families written against PostgreSQL 15's sources (``maths``, ``text_array``) replace what
they reimplement.
"""

from __future__ import annotations

import apsw

from pgha.storage.functions import (
    admin,
    aggregates,
    arithmetic,
    arrays,
    casts,
    datetimes,
    jsonb,
    maths,
    patterns,
    regclass,
    regproc,
    sequences,
    series,
    strings,
    text_array,
    timestamps,
)
from pgha.storage.functions.casts import cast_value
from pgha.storage.functions.context import FunctionContext
from pgha.storage.functions.regclass import regclass_lookup
from pgha.storage.functions.timestamps import _zone

# What other modules use as ``functions.<name>``.
__all__ = ["FunctionContext", "_zone", "cast_value", "regclass_lookup", "register"]


def register(conn: apsw.Connection, ctx: FunctionContext) -> None:
    """Register every pgha function on ``conn``, bound to ``ctx``."""
    # catalog_functions imports pgcatalog, which imports the translator, which imports this
    from pgha.storage import catalog_functions

    casts.register(conn, ctx)
    regclass.register(conn, ctx)
    regproc.register(conn, ctx)
    patterns.register(conn, ctx)
    arrays.register(conn, ctx)
    arithmetic.register(conn, ctx)
    timestamps.register(conn, ctx)
    admin.register(conn, ctx)
    sequences.register(conn, ctx)
    strings.register(conn, ctx)
    aggregates.register(conn, ctx)
    catalog_functions.register(conn, ctx)
    datetimes.register(conn, ctx)
    jsonb.register(conn, ctx)
    maths.register(conn, ctx)  # float edge cases and numeric math; replaces some above
    text_array.register(conn, lambda: ctx.server_port)  # replaces some above
    series.register(conn, ctx)
