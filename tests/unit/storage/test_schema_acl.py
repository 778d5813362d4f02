"""Schema ACLs (``privileges``): what a role holds in a schema's ACL, the default ACL, how
ALTER SCHEMA ... OWNER TO rewrites it; pure, table-driven."""

from __future__ import annotations

import pytest

from pgha.storage import privileges
from pgha.storage.namespaces import Schema
from pgha.storage.privileges import PUBLIC, AclItem, Grants

ALICE, BOB, GRP, OWNER = 16384, 16385, 16386, 10
NAMES = {ALICE: "alice", BOB: "bob", GRP: "grp", OWNER: "postgres"}


def test_a_schema_never_granted_on_is_its_owners() -> None:
    schema = Schema(16390, "s", "alice", ALICE)
    assert [i.text(NAMES) for i in privileges.schema_items(schema)] == ["alice=UC/alice"]
    assert privileges.schema_acl_texts(schema, NAMES) is None  # nspacl NULL


@pytest.mark.parametrize(("acl", "roles", "held"), [
    ([[OWNER, OWNER, "UC", ""]], {ALICE}, ("", "")),
    ([[OWNER, OWNER, "UC", ""], [PUBLIC, OWNER, "U", ""]], {ALICE}, ("U", "")),
    ([[OWNER, OWNER, "UC", ""], [GRP, OWNER, "UC", "U"]], {ALICE, GRP}, ("UC", "U")),
    ([[OWNER, OWNER, "C", ""]], {OWNER}, ("C", "UC")),  # the owner may always grant
])
def test_held(acl: list[list[object]], roles: set[int], held: tuple[str, str]) -> None:
    items = [AclItem(*item) for item in acl]  # type: ignore[arg-type]
    assert privileges._held(items, OWNER, frozenset(roles)) == held


def test_on_schema() -> None:
    grants = Grants(ALICE, False, frozenset({ALICE}), {"s": ("U", ""), "public": ("", "")})
    assert [grants.on_schema(n) for n in ("s", "public", "pg_catalog", "pg_temp", "t")] == [
        "U", "", "U", "UC", ""]
    assert Grants(0, True, frozenset()).on_schema("s") == "UC"


def test_a_new_owner_takes_the_old_owners_items() -> None:
    items = [AclItem(OWNER, OWNER, "UC"), AclItem(ALICE, OWNER, "U", "U"),
             AclItem(BOB, ALICE, "U")]
    moved = privileges.new_owner_items(items, OWNER, ALICE)
    assert [i.text(NAMES) for i in moved] == ["alice=U*C/alice", "bob=U/alice"]
