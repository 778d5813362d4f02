"""Generate ``src/pgha/wire/sqlstate.py`` from PostgreSQL's ``errcodes.txt``.

Usage::

    python tools/gen_sqlstate.py [/usr/share/postgresql/15/errcodes.txt] > src/pgha/wire/sqlstate.py

Constants are named after PostgreSQL's condition names (the names PL/pgSQL accepts), upper-cased.
Five condition names appear under two codes; the first non-warning code keeps the plain name and
the others are named after their ``ERRCODE_`` macro (``WARNING_STRING_DATA_RIGHT_TRUNCATION``,
``E_R_E_MODIFYING_SQL_DATA_NOT_PERMITTED``). Lines with no condition name (a second macro for an
existing code, e.g. ``ERRCODE_UNDEFINED_DATABASE``) become aliases named after the macro.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import NamedTuple

DEFAULT_SOURCE = "/usr/share/postgresql/15/errcodes.txt"


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


def main(argv: list[str]) -> int:
    source = argv[1] if len(argv) > 1 else DEFAULT_SOURCE
    sys.stdout.write(render(parse(Path(source).read_text(encoding="utf-8")), source))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
