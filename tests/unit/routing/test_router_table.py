"""Routing table for ``pgha.routing.router.route`` fed by ``pgha.routing.classify.classify``.

``GRID`` is written by hand: one line per statement, one cell per column (a session state and a
``View`` of the cluster), each cell the expected ``Route``:

    S    the standby; ``wait_lsn`` is the column's read-your-writes LSN (0 where none is set)
    s    the standby without waiting (``wait_lsn`` 0): a session setting reads no data
    P    the primary (``wait_lsn`` 0, ``pins`` False)
    C    where the session's transaction already runs (``Target.CURRENT``)
    +    (after P or C) ``pins`` is True: from now on the session stays on the primary
    !    (last) the router gets this cell wrong today: the test is xfail(strict=True), with
         the reason given on the row

The expectations follow docs/routing.md and PostgreSQL's semantics, not whatever the router
answers: a failing cell is a statement a production session would send to the wrong backend.

Also checked here: the invariant that inside a transaction (``busy_on`` set) the target is
CURRENT, pinned or not, for every statement of the grid (a pinning statement in a transaction
on the primary pins the session); that ``pins`` is True exactly for the pinning statements when
they go to the primary;
``Route.fallback``; ``SessionRouting.set`` and the errors of ``settings.normalize`` (22023 for
``pgha.route``, ``pgha.explain_route`` and ``pgha.ryw_timeout``, 22P02 for ``pgha.min_lsn``);
``SessionRouting.remember``; and ``classify``'s shape cache (``shape``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import NamedTuple

import pytest

from pgha.routing import classify as classify_module
from pgha.routing.classify import classify, shape
from pgha.routing.router import Route, SessionRouting, Target, View, route
from pgha.wire.errors import PgError

TOKEN = 0x5000  # SET pgha.min_lsn = '0/5000' (a causal token)
EARLY_COMMIT = 0x3000  # the session's last commit, older than the token
LATE_COMMIT = 0x9000  # the session's last commit, newer than the token


def fresh() -> SessionRouting:
    return SessionRouting()


def routed(setting: str) -> Callable[[], SessionRouting]:
    def make() -> SessionRouting:
        state = SessionRouting()
        state.set("pgha.route", setting)
        return state
    return make


def busy(on: Target) -> Callable[[], SessionRouting]:
    return lambda: SessionRouting(busy_on=on)


def pinned() -> SessionRouting:
    return SessionRouting(pinned=True)


def committed(last_commit: int, unknown: bool = False) -> Callable[[], SessionRouting]:
    def make() -> SessionRouting:
        state = SessionRouting(last_commit=last_commit, commit_unknown=unknown)
        state.set("pgha.min_lsn", "0/5000")
        return state
    return make


class Column(NamedTuple):
    name: str
    state: Callable[[], SessionRouting]
    view: View
    need: int  # the wait_lsn of an "S" cell


STANDBY_UP, NO_STANDBY = View(standby=True), View(standby=False)

# Column names are at most three characters so that the grid lines up under them.
COLUMNS = [
    Column("idl", fresh, STANDBY_UP, 0),  # idle, pgha.route = auto, nothing committed
    Column("nsb", fresh, NO_STANDBY, 0),  # idle, no standby can serve reads
    Column("rP", routed("primary"), STANDBY_UP, 0),  # SET pgha.route = primary
    Column("rS", routed("standby"), STANDBY_UP, 0),  # SET pgha.route = standby
    Column("rSn", routed("standby"), NO_STANDBY, 0),  # pgha.route = standby, no standby
    Column("txP", busy(Target.PRIMARY), STANDBY_UP, 0),  # a transaction open on the primary
    Column("tPn", busy(Target.PRIMARY), NO_STANDBY, 0),  # the same, no standby
    Column("txS", busy(Target.STANDBY), STANDBY_UP, 0),  # a transaction open on a standby
    Column("pin", pinned, STANDBY_UP, 0),  # pinned to the primary
    Column("tok", committed(EARLY_COMMIT), STANDBY_UP, TOKEN),  # min_lsn 0/5000 > commit
    Column("lc", committed(LATE_COMMIT), STANDBY_UP, LATE_COMMIT),  # last commit > min_lsn
    Column("unk", committed(LATE_COMMIT, unknown=True), STANDBY_UP, LATE_COMMIT),  # lost LSN
]
BY_NAME = {column.name: column for column in COLUMNS}


class Row(NamedTuple):
    cells: list[str]
    sql: str
    why: str  # why the "!" cells are wrong


def row(grid: str, sql: str, why: str = "") -> Row:
    cells = grid.split()
    assert len(cells) == len(COLUMNS), (sql, cells)
    assert all(c.rstrip("!") in ("S", "s", "P", "P+", "C", "C+") for c in cells), (sql, cells)
    assert bool(why) == any(c.endswith("!") for c in cells), sql
    return Row(cells, sql, why)


# fmt: off
GRID: list[Row] = [
    #    idl nsb rP  rS  rSn txP tPn txS pin tok lc  unk
    # -- reads ---------------------------------------------------------------------------------
    row("S   P   P   S   P   C   C   C   P   S   S   P", "SELECT * FROM t WHERE id = 1"),
    row("S   P   P   S   P   C   C   C   P   S   S   P", "select count(*) from t"),
    row("S   P   P   S   P   C   C   C   P   S   S   P", "SHOW search_path"),
    row("S   P   P   S   P   C   C   C   P   S   S   P", "SHOW pgha.route"),
    row("S   P   P   S   P   C   C   C   P   S   S   P", "EXPLAIN SELECT * FROM t"),
    row("S   P   P   S   P   C   C   C   P   S   S   P", "EXPLAIN INSERT INTO t VALUES (1)"),
    row("S   P   P   S   P   C   C   C   P   S   S   P", "EXPLAIN ANALYZE SELECT * FROM t"),
    row("S   P   P   S   P   C   C   C   P   S   S   P", "COPY t TO STDOUT"),
    row("S   P   P   S   P   C   C   C   P   S   S   P", "COPY (SELECT a FROM t) TO STDOUT"),
    row("S   P   P   S   P   C   C   C   P   S   S   P", "VALUES (1, 'one'), (2, 'two')"),
    row("S   P   P   S   P   C   C   C   P   S   S   P", "TABLE t"),
    row("S   P   P   S   P   C   C   C   P   S   S   P", "SELECT lower(name), now() FROM t"),
    row("S   P   P   S   P   C   C   C   P   S   S   P", "SELECT * FROM generate_series(1, 3)"),
    # a node answers the replication views with its own rows (the proxy: see below)
    row("S   P   P   S   P   C   C   C   P   S   S   P", "SELECT * FROM pg_replication_status"),
    row("S   P   P   S   P   C   C   C   P   S   S   P",
        "WITH c AS (SELECT 1 AS x) SELECT x FROM c"),
    row("S   P   P   S   P   C   C   C   P   S   S   P", "BEGIN READ ONLY"),
    row("S   P   P   S   P   C   C   C   P   S   S   P", "START TRANSACTION READ ONLY"),
    row("S   P   P   S   P   C   C   C   P   S   S   P", "DECLARE c CURSOR FOR SELECT * FROM t"),
    row("S   P   P   S   P   C   C   C   P   S   S   P", "FETCH 10 FROM c"),
    row("S   P   P   S   P   C   C   C   P   S   S   P", ""),
    # -- writes --------------------------------------------------------------------------------
    row("P   P   P   P   P   C   C   C   P   P   P   P", "INSERT INTO t VALUES (1)"),
    row("P   P   P   P   P   C   C   C   P   P   P   P", "UPDATE t SET a = 2 WHERE id = 1"),
    row("P   P   P   P   P   C   C   C   P   P   P   P", "DELETE FROM t WHERE id = 1"),
    row("P   P   P   P   P   C   C   C   P   P   P   P",
        "MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN DELETE"),
    row("P   P   P   P   P   C   C   C   P   P   P   P", "COPY t FROM STDIN"),
    row("P   P   P   P   P   C   C   C   P   P   P   P",
        "COPY (INSERT INTO t VALUES (1) RETURNING *) TO STDOUT"),
    row("P   P   P   P   P   C   C   C   P   P   P   P", "CREATE TABLE t2 (a int)"),
    row("P   P   P   P   P   C   C   C   P   P   P   P", "ALTER TABLE t ADD COLUMN b int"),
    row("P   P   P   P   P   C   C   C   P   P   P   P", "DROP TABLE t"),
    row("P   P   P   P   P   C   C   C   P   P   P   P", "TRUNCATE t"),
    row("P   P   P   P   P   C   C   C   P   P   P   P", "CREATE INDEX i ON t (a)"),
    row("P   P   P   P   P   C   C   C   P   P   P   P", "SELECT * INTO t3 FROM t"),
    row("P   P   P   P   P   C   C   C   P   P   P   P", "SELECT * FROM t FOR UPDATE"),
    row("P   P   P   P   P   C   C   C   P   P   P   P", "SELECT * FROM t FOR SHARE"),
    row("P   P   P   P   P   C   C   C   P   P   P   P", "SELECT nextval('s')"),
    row("P   P   P   P   P   C   C   C   P   P   P   P",
        "WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d"),
    row("P   P   P   P   P   C   C   C   P   P   P   P",
        "EXPLAIN ANALYZE INSERT INTO t VALUES (1)"),
    row("P   P   P   P   P   C   C   C   P   P   P   P",
        "EXPLAIN (ANALYZE, BUFFERS) UPDATE t SET a = 1"),
    row("P   P   P   P   P   C   C   C   P   P   P   P", "SELECT my_func(1)"),
    row("P   P   P   P   P   C   C   C   P   P   P   P", "SELECT app.refresh()"),
    row("P   P   P   P   P   C   C   C   P   P   P   P", "SELECT pg_advisory_xact_lock(1)"),
    row("P   P   P   P   P   C   C   C   P   P   P   P", "LOCK TABLE t"),
    row("P   P   P   P   P   C   C   C   P   P   P   P", "CALL p()"),
    row("P   P   P   P   P   C   C   C   P   P   P   P", "DO $$ BEGIN NULL; END $$"),
    row("P   P   P   P   P   C   C   C   P   P   P   P", "NOTIFY jobs"),
    row("P   P   P   P   P   C   C   C   P   P   P   P", "UNLISTEN jobs"),
    row("P   P   P   P   P   C   C   C   P   P   P   P", "VACUUM t"),
    row("P   P   P   P   P   C   C   C   P   P   P   P", "EXECUTE q"),
    # -- transaction control -------------------------------------------------------------------
    row("P   P   P   P   P   C   C   C   P   P   P   P", "BEGIN"),
    row("P   P   P   P   P   C   C   C   P   P   P   P",
        "START TRANSACTION ISOLATION LEVEL REPEATABLE READ"),
    # a hot standby refuses serializable mode
    row("P   P   P   P   P   C   C   C   P   P   P   P",
        "BEGIN ISOLATION LEVEL SERIALIZABLE, READ ONLY"),
    # outside a transaction these are no-ops (a warning or an error) wherever they run
    row("S   P   P   S   P   C   C   C   P   s   s   P", "COMMIT"),
    row("S   P   P   S   P   C   C   C   P   s   s   P", "ROLLBACK"),
    row("S   P   P   S   P   C   C   C   P   s   s   P", "END"),
    row("S   P   P   S   P   C   C   C   P   s   s   P", "SAVEPOINT s1"),
    row("S   P   P   S   P   C   C   C   P   s   s   P", "RELEASE SAVEPOINT s1"),
    row("S   P   P   S   P   C   C   C   P   s   s   P", "ROLLBACK TO SAVEPOINT s1"),
    row("S   P   P   S   P   C   C   C   P   s   s   P", "COMMIT AND CHAIN"),
    row("P   P   P   P   P   C   C   C   P   P   P   P", "PREPARE TRANSACTION 'tx1'"),
    row("P   P   P   P   P   C   C   C   P   P   P   P", "COMMIT PREPARED 'tx1'"),
    # -- session settings: run where the session is, replayed on its other backends -----------
    row("s   P   s   s   P   C   C   C   P   s   s   s", "SET search_path TO app"),
    row("s   P   s   s   P   C   C   C   P   s   s   s", "SET statement_timeout = 5000"),
    row("s   P   s   s   P   C   C   C   P   s   s   s", "SET TIME ZONE 'UTC'"),
    row("s   P   s   s   P   C   C   C   P   s   s   s", "SET ROLE reader"),
    row("s   P   s   s   P   C   C   C   P   s   s   s", "RESET search_path"),
    row("s   P   s   s   P   C   C   C   P   s   s   s", "RESET ALL"),
    row("s   P   s   s   P   C   C   C   P   s   s   s", "DISCARD ALL"),
    row("s   P   s   s   P   C   C   C   P   s   s   s", "SET pgha.route = 'primary'"),
    row("s   P   s   s   P   C   C   C   P   s   s   s", "SET a.b = 1; SET c.d = 2"),
    # SET LOCAL and SET TRANSACTION last one transaction: not replayed, routed like a read
    row("S   P   P   S   P   C   C   C   P   S   S   P", "SET LOCAL statement_timeout = 1000"),
    row("S   P   P   S   P   C   C   C   P   S   S   P",
        "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"),
    row("S   P   P   S   P   C   C   C   P   S   S   P", "DEALLOCATE q"),
    # -- statements that pin the session to the primary ----------------------------------------
    row("P+  P+  P+  P+  P+  C+  C+  C   P   P+  P+  P+", "CREATE TEMP TABLE tmp (id int)"),
    row("P+  P+  P+  P+  P+  C+  C+  C   P   P+  P+  P+", "SELECT * INTO TEMP tmp2 FROM t"),
    row("P+  P+  P+  P+  P+  C+  C+  C   P   P+  P+  P+", "LISTEN jobs"),
    row("P+  P+  P+  P+  P+  C+  C+  C   P   P+  P+  P+", "SELECT pg_advisory_lock(1)"),
    row("P+  P+  P+  P+  P+  C+  C+  C   P   P+  P+  P+", "SELECT pg_try_advisory_lock(1)"),
    row("P+  P+  P+  P+  P+  C+  C+  C   P   P+  P+  P+",
        "SELECT set_config('search_path', 'app', false)"),
    row("P+  P+  P+  P+  P+  C+  C+  C   P   P+  P+  P+", "PREPARE q AS SELECT 1"),
    row("P+  P+  P+  P+  P+  C+  C+  C   P   P+  P+  P+",
        "DECLARE c CURSOR WITH HOLD FOR SELECT * FROM t"),
    # -- hints ---------------------------------------------------------------------------------
    row("P   P   P   P   P   C   C   C   P   P   P   P", "/* pgha:primary */ SELECT * FROM t"),
    row("P   P   P   P   P   C   C   C   P   P   P   P", "/* pgha:primary */ BEGIN READ ONLY"),
    row("P   P   P   P   P   C   C   C   P   P   P   P",
        "/* pgha:primary */ SET search_path TO app"),
    row("S   P   P   S   P   C   C   C   P   s   s   s", "/* pgha:standby */ SELECT * FROM t"),
    row("P   P   P   P   P   C   C   C   P   P   P   P",
        "/* pgha:standby */ INSERT INTO t VALUES (1)"),
    row("P+  P+  P+  P+  P+  C+  C+  C   P   P+  P+  P+",
        "/* pgha:standby */ SELECT pg_advisory_lock(1)"),
    # -- text that does not parse: the primary reports the error -------------------------------
    row("P   P   P   P   P   C   C   C   P   P   P   P", "SELEC 1"),
    row("P   P   P   P   P   C   C   C   P   P   P   P", "SELECT * FORM t"),
    row("P   P   P   P   P   C   C   C   P   P   P   P", "INSERT INTO t VALUES (1"),
    # -- several statements in one Query -------------------------------------------------------
    row("S   P   P   S   P   C   C   C   P   S   S   P", "SELECT 1; SELECT 2"),
    row("P   P   P   P   P   C   C   C   P   P   P   P", "SELECT 1; INSERT INTO t VALUES (1)"),
    row("P   P   P   P   P   C   C   C   P   P   P   P",
        "BEGIN; INSERT INTO t VALUES (1); COMMIT"),
    row("S   P   P   S   P   C   C   C   P   S   S   P", "BEGIN READ ONLY; SELECT 1; COMMIT"),
    row("P+  P+  P+  P+  P+  C+  C+  C   P   P+  P+  P+", "SELECT 1; LISTEN jobs"),
    row("P   P   P   P   P   C   C   C   P   P   P   P",
        "SET search_path TO app; INSERT INTO t VALUES (1)"),
    row("S   P   P   S   P   C   C   C   P   S   S   P ",
        "SET search_path TO app; SELECT * FROM t"),
    # -- acts on the node it is sent to --------------------------------------------------------
    row("s   s   s   s   s   C   C   C   s   s   s   s", "SELECT pg_promote()"),
]
# fmt: on

PINNING = frozenset({
    "CREATE TEMP TABLE tmp (id int)", "SELECT * INTO TEMP tmp2 FROM t", "LISTEN jobs",
    "SELECT pg_advisory_lock(1)", "SELECT pg_try_advisory_lock(1)",
    "SELECT set_config('search_path', 'app', false)", "PREPARE q AS SELECT 1",
    "DECLARE c CURSOR WITH HOLD FOR SELECT * FROM t",
    "/* pgha:standby */ SELECT pg_advisory_lock(1)", "SELECT 1; LISTEN jobs",
})
STATEMENTS = [r.sql for r in GRID]


def _sql_id(sql: str) -> str:
    text = " ".join(sql.split()) or "<empty>"
    return text if len(text) <= 50 else text[:47] + "..."


def _cells() -> list[object]:
    params: list[object] = []
    for r in GRID:
        for column, cell in zip(COLUMNS, r.cells, strict=True):
            marks = [pytest.mark.xfail(strict=True, reason=r.why)] if cell.endswith("!") else []
            params.append(pytest.param(r.sql, column.name, cell.rstrip("!"), marks=marks,
                                       id=f"{column.name}: {_sql_id(r.sql)}"))
    return params


def _expected(cell: str, column: Column) -> tuple[Target, int, bool]:
    target = {"S": Target.STANDBY, "s": Target.STANDBY, "P": Target.PRIMARY,
              "C": Target.CURRENT}[cell[0]]
    return target, column.need if cell == "S" else 0, cell.endswith("+")


@pytest.mark.parametrize(("sql", "column", "cell"), _cells())
def test_route(sql: str, column: str, cell: str) -> None:
    col = BY_NAME[column]
    got = route(classify(sql), col.state(), col.view)
    assert isinstance(got, Route)
    assert got.reason
    assert (got.target, got.wait_lsn, got.pins) == _expected(cell, col), got.reason


def test_grid_is_what_the_docstring_promises() -> None:
    assert not [sql for sql, n in Counter(STATEMENTS).items() if n > 1]
    assert len(GRID) >= 40
    assert len(GRID) * len(COLUMNS) >= 500
    # the "+" cells are exactly the pinning statements
    assert {r.sql for r in GRID if any("+" in c for c in r.cells)} == PINNING
    # CURRENT is the whole of the transaction columns and nowhere else; the columns without a
    # standby never say S, but for what acts on the node it was sent to (pg_promote)
    for i, column in enumerate(COLUMNS):
        seen = {r.cells[i][0].upper() for r in GRID if r.sql != "SELECT pg_promote()"}
        if column.name in ("txP", "tPn", "txS"):
            assert seen == {"C"}, column.name
        elif column.name == "pin":
            assert seen == {"P"}, column.name
        elif column.view.standby:
            assert seen == {"S", "P"}, column.name
        else:
            assert seen == {"P"}, column.name


# -- the invariant: a transaction never moves ------------------------------------------------

STATES_IN_TXN: dict[str, Callable[[Target], SessionRouting]] = {
    "plain": lambda on: SessionRouting(busy_on=on),
    "route=primary": lambda on: _with_route(SessionRouting(busy_on=on), "primary"),
    "route=standby": lambda on: _with_route(SessionRouting(busy_on=on), "standby"),
    "lsn": lambda on: SessionRouting(busy_on=on, last_commit=LATE_COMMIT),
    "commit unknown": lambda on: SessionRouting(busy_on=on, last_commit=LATE_COMMIT,
                                                commit_unknown=True),
}


def _with_route(state: SessionRouting, setting: str) -> SessionRouting:
    state.set("pgha.route", setting)
    return state


@pytest.mark.parametrize("on", [Target.PRIMARY, Target.STANDBY], ids=lambda t: t.value)
@pytest.mark.parametrize("variant", sorted(STATES_IN_TXN))
def test_inside_a_transaction_the_target_is_current(on: Target, variant: str) -> None:
    moved = []
    for sql in STATEMENTS:
        for view in (STANDBY_UP, NO_STANDBY):
            got = route(classify(sql), STATES_IN_TXN[variant](on), view)
            if got.target is not Target.CURRENT or got.wait_lsn:
                moved.append((sql, view.standby, got))
    assert not moved


@pytest.mark.parametrize("view", [STANDBY_UP, NO_STANDBY], ids=["standby", "no standby"])
def test_a_pinned_session_in_a_transaction_on_the_primary_stays_on_its_backend(
        view: View) -> None:
    elsewhere = []
    for sql in STATEMENTS:
        got = route(classify(sql), SessionRouting(busy_on=Target.PRIMARY, pinned=True), view)
        if (got.target, got.wait_lsn, got.pins) != (Target.CURRENT, 0, sql in PINNING):
            elsewhere.append((sql, got))
    assert not elsewhere


@pytest.mark.parametrize("sql", ["SELECT * FROM t", "INSERT INTO t VALUES (1)", "COMMIT"])
def test_a_pinned_session_never_moves_a_standby_transaction(sql: str) -> None:
    got = route(classify(sql), SessionRouting(busy_on=Target.STANDBY, pinned=True), STANDBY_UP)
    assert got.target is Target.CURRENT


# -- pins --------------------------------------------------------------------------------------

IDLE_COLUMNS = [c for c in COLUMNS if c.name not in ("txP", "tPn", "txS", "pin")]


@pytest.mark.parametrize("column", IDLE_COLUMNS, ids=lambda c: c.name)
def test_pins_exactly_for_pinning_statements_sent_to_the_primary(column: Column) -> None:
    wrong = []
    for sql in STATEMENTS:
        got = route(classify(sql), column.state(), column.view)
        if got.pins != (sql in PINNING):
            wrong.append((sql, got))
        if sql in PINNING and got.target is not Target.PRIMARY:
            wrong.append((sql, got))
    assert not wrong


def test_an_already_pinned_session_is_not_pinned_again() -> None:
    for sql in PINNING:
        got = route(classify(sql), pinned(), STANDBY_UP)
        assert (got.target, got.pins) == (Target.PRIMARY, False), sql


# -- Route.fallback ----------------------------------------------------------------------------


def test_fallback_runs_a_standby_read_on_the_primary() -> None:
    first = route(classify("SELECT * FROM t"), committed(LATE_COMMIT)(), STANDBY_UP)
    assert (first.target, first.wait_lsn) == (Target.STANDBY, LATE_COMMIT)
    second = first.fallback()
    assert (second.target, second.wait_lsn, second.pins) == (Target.PRIMARY, 0, False)
    assert "has not applied" in second.reason
    assert first.target is Target.STANDBY  # a Route is immutable: fallback makes a new one


def test_fallback_keeps_pins() -> None:
    got = Route(Target.STANDBY, "why", wait_lsn=7, pins=True).fallback()
    assert (got.target, got.wait_lsn, got.pins) == (Target.PRIMARY, 0, True)


# -- SessionRouting.set and settings.normalize -------------------------------------------------


def test_defaults() -> None:
    state = SessionRouting()
    assert state.route_setting == "auto"
    assert state.explain is False
    assert state.ryw_timeout == 2.0
    assert state.min_lsn == 0
    assert state.need_lsn() == 0
    assert state.replay == {}


@pytest.mark.parametrize(("name", "value", "stored"), [
    ("pgha.route", "primary", "primary"),
    ("PGHA.ROUTE", " Standby ", "standby"),
    ("pgha.route", "AUTO", "auto"),
    ("pgha.explain_route", "on", "on"),
    ("pgha.explain_route", "yes", "on"),
    ("pgha.explain_route", "TRUE", "on"),
    ("pgha.explain_route", "0", "off"),
    ("pgha.explain_route", "f", "off"),
    ("pgha.ryw_timeout", "500", "500"),
    ("pgha.ryw_timeout", "2s", "2000"),
    ("pgha.ryw_timeout", "1min", "60000"),
    ("pgha.ryw_timeout", " 250ms ", "250"),
    ("pgha.ryw_timeout", "0", "0"),
    ("pgha.ryw_timeout", "2147483647", "2147483647"),
    ("pgha.min_lsn", "0/16b3748", "0/16B3748"),
    ("pgha.min_lsn", "FFFFFFFF/FFFFFFFF", "FFFFFFFF/FFFFFFFF"),
    ("pgha.min_lsn", " 0/5000 ", "0/5000"),
])
def test_set_stores_the_normalized_value(name: str, value: str, stored: str) -> None:
    state = SessionRouting()
    assert state.set(name, value) == stored
    assert state.values[name.lower()] == stored


def test_set_values_are_used() -> None:
    state = SessionRouting(last_commit=0x3000)
    state.set("pgha.explain_route", "on")
    state.set("pgha.ryw_timeout", "1500ms")
    state.set("pgha.min_lsn", "0/16B3748")
    assert state.explain is True
    assert state.ryw_timeout == 1.5
    assert state.min_lsn == 0x16B3748
    assert state.need_lsn() == 0x16B3748
    state.observe_commit(0x20000000)
    assert state.need_lsn() == 0x20000000


@pytest.mark.parametrize("name", ["pgha.route", "pgha.explain_route", "pgha.min_lsn",
                                  "pgha.ryw_timeout"])
def test_reset_restores_the_default(name: str) -> None:
    state = SessionRouting()
    state.set(name, {"pgha.route": "primary", "pgha.explain_route": "on",
                     "pgha.min_lsn": "0/1", "pgha.ryw_timeout": "1"}[name])
    assert state.set(name, None) == SessionRouting().values[name]
    assert state.values == SessionRouting().values


@pytest.mark.parametrize(("name", "value", "sqlstate"), [
    ("pgha.route", "replica", "22023"),
    ("pgha.route", "", "22023"),
    ("pgha.route", "primary,standby", "22023"),
    ("pgha.explain_route", "maybe", "22023"),
    ("pgha.explain_route", "", "22023"),
    ("pgha.ryw_timeout", "soon", "22023"),
    ("pgha.ryw_timeout", "-1", "22023"),
    ("pgha.ryw_timeout", "2147483648", "22023"),
    ("pgha.ryw_timeout", "1.5s", "22023"),
    ("pgha.ryw_timeout", "", "22023"),
    ("pgha.min_lsn", "16B3748", "22P02"),
    ("pgha.min_lsn", "0/xyz", "22P02"),
    ("pgha.min_lsn", "0/123456789", "22P02"),
    ("pgha.min_lsn", "-1/0", "22P02"),
    ("pgha.min_lsn", "", "22P02"),
])
def test_set_rejects_a_bad_value(name: str, value: str, sqlstate: str) -> None:
    state = SessionRouting()
    before = dict(state.values)
    with pytest.raises(PgError) as caught:
        state.set(name, value)
    assert caught.value.sqlstate == sqlstate
    if sqlstate == "22023":
        assert name in caught.value.message
    else:
        assert "pg_lsn" in caught.value.message
    assert state.values == before  # a failed SET changes nothing


# -- SessionRouting.remember -------------------------------------------------------------------


def remembered(*statements: str) -> list[tuple[str, str]]:
    state = SessionRouting()
    for sql in statements:
        state.remember(sql, classify(sql))
    return list(state.replay.items())


def test_remember_keeps_settings_in_the_order_they_ran() -> None:
    assert remembered("SET search_path TO app", "SET statement_timeout = 5000") == [
        ("search_path", "SET search_path TO app"),
        ("statement_timeout", "SET statement_timeout = 5000"),
    ]


def test_a_later_set_of_the_same_name_replaces_the_earlier_one_and_moves_last() -> None:
    assert remembered("SET search_path TO app", "SET statement_timeout = 5000",
                      "SET search_path TO other") == [
        ("statement_timeout", "SET statement_timeout = 5000"),
        ("search_path", "SET search_path TO other"),
    ]


def test_the_same_setting_spelled_differently_is_one_entry() -> None:
    assert remembered("SET TIME ZONE 'UTC'", "SET application_name = 'w'",
                      "set TimeZone = 'Europe/Paris'") == [
        ("application_name", "SET application_name = 'w'"),
        ("timezone", "set TimeZone = 'Europe/Paris'"),
    ]


def test_reset_of_a_setting_replaces_its_set() -> None:
    assert remembered("SET search_path TO app", "SET work_mem = '64MB'",
                      "RESET search_path") == [
        ("work_mem", "SET work_mem = '64MB'"),
        ("search_path", "RESET search_path"),
    ]


@pytest.mark.parametrize("clear", ["RESET ALL", "DISCARD ALL", "discard all"])
def test_reset_all_and_discard_all_clear(clear: str) -> None:
    assert remembered("SET search_path TO app", "DISCARD PLANS", clear) == []
    assert remembered("SET search_path TO app", clear, "SET work_mem = '1MB'") == [
        ("work_mem", "SET work_mem = '1MB'"),
    ]


def test_discard_all_forgets_the_role_too() -> None:
    # DISCARD ALL includes SET SESSION AUTHORIZATION DEFAULT: a new backend starts as logged in
    assert remembered("SET ROLE reader", "SET SESSION AUTHORIZATION app", "DISCARD ALL") == []


def test_reset_all_keeps_the_role() -> None:
    assert remembered("SET ROLE reader", "SET work_mem = '1MB'", "RESET ALL") == [
        ("role", "SET ROLE reader"),
    ]


def test_other_statements_are_keyed_by_their_text() -> None:
    assert remembered("DISCARD PLANS", "DISCARD SEQUENCES", "SET a.b = 1; SET c.d = 2",
                      "DISCARD PLANS") == [
        ("DISCARD SEQUENCES", "DISCARD SEQUENCES"),
        ("SET a.b = 1; SET c.d = 2", "SET a.b = 1; SET c.d = 2"),
        ("DISCARD PLANS", "DISCARD PLANS"),
    ]


# -- classify's caches: by text and by shape -------------------------------------------------


@pytest.mark.parametrize(("first", "second"), [
    ("SELECT * FROM t WHERE id = 7", "SELECT * FROM t WHERE id = 8"),
    ("select * from t where name = 'a' and x > 1.5", "select * from t where name = 'bb' and x > 2"),
    ("SELECT * FROM t WHERE s = E'it\\'s'", "SELECT * FROM t WHERE s = 'x'"),
    ("SELECT $$dollar$$, $q$quoted$q$", "SELECT 'plain', 'text'"),
    ("INSERT INTO t VALUES (1, 'one')", "INSERT INTO t VALUES (2, 'two')"),
    ("UPDATE t SET a = 1e3 WHERE id = 4", "UPDATE t SET a = 5 WHERE id = 6"),
    ("/* app */ SELECT 1", "/* app */ SELECT 2"),
])
def test_shape_is_the_same_for_statements_differing_only_in_literals(first: str,
                                                                      second: str) -> None:
    assert shape(first) is not None
    assert shape(first) == shape(second)


def test_shape_replaces_constants_with_placeholders() -> None:
    assert shape("SELECT * FROM t WHERE id = 7 AND name = 'x'") == \
        "SELECT * FROM t WHERE id = ? AND name = ?"


@pytest.mark.parametrize("sql", [
    "SET search_path TO app", "SET statement_timeout = 5000", "RESET ALL", "BEGIN",
    "BEGIN READ ONLY", "COMMIT", "SHOW search_path", "EXPLAIN SELECT 1", "LISTEN jobs",
    "CREATE TABLE t (a int)", "COPY t TO STDOUT", "DISCARD ALL",
])
def test_shape_is_none_where_a_literal_may_matter(sql: str) -> None:
    assert shape(sql) is None


def test_shape_keeps_comments_and_quoted_identifiers() -> None:
    assert shape("/* pgha:primary */ SELECT 1") == "/* pgha:primary */ SELECT ?"
    assert shape("/* pgha:primary */ SELECT 1") != shape("/* pgha:standby */ SELECT 1")
    assert shape("-- note 42\nSELECT 42") == "-- note 42\nSELECT ?"
    assert shape('SELECT "col 1", "x""2" FROM "t 3" WHERE a = 3') == \
        'SELECT "col 1", "x""2" FROM "t 3" WHERE a = ?'
    assert shape('SELECT "1" FROM t') != shape('SELECT "2" FROM t')
    # digits inside identifiers are not constants
    assert shape("SELECT col1 FROM t2 WHERE c3 = 4") == "SELECT col1 FROM t2 WHERE c3 = ?"


def test_a_new_literal_reuses_the_decision_without_parsing(
        monkeypatch: pytest.MonkeyPatch) -> None:
    first = classify("SELECT * FROM router_table_cache WHERE id = 1 AND tag = 'first'")
    write = classify("INSERT INTO router_table_cache VALUES (1, 'first')")
    assert first.standby_ok
    assert not write.standby_ok

    def no_parse(sql: str) -> None:
        raise AssertionError(f"parsed again: {sql}")

    monkeypatch.setattr(classify_module, "_classify", no_parse)
    again = classify("SELECT * FROM router_table_cache WHERE id = 982451653 AND tag = 'new'")
    assert again == first
    assert classify("INSERT INTO router_table_cache VALUES (31337, 'new')") == write


def test_the_cached_decision_routes_like_the_first() -> None:
    state, view = committed(LATE_COMMIT)(), STANDBY_UP
    first = route(classify("SELECT * FROM t WHERE id = 424242"), state, view)
    again = route(classify("SELECT * FROM t WHERE id = 434343"), state, view)
    assert first == again
    assert (again.target, again.wait_lsn) == (Target.STANDBY, LATE_COMMIT)


@pytest.mark.parametrize("sql", [
    "SELECT * FROM pg_replication_status",
    "select node_id, lag_bytes from pg_replication_standbys where state <> 'synced'",
    "SELECT s.role, p.lag_ms FROM pg_replication_status s LEFT JOIN pg_replication_primary p "
    "ON true",
    "WITH h AS (SELECT * FROM pg_replication_history) SELECT max(term) FROM h",
])
def test_the_proxy_reads_the_replication_views_on_the_primary(sql: str) -> None:
    # Their rows are per node: only the primary's cover every member of the cluster.
    proxy = View(standby=True, views_on_primary=True)
    got = route(classify(sql), fresh(), proxy)
    assert got.target is Target.PRIMARY and "whole cluster" in got.reason
    assert route(classify(sql), routed("standby")(), proxy).target is Target.PRIMARY
    assert route(classify(sql), busy(Target.STANDBY)(), proxy).target is Target.CURRENT
    assert route(classify(sql), fresh(), STANDBY_UP).target is Target.STANDBY  # a node: its own
