"""Which objects depend on which, and what DROP ... RESTRICT / CASCADE does about it, as
PostgreSQL 15's dependency.c finds (``findDependentObjects``) and reports
(``reportDependentObjects``) them.

pgha keeps no pg_depend table: the dependencies are read from the catalog. A view depends on the
relations and table columns its query reads (``View.depends``, recorded when it is made), a
foreign key on the table it references, a column default on the sequences its ``nextval``
names. A table's own indexes, constraints, defaults and owned sequences go with it silently
(PostgreSQL's automatic dependencies); only the others are reported.

Invariants: dependents are visited newest first (PostgreSQL sorts them by OID descending) and
reported in the reverse of the order they are deleted in, so the DETAIL lines come out in
PostgreSQL's order; an object is visited once, from the first object that reaches it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from pglast import ast, parse_sql
from pglast.stream import RawStream

from pgha.storage import catalog as cat
from pgha.storage import namespaces
from pgha.storage.catalog import Catalog, Sequence, Table, View
from pgha.storage.functions.regclass import regclass_lookup
from pgha.storage.translate import Analyzer, SystemRelations
from pgha.storage.translate.scope import Scope
from pgha.storage.translate.translation import references
from pgha.wire.errors import DependentObjectsStillExist, FeatureNotSupported, Notice, PgError

HINT = "Use DROP ... CASCADE to drop the dependent objects too."
MAX_REPORTED = 100  # PostgreSQL's MAX_REPORTED_DEPS

# An object a DROP may reach: ("rel", oid) a table, view or sequence; ("col", oid, attnum) a
# table column; ("con", oid) a constraint; ("def", table oid, attnum) a column default;
# ("nsp", name) a schema; ("idx", table oid, key) an index (only named in reports).
Obj = tuple[Any, ...]

_WORDS = {"r": "table", "v": "view", "S": "sequence"}
_NEXTVAL = re.compile(r"nextval\('((?:[^']|'')*)'(?:::regclass)?\)")


@dataclass(frozen=True, slots=True)
class _Dependent:
    obj: Obj
    order: int  # visited by this, descending (PostgreSQL: the dependent's OID)
    via: Obj | None = None  # the object it is reported to depend on, when not the visited one


@dataclass(frozen=True, slots=True)
class Found:
    """The objects a DROP of ``roots`` takes along, deletion order first (dependents before
    what they depend on), each with the object it was reached from."""

    roots: tuple[Obj, ...]
    dependents: tuple[tuple[Obj, Obj], ...]


class Graph:
    """The dependencies among the relations of one catalog snapshot."""

    def __init__(self, catalog: Catalog, system: SystemRelations,
                 path: tuple[str, ...] = namespaces.DEFAULT_PATH) -> None:
        self.catalog = catalog
        self.path = path
        self.views: list[tuple[View, list[list[int]]]] = [
            (v, view_references(catalog, system, v)) for v in catalog.by_oid.values()
            if isinstance(v, View)]

    # -- reading the catalog ----------------------------------------------------------------

    def views_on(self, oid: int, attnum: int | None = None) -> list[View]:
        """The views that read relation ``oid`` (only column ``attnum`` when given)."""
        return [v for v, refs in self.views
                if any(r[0] == oid and (attnum is None or r[1] == attnum) for r in refs)]

    def views_after(self, oid: int) -> list[View]:
        """The views that read relation ``oid`` directly or through other views, oldest
        first (the order they can be made again in)."""
        found: dict[int, View] = {}
        todo = [oid]
        while todo:
            for view in self.views_on(todo.pop()):
                if view.oid not in found:
                    found[view.oid] = view
                    todo.append(view.oid)
        return sorted(found.values(), key=lambda v: v.oid)

    def defaults_using(self, seq: Sequence) -> Iterator[tuple[Table, cat.Column]]:
        """The column defaults that call nextval of ``seq``."""
        for table in self.catalog.tables():
            for col in table.columns:
                if col.default and any(self.names(m, seq)
                                       for m in _NEXTVAL.findall(col.default)):
                    yield table, col

    def names(self, literal: str, seq: Sequence) -> bool:
        """Whether a nextval argument (its SQL literal's contents) names ``seq``."""
        try:
            return regclass_lookup(self.catalog, literal.replace("''", "'"), self.path) \
                == seq.oid
        except PgError:
            return False

    def renamed_default(self, text: str, seq: Sequence, new: str) -> str:
        """A column default calling nextval of ``seq`` once it is keyed ``new``."""
        return _NEXTVAL.sub(lambda m: f"nextval('{new}'::regclass)"
                            if self.names(m.group(1), seq) else m.group(0), text)

    def _dependents(self, obj: Obj) -> list[_Dependent]:
        catalog = self.catalog
        kind = obj[0]
        out: list[_Dependent] = []
        if kind == "nsp":
            for rel in catalog.by_oid.values():
                if catalog.split(rel.name)[0] == obj[1] and rel.oid < cat.FIRST_TEMP_OID and \
                        not (isinstance(rel, Sequence) and rel.owned_by is not None):
                    out.append(_Dependent(("rel", rel.oid), rel.oid))
            return out
        if kind == "col":
            return [_Dependent(("rel", v.oid), v.oid) for v in self.views_on(obj[1], obj[2])] \
                + self._keys_on_column(obj[1], obj[2])
        if kind == "con":
            return self._keys_on_key(obj[1])
        if kind != "rel":
            return out
        rel = catalog.by_oid[obj[1]]
        out += [_Dependent(("rel", v.oid), v.oid) for v in self.views_on(rel.oid)]
        if isinstance(rel, Table):
            for other in catalog.tables():
                out += [_Dependent(("con", con.oid), con.oid) for con in other.constraints
                        if con.kind == "f" and con.ref_table == rel.name and other is not rel]
            for seq in self.owned_sequences(rel):  # (they go with the table, unreported)
                out += [_Dependent(d.obj, d.order, ("rel", seq.oid))
                        for d in self._dependents(("rel", seq.oid))
                        if d.obj[0] != "def" or d.obj[1] != rel.oid]
        if isinstance(rel, Sequence):
            out += [_Dependent(("def", table.oid, col.attnum), table.oid)
                    for table, col in self.defaults_using(rel)]
        return out

    def _keys_on_column(self, oid: int, attnum: int) -> list[_Dependent]:
        """The foreign keys that reference column ``attnum`` of table ``oid`` (one of the
        table's own that also has the column among its own columns goes with the column)."""
        table = self.catalog.by_oid[oid]
        assert isinstance(table, Table)
        col = next(c for c in table.columns if c.attnum == attnum)
        return [_Dependent(("con", con.oid), con.oid) for other in self.catalog.tables()
                for con in other.constraints
                if con.kind == "f" and con.ref_table == table.name and col.name in
                con.ref_columns and not (other is table and col.name in con.columns)]

    def _keys_on_key(self, oid: int) -> list[_Dependent]:
        """The foreign keys that rely on PRIMARY KEY or UNIQUE constraint ``oid`` (reported, as
        PostgreSQL does, as depending on its index)."""
        table, key = self.catalog.constraint_oids[oid]
        index = next((i for i in table.indexes if i.constraint == key.name), None)
        if key.kind not in ("p", "u") or index is None:
            return []
        return [_Dependent(("con", con.oid), con.oid, ("idx", table.oid, index.name))
                for other in self.catalog.tables() for con in other.constraints
                if con.kind == "f" and con.ref_table == table.name
                and sorted(con.ref_columns) == sorted(key.columns)]

    def owned_sequences(self, table: Table) -> list[Sequence]:
        return [s for s in self.catalog.by_oid.values() if isinstance(s, Sequence)
                and s.owned_by is not None and s.owned_by[0] == table.name]

    # -- walking ------------------------------------------------------------------------------

    def find(self, roots: list[Obj]) -> Found:
        """What dropping ``roots`` (in the order named) takes along."""
        seen = set(roots)
        order: list[tuple[Obj, Obj]] = []

        def visit(obj: Obj) -> None:
            if obj[0] == "rel" and isinstance(table := self.catalog.by_oid[obj[1]], Table):
                seen.update(("con", c.oid) for c in table.constraints)  # its own, silently
            for dep in sorted(self._dependents(obj), key=lambda d: -d.order):
                if dep.obj in seen:
                    continue
                seen.add(dep.obj)
                visit(dep.obj)
                order.append((dep.obj, dep.via or obj))

        for root in roots:
            visit(root)
        # A foreign key or default of a table that goes too is part of it (PostgreSQL marks
        # it an automatic dependent when it reaches the table, and does not report it).
        gone = {o[1] for o in (*roots, *(d for d, _ in order)) if o[0] == "rel"}
        order = [(obj, via) for obj, via in order
                 if not (obj[0] == "def" and obj[1] in gone) and not (
                     obj[0] == "con" and self.catalog.constraint_oids[obj[1]][0].oid in gone)]
        return Found(tuple(roots), tuple(order))

    # -- reporting ----------------------------------------------------------------------------

    def describe(self, obj: Obj) -> str:
        """An object as PostgreSQL's getObjectDescription names it (a relation qualified
        when the search path does not find it by its bare name)."""
        if obj[0] == "nsp":
            return f"schema {obj[1]}"
        if obj[0] == "con":
            table, con = self.catalog.constraint_oids[obj[1]]
            return f"constraint {con.name} on table {self._name(table)}"
        rel = self.catalog.by_oid[obj[1]]
        if obj[0] == "idx":
            schema, bare = self.catalog.split(obj[2])
            visible = namespaces.visible(rel.name, self.catalog.by_name, self.catalog.schemas,
                                         self.path)
            return f"index {bare if visible else f'{schema}.{bare}'}"
        if obj[0] == "rel":
            return f"{_WORDS.get(rel.kind, 'relation')} {self._name(rel)}"
        assert isinstance(rel, Table)
        col = next(c for c in rel.columns if c.attnum == obj[2])
        what = "column" if obj[0] == "col" else "default value for column"
        return f"{what} {col.name} of table {self._name(rel)}"

    def _name(self, rel: cat.Relation) -> str:
        catalog = self.catalog
        if namespaces.visible(rel.name, catalog.by_name, catalog.schemas, self.path):
            return catalog.relname(rel.name)
        return ".".join(catalog.split(rel.name))

    def check(self, found: Found, cascade: bool, notices: list[Notice]) -> None:
        """DROP's report: RESTRICT refuses when anything depends on the roots (2BP01, one
        DETAIL line per dependent), CASCADE says what goes with them (a NOTICE)."""
        if not found.dependents:
            return
        shown = list(reversed(found.dependents))
        if not cascade:
            lines = [f"{self.describe(obj)} depends on {self.describe(via)}"
                     for obj, via in shown]
            what = (f"{self.describe(found.roots[0])} because other objects depend on it"
                    if len(found.roots) == 1 else
                    "desired object(s) because other objects depend on them")
            raise DependentObjectsStillExist(f"cannot drop {what}",
                                             detail="\n".join(_capped(lines)), hint=HINT)
        if len(shown) == 1:
            notices.append(Notice("00000", f"drop cascades to {self.describe(shown[0][0])}"))
            return
        lines = [f"drop cascades to {self.describe(obj)}" for obj, _ in shown]
        notices.append(Notice("00000", f"drop cascades to {len(shown)} other objects",
                              extra={"D": "\n".join(_capped(lines))}))


def _capped(lines: list[str]) -> list[str]:
    if len(lines) <= MAX_REPORTED:
        return lines
    rest = len(lines) - MAX_REPORTED
    return [*lines[:MAX_REPORTED],
            f"and {rest} other objects (see server log for list)"]


def view_references(catalog: Catalog, system: SystemRelations, view: View) -> list[list[int]]:
    """``view.depends``, worked out from its query for a view made before it was kept."""
    if view.depends is not None:
        return view.depends
    try:
        stmt, an = analyse(catalog, system, view.query)
    except Exception:  # (a view that no longer reads back depends on nothing)
        return []
    return depends(catalog, stmt, references(an), (*catalog.schemas, "public"))


_NAMING_FUNCTIONS = frozenset({"nextval", "currval", "setval"})


def depends(catalog: Catalog, stmt: Any, reads: tuple[tuple[int, int], ...],
            path: tuple[str, ...]) -> list[list[int]]:
    """What a view of ``stmt`` depends on: what it ``reads`` (``translate.references``), and
    the relations it names in constants (``nextval('s')``, ``'t'::regclass``), which
    PostgreSQL stores as OIDs."""
    out = [list(r) for r in reads]
    named = {oid for oid in (_constant_relation(catalog, c, path)
                             for c in _relation_constants(stmt)) if oid}
    out += [[oid, 0] for oid in sorted(named - {r[0] for r in out})]
    return sorted(out)


def _relation_constants(root: Any) -> list[ast.String]:
    """The string constants of ``root`` that name a relation."""
    out = []
    for node in namespaces._nodes(root):
        arg: Any = None
        if type(node) is ast.FuncCall and node.args and \
                str(node.funcname[-1].sval) in _NAMING_FUNCTIONS:  # type: ignore[index]
            arg = node.args[0]
        elif type(node) is ast.TypeCast and node.typeName is not None and \
                str(node.typeName.names[-1].sval) == "regclass":  # type: ignore[index]
            arg = node.arg
        if isinstance(arg, ast.A_Const) and isinstance(arg.val, ast.String):
            out.append(arg.val)
    return out


def _constant_relation(catalog: Catalog, const: ast.String, path: tuple[str, ...]) -> int:
    try:
        oid = regclass_lookup(catalog, const.sval, path)
    except PgError:
        return 0
    return oid if oid in catalog.by_oid and oid < cat.FIRST_TEMP_OID else 0


def analyse(catalog: Catalog, system: SystemRelations, query: str) -> tuple[Any, Analyzer]:
    """A view's query parsed, its names made keys as when the view is made again (see
    ``schema_ddl.relocate``), and analysed: ``Analyzer.uses`` names what each column
    reference reads."""
    stmt = parse_sql(query)[0].stmt
    schemas = catalog.schemas
    namespaces.qualify(stmt, catalog.by_name, catalog.index_owner, schemas,
                       (*schemas, "public"))
    an = Analyzer(catalog, system, ())
    an.top = stmt
    if not isinstance(stmt, ast.SelectStmt):
        raise FeatureNotSupported("a view's query must be a SELECT")
    an.select(stmt, Scope())
    return stmt, an


def renamed(catalog: Catalog, system: SystemRelations, view: View, oid: int, attnum: int,
            new: str) -> str:
    """``view``'s query naming relation ``oid`` (``attnum`` 0) or its column ``attnum`` by
    ``new``, as PostgreSQL's view (bound by OID) reads it after ALTER ... RENAME; a column
    the view's output took its name from keeps that name (``t.new AS old``). 0A000 when the
    rewritten text would not read the same objects."""
    raw: Any = parse_sql(view.query)[0].stmt
    stmt, an = analyse(catalog, system, view.query)
    if attnum:
        _rename_column(raw, {node.location for node, o, a in an.uses
                             if o == oid and a == attnum and isinstance(node, ast.ColumnRef)
                             and isinstance((node.fields or ())[-1], ast.String)}, new)
    else:
        _rename_relation(raw, stmt, catalog.by_oid[oid].name, catalog, new)
    return str(RawStream()(raw))


def _rename_column(raw: Any, hits: set[int | None], new: str) -> None:
    """The column references at ``hits`` (locations) say ``new``; a select-list entry
    named after one keeps its name."""
    for target in _of_type(raw, ast.ResTarget):
        val: Any = target.val
        if isinstance(val, ast.ColumnRef) and val.location in hits and \
                target.name is None and _in_select_list(raw, target):
            last: Any = val.fields[-1] if val.fields else None
            target.name = str(last.sval)
    for ref in _of_type(raw, ast.ColumnRef):
        fields: Any = ref.fields
        if ref.location in hits and isinstance(fields[-1], ast.String):
            ref.fields = (*fields[:-1], ast.String(sval=new))


def _rename_relation(raw: Any, qualified: Any, rel_key: str, catalog: Catalog,
                     new: str) -> None:
    """The FROM items of ``raw`` that ``qualified`` (the same query, names made keys) found
    relation ``rel_key`` by say ``new``, and so do the column references qualified by the old
    name of one without an alias."""
    ctes = {str(c.ctename) for c in _of_type(qualified, ast.CommonTableExpr)}
    keyed = {rv.location for rv in _of_type(qualified, ast.RangeVar)
             if namespaces.key(rv.schemaname if rv.schemaname != "public" else None,
                               rv.relname) == rel_key
             and not (rv.schemaname is None and rv.relname in ctes)}
    renamed = [rv for rv in _of_type(raw, ast.RangeVar) if rv.location in keyed]
    for rv in renamed:
        rv.relname = new
    for const in _relation_constants(raw):
        if _constant_relation(catalog, const, (*catalog.schemas, "public")) == \
                catalog.by_name[rel_key].oid:
            schema, _, _ = str(const.sval).rpartition(".")
            const.sval = f"{schema}.{new}" if schema else new
    old = catalog.relname(rel_key)
    # Any other FROM item that old name could mean (an alias, a WITH query): left as written.
    others = {a.aliasname for a in _of_type(raw, ast.Alias)} | {
        rv.relname for rv in _of_type(raw, ast.RangeVar) if all(rv is not r for r in renamed)}
    if old in others or all(rv.alias is not None for rv in renamed):
        return
    for ref in _of_type(raw, ast.ColumnRef):
        fields: Any = ref.fields or ()
        if len(fields) >= 2 and isinstance(fields[-2], ast.String) and fields[-2].sval == old:
            ref.fields = (*fields[:-2], ast.String(sval=new), fields[-1])


def expand_stars(catalog: Catalog, system: SystemRelations, query: str,
                 reads: tuple[tuple[int, int], ...]) -> str:
    """A view's query with each ``*`` (``t.*``) over tables spelt out as the columns it stands
    for now: PostgreSQL expands it when the view is made, so a column added to the table later
    is not the view's. Left as written where a USING or NATURAL join merges columns, or where
    the text read anew does not find what the view was made from (``reads``)."""
    raw: Any = parse_sql(query)[0].stmt
    if any(j.usingClause or j.isNatural for j in _of_type(raw, ast.JoinExpr)):
        return query
    try:
        _, an = analyse(catalog, system, query)
    except PgError:
        return query
    if references(an) != reads:
        return query
    changed = False
    for sel in _of_type(raw, ast.SelectStmt):
        targets: list[Any] = []
        for target in sel.targetList or ():
            val: Any = target.val
            cols = an.star_columns.get(val.location) if isinstance(val, ast.ColumnRef) and \
                val.location is not None else None
            if cols and all(table for _, _, table in cols) and \
                    isinstance(val.fields[-1], ast.A_Star):
                targets += [ast.ResTarget(val=ast.ColumnRef(
                    fields=(ast.String(sval=item), ast.String(sval=name))))
                    for item, name, _ in cols]
                changed = True
            else:
                targets.append(target)
        sel.targetList = tuple(targets)
    return str(RawStream()(raw)) if changed else query


def _in_select_list(root: Any, target: ast.ResTarget) -> bool:
    return any(target in (sel.targetList or ()) for sel in _of_type(root, ast.SelectStmt))


def _of_type(root: Any, kind: type) -> list[Any]:
    return [n for n in namespaces._nodes(root) if type(n) is kind]
