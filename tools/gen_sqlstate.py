"""Generate ``src/pgha/wire/sqlstate.py`` and the SQLSTATE error classes of
``src/pgha/wire/errors.py`` from PostgreSQL's ``errcodes.txt``.

Usage::

    python tools/gen_sqlstate.py [/usr/share/postgresql/15/errcodes.txt] > src/pgha/wire/sqlstate.py
    python tools/gen_sqlstate.py --write [/usr/share/postgresql/15/errcodes.txt]

The second form writes ``sqlstate.py`` and replaces the part of ``errors.py`` between its
``# generated: start`` and ``# generated: end`` lines (as psycopg's ``tools/update_errors.py``
does for ``psycopg/errors.py``).

Constants are named after PostgreSQL's condition names (the names PL/pgSQL accepts), upper-cased.
Five condition names appear under two codes; the first non-warning code keeps the plain name and
the others are named after their ``ERRCODE_`` macro (``WARNING_STRING_DATA_RIGHT_TRUNCATION``,
``E_R_E_MODIFYING_SQL_DATA_NOT_PERMITTED``). Lines with no condition name (a second macro for an
existing code, e.g. ``ERRCODE_UNDEFINED_DATABASE``) become aliases named after the macro.

Error classes, one per error (``E``) code, follow psycopg's ``psycopg.errors`` names: the
condition name in CamelCase (``unique_violation`` -> ``UniqueViolation``); a condition name seen
under an earlier error code gets an ``Ext`` suffix (39004 ``NullValueNotAllowedExt``); a name that
is a Python builtin gets an ``Sql`` prefix (42601 ``SqlSyntaxError``, 58000 ``SqlSystemError``;
psycopg shadows the builtins instead). Each class derives from the class of its SQLSTATE class
(``UniqueViolation(IntegrityConstraintViolation)``), a class-level code (``XX000``) from
``CodedError``. Codes in ``HAND_WRITTEN`` are defined by hand in ``errors.py``, after the
generated part (``ProtocolViolation`` is FATAL by default).
"""

from __future__ import annotations

import builtins
import sys
from pathlib import Path
from typing import NamedTuple

DEFAULT_SOURCE = "/usr/share/postgresql/15/errcodes.txt"
ROOT = Path(__file__).resolve().parents[1]
SQLSTATE_MODULE = ROOT / "src/pgha/wire/sqlstate.py"
ERRORS_MODULE = ROOT / "src/pgha/wire/errors.py"
START_MARK = "# generated: start (tools/gen_sqlstate.py --write)\n"
END_MARK = "# generated: end\n"
#: Error codes whose class errors.py defines by hand (and nothing generated derives from).
HAND_WRITTEN = {"08P01": "ProtocolViolation"}


class Entry(NamedTuple):
    code: str
    kind: str  # S success, W warning, E error
    macro: str
    condition: str | None
    section: str


def parse(text: str) -> list[Entry]:
    entries: list[Entry] = []
    section = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("Section:"):
            section = line.removeprefix("Section:").strip()
            continue
        parts = line.split()
        condition = parts[3] if len(parts) >= 4 else None
        entries.append(Entry(parts[0], parts[1], parts[2], condition, section))
    return entries


def constant_names(entries: list[Entry]) -> list[tuple[str, Entry]]:
    """(constant name, entry) in file order, following the naming rule in the docstring."""
    owner: dict[str, Entry] = {}
    for e in entries:
        if e.condition is None:
            continue
        current = owner.get(e.condition)
        if current is None or (current.kind == "W" and e.kind != "W"):
            owner[e.condition] = e
    out: list[tuple[str, Entry]] = []
    for e in entries:
        if e.condition is not None and owner[e.condition] is e:
            out.append((e.condition.upper(), e))
        else:
            out.append((e.macro.removeprefix("ERRCODE_"), e))
    return out


def render(entries: list[Entry], source: str) -> str:
    lines = [
        '"""SQLSTATE codes as named constants, generated from PostgreSQL 15\'s errcodes.txt.',
        "",
        "GENERATED FILE, DO NOT EDIT. Regenerate with::",
        "",
        "    python tools/gen_sqlstate.py > src/pgha/wire/sqlstate.py",
        "",
        f"Source: {source}",
        "(https://www.postgresql.org/docs/15/errcodes-appendix.html). Constants are PostgreSQL's",
        "condition names upper-cased; ``CONDITION_NAMES`` maps a code to its condition name.",
        '"""',
        "",
        "from __future__ import annotations",
        "",
        "from typing import Final",
    ]
    section = None
    for name, e in constant_names(entries):
        if e.section != section:
            section = e.section
            lines += ["", f"# {section}"]
        lines.append(f'{name}: Final = "{e.code}"')
    lines += [
        "",
        "#: SQLSTATE code -> PostgreSQL condition name (lower case, as in PL/pgSQL).",
        "CONDITION_NAMES: Final[dict[str, str]] = {",
    ]
    seen: set[str] = set()
    for e in entries:
        if e.condition is None or e.code in seen:
            continue
        seen.add(e.code)
        lines.append(f'    "{e.code}": "{e.condition}",')
    lines += [
        "}",
        "",
        "",
        "def condition_name(code: str) -> str | None:",
        '    """The condition name of a SQLSTATE code, or None if PostgreSQL has none."""',
        "    return CONDITION_NAMES.get(code)",
        "",
        "",
        "def class_of(code: str) -> str:",
        '    """The SQLSTATE class (first two characters) as a generic ``XX000`` code."""',
        '    return code[:2] + "000"',
        "",
    ]
    return "\n".join(lines)


def class_names(entries: list[Entry]) -> list[tuple[str, Entry]]:
    """(class name, entry) for each error code, in file order, following the module docstring."""
    out: list[tuple[str, Entry]] = []
    seen_codes: set[str] = set()
    seen_names: set[str] = set()
    for e in entries:
        if e.kind != "E" or e.code in seen_codes:
            continue
        seen_codes.add(e.code)
        label = e.condition if e.condition is not None else e.macro.removeprefix("ERRCODE_")
        name = "".join(word.capitalize() for word in label.lower().split("_"))
        if name in seen_names:
            name += "Ext"
        if hasattr(builtins, name):
            name = "Sql" + name
        seen_names.add(name)
        out.append((HAND_WRITTEN.get(e.code, name), e))
    return out


def render_classes(entries: list[Entry]) -> str:
    """The generated part of errors.py, from START_MARK to END_MARK inclusive."""
    named = class_names(entries)
    by_code = {e.code: name for name, e in named}
    lines = [START_MARK.rstrip("\n")]
    section = None
    for name, e in named:
        if e.code in HAND_WRITTEN:
            continue
        if e.section != section:
            section = e.section
            lines += ["", "", f"# {section}"]
        base = "CodedError"
        if not e.code.endswith("000"):
            base = by_code.get(e.code[:2] + "000", "CodedError")
        lines += [
            "",
            "",
            f'class {name}({base}, code="{e.code}"):',
            f'    """{e.code} {e.condition or e.macro}."""',
        ]
    lines += ["", "", END_MARK.rstrip("\n")]
    return "\n".join(lines) + "\n"


def splice(errors_text: str, block: str) -> str:
    """errors.py's text with its generated part replaced by ``block``."""
    start = errors_text.index(START_MARK)
    end = errors_text.index(END_MARK, start) + len(END_MARK)
    return errors_text[:start] + block + errors_text[end:]


def main(argv: list[str]) -> int:
    args = argv[1:]
    write = "--write" in args
    args = [a for a in args if a != "--write"]
    source = args[0] if args else DEFAULT_SOURCE
    entries = parse(Path(source).read_text(encoding="utf-8"))
    if not write:
        sys.stdout.write(render(entries, source))
        return 0
    SQLSTATE_MODULE.write_text(render(entries, source), encoding="utf-8")
    errors_text = ERRORS_MODULE.read_text(encoding="utf-8")
    ERRORS_MODULE.write_text(splice(errors_text, render_classes(entries)), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
