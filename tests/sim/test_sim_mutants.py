"""The checkers can fail: three deliberate bugs, injected into the core in this test only, must
each be caught within the CI seed budget.

* ACK before the log is synced (a follower acknowledges a proposal it has not fsynced);
* a vote order that ignores the epoch (FLE compares only the zxid counter and the sid): the
  elected server may lack committed txns; the leader's ACKEPOCH check ("a learner is more recent
  than the leader") then makes it abdicate, the same server wins again, and the ensemble livelocks:
  the liveness phase catches it, unless a checker of safety does first;
* committing on fewer than a quorum of ACKs (the leader commits on its own ACK).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest

from zabkeeper.core import election as election_module
from zabkeeper.core.leader import Leader
from zabkeeper.core.learner import _HANDLERS, Learner, LearnerPhase
from zabkeeper.core.messages import Ack, Proposal
from zabkeeper.core.ready import Ready
from zabkeeper.core.zxid import counter_of
from zabkeeper.sim.swarm import SimResult, run_seed

SEED_BUDGET = 500


@contextmanager
def ack_before_sync() -> Iterator[None]:
    original = _HANDLERS[(LearnerPhase.BROADCAST, Proposal)]

    def buggy(self: Learner, packet: Proposal, out: Ready) -> None:
        out.event("FollowerProcessPROPOSAL", i=self.myid, j=self.leader, zxid=packet.txn.zxid)
        self.state.log_txns([packet.txn], out, sync=False)
        out.send(self.leader, Ack(packet.txn.zxid))

    _HANDLERS[(LearnerPhase.BROADCAST, Proposal)] = buggy
    try:
        yield
    finally:
        _HANDLERS[(LearnerPhase.BROADCAST, Proposal)] = original


@contextmanager
def vote_order_ignores_epoch() -> Iterator[None]:
    original = election_module.total_order_predicate

    def buggy(new: tuple[int, int, int], current: tuple[int, int, int], weight_of_new: int = 1) -> bool:
        return (counter_of(max(new[1], 0)), new[0]) > (counter_of(max(current[1], 0)), current[0])

    election_module.total_order_predicate = buggy
    try:
        yield
    finally:
        election_module.total_order_predicate = original


@contextmanager
def commit_on_minority() -> Iterator[None]:
    original = Leader._is_quorum

    def buggy(self: Leader, sids: set[int]) -> bool:
        # Discovery and establishment keep the real rule; a proposal's ack set does not.
        if self.established and sids and self.myid in sids:
            return True
        return original(self, sids)

    Leader._is_quorum = buggy  # type: ignore[method-assign]
    try:
        yield
    finally:
        Leader._is_quorum = original  # type: ignore[method-assign]


def first_violation(mutant: Callable[[], contextmanager[None]]) -> SimResult | None:  # type: ignore[type-arg]
    with mutant():
        for seed in range(SEED_BUDGET):
            result = run_seed(seed)
            if not result.ok:
                return result
    return None


@pytest.mark.parametrize(
    ("mutant", "expected"),
    [
        (
            ack_before_sync,
            {"LeaderLogCompleteness", "PrimaryIntegrity", "CommittedLogDurability", "CoreAssertion"},
        ),
        (
            vote_order_ignores_epoch,
            {"Liveness", "LeaderLogCompleteness", "PrimaryIntegrity", "PrefixConsistency"},
        ),
        (
            commit_on_minority,
            {
                "LeaderLogCompleteness",
                "PrimaryIntegrity",
                "CommittedLogDurability",
                "CoreAssertion",
                "PrefixConsistency",
            },
        ),
    ],
)
def test_mutant_is_caught(mutant: Callable[[], contextmanager[None]], expected: set[str]) -> None:  # type: ignore[type-arg]
    result = first_violation(mutant)
    assert result is not None, f"{mutant.__name__} survived {SEED_BUDGET} seeds"
    assert result.violation in expected, (result.violation, result.detail)
    print(f"{mutant.__name__}: caught at seed {result.seed} by {result.violation}: {result.detail}")


def test_unmutated_core_passes_the_same_seeds_the_mutants_fail() -> None:
    for mutant in (ack_before_sync, vote_order_ignores_epoch, commit_on_minority):
        result = first_violation(mutant)
        assert result is not None
        assert run_seed(result.seed).ok, f"seed {result.seed} fails without {mutant.__name__}"
