"""pg_promote()'s election (``server.elections.Elections.promote_by_election``) on stand-in
node state: it runs one candidacy and never starts a second term.

Regression: a switchover under write load lost its first election (the primary had more WAL)
and, once another node had been elected, started a new term and deposed it, again and again
until wait_seconds ran out: the cluster flapped through 15 terms in 15 s.
"""

from __future__ import annotations

import asyncio
import random
from types import SimpleNamespace
from typing import Any

import pytest

from pgha.replication.election import Tally, Timing
from pgha.server.elections import Elections
from pgha.wire.errors import PgError


def _node() -> Any:
    journal = SimpleNamespace(term=5)
    timer = SimpleNamespace(rng=random.Random(1))
    return SimpleNamespace(role="standby", journal=journal, timer=timer,
                           timing=Timing(0.001, 0.01, 0.015, 0.0075),
                           config=SimpleNamespace(node_id="n2"))


def test_pg_promote_stops_when_another_node_wins_meanwhile() -> None:
    node = _node()
    elections = Elections(node)
    calls: list[int] = []

    async def run(pre_vote: bool, term: int = 0) -> Tally:
        calls.append(term)
        if not term:  # the candidacy: term 6
            node.journal.term = elections.candidacy = 6
            return Tally(3, {"n2"}, {"n1": "the candidate's log is behind this node's"})
        node.journal.term = 7  # meanwhile n3 was elected in term 7
        return Tally(3, {"n2"}, {"n1": "this node voted for n3 in term 7"})

    elections.run = run  # type: ignore[method-assign]
    with pytest.raises(PgError) as info:
        asyncio.run(elections.promote_by_election(5.0))
    assert info.value.sqlstate == "55000"
    assert "term 7 began meanwhile" in info.value.message
    assert calls == [0, 6]  # one candidacy, asked again in its own term, never a new one


def test_pg_promote_asks_again_in_its_term_until_it_wins() -> None:
    node = _node()
    elections = Elections(node)
    calls: list[int] = []

    async def run(pre_vote: bool, term: int = 0) -> Tally | None:
        calls.append(term)
        if not term:
            node.journal.term = elections.candidacy = 6
        if len(calls) < 3:
            return Tally(3, {"n2"}, {"n3": "this node hears from a live primary"})
        node.role = "primary"
        return None

    elections.run = run  # type: ignore[method-assign]
    assert asyncio.run(elections.promote_by_election(5.0)) is True
    assert calls == [0, 6, 6]
