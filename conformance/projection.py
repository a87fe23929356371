"""The projection: the implementation's state and the spec's state, in one comparable shape.

Both sides are reduced to plain dicts of ints, strings, tuples and lists: per server its role,
Zab phase, epochs, history (zxid, value), delivered txns, snapshot, election state (round,
proposal, tallies, settled vote), and its leader or learner role; for the network the messages
in flight per channel, the connections, what each end believes, and the partitions. ``diff``
lists the paths where they differ, spec value first.

A server between NEWLEADER sub-steps has already changed its memory in the core (one step did
everything) but not yet executed the rest of its Ready; there the projection reads what was
executed: currentEpoch from disk, and the learner phase as SYNCING until the ACK is sent.
"""

from __future__ import annotations

from typing import Any

from conformance.ensemble import DriverNode, Ensemble, txn_value
from conformance.itf import Variant
from zabkeeper.core.election import Vote
from zabkeeper.core.messages import (
    Ack,
    AckEpoch,
    Commit,
    Diff,
    FollowerInfo,
    Inform,
    LeaderInfo,
    Message,
    NewLeader,
    Notification,
    ObserverInfo,
    Proposal,
    Snap,
    Trunc,
    Txn,
    UpToDate,
)
from zabkeeper.sim.machine import StateMachine

Projection = dict[str, Any]


# --- the implementation ---------------------------------------------------------------------------


def _txns(txns: Any) -> list[tuple[int, int]]:
    return [(txn.zxid, txn_value(txn)) for txn in txns]


def _vote(vote: Vote) -> tuple[Any, ...]:
    return (vote.leader, vote.zxid, vote.election_epoch, vote.peer_epoch, vote.state.value)


def packet_view(message: Message) -> tuple[str, Any]:
    match message:
        case FollowerInfo(epoch):
            return ("FOLLOWERINFO", epoch)
        case ObserverInfo(epoch):
            return ("OBSERVERINFO", epoch)
        case LeaderInfo(epoch):
            return ("LEADERINFO", epoch)
        case AckEpoch(current, last):
            return ("ACKEPOCH", (current, last))
        case Diff(zxid):
            return ("DIFF", zxid)
        case Trunc(zxid):
            return ("TRUNC", zxid)
        case Snap(zxid, snapshot):
            return ("SNAP", (zxid, tuple(_txns(StateMachine.decode(snapshot)))))
        case NewLeader(epoch):
            return ("NEWLEADER", epoch)
        case UpToDate():
            return ("UPTODATE", None)
        case Proposal(txn):
            return ("PROPOSAL", (txn.zxid, txn_value(txn)))
        case Ack(zxid):
            return ("ACK", zxid)
        case Commit(zxid):
            return ("COMMIT", zxid)
        case Inform(txn):
            return ("INFORM", (txn.zxid, txn_value(txn)))
    raise AssertionError(f"no spec counterpart for {message!r}")


def _notification(n: Notification) -> tuple[Any, ...]:
    return (n.leader, n.zxid, n.election_epoch, n.state.value, n.sid, n.peer_epoch)


def _impl_node(node: DriverNode) -> Projection:
    disk = node.disk
    peer = node.peer
    if peer is None:
        return {
            "online": False,
            "acceptedEpoch": disk.accepted_epoch,
            "currentEpoch": disk.current_epoch,
            "snapshotZxid": disk.snapshot_zxid,
            "history": _txns(txn for txn in disk.log if txn.zxid > disk.snapshot_zxid),
            "applied": _txns(disk.snapshot),
        }
    state = peer.state
    election = peer.election
    pending = node.pending
    out: Projection = {
        "online": True,
        "state": peer.server_state.value,
        "zabState": peer.zab_state.value,
        "acceptedEpoch": state.accepted_epoch,
        "currentEpoch": disk.current_epoch if pending is not None else state.current_epoch,
        "snapshotZxid": disk.snapshot_zxid,
        "base": state.history.base_zxid,
        "history": _txns(state.history.after(state.history.base_zxid)),
        "lastCommitted": state.last_committed,
        "applied": _txns(node.machine.applied),
        "nlSteps": list(pending.steps) if pending is not None else [],
        "fle": {
            "logicalClock": election.logicalclock,
            "proposal": election.proposal,
            "finalizing": election.finalize_left is not None,
            "running": election.running,
            "recvset": {sid: _vote(vote) for sid, vote in election.recvset.items()},
            "outofelection": {sid: _vote(vote) for sid, vote in election.outofelection.items()},
            "currentVote": _vote(election.current_vote),
        },
    }
    if peer.leader is not None:
        leader = peer.leader
        out["leader"] = {
            "epoch": -1 if leader.epoch is None else leader.epoch,
            "established": leader.established,
            "learners": {
                sid: (
                    h.phase.value,
                    h.observer,
                    h.accepted_epoch,
                    h.last_zxid,
                    getattr(h, "acked_through", 0),
                )
                for sid, h in leader.learners.items()
            },
            "connecting": dict(leader.connecting),
            "electing": sorted(leader.electing),
            "newleaderAcks": sorted(leader.newleader_acks),
            "outstanding": [(zxid, sorted(acks)) for zxid, acks in leader.outstanding.items()],
        }
    if peer.learner is not None:
        learner = peer.learner
        ack_pending = pending is not None and "NL_SEND_ACK" in pending.steps
        out["learner"] = {
            "leader": learner.leader,
            "observer": learner.observer,
            "phase": "SYNCING" if ack_pending else learner.phase.value,
            "newEpoch": -1 if learner.new_epoch is None else learner.new_epoch,
            "syncLimitZxid": learner.sync_limit_zxid,
            "snapZxid": None if learner.snapshot is None else learner.snapshot.zxid,
            "pending": _txns(learner.pending),
            "commitSeen": learner.commit_seen,
            "retryPending": learner.retry_in is not None,
        }
    return out


def project_impl(ensemble: Ensemble) -> Projection:
    network = ensemble.network
    return {
        "nodes": {sid: _impl_node(node) for sid, node in sorted(ensemble.nodes.items())},
        "elec": {
            key: [_notification(n) for n in channel] for key, channel in network.elec.items() if channel
        },
        "quorum": {
            key: [packet_view(p) for p in channel] for key, channel in network.quorum.items() if channel
        },
        "conns": {key: (c.gen, c.open) for key, c in network.conns.items()},
        "views": {key: gen for key, gen in network.views.items() if gen},
        "partitioned": sorted(network.partitioned),
    }


# --- the spec --------------------------------------------------------------------------------------


def _tag(value: Any) -> str:
    assert isinstance(value, Variant), value
    return value.tag


def _spec_txns(txns: Any) -> list[tuple[int, int]]:
    return [(int(txn["zxid"]), int(txn["value"])) for txn in txns]


def _spec_vote(vote: dict[str, Any]) -> tuple[Any, ...]:
    return (vote["leader"], vote["zxid"], vote["electionEpoch"], vote["peerEpoch"], _tag(vote["state"]))


def spec_packet_view(packet: Variant) -> tuple[str, Any]:
    tag, value = packet.tag, packet.value
    if tag == "ACKEPOCH":
        return (tag, (value["currentEpoch"], value["lastZxid"]))
    if tag == "SNAP":
        return (tag, (value["zxid"], tuple(_spec_txns(value["snapshot"]))))
    if tag == "UPTODATE":
        return (tag, None)
    if tag in ("PROPOSAL", "INFORM"):
        return (tag, (value["zxid"], value["value"]))
    return (tag, value)


def _spec_notification(n: dict[str, Any]) -> tuple[Any, ...]:
    return (n["leader"], n["zxid"], n["electionEpoch"], _tag(n["state"]), n["sid"], n["peerEpoch"])


def _strip(phase: str) -> str:
    return phase.split("_", 1)[1] if phase[:2] in ("H_", "L_") else phase


def _spec_node(n: dict[str, Any]) -> Projection:
    if not n["online"]:
        return {
            "online": False,
            "acceptedEpoch": n["acceptedEpoch"],
            "currentEpoch": n["currentEpoch"],
            "snapshotZxid": n["snapshotZxid"],
            "history": _spec_txns(n["history"]),
            "applied": _spec_txns(n["applied"]),
        }
    fle = n["fle"]
    proposal = fle["proposal"]
    state = _tag(n["state"])
    out: Projection = {
        "online": True,
        "state": state,
        "zabState": _tag(n["zabState"]),
        "acceptedEpoch": n["acceptedEpoch"],
        "currentEpoch": n["currentEpoch"],
        "snapshotZxid": n["snapshotZxid"],
        "base": n["base"],
        "history": _spec_txns(n["history"]),
        "lastCommitted": n["lastCommitted"],
        "applied": _spec_txns(n["applied"]),
        "nlSteps": [_tag(step) for step in n["nlSteps"]],
        "fle": {
            "logicalClock": fle["logicalClock"],
            "proposal": (proposal["leader"], proposal["zxid"], proposal["peerEpoch"]),
            "finalizing": fle["finalizing"],
            "running": fle["running"],
            "recvset": {sid: _spec_vote(vote) for sid, vote in fle["recvset"].items()},
            "outofelection": {sid: _spec_vote(vote) for sid, vote in fle["outofelection"].items()},
            "currentVote": _spec_vote(fle["currentVote"]),
        },
    }
    if state == "LEADING":
        leader = n["leader"]
        out["leader"] = {
            "epoch": leader["epoch"],
            "established": leader["established"],
            "learners": {
                sid: (
                    _strip(_tag(h["phase"])),
                    h["observer"],
                    h["acceptedEpoch"],
                    h["lastZxid"],
                    h.get("ackedThrough", 0),
                )
                for sid, h in leader["learners"].items()
            },
            "connecting": dict(leader["connecting"]),
            "electing": sorted(leader["electing"]),
            "newleaderAcks": sorted(leader["newleaderAcks"]),
            "outstanding": [(o["zxid"], sorted(o["acks"])) for o in leader["outstanding"]],
        }
    if state in ("FOLLOWING", "OBSERVING"):
        learner = n["learner"]
        out["learner"] = {
            "leader": learner["leader"],
            "observer": learner["observer"],
            "phase": _strip(_tag(learner["phase"])),
            "newEpoch": learner["newEpoch"],
            "syncLimitZxid": learner["syncLimitZxid"],
            "snapZxid": learner["snapZxid"] if learner["hasSnap"] else None,
            "pending": _spec_txns(learner["pending"]),
            "commitSeen": learner["commitSeen"],
            "retryPending": learner["retryPending"],
        }
    return out


def project_spec(state: dict[str, Any]) -> Projection:
    net = state["net"]
    return {
        "nodes": {sid: _spec_node(node) for sid, node in sorted(state["nodes"].items())},
        "elec": {key: [_spec_notification(n) for n in ch] for key, ch in net["elec"].items() if ch},
        "quorum": {key: [spec_packet_view(p) for p in ch] for key, ch in net["quorum"].items() if ch},
        "conns": {key: (c["gen"], c["open"]) for key, c in net["conns"].items()},
        "views": {key: gen for key, gen in net["views"].items() if gen},
        "partitioned": sorted(net["partitioned"]),
    }


# --- comparing --------------------------------------------------------------------------------------


def diff(spec: Any, impl: Any, path: str = "") -> list[str]:
    """Where ``spec`` and ``impl`` differ, as ``path: spec=... impl=...`` lines."""
    if isinstance(spec, dict) and isinstance(impl, dict):
        lines: list[str] = []
        for key in sorted(set(spec) | set(impl), key=repr):
            where = f"{path}.{key}" if path else str(key)
            if key not in impl:
                lines.append(f"{where}: spec={spec[key]!r} impl=<absent>")
            elif key not in spec:
                lines.append(f"{where}: spec=<absent> impl={impl[key]!r}")
            else:
                lines.extend(diff(spec[key], impl[key], where))
        return lines
    if _norm(spec) != _norm(impl):
        return [f"{path}: spec={_norm(spec)!r} impl={_norm(impl)!r}"]
    return []


def _norm(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return tuple(_norm(item) for item in value)
    if isinstance(value, Txn):
        return (value.zxid, txn_value(value))
    return value
