"""Whatever peers send, a Peer never crashes: bad or out-of-order packets end a relationship or
are dropped, and the peer's own invariants (checked after every step) keep holding."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zabkeeper.core.inputs import (
    ClientSync,
    Disconnected,
    ForwardRequest,
    Input,
    Propose,
    Receive,
    SnapshotTaken,
    Tick,
)
from zabkeeper.core.messages import (
    Ack,
    AckEpoch,
    Commit,
    Diff,
    FollowerInfo,
    Inform,
    LeaderInfo,
    NewLeader,
    Notification,
    ObserverInfo,
    Ping,
    Proposal,
    Request,
    ServerState,
    Snap,
    Sync,
    SyncRequest,
    Trunc,
    Txn,
    UpToDate,
)
from zabkeeper.core.options import PeerOptions
from zabkeeper.core.peer import Peer
from zabkeeper.core.quorum import MajorityQuorum
from zabkeeper.core.state import DurableState
from zabkeeper.core.zxid import make_zxid

sids = st.integers(1, 4)
epochs = st.integers(-1, 4) | st.sampled_from([2**32 - 1, 2**32, 2**40])
zxids = st.builds(make_zxid, st.integers(0, 3), st.integers(0, 4)) | st.sampled_from([-1, 2**63 - 1])
txns = st.builds(Txn, zxids.filter(lambda z: z >= 0), st.binary(max_size=3))

messages = st.one_of(
    st.builds(Notification, sids, zxids, epochs, st.sampled_from(list(ServerState)), sids, epochs),
    st.builds(FollowerInfo, epochs),
    st.builds(ObserverInfo, epochs),
    st.builds(LeaderInfo, epochs),
    st.builds(AckEpoch, epochs, zxids),
    st.builds(Diff, zxids),
    st.builds(Trunc, zxids),
    st.builds(Snap, zxids, st.binary(max_size=4)),
    st.builds(NewLeader, epochs),
    st.just(UpToDate()),
    st.builds(Proposal, txns),
    st.builds(Ack, zxids),
    st.builds(Commit, zxids),
    st.builds(Inform, txns),
    st.just(Ping()),
    st.builds(Request, st.binary(max_size=3)),
    st.builds(SyncRequest, st.integers(0, 9)),
    st.builds(Sync, st.integers(0, 9)),
)


def _receive(src: int, message: object) -> Receive:
    # Notifications carry their sender's id; the transport checks it, so keep it honest here.
    if isinstance(message, Notification):
        message = Notification(
            message.leader, message.zxid, message.election_epoch, message.state, src, message.peer_epoch
        )
    return Receive(src, message)  # type: ignore[arg-type]


inputs: st.SearchStrategy[Input] = st.one_of(
    st.builds(_receive, sids, messages),
    st.just(Tick()),
    st.builds(Disconnected, sids),
    st.builds(Propose, st.binary(max_size=3)),
    st.builds(ForwardRequest, st.binary(max_size=3)),
    st.builds(ClientSync, st.integers(0, 9)),
    st.builds(SnapshotTaken, zxids),
)

durables = st.sampled_from(
    [
        DurableState(),
        DurableState(1, 1, 0, (Txn(make_zxid(1, 1), b"a"), Txn(make_zxid(1, 2), b"b"))),
        DurableState(3, 2, make_zxid(1, 1), (Txn(make_zxid(2, 1), b"c"),)),
    ]
)


# Preludes that take a peer deep before the noise starts: follow server 3 into sync or up to
# date, or lead.
FOLLOW = [
    Receive(3, Notification(3, 0, 1, ServerState.LEADING, 3, 0)),
    Receive(2, Notification(3, 0, 1, ServerState.FOLLOWING, 2, 0)),
    Receive(3, LeaderInfo(5)),
    Receive(3, Diff(0)),
]
FOLLOW_UP_TO_DATE = [*FOLLOW, Receive(3, NewLeader(5)), Receive(3, UpToDate())]
LEAD = [
    Receive(1, Notification(3, 0, 1, ServerState.LOOKING, 1, 0)),
    Receive(2, Notification(3, 0, 1, ServerState.LOOKING, 2, 0)),
    Tick(),
    Receive(1, FollowerInfo(0)),
    Receive(1, AckEpoch(0, 0)),
    Receive(1, Ack(make_zxid(1, 0))),
    Propose(b"p"),
]
preludes = st.sampled_from([[], FOLLOW, FOLLOW_UP_TO_DATE, LEAD])


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(myid=st.integers(1, 4), durable=durables, prelude=preludes, script=st.lists(inputs, max_size=60))
def test_peer_survives_any_input(
    myid: int, durable: DurableState, prelude: list[Input], script: list[Input]
) -> None:
    options = PeerOptions(
        myid=myid,
        quorum=MajorityQuorum(frozenset({1, 2, 3})),
        observers=frozenset({4}),
        init_limit_ticks=4,
        sync_limit_ticks=3,
        finalize_wait_ticks=1,
        notification_interval_max_ticks=4,
        connect_retry_ticks=1,
        committed_log_max=1,
    )
    peer = Peer(options, durable)
    peer.start()
    if prelude:
        myid = 3 if prelude is LEAD else 1
        peer = Peer(PeerOptions(**{**options.__dict__, "myid": myid}), DurableState())
        peer.start()
    for event in [*prelude, *script]:
        if isinstance(event, SnapshotTaken) and event.zxid > peer.state.last_committed:
            continue  # the shell only snapshots what it applied
        peer.step(event)
