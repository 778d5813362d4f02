"""Rewrite raise-by-string and catch-by-string SQLSTATE sites into the generated error classes.

Usage::

    PYTHONPATH=src python tools/sqlstate_codemod.py [--check] [PATH ...]

With no PATH it rewrites every ``.py`` file under ``src/pgha`` except those in ``EXCLUDED``
(the module that defines the classes). ``--check`` rewrites nothing and exits 1 if some file
would change.

Rewrites, each only when the meaning is certainly unchanged:

- ``PgError("23505", msg, **fields)``, and ``PgError(UNIQUE_VIOLATION, ...)`` with a constant
  imported from ``pgha.wire.sqlstate``, become ``UniqueViolation(msg, **fields)``. A class whose
  default severity is not ERROR (``ProtocolViolation``) gets ``severity="ERROR"`` unless the call
  names one. A code with no class of its own (``PgError("23999", ...)``) is left alone.
- ``except PgError as exc:`` whose first statement is ``if exc.sqlstate == "42P01": ...`` (no
  ``else``, body ending in raise/return/continue/break, and the code a leaf class, so that
  ``except UndefinedTable`` catches exactly that code) becomes ``except UndefinedTable as exc:``
  with the ``if`` body, followed by ``except PgError as exc:`` with the rest.
- Imports: the classes are added to the module's ``from pgha.wire.errors import ...``, and
  ``PgError`` or a ``pgha.wire.sqlstate`` constant no longer used is dropped from its import.

It is idempotent: a rewritten file has nothing left to rewrite. Every other comparison of a
``.sqlstate`` with a literal is reported (``path:line: ...``) for a person to judge. Run ``ruff
check --select I --fix`` afterwards to order the imports.
"""

from __future__ import annotations

import importlib
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from pgha.wire import sqlstate
from pgha.wire.errors import PgError, registered

ROOT = Path(__file__).resolve().parents[1]
SOURCE_ROOT = ROOT / "src/pgha"
EXCLUDED = (
    "wire/errors.py",  # defines the classes; a rewrite there would import itself
)
ERRORS_MODULE = "pgha.wire.errors"
MAX_LINE = 100  # ruff's line-length
JUMPS = (cst.Raise, cst.Return, cst.Continue, cst.Break)


REGISTERED = registered()


def own_class(code: str) -> type[PgError] | None:
    """The class registered for exactly ``code`` (not its SQLSTATE class's fallback)."""
    return REGISTERED.get(code)


def is_leaf(cls: type[PgError]) -> bool:
    return not any(issubclass(other, cls) and other is not cls for other in REGISTERED.values())


def literal_code(node: cst.BaseExpression) -> str | None:
    if isinstance(node, cst.SimpleString) and node.prefix == "":
        value = node.evaluated_value
        if isinstance(value, str) and len(value) == 5:
            return value
    return None


def module_path(node: cst.ImportFrom) -> str | None:
    if node.relative or node.module is None:
        return None
    return cst.Module([]).code_for_node(node.module)


class Realign(cst.CSTTransformer):
    """Moves continuation lines aligned under the old call's first or second argument to the
    new call's first argument."""

    def __init__(self, old_columns: set[int], new_column: int, block_indent: int) -> None:
        super().__init__()
        self.old_columns = old_columns
        self.new_column = new_column
        self.block_indent = block_indent  # prefixed to a line whose ``indent`` is true

    def leave_ParenthesizedWhitespace(
        self, original: cst.ParenthesizedWhitespace, updated: cst.ParenthesizedWhitespace
    ) -> cst.ParenthesizedWhitespace:
        base = self.block_indent if updated.indent else 0
        if base + len(updated.last_line.value) in self.old_columns:
            spaces = " " * (self.new_column - base)
            return updated.with_changes(last_line=cst.SimpleWhitespace(spaces))
        return updated


@dataclass
class Rewrite(cst.CSTTransformer):
    """One module's rewrite; ``needed`` collects the classes to import."""

    METADATA_DEPENDENCIES = (PositionProvider,)

    sqlstate_names: dict[str, str]  # local name -> code, for names from pgha.wire.sqlstate
    default_indent: str
    taken: set[str]  # names the module binds otherwise (decimal's DivisionByZero, ...)
    lines: list[str]  # the source's lines
    needed: set[str] = field(default_factory=set)
    clashes: list[str] = field(default_factory=list)
    indents: list[str] = field(default_factory=list)
    raises: int = 0
    catches: int = 0

    def __post_init__(self) -> None:
        super().__init__()

    def visit_IndentedBlock(self, node: cst.IndentedBlock) -> None:
        self.indents.append(self.default_indent if node.indent is None else node.indent)

    def leave_IndentedBlock(
        self, original: cst.IndentedBlock, updated: cst.IndentedBlock
    ) -> cst.IndentedBlock:
        self.indents.pop()
        return updated

    def code_of(self, node: cst.BaseExpression) -> str | None:
        if isinstance(node, cst.Name) and node.value in self.sqlstate_names:
            return self.sqlstate_names[node.value]
        return literal_code(node)

    def usable(self, cls: type[PgError] | None) -> bool:
        if cls is None:
            return False
        if cls.__name__ in self.taken:
            self.clashes.append(cls.__name__)
            return False
        return True

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
        if not (isinstance(updated.func, cst.Name) and updated.func.value == "PgError"):
            return updated
        args = list(updated.args)
        if len(args) < 2 or args[0].keyword is not None or args[0].star or args[1].star:
            return updated
        code = self.code_of(args[0].value)
        cls = None if code is None else own_class(code)
        if cls is None or not self.usable(cls):
            return updated
        rest = args[1:]
        named = {a.keyword.value for a in rest if a.keyword is not None}
        if cls.default_severity != "ERROR" and "severity" not in named:
            last = rest[-1]
            if last.comma == cst.MaybeSentinel.DEFAULT:
                space = cst.SimpleWhitespace(" ")
                rest[-1] = last.with_changes(comma=cst.Comma(whitespace_after=space))
            rest.append(cst.Arg(cst.SimpleString('"ERROR"'), keyword=cst.Name("severity"),
                                equal=cst.AssignEqual(cst.SimpleWhitespace(""),
                                                      cst.SimpleWhitespace(""))))
        self.needed.add(cls.__name__)
        self.raises += 1
        new = updated.with_changes(func=cst.Name(cls.__name__), args=rest)
        start = self.get_metadata(PositionProvider, original).start.column
        before = updated.whitespace_before_args
        first_arg = start + len("PgError(")
        if isinstance(before, cst.SimpleWhitespace):
            first_arg += len(before.value)
        second_arg = self.get_metadata(PositionProvider, original.args[1]).start.column
        old_columns = {first_arg, second_arg}
        block_indent = len("".join(self.indents))
        aligned = cst.ensure_type(
            new.visit(Realign(old_columns, start + len(cls.__name__) + 1, block_indent)), cst.Call
        )
        end = self.get_metadata(PositionProvider, original).end
        trailing = len(self.lines[end.line - 1]) - end.column
        if fits(aligned, start, block_indent, trailing):
            return aligned
        # Too wide once aligned under the longer name: hang the arguments instead.
        hanging = cst.ParenthesizedWhitespace(indent=True, last_line=cst.SimpleWhitespace("    "))
        new = new.with_changes(whitespace_before_args=hanging)
        return cst.ensure_type(new.visit(Realign(old_columns, block_indent + 4, block_indent)),
                               cst.Call)

    def leave_Try(self, original: cst.Try, updated: cst.Try) -> cst.Try:
        handlers: list[cst.ExceptHandler] = []
        for i, handler in enumerate(updated.handlers):
            split = self.split_handler(handler)
            if split is None:
                handlers.append(handler)
                continue
            matched, rest = split
            # A last ``except PgError: raise`` left over changes nothing: drop it.
            last = i == len(updated.handlers) - 1
            handlers += [matched] if last and only_reraises(rest) else [matched, rest]
        return updated.with_changes(handlers=handlers)

    def split_handler(self, handler: cst.ExceptHandler) -> list[cst.ExceptHandler] | None:
        if not (isinstance(handler.type, cst.Name) and handler.type.value == "PgError"):
            return None
        if handler.name is None or not isinstance(handler.name.name, cst.Name):
            return None
        exc = handler.name.name.value
        body = handler.body
        if not isinstance(body, cst.IndentedBlock) or len(body.body) < 2:
            return None
        first = body.body[0]
        if not isinstance(first, cst.If) or first.orelse is not None:
            return None
        code = self.compared_code(first.test, exc)
        cls = None if code is None else own_class(code)
        if cls is None or not is_leaf(cls) or not ends_in_jump(first.body):
            return None
        if not self.usable(cls):
            return None
        self.needed.add(cls.__name__)
        self.catches += 1
        matched = handler.with_changes(type=cst.Name(cls.__name__), body=first.body)
        rest = handler.with_changes(body=body.with_changes(body=body.body[1:]), leading_lines=())
        return [drop_unused_name(matched, exc), drop_unused_name(rest, exc)]

    @staticmethod
    def compared_code(test: cst.BaseExpression, exc: str) -> str | None:
        """"42P01" for ``exc.sqlstate == "42P01"``, else None."""
        if not (isinstance(test, cst.Comparison) and len(test.comparisons) == 1):
            return None
        target = test.comparisons[0]
        if not isinstance(target.operator, cst.Equal):
            return None
        left = test.left
        if not (isinstance(left, cst.Attribute) and left.attr.value == "sqlstate"
                and isinstance(left.value, cst.Name) and left.value.value == exc):
            return None
        return literal_code(target.comparator)


def fits(call: cst.Call, start: int, block_indent: int, trailing: int) -> bool:
    """Whether ``call``, starting at column ``start`` and followed by ``trailing`` characters
    on its last line, keeps within MAX_LINE (erring wide: a continuation line is counted with
    the block's indentation added)."""
    lines = cst.Module([]).code_for_node(call).split("\n")
    widths = [start + len(lines[0]), *(block_indent + len(line) for line in lines[1:])]
    widths[-1] += trailing
    return max(widths) <= MAX_LINE


def only_reraises(handler: cst.ExceptHandler) -> bool:
    body = handler.body
    statements = body.body if isinstance(body, cst.IndentedBlock) else [body]
    if len(statements) != 1:
        return False
    line = statements[0]
    if not isinstance(line, cst.SimpleStatementLine | cst.SimpleStatementSuite):
        return False
    return len(line.body) == 1 and isinstance(line.body[0], cst.Raise) and line.body[0].exc is None


def drop_unused_name(handler: cst.ExceptHandler, name: str) -> cst.ExceptHandler:
    """``except X:`` for ``except X as exc:`` whose body no longer uses ``exc``."""
    names = Names()
    handler.body.visit(names)
    if name in names.used:
        return handler
    return handler.with_changes(name=None)


def ends_in_jump(block: cst.BaseSuite) -> bool:
    if isinstance(block, cst.SimpleStatementSuite):
        return isinstance(block.body[-1], JUMPS)
    last = cst.ensure_type(block, cst.IndentedBlock).body[-1]
    return isinstance(last, cst.SimpleStatementLine) and isinstance(last.body[-1], JUMPS)


class Names(cst.CSTVisitor):
    """Every Name used outside import statements."""

    def __init__(self) -> None:
        self.used: set[str] = set()

    def visit_Import(self, node: cst.Import) -> bool:
        return False

    def visit_ImportFrom(self, node: cst.ImportFrom) -> bool:
        return False

    def visit_Name(self, node: cst.Name) -> None:
        self.used.add(node.value)


class FixImports(cst.CSTTransformer):
    """Adds ``needed`` to ``from pgha.wire.errors import``; drops names in ``drop`` that are no
    longer used. Only module-level imports are touched."""

    def __init__(self, needed: set[str], unused: set[str]) -> None:
        super().__init__()
        self.needed = needed
        self.unused = unused
        self.added = False

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        return False

    def leave_ImportFrom(
        self, original: cst.ImportFrom, updated: cst.ImportFrom
    ) -> cst.ImportFrom | cst.RemovalSentinel:
        path = module_path(updated)
        if path is None or not path.startswith("pgha."):
            return updated
        if isinstance(updated.names, cst.ImportStar):
            return updated
        kept = [
            a for a in updated.names
            if a.asname is not None or cst.ensure_type(a.name, cst.Name).value not in self.unused
        ]
        names = {cst.Module([]).code_for_node(a.name) for a in kept}
        if path == ERRORS_MODULE and not self.added:
            self.added = True
            kept += [cst.ImportAlias(cst.Name(n)) for n in sorted(self.needed - names)]
        if not kept:
            return cst.RemoveFromParent()
        unchanged = zip(kept, updated.names, strict=False)
        if len(kept) == len(updated.names) and all(a is b for a, b in unchanged):
            return updated
        kept = [a.with_changes(comma=cst.MaybeSentinel.DEFAULT) for a in kept]
        return updated.with_changes(names=kept, lpar=None, rpar=None)

    def leave_Module(self, original: cst.Module, updated: cst.Module) -> cst.Module:
        if self.added or not self.needed:
            return updated
        line = cst.parse_statement(
            f"from {ERRORS_MODULE} import {', '.join(sorted(self.needed))}\n"
        )
        body = list(updated.body)
        at = 0
        for i, stmt in enumerate(body):
            if isinstance(stmt, cst.SimpleStatementLine) and isinstance(
                stmt.body[0], cst.Import | cst.ImportFrom
            ):
                at = i + 1
        body.insert(at, line)
        return updated.with_changes(body=body)


def sqlstate_names(module: cst.Module) -> dict[str, str]:
    """Names that certainly hold a SQLSTATE: a ``pgha.wire.sqlstate`` constant imported from a
    ``pgha`` module (``sqlstate`` itself or one that re-exports or redefines it with the same
    value, as ``types_codec`` does), or defined at module level with the constant's value."""
    out: dict[str, str] = {}
    for stmt in module.body:
        if not isinstance(stmt, cst.SimpleStatementLine):
            continue
        node = stmt.body[0]
        if isinstance(node, cst.Assign) and len(node.targets) == 1:
            target = node.targets[0].target
            code = literal_code(node.value)
            if (isinstance(target, cst.Name) and code is not None
                    and code == getattr(sqlstate, target.value, None)):
                out[target.value] = code
            continue
        if not isinstance(node, cst.ImportFrom) or isinstance(node.names, cst.ImportStar):
            continue
        path = module_path(node)
        if path is None or not path.startswith("pgha."):
            continue
        try:
            source = importlib.import_module(path)
        except ImportError:
            continue
        for alias in node.names:
            name = cst.ensure_type(alias.name, cst.Name).value
            value = getattr(sqlstate, name, None)
            if (alias.asname is None and isinstance(value, str) and len(value) == 5
                    and getattr(source, name, None) == value):
                out[name] = value
    return out


@dataclass
class Result:
    source: str
    raises: int
    catches: int
    left: list[str]  # "line: text" of catch-by-string sites not rewritten


#: A quick test that a file may hold something to rewrite or report; libcst parses only those.
CANDIDATE = re.compile(r'PgError\(\s*(?:"[0-9A-Z]{5}"|[A-Za-z_]\w*\s*,)|\.sqlstate\b')


def rewrite(source: str) -> Result:
    if CANDIDATE.search(source) is None:
        return Result(source, 0, 0, [])
    module = cst.parse_module(source)
    names_before = Names()
    module.visit(names_before)
    taken = names_before.used - imported_from_errors(module)
    rewrite = Rewrite(sqlstate_names(module), module.default_indent, taken, source.split("\n"))
    module = MetadataWrapper(module).visit(rewrite)
    if rewrite.needed:
        names_after = Names()
        module.visit(names_after)
        candidates = {"PgError", *rewrite.sqlstate_names}
        unused = {n for n in candidates if n in names_before.used and n not in names_after.used}
        module = module.visit(FixImports(rewrite.needed, unused))
    left = leftover_catches(module)
    left += [f"0: {name} is bound otherwise here; sites left as PgError(...)"
             for name in sorted(set(rewrite.clashes))]
    return Result(module.code, rewrite.raises, rewrite.catches, left)


def imported_from_errors(module: cst.Module) -> set[str]:
    out: set[str] = set()
    for stmt in module.body:
        if isinstance(stmt, cst.SimpleStatementLine) and isinstance(stmt.body[0], cst.ImportFrom):
            node = stmt.body[0]
            if module_path(node) == ERRORS_MODULE and not isinstance(node.names, cst.ImportStar):
                out |= {cst.ensure_type(a.name, cst.Name).value for a in node.names
                        if a.asname is None}
    return out


class Leftovers(cst.CSTVisitor):
    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(self) -> None:
        self.found: list[str] = []

    def visit_Comparison(self, node: cst.Comparison) -> None:
        parts = [node.left, *(c.comparator for c in node.comparisons)]
        if any(isinstance(p, cst.Attribute) and p.attr.value == "sqlstate" for p in parts) and any(
            literal_code(p) is not None or isinstance(p, cst.Tuple | cst.Set | cst.List | cst.Name)
            for p in parts
        ):
            line = self.get_metadata(PositionProvider, node).start.line
            self.found.append(f"{line}: {cst.Module([]).code_for_node(node)}")

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if (isinstance(func, cst.Attribute) and func.attr.value in ("startswith", "endswith")
                and isinstance(func.value, cst.Attribute) and func.value.attr.value == "sqlstate"):
            line = self.get_metadata(PositionProvider, node).start.line
            self.found.append(f"{line}: {cst.Module([]).code_for_node(node)}")


def leftover_catches(module: cst.Module) -> list[str]:
    visitor = Leftovers()
    MetadataWrapper(module).visit(visitor)
    return visitor.found


def default_paths() -> list[Path]:
    excluded = {p for pattern in EXCLUDED for p in SOURCE_ROOT.glob(pattern)}
    return sorted(p for p in SOURCE_ROOT.rglob("*.py") if p not in excluded)


def main(argv: Sequence[str]) -> int:
    args = list(argv[1:])
    check = "--check" in args
    paths = [Path(a) for a in args if a != "--check"] or default_paths()
    changed = 0
    for path in paths:
        source = path.read_text(encoding="utf-8")
        result = rewrite(source)
        shown = path.relative_to(ROOT) if path.is_absolute() else path
        # lines of the file as it will be on disk: rewritten, or not (--check)
        left = result.left
        if check and left:
            clashes = [site for site in left if site.startswith("0: ")]
            left = leftover_catches(cst.parse_module(source)) + clashes
        for site in left:
            print(f"{shown}:{site}  [left: compare by SQLSTATE string]")
        if result.source == source:
            continue
        changed += 1
        print(f"{shown}: {result.raises} raise sites, {result.catches} catch sites rewritten")
        if not check:
            path.write_text(result.source, encoding="utf-8")
    return 1 if check and changed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
