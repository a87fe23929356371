"""Record simulator runs in the spec's vocabulary.

``RecordingCluster`` is the simulator's ``SimCluster`` with a recorder on the points where the
world reaches a peer (each input, crashes, restarts, partitions). Each input becomes the spec
action it performs (or nothing: PINGs, ticks that fire no modeled timer), named from the peer's
state before the step, exactly as spec/server.qnt's ``packetAction`` names it. The run is a list
of ``(action, i, j)``; ``validate`` asks the spec whether it is one of its behaviours.

The recorded runs use only the faults the spec models: crashes and restarts between steps,
symmetric partitions and their healing, writes submitted to the leader, snapshots.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from random import Random

from zabkeeper.core.inputs import Disconnected, Input, Propose, Receive, SnapshotTaken, Tick
from zabkeeper.core.leader import HandlerPhase
from zabkeeper.core.learner import LearnerPhase
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
    Ping,
    Proposal,
    QuorumPacket,
    ServerState,
    Snap,
    Trunc,
    UpToDate,
)
from zabkeeper.core.peer import Peer
from zabkeeper.core.ready import Event
from zabkeeper.core.zxid import counter_of
from zabkeeper.sim.cluster import ClusterOptions, SimCluster, SimNode
from zabkeeper.sim.network import Deliver, LatencyModel, Schedule, SimNetwork

SpecStep = tuple[str, int, int]

_LEARNER_TABLE: dict[tuple[LearnerPhase, type], str] = {
    (LearnerPhase.CONNECTING, LeaderInfo): "FollowerProcessLEADERINFO",
    (LearnerPhase.EPOCH_ACKED, Diff): "FollowerProcessSyncMessage",
    (LearnerPhase.EPOCH_ACKED, Trunc): "FollowerProcessSyncMessage",
    (LearnerPhase.EPOCH_ACKED, Snap): "FollowerProcessSyncMessage",
    (LearnerPhase.SYNCING, NewLeader): "FollowerProcessNEWLEADER",
    (LearnerPhase.NEWLEADER_ACKED, UpToDate): "FollowerProcessUPTODATE",
    (LearnerPhase.BROADCAST, Proposal): "FollowerProcessPROPOSAL",
    (LearnerPhase.BROADCAST, Commit): "FollowerProcessCOMMIT",
    (LearnerPhase.BROADCAST, Inform): "ObserverProcessINFORM",
    **{
        (phase, Proposal): "FollowerProcessPROPOSALInSync"
        for phase in (LearnerPhase.SYNCING, LearnerPhase.NEWLEADER_ACKED)
    },
    **{
        (phase, Commit): "FollowerProcessCOMMITInSync"
        for phase in (LearnerPhase.SYNCING, LearnerPhase.NEWLEADER_ACKED)
    },
    **{
        (phase, Inform): "ObserverProcessINFORMInSync"
        for phase in (LearnerPhase.SYNCING, LearnerPhase.NEWLEADER_ACKED)
    },
}


def classify_packet(peer: Peer, src: int, packet: QuorumPacket) -> str | None:
    """The spec action a packet from ``src`` performs at ``peer`` (None: not a spec step)."""
    if isinstance(packet, Ping):
        return None
    if peer.leader is not None:
        if isinstance(packet, FollowerInfo | ObserverInfo):
            return "LeaderProcessFOLLOWERINFO"
        handler = peer.leader.learners.get(src)
        if handler is None:
            return "FilterNonexistentMessage"
        if isinstance(packet, AckEpoch):
            return (
                "LeaderProcessACKEPOCH"
                if handler.phase is HandlerPhase.EPOCH_SENT
                else "LeaderProcessUnexpectedPacket"
            )
        if isinstance(packet, Ack):
            if counter_of(packet.zxid) == 0:
                return "LeaderProcessACKLD"
            if handler.phase in (HandlerPhase.NEWLEADER_ACKED, HandlerPhase.UPTODATE):
                return "LeaderProcessACK"
        return "LeaderProcessUnexpectedPacket"
    if peer.learner is not None and src == peer.learner.leader:
        return _LEARNER_TABLE.get((peer.learner.phase, type(packet)), "LearnerProcessUnexpectedPacket")
    return "FilterNonexistentMessage"


@dataclass
class RecordedRun:
    seed: int
    voters: int
    committed_log_max: int
    steps: list[SpecStep] = field(default_factory=list)

    def save(self, path: Path) -> None:
        path.write_text(
            json.dumps(
                {
                    "seed": self.seed,
                    "voters": self.voters,
                    "committed_log_max": self.committed_log_max,
                    "steps": self.steps,
                },
                indent=0,
            )
        )

    @staticmethod
    def load(path: Path) -> RecordedRun:
        data = json.loads(path.read_text())
        steps = [(str(a), int(i), int(j)) for a, i, j in data["steps"]]
        return RecordedRun(int(data["seed"]), int(data["voters"]), int(data["committed_log_max"]), steps)


class SpecShapedNetwork(SimNetwork):
    """The simulator's network with the spec's timing of losses (spec/env.qnt).

    The simulator decides at arrival whether a partition or a crash swallows a notification, so
    one sent during a partition still arrives if the partition heals first; the spec decides at
    send time (and a partition or crash loses what is in flight). The difference is a timing the
    spec does not offer, not a protocol step, so recorded runs use the spec's rule: notifications
    to a server that is down or cut off are lost when sent, and any crash of the receiver or cut
    of the pair between send and arrival loses them. A partition breaks the pair's quorum
    connection at once (the simulator breaks it when the next packet would cross).
    """

    def __init__(self, rng: Random, latency: LatencyModel, schedule: Schedule, deliver: Deliver) -> None:
        super().__init__(rng, latency, schedule, deliver)
        self.incarnations: dict[int, int] = {}
        self.cuts: dict[frozenset[int], int] = {}

    def send(self, src: int, dst: int, message: Message) -> None:
        if not isinstance(message, Notification):
            super().send(src, dst, message)
            return
        self.sent += 1
        if not self.alive.get(dst) or (src, dst) in self.blocked:
            return
        stamp = (self.incarnations.get(dst, 0), self.cuts.get(frozenset((src, dst)), 0))
        arrival = self._arrival(src, dst, False)
        self.schedule(arrival, lambda: self._arrive_stamped(src, dst, message, stamp))

    def _arrive_stamped(self, src: int, dst: int, message: Message, stamp: tuple[int, int]) -> None:
        if stamp == (self.incarnations.get(dst, 0), self.cuts.get(frozenset((src, dst)), 0)):
            self._arrive_election(src, dst, message)

    def crash(self, sid: int) -> None:
        self.incarnations[sid] = self.incarnations.get(sid, 0) + 1
        super().crash(sid)

    def block(self, src: int, dst: int) -> None:
        pair = frozenset((src, dst))
        self.cuts[pair] = self.cuts.get(pair, 0) + 1
        self._connection(src, dst).open = False
        super().block(src, dst)


class RecordingCluster(SimCluster):
    """A ``SimCluster`` that records each step in the spec's vocabulary."""

    def __init__(self, options: ClusterOptions, seed: int) -> None:
        super().__init__(options, seed)
        self.network = SpecShapedNetwork(Random(self.rng.random()), options.latency, self._at, self._deliver)
        self.recorded: list[SpecStep] = []

    def _record(self, action: str, i: int, j: int = 0) -> None:
        self.recorded.append((action, i, j))

    def _step(self, node: SimNode, event: Input) -> None:
        peer = node.peer
        assert peer is not None
        sid = node.sid
        before = peer.server_state
        action: str | None = None
        if isinstance(event, Receive):
            if isinstance(event.message, Notification):
                action = "FLEHandleNotmsg" if before is ServerState.LOOKING else "FLEReceiveNotmsg"
            else:
                action = classify_packet(peer, event.src, event.message)
            if action is not None:
                self._record(action, sid, event.src)
        elif isinstance(event, Disconnected):
            self._record("ConnectionLost", sid, event.sid)
        elif isinstance(event, Propose) and peer.leader is not None and peer.leader.established:
            self._record("LeaderProcessRequest", sid)
        elif isinstance(event, SnapshotTaken):
            self._record("TakeSnapshot", sid)
        ready = peer.step(event)
        if isinstance(event, Tick):
            self._record_tick(sid, before, peer, ready.events)
        if action == "FollowerProcessNEWLEADER" and peer.server_state is not ServerState.LOOKING:
            self._record("FollowerProcessNEWLEADERWriteEpoch", sid)
            self._record("FollowerProcessNEWLEADERSendACK", sid)
        self.steps += 1
        self._execute(node, ready)

    def _record_tick(self, sid: int, before: ServerState, peer: Peer, events: list[Event]) -> None:
        for event in events:
            if event.action in ("FLENotmsgTimeout", "FLEWaitNewNotmsg"):
                self._record(event.action, sid)
            elif event.action == "ConnectAndFollowerSendFOLLOWERINFO" and before is not ServerState.LOOKING:
                self._record(event.action, sid)  # a retry (the first connect is part of the decision)
            elif event.action == "Drop" and dict(event.args).get("why") == "learner silent":
                self._record("ConnectionLost", sid, int(dict(event.args)["j"]))
        if before is not ServerState.LOOKING and peer.server_state is ServerState.LOOKING:
            self._record("LeaderTimeout" if before is ServerState.LEADING else "LearnerTimeout", sid)

    def start_all(self) -> None:
        # The spec boots every server at once: nobody's first votes are lost to a later start.
        for sid in self.nodes:
            self.network.start(sid)
        super().start_all()

    def crash(self, sid: int) -> None:
        if self.nodes[sid].alive:
            self._record("NodeCrash", sid)
        super().crash(sid)

    def start(self, sid: int) -> None:
        if self.nodes[sid].incarnation:
            self._record("NodeStart", sid)
        super().start(sid)

    def partition(self, a: int, b: int, one_way: bool = False) -> None:
        assert not one_way, "the spec models symmetric partitions only"
        low, high = min(a, b), max(a, b)
        if (low, high) not in self.network.blocked:
            self._record("PartitionStart", low, high)
        super().partition(a, b)

    def heal(self) -> None:
        for low, high in sorted({(min(a, b), max(a, b)) for a, b in self.network.blocked}):
            self._record("PartitionRecover", low, high)
        super().heal()


def record_run(seed: int, steps_max: int = 250, voters: int = 3) -> RecordedRun:
    """One seeded simulator run with crashes, restarts, partitions and writes, recorded."""
    rng = Random(seed)
    options = ClusterOptions(
        voters=voters,
        latency=LatencyModel(low=1, high=3),
        torn_probability=0.0,
        snapshot_every=rng.choice((2, 3, 5)),
        committed_log_max=1,
        finalize_wait_ticks=2,
    )
    cluster = RecordingCluster(options, seed)
    cluster.start_all()
    sids = options.sids
    now = 0
    while len(cluster.recorded) < steps_max and now < 20_000:
        now += rng.randint(5, 40)
        cluster.run_until(now)
        roll = rng.random()
        alive = [sid for sid in sids if cluster.nodes[sid].alive]
        dead = [sid for sid in sids if not cluster.nodes[sid].alive]
        leader = cluster.established_leader()
        if roll < 0.03 and len(alive) > 1:
            cluster.crash(rng.choice(alive))
        elif roll < 0.10 and dead:
            cluster.start(rng.choice(dead))
        elif roll < 0.12:
            a, b = rng.sample(sids, 2)
            cluster.partition(a, b)
        elif roll < 0.16:
            cluster.heal()
        elif roll < 0.50 and leader is not None:
            cluster.submit(leader)
    return RecordedRun(seed, voters, options.committed_log_max, cluster.recorded[:steps_max])
