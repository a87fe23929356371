"""The counting lemma behind every quorum-intersection proof, proved by induction in z3.

Lemma (weighted pigeonhole). Take any n >= 0, any weights w(0..n-1) >= 0 and any two sets
Q1, Q2 of indices below n. Write a1 = sum of w over Q1, a2 over Q2, and t = sum of all w.
If 2*a1 > t and 2*a2 > t, some index i < n is in both Q1 and Q2 and has w(i) > 0.

z3 cannot count the members of a set, so the sums are defined the way they are computed: by
their recurrence over a prefix of the indices, a(0) = 0 and a(k+1) = a(k) + (w(k) if k in Q else
0). The lemma follows from an invariant P(k) of the prefix sums, proved by induction on k:

    P(k):  a1 + a2 = au + ai,  0 <= ai <= a1, a2 <= au <= t,  ai > 0 -> witness(k) is valid

where au sums over Q1 union Q2, ai over Q1 intersect Q2, and witness(k) is an index below k in
both sets with positive weight (the step names the new witness: k itself when it qualifies,
else the old one). z3 checks three obligations, each over free symbols, so each holds for all
n, all weights and all sets: P(0) (base), P(k) -> P(k+1) (step, given w(k) >= 0; a weakened variant lowers this bound), and
P(n) /\\ t > 0 /\\ 2*a1 > t /\\ 2*a2 > t -> witness(n) is valid (conclusion; t > 0 because a
quorum system has some weight, which both rules assert, and 2*a1 > t already implies it). By induction on the
natural numbers, P holds at every n, so the conclusion applies to the true sums.

``w``, ``q1`` and ``q2`` are passed in as Python callables building z3 terms, so the same
obligations can be stated for uninterpreted functions (the general lemma) or for a specific
instance (unit weights on a voter set: majority; weights restricted to one group:
hierarchical). Weakened variants (a non-strict threshold, weights allowed to be negative) are
the same obligations with one hypothesis changed; z3 then prints the failing step.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import z3

from zabkeeper.proofs.obligations import Obligation, show_bool, show_int

IntTerm = Callable[[z3.ArithRef], z3.ArithRef]
BoolTerm = Callable[[z3.ArithRef], z3.BoolRef]
Threshold = Callable[[z3.ArithRef, z3.ArithRef], z3.BoolRef]


def strict_majority(part: z3.ArithRef, total: z3.ArithRef) -> z3.BoolRef:
    """The quorum threshold of both ZooKeeper rules: more than half."""
    return 2 * part > total


@dataclass(frozen=True)
class PrefixSums:
    """The values of the five prefix sums and the witness after the first k indices."""

    k: z3.ArithRef
    a1: z3.ArithRef
    a2: z3.ArithRef
    au: z3.ArithRef
    ai: z3.ArithRef
    total: z3.ArithRef
    witness: z3.ArithRef

    @staticmethod
    def fresh(tag: str) -> PrefixSums:
        names = ("k", "a1", "a2", "au", "ai", "total", "witness")
        k, a1, a2, au, ai, total, witness = (z3.Int(f"{name}[{tag}]") for name in names)
        return PrefixSums(k, a1, a2, au, ai, total, witness)


@dataclass(frozen=True)
class CountingInstance:
    """The weights and the two sets the lemma is stated for, and what the weights assume."""

    label: str
    w: IntTerm
    q1: BoolTerm
    q2: BoolTerm
    weight_min: int = 0
    threshold: Threshold = strict_majority


def invariant(inst: CountingInstance, s: PrefixSums) -> z3.BoolRef:
    """P(k) for the prefix sums ``s``."""
    i = s.witness
    valid_witness = z3.And(i >= 0, i < s.k, inst.q1(i), inst.q2(i), inst.w(i) > 0)
    return z3.And(
        s.a1 + s.a2 == s.au + s.ai,
        s.ai >= 0,
        s.ai <= s.a1,
        s.ai <= s.a2,
        s.a1 <= s.au,
        s.a2 <= s.au,
        s.au <= s.total,
        z3.Implies(s.ai > 0, valid_witness),
    )


def successor(inst: CountingInstance, s: PrefixSums) -> PrefixSums:
    """The prefix sums after index k, by the sums' defining recurrence."""
    k = s.k
    w = inst.w(k)
    in1, in2 = inst.q1(k), inst.q2(k)
    both = z3.And(in1, in2)
    return PrefixSums(
        k=k + 1,
        a1=s.a1 + z3.If(in1, w, 0),
        a2=s.a2 + z3.If(in2, w, 0),
        au=s.au + z3.If(z3.Or(in1, in2), w, 0),
        ai=s.ai + z3.If(both, w, 0),
        total=s.total + w,
        witness=z3.If(z3.And(both, w > 0), k, s.witness),
    )


def lemma_obligations(inst: CountingInstance) -> list[Obligation]:
    """Base, step and conclusion of the counting lemma for ``inst``."""
    zero = PrefixSums.fresh(f"{inst.label}_0")
    base_values = z3.And(zero.k == 0, zero.a1 == 0, zero.a2 == 0, zero.au == 0, zero.ai == 0, zero.total == 0)
    now = PrefixSums.fresh(f"{inst.label}_k")
    step_hypotheses = [now.k >= 0, invariant(inst, now)]
    step_hypotheses.append(inst.w(now.k) >= inst.weight_min)
    end = PrefixSums.fresh(f"{inst.label}_n")
    quorums = z3.And(inst.threshold(end.a1, end.total), inst.threshold(end.a2, end.total))
    i = end.witness
    meet = z3.And(i >= 0, i < end.k, inst.q1(i), inst.q2(i), inst.w(i) > 0)
    return [
        Obligation(f"{inst.label}: base P(0)", z3.Implies(base_values, invariant(inst, zero))),
        Obligation(
            f"{inst.label}: step P(k) -> P(k+1)",
            z3.Implies(z3.And(*step_hypotheses), invariant(inst, successor(inst, now))),
            explain=lambda model: explain_step(model, inst, now),
        ),
        Obligation(
            f"{inst.label}: conclusion",
            z3.Implies(z3.And(end.k >= 0, end.total > 0, invariant(inst, end), quorums), meet),
            explain=lambda model: explain_sums(model, end),
        ),
    ]


def explain_step(model: z3.ModelRef, inst: CountingInstance, s: PrefixSums) -> str:
    k = show_int(model, s.k)
    after = successor(inst, s)
    return (
        f"after index {k}: {_sums(model, s)}\n"
        f"index {k} has weight {show_int(model, inst.w(s.k))}, in Q1: {show_bool(model, inst.q1(s.k))}, "
        f"in Q2: {show_bool(model, inst.q2(s.k))}\n"
        f"after index {k + 1}: {_sums(model, after)}  (the invariant no longer holds)"
    )


def explain_sums(model: z3.ModelRef, s: PrefixSums) -> str:
    return f"sums over all servers: {_sums(model, s)}; so no server is in both sets with positive weight"


def _sums(model: z3.ModelRef, s: PrefixSums) -> str:
    values = [show_int(model, term) for term in (s.total, s.a1, s.a2, s.au, s.ai)]
    return "total={} |Q1|={} |Q2|={} |Q1 or Q2|={} |Q1 and Q2|={}".format(*values)
