"""Zab's safety properties as inductive invariants of ``protocol_model``, in four proofs.

Each proof adds invariants to those of the proofs before it and checks, with z3, Init -> Inv
and Inv /\\ Next -> Inv' for the invariants it adds, assuming all invariants so far (sound:
if A is inductive and A /\\ B /\\ Next -> B', then A /\\ B is inductive):

1. zab-epochs: currentEpoch <= acceptedEpoch; as step properties, neither ever decreases.
2. zab-leadership: at most one established leader per epoch. Support: a node sends at most one
   counted ACKEPOCH per epoch (it needs e > acceptedEpoch and then sets acceptedEpoch = e), and
   an established leader has a quorum of them; two quorums share a node.
3. zab-history: every append to a history (a follower logging a proposal, a leader proposing)
   is above every zxid already there, so the zxids of each history strictly increase. Support:
   a follower's history is a prefix (in zxid order) of its leader's; histories hold zxids of
   epochs between e0 (exclusive) and currentEpoch; a node in epoch e > e0 has a leader of e.
4. zab-committed: a txn committed in epoch e is in the history of every leader of any epoch
   >= e. Support, in the shape of Paxos's "choosable" invariant: if a leader of e' > e lacks z,
   then every quorum has a node that did not ack z in e and has moved past e (so z can never be
   committed in e); ACKEPOCH reports carry what was acked (their currentEpoch is at least e, and
   their history holds z when it is e); reported and current histories contain the initial
   history of the leader of their epoch.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence

import z3

from zabkeeper.proofs.obligations import Obligation, ProofResult, discharge
from zabkeeper.proofs.protocol_model import zab_system
from zabkeeper.proofs.protocol_sorts import (
    QUORUM,
    e0,
    epoch_of,
    epochs,
    le_epoch,
    lt_epoch,
    lt_zxid,
    member,
    nodes,
    quorums,
    zxids,
)
from zabkeeper.proofs.transition import Invariant, State, obligations

n, m, leader, other = nodes("n", "m", "L", "L2")
e, e2, c, c2 = epochs("e", "e2", "c", "c2")
z, z2 = zxids("z", "z2")
(q,) = quorums("q")
ForAll, Exists, Implies, And, Or, Not = z3.ForAll, z3.Exists, z3.Implies, z3.And, z3.Or, z3.Not


def _inv(name: str, variables: Sequence[z3.ExprRef], body: Callable[[State], z3.BoolRef]) -> Invariant:
    return Invariant(name, tuple(variables), body)


EPOCHS = (_inv("currentEpoch <= acceptedEpoch", [n], lambda s: le_epoch(s.current(n), s.accepted(n))),)

LEADERSHIP = (
    _inv(
        "one counted ACKEPOCH per node and epoch",
        [n, leader, other, e, c, c2],
        lambda s: Implies(
            And(s.ackepoch(n, leader, e, c), s.ackepoch(n, other, e, c2)), And(leader == other, c == c2)
        ),
    ),
    _inv(
        "ACKEPOCH for e means acceptedEpoch >= e > reported currentEpoch",
        [n, leader, e, c],
        lambda s: Implies(
            s.ackepoch(n, leader, e, c), And(le_epoch(e, s.accepted(n)), lt_epoch(c, e), le_epoch(e0, c))
        ),
    ),
    _inv(
        "an established leader has a quorum of ACKEPOCHs",
        [leader, e],
        lambda s: Implies(
            s.leader(leader, e),
            Exists([q], ForAll([n], Implies(member(n, q), Exists([c], s.ackepoch(n, leader, e, c))))),
        ),
    ),
    _inv(
        "Leadership: one established leader per epoch",
        [leader, other, e],
        lambda s: Implies(And(s.leader(leader, e), s.leader(other, e)), leader == other),
    ),
)

HISTORY = (
    _inv(
        "leaders lead epochs above e0", [leader, e], lambda s: Implies(s.leader(leader, e), lt_epoch(e0, e))
    ),
    _inv(
        "histories hold zxids of epochs in (e0, currentEpoch]",
        [n, z],
        lambda s: Implies(
            s.history(n, z), And(lt_epoch(e0, epoch_of(z)), le_epoch(epoch_of(z), s.current(n)))
        ),
    ),
    _inv(
        "reported histories hold zxids of epochs in (e0, reported currentEpoch]",
        [n, leader, e, c, z],
        lambda s: Implies(
            And(s.ackepoch(n, leader, e, c), s.ackepoch_history(n, e, z)),
            And(lt_epoch(e0, epoch_of(z)), le_epoch(epoch_of(z), c)),
        ),
    ),
    _inv(
        "leader histories hold zxids of epochs in (e0, e]",
        [leader, e, z],
        lambda s: Implies(
            s.leader_history(leader, e, z),
            And(s.leader(leader, e), lt_epoch(e0, epoch_of(z)), le_epoch(epoch_of(z), e)),
        ),
    ),
    _inv(
        "a node in epoch e > e0 has a leader of e",
        [n],
        lambda s: Or(s.current(n) == e0, Exists([leader], s.leader(leader, s.current(n)))),
    ),
    _inv(
        "a node's history is within its leader's",
        [n, leader, z],
        lambda s: Implies(
            And(s.leader(leader, s.current(n)), s.history(n, z)), s.leader_history(leader, s.current(n), z)
        ),
    ),
    _inv(
        "a node's history is a prefix of its leader's",
        [n, leader, z, z2],
        lambda s: Implies(
            And(
                s.leader(leader, s.current(n)),
                s.leader_history(leader, s.current(n), z),
                s.history(n, z2),
                lt_zxid(z, z2),
            ),
            s.history(n, z),
        ),
    ),
)

COMMITTED = (
    _inv(
        "a node's history holds its leader's initial history",
        [n, leader, z],
        lambda s: Implies(
            And(
                s.leader(leader, s.current(n)),
                s.leader_history(leader, s.current(n), z),
                lt_epoch(epoch_of(z), s.current(n)),
            ),
            s.history(n, z),
        ),
    ),
    _inv(
        "a reported currentEpoch above e0 has a leader",
        [n, leader, e, c],
        lambda s: Implies(s.ackepoch(n, leader, e, c), Or(c == e0, Exists([other], s.leader(other, c)))),
    ),
    _inv(
        "a reported history is a prefix of its leader's, holding its initial history",
        [n, leader, e, c, other, z, z2],
        lambda s: Implies(
            And(s.ackepoch(n, leader, e, c), s.leader(other, c)),
            And(
                Implies(s.ackepoch_history(n, e, z), s.leader_history(other, c, z)),
                Implies(
                    And(s.leader_history(other, c, z), s.ackepoch_history(n, e, z2), lt_zxid(z, z2)),
                    s.ackepoch_history(n, e, z),
                ),
                Implies(
                    And(s.leader_history(other, c, z), lt_epoch(epoch_of(z), c)), s.ackepoch_history(n, e, z)
                ),
            ),
        ),
    ),
    _inv(
        "acks in e come from nodes in epoch >= e, of txns the leader of e has",
        [n, z, e],
        lambda s: Implies(
            s.acked(n, z, e),
            And(
                le_epoch(e, s.current(n)),
                lt_epoch(e0, e),
                le_epoch(epoch_of(z), e),
                Implies(s.current(n) == e, s.history(n, z)),
                Exists([leader], And(s.leader(leader, e), s.leader_history(leader, e, z))),
                ForAll([leader], Implies(s.leader(leader, e), s.leader_history(leader, e, z))),
            ),
        ),
    ),
    _inv(
        "an ACKEPOCH for e' reports what its sender acked in earlier epochs",
        [m, z, e2, leader, e, c],
        lambda s: Implies(
            And(s.acked(m, z, e2), s.ackepoch(m, leader, e, c), lt_epoch(e2, e)),
            And(le_epoch(e2, c), Implies(c == e2, s.ackepoch_history(m, e, z))),
        ),
    ),
    _inv(
        "choosable: if a leader of e' > e lacks z, z can never be committed in e",
        [leader, e2, z, e, q],
        lambda s: Implies(
            And(s.leader(leader, e2), lt_epoch(e, e2), Not(s.leader_history(leader, e2, z))),
            Exists([n], And(member(n, q), Not(s.acked(n, z, e)), lt_epoch(e, s.accepted(n)))),
        ),
    ),
    _inv(
        "a commit in e has a quorum of acks in e and is in the leader's history",
        [z, e],
        lambda s: Implies(
            s.committed(z, e),
            And(
                Exists([q], ForAll([n], Implies(member(n, q), s.acked(n, z, e)))),
                ForAll([leader], Implies(s.leader(leader, e), s.leader_history(leader, e, z))),
            ),
        ),
    ),
)

SAFETY = _inv(
    "committed txns are in every later leader's history",
    [z, e, leader, e2],
    lambda s: Implies(
        And(s.committed(z, e), s.leader(leader, e2), le_epoch(e, e2)), s.leader_history(leader, e2, z)
    ),
)


def _safety_follows(invariants: Sequence[Invariant]) -> Obligation:
    """Inv -> SAFETY in every state. The commit quorum is named by a fresh constant (it exists by
    the commit invariant, so assuming it for a fresh name is existential elimination) and the
    choosable invariant is instantiated with it."""
    state = zab_system().pre_state()
    claim, (z_, e_, leader_, e2_) = SAFETY.instance(state, "safety")
    commit_quorum = z3.Const("commit_quorum", QUORUM)
    acked_by_quorum = ForAll([n], Implies(member(n, commit_quorum), state.acked(n, z_, e_)))
    choosable = next(inv for inv in invariants if inv.name.startswith("choosable"))
    instance = z3.substitute(
        choosable.body(state), (leader, leader_), (e2, e2_), (z, z_), (e, e_), (q, commit_quorum)
    )
    assumed = And([inv.formula(state) for inv in invariants])
    return Obligation(
        f"Inv -> {SAFETY.name}",
        Implies(And(assumed, state.committed(z_, e_), acked_by_quorum, instance), claim),
    )


def _prove(
    name: str,
    statement: str,
    assumed: Sequence[Invariant],
    goals: Sequence[Invariant],
    weakening: str | None = None,
    step_properties: bool = False,
    guarantees: bool = False,
    lemmas: bool = True,
    must_fail: bool = False,
) -> ProofResult:
    """``must_fail`` (a weakened variant) looks for small counterexamples before proving."""
    system = zab_system(weakening)
    checks = obligations(system, [*assumed, *goals], goals, step_properties, guarantees, lemmas)
    return discharge(name, statement, checks, system.axioms, refute_first=must_fail or weakening is not None)


def prove_epochs(weakening: str | None = None) -> ProofResult:
    return _prove(
        "zab-epochs",
        "currentEpoch <= acceptedEpoch always, and no step decreases either",
        (),
        EPOCHS,
        weakening,
        step_properties=True,
        lemmas=False,
    )


def prove_leadership(weakening: str | None = None, dropped: str | None = None) -> ProofResult:
    goals = tuple(inv for inv in LEADERSHIP if inv.name != dropped)
    return _prove(
        "zab-leadership",
        "no two nodes are established leaders of the same epoch",
        EPOCHS,
        goals,
        weakening,
        must_fail=dropped is not None,
    )


def prove_history(weakening: str | None = None) -> ProofResult:
    return _prove(
        "zab-history",
        "every append to a follower's or leader's history is above all its zxids: histories strictly increase",
        (*EPOCHS, *LEADERSHIP),
        HISTORY,
        weakening,
        guarantees=True,
    )


def prove_committed(weakening: str | None = None) -> ProofResult:
    system = zab_system(weakening)
    assumed = (*EPOCHS, *LEADERSHIP, *HISTORY)
    checks = itertools.chain(
        obligations(system, [*assumed, *COMMITTED], COMMITTED), [_safety_follows([*assumed, *COMMITTED])]
    )
    return discharge(
        "zab-committed",
        "a txn committed in epoch e is in the history of every established leader of an epoch >= e",
        checks,
        system.axioms,
        refute_first=weakening is not None,
    )
