"""The sorts and fixed symbols of the Zab model: nodes, quorums, ordered epochs and zxids.

Kept apart from ``protocol_model`` (the state and the actions) so that the invariants and the
counterexample display can name them without importing the model's actions.
"""

from __future__ import annotations

import z3

NODE = z3.DeclareSort("Node")
QUORUM = z3.DeclareSort("Quorum")
EPOCH = z3.DeclareSort("Epoch")
ZXID = z3.DeclareSort("Zxid")
BOOL = z3.BoolSort()

member = z3.Function("member", NODE, QUORUM, BOOL)
lt_epoch = z3.Function("lt_epoch", EPOCH, EPOCH, BOOL)
lt_zxid = z3.Function("lt_zxid", ZXID, ZXID, BOOL)
epoch_of = z3.Function("epoch_of", ZXID, EPOCH)
e0 = z3.Const("e0", EPOCH)


def le_epoch(a: z3.ExprRef, b: z3.ExprRef) -> z3.BoolRef:
    return z3.Or(a == b, lt_epoch(a, b))


def le_zxid(a: z3.ExprRef, b: z3.ExprRef) -> z3.BoolRef:
    return z3.Or(a == b, lt_zxid(a, b))


def nodes(*names: str) -> list[z3.ExprRef]:
    return [z3.Const(name, NODE) for name in names]


def epochs(*names: str) -> list[z3.ExprRef]:
    return [z3.Const(name, EPOCH) for name in names]


def zxids(*names: str) -> list[z3.ExprRef]:
    return [z3.Const(name, ZXID) for name in names]


def quorums(*names: str) -> list[z3.ExprRef]:
    return [z3.Const(name, QUORUM) for name in names]
