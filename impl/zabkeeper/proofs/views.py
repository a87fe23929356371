"""Do the quorums of different servers' views of the ensemble intersect? (``check-config``)

Each server decides with its own view: the servers, groups and weights in its own zoo.cfg or
dynamic file. If two servers' views disagree, a quorum in one view and a quorum in the other
may be disjoint, and two leaders can be elected. Over concrete views this is a finite problem:
one Boolean per server for each of two candidate sets, the two quorum rules as pseudo-Boolean
constraints (the same terms ``quorum-code`` checks against the code), and "no server in both".
z3 either shows there is no such pair (for every pair of views, including a view with itself)
or returns one, which is then shrunk to minimal quorums (z3's optimizer minimizes the two sets'
sizes) so that the counterexample is easy to read.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import z3

from zabkeeper.config import Ensemble
from zabkeeper.proofs.quorum_code import hierarchical_rule, majority_rule

# A pair of views is small (a few dozen servers at most); this bounds a pathological input.
VIEW_PAIR_TIMEOUT_MS = 20_000


@dataclass(frozen=True)
class View:
    """One server's view: a label for humans (``server 1 (zoo1.cfg)``) and its ensemble."""

    label: str
    ensemble: Ensemble


@dataclass(frozen=True)
class DisjointQuorums:
    """A quorum in ``first``'s view and a quorum in ``second``'s view that share no server."""

    first: View
    first_quorum: frozenset[int]
    second: View
    second_quorum: frozenset[int]

    def __str__(self) -> str:
        return (
            f"view of {self.first.label}: {_set(self.first_quorum)}; "
            f"view of {self.second.label}: {_set(self.second_quorum)}; they share no server"
        )


def is_quorum(ensemble: Ensemble, member: Mapping[int, z3.BoolRef]) -> z3.BoolRef:
    """``ensemble``'s quorum rule over the candidate set ``member`` (sid -> in the set)."""
    if ensemble.is_hierarchical:
        return hierarchical_rule(ensemble.groups, ensemble.weights, member)
    return majority_rule(ensemble.participants, member)


def find_disjoint_quorums(views: Sequence[View]) -> DisjointQuorums | None:
    """Two disjoint quorums from any two views (or one view twice), or None if there are none."""
    for i, first in enumerate(views):
        for second in views[i:]:
            found = _disjoint_pair(first, second)
            if found is not None:
                return found
    return None


def _disjoint_pair(first: View, second: View) -> DisjointQuorums | None:
    assert first.ensemble.participants and second.ensemble.participants
    sids = sorted(set(first.ensemble.servers) | set(second.ensemble.servers))
    a = {sid: z3.Bool(f"a_{sid}") for sid in sids}
    b = {sid: z3.Bool(f"b_{sid}") for sid in sids}
    solver = z3.Optimize()
    solver.set(timeout=VIEW_PAIR_TIMEOUT_MS)
    solver.add(is_quorum(first.ensemble, a), is_quorum(second.ensemble, b))
    solver.add([z3.Not(z3.And(a[sid], b[sid])) for sid in sids])
    solver.minimize(z3.Sum([z3.If(x, 1, 0) for x in (*a.values(), *b.values())]))
    verdict = solver.check()
    if verdict == z3.unsat:
        return None
    if verdict != z3.sat:
        raise RuntimeError(
            f"z3 could not decide {first.label} against {second.label}: {solver.reason_unknown()}"
        )
    model = solver.model()
    chosen_a = frozenset(sid for sid in sids if z3.is_true(model.eval(a[sid], model_completion=True)))
    chosen_b = frozenset(sid for sid in sids if z3.is_true(model.eval(b[sid], model_completion=True)))
    assert not chosen_a & chosen_b
    return DisjointQuorums(first, chosen_a, second, chosen_b)


def _set(sids: frozenset[int]) -> str:
    return "{" + ",".join(str(sid) for sid in sorted(sids)) + "}"
