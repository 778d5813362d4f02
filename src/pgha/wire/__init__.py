"""pgha.wire: the sans-IO PostgreSQL v3 protocol (messages, codec, auth, connection state).

No asyncio and no sockets here; see docs/wire.md. The names most callers need are re-exported.
"""

from __future__ import annotations

from pgha.wire import sqlstate
from pgha.wire.auth import (
    Authenticator,
    AuthExchange,
    AuthMethod,
    AuthStep,
    Credential,
    ScramVerifier,
    StaticAuthenticator,
    md5_hash,
    scram_verifier,
)
from pgha.wire.codec import (
    BIND_COMPLETE,
    CLOSE_COMPLETE,
    DEFAULT_MAX_MESSAGE_SIZE,
    EMPTY_QUERY_RESPONSE,
    NO_DATA,
    PARSE_COMPLETE,
    PORTAL_SUSPENDED,
    READY_FOR_QUERY,
    BackendDecoder,
    FrontendDecoder,
    encode,
    encode_command_complete,
    encode_data_row,
    encode_data_rows,
    encode_many,
)
from pgha.wire.connection import (
    NEED_DATA,
    Authenticated,
    ConnectionState,
    Event,
    LocalProtocolError,
    NeedData,
    ServerConnection,
    parse_options,
)
from pgha.wire.errors import Notice, PgError, ProtocolViolation
from pgha.wire.messages import *  # noqa: F403
from pgha.wire.messages import __all__ as _messages_all

__all__ = [
    "BIND_COMPLETE",
    "CLOSE_COMPLETE",
    "DEFAULT_MAX_MESSAGE_SIZE",
    "EMPTY_QUERY_RESPONSE",
    "NEED_DATA",
    "NO_DATA",
    "PARSE_COMPLETE",
    "PORTAL_SUSPENDED",
    "READY_FOR_QUERY",
    "AuthExchange",
    "AuthMethod",
    "AuthStep",
    "Authenticated",
    "Authenticator",
    "BackendDecoder",
    "ConnectionState",
    "Credential",
    "Event",
    "FrontendDecoder",
    "LocalProtocolError",
    "NeedData",
    "Notice",
    "PgError",
    "ProtocolViolation",
    "ScramVerifier",
    "ServerConnection",
    "StaticAuthenticator",
    "encode",
    "encode_command_complete",
    "encode_data_row",
    "encode_data_rows",
    "encode_many",
    "md5_hash",
    "parse_options",
    "scram_verifier",
    "sqlstate",
    *_messages_all,
]
