"""A node bound to every interface (a container's 0.0.0.0) still knows its own address: the
one it tells peers (where a standby forwards writes) and its entry in --ha-primary (the voters
of elections). Found by the docker tests: a node bound to 0.0.0.0 counted four voters in a
three-node cluster and no election could win, and its standbys forwarded writes to
themselves (0.0.0.0)."""

from __future__ import annotations

import socket

from pgha.server.ha import advertised, lists_itself


def test_a_wildcard_address_is_advertised_as_the_host_name() -> None:
    assert advertised("0.0.0.0") == advertised("::") == socket.gethostname()
    assert advertised("10.0.0.5") == "10.0.0.5"
    assert advertised("n1") == "n1"


def test_a_node_finds_itself_in_ha_primary() -> None:
    me = socket.gethostname()
    peers = {(me, 5433), ("n2", 5433), ("n3", 5433)}
    assert lists_itself(("0.0.0.0", 5433), peers)
    assert lists_itself((me, 5433), peers)
    assert not lists_itself(("0.0.0.0", 6433), peers)
    assert not lists_itself(None, peers)
    assert lists_itself(("127.0.0.1", 7433), {("127.0.0.1", 7433)})
