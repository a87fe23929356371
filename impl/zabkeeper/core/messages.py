"""The messages Zab servers exchange, as frozen dataclasses, with ZooKeeper's names.

Two channels connect a pair of servers, as in ZooKeeper: the election channel carries
``Notification``s of Fast Leader Election; the quorum channel carries the packets between a leader
and a learner (follower or observer), whose ZooKeeper type codes are kept in ``PACKET_TYPES``.
Every message is plain data: the wire layer gives each one a byte layout, the simulator moves
them between peers, and conformance compares them with the spec's messages.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from zabkeeper.core.zxid import zxid_str


class ServerState(Enum):
    """QuorumPeer.ServerState: what a server is doing in the ensemble."""

    LOOKING = "LOOKING"
    FOLLOWING = "FOLLOWING"
    LEADING = "LEADING"
    OBSERVING = "OBSERVING"


class ZabState(Enum):
    """QuorumPeer.ZabState: the Zab phase of a server."""

    ELECTION = "ELECTION"
    DISCOVERY = "DISCOVERY"
    SYNCHRONIZATION = "SYNCHRONIZATION"
    BROADCAST = "BROADCAST"


class SyncMode(Enum):
    """How a leader brings a learner's history up to its own."""

    DIFF = "DIFF"
    TRUNC = "TRUNC"
    SNAP = "SNAP"


@dataclass(frozen=True, slots=True)
class Txn:
    """One transaction of the replicated history: its zxid and an opaque payload.

    The core never looks inside ``data``: the server puts a serialized ZooKeeper txn there, the
    simulator a workload value.
    """

    zxid: int
    data: bytes

    def __repr__(self) -> str:
        return f"Txn({zxid_str(self.zxid)})"


# --- election channel -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Notification:
    """FastLeaderElection.Notification: the sender's current vote and state."""

    leader: int
    zxid: int
    election_epoch: int
    state: ServerState
    sid: int
    peer_epoch: int


# --- quorum channel: discovery ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FollowerInfo:
    """FOLLOWERINFO (11): a follower connects and reports its acceptedEpoch."""

    accepted_epoch: int


@dataclass(frozen=True, slots=True)
class ObserverInfo:
    """OBSERVERINFO (16): an observer connects and reports its acceptedEpoch."""

    accepted_epoch: int


@dataclass(frozen=True, slots=True)
class LeaderInfo:
    """LEADERINFO (17): the epoch the leader proposes for its reign."""

    new_epoch: int


@dataclass(frozen=True, slots=True)
class AckEpoch:
    """ACKEPOCH (18): the learner accepted the new epoch.

    ``current_epoch`` is -1 when the learner had already accepted this epoch before (a
    reconnect); the leader then does not count it toward the discovery quorum, as in ZooKeeper.
    ``last_zxid`` is the learner's last logged zxid, which drives the sync decision.
    """

    current_epoch: int
    last_zxid: int


# --- quorum channel: synchronization ----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Diff:
    """DIFF (13): the learner's history is a prefix of the leader's; the missing txns follow.

    ``zxid`` is the last txn of the leader's committed history the learner will hold.
    """

    zxid: int


@dataclass(frozen=True, slots=True)
class Trunc:
    """TRUNC (14): drop every logged txn after ``zxid``; the missing txns follow."""

    zxid: int


@dataclass(frozen=True, slots=True)
class Snap:
    """SNAP (15): replace the state with the leader's state as of ``zxid``.

    The core leaves ``snapshot`` empty; the shell that sends the packet fills it from its state
    machine, which stands exactly at ``zxid`` at that moment (see ``Ready``).
    """

    zxid: int
    snapshot: bytes = b""

    def __repr__(self) -> str:
        return f"Snap({zxid_str(self.zxid)}, {len(self.snapshot)} bytes)"


@dataclass(frozen=True, slots=True)
class NewLeader:
    """NEWLEADER (10): the leader has queued the whole sync for this learner."""

    epoch: int


@dataclass(frozen=True, slots=True)
class UpToDate:
    """UPTODATE (12): the leader is established; the learner may serve."""


# --- quorum channel: broadcast ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Proposal:
    """PROPOSAL (2): log this txn and ACK it."""

    txn: Txn


@dataclass(frozen=True, slots=True)
class Ack:
    """ACK (3): the txn ``zxid`` is durable on the sender; ``(epoch, 0)`` acknowledges NEWLEADER."""

    zxid: int


@dataclass(frozen=True, slots=True)
class Commit:
    """COMMIT (4): every txn up to ``zxid`` is committed."""

    zxid: int


@dataclass(frozen=True, slots=True)
class Inform:
    """INFORM (8): a committed txn, sent to observers (who never ACK)."""

    txn: Txn


@dataclass(frozen=True, slots=True)
class Ping:
    """PING (5): liveness in both directions between a leader and its learners."""


@dataclass(frozen=True, slots=True)
class Request:
    """REQUEST (1): a learner forwards a client write; ``payload`` is opaque to the core."""

    payload: bytes


@dataclass(frozen=True, slots=True)
class SyncRequest:
    """A learner asks the leader to flush its pipeline for a client ``sync`` (ZooKeeper sends
    it as a REQUEST of type sync)."""

    token: int


@dataclass(frozen=True, slots=True)
class Sync:
    """SYNC (7): every txn proposed before the matching SyncRequest has been committed."""

    token: int


QuorumPacket = (
    FollowerInfo
    | ObserverInfo
    | LeaderInfo
    | AckEpoch
    | Diff
    | Trunc
    | Snap
    | NewLeader
    | UpToDate
    | Proposal
    | Ack
    | Commit
    | Inform
    | Ping
    | Request
    | SyncRequest
    | Sync
)
Message = Notification | QuorumPacket

# ZooKeeper's quorum packet type codes (Leader.java), used by the wire layer and in logs.
PACKET_TYPES: dict[type[QuorumPacket], int] = {
    Request: 1,
    SyncRequest: 1,
    Proposal: 2,
    Ack: 3,
    Commit: 4,
    Ping: 5,
    Sync: 7,
    Inform: 8,
    NewLeader: 10,
    FollowerInfo: 11,
    UpToDate: 12,
    Diff: 13,
    Trunc: 14,
    Snap: 15,
    ObserverInfo: 16,
    LeaderInfo: 17,
    AckEpoch: 18,
}
