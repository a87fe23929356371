"""Majority quorums intersect, for every ensemble size: ZooKeeper's QuorumMaj rule.

Servers are the indices 0..n-1 for an arbitrary n >= 0; ``voter`` is an arbitrary subset (the
participants; observers are the other indices); a quorum is any set holding more than half of
the voters. The counting lemma (``zabkeeper.proofs.counting``) with weight 1 on voters and 0
elsewhere states exactly this, so its three obligations, over uninterpreted ``voter``, ``q1``
and ``q2`` and a free n, prove: any two quorums share a voter. Weakening "more than half" to
"at least half" must fail, and z3 shows the two disjoint halves.
"""

from __future__ import annotations

import z3

from zabkeeper.proofs.counting import CountingInstance, Threshold, lemma_obligations, strict_majority
from zabkeeper.proofs.obligations import ProofResult, discharge

STATEMENT = (
    "for every n, every set of voters among n servers and any two sets Q1, Q2: if each holds more than "
    "half of the voters, some voter is in both (observers never count)"
)


def majority_instance(label: str, threshold: Threshold = strict_majority) -> CountingInstance:
    voter = z3.Function(f"voter_{label}", z3.IntSort(), z3.BoolSort())
    q1 = z3.Function(f"Q1_{label}", z3.IntSort(), z3.BoolSort())
    q2 = z3.Function(f"Q2_{label}", z3.IntSort(), z3.BoolSort())
    return CountingInstance(
        label=label,
        w=lambda i: z3.If(voter(i), z3.IntVal(1), z3.IntVal(0)),
        q1=lambda i: q1(i),
        q2=lambda i: q2(i),
        threshold=threshold,
    )


def prove_majority_intersection() -> ProofResult:
    return discharge("quorum-majority", STATEMENT, lemma_obligations(majority_instance("majority")))


def prove_majority_at_least_half_fails() -> ProofResult:
    """Weakened: 'at least half' is not a quorum rule; two disjoint halves exist."""
    instance = majority_instance("half", threshold=lambda part, total: 2 * part >= total)
    return discharge(
        "weakened: majority with 'at least half'",
        "as quorum-majority, but a quorum needs only half of the voters",
        lemma_obligations(instance),
    )
