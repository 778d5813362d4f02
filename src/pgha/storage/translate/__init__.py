"""PostgreSQL DML and queries -> SQLite SQL, with PostgreSQL's result and parameter types.

A statement goes through two passes over pglast's AST:

1. ``Analyzer`` (``analyzer`` and its mixins ``relations``, ``srf``, ``expressions``,
   ``operators``, ``dml``) resolves names against the catalog (``scope``), infers the
   PostgreSQL type of every expression (``signatures``, ``datetimes``), names result columns
   as PostgreSQL's FigureColname does (``colname``), checks grouping (``grouping``), infers
   parameter types from context (asyncpg relies on this), expands column defaults for INSERT,
   and decides how each node must be rewritten.
2. ``SqliteStream`` (``stream``, a pglast ``RawStream``) prints SQLite SQL; it overrides only
   the nodes whose SQLite spelling or semantics differ, with the printers of ``print_values``,
   ``print_operators``, ``print_functions``, ``print_queries`` and ``print_dml``.

The result is a ``Translation`` (``translation``): cached by the engine per statement text, so
neither pass runs on the hot path. Submodules import each other by their full names, never
this package's names, so importing any one of them does not loop back here.
"""

from pgha.storage.columns import ColInfo, ResultColumn, TypeRef
from pgha.storage.translate.analyzer import Analyzer
from pgha.storage.translate.colname import figure_colname
from pgha.storage.translate.print_values import sql_literal
from pgha.storage.translate.scope import RangeEntry, Scope, SystemRelations, undefined_table
from pgha.storage.translate.signatures import UNKNOWN
from pgha.storage.translate.stream import SqliteStream
from pgha.storage.translate.translation import (
    Translation,
    WriteStep,
    references,
    translate,
    translate_expression,
)

__all__ = [
    "UNKNOWN",
    "Analyzer",
    "ColInfo",
    "RangeEntry",
    "ResultColumn",
    "Scope",
    "SqliteStream",
    "SystemRelations",
    "Translation",
    "TypeRef",
    "WriteStep",
    "figure_colname",
    "references",
    "sql_literal",
    "translate",
    "translate_expression",
    "undefined_table",
]
