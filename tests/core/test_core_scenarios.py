"""Scenarios that read like sequence diagrams: elections, rejoins, leader failover and the three
ways a leader brings a learner up to date, each observed (not assumed) in the event log."""

from __future__ import annotations

from zab_scenario import Scenario

from zabkeeper.core.messages import ServerState, ZabState
from zabkeeper.core.zxid import epoch_of, make_zxid


def test_clean_election_of_three_picks_the_largest_id() -> None:
    s = Scenario(voters=3).start()
    leader = s.settle()
    assert leader == 3  # equal histories: the largest sid wins
    for sid in (1, 2):
        assert s.peer(sid).server_state is ServerState.FOLLOWING
        assert s.peer(sid).zab_state is ZabState.BROADCAST
        assert s.peer(sid).state.current_epoch == s.peer(sid).state.accepted_epoch == 1
    assert [dict(e.args)["epoch"] for e in s.actions("LeaderEstablished")] == [1]
    assert sorted(s.sync_modes(3, 1) + s.sync_modes(3, 2)) == ["DIFF", "DIFF"]


def test_clean_election_of_five() -> None:
    s = Scenario(voters=5).start()
    assert s.settle() == 5
    assert all(s.peer(sid).server_state is ServerState.FOLLOWING for sid in (1, 2, 3, 4))
    assert len(s.actions("LeaderEstablished")) == 1


def test_restarted_follower_rejoins_without_a_new_election() -> None:
    s = Scenario(voters=3).start()
    leader = s.settle()
    s.write_and_wait(5, via=1)
    mark = s.mark()
    s.cluster.crash(1)
    s.run(50)
    s.cluster.start(1)
    s.settle()
    assert s.cluster.established_leader() == leader
    assert s.peer(1).leader_id == leader
    # Nobody else left the ensemble: no new epoch, no state change but server 1's own.
    assert s.actions_since(mark, "LeaderEstablished") == []
    assert {who for who, _ in s.actions_since(mark, "ServerStateChange")} == {1}
    assert s.peer(1).state.last_committed == s.peer(leader).state.last_committed


def test_leader_crash_elects_the_server_with_the_most_complete_history() -> None:
    s = Scenario(voters=3).start()
    assert s.settle() == 3
    s.write_and_wait(3, via=3)
    s.cluster.partition(3, 2)  # server 2 (the larger remaining id) falls behind
    s.write_and_wait(4, via=3)
    assert s.peer(1).state.last_zxid > s.peer(2).state.last_zxid
    s.cluster.crash(3)
    s.cluster.heal()
    s.until(lambda: s.cluster.established_leader() == 1)
    assert s.peer(1).state.current_epoch == 2
    s.until(lambda: s.peer(2).is_serving)
    assert s.peer(2).state.last_committed == s.peer(1).state.last_committed


def test_slightly_behind_follower_gets_a_diff() -> None:
    s = Scenario(voters=3).start()
    leader = s.settle()
    s.write_and_wait(3, via=leader)
    s.cluster.crash(1)
    s.write_and_wait(4, via=leader)
    mark = s.mark()
    s.cluster.start(1)
    s.until(lambda: s.peer(1).is_serving)
    syncs = [dict(e.args) for who, e in s.actions_since(mark, "LeaderSyncFollower") if who == leader]
    assert [(sync["j"], sync["mode"]) for sync in syncs] == [(1, "DIFF")]
    got = [
        dict(e.args)["zxid"] for who, e in s.actions_since(mark, "FollowerProcessPROPOSALInSync") if who == 1
    ]
    assert got == [make_zxid(1, counter) for counter in range(4, 8)]


def test_follower_with_an_uncommitted_tail_is_truncated() -> None:
    s = Scenario(voters=3).start()
    assert s.settle() == 3
    s.write_and_wait(2, via=3)
    # The leader is cut off and logs a proposal nobody else sees: an uncommitted tail.
    s.cluster.partition(3, 1)
    s.cluster.partition(3, 2)
    s.write(1, via=3)
    s.run(5)
    tail = s.peer(3).state.last_zxid
    assert tail == make_zxid(1, 3) and s.peer(3).state.last_committed == make_zxid(1, 2)
    s.cluster.crash(3)
    s.cluster.heal()
    s.until(lambda: s.cluster.established_leader() == 2)
    s.write_and_wait(2, via=2)
    mark = s.mark()
    s.cluster.start(3)
    s.until(lambda: s.peer(3).is_serving)
    assert [
        (dict(e.args)["j"], dict(e.args)["mode"]) for _, e in s.actions_since(mark, "LeaderSyncFollower")
    ] == [(3, "TRUNC")]
    assert not s.peer(3).state.history.contains(tail)
    assert s.peer(3).state.last_committed == s.peer(2).state.last_committed
    assert epoch_of(s.peer(3).state.last_committed) == 2


def test_far_behind_follower_gets_a_snap() -> None:
    s = Scenario(voters=3, snapshot_every=10, committed_log_max=5).start()
    leader = s.settle()
    s.cluster.crash(1)
    s.write_and_wait(40, via=leader)
    mark = s.mark()
    s.cluster.start(1)
    s.until(lambda: s.peer(1).is_serving)
    assert [dict(e.args)["mode"] for _, e in s.actions_since(mark, "LeaderSyncFollower")] == ["SNAP"]
    machine = s.cluster.nodes[1].machine
    assert machine.applied == s.cluster.nodes[leader].machine.applied
    assert len(machine.applied) == 40


def test_observer_learns_commits_but_never_votes() -> None:
    s = Scenario(voters=3, observers=1).start()
    leader = s.settle()
    s.until(lambda: s.peer(4).is_serving)
    assert s.peer(4).server_state is ServerState.OBSERVING
    s.write_and_wait(5, via=4)  # an observer forwards writes too
    s.until(lambda: s.peer(4).state.last_committed == s.peer(leader).state.last_committed)
    assert s.actions("ObserverProcessINFORM", 4)
    assert not [e for e in s.actions("LeaderProcessACK") if dict(e.args)["j"] == 4]
    # Two voters down: the observer alone cannot make a quorum, writes stop.
    followers = [sid for sid in (1, 2, 3) if sid != leader]
    s.cluster.crash(followers[0])
    s.cluster.crash(followers[1])
    s.until(lambda: s.cluster.established_leader() is None, within_ms=2000)
    assert s.peer(4).server_state is not ServerState.LEADING


def test_leader_steps_down_without_a_quorum_and_the_majority_moves_on() -> None:
    s = Scenario(voters=5).start()
    assert s.settle() == 5
    s.write_and_wait(3, via=5)
    for other in (1, 2, 3):
        s.cluster.partition(5, other)
    # The old leader still hears server 4 but not a quorum: it must step down.
    s.until(lambda: s.peer(5).server_state is ServerState.LOOKING, within_ms=2000)
    s.until(lambda: s.cluster.established_leader() not in (None, 5))
    new_leader = s.cluster.established_leader()
    assert new_leader is not None and s.peer(new_leader).state.current_epoch == 2
    s.write_and_wait(3, via=new_leader)
    s.cluster.heal()
    s.settle()
    assert s.peer(5).state.last_committed == s.peer(new_leader).state.last_committed


def test_zero_weight_participant_follows_but_never_counts_or_leads() -> None:
    s = Scenario(voters=4, weights=((4, 0),)).start()
    leader = s.settle()
    assert leader == 3  # server 4 has the largest id but weight zero: it can never win
    s.until(lambda: s.peer(4).is_serving)
    assert s.peer(4).server_state is ServerState.FOLLOWING
    s.write_and_wait(3, via=4)
    s.until(lambda: s.peer(4).state.last_committed == s.peer(3).state.last_committed)
    # With two of the three weighted servers down, server 4 cannot make up a quorum.
    s.cluster.crash(1)
    s.cluster.crash(2)
    s.until(lambda: s.cluster.established_leader() is None, within_ms=2000)
    s.run(1000)
    assert s.cluster.established_leader() is None
