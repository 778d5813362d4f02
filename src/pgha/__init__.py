"""pgha: a PostgreSQL-wire-compatible high-availability database and proxy."""

from __future__ import annotations

__version__ = "0.1.0"

# The PostgreSQL release whose protocol, catalog and behaviour pgha reports and follows.
PG_VERSION = "15.18"
PG_VERSION_NUM = 150018
