"""The text of a view's query as PostgreSQL 15's ``pg_get_viewdef`` prints it.

PostgreSQL does not keep the text a view was created with: it stores the analysed query and
prints it back (ruleutils.c), with ``*`` expanded, every column qualified by its relation's
name or alias, constants cast to their type, one target per line and the clauses on their own
indented lines. pgha keeps the text, so it prints it back the same way for the queries it can
analyse here: a relation or a chain of joins ON ANDed column comparisons in FROM, plain
column targets and count(*), a WHERE of ANDed comparisons of a column with a constant or a
column of its type, GROUP BY and ORDER BY columns. Anything else is returned as written
(``query``), still a valid query, only not PostgreSQL's spelling of it.
"""

from __future__ import annotations

from dataclasses import dataclass

import pglast
from pglast import ast

from pgha.storage import namespaces
from pgha.storage import oids as T
from pgha.storage import types as pgtypes
from pgha.storage.catalog import Catalog, Column, Table, View

_COMPARISONS = {"=": "=", "<": "<", ">": ">", "<=": "<=", ">=": ">=", "<>": "<>", "!=": "<>"}
_INTEGERS = (T.INT2, T.INT4, T.INT8)


class _Unsupported(Exception):
    """The query uses something this printer does not handle."""


@dataclass(frozen=True, slots=True)
class _Source:
    refname: str  # what columns are qualified with: the alias, else the relation's name
    columns: list[Column]


def view_definition(catalog: Catalog, view: View, pretty: bool,
                    path: tuple[str, ...] = namespaces.DEFAULT_PATH) -> str:
    """``pg_get_viewdef(view, pretty)``: pretty drops the parentheses around comparisons; a
    relation ``path`` (the search path) does not find by its bare name prints qualified."""
    try:
        return _select(catalog, view.query, pretty, path, [c.name for c in view.columns])
    except (_Unsupported, pglast.parser.ParseError):
        return view.query


def _select(catalog: Catalog, query: str, pretty: bool, path: tuple[str, ...],
            names: list[str]) -> str:
    stmts = pglast.parse_sql(query)
    if len(stmts) != 1 or not isinstance(stmts[0].stmt, ast.SelectStmt):
        raise _Unsupported("statement")
    sel = stmts[0].stmt
    if (sel.op != pglast.enums.SetOperation.SETOP_NONE or sel.distinctClause or sel.withClause
            or sel.havingClause or sel.limitCount or sel.limitOffset or sel.lockingClause
            or sel.windowClause or sel.valuesLists or sel.intoClause):
        raise _Unsupported("clause")
    if not sel.fromClause or len(sel.fromClause) != 1:
        raise _Unsupported("from")
    sources, from_text = _from_item(catalog, sel.fromClause[0], pretty, path)
    targets = [text for target in sel.targetList or () for text in _targets(sources, target)]
    if len(targets) != len(names):
        raise _Unsupported("columns")
    # A view's column named otherwise than the column it shows (a column list, a column
    # renamed since): PostgreSQL prints the view's name for it.
    targets = [_named(text, name) for text, name in zip(targets, names, strict=True)]
    out = " SELECT " + ",\n    ".join(targets) + "\n   FROM " + from_text
    if sel.whereClause is not None:
        out += "\n  WHERE " + _condition(sources, sel.whereClause, pretty)
    if sel.groupClause:
        out += "\n  GROUP BY " + ", ".join(_column(sources, g)[0] for g in sel.groupClause)
    if sel.sortClause:
        out += "\n  ORDER BY " + ", ".join(_sort(sources, s) for s in sel.sortClause)
    return out + ";"


_JOINS = {pglast.enums.JoinType.JOIN_INNER: "JOIN", pglast.enums.JoinType.JOIN_LEFT: "LEFT JOIN",
          pglast.enums.JoinType.JOIN_RIGHT: "RIGHT JOIN",
          pglast.enums.JoinType.JOIN_FULL: "FULL JOIN"}


def _from_item(catalog: Catalog, item: ast.Node, pretty: bool, path: tuple[str, ...]
               ) -> tuple[list[_Source], str]:
    """A relation, or a left-deep chain of joins with ON conditions (each join is
    parenthesized unless pretty, as ruleutils.c prints them)."""
    if isinstance(item, ast.JoinExpr):
        kind = _JOINS.get(item.jointype) if item.jointype is not None else None
        if (kind is None or item.larg is None or item.isNatural or item.usingClause
                or item.alias is not None or item.quals is None
                or not isinstance(item.rarg, ast.RangeVar)):
            raise _Unsupported("join")
        left, left_text = _from_item(catalog, item.larg, pretty, path)
        right, right_text = _from_item(catalog, item.rarg, pretty, path)
        sources = left + right
        if len({s.refname for s in sources}) != len(sources):
            raise _Unsupported("duplicate relation name")
        on = _condition(sources, item.quals, pretty)
        text = f"{left_text}\n     {kind} {right_text} ON {on if pretty else f'({on})'}"
        return sources, text if pretty else f"({text})"
    if not isinstance(item, ast.RangeVar):
        raise _Unsupported("from")
    schema = item.schemaname
    if (schema not in (None, "public") and schema not in catalog.schemas) or not item.inh:
        raise _Unsupported("relation")
    rel = catalog.by_name.get(namespaces.key(schema, item.relname or ""))
    if not isinstance(rel, (Table, View)):
        raise _Unsupported("relation")
    alias = item.alias
    if alias is not None and alias.colnames:
        raise _Unsupported("column aliases")
    schema, bare = catalog.split(rel.name)
    name = bare if namespaces.visible(rel.name, catalog.by_name, catalog.schemas, path) \
        else f"{schema}.{bare}"
    refname = alias.aliasname if alias is not None and alias.aliasname else bare
    text = name if alias is None else f"{name} {alias.aliasname}"
    return [_Source(refname, list(rel.columns))], text


def _targets(sources: list[_Source], target: ast.Node) -> list[str]:
    if not isinstance(target, ast.ResTarget):
        raise _Unsupported("target")
    if _is_count_star(target.val):
        return ["count(*)" + (f" AS {target.name}" if target.name not in (None, "count") else "")]
    if not isinstance(target.val, ast.ColumnRef):
        raise _Unsupported("target")
    fields = target.val.fields or ()
    if isinstance(fields[-1], ast.A_Star):
        if target.name or len(fields) > 2:
            raise _Unsupported("star")
        chosen = sources if len(fields) == 1 else [
            s for s in sources if s.refname == fields[0].sval]
        if not chosen:
            raise _Unsupported("star")
        return [f"{s.refname}.{col.name}" for s in chosen for col in s.columns]
    text, col = _column(sources, target.val)
    if target.name and target.name != col.name:
        text += f" AS {target.name}"
    return [text]


def _named(text: str, name: str) -> str:
    """A select-list entry printed for view column ``name``: ``AS name`` unless the entry's
    own name is that."""
    base = text.split(" AS ", 1)[0]
    own = "count" if base == "count(*)" else base.rsplit(".", 1)[-1]
    return base if own == name else f"{base} AS {name}"


def _is_count_star(node: ast.Node | None) -> bool:
    return (isinstance(node, ast.FuncCall) and bool(node.agg_star) and not node.agg_distinct
            and node.agg_filter is None and node.over is None
            and [n.sval for n in node.funcname or ()] in (["count"], ["pg_catalog", "count"]))


def _column(sources: list[_Source], node: ast.Node | None) -> tuple[str, Column]:
    if not isinstance(node, ast.ColumnRef):
        raise _Unsupported("not a column")
    fields = node.fields or ()
    names = [str(f.sval) for f in fields if isinstance(f, ast.String)]
    if len(names) != len(fields) or len(names) > 2:
        raise _Unsupported("column")
    if not names[-1].islower() or not names[-1].isidentifier():
        raise _Unsupported("quoted name")
    candidates = [s for s in sources if len(names) == 1 or s.refname == names[0]]
    found = [(s, col) for s in candidates for col in s.columns if col.name == names[-1]]
    if len(found) != 1:
        raise _Unsupported("column")
    source, col = found[0]
    return f"{source.refname}.{col.name}", col


def _sort(sources: list[_Source], node: ast.Node) -> str:
    if not isinstance(node, ast.SortBy) or node.useOp or node.sortby_nulls:
        raise _Unsupported("sort")
    text = _column(sources, node.node)[0]
    if node.sortby_dir == pglast.enums.SortByDir.SORTBY_DESC:
        return text + " DESC"
    if node.sortby_dir != pglast.enums.SortByDir.SORTBY_DEFAULT:
        raise _Unsupported("sort direction")
    return text


def _condition(sources: list[_Source], node: ast.Node, pretty: bool) -> str:
    if isinstance(node, ast.BoolExpr) and node.boolop == pglast.enums.BoolExprType.AND_EXPR:
        text = " AND ".join(_condition(sources, arg, pretty) for arg in node.args or ())
        return text if pretty else f"({text})"
    if not (isinstance(node, ast.A_Expr) and node.kind == pglast.enums.A_Expr_Kind.AEXPR_OP):
        raise _Unsupported("condition")
    name = node.name or ()
    op = _COMPARISONS.get(name[-1].sval) if len(name) == 1 else None
    if op is None:
        raise _Unsupported("operator")
    left, col = _column(sources, node.lexpr)
    if isinstance(node.rexpr, ast.ColumnRef):
        right, other = _column(sources, node.rexpr)
        if (other.type_oid, other.typmod) != (col.type_oid, col.typmod):
            raise _Unsupported("comparison of different types")
    elif isinstance(node.rexpr, ast.A_Const):
        right = _constant(col, node.rexpr, pretty)
    else:
        raise _Unsupported("constant")
    text = f"{left} {op} {right}"
    return text if pretty else f"({text})"


def _constant(col: Column, node: ast.A_Const, pretty: bool) -> str:
    """A constant compared with ``col``, as PostgreSQL prints it after coercing it to the
    column's type: an integer as is for an integer column, cast otherwise."""
    if node.isnull:
        raise _Unsupported("constant")
    val = node.val
    if isinstance(val, ast.Integer) and val.ival is not None and val.ival >= 0:
        if col.type_oid in _INTEGERS:
            return str(val.ival)
        if col.type_oid == T.NUMERIC and col.typmod == -1:
            return f"{val.ival}::numeric" if pretty else f"({val.ival})::numeric"
    if isinstance(val, ast.String) and val.sval is not None and col.type_oid == T.TEXT \
            and "\\" not in val.sval:
        quoted = val.sval.replace("'", "''")
        return f"'{quoted}'::{pgtypes.format_type(T.TEXT, -1)}"
    raise _Unsupported("constant type")
