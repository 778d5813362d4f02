"""Session settings (PostgreSQL's GUCs as pgha keeps them): the defaults every session starts
with, which ones are read-only or reported to the client (ParameterStatus), and how a value
given to SET is checked and normalised.

Pure: no session state lives here. The session (``engine.StorageSession``) holds its settings
in a dict and undoes SET LOCAL / a rolled-back SET itself; this module says what a value may be
and how it is shown. Validation errors are PostgreSQL's (22023, 42704, 55P02, 0A000).
"""

from __future__ import annotations

from collections.abc import Mapping

from pgha import PG_VERSION
from pgha.routing import settings as routing_settings
from pgha.storage import functions
from pgha.storage.types_interval import INTERVAL_STYLES
from pgha.wire.errors import (
    CantChangeRuntimeParam,
    FeatureNotSupported,
    InvalidParameterValue,
    UndefinedObject,
)

# Settings every session starts with (names as PostgreSQL reports them, lower-cased keys).
DEFAULT_SETTINGS: dict[str, str] = {
    "application_name": "",
    "client_encoding": "UTF8",
    "datestyle": "ISO, MDY",
    "default_transaction_isolation": "read committed",
    "default_transaction_read_only": "off",
    "extra_float_digits": "1",
    "in_hot_standby": "off",
    "integer_datetimes": "on",
    "intervalstyle": "postgres",
    "is_superuser": "on",
    "jit": "off",
    "lc_messages": "C",
    "lock_timeout": "0",
    "max_identifier_length": "63",
    # PostgreSQL's preset options (fixed when it was built); drivers read some, e.g. JDBC's
    # DatabaseMetaData asks max_index_keys before listing foreign keys.
    "block_size": "8192",
    "data_checksums": "off",
    "max_function_args": "100",
    "max_index_keys": "32",
    "wal_block_size": "8192",
    "search_path": '"$user", public',
    "server_encoding": "UTF8",
    "server_version": PG_VERSION,
    "server_version_num": str(150000 + int(PG_VERSION.split(".")[1])),
    "session_authorization": "postgres",
    "role": "none",  # SET ROLE (the session's StorageSession applies it)
    "standard_conforming_strings": "on",
    "statement_timeout": "0",
    "timezone": "UTC",
    "transaction_isolation": "read committed",
    "transaction_read_only": "off",
    "idle_in_transaction_session_timeout": "0",
    "bytea_output": "hex",
    "synchronous_commit": "on",
    "work_mem": "4MB",
    "row_security": "on",
    "pgha.sync_mode": "async",  # replaced by the node's --sync-mode
    # Routing (a standby forwards what it cannot run to the primary; see docs/routing.md):
    "pgha.last_commit_lsn": "0/0",  # the end LSN of this session's last commit (causal token)
    **routing_settings.DEFAULTS,  # pgha.route, pgha.explain_route, pgha.min_lsn...
    "client_min_messages": "notice",
    "log_min_messages": "warning",
    "enable_seqscan": "on",
    "enable_indexscan": "on",
    "enable_bitmapscan": "on",
    "enable_hashjoin": "on",
    "enable_mergejoin": "on",
    "enable_nestloop": "on",
    "random_page_cost": "4",
    "effective_cache_size": "4GB",
    "maintenance_work_mem": "64MB",
    "cursor_tuple_fraction": "0.1",
    "default_text_search_config": "pg_catalog.simple",
    "xmloption": "content",
    "check_function_bodies": "on",
    "geqo": "on",
    "default_table_access_method": "heap",
    "default_tablespace": "",
    "temp_tablespaces": "",
}
# Settings that take an integer, with PostgreSQL's bounds (validated on SET).
INTEGER_SETTINGS: dict[str, tuple[int, int]] = {
    "extra_float_digits": (-15, 3),
    "statement_timeout": (0, 2**31 - 1),
    "lock_timeout": (0, 2**31 - 1),
    "idle_in_transaction_session_timeout": (0, 2**31 - 1),
}
ISOLATION_LEVELS = ("serializable", "repeatable read", "read committed", "read uncommitted")
BOOLEAN_SETTINGS = {"enable_seqscan", "enable_indexscan", "enable_bitmapscan", "enable_hashjoin",
                    "enable_mergejoin", "enable_nestloop", "check_function_bodies", "geqo",
                    "standard_conforming_strings", "transaction_read_only", "jit",
                    "default_transaction_read_only", "row_security"}
ENUM_SETTINGS: dict[str, tuple[str, ...]] = {
    "client_min_messages": ("debug5", "debug4", "debug3", "debug2", "debug1", "debug", "log",
                            "notice", "warning", "error"),
    "bytea_output": ("hex", "escape"),
    "intervalstyle": INTERVAL_STYLES,
    "synchronous_commit": ("on", "off", "local", "remote_write", "remote_apply"),
    "transaction_isolation": ISOLATION_LEVELS,
    "default_transaction_isolation": ISOLATION_LEVELS,
}
# Settings whose change the client must be told about with ParameterStatus.
REPORTED = {
    "application_name": "application_name", "client_encoding": "client_encoding",
    "datestyle": "DateStyle", "default_transaction_read_only": "default_transaction_read_only",
    "in_hot_standby": "in_hot_standby", "integer_datetimes": "integer_datetimes",
    "intervalstyle": "IntervalStyle", "is_superuser": "is_superuser",
    "server_encoding": "server_encoding", "server_version": "server_version",
    "session_authorization": "session_authorization",
    "standard_conforming_strings": "standard_conforming_strings", "timezone": "TimeZone",
}
READ_ONLY_SETTINGS = {"server_version", "server_version_num", "server_encoding",
                      "integer_datetimes", "max_identifier_length", "in_hot_standby",
                      "block_size", "data_checksums", "max_function_args", "max_index_keys",
                      "wal_block_size",
                      "is_superuser", "lc_messages", "pgha.last_commit_lsn"}
# Values of pgha.sync_mode (and of the node's --sync-mode).
SYNC_MODES = ("async", "semi-sync", "sync", "quorum")
# Settings kept in milliseconds and shown in the largest exact unit (SHOW).
TIME_SETTINGS = {"statement_timeout", "lock_timeout", "idle_in_transaction_session_timeout"}


def show_name(name: str) -> str:
    """SHOW's column is named as PostgreSQL spells the setting (TimeZone, IntervalStyle)."""
    name = name.lower()
    if name == "transaction isolation level":
        return "transaction_isolation"
    return REPORTED.get(name, name)


def is_placeholder(name: str) -> bool:
    """A custom setting (``my.custom``): PostgreSQL keeps it once set, empty after RESET or a
    rolled-back SET."""
    return "." in name and not name.startswith("pgha.")


def show_milliseconds(ms: int) -> str:
    """How PostgreSQL shows a time setting: in the largest unit that divides it exactly."""
    if ms == 0:
        return "0"
    for unit, size in (("d", 86_400_000), ("h", 3_600_000), ("min", 60_000), ("s", 1000)):
        if ms % size == 0:
            return f"{ms // size}{unit}"
    return f"{ms}ms"


def _integer_setting(name: str, value: str) -> str:
    lo, hi = INTEGER_SETTINGS[name]
    return str(routing_settings.parse_milliseconds(name, value, lo, hi,
                                                   units=name != "extra_float_digits"))


_boolean_setting = routing_settings.parse_bool


def _normalize_tz(value: str) -> str:
    v = value.strip().strip("'")
    if v.upper() in ("UTC", "GMT", "ETC/UTC", "Z", "DEFAULT", "LOCAL"):
        return "UTC" if v.upper() in ("DEFAULT", "LOCAL", "Z") else (
            "Etc/UTC" if v.upper() == "ETC/UTC" else v.upper())
    functions._zone(v)
    return v


def _normalize_datestyle(value: str) -> str:
    parts = [p.strip().upper() for p in value.split(",")]
    style, order = "ISO", "MDY"
    for p in parts:
        if p in ("ISO", "SQL", "POSTGRES", "GERMAN"):
            style = p
        elif p in ("MDY", "DMY", "YMD", "US", "EUROPEAN", "NONEURO", "NONEUROPEAN"):
            order = {"US": "MDY", "NONEURO": "MDY", "NONEUROPEAN": "MDY",
                     "EUROPEAN": "DMY"}.get(p, p)
        else:
            raise InvalidParameterValue(f'invalid value for parameter "DateStyle": "{value}"')
    if style != "ISO":
        raise FeatureNotSupported("only DateStyle ISO is supported")
    if order != "MDY":
        # Date input reads ambiguous numeric dates month first: another order would read
        # '1/2/2024' wrongly rather than fail.
        raise FeatureNotSupported(f"DateStyle field order {order} is not supported",
                                  hint="pgha reads dates as DateStyle 'ISO, MDY'.")
    return f"{style}, {order}"


def check_value(name: str, value: str, settings: Mapping[str, str]) -> str:
    """The value SET ``name`` = ``value`` stores (normalised, e.g. 'utc' -> 'UTC'), or the
    error PostgreSQL gives for it. ``name`` is lower-case; ``settings`` are the session's
    (a name it does not have is unknown unless it is a custom ``x.y`` one)."""
    if name in READ_ONLY_SETTINGS:
        raise CantChangeRuntimeParam(f'parameter "{name}" cannot be changed')
    if name == "pgha.sync_mode" and value not in SYNC_MODES:
        raise InvalidParameterValue(f'invalid value for parameter "pgha.sync_mode": "{value}"',
                                    hint=f"Available values: {', '.join(SYNC_MODES)}.")
    if name not in settings and not name.startswith(("pgha.", "application.")) and (
            "." not in name):
        raise UndefinedObject(f'unrecognized configuration parameter "{name}"')
    if name == "timezone":
        value = _normalize_tz(value)
    elif name == "client_encoding":
        norm = value.upper().replace("-", "").replace("'", "")
        if norm not in ("UTF8", "UNICODE", "SQL_ASCII"):
            raise FeatureNotSupported(f"client encoding {value} is not supported")
        value = "UTF8"
    elif name == "datestyle":
        value = _normalize_datestyle(value)
    elif routing_settings.is_routing_setting(name):
        value = routing_settings.normalize(name, value)
    elif name in INTEGER_SETTINGS:
        value = _integer_setting(name, value)
    elif name in BOOLEAN_SETTINGS:
        value = _boolean_setting(name, value)
    elif name in ENUM_SETTINGS:
        if value.lower() not in ENUM_SETTINGS[name]:
            raise InvalidParameterValue(
                f'invalid value for parameter "{name}": "{value}"',
                hint="Available values: " + ", ".join(ENUM_SETTINGS[name]) + ".")
        value = value.lower()
    return value
