"""Reconfiguration: a joint quorum (of the old and of the new configuration) meets every quorum.

While ZooKeeper moves from one configuration to the next, the leader commits the change with
acks from a quorum of the old and a quorum of the new configuration. The proof is about any two
quorum systems, whatever their rules (majority, hierarchical, or one of each), given only that
each system's quorums meet in one of its voters, which ``quorum-majority`` and
``quorum-hierarchical`` prove for ZooKeeper's two rules.

Encoding (as in the Ivy/mypyvy Paxos proofs): uninterpreted sorts Server and Quorum, a relation
member(s, q), and for each configuration c a predicate is_quorum_c(q) and voter_c(s) with the
intersection axiom forall q1 q2. is_quorum_c(q1) & is_quorum_c(q2) -> exists s. voter_c(s) &
member(s, q1) & member(s, q2). This is decidable (EPR): z3 either proves the claim or returns a
finite model. Claims: a joint quorum meets every old quorum in an old voter, every new quorum in
a new voter, and every other joint quorum. Weakened: committing with a quorum of the new
configuration alone, which z3 refutes with two disjoint sets.
"""

from __future__ import annotations

import functools

import z3

from zabkeeper.proofs.obligations import Obligation, ProofResult, discharge

STATEMENT = (
    "for any two quorum systems whose quorums intersect in voters: a set that is a quorum of both meets "
    "every quorum of either (in a voter of that configuration) and every other such set"
)

_SERVER = z3.DeclareSort("Server")
_QUORUM = z3.DeclareSort("Quorum")


class _Systems:
    """The symbols of an old and a new configuration over shared servers."""

    def __init__(self, label: str) -> None:
        self.member = z3.Function(f"member_{label}", _SERVER, _QUORUM, z3.BoolSort())
        self.is_quorum = {
            c: z3.Function(f"is_quorum_{c}_{label}", _QUORUM, z3.BoolSort()) for c in ("old", "new")
        }
        self.voter = {c: z3.Function(f"voter_{c}_{label}", _SERVER, z3.BoolSort()) for c in ("old", "new")}

    def meet(self, c: str, q1: z3.ExprRef, q2: z3.ExprRef) -> z3.BoolRef:
        s = z3.Const("s", _SERVER)
        return z3.Exists([s], z3.And(self.voter[c](s), self.member(s, q1), self.member(s, q2)))

    def axioms(self) -> list[z3.BoolRef]:
        q1, q2 = z3.Consts("q1 q2", _QUORUM)
        return [
            z3.ForAll(
                [q1, q2],
                z3.Implies(z3.And(self.is_quorum[c](q1), self.is_quorum[c](q2)), self.meet(c, q1, q2)),
            )
            for c in ("old", "new")
        ]

    def explain(self, model: z3.ModelRef, sets: dict[str, z3.ExprRef]) -> str:
        servers = model.get_universe(_SERVER) or []
        names = {str(s): f"s{i}" for i, s in enumerate(servers)}
        lines = []
        for c in ("old", "new"):
            voters = [names[str(s)] for s in servers if z3.is_true(model.eval(self.voter[c](s), True))]
            lines.append(f"{c} configuration voters: {{{', '.join(voters)}}}")
        for label, q in sets.items():
            members = [names[str(s)] for s in servers if z3.is_true(model.eval(self.member(s, q), True))]
            lines.append(f"{label}: {{{', '.join(members)}}}")
        lines.append("they share no voter")
        return "\n".join(lines)


def _obligations(label: str, joint_rule: str) -> tuple[list[z3.BoolRef], list[Obligation]]:
    systems = _Systems(label)
    joint, other = z3.Consts(f"joint_{label} other_{label}", _QUORUM)

    def is_joint(q: z3.ExprRef) -> z3.BoolRef:
        if joint_rule == "new only":
            return systems.is_quorum["new"](q)
        return z3.And(systems.is_quorum["old"](q), systems.is_quorum["new"](q))

    obligations = []
    for c in ("old", "new"):
        claim = z3.Implies(
            z3.And(is_joint(joint), systems.is_quorum[c](other)), systems.meet(c, joint, other)
        )
        obligations.append(
            Obligation(
                f"{label}: joint quorum meets every {c} quorum",
                claim,
                functools.partial(
                    systems.explain, sets={"commit set": joint, f"a quorum of the {c} configuration": other}
                ),
            )
        )
    joint_meets_joint = z3.Implies(
        z3.And(is_joint(joint), is_joint(other)),
        z3.Or(systems.meet("old", joint, other), systems.meet("new", joint, other)),
    )
    obligations.append(Obligation(f"{label}: joint quorums meet each other", joint_meets_joint))
    return systems.axioms(), obligations


def prove_reconfig_joint_quorums() -> ProofResult:
    axioms, obligations = _obligations("joint", "old and new")
    return discharge("quorum-reconfig", STATEMENT, obligations, axioms)


def prove_reconfig_new_only_fails() -> ProofResult:
    """Weakened: committing a reconfiguration with a quorum of the new configuration only."""
    axioms, obligations = _obligations("newonly", "new only")
    return discharge(
        "weakened: reconfig committed by the new configuration alone",
        "as quorum-reconfig, but the commit set need only be a quorum of the new configuration",
        obligations,
        axioms,
    )
