"""Non-vacuity of the protocol proofs: every action can fire in a state meeting every invariant.

An inductive proof says nothing about an action whose guard, together with the invariants, is
unsatisfiable: "Inv /\\ guard -> Inv'" would hold vacuously. So for each action z3 must find a
state, in a finite universe of 3 nodes, 3 quorums, 3 epochs and 2 zxids (finite models are
models, and finiteness makes the search decidable), that satisfies the axioms, every invariant
of the four protocol proofs and the action's guard. The same is asked of the initial state.
"""

from __future__ import annotations

import time

import z3

from zabkeeper.proofs.obligations import ProofResult
from zabkeeper.proofs.protocol_invariants import COMMITTED, EPOCHS, HISTORY, LEADERSHIP
from zabkeeper.proofs.protocol_model import zab_system
from zabkeeper.proofs.protocol_sorts import EPOCH, NODE, QUORUM, ZXID
from zabkeeper.proofs.transition import finite_universe

SIZES = ((NODE, 3), (QUORUM, 3), (EPOCH, 3), (ZXID, 2))
TIMEOUT_MS = 20_000
STATEMENT = (
    "the axioms, the initial state and every action's guard are satisfiable together with all the protocol "
    "invariants (in a universe of 3 nodes, 3 quorums, 3 epochs and 2 zxids)"
)


def prove_model_sanity(weakening: str | None = None) -> ProofResult:
    started = time.perf_counter()
    system = zab_system(weakening)
    state = system.pre_state()
    solver = z3.Solver()
    solver.set(timeout=TIMEOUT_MS)
    solver.add(*system.axioms, *finite_universe(SIZES))
    solver.add(*(inv.formula(state) for inv in (*EPOCHS, *LEADERSHIP, *HISTORY, *COMMITTED)))
    cases = [("initial state", system.init(state))]
    cases += [(f"guard of {a.name}", a.guard(state, a.arguments())) for a in system.actions]
    for checked, (name, condition) in enumerate(cases, start=1):
        solver.push()
        solver.add(condition)
        verdict = solver.check()
        solver.pop()
        if verdict != z3.sat:
            why = "can never hold: its obligations are vacuous" if verdict == z3.unsat else "undecided"
            return ProofResult(
                name="zab-model-sanity",
                statement=STATEMENT,
                holds=False,
                seconds=time.perf_counter() - started,
                obligations_checked=checked,
                failed_obligation=name,
                counterexample=f"{name} with the invariants {why}",
            )
    return ProofResult("zab-model-sanity", STATEMENT, True, time.perf_counter() - started, len(cases))
