"""``Peer``: one Zab server as a sans-IO state machine, ``step(input) -> Ready``.

The peer owns the role loop of ZooKeeper's QuorumPeer: LOOKING runs Fast Leader Election
(``election``); the decision makes the server LEADING (``leader``), FOLLOWING or OBSERVING
(``learner``); any failure of a role sends it back to LOOKING, which starts a new election round.
It never reads a clock, touches a socket or a file, or draws a random number: the same peer runs
in the server, in the simulator and under conformance replay. After every step it checks its own
local invariants.
"""

from __future__ import annotations

from zabkeeper.core.election import Decision, Election, Vote
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
from zabkeeper.core.leader import Leader, LeaveLeadership
from zabkeeper.core.learner import Learner, LeaveLeader
from zabkeeper.core.messages import Notification, QuorumPacket, ServerState, ZabState
from zabkeeper.core.options import PeerOptions
from zabkeeper.core.ready import Ready
from zabkeeper.core.state import DurableState, PeerState
from zabkeeper.core.zxid import ZXID_LIMIT


class Peer:
    """One server of a Zab ensemble. Create it from durable state, call ``start()`` once, then
    ``step()`` for every input; execute each returned ``Ready`` as its docstring says."""

    def __init__(self, options: PeerOptions, durable: DurableState | None = None) -> None:
        self.options = options
        self.state = PeerState(options, durable or DurableState())
        self.election = Election(options)
        self.server_state = ServerState.LOOKING
        self.leader: Leader | None = None
        self.learner: Learner | None = None
        self.started = False
        self._epochs_seen = (self.state.accepted_epoch, self.state.current_epoch)

    # --- views ----------------------------------------------------------------------------------

    @property
    def myid(self) -> int:
        return self.options.myid

    @property
    def zab_state(self) -> ZabState:
        if self.leader is not None:
            return self.leader.zab_state
        if self.learner is not None:
            return self.learner.zab_state
        return ZabState.ELECTION

    @property
    def leader_id(self) -> int | None:
        """Whom this server follows (or itself when leading); None while LOOKING."""
        if self.leader is not None:
            return self.myid
        if self.learner is not None:
            return self.learner.leader
        return None

    @property
    def vote(self) -> Vote:
        return self.election.current_vote

    @property
    def is_established_leader(self) -> bool:
        """Whether this peer leads and a quorum has acknowledged it (it may propose)."""
        return self.leader is not None and self.leader.established

    def next_zxid(self) -> int | None:
        """The zxid the next ``Propose`` will get, or None when this peer cannot propose now (it
        is not an established leader, or its in-flight pipeline is full). The leader's request
        pipeline needs it to prepare a txn before proposing it."""
        return None if self.leader is None else self.leader.next_zxid()

    @property
    def is_serving(self) -> bool:
        """Whether clients may be served: an established leader or an up-to-date learner."""
        return self.zab_state is ZabState.BROADCAST

    # --- stepping -------------------------------------------------------------------------------

    def start(self) -> Ready:
        """Begin life LOOKING (after a fresh start or a restart from durable state)."""
        assert not self.started
        self.started = True
        out = Ready()
        self._look(out, reason="start")
        return out

    def step(self, event: Input) -> Ready:
        assert self.started, "call start() first"
        out = Ready()
        try:
            self._dispatch(event, out)
        except (LeaveLeader, LeaveLeadership) as exc:
            self._look(out, reason=str(exc))
        self._check_invariants()
        return out

    def _dispatch(self, event: Input, out: Ready) -> None:
        match event:
            case Receive(src, message):
                if isinstance(message, Notification):
                    if message.sid != src:
                        out.event("Drop", i=self.myid, j=src, message="Notification", why="sid mismatch")
                        return
                    self._on_notification(message, out)
                else:
                    self._on_packet(src, message, out)
            case Tick():
                self._on_tick(out)
            case Disconnected(sid):
                self._on_disconnected(sid, out)
            case Propose(data):
                self._on_propose(data, out)
            case ForwardRequest(payload):
                self._on_forward(payload, out)
            case ClientSync(token):
                self._on_client_sync(token, out)
            case SnapshotTaken(zxid):
                self.state.forget_snapshotted(zxid)

    def _on_notification(self, n: Notification, out: Ready) -> None:
        if self.server_state is ServerState.LOOKING:
            out.event("FLEHandleNotmsg", i=self.myid, j=n.sid, leader=n.leader, round=n.election_epoch)
            decision = self.election.on_notification(n, out)
            if decision is not None:
                self._settle(decision, out)
        else:
            out.event("FLEReceiveNotmsg", i=self.myid, j=n.sid, leader=n.leader, round=n.election_epoch)
            self.election.answer(n, self.server_state, out)

    def _on_packet(self, src: int, packet: QuorumPacket, out: Ready) -> None:
        if not _zxids_in_range(packet):
            out.event("Drop", i=self.myid, j=src, message=type(packet).__name__, why="zxid out of range")
            if self.learner is not None and src == self.learner.leader:
                raise LeaveLeader(f"leader {src} sent a zxid out of range")
            if self.leader is not None:
                self.leader.drop(src, out)
            return
        if self.leader is not None:
            self.leader.on_packet(src, packet, out)
        elif self.learner is not None and src == self.learner.leader:
            self.learner.on_packet(packet, out)
        else:
            out.event("Drop", i=self.myid, j=src, message=type(packet).__name__, why=self.server_state.value)
            if self.server_state is ServerState.LOOKING:
                # A learner knocking on a server that does not lead: refuse the connection.
                out.disconnect.append(src)

    def _on_tick(self, out: Ready) -> None:
        self.state.now += 1
        if self.server_state is ServerState.LOOKING:
            decision = self.election.on_tick(out)
            if decision is not None:
                self._settle(decision, out)
        elif self.leader is not None:
            self.leader.on_tick(out)
        elif self.learner is not None:
            self.learner.on_tick(out)

    def _on_disconnected(self, sid: int, out: Ready) -> None:
        if self.leader is not None:
            self.leader.on_disconnected(sid, out)
        elif self.learner is not None and sid == self.learner.leader:
            self.learner.on_disconnected()

    def _on_propose(self, data: bytes, out: Ready) -> None:
        try:
            accepted = self.leader is not None and self.leader.propose(data, out)
        except LeaveLeadership:
            out.refused.append(data)
            raise
        if not accepted:
            out.refused.append(data)

    def _on_forward(self, payload: bytes, out: Ready) -> None:
        if self.leader is not None and self.leader.established:
            out.forwarded.append((self.myid, payload))
        elif self.learner is None or not self.learner.forward(payload, out):
            out.refused.append(payload)

    def _on_client_sync(self, token: int, out: Ready) -> None:
        if self.leader is not None:
            accepted = self.leader.client_sync(self.myid, token, out)
        elif self.learner is not None:
            accepted = self.learner.sync(token, out)
        else:
            accepted = False
        if not accepted:
            out.refused_syncs.append(token)

    # --- role changes ---------------------------------------------------------------------------

    def _look(self, out: Ready, reason: str) -> None:
        """Back to LOOKING: drop the role, close its connections, start an election round."""
        if self.leader is not None:
            out.disconnect.extend(self.leader.learner_sids())
        if self.learner is not None:
            out.disconnect.append(self.learner.leader)
        self.leader = None
        self.learner = None
        self._set_state(ServerState.LOOKING, out, reason)
        self.election.start(self.state.last_zxid, self.state.current_epoch, out)

    def _settle(self, decision: Decision, out: Ready) -> None:
        leader = decision.vote.leader
        if leader == self.myid:
            self._set_state(ServerState.LEADING, out, "elected")
            self.leader = Leader(self.state)
            self.leader.begin(out)
        else:
            observer = not self.options.is_participant
            self._set_state(
                ServerState.OBSERVING if observer else ServerState.FOLLOWING, out, f"leader {leader}"
            )
            self.learner = Learner(self.state, leader, observer)
            self.learner.connect(out)

    def _set_state(self, new: ServerState, out: Ready, reason: str) -> None:
        if new is not self.server_state:
            out.event("ServerStateChange", i=self.myid, old=self.server_state, new=new, why=reason)
        self.server_state = new

    # --- invariants -----------------------------------------------------------------------------

    def _check_invariants(self) -> None:
        state = self.state
        assert state.current_epoch <= state.accepted_epoch, (state.current_epoch, state.accepted_epoch)
        seen_accepted, seen_current = self._epochs_seen
        assert state.accepted_epoch >= seen_accepted and state.current_epoch >= seen_current, (
            "epochs decreased"
        )
        self._epochs_seen = (state.accepted_epoch, state.current_epoch)
        history = state.history
        assert history.base_zxid <= state.last_committed <= history.last_zxid
        assert (self.leader is not None) == (self.server_state is ServerState.LEADING)
        assert (self.learner is not None) == (
            self.server_state in (ServerState.FOLLOWING, ServerState.OBSERVING)
        )
        if self.leader is not None and self.leader.outstanding:
            # In-flight proposals are the logged txns after the last commit, in order.
            first = next(iter(self.leader.outstanding))
            last = next(reversed(self.leader.outstanding))
            assert state.last_committed < first <= last == history.last_zxid, (first, last)


def _zxids_in_range(packet: QuorumPacket) -> bool:
    """Whether every zxid a packet carries is one a zxid can be (a signed long that is not
    negative): anything else comes from a broken or hostile peer."""
    for name in ("zxid", "last_zxid"):
        value = getattr(packet, name, 0)
        if not 0 <= value < ZXID_LIMIT:
            return False
    txn = getattr(packet, "txn", None)
    return txn is None or 0 <= txn.zxid < ZXID_LIMIT
