"""What an ensemble member reports: four-letter words, Prometheus metrics and control status.

The words keep ZooKeeper's formats (``four_letter``) with the member's role as ``Mode``
(leader/follower/observer/read-only) and quorum metrics in ``mntr`` (ZooKeeper's names where it
has them: ``zk_peer_state``, ``zk_quorum_size``, ``zk_learners``, ``zk_synced_followers``,
``zk_synced_non_voting_followers``, ``zk_pending_syncs``; ours for the sync modes, elections and
epochs). ``srvr``/``stat`` add the epoch, and on the leader the synced followers. A member that is
not serving answers most words as ZooKeeper does ("not currently serving requests").
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from zabkeeper.config import ConfRuntime, render_conf
from zabkeeper.core.leader import HandlerPhase
from zabkeeper.core.messages import ServerState
from zabkeeper.core.zxid import zxid_hex
from zabkeeper.server.facts import gather_facts
from zabkeeper.server.four_letter import answer
from zabkeeper.server.standalone import directory_bytes

if TYPE_CHECKING:
    from zabkeeper.server.quorum_peer import QuorumPeer

NOT_SERVING = "This ZooKeeper instance is not currently serving requests\n"
# Words a member answers even while it does not serve (ZooKeeper's commands without a server).
ALWAYS_ANSWERED = frozenset({"ruok", "envi", "conf", "isro"})
_MODES = {
    ServerState.LEADING: "leader",
    ServerState.FOLLOWING: "follower",
    ServerState.OBSERVING: "observer",
    ServerState.LOOKING: "looking",
}


@dataclass
class QuorumCounters:
    """Counts of what the member's core did, from its events."""

    elections: int = 0
    last_election_ms: float = 0.0
    learner_syncs: dict[str, int] = field(default_factory=lambda: {"DIFF": 0, "TRUNC": 0, "SNAP": 0})
    own_syncs: dict[str, int] = field(default_factory=lambda: {"DIFF": 0, "TRUNC": 0, "SNAP": 0})


def mode(member: QuorumPeer) -> str:
    if member.zk.read_only:
        return "read-only"
    return _MODES[member.peer.server_state]


def quorum_metrics(member: QuorumPeer) -> list[tuple[str, object]]:
    peer = member.peer
    state = peer.state
    counters = member.counters
    values: list[tuple[str, object]] = [
        ("zk_peer_state", f"{peer.server_state.value.lower()} - {peer.zab_state.value.lower()}"),
        ("zk_quorum_size", len(peer.options.voters)),
        ("zk_leader_id", -1 if peer.leader_id is None else peer.leader_id),
        ("zk_accepted_epoch", state.accepted_epoch),
        ("zk_current_epoch", state.current_epoch),
        ("zk_last_logged_zxid", state.last_zxid),
        ("zk_last_committed_zxid", state.last_committed),
        ("zk_election_count", counters.elections),
        ("zk_last_election_ms", round(counters.last_election_ms, 1)),
        ("zk_forwarded_requests", member.pipeline.forwarded_count),
        ("zk_proposals", member.pipeline.proposed_count),
        ("zk_refused_requests", member.pipeline.refused_count),
        ("zk_runner_batches", member.runner.batches),
        ("zk_runner_batched_writes", member.runner.batched_writes),
        ("zk_runner_queued", member.runner.pending),
        ("zk_peer_packets_sent", member.transport.packets_sent),
        ("zk_peer_packets_received", member.transport.packets_received),
        ("zk_peer_connections_dropped", member.transport.connections_dropped),
        ("zk_refused_client_connections", member.zk.refused_connections),
    ]
    for mode_name in ("DIFF", "TRUNC", "SNAP"):
        values.append((f"zk_learner_{mode_name.lower()}_count", counters.learner_syncs[mode_name]))
        values.append((f"zk_sync_{mode_name.lower()}_count", counters.own_syncs[mode_name]))
    leader = peer.leader
    if leader is not None:
        handlers = list(leader.learners.values())
        synced = [h for h in handlers if h.phase is HandlerPhase.UPTODATE]
        values += [
            ("zk_learners", len(handlers)),
            ("zk_synced_followers", sum(1 for h in synced if not h.observer)),
            ("zk_synced_non_voting_followers", sum(1 for h in synced if h.observer)),
            ("zk_synced_observers", sum(1 for h in synced if h.observer)),
            ("zk_pending_syncs", len(leader.pending_syncs)),
            ("zk_outstanding_proposals", len(leader.outstanding)),
        ]
    return values


def four_letter(member: QuorumPeer, word: str) -> str:
    zk = member.zk
    if not (zk.serving or zk.read_only) and word not in ALWAYS_ANSWERED:
        return NOT_SERVING
    if word == "isro" and not (zk.serving or zk.read_only):
        return "null"
    return _answer(member, word, member.config.four_letter_words)


def _answer(member: QuorumPeer, word: str, whitelist: frozenset[str]) -> str:
    config = member.config
    zk = member.zk
    if word == "srst" and word in whitelist:
        member.stats.reset()
    storage = member.storage
    runtime = ConfRuntime(
        client_port=member.client_port,
        secure_client_port=member.secure_client_port,
        snap_dir=str(storage.snap_dir),
        snap_dir_size=directory_bytes(storage.snap_dir),
        log_dir=str(storage.log_dir),
        log_dir_size=directory_bytes(storage.log_dir),
    )
    member.stats.fsync_count = member.peer_storage.fsyncs
    member.stats.fsync_batch_txns = member.peer_storage.appended
    uptime_ms = int((time.monotonic() - member.started) * 1000)
    facts = gather_facts(zk, member.pipeline.outstanding(), render_conf(config, runtime), runtime, uptime_ms)
    facts = replace(
        facts,
        mode=mode(member),
        read_only=zk.read_only,
        extra_metrics=[(key, str(value)) for key, value in quorum_metrics(member)],
    )
    text = answer(word, facts, whitelist)
    if word in ("srvr", "stat") and word in whitelist:
        text += f"Epoch: {member.peer.state.current_epoch}\n"
        if member.peer.leader is not None:
            synced = dict(quorum_metrics(member))["zk_synced_followers"]
            text += f"Synced followers: {synced}\n"
    return text


def metric_values(member: QuorumPeer) -> list[tuple[str, object]]:
    """``mntr``'s pairs with numbers as numbers, for the Prometheus endpoint (which is enabled by
    its own setting, not by the 4lw whitelist)."""
    serving = member.zk.serving or member.zk.read_only
    pairs: list[tuple[str, object]] = [("zk_serving", int(member.zk.serving))]
    if not serving:
        return pairs + quorum_metrics(member)
    for line in _answer(member, "mntr", frozenset({"mntr"})).splitlines():
        key, _, raw = line.partition("\t")
        pairs.append((key, _number(raw)))
    return pairs


def _number(raw: str) -> object:
    try:
        return float(raw) if "." in raw else int(raw)
    except ValueError:
        return raw


def status(member: QuorumPeer) -> dict[str, Any]:
    """The control socket's ``status`` answer."""
    peer = member.peer
    metrics = dict(quorum_metrics(member))
    return {
        "sid": peer.myid,
        "state": peer.server_state.value,
        "zab_state": peer.zab_state.value,
        "leader": peer.leader_id,
        "serving": member.zk.serving,
        "read_only": member.zk.read_only,
        "accepted_epoch": peer.state.accepted_epoch,
        "current_epoch": peer.state.current_epoch,
        "last_logged_zxid": zxid_hex(peer.state.last_zxid),
        "last_committed_zxid": zxid_hex(peer.state.last_committed),
        "applied_zxid": zxid_hex(member.zk.tree.last_processed_zxid),
        "node_count": member.zk.tree.node_count(),
        "elections": member.counters.elections,
        "learner_syncs": dict(member.counters.learner_syncs),
        "own_syncs": dict(member.counters.own_syncs),
        "synced_followers": metrics.get("zk_synced_followers", 0),
        "blocked": sorted(member.transport.blocked),
    }
