"""Proof obligations, how z3 discharges them, and what a proof run reports.

A proof is a list of obligations: formulas that must be valid under the proof's background
axioms. z3 checks each by asking whether its negation is satisfiable: ``unsat`` means valid;
``sat`` gives a model, which the obligation turns into a readable counterexample; ``unknown``
(or a timeout) is reported as a failure, never as success. A proof holds when every obligation
does; it stops at the first one that fails.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import z3

# Each obligation gets this much solver time; proofs are meant to take a few seconds in total.
OBLIGATION_TIMEOUT_MS = 20_000
# Each finite-universe search for a counterexample (after an undecided obligation) gets this much.
REFUTATION_TIMEOUT_MS = 20_000

Explain = Callable[[z3.ModelRef], str]


@dataclass(frozen=True)
class Obligation:
    """One formula that must be valid, and how to show a model of its negation.

    ``refute_within`` lists finite universes (constraints bounding the sorts) in which to look
    for a counterexample when z3 cannot decide the claim outright: a model there is a real
    counterexample; finding none proves nothing, and the obligation stays undecided.
    """

    name: str
    claim: z3.BoolRef
    explain: Explain | None = None
    refute_within: tuple[tuple[z3.BoolRef, ...], ...] = ()


@dataclass(frozen=True)
class ProofResult:
    """What one proof run established (or the counterexample that refutes it)."""

    name: str
    statement: str
    holds: bool
    seconds: float
    obligations_checked: int
    failed_obligation: str | None = None
    counterexample: str | None = None

    def report(self) -> str:
        """A few lines for humans: the statement and either 'proved' or the counterexample."""
        if self.holds:
            return f"{self.name}: proved ({self.obligations_checked} obligations, {self.seconds:.2f}s)\n  {self.statement}"
        return (
            f"{self.name}: REFUTED at obligation '{self.failed_obligation}' ({self.seconds:.2f}s)\n"
            f"  {self.statement}\n"
            + "\n".join(f"  | {line}" for line in (self.counterexample or "").splitlines())
        )


def discharge(
    name: str,
    statement: str,
    obligations: Iterable[Obligation],
    axioms: Sequence[z3.BoolRef] = (),
    timeout_ms: int = OBLIGATION_TIMEOUT_MS,
    refute_first: bool = False,
) -> ProofResult:
    """Check every obligation under ``axioms``; stop at the first that is not valid.

    ``obligations`` may be a generator: building obligations counts towards the proof's time.
    ``refute_first`` (for variants expected to fail) searches the smallest finite universe for
    a counterexample before the unbounded check, which may not terminate on a false claim.
    """
    started = time.perf_counter()
    checked = 0
    solver = z3.Solver()
    solver.set(timeout=timeout_ms)
    solver.add(*axioms)
    for obligation in obligations:
        checked += 1
        early = _refute_in_finite_universes(obligation, axioms, 1) if refute_first else None
        if early is not None:
            return _refuted(name, statement, started, checked, obligation, early)
        solver.push()
        solver.add(z3.Not(obligation.claim))
        verdict = solver.check()
        if verdict == z3.unsat:
            solver.pop()
            continue
        reason = solver.reason_unknown() if verdict == z3.unknown else ""
        model = solver.model() if verdict == z3.sat else _refute_in_finite_universes(obligation, axioms)
        return _refuted(name, statement, started, checked, obligation, model, reason)
    assert checked > 0, "a proof needs at least one obligation"
    return ProofResult(
        name=name,
        statement=statement,
        holds=True,
        seconds=time.perf_counter() - started,
        obligations_checked=checked,
    )


def _refuted(
    name: str,
    statement: str,
    started: float,
    checked: int,
    obligation: Obligation,
    model: z3.ModelRef | None,
    reason: str = "",
) -> ProofResult:
    if model is not None:
        shown = obligation.explain(model) if obligation.explain else _default_explain(model)
    else:
        shown = f"z3 could not decide this obligation ({reason}); it is not proved"
    return ProofResult(
        name=name,
        statement=statement,
        holds=False,
        seconds=time.perf_counter() - started,
        obligations_checked=checked,
        failed_obligation=obligation.name,
        counterexample=shown,
    )


def _refute_in_finite_universes(
    obligation: Obligation, axioms: Sequence[z3.BoolRef], limit: int | None = None
) -> z3.ModelRef | None:
    for bounds in obligation.refute_within[:limit]:
        solver = z3.Solver()
        solver.set(timeout=REFUTATION_TIMEOUT_MS)
        solver.add(*axioms, *bounds, z3.Not(obligation.claim))
        if solver.check() == z3.sat:
            return solver.model()
    return None


def _default_explain(model: z3.ModelRef) -> str:
    pairs = sorted((str(decl.name()), str(model[decl])) for decl in model.decls() if decl.arity() == 0)
    return "\n".join(f"{name} = {value}" for name, value in pairs)


def show_int(model: z3.ModelRef, term: z3.ExprRef) -> int:
    """The value of an integer term in a model (terms the model leaves free evaluate to 0)."""
    value = model.eval(term, model_completion=True)
    assert z3.is_int_value(value), value
    return int(value.as_long())


def show_bool(model: z3.ModelRef, term: z3.ExprRef) -> bool:
    value = model.eval(term, model_completion=True)
    assert z3.is_true(value) or z3.is_false(value), value
    return bool(z3.is_true(value))
