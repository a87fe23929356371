"""The leader side of Zab: discovery, per-learner synchronization and broadcast.

Discovery: the leader counts FOLLOWERINFOs; once a quorum (itself included) has reported its
acceptedEpoch, it picks the new epoch as one more than the largest it heard, accepts it durably
and sends LEADERINFO. Once a quorum has answered ACKEPOCH (none of them more recent than the
leader), the leader adopts the epoch as currentEpoch and enters SYNCHRONIZATION.

Synchronization: each learner that acknowledged the epoch gets DIFF, TRUNC or SNAP (``plan_sync``),
the txns it misses as PROPOSAL + COMMIT pairs, the in-flight proposals (followers only), then
NEWLEADER; from then on it receives every new proposal and commit. When a quorum has ACKed
NEWLEADER the leader is established: its whole history is committed, it enters BROADCAST and
sends UPTODATE to every learner that ACKed (and later ones as they ACK).

Broadcast: proposals get consecutive zxids of the epoch; a proposal commits once a quorum
(itself included) has ACKed it and every earlier proposal has committed. Observers never count;
they learn committed txns by INFORM. The leader gives up when discovery or sync overruns
init_limit_ticks, when it no longer hears a quorum within sync_limit_ticks, when a learner is
more recent than itself, or when the zxid counter is exhausted.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

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
from zabkeeper.core.sync import SyncPlan, plan_sync
from zabkeeper.core.zxid import COUNTER_PROPOSABLE_MAX, EPOCH_MAX, counter_of, epoch_of, make_zxid


class HandlerPhase(Enum):
    """Where the leader stands with one learner (a LearnerHandler in ZooKeeper)."""

    INFO_RECEIVED = "INFO_RECEIVED"
    EPOCH_SENT = "EPOCH_SENT"
    EPOCH_ACKED = "EPOCH_ACKED"
    SYNC_SENT = "SYNC_SENT"
    NEWLEADER_ACKED = "NEWLEADER_ACKED"
    UPTODATE = "UPTODATE"


@dataclass
class LearnerHandler:
    sid: int
    observer: bool
    accepted_epoch: int
    ack_deadline: int
    phase: HandlerPhase = HandlerPhase.INFO_RECEIVED
    last_zxid: int = 0
    sync_mode: SyncMode | None = None
    # Every in-flight proposal up to here is ACKed by this learner (ACKs are cumulative).
    acked_through: int = 0

    @property
    def forwarding(self) -> bool:
        """Whether new proposals/commits (or informs) go to this learner."""
        return self.phase in (HandlerPhase.SYNC_SENT, HandlerPhase.NEWLEADER_ACKED, HandlerPhase.UPTODATE)


class LeaveLeadership(Exception):
    """The leader abdicates; the peer goes back to LOOKING."""


@dataclass
class PendingSync:
    zxid: int
    sid: int
    token: int


class Leader:
    """Leads one epoch; created when an election makes this server the leader."""

    def __init__(self, state: PeerState) -> None:
        self.state = state
        options = state.options
        self.zab_state = ZabState.DISCOVERY
        self.epoch: int | None = None
        self.established = False
        self.learners: dict[int, LearnerHandler] = {}
        self.connecting: dict[int, int] = {state.myid: state.accepted_epoch}
        self.electing: set[int] = {state.myid}
        self.newleader_acks: set[int] = {state.myid}
        # The leader's own (currentEpoch, lastZxid) when it started: no learner may be ahead of it.
        self.summary = (state.current_epoch, state.last_zxid)
        self.outstanding: dict[int, set[int]] = {}
        self.pending_syncs: list[PendingSync] = []
        self.stage_deadline = state.now + options.init_limit_ticks
        self.next_ping = state.now + options.ping_interval_ticks

    @property
    def myid(self) -> int:
        return self.state.myid

    def _is_quorum(self, sids: set[int]) -> bool:
        return self.state.options.quorum.contains_quorum(sids)

    def begin(self, out: Ready) -> None:
        """Decide the epoch at once when the leader alone is a quorum."""
        self._maybe_decide_epoch(out)

    # --- discovery ----------------------------------------------------------------------------

    def on_packet(self, sid: int, packet: QuorumPacket, out: Ready) -> None:
        if isinstance(packet, FollowerInfo | ObserverInfo):
            self._learner_info(sid, packet, out)
            return
        handler = self.learners.get(sid)
        if handler is None:
            out.event("Drop", i=self.myid, j=sid, message=type(packet).__name__, why="no learner handler")
            return
        handler.ack_deadline = self.state.now + self.state.options.sync_limit_ticks
        if isinstance(packet, AckEpoch) and handler.phase is HandlerPhase.EPOCH_SENT:
            self._ack_epoch(handler, packet, out)
        elif isinstance(packet, Ack) and counter_of(packet.zxid) == 0:
            self._ack_newleader(handler, packet, out)
        elif isinstance(packet, Ack) and handler.phase in (
            HandlerPhase.NEWLEADER_ACKED,
            HandlerPhase.UPTODATE,
        ):
            self._ack(handler, packet, out)
        elif isinstance(packet, Ping):
            pass
        elif isinstance(packet, Request) and handler.phase is HandlerPhase.UPTODATE:
            out.forwarded.append((sid, packet.payload))
        elif isinstance(packet, SyncRequest) and handler.phase is HandlerPhase.UPTODATE:
            self._sync_request(sid, packet.token, out)
        else:
            out.event("Drop", i=self.myid, j=sid, message=type(packet).__name__, why=handler.phase.value)
            self._drop_learner(sid, out)

    def _learner_info(self, sid: int, packet: FollowerInfo | ObserverInfo, out: Ready) -> None:
        observer = isinstance(packet, ObserverInfo)
        options = self.state.options
        allowed = options.observers if observer else options.participants
        out.event("LeaderProcessFOLLOWERINFO", i=self.myid, j=sid, epoch=packet.accepted_epoch)
        if sid not in allowed or sid == self.myid or not 0 <= packet.accepted_epoch < EPOCH_MAX:
            out.disconnect.append(sid)
            return
        deadline = self.state.now + options.init_limit_ticks + options.sync_limit_ticks
        handler = LearnerHandler(sid, observer, packet.accepted_epoch, deadline)
        self.learners[sid] = handler
        if self.epoch is not None:
            self._send_leader_info(handler, out)
            return
        self.connecting[sid] = packet.accepted_epoch
        self._maybe_decide_epoch(out)

    def _maybe_decide_epoch(self, out: Ready) -> None:
        if self.epoch is not None or not self._is_quorum(set(self.connecting)):
            return
        self.epoch = max(self.connecting.values()) + 1
        self.state.accept_epoch(self.epoch, out)
        self.stage_deadline = self.state.now + self.state.options.init_limit_ticks
        for handler in self.learners.values():
            if handler.phase is HandlerPhase.INFO_RECEIVED:
                self._send_leader_info(handler, out)
        self._maybe_finish_discovery(out)

    def _send_leader_info(self, handler: LearnerHandler, out: Ready) -> None:
        assert self.epoch is not None
        out.send(handler.sid, LeaderInfo(self.epoch))
        handler.phase = HandlerPhase.EPOCH_SENT

    def _ack_epoch(self, handler: LearnerHandler, packet: AckEpoch, out: Ready) -> None:
        out.event("LeaderProcessACKEPOCH", i=self.myid, j=handler.sid, epoch=packet.current_epoch)
        handler.last_zxid = packet.last_zxid
        handler.phase = HandlerPhase.EPOCH_ACKED
        if self.zab_state is ZabState.DISCOVERY and packet.current_epoch != -1:
            if (packet.current_epoch, packet.last_zxid) > self.summary:
                raise LeaveLeadership(f"learner {handler.sid} is more recent than the leader")
            if not handler.observer:
                self.electing.add(handler.sid)
            self._maybe_finish_discovery(out)
        elif self.zab_state is not ZabState.DISCOVERY:
            self._sync_learner(handler, out)

    def _maybe_finish_discovery(self, out: Ready) -> None:
        if self.zab_state is not ZabState.DISCOVERY or not self._is_quorum(self.electing):
            return
        assert self.epoch is not None
        self.state.adopt_epoch(self.epoch, out)
        self.zab_state = ZabState.SYNCHRONIZATION
        self.stage_deadline = self.state.now + self.state.options.init_limit_ticks
        for handler in self.learners.values():
            if handler.phase is HandlerPhase.EPOCH_ACKED:
                self._sync_learner(handler, out)
        self._maybe_establish(out)

    # --- synchronization ----------------------------------------------------------------------

    def _sync_learner(self, handler: LearnerHandler, out: Ready) -> None:
        """LeaderSyncFollower: DIFF/TRUNC/SNAP, the txns the learner lacks, then NEWLEADER.

        The plan is made against the whole logged history, in-flight proposals included: a
        learner that logged (and ACKed) an in-flight proposal keeps it. Txns up to the commit
        limit go as PROPOSAL + COMMIT, in-flight ones as PROPOSAL (followers only; observers
        learn them by INFORM once committed).
        """
        assert self.epoch is not None
        history = self.state.history
        commit_limit = self.state.last_committed if self.established else history.last_zxid
        peer = handler.last_zxid
        plan: SyncPlan = plan_sync(
            peer_last_zxid=peer,
            window_base=history.base_zxid,
            window_last=history.last_zxid,
            peer_zxid_held=history.contains(peer),
            floor_zxid=history.floor(min(peer, history.last_zxid))
            if peer >= history.base_zxid
            else history.base_zxid,
            state_zxid=self.state.last_committed,
        )
        first: Diff | Trunc | Snap
        if plan.mode is SyncMode.DIFF:
            first = Diff(commit_limit)
        elif plan.mode is SyncMode.TRUNC:
            assert plan.zxid <= commit_limit, "a TRUNC never cuts into in-flight proposals"
            first = Trunc(plan.zxid)
        else:
            first = Snap(plan.zxid)
        out.event("LeaderSyncFollower", i=self.myid, j=handler.sid, mode=plan.mode.value, zxid=first.zxid)
        out.send(handler.sid, first)
        for txn in history.after(plan.send_after):
            if txn.zxid <= commit_limit:
                out.send(handler.sid, Proposal(txn))
                out.send(handler.sid, Commit(txn.zxid))
            elif not handler.observer:
                out.send(handler.sid, Proposal(txn))
        out.send(handler.sid, NewLeader(self.epoch))
        handler.sync_mode = plan.mode
        handler.phase = HandlerPhase.SYNC_SENT

    def _ack_newleader(self, handler: LearnerHandler, packet: Ack, out: Ready) -> None:
        if handler.phase is not HandlerPhase.SYNC_SENT or epoch_of(packet.zxid) != self.epoch:
            out.event("Drop", i=self.myid, j=handler.sid, message="Ack", why="unexpected NEWLEADER ack")
            self._drop_learner(handler.sid, out)
            return
        out.event("LeaderProcessACKLD", i=self.myid, j=handler.sid)
        handler.phase = HandlerPhase.NEWLEADER_ACKED
        if self.established:
            self._send_up_to_date(handler, out)
            return
        if not handler.observer:
            self.newleader_acks.add(handler.sid)
        self._maybe_establish(out)

    def _maybe_establish(self, out: Ready) -> None:
        if self.established or self.zab_state is not ZabState.SYNCHRONIZATION:
            return
        if not self._is_quorum(self.newleader_acks):
            return
        self.established = True
        self.zab_state = ZabState.BROADCAST
        out.event("LeaderEstablished", i=self.myid, epoch=self.epoch)
        self.state.deliver_through(self.state.last_zxid, out)
        for handler in self.learners.values():
            if handler.phase is HandlerPhase.NEWLEADER_ACKED:
                self._send_up_to_date(handler, out)

    def _send_up_to_date(self, handler: LearnerHandler, out: Ready) -> None:
        out.send(handler.sid, UpToDate())
        handler.phase = HandlerPhase.UPTODATE

    # --- broadcast ----------------------------------------------------------------------------

    def next_zxid(self) -> int | None:
        """The zxid of the next proposal, if one can be made now."""
        if not self.established or len(self.outstanding) >= self.state.options.outstanding_proposals_max:
            return None
        assert self.epoch is not None
        return max(self.state.last_zxid, make_zxid(self.epoch, 0)) + 1

    def propose(self, data: bytes, out: Ready) -> bool:
        """LeaderProcessRequest: log a new txn and send it to every forwarding follower."""
        zxid = self.next_zxid()
        if zxid is None:
            return False
        if counter_of(zxid) > COUNTER_PROPOSABLE_MAX:
            raise LeaveLeadership("zxid counter exhausted; a new epoch is needed")
        txn = Txn(zxid, data)
        out.event("LeaderProcessRequest", i=self.myid, zxid=txn.zxid)
        self.state.log_txns([txn], out)
        self.outstanding[txn.zxid] = {self.myid}
        proposal = Proposal(txn)
        for sid in self._forwarding(observers=False):
            # An up-to-date follower may get the proposal before our own log write is durable
            # (Ready.early); one still syncing must get it behind its sync packets.
            if self.learners[sid].phase is HandlerPhase.UPTODATE:
                out.send_early(sid, proposal)
            else:
                out.send(sid, proposal)
        self._commit_ready(out)
        return True

    def _forwarding(self, observers: bool) -> list[int]:
        """The learners that receive new proposals and commits (or, for observers, informs)."""
        return [
            sid
            for sid, handler in self.learners.items()
            if handler.observer is observers and handler.forwarding
        ]

    def _ack(self, handler: LearnerHandler, packet: Ack, out: Ready) -> None:
        """LeaderProcessACK. An ACK is cumulative: a learner logs proposals in zxid order and
        ACKs only what is durable, so ACK(z) vouches for every in-flight proposal up to z. That
        lets a learner (or its transport) send one ACK for a batch; in-flight zxids are
        consecutive, so the new ones are a range."""
        if handler.observer or not self.outstanding:
            return
        first = next(iter(self.outstanding))
        last = min(packet.zxid, self.state.last_zxid)
        start = max(first, handler.acked_through + 1)
        if epoch_of(packet.zxid) != self.epoch or start > last:
            return
        out.event("LeaderProcessACK", i=self.myid, j=handler.sid, zxid=packet.zxid)
        outstanding = self.outstanding
        for zxid in range(start, last + 1):
            outstanding[zxid].add(handler.sid)
        handler.acked_through = last
        self._commit_ready(out)

    def _commit_ready(self, out: Ready) -> None:
        """Commit, in zxid order, every proposal whose acks form a quorum."""
        outstanding = self.outstanding
        committed = 0
        for zxid, acks in outstanding.items():
            if not self._is_quorum(acks):
                break
            committed = zxid
        if not committed:
            return
        followers = self._forwarding(observers=False)
        observers = self._forwarding(observers=True)
        for txn in self.state.history.after(self.state.last_committed, upto=committed):
            zxid = txn.zxid
            del outstanding[zxid]
            out.event("LeaderCommit", i=self.myid, zxid=zxid)
            self.state.deliver_through(zxid, out)
            commit = Commit(zxid)
            for sid in followers:
                out.send(sid, commit)
            for sid in observers:
                out.send(sid, Inform(txn))
        self._release_syncs(out)

    def client_sync(self, sid: int, token: int, out: Ready) -> bool:
        if not self.established:
            return False
        self._sync_request(sid, token, out)
        return True

    def _sync_request(self, sid: int, token: int, out: Ready) -> None:
        if not self.outstanding:
            self._answer_sync(sid, token, out)
            return
        if len(self.pending_syncs) >= self.state.options.pending_syncs_max:
            raise LeaveLeadership("too many pending syncs")
        self.pending_syncs.append(PendingSync(next(reversed(self.outstanding)), sid, token))

    def _release_syncs(self, out: Ready) -> None:
        while self.pending_syncs and self.pending_syncs[0].zxid <= self.state.last_committed:
            pending = self.pending_syncs.pop(0)
            self._answer_sync(pending.sid, pending.token, out)

    def _answer_sync(self, sid: int, token: int, out: Ready) -> None:
        if sid == self.myid:
            out.synced.append(token)
        elif sid in self.learners:
            out.send(sid, Sync(token))

    # --- time and connections -----------------------------------------------------------------

    def on_tick(self, out: Ready) -> None:
        now = self.state.now
        if not self.established:
            if now >= self.stage_deadline:
                raise LeaveLeadership(f"{self.zab_state.value} did not finish within initLimit")
        else:
            heard = {self.myid} | {
                sid
                for sid, handler in self.learners.items()
                if handler.ack_deadline >= now and not handler.observer
            }
            if not self._is_quorum(heard):
                raise LeaveLeadership(
                    "not sufficient followers synced, only synced with sids " + str(sorted(heard))
                )
        if now >= self.next_ping:
            self.next_ping = now + self.state.options.ping_interval_ticks
            for handler in self.learners.values():
                if handler.forwarding:
                    out.send(handler.sid, Ping())
        for sid, handler in list(self.learners.items()):
            if handler.ack_deadline < now:
                out.event("Drop", i=self.myid, j=sid, message="Tick", why="learner silent")
                self._drop_learner(sid, out)

    def on_disconnected(self, sid: int, out: Ready) -> None:
        if self.learners.pop(sid, None) is not None:
            out.event("LeaderLostLearner", i=self.myid, j=sid)

    def drop(self, sid: int, out: Ready) -> None:
        """Drop a learner that broke the protocol (close its connection)."""
        self._drop_learner(sid, out)

    def _drop_learner(self, sid: int, out: Ready) -> None:
        if self.learners.pop(sid, None) is not None:
            out.disconnect.append(sid)

    def learner_sids(self) -> list[int]:
        return sorted(self.learners)
