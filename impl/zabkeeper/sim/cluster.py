"""A simulated ensemble: real ``Peer``s, a seeded scheduler, the network, disks and clients.

``SimCluster`` is the shell the simulator puts around each peer. It executes every ``Ready`` as
the real server must (durable writes and fsync, then apply, then send), injects faults when told
(crash, crash in the middle of a write, restart, partitions), drives a client workload, and lets
the ``Checkers`` watch every step. Everything random comes from one seed.
"""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from random import Random

from zabkeeper.core.inputs import (
    ClientSync,
    Disconnected,
    ForwardRequest,
    Input,
    Propose,
    Receive,
    SnapshotTaken,
    Tick,
)
from zabkeeper.core.messages import Message, ServerState, Snap, Txn, ZabState
from zabkeeper.core.options import PeerOptions
from zabkeeper.core.peer import Peer
from zabkeeper.core.quorum import HierarchicalQuorum, MajorityQuorum, QuorumVerifier
from zabkeeper.core.ready import AppendTxns, InstallSnapshot, Outbound, Ready, TruncateLog
from zabkeeper.sim.checkers import Checkers
from zabkeeper.sim.disk import SimDisk
from zabkeeper.sim.machine import StateMachine
from zabkeeper.sim.network import LatencyModel, SimNetwork


@dataclass(frozen=True)
class ClusterOptions:
    """Shape and timing of one simulated ensemble (times in simulated milliseconds)."""

    voters: int = 3
    observers: int = 0
    tick_ms: int = 10
    tick_drift_ms: int = 0
    latency: LatencyModel = field(default_factory=LatencyModel)
    init_limit_ticks: int = 20
    sync_limit_ticks: int = 10
    finalize_wait_ticks: int = 2
    torn_probability: float = 0.3
    snapshot_every: int = 200
    committed_log_max: int = 50
    # Simulated fsync latency; 0 executes every Ready at once, as if the disk were instant.
    fsync_ms: int = 0
    # (sid, weight) pairs: when given, the participants form one weighted group (a hierarchical
    # quorum); a weight of zero makes a participant that follows but never counts.
    weights: tuple[tuple[int, int], ...] = ()

    def peer_options(self, sid: int) -> PeerOptions:
        participants = frozenset(range(1, self.voters + 1))
        observers = frozenset(range(self.voters + 1, self.voters + self.observers + 1))
        quorum: QuorumVerifier = MajorityQuorum(participants)
        if self.weights:
            quorum = HierarchicalQuorum({1: participants}, dict(self.weights))
        return PeerOptions(
            myid=sid,
            quorum=quorum,
            observers=observers,
            init_limit_ticks=self.init_limit_ticks,
            sync_limit_ticks=self.sync_limit_ticks,
            ping_interval_ticks=max(1, self.sync_limit_ticks // 4),
            finalize_wait_ticks=self.finalize_wait_ticks,
            notification_interval_max_ticks=max(self.finalize_wait_ticks, 32),
            connect_retry_ticks=2,
            committed_log_max=self.committed_log_max,
        )

    @property
    def sids(self) -> list[int]:
        return list(range(1, self.voters + self.observers + 1))


@dataclass
class SimNode:
    """One simulated server: its peer, disk and state machine, while alive."""

    sid: int
    disk: SimDisk
    peer: Peer | None = None
    machine: StateMachine = field(default_factory=StateMachine)
    incarnation: int = 0
    applied_since_snapshot: int = 0
    crash_on_write: Callable[[Ready], bool] | None = None
    # Readys waiting for their writes to be durable (with ClusterOptions.fsync_ms > 0).
    queue: deque[Ready] = field(default_factory=deque)
    flushing: bool = False
    epochs_at_crash: tuple[int, int] = (0, 0)
    pending_writes: dict[bytes, int] = field(default_factory=dict)

    @property
    def alive(self) -> bool:
        return self.peer is not None


EventSink = Callable[[int, int, str], None]


class SimCluster:
    """Runs N peers on simulated time; see the module docstring."""

    def __init__(self, options: ClusterOptions, seed: int, log: EventSink | None = None) -> None:
        self.options = options
        self.rng = Random(seed)
        self.now = 0
        self._queue: list[tuple[int, int, Callable[[], None]]] = []
        self._seq = 0
        self.log = log
        self.checkers = Checkers()
        self.network = SimNetwork(Random(self.rng.random()), options.latency, self._at, self._deliver)
        self.nodes = {
            sid: SimNode(
                sid, SimDisk(Random(self.rng.random()), StateMachine.decode, options.torn_probability)
            )
            for sid in options.sids
        }
        self.steps = 0
        self.acknowledged = 0
        self.client_seq = 0
        self._sync_required: dict[int, int] = {}
        self.listeners: list[Callable[[int, Ready], None]] = []

    # --- scheduling -----------------------------------------------------------------------------

    def _at(self, time: int, action: Callable[[], None]) -> None:
        self._seq += 1
        heapq.heappush(self._queue, (time, self._seq, action))

    def run_until(self, time: int, stop: Callable[[], bool] | None = None) -> bool:
        """Run events up to ``time``; returns True if ``stop`` became true first."""
        while self._queue and self._queue[0][0] <= time:
            when, _, action = heapq.heappop(self._queue)
            self.now = self.network.now = when
            action()
            if stop is not None and stop():
                return True
        self.now = self.network.now = max(self.now, time)
        return False

    def _emit(self, sid: int, text: str) -> None:
        if self.log is not None:
            self.log(self.now, sid, text)

    # --- life cycle -----------------------------------------------------------------------------

    def start(self, sid: int) -> None:
        node = self.nodes[sid]
        assert not node.alive
        durable = node.disk.image.durable_state()
        if node.incarnation:
            self.checkers.on_restart(
                sid, node.epochs_at_crash, (durable.accepted_epoch, durable.current_epoch)
            )
            self._emit(sid, f"NodeStart(i={sid})")
        node.incarnation += 1
        node.machine = StateMachine(node.disk.image.snapshot)
        assert node.machine.last_zxid == durable.snapshot_zxid or not node.disk.image.snapshot
        node.peer = Peer(self.options.peer_options(sid), durable)
        node.applied_since_snapshot = 0
        self.network.start(sid)
        self._execute(node, node.peer.start())
        self._schedule_tick(node, node.incarnation)

    def start_all(self) -> None:
        for sid in self.nodes:
            self.start(sid)

    def crash(self, sid: int) -> None:
        node = self.nodes[sid]
        if not node.alive:
            return
        assert node.peer is not None
        self._emit(sid, f"NodeCrash(i={sid})")
        # Only what was synced was ever promised; a write cut short by the crash promised nothing.
        node.epochs_at_crash = (node.disk.image.accepted_epoch, node.disk.image.current_epoch)
        node.peer = None
        node.pending_writes.clear()
        node.crash_on_write = None
        node.queue.clear()
        node.flushing = False
        node.disk.crash()
        self.network.crash(sid)

    def crash_during_next_write(self, sid: int, when: Callable[[Ready], bool] | None = None) -> None:
        """Crash ``sid`` in the middle of its next durable write (the next one ``when`` picks),
        after the writes were issued and before the fsync: a random prefix of them survives."""
        if self.nodes[sid].alive:
            self.nodes[sid].crash_on_write = when or (lambda ready: True)

    def _schedule_tick(self, node: SimNode, incarnation: int) -> None:
        drift = self.options.tick_drift_ms
        period = self.options.tick_ms + (self.rng.randint(-drift, drift) if drift else 0)
        self._at(self.now + max(1, period), lambda: self._tick(node, incarnation))

    def _tick(self, node: SimNode, incarnation: int) -> None:
        if node.incarnation != incarnation or not node.alive:
            return
        self._step(node, Tick())
        if node.alive and node.incarnation == incarnation:
            self._schedule_tick(node, incarnation)

    # --- partitions -----------------------------------------------------------------------------

    def partition(self, a: int, b: int, one_way: bool = False) -> None:
        self._emit(a, f"PartitionStart(i={a}, j={b}{', one_way=True' if one_way else ''})")
        self.network.block(a, b)
        if not one_way:
            self.network.block(b, a)

    def heal(self) -> None:
        if self.network.blocked:
            self._emit(0, "PartitionRecover(all)")
        self.network.heal()

    # --- stepping -------------------------------------------------------------------------------

    def _deliver(self, dst: int, src: int, message: Message | None) -> None:
        node = self.nodes[dst]
        if node.alive:
            self._step(node, Disconnected(src) if message is None else Receive(src, message))

    def step(self, sid: int, event: Input) -> None:
        """Feed one input to a live server (tests use it to script scenarios)."""
        node = self.nodes[sid]
        assert node.alive, sid
        self._step(node, event)

    def _step(self, node: SimNode, event: Input) -> None:
        assert node.peer is not None
        self.steps += 1
        ready = node.peer.step(event)
        self._execute(node, ready)

    def _execute(self, node: SimNode, ready: Ready) -> None:
        """Take a Ready the way the server's runner does: early messages leave at once; the
        writes go to the disk; the rest waits until the writes of this and every earlier Ready are
        durable (with ``fsync_ms`` = 0 that is at once, else after a simulated fsync that many
        Readys share)."""
        peer = node.peer
        assert peer is not None
        for listener in self.listeners:
            listener(node.sid, ready)
        if self.log is not None:
            for event in ready.events:
                self._emit(node.sid, str(event))
        for outbound in ready.early:
            self.network.send(node.sid, outbound.to, outbound.message)
        if ready.writes:
            self._check_truncations(node, ready)
            if peer.leader is not None:
                for write in ready.writes:
                    if isinstance(write, AppendTxns):
                        for txn in write.txns:
                            self.checkers.on_proposed(node.sid, txn)
            node.disk.write(ready.writes, sync=False)
            if node.crash_on_write is not None and node.crash_on_write(ready):
                self.crash(node.sid)
                return
        if self.options.fsync_ms == 0:
            if ready.writes and ready.must_sync:
                node.disk.fsync()
            self._effects(node, ready)
            return
        node.queue.append(ready)
        if not node.flushing:
            self._drain(node)

    def _drain(self, node: SimNode) -> None:
        """Run queued Readys without writes at once; put the rest behind one fsync."""
        while node.queue and not node.queue[0].writes and not node.flushing:
            self._effects(node, node.queue.popleft())
            if not node.alive:
                return
        if node.queue and not node.flushing:
            node.flushing = True
            batch = list(node.queue)
            node.queue.clear()
            incarnation = node.incarnation
            self._at(self.now + self.options.fsync_ms, lambda: self._flushed(node, incarnation, batch))

    def _flushed(self, node: SimNode, incarnation: int, batch: list[Ready]) -> None:
        if node.incarnation != incarnation or not node.alive:
            return
        node.disk.fsync()
        for ready in batch:
            self._effects(node, ready)
            if not node.alive:
                return
        node.flushing = False
        self._drain(node)

    def _effects(self, node: SimNode, ready: Ready) -> None:
        """Everything of a Ready after its writes are durable, in the contract's order."""
        peer = node.peer
        assert peer is not None
        for write in ready.writes:
            if isinstance(write, InstallSnapshot):
                node.machine = StateMachine(StateMachine.decode(write.snapshot))
                self.checkers.on_installed(node.sid, tuple(node.machine.applied))
        for txn in ready.committed:
            self._apply(node, txn)
        for event in ready.events:
            if event.action == "LeaderEstablished":
                self.checkers.on_established(node.sid, dict(event.args)["epoch"], peer)
        for outbound in ready.messages:
            self.network.send(node.sid, outbound.to, self._fill(node, outbound))
        for other in ready.disconnect:
            self.network.close(node.sid, other)
        for token in ready.synced:
            self.checkers.check_sync(node.sid, node.machine.last_zxid, self._sync_required.pop(token, 0))
        for _origin, payload in ready.forwarded:
            self._at(self.now, self._proposer(node, payload))
        if peer.leader is not None:
            self.checkers.check_leader(node.sid, peer)
        if node.applied_since_snapshot >= self.options.snapshot_every and node.alive:
            self._snapshot(node)

    def _check_truncations(self, node: SimNode, ready: Ready) -> None:
        for write in ready.writes:
            if isinstance(write, TruncateLog):
                dropped = [txn for txn in node.disk.logical_log() if txn.zxid > write.zxid]
                self.checkers.on_truncated(node.sid, write.zxid, dropped)

    def _fill(self, node: SimNode, outbound: Outbound) -> Message:
        message = outbound.message
        if isinstance(message, Snap) and not message.snapshot:
            assert node.machine.last_zxid == message.zxid, (node.machine.last_zxid, message.zxid)
            return Snap(message.zxid, node.machine.encode())
        return message

    def _apply(self, node: SimNode, txn: Txn) -> None:
        position = len(node.machine.applied)
        node.machine.apply(txn)
        node.applied_since_snapshot += 1
        self.checkers.on_delivered(node.sid, position, txn)
        if node.pending_writes.pop(txn.data, None) is not None:
            self.acknowledged += 1
            self.checkers.on_acknowledged(txn)

    def _proposer(self, node: SimNode, payload: bytes) -> Callable[[], None]:
        """The leader's request pipeline: a forwarded write becomes a proposal."""
        incarnation = node.incarnation

        def propose() -> None:
            if node.alive and node.incarnation == incarnation:
                self._step(node, Propose(payload))

        return propose

    def _snapshot(self, node: SimNode) -> None:
        node.applied_since_snapshot = 0
        node.disk.take_snapshot(node.machine.last_zxid, tuple(node.machine.applied))
        self._step(node, SnapshotTaken(node.machine.last_zxid))

    # --- clients --------------------------------------------------------------------------------

    def submit(self, sid: int) -> bytes | None:
        """A client sends a write to server ``sid``; returns its payload if the server took it."""
        node = self.nodes[sid]
        if not node.alive:
            return None
        self.client_seq += 1
        payload = f"w{self.client_seq}".encode()
        node.pending_writes[payload] = self.client_seq
        self._step(node, ForwardRequest(payload))
        return payload

    def client_sync(self, sid: int) -> None:
        node = self.nodes[sid]
        if node.alive:
            self.client_seq += 1
            self._sync_required[self.client_seq] = self.checkers.ghost.acknowledged_max
            self._step(node, ClientSync(self.client_seq))

    # --- views ----------------------------------------------------------------------------------

    def peer(self, sid: int) -> Peer:
        peer = self.nodes[sid].peer
        assert peer is not None, f"server {sid} is down"
        return peer

    def established_leader(self) -> int | None:
        """The serving leader with the highest epoch, if any."""
        best: tuple[int, int] | None = None
        for sid, node in self.nodes.items():
            peer = node.peer
            if peer is not None and peer.leader is not None and peer.leader.established:
                epoch = peer.state.current_epoch
                if best is None or epoch > best[0]:
                    best = (epoch, sid)
        return None if best is None else best[1]

    def serving(self) -> list[int]:
        return [sid for sid, node in self.nodes.items() if node.peer is not None and node.peer.is_serving]

    def states(self) -> dict[int, str]:
        out = {}
        for sid, node in self.nodes.items():
            if node.peer is None:
                out[sid] = "DOWN"
            else:
                out[sid] = f"{node.peer.server_state.value}/{node.peer.zab_state.value}"
        return out

    @staticmethod
    def is_up(peer: Peer | None) -> bool:
        return (
            peer is not None
            and peer.server_state is not ServerState.LOOKING
            and peer.zab_state is ZabState.BROADCAST
        )
