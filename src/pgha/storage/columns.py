"""Column descriptions shared by the translator, the engine and the catalog views.

``TypeRef`` is a PostgreSQL (type oid, typmod) pair; ``ColInfo`` a column as name resolution
sees it, ``ResultColumn`` one as a RowDescription reports it. This module imports nothing of
pgha, so any storage module may use it without joining an import cycle.
"""

from __future__ import annotations

from dataclasses import dataclass

TypeRef = tuple[int, int]  # (type oid, typmod)


@dataclass(frozen=True, slots=True)
class ResultColumn:
    name: str
    type_oid: int
    typmod: int = -1
    table_oid: int = 0
    attnum: int = 0


@dataclass(slots=True)
class ColInfo:
    name: str
    type: TypeRef
    table_oid: int = 0
    attnum: int = 0
