"""Hierarchical quorums intersect, for any groups and weights: ZooKeeper's QuorumHierarchical.

The rule. Servers 0..n-1 carry weights w(s) >= 0; ``group(s)`` puts each server in at most one of
the groups 0..m-1 (a function, so a server is never in two groups; a server outside 0..m-1 is
in none). A group's weight W(g) is the sum of its members' weights; only groups with W(g) > 0
count. A set Q wins group g when its members of g weigh more than W(g)/2, and Q is a quorum
when it wins more than half of the counted groups.

The proof composes two instances of the counting lemma, each proved for free n, m, weights and
sets, and a final step:

* in-group, for an arbitrary group g (a free symbol, so for every g): the lemma with weights
  w_g(s) = w(s) if group(s) = g else 0. Its sums over Q are the weight of Q within g, and its
  witness is a server of g in both sets with positive weight;
* across groups: the lemma with weight 1 on counted groups (W(g) > 0) and 0 on the others, and
  the sets "groups won by Q1" and "groups won by Q2". Its witness is a counted group both win;
* composition: given the two invariants at their final indices (for every g, and at m), two
  quorums Q1, Q2 have a server in both, of positive weight: the in-group witness of the group
  both win.

Z3 discharges all seven obligations over uninterpreted functions. The group sums S1(g), S2(g),
W(g) appear as uninterpreted functions of g in the across-groups lemma and the composition;
their meaning is fixed by the in-group lemma, whose conclusion holds for the true sums of every
g. Weakened variants: allowing a negative weight, or winning a group with half of its weight.
"""

from __future__ import annotations

import z3

from zabkeeper.proofs.counting import (
    CountingInstance,
    PrefixSums,
    Threshold,
    invariant,
    lemma_obligations,
    strict_majority,
)
from zabkeeper.proofs.obligations import Obligation, ProofResult, discharge, show_int

STATEMENT = (
    "for any servers, any assignment of servers to groups (at most one each), any weights >= 0 and any "
    "two sets: if each wins more than half of the groups of positive weight, each group by more than half "
    "of its weight, then some server of positive weight is in both"
)


def _obligations(label: str, weight_min: int, group_threshold: Threshold) -> list[Obligation]:
    int_sort, bool_sort = z3.IntSort(), z3.BoolSort()
    weight = z3.Function(f"w_{label}", int_sort, int_sort)
    group = z3.Function(f"group_{label}", int_sort, int_sort)
    q1 = z3.Function(f"Q1_{label}", int_sort, bool_sort)
    q2 = z3.Function(f"Q2_{label}", int_sort, bool_sort)
    # The group-level sums, one value per group: weight of Q1, of Q2, of the whole group, and
    # the in-group auxiliaries (union, intersection, witness) at the last server.
    s1, s2, su, si, total, witness = (
        z3.Function(f"{name}_{label}", int_sort, int_sort) for name in ("S1", "S2", "SU", "SI", "W", "wit")
    )
    g = z3.Int(f"g_{label}")
    in_group = CountingInstance(
        label=f"{label} in-group",
        w=lambda s: z3.If(group(s) == g, weight(s), z3.IntVal(0)),
        q1=lambda s: q1(s),
        q2=lambda s: q2(s),
        weight_min=weight_min,
        threshold=group_threshold,
    )
    across = CountingInstance(
        label=f"{label} across groups",
        w=lambda h: z3.If(total(h) > 0, z3.IntVal(1), z3.IntVal(0)),
        q1=lambda h: group_threshold(s1(h), total(h)),
        q2=lambda h: group_threshold(s2(h), total(h)),
    )
    return [
        *(o for o in lemma_obligations(in_group) if not o.name.endswith("conclusion")),
        *(o for o in lemma_obligations(across) if not o.name.endswith("conclusion")),
        _composition(label, in_group, across, (s1, s2, su, si, total, witness), weight, q1, q2),
    ]


def _composition(
    label: str,
    in_group: CountingInstance,
    across: CountingInstance,
    sums: tuple[z3.FuncDeclRef, ...],
    weight: z3.FuncDeclRef,
    q1: z3.FuncDeclRef,
    q2: z3.FuncDeclRef,
) -> Obligation:
    s1, s2, su, si, total, witness = sums
    n, h = z3.Ints(f"n_{label} h_{label}")
    g = z3.Int(f"g_{label}")  # the in-group instance's group symbol
    # For every group h, the in-group invariant at the last server n, for the true sums of h.
    at_h = PrefixSums(n, s1(h), s2(h), su(h), si(h), total(h), witness(h))
    in_group_invariant = z3.substitute(invariant(in_group, at_h), (g, h))
    groups = PrefixSums.fresh(f"{label}_groups")
    quorum_1 = strict_majority(groups.a1, groups.total)
    quorum_2 = strict_majority(groups.a2, groups.total)
    server = z3.Int(f"s_{label}")
    claim = z3.Implies(
        z3.And(
            n >= 0,
            z3.ForAll([h], in_group_invariant),
            groups.k >= 0,
            invariant(across, groups),
            quorum_1,
            quorum_2,
        ),
        z3.Exists([server], z3.And(server >= 0, server < n, q1(server), q2(server), weight(server) > 0)),
    )

    def explain(model: z3.ModelRef) -> str:
        won = model.eval(groups.witness, model_completion=True)
        group_sums = [show_int(model, f(won)) for f in (total, s1, s2, si)]
        return (
            f"{show_int(model, groups.total)} groups of positive weight; Q1 wins {show_int(model, groups.a1)}, "
            f"Q2 wins {show_int(model, groups.a2)}, both win group {won}\n"
            "in group {}: weight {}, Q1 holds {}, Q2 holds {}, both hold {}: no common server".format(
                won, *group_sums
            )
        )

    return Obligation(f"{label}: composition", claim, explain)


def prove_hierarchical_intersection() -> ProofResult:
    obligations = _obligations("hier", weight_min=0, group_threshold=strict_majority)
    return discharge("quorum-hierarchical", STATEMENT, obligations)


def prove_hierarchical_negative_weight_fails() -> ProofResult:
    """Weakened: a negative weight lets a set outweigh half of its group without its voters."""
    obligations = _obligations("neg", weight_min=-1, group_threshold=strict_majority)
    return discharge(
        "weakened: hierarchical with a negative weight",
        "as quorum-hierarchical, but a weight may be -1",
        obligations,
    )


def prove_hierarchical_half_group_fails() -> ProofResult:
    """Weakened: winning a group with half of its weight lets two sets split a group."""
    obligations = _obligations("halfgroup", weight_min=0, group_threshold=lambda a, t: 2 * a >= t)
    return discharge(
        "weakened: hierarchical winning a group with half its weight",
        "as quorum-hierarchical, but half of a group's weight wins it",
        obligations,
    )
