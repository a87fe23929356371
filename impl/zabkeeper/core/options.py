"""The static settings of one ``Peer``: who it is, who votes, and every limit, counted in ticks.

The server derives the tick counts from zoo.cfg (tickTime, initLimit, syncLimit) and its own tick
period; the simulator and conformance pick them directly. Every queue and window the core keeps
has a ``*_max`` here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from zabkeeper.core.quorum import MajorityQuorum, QuorumVerifier


@dataclass(frozen=True)
class PeerOptions:
    """Identity, membership and limits of one server."""

    myid: int
    quorum: QuorumVerifier
    observers: frozenset[int] = field(default_factory=frozenset)
    # Discovery plus sync must finish within init_limit_ticks (zoo.cfg initLimit x tickTime).
    init_limit_ticks: int = 20
    # A follower that hears nothing from its leader for sync_limit_ticks, or a leader that hears
    # no quorum within it, gives up (zoo.cfg syncLimit x tickTime).
    sync_limit_ticks: int = 10
    # The leader pings its learners this often (ZooKeeper: half a tickTime).
    ping_interval_ticks: int = 1
    # FLE: after a quorum agrees, wait this long for a better vote (finalizeWait) ...
    finalize_wait_ticks: int = 2
    # ... and resend notifications after this long without news, doubling up to the max.
    notification_interval_max_ticks: int = 64
    # A follower whose connection to the leader was refused tries again after this long.
    connect_retry_ticks: int = 2
    # Committed txns kept in memory beyond the last snapshot, for DIFF syncs (committedLog).
    committed_log_max: int = 500
    # Proposals in flight on the leader; further Propose inputs are refused until some commit.
    outstanding_proposals_max: int = 1000
    # Client syncs waiting on the leader.
    pending_syncs_max: int = 10_000

    def __post_init__(self) -> None:
        participants = self.quorum.participants
        assert self.myid in participants or self.myid in self.observers, (
            "myid must be a participant or an observer"
        )
        assert not (participants & self.observers), "an observer never takes part in elections"
        assert self.init_limit_ticks > 0 and self.sync_limit_ticks > 0
        assert 0 < self.ping_interval_ticks < self.sync_limit_ticks
        assert self.finalize_wait_ticks > 0
        assert self.notification_interval_max_ticks >= self.finalize_wait_ticks
        assert self.connect_retry_ticks > 0
        assert self.committed_log_max > 0 and self.outstanding_proposals_max > 0

    @property
    def participants(self) -> frozenset[int]:
        """Servers that run elections and follow as followers (weight zero included)."""
        return self.quorum.participants

    @property
    def voters(self) -> frozenset[int]:
        """Participants whose votes and ACKs count."""
        return self.quorum.voters

    @property
    def is_participant(self) -> bool:
        return self.myid in self.quorum.participants

    @property
    def servers(self) -> frozenset[int]:
        return self.quorum.participants | self.observers


def majority_options(myid: int, voters: set[int] | frozenset[int], **limits: int) -> PeerOptions:
    """Options for a plain majority ensemble (the common case in tests and the simulator)."""
    return PeerOptions(myid=myid, quorum=MajorityQuorum(frozenset(voters)), **limits)  # type: ignore[arg-type]
