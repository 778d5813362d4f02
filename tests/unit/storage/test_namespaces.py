"""Relation keys and search_path resolution (``namespaces``): pure, table-driven."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from pglast import parse_sql
from pglast.stream import RawStream

from pgha.storage import namespaces
from pgha.storage.namespaces import Schema
from pgha.wire.errors import FeatureNotSupported, InsufficientPrivilege, InvalidSchemaName

SCHEMAS = {"s": Schema(16384, "s", "postgres"), "alice": Schema(16385, "alice", "alice")}
RELATIONS: dict[str, Any] = {k: SimpleNamespace(oid=16400 + i) for i, k in enumerate(
    ["t", "only_public", "s.t", "s.only_s", "alice.mine", "s.t_pkey"])}
RELATIONS["tmp"] = SimpleNamespace(oid=3_000_000_001)  # a temporary table


@pytest.mark.parametrize(("key", "expected"), [
    ("t", ("public", "t")), ("s.t", ("s", "t")), ("s.a.b", ("s", "a.b")),
    ("nope.t", ("public", "nope.t")),  # a public relation whose name holds a dot
])
def test_split(key: str, expected: tuple[str, str]) -> None:
    assert namespaces.split(key, SCHEMAS) == expected


@pytest.mark.parametrize(("setting", "user", "expected"), [
    ('"$user", public', "postgres", ("public",)),
    ('"$user", public', "alice", ("alice", "public")),
    ("s, public", "postgres", ("s", "public")),
    ("nowhere, s", "postgres", ("s",)),
    ("S, s, public, pg_temp", "postgres", ("s", "public")),
    ('"a, b", s', "postgres", ("s",)),
    ('"S", pg_catalog, s', "postgres", ("pg_catalog", "s")),
    ("", "postgres", ()),
])
def test_search_path_lists_existing_schemas(setting: str, user: str,
                                            expected: tuple[str, ...]) -> None:
    assert namespaces.search_path(setting, user, SCHEMAS) == expected


@pytest.mark.parametrize(("name", "quoted"), [
    ("public", "public"), ("$user", '"$user"'), ("My", '"My"'), ("a, b", '"a, b"'),
    ('x"y', '"x""y"'),
])
def test_quote(name: str, quoted: str) -> None:
    assert namespaces.quote(name) == quoted
    assert namespaces.path_entries(quoted) == [name]


def _qualified(sql: str, path: tuple[str, ...]) -> str:
    node = parse_sql(sql)[0].stmt
    namespaces.qualify(node, RELATIONS, {"s.t_pkey": object()}, SCHEMAS, path)
    return str(RawStream()(node))


@pytest.mark.parametrize(("sql", "path", "expected"), [
    ("SELECT * FROM t", ("public",), "SELECT * FROM t"),
    ("SELECT * FROM t", ("s", "public"), 'SELECT * FROM "s.t" AS t'),
    ("SELECT * FROM only_public", ("s", "public"), "SELECT * FROM only_public"),
    ("SELECT * FROM public.t", ("s", "public"), "SELECT * FROM public.t"),
    ("SELECT s.t.x, t.y FROM s.t", ("public",), 'SELECT t.x, t.y FROM "s.t" AS t'),
    ("SELECT * FROM s.t u", ("public",), 'SELECT * FROM "s.t" AS u'),
    ("SELECT * FROM tmp", ("s", "public"), "SELECT * FROM tmp"),  # pg_temp comes first
    ("WITH t AS (SELECT 1) SELECT * FROM t", ("s", "public"),
     "WITH t AS (SELECT 1) SELECT * FROM t"),
    ("SELECT * FROM mine", ("alice", "public"), 'SELECT * FROM "alice.mine" AS mine'),
    ("CREATE TABLE n (a int)", ("s", "public"), 'CREATE TABLE "s.n" (a integer)'),
    ("CREATE TABLE public.n (a int)", ("s", "public"), "CREATE TABLE public.n (a integer)"),
    ("CREATE TABLE s.n (a int REFERENCES t)", ("public",),
     'CREATE TABLE "s.n" (a integer REFERENCES t)'),
    ("CREATE INDEX i ON s.t (a)", ("public",), 'CREATE INDEX "s.i" ON "s.t" AS t (a)'),
    ("DROP TABLE s.t, t", ("s", "public"), 'DROP TABLE "s.t", "s.t"'),
    ("DROP INDEX t_pkey", ("s",), 'DROP INDEX "s.t_pkey"'),
    ("ALTER TABLE s.t RENAME TO u", ("public",), 'ALTER TABLE "s.t" AS t RENAME TO "s.u"'),
])
def test_qualify_rewrites_names_to_keys(sql: str, path: tuple[str, ...], expected: str) -> None:
    assert _qualified(sql, path) == expected


def test_a_public_relation_off_the_path_is_hidden() -> None:
    node = parse_sql("SELECT * FROM only_public")[0].stmt
    namespaces.qualify(node, RELATIONS, {}, SCHEMAS, ("s",))
    assert node.fromClause[0].schemaname == ""  # (fails as "relation ... does not exist")


def test_qualify_leaves_a_public_only_database_alone() -> None:
    node = parse_sql("SELECT * FROM nowhere.t")[0].stmt
    before = str(RawStream()(node))
    namespaces.qualify(node, RELATIONS, {}, {}, ("public",))
    assert str(RawStream()(node)) == before


@pytest.mark.parametrize(("sql", "path", "error"), [
    ("CREATE TABLE nowhere.n (a int)", ("public",), InvalidSchemaName),
    ("CREATE TABLE n (a int)", ("pg_catalog",), InvalidSchemaName),
    ("CREATE TABLE n (a int)", (), InvalidSchemaName),
    ("DROP TABLE nowhere.t", ("public",), InvalidSchemaName),
    ('CREATE TABLE "s.x" (a int)', ("public",), FeatureNotSupported),
])
def test_qualify_refuses(sql: str, path: tuple[str, ...], error: type[Exception]) -> None:
    with pytest.raises(error):
        _qualified(sql, path)


@pytest.mark.parametrize(("key", "path", "expected"), [
    ("s.t", ("s", "public"), True), ("t", ("s", "public"), False),
    ("t", ("public", "s"), True), ("s.only_s", ("public", "s"), True),
    ("s.t", ("public",), False),
])
def test_visible(key: str, path: tuple[str, ...], expected: bool) -> None:
    assert namespaces.visible(key, RELATIONS, SCHEMAS, path) is expected


@pytest.mark.parametrize(("sql", "refused"), [
    ("SELECT * FROM s.t", "s"),
    ("SELECT * FROM s.nosuch", "s"),  # refused before the relation is looked up
    ("SELECT * FROM public.t JOIN s.only_s USING (id)", "s"),
    ("SELECT * FROM public.t", "public"),
    ("DROP TABLE s.t", "s"),
    ("DROP TABLE IF EXISTS s.nosuch", "s"),
    ("CREATE INDEX ON s.t (a)", "s"),
    ("SELECT * FROM t", None),  # unqualified: the path holds only usable schemas
    ("SELECT * FROM alice.mine", None),
    ("SELECT * FROM pg_catalog.pg_class", None),
    ("SELECT * FROM nowhere.t", None),  # no such schema: reported where it is used
    ("CREATE TABLE s.x (a int)", None),  # CREATE, not USAGE, is the DDL's to check
])
def test_qualify_refuses_a_schema_without_usage(sql: str, refused: str | None) -> None:
    node = parse_sql(sql)[0].stmt
    usable = {"alice", "pg_catalog"}

    def run() -> None:
        namespaces.qualify(node, RELATIONS, {}, SCHEMAS, ("alice",), usable.__contains__)

    if refused is None:
        run()
        return
    with pytest.raises(InsufficientPrivilege, match=f"^permission denied for schema {refused}$"):
        run()
