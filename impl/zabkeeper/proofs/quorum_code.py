"""The quorum code that runs agrees with the rule the intersection proofs are about.

``quorum-majority`` and ``quorum-hierarchical`` prove facts about the rules as sums. Here
z3 checks that ``zabkeeper.core.quorum`` decides exactly those rules on every configuration
within a bound: majority over every non-empty voter set among 5 servers; hierarchical over every
way to put up to 4 servers into groups with weights 0, 1 or 2; and in both cases every candidate
set, including a server the configuration does not know (an observer, or a server in no group).
For each configuration, the candidate set is symbolic (one Boolean per server) and z3 proves
that the rule, written as z3 sums, is equivalent to the code's answers, tabulated over all
candidate sets. A disagreement is printed with the configuration and the set.

One more obligation ties our test to ZooKeeper's own code, which asks ``got > total / 2`` with
integer division (QuorumMaj, QuorumHierarchical): for all integers got and total >= 0 that is
the same as ``2 * got > total``, the form used here and in the proofs.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable, Iterator, Mapping

import z3

from zabkeeper.core.quorum import HierarchicalQuorum, MajorityQuorum, QuorumVerifier
from zabkeeper.proofs.obligations import Obligation, ProofResult, discharge

MAJORITY_SERVERS = 5
HIERARCHICAL_SERVERS = 4
WEIGHTS = (0, 1, 2)

STATEMENT = (
    f"core.quorum decides the majority rule for every voter set among {MAJORITY_SERVERS} servers, and the "
    f"hierarchical rule for every grouping of up to {HIERARCHICAL_SERVERS} servers with weights {WEIGHTS}, on "
    "every candidate set; ZooKeeper's got > total/2 equals 2*got > total"
)

Member = Mapping[int, z3.BoolRef]


def majority_rule(voters: frozenset[int], member: Member) -> z3.BoolRef:
    present = z3.Sum([z3.If(member[s], 1, 0) for s in sorted(voters)])
    return 2 * present > len(voters)


def hierarchical_rule(
    groups: Mapping[int, frozenset[int]], weights: Mapping[int, int], member: Member
) -> z3.BoolRef:
    def group_weight(gid: int) -> int:
        return sum(weights[s] for s in groups[gid])

    counted = [gid for gid in sorted(groups) if group_weight(gid) > 0]
    won = [
        z3.If(
            2 * z3.Sum([z3.If(member[s], weights[s], 0) for s in sorted(groups[gid])]) > group_weight(gid),
            1,
            0,
        )
        for gid in counted
    ]
    return 2 * z3.Sum(won) > len(counted)


def _partitions(items: list[int]) -> Iterator[list[list[int]]]:
    if not items:
        yield []
        return
    first, rest = items[0], items[1:]
    for partition in _partitions(rest):
        yield [[first], *partition]
        for i in range(len(partition)):
            yield [*partition[:i], [first, *partition[i]], *partition[i + 1 :]]


def _configurations() -> Iterator[tuple[str, QuorumVerifier, Callable[[Member], z3.BoolRef], int]]:
    """(description, verifier built by the code, the rule as z3, number of servers to try)."""
    for size in range(1, MAJORITY_SERVERS + 1):
        for voters in itertools.combinations(range(1, MAJORITY_SERVERS + 1), size):
            v = frozenset(voters)
            yield (
                f"majority of {sorted(v)}",
                MajorityQuorum(v),
                functools.partial(majority_rule, v),
                MAJORITY_SERVERS + 1,
            )
    servers = list(range(1, HIERARCHICAL_SERVERS + 1))
    for size in range(1, HIERARCHICAL_SERVERS + 1):
        for chosen in itertools.combinations(servers, size):
            for partition in _partitions(list(chosen)):
                groups = {gid: frozenset(members) for gid, members in enumerate(partition, start=1)}
                for weight_values in itertools.product(WEIGHTS, repeat=size):
                    weights = dict(zip(chosen, weight_values, strict=True))
                    if not any(sum(weights[s] for s in m) > 0 for m in groups.values()):
                        continue  # no set is a quorum; the config layer refuses these
                    description = f"groups {sorted(map(sorted, groups.values()))} weights {weights}"
                    yield (
                        description,
                        HierarchicalQuorum(groups, weights),
                        functools.partial(hierarchical_rule, groups, weights),
                        HIERARCHICAL_SERVERS + 1,
                    )


def _agreement(make_verifier: Callable[[QuorumVerifier], QuorumVerifier]) -> Iterator[Obligation]:
    """One obligation per bounded configuration: code and rule agree on every candidate set.

    The candidate set is a bit-vector x (bit s-1 set when server s is in it); the code's answers
    for all 2**size sets are one 2**size-bit constant whose bit x says whether x is a quorum.
    """
    members: dict[int, tuple[z3.BitVecRef, dict[int, z3.BoolRef]]] = {}
    for description, verifier, rule, size in _configurations():
        if size not in members:
            x = z3.BitVec(f"candidate_{size}", size)
            members[size] = (x, {s: z3.Extract(s - 1, s - 1, x) == 1 for s in range(1, size + 1)})
        x, member = members[size]
        code = make_verifier(verifier)
        mask = 0
        for bits in range(1 << size):
            if code.contains_quorum({s for s in member if bits >> (s - 1) & 1}):
                mask |= 1 << bits
        answers = z3.BitVecVal(mask, 1 << size)
        code_says = z3.Extract(0, 0, z3.LShR(answers, z3.ZeroExt((1 << size) - size, x))) == 1

        def explain(model: z3.ModelRef, description: str = description, member: Member = member) -> str:
            chosen = [str(s) for s in member if z3.is_true(model.eval(member[s], True))]
            return f"{description}: the code and the rule disagree on {{{', '.join(chosen)}}}"

        yield Obligation(f"code agrees with the rule for {description}", rule(member) == code_says, explain)


def _integer_division() -> Obligation:
    got, total = z3.Ints("got total")
    return Obligation(
        "ZooKeeper's got > total / 2 equals 2 * got > total",
        z3.Implies(total >= 0, (got > total / 2) == (2 * got > total)),
    )


def prove_quorum_code() -> ProofResult:
    obligations = itertools.chain([_integer_division()], _agreement(lambda verifier: verifier))
    return discharge("quorum-code", STATEMENT, obligations)


class _HalfWinsGroup:
    """A deliberately broken hierarchical verifier: half of a group's weight wins it."""

    def __init__(self, inner: HierarchicalQuorum) -> None:
        self.inner = inner

    @property
    def participants(self) -> frozenset[int]:
        return self.inner.participants

    @property
    def voters(self) -> frozenset[int]:
        return self.inner.voters

    def contains_quorum(self, sids: object) -> bool:
        present = set(sids)  # type: ignore[call-overload]
        counted = [gid for gid in self.inner.groups if self.inner.group_weight(gid) > 0]
        won = sum(
            1
            for gid in counted
            if 2 * sum(self.inner.weight(s) for s in self.inner.groups[gid] & present)
            >= self.inner.group_weight(gid)
        )
        return 2 * won > len(counted)


def prove_quorum_code_broken_fails() -> ProofResult:
    """Weakened: the same check against a verifier that lets half a group's weight win it."""

    def broken(verifier: QuorumVerifier) -> QuorumVerifier:
        return _HalfWinsGroup(verifier) if isinstance(verifier, HierarchicalQuorum) else verifier

    return discharge(
        "weakened: quorum code where half a group's weight wins it",
        "as quorum-code, against a broken HierarchicalQuorum",
        _agreement(broken),
    )
