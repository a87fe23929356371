"""How a model of ``protocol_model`` reads: elements named in order, quorums by their members.

z3 names model elements ``Epoch!val!3``; counterexamples name epochs E0 < E1 < ... and zxids
z0 < z1 < ... by their rank in the model's order, nodes n0, n1, ... and quorums q0, q1, ...
"""

from __future__ import annotations

import z3

from zabkeeper.proofs.protocol_sorts import EPOCH, NODE, QUORUM, ZXID, e0, epoch_of, lt_epoch, lt_zxid, member
from zabkeeper.proofs.transition import plain_names, rank_names


def element_names(model: z3.ModelRef) -> dict[str, str]:
    names = {**plain_names(model, NODE, "n"), **plain_names(model, QUORUM, "q")}
    names.update(rank_names(model, EPOCH, lt_epoch, "E"))
    names.update(rank_names(model, ZXID, lt_zxid, "z"))
    return names


def describe_universe(model: z3.ModelRef) -> list[str]:
    names = element_names(model)

    def name(x: z3.ExprRef) -> str:
        shown = str(model.eval(x, model_completion=True))
        return names.get(shown, shown)

    def universe(sort: z3.SortRef) -> list[z3.ExprRef]:
        return list(model.get_universe(sort) or [])

    epochs_shown = sorted((name(e) for e in universe(EPOCH)), key=_rank)
    lines = [f"epochs {' < '.join(epochs_shown)} (initial epoch {name(e0)})"]
    lines.append(
        "zxids "
        + " < ".join(
            f"{name(z)}(epoch {name(epoch_of(z))})"
            for z in sorted(universe(ZXID), key=lambda z: _rank(name(z)))
        )
    )
    for q in universe(QUORUM):
        members = sorted(
            name(n) for n in universe(NODE) if z3.is_true(model.eval(member(n, q), model_completion=True))
        )
        lines.append(f"quorum {name(q)} = {{{', '.join(members)}}}")
    return lines


def _rank(name: str) -> int:
    digits = name.lstrip("Ez")
    return int(digits) if digits.isdigit() else -1
