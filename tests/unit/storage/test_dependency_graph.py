"""What a view records that it reads (``View.depends``), the order ``dependencies.Graph``
finds dependents in, and the view texts a rename writes (``dependencies.renamed``), table by
table against an in-process engine. (Messages against PostgreSQL 15:
tests/integration/test_dependencies.py.)"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from pgha.storage import dependencies
from pgha.storage.catalog import Catalog, View
from pgha.storage.engine import Engine, StorageSession

SCHEMA = [
    "CREATE TABLE t (id serial PRIMARY KEY, a int, b text)",
    "CREATE TABLE u (id int, t_id int REFERENCES t)",
    "CREATE SEQUENCE s",
    "CREATE VIEW v_cols AS SELECT a FROM t WHERE id > 0",
    "CREATE VIEW v_count AS SELECT count(*) FROM t",
    "CREATE VIEW v_star AS SELECT * FROM t",
    "CREATE VIEW v_view AS SELECT a FROM v_cols",
    "CREATE VIEW v_join AS SELECT u.id FROM t JOIN u USING (id)",
    "CREATE VIEW v_seq AS SELECT nextval('s') AS n",
    "CREATE VIEW v_sub AS SELECT id FROM u WHERE EXISTS (SELECT 1 FROM t WHERE t.b = 'x')",
]


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StorageSession]:
    engine = Engine(Path(tmp_path_factory.mktemp("deps")) / "db", durable=False)
    s = engine.open_session()
    for sql in SCHEMA:
        s.execute(s.parse(sql)[0])
    yield s
    s.close()


def _catalog(session: StorageSession) -> Catalog:
    return Catalog.load(session.conn, -1)


def _attnums(catalog: Catalog, depends: list[list[int]]) -> set[str]:
    out = set()
    for oid, attnum in depends:
        rel = catalog.by_oid[oid]
        cols = getattr(rel, "columns", [])
        out.add(rel.name + "".join(f".{c.name}" for c in cols if c.attnum == attnum))
    return out


@pytest.mark.parametrize(("view", "reads"), [
    ("v_cols", {"t.a", "t.id"}),
    ("v_count", {"t"}),  # no column named: the relation
    ("v_star", {"t.id", "t.a", "t.b"}),
    ("v_view", {"v_cols.a"}),  # a view's column, as PostgreSQL records it
    ("v_join", {"t.id", "u.id"}),  # the USING column of both sides
    ("v_seq", {"s"}),  # named in a constant
    ("v_sub", {"u.id", "t.b"}),
])
def test_what_a_view_depends_on(session: StorageSession, view: str, reads: set[str]) -> None:
    catalog = _catalog(session)
    rel = catalog.by_name[view]
    assert isinstance(rel, View) and rel.depends is not None
    assert _attnums(catalog, rel.depends) == reads
    rel.depends = None  # a view of an older catalog: worked out from its text alike
    assert _attnums(catalog, dependencies.view_references(catalog, session._system, rel)) \
        == reads


def test_dependents_in_postgresql_order(session: StorageSession) -> None:
    catalog = _catalog(session)
    graph = dependencies.Graph(catalog, session._system)
    found = graph.find([("rel", catalog.by_name["t"].oid)])
    lines = [f"{graph.describe(obj)} depends on {graph.describe(via)}"
             for obj, via in reversed(found.dependents)]
    assert lines == [
        "constraint u_t_id_fkey on table u depends on table t",
        "view v_cols depends on table t",
        "view v_view depends on view v_cols",
        "view v_count depends on table t",
        "view v_star depends on table t",
        "view v_join depends on table t",
        "view v_sub depends on table t",
    ]
    # Deleted in the walk's order: a view before the view it reads.
    order = [graph.describe(obj) for obj, _ in found.dependents]
    assert order.index("view v_view") < order.index("view v_cols")


def test_a_table_dropped_with_its_referencing_table_reports_no_foreign_key(
        session: StorageSession) -> None:
    catalog = _catalog(session)
    graph = dependencies.Graph(catalog, session._system)
    found = graph.find([("rel", catalog.by_name["u"].oid), ("rel", catalog.by_name["t"].oid)])
    assert not any(obj[0] == "con" for obj, _ in found.dependents)


@pytest.mark.parametrize(("view", "column", "new", "text"), [
    ("v_cols", "a", "aa", "SELECT aa AS a FROM t WHERE id > 0"),
    ("v_cols", "id", "ident", "SELECT a FROM t WHERE ident > 0"),
    ("v_sub", "b", "bb", "SELECT id FROM u WHERE EXISTS (SELECT 1 FROM t WHERE t.bb = 'x')"),
    ("v_cols", "", "t2", "SELECT a FROM t2 WHERE id > 0"),
    ("v_sub", "", "t2", "SELECT id FROM u WHERE EXISTS (SELECT 1 FROM t2 WHERE t2.b = 'x')"),
])
def test_renamed_view_texts(session: StorageSession, view: str, column: str, new: str,
                            text: str) -> None:
    catalog = _catalog(session)
    table = catalog.by_name["t"]
    attnum = next((c.attnum for c in getattr(table, "columns", []) if c.name == column), 0)
    rel = catalog.by_name[view]
    assert isinstance(rel, View)
    assert dependencies.renamed(catalog, session._system, rel, table.oid, attnum, new) == text


def test_renamed_sequence_constant(session: StorageSession) -> None:
    catalog = _catalog(session)
    rel = catalog.by_name["v_seq"]
    assert isinstance(rel, View)
    assert dependencies.renamed(catalog, session._system, rel, catalog.by_name["s"].oid, 0,
                                "s2") == "SELECT nextval('s2') AS n"
