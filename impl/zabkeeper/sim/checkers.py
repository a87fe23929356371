"""Safety checkers that watch a simulated ensemble from outside, named after the spec's invariants.

They keep ghost state no server has: ``committed`` (every txn any server ever delivered, in
order: the one history all servers must agree on), the txns leaders proposed, the leaders
established per epoch, and the writes acknowledged to clients. The cluster calls them at every
point where a server changes what it has promised, and after every step.

* Leadership: at most one established leader per epoch.
* PrefixConsistency / Agreement / TotalOrder: every server delivers a prefix of ``committed``
  (checked txn by txn, and whole on snapshot installs).
* Integrity: every delivered txn was proposed by some leader, with that payload.
* PrimaryIntegrity: a leader, once established, has delivered everything delivered before.
* LeaderLogCompleteness: a leader past discovery, in the newest epoch, holds every committed txn.
* CommittedLogDurability: no truncation removes a committed txn from any log.
* ZxidMonotonic: epochs never decrease, across restarts too; proposals get increasing zxids.
* AcknowledgedWritesDurable: every write acknowledged to a client stays in ``committed``, and a
  client ``sync`` sees every write acknowledged before it was issued.
"""

from __future__ import annotations

from dataclasses import dataclass

from zabkeeper.core.messages import Txn, ZabState
from zabkeeper.core.peer import Peer
from zabkeeper.core.zxid import epoch_of, zxid_str


class InvariantViolation(Exception):
    """A checker failed; ``invariant`` is the spec's name for what broke."""

    def __init__(self, invariant: str, detail: str) -> None:
        super().__init__(f"{invariant}: {detail}")
        self.invariant = invariant
        self.detail = detail


@dataclass
class Ghost:
    """State kept outside the servers."""

    committed: list[Txn]
    committed_zxids: set[int]
    proposed: dict[int, bytes]
    epoch_leaders: dict[int, set[int]]
    acknowledged_max: int
    last_proposed: int


class Checkers:
    """All checkers of one simulated run."""

    def __init__(self) -> None:
        self.ghost = Ghost(
            committed=[],
            committed_zxids=set(),
            proposed={},
            epoch_leaders={},
            acknowledged_max=0,
            last_proposed=0,
        )
        self.checks = 0

    @property
    def committed_last_zxid(self) -> int:
        committed = self.ghost.committed
        return committed[-1].zxid if committed else 0

    # --- leaders --------------------------------------------------------------------------------

    def on_established(self, sid: int, epoch: int, peer: Peer) -> None:
        leaders = self.ghost.epoch_leaders.setdefault(epoch, set())
        leaders.add(sid)
        if len(leaders) > 1:
            raise InvariantViolation("Leadership", f"epoch {epoch} has established leaders {sorted(leaders)}")
        if peer.state.last_committed < self.committed_last_zxid:
            raise InvariantViolation(
                "PrimaryIntegrity",
                f"leader {sid} of epoch {epoch} delivered up to {zxid_str(peer.state.last_committed)} "
                f"but {zxid_str(self.committed_last_zxid)} was delivered before",
            )

    def on_proposed(self, sid: int, txn: Txn) -> None:
        if txn.zxid in self.ghost.proposed and self.ghost.proposed[txn.zxid] != txn.data:
            raise InvariantViolation(
                "Leadership", f"two proposals with zxid {zxid_str(txn.zxid)} (leader {sid})"
            )
        if epoch_of(txn.zxid) == epoch_of(self.ghost.last_proposed) and txn.zxid <= self.ghost.last_proposed:
            raise InvariantViolation("ZxidMonotonic", f"leader {sid} proposed {zxid_str(txn.zxid)} again")
        self.ghost.proposed[txn.zxid] = txn.data
        self.ghost.last_proposed = max(self.ghost.last_proposed, txn.zxid)

    # --- deliveries -----------------------------------------------------------------------------

    def on_delivered(self, sid: int, position: int, txn: Txn) -> None:
        """Server ``sid`` applied ``txn`` as the ``position``-th txn of its history."""
        self.checks += 1
        if self.ghost.proposed.get(txn.zxid) != txn.data:
            raise InvariantViolation("Integrity", f"server {sid} delivered {txn} that no leader proposed")
        committed = self.ghost.committed
        if position < len(committed):
            if committed[position] != txn:
                raise InvariantViolation(
                    "PrefixConsistency",
                    f"server {sid} delivered {txn} at position {position}, others delivered {committed[position]}",
                )
        elif position == len(committed):
            committed.append(txn)
            self.ghost.committed_zxids.add(txn.zxid)
        else:  # pragma: no cover - the state machine applies in order
            raise AssertionError("delivery skipped positions")

    def on_installed(self, sid: int, txns: tuple[Txn, ...]) -> None:
        committed = self.ghost.committed
        prefix = committed[: len(txns)]
        if list(txns[: len(prefix)]) != prefix:
            raise InvariantViolation("PrefixConsistency", f"server {sid} installed a snapshot that diverges")
        for position in range(len(prefix), len(txns)):
            self.on_delivered(sid, position, txns[position])

    def on_truncated(self, sid: int, zxid: int, dropped: list[Txn]) -> None:
        """A TRUNC on ``sid`` removed ``dropped`` from its log."""
        committed_zxids = self._committed_zxids(dropped)
        if committed_zxids:
            raise InvariantViolation(
                "CommittedLogDurability",
                f"server {sid} truncated to {zxid_str(zxid)}, dropping committed {zxid_str(committed_zxids[0])}",
            )

    def _committed_zxids(self, txns: list[Txn]) -> list[int]:
        return [txn.zxid for txn in txns if txn.zxid in self.ghost.committed_zxids]

    # --- per step -------------------------------------------------------------------------------

    def check_leader(self, sid: int, peer: Peer) -> None:
        """LeaderLogCompleteness for a leader that finished discovery in the newest epoch.

        A leader of an older epoch than one already established is stale: it can never gather a
        quorum again, and PrimaryIntegrity would catch it if it did.
        """
        if peer.zab_state not in (ZabState.SYNCHRONIZATION, ZabState.BROADCAST):
            return
        newest = max(self.ghost.epoch_leaders, default=0)
        if peer.state.current_epoch < newest:
            return
        last = self.committed_last_zxid
        history = peer.state.history
        if last <= history.base_zxid:
            return
        if not history.contains(last):
            raise InvariantViolation(
                "LeaderLogCompleteness",
                f"leader {sid} ({peer.zab_state.value}) lacks committed {zxid_str(last)}; "
                f"its history ends at {zxid_str(history.last_zxid)}",
            )

    def on_restart(self, sid: int, before: tuple[int, int], after: tuple[int, int]) -> None:
        if after[0] < before[0] or after[1] < before[1]:
            raise InvariantViolation(
                "ZxidMonotonic", f"server {sid} epochs went from {before} to {after} across a restart"
            )

    # --- clients --------------------------------------------------------------------------------

    def on_acknowledged(self, txn: Txn) -> None:
        self.ghost.acknowledged_max = max(self.ghost.acknowledged_max, txn.zxid)

    def check_sync(self, sid: int, seen_zxid: int, required_zxid: int) -> None:
        if seen_zxid < required_zxid:
            raise InvariantViolation(
                "AcknowledgedWritesDurable",
                f"server {sid} answered a sync at {zxid_str(seen_zxid)} but {zxid_str(required_zxid)} "
                "was acknowledged before the sync was issued",
            )

    def check_final(self, sid: int, peer: Peer) -> None:
        """At the end of a run the established leader holds every acknowledged write."""
        if peer.state.last_committed < self.ghost.acknowledged_max:
            raise InvariantViolation(
                "AcknowledgedWritesDurable",
                f"final leader {sid} delivered up to {zxid_str(peer.state.last_committed)}, "
                f"but {zxid_str(self.ghost.acknowledged_max)} was acknowledged",
            )
