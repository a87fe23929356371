"""The learner side of Zab: a follower or an observer of one leader.

Phases, in order (each packet is legal in one phase only; anything else from the leader is a
protocol error that sends the learner back to LOOKING, as ZooKeeper's IOException does):

* CONNECTING: FOLLOWERINFO/OBSERVERINFO sent; a refused connection is retried every
  connect_retry_ticks. LEADERINFO with an epoch older than ours: back to LOOKING; newer: accept
  it (durably) and ACKEPOCH.
* EPOCH_ACKED: wait for DIFF, TRUNC (applied at once) or SNAP.
* SYNCING: PROPOSALs and COMMITs queue up until NEWLEADER, which makes the synced txns durable,
  then the new currentEpoch, then ACKs (ZOOKEEPER-4643/-4646's order).
* NEWLEADER_ACKED: more PROPOSALs and COMMITs queue until UPTODATE, which logs and ACKs them and
  delivers every txn the leader has confirmed.
* BROADCAST: PROPOSAL is logged and ACKed, COMMIT delivers, INFORM (observers) logs and delivers.

Silence from the leader for init_limit_ticks (before NEWLEADER) or sync_limit_ticks (after)
ends the relationship.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from typing import Any

from zabkeeper.core.messages import (
    Ack,
    AckEpoch,
    Commit,
    Diff,
    FollowerInfo,
    Inform,
    LeaderInfo,
    NewLeader,
    ObserverInfo,
    Ping,
    Proposal,
    QuorumPacket,
    Request,
    Snap,
    Sync,
    SyncMode,
    SyncRequest,
    Trunc,
    Txn,
    UpToDate,
    ZabState,
)
from zabkeeper.core.ready import Ready
from zabkeeper.core.state import PeerState
from zabkeeper.core.zxid import EPOCH_MAX, epoch_of, make_zxid


class LearnerPhase(Enum):
    CONNECTING = "CONNECTING"
    EPOCH_ACKED = "EPOCH_ACKED"
    SYNCING = "SYNCING"
    NEWLEADER_ACKED = "NEWLEADER_ACKED"
    BROADCAST = "BROADCAST"


class LeaveLeader(Exception):
    """The learner gives up on its leader; the peer goes back to LOOKING."""


class Learner:
    """Follows (or observes) ``leader``; created when an election ends."""

    def __init__(self, state: PeerState, leader: int, observer: bool) -> None:
        assert leader != state.myid
        self.state = state
        self.leader = leader
        self.observer = observer
        self.phase = LearnerPhase.CONNECTING
        self.zab_state = ZabState.DISCOVERY
        self.silent_ticks = 0
        self.retry_in: int | None = None
        self.new_epoch: int | None = None
        self.sync_mode: SyncMode | None = None
        self.sync_limit_zxid = 0
        self.snapshot: Snap | None = None
        self.pending: list[Txn] = []
        self.commit_seen = 0

    @property
    def myid(self) -> int:
        return self.state.myid

    def connect(self, out: Ready) -> None:
        """ConnectAndFollowerSendFOLLOWERINFO: open the quorum connection and introduce ourselves."""
        info = ObserverInfo if self.observer else FollowerInfo
        out.send(self.leader, info(self.state.accepted_epoch))
        out.event("ConnectAndFollowerSendFOLLOWERINFO", i=self.myid, j=self.leader)

    # --- inputs -------------------------------------------------------------------------------

    def on_packet(self, packet: QuorumPacket, out: Ready) -> None:
        self.silent_ticks = 0
        self.retry_in = None
        handler = _HANDLERS.get((self.phase, type(packet)))
        if handler is None:
            if isinstance(packet, Ping):
                out.send(self.leader, Ping())
                return
            raise LeaveLeader(f"unexpected {type(packet).__name__} in phase {self.phase.value}")
        handler(self, packet, out)

    def on_tick(self, out: Ready) -> None:
        self.silent_ticks += 1
        if self.retry_in is not None:
            self.retry_in -= 1
            if self.retry_in == 0:
                self.retry_in = None
                self.connect(out)
        after_newleader = self.phase in (LearnerPhase.NEWLEADER_ACKED, LearnerPhase.BROADCAST)
        limit = (
            self.state.options.sync_limit_ticks if after_newleader else self.state.options.init_limit_ticks
        )
        if self.silent_ticks >= limit:
            raise LeaveLeader(f"leader {self.leader} silent for {self.silent_ticks} ticks")

    def on_disconnected(self) -> None:
        if self.phase is LearnerPhase.CONNECTING:
            # Refused (the leader is not leading yet) or lost before LEADERINFO: try again.
            self.retry_in = self.state.options.connect_retry_ticks
            return
        raise LeaveLeader(f"connection to leader {self.leader} lost")

    def forward(self, payload: bytes, out: Ready) -> bool:
        if self.phase is not LearnerPhase.BROADCAST:
            return False
        out.send(self.leader, Request(payload))
        return True

    def sync(self, token: int, out: Ready) -> bool:
        if self.phase is not LearnerPhase.BROADCAST:
            return False
        out.send(self.leader, SyncRequest(token))
        return True

    # --- discovery ----------------------------------------------------------------------------

    def _leader_info(self, packet: LeaderInfo, out: Ready) -> None:
        new_epoch = packet.new_epoch
        out.event("FollowerProcessLEADERINFO", i=self.myid, j=self.leader, epoch=new_epoch)
        if new_epoch > EPOCH_MAX:
            raise LeaveLeader(f"leader epoch {new_epoch} is out of range")
        if new_epoch < self.state.accepted_epoch:
            raise LeaveLeader(f"leader epoch {new_epoch} is older than accepted {self.state.accepted_epoch}")
        if new_epoch > self.state.accepted_epoch:
            current = self.state.current_epoch
            self.state.accept_epoch(new_epoch, out)
        else:
            current = -1
        out.send(self.leader, AckEpoch(current, self.state.last_zxid))
        self.new_epoch = new_epoch
        self.phase = LearnerPhase.EPOCH_ACKED
        self.zab_state = ZabState.SYNCHRONIZATION

    # --- synchronization ----------------------------------------------------------------------

    def _diff(self, packet: Diff, out: Ready) -> None:
        out.event("FollowerProcessSyncMessage", i=self.myid, j=self.leader, mode="DIFF", zxid=packet.zxid)
        self._start_sync(SyncMode.DIFF, packet.zxid)

    def _trunc(self, packet: Trunc, out: Ready) -> None:
        out.event("FollowerProcessSyncMessage", i=self.myid, j=self.leader, mode="TRUNC", zxid=packet.zxid)
        if packet.zxid < self.state.last_committed:
            raise LeaveLeader(f"TRUNC to {packet.zxid:#x} would drop committed txns")
        self.state.truncate(packet.zxid, out)
        self._start_sync(SyncMode.TRUNC, packet.zxid)

    def _snap(self, packet: Snap, out: Ready) -> None:
        out.event("FollowerProcessSyncMessage", i=self.myid, j=self.leader, mode="SNAP", zxid=packet.zxid)
        if packet.zxid < self.state.last_committed:
            raise LeaveLeader(f"SNAP at {packet.zxid:#x} is older than what we delivered")
        self.snapshot = packet
        self._start_sync(SyncMode.SNAP, packet.zxid)

    def _start_sync(self, mode: SyncMode, zxid: int) -> None:
        self.sync_mode = mode
        self.sync_limit_zxid = zxid
        self.phase = LearnerPhase.SYNCING

    def _last_known_zxid(self) -> int:
        if self.pending:
            return self.pending[-1].zxid
        if self.snapshot is not None and self.phase is LearnerPhase.SYNCING:
            return self.snapshot.zxid
        return self.state.last_zxid

    def _queue(self, txn: Txn) -> None:
        if txn.zxid <= self._last_known_zxid():
            raise LeaveLeader(f"proposal {txn.zxid:#x} is not after {self._last_known_zxid():#x}")
        self.pending.append(txn)

    def _proposal_in_sync(self, packet: Proposal, out: Ready) -> None:
        out.event("FollowerProcessPROPOSALInSync", i=self.myid, j=self.leader, zxid=packet.txn.zxid)
        self._queue(packet.txn)

    def _commit_in_sync(self, packet: Commit, out: Ready) -> None:
        out.event("FollowerProcessCOMMITInSync", i=self.myid, j=self.leader, zxid=packet.zxid)
        if packet.zxid > self._last_known_zxid():
            raise LeaveLeader(f"COMMIT of unknown txn {packet.zxid:#x}")
        self.commit_seen = max(self.commit_seen, packet.zxid)

    def _inform_in_sync(self, packet: Inform, out: Ready) -> None:
        out.event("ObserverProcessINFORMInSync", i=self.myid, j=self.leader, zxid=packet.txn.zxid)
        self._queue(packet.txn)
        self.commit_seen = max(self.commit_seen, packet.txn.zxid)

    def _new_leader(self, packet: NewLeader, out: Ready) -> None:
        """FollowerProcessNEWLEADER: snapshot, then synced txns, then currentEpoch, then ACK."""
        if packet.epoch != self.new_epoch:
            raise LeaveLeader(f"NEWLEADER for epoch {packet.epoch}, expected {self.new_epoch}")
        out.event("FollowerProcessNEWLEADER", i=self.myid, j=self.leader, epoch=packet.epoch)
        if self.snapshot is not None:
            self.state.install_snapshot(self.snapshot.zxid, self.snapshot.snapshot, out)
            self.snapshot = None
        logged, self.pending = self.pending, []
        self.state.log_txns(logged, out)
        self.state.adopt_epoch(packet.epoch, out)
        out.send(self.leader, Ack(make_zxid(packet.epoch, 0)))
        self._ack_current_epoch(logged, out)
        self.phase = LearnerPhase.NEWLEADER_ACKED

    def _ack_current_epoch(self, txns: list[Txn], out: Ready) -> None:
        """ACK proposals of the leader's epoch (its in-flight ones, forwarded to a late joiner)."""
        if self.observer:
            return
        for txn in txns:
            if epoch_of(txn.zxid) == self.new_epoch:
                out.send(self.leader, Ack(txn.zxid))

    def _up_to_date(self, packet: UpToDate, out: Ready) -> None:
        out.event("FollowerProcessUPTODATE", i=self.myid, j=self.leader)
        logged, self.pending = self.pending, []
        self.state.log_txns(logged, out, sync=not self.observer)
        self._ack_current_epoch(logged, out)
        confirmed = max(self.sync_limit_zxid, self.commit_seen)
        if confirmed > self.state.last_committed and not self.state.history.contains(confirmed):
            raise LeaveLeader(f"the leader confirmed {confirmed:#x}, which it never sent")
        self.state.deliver_through(confirmed, out)
        self.phase = LearnerPhase.BROADCAST
        self.zab_state = ZabState.BROADCAST

    # --- broadcast ----------------------------------------------------------------------------

    def _proposal(self, packet: Proposal, out: Ready) -> None:
        txn = packet.txn
        out.event("FollowerProcessPROPOSAL", i=self.myid, j=self.leader, zxid=txn.zxid)
        if self.observer or txn.zxid <= self.state.last_zxid:
            raise LeaveLeader(f"PROPOSAL {txn.zxid:#x} after {self.state.last_zxid:#x}")
        self.state.log_txns([txn], out)
        out.send(self.leader, Ack(txn.zxid))

    def _commit(self, packet: Commit, out: Ready) -> None:
        out.event("FollowerProcessCOMMIT", i=self.myid, j=self.leader, zxid=packet.zxid)
        if not self.state.history.contains(packet.zxid) or packet.zxid <= self.state.last_committed:
            raise LeaveLeader(f"COMMIT {packet.zxid:#x} does not follow {self.state.last_committed:#x}")
        self.state.deliver_through(packet.zxid, out)

    def _inform(self, packet: Inform, out: Ready) -> None:
        txn = packet.txn
        out.event("ObserverProcessINFORM", i=self.myid, j=self.leader, zxid=txn.zxid)
        if txn.zxid <= self.state.last_zxid:
            raise LeaveLeader(f"INFORM {txn.zxid:#x} after {self.state.last_zxid:#x}")
        self.state.log_txns([txn], out, sync=False)
        self.state.deliver_through(txn.zxid, out)

    def _sync(self, packet: Sync, out: Ready) -> None:
        out.synced.append(packet.token)


_SYNC_PHASES = (LearnerPhase.SYNCING, LearnerPhase.NEWLEADER_ACKED)
_HANDLERS: dict[tuple[LearnerPhase, type], Callable[[Learner, Any, Ready], None]] = {
    (LearnerPhase.CONNECTING, LeaderInfo): Learner._leader_info,
    (LearnerPhase.EPOCH_ACKED, Diff): Learner._diff,
    (LearnerPhase.EPOCH_ACKED, Trunc): Learner._trunc,
    (LearnerPhase.EPOCH_ACKED, Snap): Learner._snap,
    (LearnerPhase.SYNCING, NewLeader): Learner._new_leader,
    (LearnerPhase.NEWLEADER_ACKED, UpToDate): Learner._up_to_date,
    (LearnerPhase.BROADCAST, Proposal): Learner._proposal,
    (LearnerPhase.BROADCAST, Commit): Learner._commit,
    (LearnerPhase.BROADCAST, Inform): Learner._inform,
    (LearnerPhase.BROADCAST, Sync): Learner._sync,
    **{(phase, Proposal): Learner._proposal_in_sync for phase in _SYNC_PHASES},
    **{(phase, Commit): Learner._commit_in_sync for phase in _SYNC_PHASES},
    **{(phase, Inform): Learner._inform_in_sync for phase in _SYNC_PHASES},
}
