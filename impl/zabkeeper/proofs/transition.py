"""Inductive-invariant checking for relational transition systems, in the style of Ivy/mypyvy.

A system has uninterpreted sorts, background axioms, state variables (z3 functions and
relations), an initial condition and actions. A ``State`` maps each variable name to a callable
building z3 terms: the pre-state uses the z3 function symbols themselves; an action's post-state
is the pre-state with some variables replaced by Python functions of the pre-state (``If``
terms), so a post-state formula is the invariant with the updates substituted, without frame
axioms or next-state symbols.

For invariants ``goals`` (assuming ``hypotheses``, which include the goals) the obligations are
Init -> goal, and for each action: hypotheses /\\ guard -> goal(post). An action may also carry
two-state guarantees (a zxid it appends exceeds every zxid present), and the system may carry
two-state properties of every step (epochs never decrease). A failing step obligation is shown as
a counterexample to induction: the finite model z3 found, its pre-state, the action and its
arguments, and what the action changed.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import z3

from zabkeeper.proofs.obligations import Obligation

Term = Callable[..., z3.ExprRef]


class State:
    """One state of the system: variable name -> callable building that variable's z3 terms."""

    def __init__(self, variables: Mapping[str, Term]) -> None:
        self._variables = dict(variables)

    def __getattr__(self, name: str) -> Term:
        try:
            return self._variables[name]
        except KeyError:
            raise AttributeError(name) from None

    def updated(self, **changes: Term) -> State:
        assert set(changes) <= set(self._variables), set(changes) - set(self._variables)
        return State({**self._variables, **changes})


@dataclass(frozen=True)
class Variable:
    name: str
    domain: tuple[z3.SortRef, ...]
    range: z3.SortRef


Params = Mapping[str, Any]


@dataclass(frozen=True)
class Action:
    """A named step: its parameters, when it is enabled, and the variables it changes."""

    name: str
    params: tuple[tuple[str, z3.SortRef], ...]
    guard: Callable[[State, Params], z3.BoolRef]
    update: Callable[[State, Params], dict[str, Term]]
    guarantees: tuple[tuple[str, Callable[[State, Params], z3.BoolRef]], ...] = ()
    # Facts about the pre-state that the guard implies given the invariants; each is proved as an
    # obligation of its own, then assumed by the action's other obligations.
    lemmas: tuple[tuple[str, Callable[[State, Params], z3.BoolRef]], ...] = ()

    def arguments(self) -> dict[str, z3.ExprRef]:
        return {name: z3.Const(f"{self.name}.{name}", sort) for name, sort in self.params}


@dataclass(frozen=True)
class Invariant:
    """``forall variables. body(state)``; the variables are kept apart so goals can be Skolemized."""

    name: str
    variables: tuple[z3.ExprRef, ...]
    body: Callable[[State], z3.BoolRef]

    def formula(self, state: State) -> z3.BoolRef:
        body = self.body(state)
        return z3.ForAll(list(self.variables), body) if self.variables else body

    def instance(self, state: State, tag: str) -> tuple[z3.BoolRef, list[z3.ExprRef]]:
        """The body for fresh constants (the Skolemized negation's witnesses), and those constants."""
        fresh = [z3.Const(f"{v}!{tag}", v.sort()) for v in self.variables]
        return z3.substitute(self.body(state), *zip(self.variables, fresh, strict=True)), fresh


@dataclass(frozen=True)
class System:
    sorts: tuple[z3.SortRef, ...]
    axioms: tuple[z3.BoolRef, ...]
    variables: tuple[Variable, ...]
    init: Callable[[State], z3.BoolRef]
    actions: tuple[Action, ...]
    step_properties: tuple[tuple[str, Callable[[State, State], z3.BoolRef]], ...] = ()
    describe: Callable[[z3.ModelRef], list[str]] = field(default=lambda model: [])
    # Instances of the axioms for the given ground terms (sound: the axioms imply them); they
    # hand z3 the instantiations its matching cannot find on its own (see quorum intersection).
    hints: Callable[[Sequence[z3.ExprRef]], list[z3.BoolRef]] = field(default=lambda terms: [])
    # Sorts whose universally quantified hypothesis variables are also instantiated with every
    # ground term of the step (quorums: z3 cannot match a variable that only occurs under an
    # existential, as q does in "choosable").
    instantiate: tuple[z3.SortRef, ...] = ()
    # Finite universes in which to search for a counterexample to an undecided obligation.
    finite_universes: tuple[tuple[z3.BoolRef, ...], ...] = ()
    names: Callable[[z3.ModelRef], dict[str, str]] = field(default=lambda model: {})

    def pre_state(self) -> State:
        return State({v.name: z3.Function(v.name, *v.domain, v.range) for v in self.variables})


def obligations(
    system: System,
    hypotheses: Sequence[Invariant],
    goals: Sequence[Invariant],
    with_step_properties: bool = False,
    with_guarantees: bool = False,
    with_lemmas: bool = True,
) -> Iterator[Obligation]:
    """Init -> goal and hypotheses /\\ action -> goal', per goal and action; stops at nothing."""
    pre = system.pre_state()
    for goal in goals:
        yield Obligation(f"init -> {goal.name}", z3.Implies(system.init(pre), goal.formula(pre)))
    assumed = z3.And([h.formula(pre) for h in hypotheses])
    for action in system.actions:
        args = action.arguments()
        post = pre.updated(**action.update(pre, args))
        enabled = z3.And(assumed, action.guard(pre, args))
        explain = functools.partial(explain_step, system, action=action, args=args, pre=pre, post=post)
        lemmas = action.lemmas if with_lemmas else ()
        for name, lemma in lemmas:
            yield Obligation(
                f"{action.name} lemma: {name}",
                z3.Implies(enabled, lemma(pre, args)),
                explain,
                system.finite_universes,
            )
        enabled = z3.And(enabled, *(lemma(pre, args) for _, lemma in lemmas))
        checks: list[tuple[str, z3.BoolRef, list[z3.ExprRef]]] = []
        for goal in goals:
            claim, fresh = goal.instance(post, action.name)
            checks.append((goal.name, claim, fresh))
        if with_step_properties:
            checks += [(name, prop(pre, post), []) for name, prop in system.step_properties]
        if with_guarantees:
            checks += [(name, guarantee(pre, args), []) for name, guarantee in action.guarantees]
        for name, claim, fresh in checks:
            terms = [*args.values(), *fresh]
            hints = [*system.hints(terms), *_instances(pre, hypotheses, terms, system.instantiate)]
            yield Obligation(
                f"{action.name} preserves {name}",
                z3.Implies(z3.And(enabled, *hints), claim),
                explain,
                system.finite_universes,
            )


def _instances(
    state: State, hypotheses: Sequence[Invariant], terms: Sequence[z3.ExprRef], sorts: Sequence[z3.SortRef]
) -> list[z3.BoolRef]:
    """Hypotheses with their variables of ``sorts`` instantiated by the step's ground terms."""
    instances = []
    for hypothesis in hypotheses:
        for i, variable in enumerate(hypothesis.variables):
            if variable.sort() not in sorts:
                continue
            rest = [v for j, v in enumerate(hypothesis.variables) if j != i]
            for term in terms:
                if term.sort() == variable.sort():
                    body = z3.substitute(hypothesis.body(state), (variable, term))
                    instances.append(z3.ForAll(rest, body) if rest else body)
    return instances


def explain_step(
    system: System,
    model: z3.ModelRef,
    *,
    action: Action,
    args: Mapping[str, z3.ExprRef],
    pre: State,
    post: State,
) -> str:
    """A counterexample to induction: the universe, the pre-state, the step and its effect."""
    names = system.names(model)

    def show(value: z3.ExprRef) -> str:
        shown = str(model.eval(value, model_completion=True))
        return names.get(shown, shown)

    lines = system.describe(model)
    lines.append("state before the step (true tuples / values):")
    for variable in system.variables:
        lines.append(f"  {variable.name}: {_render(variable, pre, model, show) or '-'}")
    shown_args = ", ".join(f"{name}={show(value)}" for name, value in args.items())
    lines.append(f"step: {action.name}({shown_args})")
    changes = []
    for variable in system.variables:
        before, after = _render(variable, pre, model, show), _render(variable, post, model, show)
        if before != after:
            changes.append(f"  {variable.name}: {after or '-'}")
    lines.append("after the step:" if changes else "after the step: nothing changed")
    lines.extend(changes)
    return "\n".join(lines)


def _render(variable: Variable, state: State, model: z3.ModelRef, show: Callable[[z3.ExprRef], str]) -> str:
    universes = [_universe(model, sort) for sort in variable.domain]
    entries = []
    for args in itertools.product(*universes):
        value = model.eval(getattr(state, variable.name)(*args), model_completion=True)
        text = ",".join(show(a) for a in args)
        if variable.range == z3.BoolSort():
            if z3.is_true(value):
                entries.append(f"({text})")
        else:
            entries.append(f"{text}={show(value)}")
    return " ".join(sorted(entries))


def _universe(model: z3.ModelRef, sort: z3.SortRef) -> list[z3.ExprRef]:
    return list(model.get_universe(sort) or [])


def rank_names(model: z3.ModelRef, sort: z3.SortRef, less: z3.FuncDeclRef, prefix: str) -> dict[str, str]:
    """Names for a totally ordered sort's model elements, in order: prefix0 < prefix1 < ..."""
    elements = _universe(model, sort)

    def below(x: z3.ExprRef) -> int:
        return sum(1 for y in elements if z3.is_true(model.eval(less(y, x), model_completion=True)))

    return {str(x): f"{prefix}{below(x)}" for x in elements}


def finite_universe(sizes: Sequence[tuple[z3.SortRef, int]]) -> tuple[z3.BoolRef, ...]:
    """Constraints making each sort have exactly the given number of elements."""
    constraints: list[z3.BoolRef] = []
    for sort, size in sizes:
        elements = [z3.Const(f"{sort}#{i}", sort) for i in range(size)]
        x = z3.Const(f"{sort}#any", sort)
        if size > 1:
            constraints.append(z3.Distinct(*elements))
        constraints.append(z3.ForAll([x], z3.Or([x == element for element in elements])))
    return tuple(constraints)


def plain_names(model: z3.ModelRef, sort: z3.SortRef, prefix: str) -> dict[str, str]:
    return {str(x): f"{prefix}{i}" for i, x in enumerate(_universe(model, sort))}
