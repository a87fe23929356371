"""The symbolic runner behind zxid-code: it must catch what it claims to catch."""

from __future__ import annotations

import pytest
import z3

from zabkeeper.proofs.obligations import Obligation, discharge
from zabkeeper.proofs.symbolic import SymInt, Trace, symbol


def _conditions_hold(function: object, precondition_max: int) -> bool:
    trace = Trace()
    x = symbol(trace, "x")
    assert callable(function)
    function(x)
    pre = z3.ULE(x.term, precondition_max)
    obligations = [Obligation(what, z3.Implies(pre, condition)) for what, condition in trace.conditions]
    return discharge("symbolic", "test", obligations).holds


def _checked_shift(x: SymInt) -> SymInt:
    assert x < 10
    return x << 2


def test_an_assertion_that_can_fire_under_the_precondition_is_caught() -> None:
    assert _conditions_hold(_checked_shift, 9)
    assert not _conditions_hold(_checked_shift, 20)


def test_a_shift_that_would_wrap_is_caught() -> None:
    def shift_far(x: SymInt) -> SymInt:
        return x << 100

    assert _conditions_hold(shift_far, 1)
    assert not _conditions_hold(shift_far, 1 << 40)


def test_unsupported_operations_refuse_rather_than_guess() -> None:
    trace = Trace()
    x = symbol(trace, "x")
    with pytest.raises(TypeError):
        bool(x)
    with pytest.raises(TypeError):
        x << -1
    with pytest.raises(TypeError):
        [0][x]  # type: ignore[index]
