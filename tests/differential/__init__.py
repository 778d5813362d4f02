"""Differential tests: the same SQL on pgha and on a real PostgreSQL 15, compared."""
