"""An abstract model of Zab's discovery, synchronization and broadcast, for inductive proofs.

Unbounded servers, epochs and zxids: Node, Quorum, Epoch and Zxid are uninterpreted sorts.
Quorums are elements of Quorum with member(n, q) and the intersection axiom (any two quorums
share a node), which ``quorum-majority`` and ``quorum-hierarchical`` discharge for ZooKeeper's
rules. Epochs and zxids are strict total orders (lt_epoch, lt_zxid) with e0 the least epoch;
epoch_of maps a zxid to its epoch monotonically, which ``zxid-order`` proves of the packing.

State (the persisted state of ZooKeeper in the first three lines, then messages and history):
  accepted(n), current(n)       acceptedEpoch and currentEpoch
  history(n, z)                 n's txn log, as a set of zxids (the order of a log is its append
                                order; the proofs show every append exceeds every zxid present,
                                so a log is its set sorted by zxid)
  leaderinfo(L, e)              L sent LEADERINFO(e)
  ackepoch(n, L, e, c)          n sent L a counted ACKEPOCH for e, reporting currentEpoch c
  ackepoch_history(n, e, z)     the history n reported in that ACKEPOCH
  leader(L, e)                  L is an established leader of e (it had a quorum of ACKEPOCHs)
  leader_history(L, e, z)       L's history as leader of e (initial history, then proposals)
  acked(n, z, e)                n acknowledged z to the leader of e (ACK of a PROPOSAL, or of
                                NEWLEADER for every txn NEWLEADER installed)
  committed(z, e)               the leader of e committed z (a quorum acked it in e)

Actions, named as in ZooKeeper's code and the spec; crashes, restarts, message loss, delay and
reordering across connections need no action of their own, because nothing here is volatile and
any enabled action may fire at any time (including never):
  LeaderProcessFOLLOWERINFO(L, q, e)  e exceeds the acceptedEpoch of every FOLLOWERINFO sender in
                                      quorum q (ZooKeeper picks max + 1; any larger e is allowed)
  FollowerProcessLEADERINFO(n, L, e)  e > acceptedEpoch(n): accept e, ACKEPOCH with currentEpoch
                                      and history. (ZooKeeper answers e == acceptedEpoch with an
                                      ACKEPOCH of -1 that the leader does not count: a no-op here.)
  LeaderProcessACKEPOCH(L, e, q, h, c)  a quorum q acked; the initial history is the history of
                                      h in q whose (currentEpoch, last zxid) is the greatest
  FollowerProcessNEWLEADER(n, L, e, c)  n, which acked e to L, installs L's history, sets
                                      currentEpoch = e and acks NEWLEADER
  LeaderProcessRequest(L, e, z)       propose z of epoch e above L's previous proposals in e
  FollowerProcessPROPOSAL(n, L, e, z) n, in epoch e (accepted and current), logs the next
                                      proposal of L's history (TCP keeps the leader's order) and
                                      acks it
  LeaderProcessACK(L, e, z, q)        a quorum acked z in e: commit it (covers ACKs of NEWLEADER,
                                      which commit the initial history, as LeaderProcessACKLD)
Weakened rules for the must-fail variants are selected by ``zab_system(weakening=...)``.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import z3

from zabkeeper.proofs.protocol_display import describe_universe, element_names
from zabkeeper.proofs.protocol_sorts import (
    BOOL,
    EPOCH,
    NODE,
    QUORUM,
    ZXID,
    e0,
    epoch_of,
    epochs,
    le_epoch,
    le_zxid,
    lt_epoch,
    lt_zxid,
    member,
    nodes,
    quorums,
    zxids,
)
from zabkeeper.proofs.transition import (
    Action,
    Params,
    State,
    System,
    Term,
    Variable,
    finite_universe,
)

VARIABLES = (
    Variable("accepted", (NODE,), EPOCH),
    Variable("current", (NODE,), EPOCH),
    Variable("history", (NODE, ZXID), BOOL),
    Variable("leaderinfo", (NODE, EPOCH), BOOL),
    Variable("ackepoch", (NODE, NODE, EPOCH, EPOCH), BOOL),
    Variable("ackepoch_history", (NODE, EPOCH, ZXID), BOOL),
    Variable("leader", (NODE, EPOCH), BOOL),
    Variable("leader_history", (NODE, EPOCH, ZXID), BOOL),
    Variable("acked", (NODE, ZXID, EPOCH), BOOL),
    Variable("committed", (ZXID, EPOCH), BOOL),
)

# Finite universes (nodes, quorums, epochs, zxids) searched for counterexamples when z3 cannot
# decide an obligation outright; small ones first, as they decide fastest.
REFUTATION_SIZES = ((3, 3, 3, 1), (3, 3, 3, 2), (4, 4, 4, 3))

WEAKENINGS = (
    "accept-equal-epoch",  # FollowerProcessLEADERINFO counts an ACKEPOCH for e == acceptedEpoch
    "accept-older-epoch",  # FollowerProcessLEADERINFO accepts any e, even below acceptedEpoch
    "any-initial-history",  # LeaderProcessACKEPOCH takes any quorum member's history
    "propose-in-discovery",  # FollowerProcessPROPOSAL while acceptedEpoch is already higher
    "log-out-of-order",  # FollowerProcessPROPOSAL logs any proposal, not the next in the leader's order
    "dead-leaderinfo",  # FollowerProcessLEADERINFO needs an epoch below e0: it can never fire
)


def _strict_total_order(less: z3.FuncDeclRef, sort: z3.SortRef) -> list[z3.BoolRef]:
    a, b, c = (z3.Const(name, sort) for name in ("a", "b", "c"))
    return [
        z3.ForAll([a], z3.Not(less(a, a))),
        z3.ForAll([a, b, c], z3.Implies(z3.And(less(a, b), less(b, c)), less(a, c))),
        z3.ForAll([a, b], z3.Or(a == b, less(a, b), less(b, a))),
    ]


def _axioms() -> tuple[z3.BoolRef, ...]:
    (e,) = epochs("e")
    z1, z2 = zxids("z1", "z2")
    q1, q2 = quorums("q1", "q2")
    (n,) = nodes("n")
    return (
        *_strict_total_order(lt_epoch, EPOCH),
        *_strict_total_order(lt_zxid, ZXID),
        z3.ForAll([e], z3.Not(lt_epoch(e, e0))),
        z3.ForAll([z1, z2], z3.Implies(lt_zxid(z1, z2), le_epoch(epoch_of(z1), epoch_of(z2)))),
        z3.ForAll([q1, q2], z3.Exists([n], z3.And(member(n, q1), member(n, q2)))),
    )


def _init(s: State) -> z3.BoolRef:
    n, m = nodes("n", "m")
    e, c = epochs("e", "c")
    (z,) = zxids("z")
    return z3.And(
        z3.ForAll([n], z3.And(s.accepted(n) == e0, s.current(n) == e0)),
        z3.ForAll([n, z], z3.Not(s.history(n, z))),
        z3.ForAll([n, e], z3.And(z3.Not(s.leaderinfo(n, e)), z3.Not(s.leader(n, e)))),
        z3.ForAll([n, m, e, c], z3.Not(s.ackepoch(n, m, e, c))),
        z3.ForAll([n, e, z], z3.And(z3.Not(s.ackepoch_history(n, e, z)), z3.Not(s.leader_history(n, e, z)))),
        z3.ForAll([n, z, e], z3.Not(s.acked(n, z, e))),
        z3.ForAll([z, e], z3.Not(s.committed(z, e))),
    )


def _follower_info(weakening: str | None) -> Action:
    def guard(s: State, p: Params) -> z3.BoolRef:
        (n,) = nodes("n")
        return z3.ForAll([n], z3.Implies(member(n, p["q"]), lt_epoch(s.accepted(n), p["e"])))

    def update(s: State, p: Params) -> dict[str, Term]:
        return {"leaderinfo": lambda who, e: z3.Or(s.leaderinfo(who, e), z3.And(who == p["L"], e == p["e"]))}

    return Action("LeaderProcessFOLLOWERINFO", (("L", NODE), ("q", QUORUM), ("e", EPOCH)), guard, update)


def _leader_info(weakening: str | None) -> Action:
    def guard(s: State, p: Params) -> z3.BoolRef:
        n, e = p["n"], p["e"]
        if weakening == "accept-older-epoch":
            return s.leaderinfo(p["L"], e)
        if weakening == "dead-leaderinfo":
            return z3.And(s.leaderinfo(p["L"], e), lt_epoch(s.accepted(n), e), lt_epoch(e, e0))
        if weakening == "accept-equal-epoch":
            return z3.And(s.leaderinfo(p["L"], e), le_epoch(s.accepted(n), e))
        return z3.And(s.leaderinfo(p["L"], e), lt_epoch(s.accepted(n), e))

    def update(s: State, p: Params) -> dict[str, Term]:
        n, leader, e = p["n"], p["L"], p["e"]
        return {
            "accepted": lambda x: z3.If(x == n, e, s.accepted(x)),
            "ackepoch": lambda x, who, y, c: z3.Or(
                s.ackepoch(x, who, y, c), z3.And(x == n, who == leader, y == e, c == s.current(n))
            ),
            "ackepoch_history": lambda x, y, z: z3.If(
                z3.And(x == n, y == e), s.history(n, z), s.ackepoch_history(x, y, z)
            ),
        }

    return Action("FollowerProcessLEADERINFO", (("n", NODE), ("L", NODE), ("e", EPOCH)), guard, update)


def _ack_epoch(weakening: str | None) -> Action:
    def guard(s: State, p: Params) -> z3.BoolRef:
        leader, e, q, h, ch = p["L"], p["e"], p["q"], p["h"], p["c"]
        (n,) = nodes("n")
        (c,) = epochs("c")
        z, y = zxids("z", "y")
        quorum_acked = z3.ForAll([n], z3.Implies(member(n, q), z3.Exists([c], s.ackepoch(n, leader, e, c))))
        longer = z3.ForAll(
            [z],
            z3.Implies(
                s.ackepoch_history(n, e, z),
                z3.Exists([y], z3.And(s.ackepoch_history(h, e, y), le_zxid(z, y))),
            ),
        )
        most_up_to_date = z3.ForAll(
            [n, c],
            z3.Implies(
                z3.And(member(n, q), s.ackepoch(n, leader, e, c)),
                z3.Or(lt_epoch(c, ch), z3.And(c == ch, longer)),
            ),
        )
        chosen = z3.And(member(h, q), s.ackepoch(h, leader, e, ch))
        if weakening == "any-initial-history":
            return z3.And(z3.Not(s.leader(leader, e)), quorum_acked, chosen)
        return z3.And(z3.Not(s.leader(leader, e)), quorum_acked, chosen, most_up_to_date)

    def update(s: State, p: Params) -> dict[str, Term]:
        leader, e, h = p["L"], p["e"], p["h"]
        return {
            "leader": lambda who, x: z3.Or(s.leader(who, x), z3.And(who == leader, x == e)),
            "leader_history": lambda who, x, z: z3.If(
                z3.And(who == leader, x == e), s.ackepoch_history(h, e, z), s.leader_history(who, x, z)
            ),
        }

    def no_leader_yet(s: State, p: Params) -> z3.BoolRef:
        (other,) = nodes("other")
        return z3.ForAll([other], z3.Not(s.leader(other, p["e"])))

    params = (("L", NODE), ("e", EPOCH), ("q", QUORUM), ("h", NODE), ("c", EPOCH))
    lemmas = (("no node leads e yet (its quorum would share a node with q)", no_leader_yet),)
    return Action("LeaderProcessACKEPOCH", params, guard, update, lemmas=lemmas)


def _new_leader(weakening: str | None) -> Action:
    def guard(s: State, p: Params) -> z3.BoolRef:
        n, leader, e = p["n"], p["L"], p["e"]
        return z3.And(s.leader(leader, e), s.accepted(n) == e, s.ackepoch(n, leader, e, p["c"]))

    def update(s: State, p: Params) -> dict[str, Term]:
        n, leader, e = p["n"], p["L"], p["e"]
        return {
            "current": lambda x: z3.If(x == n, e, s.current(x)),
            "history": lambda x, z: z3.If(x == n, s.leader_history(leader, e, z), s.history(x, z)),
            "acked": lambda x, z, y: z3.Or(
                s.acked(x, z, y), z3.And(x == n, y == e, s.leader_history(leader, e, z))
            ),
        }

    return Action(
        "FollowerProcessNEWLEADER", (("n", NODE), ("L", NODE), ("e", EPOCH), ("c", EPOCH)), guard, update
    )


def _request(weakening: str | None) -> Action:
    def guard(s: State, p: Params) -> z3.BoolRef:
        leader, e, z = p["L"], p["e"], p["z"]
        (y,) = zxids("y")
        above_own = z3.ForAll(
            [y], z3.Implies(z3.And(s.leader_history(leader, e, y), epoch_of(y) == e), lt_zxid(y, z))
        )
        return z3.And(s.leader(leader, e), epoch_of(z) == e, above_own)

    def update(s: State, p: Params) -> dict[str, Term]:
        leader, e, z = p["L"], p["e"], p["z"]
        return {
            "leader_history": lambda who, x, y: z3.Or(
                s.leader_history(who, x, y), z3.And(who == leader, x == e, y == z)
            )
        }

    def appends_above(s: State, p: Params) -> z3.BoolRef:
        (y,) = zxids("y")
        return z3.ForAll([y], z3.Implies(s.leader_history(p["L"], p["e"], y), lt_zxid(y, p["z"])))

    guarantees = (("leader appends a zxid above its whole history", appends_above),)
    return Action("LeaderProcessRequest", (("L", NODE), ("e", EPOCH), ("z", ZXID)), guard, update, guarantees)


def _proposal(weakening: str | None) -> Action:
    def guard(s: State, p: Params) -> z3.BoolRef:
        n, leader, e, z = p["n"], p["L"], p["e"], p["z"]
        (y,) = zxids("y")
        next_in_order = z3.ForAll(
            [y], z3.Implies(z3.And(s.leader_history(leader, e, y), lt_zxid(y, z)), s.history(n, y))
        )
        following = s.current(n) == e
        if weakening != "propose-in-discovery":
            following = z3.And(following, s.accepted(n) == e)
        if weakening == "log-out-of-order":
            next_in_order = z3.BoolVal(True)
        return z3.And(
            s.leader(leader, e),
            following,
            s.leader_history(leader, e, z),
            z3.Not(s.history(n, z)),
            next_in_order,
        )

    def update(s: State, p: Params) -> dict[str, Term]:
        n, e, z = p["n"], p["e"], p["z"]
        return {
            "history": lambda x, y: z3.Or(s.history(x, y), z3.And(x == n, y == z)),
            "acked": lambda x, y, c: z3.Or(s.acked(x, y, c), z3.And(x == n, y == z, c == e)),
        }

    def appends_above(s: State, p: Params) -> z3.BoolRef:
        (y,) = zxids("y")
        return z3.ForAll([y], z3.Implies(s.history(p["n"], y), lt_zxid(y, p["z"])))

    guarantees = (("follower appends a zxid above its whole history", appends_above),)
    params = (("n", NODE), ("L", NODE), ("e", EPOCH), ("z", ZXID))
    return Action("FollowerProcessPROPOSAL", params, guard, update, guarantees)


def _ack(weakening: str | None) -> Action:
    def guard(s: State, p: Params) -> z3.BoolRef:
        leader, e, z, q = p["L"], p["e"], p["z"], p["q"]
        (n,) = nodes("n")
        quorum_acked = z3.ForAll([n], z3.Implies(member(n, q), s.acked(n, z, e)))
        return z3.And(s.leader(leader, e), s.leader_history(leader, e, z), quorum_acked)

    def update(s: State, p: Params) -> dict[str, Term]:
        return {"committed": lambda y, x: z3.Or(s.committed(y, x), z3.And(y == p["z"], x == p["e"]))}

    return Action("LeaderProcessACK", (("L", NODE), ("e", EPOCH), ("z", ZXID), ("q", QUORUM)), guard, update)


def _epochs_never_decrease(pre: State, post: State) -> z3.BoolRef:
    (n,) = nodes("n")
    return z3.ForAll(
        [n], z3.And(le_epoch(pre.accepted(n), post.accepted(n)), le_epoch(pre.current(n), post.current(n)))
    )


def _intersections(terms: Sequence[z3.ExprRef]) -> list[z3.BoolRef]:
    """The quorum-intersection axiom instantiated for every pair of quorum terms of a step."""
    found = [t for t in terms if t.sort() == QUORUM]
    (n,) = nodes("n")
    return [
        z3.Exists([n], z3.And(member(n, q1), member(n, q2))) for q1, q2 in itertools.combinations(found, 2)
    ]


def zab_system(weakening: str | None = None) -> System:
    """The model; ``weakening`` (one of WEAKENINGS) swaps one rule for a broken one."""
    assert weakening is None or weakening in WEAKENINGS, weakening
    actions = tuple(
        make(weakening)
        for make in (_follower_info, _leader_info, _ack_epoch, _new_leader, _request, _proposal, _ack)
    )
    return System(
        sorts=(NODE, QUORUM, EPOCH, ZXID),
        axioms=_axioms(),
        variables=VARIABLES,
        init=_init,
        actions=actions,
        step_properties=(("acceptedEpoch and currentEpoch never decrease", _epochs_never_decrease),),
        describe=describe_universe,
        names=element_names,
        hints=_intersections,
        instantiate=(QUORUM,),
        finite_universes=tuple(
            finite_universe(tuple(zip((NODE, QUORUM, EPOCH, ZXID), sizes, strict=True)))
            for sizes in REFUTATION_SIZES
        ),
    )
