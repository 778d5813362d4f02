"""The engine's statement caches, shared by every session that sees the common schema (no
schema change of its own under way, no temporary tables).

Three maps, each keyed by (text, parameter type OIDs, session TimeZone, search path), the time
zone because a translation may fold it into constants, the search path (the existing schemas
it lists) because names resolve along it:
- ``translations``: a statement's ``Translation``;
- ``statements``: the parsed ``Statement``s of a whole query text (a hit needs no pglast work);
- ``templates``: the ``Statement`` of a literal-free template (see ``literals``), or
  ``NOT_APPLICABLE`` when that shape is not worth normalising.
A schema change replaces the whole cache (``Engine.schema_changed``). Each map holds at most
``CAPACITY`` entries: once full, new entries are simply not kept (there is no eviction). Callers
copy a cached ``Statement`` before using it (``dataclasses.replace``): executing fills in its
bound values and generation.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pgha.storage.engine import Statement
    from pgha.storage.translate import Translation

# (text, parameter type OIDs, TimeZone, search path)
Key = tuple[str, tuple[int, ...], str, tuple[str, ...]]

CAPACITY = 20_000
NOT_APPLICABLE = object()  # a template cache entry: this shape is not worth normalising


class StatementCache:
    """Translations, parsed texts and templates under one schema generation."""

    __slots__ = ("statements", "templates", "translations")

    def __init__(self) -> None:
        self.translations: dict[Key, Translation] = {}
        self.statements: dict[Key, tuple[Statement, ...]] = {}
        self.templates: dict[Key, Statement | object] = {}

    def add_translation(self, key: Key, translation: Translation) -> None:
        if len(self.translations) < CAPACITY:
            self.translations[key] = translation

    def add_statements(self, key: Key, statements: tuple[Statement, ...]) -> None:
        if len(self.statements) < CAPACITY:
            self.statements[key] = statements

    def add_template(self, key: Key, template: Statement | object) -> None:
        if len(self.templates) < CAPACITY:
            self.templates[key] = template
