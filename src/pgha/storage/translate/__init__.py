"""PostgreSQL DML and queries -> SQLite SQL (being split into modules along its seams)."""

from pgha.storage.translate.signatures import *  # noqa: F403
