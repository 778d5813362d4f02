"""The asyncio side of elections: a standby's election timer, running for election, answering
votes, and a primary's term checks. The rules themselves (who may vote for whom, leases) are
``replication.election``; role changes are ``HaRole``'s.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import TYPE_CHECKING

from pgha.replication import protocol as p
from pgha.replication.channel import Channel, ChannelClosed
from pgha.replication.election import Ballot, LogPosition, Tally, decide_vote
from pgha.replication.role import FOLLOWERS
from pgha.wire.errors import ObjectNotInPrerequisiteState

if TYPE_CHECKING:
    from pgha.server.ha import HaRole

log = logging.getLogger("pgha.ha")


class Elections:
    def __init__(self, ha: HaRole) -> None:
        self.ha = ha
        self._voting = asyncio.Lock()  # one vote decided (and persisted) at a time
        self.candidacy = 0  # the term this node last ran in

    async def promote_by_election(self, wait: float) -> bool:
        """pg_promote(): win an election (no pre-vote: the operator asked). One candidacy,
        in one new term, asked again in that term until ``wait`` seconds have passed: it never
        starts another term, so it cannot depose a primary that others elected meanwhile. A
        node that lacks commits another voter holds, or that cannot reach a majority, is
        refused: pgha_force_promote() overrides."""
        ha = self.ha
        deadline = time.monotonic() + wait
        reasons: dict[str, str] = {}
        term = 0
        while ha.role == "standby":
            tally = await self.run(pre_vote=False, term=term)
            if tally is None:
                return True
            term = term or self.candidacy
            reasons = tally.refused
            if ha.journal.term != term:
                reasons = {"": f"term {ha.journal.term} began meanwhile"}
                break
            if time.monotonic() >= deadline:
                break
            # Asking again in the same term is allowed: a vote given to this node is given again.
            await asyncio.sleep(ha.timing.heartbeat_interval * ha.timer.rng.uniform(1, 3))
        if ha.role == "primary":
            return True
        shown = "; ".join(f"{n}: {r}" if n else r for n, r in sorted(reasons.items())) \
            or "no answer"
        raise ObjectNotInPrerequisiteState(
            f"could not promote {ha.config.node_id}: it did not win an "
            f"election in {wait:g} s ({shown})",
            hint="A node that lacks commits another node holds cannot be promoted. "
                           "SELECT pgha_force_promote() promotes it anyway and may lose them.")

    async def loop(self) -> None:
        """A standby that hears nothing from a primary for its election timeout runs for
        election (pre-vote first)."""
        ha = self.ha
        while True:
            # Sleep until the timer could expire (contact with the primary moves it on).
            wait = ha.timer.deadline - ha.timer.clock()
            await asyncio.sleep(min(max(wait, 0.02), ha.timing.min_timeout))
            receiver = ha.receiver
            has_data = receiver is not None and (
                receiver.synced.is_set() or receiver.primary.applied_lsn > 0)
            if ha.role != "standby" or ha.rebuilding or receiver is None or not has_data:
                ha.timer.reset()
                continue
            if receiver.busy:  # applying what the primary just sent: it is alive
                ha.timer.heard_primary()
                continue
            if not ha.timer.expired():
                continue
            ha.timer.reset()
            try:
                await self.run(pre_vote=True)
            except Exception:
                log.exception("election failed")

    async def run(self, pre_vote: bool, term: int = 0) -> Tally | None:
        """One election (in ``term``, a candidacy already begun, or in a new term); None if
        this node won and is now the primary, else the tally that lost."""
        ha = self.ha
        node_id = ha.config.node_id
        if pre_vote:
            tally = await self.canvass(ha.journal.term + 1, True)
            if not tally.won:
                log.info("pre-vote for term %d lost (%d of %d): %s", ha.journal.term + 1,
                         len(tally.granted), ha.voters, tally.refused)
                return tally
        if not term:
            term = await asyncio.to_thread(ha.journal.start_candidacy, node_id)
            self.candidacy = term
            why = "no primary heard from" if pre_vote else "pg_promote()"
            log.warning("%s: %s runs for election in term %d", why, node_id, term)
        reason = f"elected ({'the primary fell silent' if pre_vote else 'pg_promote()'})"
        tally = await self.canvass(term, False)
        if tally.highest_term > term:
            ha.journal.observe_term(tally.highest_term)
        if tally.won and await ha.promote(elected_term=term, reason=reason):
            log.warning("%s won the election of term %d with the votes of %s", node_id, term,
                        ", ".join(sorted(tally.granted)))
            return None
        log.info("election of term %d lost (%d of %d votes): %s", term, len(tally.granted),
                 ha.voters, tally.refused)
        return tally

    async def canvass(self, term: int, pre_vote: bool) -> Tally:
        """Ask every other voter, at once, for its (pre-)vote in ``term``."""
        ha = self.ha
        node_id = ha.config.node_id
        position = LogPosition(ha.journal.last_term, ha.journal.wal.end_lsn)
        tally = Tally(ha.voters, {node_id})
        secret = ha.config.secret.encode()
        cluster_id = ha.journal.state.cluster_id

        async def ask(host: str, port: int) -> None:
            with contextlib.suppress(OSError, TimeoutError, ChannelClosed, ConnectionError,
                                     p.ReplicationProtocolError):
                async with asyncio.timeout(ha.timing.min_timeout / 2):
                    tls = ha.config.tls_client
                    reader, writer = await asyncio.open_connection(
                        host, port, ssl=tls, server_hostname=host if tls else None)
                    channel = Channel(reader, writer)
                    try:
                        challenge = await channel.receive()
                        if not isinstance(challenge, p.Challenge) or \
                                challenge.node_id == node_id or \
                                not p.check_challenge(secret, challenge):
                            return
                        await channel.send(p.VoteRequest(
                            node_id, cluster_id, p.make_proof(secret, challenge.nonce, node_id),
                            term, position.last_term, position.end_lsn, pre_vote))
                        answer = await channel.receive()
                        if isinstance(answer, p.VoteResponse):
                            tally.add(challenge.node_id, answer.granted, answer.term,
                                      answer.reason)
                        elif isinstance(answer, p.Refuse):
                            tally.add(challenge.node_id, False, 0, answer.message)
                    finally:
                        await channel.close()

        async with asyncio.TaskGroup() as group:
            for host, port in ha.config.primaries:
                group.create_task(ask(host, port))
        return tally

    async def handle_vote(self, request: p.VoteRequest) -> p.VoteResponse:
        """A candidate asks for this node's vote (see ``election.decide_vote``); a vote is
        persisted before the answer leaves."""
        ha = self.ha
        async with self._voting:
            state = ha.journal.state
            now = time.monotonic()
            heard = ha.timer.heard
            if ha.receiver is not None and ha.receiver.busy:
                heard = now
            ballot = Ballot(state.term, state.voted_for,
                            LogPosition(ha.journal.last_term, ha.journal.wal.end_lsn),
                            heard if ha.role in FOLLOWERS else None,
                            ha.role == "primary" and ha.journal.primary_term == state.term)
            decision = decide_vote(ballot, request.node_id, request.term,
                                   LogPosition(request.last_term, request.end_lsn),
                                   request.pre_vote, now, ha.timing)
            if not request.pre_vote and \
                    (decision.term, decision.voted_for) != (state.term, state.voted_for):
                await asyncio.to_thread(ha.journal.vote, decision.term, decision.voted_for)
            if decision.granted:
                # Someone else is running: let it finish before running too (fewer split
                # votes; timers only decide when, never whether, an election is safe).
                ha.timer.reset()
            log.log(logging.INFO if decision.granted else logging.DEBUG,
                    "%svote for %s in term %d: %s", "pre-" if request.pre_vote else "",
                    request.node_id, request.term, decision.reason)
            return p.VoteResponse(decision.term, decision.granted, decision.reason)

    async def term_check_loop(self) -> None:
        """Every node keeps asking its peers for their term, so a primary that was cut off
        while another was elected learns the new term as soon as a link heals."""
        ha = self.ha
        while True:
            await asyncio.sleep(ha.config.term_check_interval)
            if ha.role != "primary":
                continue
            try:
                newer = await ha.probe_peers()
            except Exception:
                log.exception("term check failed")
                continue
            if newer:
                log.warning("a peer reports term %d, newer than this primary's %d", newer,
                            ha.journal.term)
                ha.journal.observe_term(newer)
