"""z3 proofs of the facts Zab rests on, and their weakened variants that must fail.

``PROOFS`` are the claims (each must be proved); ``WEAKENED`` are the same proofs with one rule
or invariant weakened (each must be refuted, printing its counterexample), which shows that
the proofs can fail at all. ``zabkeeper prove`` runs both and prints a table; ``tests/proofs``
runs them under pytest. docs/proofs.md explains each encoding and why it is sound.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from zabkeeper.proofs.obligations import ProofResult
from zabkeeper.proofs.protocol_invariants import (
    prove_committed,
    prove_epochs,
    prove_history,
    prove_leadership,
)
from zabkeeper.proofs.protocol_sanity import prove_model_sanity
from zabkeeper.proofs.quorum_code import prove_quorum_code, prove_quorum_code_broken_fails
from zabkeeper.proofs.quorum_hierarchical import (
    prove_hierarchical_half_group_fails,
    prove_hierarchical_intersection,
    prove_hierarchical_negative_weight_fails,
)
from zabkeeper.proofs.quorum_majority import prove_majority_at_least_half_fails, prove_majority_intersection
from zabkeeper.proofs.quorum_reconfig import prove_reconfig_joint_quorums, prove_reconfig_new_only_fails
from zabkeeper.proofs.zxid import (
    prove_zxid_code,
    prove_zxid_counter_overflow_fails,
    prove_zxid_order,
    prove_zxid_wrong_shift_fails,
)


@dataclass(frozen=True)
class Proof:
    """A named proof run; a must-fail variant names the proof it ``weakens`` and the ``change``."""

    name: str
    run: Callable[[], ProofResult]
    weakens: str | None = None
    change: str = ""

    @property
    def must_hold(self) -> bool:
        return self.weakens is None

    def execute(self) -> ProofResult:
        result = self.run()
        statement = result.statement if self.must_hold else f"{self.weakens}, weakened: {self.change}"
        return replace(result, name=self.name, statement=statement)


PROOFS = (
    Proof("quorum-majority", prove_majority_intersection),
    Proof("quorum-hierarchical", prove_hierarchical_intersection),
    Proof("quorum-reconfig", prove_reconfig_joint_quorums),
    Proof("quorum-code", prove_quorum_code),
    Proof("zxid-order", prove_zxid_order),
    Proof("zxid-code", prove_zxid_code),
    Proof("zab-epochs", prove_epochs),
    Proof("zab-leadership", prove_leadership),
    Proof("zab-history", prove_history),
    Proof("zab-committed", prove_committed),
    Proof("zab-model-sanity", prove_model_sanity),
)

WEAKENED = (
    Proof(
        "majority-at-least-half",
        prove_majority_at_least_half_fails,
        "quorum-majority",
        "a quorum needs only half of the voters",
    ),
    Proof(
        "hierarchical-negative-weight",
        prove_hierarchical_negative_weight_fails,
        "quorum-hierarchical",
        "a weight may be -1",
    ),
    Proof(
        "hierarchical-half-group",
        prove_hierarchical_half_group_fails,
        "quorum-hierarchical",
        "half of a group's weight wins the group",
    ),
    Proof(
        "reconfig-new-only",
        prove_reconfig_new_only_fails,
        "quorum-reconfig",
        "a reconfiguration commits with a quorum of the new configuration alone",
    ),
    Proof(
        "quorum-code-broken",
        prove_quorum_code_broken_fails,
        "quorum-code",
        "checked against a HierarchicalQuorum where half a group's weight wins it",
    ),
    Proof(
        "zxid-counter-overflow",
        prove_zxid_counter_overflow_fails,
        "zxid-order",
        "the counter may reach 2**32 (33 bits)",
    ),
    Proof(
        "zxid-wrong-shift",
        prove_zxid_wrong_shift_fails,
        "zxid-code",
        "make_zxid replaced by (epoch << 31) | counter",
    ),
    Proof(
        "zab-accept-older-epoch",
        lambda: prove_epochs("accept-older-epoch"),
        "zab-epochs",
        "a follower accepts LEADERINFO for any epoch, even below its acceptedEpoch",
    ),
    Proof(
        "zab-accept-equal-epoch",
        lambda: prove_leadership("accept-equal-epoch"),
        "zab-leadership",
        "a follower counts an ACKEPOCH for an epoch equal to its acceptedEpoch",
    ),
    Proof(
        "zab-leadership-without-one-ack-per-epoch",
        lambda: prove_leadership(dropped="one counted ACKEPOCH per node and epoch"),
        "zab-leadership",
        "the invariant 'one counted ACKEPOCH per node and epoch' is dropped",
    ),
    Proof(
        "zab-log-out-of-order",
        lambda: prove_history("log-out-of-order"),
        "zab-history",
        "a follower logs any proposal of its leader, not the next one in the leader's order",
    ),
    Proof(
        "zab-any-initial-history",
        lambda: prove_committed("any-initial-history"),
        "zab-committed",
        "the new leader takes any quorum member's history, not the most up-to-date one",
    ),
    Proof(
        "zab-propose-in-discovery",
        lambda: prove_committed("propose-in-discovery"),
        "zab-committed",
        "a follower logs and acks proposals after accepting a newer epoch",
    ),
    Proof(
        "zab-sanity-dead-action",
        lambda: prove_model_sanity("dead-leaderinfo"),
        "zab-model-sanity",
        "FollowerProcessLEADERINFO requires an epoch below e0, so it can never fire",
    ),
)

ALL = PROOFS + WEAKENED


def as_expected(proof: Proof, result: ProofResult) -> bool:
    """A proof must hold; a weakened variant must be refuted with a counterexample (not undecided)."""
    if proof.must_hold:
        return result.holds
    return (
        not result.holds
        and result.counterexample is not None
        and "could not decide" not in result.counterexample
    )
