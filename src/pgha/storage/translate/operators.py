"""Operators, sub-selects and function calls for ``Analyzer``: their result
types (through ``signatures`` and ``datetimes``), the types they expect of their arguments
(so parameters and unknown literals get one), and the 42883 errors for calls with no match.
"""

from __future__ import annotations

from typing import Any

from pglast import ast, enums

from pgha.storage import builtin_functions
from pgha.storage import oids as T
from pgha.storage import types as pgtypes
from pgha.storage.columns import TypeRef
from pgha.storage.translate import datetimes
from pgha.storage.translate.scope import Scope, _func_name, _names, _pos
from pgha.storage.translate.signatures import (
    _INEXACT,
    BYTEA_FORMS,
    COMPARISON_OPS,
    FIXED_RESULT,
    SAME_AS_ARG,
    UNKNOWN,
    _arith_type,
    _common_type,
    _no_function,
    _no_operator,
    _power_type,
    _type_display,
)
from pgha.storage.translate.srf import JSON_DOCUMENT_ARGS
from pgha.wire.errors import (
    AmbiguousFunction,
    FeatureNotSupported,
    SqlSyntaxError,
    UndefinedFunction,
)

# The OID alias types have comparison operators only (oid itself still takes pgha's integer
# arithmetic, where PostgreSQL has none).
_OID_ALIASES = frozenset({T.REGPROC, T.REGPROCEDURE, T.REGCLASS, T.REGTYPE, T.REGNAMESPACE})


class OperatorMixin:
    """Operators, sub-selects and function calls.
    Part of ``Analyzer``, whose ``__init__`` sets the state these methods use."""

    def a_expr(self, node: ast.A_Expr, scope: Scope, expected: TypeRef | None) -> TypeRef:
        kind = node.kind
        K = enums.A_Expr_Kind
        op = _names(node.name)[-1] if node.name else ""
        if kind in (K.AEXPR_IN,):
            left = self.expr(node.lexpr, scope)
            types = [self.expr(e, scope, left) for e in node.rexpr]
            self._coerce_unknowns(node.rexpr, left if left != UNKNOWN else _common_type(types))
            return (T.BOOL, -1)
        if kind in (
            K.AEXPR_BETWEEN,
            K.AEXPR_NOT_BETWEEN,
            K.AEXPR_BETWEEN_SYM,
            K.AEXPR_NOT_BETWEEN_SYM,
        ):
            left = self.expr(node.lexpr, scope)
            for e in node.rexpr:
                self.expr(e, scope, left)
            if left[0] in (T.FLOAT4, T.FLOAT8):
                self._coerce_unknowns(node.rexpr, left)  # numeric bounds compare as floats
            return (T.BOOL, -1)
        if kind in (K.AEXPR_OP_ANY, K.AEXPR_OP_ALL):
            left = self.expr(node.lexpr, scope)
            arr_expected = (T.ARRAY_OF.get(left[0], T.TEXT_ARRAY), -1)
            right = self.expr(node.rexpr, scope, arr_expected)
            if left == UNKNOWN and right[0] in T.ELEMENT_OF and isinstance(node.lexpr, ast.A_Const):
                self.fold_literal(node.lexpr, (T.ELEMENT_OF[right[0]], -1))
            return (T.BOOL, -1)
        if kind == K.AEXPR_NULLIF:
            left = self.expr(node.lexpr, scope, expected)
            self.expr(node.rexpr, scope, left)
            return left
        if kind in (K.AEXPR_LIKE, K.AEXPR_ILIKE, K.AEXPR_SIMILAR):
            self.expr(node.lexpr, scope, (T.TEXT, -1))
            self.expr(node.rexpr, scope, (T.TEXT, -1))
            return (T.BOOL, -1)
        if kind in (K.AEXPR_DISTINCT, K.AEXPR_NOT_DISTINCT):
            left = self.expr(node.lexpr, scope)
            right = self.expr(node.rexpr, scope, left)
            if left == UNKNOWN and isinstance(node.lexpr, ast.A_Const | ast.ParamRef):
                self.expr(node.lexpr, scope, right)
            return (T.BOOL, -1)
        if kind != K.AEXPR_OP:
            raise FeatureNotSupported(f"operator kind {kind.name} is not supported")
        if node.lexpr is None:  # prefix operator
            t = self.expr(node.rexpr, scope, expected)
            if op == "-" and isinstance(node.rexpr, ast.A_Const) and t == UNKNOWN:
                return (T.NUMERIC, -1)
            if op in ("|/", "||/"):
                return (T.FLOAT8, -1)  # square and cube root are float8 operators only
            if (op == "~" and t[0] in _INEXACT) or (op == "-" and t[0] in _OID_ALIASES):
                raise _no_operator(op, None, t, node)
            return (T.BOOL, -1) if op in ("!", "NOT") else t
        # Type the side that is not a parameter/literal first so the other takes its type.
        l_is_free = isinstance(node.lexpr, ast.ParamRef | ast.A_Const)
        if l_is_free and not isinstance(node.rexpr, ast.ParamRef | ast.A_Const):
            right = self.expr(node.rexpr, scope)
            left = self.expr(node.lexpr, scope, self._operand_expectation(op, right))
        else:
            left = self.expr(node.lexpr, scope)
            right = self.expr(node.rexpr, scope, self._operand_expectation(op, left))
            if left == UNKNOWN and right != UNKNOWN:
                left = self.expr(node.lexpr, scope, self._operand_expectation(op, right))
        if op in COMPARISON_OPS:
            if T.JSON in (left[0], right[0]):  # json has no comparison operators, jsonb has
                raise UndefinedFunction(f"operator does not exist: {_type_display(left)} {op} "
                                        f"{_type_display(right)}", position=_pos(node))
            return (T.BOOL, -1)
        if op in (
            "~",
            "!~",
            "~*",
            "!~*",
            "~~",
            "!~~",
            "~~*",
            "!~~*",
            "@>",
            "<@",
            "?",
            "?|",
            "?&",
            "&&",
            "@?",
            "@@",
            "^@",
        ):
            return (T.BOOL, -1)
        if op == "||":
            if left[0] in (T.JSONB,) or right[0] in (T.JSONB,):
                return (T.JSONB, -1)
            if left[0] in T.ELEMENT_OF:
                return left
            if right[0] in T.ELEMENT_OF:  # element || array
                return right
            if left[0] == right[0] == T.BYTEA:
                return (T.BYTEA, -1)
            return (T.TEXT, -1)
        if op in ("->", "#>"):
            return (T.JSONB if left[0] == T.JSONB else T.JSON, -1)
        if op in ("-", "#-") and left[0] == T.JSONB:
            return left
        if op in ("->>", "#>>"):
            return (T.TEXT, -1)
        if op == "%" and (left[0] in (T.FLOAT4, T.FLOAT8) or right[0] in (T.FLOAT4, T.FLOAT8)):
            raise _no_operator(op, left, right, node)  # % exists for integers and numeric
        if op in ("+", "-", "*", "/", "%"):
            if left[0] in _OID_ALIASES or right[0] in _OID_ALIASES:
                raise _no_operator(op, left, right, node)  # no arithmetic on regproc & co
            return _arith_type(op, left, right)
        if op == "^":
            return _power_type([left, right])
        if op in ("&", "|", "#", "<<", ">>"):
            if left[0] in _INEXACT or right[0] in _INEXACT:
                raise _no_operator(op, left, right, node)  # bitwise: integers only
            return left
        raise UndefinedFunction(f"operator does not exist: {op}", position=_pos(node))

    @staticmethod
    def _operand_expectation(op: str, other: TypeRef) -> TypeRef | None:
        if op in ("#>", "#>>", "?|", "?&", "#-") and other[0] in (T.JSON, T.JSONB):
            return (T.TEXT_ARRAY, -1)
        if op in ("->", "->>", "#>", "#>>", "?"):
            return (T.TEXT, -1)
        if op == "||" and other[0] == T.JSONB:
            return other
        if op in ("-", "@?", "@@") and other[0] == T.JSONB:
            return (T.TEXT, -1)
        if op == "||" and other[0] == T.BYTEA:
            return other  # bytea || 'literal' is bytea
        if op in ("~", "!~", "~*", "!~*", "~~", "!~~", "~~*", "!~~*", "||"):
            return (T.TEXT, -1) if other[0] not in T.ELEMENT_OF else other
        if op == "-" and other[0] in (T.DATE, T.TIMESTAMP, T.TIMESTAMPTZ, T.TIME):
            return other  # an unknown operand takes the other's type: date - date exists
        if op in ("+", "-") and other[0] in (T.TIMESTAMP, T.TIMESTAMPTZ, T.TIME):
            return (T.INTERVAL, -1)
        if op in ("+", "-") and other[0] == T.DATE:
            return (T.INT4, -1)
        return other

    def sublink(self, node: ast.SubLink, scope: Scope, expected: TypeRef | None) -> TypeRef:
        kind = node.subLinkType
        S = enums.SubLinkType
        cols = self.select(node.subselect, Scope(parent=scope))
        if kind == S.EXISTS_SUBLINK:
            return (T.BOOL, -1)
        if kind == S.EXPR_SUBLINK:
            if len(cols) != 1:
                raise SqlSyntaxError("subquery must return only one column")
            return cols[0].type
        if kind == S.ARRAY_SUBLINK:
            return (T.ARRAY_OF.get(cols[0].type[0], T.TEXT_ARRAY), -1)
        if kind in (S.ANY_SUBLINK, S.ALL_SUBLINK):
            self.expr(node.testexpr, scope, cols[0].type if cols else None)
            return (T.BOOL, -1)
        raise FeatureNotSupported(f"subquery kind {kind.name} is not supported")

    def func_call(self, node: ast.FuncCall, scope: Scope, expected: TypeRef | None) -> TypeRef:
        name = _func_name(node)
        args = list(node.args or ())
        if name == "make_interval":  # the one function called with named arguments
            args = datetimes.unwrap_named(args)
        if node.agg_filter is not None:
            self.expr(node.agg_filter, scope, (T.BOOL, -1))
        if node.over is not None:
            self.window_def(node.over, scope)
        for s in node.agg_order or ():
            self.expr(s.node, scope)
        if (
            name in ("nextval", "currval", "setval", "pg_get_serial_sequence")
            or name.startswith("pg_advisory")
            or name
            in (
                "set_config",
                "pg_promote",
                "pgha_force_promote",
                "pg_sleep",
                "pg_notify",
                "gen_random_uuid",
                "random",
                "pg_try_advisory_lock",
            )
        ):
            self.is_write = self.is_write or name in ("nextval", "setval")
        if name in ("pg_sleep", "pg_advisory_lock", "pg_advisory_xact_lock", "pg_promote",
                    "pgha_force_promote"):
            self.blocking = True
        expected_args = self.function_arg_types(name, len(args))
        if name == "substring" and len(args) in (2, 3) and self._string_literal(args[1]):
            # substring(s FROM pattern), substring(s SIMILAR pattern ESCAPE e)
            expected_args = [(T.TEXT, -1)] * len(args)
        types = [
            self.expr(a, scope, expected_args[i] if expected_args else None)
            for i, a in enumerate(args)
        ]
        cast = self.function_style_cast(node, name, args, types)
        if cast is not None:
            return cast
        datetime_result = datetimes.result_type(name, types)
        if datetime_result is not None:
            return datetime_result
        if name in ("sqrt", "power", "pow", "exp", "ln", "log", "log10"):
            if name == "log" and len(types) == 2:
                return (T.NUMERIC, -1)  # log(b, x) exists for numeric only
            return _power_type(types)
        floats = [t for t in types if t[0] in (T.FLOAT4, T.FLOAT8)]
        if floats and (name in ("gcd", "lcm", "div", "mod", "factorial") or (
                name in ("round", "trunc") and len(types) == 2)):
            raise _no_function(name, types, node)  # numeric or integer versions only
        if name == "factorial" and types and types[0][0] == T.NUMERIC:
            raise _no_function(name, types, node)
        if name in ("gcd", "lcm"):
            if types and all(t[0] in (T.INT2, T.UNKNOWN) for t in types):
                shown = ", ".join(_type_display(t) for t in types)
                raise AmbiguousFunction(f"function {name}({shown}) is not unique",
                                        position=_pos(node))
            common = _common_type(types)
            return common if common[0] in (T.INT2, T.INT4, T.INT8, T.NUMERIC) else (
                T.NUMERIC, -1)
        if name == "factorial":
            return (T.NUMERIC, -1)
        if name in ("bit_and", "bit_or", "bit_xor") and types:
            return types[0] if types[0] != UNKNOWN else (T.INT4, -1)
        if name in ("percentile_cont", "percentile_disc", "mode") and node.agg_within_group:
            ordered = self.expr(node.agg_order[0].node, scope)
            if name == "percentile_cont":
                if ordered[0] not in T.NUMERIC_RANK and ordered[0] not in (T.UNKNOWN,
                                                                             T.INTERVAL):
                    raise UndefinedFunction(f"function percentile_cont({_type_display(types[0])}"
                                            f" ORDER BY {_type_display(ordered)}) does not exist")
                ordered = (T.INTERVAL if ordered[0] == T.INTERVAL else T.FLOAT8, -1)
            elif ordered == UNKNOWN:
                ordered = (T.TEXT, -1)
            if types and types[0][0] in T.ELEMENT_OF:  # an array of fractions
                return (T.ARRAY_OF.get(ordered[0], T.TEXT_ARRAY), -1)
            return ordered
        if name in BYTEA_FORMS and types and types[0][0] == T.BYTEA:
            return (T.BYTEA, -1)
        if name in FIXED_RESULT:
            if name == "sign" and types and types[0][0] != T.NUMERIC:
                return (T.FLOAT8, -1)
            if name in ("date_part", "extract") and types and types[-1][0] == T.UNKNOWN:
                return FIXED_RESULT[name]
            return FIXED_RESULT[name]
        if name == "sum":
            t = types[0] if types else UNKNOWN
            return {
                T.INT2: (T.INT8, -1),
                T.INT4: (T.INT8, -1),
                T.INT8: (T.NUMERIC, -1),
                T.FLOAT4: (T.FLOAT4, -1),
                T.FLOAT8: (T.FLOAT8, -1),
                T.INTERVAL: (T.INTERVAL, -1),
            }.get(t[0], (T.NUMERIC, -1))
        if name == "avg":
            t = types[0] if types else UNKNOWN
            return (
                (T.FLOAT8, -1)
                if t[0] in (T.FLOAT4, T.FLOAT8)
                else ((T.INTERVAL, -1) if t[0] == T.INTERVAL else (T.NUMERIC, -1))
            )
        if name in ("stddev", "variance", "stddev_samp", "var_samp", "stddev_pop", "var_pop"):
            t = types[0] if types else UNKNOWN
            return (T.FLOAT8, -1) if t[0] in (T.FLOAT4, T.FLOAT8) else (T.NUMERIC, -1)
        if name == "array_agg":
            t = types[0] if types else (T.TEXT, -1)
            return (T.ARRAY_OF.get(t[0], T.TEXT_ARRAY), -1)
        if name in SAME_AS_ARG:
            common = _common_type(
                types[:1]
                if name in ("round", "trunc", "date_trunc", "lag", "lead", "nth_value")
                else types
            )
            if name == "date_trunc" and len(types) >= 2:
                return types[1] if types[1] != UNKNOWN else (T.TIMESTAMPTZ, -1)
            if name in ("round", "trunc", "ceil", "ceiling", "floor") and \
                    common[0] in T.INTEGER_TYPES:
                # round(int) is round(float8), float8 being the preferred type; with a
                # second argument only round(numeric, int) exists.
                return (T.NUMERIC, -1) if len(types) > 1 else (T.FLOAT8, -1)
            if name in ("round", "trunc", "ceil", "ceiling", "floor") and common[0] == T.FLOAT4:
                return (T.FLOAT8, -1)  # these exist for float8 and numeric only
            if name in ("round", "trunc", "ceil", "ceiling", "floor", "abs", "mod"):
                return (common[0], -1)  # a function's result has no typmod: ceil(numeric(10,2))
            if name in ("coalesce", "greatest", "least", "min", "max"):
                self._coerce_unknowns(args, common)
            return common if common != UNKNOWN else (T.TEXT, -1)
        if name in ("array_append", "array_cat", "array_remove", "array_replace", "trim_array"):
            if name == "array_cat" and types and types[0][0] == T.UNKNOWN and len(types) > 1:
                return types[1]
            if name == "array_append" and len(types) > 1 and types[0][0] == T.UNKNOWN:
                return (T.ARRAY_OF.get(types[1][0], T.TEXT_ARRAY), -1)
            return types[0] if types else (T.TEXT_ARRAY, -1)
        if name == "array_prepend":
            if len(types) > 1 and types[1][0] == T.UNKNOWN:
                return (T.ARRAY_OF.get(types[0][0], T.TEXT_ARRAY), -1)
            return types[1] if len(types) > 1 else (T.TEXT_ARRAY, -1)
        if name == "array_fill":
            return (T.ARRAY_OF.get(types[0][0], T.TEXT_ARRAY), -1) if types else UNKNOWN
        if name in ("generate_series", "unnest"):
            raise FeatureNotSupported(f"set-returning function {name}() is only supported in FROM")
        raise UndefinedFunction(
            f"function {name}({', '.join(_type_display(t) for t in types)}) does not exist",
            hint="No function matches the given name and argument types. You might need to "
            "add explicit type casts.",
            position=_pos(node),
        )

    def function_style_cast(self, node: ast.FuncCall, name: str, args: list[Any],
                            types: list[TypeRef]) -> TypeRef | None:
        """``int4(x)``, ``text(b)``: a cast function of pg_cast called by name is the cast
        (printed as one); an untyped literal argument takes the type the name names, as in
        PostgreSQL's function-style cast. None if the call is no such thing."""
        if len(args) != 1 or node.agg_star or node.over is not None or node.agg_distinct:
            return None
        result = builtin_functions.cast_function(name, types[0][0])
        if result is None and types[0][0] == T.UNKNOWN and isinstance(args[0], ast.A_Const):
            named = pgtypes.type_by_name(name)
            if named is not None and builtin_functions.is_cast_function(name):
                result = named.oid
        if result is None:
            return None
        target_type = pgtypes.TYPES_BY_OID[result]
        cast = ast.TypeCast(arg=args[0], typeName=ast.TypeName(
            names=(ast.String(sval="pg_catalog"), ast.String(sval=target_type.name)),
            typemod=-1))
        target = (result, -1)
        if isinstance(args[0], ast.A_Const) and not args[0].isnull:
            self.fold_literal(args[0], target)
        self.types[id(cast)] = target
        self.function_casts[id(node)] = (node, cast)
        return target

    def _string_literal(self, node: Any) -> bool:
        """A string constant, also as the untyped parameter a simple Query's literal becomes."""
        if isinstance(node, ast.A_Const):
            return isinstance(node.val, ast.String)
        return isinstance(node, ast.ParamRef) and node.number not in self.params

    @staticmethod
    def function_arg_types(name: str, nargs: int) -> list[TypeRef | None] | None:
        datetime_args = datetimes.arg_types(name, nargs)
        if datetime_args is not None:
            return datetime_args
        text = (T.TEXT, -1)
        int4 = (T.INT4, -1)
        if name in JSON_DOCUMENT_ARGS:  # the document, then (as for #>) text path steps
            doc = (T.JSONB if name.startswith("jsonb") else T.JSON, -1)
            rest: list[TypeRef | None] = [text] * (nargs - 1)
            if name in ("jsonb_set", "jsonb_insert", "jsonb_set_lax"):
                rest = [(T.TEXT_ARRAY, -1), doc, (T.BOOL, -1), text][: nargs - 1]
            elif name.startswith("jsonb_path"):  # (target, path, vars, silent)
                rest = [text, doc, (T.BOOL, -1)][: nargs - 1]
            return [doc, *rest]
        bytea = (T.BYTEA, -1)
        table: dict[str, list[TypeRef | None]] = {
            "nextval": [(T.REGCLASS, -1)],
            "currval": [(T.REGCLASS, -1)],
            "setval": [(T.REGCLASS, -1), (T.INT8, -1), (T.BOOL, -1)],
            "set_config": [text, text, (T.BOOL, -1)],
            "pg_promote": [(T.BOOL, -1), int4],
            "current_setting": [text, (T.BOOL, -1)],
            "left": [text, int4],
            "right": [text, int4],
            "repeat": [text, int4],
            "lpad": [text, int4, text],
            "rpad": [text, int4, text],
            "substr": [text, int4, int4],
            "substring": [text, int4, int4],
            "split_part": [text, text, int4],
            "pg_sleep": [(T.FLOAT8, -1)],
            "pg_notify": [text, text],
            "to_regtype": [text],
            "to_regclass": [text],
            "to_regproc": [text],
            "to_regprocedure": [text],
            "date_trunc": [text, None],
            "date_part": [text, None],
            "extract": [text, None],
            "pg_advisory_lock": [(T.INT8, -1), int4],
            "pg_advisory_unlock": [(T.INT8, -1), int4],
            "pg_try_advisory_lock": [(T.INT8, -1), int4],
            "json_object": [(T.TEXT_ARRAY, -1)] * 2,
            "jsonb_object": [(T.TEXT_ARRAY, -1)] * 2,
            "convert_from": [bytea, text],
            "get_byte": [bytea, int4],
            "set_byte": [bytea, int4, int4],
            "sha224": [bytea],
            "sha256": [bytea],
            "sha384": [bytea],
            "sha512": [bytea],
            "encode": [bytea, text],
            "overlay": [text, text, int4, int4],
            "array_fill": [None, (T.INT4_ARRAY, -1), (T.INT4_ARRAY, -1)],
            "trim_array": [None, int4],
        }
        return table.get(name)
