"""One Peer at a time, fed inputs by hand: the core's rules without any network in the way."""

from __future__ import annotations

from zabkeeper.core.inputs import Disconnected, Propose, Receive, Tick
from zabkeeper.core.messages import (
    Ack,
    AckEpoch,
    Commit,
    Diff,
    FollowerInfo,
    LeaderInfo,
    NewLeader,
    Notification,
    Proposal,
    ServerState,
    Txn,
    UpToDate,
    ZabState,
)
from zabkeeper.core.options import majority_options
from zabkeeper.core.peer import Peer
from zabkeeper.core.ready import AppendTxns, Ready, SetAcceptedEpoch, SetCurrentEpoch
from zabkeeper.core.state import DurableState
from zabkeeper.core.zxid import COUNTER_PROPOSABLE_MAX, make_zxid

Z = make_zxid
LOOKING = ServerState.LOOKING


def peer(myid: int, voters: set[int], durable: DurableState | None = None, **limits: int) -> Peer:
    p = Peer(majority_options(myid, voters, **limits), durable)
    p.start()
    return p


def vote(
    sid: int, leader: int, zxid: int = 0, round_: int = 1, epoch: int = 0, state: ServerState = LOOKING
) -> Receive:
    return Receive(sid, Notification(leader, zxid, round_, state, sid, epoch))


def ticks(p: Peer, count: int) -> list[Ready]:
    return [p.step(Tick()) for _ in range(count)]


def sent(ready: Ready) -> list[tuple[int, object]]:
    return [(out.to, out.message) for out in ready.messages]


def elect_leader(p: Peer) -> None:
    """Make server ``p`` (the largest id) win round 1 of a 3-server election."""
    others = sorted(p.options.voters - {p.myid})
    p.step(vote(others[0], p.myid))
    p.step(vote(others[1], p.myid))
    ticks(p, p.options.finalize_wait_ticks)
    assert p.server_state is ServerState.LEADING


def test_a_lone_voter_leads_after_finalize_wait_and_commits_alone() -> None:
    p = peer(1, {1})
    ticks(p, p.options.finalize_wait_ticks)
    assert p.server_state is ServerState.LEADING and p.zab_state is ZabState.BROADCAST
    assert (p.state.accepted_epoch, p.state.current_epoch) == (1, 1)
    ready = p.step(Propose(b"x"))
    assert ready.writes == [AppendTxns((Txn(Z(1, 1), b"x"),))] and ready.must_sync
    assert ready.committed == [Txn(Z(1, 1), b"x")]


def test_counter_exhaustion_forces_a_new_epoch() -> None:
    last = Txn(Z(1, COUNTER_PROPOSABLE_MAX), b"last")
    p = peer(1, {1}, DurableState(accepted_epoch=1, current_epoch=1, log=(last,)))
    ticks(p, p.options.finalize_wait_ticks)
    assert p.state.current_epoch == 2  # a restart already means a new epoch
    p.state.history.append(Txn(Z(2, COUNTER_PROPOSABLE_MAX), b"fake"))  # as if 2**32 - 2 txns went by
    p.state.last_committed = Z(2, COUNTER_PROPOSABLE_MAX)
    ready = p.step(Propose(b"one too many"))
    assert ready.refused == [b"one too many"] and p.server_state is LOOKING
    assert Z(2, COUNTER_PROPOSABLE_MAX) + 1 not in p.state.history.zxids
    ticks(p, p.options.finalize_wait_ticks)
    assert p.state.current_epoch == 3 and p.server_state is ServerState.LEADING
    assert p.step(Propose(b"next")).committed == [Txn(Z(3, 1), b"next")]


def test_finalize_wait_then_lead() -> None:
    p = peer(3, {1, 2, 3})
    p.step(vote(1, 3))
    ready = p.step(vote(2, 3))
    assert p.server_state is LOOKING and not ready.events[1:]  # a quorum agrees; wait for better votes
    ready = ticks(p, p.options.finalize_wait_ticks)[-1]
    assert p.server_state is ServerState.LEADING
    assert "FLEWaitNewNotmsg" in [e.action for e in ready.events]


def test_a_better_vote_during_finalize_wait_restarts_the_tally() -> None:
    p = peer(2, {1, 2, 3})
    p.step(vote(1, 2))  # 1 agrees on 2: a quorum {1, 2}
    p.step(vote(3, 3))  # 3 arrives with a better vote before finalizeWait ends
    ticks(p, 5)
    assert p.server_state is ServerState.FOLLOWING and p.leader_id == 3


def test_newer_round_resets_the_tally_and_older_rounds_are_answered() -> None:
    p = peer(2, {1, 2, 3})
    ready = p.step(vote(3, 3, round_=5))
    assert p.election.logicalclock == 5
    assert set(p.election.recvset) == {2, 3}
    assert {to for to, _ in sent(ready)} == {1, 3}  # it tells everyone its new proposal
    answer = p.step(vote(1, 1, round_=2))
    assert [(to, m.election_epoch) for to, m in sent(answer)] == [(1, 5)]  # type: ignore[attr-defined]


def test_a_looking_server_joins_an_established_leader() -> None:
    p = peer(1, {1, 2, 3})
    p.step(vote(2, 3, round_=4, epoch=1, state=ServerState.FOLLOWING))
    assert p.server_state is LOOKING  # a follower's word is not enough
    ready = p.step(vote(3, 3, round_=4, epoch=1, state=ServerState.LEADING))
    assert p.server_state is ServerState.FOLLOWING and p.leader_id == 3
    assert sent(ready)[-1] == (3, FollowerInfo(0))
    assert p.election.logicalclock == 4


def test_leader_gives_up_when_discovery_overruns_init_limit() -> None:
    p = peer(3, {1, 2, 3}, init_limit_ticks=6)
    elect_leader(p)
    ready = ticks(p, 6)
    assert p.server_state is LOOKING
    assert any("initLimit" in str(dict(e.args).get("why")) for r in ready for e in r.events)


def test_leader_gives_up_when_a_learner_is_more_recent() -> None:
    p = peer(3, {1, 2, 3})
    elect_leader(p)
    p.step(Receive(1, FollowerInfo(0)))
    assert p.state.accepted_epoch == 1  # {3, 1} decided the epoch
    p.step(Receive(1, AckEpoch(current_epoch=0, last_zxid=Z(0, 9))))
    assert p.server_state is LOOKING


def test_follower_refuses_an_older_epoch() -> None:
    p = peer(1, {1, 2, 3}, DurableState(accepted_epoch=4, current_epoch=4))
    p.step(vote(3, 3, round_=1, epoch=4, state=ServerState.LEADING))
    p.step(vote(2, 3, round_=1, epoch=4, state=ServerState.FOLLOWING))
    assert p.server_state is ServerState.FOLLOWING
    p.step(Receive(3, LeaderInfo(3)))
    assert p.server_state is LOOKING and p.state.accepted_epoch == 4


def follower_in_sync(p: Peer) -> None:
    p.step(vote(3, 3, state=ServerState.LEADING))
    p.step(vote(2, 3, state=ServerState.FOLLOWING))
    ready = p.step(Receive(3, LeaderInfo(1)))
    assert ready.writes == [SetAcceptedEpoch(1)] and ready.must_sync
    assert sent(ready) == [(3, AckEpoch(0, 0))]


def test_newleader_persists_txns_then_epoch_then_acks() -> None:
    p = peer(1, {1, 2, 3})
    follower_in_sync(p)
    txns = [Txn(Z(0, 1), b"a"), Txn(Z(0, 2), b"b")]
    for packet in (Diff(Z(0, 2)), Proposal(txns[0]), Commit(Z(0, 1)), Proposal(txns[1]), Commit(Z(0, 2))):
        assert p.step(Receive(3, packet)).is_empty() is False
    ready = p.step(Receive(3, NewLeader(1)))
    assert ready.writes == [AppendTxns(tuple(txns)), SetCurrentEpoch(1)] and ready.must_sync
    assert sent(ready) == [(3, Ack(Z(1, 0)))]
    assert ready.committed == []  # nothing is delivered before UPTODATE
    ready = p.step(Receive(3, UpToDate()))
    assert ready.committed == txns and p.zab_state is ZabState.BROADCAST


def test_follower_acks_a_proposal_only_with_a_synced_write_and_delivers_on_commit() -> None:
    p = peer(1, {1, 2, 3})
    follower_in_sync(p)
    for packet in (Diff(0), NewLeader(1), UpToDate()):
        p.step(Receive(3, packet))
    txn = Txn(Z(1, 1), b"x")
    ready = p.step(Receive(3, Proposal(txn)))
    assert ready.writes == [AppendTxns((txn,))] and ready.must_sync and sent(ready) == [(3, Ack(Z(1, 1)))]
    assert p.step(Receive(3, Commit(Z(1, 1)))).committed == [txn]


def test_follower_leaves_a_silent_leader_after_sync_limit() -> None:
    p = peer(1, {1, 2, 3}, sync_limit_ticks=5)
    follower_in_sync(p)
    for packet in (Diff(0), NewLeader(1), UpToDate()):
        p.step(Receive(3, packet))
    ticks(p, 4)
    assert p.server_state is ServerState.FOLLOWING
    ticks(p, 1)
    assert p.server_state is LOOKING


def test_follower_leaves_when_the_leader_connection_breaks() -> None:
    p = peer(1, {1, 2, 3})
    follower_in_sync(p)
    ready = p.step(Disconnected(3))
    assert p.server_state is LOOKING and ready.disconnect == [3]


def test_an_unexpected_packet_from_the_leader_ends_the_relationship() -> None:
    p = peer(1, {1, 2, 3})
    follower_in_sync(p)
    p.step(Receive(3, UpToDate()))  # UPTODATE before any sync message
    assert p.server_state is LOOKING
