"""Transparent write routing on a standby: what the standby may not run goes to the primary.

A ``Forwarder`` belongs to one client session on a standby. When routing says a statement must
run on the primary (a write, DDL, a transaction that may write, anything pinned or not known to
be read-only), the session's messages from that statement on go over a ``Link`` to the
primary, opened as the same user, and the primary's replies are relayed to the client
unchanged (rows, tags, errors, RETURNING, COPY), until a ReadyForQuery says the session is idle
again. A session pinned to the primary (temporary table, LISTEN, session advisory lock,
PREPARE, cursor WITH HOLD) forwards everything from then on.

Also kept consistent: every SET/RESET/DISCARD the session ran locally is replayed silently on
the primary link when it opens, and sent on afterwards; the primary reports the end LSN of
each commit it made for the session, which the session's later local reads must have applied
(read-your-writes, in ``ClientSession.fresh_enough``).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from pgha.net.backend import BackendConnection, BackendError
from pgha.net.link import REPORT_OPTION, Link
from pgha.routing.classify import Decision
from pgha.wire.errors import ConnectionFailure, InvalidPassword, PgError, ReadOnlySqlTransaction

if TYPE_CHECKING:
    from pgha.server.session import ClientSession

log = logging.getLogger("pgha.routing")


class Forwarder:
    def __init__(self, session: ClientSession) -> None:
        self.session = session
        self.link: Link | None = None

    @property
    def pinned(self) -> bool:
        return self.session.routing.pinned

    @property
    def active(self) -> bool:
        """Messages go to the primary: an answer or batch is pending, a transaction is open
        there, or the session is pinned."""
        return self.pinned or (self.link is not None and self.link.active)

    @property
    def prepared(self) -> set[str]:
        return self.link.prepared if self.link is not None else set()

    async def _ensure_link(self) -> Link:
        if self.link is not None:
            return self.link
        node = self.session.node
        address = node.ha.primary_client_address()
        if not address:
            raise ReadOnlySqlTransaction(
                "cannot run this statement on a standby: the primary is "
                "not known yet", hint="Retry once the standby is streaming.")
        host, _, port = address.rpartition(":")
        storage = self.session.storage
        assert storage is not None
        user = storage.login_user  # (SET ROLE and SET SESSION AUTHORIZATION are replayed)
        try:
            backend = await BackendConnection.connect(
                host, int(port), user, self.session.database, node.config.users.get(user),
                {REPORT_OPTION: "on",
                 "application_name": storage.settings.get("application_name", "")},
                tls=node.config.forward_tls)
        except BackendError as exc:
            raise ConnectionFailure(f"cannot reach the primary to run this statement: {exc}")\
                from exc
        except PgError as exc:
            if not isinstance(exc, InvalidPassword) or user in node.config.users:
                raise
            # A role made with CREATE ROLE: the standby knows its verifier, not its password.
            raise InvalidPassword(
                f'this standby cannot run the write of role "{user}" on '
                "the primary: it knows no password for that role",
                hint="Connect to the primary, or give the login to every node with "
                               "--user.") from exc
        link = Link(backend, self.session, self.session.observe_commit, self._lost,
                    self.session.prepared_text)
        for sql in list(self.session.routing.replay.values()):  # silently: the client
            # already saw these succeed locally
            await link.run_silently(sql)
        self.link = link
        return link

    def _lost(self, exc: Exception) -> None:
        link, self.link = self.link, None
        if link is not None and not link.active and not self.pinned:
            # Nothing of the session's was there: the next write opens a link to whichever
            # node is then the primary.
            log.info("the idle link to the primary was lost: %s", exc)
            return
        log.warning("lost the connection to the primary: %s", exc)
        self.session.terminate(ConnectionFailure(
            "terminating connection because the connection to the primary was lost",
            severity="FATAL", detail=str(exc)))

    def primary_changed(self) -> None:
        """A new term began: the link (if any) goes to a node that is no longer the primary.
        An idle link is dropped; a statement or transaction in progress there has an unknown
        outcome, so the session ends (08006), as when the connection is lost."""
        link = self.link
        if link is None:
            return
        if link.active or self.pinned:
            self.link = None
            link.close()
            self.session.terminate(ConnectionFailure(
                "terminating connection because the primary changed while a statement "
                "or transaction was in progress there", severity="FATAL",
                detail="Its outcome is unknown: check before retrying."))
        else:
            self.close()

    async def forward(self, message: Any) -> None:
        """Send one client message to the primary (opening the link if needed)."""
        link = await self._ensure_link()
        await link.send(message)

    async def send_setting(self, sql: str, decision: Decision) -> None:
        """A session setting the client ran locally: remember it, and pass it on."""
        self.session.routing.remember(sql, decision)
        if self.link is not None:
            await self.link.run_silently(sql)

    async def cancel(self) -> None:
        if self.link is not None:
            await self.link.backend.cancel()

    def close(self) -> None:
        if self.link is not None:
            self.link.close()
            self.link = None
