"""The driver's network follows spec/env.qnt: connections, resets, partitions."""

from __future__ import annotations

from conformance.network import SpecNetwork
from zabkeeper.core.messages import Commit, FollowerInfo, LeaderInfo, Notification, Ping, ServerState


def network() -> SpecNetwork:
    net = SpecNetwork((1, 2, 3))
    for sid in (1, 2, 3):
        net.start(sid)
    return net


def test_followerinfo_opens_the_connection_and_other_packets_need_it() -> None:
    net = network()
    net.send(2, 1, Commit(5))
    assert not net.quorum[(2, 1)], "a packet on a closed connection is lost"
    net.send(2, 1, FollowerInfo(0))
    assert net.conns[(1, 2)].open and net.views[(2, 1)] == 1
    net.send(1, 2, LeaderInfo(1))
    assert net.take_packet(1, 2) == FollowerInfo(0)
    assert net.views[(1, 2)] == 1
    assert net.take_packet(2, 1) == LeaderInfo(1)


def test_closing_drops_what_is_in_flight_and_the_other_end_learns_it() -> None:
    net = network()
    net.send(2, 1, FollowerInfo(0))
    net.take_packet(1, 2)
    net.send(1, 2, LeaderInfo(1))
    net.close(1, 2)
    assert not net.quorum[(1, 2)]
    assert net.connection_gone(2, 1) and not net.connection_gone(1, 2)
    net.send(2, 1, FollowerInfo(0))  # 2 reconnects before hearing of the close ...
    assert net.conns[(1, 2)].gen == 2 and net.views[(2, 1)] == 2
    assert not net.connection_gone(2, 1), "... so the stale reset is moot, as in the simulator"
    assert net.can_take_packet(1, 2), "1 closed its end: it takes the new connection at once"


def test_a_stale_view_must_hear_the_reset_before_a_new_connection() -> None:
    net = network()
    net.send(2, 1, FollowerInfo(0))
    net.take_packet(1, 2)
    net.close(2, 1)
    net.send(2, 1, FollowerInfo(0))
    assert net.connection_gone(1, 2)
    assert not net.can_take_packet(1, 2), "1 still uses the old connection"
    net.forget(1, 2)
    assert net.take_packet(1, 2) == FollowerInfo(0)


def test_partitions_break_connections_silently_and_drop_notifications() -> None:
    net = network()
    vote = Notification(1, 0, 1, ServerState.LOOKING, 1, 0)
    net.send(1, 2, vote)
    net.send(2, 1, FollowerInfo(0))
    net.take_packet(1, 2)
    net.partition(2, 1)
    assert not net.elec[(1, 2)] and not net.conns[(1, 2)].open
    assert net.connection_gone(1, 2) and net.connection_gone(2, 1)
    net.send(1, 2, vote)
    assert not net.elec[(1, 2)]
    net.recover(1, 2)
    net.send(1, 2, vote)
    assert net.take_notification(2, 1) == vote


def test_crashes_close_everything_and_pings_are_never_carried() -> None:
    net = network()
    net.send(2, 1, FollowerInfo(0))
    net.take_packet(1, 2)
    net.send(1, 2, Ping())
    assert not net.quorum[(1, 2)]
    net.send(3, 1, Notification(3, 0, 1, ServerState.LOOKING, 3, 0))
    net.crash(1)
    assert not net.elec[(3, 1)] and net.connection_gone(2, 1)
    net.send(3, 1, Notification(3, 0, 1, ServerState.LOOKING, 3, 0))
    assert not net.elec[(3, 1)], "nothing reaches a server that is down"
