"""Zxids: packing epoch << 32 | counter preserves the (epoch, counter) order, and the code packs so.

Obligations over 32-bit epoch and counter halves (z3 bit-vectors, so for all 2**128 pairs of
pairs): the packed 64-bit values compare exactly as the pairs compare lexicographically, and
packing is injective. Then ``zabkeeper.core.zxid``'s own ``make_zxid``, ``epoch_of`` and
``counter_of`` run on symbolic inputs (``zabkeeper.proofs.symbolic``): for every epoch and
counter in range the code's assertions hold, its result equals the packed value of the model,
and decoding returns the epoch and the counter. Weakened variants: a counter that may reach
2**32 (one more than the 32 bits hold) breaks the order; an encoder that shifts by 31 breaks the
round trip. Both print the offending values.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import z3

from zabkeeper.core import zxid as zxid_code
from zabkeeper.proofs.obligations import Obligation, ProofResult, discharge
from zabkeeper.proofs.symbolic import WIDTH, SymInt, Trace, symbol

STATEMENT_ORDER = (
    "for all epochs and counters below 2**32: epoch << 32 | counter orders as (epoch, counter) "
    "lexicographically, and distinct pairs pack to distinct zxids"
)
STATEMENT_CODE = (
    "for all epochs and counters below 2**32: core.zxid.make_zxid packs as the model does, its assertions "
    "hold, and epoch_of/counter_of return the epoch and the counter"
)


def _packed(epoch: z3.BitVecRef, counter: z3.BitVecRef, counter_bits: int) -> z3.BitVecRef:
    """The model: epoch in the high half, counter in the low half (widened to 65 bits)."""
    wide = 65
    return (z3.ZeroExt(wide - 32, epoch) << 32) | z3.ZeroExt(wide - counter_bits, counter)


def _order_obligations(counter_bits: int) -> list[Obligation]:
    e1, e2 = z3.BitVecs("epoch1 epoch2", 32)
    c1, c2 = z3.BitVecs("counter1 counter2", counter_bits)
    z1, z2 = _packed(e1, c1, counter_bits), _packed(e2, c2, counter_bits)
    lexicographic = z3.Or(z3.ULT(e1, e2), z3.And(e1 == e2, z3.ULT(c1, c2)))

    def explain(model: z3.ModelRef) -> str:
        def value(term: z3.ExprRef) -> int:
            result = model.eval(term, model_completion=True)
            assert isinstance(result, z3.BitVecNumRef)
            return int(result.as_long())

        pairs = [(value(e1), value(c1), value(z1)), (value(e2), value(c2), value(z2))]
        return "\n".join(f"(epoch={e}, counter={c}) packs to zxid {z:#x}" for e, c, z in pairs)

    return [
        Obligation(
            "order: zxid < zxid' iff (epoch, counter) < (epoch', counter')",
            z3.ULT(z1, z2) == lexicographic,
            explain,
        ),
        Obligation(
            "injective: equal zxids have equal epochs and counters",
            z3.Implies(z1 == z2, z3.And(e1 == e2, c1 == c2)),
            explain,
        ),
    ]


def _code_obligations(make: Callable[..., object]) -> list[Obligation]:
    trace = Trace()
    epoch, counter = symbol(trace, "epoch"), symbol(trace, "counter")
    in_range = z3.And(z3.ULE(epoch.term, zxid_code.EPOCH_MAX), z3.ULE(counter.term, zxid_code.COUNTER_MAX))
    made = make(epoch, counter)
    assert isinstance(made, SymInt), "the encoder must compute with its arguments"
    # The code is typed for ints; it runs here on SymInt, which implements the operators it uses.
    decode_epoch: Callable[[Any], object] = zxid_code.epoch_of
    decode_counter: Callable[[Any], object] = zxid_code.counter_of
    decoded_epoch = decode_epoch(made)
    decoded_counter = decode_counter(made)
    assert isinstance(decoded_epoch, SymInt) and isinstance(decoded_counter, SymInt)
    model = z3.ZeroExt(
        WIDTH - 65, _packed(z3.Extract(31, 0, epoch.term), z3.Extract(31, 0, counter.term), 32)
    )

    def explain(model_ref: z3.ModelRef) -> str:
        shown = [
            model_ref.eval(term, model_completion=True) for term in (epoch.term, counter.term, made.term)
        ]
        return "epoch={}, counter={}: the code produces zxid {}".format(*shown)

    obligations = [
        Obligation(f"code: {what}", z3.Implies(in_range, condition), explain)
        for what, condition in trace.conditions
    ]
    obligations += [
        Obligation(
            "code: make_zxid equals the packed model", z3.Implies(in_range, made.term == model), explain
        ),
        Obligation(
            "code: epoch_of(make_zxid(e, c)) == e",
            z3.Implies(in_range, decoded_epoch.term == epoch.term),
            explain,
        ),
        Obligation(
            "code: counter_of(make_zxid(e, c)) == c",
            z3.Implies(in_range, decoded_counter.term == counter.term),
            explain,
        ),
    ]
    return obligations


def prove_zxid_order() -> ProofResult:
    return discharge("zxid-order", STATEMENT_ORDER, _order_obligations(counter_bits=32))


def prove_zxid_code() -> ProofResult:
    return discharge("zxid-code", STATEMENT_CODE, _code_obligations(zxid_code.make_zxid))


def prove_zxid_counter_overflow_fails() -> ProofResult:
    """Weakened: a counter allowed to reach 2**32 spills into the epoch half."""
    return discharge(
        "weakened: zxid counter may reach 2**32",
        "as zxid-order, but counters range over 33 bits",
        _order_obligations(counter_bits=33),
    )


def _shift_31(epoch: SymInt, counter: SymInt) -> SymInt:
    return (epoch << 31) | counter


def prove_zxid_wrong_shift_fails() -> ProofResult:
    """Weakened: an encoder that shifts the epoch by 31 bits instead of 32."""
    return discharge(
        "weakened: zxid encoder shifting by 31",
        "as zxid-code, with make_zxid replaced by (epoch << 31) | counter",
        _code_obligations(_shift_31),
    )
