"""The replayer catches bugs injected into the core (in these tests only, by monkeypatching).

Each mutant is a plausible slip in zabkeeper's core; replaying a slice of the committed corpus
must flag every one of them. Together they show the replay compares enough to fail.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pytest

from conformance.replay import ReplayResult, replay_file
from zabkeeper.core import election, leader, learner
from zabkeeper.core.leader import Leader
from zabkeeper.core.learner import Learner
from zabkeeper.core.messages import Ack, Commit, Inform, NewLeader, SyncMode
from zabkeeper.core.ready import Ready
from zabkeeper.core.sync import SyncPlan, plan_sync
from zabkeeper.core.zxid import make_zxid


def first_failure(paths: Iterable[Path]) -> ReplayResult | None:
    for path in paths:
        result = replay_file(path)
        if not result.ok:
            return result
    return None


def _epoch_before_txns(self: Learner, packet: NewLeader, out: Ready) -> None:
    """ZOOKEEPER-4643's order: currentEpoch is written before the synced txns are logged."""
    if packet.epoch != self.new_epoch:
        raise learner.LeaveLeader("wrong epoch")
    out.event("FollowerProcessNEWLEADER", i=self.myid, j=self.leader, epoch=packet.epoch)
    if self.snapshot is not None:
        self.state.install_snapshot(self.snapshot.zxid, self.snapshot.snapshot, out)
        self.snapshot = None
    self.state.adopt_epoch(packet.epoch, out)
    logged, self.pending = self.pending, []
    self.state.log_txns(logged, out)
    out.send(self.leader, Ack(make_zxid(packet.epoch, 0)))
    self._ack_current_epoch(logged, out)
    self.phase = learner.LearnerPhase.NEWLEADER_ACKED


def _commit_without_quorum(self: Leader, out: Ready) -> None:
    """Commit every outstanding proposal as soon as anyone (the leader) acked it."""
    while self.outstanding:
        zxid = next(iter(self.outstanding))
        del self.outstanding[zxid]
        txn = self.state.history.get(zxid)
        out.event("LeaderCommit", i=self.myid, zxid=zxid)
        self.state.deliver_through(zxid, out)
        for handler in self.learners.values():
            if handler.forwarding:
                out.send(handler.sid, Inform(txn) if handler.observer else Commit(zxid))


def _diff_instead_of_trunc(
    peer_last_zxid: int,
    window_base: int,
    window_last: int,
    peer_zxid_held: bool,
    floor_zxid: int,
    state_zxid: int,
) -> SyncPlan:
    """A leader that never truncates: it DIFFs where it should TRUNC."""
    plan = plan_sync(peer_last_zxid, window_base, window_last, peer_zxid_held, floor_zxid, state_zxid)
    if plan.mode is SyncMode.TRUNC:
        return SyncPlan(SyncMode.DIFF, window_last, plan.send_after)
    return plan


def _zxid_blind_vote_order(
    new: tuple[int, int, int], current: tuple[int, int, int], weight_of_new: int = 1
) -> bool:
    """Votes ordered by epoch and server id only: a server with an older history can win."""
    return weight_of_new != 0 and (new[2], new[0]) > (current[2], current[0])


MUTANTS = {
    # the learner dispatches through a table built at import, so the mutant replaces the entry
    "newleader_epoch_before_txns": (
        learner._HANDLERS,
        (learner.LearnerPhase.SYNCING, NewLeader),
        _epoch_before_txns,
    ),
    "commit_without_quorum": (Leader, "_commit_ready", _commit_without_quorum),
    "diff_instead_of_trunc": (leader, "plan_sync", _diff_instead_of_trunc),
    "vote_order_ignores_zxid": (election, "total_order_predicate", _zxid_blind_vote_order),
}


@pytest.mark.parametrize("name", sorted(MUTANTS))
def test_the_replayer_catches_the_mutant(
    name: str, corpus_files: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    target, attribute, replacement = MUTANTS[name]
    if isinstance(target, dict):
        monkeypatch.setitem(target, attribute, replacement)
    else:
        monkeypatch.setattr(target, attribute, replacement)
    failure = first_failure(corpus_files[::3])
    assert failure is not None, f"mutant {name} passed replay of the corpus"
    assert failure.verdict in ("incorrect_state", "unexpected_action", "missing_action")
    assert failure.step is not None and failure.detail


def test_without_mutants_the_same_traces_pass(corpus_files: list[Path]) -> None:
    assert first_failure(corpus_files[::24]) is None
