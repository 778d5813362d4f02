"""JSON and JSONB functions and operators, printing what PostgreSQL 15 prints (json.c,
jsonb.c, jsonfuncs.c).

Storage (types_text): json is its input text verbatim, jsonb is jsonb_out's normalised text.

Invariants:
- A json result that is part of a json argument is the argument's own text, white space
  included, as PostgreSQL's json functions return the source text; for jsonb the same slice
  of the normalised text is itself normalised.
- A jsonb result is always jsonb_out's text (built as JSON text, then normalised by
  ``jsonb_in``), since the output path prints storage values as they are.
- Values of other types arrive with their type OID, added by the translator: their storage
  (bool 0/1, numeric text, arrays as JSON text) does not say how to_json renders them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import apsw

from pgha.storage import oids as T
from pgha.storage import types as pgtypes
from pgha.storage.functions import jsonpath as fn_jsonpath
from pgha.storage.types_array import bytes_from_json, float_from_json
from pgha.storage.types_number import float4_out, float8_out
from pgha.storage.types_text import _jsonb_decoder, _jsonb_render, _JsonNumber, jsonb_in
from pgha.wire.errors import (
    ArrayElementError,
    FeatureNotSupported,
    InvalidParameterValue,
    InvalidTextRepresentation,
    NullValueNotAllowed,
    PgError,
)

INVALID_PARAMETER_VALUE = "22023"
INVALID_TEXT_REPRESENTATION = "22P02"

_SPACE = re.compile(r"[ \t\n\r]*")
_INTEGER = re.compile(r"\s*[+-]?[0-9]+\s*\Z")
_encode_string = json.encoder.py_encode_basestring  # escape_json: ", \ and < 0x20 only


# -- parsing, with the span of every value --------------------------------------------------


@dataclass(slots=True)
class Node:
    """One value of a document: its json_typeof kind and where its text is. A container's
    members are found when first asked for (``members``), each value skipped over by the C
    scanner, so reading one field of a large document does not build all of it."""

    kind: str  # object, array, string, number, boolean, null
    start: int
    end: int
    value: Any = None  # a string's decoded text
    found: Any = None  # object: [(key, Node)], array: [Node], once ``members`` ran


def _bad_json() -> PgError:
    return InvalidTextRepresentation("invalid input syntax for type json")


_KINDS = {"{": "object", "[": "array", '"': "string", "t": "boolean", "f": "boolean",
          "n": "null"}
_scan = json.JSONDecoder(parse_float=lambda s: None, parse_int=lambda s: None,
                         object_pairs_hook=lambda pairs: None).raw_decode


def _node(text: str, pos: int) -> Node:
    """The value starting at ``pos`` (white space already skipped)."""
    try:
        value, end = _scan(text, pos)
    except (ValueError, RecursionError):
        raise _bad_json() from None
    kind = _KINDS.get(text[pos], "number")
    return Node(kind, pos, end, value if kind == "string" else None)


def parse(text: str) -> Node:
    """The root of a (valid) json or jsonb text."""
    start = _skip(text, 0)
    if start >= len(text):
        raise _bad_json()
    node = _node(text, start)
    if _skip(text, node.end) != len(text):
        raise _bad_json()
    return node


def _skip(text: str, pos: int) -> int:
    return _SPACE.match(text, pos).end()  # type: ignore[union-attr]


def members(text: str, node: Node) -> Any:
    """An object's [(key, Node)] in document order, or an array's [Node]."""
    if node.found is None:
        node.found = _object(text, node) if node.kind == "object" else _array(text, node)
    return node.found


def _object(text: str, node: Node) -> list[tuple[str, Node]]:
    items: list[tuple[str, Node]] = []
    pos = _skip(text, node.start + 1)
    if text[pos] == "}":
        return items
    while True:
        key = _node(text, pos)
        pos = _skip(text, key.end)
        if key.kind != "string" or text[pos] != ":":
            raise _bad_json()
        child = _node(text, _skip(text, pos + 1))
        items.append((key.value, child))
        pos = _skip(text, child.end)
        if text[pos] == "}":
            return items
        pos = _skip(text, pos + 1)


def _array(text: str, node: Node) -> list[Node]:
    items: list[Node] = []
    pos = _skip(text, node.start + 1)
    if text[pos] == "]":
        return items
    while True:
        child = _node(text, pos)
        items.append(child)
        pos = _skip(text, child.end)
        if text[pos] == "]":
            return items
        pos = _skip(text, pos + 1)


def _decode(doc: str) -> Any:
    """A document as Python values jsonb's renderer takes (numbers keep their text)."""
    try:
        return _jsonb_decoder.decode(str(doc))
    except (ValueError, RecursionError):
        raise _bad_json() from None


# -- reading: -> ->> #> #>> and friends ---------------------------------------------------


def _member(text: str, node: Node, key: Any) -> Node | None:
    """``node -> key``: an object's field (the last of duplicates) or an array's element
    (negative counts from the end); NULL where PostgreSQL gives NULL."""
    if node.kind == "object" and isinstance(key, str):
        found = None
        for name, child in members(text, node):
            if name == key:
                found = child
        return found
    if node.kind == "array" and not isinstance(key, str | bytes):
        items = members(text, node)
        index = int(key) + (len(items) if int(key) < 0 else 0)
        return items[index] if 0 <= index < len(items) else None
    return None


def _as_text(text: str, node: Node | None) -> str | None:
    """``->>``: a string unquoted, null as SQL NULL, anything else its text."""
    if node is None or node.kind == "null":
        return None
    if node.kind == "string":
        return str(node.value)
    return text[node.start : node.end]


def get(doc: Any, key: Any, as_text: bool, binary: int) -> Any:
    if doc is None or key is None:
        return None
    text = str(doc)
    root = parse(text)
    if binary and root.kind not in ("object", "array") and key in (0, -1):
        node: Node | None = root  # a jsonb scalar is stored as a one-element array
    else:
        node = _member(text, root, key)
    if as_text:
        return _as_text(text, node)
    return None if node is None else text[node.start : node.end]


def path_elements(path: Any) -> list[Any]:
    """A text[] path: pgha's array storage (a JSON array) or an array literal."""
    text = str(path).strip()
    if text.startswith("["):
        return list(json.loads(text))
    body = text[1:-1] if text.startswith("{") and text.endswith("}") else text
    return [None if p.strip() == "NULL" else p.strip().strip('"') for p in body.split(",")
            if p.strip()]


def _walk(text: str, path: Any) -> Node | None:
    node: Node | None = parse(text)
    for step in path_elements(path):
        if node is None or step is None:
            return None
        if node.kind == "array":
            if not _INTEGER.match(str(step)):
                return None
            node = _member(text, node, int(step))
        else:
            node = _member(text, node, str(step))
    return node


def get_path(doc: Any, path: Any, as_text: bool) -> Any:
    if doc is None or path is None:
        return None
    text = str(doc)
    node = _walk(text, path)
    if as_text:
        return _as_text(text, node)
    return None if node is None else text[node.start : node.end]


def extract_path(as_text: bool, doc: Any, *steps: Any) -> Any:
    """json_extract_path(doc, VARIADIC path)."""
    if doc is None or any(s is None for s in steps):
        return None
    return get_path(doc, json.dumps([str(s) for s in steps]), as_text)


def typeof(doc: Any) -> Any:
    return None if doc is None else parse(str(doc)).kind


def array_length(doc: Any) -> Any:
    if doc is None:
        return None
    node = parse(str(doc))
    if node.kind == "array":
        return len(members(str(doc), node))
    raise InvalidParameterValue("cannot get array length of a "
                                + ("non-array" if node.kind == "object" else "scalar"))


# jsonb -> boolean/number casts (jsonb.c: cannotCastJsonbValue): target OID -> its name
SCALAR_CASTS = {T.BOOL: "boolean", T.INT2: "smallint", T.INT4: "integer", T.INT8: "bigint",
                T.NUMERIC: "numeric", T.FLOAT4: "real", T.FLOAT8: "double precision"}


def jsonb_scalar(doc: Any, dst: int) -> tuple[int, Any]:
    """The scalar a jsonb cast to ``dst`` starts from: (its type OID, its storage value)."""
    text = str(doc)
    node = parse(text)
    if dst == T.BOOL and node.kind == "boolean":
        return T.BOOL, 1 if text[node.start] == "t" else 0
    if dst != T.BOOL and node.kind == "number":
        return T.NUMERIC, text[node.start : node.end]
    kind = {"object": "object", "array": "array", "boolean": "boolean", "null": "null",
            "number": "numeric", "string": "string"}[node.kind]
    raise InvalidParameterValue(f"cannot cast jsonb {kind} to type {SCALAR_CASTS[dst]}")


# -- to_json: values of other types -------------------------------------------------------


def _quote(s: str) -> str:
    return str(_encode_string(s))


def to_json_text(value: Any, oid: int, tz: str) -> str:
    """datum_to_json: the JSON text of a storage value of type ``oid``."""
    if value is None:
        return "null"
    if oid == T.BOOL:
        return "true" if value else "false"
    if oid in T.INTEGER_TYPES:
        return str(int(value))
    if oid in (T.NUMERIC, T.FLOAT4, T.FLOAT8):
        if oid == T.NUMERIC and isinstance(value, str):
            out = value
        elif isinstance(value, int):
            out = str(value)
        else:
            out = (float4_out if oid == T.FLOAT4 else float8_out)(float(value))
        return _quote(out) if out.lstrip("-") in ("NaN", "Infinity") else out
    if oid in (T.JSON, T.JSONB, T.RECORD):  # a record arrives as its JSON (pg_json_row)
        return str(value)
    if oid in T.ELEMENT_OF:
        return _array_to_json(value, T.ELEMENT_OF[oid], tz)
    if oid in T.TEXT_LIKE or oid not in pgtypes.TYPES_BY_OID:
        return _quote(value if isinstance(value, str) else str(value))
    out = pgtypes.format_text(pgtypes.TYPES_BY_OID[oid], value, -1, tz)
    if oid in (T.TIMESTAMP, T.TIMESTAMPTZ) and out[-1].isdigit():
        # JSON's dates are ISO 8601 (XSD): a T between date and time, offsets as +hh:mm.
        out = out.replace(" ", "T", 1)
        if oid == T.TIMESTAMPTZ:
            m = re.search(r"[+-]\d\d(?::\d\d)*\Z", out)
            if m is not None and len(m.group()) == 3:
                out += ":00"
    return _quote(out)


def _array_to_json(value: Any, elem: int, tz: str) -> str:
    items = json.loads(value) if isinstance(value, str) else list(value)
    adapt = {T.BYTEA: bytes_from_json, T.FLOAT4: float_from_json,
             T.FLOAT8: float_from_json}.get(elem)
    parts = [to_json_text(adapt(v) if adapt and v is not None else v, elem, tz) for v in items]
    return "[" + ",".join(parts) + "]"


def row_to_json(names: str, *args: Any, tz: str) -> str:
    """``pg_json_row('["a", "b"]', a, oid, b, oid)``: row_to_json's compact object."""
    parts = [f"{_quote(name)}:{to_json_text(args[2 * i], int(args[2 * i + 1]), tz)}"
             for i, name in enumerate(json.loads(names))]
    return "{" + ",".join(parts) + "}"


def record_field(doc: Any, key: str, oid: int, typmod: int, function: str, tz: str) -> Any:
    """A column of json_to_record(set): the object's field, through the column type's input
    (a string's contents, anything else its JSON text; a JSON array into an array type)."""
    if doc is None:
        return None
    text = str(doc)
    root = parse(text)
    if root.kind != "object":
        what = "an array of objects" if function.endswith("set") else "an object"
        raise InvalidParameterValue(f"argument of {function} must be {what}")
    return _field_value(text, _member(text, root, key), int(oid), int(typmod), tz)


def _field_value(text: str, node: Node | None, oid: int, typmod: int, tz: str) -> Any:
    if node is None or node.kind == "null":
        return None
    pgtype = pgtypes.TYPES_BY_OID.get(oid)
    if pgtype is None:
        raise FeatureNotSupported(f"json_to_record into type {oid} is not supported")
    if oid in T.ELEMENT_OF and node.kind == "array":
        elem = T.ELEMENT_OF[oid]
        items = [_field_value(text, item, elem, -1, tz) for item in members(text, node)]
        return json.dumps(items)  # pgha's array storage
    if oid in (T.JSON, T.JSONB) or node.kind != "string":
        value = text[node.start : node.end]
    else:
        value = str(node.value)
    return pgtypes.parse_text(pgtype, value, typmod, tz)


def key_text(value: Any, oid: int, tz: str, position: int) -> str:
    """An object key: the text of a scalar (not its JSON)."""
    if value is None:
        raise InvalidParameterValue(f"argument {position} cannot be null",
                                    hint="Object keys should be text.")
    if oid in (T.JSON, T.JSONB) or oid in T.ELEMENT_OF or oid == T.RECORD:
        raise InvalidParameterValue("key value must be scalar, not array, composite, or json")
    if oid == T.BOOL:
        return "true" if value else "false"
    if oid in T.TEXT_LIKE or oid not in pgtypes.TYPES_BY_OID or oid == T.NUMERIC:
        return str(value)
    return pgtypes.format_text(pgtypes.TYPES_BY_OID[oid], value, -1, tz)


def build_object(binary: bool, tz: str, *args: Any) -> str:
    """json(b)_build_object(k1, v1, ...): arguments arrive as (value, oid) pairs."""
    if len(args) % 4:
        raise InvalidParameterValue(
            "argument list must have even number of elements",
            hint=f"The arguments of {'jsonb' if binary else 'json'}_build_object() "
            "must consist of alternating keys and values.")
    parts = []
    for i in range(0, len(args), 4):
        key = key_text(args[i], int(args[i + 1]), tz, i // 2 + 1)
        parts.append(f"{_quote(key)} : {to_json_text(args[i + 2], int(args[i + 3]), tz)}")
    text = "{" + ", ".join(parts) + "}"
    return jsonb_in(text) if binary else text


def object_from_arrays(binary: bool, keys: Any, values: Any = None) -> Any:
    """json(b)_object(text[]) of alternating keys and values, or (keys[], values[])."""
    if keys is None:
        return None
    items = json.loads(keys)
    if values is None:
        if len(items) % 2:
            raise ArrayElementError("array must have even number of elements")
        pairs = list(zip(items[::2], items[1::2], strict=True))
    else:
        vals = json.loads(values)
        if len(items) != len(vals):
            raise ArrayElementError("mismatched array dimensions")
        pairs = list(zip(items, vals, strict=True))
    if any(k is None for k, _ in pairs):
        raise NullValueNotAllowed("null value not allowed for object key")
    body = ", ".join(f"{_quote(str(k))} : {'null' if v is None else _quote(str(v))}"
                     for k, v in pairs)
    return jsonb_in("{" + body + "}") if binary else "{" + body + "}"


def build_array(binary: bool, tz: str, *args: Any) -> str:
    text = "[" + ", ".join(to_json_text(args[i], int(args[i + 1]), tz)
                           for i in range(0, len(args), 2)) + "]"
    return jsonb_in(text) if binary else text


def agg_input(value: Any, oid: int, tz: str) -> str:
    """A json_agg input: its JSON, after "\\n " when it is an array or a row (json_agg puts
    that white space before such items, all but the first)."""
    out = to_json_text(value, int(oid), tz)
    if value is not None and (int(oid) in T.ELEMENT_OF or int(oid) == T.RECORD):
        return "\n " + out
    return out


class _ArrayAgg:
    """json(b)_agg, also as a window function (value/inverse: the frame's items so far)."""

    def __init__(self, binary: bool) -> None:
        self.binary = binary
        self.parts: list[str] = []

    def step(self, item: Any) -> None:
        self.parts.append(item)

    def inverse(self, item: Any) -> None:
        del self.parts[0]  # frames only ever lose their oldest rows

    def value(self) -> str | None:
        if not self.parts:
            return None
        text = "[" + ", ".join([self.parts[0].removeprefix("\n "), *self.parts[1:]]) + "]"
        return jsonb_in(text) if self.binary else text

    final = value


class _ObjectAgg:
    """json(b)_object_agg, also as a window function."""

    def __init__(self, binary: bool) -> None:
        self.binary = binary
        self.parts: list[str] = []

    def step(self, key: Any, value: Any) -> None:
        if key is None:
            raise InvalidParameterValue("field name must not be null")
        self.parts.append(f"{_quote(key)} : {value}")

    def inverse(self, key: Any, value: Any) -> None:
        del self.parts[0]

    def value(self) -> str | None:
        if not self.parts:
            return None
        if self.binary:
            return jsonb_in("{" + ", ".join(self.parts) + "}")
        return "{ " + ", ".join(self.parts) + " }"

    final = value


# -- jsonb: building new documents --------------------------------------------------------


def concat(a: Any, b: Any) -> Any:
    """jsonb || jsonb: objects merge (the right wins), anything else concatenates as arrays."""
    if a is None or b is None:
        return None
    left, right = _decode(a), _decode(b)
    if isinstance(left, dict) and isinstance(right, dict):
        return _jsonb_render({**left, **right})
    la = left if isinstance(left, list) else [left]
    ra = right if isinstance(right, list) else [right]
    return _jsonb_render(la + ra)


def delete(doc: Any, key: Any, key_is_array: int) -> Any:
    """jsonb - text, jsonb - integer, jsonb - text[]."""
    if doc is None or key is None:
        return None
    data = _decode(doc)
    if key_is_array:
        names = {k for k in path_elements(key) if k is not None}
        if isinstance(data, dict):
            data = {k: v for k, v in data.items() if k not in names}
        elif isinstance(data, list):
            data = [v for v in data if not (type(v) is str and v in names)]
        return _jsonb_render(data)
    if isinstance(key, str):
        if isinstance(data, dict):
            data.pop(key, None)
        elif isinstance(data, list):
            data = [v for v in data if not (type(v) is str and v == key)]
        else:
            raise InvalidParameterValue("cannot delete from scalar")
        return _jsonb_render(data)
    if not isinstance(data, list):
        raise InvalidParameterValue("cannot delete from object using integer index"
                                    if isinstance(data, dict) else "cannot delete from scalar")
    index = int(key) + (len(data) if int(key) < 0 else 0)
    if 0 <= index < len(data):
        del data[index]
    return _jsonb_render(data)


def _index(container: list[Any], step: Any, position: int) -> int:
    if step is None or not _INTEGER.match(str(step)):
        raise PgError(INVALID_PARAMETER_VALUE if step is None else "22P02",
                      f"path element at position {position} is "
                      + ("null" if step is None else "not an integer: " + f'"{step}"'))
    index = int(step)
    return index + len(container) if index < 0 else index


def delete_path(doc: Any, path: Any) -> Any:
    """jsonb #- text[]."""
    if doc is None or path is None:
        return None
    data = _decode(doc)
    steps = path_elements(path)
    if not isinstance(data, dict | list):
        raise InvalidParameterValue("cannot delete path in scalar")
    if steps:
        parent: Any = data
        for i, step in enumerate(steps[:-1], start=1):
            parent = _child(parent, step, i)
            if parent is None:
                return _jsonb_render(data)
        last = steps[-1]
        if isinstance(parent, dict):
            parent.pop(str(last), None)
        elif isinstance(parent, list):
            index = _index(parent, last, len(steps))
            if 0 <= index < len(parent):
                del parent[index]
    return _jsonb_render(data)


def _child(node: Any, step: Any, position: int) -> Any:
    if isinstance(node, dict):
        return node.get(str(step))
    if isinstance(node, list):
        index = _index(node, step, position)
        return node[index] if 0 <= index < len(node) else None
    return None


def set_path(doc: Any, path: Any, new: Any, create: Any = 1, insert: int = 0,
             after: Any = 0) -> Any:
    """jsonb_set(target, path, new, create_missing) and jsonb_insert(target, path, new,
    insert_after): replace or add the value at ``path``; a missing parent changes nothing."""
    if doc is None or path is None or new is None or create is None or after is None:
        return None
    data = _decode(doc)
    steps = path_elements(path)
    value = _decode(new)
    if not isinstance(data, dict | list):
        raise InvalidParameterValue("cannot set path in scalar")
    if not steps:
        return _jsonb_render(data)
    parent: Any = data
    for i, step in enumerate(steps[:-1], start=1):
        parent = _child(parent, step, i)
        if not isinstance(parent, dict | list):
            return _jsonb_render(data)
    last = steps[-1]
    if isinstance(parent, dict):
        key = str(last)
        if insert and key in parent:
            raise InvalidParameterValue(
                "cannot replace existing key",
                hint="Try using the function jsonb_set to replace key value.")
        if key in parent or create or insert:
            parent[key] = value
    else:
        index = _index(parent, last, len(steps))
        if insert:
            index = max(0, min(index + (1 if after else 0), len(parent)))
            parent.insert(index, value)
        elif 0 <= index < len(parent):
            parent[index] = value
        elif create:
            parent.insert(0 if index < 0 else len(parent), value)
    return _jsonb_render(data)


def assign(doc: Any, new: Any, *subscripts: Any) -> str:
    """``SET doc['a'][0] = new`` (jsonb subscripting, PostgreSQL 14+): missing objects and
    arrays on the path are created, arrays are padded with nulls, NULL stores null."""
    if any(s is None for s in subscripts):
        raise NullValueNotAllowed("jsonb subscript in assignment must not be null")

    def container(sub: Any) -> Any:
        return {} if isinstance(sub, str) else []

    root = container(subscripts[0]) if doc is None else _decode(doc)
    value = None if new is None else _decode(new)
    parent = root
    for i, sub in enumerate(subscripts):
        last = i == len(subscripts) - 1
        if isinstance(parent, dict):
            key = str(sub)
            if last:
                parent[key] = value
            elif parent.get(key) is None:
                parent[key] = container(subscripts[i + 1])
            if not last:
                parent = parent[key]
        elif isinstance(parent, list):
            if isinstance(sub, str) and not _INTEGER.match(sub):
                raise InvalidTextRepresentation(f'invalid input syntax for type integer: "{sub}"')
            index = int(sub) + (len(parent) if int(sub) < 0 else 0)
            if index < 0:
                raise InvalidParameterValue("path element at position 1 is out of range: "
                                            f"{int(sub)}")
            parent.extend([None] * (index + 1 - len(parent)))
            if last:
                parent[index] = value
            elif parent[index] is None:
                parent[index] = container(subscripts[i + 1])
            if not last:
                parent = parent[index]
        else:
            raise InvalidParameterValue("cannot replace existing key")
    return _jsonb_render(root)


def set_lax(doc: Any, path: Any, new: Any, create: Any = 1,
            treatment: Any = "use_json_null") -> Any:
    """jsonb_set_lax: jsonb_set, but a NULL new value is handled as ``treatment`` says."""
    if new is not None:
        return set_path(doc, path, new, create)
    if treatment == "raise_exception":
        raise NullValueNotAllowed("JSON value must not be null",
                                  detail="Exception was raised because null_value_treatment is "
                                  '"raise_exception".')
    if treatment == "use_json_null":
        return set_path(doc, path, "null", create)
    if treatment == "delete_key":
        return delete_path(doc, path)
    if treatment == "return_target":
        return doc
    raise InvalidParameterValue("null_value_treatment must be \"delete_key\", \"return_target\", "
                                "\"use_json_null\", or \"raise_exception\"")


def strip_nulls(doc: Any, binary: int) -> Any:
    if doc is None:
        return None

    def strip(v: Any) -> Any:
        if isinstance(v, dict):
            return {k: strip(x) for k, x in v.items() if x is not None}
        if isinstance(v, list):
            return [strip(x) for x in v]
        return v

    if binary:
        return _jsonb_render(strip(_decode(doc)))
    text = str(doc)
    return _compact(text, parse(text), strip_nulls=True)


def _compact(text: str, node: Node, strip_nulls: bool) -> str:
    """json_strip_nulls' output: the structure re-written without white space."""
    if node.kind == "object":
        return "{" + ",".join(f"{_quote(k)}:{_compact(text, v, strip_nulls)}"
                              for k, v in members(text, node)
                              if not (strip_nulls and v.kind == "null")) + "}"
    if node.kind == "array":
        return "[" + ",".join(_compact(text, v, strip_nulls) for v in members(text, node)) + "]"
    return text[node.start : node.end]


def pretty(doc: Any) -> Any:
    """jsonb_pretty: four spaces a level, empty containers as {} and []."""
    if doc is None:
        return None
    lines: list[str] = []
    _pretty(_decode(doc), 0, lines, "")
    return "".join(lines)


def _pretty(v: Any, level: int, out: list[str], prefix: str) -> None:
    pad = "    " * level
    if isinstance(v, dict):
        out.append(prefix + "{\n")
        items = sorted(v.items(), key=lambda kv: (len(kv[0].encode()), kv[0].encode()))
        for i, (k, x) in enumerate(items):
            _pretty(x, level + 1, out, pad + "    " + _quote(k) + ": ")
            out.append(",\n" if i < len(items) - 1 else "\n")
        out.append(pad + "}")
    elif isinstance(v, list):
        out.append(prefix + "[\n")
        for i, x in enumerate(v):
            _pretty(x, level + 1, out, pad + "    ")
            out.append(",\n" if i < len(v) - 1 else "\n")
        out.append(pad + "]")
    else:
        out.append(prefix + _jsonb_render(v))


# -- containment and keys (jsonb) ---------------------------------------------------------


def has_key(doc: Any, key: Any) -> Any:
    """jsonb ? text: a top-level key, or a string element of a top-level array."""
    if doc is None or key is None:
        return None
    data = _decode(doc)
    if isinstance(data, dict):
        return 1 if key in data else 0
    if isinstance(data, list):
        return 1 if any(type(v) is str and v == key for v in data) else 0
    return 1 if type(data) is str and data == key else 0


def has_keys(doc: Any, keys: Any, every: int) -> Any:
    if doc is None or keys is None:
        return None
    names = [k for k in path_elements(keys) if k is not None]
    found = [has_key(doc, k) for k in names]
    return 1 if (all(found) if every else any(found)) else 0


# -- jsonpath (the jsonpath module evaluates) --------------------------------------------


def path_exists(doc: Any, path: Any, variables: Any, silent: Any) -> int | None:
    items = fn_jsonpath.query(doc, path, variables, silent)
    return None if items is None else int(bool(items))


def path_query(doc: Any, path: Any, variables: Any, silent: Any, first: bool) -> str | None:
    """jsonb_path_query_first (``first``) and jsonb_path_query_array; jsonb_path_query reads
    the array's elements."""
    items = fn_jsonpath.query(doc, path, variables, silent)
    if items is None or (first and not items):
        return None
    return _jsonb_render(items[0] if first else items)


# -- ordering (jsonb's btree operators) ------------------------------------------------------


def _sort_key(v: Any) -> tuple[Any, ...]:
    """compareJsonbContainers: null < string < number < boolean < array < object; arrays and
    objects by size first, then element by element (objects in their key order)."""
    if v is None:
        return (0,)
    if isinstance(v, _JsonNumber):
        return (2, Decimal(v))
    if isinstance(v, str):
        return (1, v)
    if isinstance(v, bool):
        return (3, v)
    if isinstance(v, list):
        return (4, len(v), [_sort_key(x) for x in v])
    items = sorted(v.items(), key=lambda kv: (len(kv[0].encode()), kv[0].encode()))
    return (5, len(v), [(k, _sort_key(x)) for k, x in items])


def collate(a: str, b: str) -> int:
    """The pg_jsonb collation: jsonb text compared as PostgreSQL compares jsonb values."""
    ka, kb = _sort_key(_decode(a)), _sort_key(_decode(b))
    return -1 if ka < kb else (1 if ka > kb else 0)


# -- set-returning functions: pg_json_srf(doc, mode) ----------------------------------------

# mode -> (what it returns, whether values are text)
_SRF_MODES = {
    "json_array_elements": ("elements", False),
    "jsonb_array_elements": ("elements", False),
    "json_array_elements_text": ("elements", True),
    "jsonb_array_elements_text": ("elements", True),
    "json_each": ("each", False),
    "jsonb_each": ("each", False),
    "json_each_text": ("each", True),
    "jsonb_each_text": ("each", True),
    "json_object_keys": ("keys", False),
    "jsonb_object_keys": ("keys", False),
    "jsonb_path_query": ("elements", False),  # of jsonb_path_query_array's result
}
SRF_FUNCTIONS = frozenset(_SRF_MODES)
RECORD_WIDTH = 64  # the most columns json(b)_to_record(set) may declare


def srf_columns(name: str) -> list[str]:
    """The columns of pg_json_srf that the set-returning function ``name`` shows."""
    what = _SRF_MODES[name][0]
    return ["key"] if what == "keys" else ["value"] if what == "elements" else ["key", "value"]


def srf_rows(doc: Any, mode: str) -> Iterator[tuple[Any, Any]]:
    """The (key, value) rows of a json set-returning function."""
    if doc is None:
        return
    what, as_text = _SRF_MODES[mode]
    text = str(doc)
    node = parse(text)
    if what == "elements":
        if node.kind != "array":
            raise InvalidParameterValue("cannot extract elements from "
                                        + ("an object" if node.kind == "object" else "a scalar"))
        for child in members(text, node):
            yield None, _as_text(text, child) if as_text else text[child.start : child.end]
        return
    if node.kind != "object":
        if what == "keys" or mode.startswith("jsonb"):
            raise InvalidParameterValue(
                f"cannot call {mode} on " + ("an array" if node.kind == "array"
                                                       else "a scalar"))
        raise InvalidParameterValue(
            "cannot deconstruct "
            + ("an array as an object" if node.kind == "array" else "a scalar"))
    for key, child in members(text, node):
        if what == "keys":
            yield key, None
        else:
            yield key, _as_text(text, child) if as_text else text[child.start : child.end]


class JsonSrf:
    """``pg_json_srf_<shape>(doc, mode)`` as an eponymous virtual table: columns key, value,
    ordinality, of which those not in ``shape`` (k, v, o) are hidden, so * shows the
    function's own; lateral like pg_srf_elements (its arguments may name earlier FROM
    items). The argument columns' names must not hide the FROM items' columns."""

    def __init__(self, shape: str) -> None:
        cols = [n if n[0] in shape else n + " HIDDEN" for n in ("key", "value", "ordinality")]
        # The arguments bind to the hidden columns in order: they come first.
        self.schema = f"CREATE TABLE x(_pgha_doc HIDDEN, _pgha_mode HIDDEN, {', '.join(cols)})"

    def Create(self, db: Any, modulename: str, dbname: str, tablename: str,
               *args: Any) -> tuple[str, JsonSrfTable]:
        return self.schema, JsonSrfTable()

    Connect = Create


class JsonSrfTable:
    ARGUMENTS: tuple[int, ...] = (0, 1)  # the hidden columns the arguments bind to

    def BestIndexObject(self, o: Any) -> bool:
        arguments: dict[int, int] = {}
        for i in range(o.nConstraint):
            col = o.get_aConstraint_iColumn(i)
            if col in self.ARGUMENTS and \
                    o.get_aConstraint_op(i) == apsw.SQLITE_INDEX_CONSTRAINT_EQ:
                if not o.get_aConstraint_usable(i):
                    o.estimatedCost = 1e30  # the lateral order: what provides doc first
                    return True
                arguments[col] = i
        if len(arguments) != len(self.ARGUMENTS):
            o.estimatedCost = 1e30
            return True
        for number, col in enumerate(sorted(arguments), start=1):
            o.set_aConstraintUsage_argvIndex(arguments[col], number)
            o.set_aConstraintUsage_omit(arguments[col], True)
        o.estimatedCost = 10.0
        return True

    def Open(self) -> JsonSrfCursor:
        return JsonSrfCursor()

    def Disconnect(self) -> None:
        pass

    Destroy = Disconnect


class JsonSrfCursor:
    def __init__(self) -> None:
        self.rows: list[tuple[Any, Any]] = []
        self.pos = 0

    def Filter(self, indexnum: int, indexname: Any, constraintargs: tuple[Any, ...]) -> None:
        self.pos = 0
        doc, mode = (*constraintargs, None, None)[:2]
        self.rows = list(srf_rows(doc, str(mode)))

    def Eof(self) -> bool:
        return self.pos >= len(self.rows)

    def Rowid(self) -> int:
        return self.pos

    def Column(self, col: int) -> Any:
        if col == 4:
            return self.pos + 1
        return self.rows[self.pos][col - 2] if col in (2, 3) else None

    def Next(self) -> None:
        self.pos += 1

    def Close(self) -> None:
        pass


class JsonRecordSrf(JsonSrf):
    """``pg_json_record_<n>(doc, spec, function)``: json(b)_to_record(set) as an eponymous
    table of n columns c1..cn (lateral; references to the declared names read them),
    ``spec`` the JSON list of the declared [name, type OID, typmod]."""

    def __init__(self, width: int, tz: Callable[[], str]) -> None:
        cols = ", ".join(f"c{i}" for i in range(1, width + 1))
        self.schema = ("CREATE TABLE x(_pgha_doc HIDDEN, _pgha_spec HIDDEN, _pgha_fn HIDDEN, "
                       f"{cols})")
        self.tz = tz

    def Create(self, db: Any, modulename: str, dbname: str, tablename: str,
               *args: Any) -> tuple[str, JsonSrfTable]:
        return self.schema, JsonRecordTable(self.tz)

    Connect = Create


class JsonRecordTable(JsonSrfTable):
    ARGUMENTS = (0, 1, 2)

    def __init__(self, tz: Callable[[], str]) -> None:
        self.tz = tz

    def Open(self) -> JsonSrfCursor:
        return JsonRecordCursor(self.tz)


class JsonRecordCursor(JsonSrfCursor):
    def __init__(self, tz: Callable[[], str]) -> None:
        super().__init__()
        self.tz = tz
        self.records: list[list[Any]] = []

    def Filter(self, indexnum: int, indexname: Any, constraintargs: tuple[Any, ...]) -> None:
        self.pos = 0
        doc, spec, function = (*constraintargs, None, None, None)[:3]
        if doc is None:
            self.records = []
            return
        text = str(doc)
        if str(function).endswith("recordset"):
            root = parse(text)
            if root.kind != "array":
                raise InvalidParameterValue(f"cannot call {function} on a non-array")
            objects = [text[n.start : n.end] for n in members(text, root)]
        else:
            objects = [text]
        fields = json.loads(spec)
        self.records = [[record_field(o, name, oid, typmod, str(function), self.tz())
                         for name, oid, typmod in fields] for o in objects]
        self.rows = [(None, None)] * len(self.records)

    def Column(self, col: int) -> Any:
        return self.records[self.pos][col - 3] if col >= 3 else None


# -- registration ---------------------------------------------------------------------------


def register(conn: apsw.Connection, ctx: Any) -> None:
    """Register the json functions on ``conn``; ``ctx`` (a FunctionContext) gives the
    session TimeZone that to_json of a timestamptz prints in."""

    def f(name: str, fn: Callable[..., Any], nargs: int = -1) -> None:
        conn.create_scalar_function(name, fn, nargs, flags=apsw.SQLITE_DETERMINISTIC)

    f("pg_json_get", lambda d, k, b: get(d, k, False, b), 3)
    f("pg_json_get_text", lambda d, k, b: get(d, k, True, b), 3)
    f("pg_json_object", lambda *a: object_from_arrays(False, *a))
    f("pg_jsonb_object", lambda *a: object_from_arrays(True, *a))
    f("pg_json_field", lambda d, k, oid, tm, fn: record_field(d, k, oid, tm, fn, ctx.tz), 5)
    f("jsonb_path_exists", lambda d, p, v=None, q=0: path_exists(d, p, v, q))
    f("jsonb_path_match", fn_jsonpath.match)
    f("jsonb_path_query_first", lambda d, p, v=None, q=0: path_query(d, p, v, q, True))
    f("jsonb_path_query_array", lambda d, p, v=None, q=0: path_query(d, p, v, q, False))
    f("pg_jsonb_path_exists_op", lambda d, p: path_exists(d, p, None, 1), 2)
    f("pg_jsonb_path_match_op", lambda d, p: fn_jsonpath.match(d, p, None, 1), 2)
    f("pg_json_row", lambda names, *a: row_to_json(names, *a, tz=ctx.tz))
    f("pg_json_value", lambda v, oid: to_json_text(v, int(oid), ctx.tz), 2)
    f("pg_json_path", lambda d, p: get_path(d, p, False), 2)
    f("pg_json_path_text", lambda d, p: get_path(d, p, True), 2)
    f("pg_json_extract_path", lambda *a: extract_path(False, *a))
    f("pg_json_extract_path_text", lambda *a: extract_path(True, *a))
    f("pg_json_typeof", typeof, 1)
    f("pg_json_array_length", array_length, 1)
    f("pg_json_has_key", has_key, 2)
    f("pg_json_has_any", lambda d, ks: has_keys(d, ks, 0), 2)
    f("pg_json_has_all", lambda d, ks: has_keys(d, ks, 1), 2)
    f("pg_jsonb_concat", concat, 2)
    f("pg_jsonb_delete", delete, 3)
    f("pg_jsonb_delete_path", delete_path, 2)
    f("jsonb_set", set_path)
    f("jsonb_set_lax", set_lax)
    f("jsonb_insert", lambda d, p, n, a=0: set_path(d, p, n, 1, 1, a))
    f("pg_json_strip_nulls", strip_nulls, 2)
    f("pg_jsonb_assign", assign)
    f("jsonb_pretty", pretty, 1)
    f("pg_to_json", lambda v, oid: None if v is None else to_json_text(v, int(oid), ctx.tz), 2)
    f("pg_to_jsonb",
      lambda v, oid: None if v is None else jsonb_in(to_json_text(v, int(oid), ctx.tz)), 2)
    f("pg_json_key", lambda v, oid: key_text(v, int(oid), ctx.tz, 1) if v is not None else None,
      2)
    f("pg_json_agg_input", lambda v, oid: agg_input(v, oid, ctx.tz), 2)
    f("pg_json_build_object", lambda *a: build_object(False, ctx.tz, *a))
    f("pg_jsonb_build_object", lambda *a: build_object(True, ctx.tz, *a))
    f("pg_json_build_array", lambda *a: build_array(False, ctx.tz, *a))
    f("pg_jsonb_build_array", lambda *a: build_array(True, ctx.tz, *a))
    for binary, suffix in ((False, "json"), (True, "jsonb")):
        conn.create_window_function(f"pg_{suffix}_agg", lambda b=binary: _ArrayAgg(b), 1)
        conn.create_window_function(f"pg_{suffix}_object_agg", lambda b=binary: _ObjectAgg(b), 2)
    conn.create_collation("pg_jsonb", collate)
    for width in range(1, RECORD_WIDTH + 1):
        conn.create_module(f"pg_json_record_{width}", JsonRecordSrf(width, lambda: ctx.tz),
                           eponymous=True, use_bestindex_object=True)
    for shape in ("v", "vo", "k", "ko", "kv", "kvo"):
        conn.create_module(f"pg_json_srf_{shape}", JsonSrf(shape), eponymous=True,
                           use_bestindex_object=True)
