"""Pass 2: ``SqliteStream`` (a pglast ``RawStream``) prints SQLite SQL for an analysed
statement; it overrides only the nodes whose SQLite spelling or semantics differ, through the
``OVERRIDES`` table of printers from the ``print_*`` modules.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pglast import ast
from pglast.stream import RawStream

from pgha.storage import oids as T
from pgha.storage.columns import TypeRef
from pgha.storage.translate.print_dml import (
    _p_column_ref,
    _p_cte,
    _p_delete,
    _p_insert,
    _p_set_default,
    _p_update,
)
from pgha.storage.translate.print_functions import _p_func, _p_svf
from pgha.storage.translate.print_operators import (
    _p_aexpr,
    _p_array,
    _p_boolean_test,
    _p_indirection,
    _p_minmax,
    _p_null_test,
    _p_row,
)
from pgha.storage.translate.print_queries import (
    _p_collate,
    _p_range_function,
    _p_range_subselect,
    _p_rangevar,
    _p_res_target,
    _p_select,
    _p_sortby,
    _p_sublink,
)
from pgha.storage.translate.print_values import _p_cast, _p_const, _p_param
from pgha.storage.translate.signatures import UNKNOWN

if TYPE_CHECKING:
    from pgha.storage.translate.analyzer import Analyzer


class SqliteStream(RawStream):
    """Pass 2: print SQLite SQL for an analysed statement."""

    def __init__(self, analyzer: Analyzer) -> None:
        super().__init__()
        self.an = analyzer
        self.returning_target: set[str] = set()
        self.multisets = 0  # EXCEPT ALL / INTERSECT ALL printed so far
        self.int_wrapping: set[int] = set()  # integer arithmetic being printed inside its check

    def print_node(self, node: Any, is_name: bool = False, is_symbol: bool = False) -> None:
        if not is_name and id(node) in self.an.to_numeric:
            self.write("pg_num(")
            self._print_node(node, is_name, is_symbol)
            self.write(")")
            return
        if not is_name and id(node) in self.an.to_float:
            self.write("pg_cast(")
            self._print_node(node, is_name, is_symbol)
            self.write(f", {T.NUMERIC}, {self.an.to_float[id(node)]}, -1)")
            return
        self._print_node(node, is_name, is_symbol)

    def _print_node(self, node: Any, is_name: bool, is_symbol: bool) -> None:
        handler = OVERRIDES.get(type(node))
        if handler is not None and not is_name and handler(self, node):
            self.separator()
            return
        super().print_node(node, is_name, is_symbol)

    def type_of(self, node: Any) -> TypeRef:
        return self.an.types.get(id(node), UNKNOWN)

    def call(self, fn: str, *args: Any) -> None:
        self.write(fn + "(")
        for i, a in enumerate(args):
            if i:
                self.write(", ")
            if isinstance(a, str):
                self.write(a)
            else:
                self.print_node(a)
        self.write(")")


OVERRIDES: dict[type, Callable[[SqliteStream, Any], bool]] = {
    ast.ParamRef: _p_param,
    ast.A_Const: _p_const,
    ast.TypeCast: _p_cast,
    ast.FuncCall: _p_func,
    ast.A_Expr: _p_aexpr,
    ast.SQLValueFunction: _p_svf,
    ast.RangeVar: _p_rangevar,
    ast.CollateClause: _p_collate,
    ast.SortBy: _p_sortby,
    ast.SelectStmt: _p_select,
    ast.ResTarget: _p_res_target,
    ast.RangeSubselect: _p_range_subselect,
    ast.RangeFunction: _p_range_function,
    ast.A_ArrayExpr: _p_array,
    ast.A_Indirection: _p_indirection,
    ast.SubLink: _p_sublink,
    ast.MinMaxExpr: _p_minmax,
    ast.SetToDefault: _p_set_default,
    ast.BooleanTest: _p_boolean_test,
    ast.RowExpr: _p_row,
    ast.NullTest: _p_null_test,
    # data-modifying statements (print_dml)
    ast.CommonTableExpr: _p_cte,
    ast.InsertStmt: _p_insert,
    ast.ColumnRef: _p_column_ref,
    ast.UpdateStmt: _p_update,
    ast.DeleteStmt: _p_delete,
}
