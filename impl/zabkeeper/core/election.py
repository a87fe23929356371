"""Fast Leader Election (ZooKeeper's FastLeaderElection), driven by messages and ticks.

A LOOKING server proposes a leader, broadcasts its vote, adopts any better vote it hears, and
decides once a quorum agrees with its proposal and no better vote arrives within finalizeWait.
Votes are ordered by (peerEpoch, zxid, sid): the server with the most recent history wins, ties
go to the larger id. ``logicalclock`` (the electionEpoch) numbers election rounds: a newer round
resets the tally, an older one is ignored. Votes from servers that already settled (FOLLOWING or
LEADING) are tallied apart (``outofelection``), so a server that restarts joins an established
leader without a new election.

Observers run the same machinery but propose nobody and are never counted; voters answer them with
their current vote.
"""

from __future__ import annotations

from dataclasses import dataclass

from zabkeeper.core.messages import Notification, ServerState
from zabkeeper.core.options import PeerOptions
from zabkeeper.core.ready import Ready

# Observers propose "nobody", with a history older than any real one (ZooKeeper: Long.MIN_VALUE).
NO_LEADER = -1


@dataclass(frozen=True, slots=True)
class Vote:
    """A vote as tallied: for ``leader`` with its (zxid, peer_epoch), cast in ``election_epoch``."""

    leader: int
    zxid: int
    election_epoch: int
    peer_epoch: int
    state: ServerState = ServerState.LOOKING


def total_order_predicate(
    new: tuple[int, int, int], current: tuple[int, int, int], weight_of_new: int = 1
) -> bool:
    """Whether vote ``new`` beats ``current``; both are (leader, zxid, peer_epoch).

    Epoch first, then zxid, then server id; a server of weight zero never wins (ZooKeeper's
    totalOrderPredicate).
    """
    if weight_of_new == 0:
        return False
    new_leader, new_zxid, new_epoch = new
    cur_leader, cur_zxid, cur_epoch = current
    return (new_epoch, new_zxid, new_leader) > (cur_epoch, cur_zxid, cur_leader)


def votes_agree(a: Vote, b: Vote) -> bool:
    """ZooKeeper's Vote.equals: full comparison when either vote is cast while LOOKING, else the
    leader and its epoch (a settled server's round number may differ)."""
    if ServerState.LOOKING in (a.state, b.state):
        return (a.leader, a.zxid, a.election_epoch, a.peer_epoch) == (
            b.leader,
            b.zxid,
            b.election_epoch,
            b.peer_epoch,
        )
    return (a.leader, a.peer_epoch) == (b.leader, b.peer_epoch)


@dataclass(frozen=True, slots=True)
class Decision:
    """The election ended: follow (or lead, or observe) ``vote.leader``."""

    vote: Vote


class Election:
    """The FLE state of one server; ``logicalclock`` survives from one election to the next."""

    def __init__(self, options: PeerOptions) -> None:
        self.options = options
        self.logicalclock = 0
        self.proposal: tuple[int, int, int] = (NO_LEADER, NO_LEADER, NO_LEADER)
        self.recvset: dict[int, Vote] = {}
        self.outofelection: dict[int, Vote] = {}
        self.notification_timeout = options.finalize_wait_ticks
        self.quiet_ticks = 0
        self.finalize_left: int | None = None
        self.running = False
        # The vote this server settled on, announced to LOOKING servers while not LOOKING.
        self.current_vote = Vote(NO_LEADER, NO_LEADER, 0, NO_LEADER)

    # --- starting -----------------------------------------------------------------------------

    def start(self, last_zxid: int, current_epoch: int, out: Ready) -> None:
        """Begin a new round (lookForLeader): propose ourselves and tell every voter."""
        self.logicalclock += 1
        self.recvset = {}
        self.outofelection = {}
        self.notification_timeout = self.options.finalize_wait_ticks
        self.quiet_ticks = 0
        self.finalize_left = None
        self.running = True
        self._init_vote = self._initial_proposal(last_zxid, current_epoch)
        self._update_proposal(self._init_vote)
        self._send_notifications(out)
        if self.options.quorum.contains_quorum({self.options.myid}):
            self.finalize_left = self.options.finalize_wait_ticks  # a lone voter is its own quorum

    def _initial_proposal(self, last_zxid: int, current_epoch: int) -> tuple[int, int, int]:
        if self.options.is_participant:
            return (self.options.myid, last_zxid, current_epoch)
        return (NO_LEADER, NO_LEADER, NO_LEADER)

    def _update_proposal(self, proposal: tuple[int, int, int]) -> None:
        self.proposal = proposal
        if self.options.is_participant:
            leader, zxid, peer_epoch = proposal
            self.recvset[self.options.myid] = Vote(leader, zxid, self.logicalclock, peer_epoch)

    def _notification(self, state: ServerState) -> Notification:
        leader, zxid, peer_epoch = self.proposal
        return Notification(leader, zxid, self.logicalclock, state, self.options.myid, peer_epoch)

    def _send_notifications(self, out: Ready) -> None:
        notification = self._notification(ServerState.LOOKING)
        for sid in sorted(self.options.participants - {self.options.myid}):
            out.send(sid, notification)

    # --- while LOOKING ------------------------------------------------------------------------

    def on_notification(self, n: Notification, out: Ready) -> Decision | None:
        """Handle a notification while LOOKING (FLEHandleNotmsg)."""
        assert self.running
        participants = self.options.participants
        if n.sid not in participants:
            # An observer (or unknown server) asks: tell it what we think, tally nothing. Its
            # notification is no news about the election, so the resend timer keeps running.
            out.send(n.sid, self._notification(ServerState.LOOKING))
            return None
        self.quiet_ticks = 0
        if (
            n.state is ServerState.LOOKING
            and n.election_epoch < self.logicalclock
            and self.options.is_participant
        ):
            # Help a voter stuck in an older round (observers stay quiet: nobody counts them).
            out.send(n.sid, self._notification(ServerState.LOOKING))
        if n.leader not in participants:
            return None
        if self.finalize_left is not None:
            if not self._better(n):
                self.finalize_left = self.options.finalize_wait_ticks
                return None
            self.finalize_left = None
        if n.state is ServerState.LOOKING:
            return self._on_looking_vote(n, out)
        if n.state is ServerState.OBSERVING:
            return None
        return self._on_settled_vote(n)

    def _better(self, n: Notification) -> bool:
        return total_order_predicate((n.leader, n.zxid, n.peer_epoch), self.proposal, self._weight(n.leader))

    def _weight(self, sid: int) -> int:
        weight = getattr(self.options.quorum, "weight", None)
        return 1 if weight is None else int(weight(sid))

    def _on_looking_vote(self, n: Notification, out: Ready) -> Decision | None:
        if n.election_epoch > self.logicalclock:
            self.logicalclock = n.election_epoch
            self.recvset = {}
            offered = (n.leader, n.zxid, n.peer_epoch)
            weight = self._weight(n.leader)
            winner = offered if total_order_predicate(offered, self._init_vote, weight) else self._init_vote
            self._update_proposal(winner)
            self._send_notifications(out)
        elif n.election_epoch < self.logicalclock:
            return None
        elif self._better(n):
            self._update_proposal((n.leader, n.zxid, n.peer_epoch))
            self._send_notifications(out)
        self.recvset[n.sid] = Vote(n.leader, n.zxid, n.election_epoch, n.peer_epoch)
        leader, zxid, peer_epoch = self.proposal
        if self._has_quorum(self.recvset, Vote(leader, zxid, self.logicalclock, peer_epoch)):
            self.finalize_left = self.options.finalize_wait_ticks
        return None

    def _on_settled_vote(self, n: Notification) -> Decision | None:
        vote = Vote(n.leader, n.zxid, n.election_epoch, n.peer_epoch, n.state)
        if n.election_epoch == self.logicalclock:
            self.recvset[n.sid] = vote
            if self._has_quorum(self.recvset, vote) and self._check_leader(self.recvset, n):
                return self._decide(Vote(n.leader, n.zxid, n.election_epoch, n.peer_epoch))
        self.outofelection[n.sid] = vote
        if self._has_quorum(self.outofelection, vote) and self._check_leader(self.outofelection, n):
            self.logicalclock = n.election_epoch
            return self._decide(Vote(n.leader, n.zxid, n.election_epoch, n.peer_epoch))
        return None

    def _has_quorum(self, votes: dict[int, Vote], target: Vote) -> bool:
        agreeing = [sid for sid, vote in votes.items() if votes_agree(vote, target)]
        return self.options.quorum.contains_quorum(agreeing)

    def _check_leader(self, votes: dict[int, Vote], n: Notification) -> bool:
        """The proposed leader must itself say it leads, unless it is us (then the round must match)."""
        if n.leader != self.options.myid:
            vote = votes.get(n.leader)
            return vote is not None and vote.state is ServerState.LEADING
        return self.logicalclock == n.election_epoch

    def on_tick(self, out: Ready) -> Decision | None:
        """Finalize after a quiet finalizeWait (FLEWaitNewNotmsg), or resend with backoff
        (FLENotmsgTimeout)."""
        assert self.running
        if self.finalize_left is not None:
            self.finalize_left -= 1
            if self.finalize_left > 0:
                return None
            out.event("FLEWaitNewNotmsg", i=self.options.myid, leader=self.proposal[0])
            leader, zxid, peer_epoch = self.proposal
            return self._decide(Vote(leader, zxid, self.logicalclock, peer_epoch))
        self.quiet_ticks += 1
        if self.quiet_ticks >= self.notification_timeout:
            out.event("FLENotmsgTimeout", i=self.options.myid)
            self._send_notifications(out)
            self.quiet_ticks = 0
            self.notification_timeout = min(
                2 * self.notification_timeout, self.options.notification_interval_max_ticks
            )
        return None

    def _decide(self, vote: Vote) -> Decision:
        self.running = False
        self.finalize_left = None
        self.current_vote = vote
        self.recvset = {}
        self.outofelection = {}
        return Decision(vote)

    # --- while settled ------------------------------------------------------------------------

    def answer(self, n: Notification, state: ServerState, out: Ready) -> None:
        """A settled server tells a LOOKING server (or any non-voter) whom it follows."""
        assert not self.running
        if n.state is not ServerState.LOOKING and n.sid in self.options.participants:
            return
        vote = self.current_vote
        out.send(
            n.sid,
            Notification(
                vote.leader, vote.zxid, vote.election_epoch, state, self.options.myid, vote.peer_epoch
            ),
        )
