"""Array functions and operators on pgha's array storage (the JSON text of the elements):
subscripts (int2vector and oidvector too), ANY/ALL, ``||``, ``@>``/``<@`` (of JSON documents
as well), and ``pg_srf_elements``, the table-valued function behind unnest.

``text_array`` registers later and replaces several of these with PostgreSQL 15's exact
behaviour; what it builds on stays here.
"""

from __future__ import annotations

import contextlib
import json
from typing import Any

import apsw

from pgha.storage.functions.casts import _text
from pgha.storage.functions.context import FunctionContext, null_safe, registrar
from pgha.storage.functions.series import (
    GenerateSeries,
    GenerateSeriesCursor,
    GenerateSeriesTable,
)
from pgha.wire.errors import InvalidTextRepresentation


def _json_load(value: Any) -> Any:
    if value is None:
        return None
    try:
        return json.loads(value)
    except (TypeError, ValueError) as exc:
        raise InvalidTextRepresentation("invalid input syntax for type json") from exc


def _contains(a: Any, b: Any) -> bool:
    if isinstance(a, dict) and isinstance(b, dict):
        return all(k in a and _contains(a[k], v) for k, v in b.items())
    if isinstance(a, list) and isinstance(b, list):
        return all(any(_contains(x, y) for x in a) for y in b)
    if isinstance(a, list) and not isinstance(b, dict | list):
        return b in a
    return bool(a == b)


def _array_get(arr: Any, idx: Any) -> Any:
    if arr is None or idx is None:
        return None
    if isinstance(arr, str) and not arr.startswith("["):
        return _vector_get(arr, int(idx))
    items = json.loads(arr)
    i = int(idx) - 1
    if 0 <= i < len(items):
        item = items[i]
        return json.dumps(item) if isinstance(item, dict | list) else item
    return None


def _vector_get(vector: str, idx: int) -> int | None:
    """A subscript of an int2vector or oidvector ("1 2", as the catalogs store them): these
    count from 0 in PostgreSQL."""
    items = vector.split()
    return int(items[idx]) if 0 <= idx < len(items) else None


def _compare(op: str, a: Any, b: Any) -> bool | None:
    if a is None or b is None:
        return None
    if isinstance(a, int | float) and isinstance(b, str):
        with contextlib.suppress(ValueError):
            b = float(b) if "." in b else int(b)
    if op == "=":
        return bool(a == b)
    if op in ("<>", "!="):
        return bool(a != b)
    if op == "<":
        return bool(a < b)
    if op == ">":
        return bool(a > b)
    if op == "<=":
        return bool(a <= b)
    return bool(a >= b)


def _any(op: str, value: Any, arr: Any) -> Any:
    if arr is None:
        return None
    items = json.loads(arr) if isinstance(arr, str) else arr
    saw_null = value is None
    for item in items:
        r = _compare(op, value, item)
        if r:
            return 1
        if r is None:
            saw_null = True
    return None if saw_null else 0


def _all(op: str, value: Any, arr: Any) -> Any:
    if arr is None:
        return None
    items = json.loads(arr)
    saw_null = False
    for item in items:
        r = _compare(op, value, item)
        if r is False:
            return 0
        if r is None:
            saw_null = True
    return None if saw_null else 1


def _array_to_string(arr: Any, sep: Any, null: Any = None) -> Any:
    if arr is None or sep is None:
        return None
    items = json.loads(arr)
    out = []
    for item in items:
        if item is None:
            if null is not None:
                out.append(str(null))
            continue
        out.append("t" if item is True else "f" if item is False else _text(item))
    return str(sep).join(out)


def _array_length(arr: Any, dim: Any = 1) -> Any:
    if arr is None:
        return None
    n = len(json.loads(arr))
    return n if n and dim == 1 else None


def _array_append(arr: Any, item: Any) -> Any:
    items = json.loads(arr) if arr is not None else []
    items.append(item)
    return json.dumps(items)


def _array_position(arr: Any, item: Any) -> Any:
    if arr is None:
        return None
    for i, v in enumerate(json.loads(arr)):
        if v == item:
            return i + 1
    return None


def _concat_op(a: Any, b: Any, a_container: int = 1, b_container: int = 1) -> Any:
    """``||`` of JSON documents or arrays (stored as JSON text); an operand that is not a
    container is an array element, as stored (array || element, element || array)."""
    if a is None or b is None:
        return None
    left = json.loads(a) if a_container else [a]
    right = json.loads(b) if b_container else [b]
    if isinstance(left, dict) and isinstance(right, dict):
        merged = dict(left)
        merged.update(right)
        return json.dumps(merged)
    la = left if isinstance(left, list) else [left]
    ra = right if isinstance(right, list) else [right]
    return json.dumps(la + ra)


def _string_to_array(text: Any, sep: Any, null: Any = None) -> Any:
    if text is None:
        return None
    if text == "":
        return "[]"
    parts = list(str(text)) if sep is None else str(text).split(str(sep)) if sep else [str(text)]
    return json.dumps([None if null is not None and p == null else p for p in parts])


def _array_prepend(item: Any, arr: Any) -> str:
    return json.dumps([item] + (json.loads(arr) if arr is not None else []))


class ArrayElements(GenerateSeries):
    """``pg_srf_elements(array)``: one row per element (value, 1-based ord). Accepts pgha's
    array storage (a JSON array) and int2vector/oidvector text ("1 2 3")."""

    schema = "CREATE TABLE x(value, ord, arr HIDDEN)"

    def Create(self, db: Any, modulename: str, dbname: str, tablename: str,
               *args: Any) -> tuple[str, Any]:
        return self.schema, ArrayElementsTable()

    Connect = Create


class ArrayElementsTable(GenerateSeriesTable):
    def BestIndexObject(self, o: Any) -> bool:
        has_array = False
        for i in range(o.nConstraint):
            if (o.get_aConstraint_iColumn(i) == 2 and o.get_aConstraint_usable(i)
                    and o.get_aConstraint_op(i) == apsw.SQLITE_INDEX_CONSTRAINT_EQ):
                o.set_aConstraintUsage_argvIndex(i, 1)
                o.set_aConstraintUsage_omit(i, True)
                has_array = True
        # Without its argument the function cannot run: make that plan the last resort, so
        # SQLite scans what provides the argument first (the lateral order).
        o.estimatedCost = 10.0 if has_array else 1e30
        return True

    def Open(self) -> ArrayElementsCursor:
        return ArrayElementsCursor()


class ArrayElementsCursor(GenerateSeriesCursor):
    def Filter(self, indexnum: int, indexname: Any, constraintargs: tuple[Any, ...]) -> None:
        self.pos = 0
        arr = constraintargs[0] if constraintargs else None
        if arr is None:
            self.values = []
            return
        text = str(arr).strip()
        items = json.loads(text) if text.startswith("[") else [int(v) for v in text.split()]
        self.values = [(item, i + 1) for i, item in enumerate(items)]

    def Column(self, col: int) -> Any:
        value, ordinal = self.values[self.pos]
        return value if col == 0 else ordinal if col == 1 else None


def register(conn: apsw.Connection, ctx: FunctionContext) -> None:
    """The array functions and operators above, and ``pg_srf_elements``."""
    f = registrar(conn)
    f(
        "pg_json_contains",
        null_safe(lambda a, b: 1 if _contains(_json_load(a), _json_load(b)) else 0),
        2,
        True,
    )
    f(
        "pg_json_contained",
        null_safe(lambda a, b: 1 if _contains(_json_load(b), _json_load(a)) else 0),
        2,
        True,
    )
    f("pg_concat_op", _concat_op, -1, True)
    f("pg_any", _any, 3, True)
    f("pg_all", _all, 3, True)
    f("pg_array_get", _array_get, 2, True)
    f("array_to_string", _array_to_string, -1, True)
    f("array_length", _array_length, -1, True)
    f("array_upper", _array_length, -1, True)
    f("array_lower", null_safe(lambda a, d=1: 1 if json.loads(a) else None), -1, True)
    f("cardinality", null_safe(lambda a: len(json.loads(a))), 1, True)
    f("array_append", _array_append, 2, True)
    f("array_position", _array_position, 2, True)
    f("string_to_array", _string_to_array, -1, True)
    f("array_prepend", _array_prepend, 2, True)
    f("array_cat", null_safe(lambda a, b: json.dumps(json.loads(a) + json.loads(b))), 2, True)
    f("array_remove", null_safe(lambda a, x: json.dumps([v for v in json.loads(a) if v != x])),
      2, True)
    f("pg_array_overlap", null_safe(lambda a, b: 1 if set(map(json.dumps, json.loads(a)))
                                    & set(map(json.dumps, json.loads(b))) else 0), 2, True)
    conn.create_module("pg_srf_elements", ArrayElements(), eponymous=True,
                       use_bestindex_object=True)
