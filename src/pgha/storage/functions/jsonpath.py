"""SQL/JSON path language (jsonpath) for jsonb_path_query and friends, @? and @@: the common
subset of PostgreSQL 15's (docs 9.16.2), evaluated over jsonb documents.

Supported: lax (default) and strict modes, $, @, $variables, .key, ."key", .*, [n], [n to m],
[last], [*], filters ?( ), comparisons, && || !, arithmetic, exists( ), like_regex,
starts with, is unknown, and the methods type(), size(), double(), abs(), floor(),
ceiling() and keyvalue(). Anything else is a 0A000 error rather than a wrong answer.

Invariants: a path evaluates to a list of items (Python values as types_text decodes jsonb,
numbers as _JsonNumber text); a predicate to True, False or None (unknown).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from pgha.storage.numeric import divide_decimal
from pgha.storage.types_number import numeric_text
from pgha.storage.types_text import _jsonb_decoder, _JsonNumber
from pgha.wire.errors import (
    DataException,
    DivisionByZero,
    FeatureNotSupported,
    InvalidParameterValue,
    InvalidSqlJsonSubscript,
    PgError,
    SingletonSqlJsonItemRequired,
    SqlJsonMemberNotFound,
    SqlSyntaxError,
    UndefinedObject,
)

SYNTAX_ERROR = "42601"

_TOKEN = re.compile(
    r"""\s*(?:
      (?P<num>(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)
    | (?P<str>"(?:[^"\\]|\\.)*")
    | (?P<var>\$[A-Za-z_][A-Za-z0-9_]*|\$"(?:[^"\\]|\\.)*")
    | (?P<op>==|!=|<>|<=|>=|&&|\|\||\.\*\*|\.\*|\[\*\]|[$@.\[\](),?!<>+\-*/%])
    | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
    )""",
    re.VERBOSE,
)


def _syntax(detail: str) -> PgError:
    return SqlSyntaxError(f"syntax error at or near {detail} of jsonpath input")


def _tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            raise _syntax(f'"{text[pos:].strip()[:10]}"')
        kind = m.lastgroup or ""
        out.append((kind, m.group(kind)))
        pos = m.end()
    return out


@dataclass(slots=True)
class Path:
    strict: bool
    root: Any  # a tree of tuples: (operation, ...)


class _Parser:
    def __init__(self, text: str) -> None:
        self.toks = _tokens(text)
        self.i = 0

    def peek(self, value: str | None = None, kind: str | None = None) -> bool:
        if self.i >= len(self.toks):
            return False
        k, v = self.toks[self.i]
        return (value is None or v == value) and (kind is None or k == kind)

    def take(self, value: str | None = None, kind: str | None = None) -> str:
        if not self.peek(value, kind):
            near = self.toks[self.i][1] if self.i < len(self.toks) else "end"
            raise _syntax(f'"{near}"' if near != "end" else "end")
        self.i += 1
        return self.toks[self.i - 1][1]

    def parse(self) -> Path:
        strict = False
        if self.peek("strict") or self.peek("lax"):
            strict = self.take() == "strict"
        root = self.expr()
        if self.i != len(self.toks):
            raise _syntax(f'"{self.toks[self.i][1]}"')
        return Path(strict, root)

    def expr(self) -> Any:
        node = self.and_expr()
        while self.peek("||"):
            self.take()
            node = ("or", node, self.and_expr())
        return node

    def and_expr(self) -> Any:
        node = self.not_expr()
        while self.peek("&&"):
            self.take()
            node = ("and", node, self.not_expr())
        return node

    def not_expr(self) -> Any:
        if self.peek("!"):
            self.take()
            self.take("(")
            node = self.expr()
            self.take(")")
            return ("not", node)
        return self.predicate()

    def predicate(self) -> Any:
        if self.peek("exists"):
            self.take()
            self.take("(")
            node = self.expr()
            self.take(")")
            return ("exists", node)
        left = self.additive()
        if self.peek(kind="op") and self.toks[self.i][1] in ("==", "!=", "<>", "<", "<=", ">",
                                                               ">="):
            op = self.take()
            return ("cmp", "!=" if op == "<>" else op, left, self.additive())
        if self.peek("like_regex"):
            self.take()
            pattern = _string(self.take(kind="str"))
            flags = _string(self.take(kind="str")) if self.peek("flag") and self.take() else ""
            return ("like_regex", left, pattern, flags)
        if self.peek("starts"):
            self.take()
            self.take("with")
            right = self.primary()
            return ("starts", left, right)
        if self.peek("is"):
            self.take()
            self.take("unknown")
            return ("unknown", left)
        return left

    def additive(self) -> Any:
        node = self.multiplicative()
        while self.peek("+") or self.peek("-"):
            node = ("arith", self.take(), node, self.multiplicative())
        return node

    def multiplicative(self) -> Any:
        node = self.unary()
        while self.peek("*") or self.peek("/") or self.peek("%"):
            node = ("arith", self.take(), node, self.unary())
        return node

    def unary(self) -> Any:
        if self.peek("-") or self.peek("+"):
            op = self.take()
            return ("neg", self.unary()) if op == "-" else self.unary()
        return self.accessors(self.primary())

    def primary(self) -> Any:
        kind, value = self.toks[self.i] if self.i < len(self.toks) else ("", "")
        if value in ("$", "@"):
            self.take()
            return ("root",) if value == "$" else ("current",)
        if kind == "var":
            self.take()
            return ("var", _string(value[1:]) if value[1] == '"' else value[1:])
        if kind == "num":
            self.take()
            return ("literal", _JsonNumber(numeric_text(Decimal(value))))
        if kind == "str":
            self.take()
            return ("literal", _string(value))
        if kind == "word" and value in ("true", "false", "null", "last"):
            self.take()
            if value == "last":
                return ("last",)
            return ("literal", {"true": True, "false": False, "null": None}[value])
        if value == "(":
            self.take()
            node = self.expr()
            self.take(")")
            return node
        raise _syntax(f'"{value}"' if value else "end")

    def accessors(self, node: Any) -> Any:
        while True:
            if self.peek(".*"):
                self.take()
                node = ("members", node)
            elif self.peek(".**"):
                raise FeatureNotSupported("the .** accessor of jsonpath is not supported")
            elif self.peek("."):
                self.take()
                kind, value = self.toks[self.i] if self.i < len(self.toks) else ("", "")
                self.take()
                if kind == "str":
                    node = ("key", node, _string(value))
                elif kind == "word" and self.peek("("):
                    self.take("(")
                    self.take(")")
                    node = ("method", node, value)
                elif kind in ("word", "var") or kind == "num":
                    node = ("key", node, value)
                else:
                    raise _syntax(f'"{value}"')
            elif self.peek("[*]"):
                self.take()
                node = ("elements", node)
            elif self.peek("["):
                self.take()
                ranges = []
                while True:
                    lo = self.expr()
                    hi = None
                    if self.peek("to"):
                        self.take()
                        hi = self.expr()
                    ranges.append((lo, hi))
                    if not self.peek(","):
                        break
                    self.take()
                self.take("]")
                node = ("index", node, ranges)
            elif self.peek("?"):
                self.take()
                self.take("(")
                cond = self.expr()
                self.take(")")
                node = ("filter", node, cond)
            else:
                return node


def _string(quoted: str) -> str:
    decoded = _jsonb_decoder.decode(quoted)
    return str(decoded)


def parse_path(text: str) -> Path:
    return _Parser(text).parse()


# -- evaluation ------------------------------------------------------------------------------


class _Eval:
    def __init__(self, path: Path, doc: Any, variables: dict[str, Any]) -> None:
        self.strict = path.strict
        self.doc = doc
        self.vars = variables

    def items(self, node: Any, current: Any, last: int | None = None) -> list[Any]:
        op = node[0]
        if op == "root":
            return [self.doc]
        if op == "current":
            return [current]
        if op == "literal":
            return [node[1]]
        if op == "var":
            if node[1] not in self.vars:
                raise UndefinedObject(f'could not find jsonpath variable "{node[1]}"')
            return [self.vars[node[1]]]
        if op == "last":
            if last is None:
                raise SqlSyntaxError("LAST is allowed only in array subscripts")
            return [_JsonNumber(str(last))]
        if op == "key":
            out = []
            for item in self._unwrapped(self.items(node[1], current)):
                if isinstance(item, dict) and node[2] in item:
                    out.append(item[node[2]])
                elif self.strict:
                    raise SqlJsonMemberNotFound(f'JSON object does not contain key "{node[2]}"')
            return out
        if op == "members":
            return [v for item in self._unwrapped(self.items(node[1], current))
                    if isinstance(item, dict) for v in item.values()]
        if op == "elements":
            out = []
            for item in self.items(node[1], current):
                out.extend(item if isinstance(item, list) else [item])
            return out
        if op == "index":
            return self._index(node, current)
        if op == "filter":
            return [item for item in self._unwrapped(self.items(node[1], current))
                    if self.predicate(node[2], item) is True]
        if op == "method":
            return [self._method(node[2], item) for item in self._method_input(node, current)]
        if op in ("arith", "neg"):
            return self._arith(node, current)
        return [self.predicate(node, current)]  # a predicate as a path: its boolean

    def _unwrapped(self, items: list[Any]) -> list[Any]:
        if self.strict:
            return items
        out: list[Any] = []
        for item in items:
            out.extend(item if isinstance(item, list) else [item])
        return out

    def _index(self, node: Any, current: Any) -> list[Any]:
        out = []
        for item in self.items(node[1], current):
            arr = item if isinstance(item, list) else [item]
            last = len(arr) - 1
            for lo_node, hi_node in node[2]:
                lo = self._subscript(lo_node, current, last)
                hi = lo if hi_node is None else self._subscript(hi_node, current, last)
                if self.strict and not (0 <= lo <= hi <= last):
                    raise InvalidSqlJsonSubscript("jsonpath array subscript is out of bounds")
                out.extend(arr[max(lo, 0) : hi + 1])
        return out

    def _subscript(self, node: Any, current: Any, last: int) -> int:
        values = self.items(node, current, last)
        if len(values) != 1 or not isinstance(values[0], _JsonNumber):
            raise InvalidSqlJsonSubscript("jsonpath array subscript is not a single numeric value")
        return int(Decimal(values[0]))

    def _method_input(self, node: Any, current: Any) -> list[Any]:
        items = self.items(node[1], current)
        return items if node[2] in ("type", "size") else self._unwrapped(items)

    def _method(self, name: str, item: Any) -> Any:
        if name == "type":
            return _type_name(item)
        if name == "size":
            return _JsonNumber(str(len(item) if isinstance(item, list) else 1))
        if name == "keyvalue":
            raise FeatureNotSupported("the keyvalue() method of jsonpath is not supported")
        if name in ("double", "abs", "floor", "ceiling"):
            number = _number(item, name)
            if name == "abs":
                number = abs(number)
            elif name == "floor":
                number = number.to_integral_value(rounding="ROUND_FLOOR")
            elif name == "ceiling":
                number = number.to_integral_value(rounding="ROUND_CEILING")
            return _JsonNumber(numeric_text(number))
        raise FeatureNotSupported(f"the {name}() method of jsonpath is not supported")

    def _arith(self, node: Any, current: Any) -> list[Any]:
        if node[0] == "neg":
            return [_JsonNumber(numeric_text(-_number(v, "-")))
                    for v in self._unwrapped(self.items(node[1], current))]
        left = self._unwrapped(self.items(node[2], current))
        right = self._unwrapped(self.items(node[3], current))
        if len(left) != 1 or len(right) != 1:
            raise SingletonSqlJsonItemRequired("left operand of jsonpath operator "
                                               f"{node[1]} is not a single numeric value")
        a, b = _number(left[0], node[1]), _number(right[0], node[1])
        try:
            result = {"+": a + b, "-": a - b, "*": a * b}.get(node[1])
            if result is None:
                if b == 0:
                    raise DivisionByZero("division by zero")
                result = divide_decimal(a, b) if node[1] == "/" else a % b
        except InvalidOperation as exc:
            raise DivisionByZero("division by zero") from exc
        return [_JsonNumber(numeric_text(result))]

    def predicate(self, node: Any, current: Any) -> bool | None:
        op = node[0]
        if op in ("and", "or"):
            a = self.predicate(node[1], current)
            if (op == "and" and a is False) or (op == "or" and a is True):
                return a
            b = self.predicate(node[2], current)
            if op == "and":
                return False if b is False else (None if None in (a, b) else True)
            return True if b is True else (None if None in (a, b) else False)
        if op == "not":
            value = self.predicate(node[1], current)
            return None if value is None else not value
        if op == "unknown":
            return self.predicate(node[1], current) is None
        if op == "exists":
            try:
                return bool(self.items(node[1], current))
            except PgError:
                return None
        try:
            if op == "cmp":
                return self._compare(node, current)
            if op == "like_regex":
                from pgha.storage.functions.patterns import _regex  # (it imports this one)

                flags = re.I if "i" in node[3] else 0
                pattern = _regex(node[2], flags | (re.S if "s" in node[3] else 0))
                return _any([pattern.search(v) is not None if type(v) is str else None
                             for v in self._unwrapped(self.items(node[1], current))])
            if op == "starts":
                prefix = self.items(node[2], current)
                return _any([v.startswith(p) if type(v) is str and type(p) is str else None
                             for v in self._unwrapped(self.items(node[1], current))
                             for p in prefix])
        except PgError:
            return None
        value = self.items(node, current)
        if len(value) == 1 and isinstance(value[0], bool | type(None)):
            return value[0]
        raise SingletonSqlJsonItemRequired("single boolean result is expected")

    def _compare(self, node: Any, current: Any) -> bool | None:
        left = self._unwrapped(self.items(node[2], current))
        right = self._unwrapped(self.items(node[3], current))
        return _any([_compare_items(node[1], a, b) for a in left for b in right])


def _any(results: list[bool | None]) -> bool | None:
    if True in results:
        return True
    return None if None in results else False


def _compare_items(op: str, a: Any, b: Any) -> bool | None:
    kinds = (_type_name(a), _type_name(b))
    if kinds[0] != kinds[1]:
        if "null" in kinds and op in ("==", "!="):
            return op == "!="
        return None
    if kinds[0] in ("object", "array"):
        return None
    if kinds[0] == "number":
        x: Any = Decimal(a)
        y: Any = Decimal(b)
    else:
        x, y = a, b
    if kinds[0] == "null":
        return op in ("==", "<=", ">=")
    return {"==": x == y, "!=": x != y, "<": x < y, "<=": x <= y, ">": x > y,
            ">=": x >= y}[op]


def _number(item: Any, what: str) -> Decimal:
    if not isinstance(item, _JsonNumber):
        raise SingletonSqlJsonItemRequired(
            f"operand of jsonpath operator {what} is not a numeric value")
    return Decimal(item)


def _type_name(item: Any) -> str:
    if item is None:
        return "null"
    if isinstance(item, bool):
        return "boolean"
    if isinstance(item, _JsonNumber):
        return "number"
    if isinstance(item, str):
        return "string"
    return "array" if isinstance(item, list) else "object"


def query(doc: Any, path: str, variables: Any = None, silent: Any = False) -> list[Any] | None:
    """The items ``path`` selects from ``doc`` (None when an argument is NULL); errors of a
    structural kind give no items when ``silent``."""
    if doc is None or path is None:
        return None
    parsed = parse_path(str(path))
    env = _jsonb_decoder.decode(str(variables)) if variables is not None else {}
    if not isinstance(env, dict):
        raise InvalidParameterValue('"vars" argument is not an object')
    try:
        return _Eval(parsed, _jsonb_decoder.decode(str(doc)), env).items(parsed.root, None)
    except DataException:
        if silent:
            return []
        raise


def match(doc: Any, path: str, variables: Any = None, silent: Any = False) -> bool | None:
    """jsonb_path_match and @@: the path's single boolean (unknown as NULL)."""
    items = query(doc, path, variables, silent)
    if items is None:
        return None
    if len(items) == 1 and isinstance(items[0], bool | type(None)):
        return items[0]  # type: ignore[no-any-return]
    if silent:
        return None
    raise SingletonSqlJsonItemRequired("single boolean result is expected")
